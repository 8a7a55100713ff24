/*
 * template.h - the Mustache subset of SPEC §4 for outgoing mail.
 *
 * Tags:
 *	{{name}}		the value, HTML-escaped when rendering for .html
 *	{{{name}}} {{&name}}	the value as it is
 *	{{#name}}...{{/name}}	once per record of a non-empty list (the record
 *				is searched first for names inside), or once for
 *				a non-empty string or a true boolean
 *	{{^name}}...{{/name}}	once when name is missing, false, "" or an
 *				empty list
 *	{{! comment}}		nothing; may span lines
 * Names are letters, digits, '_' and '-'; spaces inside the braces are
 * allowed. Dotted names, partials and delimiter changes are refused.
 * A section, inverted section, closing or comment tag that stands alone on
 * its line takes the whole line with it (Mustache "standalone" rule), so
 * that plain-text templates can put section tags on lines of their own.
 *
 * Parsing is separate from rendering: a template is parsed once (at start,
 * at SIGHUP, by --check-config), its names checked against the names its
 * kind may use, and then rendered many times. At render time a missing name
 * renders as nothing; tmpl_check_names() is what catches a misspelt one.
 */
#ifndef RR_TEMPLATE_H
#define RR_TEMPLATE_H

#include <stddef.h>

#define TMPL_MAX_SIZE	(256 * 1024)		/* bytes of template text */
#define TMPL_MAX_DEPTH	16			/* nested sections */
#define TMPL_MAX_OUTPUT	(4 * 1024 * 1024)	/* bytes rendered */
#define TMPL_MAX_NAME	64			/* bytes in a name */

/* ---- Data model: a tree of records --------------------------------- */

enum tmpl_type {
	TMPL_STRING,
	TMPL_BOOL,
	TMPL_LIST,
};

struct tmpl_list;	/* an ordered list of records */
struct tmpl_record;	/* an ordered map from name to value */

struct tmpl_value {
	enum tmpl_type		 type;
	union {
		char		*string;	/* UTF-8, NUL-terminated */
		int		 boolean;	/* 0 or 1 */
		struct tmpl_list *list;
	} v;
};

/* A new, empty record. Free with tmpl_record_free(). */
struct tmpl_record *tmpl_record_new(void);

/* Free a record and everything below it. NULL is allowed. */
void	tmpl_record_free(struct tmpl_record *);

/*
 * Set name to a copy of value (NULL is taken as ""). Setting a name that
 * is already set replaces its value and keeps its place.
 */
void	tmpl_record_set_string(struct tmpl_record *, const char *name,
	    const char *value);
void	tmpl_record_set_printf(struct tmpl_record *, const char *name,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	tmpl_record_set_bool(struct tmpl_record *, const char *name,
	    int value);

/*
 * Set name to a new empty list and return it, to append records to with
 * tmpl_list_add_record(). The record owns the list.
 */
struct tmpl_list *tmpl_record_add_list(struct tmpl_record *,
	    const char *name);

/* Append a new empty record to list and return it. The list owns it. */
struct tmpl_record *tmpl_list_add_record(struct tmpl_list *);

/* Number of records in a list. */
size_t	tmpl_list_count(const struct tmpl_list *);

/* The value of name in this record (not its parents), or NULL. */
const struct tmpl_value *tmpl_record_get(const struct tmpl_record *,
	    const char *name);

/* ---- Templates ------------------------------------------------------ */

struct tmpl;

/*
 * Parse len bytes of UTF-8 template text. On success *out is the parsed
 * template (free with tmpl_free()). Returns -1 with *cause set (caller
 * frees), as "line N: message", when the text is larger than
 * TMPL_MAX_SIZE, is not UTF-8 or holds a NUL, has a tag with no end, a tag
 * of unknown or unsupported syntax (partials, delimiter changes, dotted
 * names), an empty or bad name, a section that is not closed or a closing
 * tag that does not match, or sections nested deeper than TMPL_MAX_DEPTH.
 */
int	tmpl_parse(const char *text, size_t len, struct tmpl **out,
	    char **cause);

/* Free a template. NULL is allowed. */
void	tmpl_free(struct tmpl *);

/*
 * The file a template was loaded from ("dir/name.ext") or NULL when it was
 * parsed from memory. Owned by the template.
 */
const char *tmpl_path(const struct tmpl *);

/*
 * Call fn once for every variable and section name in the template, in the
 * order they appear, with the line it is on. A non-zero return from fn
 * stops the walk and is returned; otherwise 0.
 */
int	tmpl_names(const struct tmpl *,
	    int (*fn)(const char *name, int line, void *arg), void *arg);

/*
 * Check every name the template uses against allowed, a NULL-terminated
 * array. Returns 0, or -1 with *cause set (caller frees) naming the first
 * unknown name and its line: "path:12: unknown name \"chiar\"" for a loaded
 * template, "line 12: unknown name \"chiar\"" for a parsed one.
 */
int	tmpl_check_names(const struct tmpl *, const char *const *allowed,
	    char **cause);

/*
 * Render the template with record as the outermost context (NULL: every
 * name is missing). html non-zero escapes {{name}} values for HTML
 * (& < > " '). A boolean renders as "yes" or "no", a list as nothing.
 * On success *out is a malloc'd, NUL-terminated buffer (caller frees with
 * free(3)) and *len its length without the NUL. Returns -1, with *out
 * NULL, only when the output would exceed TMPL_MAX_OUTPUT.
 */
int	tmpl_render(const struct tmpl *, const struct tmpl_record *record,
	    int html, char **out, size_t *len);

/* tmpl_load_file() results. */
#define TMPL_LOAD_OK		0
#define TMPL_LOAD_MISSING	1	/* in neither directory */

/*
 * Load and parse "name.ext" (e.g. "request", "txt"), from override_dir when
 * it holds that file (the administrator's copy, e.g.
 * /etc/rapidreviewd/templates), else from dir. override_dir may be NULL.
 * name and ext are fixed by our code, never taken from input; anything but
 * [a-z0-9_-] in them is refused. The file must be a regular file of at most
 * TMPL_MAX_SIZE bytes.
 * Returns TMPL_LOAD_OK with *out set (free with tmpl_free()),
 * TMPL_LOAD_MISSING when neither directory has the file (an optional .html
 * is simply absent), or -1 on any other error; in both failure cases
 * *cause is set (caller frees), as "path:line: message" for a parse error.
 */
int	tmpl_load_file(const char *dir, const char *override_dir,
	    const char *name, const char *ext, struct tmpl **out,
	    char **cause);

#endif
