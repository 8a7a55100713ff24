/*
 * mime.c - a raw RFC 5322 message parsed into headers, a part tree and
 * the text a person typed.
 *
 * The structure parser is our own rather than libetpan's mailmime_parse:
 * it walks each multipart's own byte range once per level, so every limit
 * (depth, parts, header fields, parameters, decoded size) is checked
 * before the work it guards, recursion is bounded by the depth limit, and
 * malformed input (no closing boundary, headers without a blank line,
 * broken folding, NUL bytes) has one defined reading. libetpan 1.9.4's
 * quoted-printable decoder writes NUL bytes for "=4" at the end, "= \r\n"
 * and "=ZZ", so the transfer decodings are ours too.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "mime.h"
#include "xmalloc.h"

#define MIME_DEPTH_CEILING	1000	/* recursion guard above any config */
#define MIME_MAX_WARNINGS	50
#define MIME_MAX_ADDRESSES	1000	/* per address header */
#define MIME_MAX_REFERENCES	200
#define MIME_MAX_DSN		1000
#define MIME_MAX_CHARSET	64

struct buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

struct rawhdr {
	const char	*name;
	size_t		 nlen;
	const char	*val;
	size_t		 vlen;
};

struct hdrs {
	struct rawhdr	*h;
	size_t		 n;
	size_t		 cap;
};

struct param {
	char	*name;		/* lower case, without the RFC 2231 suffix */
	int	 section;	/* RFC 2231 continuation number, -1: none */
	int	 ext;		/* value is charset'lang'%XX encoded */
	char	*value;		/* unquoted */
};

struct field {
	char		*value;		/* lower case, no spaces: "text/plain" */
	struct param	*params;
	size_t		 n;
};

/* What the tree walk knows about a part but the caller does not need. */
struct pinfo {
	int	 has_cid;
	int	 flowed;
	int	 delsp;
	int	 report_dsn;	/* multipart/report, delivery-status */
	char	*inner_msgid;	/* message/rfc822: Message-ID inside */
};

struct ctx {
	struct mime_limits	 lim;
	struct mime_message	*m;
	size_t			 cap;
	struct pinfo		*info;
	unsigned char		**bufs;	/* decoded message/rfc822 bodies */
	size_t			 nbufs;
	struct hdrs		 top;
	enum mime_error		 err;
	char			*cause;
};

static void	 buf_grow(struct buf *, size_t);
static void	 buf_add(struct buf *, const void *, size_t);
static void	 buf_addc(struct buf *, int);
static void	 buf_addcp(struct buf *, unsigned);
static char	*buf_str(struct buf *);
static size_t	 utf8_len(const unsigned char *, size_t);
static int	 utf8_valid(const unsigned char *, size_t);
static void	 add_utf8(struct buf *, const unsigned char *, size_t);
static void	 add_cp1252(struct buf *, const unsigned char *, size_t);
static int	 add_iconv(struct buf *, const char *, const unsigned char *,
		    size_t);
static int	 conv_add(struct buf *, const char *, const void *, size_t);
static size_t	 b64_decode(const unsigned char *, size_t, unsigned char *);
static size_t	 qp_decode(const unsigned char *, size_t, unsigned char *);
static char	*rfc2047_decode(const char *, size_t);
static char	*hdr_value(const char *, size_t);
static char	*unfold(const char *, size_t);
static int	 hdr_line_valid(const char *, size_t);
static int	 hdrs_parse(const char *, size_t, size_t, int, struct hdrs *,
		    size_t *);
static const struct rawhdr *hdrs_find(const struct hdrs *, const char *);
static int	 field_parse(const char *, size_t, struct field *);
static void	 field_free(struct field *);
static const char *param_raw(const struct field *, const char *);
static char	*param_get(const struct field *, const char *);
static char	*msgid_extract(const char *, size_t);
static void	 refs_extract(struct mime_message *, const char *, size_t);
static char	*addr_normalise(const char *, size_t);
static void	 addr_list(const char *, size_t, struct mime_address **,
		    size_t *, size_t, int *);
static time_t	 date_parse(const char *);
static void	 warn(struct ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 fail(struct ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 part_add(struct ctx *, int, unsigned);
static int	 parse_entity(struct ctx *, const char *, size_t, int,
		    unsigned, int);
static int	 parse_multipart(struct ctx *, int, const char *, size_t,
		    const char *, unsigned, int);
static int	 parse_leaf(struct ctx *, int, const char *, size_t,
		    const char *);
static void	 unpack_tnef(struct ctx *, int);
static int	 in_forwarded(const struct ctx *, size_t);
static char	*unflow(const char *, int);
static void	 message_text(struct ctx *);
static void	 message_fields(struct ctx *);
static void	 dsn_collect(struct ctx *);

void
mime_limits_default(struct mime_limits *l)
{
	l->max_message_size = 50ULL * 1024 * 1024;
	l->max_attachment_size = 25ULL * 1024 * 1024;
	l->max_depth = 32;
	l->max_parts = 1000;
	l->max_headers = 1000;
	l->max_params = 100;
}

/* Growable byte buffers; the string is always NUL-terminated on demand. */
static void
buf_grow(struct buf *b, size_t need)
{
	size_t	size;

	if (b->p != NULL && b->size - b->len > need)
		return;
	size = b->size ? b->size : 64;
	while (size - b->len <= need) {
		if (size > SIZE_MAX / 2)
			size = SIZE_MAX;	/* xreallocarray will refuse */
		else
			size *= 2;
	}
	b->p = xreallocarray(b->p, 1, size);
	b->size = size;
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_addc(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->p[b->len++] = (char)c;
}

static void
buf_addcp(struct buf *b, unsigned cp)
{
	unsigned char	u[4];

	if (cp < 0x80) {
		buf_addc(b, (int)cp);
		return;
	}
	if (cp < 0x800) {
		u[0] = 0xc0 | (cp >> 6);
		u[1] = 0x80 | (cp & 0x3f);
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = 0xe0 | (cp >> 12);
		u[1] = 0x80 | ((cp >> 6) & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		buf_add(b, u, 3);
	} else {
		u[0] = 0xf0 | (cp >> 18);
		u[1] = 0x80 | ((cp >> 12) & 0x3f);
		u[2] = 0x80 | ((cp >> 6) & 0x3f);
		u[3] = 0x80 | (cp & 0x3f);
		buf_add(b, u, 4);
	}
}

static char *
buf_str(struct buf *b)
{
	buf_grow(b, 1);
	b->p[b->len] = '\0';
	return b->p;
}

/* Length of the well-formed UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned	c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0;	/* overlong, surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 ||
		    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t	i = 0, l;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((l = utf8_len(s + i, n - i)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

/* Append as UTF-8; bad sequences and NUL become U+FFFD. */
static void
add_utf8(struct buf *b, const unsigned char *s, size_t n)
{
	size_t	i = 0, start = 0, l;

	while (i < n) {
		if (s[i] != 0 && s[i] < 0x80) {
			i++;
			continue;
		}
		l = s[i] == 0 ? 0 : utf8_len(s + i, n - i);
		if (l != 0) {
			i += l;
			continue;
		}
		buf_add(b, s + start, i - start);
		buf_addcp(b, 0xfffd);
		start = ++i;
	}
	buf_add(b, s + start, i - start);
}

static void
add_cp1252(struct buf *b, const unsigned char *s, size_t n)
{
	static const unsigned short c1[32] = {
		0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
		0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
		0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
		0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
	};
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] == 0)
			buf_addcp(b, 0xfffd);
		else if (s[i] < 0x80)
			buf_addc(b, s[i]);
		else if (s[i] < 0xa0)
			buf_addcp(b, c1[s[i] - 0x80]);
		else
			buf_addcp(b, s[i]);
	}
}

/* Convert with iconv; returns -1 when the charset is unknown to it. */
static int
add_iconv(struct buf *b, const char *name, const unsigned char *s, size_t n)
{
	iconv_t		 cd;
	char		 tmp[4096], *in, *out;
	size_t		 inleft, outleft, r;
	struct buf	 raw = { NULL, 0, 0 };

	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return -1;
	in = (char *)(uintptr_t)s;
	inleft = n;
	while (inleft > 0) {
		out = tmp;
		outleft = sizeof tmp;
		r = iconv(cd, &in, &inleft, &out, &outleft);
		buf_add(&raw, tmp, (size_t)(out - tmp));
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		buf_add(&raw, "\xef\xbf\xbd", 3);
		if (errno != EILSEQ)
			break;		/* EINVAL: truncated at the end */
		in++;
		inleft--;
	}
	out = tmp;
	outleft = sizeof tmp;
	(void)iconv(cd, NULL, NULL, &out, &outleft);
	buf_add(&raw, tmp, (size_t)(out - tmp));
	iconv_close(cd);
	/* Removes NUL bytes (UTF-16 text may hold them) and checks again. */
	add_utf8(b, (const unsigned char *)raw.p, raw.len);
	free(raw.p);
	return 0;
}

/*
 * Append n bytes in charset cs as UTF-8. Returns 0, or -1 when the
 * charset was unknown and the bytes were read as UTF-8 or Windows-1252.
 */
static int
conv_add(struct buf *b, const char *cs, const void *data, size_t n)
{
	static const struct {
		const char	*alias;
		const char	*name;
	} map[] = {
		{ "utf-8", "" }, { "utf8", "" }, { "x-utf8", "" },
		{ "iso-8859-1", NULL }, { "iso8859-1", NULL },
		{ "iso_8859-1", NULL }, { "latin1", NULL }, { "l1", NULL },
		{ "windows-1252", NULL }, { "cp1252", NULL },
		{ "x-cp1252", NULL }, { "cp819", NULL },
		{ "x-user-defined", NULL },
		{ "gb2312", "GB18030" }, { "gbk", "GB18030" },
		{ "x-gbk", "GB18030" }, { "euc-cn", "GB18030" },
		{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601", "CP949" },
		{ "euc-kr", "CP949" },
		{ "shift_jis", "CP932" }, { "shift-jis", "CP932" },
		{ "sjis", "CP932" }, { "x-sjis", "CP932" },
		{ "iso-8859-8-i", "ISO-8859-8" },
		{ "x-mac-roman", "MACINTOSH" }, { "mac", "MACINTOSH" },
		{ "unicode-1-1-utf-7", "UTF-7" },
		{ "windows-874", "CP874" },
	};
	static const char	*autos[] = { "us-ascii", "ascii", "ansi_x3.4-1968",
	    "unknown-8bit", "x-unknown", "unknown", "default", "8bit",
	    "binary", "7bit", "us", "iso646-us", "x-unknown-8bit" };
	const unsigned char	*s = data;
	char			 name[MIME_MAX_CHARSET + 1];
	size_t			 i, j;

	if (n == 0)
		return 0;
	if (cs == NULL)
		goto guess;
	while (*cs == ' ' || *cs == '\t' || *cs == '"' || *cs == '\'')
		cs++;
	for (i = 0; cs[i] != '\0' && i < MIME_MAX_CHARSET; i++) {
		if (!isalnum((unsigned char)cs[i]) &&
		    strchr("-_.:+", cs[i]) == NULL)
			break;
		name[i] = (char)tolower((unsigned char)cs[i]);
	}
	name[i] = '\0';
	/* Only a clean name reaches iconv_open: no "//" suffixes, no paths. */
	j = i;
	while (cs[j] == ' ' || cs[j] == '\t' || cs[j] == '"' || cs[j] == '\'')
		j++;
	if (i == 0 || cs[j] != '\0')
		goto unknown;
	for (i = 0; i < sizeof autos / sizeof autos[0]; i++)
		if (strcmp(name, autos[i]) == 0)
			goto guess;
	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(name, map[i].alias) != 0)
			continue;
		if (map[i].name == NULL)
			add_cp1252(b, s, n);
		else if (map[i].name[0] == '\0')
			add_utf8(b, s, n);
		else if (add_iconv(b, map[i].name, s, n) == -1)
			add_cp1252(b, s, n);
		return 0;
	}
	if (add_iconv(b, name, s, n) == 0)
		return 0;
	if (strncmp(name, "x-", 2) == 0 && add_iconv(b, name + 2, s, n) == 0)
		return 0;
unknown:
	if (utf8_valid(s, n))
		add_utf8(b, s, n);
	else
		add_cp1252(b, s, n);
	return -1;
guess:
	if (utf8_valid(s, n))
		add_utf8(b, s, n);
	else
		add_cp1252(b, s, n);
	return 0;
}

char *
mime_to_utf8(const char *charset, const void *data, size_t len)
{
	struct buf	b = { NULL, 0, 0 };

	(void)conv_add(&b, charset, data, len);
	return buf_str(&b);
}

/* Transfer decodings write at most n bytes to out. */
static size_t
b64_decode(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t		i, o = 0;
	unsigned	v = 0;
	int		bits = 0, d;

	for (i = 0; i < n; i++) {
		unsigned char	c = in[i];

		if (c >= 'A' && c <= 'Z')
			d = c - 'A';
		else if (c >= 'a' && c <= 'z')
			d = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			d = c - '0' + 52;
		else if (c == '+' || c == '-')
			d = 62;
		else if (c == '/' || c == '_')
			d = 63;
		else {
			/* Padding ends a quantum: glued-together chunks work. */
			if (c == '=') {
				bits = 0;
				v = 0;
			}
			continue;
		}
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
			v &= (1U << bits) - 1;
		}
	}
	return o;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t
qp_decode(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t	i = 0, o = 0, j;
	int	h, l;

	while (i < n) {
		if (in[i] == '=') {
			if (i + 2 < n && (h = hexval(in[i + 1])) >= 0 &&
			    (l = hexval(in[i + 2])) >= 0) {
				out[o++] = (unsigned char)(h << 4 | l);
				i += 3;
				continue;
			}
			j = i + 1;
			while (j < n && (in[j] == ' ' || in[j] == '\t'))
				j++;
			if (j == n) {
				i = n;		/* soft break at the end */
				continue;
			}
			if (in[j] == '\n') {
				i = j + 1;
				continue;
			}
			if (in[j] == '\r') {
				i = j + 1 + (j + 1 < n && in[j + 1] == '\n');
				continue;
			}
			out[o++] = '=';
			i++;
			continue;
		}
		if (in[i] == ' ' || in[i] == '\t') {
			/* Whitespace before a line end was added in transit. */
			j = i;
			while (j < n && (in[j] == ' ' || in[j] == '\t'))
				j++;
			if (j == n || in[j] == '\n' ||
			    (in[j] == '\r' && j + 1 < n && in[j + 1] == '\n')) {
				i = j;
				continue;
			}
			memcpy(out + o, in + i, j - i);
			o += j - i;
			i = j;
			continue;
		}
		out[o++] = in[i++];
	}
	return o;
}

/* RFC 2047: one "=?charset?X?text?=" word at s, or -1. */
struct ew {
	const char	*cs;
	size_t		 cslen;
	int		 enc;
	const char	*text;
	size_t		 tlen;
	size_t		 len;
};

static int
ew_parse(const char *s, size_t n, struct ew *ew)
{
	size_t	i, j;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return -1;
	for (j = 2; j < n && s[j] != '?'; j++)
		if ((unsigned char)s[j] <= ' ' || (unsigned char)s[j] >= 0x7f ||
		    j - 2 >= MIME_MAX_CHARSET)
			return -1;
	if (j >= n || j == 2)
		return -1;
	ew->cs = s + 2;
	ew->cslen = j - 2;
	i = j + 1;
	if (i + 1 >= n || s[i + 1] != '?')
		return -1;
	ew->enc = tolower((unsigned char)s[i]);
	if (ew->enc != 'b' && ew->enc != 'q')
		return -1;
	i += 2;
	/* The scan stops at the first '?', so failures cost linear time. */
	for (j = i; j < n && s[j] != '?'; j++)
		if ((unsigned char)s[j] <= ' ')
			return -1;
	if (j + 1 >= n || s[j + 1] != '=')
		return -1;
	ew->text = s + i;
	ew->tlen = j - i;
	ew->len = j + 2;
	return 0;
}

static void
ew_flush(struct buf *out, struct buf *pend, const char *cs)
{
	if (pend->len == 0)
		return;
	(void)conv_add(out, cs, pend->p, pend->len);
	pend->len = 0;
}

/*
 * Decode encoded words; the whitespace between two of them goes, and
 * adjacent words in one charset are joined before conversion so that a
 * character split over two words survives. Raw 8-bit text is read as
 * UTF-8 when valid, else Windows-1252.
 */
static char *
rfc2047_decode(const char *s, size_t n)
{
	struct buf	 out = { NULL, 0, 0 }, pend = { NULL, 0, 0 };
	char		 cs[MIME_MAX_CHARSET + 1] = "";
	size_t		 i = 0, lit = 0, k, o;
	int		 prev_ew = 0, ws;
	struct ew	 ew;
	const char	*star;

	while (i < n) {
		if (s[i] != '=' || i + 1 >= n || s[i + 1] != '?' ||
		    ew_parse(s + i, n - i, &ew) == -1) {
			i++;
			continue;
		}
		ws = 1;
		for (k = lit; k < i; k++)
			if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r' &&
			    s[k] != '\n')
				ws = 0;
		if (!(prev_ew && ws) && i > lit) {
			ew_flush(&out, &pend, cs);
			(void)conv_add(&out, NULL, s + lit, i - lit);
		}
		k = ew.cslen;
		if ((star = memchr(ew.cs, '*', k)) != NULL)	/* RFC 2231 */
			k = (size_t)(star - ew.cs);
		if (strlen(cs) != k || strncasecmp(cs, ew.cs, k) != 0) {
			ew_flush(&out, &pend, cs);
			memcpy(cs, ew.cs, k);
			cs[k] = '\0';
		}
		buf_grow(&pend, ew.tlen);
		if (ew.enc == 'b')
			o = b64_decode((const unsigned char *)ew.text, ew.tlen,
			    (unsigned char *)pend.p + pend.len);
		else {
			unsigned char	*d = (unsigned char *)pend.p + pend.len;
			int		 h, l;

			for (o = 0, k = 0; k < ew.tlen; k++) {
				if (ew.text[k] == '_')
					d[o++] = ' ';
				else if (ew.text[k] == '=' && k + 2 < ew.tlen &&
				    (h = hexval(ew.text[k + 1])) >= 0 &&
				    (l = hexval(ew.text[k + 2])) >= 0) {
					d[o++] = (unsigned char)(h << 4 | l);
					k += 2;
				} else
					d[o++] = (unsigned char)ew.text[k];
			}
		}
		pend.len += o;
		i += ew.len;
		lit = i;
		prev_ew = 1;
	}
	ew_flush(&out, &pend, cs);
	if (n > lit)
		(void)conv_add(&out, NULL, s + lit, n - lit);
	free(pend.p);
	return buf_str(&out);
}

/* A copy of a header value with its line breaks removed. */
static char *
unfold(const char *s, size_t n)
{
	char	*r = xmalloc(n + 1);
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		r[o++] = s[i] == '\0' ? ' ' : s[i];
	}
	r[o] = '\0';
	return r;
}

/* Unfolded, decoded, controls turned to spaces, trimmed. */
static char *
hdr_value(const char *s, size_t n)
{
	char	*u, *d, *p, *start;
	size_t	 len;

	u = unfold(s, n);
	d = rfc2047_decode(u, strlen(u));
	free(u);
	for (p = d; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	start = d;
	while (*start == ' ')
		start++;
	len = strlen(start);
	while (len > 0 && start[len - 1] == ' ')
		len--;
	memmove(d, start, len);
	d[len] = '\0';
	return d;
}

/* "Name:" at the start of the line at s (the rest of the buffer). */
static int
hdr_line_valid(const char *s, size_t n)
{
	size_t	i;

	if (n > 0 && (s[0] == ' ' || s[0] == '\t'))
		return 1;
	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c == ':')
			return i > 0;
		if (c == ' ' || c == '\t') {
			/* "Subject :" - obsolete but seen */
			while (i < n && (s[i] == ' ' || s[i] == '\t'))
				i++;
			return i > 0 && i < n && s[i] == ':' && s[0] != ' ';
		}
		if (c < 33 || c > 126)
			return 0;
	}
	return 0;
}

/* The last field continues to the end of the line ending at ce. */
static void
hdr_extend(struct hdrs *hs, const char *p, size_t ce)
{
	struct rawhdr	*h = &hs->h[hs->n - 1];

	h->vlen = ce - (size_t)(h->val - p);
}

/*
 * Read the header block at p up to the blank line; *body is where the
 * body starts. A line that is no header field ends the block, except an
 * unindented continuation (broken folding) followed by more fields.
 * Returns 0, or -1 when there are more than max fields.
 */
static int
hdrs_parse(const char *p, size_t len, size_t max, int top, struct hdrs *hs,
    size_t *body)
{
	size_t		 i = 0, le, next, ce, k;
	const char	*nl, *colon;
	int		 first = 1, blank;

	hs->n = 0;
	while (i < len) {
		nl = memchr(p + i, '\n', len - i);
		le = nl != NULL ? (size_t)(nl - p) : len;
		next = nl != NULL ? le + 1 : len;
		ce = le;
		if (ce > i && p[ce - 1] == '\r')
			ce--;
		if (ce == i) {
			*body = next;
			return 0;
		}
		if (p[i] == ' ' || p[i] == '\t') {
			blank = 1;
			for (k = i; k < ce; k++)
				if (p[k] != ' ' && p[k] != '\t' && p[k] != '\r')
					blank = 0;
			if (hs->n == 0) {
				*body = blank ? next : i;
				return 0;
			}
			hdr_extend(hs, p, ce);
		} else if (hdr_line_valid(p + i, ce - i)) {
			if (hs->n >= max)
				return -1;
			if (hs->n == hs->cap) {
				hs->cap = hs->cap ? hs->cap * 2 : 32;
				hs->h = xreallocarray(hs->h, hs->cap,
				    sizeof *hs->h);
			}
			colon = memchr(p + i, ':', ce - i);
			hs->h[hs->n].name = p + i;
			hs->h[hs->n].nlen = (size_t)(colon - (p + i));
			while (hs->h[hs->n].nlen > 0 &&
			    (p[i + hs->h[hs->n].nlen - 1] == ' ' ||
			    p[i + hs->h[hs->n].nlen - 1] == '\t'))
				hs->h[hs->n].nlen--;
			hs->h[hs->n].val = colon + 1;
			hs->h[hs->n].vlen = ce - (size_t)(colon + 1 - p);
			hs->n++;
		} else if (first && top && ce - i >= 5 &&
		    memcmp(p + i, "From ", 5) == 0) {
			/* mbox separator line */
		} else if (hs->n > 0 && next < len &&
		    hdr_line_valid(p + next, len - next)) {
			hdr_extend(hs, p, ce);
		} else {
			*body = i;
			return 0;
		}
		first = 0;
		i = next;
	}
	*body = len;
	return 0;
}

static const struct rawhdr *
hdrs_find(const struct hdrs *hs, const char *name)
{
	size_t	i, n = strlen(name);

	for (i = 0; i < hs->n; i++)
		if (hs->h[i].nlen == n &&
		    strncasecmp(hs->h[i].name, name, n) == 0)
			return &hs->h[i];
	return NULL;
}

static size_t
skip_cfws(const char *s, size_t i)
{
	int	depth;

	for (;;) {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (s[i] != '(')
			return i;
		for (depth = 0; s[i] != '\0'; i++) {
			if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && --depth == 0) {
				i++;
				break;
			}
		}
	}
}

/*
 * Parse an unfolded "value; a=b; c*0*=..." field. Returns 0, or -1 when
 * it has more than max parameters.
 */
static int
field_parse(const char *s, size_t max, struct field *f)
{
	struct buf	 v = { NULL, 0, 0 };
	size_t		 i, start, end, k, cap = 0;
	struct param	*pm;
	char		*attr, *star;

	memset(f, 0, sizeof *f);
	i = skip_cfws(s, 0);
	for (; s[i] != '\0' && s[i] != ';'; i++) {
		if (s[i] == '(') {
			i = skip_cfws(s, i) - 1;
			continue;
		}
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '"')
			buf_addc(&v, tolower((unsigned char)s[i]));
	}
	f->value = buf_str(&v);
	while (s[i] == ';') {
		i = skip_cfws(s, i + 1);
		if (s[i] == '\0')
			break;
		start = i;
		while (s[i] != '\0' && s[i] != '=' && s[i] != ';')
			i++;
		end = i;
		while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		if (f->n >= max) {
			field_free(f);
			return -1;
		}
		if (s[i] != '=' || end == start) {
			/* A parameter without a value: counted, not kept. */
			while (s[i] != '\0' && s[i] != ';')
				i++;
			continue;
		}
		if (f->n == cap) {
			cap = cap ? cap * 2 : 8;
			f->params = xreallocarray(f->params, cap, sizeof *pm);
		}
		pm = &f->params[f->n++];
		attr = xstrndup(s + start, end - start);
		for (k = 0; attr[k] != '\0'; k++)
			attr[k] = (char)tolower((unsigned char)attr[k]);
		pm->section = -1;
		pm->ext = 0;
		if ((star = strchr(attr, '*')) != NULL) {
			char	*q = star + 1;

			*star = '\0';
			if (*q == '\0')
				pm->ext = 1;
			else {
				int	sec = 0, nd = 0;

				while (isdigit((unsigned char)*q) && nd < 5) {
					sec = sec * 10 + (*q++ - '0');
					nd++;
				}
				if (*q == '*') {
					pm->ext = 1;
					q++;
				}
				/* Unreadable suffixes name no parameter. */
				pm->section = (nd == 0 || nd > 4 || *q != '\0') ?
				    -2 : sec;
			}
		}
		pm->name = attr;
		i = skip_cfws(s, i + 1);
		v.p = NULL;
		v.len = v.size = 0;
		if (s[i] == '"') {
			/*
			 * A backslash escapes only '"' and '\\': Windows paths
			 * ("C:\TEMP\x.png") are written unescaped in practice.
			 */
			for (i++; s[i] != '\0' && s[i] != '"'; i++) {
				if (s[i] == '\\' && (s[i + 1] == '"' ||
				    s[i + 1] == '\\'))
					i++;
				buf_addc(&v, s[i]);
			}
			while (s[i] != '\0' && s[i] != ';')
				i++;
		} else {
			start = i;
			while (s[i] != '\0' && s[i] != ';')
				i++;
			end = i;
			while (end > start &&
			    (s[end - 1] == ' ' || s[end - 1] == '\t'))
				end--;
			buf_add(&v, s + start, end - start);
		}
		pm->value = buf_str(&v);
	}
	return 0;
}

static void
field_free(struct field *f)
{
	size_t	i;

	for (i = 0; i < f->n; i++) {
		free(f->params[i].name);
		free(f->params[i].value);
	}
	free(f->params);
	free(f->value);
	memset(f, 0, sizeof *f);
}

/* A plain parameter value as written (for boundary, charset, ...). */
static const char *
param_raw(const struct field *f, const char *name)
{
	size_t	i;

	for (i = 0; i < f->n; i++)
		if (f->params[i].section == -1 && !f->params[i].ext &&
		    strcmp(f->params[i].name, name) == 0)
			return f->params[i].value;
	for (i = 0; i < f->n; i++)	/* name*=us-ascii''x for a boundary */
		if (f->params[i].section == -1 &&
		    strcmp(f->params[i].name, name) == 0) {
			const char	*q = strchr(f->params[i].value, '\'');

			if (q != NULL && (q = strchr(q + 1, '\'')) != NULL)
				return q + 1;
			return f->params[i].value;
		}
	return NULL;
}

static void
pct_decode(struct buf *b, const char *s)
{
	int	h, l;

	for (; *s != '\0'; s++) {
		if (*s == '%' && (h = hexval(s[1])) >= 0 &&
		    (l = hexval(s[2])) >= 0) {
			buf_addc(b, h << 4 | l);
			s += 2;
		} else
			buf_addc(b, *s);
	}
}

/* Split "charset'lang'text": returns text, sets the charset. */
static const char *
ext_split(const char *v, char *cs, size_t cslen)
{
	const char	*q1, *q2;
	size_t		 n;

	cs[0] = '\0';
	if ((q1 = strchr(v, '\'')) == NULL ||
	    (q2 = strchr(q1 + 1, '\'')) == NULL)
		return v;
	n = (size_t)(q1 - v);
	if (n < cslen) {
		memcpy(cs, v, n);
		cs[n] = '\0';
	}
	return q2 + 1;
}

static int
param_cmp(const void *a, const void *b)
{
	const struct param	*x = *(const struct param * const *)a;
	const struct param	*y = *(const struct param * const *)b;

	return (x->section > y->section) - (x->section < y->section);
}

/* A parameter decoded to UTF-8: RFC 2231 first, then RFC 2047, or NULL. */
static char *
param_get(const struct field *f, const char *name)
{
	struct buf		  b = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	const struct param	**seg;
	char			  cs[MIME_MAX_CHARSET + 1] = "";
	size_t			  i, n = 0;
	int			  any_ext = 0, last = -1;
	char			 *r;

	for (i = 0; i < f->n; i++) {
		const struct param	*p = &f->params[i];

		if (p->section != -1 || !p->ext || strcmp(p->name, name) != 0)
			continue;
		pct_decode(&b, ext_split(p->value, cs, sizeof cs));
		(void)conv_add(&out, cs[0] ? cs : NULL, b.p, b.len);
		free(b.p);
		return buf_str(&out);
	}
	seg = xreallocarray(NULL, f->n + 1, sizeof *seg);
	for (i = 0; i < f->n; i++)
		if (f->params[i].section >= 0 &&
		    strcmp(f->params[i].name, name) == 0)
			seg[n++] = &f->params[i];
	if (n > 0) {
		qsort(seg, n, sizeof *seg, param_cmp);
		for (i = 0; i < n; i++) {
			if (seg[i]->section == last)
				continue;	/* a repeated section */
			last = seg[i]->section;
			if (seg[i]->ext) {
				any_ext = 1;
				pct_decode(&b, i == 0 && seg[i]->section == 0 ?
				    ext_split(seg[i]->value, cs, sizeof cs) :
				    seg[i]->value);
			} else
				buf_add(&b, seg[i]->value,
				    strlen(seg[i]->value));
		}
		free(seg);
		if (any_ext) {
			(void)conv_add(&out, cs[0] ? cs : NULL, b.p, b.len);
			r = buf_str(&out);
		} else
			r = rfc2047_decode(b.p != NULL ? b.p : "", b.len);
		free(b.p);
		return r;
	}
	free(seg);
	for (i = 0; i < f->n; i++)
		if (f->params[i].section == -1 && !f->params[i].ext &&
		    strcmp(f->params[i].name, name) == 0)
			return rfc2047_decode(f->params[i].value,
			    strlen(f->params[i].value));
	return NULL;
}

char *
mime_filename_sanitise(const char *name)
{
	struct buf	 b = { NULL, 0, 0 }, o = { NULL, 0, 0 };
	const char	*s, *ext;
	size_t		 i, l, n, extlen = 0, keep;
	unsigned	 cp;

	if (name == NULL)
		return NULL;
	add_utf8(&b, (const unsigned char *)name, strlen(name));
	buf_str(&b);
	s = b.p;
	for (i = 0; i < b.len; i++)
		if (b.p[i] == '/' || b.p[i] == '\\')
			s = b.p + i + 1;
	n = b.len - (size_t)(s - b.p);
	for (i = 0; i < n; i += l) {
		const unsigned char	*u = (const unsigned char *)s + i;

		l = utf8_len(u, n - i);
		if (l == 0)
			l = 1;
		cp = u[0];
		if (l == 2)
			cp = (u[0] & 0x1fU) << 6 | (u[1] & 0x3fU);
		else if (l == 3)
			cp = (u[0] & 0x0fU) << 12 | (u[1] & 0x3fU) << 6 |
			    (u[2] & 0x3fU);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    cp == 0x200e || cp == 0x200f || (cp >= 0x202a &&
		    cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		    cp == 0xfeff)
			continue;
		if (o.len == 0 && (cp == '.' || cp == ' '))
			continue;
		buf_add(&o, u, l);
	}
	while (o.len > 0 && o.p[o.len - 1] == ' ')
		o.len--;
	free(b.p);
	if (o.len == 0) {
		free(o.p);
		return NULL;
	}
	buf_str(&o);
	if (o.len > 200) {
		ext = strrchr(o.p, '.');
		if (ext != NULL)
			extlen = strlen(ext);
		if (extlen > 16 || (ext != NULL && strchr(ext, ' ') != NULL))
			extlen = 0;
		keep = 200 - extlen;
		while (keep > 0 && ((unsigned char)o.p[keep] & 0xc0) == 0x80)
			keep--;
		if (extlen > 0)
			memmove(o.p + keep, o.p + o.len - extlen, extlen);
		o.len = keep + extlen;
		o.p[o.len] = '\0';
	}
	return o.p;
}

/* The first <id> (or bare token) of a Message-ID-like field, or NULL. */
static char *
msgid_extract(const char *s, size_t n)
{
	const char	*lt, *gt, *start;
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i, len;

	lt = memchr(s, '<', n);
	if (lt != NULL) {
		gt = memchr(lt, '>', n - (size_t)(lt - s));
		start = lt + 1;
		len = gt != NULL ? (size_t)(gt - start) : n - (size_t)(start - s);
	} else {
		for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t' ||
		    s[i] == '\r' || s[i] == '\n'); i++)
			;
		start = s + i;
		for (len = 0; i + len < n && (unsigned char)start[len] > ' ' &&
		    start[len] != '('; len++)
			;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)start[i] > ' ' &&
		    (unsigned char)start[i] < 0x7f && start[i] != '<' &&
		    start[i] != '>')
			buf_addc(&b, start[i]);
	if (b.len == 0 || b.len > 998) {
		free(b.p);
		return NULL;
	}
	return buf_str(&b);
}

/* References: every <id>, at most the first and the last 199. */
static void
refs_extract(struct mime_message *m, const char *s, size_t n)
{
	size_t		 i, count = 0, k = 0, skip_from, skip_to;
	const char	*lt, *gt;
	char		*id;

	for (i = 0; i < n; i = (size_t)(gt - s) + 1) {
		if ((lt = memchr(s + i, '<', n - i)) == NULL ||
		    (gt = memchr(lt, '>', n - (size_t)(lt - s))) == NULL)
			break;
		count++;
	}
	if (count == 0)
		return;
	skip_from = 1;
	skip_to = count > MIME_MAX_REFERENCES ?
	    count - (MIME_MAX_REFERENCES - 1) : 1;
	m->references = xcalloc(count < MIME_MAX_REFERENCES ? count :
	    MIME_MAX_REFERENCES, sizeof *m->references);
	for (i = 0; i < n; i = (size_t)(gt - s) + 1, k++) {
		if ((lt = memchr(s + i, '<', n - i)) == NULL ||
		    (gt = memchr(lt, '>', n - (size_t)(lt - s))) == NULL)
			break;
		if (k >= skip_from && k < skip_to)
			continue;
		id = msgid_extract(lt, (size_t)(gt - lt) + 1);
		if (id != NULL)
			m->references[m->n_references++] = id;
	}
}

/* local@domain with the domain lower-cased, or NULL when not one. */
static char *
addr_normalise(const char *s, size_t n)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i, at = SIZE_MAX;
	int		 q = 0, depth = 0;

	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (depth > 0) {
			if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (c == '"')
			q = !q;
		if (!q && c == '(') {
			depth = 1;
			continue;
		}
		if (c <= ' ' || c == 0x7f)
			continue;
		if (!q && strchr("<>,;()\\", c) != NULL)
			goto bad;
		buf_addc(&b, c);
	}
	buf_str(&b);
	for (i = 0; i < b.len; i++)
		if (b.p[i] == '@')
			at = i;
	if (at == SIZE_MAX || at == 0 || at + 1 >= b.len ||
	    !utf8_valid((unsigned char *)b.p, b.len))
		goto bad;
	for (i = at + 1; i < b.len; i++)
		if (b.p[i] == '"')
			goto bad;
		else
			b.p[i] = (char)tolower((unsigned char)b.p[i]);
	return b.p;
bad:
	free(b.p);
	return NULL;
}

/* A display name: comments dropped, quotes undone, RFC 2047 decoded. */
static char *
addr_name(const char *s, size_t n)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i;
	int		 depth = 0, q = 0;
	char		*r, *w, *p;

	for (i = 0; i < n; i++) {
		if (q) {
			if (s[i] == '\\' && i + 1 < n)
				buf_addc(&b, s[++i]);
			else if (s[i] == '"')
				q = 0;
			else
				buf_addc(&b, s[i]);
			continue;
		}
		if (depth > 0) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')')
				depth--;
			continue;
		}
		if (s[i] == '"')
			q = 1;
		else if (s[i] == '(')
			depth = 1;
		else
			buf_addc(&b, s[i]);
	}
	r = hdr_value(b.p != NULL ? b.p : "", b.len);
	free(b.p);
	/* Collapse runs of spaces left by the removals. */
	for (p = w = r; *p != '\0'; p++)
		if (*p != ' ' || (w > r && w[-1] != ' '))
			*w++ = *p;
	while (w > r && w[-1] == ' ')
		w--;
	*w = '\0';
	return r;
}

/* The comment text of "addr (Name)", the old form, or NULL. */
static char *
addr_comment(const char *s, size_t n)
{
	const char	*o = memchr(s, '(', n), *c;

	if (o == NULL)
		return NULL;
	c = memchr(o, ')', n - (size_t)(o - s));
	if (c == NULL)
		c = s + n;
	return hdr_value(o + 1, (size_t)(c - o - 1));
}

static void
mailbox_parse(const char *s, size_t n, struct mime_address *a)
{
	size_t		 i, lt = SIZE_MAX, gt, start;
	int		 q = 0, depth = 0;

	for (i = 0; i < n; i++) {
		if (q) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				q = 0;
		} else if (depth > 0) {
			if (s[i] == '(')
				depth++;
			else if (s[i] == ')')
				depth--;
		} else if (s[i] == '"')
			q = 1;
		else if (s[i] == '(')
			depth = 1;
		else if (s[i] == '<') {
			lt = i;
			break;
		}
	}
	if (lt != SIZE_MAX) {
		for (gt = lt + 1; gt < n && s[gt] != '>'; gt++)
			;
		start = lt + 1;
		if (start < gt && s[start] == '@') {	/* obsolete route */
			const char	*c = memchr(s + start, ':', gt - start);

			if (c != NULL)
				start = (size_t)(c - s) + 1;
		}
		a->addr = addr_normalise(s + start, gt - start);
		a->name = addr_name(s, lt);
	} else {
		a->addr = addr_normalise(s, n);
		a->name = addr_comment(s, n);
		if (a->name == NULL)
			a->name = xstrdup("");
	}
}

/*
 * Parse an address list into *out, at most cap entries; groups are
 * flattened, entries without a usable address left out unless keep_bad.
 */
static void
addr_list(const char *s, size_t n, struct mime_address **out, size_t *nout,
    size_t cap, int *truncated)
{
	size_t			 i = 0, start, alloc = *nout;
	int			 q, angle, depth;
	struct mime_address	 a;

	while (i < n) {
		start = i;
		q = angle = depth = 0;
		for (; i < n; i++) {
			char	c = s[i];

			if (q) {
				if (c == '\\')
					i++;
				else if (c == '"')
					q = 0;
				continue;
			}
			if (depth > 0) {
				if (c == '\\')
					i++;
				else if (c == '(')
					depth++;
				else if (c == ')')
					depth--;
				continue;
			}
			if (c == '"')
				q = 1;
			else if (c == '(')
				depth = 1;
			else if (c == '<')
				angle = 1;
			else if (c == '>')
				angle = 0;
			else if (!angle && c == ':')
				start = i + 1;		/* group name */
			else if (!angle && (c == ',' || c == ';'))
				break;
		}
		if (i > n)
			i = n;
		memset(&a, 0, sizeof a);
		mailbox_parse(s + start, i - start, &a);
		i++;
		if (a.addr == NULL) {
			free(a.name);
			continue;
		}
		if (*nout >= cap) {
			*truncated = 1;
			free(a.name);
			free(a.addr);
			break;
		}
		if (*nout == alloc) {
			alloc = alloc ? alloc * 2 : 4;
			*out = xreallocarray(*out, alloc, sizeof **out);
		}
		(*out)[(*nout)++] = a;
	}
}

static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* An RFC 5322 date (obsolete forms too) as time_t, 0 when unreadable. */
static time_t
date_parse(const char *s0)
{
	static const char	*months = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const struct {
		const char	*name;
		int		 off;
	} zones[] = {
		{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
		{ "est", -300 }, { "edt", -240 }, { "cst", -360 },
		{ "cdt", -300 }, { "mst", -420 }, { "mdt", -360 },
		{ "pst", -480 }, { "pdt", -420 }, { "bst", 60 },
		{ "cet", 60 }, { "cest", 120 },
	};
	static const int	 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int			 day = -1, mon = -1, year = -1, hh = -1, mm = 0;
	int			 ss = 0, off = 0, have_off = 0;
	char			 tok[32], *copy, *w;
	const char		*s;
	size_t			 i, n, k;
	long long		 t;

	/* "22-Nov-2008": a dash after a letter or digit separates. */
	copy = xstrdup(s0);
	for (w = copy; *w != '\0'; w++)
		if (*w == '-' && w > copy && isalnum((unsigned char)w[-1]))
			*w = ' ';
	s = copy;
	while (*s != '\0') {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '(') {
			while (*s != '\0' && *s != ')')
				s++;
			if (*s == ')')
				s++;
			continue;
		}
		for (n = 0; s[n] != '\0' && s[n] != ' ' && s[n] != '\t' &&
		    s[n] != ',' && s[n] != '('; n++)
			;
		if (n == 0)
			break;
		k = n < sizeof tok - 1 ? n : sizeof tok - 1;
		for (i = 0; i < k; i++)
			tok[i] = (char)tolower((unsigned char)s[i]);
		tok[k] = '\0';
		s += n;
		if (isalpha((unsigned char)tok[0])) {
			for (i = 0; i < 12 && mon == -1; i++)
				if (strncmp(tok, months + 3 * i, 3) == 0)
					mon = (int)i;
			for (i = 0; i < sizeof zones / sizeof zones[0]; i++)
				if (!have_off &&
				    strcmp(tok, zones[i].name) == 0) {
					off = zones[i].off;
					have_off = 1;
				}
			continue;
		}
		if ((tok[0] == '+' || tok[0] == '-') && k == 5 &&
		    strspn(tok + 1, "0123456789") == 4) {
			int	v = atoi(tok + 1);

			if (!have_off && v % 100 < 60) {
				off = (v / 100) * 60 + v % 100;
				if (tok[0] == '-')
					off = -off;
				have_off = 1;
			}
			continue;
		}
		if (strchr(tok, ':') != NULL) {
			if (hh == -1 && sscanf(tok, "%2d:%2d:%2d", &hh, &mm,
			    &ss) < 2)
				hh = -1;
			continue;
		}
		if (strspn(tok, "0123456789") != k)
			continue;
		if (day == -1 && k <= 2 && atoi(tok) >= 1 && atoi(tok) <= 31)
			day = atoi(tok);
		else if (year == -1 && k <= 4) {
			year = atoi(tok);
			if (k == 2)
				year += year < 50 ? 2000 : 1900;
			else if (k == 3)
				year += 1900;
		}
	}
	free(copy);
	if (day < 1 || mon < 0 || year < 1970 || year > 9999 || hh < 0 ||
	    hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 ||
	    day > mdays[mon] || (mon == 1 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))))
		return 0;
	t = days_from_civil(year, (unsigned)mon + 1, (unsigned)day) * 86400 +
	    hh * 3600 + mm * 60 + ss - (long long)off * 60;
	if (t <= 0 || (long long)(time_t)t != t)
		return 0;
	return (time_t)t;
}

/* Warnings name no people: counts, kinds and charset names only. */
static void
warn(struct ctx *c, const char *fmt, ...)
{
	struct mime_message	*m = c->m;
	va_list			 ap;
	char			*w;
	size_t			 i;

	if (m->n_warnings >= MIME_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	xvasprintf(&w, fmt, ap);
	va_end(ap);
	for (i = 0; i < m->n_warnings; i++)
		if (strcmp(m->warnings[i], w) == 0) {
			free(w);
			return;
		}
	m->warnings = xreallocarray(m->warnings, m->n_warnings + 1,
	    sizeof *m->warnings);
	m->warnings[m->n_warnings++] = w;
}

static int
fail(struct ctx *c, const char *fmt, ...)
{
	va_list	ap;

	if (c->cause == NULL) {
		va_start(ap, fmt);
		xvasprintf(&c->cause, fmt, ap);
		va_end(ap);
		c->err = MIME_ELIMIT;
	}
	return -1;
}

static int
part_add(struct ctx *c, int parent, unsigned depth)
{
	struct mime_message	*m = c->m;
	struct mime_part	*p;

	if (m->n_parts >= c->lim.max_parts)
		return fail(c, "more than %u MIME parts", c->lim.max_parts);
	if (m->n_parts == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		m->parts = xreallocarray(m->parts, c->cap, sizeof *m->parts);
		c->info = xreallocarray(c->info, c->cap, sizeof *c->info);
	}
	p = &m->parts[m->n_parts];
	memset(p, 0, sizeof *p);
	memset(&c->info[m->n_parts], 0, sizeof *c->info);
	p->parent = parent;
	p->depth = depth;
	return (int)m->n_parts++;
}

/* "type/subtype" from a parsed Content-Type value; never NULL. */
static char *
type_normalise(const char *v, int digest)
{
	const char	*slash;
	size_t		 i;

	if (v == NULL || *v == '\0')
		return xstrdup(digest ? "message/rfc822" : "text/plain");
	slash = strchr(v, '/');
	if (slash == NULL || slash == v || slash[1] == '\0') {
		if (strncmp(v, "text", 4) == 0)
			return xstrdup("text/plain");
		return xstrdup("application/octet-stream");
	}
	for (i = 0; v[i] != '\0'; i++)
		if (!isalnum((unsigned char)v[i]) &&
		    strchr("!#$%&'*+-.^_`|~/", v[i]) == NULL)
			return xstrdup("application/octet-stream");
	if (i > 127 || strchr(slash + 1, '/') != NULL)
		return xstrdup("application/octet-stream");
	return xstrdup(v);
}

static int
is_message_type(const char *t)
{
	return strcmp(t, "message/rfc822") == 0 ||
	    strcmp(t, "message/global") == 0 ||
	    strcmp(t, "message/news") == 0;
}

static int
is_blank(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* A file the sender attached, as opposed to body text or report data. */
static int
part_is_attachment(const struct ctx *c, int i)
{
	const struct mime_part	*p = &c->m->parts[i], *parent;
	const char		*t = p->content_type;

	if (p->disposition != NULL && strcmp(p->disposition, "attachment") == 0)
		return 1;
	if (strcmp(t, "message/delivery-status") == 0 ||
	    strcmp(t, "message/global-delivery-status") == 0 ||
	    strcmp(t, "message/disposition-notification") == 0 ||
	    strcmp(t, "message/feedback-report") == 0 ||
	    strcmp(t, "text/rfc822-headers") == 0)
		return 0;
	parent = p->parent >= 0 ? &c->m->parts[p->parent] : NULL;
	if (parent != NULL && strcmp(parent->content_type,
	    "multipart/related") == 0 && c->info[i].has_cid &&
	    strncmp(t, "text/", 5) != 0)
		return 0;	/* an image the HTML shows */
	if (p->filename != NULL)
		return 1;
	if (strncmp(t, "text/", 5) == 0)
		return 0;
	if (parent != NULL && strcmp(parent->content_type,
	    "multipart/related") == 0)
		return 0;
	return 1;
}

static int
parse_entity(struct ctx *c, const char *p, size_t len, int parent,
    unsigned depth, int digest)
{
	struct hdrs		 hs = { NULL, 0, 0 };
	const struct rawhdr	*h;
	struct field		 ct, cd, te;
	size_t			 body = 0;
	int			 idx, r = 0;
	char			*u, *type, *cte = NULL;
	const char		*v;
	struct mime_part	*mp;

	memset(&ct, 0, sizeof ct);
	memset(&cd, 0, sizeof cd);
	memset(&te, 0, sizeof te);
	if (depth > c->lim.max_depth)
		return fail(c, "MIME structure nested deeper than %u levels",
		    c->lim.max_depth);
	if (hdrs_parse(p, len, c->lim.max_headers, parent == -1 ||
	    is_message_type(c->m->parts[parent].content_type), &hs,
	    &body) == -1) {
		free(hs.h);
		return fail(c, "more than %u header fields in a MIME entity",
		    c->lim.max_headers);
	}
	if ((idx = part_add(c, parent, depth)) == -1) {
		free(hs.h);
		return -1;
	}
	if (parent >= 0 && is_message_type(c->m->parts[parent].content_type) &&
	    (h = hdrs_find(&hs, "message-id")) != NULL)
		c->info[parent].inner_msgid = msgid_extract(h->val, h->vlen);

	if ((h = hdrs_find(&hs, "content-type")) != NULL) {
		u = unfold(h->val, h->vlen);
		r = field_parse(u, c->lim.max_params, &ct);
		free(u);
	}
	if (r == 0 && (h = hdrs_find(&hs, "content-disposition")) != NULL) {
		u = unfold(h->val, h->vlen);
		r = field_parse(u, c->lim.max_params, &cd);
		free(u);
	}
	if (r == 0 && (h = hdrs_find(&hs, "content-transfer-encoding")) !=
	    NULL) {
		u = unfold(h->val, h->vlen);
		r = field_parse(u, c->lim.max_params, &te);
		free(u);
		cte = te.value;
	}
	if (r == -1) {
		r = fail(c, "more than %u parameters in a header field",
		    c->lim.max_params);
		goto out;
	}

	type = type_normalise(ct.value, digest);
	mp = &c->m->parts[idx];
	mp->content_type = type;
	if ((v = param_raw(&ct, "charset")) != NULL && *v != '\0') {
		size_t	i;

		mp->charset = xstrndup(v, strnlen(v, MIME_MAX_CHARSET));
		for (i = 0; mp->charset[i] != '\0'; i++)
			mp->charset[i] = (char)tolower(
			    (unsigned char)mp->charset[i]);
	}
	if (cd.value != NULL && *cd.value != '\0')
		mp->disposition = xstrdup(strcmp(cd.value, "inline") == 0 ?
		    "inline" : "attachment");
	if ((u = param_get(&cd, "filename")) == NULL)
		u = param_get(&ct, "name");
	mp->filename = mime_filename_sanitise(u);
	free(u);
	c->info[idx].has_cid = hdrs_find(&hs, "content-id") != NULL;
	if ((v = param_raw(&ct, "format")) != NULL &&
	    strcasecmp(v, "flowed") == 0)
		c->info[idx].flowed = 1;
	if ((v = param_raw(&ct, "delsp")) != NULL && strcasecmp(v, "yes") == 0)
		c->info[idx].delsp = 1;
	if (parent == -1) {
		c->top = hs;
		hs.h = NULL;
	}

	if (strncmp(type, "multipart/", 10) == 0) {
		if (strcmp(type, "multipart/report") == 0 &&
		    (v = param_raw(&ct, "report-type")) != NULL &&
		    strcasecmp(v, "delivery-status") == 0)
			c->info[idx].report_dsn = 1;
		v = param_raw(&ct, "boundary");
		r = parse_multipart(c, idx, p + body, len - body,
		    v != NULL ? v : "", depth,
		    strcmp(type, "multipart/digest") == 0);
		if (r == 1) {
			/* No boundary line: the body is read as text. */
			if (!is_blank(p + body, len - body)) {
				warn(c, "a multipart part without boundaries "
				    "was read as text");
				mp = &c->m->parts[idx];
				free(mp->content_type);
				mp->content_type = xstrdup("text/plain");
				r = parse_leaf(c, idx, p + body, len - body,
				    cte);
			} else
				r = 0;
		}
	} else if (is_message_type(type)) {
		const char	*b = p + body;
		size_t		 blen = len - body;

		if (cte != NULL && (strcmp(cte, "base64") == 0 ||
		    strcmp(cte, "quoted-printable") == 0)) {
			unsigned char	*d = xmalloc(blen + 1);

			blen = cte[0] == 'b' ?
			    b64_decode((const unsigned char *)b, blen, d) :
			    qp_decode((const unsigned char *)b, blen, d);
			c->bufs = xreallocarray(c->bufs, c->nbufs + 1,
			    sizeof *c->bufs);
			c->bufs[c->nbufs++] = d;
			b = (const char *)d;
		}
		if (!is_blank(b, blen))
			r = parse_entity(c, b, blen, idx, depth + 1, 0);
	} else
		r = parse_leaf(c, idx, p + body, len - body, cte);
out:
	field_free(&ct);
	field_free(&cd);
	field_free(&te);
	free(hs.h);
	return r;
}

/*
 * Split a multipart body at its boundary lines ("--b", or "--b--" to
 * close; only white space may follow on the line) and parse each part.
 * Returns 0, -1 on a limit, or 1 when no boundary line was found.
 */
static int
parse_multipart(struct ctx *c, int idx, const char *p, size_t len,
    const char *boundary, unsigned depth, int digest)
{
	char		*needle;
	size_t		 nlen, pos = 0, i, j, k, start = SIZE_MAX, end, next;
	const char	*hit, *nl;
	int		 found = 0, closed = 0, r = 0, is_close;

	if (*boundary == '\0')
		return 1;
	xasprintf(&needle, "--%s", boundary);
	nlen = strlen(needle);
	while (pos < len && (hit = memmem(p + pos, len - pos, needle,
	    nlen)) != NULL) {
		i = (size_t)(hit - p);
		if (i > 0 && p[i - 1] != '\n') {
			pos = i + 1;
			continue;
		}
		j = i + nlen;
		is_close = j + 1 < len && p[j] == '-' && p[j + 1] == '-';
		if (!is_close) {
			for (k = j; k < len && (p[k] == ' ' || p[k] == '\t' ||
			    p[k] == '\r'); k++)
				;
			if (k < len && p[k] != '\n') {
				pos = i + 1;
				continue;
			}
		}
		nl = memchr(p + j, '\n', len - j);
		next = nl != NULL ? (size_t)(nl - p) + 1 : len;
		if (start != SIZE_MAX) {
			end = i;
			if (end > start && p[end - 1] == '\n')
				end--;
			if (end > start && p[end - 1] == '\r')
				end--;
			if ((r = parse_entity(c, p + start, end - start, idx,
			    depth + 1, digest)) == -1)
				goto out;
		}
		found = 1;
		if (is_close) {
			closed = 1;
			break;
		}
		start = next;
		pos = next;
	}
	if (!found) {
		r = 1;
		goto out;
	}
	if (!closed) {
		warn(c, "a multipart part has no closing boundary");
		if (start != SIZE_MAX && start < len)
			r = parse_entity(c, p + start, len - start, idx,
			    depth + 1, digest);
	}
out:
	free(needle);
	return r;
}

static int
is_tnef(const struct mime_part *p)
{
	return strcmp(p->content_type, "application/ms-tnef") == 0 ||
	    strcmp(p->content_type, "application/vnd.ms-tnef") == 0 ||
	    (p->filename != NULL &&
	    strcasecmp(p->filename, "winmail.dat") == 0);
}

static void
part_hash(struct mime_part *p)
{
	unsigned char	d[32];
	size_t		i;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p->data, p->len, d) != 0) {
		p->sha256[0] = '\0';
		return;
	}
	for (i = 0; i < sizeof d; i++)
		snprintf(p->sha256 + 2 * i, 3, "%02x", d[i]);
}

/* Decode a leaf's body; over max_attachment_size refuses the message. */
static int
parse_leaf(struct ctx *c, int idx, const char *p, size_t len,
    const char *cte)
{
	struct mime_part	*mp = &c->m->parts[idx];
	unsigned char		*d = xmalloc(len + 1);
	size_t			 n, i;
	char			 name[33];

	if (cte != NULL && strcmp(cte, "base64") == 0)
		n = b64_decode((const unsigned char *)p, len, d);
	else if (cte != NULL && strcmp(cte, "quoted-printable") == 0)
		n = qp_decode((const unsigned char *)p, len, d);
	else {
		if (cte != NULL && *cte != '\0' && strcmp(cte, "7bit") != 0 &&
		    strcmp(cte, "8bit") != 0 && strcmp(cte, "binary") != 0) {
			for (i = 0; i < sizeof name - 1 && cte[i] != '\0'; i++)
				name[i] = isalnum((unsigned char)cte[i]) ||
				    cte[i] == '-' ? cte[i] : '?';
			name[i] = '\0';
			warn(c, "unknown transfer encoding \"%s\" left as is",
			    name);
		}
		memcpy(d, p, len);
		n = len;
	}
	if (n > c->lim.max_attachment_size) {
		free(d);
		return fail(c, "a MIME part larger than %llu bytes once "
		    "decoded", (unsigned long long)c->lim.max_attachment_size);
	}
	d[n] = '\0';
	mp->data = d;
	mp->len = n;
	part_hash(mp);
	mp->is_attachment = part_is_attachment(c, idx);
	if (is_tnef(mp))
		unpack_tnef(c, idx);
	return 0;
}

/* winmail.dat: its files become parts under it; trouble is a warning. */
static void
unpack_tnef(struct ctx *c, int idx)
{
	struct mime_tnef_file	*files = NULL;
	struct mime_part	*mp;
	size_t			 n = 0, i, room;
	char			*cause = NULL;
	int			 j;

	room = c->m->n_parts < c->lim.max_parts ?
	    c->lim.max_parts - c->m->n_parts : 0;
	mp = &c->m->parts[idx];
	if (mime_tnef_unpack(mp->data, mp->len, room,
	    c->lim.max_attachment_size, &files, &n, &cause) == -1) {
		warn(c, "winmail.dat was not fully read: %s", cause);
		free(cause);
	}
	for (i = 0; i < n; i++) {
		if ((j = part_add(c, idx, c->m->parts[idx].depth + 1)) == -1)
			break;		/* cannot happen: room was checked */
		mp = &c->m->parts[j];
		mp->content_type = files[i].content_type;
		mp->filename = mime_filename_sanitise(files[i].filename);
		mp->from_tnef = 1;
		mp->is_attachment = !files[i].is_body;
		mp->disposition = files[i].is_body ? NULL :
		    xstrdup("attachment");
		mp->data = files[i].data;
		mp->len = files[i].len;
		files[i].content_type = NULL;
		files[i].data = NULL;
		part_hash(mp);
	}
	mime_tnef_free(files, n);
}

/* Inside a message/rfc822 below the top: a forwarded or returned mail. */
static int
in_forwarded(const struct ctx *c, size_t i)
{
	int	p = c->m->parts[i].parent;

	while (p > 0) {
		if (is_message_type(c->m->parts[p].content_type))
			return 1;
		p = c->m->parts[p].parent;
	}
	return 0;
}

/* RFC 3676 format=flowed: soft line breaks joined, quotes as "> ". */
static char *
unflow(const char *s, int delsp)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*line, *nl, *t;
	size_t		 n, q, prevq = 0;
	int		 open = 0, soft, sig;

	for (line = s; *line != '\0'; line = nl != NULL ? nl + 1 : line + n) {
		nl = strchr(line, '\n');
		n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		for (q = 0; q < n && line[q] == '>'; q++)
			;
		t = line + q;
		n -= q;
		if (n > 0 && *t == ' ') {
			t++;
			n--;
		}
		sig = n == 3 && memcmp(t, "-- ", 3) == 0;
		soft = !sig && n > 0 && t[n - 1] == ' ';
		if (open && q != prevq)
			buf_addc(&b, '\n');
		if (!open || q != prevq) {
			size_t	k;

			for (k = 0; k < q; k++)
				buf_addc(&b, '>');
			if (q > 0)
				buf_addc(&b, ' ');
		}
		buf_add(&b, t, soft && delsp ? n - 1 : n);
		if (!soft)
			buf_addc(&b, '\n');
		open = soft;
		prevq = q;
		if (nl == NULL)
			break;
	}
	return buf_str(&b);
}

/* The part's body as UTF-8 text with "\n" line ends. */
static char *
part_text(const struct ctx *c, size_t i)
{
	const struct mime_part	*p = &c->m->parts[i];
	char			*s, *w, *r, *start;
	const char		*q;

	s = mime_to_utf8(p->charset, p->data, p->len);
	for (q = s, w = s; *q != '\0'; q++) {
		if (*q == '\r') {
			*w++ = '\n';
			if (q[1] == '\n')
				q++;
		} else
			*w++ = *q;
	}
	*w = '\0';
	start = s;
	if (strncmp(start, "\xef\xbb\xbf", 3) == 0)
		start += 3;
	if (strcmp(p->content_type, "text/html") == 0)
		r = mime_html_to_text(start, strlen(start));
	else if (c->info[i].flowed)
		r = unflow(start, c->info[i].delsp);
	else
		r = xstrdup(start);
	free(s);
	return r;
}

/*
 * The body: the first text/plain that is not an attachment (an empty one
 * gives way to HTML), else the first text/html; parts of the message
 * itself first, then winmail.dat's, then forwarded messages'.
 */
static void
message_text(struct ctx *c)
{
	struct mime_message	*m = c->m;
	size_t			 i;
	int			 pass, fwd, plain, html, pick;

	for (pass = 0; pass < 3; pass++) {
		plain = html = -1;
		for (i = 0; i < m->n_parts; i++) {
			const struct mime_part	*p = &m->parts[i];

			if (p->data == NULL || p->is_attachment)
				continue;
			fwd = in_forwarded(c, i);
			if ((pass == 0 && (fwd || p->from_tnef)) ||
			    (pass == 1 && (fwd || !p->from_tnef)))
				continue;
			if (plain == -1 && strcmp(p->content_type,
			    "text/plain") == 0)
				plain = (int)i;
			if (html == -1 && strcmp(p->content_type,
			    "text/html") == 0)
				html = (int)i;
		}
		pick = plain;
		if (plain == -1 || (html != -1 && is_blank((const char *)
		    m->parts[plain].data, m->parts[plain].len)))
			pick = html;
		if (pick == -1)
			continue;
		m->text = part_text(c, (size_t)pick);
		m->text_from_html = pick == html;
		return;
	}
	m->text = xstrdup("");
}

static const char *
top_value(const struct ctx *c, const char *name, size_t *len)
{
	const struct rawhdr	*h = hdrs_find(&c->top, name);

	if (h == NULL)
		return NULL;
	*len = h->vlen;
	return h->val;
}

static void
message_fields(struct ctx *c)
{
	struct mime_message	*m = c->m;
	const char		*v;
	size_t			 i, n;
	char			*u, *lt, *gt;
	int			 trunc = 0;
	struct mime_address	*from = NULL;
	size_t			 nfrom = 0;

	m->headers = xcalloc(c->top.n ? c->top.n : 1, sizeof *m->headers);
	for (i = 0; i < c->top.n; i++) {
		m->headers[i].name = xstrndup(c->top.h[i].name,
		    c->top.h[i].nlen);
		m->headers[i].value = hdr_value(c->top.h[i].val,
		    c->top.h[i].vlen);
	}
	m->n_headers = c->top.n;
	if ((v = top_value(c, "message-id", &n)) != NULL)
		m->message_id = msgid_extract(v, n);
	if ((v = top_value(c, "in-reply-to", &n)) != NULL)
		m->in_reply_to = msgid_extract(v, n);
	if ((v = top_value(c, "references", &n)) != NULL)
		refs_extract(m, v, n);
	v = mime_header(m, "subject");
	m->subject = xstrdup(v != NULL ? v : "");

	if ((v = top_value(c, "from", &n)) != NULL) {
		u = unfold(v, n);
		addr_list(u, strlen(u), &from, &nfrom, 1, &trunc);
		if (nfrom == 0) {
			struct mime_address	a = { NULL, NULL };

			mailbox_parse(u, strlen(u), &a);
			m->from.name = a.name;
			free(a.addr);
		} else {
			m->from = from[0];
			free(from);
		}
		free(u);
	}
	if (m->from.name == NULL)
		m->from.name = xstrdup("");
	trunc = 0;
	for (i = 0; i < c->top.n; i++) {
		struct rawhdr	*h = &c->top.h[i];

		if (h->nlen != 2 || (strncasecmp(h->name, "to", 2) != 0 &&
		    strncasecmp(h->name, "cc", 2) != 0))
			continue;
		u = unfold(h->val, h->vlen);
		if (tolower((unsigned char)h->name[0]) == 't')
			addr_list(u, strlen(u), &m->to, &m->n_to,
			    MIME_MAX_ADDRESSES, &trunc);
		else
			addr_list(u, strlen(u), &m->cc, &m->n_cc,
			    MIME_MAX_ADDRESSES, &trunc);
		free(u);
	}
	if (trunc)
		warn(c, "an address list was cut at %d addresses",
		    MIME_MAX_ADDRESSES);

	if ((v = top_value(c, "return-path", &n)) != NULL) {
		u = unfold(v, n);
		if ((lt = strchr(u, '<')) != NULL) {
			gt = strchr(lt, '>');
			if (gt == NULL)
				gt = lt + strlen(lt);
			if (is_blank(lt + 1, (size_t)(gt - lt - 1)))
				m->return_path = xstrdup("");
			else
				m->return_path = addr_normalise(lt + 1,
				    (size_t)(gt - lt - 1));
		} else if (is_blank(u, strlen(u)))
			m->return_path = xstrdup("");
		else
			m->return_path = addr_normalise(u, strlen(u));
		free(u);
		if (m->return_path == NULL)
			m->return_path = xstrdup("");
	}
	if ((v = top_value(c, "date", &n)) != NULL) {
		u = unfold(v, n);
		m->date = date_parse(u);
		free(u);
	}
}

static char *
dsn_addr(const char *v, size_t n)
{
	char		*u = unfold(v, n), *r;
	const char	*s = u, *semi;
	size_t		 len;

	if ((semi = strchr(s, ';')) != NULL)
		s = semi + 1;
	while (*s == ' ' || *s == '\t' || *s == '<')
		s++;
	len = strcspn(s, ">");
	r = addr_normalise(s, len);
	free(u);
	return r;
}

static char *
dsn_token(const char *v, size_t n, int lower)
{
	char	*u = hdr_value(v, n), *p;
	size_t	 len = strcspn(u, " \t(;");

	u[len] = '\0';
	if (lower)
		for (p = u; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	return u;
}

/*
 * The recipient groups of one message/delivery-status body. Office 365
 * has been seen to relay Postfix DSNs with the recipient groups base64-
 * encoded after a "Content-Transfer-Encoding: base64" field in the
 * per-message group: such a rest is decoded and read once more.
 */
static void
dsn_parse(struct ctx *c, const char *p, size_t len, int nested)
{
	struct mime_message	*m = c->m;
	struct hdrs		 hs = { NULL, 0, 0 };
	const struct rawhdr	*h;
	struct mime_dsn		*d;
	size_t			 off = 0, body;
	const char		*nl;
	char			*rcpt;

	while (off < len && m->n_dsn < MIME_MAX_DSN) {
		if (hdrs_parse(p + off, len - off, c->lim.max_headers, 0, &hs,
		    &body) == -1)
			break;
		if (body == 0) {	/* not a field: skip the line */
			nl = memchr(p + off, '\n', len - off);
			body = nl != NULL ? (size_t)(nl - (p + off)) + 1 :
			    len - off;
		}
		off += body;
		if (!nested && (h = hdrs_find(&hs, "content-transfer-encoding"))
		    != NULL && hdrs_find(&hs, "final-recipient") == NULL) {
			char		*u = hdr_value(h->val, h->vlen);
			unsigned char	*dec;
			size_t		 n;

			if (strcasecmp(u, "base64") == 0 ||
			    strcasecmp(u, "quoted-printable") == 0) {
				dec = xmalloc(len - off + 1);
				n = u[0] == 'b' || u[0] == 'B' ?
				    b64_decode((const unsigned char *)p + off,
				    len - off, dec) :
				    qp_decode((const unsigned char *)p + off,
				    len - off, dec);
				dsn_parse(c, (const char *)dec, n, 1);
				free(dec);
				off = len;
			}
			free(u);
			continue;
		}
		rcpt = NULL;
		if ((h = hdrs_find(&hs, "final-recipient")) != NULL)
			rcpt = dsn_addr(h->val, h->vlen);
		if (rcpt == NULL &&
		    (h = hdrs_find(&hs, "original-recipient")) != NULL)
			rcpt = dsn_addr(h->val, h->vlen);
		if (rcpt == NULL)
			continue;
		m->dsn = xreallocarray(m->dsn, m->n_dsn + 1, sizeof *m->dsn);
		d = &m->dsn[m->n_dsn++];
		d->recipient = rcpt;
		d->action = (h = hdrs_find(&hs, "action")) != NULL ?
		    dsn_token(h->val, h->vlen, 1) : NULL;
		d->status = (h = hdrs_find(&hs, "status")) != NULL ?
		    dsn_token(h->val, h->vlen, 0) : NULL;
		if (d->action != NULL && d->action[0] == '\0') {
			free(d->action);
			d->action = NULL;
		}
		if (d->status != NULL && d->status[0] == '\0') {
			free(d->status);
			d->status = NULL;
		}
		d->diagnostic = (h = hdrs_find(&hs, "diagnostic-code")) !=
		    NULL ? hdr_value(h->val, h->vlen) : NULL;
	}
	free(hs.h);
}

static void
dsn_collect(struct ctx *c)
{
	struct mime_message	*m = c->m;
	struct hdrs		 hs = { NULL, 0, 0 };
	const struct rawhdr	*h;
	size_t			 i, j, body;
	int			 container;

	if (m->n_parts > 0 && c->info[0].report_dsn)
		m->is_report = 1;
	for (i = 0; i < m->n_parts; i++) {
		const struct mime_part	*p = &m->parts[i];

		if (p->data == NULL || in_forwarded(c, i) ||
		    (strcmp(p->content_type, "message/delivery-status") != 0 &&
		    strcmp(p->content_type,
		    "message/global-delivery-status") != 0))
			continue;
		dsn_parse(c, (const char *)p->data, p->len, 0);
		container = p->parent;
		if (container == 0)
			m->is_report = 1;
		for (j = 0; j < m->n_parts && m->dsn_original_message_id ==
		    NULL; j++) {
			const struct mime_part	*o = &m->parts[j];

			if (o->parent != container)
				continue;
			if (is_message_type(o->content_type) &&
			    c->info[j].inner_msgid != NULL)
				m->dsn_original_message_id =
				    xstrdup(c->info[j].inner_msgid);
			else if (strcmp(o->content_type,
			    "text/rfc822-headers") == 0 && o->data != NULL &&
			    hdrs_parse((const char *)o->data, o->len,
			    c->lim.max_headers, 0, &hs, &body) == 0 &&
			    (h = hdrs_find(&hs, "message-id")) != NULL)
				m->dsn_original_message_id =
				    msgid_extract(h->val, h->vlen);
		}
	}
	free(hs.h);
}

static void
ctx_free(struct ctx *c)
{
	size_t	i;

	if (c->info != NULL)
		for (i = 0; i < c->m->n_parts; i++)
			free(c->info[i].inner_msgid);
	free(c->info);
	for (i = 0; i < c->nbufs; i++)
		free(c->bufs[i]);
	free(c->bufs);
	free(c->top.h);
}

enum mime_error
mime_parse(const char *raw, size_t len, const struct mime_limits *lim,
    struct mime_message **out, char **cause)
{
	struct ctx	c;

	*out = NULL;
	*cause = NULL;
	memset(&c, 0, sizeof c);
	if (lim != NULL)
		c.lim = *lim;
	else
		mime_limits_default(&c.lim);
	if (c.lim.max_depth > MIME_DEPTH_CEILING)
		c.lim.max_depth = MIME_DEPTH_CEILING;
	if (len > c.lim.max_message_size) {
		xasprintf(cause, "message larger than %llu bytes",
		    (unsigned long long)c.lim.max_message_size);
		return MIME_ELIMIT;
	}
	if (raw == NULL || is_blank(raw, len)) {
		*cause = xstrdup("empty message");
		return MIME_EPARSE;
	}
	c.m = xcalloc(1, sizeof *c.m);
	if (parse_entity(&c, raw, len, -1, 0, 0) == -1 || c.top.n == 0) {
		enum mime_error	e = c.err != MIME_OK ? c.err : MIME_EPARSE;

		*cause = c.cause != NULL ? c.cause :
		    xstrdup("no header fields: not a message");
		ctx_free(&c);
		mime_message_free(c.m);
		return e;
	}
	message_fields(&c);
	message_text(&c);
	mime_split_quoted(c.m->text, &c.m->new_text, &c.m->quoted_text);
	dsn_collect(&c);
	ctx_free(&c);
	*out = c.m;
	return MIME_OK;
}

const char *
mime_header(const struct mime_message *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->n_headers; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

void
mime_message_free(struct mime_message *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->message_id);
	free(m->in_reply_to);
	for (i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	free(m->subject);
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
	free(m->return_path);
	for (i = 0; i < m->n_parts; i++) {
		free(m->parts[i].content_type);
		free(m->parts[i].charset);
		free(m->parts[i].filename);
		free(m->parts[i].disposition);
		free(m->parts[i].data);
	}
	free(m->parts);
	free(m->text);
	free(m->new_text);
	free(m->quoted_text);
	for (i = 0; i < m->n_dsn; i++) {
		free(m->dsn[i].recipient);
		free(m->dsn[i].action);
		free(m->dsn[i].status);
		free(m->dsn[i].diagnostic);
	}
	free(m->dsn);
	free(m->dsn_original_message_id);
	for (i = 0; i < m->n_warnings; i++)
		free(m->warnings[i]);
	free(m->warnings);
	free(m);
}
