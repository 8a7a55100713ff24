/*
 * test_compose.c - outgoing messages: header injection refused in every
 * field, RFC 2047 and RFC 2231 round trips through decoders written here
 * (and libetpan's as a second opinion), quoted-printable and base64 line
 * rules, threading headers, the multipart tree as libetpan parses it, and
 * CRLF / 998-octet line discipline on every message built.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "compose.h"
#include "xmalloc.h"

static void	test_headers(void **);
static void	test_threading(void **);
static void	test_injection(void **);
static void	test_refused(void **);
static void	test_addresses(void **);
static void	test_subject_2047(void **);
static void	test_names_2047(void **);
static void	test_header_2047(void **);
static void	test_filename_2231(void **);
static void	test_qp(void **);
static void	test_base64(void **);
static void	test_structure(void **);
static void	test_boundaries(void **);
static void	test_message_id(void **);
static void	test_date(void **);

/* ---- Helpers: a growable string --------------------------------------- */

struct sbuf {
	char	*d;
	size_t	 len, cap;
};

static void
sb_add(struct sbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->d = xreallocarray(b->d, 1, b->cap);
	}
	memcpy(b->d + b->len, p, n);
	b->len += n;
	b->d[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static char *
sb_take(struct sbuf *b)
{
	if (b->d == NULL)
		sb_add(b, "", 0);
	return b->d;
}

/* ---- Helpers: a base message and building it -------------------------- */

static const char	*ref_ids[] = {
	"<20240701090000.0123456789abcdef@northshire-scp.org.uk>",
	"<AM0PR01MB1234.eurprd01.prod.outlook.com@AM0PR01MB1234>",
	"<3@x.example>",
};

struct fixture {
	struct compose_message	m;
	struct compose_address	to[3], cc[1], reply_to;
	struct compose_header	headers[2];
	struct compose_part	alts[1], atts[2];
};

static const char ics[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n"
    "END:VCALENDAR\r\n";

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	f->to[0].addr = "pvp.safeguarding@northshire.police.uk";
	f->to[0].name = "Northshire Police";
	f->to[1].addr = "named.nurse@health.nhs.uk";
	f->to[2].addr = "o'brien@northshire.gov.uk";
	f->to[2].name = "Siobhán O'Brien";
	f->cc[0].addr = "business.manager@northshire-scp.org.uk";
	f->cc[0].name = "Business Manager";
	f->reply_to.addr =
	    "rapidreview+rr-2024-007.police.k3f9q2m1@northshire-scp.org.uk";
	f->headers[0].name = "X-RapidReview-Case";
	f->headers[0].value = "RR-2024-007";
	f->alts[0].content_type = "text/calendar";
	f->alts[0].method = "REQUEST";
	f->alts[0].data = ics;
	f->alts[0].len = sizeof ics - 1;
	f->atts[0].content_type = "application/pdf";
	f->atts[0].filename = "pack RR-2024-007.pdf";
	f->atts[0].data = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
	f->atts[0].len = 15;
	f->atts[1].content_type = "application/ics";
	f->atts[1].filename = "invite.ics";
	f->atts[1].data = ics;
	f->atts[1].len = sizeof ics - 1;

	f->m.from.addr = "rapidreview@northshire-scp.org.uk";
	f->m.from.name = "Northshire SCP Rapid Reviews";
	f->m.to = f->to;
	f->m.nto = 3;
	f->m.cc = f->cc;
	f->m.ncc = 1;
	f->m.reply_to = &f->reply_to;
	f->m.subject =
	    "OFFICIAL-SENSITIVE [RR-2024-007] Request for information";
	f->m.message_id = "<20240708083000.feedface@northshire-scp.org.uk>";
	f->m.date = 1720427400;		/* 2024-07-08 08:30:00 UTC */
	f->m.timezone = "Europe/London";
	f->m.in_reply_to = ref_ids[0];
	f->m.references = ref_ids;
	f->m.nreferences = 1;
	f->m.loop = "rapidreview@northshire-scp.org.uk";
	f->m.headers = f->headers;
	f->m.nheaders = 1;
	f->m.text = "Dear colleague,\n\nPlease reply by 15 July.\n";
	f->m.text_len = strlen(f->m.text);
}

/*
 * Every message must end each line with CRLF, hold no bare CR or LF and no
 * line over 998 octets; header lines stay within 78 unless one token (a
 * message id, an address) is longer.
 */
static void
check_lines(const char *msg, size_t len)
{
	size_t	i, start = 0, n;
	int	in_head = 1;

	assert_true(len >= 2);
	assert_memory_equal(msg + len - 2, "\r\n", 2);
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r') {
			assert_true(i + 1 < len && msg[i + 1] == '\n');
			n = i - start;
			assert_true(n <= 998);
			if (n == 0)
				in_head = 0;
			if (in_head && n > 78 &&
			    strncmp(msg + start, "Message-ID:", 11) != 0 &&
			    strncmp(msg + start, "In-Reply-To:", 12) != 0 &&
			    strncmp(msg + start, "References:", 11) != 0 &&
			    memmem(msg + start, n, "filename*=", 10) == NULL)
				fail_msg("header line of %zu: %.*s", n, (int)n,
				    msg + start);
			i++;
			start = i + 1;
		} else
			assert_true(msg[i] != '\n');
	}
	assert_int_equal(strlen(msg), len);
}

/* Not inlined: gcc 12 -O3 then takes the result for a pointer to out. */
static __attribute__((noinline)) char *
build(const struct compose_message *m, size_t *lenp)
{
	char	*out = NULL, *cause = NULL, *msg;
	size_t	 len = 0;

	if (compose_build(m, &out, &len, &cause) != 0)
		fail_msg("compose_build: %s", cause);
	msg = out;
	check_lines(msg, len);
	if (lenp != NULL)
		*lenp = len;
	return msg;
}

static char *
build_fail(const struct compose_message *m)
{
	char	*out = (char *)1, *cause = NULL;
	size_t	 len = 1;

	assert_int_equal(compose_build(m, &out, &len, &cause), -1);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_non_null(cause);
	return cause;
}

/* ---- Helpers: reading headers back ------------------------------------ */

/* The raw field "Name: ..." with its folding, or NULL. Caller frees. */
static char *
header_raw(const char *msg, const char *name)
{
	const char	*end = strstr(msg, "\r\n\r\n"), *p = msg, *q, *eol;
	size_t		 nlen = strlen(name);

	assert_non_null(end);
	while (p < end + 2) {
		eol = strstr(p, "\r\n");
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			q = eol;
			while (q[2] == ' ' || q[2] == '\t')
				q = strstr(q + 2, "\r\n");
			return xstrndup(p, q - p);
		}
		p = eol + 2;
	}
	return NULL;
}

/* The unfolded value after "Name:" and its blanks. Caller frees. */
static char *
header_value(const char *msg, const char *name)
{
	char	*raw = header_raw(msg, name), *r, *w, *v;

	if (raw == NULL)
		return NULL;
	for (r = w = raw; *r != '\0'; r++) {
		if (r[0] == '\r' && r[1] == '\n') {
			r++;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	v = raw + strlen(name) + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	v = xstrdup(v);
	free(raw);
	return v;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
b64_decode(const char *s, size_t len, struct sbuf *out)
{
	static const char	 alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned		 acc = 0;
	int			 bits = 0;
	size_t			 i, n = 0;
	const char		*p;
	unsigned char		 c;

	for (i = 0; i < len; i++) {
		if (s[i] == '=' || s[i] == '\r' || s[i] == '\n')
			continue;
		p = strchr(alpha, s[i]);
		assert_non_null(p);
		acc = (acc << 6) | (unsigned)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			c = (acc >> bits) & 0xff;
			sb_add(out, &c, 1);
			n++;
		}
	}
	return n;
}

/*
 * One RFC 2047 encoded-word, written from the RFC rather than from
 * compose.c: =?charset?B|Q?text?=, at most 75 characters.
 */
static int
decode_word(const char *w, size_t len, struct sbuf *out)
{
	const char	*q1, *q2;
	size_t		 i;
	unsigned char	 c;
	int		 hi, lo;

	if (len < 8 || strncmp(w, "=?", 2) != 0 ||
	    strncmp(w + len - 2, "?=", 2) != 0)
		return 0;
	assert_true(len <= 75);
	q1 = memchr(w + 2, '?', len - 4);
	assert_non_null(q1);
	assert_true(strncasecmp(w + 2, "UTF-8?", 6) == 0);
	q2 = q1 + 2;
	assert_int_equal(*q2, '?');
	if (q1[1] == 'B' || q1[1] == 'b') {
		b64_decode(q2 + 1, w + len - 2 - (q2 + 1), out);
		return 1;
	}
	assert_true(q1[1] == 'Q' || q1[1] == 'q');
	for (i = q2 + 1 - w; i < len - 2; i++) {
		if (w[i] == '_')
			c = ' ';
		else if (w[i] == '=') {
			hi = hexval(w[i + 1]);
			lo = hexval(w[i + 2]);
			assert_true(hi >= 0 && lo >= 0);
			c = hi << 4 | lo;
			i += 2;
		} else {
			/* RFC 2047 §5 (3): the only literals in a phrase. */
			assert_true(isalnum((unsigned char)w[i]) ||
			    strchr("!*+-/", w[i]) != NULL);
			c = w[i];
		}
		sb_add(out, &c, 1);
	}
	return 1;
}

/*
 * Unstructured text with encoded-words: white space between two adjacent
 * encoded-words is dropped (RFC 2047 §6.2), any other is kept.
 */
static char *
decode_2047(const char *s)
{
	struct sbuf	 out = { NULL, 0, 0 };
	const char	*ws, *tok;
	int		 prev = 0, ew;
	struct sbuf	 word;

	while (*s != '\0') {
		ws = s;
		while (*s == ' ' || *s == '\t')
			s++;
		tok = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		memset(&word, 0, sizeof word);
		ew = decode_word(tok, s - tok, &word);
		if (!(ew && prev) || tok == s)
			sb_add(&out, ws, tok - ws);
		if (ew)
			sb_add(&out, word.d != NULL ? word.d : "", word.len);
		else
			sb_add(&out, tok, s - tok);
		free(word.d);
		prev = ew;
	}
	return sb_take(&out);
}

/* A display name: quoted-string, or atoms and encoded-words. */
static char *
decode_phrase(const char *s, size_t len)
{
	struct sbuf	 out = { NULL, 0, 0 };
	char		*tmp, *dec;
	size_t		 i;

	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len > 0 && s[0] == '"') {
		assert_int_equal(s[len - 1], '"');
		for (i = 1; i < len - 1; i++) {
			if (s[i] == '\\')
				i++;
			sb_add(&out, s + i, 1);
		}
		return sb_take(&out);
	}
	tmp = xstrndup(s, len);
	dec = decode_2047(tmp);
	free(tmp);
	return dec;
}

/* Quoted-printable, per RFC 2045 §6.7; also checks the 76 limit. */
static char *
qp_decode(const char *s, size_t len, size_t *outlen)
{
	struct sbuf	out = { NULL, 0, 0 };
	size_t		i, col = 0;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			assert_int_equal(s[i + 1], '\n');
			assert_true(col <= 76);
			/* No blank may end an encoded line. */
			if (col > 0)
				assert_true(s[i - 1] != ' ' &&
				    s[i - 1] != '\t');
			sb_add(&out, "\r\n", 2);
			i++;
			col = 0;
			continue;
		}
		if (s[i] == '=' && s[i + 1] == '\r') {
			assert_true(col + 1 <= 76);
			i += 2;
			col = 0;
			continue;
		}
		if (s[i] == '=') {
			assert_true(hexval(s[i + 1]) >= 0 &&
			    hexval(s[i + 2]) >= 0);
			assert_true(isupper((unsigned char)s[i + 1]) ||
			    isdigit((unsigned char)s[i + 1]));
			c = hexval(s[i + 1]) << 4 | hexval(s[i + 2]);
			sb_add(&out, &c, 1);
			i += 2;
			col += 3;
			continue;
		}
		assert_true(s[i] == ' ' || s[i] == '\t' ||
		    (s[i] >= 33 && s[i] <= 126));
		sb_add(&out, s + i, 1);
		col++;
	}
	*outlen = out.len;
	return sb_take(&out);
}

/* Text as it should come back: every line ending CRLF. */
static char *
crlf_text(const char *s, size_t len, size_t *outlen)
{
	struct sbuf	out = { NULL, 0, 0 };
	size_t		i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			sb_add(&out, "\r", 1);
		sb_add(&out, s + i, 1);
	}
	if (len > 0 && s[len - 1] != '\n')
		sb_add(&out, "\r\n", 2);
	*outlen = out.len;
	return sb_take(&out);
}

/* ---- Helpers: libetpan's view ----------------------------------------- */

static void
describe(struct mailmime *mm, struct sbuf *out)
{
	clistiter	*it;
	int		 first = 1;

	switch (mm->mm_type) {
	case MAILMIME_MESSAGE:
		assert_non_null(mm->mm_data.mm_message.mm_msg_mime);
		describe(mm->mm_data.mm_message.mm_msg_mime, out);
		break;
	case MAILMIME_MULTIPLE:
		sb_str(out, mm->mm_content_type->ct_subtype);
		sb_str(out, "(");
		for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
		    it != NULL; it = clist_next(it)) {
			if (!first)
				sb_str(out, ",");
			first = 0;
			describe(clist_content(it), out);
		}
		sb_str(out, ")");
		break;
	case MAILMIME_SINGLE:
		sb_str(out, mm->mm_content_type->ct_subtype);
		break;
	default:
		fail();
	}
}

/* The n-th (from 0) single part, depth first. */
static struct mailmime *
leaf(struct mailmime *mm, int *n)
{
	struct mailmime	*r;
	clistiter	*it;

	switch (mm->mm_type) {
	case MAILMIME_MESSAGE:
		return leaf(mm->mm_data.mm_message.mm_msg_mime, n);
	case MAILMIME_MULTIPLE:
		for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
		    it != NULL; it = clist_next(it)) {
			if ((r = leaf(clist_content(it), n)) != NULL)
				return r;
		}
		return NULL;
	default:
		return (*n)-- == 0 ? mm : NULL;
	}
}

static const char *
content_param(struct mailmime *mm, const char *name)
{
	struct mailmime_parameter	*p;
	clistiter			*it;

	for (it = clist_begin(mm->mm_content_type->ct_parameters); it != NULL;
	    it = clist_next(it)) {
		p = clist_content(it);
		if (strcasecmp(p->pa_name, name) == 0)
			return p->pa_value;
	}
	return NULL;
}

/* A leaf's body decoded by libetpan. Caller frees. */
static char *
leaf_decode(struct mailmime *mm, size_t *len)
{
	struct mailmime_data	*d = mm->mm_data.mm_single;
	char			*res, *copy;
	size_t			 idx = 0, rlen;

	assert_int_equal(mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, d->dt_encoding, &res, &rlen),
	    MAILIMF_NO_ERROR);
	copy = xmalloc(rlen + 1);
	memcpy(copy, res, rlen);
	copy[rlen] = '\0';
	mailmime_decoded_part_free(res);
	*len = rlen;
	return copy;
}

static struct mailmime *
parse_mime(const char *msg, size_t len)
{
	struct mailmime	*mm = NULL;
	size_t		 idx = 0;

	assert_int_equal(mailmime_parse(msg, len, &idx, &mm),
	    MAILIMF_NO_ERROR);
	assert_non_null(mm);
	return mm;
}

/* ---- Tests ------------------------------------------------------------ */

static const struct {
	const char	*name;
	const char	*value;
} header_cases[] = {
	{ "Date", "Mon, 08 Jul 2024 09:30:00 +0100" },
	{ "From", "Northshire SCP Rapid Reviews "
	  "<rapidreview@northshire-scp.org.uk>" },
	{ "Cc", "Business Manager <business.manager@northshire-scp.org.uk>" },
	{ "Reply-To",
	  "rapidreview+rr-2024-007.police.k3f9q2m1@northshire-scp.org.uk" },
	{ "Subject",
	  "OFFICIAL-SENSITIVE [RR-2024-007] Request for information" },
	{ "Message-ID", "<20240708083000.feedface@northshire-scp.org.uk>" },
	{ "In-Reply-To",
	  "<20240701090000.0123456789abcdef@northshire-scp.org.uk>" },
	{ "References",
	  "<20240701090000.0123456789abcdef@northshire-scp.org.uk>" },
	{ "Auto-Submitted", "auto-generated" },
	{ "X-Loop", "rapidreview@northshire-scp.org.uk" },
	{ "X-RapidReview-Case", "RR-2024-007" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "text/plain; charset=UTF-8" },
	{ "Content-Transfer-Encoding", "quoted-printable" },
};

static void
test_headers(void **state)
{
	struct fixture	 f;
	const char	*order[] = { "Date:", "From:", "To:", "Cc:",
			    "Reply-To:", "Subject:", "Message-ID:",
			    "In-Reply-To:", "References:", "Auto-Submitted:",
			    "X-Loop:", "X-RapidReview-Case:", "MIME-Version:",
			    "Content-Type:" };
	char		*msg, *v, *body;
	const char	*at, *prev = NULL;
	size_t		 i;

	fixture_init(&f);
	msg = build(&f.m, NULL);
	for (i = 0; i < sizeof header_cases / sizeof header_cases[0]; i++) {
		v = header_value(msg, header_cases[i].name);
		if (v == NULL)
			fail_msg("no %s", header_cases[i].name);
		assert_string_equal(v, header_cases[i].value);
		free(v);
	}
	v = header_value(msg, "To");
	assert_non_null(strstr(v, "Northshire Police "
	    "<pvp.safeguarding@northshire.police.uk>, "
	    "named.nurse@health.nhs.uk, "));
	assert_non_null(strstr(v, "<o'brien@northshire.gov.uk>"));
	free(v);
	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		at = strstr(msg, order[i]);
		assert_non_null(at);
		assert_true(at == msg || at[-1] == '\n');
		assert_true(prev == NULL || at > prev);
		prev = at;
	}
	assert_null(header_raw(msg, "Bcc"));
	body = strstr(msg, "\r\n\r\n") + 4;
	assert_string_equal(body, "Dear colleague,\r\n\r\n"
	    "Please reply by 15 July.\r\n");
	free(msg);

	/* Without a Message-ID one is made from From's domain and date. */
	f.m.message_id = NULL;
	f.m.timezone = NULL;
	f.m.reply_to = NULL;
	f.m.loop = NULL;
	f.m.ncc = 0;
	msg = build(&f.m, NULL);
	v = header_value(msg, "Message-ID");
	assert_int_equal(strncmp(v, "<20240708083000.", 16), 0);
	assert_non_null(strstr(v, "@northshire-scp.org.uk>"));
	free(v);
	v = header_value(msg, "Date");
	assert_string_equal(v, "Mon, 08 Jul 2024 08:30:00 +0000");
	free(v);
	assert_null(header_raw(msg, "Reply-To"));
	assert_null(header_raw(msg, "X-Loop"));
	assert_null(header_raw(msg, "Cc"));
	v = header_value(msg, "Auto-Submitted");
	assert_string_equal(v, "auto-generated");
	free(v);
	free(msg);
}

static void
test_threading(void **state)
{
	struct fixture	 f;
	char		*msg, *v, *raw;

	fixture_init(&f);
	f.m.nreferences = 3;
	f.m.in_reply_to = ref_ids[2];
	msg = build(&f.m, NULL);
	v = header_value(msg, "In-Reply-To");
	assert_string_equal(v, ref_ids[2]);
	free(v);
	v = header_value(msg, "References");
	assert_string_equal(v, "<20240701090000.0123456789abcdef@"
	    "northshire-scp.org.uk> <AM0PR01MB1234.eurprd01.prod.outlook.com@"
	    "AM0PR01MB1234> <3@x.example>");
	free(v);
	/* Folded between ids, one per line here. */
	raw = header_raw(msg, "References");
	assert_non_null(strstr(raw, ">\r\n <AM0PR01MB1234"));
	free(raw);
	free(msg);

	/* In-Reply-To alone is also the References. */
	f.m.nreferences = 0;
	msg = build(&f.m, NULL);
	v = header_value(msg, "References");
	assert_string_equal(v, ref_ids[2]);
	free(v);
	free(msg);

	/* A case's first message has neither. */
	f.m.in_reply_to = NULL;
	msg = build(&f.m, NULL);
	assert_null(header_raw(msg, "In-Reply-To"));
	assert_null(header_raw(msg, "References"));
	free(msg);
}

enum field {
	F_FROM_ADDR, F_FROM_NAME, F_TO_ADDR, F_TO_NAME, F_CC_ADDR, F_CC_NAME,
	F_REPLY_TO, F_SUBJECT, F_MSGID, F_IN_REPLY_TO, F_REFERENCES, F_LOOP,
	F_HDR_NAME, F_HDR_VALUE, F_ALT_TYPE, F_ALT_METHOD, F_ATT_TYPE,
	F_ATT_NAME, F_ATT_METHOD,
};

static void
set_field(struct fixture *f, enum field which, const char *value)
{
	static const char	*refs[2];

	switch (which) {
	case F_FROM_ADDR:	f->m.from.addr = value; break;
	case F_FROM_NAME:	f->m.from.name = value; break;
	case F_TO_ADDR:		f->to[1].addr = value; break;
	case F_TO_NAME:		f->to[1].name = value; break;
	case F_CC_ADDR:		f->cc[0].addr = value; break;
	case F_CC_NAME:		f->cc[0].name = value; break;
	case F_REPLY_TO:	f->reply_to.addr = value; break;
	case F_SUBJECT:		f->m.subject = value; break;
	case F_MSGID:		f->m.message_id = value; break;
	case F_IN_REPLY_TO:	f->m.in_reply_to = value; break;
	case F_REFERENCES:
		refs[0] = ref_ids[0];
		refs[1] = value;
		f->m.references = refs;
		f->m.nreferences = 2;
		break;
	case F_LOOP:		f->m.loop = value; break;
	case F_HDR_NAME:	f->headers[0].name = value; break;
	case F_HDR_VALUE:	f->headers[0].value = value; break;
	case F_ALT_TYPE:	f->alts[0].content_type = value; break;
	case F_ALT_METHOD:	f->alts[0].method = value; break;
	case F_ATT_TYPE:	f->atts[0].content_type = value; break;
	case F_ATT_NAME:	f->atts[1].filename = value; break;
	case F_ATT_METHOD:	f->atts[1].method = value; break;
	}
	f->m.alternatives = f->alts;
	f->m.nalternatives = 1;
	f->m.attachments = f->atts;
	f->m.nattachments = 2;
}

static const struct {
	enum field	 field;
	const char	*value;
	const char	*cause;
} injection_cases[] = {
	{ F_FROM_ADDR, "rapidreview@x.org\r\nBcc: a@b.c",
	  "header injection: CR/LF in From address" },
	{ F_FROM_NAME, "Rapid Reviews\r\nBcc: a@b.c",
	  "header injection: CR/LF in From display name" },
	{ F_TO_ADDR, "a@b.c\nRCPT TO:<evil@x.com>",
	  "header injection: CR/LF in To address 2" },
	{ F_TO_ADDR, "a@b.c\r", "header injection: CR/LF in To address 2" },
	{ F_TO_NAME, "Nurse\n",
	  "header injection: CR/LF in To display name 2" },
	{ F_CC_ADDR, "\r\na@b.c", "header injection: CR/LF in Cc address 1" },
	{ F_CC_NAME, "Zo\xc3\xab\r\nX: y",
	  "header injection: CR/LF in Cc display name 1" },
	{ F_REPLY_TO, "r@x.org\r\n",
	  "header injection: CR/LF in Reply-To address" },
	{ F_SUBJECT, "Request\r\nBcc: evil@x.com",
	  "header injection: CR/LF in Subject" },
	{ F_SUBJECT, "Request\n\nbody", "header injection: CR/LF in Subject" },
	{ F_SUBJECT, "caf\xc3\xa9\rx", "header injection: CR/LF in Subject" },
	{ F_MSGID, "<a@b>\r\nBcc: x@y.z",
	  "header injection: CR/LF in Message-ID" },
	{ F_IN_REPLY_TO, "<a@b>\n", "header injection: CR/LF in In-Reply-To" },
	{ F_REFERENCES, "<a@b>\r\n",
	  "header injection: CR/LF in References 2" },
	{ F_LOOP, "l@x.org\r\n", "header injection: CR/LF in X-Loop" },
	{ F_HDR_NAME, "X-Case\r\nBcc",
	  "header injection: CR/LF in header name 1" },
	{ F_HDR_VALUE, "RR-2024-007\r\nBcc: x@y.z",
	  "header injection: CR/LF in X-RapidReview-Case" },
	{ F_ALT_TYPE, "text/calendar\r\nX: y",
	  "header injection: CR/LF in alternative 1 content type" },
	{ F_ALT_METHOD, "REQUEST\r\n",
	  "header injection: CR/LF in alternative 1 method" },
	{ F_ATT_TYPE, "application/pdf\n",
	  "header injection: CR/LF in attachment 1 content type" },
	{ F_ATT_NAME, "invite.ics\r\nContent-Type: text/html",
	  "header injection: CR/LF in attachment 2 file name" },
	{ F_ATT_NAME, "a\nb.pdf",
	  "header injection: CR/LF in attachment 2 file name" },
	{ F_ATT_METHOD, "REQUEST\n",
	  "header injection: CR/LF in attachment 2 method" },
	/* Other control characters, and text that is not UTF-8. */
	{ F_SUBJECT, "tab\there", "control character in Subject" },
	{ F_SUBJECT, "nul\x01", "control character in Subject" },
	{ F_SUBJECT, "del\x7f", "control character in Subject" },
	{ F_FROM_NAME, "esc\x1b[31m",
	  "control character in From display name" },
	{ F_ATT_NAME, "a\tb.pdf",
	  "control character in attachment 2 file name" },
	{ F_HDR_VALUE, "x\x0by", "control character in X-RapidReview-Case" },
	{ F_SUBJECT, "caf\xe9", "Subject is not valid UTF-8" },
	{ F_TO_NAME, "\xc0\xaf", "To display name 2 is not valid UTF-8" },
	{ F_ATT_NAME, "\xed\xa0\x80.pdf",
	  "attachment 2 file name is not valid UTF-8" },
};

static void
test_injection(void **state)
{
	struct fixture	 f;
	char		*cause;
	size_t		 i;

	/* The fixture with every part is fine as it is. */
	fixture_init(&f);
	set_field(&f, F_SUBJECT, f.m.subject);
	free(build(&f.m, NULL));
	for (i = 0; i < sizeof injection_cases / sizeof injection_cases[0];
	    i++) {
		fixture_init(&f);
		set_field(&f, injection_cases[i].field,
		    injection_cases[i].value);
		cause = build_fail(&f.m);
		if (strcmp(cause, injection_cases[i].cause) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i, cause,
			    injection_cases[i].cause);
		free(cause);
	}
}

static const struct {
	enum field	 field;
	const char	*value;
	const char	*cause;
} refused_cases[] = {
	{ F_TO_ADDR, "a b@c.org", "To address 2 is not a valid address" },
	{ F_TO_ADDR, "<a@c.org>", "To address 2 is not a valid address" },
	{ F_TO_ADDR, "a@c.org, b@d.org",
	  "To address 2 is not a valid address" },
	{ F_CC_ADDR, "a@b@c.org", "Cc address 1 is not a valid address" },
	{ F_REPLY_TO, "a;b@c.org", "Reply-To address is not a valid address" },
	{ F_FROM_ADDR, "a:b@c.org", "From address is not a valid address" },
	{ F_LOOP, "not an address", "X-Loop is not a valid address" },
	{ F_MSGID, "no-brackets@x", "Message-ID is not <id@domain>" },
	{ F_MSGID, "<no-at>", "Message-ID is not <id@domain>" },
	{ F_MSGID, "<a b@c>", "Message-ID is not <id@domain>" },
	{ F_IN_REPLY_TO, "<@x>", "In-Reply-To is not <id@domain>" },
	{ F_REFERENCES, "<a@>", "References 2 is not <id@domain>" },
	{ F_HDR_NAME, "X Case", "header name 1 is not a header name" },
	{ F_HDR_NAME, "X-Case:", "header name 1 is not a header name" },
	{ F_HDR_NAME, "", "header name 1 is not a header name" },
	{ F_HDR_NAME, "Subject", "header Subject is set by compose" },
	{ F_HDR_NAME, "bcc", "header bcc is set by compose" },
	{ F_HDR_NAME, "Content-Type", "header Content-Type is set by compose" },
	{ F_HDR_NAME, "x-loop", "header x-loop is set by compose" },
	{ F_HDR_NAME, "X-Caf\xc3\xa9", "header name 1 is not a header name" },
	{ F_ALT_TYPE, "text",
	  "alternative 1 content type is not type/subtype" },
	{ F_ALT_TYPE, "text/calendar; method=REQUEST",
	  "alternative 1 content type is not type/subtype" },
	{ F_ATT_TYPE, "application/pdf/x",
	  "attachment 1 content type is not type/subtype" },
	{ F_ATT_TYPE, "/pdf", "attachment 1 content type is not type/subtype" },
	{ F_ALT_METHOD, "REQUEST; x=y", "alternative 1 method is not a token" },
	{ F_ATT_NAME, "", "attachment 2 file name is missing" },
};

static void
test_refused(void **state)
{
	struct fixture	 f;
	char		*cause, *longname;
	size_t		 i;

	for (i = 0; i < sizeof refused_cases / sizeof refused_cases[0]; i++) {
		fixture_init(&f);
		set_field(&f, refused_cases[i].field, refused_cases[i].value);
		cause = build_fail(&f.m);
		if (strcmp(cause, refused_cases[i].cause) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i, cause,
			    refused_cases[i].cause);
		free(cause);
	}

	fixture_init(&f);
	f.m.nto = 0;
	cause = build_fail(&f.m);
	assert_string_equal(cause, "no To address");
	free(cause);

	fixture_init(&f);
	set_field(&f, F_ATT_NAME, NULL);
	cause = build_fail(&f.m);
	assert_string_equal(cause, "attachment 2 file name is missing");
	free(cause);

	fixture_init(&f);
	f.m.timezone = "Europe/Nowhere";
	cause = build_fail(&f.m);
	assert_string_equal(cause, "unknown time zone or date out of range");
	free(cause);

	longname = xmalloc(COMPOSE_FILENAME_MAX + 2);
	memset(longname, 'a', COMPOSE_FILENAME_MAX + 1);
	longname[COMPOSE_FILENAME_MAX + 1] = '\0';
	fixture_init(&f);
	set_field(&f, F_ATT_NAME, longname);
	cause = build_fail(&f.m);
	assert_string_equal(cause,
	    "attachment 2 file name is longer than 255 bytes");
	free(cause);
	longname[COMPOSE_FILENAME_MAX] = '\0';
	free(build(&f.m, NULL));
	free(longname);
}

static const struct {
	const char	*addr;
	int		 ok;
} address_cases[] = {
	{ "rapidreview@northshire-scp.org.uk", 1 },
	{ "rapidreview+rr-2024-007.police.k3f9q2m1@northshire-scp.org.uk", 1 },
	{ "o'brien@northshire.gov.uk", 1 },
	{ "first.last@nhs.net", 1 },
	{ "user@localhost", 1 },
	{ "x@a-b.example", 1 },
	{ "a b@c.org", 0 },
	{ "a@b@c.org", 0 },
	{ "<a@c.org>", 0 },
	{ "a,b@c.org", 0 },
	{ "a;b@c.org", 0 },
	{ "a:b@c.org", 0 },
	{ "a(b)@c.org", 0 },
	{ "\"a\"@c.org", 0 },
	{ "a\\b@c.org", 0 },
	{ "@c.org", 0 },
	{ "a@", 0 },
	{ "a", 0 },
	{ "", 0 },
	{ ".a@c.org", 0 },
	{ "a.@c.org", 0 },
	{ "a..b@c.org", 0 },
	{ "a@.c.org", 0 },
	{ "a@c..org", 0 },
	{ "a@c.org.", 0 },
	{ "a@-c.org", 0 },
	{ "a@c-.org", 0 },
	{ "a@c_d.org", 0 },
	{ "a@[127.0.0.1]", 0 },
	{ "caf\xc3\xa9@c.org", 0 },
	{ "a@c.org\r\n", 0 },
	{ "a\t@c.org", 0 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "@c.org", 0 },	/* 65-byte local part */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "@c.org", 1 },	/* 64 */
	{ "a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	  ".org", 0 },		/* 64-byte label */
};

static void
test_addresses(void **state)
{
	size_t	i;

	for (i = 0; i < sizeof address_cases / sizeof address_cases[0]; i++) {
		if (compose_address_valid(address_cases[i].addr) !=
		    address_cases[i].ok)
			fail_msg("case %zu: %s", i, address_cases[i].addr);
	}
}

static const struct {
	const char	*subject;
	const char	*plain;		/* the header as sent, or NULL if
					   it must be encoded */
} subject_cases[] = {
	{ "OFFICIAL-SENSITIVE [RR-2024-007] Request",
	  "Subject: OFFICIAL-SENSITIVE [RR-2024-007] Request" },
	{ "OFFICIAL-SENSITIVE [RR-2024-007] Rapid Review: request for "
	  "information from your agency about the child and family",
	  "Subject: OFFICIAL-SENSITIVE [RR-2024-007] Rapid Review: request for"
	  "\r\n information from your agency about the child and family" },
	{ "[RR-2024-007] R\xc3\xa9union pr\xc3\xa9vue", NULL },
	{ "OFFICIAL-SENSITIVE [RR-2024-007] Demande d'information \xe2\x80\x94 "
	  "r\xc3\xa9union pr\xc3\xa9vue pour l'examen rapide de l'enfant J",
	  NULL },
	{ "\xe5\xbf\xab\xe9\x80\x9f\xe5\xae\xa1\xe6\x9f\xa5 [RR-2024-007] "
	  "\xe8\xaf\xb7\xe6\xb1\x82\xe4\xbf\xa1\xe6\x81\xaf\xe5\x92\x8c"
	  "\xe6\x96\x87\xe4\xbb\xb6\xe3\x80\x82\xe8\xaf\xb7\xe5\x9c\xa8"
	  "\xe6\x88\xaa\xe6\xad\xa2\xe6\x97\xa5\xe6\x9c\x9f\xe5\x89\x8d"
	  "\xe5\x9b\x9e\xe5\xa4\x8d", NULL },
	{ "\xf0\x9f\x93\x85 Meeting \xf0\x9f\x93\x85\xf0\x9f\x93\x85"
	  "\xf0\x9f\x93\x85\xf0\x9f\x93\x85\xf0\x9f\x93\x85\xf0\x9f\x93\x85"
	  "\xf0\x9f\x93\x85\xf0\x9f\x93\x85\xf0\x9f\x93\x85\xf0\x9f\x93\x85"
	  "\xf0\x9f\x93\x85\xf0\x9f\x93\x85\xf0\x9f\x93\x85", NULL },
	{ "Looks encoded =?UTF-8?Q?x?= but is not", NULL },
	{ "  leading and trailing  ", NULL },
	{ "double  space", NULL },
	{ "question? equals= underscore_ all literal", "Subject: question? "
	  "equals= underscore_ all literal" },
	{ "averyveryveryveryveryveryveryveryveryveryveryveryveryvery"
	  "verylongword"
	  "withoutanyspacesatallthatcannotfoldanywhere", NULL },
	{ "", "Subject:" },
};

static void
test_subject_2047(void **state)
{
	struct fixture	 f;
	char		*msg, *raw, *v, *dec, *etp, *line, *end;
	size_t		 i, idx;

	for (i = 0; i < sizeof subject_cases / sizeof subject_cases[0]; i++) {
		fixture_init(&f);
		f.m.subject = subject_cases[i].subject;
		msg = build(&f.m, NULL);
		raw = header_raw(msg, "Subject");
		assert_non_null(raw);
		/* Every physical line within 78. */
		for (line = raw; line != NULL; line = end) {
			end = strstr(line, "\r\n");
			assert_true((end != NULL ? (size_t)(end - line) :
			    strlen(line)) <= 78);
			if (end != NULL)
				end += 2;
		}
		if (subject_cases[i].plain != NULL)
			assert_string_equal(raw, subject_cases[i].plain);
		else
			assert_non_null(strstr(raw, "=?UTF-8?"));
		v = header_value(msg, "Subject");
		dec = decode_2047(v);
		if (strcmp(dec, subject_cases[i].subject) != 0)
			fail_msg("case %zu: decoded \"%s\"", i, dec);
		/* libetpan's decoder agrees. */
		if (*v != '\0') {
			idx = 0;
			assert_int_equal(mailmime_encoded_phrase_parse(
			    "us-ascii", v, strlen(v), &idx, "utf-8", &etp),
			    MAILIMF_NO_ERROR);
			if (strcmp(etp, subject_cases[i].subject) != 0)
				fail_msg("case %zu: libetpan \"%s\"", i, etp);
			free(etp);
		}
		free(dec);
		free(v);
		free(raw);
		free(msg);
	}
}

static const struct {
	const char	*name;
	const char	*form;		/* how it must be written: a=atoms,
					   q=quoted, e=encoded */
} name_cases[] = {
	{ "Northshire Police", "a" },
	{ "J. Smith", "q" },
	{ "Smith, John", "q" },
	{ "O\"Brien \\ co", "q" },
	{ "Siobh\xc3\xa1n O'Brien", "e" },
	{ "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m-O'Brien, Named Nurse", "e" },
	{ "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0 \xd0\x9a\xd0\xb0\xd1\x80\xd0\xb5"
	  "\xd0\xbd\xd0\xb8\xd0\xbd\xd0\xb0", "e" },
	{ "A very long display name for a safeguarding partnership's "
	  "business manager, acting", "e" },
	{ "=?UTF-8?B?eA==?=", "e" },
	{ "", "-" },
};

static void
test_names_2047(void **state)
{
	struct fixture			 f;
	struct mailimf_address_list	*al;
	struct mailimf_address		*ad;
	char				*msg, *v, *lt, *dec, *etp;
	size_t				 i, idx;

	for (i = 0; i < sizeof name_cases / sizeof name_cases[0]; i++) {
		fixture_init(&f);
		f.to[0].name = name_cases[i].name;
		f.m.nto = 1;
		msg = build(&f.m, NULL);
		v = header_value(msg, "To");
		switch (name_cases[i].form[0]) {
		case 'a':
			assert_false(v[0] == '"' || strstr(v, "=?") != NULL);
			break;
		case 'q':
			assert_int_equal(v[0], '"');
			break;
		case 'e':
			assert_int_equal(strncmp(v, "=?UTF-8?", 8), 0);
			break;
		default:
			assert_string_equal(v,
			    "pvp.safeguarding@northshire.police.uk");
			break;
		}
		if (name_cases[i].form[0] != '-') {
			lt = strrchr(v, '<');
			assert_non_null(lt);
			assert_string_equal(lt,
			    "<pvp.safeguarding@northshire.police.uk>");
			dec = decode_phrase(v, lt - v);
			if (strcmp(dec, name_cases[i].name) != 0)
				fail_msg("case %zu: decoded \"%s\"", i, dec);
			free(dec);
		}

		/* libetpan parses the address list and decodes the name. */
		idx = 0;
		assert_int_equal(mailimf_address_list_parse(v, strlen(v), &idx,
		    &al), MAILIMF_NO_ERROR);
		assert_int_equal(clist_count(al->ad_list), 1);
		ad = clist_content(clist_begin(al->ad_list));
		assert_int_equal(ad->ad_type, MAILIMF_ADDRESS_MAILBOX);
		assert_string_equal(ad->ad_data.ad_mailbox->mb_addr_spec,
		    "pvp.safeguarding@northshire.police.uk");
		if (name_cases[i].form[0] != '-' &&
		    name_cases[i].form[0] != 'q') {
			idx = 0;
			assert_int_equal(mailmime_encoded_phrase_parse(
			    "us-ascii", ad->ad_data.ad_mailbox->mb_display_name,
			    strlen(ad->ad_data.ad_mailbox->mb_display_name),
			    &idx, "utf-8", &etp), MAILIMF_NO_ERROR);
			if (strcmp(etp, name_cases[i].name) != 0)
				fail_msg("case %zu: libetpan \"%s\"", i, etp);
			free(etp);
		}
		mailimf_address_list_free(al);
		free(v);
		free(msg);
	}
}

static void
test_header_2047(void **state)
{
	struct fixture	 f;
	char		*msg, *v, *dec;

	fixture_init(&f);
	f.headers[0].value = "Enfant J \xe2\x80\x94 \xc3\xa9valuation";
	msg = build(&f.m, NULL);
	v = header_value(msg, "X-RapidReview-Case");
	assert_int_equal(strncmp(v, "=?UTF-8?", 8), 0);
	dec = decode_2047(v);
	assert_string_equal(dec, f.headers[0].value);
	free(dec);
	free(v);
	free(msg);
}

/* The value of a parameter in a raw header field, unquoted. Caller frees. */
static char *
param_value(const char *field, const char *name)
{
	const char	*p = field, *s, *e;
	size_t		 nlen = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p[-1] == ' ' || p[-1] == ';' || p[-1] == '\n') &&
		    p[nlen] == '=')
			break;
		p += nlen;
	}
	if (p == NULL)
		return NULL;
	s = p + nlen + 1;
	if (*s == '"') {
		e = strchr(s + 1, '"');
		return xstrndup(s + 1, e - s - 1);
	}
	e = s + strcspn(s, ";\r\n");
	return xstrndup(s, e - s);
}

static char *
pct_decode(const char *s)
{
	struct sbuf	out = { NULL, 0, 0 };
	unsigned char	c;

	for (; *s != '\0'; s++) {
		if (*s == '%') {
			assert_true(hexval(s[1]) >= 0 && hexval(s[2]) >= 0);
			c = hexval(s[1]) << 4 | hexval(s[2]);
			s += 2;
		} else {
			assert_true(isalnum((unsigned char)*s) ||
			    strchr("!#$&+-.^_`|~", *s) != NULL);
			c = *s;
		}
		sb_add(&out, &c, 1);
	}
	return sb_take(&out);
}

static const struct {
	const char	*name;
	const char	*fallback;
	int		 extended;	/* filename* expected */
} filename_cases[] = {
	{ "R\xc3\xa9union caf\xc3\xa9 notes.pdf", "Reunion cafe notes.pdf", 1 },
	{ "Chronologie \xc3\x80\xc3\x87\xc3\x90\xc3\x98\xc3\x9f\xc3\xbf.csv",
	  "Chronologie ACDOsy.csv", 1 },
	{ "\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1.pdf", "_____.pdf", 1 },
	{ "pack RR-2024-007.pdf", "pack RR-2024-007.pdf", 0 },
	{ "a\"b\\c.pdf", "a_b_c.pdf", 1 },
	{ "100% done's (final).docx", "100% done's (final).docx", 0 },
	{ "\xf0\x9f\x93\x85 invite.ics", "_ invite.ics", 1 },
};

static void
test_filename_2231(void **state)
{
	struct fixture	 f;
	struct mailmime	*mm, *lf;
	char		*msg, *v, *dec, *part, *cd;
	const char	*at;
	size_t		 i, len;
	int		 n;

	for (i = 0; i < sizeof filename_cases / sizeof filename_cases[0];
	    i++) {
		fixture_init(&f);
		f.atts[0].filename = filename_cases[i].name;
		f.m.attachments = f.atts;
		f.m.nattachments = 1;
		msg = build(&f.m, &len);
		at = strstr(msg, "\r\nContent-Type: application/pdf");
		assert_non_null(at);
		part = xstrndup(at + 2, strstr(at, "\r\n\r\n") + 4 - at - 2);
		cd = header_raw(part, "Content-Disposition");
		assert_int_equal(strncmp(cd, "Content-Disposition: attachment;",
		    32), 0);
		v = param_value(cd, "filename");
		assert_string_equal(v, filename_cases[i].fallback);
		free(v);
		v = param_value(cd, "filename*");
		if (!filename_cases[i].extended)
			assert_null(v);
		else {
			assert_non_null(v);
			assert_int_equal(strncmp(v, "UTF-8''", 7), 0);
			dec = pct_decode(v + 7);
			assert_string_equal(dec, filename_cases[i].name);
			free(dec);
			free(v);
		}
		v = header_raw(part, "Content-Type");
		assert_non_null(v);
		dec = param_value(v, "name");
		assert_string_equal(dec, filename_cases[i].fallback);
		free(dec);
		free(v);
		free(cd);
		free(part);

		/* libetpan sees a PDF with the fallback name. */
		mm = parse_mime(msg, len);
		n = 1;
		lf = leaf(mm, &n);
		assert_non_null(lf);
		assert_string_equal(lf->mm_content_type->ct_subtype, "pdf");
		assert_string_equal(content_param(lf, "name"),
		    filename_cases[i].fallback);
		mailmime_free(mm);
		free(msg);
	}
}

static const struct {
	const char	*text;
	const char	*want;		/* exact body, or NULL: check rules */
} qp_cases[] = {
	{ "a=b\n", "a=3Db\r\n" },
	{ "caf\xc3\xa9\n", "caf=C3=A9\r\n" },
	{ "end  \n", "end =20\r\n" },
	{ "tab\t\nnext", "tab=09\r\nnext\r\n" },
	{ "From me\nnot From here\n", "=46rom me\r\nnot From here\r\n" },
	{ ".\n..x\n", "=2E\r\n=2E.x\r\n" },
	{ "crlf\r\nkept\r\n", "crlf\r\nkept\r\n" },
	{ "lone\rcr", "lone=0Dcr\r\n" },
	{ "\n\n", "\r\n\r\n" },
	{ "no newline", "no newline\r\n" },
	{ "nul\x01\x7f", "nul=01=7F\r\n" },
	/* 76 fit; 77 break after 75, leaving room for "=". */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaa\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaa\r\n" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaab\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaa=\r\nab\r\n" },
	/* An escape is never split by a soft break. */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa=\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa=3D\r\n" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaa=\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaa=\r\n=3D\r\n" },
	/* A blank before a soft break stays literal; at the end, encoded. */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaa bbbb \n", NULL },
	{ "Dear colleague,\n\nThe review of the case of Child J (RR-2024-007) "
	  "needs your agency's return by Monday 15 July 2024. Le d\xc3\xa9lai "
	  "est court \xe2\x80\x94 merci. \xe5\xbf\xab\xe9\x80\x9f\xe5\xae\xa1"
	  "\xe6\x9f\xa5\xe5\xbf\xab\xe9\x80\x9f\xe5\xae\xa1\xe6\x9f\xa5\xe5"
	  "\xbf\xab\xe9\x80\x9f\xe5\xae\xa1\xe6\x9f\xa5\n--=_rr_ not a "
	  "boundary\n", NULL },
};

static void
test_qp(void **state)
{
	struct fixture	 f;
	struct mailmime	*mm;
	char		*msg, *body, *dec, *want, *etp;
	size_t		 i, len, dlen, wlen, elen;
	int		 n;

	for (i = 0; i < sizeof qp_cases / sizeof qp_cases[0]; i++) {
		fixture_init(&f);
		f.m.text = qp_cases[i].text;
		f.m.text_len = strlen(qp_cases[i].text);
		msg = build(&f.m, &len);
		body = strstr(msg, "\r\n\r\n") + 4;
		if (qp_cases[i].want != NULL &&
		    strcmp(body, qp_cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\"", i, body);
		dec = qp_decode(body, strlen(body), &dlen);
		want = crlf_text(f.m.text, f.m.text_len, &wlen);
		assert_int_equal(dlen, wlen);
		assert_memory_equal(dec, want, wlen);

		/* libetpan decodes it the same way. */
		mm = parse_mime(msg, len);
		n = 0;
		etp = leaf_decode(leaf(mm, &n), &elen);
		assert_int_equal(elen, wlen);
		assert_memory_equal(etp, want, wlen);
		free(etp);
		mailmime_free(mm);
		free(want);
		free(dec);
		free(msg);
	}
}

static void
test_base64(void **state)
{
	static const size_t	 sizes[] = { 0, 1, 2, 3, 56, 57, 58, 1000,
				     65536 + 7 };
	struct fixture		 f;
	struct mailmime		*mm, *lf;
	struct sbuf		 dec;
	unsigned char		*data;
	char			*msg, *etp;
	const char		*p, *e, *start, *stop;
	size_t			 i, j, len, elen, full;
	uint32_t		 x = 2463534242u;
	int			 n;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		data = xmalloc(sizes[i] + 1);
		for (j = 0; j < sizes[i]; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			data[j] = x & 0xff;
		}
		fixture_init(&f);
		f.atts[0].data = data;
		f.atts[0].len = sizes[i];
		f.m.attachments = f.atts;
		f.m.nattachments = 1;
		msg = build(&f.m, &len);

		/* The attachment's body: every line 76 but the last. */
		start = strstr(strstr(msg, "Content-Transfer-Encoding: base64"),
		    "\r\n\r\n") + 4;
		stop = strstr(start, "\r\n--=_rr_");
		assert_non_null(stop);
		full = 0;
		for (p = start; p < stop; p = e + 2) {
			e = strstr(p, "\r\n");
			if (e + 2 != stop) {
				assert_int_equal(e - p, 76);
				full++;
			} else
				assert_true(e - p <= 76 && (e - p) % 4 == 0);
		}
		assert_int_equal(full, sizes[i] == 0 ? 0 :
		    (sizes[i] - 1) / 57);
		memset(&dec, 0, sizeof dec);
		assert_int_equal(b64_decode(start, stop - start, &dec),
		    sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(dec.d, data, sizes[i]);
		free(dec.d);

		mm = parse_mime(msg, len);
		n = 1;
		lf = leaf(mm, &n);
		assert_non_null(lf);
		assert_int_equal(lf->mm_data.mm_single->dt_encoding,
		    MAILMIME_MECHANISM_BASE64);
		etp = leaf_decode(lf, &elen);
		assert_int_equal(elen, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(etp, data, sizes[i]);
		free(etp);
		mailmime_free(mm);
		free(msg);
		free(data);
	}
}

static const struct {
	int		 html;
	int		 nalts;
	int		 natts;
	const char	*tree;
} structure_cases[] = {
	{ 0, 0, 0, "plain" },
	{ 1, 0, 0, "alternative(plain,html)" },
	{ 0, 1, 0, "alternative(plain,calendar)" },
	{ 1, 1, 0, "alternative(plain,html,calendar)" },
	{ 0, 0, 1, "mixed(plain,pdf)" },
	{ 1, 0, 2, "mixed(alternative(plain,html),pdf,ics)" },
	{ 1, 1, 2, "mixed(alternative(plain,html,calendar),pdf,ics)" },
	{ 0, 1, 1, "mixed(alternative(plain,calendar),pdf)" },
};

static void
test_structure(void **state)
{
	struct fixture	 f;
	struct mailmime	*mm, *lf;
	struct sbuf	 tree;
	char		*msg, *body;
	const char	*html = "<p>Dear colleague &amp; caf\xc3\xa9</p>\n";
	size_t		 i, len, blen;
	int		 n;

	for (i = 0; i < sizeof structure_cases / sizeof structure_cases[0];
	    i++) {
		fixture_init(&f);
		if (structure_cases[i].html) {
			f.m.html = html;
			f.m.html_len = strlen(html);
		}
		f.m.alternatives = f.alts;
		f.m.nalternatives = structure_cases[i].nalts;
		f.m.attachments = f.atts;
		f.m.nattachments = structure_cases[i].natts;
		msg = build(&f.m, &len);
		mm = parse_mime(msg, len);
		memset(&tree, 0, sizeof tree);
		describe(mm, &tree);
		if (strcmp(tree.d, structure_cases[i].tree) != 0)
			fail_msg("case %zu: %s", i, tree.d);
		free(tree.d);

		/* Each leaf decodes to what went in. */
		n = 0;
		lf = leaf(mm, &n);
		assert_string_equal(content_param(lf, "charset"), "UTF-8");
		body = leaf_decode(lf, &blen);
		assert_string_equal(body, "Dear colleague,\r\n\r\n"
		    "Please reply by 15 July.\r\n");
		free(body);
		if (structure_cases[i].html) {
			n = 1;
			lf = leaf(mm, &n);
			assert_string_equal(lf->mm_content_type->ct_subtype,
			    "html");
			body = leaf_decode(lf, &blen);
			assert_string_equal(body,
			    "<p>Dear colleague &amp; caf\xc3\xa9</p>\r\n");
			free(body);
		}
		if (structure_cases[i].nalts > 0) {
			n = 1 + structure_cases[i].html;
			lf = leaf(mm, &n);
			assert_string_equal(lf->mm_content_type->ct_subtype,
			    "calendar");
			assert_string_equal(content_param(lf, "method"),
			    "REQUEST");
			assert_string_equal(content_param(lf, "charset"),
			    "UTF-8");
			body = leaf_decode(lf, &blen);
			assert_int_equal(blen, sizeof ics - 1);
			assert_memory_equal(body, ics, blen);
			free(body);
		}
		if (structure_cases[i].natts > 1) {
			n = 1 + structure_cases[i].html +
			    structure_cases[i].nalts + 1;
			lf = leaf(mm, &n);
			assert_string_equal(lf->mm_content_type->ct_subtype,
			    "ics");
			assert_string_equal(content_param(lf, "name"),
			    "invite.ics");
			body = leaf_decode(lf, &blen);
			assert_memory_equal(body, ics, blen);
			free(body);
		}
		mailmime_free(mm);
		free(msg);
	}
}

/* Every boundary is "=_rr_" and 32 hex digits, different, used exactly. */
static void
test_boundaries(void **state)
{
	struct fixture	 f;
	char		*msg, b[2][64], *delim;
	const char	*p;
	size_t		 k, count;

	fixture_init(&f);
	f.m.text = "--=_rr_00000000000000000000000000000000\n"
	    "--=_rr_ looks like a boundary\n";
	f.m.text_len = strlen(f.m.text);
	f.m.html = "<p>x</p>";
	f.m.html_len = 8;
	f.m.attachments = f.atts;
	f.m.nattachments = 2;
	msg = build(&f.m, NULL);
	p = msg;
	for (k = 0; k < 2; k++) {
		p = strstr(p, "boundary=\"");
		assert_non_null(p);
		p += 10;
		assert_int_equal(strspn(p + 5, "0123456789abcdef"), 32);
		assert_int_equal(strncmp(p, "=_rr_", 5), 0);
		assert_int_equal(p[37], '"');
		memcpy(b[k], p, 37);
		b[k][37] = '\0';
	}
	assert_string_not_equal(b[0], b[1]);
	/* mixed: 3 delimiters + close; alternative: 2 + close. */
	for (k = 0; k < 2; k++) {
		xasprintf(&delim, "\r\n--%s", b[k]);
		count = 0;
		for (p = msg; (p = strstr(p, delim)) != NULL; p++)
			count++;
		assert_int_equal(count, k == 0 ? 4 : 3);
		free(delim);
	}
	free(msg);
}

static void
test_message_id(void **state)
{
	char	a[COMPOSE_MSGID_MAX], b[COMPOSE_MSGID_MAX];

	assert_int_equal(compose_message_id("northshire-scp.org.uk",
	    1720427400, a), 0);
	assert_int_equal(compose_message_id("northshire-scp.org.uk",
	    1720427400, b), 0);
	assert_int_equal(strlen(a), 1 + 14 + 1 + 32 + 1 + 21 + 1);
	assert_int_equal(strncmp(a, "<20240708083000.", 16), 0);
	assert_int_equal(strspn(a + 16, "0123456789abcdef"), 32);
	assert_string_equal(a + 48, "@northshire-scp.org.uk>");
	assert_string_not_equal(a, b);
	assert_int_equal(compose_message_id("localhost", 0, a), 0);
	assert_int_equal(strncmp(a, "<19700101000000.", 16), 0);
	assert_int_equal(compose_message_id("", 0, a), -1);
	assert_int_equal(compose_message_id("a..b", 0, a), -1);
	assert_int_equal(compose_message_id("x y", 0, a), -1);
	assert_int_equal(compose_message_id("x>\r\nBcc: y", 0, a), -1);
	assert_int_equal(compose_message_id("[1.2.3.4]", 0, a), -1);
}

static const struct {
	long long	 t;
	const char	*zone;
	const char	*want;		/* NULL: refused */
} date_cases[] = {
	{ 1720427400, "Europe/London", "Mon, 08 Jul 2024 09:30:00 +0100" },
	{ 1704067200, "Europe/London", "Mon, 01 Jan 2024 00:00:00 +0000" },
	{ 1720427400, NULL, "Mon, 08 Jul 2024 08:30:00 +0000" },
	{ 1720427400, "", "Mon, 08 Jul 2024 08:30:00 +0000" },
	{ 1720427400, "UTC", "Mon, 08 Jul 2024 08:30:00 +0000" },
	{ 1720427400, "America/New_York", "Mon, 08 Jul 2024 04:30:00 -0400" },
	{ 1720427400, "Asia/Kolkata", "Mon, 08 Jul 2024 14:00:00 +0530" },
	/* The clocks go back at 02:00 BST on 27 October 2024. */
	{ 1729990799, "Europe/London", "Sun, 27 Oct 2024 01:59:59 +0100" },
	{ 1729990800, "Europe/London", "Sun, 27 Oct 2024 01:00:00 +0000" },
	{ 1720427400, "Europe/Nowhere", NULL },
	{ 1720427400, "../../etc/passwd", NULL },
	{ 1720427400, "/etc/localtime", NULL },
	{ 1720427400, "Europe/London\n", NULL },
};

static void
test_date(void **state)
{
	char	out[COMPOSE_DATE_MAX];
	size_t	i;

	setenv("TZ", "Australia/Sydney", 1);
	for (i = 0; i < sizeof date_cases / sizeof date_cases[0]; i++) {
		if (date_cases[i].want == NULL) {
			assert_int_equal(compose_date(date_cases[i].t,
			    date_cases[i].zone, out), -1);
			continue;
		}
		assert_int_equal(compose_date(date_cases[i].t,
		    date_cases[i].zone, out), 0);
		assert_string_equal(out, date_cases[i].want);
	}
	/* TZ is put back. */
	assert_string_equal(getenv("TZ"), "Australia/Sydney");
	unsetenv("TZ");
	assert_int_equal(compose_date(0, "Europe/London", out), 0);
	assert_null(getenv("TZ"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_threading),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_subject_2047),
		cmocka_unit_test(test_names_2047),
		cmocka_unit_test(test_header_2047),
		cmocka_unit_test(test_filename_2231),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
