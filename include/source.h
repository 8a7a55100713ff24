/*
 * source.h - the mail sources: each reads raw messages from somewhere and
 * hands them to engine_ingest(), then moves or flags them only after the
 * engine has committed (SPEC §3: the database is the truth).
 */
#ifndef RR_SOURCE_H
#define RR_SOURCE_H

#include <stddef.h>

#include "imap.h"

struct config;
struct engine;

/*
 * Ensure the processed and quarantine folders exist. IMAP_OK, or an error
 * with *cause set.
 */
enum imap_error	imapsrc_prepare(struct imap *, const struct config *,
		    char **cause);

/*
 * Handle everything in the selected folder: messages already in the
 * ledger are only moved; new ones are fetched (BODY.PEEK[]; headers only
 * when over max_message_size), ingested, then moved. *handled counts the
 * messages ingested. progress, unless NULL, is called with arg once the
 * folder's messages are counted (done 0) and after each message (done
 * 1..total), so that a caller can show a long backlog moving and ping a
 * watchdog between messages; each IMAP call in between is bounded by the
 * session timeout. Returns IMAP_OK, or an error with *cause set: the
 * session is then dead on IMAP_ENET/ETLS, and a store failure stops the
 * scan with IMAP_ENO (the message stays in the folder for the next scan).
 */
enum imap_error	imapsrc_scan(struct imap *, struct engine *,
		    const struct config *, long long now,
		    void (*progress)(void *arg, size_t done, size_t total),
		    void *arg, size_t *handled, char **cause);

/*
 * The session parameters of the configured IMAP mailbox, borrowed from
 * cfg; the secret is left NULL for the caller.
 */
void		 imapsrc_params(const struct config *, struct imap_params *);

/* The ledger's name for the configured IMAP folder: "imap:user@host/folder". */
char		*imapsrc_mailbox_key(const struct config *);

/*
 * Maildir: ingest every file in new/ and cur/ without the 'S' ... flag we
 * set, then rename it into cur/ with ":2,S" after the commit. Returns the
 * number ingested, or -1 with *cause set.
 */
int		maildir_scan(const char *maildir, struct engine *,
		    long long now, size_t max_size, char **cause);

#endif
