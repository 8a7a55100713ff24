/*
 * engine.h - the core: every mail source hands each raw message to
 * engine_ingest(), which decides what it is and records its effects in one
 * SQLite transaction. Sources move or flag the message only after it
 * returns INGEST_DONE or INGEST_DUPLICATE. The engine has no clock and no
 * network of its own: `now` is always a parameter.
 */
#ifndef RR_ENGINE_H
#define RR_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "token.h"

struct calendar;
struct config;
struct store;

struct engine;

/*
 * A new engine over a config, store and calendar, which it borrows (the
 * caller keeps them alive and may swap them with engine_set_config after a
 * reload). key is the reply-token key, copied.
 */
struct engine	*engine_new(const struct config *, struct store *,
		    const struct calendar *,
		    const unsigned char key[TOKEN_KEY_LEN]);
void		 engine_free(struct engine *);
void		 engine_set_config(struct engine *, const struct config *,
		    const struct calendar *);

/* Where a message came from: the ledger's key. */
struct ingest_key {
	const char	*mailbox;	/* "imap:user@host/INBOX", "maildir:..", "stdin" */
	uint32_t	 uidvalidity;	/* IMAP only; 0 elsewhere */
	uint32_t	 uid;		/* IMAP only; 0 elsewhere */
	const char	*name;		/* Maildir file or path; NULL for IMAP/stdin */
};

enum ingest_result {
	INGEST_DONE,		/* handled and committed */
	INGEST_DUPLICATE,	/* seen before (key, or Message-ID + SHA-256) */
	INGEST_TEMPFAIL,	/* nothing committed; try again later */
};

struct ingest_outcome {
	enum ingest_result	 result;
	enum msg_kind		 kind;
	int			 quarantined;	/* move to the quarantine folder */
	int64_t			 message_row;	/* messages.id, 0 if none */
};

/*
 * Ingest one message. Bad input is never an error here: a message over a
 * limit or that cannot be parsed is stored, quarantined and alerted
 * (outcome->quarantined = 1). Returns 0 with *out filled, or -1 with *cause
 * set (caller frees) when the store failed; then nothing was committed
 * and out->result is INGEST_TEMPFAIL.
 */
int	engine_ingest(struct engine *, const char *raw, size_t len,
	    const struct ingest_key *, long long now,
	    struct ingest_outcome *out, char **cause);

/*
 * A message the source refused to download (over max_message_size): the
 * headers alone are stored, quarantined and alerted. Same contract as
 * engine_ingest.
 */
int	engine_ingest_oversize(struct engine *, const char *headers,
	    size_t len, uint64_t size, const struct ingest_key *,
	    long long now, struct ingest_outcome *out, char **cause);

/*
 * 1 when the ledger already holds key (processed or duplicate), with
 * *moved set when the source already moved it; 0 when not; -1 on error.
 */
int	engine_ledger_seen(struct engine *, const struct ingest_key *,
	    int *moved, int *quarantined, char **cause);

/* Record that the source moved or flagged the message. */
int	engine_ledger_moved(struct engine *, const struct ingest_key *,
	    long long now, char **cause);

/* The mailbox ledger's per-folder state (store_mailbox_state_get/set). */
int	engine_mailbox_state(struct engine *, const char *mailbox,
	    uint32_t *uidvalidity, uint32_t *last_uid, char **cause);
int	engine_mailbox_state_set(struct engine *, const char *mailbox,
	    uint32_t uidvalidity, uint32_t last_uid, char **cause);

/*
 * Everything engine_ingest would decide about raw, without storing:
 * the parsed message (caller frees with mime_message_free) and its
 * classification (caller clears). For `rapidreviewctl inspect`.
 * Returns 0, or -1 with *cause when the message is refused (limits).
 */
int	engine_inspect(struct engine *, const char *raw, size_t len,
	    struct mime_message **msg, struct classification *cls,
	    char **cause);

#endif
