/*
 * returns.c - read an agency's reply for its return, store it as a new
 * version, and answer the sender (SPEC §3.3).
 *
 * A message may carry several things: the best document is the return
 * (DOCX, then ODT, then a CSV chronology), and what it lacks is taken
 * from the others (a CSV's rows for a form without any; the typed text
 * form's answers for a CSV). Nothing from a refused attachment is used.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agencyreturn.h"
#include "cases.h"
#include "config.h"
#include "date.h"
#include "db.h"
#include "forms.h"
#include "log.h"
#include "mailer.h"
#include "mime.h"
#include "returns.h"
#include "store.h"
#include "template.h"
#include "token.h"
#include "xmalloc.h"
#include "zip.h"

/* The returns columns of the fields, in enum ar_field order. */
static const char *const field_columns[AR_NFIELDS] = {
	"agency_name", "author", "role", "email", "phone", "completed",
	"involved", "involvement", "first_contact", "last_contact",
	"case_status", "quality", "impact", "good_practice", "different",
	"information_sharing", "voice_of_child", "equality",
	"immediate_actions", "learning", "lcspr_view", "lcspr_rationale",
	"parallel_processes", "records_secured", "signed_off_by", "signed_off",
};

enum att_kind { ATT_OTHER, ATT_DOCX, ATT_ODT, ATT_CSV, ATT_REFUSE };

static const char *
extension(const char *name)
{
	const char	*dot;

	if (name == NULL || (dot = strrchr(name, '.')) == NULL)
		return "";
	return dot + 1;
}

/* What an attachment is, by its name first (senders' types are often
 * application/octet-stream), then by its type. */
static enum att_kind
attachment_kind(const struct mime_part *p, const char **why)
{
	static const char *const macro[] = { "docm", "dotm", "xlsm", "xltm",
	    "pptm", NULL };
	static const char *const old[] = { "doc", "dot", "xls", "xlsx",
	    "rtf", "pages", "wps", NULL };
	const char	*ext = extension(p->filename), *ct = p->content_type;
	size_t		 i;

	*why = NULL;
	for (i = 0; macro[i] != NULL; i++)
		if (strcasecmp(ext, macro[i]) == 0 ||
		    strcasestr(ct, "macroenabled") != NULL) {
			*why = "it is a macro-enabled document, which we do not "
			    "open; please save it as an ordinary Word document "
			    "(.docx)";
			return ATT_REFUSE;
		}
	if (strcasecmp(ext, "docx") == 0 || strcasecmp(ext, "dotx") == 0 ||
	    strcmp(ct, "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document") == 0)
		return ATT_DOCX;
	if (strcasecmp(ext, "odt") == 0 ||
	    strcmp(ct, "application/vnd.oasis.opendocument.text") == 0)
		return ATT_ODT;
	if (strcasecmp(ext, "csv") == 0 || strcmp(ct, "text/csv") == 0 ||
	    strcmp(ct, "application/csv") == 0)
		return ATT_CSV;
	for (i = 0; old[i] != NULL; i++)
		if (strcasecmp(ext, old[i]) == 0) {
			*why = "we cannot read this kind of file; please send "
			    "the return as a Word (.docx) or LibreOffice (.odt) "
			    "document, a chronology as a CSV file, or type it "
			    "into the reply";
			return ATT_REFUSE;
		}
	return ATT_OTHER;
}

/* Everything read from one message. */
struct reading {
	struct agency_return	*ret;		/* the return, or NULL */
	const struct mime_part	*part;		/* its attachment, or NULL */
	size_t			 part_index;
	struct refusal {
		const struct mime_part	*part;
		char			*reason;
	}			*refused;
	size_t			 n_refused;
};

static void
reading_clear(struct reading *rd)
{
	size_t	i;

	ar_free(rd->ret);
	for (i = 0; i < rd->n_refused; i++)
		free(rd->refused[i].reason);
	free(rd->refused);
}

static void
refuse(struct reading *rd, const struct mime_part *p, const char *reason)
{
	rd->refused = xreallocarray(rd->refused, rd->n_refused + 1,
	    sizeof *rd->refused);
	rd->refused[rd->n_refused].part = p;
	rd->refused[rd->n_refused++].reason = xstrdup(reason);
}

/* Take what into lacks from from: unset fields, and rows when it has none. */
static void
merge(struct agency_return *into, struct agency_return *from)
{
	size_t	i;

	for (i = 0; i < AR_NFIELDS; i++)
		if (into->field[i] == NULL && from->field[i] != NULL) {
			into->field[i] = from->field[i];
			from->field[i] = NULL;
		}
	if (into->n_rows == 0 && from->n_rows > 0) {
		free(into->rows);
		into->rows = from->rows;
		into->n_rows = from->n_rows;
		from->rows = NULL;
		from->n_rows = 0;
	}
	for (i = 0; i < from->n_warnings; i++)
		ar_warn(into, "%s", from->warnings[i]);
	into->nil = into->nil || from->nil;
}

static void
zip_limits_from(const struct config *cfg, struct zip_limits *zl)
{
	zip_limits_default(zl);
	zl->max_entries = cfg->limits.max_zip_entries;
	zl->max_total_size = cfg->limits.max_zip_expansion;
	if (zl->max_entry_size > zl->max_total_size)
		zl->max_entry_size = zl->max_total_size;
	zl->max_ratio = cfg->limits.max_zip_ratio;
}

/* Run the readers over every attachment, best kind first, then the text. */
static void
read_message(const struct config *cfg, const struct mime_message *m,
    struct reading *rd)
{
	static const enum att_kind order[] = { ATT_DOCX, ATT_ODT, ATT_CSV };
	struct zip_limits	 zl;
	struct agency_return	*ret, *typed = NULL;
	const struct mime_part	*p;
	enum form_result	 fr;
	const char		*why;
	char			*cause;
	size_t			 k, i;

	memset(rd, 0, sizeof *rd);
	zip_limits_from(cfg, &zl);
	for (i = 0; i < m->n_parts; i++) {
		p = &m->parts[i];
		if (p->is_attachment && p->data != NULL &&
		    attachment_kind(p, &why) == ATT_REFUSE)
			refuse(rd, p, why);
	}
	for (k = 0; k < sizeof order / sizeof order[0]; k++) {
		for (i = 0; i < m->n_parts; i++) {
			p = &m->parts[i];
			if (!p->is_attachment || p->data == NULL ||
			    attachment_kind(p, &why) != order[k])
				continue;
			ret = NULL;
			cause = NULL;
			if (order[k] == ATT_DOCX)
				fr = docx_read(p->data, p->len, &zl, &ret,
				    &cause);
			else if (order[k] == ATT_ODT)
				fr = odt_read(p->data, p->len, &zl, &ret,
				    &cause);
			else
				fr = csv_read(p->data, p->len, &ret, &cause);
			if (fr != FORM_OK) {
				/* A CSV that is not a chronology is just a
				 * file; a document we cannot open is told. */
				if (order[k] != ATT_CSV || fr == FORM_REFUSED)
					refuse(rd, p, cause != NULL ? cause :
					    "it could not be read");
				free(cause);
				continue;
			}
			free(cause);
			if (!ret->found) {
				ar_free(ret);
				continue;
			}
			if (rd->ret == NULL) {
				rd->ret = ret;
				rd->part = p;
				rd->part_index = i;
			} else {
				merge(rd->ret, ret);
				ar_free(ret);
			}
		}
	}
	if (textform_read(m->text != NULL ? m->text : "", &typed) == 1) {
		if (rd->ret == NULL)
			rd->ret = typed;
		else if (rd->ret->source == AR_SOURCE_CSV) {
			/* The typed answers are the return, the CSV (whose
			 * attachment is kept) its rows. */
			merge(typed, rd->ret);
			ar_free(rd->ret);
			rd->ret = typed;
		} else
			ar_free(typed);
	}
	if (rd->ret != NULL)
		ar_finish(rd->ret);
}

/* Egress, NHSmail [secure] and Zix send a link to a portal, not the mail. */
static int
is_secure_notice(const struct mime_message *m)
{
	static const char *const marks[] = { "egress", "zixmessagecenter",
	    "zixcorp", "zixport", "zix secure", "secure message portal",
	    "office 365 message encryption", "encrypted message",
	    "encrypted email", "nhsmail encryption", "secure email", NULL };
	const char	*text = m->text != NULL ? m->text : "";
	size_t		 i;

	if (strcasestr(m->subject, "[secure]") != NULL)
		return 1;
	for (i = 0; marks[i] != NULL; i++)
		if (strcasestr(text, marks[i]) != NULL)
			return 1;
	return 0;
}

static int
audit(const struct case_env *e, long long now, const char *action,
    const char *ref, const char *detail, char **cause)
{
	return store_audit(e->store, (time_t)now, "daemon", action, ref, detail,
	    cause);
}

static int
alert(const struct case_env *e, const char *kind, const char *ref,
    int64_t row, const char *detail, long long now, char **cause)
{
	return db_exec(e->store, cause, "INSERT INTO alerts (kind, case_ref, "
	    "message_id, detail, created_at) VALUES (?, ?, nullif(?, 0), ?, ?)",
	    "ttltl", kind, ref, (long long)row, detail, now);
}

/* Queue a reply to the return's sender, threaded in the case. */
static int
reply_to_sender(const struct case_env *e, const char *ref,
    const struct agency_config *a, const struct mime_message *m,
    const char *template, struct tmpl_record *r, int64_t row, size_t n,
    long long now, char **cause)
{
	struct mail_request	 req;
	const char		*to[1];
	char			*thread = NULL, *reply = NULL, key[160];
	int			 queued, rc;

	if (m->from.addr == NULL)
		return 0;
	if (db_get_text(e->store, &thread, cause, "SELECT thread_msgid FROM "
	    "cases WHERE ref = ?", "t", ref) < 0)
		return -1;
	if (e->cfg->partnership.plus_addressing)
		reply = token_address(e->key, e->cfg->partnership.address, ref,
		    a->key);
	tmpl_record_set_string(r, "agency_name", a->name);
	to[0] = m->from.addr;
	memset(&req, 0, sizeof req);
	snprintf(key, sizeof key, "%s:%lld:%zu", template, (long long)row, n);
	req.template = template;
	req.case_ref = ref;
	req.agency = a->key;
	req.to = to;
	req.nto = 1;
	req.reply_to = reply;
	req.in_reply_to = thread;
	req.dedupe_key = key;
	rc = mailer_queue(e->store, e->cfg, r, &req, NULL, now, NULL, &queued,
	    cause);
	free(thread);
	free(reply);
	return rc;
}

static int
send_refusals(const struct case_env *e, const char *ref,
    const struct agency_config *a, const struct mime_message *m,
    const struct reading *rd, int64_t row, long long now, char **cause)
{
	struct tmpl_record	*r;
	char			*detail;
	size_t			 i;
	int			 rc;

	for (i = 0; i < rd->n_refused; i++) {
		r = tmpl_record_new();
		tmpl_record_set_string(r, "filename",
		    rd->refused[i].part->filename != NULL ?
		    rd->refused[i].part->filename : "(no name)");
		tmpl_record_set_string(r, "reason", rd->refused[i].reason);
		rc = reply_to_sender(e, ref, a, m, "refused", r, row, i, now,
		    cause);
		tmpl_record_free(r);
		if (rc != 0)
			return -1;
		/* The reason is ours, not the sender's words. */
		xasprintf(&detail, "agency=%s attachment refused: %s", a->key,
		    rd->refused[i].reason);
		rc = audit(e, now, "return.refused", ref, detail, cause) == 0 &&
		    alert(e, "attachment-refused", ref, row, detail, now,
		    cause) == 0 ? 0 : -1;
		free(detail);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static const char *
source_name(enum ar_source s)
{
	switch (s) {
	case AR_SOURCE_DOCX:
		return "docx";
	case AR_SOURCE_ODT:
		return "odt";
	case AR_SOURCE_CSV:
		return "csv";
	default:
		return "text";
	}
}

static char *
lines_of(const char *const *v, size_t n)
{
	char	*out, *next;
	size_t	 i;

	if (n == 0)
		return NULL;
	out = xstrdup(v[0]);
	for (i = 1; i < n; i++) {
		xasprintf(&next, "%s\n%s", out, v[i]);
		free(out);
		out = next;
	}
	return out;
}

/* Insert the return and its rows; *return_id set. */
static int
store_return(const struct case_env *e, long long request_id,
    const struct reading *rd, int64_t row, long long now, long long *version,
    char **cause)
{
	const struct agency_return	*ret = rd->ret;
	const struct ar_row		*w;
	const char			**missing = NULL, **unreadable = NULL;
	char				*miss_text = NULL, *warn_text, *sql;
	size_t				 nm, nu, i;
	long long			 att_id = 0, return_id;
	int				 rc = -1;

	nm = ar_missing(ret, &missing);
	nu = ar_unreadable(ret, &unreadable);
	missing = xreallocarray(missing, nm + nu + 1, sizeof *missing);
	for (i = 0; i < nu; i++)
		missing[nm + i] = unreadable[i];
	miss_text = lines_of(missing, nm + nu);
	warn_text = lines_of((const char *const *)ret->warnings,
	    ret->n_warnings);
	if (rd->part != NULL && db_get_int64(e->store, &att_id, cause,
	    "SELECT id FROM attachments WHERE message_id = ? AND part = ?",
	    "ll", (long long)row, (long long)rd->part_index) < 0)
		goto out;
	if (db_get_int64(e->store, version, cause, "SELECT coalesce(max("
	    "version), 0) + 1 FROM returns WHERE request_id = ?", "l",
	    request_id) < 0 ||
	    db_exec(e->store, cause, "UPDATE returns SET superseded = 1 WHERE "
	    "request_id = ? AND superseded = 0", "l", request_id) != 0 ||
	    db_exec(e->store, cause, "INSERT INTO returns (request_id, version, "
	    "complete, nil, source, message_id, attachment_id, "
	    "attachment_sha256, warnings, missing, received_at) VALUES (?, ?, "
	    "?, ?, ?, nullif(?, 0), nullif(?, 0), ?, ?, ?, ?)", "lliitlltttl",
	    request_id, *version, ar_is_complete(ret), ret->nil,
	    source_name(ret->source), (long long)row, att_id,
	    rd->part != NULL ? rd->part->sha256 : NULL, warn_text, miss_text,
	    now) != 0)
		goto out;
	return_id = sqlite3_last_insert_rowid(store_db(e->store));
	for (i = 0; i < AR_NFIELDS; i++) {
		if (ret->field[i] == NULL)
			continue;
		xasprintf(&sql, "UPDATE returns SET %s = ? WHERE id = ?",
		    field_columns[i]);
		rc = db_exec(e->store, cause, sql, "tl", ret->field[i],
		    return_id);
		free(sql);
		if (rc != 0) {
			rc = -1;
			goto out;
		}
	}
	for (i = 0; i < ret->n_rows; i++) {
		w = &ret->rows[i];
		if (db_exec(e->store, cause, "INSERT INTO chronology (return_id, "
		    "position, date, date_text, time, contact_type, seen, event, "
		    "outcome, significance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?)", "lltttttttt",
		    return_id, (long long)i, w->date[0] != '\0' ? w->date : NULL,
		    w->col[AR_COL_DATE], w->time[0] != '\0' ? w->time :
		    w->col[AR_COL_TIME], w->col[AR_COL_CONTACT_TYPE],
		    w->col[AR_COL_SEEN], w->col[AR_COL_EVENT],
		    w->col[AR_COL_OUTCOME], w->col[AR_COL_SIGNIFICANCE]) != 0)
			goto out;
	}
	rc = 0;
out:
	free(missing);
	free(unreadable);
	free(miss_text);
	free(warn_text);
	return rc;
}

static void
add_list(struct tmpl_record *r, const char *list, const char *name,
    const char *const *v, size_t n)
{
	struct tmpl_list	*l = tmpl_record_add_list(r, list);
	size_t			 i;

	for (i = 0; i < n; i++)
		tmpl_record_set_string(tmpl_list_add_record(l), name, v[i]);
}

static void
set_iso_day(struct tmpl_record *r, const char *name, const char *iso)
{
	struct rr_date	d;
	char		day[32];

	if (date_parse_iso(iso, &d) != 0)
		return;
	mailer_format_day(date_to_days(&d), day, sizeof day);
	tmpl_record_set_string(r, name, day);
}

/* The receipt: what was read. */
static int
send_receipt(const struct case_env *e, const char *ref,
    const struct agency_config *a, const struct mime_message *m,
    const struct agency_return *ret, int64_t row, long long now,
    char **cause)
{
	struct tmpl_record	*r = tmpl_record_new();
	const char		*first = NULL, *last = NULL;
	size_t			 i;
	int			 rc;

	for (i = 0; i < ret->n_rows; i++) {
		const char *d = ret->rows[i].date;

		if (*d == '\0')
			continue;
		if (first == NULL || strcmp(d, first) < 0)
			first = d;
		if (last == NULL || strcmp(d, last) > 0)
			last = d;
	}
	tmpl_record_set_printf(r, "fields_read", "%zu", ar_count_fields(ret));
	tmpl_record_set_printf(r, "chronology_rows", "%zu", ret->n_rows);
	if (first != NULL) {
		set_iso_day(r, "first_date", first);
		set_iso_day(r, "last_date", last);
	}
	if (ret->field[AR_LCSPR_VIEW] != NULL)
		tmpl_record_set_string(r, "lcspr_view",
		    ret->field[AR_LCSPR_VIEW]);
	{
		struct tmpl_list *l = tmpl_record_add_list(r, "warnings");

		for (i = 0; i < ret->n_warnings; i++)
			tmpl_record_set_string(tmpl_list_add_record(l), "text",
			    ret->warnings[i]);
	}
	rc = reply_to_sender(e, ref, a, m, "receipt", r, row, 0, now, cause);
	tmpl_record_free(r);
	return rc;
}

/* The query: what is missing; the deadline stands. */
static int
send_query(const struct case_env *e, const char *ref,
    const struct agency_config *a, const struct mime_message *m,
    const struct agency_return *ret, long due, int64_t row, long long now,
    char **cause)
{
	struct tmpl_record	*r = tmpl_record_new();
	const char		**v = NULL;
	char			 day[32];
	size_t			 n;
	int			 rc;

	if (due != DB_NO_DAY) {
		mailer_format_day(due, day, sizeof day);
		tmpl_record_set_string(r, "due", day);
	}
	n = ar_missing(ret, &v);
	add_list(r, "missing", "field", v, n);
	free(v);
	v = NULL;
	n = ar_unreadable(ret, &v);
	add_list(r, "unreadable", "field", v, n);
	free(v);
	rc = reply_to_sender(e, ref, a, m, "query", r, row, 0, now, cause);
	tmpl_record_free(r);
	return rc;
}

/* Every requested agency returned or waived: the case moves on. */
static int
check_complete(const struct case_env *e, const char *ref, long long now,
    char **cause)
{
	long long	open;

	if (db_get_int64(e->store, &open, cause, "SELECT count(*) FROM "
	    "requests WHERE state NOT IN ('returned', 'waived') AND case_id = "
	    "(SELECT id FROM cases WHERE ref = ?)", "t", ref) < 0)
		return -1;
	if (open != 0)
		return 0;
	return db_exec(e->store, cause, "UPDATE cases SET state = "
	    "'returns_complete', updated_at = ? WHERE ref = ? AND state IN "
	    "('open', 'requests_sent', 'awaiting_returns')", "lt", now, ref);
}

static int
note(const struct case_env *e, const char *ref, long long request_id,
    const struct mime_message *m, int64_t row, long long now, char **cause)
{
	return db_exec(e->store, cause, "INSERT INTO notes (case_id, "
	    "request_id, message_id, kind, author, created_at) SELECT id, "
	    "nullif(?, 0), ?, 'reply', ?, ? FROM cases WHERE ref = ?", "llt"
	    "lt", request_id, (long long)row, m->from.addr, now, ref);
}

int
return_record(const struct case_env *e, const char *ref, const char *agency,
    const struct mime_message *m, int64_t row, long long now, char **cause)
{
	const struct agency_config	*a;
	struct reading			 rd;
	sqlite3_stmt			*q;
	char				*detail = NULL, *state = NULL;
	long long			 request_id = 0, version = 0;
	long				 due = DB_NO_DAY;
	int				 complete, rc = -1;

	if ((a = config_agency(e->cfg, agency)) == NULL) {
		xasprintf(cause, "no [agency.%s] in the configuration", agency);
		return -1;
	}
	q = db_query(e->store, cause, "SELECT r.id, r.state, coalesce("
	    "r.extended_due, r.due_date) FROM requests r JOIN cases c ON "
	    "c.id = r.case_id WHERE c.ref = ? AND r.agency = ?", "tt", ref,
	    agency);
	if (q == NULL)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW) {
		request_id = sqlite3_column_int64(q, 0);
		state = xstrdup((const char *)sqlite3_column_text(q, 1));
		due = db_column_day(q, 2);
	}
	sqlite3_finalize(q);

	read_message(e->cfg, m, &rd);
	if (send_refusals(e, ref, a, m, &rd, row, now, cause) != 0)
		goto out;

	if (rd.ret == NULL || request_id == 0) {
		if (note(e, ref, request_id, m, row, now, cause) != 0)
			goto out;
		if (request_id == 0) {
			xasprintf(&detail, "agency=%s not requested", agency);
			if (alert(e, "unrequested-return", ref, row, detail, now,
			    cause) != 0)
				goto out;
		} else if (rd.n_refused == 0 && is_secure_notice(m)) {
			xasprintf(&detail, "agency=%s secure portal notice",
			    agency);
			if (alert(e, "secure-notice", ref, row, detail, now,
			    cause) != 0)
				goto out;
		} else
			xasprintf(&detail, "agency=%s no return in the reply%s",
			    agency, rd.n_refused > 0 ? " (attachment refused)" :
			    "");
		rc = audit(e, now, "return.note", ref, detail, cause);
		goto out;
	}

	if (store_return(e, request_id, &rd, row, now, &version, cause) != 0)
		goto out;
	complete = ar_is_complete(rd.ret);
	if (strcmp(state, "waived") != 0 && db_exec(e->store, cause,
	    "UPDATE requests SET state = ?, returned_at = CASE WHEN ? THEN "
	    "coalesce(returned_at, ?) ELSE returned_at END WHERE id = ?",
	    "till", complete ? "returned" : "draft", complete, now,
	    request_id) != 0)
		goto out;
	if (complete ? send_receipt(e, ref, a, m, rd.ret, row, now, cause) :
	    send_query(e, ref, a, m, rd.ret, due, row, now, cause))
		goto out;
	if (check_complete(e, ref, now, cause) != 0)
		goto out;
	/* After the pack, before the meeting: the pack is out of date. */
	if (db_exec(e->store, cause, "UPDATE cases SET pack_stale = 1 WHERE "
	    "ref = ? AND pack_version > 0 AND state IN ('returns_complete', "
	    "'pack_sent', 'awaiting_returns', 'requests_sent')", "t",
	    ref) != 0)
		goto out;
	xasprintf(&detail, "agency=%s version=%lld source=%s %s fields=%zu "
	    "rows=%zu warnings=%zu%s", agency, version,
	    source_name(rd.ret->source), complete ? "complete" : "draft",
	    ar_count_fields(rd.ret), rd.ret->n_rows, rd.ret->n_warnings,
	    rd.ret->nil ? " nil" : "");
	if (audit(e, now, complete ? "return.received" : "return.draft", ref,
	    detail, cause) != 0)
		goto out;
	log_info("case %s: %s return from %s (version %lld, %zu rows)", ref,
	    complete ? "complete" : "incomplete", agency, version,
	    rd.ret->n_rows);
	rc = 0;
out:
	free(detail);
	free(state);
	reading_clear(&rd);
	return rc;
}
