/*
 * template.c - a small Mustache subset: parse once into a tree, check the
 * names, render many times against a tree of records.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "template.h"
#include "utf8.h"
#include "xmalloc.h"

/* ---- Data model ------------------------------------------------------ */

struct tmpl_entry {
	char			*name;
	struct tmpl_value	 value;
};

struct tmpl_record {
	struct tmpl_entry	*entries;
	size_t			 n, cap;
};

struct tmpl_list {
	struct tmpl_record	**records;
	size_t			  n, cap;
};

/* ---- Templates ------------------------------------------------------- */

enum tmpl_node_type {
	TMPL_NODE_TEXT,
	TMPL_NODE_VAR,		/* {{name}} */
	TMPL_NODE_RAW,		/* {{{name}}}, {{&name}} */
	TMPL_NODE_SECTION,	/* {{#name}} */
	TMPL_NODE_INVERTED,	/* {{^name}} */
};

struct tmpl_node;

struct tmpl_block {
	struct tmpl_node	*nodes;
	size_t			 n, cap;
};

struct tmpl_node {
	enum tmpl_node_type	 type;
	int			 line;
	char			*text;	/* the text, or the name */
	size_t			 len;
	struct tmpl_block	 body;	/* sections */
};

struct tmpl {
	struct tmpl_block	 root;
	char			*path;
};

/* Output under construction, bounded by TMPL_MAX_OUTPUT. */
struct tmpl_buf {
	char	*data;
	size_t	 len, cap;
};

struct tmpl_parser {
	const char	*text;
	size_t		 len;
	size_t		 pos;		/* start of unconsumed text */
	size_t		 counted;	/* lines counted up to here */
	int		 line;		/* line number at counted */
	int		 err_line;
	char		*err;
};

static void	tmpl_value_clear(struct tmpl_value *);
static struct tmpl_value *tmpl_record_slot(struct tmpl_record *,
		    const char *);
static void	tmpl_block_free(struct tmpl_block *);
static struct tmpl_node *tmpl_block_add(struct tmpl_block *,
		    enum tmpl_node_type, int, const char *, size_t);
static int	tmpl_line_at(struct tmpl_parser *, size_t);
static int	tmpl_fail(struct tmpl_parser *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	tmpl_check_text(struct tmpl_parser *);
static int	tmpl_name_valid(struct tmpl_parser *, int, const char *,
		    size_t);
static int	tmpl_parse_text(struct tmpl_parser *, struct tmpl_block *);
static int	tmpl_parse_internal(const char *, size_t, struct tmpl **,
		    int *, char **);
static int	tmpl_walk(const struct tmpl_block *,
		    int (*)(const char *, int, void *), void *);
static int	tmpl_check_one(const char *, int, void *);
static const struct tmpl_value *tmpl_lookup(const struct tmpl_record **,
		    size_t, const char *);
static int	tmpl_buf_add(struct tmpl_buf *, const char *, size_t);
static int	tmpl_buf_escape(struct tmpl_buf *, const char *);
static int	tmpl_render_block(const struct tmpl_block *,
		    const struct tmpl_record **, size_t, int,
		    struct tmpl_buf *);
static int	tmpl_file_name_valid(const char *);
static int	tmpl_read_file(const char *, char **, size_t *, char **);

static void
tmpl_value_clear(struct tmpl_value *v)
{
	size_t	i;

	switch (v->type) {
	case TMPL_STRING:
		free(v->v.string);
		break;
	case TMPL_LIST:
		if (v->v.list == NULL)
			break;
		for (i = 0; i < v->v.list->n; i++)
			tmpl_record_free(v->v.list->records[i]);
		free(v->v.list->records);
		free(v->v.list);
		break;
	case TMPL_BOOL:
		break;
	}
	memset(v, 0, sizeof *v);
}

struct tmpl_record *
tmpl_record_new(void)
{
	return xcalloc(1, sizeof(struct tmpl_record));
}

void
tmpl_record_free(struct tmpl_record *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->entries[i].name);
		tmpl_value_clear(&r->entries[i].value);
	}
	free(r->entries);
	free(r);
}

/* The cleared value slot for name: replaced in place, or appended. */
static struct tmpl_value *
tmpl_record_slot(struct tmpl_record *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->entries[i].name, name) == 0) {
			tmpl_value_clear(&r->entries[i].value);
			return &r->entries[i].value;
		}
	}
	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 8 : r->cap * 2;
		r->entries = xreallocarray(r->entries, r->cap,
		    sizeof *r->entries);
	}
	r->entries[r->n].name = xstrdup(name);
	memset(&r->entries[r->n].value, 0, sizeof r->entries[r->n].value);
	return &r->entries[r->n++].value;
}

void
tmpl_record_set_string(struct tmpl_record *r, const char *name,
    const char *value)
{
	struct tmpl_value	*v = tmpl_record_slot(r, name);

	v->type = TMPL_STRING;
	v->v.string = xstrdup(value != NULL ? value : "");
}

void
tmpl_record_set_printf(struct tmpl_record *r, const char *name,
    const char *fmt, ...)
{
	struct tmpl_value	*v = tmpl_record_slot(r, name);
	va_list			 ap;

	va_start(ap, fmt);
	v->type = TMPL_STRING;
	xvasprintf(&v->v.string, fmt, ap);
	va_end(ap);
}

void
tmpl_record_set_bool(struct tmpl_record *r, const char *name, int value)
{
	struct tmpl_value	*v = tmpl_record_slot(r, name);

	v->type = TMPL_BOOL;
	v->v.boolean = value != 0;
}

struct tmpl_list *
tmpl_record_add_list(struct tmpl_record *r, const char *name)
{
	struct tmpl_value	*v = tmpl_record_slot(r, name);

	v->type = TMPL_LIST;
	v->v.list = xcalloc(1, sizeof *v->v.list);
	return v->v.list;
}

struct tmpl_record *
tmpl_list_add_record(struct tmpl_list *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 8 : l->cap * 2;
		l->records = xreallocarray(l->records, l->cap,
		    sizeof *l->records);
	}
	l->records[l->n] = tmpl_record_new();
	return l->records[l->n++];
}

size_t
tmpl_list_count(const struct tmpl_list *l)
{
	return l == NULL ? 0 : l->n;
}

const struct tmpl_value *
tmpl_record_get(const struct tmpl_record *r, const char *name)
{
	size_t	i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->entries[i].name, name) == 0)
			return &r->entries[i].value;
	}
	return NULL;
}

/* ---- Parsing --------------------------------------------------------- */

static void
tmpl_block_free(struct tmpl_block *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		free(b->nodes[i].text);
		tmpl_block_free(&b->nodes[i].body);
	}
	free(b->nodes);
	memset(b, 0, sizeof *b);
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	tmpl_block_free(&t->root);
	free(t->path);
	free(t);
}

const char *
tmpl_path(const struct tmpl *t)
{
	return t->path;
}

static struct tmpl_node *
tmpl_block_add(struct tmpl_block *b, enum tmpl_node_type type, int line,
    const char *text, size_t len)
{
	struct tmpl_node	*n;

	if (b->n == b->cap) {
		b->cap = b->cap == 0 ? 16 : b->cap * 2;
		b->nodes = xreallocarray(b->nodes, b->cap, sizeof *b->nodes);
	}
	n = &b->nodes[b->n++];
	memset(n, 0, sizeof *n);
	n->type = type;
	n->line = line;
	n->text = xstrndup(text, len);
	n->len = len;
	return n;
}

/* Line number of offset off; offsets only ever move forward. */
static int
tmpl_line_at(struct tmpl_parser *p, size_t off)
{
	for (; p->counted < off; p->counted++) {
		if (p->text[p->counted] == '\n')
			p->line++;
	}
	return p->line;
}

static int
tmpl_fail(struct tmpl_parser *p, int line, const char *fmt, ...)
{
	va_list	ap;

	if (p->err == NULL) {
		va_start(ap, fmt);
		xvasprintf(&p->err, fmt, ap);
		va_end(ap);
		p->err_line = line;
	}
	return -1;
}

/* Templates are UTF-8 text: no NUL, no malformed or overlong sequences. */
static int
tmpl_check_text(struct tmpl_parser *p)
{
	const unsigned char	*s = (const unsigned char *)p->text;
	size_t			 i = 0, n;
	int			 line = 1;

	while (i < p->len) {
		if (s[i] == '\n')
			line++;
		if (s[i] == '\0')
			return tmpl_fail(p, line, "NUL byte in template");
		if ((n = utf8_seq_len(s + i, p->len - i)) == 0)
			return tmpl_fail(p, line, "not valid UTF-8");
		i += n;
	}
	return 0;
}

static int
tmpl_name_valid(struct tmpl_parser *p, int line, const char *name,
    size_t len)
{
	size_t	i;
	char	c;

	if (len == 0)
		return tmpl_fail(p, line, "empty tag");
	if (len > TMPL_MAX_NAME)
		return tmpl_fail(p, line, "name longer than %d bytes",
		    TMPL_MAX_NAME);
	for (i = 0; i < len; i++) {
		c = name[i];
		if (c == '.')
			return tmpl_fail(p, line,
			    "dotted names ({{a.b}}, {{.}}) are not supported");
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-')
			continue;
		return tmpl_fail(p, line, "bad character in name \"%.*s\"",
		    (int)len, name);
	}
	return 0;
}

static int
tmpl_parse_text(struct tmpl_parser *p, struct tmpl_block *root)
{
	struct tmpl_block	*stack[TMPL_MAX_DEPTH + 1];
	struct tmpl_node	*open[TMPL_MAX_DEPTH + 1], *n;
	const char		*t = p->text, *body, *end;
	size_t			 start, tend, lstart, lend, blen;
	size_t			 depth = 0;
	int			 line, standalone;
	char			 sigil;

	stack[0] = root;
	open[0] = NULL;
	while (p->pos < p->len) {
		end = memmem(t + p->pos, p->len - p->pos, "{{", 2);
		if (end == NULL) {
			tmpl_block_add(stack[depth], TMPL_NODE_TEXT, 0,
			    t + p->pos, p->len - p->pos);
			p->pos = p->len;
			break;
		}
		start = end - t;
		line = tmpl_line_at(p, start);

		/* Find the tag's body [body, body + blen) and its end. */
		sigil = '\0';
		if (start + 2 < p->len && t[start + 2] == '{') {
			sigil = '{';
			body = t + start + 3;
			end = memmem(body, p->len - (start + 3), "}}}", 3);
			if (end == NULL)
				return tmpl_fail(p, line,
				    "unterminated tag: {{{ with no }}}");
			tend = end - t + 3;
		} else {
			body = t + start + 2;
			end = memmem(body, p->len - (start + 2), "}}", 2);
			if (end == NULL)
				return tmpl_fail(p, line,
				    "unterminated tag: {{ with no }}");
			tend = end - t + 2;
			if (body < end && strchr("!#^/&>=", *body) != NULL)
				sigil = *body++;
		}
		blen = end - body;
		if (sigil != '!' && memchr(body, '\n', blen) != NULL)
			return tmpl_fail(p, line,
			    "unterminated tag: no }} on the same line");
		if (sigil == '>')
			return tmpl_fail(p, line,
			    "partials ({{>name}}) are not supported");
		if (sigil == '=')
			return tmpl_fail(p, line, "delimiter changes "
			    "({{=<%% %%>=}}) are not supported");
		if (sigil != '!') {
			while (blen > 0 && (*body == ' ' || *body == '\t')) {
				body++;
				blen--;
			}
			while (blen > 0 && (body[blen - 1] == ' ' ||
			    body[blen - 1] == '\t'))
				blen--;
			if (tmpl_name_valid(p, line, body, blen) != 0)
				return -1;
		}

		/*
		 * A block tag alone on its line (only blanks around it) takes
		 * the blanks and the line's end with it.
		 */
		lstart = start;
		lend = tend;
		standalone = 0;
		if (sigil == '#' || sigil == '^' || sigil == '/' ||
		    sigil == '!') {
			while (lstart > p->pos && (t[lstart - 1] == ' ' ||
			    t[lstart - 1] == '\t'))
				lstart--;
			if (lstart == 0 || t[lstart - 1] == '\n') {
				while (lend < p->len && (t[lend] == ' ' ||
				    t[lend] == '\t'))
					lend++;
				if (lend == p->len)
					standalone = 1;
				else if (t[lend] == '\n') {
					lend++;
					standalone = 1;
				} else if (t[lend] == '\r' &&
				    lend + 1 < p->len && t[lend + 1] == '\n') {
					lend += 2;
					standalone = 1;
				}
			}
		}
		if (!standalone) {
			lstart = start;
			lend = tend;
		}
		if (lstart > p->pos)
			tmpl_block_add(stack[depth], TMPL_NODE_TEXT, 0,
			    t + p->pos, lstart - p->pos);
		p->pos = lend;

		switch (sigil) {
		case '!':
			break;
		case '{':
		case '&':
			tmpl_block_add(stack[depth], TMPL_NODE_RAW, line, body,
			    blen);
			break;
		case '#':
		case '^':
			if (depth == TMPL_MAX_DEPTH)
				return tmpl_fail(p, line, "sections nested "
				    "deeper than %d", TMPL_MAX_DEPTH);
			n = tmpl_block_add(stack[depth], sigil == '#' ?
			    TMPL_NODE_SECTION : TMPL_NODE_INVERTED, line,
			    body, blen);
			/* The parent is not appended to until this closes. */
			depth++;
			stack[depth] = &n->body;
			open[depth] = n;
			break;
		case '/':
			if (depth == 0)
				return tmpl_fail(p, line, "{{/%.*s}} closes "
				    "no section", (int)blen, body);
			n = open[depth];
			if (n->len != blen || memcmp(n->text, body, blen) != 0)
				return tmpl_fail(p, line, "{{/%.*s}} does not "
				    "match {{%c%s}} opened on line %d",
				    (int)blen, body,
				    n->type == TMPL_NODE_SECTION ? '#' : '^',
				    n->text, n->line);
			depth--;
			break;
		default:
			tmpl_block_add(stack[depth], TMPL_NODE_VAR, line, body,
			    blen);
			break;
		}
	}
	if (depth > 0) {
		n = open[depth];
		return tmpl_fail(p, n->line, "{{%c%s}} is never closed",
		    n->type == TMPL_NODE_SECTION ? '#' : '^', n->text);
	}
	return 0;
}

/* Parse into a template; on failure *line and *msg say why. */
static int
tmpl_parse_internal(const char *text, size_t len, struct tmpl **out,
    int *line, char **msg)
{
	struct tmpl_parser	 p;
	struct tmpl		*t;

	*out = NULL;
	memset(&p, 0, sizeof p);
	p.text = text;
	p.len = len;
	p.line = 1;
	if (len > TMPL_MAX_SIZE) {
		*line = 0;
		xasprintf(msg, "template larger than %d KiB",
		    TMPL_MAX_SIZE / 1024);
		return -1;
	}
	t = xcalloc(1, sizeof *t);
	if (tmpl_check_text(&p) != 0 || tmpl_parse_text(&p, &t->root) != 0) {
		*line = p.err_line;
		*msg = p.err;
		tmpl_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

int
tmpl_parse(const char *text, size_t len, struct tmpl **out, char **cause)
{
	char	*msg;
	int	 line;

	if (tmpl_parse_internal(text, len, out, &line, &msg) == 0)
		return 0;
	if (line > 0)
		xasprintf(cause, "line %d: %s", line, msg);
	else
		*cause = xstrdup(msg);
	free(msg);
	return -1;
}

/* ---- Names ----------------------------------------------------------- */

static int
tmpl_walk(const struct tmpl_block *b, int (*fn)(const char *, int, void *),
    void *arg)
{
	size_t	i;
	int	rc;

	for (i = 0; i < b->n; i++) {
		if (b->nodes[i].type == TMPL_NODE_TEXT)
			continue;
		if ((rc = fn(b->nodes[i].text, b->nodes[i].line, arg)) != 0)
			return rc;
		if ((rc = tmpl_walk(&b->nodes[i].body, fn, arg)) != 0)
			return rc;
	}
	return 0;
}

int
tmpl_names(const struct tmpl *t, int (*fn)(const char *, int, void *),
    void *arg)
{
	return tmpl_walk(&t->root, fn, arg);
}

struct tmpl_check {
	const char *const	*allowed;
	const char		*bad;
	int			 line;
};

static int
tmpl_check_one(const char *name, int line, void *arg)
{
	struct tmpl_check	*c = arg;
	size_t			 i;

	for (i = 0; c->allowed[i] != NULL; i++) {
		if (strcmp(c->allowed[i], name) == 0)
			return 0;
	}
	c->bad = name;
	c->line = line;
	return 1;
}

int
tmpl_check_names(const struct tmpl *t, const char *const *allowed,
    char **cause)
{
	struct tmpl_check	c = { allowed, NULL, 0 };

	if (tmpl_walk(&t->root, tmpl_check_one, &c) == 0)
		return 0;
	if (t->path != NULL)
		xasprintf(cause, "%s:%d: unknown name \"%s\"", t->path, c.line,
		    c.bad);
	else
		xasprintf(cause, "line %d: unknown name \"%s\"", c.line, c.bad);
	return -1;
}

/* ---- Rendering ------------------------------------------------------- */

/* Innermost context first, as Mustache does. */
static const struct tmpl_value *
tmpl_lookup(const struct tmpl_record **ctx, size_t nctx, const char *name)
{
	const struct tmpl_value	*v;

	while (nctx > 0) {
		if ((v = tmpl_record_get(ctx[--nctx], name)) != NULL)
			return v;
	}
	return NULL;
}

static int
tmpl_buf_add(struct tmpl_buf *b, const char *s, size_t len)
{
	if (len > TMPL_MAX_OUTPUT - b->len)
		return -1;
	if (b->len + len + 1 > b->cap) {
		while (b->len + len + 1 > b->cap)
			b->cap = b->cap == 0 ? 1024 : b->cap * 2;
		b->data = xreallocarray(b->data, 1, b->cap);
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

static int
tmpl_buf_escape(struct tmpl_buf *b, const char *s)
{
	const char	*run = s, *rep;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if (tmpl_buf_add(b, run, s - run) != 0 ||
		    tmpl_buf_add(b, rep, strlen(rep)) != 0)
			return -1;
		run = s + 1;
	}
	return tmpl_buf_add(b, run, s - run);
}

static int
tmpl_render_block(const struct tmpl_block *blk, const struct tmpl_record **ctx,
    size_t nctx, int html, struct tmpl_buf *b)
{
	const struct tmpl_node	*n;
	const struct tmpl_value	*v;
	const char		*s;
	size_t			 i, j;
	int			 truthy;

	for (i = 0; i < blk->n; i++) {
		n = &blk->nodes[i];
		if (n->type == TMPL_NODE_TEXT) {
			if (tmpl_buf_add(b, n->text, n->len) != 0)
				return -1;
			continue;
		}
		v = tmpl_lookup(ctx, nctx, n->text);
		switch (n->type) {
		case TMPL_NODE_VAR:
		case TMPL_NODE_RAW:
			if (v == NULL || v->type == TMPL_LIST)
				break;
			if (v->type == TMPL_BOOL)
				s = v->v.boolean ? "yes" : "no";
			else
				s = v->v.string;
			if (html && n->type == TMPL_NODE_VAR) {
				if (tmpl_buf_escape(b, s) != 0)
					return -1;
			} else if (tmpl_buf_add(b, s, strlen(s)) != 0)
				return -1;
			break;
		case TMPL_NODE_SECTION:
		case TMPL_NODE_INVERTED:
			truthy = 0;
			if (v != NULL && v->type == TMPL_STRING)
				truthy = v->v.string[0] != '\0';
			else if (v != NULL && v->type == TMPL_BOOL)
				truthy = v->v.boolean;
			else if (v != NULL && v->type == TMPL_LIST)
				truthy = v->v.list->n > 0;
			if (n->type == TMPL_NODE_INVERTED) {
				if (!truthy && tmpl_render_block(&n->body,
				    ctx, nctx, html, b) != 0)
					return -1;
				break;
			}
			if (!truthy)
				break;
			if (v->type != TMPL_LIST) {
				if (tmpl_render_block(&n->body, ctx, nctx,
				    html, b) != 0)
					return -1;
				break;
			}
			/* Depth is bounded by the parser: nctx <= 17. */
			for (j = 0; j < v->v.list->n; j++) {
				ctx[nctx] = v->v.list->records[j];
				if (tmpl_render_block(&n->body, ctx, nctx + 1,
				    html, b) != 0)
					return -1;
			}
			break;
		case TMPL_NODE_TEXT:
			break;
		}
	}
	return 0;
}

int
tmpl_render(const struct tmpl *t, const struct tmpl_record *record, int html,
    char **out, size_t *len)
{
	const struct tmpl_record	*ctx[TMPL_MAX_DEPTH + 1];
	struct tmpl_buf			 b;

	memset(&b, 0, sizeof b);
	*out = NULL;
	*len = 0;
	ctx[0] = record;
	if (tmpl_buf_add(&b, "", 0) != 0 ||
	    tmpl_render_block(&t->root, ctx, 1, html, &b) != 0) {
		free(b.data);
		return -1;
	}
	*out = b.data;
	*len = b.len;
	return 0;
}

/* ---- Loading --------------------------------------------------------- */

static int
tmpl_file_name_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if ((*s < 'a' || *s > 'z') && (*s < '0' || *s > '9') &&
		    *s != '_' && *s != '-')
			return 0;
	}
	return 1;
}

/*
 * Read a whole template file. Returns 0, TMPL_LOAD_MISSING when it does not
 * exist, or -1; *cause set on failure.
 */
static int
tmpl_read_file(const char *path, char **data, size_t *len, char **cause)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 have = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? TMPL_LOAD_MISSING : -1;
	}
	if (fstat(fd, &st) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > TMPL_MAX_SIZE) {
		xasprintf(cause, "%s: larger than %d KiB", path,
		    TMPL_MAX_SIZE / 1024);
		goto fail;
	}
	/* One byte more than allowed, to notice a file that grew. */
	buf = xmalloc(TMPL_MAX_SIZE + 1);
	for (;;) {
		n = read(fd, buf + have, TMPL_MAX_SIZE + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		have += n;
		if (have > TMPL_MAX_SIZE) {
			xasprintf(cause, "%s: larger than %d KiB", path,
			    TMPL_MAX_SIZE / 1024);
			goto fail;
		}
	}
	close(fd);
	*data = buf;
	*len = have;
	return 0;

fail:
	free(buf);
	close(fd);
	return -1;
}

int
tmpl_load_file(const char *dir, const char *override_dir, const char *name,
    const char *ext, struct tmpl **out, char **cause)
{
	char	*path = NULL, *data = NULL, *msg;
	size_t	 len;
	int	 rc, line;

	*out = NULL;
	if (!tmpl_file_name_valid(name) || !tmpl_file_name_valid(ext)) {
		xasprintf(cause, "bad template file name");
		return -1;
	}
	rc = TMPL_LOAD_MISSING;
	if (override_dir != NULL && *override_dir != '\0') {
		xasprintf(&path, "%s/%s.%s", override_dir, name, ext);
		rc = tmpl_read_file(path, &data, &len, cause);
		if (rc == TMPL_LOAD_MISSING) {
			free(*cause);
			*cause = NULL;
			free(path);
			path = NULL;
		}
	}
	if (rc == TMPL_LOAD_MISSING) {
		xasprintf(&path, "%s/%s.%s", dir, name, ext);
		rc = tmpl_read_file(path, &data, &len, cause);
	}
	if (rc != 0) {
		free(path);
		return rc;
	}
	if (tmpl_parse_internal(data, len, out, &line, &msg) != 0) {
		if (line > 0)
			xasprintf(cause, "%s:%d: %s", path, line, msg);
		else
			xasprintf(cause, "%s: %s", path, msg);
		free(msg);
		free(data);
		free(path);
		return -1;
	}
	free(data);
	(*out)->path = path;
	return TMPL_LOAD_OK;
}
