/*
 * commands.c - the administrators' email commands (SPEC §6): parse each
 * line, run it in a savepoint, and say what happened in the transcript.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendar.h"
#include "cases.h"
#include "commands.h"
#include "config.h"
#include "date.h"
#include "db.h"
#include "log.h"
#include "mailer.h"
#include "meeting.h"
#include "mime.h"
#include "requests.h"
#include "schedule.h"
#include "store.h"
#include "template.h"
#include "xmalloc.h"

#define MAX_UNKNOWN	3
#define MAX_COMMANDS	100
#define MAX_WORDS	8

/* One command line split: words[0] the command, rest the text after
 * words[n - 1] (for REASON..., TEXT..., PLACE...). */
struct words {
	char		*buf;
	const char	*w[MAX_WORDS];
	size_t		 n;
	const char	*rest[MAX_WORDS];	/* the line after word i */
};

static void
split(const char *line, struct words *wd)
{
	char	*p;

	memset(wd, 0, sizeof *wd);
	wd->buf = xstrdup(line);
	p = wd->buf;
	while (wd->n < MAX_WORDS) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		wd->w[wd->n] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		/* What follows this word, in the original line. */
		wd->rest[wd->n] = line + (p - wd->buf);
		while (*wd->rest[wd->n] == ' ' || *wd->rest[wd->n] == '\t')
			wd->rest[wd->n]++;
		wd->n++;
	}
}

struct ctx {
	const struct case_env	*e;
	const char		*actor;
	long long		 now;
	long			 today;
	struct command_transcript *t;
	char			*result;	/* this line's result */
	char			*ref;		/* the case named, upper case */
};

static void
say(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct ctx *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *n;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	if (c->result == NULL)
		c->result = s;
	else {
		xasprintf(&n, "%s\n%s", c->result, s);
		free(c->result);
		free(s);
		c->result = n;
	}
}

static int
audit(struct ctx *c, const char *action, const char *detail, char **cause)
{
	return store_audit(c->e->store, (time_t)c->now, c->actor, action,
	    c->ref, detail, cause);
}

/* The case REF names: 0 found (c->ref set), 1 not (said), -1 error. */
static int
find_case(struct ctx *c, const char *word, char **cause)
{
	long long	 id;
	char		*ref, *p;
	int		 r;

	ref = xstrdup(word);
	for (p = ref; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	r = db_get_int64(c->e->store, &id, cause, "SELECT id FROM cases "
	    "WHERE ref = ?", "t", ref);
	if (r < 0) {
		free(ref);
		return -1;
	}
	if (r == 0) {
		say(c, "Failed: there is no case %s.", ref);
		free(ref);
		return 1;
	}
	free(c->ref);
	c->ref = ref;
	if (c->t->case_ref == NULL)
		c->t->case_ref = xstrdup(ref);
	return 0;
}

static int
case_state(struct ctx *c, char **state, char **cause)
{
	return db_get_text(c->e->store, state, cause, "SELECT state FROM "
	    "cases WHERE ref = ?", "t", c->ref) == 1 ? 0 : -1;
}

static int
is_final(const char *state)
{
	return strcmp(state, "closed") == 0 || strcmp(state, "withdrawn") == 0;
}

/* A case still open to change: 0, 1 (said why not), -1. */
static int
open_case(struct ctx *c, const char *word, char **cause)
{
	char	*state = NULL;
	int	 r;

	if ((r = find_case(c, word, cause)) != 0)
		return r;
	if (case_state(c, &state, cause) != 0)
		return -1;
	r = is_final(state);
	if (r)
		say(c, "Failed: %s is %s.", c->ref, state);
	free(state);
	return r;
}

static const struct agency_config *
find_agency(struct ctx *c, const char *word)
{
	const struct agency_config	*a;
	size_t				 i, j;

	if ((a = config_agency(c->e->cfg, word)) != NULL)
		return a;
	for (i = 0; i < c->e->cfg->n_agencies; i++) {
		a = &c->e->cfg->agencies[i];
		if (strcasecmp(a->key, word) == 0 ||
		    strcasecmp(a->name, word) == 0)
			return a;
		for (j = 0; j < a->aliases.n; j++)
			if (strcasecmp(a->aliases.v[j], word) == 0)
				return a;
	}
	say(c, "Failed: no agency \"%s\" in the configuration.", word);
	return NULL;
}

static int
parse_day(struct ctx *c, const char *word, long *day)
{
	struct rr_date	d;

	if (date_parse_iso(word, &d) != 0) {
		say(c, "Failed: \"%s\" is not a date (YYYY-MM-DD).", word);
		return -1;
	}
	*day = date_to_days(&d);
	return 0;
}

/* "90m", "1h", "1h30", "2h15m": minutes (1 to 720), or -1. */
static int
parse_duration(const char *s)
{
	char	*end;
	long	 h, m = 0;

	h = strtol(s, &end, 10);
	if (end == s || h < 0)
		return -1;
	if (*end == 'm' && end[1] == '\0') {
		m = h;
		h = 0;
	} else if (*end == 'h') {
		s = end + 1;
		if (*s != '\0') {
			m = strtol(s, &end, 10);
			if (end == s || m < 0 || m >= 60)
				return -1;
			if (*end == 'm')
				end++;
			if (*end != '\0')
				return -1;
		}
	} else
		return -1;
	if (h > 12 || h * 60 + m < 1 || h * 60 + m > 12 * 60)
		return -1;
	return (int)(h * 60 + m);
}

/* A milestone's day (its extension wins), or DB_NO_DAY. */
static int
milestone_day(struct ctx *c, const char *kind, long *day, char **cause)
{
	sqlite3_stmt	*q;

	*day = DB_NO_DAY;
	q = db_query(c->e->store, cause, "SELECT coalesce(extended_due, "
	    "due_date) FROM milestones WHERE kind = ? AND case_id = (SELECT id "
	    "FROM cases WHERE ref = ?)", "tt", kind, c->ref);
	if (q == NULL)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW)
		*day = db_column_day(q, 0);
	sqlite3_finalize(q);
	return 0;
}

static void
day_text(long day, char *buf, size_t len)
{
	mailer_format_day(day, buf, len);
}

/* --- the commands --- */

static int
cmd_help(struct ctx *c, const struct words *w, char **cause)
{
	say(c, "Commands, one per line (REF is a case such as RR-2024-001):\n"
	    "  status [REF]\n"
	    "  meeting REF YYYY-MM-DD HH:MM [DURATION] [PLACE...]\n"
	    "  attendee REF add|remove ADDRESS\n"
	    "  request REF AGENCY\n"
	    "  extend REF AGENCY|returns|meeting|panel YYYY-MM-DD REASON...\n"
	    "  waive REF AGENCY REASON...\n"
	    "  resend REF AGENCY\n"
	    "  pack REF\n"
	    "  decision REF lcspr|no-lcspr|national TEXT...\n"
	    "  submitted REF YYYY-MM-DD\n"
	    "  close REF\n"
	    "  withdraw REF REASON...\n"
	    "  reprocess QID REF AGENCY\n"
	    "End with \"thanks\" to stop reading.");
	return 0;
}

static int
cmd_status(struct ctx *c, const struct words *w, char **cause)
{
	sqlite3_stmt	*q;
	int		 r, any = 0;

	if (w->n >= 2) {
		if ((r = find_case(c, w->w[1], cause)) != 0)
			return r;
		q = db_query(c->e->store, cause, "SELECT c.ref, c.state, "
		    "c.day0, (SELECT count(*) FROM requests r WHERE r.case_id "
		    "= c.id AND r.state = 'returned'), (SELECT count(*) FROM "
		    "requests r WHERE r.case_id = c.id AND r.state <> "
		    "'waived'), c.meeting_at, c.decision FROM cases c WHERE "
		    "c.ref = ?", "t", c->ref);
	} else
		q = db_query(c->e->store, cause, "SELECT c.ref, c.state, "
		    "c.day0, (SELECT count(*) FROM requests r WHERE r.case_id "
		    "= c.id AND r.state = 'returned'), (SELECT count(*) FROM "
		    "requests r WHERE r.case_id = c.id AND r.state <> "
		    "'waived'), c.meeting_at, c.decision FROM cases c WHERE "
		    "c.state NOT IN ('closed', 'withdrawn', 'submitted') "
		    "ORDER BY c.ref", "");
	if (q == NULL)
		return -1;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		char	meet[48] = "no meeting set";

		if (sqlite3_column_type(q, 5) != SQLITE_NULL)
			mailer_format_time(c->e->cfg,
			    sqlite3_column_int64(q, 5), meet, sizeof meet);
		say(c, "%s: %s; day 0 %s; returns %d of %d; meeting: %s%s%s",
		    sqlite3_column_text(q, 0), sqlite3_column_text(q, 1),
		    sqlite3_column_text(q, 2), sqlite3_column_int(q, 3),
		    sqlite3_column_int(q, 4), meet,
		    sqlite3_column_type(q, 6) != SQLITE_NULL ?
		    "; decision: " : "", sqlite3_column_type(q, 6) !=
		    SQLITE_NULL ? (const char *)sqlite3_column_text(q, 6) : "");
		any = 1;
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		xasprintf(cause, "status: %s", sqlite3_errstr(r));
		return -1;
	}
	if (!any)
		say(c, "No open cases.");
	return 0;
}

/* The meeting and pack milestones follow the meeting's day. */
static int
set_meeting_milestones(struct ctx *c, long day, char **cause)
{
	long	pack = schedule_pack_day(c->e->cfg, c->e->cal, day);

	return db_exec(c->e->store, cause, "INSERT INTO milestones (case_id, "
	    "kind, due_date) SELECT id, 'meeting', ? FROM cases WHERE ref = ? "
	    "ON CONFLICT (case_id, kind) DO UPDATE SET due_date = "
	    "excluded.due_date", "dt", day, c->ref) != 0 ||
	    db_exec(c->e->store, cause, "INSERT INTO milestones (case_id, "
	    "kind, due_date) SELECT id, 'pack', ? FROM cases WHERE ref = ? "
	    "ON CONFLICT (case_id, kind) DO UPDATE SET due_date = "
	    "excluded.due_date", "dt", pack, c->ref) != 0 ? -1 : 0;
}

static int
cmd_meeting(struct ctx *c, const struct words *w, char **cause)
{
	struct rr_date	 d;
	long long	 at, old_at = 0, seq;
	long		 day, by;
	int		 hh, mm, minutes = 90, r, dur, n;
	const char	*place = NULL;
	char		*uid = NULL, *detail, when[48], *domain, buf[32];
	size_t		 sent;

	if (w->n < 4) {
		say(c, "Failed: usage: meeting REF YYYY-MM-DD HH:MM [DURATION] "
		    "[PLACE...]");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if (parse_day(c, w->w[2], &day) != 0)
		return 1;
	if (sscanf(w->w[3], "%d:%d%n", &hh, &mm, &n) != 2 ||
	    w->w[3][n] != '\0' || hh < 0 || hh > 23 || mm < 0 || mm > 59) {
		say(c, "Failed: \"%s\" is not a time (HH:MM).", w->w[3]);
		return 1;
	}
	if (w->n >= 5) {
		if ((dur = parse_duration(w->w[4])) > 0) {
			minutes = dur;
			place = w->n >= 6 ? w->rest[4] : NULL;
		} else
			place = w->rest[3];
	}
	date_from_days(day, &d);
	if (date_local_to_time(c->e->cfg->partnership.timezone, &d,
	    hh * 60 + mm, 0, &at) != 0) {
		say(c, "Failed: that time does not exist in %s.",
		    c->e->cfg->partnership.timezone);
		return 1;
	}
	if (at <= c->now) {
		say(c, "Failed: that time has passed.");
		return 1;
	}
	if (milestone_day(c, "meeting_by", &by, cause) != 0)
		return -1;
	if (db_get_int64(c->e->store, &old_at, cause, "SELECT coalesce("
	    "meeting_at, 0) FROM cases WHERE ref = ?", "t", c->ref) < 0 ||
	    db_get_text(c->e->store, &uid, cause, "SELECT meeting_uid FROM "
	    "cases WHERE ref = ?", "t", c->ref) < 0 ||
	    db_get_int64(c->e->store, &seq, cause, "SELECT meeting_seq FROM "
	    "cases WHERE ref = ?", "t", c->ref) < 0)
		return -1;
	if (uid == NULL) {
		domain = strrchr(c->e->cfg->partnership.address, '@') + 1;
		xasprintf(&uid, "%s-meeting@%s", c->ref, domain);
		seq = 0;
	} else if (old_at != 0)
		seq++;		/* moved: RFC 5546 wants a higher SEQUENCE */
	r = db_exec(c->e->store, cause, "UPDATE cases SET meeting_at = ?, "
	    "meeting_minutes = ?, meeting_place = ?, meeting_uid = ?, "
	    "meeting_seq = ?, updated_at = ? WHERE ref = ?", "littllt", at,
	    minutes, place, uid, seq, c->now, c->ref);
	free(uid);
	if (r != 0 || set_meeting_milestones(c, day, cause) != 0 ||
	    meeting_invite(c->e, c->ref, 0, NULL, c->now, &sent, cause) != 0)
		return -1;
	mailer_format_time(c->e->cfg, at, when, sizeof when);
	if (by != DB_NO_DAY && day > by) {
		day_text(by, buf, sizeof buf);
		say(c, "Note: that is after the meeting deadline, %s; use "
		    "\"extend %s meeting\" to record why.", buf, c->ref);
	}
	say(c, "Meeting %s for %s, %d minutes%s%s; invitation (sequence "
	    "%lld) to %zu attendee%s.", old_at != 0 ? "moved" : "set", when,
	    minutes, place != NULL ? ", " : "", place != NULL ? place : "",
	    seq, sent, sent == 1 ? "" : "s");
	xasprintf(&detail, "at=%lld minutes=%d sequence=%lld attendees=%zu",
	    at, minutes, seq, sent);
	r = audit(c, "command.meeting", detail, cause);
	free(detail);
	return r;
}

static int
cmd_attendee(struct ctx *c, const struct words *w, char **cause)
{
	long long	at = 0;
	size_t		sent;
	int		r, add;

	if (w->n != 4 || (strcasecmp(w->w[2], "add") != 0 &&
	    strcasecmp(w->w[2], "remove") != 0)) {
		say(c, "Failed: usage: attendee REF add|remove ADDRESS");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if (!config_address_valid(w->w[3])) {
		say(c, "Failed: \"%s\" is not an email address.", w->w[3]);
		return 1;
	}
	add = strcasecmp(w->w[2], "add") == 0;
	if (db_exec(c->e->store, cause, "INSERT INTO attendees (case_id, "
	    "address, removed, changed_by, changed_at) SELECT id, lower(?), ?, "
	    "?, ? FROM cases WHERE ref = ? ON CONFLICT (case_id, address) DO "
	    "UPDATE SET removed = excluded.removed, changed_by = "
	    "excluded.changed_by, changed_at = excluded.changed_at", "titlt",
	    w->w[3], !add, c->actor, (long long)c->now, c->ref) != 0)
		return -1;
	say(c, "%s %s %s.", w->w[3], add ? "added to" : "removed from",
	    c->ref);
	/* Someone added to a meeting already set needs its invitation. */
	if (add && db_get_int64(c->e->store, &at, cause, "SELECT coalesce("
	    "meeting_at, 0) FROM cases WHERE ref = ?", "t", c->ref) < 0)
		return -1;
	if (add && at > c->now) {
		if (meeting_invite(c->e, c->ref, 0, w->w[3], c->now, &sent,
		    cause) != 0)
			return -1;
		say(c, "The meeting invitation was sent to %s.", w->w[3]);
	}
	return audit(c, add ? "command.attendee.add" :
	    "command.attendee.remove", NULL, cause);
}

static int
cmd_request(struct ctx *c, const struct words *w, char **cause)
{
	const struct agency_config	*a;
	long long			 exists;
	long				 due, soonest;
	char				 buf[32], *detail;
	int				 r;

	if (w->n != 3) {
		say(c, "Failed: usage: request REF AGENCY");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if ((a = find_agency(c, w->w[2])) == NULL)
		return 1;
	if ((r = db_get_int64(c->e->store, &exists, cause, "SELECT count(*) "
	    "FROM requests WHERE agency = ? AND case_id = (SELECT id FROM cases "
	    "WHERE ref = ?)", "tt", a->key, c->ref)) < 0)
		return -1;
	if (exists) {
		say(c, "Failed: %s already has a request for %s; use resend "
		    "to send it again.", c->ref, a->name);
		return 1;
	}
	/* The case's deadline, or three working days when that is near. */
	if (milestone_day(c, "returns_due", &due, cause) != 0)
		return -1;
	soonest = calendar_add_working_days(c->e->cal, c->today, 3);
	if (due == DB_NO_DAY || due < soonest)
		due = soonest;
	if (db_exec(c->e->store, cause, "INSERT INTO requests (case_id, "
	    "agency, state, origin, due_date, created_at) SELECT id, ?, "
	    "'pending', 'command', ?, ? FROM cases WHERE ref = ?", "tdlt",
	    a->key, due, c->now, c->ref) != 0 ||
	    request_send(c->e, c->ref, a->key, 0, c->now, cause) != 0 ||
	    db_exec(c->e->store, cause, "UPDATE cases SET state = "
	    "'awaiting_returns', updated_at = ? WHERE ref = ? AND state = "
	    "'returns_complete'", "lt", c->now, c->ref) != 0)
		return -1;
	day_text(due, buf, sizeof buf);
	say(c, "Request sent to %s; return due %s.", a->name, buf);
	xasprintf(&detail, "agency=%s", a->key);
	r = audit(c, "command.request", detail, cause);
	free(detail);
	return r;
}

/* Every requested agency returned or waived: the case moves on. */
static int
check_complete(struct ctx *c, char **cause)
{
	return db_exec(c->e->store, cause, "UPDATE cases SET state = "
	    "'returns_complete', updated_at = ? WHERE ref = ? AND state IN "
	    "('open', 'requests_sent', 'awaiting_returns') AND NOT EXISTS "
	    "(SELECT 1 FROM requests r WHERE r.case_id = cases.id AND "
	    "r.state NOT IN ('returned', 'waived'))", "lt", c->now, c->ref);
}

static int
cmd_extend(struct ctx *c, const struct words *w, char **cause)
{
	const struct agency_config	*a = NULL;
	const char			*what, *kind = NULL;
	char				 buf[32], *detail;
	long				 day;
	int				 r;

	if (w->n < 5) {
		say(c, "Failed: usage: extend REF AGENCY|returns|meeting|panel "
		    "YYYY-MM-DD REASON...");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if (parse_day(c, w->w[3], &day) != 0)
		return 1;
	what = w->w[2];
	if (strcasecmp(what, "returns") == 0)
		kind = "returns_due";
	else if (strcasecmp(what, "meeting") == 0)
		kind = "meeting_by";
	else if (strcasecmp(what, "panel") == 0)
		kind = "panel_submission";
	else if ((a = find_agency(c, what)) == NULL)
		return 1;
	if (a != NULL) {
		if (db_exec(c->e->store, cause, "UPDATE requests SET "
		    "extended_due = ?, extended_reason = ?, state = CASE WHEN "
		    "state = 'overdue' THEN 'requested' ELSE state END WHERE "
		    "agency = ? AND case_id = (SELECT id FROM cases WHERE ref = "
		    "?)", "dttt", day, w->rest[3], a->key, c->ref) != 0)
			return -1;
		if (sqlite3_changes(store_db(c->e->store)) == 0) {
			say(c, "Failed: %s has no request for %s.", c->ref,
			    a->name);
			return 1;
		}
	} else {
		if (db_exec(c->e->store, cause, "UPDATE milestones SET "
		    "extended_due = ?, extended_reason = ? WHERE kind = ? AND "
		    "case_id = (SELECT id FROM cases WHERE ref = ?)", "dttt",
		    day, w->rest[3], kind, c->ref) != 0)
			return -1;
		/* The returns deadline moves every agency's with it. */
		if (strcmp(kind, "returns_due") == 0 && db_exec(c->e->store,
		    cause, "UPDATE requests SET extended_due = ?, "
		    "extended_reason = ? WHERE state NOT IN ('returned', "
		    "'waived') AND case_id = (SELECT id FROM cases WHERE ref = "
		    "?)", "dtt", day, w->rest[3], c->ref) != 0)
			return -1;
	}
	day_text(day, buf, sizeof buf);
	say(c, "%s: %s extended to %s.", c->ref, a != NULL ? a->name :
	    strcmp(kind, "returns_due") == 0 ? "the returns deadline" :
	    strcmp(kind, "meeting_by") == 0 ? "the meeting deadline" :
	    "the panel submission deadline", buf);
	xasprintf(&detail, "what=%s to=%s", a != NULL ? a->key : kind,
	    w->w[3]);
	r = audit(c, "command.extend", detail, cause);
	free(detail);
	return r;
}

static int
cmd_waive(struct ctx *c, const struct words *w, char **cause)
{
	const struct agency_config	*a;
	char				*detail;
	int				 r;

	if (w->n < 4) {
		say(c, "Failed: usage: waive REF AGENCY REASON...");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if ((a = find_agency(c, w->w[2])) == NULL)
		return 1;
	if (db_exec(c->e->store, cause, "UPDATE requests SET state = 'waived', "
	    "waived_reason = ? WHERE agency = ? AND case_id = (SELECT id FROM "
	    "cases WHERE ref = ?)", "ttt", w->rest[2], a->key, c->ref) != 0)
		return -1;
	if (sqlite3_changes(store_db(c->e->store)) == 0) {
		say(c, "Failed: %s has no request for %s.", c->ref, a->name);
		return 1;
	}
	if (check_complete(c, cause) != 0)
		return -1;
	say(c, "%s: the return from %s is waived.", c->ref, a->name);
	xasprintf(&detail, "agency=%s", a->key);
	r = audit(c, "command.waive", detail, cause);
	free(detail);
	return r;
}

static int
cmd_resend(struct ctx *c, const struct words *w, char **cause)
{
	const struct agency_config	*a;
	char				*detail;
	int				 r;

	if (w->n != 3) {
		say(c, "Failed: usage: resend REF AGENCY");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if ((a = find_agency(c, w->w[2])) == NULL)
		return 1;
	if (request_send(c->e, c->ref, a->key, 1, c->now, cause) != 0) {
		/* No request row is the sender's mistake, not the store's. */
		if (strstr(*cause, "has no request") != NULL) {
			say(c, "Failed: %s.", *cause);
			free(*cause);
			*cause = NULL;
			return 1;
		}
		return -1;
	}
	say(c, "Request sent again to %s.", a->name);
	xasprintf(&detail, "agency=%s", a->key);
	r = audit(c, "command.resend", detail, cause);
	free(detail);
	return r;
}

static int
cmd_pack(struct ctx *c, const struct words *w, char **cause)
{
	size_t	sent, withheld;
	int	r;

	if (w->n != 2) {
		say(c, "Failed: usage: pack REF");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if (meeting_send_pack(c->e, c->ref, c->now, &sent, &withheld,
	    cause) != 0) {
		if (strstr(*cause, "no attendees") != NULL) {
			say(c, "Failed: %s.", *cause);
			free(*cause);
			*cause = NULL;
			return 1;
		}
		return -1;
	}
	say(c, "Meeting pack sent to %zu recipient%s%s.", sent,
	    sent == 1 ? "" : "s", withheld > 0 ? "; withheld from recipients "
	    "outside the allowed domains (they were told)" : "");
	return audit(c, "command.pack", NULL, cause);
}

static int
cmd_decision(struct ctx *c, const struct words *w, char **cause)
{
	const char	*d;
	char		*detail;
	int		 r;

	if (w->n < 4 || (strcasecmp(w->w[2], "lcspr") != 0 &&
	    strcasecmp(w->w[2], "no-lcspr") != 0 &&
	    strcasecmp(w->w[2], "national") != 0)) {
		say(c, "Failed: usage: decision REF lcspr|no-lcspr|national "
		    "TEXT...");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	d = strcasecmp(w->w[2], "lcspr") == 0 ? "lcspr" :
	    strcasecmp(w->w[2], "no-lcspr") == 0 ? "no-lcspr" : "national";
	if (db_exec(c->e->store, cause, "UPDATE cases SET decision = ?, "
	    "decision_text = ?, decided_at = ?, state = CASE WHEN state = "
	    "'submitted' THEN state ELSE 'decided' END, updated_at = ? WHERE "
	    "ref = ?", "ttllt", d, w->rest[2], c->now, c->now, c->ref) != 0)
		return -1;
	say(c, "%s: decision recorded (%s); the case is decided.", c->ref,
	    strcmp(d, "lcspr") == 0 ? "a local child safeguarding practice "
	    "review" : strcmp(d, "no-lcspr") == 0 ? "no local review" :
	    "referred to the National Panel for a national review");
	xasprintf(&detail, "decision=%s", d);
	r = audit(c, "command.decision", detail, cause);
	free(detail);
	return r;
}

static int
cmd_submitted(struct ctx *c, const struct words *w, char **cause)
{
	char	buf[32], *detail;
	long	day;
	int	r;

	if (w->n != 3) {
		say(c, "Failed: usage: submitted REF YYYY-MM-DD");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if (parse_day(c, w->w[2], &day) != 0)
		return 1;
	if (day > c->today) {
		say(c, "Failed: %s is in the future.", w->w[2]);
		return 1;
	}
	if (db_exec(c->e->store, cause, "UPDATE cases SET submitted_on = ?, "
	    "state = 'submitted', updated_at = ? WHERE ref = ?", "dlt", day,
	    c->now, c->ref) != 0 ||
	    db_exec(c->e->store, cause, "UPDATE milestones SET done_at = "
	    "coalesce(done_at, ?) WHERE kind IN ('panel_submission', "
	    "'panel_reminder') AND case_id = (SELECT id FROM cases WHERE ref = "
	    "?)", "lt", c->now, c->ref) != 0)
		return -1;
	day_text(day, buf, sizeof buf);
	say(c, "%s: submitted to the National Panel on %s.", c->ref, buf);
	xasprintf(&detail, "on=%s", w->w[2]);
	r = audit(c, "command.submitted", detail, cause);
	free(detail);
	return r;
}

static int
cmd_close(struct ctx *c, const struct words *w, char **cause)
{
	int	r;

	if (w->n != 2) {
		say(c, "Failed: usage: close REF");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if (db_exec(c->e->store, cause, "UPDATE cases SET state = 'closed', "
	    "closed_at = ?, updated_at = ? WHERE ref = ?", "llt", c->now,
	    c->now, c->ref) != 0)
		return -1;
	say(c, "%s is closed.", c->ref);
	return audit(c, "command.close", NULL, cause);
}

static int
cmd_withdraw(struct ctx *c, const struct words *w, char **cause)
{
	long long	at;
	size_t		sent = 0;
	int		r;

	if (w->n < 3) {
		say(c, "Failed: usage: withdraw REF REASON...");
		return 1;
	}
	if ((r = open_case(c, w->w[1], cause)) != 0)
		return r;
	if (db_get_int64(c->e->store, &at, cause, "SELECT coalesce("
	    "meeting_at, 0) FROM cases WHERE ref = ?", "t", c->ref) < 0)
		return -1;
	/* The invitation is cancelled while the case is still open. */
	if (at > c->now && meeting_invite(c->e, c->ref, 1, NULL, c->now, &sent,
	    cause) != 0)
		return -1;
	if (db_exec(c->e->store, cause, "UPDATE cases SET state = 'withdrawn', "
	    "withdrawn_reason = ?, closed_at = ?, updated_at = ? WHERE ref = ?",
	    "tllt", w->rest[1], c->now, c->now, c->ref) != 0)
		return -1;
	say(c, "%s is withdrawn.%s", c->ref, sent > 0 ? " The meeting was "
	    "cancelled with the attendees." : "");
	return audit(c, "command.withdraw", NULL, cause);
}

static int
cmd_reprocess(struct ctx *c, const struct words *w, char **cause)
{
	const struct agency_config	*a;
	struct mime_limits		 lim;
	struct mime_message		*m = NULL;
	sqlite3_stmt			*q;
	long long			 qid, row;
	char				*raw = NULL, *why = NULL, *detail, *end;
	size_t				 len = 0;
	int				 r, rc = -1;

	if (w->n != 4) {
		say(c, "Failed: usage: reprocess QID REF AGENCY");
		return 1;
	}
	qid = strtoll(w->w[1], &end, 10);
	if (*end != '\0' || qid <= 0) {
		say(c, "Failed: \"%s\" is not a quarantine id.", w->w[1]);
		return 1;
	}
	if ((r = open_case(c, w->w[2], cause)) != 0)
		return r;
	if ((a = find_agency(c, w->w[3])) == NULL)
		return 1;
	q = db_query(c->e->store, cause, "SELECT m.id, m.raw FROM quarantine q "
	    "JOIN messages m ON m.id = q.message_id WHERE q.id = ? AND "
	    "q.released_at IS NULL", "l", qid);
	if (q == NULL)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 1) !=
	    SQLITE_NULL) {
		row = sqlite3_column_int64(q, 0);
		len = (size_t)sqlite3_column_bytes(q, 1);
		raw = xmalloc(len + 1);
		memcpy(raw, sqlite3_column_blob(q, 1), len);
	}
	sqlite3_finalize(q);
	if (raw == NULL) {
		say(c, "Failed: no message waiting in quarantine as %lld.",
		    qid);
		return 1;
	}
	mime_limits_default(&lim);
	lim.max_message_size = c->e->cfg->limits.max_message_size;
	lim.max_attachment_size = c->e->cfg->limits.max_attachment_size;
	if (mime_parse(raw, len, &lim, &m, &why) != MIME_OK) {
		say(c, "Failed: the message cannot be read: %s.", why);
		free(why);
		free(raw);
		return 1;
	}
	if (case_record_reply(c->e, c->ref, a->key, m, row, c->now,
	    cause) != 0 ||
	    db_exec(c->e->store, cause, "UPDATE quarantine SET released_at = "
	    "?, released_by = ?, released_case_id = (SELECT id FROM cases "
	    "WHERE ref = ?), released_agency = ? WHERE id = ?", "ltttl",
	    c->now, c->actor, c->ref, a->key, qid) != 0 ||
	    db_exec(c->e->store, cause, "UPDATE messages SET case_id = (SELECT "
	    "id FROM cases WHERE ref = ?), agency = ? WHERE id = ?", "ttl",
	    c->ref, a->key, row) != 0)
		goto out;
	say(c, "Quarantined message %lld released as %s's reply in %s.", qid,
	    a->name, c->ref);
	xasprintf(&detail, "qid=%lld agency=%s", qid, a->key);
	rc = audit(c, "command.reprocess", detail, cause);
	free(detail);
out:
	mime_message_free(m);
	free(raw);
	return rc;
}

static const struct {
	const char	*name;
	int		(*fn)(struct ctx *, const struct words *, char **);
} table[] = {
	{ "help", cmd_help },
	{ "status", cmd_status },
	{ "meeting", cmd_meeting },
	{ "attendee", cmd_attendee },
	{ "request", cmd_request },
	{ "extend", cmd_extend },
	{ "waive", cmd_waive },
	{ "resend", cmd_resend },
	{ "pack", cmd_pack },
	{ "decision", cmd_decision },
	{ "submitted", cmd_submitted },
	{ "close", cmd_close },
	{ "withdraw", cmd_withdraw },
	{ "reprocess", cmd_reprocess },
};

static void
add_line(struct command_transcript *t, const char *line, char *result,
    int failed)
{
	t->lines = xreallocarray(t->lines, t->n + 1, sizeof *t->lines);
	t->lines[t->n].line = xstrdup(line);
	t->lines[t->n].result = result;
	t->lines[t->n++].failed = failed;
	t->errors = t->errors || failed;
}

/* Run one known command in a savepoint. 0 done or refused, -1 store. */
static int
run_one(struct ctx *c, size_t k, const struct words *w, const char *line,
    char **cause)
{
	int	r;

	if (store_exec(c->e->store, "SAVEPOINT command", cause) != 0)
		return -1;
	r = table[k].fn(c, w, cause);
	if (r == 0)
		return store_exec(c->e->store, "RELEASE command", cause);
	if (store_exec(c->e->store, "ROLLBACK TO command", NULL) != 0 ||
	    store_exec(c->e->store, "RELEASE command", NULL) != 0)
		return -1;
	if (r < 0) {
		/* A template or address problem is the command's failure;
		 * the transcript says so and the rest go on. */
		log_warnx("command %s failed: %s", table[k].name, *cause);
		free(c->result);
		c->result = NULL;
		say(c, "Failed: %s.", *cause);
		free(*cause);
		*cause = NULL;
	}
	return 1;
}

/* The line is a stopping point (SPEC §6). */
static int
is_stop(const char *line)
{
	return strcasecmp(line, "thanks") == 0 ||
	    strcasecmp(line, "thanks.") == 0 ||
	    strcasecmp(line, "thank you") == 0 || strcmp(line, "--") == 0 ||
	    line[0] == '>';
}

int
commands_run(const struct case_env *e, const char *actor, const char *text,
    long long now, struct command_transcript *t, char **cause)
{
	struct ctx	 c;
	struct words	 w;
	struct rr_date	 d;
	const char	*p, *nl;
	char		*line, *s;
	size_t		 k, unknown = 0, ran = 0, len;
	int		 minutes, r, rc = -1;

	memset(t, 0, sizeof *t);
	memset(&c, 0, sizeof c);
	c.e = e;
	c.actor = actor;
	c.now = now;
	c.t = t;
	if (date_time_to_local(e->cfg->partnership.timezone, now, &d,
	    &minutes) != 0) {
		xasprintf(cause, "timezone %s is unusable",
		    e->cfg->partnership.timezone);
		return -1;
	}
	c.today = date_to_days(&d);
	for (p = text; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 :
	    NULL) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		line = xstrndup(p, len);
		for (s = line + strlen(line); s > line && isspace(
		    (unsigned char)s[-1]); s--)
			*--s = '\0';
		s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0') {
			free(line);
			continue;
		}
		if (is_stop(s) || ran >= MAX_COMMANDS) {
			free(line);
			break;
		}
		split(s, &w);
		for (k = 0; k < sizeof table / sizeof table[0]; k++)
			if (strcasecmp(w.w[0], table[k].name) == 0)
				break;
		if (k == sizeof table / sizeof table[0]) {
			add_line(t, s, xstrdup("Unknown command: send \"help\" "
			    "for the list."), 1);
			free(w.buf);
			free(line);
			if (++unknown >= MAX_UNKNOWN) {
				add_line(t, "(the rest)", xstrdup("Three "
				    "unknown lines: the rest of the message "
				    "was ignored."), 1);
				break;
			}
			continue;
		}
		ran++;
		c.result = NULL;
		r = run_one(&c, k, &w, s, cause);
		free(w.buf);
		if (r < 0) {
			free(line);
			free(c.result);
			goto out;
		}
		add_line(t, s, c.result != NULL ? c.result : xstrdup("Done."),
		    r != 0);
		free(line);
	}
	rc = 0;
out:
	free(c.ref);
	return rc;
}

void
command_transcript_clear(struct command_transcript *t)
{
	size_t	i;

	for (i = 0; i < t->n; i++) {
		free(t->lines[i].line);
		free(t->lines[i].result);
	}
	free(t->lines);
	free(t->case_ref);
	memset(t, 0, sizeof *t);
}

int
commands_send_transcript(const struct case_env *e,
    const struct command_transcript *t, const char *to,
    const char *in_reply_to, int64_t row, long long now, char **cause)
{
	struct mail_request	 req;
	struct tmpl_record	*r = tmpl_record_new();
	struct tmpl_list	*l;
	struct tmpl_record	*x;
	const char		*one[1] = { to };
	char			 key[64];
	size_t			 i;
	int			 queued, rc;

	l = tmpl_record_add_list(r, "lines");
	for (i = 0; i < t->n; i++) {
		x = tmpl_list_add_record(l);
		tmpl_record_set_string(x, "line", t->lines[i].line);
		tmpl_record_set_string(x, "result", t->lines[i].result);
	}
	tmpl_record_set_bool(r, "errors", t->errors);
	memset(&req, 0, sizeof req);
	snprintf(key, sizeof key, "transcript:%lld", (long long)row);
	req.template = "transcript";
	req.case_ref = t->case_ref;
	req.to = one;
	req.nto = 1;
	req.in_reply_to = in_reply_to;
	req.dedupe_key = row != 0 ? key : NULL;
	rc = mailer_queue(e->store, e->cfg, r, &req, NULL, now, NULL, &queued,
	    cause);
	tmpl_record_free(r);
	return rc;
}
