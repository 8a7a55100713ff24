/*
 * formxml.c - what the DOCX and ODT readers share: a safe parse of an XML
 * part and the builder of the struct ar_doc they produce, with its limits.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "agencyreturn.h"
#include "formxml.h"
#include "forms.h"
#include "xmalloc.h"
#include "zip.h"

/* Never XML_PARSE_NOENT (entity substitution), DTDLOAD or HUGE. */
#define FORMXML_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | \
			XML_PARSE_NOWARNING)
#define FORMXML_MAX_TEXT (64 * 1024 * 1024)	/* bytes of text made */

/* --- XML parts --- */

int
formxml_has_doctype(const unsigned char *s, size_t n)
{
	static const char	 pat[] = "<!doctype";
	size_t			 i, j = 0;
	int			 c;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			continue;
		c = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i];
		if (c == pat[j]) {
			if (++j == sizeof pat - 1)
				return 1;
		} else
			j = c == '<' ? 1 : 0;
	}
	return 0;
}

int
formxml_contains(const unsigned char *s, size_t n, const char *needle)
{
	size_t	m = strlen(needle), i;

	/* s is not read for an empty needle. */
	if (m == 0 || n < m)
		return m == 0;
	for (i = 0; i + m <= n; i++)
		if (strncasecmp((const char *)s + i, needle, m) == 0)
			return 1;
	return 0;
}

static void
formxml_silent(void *ctx, const char *fmt, ...)
{
}

enum form_result
formxml_parse(const unsigned char *part, size_t len, xmlDoc **xml,
    char **why)
{
	xmlGenericErrorFunc	 old = xmlGenericError;
	void			*oldctx = xmlGenericErrorContext;
	xmlDoc			*doc;

	*xml = NULL;
	if (formxml_has_doctype(part, len)) {
		*why = xstrdup(FORMXML_DOCTYPE);
		return FORM_REFUSED;
	}
	if (len > INT_MAX) {
		*why = xstrdup("the document is too large");
		return FORM_REFUSED;
	}
	/* Nothing of the document on stderr, whatever libxml2 meets. */
	xmlSetGenericErrorFunc(NULL, formxml_silent);
	doc = xmlReadMemory((const char *)part, (int)len, NULL, NULL,
	    FORMXML_XML_OPTIONS);
	xmlSetGenericErrorFunc(oldctx, old);
	if (doc == NULL) {
		*why = xstrdup(FORMXML_DAMAGED);
		return FORM_UNREADABLE;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		xmlFreeDoc(doc);
		*why = xstrdup(FORMXML_DOCTYPE);
		return FORM_REFUSED;
	}
	*xml = doc;
	return FORM_OK;
}

enum form_result
formxml_zip_result(enum zip_error e)
{
	return e == ZIP_ELIMIT || e == ZIP_EENCRYPTED ? FORM_REFUSED :
	    FORM_UNREADABLE;
}

static char *
formxml_bracket_key(const char *s)
{
	const char	*p, *e;

	if (s == NULL || (p = strcasestr(s, "[rr:")) == NULL)
		return NULL;
	p += 4;
	if ((e = strchr(p, ']')) == NULL || e == p || e - p > FORMXML_MAX_KEY)
		return NULL;
	return xstrndup(p, (size_t)(e - p));
}

char *
formxml_key(const char *tag, const char *title)
{
	if (tag != NULL && strncasecmp(tag, "rr:", 3) == 0 && tag[3] != '\0' &&
	    strlen(tag + 3) <= FORMXML_MAX_KEY)
		return xstrdup(tag + 3);
	return formxml_bracket_key(title);
}

int
formxml_heading_name(const char *s)
{
	return s != NULL && (strcasestr(s, "heading") != NULL ||
	    strcasestr(s, "title") != NULL);
}

/* --- text --- */

void
formxml_add(struct formxml *fx, struct formxml_buf *b, const char *s,
    size_t n)
{
	if (fx->over != FORMXML_FITS)
		return;
	if (n > FORMXML_MAX_TEXT - fx->text) {
		fx->over = FORMXML_TOO_MUCH_TEXT;
		return;
	}
	fx->text += n;
	if (b->n + n + 1 > b->cap) {
		if (b->cap == 0)
			b->cap = 64;
		while (b->n + n + 1 > b->cap)
			b->cap *= 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

void
formxml_line(struct formxml *fx, struct formxml_buf *b, const char *s,
    size_t n)
{
	if (n == 0)
		return;
	if (b->n > 0)
		formxml_add(fx, b, "\n", 1);
	formxml_add(fx, b, s, n);
}

char *
formxml_take(struct formxml_buf *b)
{
	char	*s = b->s != NULL ? b->s : xstrdup("");

	memset(b, 0, sizeof *b);
	return s;
}

int
formxml_blank(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return 0;
	return 1;
}

/* --- blocks --- */

void
formxml_init(struct formxml *fx, struct ar_doc *out)
{
	memset(out, 0, sizeof *out);
	memset(fx, 0, sizeof *fx);
	fx->doc = out;
}

/* Count one block or cell: 0, or -1 (over set) past a limit. */
static int
formxml_count(struct formxml *fx)
{
	if (fx->over != FORMXML_FITS)
		return -1;
	if (++fx->units > FORMS_MAX_BLOCKS) {
		fx->over = FORMXML_TOO_MANY;
		return -1;
	}
	return 0;
}

static struct ar_block *
formxml_new_block(struct formxml *fx, int later)
{
	struct ar_block	**arr, *b;
	size_t		 *n, *cap;

	if (formxml_count(fx) != 0)
		return NULL;
	if (later) {
		arr = &fx->later;
		n = &fx->n_later;
		cap = &fx->later_cap;
	} else {
		arr = &fx->doc->blocks;
		n = &fx->doc->n_blocks;
		cap = &fx->cap;
	}
	if (*n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		*arr = xreallocarray(*arr, *cap, sizeof **arr);
	}
	b = &(*arr)[(*n)++];
	memset(b, 0, sizeof *b);
	return b;
}

/* Takes text (freed when over a limit). */
static void
formxml_push_para(struct formxml *fx, char *text, int emphasis)
{
	struct ar_block	*b;

	if ((b = formxml_new_block(fx, 0)) == NULL) {
		free(text);
		return;
	}
	b->type = AR_BLOCK_PARA;
	b->text = text;
	b->emphasis = emphasis;
}

void
formxml_end_para(struct formxml *fx, struct formxml_buf *text,
    struct formxml_buf *boxes, struct formxml_buf *collect, int emphasis)
{
	if (boxes->n > 0)
		formxml_line(fx, text, boxes->s, boxes->n);
	free(boxes->s);
	memset(boxes, 0, sizeof *boxes);
	if (collect != NULL) {
		formxml_line(fx, collect, text->s, text->n);
		free(text->s);
		memset(text, 0, sizeof *text);
	} else
		formxml_push_para(fx, formxml_take(text), emphasis);
}

void
formxml_push_control(struct formxml *fx, char *key, char *title, char *text,
    int later)
{
	struct ar_block	*b;

	if ((b = formxml_new_block(fx, later)) == NULL) {
		free(key);
		free(title);
		free(text);
		return;
	}
	b->type = AR_BLOCK_CONTROL;
	b->key = key;
	b->title = title;
	b->text = text;
}

void
formxml_push_table(struct formxml *fx, struct formxml_table *t)
{
	struct ar_block	*b;

	if ((b = formxml_new_block(fx, 0)) == NULL) {
		formxml_table_free(t);
		return;
	}
	b->type = AR_BLOCK_TABLE;
	b->cells = t->cells;
	b->n_cols = t->n_cols;
	b->n_rows = t->n_rows;
	memset(t, 0, sizeof *t);
}

void
formxml_table_row(struct formxml_table *t)
{
	if (t->n_rows == t->cap) {
		t->cap = t->cap == 0 ? 8 : t->cap * 2;
		t->cells = xreallocarray(t->cells, t->cap, sizeof *t->cells);
		t->n_cols = xreallocarray(t->n_cols, t->cap,
		    sizeof *t->n_cols);
	}
	t->cells[t->n_rows] = NULL;
	t->n_cols[t->n_rows] = 0;
	t->n_rows++;
}

void
formxml_table_cell(struct formxml *fx, struct formxml_table *t, char *text)
{
	size_t	r, n;

	if (formxml_count(fx) != 0) {
		free(text);
		return;
	}
	if (t->n_rows == 0)
		formxml_table_row(t);
	r = t->n_rows - 1;
	n = t->n_cols[r];
	/* Room doubles at each power of two. */
	if (n == 0 || (n & (n - 1)) == 0)
		t->cells[r] = xreallocarray(t->cells[r], n == 0 ? 1 : n * 2,
		    sizeof *t->cells[r]);
	t->cells[r][n] = text;
	t->n_cols[r] = n + 1;
}

void
formxml_table_text(struct formxml *fx, const struct formxml_table *t,
    size_t r0, size_t c0, struct formxml_buf *b)
{
	size_t	r, c;

	for (r = r0; r < t->n_rows; r++)
		for (c = r == r0 ? c0 : 0; c < t->n_cols[r]; c++)
			formxml_line(fx, b, t->cells[r][c],
			    strlen(t->cells[r][c]));
}

void
formxml_table_free(struct formxml_table *t)
{
	size_t	r, c;

	for (r = 0; r < t->n_rows; r++) {
		for (c = 0; c < t->n_cols[r]; c++)
			free(t->cells[r][c]);
		free(t->cells[r]);
	}
	free(t->cells);
	free(t->n_cols);
	memset(t, 0, sizeof *t);
}

enum form_result
formxml_finish(struct formxml *fx, char **why)
{
	struct ar_doc	*out = fx->doc;
	size_t		 i;

	if (fx->over != FORMXML_FITS) {
		if (fx->over == FORMXML_TOO_MANY)
			xasprintf(why, "the document has more than %d "
			    "paragraphs, tables and table cells",
			    FORMS_MAX_BLOCKS);
		else
			*why = xstrdup("the document holds more text than we "
			    "read (64 MB)");
		return FORM_REFUSED;
	}
	for (i = 0; i < fx->n_later; i++) {
		if (out->n_blocks == fx->cap) {
			fx->cap = fx->cap == 0 ? 64 : fx->cap * 2;
			out->blocks = xreallocarray(out->blocks, fx->cap,
			    sizeof *out->blocks);
		}
		out->blocks[out->n_blocks++] = fx->later[i];
	}
	/* The blocks are the document's now. */
	free(fx->later);
	fx->later = NULL;
	fx->n_later = fx->later_cap = 0;
	return FORM_OK;
}

void
formxml_fail(struct formxml *fx, char *why, char **cause)
{
	struct ar_doc	later = { fx->later, fx->n_later };

	ar_doc_free(&later);	/* frees fx->later too */
	fx->later = NULL;
	fx->n_later = fx->later_cap = 0;
	ar_doc_free(fx->doc);
	if (why == NULL)
		why = xstrdup(FORMXML_DAMAGED);
	if (cause != NULL)
		*cause = why;
	else
		free(why);
}

enum form_result
formxml_return(enum form_result res, struct ar_doc *doc,
    enum ar_source source, struct agency_return **out)
{
	*out = NULL;
	if (res != FORM_OK)
		return res;
	*out = ar_new(source);
	ar_from_doc(doc, *out);
	ar_finish(*out);
	ar_doc_free(doc);
	return FORM_OK;
}
