/*
 * test_agencyreturn.c - the agency return model (SPEC §3.3): UK dates and
 * times, labels and their synonyms, setting fields and rows, the label
 * rules over a reduced document, normalisation after reading, the
 * completeness rule and the plain-text form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agencyreturn.h"
#include "xmalloc.h"

/* --- dates and times --- */

static const struct {
	const char	*in;
	const char	*iso;
} good_dates[] = {
	{ "08/07/2024", "2024-07-08" },
	{ "8/7/2024", "2024-07-08" },
	{ "8/7/24", "2024-07-08" },
	{ "8.7.2024", "2024-07-08" },
	{ "8-7-2024", "2024-07-08" },
	{ "08.07.24", "2024-07-08" },
	{ "2024-07-08", "2024-07-08" },
	{ "2024/7/8", "2024-07-08" },
	{ "8 July 2024", "2024-07-08" },
	{ "8 JULY 2024", "2024-07-08" },
	{ "8th Jul 2024", "2024-07-08" },
	{ "8th of July 2024", "2024-07-08" },
	{ "1st Sept 2023", "2023-09-01" },
	{ "22nd Feb 2022", "2022-02-22" },
	{ "3rd March 2021", "2021-03-03" },
	{ "Mon 8 Jul 2024", "2024-07-08" },
	{ "Monday, 8th July 2024", "2024-07-08" },
	{ "Tues 9 July 2024", "2024-07-09" },
	{ "July 8, 2024", "2024-07-08" },
	{ "Jul 8th 2024", "2024-07-08" },
	{ "8-Jul-24", "2024-07-08" },
	{ "8 Jul. 2024", "2024-07-08" },
	{ "  08/07/2024  ", "2024-07-08" },
	{ "\xc2\xa0" "08/07/2024\n", "2024-07-08" },
	{ "29/02/2024", "2024-02-29" },
	{ "29/02/2000", "2000-02-29" },
	{ "31/12/1999", "1999-12-31" },
	{ "01/01/1900", "1900-01-01" },
	{ "31/12/2100", "2100-12-31" },
	{ "08/07/2024 14:30", "2024-07-08" },
	{ "08/07/2024 at 2pm", "2024-07-08" },
	{ "8 July 2024, 09:15", "2024-07-08" },
	{ "2024-07-08T14:30:00", "2024-07-08" },
	{ "2024-07-08 14:30", "2024-07-08" },
	{ "08/07/2024.", "2024-07-08" },
};

static const char *const bad_dates[] = {
	"", "   ", "29/02/2023", "29/02/1900", "31/04/2024", "32/01/2024",
	"00/01/2024", "07/31/2024", "13/13/2024", "8/7", "July 2024",
	"2024", "8/7/224", "8/7/02024", "08/07-2024", "31/12/1899",
	"01/01/2101", "8 Juli 2024", "Jul 32 2024", "2024-02-30",
	"2024-13-01", "yesterday", "08/07/2024 later", "08/07/2024 25:00",
	"8 July", "N/A", "2024-07-08x", "08/07/2024/01",
	"0008/07/2024",
	"08/07/2024                                                          "
	    "                    garbage",
};

static void
test_dates(void **state)
{
	char	iso[11];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof good_dates / sizeof good_dates[0]; i++) {
		memset(iso, 'x', sizeof iso);
		if (ar_parse_date(good_dates[i].in, iso) != 0)
			fail_msg("date not read: \"%s\"", good_dates[i].in);
		assert_string_equal(iso, good_dates[i].iso);
	}
	for (i = 0; i < sizeof bad_dates / sizeof bad_dates[0]; i++) {
		strcpy(iso, "unchanged");
		if (ar_parse_date(bad_dates[i], iso) == 0)
			fail_msg("date read: \"%s\" as %s", bad_dates[i], iso);
		assert_string_equal(iso, "unchanged");
	}
	assert_int_equal(ar_parse_date(NULL, iso), -1);
}

static const struct {
	const char	*in;
	const char	*hhmm;	/* NULL: refused */
} times[] = {
	{ "09:30", "09:30" },
	{ "9:30", "09:30" },
	{ "9.30", "09:30" },
	{ "9:30am", "09:30" },
	{ "9:30 am", "09:30" },
	{ "9.30 a.m.", "09:30" },
	{ "2pm", "14:00" },
	{ "2 p.m.", "14:00" },
	{ "12pm", "12:00" },
	{ "12am", "00:00" },
	{ "12:15am", "00:15" },
	{ "14:05:00", "14:05" },
	{ "1430", "14:30" },
	{ "1430hrs", "14:30" },
	{ "14:30 hrs", "14:30" },
	{ "00:00", "00:00" },
	{ "23:59", "23:59" },
	{ "noon", "12:00" },
	{ "Midnight", "00:00" },
	{ " 10:00\n", "10:00" },
	{ "24:00", NULL },
	{ "12:60", NULL },
	{ "13pm", NULL },
	{ "0am", NULL },
	{ "14", NULL },
	{ "9", NULL },
	{ "9:3", NULL },
	{ "14:05:61", NULL },
	{ "morning", NULL },
	{ "", NULL },
	{ "2pm tomorrow", NULL },
	{ "2500", NULL },
	{ "12345", NULL },
};

static void
test_times(void **state)
{
	char	hhmm[6];
	size_t	i;
	int	rc;

	(void)state;
	for (i = 0; i < sizeof times / sizeof times[0]; i++) {
		strcpy(hhmm, "-----");
		rc = ar_parse_time(times[i].in, hhmm);
		if (times[i].hhmm == NULL) {
			if (rc == 0)
				fail_msg("time read: \"%s\" as %s",
				    times[i].in, hhmm);
			continue;
		}
		if (rc != 0)
			fail_msg("time not read: \"%s\"", times[i].in);
		assert_string_equal(hhmm, times[i].hhmm);
	}
}

/* --- labels --- */

static const struct {
	const char	*label;
	const char	*key;
} exact_labels[] = {
	{ "Agency", "agency" },
	{ "Completed by", "author" },
	{ "Role", "role" },
	{ "Email", "email" },
	{ "Phone", "phone" },
	{ "Date completed", "completed" },
	{ "Involved with the child or family (yes/no)", "involved" },
	{ "Summary of involvement", "involvement" },
	{ "First contact", "first_contact" },
	{ "Last contact", "last_contact" },
	{ "Open or closed at the time of the incident", "case_status" },
	{ "Quality of practice", "quality" },
	{ "Impact of practice on outcomes for the child", "impact" },
	{ "Good practice", "good_practice" },
	{ "What could have been done differently", "different" },
	{ "Information sharing", "information_sharing" },
	{ "The child's voice and lived experience", "voice_of_child" },
	{ "Race, culture, disability and other inequalities", "equality" },
	{ "Immediate actions taken or needed", "immediate_actions" },
	{ "Learning identified", "learning" },
	{ "LCSPR criteria met (yes/no/unsure)", "lcspr_view" },
	{ "Reasons for the LCSPR view", "lcspr_rationale" },
	{ "Parallel processes", "parallel_processes" },
	{ "Records secured (yes/no)", "records_secured" },
	{ "Quality assured by", "signed_off_by" },
	{ "Date signed off", "signed_off" },
};

static const struct {
	const char	*label;
	const char	*col;
} exact_columns[] = {
	{ "Date", "date" },
	{ "Time", "time" },
	{ "Contact type", "contact_type" },
	{ "Who was seen (child seen alone?)", "seen" },
	{ "What happened", "event" },
	{ "Action / outcome", "outcome" },
	{ "Significance", "significance" },
};

static void
test_keys_and_labels(void **state)
{
	size_t	i;
	int	f, n;

	(void)state;
	assert_int_equal(sizeof exact_labels / sizeof exact_labels[0],
	    AR_NFIELDS);
	for (i = 0; i < AR_NFIELDS; i++) {
		assert_string_equal(ar_field_label((enum ar_field)i),
		    exact_labels[i].label);
		assert_string_equal(ar_field_key((enum ar_field)i),
		    exact_labels[i].key);
		assert_int_equal(ar_field_from_key(exact_labels[i].key), i);
		assert_int_equal(ar_field_from_label(exact_labels[i].label),
		    i);
	}
	assert_int_equal(sizeof exact_columns / sizeof exact_columns[0],
	    AR_NCOLS);
	for (i = 0; i < AR_NCOLS; i++) {
		assert_string_equal(ar_column_label((enum ar_column)i),
		    exact_columns[i].label);
		assert_string_equal(ar_column_key((enum ar_column)i),
		    exact_columns[i].col);
		assert_int_equal(ar_column_from_label(exact_columns[i].label),
		    i);
	}
	assert_null(ar_field_key(AR_NFIELDS));
	assert_null(ar_column_label(AR_NCOLS));

	assert_int_equal(ar_field_from_key("AUTHOR"), AR_AUTHOR);
	assert_int_equal(ar_field_from_key("rr:lcspr_view"), AR_LCSPR_VIEW);
	assert_int_equal(ar_field_from_key(" signed_off "), AR_SIGNED_OFF);
	assert_int_equal(ar_field_from_key("chronology"), -1);
	assert_int_equal(ar_field_from_key(""), -1);
	assert_int_equal(ar_field_from_key(NULL), -1);
	assert_int_equal(ar_field_from_key("author2"), -1);

	/* Every field's key and label are distinct from every other's. */
	for (f = 0; f < AR_NFIELDS; f++)
		for (n = 0; n < AR_NFIELDS; n++)
			if (n != f)
				assert_string_not_equal(
				    ar_field_label((enum ar_field)f),
				    ar_field_label((enum ar_field)n));
}

static const struct {
	const char	*label;
	int		 field;
} field_labels[] = {
	/* As a person or another form writes them. */
	{ "Completed by:", AR_AUTHOR },
	{ "COMPLETED BY", AR_AUTHOR },
	{ "Name of author", AR_AUTHOR },
	{ "Name", AR_AUTHOR },
	{ "Your name:", AR_AUTHOR },
	{ "Completed by (name)", AR_AUTHOR },
	{ "Name of person completing", AR_AUTHOR },
	{ "Report author", AR_AUTHOR },
	{ "Completed by [rr:author]", AR_AUTHOR },
	{ "Anything at all [rr:author]", AR_AUTHOR },
	{ "[RR:Role] Job title", AR_ROLE },
	{ "Job title", AR_ROLE },
	{ "Designation", AR_ROLE },
	{ "Position", AR_ROLE },
	{ "Organisation", AR_AGENCY },
	{ "Organization:", AR_AGENCY },
	{ "Agency name", AR_AGENCY },
	{ "E-mail address", AR_EMAIL },
	{ "Tel. no.", AR_PHONE },
	{ "Telephone number", AR_PHONE },
	{ "Date", AR_COMPLETED },
	{ "Date of completion", AR_COMPLETED },
	{ "Date of report:", AR_COMPLETED },
	{ "Involved", AR_INVOLVED },
	{ "Involvement with the child or family?", AR_INVOLVED },
	{ "Was your agency involved?", AR_INVOLVED },
	{ "Involved with child/family", AR_INVOLVED },
	{ "Known to agency", AR_INVOLVED },
	{ "Involved with the child or family", AR_INVOLVED },
	{ "Summary of involvement:", AR_INVOLVEMENT },
	{ "Involvement summary", AR_INVOLVEMENT },
	{ "Brief summary", AR_INVOLVEMENT },
	{ "Summary", AR_INVOLVEMENT },
	{ "Summary of your agency\xe2\x80\x99s involvement",
	    AR_INVOLVEMENT },
	{ "first_contact", AR_FIRST_CONTACT },
	{ "first contact", AR_FIRST_CONTACT },
	{ "Date of first contact", AR_FIRST_CONTACT },
	{ "Date of last contact:", AR_LAST_CONTACT },
	{ "Most recent contact", AR_LAST_CONTACT },
	{ "Open or closed?", AR_CASE_STATUS },
	{ "Case status", AR_CASE_STATUS },
	{ "Status at time of incident", AR_CASE_STATUS },
	{ "Open/closed", AR_CASE_STATUS },
	{ "Quality of practice", AR_QUALITY },
	{ "Analysis of practice", AR_QUALITY },
	{ "Impact", AR_IMPACT },
	{ "Impact on outcomes", AR_IMPACT },
	{ "What went well?", AR_GOOD_PRACTICE },
	{ "Examples of good practice", AR_GOOD_PRACTICE },
	{ "What could be done differently?", AR_DIFFERENT },
	{ "Areas for improvement", AR_DIFFERENT },
	{ "Could anything have been done differently?", AR_DIFFERENT },
	{ "Multi-agency working", AR_INFORMATION_SHARING },
	{ "Information sharing and multi-agency working",
	    AR_INFORMATION_SHARING },
	{ "Voice of the child", AR_VOICE_OF_CHILD },
	{ "The child\xe2\x80\x99s voice", AR_VOICE_OF_CHILD },
	{ "The child\xe2\x80\x99s voice and lived experience",
	    AR_VOICE_OF_CHILD },
	{ "Child's voice", AR_VOICE_OF_CHILD },
	{ "Lived experience", AR_VOICE_OF_CHILD },
	{ "Equality and diversity", AR_EQUALITY },
	{ "Race, culture and identity", AR_EQUALITY },
	{ "Race, culture & identity", AR_EQUALITY },
	{ "Race, culture, disability", AR_EQUALITY },
	{ "Immediate actions", AR_IMMEDIATE_ACTIONS },
	{ "Actions taken", AR_IMMEDIATE_ACTIONS },
	{ "Key learning", AR_LEARNING },
	{ "Lessons learned", AR_LEARNING },
	{ "Lessons learnt", AR_LEARNING },
	{ "LCSPR criteria met?", AR_LCSPR_VIEW },
	{ "LCSPR criteria met (yes/no/unsure)", AR_LCSPR_VIEW },
	{ "LCSPR criteria met (yes/no/unsure):", AR_LCSPR_VIEW },
	{ "Do you consider the LCSPR criteria are met?", AR_LCSPR_VIEW },
	{ "Recommendation", AR_LCSPR_VIEW },
	{ "Does the case meet the criteria for an LCSPR?", AR_LCSPR_VIEW },
	{ "LCSPR view", AR_LCSPR_VIEW },
	{ "Reasons", AR_LCSPR_RATIONALE },
	{ "Rationale:", AR_LCSPR_RATIONALE },
	{ "Why?", AR_LCSPR_RATIONALE },
	{ "Rationale for recommendation", AR_LCSPR_RATIONALE },
	{ "Parallel investigations", AR_PARALLEL_PROCESSES },
	{ "Other processes", AR_PARALLEL_PROCESSES },
	{ "Have records been secured?", AR_RECORDS_SECURED },
	{ "Records secured (yes/no)", AR_RECORDS_SECURED },
	{ "Signed off by", AR_SIGNED_OFF_BY },
	{ "Sign-off", AR_SIGNED_OFF_BY },
	{ "Authorised by:", AR_SIGNED_OFF_BY },
	{ "Manager sign off", AR_SIGNED_OFF_BY },
	{ "Date signed off", AR_SIGNED_OFF },
	{ "Sign-off date", AR_SIGNED_OFF },
	{ "Date quality assured", AR_SIGNED_OFF },
	/* Question numbers, stars, odd spacing. */
	{ "1. Agency", AR_AGENCY },
	{ "Q3 Learning identified", AR_LEARNING },
	{ "2a) Role", AR_ROLE },
	{ "Completed   by *", AR_AUTHOR },
	{ "\xc2\xa0" "Completed by\xc2\xa0:", AR_AUTHOR },
	{ "Completed\nby", AR_AUTHOR },
	{ "Quality of practice (please consider decision making)",
	    AR_QUALITY },
	/* Not labels. */
	{ "", -1 },
	{ "   ", -1 },
	{ "Chronology", -1 },
	{ "Child J was seen at home", -1 },
	{ "Yes", -1 },
	{ "08/07/2024", -1 },
	{ "(yes/no)", -1 },
	{ "[rr:nonsense]", -1 },
	{ "Completed by someone else entirely", -1 },
	{ "Date of birth", -1 },
};

static const struct {
	const char	*label;
	int		 col;
} column_labels[] = {
	{ "Date", AR_COL_DATE },
	{ "Date of contact", AR_COL_DATE },
	{ "Contact date", AR_COL_DATE },
	{ "Date of event", AR_COL_DATE },
	{ "When", AR_COL_DATE },
	{ "Date/time", AR_COL_DATE },
	{ "Time", AR_COL_TIME },
	{ "Contact type", AR_COL_CONTACT_TYPE },
	{ "Type of contact", AR_COL_CONTACT_TYPE },
	{ "Type", AR_COL_CONTACT_TYPE },
	{ "Contact", AR_COL_CONTACT_TYPE },
	{ "Method", AR_COL_CONTACT_TYPE },
	{ "Who was seen", AR_COL_SEEN },
	{ "Seen", AR_COL_SEEN },
	{ "Child seen alone?", AR_COL_SEEN },
	{ "Who was present", AR_COL_SEEN },
	{ "Persons seen", AR_COL_SEEN },
	{ "What happened", AR_COL_EVENT },
	{ "Event", AR_COL_EVENT },
	{ "Details", AR_COL_EVENT },
	{ "Description", AR_COL_EVENT },
	{ "Summary of contact", AR_COL_EVENT },
	{ "Details of contact", AR_COL_EVENT },
	{ "Narrative", AR_COL_EVENT },
	{ "Notes", AR_COL_EVENT },
	{ "Action / outcome", AR_COL_OUTCOME },
	{ "Action/Outcome", AR_COL_OUTCOME },
	{ "Outcome", AR_COL_OUTCOME },
	{ "Action", AR_COL_OUTCOME },
	{ "Actions", AR_COL_OUTCOME },
	{ "Action taken", AR_COL_OUTCOME },
	{ "Result", AR_COL_OUTCOME },
	{ "Significance", AR_COL_SIGNIFICANCE },
	{ "Relevance", AR_COL_SIGNIFICANCE },
	{ "Comments", AR_COL_SIGNIFICANCE },
	{ "Analysis", AR_COL_SIGNIFICANCE },
	{ "Professional comment", AR_COL_SIGNIFICANCE },
	{ "What happened [rr:event]", AR_COL_EVENT },
	{ "Anything [rr:significance]", AR_COL_SIGNIFICANCE },
	{ "Agency", -1 },
	{ "Completed by", -1 },
	{ "", -1 },
};

static void
test_synonyms(void **state)
{
	size_t	i;
	int	got;

	(void)state;
	for (i = 0; i < sizeof field_labels / sizeof field_labels[0]; i++) {
		got = ar_field_from_label(field_labels[i].label);
		if (got != field_labels[i].field)
			fail_msg("field label \"%s\": %d, not %d",
			    field_labels[i].label, got, field_labels[i].field);
	}
	for (i = 0; i < sizeof column_labels / sizeof column_labels[0];
	    i++) {
		got = ar_column_from_label(column_labels[i].label);
		if (got != column_labels[i].col)
			fail_msg("column label \"%s\": %d, not %d",
			    column_labels[i].label, got, column_labels[i].col);
	}
	assert_int_equal(ar_field_from_label(NULL), -1);
	assert_int_equal(ar_column_from_label(NULL), -1);
}

/* --- fields and rows --- */

static void
test_set_field(void **state)
{
	struct agency_return	*ret;
	char			*big;
	size_t			 n;

	(void)state;
	ret = ar_new(AR_SOURCE_TEXT);
	assert_int_equal(ret->source, AR_SOURCE_TEXT);
	assert_int_equal(ar_count_fields(ret), 0);

	ar_set_field(ret, AR_AUTHOR, " \t\xc2\xa0" "Jane Smith\r\n ");
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	ar_set_field(ret, AR_ROLE, "   \n\xc2\xa0 ");
	assert_null(ret->field[AR_ROLE]);
	ar_set_field(ret, AR_ROLE, NULL);
	assert_null(ret->field[AR_ROLE]);
	ar_set_field(ret, AR_QUALITY, "Line one\r\nLine two\rLine three");
	assert_string_equal(ret->field[AR_QUALITY],
	    "Line one\nLine two\nLine three");
	ar_set_field(ret, AR_QUALITY, "  More.  ");
	assert_string_equal(ret->field[AR_QUALITY],
	    "Line one\nLine two\nLine three\n\nMore.");
	ar_set_field(ret, AR_QUALITY, "");
	assert_string_equal(ret->field[AR_QUALITY],
	    "Line one\nLine two\nLine three\n\nMore.");
	assert_int_equal(ar_count_fields(ret), 2);
	assert_int_equal(ret->n_warnings, 0);

	/* Too long: cut before a 2-byte character that would straddle. */
	big = xmalloc(AR_MAX_FIELD_BYTES + 16);
	memset(big, 'a', AR_MAX_FIELD_BYTES - 1);
	memcpy(big + AR_MAX_FIELD_BYTES - 1, "\xc3\xa9" "bc", 5);
	ar_set_field(ret, AR_LEARNING, big);
	n = strlen(ret->field[AR_LEARNING]);
	assert_int_equal(n, AR_MAX_FIELD_BYTES - 1);
	assert_int_equal(ret->n_warnings, 1);
	assert_string_equal(ret->warnings[0],
	    "Field 'Learning identified' was too long and was cut");
	/* Appending to a full field adds nothing. */
	ar_set_field(ret, AR_LEARNING, "more");
	assert_int_equal(strlen(ret->field[AR_LEARNING]), n);
	assert_int_equal(ret->n_warnings, 1);
	/* Appending that overflows is cut too, on a boundary. */
	memset(big, 'b', AR_MAX_FIELD_BYTES / 2);
	big[AR_MAX_FIELD_BYTES / 2] = '\0';
	ar_set_field(ret, AR_IMPACT, big);
	ar_set_field(ret, AR_IMPACT, big);
	assert_int_equal(strlen(ret->field[AR_IMPACT]), AR_MAX_FIELD_BYTES);
	assert_int_equal(ret->n_warnings, 2);
	free(big);
	ar_free(ret);
	ar_free(NULL);
}

static void
test_warnings_cap(void **state)
{
	struct agency_return	*ret;
	int			 i;

	(void)state;
	ret = ar_new(AR_SOURCE_CSV);
	for (i = 0; i < AR_MAX_WARNINGS + 20; i++)
		ar_warn(ret, "Warning %d", i);
	assert_int_equal(ret->n_warnings, AR_MAX_WARNINGS);
	assert_string_equal(ret->warnings[AR_MAX_WARNINGS - 1],
	    "Warning 99");
	ar_free(ret);

	/* The same warning is kept once. */
	ret = ar_new(AR_SOURCE_CSV);
	ar_warn(ret, "Chronology row %d: no date was given", 3);
	ar_warn(ret, "Chronology row %d: no date was given", 3);
	ar_warn(ret, "Chronology row %d: no date was given", 4);
	assert_int_equal(ret->n_warnings, 2);
	ar_free(ret);
}

static void
test_rows(void **state)
{
	struct agency_return	*ret;
	struct ar_row		*row;
	int			 i;

	(void)state;
	ret = ar_new(AR_SOURCE_CSV);
	row = ar_add_row(ret);
	assert_non_null(row);
	ar_row_set(row, AR_COL_DATE, " 08/07/2024 14:30 ");
	assert_string_equal(row->col[AR_COL_DATE], "08/07/2024 14:30");
	assert_string_equal(row->date, "2024-07-08");
	assert_string_equal(row->time, "14:30");
	assert_null(row->col[AR_COL_TIME]);

	/* A time column wins over the time after a date. */
	row = ar_add_row(ret);
	ar_row_set(row, AR_COL_TIME, "9.15am");
	ar_row_set(row, AR_COL_DATE, "9 July 2024 at 14:00");
	assert_string_equal(row->date, "2024-07-09");
	assert_string_equal(row->time, "09:15");

	/* An unreadable date keeps its text and no date. */
	row = ar_add_row(ret);
	ar_row_set(row, AR_COL_DATE, "07/31/2024");
	assert_string_equal(row->col[AR_COL_DATE], "07/31/2024");
	assert_string_equal(row->date, "");
	ar_row_set(row, AR_COL_TIME, "later");
	assert_string_equal(row->time, "");
	ar_row_set(row, AR_COL_EVENT, "Home visit\r\nChild seen");
	assert_string_equal(row->col[AR_COL_EVENT], "Home visit\nChild seen");
	ar_row_set(row, AR_COL_EVENT, "  ");
	assert_null(row->col[AR_COL_EVENT]);
	assert_int_equal(ret->n_rows, 3);

	/* Rows stop at AR_MAX_ROWS with one warning. */
	for (i = 3; i < AR_MAX_ROWS; i++) {
		row = ar_add_row(ret);
		assert_non_null(row);
		ar_row_set(row, AR_COL_EVENT, "x");
	}
	assert_int_equal(ret->n_rows, AR_MAX_ROWS);
	assert_null(ar_add_row(ret));
	assert_null(ar_add_row(ret));
	assert_int_equal(ret->n_rows, AR_MAX_ROWS);
	assert_int_equal(ret->n_warnings, 1);
	assert_string_equal(ret->rows[AR_MAX_ROWS - 1].col[AR_COL_EVENT],
	    "x");
	ar_free(ret);
}

/* --- documents --- */

static struct ar_block *
doc_add(struct ar_doc *doc, enum ar_block_type type)
{
	struct ar_block	*b;

	doc->blocks = xreallocarray(doc->blocks, doc->n_blocks + 1,
	    sizeof *doc->blocks);
	b = &doc->blocks[doc->n_blocks++];
	memset(b, 0, sizeof *b);
	b->type = type;
	return b;
}

static void
doc_para(struct ar_doc *doc, const char *text, int emphasis)
{
	struct ar_block	*b = doc_add(doc, AR_BLOCK_PARA);

	b->text = xstrdup(text);
	b->emphasis = emphasis;
}

static void
doc_control(struct ar_doc *doc, const char *key, const char *title,
    const char *text)
{
	struct ar_block	*b = doc_add(doc, AR_BLOCK_CONTROL);

	b->key = key != NULL ? xstrdup(key) : NULL;
	b->title = title != NULL ? xstrdup(title) : NULL;
	b->text = xstrdup(text);
}

/* A table of rows x cols cells given row by row; NULL cells are absent
 * (the row is shorter). */
static void
doc_table(struct ar_doc *doc, size_t rows, size_t cols,
    const char *const *cells)
{
	struct ar_block	*b = doc_add(doc, AR_BLOCK_TABLE);
	size_t		 r, c;

	b->n_rows = rows;
	b->cells = xcalloc(rows, sizeof *b->cells);
	b->n_cols = xcalloc(rows, sizeof *b->n_cols);
	for (r = 0; r < rows; r++) {
		b->cells[r] = xcalloc(cols, sizeof *b->cells[r]);
		for (c = 0; c < cols && cells[r * cols + c] != NULL; c++)
			b->cells[r][c] = xstrdup(cells[r * cols + c]);
		b->n_cols[r] = c;
	}
}

static void
test_doc_controls(void **state)
{
	struct ar_doc		 doc = { NULL, 0 };
	struct agency_return	*ret;

	(void)state;
	doc_control(&doc, "author", NULL, "  Jane Smith ");
	doc_control(&doc, NULL, "Role [rr:role]", "Named nurse");
	doc_control(&doc, NULL, "Agency", "Northshire Health");
	doc_control(&doc, "rr:involved", NULL, "Yes");
	doc_control(&doc, "nonsense", "Quality of practice [rr:quality]",
	    "Good");
	doc_control(&doc, "learning", NULL,
	    "Click or tap here to enter text.");
	doc_control(&doc, "impact", NULL, "");
	doc_control(&doc, NULL, NULL, "orphan text");
	/* A label after the control does not overwrite it. */
	doc_para(&doc, "Completed by: Someone Else", 0);
	doc_para(&doc, "Learning identified: From a paragraph", 0);

	ret = ar_new(AR_SOURCE_DOCX);
	ar_from_doc(&doc, ret);
	assert_int_equal(ret->found, 1);
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	assert_string_equal(ret->field[AR_ROLE], "Named nurse");
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Health");
	assert_string_equal(ret->field[AR_INVOLVED], "Yes");
	assert_string_equal(ret->field[AR_QUALITY], "Good");
	assert_string_equal(ret->field[AR_LEARNING], "From a paragraph");
	assert_null(ret->field[AR_IMPACT]);
	assert_int_equal(ar_count_fields(ret), 6);
	assert_int_equal(ret->n_rows, 0);
	ar_free(ret);
	ar_doc_free(&doc);
	assert_int_equal(doc.n_blocks, 0);

	/* Nothing of a return at all. */
	doc_para(&doc, "Dear colleague, please see attached.", 0);
	doc_para(&doc, "Kind regards", 1);
	ret = ar_new(AR_SOURCE_DOCX);
	ar_from_doc(&doc, ret);
	assert_int_equal(ret->found, 0);
	assert_int_equal(ar_count_fields(ret), 0);
	ar_free(ret);
	ar_doc_free(&doc);
}

/* A data table's header row is not labels and values. */
static void
test_doc_header_row(void **state)
{
	static const char *const cells[] = {
		"Name", "Age", "City",
		"Ann", "34", "Leeds",
	};
	struct ar_doc		 doc = { NULL, 0 };
	struct agency_return	*ret;

	(void)state;
	doc_table(&doc, 2, 3, cells);
	ret = ar_new(AR_SOURCE_ODT);
	ar_from_doc(&doc, ret);
	assert_null(ret->field[AR_AUTHOR]);
	assert_int_equal(ret->found, 0);
	ar_free(ret);
	ar_doc_free(&doc);
}

static void
test_doc_tables(void **state)
{
	static const char *const labels[] = {
		"Agency", "Northshire Police", NULL, NULL,
		"Completed by:", "DS A. Jones", NULL, NULL,
		"Role", "", "Email", "a.jones@police.example",
		"Date completed", "9th July 2024", "Phone", "01234 567890",
		"Involved with the child or family (yes/no)",
		"\xe2\x98\x90 Yes \xe2\x98\x92 No", NULL, NULL,
		"Summary of involvement\nPlease give a brief overview", "",
		"", "",
		"The family moved to the area in 2021.", NULL, NULL, NULL,
		"Name: Not used here", NULL, NULL, NULL,
		"Good practice", "Records secured", NULL, NULL,
		"Learning identified", "Summary\nNothing new.", NULL, NULL,
	};
	struct ar_doc		 doc = { NULL, 0 };
	struct agency_return	*ret;

	(void)state;
	doc_table(&doc, 10, 4, labels);
	ret = ar_new(AR_SOURCE_DOCX);
	ar_from_doc(&doc, ret);
	assert_int_equal(ret->found, 1);
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	assert_string_equal(ret->field[AR_AUTHOR], "DS A. Jones");
	/* "Role" with an empty value: the next cell is a label. */
	assert_null(ret->field[AR_ROLE]);
	assert_string_equal(ret->field[AR_EMAIL], "a.jones@police.example");
	assert_string_equal(ret->field[AR_COMPLETED], "9th July 2024");
	assert_string_equal(ret->field[AR_PHONE], "01234 567890");
	assert_string_equal(ret->field[AR_INVOLVED],
	    "\xe2\x98\x90 Yes \xe2\x98\x92 No");
	/* A label alone on its row: the value is the row below. */
	assert_string_equal(ret->field[AR_INVOLVEMENT],
	    "The family moved to the area in 2021.");
	/* "Name: ..." in a cell: the author was set already. */
	assert_string_equal(ret->field[AR_AUTHOR], "DS A. Jones");
	/* Two labels side by side give no value to either. */
	assert_null(ret->field[AR_GOOD_PRACTICE]);
	assert_null(ret->field[AR_RECORDS_SECURED]);
	/* A value whose first line looks like a label is a value. */
	assert_string_equal(ret->field[AR_LEARNING], "Summary\nNothing new.");
	assert_int_equal(ar_count_fields(ret), 8);

	ar_finish(ret);
	assert_string_equal(ret->field[AR_INVOLVED], "no");
	assert_string_equal(ret->field[AR_COMPLETED], "2024-07-09");
	assert_int_equal(ret->nil, 1);
	assert_int_equal(ar_missing(ret, NULL), 0);
	assert_int_equal(ar_is_complete(ret), 1);
	ar_free(ret);
	ar_doc_free(&doc);
}

static void
test_doc_paragraphs(void **state)
{
	struct ar_doc		 doc = { NULL, 0 };
	struct agency_return	*ret;

	(void)state;
	doc_para(&doc, "Rapid Review: agency return", 1);
	doc_para(&doc, "Agency: Northshire Children's Social Care", 0);
	doc_para(&doc, "Completed by:   Sam Brown  ", 0);
	doc_para(&doc, "Job title: Team manager", 0);
	doc_para(&doc, "Was your agency involved? Yes", 0);
	doc_para(&doc, "Involved: yes - allocated social worker", 0);
	doc_para(&doc, "Summary of involvement", 1);
	doc_para(&doc, "The family were open to CSC from 2020.", 0);
	doc_para(&doc, "", 0);
	doc_para(&doc, "A child in need plan was in place.", 0);
	doc_para(&doc, "Quality of practice:", 0);
	doc_para(&doc, "Visits were regular.", 0);
	doc_para(&doc, "Impact of practice on outcomes for the child", 1);
	doc_para(&doc, "Limited.", 0);
	doc_para(&doc, "Section 4 - Actions", 1);
	doc_para(&doc, "This text belongs to no field.", 0);
	doc_para(&doc, "Immediate actions taken or needed:", 1);
	doc_para(&doc, "Siblings' plans reviewed.", 0);
	doc_control(&doc, NULL, NULL, "a control ends the value");
	doc_para(&doc, "Not part of the actions.", 0);
	doc_para(&doc, "LCSPR criteria met (yes/no/unsure): Unsure", 0);
	doc_para(&doc, "Reasons for the LCSPR view", 1);
	doc_para(&doc, "Further information is needed.", 0);
	doc_para(&doc, "Learning identified", 1);
	doc_para(&doc, "Click or tap here to enter text.", 0);
	doc_para(&doc, "Voice of the child:", 0);
	doc_para(&doc, "Good practice", 1);
	doc_para(&doc, "Prompt referral", 1);
	doc_para(&doc, "Equality", 1);

	ret = ar_new(AR_SOURCE_ODT);
	ar_from_doc(&doc, ret);
	assert_int_equal(ret->found, 1);
	assert_string_equal(ret->field[AR_AGENCY],
	    "Northshire Children's Social Care");
	assert_string_equal(ret->field[AR_AUTHOR], "Sam Brown");
	assert_string_equal(ret->field[AR_ROLE], "Team manager");
	/* "Was your agency involved? Yes" has no colon: not a label. */
	assert_string_equal(ret->field[AR_INVOLVED],
	    "yes - allocated social worker");
	assert_string_equal(ret->field[AR_INVOLVEMENT],
	    "The family were open to CSC from 2020.\n"
	    "A child in need plan was in place.");
	assert_string_equal(ret->field[AR_QUALITY], "Visits were regular.");
	assert_string_equal(ret->field[AR_IMPACT], "Limited.");
	assert_string_equal(ret->field[AR_IMMEDIATE_ACTIONS],
	    "Siblings' plans reviewed.");
	assert_string_equal(ret->field[AR_LCSPR_VIEW], "Unsure");
	assert_string_equal(ret->field[AR_LCSPR_RATIONALE],
	    "Further information is needed.");
	assert_null(ret->field[AR_LEARNING]);
	assert_null(ret->field[AR_VOICE_OF_CHILD]);
	/* A bold line right after a label is its answer. */
	assert_string_equal(ret->field[AR_GOOD_PRACTICE], "Prompt referral");
	assert_null(ret->field[AR_EQUALITY]);
	assert_int_equal(ar_count_fields(ret), 11);

	ar_finish(ret);
	assert_string_equal(ret->field[AR_INVOLVED], "yes");
	assert_string_equal(ret->field[AR_LCSPR_VIEW], "unsure");
	assert_int_equal(ret->nil, 0);
	ar_free(ret);
	ar_doc_free(&doc);
}

static void
test_doc_chronology(void **state)
{
	static const char *const other[] = {
		"Date", "08/07/2024",
		"Completed by", "Pat Green",
	};
	static const char *const chrono[] = {
		"Northshire Health chronology", "Northshire Health chronology",
		"Northshire Health chronology", "Northshire Health chronology",
		"Northshire Health chronology",
		"Date of contact", "Type of contact", "Details",
		"Action/Outcome",
		"Agency",
		"03/01/2024 10:15", "Home visit", "Child J seen with mother.",
		"None", "Health",
		"", "", "", "", "",
		"Date of contact", "Type of contact", "Details",
		"Action / outcome", "Agency",
		"15th March 2024", "Phone call", "Mother called GP.", "",
		"Health",
		"31/04/2024", "Letter", "Appointment sent.", "DNA", "",
		"", "Clinic", "No date given.", "", "",
	};
	static const char *const second[] = {
		"Date", "Event",
		"01/06/2024", "Not read: only the first table counts",
	};
	struct ar_doc		 doc = { NULL, 0 };
	struct agency_return	*ret;

	(void)state;
	doc_table(&doc, 2, 2, other);
	doc_para(&doc, "Chronology", 1);
	doc_table(&doc, 8, 5, chrono);
	doc_table(&doc, 2, 2, second);

	ret = ar_new(AR_SOURCE_DOCX);
	ar_from_doc(&doc, ret);
	assert_int_equal(ret->found, 1);
	/* The Label | Value table is not a chronology: no second column. */
	assert_string_equal(ret->field[AR_COMPLETED], "08/07/2024");
	assert_string_equal(ret->field[AR_AUTHOR], "Pat Green");
	assert_int_equal(ret->n_rows, 4);
	assert_string_equal(ret->rows[0].col[AR_COL_DATE], "03/01/2024 10:15");
	assert_string_equal(ret->rows[0].date, "2024-01-03");
	assert_string_equal(ret->rows[0].time, "10:15");
	assert_string_equal(ret->rows[0].col[AR_COL_CONTACT_TYPE],
	    "Home visit");
	assert_string_equal(ret->rows[0].col[AR_COL_EVENT],
	    "Child J seen with mother.");
	assert_string_equal(ret->rows[0].col[AR_COL_OUTCOME], "None");
	assert_null(ret->rows[0].col[AR_COL_SEEN]);
	assert_null(ret->rows[0].col[AR_COL_SIGNIFICANCE]);
	assert_string_equal(ret->rows[1].date, "2024-03-15");
	assert_null(ret->rows[1].col[AR_COL_OUTCOME]);
	assert_string_equal(ret->rows[2].col[AR_COL_DATE], "31/04/2024");
	assert_string_equal(ret->rows[2].date, "");
	assert_null(ret->rows[3].col[AR_COL_DATE]);
	/* No field came from the chronology table's cells. */
	assert_int_equal(ar_count_fields(ret), 2);

	ar_finish(ret);
	assert_int_equal(ret->n_rows, 4);
	assert_string_equal(ret->field[AR_COMPLETED], "2024-07-08");
	assert_int_equal(ret->n_warnings, 2);
	assert_string_equal(ret->warnings[0],
	    "Chronology row 3: the date could not be read");
	assert_string_equal(ret->warnings[1],
	    "Chronology row 4: no date was given");
	ar_free(ret);
	ar_doc_free(&doc);
}

static void
test_doc_pairs_and_limits(void **state)
{
	static const char *const pairs[] = {
		"Agency", "Education", "Role", "DSL",
		"Completed by", "Ms Head", "Date", "1/9/24",
	};
	struct ar_doc		 doc = { NULL, 0 };
	struct agency_return	*ret;
	struct ar_block		*b;
	char			*big;

	(void)state;
	doc_table(&doc, 2, 4, pairs);
	/* A table with no rows and one with NULL cells are harmless. */
	b = doc_add(&doc, AR_BLOCK_TABLE);
	(void)b;
	b = doc_add(&doc, AR_BLOCK_PARA);
	b->text = NULL;
	/* A long bold label paragraph then a huge value. */
	big = xmalloc(AR_MAX_FIELD_BYTES + 100);
	memset(big, 'z', AR_MAX_FIELD_BYTES + 99);
	big[AR_MAX_FIELD_BYTES + 99] = '\0';
	doc_para(&doc, "Learning", 1);
	doc_para(&doc, big, 0);
	doc_para(&doc, big, 0);
	free(big);

	ret = ar_new(AR_SOURCE_DOCX);
	ar_from_doc(&doc, ret);
	assert_string_equal(ret->field[AR_AGENCY], "Education");
	assert_string_equal(ret->field[AR_ROLE], "DSL");
	assert_string_equal(ret->field[AR_AUTHOR], "Ms Head");
	assert_string_equal(ret->field[AR_COMPLETED], "1/9/24");
	assert_int_equal(strlen(ret->field[AR_LEARNING]), AR_MAX_FIELD_BYTES);
	assert_int_equal(ret->n_warnings, 1);
	ar_free(ret);
	ar_doc_free(&doc);
	ar_doc_free(NULL);
	ar_from_doc(NULL, NULL);
}

/* --- after reading --- */

static const struct {
	const char	*in;
	const char	*out;	/* NULL: unreadable */
} involved_answers[] = {
	{ "Yes", "yes" },
	{ "Y", "yes" },
	{ "yes.", "yes" },
	{ "TRUE", "yes" },
	{ "Involved", "yes" },
	{ "Yes - open to early help", "yes" },
	{ "Yes (see summary)", "yes" },
	{ "No", "no" },
	{ "n", "no" },
	{ "None", "no" },
	{ "Not involved", "no" },
	{ "No involvement", "no" },
	{ "Nil", "no" },
	{ "NIL return", "no" },
	{ "Not known", "no" },
	{ "Not known to agency", "no" },
	{ "No, not known to this service", "no" },
	{ "\xe2\x98\x92 Yes \xe2\x98\x90 No", "yes" },
	{ "\xe2\x98\x90 Yes \xe2\x98\x92 No", "no" },
	{ "[ ] Yes [x] No", "no" },
	{ "Yes \xe2\x98\x90 No \xe2\x98\x92", "no" },
	{ "Yes \xe2\x98\x92  No \xe2\x98\x90", "yes" },
	{ "Yes [x]  No [ ]", "yes" },
	{ "Perhaps", NULL },
	{ "See attached", NULL },
	{ "N/A", NULL },
	{ "Nobody knows", NULL },
};

static const struct {
	const char	*in;
	const char	*out;
} lcspr_answers[] = {
	{ "Yes", "yes" },
	{ "yes - criteria met", "yes" },
	{ "Criteria met", "yes" },
	{ "No", "no" },
	{ "Criteria not met", "no" },
	{ "Not met", "no" },
	{ "No - single agency learning only", "no" },
	{ "Unsure", "unsure" },
	{ "Not sure", "unsure" },
	{ "Don\xe2\x80\x99t know", "unsure" },
	{ "don't know", "unsure" },
	{ "Possibly", "unsure" },
	{ "Maybe", "unsure" },
	{ "Unsure at this stage", "unsure" },
	{ "\xe2\x98\x90 Yes \xe2\x98\x90 No \xe2\x98\x92 Unsure", "unsure" },
	{ "Ask the panel", NULL },
	{ "Notable", NULL },
};

static void
test_finish_answers(void **state)
{
	struct agency_return	*ret;
	const char		**list;
	size_t			 i, n;

	(void)state;
	for (i = 0; i < sizeof involved_answers / sizeof involved_answers[0];
	    i++) {
		ret = ar_new(AR_SOURCE_TEXT);
		ar_set_field(ret, AR_INVOLVED, involved_answers[i].in);
		ar_finish(ret);
		if (involved_answers[i].out == NULL) {
			if (ret->field[AR_INVOLVED] != NULL)
				fail_msg("involved \"%s\" read as %s",
				    involved_answers[i].in,
				    ret->field[AR_INVOLVED]);
			n = ar_unreadable(ret, &list);
			assert_int_equal(n, 1);
			assert_string_equal(list[0],
			    "Involved with the child or family");
			assert_null(list[1]);
			free(list);
			assert_int_equal(ar_is_complete(ret), 0);
		} else {
			if (ret->field[AR_INVOLVED] == NULL)
				fail_msg("involved \"%s\" not read",
				    involved_answers[i].in);
			assert_string_equal(ret->field[AR_INVOLVED],
			    involved_answers[i].out);
			assert_int_equal(ar_unreadable(ret, NULL), 0);
			assert_int_equal(ret->nil,
			    strcmp(involved_answers[i].out, "no") == 0);
		}
		ar_free(ret);
	}
	for (i = 0; i < sizeof lcspr_answers / sizeof lcspr_answers[0];
	    i++) {
		ret = ar_new(AR_SOURCE_TEXT);
		ar_set_field(ret, AR_LCSPR_VIEW, lcspr_answers[i].in);
		ar_finish(ret);
		if (lcspr_answers[i].out == NULL) {
			if (ret->field[AR_LCSPR_VIEW] != NULL)
				fail_msg("lcspr \"%s\" read as %s",
				    lcspr_answers[i].in,
				    ret->field[AR_LCSPR_VIEW]);
			n = ar_unreadable(ret, &list);
			assert_int_equal(n, 1);
			assert_string_equal(list[0], "LCSPR criteria met");
			free(list);
		} else {
			if (ret->field[AR_LCSPR_VIEW] == NULL)
				fail_msg("lcspr \"%s\" not read",
				    lcspr_answers[i].in);
			assert_string_equal(ret->field[AR_LCSPR_VIEW],
			    lcspr_answers[i].out);
		}
		ar_free(ret);
	}
}

static void
test_finish_dates_rows(void **state)
{
	struct agency_return	*ret;
	struct ar_row		*row;

	(void)state;
	ret = ar_new(AR_SOURCE_CSV);
	ar_set_field(ret, AR_COMPLETED, "Tuesday 9th July 2024");
	ar_set_field(ret, AR_FIRST_CONTACT, "Some time in 2019");
	ar_set_field(ret, AR_LAST_CONTACT, "03/07/24 16:00");
	ar_set_field(ret, AR_SIGNED_OFF, "10/07/2024");
	ar_set_field(ret, AR_RECORDS_SECURED, "Yes, on 9 July");

	row = ar_add_row(ret);			/* empty: dropped */
	row = ar_add_row(ret);
	ar_row_set(row, AR_COL_DATE, "01/02/2024");
	ar_row_set(row, AR_COL_EVENT, "Seen at clinic");
	row = ar_add_row(ret);
	ar_row_set(row, AR_COL_EVENT, "   ");	/* empty: dropped */
	row = ar_add_row(ret);
	ar_row_set(row, AR_COL_DATE, "30/02/2024");
	row = ar_add_row(ret);
	ar_row_set(row, AR_COL_OUTCOME, "Referral made");
	assert_int_equal(ret->n_rows, 5);

	ar_finish(ret);
	assert_string_equal(ret->field[AR_COMPLETED], "2024-07-09");
	assert_string_equal(ret->field[AR_FIRST_CONTACT], "Some time in 2019");
	assert_string_equal(ret->field[AR_LAST_CONTACT], "2024-07-03");
	assert_string_equal(ret->field[AR_SIGNED_OFF], "2024-07-10");
	assert_string_equal(ret->field[AR_RECORDS_SECURED], "Yes, on 9 July");
	assert_int_equal(ret->n_rows, 3);
	assert_string_equal(ret->rows[0].date, "2024-02-01");
	assert_string_equal(ret->rows[0].col[AR_COL_EVENT], "Seen at clinic");
	assert_string_equal(ret->rows[1].col[AR_COL_DATE], "30/02/2024");
	assert_string_equal(ret->rows[2].col[AR_COL_OUTCOME], "Referral made");
	assert_int_equal(ret->n_warnings, 3);
	assert_string_equal(ret->warnings[0],
	    "Field 'First contact': the date could not be read");
	assert_string_equal(ret->warnings[1],
	    "Chronology row 2: the date could not be read");
	assert_string_equal(ret->warnings[2],
	    "Chronology row 3: no date was given");
	assert_int_equal(ret->nil, 0);

	/* Rows can still be added after rows were dropped. */
	row = ar_add_row(ret);
	assert_non_null(row);
	ar_row_set(row, AR_COL_DATE, "2024-05-05");
	assert_int_equal(ret->n_rows, 4);
	assert_string_equal(ret->rows[0].date, "2024-02-01");
	ar_free(ret);

	/* Only empty rows. */
	ret = ar_new(AR_SOURCE_CSV);
	ar_add_row(ret);
	ar_add_row(ret);
	ar_finish(ret);
	assert_int_equal(ret->n_rows, 0);
	assert_int_equal(ret->n_warnings, 0);
	ar_free(ret);
}

/* --- completeness --- */

static struct agency_return *
full_return(void)
{
	struct agency_return	*ret;
	struct ar_row		*row;

	ret = ar_new(AR_SOURCE_TEXT);
	ar_set_field(ret, AR_AUTHOR, "Jane Smith");
	ar_set_field(ret, AR_INVOLVED, "Yes");
	ar_set_field(ret, AR_INVOLVEMENT, "Health visiting since birth.");
	ar_set_field(ret, AR_QUALITY, "Good.");
	ar_set_field(ret, AR_IMPACT, "Some.");
	ar_set_field(ret, AR_IMMEDIATE_ACTIONS, "None needed.");
	ar_set_field(ret, AR_LCSPR_VIEW, "No");
	row = ar_add_row(ret);
	ar_row_set(row, AR_COL_DATE, "2024-01-01");
	ar_row_set(row, AR_COL_EVENT, "New birth visit");
	return ret;
}

static void
test_missing(void **state)
{
	struct agency_return	*ret;
	const char		**list;
	size_t			 n;

	(void)state;
	ret = full_return();
	ar_finish(ret);
	assert_int_equal(ar_missing(ret, &list), 0);
	assert_null(list[0]);
	free(list);
	assert_int_equal(ar_unreadable(ret, NULL), 0);
	assert_int_equal(ar_is_complete(ret), 1);
	ar_free(ret);

	/* Nothing at all: the involved-dependent fields are listed too. */
	ret = ar_new(AR_SOURCE_TEXT);
	ar_finish(ret);
	n = ar_missing(ret, &list);
	assert_int_equal(n, 8);
	assert_string_equal(list[0], "Completed by");
	assert_string_equal(list[1], "Involved with the child or family");
	assert_string_equal(list[2], "Summary of involvement");
	assert_string_equal(list[3], "Chronology");
	assert_string_equal(list[4], "Quality of practice");
	assert_string_equal(list[5],
	    "Impact of practice on outcomes for the child");
	assert_string_equal(list[6], "Immediate actions taken or needed");
	assert_string_equal(list[7], "LCSPR criteria met");
	assert_null(list[8]);
	free(list);
	assert_int_equal(ar_is_complete(ret), 0);
	ar_free(ret);

	/* Involved, some missing, one unreadable (listed once). */
	ret = full_return();
	free(ret->field[AR_QUALITY]);
	ret->field[AR_QUALITY] = NULL;
	free(ret->field[AR_INVOLVED]);
	ret->field[AR_INVOLVED] = NULL;
	ar_set_field(ret, AR_INVOLVED, "Perhaps");
	/* The only row emptied: dropped, so no chronology. */
	ar_row_set(&ret->rows[0], AR_COL_DATE, "");
	ar_row_set(&ret->rows[0], AR_COL_EVENT, NULL);
	ar_finish(ret);
	assert_null(ret->field[AR_INVOLVED]);
	n = ar_missing(ret, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "Chronology");
	assert_string_equal(list[1], "Quality of practice");
	free(list);
	assert_int_equal(ar_unreadable(ret, NULL), 1);
	ar_free(ret);

	/* A nil return needs the author alone. */
	ret = ar_new(AR_SOURCE_TEXT);
	ar_set_field(ret, AR_INVOLVED, "No involvement");
	ar_finish(ret);
	assert_int_equal(ret->nil, 1);
	n = ar_missing(ret, &list);
	assert_int_equal(n, 1);
	assert_string_equal(list[0], "Completed by");
	free(list);
	ar_set_field(ret, AR_AUTHOR, "A. Person");
	assert_int_equal(ar_missing(ret, NULL), 0);
	assert_int_equal(ar_is_complete(ret), 1);
	ar_free(ret);

	/* nil set by a reader ("NIL RETURN" on the first line). */
	ret = ar_new(AR_SOURCE_TEXT);
	ar_set_field(ret, AR_AUTHOR, "A. Person");
	ar_finish(ret);
	ret->nil = 1;
	assert_int_equal(ar_missing(ret, NULL), 0);
	ar_free(ret);

	assert_int_equal(ar_count_fields(ret = full_return()), 7);
	ar_free(ret);
}

static void
test_text_form(void **state)
{
	char		*form, *p, *line;
	size_t		 i, n;
	int		 f;

	(void)state;
	form = ar_text_form("RR-2024-001");
	assert_non_null(form);
	assert_true(strncmp(form,
	    "--- RAPID REVIEW RETURN RR-2024-001 BEGIN ---\n", 46) == 0);
	n = strlen(form);
	assert_true(n > 11);
	assert_string_equal(form + n - 11, "--- END ---");
	for (f = 0; f < AR_NFIELDS; f++) {
		xasprintf(&line, "\n%s:\n", ar_field_label((enum ar_field)f));
		p = strstr(form, line);
		if (p == NULL)
			fail_msg("no line for %s", line + 1);
		assert_null(strstr(p + 1, line));
		/* Each line reads back as its field. */
		line[strlen(line) - 1] = '\0';
		assert_int_equal(ar_field_from_label(line + 1), f);
		free(line);
	}
	/* The chronology line sits after the case status. */
	p = strstr(form, "\nOpen or closed at the time of the incident:\n"
	    "Chronology (one line each: YYYY-MM-DD | contact type | "
	    "what happened | outcome):\nQuality of practice:\n");
	assert_non_null(p);
	assert_true(strstr(form, "\nAgency:\nCompleted by:\n") != NULL);
	/* Lines: BEGIN, the fields, the chronology, END. */
	for (i = 0, n = 0; form[i] != '\0'; i++)
		if (form[i] == '\n')
			n++;
	assert_int_equal(n, AR_NFIELDS + 2);
	free(form);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_keys_and_labels),
		cmocka_unit_test(test_synonyms),
		cmocka_unit_test(test_set_field),
		cmocka_unit_test(test_warnings_cap),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_doc_controls),
		cmocka_unit_test(test_doc_tables),
		cmocka_unit_test(test_doc_header_row),
		cmocka_unit_test(test_doc_paragraphs),
		cmocka_unit_test(test_doc_chronology),
		cmocka_unit_test(test_doc_pairs_and_limits),
		cmocka_unit_test(test_finish_answers),
		cmocka_unit_test(test_finish_dates_rows),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_text_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
