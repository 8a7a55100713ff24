/*
 * test_classify.c - classification of incoming mail (SPEC §3, §3.2, §6):
 * each rule, their order, matching a reply to its case and agency, and
 * the Authentication-Results check. Messages are built by hand from a
 * table; mime_parse is not used.
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

#include "classify.h"
#include "config.h"
#include "mime.h"
#include "token.h"
#include "xmalloc.h"

static char		 tmpdir[] = "/tmp/rr-test-classify.XXXXXX";
static struct config	*cfg_plain;	/* require_authentication = no */
static struct config	*cfg_auth;	/* require_authentication = yes */
static unsigned char	 key[TOKEN_KEY_LEN];

/* The store, as the callbacks see it. */
static const struct {
	const char	*msgid, *ref, *agency;
} sent[] = {
	{ "out-1@example.org", "RR-2024-007", "police" },
	{ "out-2@example.org", "RR-2024-007", NULL },	/* the SIN ack */
	{ "out-old@example.org", "RR-2019-001", "police" },	/* purged */
	{ "loop-1@example.org", NULL, NULL },	/* not for a case */
};
static const char *const cases[] = { "RR-2024-007", "RR-2024-010" };

static int
cb_is_our_message(void *arg, const char *msgid)
{
	size_t	i;

	for (i = 0; i < sizeof sent / sizeof sent[0]; i++)
		if (strcmp(sent[i].msgid, msgid) == 0)
			return 1;
	return 0;
}

static int
cb_thread_of(void *arg, const char *msgid, char **ref, char **agency)
{
	size_t	i;

	for (i = 0; i < sizeof sent / sizeof sent[0]; i++) {
		if (strcmp(sent[i].msgid, msgid) != 0 || sent[i].ref == NULL)
			continue;
		*ref = xstrdup(sent[i].ref);
		*agency = sent[i].agency != NULL ? xstrdup(sent[i].agency) :
		    NULL;
		return 1;
	}
	return 0;
}

static int
cb_case_exists(void *arg, const char *ref)
{
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (strcmp(cases[i], ref) == 0)
			return 1;
	return 0;
}

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
	if ((fp = fopen(path, "w")) == NULL)
		return NULL;
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	return path;
}

static struct config *
load_config(const char *name, const char *require_auth)
{
	struct config_diag	 d;
	struct config		*c;
	char			*text, *path;

	xasprintf(&text,
	    "[partnership]\n"
	    "name = Test SCP\n"
	    "address = rapidreview@example.org\n"
	    "business_manager = bm@example.org\n"
	    "admins = bm@example.org, chair@example.org\n"
	    "marking = OFFICIAL-SENSITIVE\n"
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
	    "[security]\n"
	    "require_authentication = %s\n"
	    "trusted_authserv_id = mx.example.org\n"
	    "[notifiers]\n"
	    "allow = *@example.gov.uk\n"
	    "sin_subject = *Serious Incident Notification*\n"
	    "[agency.police]\n"
	    "name = Test Police\n"
	    "to = pvp@example.police.uk\n"
	    "allow = *@example.police.uk\n"
	    "[agency.health]\n"
	    "name = Test Health\n"
	    "to = safeguarding@example.nhs.uk\n"
	    "allow = *@example.nhs.uk, *@nhs.net\n"
	    "[agency.csc]\n"
	    "name = Children's Social Care\n"
	    "to = csc@example.gov.uk\n"
	    "allow = *@example.gov.uk\n",
	    src_root(), require_auth);
	path = write_file(name, text, 0644);
	free(text);
	if (path == NULL)
		return NULL;
	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	config_diag_free(&d);
	free(path);
	return c;
}

static int
setup(void **state)
{
	char	*p;
	size_t	 i;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if ((p = write_file("secret", "s3cret\n", 0600)) == NULL)
		return -1;
	free(p);
	cfg_plain = load_config("plain.ini", "no");
	cfg_auth = load_config("auth.ini", "yes");
	if (cfg_plain == NULL || cfg_auth == NULL)
		return -1;
	for (i = 0; i < TOKEN_KEY_LEN; i++)
		key[i] = (unsigned char)(i * 7 + 1);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;
	int	 rc;

	config_free(cfg_plain);
	config_free(cfg_auth);
	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/*
 * A message as a table row. Recipients written "TOKEN:REF:AGENCY" become
 * that reply token address under the test key.
 */
struct spec {
	const char	*from;
	const char	*to[3];
	const char	*cc[2];
	const char	*subject;
	const char	*headers[6];	/* "Name: value", top first */
	const char	*files[2];	/* attachment file names */
	const char	*types[2];	/* more parts of these types */
	const char	*message_id;
	const char	*in_reply_to;
	const char	*references[3];
	const char	*return_path;	/* NULL none, "" for <> */
	int		 is_report;
};

static size_t
count(const char *const *v, size_t max)
{
	size_t	n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

static char *
recipient(const char *s)
{
	char	*copy, *ref, *agency, *addr;

	if (strncmp(s, "TOKEN:", 6) != 0)
		return xstrdup(s);
	copy = xstrdup(s + 6);
	ref = copy;
	agency = strchr(copy, ':');
	*agency++ = '\0';
	addr = token_address(key, "rapidreview@example.org", ref, agency);
	free(copy);
	return addr;
}

static struct mime_address *
addresses(const char *const *v, size_t n)
{
	struct mime_address	*a;
	size_t			 i;

	a = xcalloc(n + 1, sizeof *a);
	for (i = 0; i < n; i++) {
		a[i].name = xstrdup("");
		a[i].addr = recipient(v[i]);
	}
	return a;
}

static struct mime_message *
msg_build(const struct spec *s)
{
	struct mime_message	*m;
	const char		*colon;
	size_t			 i, nf, nt;

	m = xcalloc(1, sizeof *m);
	m->n_headers = count(s->headers, 6);
	m->headers = xcalloc(m->n_headers + 1, sizeof *m->headers);
	for (i = 0; i < m->n_headers; i++) {
		colon = strchr(s->headers[i], ':');
		assert_non_null(colon);
		m->headers[i].name = xstrndup(s->headers[i],
		    (size_t)(colon - s->headers[i]));
		colon++;
		while (*colon == ' ')
			colon++;
		m->headers[i].value = xstrdup(colon);
	}
	m->from.name = xstrdup("");
	m->from.addr = s->from != NULL ? xstrdup(s->from) : NULL;
	m->n_to = count(s->to, 3);
	m->to = addresses(s->to, m->n_to);
	m->n_cc = count(s->cc, 2);
	m->cc = addresses(s->cc, m->n_cc);
	m->subject = xstrdup(s->subject != NULL ? s->subject : "");
	m->message_id = s->message_id != NULL ? xstrdup(s->message_id) :
	    NULL;
	m->in_reply_to = s->in_reply_to != NULL ? xstrdup(s->in_reply_to) :
	    NULL;
	m->n_references = count(s->references, 3);
	m->references = xcalloc(m->n_references + 1, sizeof *m->references);
	for (i = 0; i < m->n_references; i++)
		m->references[i] = xstrdup(s->references[i]);
	m->return_path = s->return_path != NULL ? xstrdup(s->return_path) :
	    NULL;
	m->is_report = s->is_report;

	nf = count(s->files, 2);
	nt = count(s->types, 2);
	m->n_parts = 1 + nf + nt;
	m->parts = xcalloc(m->n_parts, sizeof *m->parts);
	m->parts[0].parent = -1;
	m->parts[0].content_type = xstrdup(nf + nt > 0 ? "multipart/mixed" :
	    "text/plain");
	for (i = 0; i < nf; i++) {
		m->parts[1 + i].content_type =
		    xstrdup("application/octet-stream");
		m->parts[1 + i].filename = xstrdup(s->files[i]);
		m->parts[1 + i].is_attachment = 1;
		m->parts[1 + i].depth = 1;
	}
	for (i = 0; i < nt; i++) {
		m->parts[1 + nf + i].content_type = xstrdup(s->types[i]);
		m->parts[1 + nf + i].depth = 1;
	}
	m->text = xstrdup("");
	m->new_text = xstrdup("");
	m->quoted_text = xstrdup("");
	return m;
}

static void
msg_free(struct mime_message *m)
{
	size_t	i;

	for (i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->from.name);
	free(m->from.addr);
	for (i = 0; i < m->n_to; i++) {
		free(m->to[i].name);
		free(m->to[i].addr);
	}
	free(m->to);
	for (i = 0; i < m->n_cc; i++) {
		free(m->cc[i].name);
		free(m->cc[i].addr);
	}
	free(m->cc);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	for (i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	free(m->return_path);
	for (i = 0; i < m->n_parts; i++) {
		free(m->parts[i].content_type);
		free(m->parts[i].filename);
	}
	free(m->parts);
	free(m->text);
	free(m->new_text);
	free(m->quoted_text);
	free(m);
}

struct want {
	enum msg_kind	 kind;
	const char	*reason;	/* exact */
	int		 ooo;
	const char	*case_ref;
	const char	*agency;
	enum match_how	 how;
	int		 alert;
	const char	*auth_detail;	/* exact, or NULL not to check */
};

struct row {
	const char	*name;
	int		 auth;		/* use cfg_auth */
	struct spec	 msg;
	struct want	 want;
};

#define TOK(ref, agency)	"TOKEN:" ref ":" agency
#define OURS			"rapidreview@example.org"
#define LEAD			"lead@example.police.uk"
#define NURSE			"named.nurse@nhs.net"
#define NOTIFIER		"lado@example.gov.uk"
#define ADMIN			"chair@example.org"
#define AR			"Authentication-Results: "
#define AR_PASS			AR "mx.example.org; spf=pass " \
				"smtp.mailfrom=example.police.uk; dkim=pass " \
				"header.d=example.police.uk; dmarc=pass " \
				"header.from=example.police.uk"

static const struct row rows[] = {
	/* 1. Our own mail. */
	{ "x-loop", 0, { .from = LEAD, .to = { OURS },
	    .subject = "RE: [RR-2024-007] request",
	    .headers = { "X-Loop: rapidreview@example.org" } },
	    { KIND_LOOP, "our own mail (X-Loop)", 0, NULL, NULL, MATCH_NONE,
	    0, NULL } },
	{ "x-loop case and brackets", 0, { .from = LEAD, .to = { OURS },
	    .headers = { "X-Loop: other@example.org",
	    "X-Loop: <RapidReview@Example.ORG> (rapidreviewd)" } },
	    { KIND_LOOP, "our own mail (X-Loop)", 0, NULL, NULL, MATCH_NONE,
	    0, NULL } },
	{ "our message-id", 0, { .from = OURS, .to = { OURS },
	    .message_id = "loop-1@example.org" },
	    { KIND_LOOP, "our own mail (Message-ID)", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "in-reply-to ours is a reply, not a loop", 0, { .from = LEAD,
	    .to = { OURS }, .subject = "RE: request",
	    .message_id = "abc@example.police.uk",
	    .in_reply_to = "out-1@example.org" },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-007", "police",
	    MATCH_THREAD, 0, NULL } },

	/* 3 before 2: a DSN is a bounce, though automatic too. */
	{ "dsn report", 0, { .from = "MAILER-DAEMON@mx.example.police.uk",
	    .to = { OURS }, .subject = "Undelivered Mail Returned to Sender",
	    .headers = { "Auto-Submitted: auto-replied",
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=x" }, .return_path = "", .is_report = 1,
	    .types = { "message/delivery-status", "message/rfc822" } },
	    { KIND_BOUNCE, "delivery status notification", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "exchange plain ndr", 0, { .from = "postmaster@example.nhs.uk",
	    .to = { OURS }, .subject = "Undeliverable: OFFICIAL-SENSITIVE "
	    "[RR-2024-007] Rapid Review information request",
	    .return_path = "" },
	    { KIND_BOUNCE, "delivery status notification", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "gmail dsn text", 0, { .from = "mailer-daemon@googlemail.com",
	    .to = { OURS },
	    .subject = "Delivery Status Notification (Failure)" },
	    { KIND_BOUNCE, "delivery status notification", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "exim bounce", 0, { .from = "Mailer-Daemon@mail.example.net",
	    .to = { OURS },
	    .subject = "Mail delivery failed: returning message to sender",
	    .headers = { "Auto-Submitted: auto-replied" } },
	    { KIND_BOUNCE, "delivery status notification", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "sendmail bounce, <> only", 0, { .from = "someone@example.net",
	    .to = { OURS }, .subject = "Returned mail: see transcript for "
	    "details", .return_path = "" },
	    { KIND_BOUNCE, "delivery status notification", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "delivery-status part without is_report", 0, {
	    .from = "postmaster@example.org", .to = { OURS },
	    .subject = "Warning", .types = { "message/delivery-status" } },
	    { KIND_BOUNCE, "delivery status notification", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "postmaster, not a bounce subject", 0, {
	    .from = "postmaster@example.net", .to = { OURS },
	    .subject = "Quota report" },
	    { KIND_AUTO, "mail system message", 0, NULL, NULL, MATCH_NONE,
	    0, NULL } },

	/* 2. Automatic mail; out-of-office replies matched for a note. */
	{ "ooo auto-submitted with token", 0, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") },
	    .subject = "Re: OFFICIAL-SENSITIVE [RR-2024-007] request",
	    .headers = { "Auto-Submitted: auto-replied" } },
	    { KIND_AUTO, "out-of-office reply", 1, "RR-2024-007", "police",
	    MATCH_TOKEN, 0, NULL } },
	{ "exchange ooo by subject tag", 0, { .from = LEAD, .to = { OURS },
	    .subject = "Automatic reply: OFFICIAL-SENSITIVE [RR-2024-007] "
	    "Rapid Review information request",
	    .headers = { "X-Auto-Response-Suppress: All",
	    "X-MS-Exchange-Inbox-Rules-Loop: lead@example.police.uk" } },
	    { KIND_AUTO, "out-of-office reply", 1, "RR-2024-007", "police",
	    MATCH_SUBJECT, 0, NULL } },
	{ "ooo subject only, by thread", 0, { .from = NURSE, .to = { OURS },
	    .subject = "Out of Office: Annual leave until 5 August",
	    .in_reply_to = "out-1@example.org" },
	    { KIND_AUTO, "out-of-office reply", 1, "RR-2024-007", "police",
	    MATCH_THREAD, 0, NULL } },
	{ "ooo behind a gateway tag, no case", 0, { .from = NURSE,
	    .to = { OURS },
	    .subject = "[EXTERNAL] Abwesenheitsnotiz: Anfrage" },
	    { KIND_AUTO, "out-of-office reply", 1, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "ooo with forged token still noted by subject", 0, { .from = LEAD,
	    .to = { "rapidreview+rr-2024-007.police.aaaaaaaa@example.org" },
	    .subject = "Automatic reply: [RR-2024-007] request" },
	    { KIND_AUTO, "out-of-office reply", 1, "RR-2024-007", "police",
	    MATCH_SUBJECT, 0, NULL } },
	{ "ooo for unknown case", 0, { .from = LEAD, .to = { OURS },
	    .subject = "Automatic reply: [RR-2024-999] request" },
	    { KIND_AUTO, "out-of-office reply", 1, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "person answering an ooo is not one", 0, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") },
	    .subject = "RE: Automatic reply: [RR-2024-007] request" },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-007", "police",
	    MATCH_TOKEN, 0, NULL } },
	{ "x-autoreply", 0, { .from = LEAD, .to = { OURS },
	    .subject = "Thank you for your email",
	    .headers = { "X-Autoreply: yes" } },
	    { KIND_AUTO, "out-of-office reply", 1, NULL, NULL, MATCH_NONE,
	    0, NULL } },
	{ "auto-generated is not ooo", 0, { .from = "alerts@example.net",
	    .to = { OURS }, .subject = "Your weekly report",
	    .headers = { "Auto-Submitted: auto-generated" } },
	    { KIND_AUTO, "automatic reply (Auto-Submitted)", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "precedence bulk", 0, { .from = "news@example.net",
	    .to = { OURS }, .subject = "Newsletter",
	    .headers = { "Precedence: Bulk" } },
	    { KIND_AUTO, "bulk mail (Precedence)", 0, NULL, NULL, MATCH_NONE,
	    0, NULL } },
	{ "list-id, never ooo", 0, { .from = "someone@example.net",
	    .to = { OURS }, .subject = "Out of office",
	    .headers = { "List-Id: <lscp.lists.example.org>" } },
	    { KIND_AUTO, "mailing list (List-Id)", 0, NULL, NULL, MATCH_NONE,
	    0, NULL } },
	{ "x-auto-response-suppress", 0, { .from = "room@example.net",
	    .to = { OURS }, .subject = "Accepted: meeting",
	    .headers = { "X-Auto-Response-Suppress: DR, RN, NRN" } },
	    { KIND_AUTO, "automatic mail (X-Auto-Response-Suppress)", 0, NULL,
	    NULL, MATCH_NONE, 0, NULL } },
	{ "empty return-path", 0, { .from = "system@example.net",
	    .to = { OURS }, .subject = "Notice", .return_path = "" },
	    { KIND_AUTO, "empty Return-Path", 0, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "read receipt", 0, { .from = LEAD, .to = { OURS },
	    .subject = "Read: [RR-2024-007] request",
	    .headers = { "Content-Type: multipart/report; "
	    "report-type=disposition-notification; boundary=b" },
	    .types = { "message/disposition-notification" } },
	    { KIND_AUTO, "read receipt", 0, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "auto-submitted: no is a person", 0, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return",
	    .headers = { "Auto-Submitted: No (manual)" } },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-007", "police",
	    MATCH_TOKEN, 0, NULL } },

	/* 4. Commands. */
	{ "command to +commands", 0, { .from = ADMIN,
	    .to = { "rapidreview+commands@example.org" }, .subject = "x" },
	    { KIND_COMMAND, "command from an administrator", 0, NULL, NULL,
	    MATCH_NONE, 0, "authentication not required" } },
	{ "command by subject through prefixes", 0, { .from = "BM@Example.org",
	    .to = { OURS }, .subject = "RE: FW: OFFICIAL-SENSITIVE [secure] "
	    "CJSM Commands" },
	    { KIND_COMMAND, "command from an administrator", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "command by subject with colon", 0, { .from = ADMIN, .to = { OURS },
	    .subject = "AW: WG: SV: Fwd: commands: status" },
	    { KIND_COMMAND, "command from an administrator", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "admin's sin-subject mail to +commands is a command", 0, {
	    .from = ADMIN, .to = { OURS },
	    .cc = { "rapidreview+commands@example.org" },
	    .subject = "Serious Incident Notification - Child J",
	    .files = { "SIN form.docx" } },
	    { KIND_COMMAND, "command from an administrator", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "commandsfoo is not commands", 0, { .from = ADMIN, .to = { OURS },
	    .subject = "commandsfoo" },
	    { KIND_QUARANTINE, "not recognised", 0, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "non-admin to +commands", 0, { .from = LEAD,
	    .to = { "rapidreview+commands@example.org" },
	    .subject = "commands" },
	    { KIND_QUARANTINE, "not recognised", 0, NULL, NULL, MATCH_NONE, 0,
	    NULL } },

	/* 5. Serious Incident Notifications. */
	{ "sin by subject", 0, { .from = NOTIFIER, .to = { OURS },
	    .subject = "OFFICIAL-SENSITIVE: serious incident notification - "
	    "Child J" },
	    { KIND_SIN, "serious incident notification", 0, NULL, NULL,
	    MATCH_NONE, 0, "authentication not required" } },
	{ "sin by form name", 0, { .from = NOTIFIER, .to = { OURS },
	    .subject = "New notification", .files = { "photo.jpg",
	    "SIN form Child J.docx" } },
	    { KIND_SIN, "serious incident notification", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "sin by long form name", 0, { .from = NOTIFIER, .to = { OURS },
	    .subject = "For your attention",
	    .files = { "Serious_Incident-Notification.odt" } },
	    { KIND_SIN, "serious incident notification", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },
	{ "sin inside a word is not a sin form", 0, { .from = NOTIFIER,
	    .to = { OURS }, .subject = "For your attention",
	    .files = { "business case.docx", "SIN.pdf" } },
	    { KIND_QUARANTINE, "not recognised", 0, NULL, NULL, MATCH_NONE,
	    0, NULL } },
	{ "sin subject from a non-notifier", 0, { .from = LEAD,
	    .to = { OURS },
	    .subject = "Serious Incident Notification - Child J" },
	    { KIND_QUARANTINE, "not recognised", 0, NULL, NULL, MATCH_NONE,
	    0, NULL } },
	{ "sin follow-up names its case", 0, { .from = NOTIFIER,
	    .to = { OURS }, .subject = "RE: OFFICIAL-SENSITIVE [RR-2024-007] "
	    "Serious Incident Notification received",
	    .in_reply_to = "out-2@example.org" },
	    { KIND_SIN, "serious incident notification (follow-up)", 0,
	    "RR-2024-007", NULL, MATCH_SUBJECT, 0, NULL } },

	/* 6. Agency replies. */
	{ "token in to", 0, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return" },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-007", "police",
	    MATCH_TOKEN, 0, "authentication not required" } },
	{ "token in cc", 0, { .from = "Lead@Example.Police.UK",
	    .to = { "someone@example.org" },
	    .cc = { TOK("RR-2024-010", "police") }, .subject = "return" },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-010", "police",
	    MATCH_TOKEN, 0, NULL } },
	{ "subject tag through prefixes", 0, { .from = NURSE,
	    .to = { OURS }, .subject = "RE: AW: FW: OFFICIAL-SENSITIVE "
	    "[secure] [RR-2024-007] Rapid Review information request" },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-007", "health",
	    MATCH_SUBJECT, 0, NULL } },
	{ "subject tag in lower case", 0, { .from = NURSE, .to = { OURS },
	    .subject = "re: [rr-2024-010] return" },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-010", "health",
	    MATCH_SUBJECT, 0, NULL } },
	{ "subject tag before thread", 0, { .from = LEAD, .to = { OURS },
	    .subject = "RE: [RR-2024-010] return",
	    .in_reply_to = "out-1@example.org" },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-010", "police",
	    MATCH_SUBJECT, 0, NULL } },
	{ "thread by references", 0, { .from = LEAD, .to = { OURS },
	    .subject = "RE: your request",
	    .in_reply_to = "theirs@example.police.uk",
	    .references = { "out-1@example.org",
	    "theirs@example.police.uk" } },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-007", "police",
	    MATCH_THREAD, 0, NULL } },
	{ "thread without agency takes the sender's", 0, { .from = NURSE,
	    .to = { OURS }, .subject = "RE: acknowledgement",
	    .in_reply_to = "out-2@example.org" },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-007", "health",
	    MATCH_THREAD, 0, NULL } },
	{ "unknown case by subject", 0, { .from = LEAD, .to = { OURS },
	    .subject = "RE: [RR-2024-999] request" },
	    { KIND_QUARANTINE, "unknown case", 0, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "unknown case by token", 0, { .from = LEAD,
	    .to = { TOK("RR-2019-001", "police") }, .subject = "return" },
	    { KIND_QUARANTINE, "unknown case", 0, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "unknown case by thread", 0, { .from = LEAD, .to = { OURS },
	    .subject = "RE: request", .in_reply_to = "out-old@example.org" },
	    { KIND_QUARANTINE, "unknown case", 0, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "sender not allowed for token's agency", 0, {
	    .from = "lead.private@gmail.com",
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return" },
	    { KIND_QUARANTINE, "sender not allowed for agency", 0,
	    "RR-2024-007", "police", MATCH_TOKEN, 1, NULL } },
	{ "another agency's sender on a token", 0, { .from = NURSE,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return" },
	    { KIND_QUARANTINE, "sender not allowed for agency", 0,
	    "RR-2024-007", "police", MATCH_TOKEN, 1, NULL } },
	{ "thread agency not the sender's", 0, { .from = NURSE,
	    .to = { OURS }, .subject = "RE: request",
	    .in_reply_to = "out-1@example.org" },
	    { KIND_QUARANTINE, "sender not allowed for agency", 0,
	    "RR-2024-007", "police", MATCH_THREAD, 1, NULL } },
	{ "subject tag from nobody's sender", 0, {
	    .from = "someone@example.com", .to = { OURS },
	    .subject = "[RR-2024-007] hello" },
	    { KIND_QUARANTINE, "sender not allowed for any agency", 0,
	    "RR-2024-007", NULL, MATCH_SUBJECT, 1, NULL } },
	{ "forged token", 0, { .from = LEAD,
	    .to = { "rapidreview+rr-2024-007.police.abcdefgh@example.org" },
	    .subject = "return" },
	    { KIND_QUARANTINE, "forged reply token", 0, NULL, NULL,
	    MATCH_NONE, 1, NULL } },
	{ "forged token beside a good subject tag", 0, { .from = LEAD,
	    .to = { OURS, "RapidReview+junk@example.org" },
	    .subject = "RE: [RR-2024-007] return",
	    .in_reply_to = "out-1@example.org" },
	    { KIND_QUARANTINE, "forged reply token", 0, NULL, NULL,
	    MATCH_NONE, 1, NULL } },
	{ "token for an agency no longer configured", 0, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "probation") }, .subject = "return" },
	    { KIND_QUARANTINE, "agency not configured", 0, "RR-2024-007",
	    "probation", MATCH_TOKEN, 1, NULL } },
	{ "admin in an agency's thread: a note", 0, { .from = ADMIN,
	    .to = { OURS }, .subject = "RE: request",
	    .in_reply_to = "out-1@example.org" },
	    { KIND_REPLY, "note from an administrator", 0, "RR-2024-007", NULL,
	    MATCH_THREAD, 0, NULL } },
	{ "admin with a subject tag: a note", 0, { .from = ADMIN,
	    .to = { OURS }, .subject = "FW: [RR-2024-010] for the file" },
	    { KIND_REPLY, "note from an administrator", 0, "RR-2024-010", NULL,
	    MATCH_SUBJECT, 0, NULL } },

	/* 7. Everything else. */
	{ "nothing known", 0, { .from = "someone@example.com",
	    .to = { OURS }, .subject = "Hello" },
	    { KIND_QUARANTINE, "not recognised", 0, NULL, NULL, MATCH_NONE, 0,
	    NULL } },
	{ "no usable sender", 0, { .from = NULL, .to = { OURS },
	    .subject = "[RR-2024-007] return" },
	    { KIND_QUARANTINE, "sender address unparsable", 0, NULL, NULL,
	    MATCH_NONE, 0, NULL } },

	/* require_authentication = yes */
	{ "auth: trusted pass at top", 1, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return",
	    .headers = { AR_PASS, "Received: from x" } },
	    { KIND_REPLY, "agency reply", 0, "RR-2024-007", "police",
	    MATCH_TOKEN, 0, "dmarc=pass" } },
	{ "auth: trusted fail at top, forged pass below", 1, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return",
	    .headers = { AR "mx.example.org; dkim=none; dmarc=fail "
	    "header.from=example.police.uk", "Received: from x", AR_PASS } },
	    { KIND_QUARANTINE, "authentication failed", 0, "RR-2024-007",
	    "police", MATCH_TOKEN, 1, "dmarc did not pass" } },
	{ "auth: other authserv-id pass only", 1, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return",
	    .headers = { AR "mx.example.police.uk; dmarc=pass "
	    "header.from=example.police.uk" } },
	    { KIND_QUARANTINE, "authentication failed", 0, "RR-2024-007",
	    "police", MATCH_TOKEN, 1,
	    "no Authentication-Results from the trusted server" } },
	{ "auth: dkim pass for another domain", 1, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return",
	    .headers = { AR "mx.example.org; dkim=pass header.d=mailer.example"
	    " header.i=@mailer.example; dmarc=none" } },
	    { KIND_QUARANTINE, "authentication failed", 0, "RR-2024-007",
	    "police", MATCH_TOKEN, 1, "dkim=pass for another domain only" } },
	{ "auth: no header at all", 1, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "return" },
	    { KIND_QUARANTINE, "authentication failed", 0, "RR-2024-007",
	    "police", MATCH_TOKEN, 1,
	    "no Authentication-Results from the trusted server" } },
	{ "auth: not-allowed sender is refused before auth", 1, {
	    .from = "x@gmail.com", .to = { TOK("RR-2024-007", "police") },
	    .subject = "return", .headers = { AR_PASS } },
	    { KIND_QUARANTINE, "sender not allowed for agency", 0,
	    "RR-2024-007", "police", MATCH_TOKEN, 1, NULL } },
	{ "auth: command fails authentication", 1, { .from = ADMIN,
	    .to = { "rapidreview+commands@example.org" }, .subject = "x",
	    .headers = { AR "mx.example.org; dmarc=fail "
	    "header.from=example.org" } },
	    { KIND_QUARANTINE, "authentication failed", 0, NULL, NULL,
	    MATCH_NONE, 1, "dmarc did not pass" } },
	{ "auth: command passes", 1, { .from = ADMIN,
	    .to = { "rapidreview+commands@example.org" }, .subject = "x",
	    .headers = { AR "mx.example.org; dkim=pass "
	    "header.d=example.org" } },
	    { KIND_COMMAND, "command from an administrator", 0, NULL, NULL,
	    MATCH_NONE, 0, "dkim=pass for the sender's domain" } },
	{ "auth: sin passes", 1, { .from = NOTIFIER, .to = { OURS },
	    .subject = "Serious Incident Notification",
	    .headers = { AR "mx.example.org; dmarc=pass "
	    "header.from=example.gov.uk" } },
	    { KIND_SIN, "serious incident notification", 0, NULL, NULL,
	    MATCH_NONE, 0, "dmarc=pass" } },
	{ "auth: sin fails", 1, { .from = NOTIFIER, .to = { OURS },
	    .subject = "Serious Incident Notification" },
	    { KIND_QUARANTINE, "authentication failed", 0, NULL, NULL,
	    MATCH_NONE, 1, NULL } },
	{ "auth: ooo needs none", 1, { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") }, .subject = "Out of office",
	    .headers = { "Auto-Submitted: auto-replied" } },
	    { KIND_AUTO, "out-of-office reply", 1, "RR-2024-007", "police",
	    MATCH_TOKEN, 0, NULL } },
};

static const char *
str_or_null(const char *s)
{
	return s != NULL ? s : "(null)";
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
test_classify_table(void **state)
{
	struct classify_env	 env;
	struct classification	 c;
	struct mime_message	*m;
	const struct row	*r;
	const struct want	*w;
	size_t			 i;
	int			 bad = 0;

	memset(&env, 0, sizeof env);
	env.token_key = key;
	env.is_our_message = cb_is_our_message;
	env.thread_of = cb_thread_of;
	env.case_exists = cb_case_exists;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		r = &rows[i];
		w = &r->want;
		env.cfg = r->auth ? cfg_auth : cfg_plain;
		m = msg_build(&r->msg);
		classify_message(m, &env, &c);
		if (c.kind != w->kind || !same(c.reason, w->reason) ||
		    c.out_of_office != w->ooo ||
		    !same(c.case_ref, w->case_ref) ||
		    !same(c.agency, w->agency) || c.how != w->how ||
		    c.alert != w->alert || (w->auth_detail != NULL &&
		    !same(c.auth_detail, w->auth_detail))) {
			print_error("row %zu '%s': got %s '%s' ooo=%d case=%s "
			    "agency=%s how=%d alert=%d auth='%s'\n", i, r->name,
			    classify_kind_name(c.kind), str_or_null(c.reason),
			    c.out_of_office, str_or_null(c.case_ref),
			    str_or_null(c.agency), (int)c.how, c.alert,
			    str_or_null(c.auth_detail));
			bad++;
		}
		classification_clear(&c);
		msg_free(m);
	}
	assert_int_equal(bad, 0);
}

static void
test_subject_ref(void **state)
{
	static const struct {
		const char	*subject, *ref;
	} t[] = {
		{ "[RR-2024-007] request", "RR-2024-007" },
		{ "RE: AW: FW: OFFICIAL-SENSITIVE [secure] [RR-2024-007] x",
		    "RR-2024-007" },
		{ "Re: [rr-2024-1234] x", "RR-2024-1234" },
		{ "[secure] [RR-2024-07] x [RR-2025-001]", "RR-2025-001" },
		{ "RR-2024-007 without brackets", NULL },
		{ "[RR-2024-007 x]", NULL },
		{ "[RR-24-007]", NULL },
		{ "[RR-2024-0071234567]", NULL },
		{ "[", NULL },
		{ "", NULL },
	};
	char	*ref;
	size_t	 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ref = classify_subject_ref(t[i].subject);
		if (!same(ref, t[i].ref))
			fail_msg("'%s': got %s", t[i].subject,
			    str_or_null(ref));
		free(ref);
	}
}

static void
test_authenticated(void **state)
{
	static const struct {
		const char	*from;
		const char	*headers[3];
		int		 want;
		const char	*detail;
	} t[] = {
		{ LEAD, { AR_PASS }, 1, "dmarc=pass" },
		/* Case of the authserv-id, a version, comments with ';'. */
		{ LEAD, { AR "MX.Example.ORG 1; dkim=pass (2048-bit key; "
		    "unprotected) header.d=\"example.police.uk\" "
		    "header.s=sel1 header.b=AbC; dmarc=fail (p=none; dis=none)"
		    " header.from=example.police.uk" }, 1,
		    "dkim=pass for the sender's domain" },
		{ LEAD, { AR "(our mx) mx.example.org; dkim=pass "
		    "header.i=@EXAMPLE.police.uk" }, 1,
		    "dkim=pass for the sender's domain" },
		{ LEAD, { AR "mx.example.org; dkim=pass "
		    "header.i=lead@example.police.uk" }, 1,
		    "dkim=pass for the sender's domain" },
		/* A subdomain's signature is not the sender's domain. */
		{ LEAD, { AR "mx.example.org; dkim=pass "
		    "header.d=mail.example.police.uk" }, 0,
		    "dkim=pass for another domain only" },
		/* dmarc for another From than ours. */
		{ LEAD, { AR "mx.example.org; dmarc=pass "
		    "header.from=evil.example" }, 0, "dmarc did not pass" },
		/* The topmost trusted one decides, whatever is below. */
		{ LEAD, { AR "mx.example.org; dmarc=fail", AR_PASS }, 0,
		    "dmarc did not pass" },
		{ LEAD, { AR_PASS, AR "mx.example.org; dmarc=fail" }, 1,
		    "dmarc=pass" },
		/* Others are ignored, even above it. */
		{ LEAD, { AR "relay.example.net; dmarc=pass",
		    AR "mx.example.org; dkim=fail header.d=example.police.uk" },
		    0, "no passing dmarc or dkim result" },
		{ LEAD, { AR "mx.example.org.evil; dmarc=pass" }, 0,
		    "no Authentication-Results from the trusted server" },
		{ LEAD, { AR "mx.example.org; none" }, 0,
		    "no passing dmarc or dkim result" },
		{ LEAD, { AR "mx.example.org" }, 0,
		    "no passing dmarc or dkim result" },
		{ LEAD, { AR "mx.example.org; dkim=\"pass\" header.d=example."
		    "police.uk (unterminated" }, 1,
		    "dkim=pass for the sender's domain" },
		{ LEAD, { AR "mx.example.org; =; ==pass; dkim=; dmarc" }, 0,
		    "no passing dmarc or dkim result" },
		/* Stray ')' and unterminated quotes do not stop the parse. */
		{ LEAD, { AR "mx.example.org; ) dkim=fail ) ; dmarc=pass )" },
		    1, "dmarc=pass" },
		{ LEAD, { AR "mx.example.org; dkim=pass header.d=\"example."
		    "police.uk" }, 1, "dkim=pass for the sender's domain" },
		{ NULL, { AR_PASS }, 0, "sender address unparsable" },
	};
	struct spec		 s;
	struct mime_message	*m;
	const char		*detail;
	size_t			 i, j;
	int			 got;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&s, 0, sizeof s);
		s.from = t[i].from;
		for (j = 0; j < 3; j++)
			s.headers[j] = t[i].headers[j];
		m = msg_build(&s);
		detail = NULL;
		got = classify_authenticated(m, "mx.example.org", &detail);
		if (got != t[i].want || !same(detail, t[i].detail))
			fail_msg("row %zu: got %d '%s'", i, got,
			    str_or_null(detail));
		detail = NULL;
		assert_int_equal(classify_authenticated(m, "", &detail), 0);
		assert_non_null(detail);
		msg_free(m);
	}
}

/*
 * Exchange Online's form: no authserv-id, so only the topmost header
 * counts; one below it, or one with an authserv-id on top, does not.
 */
static void
test_authenticated_exchange(void **state)
{
#define EXO	AR "spf=pass (sender IP is 192.0.2.7) " \
		"smtp.mailfrom=example.police.uk; dkim=pass (signature was " \
		"verified) header.d=example.police.uk;dmarc=pass action=none " \
		"header.from=example.police.uk;compauth=pass reason=100"
	static const struct {
		const char	*headers[3];
		int		 want;
		const char	*detail;
	} t[] = {
		{ { EXO }, 1, "dmarc=pass" },
		{ { AR "spf=fail smtp.mailfrom=example.police.uk; dkim=none "
		    "(message not signed) header.d=none;dmarc=fail "
		    "action=quarantine header.from=example.police.uk" }, 0,
		    "dmarc did not pass" },
		{ { AR "spf=pass; dkim=pass header.d=example.police.uk" }, 1,
		    "dkim=pass for the sender's domain" },
		/* A forged pass below Exchange's own fail changes nothing. */
		{ { AR "spf=none; dmarc=none action=none "
		    "header.from=example.police.uk", EXO }, 0,
		    "no passing dmarc or dkim result" },
		/* A header with an authserv-id on top is not Exchange's. */
		{ { AR "mx.example.org; dmarc=pass", EXO }, 0,
		    "the topmost Authentication-Results is not in Exchange "
		    "Online's form" },
		{ { "Received: from x" }, 0,
		    "no Authentication-Results from Exchange Online" },
	};
	struct spec		 s;
	struct mime_message	*m;
	const char		*detail;
	size_t			 i, j;
	int			 got;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&s, 0, sizeof s);
		s.from = LEAD;
		for (j = 0; j < 3; j++)
			s.headers[j] = t[i].headers[j];
		m = msg_build(&s);
		detail = NULL;
		got = classify_authenticated(m, "exchange-online", &detail);
		if (got != t[i].want || !same(detail, t[i].detail))
			fail_msg("row %zu: got %d '%s'", i, got,
			    str_or_null(detail));
		/* Exchange's pass is no pass for a named authserv-id. */
		if (t[i].want)
			assert_int_equal(classify_authenticated(m,
			    "mx.example.org", &detail), 0);
		msg_free(m);
	}
#undef EXO
}

static void
test_kind_names(void **state)
{
	assert_string_equal(classify_kind_name(KIND_LOOP), "loop");
	assert_string_equal(classify_kind_name(KIND_AUTO), "auto");
	assert_string_equal(classify_kind_name(KIND_BOUNCE), "bounce");
	assert_string_equal(classify_kind_name(KIND_COMMAND), "command");
	assert_string_equal(classify_kind_name(KIND_SIN), "sin");
	assert_string_equal(classify_kind_name(KIND_REPLY), "reply");
	assert_string_equal(classify_kind_name(KIND_QUARANTINE),
	    "quarantine");
}

/* No callbacks at all: nothing is ours and no case exists. */
static void
test_no_callbacks(void **state)
{
	static const struct spec s = { .from = LEAD,
	    .to = { TOK("RR-2024-007", "police") },
	    .subject = "[RR-2024-007] return",
	    .message_id = "loop-1@example.org",
	    .in_reply_to = "out-1@example.org" };
	struct classify_env	 env;
	struct classification	 c;
	struct mime_message	*m;

	memset(&env, 0, sizeof env);
	env.cfg = cfg_plain;
	env.token_key = key;
	m = msg_build(&s);
	classify_message(m, &env, &c);
	assert_int_equal(c.kind, KIND_QUARANTINE);
	assert_string_equal(c.reason, "unknown case");
	classification_clear(&c);
	msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_subject_ref),
		cmocka_unit_test(test_authenticated),
		cmocka_unit_test(test_authenticated_exchange),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_no_callbacks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
