/*
 * outbox.c - queue outgoing mail in the event's transaction; send it later,
 * one recipient and two short transactions at a time.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <sqlite3.h>

#include "log.h"
#include "outbox.h"
#include "store.h"
#include "xmalloc.h"

#define OUTBOX_ADDRESS_MAX	254

/* A claimed row: what the sink needs and what a log line may name. */
struct outbox_row {
	long long	 id;
	long long	 message_id;
	int		 attempts;	/* before this one */
	char		*recipient;
	char		*sender;
	char		*template;
	char		*msgid;
	char		*case_ref;
	char		*queued;	/* messages.recipients */
	char		*raw;		/* NULL once purged */
	size_t		 len;
};

static int	outbox_db_error(struct store *, const char *, sqlite3_stmt *,
		    char **);
static int	outbox_sha256_hex(const void *, size_t, char[65]);
static int	outbox_item_check(const struct outbox_item *, char **);
static int	outbox_queued_before(struct store *, const char *,
		    const char *, int *, char **);
static char	*outbox_join(const char *const *, const size_t *, size_t);
static char	*outbox_bare_msgid(const char *);
static int	outbox_due_ids(struct store *, long long, size_t,
		    long long **, size_t *, char **);
static char	*outbox_column_text(sqlite3_stmt *, int);
static int	outbox_claim(struct store *, long long, long long,
		    struct outbox_row *, int *, char **);
static int	outbox_record(struct store *, const struct outbox_row *, int,
		    int, const char *, long long, char **);
static void	outbox_row_free(struct outbox_row *);
static int	outbox_lock(struct store *, int *, char **);
static int	outbox_hold(struct store *, long long, long long, int *,
		    char **);
static void	outbox_log_result(const struct outbox_row *, int, int,
		    const char *);

/* Set *cause from SQLite's last error and finalize st (may be NULL). */
static int
outbox_db_error(struct store *s, const char *what, sqlite3_stmt *st,
    char **cause)
{
	xasprintf(cause, "outbox: %s: %s", what, sqlite3_errmsg(store_db(s)));
	sqlite3_finalize(st);
	return -1;
}

static int
outbox_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char	d[32];
	size_t		i;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d) != 0)
		return -1;
	for (i = 0; i < sizeof d; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

int
outbox_address_safe(const char *s)
{
	const unsigned char	*p;

	if (s == NULL || *s == '\0' || *s == '-' ||
	    strlen(s) > OUTBOX_ADDRESS_MAX)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>')
			return 0;
	}
	return 1;
}

long long
outbox_backoff(int attempts)
{
	long long	delay = OUTBOX_BACKOFF_FIRST;
	int		i;

	for (i = 1; i < attempts && delay < OUTBOX_BACKOFF_MAX; i++)
		delay *= 2;
	return delay < OUTBOX_BACKOFF_MAX ? delay : OUTBOX_BACKOFF_MAX;
}

/* Causes name the field, never an address: they are logged. */
static int
outbox_item_check(const struct outbox_item *it, char **cause)
{
	size_t	i;

	if (it->template == NULL || *it->template == '\0') {
		*cause = xstrdup("outbox: no template name");
		return -1;
	}
	if (!outbox_address_safe(it->envelope_from)) {
		*cause = xstrdup("outbox: the envelope sender is not a safe "
		    "address");
		return -1;
	}
	if (it->recipients == NULL || it->n_recipients == 0) {
		*cause = xstrdup("outbox: no recipients");
		return -1;
	}
	for (i = 0; i < it->n_recipients; i++) {
		if (!outbox_address_safe(it->recipients[i])) {
			xasprintf(cause, "outbox: recipient %zu is not a safe "
			    "address", i + 1);
			return -1;
		}
	}
	if (it->raw == NULL || it->len == 0) {
		*cause = xstrdup("outbox: empty message");
		return -1;
	}
	return 0;
}

/* Does an outbox row for this event and recipient exist already? */
static int
outbox_queued_before(struct store *s, const char *key, const char *rcpt,
    int *exists, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(store_db(s), "SELECT 1 FROM outbox WHERE "
	    "dedupe_key = ?1 AND lower(recipient) = lower(?2) LIMIT 1", -1,
	    &st, NULL) != SQLITE_OK)
		return outbox_db_error(s, "dedupe", st, cause);
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, rcpt, -1, SQLITE_STATIC) != SQLITE_OK)
		return outbox_db_error(s, "dedupe", st, cause);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return outbox_db_error(s, "dedupe", st, cause);
	*exists = (rc == SQLITE_ROW);
	sqlite3_finalize(st);
	return 0;
}

/* The chosen recipients, comma-joined. Caller frees. */
static char *
outbox_join(const char *const *v, const size_t *take, size_t n)
{
	size_t	 i, len = 1;
	char	*out;

	for (i = 0; i < n; i++)
		len += strlen(v[take[i]]) + 1;
	out = xmalloc(len);
	*out = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, v[take[i]]);
	}
	return out;
}

/* "<id@host>" or "id@host" as "id@host" (schema.c). Caller frees. */
static char *
outbox_bare_msgid(const char *msgid)
{
	size_t	len;

	if (msgid == NULL)
		return NULL;
	len = strlen(msgid);
	if (len >= 2 && msgid[0] == '<' && msgid[len - 1] == '>')
		return xstrndup(msgid + 1, len - 2);
	return xstrdup(msgid);
}

int
outbox_queue(struct store *s, const struct outbox_item *it, long long now,
    int *queued, char **cause)
{
	sqlite3		*db = store_db(s);
	sqlite3_stmt	*st = NULL;
	size_t		*take = NULL, ntake = 0, i, j;
	char		*msgid = NULL, *joined = NULL, sha[65];
	long long	 message_id;
	int		 exists, rc = -1;

	*queued = 0;
	/* Mail exists exactly when its event commits: never on its own. */
	if (sqlite3_get_autocommit(db)) {
		*cause = xstrdup("outbox: queue called outside a transaction");
		return -1;
	}
	if (outbox_item_check(it, cause) != 0)
		return -1;

	take = xcalloc(it->n_recipients, sizeof *take);
	for (i = 0; i < it->n_recipients; i++) {
		for (j = 0; j < i; j++) {
			if (strcasecmp(it->recipients[j],
			    it->recipients[i]) == 0)
				break;
		}
		if (j < i)
			continue;
		if (it->dedupe_key != NULL) {
			if (outbox_queued_before(s, it->dedupe_key,
			    it->recipients[i], &exists, cause) != 0)
				goto out;
			if (exists)
				continue;
		}
		take[ntake++] = i;
	}
	if (ntake == 0) {
		rc = 0;
		goto out;
	}

	if (outbox_sha256_hex(it->raw, it->len, sha) != 0) {
		*cause = xstrdup("outbox: cannot hash the message");
		goto out;
	}
	msgid = outbox_bare_msgid(it->msgid);
	joined = outbox_join(it->recipients, take, ntake);
	if (sqlite3_prepare_v2(db, "INSERT INTO messages (direction, case_id, "
	    "agency, kind, msgid, in_reply_to, refs, sender, recipients, "
	    "subject, raw, sha256, size, received_at) VALUES ('out', "
	    "(SELECT id FROM cases WHERE ref = ?1), ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, ?10, ?11, ?12, ?13)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_bind_text(st, 1, it->case_ref, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 2, it->agency, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 3, it->template, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 4, msgid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, it->in_reply_to, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 6, it->refs, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 7, it->envelope_from, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 8, joined, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 9, it->subject, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob64(st, 10, it->raw, it->len, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 11, sha, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 12, (sqlite3_int64)it->len) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 13, now) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	message_id = sqlite3_last_insert_rowid(db);

	if (sqlite3_prepare_v2(db, "INSERT INTO outbox (message_id, case_id, "
	    "template, recipient, dedupe_key, state, attempts, "
	    "next_attempt_at, created_at) VALUES (?1, (SELECT case_id FROM "
	    "messages WHERE id = ?1), ?2, ?3, ?4, 'queued', 0, ?5, ?5)", -1,
	    &st, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < ntake; i++) {
		if (sqlite3_reset(st) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 1, message_id) != SQLITE_OK ||
		    sqlite3_bind_text(st, 2, it->template, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 3, it->recipients[take[i]], -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 4, it->dedupe_key, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 5, now) != SQLITE_OK)
			goto fail;
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	*queued = (int)ntake;
	rc = 0;
	goto out;
fail:
	outbox_db_error(s, "queue", st, cause);
out:
	free(take);
	free(msgid);
	free(joined);
	return rc;
}

/* The ids of rows due at now, crashed in-flight rows first. */
static int
outbox_due_ids(struct store *s, long long now, size_t max, long long **ids,
    size_t *n, char **cause)
{
	sqlite3_stmt	*st = NULL;
	size_t		 cap = 0;
	int		 rc;

	*ids = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT id FROM outbox WHERE "
	    "state = 'sending' OR (state = 'queued' AND next_attempt_at <= ?1) "
	    "ORDER BY state = 'sending' DESC, next_attempt_at, id LIMIT ?2",
	    -1, &st, NULL) != SQLITE_OK)
		return outbox_db_error(s, "due", st, cause);
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, max == 0 ? -1 : (sqlite3_int64)max) !=
	    SQLITE_OK)
		return outbox_db_error(s, "due", st, cause);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return outbox_db_error(s, "due", st, cause);
	}
	sqlite3_finalize(st);
	return 0;
}

static char *
outbox_column_text(sqlite3_stmt *st, int col)
{
	const unsigned char	*t;

	if ((t = sqlite3_column_text(st, col)) == NULL)
		return NULL;
	return xstrdup((const char *)t);
}

/*
 * Mark row id 'sending' and commit, so that a kill during the send leaves
 * a trace; then read what the sink needs. *claimed is 0 when the row is no
 * longer due (another flush took it).
 */
static int
outbox_claim(struct store *s, long long id, long long now,
    struct outbox_row *row, int *claimed, char **cause)
{
	sqlite3		*db = store_db(s);
	sqlite3_stmt	*st = NULL;
	const void	*raw;

	memset(row, 0, sizeof *row);
	*claimed = 0;
	if (store_begin(s, cause) != 0)
		return -1;
	if (sqlite3_prepare_v2(db, "UPDATE outbox SET state = 'sending' "
	    "WHERE id = ?1 AND (state = 'sending' OR (state = 'queued' AND "
	    "next_attempt_at <= ?2))", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_changes(db) == 0)
		return store_commit(s, cause);

	if (sqlite3_prepare_v2(db, "SELECT o.recipient, o.attempts, "
	    "o.template, o.message_id, m.sender, m.msgid, m.raw, c.ref, "
	    "m.recipients FROM outbox o JOIN messages m ON m.id = o.message_id "
	    "LEFT JOIN cases c ON c.id = o.case_id WHERE o.id = ?1", -1, &st,
	    NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail;
	row->id = id;
	row->recipient = outbox_column_text(st, 0);
	row->attempts = sqlite3_column_int(st, 1);
	row->template = outbox_column_text(st, 2);
	row->message_id = sqlite3_column_int64(st, 3);
	row->sender = outbox_column_text(st, 4);
	row->msgid = outbox_column_text(st, 5);
	if ((raw = sqlite3_column_blob(st, 6)) != NULL) {
		row->len = (size_t)sqlite3_column_bytes(st, 6);
		row->raw = xmalloc(row->len + 1);
		memcpy(row->raw, raw, row->len);
		row->raw[row->len] = '\0';
	}
	row->case_ref = outbox_column_text(st, 7);
	row->queued = outbox_column_text(st, 8);
	sqlite3_finalize(st);
	st = NULL;
	if (store_commit(s, cause) != 0) {
		outbox_row_free(row);
		return -1;
	}
	*claimed = 1;
	return 0;
fail:
	outbox_db_error(s, "claim", st, cause);
	store_rollback(s);
	outbox_row_free(row);
	return -1;
}

/* The attempt, the row's new state and, when it failed for good, an alert. */
static int
outbox_record(struct store *s, const struct outbox_row *row, int result,
    int code, const char *error, long long now, char **cause)
{
	sqlite3		*db = store_db(s);
	sqlite3_stmt	*st = NULL;
	const char	*name, *state;
	char		*detail = NULL;
	int		 attempts = row->attempts + 1;

	switch (result) {
	case SINK_SENT:
		name = state = "sent";
		error = NULL;
		break;
	case SINK_PERMANENT:
		name = "permanent";
		state = "failed";
		break;
	default:
		name = "temporary";
		state = "queued";
		break;
	}
	if (store_begin(s, cause) != 0)
		return -1;

	if (sqlite3_prepare_v2(db, "INSERT INTO outbox_attempts (outbox_id, "
	    "at, result, smtp_code, error) VALUES (?1, ?2, ?3, ?4, ?5)", -1,
	    &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, row->id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (code != 0 ? sqlite3_bind_int(st, 4, code) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(db, "UPDATE outbox SET state = ?2, attempts = "
	    "attempts + 1, next_attempt_at = coalesce(?3, next_attempt_at), "
	    "sent_at = ?4, smtp_code = ?5, last_error = ?6 WHERE id = ?1", -1,
	    &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, row->id) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (result == SINK_TEMPORARY ? sqlite3_bind_int64(st, 3, now +
	    outbox_backoff(attempts)) : sqlite3_bind_null(st, 3)) !=
	    SQLITE_OK ||
	    (result == SINK_SENT ? sqlite3_bind_int64(st, 4, now) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK ||
	    (code != 0 ? sqlite3_bind_int(st, 5, code) :
	    sqlite3_bind_null(st, 5)) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, error, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;

	/* An alert about an undeliverable alert would only breed more. */
	if (result == SINK_PERMANENT &&
	    (row->template == NULL || strcmp(row->template, "alert") != 0)) {
		if (code != 0)
			xasprintf(&detail, "permanent failure (SMTP %d) "
			    "sending outbox %lld (template %s)", code, row->id,
			    row->template);
		else
			xasprintf(&detail, "permanent failure sending outbox "
			    "%lld (template %s)", row->id, row->template);
		if (sqlite3_prepare_v2(db, "INSERT INTO alerts (kind, "
		    "case_ref, message_id, detail, created_at) VALUES "
		    "('delivery', ?1, ?2, ?3, ?4)", -1, &st, NULL) !=
		    SQLITE_OK ||
		    sqlite3_bind_text(st, 1, row->case_ref, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 2, row->message_id) != SQLITE_OK ||
		    sqlite3_bind_text(st, 3, detail, -1, SQLITE_STATIC) !=
		    SQLITE_OK ||
		    sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(st);
		st = NULL;
	}
	free(detail);
	return store_commit(s, cause);
fail:
	free(detail);
	outbox_db_error(s, "record", st, cause);
	store_rollback(s);
	return -1;
}

static void
outbox_row_free(struct outbox_row *row)
{
	free(row->recipient);
	free(row->sender);
	free(row->template);
	free(row->msgid);
	free(row->case_ref);
	free(row->queued);
	free(row->raw);
	memset(row, 0, sizeof *row);
}

/* Outbox id, case and Message-ID only: never the recipient. */
static void
outbox_log_result(const struct outbox_row *row, int result, int code,
    const char *error)
{
	const char	*ref = row->case_ref != NULL ? row->case_ref : "-";
	const char	*msgid = row->msgid != NULL ? row->msgid : "";
	char		 smtp[32] = "";

	if (code != 0)
		snprintf(smtp, sizeof smtp, " (SMTP %d)", code);
	switch (result) {
	case SINK_SENT:
		log_info("outbox %lld %s <%s>: sent (%s)", row->id, ref,
		    msgid, row->template);
		break;
	case SINK_PERMANENT:
		log_warnx("outbox %lld %s <%s>: failed for good%s: %s",
		    row->id, ref, msgid, smtp, error);
		break;
	default:
		log_warnx("outbox %lld %s <%s>: attempt %d failed%s, retry in "
		    "%llds: %s", row->id, ref, msgid, row->attempts + 1, smtp,
		    outbox_backoff(row->attempts + 1), error);
		break;
	}
}

/*
 * One flusher per database: an exclusive flock on "DATABASE-outbox.lock",
 * which the kernel drops when the process dies. So a row found 'sending'
 * under the lock was left by a flusher that is gone, and sending it again
 * cannot race one still in flight. Returns 0 with *fd set (-1 for a
 * database in memory, which no other process can see), 1 when another
 * process holds the lock, or -1 with *cause set.
 */
static int
outbox_lock(struct store *s, int *fd, char **cause)
{
	const char	*db;
	char		*path;
	int		 lfd;

	*fd = -1;
	db = sqlite3_db_filename(store_db(s), "main");
	if (db == NULL || *db == '\0')
		return 0;
	xasprintf(&path, "%s-outbox.lock", db);
	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd == -1) {
		xasprintf(cause, "outbox: %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (flock(lfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		close(lfd);
		if (errno == EWOULDBLOCK) {
			free(path);
			return 1;
		}
		xasprintf(cause, "outbox: lock %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	*fd = lfd;
	return 0;
}

/*
 * Move every row due at now to until, without an attempt: after the
 * server could not be reached, trying each would only wait out the same
 * timeout once per message while the daemon's loop stands still.
 */
static int
outbox_hold(struct store *s, long long now, long long until, int *held,
    char **cause)
{
	sqlite3_stmt	*st = NULL;

	if (sqlite3_prepare_v2(store_db(s), "UPDATE outbox SET "
	    "next_attempt_at = ?2 WHERE state = 'queued' AND "
	    "next_attempt_at <= ?1", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, until) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		return outbox_db_error(s, "hold", st, cause);
	sqlite3_finalize(st);
	*held = sqlite3_changes(store_db(s));
	return 0;
}

int
outbox_flush(struct store *s, const struct mail_sink *sink, long long now,
    size_t max, size_t *sent, char **cause)
{
	struct outbox_row	 row;
	long long		*ids = NULL;
	size_t			 n, i;
	long long		 until;
	char			*why;
	int			 claimed, result, code, lock, held, r;

	*sent = 0;
	if (!sqlite3_get_autocommit(store_db(s))) {
		*cause = xstrdup("outbox: flush called inside a transaction");
		return -1;
	}
	if ((r = outbox_lock(s, &lock, cause)) != 0) {
		if (r == -1)
			return -1;
		log_debug("outbox: another process is sending");
		return 0;
	}
	if (outbox_due_ids(s, now, max, &ids, &n, cause) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (outbox_claim(s, ids[i], now, &row, &claimed, cause) != 0)
			goto fail;
		if (!claimed)
			continue;

		code = 0;
		why = NULL;
		if (row.raw == NULL) {
			result = SINK_PERMANENT;
			why = xstrdup("the message is no longer stored");
		} else if (row.sender == NULL || row.recipient == NULL) {
			result = SINK_PERMANENT;
			why = xstrdup("no envelope sender or recipient");
		} else {
			if (sink->envelope != NULL)
				sink->envelope(sink->arg, row.queued);
			result = sink->send(sink->arg, row.sender,
			    row.recipient, row.raw, row.len, &code, &why);
		}
		if (result != SINK_SENT && result != SINK_PERMANENT)
			result = SINK_TEMPORARY;
		if (result != SINK_SENT && why == NULL)
			why = xstrdup("unknown error");
		if (code < 0 || code > 999)
			code = 0;

		outbox_log_result(&row, result, code, why);
		if (outbox_record(s, &row, result, code, why, now,
		    cause) != 0) {
			free(why);
			outbox_row_free(&row);
			goto fail;
		}
		if (result == SINK_SENT)
			(*sent)++;
		free(why);

		/* No reply at all: the server, not this message. */
		if (result == SINK_TEMPORARY && code == 0) {
			until = now + outbox_backoff(row.attempts + 1);
			outbox_row_free(&row);
			if (outbox_hold(s, now, until, &held, cause) != 0)
				goto fail;
			if (held > 0)
				log_warnx("outbox: %d more held for %llds",
				    held, until - now);
			break;
		}
		outbox_row_free(&row);
	}
	free(ids);
	if (lock != -1)
		close(lock);
	return 0;
fail:
	free(ids);
	if (lock != -1)
		close(lock);
	return -1;
}

long long
outbox_next_due(struct store *s)
{
	sqlite3_stmt	*st = NULL;
	long long	 due = 0;

	if (sqlite3_prepare_v2(store_db(s), "SELECT min(next_attempt_at) "
	    "FROM outbox WHERE state IN ('queued', 'sending')", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		log_warnx("outbox: next due: %s",
		    sqlite3_errmsg(store_db(s)));
		sqlite3_finalize(st);
		return 0;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		due = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return due;
}
