/*
 * textform.c - the plain-text return typed into a reply (SPEC §3.3 item
 * 4), and the nil return written as a first line.
 *
 * The form lies between "--- RAPID REVIEW RETURN <ref> BEGIN ---" and
 * "--- END ---". It is looked for in this order: in the text typed this
 * time (mime_split_quoted's new text; the last copy there wins), then a
 * "NIL RETURN" first line, then in the whole text with "> " prefixes
 * removed (the copy with most in it wins, then the least quoted, then the
 * first: in a top-posted thread the first copy is the latest). A copy
 * with nothing filled in is no return: a reply that only quotes the
 * request is a note. Mail clients mangle what they send: lines are wrapped
 * near 76 columns, blank lines appear between lines, labels get bold
 * stars from HTML; each of these is tolerated. Nothing here logs: the
 * values are personal data.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agencyreturn.h"
#include "forms.h"
#include "mime.h"
#include "text.h"
#include "xmalloc.h"

#define TF_MAX_TEXT	(4 * 1024 * 1024)	/* bytes read of a text */
#define TF_MAX_LINE	(64 * 1024)		/* bytes read of a line */
#define TF_LABEL_SCAN	120	/* bytes of a line where "Label:" may end */
#define TF_MARKER_MAX	300	/* longest marker line */
#define TF_WRAP_MIN	60	/* shortest line a mail client wrapped */
#define TF_WRAP_MAX	80	/* longest, before quote prefixes */
#define TF_CELLS	16	/* cells kept of a chronology line */
#define TF_NAME_MAX	100	/* longest line read as "Name, Role" */
#define TF_NAME_WORDS	6	/* most words in a name */
#define TF_HDR_WINDOW	8	/* lines an Outlook header block spans */
#define TF_ATTR_MAX	400	/* longest "On ... wrote:" */

#define TF_CHRON	(-2)	/* tf_label: the chronology label */

enum tf_marker { TF_NONE, TF_BEGIN, TF_END };

struct tf_line {
	const char	*s;	/* the text, quote prefix removed */
	size_t		 n;	/* its length, without "\n" */
	size_t		 raw;	/* the length as written */
	int		 depth;	/* '>' in the quote prefix */
};

struct tf_lines {
	struct tf_line	*v;
	size_t		 n;
};

struct tf_buf {
	char	*s;
	size_t	 n;
	size_t	 cap;
};

/* One BEGIN ... END: lines [from, to), and how deep the BEGIN was quoted. */
struct tf_block {
	size_t	from;
	size_t	to;
	int	depth;
};

struct tf_parse {
	struct agency_return	*ret;
	int			 cur;		/* field being read, or -1 */
	struct tf_buf		 val;		/* its text so far */
	int			 blanks;	/* blank lines after val */
	int			 wrapped;	/* the last line was wrapped */
	int			 seen[AR_NFIELDS];
	int			 chron;		/* reading chronology lines */
	int			 chron_open;	/* its label's "(" goes on */
	int			 rows_full;	/* AR_MAX_ROWS reached */
	int			 lost_line;	/* a line was left out */
	struct tf_buf		 cell[TF_CELLS]; /* the row being read */
	size_t			 n_cells;	/* 0: none */
	int			 row_wrapped;	/* its last line was wrapped */
};

static void	 tf_buf_add(struct tf_buf *, const char *, size_t);
static void	 tf_buf_free(struct tf_buf *);
static char	*tf_normalise(const char *);
static size_t	 tf_utf8_cut(const char *, size_t);
static void	 tf_split(const char *, int, struct tf_lines *);
static int	 tf_is_wrapped(const struct tf_line *);
static enum tf_marker tf_marker(const char *, size_t);
static size_t	 tf_blocks(const struct tf_lines *, struct tf_block **);
static int	 tf_is_date(const char *, const char *);
static int	 tf_label(const char *, const char *, const char **, int *);
static int	 tf_single_line(int);
static int	 tf_is_bullet(const char *, const char *);
static void	 tf_field_end(struct tf_parse *);
static void	 tf_field_add(struct tf_parse *, const char *, const char *,
		    int);
static size_t	 tf_cells(const char *, const char *, char, struct tf_buf *,
		    int *);
static void	 tf_row_end(struct tf_parse *);
static void	 tf_row_line(struct tf_parse *, const char *, const char *,
		    char, int);
static void	 tf_row_more(struct tf_parse *, const char *, const char *,
		    int);
static void	 tf_parse_line(struct tf_parse *, const struct tf_line *);
static struct agency_return *tf_parse_block(const struct tf_lines *,
		    const struct tf_block *);
static struct agency_return *tf_best(const struct tf_lines *, int);
static int	 tf_starts_word(const char *, const char *, const char *);
static int	 tf_is_greeting(const char *, const char *);
static int	 tf_is_signoff(const char *, const char *);
static int	 tf_is_history(const struct tf_lines *, size_t);
static const char *tf_nil_rest(const char *, const char *);
static int	 tf_is_nil(const char *, const char *);
static int	 tf_name(struct agency_return *, const char *, const char *);
static struct agency_return *tf_nil(const char *);

static void
tf_buf_add(struct tf_buf *b, const char *s, size_t n)
{
	/* Past the field limit ar_set_field cuts and warns: stop growing. */
	if (b->n > AR_MAX_FIELD_BYTES + 1)
		return;
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap == 0 ? 128 : b->cap * 2;
		b->s = xreallocarray(b->s, 1, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void
tf_buf_free(struct tf_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

/* Length of the first n bytes of s, cut back to a UTF-8 boundary. */
static size_t
tf_utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* The first TF_MAX_TEXT bytes with "\r\n" and "\r" as "\n". */
static char *
tf_normalise(const char *text)
{
	size_t	 len, i, n = 0;
	char	*out;

	len = strnlen(text, TF_MAX_TEXT + 1);
	if (len > TF_MAX_TEXT)
		len = tf_utf8_cut(text, TF_MAX_TEXT);
	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (text[i] == '\r') {
			out[n++] = '\n';
			if (i + 1 < len && text[i + 1] == '\n')
				i++;
		} else
			out[n++] = text[i];
	}
	out[n] = '\0';
	return out;
}

/*
 * The lines of text (LF only), each cut at TF_MAX_LINE. With unquote, a
 * leading run of '>' (spaces between, as in "> > ") is removed and
 * counted in depth.
 */
static void
tf_split(const char *text, int unquote, struct tf_lines *out)
{
	const char	*p, *nl;
	struct tf_line	*l;
	size_t		 cap = 0, n, i;

	memset(out, 0, sizeof *out);
	for (p = text;; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (out->n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			out->v = xreallocarray(out->v, cap, sizeof *out->v);
		}
		l = &out->v[out->n++];
		n = (size_t)(nl - p);
		if (n > TF_MAX_LINE)
			n = tf_utf8_cut(p, TF_MAX_LINE);
		l->s = p;
		l->n = l->raw = n;
		l->depth = 0;
		if (unquote) {
			for (i = 0; i < n && i < 4 && p[i] == ' '; i++)
				;
			if (i < n && p[i] == '>') {
				while (i < n && (p[i] == '>' || p[i] == ' ')) {
					if (p[i] == '>')
						l->depth++;
					i++;
				}
				l->s += i;
				l->n -= i;
			}
		}
		if (*nl == '\0')
			break;
	}
}

/* A line that a mail client may have broken at about 76 columns. */
static int
tf_is_wrapped(const struct tf_line *l)
{
	return l->raw >= TF_WRAP_MIN &&
	    l->raw <= TF_WRAP_MAX + 2 * (size_t)(l->depth < 8 ? l->depth : 8);
}

/*
 * A marker line: "--- RAPID REVIEW RETURN <ref> BEGIN ---" or "--- END
 * ---", in any case, with any number of dashes (also en and em dashes,
 * which autocorrect makes), spaces, and "*" or "_" from emphasis.
 */
static enum tf_marker
tf_marker(const char *s, size_t n)
{
	static const char	 head[] = "rapid review return";
	const char		*e = s + n;
	char			 w[TF_MARKER_MAX + 1];
	size_t			 k, len = 0, dashes = 0;
	int			 space = 0;

	if (n > TF_MARKER_MAX)
		return TF_NONE;
	for (;;) {
		if ((k = text_space_at(s, e)) > 0 || (s < e &&
		    (*s == '*' || *s == '_' || *s == '-' || *s == '='))) {
			dashes += s < e && *s == '-';
			s += k > 0 ? k : 1;
		} else if (e - s >= 3 && memcmp(s, "\xe2\x80", 2) == 0 &&
		    ((unsigned char)s[2] == 0x93 ||
		    (unsigned char)s[2] == 0x94)) {
			dashes++;
			s += 3;
		} else
			break;
	}
	for (;;) {
		if (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '*' ||
		    e[-1] == '_' || e[-1] == '-' || e[-1] == '=')) {
			dashes += e[-1] == '-';
			e--;
		} else if (e - s >= 2 && (unsigned char)e[-2] == 0xc2 &&
		    (unsigned char)e[-1] == 0xa0)
			e -= 2;
		else if (e - s >= 3 && memcmp(e - 3, "\xe2\x80", 2) == 0 &&
		    ((unsigned char)e[-1] == 0x93 ||
		    (unsigned char)e[-1] == 0x94)) {
			dashes++;
			e -= 3;
		} else
			break;
	}
	/* Lower case, white space runs as one space. */
	for (; s < e; s++) {
		if ((k = text_space_at(s, e)) > 0) {
			space = 1;
			s += k - 1;
			continue;
		}
		if (space && len > 0)
			w[len++] = ' ';
		space = 0;
		w[len++] = (char)tolower((unsigned char)*s);
	}
	w[len] = '\0';
	if (len >= sizeof head - 1 + 6 && memcmp(w, head, sizeof head - 1) ==
	    0 && (w[sizeof head - 1] == ' ' || w[sizeof head - 1] == '\0')) {
		if (strcmp(w + len - 6, " begin") == 0)
			return TF_BEGIN;
		if (len >= sizeof head - 1 + 4 &&
		    strcmp(w + len - 4, " end") == 0)
			return TF_END;
	}
	if (strcmp(w, "end") == 0 && dashes > 0)
		return TF_END;
	if (strncmp(w, "end ", 4) == 0 && strstr(w, "return") != NULL)
		return TF_END;
	return TF_NONE;
}

/*
 * The BEGIN ... END blocks of lines. A block without its END runs to the
 * next BEGIN or the end of the text. Returns how many; *out is
 * caller-freed.
 */
static size_t
tf_blocks(const struct tf_lines *lines, struct tf_block **out)
{
	struct tf_block	*v = NULL;
	size_t		 n = 0, cap = 0, i, j;
	enum tf_marker	 m = TF_NONE;

	for (i = 0; i < lines->n; i++) {
		if (tf_marker(lines->v[i].s, lines->v[i].n) != TF_BEGIN)
			continue;
		for (j = i + 1; j < lines->n; j++)
			if ((m = tf_marker(lines->v[j].s, lines->v[j].n)) !=
			    TF_NONE)
				break;
		if (n == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[n].from = i + 1;
		v[n].to = j;
		v[n].depth = lines->v[i].depth;
		n++;
		/* A BEGIN that ends the block starts the next one. */
		if (j < lines->n && m == TF_BEGIN)
			i = j - 1;
		else
			i = j;
	}
	*out = v;
	return n;
}

/* Is [s, e) a date (with perhaps a time)? */
static int
tf_is_date(const char *s, const char *e)
{
	char	buf[64], iso[11];

	if (e - s >= (ptrdiff_t)sizeof buf)
		return 0;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return ar_parse_date(buf, iso) == 0;
}

/*
 * A label line [s, e), trimmed: "Label: value" (or a TAB for the colon,
 * as tables turned into text have) where the text before the first colon
 * outside brackets is a label. Returns the field with *value set, or
 * TF_CHRON for the chronology label ("Chronology (one line each: ...):",
 * *open set when its bracket goes on over the next line), or -1.
 */
static int
tf_label(const char *s, const char *e, const char **value, int *open)
{
	const char	*p, *lim, *sep = NULL, *le;
	char		*label;
	int		 depth = 0, emph = 0, f;

	*open = 0;
	while (s < e && (*s == '*' || *s == '_')) {
		s++;
		emph = 1;
	}
	lim = e - s > TF_LABEL_SCAN ? s + TF_LABEL_SCAN : e;
	for (p = s; p < lim; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if ((*p == ')' || *p == ']') && depth > 0)
			depth--;
		else if (depth == 0 && *p == '|')
			return -1;	/* a chronology line */
		else if (depth == 0 && (*p == ':' || *p == '\t')) {
			sep = p;
			break;
		}
	}
	if (sep == NULL) {
		/* "Chronology (one line each: ... |" wrapped before "):". */
		if (e - s >= 10 && strncasecmp(s, "chronology", 10) == 0 &&
		    (e - s == 10 || s[10] == ' ' || s[10] == '(')) {
			*open = depth > 0;
			*value = e;
			return TF_CHRON;
		}
		return -1;
	}
	for (le = sep; le > s && (le[-1] == ' ' || le[-1] == '*' ||
	    le[-1] == '_'); le--)
		;
	if (le == s)
		return -1;
	label = xstrndup(s, (size_t)(le - s));
	f = ar_field_from_label(label);
	if (f < 0 && strncasecmp(label, "chronology", 10) == 0)
		f = TF_CHRON;
	free(label);
	if (f == -1)
		return -1;
	p = sep + 1;
	while (p < e && (text_space_at(p, e) > 0 || (emph && (*p == '*' ||
	    *p == '_'))))
		p += text_space_at(p, e) > 0 ? text_space_at(p, e) : 1;
	*value = p;
	return f;
}

/* Fields whose value is one line: a wrapped value goes on with a space. */
static int
tf_single_line(int f)
{
	switch (f) {
	case AR_AGENCY:
	case AR_AUTHOR:
	case AR_ROLE:
	case AR_EMAIL:
	case AR_PHONE:
	case AR_COMPLETED:
	case AR_INVOLVED:
	case AR_FIRST_CONTACT:
	case AR_LAST_CONTACT:
	case AR_CASE_STATUS:
	case AR_LCSPR_VIEW:
	case AR_RECORDS_SECURED:
	case AR_SIGNED_OFF_BY:
	case AR_SIGNED_OFF:
		return 1;
	default:
		return 0;
	}
}

/* A list item: "- ", "* ", "• ", "1. ", "2) ". */
static int
tf_is_bullet(const char *s, const char *e)
{
	const char	*p;

	if (e - s >= 2 && (*s == '-' || *s == '*' || *s == '+') &&
	    s[1] == ' ')
		return 1;
	if (e - s >= 3 && (memcmp(s, "\xe2\x80\xa2", 3) == 0 ||
	    memcmp(s, "\xe2\x80\x93", 3) == 0))
		return 1;
	for (p = s; p < e && p - s < 3 && isdigit((unsigned char)*p); p++)
		;
	return p > s && p + 1 < e && (*p == '.' || *p == ')') && p[1] == ' ';
}

static void
tf_field_end(struct tf_parse *p)
{
	if (p->cur >= 0) {
		ar_set_field(p->ret, (enum ar_field)p->cur,
		    p->val.s != NULL ? p->val.s : "");
		p->seen[p->cur] = 1;
	}
	p->cur = -1;
	p->val.n = 0;
	if (p->val.s != NULL)
		p->val.s[0] = '\0';
	p->blanks = 0;
	p->wrapped = 0;
}

/*
 * A line of the current field's value. Blank lines inside an answer are
 * kept (a run as one); a line that looks wrapped goes on with a space.
 */
static void
tf_field_add(struct tf_parse *p, const char *s, const char *e, int wrapped)
{
	if (s == e) {
		if (p->val.n > 0)
			p->blanks = 1;
		p->wrapped = 0;
		return;
	}
	if (p->val.n > 0) {
		if (p->blanks)
			tf_buf_add(&p->val, "\n\n", 2);
		else if (tf_single_line(p->cur) ||
		    (p->wrapped && !tf_is_bullet(s, e)))
			tf_buf_add(&p->val, " ", 1);
		else
			tf_buf_add(&p->val, "\n", 1);
	}
	tf_buf_add(&p->val, s, (size_t)(e - s));
	p->blanks = 0;
	p->wrapped = wrapped;
}

/*
 * Split a chronology line at sep ('|', or TAB from an HTML table) into
 * cells (trimmed; an empty cell before a leading sep and after a trailing
 * one dropped; past TF_CELLS the rest goes into the last). *lead is set
 * for a leading sep.
 */
static size_t
tf_cells(const char *s, const char *e, char sep, struct tf_buf *cell,
    int *lead)
{
	const char	*a, *b, *bar;
	size_t		 n = 0;

	*lead = s < e && *s == sep;
	if (*lead)
		s++;
	if (e > s && e[-1] == sep)
		e--;
	for (;;) {
		bar = memchr(s, sep, (size_t)(e - s));
		if (bar == NULL || n == TF_CELLS - 1)
			bar = e;
		a = s;
		b = bar;
		text_trim(&a, &b);
		cell[n].n = 0;
		tf_buf_add(&cell[n], "", 0);
		tf_buf_add(&cell[n], a, (size_t)(b - a));
		n++;
		if (bar == e)
			break;
		s = bar + 1;
	}
	return n;
}

/* The chronology columns of a row of n cells, as SPEC §3.3 lays out. */
static void
tf_row_end(struct tf_parse *p)
{
	static const enum ar_column	 two[] = { AR_COL_DATE, AR_COL_EVENT,
	    AR_COL_OUTCOME }, four[] = { AR_COL_DATE, AR_COL_CONTACT_TYPE,
	    AR_COL_EVENT, AR_COL_OUTCOME }, six[] = { AR_COL_DATE,
	    AR_COL_CONTACT_TYPE, AR_COL_SEEN, AR_COL_EVENT, AR_COL_OUTCOME,
	    AR_COL_SIGNIFICANCE };
	struct ar_row	*row;
	struct tf_buf	 event = { NULL, 0, 0 };
	size_t		 n = p->n_cells, i;
	char		 iso[11];

	p->n_cells = 0;
	p->row_wrapped = 0;
	if (n == 0 || p->rows_full)
		return;
	if ((row = ar_add_row(p->ret)) == NULL) {
		p->rows_full = 1;
		return;
	}
	if (n == 1)
		ar_row_set(row, ar_parse_date(p->cell[0].s, iso) == 0 ?
		    AR_COL_DATE : AR_COL_EVENT, p->cell[0].s);
	else if (n <= 3)
		for (i = 0; i < n; i++)
			ar_row_set(row, two[i], p->cell[i].s);
	else if (n == 4)
		for (i = 0; i < n; i++)
			ar_row_set(row, four[i], p->cell[i].s);
	else if (n <= 6) {
		/* Five cells: no significance. */
		for (i = 0; i < n; i++)
			ar_row_set(row, six[i], p->cell[i].s);
	} else {
		/* More: the extra '|' were in the event text. */
		for (i = 0; i < 3; i++)
			ar_row_set(row, six[i], p->cell[i].s);
		for (i = 3; i < n - 2; i++) {
			if (i > 3)
				tf_buf_add(&event, " | ", 3);
			tf_buf_add(&event, p->cell[i].s, p->cell[i].n);
		}
		ar_row_set(row, AR_COL_EVENT, event.s);
		ar_row_set(row, AR_COL_OUTCOME, p->cell[n - 2].s);
		ar_row_set(row, AR_COL_SIGNIFICANCE, p->cell[n - 1].s);
		tf_buf_free(&event);
	}
	/* "2024-07-01 09:30": the time read from the date is the time. */
	if (row->time[0] != '\0' && row->col[AR_COL_TIME] == NULL)
		ar_row_set(row, AR_COL_TIME, row->time);
}

/*
 * A chronology line with '|'. After a wrapped line, a line that does not
 * start with a date is the rest of the row: its first cell goes on the
 * row's last, the others add cells.
 */
static void
tf_row_line(struct tf_parse *p, const char *s, const char *e, char sep,
    int wrapped)
{
	struct tf_buf	 cell[TF_CELLS];
	size_t		 n, i, k;
	int		 lead, col, rule;
	char		 iso[11];

	memset(cell, 0, sizeof cell);
	n = tf_cells(s, e, sep, cell, &lead);
	/* "|---|:--|" under a table header. */
	rule = 1;
	for (i = 0; i < n && rule; i++)
		if (cell[i].n == 0 || strspn(cell[i].s, "-:= ") != cell[i].n)
			rule = 0;
	col = cell[0].n > 0 ? ar_column_from_label(cell[0].s) : -1;
	if (rule || (col == AR_COL_DATE &&
	    ar_parse_date(cell[0].s, iso) != 0)) {
		/* A header row typed above the rows. */
		tf_row_end(p);
		goto done;
	}
	if (p->n_cells > 0 && p->row_wrapped &&
	    ar_parse_date(cell[0].s, iso) != 0 &&
	    p->n_cells + n - (lead ? 0 : 1) <= 6) {
		k = 0;
		if (!lead && cell[0].n > 0) {
			tf_buf_add(&p->cell[p->n_cells - 1], " ", 1);
			tf_buf_add(&p->cell[p->n_cells - 1], cell[0].s,
			    cell[0].n);
			k = 1;
		} else if (!lead)
			k = 1;
		for (i = k; i < n; i++) {
			p->cell[p->n_cells].n = 0;
			tf_buf_add(&p->cell[p->n_cells], "", 0);
			tf_buf_add(&p->cell[p->n_cells], cell[i].s,
			    cell[i].n);
			p->n_cells++;
		}
		p->row_wrapped = wrapped;
		goto done;
	}
	tf_row_end(p);
	for (i = 0; i < n; i++) {
		p->cell[i].n = 0;
		tf_buf_add(&p->cell[i], "", 0);
		tf_buf_add(&p->cell[i], cell[i].s, cell[i].n);
	}
	p->n_cells = n;
	p->row_wrapped = wrapped;
done:
	for (i = 0; i < TF_CELLS; i++)
		tf_buf_free(&cell[i]);
}

/*
 * A chronology line without '|': more of the row above. After a wrapped
 * line it goes on the last cell with a space; else it is another line of
 * the event.
 */
static void
tf_row_more(struct tf_parse *p, const char *s, const char *e, int wrapped)
{
	size_t	 n = p->n_cells, i;

	if (n == 0) {
		if (!p->lost_line)
			ar_warn(p->ret, "Chronology: a line without '|' "
			    "between its columns was left out");
		p->lost_line = 1;
		return;
	}
	if (p->row_wrapped) {
		for (i = n; i > 1 && p->cell[i - 1].n == 0; i--)
			;
		i--;
		if (p->cell[i].n > 0)
			tf_buf_add(&p->cell[i], " ", 1);
	} else {
		i = n == 1 ? 0 : n <= 3 ? 1 : n == 4 ? 2 : 3;
		if (p->cell[i].n > 0)
			tf_buf_add(&p->cell[i], "\n", 1);
	}
	tf_buf_add(&p->cell[i], s, (size_t)(e - s));
	p->row_wrapped = wrapped;
}

static void
tf_parse_line(struct tf_parse *p, const struct tf_line *l)
{
	const char	*s = l->s, *e = l->s + l->n, *v, *close;
	int		 f, open, wrapped = tf_is_wrapped(l);

	text_trim(&s, &e);
	/* "--- Analysis ---" and other rules inside the form. */
	if (e - s >= 3 && memcmp(s, "---", 3) == 0)
		return;
	if (p->chron_open) {
		/* "outcome):" of a wrapped chronology label. */
		p->chron_open = 0;
		if ((close = memchr(s, ')', (size_t)(e - s))) != NULL &&
		    memchr(s, '|', (size_t)(close - s)) == NULL &&
		    !tf_is_date(s, e)) {
			s = close + 1;
			while (s < e && (*s == ':' || *s == '*' ||
			    text_space_at(s, e) > 0))
				s += text_space_at(s, e) > 0 ?
				    text_space_at(s, e) : 1;
			if (s == e)
				return;
		}
	}
	f = tf_label(s, e, &v, &open);
	if (f == TF_CHRON || (f >= 0 && f != p->cur && !p->seen[f])) {
		tf_field_end(p);
		tf_row_end(p);
		p->chron = f == TF_CHRON;
		if (p->chron) {
			p->chron_open = open;
			if (memchr(v, '|', (size_t)(e - v)) != NULL)
				tf_row_line(p, v, e, '|', wrapped);
			return;
		}
		p->cur = f;
		tf_field_add(p, v, e, wrapped);
		return;
	}
	if (p->chron) {
		if (s == e)
			p->row_wrapped = 0;
		else if (memchr(s, '|', (size_t)(e - s)) != NULL)
			tf_row_line(p, s, e, '|', wrapped);
		else if (memchr(s, '\t', (size_t)(e - s)) != NULL)
			tf_row_line(p, s, e, '\t', wrapped);
		else
			tf_row_more(p, s, e, wrapped);
		return;
	}
	if (p->cur >= 0)
		tf_field_add(p, s, e, wrapped);
	/* Text before the first label (instructions) is not an answer. */
}

/* The return in one block. Caller frees. */
static struct agency_return *
tf_parse_block(const struct tf_lines *lines, const struct tf_block *b)
{
	struct tf_parse	 p;
	size_t		 i;

	memset(&p, 0, sizeof p);
	p.ret = ar_new(AR_SOURCE_TEXT);
	p.ret->found = 1;
	p.cur = -1;
	for (i = b->from; i < b->to; i++)
		tf_parse_line(&p, &lines->v[i]);
	tf_field_end(&p);
	tf_row_end(&p);
	tf_buf_free(&p.val);
	for (i = 0; i < TF_CELLS; i++)
		tf_buf_free(&p.cell[i]);
	ar_finish(p.ret);
	return p.ret;
}

/*
 * The block with the most in it, or NULL when none has anything. Ties
 * go to the last block with last set, else to the least quoted, then the
 * first.
 */
static struct agency_return *
tf_best(const struct tf_lines *lines, int last)
{
	struct tf_block		*b;
	struct agency_return	*best = NULL, *ret;
	size_t			 n, i, score, best_score = 0;
	int			 best_depth = 0;

	n = tf_blocks(lines, &b);
	for (i = 0; i < n; i++) {
		ret = tf_parse_block(lines, &b[i]);
		score = ar_count_fields(ret) + ret->n_rows;
		if (score > 0 && (best == NULL || score > best_score ||
		    (score == best_score && (last ||
		    b[i].depth < best_depth)))) {
			ar_free(best);
			best = ret;
			best_score = score;
			best_depth = b[i].depth;
		} else
			ar_free(ret);
	}
	free(b);
	return best;
}

/* Does [s, e) start with word (any case), followed by a non-letter? */
static int
tf_starts_word(const char *s, const char *e, const char *word)
{
	size_t	n = strlen(word);

	return (size_t)(e - s) >= n && strncasecmp(s, word, n) == 0 &&
	    (s + n == e || !isalpha((unsigned char)s[n]));
}

/* "Hi,", "Hello all", "Dear Sarah", "Good morning". */
static int
tf_is_greeting(const char *s, const char *e)
{
	static const char *const words[] = { "hi", "hello", "dear", "hey",
	    "good morning", "good afternoon", "good evening", "greetings",
	    "to whom", "morning", "afternoon", NULL };
	int	i;

	if (e - s > 60)
		return 0;
	for (i = 0; words[i] != NULL; i++)
		if (tf_starts_word(s, e, words[i]))
			return 1;
	return 0;
}

/* "Kind regards", "Thanks,", "Best wishes": a sign-off alone. */
static int
tf_is_signoff(const char *s, const char *e)
{
	static const char *const words[] = { "kind regards", "best regards",
	    "warm regards", "warmest regards", "many thanks", "regards",
	    "thanks", "thank you", "best wishes", "with thanks", "best",
	    "yours sincerely", "yours faithfully", "cheers", "all the best",
	    "with best wishes", "kindest regards", "with kind regards",
	    "many thanks and regards", NULL };
	const char	*p;
	size_t		 n;
	int		 i;

	for (i = 0; words[i] != NULL; i++) {
		n = strlen(words[i]);
		if ((size_t)(e - s) < n || strncasecmp(s, words[i], n) != 0)
			continue;
		for (p = s + n; p < e; p++)
			if (isalnum((unsigned char)*p) ||
			    ((unsigned char)*p & 0x80))
				break;
		if (p == e)
			return 1;
	}
	return 0;
}

/*
 * Does the quoted history start at line i? A "> " line, "-----Original
 * Message-----", a "____" rule, "On ... wrote:", an Outlook "From:"
 * header block, "Sent from my ...".
 */
static int
tf_is_history(const struct tf_lines *lines, size_t i)
{
	const struct tf_line	*l = &lines->v[i];
	const char		*s = l->s, *e = l->s + l->n;
	size_t			 k;

	text_trim(&s, &e);
	if (s < e && *s == '>')
		return 1;
	while (s < e && *s == '*')
		s++;
	if (e - s >= 5 && memcmp(s, "-----", 5) == 0)
		return 1;
	if (e - s >= 10 && strspn(s, "_") >= 10)
		return 1;
	if (e - s >= 6 && e - s < TF_ATTR_MAX &&
	    strncasecmp(e - 6, "wrote:", 6) == 0)
		return 1;
	if (i + 1 < lines->n && tf_starts_word(s, e, "on") &&
	    l->n + lines->v[i + 1].n < TF_ATTR_MAX &&
	    lines->v[i + 1].n >= 6 && strncasecmp(lines->v[i + 1].s +
	    lines->v[i + 1].n - 6, "wrote:", 6) == 0)
		return 1;
	if (tf_starts_word(s, e, "sent from my"))
		return 1;
	if (!tf_starts_word(s, e, "from") || e - s < 5 || s[4] != ':')
		return 0;
	for (k = i + 1; k < lines->n && k <= i + TF_HDR_WINDOW; k++) {
		s = lines->v[k].s;
		e = s + lines->v[k].n;
		text_trim(&s, &e);
		while (s < e && *s == '*')
			s++;
		if ((tf_starts_word(s, e, "sent") ||
		    tf_starts_word(s, e, "date")) && e - s > 4 &&
		    memchr(s, ':', (size_t)(e - s < 8 ? e - s : 8)) != NULL)
			return 1;
	}
	return 0;
}

/*
 * The text after "Nil return" and its punctuation on a nil line, or NULL
 * when there is none.
 */
static const char *
tf_nil_rest(const char *s, const char *e)
{
	const char	*p;

	while (s < e && (*s == '*' || *s == '_'))
		s++;
	if (e - s < 10 || strncasecmp(s, "nil", 3) != 0)
		return NULL;
	for (p = s + 3; p < e && text_space_at(p, e) > 0; p += text_space_at(p, e))
		;
	if (p == s + 3 || !tf_starts_word(p, e, "return"))
		return NULL;
	for (p += 6; p < e && (strchr(" \t.,:;-*_!", *p) != NULL ||
	    text_space_at(p, e) > 0 || (e - p >= 3 &&
	    memcmp(p, "\xe2\x80", 2) == 0 && ((unsigned char)p[2] == 0x93 ||
	    (unsigned char)p[2] == 0x94)));)
		p += text_space_at(p, e) > 0 ? text_space_at(p, e) :
		    (unsigned char)*p == 0xe2 ? 3 : 1;
	return p < e ? p : NULL;
}

/* "NIL RETURN", "Nil return.", "Nil return - ...", "... no involvement". */
static int
tf_is_nil(const char *s, const char *e)
{
	const char	*p;

	while (s < e && (*s == '*' || *s == '_'))
		s++;
	if (e - s >= 10 && strncasecmp(s, "nil", 3) == 0) {
		for (p = s + 3; p < e && text_space_at(p, e) > 0;
		    p += text_space_at(p, e))
			;
		if (p > s + 3 && tf_starts_word(p, e, "return"))
			return 1;
	}
	for (p = s; e - p >= 14; p++)
		if (strncasecmp(p, "no involvement", 14) == 0)
			return 1;
	return 0;
}

/*
 * A signature line "Jane Smith, Designated Safeguarding Lead" (or with
 * " - " or "|"): author and role set and 1 returned when the part before
 * the first separator looks like a name: a few words that start with a
 * capital (or a letter outside ASCII), short particles ("de", "van")
 * aside, no sentence punctuation, no address or number.
 */
static int
tf_name(struct agency_return *ret, const char *s, const char *e)
{
	const char	*p, *ne = e, *role = NULL, *w;
	char		*name, *r;
	size_t		 words = 0, caps = 0, len;

	if (e - s > TF_NAME_MAX || e == s)
		return 0;
	for (p = s; p < e; p++) {
		if (*p == ':' || *p == '@' || *p == '/' ||
		    isdigit((unsigned char)*p))
			return 0;
		if (*p == ',' || *p == '|') {
			ne = p;
			role = p + 1;
			break;
		}
		if (e - p >= 3 && p > s && p[-1] == ' ' && (*p == '-' ||
		    memcmp(p, "\xe2\x80\x93", 3) == 0)) {
			ne = p;
			role = p + (*p == '-' ? 1 : 3);
			break;
		}
	}
	while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t'))
		ne--;
	if (ne == s || strchr(".!?;", ne[-1]) != NULL)
		return 0;
	for (p = s; p < ne;) {
		while (p < ne && *p == ' ')
			p++;
		if (p == ne)
			break;
		w = p;
		while (p < ne && *p != ' ')
			p++;
		len = (size_t)(p - w);
		words++;
		if (isupper((unsigned char)*w) || ((unsigned char)*w & 0x80))
			caps++;
		else if (len > 3 || !isalpha((unsigned char)*w))
			return 0;
	}
	if (words == 0 || words > TF_NAME_WORDS || caps == 0)
		return 0;
	name = xstrndup(s, (size_t)(ne - s));
	ar_set_field(ret, AR_AUTHOR, name);
	free(name);
	if (role != NULL && ret->field[AR_ROLE] == NULL) {
		r = xstrndup(role, (size_t)(e - role));
		ar_set_field(ret, AR_ROLE, r);
		free(r);
	}
	return 1;
}

/*
 * A nil return: the first line typed, before any quoted history (a
 * greeting aside), says "NIL RETURN" or "no involvement". The author is
 * a "Completed by:" label, else the name after a sign-off, else the
 * first name-like line after the nil line. NULL when not a nil return.
 */
static struct agency_return *
tf_nil(const char *text)
{
	struct agency_return	*ret = NULL;
	struct tf_lines		 lines;
	const char		*s = NULL, *e = NULL, *v;
	char			*val;
	size_t			 end, i, first, signoff;
	int			 f, open;

	tf_split(text, 0, &lines);
	for (end = 0; end < lines.n && !tf_is_history(&lines, end); end++)
		;
	for (first = 0; first < end; first++) {
		s = lines.v[first].s;
		e = s + lines.v[first].n;
		text_trim(&s, &e);
		if (s != e && !tf_is_greeting(s, e))
			break;
	}
	if (first == end || !tf_is_nil(s, e))
		goto done;

	ret = ar_new(AR_SOURCE_TEXT);
	ret->found = 1;
	ar_set_field(ret, AR_INVOLVED, "no");
	signoff = end;
	for (i = first + 1; i < end; i++) {
		s = lines.v[i].s;
		e = s + lines.v[i].n;
		text_trim(&s, &e);
		if (signoff == end && tf_is_signoff(s, e))
			signoff = i;
		f = tf_label(s, e, &v, &open);
		if (f >= 0 && f != AR_INVOLVED && ret->field[f] == NULL) {
			val = xstrndup(v, (size_t)(e - v));
			ar_set_field(ret, (enum ar_field)f, val);
			free(val);
		}
	}
	if (ret->field[AR_AUTHOR] != NULL)
		goto finish;
	/* "NIL RETURN - Jane Smith, DSL" */
	s = lines.v[first].s;
	e = s + lines.v[first].n;
	text_trim(&s, &e);
	if ((v = tf_nil_rest(s, e)) != NULL && tf_name(ret, v, e))
		goto finish;
	/* After a sign-off, else after the nil line: the first name. */
	for (i = signoff < end ? signoff + 1 : first + 1; i < end; i++) {
		s = lines.v[i].s;
		e = s + lines.v[i].n;
		text_trim(&s, &e);
		if (s == e || tf_is_greeting(s, e) || tf_is_signoff(s, e) ||
		    (e - s == 2 && memcmp(s, "--", 2) == 0))
			continue;
		if (tf_name(ret, s, e))
			break;
		/* After a sign-off, the line under it or nothing. */
		if (signoff < end)
			break;
	}
finish:
	ar_finish(ret);
done:
	free(lines.v);
	return ret;
}

int
textform_read(const char *text, struct agency_return **out)
{
	struct agency_return	*ret;
	struct tf_lines		 lines;
	char			*norm, *new_text, *quoted;

	*out = NULL;
	if (text == NULL)
		return 0;
	norm = tf_normalise(text);
	mime_split_quoted(norm, &new_text, &quoted);

	tf_split(new_text, 0, &lines);
	ret = tf_best(&lines, 1);
	free(lines.v);
	if (ret == NULL)
		ret = tf_nil(norm);
	if (ret == NULL) {
		tf_split(norm, 1, &lines);
		ret = tf_best(&lines, 0);
		free(lines.v);
	}
	free(new_text);
	free(quoted);
	free(norm);
	*out = ret;
	return ret != NULL;
}
