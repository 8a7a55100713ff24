/*
 * outbox.h - outgoing mail: queued in the event's transaction, sent later
 * through a mail sink with retry and backoff (SPEC §4).
 *
 * A message is one messages row (direction 'out', the exact bytes in raw)
 * and one outbox row per recipient: each recipient is one SMTP transaction
 * and succeeds or fails on its own. outbox_queue() writes inside the
 * caller's transaction, so mail exists exactly when the event that caused
 * it was committed. outbox_flush() sends each due row in two short
 * transactions of its own around the sink call:
 *
 *	queued --claim, COMMIT--> sending --sink--> record, COMMIT:
 *	    sent | queued again with backoff | failed (+ an alerts row)
 *
 * A kill at any moment loses nothing: a row committed as queued is sent
 * by a later flush; a row left 'sending' (the one in flight) is sent again
 * by the next flush, so that one alone may arrive twice. One process
 * flushes a database at a time (a flock on DATABASE-outbox.lock, which
 * dies with its holder), so a row found 'sending' is never another
 * flusher's row in flight.
 */
#ifndef RR_OUTBOX_H
#define RR_OUTBOX_H

#include <stddef.h>

struct store;

/* Backoff after a temporary failure: 60 s, doubling, at most an hour. */
#define OUTBOX_BACKOFF_FIRST	60
#define OUTBOX_BACKOFF_MAX	3600

/* What a sink made of one message to one recipient. */
enum sink_result {
	SINK_SENT = 0,		/* accepted by the server or program */
	SINK_TEMPORARY,		/* 4xx, network, TLS, timeout: try again */
	SINK_PERMANENT,		/* 5xx or refused address: never again */
};

/*
 * A way to deliver mail (smtp.h, sendmail.h, or a fake in tests).
 *
 * send() delivers raw (len bytes, CRLF line ends, as it is) to the one
 * recipient rcpt with envelope sender envelope_from, and returns an enum
 * sink_result. It sets *smtp_code to the server's last reply code, or 0
 * when there was none. On SINK_TEMPORARY and SINK_PERMANENT it sets *cause
 * (the caller frees) to a short text that is stored and logged: it must
 * not hold addresses, subjects or any of the message. arg is the sink's
 * own state.
 */
struct mail_sink {
	int	 (*send)(void *arg, const char *envelope_from,
		    const char *rcpt, const char *raw, size_t len,
		    int *smtp_code, char **cause);
	void	  *arg;
	/*
	 * Optional (NULL for SMTP and sendmail): called before each send()
	 * with every recipient the message's rows were queued for,
	 * comma-joined (messages.recipients), or NULL when unknown. For a
	 * sink that delivers a message to all its header recipients at once
	 * (Graph), which must not do so when only some were queued.
	 */
	void	 (*envelope)(void *arg, const char *queued);
};

/*
 * One message to queue. Everything is borrowed for the call.
 * template is the template name (messages.kind, outbox.template);
 * case_ref the case's reference or NULL (its id goes in case_id; a
 * reference that names no case, e.g. purged, leaves case_id NULL);
 * agency an [agency.KEY] or NULL; msgid the Message-ID with or without
 * its angle brackets; in_reply_to and refs as they go in messages (NULL
 * for none); subject as sent, never logged; envelope_from the SMTP MAIL
 * FROM address; recipients the envelope recipients (at least one); raw
 * the message built by compose_build(). dedupe_key names the event that
 * caused the mail ("reminder:RR-2024-001:police:-2"), or NULL.
 */
struct outbox_item {
	const char		*template;
	const char		*case_ref;
	const char		*agency;
	const char		*msgid;
	const char		*in_reply_to;
	const char		*refs;
	const char		*subject;
	const char		*envelope_from;
	const char *const	*recipients;
	size_t			 n_recipients;
	const char		*raw;
	size_t			 len;
	const char		*dedupe_key;
};

/*
 * Queue item inside the caller's open transaction (never begins or
 * commits; refuses to run outside one). Writes one messages row (sender,
 * the recipients queued comma-joined, sha256, size, received_at = now)
 * and one outbox row per recipient (queued, due at now). A recipient
 * named twice in the list, case aside, is queued once. With a dedupe_key,
 * a recipient that already has an outbox row with that key is skipped;
 * when every recipient is skipped nothing is written, so a scheduler may
 * queue the same event on every tick. *queued is the number of outbox rows
 * written. Returns 0, or -1 with *cause set (caller frees; names no
 * address) when a field is missing, an address is unsafe for the envelope
 * (outbox_address_safe), or the store fails: the caller then rolls back.
 */
int	outbox_queue(struct store *, const struct outbox_item *,
	    long long now, int *queued, char **cause);

/*
 * Send due rows through sink: rows queued with next_attempt_at <= now,
 * and rows left 'sending' by a process killed in flight, oldest first,
 * at most max of them (0: no limit). Each row is claimed (state
 * 'sending') and committed before sink->send(); the outcome is then
 * recorded in a new transaction: an outbox_attempts row, and the outbox
 * row sent (sent_at = now), queued again (next_attempt_at = now +
 * outbox_backoff(attempts)), or failed, with an alerts row of kind
 * 'delivery' (the SMTP code, template and outbox id; no address) unless
 * the failed mail was itself an alert. A temporary failure with no SMTP
 * reply (server unreachable, TLS refused, timeout, sendmail's tempfail)
 * ends the call: every other due row is held until that row's retry time
 * without an attempt, so that an unreachable server costs one timeout
 * per retry, not one per message. Must be called outside any
 * transaction. When another process is flushing the same database, returns
 * at once having done nothing (wait before calling again). *sent counts
 * rows sent. Returns 0 however the sends went, or -1 with *cause set
 * (caller frees) when the store or the lock fails; rows not reached stay
 * as they were.
 */
int	outbox_flush(struct store *, const struct mail_sink *, long long now,
	    size_t max, size_t *sent, char **cause);

/*
 * When the next flush has work: the earliest next_attempt_at of rows
 * queued or left 'sending' (a time already past means now), or 0 when
 * there are none. A store error is logged and reads as 0.
 */
long long	outbox_next_due(struct store *);

/* Seconds to wait after the attempts-th failed attempt (1, 2, ...). */
long long	outbox_backoff(int attempts);

/*
 * 1 when s can go into an SMTP envelope or a sendmail argument: 1 to 254
 * bytes of printable ASCII other than space, '<' and '>', not starting
 * with '-'. Sinks check both addresses with it before a library or
 * program sees them.
 */
int	outbox_address_safe(const char *s);

#endif
