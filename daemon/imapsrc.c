/*
 * imapsrc.c - the IMAP mail source: scan the folder by UID, ingest, and
 * only then move each message out of the way.
 *
 * Everything still in the watched folder is either new or was handled but
 * not yet moved (a kill between the commit and the MOVE): the ledger tells
 * which, so a message is never handled twice and never moved before its
 * row is committed. After a UIDVALIDITY change the old UIDs mean nothing;
 * the engine then recognises handled messages by their SHA-256.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "source.h"
#include "xmalloc.h"

char *
imapsrc_mailbox_key(const struct config *cfg)
{
	char	*key;

	xasprintf(&key, "imap:%s@%s/%s", cfg->mailbox.user, cfg->mailbox.host,
	    cfg->mailbox.folder);
	return key;
}

enum imap_error
imapsrc_prepare(struct imap *im, const struct config *cfg, char **cause)
{
	enum imap_error	 e;
	char		*name;

	name = imap_folder_name(im, cfg->mailbox.processed_folder);
	e = imap_ensure_folder(im, name, cause);
	free(name);
	if (e != IMAP_OK)
		return e;
	name = imap_folder_name(im, cfg->mailbox.quarantine_folder);
	e = imap_ensure_folder(im, name, cause);
	free(name);
	return e;
}

/* Fetch and ingest one new message. */
static enum imap_error
ingest_uid(struct imap *im, struct engine *eng, const struct config *cfg,
    const struct ingest_key *k, long long now, struct ingest_outcome *out,
    char **cause)
{
	enum imap_error	 e;
	uint32_t	 size;
	size_t		 len;
	char		*data = NULL, *why = NULL;
	int		 r;

	if ((e = imap_size(im, k->uid, &size, cause)) != IMAP_OK)
		return e;
	if (size > cfg->limits.max_message_size) {
		/* Quarantined without being downloaded whole (P9). */
		if ((e = imap_fetch_header(im, k->uid, &data, &len, cause)) !=
		    IMAP_OK)
			return e;
		r = engine_ingest_oversize(eng, data, len, size, k, now, out,
		    &why);
	} else {
		if ((e = imap_fetch(im, k->uid, &data, &len, cause)) !=
		    IMAP_OK)
			return e;
		r = engine_ingest(eng, data, len, k, now, out, &why);
	}
	free(data);
	if (r != 0) {
		xasprintf(cause, "store: %s", why);
		free(why);
		return IMAP_ENO;
	}
	return IMAP_OK;
}

enum imap_error
imapsrc_scan(struct imap *im, struct engine *eng, const struct config *cfg,
    long long now, void (*progress)(void *, size_t, size_t), void *arg,
    size_t *handled, char **cause)
{
	struct ingest_outcome	 out;
	struct ingest_key	 k;
	enum imap_error		 e = IMAP_OK;
	uint32_t		*uids = NULL, uv, stored_uv, last, highest = 0;
	size_t			 n, i;
	char			*mailbox, *folder, *why = NULL;
	int			 seen, moved, quarantined;

	*handled = 0;
	mailbox = imapsrc_mailbox_key(cfg);
	uv = imap_uidvalidity(im);
	if (engine_mailbox_state(eng, mailbox, &stored_uv, &last, &why) != 0) {
		xasprintf(cause, "store: %s", why);
		free(why);
		free(mailbox);
		return IMAP_ENO;
	}
	if (stored_uv != 0 && stored_uv != uv)
		log_warnx("mailbox: UIDVALIDITY changed from %u to %u; "
		    "messages already handled are recognised by SHA-256 and "
		    "not processed again", stored_uv, uv);

	/* The folder holds only what is not yet moved: read it all. */
	if ((e = imap_uids_from(im, 1, &uids, &n, cause)) != IMAP_OK)
		goto out;
	if (progress != NULL)
		progress(arg, 0, n);
	memset(&k, 0, sizeof k);
	k.mailbox = mailbox;
	k.uidvalidity = uv;
	for (i = 0; i < n; i++) {
		k.uid = uids[i];
		if (uids[i] > highest)
			highest = uids[i];
		seen = engine_ledger_seen(eng, &k, &moved, &quarantined, &why);
		if (seen < 0) {
			xasprintf(cause, "store: %s", why);
			free(why);
			e = IMAP_ENO;
			goto out;
		}
		if (seen == 0) {
			e = ingest_uid(im, eng, cfg, &k, now, &out, cause);
			if (e != IMAP_OK)
				goto out;
			quarantined = out.quarantined;
			if (out.result == INGEST_DONE)
				(*handled)++;
		}
		folder = imap_folder_name(im, quarantined ?
		    cfg->mailbox.quarantine_folder :
		    cfg->mailbox.processed_folder);
		e = imap_move(im, k.uid, folder, cause);
		free(folder);
		if (e != IMAP_OK)
			goto out;
		if (engine_ledger_moved(eng, &k, now, &why) != 0) {
			/* The move happened; only the note of it is lost. */
			log_warnx("mailbox: %s", why);
			free(why);
			why = NULL;
		}
		/* A long backlog is work, not a hang: tell the caller. */
		if (progress != NULL)
			progress(arg, i + 1, n);
	}
	if (engine_mailbox_state_set(eng, mailbox, uv, highest > last ?
	    highest : last, &why) != 0) {
		log_warnx("mailbox: %s", why);
		free(why);
	}
out:
	free(uids);
	free(mailbox);
	return e;
}

void
imapsrc_params(const struct config *c, struct imap_params *p)
{
	memset(p, 0, sizeof *p);
	p->host = c->mailbox.host;
	p->port = c->mailbox.port;
	p->implicit_tls = c->mailbox.kind == MAILBOX_IMAPS;
	p->tls = c->mailbox.tls;
	p->folder = c->mailbox.folder;
	p->user = c->mailbox.user;
	p->auth = c->mailbox.auth;
	p->ca_file = c->mailbox.ca_file;
	p->timeout = c->mailbox.timeout_seconds;
}
