/*
 * store.c - the SQLite database: open and migrate, transactions, the audit
 * log and the mailbox ledger's per-folder state.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "schema.h"
#include "store.h"
#include "xmalloc.h"

#define STORE_BUSY_MS		5000
/* STRICT tables need 3.37. */
#define STORE_SQLITE_MIN	3037000

struct store {
	sqlite3	*db;
	char	*path;
};

static int	store_check_parent(const char *, char **);
static int	store_secure_file(const char *, int, char **);
static int	store_exec_sql(sqlite3 *, const char *, char **);
static int	store_run(sqlite3 *, const char *, const char *, char **);
static int	store_query_int(sqlite3 *, const char *, int64_t *, char **);
static int	store_query_text(sqlite3 *, const char *, char **, char **);
static int	store_migrate(sqlite3 *, const char *,
		    const struct schema_migration *, size_t, char **);
static int	store_configure(sqlite3 *, char **);

/* A clear message for the common mistake of a missing state directory. */
static int
store_check_parent(const char *path, char **cause)
{
	struct stat	 sb;
	char		*dir, *slash;
	int		 ret = -1;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';

	if (stat(dir, &sb) == -1) {
		if (errno == ENOENT)
			xasprintf(cause, "directory %s does not exist", dir);
		else
			xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "%s is not a directory", dir);
		goto out;
	}
	ret = 0;
out:
	free(dir);
	return ret;
}

/*
 * Make sure path is a regular file, not a symbolic link, closed to group
 * and others. With create, make it (mode 0600) when missing; without, a
 * missing file is fine (the -wal and -shm companions). The cause does not
 * repeat the path.
 */
static int
store_secure_file(const char *path, int create, char **cause)
{
	struct stat	sb;
	int		fd, flags;

	flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	if (create)
		flags = O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	if ((fd = open(path, flags, 0600)) == -1) {
		if (!create && errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			*cause = xstrdup("is a symbolic link");
		else
			*cause = xstrdup(strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		*cause = xstrdup(strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		*cause = xstrdup("not a regular file");
		goto fail;
	}
	if ((sb.st_mode & 077) != 0) {
		if (fchmod(fd, sb.st_mode & 0700) == -1) {
			xasprintf(cause, "mode %04o is open to others and "
			    "cannot be changed: %s",
			    (unsigned)(sb.st_mode & 07777), strerror(errno));
			goto fail;
		}
		log_warnx("%s: mode %04o was open to others; now %04o", path,
		    (unsigned)(sb.st_mode & 07777),
		    (unsigned)(sb.st_mode & 0700));
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

/* Run fixed SQL; *cause is SQLite's message alone. */
static int
store_exec_sql(sqlite3 *db, const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xstrdup(err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Run fixed SQL; what names the step in the cause. */
static int
store_run(sqlite3 *db, const char *sql, const char *what, char **cause)
{
	char	*msg = NULL;

	if (store_exec_sql(db, sql, &msg) == -1) {
		xasprintf(cause, "%s: %s", what, msg);
		free(msg);
		return -1;
	}
	return 0;
}

/* The first column of the first row of sql, as an integer. */
static int
store_query_int(sqlite3 *db, const char *sql, int64_t *out, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE) {
			xasprintf(cause, "%s: no result", sql);
			sqlite3_finalize(st);
			return -1;
		}
		goto fail;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
fail:
	xasprintf(cause, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/* The first column of the first row of sql, as text (caller frees). */
static int
store_query_text(sqlite3 *db, const char *sql, char **out, char **cause)
{
	sqlite3_stmt		*st = NULL;
	const unsigned char	*text;
	int			 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE) {
			xasprintf(cause, "%s: no result", sql);
			sqlite3_finalize(st);
			return -1;
		}
		goto fail;
	}
	text = sqlite3_column_text(st, 0);
	*out = xstrdup(text != NULL ? (const char *)text : "");
	sqlite3_finalize(st);
	return 0;
fail:
	xasprintf(cause, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/* Connection settings, before the schema is touched. */
static int
store_configure(sqlite3 *db, char **cause)
{
	struct timespec	 tick = { 0, 10 * 1000 * 1000 };
	char		*mode = NULL;
	int64_t		 sync;
	int		 waited;

	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_busy_timeout(db, STORE_BUSY_MS) != SQLITE_OK) {
		xasprintf(cause, "busy timeout: %s", sqlite3_errmsg(db));
		return -1;
	}
#ifdef SQLITE_DBCONFIG_DEFENSIVE
	/* No SQL may corrupt the file (writable_schema and the like). */
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1,
	    (int *)NULL) != SQLITE_OK) {
		xasprintf(cause, "defensive mode: %s", sqlite3_errmsg(db));
		return -1;
	}
#endif
	if (store_run(db, "PRAGMA trusted_schema = OFF", "trusted_schema",
	    cause) == -1)
		return -1;

	/*
	 * The first read of the file: a non-database fails here. Turning a
	 * new file to WAL needs an exclusive lock, and SQLite reports BUSY
	 * without calling the busy handler when another process is opening
	 * the same file: so wait here, as the handler would.
	 */
	for (waited = 0;; waited += 10) {
		if (store_query_text(db, "PRAGMA journal_mode = WAL", &mode,
		    cause) == 0)
			break;
		if ((sqlite3_errcode(db) & 0xff) != SQLITE_BUSY ||
		    waited >= STORE_BUSY_MS)
			return -1;
		free(*cause);
		*cause = NULL;
		nanosleep(&tick, NULL);
	}
	if (strcmp(mode, "wal") != 0) {
		xasprintf(cause, "cannot use WAL (journal mode is %s)", mode);
		free(mode);
		return -1;
	}
	free(mode);

	if (store_run(db, "PRAGMA synchronous = FULL", "synchronous",
	    cause) == -1)
		return -1;
	if (store_query_int(db, "PRAGMA synchronous", &sync, cause) == -1)
		return -1;
	if (sync != 2) {
		xasprintf(cause, "synchronous is %lld, not FULL",
		    (long long)sync);
		return -1;
	}
	return 0;
}

/*
 * Bring the schema from user_version to the last of m, all in one
 * transaction. Foreign keys are off meanwhile, so that a migration may
 * rebuild a table, and checked before the commit.
 */
static int
store_migrate(sqlite3 *db, const char *path,
    const struct schema_migration *m, size_t n, char **cause)
{
	sqlite3_stmt	*st = NULL;
	const char	*table;
	char		 sql[64], *why = NULL;
	int64_t		 version, from, count;
	int		 latest, failed = 0, rc;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (m[i].version != (int)i + 1 || m[i].sql == NULL) {
			xasprintf(cause, "migration list out of order at %zu",
			    i);
			return -1;
		}
	}
	latest = (int)n;

	if (store_query_int(db, "PRAGMA user_version", &version, cause) == -1)
		return -1;
	if (version > latest)
		goto newer;
	if (version == latest)
		return 0;
	if (version < 0) {
		xasprintf(cause, "schema version %lld is not valid",
		    (long long)version);
		return -1;
	}

	if (store_run(db, "PRAGMA foreign_keys = OFF", "foreign_keys",
	    cause) == -1)
		return -1;
	if (store_run(db, "BEGIN IMMEDIATE", "begin", cause) == -1)
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	if (store_query_int(db, "PRAGMA user_version", &version, cause) == -1)
		goto fail;
	if (version >= latest) {
		if (store_run(db, "ROLLBACK", "rollback", cause) == -1)
			return -1;
		if (version > latest)
			goto newer;
		return 0;
	}
	from = version;
	if (from == 0) {
		/* Some other program's database: do not add our tables. */
		if (store_query_int(db, "SELECT count(*) FROM sqlite_schema",
		    &count, cause) == -1)
			goto fail;
		if (count != 0) {
			xasprintf(cause, "not a rapidreviewd database "
			    "(schema version 0 but it holds tables)");
			goto fail;
		}
	}

	for (i = (size_t)from; i < n; i++) {
		if (store_exec_sql(db, m[i].sql, &why) == -1) {
			xasprintf(cause, "migration %d: %s", m[i].version, why);
			free(why);
			goto fail;
		}
		/* A pragma takes no parameters; the number is ours. */
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
		    m[i].version);
		if (store_exec_sql(db, sql, &why) == -1) {
			xasprintf(cause, "migration %d: user_version: %s",
			    m[i].version, why);
			free(why);
			goto fail;
		}
	}

	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "foreign_key_check: %s", sqlite3_errmsg(db));
		goto fail;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		table = (const char *)sqlite3_column_text(st, 0);
		xasprintf(cause, "migration to %d breaks a foreign key in %s",
		    latest, table != NULL ? table : "?");
		failed = 1;
	} else if (rc != SQLITE_DONE) {
		xasprintf(cause, "foreign_key_check: %s", sqlite3_errmsg(db));
		failed = 1;
	}
	sqlite3_finalize(st);
	if (failed)
		goto fail;

	if (store_run(db, "COMMIT", "commit", cause) == -1)
		goto fail;
	if (from == 0)
		log_info("%s: created schema version %d", path, latest);
	else
		log_info("%s: schema migrated from version %lld to %d", path,
		    (long long)from, latest);
	return 0;

fail:
	if (!sqlite3_get_autocommit(db)) {
		if (store_run(db, "ROLLBACK", "rollback", &why) == -1) {
			log_warnx("%s: %s", path, why);
			free(why);
		}
	}
	return -1;

newer:
	xasprintf(cause, "schema version %lld is newer than this program "
	    "knows (%d)", (long long)version, latest);
	return -1;
}

struct store *
store_open(const char *path, char **cause)
{
	return store_open_migrations(path, schema_migrations,
	    schema_nmigrations, cause);
}

struct store *
store_open_migrations(const char *path, const struct schema_migration *m,
    size_t n, char **cause)
{
	static const char	*companions[] = { "-wal", "-shm" };
	struct store		*s;
	sqlite3			*db = NULL;
	char			*why = NULL, *side, *msg;
	mode_t			 oldmask;
	int64_t			 fk;
	size_t			 i;
	int			 flags, rc;

	/*
	 * SQLite gives -wal and -shm the main file's mode; the umask covers
	 * the instant they are created, whatever the caller's umask.
	 */
	oldmask = umask(077);

	if (sqlite3_libversion_number() < STORE_SQLITE_MIN) {
		xasprintf(&why, "SQLite %s is too old (3.37 or later needed)",
		    sqlite3_libversion());
		goto fail;
	}
	if (path == NULL || *path == '\0') {
		why = xstrdup("no database path");
		goto fail;
	}
	if (store_check_parent(path, &why) == -1)
		goto fail;
	/* Companions first, so that a refusal leaves no new empty file. */
	for (i = 0; i < sizeof companions / sizeof companions[0]; i++) {
		xasprintf(&side, "%s%s", path, companions[i]);
		if (store_secure_file(side, 0, &why) == -1) {
			xasprintf(&msg, "%s: %s", side, why);
			free(why);
			why = msg;
			free(side);
			goto fail;
		}
		free(side);
	}
	if (store_secure_file(path, 1, &why) == -1)
		goto fail;

	/* No SQLITE_OPEN_CREATE: the file was made above, mode 0600. */
	flags = SQLITE_OPEN_READWRITE;
#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	if ((rc = sqlite3_open_v2(path, &db, flags, NULL)) != SQLITE_OK) {
		why = xstrdup(db != NULL ? sqlite3_errmsg(db) :
		    sqlite3_errstr(rc));
		goto fail;
	}
	if (store_configure(db, &why) == -1)
		goto fail;
	if (store_migrate(db, path, m, n, &why) == -1)
		goto fail;

	/* Outside any transaction, where this pragma takes effect. */
	if (store_run(db, "PRAGMA foreign_keys = ON", "foreign_keys",
	    &why) == -1)
		goto fail;
	if (store_query_int(db, "PRAGMA foreign_keys", &fk, &why) == -1)
		goto fail;
	if (fk != 1) {
		why = xstrdup("foreign keys cannot be enabled");
		goto fail;
	}

	umask(oldmask);
	s = xcalloc(1, sizeof *s);
	s->db = db;
	s->path = xstrdup(path);
	return s;

fail:
	umask(oldmask);
	if (db != NULL)
		sqlite3_close(db);
	xasprintf(cause, "%s: %s", path != NULL ? path : "(null)", why);
	free(why);
	return NULL;
}

void
store_close(struct store *s)
{
	sqlite3_stmt	*st;
	int		 leaked = 0;

	if (s == NULL)
		return;
	while ((st = sqlite3_next_stmt(s->db, NULL)) != NULL) {
		sqlite3_finalize(st);
		leaked++;
	}
	if (leaked > 0)
		log_warnx("%s: %d statement(s) left unfinalized", s->path,
		    leaked);
	if (!sqlite3_get_autocommit(s->db)) {
		log_warnx("%s: closed inside a transaction; rolled back",
		    s->path);
		store_rollback(s);
	}
	/* The last connection to close checkpoints and removes the WAL. */
	if (sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("%s: close: %s", s->path, sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

int
store_schema_version(struct store *s)
{
	int64_t	 version;
	char	*cause = NULL;

	if (store_query_int(s->db, "PRAGMA user_version", &version,
	    &cause) == -1) {
		log_warnx("%s: %s", s->path, cause);
		free(cause);
		return -1;
	}
	return (int)version;
}

int
store_schema_latest(void)
{
	return schema_migrations[schema_nmigrations - 1].version;
}

int
store_begin(struct store *s, char **cause)
{
	return store_run(s->db, "BEGIN IMMEDIATE", "begin", cause);
}

int
store_commit(struct store *s, char **cause)
{
	if (store_run(s->db, "COMMIT", "commit", cause) == -1) {
		/* A failed COMMIT can leave the transaction open (BUSY). */
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	char	*cause = NULL;

	if (sqlite3_get_autocommit(s->db))
		return;
	if (store_run(s->db, "ROLLBACK", "rollback", &cause) == -1) {
		log_warnx("%s: %s", s->path, cause);
		free(cause);
	}
}

int
store_set_busy_timeout(struct store *s, int ms)
{
	if (ms < 0)
		return -1;
	if (sqlite3_busy_timeout(s->db, ms) != SQLITE_OK)
		return -1;
	return 0;
}

int
store_exec(struct store *s, const char *sql, char **cause)
{
	return store_exec_sql(s->db, sql, cause);
}

int
store_audit(struct store *s, time_t at, const char *actor,
    const char *action, const char *case_ref, const char *detail,
    char **cause)
{
	sqlite3_stmt	*st = NULL;

	if (actor == NULL || *actor == '\0' ||
	    action == NULL || *action == '\0') {
		*cause = xstrdup("audit: actor and action are required");
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "INSERT INTO audit_log "
	    "(at, actor, action, case_ref, detail) VALUES (?, ?, ?, ?, ?)",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)at) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, case_ref, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	xasprintf(cause, "audit: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return -1;
}

long
store_audit_count(struct store *s)
{
	int64_t	 n;
	char	*cause = NULL;

	if (store_query_int(s->db, "SELECT count(*) FROM audit_log", &n,
	    &cause) == -1) {
		log_warnx("%s: %s", s->path, cause);
		free(cause);
		return -1;
	}
	return (long)n;
}

int
store_mailbox_state_get(struct store *s, const char *mailbox,
    uint32_t *uidvalidity, uint32_t *last_uid, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int64_t		 uv, uid;
	int		 rc;

	if (mailbox == NULL || *mailbox == '\0') {
		*cause = xstrdup("mailbox state: no mailbox name");
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT uidvalidity, last_uid "
	    "FROM mailbox_state WHERE mailbox = ?", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*uidvalidity = 0;
		*last_uid = 0;
		sqlite3_finalize(st);
		return 0;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	uv = sqlite3_column_int64(st, 0);
	uid = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	/* The table's CHECKs keep these in range; trust but verify. */
	if (uv < 0 || uv > UINT32_MAX || uid < 0 || uid > UINT32_MAX) {
		*cause = xstrdup("mailbox state: value out of range");
		return -1;
	}
	*uidvalidity = (uint32_t)uv;
	*last_uid = (uint32_t)uid;
	return 0;
fail:
	xasprintf(cause, "mailbox state: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return -1;
}

int
store_mailbox_state_set(struct store *s, const char *mailbox,
    uint32_t uidvalidity, uint32_t last_uid, char **cause)
{
	sqlite3_stmt	*st = NULL;

	if (mailbox == NULL || *mailbox == '\0') {
		*cause = xstrdup("mailbox state: no mailbox name");
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "INSERT INTO mailbox_state "
	    "(mailbox, uidvalidity, last_uid) VALUES (?, ?, ?) "
	    "ON CONFLICT (mailbox) DO UPDATE SET "
	    "uidvalidity = excluded.uidvalidity, "
	    "last_uid = excluded.last_uid", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, uidvalidity) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, last_uid) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	xasprintf(cause, "mailbox state: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return -1;
}
