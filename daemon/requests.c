/*
 * requests.c - the information request to one agency, built from the
 * store so that the SIN, the "request" and the "resend" commands send the
 * same letter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agencyreturn.h"
#include "cases.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mailer.h"
#include "requests.h"
#include "returnform.h"
#include "store.h"
#include "template.h"
#include "token.h"
#include "xmalloc.h"

/* Administrators' copies of the form win over the shipped one. */
#define FORM_OVERRIDE	"/etc/rapidreviewd/templates/" REQUEST_FORM_PATH

struct request_facts {
	char	*child;
	char	*incident_type;
	long	 incident_date;
	char	*background;
	char	*thread;
	long	 due;
	long	 meeting_by;
	char	*state;
};

static void
request_facts_clear(struct request_facts *f)
{
	free(f->child);
	free(f->incident_type);
	free(f->background);
	free(f->thread);
	free(f->state);
}

static int
load_facts(const struct case_env *e, const char *ref, const char *agency,
    struct request_facts *f, char **cause)
{
	sqlite3_stmt	*q;
	int		 r;

	memset(f, 0, sizeof *f);
	q = db_query(e->store, cause, "SELECT ch.identifier, c.incident_type, "
	    "c.incident_date, c.background, c.thread_msgid, "
	    "coalesce(r.extended_due, r.due_date), (SELECT coalesce("
	    "m.extended_due, m.due_date) FROM milestones m WHERE m.case_id = "
	    "c.id AND m.kind = 'meeting_by'), r.state FROM cases c JOIN "
	    "requests r ON r.case_id = c.id AND r.agency = ? LEFT JOIN "
	    "children ch ON ch.case_id = c.id AND ch.position = 0 WHERE "
	    "c.ref = ?", "tt", agency, ref);
	if (q == NULL)
		return -1;
	if ((r = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_finalize(q);
		if (r != SQLITE_DONE) {
			xasprintf(cause, "reading the request: %s",
			    sqlite3_errstr(r));
			return -1;
		}
		xasprintf(cause, "%s has no request for %s", ref, agency);
		return -1;
	}
#define COL_TEXT(i) (sqlite3_column_type(q, i) == SQLITE_NULL ? NULL : \
	xstrdup((const char *)sqlite3_column_text(q, i)))
	f->child = COL_TEXT(0);
	f->incident_type = COL_TEXT(1);
	f->incident_date = db_column_day(q, 2);
	f->background = COL_TEXT(3);
	f->thread = COL_TEXT(4);
	f->due = db_column_day(q, 5);
	f->meeting_by = db_column_day(q, 6);
	f->state = COL_TEXT(7);
#undef COL_TEXT
	sqlite3_finalize(q);
	return 0;
}

static void
set_day(struct tmpl_record *r, const char *name, long day)
{
	char	buf[32];

	if (day == DB_NO_DAY)
		snprintf(buf, sizeof buf, "not given");
	else
		mailer_format_day(day, buf, sizeof buf);
	tmpl_record_set_string(r, name, buf);
}

/* The personalised Word form, or NULL (logged) when there is none. */
static unsigned char *
build_form(const struct case_env *e, const char *ref,
    const struct agency_config *a, const char *due, const char *background,
    size_t *len)
{
	struct returnform_fields	 ff;
	unsigned char			*docx = NULL;
	char				*path, *why = NULL;
	FILE				*fp;

	if ((fp = fopen(FORM_OVERRIDE, "rb")) != NULL) {
		fclose(fp);
		path = xstrdup(FORM_OVERRIDE);
	} else
		xasprintf(&path, "%s/%s", e->cfg->templates.directory,
		    REQUEST_FORM_PATH);
	memset(&ff, 0, sizeof ff);
	ff.case_ref = ref;
	ff.agency_name = a->name;
	ff.due = due;
	ff.background = background != NULL ? background : "";
	ff.marking = e->cfg->partnership.marking;
	if (returnform_build(path, &ff, &docx, len, &why) != 0) {
		log_warnx("case %s: request to %s goes without the Word form: "
		    "%s", ref, a->key, why);
		free(why);
		docx = NULL;
	}
	free(path);
	return docx;
}

static const char *
incident_text(const char *type)
{
	if (type == NULL)
		return "not given";
	return strcmp(type, "death") == 0 ? "death" : "serious harm";
}

int
request_send(const struct case_env *e, const char *ref, const char *agency,
    int resend, long long now, char **cause)
{
	const struct agency_config	*a;
	struct request_facts		 f;
	struct mail_request		 req;
	struct compose_part		 att;
	struct tmpl_record		*r;
	unsigned char			*docx = NULL;
	char				*reply = NULL, *form = NULL, key[160];
	char				 due[32], filename[64];
	size_t				 docx_len = 0;
	int				 queued, rc = -1;

	if ((a = config_agency(e->cfg, agency)) == NULL) {
		xasprintf(cause, "no [agency.%s] in the configuration", agency);
		return -1;
	}
	if (load_facts(e, ref, agency, &f, cause) != 0)
		return -1;
	r = tmpl_record_new();
	tmpl_record_set_string(r, "agency_name", a->name);
	if (f.child != NULL)
		tmpl_record_set_string(r, "child", f.child);
	tmpl_record_set_string(r, "incident_type",
	    incident_text(f.incident_type));
	set_day(r, "incident_date", f.incident_date);
	tmpl_record_set_string(r, "background", f.background != NULL ?
	    f.background : "");
	set_day(r, "due", f.due);
	tmpl_record_set_printf(r, "due_day", "%d",
	    e->cfg->deadlines.returns_due_day);
	set_day(r, "meeting_by", f.meeting_by);
	if (e->cfg->partnership.plus_addressing)
		reply = token_address(e->key, e->cfg->partnership.address, ref,
		    a->key);
	tmpl_record_set_string(r, "reply_address", reply != NULL ? reply :
	    e->cfg->partnership.address);
	form = ar_text_form(ref);
	tmpl_record_set_string(r, "text_form", form);

	if (f.due == DB_NO_DAY)
		snprintf(due, sizeof due, "not given");
	else
		mailer_format_day(f.due, due, sizeof due);
	docx = build_form(e, ref, a, due, f.background, &docx_len);
	tmpl_record_set_bool(r, "has_form", docx != NULL);

	memset(&req, 0, sizeof req);
	if (resend)
		snprintf(key, sizeof key, "resend:%s:%s:%lld", ref, a->key,
		    now);
	else
		snprintf(key, sizeof key, "request:%s:%s", ref, a->key);
	req.template = "request";
	req.case_ref = ref;
	req.agency = a->key;
	req.to = (const char *const *)a->to.v;
	req.nto = a->to.n;
	req.reply_to = reply;
	req.in_reply_to = f.thread;
	req.dedupe_key = key;
	if (docx != NULL) {
		snprintf(filename, sizeof filename, "%s %s return.docx", ref,
		    a->key);
		memset(&att, 0, sizeof att);
		att.content_type = "application/vnd.openxmlformats-"
		    "officedocument.wordprocessingml.document";
		att.filename = filename;
		att.data = docx;
		att.len = docx_len;
		req.attachments = &att;
		req.nattachments = 1;
	}
	if (mailer_queue(e->store, e->cfg, r, &req, f.child, now, NULL,
	    &queued, cause) != 0)
		goto out;
	if (db_exec(e->store, cause, "UPDATE requests SET state = 'requested', "
	    "requested_at = coalesce(requested_at, ?) WHERE agency = ? AND "
	    "state = 'pending' AND case_id = (SELECT id FROM cases WHERE "
	    "ref = ?)", "ltt", now, a->key, ref) != 0)
		goto out;
	rc = 0;
out:
	tmpl_record_free(r);
	request_facts_clear(&f);
	free(reply);
	free(form);
	free(docx);
	return rc;
}
