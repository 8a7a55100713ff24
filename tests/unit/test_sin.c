/*
 * test_sin.c - Serious Incident Notification fields from plain text
 * (SPEC §3.1): the seed's Child J, label variants, missing fields, dates,
 * other children, CRLF, quoted replies, limits, agency matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "date.h"
#include "sin.h"
#include "xmalloc.h"

/* The seed's "Case background" paragraph, as one line. */
static const char child_j_background[] =
    "In July 2024, Child J and his mother were found deceased in the "
    "family home; their deaths are thought to be a case of maternal "
    "filicide-suicide. Child J, a 5-year-old boy with autism, lived alone "
    "with his mother. They appeared socially isolated - they did not leave "
    "the house frequently, had no family in the country, and Child J was "
    "home educated by his mother. Child J\xe2\x80\x99s parents separated in "
    "2020; the reason for this is unknown, but alleged domestic abuse "
    "perpetrated by father may have been a causal factor. Following the "
    "separation, there were difficulties relating to father\xe2\x80\x99s "
    "access to Child J and private family law proceedings were ongoing at "
    "the time of Child J and his mother\xe2\x80\x99s death.";

/* Word-wrap text at width columns, as a mail client would. */
static char *
wrap(const char *text, size_t width)
{
	char		*out = xmalloc(strlen(text) * 2 + 1);
	const char	*w = text, *sp;
	size_t		 col = 0, n = 0, len;

	while (*w != '\0') {
		sp = strchr(w, ' ');
		len = sp != NULL ? (size_t)(sp - w) : strlen(w);
		if (col > 0 && col + 1 + len > width) {
			out[n++] = '\n';
			col = 0;
		} else if (col > 0) {
			out[n++] = ' ';
			col++;
		}
		memcpy(out + n, w, len);
		n += len;
		col += len;
		w += len;
		if (*w == ' ')
			w++;
	}
	out[n] = '\0';
	return out;
}

/* The seed's Child J as a SIN typed into an email, with eol for "\n". */
static char *
child_j_sin(const char *eol)
{
	char	*bg, *text, *out, *p;
	size_t	 n;

	bg = wrap(child_j_background, 72);
	xasprintf(&text,
	    "Dear colleagues,\n"
	    "\n"
	    "Please find below the SIN sent to the Panel today.\n"
	    "\n"
	    "Child: Child J\n"
	    "Age: 5\n"
	    "Sex: male\n"
	    "Disability: autism\n"
	    "Incident type: death\n"
	    "Incident date: 2024-07-03\n"
	    "Date aware: 4/7/2024\n"
	    "Date notified: 8 July 2024\n"
	    "Panel reference: SIN-2024-12345\n"
	    "Local authority: Northshire\n"
	    "Agencies involved: police, health, children's social care, "
	    "education\n"
	    "Case background:\n"
	    "%s\n"
	    "\n"
	    "Kind regards,\n"
	    "Sam Notifier\n"
	    "Northshire Children's Services\n", bg);
	free(bg);
	/* Replace each "\n" by eol. */
	out = xmalloc(strlen(text) * strlen(eol) + 1);
	for (p = text, n = 0; *p != '\0'; p++) {
		if (*p == '\n') {
			memcpy(out + n, eol, strlen(eol));
			n += strlen(eol);
		} else
			out[n++] = *p;
	}
	out[n] = '\0';
	free(text);
	return out;
}

static long
day_of(int y, int m, int d)
{
	struct rr_date	dt = { y, m, d };

	return date_to_days(&dt);
}

static void
check_child_j(const struct sin_fields *f)
{
	assert_int_equal(f->n_children, 1);
	assert_string_equal(f->children[0].identifier, "Child J");
	assert_string_equal(f->children[0].age, "5");
	assert_null(f->children[0].dob);
	assert_string_equal(f->children[0].sex, "male");
	assert_null(f->children[0].ethnicity);
	assert_string_equal(f->children[0].disability, "autism");
	assert_string_equal(f->incident_type, "death");
	assert_string_equal(f->incident_type_text, "death");
	assert_true(f->incident_date == day_of(2024, 7, 3));
	assert_true(f->date_aware == day_of(2024, 7, 4));
	assert_true(f->date_notified == day_of(2024, 7, 8));
	assert_string_equal(f->panel_ref, "SIN-2024-12345");
	assert_string_equal(f->local_authority, "Northshire");
	assert_null(f->residing_authority);
	assert_string_equal(f->background, child_j_background);
	assert_int_equal(f->n_agencies, 4);
	assert_string_equal(f->agencies[0], "police");
	assert_string_equal(f->agencies[1], "health");
	assert_string_equal(f->agencies[2], "children's social care");
	assert_string_equal(f->agencies[3], "education");
	assert_int_equal(f->n_missing, 0);
	assert_int_equal(f->n_warnings, 0);
}

static void
test_child_j(void **state)
{
	struct sin_fields	 f;
	char			*text;

	text = child_j_sin("\n");
	assert_int_equal(sin_parse(text, &f), 1);
	check_child_j(&f);
	sin_fields_free(&f);
	free(text);
}

/* CRLF (as on the wire) and lone CR line ends read the same. */
static void
test_line_ends(void **state)
{
	static const char *const eols[] = { "\r\n", "\r" };
	struct sin_fields	 f;
	char			*text;
	size_t			 i;

	for (i = 0; i < sizeof eols / sizeof eols[0]; i++) {
		text = child_j_sin(eols[i]);
		assert_int_equal(sin_parse(text, &f), 1);
		check_child_j(&f);
		sin_fields_free(&f);
		free(text);
	}
}

static char *
join(char **v, size_t n)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < n; i++) {
		xasprintf(&t, "%s%s%s", s, i > 0 ? "|" : "", v[i]);
		free(s);
		s = t;
	}
	return s;
}

static char *
day_text(long day)
{
	struct rr_date	dt;
	char		buf[16];

	if (day == SIN_NO_DATE)
		return NULL;
	date_from_days(day, &dt);
	return xstrdup(date_format_iso(&dt, buf, sizeof buf));
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * One field of f as text (caller frees; NULL when absent). Lists are
 * joined with "|"; "others" are "identifier/age" with "-" for none.
 */
static char *
field_text(const struct sin_fields *f, const char *name)
{
	const struct sin_child	*c = &f->children[0];
	char			*s, *t;
	size_t			 i;

	if (strcmp(name, "child") == 0)
		return dup_or_null(c->identifier);
	if (strcmp(name, "age") == 0)
		return dup_or_null(c->age);
	if (strcmp(name, "dob") == 0)
		return dup_or_null(c->dob);
	if (strcmp(name, "sex") == 0)
		return dup_or_null(c->sex);
	if (strcmp(name, "ethnicity") == 0)
		return dup_or_null(c->ethnicity);
	if (strcmp(name, "disability") == 0)
		return dup_or_null(c->disability);
	if (strcmp(name, "type") == 0)
		return dup_or_null(f->incident_type);
	if (strcmp(name, "type_text") == 0)
		return dup_or_null(f->incident_type_text);
	if (strcmp(name, "incident_date") == 0)
		return day_text(f->incident_date);
	if (strcmp(name, "aware") == 0)
		return day_text(f->date_aware);
	if (strcmp(name, "notified") == 0)
		return day_text(f->date_notified);
	if (strcmp(name, "panel_ref") == 0)
		return dup_or_null(f->panel_ref);
	if (strcmp(name, "la") == 0)
		return dup_or_null(f->local_authority);
	if (strcmp(name, "residing") == 0)
		return dup_or_null(f->residing_authority);
	if (strcmp(name, "background") == 0)
		return dup_or_null(f->background);
	if (strcmp(name, "agencies") == 0)
		return join(f->agencies, f->n_agencies);
	if (strcmp(name, "missing") == 0)
		return join(f->missing, f->n_missing);
	if (strcmp(name, "warnings") == 0)
		return join(f->warnings, f->n_warnings);
	if (strcmp(name, "others") == 0) {
		s = xstrdup("");
		for (i = 1; i < f->n_children; i++) {
			xasprintf(&t, "%s%s%s/%s", s, i > 1 ? "|" : "",
			    f->children[i].identifier != NULL ?
			    f->children[i].identifier : "-",
			    f->children[i].age != NULL ?
			    f->children[i].age : "-");
			free(s);
			s = t;
		}
		return s;
	}
	fail_msg("no field %s", name);
	return NULL;
}

struct field_case {
	const char	*text;
	const char	*field;
	const char	*want;		/* NULL: absent */
};

static void
run_field_cases(const struct field_case *cases, size_t n)
{
	struct sin_fields	 f;
	char			*got;
	size_t			 i;

	for (i = 0; i < n; i++) {
		sin_parse(cases[i].text, &f);
		got = field_text(&f, cases[i].field);
		if (cases[i].want == NULL ? got != NULL :
		    got == NULL || strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu %s: got '%s', want '%s'", i,
			    cases[i].field, got != NULL ? got : "(null)",
			    cases[i].want != NULL ? cases[i].want : "(null)");
		free(got);
		sin_fields_free(&f);
	}
}

#define N(a)	(sizeof (a) / sizeof (a)[0])

/* Label synonyms, case, spacing, punctuation and layouts. */
static void
test_labels(void **state)
{
	static const struct field_case cases[] = {
		{ "DATE OF INCIDENT - 3 July 2024", "incident_date",
		    "2024-07-03" },
		{ "DATE OF INCIDENT -\n03/07/2024\n", "incident_date",
		    "2024-07-03" },
		{ "date-of-incident: 2024-07-03", "incident_date",
		    "2024-07-03" },
		{ "Incident Date \xe2\x80\x93 3.7.2024", "incident_date",
		    "2024-07-03" },
		{ "Child's name: Child J", "child", "Child J" },
		{ "Child\xe2\x80\x99s Name: Child J", "child", "Child J" },
		{ "CHILD IDENTIFIER : Child J", "child", "Child J" },
		{ "Pseudonym: Child J", "child", "Child J" },
		{ "Subject child - Child J", "child", "Child J" },
		{ "Name:\tChild J", "child", "Child J" },
		{ "Child\tChild J", "child", "Child J" },
		{ "*Child:* Child J", "child", "Child J" },
		{ "  - Child: Child J", "child", "Child J" },
		{ "1. Child: Child J", "child", "Child J" },
		{ "| Child | Child J |", "child", "Child J" },
		{ "Child:\n\nChild J\n", "child", "Child J" },
		{ "Child:\xc2\xa0" "Child J\xc2\xa0", "child", "Child J" },
		{ "D.O.B.: 12/3/2019", "dob", "2019-03-12" },
		{ "Date of birth (if known): 2019-03-12", "dob", "2019-03-12" },
		{ "Gender: Female", "sex", "Female" },
		{ "Sex/Gender: F", "sex", "F" },
		{ "SEND: EHCP for speech and language", "disability",
		    "EHCP for speech and language" },
		{ "Additional needs: speech delay", "disability",
		    "speech delay" },
		{ "Disability / SEND: autism", "disability", "autism" },
		{ "Ethnicity: White British", "ethnicity", "White British" },
		{ "Type of incident: Died", "type", "death" },
		{ "Type of incident: Died", "type_text", "Died" },
		{ "Nature of incident: seriously injured", "type",
		    "serious_harm" },
		{ "Death or serious harm?: life-threatening injuries", "type",
		    "serious_harm" },
		{ "Incident type: Serious Harm", "type", "serious_harm" },
		{ "Incident type: serious_harm", "type", "serious_harm" },
		{ "Incident type: near-fatal overdose", "type",
		    "serious_harm" },
		{ "Incident type: fatal head injury", "type", "death" },
		{ "Incident type: child died of serious injuries", "type",
		    "death" },
		{ "Incident type: DECEASED", "type", "death" },
		{ "Incident type: passed away in hospital", "type", "death" },
		{ "Date LA aware: 4th July 2024", "aware", "2024-07-04" },
		{ "Date local authority became aware: 04.07.24", "aware",
		    "2024-07-04" },
		{ "Date SIN sent: 8 Jul 2024", "notified", "2024-07-08" },
		{ "Notification date: Monday 8 July 2024", "notified",
		    "2024-07-08" },
		{ "Date of notification: 2024-07-08", "notified",
		    "2024-07-08" },
		{ "Panel ref: SIN-2024-12345", "panel_ref", "SIN-2024-12345" },
		{ "SIN reference - SIN-2024-12345", "panel_ref",
		    "SIN-2024-12345" },
		{ "Notification reference: 12345", "panel_ref", "12345" },
		{ "LA: Northshire", "la", "Northshire" },
		{ "Notifying local authority: Northshire", "la",
		    "Northshire" },
		{ "Residing LA: Southshire", "residing", "Southshire" },
		{ "Home authority: Southshire", "residing", "Southshire" },
		{ "Residing local authority: \xe2\x80\x94", "residing", NULL },
		{ "Background: Found at home.", "background",
		    "Found at home." },
		{ "Summary:\nline one\nline two\n", "background",
		    "line one line two" },
		{ "Brief summary: x", "background", "x" },
		{ "  1. Case background\n\nPara one\nwrapped.\n\n\nPara two.\n",
		    "background", "Para one wrapped.\n\nPara two." },
		{ "Case background:\nConcerns:\n- neglect\n- missed visits\n",
		    "background", "Concerns:\n- neglect\n- missed visits" },
		/* A value runs on until the next label. */
		{ "Ethnicity: White\nBritish\nAge: 5", "ethnicity",
		    "White British" },
		{ "Ethnicity: White\nBritish\nAge: 5", "age", "5" },
		/* A label we do not know is not glued onto the value above. */
		{ "Child: Child J\nNotifier: Jane Smith\nAge: 5", "child",
		    "Child J" },
		{ "Child\tChild J\nRole\tHead of Service\n", "child",
		    "Child J" },
		/* A form's table rows, extracted with TABs. */
		{ "Date of birth\t12/03/2019\nAge at incident\t5\n", "dob",
		    "2019-03-12" },
		{ "Date of birth\t12/03/2019\nAge at incident\t5\n", "age",
		    "5" },
		{ "Summary of circumstances\nChild J was found.\n",
		    "background", "Child J was found." },
		/* Text outside any value is ignored. */
		{ "Child: Child J\n\nWe will send more soon.\n", "child",
		    "Child J" },
		{ "Case background: Found at home.\n\nKind regards,\nJane\n",
		    "background", "Found at home." },
		{ "Case background: Found.\n-- \nJane Smith\nAge: 9\n", "age",
		    NULL },
		{ "Case background: Found.\n-- \nJane Smith\nAge: 9\n",
		    "background", "Found." },
		/* Placeholders: absent when optional, kept when required. */
		{ "Age: n/a", "age", NULL },
		{ "Sex: Unknown", "sex", NULL },
		{ "Ethnicity: -", "ethnicity", NULL },
		{ "Panel reference: None", "panel_ref", NULL },
		{ "Child: unknown", "child", "unknown" },
		{ "Child: \xe2\x80\x94", "child", NULL },
		/* Not labels. */
		{ "Children's services were called.", "child", NULL },
		{ "Child J - July 2024", "child", NULL },
	};

	run_field_cases(cases, N(cases));
}

static void
test_agencies_split(void **state)
{
	static const struct field_case cases[] = {
		{ "Agencies: police; health", "agencies", "police|health" },
		{ "Agencies known:\n- Police\n- Health\n\nThanks\n",
		    "agencies", "Police|Health" },
		{ "Agencies involved: police, health, and education.",
		    "agencies", "police|health|education" },
		{ "Agencies involved: police and health", "agencies",
		    "police|health" },
		{ "Services involved: Child and Adolescent Mental Health "
		    "Services, school and police", "agencies",
		    "Child and Adolescent Mental Health Services|school|"
		    "police" },
		{ "Agencies: Health (GP, health visitor), Police", "agencies",
		    "Health (GP, health visitor)|Police" },
		{ "Agencies: police\nAgencies known: health, Police",
		    "agencies", "police|health" },
		{ "Agencies involved: none", "agencies", "" },
	};

	run_field_cases(cases, N(cases));
}

/* The required fields absent, exactly and in SPEC order. */
static void
test_missing(void **state)
{
	static const struct field_case cases[] = {
		{ "", "missing", "Child|Incident type|Case background" },
		{ "Hello, please see attached.", "missing",
		    "Child|Incident type|Case background" },
		{ "Child: Child J", "missing",
		    "Incident type|Case background" },
		{ "Incident type: death\nBackground: x", "missing", "Child" },
		{ "Child: Child J\nIncident type: death", "missing",
		    "Case background" },
		{ "Child: \xe2\x80\x94\nIncident type: -\nCase background:\n",
		    "missing", "Child|Incident type|Case background" },
		{ "Age: 5\nSex: male\nCase background: x", "missing",
		    "Child|Incident type" },
		{ "Child: J\nIncident type: death\nSummary: x", "missing", "" },
		/* Present but not understood: a warning, not missing. */
		{ "Child: J\nIncident type: other\nSummary: x", "missing", "" },
		{ "Child: J\nIncident type: other\nSummary: x", "type", NULL },
		{ "Child: J\nIncident type: other\nSummary: x", "warnings",
		    "Incident type: 'other' is not death or serious harm" },
	};
	struct sin_fields	 f;

	run_field_cases(cases, N(cases));
	/* Nothing labelled: 0, and nothing at all for the subject child. */
	assert_int_equal(sin_parse("Hello, please see attached.", &f), 0);
	assert_int_equal(f.n_children, 0);
	assert_true(f.incident_date == SIN_NO_DATE);
	sin_fields_free(&f);
	assert_int_equal(sin_parse(NULL, &f), 0);
	assert_int_equal(f.n_missing, 3);
	sin_fields_free(&f);
	/* The subject's slot is used when only its age was given. */
	assert_int_equal(sin_parse("Age: 5", &f), 1);
	assert_int_equal(f.n_children, 1);
	assert_null(f.children[0].identifier);
	sin_fields_free(&f);
}

static void
test_parse_date(void **state)
{
	static const struct {
		const char	*text;
		int		 y, m, d;	/* y 0: not a date */
	} cases[] = {
		{ "2024-07-03", 2024, 7, 3 },
		{ " 2024-07-03 ", 2024, 7, 3 },
		{ "2024/07/03", 2024, 7, 3 },
		{ "3/7/2024", 2024, 7, 3 },
		{ "03/07/2024", 2024, 7, 3 },
		{ "03/07/24", 2024, 7, 3 },
		{ "3.7.2024", 2024, 7, 3 },
		{ "3-7-2024", 2024, 7, 3 },
		{ "3 July 2024", 2024, 7, 3 },
		{ "3 JULY 2024", 2024, 7, 3 },
		{ "3 jul 2024", 2024, 7, 3 },
		{ "3rd July 2024", 2024, 7, 3 },
		{ "3rd of July, 2024", 2024, 7, 3 },
		{ "Wednesday 3 July 2024", 2024, 7, 3 },
		{ "Wed, 3rd Jul 2024", 2024, 7, 3 },
		{ "July 3, 2024", 2024, 7, 3 },
		{ "3-Jul-2024", 2024, 7, 3 },
		{ "1st Sept 2024", 2024, 9, 1 },
		{ "22nd Sep 2024.", 2024, 9, 22 },
		{ "29 February 2024", 2024, 2, 29 },
		{ "29/2/2024", 2024, 2, 29 },
		{ "31 December 1999", 1999, 12, 31 },
		{ "31/02/2024", 0, 0, 0 },
		{ "29/2/2023", 0, 0, 0 },
		{ "2024-13-01", 0, 0, 0 },
		{ "2024-07-03T10:00", 0, 0, 0 },
		{ "7/3/2024/1", 0, 0, 0 },
		{ "3/7-2024", 0, 0, 0 },
		{ "3 July", 0, 0, 0 },
		{ "July 2024", 0, 0, 0 },
		{ "3 Juli 2024", 0, 0, 0 },
		{ "3 Jully 2024", 0, 0, 0 },
		{ "3xx July 2024", 0, 0, 0 },
		{ "32 July 2024", 0, 0, 0 },
		{ "3 July 24th", 0, 0, 0 },
		{ "3/7/224", 0, 0, 0 },
		{ "3/7/1850", 0, 0, 0 },
		{ "12345/7/2024", 0, 0, 0 },
		{ "yesterday", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ "2024-07-03 and 2024-07-04", 0, 0, 0 },
	};
	size_t	i;
	long	day;
	int	r;

	for (i = 0; i < N(cases); i++) {
		day = 12345;
		r = sin_parse_date(cases[i].text, &day);
		if (cases[i].y == 0) {
			if (r != -1)
				fail_msg("'%s' taken as a date", cases[i].text);
			continue;
		}
		if (r != 0 || day != day_of(cases[i].y, cases[i].m,
		    cases[i].d))
			fail_msg("'%s': r %d day %ld", cases[i].text, r, day);
	}
	assert_int_equal(sin_parse_date(NULL, &day), -1);
}

/* Dates that do not parse are warned about, with the value echoed. */
static void
test_bad_dates(void **state)
{
	static const struct field_case cases[] = {
		{ "Incident date: 31/02/2024", "warnings",
		    "Incident date: '31/02/2024' is not a date" },
		{ "Incident date: 31/02/2024", "incident_date", NULL },
		{ "Date aware: last Tuesday\nDOB: 2019-13-01", "warnings",
		    "Date of birth: '2019-13-01' is not a date|"
		    "Date aware: 'last Tuesday' is not a date" },
		{ "Date notified: TBC", "warnings", "" },
		{ "Incident date: 3 July 2024\n(approximately)\n", "warnings",
		    "Incident date: '3 July 2024 (approximately)' is not a "
		    "date" },
		{ "Incident date: 5/7/2024\nDate aware: 4/7/2024\n"
		    "Date notified: 1/7/2024", "warnings",
		    "Date aware: before the incident date|"
		    "Date notified: before the date aware" },
	};

	run_field_cases(cases, N(cases));
}

static void
test_other_children(void **state)
{
	static const struct field_case cases[] = {
		{ "Other children: Sibling K, 2", "others", "Sibling K/2" },
		{ "Other children: Sibling K (2)", "others", "Sibling K/2" },
		{ "Siblings: Sibling K (2); Sibling L (7)", "others",
		    "Sibling K/2|Sibling L/7" },
		{ "Other children:\nSibling K, 2\nSibling L aged 18 months\n"
		    "\nIncident type: death", "others",
		    "Sibling K/2|Sibling L/18 months" },
		{ "Other children: Sibling K (2), Sibling L (7)", "others",
		    "Sibling K/2|Sibling L/7" },
		{ "Other children: Sibling K - 2 years", "others",
		    "Sibling K/2 years" },
		{ "Other children:\n- Sibling K, 2\n- Sibling L, 4 months\n",
		    "others", "Sibling K/2|Sibling L/4 months" },
		{ "Other children: Sibling K", "others", "Sibling K/-" },
		{ "Other children: Sibling K (twin)", "others",
		    "Sibling K (twin)/-" },
		{ "Other children: none", "others", "" },
		{ "Other children: n/a", "others", "" },
		{ "Other children: A, 1; B, 2; C, 3; D, 4; E, 5", "others",
		    "A/1|B/2|C/3|D/4" },
		{ "Other children: A, 1; B, 2; C, 3; D, 4; E, 5; F, 6",
		    "warnings", "Other children: at most 5 children are kept; "
		    "'E' and any after it were left out" },
		{ "Child: Child J\nOther children: Sibling K, 2", "child",
		    "Child J" },
	};
	struct sin_fields	f;

	run_field_cases(cases, N(cases));
	/* Without "Child", [0] stays the (empty) subject slot. */
	sin_parse("Other children: Sibling K, 2", &f);
	assert_int_equal(f.n_children, 2);
	assert_null(f.children[0].identifier);
	assert_string_equal(f.children[1].identifier, "Sibling K");
	assert_string_equal(f.missing[0], "Child");
	sin_fields_free(&f);
	sin_parse("Child: Child J\nAge: 5\nSiblings: Sibling K (2)", &f);
	assert_int_equal(f.n_children, 2);
	assert_string_equal(f.children[0].age, "5");
	assert_string_equal(f.children[1].age, "2");
	sin_fields_free(&f);
}

/*
 * A SIN is what the notifier typed now: quoted lines of an earlier
 * message are not read, even when they hold labels.
 */
static void
test_quoted(void **state)
{
	static const struct field_case cases[] = {
		{ "Child: Child K\n\nOn Mon, 8 Jul 2024, Sam wrote:\n"
		    "> Child: Child J\n> Age: 5\n> Incident type: death\n",
		    "child", "Child K" },
		{ "Child: Child K\n\nOn Mon, 8 Jul 2024, Sam wrote:\n"
		    "> Child: Child J\n> Age: 5\n> Incident type: death\n",
		    "age", NULL },
		{ "Child: Child K\n\nOn Mon, 8 Jul 2024, Sam wrote:\n"
		    "> Child: Child J\n> Age: 5\n> Incident type: death\n",
		    "missing", "Incident type|Case background" },
		/* A quoted line ends the value above it. */
		{ "Case background: new text\n> old text\nmore\n",
		    "background", "new text" },
		{ "Incident type: death\n>> Incident type: serious harm\n",
		    "type", "death" },
		{ "Case background: x\n\n-----Original Message-----\n"
		    "From: Sam\nAge: 5\n", "age", NULL },
	};
	struct sin_fields	f;

	run_field_cases(cases, N(cases));
	assert_int_equal(sin_parse("> Child: Child J\n> Age: 5\n", &f), 0);
	assert_int_equal(f.n_children, 0);
	sin_fields_free(&f);
}

static void
test_repeats(void **state)
{
	static const struct field_case cases[] = {
		{ "Child: A\nChild: B\nName: C\n", "child", "A" },
		{ "Child: A\nChild: B\nName: C\n", "warnings",
		    "Child: given more than once; the first is used" },
		/* A bare "Name" gives way to a child's label, both ways. */
		{ "Name: Sam Notifier\nChild's name: Child J\n", "child",
		    "Child J" },
		{ "Name: Sam Notifier\nChild's name: Child J\n", "warnings",
		    "" },
		{ "Pseudonym: Child J\nName: Sam Notifier\n", "child",
		    "Child J" },
		{ "Pseudonym: Child J\nName: Sam Notifier\n", "warnings",
		    "" },
		/* A heading given twice, the first without a value. */
		{ "Child:\nChild: A\n", "child", "A" },
		{ "Child:\nChild: A\n", "warnings", "" },
	};

	run_field_cases(cases, N(cases));
}

static void
test_limits(void **state)
{
	struct sin_fields	 f;
	char			*text, *p;
	size_t			 big = SIN_MAX_TEXT + 4096, i;

	/* Over 1 MiB: cut, and the background cut to 64 KiB. */
	text = xmalloc(big + 1);
	memcpy(text, "Case background: ", 17);
	for (i = 17; i < big; i++)
		text[i] = i % 80 == 0 ? '\n' : 'x';
	memcpy(text + SIN_MAX_TEXT - 100, "\nAge: 5\n\n", 9);
	memcpy(text + SIN_MAX_TEXT + 100, "\nSex: F\n\n", 9);
	text[big] = '\0';
	assert_int_equal(sin_parse(text, &f), 1);
	assert_non_null(f.background);
	assert_true(strlen(f.background) >= SIN_MAX_VALUE - 1 &&
	    strlen(f.background) <= SIN_MAX_VALUE);
	assert_string_equal(f.children[0].age, "5");
	assert_null(f.children[0].sex);
	assert_int_equal(f.n_warnings, 2);
	assert_string_equal(f.warnings[0], "the text was cut to 1 MiB");
	assert_string_equal(f.warnings[1], "Case background: cut to 64 KiB");
	sin_fields_free(&f);
	free(text);

	/* 200 lines outside the background are looked at, no more. */
	text = xmalloc(64 * 300 + 64);
	p = text;
	p += sprintf(p, "Child: Child J\n\n");
	for (i = 0; i < 250; i++)
		p += sprintf(p, "filler line %zu\n", i);
	sprintf(p, "Age: 5\n");
	assert_int_equal(sin_parse(text, &f), 1);
	assert_string_equal(f.children[0].identifier, "Child J");
	assert_null(f.children[0].age);
	assert_int_equal(f.n_warnings, 1);
	assert_string_equal(f.warnings[0],
	    "only the first 200 lines were read for fields");
	sin_fields_free(&f);

	/* Nor do quoted lines: a long history below is no reason to warn. */
	p = text;
	p += sprintf(p, "Child: Child J\n\nOn Monday, Sam wrote:\n");
	for (i = 0; i < 250; i++)
		p += sprintf(p, "> history line %zu\n", i);
	assert_int_equal(sin_parse(text, &f), 1);
	assert_int_equal(f.n_warnings, 0);
	sin_fields_free(&f);

	/* The background's own lines do not count. */
	p = text;
	p += sprintf(p, "Case background:\n");
	for (i = 0; i < 250; i++)
		p += sprintf(p, "background line %zu\n", i);
	sprintf(p, "Age: 5\n");
	assert_int_equal(sin_parse(text, &f), 1);
	assert_string_equal(f.children[0].age, "5");
	assert_int_equal(f.n_warnings, 0);
	sin_fields_free(&f);
	free(text);

	/* A long line, a long label, a long warning echo. */
	text = xmalloc(200001);
	memset(text, 'a', 200000);
	text[200000] = '\0';
	memcpy(text, "Incident date: ", 15);
	assert_int_equal(sin_parse(text, &f), 1);
	assert_int_equal(f.n_warnings, 2);
	assert_string_equal(f.warnings[0], "Incident date: cut to 64 KiB");
	assert_non_null(strstr(f.warnings[1], "aaa...' is not a date"));
	assert_true(strlen(f.warnings[1]) < 140);
	sin_fields_free(&f);
	free(text);

	/* Freeing twice is harmless. */
	sin_fields_free(&f);
	sin_fields_free(NULL);
}

static char	tmpdir[] = "/tmp/rr-test-sin.XXXXXX";

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char	*path;
	FILE	*fp;

	xasprintf(&path, "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

static void
test_match_agency(void **state)
{
	static const struct {
		const char	*name;
		const char	*key;	/* NULL: no agency */
	} cases[] = {
		{ "police", "police" },
		{ "Police", "police" },
		{ "the police", "police" },
		{ "The Police.", "police" },
		{ "P.P.U.", "police" },
		{ "Public Protection Unit", "police" },
		{ "public-protection unit", "police" },
		{ "Northshire Police", "police" },
		{ "Police (PPU)", "police" },
		{ "PPU: DS Smith", "police" },
		{ "Children's social care", "csc" },
		{ "Childrens Social Care", "csc" },
		{ "Children\xe2\x80\x99s Social Care", "csc" },
		{ "children social care", "csc" },
		{ "Northshire Children's Social Care", "csc" },
		{ "CSC", "csc" },
		{ "children's services", "csc" },
		{ "Social Care", "csc" },
		{ "NHS", "health" },
		{ "ICB", "health" },
		{ "health", "health" },
		{ "Health (GP, health visitor)", "health" },
		{ "Integrated Care Board", "health" },
		{ "education", "education" },
		{ "EDUCATION", "education" },
		{ "Probation", NULL },
		{ "Care", NULL },
		{ "the", NULL },
		{ "", NULL },
		{ "  ", NULL },
		{ "Southshire Police", NULL },
		{ "Youth Justice Service", NULL },
	};
	struct config_diag		 d;
	struct config			*c;
	const struct agency_config	*a;
	char				*ini, *path;
	size_t				 i;

	assert_non_null(mkdtemp(tmpdir));
	write_file("secret", "s3cret\n", 0600);
	xasprintf(&ini,
	    "[partnership]\n"
	    "name = Test SCP\n"
	    "address = rapidreview@example.org\n"
	    "business_manager = bm@example.org\n"
	    "[mailbox]\n"
	    "url = imaps://localhost:9993/INBOX\n"
	    "user = rapidreview@example.org\n"
	    "password_file = secret\n"
	    "[smtp]\n"
	    "url = smtp://localhost:2525\n"
	    "[storage]\n"
	    "database = rr.db\n"
	    "[calendar]\n"
	    "holidays_file = %s/config/bank-holidays.json\n"
	    "[notifiers]\n"
	    "allow = *@example.gov.uk\n"
	    "[agency.police]\n"
	    "name = Northshire Police\n"
	    "aliases = Police, PPU, Public Protection Unit\n"
	    "to = pvp@example.police.uk\n"
	    "allow = *@example.police.uk\n"
	    "[agency.csc]\n"
	    "name = Northshire Children's Social Care\n"
	    "aliases = CSC, Children's Services\n"
	    "to = csc@example.gov.uk\n"
	    "allow = *@example.gov.uk\n"
	    "[agency.health]\n"
	    "name = Northshire Integrated Care Board\n"
	    "aliases = Health, ICB, NHS\n"
	    "to = safeguarding@nhs.example\n"
	    "allow = *@nhs.example\n"
	    "[agency.education]\n"
	    "name = Northshire Education Safeguarding\n"
	    "to = education@example.gov.uk\n"
	    "allow = *@example.gov.uk\n",
	    getenv("RR_SRC") != NULL ? getenv("RR_SRC") : ".");
	write_file("rr.ini", ini, 0644);
	free(ini);
	xasprintf(&path, "%s/rr.ini", tmpdir);
	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	assert_non_null(c);
	config_diag_free(&d);

	for (i = 0; i < N(cases); i++) {
		a = sin_match_agency(c, cases[i].name);
		if (cases[i].key == NULL ? a != NULL :
		    a == NULL || strcmp(a->key, cases[i].key) != 0)
			fail_msg("'%s': got %s, want %s", cases[i].name,
			    a != NULL ? a->key : "none",
			    cases[i].key != NULL ? cases[i].key : "none");
	}
	assert_null(sin_match_agency(c, NULL));
	assert_null(sin_match_agency(NULL, "police"));

	config_free(c);
	free(path);
	xasprintf(&path, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(path), 0);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_j),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_agencies_split),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_bad_dates),
		cmocka_unit_test(test_other_children),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_match_agency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
