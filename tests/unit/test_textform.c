/*
 * test_textform.c - the text form typed into a reply (SPEC §3.3 item 4):
 * the daemon's own form (ar_text_form) filled in and sent back the ways
 * mail clients send it: top-posted above an Outlook header block, filled
 * inside "> " quotes, from an HTML part, wrapped at 76 columns, double
 * spaced, with CRLF; the chronology line formats; nil returns; texts
 * with no return; the limits.
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
#include "mime.h"
#include "xmalloc.h"

#define N(a)	(sizeof (a) / sizeof (a)[0])

#define SUMMARY \
    "Police attended the home twice in 2023 after calls from a neighbour.\n" \
    "\n" \
    "No offences were recorded; both calls were logged as concern for " \
    "welfare:\n" \
    "- 14 March 2023: raised voices reported\n" \
    "- 2 June 2023: child heard crying"
#define QUALITY \
    "The two attendances were handled promptly, but officers did not " \
    "speak to Child J alone on either occasion, and the second attendance " \
    "was not linked to the first because the address was recorded " \
    "differently."

/* The answers an agency types after each label of the form. */
static const struct answer {
	enum ar_field	 field;
	const char	*typed;		/* as typed after "Label:" */
	const char	*want;		/* as read, NULL: as typed */
} answers[] = {
	{ AR_AGENCY, "Northshire Police", NULL },
	{ AR_AUTHOR, "Jane Smith", NULL },
	{ AR_ROLE, "Detective Sergeant, Public Protection Unit", NULL },
	{ AR_EMAIL, "jane.smith@police.example", NULL },
	{ AR_PHONE, "01234 567890", NULL },
	{ AR_COMPLETED, "12/07/2024", "2024-07-12" },
	{ AR_INVOLVED, "Yes", "yes" },
	{ AR_INVOLVEMENT, SUMMARY, NULL },
	{ AR_FIRST_CONTACT, "14/03/2023", "2023-03-14" },
	{ AR_LAST_CONTACT, "2 June 2023", "2023-06-02" },
	{ AR_CASE_STATUS, "Closed", NULL },
	{ AR_QUALITY, QUALITY, NULL },
	{ AR_IMPACT, "Child J\xe2\x80\x99s isolation was not recognised.",
	    NULL },
	{ AR_GOOD_PRACTICE, "Prompt attendance.", NULL },
	{ AR_DIFFERENT, "Speak to the child alone.", NULL },
	{ AR_INFORMATION_SHARING, "Notification sent to CSC in June 2023.",
	    NULL },
	{ AR_VOICE_OF_CHILD, "Not recorded.", NULL },
	{ AR_EQUALITY, "Autism; family new to the country (Zo\xc3\xab "
	    "interpreted).", NULL },
	{ AR_IMMEDIATE_ACTIONS, "Records secured; briefing to officers.",
	    NULL },
	{ AR_LEARNING, "Link repeat calls to one address.", NULL },
	{ AR_LCSPR_VIEW, "Yes", "yes" },
	{ AR_LCSPR_RATIONALE, "Possible missed opportunities to see the "
	    "child.", NULL },
	{ AR_PARALLEL_PROCESSES, "Criminal investigation; coroner\xe2\x80\x99s "
	    "inquest", NULL },
	{ AR_RECORDS_SECURED, "Yes", NULL },
	{ AR_SIGNED_OFF_BY, "DI Mark Brown", NULL },
	{ AR_SIGNED_OFF, "12/07/2024", "2024-07-12" },
};

/* The chronology lines typed under its label, and how they read. */
static const char chronology[] =
    "2023-03-14 | Attendance | Officers attended after a neighbour's call; "
    "mother and Child J seen | Concern for welfare logged\n"
    "2023-06-02 21:15 | Attendance | Child J heard crying; mother said he "
    "was unwell | Notification to CSC\n"
    "2024-07-03 | Call | Report of the incident | Investigation opened\n";

static const struct {
	const char	*date;
	const char	*time;
	const char	*type;
	const char	*event;
	const char	*outcome;
} rows[] = {
	{ "2023-03-14", "", "Attendance", "Officers attended after a "
	    "neighbour's call; mother and Child J seen",
	    "Concern for welfare logged" },
	{ "2023-06-02", "21:15", "Attendance", "Child J heard crying; mother "
	    "said he was unwell", "Notification to CSC" },
	{ "2024-07-03", "", "Call", "Report of the incident",
	    "Investigation opened" },
};

/* The request the daemon sent, around its form. */
static const char request_head[] =
    "Dear colleague,\n"
    "\n"
    "A Rapid Review has been opened for Child J (RR-2024-007). Please\n"
    "return the form below by 15 July 2024.\n"
    "\n";
static const char request_tail[] =
    "\n"
    "Northshire Safeguarding Children Partnership\n";

static void
sb_add(char **s, size_t *n, const char *t)
{
	size_t	len = strlen(t);

	*s = xreallocarray(*s, 1, *n + len + 1);
	memcpy(*s + *n, t, len + 1);
	*n += len;
}

/* The daemon's form for RR-2024-007, filled in with answers. */
static char *
filled_form(void)
{
	const struct answer	*a;
	char			*form, *out = NULL, *line;
	const char		*p, *nl;
	size_t			 n = 0, i, len;

	form = ar_text_form("RR-2024-007");
	for (p = form; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		len = (size_t)(nl - p);
		line = xstrndup(p, len);
		sb_add(&out, &n, line);
		for (i = 0, a = NULL; i < N(answers); i++) {
			const char *label = ar_field_label(answers[i].field);

			if (strlen(label) + 1 == len &&
			    strncmp(line, label, len - 1) == 0)
				a = &answers[i];
		}
		if (a != NULL && strchr(a->typed, '\n') != NULL) {
			sb_add(&out, &n, "\n");
			sb_add(&out, &n, a->typed);
		} else if (a != NULL) {
			sb_add(&out, &n, " ");
			sb_add(&out, &n, a->typed);
		}
		sb_add(&out, &n, "\n");
		if (strncmp(line, "Chronology", 10) == 0)
			sb_add(&out, &n, chronology);
		free(line);
	}
	free(form);
	return out;
}

/* Every line of text with prefix in front. */
static char *
prefix_lines(const char *text, const char *prefix)
{
	char		*out = NULL;
	const char	*p, *nl;
	char		*line;
	size_t		 n = 0;

	sb_add(&out, &n, "");
	for (p = text; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		line = xstrndup(p, (size_t)(nl - p));
		sb_add(&out, &n, prefix);
		sb_add(&out, &n, line);
		sb_add(&out, &n, "\n");
		free(line);
		if (*nl == '\0')
			break;
	}
	return out;
}

/* Each line word-wrapped at width columns, as Outlook sends plain text. */
static char *
wrap(const char *text, size_t width)
{
	char		*out = xmalloc(strlen(text) * 2 + 1);
	const char	*w = text, *sp;
	size_t		 col = 0, n = 0, len;

	while (*w != '\0') {
		if (*w == '\n') {
			out[n++] = '\n';
			col = 0;
			w++;
			continue;
		}
		for (sp = w; *sp != ' ' && *sp != '\n' && *sp != '\0'; sp++)
			;
		len = (size_t)(sp - w);
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

/* Replace every from with to. */
static char *
replace(const char *text, const char *from, const char *to)
{
	char		*out = NULL, *part;
	const char	*p, *hit;
	size_t		 n = 0;

	sb_add(&out, &n, "");
	for (p = text; (hit = strstr(p, from)) != NULL;
	    p = hit + strlen(from)) {
		part = xstrndup(p, (size_t)(hit - p));
		sb_add(&out, &n, part);
		sb_add(&out, &n, to);
		free(part);
	}
	sb_add(&out, &n, p);
	return out;
}

static struct agency_return *
read_ok(const char *text)
{
	struct agency_return	*ret = NULL;

	if (textform_read(text, &ret) != 1)
		fail_msg("no return found in:\n%s", text);
	assert_non_null(ret);
	assert_int_equal(ret->source, AR_SOURCE_TEXT);
	assert_int_equal(ret->found, 1);
	return ret;
}

static void
read_none(const char *text)
{
	struct agency_return	*ret = (struct agency_return *)1;

	if (textform_read(text, &ret) != 0)
		fail_msg("a return was found in:\n%s", text);
	assert_null(ret);
}

static const char *
want_of(const struct answer *a)
{
	return a->want != NULL ? a->want : a->typed;
}

/* All answers and rows read as typed; exact multi-line text when exact. */
static void
check_full(const struct agency_return *ret, int exact)
{
	size_t	i;

	for (i = 0; i < N(answers); i++) {
		if (ret->field[answers[i].field] == NULL)
			fail_msg("field %s not read",
			    ar_field_key(answers[i].field));
		if (!exact && answers[i].field == AR_INVOLVEMENT)
			continue;
		assert_string_equal(ret->field[answers[i].field],
		    want_of(&answers[i]));
	}
	assert_int_equal(ret->n_rows, N(rows));
	for (i = 0; i < N(rows); i++) {
		assert_string_equal(ret->rows[i].date, rows[i].date);
		assert_string_equal(ret->rows[i].time, rows[i].time);
		/* A time typed after the date fills the time column. */
		if (rows[i].time[0] != '\0')
			assert_string_equal(ret->rows[i].col[AR_COL_TIME],
			    rows[i].time);
		else
			assert_null(ret->rows[i].col[AR_COL_TIME]);
		assert_string_equal(ret->rows[i].col[AR_COL_CONTACT_TYPE],
		    rows[i].type);
		assert_string_equal(ret->rows[i].col[AR_COL_EVENT],
		    rows[i].event);
		assert_string_equal(ret->rows[i].col[AR_COL_OUTCOME],
		    rows[i].outcome);
	}
	assert_int_equal(ret->nil, 0);
	assert_true(ar_is_complete(ret));
	assert_int_equal(ret->n_warnings, 0);
}

/* The form alone, as the agency typed it into a new mail. */
static void
test_form_alone(void **state)
{
	struct agency_return	*ret;
	char			*form;

	form = filled_form();
	ret = read_ok(form);
	check_full(ret, 1);
	ar_free(ret);
	free(form);
}

/* Outlook: the filled form typed above the quoted original, which holds
 * the blank form, unquoted, under a From/Sent/To/Subject block. */
static void
test_outlook_top_post(void **state)
{
	struct agency_return	*ret;
	char			*form, *blank, *text, *crlf;

	form = filled_form();
	blank = ar_text_form("RR-2024-007");
	xasprintf(&text,
	    "Hi,\n\nPlease find our return below.\n\n%s\n"
	    "Kind regards\n\nJane Smith\nDetective Sergeant\n\n"
	    "________________________________\n"
	    "From: Northshire Rapid Review <rapidreview@scp.example>\n"
	    "Sent: 08 July 2024 10:02\n"
	    "To: PPU Safeguarding <ppu@police.example>\n"
	    "Subject: OFFICIAL-SENSITIVE [RR-2024-007] Rapid Review: "
	    "information request\n\n%s%s%s", form, request_head, blank,
	    request_tail);
	ret = read_ok(text);
	check_full(ret, 1);
	ar_free(ret);

	/* The same with CRLF line ends. */
	crlf = replace(text, "\n", "\r\n");
	ret = read_ok(crlf);
	check_full(ret, 1);
	ar_free(ret);

	/* Wrapped at 76 columns, as Outlook sends plain text. */
	free(crlf);
	crlf = wrap(text, 76);
	assert_non_null(strstr(crlf, "what happened |\noutcome):\n"));
	ret = read_ok(crlf);
	check_full(ret, 1);
	ar_free(ret);
	free(crlf);
	free(text);
	free(blank);
	free(form);
}

/* Answers typed inside the quoted request: the label lines keep "> ". */
static void
test_filled_inside_quote(void **state)
{
	struct agency_return	*ret;
	char			*form, *body, *quoted, *text, *wrapped;

	form = filled_form();
	xasprintf(&body, "%s%s%s", request_head, form, request_tail);
	quoted = prefix_lines(body, "> ");
	xasprintf(&text,
	    "Please see our answers inline below.\n\nJane\n\n"
	    "On Mon, 8 Jul 2024 at 10:02, Northshire Rapid Review "
	    "<rapidreview@scp.example> wrote:\n%s", quoted);
	ret = read_ok(text);
	check_full(ret, 1);
	ar_free(ret);

	/* Quoted twice ("> > "), and wrapped after quoting. */
	free(quoted);
	quoted = prefix_lines(body, "> > ");
	wrapped = wrap(quoted, 76);
	free(text);
	xasprintf(&text, "Forwarding for the panel.\n\n%s", wrapped);
	ret = read_ok(text);
	check_full(ret, 1);
	ar_free(ret);

	free(wrapped);
	free(text);
	free(quoted);
	free(body);
	free(form);
}

/* Some answers typed unquoted between the quoted label lines. */
static void
test_inline_answers(void **state)
{
	static const char text[] =
	    "On Mon, 8 Jul 2024 at 10:02, Rapid Review wrote:\n"
	    "> --- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "> Agency:\n"
	    "Northshire Primary School\n"
	    "> Completed by:\n"
	    "Amy Jones\n"
	    "> Role: Designated Safeguarding Lead\n"
	    "> Involved with the child or family (yes/no):\n"
	    "No\n"
	    "> Summary of involvement:\n"
	    "> Chronology (one line each: YYYY-MM-DD | contact type | what "
	    "happened | outcome):\n"
	    "> Quality of practice:\n"
	    "> --- END ---\n"
	    ">\n"
	    "> Northshire Safeguarding Children Partnership\n";
	struct agency_return	*ret;

	ret = read_ok(text);
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Primary School");
	assert_string_equal(ret->field[AR_AUTHOR], "Amy Jones");
	assert_string_equal(ret->field[AR_ROLE],
	    "Designated Safeguarding Lead");
	assert_string_equal(ret->field[AR_INVOLVED], "no");
	assert_null(ret->field[AR_INVOLVEMENT]);
	assert_null(ret->field[AR_QUALITY]);
	assert_int_equal(ret->n_rows, 0);
	assert_int_equal(ret->nil, 1);
	assert_true(ar_is_complete(ret));
	ar_free(ret);
}

static char *
html_escape(const char *s)
{
	char	*out = NULL;
	size_t	 n = 0;
	char	 c[2] = { 0, 0 };

	sb_add(&out, &n, "");
	for (; *s != '\0'; s++) {
		if (*s == '<')
			sb_add(&out, &n, "&lt;");
		else if (*s == '>')
			sb_add(&out, &n, "&gt;");
		else if (*s == '&')
			sb_add(&out, &n, "&amp;");
		else if (*s == '\n')
			sb_add(&out, &n, "<br>\n");
		else {
			c[0] = *s;
			sb_add(&out, &n, c);
		}
	}
	return out;
}

/* An HTML-only reply: the form filled inside the <blockquote>. */
static void
test_html(void **state)
{
	struct agency_return	*ret;
	char			*form, *esc, *html, *text;

	form = filled_form();
	esc = html_escape(form);
	xasprintf(&html,
	    "<html><head><style>p{margin:0}</style></head><body>"
	    "<p>Hi,</p><p>Our return is in the form below.</p>"
	    "<p>Kind regards,<br>Jane Smith</p>"
	    "<div>On 8 July 2024, Rapid Review wrote:</div>"
	    "<blockquote type=\"cite\"><p>Dear colleague,</p>"
	    "<p>%s</p><p>Northshire SCP</p></blockquote></body></html>",
	    esc);
	text = mime_html_to_text(html, strlen(html));
	assert_non_null(strstr(text, "> --- RAPID REVIEW RETURN RR-2024-007 "
	    "BEGIN ---"));
	ret = read_ok(text);
	check_full(ret, 1);
	ar_free(ret);
	free(text);
	free(html);
	free(esc);

	/* Bold labels in the HTML, and its form not quoted. */
	free(form);
	form = xstrdup("--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---<br>"
	    "<b>Agency:</b> Northshire Police<br>"
	    "<b>Completed by:</b>&nbsp;Jane Smith<br>"
	    "<p><strong>Involved with the child or family (yes/no):</strong> "
	    "yes</p>"
	    "<b>Chronology (one line each: YYYY-MM-DD | contact type | what "
	    "happened | outcome):</b><br>"
	    "<table><tr><td>2023-03-14</td><td>Attendance</td>"
	    "<td>Seen</td><td>Logged</td></tr></table>"
	    "--- END ---");
	text = mime_html_to_text(form, strlen(form));
	ret = read_ok(text);
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	assert_string_equal(ret->field[AR_INVOLVED], "yes");
	assert_int_equal(ret->n_rows, 1);
	assert_string_equal(ret->rows[0].date, "2023-03-14");
	assert_string_equal(ret->rows[0].col[AR_COL_CONTACT_TYPE],
	    "Attendance");
	assert_string_equal(ret->rows[0].col[AR_COL_EVENT], "Seen");
	assert_string_equal(ret->rows[0].col[AR_COL_OUTCOME], "Logged");
	ar_free(ret);
	free(text);
	free(form);
}

/* What HTML-to-text converters leave: "*" around labels and markers. */
static void
test_emphasis(void **state)
{
	static const char text[] =
	    "*--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---*\n"
	    "*Agency:* Northshire Police\n"
	    "_Completed by:_ Jane Smith\n"
	    "**Role:** DS\n"
	    "*--- END ---*\n";
	struct agency_return	*ret;

	ret = read_ok(text);
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	assert_string_equal(ret->field[AR_ROLE], "DS");
	ar_free(ret);
}

/* Outlook's mangling: blank lines between lines, odd label spacing. */
static void
test_mangled(void **state)
{
	struct agency_return	*ret;
	char			*form, *a, *b;

	form = filled_form();
	a = replace(form, "\n", "\n\n");
	b = replace(a, "Completed by:", "Completed  by :");
	free(a);
	a = replace(b, "LCSPR criteria met (yes/no/unsure):",
	    "LCSPR criteria met?:");
	free(b);
	b = replace(a, "Agency:", "AGENCY  :");
	ret = read_ok(b);
	check_full(ret, 0);
	/* The paragraphs of the summary are all there. */
	assert_non_null(strstr(ret->field[AR_INVOLVEMENT],
	    "Police attended the home twice in 2023 after calls from a "
	    "neighbour.\n\nNo offences"));
	assert_non_null(strstr(ret->field[AR_INVOLVEMENT],
	    "- 2 June 2023: child heard crying"));
	ar_free(ret);
	free(a);
	free(b);
	free(form);
}

/* Multi-line answers keep their lines; trailing blank lines go. */
static void
test_multiline(void **state)
{
	static const char text[] =
	    "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Summary of involvement: First line.\n"
	    "Second line.\n"
	    "\n"
	    "\n"
	    "Third paragraph.\n"
	    "  Note: indented text is kept.\n"
	    "\n"
	    "\n"
	    "Learning identified:\n"
	    "\n"
	    "1. Share early.\n"
	    "2. See the child alone.\n"
	    "\n"
	    "--- Analysis ---\n"
	    "Quality of practice:\n"
	    "Good.\n"
	    "Agency: Northshire Police\n"
	    "Good practice:\n"
	    "--- END ---\n";
	struct agency_return	*ret;

	ret = read_ok(text);
	assert_string_equal(ret->field[AR_INVOLVEMENT],
	    "First line.\nSecond line.\n\nThird paragraph.\n"
	    "Note: indented text is kept.");
	assert_string_equal(ret->field[AR_LEARNING],
	    "1. Share early.\n2. See the child alone.");
	assert_string_equal(ret->field[AR_QUALITY], "Good.");
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	assert_null(ret->field[AR_GOOD_PRACTICE]);
	ar_free(ret);
}

/* A label seen before, inside an answer, is text of that answer. */
static void
test_label_again(void **state)
{
	static const char text[] =
	    "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Agency: Northshire Police\n"
	    "Summary of involvement: Two attendances.\n"
	    "Agency: the police were the only agency called.\n"
	    "--- END ---\n";
	struct agency_return	*ret;

	ret = read_ok(text);
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	assert_string_equal(ret->field[AR_INVOLVEMENT], "Two attendances.\n"
	    "Agency: the police were the only agency called.");
	ar_free(ret);
}

static void
test_chronology_lines(void **state)
{
	static const struct {
		const char	*lines;
		const char	*date, *time, *type, *seen, *event, *outcome,
				*sig;
	} cases[] = {
		{ "2024-07-01 | Visit | Seen at home | NFA",
		    "2024-07-01", "", "Visit", NULL, "Seen at home", "NFA",
		    NULL },
		{ "2024-07-01 09:30 | Visit | Child J, alone | Seen at home "
		    "| NFA", "2024-07-01", "09:30", "Visit", "Child J, alone",
		    "Seen at home", "NFA", NULL },
		{ "01/07/2024 | Visit | Mother | Seen | NFA | High",
		    "2024-07-01", "", "Visit", "Mother", "Seen", "NFA",
		    "High" },
		{ "1 July 2024 | Seen at home", "2024-07-01", "", NULL, NULL,
		    "Seen at home", NULL, NULL },
		{ "1 July 2024 | Seen at home | NFA", "2024-07-01", "", NULL,
		    NULL, "Seen at home", "NFA", NULL },
		{ "| 2024-07-01 | Visit | Seen | NFA |", "2024-07-01", "",
		    "Visit", NULL, "Seen", "NFA", NULL },
		/* Typed header and markdown rule lines are not rows. */
		{ "Date | Contact type | What happened | Outcome\n"
		    "|---|---|---|---|\n"
		    "2024-07-01 | Visit | Seen | NFA", "2024-07-01", "",
		    "Visit", NULL, "Seen", "NFA", NULL },
		/* A short line without '|' is more of the event. */
		{ "2024-07-01 | Visit | Seen at home | NFA\n"
		    "Mother present.", "2024-07-01", "", "Visit", NULL,
		    "Seen at home\nMother present.", "NFA", NULL },
		/* A long line broken by the mail client, twice. */
		{ "2024-07-01 | Home visit | Officers attended and spoke to "
		    "the mother at\nthe door, the child was not seen | "
		    "Referral to children's social\ncare",
		    "2024-07-01", "", "Home visit", "",
		    "Officers attended and spoke to the mother at the door, "
		    "the child was not seen",
		    "Referral to children's social care", NULL },
		/* More than six cells: the extra '|' were in the event. */
		{ "2024-07-01 | Visit | Mother | a | b | c | NFA | High",
		    "2024-07-01", "", "Visit", "Mother", "a | b | c", "NFA",
		    "High" },
		/* Cells separated by TAB, as an HTML table gives. */
		{ "2024-07-01\tVisit\tSeen\tNFA", "2024-07-01", "", "Visit",
		    NULL, "Seen", "NFA", NULL },
	};
	struct agency_return	*ret;
	char			*text;
	size_t			 i;

	for (i = 0; i < N(cases); i++) {
		xasprintf(&text, "--- RAPID REVIEW RETURN RR-2024-007 BEGIN "
		    "---\nChronology (one line each: YYYY-MM-DD | contact "
		    "type | what happened | outcome):\n%s\nQuality of "
		    "practice: x\n--- END ---\n", cases[i].lines);
		ret = read_ok(text);
		if (ret->n_rows != 1)
			fail_msg("case %zu: %zu rows", i, ret->n_rows);
		assert_string_equal(ret->rows[0].date, cases[i].date);
		assert_string_equal(ret->rows[0].time, cases[i].time);
#define COL(c, w) do {							\
	if ((w) == NULL || *(w) == '\0')				\
		assert_null(ret->rows[0].col[c]);			\
	else if (ret->rows[0].col[c] == NULL)				\
		fail_msg("case %zu: %s missing", i, #c);		\
	else								\
		assert_string_equal(ret->rows[0].col[c], (w));		\
} while (0)
		COL(AR_COL_CONTACT_TYPE, cases[i].type);
		COL(AR_COL_SEEN, cases[i].seen);
		COL(AR_COL_EVENT, cases[i].event);
		COL(AR_COL_OUTCOME, cases[i].outcome);
		COL(AR_COL_SIGNIFICANCE, cases[i].sig);
#undef COL
		assert_string_equal(ret->field[AR_QUALITY], "x");
		ar_free(ret);
		free(text);
	}
}

/* A line without '|' before any row is left out with a warning. */
static void
test_chronology_stray(void **state)
{
	static const char text[] =
	    "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Chronology:\n"
	    "See the attached spreadsheet.\n"
	    "2024-07-01 | Visit\n"
	    "--- END ---\n";
	struct agency_return	*ret;

	ret = read_ok(text);
	assert_int_equal(ret->n_rows, 1);
	assert_string_equal(ret->rows[0].col[AR_COL_EVENT], "Visit");
	assert_int_equal(ret->n_warnings, 1);
	assert_non_null(strstr(ret->warnings[0], "left out"));
	/* The warning quotes nothing of the text. */
	assert_null(strstr(ret->warnings[0], "spreadsheet"));
	ar_free(ret);
}

static void
test_markers(void **state)
{
	static const char *const pairs[][2] = {
		{ "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---",
		    "--- END ---" },
		{ "- RAPID REVIEW RETURN RR-2024-007 BEGIN -", "- END -" },
		{ "---------- rapid review return rr-2024-007 begin ----------",
		    "---------- end ----------" },
		{ "  ---   Rapid  Review  Return   RR-2024-007   Begin  ---  ",
		    "   ---End---   " },
		{ "\xe2\x80\x94 RAPID REVIEW RETURN RR-2024-007 BEGIN "
		    "\xe2\x80\x94", "\xe2\x80\x93 END \xe2\x80\x93" },
		{ "RAPID REVIEW RETURN RR-2024-007 BEGIN",
		    "--- END OF RAPID REVIEW RETURN ---" },
		{ "**--- RAPID REVIEW RETURN BEGIN ---**", "__--- END ---__" },
		/* No END: the block runs to the end. */
		{ "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---", "" },
	};
	struct agency_return	*ret;
	char			*text;
	size_t			 i;

	for (i = 0; i < N(pairs); i++) {
		xasprintf(&text, "Hi\n%s\nAgency: Northshire Police\n%s\n"
		    "Completed by: Not In The Block\n", pairs[i][0],
		    pairs[i][1]);
		ret = read_ok(text);
		assert_string_equal(ret->field[AR_AGENCY],
		    "Northshire Police");
		if (pairs[i][1][0] != '\0')
			assert_null(ret->field[AR_AUTHOR]);
		ar_free(ret);
		free(text);
	}
	/* Not markers. */
	read_none("Hi\nRAPID REVIEW RETURN BEGINS SOON\nAgency: Police\n");
	read_none("Hi\nThe rapid review return begin date is Monday.\n"
	    "Agency: Police\n");
}

/* Which copy is read when there are several. */
static void
test_choice(void **state)
{
	struct agency_return	*ret;
	char			*text, *q;

	/* Two copies typed this time: the last one. */
	ret = read_ok(
	    "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Agency: First draft\n--- END ---\n"
	    "Sorry, this one:\n"
	    "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Agency: Northshire Police\n--- END ---\n");
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	ar_free(ret);

	/* Bottom-posted: a quoted earlier return with more in it loses to
	 * the copy typed this time. */
	q = prefix_lines("--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Agency: Old Agency\nCompleted by: Old Name\nRole: Old Role\n"
	    "--- END ---", "> ");
	xasprintf(&text, "On 9 Jul 2024, Jane wrote:\n%s\n"
	    "Corrected:\n--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Agency: Northshire Police\n--- END ---\n", q);
	ret = read_ok(text);
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	assert_null(ret->field[AR_AUTHOR]);
	ar_free(ret);
	free(text);
	free(q);

	/* Only history: the copy with most in it, then the first (the
	 * latest, in a top-posted thread). */
	ret = read_ok("Forwarding as requested.\n\n"
	    "From: Amy Jones <amy@school.example>\nSent: 10 July 2024 09:00\n"
	    "To: Jane\nSubject: RE: return\n\n"
	    "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Agency: Northshire Primary\nCompleted by: Amy Jones\n"
	    "--- END ---\n\n"
	    "From: Rapid Review <rr@scp.example>\nSent: 8 July 2024 09:00\n"
	    "To: Amy\nSubject: request\n\n"
	    "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Agency:\nCompleted by:\n--- END ---\n\n"
	    "From: Amy Jones <amy@school.example>\nSent: 1 July 2024 09:00\n"
	    "To: Jane\nSubject: RE: old\n\n"
	    "--- RAPID REVIEW RETURN RR-2024-006 BEGIN ---\n"
	    "Agency: Old School\nCompleted by: Old Name\n"
	    "--- END ---\n");
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Primary");
	assert_string_equal(ret->field[AR_AUTHOR], "Amy Jones");
	ar_free(ret);

	/* Quoted copies: the least quoted of those with most in them. */
	ret = read_ok("See below.\n\n"
	    "> > --- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "> > Agency: Deeper\n> > --- END ---\n"
	    "> --- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "> Agency: Shallower\n> --- END ---\n");
	assert_string_equal(ret->field[AR_AGENCY], "Shallower");
	ar_free(ret);
}

static void
test_no_return(void **state)
{
	char	*blank, *text, *q;

	read_none("");
	read_none("Thanks, we will reply by Friday.\n\nJane\n");
	read_none("Agency: Northshire Police\nCompleted by: Jane Smith\n");
	/* Only the blank form, quoted: a note, not a return. */
	blank = ar_text_form("RR-2024-007");
	q = prefix_lines(blank, "> ");
	xasprintf(&text, "Thanks, will do.\n\nOn Mon, 8 Jul 2024, Rapid "
	    "Review wrote:\n%s", q);
	read_none(text);
	free(text);
	/* The blank form under an Outlook header block. */
	xasprintf(&text, "Received, thank you.\n\n"
	    "From: Rapid Review <rr@scp.example>\nSent: 8 July 2024 09:00\n"
	    "To: Amy\nSubject: request\n\n%s%s%s", request_head, blank,
	    request_tail);
	read_none(text);
	free(text);
	/* "Nil" that is not a nil return. */
	read_none("Nil returns are due by Friday.\n");
	read_none("Please see attached.\nWe had no involvement since 2019.\n");
	read_none("Hi,\n\nSee below.\n\n> NIL RETURN\n> Jane Smith\n");
	free(q);
	free(blank);
}

static void
test_nil(void **state)
{
	static const struct {
		const char	*text;
		const char	*author;
		const char	*role;
	} cases[] = {
		{ "NIL RETURN\nJane Smith, Designated Safeguarding Lead\n",
		    "Jane Smith", "Designated Safeguarding Lead" },
		{ "Nil return.\n\nWe have searched our records and hold "
		    "nothing on the family.\n\nKind regards\n\nJane Smith\n"
		    "DSL, Northshire Primary\n", "Jane Smith", NULL },
		{ "Hi Sarah,\n\nNo involvement with this family.\n\nThanks,\n"
		    "Amy Jones | School Nurse\n07700 900123\n", "Amy Jones",
		    "School Nurse" },
		{ "*NIL RETURN -*\nCompleted by: Jane Smith\nRole: DSL\n"
		    "Agency: Northshire Primary\n", "Jane Smith", "DSL" },
		{ "nil return\r\n\r\nDr Priya O'Neil-Shah - Named GP\r\n",
		    "Dr Priya O'Neil-Shah", "Named GP" },
		{ "NIL RETURN\n\nRegards\n", NULL, NULL },
		{ "Nil return\nZo\xc3\xab de la Cruz\n",
		    "Zo\xc3\xab de la Cruz", NULL },
		{ "NIL RETURN - Jane Smith, DSL\n", "Jane Smith", "DSL" },
		{ "Nil return \xe2\x80\x93 no involvement with the family\n"
		    "Amy Jones\n", "Amy Jones", NULL },
		/* A sentence is not a name. */
		{ "NIL RETURN\nplease see the attached letter\n", NULL, NULL },
	};
	struct agency_return	*ret;
	size_t			 i;

	for (i = 0; i < N(cases); i++) {
		ret = read_ok(cases[i].text);
		assert_int_equal(ret->nil, 1);
		assert_string_equal(ret->field[AR_INVOLVED], "no");
		if (cases[i].author == NULL)
			assert_null(ret->field[AR_AUTHOR]);
		else if (ret->field[AR_AUTHOR] == NULL)
			fail_msg("case %zu: no author", i);
		else
			assert_string_equal(ret->field[AR_AUTHOR],
			    cases[i].author);
		if (cases[i].role == NULL)
			assert_null(ret->field[AR_ROLE]);
		else
			assert_string_equal(ret->field[AR_ROLE],
			    cases[i].role);
		assert_int_equal(ar_is_complete(ret),
		    cases[i].author != NULL);
		assert_int_equal(ret->n_rows, 0);
		ar_free(ret);
	}
}

/* A nil reply top-posted over the request and its blank form. */
static void
test_nil_over_request(void **state)
{
	struct agency_return	*ret;
	char			*blank, *q, *text;

	blank = ar_text_form("RR-2024-007");
	xasprintf(&text, "NIL RETURN\n\nKind regards\nJane Smith, DSL\n\n"
	    "From: Rapid Review <rr@scp.example>\nSent: 8 July 2024 09:00\n"
	    "To: Jane\nSubject: request\n\n%s%s%s", request_head, blank,
	    request_tail);
	ret = read_ok(text);
	assert_int_equal(ret->nil, 1);
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	assert_string_equal(ret->field[AR_ROLE], "DSL");
	ar_free(ret);
	free(text);

	q = prefix_lines(blank, "> ");
	xasprintf(&text, "No involvement known to us.\n\nThanks\n"
	    "Amy Jones\n\nOn Mon, 8 Jul 2024, Rapid Review wrote:\n%s", q);
	ret = read_ok(text);
	assert_int_equal(ret->nil, 1);
	assert_string_equal(ret->field[AR_AUTHOR], "Amy Jones");
	ar_free(ret);
	free(text);
	free(q);
	free(blank);
}

static void
test_limits(void **state)
{
	struct agency_return	*ret;
	char			*text;
	size_t			 big = 5 * 1024 * 1024, n, i;
	static const char	 block[] =
	    "--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n"
	    "Agency: Northshire Police\n--- END ---\n";

	/* A block in the first 4 MB is read, whatever follows it. */
	text = xmalloc(big + sizeof block);
	memcpy(text, block, sizeof block - 1);
	for (n = sizeof block - 1; n < big; n++)
		text[n] = n % 70 == 0 ? '\n' : 'x';
	text[n] = '\0';
	ret = read_ok(text);
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	ar_free(ret);

	/* After 4 MB it is not read. */
	for (n = 0; n < big - sizeof block; n++)
		text[n] = n % 70 == 69 ? '\n' : 'x';
	memcpy(text + n, block, sizeof block);
	read_none(text);
	free(text);

	/* A line over 64 KiB is cut there. */
	text = xmalloc(200 * 1024);
	n = (size_t)sprintf(text, "%s", "--- RAPID REVIEW RETURN BEGIN ---\n"
	    "Quality of practice: ");
	for (i = 0; i < 100 * 1024; i++)
		text[n++] = 'a';
	n += (size_t)sprintf(text + n, "\nAgency: Police\n--- END ---\n");
	ret = read_ok(text);
	assert_int_equal(strlen(ret->field[AR_QUALITY]),
	    64 * 1024 - strlen("Quality of practice: "));
	assert_string_equal(ret->field[AR_AGENCY], "Police");
	ar_free(ret);
	free(text);
}

/* More chronology lines than AR_MAX_ROWS: the rest left out. */
static void
test_row_limit(void **state)
{
	struct agency_return	*ret;
	char			*text;
	size_t			 n, i;

	text = xmalloc((AR_MAX_ROWS + 20) * 40 + 200);
	n = (size_t)sprintf(text, "--- RAPID REVIEW RETURN BEGIN ---\n"
	    "Chronology:\n");
	for (i = 0; i < AR_MAX_ROWS + 20; i++)
		n += (size_t)sprintf(text + n, "2024-07-01 | Visit %zu\n", i);
	sprintf(text + n, "--- END ---\n");
	ret = read_ok(text);
	assert_int_equal(ret->n_rows, AR_MAX_ROWS);
	assert_string_equal(ret->rows[AR_MAX_ROWS - 1].col[AR_COL_EVENT],
	    "Visit 4999");
	ar_free(ret);
	free(text);
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
	data[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return data;
}

/*
 * The real mail of the shared corpus (Outlook, Gmail, Thunderbird, Apple
 * Mail, ... replies and messages): no return is read from any of them,
 * and the filled form typed above each one's text, or above its HTML,
 * is read exactly, whatever history follows it.
 */
static void
test_corpus(void **state)
{
	static const char *const dirs[] = { "clients", "replies",
	    "autoreplies" };
	struct mime_limits	 lim;
	struct mime_message	*m;
	struct agency_return	*ret;
	struct dirent		*de;
	DIR			*d;
	char			*dir, *path, *cause, *form, *esc, *text, *all;
	unsigned char		*data;
	size_t			 len, i, n_eml = 0, n_html = 0, nl;

	mime_limits_default(&lim);
	form = filled_form();
	esc = html_escape(form);
	for (i = 0; i < N(dirs); i++) {
		xasprintf(&dir, "%s/../shared/corpus/email/%s",
		    getenv("RR_SRC") != NULL ? getenv("RR_SRC") : ".",
		    dirs[i]);
		if ((d = opendir(dir)) == NULL)
			fail_msg("no corpus at %s", dir);
		while ((de = readdir(d)) != NULL) {
			nl = strlen(de->d_name);
			if (de->d_name[0] == '.')
				continue;
			xasprintf(&path, "%s/%s", dir, de->d_name);
			data = slurp(path, &len);
			text = NULL;
			if (nl > 4 &&
			    strcmp(de->d_name + nl - 4, ".eml") == 0) {
				cause = NULL;
				if (mime_parse((char *)data, len, &lim, &m,
				    &cause) != MIME_OK) {
					free(cause);
					goto next;
				}
				text = xstrdup(m->text);
				mime_message_free(m);
				n_eml++;
				xasprintf(&all, "%s\n%s", form, text);
			} else if (nl > 10 &&
			    strcmp(de->d_name + nl - 10, ".body.html") == 0) {
				text = mime_html_to_text((char *)data, len);
				n_html++;
				xasprintf(&all, "<div>%s</div>\n%s", esc, data);
				free(data);
				data = (unsigned char *)all;
				all = mime_html_to_text((char *)data,
				    strlen((char *)data));
			} else
				goto next;
			ret = (struct agency_return *)1;
			if (textform_read(text, &ret) != 0)
				fail_msg("%s: a return was read", path);
			assert_null(ret);
			ret = read_ok(all);
			check_full(ret, 1);
			ar_free(ret);
			free(all);
next:
			free(text);
			free(data);
			free(path);
		}
		closedir(d);
		free(dir);
	}
	assert_true(n_eml >= 40);
	assert_true(n_html >= 4);
	free(esc);
	free(form);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_alone),
		cmocka_unit_test(test_outlook_top_post),
		cmocka_unit_test(test_filled_inside_quote),
		cmocka_unit_test(test_inline_answers),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_emphasis),
		cmocka_unit_test(test_mangled),
		cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_label_again),
		cmocka_unit_test(test_chronology_lines),
		cmocka_unit_test(test_chronology_stray),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_no_return),
		cmocka_unit_test(test_nil),
		cmocka_unit_test(test_nil_over_request),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_row_limit),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
