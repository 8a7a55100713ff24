/*
 * pack.c - the Rapid Review meeting pack (SPEC §4.1): a PDF drawn with
 * cairo and pango, and the merged chronology as CSV beside it.
 *
 * The case is read from the store once into memory, then laid out twice:
 * a measuring pass with no surface counts the pages (and finds the page
 * each section starts on, for the contents), and a drawing pass writes
 * the PDF knowing "Page N of M". Both passes measure with one pango
 * context whose font options are fixed (no hinting, 72 dpi), so that
 * they break pages in the same places whatever the surface.
 *
 * Text is laid out in a handful of PangoLayouts made once, one per style
 * and one per table column, and reused: creating layouts or contexts per
 * cell is what makes pango slow. Long text (a 2,000-word answer, a
 * chronology row taller than a page) is drawn line by line so that it
 * breaks across pages; table rows that fit on a page are never split,
 * and a table's header row is repeated on each page it runs on.
 *
 * All data is escaped before it becomes pango markup. Nothing here logs
 * personal data: only the case reference and counts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <sqlite3.h>

#include "calendar.h"
#include "chronology.h"
#include "config.h"
#include "date.h"
#include "db.h"
#include "log.h"
#include "mailer.h"
#include "pack.h"
#include "store.h"
#include "xmalloc.h"

/* A4 in points, and the frame the content flows in. */
#define PAGE_W		595.276
#define PAGE_H		841.89
#define MARGIN_X	50.0
#define CONTENT_W	(PAGE_W - 2 * MARGIN_X)	/* portrait */
#define TOP		76.0
#define FOOT		62.0	/* below the content */

#define CELL_PAD_X	3.5
#define CELL_PAD_Y	2.5
#define MAX_COLS	8
#define BULLET_INDENT	14.0

#define PS(v)		((double)(v) / PANGO_SCALE)

enum style {
	ST_BODY,
	ST_SMALL,
	ST_LABEL,
	ST_H1,
	ST_H2,
	ST_H3,
	ST_TITLE,
	ST_SUBTITLE,
	ST_MARK_BIG,
	ST_FURN,	/* page header and footer */
	ST_TH,		/* table header cells */
	ST_COUNT
};

static const char *const style_fonts[ST_COUNT] = {
	[ST_BODY] =	"DejaVu Sans 9.5",
	[ST_SMALL] =	"DejaVu Sans 8",
	[ST_LABEL] =	"DejaVu Sans Bold 9",
	[ST_H1] =	"DejaVu Sans Bold 15",
	[ST_H2] =	"DejaVu Sans Bold 12",
	[ST_H3] =	"DejaVu Sans Bold 10",
	[ST_TITLE] =	"DejaVu Sans Bold 24",
	[ST_SUBTITLE] =	"DejaVu Sans 13",
	[ST_MARK_BIG] =	"DejaVu Sans Bold 20",
	[ST_FURN] =	"DejaVu Sans 7.5",
	[ST_TH] =	"DejaVu Sans Condensed Bold 8",
};
#define CELL_FONT	"DejaVu Sans Condensed 8"

/* Colours. */
#define C_TEXT		0.10, 0.10, 0.10
#define C_GREY		0.38, 0.38, 0.38
#define C_NAVY		0.07, 0.19, 0.36
#define C_RED		0.68, 0.06, 0.06
#define C_RULE		0.55, 0.55, 0.55
#define C_HEAD_FILL	0.86, 0.89, 0.93
#define C_ZEBRA		0.955, 0.960, 0.965
#define M_RED		"#ad1010"
#define M_GREY		"#606060"

/* Sections, in order; the contents on the cover lists them. */
enum section {
	SEC_PURPOSE,
	SEC_BACKGROUND,
	SEC_TIMELINE,
	SEC_RETURNS,
	SEC_CHRONOLOGY,
	SEC_AGENCIES,
	SEC_OUTSTANDING,
	SEC_DECISIONS,
	SEC_COUNT
};

static const char *const section_titles[SEC_COUNT] = {
	[SEC_PURPOSE] =		"Purpose of a Rapid Review",
	[SEC_BACKGROUND] =	"Case background",
	[SEC_TIMELINE] =	"Timeline",
	[SEC_RETURNS] =		"Agency returns",
	[SEC_CHRONOLOGY] =	"Merged multi-agency chronology",
	[SEC_AGENCIES] =	"Each agency's return",
	[SEC_OUTSTANDING] =	"Outstanding returns",
	[SEC_DECISIONS] =	"Decisions the meeting must take",
};

/* The return's text columns, in the order they are selected. */
#define RETURN_FIELDS \
	X(R_AGENCY_NAME, "agency_name") \
	X(R_AUTHOR, "author") \
	X(R_ROLE, "role") \
	X(R_COMPLETED, "completed") \
	X(R_INVOLVED, "involved") \
	X(R_INVOLVEMENT, "involvement") \
	X(R_FIRST_CONTACT, "first_contact") \
	X(R_LAST_CONTACT, "last_contact") \
	X(R_CASE_STATUS, "case_status") \
	X(R_QUALITY, "quality") \
	X(R_IMPACT, "impact") \
	X(R_GOOD_PRACTICE, "good_practice") \
	X(R_DIFFERENT, "different") \
	X(R_INFORMATION_SHARING, "information_sharing") \
	X(R_VOICE_OF_CHILD, "voice_of_child") \
	X(R_EQUALITY, "equality") \
	X(R_IMMEDIATE_ACTIONS, "immediate_actions") \
	X(R_LEARNING, "learning") \
	X(R_LCSPR_VIEW, "lcspr_view") \
	X(R_LCSPR_RATIONALE, "lcspr_rationale") \
	X(R_PARALLEL_PROCESSES, "parallel_processes") \
	X(R_RECORDS_SECURED, "records_secured") \
	X(R_SIGNED_OFF_BY, "signed_off_by") \
	X(R_SIGNED_OFF, "signed_off") \
	X(R_MISSING, "missing")

enum rfield {
#define X(e, c) e,
	RETURN_FIELDS
#undef X
	R_COUNT
};

static const char *const rfield_columns[R_COUNT] = {
#define X(e, c) c,
	RETURN_FIELDS
#undef X
};

struct field_label {
	enum rfield	 f;
	const char	*label;
};

static const struct field_label analysis_fields[] = {
	{ R_QUALITY, "Quality of practice" },
	{ R_IMPACT, "Impact of practice on outcomes for the child" },
	{ R_GOOD_PRACTICE, "Good practice" },
	{ R_DIFFERENT, "What could have been done differently" },
	{ R_INFORMATION_SHARING, "Information sharing" },
	{ R_VOICE_OF_CHILD, "The child's voice and lived experience" },
	{ R_EQUALITY, "Race, culture, disability and other inequalities" },
};

static const struct field_label action_fields[] = {
	{ R_IMMEDIATE_ACTIONS,
	    "Immediate actions taken or needed, including for other children" },
	{ R_LEARNING, "Learning identified" },
};

static const struct field_label judgement_fields[] = {
	{ R_LCSPR_RATIONALE, "Why" },
	{ R_PARALLEL_PROCESSES, "Parallel processes" },
	{ R_RECORDS_SECURED, "Records secured" },
};

/* One agency's request and its current return, if any. */
struct pk_request {
	char		*agency;	/* key */
	char		*name;		/* from the INI, else the key */
	char		*state;
	char		*due_date;
	char		*extended_due;
	char		*extended_reason;
	char		*waived_reason;
	int		 out_of_office;
	int		 has_returned_at;
	long long	 returned_at;

	int		 has_return;
	long long	 version;
	int		 complete;
	int		 nil;
	long long	 received_at;
	long long	 n_rows;
	char		*f[R_COUNT];
};

struct pk_milestone {
	char		*kind;
	char		*due_date;
	char		*extended_due;
	char		*extended_reason;
	int		 done;
	long long	 done_at;
};

enum cfield {
	C_REF,
	C_STATE,
	C_DAY0,
	C_DAY0_BASIS,
	C_INCIDENT_DATE,
	C_INCIDENT_TYPE,
	C_PANEL_REF,
	C_LOCAL_AUTHORITY,
	C_BACKGROUND,
	C_MEETING_PLACE,
	C_COUNT
};

enum chfield {
	CH_IDENTIFIER,
	CH_AGE,
	CH_SEX,
	CH_ETHNICITY,
	CH_DISABILITY,
	CH_COUNT
};

struct pk_child {
	char	*f[CH_COUNT];
};

struct pk_data {
	char			*c[C_COUNT];
	int			 has_meeting;
	long long		 meeting_at;
	long long		 meeting_minutes;	/* 0: not given */

	struct pk_child		*children;	/* position order; [0] the child */
	size_t			 n_children;
	struct pk_milestone	*milestones;
	size_t			 n_milestones;
	struct pk_request	*requests;
	size_t			 n_requests;
	struct chronology	 chron;
};

/* A growing byte buffer: the PDF stream, and markup being built. */
struct membuf {
	unsigned char	*p;
	size_t		 len, cap;
};

struct table {
	int			 n;
	const double		*w;		/* column widths, points */
	const char *const	*head;		/* labels, or NULL: no header */
	int			 zebra;
	int			 row;		/* rows drawn, for the zebra */
	double			 head_h;
	const char		*font;		/* cells' font; NULL: CELL_FONT */
};

/* The layout state of one pass. */
struct pk {
	const struct config	*cfg;
	const struct calendar	*cal;		/* may be NULL */
	const struct pk_data	*d;
	const char		*tz;
	const char		*marking;	/* NULL: none */
	int			 version;
	long long		 now;
	long			 today;

	PangoContext		*ctx;
	PangoLayout		*ly[ST_COUNT];
	PangoLayout		*col[MAX_COLS];

	cairo_surface_t		*surface;	/* NULL on the measuring pass */
	cairo_t			*cr;
	int			 landscape;	/* the pages from the next on */
	double			 pw, ph;	/* this page's size */
	double			 cw;		/* its content width */
	double			 bottom;	/* where its content ends */
	double			 y;
	int			 page;		/* 1-based; 0 before the first */
	int			 pages;		/* total, on the drawing pass */
	int			 sec_page[SEC_COUNT];
	int			 outline_h1;
};

/* ---------------------------------------------------------------- */
/* Text helpers. */

static void
membuf_add(struct membuf *b, const void *s, size_t n)
{
	if (n > ((size_t)-1) / 2 - b->len)
		fatalx("pack: buffer overflow");
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap == 0 ? 65536 : b->cap * 2;
		b->p = xreallocarray(b->p, 1, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
membuf_adds(struct membuf *b, const char *s)
{
	membuf_add(b, s, strlen(s));
}

/*
 * Data as pango will take it: valid UTF-8 (bad bytes become U+FFFD), CR
 * LF and CR as LF, tabs and other control characters as spaces, no
 * trailing white space. NULL or empty gives NULL. Caller frees.
 */
static char *
text_clean(const char *s)
{
	gchar		*valid;
	char		*out, *p;
	const char	*q;
	size_t		 n;

	if (s == NULL)
		return NULL;
	valid = g_utf8_make_valid(s, -1);
	out = p = xmalloc(strlen(valid) + 1);
	for (q = valid; *q != '\0'; q++) {
		unsigned char	c = (unsigned char)*q;

		if (c == '\r') {
			*p++ = '\n';
			if (q[1] == '\n')
				q++;
		} else if (c == '\n')
			*p++ = '\n';
		else if (c < 0x20 || c == 0x7f)
			*p++ = ' ';
		else
			*p++ = (char)c;
	}
	*p = '\0';
	g_free(valid);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\n'))
		out[--n] = '\0';
	if (n == 0) {
		free(out);
		return NULL;
	}
	return out;
}

static char *
column_clean(sqlite3_stmt *s, int i)
{
	return text_clean((const char *)sqlite3_column_text(s, i));
}

/* Escape text for pango markup into b. */
static void
markup_escape(struct membuf *b, const char *s)
{
	const char	*p, *e;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&apos;";
			break;
		default:
			membuf_add(b, p, 1);
			continue;
		}
		membuf_adds(b, e);
	}
}

/*
 * Markup from a format where "%s" takes text to escape and "%m" markup to
 * copy; "%%" is a percent sign. A NULL %s is empty. Caller frees.
 */
static char *
mk(const char *fmt, ...)
{
	struct membuf	 b = { NULL, 0, 0 };
	const char	*p, *a;
	va_list		 ap;

	va_start(ap, fmt);
	membuf_add(&b, "", 0);
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			membuf_add(&b, p, 1);
			continue;
		}
		p++;
		if (*p == '%') {
			membuf_add(&b, "%", 1);
			continue;
		}
		a = va_arg(ap, const char *);
		if (a == NULL)
			continue;
		if (*p == 's')
			markup_escape(&b, a);
		else
			membuf_adds(&b, a);
	}
	va_end(ap);
	return (char *)b.p;
}

/* ---------------------------------------------------------------- */
/* Dates. */

static const char *const month_abbr[] = { "Jan", "Feb", "Mar", "Apr",
    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static long
iso_day(const char *s)
{
	struct rr_date	d;

	if (s == NULL || date_parse_iso(s, &d) != 0)
		return DB_NO_DAY;
	return date_to_days(&d);
}

/* "Mon 8 Jul 2024". */
static void
day_long(long day, char *buf, size_t len)
{
	mailer_format_day(day, buf, len);
}

/* "8 Jul 2024". */
static void
day_short(long day, char *buf, size_t len)
{
	struct rr_date	d;

	date_from_days(day, &d);
	snprintf(buf, len, "%d %s %d", d.day, month_abbr[d.month - 1], d.year);
}

/* An ISO date as "Mon 8 Jul 2024", else the text as it is. */
static void
iso_long(const char *s, char *buf, size_t len)
{
	long	day = iso_day(s);

	if (day != DB_NO_DAY)
		day_long(day, buf, len);
	else
		snprintf(buf, len, "%s", s != NULL ? s : "");
}

/* A time as its local day number and minutes; -1 when unusable. */
static int
local_time(const struct pk *pk, long long t, long *day, int *minutes)
{
	struct rr_date	d;
	int		m;

	if (date_time_to_local(pk->tz, t, &d, &m) != 0)
		return -1;
	*day = date_to_days(&d);
	if (minutes != NULL)
		*minutes = m;
	return 0;
}

static void
time_long(const struct pk *pk, long long t, char *buf, size_t len)
{
	long	day;
	int	m;

	if (local_time(pk, t, &day, &m) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	day_long(day, buf, len);
	snprintf(buf + strlen(buf), len - strlen(buf), " %02d:%02d", m / 60,
	    m % 60);
}

/* ---------------------------------------------------------------- */
/* Loading the case. */

static void
request_free(struct pk_request *q)
{
	int	i;

	free(q->agency);
	free(q->name);
	free(q->state);
	free(q->due_date);
	free(q->extended_due);
	free(q->extended_reason);
	free(q->waived_reason);
	for (i = 0; i < R_COUNT; i++)
		free(q->f[i]);
}

static void
pk_data_free(struct pk_data *d)
{
	size_t	i;
	int	j;

	for (j = 0; j < C_COUNT; j++)
		free(d->c[j]);
	for (i = 0; i < d->n_children; i++)
		for (j = 0; j < CH_COUNT; j++)
			free(d->children[i].f[j]);
	free(d->children);
	for (i = 0; i < d->n_milestones; i++) {
		free(d->milestones[i].kind);
		free(d->milestones[i].due_date);
		free(d->milestones[i].extended_due);
		free(d->milestones[i].extended_reason);
	}
	free(d->milestones);
	for (i = 0; i < d->n_requests; i++)
		request_free(&d->requests[i]);
	free(d->requests);
	chronology_clear(&d->chron);
	memset(d, 0, sizeof *d);
}

static int
request_cmp(const void *va, const void *vb)
{
	const struct pk_request	*a = va, *b = vb;
	int			 c;

	if ((c = strcasecmp(a->name, b->name)) != 0)
		return c;
	return strcmp(a->agency, b->agency);
}

/* After the last sqlite3_step: 0 when it ended well, else -1 with *cause. */
static int
step_failed(struct store *st, int r, const char *what, char **cause)
{
	if (r == SQLITE_DONE)
		return 0;
	xasprintf(cause, "%s: %s", what, sqlite3_errmsg(store_db(st)));
	return -1;
}

static int
pk_data_load(struct store *st, const struct config *cfg, const char *ref,
    struct pk_data *d, char **cause)
{
	const struct agency_config	*ac;
	struct membuf			 sql = { NULL, 0, 0 };
	sqlite3_stmt			*s = NULL;
	long long			 case_id;
	size_t				 cap;
	int				 r, i;

	memset(d, 0, sizeof *d);
	s = db_query(st, cause, "SELECT id, ref, state, day0, day0_basis, "
	    "incident_date, incident_type, panel_ref, local_authority, "
	    "background, meeting_place, meeting_at, meeting_minutes FROM "
	    "cases WHERE ref = ?", "t", ref);
	if (s == NULL)
		goto fail;
	if ((r = sqlite3_step(s)) != SQLITE_ROW) {
		if (r == SQLITE_DONE)
			xasprintf(cause, "no case %s", ref);
		else
			xasprintf(cause, "case: %s",
			    sqlite3_errmsg(store_db(st)));
		goto fail;
	}
	case_id = sqlite3_column_int64(s, 0);
	for (i = 0; i < C_COUNT; i++)
		d->c[i] = column_clean(s, i + 1);
	if (d->c[C_REF] == NULL)
		d->c[C_REF] = xstrdup(ref);
	if (sqlite3_column_type(s, 11) != SQLITE_NULL) {
		d->has_meeting = 1;
		d->meeting_at = sqlite3_column_int64(s, 11);
	}
	d->meeting_minutes = sqlite3_column_int64(s, 12);
	sqlite3_finalize(s);

	s = db_query(st, cause, "SELECT identifier, age, sex, ethnicity, "
	    "disability FROM children WHERE case_id = ? ORDER BY position",
	    "l", case_id);
	if (s == NULL)
		goto fail;
	cap = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (d->n_children == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			d->children = xreallocarray(d->children, cap,
			    sizeof *d->children);
		}
		for (i = 0; i < CH_COUNT; i++)
			d->children[d->n_children].f[i] = column_clean(s, i);
		d->n_children++;
	}
	if (step_failed(st, r, "children", cause) != 0)
		goto fail;
	sqlite3_finalize(s);

	s = db_query(st, cause, "SELECT kind, due_date, extended_due, "
	    "extended_reason, done_at FROM milestones WHERE case_id = ? "
	    "ORDER BY coalesce(extended_due, due_date), id", "l", case_id);
	if (s == NULL)
		goto fail;
	cap = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct pk_milestone	*m;

		if (d->n_milestones == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			d->milestones = xreallocarray(d->milestones, cap,
			    sizeof *d->milestones);
		}
		m = &d->milestones[d->n_milestones++];
		memset(m, 0, sizeof *m);
		m->kind = column_clean(s, 0);
		m->due_date = column_clean(s, 1);
		m->extended_due = column_clean(s, 2);
		m->extended_reason = column_clean(s, 3);
		if (sqlite3_column_type(s, 4) != SQLITE_NULL) {
			m->done = 1;
			m->done_at = sqlite3_column_int64(s, 4);
		}
	}
	if (step_failed(st, r, "milestones", cause) != 0)
		goto fail;
	sqlite3_finalize(s);

	/* Column names are fixed text, never data. */
	membuf_adds(&sql, "SELECT q.agency, q.state, q.due_date, "
	    "q.extended_due, q.extended_reason, q.waived_reason, "
	    "q.out_of_office, q.returned_at, r.id, r.version, r.complete, "
	    "r.nil, r.received_at, (SELECT count(*) FROM chronology WHERE "
	    "return_id = r.id)");
	for (i = 0; i < R_COUNT; i++) {
		membuf_adds(&sql, ", r.");
		membuf_adds(&sql, rfield_columns[i]);
	}
	membuf_adds(&sql, " FROM requests q LEFT JOIN returns r ON "
	    "r.request_id = q.id AND r.superseded = 0 WHERE q.case_id = ?");
	s = db_query(st, cause, (const char *)sql.p, "l", case_id);
	free(sql.p);
	if (s == NULL)
		goto fail;
	cap = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct pk_request	*q;

		if (d->n_requests == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			d->requests = xreallocarray(d->requests, cap,
			    sizeof *d->requests);
		}
		q = &d->requests[d->n_requests++];
		memset(q, 0, sizeof *q);
		q->agency = column_clean(s, 0);
		if (q->agency == NULL)
			q->agency = xstrdup("?");
		q->state = column_clean(s, 1);
		q->due_date = column_clean(s, 2);
		q->extended_due = column_clean(s, 3);
		q->extended_reason = column_clean(s, 4);
		q->waived_reason = column_clean(s, 5);
		q->out_of_office = sqlite3_column_int(s, 6);
		if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
			q->has_returned_at = 1;
			q->returned_at = sqlite3_column_int64(s, 7);
		}
		if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
			q->has_return = 1;
			q->version = sqlite3_column_int64(s, 9);
			q->complete = sqlite3_column_int(s, 10);
			q->nil = sqlite3_column_int(s, 11);
			q->received_at = sqlite3_column_int64(s, 12);
			q->n_rows = sqlite3_column_int64(s, 13);
			for (i = 0; i < R_COUNT; i++)
				q->f[i] = column_clean(s, 14 + i);
		}
		ac = cfg != NULL ? config_agency(cfg, q->agency) : NULL;
		q->name = text_clean(ac != NULL ? ac->name : NULL);
		if (q->name == NULL)
			q->name = xstrdup(q->agency);
	}
	if (step_failed(st, r, "requests", cause) != 0)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	if (d->n_requests > 0)
		qsort(d->requests, d->n_requests, sizeof *d->requests,
		    request_cmp);

	if (chronology_load(st, cfg, ref, &d->chron, cause) != 0)
		goto fail;
	return 0;

fail:
	sqlite3_finalize(s);
	pk_data_free(d);
	return -1;
}

/* ---------------------------------------------------------------- */
/* Pages. */

static void
set_rgb(struct pk *pk, double r, double g, double b)
{
	if (pk->cr != NULL)
		cairo_set_source_rgb(pk->cr, r, g, b);
}

static void
show_layout(struct pk *pk, PangoLayout *l, double x, double y)
{
	if (pk->cr == NULL)
		return;
	cairo_move_to(pk->cr, x, y);
	pango_cairo_show_layout(pk->cr, l);
}

static void
hline(struct pk *pk, double x0, double x1, double y, double width)
{
	if (pk->cr == NULL)
		return;
	cairo_set_line_width(pk->cr, width);
	cairo_move_to(pk->cr, x0, y);
	cairo_line_to(pk->cr, x1, y);
	cairo_stroke(pk->cr);
}

static void
vline(struct pk *pk, double x, double y0, double y1, double width)
{
	if (pk->cr == NULL)
		return;
	cairo_set_line_width(pk->cr, width);
	cairo_move_to(pk->cr, x, y0);
	cairo_line_to(pk->cr, x, y1);
	cairo_stroke(pk->cr);
}

static void
fill_rect(struct pk *pk, double x, double y, double w, double h)
{
	if (pk->cr == NULL)
		return;
	cairo_rectangle(pk->cr, x, y, w, h);
	cairo_fill(pk->cr);
}

/* Set l to plain text or markup, with a width in points (<= 0: none). */
static void
layout_set(PangoLayout *l, const char *markup, double width,
    PangoAlignment align)
{
	pango_layout_set_width(l, width > 0 ? (int)(width * PANGO_SCALE) : -1);
	pango_layout_set_alignment(l, align);
	pango_layout_set_markup(l, markup != NULL ? markup : "", -1);
}

static double
layout_height(PangoLayout *l)
{
	int	w, h;

	pango_layout_get_size(l, &w, &h);
	return PS(h);
}

static double
layout_width(PangoLayout *l)
{
	int	w, h;

	pango_layout_get_size(l, &w, &h);
	return PS(w);
}

/* The marking in the header and footer, the case and the page number. */
static void
page_furniture(struct pk *pk)
{
	PangoLayout	*l = pk->ly[ST_FURN];
	char		*m, num[64];
	double		 y;

	if (pk->cr == NULL)
		return;
	y = 24;
	if (pk->marking != NULL) {
		m = mk("<b><span size='large'>%s</span></b>", pk->marking);
		layout_set(l, m, pk->cw, PANGO_ALIGN_CENTER);
		free(m);
		set_rgb(pk, C_RED);
		show_layout(pk, l, MARGIN_X, y);
		y += layout_height(l) + 2;
	}
	set_rgb(pk, C_GREY);
	m = mk("%s", pk->cfg != NULL ? pk->cfg->partnership.name : NULL);
	layout_set(l, m, pk->cw * 0.62, PANGO_ALIGN_LEFT);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	free(m);
	show_layout(pk, l, MARGIN_X, y);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_NONE);
	m = mk("Rapid Review %s", pk->d->c[C_REF]);
	layout_set(l, m, pk->cw * 0.36, PANGO_ALIGN_RIGHT);
	free(m);
	show_layout(pk, l, MARGIN_X + pk->cw * 0.64, y);
	y += layout_height(l) + 3;
	set_rgb(pk, C_RULE);
	hline(pk, MARGIN_X, pk->pw - MARGIN_X, y, 0.6);

	y = pk->bottom + 18;
	hline(pk, MARGIN_X, pk->pw - MARGIN_X, y, 0.6);
	y += 4;
	if (pk->marking != NULL) {
		m = mk("<b><span size='large'>%s</span></b>", pk->marking);
		layout_set(l, m, pk->cw, PANGO_ALIGN_CENTER);
		free(m);
		set_rgb(pk, C_RED);
		show_layout(pk, l, MARGIN_X, y);
	}
	set_rgb(pk, C_GREY);
	snprintf(num, sizeof num, "Page %d of %d", pk->page, pk->pages);
	layout_set(l, num, pk->cw * 0.3, PANGO_ALIGN_RIGHT);
	show_layout(pk, l, MARGIN_X + pk->cw * 0.7, y + 1);
	snprintf(num, sizeof num, "Pack version %d", pk->version);
	layout_set(l, num, pk->cw * 0.3, PANGO_ALIGN_LEFT);
	show_layout(pk, l, MARGIN_X, y + 1);
	set_rgb(pk, C_TEXT);
}

static void
page_break(struct pk *pk)
{
	if (pk->cr != NULL && pk->page > 0)
		cairo_show_page(pk->cr);
	pk->page++;
	pk->pw = pk->landscape ? PAGE_H : PAGE_W;
	pk->ph = pk->landscape ? PAGE_W : PAGE_H;
	pk->cw = pk->pw - 2 * MARGIN_X;
	pk->bottom = pk->ph - FOOT;
	if (pk->surface != NULL)
		cairo_pdf_surface_set_size(pk->surface, pk->pw, pk->ph);
	pk->y = TOP;
	page_furniture(pk);
}

static int
at_top(const struct pk *pk)
{
	return pk->y <= TOP + 0.01;
}

/* Start a new page unless h points are left on this one. */
static void
room(struct pk *pk, double h)
{
	if (pk->y + h > pk->bottom && !at_top(pk))
		page_break(pk);
}

/*
 * The lines of l from the one whose top is at *off (Pango units; 0 the
 * first) that fit in avail points, the line at *off placed at y. Draws
 * them when draw (and there is a surface). Returns the points they take
 * and moves *off to the top of the first line left, -1 when none is.
 * With force at least one line is taken, however tall.
 */
static double
lines_slice(struct pk *pk, PangoLayout *l, double x, double y, int *off,
    double avail, int force, int draw)
{
	PangoLayoutIter	*it;
	PangoRectangle	 logical;
	int		 y0, y1, next = -1, bottom, base, start = *off;

	if (start < 0)
		return 0;
	bottom = start;
	it = pango_layout_get_iter(l);
	do {
		pango_layout_iter_get_line_yrange(it, &y0, &y1);
		if (y0 < start)
			continue;
		if (PS(y1 - start) > avail && !(force && bottom == start)) {
			next = y0;
			break;
		}
		if (draw && pk->cr != NULL) {
			base = pango_layout_iter_get_baseline(it);
			pango_layout_iter_get_line_extents(it, NULL, &logical);
			cairo_move_to(pk->cr, x + PS(logical.x),
			    y + PS(base - start));
			pango_cairo_show_layout_line(pk->cr,
			    pango_layout_iter_get_line_readonly(it));
		}
		bottom = y1;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	*off = next;
	return PS(bottom - start);
}

/* Draw l at x from the current y, breaking pages between its lines. */
static void
flow(struct pk *pk, PangoLayout *l, double x)
{
	double	h = layout_height(l), used;
	int	off = 0;

	if (pk->y + h <= pk->bottom) {
		show_layout(pk, l, x, pk->y);
		pk->y += h;
		return;
	}
	/* Not two lines' room: the text starts on the next page. */
	if (pk->bottom - pk->y < 26)
		page_break(pk);
	for (;;) {
		used = lines_slice(pk, l, x, pk->y, &off, pk->bottom - pk->y,
		    at_top(pk), 1);
		pk->y += used;
		if (off < 0)
			break;
		page_break(pk);
	}
}

/* A paragraph of markup in a style, with space after it. */
static void
para(struct pk *pk, enum style st, const char *markup, double after)
{
	PangoLayout	*l = pk->ly[st];

	layout_set(l, markup, pk->cw, PANGO_ALIGN_LEFT);
	flow(pk, l, MARGIN_X);
	pk->y += after;
}

/* A paragraph of data text, escaped. */
static void
para_text(struct pk *pk, enum style st, const char *text, double after)
{
	char	*m = mk("%s", text);

	para(pk, st, m, after);
	free(m);
}

/* A bullet point: the bullet hangs in the margin of the text. */
static void
bullet(struct pk *pk, const char *markup, double after)
{
	PangoLayout	*l = pk->ly[ST_BODY];
	char		*m = mk("\xe2\x80\xa2\t%m", markup);

	layout_set(l, m, pk->cw - BULLET_INDENT, PANGO_ALIGN_LEFT);
	pango_layout_set_indent(l, (int)(-BULLET_INDENT * PANGO_SCALE));
	free(m);
	flow(pk, l, MARGIN_X + BULLET_INDENT);
	pango_layout_set_indent(l, 0);
	pk->y += after;
}

static void
outline_add(struct pk *pk, int level, const char *text)
{
	char	dest[96];
	int	id;

	if (pk->surface == NULL)
		return;
	snprintf(dest, sizeof dest, "page=%d pos=[%.1f %.1f]", pk->page,
	    MARGIN_X, pk->y);
	id = cairo_pdf_surface_add_outline(pk->surface,
	    level == 1 ? CAIRO_PDF_OUTLINE_ROOT : pk->outline_h1, text, dest,
	    0);
	if (level == 1)
		pk->outline_h1 = id;
}

/*
 * A heading, kept on a page with keep points below it. Level 1 headings
 * are numbered sections; text is plain (escaped here).
 */
static void
heading(struct pk *pk, int level, const char *text, const char *extra,
    double keep)
{
	static const enum style	 st[] = { ST_H1, ST_H1, ST_H2, ST_H3 };
	static const double	 before[] = { 0, 16, 12, 8 };
	static const double	 after[] = { 0, 9, 5, 4 };
	PangoLayout		*l = pk->ly[st[level]];
	char			*m;
	double			 h;

	m = extra != NULL ? mk("%s  <span foreground='" M_RED "' "
	    "size='smaller'>%s</span>", text, extra) : mk("%s", text);
	layout_set(l, m, pk->cw, PANGO_ALIGN_LEFT);
	free(m);
	h = layout_height(l);
	if (!at_top(pk))
		pk->y += before[level];
	room(pk, h + after[level] + keep);
	if (level <= 2)
		outline_add(pk, level, text);
	set_rgb(pk, C_NAVY);
	show_layout(pk, l, MARGIN_X, pk->y);
	pk->y += h;
	if (level == 1) {
		pk->y += 3;
		set_rgb(pk, C_NAVY);
		hline(pk, MARGIN_X, pk->pw - MARGIN_X, pk->y, 1.0);
	}
	set_rgb(pk, C_TEXT);
	pk->y += after[level];
}

static void
section(struct pk *pk, enum section s, int new_page, double keep)
{
	char	t[128];

	if (new_page && (!at_top(pk) || pk->landscape != (pk->pw > pk->ph)))
		page_break(pk);
	snprintf(t, sizeof t, "%d  %s", (int)s + 1, section_titles[s]);
	heading(pk, 1, t, NULL, keep);
	/* Where the heading landed, for the contents. */
	pk->sec_page[s] = pk->page;
}

/* ---------------------------------------------------------------- */
/* Tables. */

static double
table_x(const struct table *t, int col)
{
	double	x = MARGIN_X;
	int	i;

	for (i = 0; i < col; i++)
		x += t->w[i];
	return x;
}

static double
table_width(const struct table *t)
{
	return table_x(t, t->n) - MARGIN_X;
}

static void
table_header(struct pk *pk, struct table *t)
{
	PangoLayout	*l = pk->ly[ST_TH];
	double		 w = table_width(t), x;
	char		*m;
	int		 i;

	if (t->head == NULL) {
		set_rgb(pk, C_RULE);
		hline(pk, MARGIN_X, MARGIN_X + w, pk->y, 0.5);
		set_rgb(pk, C_TEXT);
		return;
	}
	set_rgb(pk, C_HEAD_FILL);
	fill_rect(pk, MARGIN_X, pk->y, w, t->head_h);
	set_rgb(pk, C_NAVY);
	for (i = 0; i < t->n; i++) {
		x = table_x(t, i);
		m = mk("%s", t->head[i]);
		layout_set(l, m, t->w[i] - 2 * CELL_PAD_X, PANGO_ALIGN_LEFT);
		free(m);
		show_layout(pk, l, x + CELL_PAD_X, pk->y + CELL_PAD_Y);
	}
	set_rgb(pk, C_RULE);
	hline(pk, MARGIN_X, MARGIN_X + w, pk->y, 0.5);
	hline(pk, MARGIN_X, MARGIN_X + w, pk->y + t->head_h, 0.5);
	for (i = 0; i <= t->n; i++)
		vline(pk, table_x(t, i), pk->y, pk->y + t->head_h, 0.5);
	set_rgb(pk, C_TEXT);
	pk->y += t->head_h;
}

/* Begin a table, with room for its header and keep points of rows. */
static void
table_start(struct pk *pk, struct table *t, double keep)
{
	PangoLayout	*l = pk->ly[ST_TH];
	double		 h;
	char		*m;
	int		 i;

	t->row = 0;
	t->head_h = 0;
	if (t->head != NULL) {
		for (i = 0; i < t->n; i++) {
			m = mk("%s", t->head[i]);
			layout_set(l, m, t->w[i] - 2 * CELL_PAD_X,
			    PANGO_ALIGN_LEFT);
			free(m);
			if ((h = layout_height(l)) > t->head_h)
				t->head_h = h;
		}
		t->head_h += 2 * CELL_PAD_Y;
	}
	room(pk, t->head_h + keep);
	table_header(pk, t);
}

/* The cell backgrounds and rules of a row (or a slice of one) h high. */
static void
row_frame(struct pk *pk, const struct table *t, double y, double h,
    int fill)
{
	double	w = table_width(t);
	int	i;

	if (fill) {
		set_rgb(pk, C_ZEBRA);
		fill_rect(pk, MARGIN_X, y, w, h);
	}
	set_rgb(pk, C_RULE);
	for (i = 0; i <= t->n; i++)
		vline(pk, table_x(t, i), y, y + h, 0.5);
	hline(pk, MARGIN_X, MARGIN_X + w, y + h, 0.5);
	set_rgb(pk, C_TEXT);
}

/*
 * One row of markup cells. A row that does not fit below goes to the next
 * page under a repeated header; a row taller than a page is split between
 * lines, each part under the header.
 */
static void
table_row(struct pk *pk, struct table *t, const char *const *cells)
{
	double	h = 0, ch, used, slice;
	int	off[MAX_COLS], i, done, fill;

	fill = t->zebra && (t->row++ % 2) == 1;
	for (i = 0; i < t->n; i++) {
		char	*m = NULL;

		if (t->font != NULL)
			m = mk("<span font='%s'>%m</span>", t->font, cells[i]);
		layout_set(pk->col[i], m != NULL ? m : cells[i],
		    t->w[i] - 2 * CELL_PAD_X, PANGO_ALIGN_LEFT);
		free(m);
		if ((ch = layout_height(pk->col[i])) > h)
			h = ch;
	}
	h += 2 * CELL_PAD_Y;

	if (pk->y + h > pk->bottom && h <= pk->bottom - TOP - t->head_h) {
		page_break(pk);
		table_header(pk, t);
	}
	if (pk->y + h <= pk->bottom) {
		row_frame(pk, t, pk->y, h, fill);
		for (i = 0; i < t->n; i++)
			show_layout(pk, pk->col[i], table_x(t, i) + CELL_PAD_X,
			    pk->y + CELL_PAD_Y);
		pk->y += h;
		return;
	}

	/* Taller than a page: by slices of lines. */
	if (pk->bottom - pk->y < 40) {
		page_break(pk);
		table_header(pk, t);
	}
	for (i = 0; i < t->n; i++)
		off[i] = 0;
	for (;;) {
		int	 top = pk->y <= TOP + t->head_h + 0.01;
		int	 noff;

		slice = 0;
		for (i = 0; i < t->n; i++) {
			noff = off[i];
			used = lines_slice(pk, pk->col[i], 0, 0, &noff,
			    pk->bottom - pk->y - 2 * CELL_PAD_Y, top, 0);
			if (used > slice)
				slice = used;
		}
		slice += 2 * CELL_PAD_Y;
		row_frame(pk, t, pk->y, slice, fill);
		done = 1;
		for (i = 0; i < t->n; i++) {
			lines_slice(pk, pk->col[i], table_x(t, i) + CELL_PAD_X,
			    pk->y + CELL_PAD_Y, &off[i],
			    pk->bottom - pk->y - 2 * CELL_PAD_Y, top, 1);
			if (off[i] >= 0)
				done = 0;
		}
		pk->y += slice;
		if (done)
			break;
		page_break(pk);
		table_header(pk, t);
	}
}

/* A row of two cells: a bold label and a value (markup). */
static void
kv_row(struct pk *pk, struct table *t, const char *label,
    const char *value_markup)
{
	const char	*cells[2];
	char		*l = mk("<b>%s</b>", label);

	cells[0] = l;
	cells[1] = value_markup != NULL ? value_markup :
	    "<span foreground='" M_GREY "'>not given</span>";
	table_row(pk, t, cells);
	free(l);
}

static void
kv_text(struct pk *pk, struct table *t, const char *label, const char *text)
{
	char	*v = text != NULL ? mk("%s", text) : NULL;

	kv_row(pk, t, label, v);
	free(v);
}

/* ---------------------------------------------------------------- */
/* The content. */

static const char *
incident_words(const char *type)
{
	if (type == NULL)
		return NULL;
	if (strcmp(type, "death") == 0)
		return "Death";
	if (strcmp(type, "serious_harm") == 0)
		return "Serious harm";
	return type;
}

static const char *
child_identifier(const struct pk_data *d)
{
	if (d->n_children == 0)
		return NULL;
	return d->children[0].f[CH_IDENTIFIER];
}

/* "Tue 16 Jul 2024, 10:00 to 12:00" or NULL when not set. */
static char *
meeting_words(const struct pk *pk)
{
	long	day, day2;
	int	m, m2;
	char	buf[64], *s;

	if (!pk->d->has_meeting || local_time(pk, pk->d->meeting_at, &day, &m)
	    != 0)
		return NULL;
	day_long(day, buf, sizeof buf);
	if (pk->d->meeting_minutes > 0 && local_time(pk, pk->d->meeting_at +
	    pk->d->meeting_minutes * 60, &day2, &m2) == 0 && day2 == day)
		xasprintf(&s, "%s, %02d:%02d to %02d:%02d", buf, m / 60,
		    m % 60, m2 / 60, m2 % 60);
	else
		xasprintf(&s, "%s, %02d:%02d", buf, m / 60, m % 60);
	return s;
}

static void
draw_cover(struct pk *pk)
{
	static const double	 kvw[] = { 150, CONTENT_W - 150 };
	const struct pk_data	*d = pk->d;
	struct table		 t = { 2, kvw, NULL, 0, 0, 0, NULL };
	PangoLayout		*l;
	char			 buf[96], *m, *meet;
	const char		*type;
	double			 y, h, w;
	int			 i;

	pk->y = TOP + 28;
	if (pk->cfg != NULL && pk->cfg->partnership.name != NULL) {
		m = mk("%s", pk->cfg->partnership.name);
		para(pk, ST_SUBTITLE, m, 6);
		free(m);
	}
	l = pk->ly[ST_TITLE];
	layout_set(l, "Rapid Review meeting pack", pk->cw,
	    PANGO_ALIGN_LEFT);
	set_rgb(pk, C_NAVY);
	show_layout(pk, l, MARGIN_X, pk->y);
	pk->y += layout_height(l) + 4;
	set_rgb(pk, C_TEXT);
	if (pk->version > 1) {
		snprintf(buf, sizeof buf, "<b><span foreground='" M_RED "'>"
		    "Updated pack (version %d)</span></b>", pk->version);
		para(pk, ST_SUBTITLE, buf, 2);
		para(pk, ST_SMALL, "This pack replaces the one sent before: a "
		    "return arrived or changed after it was sent.", 0);
	}
	pk->y += 22;

	t.font = "DejaVu Sans 10";
	table_start(pk, &t, 20);
	m = mk("<b>%s</b>", d->c[C_REF]);
	kv_row(pk, &t, "Case reference", m);
	free(m);
	kv_text(pk, &t, "Child", child_identifier(d));
	type = incident_words(d->c[C_INCIDENT_TYPE]);
	if (d->c[C_INCIDENT_DATE] != NULL) {
		iso_long(d->c[C_INCIDENT_DATE], buf, sizeof buf);
		m = mk("%s, %s", type != NULL ? type : "Incident", buf);
	} else
		m = type != NULL ? mk("%s", type) : NULL;
	kv_row(pk, &t, "Incident", m);
	free(m);
	meet = meeting_words(pk);
	if (meet != NULL) {
		m = mk("<b>%s</b>", meet);
		kv_row(pk, &t, "Meeting", m);
		free(m);
		kv_text(pk, &t, "Place", d->c[C_MEETING_PLACE] != NULL ?
		    d->c[C_MEETING_PLACE] : "to be confirmed");
		free(meet);
	} else
		kv_row(pk, &t, "Meeting", "<i>not yet set</i>");
	if (d->c[C_PANEL_REF] != NULL)
		kv_text(pk, &t, "National Panel reference", d->c[C_PANEL_REF]);
	time_long(pk, pk->now, buf, sizeof buf);
	kv_text(pk, &t, "Pack generated", buf);
	snprintf(buf, sizeof buf, "%d%s", pk->version, pk->version > 1 ?
	    " (updated)" : "");
	kv_text(pk, &t, "Pack version", buf);

	/* Contents, with the pages the measuring pass found. */
	pk->y += 26;
	l = pk->ly[ST_H3];
	layout_set(l, "Contents", pk->cw, PANGO_ALIGN_LEFT);
	set_rgb(pk, C_NAVY);
	show_layout(pk, l, MARGIN_X, pk->y);
	pk->y += layout_height(l) + 6;
	l = pk->ly[ST_BODY];
	for (i = 0; i < SEC_COUNT; i++) {
		set_rgb(pk, C_TEXT);
		snprintf(buf, sizeof buf, "%d", i + 1);
		layout_set(l, buf, 0, PANGO_ALIGN_LEFT);
		show_layout(pk, l, MARGIN_X, pk->y);
		m = mk("%s", section_titles[i]);
		layout_set(l, m, 0, PANGO_ALIGN_LEFT);
		free(m);
		show_layout(pk, l, MARGIN_X + 18, pk->y);
		w = layout_width(l);
		snprintf(buf, sizeof buf, "%d", pk->sec_page[i]);
		layout_set(l, buf, 60, PANGO_ALIGN_RIGHT);
		show_layout(pk, l, MARGIN_X + 260, pk->y);
		h = layout_height(l);
		/* A dotted leader from the title to the page. */
		set_rgb(pk, C_RULE);
		if (pk->cr != NULL) {
			static const double	dash[] = { 0.8, 2.6 };

			cairo_save(pk->cr);
			cairo_set_dash(pk->cr, dash, 2, 0);
			hline(pk, MARGIN_X + 18 + w + 4, MARGIN_X + 300,
			    pk->y + h * 0.75, 0.8);
			cairo_restore(pk->cr);
		}
		pk->y += h + 3;
	}
	set_rgb(pk, C_TEXT);

	/* The marking, large, at the foot of the cover. */
	if (pk->marking != NULL) {
		l = pk->ly[ST_MARK_BIG];
		m = mk("%s", pk->marking);
		layout_set(l, m, pk->cw - 40, PANGO_ALIGN_CENTER);
		free(m);
		h = layout_height(l);
		y = pk->bottom - h - 64;
		if (y < pk->y + 10)
			y = pk->y + 10;
		set_rgb(pk, C_RED);
		if (pk->cr != NULL) {
			cairo_set_line_width(pk->cr, 1.6);
			cairo_rectangle(pk->cr, MARGIN_X + 10, y - 10,
			    pk->cw - 20, h + 20);
			cairo_stroke(pk->cr);
		}
		show_layout(pk, l, MARGIN_X + 20, y);
		pk->y = y + h + 18;
		set_rgb(pk, C_TEXT);
	}
	para(pk, ST_SMALL, "<span foreground='" M_GREY "'>This pack holds "
	    "personal and sensitive information about a child and family. "
	    "Handle, store and destroy it as its marking requires; share it "
	    "only with those attending the Rapid Review meeting.</span>", 0);
}

static void
draw_purpose(struct pk *pk)
{
	section(pk, SEC_PURPOSE, 1, 60);
	para(pk, ST_BODY, "A Rapid Review is held when a child has died or "
	    "been seriously harmed and abuse or neglect is known or "
	    "suspected. The safeguarding partners must hold it within 15 "
	    "working days of the Serious Incident Notification. Its aim is "
	    "to enable the partners to:", 6);
	bullet(pk, "<b>gather the facts</b> about the case, as far as they "
	    "can readily be established;", 3);
	bullet(pk, "discuss whether any <b>immediate action</b> is needed "
	    "to ensure children's safety, and share any learning "
	    "appropriately;", 3);
	bullet(pk, "consider the potential for identifying "
	    "<b>improvements</b> to safeguard and promote the welfare of "
	    "children;", 3);
	bullet(pk, "decide what steps they should take next, including "
	    "<b>whether to undertake a local child safeguarding practice "
	    "review (LCSPR)</b>, and tell the National Child Safeguarding "
	    "Practice Review Panel.", 8);
	para(pk, ST_BODY, "A Rapid Review is about <b>learning, not "
	    "blame</b>. Each agency has looked at its own involvement with "
	    "the child and family: the quality of its practice and the "
	    "impact on the child, what went well and what could have been "
	    "done differently. The meeting uses these returns and the "
	    "merged chronology to understand what happened and why, so that "
	    "the way agencies work together to protect children can "
	    "improve. Questions of cause of death, guilt or conduct belong "
	    "to other processes, such as a criminal investigation, the "
	    "coroner or a disciplinary process.", 4);
}

static void
draw_background(struct pk *pk)
{
	static const double	 kvw[] = { 150, CONTENT_W - 150 };
	static const char *const bases[][2] = {
		{ "notified", "the date the Serious Incident Notification "
		    "was sent to the National Panel" },
		{ "aware", "the date the local authority became aware" },
		{ "received", "the date the notification was received" },
	};
	const struct pk_data	*d = pk->d;
	const struct pk_child	*c = d->n_children > 0 ? &d->children[0] :
	    NULL;
	struct table		 t = { 2, kvw, NULL, 0, 0, 0, NULL };
	struct membuf		 others = { NULL, 0, 0 };
	char			 buf[96], *m;
	const char		*basis = NULL;
	size_t			 i;

	section(pk, SEC_BACKGROUND, 0, 80);
	table_start(pk, &t, 20);
	kv_text(pk, &t, "Child", c != NULL ? c->f[CH_IDENTIFIER] : NULL);
	if (c != NULL && c->f[CH_AGE] != NULL)
		kv_text(pk, &t, "Age", c->f[CH_AGE]);
	if (c != NULL && c->f[CH_SEX] != NULL)
		kv_text(pk, &t, "Sex", c->f[CH_SEX]);
	if (c != NULL && c->f[CH_ETHNICITY] != NULL)
		kv_text(pk, &t, "Ethnicity", c->f[CH_ETHNICITY]);
	if (c != NULL && c->f[CH_DISABILITY] != NULL)
		kv_text(pk, &t, "Disability", c->f[CH_DISABILITY]);
	for (i = 1; i < d->n_children; i++) {
		if (d->children[i].f[CH_IDENTIFIER] == NULL)
			continue;
		if (others.len > 0)
			membuf_adds(&others, "\n");
		membuf_adds(&others, d->children[i].f[CH_IDENTIFIER]);
		if (d->children[i].f[CH_AGE] != NULL) {
			membuf_adds(&others, " (age ");
			membuf_adds(&others, d->children[i].f[CH_AGE]);
			membuf_adds(&others, ")");
		}
	}
	if (others.len > 0)
		kv_text(pk, &t, "Other children named",
		    (const char *)others.p);
	free(others.p);
	m = NULL;
	if (d->c[C_INCIDENT_DATE] != NULL) {
		iso_long(d->c[C_INCIDENT_DATE], buf, sizeof buf);
		m = mk("%s, %s", incident_words(d->c[C_INCIDENT_TYPE]) != NULL ?
		    incident_words(d->c[C_INCIDENT_TYPE]) : "Incident", buf);
	} else if (d->c[C_INCIDENT_TYPE] != NULL)
		m = mk("%s", incident_words(d->c[C_INCIDENT_TYPE]));
	kv_row(pk, &t, "Incident", m);
	free(m);
	if (d->c[C_LOCAL_AUTHORITY] != NULL)
		kv_text(pk, &t, "Local authority", d->c[C_LOCAL_AUTHORITY]);
	for (i = 0; i < sizeof bases / sizeof bases[0]; i++)
		if (d->c[C_DAY0_BASIS] != NULL &&
		    strcmp(d->c[C_DAY0_BASIS], bases[i][0]) == 0)
			basis = bases[i][1];
	iso_long(d->c[C_DAY0], buf, sizeof buf);
	m = basis != NULL ? mk("%s <span foreground='" M_GREY "'>(%s)</span>",
	    buf, basis) : mk("%s", buf);
	kv_row(pk, &t, "Day 0", m);
	free(m);

	pk->y += 12;
	heading(pk, 3, "Background from the notification", NULL, 30);
	if (d->c[C_BACKGROUND] != NULL)
		para_text(pk, ST_BODY, d->c[C_BACKGROUND], 0);
	else
		para(pk, ST_BODY, "<i>The notification gave no background."
		    "</i>", 0);
}

static const char *
milestone_words(const char *kind)
{
	static const char *const words[][2] = {
		{ "sin_due", "Serious Incident Notification due" },
		{ "returns_due", "Agency returns due" },
		{ "escalation", "Late returns escalated" },
		{ "meeting_default", "Meeting proposed for" },
		{ "meeting_by", "Rapid Review meeting held by" },
		{ "meeting", "Rapid Review meeting" },
		{ "pack", "Meeting pack sent" },
		{ "panel_reminder", "Reminder: submission to the Panel" },
		{ "panel_submission", "Rapid Review sent to the National Panel" },
	};
	size_t	i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (kind != NULL && strcmp(kind, words[i][0]) == 0)
			return words[i][1];
	return NULL;
}

/* An ISO date as markup, with its working day after day 0 under it. */
static char *
due_cell(const struct pk *pk, const char *iso)
{
	char	buf[64], n[16];
	long	day = iso_day(iso), day0 = iso_day(pk->d->c[C_DAY0]);

	iso_long(iso, buf, sizeof buf);
	if (pk->cal == NULL || day == DB_NO_DAY || day0 == DB_NO_DAY)
		return mk("%s", buf);
	if (day < day0)
		snprintf(n, sizeof n, "-%d", calendar_working_days_between(
		    pk->cal, day, day0));
	else
		snprintf(n, sizeof n, "%d", calendar_working_days_between(
		    pk->cal, day0, day));
	return mk("%s<span foreground='" M_GREY "'>\nworking day %s</span>",
	    buf, n);
}

static void
draw_timeline(struct pk *pk)
{
	static const double	 w[] = { 175, 95, 125, CONTENT_W - 395 };
	static const char *const head[] = { "Milestone", "Due",
	    "Extended to", "Done" };
	const struct pk_data	*d = pk->d;
	struct table		 t = { 4, w, head, 1, 0, 0, NULL };
	const struct pk_milestone *ms;
	char			 due[64], done[64], *cells[4], *ext;
	const char		*kind;
	long			 day, eday;
	size_t			 i;
	int			 j;

	section(pk, SEC_TIMELINE, 0, 60);
	para(pk, ST_BODY, "Working days count from day 0, Monday to Friday, "
	    "without bank holidays and local closures.", 6);
	table_start(pk, &t, 20);

	iso_long(d->c[C_DAY0], due, sizeof due);
	cells[0] = mk("Day 0");
	cells[1] = mk("%s", due);
	cells[2] = mk("");
	cells[3] = mk("");
	table_row(pk, &t, (const char *const *)cells);
	for (j = 0; j < 4; j++)
		free(cells[j]);

	for (i = 0; i < d->n_milestones; i++) {
		ms = &d->milestones[i];
		kind = milestone_words(ms->kind);
		iso_long(ms->due_date, due, sizeof due);
		day = iso_day(ms->extended_due != NULL ? ms->extended_due :
		    ms->due_date);
		cells[0] = kind != NULL ? mk("%s", kind) : mk("%s", ms->kind);
		cells[1] = due_cell(pk, ms->due_date);
		if (ms->extended_due != NULL) {
			ext = due_cell(pk, ms->extended_due);
			cells[2] = mk("%m<span foreground='" M_GREY "'>\n%s"
			    "</span>", ext, ms->extended_reason);
			free(ext);
		} else
			cells[2] = mk("");
		if (ms->done && local_time(pk, ms->done_at, &eday, NULL) ==
		    0) {
			day_long(eday, done, sizeof done);
			cells[3] = mk("Done %s", done);
		} else if (day != DB_NO_DAY && day < pk->today)
			cells[3] = mk("<span foreground='" M_RED "'><b>Not "
			    "done: overdue</b></span>");
		else
			cells[3] = mk("<span foreground='" M_GREY "'>Not yet"
			    "</span>");
		table_row(pk, &t, (const char *const *)cells);
		for (j = 0; j < 4; j++)
			free(cells[j]);
	}
	if (d->has_meeting) {
		char	*meet = meeting_words(pk);

		cells[0] = mk("Rapid Review meeting");
		cells[1] = mk("%s", meet);
		cells[2] = mk("%s", d->c[C_MEETING_PLACE]);
		cells[3] = mk("%s", pk->now >= d->meeting_at ? "Held" :
		    "Set");
		table_row(pk, &t, (const char *const *)cells);
		for (j = 0; j < 4; j++)
			free(cells[j]);
		free(meet);
	}
}

/* The request's deadline: the extension when there is one. */
static long
request_due(const struct pk_request *q)
{
	return iso_day(q->extended_due != NULL ? q->extended_due :
	    q->due_date);
}

/* When the return came: the first complete one, else the current. */
static int
request_returned_day(const struct pk *pk, const struct pk_request *q,
    long *day)
{
	if (q->has_returned_at)
		return local_time(pk, q->returned_at, day, NULL);
	if (q->has_return)
		return local_time(pk, q->received_at, day, NULL);
	return -1;
}

static const char *
lcspr_words(const char *v)
{
	if (v == NULL)
		return NULL;
	if (strcmp(v, "yes") == 0)
		return "Yes, criteria met";
	if (strcmp(v, "no") == 0)
		return "No, criteria not met";
	if (strcmp(v, "unsure") == 0)
		return "Unsure";
	return v;
}

static const char *
state_words(const char *state)
{
	static const char *const words[][2] = {
		{ "pending", "Not yet requested" },
		{ "requested", "Requested, not yet returned" },
		{ "draft", "Draft received, incomplete" },
		{ "returned", "Returned" },
		{ "overdue", "Overdue, escalated" },
		{ "waived", "Waived" },
	};
	size_t	i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (state != NULL && strcmp(state, words[i][0]) == 0)
			return words[i][1];
	return state;
}

static void
draw_returns(struct pk *pk)
{
	static const double	 w[] = { 110, 50, 72, 100, 68,
	    CONTENT_W - 400 };
	static const char *const head[] = { "Agency", "Involved",
	    "Returned on", "Author", "LCSPR view", "On time?" };
	const struct pk_data	*d = pk->d;
	const struct pk_request	*q;
	struct table		 t = { 6, w, head, 1, 0, 0, NULL };
	char			 buf[64], dbuf[64], *cells[6], *m;
	long			 due, day;
	size_t			 i, in = 0, out = 0;
	int			 j;

	section(pk, SEC_RETURNS, 0, 70);
	for (i = 0; i < d->n_requests; i++) {
		if (d->requests[i].state != NULL &&
		    strcmp(d->requests[i].state, "waived") == 0)
			continue;
		if (d->requests[i].has_return && d->requests[i].complete)
			in++;
		else
			out++;
	}
	snprintf(buf, sizeof buf, "%zu of %zu", in, in + out);
	snprintf(dbuf, sizeof dbuf, "%zu", out);
	m = mk("Complete returns received: <b>%s</b>. Outstanding or "
	    "incomplete: <b>%s</b>.", buf, dbuf);
	para(pk, ST_BODY, m, 6);
	free(m);
	if (d->n_requests == 0) {
		para(pk, ST_BODY, "<i>No agency has been asked for a return."
		    "</i>", 0);
		return;
	}
	table_start(pk, &t, 24);
	for (i = 0; i < d->n_requests; i++) {
		q = &d->requests[i];
		due = request_due(q);
		if (due != DB_NO_DAY)
			day_long(due, dbuf, sizeof dbuf);
		else
			snprintf(dbuf, sizeof dbuf, "?");
		cells[0] = mk("<b>%s</b>", q->name);
		if (q->has_return) {
			cells[1] = mk("%s", q->nil ? "nil return" :
			    q->f[R_INVOLVED]);
			cells[3] = q->f[R_ROLE] != NULL ? mk("%s<span "
			    "foreground='" M_GREY "'>\n%s</span>",
			    q->f[R_AUTHOR], q->f[R_ROLE]) :
			    mk("%s", q->f[R_AUTHOR]);
			cells[4] = mk("%s", lcspr_words(q->f[R_LCSPR_VIEW]));
		} else {
			cells[1] = mk("");
			cells[3] = mk("");
			cells[4] = mk("");
		}
		if (request_returned_day(pk, q, &day) == 0) {
			day_long(day, buf, sizeof buf);
			if (q->has_return && q->version > 1) {
				char	v[32];

				snprintf(v, sizeof v, "%lld", q->version);
				cells[2] = mk("%s<span foreground='" M_GREY
				    "'>\n(version %s)</span>", buf, v);
			} else
				cells[2] = mk("%s", buf);
		} else
			cells[2] = mk("");

		if (q->state != NULL && strcmp(q->state, "waived") == 0)
			cells[5] = mk("Waived: %s", q->waived_reason);
		else if (q->has_return && !q->complete)
			cells[5] = mk("<span foreground='" M_RED "'><b>draft "
			    "\xe2\x80\x94 incomplete</b></span>\n<span "
			    "foreground='" M_GREY "'>due %s</span>", dbuf);
		else if (q->has_return && q->has_returned_at &&
		    due != DB_NO_DAY &&
		    request_returned_day(pk, q, &day) == 0) {
			if (day <= due)
				cells[5] = mk("On time");
			else
				cells[5] = mk("<span foreground='" M_RED "'>"
				    "<b>Late</b></span> (due %s)", dbuf);
		} else if (q->has_return)
			cells[5] = mk("Returned");
		else
			cells[5] = mk("<span foreground='" M_RED "'><b>%s"
			    "</b></span>\n<span foreground='" M_GREY "'>due "
			    "%s</span>", state_words(q->state), dbuf);
		table_row(pk, &t, (const char *const *)cells);
		for (j = 0; j < 6; j++)
			free(cells[j]);
	}
}

static void
draw_chronology(struct pk *pk)
{
	static const char *const head[] = { "Date", "Time", "Agency",
	    "Contact type", "Seen", "What happened", "Outcome",
	    "Significance" };
	const struct chronology	*c = &pk->d->chron;
	const struct chron_row	*r;
	double			 w[8] = { 58, 32, 90, 78, 80, 0, 140, 64 };
	struct table		 t = { 8, w, head, 1, 0, 0, NULL };
	char			 buf[32], *cells[8], *v;
	long			 day;
	size_t			 i;
	int			 j;

	/* Eight columns want the width of a landscape page. */
	pk->landscape = 1;
	section(pk, SEC_CHRONOLOGY, 1, 70);
	w[5] = pk->cw - (w[0] + w[1] + w[2] + w[3] + w[4] + w[6] + w[7]);
	snprintf(buf, sizeof buf, "%zu", c->n_rows);
	v = mk("The rows of every agency's current return, %s in all, in "
	    "date and time order. Rows whose date could not be read come "
	    "last, as written.", buf);
	para(pk, ST_BODY, v, 6);
	free(v);
	if (c->n_rows == 0) {
		para(pk, ST_BODY, "<i>No chronology rows have been received."
		    "</i>", 0);
		return;
	}
	table_start(pk, &t, 24);
	for (i = 0; i < c->n_rows; i++) {
		char	*tx[8];

		r = &c->rows[i];
		/* Data may hold control characters: clean as loaded. */
		tx[0] = NULL;
		tx[1] = text_clean(r->time);
		tx[2] = text_clean(r->agency_name);
		tx[3] = text_clean(r->contact_type);
		tx[4] = text_clean(r->seen);
		tx[5] = text_clean(r->event);
		tx[6] = text_clean(r->outcome);
		tx[7] = text_clean(r->significance);
		day = iso_day(r->date);
		if (day != DB_NO_DAY) {
			day_short(day, buf, sizeof buf);
			cells[0] = mk("%s", buf);
		} else {
			tx[0] = text_clean(r->date_text);
			cells[0] = tx[0] != NULL ? mk("<i>%s</i>", tx[0]) :
			    mk("<span foreground='" M_GREY "'><i>undated"
			    "</i></span>");
		}
		for (j = 1; j < 8; j++)
			cells[j] = mk("%s", tx[j]);
		table_row(pk, &t, (const char *const *)cells);
		for (j = 0; j < 8; j++) {
			free(cells[j]);
			free(tx[j]);
		}
	}
	pk->landscape = 0;
}

/* A labelled answer: the label kept with the answer's first lines. */
static void
answer(struct pk *pk, const char *label, const char *text)
{
	PangoLayout	*l = pk->ly[ST_LABEL];
	char		*m = mk("%s", label);
	double		 h;

	layout_set(l, m, pk->cw, PANGO_ALIGN_LEFT);
	free(m);
	h = layout_height(l);
	room(pk, h + 30);
	set_rgb(pk, C_TEXT);
	show_layout(pk, l, MARGIN_X, pk->y);
	pk->y += h + 2;
	if (text != NULL)
		para_text(pk, ST_BODY, text, 8);
	else
		para(pk, ST_BODY, "<span foreground='" M_GREY "'><i>Not "
		    "answered.</i></span>", 8);
}

/* A return's missing field keys, one a line, as their labels (markup). */
static char *
missing_words(const char *keys)
{
	static const char *const names[][2] = {
		{ "author", "Completed by" },
		{ "involved", "Involved with the child or family" },
		{ "involvement", "Summary of involvement" },
		{ "chronology", "Chronology" },
		{ "quality", "Quality of practice" },
		{ "impact", "Impact of practice on outcomes for the child" },
		{ "immediate_actions", "Immediate actions" },
		{ "lcspr_view", "View on the LCSPR criteria" },
	};
	struct membuf	 b = { NULL, 0, 0 };
	const char	*p = keys, *e, *label;
	char		*key;
	size_t		 i;

	membuf_adds(&b, "<span foreground='" M_RED "'>");
	while (*p != '\0') {
		e = strchr(p, '\n');
		key = e != NULL ? xstrndup(p, (size_t)(e - p)) : xstrdup(p);
		label = key;
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strcmp(key, names[i][0]) == 0)
				label = names[i][1];
		if (*key != '\0') {
			if (b.len > sizeof "<span foreground='" M_RED "'>" - 1)
				membuf_adds(&b, "; ");
			markup_escape(&b, label);
		}
		free(key);
		p = e != NULL ? e + 1 : p + strlen(p);
	}
	membuf_adds(&b, "</span>");
	return (char *)b.p;
}

static void
draw_agency(struct pk *pk, const struct pk_request *q)
{
	static const double	 kvw[] = { 150, CONTENT_W - 150 };
	struct table		 t = { 2, kvw, NULL, 0, 0, 0, NULL };
	char			 buf[64], n[32], *m;
	long			 day;
	size_t			 i;

	heading(pk, 2, q->name, q->complete ? NULL :
	    "draft \xe2\x80\x94 incomplete", 90);
	if (!q->complete) {
		m = mk("<span foreground='" M_RED "'>This return is a draft: "
		    "it was stored as received, and the agency has been asked "
		    "for what is missing.</span>");
		para(pk, ST_SMALL, m, 4);
		free(m);
	}
	table_start(pk, &t, 20);
	if (q->f[R_AGENCY_NAME] != NULL && strcmp(q->f[R_AGENCY_NAME],
	    q->name) != 0)
		kv_text(pk, &t, "Agency, as written", q->f[R_AGENCY_NAME]);
	m = q->f[R_ROLE] != NULL ? mk("%s, %s", q->f[R_AUTHOR],
	    q->f[R_ROLE]) : q->f[R_AUTHOR] != NULL ? mk("%s",
	    q->f[R_AUTHOR]) : NULL;
	kv_row(pk, &t, "Completed by", m);
	free(m);
	if (q->f[R_COMPLETED] != NULL) {
		iso_long(q->f[R_COMPLETED], buf, sizeof buf);
		kv_text(pk, &t, "Date completed", buf);
	}
	if (local_time(pk, q->received_at, &day, NULL) == 0) {
		day_long(day, buf, sizeof buf);
		snprintf(n, sizeof n, "%lld", q->version);
		m = q->version > 1 ? mk("%s (version %s)", buf, n) :
		    mk("%s", buf);
		kv_row(pk, &t, "Received", m);
		free(m);
	}
	kv_text(pk, &t, "Involved with the child or family",
	    q->nil ? "No (nil return)" : q->f[R_INVOLVED]);
	if (!q->nil) {
		if (q->f[R_CASE_STATUS] != NULL)
			kv_text(pk, &t, "Open or closed at the incident",
			    q->f[R_CASE_STATUS]);
		if (q->f[R_FIRST_CONTACT] != NULL ||
		    q->f[R_LAST_CONTACT] != NULL) {
			char	a[64], b[64];

			iso_long(q->f[R_FIRST_CONTACT], a, sizeof a);
			iso_long(q->f[R_LAST_CONTACT], b, sizeof b);
			m = mk("%s to %s", *a != '\0' ? a : "?",
			    *b != '\0' ? b : "?");
			kv_row(pk, &t, "First and last contact", m);
			free(m);
		}
		snprintf(n, sizeof n, "%lld", q->n_rows);
		m = mk("%s (in the merged chronology)", n);
		kv_row(pk, &t, "Chronology rows", m);
		free(m);
	}
	if (!q->complete && q->f[R_MISSING] != NULL) {
		m = missing_words(q->f[R_MISSING]);
		kv_row(pk, &t, "Missing or unreadable", m);
		free(m);
	}
	pk->y += 8;

	if (q->nil) {
		para(pk, ST_BODY, "Nil return: the agency had no involvement "
		    "with the child or family.", 6);
	} else {
		answer(pk, "Summary of involvement", q->f[R_INVOLVEMENT]);
		heading(pk, 3, "Analysis", NULL, 40);
		for (i = 0; i < sizeof analysis_fields /
		    sizeof analysis_fields[0]; i++)
			answer(pk, analysis_fields[i].label,
			    q->f[analysis_fields[i].f]);
		heading(pk, 3, "Actions", NULL, 40);
		for (i = 0; i < sizeof action_fields /
		    sizeof action_fields[0]; i++)
			answer(pk, action_fields[i].label,
			    q->f[action_fields[i].f]);
		heading(pk, 3, "Judgement", NULL, 40);
		answer(pk, "Does the agency consider the LCSPR criteria met?",
		    lcspr_words(q->f[R_LCSPR_VIEW]));
		for (i = 0; i < sizeof judgement_fields /
		    sizeof judgement_fields[0]; i++)
			answer(pk, judgement_fields[i].label,
			    q->f[judgement_fields[i].f]);
	}
	heading(pk, 3, "Sign-off", NULL, 20);
	if (q->f[R_SIGNED_OFF_BY] != NULL) {
		iso_long(q->f[R_SIGNED_OFF], buf, sizeof buf);
		m = *buf != '\0' ? mk("Quality assured by %s on %s.",
		    q->f[R_SIGNED_OFF_BY], buf) : mk("Quality assured by %s.",
		    q->f[R_SIGNED_OFF_BY]);
		para(pk, ST_BODY, m, 4);
		free(m);
	} else
		para(pk, ST_BODY, "<span foreground='" M_GREY "'><i>Not "
		    "signed off.</i></span>", 4);
}

static void
draw_agencies(struct pk *pk)
{
	const struct pk_data	*d = pk->d;
	size_t			 i, n = 0;

	section(pk, SEC_AGENCIES, 1, 90);
	para(pk, ST_BODY, "Each agency's current return: its analysis of "
	    "its own practice, the actions it has taken or proposes, and its "
	    "view on whether the criteria for a local child safeguarding "
	    "practice review are met. Draft returns are shown as received "
	    "and marked.", 4);
	for (i = 0; i < d->n_requests; i++) {
		if (!d->requests[i].has_return)
			continue;
		draw_agency(pk, &d->requests[i]);
		n++;
	}
	if (n == 0)
		para(pk, ST_BODY, "<i>No returns have been received.</i>", 0);
}

static void
draw_outstanding(struct pk *pk)
{
	static const double	 w[] = { 130, 130, 95, CONTENT_W - 355 };
	static const char *const head[] = { "Agency", "Status", "Due",
	    "Note" };
	const struct pk_data	*d = pk->d;
	const struct pk_request	*q;
	struct table		 t = { 4, w, head, 1, 0, 0, NULL };
	struct membuf		 note;
	char			 buf[64], *cells[4];
	long			 due;
	size_t			 i, n = 0;
	int			 j;

	section(pk, SEC_OUTSTANDING, 0, 60);
	for (i = 0; i < d->n_requests; i++) {
		q = &d->requests[i];
		if (q->state != NULL && (strcmp(q->state, "returned") == 0 ||
		    strcmp(q->state, "waived") == 0))
			continue;
		if (n++ == 0)
			table_start(pk, &t, 24);
		due = request_due(q);
		if (due != DB_NO_DAY)
			day_long(due, buf, sizeof buf);
		else
			snprintf(buf, sizeof buf, "?");
		memset(&note, 0, sizeof note);
		membuf_add(&note, "", 0);
		if (q->extended_due != NULL) {
			membuf_adds(&note, "Extended: ");
			markup_escape(&note, q->extended_reason != NULL ?
			    q->extended_reason : "");
		}
		if (q->out_of_office) {
			if (note.len > 0)
				membuf_adds(&note, "\n");
			membuf_adds(&note, "An out-of-office reply came back.");
		}
		cells[0] = mk("<b>%s</b>", q->name);
		cells[1] = mk("%s", state_words(q->state));
		cells[2] = due != DB_NO_DAY && due < pk->today ?
		    mk("<span foreground='" M_RED "'><b>%s</b></span>", buf) :
		    mk("%s", buf);
		cells[3] = (char *)note.p;
		table_row(pk, &t, (const char *const *)cells);
		for (j = 0; j < 4; j++)
			free(cells[j]);
	}
	if (n == 0)
		para(pk, ST_BODY, "Every agency asked has sent a complete "
		    "return, or its request was waived.", 0);
}

static void
decision(struct pk *pk, int n, const char *title, const char *text)
{
	PangoLayout	*l = pk->ly[ST_H3];
	char		*m, num[16];
	double		 h;

	snprintf(num, sizeof num, "%d", n);
	m = mk("%s.  %s", num, title);
	layout_set(l, m, pk->cw, PANGO_ALIGN_LEFT);
	free(m);
	h = layout_height(l);
	room(pk, h + 110);
	set_rgb(pk, C_NAVY);
	show_layout(pk, l, MARGIN_X, pk->y);
	set_rgb(pk, C_TEXT);
	pk->y += h + 3;
	para(pk, ST_BODY, text, 5);
	/* Room to write the decision by hand. */
	room(pk, 58);
	set_rgb(pk, C_RULE);
	if (pk->cr != NULL) {
		cairo_set_line_width(pk->cr, 0.5);
		cairo_rectangle(pk->cr, MARGIN_X, pk->y, pk->cw, 52);
		cairo_stroke(pk->cr);
	}
	set_rgb(pk, C_TEXT);
	pk->y += 52 + 12;
}

static void
draw_decisions(struct pk *pk)
{
	const struct pk_data	*d = pk->d;
	const struct pk_request	*q;
	long			 views[4] = { 0, 0, 0, 0 };
	char			 v[4][16], due[64], *m;
	const char		*s;
	size_t			 i;
	int			 k;

	section(pk, SEC_DECISIONS, 1, 120);
	for (i = 0; i < d->n_requests; i++) {
		q = &d->requests[i];
		if (!q->has_return || q->nil)
			continue;
		s = q->f[R_LCSPR_VIEW];
		k = s == NULL ? 3 : strcmp(s, "yes") == 0 ? 0 :
		    strcmp(s, "no") == 0 ? 1 : strcmp(s, "unsure") == 0 ? 2 : 3;
		views[k]++;
	}
	for (k = 0; k < 4; k++)
		snprintf(v[k], sizeof v[k], "%ld", views[k]);
	*due = '\0';
	for (i = 0; i < d->n_milestones; i++)
		if (d->milestones[i].kind != NULL &&
		    strcmp(d->milestones[i].kind, "panel_submission") == 0)
			iso_long(d->milestones[i].extended_due != NULL ?
			    d->milestones[i].extended_due :
			    d->milestones[i].due_date, due, sizeof due);

	decision(pk, 1, "Immediate safety actions", "Is any child at risk "
	    "now, including the child's siblings and other children in "
	    "contact with the adults concerned? What must be done at once, "
	    "and by whom?");
	decision(pk, 2, "Learning to share now", "What has the review "
	    "already shown that agencies and practitioners should know "
	    "before any further review: practice to change, or good "
	    "practice to spread?");
	m = mk("Do the partners consider the criteria for a local child "
	    "safeguarding practice review met, and what do they recommend "
	    "to the National Panel, with their reasons? The agencies' "
	    "returns say: yes <b>%s</b>, no <b>%s</b>, unsure <b>%s</b>, "
	    "no view given <b>%s</b>. Consider also whether the case may "
	    "be complex or of national importance.", v[0], v[1], v[2], v[3]);
	decision(pk, 3, "Are the LCSPR criteria met? The recommendation to "
	    "the National Panel", m);
	free(m);
	decision(pk, 4, "Another type of review", "If not an LCSPR, would "
	    "another route give the learning: a single-agency review, a "
	    "multi-agency audit, a thematic review, or the learning from "
	    "parallel processes (criminal investigation, coroner, child "
	    "death review, domestic homicide review)?");
	m = *due != '\0' ? mk("The actions agreed, each with an owner and a "
	    "date. The Rapid Review report goes to the National Panel by "
	    "<b>%s</b>.", due) : mk("The actions agreed, each with an owner "
	    "and a date, and who sends the Rapid Review report to the "
	    "National Panel.");
	decision(pk, 5, "Who does what, by when", m);
	free(m);
}

static void
render(struct pk *pk)
{
	pk->page = 0;
	pk->landscape = 0;
	pk->outline_h1 = 0;
	page_break(pk);
	outline_add(pk, 1, "Cover");
	draw_cover(pk);
	draw_purpose(pk);
	draw_background(pk);
	draw_timeline(pk);
	draw_returns(pk);
	draw_chronology(pk);
	draw_agencies(pk);
	draw_outstanding(pk);
	draw_decisions(pk);
	if (pk->cr != NULL)
		cairo_show_page(pk->cr);
}

/* ---------------------------------------------------------------- */

static cairo_status_t
pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	membuf_add(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

static void
pk_layouts_free(struct pk *pk)
{
	int	i;

	for (i = 0; i < ST_COUNT; i++)
		if (pk->ly[i] != NULL)
			g_object_unref(pk->ly[i]);
	for (i = 0; i < MAX_COLS; i++)
		if (pk->col[i] != NULL)
			g_object_unref(pk->col[i]);
	if (pk->ctx != NULL)
		g_object_unref(pk->ctx);
}

static PangoLayout *
layout_new(PangoContext *ctx, const char *font)
{
	PangoLayout		*l = pango_layout_new(ctx);
	PangoFontDescription	*fd = pango_font_description_from_string(font);

	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_auto_dir(l, FALSE);
	return l;
}

static void
pk_layouts_new(struct pk *pk)
{
	PangoFontMap		*fm = pango_cairo_font_map_get_default();
	cairo_font_options_t	*fo;
	PangoTabArray		*tabs;
	int			 i;

	pk->ctx = pango_font_map_create_context(fm);
	/* Unhinted metrics at 72 dpi: points, the same on both passes. */
	fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(pk->ctx, fo);
	cairo_font_options_destroy(fo);
	pango_cairo_context_set_resolution(pk->ctx, 72.0);
	pango_context_set_language(pk->ctx,
	    pango_language_from_string("en-gb"));
	/*
	 * An English document: a line that starts with a name in Arabic is
	 * still read left to right ("NAME (age 7)"), the name itself right
	 * to left.
	 */
	pango_context_set_base_dir(pk->ctx, PANGO_DIRECTION_LTR);

	for (i = 0; i < ST_COUNT; i++)
		pk->ly[i] = layout_new(pk->ctx, style_fonts[i]);
	for (i = 0; i < MAX_COLS; i++)
		pk->col[i] = layout_new(pk->ctx, CELL_FONT);
	tabs = pango_tab_array_new_with_positions(1, TRUE, PANGO_TAB_LEFT,
	    (int)BULLET_INDENT);
	pango_layout_set_tabs(pk->ly[ST_BODY], tabs);
	pango_tab_array_free(tabs);
	pango_layout_set_spacing(pk->ly[ST_BODY], (int)(1.5 * PANGO_SCALE));
}

int
pack_build(struct store *st, const struct config *cfg,
    const struct calendar *cal, const char *ref, long long now,
    int version, struct pack_output *out, char **cause)
{
	struct pk_data		 d;
	struct pk		 pk;
	struct membuf		 pdf = { NULL, 0, 0 };
	char			*title = NULL, date[32];
	long			 day;
	int			 minutes, pages;
	cairo_status_t		 cs;

	memset(out, 0, sizeof *out);
	memset(&pk, 0, sizeof pk);
	if (pk_data_load(st, cfg, ref, &d, cause) != 0)
		return -1;

	pk.cfg = cfg;
	pk.cal = cal;
	pk.d = &d;
	pk.tz = cfg != NULL && cfg->partnership.timezone != NULL ?
	    cfg->partnership.timezone : "Europe/London";
	pk.marking = cfg != NULL && cfg->partnership.marking != NULL &&
	    *cfg->partnership.marking != '\0' ? cfg->partnership.marking :
	    NULL;
	pk.version = version < 1 ? 1 : version;
	pk.now = now;
	if (local_time(&pk, now, &day, &minutes) != 0) {
		xasprintf(cause, "time zone %s unusable", pk.tz);
		goto fail;
	}
	pk.today = day;
	pk_layouts_new(&pk);

	/* Measure: how many pages, and where each section starts. */
	render(&pk);
	pages = pk.page;

	pk.pages = pages;
	pk.surface = cairo_pdf_surface_create_for_stream(pdf_write, &pdf,
	    PAGE_W, PAGE_H);
	/* The title names the case, never the child. */
	xasprintf(&title, "Rapid Review meeting pack %s", d.c[C_REF]);
	cairo_pdf_surface_set_metadata(pk.surface, CAIRO_PDF_METADATA_TITLE,
	    title);
	cairo_pdf_surface_set_metadata(pk.surface, CAIRO_PDF_METADATA_CREATOR,
	    "rapidreviewd");
	{
		time_t		t = (time_t)now;
		struct tm	tm;

		if (gmtime_r(&t, &tm) != NULL &&
		    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
			cairo_pdf_surface_set_metadata(pk.surface,
			    CAIRO_PDF_METADATA_CREATE_DATE, date);
	}
	if (pk.marking != NULL)
		cairo_pdf_surface_set_metadata(pk.surface,
		    CAIRO_PDF_METADATA_KEYWORDS, pk.marking);
	pk.cr = cairo_create(pk.surface);
	render(&pk);
	cairo_destroy(pk.cr);
	pk.cr = NULL;
	cairo_surface_finish(pk.surface);
	cs = cairo_surface_status(pk.surface);
	cairo_surface_destroy(pk.surface);
	pk.surface = NULL;
	if (cs != CAIRO_STATUS_SUCCESS) {
		xasprintf(cause, "pdf: %s", cairo_status_to_string(cs));
		goto fail;
	}
	if (pk.page != pages) {
		xasprintf(cause, "pdf: %d pages measured, %d drawn", pages,
		    pk.page);
		goto fail;
	}

	out->csv = chronology_csv(&d.chron, &out->csv_len);
	out->pdf = pdf.p;
	out->pdf_len = pdf.len;
	log_debug("pack %s: version %d, %d pages, %zu rows, %zu bytes",
	    d.c[C_REF], pk.version, pages, d.chron.n_rows, pdf.len);
	free(title);
	pk_layouts_free(&pk);
	pk_data_free(&d);
	return 0;

fail:
	free(pdf.p);
	free(title);
	pk_layouts_free(&pk);
	pk_data_free(&d);
	return -1;
}

void
pack_output_clear(struct pack_output *o)
{
	if (o == NULL)
		return;
	free(o->pdf);
	free(o->csv);
	memset(o, 0, sizeof *o);
}

void
pack_shutdown(void)
{
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	/* fontconfig's configuration, which pango's font map loaded. */
	FcFini();
}
