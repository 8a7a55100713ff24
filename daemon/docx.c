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
 * text), because nested controls and tables copy their text outwards:
 * the parse and the counting builder are formxml.c's.
 *
 * Elements are matched by local name in the WordprocessingML namespace,
 * transitional or ISO Strict. Content controls nested in a paragraph, a
 * table or another control are appended after the body, so that they do
 * not break the runs of paragraphs the label rules read.
 */
#include <stdint.h>
#include <stdio.h>
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

#define W_NS		"http://schemas.openxmlformats.org/wordprocessingml/" \
			"2006/main"
#define W_NS_STRICT	"http://purl.oclc.org/ooxml/wordprocessingml/main"
#define MC_NS		"http://schemas.openxmlformats.org/markup-" \
			"compatibility/2006"

#define DOCX_MAX_STYLES	10000
#define DOCX_MAX_CHAIN	16			/* basedOn links followed */

#define DOCX_MAIN	"word/document.xml"

struct docx_style {
	char		*id;
	int		 heading;	/* its name or id says Heading or Title */
	int		 bold;		/* -1: not said */
	const char	*based_on;	/* while loading: the basedOn id */
};

struct docx {
	struct formxml		 fx;
	struct docx_style	*styles;	/* sorted by id */
	size_t			 n_styles;
};

/* A paragraph being read. */
struct docx_para {
	struct formxml_buf	text;
	struct formxml_buf	boxes;	/* text boxes anchored in it */
	size_t			runs;	/* runs with text */
	size_t			bold;	/* of which bold */
	int			style_bold;
};

/* A content control's properties. */
struct docx_sdt {
	char	*key;		/* after "rr:" in the tag, or "[rr:KEY]" */
	char	*title;		/* the alias */
	int	 placeholder;	/* showing its placeholder text */
	xmlNode	*content;	/* w:sdtContent */
};

static void	docx_blocks(struct docx *, xmlNode *, struct formxml_buf *,
		    int, int);
static void	docx_inline(struct docx *, xmlNode *, struct docx_para *,
		    int);
static void	docx_rows(struct docx *, xmlNode *, struct formxml_table *,
		    int);
static void	docx_cells(struct docx *, xmlNode *, struct formxml_table *,
		    int);

/* --- text --- */

/*
 * Text from a w:t: the no-break and fixed-width spaces (the five en
 * spaces of an empty legacy FORMTEXT field) become plain spaces.
 */
static void
docx_add_text(struct formxml *fx, struct formxml_buf *b,
    const unsigned char *s)
{
	const unsigned char	*run = s;

	while (*s != '\0') {
		if (s[0] == 0xc2 && s[1] == 0xa0) {
			formxml_add(fx, b, (const char *)run,
			    (size_t)(s - run));
			formxml_add(fx, b, " ", 1);
			s += 2;
			run = s;
		} else if (s[0] == 0xe2 && s[1] == 0x80 &&
		    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xaf)) {
			formxml_add(fx, b, (const char *)run,
			    (size_t)(s - run));
			formxml_add(fx, b, " ", 1);
			s += 3;
			run = s;
		} else
			s++;
	}
	formxml_add(fx, b, (const char *)run, (size_t)(s - run));
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
		s->heading = formxml_heading_name(id) ||
		    formxml_heading_name(docx_attr(docx_child(n, "name"),
		    "val"));
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
	s->key = formxml_key(tag, alias);
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

/* Takes key and title (the caller's struct docx_sdt lets them go). */
static void
docx_push_control(struct docx *dx, struct docx_sdt *s, char *text, int later)
{
	formxml_push_control(&dx->fx, s->key, s->title, text, later);
	s->key = s->title = NULL;
}

/* Empty the cells from (r0, c0) on: a control showing its placeholder. */
static void
docx_table_blank(struct formxml_table *t, size_t r0, size_t c0)
{
	size_t	r, c;

	for (r = r0; r < t->n_rows; r++)
		for (c = r == r0 ? c0 : 0; c < t->n_cols[r]; c++)
			t->cells[r][c][0] = '\0';
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
					docx_add_text(&dx->fx, &pp->text,
					    t->content);
		} else if (docx_is(n, "tab") || docx_is(n, "ptab"))
			formxml_add(&dx->fx, &pp->text, "\t", 1);
		else if (docx_is(n, "br") || docx_is(n, "cr"))
			formxml_add(&dx->fx, &pp->text, "\n", 1);
		else if (docx_is(n, "noBreakHyphen"))
			formxml_add(&dx->fx, &pp->text, "-", 1);
		else if (docx_is(n, "drawing") || docx_is(n, "pict") ||
		    docx_is(n, "object") || docx_is_mc(n, "AlternateContent"))
			docx_boxes(dx, n, pp, depth + 1);
		/* w:delText (deleted) and w:instrText (a field's code) are
		 * not text; a field's result is in the runs that follow. */
	}
	if (pp->text.n > mark &&
	    !formxml_blank(pp->text.s + mark, pp->text.n - mark)) {
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
		formxml_add(&dx->fx, &pp->text, sub.text.s, sub.text.n);
	if (sub.boxes.n > 0)
		formxml_line(&dx->fx, &pp->boxes, sub.boxes.s, sub.boxes.n);
	pp->runs += sub.runs;
	pp->bold += sub.bold;
	free(sub.boxes.s);
	docx_push_control(dx, &s, formxml_take(&sub.text), 1);
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
	for (n = parent->children; n != NULL && dx->fx.over == FORMXML_FITS;
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
docx_para(struct docx *dx, xmlNode *p, struct formxml_buf *collect, int depth)
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
	formxml_end_para(&dx->fx, &pp.text, &pp.boxes, collect, emphasis);
}

/*
 * LibreOffice 7.4, saving DOCX, keeps only the first paragraph of a
 * multi-paragraph answer inside its control and writes the rest after it
 * in the same cell. So a cell that holds one keyed control, at its start,
 * gives the control the whole cell's text.
 */
static void
docx_cell_control(struct docx *dx, size_t first, const struct formxml_buf *cell)
{
	struct ar_block	*b;
	size_t		 n;

	if (dx->fx.n_later != first + 1 || cell->s == NULL)
		return;
	b = &dx->fx.later[first];
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
docx_cell(struct docx *dx, xmlNode *tc, struct formxml_table *t, int depth)
{
	struct formxml_buf	 cell = { NULL, 0, 0 };
	xmlNode			*pr, *vm;
	const char		*v;
	size_t			 first;
	int			 continued = 0;

	if ((pr = docx_child(tc, "tcPr")) != NULL &&
	    (vm = docx_child(pr, "vMerge")) != NULL)
		continued = (v = docx_attr(vm, "val")) == NULL ||
		    strcmp(v, "restart") != 0;
	/* The cell a vertical merge continues shows nothing of its own. */
	if (!continued) {
		first = dx->fx.n_later;
		docx_blocks(dx, tc, &cell, 0, depth + 1);
		docx_cell_control(dx, first, &cell);
	}
	formxml_table_cell(&dx->fx, t, formxml_take(&cell));
}

/* Cells, or content controls and custom XML wrapping cells. */
static void
docx_cells(struct docx *dx, xmlNode *parent, struct formxml_table *t, int depth)
{
	struct docx_sdt		 s;
	struct formxml_buf	 text;
	xmlNode			*n, *c;
	size_t			 r, c0;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && dx->fx.over == FORMXML_FITS;
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
					formxml_table_row(t);
				r = t->n_rows - 1;
				c0 = t->n_cols[r];
				docx_cells(dx, s.content, t, depth + 1);
				if (s.placeholder)
					docx_table_blank(t, r, c0);
				if (s.key != NULL) {
					memset(&text, 0, sizeof text);
					formxml_table_text(&dx->fx, t, r, c0,
					    &text);
					docx_push_control(dx, &s,
					    formxml_take(&text), 1);
				}
			}
			docx_sdt_free(&s);
		}
	}
}

/* Rows, or content controls and custom XML wrapping rows. */
static void
docx_rows(struct docx *dx, xmlNode *parent, struct formxml_table *t, int depth)
{
	struct docx_sdt		 s;
	struct formxml_buf	 text;
	xmlNode			*n, *c;
	size_t			 r0;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && dx->fx.over == FORMXML_FITS;
	    n = n->next) {
		if (docx_is_mc(n, "AlternateContent")) {
			if ((c = docx_choice(n)) != NULL)
				docx_rows(dx, c, t, depth + 1);
		} else if (docx_is(n, "tr")) {
			formxml_table_row(t);
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
					formxml_table_text(&dx->fx, t, r0, 0,
					    &text);
					docx_push_control(dx, &s,
					    formxml_take(&text), 1);
				}
			}
			docx_sdt_free(&s);
		}
	}
}

/* A content control at block level: in the body, a cell or a control. */
static void
docx_block_sdt(struct docx *dx, xmlNode *n, struct formxml_buf *collect,
    int emit_tables, int depth)
{
	struct docx_sdt		s;
	struct formxml_buf	text = { NULL, 0, 0 };

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
		formxml_line(&dx->fx, collect, text.s, text.n);
	docx_push_control(dx, &s, formxml_take(&text), collect != NULL);
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
docx_blocks(struct docx *dx, xmlNode *parent, struct formxml_buf *collect,
    int emit_tables, int depth)
{
	static const char *const containers[] = { "customXml", "ins",
	    "moveTo", "smartTag", "sdtContent", "dir", "bdo", NULL };
	struct formxml_table	 t;
	xmlNode			*n, *c;
	size_t			 i;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && dx->fx.over == FORMXML_FITS;
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
				formxml_table_text(&dx->fx, &t, 0, 0, collect);
			if (collect == NULL || emit_tables)
				formxml_push_table(&dx->fx, &t);
			else
				formxml_table_free(&t);
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

/* The main part named in [Content_Types].xml, when not word/document.xml. */
static char *
docx_main_part(const unsigned char *types, size_t len)
{
	xmlDoc		*xml;
	xmlNode		*root, *n;
	const char	*ct, *name;
	char		*why = NULL, *found = NULL;
	xmlAttr		*a;

	if (formxml_parse(types, len, &xml, &why) != FORM_OK) {
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

	memset(&dx, 0, sizeof dx);
	formxml_init(&dx.fx, out);

	if ((res = docx_check_container(data, len, &why)) != FORM_OK)
		goto fail;
	if ((ze = zip_open(data, len, lim, &z, &why)) != ZIP_OK) {
		res = formxml_zip_result(ze);
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
		if (formxml_contains(part, plen, "macroEnabled"))
			goto macro;
		if (formxml_has_doctype(part, plen)) {
			why = xstrdup(FORMXML_DOCTYPE);
			res = FORM_REFUSED;
			goto fail;
		}
		if (zip_find(z, DOCX_MAIN) == NULL)
			main_name = docx_main_part(part, plen);
		free(part);
		part = NULL;
	} else if (ze != ZIP_ENOENT) {
		res = formxml_zip_result(ze);
		goto fail;
	} else {
		free(why);
		why = NULL;
	}

	name = main_name != NULL ? main_name : DOCX_MAIN;
	if ((ze = zip_read(z, name, &part, &plen, &why)) != ZIP_OK) {
		res = formxml_zip_result(ze);
		if (ze == ZIP_ENOENT) {
			free(why);
			why = xstrdup("the document is not a Word document "
			    "(it has no word/document.xml)");
		}
		goto fail;
	}
	if ((res = formxml_parse(part, plen, &xml, &why)) != FORM_OK)
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
		res = formxml_parse(part, plen, &sxml, &why);
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
	/* The nested controls go after the body. */
	if ((res = formxml_finish(&dx.fx, &why)) != FORM_OK)
		goto fail;
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
	docx_free_styles(&dx);
	xmlFreeDoc(xml);
	xmlFreeDoc(sxml);
	free(part);
	free(sname);
	free(main_name);
	zip_close(z);
	formxml_fail(&dx.fx, why, cause);
	return res;
}

enum form_result
docx_read(const void *data, size_t len, const struct zip_limits *lim,
    struct agency_return **out, char **cause)
{
	struct ar_doc	doc;

	return formxml_return(docx_read_doc(data, len, lim, &doc, cause), &doc,
	    AR_SOURCE_DOCX, out);
}
