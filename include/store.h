/*
 * store.h - the SQLite database: the daemon's single source of truth.
 *
 * The database runs in WAL mode with synchronous=FULL, foreign keys on and
 * a busy timeout. The schema is a list of numbered migrations applied at
 * open inside one transaction. The file (and its -wal/-shm companions) is
 * created mode 0600. The audit_log table is append-only: triggers refuse
 * UPDATE and DELETE on it.
 */
#ifndef RR_STORE_H
#define RR_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

struct store;
struct schema_migration;

/*
 * Open (creating when missing) the database at path and bring its schema up
 * to date. Returns the store, or NULL with *cause set (caller frees) when
 * the file cannot be opened, is not a database, has a schema newer than this
 * program, or a migration fails (nothing of that migration is kept).
 * The directory holding path must exist; path must not be a symbolic link.
 * An existing file, -wal or -shm open to group or others is tightened to
 * owner-only, with a warning. Sets the process umask to 077 while it runs.
 */
struct store	*store_open(const char *path, char **cause);

/*
 * store_open with a given list of migrations instead of the program's own
 * (schema.h), in order and numbered 1..n. For tests of the migration
 * runner; the daemon uses store_open.
 */
struct store	*store_open_migrations(const char *path,
		    const struct schema_migration *, size_t n, char **cause);

/*
 * Close the database. A transaction still open is rolled back and
 * statements left unfinalized are finalized (with a warning): both are
 * bugs in the caller. NULL is allowed.
 */
void		 store_close(struct store *);

/* The underlying handle, for modules that prepare their own statements. */
sqlite3		*store_db(struct store *);

/*
 * The schema version now in the database (PRAGMA user_version; -1 on
 * error), and the newest this program knows.
 */
int	store_schema_version(struct store *);
int	store_schema_latest(void);

/*
 * Transactions. begin is BEGIN IMMEDIATE, so that a writer learns at once,
 * not at commit, that another holds the lock. Each returns 0 or -1 with
 * *cause set (caller frees). rollback never fails from the caller's view.
 */
int	store_begin(struct store *, char **cause);
/* A commit that fails has rolled the transaction back. */
int	store_commit(struct store *, char **cause);
/* Does nothing when no transaction is open. */
void	store_rollback(struct store *);

/*
 * How long a statement waits for another connection's lock before it
 * fails with "database is locked" (5000 ms from store_open). Returns 0 or
 * -1 when ms is negative.
 */
int	store_set_busy_timeout(struct store *, int ms);

/*
 * Run one or more SQL statements that return no rows and take no
 * parameters (fixed text only: never build SQL from data). Returns 0 or
 * -1 with *cause set (caller frees) to SQLite's message.
 */
int	store_exec(struct store *, const char *sql, char **cause);

/*
 * Append one row to the audit log. actor is who acted ("daemon", an
 * address, "ctl"); action a short verb ("case.open", "config.reload");
 * case_ref and detail may be NULL. detail must hold no personal data.
 * Returns 0 or -1 with *cause set.
 */
int	store_audit(struct store *, time_t at, const char *actor,
	    const char *action, const char *case_ref, const char *detail,
	    char **cause);

/* Number of rows in the audit log (for tests and status). -1 on error. */
long	store_audit_count(struct store *);

/*
 * The mailbox ledger's per-folder state: the UIDVALIDITY last seen and the
 * highest UID handled. A folder never seen reads as uidvalidity 0, uid 0.
 * Return 0 or -1 with *cause set.
 */
int	store_mailbox_state_get(struct store *, const char *mailbox,
	    uint32_t *uidvalidity, uint32_t *last_uid, char **cause);
int	store_mailbox_state_set(struct store *, const char *mailbox,
	    uint32_t uidvalidity, uint32_t last_uid, char **cause);

#endif
