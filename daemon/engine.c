/*
 * engine.c - engine_ingest(): one message, one transaction.
 *
 * Order inside the transaction: ledger check, duplicate check by SHA-256,
 * parse (limits), classify, store the message and its attachments, the
 * kind's effects, the audit row, the ledger row. Only then does the source
 * move the message, so a kill at any moment either leaves nothing (the
 * message is read again) or leaves the ledger row (it is only moved).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sqlite3.h>

#include "calendar.h"
#include "cases.h"
#include "classify.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "engine.h"
#include "log.h"
#include "mime.h"
#include "store.h"
#include "xmalloc.h"

static int	db_link_case(struct store *, int64_t, const char *, char **);
static int	act_on(struct engine *, const struct case_env *,
		    const struct classification *, const struct mime_message *,
		    int64_t, long long, char **);

struct engine {
	const struct config	*cfg;
	struct store		*store;
	const struct calendar	*cal;
	unsigned char		 key[TOKEN_KEY_LEN];
	struct mime_limits	 limits;
};

static void
limits_from_config(struct mime_limits *l, const struct config *cfg)
{
	mime_limits_default(l);
	l->max_message_size = cfg->limits.max_message_size;
	l->max_attachment_size = cfg->limits.max_attachment_size;
	l->max_depth = cfg->limits.max_mime_depth;
	l->max_parts = cfg->limits.max_mime_parts;
	l->max_headers = cfg->limits.max_headers;
}

struct engine *
engine_new(const struct config *cfg, struct store *store,
    const struct calendar *cal, const unsigned char key[TOKEN_KEY_LEN])
{
	struct engine	*e;

	e = xcalloc(1, sizeof *e);
	e->store = store;
	memcpy(e->key, key, TOKEN_KEY_LEN);
	engine_set_config(e, cfg, cal);
	return e;
}

void
engine_set_config(struct engine *e, const struct config *cfg,
    const struct calendar *cal)
{
	e->cfg = cfg;
	e->cal = cal;
	limits_from_config(&e->limits, cfg);
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	explicit_bzero(e->key, sizeof e->key);
	free(e);
}

static void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char	digest[32];
	size_t		i;

	gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, digest);
	for (i = 0; i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", digest[i]);
}

/* --- the store lookups classify.c asks through its callbacks --- */

static int
lookup_exists(struct engine *e, const char *sql, const char *arg)
{
	long long	 one;
	char		*cause = NULL;
	int		 r;

	if ((r = db_get_int64(e->store, &one, &cause, sql, "t", arg)) < 0) {
		log_warnx("engine: %s", cause);
		free(cause);
		return 0;
	}
	return r;
}

static int
cb_is_our_message(void *arg, const char *msgid)
{
	return lookup_exists(arg, "SELECT 1 FROM messages WHERE "
	    "direction = 'out' AND msgid = ?", msgid);
}

static int
cb_case_exists(void *arg, const char *ref)
{
	return lookup_exists(arg, "SELECT 1 FROM cases WHERE ref = ?", ref);
}

static int
cb_thread_of(void *arg, const char *msgid, char **ref, char **agency)
{
	struct engine	*e = arg;
	sqlite3_stmt	*st;
	char		*cause = NULL;
	int		 found = 0;

	st = db_query(e->store, &cause, "SELECT c.ref, m.agency FROM messages "
	    "m JOIN cases c ON c.id = m.case_id WHERE m.direction = 'out' AND "
	    "m.msgid = ?", "t", msgid);
	if (st == NULL) {
		log_warnx("engine: %s", cause);
		free(cause);
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ref = xstrdup((const char *)sqlite3_column_text(st, 0));
		*agency = sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL :
		    xstrdup((const char *)sqlite3_column_text(st, 1));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

static void
classify_env_init(struct engine *e, struct classify_env *env)
{
	memset(env, 0, sizeof *env);
	env->cfg = e->cfg;
	env->token_key = e->key;
	env->is_our_message = cb_is_our_message;
	env->thread_of = cb_thread_of;
	env->case_exists = cb_case_exists;
	env->arg = e;
}

/* --- ledger --- */

/*
 * The ledger's key: IMAP by (uidvalidity, uid), the other sources by
 * name. Parameters: ?1 mailbox, ?2 name, ?3 uidvalidity, ?4 uid.
 */
static const char *
ledger_where(const struct ingest_key *k)
{
	if (k->name != NULL)
		return "mailbox = ?1 AND name = ?2";
	return "mailbox = ?1 AND uidvalidity = ?3 AND uid = ?4";
}

int
engine_ledger_seen(struct engine *e, const struct ingest_key *k, int *moved,
    int *quarantined, char **cause)
{
	sqlite3_stmt	*st;
	char		*sql;
	int		 rc;

	/* stdin has no key of its own: only content can tell. */
	if (k->name == NULL && k->uid == 0)
		return 0;
	xasprintf(&sql, "SELECT l.moved_at IS NOT NULL, q.id IS NOT NULL "
	    "FROM mailbox_ledger l LEFT JOIN quarantine q ON "
	    "q.message_id = l.message_id WHERE %s", ledger_where(k));
	st = db_query(e->store, cause, sql, "ttll", k->mailbox, k->name,
	    (long long)k->uidvalidity, (long long)k->uid);
	free(sql);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*moved = sqlite3_column_int(st, 0);
		*quarantined = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		xasprintf(cause, "%s", sqlite3_errmsg(store_db(e->store)));
		return -1;
	}
	return rc == SQLITE_ROW;
}

int
engine_ledger_moved(struct engine *e, const struct ingest_key *k,
    long long now, char **cause)
{
	char	*sql;
	int	 rc;

	xasprintf(&sql, "UPDATE mailbox_ledger SET moved_at = ?5 WHERE %s",
	    ledger_where(k));
	rc = db_exec(e->store, cause, sql, "ttlll", k->mailbox, k->name,
	    (long long)k->uidvalidity, (long long)k->uid, now);
	free(sql);
	return rc;
}

static int
ledger_insert(struct engine *e, const struct ingest_key *k, const char *msgid,
    const char *sha, int64_t message_row, const char *state,
    const char *detail, long long now, char **cause)
{
	int	imap = k->name == NULL && k->uid != 0;

	/* NULL where a field does not apply: uid for files, row for none. */
	return db_exec(e->store, cause, "INSERT INTO mailbox_ledger (mailbox, "
	    "uidvalidity, uid, name, msgid, sha256, message_id, state, detail, "
	    "processed_at) VALUES (?, CASE WHEN ? THEN ? END, CASE WHEN ? THEN "
	    "? END, ?, ?, ?, nullif(?, 0), ?, ?, ?)", "tililtttlttl",
	    k->mailbox, imap, (long long)k->uidvalidity, imap,
	    (long long)k->uid, k->name, msgid, sha, (long long)message_row,
	    state, detail, now);
}

/* --- effects --- */

static int
alert_insert(struct engine *e, const char *kind, const char *case_ref,
    int64_t message_row, const char *detail, long long now, char **cause)
{
	return db_exec(e->store, cause, "INSERT INTO alerts (kind, case_ref, "
	    "message_id, detail, created_at) VALUES (?, ?, nullif(?, 0), ?, ?)",
	    "ttltl", kind, case_ref, (long long)message_row, detail, now);
}

static int
quarantine_insert(struct engine *e, int64_t message_row, const char *reason,
    long long now, char **cause)
{
	return db_exec(e->store, cause, "INSERT INTO quarantine (message_id, "
	    "reason, created_at) VALUES (?, ?, ?)", "ltl",
	    (long long)message_row, reason, now);
}

static char *
join_references(const struct mime_message *m)
{
	char	*out = NULL, *next;
	size_t	 i;

	for (i = 0; i < m->n_references; i++) {
		if (out == NULL)
			out = xstrdup(m->references[i]);
		else {
			xasprintf(&next, "%s %s", out, m->references[i]);
			free(out);
			out = next;
		}
	}
	return out;
}

/* The messages row: raw bytes kept, whatever the message turned out to be. */
static int
message_insert(struct engine *e, const char *raw, size_t len,
    uint64_t size, const char *sha, const struct mime_message *m,
    const char *kind, const char *case_ref, const char *agency,
    long long now, int64_t *row, char **cause)
{
	char	*refs = m != NULL ? join_references(m) : NULL;
	int	 rc;

	rc = db_exec(e->store, cause, "INSERT INTO messages (direction, "
	    "case_id, agency, kind, msgid, in_reply_to, refs, sender, subject, "
	    "raw, sha256, size, received_at) VALUES ('in', (SELECT id FROM "
	    "cases WHERE ref = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "ttttttttbtll", case_ref, agency, kind,
	    m != NULL ? m->message_id : NULL, m != NULL ? m->in_reply_to : NULL,
	    refs, m != NULL ? m->from.addr : NULL,
	    m != NULL ? m->subject : NULL, (const void *)raw, len, sha,
	    (long long)size, now);
	free(refs);
	if (rc != 0)
		return -1;
	*row = sqlite3_last_insert_rowid(store_db(e->store));
	return 0;
}

static int
attachments_insert(struct engine *e, int64_t row, const struct mime_message *m,
    char **cause)
{
	const struct mime_part	*p;
	size_t			 i;

	for (i = 0; i < m->n_parts; i++) {
		p = &m->parts[i];
		if (!p->is_attachment || p->data == NULL)
			continue;
		if (db_exec(e->store, cause, "INSERT INTO attachments "
		    "(message_id, part, filename, content_type, size, sha256, "
		    "data) VALUES (?, ?, ?, ?, ?, ?, ?)", "llttltb",
		    (long long)row, (long long)i, p->filename, p->content_type,
		    (long long)p->len, p->sha256, (const void *)p->data,
		    p->len) != 0)
			return -1;
	}
	return 0;
}

/* An out-of-office reply to a request: noted, told in the digest. */
static int
note_out_of_office(struct engine *e, const struct classification *c,
    int64_t row, long long now, char **cause)
{
	if (c->case_ref == NULL || c->agency == NULL)
		return 0;
	if (db_exec(e->store, cause, "UPDATE requests SET out_of_office = 1, "
	    "out_of_office_at = ? WHERE agency = ? AND case_id = (SELECT id "
	    "FROM cases WHERE ref = ?)", "ltt", now, c->agency,
	    c->case_ref) != 0)
		return -1;
	return db_exec(e->store, cause, "INSERT INTO notes (case_id, "
	    "request_id, message_id, kind, created_at) SELECT c.id, r.id, ?, "
	    "'out-of-office', ? FROM cases c LEFT JOIN requests r ON "
	    "r.case_id = c.id AND r.agency = ? WHERE c.ref = ?", "lltt",
	    (long long)row, now, c->agency, c->case_ref);
}

/* A bounce: tie each failed recipient back to the mail we sent. */
static int
record_bounce(struct engine *e, const struct mime_message *m, int64_t row,
    long long now, char **cause)
{
	const struct mime_dsn	*d;
	size_t			 i;
	int			 permanent;

	for (i = 0; i < m->n_dsn; i++) {
		d = &m->dsn[i];
		if (d->recipient == NULL)
			continue;
		permanent = (d->status != NULL && d->status[0] == '5') ||
		    (d->action != NULL && strcasecmp(d->action, "failed") == 0);
		if (m->dsn_original_message_id != NULL &&
		    db_exec(e->store, cause, "UPDATE outbox SET bounce_status = "
		    "?, bounced_at = ? WHERE lower(recipient) = lower(?) AND "
		    "message_id IN (SELECT id FROM messages WHERE direction = "
		    "'out' AND msgid = ?)", "tltt", d->status != NULL ?
		    d->status : d->action, now, d->recipient,
		    m->dsn_original_message_id) != 0)
			return -1;
		if (permanent && alert_insert(e, "bounce", NULL, row,
		    "permanent delivery failure", now, cause) != 0)
			return -1;
	}
	return 0;
}

static int
audit_message(struct engine *e, long long now, const char *action,
    const char *case_ref, const struct mime_message *m, const char *reason,
    char **cause)
{
	char	*detail;
	int	 rc;

	/* Message-IDs and reasons only: never subjects, names or bodies. */
	xasprintf(&detail, "msgid=%s%s%s", m != NULL && m->message_id != NULL ?
	    m->message_id : "-", reason != NULL ? "; " : "",
	    reason != NULL ? reason : "");
	rc = store_audit(e->store, (time_t)now, "daemon", action, case_ref,
	    detail, cause);
	free(detail);
	return rc;
}

/* Refused by the parser's limits: keep the bytes, quarantine, alert. */
static int
ingest_refused(struct engine *e, const char *raw, size_t len, uint64_t size,
    const char *sha, const char *reason, const struct ingest_key *k,
    long long now, struct ingest_outcome *out, char **cause)
{
	int64_t	row;

	if (message_insert(e, raw, len, size, sha, NULL, "refused", NULL, NULL,
	    now, &row, cause) != 0 ||
	    quarantine_insert(e, row, reason, now, cause) != 0 ||
	    alert_insert(e, "refused", NULL, row, reason, now, cause) != 0 ||
	    audit_message(e, now, "message.refused", NULL, NULL, reason,
	    cause) != 0 ||
	    ledger_insert(e, k, NULL, sha, row, "processed", reason, now,
	    cause) != 0)
		return -1;
	out->kind = KIND_QUARANTINE;
	out->quarantined = 1;
	out->message_row = row;
	log_info("message refused and quarantined: %s", reason);
	return 0;
}

static int
ingest_classified(struct engine *e, const char *raw, size_t len,
    const char *sha, const struct mime_message *m, const struct ingest_key *k,
    long long now, struct ingest_outcome *out, char **cause)
{
	struct classify_env	env;
	struct classification	c;
	struct case_env		cenv = { e->store, e->cfg, e->cal, e->key };
	char			action[64];
	int64_t			row;
	int			rc = -1;

	classify_env_init(e, &env);
	classify_message(m, &env, &c);
	if (message_insert(e, raw, len, len, sha, m,
	    classify_kind_name(c.kind), c.case_ref, c.agency, now, &row,
	    cause) != 0 || attachments_insert(e, row, m, cause) != 0)
		goto out;

	switch (c.kind) {
	case KIND_AUTO:
		if (c.out_of_office &&
		    note_out_of_office(e, &c, row, now, cause) != 0)
			goto out;
		break;
	case KIND_BOUNCE:
		if (record_bounce(e, m, row, now, cause) != 0)
			goto out;
		break;
	case KIND_QUARANTINE:
		if (quarantine_insert(e, row, c.reason, now, cause) != 0)
			goto out;
		if (c.alert && alert_insert(e, "quarantine", c.case_ref, row,
		    c.reason, now, cause) != 0)
			goto out;
		out->quarantined = 1;
		break;
	case KIND_SIN:
	case KIND_REPLY:
	case KIND_COMMAND:
		switch (act_on(e, &cenv, &c, m, row, now, cause)) {
		case 0:
			break;
		case 1:		/* refused: quarantined instead */
			out->quarantined = 1;
			break;
		default:
			goto out;
		}
		break;
	default:
		/* Loops are only recorded; commands are stored here and
		 * acted on by their handler. */
		break;
	}
	snprintf(action, sizeof action, "message.%s",
	    classify_kind_name(c.kind));
	if (audit_message(e, now, action, c.case_ref, m, c.reason, cause) != 0 ||
	    ledger_insert(e, k, m->message_id, sha, row, "processed", NULL,
	    now, cause) != 0)
		goto out;
	out->kind = c.kind;
	out->message_row = row;
	log_info("message %s: %s%s%s", m->message_id != NULL ?
	    m->message_id : "(no Message-ID)", classify_kind_name(c.kind),
	    c.case_ref != NULL ? " " : "", c.case_ref != NULL ? c.case_ref : "");
	rc = 0;
out:
	classification_clear(&c);
	return rc;
}

/* Tie a stored message to a case found after it was stored. */
static int
db_link_case(struct store *st, int64_t row, const char *ref, char **cause)
{
	return db_exec(st, cause, "UPDATE messages SET case_id = (SELECT id "
	    "FROM cases WHERE ref = ?) WHERE id = ?", "tl", ref, (long long)row);
}

/* An administrator's command message: run it, answer with the transcript. */
static int
run_commands(const struct case_env *cenv, const struct mime_message *m,
    int64_t row, long long now, char **cause)
{
	struct command_transcript	 t;
	char				*thread = NULL;
	int				 rc;

	if (commands_run(cenv, m->from.addr, m->new_text != NULL ?
	    m->new_text : m->text != NULL ? m->text : "", now, &t, cause) != 0)
		return -1;
	if (m->message_id != NULL)
		xasprintf(&thread, "<%s>", m->message_id);
	rc = commands_send_transcript(cenv, &t, m->from.addr, thread, row, now,
	    cause);
	if (rc == 0 && t.case_ref != NULL)
		rc = db_link_case(cenv->store, row, t.case_ref, cause);
	free(thread);
	command_transcript_clear(&t);
	return rc;
}

/* Run the handler of a SIN, a reply or a command message. */
static int
handle(struct engine *e, const struct case_env *cenv,
    const struct classification *c, const struct mime_message *m,
    int64_t row, long long now, char **cause)
{
	char	*ref = NULL;
	int	 rc;

	if (c->kind == KIND_REPLY)
		return case_record_reply(cenv, c->case_ref, c->agency, m, row,
		    now, cause);
	if (c->kind == KIND_COMMAND)
		return run_commands(cenv, m, row, now, cause);
	if (c->case_ref != NULL)
		return 0;	/* a follow-up to a case's notification */
	if (case_open_from_sin(cenv, m, row, now, &ref, cause) != 0)
		return -1;
	/* The SIN belongs to the case it opened. */
	rc = ref != NULL ? db_link_case(e->store, row, ref, cause) : 0;
	free(ref);
	return rc;
}

/*
 * Act on a SIN or a reply inside a savepoint. When the handler refuses the
 * input (a CR/LF that would reach a header, a broken template), its
 * effects are undone and the message is quarantined and alerted instead
 * of being retried for ever. Returns 0 handled, 1 quarantined, -1 the
 * store failed.
 */
static int
act_on(struct engine *e, const struct case_env *cenv,
    const struct classification *c, const struct mime_message *m,
    int64_t row, long long now, char **cause)
{
	char	*why = NULL, *reason;
	int	 rc;

	if (store_exec(e->store, "SAVEPOINT handler", cause) != 0)
		return -1;
	if (handle(e, cenv, c, m, row, now, &why) == 0)
		return store_exec(e->store, "RELEASE handler", cause) == 0 ?
		    0 : -1;
	if (store_exec(e->store, "ROLLBACK TO handler", cause) != 0 ||
	    store_exec(e->store, "RELEASE handler", cause) != 0) {
		free(why);
		return -1;
	}
	log_warnx("message %s: could not be acted on: %s", m->message_id !=
	    NULL ? m->message_id : "(no Message-ID)", why);
	xasprintf(&reason, "could not be acted on: %s", why);
	free(why);
	rc = quarantine_insert(e, row, reason, now, cause) == 0 &&
	    alert_insert(e, "refused", c->case_ref, row, reason, now,
	    cause) == 0 ? 1 : -1;
	free(reason);
	return rc;
}

/* Seen before with the same bytes: record the key, change nothing. */
static int
find_duplicate(struct engine *e, const char *sha, int64_t *row, char **cause)
{
	long long	id = 0;
	int		r;

	r = db_get_int64(e->store, &id, cause, "SELECT id FROM messages WHERE "
	    "direction = 'in' AND sha256 = ? ORDER BY id LIMIT 1", "t", sha);
	*row = r == 1 ? id : 0;
	return r;
}

int
engine_ingest(struct engine *e, const char *raw, size_t len,
    const struct ingest_key *k, long long now, struct ingest_outcome *out,
    char **cause)
{
	struct mime_message	*m = NULL;
	enum mime_error		 merr;
	char			 sha[65], *why = NULL;
	int64_t			 dup;
	int			 moved, quarantined, r;

	memset(out, 0, sizeof *out);
	out->result = INGEST_TEMPFAIL;
	if (store_begin(e->store, cause) != 0)
		return -1;
	r = engine_ledger_seen(e, k, &moved, &quarantined, cause);
	if (r < 0)
		goto fail;
	if (r == 1) {
		store_rollback(e->store);
		out->result = INGEST_DUPLICATE;
		out->quarantined = quarantined;
		return 0;
	}
	sha256_hex(raw, len, sha);
	if ((r = find_duplicate(e, sha, &dup, cause)) < 0)
		goto fail;
	if (r == 1) {
		if (ledger_insert(e, k, NULL, sha, dup, "duplicate", NULL, now,
		    cause) != 0)
			goto fail;
		if (store_commit(e->store, cause) != 0)
			return -1;
		log_info("message already recorded (same SHA-256); not "
		    "processed again");
		out->result = INGEST_DUPLICATE;
		out->message_row = dup;
		return 0;
	}

	merr = mime_parse(raw, len, &e->limits, &m, &why);
	if (merr != MIME_OK)
		r = ingest_refused(e, raw, len, len, sha, why, k, now, out,
		    cause);
	else
		r = ingest_classified(e, raw, len, sha, m, k, now, out, cause);
	free(why);
	mime_message_free(m);
	if (r != 0)
		goto fail;
	if (store_commit(e->store, cause) != 0)
		return -1;
	out->result = INGEST_DONE;
	return 0;
fail:
	store_rollback(e->store);
	out->result = INGEST_TEMPFAIL;
	return -1;
}

int
engine_ingest_oversize(struct engine *e, const char *headers, size_t len,
    uint64_t size, const struct ingest_key *k, long long now,
    struct ingest_outcome *out, char **cause)
{
	char	sha[65], *reason;
	int	moved, quarantined, r;

	memset(out, 0, sizeof *out);
	out->result = INGEST_TEMPFAIL;
	if (store_begin(e->store, cause) != 0)
		return -1;
	if ((r = engine_ledger_seen(e, k, &moved, &quarantined, cause)) < 0)
		goto fail;
	if (r == 1) {
		store_rollback(e->store);
		out->result = INGEST_DUPLICATE;
		out->quarantined = quarantined;
		return 0;
	}
	sha256_hex(headers, len, sha);
	xasprintf(&reason, "message of %llu bytes is over max_message_size "
	    "(%llu); only its headers were read", (unsigned long long)size,
	    (unsigned long long)e->cfg->limits.max_message_size);
	r = ingest_refused(e, headers, len, size, sha, reason, k, now, out,
	    cause);
	free(reason);
	if (r != 0)
		goto fail;
	if (store_commit(e->store, cause) != 0)
		return -1;
	out->result = INGEST_DONE;
	return 0;
fail:
	store_rollback(e->store);
	return -1;
}

int
engine_inspect(struct engine *e, const char *raw, size_t len,
    struct mime_message **msg, struct classification *cls, char **cause)
{
	struct classify_env	env;

	memset(cls, 0, sizeof *cls);
	if (mime_parse(raw, len, &e->limits, msg, cause) != MIME_OK)
		return -1;
	classify_env_init(e, &env);
	classify_message(*msg, &env, cls);
	return 0;
}

int
engine_mailbox_state(struct engine *e, const char *mailbox,
    uint32_t *uidvalidity, uint32_t *last_uid, char **cause)
{
	return store_mailbox_state_get(e->store, mailbox, uidvalidity,
	    last_uid, cause);
}

int
engine_mailbox_state_set(struct engine *e, const char *mailbox,
    uint32_t uidvalidity, uint32_t last_uid, char **cause)
{
	return store_mailbox_state_set(e->store, mailbox, uidvalidity,
	    last_uid, cause);
}
