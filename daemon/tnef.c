/*
 * tnef.c - attachments and body out of winmail.dat (MS-OXTNEF).
 *
 * Our own reader rather than libytnef: ytnef prints to stdout, stops at
 * data-before-name streams, keeps long file names in MAPI properties it
 * leaves to the caller, and is GPL. This one reads only what the daemon
 * needs (attachment names, data and MIME tags; plain, HTML and compressed
 * RTF bodies), checks every length against the bytes left and keeps
 * pointers into the input until the end, when it copies.
 *
 * Stream: signature 0x223e9f78, a 16-bit key, then attributes: level (1
 * message, 2 attachment), 32-bit id, 32-bit length, data, 16-bit sum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "xmalloc.h"

#define TNEF_SIGNATURE		0x223e9f78U
#define LVL_MESSAGE		1
#define LVL_ATTACHMENT		2

#define ATT_BODY		0x0002800cU
#define ATT_ATTACH_DATA		0x0006800fU
#define ATT_ATTACH_TITLE	0x00018010U
#define ATT_ATTACH_RENDDATA	0x00069002U
#define ATT_MAPI_PROPS		0x00069003U
#define ATT_ATTACHMENT		0x00069005U
#define ATT_OEM_CODEPAGE	0x00069007U

#define PR_BODY			0x1000
#define PR_RTF_COMPRESSED	0x1009
#define PR_BODY_HTML		0x1013
#define PR_DISPLAY_NAME		0x3001
#define PR_ATTACH_DATA		0x3701
#define PR_ATTACH_FILENAME	0x3704
#define PR_ATTACH_METHOD	0x3705
#define PR_ATTACH_LONG_FILENAME	0x3707
#define PR_ATTACH_MIME_TAG	0x370e

#define PT_SHORT	0x0002
#define PT_LONG		0x0003
#define PT_FLOAT	0x0004
#define PT_DOUBLE	0x0005
#define PT_CURRENCY	0x0006
#define PT_APPTIME	0x0007
#define PT_ERROR	0x000a
#define PT_BOOLEAN	0x000b
#define PT_OBJECT	0x000d
#define PT_I8		0x0014
#define PT_STRING8	0x001e
#define PT_UNICODE	0x001f
#define PT_SYSTIME	0x0040
#define PT_CLSID	0x0048
#define PT_BINARY	0x0102
#define MV_FLAG		0x1000

#define TNEF_MAX_PROPS	100000	/* per property block */
#define RTF_MAX_RATIO	64	/* decompressed bytes per compressed byte */

/* A string or blob inside the input. */
struct span {
	const unsigned char	*p;
	size_t			 n;
	int			 unicode;	/* UTF-16LE, else code page */
};

struct att {
	struct span	title, longname, filename, display, mime, data;
	unsigned	method;
};

struct reader {
	struct att	*atts;
	size_t		 n_atts;
	struct span	 body, html, rtf;
	unsigned	 codepage;
	int		 too_many;
	size_t		 max_files;
};

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Fixed size of one value of a property type, 0 for variable, -1 bad. */
static int
fixed_size(unsigned type)
{
	switch (type) {
	case PT_SHORT:
	case PT_LONG:
	case PT_FLOAT:
	case PT_ERROR:
	case PT_BOOLEAN:
	case 0x0000:	/* PT_UNSPECIFIED */
	case 0x0001:	/* PT_NULL */
		return 4;
	case PT_DOUBLE:
	case PT_CURRENCY:
	case PT_APPTIME:
	case PT_I8:
	case PT_SYSTIME:
		return 8;
	case PT_CLSID:
		return 16;
	case PT_STRING8:
	case PT_UNICODE:
	case PT_BINARY:
	case PT_OBJECT:
		return 0;
	default:
		return -1;
	}
}

static void
prop_set(struct reader *r, struct att *a, unsigned id, unsigned type,
    const unsigned char *v, size_t n)
{
	struct span	s = { v, n, type == PT_UNICODE };
	struct span	*dst = NULL;

	if (a == NULL) {
		if (id == PR_BODY && (type == PT_STRING8 || type == PT_UNICODE))
			dst = &r->body;
		else if (id == PR_BODY_HTML)
			dst = &r->html;
		else if (id == PR_RTF_COMPRESSED && type == PT_BINARY)
			dst = &r->rtf;
	} else {
		if (id == PR_ATTACH_LONG_FILENAME)
			dst = &a->longname;
		else if (id == PR_ATTACH_FILENAME)
			dst = &a->filename;
		else if (id == PR_DISPLAY_NAME)
			dst = &a->display;
		else if (id == PR_ATTACH_MIME_TAG)
			dst = &a->mime;
		else if (id == PR_ATTACH_METHOD && type == PT_LONG && n >= 4)
			a->method = le32(v);
		else if (id == PR_ATTACH_DATA && type == PT_BINARY &&
		    a->data.p == NULL)
			dst = &a->data;
	}
	if (dst != NULL && (type == PT_STRING8 || type == PT_UNICODE ||
	    type == PT_BINARY))
		*dst = s;
}

/* A MAPI property block; -1 when it runs past its end. */
static int
props_read(struct reader *r, struct att *a, const unsigned char *p, size_t n)
{
	size_t		off = 0, count, i, nv, j, vlen, pad;
	unsigned	type, id, base;
	int		fs;

	if (n < 4)
		return -1;
	count = le32(p);
	off = 4;
	if (count > TNEF_MAX_PROPS || count > (n - off) / 4)
		return -1;
	for (i = 0; i < count; i++) {
		if (n - off < 4)
			return -1;
		type = le16(p + off);
		id = le16(p + off + 2);
		off += 4;
		if (id >= 0x8000) {	/* named property: GUID, kind, id/name */
			if (n - off < 20)
				return -1;
			off += 16;
			if (le32(p + off) == 0) {
				off += 4;
				if (n - off < 4)
					return -1;
				off += 4;
			} else {
				off += 4;
				if (n - off < 4)
					return -1;
				vlen = le32(p + off);
				off += 4;
				pad = (4 - vlen % 4) % 4;
				if (vlen > n - off || pad > n - off - vlen)
					return -1;
				off += vlen + pad;
			}
		}
		base = type & ~(unsigned)MV_FLAG;
		if ((fs = fixed_size(base)) < 0)
			return -1;
		nv = 1;
		if ((type & MV_FLAG) || fs == 0) {
			if (n - off < 4)
				return -1;
			nv = le32(p + off);
			off += 4;
			if (nv > (n - off) / 4)
				return -1;
		}
		for (j = 0; j < nv; j++) {
			if (fs > 0) {
				if ((size_t)fs > n - off)
					return -1;
				if (j == 0)
					prop_set(r, a, id, base, p + off,
					    (size_t)fs);
				off += (size_t)fs;
				continue;
			}
			if (n - off < 4)
				return -1;
			vlen = le32(p + off);
			off += 4;
			pad = (4 - vlen % 4) % 4;
			if (vlen > n - off)
				return -1;
			if (j == 0)
				prop_set(r, a, id, base, p + off, vlen);
			off += vlen;
			off += pad <= n - off ? pad : n - off;
		}
	}
	return 0;
}

/* Text in the stream's code page or UTF-16LE, to UTF-8; NULs cut. */
static char *
span_text(const struct reader *r, const struct span *s)
{
	char	 cs[32];
	size_t	 n = s->n;

	if (s->p == NULL || n == 0)
		return NULL;
	if (s->unicode) {
		n &= ~(size_t)1;
		while (n >= 2 && s->p[n - 1] == 0 && s->p[n - 2] == 0)
			n -= 2;
		snprintf(cs, sizeof cs, "utf-16le");
	} else {
		while (n > 0 && s->p[n - 1] == 0)
			n--;
		if (r->codepage == 65001 || r->codepage == 0)
			snprintf(cs, sizeof cs, "utf-8");
		else
			snprintf(cs, sizeof cs, "cp%u", r->codepage);
	}
	if (n == 0)
		return NULL;
	return mime_to_utf8(cs, s->p, n);
}

/*
 * Compressed RTF (MS-OXRTFCP): LZ77 over a 4096-byte ring that starts
 * with a fixed RTF prefix. Output stops at the declared size or cap.
 */
static unsigned char *
rtf_decompress(const unsigned char *p, size_t n, uint64_t cap, size_t *outlen)
{
	static const char	 prefix[] = "{\\rtf1\\ansi\\mac\\deff0\\deftab720"
	    "{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
	    "\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
	    "{\\colortbl\\red0\\green0\\blue0\r\n\\par "
	    "\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
	unsigned char		 dict[4096], *out;
	size_t			 in, o = 0, wp, raw, comp, max, k;
	unsigned		 flags = 0, bit, ref, off, len;
	uint32_t		 magic;

	*outlen = 0;
	if (n < 16)
		return NULL;
	comp = le32(p);
	raw = le32(p + 4);
	magic = le32(p + 8);
	if (comp < 12 || comp - 12 > n - 16)
		comp = n;	/* trust the buffer, not the header */
	else
		comp += 4;
	max = raw;
	if (max > cap)
		max = (size_t)cap;
	if (max / RTF_MAX_RATIO > n)
		max = n * RTF_MAX_RATIO;
	if (magic == 0x414c454dU) {		/* "MELA": stored */
		if (max > n - 16)
			max = n - 16;
		out = xmalloc(max + 1);
		memcpy(out, p + 16, max);
		out[max] = 0;
		*outlen = max;
		return out;
	}
	if (magic != 0x75465a4cU)		/* "LZFu" */
		return NULL;
	memset(dict, 0, sizeof dict);
	memcpy(dict, prefix, sizeof prefix - 1);
	wp = sizeof prefix - 1;
	out = xmalloc(max + 1);
	in = 16;
	bit = 8;
	while (o < max && in < comp) {
		if (bit == 8) {
			flags = p[in++];
			bit = 0;
			continue;
		}
		if ((flags >> bit++ & 1) == 0) {
			dict[wp++ % sizeof dict] = p[in];
			out[o++] = p[in++];
			continue;
		}
		if (comp - in < 2)
			break;
		ref = (unsigned)p[in] << 8 | p[in + 1];
		in += 2;
		off = ref >> 4;
		len = (ref & 0xf) + 2;
		if (off == wp % sizeof dict)
			break;			/* the end marker */
		for (k = 0; k < len && o < max; k++) {
			unsigned char	c = dict[(off + k) % sizeof dict];

			dict[wp++ % sizeof dict] = c;
			out[o++] = c;
		}
	}
	out[o] = 0;
	*outlen = o;
	return out;
}

static const char *
type_by_name(const char *name)
{
	static const struct {
		const char	*ext;
		const char	*type;
	} types[] = {
		{ ".docx", "application/vnd.openxmlformats-officedocument."
		    "wordprocessingml.document" },
		{ ".docm", "application/vnd.ms-word.document.macroenabled.12" },
		{ ".doc", "application/msword" },
		{ ".odt", "application/vnd.oasis.opendocument.text" },
		{ ".xlsx", "application/vnd.openxmlformats-officedocument."
		    "spreadsheetml.sheet" },
		{ ".xls", "application/vnd.ms-excel" },
		{ ".csv", "text/csv" },
		{ ".pdf", "application/pdf" },
		{ ".rtf", "application/rtf" },
		{ ".txt", "text/plain" },
		{ ".htm", "text/html" }, { ".html", "text/html" },
		{ ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
		{ ".png", "image/png" }, { ".gif", "image/gif" },
		{ ".zip", "application/zip" },
		{ ".mp3", "audio/mpeg" },
	};
	const char	*dot;
	size_t		 i;

	if (name == NULL || (dot = strrchr(name, '.')) == NULL)
		return "application/octet-stream";
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* A MIME tag that looks like type/subtype, lower-cased, or NULL. */
static char *
clean_type(const char *t)
{
	char	*r;
	size_t	 i, slash = 0;

	if (t == NULL || *t == '\0' || strlen(t) > 127)
		return NULL;
	r = xstrdup(t);
	for (i = 0; r[i] != '\0'; i++) {
		if (r[i] >= 'A' && r[i] <= 'Z')
			r[i] = (char)(r[i] - 'A' + 'a');
		if (r[i] == '/')
			slash++;
		else if (!((r[i] >= 'a' && r[i] <= 'z') ||
		    (r[i] >= '0' && r[i] <= '9') || strchr("+-._", r[i])))
			break;
	}
	if (r[i] != '\0' || slash != 1 || r[0] == '/' || r[i - 1] == '/') {
		free(r);
		return NULL;
	}
	return r;
}

static void
file_add(struct mime_tnef_file **files, size_t *n, char *name, char *type,
    int is_body, const unsigned char *data, size_t len)
{
	struct mime_tnef_file	*f;

	*files = xreallocarray(*files, *n + 1, sizeof **files);
	f = &(*files)[(*n)++];
	f->filename = name;
	f->content_type = type;
	f->is_body = is_body;
	f->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(f->data, data, len);
	f->data[len] = 0;
	f->len = len;
}

/* Copy what was found into files, within max_files and max_size. */
static int
collect(struct reader *r, uint64_t max_size, struct mime_tnef_file **files,
    size_t *n, char **cause)
{
	size_t		 i, len, skipped = 0;
	struct att	*a;
	char		*name, *type;
	unsigned char	*rtf;

	for (i = 0; i < r->n_atts; i++) {
		a = &r->atts[i];
		if (a->data.p == NULL || a->method == 5) {
			skipped++;	/* embedded Outlook item or no data */
			continue;
		}
		if (*n >= r->max_files) {
			r->too_many = 1;
			break;
		}
		if (a->data.n > max_size) {
			skipped++;
			continue;
		}
		name = span_text(r, &a->longname);
		if (name == NULL)
			name = span_text(r, &a->title);
		if (name == NULL)
			name = span_text(r, &a->filename);
		if (name == NULL)
			name = span_text(r, &a->display);
		rtf = (unsigned char *)span_text(r, &a->mime);
		type = clean_type((char *)rtf);
		free(rtf);
		if (type == NULL ||
		    strcmp(type, "application/octet-stream") == 0) {
			free(type);
			type = xstrdup(type_by_name(name));
		}
		file_add(files, n, name, type, 0, a->data.p, a->data.n);
	}
	if (r->html.p != NULL && r->html.n <= max_size && *n < r->max_files) {
		len = r->html.n;
		while (len > 0 && r->html.p[len - 1] == 0)
			len--;
		file_add(files, n, NULL, xstrdup("text/html"), 1, r->html.p,
		    len);
	} else if (r->body.p != NULL && r->body.n <= max_size &&
	    *n < r->max_files) {
		name = span_text(r, &r->body);
		if (name != NULL)
			file_add(files, n, NULL, xstrdup("text/plain"), 1,
			    (unsigned char *)name, strlen(name));
		free(name);
	}
	if (r->html.p == NULL && r->rtf.p != NULL && *n < r->max_files &&
	    (rtf = rtf_decompress(r->rtf.p, r->rtf.n, max_size, &len)) !=
	    NULL) {
		file_add(files, n, NULL, xstrdup("text/rtf"), 1, rtf, len);
		free(rtf);
	}
	if (r->too_many) {
		xasprintf(cause, "more than %zu files", r->max_files);
		return -1;
	}
	if (skipped > 0) {
		xasprintf(cause, "%zu attachments without data, embedded or "
		    "too large were left out", skipped);
		return -1;
	}
	return 0;
}

/* The title (attAttachTitle) is code-page text ending in NUL. */
static void
title_set(struct att *a, const unsigned char *p, size_t n)
{
	a->title.p = p;
	a->title.n = n;
	a->title.unicode = 0;
}

int
mime_tnef_unpack(const unsigned char *p, size_t len, size_t max_files,
    uint64_t max_size, struct mime_tnef_file **files, size_t *n,
    char **cause)
{
	struct reader	 r;
	struct att	*cur = NULL;
	size_t		 off = 6, alen;
	unsigned	 level;
	uint32_t	 id;
	const char	*damage = NULL;
	int		 rv;

	*files = NULL;
	*n = 0;
	*cause = NULL;
	memset(&r, 0, sizeof r);
	r.max_files = max_files;
	if (len < 6 || le32(p) != TNEF_SIGNATURE) {
		*cause = xstrdup("not a TNEF stream");
		return -1;
	}
	while (off < len) {
		if (len - off < 9) {
			damage = "truncated attribute header";
			break;
		}
		level = p[off];
		id = le32(p + off + 1);
		alen = le32(p + off + 5);
		off += 9;
		if (level != LVL_MESSAGE && level != LVL_ATTACHMENT) {
			damage = "unknown attribute level";
			break;
		}
		if (alen > len - off) {
			damage = "attribute longer than the stream";
			break;
		}
		if (level == LVL_ATTACHMENT && id == ATT_ATTACH_RENDDATA) {
			if (r.n_atts >= max_files) {
				r.too_many = 1;
				break;
			}
			r.atts = xreallocarray(r.atts, r.n_atts + 1,
			    sizeof *r.atts);
			cur = &r.atts[r.n_atts++];
			memset(cur, 0, sizeof *cur);
		} else if (level == LVL_ATTACHMENT && cur != NULL) {
			if (id == ATT_ATTACH_TITLE)
				title_set(cur, p + off, alen);
			else if (id == ATT_ATTACH_DATA) {
				cur->data.p = p + off;
				cur->data.n = alen;
			} else if (id == ATT_ATTACHMENT &&
			    props_read(&r, cur, p + off, alen) == -1)
				damage = "unreadable attachment properties";
		} else if (level == LVL_MESSAGE) {
			if (id == ATT_BODY) {
				r.body.p = p + off;
				r.body.n = alen;
			} else if (id == ATT_OEM_CODEPAGE && alen >= 4)
				r.codepage = le32(p + off);
			else if (id == ATT_MAPI_PROPS &&
			    props_read(&r, NULL, p + off, alen) == -1)
				damage = "unreadable message properties";
		}
		off += alen;
		off += len - off < 2 ? len - off : 2;	/* checksum */
		if (damage != NULL)
			break;
	}
	rv = collect(&r, max_size, files, n, cause);
	if (damage != NULL) {
		free(*cause);
		*cause = xstrdup(damage);
		rv = -1;
	}
	free(r.atts);
	return rv;
}

void
mime_tnef_free(struct mime_tnef_file *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(f[i].filename);
		free(f[i].content_type);
		free(f[i].data);
	}
	free(f);
}
