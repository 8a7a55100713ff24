/*
 * test_pack.c - the merged chronology and the meeting pack (SPEC §4.1).
 *
 * The case is tests/tools/packbench.c's (included below with
 * PACKFIX_ONLY): five agencies with a current return each (police's is
 * version 2 over a superseded version 1 whose rows must not show; the
 * school's is a draft; ymca has no name in the config), an overdue and a
 * waived request, 200 chronology rows on random dates from a fixed seed
 * (some undated, four on one day with no, empty, "9:05" and "10:00"
 * times), CSV traps in rows 10 to 14, a row taller than a page, an answer
 * of 2,000 words, and names in accents, Greek, Arabic and Cyrillic.
 *
 * The chronology is checked against an order the test works out itself
 * from the rows it generated; the PDF through pdftotext and pdfinfo
 * (poppler-utils): the marking and "Page N of M" on every page, every
 * row's event in order, the names intact, the long texts complete.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <json-c/json.h>

#include "chronology.h"

#define PACKFIX_ONLY
#include "../tools/packbench.c"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct store	*st;
	struct calendar	*cal;
	struct packfix	 f;
	/* Row ids in the order the chronology must have them. */
	int		 order[PACKFIX_ROWS];
};

static const struct packfix_row *sort_base;

/* Warnings pango or glib printed: bad markup or text would make some. */
static int	glib_messages;

static GLogWriterOutput
glib_log(GLogLevelFlags level, const GLogField *fields, gsize n,
    gpointer arg)
{
	gsize	i;

	(void)arg;
	if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
	    G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE)) == 0)
		return G_LOG_WRITER_HANDLED;
	for (i = 0; i < n; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0)
			fprintf(stderr, "glib: %s\n",
			    (const char *)fields[i].value);
	glib_messages++;
	return G_LOG_WRITER_HANDLED;
}

/* The order SPEC §4.1 asks for, written again independently. */
static int
expect_cmp(const void *va, const void *vb)
{
	const struct packfix_row	*a = &sort_base[*(const int *)va];
	const struct packfix_row	*b = &sort_base[*(const int *)vb];
	int				 c;

	if ((a->day == DB_NO_DAY) != (b->day == DB_NO_DAY))
		return a->day == DB_NO_DAY ? 1 : -1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->minutes != b->minutes)
		return a->minutes < b->minutes ? -1 : 1;
	c = strcmp(packfix_keys[a->agency], packfix_keys[b->agency]);
	if (c != 0)
		return c;
	return a->position - b->position;
}

static int
setup(void **state)
{
	struct fixture	*fx;
	char		*cause = NULL;
	int		 i;

	fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/rr-test-pack-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/rr.db", fx->dir);
	if ((fx->st = store_open(fx->path, &cause)) == NULL)
		fail_msg("store_open: %s", cause);
	if (packfix_build(fx->st, &fx->f, &cause) != 0)
		fail_msg("fixture: %s", cause);
	fx->cal = calendar_new();
	for (i = 0; i < PACKFIX_ROWS; i++)
		fx->order[i] = i;
	sort_base = fx->f.rows;
	qsort(fx->order, PACKFIX_ROWS, sizeof fx->order[0], expect_cmp);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;
	const char	*const sfx[] = { "", "-wal", "-shm", ".pdf" };
	char		 p[160];
	size_t		 i;

	store_close(fx->st);
	calendar_free(fx->cal);
	packfix_free(&fx->f);
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(p, sizeof p, "%s%s", fx->path, sfx[i]);
		unlink(p);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* The id of "Event NNN..." text, or -1. */
static int
event_id(const char *event)
{
	int	id;

	if (event == NULL || sscanf(event, "Event %3d", &id) != 1)
		return -1;
	return id;
}

static const char *
expect_name(int agency)
{
	return packfix_names[agency] != NULL ? packfix_names[agency] :
	    packfix_keys[agency];
}

static void
test_chronology_order(void **state)
{
	struct fixture			*fx = *state;
	struct chronology		 c;
	const struct packfix_row	*want;
	char				*cause = NULL;
	size_t				 i;

	if (chronology_load(fx->st, &fx->f.cfg, PACKFIX_REF, &c, &cause) != 0)
		fail_msg("chronology_load: %s", cause);
	assert_int_equal(c.n_rows, PACKFIX_ROWS);
	for (i = 0; i < c.n_rows; i++) {
		want = &fx->f.rows[fx->order[i]];
		if (event_id(c.rows[i].event) != want->id)
			fail_msg("row %zu: got '%s', want Event %03d", i,
			    c.rows[i].event, want->id);
		assert_string_equal(c.rows[i].agency,
		    packfix_keys[want->agency]);
		assert_string_equal(c.rows[i].agency_name,
		    expect_name(want->agency));
		if (want->day == DB_NO_DAY) {
			assert_null(c.rows[i].date);
			assert_string_equal(c.rows[i].date_text,
			    want->date_text);
		} else
			assert_non_null(c.rows[i].date);
		if (strstr(c.rows[i].event, "SUPERSEDED") != NULL)
			fail_msg("row %zu is from a superseded return", i);
	}
	/* One day: no time and empty time first (by agency), then 9:05. */
	for (i = 0; i < c.n_rows; i++)
		if (event_id(c.rows[i].event) == 198)
			break;
	assert_true(i + 3 < c.n_rows);
	assert_int_equal(event_id(c.rows[i + 1].event), 199);
	assert_int_equal(event_id(c.rows[i + 2].event), 197);
	assert_int_equal(event_id(c.rows[i + 3].event), 196);
	chronology_clear(&c);
	assert_null(c.rows);
	assert_int_equal(c.n_rows, 0);

	/* Without names the keys stand in. */
	if (chronology_load(fx->st, NULL, PACKFIX_REF, &c, &cause) != 0)
		fail_msg("chronology_load: %s", cause);
	for (i = 0; i < c.n_rows; i++)
		assert_string_equal(c.rows[i].agency_name, c.rows[i].agency);
	chronology_clear(&c);
}

static void
test_chronology_no_case(void **state)
{
	struct fixture		*fx = *state;
	struct chronology	 c;
	struct pack_output	 out;
	char			*cause = NULL;

	assert_int_equal(chronology_load(fx->st, &fx->f.cfg, "RR-2099-999",
	    &c, &cause), -1);
	assert_string_equal(cause, "no case RR-2099-999");
	free(cause);
	cause = NULL;
	assert_int_equal(pack_build(fx->st, &fx->f.cfg, fx->cal,
	    "RR-2099-999", fx->f.now, 1, &out, &cause), -1);
	assert_string_equal(cause, "no case RR-2099-999");
	assert_null(out.pdf);
	free(cause);
}

/*
 * An RFC 4180 reader for the check: records of fields, CRLF between
 * records, LF allowed only inside quotes. Fails the test on bad syntax.
 */
struct csv_rec {
	char	*f[8];
	int	 n;
};

static size_t
csv_parse(const char *p, size_t len, struct csv_rec *recs, size_t max)
{
	const char	*e = p + len;
	size_t		 nrec = 0;
	char		*buf = malloc(len + 1);
	size_t		 bl;
	int		 quoted;

	assert_non_null(buf);
	while (p < e) {
		assert_true(nrec < max);
		recs[nrec].n = 0;
		for (;;) {
			bl = 0;
			quoted = *p == '"';
			if (quoted) {
				for (p++; p < e; p++) {
					if (*p == '"' && p + 1 < e &&
					    p[1] == '"') {
						buf[bl++] = '"';
						p++;
					} else if (*p == '"')
						break;
					else
						buf[bl++] = *p;
				}
				assert_true(p < e);
				p++;
			} else
				while (p < e && *p != ',' && *p != '\r' &&
				    *p != '\n' && *p != '"')
					buf[bl++] = *p++;
			buf[bl] = '\0';
			assert_true(recs[nrec].n < 8);
			recs[nrec].f[recs[nrec].n++] = strdup(buf);
			if (p < e && *p == ',') {
				p++;
				continue;
			}
			if (p + 1 < e && p[0] == '\r' && p[1] == '\n') {
				p += 2;
				break;
			}
			fail_msg("record %zu: bad end of field", nrec);
		}
		nrec++;
	}
	free(buf);
	return nrec;
}

static const struct {
	int		 id;
	int		 col;
	const char	*value;		/* as parsed */
	const char	*raw;		/* as written, or NULL */
} csv_cases[] = {
	{ 10, 5, "Event 010: mother said \"fine\", then, later\nleft",
	    "\"Event 010: mother said \"\"fine\"\", then, later\nleft\"" },
	{ 11, 6, "'=HYPERLINK(\"http://evil.example\",\"x\")",
	    "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"" },
	{ 12, 6, "'-5 units of alcohol reported",
	    ",'-5 units of alcohol reported," },
	{ 13, 6, "'@SUM(A1:A9)", ",'@SUM(A1:A9)," },
	{ 14, 6, "'+44 7700 900123 rang", ",'+44 7700 900123 rang," },
	{ 15, 6, "Advice given; case note written.", NULL },
};

static void
test_chronology_csv(void **state)
{
	struct fixture			*fx = *state;
	struct chronology		 c;
	struct csv_rec			 recs[PACKFIX_ROWS + 2];
	const struct packfix_row	*want;
	char				*csv, *cause = NULL, iso[16];
	struct rr_date			 d;
	size_t				 len, n, i, k;
	int				 j;

	if (chronology_load(fx->st, &fx->f.cfg, PACKFIX_REF, &c, &cause) != 0)
		fail_msg("chronology_load: %s", cause);
	csv = chronology_csv(&c, &len);
	assert_int_equal(strlen(csv), len);
	assert_memory_equal(csv, "\xef\xbb\xbf" "date,time,agency,contact_type,"
	    "seen,event,outcome,significance\r\n", 66);
	n = csv_parse(csv + 3, len - 3, recs, PACKFIX_ROWS + 2);
	assert_int_equal(n, PACKFIX_ROWS + 1);
	for (i = 1; i < n; i++) {
		assert_int_equal(recs[i].n, 8);
		want = &fx->f.rows[fx->order[i - 1]];
		assert_int_equal(event_id(recs[i].f[5]), want->id);
		assert_string_equal(recs[i].f[2], expect_name(want->agency));
		if (want->day == DB_NO_DAY)
			assert_string_equal(recs[i].f[0], want->date_text);
		else {
			date_from_days(want->day, &d);
			assert_string_equal(recs[i].f[0],
			    date_format_iso(&d, iso, sizeof iso));
		}
		assert_string_equal(recs[i].f[1], want->time != NULL ?
		    want->time : "");
		for (k = 0; k < sizeof csv_cases / sizeof csv_cases[0]; k++)
			if (csv_cases[k].id == want->id)
				assert_string_equal(
				    recs[i].f[csv_cases[k].col],
				    csv_cases[k].value);
	}
	for (k = 0; k < sizeof csv_cases / sizeof csv_cases[0]; k++)
		if (csv_cases[k].raw != NULL &&
		    strstr(csv, csv_cases[k].raw) == NULL)
			fail_msg("CSV lacks %s", csv_cases[k].raw);
	/* No other formula starts: every field the reader saw is safe. */
	for (i = 1; i < n; i++)
		for (j = 0; j < recs[i].n; j++)
			if (strchr("=+-@", recs[i].f[j][0]) != NULL &&
			    recs[i].f[j][0] != '\0')
				fail_msg("field '%s' starts a formula",
				    recs[i].f[j]);
	for (i = 0; i < n; i++)
		for (j = 0; j < recs[i].n; j++)
			free(recs[i].f[j]);
	free(csv);
	chronology_clear(&c);

	/* An empty chronology is the header alone. */
	c.rows = NULL;
	c.n_rows = 0;
	csv = chronology_csv(&c, &len);
	assert_int_equal(len, 66);
	free(csv);
}

static void
test_chronology_json(void **state)
{
	struct fixture		*fx = *state;
	struct chronology	 c;
	struct json_object	*a, *o, *v;
	char			*cause = NULL;
	size_t			 i;

	if (chronology_load(fx->st, &fx->f.cfg, PACKFIX_REF, &c, &cause) != 0)
		fail_msg("chronology_load: %s", cause);
	a = chronology_json(&c);
	assert_int_equal(json_object_array_length(a), PACKFIX_ROWS);
	for (i = 0; i < c.n_rows; i++) {
		o = json_object_array_get_idx(a, i);
		assert_true(json_object_object_get_ex(o, "event", &v));
		assert_string_equal(json_object_get_string(v), c.rows[i].event);
		assert_true(json_object_object_get_ex(o, "agency", &v));
		assert_string_equal(json_object_get_string(v),
		    c.rows[i].agency);
		assert_true(json_object_object_get_ex(o, "date", &v));
		if (c.rows[i].date == NULL)
			assert_null(v);
		else
			assert_string_equal(json_object_get_string(v),
			    c.rows[i].date);
		/* Formula prefixes are for spreadsheets only. */
		assert_true(json_object_object_get_ex(o, "outcome", &v));
		assert_string_equal(json_object_get_string(v),
		    c.rows[i].outcome);
	}
	json_object_put(a);
	chronology_clear(&c);
}

/* Output of a command; caller frees. */
static char *
run(const char *fmt, const char *arg)
{
	char	 cmd[512], *out = NULL;
	size_t	 len = 0, cap = 0, n;
	FILE	*fp;

	snprintf(cmd, sizeof cmd, fmt, arg);
	if ((fp = popen(cmd, "r")) == NULL)
		fail_msg("popen %s", cmd);
	do {
		if (cap - len < 65536) {
			cap = cap == 0 ? 262144 : cap * 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		n = fread(out + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	out[len] = '\0';
	if (pclose(fp) != 0)
		fail_msg("%s failed", cmd);
	return out;
}

static void
write_pdf(struct fixture *fx, const struct pack_output *out, char *path,
    size_t len)
{
	FILE	*fp;

	snprintf(path, len, "%s.pdf", fx->path);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(out->pdf, 1, out->pdf_len, fp), out->pdf_len);
	assert_int_equal(fclose(fp), 0);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Texts that must appear in the pack (UTF-8 as written). */
static const char *const pack_texts[] = {
	"Rapid Review meeting pack",
	"Northshire Safeguarding Children Partnership",
	PACKFIX_REF,
	PACKFIX_CHILD,			/* accents */
	PACKFIX_GREEK,
	PACKFIX_ARABIC,
	PACKFIX_CYRILLIC,
	"Siobh\xc3\xa1n N\xc3\xad Dhomhnaill",
	"Jean-Fran\xc3\xa7ois M\xc3\xbcller",
	"Updated pack (version 2)",
	"Mon 22 Jul 2024, 10:00 to 12:00",	/* 09:00 UTC in summer time */
	"Room 3, Civic Centre",
	"Tom & Jerry <b>not bold</b>",	/* data is never markup */
	"draft \xe2\x80\x94 incomplete",
	"Late (due Mon 15 Jul",		/* csc returned on the 16th */
	"Overdue, escalated",
	"Waived: Not known to",		/* the cell wraps */
	"Purpose of a Rapid Review",
	"learning, not blame",
	"Decisions the meeting must take",
	"Quality of practice of agency 1.",
	"Extended: Head teacher away",
	PACKFIX_LAST_WORD,		/* the end of the 2,000 words */
	PACKFIX_TALL_LAST,		/* the end of the tallest row */
};

static void
test_pack_pdf(void **state)
{
	struct fixture		*fx = *state;
	struct pack_output	 out;
	struct chronology	 c;
	char			*cause = NULL, *text, *info, *page, *next;
	char			 path[192], want[64], *csv;
	const char		*pos;
	size_t			 pages, i, len;
	int			 id;

	if (pack_build(fx->st, &fx->f.cfg, fx->cal, PACKFIX_REF, fx->f.now,
	    2, &out, &cause) != 0)
		fail_msg("pack_build: %s", cause);
	assert_true(out.pdf_len > 1000);
	assert_memory_equal(out.pdf, "%PDF-", 5);
	write_pdf(fx, &out, path, sizeof path);

	/* The CSV beside it is the chronology's. */
	if (chronology_load(fx->st, &fx->f.cfg, PACKFIX_REF, &c, &cause) != 0)
		fail_msg("chronology_load: %s", cause);
	csv = chronology_csv(&c, &len);
	assert_int_equal(out.csv_len, len);
	assert_memory_equal(out.csv, csv, len);
	free(csv);
	chronology_clear(&c);

	info = run("pdfinfo '%s'", path);
	if (strstr(info, "Title:           Rapid Review meeting pack "
	    PACKFIX_REF "\n") == NULL)
		fail_msg("pdfinfo: %s", info);
	/* No child in the metadata. */
	assert_null(strstr(info, "Briain"));
	assert_null(strstr(info, PACKFIX_GREEK));
	free(info);

	text = run("pdftotext -layout '%s' -", path);
	pages = count(text, "\f");
	assert_true(pages >= 10);
	for (i = 0; i < sizeof pack_texts / sizeof pack_texts[0]; i++)
		if (strstr(text, pack_texts[i]) == NULL)
			fail_msg("the pack lacks '%s'", pack_texts[i]);
	assert_null(strstr(text, "SUPERSEDED"));
	assert_null(strstr(text, "Old Author"));

	/* Every page: the marking in its header and footer, its number. */
	page = text;
	for (i = 1; i <= pages; i++) {
		next = strchr(page, '\f');
		assert_non_null(next);
		*next = '\0';
		/* The cover carries the marking large as well. */
		if (count(page, PACKFIX_MARKING) != (i == 1 ? 3 : 2))
			fail_msg("page %zu: marking %zu times", i,
			    count(page, PACKFIX_MARKING));
		snprintf(want, sizeof want, "Page %zu of %zu", i, pages);
		if (strstr(page, want) == NULL)
			fail_msg("page %zu lacks '%s'", i, want);
		*next = '\f';
		page = next + 1;
	}

	/* Every row's event, once, in chronology order. */
	pos = text;
	for (i = 0; i < PACKFIX_ROWS; i++) {
		id = fx->order[i];
		snprintf(want, sizeof want, "Event %03d", id);
		if ((pos = strstr(pos, want)) == NULL)
			fail_msg("'%s' missing or out of order (row %zu)",
			    want, i);
		if (count(text, want) != 1)
			fail_msg("'%s' %zu times", want, count(text, want));
		pos += strlen(want);
	}
	free(text);
	pack_output_clear(&out);
	assert_null(out.pdf);
	assert_null(out.csv);
	assert_int_equal(glib_messages, 0);
}

/* A first pack with no marking and no meeting yet. */
static void
test_pack_plain(void **state)
{
	struct fixture		*fx = *state;
	struct pack_output	 out;
	char			*cause = NULL, *text, path[192], want[64];
	size_t			 pages, i;

	/* And a nil return, with no chronology. */
	if (store_exec(fx->st, "UPDATE cases SET meeting_at = NULL, "
	    "meeting_place = NULL;"
	    "INSERT INTO requests (id, case_id, agency, state, origin, "
	    "due_date, returned_at, created_at) VALUES (8, 1, 'ambulance', "
	    "'returned', 'command', '2024-07-15', 1720864800, 0);"
	    "INSERT INTO returns (request_id, version, complete, nil, source, "
	    "author, involved, received_at) VALUES (8, 1, 1, 1, 'text', "
	    "'Pat Jones', 'no', 1720864800)", &cause) != 0)
		fail_msg("%s", cause);
	fx->f.cfg.partnership.marking[0] = '\0';
	if (pack_build(fx->st, &fx->f.cfg, fx->cal, PACKFIX_REF, fx->f.now,
	    1, &out, &cause) != 0)
		fail_msg("pack_build: %s", cause);
	write_pdf(fx, &out, path, sizeof path);
	text = run("pdftotext -layout '%s' -", path);
	assert_null(strstr(text, PACKFIX_MARKING));
	assert_null(strstr(text, "Updated pack"));
	assert_non_null(strstr(text, "not yet set"));
	assert_non_null(strstr(text, "Nil return: the agency had no"));
	assert_non_null(strstr(text, "nil return"));
	assert_non_null(strstr(text, "Pat Jones"));
	pages = count(text, "\f");
	for (i = 1; i <= pages; i++) {
		snprintf(want, sizeof want, "Page %zu of %zu", i, pages);
		if (strstr(text, want) == NULL)
			fail_msg("no '%s'", want);
	}
	free(text);
	pack_output_clear(&out);
}

/* A case with nothing yet: no requests, no milestones, no children. */
static void
test_pack_empty_case(void **state)
{
	struct fixture		*fx = *state;
	struct pack_output	 out;
	char			*cause = NULL, *text, path[192];

	if (store_exec(fx->st, "INSERT INTO cases (id, ref, year, seq, day0, "
	    "day0_basis, created_at, updated_at) VALUES (2, 'RR-2024-002', "
	    "2024, 2, '2024-07-10', 'received', 0, 0)", &cause) != 0)
		fail_msg("%s", cause);
	if (pack_build(fx->st, &fx->f.cfg, NULL, "RR-2024-002", fx->f.now, 1,
	    &out, &cause) != 0)
		fail_msg("pack_build: %s", cause);
	assert_int_equal(out.csv_len, 66);
	write_pdf(fx, &out, path, sizeof path);
	text = run("pdftotext -layout '%s' -", path);
	assert_non_null(strstr(text, "No chronology rows have been received"));
	assert_non_null(strstr(text, "No agency has been asked"));
	assert_non_null(strstr(text, "Page 1 of "));
	assert_null(strstr(text, "Event 0"));
	free(text);
	pack_output_clear(&out);
	assert_int_equal(glib_messages, 0);
}

/*
 * Text that is not UTF-8, control characters and markup in every kind of
 * field: the pack is still built, pango is never handed bad text (it
 * would warn) and the text around the bad bytes is kept.
 */
static void
test_pack_bad_text(void **state)
{
	struct fixture		*fx = *state;
	struct pack_output	 out;
	char			*cause = NULL, *text, path[192];

	if (store_exec(fx->st, "UPDATE children SET identifier = 'Ann'"
	    " || char(1) || 'ie <i>' || CAST(X'FF' AS TEXT) || ' Lee'"
	    " WHERE position = 0;"
	    "UPDATE returns SET quality = 'Good' || CAST(X'C3' AS TEXT)"
	    " || char(13, 10) || 'then </span> & more' WHERE id = 1;"
	    "UPDATE chronology SET event = 'Event 000: <b' || char(9)"
	    " || CAST(X'E282' AS TEXT) || ' tail' WHERE return_id IN"
	    " (SELECT id FROM returns WHERE superseded = 0) AND event LIKE"
	    " 'Event 000:%'", &cause) != 0)
		fail_msg("%s", cause);
	glib_messages = 0;
	if (pack_build(fx->st, &fx->f.cfg, fx->cal, PACKFIX_REF, fx->f.now,
	    1, &out, &cause) != 0)
		fail_msg("pack_build: %s", cause);
	assert_int_equal(glib_messages, 0);
	write_pdf(fx, &out, path, sizeof path);
	text = run("pdftotext -layout '%s' -", path);
	assert_non_null(strstr(text, "Ann ie <i>\xef\xbf\xbd Lee"));
	assert_non_null(strstr(text, "then </span> & more"));
	assert_non_null(strstr(text, "Event 000: <b"));
	free(text);
	pack_output_clear(&out);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_chronology_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_chronology_no_case, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_chronology_csv, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_chronology_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pack_pdf, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pack_plain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pack_empty_case, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pack_bad_text, setup,
		    teardown),
	};
	int	rc;

	g_log_set_writer_func(glib_log, NULL, NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* What pango and cairo keep for the process, for LeakSanitizer. */
	pack_shutdown();
	return rc;
}
