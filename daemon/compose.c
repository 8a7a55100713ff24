/*
 * compose.c - one outgoing message as RFC 5322 + MIME bytes: validated
 * headers (libcurl passes CR/LF straight through), RFC 2047 and RFC 2231
 * encodings, quoted-printable and base64 bodies, multipart nesting.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "compose.h"
#include "utf8.h"
#include "xmalloc.h"

/* Fold header lines at this many characters (RFC 5322 2.1.1 "SHOULD"). */
#define COMPOSE_LINE		78
/* RFC 2047 §2: an encoded-word is at most 75 characters. */
#define COMPOSE_EWORD		75
/* "=?UTF-8?Q?" and "?=" around the encoded text. */
#define COMPOSE_EWORD_OVER	12
/* A plain header word longer than this is sent encoded, so it can fold. */
#define COMPOSE_WORD_MAX	60
#define COMPOSE_MSGID_LEN	250
#define COMPOSE_HNAME_MAX	64
#define COMPOSE_RANDOM		16	/* bytes in ids and boundaries */
#define COMPOSE_BOUNDARY_TRIES	8

/* A growing buffer that knows its current column, for folding. */
struct cbuf {
	char	*data;
	size_t	 len, cap;
	size_t	 col;
};

/* A MIME entity: its Content-* header lines and its encoded body. */
struct entity {
	struct cbuf	head;
	struct cbuf	body;
};

static const char compose_hex[] = "0123456789ABCDEF";

static void	cbuf_add(struct cbuf *, const void *, size_t);
static void	cbuf_str(struct cbuf *, const char *);
static void	cbuf_printf(struct cbuf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	compose_check_text(const char *, const char *, size_t,
		    char **);
static int	compose_domain_valid(const char *, size_t);
static int	compose_atext(int);
static int	compose_msgid_valid(const char *);
static int	compose_token_valid(const char *, int);
static int	compose_hname_valid(const char *);
static int	compose_hname_reserved(const char *);
static int	compose_check_address(const char *, size_t,
		    const struct compose_address *, char **);
static int	compose_check_part(const char *, size_t,
		    const struct compose_part *, int, char **);
static int	compose_validate(const struct compose_message *, char **);
static int	compose_zone_known(const char *);
static int	compose_random_hex(char *, size_t);
static void	hdr_token(struct cbuf *, const char *, size_t);
static int	hdr_plain_ok(const char *);
static void	hdr_encoded(struct cbuf *, const char *, size_t);
static void	hdr_unstructured(struct cbuf *, const char *, const char *);
static void	hdr_phrase(struct cbuf *, const char *);
static void	hdr_mailbox(struct cbuf *, const struct compose_address *,
		    int);
static void	hdr_addresses(struct cbuf *, const char *,
		    const struct compose_address *, size_t);
static void	hdr_params(struct cbuf *, const char *, char **, size_t);
static void	qp_encode(struct cbuf *, const unsigned char *, size_t);
static void	b64_encode(struct cbuf *, const unsigned char *, size_t);
static char	*filename_fallback(const char *);
static char	*filename_rfc2231(const char *);
static int	filename_plain(const char *);
static void	entity_free(struct entity *);
static void	entity_leaf(struct entity *, const char *, const char *,
		    const char *, const void *, size_t, int);
static int	entity_multipart(struct entity *, const char *,
		    struct entity *, size_t, char **);

/* ---- Buffers ---------------------------------------------------------- */

static void
cbuf_add(struct cbuf *b, const void *p, size_t n)
{
	const char	*nl;

	if (b->len + n + 1 > b->cap) {
		if (b->cap == 0)
			b->cap = 1024;
		while (b->len + n + 1 > b->cap)
			b->cap *= 2;
		b->data = xreallocarray(b->data, 1, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	if ((nl = memrchr(p, '\n', n)) != NULL)
		b->col = n - (nl - (const char *)p) - 1;
	else
		b->col += n;
}

static void
cbuf_str(struct cbuf *b, const char *s)
{
	cbuf_add(b, s, strlen(s));
}

static void
cbuf_printf(struct cbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	cbuf_add(b, s, n);
	free(s);
}

/* ---- Validation ------------------------------------------------------- */

/*
 * Everything that reaches a header line passes here first: CR and LF are
 * how a value smuggles in a header of its own (or an SMTP command, with
 * libcurl), so they are named as such.
 */
static int
compose_check_text(const char *field, const char *s, size_t max,
    char **cause)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = strlen(s), i, n;

	if (strpbrk(s, "\r\n") != NULL) {
		xasprintf(cause, "header injection: CR/LF in %s", field);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f) {
			xasprintf(cause, "control character in %s", field);
			return -1;
		}
	}
	for (i = 0; i < len; i += n) {
		if ((n = utf8_seq_len(u + i, len - i)) == 0) {
			xasprintf(cause, "%s is not valid UTF-8", field);
			return -1;
		}
	}
	if (len > max) {
		xasprintf(cause, "%s is longer than %zu bytes", field, max);
		return -1;
	}
	return 0;
}

static int
compose_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Dot-separated labels of letters, digits and inner hyphens. */
static int
compose_domain_valid(const char *d, size_t len)
{
	size_t	i, label = 0;
	char	c;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		c = d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && d[len - 1] != '-';
}

int
compose_address_valid(const char *s)
{
	const char	*at;
	size_t		 len = strlen(s), local, i;

	if (len > 254 || (at = strchr(s, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	local = at - s;
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return 0;
	for (i = 0; i < local; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
			continue;
		}
		if (!compose_atext((unsigned char)s[i]))
			return 0;
	}
	return compose_domain_valid(at + 1, len - local - 1);
}

/* "<left@right>": visible ASCII, no brackets, quotes or separators. */
static int
compose_msgid_valid(const char *s)
{
	size_t	len = strlen(s), i, at = 0;

	if (len < 5 || len > COMPOSE_MSGID_LEN || s[0] != '<' ||
	    s[len - 1] != '>')
		return 0;
	for (i = 1; i < len - 1; i++) {
		if (s[i] <= ' ' || s[i] > '~' ||
		    strchr("<>\"\\(),;", s[i]) != NULL)
			return 0;
		if (s[i] == '@')
			at = i;
	}
	return at > 1 && at < len - 2;
}

/* An RFC 2045 token; with slash, "type/subtype". */
static int
compose_token_valid(const char *s, int slash)
{
	const char	*p;
	int		 seen = 0;

	for (p = s; *p != '\0'; p++) {
		if (*p == '/' && slash && !seen && p != s && p[1] != '\0') {
			seen = 1;
			continue;
		}
		if (*p <= ' ' || *p > '~' ||
		    strchr("()<>@,;:\\\"/[]?=", *p) != NULL)
			return 0;
	}
	return p != s && seen == slash;
}

static int
compose_hname_valid(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~' || *p == ':')
			return 0;
	}
	return p != s && p - s <= COMPOSE_HNAME_MAX;
}

/* Headers compose writes itself; a second copy would confuse readers. */
static int
compose_hname_reserved(const char *s)
{
	static const char *const reserved[] = {
		"Date", "From", "Sender", "To", "Cc", "Bcc", "Reply-To",
		"Subject", "Message-ID", "In-Reply-To", "References",
		"Auto-Submitted", "X-Loop", "MIME-Version", "Return-Path",
		"Received", NULL
	};
	size_t	i;

	if (strncasecmp(s, "Content-", 8) == 0)
		return 1;
	for (i = 0; reserved[i] != NULL; i++) {
		if (strcasecmp(s, reserved[i]) == 0)
			return 1;
	}
	return 0;
}

static int
compose_check_address(const char *what, size_t n,
    const struct compose_address *a, char **cause)
{
	char	field[64];

	if (n > 0)
		snprintf(field, sizeof field, "%s address %zu", what, n);
	else
		snprintf(field, sizeof field, "%s address", what);
	if (a->addr == NULL) {
		xasprintf(cause, "%s is missing", field);
		return -1;
	}
	if (compose_check_text(field, a->addr, 254, cause) != 0)
		return -1;
	if (!compose_address_valid(a->addr)) {
		xasprintf(cause, "%s is not a valid address", field);
		return -1;
	}
	if (a->name == NULL)
		return 0;
	if (n > 0)
		snprintf(field, sizeof field, "%s display name %zu", what, n);
	else
		snprintf(field, sizeof field, "%s display name", what);
	return compose_check_text(field, a->name, COMPOSE_TEXT_MAX, cause);
}

static int
compose_check_part(const char *what, size_t n, const struct compose_part *p,
    int attachment, char **cause)
{
	char	field[64];

	snprintf(field, sizeof field, "%s %zu content type", what, n);
	if (p->content_type == NULL) {
		xasprintf(cause, "%s is missing", field);
		return -1;
	}
	if (compose_check_text(field, p->content_type, 127, cause) != 0)
		return -1;
	if (!compose_token_valid(p->content_type, 1)) {
		xasprintf(cause, "%s is not type/subtype", field);
		return -1;
	}
	if (p->method != NULL) {
		snprintf(field, sizeof field, "%s %zu method", what, n);
		if (compose_check_text(field, p->method, 64, cause) != 0)
			return -1;
		if (!compose_token_valid(p->method, 0)) {
			xasprintf(cause, "%s is not a token", field);
			return -1;
		}
	}
	if (p->data == NULL && p->len > 0) {
		xasprintf(cause, "%s %zu has no data", what, n);
		return -1;
	}
	if (!attachment)
		return 0;
	snprintf(field, sizeof field, "%s %zu file name", what, n);
	if (p->filename == NULL || *p->filename == '\0') {
		xasprintf(cause, "%s is missing", field);
		return -1;
	}
	return compose_check_text(field, p->filename, COMPOSE_FILENAME_MAX,
	    cause);
}

static int
compose_validate(const struct compose_message *m, char **cause)
{
	const struct compose_header	*h;
	char				 field[64];
	size_t				 i;

	if (compose_check_address("From", 0, &m->from, cause) != 0)
		return -1;
	if (m->nto == 0 || m->to == NULL) {
		*cause = xstrdup("no To address");
		return -1;
	}
	for (i = 0; i < m->nto; i++) {
		if (compose_check_address("To", i + 1, &m->to[i], cause) != 0)
			return -1;
	}
	for (i = 0; i < m->ncc; i++) {
		if (compose_check_address("Cc", i + 1, &m->cc[i], cause) != 0)
			return -1;
	}
	if (m->reply_to != NULL &&
	    compose_check_address("Reply-To", 0, m->reply_to, cause) != 0)
		return -1;
	if (m->subject != NULL && compose_check_text("Subject", m->subject,
	    COMPOSE_TEXT_MAX, cause) != 0)
		return -1;
	if (m->message_id != NULL) {
		if (compose_check_text("Message-ID", m->message_id,
		    COMPOSE_MSGID_LEN, cause) != 0)
			return -1;
		if (!compose_msgid_valid(m->message_id)) {
			*cause = xstrdup("Message-ID is not <id@domain>");
			return -1;
		}
	}
	if (m->in_reply_to != NULL) {
		if (compose_check_text("In-Reply-To", m->in_reply_to,
		    COMPOSE_MSGID_LEN, cause) != 0)
			return -1;
		if (!compose_msgid_valid(m->in_reply_to)) {
			*cause = xstrdup("In-Reply-To is not <id@domain>");
			return -1;
		}
	}
	for (i = 0; i < m->nreferences; i++) {
		snprintf(field, sizeof field, "References %zu", i + 1);
		if (compose_check_text(field, m->references[i],
		    COMPOSE_MSGID_LEN, cause) != 0)
			return -1;
		if (!compose_msgid_valid(m->references[i])) {
			xasprintf(cause, "%s is not <id@domain>", field);
			return -1;
		}
	}
	if (m->loop != NULL) {
		if (compose_check_text("X-Loop", m->loop, 254, cause) != 0)
			return -1;
		if (!compose_address_valid(m->loop)) {
			*cause = xstrdup("X-Loop is not a valid address");
			return -1;
		}
	}
	for (i = 0; i < m->nheaders; i++) {
		h = &m->headers[i];
		snprintf(field, sizeof field, "header name %zu", i + 1);
		if (h->name == NULL || h->value == NULL) {
			xasprintf(cause, "header %zu is missing", i + 1);
			return -1;
		}
		if (compose_check_text(field, h->name, COMPOSE_HNAME_MAX,
		    cause) != 0)
			return -1;
		if (!compose_hname_valid(h->name)) {
			xasprintf(cause, "%s is not a header name", field);
			return -1;
		}
		if (compose_hname_reserved(h->name)) {
			xasprintf(cause, "header %s is set by compose",
			    h->name);
			return -1;
		}
		if (compose_check_text(h->name, h->value, COMPOSE_TEXT_MAX,
		    cause) != 0)
			return -1;
	}
	if (m->text == NULL && m->text_len > 0) {
		*cause = xstrdup("text body has no data");
		return -1;
	}
	if (m->html == NULL && m->html_len > 0) {
		*cause = xstrdup("HTML body has no data");
		return -1;
	}
	for (i = 0; i < m->nalternatives; i++) {
		if (compose_check_part("alternative", i + 1,
		    &m->alternatives[i], 0, cause) != 0)
			return -1;
	}
	for (i = 0; i < m->nattachments; i++) {
		if (compose_check_part("attachment", i + 1,
		    &m->attachments[i], 1, cause) != 0)
			return -1;
	}
	return 0;
}

/* ---- Dates and ids ---------------------------------------------------- */

/* glibc falls back to UTC for a zone it cannot find: look first. */
static int
compose_zone_known(const char *zone)
{
	struct stat	 st;
	const char	*dir, *p;
	char		*path;
	int		 ok;

	if (*zone == '/' || strstr(zone, "..") != NULL)
		return 0;
	for (p = zone; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/_+-", *p) != NULL))
			return 0;
	}
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	xasprintf(&path, "%s/%s", dir, zone);
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

int
compose_date(long long t, const char *zone, char out[COMPOSE_DATE_MAX])
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	char		*saved = NULL, *old;
	long		 off;
	int		 ok, hh, mm;

	if (zone == NULL || *zone == '\0')
		ok = gmtime_r(&tt, &tm) != NULL;
	else {
		if (!compose_zone_known(zone))
			return -1;
		/* Single threaded: a temporary TZ is safe (as in date.c). */
		if ((old = getenv("TZ")) != NULL)
			saved = xstrdup(old);
		setenv("TZ", zone, 1);
		tzset();
		ok = localtime_r(&tt, &tm) != NULL;
		if (saved != NULL) {
			setenv("TZ", saved, 1);
			free(saved);
		} else
			unsetenv("TZ");
		tzset();
	}
	if (!ok || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1900)
		return -1;
	off = labs(tm.tm_gmtoff) / 60;
	if (off >= 24 * 60)
		return -1;
	hh = (int)off / 60;
	mm = (int)off % 60;
	snprintf(out, COMPOSE_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d "
	    "%c%02d%02d", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tm.tm_gmtoff < 0 ? '-' : '+', hh, mm);
	return 0;
}

/* 2 * n hex digits of fresh randomness, NUL-terminated. */
static int
compose_random_hex(char *out, size_t n)
{
	unsigned char	r[COMPOSE_RANDOM];
	size_t		i;

	if (n > sizeof r || gnutls_rnd(GNUTLS_RND_NONCE, r, n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		out[2 * i] = compose_hex[r[i] >> 4] | 0x20;
		out[2 * i + 1] = compose_hex[r[i] & 0xf] | 0x20;
	}
	out[2 * n] = '\0';
	return 0;
}

int
compose_message_id(const char *domain, long long now,
    char out[COMPOSE_MSGID_MAX])
{
	struct tm	tm;
	time_t		tt = (time_t)now;
	char		hex[2 * COMPOSE_RANDOM + 1];
	size_t		len = strlen(domain);

	if (len > 200 || !compose_domain_valid(domain, len))
		return -1;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 1900)
		return -1;
	if (compose_random_hex(hex, COMPOSE_RANDOM) != 0)
		return -1;
	snprintf(out, COMPOSE_MSGID_MAX, "<%04d%02d%02d%02d%02d%02d.%s@%s>",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, hex, domain);
	return 0;
}

/* ---- Header lines ----------------------------------------------------- */

/* One unbreakable token, after a space or, when it would not fit, a fold. */
static void
hdr_token(struct cbuf *b, const char *s, size_t len)
{
	if (b->col + 1 + len > COMPOSE_LINE && 1 + len <= COMPOSE_LINE)
		cbuf_add(b, "\r\n ", 3);
	else
		cbuf_add(b, " ", 1);
	cbuf_add(b, s, len);
}

/*
 * Text that can go as it is: printable ASCII words of sane length, single
 * spaces (folding keeps them), nothing a decoder could take for "=?".
 */
static int
hdr_plain_ok(const char *s)
{
	size_t	word = 0;

	if (*s == '\0' || *s == ' ' || strstr(s, "=?") != NULL)
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == ' ') {
			if (s[1] == ' ' || s[1] == '\0')
				return 0;
			word = 0;
			continue;
		}
		if (*s < '!' || *s > '~' || ++word > COMPOSE_WORD_MAX)
			return 0;
	}
	return 1;
}

/* Q leaves these alone: safe in unstructured text and phrases alike. */
static int
hdr_q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/';
}

/*
 * The whole of s as encoded-words, Q or B (whichever is shorter), each
 * holding whole UTF-8 characters (RFC 2047 §5), sized to the room left on
 * the line so that no line passes COMPOSE_LINE.
 */
static void
hdr_encoded(struct cbuf *b, const char *s, size_t len)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*u = (const unsigned char *)s;
	char			 word[COMPOSE_EWORD + 1];
	size_t			 i, j, k, n, qlen = 0, avail, max, used, w;
	int			 useb;
	unsigned		 v;

	for (i = 0; i < len; i++)
		qlen += hdr_q_literal(u[i]) || u[i] == ' ' ? 1 : 3;
	useb = qlen > (len + 2) / 3 * 4;

	i = 0;
	while (i < len) {
		avail = COMPOSE_LINE - b->col - 1;
		if (b->col + 1 >= COMPOSE_LINE ||
		    avail < 2 * COMPOSE_EWORD_OVER)
			avail = COMPOSE_LINE - 1;	/* hdr_token folds */
		max = avail < COMPOSE_EWORD ? avail : COMPOSE_EWORD;
		max -= COMPOSE_EWORD_OVER;

		/* Take whole characters while they fit. */
		used = 0;
		for (j = i; j < len; j += n) {
			if ((n = utf8_seq_len(u + j, len - j)) == 0)
				n = 1;	/* validated earlier; be safe */
			if (useb)
				w = (j + n - i + 2) / 3 * 4;
			else {
				w = used;
				for (k = j; k < j + n; k++)
					w += hdr_q_literal(u[k]) ||
					    u[k] == ' ' ? 1 : 3;
			}
			if (w > max && j > i)
				break;
			used = w;
		}

		memcpy(word, useb ? "=?UTF-8?B?" : "=?UTF-8?Q?", 10);
		w = 10;
		if (useb) {
			for (k = i; k < j; k += 3) {
				v = u[k] << 16;
				if (k + 1 < j)
					v |= u[k + 1] << 8;
				if (k + 2 < j)
					v |= u[k + 2];
				word[w++] = b64[(v >> 18) & 0x3f];
				word[w++] = b64[(v >> 12) & 0x3f];
				word[w++] = k + 1 < j ? b64[(v >> 6) & 0x3f] :
				    '=';
				word[w++] = k + 2 < j ? b64[v & 0x3f] : '=';
			}
		} else {
			for (k = i; k < j; k++) {
				if (u[k] == ' ')
					word[w++] = '_';
				else if (hdr_q_literal(u[k]))
					word[w++] = u[k];
				else {
					word[w++] = '=';
					word[w++] = compose_hex[u[k] >> 4];
					word[w++] = compose_hex[u[k] & 0xf];
				}
			}
		}
		word[w++] = '?';
		word[w++] = '=';
		hdr_token(b, word, w);
		i = j;
	}
}

/* Name: value, plain when it can be, encoded otherwise. */
static void
hdr_unstructured(struct cbuf *b, const char *name, const char *s)
{
	const char	*sp;

	cbuf_printf(b, "%s:", name);
	if (*s == '\0') {
		/* nothing */
	} else if (hdr_plain_ok(s)) {
		while ((sp = strchr(s, ' ')) != NULL) {
			hdr_token(b, s, sp - s);
			s = sp + 1;
		}
		hdr_token(b, s, strlen(s));
	} else
		hdr_encoded(b, s, strlen(s));
	cbuf_add(b, "\r\n", 2);
}

/* A display name: atoms, a quoted-string, or encoded-words. */
static void
hdr_phrase(struct cbuf *b, const char *s)
{
	const char	*p, *sp;
	struct cbuf	 q;
	int		 atoms = 1;

	if (!hdr_plain_ok(s)) {
		hdr_encoded(b, s, strlen(s));
		return;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p != ' ' && !compose_atext((unsigned char)*p))
			atoms = 0;
	}
	if (atoms) {
		while ((sp = strchr(s, ' ')) != NULL) {
			hdr_token(b, s, sp - s);
			s = sp + 1;
		}
		hdr_token(b, s, strlen(s));
		return;
	}
	memset(&q, 0, sizeof q);
	cbuf_add(&q, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			cbuf_add(&q, "\\", 1);
		cbuf_add(&q, p, 1);
	}
	cbuf_add(&q, "\"", 1);
	/* A quoted-string does not fold: too long for a line, encode. */
	if (q.len + 1 < COMPOSE_LINE - 10)
		hdr_token(b, q.data, q.len);
	else
		hdr_encoded(b, s, strlen(s));
	free(q.data);
}

static void
hdr_mailbox(struct cbuf *b, const struct compose_address *a, int comma)
{
	char	*tok;
	int	 n;

	if (a->name != NULL && *a->name != '\0') {
		hdr_phrase(b, a->name);
		n = xasprintf(&tok, "<%s>%s", a->addr, comma ? "," : "");
	} else
		n = xasprintf(&tok, "%s%s", a->addr, comma ? "," : "");
	hdr_token(b, tok, n);
	free(tok);
}

static void
hdr_addresses(struct cbuf *b, const char *name,
    const struct compose_address *a, size_t n)
{
	size_t	i;

	cbuf_printf(b, "%s:", name);
	for (i = 0; i < n; i++)
		hdr_mailbox(b, &a[i], i + 1 < n);
	cbuf_add(b, "\r\n", 2);
}

/* Name: p0; p1; ... (frees the parameters). */
static void
hdr_params(struct cbuf *b, const char *name, char **p, size_t n)
{
	size_t	i;
	char	*tok;
	int	 len;

	cbuf_printf(b, "%s:", name);
	for (i = 0; i < n; i++) {
		len = xasprintf(&tok, "%s%s", p[i], i + 1 < n ? ";" : "");
		hdr_token(b, tok, len);
		free(tok);
		free(p[i]);
	}
	cbuf_add(b, "\r\n", 2);
}

/* ---- Bodies ----------------------------------------------------------- */

/*
 * RFC 2045 §6.7 quoted-printable of text: LF or CRLF become CRLF hard
 * breaks, encoded lines are at most 76 characters with "=" soft breaks,
 * trailing blanks are encoded, and so are a leading "." or "From " that a
 * careless relay or mbox might act on.
 */
static void
qp_encode(struct cbuf *b, const unsigned char *s, size_t len)
{
	size_t	i = 0, e, le, j, col, t;
	char	tok[3];
	int	lit;

	while (i < len) {
		for (e = i; e < len && s[e] != '\n'; e++)
			;
		le = e;
		if (e < len && le > i && s[le - 1] == '\r')
			le--;
		col = 0;
		for (j = i; j < le; j++) {
			for (;;) {
				lit = (s[j] >= 33 && s[j] <= 126 &&
				    s[j] != '=') || ((s[j] == ' ' ||
				    s[j] == '\t') && j + 1 < le);
				if (col == 0 && (s[j] == '.' || (le - j >= 5 &&
				    memcmp(s + j, "From ", 5) == 0)))
					lit = 0;
				t = lit ? 1 : 3;
				if (col + t <= (j + 1 == le ? 76U : 75U))
					break;
				cbuf_add(b, "=\r\n", 3);
				col = 0;
			}
			if (lit)
				tok[0] = s[j];
			else {
				tok[0] = '=';
				tok[1] = compose_hex[s[j] >> 4];
				tok[2] = compose_hex[s[j] & 0xf];
			}
			cbuf_add(b, tok, t);
			col += t;
		}
		cbuf_add(b, "\r\n", 2);
		i = e + 1;
	}
}

/* Base64 in lines of 76 characters (57 bytes), each ending CRLF. */
static void
b64_encode(struct cbuf *b, const unsigned char *s, size_t len)
{
	static const char	b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			line[78];
	size_t			i, j, n, w;
	unsigned		v;

	for (i = 0; i < len; i += 57) {
		n = len - i < 57 ? len - i : 57;
		w = 0;
		for (j = 0; j < n; j += 3) {
			v = s[i + j] << 16;
			if (j + 1 < n)
				v |= s[i + j + 1] << 8;
			if (j + 2 < n)
				v |= s[i + j + 2];
			line[w++] = b64[(v >> 18) & 0x3f];
			line[w++] = b64[(v >> 12) & 0x3f];
			line[w++] = j + 1 < n ? b64[(v >> 6) & 0x3f] : '=';
			line[w++] = j + 2 < n ? b64[v & 0x3f] : '=';
		}
		line[w++] = '\r';
		line[w++] = '\n';
		cbuf_add(b, line, w);
	}
}

/* A name fine as filename="..." on its own. */
static int
filename_plain(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s < ' ' || *s > '~' || *s == '"' || *s == '\\')
			return 0;
	}
	return 1;
}

/*
 * The ASCII stand-in for clients without RFC 2231: Latin-1 letters lose
 * their accents, anything else becomes "_".
 */
static char *
filename_fallback(const char *s)
{
	static const char	 latin1[] =
	    "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo_ouuuuyty";
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = strlen(s), i, n, w = 0;
	char			*out = xmalloc(len + 1);

	for (i = 0; i < len; i += n) {
		n = utf8_seq_len(u + i, len - i);
		if (n == 0)
			n = 1;
		if (n == 1)
			out[w++] = u[i] == '"' || u[i] == '\\' ? '_' : u[i];
		else if (n == 2 && u[i] == 0xc3)
			out[w++] = latin1[u[i + 1] & 0x3f];
		else
			out[w++] = '_';
	}
	out[w] = '\0';
	return out;
}

/* filename*=UTF-8''... with RFC 2231 attr-chars as they are. */
static char *
filename_rfc2231(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	struct cbuf		 b;
	char			 pct[3];

	memset(&b, 0, sizeof b);
	cbuf_str(&b, "filename*=UTF-8''");
	for (; *u != '\0'; u++) {
		if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
		    (*u >= '0' && *u <= '9') ||
		    strchr("!#$&+-.^_`|~", *u) != NULL)
			cbuf_add(&b, u, 1);
		else {
			pct[0] = '%';
			pct[1] = compose_hex[*u >> 4];
			pct[2] = compose_hex[*u & 0xf];
			cbuf_add(&b, pct, 3);
		}
	}
	return b.data;
}

static void
entity_free(struct entity *e)
{
	free(e->head.data);
	free(e->body.data);
	memset(e, 0, sizeof *e);
}

/*
 * A leaf: text is labelled UTF-8 and, unless attached, quoted-printable;
 * the rest, and every attachment, base64.
 */
static void
entity_leaf(struct entity *e, const char *type, const char *method,
    const char *filename, const void *data, size_t len, int attachment)
{
	char	*p[4], *fallback = NULL;
	size_t	 n = 0;
	int	 text = strncasecmp(type, "text/", 5) == 0;

	memset(e, 0, sizeof *e);
	p[n++] = xstrdup(type);
	if (text)
		p[n++] = xstrdup("charset=UTF-8");
	if (method != NULL)
		xasprintf(&p[n++], "method=%s", method);
	if (attachment) {
		fallback = filename_plain(filename) ? xstrdup(filename) :
		    filename_fallback(filename);
		xasprintf(&p[n++], "name=\"%s\"", fallback);
	}
	hdr_params(&e->head, "Content-Type", p, n);
	if (attachment) {
		n = 0;
		p[n++] = xstrdup("attachment");
		/*
		 * filename* first: readers that take the first "filename"
		 * they can decode (Python's email) get the real name, and
		 * readers without RFC 2231 skip to the fallback.
		 */
		if (!filename_plain(filename))
			p[n++] = filename_rfc2231(filename);
		xasprintf(&p[n++], "filename=\"%s\"", fallback);
		hdr_params(&e->head, "Content-Disposition", p, n);
		free(fallback);
	}
	if (text && !attachment) {
		cbuf_str(&e->head,
		    "Content-Transfer-Encoding: quoted-printable\r\n");
		qp_encode(&e->body, data, len);
	} else {
		cbuf_str(&e->head, "Content-Transfer-Encoding: base64\r\n");
		b64_encode(&e->body, data, len);
	}
}

/*
 * Wrap kids (consumed) in multipart/subtype. "=_" cannot occur in
 * quoted-printable or base64, and the boundary is random; it is still
 * checked against every kid, nested boundaries included.
 */
static int
entity_multipart(struct entity *e, const char *subtype, struct entity *kids,
    size_t n, char **cause)
{
	char	 hex[2 * COMPOSE_RANDOM + 1], boundary[64], *p[2];
	size_t	 i, blen;
	int	 tries, clash;

	memset(e, 0, sizeof *e);
	for (tries = 0;; tries++) {
		if (tries == COMPOSE_BOUNDARY_TRIES ||
		    compose_random_hex(hex, COMPOSE_RANDOM) != 0) {
			*cause = xstrdup("cannot make a MIME boundary");
			for (i = 0; i < n; i++)
				entity_free(&kids[i]);
			return -1;
		}
		blen = snprintf(boundary, sizeof boundary, "=_rr_%s", hex);
		clash = 0;
		for (i = 0; i < n && !clash; i++) {
			clash = memmem(kids[i].head.data, kids[i].head.len,
			    boundary, blen) != NULL ||
			    (kids[i].body.len > 0 && memmem(kids[i].body.data,
			    kids[i].body.len, boundary, blen) != NULL);
		}
		if (!clash)
			break;
	}
	xasprintf(&p[0], "multipart/%s", subtype);
	xasprintf(&p[1], "boundary=\"%s\"", boundary);
	hdr_params(&e->head, "Content-Type", p, 2);
	/* Each body ends CRLF; one more is the delimiter's own. */
	for (i = 0; i < n; i++) {
		cbuf_printf(&e->body, "--%s\r\n", boundary);
		cbuf_add(&e->body, kids[i].head.data, kids[i].head.len);
		cbuf_add(&e->body, "\r\n", 2);
		if (kids[i].body.len > 0)
			cbuf_add(&e->body, kids[i].body.data,
			    kids[i].body.len);
		cbuf_add(&e->body, "\r\n", 2);
		entity_free(&kids[i]);
	}
	cbuf_printf(&e->body, "--%s--\r\n", boundary);
	return 0;
}

/* ---- The message ------------------------------------------------------ */

int
compose_build(const struct compose_message *m, char **out, size_t *len,
    char **cause)
{
	const struct compose_part	*a;
	struct entity			 root, *kids = NULL;
	struct cbuf			 b;
	char				 date[COMPOSE_DATE_MAX];
	char				 msgid[COMPOSE_MSGID_MAX];
	const char			*text = m->text != NULL ? m->text : "";
	size_t				 i, n;

	*out = NULL;
	*len = 0;
	memset(&b, 0, sizeof b);
	memset(&root, 0, sizeof root);
	if (compose_validate(m, cause) != 0)
		return -1;
	if (compose_date(m->date, m->timezone, date) != 0) {
		*cause = xstrdup("unknown time zone or date out of range");
		return -1;
	}
	if (m->message_id != NULL)
		snprintf(msgid, sizeof msgid, "%s", m->message_id);
	else if (compose_message_id(strchr(m->from.addr, '@') + 1, m->date,
	    msgid) != 0) {
		*cause = xstrdup("cannot make a Message-ID");
		return -1;
	}

	/* The body: text, then alternatives, then attachments around. */
	entity_leaf(&root, "text/plain", NULL, NULL, text, m->text_len, 0);
	if (m->html != NULL || m->nalternatives > 0) {
		kids = xcalloc(2 + m->nalternatives, sizeof *kids);
		n = 0;
		kids[n++] = root;
		if (m->html != NULL)
			entity_leaf(&kids[n++], "text/html", NULL, NULL,
			    m->html, m->html_len, 0);
		for (i = 0; i < m->nalternatives; i++) {
			a = &m->alternatives[i];
			entity_leaf(&kids[n++], a->content_type, a->method,
			    NULL, a->data, a->len, 0);
		}
		if (entity_multipart(&root, "alternative", kids, n,
		    cause) != 0)
			goto fail;
		free(kids);
		kids = NULL;
	}
	if (m->nattachments > 0) {
		kids = xcalloc(1 + m->nattachments, sizeof *kids);
		n = 0;
		kids[n++] = root;
		for (i = 0; i < m->nattachments; i++) {
			a = &m->attachments[i];
			entity_leaf(&kids[n++], a->content_type, a->method,
			    a->filename, a->data, a->len, 1);
		}
		if (entity_multipart(&root, "mixed", kids, n, cause) != 0)
			goto fail;
		free(kids);
		kids = NULL;
	}

	cbuf_printf(&b, "Date: %s\r\n", date);
	hdr_addresses(&b, "From", &m->from, 1);
	hdr_addresses(&b, "To", m->to, m->nto);
	if (m->ncc > 0)
		hdr_addresses(&b, "Cc", m->cc, m->ncc);
	if (m->reply_to != NULL)
		hdr_addresses(&b, "Reply-To", m->reply_to, 1);
	hdr_unstructured(&b, "Subject", m->subject != NULL ? m->subject : "");
	cbuf_printf(&b, "Message-ID: %s\r\n", msgid);
	if (m->in_reply_to != NULL)
		cbuf_printf(&b, "In-Reply-To: %s\r\n", m->in_reply_to);
	if (m->nreferences > 0) {
		cbuf_str(&b, "References:");
		for (i = 0; i < m->nreferences; i++)
			hdr_token(&b, m->references[i],
			    strlen(m->references[i]));
		cbuf_add(&b, "\r\n", 2);
	} else if (m->in_reply_to != NULL)
		cbuf_printf(&b, "References: %s\r\n", m->in_reply_to);
	cbuf_str(&b, "Auto-Submitted: auto-generated\r\n");
	if (m->loop != NULL)
		cbuf_printf(&b, "X-Loop: %s\r\n", m->loop);
	for (i = 0; i < m->nheaders; i++)
		hdr_unstructured(&b, m->headers[i].name, m->headers[i].value);
	cbuf_str(&b, "MIME-Version: 1.0\r\n");
	cbuf_add(&b, root.head.data, root.head.len);
	cbuf_add(&b, "\r\n", 2);
	if (root.body.len > 0)
		cbuf_add(&b, root.body.data, root.body.len);
	entity_free(&root);

	*out = b.data;
	*len = b.len;
	return 0;

fail:
	free(kids);
	entity_free(&root);
	free(b.data);
	return -1;
}
