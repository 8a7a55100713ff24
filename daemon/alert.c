/*
 * alert.c - pending alerts become mail to the business manager.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "alert.h"
#include "config.h"
#include "log.h"
#include "mailer.h"
#include "store.h"
#include "template.h"
#include "xmalloc.h"

#define ALERT_BATCH		100

static const struct {
	const char	*kind;
	const char	*text;
	const char	*advice;
} kinds[] = {
	{ "quarantine", "a message was quarantined",
	    "It came from a sender who is not allowed to write for the "
	    "agency it names, carried a reply token that does not verify, or "
	    "failed the authentication check. Check with the agency before "
	    "acting on it." },
	{ "refused", "a message was refused by the safety limits",
	    "It was larger or more deeply nested than the [limits] section "
	    "allows, or could not be read as mail at all. If it is genuine, "
	    "ask the sender to send it again in smaller parts." },
	{ "bounce", "mail from the partnership could not be delivered",
	    "The recipient's mail server refused it permanently. Check the "
	    "agency's address in the configuration." },
	{ "secure-notice", "a return was sent through a secure mail portal",
	    "The agency used Egress, NHSmail [secure] or Zix, so the mail holds "
	    "a link, not the return. Open the portal, fetch the return by "
	    "hand, and send it on to the Rapid Review mailbox as the agency's "
	    "reply (or use the reprocess command)." },
	{ "attachment-refused", "an agency's attachment was refused",
	    "It was macro-enabled, password-protected, over a limit or "
	    "unreadable. The sender has been told why and asked to send it "
	    "again; nothing from it was stored as a return." },
	{ "unrequested-return", "a return came from an agency not asked",
	    "The agency is allowed to write, but no request for this case was "
	    "sent to it. It was kept as a note on the case; use the request "
	    "command to add the agency if it should take part." },
	{ "oauth", "the mailbox cannot log in: OAuth was refused",
	    "The identity provider (Microsoft 365, NHSmail or Google) refused "
	    "the daemon's credentials, or the mail server refused its token. "
	    "Mail is neither read nor sent until this is fixed; nothing is "
	    "lost. The detail below gives the provider's words. Check the "
	    "app registration's client secret (it may have expired) and its "
	    "mailbox permissions, then run 'rapidreviewctl oauth test'." },
	{ "delivery", "mail could not be sent",
	    "Our own mail server refused it permanently. Check the [smtp] "
	    "settings and the recipient's address." },
};

const char *
alert_kind_text(const char *kind)
{
	size_t	i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].text;
	return "something needs a person";
}

static const char *
kind_advice(const char *kind)
{
	size_t	i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].advice;
	return NULL;
}

/* Tie the alert to its outbox row, so it is not mailed again. */
static int
alert_mark_mailed(struct store *st, long long id, const char *key,
    char **cause)
{
	sqlite3_stmt	*u;
	int		 r;

	if (sqlite3_prepare_v2(store_db(st), "UPDATE alerts SET outbox_id = "
	    "(SELECT min(id) FROM outbox WHERE dedupe_key = ?) WHERE id = ?",
	    -1, &u, NULL) != SQLITE_OK) {
		xasprintf(cause, "alerts: %s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	sqlite3_bind_text(u, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(u, 2, id);
	r = sqlite3_step(u);
	sqlite3_finalize(u);
	if (r != SQLITE_DONE) {
		xasprintf(cause, "alerts: %s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	return 0;
}

/* Render, compose and queue one alert. */
static int
alert_queue_one(struct store *st, const struct config *cfg, sqlite3_stmt *row,
    long long now, char **cause)
{
	struct mail_request	 req;
	struct tmpl_record	*r;
	const char		*kind, *case_ref, *detail;
	char			 when[64], key[64];
	long long		 id, qid;
	int			 queued, rc = -1;

	id = sqlite3_column_int64(row, 0);
	kind = (const char *)sqlite3_column_text(row, 1);
	case_ref = (const char *)sqlite3_column_text(row, 2);
	detail = (const char *)sqlite3_column_text(row, 3);
	qid = sqlite3_column_int64(row, 5);
	mailer_format_time(cfg, sqlite3_column_int64(row, 4), when,
	    sizeof when);

	r = tmpl_record_new();
	tmpl_record_set_string(r, "what", alert_kind_text(kind));
	tmpl_record_set_string(r, "detail", detail);
	tmpl_record_set_string(r, "when", when);
	if (qid > 0)
		tmpl_record_set_printf(r, "quarantine_id", "%lld", qid);
	if (kind_advice(kind) != NULL)
		tmpl_record_set_string(r, "advice", kind_advice(kind));

	memset(&req, 0, sizeof req);
	snprintf(key, sizeof key, "alert:%lld", id);
	req.template = "alert";
	req.case_ref = case_ref;
	req.to = (const char *const *)&cfg->partnership.business_manager;
	req.nto = 1;
	req.dedupe_key = key;
	if (mailer_queue(st, cfg, r, &req, NULL, now, NULL, &queued,
	    cause) != 0 || alert_mark_mailed(st, id, key, cause) != 0)
		goto out;
	rc = 0;
out:
	tmpl_record_free(r);
	return rc;
}

int
alert_mail_pending(struct store *st, const struct config *cfg, long long now,
    size_t *queued, char **cause)
{
	sqlite3_stmt	*q = NULL;
	int		 r;

	*queued = 0;
	if (store_begin(st, cause) != 0)
		return -1;
	if (sqlite3_prepare_v2(store_db(st), "SELECT a.id, a.kind, a.case_ref, "
	    "a.detail, a.created_at, coalesce(q.id, 0) FROM alerts a LEFT JOIN "
	    "quarantine q ON q.message_id = a.message_id WHERE a.outbox_id IS "
	    "NULL ORDER BY a.id LIMIT ?", -1, &q, NULL) != SQLITE_OK) {
		xasprintf(cause, "alerts: %s", sqlite3_errmsg(store_db(st)));
		goto fail;
	}
	sqlite3_bind_int(q, 1, ALERT_BATCH);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if (alert_queue_one(st, cfg, q, now, cause) != 0)
			goto fail;
		(*queued)++;
	}
	if (r != SQLITE_DONE) {
		xasprintf(cause, "alerts: %s", sqlite3_errmsg(store_db(st)));
		goto fail;
	}
	sqlite3_finalize(q);
	if (store_commit(st, cause) != 0) {
		*queued = 0;
		return -1;
	}
	return 0;
fail:
	sqlite3_finalize(q);
	store_rollback(st);
	*queued = 0;
	return -1;
}
