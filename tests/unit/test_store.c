/*
 * test_store.c - the SQLite store: file modes, pragmas, migrations, the
 * append-only audit log, constraints, transactions and mailbox state.
 *
 * Each test gets its own mkdtemp directory under /tmp, removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "schema.h"
#include "store.h"

struct fixture {
	char	dir[64];
	char	path[128];
};

static int	setup(void **);
static int	teardown(void **);
static void	test_open_new(void **);
static void	test_reopen_keeps_data(void **);
static void	test_loose_mode_tightened(void **);
static void	test_audit_append_only(void **);
static void	test_audit_requires_actor(void **);
static void	test_foreign_key_enforced(void **);
static void	test_case_state_check(void **);
static void	test_schema_rules(void **);
static void	test_purge_cascade(void **);
static void	test_newer_schema_refused(void **);
static void	test_foreign_database(void **);
static void	test_not_a_database(void **);
static void	test_missing_parent(void **);
static void	test_symlink_refused(void **);
static void	test_mailbox_state(void **);
static void	test_rollback_discards(void **);
static void	test_commit_keeps(void **);
static void	test_busy_second_writer(void **);
static void	test_migration_failure(void **);
static void	test_migration_upgrade(void **);

static int
setup(void **state)
{
	struct fixture	*f;

	f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/rr-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/rr.db", f->dir);
	*state = f;
	return 0;
}

/* Remove everything the test made: files and one level of directories. */
static int
teardown(void **state)
{
	struct fixture	*f = *state;
	struct dirent	*de;
	DIR		*d;
	char		 p[512];

	if ((d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
			if (unlink(p) == -1)
				rmdir(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct store *
open_ok(const char *path)
{
	struct store	*s;
	char		*cause = NULL;

	s = store_open(path, &cause);
	if (s == NULL)
		fail_msg("store_open: %s", cause);
	assert_null(cause);
	return s;
}

static long long
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	long long	 v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
query_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt	*st;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* Run sql directly; returns the extended result code, message in msg. */
static int
raw_exec(sqlite3 *db, const char *sql, char *msg, size_t len)
{
	char	*err = NULL;
	int	 rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (msg != NULL)
		snprintf(msg, len, "%s", err != NULL ? err : "");
	sqlite3_free(err);
	return rc == SQLITE_OK ? rc : sqlite3_extended_errcode(db);
}

static void
exec_ok(struct store *s, const char *sql)
{
	char	*cause = NULL;

	if (store_exec(s, sql, &cause) == -1)
		fail_msg("store_exec: %s: %s", sql, cause);
}

static void
exec_fails(struct store *s, const char *sql, const char *want)
{
	char	*cause = NULL;

	if (store_exec(s, sql, &cause) == 0)
		fail_msg("store_exec succeeded: %s", sql);
	assert_non_null(cause);
	if (want != NULL && strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

static mode_t
file_mode(const char *path)
{
	struct stat	sb;

	assert_int_equal(lstat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* A case with one request, as the intake would make it. */
static const char case_sql[] =
    "INSERT INTO cases (id, ref, year, seq, day0, day0_basis,"
    " created_at, updated_at)"
    " VALUES (1, 'RR-2024-001', 2024, 1, '2024-07-08', 'notified',"
    " 1720400000, 1720400000);"
    "INSERT INTO requests (id, case_id, agency, state, origin, due_date,"
    " created_at)"
    " VALUES (1, 1, 'police', 'requested', 'sin', '2024-07-15',"
    " 1720400000);";

static const char sha_a[] =
    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'";

static void
test_open_new(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	sqlite3		*db;
	char		 buf[64], side[160], *cause = NULL;
	mode_t		 old;

	/* A loose caller umask must not leak into the database's files. */
	old = umask(022);
	s = open_ok(f->path);
	assert_int_equal(umask(022), 022);
	db = store_db(s);

	assert_int_equal(file_mode(f->path), 0600);
	query_text(db, "PRAGMA journal_mode", buf, sizeof buf);
	assert_string_equal(buf, "wal");
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);
	assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(query_int(db, "PRAGMA trusted_schema"), 0);
	assert_int_equal(query_int(db, "PRAGMA user_version"),
	    store_schema_latest());
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_int_equal(store_schema_latest(), (int)schema_nmigrations);

	assert_int_equal(store_audit(s, 1720400000, "daemon", "test.write",
	    NULL, NULL, &cause), 0);
	snprintf(side, sizeof side, "%s-wal", f->path);
	assert_int_equal(file_mode(side), 0600);
	snprintf(side, sizeof side, "%s-shm", f->path);
	assert_int_equal(file_mode(side), 0600);

	store_close(s);
	umask(old);
}

static void
test_reopen_keeps_data(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		*cause = NULL;
	long long	 tables;

	s = open_ok(f->path);
	assert_int_equal(store_audit(s, 1720400000, "daemon", "case.open",
	    "RR-2024-001", "sin", &cause), 0);
	exec_ok(s, case_sql);
	tables = query_int(store_db(s),
	    "SELECT count(*) FROM sqlite_schema");
	store_close(s);

	s = open_ok(f->path);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_int_equal(query_int(store_db(s),
	    "SELECT count(*) FROM sqlite_schema"), tables);
	assert_int_equal(store_audit_count(s), 1);
	assert_int_equal(query_int(store_db(s),
	    "SELECT count(*) FROM cases WHERE ref = 'RR-2024-001'"), 1);
	store_close(s);
}

static void
test_loose_mode_tightened(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	int		 fd;

	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);

	s = open_ok(f->path);
	assert_int_equal(file_mode(f->path), 0600);
	store_close(s);
}

static void
test_audit_append_only(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	sqlite3		*db;
	char		 msg[256], *cause = NULL;
	int		 i;

	s = open_ok(f->path);
	db = store_db(s);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_audit(s, 1720400000 + i, "daemon",
		    "case.open", i == 0 ? NULL : "RR-2024-001",
		    i == 2 ? "state=open" : NULL, &cause), 0);
	}
	assert_int_equal(store_audit_count(s), 3);

	assert_int_equal(raw_exec(db, "UPDATE audit_log SET actor = 'x'",
	    msg, sizeof msg), SQLITE_CONSTRAINT_TRIGGER);
	assert_string_equal(msg, "audit_log is append-only");
	assert_int_equal(raw_exec(db, "DELETE FROM audit_log WHERE id = 2",
	    msg, sizeof msg), SQLITE_CONSTRAINT_TRIGGER);
	assert_string_equal(msg, "audit_log is append-only");
	/* The truncate optimisation must not get round the trigger. */
	assert_int_equal(raw_exec(db, "DELETE FROM audit_log", msg,
	    sizeof msg), SQLITE_CONSTRAINT_TRIGGER);
	assert_string_equal(msg, "audit_log is append-only");
	/* REPLACE deletes without firing DELETE triggers: caught on insert. */
	assert_int_equal(raw_exec(db, "INSERT OR REPLACE INTO audit_log"
	    " (id, at, actor, action) VALUES (1, 0, 'x', 'y')", msg,
	    sizeof msg), SQLITE_CONSTRAINT_TRIGGER);
	assert_string_equal(msg, "audit_log is append-only");
	assert_int_equal(raw_exec(db, "INSERT INTO audit_log (id, at, actor,"
	    " action) VALUES (2, 0, 'x', 'y') ON CONFLICT (id) DO UPDATE SET"
	    " actor = 'x'", msg, sizeof msg), SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(raw_exec(db, "REPLACE INTO audit_log (id, at, actor,"
	    " action) VALUES (3, 0, 'x', 'y')", msg, sizeof msg),
	    SQLITE_CONSTRAINT_TRIGGER);

	assert_int_equal(store_audit_count(s), 3);
	assert_int_equal(query_int(db,
	    "SELECT count(*) FROM audit_log WHERE actor = 'daemon'"), 3);
	store_close(s);
}

static void
test_audit_requires_actor(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		*cause = NULL;

	s = open_ok(f->path);
	assert_int_equal(store_audit(s, 0, "", "case.open", NULL, NULL,
	    &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(store_audit(s, 0, "daemon", NULL, NULL, NULL,
	    &cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(store_audit_count(s), 0);
	store_close(s);
}

static void
test_foreign_key_enforced(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;

	s = open_ok(f->path);
	exec_fails(s, "INSERT INTO children (case_id, position, identifier)"
	    " VALUES (999, 0, 'Child J')", "FOREIGN KEY");
	assert_int_equal(sqlite3_extended_errcode(store_db(s)),
	    SQLITE_CONSTRAINT_FOREIGNKEY);
	exec_ok(s, case_sql);
	exec_ok(s, "INSERT INTO children (case_id, position, identifier)"
	    " VALUES (1, 0, 'Child J')");
	store_close(s);
}

static void
test_case_state_check(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;

	s = open_ok(f->path);
	exec_fails(s, "INSERT INTO cases (ref, year, seq, state, day0,"
	    " day0_basis, created_at, updated_at) VALUES ('RR-2024-001',"
	    " 2024, 1, 'reopened', '2024-07-08', 'notified', 0, 0)",
	    "CHECK constraint failed");
	exec_ok(s, case_sql);
	exec_fails(s, "UPDATE cases SET state = 'bogus' WHERE id = 1",
	    "CHECK constraint failed");
	exec_ok(s, "UPDATE cases SET state = 'awaiting_returns'"
	    " WHERE id = 1");
	/* Withdrawing needs a reason. */
	exec_fails(s, "UPDATE cases SET state = 'withdrawn' WHERE id = 1",
	    "CHECK constraint failed");
	exec_ok(s, "UPDATE cases SET state = 'withdrawn',"
	    " withdrawn_reason = 'criteria not met' WHERE id = 1");
	store_close(s);
}

/* The other constraints the modules rely on. */
static void
test_schema_rules(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		 sql[1024];

	s = open_ok(f->path);
	exec_ok(s, case_sql);

	/* ref must agree with year and seq. */
	exec_fails(s, "INSERT INTO cases (ref, year, seq, day0, day0_basis,"
	    " created_at, updated_at) VALUES ('RR-2024-2', 2024, 2,"
	    " '2024-07-08', 'notified', 0, 0)", "CHECK");
	exec_fails(s, "INSERT INTO cases (ref, year, seq, day0, day0_basis,"
	    " created_at, updated_at) VALUES ('RR-2024-001', 2024, 1,"
	    " '2024-07-08', 'notified', 0, 0)", "UNIQUE");
	exec_ok(s, "INSERT INTO cases (ref, year, seq, day0, day0_basis,"
	    " created_at, updated_at) VALUES ('RR-2024-1000', 2024, 1000,"
	    " '2024-07-08', 'notified', 0, 0)");

	/* Dates are real ISO dates. */
	exec_fails(s, "INSERT INTO milestones (case_id, kind, due_date)"
	    " VALUES (1, 'returns_due', '2024-02-30')", "CHECK");
	exec_fails(s, "INSERT INTO milestones (case_id, kind, due_date)"
	    " VALUES (1, 'returns_due', '15/07/2024')", "CHECK");
	exec_ok(s, "INSERT INTO milestones (case_id, kind, due_date)"
	    " VALUES (1, 'returns_due', '2024-07-15')");
	/* An extension needs a reason. */
	exec_fails(s, "UPDATE milestones SET extended_due = '2024-07-17'",
	    "CHECK");
	exec_ok(s, "UPDATE milestones SET extended_due = '2024-07-17',"
	    " extended_reason = 'lead on leave'");

	/* STRICT: no silent coercion. */
	exec_fails(s, "UPDATE cases SET meeting_at = 'soon' WHERE id = 1",
	    "cannot store TEXT");

	/* One current return per request. */
	exec_ok(s, "INSERT INTO returns (request_id, version, complete,"
	    " source, received_at) VALUES (1, 1, 0, 'text', 0)");
	exec_fails(s, "INSERT INTO returns (request_id, version, complete,"
	    " source, received_at) VALUES (1, 2, 1, 'docx', 0)", "UNIQUE");
	exec_ok(s, "UPDATE returns SET superseded = 1 WHERE version = 1;"
	    "INSERT INTO returns (request_id, version, complete, source,"
	    " received_at, lcspr_view) VALUES (1, 2, 1, 'docx', 0, 'unsure')");
	exec_fails(s, "UPDATE returns SET lcspr_view = 'maybe'", "CHECK");
	exec_fails(s, "UPDATE returns SET source = 'pdf'", "CHECK");
	exec_fails(s, "INSERT INTO chronology (return_id, position, date)"
	    " VALUES (2, 0, '2023-02-29')", "CHECK");
	exec_ok(s, "INSERT INTO chronology (return_id, position, date,"
	    " date_text) VALUES (2, 0, NULL, 'early 2023'), (2, 1,"
	    " '2024-02-29', '29/2/2024')");

	/* The outbox queues a scheduled event once per recipient. */
	snprintf(sql, sizeof sql, "INSERT INTO messages (id, direction,"
	    " case_id, kind, msgid, sha256, size, received_at, raw) VALUES"
	    " (1, 'out', 1, 'reminder', 'a@example.org', %s, 3, 0, x'414243');"
	    "INSERT INTO outbox (message_id, case_id, template, recipient,"
	    " dedupe_key, next_attempt_at, created_at) VALUES (1, 1,"
	    " 'reminder', 'lead@police.example', 'reminder:RR-2024-001:police:-2',"
	    " 0, 0);", sha_a);
	exec_ok(s, sql);
	exec_fails(s, "INSERT INTO outbox (message_id, case_id, template,"
	    " recipient, dedupe_key, next_attempt_at, created_at) VALUES"
	    " (1, 1, 'reminder', 'lead@police.example',"
	    " 'reminder:RR-2024-001:police:-2', 0, 0)", "UNIQUE");
	exec_fails(s, "UPDATE outbox SET state = 'lost'", "CHECK");
	exec_fails(s, "UPDATE outbox SET state = 'sent'", "CHECK");
	exec_ok(s, "UPDATE outbox SET state = 'sent', sent_at = 5");
	exec_fails(s, "INSERT INTO outbox_attempts (outbox_id, at, result)"
	    " VALUES (1, 0, 'maybe')", "CHECK");
	exec_ok(s, "INSERT INTO outbox_attempts (outbox_id, at, result,"
	    " smtp_code) VALUES (1, 0, 'sent', 250)");

	/* Hashes are lower-case hex. */
	exec_fails(s, "INSERT INTO messages (direction, kind, sha256, size,"
	    " received_at) VALUES ('in', 'other', 'not-a-hash', 0, 0)",
	    "CHECK");
	exec_fails(s, "INSERT INTO messages (direction, kind, sha256, size,"
	    " received_at) VALUES ('sideways', 'other', "
	    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
	    " 0, 0)", "CHECK");

	/* The ledger keys a UID once per folder and UIDVALIDITY. */
	snprintf(sql, sizeof sql, "INSERT INTO mailbox_ledger (mailbox,"
	    " uidvalidity, uid, sha256, state, processed_at) VALUES"
	    " ('INBOX', 7, 42, %s, 'processed', 0)", sha_a);
	exec_ok(s, sql);
	exec_fails(s, sql, "UNIQUE");
	store_close(s);
}

/* Deleting a case takes its data but keeps the audit log and the ledger. */
static void
test_purge_cascade(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	sqlite3		*db;
	char		 sql[2048], *cause = NULL;

	s = open_ok(f->path);
	db = store_db(s);
	exec_ok(s, case_sql);
	snprintf(sql, sizeof sql,
	    "INSERT INTO children (case_id, position, identifier, age)"
	    " VALUES (1, 0, 'Child J', '5');"
	    "INSERT INTO messages (id, direction, case_id, agency, kind,"
	    " msgid, sha256, size, received_at, raw) VALUES (1, 'in', 1,"
	    " 'police', 'reply', 'r@police.example', %s, 3, 0, x'414243');"
	    "INSERT INTO attachments (id, message_id, part, filename,"
	    " content_type, size, sha256, data) VALUES (1, 1, 2,"
	    " 'return.docx', 'application/octet-stream', 3, %s, x'414243');"
	    "INSERT INTO returns (id, request_id, version, complete, source,"
	    " message_id, attachment_id, received_at) VALUES (1, 1, 1, 1,"
	    " 'docx', 1, 1, 0);"
	    "INSERT INTO chronology (return_id, position, date, event) VALUES"
	    " (1, 0, '2024-06-01', 'home visit');"
	    "INSERT INTO notes (case_id, request_id, message_id, kind, body,"
	    " created_at) VALUES (1, 1, 1, 'reply', 'will follow', 0);"
	    "INSERT INTO milestones (case_id, kind, due_date) VALUES"
	    " (1, 'panel_submission', '2024-07-29');"
	    "INSERT INTO attendees (case_id, address, changed_at) VALUES"
	    " (1, 'chair@scp.example', 0);"
	    "INSERT INTO quarantine (message_id, reason, created_at,"
	    " released_at, released_by, released_case_id, released_agency)"
	    " VALUES (1, 'unknown sender', 0, 1, 'ctl', 1, 'police');"
	    "INSERT INTO mailbox_ledger (mailbox, uidvalidity, uid, msgid,"
	    " sha256, message_id, state, processed_at) VALUES ('INBOX', 7, 1,"
	    " 'r@police.example', %s, 1, 'processed', 0);"
	    "UPDATE cases SET sin_message_id = 1 WHERE id = 1;",
	    sha_a, sha_a, sha_a);
	exec_ok(s, sql);
	assert_int_equal(store_audit(s, 0, "ctl", "case.purge",
	    "RR-2024-001", NULL, &cause), 0);

	exec_ok(s, "DELETE FROM cases WHERE id = 1");
	assert_int_equal(query_int(db, "SELECT (SELECT count(*) FROM"
	    " children) + (SELECT count(*) FROM requests) + (SELECT count(*)"
	    " FROM messages) + (SELECT count(*) FROM attachments) + (SELECT"
	    " count(*) FROM returns) + (SELECT count(*) FROM chronology) +"
	    " (SELECT count(*) FROM notes) + (SELECT count(*) FROM milestones)"
	    " + (SELECT count(*) FROM attendees) + (SELECT count(*) FROM"
	    " quarantine)"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_ledger"
	    " WHERE message_id IS NULL"), 1);
	assert_int_equal(store_audit_count(s), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM"
	    " pragma_foreign_key_check"), 0);
	store_close(s);
}

static void
test_newer_schema_refused(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	sqlite3		*db;
	char		 sql[64], *cause = NULL;

	s = open_ok(f->path);
	store_close(s);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
	    store_schema_latest() + 1);
	assert_int_equal(raw_exec(db, sql, NULL, 0), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	s = store_open(f->path, &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "newer than this program"));
	assert_non_null(strstr(cause, f->path));
	free(cause);
}

/* Another program's SQLite database is not taken over. */
static void
test_foreign_database(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	sqlite3		*db;
	char		*cause = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(raw_exec(db, "CREATE TABLE moz_places (id INTEGER)",
	    NULL, 0), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	s = store_open(f->path, &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "not a rapidreviewd database"));
	free(cause);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_schema"),
	    1);
	sqlite3_close(db);
}

static void
test_not_a_database(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	unsigned char	 junk[8192], back[8192];
	uint32_t	 x = 2463534242u;
	size_t		 i;
	char		*cause = NULL;
	FILE		*fp;

	for (i = 0; i < sizeof junk; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (unsigned char)x;
	}
	assert_non_null(fp = fopen(f->path, "wb"));
	assert_int_equal(fwrite(junk, 1, sizeof junk, fp), sizeof junk);
	fclose(fp);

	s = store_open(f->path, &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "not a database"));
	free(cause);

	/* And the file is left as it was. */
	assert_non_null(fp = fopen(f->path, "rb"));
	assert_int_equal(fread(back, 1, sizeof back, fp), sizeof back);
	assert_int_equal(fgetc(fp), EOF);
	fclose(fp);
	assert_memory_equal(junk, back, sizeof junk);
}

static void
test_missing_parent(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		 path[192], *cause = NULL;

	snprintf(path, sizeof path, "%s/nowhere/rr.db", f->dir);
	s = store_open(path, &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "does not exist"));
	assert_non_null(strstr(cause, "nowhere"));
	free(cause);

	cause = NULL;
	s = store_open("", &cause);
	assert_null(s);
	assert_non_null(cause);
	free(cause);
}

static void
test_symlink_refused(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		 target[192], side[192], *cause = NULL;

	snprintf(target, sizeof target, "%s/elsewhere.db", f->dir);
	assert_int_equal(symlink(target, f->path), 0);
	s = store_open(f->path, &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "symbolic link"));
	free(cause);
	assert_int_equal(access(target, F_OK), -1);

	/* A planted -wal link is refused too. */
	assert_int_equal(unlink(f->path), 0);
	snprintf(side, sizeof side, "%s-wal", f->path);
	assert_int_equal(symlink(target, side), 0);
	cause = NULL;
	s = store_open(f->path, &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "symbolic link"));
	assert_non_null(strstr(cause, "-wal"));
	free(cause);
	/* Refused before the database file was made. */
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(access(target, F_OK), -1);
}

static void
test_mailbox_state(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	uint32_t	 uv = 1, uid = 1;
	char		*cause = NULL;

	s = open_ok(f->path);
	assert_int_equal(store_mailbox_state_get(s, "INBOX", &uv, &uid,
	    &cause), 0);
	assert_int_equal(uv, 0);
	assert_int_equal(uid, 0);

	assert_int_equal(store_mailbox_state_set(s, "INBOX", 1700000000u,
	    42, &cause), 0);
	assert_int_equal(store_mailbox_state_get(s, "INBOX", &uv, &uid,
	    &cause), 0);
	assert_int_equal(uv, 1700000000u);
	assert_int_equal(uid, 42);

	/* Upsert, and the full 32-bit range round-trips. */
	assert_int_equal(store_mailbox_state_set(s, "INBOX", UINT32_MAX,
	    UINT32_MAX - 1, &cause), 0);
	assert_int_equal(store_mailbox_state_get(s, "INBOX", &uv, &uid,
	    &cause), 0);
	assert_int_equal(uv, UINT32_MAX);
	assert_int_equal(uid, UINT32_MAX - 1);
	assert_int_equal(query_int(store_db(s),
	    "SELECT count(*) FROM mailbox_state"), 1);

	/* Folders are independent. */
	assert_int_equal(store_mailbox_state_get(s, "Rapid Review/Processed",
	    &uv, &uid, &cause), 0);
	assert_int_equal(uv, 0);
	assert_int_equal(uid, 0);

	assert_int_equal(store_mailbox_state_get(s, "", &uv, &uid, &cause),
	    -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(store_mailbox_state_set(s, NULL, 1, 1, &cause), -1);
	assert_non_null(cause);
	free(cause);
	store_close(s);
}

static void
test_rollback_discards(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		*cause = NULL;

	s = open_ok(f->path);
	assert_int_equal(store_begin(s, &cause), 0);
	assert_int_equal(store_audit(s, 0, "daemon", "case.open", NULL, NULL,
	    &cause), 0);
	assert_int_equal(store_mailbox_state_set(s, "INBOX", 9, 9, &cause),
	    0);
	exec_ok(s, case_sql);
	store_rollback(s);

	assert_int_equal(store_audit_count(s), 0);
	assert_int_equal(query_int(store_db(s),
	    "SELECT count(*) FROM cases"), 0);
	assert_int_equal(query_int(store_db(s),
	    "SELECT count(*) FROM mailbox_state"), 0);
	/* Rolling back with nothing open is harmless. */
	store_rollback(s);

	/* A second begin inside a transaction is an error, not a hang. */
	assert_int_equal(store_begin(s, &cause), 0);
	assert_int_equal(store_begin(s, &cause), -1);
	assert_non_null(cause);
	free(cause);
	store_rollback(s);
	store_close(s);
}

static void
test_commit_keeps(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		*cause = NULL;

	s = open_ok(f->path);
	assert_int_equal(store_begin(s, &cause), 0);
	assert_int_equal(store_audit(s, 0, "daemon", "case.open",
	    "RR-2024-001", NULL, &cause), 0);
	exec_ok(s, case_sql);
	assert_int_equal(store_commit(s, &cause), 0);
	assert_null(cause);
	store_close(s);

	s = open_ok(f->path);
	assert_int_equal(store_audit_count(s), 1);
	assert_int_equal(query_int(store_db(s),
	    "SELECT count(*) FROM requests"), 1);
	/* A commit with nothing open fails cleanly. */
	assert_int_equal(store_commit(s, &cause), -1);
	assert_non_null(cause);
	free(cause);
	/* Left open by mistake: close rolls it back. */
	assert_int_equal(store_begin(s, &cause), 0);
	assert_int_equal(store_audit(s, 0, "daemon", "x", NULL, NULL,
	    &cause), 0);
	store_close(s);
	s = open_ok(f->path);
	assert_int_equal(store_audit_count(s), 1);
	store_close(s);
}

static void
test_busy_second_writer(void **state)
{
	struct fixture	*f = *state;
	struct store	*a, *b;
	char		*cause = NULL;

	a = open_ok(f->path);
	b = open_ok(f->path);
	assert_int_equal(store_set_busy_timeout(b, 50), 0);
	assert_int_equal(store_set_busy_timeout(b, -1), -1);

	assert_int_equal(store_begin(a, &cause), 0);
	assert_int_equal(store_audit(a, 0, "daemon", "x", NULL, NULL,
	    &cause), 0);
	assert_int_equal(store_begin(b, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "locked"));
	free(cause);
	cause = NULL;
	/* Readers are not blocked by the writer (WAL). */
	assert_int_equal(store_audit_count(b), 0);

	assert_int_equal(store_commit(a, &cause), 0);
	assert_int_equal(store_begin(b, &cause), 0);
	assert_int_equal(store_audit_count(b), 1);
	assert_int_equal(store_commit(b, &cause), 0);
	store_close(b);
	store_close(a);
}

static const struct schema_migration bad_migrations[] = {
	{ 1, "CREATE TABLE a (x INTEGER);" },
	{ 2, "CREATE TABLE b (x INTEGER); INSERT INTO nosuch VALUES (1);" },
};

static const struct schema_migration good_migrations[] = {
	{ 1, "CREATE TABLE a (x INTEGER);" },
	{ 2, "CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (2);" },
};

static void
test_migration_failure(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	sqlite3		*db;
	char		*cause = NULL;

	s = store_open_migrations(f->path, bad_migrations, 2, &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "migration 2"));
	assert_non_null(strstr(cause, "no such table: nosuch"));
	free(cause);

	/* All pending migrations were one transaction: nothing is left. */
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_schema"),
	    0);
	sqlite3_close(db);

	/* A list with a gap is refused. */
	cause = NULL;
	s = store_open_migrations(f->path, bad_migrations + 1, 1, &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "out of order"));
	free(cause);
}

static void
test_migration_upgrade(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		*cause = NULL;

	s = store_open_migrations(f->path, good_migrations, 1, &cause);
	assert_non_null(s);
	assert_int_equal(store_schema_version(s), 1);
	exec_ok(s, "INSERT INTO a VALUES (1)");
	store_close(s);

	s = store_open_migrations(f->path, good_migrations, 2, &cause);
	assert_non_null(s);
	assert_int_equal(store_schema_version(s), 2);
	assert_int_equal(query_int(store_db(s), "SELECT sum(x) FROM a"), 3);
	store_close(s);

	/* An older program refuses the newer file. */
	s = store_open_migrations(f->path, good_migrations, 1, &cause);
	assert_null(s);
	assert_non_null(strstr(cause, "newer"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_new, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_loose_mode_tightened,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_requires_actor,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_key_enforced,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_state_check, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_schema_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_cascade, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_parent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mailbox_state, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback_discards, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commit_keeps, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy_second_writer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migration_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migration_upgrade, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
