/*
 * test_mailnames.c - the template table and the shipped templates: every
 * template passes its name check, problems are reported with file and
 * line, subjects never use the child's identifier, and each template
 * renders what its reader needs.
 *
 * The templates are read from $RR_SRC/templates (the source tree; "." when
 * RR_SRC is not set).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailnames.h"
#include "template.h"
#include "xmalloc.h"

#define CHILD		"Child J"
#define BACKGROUND	"In July 2024, Child J and his mother were found"
#define DUE		"Mon 15 Jul 2024"
#define REF		"RR-2024-007"
#define MARKING		"OFFICIAL-SENSITIVE"
#define TEXT_FORM \
	"--- RAPID REVIEW RETURN RR-2024-007 BEGIN ---\n" \
	"Completed by:\n" \
	"Involved (yes/no):\n" \
	"Chronology (YYYY-MM-DD | contact type | what happened | outcome):\n" \
	"--- END ---\n"

static void	test_table(void **);
static void	test_shipped(void **);
static void	test_unknown_name(void **);
static void	test_subject_child(void **);
static void	test_missing_file(void **);
static void	test_override(void **);
static void	test_line_length(void **);
static void	test_render_subjects(void **);
static void	test_render_request(void **);
static void	test_render_reminder(void **);
static void	test_render_others(void **);
static void	test_render_digest(void **);

/* ---- Helpers --------------------------------------------------------- */

static char *
src_templates(void)
{
	const char	*s = getenv("RR_SRC");
	char		*dir;

	xasprintf(&dir, "%s/templates", s != NULL && *s != '\0' ? s : ".");
	return dir;
}

static char *
read_all(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*buf;
	long	 len;

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = xmalloc((size_t)len + 1);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)len;
	return buf;
}

static void
write_all(const char *path, const char *data)
{
	FILE	*f;

	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	assert_int_equal(fclose(f), 0);
}

/* A fresh directory holding a copy of every shipped template file. */
static char *
copy_templates(void)
{
	char		*src = src_templates(), *dst, *from, *to, *data;
	char		 tmp[] = "/tmp/test_mailnames.XXXXXX";
	DIR		*d;
	struct dirent	*de;

	assert_non_null(mkdtemp(tmp));
	dst = xstrdup(tmp);
	d = opendir(src);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".subject") == NULL &&
		    strstr(de->d_name, ".txt") == NULL &&
		    strstr(de->d_name, ".html") == NULL)
			continue;
		xasprintf(&from, "%s/%s", src, de->d_name);
		xasprintf(&to, "%s/%s", dst, de->d_name);
		data = read_all(from, NULL);
		write_all(to, data);
		free(data);
		free(from);
		free(to);
	}
	closedir(d);
	free(src);
	return dst;
}

static void
remove_dir(char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
		free(path);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static void
free_problems(char **problems, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(problems[i]);
	free(problems);
}

/* Exactly want problems; print them all when not. */
static void
expect_problems(char **problems, size_t n, size_t want)
{
	size_t	i;

	if (n == want)
		return;
	for (i = 0; i < n; i++)
		print_message("problem: %s\n", problems[i]);
	assert_int_equal(n, want);
}

/* Lines in a file that ends with a newline. */
static int
count_lines(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static size_t
count_occurrences(const char *hay, const char *needle)
{
	size_t		 n = 0;
	const char	*p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* ---- The sample record ----------------------------------------------- */

/* One record with every name any template uses: unused ones are ignored. */
static const struct {
	const char	*name;
	const char	*value;
} sample_strings[] = {
	{ "partnership", "Northshire Safeguarding Children Partnership" },
	{ "partnership_address", "rapidreview@northshire-scp.org.uk" },
	{ "business_manager", "business.manager@northshire-scp.org.uk" },
	{ "marking", MARKING },
	{ "case_ref", REF },
	{ "subject_child", "" },
	{ "today", "Mon 8 Jul 2024" },
	{ "child", CHILD },
	{ "day0", "Mon 8 Jul 2024" },
	{ "returns_due", DUE },
	{ "meeting_by", "Mon 29 Jul 2024" },
	{ "panel_due", "Mon 29 Jul 2024" },
	{ "sin_due", "Thu 11 Jul 2024" },
	{ "agency_name", "Children's Social Care" },
	{ "incident_type", "death" },
	{ "incident_date", "Wed 3 Jul 2024" },
	{ "background", BACKGROUND " deceased in the family home.\n"
	    "Child J, a 5-year-old boy with autism, lived alone with his "
	    "mother." },
	{ "due", DUE },
	{ "due_day", "5" },
	{ "reply_address",
	    "rapidreview+rr-2024-007.csc.k3f9q2m1@northshire-scp.org.uk" },
	{ "text_form", TEXT_FORM },
	{ "days_left", "2" },
	{ "lead", "mash.lead@northshire.gov.uk" },
	{ "days_overdue", "1" },
	{ "fields_read", "14" },
	{ "chronology_rows", "23" },
	{ "first_date", "Tue 3 Mar 2020" },
	{ "last_date", "Mon 1 Jul 2024" },
	{ "lcspr_view", "unsure" },
	{ "filename", "return.docm" },
	{ "reason", "it is a macro-enabled document" },
	{ "meeting_date", "Thu 18 Jul 2024" },
	{ "meeting_time", "10:00" },
	{ "duration", "1h30" },
	{ "place", "Council House, Room 2, and Teams" },
	{ "agenda", "1. Introductions\n2. Agency returns\n3. Decisions" },
	{ "returns_in", "4" },
	{ "returns_expected", "6" },
};

static const struct {
	const char	*name;
	int		 value;
} sample_bools[] = {
	{ "late", 1 },
	{ "has_form", 1 },
	{ "due_today", 0 },
	{ "updated", 1 },
	{ "errors", 1 },
};

static const struct {
	const char	*list;
	const char	*name;
	const char	*values[3];
} sample_lists[] = {
	{ "agencies", "name", { "Northshire Police", "Northshire ICB",
	    "Children's Social Care" } },
	{ "unmatched", "name", { "Northshire Youth Club", NULL, NULL } },
	{ "missing", "field", { "Case background", NULL, NULL } },
	{ "unreadable", "field", { "Chronology row 3 (date)", NULL, NULL } },
	{ "warnings", "text", { "Incident date is after Date aware", NULL,
	    NULL } },
};

static struct tmpl_record *
sample_record(void)
{
	struct tmpl_record	*r = tmpl_record_new(), *e, *c, *o;
	struct tmpl_list	*l, *cases, *out;
	size_t			 i, j;

	for (i = 0; i < sizeof sample_strings / sizeof sample_strings[0]; i++)
		tmpl_record_set_string(r, sample_strings[i].name,
		    sample_strings[i].value);
	for (i = 0; i < sizeof sample_bools / sizeof sample_bools[0]; i++)
		tmpl_record_set_bool(r, sample_bools[i].name,
		    sample_bools[i].value);
	for (i = 0; i < sizeof sample_lists / sizeof sample_lists[0]; i++) {
		l = tmpl_record_add_list(r, sample_lists[i].list);
		for (j = 0; j < 3 && sample_lists[i].values[j] != NULL; j++) {
			e = tmpl_list_add_record(l);
			tmpl_record_set_string(e, sample_lists[i].name,
			    sample_lists[i].values[j]);
		}
	}

	l = tmpl_record_add_list(r, "milestones");
	e = tmpl_list_add_record(l);
	tmpl_record_set_string(e, "name", "Returns due");
	tmpl_record_set_string(e, "date", DUE);
	e = tmpl_list_add_record(l);
	tmpl_record_set_string(e, "name", "Submission to the Panel");
	tmpl_record_set_string(e, "date", "Mon 29 Jul 2024");

	l = tmpl_record_add_list(r, "lines");
	e = tmpl_list_add_record(l);
	tmpl_record_set_string(e, "line", "status " REF);
	tmpl_record_set_string(e, "result", "ok: awaiting_returns, day 3");
	e = tmpl_list_add_record(l);
	tmpl_record_set_string(e, "line", "frobnicate");
	tmpl_record_set_string(e, "result", "error: unknown command");

	cases = tmpl_record_add_list(r, "cases");
	c = tmpl_list_add_record(cases);
	tmpl_record_set_string(c, "case_ref", REF);
	tmpl_record_set_string(c, "state", "awaiting_returns");
	tmpl_record_set_string(c, "day_n", "6");
	tmpl_record_set_string(c, "day0", "Mon 8 Jul 2024");
	tmpl_record_set_string(c, "returns_in", "4");
	tmpl_record_set_string(c, "returns_due_n", "6");
	tmpl_record_set_string(c, "next_name", "Meeting pack");
	tmpl_record_set_string(c, "next_date", "Tue 16 Jul 2024");
	tmpl_record_set_string(c, "rag", "amber");
	tmpl_record_set_bool(c, "late", 0);
	out = tmpl_record_add_list(c, "outstanding");
	o = tmpl_list_add_record(out);
	tmpl_record_set_string(o, "agency_name", "Northshire <Schools> & Co");
	tmpl_record_set_string(o, "due", DUE);
	tmpl_record_set_bool(o, "out_of_office", 1);
	o = tmpl_list_add_record(out);
	tmpl_record_set_string(o, "agency_name", "Northshire ICB");
	tmpl_record_set_string(o, "due", DUE);
	tmpl_record_set_bool(o, "out_of_office", 0);

	l = tmpl_record_add_list(r, "quarantined");
	e = tmpl_list_add_record(l);
	tmpl_record_set_string(e, "id", "12");
	tmpl_record_set_string(e, "when", "Mon 8 Jul 2024 09:30");
	tmpl_record_set_string(e, "reason", "sender not allowed");

	l = tmpl_record_add_list(r, "alerts");
	e = tmpl_list_add_record(l);
	tmpl_record_set_string(e, "when", "Mon 8 Jul 2024 10:02");
	tmpl_record_set_string(e, "what", "mail could not be delivered");
	tmpl_record_set_string(e, "case_ref", REF);

	l = tmpl_record_add_list(r, "out_of_office");
	e = tmpl_list_add_record(l);
	tmpl_record_set_string(e, "case_ref", REF);
	tmpl_record_set_string(e, "agency_name", "Northshire <Schools> & Co");
	return r;
}

/* Load a shipped template, check its names, render it. */
static char *
render(const char *name, const char *ext, const struct tmpl_record *r)
{
	struct tmpl	*t;
	char		*dir = src_templates(), *cause = NULL, *out;
	size_t		 len;

	if (tmpl_load_file(dir, NULL, name, ext, &t, &cause) != TMPL_LOAD_OK)
		fail_msg("%s.%s: %s", name, ext, cause);
	if (tmpl_check_names(t, mail_template_names(name), &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(tmpl_render(t, r, strcmp(ext, "html") == 0, &out,
	    &len), 0);
	assert_int_equal(strlen(out), len);
	tmpl_free(t);
	free(dir);
	return out;
}

/* ---- Tests ----------------------------------------------------------- */

static void
test_table(void **state)
{
	const char *const	*list = mail_template_list(), *const *names;
	static const char	*common[] = { "partnership",
	    "partnership_address", "business_manager", "marking", "case_ref",
	    "subject_child", "today" };
	size_t			 i, j, k, n = 0;
	int			 found;

	for (i = 0; list[i] != NULL; i++, n++) {
		names = mail_template_names(list[i]);
		assert_non_null(names);
		for (j = 0; j < sizeof common / sizeof common[0]; j++) {
			found = 0;
			for (k = 0; names[k] != NULL; k++)
				found |= strcmp(names[k], common[j]) == 0;
			assert_true(found);
		}
	}
	assert_int_equal(n, 15);
	assert_null(mail_template_names("nosuch"));
	assert_null(mail_template_names(NULL));
	assert_null(mail_template_names(""));

	/* Reminders and escalations carry no case detail (SPEC §4). */
	for (k = 0; k < 2; k++) {
		names = mail_template_names(k == 0 ? "reminder" : "escalation");
		for (j = 0; names[j] != NULL; j++) {
			assert_string_not_equal(names[j], "child");
			assert_string_not_equal(names[j], "background");
		}
	}
}

static void
test_shipped(void **state)
{
	char	*dir = src_templates(), **problems = NULL;
	size_t	 n = 99;
	int	 rc;

	rc = mail_check_templates(dir, NULL, &problems, &n);
	expect_problems(problems, n, 0);
	assert_int_equal(rc, 0);
	assert_null(problems);

	/* An override directory without templates changes nothing. */
	rc = mail_check_templates(dir, "/nonexistent/templates", &problems,
	    &n);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 0);
	free(dir);
}

static void
test_unknown_name(void **state)
{
	char	*dir = copy_templates(), *path, *text, *bad, **problems;
	char	*want1, *want2;
	size_t	 n;
	int	 line;

	xasprintf(&path, "%s/request.txt", dir);
	text = read_all(path, NULL);
	line = count_lines(text) + 1;
	xasprintf(&bad, "%sPlease reply about {{chiar}} by {{due}}.\n"
	    "{{#agencies}}{{name}}{{/agencies}}\n", text);
	write_all(path, bad);

	assert_int_equal(mail_check_templates(dir, NULL, &problems, &n), -1);
	/* Every unknown name, each with its own line. */
	expect_problems(problems, n, 3);
	xasprintf(&want1, "%s:%d: unknown name \"chiar\"", path, line);
	xasprintf(&want2, "%s:%d: unknown name \"agencies\"", path, line + 1);
	assert_string_equal(problems[0], want1);
	assert_string_equal(problems[1], want2);
	assert_non_null(strstr(problems[2], "unknown name \"name\""));
	free_problems(problems, n);
	free(want1);
	free(want2);
	free(bad);
	free(text);
	free(path);
	remove_dir(dir);
}

static void
test_subject_child(void **state)
{
	char	*dir = copy_templates(), *path, **problems;
	size_t	 n;

	/* child is allowed in the sin-ack body, but never in its subject. */
	xasprintf(&path, "%s/sin-ack.subject", dir);
	write_all(path, "{{#marking}}{{marking}} {{/marking}}[{{case_ref}}] "
	    "Rapid Review opened for {{child}}\n");
	assert_int_equal(mail_check_templates(dir, NULL, &problems, &n), -1);
	expect_problems(problems, n, 1);
	assert_true(strncmp(problems[0], path, strlen(path)) == 0);
	assert_non_null(strstr(problems[0], ":1: \"child\" may not be used"));
	free_problems(problems, n);

	/* In a section too. */
	write_all(path, "[{{case_ref}}]{{#child}} x{{/child}}\n");
	assert_int_equal(mail_check_templates(dir, NULL, &problems, &n), -1);
	assert_int_equal(n, 1);
	free_problems(problems, n);

	/* subject_child is the name for it. */
	write_all(path, "[{{case_ref}}] {{subject_child}}\n");
	assert_int_equal(mail_check_templates(dir, NULL, &problems, &n), 0);

	/* A subject of two lines, even inside a section. */
	write_all(path, "[{{case_ref}}]{{#marking}} a\nb{{/marking}}\n");
	assert_int_equal(mail_check_templates(dir, NULL, &problems, &n), -1);
	assert_int_equal(n, 1);
	assert_non_null(strstr(problems[0], "one line"));
	free_problems(problems, n);
	free(path);
	remove_dir(dir);
}

static void
test_missing_file(void **state)
{
	char	*dir = copy_templates(), *path, **problems;
	size_t	 n;

	/* An .html is optional. */
	xasprintf(&path, "%s/digest.html", dir);
	assert_int_equal(unlink(path), 0);
	free(path);
	assert_int_equal(mail_check_templates(dir, NULL, &problems, &n), 0);

	/* A .txt and a .subject are not. */
	xasprintf(&path, "%s/pack.txt", dir);
	assert_int_equal(unlink(path), 0);
	free(path);
	xasprintf(&path, "%s/reminder.subject", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mail_check_templates(dir, NULL, &problems, &n), -1);
	expect_problems(problems, n, 2);
	assert_non_null(strstr(problems[0], "/pack.txt"));
	assert_non_null(strstr(problems[1], path));
	free_problems(problems, n);

	/* A parse error is reported with its line. */
	write_all(path, "[{{case_ref}}] {{#due_today}}today\n");
	assert_int_equal(mail_check_templates(dir, NULL, &problems, &n), -1);
	assert_int_equal(n, 2);
	assert_non_null(strstr(problems[1], "reminder.subject:1: "));
	free_problems(problems, n);
	free(path);
	remove_dir(dir);
}

static void
test_override(void **state)
{
	char	*src = src_templates(), *over = copy_templates(), *path;
	char	**problems;
	size_t	 n;
	DIR	*d;
	struct dirent *de;

	/* Keep only one file in the override directory, and break it. */
	d = opendir(over);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, "receipt.txt") == 0 ||
		    de->d_name[0] == '.')
			continue;
		xasprintf(&path, "%s/%s", over, de->d_name);
		assert_int_equal(unlink(path), 0);
		free(path);
	}
	closedir(d);
	xasprintf(&path, "%s/receipt.txt", over);
	write_all(path, "Thanks, {{agency_name}}.\n{{child}}\n");
	assert_int_equal(mail_check_templates(src, over, &problems, &n), -1);
	expect_problems(problems, n, 1);
	assert_non_null(strstr(problems[0], path));
	assert_non_null(strstr(problems[0], ":2: unknown name \"child\""));
	free_problems(problems, n);
	free(path);
	free(src);
	remove_dir(over);
}

/* Plain-text mail is read at 78 columns: keep the shipped text in 76. */
static void
test_line_length(void **state)
{
	const char *const	*list = mail_template_list();
	char			*dir = src_templates(), *path, *text, *s, *nl;
	size_t			 i;
	int			 line;

	for (i = 0; list[i] != NULL; i++) {
		xasprintf(&path, "%s/%s.txt", dir, list[i]);
		text = read_all(path, NULL);
		for (s = text, line = 1; *s != '\0'; s = nl + 1, line++) {
			if ((nl = strchr(s, '\n')) == NULL)
				nl = s + strlen(s);
			/* A line with a tag grows or shrinks when rendered. */
			if (nl - s > 76 && memchr(s, '{', nl - s) == NULL)
				fail_msg("%s:%d: longer than 76", path, line);
			if (*nl == '\0')
				break;
		}
		free(text);
		free(path);
	}
	free(dir);
}

static void
test_render_subjects(void **state)
{
	const char *const	*list = mail_template_list();
	struct tmpl_record	*r = sample_record();
	char			*out;
	size_t			 i, len;

	for (i = 0; list[i] != NULL; i++) {
		/* With the marking: it comes first, and the case tag. */
		out = render(list[i], "subject", r);
		len = strlen(out);
		assert_true(len > 1 && out[len - 1] == '\n');
		out[len - 1] = '\0';
		if (strchr(out, '\n') != NULL || strchr(out, '\r') != NULL)
			fail_msg("%s.subject: more than one line", list[i]);
		if (strncmp(out, MARKING " [" REF "] ", strlen(MARKING) + 2 +
		    strlen(REF) + 2) != 0)
			fail_msg("%s.subject: \"%s\"", list[i], out);
		if (strstr(out, CHILD) != NULL)
			fail_msg("%s.subject names the child", list[i]);
		if (strstr(out, "Serious Incident Notification") != NULL)
			fail_msg("%s.subject: a reply would match sin_subject",
			    list[i]);
		free(out);
	}

	/* No marking: the subject starts with the case tag, no blank. */
	tmpl_record_set_string(r, "marking", "");
	out = render("request", "subject", r);
	assert_true(strncmp(out, "[" REF "] ", strlen(REF) + 3) == 0);
	assert_non_null(strstr(out, DUE));
	free(out);

	/* identify_child_in_subject = yes: the code sets subject_child. */
	tmpl_record_set_string(r, "subject_child", CHILD);
	out = render("request", "subject", r);
	assert_non_null(strstr(out, "(" CHILD ")"));
	free(out);
	out = render("reminder", "subject", r);
	assert_non_null(strstr(out, "due " DUE));
	free(out);
	tmpl_record_set_bool(r, "due_today", 1);
	out = render("reminder", "subject", r);
	assert_non_null(strstr(out, "due today"));
	free(out);
	tmpl_record_free(r);
}

static void
test_render_request(void **state)
{
	struct tmpl_record	*r = sample_record();
	char			*out, *p;

	out = render("request", "txt", r);
	assert_true(strncmp(out, MARKING "\n\n", strlen(MARKING) + 2) == 0);
	assert_non_null(strstr(out, "by " DUE));
	assert_non_null(strstr(out, "working day 5"));
	assert_non_null(strstr(out, "Children's Social Care"));
	assert_non_null(strstr(out, CHILD));
	assert_non_null(strstr(out, BACKGROUND));
	assert_non_null(strstr(out, "lived alone with his mother."));
	assert_non_null(strstr(out, "Mon 29 Jul 2024"));
	assert_non_null(strstr(out, "quality and the impact of practice on "
	    "the\n    outcomes for this child"));
	assert_non_null(strstr(out, "NIL RETURN"));
	assert_non_null(strstr(out, "attached return form"));
	assert_non_null(strstr(out, "rapidreview+rr-2024-007.csc."));
	assert_non_null(strstr(out, "death, Wed 3 Jul 2024"));
	/* The text form once, whole, at the end; its markers nowhere else. */
	assert_int_equal(count_occurrences(out, "RAPID REVIEW RETURN"), 1);
	assert_int_equal(count_occurrences(out, "--- END ---"), 1);
	p = strstr(out, "\n" TEXT_FORM);
	assert_non_null(p);
	for (p += 1 + strlen(TEXT_FORM); *p != '\0'; p++)
		assert_true(*p == '\n');
	free(out);

	/* No DOCX form: only the text form is offered. */
	tmpl_record_set_bool(r, "has_form", 0);
	tmpl_record_set_string(r, "incident_date", "");
	out = render("request", "txt", r);
	assert_null(strstr(out, "attached return form"));
	assert_non_null(strstr(out, "text form at the end"));
	assert_non_null(strstr(out, "Incident:   death\n"));
	free(out);
	tmpl_record_free(r);
}

static void
test_render_reminder(void **state)
{
	struct tmpl_record	*r = sample_record();
	char			*out;
	int			 today;

	for (today = 0; today < 2; today++) {
		tmpl_record_set_bool(r, "due_today", today);
		/* Even when the code sets subject_child. */
		tmpl_record_set_string(r, "subject_child", today ? CHILD : "");
		out = render("reminder", "txt", r);
		assert_null(strstr(out, CHILD));
		assert_null(strstr(out, BACKGROUND));
		assert_null(strstr(out, "autism"));
		assert_non_null(strstr(out, REF));
		assert_non_null(strstr(out, DUE));
		assert_non_null(strstr(out, "Children's Social Care"));
		assert_non_null(strstr(out, "NIL RETURN"));
		if (today)
			assert_non_null(strstr(out, "due today, " DUE));
		else
			assert_non_null(strstr(out,
			    "(working days left: 2)"));
		free(out);
	}

	out = render("escalation", "txt", r);
	assert_null(strstr(out, CHILD));
	assert_null(strstr(out, BACKGROUND));
	assert_non_null(strstr(out, "mash.lead@northshire.gov.uk"));
	assert_non_null(strstr(out, "Working days late:   1"));
	assert_non_null(strstr(out, DUE));
	free(out);
	tmpl_record_free(r);
}

static void
test_render_others(void **state)
{
	struct tmpl_record	*r = sample_record();
	char			*out;

	out = render("sin-ack", "txt", r);
	assert_non_null(strstr(out, REF));
	assert_non_null(strstr(out, "Day 0 is Mon 8 Jul 2024"));
	assert_non_null(strstr(out, "  Returns due: " DUE "\n"));
	assert_non_null(strstr(out, "  - Northshire Police\n"));
	assert_non_null(strstr(out, "\"Northshire Youth Club\""));
	assert_non_null(strstr(out, "Not in the notification: Case "
	    "background."));
	assert_non_null(strstr(out, "by Thu 11 Jul 2024, so it is recorded\nas late"));
	free(out);

	out = render("sin-query", "txt", r);
	assert_non_null(strstr(out, "  - Missing: Case background\n"));
	assert_non_null(strstr(out, "  - Please check: Incident date"));
	free(out);

	out = render("receipt", "txt", r);
	assert_non_null(strstr(out, "Chronology entries:    23\n"));
	assert_non_null(strstr(out, "Tue 3 Mar 2020 to Mon 1 Jul 2024"));
	assert_non_null(strstr(out, "LCSPR criteria met:    unsure"));
	free(out);

	out = render("query", "txt", r);
	assert_non_null(strstr(out, "  - Missing: Case background\n"));
	assert_non_null(strstr(out, "  - Could not be read: Chronology row 3"));
	assert_non_null(strstr(out, DUE));
	assert_non_null(strstr(out, "whole return"));
	free(out);

	out = render("refused", "txt", r);
	assert_non_null(strstr(out, "\"return.docm\""));
	assert_non_null(strstr(out, "Reason: it is a macro-enabled document"));
	free(out);

	out = render("invite", "txt", r);
	assert_non_null(strstr(out, "Thu 18 Jul 2024"));
	assert_non_null(strstr(out, "10:00 (1h30)"));
	assert_non_null(strstr(out, "Council House"));
	assert_non_null(strstr(out, "2. Agency returns"));
	free(out);

	out = render("pack", "txt", r);
	assert_non_null(strstr(out, "UPDATED"));
	assert_non_null(strstr(out, "4 of 6 received"));
	free(out);
	tmpl_record_set_bool(r, "updated", 0);
	out = render("pack", "txt", r);
	assert_null(strstr(out, "UPDATED"));
	free(out);

	out = render("pack-withheld", "txt", r);
	assert_non_null(strstr(out, "Thu 18 Jul 2024"));
	assert_null(strstr(out, CHILD));
	free(out);

	out = render("transcript", "txt", r);
	assert_non_null(strstr(out, "> frobnicate\nerror: unknown command\n"));
	assert_non_null(strstr(out, "Some commands failed"));
	free(out);
	tmpl_record_free(r);
}

static void
test_render_digest(void **state)
{
	struct tmpl_record	*r = sample_record();
	char			*out;

	out = render("digest", "txt", r);
	assert_non_null(strstr(out, "[" REF "] amber: working day 6"));
	assert_non_null(strstr(out, "Returns in:    4 of 6"));
	assert_non_null(strstr(out, "Northshire <Schools> & Co, due " DUE
	    " (lead out of office)\n"));
	assert_non_null(strstr(out, "Northshire ICB, due " DUE "\n"));
	assert_non_null(strstr(out, "12  Mon 8 Jul 2024 09:30  sender not"));
	assert_non_null(strstr(out, "[" REF "] mail could not be delivered"));
	assert_null(strstr(out, "Notification:  sent late"));
	free(out);

	out = render("digest", "html", r);
	assert_non_null(strstr(out, "<table>"));
	assert_non_null(strstr(out, "</table>"));
	assert_non_null(strstr(out, "<td class=\"rag-amber\">amber</td>"));
	/* Values are escaped in HTML. */
	assert_non_null(strstr(out, "Northshire &lt;Schools&gt; &amp; Co"));
	assert_null(strstr(out, "<Schools>"));
	assert_null(strstr(out, "{{"));
	free(out);

	/* Nothing in any list. */
	tmpl_record_free(r);
	r = tmpl_record_new();
	tmpl_record_set_string(r, "today", "Mon 8 Jul 2024");
	out = render("digest", "txt", r);
	assert_non_null(strstr(out, "No open cases."));
	free(out);
	out = render("digest", "html", r);
	assert_non_null(strstr(out, "No open cases."));
	free(out);
	tmpl_record_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_unknown_name),
		cmocka_unit_test(test_subject_child),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_render_subjects),
		cmocka_unit_test(test_render_request),
		cmocka_unit_test(test_render_reminder),
		cmocka_unit_test(test_render_others),
		cmocka_unit_test(test_render_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
