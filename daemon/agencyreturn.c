/*
 * agencyreturn.c - an agency's return (SPEC §3.3): the field table with
 * its form labels and synonyms, UK dates and times, the completeness
 * rule, the plain-text form, and the label rules that read a return out
 * of a document reduced to paragraphs, tables and content controls.
 *
 * Labels are compared in a "word form": lower case, brackets dropped,
 * apostrophes dropped, every other run of punctuation or space one space.
 * The synonym tables below are written in that form. Nothing here logs:
 * the values are personal data.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agencyreturn.h"
#include "date.h"
#include "xmalloc.h"

#define LABEL_MAX	200	/* longest text that may be a label */
#define NORM_MAX	256	/* longest word form */
#define KEY_MAX		32	/* longest key in "[rr:KEY]" */
#define COLON_SCAN	80	/* bytes where the ":" of "Label:" may be */
#define HEADING_MAX	80	/* longest bold line taken as a heading */
#define DATE_MAX	64	/* longest date text */
#define TIME_MAX	32	/* longest time text */
#define ANSWER_MAX	120	/* bytes of a yes/no answer read */

struct field_info {
	const char		*key;
	const char		*label;	/* on the daemon's forms */
	const char		*name;	/* in warnings and queries */
	const char *const	*syn;	/* word forms, NULL-ended */
};

struct column_info {
	const char		*key;
	const char		*label;
	const char *const	*syn;
};

static const char *const syn_agency[] = {
	"agency", "organisation", "organization", "agency name",
	"name of agency", "organisation name", "organization name",
	"name of organisation", "name of organization", "your agency",
	"agency or service", "agency service", "name of agency or service",
	"agency completing", "agency completing this return",
	"agency completing the return", "service", NULL
};
static const char *const syn_author[] = {
	"completed by", "name", "name of author", "author", "report author",
	"your name", "name of person completing",
	"name of person completing this form",
	"name of person completing the form",
	"name of person completing this return",
	"name of person completing the return", "person completing",
	"author name", "authors name", "author of return", "author of report",
	"return completed by", "form completed by", "report completed by",
	"prepared by", "submitted by", "completed by name", "author details",
	NULL
};
static const char *const syn_role[] = {
	"role", "job title", "designation", "position", "job role",
	"role title", "post", "post title", "role of author", "author role",
	"authors role", "role of person completing", "your role",
	"your job title", "position held", NULL
};
static const char *const syn_email[] = {
	"email", "e mail", "email address", "e mail address",
	"contact email", "authors email", "your email", NULL
};
static const char *const syn_phone[] = {
	"phone", "telephone", "telephone number", "phone number", "tel",
	"tel no", "phone no", "telephone no", "contact number",
	"contact telephone", "contact telephone number", "mobile",
	"mobile number", NULL
};
static const char *const syn_completed[] = {
	"date completed", "date", "date of completion", "date of report",
	"completion date", "date of return", "date return completed",
	"date form completed", "date submitted", "date of submission",
	"date report completed", NULL
};
static const char *const syn_involved[] = {
	"involved", "involvement with the child or family",
	"was your agency involved", "involved with child family",
	"involved with the child family", "involved with the child or family",
	"involved with child or family", "involved with the child",
	"involved with the family", "known to agency", "known to the agency",
	"known to your agency", "was the child or family known to your agency",
	"was the child known to your agency",
	"was the family known to your agency",
	"was your agency involved with the child or family",
	"was your agency involved with the child or their family",
	"was your agency involved with the child",
	"has your agency had any involvement",
	"has your agency had any involvement with the child or family",
	"has your agency been involved",
	"has your agency been involved with the child or family",
	"any involvement", "agency involvement", "involvement yes no",
	"involved yes no", "was the agency involved", NULL
};
static const char *const syn_involvement[] = {
	"summary of involvement", "involvement summary", "brief summary",
	"summary", "summary of agency involvement",
	"summary of your agencys involvement",
	"summary of the agencys involvement", "brief summary of involvement",
	"nature of involvement", "details of involvement",
	"involvement details", "overview of involvement", "overview",
	"background", "summary of contact",
	"summary of involvement with the child and family",
	"summary of involvement with the child or family",
	"please provide a summary of your agencys involvement",
	"please summarise your agencys involvement",
	"brief summary of your agencys involvement", NULL
};
static const char *const syn_first_contact[] = {
	"first contact", "date of first contact", "first contact date",
	"date first known", "first known", "date of first involvement",
	"first involvement", "date involvement began", "start of involvement",
	"involvement start date", "date of first contact with the child",
	NULL
};
static const char *const syn_last_contact[] = {
	"last contact", "date of last contact", "most recent contact",
	"last contact date", "date of most recent contact",
	"date of last involvement", "last involvement", "end of involvement",
	"date involvement ended", "involvement end date",
	"date of last contact with the child", NULL
};
static const char *const syn_case_status[] = {
	"open or closed", "case status", "status at time of incident",
	"open closed", "status", "case open or closed",
	"was the case open or closed", "open or closed at time of incident",
	"open or closed at the time of incident",
	"open or closed at the time of the incident",
	"case open closed", "case status at time of incident",
	"case status at the time of the incident",
	"status at the time of the incident", "status at time of the incident",
	"was the case open at the time of the incident",
	"was the case open or closed at the time of the incident",
	"open or closed case", NULL
};
static const char *const syn_quality[] = {
	"quality of practice", "analysis of practice", "quality",
	"practice analysis", "analysis", "analysis of involvement",
	"critical analysis", "quality of practice and decision making",
	"analysis of practice and decision making", "assessment of practice",
	"analysis of the quality of practice", NULL
};
static const char *const syn_impact[] = {
	"impact", "impact of practice", "impact on outcomes",
	"impact of practice on outcomes", "impact on outcomes for the child",
	"impact on the child", "impact on child",
	"impact of practice on the child", "outcomes for the child",
	"impact of practice on outcomes for children", NULL
};
static const char *const syn_good_practice[] = {
	"good practice", "what went well", "examples of good practice",
	"good practice identified", "areas of good practice",
	"what worked well", "strengths", "strengths in practice", NULL
};
static const char *const syn_different[] = {
	"what could have been done differently",
	"what could be done differently", "areas for improvement",
	"could anything have been done differently", "done differently",
	"what could have been done better", "missed opportunities",
	"areas for development", "what would you do differently",
	"could anything have been done better",
	"anything that could have been done differently", NULL
};
static const char *const syn_information_sharing[] = {
	"information sharing", "multi agency working",
	"information sharing and multi agency working",
	"multi agency working and information sharing",
	"multi agency information sharing", "partnership working",
	"communication and information sharing",
	"information sharing and communication", "joint working", NULL
};
static const char *const syn_voice_of_child[] = {
	"voice of the child", "childs voice", "lived experience",
	"the childs lived experience", "the childs voice", "voice of child",
	"childs lived experience", "the voice of the child",
	"voice and lived experience", "the childs voice and lived experience",
	"childs voice and lived experience",
	"voice of the child and lived experience",
	"voice of the child and their lived experience",
	"lived experience of the child", "child voice", NULL
};
static const char *const syn_equality[] = {
	"equality", "equality and diversity", "race culture and identity",
	"race culture disability", "diversity",
	"equality diversity and inclusion", "equalities", "race and culture",
	"culture and identity",
	"race culture disability and other inequalities",
	"race culture and disability", "protected characteristics",
	"inequalities", "race culture and diversity", "intersectionality",
	NULL
};
static const char *const syn_immediate_actions[] = {
	"immediate actions", "actions taken", "immediate action", "actions",
	"immediate actions taken", "immediate actions taken or needed",
	"action taken", "actions taken or needed", "actions taken or planned",
	"immediate actions taken or planned", "immediate safeguarding actions",
	"safeguarding actions", "action", "actions for other children",
	"immediate actions including for other children",
	"immediate actions taken including for other children",
	"any immediate actions", NULL
};
static const char *const syn_learning[] = {
	"learning", "learning identified", "key learning", "lessons learned",
	"lessons learnt", "learning points", "single agency learning",
	"learning for the agency", "learning for your agency",
	"emerging learning", "initial learning", "key lessons", "lessons",
	"learning and recommendations", NULL
};
static const char *const syn_lcspr_view[] = {
	"lcspr view", "lcspr criteria met",
	"do you consider the lcspr criteria are met", "criteria for lcspr met",
	"lcspr", "recommendation",
	"does the case meet the criteria for an lcspr",
	"does the case meet the criteria for a lcspr", "lcspr criteria",
	"lcspr recommendation", "criteria met",
	"does this case meet the lcspr criteria",
	"does the case meet the lcspr criteria",
	"do you consider the criteria for an lcspr are met",
	"do you think the criteria for an lcspr are met",
	"does the agency consider the lcspr criteria met",
	"does your agency consider the lcspr criteria met",
	"is an lcspr recommended", "lcspr recommended",
	"local child safeguarding practice review",
	"local child safeguarding practice review criteria met",
	"criteria for a local child safeguarding practice review met",
	"does the case meet the criteria for a local child safeguarding "
	    "practice review",
	"recommendation re lcspr", "recommendation regarding lcspr",
	"view on lcspr", "meets lcspr criteria", "agency view",
	"agency recommendation", NULL
};
static const char *const syn_lcspr_rationale[] = {
	"reasons", "rationale", "why", "reasons for the lcspr view",
	"rationale for recommendation", "reason", "reasons for view",
	"reasons for your view", "reasons for the view", "rationale for view",
	"lcspr rationale", "reasons for lcspr view", "rationale for lcspr view",
	"rationale for the recommendation", "reasons for recommendation",
	"rationale for decision", "please give reasons", "explanation",
	"please explain", NULL
};
static const char *const syn_parallel_processes[] = {
	"parallel processes", "other processes", "parallel investigations",
	"parallel process", "other parallel processes", "other reviews",
	"other reviews or investigations", "other investigations",
	"parallel reviews", "other processes underway", NULL
};
static const char *const syn_records_secured[] = {
	"records secured", "have records been secured", "records",
	"records secured yes no", "have the records been secured",
	"are records secured", "records sealed", "records locked",
	"have records been locked", "have records been sealed", NULL
};
static const char *const syn_signed_off_by[] = {
	"quality assured by", "signed off by", "sign off", "authorised by",
	"authorized by", "manager sign off", "approved by", "sign off by",
	"qa by", "quality assurance", "quality assured", "line manager",
	"senior manager sign off", "name of manager", "managers name",
	"countersigned by", "verified by", NULL
};
static const char *const syn_signed_off[] = {
	"date signed off", "sign off date", "date quality assured",
	"date of sign off", "date authorised", "date authorized",
	"date approved", "signed off date", "date of quality assurance",
	"qa date", "date countersigned", NULL
};

static const struct field_info fields[AR_NFIELDS] = {
	{ "agency", "Agency", "Agency", syn_agency },
	{ "author", "Completed by", "Completed by", syn_author },
	{ "role", "Role", "Role", syn_role },
	{ "email", "Email", "Email", syn_email },
	{ "phone", "Phone", "Phone", syn_phone },
	{ "completed", "Date completed", "Date completed", syn_completed },
	{ "involved", "Involved with the child or family (yes/no)",
	    "Involved with the child or family", syn_involved },
	{ "involvement", "Summary of involvement", "Summary of involvement",
	    syn_involvement },
	{ "first_contact", "First contact", "First contact",
	    syn_first_contact },
	{ "last_contact", "Last contact", "Last contact", syn_last_contact },
	{ "case_status", "Open or closed at the time of the incident",
	    "Open or closed at the time of the incident", syn_case_status },
	{ "quality", "Quality of practice", "Quality of practice",
	    syn_quality },
	{ "impact", "Impact of practice on outcomes for the child",
	    "Impact of practice on outcomes for the child", syn_impact },
	{ "good_practice", "Good practice", "Good practice",
	    syn_good_practice },
	{ "different", "What could have been done differently",
	    "What could have been done differently", syn_different },
	{ "information_sharing", "Information sharing",
	    "Information sharing", syn_information_sharing },
	{ "voice_of_child", "The child's voice and lived experience",
	    "The child's voice and lived experience", syn_voice_of_child },
	{ "equality", "Race, culture, disability and other inequalities",
	    "Race, culture, disability and other inequalities",
	    syn_equality },
	{ "immediate_actions", "Immediate actions taken or needed",
	    "Immediate actions taken or needed", syn_immediate_actions },
	{ "learning", "Learning identified", "Learning identified",
	    syn_learning },
	{ "lcspr_view", "LCSPR criteria met (yes/no/unsure)",
	    "LCSPR criteria met", syn_lcspr_view },
	{ "lcspr_rationale", "Reasons for the LCSPR view",
	    "Reasons for the LCSPR view", syn_lcspr_rationale },
	{ "parallel_processes", "Parallel processes", "Parallel processes",
	    syn_parallel_processes },
	{ "records_secured", "Records secured (yes/no)", "Records secured",
	    syn_records_secured },
	{ "signed_off_by", "Quality assured by", "Quality assured by",
	    syn_signed_off_by },
	{ "signed_off", "Date signed off", "Date signed off", syn_signed_off },
};

static const char *const syn_col_date[] = {
	"date", "date of contact", "contact date", "date of event", "when",
	"event date", "date of incident", "date time", "date and time",
	"date of entry", "entry date", "date of involvement", "date seen",
	"date of appointment", "appointment date", "day", NULL
};
static const char *const syn_col_time[] = {
	"time", "time of contact", "contact time", "time of event", NULL
};
static const char *const syn_col_contact_type[] = {
	"contact type", "type of contact", "type", "contact", "method",
	"method of contact", "contact method", "type of event", "event type",
	"type of involvement", "involvement type", "nature of contact",
	"form of contact", "mode", NULL
};
static const char *const syn_col_seen[] = {
	"who was seen", "seen", "child seen", "child seen alone",
	"who was present", "persons seen", "people seen", "persons present",
	"people present", "present", "who seen", "seen by",
	"was the child seen", "was the child seen alone", "was child seen",
	"child seen yes no", "attendees", "participants", "who", NULL
};
static const char *const syn_col_event[] = {
	"what happened", "event", "details", "description",
	"summary of contact", "details of contact", "narrative", "notes",
	"event details", "details of event", "description of event",
	"event description", "summary of event", "summary", "detail",
	"information", "key event", "key events", "incident", "entry",
	"case note", "case notes", "purpose of contact", "reason for contact",
	"what was done", NULL
};
static const char *const syn_col_outcome[] = {
	"action outcome", "outcome", "action", "actions", "action taken",
	"actions taken", "result", "outcome action", "outcomes",
	"actions outcome", "action outcomes", "actions outcomes",
	"action and outcome", "actions and outcomes", "outcome and action",
	"outcome of contact", "decision", "decision outcome", "next steps",
	"plan", "response", "agency response", "follow up", NULL
};
static const char *const syn_col_significance[] = {
	"significance", "relevance", "comments", "analysis",
	"professional comment", "professional comments", "comment",
	"significance of event", "significance of contact",
	"relevance to the incident", "significance to the incident",
	"analysis of significance", "professional analysis",
	"significance relevance", "why significant", "reflection",
	"observations", "analysis comment", NULL
};

static const struct column_info columns[AR_NCOLS] = {
	{ "date", "Date", syn_col_date },
	{ "time", "Time", syn_col_time },
	{ "contact_type", "Contact type", syn_col_contact_type },
	{ "seen", "Who was seen (child seen alone?)", syn_col_seen },
	{ "event", "What happened", syn_col_event },
	{ "outcome", "Action / outcome", syn_col_outcome },
	{ "significance", "Significance", syn_col_significance },
};

static const char *const months[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};
static const char *const weekdays[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday", "mon", "tue", "tues", "wed", "weds", "thu", "thur",
	"thurs", "fri", "sat", "sun", NULL
};

/* What Word and LibreOffice show in an empty control or field. */
static const char *const placeholders[] = {
	"click or tap here to enter text", "click here to enter text",
	"click or tap to enter a date", "click here to enter a date",
	"choose an item", "enter text here", "type here", NULL
};

/* A growing string. */
struct buf {
	char	*s;
	size_t	 n;
	size_t	 cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
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
buf_free(struct buf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

/* Bytes of white space at s (space, tab, CR, LF, NBSP, ZWSP, BOM), or 0. */
static size_t
space_at(const unsigned char *s, size_t left)
{
	if (left >= 1 && (*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\n' || *s == '\v' || *s == '\f'))
		return 1;
	if (left >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
		return 2;
	if (left >= 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0x8b)
		return 3;
	if (left >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		return 3;
	return 0;
}

/* The span of s without white space at either end. */
static void
trim_span(const char *s, size_t len, size_t *start, size_t *end)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 a = 0, b = len, k, i;

	while (a < b && (k = space_at(u + a, b - a)) > 0)
		a += k;
	/* From the end: look back at most 3 bytes for a space sequence. */
	while (b > a) {
		if (space_at(u + b - 1, 1) == 1) {
			b--;
			continue;
		}
		for (i = 2; i <= 3 && i <= b - a; i++)
			if (space_at(u + b - i, i) == i)
				break;
		if (i <= 3 && i <= b - a) {
			b -= i;
			continue;
		}
		break;
	}
	*start = a;
	*end = b;
}

/* Length of the first n bytes of s cut back to a UTF-8 boundary. */
static size_t
utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/*
 * A trimmed copy of s with CRLF and lone CR turned into LF, at most max
 * bytes (cut on a UTF-8 boundary, *cut set), or NULL when nothing is left.
 */
static char *
clean_copy(const char *s, size_t max, int *cut)
{
	size_t	 a, b, i, n = 0;
	char	*out;

	if (cut != NULL)
		*cut = 0;
	if (s == NULL)
		return NULL;
	trim_span(s, strlen(s), &a, &b);
	if (a == b)
		return NULL;
	out = xmalloc(b - a + 1);
	for (i = a; i < b; i++) {
		if (s[i] == '\r') {
			out[n++] = '\n';
			if (i + 1 < b && s[i + 1] == '\n')
				i++;
		} else
			out[n++] = s[i];
	}
	out[n] = '\0';
	if (n > max) {
		n = utf8_cut(out, max);
		out[n] = '\0';
		if (cut != NULL)
			*cut = 1;
		trim_span(out, n, &a, &b);
		out[b] = '\0';
	}
	return out;
}

/*
 * The key of the first "[rr:KEY]" in s into key (lower case), or "".
 */
static void
label_key(const char *s, char key[KEY_MAX])
{
	const char	*p;
	size_t		 n;

	key[0] = '\0';
	for (p = strchr(s, '['); p != NULL; p = strchr(p + 1, '[')) {
		if (strncasecmp(p + 1, "rr:", 3) != 0)
			continue;
		for (n = 0; n < KEY_MAX - 1 &&
		    (isalnum((unsigned char)p[4 + n]) || p[4 + n] == '_'); n++)
			key[n] = (char)tolower((unsigned char)p[4 + n]);
		if (p[4 + n] == ']' && n > 0) {
			key[n] = '\0';
			return;
		}
		key[0] = '\0';
	}
}

/* A leading word that only numbers a question: "1", "3a", "q4", "12". */
static int
is_numbering(const char *w, size_t n)
{
	size_t	i = 0, d;

	if (n > 0 && w[0] == 'q')
		i = 1;
	for (d = i; d < n && isdigit((unsigned char)w[d]); d++)
		;
	if (d == i)
		return 0;
	if (d == n)
		return 1;
	return i == 0 && d + 1 == n && isalpha((unsigned char)w[d]);
}

/*
 * The word form of a label into out: brackets and their contents
 * dropped, apostrophes dropped, "&" as "and", other punctuation and
 * space as single spaces, lower case, question numbering dropped.
 * Returns 0, or -1 when the text is too long to be a label.
 */
static int
label_norm(const char *s, char *out, size_t outsz)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n = 0, k;
	int			 paren = 0, bracket = 0, pending = 0;
	char			*sp;

	if (strnlen(s, LABEL_MAX + 1) > LABEL_MAX)
		return -1;
	while (*u != '\0') {
		if (*u == '(' || *u == '[') {
			if (*u == '(')
				paren++;
			else
				bracket++;
			pending = 1;
			u++;
			continue;
		}
		if ((*u == ')' && paren > 0) || (*u == ']' && bracket > 0)) {
			if (*u == ')')
				paren--;
			else
				bracket--;
			pending = 1;
			u++;
			continue;
		}
		if (paren > 0 || bracket > 0) {
			u++;
			continue;
		}
		if (*u == '\'' || *u == '`') {
			u++;
			continue;
		}
		/* U+2018, U+2019, U+201B: apostrophes, dropped. */
		if (u[0] == 0xe2 && u[1] == 0x80 &&
		    (u[2] == 0x98 || u[2] == 0x99 || u[2] == 0x9b)) {
			u += 3;
			continue;
		}
		/* U+2010..U+2015 dashes, U+201C..U+201F quotes, U+2026. */
		if (u[0] == 0xe2 && u[1] == 0x80 && u[2] != '\0' &&
		    ((u[2] >= 0x90 && u[2] <= 0x9f) || u[2] == 0xa6 ||
		    u[2] == 0x8b)) {
			pending = 1;
			u += 3;
			continue;
		}
		/* U+00A0..U+00BF: NBSP and Latin-1 punctuation. */
		if (u[0] == 0xc2 && u[1] >= 0xa0 && u[1] <= 0xbf) {
			pending = 1;
			u += 2;
			continue;
		}
		if (*u == '&' || isalnum(*u) || *u >= 0x80) {
			if (pending && n > 0) {
				if (n + 1 >= outsz)
					return -1;
				out[n++] = ' ';
			}
			pending = 0;
			if (*u == '&') {
				if (n + 3 >= outsz)
					return -1;
				memcpy(out + n, "and", 3);
				n += 3;
				pending = 1;
			} else {
				if (n + 1 >= outsz)
					return -1;
				out[n++] = (char)tolower(*u);
			}
			u++;
			continue;
		}
		pending = 1;
		u++;
	}
	out[n] = '\0';

	/* "1. Agency", "Q3 Learning", "2a) Role". */
	while ((sp = strchr(out, ' ')) != NULL &&
	    is_numbering(out, (size_t)(sp - out))) {
		k = (size_t)(sp - out) + 1;
		memmove(out, out + k, strlen(out + k) + 1);
	}
	return 0;
}

/*
 * The word forms of the fields' and columns' keys and labels, made once:
 * labels are looked up for every paragraph and cell of a document.
 */
static char	field_forms[AR_NFIELDS][2][64];
static char	column_forms[AR_NCOLS][2][64];
static int	forms_ready;

static void
forms_make(void)
{
	int	i;

	if (forms_ready)
		return;
	for (i = 0; i < AR_NFIELDS; i++) {
		if (label_norm(fields[i].key, field_forms[i][0], 64) != 0 ||
		    label_norm(fields[i].label, field_forms[i][1], 64) != 0)
			abort();
	}
	for (i = 0; i < AR_NCOLS; i++) {
		if (label_norm(columns[i].key, column_forms[i][0], 64) != 0 ||
		    label_norm(columns[i].label, column_forms[i][1], 64) != 0)
			abort();
	}
	forms_ready = 1;
}

static int
syn_match(const char *w, const char *const *syn)
{
	size_t	i;

	for (i = 0; syn[i] != NULL; i++)
		if (strcmp(w, syn[i]) == 0)
			return 1;
	return 0;
}

struct agency_return *
ar_new(enum ar_source source)
{
	struct agency_return	*ret;

	ret = xcalloc(1, sizeof *ret);
	ret->source = source;
	return ret;
}

static void
row_clear(struct ar_row *row)
{
	int	c;

	for (c = 0; c < AR_NCOLS; c++)
		free(row->col[c]);
	memset(row, 0, sizeof *row);
}

void
ar_free(struct agency_return *ret)
{
	size_t	i;

	if (ret == NULL)
		return;
	for (i = 0; i < AR_NFIELDS; i++)
		free(ret->field[i]);
	for (i = 0; i < ret->n_rows; i++)
		row_clear(&ret->rows[i]);
	free(ret->rows);
	for (i = 0; i < ret->n_warnings; i++)
		free(ret->warnings[i]);
	free(ret->warnings);
	free(ret);
}

const char *
ar_field_key(enum ar_field f)
{
	if ((int)f < 0 || f >= AR_NFIELDS)
		return NULL;
	return fields[f].key;
}

const char *
ar_column_key(enum ar_column c)
{
	if ((int)c < 0 || c >= AR_NCOLS)
		return NULL;
	return columns[c].key;
}

const char *
ar_field_label(enum ar_field f)
{
	if ((int)f < 0 || f >= AR_NFIELDS)
		return NULL;
	return fields[f].label;
}

const char *
ar_column_label(enum ar_column c)
{
	if ((int)c < 0 || c >= AR_NCOLS)
		return NULL;
	return columns[c].label;
}

/* A key, trimmed, any case, with or without "rr:". */
static int
key_clean(const char *key, char out[KEY_MAX])
{
	size_t	a, b, i;

	if (key == NULL)
		return -1;
	trim_span(key, strlen(key), &a, &b);
	if (b - a > 3 && strncasecmp(key + a, "rr:", 3) == 0)
		a += 3;
	if (a == b || b - a >= KEY_MAX)
		return -1;
	for (i = a; i < b; i++)
		out[i - a] = (char)tolower((unsigned char)key[i]);
	out[b - a] = '\0';
	return 0;
}

int
ar_field_from_key(const char *key)
{
	char	k[KEY_MAX];
	int	f;

	if (key_clean(key, k) != 0)
		return -1;
	for (f = 0; f < AR_NFIELDS; f++)
		if (strcmp(k, fields[f].key) == 0)
			return f;
	return -1;
}

static int
column_from_key(const char *key)
{
	char	k[KEY_MAX];
	int	c;

	if (key_clean(key, k) != 0)
		return -1;
	for (c = 0; c < AR_NCOLS; c++)
		if (strcmp(k, columns[c].key) == 0)
			return c;
	return -1;
}

int
ar_field_from_label(const char *label)
{
	char	key[KEY_MAX], norm[NORM_MAX];
	int	f;

	if (label == NULL)
		return -1;
	label_key(label, key);
	if (key[0] != '\0' && (f = ar_field_from_key(key)) != -1)
		return f;
	if (label_norm(label, norm, sizeof norm) != 0 || norm[0] == '\0')
		return -1;
	forms_make();
	for (f = 0; f < AR_NFIELDS; f++)
		if (strcmp(norm, field_forms[f][0]) == 0 ||
		    strcmp(norm, field_forms[f][1]) == 0 ||
		    syn_match(norm, fields[f].syn))
			return f;
	return -1;
}

int
ar_column_from_label(const char *label)
{
	char	key[KEY_MAX], norm[NORM_MAX];
	int	c;

	if (label == NULL)
		return -1;
	label_key(label, key);
	if (key[0] != '\0' && (c = column_from_key(key)) != -1)
		return c;
	if (label_norm(label, norm, sizeof norm) != 0 || norm[0] == '\0')
		return -1;
	forms_make();
	for (c = 0; c < AR_NCOLS; c++)
		if (strcmp(norm, column_forms[c][0]) == 0 ||
		    strcmp(norm, column_forms[c][1]) == 0 ||
		    syn_match(norm, columns[c].syn))
			return c;
	return -1;
}

void
ar_warn(struct agency_return *ret, const char *fmt, ...)
{
	va_list	 ap;
	char	*w;
	size_t	 i;

	if (ret->n_warnings >= AR_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	xvasprintf(&w, fmt, ap);
	va_end(ap);
	/* The same warning twice tells the reader nothing new. */
	for (i = 0; i < ret->n_warnings; i++) {
		if (strcmp(ret->warnings[i], w) == 0) {
			free(w);
			return;
		}
	}
	ret->warnings = xreallocarray(ret->warnings, ret->n_warnings + 1,
	    sizeof *ret->warnings);
	ret->warnings[ret->n_warnings++] = w;
}

void
ar_set_field(struct agency_return *ret, enum ar_field f, const char *value)
{
	char	*v, *joined;
	size_t	 have, room, n;
	int	 cut;

	if ((int)f < 0 || f >= AR_NFIELDS)
		return;
	have = ret->field[f] != NULL ? strlen(ret->field[f]) : 0;
	if (ret->field[f] != NULL && have + 2 >= AR_MAX_FIELD_BYTES) {
		/* Something more to add, but no room for it. */
		if ((v = clean_copy(value, 1, NULL)) != NULL)
			ar_warn(ret, "Field '%s' was too long and was cut",
			    fields[f].name);
		free(v);
		return;
	}
	room = ret->field[f] != NULL ? AR_MAX_FIELD_BYTES - have - 2 :
	    AR_MAX_FIELD_BYTES;
	if ((v = clean_copy(value, room, &cut)) == NULL)
		return;
	if (cut)
		ar_warn(ret, "Field '%s' was too long and was cut",
		    fields[f].name);
	if (ret->field[f] == NULL) {
		ret->field[f] = v;
		return;
	}
	n = strlen(v);
	joined = xmalloc(have + 2 + n + 1);
	memcpy(joined, ret->field[f], have);
	memcpy(joined + have, "\n\n", 2);
	memcpy(joined + have + 2, v, n + 1);
	free(v);
	free(ret->field[f]);
	ret->field[f] = joined;
}

struct ar_row *
ar_add_row(struct agency_return *ret)
{
	size_t	n = ret->n_rows;

	if (n >= AR_MAX_ROWS) {
		ar_warn(ret, "The chronology has more than %d rows; the rest "
		    "were left out", AR_MAX_ROWS);
		return NULL;
	}
	/*
	 * Rows may move: a pointer from an earlier call is stale now.
	 * The capacity is implied by n_rows: 8, then powers of two. It stays
	 * enough after ar_finish drops rows, since it only ever shrinks to
	 * a power of two at or above what is held.
	 */
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0))
		ret->rows = xreallocarray(ret->rows, n == 0 ? 8 : n * 2,
		    sizeof *ret->rows);
	memset(&ret->rows[n], 0, sizeof ret->rows[n]);
	ret->n_rows++;
	return &ret->rows[n];
}

static int date_time_scan(const char *, char iso[11], char hhmm[6]);

void
ar_row_set(struct ar_row *row, enum ar_column c, const char *value)
{
	char	iso[11], hhmm[6];

	if (row == NULL || (int)c < 0 || c >= AR_NCOLS)
		return;
	free(row->col[c]);
	row->col[c] = clean_copy(value, AR_MAX_FIELD_BYTES, NULL);
	if (c == AR_COL_DATE) {
		row->date[0] = '\0';
		if (row->col[c] != NULL &&
		    date_time_scan(row->col[c], iso, hhmm) == 0) {
			memcpy(row->date, iso, sizeof row->date);
			if (hhmm[0] != '\0' && row->col[AR_COL_TIME] == NULL)
				memcpy(row->time, hhmm, sizeof row->time);
		}
	} else if (c == AR_COL_TIME) {
		if (row->col[c] != NULL &&
		    ar_parse_time(row->col[c], hhmm) == 0)
			memcpy(row->time, hhmm, sizeof row->time);
		else if (row->col[c] != NULL)
			row->time[0] = '\0';
	}
}

/* --- dates and times --- */

/* A trimmed, lower-case copy of text into buf, or -1 when too long. */
static int
lower_copy(const char *text, char *buf, size_t bufsz)
{
	size_t	a, b, i;

	if (text == NULL)
		return -1;
	trim_span(text, strlen(text), &a, &b);
	if (b - a >= bufsz)
		return -1;
	for (i = a; i < b; i++)
		buf[i - a] = (char)tolower((unsigned char)text[i]);
	buf[b - a] = '\0';
	return 0;
}

/* Count the digits at p (any number); *v gets the value of up to 5. */
static size_t
digits_at(const char *p, int *v)
{
	size_t	n;

	*v = 0;
	for (n = 0; isdigit((unsigned char)p[n]); n++)
		if (n < 5)
			*v = *v * 10 + (p[n] - '0');
	return n;
}

static size_t
letters_at(const char *p)
{
	size_t	n;

	for (n = 0; isalpha((unsigned char)p[n]); n++)
		;
	return n;
}

/* January..December in full or in 3 letters, or "sept": 1..12, else 0. */
static int
month_word(const char *w, size_t n)
{
	int	i;

	for (i = 0; i < 12; i++)
		if ((n == strlen(months[i]) &&
		    strncmp(w, months[i], n) == 0) ||
		    (n == 3 && strncmp(w, months[i], 3) == 0))
			return i + 1;
	if (n == 4 && strncmp(w, "sept", 4) == 0)
		return 9;
	return 0;
}

static int
weekday_word(const char *w, size_t n)
{
	size_t	i;

	for (i = 0; weekdays[i] != NULL; i++)
		if (n == strlen(weekdays[i]) && strncmp(w, weekdays[i], n) == 0)
			return 1;
	return 0;
}

/* An ordinal suffix at p: its length (2), or 0. */
static size_t
ordinal_at(const char *p)
{
	if ((strncmp(p, "st", 2) == 0 || strncmp(p, "nd", 2) == 0 ||
	    strncmp(p, "rd", 2) == 0 || strncmp(p, "th", 2) == 0) &&
	    !isalpha((unsigned char)p[2]))
		return 2;
	return 0;
}

static const char *
skip_chars(const char *p, const char *set)
{
	while (*p != '\0' && strchr(set, *p) != NULL)
		p++;
	return p;
}

/* A year of 2 or 4 digits at p: the year, or -1. */
static int
year_at(const char **pp)
{
	int	v;
	size_t	n;

	n = digits_at(*pp, &v);
	if (n != 2 && n != 4)
		return -1;
	*pp += n;
	return n == 2 ? 2000 + v : v;
}

/*
 * A date as the header of ar_parse_date describes, with an optional time
 * after it: iso gets the date, hhmm the time or "".
 */
static int
date_time_scan(const char *text, char iso[11], char hhmm[6])
{
	char		 buf[DATE_MAX + 1];
	const char	*p;
	size_t		 n;
	int		 d, m, y, v;
	char		 sep;

	hhmm[0] = '\0';
	if (lower_copy(text, buf, sizeof buf) != 0)
		return -1;
	p = buf;

	/* "Mon 8 Jul 2024", "Monday, 8th July 2024". */
	if ((n = letters_at(p)) > 0 && weekday_word(p, n)) {
		p += n;
		p = skip_chars(p, ".");
		p = skip_chars(p, ", ");
	}

	if ((n = digits_at(p, &v)) == 4) {
		/* "2024-07-08", "2024/07/08", "2024-07-08T14:30". */
		y = v;
		p += 4;
		sep = *p;
		if (sep != '-' && sep != '/' && sep != '.')
			return -1;
		p++;
		if ((n = digits_at(p, &m)) < 1 || n > 2)
			return -1;
		p += n;
		if (*p++ != sep)
			return -1;
		if ((n = digits_at(p, &d)) < 1 || n > 2)
			return -1;
		p += n;
	} else if (n == 1 || n == 2) {
		d = v;
		p += n;
		if ((*p == '/' || *p == '.' || *p == '-') &&
		    isdigit((unsigned char)p[1])) {
			/* "08/07/2024", "8.7.24", "8-7-2024": day first. */
			sep = *p++;
			if ((n = digits_at(p, &m)) < 1 || n > 2)
				return -1;
			p += n;
			if (*p++ != sep)
				return -1;
			if ((y = year_at(&p)) == -1)
				return -1;
		} else {
			/* "8 July 2024", "8th of Jul, 2024", "8-Jul-24". */
			p += ordinal_at(p);
			p = skip_chars(p, " -.,");
			if (strncmp(p, "of ", 3) == 0)
				p = skip_chars(p + 3, " ");
			n = letters_at(p);
			if ((m = month_word(p, n)) == 0)
				return -1;
			p += n;
			p = skip_chars(p, ".");
			p = skip_chars(p, " -,");
			if ((y = year_at(&p)) == -1)
				return -1;
		}
	} else if ((n = letters_at(p)) > 0) {
		/* "July 8, 2024", "Jul 8th 2024". */
		if ((m = month_word(p, n)) == 0)
			return -1;
		p += n;
		p = skip_chars(p, ".");
		p = skip_chars(p, " -");
		if ((n = digits_at(p, &d)) < 1 || n > 2)
			return -1;
		p += n;
		p += ordinal_at(p);
		p = skip_chars(p, " ,-");
		if ((y = year_at(&p)) == -1)
			return -1;
	} else
		return -1;

	if (isdigit((unsigned char)*p) || y < 1900 || y > 2100 ||
	    !date_valid(y, m, d))
		return -1;
	snprintf(iso, 11, "%04d-%02d-%02d", y, m, d);

	/* What may follow: nothing, a full stop, or a time. */
	if (*p == 't' && isdigit((unsigned char)p[1]))
		p++;
	p = skip_chars(p, " ,-@");
	if (strncmp(p, "at ", 3) == 0)
		p = skip_chars(p + 3, " ");
	if (*p == '\0' || strcmp(p, ".") == 0)
		return 0;
	if (ar_parse_time(p, hhmm) == 0)
		return 0;
	hhmm[0] = '\0';
	return -1;
}

int
ar_parse_date(const char *text, char iso[11])
{
	char	out[11], hhmm[6];

	if (date_time_scan(text, out, hhmm) != 0)
		return -1;
	memcpy(iso, out, sizeof out);
	return 0;
}

int
ar_parse_time(const char *text, char hhmm[6])
{
	char		 buf[TIME_MAX + 1];
	const char	*p;
	size_t		 n;
	int		 h, m = -1, s, v, ampm = 0, hours = 0;

	if (lower_copy(text, buf, sizeof buf) != 0)
		return -1;
	p = buf;
	if (strcmp(p, "noon") == 0 || strcmp(p, "midday") == 0 ||
	    strcmp(p, "12 noon") == 0) {
		memcpy(hhmm, "12:00", 6);
		return 0;
	}
	if (strcmp(p, "midnight") == 0) {
		memcpy(hhmm, "00:00", 6);
		return 0;
	}
	n = digits_at(p, &v);
	if (n == 4) {
		/* "1430", "1430hrs". */
		h = v / 100;
		m = v % 100;
		p += 4;
	} else if (n == 1 || n == 2) {
		h = v;
		p += n;
		if ((*p == ':' || *p == '.') && isdigit((unsigned char)p[1])) {
			if (digits_at(p + 1, &m) != 2)
				return -1;
			p += 3;
			if ((*p == ':' || *p == '.') &&
			    isdigit((unsigned char)p[1])) {
				if (digits_at(p + 1, &s) != 2 || s > 59)
					return -1;
				p += 3;
			}
		}
	} else
		return -1;

	p = skip_chars(p, " ");
	if (strncmp(p, "am", 2) == 0 || strncmp(p, "a.m", 3) == 0) {
		ampm = 'a';
		p += p[1] == '.' ? 3 : 2;
	} else if (strncmp(p, "pm", 2) == 0 || strncmp(p, "p.m", 3) == 0) {
		ampm = 'p';
		p += p[1] == '.' ? 3 : 2;
	} else if (strncmp(p, "hours", 5) == 0 || strncmp(p, "hrs", 3) == 0 ||
	    strncmp(p, "hr", 2) == 0 || *p == 'h') {
		hours = 1;
		p += letters_at(p);
	}
	p = skip_chars(p, ". ");
	if (*p != '\0')
		return -1;

	if (ampm) {
		if (h < 1 || h > 12 || n == 4)
			return -1;
		if (m == -1)
			m = 0;
		h = h % 12 + (ampm == 'p' ? 12 : 0);
	} else if (m == -1) {
		if (!hours)
			return -1;
		m = 0;
	}
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	hhmm[0] = (char)('0' + h / 10);
	hhmm[1] = (char)('0' + h % 10);
	hhmm[2] = ':';
	hhmm[3] = (char)('0' + m / 10);
	hhmm[4] = (char)('0' + m % 10);
	hhmm[5] = '\0';
	return 0;
}

/* --- after reading --- */

static const char *const involved_yes[] = {
	"yes", "y", "true", "involved", "known", "known to agency",
	"known to the agency", "known to our agency", "known to service",
	NULL
};
static const char *const involved_no[] = {
	"no", "n", "none", "not involved", "no involvement", "nil",
	"nil return", "not known", "not known to agency",
	"not known to the agency", "not known to this agency",
	"not known to our agency", "not known to service",
	"not known to the service", "unknown to agency", "false",
	"no known involvement", NULL
};
static const char *const lcspr_yes[] = {
	"yes", "y", "met", "criteria met", "criteria are met",
	"the criteria are met", "meets criteria", "meets the criteria",
	"lcspr criteria met", "recommended", "lcspr recommended", NULL
};
static const char *const lcspr_no[] = {
	"no", "n", "not met", "criteria not met", "criteria are not met",
	"the criteria are not met", "does not meet criteria",
	"does not meet the criteria", "lcspr criteria not met",
	"not recommended", "lcspr not recommended", NULL
};
static const char *const lcspr_unsure[] = {
	"unsure", "not sure", "dont know", "do not know", "possibly", "maybe",
	"uncertain", "undecided", "unclear", "unknown", "not known",
	"partially", "partly", "borderline", "potentially", "tbc",
	"to be confirmed", "to be decided", "perhaps", "possible", NULL
};

/* A box ticked on a form: "☒", "☑", "✓", "✔", "[x]". Its length. */
static size_t
tick_at(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;

	if (u[0] == 0xe2 && u[1] == 0x98 && (u[2] == 0x92 || u[2] == 0x91))
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x9c && (u[2] == 0x93 || u[2] == 0x94))
		return 3;
	if (strncasecmp(s, "[x]", 3) == 0)
		return 3;
	return 0;
}

/* An empty box: "☐", "[ ]". */
static size_t
box_at(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;

	if (u[0] == 0xe2 && u[1] == 0x98 && u[2] == 0x90)
		return 3;
	if (strncmp(s, "[ ]", 3) == 0)
		return 3;
	return tick_at(s);
}

/*
 * An answer in word form. With tick boxes, the words that go with the
 * ticked one: after it when the text starts with a box ("☐ Yes ☒ No" is
 * "no"), else before it ("Yes ☐ No ☒" is "no"). -1 when unreadable.
 */
static int
answer_norm(const char *v, char *out, size_t outsz)
{
	char		 part[ANSWER_MAX + 1];
	const char	*p, *q, *from, *to = NULL;
	size_t		 n, a, e, len = strnlen(v, ANSWER_MAX + 1);
	int		 box_first;

	if (len > ANSWER_MAX)
		len = utf8_cut(v, ANSWER_MAX);
	trim_span(v, len, &a, &e);
	box_first = box_at(v + a) > 0;
	from = v;
	for (p = v; p < v + len; p++) {
		if ((n = box_at(p)) == 0)
			continue;
		if (tick_at(p) == 0) {
			from = p + n;
			p += n - 1;
			continue;
		}
		if (box_first) {
			from = p + n;
			for (q = from; q < v + len && box_at(q) == 0; q++)
				;
			to = q;
		} else
			to = p;
		break;
	}
	if (to == NULL) {
		from = v;
		to = v + len;
	}
	memcpy(part, from, (size_t)(to - from));
	part[to - from] = '\0';
	return label_norm(part, out, outsz);
}

static int
first_word_is(const char *w, const char *word)
{
	size_t	n = strlen(word);

	return strncmp(w, word, n) == 0 && (w[n] == '\0' || w[n] == ' ');
}

/* 'y', 'n' or 'u' for an answer in word form, else 0. */
static int
answer_read(const char *w, const char *const *yes, const char *const *no,
    const char *const *unsure)
{
	size_t	i;

	if (syn_match(w, no))
		return 'n';
	if (syn_match(w, yes))
		return 'y';
	if (unsure != NULL && syn_match(w, unsure))
		return 'u';
	/* "Yes - see summary", "No, not since 2019", "Unsure at present". */
	if (first_word_is(w, "yes"))
		return 'y';
	if (first_word_is(w, "no") || first_word_is(w, "nil"))
		return 'n';
	if (unsure != NULL)
		for (i = 0; unsure[i] != NULL; i++)
			if (strchr(unsure[i], ' ') == NULL &&
			    first_word_is(w, unsure[i]))
				return 'u';
	return 0;
}

/* Normalise a yes/no field; an unreadable answer is unset and marked. */
static void
finish_answer(struct agency_return *ret, enum ar_field f,
    const char *const *yes, const char *const *no,
    const char *const *unsure)
{
	char		 w[NORM_MAX];
	const char	*kw = NULL;
	int		 a = 0;

	ret->unreadable &= ~(1ULL << f);
	if (ret->field[f] == NULL)
		return;
	if (answer_norm(ret->field[f], w, sizeof w) == 0)
		a = answer_read(w, yes, no, unsure);
	if (a == 'y')
		kw = "yes";
	else if (a == 'n')
		kw = "no";
	else if (a == 'u')
		kw = "unsure";
	free(ret->field[f]);
	ret->field[f] = NULL;
	if (kw != NULL)
		ret->field[f] = xstrdup(kw);
	else
		ret->unreadable |= 1ULL << f;
}

static void
finish_date(struct agency_return *ret, enum ar_field f)
{
	char	iso[11];

	if (ret->field[f] == NULL)
		return;
	if (ar_parse_date(ret->field[f], iso) == 0) {
		free(ret->field[f]);
		ret->field[f] = xstrdup(iso);
	} else
		ar_warn(ret, "Field '%s': the date could not be read",
		    fields[f].name);
}

void
ar_finish(struct agency_return *ret)
{
	struct ar_row	*row;
	size_t		 i, n = 0;
	int		 c, empty;

	finish_answer(ret, AR_INVOLVED, involved_yes, involved_no, NULL);
	finish_answer(ret, AR_LCSPR_VIEW, lcspr_yes, lcspr_no, lcspr_unsure);
	finish_date(ret, AR_COMPLETED);
	finish_date(ret, AR_FIRST_CONTACT);
	finish_date(ret, AR_LAST_CONTACT);
	finish_date(ret, AR_SIGNED_OFF);
	ret->nil = ret->field[AR_INVOLVED] != NULL &&
	    strcmp(ret->field[AR_INVOLVED], "no") == 0;

	for (i = 0; i < ret->n_rows; i++) {
		row = &ret->rows[i];
		empty = 1;
		for (c = 0; c < AR_NCOLS; c++)
			if (row->col[c] != NULL)
				empty = 0;
		if (empty) {
			row_clear(row);
			continue;
		}
		if (n != i) {
			ret->rows[n] = *row;
			memset(row, 0, sizeof *row);
		}
		n++;
		if (ret->rows[n - 1].col[AR_COL_DATE] == NULL)
			ar_warn(ret, "Chronology row %zu: no date was given",
			    n);
		else if (ret->rows[n - 1].date[0] == '\0')
			ar_warn(ret, "Chronology row %zu: the date could not "
			    "be read", n);
	}
	ret->n_rows = n;
	if (n == 0) {
		free(ret->rows);
		ret->rows = NULL;
	}
}

/* A field that is missing: unset and not already named as unreadable. */
static int
is_missing(const struct agency_return *ret, enum ar_field f)
{
	return ret->field[f] == NULL && !(ret->unreadable & (1ULL << f));
}

size_t
ar_missing(const struct agency_return *ret, const char ***out)
{
	static const enum ar_field	 involved_req[] = { AR_INVOLVEMENT,
	    AR_QUALITY, AR_IMPACT, AR_IMMEDIATE_ACTIONS, AR_LCSPR_VIEW };
	const char			*v[AR_NFIELDS + 1];
	size_t				 n = 0, i;
	int				 nil;

	nil = ret->nil || (ret->field[AR_INVOLVED] != NULL &&
	    strcmp(ret->field[AR_INVOLVED], "no") == 0);
	if (is_missing(ret, AR_AUTHOR))
		v[n++] = fields[AR_AUTHOR].name;
	if (!nil) {
		if (is_missing(ret, AR_INVOLVED))
			v[n++] = fields[AR_INVOLVED].name;
		for (i = 0; i < sizeof involved_req / sizeof involved_req[0];
		    i++) {
			if (is_missing(ret, involved_req[i]))
				v[n++] = fields[involved_req[i]].name;
			/* The chronology comes after the involvement. */
			if (involved_req[i] == AR_INVOLVEMENT &&
			    ret->n_rows == 0)
				v[n++] = "Chronology";
		}
	}
	if (out != NULL) {
		*out = xcalloc(n + 1, sizeof **out);
		memcpy(*out, v, n * sizeof v[0]);
	}
	return n;
}

size_t
ar_unreadable(const struct agency_return *ret, const char ***out)
{
	const char	*v[AR_NFIELDS];
	size_t		 n = 0;
	int		 f;

	for (f = 0; f < AR_NFIELDS; f++)
		if (ret->unreadable & (1ULL << f))
			v[n++] = fields[f].name;
	if (out != NULL) {
		*out = xcalloc(n + 1, sizeof **out);
		memcpy(*out, v, n * sizeof v[0]);
	}
	return n;
}

int
ar_is_complete(const struct agency_return *ret)
{
	return ar_missing(ret, NULL) == 0 && ar_unreadable(ret, NULL) == 0;
}

size_t
ar_count_fields(const struct agency_return *ret)
{
	size_t	n = 0;
	int	f;

	for (f = 0; f < AR_NFIELDS; f++)
		if (ret->field[f] != NULL)
			n++;
	return n;
}

char *
ar_text_form(const char *case_ref)
{
	static const char chrono[] = "Chronology (one line each: "
	    "YYYY-MM-DD | contact type | what happened | outcome):\n";
	struct buf	 b = { NULL, 0, 0 };
	char		*line;
	int		 f;

	xasprintf(&line, "--- RAPID REVIEW RETURN %s BEGIN ---\n",
	    case_ref != NULL ? case_ref : "");
	buf_add(&b, line, strlen(line));
	free(line);
	for (f = 0; f < AR_NFIELDS; f++) {
		buf_add(&b, fields[f].label, strlen(fields[f].label));
		buf_add(&b, ":\n", 2);
		if (f == AR_CASE_STATUS)
			buf_add(&b, chrono, sizeof chrono - 1);
	}
	buf_add(&b, "--- END ---", 11);
	return b.s;
}

/* --- documents --- */

void
ar_doc_free(struct ar_doc *doc)
{
	struct ar_block	*b;
	size_t		 i, r, c;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->n_blocks; i++) {
		b = &doc->blocks[i];
		free(b->text);
		free(b->key);
		free(b->title);
		if (b->cells != NULL && b->n_cols != NULL) {
			for (r = 0; r < b->n_rows; r++) {
				if (b->cells[r] == NULL)
					continue;
				for (c = 0; c < b->n_cols[r]; c++)
					free(b->cells[r][c]);
				free(b->cells[r]);
			}
		}
		free(b->cells);
		free(b->n_cols);
	}
	free(doc->blocks);
	doc->blocks = NULL;
	doc->n_blocks = 0;
}

/* Empty, or only what Word shows in an empty control. */
static int
is_blank(const char *s)
{
	char	norm[NORM_MAX];
	size_t	a, b;

	if (s == NULL)
		return 1;
	trim_span(s, strlen(s), &a, &b);
	if (a == b)
		return 1;
	if (b - a > LABEL_MAX)
		return 0;
	if (label_norm(s, norm, sizeof norm) != 0)
		return 0;
	return syn_match(norm, placeholders);
}

static const char *
cell_at(const struct ar_block *b, size_t r, size_t c)
{
	if (r >= b->n_rows || b->cells == NULL || b->n_cols == NULL ||
	    b->cells[r] == NULL || c >= b->n_cols[r])
		return NULL;
	return b->cells[r][c];
}

/* A table cell as a label: the whole text, else its first line. */
static int
cell_field(const char *s)
{
	const char	*nl;
	char		*first;
	int		 f;

	if (s == NULL)
		return -1;
	if ((f = ar_field_from_label(s)) != -1)
		return f;
	if ((nl = strchr(s, '\n')) == NULL || nl - s > LABEL_MAX)
		return -1;
	first = xstrndup(s, (size_t)(nl - s));
	f = ar_field_from_label(first);
	free(first);
	return f;
}

/*
 * "Label: value" in s: the field, with *value pointing after the colon;
 * -1 when the text before the first colon is not a label.
 */
static int
colon_label(const char *s, const char **value)
{
	const char	*colon;
	char		*head;
	int		 f;

	if ((colon = memchr(s, ':', strnlen(s, COLON_SCAN))) == NULL ||
	    colon == s)
		return -1;
	head = xstrndup(s, (size_t)(colon - s));
	f = ar_field_from_label(head);
	free(head);
	if (f != -1)
		*value = colon + 1;
	return f;
}

/* Set a field found by a label, unless something set it before. */
static void
label_set(struct agency_return *ret, int f, const char *value)
{
	if (f < 0 || ret->field[f] != NULL || is_blank(value))
		return;
	ar_set_field(ret, (enum ar_field)f, value);
}

/*
 * The header row of a chronology table (0, or 1 under a title row) with
 * its columns in map (b's widest row; -1 where none): the row, or -1.
 */
static int
chrono_header(const struct ar_block *b, int *map, size_t width)
{
	const char	*s, *title;
	size_t		 r, c, n_named;
	int		 col, has_date, distinct;

	for (r = 0; r < 2 && r < b->n_rows; r++) {
		if (r == 1) {
			/* A title row: one text, maybe over merged cells. */
			title = NULL;
			distinct = 0;
			for (c = 0; c < b->n_cols[0]; c++) {
				s = cell_at(b, 0, c);
				if (is_blank(s))
					continue;
				if (title == NULL || strcmp(title, s) != 0)
					distinct++;
				title = s;
			}
			if (distinct > 1)
				return -1;
		}
		has_date = 0;
		n_named = 0;
		for (c = 0; c < width; c++) {
			map[c] = -1;
			s = cell_at(b, r, c);
			if (is_blank(s) ||
			    (col = ar_column_from_label(s)) == -1)
				continue;
			map[c] = col;
			n_named++;
			if (col == AR_COL_DATE)
				has_date = 1;
		}
		if (has_date && n_named >= 2)
			return (int)r;
	}
	return -1;
}

/* The same words, as labels compare them. */
static int
same_label(const char *a, const char *b)
{
	char	na[NORM_MAX], nb[NORM_MAX];

	if (a == NULL || b == NULL || label_norm(a, na, sizeof na) != 0 ||
	    label_norm(b, nb, sizeof nb) != 0)
		return 0;
	return strcmp(na, nb) == 0;
}

/*
 * A row that repeats the header, as Word does after a page break: every
 * cell names its column again, or says what the header cell says.
 */
static int
is_header_again(const struct ar_block *b, size_t header, size_t r,
    const int *map)
{
	const char	*s;
	size_t		 c, same = 0;

	for (c = 0; c < b->n_cols[r]; c++) {
		s = cell_at(b, r, c);
		if (is_blank(s))
			continue;
		if (map[c] != -1 && ar_column_from_label(s) == map[c])
			same++;
		else if (!same_label(s, cell_at(b, header, c)))
			return 0;
	}
	return same >= 2;
}

static void
chrono_read(const struct ar_block *b, size_t header, const int *map,
    struct agency_return *ret)
{
	struct ar_row	*row;
	struct buf	 val[AR_NCOLS];
	const char	*s;
	size_t		 r, c;
	int		 col, any;

	for (r = header + 1; r < b->n_rows; r++) {
		if (is_header_again(b, header, r, map))
			continue;
		memset(val, 0, sizeof val);
		any = 0;
		for (c = 0; c < b->n_cols[r]; c++) {
			s = cell_at(b, r, c);
			if ((col = map[c]) == -1 || is_blank(s))
				continue;
			/* Two date or time columns: the first one counts. */
			if (val[col].n > 0 &&
			    (col == AR_COL_DATE || col == AR_COL_TIME))
				continue;
			if (val[col].n > 0)
				buf_add(&val[col], "\n", 1);
			buf_add(&val[col], s, strlen(s));
			any = 1;
		}
		if (any && (row = ar_add_row(ret)) != NULL) {
			for (col = 0; col < AR_NCOLS; col++)
				if (val[col].n > 0)
					ar_row_set(row, (enum ar_column)col,
					    val[col].s);
		}
		for (col = 0; col < AR_NCOLS; col++)
			buf_free(&val[col]);
	}
}

/* Label | Value rows (also in pairs across), and label rows over values. */
static void
table_labels(const struct ar_block *b, struct agency_return *ret)
{
	const char	*s, *v;
	size_t		 r, c, j, k, n_text;
	struct buf	 below = { NULL, 0, 0 };
	int		 f, pairs;

	for (r = 0; r < b->n_rows; r++) {
		n_text = 0;
		pairs = 1;
		for (c = 0; c < b->n_cols[r]; c++)
			if (!is_blank(cell_at(b, r, c))) {
				/* Label, value, label, value: every cell in
				 * an even column is a label. */
				if (c % 2 == 0 &&
				    cell_field(cell_at(b, r, c)) == -1)
					pairs = 0;
				n_text++;
			}
		/* Else three cells or more are a header row such as
		 * "Name | Age | City", not labels and values. */
		if (n_text < 3)
			pairs = 1;
		for (c = 0; c < b->n_cols[r]; c++) {
			s = cell_at(b, r, c);
			if (is_blank(s))
				continue;
			if (!pairs || (f = cell_field(s)) == -1) {
				/* "Name: Jane" in one cell. */
				if ((f = colon_label(s, &v)) != -1)
					label_set(ret, f, v);
				continue;
			}
			for (j = c + 1; j < b->n_cols[r] &&
			    is_blank(cell_at(b, r, j)); j++)
				;
			if (j < b->n_cols[r]) {
				/* A value whose first line reads as a label is
				 * still a value: only a whole label is not. */
				if (ar_field_from_label(cell_at(b, r, j)) ==
				    -1) {
					label_set(ret, f, cell_at(b, r, j));
					c = j;
				} else
					c = j - 1;
				continue;
			}
			/* A label alone on its row: the value is below. */
			if (n_text != 1 || r + 1 >= b->n_rows)
				continue;
			for (k = 0; k < b->n_cols[r + 1]; k++) {
				v = cell_at(b, r + 1, k);
				if (is_blank(v))
					continue;
				if (cell_field(v) != -1) {
					below.n = 0;
					break;
				}
				if (below.n > 0)
					buf_add(&below, "\n", 1);
				buf_add(&below, v, strlen(v));
			}
			if (below.n > 0) {
				label_set(ret, f, below.s);
				r++;
				below.n = 0;
			}
			break;
		}
	}
	buf_free(&below);
}

/* A short emphasised line that reads as a heading of its own. */
static int
is_heading(const struct ar_block *b, const char *s)
{
	size_t	a, e;

	if (!b->emphasis)
		return 0;
	trim_span(s, strlen(s), &a, &e);
	return e - a <= HEADING_MAX && e > a && s[e - 1] != '.';
}

static void
para_flush(struct agency_return *ret, int *cur, struct buf *text)
{
	if (*cur != -1 && text->n > 0)
		label_set(ret, *cur, text->s);
	*cur = -1;
	text->n = 0;
	if (text->s != NULL)
		text->s[0] = '\0';
}

void
ar_from_doc(const struct ar_doc *doc, struct agency_return *ret)
{
	const struct ar_block	*b;
	struct buf		 text = { NULL, 0, 0 };
	const char		*s, *v;
	size_t			 i, c, width, a, e;
	int			*map = NULL, header, f, cur = -1;
	size_t			 chrono = (size_t)-1;

	if (doc == NULL)
		return;

	/* Content controls: by the key in the tag, else in the title. */
	for (i = 0; i < doc->n_blocks; i++) {
		b = &doc->blocks[i];
		if (b->type != AR_BLOCK_CONTROL || is_blank(b->text))
			continue;
		f = -1;
		if (b->key != NULL)
			f = ar_field_from_key(b->key);
		if (f == -1 && b->title != NULL)
			f = ar_field_from_label(b->title);
		if (f != -1)
			ar_set_field(ret, (enum ar_field)f, b->text);
	}

	/* The chronology: the first table with a header that names it. */
	for (i = 0; i < doc->n_blocks && chrono == (size_t)-1; i++) {
		b = &doc->blocks[i];
		if (b->type != AR_BLOCK_TABLE || b->n_rows == 0 ||
		    b->cells == NULL || b->n_cols == NULL)
			continue;
		width = 0;
		for (c = 0; c < b->n_rows; c++)
			if (b->n_cols[c] > width)
				width = b->n_cols[c];
		if (width == 0)
			continue;
		map = xreallocarray(map, width, sizeof *map);
		if ((header = chrono_header(b, map, width)) == -1)
			continue;
		chrono = i;
		chrono_read(b, (size_t)header, map, ret);
	}
	free(map);

	/* Labels, in reading order, for the fields still unset. */
	for (i = 0; i < doc->n_blocks; i++) {
		b = &doc->blocks[i];
		if (b->type != AR_BLOCK_PARA) {
			para_flush(ret, &cur, &text);
			if (b->type == AR_BLOCK_TABLE && i != chrono &&
			    b->cells != NULL && b->n_cols != NULL)
				table_labels(b, ret);
			continue;
		}
		s = b->text != NULL ? b->text : "";
		trim_span(s, strlen(s), &a, &e);
		if (a == e)
			continue;
		if ((f = colon_label(s + a, &v)) != -1) {
			para_flush(ret, &cur, &text);
			if (!is_blank(v))
				label_set(ret, f, v);
			else
				cur = f;
			continue;
		}
		if (b->emphasis && (f = ar_field_from_label(s)) != -1) {
			para_flush(ret, &cur, &text);
			cur = f;
			continue;
		}
		if (is_heading(b, s) && text.n > 0) {
			/*
			 * "Section 3: Analysis" ends what came before; but
			 * right after a label, a bold line is the answer.
			 */
			para_flush(ret, &cur, &text);
			continue;
		}
		if (cur == -1 || text.n > AR_MAX_FIELD_BYTES)
			continue;
		if (text.n > 0)
			buf_add(&text, "\n", 1);
		buf_add(&text, s + a, e - a);
	}
	para_flush(ret, &cur, &text);
	buf_free(&text);

	if (ar_count_fields(ret) > 0 || ret->n_rows > 0)
		ret->found = 1;
}
