/*
 * odt.c - a LibreOffice text document (.odt) reduced to an ar_doc, from
 * its content.xml: paragraphs and headings, tables, and the text-input
 * fields LibreOffice turns content controls into.
 *
 * Refused before any XML is parsed: encrypted entries (an encryption-data
 * element in META-INF/manifest.xml), macros (Basic/ or Scripts/ entries),
 * and any part we read that holds a DOCTYPE. libxml2 parses without
 * network, entity substitution or DTD loading; the walk is depth-limited
 * and counts blocks, cells and bytes of text, since repeated cells and
 * flattened tables copy text (the parse and the counting builder are
 * formxml.c's).
 *
 * Whitespace in ODF text is collapsed as the format says (ODF 1.2
 * §6.1.2): runs of space, tab, CR and LF are one space, none at the start
 * of a paragraph; text:s, text:tab and text:line-break are the literal
 * ones. Notes, annotations and tracked (deleted) changes are not text.
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

#define NS_OFFICE	"urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_TEXT		"urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_TABLE	"urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_STYLE	"urn:oasis:names:tc:opendocument:xmlns:style:1.0"
#define NS_FO		"urn:oasis:names:tc:opendocument:xmlns:" \
			"xsl-fo-compatible:1.0"
#define NS_DRAW		"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
#define NS_LOEXT	"urn:org:documentfoundation:names:experimental:" \
			"office:xmlns:loext:1.0"

#define ODT_MAX_REPEAT	64			/* a repeated cell or row */
#define ODT_MAX_SPACES	100			/* text:s text:c="n" */
#define ODT_MAX_STYLES	10000
#define ODT_MAX_CHAIN	16

struct odt_style {
	char		*name;		/* "P:name" or "T:name" (family) */
	int		 heading;	/* name or parent says Heading/Title */
	int		 bold;		/* -1: not said */
	char		*parent;
	size_t		 seq;		/* order loaded: the first wins */
};

struct odt {
	struct formxml		 fx;
	struct odt_style	*styles;	/* sorted by name */
	size_t			 n_styles;
	size_t			 styles_cap;
};

struct odt_para {
	struct formxml_buf	text;
	struct formxml_buf	boxes;	/* text boxes anchored in it */
	size_t			runs;	/* pieces of text */
	size_t			bold;	/* of which bold */
	int			space;	/* at a collapsible space (or start) */
};

static void	odt_blocks(struct odt *, xmlNode *, struct formxml_buf *,
		    int);
static void	odt_inline(struct odt *, xmlNode *, struct odt_para *, int,
		    int);

/* --- text --- */

/*
 * Character data of a paragraph: whitespace collapsed; the no-break and
 * fixed-width spaces are plain spaces too (but not collapsed).
 */
static void
odt_add_text(struct odt *ox, struct odt_para *pp, const unsigned char *s,
    int bold)
{
	const unsigned char	*run;
	size_t			 mark = pp->text.n;

	while (*s != '\0') {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			if (!pp->space)
				formxml_add(&ox->fx, &pp->text, " ", 1);
			pp->space = 1;
			s++;
			continue;
		}
		pp->space = 0;
		if (s[0] == 0xc2 && s[1] == 0xa0) {
			formxml_add(&ox->fx, &pp->text, " ", 1);
			s += 2;
		} else if (s[0] == 0xe2 && s[1] == 0x80 &&
		    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xaf)) {
			formxml_add(&ox->fx, &pp->text, " ", 1);
			s += 3;
		} else {
			/* Up to the next space or lead byte of one. */
			for (run = s++; *s != '\0' && *s != ' ' &&
			    *s != '\t' && *s != '\r' && *s != '\n' &&
			    *s != 0xc2 && *s != 0xe2; s++)
				;
			formxml_add(&ox->fx, &pp->text, (const char *)run,
			    (size_t)(s - run));
		}
	}
	if (pp->text.n > mark &&
	    !formxml_blank(pp->text.s + mark, pp->text.n - mark)) {
		pp->runs++;
		if (bold)
			pp->bold++;
	}
}

/* --- XML --- */

static int
odt_is(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
odt_child(const xmlNode *n, const char *ns, const char *name)
{
	xmlNode	*c;

	for (c = n->children; c != NULL; c = c->next)
		if (odt_is(c, ns, name))
			return c;
	return NULL;
}

static const char *
odt_attr(const xmlNode *n, const char *ns, const char *name)
{
	const xmlAttr	*a;

	if (n == NULL)
		return NULL;
	for (a = n->properties; a != NULL; a = a->next) {
		if (strcmp((const char *)a->name, name) != 0 ||
		    a->ns == NULL || a->ns->href == NULL ||
		    strcmp((const char *)a->ns->href, ns) != 0)
			continue;
		if (a->children == NULL || a->children->type != XML_TEXT_NODE ||
		    a->children->next != NULL || a->children->content == NULL)
			return "";
		return (const char *)a->children->content;
	}
	return NULL;
}

/* A count attribute: 1 when absent or unreadable, at most max. */
static size_t
odt_count_attr(const xmlNode *n, const char *ns, const char *name, size_t max)
{
	const char	*v = odt_attr(n, ns, name);
	size_t		 k = 0;

	if (v == NULL || *v == '\0')
		return 1;
	for (; *v >= '0' && *v <= '9'; v++) {
		k = k * 10 + (size_t)(*v - '0');
		if (k > max)
			return max;
	}
	return k == 0 ? 1 : k;
}

/* --- blocks --- */

/* --- styles --- */

static int
odt_style_cmp(const void *a, const void *b)
{
	return strcmp(((const struct odt_style *)a)->name,
	    ((const struct odt_style *)b)->name);
}

static int
odt_style_order(const void *a, const void *b)
{
	const struct odt_style	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const struct odt_style *
odt_style(const struct odt *ox, char family, const char *name)
{
	struct odt_style	 key;
	const struct odt_style	*s;
	char			*k;

	if (name == NULL || ox->n_styles == 0)
		return NULL;
	xasprintf(&k, "%c:%s", family, name);
	key.name = k;
	s = bsearch(&key, ox->styles, ox->n_styles, sizeof key,
	    odt_style_cmp);
	free(k);
	return s;
}

/* fo:font-weight: bold, or 600 and over. */
static int
odt_weight_bold(const char *w)
{
	return strcmp(w, "bold") == 0 || (w[0] >= '6' && w[0] <= '9' &&
	    w[1] >= '0' && w[1] <= '9' && w[2] >= '0' && w[2] <= '9' &&
	    w[3] == '\0');
}

/* The style:style elements of a style container (automatic or common). */
static void
odt_add_styles(struct odt *ox, const xmlNode *container)
{
	struct odt_style	*s;
	const xmlNode		*n, *tp;
	const char		*name, *family, *parent, *display, *w;
	char			 f;

	if (container == NULL)
		return;
	for (n = container->children; n != NULL; n = n->next) {
		if (!odt_is(n, NS_STYLE, "style") ||
		    ox->n_styles == ODT_MAX_STYLES ||
		    (name = odt_attr(n, NS_STYLE, "name")) == NULL ||
		    (family = odt_attr(n, NS_STYLE, "family")) == NULL)
			continue;
		if (strcmp(family, "paragraph") == 0)
			f = 'P';
		else if (strcmp(family, "text") == 0)
			f = 'T';
		else
			continue;
		if (ox->n_styles == ox->styles_cap) {
			ox->styles_cap = ox->styles_cap == 0 ? 64 :
			    ox->styles_cap * 2;
			ox->styles = xreallocarray(ox->styles, ox->styles_cap,
			    sizeof *ox->styles);
		}
		s = &ox->styles[ox->n_styles];
		s->seq = ox->n_styles++;
		xasprintf(&s->name, "%c:%s", f, name);
		display = odt_attr(n, NS_STYLE, "display-name");
		s->heading = f == 'P' && (formxml_heading_name(name) ||
		    formxml_heading_name(display));
		s->bold = -1;
		if ((tp = odt_child(n, NS_STYLE, "text-properties")) != NULL &&
		    (w = odt_attr(tp, NS_FO, "font-weight")) != NULL)
			s->bold = odt_weight_bold(w);
		parent = odt_attr(n, NS_STYLE, "parent-style-name");
		s->parent = parent != NULL ? xstrdup(parent) : NULL;
		/* "Heading_20_1" says so even when styles.xml is not read. */
		if (f == 'P' && formxml_heading_name(parent))
			s->heading = 1;
	}
}

/* Sort, drop duplicate names (the first wins), follow parents. */
static void
odt_finish_styles(struct odt *ox)
{
	struct odt_style	*s;
	const struct odt_style	*base;
	const char		*parent;
	size_t			 i, j, hop;

	if (ox->n_styles == 0)
		return;
	qsort(ox->styles, ox->n_styles, sizeof *ox->styles, odt_style_order);
	for (i = j = 0; i < ox->n_styles; i++) {
		if (j > 0 && strcmp(ox->styles[j - 1].name,
		    ox->styles[i].name) == 0) {
			free(ox->styles[i].name);
			free(ox->styles[i].parent);
			continue;
		}
		ox->styles[j++] = ox->styles[i];
	}
	ox->n_styles = j;
	for (i = 0; i < ox->n_styles; i++) {
		s = &ox->styles[i];
		parent = s->parent;
		for (hop = 0; hop < ODT_MAX_CHAIN && parent != NULL; hop++) {
			if ((base = odt_style(ox, s->name[0], parent)) == NULL)
				break;
			if (base->heading)
				s->heading = 1;
			if (s->bold == -1)
				s->bold = base->bold;
			parent = base->parent;
		}
	}
}

static void
odt_free_styles(struct odt *ox)
{
	size_t	i;

	for (i = 0; i < ox->n_styles; i++) {
		free(ox->styles[i].name);
		free(ox->styles[i].parent);
	}
	free(ox->styles);
	ox->styles = NULL;
	ox->n_styles = ox->styles_cap = 0;
}

/* --- the walk --- */

/* Text boxes in a frame: their paragraphs, as lines. */
static void
odt_frame(struct odt *ox, xmlNode *frame, struct odt_para *pp, int depth)
{
	xmlNode	*n;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = frame->children; n != NULL; n = n->next)
		if (odt_is(n, NS_DRAW, "text-box"))
			odt_blocks(ox, n, &pp->boxes, depth + 1);
}

/*
 * A text-input field (what LibreOffice makes of a content control), or
 * LibreOffice's own content control: inline text, and a control when its
 * description, alias or tag names a key.
 */
static void
odt_field(struct odt *ox, xmlNode *n, struct odt_para *pp, int bold,
    int depth)
{
	struct odt_para	 sub;
	const char	*title, *tag;
	char		*key;

	if (odt_is(n, NS_TEXT, "text-input"))
		title = odt_attr(n, NS_TEXT, "description");
	else
		title = odt_attr(n, NS_LOEXT, "alias");
	tag = odt_attr(n, NS_LOEXT, "tag");
	if ((key = formxml_key(tag, title)) == NULL) {
		odt_inline(ox, n, pp, bold, depth + 1);
		return;
	}
	memset(&sub, 0, sizeof sub);
	sub.space = pp->space;
	odt_inline(ox, n, &sub, bold, depth + 1);
	formxml_add(&ox->fx, &pp->text, sub.text.s != NULL ? sub.text.s : "",
	    sub.text.n);
	if (sub.boxes.n > 0)
		formxml_line(&ox->fx, &pp->boxes, sub.boxes.s, sub.boxes.n);
	free(sub.boxes.s);
	pp->runs += sub.runs;
	pp->bold += sub.bold;
	pp->space = sub.space;
	formxml_push_control(&ox->fx, key, title != NULL && *title != '\0' ?
	    xstrdup(title) : NULL, formxml_take(&sub.text), 1);
}

/* The content of a paragraph, a span, a link or a field. */
static void
odt_inline(struct odt *ox, xmlNode *parent, struct odt_para *pp, int bold,
    int depth)
{
	static const char *const skip[] = { "note", "tracked-changes",
	    "number", "bookmark", "bookmark-start", "bookmark-end",
	    "reference-mark", "reference-mark-start", "reference-mark-end",
	    "change", "change-start", "change-end", "toc-mark",
	    "toc-mark-start", "toc-mark-end", "alphabetical-index-mark",
	    "alphabetical-index-mark-start", "alphabetical-index-mark-end",
	    "user-index-mark", "user-index-mark-start", "user-index-mark-end",
	    "ruby-text", NULL };
	const struct odt_style	*st;
	xmlNode			*n;
	size_t			 i, k;
	int			 b;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && ox->fx.over == FORMXML_FITS;
	    n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type ==
		    XML_CDATA_SECTION_NODE) {
			if (n->content != NULL)
				odt_add_text(ox, pp, n->content, bold);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || n->ns == NULL ||
		    n->ns->href == NULL)
			continue;
		if (odt_is(n, NS_TEXT, "s")) {
			k = odt_count_attr(n, NS_TEXT, "c", ODT_MAX_SPACES);
			for (i = 0; i < k; i++)
				formxml_add(&ox->fx, &pp->text, " ", 1);
			pp->space = 0;
		} else if (odt_is(n, NS_TEXT, "tab")) {
			formxml_add(&ox->fx, &pp->text, "\t", 1);
			pp->space = 0;
		} else if (odt_is(n, NS_TEXT, "line-break")) {
			formxml_add(&ox->fx, &pp->text, "\n", 1);
			pp->space = 1;
		} else if (odt_is(n, NS_TEXT, "span")) {
			b = bold;
			st = odt_style(ox, 'T', odt_attr(n, NS_TEXT,
			    "style-name"));
			if (st != NULL && st->bold != -1)
				b = st->bold;
			odt_inline(ox, n, pp, b, depth + 1);
		} else if (odt_is(n, NS_TEXT, "text-input") ||
		    odt_is(n, NS_LOEXT, "content-control"))
			odt_field(ox, n, pp, bold, depth + 1);
		else if (odt_is(n, NS_DRAW, "frame"))
			odt_frame(ox, n, pp, depth + 1);
		else if (odt_is(n, NS_DRAW, "a"))
			odt_inline(ox, n, pp, bold, depth + 1);
		else if (strcmp((const char *)n->ns->href, NS_TEXT) == 0) {
			/* Links, fields, meta: their text is what shows. */
			for (i = 0; skip[i] != NULL; i++)
				if (strcmp((const char *)n->name, skip[i]) == 0)
					break;
			if (skip[i] == NULL)
				odt_inline(ox, n, pp, bold, depth + 1);
		}
		/* office:annotation is a comment, not the text. */
	}
}

static void
odt_para(struct odt *ox, xmlNode *p, struct formxml_buf *collect, int depth)
{
	const struct odt_style	*st;
	struct odt_para		 pp;
	int			 emphasis;

	memset(&pp, 0, sizeof pp);
	pp.space = 1;
	st = odt_style(ox, 'P', odt_attr(p, NS_TEXT, "style-name"));
	odt_inline(ox, p, &pp, st != NULL && st->bold == 1, depth + 1);
	emphasis = odt_is(p, NS_TEXT, "h") || (st != NULL && st->heading) ||
	    (pp.runs > 0 && pp.bold == pp.runs);
	/* The collapsed space at the end goes too. */
	if (pp.text.n > 0 && pp.space && pp.text.s[pp.text.n - 1] == ' ')
		pp.text.s[--pp.text.n] = '\0';
	formxml_end_para(&ox->fx, &pp.text, &pp.boxes, collect, emphasis);
}

static void
odt_cells(struct odt *ox, xmlNode *row, struct formxml_table *t, int depth)
{
	struct formxml_buf	 cell;
	xmlNode			*n;
	size_t			 k, i;

	for (n = row->children; n != NULL && ox->fx.over == FORMXML_FITS;
	    n = n->next) {
		if (odt_is(n, NS_TABLE, "table-cell")) {
			memset(&cell, 0, sizeof cell);
			odt_blocks(ox, n, &cell, depth + 1);
			k = odt_count_attr(n, NS_TABLE,
			    "number-columns-repeated", ODT_MAX_REPEAT);
			for (i = 1; i < k; i++)
				formxml_table_cell(&ox->fx, t,
				    xstrdup(cell.s != NULL ? cell.s : ""));
			formxml_table_cell(&ox->fx, t, formxml_take(&cell));
		} else if (odt_is(n, NS_TABLE, "covered-table-cell")) {
			k = odt_count_attr(n, NS_TABLE,
			    "number-columns-repeated", ODT_MAX_REPEAT);
			for (i = 0; i < k; i++)
				formxml_table_cell(&ox->fx, t, xstrdup(""));
		}
	}
}

/* Rows, also in header-rows, rows and row-groups. */
static void
odt_rows(struct odt *ox, xmlNode *parent, struct formxml_table *t, int depth)
{
	xmlNode	*n;
	size_t	 k, i, r, c;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && ox->fx.over == FORMXML_FITS;
	    n = n->next) {
		if (odt_is(n, NS_TABLE, "table-row")) {
			formxml_table_row(t);
			r = t->n_rows - 1;
			odt_cells(ox, n, t, depth + 1);
			k = odt_count_attr(n, NS_TABLE, "number-rows-repeated",
			    ODT_MAX_REPEAT);
			for (i = 1; i < k && ox->fx.over == FORMXML_FITS; i++) {
				formxml_table_row(t);
				for (c = 0; c < t->n_cols[r]; c++)
					formxml_table_cell(&ox->fx, t,
					    xstrdup(t->cells[r][c]));
			}
		} else if (odt_is(n, NS_TABLE, "table-header-rows") ||
		    odt_is(n, NS_TABLE, "table-rows") ||
		    odt_is(n, NS_TABLE, "table-row-group"))
			odt_rows(ox, n, t, depth + 1);
	}
}

/* Paragraphs, headings, lists, sections and tables under parent. */
static void
odt_blocks(struct odt *ox, xmlNode *parent, struct formxml_buf *collect,
    int depth)
{
	static const char *const containers[] = { "list", "list-item",
	    "list-header", "section", "index-body", "table-of-content",
	    "illustration-index", "table-index", "object-index",
	    "user-index", "alphabetical-index", "bibliography", NULL };
	struct formxml_table	 t;
	xmlNode			*n;
	size_t			 i;

	if (depth > FORMS_MAX_XML_DEPTH)
		return;
	for (n = parent->children; n != NULL && ox->fx.over == FORMXML_FITS;
	    n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (odt_is(n, NS_TEXT, "p") || odt_is(n, NS_TEXT, "h"))
			odt_para(ox, n, collect, depth + 1);
		else if (odt_is(n, NS_TABLE, "table")) {
			memset(&t, 0, sizeof t);
			odt_rows(ox, n, &t, depth + 1);
			if (collect != NULL) {
				formxml_table_text(&ox->fx, &t, 0, 0, collect);
				formxml_table_free(&t);
			} else
				formxml_push_table(&ox->fx, &t);
		} else if (n->ns != NULL && n->ns->href != NULL &&
		    strcmp((const char *)n->ns->href, NS_TEXT) == 0) {
			for (i = 0; containers[i] != NULL; i++)
				if (strcmp((const char *)n->name,
				    containers[i]) == 0)
					break;
			if (containers[i] != NULL)
				odt_blocks(ox, n, collect, depth + 1);
		}
	}
}

/* --- the document --- */

/*
 * The common styles of styles.xml (its automatic styles are those of
 * headers and footers, and reuse the names of content.xml's).
 */
static enum form_result
odt_read_styles(struct odt *ox, struct zip *z, char **why)
{
	unsigned char		*part = NULL;
	size_t			 plen;
	xmlDoc			*xml;
	xmlNode			*root;
	enum zip_error		 ze;
	enum form_result	 res;

	ze = zip_read(z, "styles.xml", &part, &plen, why);
	if (ze == ZIP_ELIMIT || ze == ZIP_EENCRYPTED)
		return FORM_REFUSED;
	free(*why);
	*why = NULL;
	if (ze != ZIP_OK)
		return FORM_OK;	/* styles are optional */
	res = formxml_parse(part, plen, &xml, why);
	free(part);
	if (res == FORM_REFUSED)
		return res;
	free(*why);
	*why = NULL;
	if (xml == NULL)
		return FORM_OK;
	if ((root = xmlDocGetRootElement(xml)) != NULL) {
		odt_add_styles(ox, odt_child(root, NS_OFFICE, "styles"));
	}
	xmlFreeDoc(xml);
	return FORM_OK;
}

enum form_result
odt_read_doc(const void *data, size_t len, const struct zip_limits *lim,
    struct ar_doc *out, char **cause)
{
	static const char	*const text_types[] = {
		"application/vnd.oasis.opendocument.text",
		"application/vnd.oasis.opendocument.text-template",
		"application/vnd.oasis.opendocument.text-master", NULL };
	struct odt		 ox;
	struct zip		*z = NULL;
	const struct zip_entry	*e;
	xmlDoc			*xml = NULL;
	xmlNode			*root, *body, *text;
	unsigned char		*part = NULL;
	size_t			 plen, i;
	enum zip_error		 ze;
	enum form_result	 res;
	char			*why = NULL;

	memset(&ox, 0, sizeof ox);
	formxml_init(&ox.fx, out);

	if ((ze = zip_open(data, len, lim, &z, &why)) != ZIP_OK) {
		res = formxml_zip_result(ze);
		goto fail;
	}
	for (i = 0; i < zip_count(z); i++) {
		e = zip_entry_at(z, i);
		if (strncmp(e->name, "Basic/", 6) == 0 ||
		    strncmp(e->name, "Scripts/", 8) == 0) {
			why = xstrdup("the document contains macros, which "
			    "we do not open");
			res = FORM_REFUSED;
			goto fail;
		}
	}
	ze = zip_read(z, "META-INF/manifest.xml", &part, &plen, &why);
	if (ze == ZIP_OK) {
		if (formxml_contains(part, plen, "encryption-data")) {
			why = xstrdup("the document is password-protected "
			    "(encrypted)");
			res = FORM_REFUSED;
			goto fail;
		}
		free(part);
		part = NULL;
	} else if (ze != ZIP_ENOENT) {
		res = formxml_zip_result(ze);
		goto fail;
	} else {
		free(why);
		why = NULL;
	}
	/* A spreadsheet or a drawing is not a text document. */
	if (zip_read(z, "mimetype", &part, &plen, &why) == ZIP_OK) {
		for (i = 0; text_types[i] != NULL; i++)
			if (plen == strlen(text_types[i]) &&
			    memcmp(part, text_types[i], plen) == 0)
				break;
		if (text_types[i] == NULL) {
			why = xstrdup("the document is not a text document "
			    "(.odt)");
			res = FORM_UNREADABLE;
			goto fail;
		}
		free(part);
		part = NULL;
	}
	free(why);
	why = NULL;

	if ((ze = zip_read(z, "content.xml", &part, &plen, &why)) != ZIP_OK) {
		res = formxml_zip_result(ze);
		if (ze == ZIP_ENOENT) {
			free(why);
			why = xstrdup("the document is not an OpenDocument "
			    "text (it has no content.xml)");
		}
		goto fail;
	}
	if ((res = formxml_parse(part, plen, &xml, &why)) != FORM_OK)
		goto fail;
	free(part);
	part = NULL;
	root = xmlDocGetRootElement(xml);
	if (root == NULL || !odt_is(root, NS_OFFICE, "document-content")) {
		why = xstrdup("the document is not an OpenDocument text");
		res = FORM_UNREADABLE;
		goto fail;
	}
	odt_add_styles(&ox, odt_child(root, NS_OFFICE, "automatic-styles"));
	if ((res = odt_read_styles(&ox, z, &why)) != FORM_OK)
		goto fail;
	odt_finish_styles(&ox);

	if ((body = odt_child(root, NS_OFFICE, "body")) != NULL &&
	    (text = odt_child(body, NS_OFFICE, "text")) != NULL)
		odt_blocks(&ox, text, NULL, 1);
	/* The controls go after the body. */
	if ((res = formxml_finish(&ox.fx, &why)) != FORM_OK)
		goto fail;
	odt_free_styles(&ox);
	xmlFreeDoc(xml);
	zip_close(z);
	if (cause != NULL)
		*cause = NULL;
	return FORM_OK;

fail:
	odt_free_styles(&ox);
	xmlFreeDoc(xml);
	free(part);
	zip_close(z);
	formxml_fail(&ox.fx, why, cause);
	return res;
}

enum form_result
odt_read(const void *data, size_t len, const struct zip_limits *lim,
    struct agency_return **out, char **cause)
{
	struct ar_doc	doc;

	return formxml_return(odt_read_doc(data, len, lim, &doc, cause), &doc,
	    AR_SOURCE_ODT, out);
}
