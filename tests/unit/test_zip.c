/*
 * test_zip.c - the zip reader and writer (zip.c): round trips, a real
 * DOCX, the limits (size, total, ratio, entry count), encrypted and
 * unsupported entries, and damaged archives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"
#include "zip.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define MiB	(1024 * 1024)

static const char *
src_dir(void)
{
	const char	*s = getenv("RR_SRC");

	return s != NULL ? s : ".";
}

static unsigned char *
load_file(const char *rel, size_t *len)
{
	char		*path;
	FILE		*fp;
	unsigned char	*buf;
	long		 n;

	xasprintf(&path, "%s/%s", src_dir(), rel);
	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		fail_msg("cannot read %s", path);
	fclose(fp);
	free(path);
	*len = (size_t)n;
	return buf;
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static unsigned
get16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Our writer's archives have no comment: the EOCD is the last 22 bytes. */
static unsigned char *
eocd_of(unsigned char *zip, size_t len)
{
	assert_true(len >= 22);
	assert_int_equal(get32(zip + len - 22), 0x06054b50);
	return zip + len - 22;
}

/* The central directory record of entry i. */
static unsigned char *
central_of(unsigned char *zip, size_t len, size_t i)
{
	unsigned char	*p = zip + get32(eocd_of(zip, len) + 16);

	while (i-- > 0)
		p += 46 + get16(p + 28) + get16(p + 30) + get16(p + 32);
	assert_int_equal(get32(p), 0x02014b50);
	return p;
}

/* Text that deflates only about 2:1, so that it stays under any ratio. */
static unsigned char *
noisy_text(size_t len)
{
	unsigned char	*b = xmalloc(len);
	uint32_t	 x = 2463534242U;
	size_t		 i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = "abcdefghijklmnop \n"[x % 18];
	}
	return b;
}

static void
build(const char *name, const void *data, size_t len, int compress,
    unsigned char **zip, size_t *zlen)
{
	struct zip_writer	*w = zip_writer_new();

	zip_writer_add(w, name, data, len, compress);
	zip_writer_finish(w, zip, zlen);
}

static void
test_defaults(void **state)
{
	struct zip_limits	lim;

	zip_limits_default(&lim);
	assert_int_equal(lim.max_entries, 1000);
	assert_int_equal(lim.max_entry_size, 25 * MiB);
	assert_int_equal(lim.max_total_size, 200 * MiB);
	assert_int_equal(lim.max_ratio, 100);
}

static void
test_round_trip(void **state)
{
	static const unsigned char	 binary[] = { 0, 1, 2, 0xff, 0, 'P',
					    'K', 3, 4, 0 };
	struct {
		const char	*name;
		size_t		 len;
		int		 compress;
	} entries[] = {
		{ "[Content_Types].xml", 300, 1 },
		{ "word/document.xml", 3 * MiB, 1 },
		{ "mimetype", 39, 0 },
		{ "empty", 0, 0 },
		{ "empty-deflated", 0, 1 },
		{ "dir/sub/stored.bin", 2 * MiB, 0 },
		{ "binary", sizeof binary, 1 },
		{ "caf\xc3\xa9/\xe2\x82\xac.txt", 5000, 1 },
	};
	struct zip_writer	*w;
	struct zip		*z;
	const struct zip_entry	*e;
	unsigned char		*zip, *zip2, *data, *want[N(entries)];
	size_t			 zlen, zlen2, len, i;
	char			*cause = NULL;

	w = zip_writer_new();
	for (i = 0; i < N(entries); i++) {
		if (strcmp(entries[i].name, "binary") == 0) {
			want[i] = xmalloc(sizeof binary);
			memcpy(want[i], binary, sizeof binary);
		} else
			want[i] = noisy_text(entries[i].len);
		zip_writer_add(w, entries[i].name, want[i], entries[i].len,
		    entries[i].compress);
	}
	zip_writer_finish(w, &zip, &zlen);
	/* Deflated entries are smaller than they were. */
	assert_true(zlen < 3 * MiB + 2 * MiB);

	/* With the default limits: 3 MiB at about 2:1 passes the ratio. */
	assert_int_equal(zip_open(zip, zlen, NULL, &z, &cause), ZIP_OK);
	assert_null(cause);
	assert_int_equal(zip_count(z), N(entries));
	for (i = 0; i < N(entries); i++) {
		e = zip_entry_at(z, i);
		assert_non_null(e);
		assert_string_equal(e->name, entries[i].name);
		assert_int_equal(e->method, entries[i].compress ? 8 : 0);
		assert_int_equal(e->size, entries[i].len);
		assert_ptr_equal(zip_find(z, entries[i].name), e);
		assert_int_equal(zip_read(z, entries[i].name, &data, &len,
		    &cause), ZIP_OK);
		assert_null(cause);
		assert_int_equal(len, entries[i].len);
		assert_memory_equal(data, want[i], len);
		assert_int_equal(data[len], '\0');
		free(data);
	}
	assert_null(zip_entry_at(z, N(entries)));
	assert_null(zip_find(z, "word/Document.xml"));
	assert_int_equal(zip_read(z, "nothing", &data, &len, &cause),
	    ZIP_ENOENT);
	assert_null(data);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "nothing"));
	free(cause);
	cause = NULL;
	zip_close(z);

	/* The same entries make the same bytes (fixed DOS time). */
	w = zip_writer_new();
	for (i = 0; i < N(entries); i++)
		zip_writer_add(w, entries[i].name, want[i], entries[i].len,
		    entries[i].compress);
	zip_writer_finish(w, &zip2, &zlen2);
	assert_int_equal(zlen, zlen2);
	assert_memory_equal(zip, zip2, zlen);
	free(zip2);

	for (i = 0; i < N(entries); i++)
		free(want[i]);
	free(zip);
}

/* Info-ZIP reads what we write, CRCs included. */
static void
test_unzip_reads_ours(void **state)
{
	unsigned char	*text = noisy_text(100000), *zip;
	struct zip_writer *w;
	size_t		 zlen;
	char		 path[] = "/tmp/test_zip.XXXXXX", *cmd;
	FILE		*fp;
	int		 fd, rc;

	if (system("command -v unzip >/dev/null 2>&1") != 0)
		skip();
	w = zip_writer_new();
	zip_writer_add(w, "a.txt", text, 100000, 1);
	zip_writer_add(w, "b/c.txt", text, 777, 0);
	zip_writer_add(w, "e", "", 0, 1);
	zip_writer_finish(w, &zip, &zlen);
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(fp = fdopen(fd, "wb"));
	assert_int_equal(fwrite(zip, 1, zlen, fp), zlen);
	fclose(fp);
	xasprintf(&cmd, "unzip -tqq '%s' >/dev/null 2>&1", path);
	rc = system(cmd);
	free(cmd);
	unlink(path);
	assert_int_equal(rc, 0);
	free(zip);
	free(text);
}

/* An archive Word wrote. */
static void
test_real_docx(void **state)
{
	struct zip	*z;
	unsigned char	*buf, *data;
	size_t		 len, dlen;
	char		*cause = NULL;

	buf = load_file("../shared/corpus/docs/docx/poi__55966_sdt_tags.docx",
	    &len);
	assert_int_equal(zip_open(buf, len, NULL, &z, &cause), ZIP_OK);
	assert_int_equal(zip_count(z), 19);
	assert_string_equal(zip_entry_at(z, 0)->name, "[Content_Types].xml");
	assert_int_equal(zip_read(z, "word/document.xml", &data, &dlen,
	    &cause), ZIP_OK);
	assert_int_equal(dlen, 2831);
	assert_memory_equal(data, "<?xml", 5);
	assert_non_null(strstr((char *)data, "</w:document>"));
	free(data);
	zip_close(z);
	free(buf);
}

struct limit_case {
	const char	*what;
	size_t		 zeros;		/* one entry of that many zero bytes */
	int		 reads;		/* read it that many times */
	uint64_t	 max_entry_size;
	uint64_t	 max_total_size;
	unsigned	 max_ratio;
	enum zip_error	 want;		/* of the last read */
	const char	*cause;		/* in the cause */
};

static void
test_limits(void **state)
{
	static const struct limit_case cases[] = {
		{ "total", 40 * MiB, 1, 64 * MiB, 16 * MiB, 100000,
		    ZIP_ELIMIT, "expands to more than 16 MB" },
		{ "entry", 40 * MiB, 1, 4 * MiB, 64 * MiB, 100000,
		    ZIP_ELIMIT, "a file inside the document expands to more "
		    "than 4 MB" },
		{ "ratio", 2 * MiB, 1, 64 * MiB, 64 * MiB, 100,
		    ZIP_ELIMIT, "more than 100 times" },
		{ "below the ratio floor", MiB - 1, 1, 64 * MiB, 64 * MiB, 100,
		    ZIP_OK, NULL },
		{ "total over two reads", 3 * MiB, 2, 64 * MiB, 5 * MiB,
		    100000, ZIP_ELIMIT, "expands to more than 5 MB" },
		{ "two reads within", 3 * MiB, 2, 64 * MiB, 6 * MiB, 100000,
		    ZIP_OK, NULL },
		{ "exactly the entry limit", 2 * MiB, 1, 2 * MiB, 64 * MiB,
		    100000, ZIP_OK, NULL },
	};
	struct zip_limits	 lim;
	struct zip		*z;
	unsigned char		*zeros, *zip, *data;
	size_t			 zlen, len, i;
	enum zip_error		 got = ZIP_OK;
	char			*cause;
	int			 r;

	for (i = 0; i < N(cases); i++) {
		zeros = xcalloc(1, cases[i].zeros);
		build("word/document.xml", zeros, cases[i].zeros, 1, &zip,
		    &zlen);
		free(zeros);
		zip_limits_default(&lim);
		lim.max_entry_size = cases[i].max_entry_size;
		lim.max_total_size = cases[i].max_total_size;
		lim.max_ratio = cases[i].max_ratio;
		assert_int_equal(zip_open(zip, zlen, &lim, &z, NULL), ZIP_OK);
		for (r = 0; r < cases[i].reads; r++) {
			cause = NULL;
			got = zip_read(z, "word/document.xml", &data, &len,
			    &cause);
			if (got != ZIP_OK || r + 1 == cases[i].reads)
				break;
			free(data);
		}
		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].what, got,
			    cases[i].want);
		if (got == ZIP_OK) {
			assert_int_equal(len, cases[i].zeros);
			assert_null(cause);
			free(data);
		} else {
			assert_null(data);
			if (cause == NULL ||
			    strstr(cause, cases[i].cause) == NULL)
				fail_msg("%s: cause '%s'", cases[i].what,
				    cause != NULL ? cause : "(null)");
			free(cause);
		}
		zip_close(z);
		free(zip);
	}
}

/*
 * 250 MB of zeros deflate about 1000:1: with the default limits the ratio
 * stops the read at 100 times the compressed size, under 25 MB, before
 * the entry limit would (its cause says which limit stopped it).
 */
static void
test_bomb_defaults(void **state)
{
	const size_t	 size = 250 * 1000 * 1000;
	struct zip	*z;
	unsigned char	*zeros, *zip, *data;
	size_t		 zlen, len;
	char		*cause = NULL;
	clock_t		 t0;

	zeros = xcalloc(1, size);
	build("word/document.xml", zeros, size, 1, &zip, &zlen);
	free(zeros);
	assert_true(zlen < size / 500);
	assert_int_equal(zip_open(zip, zlen, NULL, &z, &cause), ZIP_OK);
	assert_int_equal(zip_entry_at(z, 0)->size, size);
	t0 = clock();
	assert_int_equal(zip_read(z, "word/document.xml", &data, &len, &cause),
	    ZIP_ELIMIT);
	/* Inflating 250 MB takes far longer than stopping at about 24 MB. */
	assert_true(clock() - t0 < CLOCKS_PER_SEC);
	assert_null(data);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "more than 100 times"));
	free(cause);
	zip_close(z);
	free(zip);
}

static void
test_many_entries(void **state)
{
	struct zip_writer	*w;
	struct zip_limits	 lim;
	struct zip		*z;
	unsigned char		*zip, *eocd;
	size_t			 zlen, i;
	char			 name[32], *cause = NULL;

	w = zip_writer_new();
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof name, "f%zu", i);
		zip_writer_add(w, name, "x", 1, 0);
	}
	zip_writer_finish(w, &zip, &zlen);

	/* The EOCD's count (100000 wraps to 34464) is over the limit. */
	assert_int_equal(zip_open(zip, zlen, NULL, &z, &cause), ZIP_ELIMIT);
	assert_null(z);
	assert_string_equal(cause, "the document holds more than 1000 files");
	free(cause);

	/* A count that lies is caught by counting while walking. */
	eocd = eocd_of(zip, zlen);
	put16(eocd + 8, 5);
	put16(eocd + 10, 5);
	assert_int_equal(zip_open(zip, zlen, NULL, &z, &cause), ZIP_ELIMIT);
	assert_string_equal(cause, "the document holds more than 1000 files");
	free(cause);

	/* With room for them all, every entry of the directory is read. */
	zip_limits_default(&lim);
	lim.max_entries = 100000;
	assert_int_equal(zip_open(zip, zlen, &lim, &z, NULL), ZIP_OK);
	assert_int_equal(zip_count(z), 100000);
	assert_string_equal(zip_entry_at(z, 99999)->name, "f99999");
	zip_close(z);
	lim.max_entries = 99999;
	assert_int_equal(zip_open(zip, zlen, &lim, &z, NULL), ZIP_ELIMIT);
	free(zip);
}

/* Damage done to a good archive of two deflated entries. */
enum damage {
	DMG_ENCRYPT_BOTH, DMG_ENCRYPT_CENTRAL, DMG_ENCRYPT_LOCAL,
	DMG_STRONG, DMG_BZIP2, DMG_ZIP64_COUNT, DMG_ZIP64_SIZE, DMG_DISK,
	DMG_CD_OFFSET, DMG_CD_SIZE, DMG_COUNT_HIGH, DMG_LOCAL_OFFSET,
	DMG_LOCAL_SIG, DMG_COMPRESSED_HUGE, DMG_COMPRESSED_SHORT,
	DMG_STREAM, DMG_NAME_LEN, DMG_COMMENT, DMG_TRAILING
};

struct damage_case {
	const char	*what;
	enum damage	 damage;
	enum zip_error	 open;		/* zip_open's result */
	enum zip_error	 read;		/* then zip_read's of entry 0 */
};

static void
damage(enum damage d, unsigned char **zipp, size_t *len)
{
	unsigned char	*zip = *zipp, *eocd = eocd_of(zip, *len);
	unsigned char	*cd = central_of(zip, *len, 0), *lh;

	lh = zip + get32(cd + 42);
	switch (d) {
	case DMG_ENCRYPT_BOTH:
		put16(cd + 8, 1);
		put16(lh + 6, 1);
		break;
	case DMG_ENCRYPT_CENTRAL:
		put16(cd + 8, 1);
		break;
	case DMG_ENCRYPT_LOCAL:
		put16(lh + 6, 1);
		break;
	case DMG_STRONG:
		put16(cd + 8, 0x41);
		break;
	case DMG_BZIP2:
		put16(cd + 10, 12);
		break;
	case DMG_ZIP64_COUNT:
		put16(eocd + 8, 0xffff);
		put16(eocd + 10, 0xffff);
		break;
	case DMG_ZIP64_SIZE:
		put32(cd + 24, 0xffffffffU);
		break;
	case DMG_DISK:
		put16(eocd + 4, 1);
		break;
	case DMG_CD_OFFSET:
		put32(eocd + 16, (uint32_t)*len);
		break;
	case DMG_CD_SIZE:
		put32(eocd + 12, get32(eocd + 12) + 1000);
		break;
	case DMG_COUNT_HIGH:
		put16(eocd + 8, 3);
		put16(eocd + 10, 3);
		break;
	case DMG_LOCAL_OFFSET:
		put32(cd + 42, (uint32_t)*len - 10);
		break;
	case DMG_LOCAL_SIG:
		lh[0] = 'X';
		break;
	case DMG_COMPRESSED_HUGE:
		put32(cd + 20, 0x7fffffff);
		break;
	case DMG_COMPRESSED_SHORT:
		put32(cd + 20, get32(cd + 20) / 2);
		break;
	case DMG_STREAM:
		/* A block type of 3 is invalid in any deflate stream. */
		lh[30 + get16(lh + 26)] |= 0x06;
		break;
	case DMG_NAME_LEN:
		put16(cd + 28, 0xfff0);
		break;
	case DMG_COMMENT:
		*zipp = zip = xreallocarray(zip, *len + 7, 1);
		memcpy(zip + *len, "comment", 7);
		put16(zip + *len - 2, 7);
		*len += 7;
		break;
	case DMG_TRAILING:
		/* Bytes after the EOCD that its comment length does not own. */
		*zipp = zip = xreallocarray(zip, *len + 3, 1);
		memcpy(zip + *len, "\r\n\n", 3);
		*len += 3;
		break;
	}
}

static void
test_damage(void **state)
{
	static const struct damage_case cases[] = {
		{ "encrypted", DMG_ENCRYPT_BOTH, ZIP_OK, ZIP_EENCRYPTED },
		{ "encrypted (central)", DMG_ENCRYPT_CENTRAL, ZIP_OK,
		    ZIP_EENCRYPTED },
		{ "encrypted (local)", DMG_ENCRYPT_LOCAL, ZIP_OK,
		    ZIP_EENCRYPTED },
		{ "strong encryption", DMG_STRONG, ZIP_OK, ZIP_EENCRYPTED },
		{ "bzip2", DMG_BZIP2, ZIP_OK, ZIP_EUNSUPPORTED },
		/* 0xffff entries is over any limit we set, ZIP64 or not. */
		{ "zip64 count", DMG_ZIP64_COUNT, ZIP_ELIMIT, 0 },
		{ "zip64 size", DMG_ZIP64_SIZE, ZIP_EUNSUPPORTED, 0 },
		{ "multi-disk", DMG_DISK, ZIP_EUNSUPPORTED, 0 },
		{ "cd offset", DMG_CD_OFFSET, ZIP_ENOTZIP, 0 },
		{ "cd size", DMG_CD_SIZE, ZIP_ENOTZIP, 0 },
		{ "count too high", DMG_COUNT_HIGH, ZIP_ENOTZIP, 0 },
		{ "local offset", DMG_LOCAL_OFFSET, ZIP_OK, ZIP_ENOTZIP },
		{ "local signature", DMG_LOCAL_SIG, ZIP_OK, ZIP_ENOTZIP },
		{ "compressed size huge", DMG_COMPRESSED_HUGE, ZIP_OK,
		    ZIP_ENOTZIP },
		{ "compressed size short", DMG_COMPRESSED_SHORT, ZIP_OK,
		    ZIP_ENOTZIP },
		{ "bad deflate stream", DMG_STREAM, ZIP_OK, ZIP_ENOTZIP },
		{ "name past the directory", DMG_NAME_LEN, ZIP_ENOTZIP, 0 },
		{ "comment", DMG_COMMENT, ZIP_OK, ZIP_OK },
		{ "trailing bytes", DMG_TRAILING, ZIP_OK, ZIP_OK },
	};
	unsigned char	*text = noisy_text(50000), *zip, *data;
	struct zip_writer *w;
	struct zip	*z;
	size_t		 zlen, len, i;
	enum zip_error	 got;
	char		*cause;

	for (i = 0; i < N(cases); i++) {
		w = zip_writer_new();
		zip_writer_add(w, "word/document.xml", text, 50000, 1);
		zip_writer_add(w, "word/styles.xml", text, 4000, 1);
		zip_writer_finish(w, &zip, &zlen);
		damage(cases[i].damage, &zip, &zlen);
		cause = NULL;
		got = zip_open(zip, zlen, NULL, &z, &cause);
		if (got != cases[i].open)
			fail_msg("%s: open got %d, want %d", cases[i].what,
			    got, cases[i].open);
		if (got != ZIP_OK) {
			assert_null(z);
			assert_non_null(cause);
			free(cause);
			free(zip);
			continue;
		}
		got = zip_read(z, "word/document.xml", &data, &len, &cause);
		if (got != cases[i].read)
			fail_msg("%s: read got %d, want %d", cases[i].what,
			    got, cases[i].read);
		if (got == ZIP_OK) {
			assert_int_equal(len, 50000);
			assert_memory_equal(data, text, len);
			free(data);
		} else {
			assert_null(data);
			assert_non_null(cause);
			if (got == ZIP_EENCRYPTED)
				assert_non_null(strstr(cause, "encrypted"));
			if (got == ZIP_ENOTZIP)
				assert_string_equal(cause, "the document is "
				    "damaged (not a zip archive)");
			free(cause);
			/* Without a cause pointer, nothing leaks. */
			assert_int_equal(zip_read(z, "word/document.xml",
			    &data, &len, NULL), got);
		}
		zip_close(z);
		free(zip);
	}
	free(text);
}

/* Every prefix of an archive is refused, none crashes. */
static void
test_truncated(void **state)
{
	unsigned char	*text = noisy_text(3000), *zip;
	struct zip	*z;
	size_t		 zlen, n;
	char		*cause;

	build("word/document.xml", text, 3000, 1, &zip, &zlen);
	for (n = 0; n < zlen; n++) {
		cause = NULL;
		if (zip_open(zip, n, NULL, &z, &cause) != ZIP_ENOTZIP)
			fail_msg("prefix of %zu bytes not refused", n);
		assert_string_equal(cause, "the document is damaged (not a "
		    "zip archive)");
		free(cause);
	}
	free(zip);
	free(text);
}

static void
test_not_zip(void **state)
{
	static const char *const files[] = {
		"../shared/corpus/docs/docx/poi__truncated62886.docx",
		"../shared/corpus/docs/docx/poi__clusterfuzz_5313273089884160.docx",
		"../shared/corpus/docs/docx/poi__encrypted_password_is_pass.docx",
	};
	static const char	 garbage[] = "PK\x05\x06 not really a zip";
	struct zip		*z;
	unsigned char		*buf;
	size_t			 len, i;
	char			*cause;

	for (i = 0; i < N(files); i++) {
		buf = load_file(files[i], &len);
		cause = NULL;
		if (zip_open(buf, len, NULL, &z, &cause) != ZIP_ENOTZIP)
			fail_msg("%s opened", files[i]);
		assert_null(z);
		free(cause);
		free(buf);
	}
	assert_int_equal(zip_open("", 0, NULL, &z, NULL), ZIP_ENOTZIP);
	assert_int_equal(zip_open(garbage, sizeof garbage - 1, NULL, &z, NULL),
	    ZIP_ENOTZIP);
}

/* An empty archive is an archive. */
static void
test_empty(void **state)
{
	struct zip	*z;
	unsigned char	*zip;
	size_t		 zlen;

	zip_writer_finish(zip_writer_new(), &zip, &zlen);
	assert_int_equal(zlen, 22);
	assert_int_equal(zip_open(zip, zlen, NULL, &z, NULL), ZIP_OK);
	assert_int_equal(zip_count(z), 0);
	assert_null(zip_find(z, "x"));
	zip_close(z);
	free(zip);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unzip_reads_ours),
		cmocka_unit_test(test_real_docx),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bomb_defaults),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_zip),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
