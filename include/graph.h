/*
 * graph.h - Microsoft Graph v1.0 as the mailbox and as the sender, for
 * tenants that switch IMAP and SMTP off (SPEC §7.1).
 *
 * Every request goes over libcurl with the certificate and host name
 * verified ([oauth] ca_file, else the system's trust store), carries the
 * access token from oauth.h in an Authorization header (never in a URL,
 * a log or an error text) and Prefer: IdType="ImmutableId", so that a
 * message keeps its id when it is moved. A 401 drops the token
 * (oauth_invalidate) and retries once with a new one. 429 and 503 are
 * retried after their Retry-After (capped; a few times), then reported as
 * GRAPH_ENET. Answers are read with json-c under a size cap.
 */
#ifndef RR_GRAPH_H
#define RR_GRAPH_H

#include <stddef.h>

struct config;
struct engine;
struct mail_sink;
struct oauth;
struct graph;

enum graph_error {
	GRAPH_OK = 0,
	GRAPH_ENET,	/* connect, TLS, timeout, 5xx, throttled: retry later */
	GRAPH_EAUTH,	/* no token, or 401/403 after a fresh token */
	GRAPH_ENO,	/* the service refused one request (4xx) */
};

/*
 * A Graph client for mailbox (the user principal name or id) at base
 * (cfg->oauth.graph_url), using auth for tokens (borrowed: it must
 * outlive the client). Returns NULL with *cause set on a setup failure.
 */
struct graph	*graph_new(const struct config *cfg, const char *mailbox,
		    struct oauth *auth, char **cause);
void		 graph_free(struct graph *);

/*
 * The ledger's name for the configured Graph folder:
 * "graph:MAILBOX/FOLDER". Caller frees.
 */
char		*graphsrc_mailbox_key(const struct config *);

/*
 * Ensure the processed and quarantine folders exist (created if missing,
 * '/' in the INI's names separating levels) and learn their ids.
 */
enum graph_error graphsrc_prepare(struct graph *, const struct config *,
		    char **cause);

/*
 * One pass over the configured folder with a delta query (the first pass
 * after graph_new lists the whole folder; later passes only what changed,
 * from the deltaLink held in memory). For each message still in the
 * folder: when the ledger (keyed by the immutable id in
 * ingest_key.name) already holds it, only move it; else fetch its MIME
 * ($value, refused over max_message_size as IMAP does), ingest it, and
 * move it to the processed or quarantine folder only after the commit.
 * Same progress and *handled contract as imapsrc_scan (source.h).
 * A store failure stops the scan with GRAPH_ENO.
 */
enum graph_error graphsrc_scan(struct graph *, struct engine *,
		    const struct config *, long long now,
		    void (*progress)(void *arg, size_t done, size_t total),
		    void *arg, size_t *handled, char **cause);

/*
 * A mail sink (outbox.h) that sends each message's MIME with POST
 * /users/MAILBOX/sendMail (base64 body, text/plain), for cfg->smtp.kind
 * SMTP_GRAPH. 202 is SINK_SENT; 400 (a message Graph will not take) is
 * SINK_PERMANENT; network, 401 after a fresh token, 403, 429 and 5xx are
 * SINK_TEMPORARY. Graph takes the recipients from the MIME's To, Cc and
 * Bcc headers, not from an envelope, while the outbox has one row per
 * recipient. So: the row for the first header recipient (To, then Cc)
 * sends the message as it is; a row for any other header recipient is
 * reported SINK_SENT without a request (the first row's send carries it;
 * a first row that fails only for a while is sent again, and delivers to
 * all); a recipient not in the headers gets a copy whose To, Cc and Bcc
 * are replaced by a Bcc to that recipient alone.
 */
struct mail_sink *graph_sink_new(const struct config *cfg,
		    struct oauth *auth, char **cause);
void		 graph_sink_free(struct mail_sink *);

#endif
