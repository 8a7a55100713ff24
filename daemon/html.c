/*
 * html.c - HTML bodies as plain text, with libxml2's HTML parser.
 *
 * The parser runs with NONET and without NOENT, DTDLOAD or HUGE, so no
 * file or URL is ever read and its depth and size guards stay on; the
 * encoding is fixed to UTF-8 (IGNORE_ENC: a <meta charset> cannot switch
 * it, the MIME layer already converted). The tree is walked without
 * recursion: hostile nesting costs no stack.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "mime.h"
#include "xmalloc.h"

struct out {
	char	*p;
	size_t	 len;
	size_t	 size;
	int	 bol;		/* at the beginning of a line */
	int	 space;		/* a collapsed space is pending */
	int	 quote;		/* <blockquote> depth */
	int	 pre;		/* <pre> depth */
};

static const char *blocks[] = {
	"address", "article", "aside", "blockquote", "center", "dd", "div",
	"dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
	"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
	"nav", "ol", "p", "pre", "section", "table", "tbody", "tfoot",
	"thead", "tr", "ul", "caption", "body", "html",
};

static const char *skipped[] = {
	"script", "style", "head", "title", "noscript", "template", "object",
	"iframe", "svg", "math", "select", "xml",
};

static void
out_raw(struct out *o, const char *s, size_t n)
{
	size_t	size;

	if (o->size - o->len <= n || o->p == NULL) {
		size = o->size ? o->size : 256;
		while (size - o->len <= n)
			size *= 2;
		o->p = xreallocarray(o->p, 1, size);
		o->size = size;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
out_prefix(struct out *o)
{
	int	i;

	if (!o->bol)
		return;
	for (i = 0; i < o->quote; i++)
		out_raw(o, "> ", 2);
	o->bol = 0;
}

static void
out_newline(struct out *o)
{
	int	i;

	if (o->bol && o->quote > 0) {
		for (i = 0; i < o->quote; i++)
			out_raw(o, ">", 1);
	}
	out_raw(o, "\n", 1);
	o->bol = 1;
	o->space = 0;
}

/* End the current line unless nothing was written on it. */
static void
out_break(struct out *o)
{
	if (!o->bol)
		out_newline(o);
	o->space = 0;
}

/* Text: white space collapsed (not in <pre>), U+00A0 kept as a space. */
static void
out_text(struct out *o, const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;

	for (; *u != '\0'; u++) {
		if (o->pre > 0) {
			if (*u == '\n')
				out_newline(o);
			else if (*u != '\r') {
				out_prefix(o);
				out_raw(o, (const char *)u, 1);
			}
			continue;
		}
		if (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r' ||
		    *u == '\f') {
			if (!o->bol)
				o->space = 1;
			continue;
		}
		if (o->space) {
			out_raw(o, " ", 1);
			o->space = 0;
		}
		out_prefix(o);
		if (u[0] == 0xc2 && u[1] == 0xa0) {
			out_raw(o, " ", 1);
			u++;
		} else
			out_raw(o, (const char *)u, 1);
	}
}

static int
in_list(const char *name, const char **list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcasecmp(name, list[i]) == 0)
			return 1;
	return 0;
}

static void
enter(struct out *o, xmlNodePtr n)
{
	const char	*name = (const char *)n->name;

	if (strcasecmp(name, "br") == 0) {
		out_newline(o);
		return;
	}
	if (in_list(name, blocks, sizeof blocks / sizeof blocks[0]))
		out_break(o);
	if (strcasecmp(name, "blockquote") == 0)
		o->quote++;
	else if (strcasecmp(name, "pre") == 0)
		o->pre++;
	else if (strcasecmp(name, "li") == 0) {
		out_prefix(o);
		out_raw(o, "- ", 2);
	} else if ((strcasecmp(name, "td") == 0 ||
	    strcasecmp(name, "th") == 0) && !o->bol) {
		out_raw(o, "\t", 1);
		o->space = 0;
	}
}

static void
leave(struct out *o, xmlNodePtr n)
{
	const char	*name = (const char *)n->name;

	if (in_list(name, blocks, sizeof blocks / sizeof blocks[0]))
		out_break(o);
	if (strcasecmp(name, "blockquote") == 0 && o->quote > 0)
		o->quote--;
	else if (strcasecmp(name, "pre") == 0 && o->pre > 0)
		o->pre--;
}

/* Trailing spaces go, runs of blank lines become one, ends trimmed. */
static char *
tidy(const char *s, size_t len)
{
	char	*r = xmalloc(len + 1), *w = r;
	size_t	 i = 0, e, t;
	int	 blanks = 0, any = 0;

	while (i < len) {
		for (e = i; e < len && s[e] != '\n'; e++)
			;
		for (t = e; t > i && (s[t - 1] == ' ' || s[t - 1] == '\t'); t--)
			;
		if (t == i) {
			blanks++;
		} else {
			if (any && blanks > 0)
				*w++ = '\n';
			memcpy(w, s + i, t - i);
			w += t - i;
			*w++ = '\n';
			blanks = 0;
			any = 1;
		}
		i = e + 1;
	}
	if (w > r)
		w--;
	*w = '\0';
	return r;
}

char *
mime_html_to_text(const char *html, size_t len)
{
	htmlDocPtr	 doc;
	xmlNodePtr	 n;
	struct out	 o;
	char		*clean, *r;
	size_t		 clen;

	memset(&o, 0, sizeof o);
	o.bol = 1;
	if (html == NULL || len == 0)
		return xstrdup("");
	/* Valid UTF-8 without NUL, or libxml2 falls back to Latin-1. */
	clean = mime_to_utf8("utf-8", html, len);
	clen = strlen(clean);
	if (clen > INT_MAX)
		clen = INT_MAX;
	doc = htmlReadMemory(clean, (int)clen, NULL, "UTF-8",
	    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC);
	free(clean);
	if (doc == NULL)
		return xstrdup("");
	n = xmlDocGetRootElement(doc);
	while (n != NULL) {
		int	descend = 0;

		if (n->type == XML_ELEMENT_NODE) {
			if (!in_list((const char *)n->name, skipped,
			    sizeof skipped / sizeof skipped[0])) {
				enter(&o, n);
				descend = 1;
			}
		} else if ((n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE) && n->content != NULL)
			out_text(&o, (const char *)n->content);
		if (descend && n->children != NULL) {
			n = n->children;
			continue;
		}
		if (descend)
			leave(&o, n);
		while (n != NULL && n->next == NULL) {
			n = n->parent;
			if (n == NULL || n->type == XML_DOCUMENT_NODE ||
			    n->type == XML_HTML_DOCUMENT_NODE) {
				n = NULL;
				break;
			}
			leave(&o, n);
		}
		if (n != NULL)
			n = n->next;
	}
	xmlFreeDoc(doc);
	r = tidy(o.p != NULL ? o.p : "", o.len);
	free(o.p);
	return r;
}
