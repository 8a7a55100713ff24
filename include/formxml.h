/*
 * formxml.h - what the DOCX and ODT readers (docx.c, odt.c) share: a safe
 * parse of an XML part and the builder of the struct ar_doc they produce,
 * with its limits.
 *
 * The builder counts what the walk makes, blocks and table cells against
 * FORMS_MAX_BLOCKS and bytes of text against 64 MB, since nested controls,
 * repeated cells and flattened tables copy text. Once over a limit it
 * makes nothing more, and formxml_finish refuses the document. Content
 * controls found inside a paragraph, a table or another control are kept
 * apart and come after the body's blocks.
 */
#ifndef RR_FORMXML_H
#define RR_FORMXML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "agencyreturn.h"
#include "forms.h"
#include "zip.h"

#define FORMXML_MAX_KEY		64	/* bytes of a control's key */

#define FORMXML_DAMAGED	"the document is damaged (its text could not be read)"
#define FORMXML_DOCTYPE	"the document contains a DOCTYPE declaration, " \
			"which we do not accept"

enum formxml_over {
	FORMXML_FITS,		/* within the limits */
	FORMXML_TOO_MANY,	/* over FORMS_MAX_BLOCKS blocks and cells */
	FORMXML_TOO_MUCH_TEXT,	/* over 64 MB of text */
};

/* Text being gathered; all zero is empty. s is NUL-terminated once set. */
struct formxml_buf {
	char	*s;
	size_t	 n;
	size_t	 cap;
};

/* A table being read: rows of cells, each cell a string it owns. */
struct formxml_table {
	char		***cells;
	size_t		 *n_cols;
	size_t		  n_rows;
	size_t		  cap;
};

/* The builder of one document; a reader's walk tests over to stop. */
struct formxml {
	struct ar_doc		*doc;	/* the caller's, being filled */
	size_t			 cap;	/* of doc->blocks */
	struct ar_block		*later;	/* nested controls, for the end */
	size_t			 n_later;
	size_t			 later_cap;
	size_t			 units;	/* blocks and cells made */
	size_t			 text;	/* bytes of text made */
	enum formxml_over	 over;
};

/* --- XML parts --- */

/*
 * Whether the n bytes at s hold "<!DOCTYPE" in any case, NUL bytes
 * between its letters skipped so that a UTF-16 part is caught too.
 */
int	formxml_has_doctype(const unsigned char *s, size_t n);

/* Whether the n bytes at s hold needle, ASCII case ignored (memmem).
 * An empty needle is always found. */
int	formxml_contains(const unsigned char *s, size_t n, const char *needle);

/*
 * Parse an XML part of len bytes with libxml2: no network, no entity
 * substitution, no DTD loading, nothing written to stderr. Returns FORM_OK
 * with *xml set (free with xmlFreeDoc); FORM_REFUSED for a DOCTYPE (seen
 * in the bytes or by libxml2) or a part over INT_MAX bytes;
 * FORM_UNREADABLE when it is not well-formed. On error *xml is NULL and
 * *why is set (caller frees).
 */
enum form_result	formxml_parse(const unsigned char *part, size_t len,
			    xmlDoc **xml, char **why);

/* FORM_REFUSED for a zip error that is a limit or encryption, else
 * FORM_UNREADABLE. */
enum form_result	formxml_zip_result(enum zip_error);

/*
 * A content control's key: after "rr:" in its tag (at most
 * FORMXML_MAX_KEY bytes), else the KEY of "[rr:KEY]" in its title; either
 * may be NULL. Returns NULL when there is none, or a string the caller
 * frees.
 */
char	*formxml_key(const char *tag, const char *title);

/* Whether a style's name says Heading or Title (any case); s may be NULL. */
int	formxml_heading_name(const char *s);

/* --- text --- */

/*
 * Add n bytes of s to b, counted against the text limit: nothing is added
 * once the builder is over a limit.
 */
void	formxml_add(struct formxml *, struct formxml_buf *b, const char *s,
	    size_t n);

/* Add a line: as formxml_add, after a newline when b already holds text;
 * nothing when n is 0. */
void	formxml_line(struct formxml *, struct formxml_buf *b, const char *s,
	    size_t n);

/* The text of b ("" when it holds none), which the caller frees; b is
 * left empty. */
char	*formxml_take(struct formxml_buf *b);

/* Whether the n bytes at s are only spaces, tabs, CRs and LFs. */
int	formxml_blank(const char *s, size_t n);

/* --- blocks --- */

/*
 * Start building into out, which is emptied (any contents are not
 * freed). Ends with formxml_finish, or formxml_fail on failure.
 */
void	formxml_init(struct formxml *, struct ar_doc *out);

/*
 * The end of a paragraph: the lines of the text boxes anchored in it go
 * after its text, then the whole goes to collect as a line or, when
 * collect is NULL, to the end of the body as a paragraph block. Takes
 * the contents of text and boxes, which are left empty.
 */
void	formxml_end_para(struct formxml *, struct formxml_buf *text,
	    struct formxml_buf *boxes, struct formxml_buf *collect,
	    int emphasis);

/*
 * A content control, at the end of the body or, with later, kept for
 * after it. Takes key, title and text (each may be NULL; all are freed
 * when over a limit).
 */
void	formxml_push_control(struct formxml *, char *key, char *title,
	    char *text, int later);

/* A table, at the end of the body: takes its cells, *t is left empty. */
void	formxml_push_table(struct formxml *, struct formxml_table *t);

/* Start a row of t. */
void	formxml_table_row(struct formxml_table *t);

/* Add a cell to t's last row (a row is started if t has none): takes
 * text, which is freed when over a limit. */
void	formxml_table_cell(struct formxml *, struct formxml_table *t,
	    char *text);

/* Add a line to b for each cell of t, from row r0's column c0 on, that
 * has text. */
void	formxml_table_text(struct formxml *, const struct formxml_table *t,
	    size_t r0, size_t c0, struct formxml_buf *b);

/* Free the cells of t; *t is left empty. */
void	formxml_table_free(struct formxml_table *t);

/*
 * The walk is done: FORM_OK with the controls kept for later appended to
 * the document, or FORM_REFUSED with *why set (caller frees) when a limit
 * was passed, the document still to be let go with formxml_fail.
 */
enum form_result	formxml_finish(struct formxml *, char **why);

/*
 * A reader's failure: all the builder made is freed, the document's
 * blocks too (the document is left empty); then why (FORMXML_DAMAGED
 * when NULL) is handed to *cause (caller frees), or freed when cause is
 * NULL.
 */
void	formxml_fail(struct formxml *, char *why, char **cause);

/*
 * The end of docx_read and odt_read, given what their _read_doc returned
 * and the document it filled: on FORM_OK *out is a new return of source
 * read from doc (ar_finish called; free with ar_free) and the contents of
 * doc are freed; else *out is NULL (doc was left empty). Returns res.
 */
enum form_result	formxml_return(enum form_result res, struct ar_doc *doc,
			    enum ar_source source, struct agency_return **out);

#endif
