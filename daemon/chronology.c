/*
 * chronology.c - a case's merged multi-agency chronology (see
 * chronology.h): the rows of each request's current return, one list,
 * sorted in C so that times written "9:30" sort before "10:00".
 *
 * The values are personal data: nothing here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "chronology.h"
#include "config.h"
#include "db.h"
#include "store.h"
#include "xmalloc.h"

/* A row with the keys it sorts by beside it. */
struct sort_row {
	struct chron_row	 row;
	int			 minutes;	/* -1: no readable time */
	long long		 position;
};

static char *
column_dup(sqlite3_stmt *s, int i)
{
	const unsigned char	*t = sqlite3_column_text(s, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* "H:MM" or "HH:MM" (also with "." or seconds after) as minutes, else -1. */
static int
time_minutes(const char *t)
{
	int	h = 0, m = 0, n = 0;

	if (t == NULL)
		return -1;
	while (*t == ' ')
		t++;
	while (*t >= '0' && *t <= '9' && n < 2) {
		h = h * 10 + (*t++ - '0');
		n++;
	}
	if (n == 0 || (*t != ':' && *t != '.'))
		return -1;
	t++;
	if (t[0] < '0' || t[0] > '9' || t[1] < '0' || t[1] > '9')
		return -1;
	m = (t[0] - '0') * 10 + (t[1] - '0');
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

static void
chron_row_free(struct chron_row *r)
{
	free(r->agency);
	free(r->agency_name);
	free(r->date);
	free(r->date_text);
	free(r->time);
	free(r->contact_type);
	free(r->seen);
	free(r->event);
	free(r->outcome);
	free(r->significance);
}

static int
strcmp_null(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int
sort_row_cmp(const void *va, const void *vb)
{
	const struct sort_row	*a = va, *b = vb;
	int			 c;

	/* Dated rows first, by date. */
	if ((a->row.date == NULL) != (b->row.date == NULL))
		return a->row.date == NULL ? 1 : -1;
	if (a->row.date != NULL && (c = strcmp(a->row.date, b->row.date)) != 0)
		return c;
	/* Within a date, untimed rows before timed ones. */
	if (a->minutes != b->minutes)
		return a->minutes < b->minutes ? -1 : 1;
	if ((c = strcmp(a->row.agency, b->row.agency)) != 0)
		return c;
	if (a->position != b->position)
		return a->position < b->position ? -1 : 1;
	/* Two returns of one agency cannot be current; keep it total. */
	return strcmp_null(a->row.event, b->row.event);
}

int
chronology_load(struct store *st, const struct config *names,
    const char *ref, struct chronology *out, char **cause)
{
	const struct agency_config	*ac;
	struct sort_row			*v = NULL;
	sqlite3_stmt			*s = NULL;
	size_t				 n = 0, cap = 0, i;
	long long			 case_id;
	int				 r;

	memset(out, 0, sizeof *out);
	r = db_get_int64(st, &case_id, cause, "SELECT id FROM cases WHERE "
	    "ref = ?", "t", ref);
	if (r == -1)
		return -1;
	if (r == 0) {
		xasprintf(cause, "no case %s", ref);
		return -1;
	}
	s = db_query(st, cause, "SELECT q.agency, c.date, c.date_text, "
	    "c.time, c.contact_type, c.seen, c.event, c.outcome, "
	    "c.significance, c.position FROM chronology c JOIN returns r ON "
	    "r.id = c.return_id JOIN requests q ON q.id = r.request_id WHERE "
	    "q.case_id = ? AND r.superseded = 0", "l", case_id);
	if (s == NULL)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct sort_row	*sr;

		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		sr = &v[n++];
		memset(sr, 0, sizeof *sr);
		sr->row.agency = column_dup(s, 0);
		sr->row.date = column_dup(s, 1);
		sr->row.date_text = column_dup(s, 2);
		sr->row.time = column_dup(s, 3);
		sr->row.contact_type = column_dup(s, 4);
		sr->row.seen = column_dup(s, 5);
		sr->row.event = column_dup(s, 6);
		sr->row.outcome = column_dup(s, 7);
		sr->row.significance = column_dup(s, 8);
		sr->position = sqlite3_column_int64(s, 9);
		sr->minutes = time_minutes(sr->row.time);
		if (sr->row.agency == NULL)
			sr->row.agency = xstrdup("");
		ac = names != NULL ? config_agency(names, sr->row.agency) :
		    NULL;
		sr->row.agency_name = xstrdup(ac != NULL && ac->name != NULL &&
		    *ac->name != '\0' ? ac->name : sr->row.agency);
	}
	if (r != SQLITE_DONE) {
		xasprintf(cause, "chronology: %s", sqlite3_errmsg(store_db(st)));
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;

	if (n > 0)
		qsort(v, n, sizeof *v, sort_row_cmp);
	if (n > 0) {
		out->rows = xreallocarray(NULL, n, sizeof *out->rows);
		for (i = 0; i < n; i++)
			out->rows[i] = v[i].row;
	}
	out->n_rows = n;
	free(v);
	return 0;

fail:
	sqlite3_finalize(s);
	for (i = 0; i < n; i++)
		chron_row_free(&v[i].row);
	free(v);
	return -1;
}

void
chronology_clear(struct chronology *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_rows; i++)
		chron_row_free(&c->rows[i]);
	free(c->rows);
	c->rows = NULL;
	c->n_rows = 0;
}

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap == 0 ? 4096 : b->cap * 2;
		b->p = xreallocarray(b->p, 1, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/*
 * One field: quoted when it holds , " CR or LF (RFC 4180), and with a
 * ' in front when it starts with a character a spreadsheet would take
 * as the start of a formula (= + - @, and tab or CR, which some read
 * past): a return's text must never run as a formula on a partner's
 * desktop.
 */
static void
csv_field(struct buf *b, const char *v)
{
	const char	*p;
	int		 quote;

	if (v == NULL)
		return;
	quote = strpbrk(v, ",\"\r\n") != NULL;
	if (quote)
		buf_add(b, "\"", 1);
	if (*v != '\0' && strchr("=+-@\t\r", *v) != NULL)
		buf_add(b, "'", 1);
	for (p = v; *p != '\0'; p++) {
		if (*p == '"')
			buf_add(b, "\"\"", 2);
		else
			buf_add(b, p, 1);
	}
	if (quote)
		buf_add(b, "\"", 1);
}

char *
chronology_csv(const struct chronology *c, size_t *len)
{
	static const char	 header[] = "\xef\xbb\xbf" "date,time,agency,"
	    "contact_type,seen,event,outcome,significance\r\n";
	const struct chron_row	*r;
	struct buf		 b = { NULL, 0, 0 };
	size_t			 i, j;

	buf_add(&b, header, sizeof header - 1);
	for (i = 0; i < c->n_rows; i++) {
		const char	*f[8];

		r = &c->rows[i];
		f[0] = r->date != NULL ? r->date : r->date_text;
		f[1] = r->time;
		f[2] = r->agency_name;
		f[3] = r->contact_type;
		f[4] = r->seen;
		f[5] = r->event;
		f[6] = r->outcome;
		f[7] = r->significance;
		for (j = 0; j < 8; j++) {
			if (j > 0)
				buf_add(&b, ",", 1);
			csv_field(&b, f[j]);
		}
		buf_add(&b, "\r\n", 2);
	}
	*len = b.len;
	return b.p;
}

static struct json_object *
json_string_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

struct json_object *
chronology_json(const struct chronology *c)
{
	struct json_object	*a = json_object_new_array(), *o;
	const struct chron_row	*r;
	size_t			 i;

	for (i = 0; i < c->n_rows; i++) {
		r = &c->rows[i];
		o = json_object_new_object();
		json_object_object_add(o, "date", json_string_or_null(r->date));
		json_object_object_add(o, "date_text",
		    json_string_or_null(r->date_text));
		json_object_object_add(o, "time", json_string_or_null(r->time));
		json_object_object_add(o, "agency",
		    json_string_or_null(r->agency));
		json_object_object_add(o, "agency_name",
		    json_string_or_null(r->agency_name));
		json_object_object_add(o, "contact_type",
		    json_string_or_null(r->contact_type));
		json_object_object_add(o, "seen", json_string_or_null(r->seen));
		json_object_object_add(o, "event",
		    json_string_or_null(r->event));
		json_object_object_add(o, "outcome",
		    json_string_or_null(r->outcome));
		json_object_object_add(o, "significance",
		    json_string_or_null(r->significance));
		json_object_array_add(a, o);
	}
	return a;
}
