/*
 * docx.c - a Word document (.docx) reduced to an ar_doc: its paragraphs,
 * tables and content controls in reading order, for ar_from_doc's label
 * rules (agencyreturn.c).
 *
 * Refused before any XML is parsed: an OLE compound file (an encrypted
 * document, or an old .doc), a vbaProject part or a macroEnabled content
 * type (a .docm), and any part we read that holds a DOCTYPE. libxml2
 * parses without network, entity substitution or DTD loading. The walk is
 * depth-limited and counts what it makes (blocks, cells and bytes of
 * text), because nested controls and tables copy their text outwards.
 *
 * Elements are matched by local name in the WordprocessingML namespace,
 * transitional or ISO Strict. Content controls nested in a paragraph, a
 * table or another control are appended after the body, so that they do
 * not break the runs of paragraphs the label rules read.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "agencyreturn.h"
#include "forms.h"
#include "xmalloc.h"
#include "zip.h"

#define W_NS		"http://schemas.openxmlformats.org/wordprocessingml/" \
			"2006/main"
#define W_NS_STRICT	"http://purl.oclc.org/ooxml/wordprocessingml/main"
#define MC_NS		"http://schemas.openxmlformats.org/markup-" \
			"compatibility/2006"

#define DOCX_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | \
			XML_PARSE_NOWARNING)
#define DOCX_MAX_TEXT	(64 * 1024 * 1024)	/* bytes of text made */
#define DOCX_MAX_STYLES	10000
#define DOCX_MAX_CHAIN	16			/* basedOn links followed */
#define DOCX_MAX_KEY	64

#define DOCX_MAIN	"word/document.xml"
#define DOCX_DAMAGED	"the document is damaged (its text could not be read)"
#define DOCX_DOCTYPE	"the document contains a DOCTYPE declaration, " \
			"which we do not accept"

enum docx_over { DOCX_FITS, DOCX_TOO_MANY, DOCX_TOO_MUCH_TEXT };

struct buf {
	char	*s;
	size_t	 n;
	size_t	 cap;
};

struct docx_style {
	char		*id;
	int		 heading;	/* its name or id says Heading or Title */
	int		 bold;		/* -1: not said */
	const char	*based_on;	/* while loading: the basedOn id */
};

struct docx {
	struct ar_doc		*doc;
	size_t			 cap;
	struct ar_block		*later;	/* nested controls, for the end */
	size_t			 n_later;
	size_t			 later_cap;
	size_t			 units;	/* blocks and cells made */
	size_t			 text;	/* bytes of text made */
	enum docx_over		 over;
	struct docx_style	*styles;	/* sorted by id */
	size_t			 n_styles;
};

/* A paragraph being read. */
struct docx_para {
	struct buf	text;
	struct buf	boxes;		/* text boxes anchored in it */
	size_t		runs;		/* runs with text */
	size_t		bold;		/* of which bold */
	int		style_bold;
};

/* A table being read: rows of cells. */
struct docx_table {
	char		***cells;
	size_t		 *n_cols;
	size_t		  n_rows;
	size_t		  cap;
};

/* A content control's properties. */
struct docx_sdt {
	char	*key;		/* after "rr:" in the tag, or "[rr:KEY]" */
	char	*title;		/* the alias */
	int	 placeholder;	/* showing its placeholder text */
	xmlNode	*content;	/* w:sdtContent */
};

static void	docx_blocks(struct docx *, xmlNode *, struct buf *, int, int);
static void	docx_inline(struct docx *, xmlNode *, struct docx_para *,
		    int);
static void	docx_rows(struct docx *, xmlNode *, struct docx_table *, int);
static void	docx_cells(struct docx *, xmlNode *, struct docx_table *,
		    int);

/* --- text --- */

static void
docx_add(struct docx *dx, struct buf *b, const char *s, size_t n)
{
	if (dx->over != DOCX_FITS)
		return;
	if (n > DOCX_MAX_TEXT - dx->text) {
		dx->over = DOCX_TOO_MUCH_TEXT;
		return;
	}
	dx->text += n;
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

/* Add a line: after a newline when b already holds text. */
static void
docx_line(struct docx *dx, struct buf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (b->n > 0)
		docx_add(dx, b, "\n", 1);
	docx_add(dx, b, s, n);
}

/* The buffer's text, owned by the caller; b is emptied. */
static char *
docx_take(struct buf *b)
{
	char	*s = b->s != NULL ? b->s : xstrdup("");

	memset(b, 0, sizeof *b);
	return s;
}

/*
 * Text from a w:t: the no-break and fixed-width spaces (the five en
 * spaces of an empty legacy FORMTEXT field) become plain spaces.
 */
static void
docx_add_text(struct docx *dx, struct buf *b, const unsigned char *s)
{
	const unsigned char	*run = s;

	while (*s != '\0') {
		if (s[0] == 0xc2 && s[1] == 0xa0) {
			docx_add(dx, b, (const char *)run, (size_t)(s - run));
			docx_add(dx, b, " ", 1);
			s += 2;
			run = s;
		} else if (s[0] == 0xe2 && s[1] == 0x80 &&
		    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xaf)) {
			docx_add(dx, b, (const char *)run, (size_t)(s - run));
			docx_add(dx, b, " ", 1);
			s += 3;
			run = s;
		} else
			s++;
	}
	docx_add(dx, b, (const char *)run, (size_t)(s - run));
}

static int
docx_blank(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return 0;
	return 1;
}

/* --- XML --- */

static int
docx_is_w(const xmlNode *n)
{
	const char	*href;

	if (n->type != XML_ELEMENT_NODE || n->ns == NULL ||
	    n->ns->href == NULL)
		return 0;
	href = (const char *)n->ns->href;
	return strcmp(href, W_NS) == 0 || strcmp(href, W_NS_STRICT) == 0;
}

static int
docx_is(const xmlNode *n, const char *name)
{
	return docx_is_w(n) && strcmp((const char *)n->name, name) == 0;
}

static int
docx_is_mc(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    n->ns->href != NULL &&
	    strcmp((const char *)n->ns->href, MC_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
docx_child(const xmlNode *n, const char *name)
{
	xmlNode	*c;

	for (c = n->children; c != NULL; c = c->next)
		if (docx_is(c, name))
			return c;
	return NULL;
}

/* mc:AlternateContent: the first mc:Choice (Word writes the same
 * content again in mc:Fallback). */
static xmlNode *
docx_choice(const xmlNode *n)
{
	xmlNode	*c;

	for (c = n->children; c != NULL; c = c->next)
		if (docx_is_mc(c, "Choice"))
			return c;
	return NULL;
}

/* An attribute of a w: element (w:val, or val without a prefix). */
static const char *
docx_attr(const xmlNode *n, const char *name)
{
	const xmlAttr	*a;
	const char	*href;

	if (n == NULL)
		return NULL;
	for (a = n->properties; a != NULL; a = a->next) {
		if (strcmp((const char *)a->name, name) != 0)
			continue;
		if (a->ns != NULL) {
			href = (const char *)a->ns->href;
			if (href == NULL || (strcmp(href, W_NS) != 0 &&
			    strcmp(href, W_NS_STRICT) != 0))
				continue;
		}
		if (a->children == NULL)
			return "";
		if (a->children->type != XML_TEXT_NODE ||
		    a->children->next != NULL || a->children->content == NULL)
			return "";
		return (const char *)a->children->content;
	}
	return NULL;
}

/* w:b and the like: on unless w:val says 0, false or off. */
static int
docx_on(const xmlNode *n)
{
	const char	*v = docx_attr(n, "val");

	return v == NULL || !(strcmp(v, "0") == 0 ||
	    strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0 ||
	    strcasecmp(v, "none") == 0);
}

/* memmem, ignoring ASCII case. */
static int
docx_contains(const unsigned char *s, size_t n, const char *needle)
{
	size_t	m = strlen(needle), i;

	if (m == 0 || n < m)
		return m == 0;
	for (i = 0; i + m <= n; i++)
		if (strncasecmp((const char *)s + i, needle, m) == 0)
			return 1;
	return 0;
}

/*
 * "<!DOCTYPE" in any case; NUL bytes between the letters are skipped so
 * that a UTF-16 part is caught too.
 */
static int
docx_has_doctype(const unsigned char *s, size_t n)
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

static void
docx_silent(void *ctx, const char *fmt, ...)
{
}

/*
 * Parse an XML part: FORM_OK with *xml set, FORM_REFUSED for a DOCTYPE,
 * FORM_UNREADABLE when it is not well-formed.
 */
static enum form_result
docx_parse(const unsigned char *part, size_t len, xmlDoc **xml, char **why)
{
	xmlGenericErrorFunc	 old = xmlGenericError;
	void			*oldctx = xmlGenericErrorContext;
	xmlDoc			*doc;

	*xml = NULL;
	if (docx_has_doctype(part, len)) {
		*why = xstrdup(DOCX_DOCTYPE);
		return FORM_REFUSED;
	}
	if (len > INT_MAX) {
		*why = xstrdup("the document is too large");
		return FORM_REFUSED;
	}
	/* Nothing of the document on stderr, whatever libxml2 meets. */
	xmlSetGenericErrorFunc(NULL, docx_silent);
	doc = xmlReadMemory((const char *)part, (int)len, NULL, NULL,
	    DOCX_XML_OPTIONS);
	xmlSetGenericErrorFunc(oldctx, old);
	if (doc == NULL) {
		*why = xstrdup(DOCX_DAMAGED);
		return FORM_UNREADABLE;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		xmlFreeDoc(doc);
		*why = xstrdup(DOCX_DOCTYPE);
		return FORM_REFUSED;
	}
	*xml = doc;
	return FORM_OK;
}

/* --- blocks --- */

static int
docx_count(struct docx *dx)
{
	if (dx->over != DOCX_FITS)
		return -1;
	if (++dx->units > FORMS_MAX_BLOCKS) {
		dx->over = DOCX_TOO_MANY;
		return -1;
	}
	return 0;
}

static struct ar_block *
docx_new_block(struct docx *dx, int later)
{
	struct ar_block	**arr, *b;
	size_t		 *n, *cap;

	if (docx_count(dx) != 0)
		return NULL;
	if (later) {
		arr = &dx->later;
		n = &dx->n_later;
		cap = &dx->later_cap;
	} else {
		arr = &dx->doc->blocks;
		n = &dx->doc->n_blocks;
		cap = &dx->cap;
	}
	if (*n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		*arr = xreallocarray(*arr, *cap, sizeof **arr);
	}
	b = &(*arr)[(*n)++];
	memset(b, 0, sizeof *b);
	return b;
}

static void
docx_push_para(struct docx *dx, char *text, int emphasis)
{
	struct ar_block	*b;

	if ((b = docx_new_block(dx, 0)) == NULL) {
		free(text);
		return;
	}
	b->type = AR_BLOCK_PARA;
	b->text = text;
	b->emphasis = emphasis;
}

/* Takes key and title (the caller's struct docx_sdt lets them go). */
static void
docx_push_control(struct docx *dx, struct docx_sdt *s, char *text, int later)
{
	struct ar_block	*b;

	if ((b = docx_new_block(dx, later)) == NULL) {
		free(text);
		return;
	}
	b->type = AR_BLOCK_CONTROL;
	b->text = text;
	b->key = s->key;
	b->title = s->title;
	s->key = s->title = NULL;
}

static void
docx_table_free(struct docx_table *t)
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

static void
docx_push_table(struct docx *dx, struct docx_table *t)
{
	struct ar_block	*b;

	if ((b = docx_new_block(dx, 0)) == NULL) {
		docx_table_free(t);
		return;
	}
	b->type = AR_BLOCK_TABLE;
	b->cells = t->cells;
	b->n_cols = t->n_cols;
	b->n_rows = t->n_rows;
	memset(t, 0, sizeof *t);
}

static void
docx_table_row(struct docx_table *t)
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

/* Add a cell to the last row (takes text). */
static void
docx_table_cell(struct docx *dx, struct docx_table *t, char *text)
{
	size_t	r, n;

	if (docx_count(dx) != 0) {
		free(text);
		return;
	}
	if (t->n_rows == 0)
		docx_table_row(t);
	r = t->n_rows - 1;
	n = t->n_cols[r];
	/* Room doubles at each power of two. */
	if (n == 0 || (n & (n - 1)) == 0)
		t->cells[r] = xreallocarray(t->cells[r], n == 0 ? 1 : n * 2,
		    sizeof *t->cells[r]);
	t->cells[r][n] = text;
	t->n_cols[r] = n + 1;
}

/* A table's text, a line for each cell that has some. */
static void
docx_table_text(struct docx *dx, const struct docx_table *t, size_t r0,
    size_t c0, struct buf *b)
{
	size_t	r, c;

	for (r = r0; r < t->n_rows; r++)
		for (c = r == r0 ? c0 : 0; c < t->n_cols[r]; c++)
			docx_line(dx, b, t->cells[r][c],
			    strlen(t->cells[r][c]));
}

/* Empty the cells from (r0, c0) on: a control showing its placeholder. */
static void
docx_table_blank(struct docx_table *t, size_t r0, size_t c0)
{
	size_t	r, c;

	for (r = r0; r < t->n_rows; r++)
		for (c = r == r0 ? c0 : 0; c < t->n_cols[r]; c++)
			t->cells[r][c][0] = '\0';
}

/* --- styles --- */

static int
docx_style_cmp(const void *a, const void *b)
{
	return strcmp(((const struct docx_style *)a)->id,
	    ((const struct docx_style *)b)->id);
}

static const struct docx_style *
docx_style(const struct docx *dx, const char *id)
{
	struct docx_style	key;

	if (id == NULL || dx->n_styles == 0)
		return NULL;
	key.id = (char *)(uintptr_t)id;
	return bsearch(&key, dx->styles, dx->n_styles, sizeof key,
	    docx_style_cmp);
}

static int
docx_heading_name(const char *s)
{
	return s != NULL && (strcasestr(s, "heading") != NULL ||
	    strcasestr(s, "title") != NULL);
}

/* The w:style elements of styles.xml, basedOn chains followed. */
static void
docx_load_styles(struct docx *dx, xmlDoc *xml)
{
	struct docx_style	*st = NULL, *s;
	const struct docx_style	*base;
	xmlNode			*root, *n, *rpr, *b;
	const char		*id, *on;
	size_t			 n_st = 0, cap = 0, i, hop;

	if ((root = xmlDocGetRootElement(xml)) == NULL ||
	    !docx_is(root, "styles"))
		return;
	for (n = root->children; n != NULL; n = n->next) {
		if (!docx_is(n, "style") || n_st == DOCX_MAX_STYLES ||
		    (id = docx_attr(n, "styleId")) == NULL)
			continue;
		if (n_st == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			st = xreallocarray(st, cap, sizeof *st);
		}
		s = &st[n_st++];
		s->id = xstrdup(id);
		s->heading = docx_heading_name(id) ||
		    docx_heading_name(docx_attr(docx_child(n, "name"), "val"));
		s->bold = -1;
		if ((rpr = docx_child(n, "rPr")) != NULL &&
		    (b = docx_child(rpr, "b")) != NULL)
			s->bold = docx_on(b);
		s->based_on = docx_attr(docx_child(n, "basedOn"), "val");
	}
	if (n_st == 0)
		return;
	qsort(st, n_st, sizeof *st, docx_style_cmp);
	dx->styles = st;
	dx->n_styles = n_st;
	/* What a style does not say itself, it has from its bases. */
	for (i = 0; i < n_st; i++) {
		s = &st[i];
		on = s->based_on;
		for (hop = 0; hop < DOCX_MAX_CHAIN && on != NULL; hop++) {
			if ((base = docx_style(dx, on)) == NULL)
				break;
			if (base->heading)
				s->heading = 1;
			if (s->bold == -1)
				s->bold = base->bold;
			on = base->based_on;
		}
	}
	for (i = 0; i < n_st; i++)
		st[i].based_on = NULL;	/* borrowed from the tree */
}

static void
docx_free_styles(struct docx *dx)
{
	size_t	i;

	for (i = 0; i < dx->n_styles; i++)
		free(dx->styles[i].id);
	free(dx->styles);
	dx->styles = NULL;
	dx->n_styles = 0;
}

/* --- content controls --- */

/* The key in "[rr:KEY]", or NULL. */
static char *
docx_bracket_key(const char *s)
{
	const char	*p, *e;

	if (s == NULL || (p = strcasestr(s, "[rr:")) == NULL)
		return NULL;
	p += 4;
	if ((e = strchr(p, ']')) == NULL || e == p || e - p > DOCX_MAX_KEY)
		return NULL;
	return xstrndup(p, (size_t)(e - p));
}

static void
docx_sdt_info(const xmlNode *sdt, struct docx_sdt *s)
{
	const xmlNode	*pr;
	const char	*tag, *alias;

	memset(s, 0, sizeof *s);
	s->content = docx_child(sdt, "sdtContent");
	if ((pr = docx_child(sdt, "sdtPr")) == NULL)
		return;
	tag = docx_attr(docx_child(pr, "tag"), "val");
	alias = docx_attr(docx_child(pr, "alias"), "val");
	if (tag != NULL && strncasecmp(tag, "rr:", 3) == 0 && tag[3] != '\0' &&
	    strlen(tag + 3) <= DOCX_MAX_KEY)
		s->key = xstrdup(tag + 3);
	else
		s->key = docx_bracket_key(alias);
	if (alias != NULL && *alias != '\0')
		s->title = xstrdup(alias);
	s->placeholder = docx_child(pr, "showingPlcHdr") != NULL &&
	    docx_on(docx_child(pr, "showingPlcHdr"));
}

static void
docx_sdt_free(struct docx_sdt *s)
{
	free(s->key);
	free(s->title);
}

/* --- the walk --- */

/* Text boxes anchored in a run: their paragraphs, as lines. */
static void
docx_boxes(struct docx *dx, xmlNode *parent, struct docx_para *pp, int depth)
{
	xmlNode	*n, *c;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || docx_is_mc(n, "Fallback"))
			continue;
		if (docx_is_mc(n, "AlternateContent")) {
			if ((c = docx_choice(n)) != NULL)
				docx_boxes(dx, c, pp, depth + 1);
			continue;
		}
		if (docx_is(n, "txbxContent"))
			docx_blocks(dx, n, &pp->boxes, 0, depth + 1);
		else
			docx_boxes(dx, n, pp, depth + 1);
	}
}

static void
docx_run(struct docx *dx, xmlNode *r, struct docx_para *pp, int depth)
{
	const struct docx_style	*st;
	xmlNode			*n, *t, *rpr;
	size_t			 mark = pp->text.n;
	int			 bold = pp->style_bold;

	if ((rpr = docx_child(r, "rPr")) != NULL) {
		st = docx_style(dx, docx_attr(docx_child(rpr, "rStyle"),
		    "val"));
		if (st != NULL && st->bold != -1)
			bold = st->bold;
		if ((n = docx_child(rpr, "b")) != NULL)
			bold = docx_on(n);
	}
	for (n = r->children; n != NULL; n = n->next) {
		if (docx_is(n, "t")) {
			for (t = n->children; t != NULL; t = t->next)
				if ((t->type == XML_TEXT_NODE ||
				    t->type == XML_CDATA_SECTION_NODE) &&
				    t->content != NULL)
					docx_add_text(dx, &pp->text,
					    t->content);
		} else if (docx_is(n, "tab") || docx_is(n, "ptab"))
			docx_add(dx, &pp->text, "\t", 1);
		else if (docx_is(n, "br") || docx_is(n, "cr"))
			docx_add(dx, &pp->text, "\n", 1);
		else if (docx_is(n, "noBreakHyphen"))
			docx_add(dx, &pp->text, "-", 1);
		else if (docx_is(n, "drawing") || docx_is(n, "pict") ||
		    docx_is(n, "object") || docx_is_mc(n, "AlternateContent"))
			docx_boxes(dx, n, pp, depth + 1);
		/* w:delText (deleted) and w:instrText (a field's code) are
		 * not text; a field's result is in the runs that follow. */
	}
	if (pp->text.n > mark &&
	    !docx_blank(pp->text.s + mark, pp->text.n - mark)) {
		pp->runs++;
		if (bold)
			pp->bold++;
	}
}

/* A content control inside a paragraph. */
static void
docx_inline_sdt(struct docx *dx, xmlNode *n, struct docx_para *pp, int depth)
{
	struct docx_sdt		s;
	struct docx_para	sub;

	docx_sdt_info(n, &s);
	if (s.content == NULL)
		goto done;
	if (s.placeholder) {
		if (s.key != NULL)
			docx_push_control(dx, &s, xstrdup(""), 1);
		goto done;
	}
	if (s.key == NULL) {
		docx_inline(dx, s.content, pp, depth + 1);
		goto done;
	}
	memset(&sub, 0, sizeof sub);
	sub.style_bold = pp->style_bold;
	docx_inline(dx, s.content, &sub, depth + 1);
	if (sub.text.n > 0)
		docx_add(dx, &pp->text, sub.text.s, sub.text.n);
	if (sub.boxes.n > 0)
		docx_line(dx, &pp->boxes, sub.boxes.s, sub.boxes.n);
	pp->runs += sub.runs;
	pp->bold += sub.bold;
	free(sub.boxes.s);
	docx_push_control(dx, &s, docx_take(&sub.text), 1);
done:
	docx_sdt_free(&s);
}

static void
docx_inline(struct docx *dx, xmlNode *parent, struct docx_para *pp,
    int depth)
{
	static const char *const containers[] = { "hyperlink", "ins",
	    "moveTo", "smartTag", "customXml", "fldSimple", "dir", "bdo",
	    "sdtContent", NULL };
	xmlNode			*n, *c;
	size_t			 i;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && dx->over == DOCX_FITS;
	    n = n->next) {
		if (docx_is_mc(n, "AlternateContent")) {
			if ((c = docx_choice(n)) != NULL)
				docx_inline(dx, c, pp, depth + 1);
			continue;
		}
		if (!docx_is_w(n))
			continue;
		if (docx_is(n, "r")) {
			docx_run(dx, n, pp, depth + 1);
			continue;
		}
		if (docx_is(n, "sdt")) {
			docx_inline_sdt(dx, n, pp, depth + 1);
			continue;
		}
		for (i = 0; containers[i] != NULL; i++)
			if (strcmp((const char *)n->name, containers[i]) == 0)
				break;
		if (containers[i] != NULL)
			docx_inline(dx, n, pp, depth + 1);
		/* w:del and w:moveFrom hold text that was taken out. */
	}
}

static void
docx_para(struct docx *dx, xmlNode *p, struct buf *collect, int depth)
{
	const struct docx_style	*st = NULL;
	struct docx_para	 pp;
	xmlNode			*ppr;
	int			 emphasis;

	memset(&pp, 0, sizeof pp);
	if ((ppr = docx_child(p, "pPr")) != NULL)
		st = docx_style(dx, docx_attr(docx_child(ppr, "pStyle"),
		    "val"));
	if (st != NULL && st->bold == 1)
		pp.style_bold = 1;
	docx_inline(dx, p, &pp, depth + 1);
	emphasis = (st != NULL && st->heading) ||
	    (pp.runs > 0 && pp.bold == pp.runs);
	if (pp.boxes.n > 0)
		docx_line(dx, &pp.text, pp.boxes.s, pp.boxes.n);
	free(pp.boxes.s);
	if (collect != NULL) {
		docx_line(dx, collect, pp.text.s, pp.text.n);
		free(pp.text.s);
	} else
		docx_push_para(dx, docx_take(&pp.text), emphasis);
}

/*
 * LibreOffice 7.4, saving DOCX, keeps only the first paragraph of a
 * multi-paragraph answer inside its control and writes the rest after it
 * in the same cell. So a cell that holds one keyed control, at its start,
 * gives the control the whole cell's text.
 */
static void
docx_cell_control(struct docx *dx, size_t first, const struct buf *cell)
{
	struct ar_block	*b;
	size_t		 n;

	if (dx->n_later != first + 1 || cell->s == NULL)
		return;
	b = &dx->later[first];
	if (b->type != AR_BLOCK_CONTROL || b->key == NULL || b->text == NULL)
		return;
	n = strlen(b->text);
	if (n == 0 || cell->n <= n || strncmp(cell->s, b->text, n) != 0 ||
	    cell->s[n] != '\n')
		return;
	free(b->text);
	b->text = xstrndup(cell->s, cell->n);
}

static void
docx_cell(struct docx *dx, xmlNode *tc, struct docx_table *t, int depth)
{
	struct buf	 cell = { NULL, 0, 0 };
	xmlNode		*pr, *vm;
	const char	*v;
	size_t		 first;
	int		 continued = 0;

	if ((pr = docx_child(tc, "tcPr")) != NULL &&
	    (vm = docx_child(pr, "vMerge")) != NULL)
		continued = (v = docx_attr(vm, "val")) == NULL ||
		    strcmp(v, "restart") != 0;
	/* The cell a vertical merge continues shows nothing of its own. */
	if (!continued) {
		first = dx->n_later;
		docx_blocks(dx, tc, &cell, 0, depth + 1);
		docx_cell_control(dx, first, &cell);
	}
	docx_table_cell(dx, t, docx_take(&cell));
}

/* Cells, or content controls and custom XML wrapping cells. */
static void
docx_cells(struct docx *dx, xmlNode *parent, struct docx_table *t, int depth)
{
	struct docx_sdt	 s;
	struct buf	 text;
	xmlNode		*n, *c;
	size_t		 r, c0;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && dx->over == DOCX_FITS;
	    n = n->next) {
		if (docx_is_mc(n, "AlternateContent")) {
			if ((c = docx_choice(n)) != NULL)
				docx_cells(dx, c, t, depth + 1);
		} else if (docx_is(n, "tc"))
			docx_cell(dx, n, t, depth + 1);
		else if (docx_is(n, "customXml"))
			docx_cells(dx, n, t, depth + 1);
		else if (docx_is(n, "sdt")) {
			docx_sdt_info(n, &s);
			if (s.content != NULL) {
				if (t->n_rows == 0)
					docx_table_row(t);
				r = t->n_rows - 1;
				c0 = t->n_cols[r];
				docx_cells(dx, s.content, t, depth + 1);
				if (s.placeholder)
					docx_table_blank(t, r, c0);
				if (s.key != NULL) {
					memset(&text, 0, sizeof text);
					docx_table_text(dx, t, r, c0, &text);
					docx_push_control(dx, &s,
					    docx_take(&text), 1);
				}
			}
			docx_sdt_free(&s);
		}
	}
}

/* Rows, or content controls and custom XML wrapping rows. */
static void
docx_rows(struct docx *dx, xmlNode *parent, struct docx_table *t, int depth)
{
	struct docx_sdt	 s;
	struct buf	 text;
	xmlNode		*n, *c;
	size_t		 r0;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && dx->over == DOCX_FITS;
	    n = n->next) {
		if (docx_is_mc(n, "AlternateContent")) {
			if ((c = docx_choice(n)) != NULL)
				docx_rows(dx, c, t, depth + 1);
		} else if (docx_is(n, "tr")) {
			docx_table_row(t);
			docx_cells(dx, n, t, depth + 1);
		} else if (docx_is(n, "customXml"))
			docx_rows(dx, n, t, depth + 1);
		else if (docx_is(n, "sdt")) {
			docx_sdt_info(n, &s);
			if (s.content != NULL) {
				r0 = t->n_rows;
				docx_rows(dx, s.content, t, depth + 1);
				if (s.placeholder)
					docx_table_blank(t, r0, 0);
				if (s.key != NULL) {
					memset(&text, 0, sizeof text);
					docx_table_text(dx, t, r0, 0, &text);
					docx_push_control(dx, &s,
					    docx_take(&text), 1);
				}
			}
			docx_sdt_free(&s);
		}
	}
}

/* A content control at block level: in the body, a cell or a control. */
static void
docx_block_sdt(struct docx *dx, xmlNode *n, struct buf *collect,
    int emit_tables, int depth)
{
	struct docx_sdt	s;
	struct buf	text = { NULL, 0, 0 };

	docx_sdt_info(n, &s);
	if (s.content == NULL)
		goto done;
	if (s.placeholder) {
		if (s.key != NULL)
			docx_push_control(dx, &s, xstrdup(""),
			    collect != NULL);
		goto done;
	}
	if (s.key == NULL) {
		docx_blocks(dx, s.content, collect, emit_tables, depth + 1);
		goto done;
	}
	/* Its text; a table in a control in the body is a table too. */
	docx_blocks(dx, s.content, &text, collect == NULL ? 1 : emit_tables,
	    depth + 1);
	if (collect != NULL)
		docx_line(dx, collect, text.s, text.n);
	docx_push_control(dx, &s, docx_take(&text), collect != NULL);
done:
	docx_sdt_free(&s);
}

/*
 * Paragraphs, tables and content controls under parent. In the body
 * (collect NULL) each becomes a block; in a cell or a control their text
 * goes to collect as lines, tables flattened (and, with emit_tables, kept
 * as blocks too).
 */
static void
docx_blocks(struct docx *dx, xmlNode *parent, struct buf *collect,
    int emit_tables, int depth)
{
	static const char *const containers[] = { "customXml", "ins",
	    "moveTo", "smartTag", "sdtContent", "dir", "bdo", NULL };
	struct docx_table	 t;
	xmlNode			*n, *c;
	size_t			 i;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && dx->over == DOCX_FITS;
	    n = n->next) {
		if (docx_is_mc(n, "AlternateContent")) {
			if ((c = docx_choice(n)) != NULL)
				docx_blocks(dx, c, collect, emit_tables,
				    depth + 1);
			continue;
		}
		if (!docx_is_w(n))
			continue;
		if (docx_is(n, "p"))
			docx_para(dx, n, collect, depth + 1);
		else if (docx_is(n, "tbl")) {
			memset(&t, 0, sizeof t);
			docx_rows(dx, n, &t, depth + 1);
			if (collect != NULL)
				docx_table_text(dx, &t, 0, 0, collect);
			if (collect == NULL || emit_tables)
				docx_push_table(dx, &t);
			else
				docx_table_free(&t);
		} else if (docx_is(n, "sdt"))
			docx_block_sdt(dx, n, collect, emit_tables, depth + 1);
		else {
			for (i = 0; containers[i] != NULL; i++)
				if (strcmp((const char *)n->name,
				    containers[i]) == 0)
					break;
			if (containers[i] != NULL)
				docx_blocks(dx, n, collect, emit_tables,
				    depth + 1);
		}
	}
}

/* --- the document --- */

static enum form_result
docx_zip_result(enum zip_error e)
{
	return e == ZIP_ELIMIT || e == ZIP_EENCRYPTED ? FORM_REFUSED :
	    FORM_UNREADABLE;
}

/* The main part named in [Content_Types].xml, when not word/document.xml. */
static char *
docx_main_part(const unsigned char *types, size_t len)
{
	xmlDoc		*xml;
	xmlNode		*root, *n;
	const char	*ct, *name;
	char		*why = NULL, *found = NULL;
	xmlAttr		*a;

	if (docx_parse(types, len, &xml, &why) != FORM_OK) {
		free(why);
		return NULL;
	}
	if ((root = xmlDocGetRootElement(xml)) == NULL)
		goto done;
	for (n = root->children; n != NULL && found == NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)n->name, "Override") != 0)
			continue;
		ct = name = NULL;
		for (a = n->properties; a != NULL; a = a->next) {
			if (a->children == NULL ||
			    a->children->type != XML_TEXT_NODE)
				continue;
			if (strcmp((const char *)a->name, "ContentType") == 0)
				ct = (const char *)a->children->content;
			else if (strcmp((const char *)a->name, "PartName") == 0)
				name = (const char *)a->children->content;
		}
		if (ct == NULL || name == NULL)
			continue;
		if (strstr(ct, "wordprocessingml.document.main+xml") != NULL ||
		    strstr(ct, "wordprocessingml.template.main+xml") != NULL)
			found = xstrdup(name[0] == '/' ? name + 1 : name);
	}
done:
	xmlFreeDoc(xml);
	return found;
}

/* Refuse a file that is not a plain .docx before opening it. */
static enum form_result
docx_check_container(const unsigned char *p, size_t len, char **why)
{
	static const unsigned char	ole[] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1,
					    0xb1, 0x1a, 0xe1 };
	static const char		encrypted[] = "E\0n\0c\0r\0y\0p\0t\0e\0"
					    "d\0P\0a\0c\0k\0a\0g\0e\0";
	size_t				i;

	if (len < sizeof ole || memcmp(p, ole, sizeof ole) != 0)
		return FORM_OK;
	/* An OLE file holding an EncryptedPackage stream is an encrypted
	 * .docx; any other is a Word 97 .doc or the like. */
	for (i = 0; i + sizeof encrypted - 1 <= len; i++)
		if (memcmp(p + i, encrypted, sizeof encrypted - 1) == 0) {
			*why = xstrdup("the document is password-protected "
			    "(encrypted)");
			return FORM_REFUSED;
		}
	*why = xstrdup("the document is an old-style Word file (.doc) or "
	    "another OLE file, not a .docx");
	return FORM_REFUSED;
}

enum form_result
docx_read_doc(const void *data, size_t len, const struct zip_limits *lim,
    struct ar_doc *out, char **cause)
{
	struct docx		 dx;
	struct zip		*z = NULL;
	const struct zip_entry	*e;
	xmlDoc			*xml = NULL, *sxml = NULL;
	xmlNode			*root, *body;
	unsigned char		*part = NULL;
	size_t			 plen, i, slash;
	enum zip_error		 ze;
	enum form_result	 res;
	char			*why = NULL, *main_name = NULL, *sname = NULL;
	const char		*name;

	memset(out, 0, sizeof *out);
	memset(&dx, 0, sizeof dx);
	dx.doc = out;

	if ((res = docx_check_container(data, len, &why)) != FORM_OK)
		goto fail;
	if ((ze = zip_open(data, len, lim, &z, &why)) != ZIP_OK) {
		res = docx_zip_result(ze);
		goto fail;
	}
	for (i = 0; i < zip_count(z); i++) {
		e = zip_entry_at(z, i);
		if (strcasestr(e->name, "vbaproject") != NULL &&
		    strlen(e->name) >= 4 &&
		    strcasecmp(e->name + strlen(e->name) - 4, ".bin") == 0)
			goto macro;
	}
	if ((ze = zip_read(z, "[Content_Types].xml", &part, &plen, &why)) ==
	    ZIP_OK) {
		if (docx_contains(part, plen, "macroEnabled"))
			goto macro;
		if (docx_has_doctype(part, plen)) {
			why = xstrdup(DOCX_DOCTYPE);
			res = FORM_REFUSED;
			goto fail;
		}
		if (zip_find(z, DOCX_MAIN) == NULL)
			main_name = docx_main_part(part, plen);
		free(part);
		part = NULL;
	} else if (ze != ZIP_ENOENT) {
		res = docx_zip_result(ze);
		goto fail;
	} else {
		free(why);
		why = NULL;
	}

	name = main_name != NULL ? main_name : DOCX_MAIN;
	if ((ze = zip_read(z, name, &part, &plen, &why)) != ZIP_OK) {
		res = docx_zip_result(ze);
		if (ze == ZIP_ENOENT) {
			free(why);
			why = xstrdup("the document is not a Word document "
			    "(it has no word/document.xml)");
		}
		goto fail;
	}
	if ((res = docx_parse(part, plen, &xml, &why)) != FORM_OK)
		goto fail;
	free(part);
	part = NULL;
	root = xmlDocGetRootElement(xml);
	if (root == NULL || !docx_is(root, "document")) {
		why = xstrdup("the document is not a Word document");
		res = FORM_UNREADABLE;
		goto fail;
	}

	/* Styles say which paragraphs are headings or bold; optional. */
	slash = strrchr(name, '/') != NULL ?
	    (size_t)(strrchr(name, '/') - name) + 1 : 0;
	xasprintf(&sname, "%.*sstyles.xml", (int)slash, name);
	ze = zip_read(z, sname, &part, &plen, &why);
	if (ze == ZIP_ELIMIT || ze == ZIP_EENCRYPTED) {
		res = FORM_REFUSED;
		goto fail;
	}
	free(why);
	why = NULL;
	if (ze == ZIP_OK) {
		res = docx_parse(part, plen, &sxml, &why);
		if (res == FORM_REFUSED)
			goto fail;
		free(why);
		why = NULL;
		if (sxml != NULL)
			docx_load_styles(&dx, sxml);
		xmlFreeDoc(sxml);
		sxml = NULL;
		free(part);
		part = NULL;
	}

	if ((body = docx_child(root, "body")) != NULL)
		docx_blocks(&dx, body, NULL, 0, 1);
	if (dx.over != DOCX_FITS) {
		if (dx.over == DOCX_TOO_MANY)
			xasprintf(&why, "the document has more than %d "
			    "paragraphs, tables and table cells",
			    FORMS_MAX_BLOCKS);
		else
			why = xstrdup("the document holds more text than we "
			    "read (64 MB)");
		res = FORM_REFUSED;
		goto fail;
	}
	/* The nested controls, after the body. */
	for (i = 0; i < dx.n_later; i++) {
		if (out->n_blocks == dx.cap) {
			dx.cap = dx.cap == 0 ? 64 : dx.cap * 2;
			out->blocks = xreallocarray(out->blocks, dx.cap,
			    sizeof *out->blocks);
		}
		out->blocks[out->n_blocks++] = dx.later[i];
	}
	free(dx.later);
	docx_free_styles(&dx);
	xmlFreeDoc(xml);
	free(sname);
	free(main_name);
	zip_close(z);
	if (cause != NULL)
		*cause = NULL;
	return FORM_OK;

macro:
	why = xstrdup("the document is a macro-enabled document (.docm), "
	    "which we do not open");
	res = FORM_REFUSED;
fail:
	{
		struct ar_doc	later = { dx.later, dx.n_later };

		ar_doc_free(&later);
	}
	ar_doc_free(out);
	docx_free_styles(&dx);
	xmlFreeDoc(xml);
	xmlFreeDoc(sxml);
	free(part);
	free(sname);
	free(main_name);
	zip_close(z);
	if (why == NULL)
		why = xstrdup(DOCX_DAMAGED);
	if (cause != NULL)
		*cause = why;
	else
		free(why);
	return res;
}

enum form_result
docx_read(const void *data, size_t len, const struct zip_limits *lim,
    struct agency_return **out, char **cause)
{
	struct ar_doc		doc;
	enum form_result	res;

	*out = NULL;
	if ((res = docx_read_doc(data, len, lim, &doc, cause)) != FORM_OK)
		return res;
	*out = ar_new(AR_SOURCE_DOCX);
	ar_from_doc(&doc, *out);
	ar_finish(*out);
	ar_doc_free(&doc);
	return FORM_OK;
}
