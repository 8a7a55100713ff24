/*
 * test_config.c - the INI loader: every problem in one pass, with its
 * line; strict value parsers; secrets kept out and locked down.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "xmalloc.h"

static char	tmpdir[] = "/tmp/rr-test-config.XXXXXX";

static const char *
src_root(void)
{
	const char	*s = getenv("RR_SRC");

	return s != NULL ? s : ".";
}

static char *
write_file(const char *name, const char *text, mode_t mode)
{
	char	*path;
	FILE	*fp;

	xasprintf(&path, "%s/%s", tmpdir, name);
	unlink(path);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* A small valid INI; extra is appended, so later keys can add problems. */
static char *
write_ini(const char *name, const char *mailbox_extra, const char *extra)
{
	char	*text, *path;

	xasprintf(&text,
	    "[partnership]\n"
	    "name = Test SCP\n"
	    "address = rapidreview@example.org\n"
	    "business_manager = bm@example.org\n"
	    "[mailbox]\n"
	    "url = imaps://localhost:9993/INBOX\n"
	    "user = rapidreview@example.org\n"
	    "password_file = secret\n"
	    "%s"
	    "[smtp]\n"
	    "url = smtp://localhost:2525\n"
	    "[storage]\n"
	    "database = rr.db\n"
	    "[calendar]\n"
	    "holidays_file = %s/config/bank-holidays.json\n"
	    "[notifiers]\n"
	    "allow = *@example.gov.uk\n"
	    "[agency.police]\n"
	    "name = Test Police\n"
	    "to = pvp@example.police.uk\n"
	    "allow = *@example.police.uk\n"
	    "%s",
	    mailbox_extra, src_root(), extra);
	path = write_file(name, text, 0644);
	free(text);
	return path;
}

static int
setup(void **state)
{
	char	*p;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	p = write_file("secret", "s3cret\n", 0600);
	free(p);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

/* 1 when a diagnostic starts "PATH:LINE: " (any line for -1, none for 0) and holds text. */
static int
has_diag(const struct config_diag *d, const char *path, int line,
    const char *text)
{
	char	prefix[512];
	size_t	i;

	if (line < 0)
		snprintf(prefix, sizeof prefix, "%s:", path);
	else if (line > 0)
		snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof prefix, "%s: ", path);
	for (i = 0; i < d->n; i++)
		if (strncmp(d->v[i].text, prefix, strlen(prefix)) == 0 &&
		    strstr(d->v[i].text, text) != NULL)
			return 1;
	return 0;
}

static void
test_example_loads(void **state)
{
	struct config_diag	 d;
	struct config		*c;
	char			*path;

	xasprintf(&path, "%s/config/rapidreviewd.ini.example", src_root());
	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	assert_non_null(c);
	assert_int_equal(d.errors, 0);
	assert_string_equal(c->partnership.marking, "OFFICIAL-SENSITIVE");
	assert_int_equal(c->mailbox.kind, MAILBOX_IMAPS);
	assert_int_equal(c->mailbox.port, 993);
	assert_string_equal(c->mailbox.host, "outlook.office365.com");
	assert_string_equal(c->mailbox.folder, "INBOX");
	assert_null(c->mailbox.ca_file);
	assert_int_equal(c->smtp.kind, SMTP_STARTTLS);
	assert_int_equal(c->smtp.port, 587);
	assert_int_equal(c->deadlines.n_reminder_days, 2);
	assert_int_equal(c->deadlines.reminder_days[0], -2);
	assert_int_equal(c->deadlines.reminder_days[1], 0);
	assert_int_equal(c->calendar.send_after, 8 * 60);
	assert_int_equal(c->calendar.digest_time, 8 * 60 + 30);
	assert_true(c->limits.max_message_size == 50ULL * 1024 * 1024);
	assert_int_equal(c->limits.max_zip_ratio, 100);
	assert_int_equal(c->partnership.admins.n, 2);
	assert_non_null(config_agency(c, "police"));
	assert_string_equal(config_agency(c, "police")->name,
	    "Northshire Police");
	assert_int_equal(config_agency(c, "police")->aliases.n, 3);
	assert_true(config_agency(c, "POLICE")->always_request);
	assert_null(config_agency(c, "probation"));
	/* Relative paths hang off the INI's folder. */
	assert_non_null(strstr(c->calendar.holidays_file,
	    "/config/bank-holidays.json"));
	config_free(c);
	config_diag_free(&d);
	free(path);
}

static void
test_defaults(void **state)
{
	struct config_diag	 d;
	struct config		*c;
	char			*path;

	path = write_ini("defaults.ini", "", "");
	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	assert_non_null(c);
	assert_int_equal(c->mailbox.poll_seconds, 60);
	assert_int_equal(c->mailbox.idle, 1);
	assert_int_equal(c->deadlines.returns_due_day, 5);
	assert_int_equal(c->deadlines.meeting_default_day, 10);
	assert_int_equal(c->deadlines.day0, DAY0_NOTIFIED);
	assert_int_equal(c->limits.max_mime_depth, 32);
	assert_int_equal(c->security.pack_allowed_domains.n, 6);
	assert_string_equal(c->partnership.display_name, "Test SCP");
	assert_string_equal(c->partnership.timezone, "Europe/London");
	assert_string_equal(c->calendar.division, "england-and-wales");
	/* key_file defaults to beside the database. */
	assert_non_null(strstr(c->storage.key_file, "/token.key"));
	assert_int_equal(c->storage.database[0], '/');
	config_free(c);
	config_diag_free(&d);
	free(path);
}

/* The issue's case: three problems, all reported, each with its line. */
static void
test_three_problems_one_pass(void **state)
{
	struct config_diag	 d;
	struct config		*c;
	char			*path;

	path = write_file("three.ini",
	    "[partnership]\n"					/* 1 */
	    "name = Test SCP\n"					/* 2 */
	    "address = rapidreview@example.org\n"		/* 3 */
	    "colour = blue\n"					/* 4 */
	    "[mailbox]\n"					/* 5 */
	    "url = imaps://localhost/INBOX\n"			/* 6 */
	    "user = rr@example.org\n"				/* 7 */
	    "password_file = secret\n"				/* 8 */
	    "poll_seconds = 12x\n"				/* 9 */
	    "[smtp]\n"						/* 10 */
	    "url = smtps://localhost\n"				/* 11 */
	    "[storage]\n"					/* 12 */
	    "database = rr.db\n"				/* 13 */
	    "[notifiers]\n"					/* 14 */
	    "allow = *@example.gov.uk\n", 0644);		/* 15 */
	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	assert_null(c);
	assert_int_equal(d.errors, 3);
	assert_true(has_diag(&d, path, 4, "unknown key 'colour'"));
	assert_true(has_diag(&d, path, 9, "poll_seconds: '12x'"));
	/* A missing key is reported at its section's line. */
	assert_true(has_diag(&d, path, 1,
	    "missing required key 'business_manager'"));
	config_diag_free(&d);
	free(path);
}

static void
test_many_problems(void **state)
{
	static const struct {
		const char	*extra;
		const char	*text;
	} cases[] = {
		{ "[partnership]\n", "section [partnership] repeated" },
		{ "[colours]\nred = 1\n", "unknown section [colours]" },
		{ "[agency.Bad Key]\nname = x\n", "agency key 'bad key'" },
		{ "[agency.probation]\nname = Probation\n",
		    "missing required key 'to' in [agency.probation]" },
		{ "[agency.probation]\nname = P\nto = not-an-address\n"
		    "allow = *@x.gov.uk\n", "'not-an-address' is not an email" },
		{ "[agency.probation]\nname = P\nto = p@x.gov.uk\n"
		    "allow = anyone\n", "'anyone' is not an address pattern" },
		{ "[deadlines]\nreturns_due_day = 010x\n",
		    "returns_due_day: '010x'" },
		{ "[deadlines]\nreturns_due_day = 0\n",
		    "not a whole number from 1 to 60" },
		{ "[deadlines]\nreminder_days = -2, zero\n",
		    "reminder_days: 'zero'" },
		{ "[deadlines]\nday0 = yesterday\n", "day0: 'yesterday'" },
		{ "[deadlines]\nmeeting_default_day = 16\n",
		    "meeting_default_day (16) is after meeting_by_day (15)" },
		{ "[calendar]\nextra_closures = 2024-12-27, 2024-13-01\n",
		    "extra_closures: '2024-13-01'" },
		{ "[calendar]\nsend_after = 8am\n", "send_after: '8am'" },
		{ "[limits]\nmax_message_size = 50Q\n",
		    "max_message_size: '50Q'" },
		{ "[security]\nrequire_authentication = maybe\n",
		    "'maybe' is not a boolean" },
		{ "[partnership]\n", "repeated" },
		{ "orphan line\n", "expected 'key = value'" },
		{ "[security]\npassword = hunter2\n",
		    "would put a secret in the INI" },
	};
	struct config_diag	 d;
	struct config		*c;
	char			*path, name[32];
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "case%zu.ini", i);
		path = write_ini(name, "", cases[i].extra);
		config_diag_init(&d);
		c = config_load(path, &d);
		if (c != NULL || !has_diag(&d, path, -1, cases[i].text)) {
			config_diag_print(&d, stderr);
			fail_msg("case %zu: expected an error with '%s'", i,
			    cases[i].text);
		}
		/* Every error names a line of the file. */
		assert_true(d.v[0].line > 0);
		config_diag_free(&d);
		free(path);
	}
}

static void
test_secret_modes(void **state)
{
	struct config_diag	 d;
	struct config		*c;
	char			*path, *secret;

	secret = write_file("loose-secret", "pw\n", 0640);
	path = write_ini("loose.ini", "", "");
	/* Point the INI at the group-readable file. */
	free(path);
	path = write_file("loose.ini",
	    "[partnership]\nname = T\naddress = a@example.org\n"
	    "business_manager = b@example.org\n"
	    "[mailbox]\nurl = imaps://localhost/INBOX\nuser = u\n"
	    "password_file = loose-secret\n"
	    "[smtp]\nurl = smtps://localhost\n"
	    "[storage]\ndatabase = rr.db\n"
	    "[notifiers]\nallow = *@example.gov.uk\n", 0644);
	config_diag_init(&d);
	c = config_load(path, &d);
	assert_null(c);
	assert_true(has_diag(&d, path, 8, "readable by group or others "
	    "(mode 0640)"));
	config_diag_free(&d);

	/* 0600 is accepted. */
	assert_int_equal(chmod(secret, 0600), 0);
	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	assert_non_null(c);
	config_free(c);
	config_diag_free(&d);

	/* A missing file is an error too. */
	assert_int_equal(unlink(secret), 0);
	config_diag_init(&d);
	assert_null(config_load(path, &d));
	assert_true(has_diag(&d, path, 8, "cannot read"));
	config_diag_free(&d);
	free(secret);
	free(path);
}

static void
test_plaintext_transport(void **state)
{
	struct config_diag	 d;
	struct config		*c;
	char			*path;

	/* Plaintext to loopback is allowed. */
	path = write_ini("plain-lo.ini", "tls = no\n", "");
	free(path);
	path = write_file("plain-lo.ini",
	    "[partnership]\nname = T\naddress = a@example.org\n"
	    "business_manager = b@example.org\n"
	    "[mailbox]\nurl = imap://127.0.0.1:1143/INBOX\nuser = u\n"
	    "password_file = secret\ntls = no\n"
	    "[smtp]\nurl = smtp://localhost:2525\ntls = no\n"
	    "[storage]\ndatabase = rr.db\n"
	    "[notifiers]\nallow = *@example.gov.uk\n", 0644);
	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	assert_non_null(c);
	assert_int_equal(c->mailbox.tls, 0);
	assert_int_equal(c->mailbox.kind, MAILBOX_IMAP);
	config_free(c);
	config_diag_free(&d);
	free(path);

	/* Plaintext anywhere else is not. */
	path = write_file("plain-far.ini",
	    "[partnership]\nname = T\naddress = a@example.org\n"
	    "business_manager = b@example.org\n"
	    "[mailbox]\nurl = imap://mail.example.org/INBOX\nuser = u\n"
	    "password_file = secret\ntls = no\n"
	    "[smtp]\nurl = smtp://smtp.example.org\ntls = no\n"
	    "[storage]\ndatabase = rr.db\n"
	    "[notifiers]\nallow = *@example.gov.uk\n", 0644);
	config_diag_init(&d);
	assert_null(config_load(path, &d));
	assert_true(has_diag(&d, path, 9, "plaintext IMAP to "
	    "mail.example.org"));
	assert_true(has_diag(&d, path, 12, "plaintext SMTP to "
	    "smtp.example.org"));
	config_diag_free(&d);
	free(path);
}

static void
test_missing_file_and_empty_sections(void **state)
{
	struct config_diag	 d;
	char			*path;

	config_diag_init(&d);
	assert_null(config_load("/nonexistent/rr.ini", &d));
	assert_true(has_diag(&d, "/nonexistent/rr.ini", 0, "cannot open"));
	config_diag_free(&d);

	/* Sections without keys: iniparser 4.1 would crash on a typed get. */
	path = write_file("empty.ini", "[mailbox]\n[partnership]\n", 0644);
	config_diag_init(&d);
	assert_null(config_load(path, &d));
	assert_true(has_diag(&d, path, 1, "missing required key 'url'"));
	assert_true(has_diag(&d, path, 2, "missing required key 'name'"));
	assert_true(has_diag(&d, path, 0, "missing required key "
	    "'database'"));
	config_diag_free(&d);
	free(path);
}

static void
test_value_parsers(void **state)
{
	unsigned long long	u;
	long long		i;
	uint64_t		sz;
	unsigned		secs;
	int			b, m;

	assert_int_equal(config_parse_bool("Yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(config_parse_bool("off", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(config_parse_bool("y", &b), -1);
	assert_int_equal(config_parse_bool("", &b), -1);

	/* Decimal even with a leading zero; no trailing text; no overflow. */
	assert_int_equal(config_parse_uint("010", 100, &u), 0);
	assert_int_equal(u, 10);
	assert_int_equal(config_parse_uint("12x", 100, &u), -1);
	assert_int_equal(config_parse_uint("", 100, &u), -1);
	assert_int_equal(config_parse_uint("101", 100, &u), -1);
	assert_int_equal(config_parse_uint("-1", 100, &u), -1);
	assert_int_equal(config_parse_uint("99999999999999999999999", ~0ULL,
	    &u), -1);
	assert_int_equal(config_parse_int("-2", -30, 30, &i), 0);
	assert_int_equal(i, -2);
	assert_int_equal(config_parse_int("-31", -30, 30, &i), -1);

	assert_int_equal(config_parse_size("50M", &sz), 0);
	assert_true(sz == 50ULL << 20);
	assert_int_equal(config_parse_size("1g", &sz), 0);
	assert_true(sz == 1ULL << 30);
	assert_int_equal(config_parse_size("512", &sz), 0);
	assert_true(sz == 512);
	assert_int_equal(config_parse_size("M", &sz), -1);
	assert_int_equal(config_parse_size("5 M", &sz), -1);
	assert_int_equal(config_parse_size("99999999999999999G", &sz), -1);

	assert_int_equal(config_parse_hhmm("08:30", &m), 0);
	assert_int_equal(m, 510);
	assert_int_equal(config_parse_hhmm("24:00", &m), -1);
	assert_int_equal(config_parse_hhmm("8:30", &m), -1);

	assert_int_equal(config_parse_seconds("90", &secs), 0);
	assert_int_equal(secs, 90);
	assert_int_equal(config_parse_seconds("5m", &secs), 0);
	assert_int_equal(secs, 300);
	assert_int_equal(config_parse_seconds("1h", &secs), 0);
	assert_int_equal(secs, 3600);
	assert_int_equal(config_parse_seconds("1d", &secs), -1);
}

static void
test_instance_path(void **state)
{
	char	buf[128], tiny[8];

	assert_int_equal(config_instance_path("northshire", buf, sizeof buf),
	    0);
	assert_string_equal(buf, "/etc/rapidreviewd/northshire.ini");
	assert_int_equal(config_instance_path("a_b-9", buf, sizeof buf), 0);
	assert_int_equal(config_instance_path("", buf, sizeof buf), -1);
	assert_int_equal(config_instance_path("../etc", buf, sizeof buf), -1);
	assert_int_equal(config_instance_path("North", buf, sizeof buf), -1);
	assert_int_equal(config_instance_path("a/b", buf, sizeof buf), -1);
	assert_int_equal(config_instance_path("x", tiny, sizeof tiny), -1);
	memset(buf, 'a', 65);
	buf[65] = '\0';
	{
		char	out[256];

		assert_int_equal(config_instance_path(buf, out, sizeof out),
		    -1);
		buf[64] = '\0';
		assert_int_equal(config_instance_path(buf, out, sizeof out),
		    0);
	}
}

static void
test_addresses(void **state)
{
	assert_true(config_address_valid("a.b@example.org"));
	assert_false(config_address_valid("a.b@"));
	assert_false(config_address_valid("@example.org"));
	assert_false(config_address_valid("a@b@c"));
	assert_false(config_address_valid("a b@example.org"));
	assert_false(config_address_valid("a@example.org\r\nBcc: x@y"));
	assert_false(config_address_valid("<a@example.org>"));

	assert_true(config_address_match("*@northshire.police.uk",
	    "PVP@Northshire.Police.UK"));
	assert_false(config_address_match("*@northshire.police.uk",
	    "x@evil-northshire.police.uk.example"));
	assert_true(config_address_match("*@*.sch.uk", "head@oak.sch.uk"));
	assert_false(config_address_match("*@*.sch.uk", "head@sch.uk"));
	assert_true(config_address_match("a*b*c@x", "aXXbYYc@x"));

	assert_true(config_host_is_loopback("localhost"));
	assert_true(config_host_is_loopback("127.0.0.2"));
	assert_true(config_host_is_loopback("::1"));
	assert_false(config_host_is_loopback("127.example.org"));
	assert_false(config_host_is_loopback("10.0.0.1"));
}

/* An INI with its [mailbox], [smtp] and (when not NULL) [oauth] bodies. */
static char *
write_oauth_ini(const char *name, const char *mailbox, const char *smtp,
    const char *oauth)
{
	char	*text, *path;

	xasprintf(&text,
	    "[partnership]\n"
	    "name = Test SCP\n"
	    "address = rapidreview@example.org\n"
	    "business_manager = bm@example.org\n"
	    "[mailbox]\n%s"
	    "[smtp]\n%s"
	    "[storage]\n"
	    "database = state/rr.db\n"
	    "[calendar]\n"
	    "holidays_file = %s/config/bank-holidays.json\n"
	    "[notifiers]\n"
	    "allow = *@example.gov.uk\n"
	    "[agency.police]\n"
	    "name = Test Police\n"
	    "to = pvp@example.police.uk\n"
	    "allow = *@example.police.uk\n"
	    "%s%s",
	    mailbox, smtp, src_root(), oauth != NULL ? "[oauth]\n" : "",
	    oauth != NULL ? oauth : "");
	path = write_file(name, text, 0644);
	free(text);
	return path;
}

#define MS_OAUTH \
	"tenant = example.onmicrosoft.com\n" \
	"client_id = 3f1c0c3e-0000-4000-8000-000000000000\n" \
	"client_secret_file = secret\n"
#define IMAP_XOAUTH2 \
	"url = imaps://localhost:9993/INBOX\n" \
	"user = rapidreview@example.org\n" \
	"auth = xoauth2\n"
#define SMTP_XOAUTH2 \
	"url = smtp://localhost:2525\n" \
	"auth = xoauth2\n"

static struct config *
load_ok(const char *path)
{
	struct config_diag	 d;
	struct config		*c;

	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	assert_non_null(c);
	config_diag_free(&d);
	return c;
}

static void
test_oauth_defaults(void **state)
{
	struct config	*c;
	char		*path, *want;

	/* Microsoft, client_credentials, IMAP and SMTP with XOAUTH2. */
	path = write_oauth_ini("oauth-ms.ini", IMAP_XOAUTH2, SMTP_XOAUTH2,
	    MS_OAUTH);
	c = load_ok(path);
	assert_true(c->oauth.configured);
	assert_int_equal(c->oauth.provider, OAUTH_MICROSOFT);
	assert_int_equal(c->oauth.flow, OAUTH_CLIENT_CREDENTIALS);
	assert_string_equal(c->oauth.token_url, "https://login."
	    "microsoftonline.com/example.onmicrosoft.com/oauth2/v2.0/token");
	assert_string_equal(c->oauth.device_url, "https://login."
	    "microsoftonline.com/example.onmicrosoft.com/oauth2/v2.0/"
	    "devicecode");
	assert_string_equal(c->oauth.graph_url,
	    "https://graph.microsoft.com/v1.0");
	assert_string_equal(c->oauth.scope,
	    "https://outlook.office365.com/.default");
	assert_int_equal(c->oauth.timeout_seconds, 30);
	assert_null(c->oauth.ca_file);
	assert_non_null(strstr(c->oauth.client_secret_file, "/secret"));
	/* The refresh token lives in the state folder, not the INI's. */
	xasprintf(&want, "%s/state/oauth-refresh-token", tmpdir);
	assert_string_equal(c->oauth.refresh_token_file, want);
	free(want);
	assert_int_equal(c->mailbox.auth, AUTH_XOAUTH2);
	assert_null(c->mailbox.password_file);
	assert_int_equal(c->smtp.auth, SMTP_AUTH_XOAUTH2);
	/* The SASL user for SMTP: the mailbox's. */
	assert_string_equal(c->smtp.user, "rapidreview@example.org");
	config_free(c);
	free(path);

	/* refresh_token: delegated scopes; a refresh_token_file of its own. */
	path = write_oauth_ini("oauth-rt.ini", IMAP_XOAUTH2, SMTP_XOAUTH2,
	    "flow = refresh_token\n"
	    "tenant = example.onmicrosoft.com\n"
	    "client_id = 3f1c0c3e-0000-4000-8000-000000000000\n"
	    "refresh_token_file = /var/lib/rr/rt\n"
	    "timeout = 10\n");
	c = load_ok(path);
	assert_int_equal(c->oauth.flow, OAUTH_REFRESH_TOKEN);
	assert_string_equal(c->oauth.scope, "offline_access "
	    "https://outlook.office365.com/IMAP.AccessAsUser.All "
	    "https://outlook.office365.com/SMTP.Send");
	assert_string_equal(c->oauth.refresh_token_file, "/var/lib/rr/rt");
	assert_int_equal(c->oauth.timeout_seconds, 10);
	config_free(c);
	free(path);

	/* Google: its endpoints and scope. */
	path = write_oauth_ini("oauth-g.ini", IMAP_XOAUTH2, SMTP_XOAUTH2,
	    "provider = google\n"
	    "flow = service_account\n"
	    "service_account_file = secret\n");
	c = load_ok(path);
	assert_int_equal(c->oauth.provider, OAUTH_GOOGLE);
	assert_int_equal(c->oauth.flow, OAUTH_SERVICE_ACCOUNT);
	assert_string_equal(c->oauth.token_url,
	    "https://oauth2.googleapis.com/token");
	assert_string_equal(c->oauth.device_url,
	    "https://oauth2.googleapis.com/device/code");
	assert_string_equal(c->oauth.scope, "https://mail.google.com/");
	config_free(c);
	free(path);

	/* Google's key as a systemd credential, not a file. */
	path = write_oauth_ini("oauth-g2.ini", IMAP_XOAUTH2, SMTP_XOAUTH2,
	    "provider = google\n"
	    "flow = service_account\n"
	    "service_account_credential = google-sa.json\n");
	c = load_ok(path);
	assert_null(c->oauth.service_account_file);
	assert_string_equal(c->oauth.service_account_credential,
	    "google-sa.json");
	config_free(c);
	free(path);

	/* generic, on loopback over plain http (a test bed). */
	path = write_oauth_ini("oauth-gen.ini", IMAP_XOAUTH2, SMTP_XOAUTH2,
	    "provider = generic\n"
	    "client_id = x\n"
	    "client_secret_credential = oauth-secret\n"
	    "token_url = http://127.0.0.1:8443/token\n"
	    "scope = mail\n");
	c = load_ok(path);
	assert_string_equal(c->oauth.token_url, "http://127.0.0.1:8443/token");
	assert_string_equal(c->oauth.scope, "mail");
	assert_null(c->oauth.device_url);
	config_free(c);
	free(path);

	/* Without [oauth], nothing of it. */
	path = write_ini("no-oauth.ini", "", "");
	c = load_ok(path);
	assert_false(c->oauth.configured);
	assert_int_equal(c->smtp.auth, SMTP_AUTH_PASSWORD);
	config_free(c);
	free(path);
}

static void
test_oauth_graph(void **state)
{
	struct config	*c;
	char		*path;

	path = write_oauth_ini("graph.ini",
	    "url = graph://rapidreview@example.org/Inbox/Rapid Review\n",
	    "url = graph://rapidreview@example.org\n", MS_OAUTH);
	c = load_ok(path);
	assert_int_equal(c->mailbox.kind, MAILBOX_GRAPH);
	assert_string_equal(c->mailbox.graph_mailbox,
	    "rapidreview@example.org");
	assert_string_equal(c->mailbox.folder, "Inbox/Rapid Review");
	assert_string_equal(c->mailbox.user, "rapidreview@example.org");
	assert_int_equal(c->smtp.kind, SMTP_GRAPH);
	assert_string_equal(c->smtp.graph_mailbox, "rapidreview@example.org");
	assert_string_equal(c->oauth.scope,
	    "https://graph.microsoft.com/.default");
	config_free(c);
	free(path);

	path = write_oauth_ini("graph-rt.ini",
	    "url = graph://rapidreview@example.org\n",
	    "url = graph://rapidreview@example.org\n",
	    "flow = refresh_token\n"
	    "tenant = example.onmicrosoft.com\n"
	    "client_id = 3f1c0c3e-0000-4000-8000-000000000000\n");
	c = load_ok(path);
	assert_string_equal(c->mailbox.folder, "Inbox");
	assert_string_equal(c->oauth.scope,
	    "offline_access Mail.ReadWrite.Shared Mail.Send.Shared");
	config_free(c);
	free(path);
}

static void
test_oauth_problems(void **state)
{
	static const struct {
		const char	*mailbox, *smtp, *oauth;
		const char	*text;
	} cases[] = {
		/* The old fixed-token mode is gone. */
		{ IMAP_XOAUTH2 "password_file = secret\n",
		  "url = smtp://localhost:2525\n", NULL,
		  "auth = xoauth2 needs an [oauth] section (SPEC §7.1); a "
		  "fixed token in password_file is no longer read" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, NULL,
		  "auth = xoauth2 needs an [oauth] section (SPEC §7.1)" },
		{ "url = graph://rapidreview@example.org\n",
		  "url = smtp://localhost:2525\n", NULL,
		  "url = graph:// needs an [oauth] section" },
		{ IMAP_XOAUTH2, "url = graph://rapidreview@example.org\n",
		  NULL, "url = graph:// needs an [oauth] section" },
		{ "url = graph://not-an-address/Inbox\n",
		  "url = smtp://localhost:2525\n", MS_OAUTH,
		  "graph://MAILBOX needs the mailbox's email address" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2,
		  "client_id = x\nclient_secret_file = secret\n",
		  "provider = microsoft needs tenant" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2,
		  "tenant = t/../x\nclient_id = x\n"
		  "client_secret_file = secret\n",
		  "tenant: 't/../x' is not a tenant name or id" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2,
		  "tenant = t.onmicrosoft.com\nclient_secret_file = secret\n",
		  "missing required key 'client_id' in [oauth]" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2,
		  "tenant = t.onmicrosoft.com\nclient_id = x\n",
		  "missing required key 'client_secret_file' (or "
		  "'client_secret_credential') in [oauth]" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, MS_OAUTH
		  "client_secret_credential = oauth-secret\n",
		  "give client_secret_file or client_secret_credential, not "
		  "both" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, MS_OAUTH "client_secret = x\n",
		  "'client_secret' would put a secret in the INI: use "
		  "client_secret_file" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, MS_OAUTH "refresh_token = x\n",
		  "'refresh_token' would put a secret in the INI" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, MS_OAUTH
		  "flow = service_account\nservice_account_file = secret\n",
		  "flow = service_account is Google's domain-wide delegation" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2,
		  "provider = google\nflow = service_account\n",
		  "flow = service_account needs service_account_file" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2,
		  "provider = google\nflow = service_account\n"
		  "service_account_file = open.json\n",
		  "service_account_file: " },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, MS_OAUTH
		  "token_url = http://idp.example.org/token\n",
		  "token_url: plain http to idp.example.org, which is not "
		  "loopback: https:// is required" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, MS_OAUTH
		  "graph_url = ftp://graph.example.org/\n",
		  "graph_url: 'ftp://graph.example.org/' is not an https:// "
		  "address" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2,
		  "provider = generic\nclient_id = x\n"
		  "client_secret_file = secret\n",
		  "provider = generic needs token_url" },
		{ "url = imaps://localhost:9993/INBOX\n"
		  "user = rapidreview@example.org\nauth = oauthbearer\n",
		  SMTP_XOAUTH2, MS_OAUTH "client_secret_file = secret\n",
		  "auth = oauthbearer is not available for IMAP in this "
		  "build; use auth = xoauth2" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, MS_OAUTH "provider = yahoo\n",
		  "provider: 'yahoo' is not one of microsoft, google, generic" },
		{ IMAP_XOAUTH2, SMTP_XOAUTH2, MS_OAUTH "flow = implicit\n",
		  "flow: 'implicit' is not one of client_credentials" },
		{ IMAP_XOAUTH2, "url = smtp://localhost:2525\nauth = cram\n",
		  MS_OAUTH, "auth: 'cram' is not one of password, xoauth2" },
		{ IMAP_XOAUTH2, "sendmail = /usr/sbin/sendmail\n"
		  "auth = xoauth2\n", MS_OAUTH,
		  "auth = xoauth2 needs url = smtp:// or smtps://" },
		{ "url = graph://rapidreview@example.org\n", SMTP_XOAUTH2,
		  MS_OAUTH, "one access token cannot serve both" },
		/* Password logins where the provider has switched them off. */
		{ "url = imaps://outlook.office365.com/INBOX\n"
		  "user = rr@example.org\npassword_file = secret\n",
		  "url = smtp://localhost:2525\n", NULL,
		  "outlook.office365.com: Microsoft 365 has switched off "
		  "password logins to IMAP; set auth = xoauth2 and add an "
		  "[oauth] section (provider = microsoft, flow = "
		  "client_credentials): see rapidreviewd.ini(5), OAUTH" },
		{ "url = imaps://Outlook.Office.com/INBOX\n"
		  "user = rr@example.org\nauth = login\n"
		  "password_file = secret\n",
		  "url = smtp://localhost:2525\n", NULL,
		  "Outlook.Office.com: Microsoft 365 has switched off" },
		{ "url = imaps://IMAP.GMAIL.COM/INBOX\n"
		  "user = rr@example.org\npassword_file = secret\n",
		  "url = smtp://localhost:2525\n", NULL,
		  "IMAP.GMAIL.COM: Google Workspace has switched off password "
		  "logins to IMAP" },
		{ "url = imaps://localhost/INBOX\nuser = rr@example.org\n"
		  "password_file = secret\n",
		  "url = smtp://smtp-mail.outlook.com:587\n"
		  "user = rr@example.org\npassword_file = secret\n", NULL,
		  "smtp-mail.outlook.com: Microsoft 365 has switched off "
		  "password logins to SMTP" },
		{ "url = imaps://localhost/INBOX\nuser = rr@example.org\n"
		  "password_file = secret\n",
		  "url = smtps://smtp.gmail.com\nuser = rr@example.org\n"
		  "auth = plain\npassword_credential = smtp-password\n", NULL,
		  "smtp.gmail.com: Google Workspace has switched off" },
	};
	struct config_diag	 d;
	struct config		*c;
	char			*path, *p;
	size_t			 i;

	p = write_file("open.json", "{}\n", 0644);
	free(p);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		path = write_oauth_ini("oauth-bad.ini", cases[i].mailbox,
		    cases[i].smtp, cases[i].oauth);
		config_diag_init(&d);
		c = config_load(path, &d);
		if (c != NULL || !has_diag(&d, path, -1, cases[i].text)) {
			config_diag_print(&d, stderr);
			fail_msg("case %zu: no error '%s'", i, cases[i].text);
		}
		config_diag_free(&d);
		free(path);
	}

	/* A password beside auth = xoauth2: loaded, with a warning. */
	path = write_oauth_ini("oauth-warn.ini", IMAP_XOAUTH2
	    "password_file = secret\n", SMTP_XOAUTH2, MS_OAUTH);
	config_diag_init(&d);
	c = config_load(path, &d);
	assert_non_null(c);
	assert_true(has_diag(&d, path, -1, "warning: password_file is not "
	    "read with auth = xoauth2"));
	config_free(c);
	config_diag_free(&d);
	free(path);

	/* A password login to the same hosts through [oauth] is fine. */
	path = write_oauth_ini("oauth-o365.ini",
	    "url = imaps://outlook.office365.com/INBOX\n"
	    "user = rr@example.org\nauth = xoauth2\n",
	    "url = smtp://smtp.office365.com:587\nauth = xoauth2\n",
	    MS_OAUTH);
	c = load_ok(path);
	assert_string_equal(c->smtp.user, "rr@example.org");
	config_free(c);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_three_problems_one_pass),
		cmocka_unit_test(test_many_problems),
		cmocka_unit_test(test_secret_modes),
		cmocka_unit_test(test_plaintext_transport),
		cmocka_unit_test(test_missing_file_and_empty_sections),
		cmocka_unit_test(test_value_parsers),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_instance_path),
		cmocka_unit_test(test_oauth_defaults),
		cmocka_unit_test(test_oauth_graph),
		cmocka_unit_test(test_oauth_problems),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
