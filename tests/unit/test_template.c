/*
 * test_template.c - the Mustache subset: rendering, escaping, sections,
 * standalone lines, parse errors with line numbers, name checks, limits,
 * loading with an override directory.
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

#include "template.h"
#include "xmalloc.h"

static void	test_render(void **);
static void	test_parse_errors(void **);
static void	test_depth_limit(void **);
static void	test_size_limit(void **);
static void	test_output_limit(void **);
static void	test_names(void **);
static void	test_check_names(void **);
static void	test_record(void **);
static void	test_load_file(void **);

/*
 * The record every render case uses:
 *	name = "Child J & <Co>", ref = "RR-2024-007", empty = "",
 *	quote = "O'Brien \"Bob\"", yes = true, no = false,
 *	agencies = [ { name: Police, due: 2024-07-08, people: [a, b] },
 *		     { name: Health, due: 2024-07-09, people: [] } ],
 *	none = [], accent = "Zoë Ångström"
 */
static struct tmpl_record *
fixture(void)
{
	struct tmpl_record	*r = tmpl_record_new(), *a, *p;
	struct tmpl_list	*l, *people;

	tmpl_record_set_string(r, "name", "Child J & <Co>");
	tmpl_record_set_string(r, "ref", "RR-2024-007");
	tmpl_record_set_string(r, "empty", "");
	tmpl_record_set_string(r, "quote", "O'Brien \"Bob\"");
	tmpl_record_set_bool(r, "yes", 1);
	tmpl_record_set_bool(r, "no", 0);
	tmpl_record_set_string(r, "accent",
	    "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m");
	l = tmpl_record_add_list(r, "agencies");
	a = tmpl_list_add_record(l);
	tmpl_record_set_string(a, "name", "Police");
	tmpl_record_set_string(a, "due", "2024-07-08");
	people = tmpl_record_add_list(a, "people");
	p = tmpl_list_add_record(people);
	tmpl_record_set_string(p, "who", "a");
	p = tmpl_list_add_record(people);
	tmpl_record_set_string(p, "who", "b");
	a = tmpl_list_add_record(l);
	tmpl_record_set_string(a, "name", "Health");
	tmpl_record_set_printf(a, "due", "%d-%02d-%02d", 2024, 7, 9);
	tmpl_record_add_list(a, "people");
	tmpl_record_add_list(r, "none");
	return r;
}

static const struct {
	const char	*text;
	int		 html;
	const char	*want;
} render_cases[] = {
	/* Escaping and raw. */
	{ "Hello {{name}}", 1, "Hello Child J &amp; &lt;Co&gt;" },
	{ "Hello {{name}}", 0, "Hello Child J & <Co>" },
	{ "{{quote}}", 1, "O&#39;Brien &quot;Bob&quot;" },
	{ "{{{name}}}", 1, "Child J & <Co>" },
	{ "{{&name}}", 1, "Child J & <Co>" },
	{ "{{& name }}", 1, "Child J & <Co>" },
	{ "{{{ name }}}", 1, "Child J & <Co>" },
	{ "[{{ name }}]", 0, "[Child J & <Co>]" },
	{ "[{{\tref\t}}]", 0, "[RR-2024-007]" },
	{ "{{accent}}", 1, "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m" },
	{ "caf\xc3\xa9 {{ref}}", 0, "caf\xc3\xa9 RR-2024-007" },
	/* Missing names render empty; booleans as yes/no; lists as nothing. */
	{ "<{{missing}}>", 0, "<>" },
	{ "<{{{missing}}}>", 1, "<>" },
	{ "{{yes}}/{{no}}", 0, "yes/no" },
	{ "<{{agencies}}>", 0, "<>" },
	/* Sections over lists; inner names shadow outer, outer still seen. */
	{ "{{#agencies}}{{name}};{{/agencies}}", 0, "Police;Health;" },
	{ "{{#agencies}}{{ref}}/{{due}} {{/agencies}}", 0,
	  "RR-2024-007/2024-07-08 RR-2024-007/2024-07-09 " },
	{ "{{#none}}x{{/none}}", 0, "" },
	{ "{{#missing}}x{{/missing}}", 0, "" },
	/* Truthy sections for strings and booleans. */
	{ "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}", 0, "Y" },
	{ "{{#ref}}[{{ref}}]{{/ref}}", 0, "[RR-2024-007]" },
	{ "{{#empty}}x{{/empty}}", 0, "" },
	/* Inverted sections. */
	{ "{{^none}}no agencies{{/none}}", 0, "no agencies" },
	{ "{{^agencies}}x{{/agencies}}", 0, "" },
	{ "{{^missing}}m{{/missing}}", 0, "m" },
	{ "{{^empty}}e{{/empty}}", 0, "e" },
	{ "{{^no}}n{{/no}}", 0, "n" },
	{ "{{^yes}}n{{/yes}}", 0, "" },
	{ "{{^ref}}n{{/ref}}", 0, "" },
	/* Comments. */
	{ "a{{! a comment }}b", 0, "ab" },
	{ "a{{!\nmulti\nline\n}}b", 0, "ab" },
	{ "a{{!{{name}}}}b", 0, "a}}b" },
	/* Nested sections. */
	{ "{{#agencies}}{{name}}:{{#people}}{{who}},{{/people}}"
	  "{{^people}}-{{/people}}|{{/agencies}}", 0, "Police:a,b,|Health:-|" },
	{ "{{#yes}}{{#agencies}}{{#people}}{{name}}{{who}}{{/people}}"
	  "{{/agencies}}{{/yes}}", 0, "PoliceaPoliceb" },
	/* Standalone tags take their line; inline ones do not. */
	{ "Agencies:\n{{#agencies}}\n- {{name}}\n{{/agencies}}\nEnd\n", 0,
	  "Agencies:\n- Police\n- Health\nEnd\n" },
	{ "Agencies:\r\n  {{#agencies}}  \r\n- {{name}}\r\n\t{{/agencies}}\r\n"
	  "End\r\n", 0, "Agencies:\r\n- Police\r\n- Health\r\nEnd\r\n" },
	{ "A\n{{! note }}\nB\n", 0, "A\nB\n" },
	{ "A\n{{!\n  two lines\n}}\nB\n", 0, "A\nB\n" },
	{ "{{^none}}\nnone\n{{/none}}", 0, "none\n" },
	{ "x {{#yes}}y{{/yes}}\n", 0, "x y\n" },
	{ "{{#yes}}y{{/yes}}\n", 0, "y\n" },
	{ "  {{name}}\n", 0, "  Child J & <Co>\n" },
	/* Braces that are not tags. */
	{ "a } b }} c { d", 0, "a } b }} c { d" },
	{ "", 0, "" },
};

static void
test_render(void **state)
{
	struct tmpl_record	*r = fixture();
	struct tmpl		*t;
	char			*cause = NULL, *out;
	size_t			 i, len;

	for (i = 0; i < sizeof render_cases / sizeof render_cases[0]; i++) {
		if (tmpl_parse(render_cases[i].text,
		    strlen(render_cases[i].text), &t, &cause) != 0)
			fail_msg("case %zu: %s", i, cause);
		assert_int_equal(tmpl_render(t, r, render_cases[i].html, &out,
		    &len), 0);
		if (strcmp(out, render_cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i, out,
			    render_cases[i].want);
		assert_int_equal(len, strlen(render_cases[i].want));
		free(out);
		tmpl_free(t);
	}
	tmpl_record_free(r);
}

static const struct {
	const char	*text;
	size_t		 len;	/* 0: strlen */
	const char	*want;
} error_cases[] = {
	{ "{{#a}}x", 0, "line 1: {{#a}} is never closed" },
	{ "x\n{{^a}}\n{{#b}}\n{{/b}}\n", 0, "line 2: {{^a}} is never closed" },
	{ "a\n{{/a}}", 0, "line 2: {{/a}} closes no section" },
	{ "{{#a}}\n\n{{/b}}", 0,
	  "line 3: {{/b}} does not match {{#a}} opened on line 1" },
	{ "{{#a}}{{#b}}{{/a}}{{/b}}", 0,
	  "line 1: {{/a}} does not match {{#b}} opened on line 1" },
	{ "x\n\ny {{name", 0, "line 3: unterminated tag: {{ with no }}" },
	{ "{{{name}}", 0, "line 1: unterminated tag: {{{ with no }}}" },
	{ "{{na\nme}}", 0, "line 1: unterminated tag: no }} on the same line" },
	{ "{{name\n}} {{x}}", 0,
	  "line 1: unterminated tag: no }} on the same line" },
	{ "\n{{!never ends", 0, "line 2: unterminated tag: {{ with no }}" },
	{ "{{>partial}}", 0, "line 1: partials ({{>name}}) are not supported" },
	{ "{{=<% %>=}}", 0,
	  "line 1: delimiter changes ({{=<% %>=}}) are not supported" },
	{ "{{a.b}}", 0,
	  "line 1: dotted names ({{a.b}}, {{.}}) are not supported" },
	{ "{{#x}}{{.}}{{/x}}", 0,
	  "line 1: dotted names ({{a.b}}, {{.}}) are not supported" },
	{ "{{}}", 0, "line 1: empty tag" },
	{ "{{ }}", 0, "line 1: empty tag" },
	{ "{{#}}{{/}}", 0, "line 1: empty tag" },
	{ "{{{}}}", 0, "line 1: empty tag" },
	{ "\n\n\n{{na me}}", 0, "line 4: bad character in name \"na me\"" },
	{ "{{na\"me}}", 0, "line 1: bad character in name \"na\"me\"" },
	{ "{{n\xc3\xa9}}", 0, "line 1: bad character in name \"n\xc3\xa9\"" },
	{ "ok\nbad \xff here", 0, "line 2: not valid UTF-8" },
	{ "\xc0\x80", 0, "line 1: not valid UTF-8" },		/* overlong */
	{ "\xed\xa0\x80", 0, "line 1: not valid UTF-8" },	/* surrogate */
	{ "\xe2\x82", 0, "line 1: not valid UTF-8" },		/* truncated */
	{ "a\nb\0c", 5, "line 2: NUL byte in template" },
	{ "{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}",
	  0, "line 1: name longer than 64 bytes" },
};

static void
test_parse_errors(void **state)
{
	struct tmpl	*t;
	char		*cause;
	size_t		 i, len;

	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		cause = NULL;
		t = (struct tmpl *)1;
		len = error_cases[i].len;
		if (len == 0)
			len = strlen(error_cases[i].text);
		if (tmpl_parse(error_cases[i].text, len, &t, &cause) == 0)
			fail_msg("case %zu: parsed", i);
		assert_null(t);
		if (strcmp(cause, error_cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i, cause,
			    error_cases[i].want);
		free(cause);
	}
}

static void
test_depth_limit(void **state)
{
	struct tmpl_record	*r = tmpl_record_new();
	struct tmpl		*t;
	char			 text[1024], *cause = NULL, *out;
	size_t			 len;
	int			 i, depth;

	tmpl_record_set_bool(r, "s", 1);
	for (depth = TMPL_MAX_DEPTH; depth <= TMPL_MAX_DEPTH + 1; depth++) {
		text[0] = '\0';
		for (i = 0; i < depth; i++)
			strcat(text, "{{#s}}");
		strcat(text, "x");
		for (i = 0; i < depth; i++)
			strcat(text, "{{/s}}");
		if (depth == TMPL_MAX_DEPTH) {
			assert_int_equal(tmpl_parse(text, strlen(text), &t,
			    &cause), 0);
			assert_int_equal(tmpl_render(t, r, 0, &out, &len), 0);
			assert_string_equal(out, "x");
			free(out);
			tmpl_free(t);
		} else {
			assert_int_equal(tmpl_parse(text, strlen(text), &t,
			    &cause), -1);
			assert_string_equal(cause,
			    "line 1: sections nested deeper than 16");
			free(cause);
		}
	}
	tmpl_record_free(r);
}

static void
test_size_limit(void **state)
{
	struct tmpl	*t;
	char		*text, *cause = NULL;

	text = xmalloc(TMPL_MAX_SIZE + 1);
	memset(text, 'a', TMPL_MAX_SIZE + 1);
	assert_int_equal(tmpl_parse(text, TMPL_MAX_SIZE, &t, &cause), 0);
	tmpl_free(t);
	assert_int_equal(tmpl_parse(text, TMPL_MAX_SIZE + 1, &t, &cause), -1);
	assert_string_equal(cause, "template larger than 256 KiB");
	free(cause);
	free(text);
}

static void
test_output_limit(void **state)
{
	struct tmpl_record	*r = tmpl_record_new();
	struct tmpl_list	*l;
	struct tmpl		*t;
	const char		*text = "{{#l}}{{big}}{{/l}}";
	char			*big, *cause = NULL, *out;
	size_t			 len;
	int			 i;

	big = xmalloc(1024 * 1024 + 1);
	memset(big, '&', 1024 * 1024);
	big[1024 * 1024] = '\0';
	tmpl_record_set_string(r, "big", big);
	l = tmpl_record_add_list(r, "l");
	for (i = 0; i < 4; i++)
		tmpl_list_add_record(l);
	assert_int_equal(tmpl_parse(text, strlen(text), &t, &cause), 0);

	/* Exactly 4 MiB raw fits; escaped it is 20 MiB and does not. */
	assert_int_equal(tmpl_render(t, r, 0, &out, &len), 0);
	assert_int_equal(len, TMPL_MAX_OUTPUT);
	free(out);
	out = (char *)1;
	assert_int_equal(tmpl_render(t, r, 1, &out, &len), -1);
	assert_null(out);

	tmpl_list_add_record(l);
	assert_int_equal(tmpl_render(t, r, 0, &out, &len), -1);
	tmpl_free(t);
	tmpl_record_free(r);
	free(big);
}

struct seen {
	char	buf[512];
	int	stop_at;
	int	count;
};

static int
collect(const char *name, int line, void *arg)
{
	struct seen	*s = arg;
	char		 one[128];

	snprintf(one, sizeof one, "%s:%d ", name, line);
	strcat(s->buf, one);
	if (++s->count == s->stop_at)
		return 7;
	return 0;
}

static void
test_names(void **state)
{
	const char	*text = "Dear {{name}},\n{{! {{hidden}} }}\n"
			    "{{#agencies}}\n- {{{agency}}} due {{ due }}\n"
			    "{{^people}}none{{/people}}\n{{/agencies}}\n"
			    "{{&raw}}\n";
	struct tmpl	*t;
	struct seen	 s;
	char		*cause = NULL;

	assert_int_equal(tmpl_parse(text, strlen(text), &t, &cause), 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(tmpl_names(t, collect, &s), 0);
	assert_string_equal(s.buf, "name:1 agencies:3 agency:4 due:4 "
	    "people:5 raw:7 ");
	memset(&s, 0, sizeof s);
	s.stop_at = 3;
	assert_int_equal(tmpl_names(t, collect, &s), 7);
	assert_string_equal(s.buf, "name:1 agencies:3 agency:4 ");
	assert_null(tmpl_path(t));
	tmpl_free(t);
}

static const char *const allowed[] = {
	"name", "ref", "agencies", "agency", "due", NULL
};

static const struct {
	const char	*text;
	const char	*want;		/* NULL: accepted */
} check_cases[] = {
	{ "{{name}} {{ref}}", NULL },
	{ "{{#agencies}}{{agency}} {{due}}{{/agencies}}", NULL },
	{ "{{! {{chair}} is only a comment }}", NULL },
	{ "plain text", NULL },
	{ "{{name}}\n\n{{chiar}}", "line 3: unknown name \"chiar\"" },
	{ "{{#agencies}}\n{{^people}}x{{/people}}\n{{/agencies}}",
	  "line 2: unknown name \"people\"" },
	{ "{{{raw}}}", "line 1: unknown name \"raw\"" },
	{ "{{Name}}", "line 1: unknown name \"Name\"" },
};

static void
test_check_names(void **state)
{
	struct tmpl	*t;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
		cause = NULL;
		assert_int_equal(tmpl_parse(check_cases[i].text,
		    strlen(check_cases[i].text), &t, &cause), 0);
		if (check_cases[i].want == NULL) {
			if (tmpl_check_names(t, allowed, &cause) != 0)
				fail_msg("case %zu: %s", i, cause);
		} else {
			assert_int_equal(tmpl_check_names(t, allowed, &cause),
			    -1);
			assert_string_equal(cause, check_cases[i].want);
			free(cause);
		}
		tmpl_free(t);
	}
}

static void
test_record(void **state)
{
	struct tmpl_record	*r = tmpl_record_new();
	const struct tmpl_value	*v;
	struct tmpl_list	*l;
	struct tmpl		*t;
	const char		*text = "{{a}}{{b}}{{#l}}{{x}}{{/l}}";
	char			*cause = NULL, *out;
	size_t			 len;

	tmpl_record_set_string(r, "a", "1");
	tmpl_record_set_string(r, "b", NULL);
	assert_string_equal(tmpl_record_get(r, "b")->v.string, "");
	/* Replacing keeps one entry and its place; any type replaces any. */
	tmpl_record_set_string(r, "a", "2");
	tmpl_record_set_bool(r, "b", 1);
	l = tmpl_record_add_list(r, "l");
	tmpl_record_set_string(tmpl_list_add_record(l), "x", "p");
	tmpl_record_set_string(tmpl_list_add_record(l), "x", "q");
	assert_int_equal(tmpl_list_count(l), 2);
	v = tmpl_record_get(r, "a");
	assert_non_null(v);
	assert_int_equal(v->type, TMPL_STRING);
	assert_string_equal(v->v.string, "2");
	v = tmpl_record_get(r, "b");
	assert_int_equal(v->type, TMPL_BOOL);
	assert_int_equal(v->v.boolean, 1);
	assert_null(tmpl_record_get(r, "nope"));
	assert_int_equal(tmpl_parse(text, strlen(text), &t, &cause), 0);
	assert_int_equal(tmpl_render(t, r, 0, &out, &len), 0);
	assert_string_equal(out, "2yespq");
	free(out);
	tmpl_record_set_string(r, "l", "gone");
	assert_int_equal(tmpl_render(t, r, 0, &out, &len), 0);
	assert_string_equal(out, "2yes");
	free(out);
	tmpl_free(t);
	tmpl_record_free(r);
	tmpl_record_free(NULL);
	tmpl_free(NULL);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
test_load_file(void **state)
{
	struct tmpl_record	*r = tmpl_record_new();
	struct tmpl		*t;
	char			 base[] = "/tmp/test_template.XXXXXX";
	char			 over[] = "/tmp/test_template.XXXXXX";
	char			*cause = NULL, *out, *path, *big, *want;
	size_t			 len;

	assert_non_null(mkdtemp(base));
	assert_non_null(mkdtemp(over));
	tmpl_record_set_string(r, "ref", "RR-2024-007");
	write_file(base, "request.txt", "base {{ref}}\n");
	write_file(base, "request.subject", "[{{ref}}] request");
	write_file(over, "request.txt", "override {{ref}}\n");
	write_file(base, "bad.txt", "ok\n{{#a}}\n");
	write_file(base, "names.txt", "ok\n{{ref}}\n{{chair}}\n");

	/* The override directory wins, per file. */
	assert_int_equal(tmpl_load_file(base, over, "request", "txt", &t,
	    &cause), TMPL_LOAD_OK);
	assert_int_equal(tmpl_render(t, r, 0, &out, &len), 0);
	assert_string_equal(out, "override RR-2024-007\n");
	xasprintf(&path, "%s/request.txt", over);
	assert_string_equal(tmpl_path(t), path);
	free(path);
	free(out);
	tmpl_free(t);
	assert_int_equal(tmpl_load_file(base, over, "request", "subject", &t,
	    &cause), TMPL_LOAD_OK);
	assert_int_equal(tmpl_render(t, r, 0, &out, &len), 0);
	assert_string_equal(out, "[RR-2024-007] request");
	free(out);
	tmpl_free(t);
	assert_int_equal(tmpl_load_file(base, NULL, "request", "txt", &t,
	    &cause), TMPL_LOAD_OK);
	assert_int_equal(tmpl_render(t, r, 0, &out, &len), 0);
	assert_string_equal(out, "base RR-2024-007\n");
	free(out);
	tmpl_free(t);

	/* An optional .html that is in neither directory. */
	assert_int_equal(tmpl_load_file(base, over, "request", "html", &t,
	    &cause), TMPL_LOAD_MISSING);
	assert_null(t);
	assert_non_null(strstr(cause, "request.html"));
	free(cause);

	/* Parse errors and unknown names carry the file and line. */
	assert_int_equal(tmpl_load_file(base, over, "bad", "txt", &t, &cause),
	    -1);
	xasprintf(&want, "%s/bad.txt:2: {{#a}} is never closed", base);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	assert_int_equal(tmpl_load_file(base, over, "names", "txt", &t,
	    &cause), TMPL_LOAD_OK);
	assert_int_equal(tmpl_check_names(t, allowed, &cause), -1);
	xasprintf(&want, "%s/names.txt:3: unknown name \"chair\"", base);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	tmpl_free(t);

	/* Names are ours, never paths. */
	assert_int_equal(tmpl_load_file(base, over, "../etc/passwd", "txt",
	    &t, &cause), -1);
	assert_string_equal(cause, "bad template file name");
	free(cause);
	assert_int_equal(tmpl_load_file(base, over, "request", "t/x", &t,
	    &cause), -1);
	free(cause);
	assert_int_equal(tmpl_load_file(base, over, "", "txt", &t, &cause),
	    -1);
	free(cause);

	/* Not a regular file; too large. */
	xasprintf(&path, "%s/dir.txt", over);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(tmpl_load_file(base, over, "dir", "txt", &t, &cause),
	    -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	rmdir(path);
	free(path);
	big = xmalloc(TMPL_MAX_SIZE + 2);
	memset(big, 'a', TMPL_MAX_SIZE + 1);
	big[TMPL_MAX_SIZE + 1] = '\0';
	write_file(base, "big.txt", big);
	free(big);
	assert_int_equal(tmpl_load_file(base, over, "big", "txt", &t, &cause),
	    -1);
	assert_non_null(strstr(cause, "larger than 256 KiB"));
	free(cause);

	xasprintf(&path, "rm -rf '%s' '%s'", base, over);
	assert_int_equal(system(path), 0);
	free(path);
	tmpl_record_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_check_names),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
