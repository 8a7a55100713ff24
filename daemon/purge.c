/*
 * purge.c - retention: clear expired cases' content, legal hold, and an
 * online backup (see purge.h for what is cleared and what is kept).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "purge.h"
#include "store.h"
#include "xmalloc.h"

#define PURGE_ACTOR		"retention"
#define PURGE_DAY		86400LL
/* How long backup_run waits, in all, for a lock on either file. */
#define BACKUP_TRIES		100
#define BACKUP_TICK_NS		(50 * 1000 * 1000L)

/* Which cases are due; cut is the parameter holding the newest closed_at. */
#define PURGE_DUE(cut)							\
	"state IN ('closed', 'withdrawn') AND closed_at IS NOT NULL AND "	\
	"closed_at <= " cut " AND legal_hold = 0 AND purged_at IS NULL"

/*
 * The messages of case ?1 (purge.h): its own, and those with no case that
 * only it refers to, so that clearing one never reaches another case.
 * A prefix for the statements that use "mine".
 */
#define PURGE_MINE							\
	"WITH refd(mid, cid) AS ("					\
	" SELECT sin_message_id, id FROM cases"				\
	"  WHERE sin_message_id IS NOT NULL"				\
	" UNION ALL SELECT message_id, case_id FROM notes"		\
	"  WHERE message_id IS NOT NULL"				\
	" UNION ALL SELECT r.message_id, q.case_id FROM returns r"	\
	"  JOIN requests q ON q.id = r.request_id"			\
	"  WHERE r.message_id IS NOT NULL"				\
	" UNION ALL SELECT message_id, released_case_id FROM quarantine" \
	"  WHERE released_case_id IS NOT NULL),"			\
	" mine(id) AS ("						\
	" SELECT id FROM messages WHERE case_id = ?1"			\
	" UNION SELECT m.id FROM messages m"				\
	"  JOIN refd ON refd.mid = m.id AND refd.cid = ?1"		\
	"  WHERE m.case_id IS NULL AND NOT EXISTS (SELECT 1 FROM refd o" \
	"  WHERE o.mid = m.id AND o.cid IS NOT ?1)) "

/* A free-text column that must stay non-NULL where it was set. */
#define PURGE_BLANK(c)	c " = CASE WHEN " c " IS NULL THEN NULL ELSE '' END"

#define PURGE_RETURNS_OF_CASE						\
	"(SELECT r.id FROM returns r JOIN requests q ON q.id = r.request_id" \
	" WHERE q.case_id = ?1)"

/* What one case holds, for the report and the audit row. */
struct purge_counts {
	long long	messages;	/* with raw or subject */
	long long	attachments;	/* with data or filename */
	long long	children;
	long long	returns;
	long long	chronology;
	long long	notes;
};

/* Clears case ?1 and marks it purged at ?2. */
static const char purge_case_sql[] =
	"UPDATE cases SET background = NULL, missing_fields = NULL,"
	" notifier = NULL, decision_text = NULL, "
	PURGE_BLANK("withdrawn_reason") ","
	" purged_at = ?2, updated_at = ?2 WHERE id = ?1";

/* The statements that clear what is case ?1's. */
static const char *const purge_sql[] = {
	"UPDATE children SET identifier = '" PURGE_IDENTIFIER "',"
	" age = NULL, dob = NULL, sex = NULL, ethnicity = NULL,"
	" disability = NULL WHERE case_id = ?1",

	"UPDATE requests SET " PURGE_BLANK("extended_reason") ", "
	PURGE_BLANK("waived_reason") " WHERE case_id = ?1",

	"UPDATE milestones SET " PURGE_BLANK("extended_reason")
	" WHERE case_id = ?1",

	"UPDATE returns SET warnings = NULL, agency_name = NULL,"
	" author = NULL, role = NULL, email = NULL, phone = NULL,"
	" completed = NULL, involvement = NULL, first_contact = NULL,"
	" last_contact = NULL, case_status = NULL, quality = NULL,"
	" impact = NULL, good_practice = NULL, different = NULL,"
	" information_sharing = NULL, voice_of_child = NULL,"
	" equality = NULL, immediate_actions = NULL, learning = NULL,"
	" lcspr_rationale = NULL, parallel_processes = NULL,"
	" records_secured = NULL, signed_off_by = NULL, signed_off = NULL"
	" WHERE id IN " PURGE_RETURNS_OF_CASE,

	"UPDATE chronology SET date = NULL, date_text = NULL, time = NULL,"
	" contact_type = NULL, seen = NULL, event = NULL, outcome = NULL,"
	" significance = NULL WHERE return_id IN " PURGE_RETURNS_OF_CASE,

	"UPDATE notes SET body = NULL WHERE case_id = ?1",

	/* Before the bytes go: a queued row could never be sent. */
	PURGE_MINE "UPDATE outbox SET state = 'failed',"
	" last_error = 'case purged' WHERE state = 'queued' AND"
	" message_id IN mine",

	PURGE_MINE "UPDATE attachments SET data = NULL, filename = NULL"
	" WHERE message_id IN mine",

	PURGE_MINE "UPDATE messages SET raw = NULL, subject = NULL"
	" WHERE id IN mine",
};

static int	purge_count(struct store *, long long, struct purge_counts *,
		    char **);
static int	purge_case(struct store *, long long, const char *,
		    long long, long long, int, struct purge_counts *, int *,
		    char **);
static int	purge_due(struct store *, long long, long long **, char ***,
		    size_t *, char **);
static int	purge_vacuum(struct store *, char **);
static int	backup_absent(const char *, char **);
static void	backup_remove(const char *);
static int	backup_copy(sqlite3 *, sqlite3 *, char **);
static int	backup_check(sqlite3 *, char **);

static int
purge_count(struct store *st, long long id, struct purge_counts *c,
    char **cause)
{
	memset(c, 0, sizeof *c);
	if (db_get_int64(st, &c->messages, cause, PURGE_MINE
	    "SELECT count(*) FROM messages WHERE id IN mine AND"
	    " (raw IS NOT NULL OR subject IS NOT NULL)", "l", id) != 1)
		return -1;
	if (db_get_int64(st, &c->attachments, cause, PURGE_MINE
	    "SELECT count(*) FROM attachments WHERE message_id IN mine AND"
	    " (data IS NOT NULL OR filename IS NOT NULL)", "l", id) != 1)
		return -1;
	if (db_get_int64(st, &c->children, cause, "SELECT count(*) FROM"
	    " children WHERE case_id = ?1", "l", id) != 1)
		return -1;
	if (db_get_int64(st, &c->returns, cause, "SELECT count(*) FROM"
	    " returns WHERE id IN " PURGE_RETURNS_OF_CASE, "l", id) != 1)
		return -1;
	if (db_get_int64(st, &c->chronology, cause, "SELECT count(*) FROM"
	    " chronology WHERE return_id IN " PURGE_RETURNS_OF_CASE, "l",
	    id) != 1)
		return -1;
	if (db_get_int64(st, &c->notes, cause, "SELECT count(*) FROM notes"
	    " WHERE case_id = ?1", "l", id) != 1)
		return -1;
	return 0;
}

/*
 * Clear case id (ref) in one transaction, or with dry_run only count.
 * The case is checked again inside the transaction: *done is 0 when it is
 * no longer due (held, purged or reopened meanwhile).
 */
static int
purge_case(struct store *st, long long id, const char *ref, long long cut,
    long long now, int dry_run, struct purge_counts *c, int *done,
    char **cause)
{
	long long	 found;
	char		*detail;
	size_t		 i;
	int		 r;

	*done = 0;
	if (!dry_run && store_begin(st, cause) == -1)
		return -1;
	r = db_get_int64(st, &found, cause, "SELECT id FROM cases WHERE"
	    " id = ?1 AND " PURGE_DUE("?2"), "ll", id, cut);
	if (r == -1)
		goto fail;
	if (r == 0) {
		if (!dry_run)
			store_rollback(st);
		return 0;
	}
	if (purge_count(st, id, c, cause) == -1)
		goto fail;
	if (dry_run) {
		*done = 1;
		return 0;
	}

	if (db_exec(st, cause, purge_case_sql, "ll", id, now) == -1)
		goto fail;
	for (i = 0; i < sizeof purge_sql / sizeof purge_sql[0]; i++) {
		if (db_exec(st, cause, purge_sql[i], "l", id) == -1)
			goto fail;
	}
	xasprintf(&detail, "messages=%lld attachments=%lld children=%lld "
	    "returns=%lld chronology=%lld notes=%lld", c->messages,
	    c->attachments, c->children, c->returns, c->chronology, c->notes);
	r = store_audit(st, (time_t)now, PURGE_ACTOR, "case.purged", ref,
	    detail, cause);
	free(detail);
	if (r == -1)
		goto fail;
	if (store_commit(st, cause) == -1)
		return -1;
	*done = 1;
	return 0;

fail:
	if (!dry_run)
		store_rollback(st);
	return -1;
}

/* The ids and references of the cases due, in id order. */
static int
purge_due(struct store *st, long long cut, long long **ids, char ***refs,
    size_t *n, char **cause)
{
	sqlite3_stmt	*s;
	int		 r;

	*ids = NULL;
	*refs = NULL;
	*n = 0;
	if ((s = db_query(st, cause, "SELECT id, ref FROM cases WHERE "
	    PURGE_DUE("?1") " ORDER BY id", "l", cut)) == NULL)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		*refs = xreallocarray(*refs, *n + 1, sizeof **refs);
		(*ids)[*n] = sqlite3_column_int64(s, 0);
		(*refs)[*n] = xstrdup((const char *)sqlite3_column_text(s, 1));
		(*n)++;
	}
	if (r != SQLITE_DONE) {
		xasprintf(cause, "purge: %s", sqlite3_errmsg(store_db(st)));
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/*
 * Cleared values linger in free pages and in old WAL frames (the WAL is
 * reused from its start, not emptied, after a checkpoint): VACUUM rebuilds
 * the file, and a truncating checkpoint empties the WAL.
 */
static int
purge_vacuum(struct store *st, char **cause)
{
	sqlite3_stmt	*s;
	char		*why = NULL;
	int		 r;

	if (store_exec(st, "VACUUM", &why) == -1) {
		xasprintf(cause, "vacuum: %s", why);
		free(why);
		return -1;
	}
	if ((s = db_query(st, cause, "PRAGMA wal_checkpoint(TRUNCATE)",
	    "")) == NULL)
		return -1;
	r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		xasprintf(cause, "checkpoint: %s",
		    sqlite3_errmsg(store_db(st)));
		sqlite3_finalize(s);
		return -1;
	}
	/* Another connection reading: the next checkpoint finishes it. */
	if (sqlite3_column_int(s, 0) != 0)
		log_warnx("purge: the WAL could not be emptied yet (busy)");
	sqlite3_finalize(s);
	return 0;
}

int
purge_run(struct store *st, const struct config *cfg, long long now,
    int dry_run, struct purge_report *rep, char **cause)
{
	struct purge_counts	  c;
	long long		 *ids = NULL, cut, secure = 0;
	char			**refs = NULL, *why = NULL;
	size_t			  n = 0, i;
	int			  done, ret = -1;

	memset(rep, 0, sizeof *rep);
	if (!sqlite3_get_autocommit(store_db(st))) {
		*cause = xstrdup("purge: called inside a transaction");
		return -1;
	}
	/* 0 keeps closed cases for ever (SPEC §7). */
	if (cfg->storage.retention_days == 0)
		return 0;
	cut = now - (long long)cfg->storage.retention_days * PURGE_DAY;
	if (purge_due(st, cut, &ids, &refs, &n, cause) == -1)
		goto out;

	/* Freed pages are zeroed too, in case VACUUM never runs. */
	if (!dry_run && n > 0) {
		if (db_get_int64(st, &secure, cause, "PRAGMA secure_delete",
		    "") != 1 || db_exec(st, cause, "PRAGMA secure_delete = ON",
		    "") == -1)
			goto out;
	}
	for (i = 0; i < n; i++) {
		if (purge_case(st, ids[i], refs[i], cut, now, dry_run, &c,
		    &done, cause) == -1)
			goto restore;
		if (!done)
			continue;
		rep->cases++;
		rep->messages += (size_t)c.messages;
		rep->attachments += (size_t)c.attachments;
		rep->refs = xreallocarray(rep->refs, rep->nrefs + 1,
		    sizeof *rep->refs);
		rep->refs[rep->nrefs++] = refs[i];
		refs[i] = NULL;
	}
	if (!dry_run && rep->cases > 0) {
		if (purge_vacuum(st, cause) == -1)
			goto restore;
		log_info("purge: %zu case(s) cleared, %zu message(s), "
		    "%zu attachment(s)", rep->cases, rep->messages,
		    rep->attachments);
	}
	ret = 0;

restore:
	if (!dry_run && n > 0 && secure == 0 &&
	    store_exec(st, "PRAGMA secure_delete = OFF", &why) == -1) {
		log_warnx("purge: secure_delete: %s", why);
		free(why);
	}
out:
	for (i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	free(ids);
	return ret;
}

void
purge_report_free(struct purge_report *rep)
{
	size_t	i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nrefs; i++)
		free(rep->refs[i]);
	free(rep->refs);
	memset(rep, 0, sizeof *rep);
}

int
purge_hold(struct store *st, const char *ref, int on, long long now,
    const char *actor, char **cause)
{
	long long	held;
	int		own, r;

	on = on != 0;
	own = sqlite3_get_autocommit(store_db(st));
	if (own && store_begin(st, cause) == -1)
		return -1;
	r = db_get_int64(st, &held, cause, "SELECT legal_hold FROM cases"
	    " WHERE ref = ?1", "t", ref);
	if (r == -1)
		goto fail;
	if (r == 0) {
		if (own)
			store_rollback(st);
		return 1;
	}
	if (held != on) {
		if (db_exec(st, cause, "UPDATE cases SET legal_hold = ?1,"
		    " updated_at = ?2 WHERE ref = ?3", "ilt", on, now,
		    ref) == -1)
			goto fail;
		if (store_audit(st, (time_t)now, actor,
		    on ? "case.hold" : "case.release", ref, NULL,
		    cause) == -1)
			goto fail;
	}
	if (own && store_commit(st, cause) == -1)
		return -1;
	return 0;

fail:
	if (own)
		store_rollback(st);
	return -1;
}

/*
 * A -wal or -journal left beside path would be played into the new file
 * as if it were the copy's own.
 */
static int
backup_absent(const char *path, char **cause)
{
	static const char	*sides[] = { "", "-wal", "-journal", "-shm" };
	struct stat		 sb;
	char			*p;
	size_t			 i;

	for (i = 0; i < sizeof sides / sizeof sides[0]; i++) {
		xasprintf(&p, "%s%s", path, sides[i]);
		if (lstat(p, &sb) == 0) {
			xasprintf(cause, "backup: %s exists", p);
			free(p);
			return -1;
		}
		if (errno != ENOENT) {
			xasprintf(cause, "backup: %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

/* Take away a failed copy and whatever SQLite made beside it. */
static void
backup_remove(const char *path)
{
	static const char	*sides[] = { "-wal", "-journal", "-shm" };
	char			*p;
	size_t			 i;

	for (i = 0; i < sizeof sides / sizeof sides[0]; i++) {
		xasprintf(&p, "%s%s", path, sides[i]);
		(void)unlink(p);
		free(p);
	}
	(void)unlink(path);
}

/* All pages in one step, so that the copy is one instant's database. */
static int
backup_copy(sqlite3 *dst, sqlite3 *src, char **cause)
{
	struct timespec	 tick = { 0, BACKUP_TICK_NS };
	sqlite3_backup	*b;
	int		 rc, tries;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		xasprintf(cause, "backup: %s", sqlite3_errmsg(dst));
		return -1;
	}
	for (tries = 0;; tries++) {
		rc = sqlite3_backup_step(b, -1);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		if (tries >= BACKUP_TRIES)
			break;
		nanosleep(&tick, NULL);
	}
	if (rc != SQLITE_DONE) {
		xasprintf(cause, "backup: %s", sqlite3_errstr(rc));
		sqlite3_backup_finish(b);
		return -1;
	}
	if ((rc = sqlite3_backup_finish(b)) != SQLITE_OK) {
		xasprintf(cause, "backup: %s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* A single file (no WAL to carry with it) that SQLite finds sound. */
static int
backup_check(sqlite3 *dst, char **cause)
{
	sqlite3_stmt	*s = NULL;
	const char	*v;
	int		 ok;

	if (sqlite3_prepare_v2(dst, "PRAGMA journal_mode = DELETE", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	v = (const char *)sqlite3_column_text(s, 0);
	if (v == NULL || strcmp(v, "delete") != 0) {
		xasprintf(cause, "backup: journal mode is %s, not delete",
		    v != NULL ? v : "unknown");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);

	if (sqlite3_prepare_v2(dst, "PRAGMA integrity_check", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	v = (const char *)sqlite3_column_text(s, 0);
	ok = v != NULL && strcmp(v, "ok") == 0;
	if (!ok) {
		/* SQLite's words name pages and tables, never values. */
		xasprintf(cause, "backup: integrity check: %s",
		    v != NULL ? v : "no result");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;

fail:
	xasprintf(cause, "backup: %s", sqlite3_errmsg(dst));
	sqlite3_finalize(s);
	return -1;
}

int
backup_run(struct store *st, const char *path, char **cause)
{
	sqlite3	*dst = NULL;
	mode_t	 oldmask;
	int	 fd, flags, rc, ret = -1;

	if (path == NULL || *path == '\0') {
		*cause = xstrdup("backup: no file name");
		return -1;
	}
	if (!sqlite3_get_autocommit(store_db(st))) {
		*cause = xstrdup("backup: called inside a transaction");
		return -1;
	}
	if (backup_absent(path, cause) == -1)
		return -1;
	/* O_EXCL: never over an existing file, nor through a link. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		xasprintf(cause, "backup: %s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1) {
		xasprintf(cause, "backup: %s: %s", path, strerror(errno));
		close(fd);
		(void)unlink(path);
		return -1;
	}
	close(fd);

	/* The journal SQLite makes beside the copy is owner-only too. */
	oldmask = umask(077);
	flags = SQLITE_OPEN_READWRITE;
#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	if ((rc = sqlite3_open_v2(path, &dst, flags, NULL)) != SQLITE_OK) {
		xasprintf(cause, "backup: %s: %s", path, dst != NULL ?
		    sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		goto out;
	}
	if (backup_copy(dst, store_db(st), cause) == -1)
		goto out;
	if (backup_check(dst, cause) == -1)
		goto out;
	ret = 0;
out:
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && ret == 0) {
		xasprintf(cause, "backup: close: %s", sqlite3_errmsg(dst));
		ret = -1;
	}
	if (ret == -1)
		backup_remove(path);
	umask(oldmask);
	return ret;
}
