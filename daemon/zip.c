/*
 * zip.c - zip archives (the containers of DOCX and ODT) read from and
 * written to memory.
 *
 * The reader trusts nothing the archive declares: every offset and length
 * is checked against the buffer before it is used, and an entry's output
 * is counted while it is inflated, so a bomb stops at the first limit it
 * passes, having cost at most one 64 KiB step more than the limit. CRCs
 * are not checked: a damaged entry either fails to inflate or fails to
 * parse as XML, and the fuzzers reach further without them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "log.h"
#include "xmalloc.h"
#include "zip.h"

#define ZIP_SIG_LOCAL	0x04034b50U
#define ZIP_SIG_CENTRAL	0x02014b50U
#define ZIP_SIG_EOCD	0x06054b50U
#define ZIP_SIG_EOCD64L	0x07064b50U

#define ZIP_LOCAL_LEN	30
#define ZIP_CENTRAL_LEN	46
#define ZIP_EOCD_LEN	22
#define ZIP_MAX_COMMENT	0xffff

#define ZIP_FLAG_ENCRYPTED	0x0001
#define ZIP_FLAG_STRONG		0x0040	/* strong encryption */

#define ZIP_RATIO_FLOOR	(1024 * 1024)	/* ratio checked past this */
#define ZIP_STEP	(64 * 1024)	/* output per inflate() call */

#define ZIP_DAMAGED	"the document is damaged (not a zip archive)"

struct zip {
	const unsigned char	*data;
	size_t			 len;
	struct zip_limits	 lim;
	struct zip_entry	*entries;
	size_t			 n;
	uint64_t		 total;		/* inflated bytes read */
};

void
zip_limits_default(struct zip_limits *lim)
{
	lim->max_entries = 1000;
	lim->max_entry_size = 25 * 1024 * 1024;
	lim->max_total_size = 200 * 1024 * 1024;
	lim->max_ratio = 100;
}

static uint16_t
zip_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
zip_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* A size as a person reads it: "25 MB", "1.5 MB", "512 KB", "100 bytes". */
static void
zip_format_size(uint64_t n, char *buf, size_t size)
{
	const uint64_t	mb = 1024 * 1024, kb = 1024;

	if (n >= mb && n % mb == 0)
		snprintf(buf, size, "%llu MB", (unsigned long long)(n / mb));
	else if (n >= mb)
		snprintf(buf, size, "%.1f MB", (double)n / (double)mb);
	else if (n >= kb && n % kb == 0)
		snprintf(buf, size, "%llu KB", (unsigned long long)(n / kb));
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)n);
}

static enum zip_error
zip_fail(enum zip_error e, char **cause, const char *text)
{
	if (cause != NULL)
		*cause = xstrdup(text);
	return e;
}

/* The End Of Central Directory record: the last one whose comment fits. */
static const unsigned char *
zip_find_eocd(const unsigned char *data, size_t len)
{
	size_t	pos, stop;

	if (len < ZIP_EOCD_LEN)
		return NULL;
	pos = len - ZIP_EOCD_LEN;
	stop = pos > ZIP_MAX_COMMENT ? pos - ZIP_MAX_COMMENT : 0;
	for (;;) {
		if (zip_get32(data + pos) == ZIP_SIG_EOCD &&
		    zip_get16(data + pos + 20) <= len - pos - ZIP_EOCD_LEN)
			return data + pos;
		if (pos == stop)
			return NULL;
		pos--;
	}
}

enum zip_error
zip_open(const void *data, size_t len, const struct zip_limits *lim,
    struct zip **out, char **cause)
{
	const unsigned char	*buf = data, *eocd, *p, *end;
	struct zip		*z;
	struct zip_entry	*e;
	enum zip_error		 err;
	size_t			 cap = 0, n_total, cd_off, cd_size, nlen;
	size_t			 xlen, clen;
	uint32_t		 csize, usize, loff;
	char			*msg;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	z = xcalloc(1, sizeof *z);
	z->data = buf;
	z->len = len;
	if (lim != NULL)
		z->lim = *lim;
	else
		zip_limits_default(&z->lim);

	if ((eocd = zip_find_eocd(buf, len)) == NULL) {
		err = zip_fail(ZIP_ENOTZIP, cause, ZIP_DAMAGED);
		goto fail;
	}
	n_total = zip_get16(eocd + 10);
	cd_size = zip_get32(eocd + 12);
	cd_off = zip_get32(eocd + 16);
	/* 0xffff also says "see the ZIP64 record": either way, too many. */
	if (n_total > z->lim.max_entries)
		goto too_many;
	if (n_total == 0xffff || cd_size == 0xffffffffU ||
	    cd_off == 0xffffffffU) {
		err = zip_fail(ZIP_EUNSUPPORTED, cause, "the document is a "
		    "ZIP64 archive, which we do not read");
		goto fail;
	}
	if (zip_get16(eocd + 4) != 0 || zip_get16(eocd + 6) != 0 ||
	    zip_get16(eocd + 8) != n_total) {
		err = zip_fail(ZIP_EUNSUPPORTED, cause, "the document is "
		    "split over several files, which we do not read");
		goto fail;
	}
	if (cd_off > (size_t)(eocd - buf) ||
	    cd_size > (size_t)(eocd - buf) - cd_off) {
		err = zip_fail(ZIP_ENOTZIP, cause, ZIP_DAMAGED);
		goto fail;
	}

	/* Walk the whole directory, whatever count the EOCD gave. */
	p = buf + cd_off;
	end = p + cd_size;
	while ((size_t)(end - p) >= 4 && zip_get32(p) == ZIP_SIG_CENTRAL) {
		if ((size_t)(end - p) < ZIP_CENTRAL_LEN)
			break;
		nlen = zip_get16(p + 28);
		xlen = zip_get16(p + 30);
		clen = zip_get16(p + 32);
		if (nlen + xlen + clen > (size_t)(end - p) - ZIP_CENTRAL_LEN)
			break;
		if (z->n + 1 > z->lim.max_entries)
			goto too_many;
		if (memchr(p + ZIP_CENTRAL_LEN, '\0', nlen) != NULL)
			break;
		csize = zip_get32(p + 20);
		usize = zip_get32(p + 24);
		loff = zip_get32(p + 42);
		if (csize == 0xffffffffU || usize == 0xffffffffU ||
		    loff == 0xffffffffU) {
			err = zip_fail(ZIP_EUNSUPPORTED, cause, "the document "
			    "is a ZIP64 archive, which we do not read");
			goto fail;
		}
		if (zip_get16(p + 34) != 0) {
			err = zip_fail(ZIP_EUNSUPPORTED, cause, "the document "
			    "is split over several files, which we do not "
			    "read");
			goto fail;
		}
		if (z->n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			z->entries = xreallocarray(z->entries, cap,
			    sizeof *z->entries);
		}
		e = &z->entries[z->n++];
		e->name = xstrndup((const char *)p + ZIP_CENTRAL_LEN, nlen);
		e->flags = zip_get16(p + 8);
		e->method = zip_get16(p + 10);
		e->compressed = csize;
		e->size = usize;
		e->local_offset = loff;
		p += ZIP_CENTRAL_LEN + nlen + xlen + clen;
	}
	if (z->n < n_total) {
		err = zip_fail(ZIP_ENOTZIP, cause, ZIP_DAMAGED);
		goto fail;
	}
	*out = z;
	return ZIP_OK;

too_many:
	xasprintf(&msg, "the document holds more than %zu files",
	    z->lim.max_entries);
	err = ZIP_ELIMIT;
	if (cause != NULL)
		*cause = msg;
	else
		free(msg);
fail:
	zip_close(z);
	return err;
}

void
zip_close(struct zip *z)
{
	size_t	i;

	if (z == NULL)
		return;
	for (i = 0; i < z->n; i++)
		free(z->entries[i].name);
	free(z->entries);
	free(z);
}

size_t
zip_count(const struct zip *z)
{
	return z->n;
}

const struct zip_entry *
zip_entry_at(const struct zip *z, size_t i)
{
	return i < z->n ? &z->entries[i] : NULL;
}

const struct zip_entry *
zip_find(const struct zip *z, const char *name)
{
	size_t	i;

	for (i = 0; i < z->n; i++)
		if (strcmp(z->entries[i].name, name) == 0)
			return &z->entries[i];
	return NULL;
}

/*
 * Check out bytes of output (so far) of an entry against the limits:
 * 0, or -1 with *cause set.
 */
static int
zip_check_output(const struct zip *z, uint64_t out, uint64_t compressed,
    char **cause)
{
	char	size[32];

	if (out > z->lim.max_entry_size) {
		zip_format_size(z->lim.max_entry_size, size, sizeof size);
		xasprintf(cause, "a file inside the document expands to more "
		    "than %s", size);
		return -1;
	}
	if (out > z->lim.max_total_size - z->total) {
		zip_format_size(z->lim.max_total_size, size, sizeof size);
		xasprintf(cause, "the document expands to more than %s", size);
		return -1;
	}
	if (z->lim.max_ratio != 0 && out > ZIP_RATIO_FLOOR &&
	    out > compressed * z->lim.max_ratio) {
		xasprintf(cause, "the document expands more than %u times "
		    "when unpacked (it looks like a zip bomb)",
		    z->lim.max_ratio);
		return -1;
	}
	return 0;
}

static enum zip_error
zip_inflate(struct zip *z, const unsigned char *in, uint64_t compressed,
    uint64_t hint, unsigned char **data, size_t *len, char **cause)
{
	z_stream	 s;
	unsigned char	*out;
	size_t		 cap, used = 0, step;
	uint64_t	 left = compressed;
	int		 rc;

	/* The declared size is a hint for the first buffer, no more. */
	if (hint > z->lim.max_entry_size)
		hint = z->lim.max_entry_size;
	if (hint > z->lim.max_total_size - z->total)
		hint = z->lim.max_total_size - z->total;
	if (hint > (uint64_t)ZIP_RATIO_FLOOR + compressed * 2)
		hint = (uint64_t)ZIP_RATIO_FLOOR + compressed * 2;
	cap = (size_t)hint + 1;
	if (cap < 4096)
		cap = 4096;
	out = xmalloc(cap);

	memset(&s, 0, sizeof s);
	if (inflateInit2(&s, -MAX_WBITS) != Z_OK) {
		free(out);
		return zip_fail(ZIP_ENOTZIP, cause, ZIP_DAMAGED);
	}
	for (;;) {
		if (s.avail_in == 0 && left > 0) {
			s.next_in = (unsigned char *)(uintptr_t)in;
			s.avail_in = left > UINT32_MAX ? UINT32_MAX :
			    (uInt)left;
			in += s.avail_in;
			left -= s.avail_in;
		}
		if (cap - used < 2) {
			cap = cap * 2;
			out = xreallocarray(out, cap, 1);
		}
		/* Small steps, so that a limit is seen as soon as passed. */
		step = cap - used - 1;
		if (step > ZIP_STEP)
			step = ZIP_STEP;
		s.next_out = out + used;
		s.avail_out = (uInt)step;
		rc = inflate(&s, Z_NO_FLUSH);
		used += step - s.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK)
			goto damaged;
		if (rc == Z_OK && s.avail_in == 0 && left == 0 &&
		    s.avail_out != 0)
			goto damaged;	/* input ended before the stream */
		if (zip_check_output(z, used, compressed, cause) != 0) {
			inflateEnd(&s);
			free(out);
			return ZIP_ELIMIT;
		}
	}
	inflateEnd(&s);
	if (zip_check_output(z, used, compressed, cause) != 0) {
		free(out);
		return ZIP_ELIMIT;
	}
	out[used] = '\0';
	z->total += used;
	*data = out;
	*len = used;
	return ZIP_OK;

damaged:
	inflateEnd(&s);
	free(out);
	return zip_fail(ZIP_ENOTZIP, cause, ZIP_DAMAGED);
}

enum zip_error
zip_read(struct zip *z, const char *name, unsigned char **data, size_t *len,
    char **cause)
{
	const struct zip_entry	*e;
	const unsigned char	*lh;
	size_t			 off, room;
	unsigned char		*out;
	enum zip_error		 err;
	char			*why = NULL;

	*data = NULL;
	*len = 0;
	if ((e = zip_find(z, name)) == NULL) {
		xasprintf(&why, "the document has no %s part", name);
		err = ZIP_ENOENT;
		goto fail;
	}
	if (e->flags & (ZIP_FLAG_ENCRYPTED | ZIP_FLAG_STRONG))
		goto encrypted;
	if (e->method != 0 && e->method != 8) {
		xasprintf(&why, "the document uses a compression method "
		    "(%u) we do not read", e->method);
		err = ZIP_EUNSUPPORTED;
		goto fail;
	}

	if (e->local_offset > z->len ||
	    z->len - e->local_offset < ZIP_LOCAL_LEN)
		goto damaged;
	lh = z->data + e->local_offset;
	if (zip_get32(lh) != ZIP_SIG_LOCAL)
		goto damaged;
	if (zip_get16(lh + 6) & (ZIP_FLAG_ENCRYPTED | ZIP_FLAG_STRONG))
		goto encrypted;
	off = ZIP_LOCAL_LEN + (size_t)zip_get16(lh + 26) + zip_get16(lh + 28);
	room = z->len - e->local_offset;
	if (off > room || e->compressed > room - off)
		goto damaged;

	if (e->method == 8) {
		err = zip_inflate(z, lh + off, e->compressed, e->size, data,
		    len, &why);
		if (err != ZIP_OK)
			goto fail;
		return ZIP_OK;
	}
	if (zip_check_output(z, e->compressed, e->compressed, &why) != 0) {
		err = ZIP_ELIMIT;
		goto fail;
	}
	out = xmalloc((size_t)e->compressed + 1);
	memcpy(out, lh + off, (size_t)e->compressed);
	out[e->compressed] = '\0';
	z->total += e->compressed;
	*data = out;
	*len = (size_t)e->compressed;
	return ZIP_OK;

encrypted:
	why = xstrdup("the document is password-protected (encrypted)");
	err = ZIP_EENCRYPTED;
	goto fail;
damaged:
	why = xstrdup(ZIP_DAMAGED);
	err = ZIP_ENOTZIP;
fail:
	if (cause != NULL)
		*cause = why;
	else
		free(why);
	return err;
}

/* --- writing --- */

struct zip_wentry {
	char		*name;
	uint16_t	 method;
	uint32_t	 crc;
	uint32_t	 csize;
	uint32_t	 usize;
	uint32_t	 offset;
};

struct zip_writer {
	unsigned char		*buf;
	size_t			 len;
	size_t			 cap;
	struct zip_wentry	*entries;
	size_t			 n;
	size_t			 ecap;
};

/* 1980-01-01 00:00, the first DOS date: the output is reproducible. */
#define ZIP_DOS_TIME	0x0000
#define ZIP_DOS_DATE	0x0021

struct zip_writer *
zip_writer_new(void)
{
	return xcalloc(1, sizeof(struct zip_writer));
}

static void
zip_writer_reserve(struct zip_writer *w, size_t more)
{
	if (more > SIZE_MAX - w->len)
		fatalx("zip_writer: archive too large");
	if (w->len + more <= w->cap)
		return;
	while (w->cap < w->len + more)
		w->cap = w->cap == 0 ? 4096 : w->cap * 2;
	w->buf = xreallocarray(w->buf, w->cap, 1);
}

static void
zip_put(struct zip_writer *w, const void *p, size_t n)
{
	zip_writer_reserve(w, n);
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
zip_put16(struct zip_writer *w, uint16_t v)
{
	unsigned char	b[2] = { v & 0xff, v >> 8 };

	zip_put(w, b, 2);
}

static void
zip_put32(struct zip_writer *w, uint32_t v)
{
	unsigned char	b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
			    v >> 24 };

	zip_put(w, b, 4);
}

/* Deflate len bytes (raw) into a new buffer: *out, returns its length. */
static size_t
zip_deflate(const void *data, size_t len, unsigned char **out)
{
	z_stream		 s;
	const unsigned char	*in = data;
	unsigned char		*buf = NULL;
	size_t			 cap = 0, used = 0, left = len;
	uInt			 room;
	int			 rc;

	memset(&s, 0, sizeof s);
	if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("zip_writer: deflateInit2 failed");
	do {
		if (s.avail_in == 0 && left > 0) {
			s.next_in = (unsigned char *)(uintptr_t)in;
			s.avail_in = left > UINT32_MAX ? UINT32_MAX :
			    (uInt)left;
			in += s.avail_in;
			left -= s.avail_in;
		}
		if (cap - used < 1024) {
			cap = cap == 0 ? 4096 + len / 64 : cap * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		room = cap - used > UINT32_MAX ? UINT32_MAX :
		    (uInt)(cap - used);
		s.next_out = buf + used;
		s.avail_out = room;
		rc = deflate(&s, left == 0 ? Z_FINISH : Z_NO_FLUSH);
		used += room - s.avail_out;
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			fatalx("zip_writer: deflate failed");
	} while (rc != Z_STREAM_END);
	deflateEnd(&s);
	*out = buf;
	return used;
}

static uint32_t
zip_crc32(const void *data, size_t len)
{
	const unsigned char	*p = data;
	uLong			 crc = crc32(0L, Z_NULL, 0);
	uInt			 n;

	while (len > 0) {
		n = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

void
zip_writer_add(struct zip_writer *w, const char *name, const void *data,
    size_t len, int compress)
{
	struct zip_wentry	*e;
	unsigned char		*packed = NULL;
	const void		*body = data;
	size_t			 blen = len, nlen = strlen(name);
	uint32_t		 crc;

	if (nlen > 0xffff || len > UINT32_MAX || w->len > UINT32_MAX)
		fatalx("zip_writer: entry too large for a zip archive");
	crc = zip_crc32(data, len);
	if (compress) {
		blen = zip_deflate(data, len, &packed);
		body = packed;
		if (blen > UINT32_MAX)
			fatalx("zip_writer: entry too large");
	}
	if (w->n == w->ecap) {
		w->ecap = w->ecap == 0 ? 16 : w->ecap * 2;
		w->entries = xreallocarray(w->entries, w->ecap,
		    sizeof *w->entries);
	}
	e = &w->entries[w->n++];
	e->name = xstrdup(name);
	e->method = compress ? 8 : 0;
	e->crc = crc;
	e->csize = (uint32_t)blen;
	e->usize = (uint32_t)len;
	e->offset = (uint32_t)w->len;

	zip_put32(w, ZIP_SIG_LOCAL);
	zip_put16(w, 20);			/* version needed */
	zip_put16(w, 0);			/* flags */
	zip_put16(w, e->method);
	zip_put16(w, ZIP_DOS_TIME);
	zip_put16(w, ZIP_DOS_DATE);
	zip_put32(w, e->crc);
	zip_put32(w, e->csize);
	zip_put32(w, e->usize);
	zip_put16(w, (uint16_t)nlen);
	zip_put16(w, 0);			/* extra length */
	zip_put(w, name, nlen);
	if (blen > 0)
		zip_put(w, body, blen);
	free(packed);
}

void
zip_writer_finish(struct zip_writer *w, unsigned char **data, size_t *len)
{
	struct zip_wentry	*e;
	size_t			 i, cd_off = w->len, cd_size;
	uint16_t		 count;

	for (i = 0; i < w->n; i++) {
		e = &w->entries[i];
		zip_put32(w, ZIP_SIG_CENTRAL);
		zip_put16(w, 20);		/* version made by: MS-DOS */
		zip_put16(w, 20);		/* version needed */
		zip_put16(w, 0);		/* flags */
		zip_put16(w, e->method);
		zip_put16(w, ZIP_DOS_TIME);
		zip_put16(w, ZIP_DOS_DATE);
		zip_put32(w, e->crc);
		zip_put32(w, e->csize);
		zip_put32(w, e->usize);
		zip_put16(w, (uint16_t)strlen(e->name));
		zip_put16(w, 0);		/* extra length */
		zip_put16(w, 0);		/* comment length */
		zip_put16(w, 0);		/* disk */
		zip_put16(w, 0);		/* internal attributes */
		zip_put32(w, 0);		/* external attributes */
		zip_put32(w, e->offset);
		zip_put(w, e->name, strlen(e->name));
		free(e->name);
	}
	if (w->len > UINT32_MAX)
		fatalx("zip_writer: archive too large");
	cd_size = w->len - cd_off;
	/*
	 * More than 65535 entries would need ZIP64: the count wraps, as
	 * old Info-ZIP archives did; readers walk the directory anyway.
	 * 0xffff itself would mean ZIP64.
	 */
	count = (uint16_t)(w->n & 0xffff);
	if (count == 0xffff)
		count = 0xfffe;
	zip_put32(w, ZIP_SIG_EOCD);
	zip_put16(w, 0);			/* this disk */
	zip_put16(w, 0);			/* disk of the directory */
	zip_put16(w, count);
	zip_put16(w, count);
	zip_put32(w, (uint32_t)cd_size);
	zip_put32(w, (uint32_t)cd_off);
	zip_put16(w, 0);			/* comment length */

	*data = w->buf;
	*len = w->len;
	free(w->entries);
	free(w);
}
