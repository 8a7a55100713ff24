/*
 * test_mime.c - the MIME reader over the real mail in the shared corpus
 * (read in place, never copied) and over hostile messages built here.
 *
 * Corpus: $RR_SHARED/corpus/email, else $RR_SRC/../shared/..., else
 * ../shared/...
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
#include <strings.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "mime.h"

struct sb {
	char	*p;
	size_t	 len;
	size_t	 size;
};

static void
sb_add(struct sb *b, const void *p, size_t n)
{
	if (b->size - b->len <= n || b->p == NULL) {
		while (b->size - b->len <= n)
			b->size = b->size ? b->size * 2 : 4096;
		b->p = realloc(b->p, b->size);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_printf(struct sb *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	sb_add(b, s, (size_t)n);
	free(s);
}

static char	corpus[4096];

static void
corpus_init(void)
{
	const char	*e;

	if ((e = getenv("RR_SHARED")) != NULL)
		snprintf(corpus, sizeof corpus, "%s/corpus/email", e);
	else if ((e = getenv("RR_SRC")) != NULL)
		snprintf(corpus, sizeof corpus, "%s/../shared/corpus/email", e);
	else
		snprintf(corpus, sizeof corpus, "../shared/corpus/email");
}

static char *
slurp(const char *rel, size_t *len)
{
	char	 path[8192];
	FILE	*f;
	char	*b;
	long	 n;

	snprintf(path, sizeof path, "%s/%s", corpus, rel);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s (set RR_SHARED)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Sorted "dir/name" of the files in dir ending with suffix. */
static char **
list_dir(const char *dir, const char *suffix, size_t *n)
{
	char		 path[8192], **v = NULL;
	DIR		*d;
	struct dirent	*de;
	size_t		 sl = strlen(suffix), nl;

	*n = 0;
	snprintf(path, sizeof path, "%s/%s", corpus, dir);
	if ((d = opendir(path)) == NULL)
		fail_msg("cannot open %s (set RR_SHARED)", path);
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (de->d_name[0] == '.' || nl < sl || strcmp(de->d_name + nl - sl, suffix) != 0)
			continue;
		v = realloc(v, (*n + 1) * sizeof *v);
		assert_non_null(v);
		assert_true(asprintf(&v[*n], "%s/%s", dir, de->d_name) > 0);
		(*n)++;
	}
	closedir(d);
	qsort(v, *n, sizeof *v, name_cmp);
	return v;
}

static void
list_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
utf8_ok(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 l, i;

	while (*u != '\0') {
		if (*u < 0x80) {
			u++;
			continue;
		}
		if (*u >= 0xc2 && *u <= 0xdf)
			l = 2;
		else if (*u >= 0xe0 && *u <= 0xef)
			l = 3;
		else if (*u >= 0xf0 && *u <= 0xf4)
			l = 4;
		else
			return 0;
		for (i = 1; i < l; i++)
			if ((u[i] & 0xc0) != 0x80)
				return 0;
		u += l;
	}
	return 1;
}

/* What every parsed message must satisfy, whatever came in. */
static void
check_invariants(const struct mime_message *m)
{
	unsigned char	 d[32];
	char		 hex[65];
	size_t		 i, k;

	assert_true(m->n_parts >= 1);
	assert_int_equal(m->parts[0].parent, -1);
	assert_non_null(m->subject);
	assert_true(utf8_ok(m->subject));
	assert_null(strchr(m->subject, '\n'));
	assert_null(strchr(m->subject, '\r'));
	assert_non_null(m->from.name);
	assert_true(utf8_ok(m->from.name));
	assert_non_null(m->text);
	assert_non_null(m->new_text);
	assert_non_null(m->quoted_text);
	assert_true(utf8_ok(m->text));
	assert_true(utf8_ok(m->new_text));
	assert_true(utf8_ok(m->quoted_text));
	for (i = 0; i < m->n_headers; i++)
		assert_true(utf8_ok(m->headers[i].value));
	for (i = 0; i < m->n_to; i++)
		assert_non_null(strchr(m->to[i].addr, '@'));
	for (i = 1; i < m->n_parts; i++) {
		const struct mime_part	*p = &m->parts[i];

		assert_true(p->parent >= 0 && (size_t)p->parent < i);
		assert_int_equal(p->depth, m->parts[p->parent].depth + 1);
	}
	for (i = 0; i < m->n_parts; i++) {
		const struct mime_part	*p = &m->parts[i];

		assert_non_null(p->content_type);
		assert_non_null(strchr(p->content_type, '/'));
		if (p->filename != NULL) {
			assert_true(utf8_ok(p->filename));
			assert_true(strlen(p->filename) <= 200);
			assert_true(strlen(p->filename) > 0);
			assert_null(strchr(p->filename, '/'));
			assert_null(strchr(p->filename, '\\'));
			assert_true(p->filename[0] != '.');
			for (k = 0; p->filename[k] != '\0'; k++)
				assert_true((unsigned char)p->filename[k] >= 0x20);
		}
		if (p->data == NULL) {
			assert_true(strncmp(p->content_type, "multipart/", 10) ==
			    0 || strncmp(p->content_type, "message/", 8) == 0);
			continue;
		}
		assert_int_equal(p->data[p->len], 0);
		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, p->data,
		    p->len, d), 0);
		for (k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", d[k]);
		assert_string_equal(p->sha256, hex);
		if (p->from_tnef)
			assert_true(p->parent >= 0);
	}
	for (i = 0; i < m->n_dsn; i++) {
		assert_non_null(strchr(m->dsn[i].recipient, '@'));
		assert_true(m->dsn[i].status == NULL ||
		    m->dsn[i].status[0] != '\0');
	}
}

static struct mime_message *
parse_ok(const char *raw, size_t len)
{
	struct mime_message	*m = NULL;
	char			*cause = NULL;
	enum mime_error		 e;

	e = mime_parse(raw, len, NULL, &m, &cause);
	if (e != MIME_OK)
		fail_msg("mime_parse: %d %s", e, cause);
	assert_null(cause);
	check_invariants(m);
	return m;
}

static struct mime_message *
parse_file(const char *rel)
{
	struct mime_message	*m;
	size_t			 len;
	char			*raw = slurp(rel, &len);

	m = parse_ok(raw, len);
	free(raw);
	return m;
}

static enum mime_error
parse_err(const char *raw, size_t len, const struct mime_limits *lim,
    char **cause)
{
	struct mime_message	*m = NULL;
	enum mime_error		 e;

	*cause = NULL;
	e = mime_parse(raw, len, lim, &m, cause);
	if (e == MIME_OK) {
		check_invariants(m);
		mime_message_free(m);
		return e;
	}
	assert_null(m);
	assert_non_null(*cause);
	return e;
}

static const struct mime_part *
find_file(const struct mime_message *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->n_parts; i++)
		if (m->parts[i].filename != NULL &&
		    strcmp(m->parts[i].filename, name) == 0)
			return &m->parts[i];
	return NULL;
}

static size_t
count_attachments(const struct mime_message *m)
{
	size_t	i, n = 0;

	for (i = 0; i < m->n_parts; i++)
		n += m->parts[i].is_attachment;
	return n;
}

/* Every message in the corpus parses, and is well-formed after. */
static void
test_corpus_all(void **state)
{
	static const char	*dirs[] = { "clients", "replies", "autoreplies",
	    "bounces", "tnef" };
	size_t			 d, i, n, total = 0;
	char			**files;

	for (d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		files = list_dir(dirs[d], ".eml", &n);
		for (i = 0; i < n; i++) {
			struct mime_message	*m = parse_file(files[i]);

			mime_message_free(m);
			total++;
		}
		list_free(files, n);
	}
	/* 31 clients, 15 replies, 6 autoreplies, 28 bounces, 1 tnef */
	assert_int_equal(total, 81);
}

static const struct {
	const char	*file;
	const char	*subject;
	size_t		 parts;
	size_t		 attachments;
	const char	*names[4];	/* attachment names, any order */
	const char	*text;		/* in m->text */
	int		 from_html;
	const char	*from;
} expect[] = {
	/* RFC 2047 encoded word inside a filename parameter */
	{ "clients/mail__attachment_base64_encoded_name.eml",
	  "Fwd: Signed email causes file attachments", 3, 1,
	  { "This is a test.pdf" }, NULL, 0, "xxxxxxxxx.xxxxxxx@gmail.com" },
	/* RFC 2231 name*= and filename*= with charset iso-8859-1 */
	{ "clients/mmp__pine_nonascii_attachment.eml",
	  "Die Hasen und die Fr\xc3\xb6sche", 3, 1,
	  { "HasenundFr\xc3\xb6sche.txt" }, NULL, 0,
	  "doug@penguin.example.com" },
	/* filename*= beats a name="=?ISO-8859-1?Q?...?=" */
	{ "clients/mail__attachment_quoted_filename.eml",
	  "Eelanal\xc3\xbc\xc3\xbcsi p\xc3\xa4ring", 2, 1,
	  { "Eelanal\xc3\xbc\xc3\xbcsi p\xc3\xa4ring.jpg" }, NULL, 0,
	  "jeff@37signals.com" },
	/* filename*0*=utf-8''..., inline image in related, emoji subject */
	{ "clients/mailparser__nodemailer_unicode.eml",
	  "Nodemailer is unicode friendly \xe2\x9c\x94 (1476358788189)", 9, 3,
	  { "nyan cat \xe2\x9c\x94.gif", "image.png", "notes.txt" },
	  "Hello to myself!", 0, "andris@kreata.ee" },
	/* forwarded message/rfc822 carrying a PDF */
	{ "clients/mail__attachment_message_rfc822.eml", "testing", 6, 1,
	  { "broken.pdf" }, "This is the first part.", 0, "foo@example.com" },
	/* raw UTF-8 in name= and filename= */
	{ "clients/mail__attachment_nonascii_filename.eml", "testing", 3, 1,
	  { "ci\xc3\xable.txt" }, NULL, 0, "foo@example.com" },
	/* related images (C:\TEMP\ paths) are not attachments */
	{ "clients/mmp__netscape47_related.eml",
	  "Die Hasen und die Fr\xc3\xb6sche (Netscape Messenger 4.7)", 9, 2,
	  { "redball.png", "greenball.png" }, "Die Hasen", 0,
	  "dwsauder@example.com" },
	{ "clients/mmp__outlook2000_related_alternative.eml",
	  "Test message from Microsoft Outlook 00", 8, 2,
	  { "greenball.png", "redball.png" }, "The Hare and the Tortoise", 0,
	  "doug@example.com" },
	{ "clients/mimekit__thunderbird31_iso2022jp.eml",
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\xa1\xe3\x83\xbc\xe3"
	  "\x83\xab\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88 (testing Japanese "
	  "emails)", 1, 0, { NULL },
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\x8c", 0, "x@x.com" },
	/* Windows-1252 RFC 2047 subject and body */
	{ "clients/mmp__outlook2000_cp1252_subject.eml",
	  "Die Hasen und die Fr\xc3\xb6sche (Microsoft Outlook 00)", 1, 0,
	  { NULL }, "mi\xc3\x9f" "liche Lage", 0, "doug@example.com" },
	{ "clients/mail__attachment_rfc822_inline_image.eml", "test", 7, 0,
	  { NULL }, NULL, 1, "test@example.com" },
	{ "clients/mail__attachment_only.eml",
	  "this message JUST contains an attachment", 1, 1, { "blah.gz" },
	  NULL, 0, "rfinnie@domain.dom" },
	{ "clients/mimekit__outlook2007_empty_alternative.eml",
	  "test of empty multipart/alternative", 3, 0, { NULL },
	  "same level as the multipart/alternative", 0,
	  "mimekit@example.com" },
	{ "clients/mail__similar_boundaries.eml", "Xxxxxx", 5, 1,
	  { "LOGO.png" }, "Test", 0, "xxxxxx@xxxxxxxx.xxx" },
	{ "clients/mimekit__format_flowed_delsp.eml",
	  "Test of text body with format=flowed; delsp=yes", 1, 0, { NULL },
	  "but now there isa \"You do not currently have access to this "
	  "content.\" at the bottom of therecord\n\nThe URL", 0,
	  "unit-tests@mimekit.net" },
	/* Gmail multipart/alternative: the plain part is the text */
	{ "replies/talon__gmail.eml", "Re: Test", 3, 0, { NULL },
	  "Hello\n\nOn Mon, Apr 2, 2012", 0, "xxx@gmail.com" },
	/* Outlook top-posting, ISO-8859-1 */
	{ "replies/talon__outlook.eml", "Test", 3, 0, { NULL },
	  "The manager's comment:", 0, "me@example.com" },
	/* winmail.dat inside a bounce: no files in it */
	{ "bounces/sisimai__amazon_workmail_with_winmail.eml",
	  "Delivery Status Notification (Failure)", 7, 1, { "winmail.dat" },
	  NULL, 0, "MAILER-DAEMON@us-west-2.amazonses.com" },
	{ "clients/mimekit__hostile_huge_to_header.eml", "Message Subject", 1,
	  0, { NULL }, NULL, 0, "test@test.com" },
};

static void
test_corpus_expected(void **state)
{
	size_t	i, k;

	for (i = 0; i < sizeof expect / sizeof expect[0]; i++) {
		struct mime_message	*m = parse_file(expect[i].file);

		if (strcmp(m->subject, expect[i].subject) != 0)
			fail_msg("%s: subject [%s]", expect[i].file,
			    m->subject);
		if (m->n_parts != expect[i].parts ||
		    count_attachments(m) != expect[i].attachments)
			fail_msg("%s: %zu parts, %zu attachments",
			    expect[i].file, m->n_parts, count_attachments(m));
		for (k = 0; k < 4 && expect[i].names[k] != NULL; k++) {
			const struct mime_part	*p = find_file(m,
			    expect[i].names[k]);

			if (p == NULL || !p->is_attachment)
				fail_msg("%s: no attachment %s", expect[i].file,
				    expect[i].names[k]);
		}
		if (expect[i].text != NULL &&
		    strstr(m->text, expect[i].text) == NULL)
			fail_msg("%s: text [%s]", expect[i].file, m->text);
		assert_int_equal(m->text_from_html, expect[i].from_html);
		assert_non_null(m->from.addr);
		assert_string_equal(m->from.addr, expect[i].from);
		mime_message_free(m);
	}
}

/* Headers: ids, addresses, Return-Path and Date read by hand. */
static void
test_corpus_headers(void **state)
{
	struct mime_message	*m;

	m = parse_file("clients/mail__basic_email.eml");
	assert_string_equal(m->from.name, "Mikel Lindsaar");
	assert_string_equal(m->message_id,
	    "6B7EC235-5B17-4CA8-B2B8-39290DEB43A3@test.lindsaar.net");
	/* Sat, 22 Nov 2008 15:04:59 +1100 */
	assert_int_equal((long long)m->date, 1227326699LL);
	assert_null(m->in_reply_to);
	mime_message_free(m);

	m = parse_file("clients/mmp__pine_nonascii_attachment.eml");
	assert_int_equal(m->n_to, 2);
	assert_string_equal(m->to[0].name, "Joe Blow");
	assert_string_equal(m->to[0].addr, "blow@example.com");
	assert_string_equal(m->to[1].name, "Heinz M\xc3\xbcller");
	assert_string_equal(m->to[1].addr, "mueller@example.com");
	assert_null(m->return_path);
	mime_message_free(m);

	m = parse_file("replies/mimekit__office365_italian_reply_chain.eml");
	/* broken folding in the header must not end the header block */
	assert_string_equal(m->subject, "R: R: R: I: FR-selca LA selcaE");
	assert_string_equal(m->parts[0].content_type, "multipart/alternative");
	assert_int_equal(m->n_references, 2);
	assert_string_equal(m->references[1],
	    "5185e377-81c5-4361-91ba-11d42f4c5cc9@AM5EUR02FT056.eop-EUR02.prod."
	    "protection.outlook.com");
	assert_string_equal(m->in_reply_to, m->references[1]);
	assert_string_equal(m->return_path, "jang.abcdef@xyzlinux12345678.it");
	mime_message_free(m);

	m = parse_file("autoreplies/sisimai__exchange_automatic_reply_ascii.eml");
	assert_string_equal(m->return_path, "");
	assert_non_null(mime_header(m, "X-AUTO-RESPONSE-SUPPRESS"));
	mime_message_free(m);
}

static const struct {
	const char	*file;
	int		 report;
	size_t		 n_dsn;
	const char	*recipient;
	const char	*action;
	const char	*status;
	const char	*original;	/* Message-ID of the returned mail */
} bounces[] = {
	{ "mail__sendmail_delay_rfc822_headers.eml", 1, 1,
	  "fraser@oooooooo.com.au", "delayed", "4.2.2",
	  "15655788.13.1200472642578.JavaMail.Administrator@mail.ttttt.com.au" },
	{ "mail__two_delivery_status_parts.eml", 1, 1, "u@ci.com", "failed",
	  "5.3.0", "4c2a146147ac8_61ff157c4ec1652df@s.h.c.mail" },
	{ "mailparser__amazonses_5.1.1.eml", 1, 1, "xxxx@xxxx.com", "failed",
	  "5.1.1", "xxxxx@email.amazonses.com" },
	{ "mimekit__post_office_1996_no_status.eml", 1, 1,
	  "newsletter-request@imusic.com", "failed", NULL,
	  "31FC7EB4.41C6@netscape.com" },
	/* recipient groups base64-encoded inside the DSN part */
	{ "mimekit__postfix_via_office365_b64_dsn.eml", 1, 1,
	  "netec.test@netecgc.com", "failed", "5.1.1", NULL },
	{ "sisimai__amazon_workmail_with_winmail.eml", 0, 0, NULL, NULL, NULL,
	  NULL },
	{ "sisimai__amazonses_dsn.eml", 1, 1, "shironeko@example.co.jp",
	  "failed", "5.0.0", NULL },
	{ "sisimai__courier_dsn.eml", 1, 1, "kijitora@example.co.jp",
	  "failed", "5.0.0", NULL },
	{ "sisimai__domino_textonly.eml", 0, 0, NULL, NULL, NULL, NULL },
	{ "sisimai__exchange2003_textonly.eml", 0, 0, NULL, NULL, NULL, NULL },
	{ "sisimai__exchange2007_5.1.1_crlf.eml", 1, 1,
	  "mikeneko@example.co.jp", "failed", "5.1.1", NULL },
	{ "sisimai__exim_delay_warning.eml", 0, 0, NULL, NULL, NULL, NULL },
	{ "sisimai__exim_dsn.eml", 1, 1, "kijitora@example.net", "failed",
	  "5.0.0", "neko222-nyaaan-22@neko.example.com" },
	{ "sisimai__exim_textonly.eml", 0, 0, NULL, NULL, NULL, NULL },
	{ "sisimai__gmail_textonly.eml", 0, 0, NULL, NULL, NULL, NULL },
	/* the fixture's delivery-status part is empty (trimmed upstream) */
	{ "sisimai__google_workspace.eml", 1, 0, NULL, NULL, NULL,
	  "CAByYQsF5qdTf_h-1AAVPW0RgR1YN+LE=+0Uv9LpQ4aA_myPtCw@mail.gmail.com" },
	{ "sisimai__office365_5.1.0.eml", 1, 1, "kijitora@example.com",
	  "failed", "5.1.0", NULL },
	/* the fixture is cut inside the first part: no DSN part is left */
	{ "sisimai__office365_5.1.10_crlf.eml", 1, 0, NULL, NULL, NULL, NULL },
	/* multipart/mixed, not multipart/report, with a DSN part */
	{ "sisimai__opensmtpd_delayed.eml", 1, 1, "neko@nyaan.jp", "delayed",
	  "4.0.0", "74f4e3a292556888@df.example.jp" },
	{ "sisimai__opensmtpd_textonly.eml", 0, 0, NULL, NULL, NULL, NULL },
	{ "sisimai__outlookcom_5.1.1.eml", 1, 1, "kijitora@example.jp",
	  "failed", "5.1.1", NULL },
	{ "sisimai__postfix_4.1.1_failed.eml", 1, 1, "kijitora@example.org",
	  "failed", "4.1.1", NULL },
	{ "sisimai__postfix_5.1.1.eml", 1, 1, "r@p351355.pool.example.ne.jp",
	  "failed", "5.1.1", NULL },
	{ "sisimai__qmail_failure_notice.eml", 0, 0, NULL, NULL, NULL, NULL },
	{ "sisimai__rfc3464_sendmail.eml", 1, 1, "userunknown@bouncehammer.jp",
	  "failed", "5.1.1", NULL },
	{ "sisimai__sendmail_5.1.1.eml", 1, 1, "userunknown@bouncehammer.jp",
	  "failed", "5.1.1", NULL },
	{ "sisimai__sendmail_delay_4.5.0.eml", 1, 1,
	  "this-local-part-does-not-exist-on-the-system@y-mobile.ne.jp",
	  "delayed", "4.5.0", NULL },
	{ "sisimai__yahoo_failure_notice.eml", 0, 0, NULL, NULL, NULL, NULL },
};

static void
test_corpus_bounces(void **state)
{
	char			 rel[512];
	size_t			 i, n;
	char			**files;

	files = list_dir("bounces", ".eml", &n);
	assert_int_equal(n, sizeof bounces / sizeof bounces[0]);
	list_free(files, n);
	for (i = 0; i < sizeof bounces / sizeof bounces[0]; i++) {
		struct mime_message	*m;

		snprintf(rel, sizeof rel, "bounces/%s", bounces[i].file);
		m = parse_file(rel);
		if (m->is_report != bounces[i].report ||
		    m->n_dsn != bounces[i].n_dsn)
			fail_msg("%s: report %d, %zu DSN", rel, m->is_report,
			    m->n_dsn);
		if (bounces[i].recipient != NULL) {
			assert_string_equal(m->dsn[0].recipient,
			    bounces[i].recipient);
			assert_string_equal(m->dsn[0].action,
			    bounces[i].action);
			if (bounces[i].status == NULL)
				assert_null(m->dsn[0].status);
			else
				assert_string_equal(m->dsn[0].status,
				    bounces[i].status);
		}
		if (bounces[i].original != NULL) {
			assert_non_null(m->dsn_original_message_id);
			assert_string_equal(m->dsn_original_message_id,
			    bounces[i].original);
		}
		mime_message_free(m);
	}
}

static const struct {
	const char	*file;
	const char	*reply;		/* in new_text */
	const char	*history;	/* in quoted_text, not in new_text */
} replies[] = {
	{ "talon__android.eml", "Hello", "> Hi" },
	{ "talon__aol.eml", "Hello", "Subject: Test" },
	{ "talon__apple_mail.eml", "Hello", "bob wrote:" },
	{ "talon__apple_mail_2.eml", "Hello", "Hi there!" },
	{ "talon__comcast.eml", "Hello", "Original Message" },
	{ "talon__gmail.eml", "Hello", "Megan One" },
	{ "talon__hotmail.eml", "Hello", "> Hi" },
	{ "talon__iphone.eml", "Hello", "> Hi" },
	{ "talon__outlook.eml", "Hello", "The manager's comment" },
	{ "talon__reply_quotations_share_block.eml",
	  "Sounds great.", "New Booking Inquiry" },
	{ "talon__sparrow.eml", "Hello", "Sent with Sparrow" },
	{ "talon__thunderbird.eml", "Hello", "Megan One wrote:" },
	{ "talon__yahoo.eml", "Hello", "Subject: Test" },
	{ "mail__thunderbird106_reply.eml", "Message body", NULL },
	{ "mimekit__office365_italian_reply_chain.eml", "Test headers", NULL },
	{ "talon__gmail.body.html", "Hi. I am fine.", "How are you?" },
	{ "talon__ms_outlook_2007.body.html", "Thanks,\nAlex",
	  "How are you?" },
	{ "talon__ms_outlook_2010.body.html", "Hi. I am fine.",
	  "How are you?" },
	{ "talon__thunderbird.body.html", "Hi. I am fine.",
	  "> Hello! How are you?" },
	{ "talon__windows_mail.body.html", "Alex",
	  "How are you?" },
};

static void
test_corpus_replies(void **state)
{
	char		 rel[512];
	size_t		 i, n, len;
	char		**files, *raw, *text, *nw, *q;

	files = list_dir("replies", "", &n);
	/* every reply fixture has a row */
	assert_int_equal(n, sizeof replies / sizeof replies[0]);
	list_free(files, n);
	for (i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		struct mime_message	*m = NULL;

		snprintf(rel, sizeof rel, "replies/%s", replies[i].file);
		if (strstr(rel, ".body.html") != NULL) {
			raw = slurp(rel, &len);
			text = mime_html_to_text(raw, len);
			mime_split_quoted(text, &nw, &q);
			free(raw);
		} else {
			m = parse_file(rel);
			text = m->text;
			nw = m->new_text;
			q = m->quoted_text;
		}
		if (strstr(nw, replies[i].reply) == NULL)
			fail_msg("%s: new [%s]", rel, nw);
		if (replies[i].history != NULL &&
		    (strstr(nw, replies[i].history) != NULL ||
		    strstr(q, replies[i].history) == NULL))
			fail_msg("%s: new [%s] quoted [%s]", rel, nw, q);
		if (m != NULL)
			mime_message_free(m);
		else {
			free(text);
			free(nw);
			free(q);
		}
	}
}

static char *
wrap_tnef(const unsigned char *data, size_t len, size_t *outlen)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
	    "ghijklmnopqrstuvwxyz0123456789+/";
	struct sb		 b = { NULL, 0, 0 };
	size_t			 i, col = 0;
	unsigned		 v;
	char			 q[4];

	sb_printf(&b, "From: Outlook <sender@example.org>\r\n"
	    "To: rr@example.org\r\nSubject: winmail\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	    "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
	    "--b1\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"winmail.dat\"\r\n\r\n");
	for (i = 0; i < len; i += 3) {
		v = (unsigned)data[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		sb_add(&b, q, 4);
		if ((col += 4) >= 76) {
			sb_add(&b, "\r\n", 2);
			col = 0;
		}
	}
	sb_printf(&b, "\r\n--b1--\r\n");
	*outlen = b.len;
	return b.p;
}

/* Each raw TNEF as winmail.dat: unpacked, or a warning; never a crash. */
static void
test_tnef_wrapped(void **state)
{
	size_t			 i, j, n, len, wlen, unpacked;
	char			**files, *raw, *msg;
	int			 warned;

	files = list_dir("tnef", ".tnef", &n);
	assert_int_equal(n, 12);
	for (i = 0; i < n; i++) {
		struct mime_message	*m;

		raw = slurp(files[i], &len);
		msg = wrap_tnef((unsigned char *)raw, len, &wlen);
		m = parse_ok(msg, wlen);
		unpacked = 0;
		for (j = 0; j < m->n_parts; j++)
			if (m->parts[j].from_tnef) {
				assert_int_equal(m->parts[j].parent, 2);
				unpacked++;
			}
		warned = 0;
		for (j = 0; j < m->n_warnings; j++)
			if (strstr(m->warnings[j], "winmail.dat") != NULL)
				warned = 1;
		if (unpacked == 0 && !warned)
			fail_msg("%s: neither unpacked nor warned", files[i]);
		if (strstr(files[i], "two-files") != NULL) {
			assert_non_null(find_file(m, "AUTHORS"));
			assert_non_null(find_file(m, "README"));
			assert_int_equal(find_file(m, "README")->len, 893);
		} else if (strstr(files[i], "attachments.tnef") != NULL) {
			assert_non_null(find_file(m, "zappa_av1.jpg"));
			assert_string_equal(find_file(m, "bookmark.htm")->
			    content_type, "text/html");
		} else if (strstr(files[i], "long-filename") != NULL)
			assert_non_null(find_file(m, "allproductsmar2000.dat"));
		else if (strstr(files[i], "missing-filenames") != NULL)
			assert_int_equal(count_attachments(m), 1 + 4);
		else if (strstr(files[i], "garbage-at-end") != NULL)
			assert_true(warned);
		mime_message_free(m);
		free(msg);
		free(raw);
	}
	list_free(files, n);
}

/* Every prefix and some bit flips of every TNEF sample: no crash. */
static void
test_tnef_damaged(void **state)
{
	struct mime_tnef_file	*f;
	size_t			 i, n, len, cut, nf;
	char			**files, *raw, *cause;
	unsigned char		*copy;

	files = list_dir("tnef", ".tnef", &n);
	for (i = 0; i < n; i++) {
		raw = slurp(files[i], &len);
		copy = malloc(len);
		assert_non_null(copy);
		for (cut = 0; cut < len; cut += 1 + cut / 16) {
			memcpy(copy, raw, cut);
			(void)mime_tnef_unpack(copy, cut, 100, 1 << 20, &f, &nf,
			    &cause);
			mime_tnef_free(f, nf);
			free(cause);
		}
		for (cut = 6; cut < len; cut += 97) {
			memcpy(copy, raw, len);
			copy[cut] ^= 0xff;
			(void)mime_tnef_unpack(copy, len, 100, 1 << 20, &f, &nf,
			    &cause);
			mime_tnef_free(f, nf);
			free(cause);
		}
		/* no room for files: none returned, whatever the stream */
		(void)mime_tnef_unpack((unsigned char *)raw, len, 0, 1 << 20,
		    &f, &nf, &cause);
		assert_int_equal(nf, 0);
		mime_tnef_free(f, nf);
		free(cause);
		free(copy);
		free(raw);
	}
	list_free(files, n);
}

static char *
nested(unsigned levels, size_t *len)
{
	struct sb	b = { NULL, 0, 0 };
	unsigned	i;

	sb_printf(&b, "From: a@example.org\r\nSubject: deep\r\n");
	for (i = 0; i < levels; i++)
		sb_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%u\""
		    "\r\n\r\n--b%u\r\n", i, i);
	sb_printf(&b, "Content-Type: text/plain\r\n\r\nbottom\r\n");
	for (i = levels; i-- > 0;)
		sb_printf(&b, "--b%u--\r\n", i);
	*len = b.len;
	return b.p;
}

static void
test_hostile_depth(void **state)
{
	struct mime_message	*m;
	char			*raw, *cause;
	size_t			 len;

	raw = nested(40, &len);
	assert_int_equal(parse_err(raw, len, NULL, &cause), MIME_ELIMIT);
	assert_string_equal(cause, "MIME structure nested deeper than 32 levels");
	free(cause);
	free(raw);

	raw = nested(32, &len);		/* a leaf at depth 32: allowed */
	m = parse_ok(raw, len);
	assert_int_equal(m->n_parts, 33);
	assert_int_equal(m->parts[32].depth, 32);
	assert_string_equal(m->text, "bottom");
	mime_message_free(m);
	free(raw);

	raw = nested(33, &len);
	assert_int_equal(parse_err(raw, len, NULL, &cause), MIME_ELIMIT);
	free(cause);
	free(raw);

	raw = nested(100000, &len);	/* never recursed into */
	assert_int_equal(parse_err(raw, len, NULL, &cause), MIME_ELIMIT);
	free(cause);
	free(raw);

	/* message/rfc822 nesting counts too */
	{
		struct sb	b = { NULL, 0, 0 };
		int		i;

		for (i = 0; i < 40; i++)
			sb_printf(&b, "From: a@example.org\r\nContent-Type: "
			    "message/rfc822\r\n\r\n");
		sb_printf(&b, "Subject: x\r\n\r\nhi\r\n");
		assert_int_equal(parse_err(b.p, b.len, NULL, &cause),
		    MIME_ELIMIT);
		free(cause);
		free(b.p);
	}
}

static char *
many_parts(unsigned n, size_t *len)
{
	struct sb	b = { NULL, 0, 0 };
	unsigned	i;

	sb_printf(&b, "From: a@example.org\r\nSubject: many\r\n"
	    "Content-Type: multipart/mixed; boundary=zz\r\n\r\n");
	for (i = 0; i < n; i++)
		sb_printf(&b, "--zz\r\n\r\npart %u\r\n", i);
	sb_printf(&b, "--zz--\r\n");
	*len = b.len;
	return b.p;
}

static void
test_hostile_parts(void **state)
{
	struct mime_message	*m;
	char			*raw, *cause;
	size_t			 len;

	raw = many_parts(1000, &len);	/* 1001 parts with the root */
	assert_int_equal(parse_err(raw, len, NULL, &cause), MIME_ELIMIT);
	assert_string_equal(cause, "more than 1000 MIME parts");
	free(cause);
	free(raw);

	raw = many_parts(999, &len);
	m = parse_ok(raw, len);
	assert_int_equal(m->n_parts, 1000);
	assert_string_equal(m->text, "part 0");
	mime_message_free(m);
	free(raw);

	raw = many_parts(1000000, &len);
	assert_int_equal(parse_err(raw, len, NULL, &cause), MIME_ELIMIT);
	free(cause);
	free(raw);
}

static void
test_hostile_headers(void **state)
{
	struct sb		 b = { NULL, 0, 0 };
	struct mime_message	*m;
	char			*cause;
	int			 i;

	sb_printf(&b, "From: a@example.org\r\n");
	for (i = 0; i < 999; i++)
		sb_printf(&b, "X-H%d: v\r\n", i);
	sb_printf(&b, "\r\nbody\r\n");
	m = parse_ok(b.p, b.len);		/* exactly 1000 */
	assert_int_equal(m->n_headers, 1000);
	mime_message_free(m);
	free(b.p);

	memset(&b, 0, sizeof b);
	sb_printf(&b, "From: a@example.org\r\n");
	for (i = 0; i < 1000; i++)
		sb_printf(&b, "Received: from x%d\r\n", i);
	sb_printf(&b, "\r\nbody\r\n");
	assert_int_equal(parse_err(b.p, b.len, NULL, &cause), MIME_ELIMIT);
	assert_string_equal(cause,
	    "more than 1000 header fields in a MIME entity");
	free(cause);
	free(b.p);

	/* in a nested part too */
	memset(&b, 0, sizeof b);
	sb_printf(&b, "From: a@example.org\r\nContent-Type: multipart/mixed;"
	    " boundary=q\r\n\r\n--q\r\n");
	for (i = 0; i < 1001; i++)
		sb_printf(&b, "X-P%d: v\r\n", i);
	sb_printf(&b, "\r\nbody\r\n--q--\r\n");
	assert_int_equal(parse_err(b.p, b.len, NULL, &cause), MIME_ELIMIT);
	free(cause);
	free(b.p);
}

static void
test_hostile_params(void **state)
{
	struct sb		 b = { NULL, 0, 0 };
	struct mime_message	*m;
	char			*cause, expect_name[512];
	int			 i;

	/* 50 RFC 2231 sections, given out of order: one name */
	sb_printf(&b, "From: a@example.org\r\nContent-Type: multipart/mixed;"
	    " boundary=q\r\n\r\n--q\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment");
	expect_name[0] = '\0';
	for (i = 49; i >= 0; i--)
		sb_printf(&b, ";\r\n filename*%d*=%s%c%%C3%%A9", i,
		    i == 0 ? "UTF-8''" : "", 'a' + i % 26);
	for (i = 0; i < 50; i++)
		snprintf(expect_name + strlen(expect_name),
		    sizeof expect_name - strlen(expect_name), "%c\xc3\xa9",
		    'a' + i % 26);
	sb_printf(&b, "\r\n\r\nJVBERi0=\r\n--q--\r\n");
	m = parse_ok(b.p, b.len);
	assert_string_equal(m->parts[1].filename, expect_name);
	assert_int_equal(m->parts[1].is_attachment, 1);
	mime_message_free(m);
	free(b.p);

	/* 5000 parameters: refused */
	memset(&b, 0, sizeof b);
	sb_printf(&b, "From: a@example.org\r\nContent-Type: text/plain");
	for (i = 0; i < 5000; i++)
		sb_printf(&b, "; x%d*%d*=%%41", i, i);
	sb_printf(&b, "\r\n\r\nbody\r\n");
	assert_int_equal(parse_err(b.p, b.len, NULL, &cause), MIME_ELIMIT);
	assert_string_equal(cause, "more than 100 parameters in a header field");
	free(cause);
	free(b.p);

	/* absurd section numbers and a gap are harmless */
	m = parse_ok("From: a@example.org\r\nContent-Type: text/plain; "
	    "name*99999999*=x; name*0=ab; name*2=cd; name*1*=%ZZ\r\n\r\nb\r\n",
	    strlen("From: a@example.org\r\nContent-Type: text/plain; "
	    "name*99999999*=x; name*0=ab; name*2=cd; name*1*=%ZZ\r\n\r\nb\r\n"));
	assert_string_equal(m->parts[0].filename, "ab%ZZcd");
	mime_message_free(m);
}

static const struct {
	const char	*disposition;	/* header value */
	const char	*expect;
} names[] = {
	{ "attachment; filename=\"../../etc/passwd\"", "passwd" },
	{ "attachment; filename=\"..\\\\..\\\\boot.ini\"", "boot.ini" },
	{ "attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd%0D%0A.txt",
	  "passwd.txt" },
	{ "attachment; filename=\"=?UTF-8?Q?..=2F..=2Fetc=2Fpass=0D=0Awd?=\"",
	  "passwd" },
	{ "attachment; filename=\"a\r\n b.docx\"", "a b.docx" },
	{ "attachment; filename=\"...hidden\"", "hidden" },
	{ "attachment; filename*=utf-8''evil%E2%80%AEcod.exe", "evilcod.exe" },
	{ "attachment; filename=\"..\"", NULL },
	{ "attachment; filename=\"/\"", NULL },
	{ "attachment", NULL },
};

static void
test_hostile_filenames(void **state)
{
	struct sb		 b;
	struct mime_message	*m;
	size_t			 i;
	char			 big[600], *s;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		memset(&b, 0, sizeof b);
		sb_printf(&b, "From: a@example.org\r\nContent-Type: "
		    "application/octet-stream\r\nContent-Disposition: %s\r\n"
		    "\r\ndata\r\n", names[i].disposition);
		m = parse_ok(b.p, b.len);
		if (names[i].expect == NULL)
			assert_null(m->parts[0].filename);
		else {
			assert_non_null(m->parts[0].filename);
			assert_string_equal(m->parts[0].filename,
			    names[i].expect);
		}
		assert_int_equal(m->parts[0].is_attachment, 1);
		mime_message_free(m);
		free(b.p);
	}
	/* 200 bytes at most, the extension kept, UTF-8 not cut */
	memset(big, 0, sizeof big);
	for (i = 0; i < 150; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	strcat(big, ".docx");
	s = mime_filename_sanitise(big);
	assert_true(strlen(s) <= 200);
	assert_true(utf8_ok(s));
	assert_string_equal(s + strlen(s) - 5, ".docx");
	free(s);
	assert_null(mime_filename_sanitise(NULL));
	s = mime_filename_sanitise("C:\\TEMP\\nsmail39.png");
	assert_string_equal(s, "nsmail39.png");
	free(s);
	s = mime_filename_sanitise("bad\xff\xfe.txt");
	assert_string_equal(s, "bad\xef\xbf\xbd\xef\xbf\xbd.txt");
	free(s);
}

static void
test_hostile_bytes(void **state)
{
	static const char	 nul[] = "From: a@example.org\r\nSubject: a\0b"
	    "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\0world"
	    "\r\n";
	static const char	 b64[] = "From: a@example.org\r\n"
	    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64"
	    "\r\n\r\nSGVsbG8gV29y!!bGQ";
	static const char	 qp[] = "From: a@example.org\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "a=3Db=\r\nc= \r\nd=ZZe=4";
	static const char	 open[] = "From: a@example.org\r\n"
	    "Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n"
	    "--x\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
	    "--x\r\nContent-Type: text/html\r\n\r\n<p>second";
	static const char	 headers_only[] = "From: a@example.org\r\n"
	    "Subject: only headers\r\nTo: b@example.org";
	struct mime_message	*m;
	char			*cause;
	size_t			 i;

	m = parse_ok(nul, sizeof nul - 1);
	assert_string_equal(m->subject, "a b");
	assert_string_equal(m->text, "hello\xef\xbf\xbdworld\n");
	assert_int_equal(m->parts[0].len, 13);	/* "hello\0world\r\n" */
	mime_message_free(m);

	m = parse_ok(b64, sizeof b64 - 1);
	assert_string_equal((char *)m->parts[0].data, "Hello World");
	mime_message_free(m);

	m = parse_ok(qp, sizeof qp - 1);
	assert_string_equal((char *)m->parts[0].data, "a=bcd=ZZe=4");
	mime_message_free(m);

	m = parse_ok(open, sizeof open - 1);
	assert_int_equal(m->n_parts, 3);
	assert_string_equal(m->text, "first");
	assert_true(m->n_warnings >= 1);
	assert_string_equal(m->warnings[0],
	    "a multipart part has no closing boundary");
	mime_message_free(m);

	assert_int_equal(parse_err("", 0, NULL, &cause), MIME_EPARSE);
	free(cause);
	assert_int_equal(parse_err("\r\n\r\n  ", 6, NULL, &cause), MIME_EPARSE);
	free(cause);
	assert_int_equal(parse_err("no header here\n", 15, NULL, &cause),
	    MIME_EPARSE);
	free(cause);

	m = parse_ok(headers_only, sizeof headers_only - 1);
	assert_string_equal(m->subject, "only headers");
	assert_string_equal(m->text, "");
	assert_int_equal(m->n_to, 1);
	mime_message_free(m);

	/* every prefix of a real message parses or is refused, no crash */
	{
		size_t	 len;
		char	*raw = slurp("clients/mmp__outlook2000_related_"
		    "alternative.eml", &len);

		for (i = 1; i < len; i += 7) {
			if (parse_err(raw, i, NULL, &cause) != MIME_OK)
				free(cause);
		}
		free(raw);
	}
}

static void
test_hostile_sizes(void **state)
{
	static const char	 big_part[] = "From: a@example.org\r\n"
	    "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "MDEyMzQ1Njc4OTAxMjM0NTY3ODk=\r\n--q--\r\n";
	struct mime_limits	 lim;
	struct mime_message	*m;
	struct sb		 b = { NULL, 0, 0 };
	char			*cause, *line;
	size_t			 n = 4 * 1024 * 1024;

	mime_limits_default(&lim);
	lim.max_message_size = 100;
	assert_int_equal(parse_err("From: a@example.org\r\n\r\n"
	    "01234567890123456789012345678901234567890123456789"
	    "01234567890123456789012345678901234567890123456789", 124, &lim,
	    &cause), MIME_ELIMIT);
	assert_string_equal(cause, "message larger than 100 bytes");
	free(cause);

	mime_limits_default(&lim);
	lim.max_attachment_size = 10;
	assert_int_equal(parse_err(big_part, sizeof big_part - 1, &lim,
	    &cause), MIME_ELIMIT);
	assert_string_equal(cause,
	    "a MIME part larger than 10 bytes once decoded");
	free(cause);

	/* a 4 MB header line and a 4 MB body line */
	line = malloc(n + 1);
	assert_non_null(line);
	memset(line, 'a', n);
	line[n] = '\0';
	sb_printf(&b, "From: a@example.org\r\nSubject: %s\r\n"
	    "X-Encoded: =?utf-8?q?%s\r\n\r\n%s\r\n", line, line, line);
	m = parse_ok(b.p, b.len);
	assert_int_equal(strlen(m->subject), n);
	assert_int_equal(strlen(m->text), n + 1);	/* and its "\n" */
	mime_message_free(m);
	free(b.p);
	free(line);

	/* a huge To: list is cut, with a warning */
	memset(&b, 0, sizeof b);
	sb_printf(&b, "From: a@example.org\r\nTo: ");
	for (n = 0; n < 5000; n++)
		sb_printf(&b, "u%zu@example.org,\r\n ", n);
	sb_printf(&b, "last@example.org\r\n\r\nx\r\n");
	m = parse_ok(b.p, b.len);
	assert_int_equal(m->n_to, 1000);
	assert_int_equal(m->n_warnings, 1);
	mime_message_free(m);
	free(b.p);
}

static void
test_headers_decoding(void **state)
{
	static const char	 raw[] =
	    "Return-Path: <>\r\n"
	    "From: =?utf-8?q?J=C3=B6rg?= \"Quoted, Name\" (comment) "
	    "<Someone@Example.ORG>\r\n"
	    "To: undisclosed-recipients:;\r\n"
	    "Cc: Team: x@EXAMPLE.net, \"y\" <y@example.net>;, bad address,"
	    " old@example.com (Old Style)\r\n"
	    "Subject: =?utf-8?b?4pyU?= =?utf-8?b?IOKclA==?=\r\n"
	    "  =?iso-8859-1?q?_caf=E9?= and =?utf-8?q?line=0D=0Abreak?=\r\n"
	    "Message-ID: <abc@example.org> (comment)\r\n"
	    "In-Reply-To: garbage <first@x> <second@x>\r\n"
	    "References: <r1@x>\r\n <r2@x> <r3@x>\r\n"
	    "Date: Mon, 2 Apr 2012 18:26:00 -0700 (PDT)\r\n"
	    "\r\nbody\r\n";
	static const char	 split[] = "From: a@example.org\r\n"
	    "Subject: =?UTF-8?B?w6k=?= =?UTF-8?Q?=E2=9C?= =?UTF-8?Q?=94?="
	    "\r\n\r\n";
	struct mime_message	*m;

	m = parse_ok(raw, sizeof raw - 1);
	assert_string_equal(m->return_path, "");
	assert_string_equal(m->from.name, "J\xc3\xb6rg Quoted, Name");
	assert_string_equal(m->from.addr, "Someone@example.org");
	assert_int_equal(m->n_to, 0);
	assert_int_equal(m->n_cc, 3);
	assert_string_equal(m->cc[0].addr, "x@example.net");
	assert_string_equal(m->cc[1].name, "y");
	assert_string_equal(m->cc[2].addr, "old@example.com");
	assert_string_equal(m->cc[2].name, "Old Style");
	/* adjacent encoded words join; CR LF inside one becomes spaces */
	assert_string_equal(m->subject,
	    "\xe2\x9c\x94 \xe2\x9c\x94 caf\xc3\xa9 and line  break");
	assert_string_equal(m->message_id, "abc@example.org");
	assert_string_equal(m->in_reply_to, "first@x");
	assert_int_equal(m->n_references, 3);
	assert_string_equal(m->references[2], "r3@x");
	assert_int_equal((long long)m->date, 1333416360LL);
	mime_message_free(m);

	/* a UTF-8 character split over two encoded words */
	m = parse_ok(split, sizeof split - 1);
	assert_string_equal(m->subject, "\xc3\xa9\xe2\x9c\x94");
	mime_message_free(m);
}

static const struct {
	const char	*date;
	long long	 t;
} dates[] = {
	{ "Sat, 22 Nov 2008 15:04:59 +1100", 1227326699LL },
	{ "22 Nov 2008 04:04:59 GMT", 1227326699LL },
	{ "Sat, 22 Nov 08 04:04:59 UT", 1227326699LL },
	{ "Saturday, 22-Nov-2008 04:04 +0000", 1227326640LL },
	{ "Mon, 2 Apr 2012 18:26:00 EDT", 1333405560LL },
	{ "31 Feb 2012 10:00:00 +0000", 0 },
	{ "yesterday", 0 },
	{ "", 0 },
	{ "1 Jan 1969 00:00:00 +0000", 0 },
	{ "Tue, 30 Feb 2024 25:61:00 +0000", 0 },
};

static void
test_dates(void **state)
{
	struct sb		 b;
	struct mime_message	*m;
	size_t			 i;

	for (i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		memset(&b, 0, sizeof b);
		sb_printf(&b, "From: a@example.org\r\nDate: %s\r\n\r\nx\r\n",
		    dates[i].date);
		m = parse_ok(b.p, b.len);
		if ((long long)m->date != dates[i].t)
			fail_msg("%s: %lld", dates[i].date, (long long)m->date);
		mime_message_free(m);
		free(b.p);
	}
}

static void
test_charsets(void **state)
{
	static const struct {
		const char	*cs;
		const char	*in;
		const char	*out;
	} t[] = {
		{ "utf-8", "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "UTF-8", "a\xff" "b\xc3", "a\xef\xbf\xbd" "b\xef\xbf\xbd" },
		{ "utf-8", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "windows-1252", "\x93quoted\x94 \x80", "\xe2\x80\x9cquoted"
		  "\xe2\x80\x9d \xe2\x82\xac" },
		{ "iso-8859-1", "\xe9\x96", "\xc3\xa9\xe2\x80\x93" },
		{ "us-ascii", "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "us-ascii", "caf\xe9", "caf\xc3\xa9" },
		{ NULL, "caf\xe9", "caf\xc3\xa9" },
		{ "x-no-such-charset", "caf\xe9", "caf\xc3\xa9" },
		{ "utf-8//TRANSLIT", "a", "a" },
		{ "iso-8859-15", "\xa4", "\xe2\x82\xac" },
		{ "koi8-r", "\xf0\xd2\xc9", "\xd0\x9f\xd1\x80\xd0\xb8" },
		{ "iso-2022-jp", "\x1b$B$3\x1b(B", "\xe3\x81\x93" },
		{ "shift_jis", "\x82\xa0\x82", "\xe3\x81\x82\xef\xbf\xbd" },
		{ "utf-16le", "a\0b\0", "ab" },
	};
	size_t	i;
	char	*s;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t	len = strlen(t[i].in);

		if (strcmp(t[i].cs != NULL ? t[i].cs : "", "utf-16le") == 0)
			len = 4;
		s = mime_to_utf8(t[i].cs, t[i].in, len);
		if (strcmp(s, t[i].out) != 0)
			fail_msg("%s: [%s]", t[i].cs, s);
		free(s);
	}
}

static const struct {
	const char	*html;
	const char	*text;
} html[] = {
	{ "<p>One</p><p>Two<br>Three</p>", "One\nTwo\nThree" },
	{ "<div>a &amp; b &lt;c&gt; &eacute; &#x2603;</div>",
	  "a & b <c> \xc3\xa9 \xe2\x98\x83" },
	{ "<script>alert(1)</script><style>p{}</style><p>x</p>", "x" },
	{ "<p>reply</p><blockquote><p>old</p><blockquote>older</blockquote>"
	  "</blockquote>", "reply\n> old\n> > older" },
	{ "<ul><li>one</li><li>two</li></ul>", "- one\n- two" },
	{ "<table><tr><td>Label</td><td>Value</td></tr></table>",
	  "Label\tValue" },
	{ "<pre>  a\n  b</pre>", "  a\n  b" },
	{ "<!DOCTYPE html SYSTEM \"file:///etc/passwd\"><p>&xxe;</p>",
	  "&xxe;" },
	{ "<p>a</p>\n\n\n<p>&nbsp;</p><p>&nbsp;</p><p>b</p>", "a\n\nb" },
	{ "", "" },
	{ "<<<>>><!--", ">>>" },
};

static void
test_html(void **state)
{
	size_t	 i, n = 200000;
	char	*s, *big;

	for (i = 0; i < sizeof html / sizeof html[0]; i++) {
		s = mime_html_to_text(html[i].html, strlen(html[i].html));
		if (strcmp(s, html[i].text) != 0)
			fail_msg("%s: [%s]", html[i].html, s);
		free(s);
	}
	/* 200,000 nested elements: no stack overflow */
	big = malloc(n * 5 + 8);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		memcpy(big + i * 5, "<div>", 5);
	memcpy(big + n * 5, "deep", 5);
	s = mime_html_to_text(big, strlen(big));
	free(s);
	free(big);
	/* invalid UTF-8 and NUL bytes */
	s = mime_html_to_text("<p>a\xff\0b</p>", 10);
	assert_string_equal(s, "a\xef\xbf\xbd\xef\xbf\xbd" "b");
	free(s);
}

static const struct {
	const char	*text;
	const char	*new_text;
	const char	*quoted;
} splits[] = {
	{ "Thanks, attached.\n\nAm 02.04.2012 um 18:26 schrieb Max Muster "
	  "<max@example.de>:\n> Hallo\n", "Thanks, attached.",
	  "Am 02.04.2012 um 18:26 schrieb Max Muster <max@example.de>:\n"
	  "> Hallo" },
	{ "Merci.\n\nLe 2 avr. 2012 \xc3\xa0 18:26, Jean <j@example.fr> a "
	  "\xc3\xa9" "crit :\n\n> Bonjour\n", "Merci.",
	  "Le 2 avr. 2012 \xc3\xa0 18:26, Jean <j@example.fr> a \xc3\xa9" "crit :"
	  "\n\n> Bonjour" },
	{ "Done.\n\nOn Mon, Apr 2, 2012 at 6:26 PM, A Person <\n"
	  "a@example.com> wrote:\n\n> Question?\n", "Done.",
	  "On Mon, Apr 2, 2012 at 6:26 PM, A Person <\na@example.com> wrote:\n"
	  "\n> Question?" },
	{ "See below.\n\n________________________________\nFrom: Lead\n"
	  "Sent: 03 July 2024 10:00\nTo: Police\nSubject: RR-2024-007\n\n"
	  "Please reply.\n", "See below.",
	  "________________________________\nFrom: Lead\nSent: 03 July 2024 "
	  "10:00\nTo: Police\nSubject: RR-2024-007\n\nPlease reply." },
	{ "Von: Lead\nGesendet: Mittwoch\nAn: Polizei\nBetreff: RR\n\nText\n",
	  "", "Von: Lead\nGesendet: Mittwoch\nAn: Polizei\nBetreff: RR\n\n"
	  "Text" },
	{ "Answer\n\n-- \nJane Doe\nSocial Worker\n", "Answer",
	  "-- \nJane Doe\nSocial Worker" },
	{ "> q1\na1\n> q2\na2\n", "a1\na2", "> q1\n> q2" },
	{ "From: Should be Ignored\nplain text\n",
	  "From: Should be Ignored\nplain text", "" },
	{ "-----Original Message-----\nFrom: x\n", "",
	  "-----Original Message-----\nFrom: x" },
	{ "", "", "" },
	{ "\n\n\n", "", "" },
};

static void
test_split(void **state)
{
	size_t	 i;
	char	*n, *q;

	for (i = 0; i < sizeof splits / sizeof splits[0]; i++) {
		mime_split_quoted(splits[i].text, &n, &q);
		if (strcmp(n, splits[i].new_text) != 0 ||
		    strcmp(q, splits[i].quoted) != 0)
			fail_msg("%zu: new [%s] quoted [%s]", i, n, q);
		free(n);
		free(q);
	}
	mime_split_quoted(NULL, &n, &q);
	assert_string_equal(n, "");
	free(n);
	free(q);
}

/* What is an attachment and what is body, on a built message. */
static void
test_attachment_kinds(void **state)
{
	static const char	 raw[] =
	    "From: a@example.org\r\n"
	    "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	    "--o\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
	    "--r\r\nContent-Type: text/html\r\n\r\n<p>Hi</p>\r\n"
	    "--r\r\nContent-Type: image/png\r\nContent-ID: <i1>\r\n\r\nx\r\n"
	    "--r--\r\n"
	    "--o\r\nContent-Type: text/csv; name=chron.csv\r\n\r\na,b\r\n"
	    "--o\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n"
	    "--o\r\nContent-Type: text/plain\r\n"
	    "Content-Disposition: attachment\r\n\r\nnotes\r\n"
	    "--o\r\nContent-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "TWVzc2FnZS1JRDogPGZ3ZEB4PgpTdWJqZWN0OiBmd2QKCmlubmVyIHRleHQK\r\n"
	    "--o--\r\n";
	struct mime_message	*m;

	m = parse_ok(raw, sizeof raw - 1);
	assert_int_equal(m->n_parts, 9);
	assert_int_equal(m->parts[3].is_attachment, 0);	/* cid image */
	assert_int_equal(m->parts[4].is_attachment, 1);	/* named csv */
	assert_string_equal(m->parts[4].filename, "chron.csv");
	assert_int_equal(m->parts[5].is_attachment, 1);	/* unnamed pdf */
	assert_int_equal(m->parts[6].is_attachment, 1);	/* disposition */
	assert_string_equal(m->parts[7].content_type, "message/rfc822");
	assert_string_equal(m->parts[8].content_type, "text/plain");
	assert_string_equal((char *)m->parts[8].data, "inner text\n");
	assert_string_equal(m->text, "Hi");		/* not the forward */
	assert_int_equal(m->text_from_html, 1);
	mime_message_free(m);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_corpus_all),
		cmocka_unit_test(test_corpus_expected),
		cmocka_unit_test(test_corpus_headers),
		cmocka_unit_test(test_corpus_bounces),
		cmocka_unit_test(test_corpus_replies),
		cmocka_unit_test(test_tnef_wrapped),
		cmocka_unit_test(test_tnef_damaged),
		cmocka_unit_test(test_hostile_depth),
		cmocka_unit_test(test_hostile_parts),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_hostile_params),
		cmocka_unit_test(test_hostile_filenames),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_headers_decoding),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_attachment_kinds),
	};

	corpus_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
