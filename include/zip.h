/*
 * zip.h - read and write the zip archives that DOCX and ODT files are,
 * from and to memory, with limits (DESIGN §4: count bytes while
 * inflating; never trust declared sizes).
 *
 * The reader takes the central directory as the list of entries, checks
 * every offset and length against the buffer, and inflates (zlib, raw
 * deflate) or copies (stored) one entry at a time, stopping as soon as a
 * limit is passed. Encrypted entries, other methods, ZIP64 and
 * multi-disk archives are refused.
 */
#ifndef RR_ZIP_H
#define RR_ZIP_H

#include <stddef.h>
#include <stdint.h>

struct zip_limits {
	size_t		max_entries;	/* entries in the central directory */
	uint64_t	max_entry_size;	/* bytes of one entry, inflated */
	uint64_t	max_total_size;	/* bytes of every entry read, inflated */
	unsigned	max_ratio;	/* inflated / compressed, per entry,
					   checked once an entry passes 1 MiB */
};

/* SPEC §7's defaults: 1000 entries, 25 MiB an entry, 200 MiB in all,
 * ratio 100. */
void	zip_limits_default(struct zip_limits *);

enum zip_error {
	ZIP_OK = 0,
	ZIP_ENOTZIP,		/* not a zip archive, or damaged */
	ZIP_ELIMIT,		/* over a limit: entries, size or ratio */
	ZIP_EENCRYPTED,		/* an entry is encrypted */
	ZIP_EUNSUPPORTED,	/* a method or feature we do not read */
	ZIP_ENOENT,		/* no entry of that name */
};

struct zip_entry {
	char		*name;		/* as stored, NUL-terminated */
	uint16_t	 method;	/* 0 stored, 8 deflate */
	uint16_t	 flags;
	uint64_t	 compressed;	/* declared; checked against the buffer */
	uint64_t	 size;		/* declared; not trusted */
	uint64_t	 local_offset;
};

struct zip;

/*
 * Open len bytes (borrowed: keep them alive until zip_close) as an
 * archive. Returns ZIP_OK with *out set, or an error with *cause set
 * (caller frees) saying what was wrong in words a sender can read.
 */
enum zip_error	zip_open(const void *data, size_t len,
		    const struct zip_limits *, struct zip **out, char **cause);
void		zip_close(struct zip *);

size_t			 zip_count(const struct zip *);
const struct zip_entry	*zip_entry_at(const struct zip *, size_t i);
/* The entry of that exact name, or NULL. */
const struct zip_entry	*zip_find(const struct zip *, const char *name);

/*
 * Read one entry whole: *data (caller frees; NUL after the last byte) and
 * *len. The bytes count towards the archive's total. Returns ZIP_OK, or
 * an error with *cause set (caller frees).
 */
enum zip_error	zip_read(struct zip *, const char *name, unsigned char **data,
		    size_t *len, char **cause);

/* --- writing --- */

struct zip_writer;

struct zip_writer	*zip_writer_new(void);
/* Add an entry, deflated when compress is 1, else stored. */
void			 zip_writer_add(struct zip_writer *, const char *name,
			    const void *data, size_t len, int compress);
/* The archive: *data (caller frees with free) and *len; frees w. */
void			 zip_writer_finish(struct zip_writer *w,
			    unsigned char **data, size_t *len);

#endif
