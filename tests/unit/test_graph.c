/*
 * test_graph.c - the parts of the Microsoft Graph client that need no
 * service: delta pages, Retry-After, the origin check for links the
 * service sends, the sink's header-recipient rule and its Bcc rewrite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "graph.h"
#include "xmalloc.h"

/* ---- Delta pages ---------------------------------------------------- */

static void
test_delta_next_page(void **state)
{
	const char	*json = "{\"@odata.context\":\"x\",\"value\":["
	    "{\"@odata.type\":\"#microsoft.graph.message\",\"id\":\"AAMk1=\"},"
	    "{\"id\":\"AAMk2\",\"@removed\":{\"reason\":\"deleted\"}},"
	    "{\"id\":\"AAMk3\",\"size\":123456},"
	    "{\"noid\":1},{\"id\":\"\"},{\"id\":7},\"junk\"],"
	    "\"@odata.nextLink\":\"https://graph.example/v1.0/users/m/"
	    "mailFolders/inbox/messages/delta?$skiptoken=abc\"}";
	struct graph_delta_page	 p;
	char			*cause = NULL;

	assert_int_equal(graph_delta_parse(json, strlen(json), &p, &cause), 0);
	assert_null(cause);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.items[0].id, "AAMk1=");
	assert_false(p.items[0].removed);
	assert_int_equal(p.items[0].size, -1);
	assert_string_equal(p.items[1].id, "AAMk2");
	assert_true(p.items[1].removed);
	assert_string_equal(p.items[2].id, "AAMk3");
	assert_int_equal(p.items[2].size, 123456);
	assert_non_null(p.next_link);
	assert_non_null(strstr(p.next_link, "$skiptoken=abc"));
	assert_null(p.delta_link);
	graph_delta_page_clear(&p);
}

static void
test_delta_last_page(void **state)
{
	const char	*json = "{\"value\":[],\"@odata.deltaLink\":"
	    "\"https://graph.example/v1.0/d?$deltatoken=z\"}\n";
	struct graph_delta_page	 p;
	char			*cause = NULL;

	assert_int_equal(graph_delta_parse(json, strlen(json), &p, &cause), 0);
	assert_int_equal(p.n, 0);
	assert_null(p.next_link);
	assert_string_equal(p.delta_link,
	    "https://graph.example/v1.0/d?$deltatoken=z");
	graph_delta_page_clear(&p);
}

static void
test_delta_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{\"value\":[]}",			/* no link at all */
		"{\"value\":{},\"@odata.deltaLink\":\"x\"}",
		"{\"@odata.deltaLink\":\"x\"}",
		"{\"value\":[{\"id\":\"a\"}],\"@odata.deltaLink\":",
	};
	struct graph_delta_page	 p;
	char			*cause;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		assert_int_equal(graph_delta_parse(bad[i], strlen(bad[i]), &p,
		    &cause), -1);
		assert_non_null(cause);
		free(cause);
		graph_delta_page_clear(&p);
	}
}

/* ---- Retry-After ---------------------------------------------------- */

static void
test_retry_after(void **state)
{
	/* Wed, 21 Oct 2015 07:28:00 GMT */
	const long long	 t = 1445412480LL;
	static const struct {
		const char	*value;
		long long	 now;
		long		 want;
	} cases[] = {
		{ "0", 0, 0 },
		{ "7", 0, 7 },
		{ " 12 ", 0, 12 },
		{ "30", 0, 30 },
		{ "31", 0, GRAPH_RETRY_WAIT_MAX },
		{ "99999999999999999999999", 0, GRAPH_RETRY_WAIT_MAX },
		{ NULL, 0, GRAPH_RETRY_WAIT_DEFAULT },
		{ "", 0, GRAPH_RETRY_WAIT_DEFAULT },
		{ "soon", 0, GRAPH_RETRY_WAIT_DEFAULT },
		{ "5s", 0, GRAPH_RETRY_WAIT_DEFAULT },
		{ "-3", 0, GRAPH_RETRY_WAIT_DEFAULT },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", t - 10, 10 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", t, 0 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", t + 100, 0 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", t - 3600,
		    GRAPH_RETRY_WAIT_MAX },
		{ "Wednesday, 21-Oct-15 07:28:00 GMT", t - 5, 5 },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (graph_retry_after(cases[i].value, cases[i].now) !=
		    cases[i].want)
			fail_msg("Retry-After \"%s\": got %ld, want %ld",
			    cases[i].value != NULL ? cases[i].value : "(none)",
			    graph_retry_after(cases[i].value, cases[i].now),
			    cases[i].want);
	}
}

/* ---- Links and escapes ---------------------------------------------- */

static void
test_same_origin(void **state)
{
	const char	*base = "https://graph.microsoft.com/v1.0";

	assert_true(graph_same_origin(base, "https://graph.microsoft.com/"
	    "v1.0/users/x/messages/delta?$deltatoken=a"));
	assert_true(graph_same_origin(base,
	    "https://GRAPH.microsoft.com:443/beta/x"));
	assert_false(graph_same_origin(base, "http://graph.microsoft.com/x"));
	assert_false(graph_same_origin(base, "https://evil.example/v1.0/x"));
	assert_false(graph_same_origin(base,
	    "https://graph.microsoft.com.evil.example/x"));
	assert_false(graph_same_origin(base,
	    "https://graph.microsoft.com:8443/x"));
	assert_false(graph_same_origin(base, "not a url"));
	assert_true(graph_same_origin("https://127.0.0.1:8443/v1.0",
	    "https://127.0.0.1:8443/v1.0/next"));
	assert_false(graph_same_origin("https://127.0.0.1:8443/v1.0",
	    "https://127.0.0.1:8444/v1.0/next"));
}

static void
test_escape(void **state)
{
	char	*s;

	s = graph_escape("rapid.review@northshire.gov.uk");
	assert_string_equal(s, "rapid.review%40northshire.gov.uk");
	free(s);
	s = graph_escape("Rapid Review/Processed");
	assert_string_equal(s, "Rapid%20Review%2FProcessed");
	free(s);
	s = graph_escape("AAMkAD=+/?#");
	assert_string_equal(s, "AAMkAD%3D%2B%2F%3F%23");
	free(s);
}

/* ---- The sink's recipients ------------------------------------------ */

#define MSG_HEAD \
	"From: Northshire SCP <rapidreview@northshire.example>\r\n" \
	"To: Police Lead <lead@police.example>,\r\n" \
	" \"Health, Named\" <NAMED@health.example>\r\n" \
	"Subject: [RR-2024-001] Request\r\n" \
	"Cc: bm@northshire.example\r\n" \
	"Message-ID: <m1@northshire.example>\r\n"
#define MSG	MSG_HEAD "\r\nBody line\r\nTo: not-a-header@x.example\r\n"

static void
test_header_recipients(void **state)
{
	char	**v;
	size_t	  n, i;

	v = graph_header_recipients(MSG, strlen(MSG), &n);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "lead@police.example");
	assert_string_equal(v[1], "NAMED@health.example");
	assert_string_equal(v[2], "bm@northshire.example");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
test_send_plan(void **state)
{
	const char	*bcc = "From: a@x.example\r\nBcc: hidden@y.example\r\n"
	    "\r\nb\r\n";
	const char	*group = "From: a@x.example\r\nTo: Agencies: "
	    "one@a.example, two@b.example;\r\n\r\nb\r\n";
	const char	*none = "From: a@x.example\r\n\r\nb\r\n";

	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "lead@police.example", NULL), GRAPH_SEND_AS_IS);
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "LEAD@Police.Example", NULL), GRAPH_SEND_AS_IS);
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "named@health.example", NULL), GRAPH_SEND_COVERED);
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "bm@northshire.example", NULL), GRAPH_SEND_COVERED);
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "other@agency.example", NULL), GRAPH_SEND_BCC_COPY);
	/* A To in the body is no header. */
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "not-a-header@x.example", NULL), GRAPH_SEND_BCC_COPY);
	assert_int_equal(graph_send_plan(bcc, strlen(bcc),
	    "hidden@y.example", NULL), GRAPH_SEND_AS_IS);
	assert_int_equal(graph_send_plan(group, strlen(group),
	    "one@a.example", NULL), GRAPH_SEND_AS_IS);
	assert_int_equal(graph_send_plan(group, strlen(group),
	    "two@b.example", NULL), GRAPH_SEND_COVERED);
	assert_int_equal(graph_send_plan(none, strlen(none),
	    "x@y.example", NULL), GRAPH_SEND_BCC_COPY);
	/* Every header recipient queued: the same plans. */
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "named@health.example", "lead@police.example, "
	    "Named@health.example,bm@northshire.example"), GRAPH_SEND_COVERED);
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "lead@police.example", "lead@police.example,"
	    "named@health.example,bm@northshire.example"), GRAPH_SEND_AS_IS);
	/* Queued again for one late recipient alone: a Bcc copy to it, and
	 * never the whole header again. */
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "named@health.example", "named@health.example"),
	    GRAPH_SEND_BCC_COPY);
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "lead@police.example", "lead@police.example"),
	    GRAPH_SEND_BCC_COPY);
	/* A prefix of an address is not the address. */
	assert_int_equal(graph_send_plan(MSG, strlen(MSG),
	    "lead@police.example", "lead@police.example,"
	    "named@health.example,bm@northshire.exam"), GRAPH_SEND_BCC_COPY);
}

static void
test_bcc_rewrite(void **state)
{
	const char	*want =
	    "From: Northshire SCP <rapidreview@northshire.example>\r\n"
	    "Subject: [RR-2024-001] Request\r\n"
	    "Message-ID: <m1@northshire.example>\r\n"
	    "Bcc: other@agency.example\r\n"
	    "\r\nBody line\r\nTo: not-a-header@x.example\r\n";
	const char	*lf = "From: a@x.example\nTo: b@y.example\nCC: c@z\n"
	    "\nbody\n";
	const char	*nobody = "From: a@x.example\r\nTo: b@y.example\r\n";
	char		*out, **v;
	size_t		 len, n;

	out = graph_bcc_rewrite(MSG, strlen(MSG), "other@agency.example",
	    &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	/* Graph then delivers to that recipient alone. */
	v = graph_header_recipients(out, len, &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "other@agency.example");
	free(v[0]);
	free(v);
	free(out);

	out = graph_bcc_rewrite(lf, strlen(lf), "d@w.example", &len);
	assert_int_equal(len, strlen("From: a@x.example\nBcc: d@w.example\r\n"
	    "\nbody\n"));
	assert_memory_equal(out, "From: a@x.example\nBcc: d@w.example\r\n"
	    "\nbody\n", len);
	free(out);

	out = graph_bcc_rewrite(nobody, strlen(nobody), "d@w.example", &len);
	assert_int_equal(len, strlen("From: a@x.example\r\nBcc: d@w.example"
	    "\r\n\r\n"));
	assert_memory_equal(out, "From: a@x.example\r\nBcc: d@w.example"
	    "\r\n\r\n", len);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_next_page),
		cmocka_unit_test(test_delta_last_page),
		cmocka_unit_test(test_delta_refused),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_same_origin),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_header_recipients),
		cmocka_unit_test(test_send_plan),
		cmocka_unit_test(test_bcc_rewrite),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
