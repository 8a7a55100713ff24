/*
 * returnform.c - personalise the Word return form: copy the template's
 * entries into a new archive, filling the RR_ placeholders of the
 * document, header and footer parts with escaped values.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "returnform.h"
#include "xmalloc.h"
#include "zip.h"

struct rf_buf {
	char	*data;
	size_t	 len, cap;
};

/* What a newline in a value becomes where the placeholder stands. */
enum rf_break {
	RF_BREAK_SPACE,		/* not in a w:t: a space */
	RF_BREAK_LINE,		/* a w:br inside the run */
	RF_BREAK_PARA,		/* the placeholder's paragraph, again */
};

/* For RF_BREAK_PARA: the XML that closes the placeholder's paragraph
 * (from after the placeholder to after </w:p>) and the XML that opens a
 * copy of it (from <w:p to the placeholder, its ids removed). */
struct rf_shell {
	const char	*close;
	size_t		 close_len;
	struct rf_buf	 open;
};

/* Tags that must not be repeated with a paragraph: they carry ids, other
 * text, or structure. */
static const char *const rf_unsafe[] = {
	"<w:bookmark", "<w:fld", "<w:instrText", "<w:sdt", "</w:sdt",
	"<w:hyperlink", "</w:hyperlink", "<w:comment", "<w:ins ", "<w:ins>",
	"<w:del ", "<w:del>", "<w:move", "<w:tbl", "<w:tc", "</w:tc",
	"<w:footnoteRef", "<w:endnoteRef", "<w:drawing", "<w:pict",
	"<w:object", "<mc:", "<w:txbxContent", "</w:p>", NULL
};

static void	rf_buf_add(struct rf_buf *, const char *, size_t);
static size_t	rf_utf8_len(const unsigned char *, size_t);
static void	rf_buf_escape(struct rf_buf *, const char *, size_t);
static int	rf_read_file(const char *, unsigned char **, size_t *,
		    char **);
static int	rf_is_part(const char *);
static int	rf_tag_at(const char *, const char *, const char *);
static size_t	rf_count_tag(const char *, const char *, const char *);
static const char *rf_find(const char *, const char *, const char *);
static int	rf_safe(const char *, const char *);
static void	rf_shell_open(struct rf_buf *, const char *, const char *);
static enum rf_break rf_break_for(const char *, size_t, size_t, size_t,
		    struct rf_shell *);
static void	rf_put_value(struct rf_buf *, const char *, enum rf_break,
		    const struct rf_shell *);
static char	*rf_fill(const char *, size_t, const struct returnform_fields *,
		    size_t *);

static void
rf_buf_add(struct rf_buf *b, const char *s, size_t n)
{
	size_t	cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (b->len + n + 1 > cap)
			cap *= 2;
		b->data = xreallocarray(b->data, 1, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/*
 * The length of the UTF-8 sequence at s (n bytes left) when it is one XML
 * may carry, else 0: no overlong forms, surrogates, U+FFFE, U+FFFF or
 * values past U+10FFFF.
 */
static size_t
rf_utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/* One line of a value, escaped for XML text and attributes alike. */
static void
rf_buf_escape(struct rf_buf *b, const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, k;

	while (i < n) {
		switch (u[i]) {
		case '&':
			rf_buf_add(b, "&amp;", 5);
			break;
		case '<':
			rf_buf_add(b, "&lt;", 4);
			break;
		case '>':
			rf_buf_add(b, "&gt;", 4);
			break;
		case '"':
			rf_buf_add(b, "&quot;", 6);
			break;
		case '\'':
			rf_buf_add(b, "&apos;", 6);
			break;
		default:
			if (u[i] < 0x20 && u[i] != '\t')
				break;	/* not allowed in XML 1.0 */
			if (u[i] == 0x7f)
				break;
			if ((k = rf_utf8_len(u + i, n - i)) == 0) {
				rf_buf_add(b, "\xef\xbf\xbd", 3);
				break;
			}
			rf_buf_add(b, s + i, k);
			i += k;
			continue;
		}
		i++;
	}
}

static int
rf_read_file(const char *path, unsigned char **data, size_t *len,
    char **cause)
{
	struct stat	 st;
	unsigned char	*buf = NULL;
	size_t		 have = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > RETURNFORM_MAX_TEMPLATE) {
		xasprintf(cause, "%s: larger than %d MiB", path,
		    RETURNFORM_MAX_TEMPLATE / (1024 * 1024));
		goto fail;
	}
	/* One byte more than allowed, to notice a file that grew. */
	buf = xmalloc(RETURNFORM_MAX_TEMPLATE + 1);
	for (;;) {
		n = read(fd, buf + have, RETURNFORM_MAX_TEMPLATE + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		have += n;
		if (have > RETURNFORM_MAX_TEMPLATE) {
			xasprintf(cause, "%s: larger than %d MiB", path,
			    RETURNFORM_MAX_TEMPLATE / (1024 * 1024));
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

/* The parts whose text a person sees: the body, headers and footers. */
static int
rf_is_part(const char *name)
{
	size_t	n = strlen(name);

	if (strcmp(name, "word/document.xml") == 0)
		return 1;
	if (strncmp(name, "word/header", 11) != 0 &&
	    strncmp(name, "word/footer", 11) != 0)
		return 0;
	return n >= 15 && strcmp(name + n - 4, ".xml") == 0 &&
	    strchr(name + 5, '/') == NULL;
}

/* Whether p (before end) starts the tag <name followed by space, > or /. */
static int
rf_tag_at(const char *p, const char *end, const char *name)
{
	size_t	n = strlen(name);

	if ((size_t)(end - p) < n + 2 || p[0] != '<' ||
	    memcmp(p + 1, name, n) != 0)
		return 0;
	return p[n + 1] == ' ' || p[n + 1] == '>' || p[n + 1] == '/' ||
	    p[n + 1] == '\t' || p[n + 1] == '\r' || p[n + 1] == '\n';
}

static size_t
rf_count_tag(const char *s, const char *e, const char *name)
{
	size_t	n = 0;

	for (; s < e; s++) {
		if (*s == '<' && rf_tag_at(s, e, name))
			n++;
	}
	return n;
}

static const char *
rf_find(const char *s, const char *e, const char *needle)
{
	return memmem(s, (size_t)(e - s), needle, strlen(needle));
}

static int
rf_safe(const char *s, const char *e)
{
	size_t	i;

	for (i = 0; rf_unsafe[i] != NULL; i++) {
		if (rf_find(s, e, rf_unsafe[i]) != NULL)
			return 0;
	}
	return 1;
}

/* The paragraph's opening XML, without the ids Word wants unique. */
static void
rf_shell_open(struct rf_buf *b, const char *s, const char *e)
{
	static const char *const ids[] = { " w14:paraId=\"", " w14:textId=\"",
	    NULL };
	const char	*tag_end, *q;
	size_t		 i, n;

	if ((tag_end = memchr(s, '>', (size_t)(e - s))) == NULL)
		tag_end = e;
	while (s < tag_end) {
		for (i = 0; ids[i] != NULL; i++) {
			n = strlen(ids[i]);
			if ((size_t)(tag_end - s) > n &&
			    memcmp(s, ids[i], n) == 0)
				break;
		}
		if (ids[i] != NULL &&
		    (q = memchr(s + n, '"', (size_t)(tag_end - s - n))) != NULL) {
			s = q + 1;
			continue;
		}
		rf_buf_add(b, s, 1);
		s++;
	}
	rf_buf_add(b, s, (size_t)(e - s));
}

/*
 * How newlines go where the placeholder at xml[at..at+plen) stands. A new
 * paragraph when the placeholder's w:t is the paragraph's only text and
 * nothing around it carries an id or structure; a line break when it is
 * at least in a w:t; else a space.
 */
static enum rf_break
rf_break_for(const char *xml, size_t len, size_t at, size_t plen,
    struct rf_shell *sh)
{
	const char	*end = xml + len, *ph = xml + at, *after = ph + plen;
	const char	*t, *q, *ps, *pe;

	if ((t = memrchr(xml, '<', at)) == NULL || !rf_tag_at(t, end, "w:t") ||
	    memchr(t, '>', (size_t)(ph - t)) == NULL)
		return RF_BREAK_SPACE;
	if ((q = memchr(after, '<', (size_t)(end - after))) == NULL ||
	    (size_t)(end - q) < 6 || memcmp(q, "</w:t>", 6) != 0)
		return RF_BREAK_SPACE;
	/* Other text in the same w:t would be repeated with the paragraph. */
	if ((const char *)memchr(t, '>', (size_t)(ph - t)) + 1 != ph ||
	    q != after)
		return RF_BREAK_LINE;

	for (ps = t; !(*ps == '<' && rf_tag_at(ps, end, "w:p")); ps--) {
		if (ps == xml)
			return RF_BREAK_LINE;
	}
	if ((pe = rf_find(after, end, "</w:p>")) == NULL)
		return RF_BREAK_LINE;
	pe += 6;
	if (!rf_safe(ps, ph) || !rf_safe(after, pe - 6) ||
	    rf_count_tag(ps, ph, "w:t") != 1 ||
	    rf_count_tag(after, pe, "w:t") != 0 ||
	    rf_count_tag(ps + 1, ph, "w:p") != 0)
		return RF_BREAK_LINE;

	sh->close = after;
	sh->close_len = (size_t)(pe - after);
	rf_shell_open(&sh->open, ps, ph);
	return RF_BREAK_PARA;
}

/* A value, line by line: blank lines and CRs dropped, each run of
 * newlines one break. */
static void
rf_put_value(struct rf_buf *b, const char *v, enum rf_break mode,
    const struct rf_shell *sh)
{
	static const char	 br[] = "</w:t><w:br/><w:t xml:space=\"preserve\">";
	const char		*s = v, *e, *p;
	int			 first = 1;

	while (*s != '\0') {
		e = s + strcspn(s, "\n");
		for (p = s; p < e && (*p == ' ' || *p == '\t' || *p == '\r');
		    p++)
			;
		if (p < e) {
			if (!first) {
				switch (mode) {
				case RF_BREAK_SPACE:
					rf_buf_add(b, " ", 1);
					break;
				case RF_BREAK_LINE:
					rf_buf_add(b, br, sizeof br - 1);
					break;
				case RF_BREAK_PARA:
					rf_buf_add(b, sh->close, sh->close_len);
					rf_buf_add(b, sh->open.data,
					    sh->open.len);
					break;
				}
			}
			first = 0;
			rf_buf_escape(b, s, (size_t)(e - s));
		}
		s = *e == '\n' ? e + 1 : e;
	}
}

/* The part with every placeholder replaced; caller frees. */
static char *
rf_fill(const char *xml, size_t len, const struct returnform_fields *f,
    size_t *outlen)
{
	const struct {
		const char	*name;
		const char	*value;
	} ph[] = {
		{ "RR_CASE_REF", f->case_ref },
		{ "RR_AGENCY_NAME", f->agency_name },
		{ "RR_DUE", f->due },
		{ "RR_BACKGROUND", f->background },
		{ "RR_MARKING", f->marking },
	};
	struct rf_buf	 out = { NULL, 0, 0 };
	struct rf_shell	 sh;
	enum rf_break	 mode;
	const char	*q, *v;
	size_t		 i = 0, at, j, n;

	rf_buf_add(&out, "", 0);
	while (i < len) {
		if ((q = memmem(xml + i, len - i, "RR_", 3)) == NULL)
			break;
		at = (size_t)(q - xml);
		rf_buf_add(&out, xml + i, at - i);
		for (j = 0; j < sizeof ph / sizeof ph[0]; j++) {
			n = strlen(ph[j].name);
			if (len - at >= n && memcmp(q, ph[j].name, n) == 0)
				break;
		}
		if (j == sizeof ph / sizeof ph[0]) {
			rf_buf_add(&out, q, 3);
			i = at + 3;
			continue;
		}
		v = ph[j].value != NULL ? ph[j].value : "";
		memset(&sh, 0, sizeof sh);
		mode = RF_BREAK_SPACE;
		if (strchr(v, '\n') != NULL)
			mode = rf_break_for(xml, len, at, n, &sh);
		rf_put_value(&out, v, mode, &sh);
		free(sh.open.data);
		i = at + n;
	}
	if (i < len)
		rf_buf_add(&out, xml + i, len - i);
	*outlen = out.len;
	return out.data;
}

int
returnform_build(const char *template_path,
    const struct returnform_fields *f, unsigned char **docx, size_t *len,
    char **cause)
{
	struct zip_limits	 lim;
	struct zip		*z = NULL;
	struct zip_writer	*w = NULL;
	const struct zip_entry	*ze;
	unsigned char		*tpl = NULL, *data = NULL, *junk;
	char			*filled, *why = NULL;
	size_t			 tpl_len, data_len, filled_len, i, n;

	*docx = NULL;
	*len = 0;
	if (rf_read_file(template_path, &tpl, &tpl_len, cause) != 0)
		return -1;
	zip_limits_default(&lim);
	if (zip_open(tpl, tpl_len, &lim, &z, &why) != ZIP_OK) {
		xasprintf(cause, "%s: not a usable Word document: %s",
		    template_path, why);
		free(why);
		goto fail;
	}
	if (zip_find(z, "word/document.xml") == NULL) {
		xasprintf(cause, "%s: not a Word document (no "
		    "word/document.xml)", template_path);
		goto fail;
	}

	w = zip_writer_new();
	for (i = 0; i < zip_count(z); i++) {
		ze = zip_entry_at(z, i);
		n = strlen(ze->name);
		if (n == 0 || ze->name[n - 1] == '/')
			continue;	/* a folder entry */
		if (zip_read(z, ze->name, &data, &data_len, &why) != ZIP_OK) {
			xasprintf(cause, "%s: %s", template_path, why);
			free(why);
			goto fail;
		}
		if (rf_is_part(ze->name)) {
			filled = rf_fill((const char *)data, data_len, f,
			    &filled_len);
			zip_writer_add(w, ze->name, filled, filled_len, 1);
			free(filled);
		} else
			zip_writer_add(w, ze->name, data, data_len, 1);
		free(data);
		data = NULL;
	}
	zip_writer_finish(w, docx, len);
	zip_close(z);
	free(tpl);
	return 0;

fail:
	if (w != NULL) {
		/* The writer is freed only by finishing it. */
		zip_writer_finish(w, &junk, &n);
		free(junk);
	}
	free(data);
	if (z != NULL)
		zip_close(z);
	free(tpl);
	return -1;
}
