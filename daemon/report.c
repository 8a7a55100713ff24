/*
 * report.c - rows out of the store, as a table or as JSON.
 *
 * Every report is SQL whose column names are the JSON keys, so the two
 * outputs cannot drift apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "calendar.h"
#include "chronology.h"
#include "date.h"
#include "db.h"
#include "report.h"
#include "schedule.h"
#include "store.h"
#include "xmalloc.h"

static struct json_object *
column_json(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return NULL;
	case SQLITE_INTEGER:
		return json_object_new_int64(sqlite3_column_int64(s, i));
	case SQLITE_FLOAT:
		return json_object_new_double(sqlite3_column_double(s, i));
	default:
		return json_object_new_string((const char *)
		    sqlite3_column_text(s, i));
	}
}

static struct json_object *
row_json(sqlite3_stmt *s)
{
	struct json_object	*o = json_object_new_object();
	int			 i;

	for (i = 0; i < sqlite3_column_count(s); i++)
		json_object_object_add(o, sqlite3_column_name(s, i),
		    column_json(s, i));
	return o;
}

/* Every row of s as a JSON array; s is finalized. NULL on error. */
static struct json_object *
rows_json(struct store *st, sqlite3_stmt *s, char **cause)
{
	struct json_object	*a = json_object_new_array();
	int			 r;

	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		json_object_array_add(a, row_json(s));
	sqlite3_finalize(s);
	if (r != SQLITE_DONE) {
		xasprintf(cause, "%s", sqlite3_errmsg(store_db(st)));
		json_object_put(a);
		return NULL;
	}
	return a;
}

static void
print_json(FILE *fp, struct json_object *o)
{
	fprintf(fp, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A table: a header line, then one tab-separated line per row. */
static int
print_table(FILE *fp, struct store *st, sqlite3_stmt *s, char **cause)
{
	int	i, r, n = sqlite3_column_count(s);

	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i ? "\t" : "", sqlite3_column_name(s, i));
	fputc('\n', fp);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			const unsigned char *v = sqlite3_column_text(s, i);

			fprintf(fp, "%s%s", i ? "\t" : "", v != NULL ?
			    (const char *)v : "-");
		}
		fputc('\n', fp);
	}
	sqlite3_finalize(s);
	if (r != SQLITE_DONE) {
		xasprintf(cause, "%s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	return 0;
}

static int
emit(FILE *fp, struct store *st, sqlite3_stmt *s, int json, char **cause)
{
	struct json_object	*a;

	if (s == NULL)
		return -1;
	if (!json)
		return print_table(fp, st, s, cause);
	if ((a = rows_json(st, s, cause)) == NULL)
		return -1;
	print_json(fp, a);
	json_object_put(a);
	return 0;
}

/*
 * The working day number of a case needs the calendar, which SQL has not
 * got: a scratch table is filled first and joined.
 */
static int
fill_day_numbers(struct store *st, const struct calendar *cal, long today,
    char **cause)
{
	sqlite3_stmt	*s;
	long long	 id;
	long		 day0;
	int		 r;

	if (db_exec(st, cause, "CREATE TEMP TABLE IF NOT EXISTS case_days "
	    "(case_id INTEGER PRIMARY KEY, day_n INTEGER)", "") != 0 ||
	    db_exec(st, cause, "DELETE FROM case_days", "") != 0)
		return -1;
	if ((s = db_query(st, cause, "SELECT id, day0 FROM cases", "")) ==
	    NULL)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		day0 = db_column_day(s, 1);
		if (db_exec(st, cause, "INSERT INTO case_days VALUES (?, ?)",
		    "li", id, schedule_day_number(cal, day0, today)) != 0) {
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 0 : -1;
}

int
report_cases(FILE *fp, struct store *st, const struct calendar *cal,
    long today, int all, int json, char **cause)
{
	if (fill_day_numbers(st, cal, today, cause) != 0)
		return -1;
	return emit(fp, st, db_query(st, cause, "SELECT c.ref, c.state, "
	    "c.day0, d.day_n, (SELECT due_date FROM milestones WHERE case_id = "
	    "c.id AND kind = 'returns_due') AS returns_due, (SELECT count(*) "
	    "FROM requests WHERE case_id = c.id AND state = 'returned') AS "
	    "returns_in, (SELECT count(*) FROM requests WHERE case_id = c.id "
	    "AND state <> 'waived') AS requests, (SELECT kind FROM milestones "
	    "WHERE case_id = c.id AND done_at IS NULL AND coalesce("
	    "extended_due, due_date) >= ?1 ORDER BY coalesce(extended_due, "
	    "due_date) LIMIT 1) AS next_milestone, (SELECT min(coalesce("
	    "extended_due, due_date)) FROM milestones WHERE case_id = c.id AND "
	    "done_at IS NULL AND coalesce(extended_due, due_date) >= ?1) AS "
	    "next_date, c.sin_late FROM cases c JOIN case_days d ON d.case_id "
	    "= c.id WHERE ?2 OR c.state NOT IN ('closed', 'submitted', "
	    "'withdrawn') ORDER BY c.year, c.seq", "di", today, all), json,
	    cause);
}

int
report_show(FILE *fp, struct store *st, const struct calendar *cal,
    const char *ref, long today, int json, char **cause)
{
	static const char *case_sql = "SELECT c.ref, c.state, c.day0, "
	    "c.day0_basis, d.day_n, c.date_notified, c.date_aware, "
	    "c.incident_date, c.incident_type, c.sin_late, c.panel_ref, "
	    "c.local_authority, c.residing_authority, c.missing_fields, "
	    "c.notifier, c.meeting_at, c.meeting_minutes, c.meeting_place, "
	    "c.meeting_seq, c.pack_version, c.pack_sent_at, c.decision, "
	    "c.decision_text, c.decided_at, c.submitted_on, "
	    "c.withdrawn_reason, c.legal_hold, c.created_at, c.updated_at, "
	    "c.closed_at, c.background FROM cases c JOIN case_days d ON "
	    "d.case_id = c.id WHERE c.ref = ?";
	static const char *children_sql = "SELECT position, identifier, age, "
	    "dob, sex, ethnicity, disability FROM children WHERE case_id = "
	    "(SELECT id FROM cases WHERE ref = ?) ORDER BY position";
	static const char *milestones_sql = "SELECT kind, due_date, "
	    "extended_due, extended_reason, done_at FROM milestones WHERE "
	    "case_id = (SELECT id FROM cases WHERE ref = ?) ORDER BY due_date, "
	    "id";
	static const char *requests_sql = "SELECT agency, state, origin, "
	    "due_date, extended_due, extended_reason, waived_reason, "
	    "out_of_office, requested_at, returned_at, escalated_at, (SELECT "
	    "count(*) FROM returns t WHERE t.request_id = requests.id) AS "
	    "versions FROM requests WHERE case_id = (SELECT id FROM cases "
	    "WHERE ref = ?) ORDER BY agency";
	struct json_object	*o, *a;
	sqlite3_stmt		*s;
	long long		 n;
	int			 r, i;

	if (fill_day_numbers(st, cal, today, cause) != 0)
		return -1;
	if ((r = db_get_int64(st, &n, cause, "SELECT count(*) FROM messages "
	    "WHERE case_id = (SELECT id FROM cases WHERE ref = ?)", "t",
	    ref)) < 0)
		return -1;
	if ((s = db_query(st, cause, case_sql, "t", ref)) == NULL)
		return -1;
	if ((r = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (r == SQLITE_DONE)
			return 1;
		xasprintf(cause, "%s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	if (!json) {
		for (i = 0; i < sqlite3_column_count(s); i++) {
			const unsigned char *v = sqlite3_column_text(s, i);

			fprintf(fp, "%-18s %s\n", sqlite3_column_name(s, i),
			    v != NULL ? (const char *)v : "-");
		}
		sqlite3_finalize(s);
		fprintf(fp, "messages           %lld\n\nchildren\n", n);
		if (emit(fp, st, db_query(st, cause, children_sql, "t", ref), 0,
		    cause) != 0)
			return -1;
		fprintf(fp, "\nmilestones\n");
		if (emit(fp, st, db_query(st, cause, milestones_sql, "t", ref),
		    0, cause) != 0)
			return -1;
		fprintf(fp, "\nrequests\n");
		return emit(fp, st, db_query(st, cause, requests_sql, "t",
		    ref), 0, cause);
	}
	o = json_object_new_object();
	json_object_object_add(o, "case", row_json(s));
	sqlite3_finalize(s);
	if ((a = rows_json(st, db_query(st, cause, children_sql, "t", ref),
	    cause)) == NULL)
		goto fail;
	json_object_object_add(o, "children", a);
	if ((a = rows_json(st, db_query(st, cause, milestones_sql, "t", ref),
	    cause)) == NULL)
		goto fail;
	json_object_object_add(o, "milestones", a);
	if ((a = rows_json(st, db_query(st, cause, requests_sql, "t", ref),
	    cause)) == NULL)
		goto fail;
	json_object_object_add(o, "requests", a);
	json_object_object_add(o, "messages", json_object_new_int64(n));
	print_json(fp, o);
	json_object_put(o);
	return 0;
fail:
	json_object_put(o);
	return -1;
}

int
report_outbox(FILE *fp, struct store *st, int pending, int json,
    char **cause)
{
	return emit(fp, st, db_query(st, cause, "SELECT o.id, o.template, "
	    "c.ref AS 'case', o.recipient, o.state, o.attempts, "
	    "o.next_attempt_at, o.last_error, o.smtp_code, o.created_at, "
	    "o.sent_at, o.bounce_status FROM outbox o LEFT JOIN cases c ON "
	    "c.id = o.case_id WHERE NOT ? OR o.state IN ('queued', 'sending') "
	    "ORDER BY o.id", "i", pending), json, cause);
}

int
report_audit(FILE *fp, struct store *st, const char *ref, int json,
    char **cause)
{
	return emit(fp, st, db_query(st, cause, "SELECT at, actor, action, "
	    "detail FROM audit_log WHERE case_ref = ? ORDER BY id", "t", ref),
	    json, cause);
}

int
report_quarantine(FILE *fp, struct store *st, int json, char **cause)
{
	return emit(fp, st, db_query(st, cause, "SELECT q.id, q.created_at, "
	    "q.reason, m.sender, c.ref AS 'case', m.agency, q.released_at "
	    "FROM quarantine q JOIN messages m ON m.id = q.message_id LEFT "
	    "JOIN cases c ON c.id = m.case_id ORDER BY q.id", ""), json, cause);
}

/* The columns of a return, as stored; the JSON keys of SPEC §3.3. */
#define RETURN_COLUMNS "t.version, t.superseded, t.complete, t.nil, " \
	"t.source, t.attachment_sha256, t.warnings, t.missing, " \
	"t.received_at, t.agency_name AS agency, t.author, t.role, " \
	"t.email, t.phone, t.completed, t.involved, t.involvement, " \
	"t.first_contact, t.last_contact, t.case_status, t.quality, " \
	"t.impact, t.good_practice, t.different, t.information_sharing, " \
	"t.voice_of_child, t.equality, t.immediate_actions, t.learning, " \
	"t.lcspr_view, t.lcspr_rationale, t.parallel_processes, " \
	"t.records_secured, t.signed_off_by, t.signed_off"
#define RETURN_FROM " FROM returns t JOIN requests r ON r.id = " \
	"t.request_id JOIN cases c ON c.id = r.case_id WHERE c.ref = ? " \
	"AND r.agency = ?"

int
report_return(FILE *fp, struct store *st, const char *ref,
    const char *agency, int json, char **cause)
{
	static const char *current_sql = "SELECT t.id, r.state AS "
	    "request_state, " RETURN_COLUMNS RETURN_FROM " AND "
	    "t.superseded = 0";
	static const char *rows_sql = "SELECT date, date_text, time, "
	    "contact_type, seen, event, outcome, significance FROM chronology "
	    "WHERE return_id = ? ORDER BY position";
	static const char *versions_sql = "SELECT t.version, t.complete, "
	    "t.source, t.received_at, t.attachment_sha256, (SELECT count(*) "
	    "FROM chronology h WHERE h.return_id = t.id) AS rows"
	    RETURN_FROM " ORDER BY t.version";
	struct json_object	*o, *a;
	sqlite3_stmt		*s;
	long long		 id;
	int			 r, i;

	if ((s = db_query(st, cause, current_sql, "tt", ref, agency)) == NULL)
		return -1;
	if ((r = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (r == SQLITE_DONE)
			return 1;
		xasprintf(cause, "%s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	id = sqlite3_column_int64(s, 0);
	if (!json) {
		for (i = 1; i < sqlite3_column_count(s); i++) {
			const unsigned char *v = sqlite3_column_text(s, i);

			fprintf(fp, "%-20s %s\n", sqlite3_column_name(s, i),
			    v != NULL ? (const char *)v : "-");
		}
		sqlite3_finalize(s);
		fprintf(fp, "\nchronology\n");
		if (emit(fp, st, db_query(st, cause, rows_sql, "l", id), 0,
		    cause) != 0)
			return -1;
		fprintf(fp, "\nversions\n");
		return emit(fp, st, db_query(st, cause, versions_sql, "tt", ref,
		    agency), 0, cause);
	}
	o = row_json(s);
	json_object_object_del(o, "id");
	sqlite3_finalize(s);
	if ((a = rows_json(st, db_query(st, cause, rows_sql, "l", id),
	    cause)) == NULL)
		goto fail;
	json_object_object_add(o, "chronology", a);
	if ((a = rows_json(st, db_query(st, cause, versions_sql, "tt", ref,
	    agency), cause)) == NULL)
		goto fail;
	json_object_object_add(o, "versions", a);
	print_json(fp, o);
	json_object_put(o);
	return 0;
fail:
	json_object_put(o);
	return -1;
}

int
report_chronology(FILE *fp, struct store *st, const struct config *cfg,
    const char *ref, int format, char **cause)
{
	struct chronology	 ch;
	struct json_object	*a;
	char			*csv;
	size_t			 i, len;

	if (chronology_load(st, cfg, ref, &ch, cause) != 0)
		return -1;
	if (format == REPORT_CSV) {
		csv = chronology_csv(&ch, &len);
		fwrite(csv, 1, len, fp);
		free(csv);
	} else if (format == REPORT_JSON) {
		a = chronology_json(&ch);
		print_json(fp, a);
		json_object_put(a);
	} else {
		fprintf(fp, "date\ttime\tagency\tcontact_type\tseen\tevent\t"
		    "outcome\tsignificance\n");
		for (i = 0; i < ch.n_rows; i++) {
			const struct chron_row *w = &ch.rows[i];

			fprintf(fp, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			    w->date != NULL ? w->date : w->date_text != NULL ?
			    w->date_text : "-", w->time != NULL ? w->time : "-",
			    w->agency, w->contact_type != NULL ?
			    w->contact_type : "-", w->seen != NULL ? w->seen :
			    "-", w->event != NULL ? w->event : "-",
			    w->outcome != NULL ? w->outcome : "-",
			    w->significance != NULL ? w->significance : "-");
		}
	}
	chronology_clear(&ch);
	return 0;
}
