/*
 * test_purge.c - retention: a dry run changes nothing; a purge clears an
 * expired case's content (and its bytes leave the files) but keeps its
 * dates, requests, milestones and audit trail; held, recent, open and
 * already purged cases are untouched; legal hold; the online backup.
 *
 * Four cases over a real store, "now" being T0:
 *	1 RR-2023-001 closed 400 days ago	expired: purged
 *	2 RR-2024-002 closed 10 days ago	kept (retention 365)
 *	3 RR-2023-003 closed 400 days ago, held	kept
 *	4 RR-2024-004 open			kept
 * Each has a child, a request, a milestone, a message in (with an
 * attachment) and out (with an outbox row), a return with a chronology
 * row, a note and an audit row; content carries markers "...-N-SECRET".
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

#include "config.h"
#include "purge.h"
#include "store.h"

#define T0	1720400000LL	/* Mon 8 Jul 2024, 01:53 UTC */
#define DAY	86400LL
#define SHA	"'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct store	*s;
	struct config	 cfg;
};

static int	setup(void **);
static int	teardown(void **);
static void	exec_ok(struct store *, const char *);
static long long q_int(struct store *, const char *);
static char	*q_text(struct store *, const char *);
static void	assert_text(struct store *, const char *, const char *);
static void	add_case(struct store *, int, int, int, const char *,
		    long long, int);
static int	file_has(const char *, const char *);
static void	test_dry_run(void **);
static void	test_purge_clears(void **);
static void	test_purge_keeps(void **);
static void	test_purge_others_untouched(void **);
static void	test_purge_bytes_leave_files(void **);
static void	test_purge_again(void **);
static void	test_purge_withdrawn(void **);
static void	test_retention_zero(void **);
static void	test_refused_in_transaction(void **);
static void	test_hold(void **);
static void	test_hold_in_transaction(void **);
static void	test_backup(void **);
static void	test_backup_refusals(void **);

static void
exec_ok(struct store *s, const char *sql)
{
	char	*err = NULL;

	if (store_exec(s, sql, &err) != 0)
		fail_msg("%s: %s", sql, err);
}

static long long
q_int(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;
	long long	 v;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_db(s)));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: no row", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column as text, "NULL" for an SQL NULL; caller frees. */
static char *
q_text(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;
	const char	*t;
	char		*v;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_db(s)));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: no row", sql);
	t = (const char *)sqlite3_column_text(st, 0);
	v = strdup(t != NULL ? t : "NULL");
	sqlite3_finalize(st);
	assert_non_null(v);
	return v;
}

static void
assert_text(struct store *s, const char *sql, const char *want)
{
	char	*v = q_text(s, sql);

	if (strcmp(v, want) != 0)
		fail_msg("%s: got '%s', want '%s'", sql, v, want);
	free(v);
}

/* Case n (ids n, messages 10n+1 in and 10n+2 out) with content markers. */
static void
add_case(struct store *s, int n, int year, int seq, const char *state,
    long long closed_at, int hold)
{
	char	sql[8192], closed[32], *cause = NULL;

	if (closed_at == 0)
		snprintf(closed, sizeof closed, "NULL");
	else
		snprintf(closed, sizeof closed, "%lld", closed_at);
	snprintf(sql, sizeof sql,
	    "INSERT INTO cases (id, ref, year, seq, state, day0, day0_basis,"
	    " date_notified, date_aware, incident_date, incident_type,"
	    " panel_ref, local_authority, background, missing_fields,"
	    " notifier, decision, decision_text, withdrawn_reason, legal_hold,"
	    " created_at, updated_at, closed_at) VALUES (%d,"
	    " printf('RR-%%04d-%%03d', %d, %d), %d, %d, '%s', '%d-01-08',"
	    " 'notified', '%d-01-08', '%d-01-05', '%d-01-01', 'serious_harm',"
	    " 'NP-%d', 'Northshire', 'BG-%d-SECRET', 'Date aware',"
	    " 'sw%d@northshire.gov.uk', 'no-lcspr', 'DECISION-%d-SECRET',"
	    " %s, %d, %lld, %lld, %s);"
	    "INSERT INTO children (case_id, position, identifier, age, dob,"
	    " sex, ethnicity, disability) VALUES (%d, 0, 'CHILD-%d-SECRET',"
	    " '5', '2019-01-01', 'F', 'White British', 'none');"
	    "INSERT INTO requests (id, case_id, agency, state, origin,"
	    " due_date, extended_due, extended_reason, requested_at,"
	    " returned_at, created_at) VALUES (%d, %d, 'police', 'returned',"
	    " 'sin', '%d-01-15', '%d-01-17', 'EXT-%d-SECRET', %lld, %lld,"
	    " %lld);"
	    "INSERT INTO milestones (case_id, kind, due_date, extended_due,"
	    " extended_reason, done_at) VALUES (%d, 'panel_submission',"
	    " '%d-01-29', '%d-01-30', 'MS-%d-SECRET', %lld);"
	    "INSERT INTO messages (id, direction, case_id, agency, kind, msgid,"
	    " sender, subject, raw, sha256, size, received_at) VALUES"
	    " (%d, 'in', %d, 'police', 'reply', 'in%d@police.example',"
	    " 'lead@police.example', 'SUBJ-%d-SECRET',"
	    " CAST('RAW-%d-SECRET in' AS BLOB), " SHA ", 16, %lld),"
	    " (%d, 'out', %d, 'police', 'request', 'out%d@scp.example',"
	    " 'rapidreview@scp.example', 'SUBJ-%d-SECRET',"
	    " CAST('RAW-%d-SECRET out' AS BLOB), " SHA ", 17, %lld);"
	    "INSERT INTO attachments (message_id, part, filename, content_type,"
	    " size, sha256, data) VALUES (%d, 2, 'FILE-%d-SECRET.docx',"
	    " 'application/octet-stream', 12, " SHA ","
	    " CAST('ATT-%d-SECRET' AS BLOB));"
	    "INSERT INTO outbox (message_id, case_id, template, recipient,"
	    " state, next_attempt_at, created_at, sent_at) VALUES (%d, %d,"
	    " 'request', 'lead@police.example', 'sent', 0, %lld, %lld);"
	    "INSERT INTO returns (id, request_id, version, complete, source,"
	    " message_id, author, email, involvement, learning, lcspr_view,"
	    " missing, received_at) VALUES (%d, %d, 1, 1, 'docx', %d,"
	    " 'AUTHOR-%d-SECRET', 'lead@police.example', 'INV-%d-SECRET',"
	    " 'LEARN-%d-SECRET', 'no', 'phone', %lld);"
	    "INSERT INTO chronology (return_id, position, date, date_text,"
	    " event, outcome) VALUES (%d, 0, '%d-01-02', '2/1/%d',"
	    " 'EVENT-%d-SECRET', 'OUTCOME-%d-SECRET');"
	    "INSERT INTO notes (case_id, request_id, message_id, kind, author,"
	    " body, created_at) VALUES (%d, %d, %d, 'reply',"
	    " 'lead@police.example', 'NOTE-%d-SECRET', %lld);"
	    "INSERT INTO attendees (case_id, address, changed_at) VALUES"
	    " (%d, 'chair@scp.example', %lld);",
	    n, year, seq, year, seq, state, year, year, year, year - 1, n, n,
	    n, n, strcmp(state, "withdrawn") == 0 ? "'WD-SECRET'" : "NULL",
	    hold, T0 - 500 * DAY, T0 - 500 * DAY, closed,
	    n, n,
	    n, n, year, year, n, T0 - 499 * DAY, T0 - 495 * DAY,
	    T0 - 500 * DAY,
	    n, year, year, n, T0 - 490 * DAY,
	    10 * n + 1, n, n, n, n, T0 - 495 * DAY,
	    10 * n + 2, n, n, n, n, T0 - 499 * DAY,
	    10 * n + 1, n, n,
	    10 * n + 2, n, T0 - 499 * DAY, T0 - 499 * DAY,
	    n, n, 10 * n + 1, n, n, n, T0 - 495 * DAY,
	    n, year, year, n, n,
	    n, n, 10 * n + 1, n, T0 - 495 * DAY,
	    n, T0 - 500 * DAY);
	exec_ok(s, sql);
	snprintf(sql, sizeof sql, "RR-%04d-%03d", year, seq);
	if (store_audit(s, T0 - 500 * DAY, "daemon", "case.open", sql, NULL,
	    &cause) != 0)
		fail_msg("audit: %s", cause);
}

static int
setup(void **state)
{
	struct fixture	*f;
	char		*cause = NULL;

	f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/rr-test-purge-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/rr.db", f->dir);
	f->s = store_open(f->path, &cause);
	if (f->s == NULL)
		fail_msg("store_open: %s", cause);
	f->cfg.storage.retention_days = 365;

	add_case(f->s, 1, 2023, 1, "closed", T0 - 400 * DAY, 0);
	add_case(f->s, 2, 2024, 2, "closed", T0 - 10 * DAY, 0);
	add_case(f->s, 3, 2023, 3, "closed", T0 - 400 * DAY, 1);
	add_case(f->s, 4, 2024, 4, "open", 0, 0);
	/*
	 * Messages with no case: 98 only case 1's note names (cleared), 99
	 * named by notes of cases 1 and 4 (kept: case 4 is live).
	 */
	exec_ok(f->s, "INSERT INTO messages (id, direction, kind, subject,"
	    " raw, sha256, size, received_at) VALUES (98, 'in', 'command',"
	    " 'ONLY1-SECRET', CAST('ONLY1-SECRET' AS BLOB), " SHA ", 12, 0),"
	    " (99, 'in', 'command', 'SHARED-SECRET',"
	    " CAST('SHARED-SECRET' AS BLOB), " SHA ", 13, 0);"
	    "INSERT INTO notes (case_id, message_id, kind, body, created_at)"
	    " VALUES (1, 98, 'admin', 'n', 0), (1, 99, 'admin', 'n', 0),"
	    " (4, 99, 'admin', 'n', 0);"
	    /* A row still queued for the expired case. */
	    "INSERT INTO outbox (message_id, case_id, template, recipient,"
	    " next_attempt_at, created_at) VALUES (12, 1, 'request',"
	    " 'other@police.example', 0, 0);");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	struct dirent	*de;
	DIR		*d;
	char		 p[512];

	store_close(f->s);
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

/* Does the file hold the bytes of needle? A missing file does not. */
static int
file_has(const char *path, const char *needle)
{
	FILE	*fp;
	char	*buf;
	long	 len;
	int	 found;

	if ((fp = fopen(path, "rb")) == NULL)
		return 0;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	found = memmem(buf, (size_t)len, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static const char content_sql[] =
    "SELECT (SELECT count(*) FROM messages WHERE raw IS NOT NULL) ||"
    " '/' || (SELECT count(*) FROM attachments WHERE data IS NOT NULL) ||"
    " '/' || (SELECT count(*) FROM notes WHERE body IS NOT NULL) ||"
    " '/' || (SELECT count(*) FROM children WHERE identifier LIKE"
    " 'CHILD-%') || '/' || (SELECT count(*) FROM cases WHERE background"
    " IS NOT NULL) || '/' || (SELECT count(*) FROM outbox WHERE state ="
    " 'queued') || '/' || (SELECT count(*) FROM cases WHERE purged_at IS"
    " NOT NULL)";

static void
test_dry_run(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL;
	int			 changes;

	assert_text(f->s, content_sql, "10/4/7/4/4/1/0");
	changes = sqlite3_total_changes(store_db(f->s));
	assert_int_equal(purge_run(f->s, &f->cfg, T0, 1, &rep, &cause), 0);
	assert_int_equal(rep.cases, 1);
	assert_int_equal(rep.nrefs, 1);
	assert_string_equal(rep.refs[0], "RR-2023-001");
	assert_int_equal(rep.messages, 3);	/* in, out, 98 */
	assert_int_equal(rep.attachments, 1);
	purge_report_free(&rep);
	assert_null(rep.refs);

	assert_int_equal(sqlite3_total_changes(store_db(f->s)), changes);
	assert_text(f->s, content_sql, "10/4/7/4/4/1/0");
	assert_int_equal(store_audit_count(f->s), 4);
}

static void
test_purge_clears(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL;
	long long		 secure;

	secure = q_int(f->s, "PRAGMA secure_delete");
	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), 0);
	assert_int_equal(rep.cases, 1);
	assert_int_equal(rep.nrefs, 1);
	assert_string_equal(rep.refs[0], "RR-2023-001");
	assert_int_equal(rep.messages, 3);
	assert_int_equal(rep.attachments, 1);
	purge_report_free(&rep);
	/* The connection's setting is as it was. */
	assert_int_equal(q_int(f->s, "PRAGMA secure_delete"), secure);

	assert_text(f->s, "SELECT coalesce(background, missing_fields,"
	    " notifier, decision_text, 'cleared') FROM cases WHERE id = 1",
	    "cleared");
	assert_int_equal(q_int(f->s, "SELECT purged_at FROM cases WHERE"
	    " id = 1"), T0);
	assert_text(f->s, "SELECT identifier || coalesce(age, dob, sex,"
	    " ethnicity, disability, '') FROM children WHERE case_id = 1",
	    PURGE_IDENTIFIER);
	assert_text(f->s, "SELECT extended_reason FROM requests WHERE id = 1",
	    "");
	assert_text(f->s, "SELECT extended_reason FROM milestones WHERE"
	    " case_id = 1", "");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages WHERE"
	    " id IN (11, 12, 98) AND raw IS NULL AND subject IS NULL"), 3);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM attachments WHERE"
	    " message_id = 11 AND data IS NULL AND filename IS NULL"), 1);
	assert_text(f->s, "SELECT coalesce(author, email, involvement,"
	    " learning, 'cleared') FROM returns WHERE id = 1", "cleared");
	assert_text(f->s, "SELECT coalesce(date, date_text, event, outcome,"
	    " 'cleared') FROM chronology WHERE return_id = 1", "cleared");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM notes WHERE"
	    " case_id = 1 AND body IS NOT NULL"), 0);
	/* The queued row could never be sent: failed, not an alert later. */
	assert_text(f->s, "SELECT state || ':' || last_error FROM outbox"
	    " WHERE recipient = 'other@police.example'", "failed:case purged");

	/* The audit row: counts only. */
	assert_int_equal(store_audit_count(f->s), 5);
	assert_text(f->s, "SELECT actor || ' ' || action || ' ' || case_ref"
	    " || ' ' || detail || ' ' || at FROM audit_log ORDER BY id DESC"
	    " LIMIT 1", "retention case.purged RR-2023-001 messages=3"
	    " attachments=1 children=1 returns=1 chronology=1 notes=3"
	    " 1720400000");
}

static void
test_purge_keeps(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL;

	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), 0);
	purge_report_free(&rep);

	assert_text(f->s, "SELECT ref || ' ' || state || ' ' || day0 || ' '"
	    " || date_notified || ' ' || date_aware || ' ' || incident_date ||"
	    " ' ' || incident_type || ' ' || decision || ' ' || panel_ref ||"
	    " ' ' || closed_at FROM cases WHERE id = 1", "RR-2023-001 closed"
	    " 2023-01-08 2023-01-08 2023-01-05 2022-01-01 serious_harm"
	    " no-lcspr NP-1 1685840000");
	assert_text(f->s, "SELECT agency || ' ' || state || ' ' || due_date ||"
	    " ' ' || extended_due || ' ' || requested_at || ' ' || returned_at"
	    " FROM requests WHERE id = 1", "police returned 2023-01-15"
	    " 2023-01-17 1677286400 1677632000");
	assert_text(f->s, "SELECT kind || ' ' || due_date || ' ' ||"
	    " extended_due || ' ' || done_at FROM milestones WHERE case_id = 1",
	    "panel_submission 2023-01-29 2023-01-30 1678064000");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages WHERE"
	    " case_id = 1 AND msgid IS NOT NULL AND sender IS NOT NULL AND"
	    " sha256 IS NOT NULL AND size > 0"), 2);
	assert_text(f->s, "SELECT content_type || ' ' || size || ' ' ||"
	    " length(sha256) FROM attachments WHERE message_id = 11",
	    "application/octet-stream 12 64");
	assert_text(f->s, "SELECT source || ' ' || lcspr_view || ' ' ||"
	    " missing || ' ' || received_at FROM returns WHERE id = 1",
	    "docx no phone 1677632000");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM chronology WHERE"
	    " return_id = 1"), 1);
	assert_text(f->s, "SELECT template || ' ' || recipient || ' ' ||"
	    " state || ' ' || sent_at FROM outbox WHERE message_id = 12 AND"
	    " state = 'sent'", "request lead@police.example sent 1677286400");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM notes WHERE"
	    " case_id = 1 AND kind IS NOT NULL AND author IS NOT NULL"), 1);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM attendees WHERE"
	    " case_id = 1"), 1);
	/* The audit trail of the case is all there, and first is first. */
	assert_text(f->s, "SELECT group_concat(action, ',') FROM (SELECT"
	    " action FROM audit_log WHERE case_ref = 'RR-2023-001' ORDER BY"
	    " id)", "case.open,case.purged");
	assert_int_equal(store_schema_version(f->s), store_schema_latest());
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM"
	    " pragma_foreign_key_check"), 0);
}

static void
test_purge_others_untouched(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL;

	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), 0);
	purge_report_free(&rep);

	/* Cases 2 (recent), 3 (held) and 4 (open) keep everything. */
	assert_text(f->s, "SELECT group_concat(background, ',') FROM (SELECT"
	    " background FROM cases WHERE id > 1 ORDER BY id)",
	    "BG-2-SECRET,BG-3-SECRET,BG-4-SECRET");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM cases WHERE"
	    " id > 1 AND purged_at IS NULL AND notifier IS NOT NULL AND"
	    " decision_text IS NOT NULL"), 3);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM children WHERE"
	    " case_id > 1 AND identifier = 'CHILD-' || case_id || '-SECRET'"
	    " AND age IS NOT NULL"), 3);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages WHERE"
	    " case_id > 1 AND raw IS NOT NULL AND subject IS NOT NULL"), 6);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM attachments WHERE"
	    " message_id > 20 AND data IS NOT NULL"), 3);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM returns WHERE"
	    " id > 1 AND learning IS NOT NULL"), 3);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM chronology WHERE"
	    " return_id > 1 AND event IS NOT NULL"), 3);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM notes WHERE"
	    " case_id > 1 AND body IS NOT NULL"), 4);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM requests WHERE"
	    " id > 1 AND extended_reason LIKE 'EXT-%'"), 3);
	/* A message a live case also names keeps its bytes. */
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages WHERE"
	    " id = 99 AND raw IS NOT NULL AND subject IS NOT NULL"), 1);
	assert_int_equal(q_int(f->s, "SELECT legal_hold FROM cases WHERE"
	    " id = 3"), 1);
}

/* VACUUM and the checkpoint take the cleared bytes out of the files. */
static void
test_purge_bytes_leave_files(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL, wal[160];
	const char		*gone[] = { "RAW-1-SECRET", "ATT-1-SECRET",
				    "BG-1-SECRET", "NOTE-1-SECRET",
				    "CHILD-1-SECRET", "EVENT-1-SECRET",
				    "LEARN-1-SECRET", "ONLY1-SECRET" };
	size_t			 i;

	snprintf(wal, sizeof wal, "%s-wal", f->path);
	/* Big enough to free overflow pages, which only VACUUM gives back. */
	exec_ok(f->s, "UPDATE messages SET raw = randomblob(40000) WHERE"
	    " id = 12");
	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), 0);
	purge_report_free(&rep);
	assert_int_equal(q_int(f->s, "PRAGMA freelist_count"), 0);
	for (i = 0; i < sizeof gone / sizeof gone[0]; i++) {
		if (file_has(f->path, gone[i]) || file_has(wal, gone[i]))
			fail_msg("%s is still in the files", gone[i]);
	}
	/* The search finds what is there. */
	assert_true(file_has(f->path, "RAW-3-SECRET") ||
	    file_has(wal, "RAW-3-SECRET"));
}

static void
test_purge_again(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL;
	int			 changes;

	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), 0);
	purge_report_free(&rep);
	changes = sqlite3_total_changes(store_db(f->s));
	assert_int_equal(purge_run(f->s, &f->cfg, T0 + DAY, 0, &rep, &cause),
	    0);
	assert_int_equal(rep.cases, 0);
	assert_int_equal(rep.nrefs, 0);
	assert_null(rep.refs);
	purge_report_free(&rep);
	assert_int_equal(sqlite3_total_changes(store_db(f->s)), changes);
	assert_int_equal(store_audit_count(f->s), 5);

	/* Case 2 falls due 355 days on: exactly at the boundary. */
	assert_int_equal(purge_run(f->s, &f->cfg, T0 + 355 * DAY - 1, 1,
	    &rep, &cause), 0);
	assert_int_equal(rep.cases, 0);
	purge_report_free(&rep);
	assert_int_equal(purge_run(f->s, &f->cfg, T0 + 355 * DAY, 0, &rep,
	    &cause), 0);
	assert_int_equal(rep.cases, 1);
	assert_string_equal(rep.refs[0], "RR-2024-002");
	purge_report_free(&rep);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM cases WHERE"
	    " purged_at IS NOT NULL"), 2);
}

static void
test_purge_withdrawn(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL;

	add_case(f->s, 5, 2022, 5, "withdrawn", T0 - 366 * DAY, 0);
	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), 0);
	assert_int_equal(rep.cases, 2);
	assert_string_equal(rep.refs[0], "RR-2023-001");
	assert_string_equal(rep.refs[1], "RR-2022-005");
	purge_report_free(&rep);
	/* The reason must stay non-NULL for a withdrawn case. */
	assert_text(f->s, "SELECT state || ':' || withdrawn_reason || ':' ||"
	    " (purged_at IS NOT NULL) FROM cases WHERE id = 5", "withdrawn::1");
}

static void
test_retention_zero(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL;

	f->cfg.storage.retention_days = 0;
	assert_int_equal(purge_run(f->s, &f->cfg, T0 + 9000 * DAY, 0, &rep,
	    &cause), 0);
	assert_int_equal(rep.cases, 0);
	purge_report_free(&rep);
	assert_text(f->s, content_sql, "10/4/7/4/4/1/0");
}

static void
test_refused_in_transaction(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL, out[192];

	snprintf(out, sizeof out, "%s/copy.db", f->dir);
	assert_int_equal(store_begin(f->s, &cause), 0);
	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), -1);
	assert_non_null(strstr(cause, "inside a transaction"));
	free(cause);
	cause = NULL;
	assert_int_equal(backup_run(f->s, out, &cause), -1);
	assert_non_null(strstr(cause, "inside a transaction"));
	free(cause);
	store_rollback(f->s);
	assert_int_equal(access(out, F_OK), -1);
	purge_report_free(&rep);
}

static void
test_hold(void **state)
{
	struct fixture		*f = *state;
	struct purge_report	 rep;
	char			*cause = NULL;

	assert_int_equal(purge_hold(f->s, "RR-2023-001", 1, T0, "ctl",
	    &cause), 0);
	assert_int_equal(q_int(f->s, "SELECT legal_hold FROM cases WHERE"
	    " id = 1"), 1);
	assert_text(f->s, "SELECT actor || ' ' || action || ' ' || case_ref"
	    " FROM audit_log ORDER BY id DESC LIMIT 1",
	    "ctl case.hold RR-2023-001");
	/* Again: no change, no audit row. */
	assert_int_equal(purge_hold(f->s, "RR-2023-001", 1, T0, "ctl",
	    &cause), 0);
	assert_int_equal(store_audit_count(f->s), 5);
	assert_int_equal(purge_hold(f->s, "RR-2099-999", 1, T0, "ctl",
	    &cause), 1);

	/* Now nothing is due. */
	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), 0);
	assert_int_equal(rep.cases, 0);
	purge_report_free(&rep);
	assert_text(f->s, content_sql, "10/4/7/4/4/1/0");

	/* Released, it goes; the held case 3 is released too, and goes. */
	assert_int_equal(purge_hold(f->s, "RR-2023-001", 0, T0, "ctl",
	    &cause), 0);
	assert_int_equal(purge_hold(f->s, "RR-2023-003", 0, T0,
	    "chair@scp.example", &cause), 0);
	assert_text(f->s, "SELECT actor || ' ' || action || ' ' || case_ref"
	    " FROM audit_log ORDER BY id DESC LIMIT 1",
	    "chair@scp.example case.release RR-2023-003");
	assert_int_equal(purge_run(f->s, &f->cfg, T0, 0, &rep, &cause), 0);
	assert_int_equal(rep.cases, 2);
	assert_string_equal(rep.refs[0], "RR-2023-001");
	assert_string_equal(rep.refs[1], "RR-2023-003");
	purge_report_free(&rep);
}

/* In the caller's transaction, the hold goes with the caller's rollback. */
static void
test_hold_in_transaction(void **state)
{
	struct fixture	*f = *state;
	char		*cause = NULL;

	assert_int_equal(store_begin(f->s, &cause), 0);
	assert_int_equal(purge_hold(f->s, "RR-2023-001", 1, T0, "ctl",
	    &cause), 0);
	assert_int_equal(purge_hold(f->s, "RR-2099-999", 1, T0, "ctl",
	    &cause), 1);
	assert_int_equal(sqlite3_get_autocommit(store_db(f->s)), 0);
	store_rollback(f->s);
	assert_int_equal(q_int(f->s, "SELECT legal_hold FROM cases WHERE"
	    " id = 1"), 0);
	assert_int_equal(store_audit_count(f->s), 4);
}

static void
test_backup(void **state)
{
	struct fixture	*f = *state;
	struct stat	 sb;
	sqlite3		*src = store_db(f->s), *db = NULL;
	sqlite3_stmt	*st, *cnt;
	char		*cause = NULL, out[192], side[200], sql[256];
	const char	*name;
	int		 tables = 0;

	snprintf(out, sizeof out, "%s/copy.db", f->dir);
	if (backup_run(f->s, out, &cause) != 0)
		fail_msg("backup_run: %s", cause);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	snprintf(side, sizeof side, "%s-journal", out);
	assert_int_equal(access(side, F_OK), -1);
	snprintf(side, sizeof side, "%s-wal", out);
	assert_int_equal(access(side, F_OK), -1);

	assert_int_equal(sqlite3_open_v2(out, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &cnt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(cnt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(cnt, 0), store_schema_latest());
	sqlite3_finalize(cnt);

	/* Every table of the store, with as many rows in the copy. */
	assert_int_equal(sqlite3_prepare_v2(src, "SELECT name FROM"
	    " sqlite_schema WHERE type = 'table' ORDER BY name", -1, &st,
	    NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM"
		    " main.\"%s\")", name);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &cnt, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(cnt), SQLITE_ROW);
		if (sqlite3_column_int64(cnt, 0) != q_int(f->s, sql))
			fail_msg("%s: %lld rows in the copy, %lld in the store",
			    name, (long long)sqlite3_column_int64(cnt, 0),
			    q_int(f->s, sql));
		sqlite3_finalize(cnt);
		tables++;
	}
	sqlite3_finalize(st);
	assert_true(tables >= 18);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM"
	    " messages WHERE raw IS NOT NULL", -1, &cnt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(cnt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(cnt, 0), 10);
	sqlite3_finalize(cnt);
	sqlite3_close(db);

	/* The store goes on as before. */
	exec_ok(f->s, "UPDATE cases SET updated_at = 1 WHERE id = 4");
}

static void
test_backup_refusals(void **state)
{
	struct fixture	*f = *state;
	char		*cause = NULL, out[192], side[200], buf[8];
	FILE		*fp;
	int		 fd;

	/* An existing file is left alone. */
	snprintf(out, sizeof out, "%s/copy.db", f->dir);
	assert_non_null(fp = fopen(out, "w"));
	fputs("keep", fp);
	fclose(fp);
	assert_int_equal(backup_run(f->s, out, &cause), -1);
	assert_non_null(strstr(cause, "exists"));
	free(cause);
	cause = NULL;
	assert_non_null(fp = fopen(out, "r"));
	assert_non_null(fgets(buf, sizeof buf, fp));
	fclose(fp);
	assert_string_equal(buf, "keep");

	/* A stale -wal would be played into the copy. */
	snprintf(out, sizeof out, "%s/other.db", f->dir);
	snprintf(side, sizeof side, "%s-wal", out);
	assert_true((fd = open(side, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	assert_int_equal(backup_run(f->s, out, &cause), -1);
	assert_non_null(strstr(cause, "-wal exists"));
	free(cause);
	cause = NULL;
	assert_int_equal(access(out, F_OK), -1);

	/* Nor through a symbolic link, dangling or not. */
	snprintf(out, sizeof out, "%s/link.db", f->dir);
	snprintf(side, sizeof side, "%s/target.db", f->dir);
	assert_int_equal(symlink(side, out), 0);
	assert_int_equal(backup_run(f->s, out, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(access(side, F_OK), -1);

	/* A missing folder. */
	snprintf(out, sizeof out, "%s/none/copy.db", f->dir);
	assert_int_equal(backup_run(f->s, out, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(backup_run(f->s, "", &cause), -1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dry_run, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_clears, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_keeps, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_others_untouched,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_bytes_leave_files,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_withdrawn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retention_zero, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_in_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_in_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_refusals, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
