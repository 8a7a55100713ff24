/*
 * csv.c - a chronology exported from a spreadsheet (SPEC §3.3 item 3).
 *
 * The bytes are turned into UTF-8 first (a UTF-8 BOM is dropped, UTF-16
 * with a BOM is converted here, anything else is UTF-8 when it is valid
 * and Windows-1252 when it is not). Records are read as RFC 4180 says,
 * leniently: quoted cells with doubled quotes and line ends, CRLF, LF or
 * CR alone. The separator and the header row are found together: each of
 * ',' ';' and TAB is tried over the first rows, and the one that splits a
 * header row into the most cells wins. Nothing here logs: the cells are
 * personal data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agencyreturn.h"
#include "forms.h"
#include "mime.h"
#include "xmalloc.h"

#define CSV_MAX_INPUT	(10 * 1024 * 1024)	/* bytes of file */
#define CSV_MAX_COLS	100			/* cells kept per record */
#define CSV_MAX_CELL	(64 * 1024)		/* bytes kept per cell */
#define CSV_HEADER_ROWS	50			/* rows searched for a header */
#define CSV_LABEL_MAX	200			/* longest header cell read */
#define CSV_ECHO_CHARS	40			/* of a header in a warning */

struct csv_cell {
	char	*s;		/* NUL-terminated once the cell ends */
	size_t	 len;
	size_t	 cap;
	int	 cut;		/* longer than CSV_MAX_CELL */
};

struct csv_rec {
	struct csv_cell	 cell[CSV_MAX_COLS];
	size_t		 n;		/* cells kept */
	size_t		 n_all;		/* cells in the record */
	int		 cut;		/* a cell was cut at CSV_MAX_CELL */
	int		 unclosed;	/* a quote ran to the end of the text */
};

struct csv_scan {
	const char	*p;
	const char	*end;
	char		 sep;
};

static size_t	 csv_put_cp(char *, uint32_t);
static char	*csv_utf16(const unsigned char *, size_t, int);
static char	*csv_decode(const unsigned char *, size_t);
static void	 csv_cell_add(struct csv_rec *, struct csv_cell *, char);
static void	 csv_cell_end(struct csv_cell *);
static int	 csv_next(struct csv_scan *, struct csv_rec *);
static void	 csv_rec_free(struct csv_rec *);
static int	 csv_rec_blank(const struct csv_rec *);
static int	 csv_is_header(const struct csv_rec *);
static int	 csv_find_header(const char *, const char *, char,
		    struct csv_rec *, const char **, size_t *);
static char	*csv_echo(const char *);
static void	 csv_map_header(struct agency_return *,
		    const struct csv_rec *, int *, char **);
static void	 csv_read_rows(struct agency_return *, struct csv_scan *,
		    struct csv_rec *, const int *, char *const *, size_t);

/* Append one code point as UTF-8; returns the bytes written. */
static size_t
csv_put_cp(char *w, uint32_t cp)
{
	if (cp < 0x80) {
		w[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		w[0] = (char)(0xc0 | (cp >> 6));
		w[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		w[0] = (char)(0xe0 | (cp >> 12));
		w[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		w[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	w[0] = (char)(0xf0 | (cp >> 18));
	w[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	w[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	w[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * UTF-16 (after its BOM) to UTF-8. A unit is at most 3 bytes out and a
 * surrogate pair 4, so len / 2 * 3 + 3 bounds the output; lone
 * surrogates, NUL and an odd last byte become U+FFFD.
 */
static char *
csv_utf16(const unsigned char *d, size_t len, int big)
{
	char		*out, *w;
	size_t		 i;
	uint32_t	 u, lo;

	out = w = xmalloc(len / 2 * 3 + 4);
	for (i = 0; i + 1 < len; i += 2) {
		u = big ? (uint32_t)d[i] << 8 | d[i + 1] :
		    (uint32_t)d[i + 1] << 8 | d[i];
		if (u >= 0xd800 && u <= 0xdbff && i + 3 < len) {
			lo = big ? (uint32_t)d[i + 2] << 8 | d[i + 3] :
			    (uint32_t)d[i + 3] << 8 | d[i + 2];
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 2;
			} else
				u = 0xfffd;
		} else if ((u >= 0xd800 && u <= 0xdfff) || u == 0)
			u = 0xfffd;
		w += csv_put_cp(w, u);
	}
	if (i < len)
		w += csv_put_cp(w, 0xfffd);
	*w = '\0';
	return out;
}

/* The file as UTF-8 without NUL bytes. Caller frees. */
static char *
csv_decode(const unsigned char *d, size_t len)
{
	if (len >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf)
		return mime_to_utf8("utf-8", d + 3, len - 3);
	if (len >= 2 && d[0] == 0xff && d[1] == 0xfe)
		return csv_utf16(d + 2, len - 2, 0);
	if (len >= 2 && d[0] == 0xfe && d[1] == 0xff)
		return csv_utf16(d + 2, len - 2, 1);
	/* Valid UTF-8 stays UTF-8, anything else is read as Windows-1252. */
	return mime_to_utf8(NULL, d, len);
}

static void
csv_cell_add(struct csv_rec *r, struct csv_cell *c, char ch)
{
	if (c == NULL)
		return;		/* a cell past CSV_MAX_COLS */
	if (c->len >= CSV_MAX_CELL) {
		c->cut = r->cut = 1;
		return;
	}
	if (c->len + 2 > c->cap) {
		c->cap = c->cap < 64 ? 64 : c->cap * 2;
		if (c->cap > CSV_MAX_CELL + 1)
			c->cap = CSV_MAX_CELL + 1;
		c->s = xreallocarray(c->s, 1, c->cap);
	}
	c->s[c->len++] = ch;
}

/* End a cell: a cut UTF-8 sequence dropped, white space trimmed. */
static void
csv_cell_end(struct csv_cell *c)
{
	size_t	 i, k, need;

	if (c->s == NULL) {
		c->cap = 64;
		c->s = xmalloc(c->cap);
	}
	if (c->cut && c->len > 0) {
		/* Walk back to the last lead byte; drop it if incomplete. */
		for (i = c->len, k = 0; i > 0 && k < 4; k++) {
			i--;
			if (((unsigned char)c->s[i] & 0xc0) != 0x80)
				break;
		}
		need = 1;
		if (((unsigned char)c->s[i] & 0xe0) == 0xc0)
			need = 2;
		else if (((unsigned char)c->s[i] & 0xf0) == 0xe0)
			need = 3;
		else if (((unsigned char)c->s[i] & 0xf8) == 0xf0)
			need = 4;
		if (c->len - i < need)
			c->len = i;
	}
	while (c->len > 0 && strchr(" \t\r\n\f\v", c->s[c->len - 1]) != NULL)
		c->len--;
	for (i = 0; i < c->len && strchr(" \t\r\n\f\v", c->s[i]) != NULL; i++)
		;
	if (i > 0) {
		memmove(c->s, c->s + i, c->len - i);
		c->len -= i;
	}
	c->s[c->len] = '\0';
}

/*
 * Read the next record into r. Returns 0 at the end of the text. A quote
 * opens a quoted cell only at the start of a cell (after white space);
 * text after the closing quote is kept; line ends inside quotes become
 * "\n". Cells past CSV_MAX_COLS are counted and skipped.
 */
static int
csv_next(struct csv_scan *sc, struct csv_rec *r)
{
	const char	*p = sc->p, *e = sc->end;
	struct csv_cell	*c;
	int		 quoted = 0, was_quoted = 0;
	size_t		 i;

	if (p >= e)
		return 0;
	r->n = r->n_all = 0;
	r->cut = r->unclosed = 0;
	c = &r->cell[0];
	c->len = 0;
	c->cut = 0;
	for (;;) {
		if (p >= e) {
			if (quoted)
				r->unclosed = 1;
			break;
		}
		if (quoted) {
			if (*p == '"') {
				if (p + 1 < e && p[1] == '"') {
					csv_cell_add(r, c, '"');
					p += 2;
				} else {
					quoted = 0;
					p++;
				}
			} else if (*p == '\r') {
				csv_cell_add(r, c, '\n');
				p++;
				if (p < e && *p == '\n')
					p++;
			} else
				csv_cell_add(r, c, *p++);
			continue;
		}
		if (*p == sc->sep) {
			if (c != NULL) {
				csv_cell_end(c);
				r->n++;
			}
			r->n_all++;
			c = r->n < CSV_MAX_COLS ? &r->cell[r->n] : NULL;
			if (c != NULL)
				c->len = c->cut = 0;
			was_quoted = 0;
			p++;
			continue;
		}
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && p + 1 < e && p[1] == '\n')
				p++;
			p++;
			break;
		}
		if (*p == '"' && !was_quoted) {
			for (i = 0; c != NULL && i < c->len &&
			    (c->s[i] == ' ' || c->s[i] == '\t'); i++)
				;
			if (c == NULL || i == c->len) {
				if (c != NULL)
					c->len = 0;
				quoted = was_quoted = 1;
				p++;
				continue;
			}
		}
		csv_cell_add(r, c, *p++);
	}
	if (c != NULL) {
		csv_cell_end(c);
		r->n++;
	}
	r->n_all++;
	sc->p = p;
	return 1;
}

static void
csv_rec_free(struct csv_rec *r)
{
	size_t	i;

	for (i = 0; i < CSV_MAX_COLS; i++)
		free(r->cell[i].s);
	memset(r, 0, sizeof *r);
}

static int
csv_rec_blank(const struct csv_rec *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		if (r->cell[i].len > 0)
			return 0;
	return 1;
}

/* A header row names a date column and one other chronology column. */
static int
csv_is_header(const struct csv_rec *r)
{
	size_t	i;
	int	c, date = 0, other = 0;

	for (i = 0; i < r->n; i++) {
		if (r->cell[i].len == 0 || r->cell[i].len > CSV_LABEL_MAX)
			continue;
		if ((c = ar_column_from_label(r->cell[i].s)) == AR_COL_DATE)
			date = 1;
		else if (c >= 0)
			other = 1;
	}
	return date && other;
}

/*
 * Look for the header row with separator sep in the first
 * CSV_HEADER_ROWS rows that are not blank. Returns 1 with *at set to the
 * start of the header record and *cells to its cell count, or 0.
 */
static int
csv_find_header(const char *text, const char *end, char sep,
    struct csv_rec *r, const char **at, size_t *cells)
{
	struct csv_scan	 sc = { text, end, sep };
	const char	*start;
	size_t		 rows = 0;

	while (rows < CSV_HEADER_ROWS) {
		start = sc.p;
		if (!csv_next(&sc, r))
			break;
		if (csv_rec_blank(r))
			continue;
		rows++;
		if (csv_is_header(r)) {
			*at = start;
			*cells = r->n_all;
			return 1;
		}
	}
	return 0;
}

/*
 * A header cell for a warning: one line, no control characters, at most
 * CSV_ECHO_CHARS characters. A heading is not personal data. Caller frees.
 */
static char *
csv_echo(const char *s)
{
	char	*out, *w;
	size_t	 chars = 0;

	out = w = xmalloc(strlen(s) + 4);
	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80 &&
		    chars++ == CSV_ECHO_CHARS) {
			memcpy(w, "...", 3);
			w += 3;
			break;
		}
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*w++ = ' ';
		else
			*w++ = *s;
	}
	*w = '\0';
	return out;
}

/* map[i]: the column of header cell i, or -1; label[i]: its text. */
static void
csv_map_header(struct agency_return *ret, const struct csv_rec *r,
    int *map, char **label)
{
	size_t	 i, j;
	int	 c;
	char	*echo;

	for (i = 0; i < r->n; i++) {
		map[i] = -1;
		label[i] = xstrdup(r->cell[i].s);
		if (r->cell[i].len == 0)
			continue;
		c = r->cell[i].len > CSV_LABEL_MAX ? -1 :
		    ar_column_from_label(r->cell[i].s);
		for (j = 0; c >= 0 && j < i; j++)
			if (map[j] == c) {
				echo = csv_echo(r->cell[i].s);
				ar_warn(ret, "Column '%s' repeats another "
				    "column and was left out", echo);
				free(echo);
				c = -2;
			}
		if (c == -1) {
			echo = csv_echo(r->cell[i].s);
			ar_warn(ret, "Column '%s' was not recognised and was "
			    "left out", echo);
			free(echo);
		}
		map[i] = c >= 0 ? c : -1;
	}
}

/* The data rows after the header, up to AR_MAX_ROWS. */
static void
csv_read_rows(struct agency_return *ret, struct csv_scan *sc,
    struct csv_rec *r, const int *map, char *const *label, size_t n_hdr)
{
	struct ar_row	*row;
	size_t		 i, rows = 0;
	int		 any, same, wide = 0, unclosed = 0;
	int		 unnamed[CSV_MAX_COLS];

	memset(unnamed, 0, sizeof unnamed);
	while (csv_next(sc, r)) {
		if (r->n_all > CSV_MAX_COLS && !wide) {
			ar_warn(ret, "The CSV file has more than %d columns; "
			    "those after column %d were left out",
			    CSV_MAX_COLS, CSV_MAX_COLS);
			wide = 1;
		}
		if (r->unclosed && !unclosed) {
			ar_warn(ret, "A quoted cell in the CSV file was not "
			    "closed: it runs to the end of the file");
			unclosed = 1;
		}
		any = 0;
		same = 1;
		for (i = 0; i < r->n; i++) {
			if (i >= n_hdr || label[i][0] == '\0') {
				if (r->cell[i].len > 0 && !unnamed[i]) {
					ar_warn(ret, "Column %zu has no "
					    "heading and was left out", i + 1);
					unnamed[i] = 1;
				}
				continue;
			}
			if (map[i] < 0)
				continue;
			if (r->cell[i].len > 0)
				any = 1;
			if (strcasecmp(r->cell[i].s, label[i]) != 0)
				same = 0;
		}
		/* Blank rows, and the header repeated on each printed page. */
		if (!any || same)
			continue;
		if ((row = ar_add_row(ret)) == NULL)
			break;
		rows++;
		for (i = 0; i < r->n && i < n_hdr; i++)
			if (map[i] >= 0 && r->cell[i].len > 0)
				ar_row_set(row, (enum ar_column)map[i],
				    r->cell[i].s);
		/* "01/07/2024 09:30" under Date: the time has a column. */
		if (row->time[0] != '\0' && row->col[AR_COL_TIME] == NULL)
			ar_row_set(row, AR_COL_TIME, row->time);
		if (r->cut)
			ar_warn(ret, "Chronology row %zu: a cell longer than "
			    "64 KiB was cut", rows);
	}
}

enum form_result
csv_read(const void *data, size_t len, struct agency_return **out,
    char **cause)
{
	static const char	 seps[] = { ',', ';', '\t' };
	struct agency_return	*ret = NULL;
	struct csv_rec		*r;
	struct csv_scan		 sc;
	char			*text, *label[CSV_MAX_COLS];
	const char		*end, *at, *best_at = NULL;
	size_t			 i, cells, best_cells = 0, n_hdr;
	int			 map[CSV_MAX_COLS];
	char			 best_sep = 0;

	*out = NULL;
	*cause = NULL;
	if (len > CSV_MAX_INPUT) {
		*cause = xstrdup("the CSV file is larger than 10 MB");
		return FORM_REFUSED;
	}
	text = csv_decode(data, len);
	end = text + strlen(text);
	r = xcalloc(1, sizeof *r);
	for (i = 0; i < sizeof seps; i++) {
		if (csv_find_header(text, end, seps[i], r, &at, &cells) &&
		    cells > best_cells) {
			best_cells = cells;
			best_at = at;
			best_sep = seps[i];
		}
	}
	if (best_at == NULL) {
		*cause = xstrdup("no chronology header row (Date, What "
		    "happened, ...) was found in the CSV file");
		goto done;
	}

	ret = ar_new(AR_SOURCE_CSV);
	ret->found = 1;
	sc.p = best_at;
	sc.end = end;
	sc.sep = best_sep;
	(void)csv_next(&sc, r);
	n_hdr = r->n;
	csv_map_header(ret, r, map, label);
	csv_read_rows(ret, &sc, r, map, label, n_hdr);
	for (i = 0; i < n_hdr; i++)
		free(label[i]);
	ar_finish(ret);
	*out = ret;
done:
	csv_rec_free(r);
	free(r);
	free(text);
	return ret != NULL ? FORM_OK : FORM_UNREADABLE;
}
