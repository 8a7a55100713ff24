/*
 * cases.c - a SIN opens a case; replies answer requests; the tick sends
 * what is due. All of it inside SQLite transactions, with every outgoing
 * message queued in the same transaction as its cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cases.h"
#include "config.h"
#include "date.h"
#include "db.h"
#include "log.h"
#include "mailer.h"
#include "meeting.h"
#include "mime.h"
#include "requests.h"
#include "returns.h"
#include "schedule.h"
#include "sin.h"
#include "store.h"
#include "template.h"
#include "token.h"
#include "xmalloc.h"

/* A request the SIN produced, before it is written. */
struct wanted {
	const struct agency_config	*agency;
	const char			*origin;	/* "sin" or "always" */
};

static void
day_text(long day, char *buf, size_t len)
{
	if (day == DB_NO_DAY || day == SIN_NO_DATE)
		snprintf(buf, len, "not given");
	else
		mailer_format_day(day, buf, len);
}

static void
set_day(struct tmpl_record *r, const char *name, long day)
{
	char	buf[32];

	day_text(day, buf, sizeof buf);
	tmpl_record_set_string(r, name, buf);
}

static long
local_day(const struct config *cfg, long long t)
{
	struct rr_date	d;
	int		minutes;

	if (date_time_to_local(cfg->partnership.timezone, t, &d, &minutes) != 0)
		return DB_NO_DAY;
	return date_to_days(&d);
}

static int
audit(const struct case_env *e, long long now, const char *action,
    const char *ref, const char *detail, char **cause)
{
	return store_audit(e->store, (time_t)now, "daemon", action, ref, detail,
	    cause);
}

/* The SIN's own text, or the first attached text form that has labels. */
static int
parse_sin(const struct mime_message *m, struct sin_fields *f)
{
	const struct mime_part	*p;
	size_t			 i;
	char			*text;

	if (sin_parse(m->new_text != NULL ? m->new_text : m->text != NULL ?
	    m->text : "", f))
		return 1;
	for (i = 0; i < m->n_parts; i++) {
		p = &m->parts[i];
		if (!p->is_attachment || p->data == NULL ||
		    strcmp(p->content_type, "text/plain") != 0)
			continue;
		sin_fields_free(f);
		text = xstrndup((const char *)p->data, p->len);
		i = sin_parse(text, f) ? m->n_parts : i;
		free(text);
		if (i == m->n_parts)
			return 1;
	}
	return 0;
}

/* The existing case for the same incident, if any; caller frees. */
static int
find_duplicate(const struct case_env *e, const struct sin_fields *f,
    char **ref, char **cause)
{
	int	r;

	*ref = NULL;
	if (f->panel_ref != NULL) {
		r = db_get_text(e->store, ref, cause, "SELECT ref FROM cases "
		    "WHERE lower(panel_ref) = lower(?) AND state <> 'withdrawn'",
		    "t", f->panel_ref);
		if (r != 0)
			return r;
	}
	if (f->n_children > 0 && f->incident_date != SIN_NO_DATE)
		return db_get_text(e->store, ref, cause, "SELECT c.ref FROM "
		    "cases c JOIN children ch ON ch.case_id = c.id AND "
		    "ch.position = 0 WHERE lower(ch.identifier) = lower(?) AND "
		    "c.incident_date = ? AND c.state <> 'withdrawn'", "td",
		    f->children[0].identifier, f->incident_date);
	return 0;
}

static char *
join(char **v, size_t n, const char *sep)
{
	char	*out, *next;
	size_t	 i;

	out = xstrdup("");
	for (i = 0; i < n; i++) {
		xasprintf(&next, "%s%s%s", out, i > 0 ? sep : "", v[i]);
		free(out);
		out = next;
	}
	return out;
}

static void
add_names(struct tmpl_record *r, const char *list, const char *field,
    char **v, size_t n)
{
	struct tmpl_list	*l = tmpl_record_add_list(r, list);
	size_t			 i;

	for (i = 0; i < n; i++)
		tmpl_record_set_string(tmpl_list_add_record(l), field, v[i]);
}

static void
add_milestone(struct tmpl_list *l, const char *name, long day)
{
	struct tmpl_record	*m = tmpl_list_add_record(l);

	tmpl_record_set_string(m, "name", name);
	set_day(m, "date", day);
}

static int
queue_ack(const struct case_env *e, const char *ref, const char *notifier,
    const struct sin_fields *f, const struct case_milestones *ms,
    const struct wanted *w, size_t nw, char **unmatched, size_t nunmatched,
    int late, long sin_due, long long now, char *thread, char **cause)
{
	struct mail_request	 req;
	struct tmpl_record	*r;
	struct tmpl_list	*l;
	const char		*to[1] = { notifier };
	const char		*cc[1] = { e->cfg->partnership.business_manager };
	char			 key[128];
	size_t			 i;
	int			 queued, rc;

	r = tmpl_record_new();
	if (f->n_children > 0)
		tmpl_record_set_string(r, "child", f->children[0].identifier);
	set_day(r, "day0", ms->day0);
	set_day(r, "returns_due", ms->returns_due);
	set_day(r, "meeting_by", ms->meeting_by);
	set_day(r, "panel_due", ms->panel_submission);
	l = tmpl_record_add_list(r, "milestones");
	add_milestone(l, "Information requests sent", local_day(e->cfg, now));
	add_milestone(l, "Agency returns due", ms->returns_due);
	add_milestone(l, "Escalation of missing returns", ms->escalation);
	add_milestone(l, "Proposed meeting date", ms->meeting_default);
	add_milestone(l, "Meeting held by", ms->meeting_by);
	add_milestone(l, "Rapid Review sent to the Panel", ms->panel_submission);
	l = tmpl_record_add_list(r, "agencies");
	for (i = 0; i < nw; i++)
		tmpl_record_set_string(tmpl_list_add_record(l), "name",
		    w[i].agency->name);
	add_names(r, "unmatched", "name", unmatched, nunmatched);
	add_names(r, "missing", "field", f->missing, f->n_missing);
	tmpl_record_set_bool(r, "late", late);
	if (sin_due != DB_NO_DAY)
		set_day(r, "sin_due", sin_due);

	memset(&req, 0, sizeof req);
	snprintf(key, sizeof key, "sin-ack:%s", ref);
	req.template = "sin-ack";
	req.case_ref = ref;
	req.to = to;
	req.nto = 1;
	if (strcasecmp(notifier, cc[0]) != 0) {
		req.cc = cc;
		req.ncc = 1;
	}
	req.dedupe_key = key;
	rc = mailer_queue(e->store, e->cfg, r, &req, f->n_children > 0 ?
	    f->children[0].identifier : NULL, now, thread, &queued, cause);
	tmpl_record_free(r);
	return rc;
}

static int
queue_query(const struct case_env *e, const char *ref, const char *notifier,
    const struct sin_fields *f, const char *thread, long long now,
    char **cause)
{
	struct mail_request	 req;
	struct tmpl_record	*r;
	const char		*to[1] = { notifier };
	char			 key[128];
	int			 queued, rc;

	r = tmpl_record_new();
	add_names(r, "missing", "field", f->missing, f->n_missing);
	add_names(r, "warnings", "text", f->warnings, f->n_warnings);
	memset(&req, 0, sizeof req);
	snprintf(key, sizeof key, "sin-query:%s", ref);
	req.template = "sin-query";
	req.case_ref = ref;
	req.to = to;
	req.nto = 1;
	req.in_reply_to = thread;
	req.dedupe_key = key;
	rc = mailer_queue(e->store, e->cfg, r, &req, NULL, now, NULL, &queued,
	    cause);
	tmpl_record_free(r);
	return rc;
}

/* A second SIN for a known incident: tell the notifier, open nothing. */
static int
tell_duplicate(const struct case_env *e, const char *ref,
    const struct mime_message *m, long long now, char **cause)
{
	struct mail_request	 req;
	struct tmpl_record	*r;
	const char		*to[1] = { m->from.addr };
	char			 key[256];
	int			 queued, rc;

	r = tmpl_record_new();
	memset(&req, 0, sizeof req);
	snprintf(key, sizeof key, "sin-duplicate:%s:%s", ref,
	    m->message_id != NULL ? m->message_id : "");
	req.template = "sin-duplicate";
	req.case_ref = ref;
	req.to = to;
	req.nto = 1;
	req.dedupe_key = key;
	rc = mailer_queue(e->store, e->cfg, r, &req, NULL, now, NULL, &queued,
	    cause);
	tmpl_record_free(r);
	if (rc == 0)
		rc = audit(e, now, "sin.duplicate", ref, "same incident as an "
		    "open case; no case opened", cause);
	return rc;
}

static int
wanted_has(const struct wanted *w, size_t n, const struct agency_config *a)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (w[i].agency == a)
			return 1;
	return 0;
}

int
case_open_from_sin(const struct case_env *e, const struct mime_message *m,
    int64_t row, long long now, char **ref_out, char **cause)
{
	const struct config	*cfg = e->cfg;
	struct case_milestones	 ms;
	struct sin_fields	 f;
	struct wanted		*w = NULL;
	const struct agency_config *a;
	const char		*basis;
	char			 ref[32], thread[COMPOSE_MSGID_MAX] = "";
	char			*dup = NULL, **unmatched = NULL, *missing = NULL;
	char			*detail = NULL;
	long long		 seq, case_id;
	size_t			 nw = 0, nun = 0, i;
	long			 day0, sin_due = DB_NO_DAY, notified;
	int			 late = 0, rc = -1;

	*ref_out = NULL;
	memset(&f, 0, sizeof f);
	parse_sin(m, &f);
	if (m->from.addr == NULL) {
		xasprintf(cause, "SIN without a sender address");
		goto out;
	}
	if (find_duplicate(e, &f, &dup, cause) < 0)
		goto out;
	if (dup != NULL) {
		if (tell_duplicate(e, dup, m, now, cause) != 0)
			goto out;
		*ref_out = dup;
		dup = NULL;
		rc = 0;
		goto out;
	}

	/* Day 0 (SPEC §2): the date the SIN went to the Panel, else the mail's. */
	notified = f.date_notified != SIN_NO_DATE ? f.date_notified :
	    local_day(cfg, m->date != 0 ? (long long)m->date : now);
	basis = f.date_notified != SIN_NO_DATE ? "notified" : "received";
	day0 = notified;
	if (cfg->deadlines.day0 == DAY0_AWARE && f.date_aware != SIN_NO_DATE) {
		day0 = f.date_aware;
		basis = "aware";
	} else if (cfg->deadlines.day0 == DAY0_RECEIVED) {
		day0 = local_day(cfg, now);
		basis = "received";
	}
	if (f.date_aware != SIN_NO_DATE) {
		sin_due = schedule_sin_due(cfg, e->cal, f.date_aware);
		late = notified > sin_due;
	}
	schedule_milestones(cfg, e->cal, day0, &ms);
	{
		struct rr_date	d;

		date_from_days(day0, &d);
		if (db_get_int64(e->store, &seq, cause, "SELECT coalesce(max("
		    "seq), 0) + 1 FROM cases WHERE year = ?", "i", d.year) < 0)
			goto out;
		snprintf(ref, sizeof ref, "RR-%04d-%03lld", d.year, seq);
		missing = join(f.missing, f.n_missing, ", ");
		if (db_exec(e->store, cause, "INSERT INTO cases (ref, year, seq, "
		    "state, day0, day0_basis, date_notified, date_aware, "
		    "incident_date, incident_type, sin_late, panel_ref, "
		    "local_authority, residing_authority, background, "
		    "missing_fields, notifier, sin_message_id, created_at, "
		    "updated_at) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?, ?, ?, ?, ?)", "tildtdddtittttttlll", ref,
		    d.year, seq, day0, basis,
		    f.date_notified == SIN_NO_DATE ? DB_NO_DAY : f.date_notified,
		    f.date_aware == SIN_NO_DATE ? DB_NO_DAY : f.date_aware,
		    f.incident_date == SIN_NO_DATE ? DB_NO_DAY : f.incident_date,
		    f.incident_type, late, f.panel_ref, f.local_authority,
		    f.residing_authority, f.background, *missing != '\0' ?
		    missing : NULL, m->from.addr, (long long)row, now,
		    now) != 0)
			goto out;
	}
	if (db_get_int64(e->store, &case_id, cause, "SELECT id FROM cases "
	    "WHERE ref = ?", "t", ref) != 1)
		goto out;
	for (i = 0; i < f.n_children; i++) {
		const struct sin_child *ch = &f.children[i];

		if (db_exec(e->store, cause, "INSERT INTO children (case_id, "
		    "position, identifier, age, dob, sex, ethnicity, disability) "
		    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "lltttttt", case_id,
		    (long long)i, ch->identifier != NULL ? ch->identifier : "",
		    ch->age, ch->dob, ch->sex, ch->ethnicity, ch->disability) !=
		    0)
			goto out;
	}
	{
		static const char *names[] = { "returns_due", "escalation",
		    "meeting_default", "meeting_by", "panel_reminder",
		    "panel_submission" };
		long days[] = { ms.returns_due, ms.escalation,
		    ms.meeting_default, ms.meeting_by, ms.panel_reminder,
		    ms.panel_submission };

		for (i = 0; i < 6; i++)
			if (db_exec(e->store, cause, "INSERT INTO milestones "
			    "(case_id, kind, due_date) VALUES (?, ?, ?)", "ltd",
			    case_id, names[i], days[i]) != 0)
				goto out;
	}

	/* The agencies: those the SIN names, then every always_request one. */
	w = xreallocarray(NULL, cfg->n_agencies + 1, sizeof *w);
	for (i = 0; i < f.n_agencies; i++) {
		if ((a = sin_match_agency(cfg, f.agencies[i])) == NULL) {
			unmatched = xreallocarray(unmatched, nun + 1,
			    sizeof *unmatched);
			unmatched[nun++] = f.agencies[i];
			continue;
		}
		if (!wanted_has(w, nw, a)) {
			w[nw].agency = a;
			w[nw++].origin = "sin";
		}
	}
	for (i = 0; i < cfg->n_agencies; i++) {
		a = &cfg->agencies[i];
		if (a->always_request && !wanted_has(w, nw, a)) {
			w[nw].agency = a;
			w[nw++].origin = "always";
		}
	}
	for (i = 0; i < nw; i++)
		if (db_exec(e->store, cause, "INSERT INTO requests (case_id, "
		    "agency, state, origin, due_date, created_at) VALUES (?, ?, "
		    "'pending', ?, ?, ?)", "lttdl", case_id, w[i].agency->key,
		    w[i].origin, ms.returns_due, now) != 0)
			goto out;

	/* The acknowledgement is the case's first message: the thread root. */
	if (queue_ack(e, ref, m->from.addr, &f, &ms, w, nw, unmatched, nun,
	    late, sin_due, now, thread, cause) != 0 ||
	    db_exec(e->store, cause, "UPDATE cases SET thread_msgid = ? WHERE "
	    "id = ?", "tl", thread, case_id) != 0)
		goto out;
	if (f.n_missing > 0 &&
	    queue_query(e, ref, m->from.addr, &f, thread, now, cause) != 0)
		goto out;
	for (i = 0; i < nw; i++)
		if (request_send(e, ref, w[i].agency->key, 0, now, cause) != 0)
			goto out;
	if (db_exec(e->store, cause, "UPDATE cases SET state = "
	    "'awaiting_returns', updated_at = ? WHERE id = ?", "ll", now,
	    case_id) != 0)
		goto out;
	if (late && db_exec(e->store, cause, "INSERT INTO alerts (kind, "
	    "case_ref, message_id, detail, created_at) VALUES ('late-sin', ?, "
	    "?, 'the SIN was sent to the Panel after its due date', ?)", "tll",
	    ref, (long long)row, now) != 0)
		goto out;
	{
		char		d0[11];
		struct rr_date	d;

		/* Field names and counts only: no personal data in audit. */
		date_from_days(day0, &d);
		date_format_iso(&d, d0, sizeof d0);
		xasprintf(&detail, "day0=%s basis=%s requests=%zu unmatched=%zu "
		    "missing=%s%s", d0, basis, nw, nun, *missing != '\0' ?
		    missing : "none", late ? " late" : "");
	}
	if (audit(e, now, "case.open", ref, detail, cause) != 0)
		goto out;
	log_info("case %s opened: %zu requests queued", ref, nw);
	*ref_out = xstrdup(ref);
	rc = 0;
out:
	free(detail);
	free(missing);
	free(unmatched);
	free(w);
	free(dup);
	sin_fields_free(&f);
	return rc;
}

int
case_record_reply(const struct case_env *e, const char *ref,
    const char *agency, const struct mime_message *m, int64_t row,
    long long now, char **cause)
{
	if (agency == NULL)	/* an administrator writing in the thread */
		return db_exec(e->store, cause, "INSERT INTO notes (case_id, "
		    "message_id, kind, author, created_at) SELECT id, ?, "
		    "'admin', ?, ? FROM cases WHERE ref = ?", "ltlt",
		    (long long)row, m->from.addr, now, ref);

	return return_record(e, ref, agency, m, row, now, cause);
}

/* --- the tick --- */

struct due_request {
	char		*ref;
	char		*agency;
	char		*child;
	char		*thread;
	long		 due;
	long long	 escalated_at;
};

static void
due_request_clear(struct due_request *d)
{
	free(d->ref);
	free(d->agency);
	free(d->child);
	free(d->thread);
}

static int
queue_chase(const struct case_env *e, const struct due_request *d,
    const char *template, int offset, long today, long escalation,
    long long now, int *queued, char **cause)
{
	const struct agency_config	*a;
	struct mail_request		 req;
	struct tmpl_record		*r;
	char				*reply = NULL, key[160];
	const char			*cc[1] = {
	    e->cfg->partnership.business_manager };
	int				 rc;

	*queued = 0;
	if ((a = config_agency(e->cfg, d->agency)) == NULL)
		return 0;	/* removed from the INI since: nobody to chase */
	r = tmpl_record_new();
	tmpl_record_set_string(r, "agency_name", a->name);
	set_day(r, "due", d->due);
	if (e->cfg->partnership.plus_addressing)
		reply = token_address(e->key, e->cfg->partnership.address,
		    d->ref, a->key);
	tmpl_record_set_string(r, "reply_address", reply != NULL ? reply :
	    e->cfg->partnership.address);
	memset(&req, 0, sizeof req);
	req.template = template;
	req.case_ref = d->ref;
	req.agency = a->key;
	req.reply_to = reply;
	req.in_reply_to = d->thread;
	req.dedupe_key = key;
	if (strcmp(template, "reminder") == 0) {
		tmpl_record_set_bool(r, "due_today", today == d->due);
		tmpl_record_set_printf(r, "days_left", "%d",
		    calendar_working_days_between(e->cal, today, d->due));
		snprintf(key, sizeof key, "reminder:%s:%s:%d", d->ref, a->key,
		    offset);
		req.to = (const char *const *)a->to.v;
		req.nto = a->to.n;
	} else {
		tmpl_record_set_string(r, "lead", a->to.n > 0 ? a->to.v[0] :
		    "");
		tmpl_record_set_printf(r, "days_overdue", "%d",
		    calendar_working_days_between(e->cal, d->due, today));
		snprintf(key, sizeof key, "escalation:%s:%s", d->ref, a->key);
		/* No escalation contact: the business manager chases. */
		if (a->escalate_to.n > 0) {
			req.to = (const char *const *)a->escalate_to.v;
			req.nto = a->escalate_to.n;
			req.cc = cc;
			req.ncc = 1;
		} else {
			req.to = cc;
			req.nto = 1;
		}
	}
	(void)escalation;
	/* Reminders never carry the child (SPEC §4): no child passed. */
	rc = mailer_queue(e->store, e->cfg, r, &req, NULL, now, NULL, queued,
	    cause);
	tmpl_record_free(r);
	free(reply);
	return rc;
}

/* Reminders and escalations for every request still waited for. */
static int
tick_requests(const struct case_env *e, long today, long long now,
    size_t *count, char **cause)
{
	struct due_request	 d;
	sqlite3_stmt		*q;
	long			 rem[SCHEDULE_MAX_REMINDERS], esc;
	int			 off[SCHEDULE_MAX_REMINDERS], queued, r, latest;
	size_t			 n, i;

	q = db_query(e->store, cause, "SELECT c.ref, r.agency, "
	    "coalesce(r.extended_due, r.due_date), r.escalated_at, "
	    "c.thread_msgid FROM requests r JOIN cases c ON c.id = r.case_id "
	    "WHERE c.state IN ('requests_sent', 'awaiting_returns') AND "
	    "r.state IN ('requested', 'draft', 'overdue') ORDER BY c.id, r.id",
	    "");
	if (q == NULL)
		return -1;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&d, 0, sizeof d);
		d.ref = xstrdup((const char *)sqlite3_column_text(q, 0));
		d.agency = xstrdup((const char *)sqlite3_column_text(q, 1));
		d.due = db_column_day(q, 2);
		d.escalated_at = sqlite3_column_int64(q, 3);
		if (sqlite3_column_type(q, 4) != SQLITE_NULL)
			d.thread = xstrdup((const char *)sqlite3_column_text(q,
			    4));
		schedule_agency(e->cfg, e->cal, d.due, rem, off, &n, &esc);
		if (today >= esc) {
			if (d.escalated_at == 0) {
				if (queue_chase(e, &d, "escalation", 0, today,
				    esc, now, &queued, cause) != 0 ||
				    db_exec(e->store, cause, "UPDATE requests "
				    "SET escalated_at = ?, state = 'overdue' "
				    "WHERE agency = ? AND case_id = (SELECT id "
				    "FROM cases WHERE ref = ?)", "ltt", now,
				    d.agency, d.ref) != 0)
					goto fail;
				*count += (size_t)queued;
			}
		} else {
			/* After a missed day, only the latest reminder goes. */
			latest = -1;
			for (i = 0; i < n; i++)
				if (rem[i] <= today && (latest < 0 ||
				    rem[i] >= rem[latest]))
					latest = (int)i;
			if (latest >= 0) {
				if (queue_chase(e, &d, "reminder", off[latest],
				    today, esc, now, &queued, cause) != 0)
					goto fail;
				*count += (size_t)queued;
			}
		}
		due_request_clear(&d);
	}
	if (r != SQLITE_DONE) {
		xasprintf(cause, "%s", sqlite3_errmsg(store_db(e->store)));
		sqlite3_finalize(q);
		return -1;
	}
	sqlite3_finalize(q);
	return 0;
fail:
	due_request_clear(&d);
	sqlite3_finalize(q);
	return -1;
}

/* The business manager is reminded of the Panel submission, once. */
static int
tick_panel(const struct case_env *e, long today, long long now, char **cause)
{
	if (db_exec(e->store, cause, "INSERT INTO alerts (kind, case_ref, "
	    "detail, created_at) SELECT 'panel', c.ref, 'the Rapid Review is "
	    "due to the Panel on ' || coalesce(p.extended_due, p.due_date), ? "
	    "FROM milestones m JOIN cases c ON c.id = m.case_id JOIN "
	    "milestones p ON p.case_id = c.id AND p.kind = 'panel_submission' "
	    "WHERE m.kind = 'panel_reminder' AND m.done_at IS NULL AND "
	    "coalesce(m.extended_due, m.due_date) <= ? AND c.state NOT IN "
	    "('submitted', 'closed', 'withdrawn')", "ld", now, today) != 0)
		return -1;
	return db_exec(e->store, cause, "UPDATE milestones SET done_at = ? "
	    "WHERE kind = 'panel_reminder' AND done_at IS NULL AND coalesce("
	    "extended_due, due_date) <= ?", "ld", now, today);
}

static const char *
rag_of(const struct case_env *e, long today, long long outstanding,
    long long overdue, long due)
{
	if (overdue > 0)
		return "red";
	if (outstanding > 0 && due != DB_NO_DAY &&
	    calendar_working_days_between(e->cal, today, due) <= 1)
		return "amber";
	return "green";
}

static int
digest_cases(const struct case_env *e, struct tmpl_record *r, long today,
    char **cause)
{
	struct tmpl_list	*cases, *out;
	struct tmpl_record	*c, *o;
	sqlite3_stmt		*q, *q2;
	long			 day0, due;
	long long		 in = 0, total = 0, overdue = 0;
	int			 rc;
	char			 buf[32];

	cases = tmpl_record_add_list(r, "cases");
	q = db_query(e->store, cause, "SELECT c.id, c.ref, c.state, c.day0, "
	    "c.sin_late, (SELECT min(coalesce(m.extended_due, m.due_date)) "
	    "FROM milestones m WHERE m.case_id = c.id AND m.done_at IS NULL "
	    "AND coalesce(m.extended_due, m.due_date) >= ?), (SELECT m.kind "
	    "FROM milestones m WHERE m.case_id = c.id AND m.done_at IS NULL "
	    "AND coalesce(m.extended_due, m.due_date) >= ? ORDER BY "
	    "coalesce(m.extended_due, m.due_date) LIMIT 1) FROM cases c WHERE "
	    "c.state NOT IN ('submitted', 'closed', 'withdrawn') ORDER BY c.id",
	    "dd", today, today);
	if (q == NULL)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		c = tmpl_list_add_record(cases);
		day0 = db_column_day(q, 3);
		tmpl_record_set_string(c, "case_ref",
		    (const char *)sqlite3_column_text(q, 1));
		tmpl_record_set_string(c, "state",
		    (const char *)sqlite3_column_text(q, 2));
		tmpl_record_set_printf(c, "day_n", "%d",
		    schedule_day_number(e->cal, day0, today));
		set_day(c, "day0", day0);
		tmpl_record_set_bool(c, "late", sqlite3_column_int(q, 4));
		if (sqlite3_column_type(q, 6) != SQLITE_NULL) {
			tmpl_record_set_string(c, "next_name",
			    (const char *)sqlite3_column_text(q, 6));
			set_day(c, "next_date", db_column_day(q, 5));
		}
		q2 = db_query(e->store, cause, "SELECT r.agency, "
		    "coalesce(r.extended_due, r.due_date), r.state, "
		    "r.out_of_office FROM requests r WHERE r.case_id = ? "
		    "ORDER BY r.id", "l", sqlite3_column_int64(q, 0));
		if (q2 == NULL) {
			sqlite3_finalize(q);
			return -1;
		}
		in = total = overdue = 0;
		due = DB_NO_DAY;
		out = tmpl_record_add_list(c, "outstanding");
		while (sqlite3_step(q2) == SQLITE_ROW) {
			const char *state = (const char *)sqlite3_column_text(
			    q2, 2);
			const struct agency_config *a = config_agency(e->cfg,
			    (const char *)sqlite3_column_text(q2, 0));

			if (strcmp(state, "waived") == 0)
				continue;
			total++;
			if (strcmp(state, "returned") == 0) {
				in++;
				continue;
			}
			due = db_column_day(q2, 1);
			if (due < today)
				overdue++;
			o = tmpl_list_add_record(out);
			tmpl_record_set_string(o, "agency_name", a != NULL ?
			    a->name : (const char *)sqlite3_column_text(q2, 0));
			set_day(o, "due", due);
			tmpl_record_set_bool(o, "out_of_office",
			    sqlite3_column_int(q2, 3));
		}
		sqlite3_finalize(q2);
		snprintf(buf, sizeof buf, "%lld", in);
		tmpl_record_set_string(c, "returns_in", buf);
		tmpl_record_set_printf(c, "returns_due_n", "%lld", total);
		tmpl_record_set_string(c, "rag", rag_of(e, today, total - in,
		    overdue, due));
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
digest_lists(const struct case_env *e, struct tmpl_record *r, long long now,
    char **cause)
{
	struct tmpl_list	*l;
	struct tmpl_record	*i;
	sqlite3_stmt		*q;
	char			 when[64];

	l = tmpl_record_add_list(r, "quarantined");
	q = db_query(e->store, cause, "SELECT id, created_at, reason FROM "
	    "quarantine WHERE released_at IS NULL AND digested_at IS NULL "
	    "ORDER BY id", "");
	if (q == NULL)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		i = tmpl_list_add_record(l);
		tmpl_record_set_printf(i, "id", "%lld",
		    sqlite3_column_int64(q, 0));
		mailer_format_time(e->cfg, sqlite3_column_int64(q, 1), when,
		    sizeof when);
		tmpl_record_set_string(i, "when", when);
		tmpl_record_set_string(i, "reason",
		    (const char *)sqlite3_column_text(q, 2));
	}
	sqlite3_finalize(q);
	if (db_exec(e->store, cause, "UPDATE quarantine SET digested_at = ? "
	    "WHERE released_at IS NULL AND digested_at IS NULL", "l", now) != 0)
		return -1;

	l = tmpl_record_add_list(r, "out_of_office");
	q = db_query(e->store, cause, "SELECT c.ref, r.agency FROM requests r "
	    "JOIN cases c ON c.id = r.case_id WHERE r.out_of_office = 1 AND "
	    "r.state NOT IN ('returned', 'waived') AND c.state NOT IN "
	    "('submitted', 'closed', 'withdrawn')", "");
	if (q == NULL)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const struct agency_config *a = config_agency(e->cfg,
		    (const char *)sqlite3_column_text(q, 1));

		i = tmpl_list_add_record(l);
		tmpl_record_set_string(i, "case_ref",
		    (const char *)sqlite3_column_text(q, 0));
		tmpl_record_set_string(i, "agency_name", a != NULL ? a->name :
		    (const char *)sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);

	l = tmpl_record_add_list(r, "alerts");
	q = db_query(e->store, cause, "SELECT created_at, detail, case_ref "
	    "FROM alerts WHERE created_at > ? ORDER BY id", "l",
	    now - 24 * 3600);
	if (q == NULL)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		i = tmpl_list_add_record(l);
		mailer_format_time(e->cfg, sqlite3_column_int64(q, 0), when,
		    sizeof when);
		tmpl_record_set_string(i, "when", when);
		tmpl_record_set_string(i, "what",
		    (const char *)sqlite3_column_text(q, 1));
		if (sqlite3_column_type(q, 2) != SQLITE_NULL)
			tmpl_record_set_string(i, "case_ref",
			    (const char *)sqlite3_column_text(q, 2));
	}
	sqlite3_finalize(q);
	return 0;
}

/* The daily digest, once a working day at digest_time, when cases are open. */
static int
tick_digest(const struct case_env *e, long today, int minutes, long long now,
    size_t *count, char **cause)
{
	struct mail_request	 req;
	struct tmpl_record	*r;
	struct rr_date		 d;
	long long		 open;
	char			 key[64];
	int			 queued, rc;

	if (minutes < e->cfg->calendar.digest_time)
		return 0;
	if (db_get_int64(e->store, &open, cause, "SELECT count(*) FROM cases "
	    "WHERE state NOT IN ('submitted', 'closed', 'withdrawn')", "") < 0)
		return -1;
	if (open == 0)
		return 0;
	date_from_days(today, &d);
	snprintf(key, sizeof key, "digest:%04d-%02d-%02d", d.year, d.month,
	    d.day);
	if (db_get_int64(e->store, &open, cause, "SELECT count(*) FROM outbox "
	    "WHERE dedupe_key = ?", "t", key) < 0)
		return -1;
	if (open > 0)
		return 0;	/* already queued today */
	r = tmpl_record_new();
	if (digest_cases(e, r, today, cause) != 0 ||
	    digest_lists(e, r, now, cause) != 0) {
		tmpl_record_free(r);
		return -1;
	}
	memset(&req, 0, sizeof req);
	req.template = "digest";
	req.to = (const char *const *)&e->cfg->partnership.business_manager;
	req.nto = 1;
	req.dedupe_key = key;
	rc = mailer_queue(e->store, e->cfg, r, &req, NULL, now, NULL, &queued,
	    cause);
	tmpl_record_free(r);
	*count += (size_t)queued;
	return rc;
}

int
case_tick(const struct case_env *e, long long now, size_t *queued,
    char **cause)
{
	long	today;
	int	minutes, may;

	*queued = 0;
	may = schedule_may_send(e->cfg, e->cal, now, &today, &minutes);
	if (may < 0) {
		xasprintf(cause, "timezone %s is unusable",
		    e->cfg->partnership.timezone);
		return -1;
	}
	if (may == 0)
		return 0;	/* weekends, holidays, before send_after */
	if (store_begin(e->store, cause) != 0)
		return -1;
	if (tick_requests(e, today, now, queued, cause) != 0 ||
	    meeting_tick(e, today, now, queued, cause) != 0 ||
	    tick_panel(e, today, now, cause) != 0 ||
	    tick_digest(e, today, minutes, now, queued, cause) != 0) {
		store_rollback(e->store);
		*queued = 0;
		return -1;
	}
	return store_commit(e->store, cause);
}
