/*
 * meeting.c - attendees, the calendar invitation and the meeting pack.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendar.h"
#include "cases.h"
#include "config.h"
#include "date.h"
#include "db.h"
#include "ics.h"
#include "log.h"
#include "mailer.h"
#include "meeting.h"
#include "pack.h"
#include "schedule.h"
#include "store.h"
#include "template.h"
#include "xmalloc.h"

static int
audit(const struct case_env *e, long long now, const char *action,
    const char *ref, const char *detail, char **cause)
{
	return store_audit(e->store, (time_t)now, "daemon", action, ref, detail,
	    cause);
}

static char *
lower_dup(const char *s)
{
	char	*d = xstrdup(s), *p;

	for (p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static void
add_unique(char ***v, size_t *n, const char *addr)
{
	char	*a = lower_dup(addr);
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], a) == 0) {
			free(a);
			return;
		}
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = a;
}

static void
remove_addr(char **v, size_t *n, const char *addr)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (strcasecmp(v[i], addr) == 0) {
			free(v[i]);
			memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof *v);
			(*n)--;
			return;
		}
}

int
meeting_attendees(const struct case_env *e, const char *ref, char ***out,
    size_t *n, char **cause)
{
	const struct config	*cfg = e->cfg;
	sqlite3_stmt		*q;
	size_t			 i, j;
	int			 r;

	*out = NULL;
	*n = 0;
	for (i = 0; i < cfg->partnership.attendees.n; i++)
		add_unique(out, n, cfg->partnership.attendees.v[i]);
	for (i = 0; i < cfg->n_agencies; i++)
		if (cfg->agencies[i].pack)
			for (j = 0; j < cfg->agencies[i].to.n; j++)
				add_unique(out, n, cfg->agencies[i].to.v[j]);
	q = db_query(e->store, cause, "SELECT address, removed FROM attendees "
	    "WHERE case_id = (SELECT id FROM cases WHERE ref = ?) ORDER BY id",
	    "t", ref);
	if (q == NULL)
		goto fail;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(q, 0);

		if (sqlite3_column_int(q, 1))
			remove_addr(*out, n, a);
		else
			add_unique(out, n, a);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		xasprintf(cause, "reading attendees: %s", sqlite3_errstr(r));
		goto fail;
	}
	return 0;
fail:
	for (i = 0; i < *n; i++)
		free((*out)[i]);
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}

static void
free_list(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct meeting_row {
	long long	 at;		/* 0: not set */
	int		 minutes;
	char		*place;
	char		*uid;
	int		 seq;
	char		*thread;
	char		*child;
	char		*state;
	int		 pack_version;
	int		 pack_stale;
};

static void
meeting_row_clear(struct meeting_row *m)
{
	free(m->place);
	free(m->uid);
	free(m->thread);
	free(m->child);
	free(m->state);
}

static char *
col_dup(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? NULL :
	    xstrdup((const char *)sqlite3_column_text(q, i));
}

static int
load_meeting(const struct case_env *e, const char *ref,
    struct meeting_row *m, char **cause)
{
	sqlite3_stmt	*q;
	int		 r;

	memset(m, 0, sizeof *m);
	q = db_query(e->store, cause, "SELECT coalesce(c.meeting_at, 0), "
	    "coalesce(c.meeting_minutes, 90), c.meeting_place, c.meeting_uid, "
	    "c.meeting_seq, c.thread_msgid, ch.identifier, c.state, "
	    "c.pack_version, c.pack_stale FROM cases c LEFT JOIN children ch "
	    "ON ch.case_id = c.id AND ch.position = 0 WHERE c.ref = ?", "t",
	    ref);
	if (q == NULL)
		return -1;
	if ((r = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_finalize(q);
		xasprintf(cause, r == SQLITE_DONE ? "no case %s" :
		    "reading case %s failed", ref);
		return -1;
	}
	m->at = sqlite3_column_int64(q, 0);
	m->minutes = sqlite3_column_int(q, 1);
	m->place = col_dup(q, 2);
	m->uid = col_dup(q, 3);
	m->seq = sqlite3_column_int(q, 4);
	m->thread = col_dup(q, 5);
	m->child = col_dup(q, 6);
	m->state = col_dup(q, 7);
	m->pack_version = sqlite3_column_int(q, 8);
	m->pack_stale = sqlite3_column_int(q, 9);
	sqlite3_finalize(q);
	return 0;
}

static void
set_meeting_names(const struct case_env *e, struct tmpl_record *r,
    const struct meeting_row *m)
{
	struct rr_date	d;
	char		buf[32];
	int		minutes;

	if (m->at == 0 || date_time_to_local(e->cfg->partnership.timezone,
	    m->at, &d, &minutes) != 0)
		return;
	mailer_format_day(date_to_days(&d), buf, sizeof buf);
	tmpl_record_set_string(r, "meeting_date", buf);
	snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
	tmpl_record_set_string(r, "meeting_time", buf);
	if (m->place != NULL)
		tmpl_record_set_string(r, "place", m->place);
}

/* The .ics of the case's meeting; NULL with *cause. */
static char *
render_ics(const struct case_env *e, const char *ref,
    const struct meeting_row *m, char **att, size_t natt, int cancel,
    long long now, char **cause)
{
	struct ics_meeting	 im;
	char			*summary, *desc, *ics;

	xasprintf(&summary, "Rapid Review meeting %s", ref);
	xasprintf(&desc, "Rapid Review meeting for case %s.\n%s\n"
	    "Business manager: %s", ref, e->cfg->partnership.name,
	    e->cfg->partnership.business_manager);
	memset(&im, 0, sizeof im);
	im.uid = m->uid;
	im.sequence = m->seq;
	im.cancel = cancel;
	im.start = m->at;
	im.minutes = m->minutes;
	im.summary = summary;
	im.description = desc;
	im.location = m->place;
	im.organizer = e->cfg->partnership.address;
	im.organizer_name = e->cfg->partnership.display_name;
	im.attendees = (const char *const *)att;
	im.n_attendees = natt;
	im.dtstamp = now;
	ics = ics_render(&im, cause);
	free(summary);
	free(desc);
	return ics;
}

static void
format_duration(int minutes, char *buf, size_t len)
{
	if (minutes % 60 == 0)
		snprintf(buf, len, "%dh", minutes / 60);
	else if (minutes < 60)
		snprintf(buf, len, "%dm", minutes);
	else
		snprintf(buf, len, "%dh%02d", minutes / 60, minutes % 60);
}

int
meeting_invite(const struct case_env *e, const char *ref, int cancel,
    const char *only, long long now, size_t *sent, char **cause)
{
	struct meeting_row	 m;
	struct mail_request	 req;
	struct compose_part	 alt, att;
	struct tmpl_record	*r = NULL;
	char			**to = NULL, *ics = NULL, key[160], dur[16];
	char			*detail;
	size_t			 nto = 0;
	int			 queued, rc = -1;

	*sent = 0;
	if (load_meeting(e, ref, &m, cause) != 0)
		return -1;
	if (m.at == 0 || m.uid == NULL) {
		xasprintf(cause, "%s has no meeting set", ref);
		goto out;
	}
	if (meeting_attendees(e, ref, &to, &nto, cause) != 0)
		goto out;
	if (nto == 0) {
		xasprintf(cause, "%s has no attendees: add [partnership] "
		    "attendees or use the attendee command", ref);
		goto out;
	}
	if ((ics = render_ics(e, ref, &m, to, nto, cancel, now, cause)) ==
	    NULL)
		goto out;
	r = tmpl_record_new();
	set_meeting_names(e, r, &m);
	format_duration(m.minutes, dur, sizeof dur);
	tmpl_record_set_string(r, "duration", dur);
	if (cancel)
		tmpl_record_set_string(r, "agenda", "This meeting has been "
		    "cancelled: the case was withdrawn. Please remove it from "
		    "your calendar.");
	memset(&alt, 0, sizeof alt);
	alt.content_type = "text/calendar";
	alt.method = cancel ? "CANCEL" : "REQUEST";
	alt.data = ics;
	alt.len = strlen(ics);
	memset(&att, 0, sizeof att);
	att.content_type = "application/ics";
	att.filename = "invite.ics";
	att.data = ics;
	att.len = alt.len;
	memset(&req, 0, sizeof req);
	snprintf(key, sizeof key, "invite:%s:%d:%s%s%s", ref, m.seq,
	    cancel ? "cancel" : "request", only != NULL ? ":" : "",
	    only != NULL ? only : "");
	req.template = "invite";
	req.case_ref = ref;
	if (only != NULL) {
		req.to = &only;
		req.nto = 1;
	} else {
		req.to = (const char *const *)to;
		req.nto = nto;
	}
	req.in_reply_to = m.thread;
	req.dedupe_key = key;
	req.alternatives = &alt;
	req.nalternatives = 1;
	req.attachments = &att;
	req.nattachments = 1;
	if (mailer_queue(e->store, e->cfg, r, &req, m.child, now, NULL,
	    &queued, cause) != 0)
		goto out;
	*sent = req.nto;
	xasprintf(&detail, "sequence=%d attendees=%zu%s", m.seq, req.nto,
	    cancel ? " cancel" : "");
	rc = audit(e, now, cancel ? "meeting.cancel" : "meeting.invite", ref,
	    detail, cause);
	free(detail);
out:
	tmpl_record_free(r);
	free_list(to, nto);
	free(ics);
	meeting_row_clear(&m);
	return rc;
}

/* The recipient's domain is one the pack may go to. */
static int
pack_allowed(const struct config *cfg, const char *addr)
{
	const struct strlist	*d = &cfg->security.pack_allowed_domains;
	char			*pattern;
	size_t			 i;
	int			 ok = 0;

	for (i = 0; i < d->n && !ok; i++) {
		xasprintf(&pattern, "*@%s", d->v[i]);
		ok = config_address_match(pattern, addr);
		free(pattern);
	}
	return ok;
}

static int
count_returns(const struct case_env *e, const char *ref, long long *in,
    long long *expected, char **cause)
{
	if (db_get_int64(e->store, in, cause, "SELECT count(*) FROM requests "
	    "WHERE state = 'returned' AND case_id = (SELECT id FROM cases WHERE "
	    "ref = ?)", "t", ref) < 0)
		return -1;
	return db_get_int64(e->store, expected, cause, "SELECT count(*) FROM "
	    "requests WHERE state <> 'waived' AND case_id = (SELECT id FROM "
	    "cases WHERE ref = ?)", "t", ref) < 0 ? -1 : 0;
}

int
meeting_send_pack(const struct case_env *e, const char *ref, long long now,
    size_t *sent, size_t *withheld, char **cause)
{
	struct meeting_row	 m;
	struct pack_output	 po;
	struct mail_request	 req;
	struct compose_part	 att[3];
	struct tmpl_record	*r = NULL;
	const char		*one[1];
	char			**to = NULL, *ics = NULL, key[160];
	char			 pdfname[64], csvname[64], *detail;
	size_t			 nto = 0, i, natt;
	long long		 in, expected;
	int			 version, queued, allowed, rc = -1;

	*sent = *withheld = 0;
	memset(&po, 0, sizeof po);
	if (load_meeting(e, ref, &m, cause) != 0)
		return -1;
	if (meeting_attendees(e, ref, &to, &nto, cause) != 0)
		goto out;
	if (nto == 0) {
		xasprintf(cause, "%s has no attendees to send the pack to",
		    ref);
		goto out;
	}
	version = m.pack_version + 1;
	if (pack_build(e->store, e->cfg, e->cal, ref, now, version, &po,
	    cause) != 0)
		goto out;
	if (m.at != 0 && m.uid != NULL &&
	    (ics = render_ics(e, ref, &m, to, nto, 0, now, cause)) == NULL)
		goto out;
	if (count_returns(e, ref, &in, &expected, cause) != 0)
		goto out;
	snprintf(pdfname, sizeof pdfname, "%s meeting pack%s.pdf", ref,
	    version > 1 ? " (updated)" : "");
	snprintf(csvname, sizeof csvname, "%s chronology.csv", ref);
	memset(att, 0, sizeof att);
	att[0].content_type = "application/pdf";
	att[0].filename = pdfname;
	att[0].data = po.pdf;
	att[0].len = po.pdf_len;
	att[1].content_type = "text/csv";
	att[1].filename = csvname;
	att[1].data = po.csv;
	att[1].len = po.csv_len;
	natt = 2;
	if (ics != NULL) {
		att[2].content_type = "application/ics";
		att[2].filename = "invite.ics";
		att[2].data = ics;
		att[2].len = strlen(ics);
		natt = 3;
	}
	for (i = 0; i < nto; i++) {
		allowed = pack_allowed(e->cfg, to[i]);
		r = tmpl_record_new();
		set_meeting_names(e, r, &m);
		tmpl_record_set_bool(r, "updated", version > 1);
		tmpl_record_set_printf(r, "returns_in", "%lld", in);
		tmpl_record_set_printf(r, "returns_expected", "%lld", expected);
		one[0] = to[i];
		memset(&req, 0, sizeof req);
		snprintf(key, sizeof key, "pack:%s:%d", ref, version);
		req.template = allowed ? "pack" : "pack-withheld";
		req.case_ref = ref;
		req.to = one;
		req.nto = 1;
		req.in_reply_to = m.thread;
		req.dedupe_key = key;
		if (allowed) {
			req.attachments = att;
			req.nattachments = natt;
		}
		rc = mailer_queue(e->store, e->cfg, r, &req, m.child, now,
		    NULL, &queued, cause);
		tmpl_record_free(r);
		r = NULL;
		if (rc != 0)
			goto out;
		rc = -1;
		if (allowed)
			(*sent)++;
		else
			(*withheld)++;
	}
	if (db_exec(e->store, cause, "UPDATE cases SET pack_version = ?, "
	    "pack_sent_at = ?, pack_stale = 0, updated_at = ?, state = CASE "
	    "WHEN state IN ('open', 'requests_sent', 'awaiting_returns', "
	    "'returns_complete') THEN 'pack_sent' ELSE state END WHERE ref = ?",
	    "illt", version, now, now, ref) != 0 ||
	    db_exec(e->store, cause, "UPDATE milestones SET done_at = "
	    "coalesce(done_at, ?) WHERE kind = 'pack' AND case_id = (SELECT id "
	    "FROM cases WHERE ref = ?)", "lt", now, ref) != 0)
		goto out;
	xasprintf(&detail, "version=%d sent=%zu withheld=%zu pdf_bytes=%zu "
	    "returns=%lld/%lld", version, *sent, *withheld, po.pdf_len, in,
	    expected);
	rc = audit(e, now, "pack.sent", ref, detail, cause);
	free(detail);
	log_info("case %s: meeting pack %d queued to %zu (%zu withheld)", ref,
	    version, *sent, *withheld);
out:
	tmpl_record_free(r);
	free_list(to, nto);
	free(ics);
	pack_output_clear(&po);
	meeting_row_clear(&m);
	return rc;
}

int
meeting_tick(const struct case_env *e, long today, long long now,
    size_t *queued, char **cause)
{
	sqlite3_stmt	*q;
	char		**refs = NULL;
	size_t		 n = 0, i, sent, withheld;
	int		 r, rc = -1;

	/* Packs due: the pack milestone reached with none sent yet, or a
	 * stale pack before the meeting. */
	q = db_query(e->store, cause, "SELECT c.ref FROM cases c WHERE "
	    "c.meeting_at IS NOT NULL AND c.meeting_at > ? AND c.state IN "
	    "('awaiting_returns', 'requests_sent', 'returns_complete', "
	    "'pack_sent') AND ((c.pack_version = 0 AND EXISTS (SELECT 1 FROM "
	    "milestones m WHERE m.case_id = c.id AND m.kind = 'pack' AND "
	    "coalesce(m.extended_due, m.due_date) <= ?)) OR (c.pack_version > "
	    "0 AND c.pack_stale = 1)) ORDER BY c.id", "ld", now, today);
	if (q == NULL)
		return -1;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		refs = xreallocarray(refs, n + 1, sizeof *refs);
		refs[n++] = xstrdup((const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		xasprintf(cause, "reading cases: %s", sqlite3_errstr(r));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (meeting_send_pack(e, refs[i], now, &sent, &withheld,
		    cause) != 0)
			goto out;
		*queued += sent + withheld;
	}
	/* A meeting that is over has been held. */
	if (db_exec(e->store, cause, "UPDATE cases SET state = 'meeting_held', "
	    "updated_at = ? WHERE meeting_at IS NOT NULL AND meeting_at + "
	    "60 * coalesce(meeting_minutes, 90) <= ? AND state IN "
	    "('awaiting_returns', 'requests_sent', 'returns_complete', "
	    "'pack_sent')", "ll", now, now) != 0)
		goto out;
	rc = 0;
out:
	free_list(refs, n);
	return rc;
}
