/*
 * test_csv.c - chronologies exported from a spreadsheet (SPEC §3.3 item
 * 3): the same five rows saved as UTF-8 with a BOM (comma, CRLF) and as
 * Windows-1252 (semicolon, LF) read alike; title rows above the header;
 * UTF-16; unknown columns; no header; the limits; and every CSV in the
 * shared corpus read without harm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agencyreturn.h"
#include "forms.h"
#include "xmalloc.h"

#define N(a)	(sizeof (a) / sizeof (a)[0])

/* The five rows, as they should read: UTF-8, dates in ISO form. */
static const struct {
	const char	*date;		/* row->date */
	const char	*time;		/* row->time */
	const char	*type;
	const char	*event;
	const char	*outcome;
} want_rows[] = {
	{ "2024-07-01", "09:30", "Home visit",
	    "Zo\xc3\xab seen at home with her mother",
	    "No further action" },
	{ "2024-07-03", "14:00", "Telephone call",
	    "Mother said \xe2\x80\x9cwe\xe2\x80\x99re fine\xe2\x80\x9d, "
	    "no concerns raised",
	    "Advice given" },
	{ "2024-07-08", "11:15", "Meeting",
	    "Met at the caf\xc3\xa9; school lunch debt of \xc2\xa3" "12.50",
	    "Referral to early help" },
	{ "2024-07-10", "16:45", "Letter",
	    "Letter marked \"urgent\" sent to mother\n"
	    "No reply by the end of the week",
	    "Follow-up visit planned" },
	{ "2024-07-15", "10:00", "Strategy discussion",
	    "Police, CSC and health; Zo\xc3\xab\xe2\x80\x99s wishes recorded",
	    "Section 47 enquiry" },
};

/* Saved by Excel as "CSV UTF-8": BOM, commas, CRLF, quotes as needed. */
static const char csv_utf8[] =
    "\xef\xbb\xbf"
    "Date,Time,Contact type,What happened,Action / outcome\r\n"
    "01/07/2024,09:30,Home visit,Zo\xc3\xab seen at home with her mother,"
    "No further action\r\n"
    "03/07/2024,14:00,Telephone call,\"Mother said \xe2\x80\x9cwe\xe2\x80\x99"
    "re fine\xe2\x80\x9d, no concerns raised\",Advice given\r\n"
    "08/07/2024,11:15,Meeting,Met at the caf\xc3\xa9; school lunch debt of "
    "\xc2\xa3" "12.50,Referral to early help\r\n"
    "10/07/2024,16:45,Letter,\"Letter marked \"\"urgent\"\" sent to mother"
    "\r\nNo reply by the end of the week\",Follow-up visit planned\r\n"
    "15/07/2024,10:00,Strategy discussion,\"Police, CSC and health; Zo"
    "\xc3\xab\xe2\x80\x99s wishes recorded\",Section 47 enquiry\r\n";

/* Saved by a European Excel as "CSV": Windows-1252, semicolons, LF. */
static const char csv_1252[] =
    "Date;Time;Contact type;What happened;Action / outcome\n"
    "01/07/2024;09:30;Home visit;Zo\xeb seen at home with her mother;"
    "No further action\n"
    "03/07/2024;14:00;Telephone call;Mother said \x93we\x92re fine\x94, "
    "no concerns raised;Advice given\n"
    "08/07/2024;11:15;Meeting;\"Met at the caf\xe9; school lunch debt of "
    "\xa3" "12.50\";Referral to early help\n"
    "10/07/2024;16:45;Letter;\"Letter marked \"\"urgent\"\" sent to mother"
    "\nNo reply by the end of the week\";Follow-up visit planned\n"
    "15/07/2024;10:00;Strategy discussion;\"Police, CSC and health; Zo"
    "\xeb\x92s wishes recorded\";Section 47 enquiry\n";

static struct agency_return *
read_ok(const void *data, size_t len)
{
	struct agency_return	*ret = NULL;
	char			*cause = NULL;
	enum form_result	 r;

	r = csv_read(data, len, &ret, &cause);
	if (r != FORM_OK)
		fail_msg("csv_read: %d (%s)", r, cause != NULL ? cause : "");
	assert_null(cause);
	assert_non_null(ret);
	assert_int_equal(ret->source, AR_SOURCE_CSV);
	assert_int_equal(ret->found, 1);
	return ret;
}

static void
check_rows(const struct agency_return *ret)
{
	const struct ar_row	*row;
	size_t			 i;
	int			 f;

	assert_int_equal(ret->n_rows, N(want_rows));
	for (i = 0; i < N(want_rows); i++) {
		row = &ret->rows[i];
		assert_string_equal(row->date, want_rows[i].date);
		assert_string_equal(row->time, want_rows[i].time);
		assert_string_equal(row->col[AR_COL_CONTACT_TYPE],
		    want_rows[i].type);
		assert_string_equal(row->col[AR_COL_EVENT], want_rows[i].event);
		assert_string_equal(row->col[AR_COL_OUTCOME],
		    want_rows[i].outcome);
		assert_null(row->col[AR_COL_SEEN]);
		assert_null(row->col[AR_COL_SIGNIFICANCE]);
	}
	/* Only the chronology is read from a CSV. */
	for (f = 0; f < AR_NFIELDS; f++)
		assert_null(ret->field[f]);
	assert_int_equal(ret->n_warnings, 0);
}

static int
has_warning(const struct agency_return *ret, const char *text)
{
	size_t	i;

	for (i = 0; i < ret->n_warnings; i++)
		if (strstr(ret->warnings[i], text) != NULL)
			return 1;
	return 0;
}

static void
test_utf8_bom_comma(void **state)
{
	struct agency_return	*ret;

	ret = read_ok(csv_utf8, sizeof csv_utf8 - 1);
	check_rows(ret);
	/* The BOM is not part of the first heading: Date was found. */
	assert_string_equal(ret->rows[0].col[AR_COL_DATE], "01/07/2024");
	ar_free(ret);
}

static void
test_cp1252_semicolon(void **state)
{
	struct agency_return	*ret;

	ret = read_ok(csv_1252, sizeof csv_1252 - 1);
	check_rows(ret);
	ar_free(ret);
}

/* Both files give the same rows, column by column. */
static void
test_same_rows(void **state)
{
	struct agency_return	*a, *b;
	size_t			 i;
	int			 c;

	a = read_ok(csv_utf8, sizeof csv_utf8 - 1);
	b = read_ok(csv_1252, sizeof csv_1252 - 1);
	assert_int_equal(a->n_rows, b->n_rows);
	for (i = 0; i < a->n_rows; i++) {
		assert_string_equal(a->rows[i].date, b->rows[i].date);
		assert_string_equal(a->rows[i].time, b->rows[i].time);
		for (c = 0; c < AR_NCOLS; c++) {
			if (a->rows[i].col[c] == NULL) {
				assert_null(b->rows[i].col[c]);
				continue;
			}
			assert_non_null(b->rows[i].col[c]);
			assert_string_equal(a->rows[i].col[c],
			    b->rows[i].col[c]);
		}
	}
	ar_free(a);
	ar_free(b);
}

/* Title and blank rows above the header, as exports have. */
static void
test_preamble(void **state)
{
	static const char text[] =
	    "Chronology for Child J,,,\r\n"
	    "Northshire Police - Public Protection Unit,,,\r\n"
	    ",,,\r\n"
	    "Date,2024-07-20,,\r\n"
	    "\r\n"
	    "Date of contact,Type of contact,Details,Outcome\r\n"
	    "1 July 2024,Visit,Seen at home,NFA\r\n"
	    ",,,\r\n"
	    "2 July 2024,Call,Mother rang,Advice\r\n";
	struct agency_return	*ret;

	ret = read_ok(text, sizeof text - 1);
	assert_int_equal(ret->n_rows, 2);
	assert_string_equal(ret->rows[0].date, "2024-07-01");
	assert_string_equal(ret->rows[0].col[AR_COL_CONTACT_TYPE], "Visit");
	assert_string_equal(ret->rows[0].col[AR_COL_EVENT], "Seen at home");
	assert_string_equal(ret->rows[0].col[AR_COL_OUTCOME], "NFA");
	assert_string_equal(ret->rows[1].date, "2024-07-02");
	assert_string_equal(ret->rows[1].col[AR_COL_EVENT], "Mother rang");
	assert_null(ret->rows[1].col[AR_COL_TIME]);
	ar_free(ret);
}

/* A date cell with a time and no Time column: the time is read. */
static void
test_date_with_time(void **state)
{
	static const char text[] =
	    "Date,What happened\n"
	    "01/07/2024 09:30,Seen\n"
	    "02/07/2024,Call\n";
	static const char with_col[] =
	    "Time,Date,What happened\n"
	    "10:00,01/07/2024 09:30,Seen\n";
	struct agency_return	*ret;

	ret = read_ok(text, sizeof text - 1);
	assert_int_equal(ret->n_rows, 2);
	assert_string_equal(ret->rows[0].date, "2024-07-01");
	assert_string_equal(ret->rows[0].time, "09:30");
	assert_string_equal(ret->rows[0].col[AR_COL_TIME], "09:30");
	assert_string_equal(ret->rows[1].time, "");
	assert_null(ret->rows[1].col[AR_COL_TIME]);
	ar_free(ret);
	/* A Time column wins over the time in the date. */
	ret = read_ok(with_col, sizeof with_col - 1);
	assert_string_equal(ret->rows[0].time, "10:00");
	assert_string_equal(ret->rows[0].col[AR_COL_TIME], "10:00");
	ar_free(ret);
}

/* A header more than 50 rows down is not looked for. */
static void
test_preamble_limit(void **state)
{
	struct agency_return	*ret = NULL;
	char			*text, *cause = NULL;
	size_t			 n = 0, i;

	text = xmalloc(64 * 60 + 200);
	for (i = 0; i < 50; i++)
		n += (size_t)sprintf(text + n, "Title row %zu,,\n", i);
	n += (size_t)sprintf(text + n, "Date,What happened,Outcome\n"
	    "01/07/2024,Seen,NFA\n");
	assert_int_equal(csv_read(text, n, &ret, &cause), FORM_UNREADABLE);
	assert_null(ret);
	free(cause);
	/* Blank rows do not count: 49 titles and many blanks still work. */
	n = 0;
	for (i = 0; i < 49; i++)
		n += (size_t)sprintf(text + n, "Title row %zu,,\n", i);
	for (i = 0; i < 200; i++)
		n += (size_t)sprintf(text + n, ",,\n");
	n += (size_t)sprintf(text + n, "Date,What happened,Outcome\n"
	    "01/07/2024,Seen,NFA\n");
	ret = read_ok(text, n);
	assert_int_equal(ret->n_rows, 1);
	ar_free(ret);
	free(text);
}

/* UTF-8 to UTF-16 with a BOM, as Excel's "Unicode Text" saves. */
static unsigned char *
utf16(const char *s, int big, size_t *len)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned char		*out, *w;
	uint32_t		 cp, units[2];
	size_t			 i, j, k, n;

	out = w = xmalloc(strlen(s) * 4 + 2);
	*w++ = big ? 0xfe : 0xff;
	*w++ = big ? 0xff : 0xfe;
	for (i = 0; u[i] != '\0'; i += k) {
		if (u[i] < 0x80) {
			cp = u[i];
			k = 1;
		} else if ((u[i] & 0xe0) == 0xc0) {
			cp = (uint32_t)(u[i] & 0x1f) << 6 | (u[i + 1] & 0x3f);
			k = 2;
		} else if ((u[i] & 0xf0) == 0xe0) {
			cp = (uint32_t)(u[i] & 0x0f) << 12 |
			    (uint32_t)(u[i + 1] & 0x3f) << 6 |
			    (u[i + 2] & 0x3f);
			k = 3;
		} else {
			cp = (uint32_t)(u[i] & 0x07) << 18 |
			    (uint32_t)(u[i + 1] & 0x3f) << 12 |
			    (uint32_t)(u[i + 2] & 0x3f) << 6 |
			    (u[i + 3] & 0x3f);
			k = 4;
		}
		if (cp >= 0x10000) {
			units[0] = 0xd800 + ((cp - 0x10000) >> 10);
			units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			n = 2;
		} else {
			units[0] = cp;
			n = 1;
		}
		for (j = 0; j < n; j++) {
			*w++ = big ? (unsigned char)(units[j] >> 8) :
			    (unsigned char)(units[j] & 0xff);
			*w++ = big ? (unsigned char)(units[j] & 0xff) :
			    (unsigned char)(units[j] >> 8);
		}
	}
	*len = (size_t)(w - out);
	return out;
}

static void
test_utf16(void **state)
{
	static const char text[] =
	    "Date\tContact type\tWhat happened\tOutcome\r\n"
	    "01/07/2024\tHome visit\tZo\xc3\xab drew a \xf0\x9f\x98\x80 "
	    "for the \xe2\x80\x9cworker\xe2\x80\x9d\tNFA\r\n"
	    "02/07/2024\tCall\t\"Two\r\nlines\"\t\xc2\xa3" "5 paid\r\n";
	struct agency_return	*ret;
	unsigned char		*data;
	size_t			 len;
	int			 big;

	for (big = 0; big <= 1; big++) {
		data = utf16(text, big, &len);
		ret = read_ok(data, len);
		assert_int_equal(ret->n_rows, 2);
		assert_string_equal(ret->rows[0].date, "2024-07-01");
		assert_string_equal(ret->rows[0].col[AR_COL_EVENT],
		    "Zo\xc3\xab drew a \xf0\x9f\x98\x80 for the \xe2\x80\x9c"
		    "worker\xe2\x80\x9d");
		assert_string_equal(ret->rows[1].col[AR_COL_EVENT],
		    "Two\nlines");
		assert_string_equal(ret->rows[1].col[AR_COL_OUTCOME],
		    "\xc2\xa3" "5 paid");
		ar_free(ret);
		free(data);
	}

	/* A lone surrogate, a NUL and an odd last byte: U+FFFD each. */
	{
		static const unsigned char bad[] = { 0xff, 0xfe,
		    'D', 0, 'a', 0, 't', 0, 'e', 0, ',', 0, 'E', 0, 'v', 0,
		    'e', 0, 'n', 0, 't', 0, '\n', 0,
		    '1', 0, ',', 0, 0x00, 0xd8, 'x', 0, 0, 0, 'y', 0, 'z' };

		ret = read_ok(bad, sizeof bad);
		assert_int_equal(ret->n_rows, 1);
		assert_string_equal(ret->rows[0].col[AR_COL_EVENT],
		    "\xef\xbf\xbdx\xef\xbf\xbdy\xef\xbf\xbd");
		ar_free(ret);
	}
}

static void
test_unknown_columns(void **state)
{
	static const char text[] =
	    "Date,Staff ID,What happened,Internal reference number for the "
	    "records team archive,Outcome,,Date of contact\n"
	    "01/07/2024,X123,Seen,REF-1,NFA,stray,02/07/2024\n"
	    "03/07/2024,X124,Call,REF-2,Advice,,\n";
	struct agency_return	*ret;
	size_t			 i;
	int			 c;

	ret = read_ok(text, sizeof text - 1);
	assert_int_equal(ret->n_rows, 2);
	assert_true(has_warning(ret,
	    "Column 'Staff ID' was not recognised and was left out"));
	/* The heading is cut at 40 characters. */
	assert_true(has_warning(ret, "Column 'Internal reference number for "
	    "the record...' was not recognised and was left out"));
	assert_true(has_warning(ret, "Column 'Date of contact' repeats"));
	assert_true(has_warning(ret, "Column 6 has no heading"));
	/* Once per column, not per row. */
	assert_int_equal(ret->n_warnings, 4);
	for (i = 0; i < ret->n_rows; i++)
		for (c = 0; c < AR_NCOLS; c++)
			if (ret->rows[i].col[c] != NULL) {
				assert_null(strstr(ret->rows[i].col[c], "X12"));
				assert_null(strstr(ret->rows[i].col[c],
				    "REF-"));
				assert_null(strstr(ret->rows[i].col[c],
				    "stray"));
			}
	assert_string_equal(ret->rows[0].date, "2024-07-01");
	assert_string_equal(ret->rows[1].col[AR_COL_OUTCOME], "Advice");
	ar_free(ret);
}

static void
test_no_header(void **state)
{
	static const char *const texts[] = {
	    "",
	    "a,b,c\n1,2,3\n",
	    "Date,Amount\n01/07/2024,12.00\n",	/* a date but nothing else */
	    "Supplier;Expense description;Amount\nACME;Paper;7.50\n",
	    "\"Date,What happened\",Outcome\n",	/* one quoted cell */
	};
	struct agency_return	*ret;
	char			*cause;
	size_t			 i;

	for (i = 0; i < N(texts); i++) {
		ret = (struct agency_return *)1;
		cause = NULL;
		assert_int_equal(csv_read(texts[i], strlen(texts[i]), &ret,
		    &cause), FORM_UNREADABLE);
		assert_null(ret);
		assert_non_null(cause);
		assert_string_equal(cause, "no chronology header row (Date, "
		    "What happened, ...) was found in the CSV file");
		free(cause);
	}
}

/* The separator that splits the header into most cells wins. */
static void
test_separator(void **state)
{
	static const struct {
		const char	*text;
		const char	*event;
		const char	*outcome;
	} cases[] = {
	    { "Date,What happened,Outcome\n01/07/2024,Seen; well,NFA\n",
		"Seen; well", "NFA" },
	    { "Date;What happened;Outcome\n01/07/2024;Seen, well;NFA\n",
		"Seen, well", "NFA" },
	    { "Date\tWhat happened\tOutcome\n01/07/2024\tSeen, well; ok\tNFA\n",
		"Seen, well; ok", "NFA" },
	    /* A title row with commas does not decide it. */
	    { "Police, Health, CSC\nDate;What happened;Outcome\n"
		"01/07/2024;Seen, well;NFA\n", "Seen, well", "NFA" },
	    /* Mac line ends, spaces around cells and a lenient quote. */
	    { "Date , What happened , Outcome\r01/07/2024 ,  \"Seen \"\"alone"
		"\"\"\" , NFA \r", "Seen \"alone\"", "NFA" },
	    /* A quote inside an unquoted cell is a character. */
	    { "Date,What happened,Outcome\n01/07/2024,6\" ruler,NFA\n",
		"6\" ruler", "NFA" },
	};
	struct agency_return	*ret;
	size_t			 i;

	for (i = 0; i < N(cases); i++) {
		ret = read_ok(cases[i].text, strlen(cases[i].text));
		assert_int_equal(ret->n_rows, 1);
		assert_string_equal(ret->rows[0].date, "2024-07-01");
		assert_string_equal(ret->rows[0].col[AR_COL_EVENT],
		    cases[i].event);
		assert_string_equal(ret->rows[0].col[AR_COL_OUTCOME],
		    cases[i].outcome);
		ar_free(ret);
	}
}

/* Blank rows, rows with only unmapped cells and repeated headers go. */
static void
test_skipped_rows(void **state)
{
	static const char text[] =
	    "Date,What happened,Outcome,Staff ID\n"
	    "01/07/2024,Seen,NFA,1\n"
	    ",,,2\n"
	    "\n"
	    "  ,  ,  \n"
	    "Date,What happened,Outcome,Staff ID\n"
	    "02/07/2024,Call,,3\n"
	    "\"unclosed,Quote,x\n03/07/2024,y,z\n";
	struct agency_return	*ret;

	ret = read_ok(text, sizeof text - 1);
	assert_int_equal(ret->n_rows, 3);
	assert_string_equal(ret->rows[0].col[AR_COL_EVENT], "Seen");
	assert_string_equal(ret->rows[1].col[AR_COL_EVENT], "Call");
	assert_null(ret->rows[1].col[AR_COL_OUTCOME]);
	/* The unclosed quote takes the rest of the file into one cell. */
	assert_string_equal(ret->rows[2].col[AR_COL_DATE],
	    "unclosed,Quote,x\n03/07/2024,y,z");
	assert_true(has_warning(ret, "was not closed"));
	assert_true(has_warning(ret, "Chronology row 3: the date could not "
	    "be read"));
	ar_free(ret);
}

static void
test_row_limit(void **state)
{
	struct agency_return	*ret;
	char			*text;
	size_t			 n, i;

	text = xmalloc((AR_MAX_ROWS + 10) * 40 + 100);
	n = (size_t)sprintf(text, "Date,What happened\n");
	for (i = 0; i < AR_MAX_ROWS + 10; i++)
		n += (size_t)sprintf(text + n, "%02zu/07/2024,Event %zu\n",
		    i % 28 + 1, i);
	ret = read_ok(text, n);
	assert_int_equal(ret->n_rows, AR_MAX_ROWS);
	assert_string_equal(ret->rows[AR_MAX_ROWS - 1].col[AR_COL_EVENT],
	    "Event 4999");
	assert_true(has_warning(ret, "more than 5000 rows"));
	ar_free(ret);
	free(text);
}

static void
test_size_limit(void **state)
{
	struct agency_return	*ret = (struct agency_return *)1;
	char			*text, *cause = NULL;
	size_t			 len = 10 * 1024 * 1024 + 1;

	text = xmalloc(len);
	memset(text, 'x', len);
	memcpy(text, "Date,Event\n", 11);
	assert_int_equal(csv_read(text, len, &ret, &cause), FORM_REFUSED);
	assert_null(ret);
	assert_string_equal(cause, "the CSV file is larger than 10 MB");
	free(cause);
	/* Exactly 10 MB is read. */
	ret = read_ok(text, len - 1);
	assert_int_equal(ret->n_rows, 1);
	ar_free(ret);
	free(text);
}

/* A cell over 64 KiB is cut on a character boundary, with a warning. */
static void
test_cell_limit(void **state)
{
	struct agency_return	*ret;
	char			*text;
	size_t			 n, i;

	text = xmalloc(200 * 1024);
	n = (size_t)sprintf(text, "Date,What happened,Outcome\n01/07/2024,");
	for (i = 0; i < 30000; i++) {		/* 90000 bytes of "€" */
		memcpy(text + n, "\xe2\x82\xac", 3);
		n += 3;
	}
	n += (size_t)sprintf(text + n, ",NFA\n02/07/2024,Next,Done\n");
	ret = read_ok(text, n);
	assert_int_equal(ret->n_rows, 2);
	/* 65536 is not a multiple of 3: the last whole "€" ends at 65535. */
	assert_int_equal(strlen(ret->rows[0].col[AR_COL_EVENT]), 65535);
	assert_memory_equal(ret->rows[0].col[AR_COL_EVENT] + 65532,
	    "\xe2\x82\xac", 3);
	assert_string_equal(ret->rows[0].col[AR_COL_OUTCOME], "NFA");
	assert_string_equal(ret->rows[1].col[AR_COL_EVENT], "Next");
	assert_true(has_warning(ret, "Chronology row 1: a cell longer than "
	    "64 KiB was cut"));
	ar_free(ret);
	free(text);
}

/* Cells past the 100th are left out, with one warning. */
static void
test_column_limit(void **state)
{
	struct agency_return	*ret;
	char			*text;
	size_t			 n, i;

	text = xmalloc(4096);
	n = (size_t)sprintf(text, "Date,What happened");
	for (i = 2; i < 120; i++)
		n += (size_t)sprintf(text + n, ",");
	n += (size_t)sprintf(text + n, "\n01/07/2024,Seen");
	for (i = 2; i < 120; i++)
		n += (size_t)sprintf(text + n, ",%zu", i);
	n += (size_t)sprintf(text + n, "\n");
	ret = read_ok(text, n);
	assert_int_equal(ret->n_rows, 1);
	assert_string_equal(ret->rows[0].col[AR_COL_EVENT], "Seen");
	assert_true(has_warning(ret, "more than 100 columns"));
	ar_free(ret);
	free(text);
}

static char *
corpus_dir(void)
{
	char	*dir;

	xasprintf(&dir, "%s/../shared/corpus/docs/csv",
	    getenv("RR_SRC") != NULL ? getenv("RR_SRC") : ".");
	return dir;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE		*fp;
	unsigned char	*data;
	long		 n;

	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	data = xmalloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return data;
}

static int
utf8_valid(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 k, i;

	while (*u != '\0') {
		if (*u < 0x80)
			k = 0;
		else if ((*u & 0xe0) == 0xc0 && *u >= 0xc2)
			k = 1;
		else if ((*u & 0xf0) == 0xe0)
			k = 2;
		else if ((*u & 0xf8) == 0xf0 && *u <= 0xf4)
			k = 3;
		else
			return 0;
		for (i = 1; i <= k; i++)
			if ((u[i] & 0xc0) != 0x80)
				return 0;
		u += k + 1;
	}
	return 1;
}

/* Every CSV of the corpus: no crash, and what comes out is sane. */
static void
test_corpus(void **state)
{
	struct agency_return	*ret;
	struct dirent		*de;
	DIR			*d;
	char			*dir, *path, *cause;
	unsigned char		*data;
	size_t			 len, i, files = 0;
	enum form_result	 r;
	int			 c;

	dir = corpus_dir();
	if ((d = opendir(dir)) == NULL)
		fail_msg("no corpus at %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		data = slurp(path, &len);
		ret = NULL;
		cause = NULL;
		r = csv_read(data, len, &ret, &cause);
		if (r == FORM_OK) {
			assert_null(cause);
			assert_non_null(ret);
			assert_int_equal(ret->found, 1);
			assert_true(ret->n_rows <= AR_MAX_ROWS);
			for (i = 0; i < ret->n_rows; i++)
				for (c = 0; c < AR_NCOLS; c++)
					if (ret->rows[i].col[c] != NULL)
						assert_true(utf8_valid(
						    ret->rows[i].col[c]));
		} else {
			if (r != FORM_UNREADABLE)
				fail_msg("%s: %d", de->d_name, r);
			assert_null(ret);
			assert_non_null(cause);
		}
		ar_free(ret);
		free(cause);
		free(data);
		free(path);
		files++;
	}
	closedir(d);
	assert_true(files >= 10);
	free(dir);
}

/*
 * Corpus files under a chronology header: their bytes are read as they
 * should be (Windows-1252, CR line ends, quoted line ends).
 */
static void
test_corpus_under_header(void **state)
{
	static const struct {
		const char	*file;
		size_t		 row;
		int		 col;
		const char	*want;
	} cases[] = {
		{ "csvkit__latin1.csv", 2, AR_COL_OUTCOME, "\xc2\xa9" },
		{ "csvkit__mac_cr_newlines.csv", 2, AR_COL_DATE,
		    "Once upon\na time" },
		{ "csv-spectrum__newlines.csv", 2, AR_COL_DATE,
		    "Once upon \na time" },
		{ "csv-spectrum__quotes_and_newlines.csv", 1, AR_COL_EVENT,
		    "ha \n\"ha\" \nha" },
		{ "csvkit__null_byte.csv", 1, AR_COL_DATE, "\xef\xbf\xbd" },
	};
	static const char	 header[] = "Date,What happened,Outcome\n";
	struct agency_return	*ret;
	char			*dir, *path;
	unsigned char		*data, *all;
	size_t			 len, i;

	dir = corpus_dir();
	for (i = 0; i < N(cases); i++) {
		xasprintf(&path, "%s/%s", dir, cases[i].file);
		data = slurp(path, &len);
		all = xmalloc(sizeof header - 1 + len);
		memcpy(all, header, sizeof header - 1);
		memcpy(all + sizeof header - 1, data, len);
		ret = read_ok(all, sizeof header - 1 + len);
		if (ret->n_rows <= cases[i].row ||
		    ret->rows[cases[i].row].col[cases[i].col] == NULL)
			fail_msg("%s: row %zu missing", cases[i].file,
			    cases[i].row);
		assert_string_equal(ret->rows[cases[i].row].col[cases[i].col],
		    cases[i].want);
		ar_free(ret);
		free(all);
		free(data);
		free(path);
	}
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_bom_comma),
		cmocka_unit_test(test_cp1252_semicolon),
		cmocka_unit_test(test_same_rows),
		cmocka_unit_test(test_preamble),
		cmocka_unit_test(test_preamble_limit),
		cmocka_unit_test(test_date_with_time),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_unknown_columns),
		cmocka_unit_test(test_no_header),
		cmocka_unit_test(test_separator),
		cmocka_unit_test(test_skipped_rows),
		cmocka_unit_test(test_row_limit),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_cell_limit),
		cmocka_unit_test(test_column_limit),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_corpus_under_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
