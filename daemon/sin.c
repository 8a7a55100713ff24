/*
 * sin.c - the labelled fields of a Serious Incident Notification, read
 * line by line from plain text (SPEC §3.1).
 *
 * One pass over the lines collects the raw text of each field; a second
 * step turns it into struct sin_fields: placeholders dropped, dates
 * parsed, the incident type normalised, the lists split, and the missing
 * fields and warnings listed. Nothing here logs: the values are personal
 * data.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "date.h"
#include "sin.h"
#include "text.h"
#include "xmalloc.h"

#define LABEL_SCAN	96	/* bytes of a line where a label may end */
#define LABEL_NORM	40	/* longer than any normalised label */
#define GUESS_SCAN	40	/* bytes before ":" in an unknown label */
#define ECHO_MAX	80	/* bytes of a value echoed in a warning */
#define NAME_NORM	512	/* longest agency name compared */
#define DATE_MAX	64	/* longest date text */

enum field {
	F_CHILD,
	F_OTHERS,
	F_AGE,
	F_DOB,
	F_SEX,
	F_ETHNICITY,
	F_DISABILITY,
	F_TYPE,
	F_INCIDENT_DATE,
	F_AWARE,
	F_NOTIFIED,
	F_PANEL_REF,
	F_LA,
	F_RESIDING,
	F_BACKGROUND,
	F_AGENCIES,
	F_COUNT
};
#define F_NONE		(-1)

enum kind {
	K_LINE,		/* one value; wrapped lines joined by a space */
	K_LIST,		/* one item a line, ends at a blank line */
	K_TEXT,		/* paragraphs, ends only at a label */
};

static const struct field_info {
	const char	*name;		/* in warnings and missing */
	enum kind	 kind;
	int		 required;
} fields[F_COUNT] = {
	[F_CHILD] =		{ "Child", K_LINE, 1 },
	[F_OTHERS] =		{ "Other children", K_LIST, 0 },
	[F_AGE] =		{ "Age", K_LINE, 0 },
	[F_DOB] =		{ "Date of birth", K_LINE, 0 },
	[F_SEX] =		{ "Sex", K_LINE, 0 },
	[F_ETHNICITY] =		{ "Ethnicity", K_LINE, 0 },
	[F_DISABILITY] =	{ "Disability", K_LINE, 0 },
	[F_TYPE] =		{ "Incident type", K_LINE, 1 },
	[F_INCIDENT_DATE] =	{ "Incident date", K_LINE, 0 },
	[F_AWARE] =		{ "Date aware", K_LINE, 0 },
	[F_NOTIFIED] =		{ "Date notified", K_LINE, 0 },
	[F_PANEL_REF] =		{ "Panel reference", K_LINE, 0 },
	[F_LA] =		{ "Local authority", K_LINE, 0 },
	[F_RESIDING] =		{ "Residing local authority", K_LINE, 0 },
	[F_BACKGROUND] =	{ "Case background", K_TEXT, 1 },
	[F_AGENCIES] =		{ "Agencies involved", K_LIST, 0 },
};

/* Labels, normalised: lower-case letters and digits only. */
static const struct label {
	const char	*text;
	enum field	 field;
} labels[] = {
	{ "child", F_CHILD },
	{ "childidentifier", F_CHILD },
	{ "childsname", F_CHILD },
	{ "childname", F_CHILD },
	{ "nameofchild", F_CHILD },
	{ "name", F_CHILD },
	{ "pseudonym", F_CHILD },
	{ "childpseudonym", F_CHILD },
	{ "subjectchild", F_CHILD },
	{ "otherchildren", F_OTHERS },
	{ "otherchild", F_OTHERS },
	{ "siblings", F_OTHERS },
	{ "otherchildreninhousehold", F_OTHERS },
	{ "otherchildreninthehousehold", F_OTHERS },
	{ "age", F_AGE },
	{ "childsage", F_AGE },
	{ "ageofchild", F_AGE },
	{ "ageatincident", F_AGE },
	{ "ageattimeofincident", F_AGE },
	{ "ageatthetimeoftheincident", F_AGE },
	{ "dateofbirth", F_DOB },
	{ "dob", F_DOB },
	{ "childsdateofbirth", F_DOB },
	{ "sex", F_SEX },
	{ "gender", F_SEX },
	{ "ethnicity", F_ETHNICITY },
	{ "ethnicorigin", F_ETHNICITY },
	{ "disability", F_DISABILITY },
	{ "disabilities", F_DISABILITY },
	{ "send", F_DISABILITY },
	{ "additionalneeds", F_DISABILITY },
	{ "incidenttype", F_TYPE },
	{ "typeofincident", F_TYPE },
	{ "natureofincident", F_TYPE },
	{ "deathorseriousharm", F_TYPE },
	{ "incidentdate", F_INCIDENT_DATE },
	{ "dateofincident", F_INCIDENT_DATE },
	{ "dateoftheincident", F_INCIDENT_DATE },
	{ "dateofdeath", F_INCIDENT_DATE },
	{ "dateaware", F_AWARE },
	{ "datelaaware", F_AWARE },
	{ "datelabecameaware", F_AWARE },
	{ "datelocalauthorityaware", F_AWARE },
	{ "datelocalauthoritybecameaware", F_AWARE },
	{ "datenotified", F_NOTIFIED },
	{ "dateofnotification", F_NOTIFIED },
	{ "datesinsent", F_NOTIFIED },
	{ "notificationdate", F_NOTIFIED },
	{ "datesinsubmitted", F_NOTIFIED },
	{ "panelreference", F_PANEL_REF },
	{ "panelref", F_PANEL_REF },
	{ "sinreference", F_PANEL_REF },
	{ "sinref", F_PANEL_REF },
	{ "notificationreference", F_PANEL_REF },
	{ "localauthority", F_LA },
	{ "la", F_LA },
	{ "notifyinglocalauthority", F_LA },
	{ "notifyingla", F_LA },
	{ "notifyingauthority", F_LA },
	{ "residinglocalauthority", F_RESIDING },
	{ "residingla", F_RESIDING },
	{ "homeauthority", F_RESIDING },
	{ "homelocalauthority", F_RESIDING },
	{ "homela", F_RESIDING },
	{ "residingauthority", F_RESIDING },
	{ "casebackground", F_BACKGROUND },
	{ "background", F_BACKGROUND },
	{ "summary", F_BACKGROUND },
	{ "briefsummary", F_BACKGROUND },
	{ "circumstances", F_BACKGROUND },
	{ "circumstancesoftheincident", F_BACKGROUND },
	{ "summaryofcircumstances", F_BACKGROUND },
	{ "summaryofincident", F_BACKGROUND },
	{ "agenciesinvolved", F_AGENCIES },
	{ "agencies", F_AGENCIES },
	{ "agenciesknown", F_AGENCIES },
	{ "servicesinvolved", F_AGENCIES },
	{ "otheragenciesinvolved", F_AGENCIES },
};

/* Words that mean the optional field was not given (normalised). */
static const char *const placeholders[] = {
	"na", "none", "unknown", "notknown", "nk", "nil", "notapplicable",
	"tbc", "tba", "tobeconfirmed", NULL
};

/* Lines that close a message body; a value ends there. */
static const char *const signoffs[] = {
	"kind regards", "best regards", "warm regards", "regards",
	"many thanks", "thanks", "thank you", "best wishes", "with thanks",
	"yours sincerely", "yours faithfully", NULL
};

/* Words after "and" that keep it inside one agency's name. */
static const char *const and_joins[] = {
	"adolescent", "adolescents", "families", "family", "young", "crime",
	"alcohol", "emergency", "wellbeing", "skills", NULL
};

static const char *const months[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};

static const char *const weekdays[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
	"sat", "sun", NULL
};

struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 cut;		/* SIN_MAX_VALUE reached */
};

struct strvec {
	char	**v;
	size_t	  n;
};

struct parse {
	struct buf	 val[F_COUNT];
	int		 seen[F_COUNT];
	int		 dup_warned[F_COUNT];
	struct buf	 scratch;	/* a repeat's lines */
	int		 cur;		/* field read, or F_NONE */
	int		 dup;		/* cur is a repeat */
	int		 blank;		/* blank since cur's text */
	int		 found;
	int		 children_full;	/* children were left out */
	int		 child_weak;	/* Child is from a bare "Name" */
	struct strvec	 warnings;
};

static void	 buf_add(struct buf *, const char *, size_t);
static void	 buf_free(struct buf *);
static void	 strvec_add(struct strvec *, char *);
static void	 parse_warn(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static char	*echo(const char *);
static const char *skip_bullets(const char *, const char *);
static int	 is_bullet_line(const char *, const char *);
static int	 label_lookup(const char *, size_t);
static int	 label_field(const char *, size_t, size_t, int *);
static int	 label_find(const char *, const char *, const char **, int *);
static int	 looks_like_label(const char *, const char *);
static int	 is_signoff(const char *, const char *);
static int	 is_attribution(const char *, const char *);
static int	 is_stop(const char *, const char *);
static int	 is_placeholder(const char *);
static int	 has_alnum(const char *);
static void	 parse_text(struct parse *, const char *);
static void	 parse_line(struct parse *, const char *, const char *);
static void	 parse_start(struct parse *, int, int, const char *,
		    const char *);
static void	 parse_add(struct parse *, const char *, const char *);
static char	*field_take(struct parse *, int);
static void	 field_date(struct parse *, int, long *);
static const char *incident_kind(const char *);
static int	 age_like(const char *, const char *);
static void	 children_add(struct parse *, struct sin_fields *,
		    const char *);
static void	 parse_children(struct parse *, struct sin_fields *);
static void	 parse_incident(struct parse *, struct sin_fields *);
static void	 agencies_add(struct sin_fields *, const char *);
static int	 agency_norm(const char *, const char *, int, char *, size_t);
static int	 agency_equal(const struct agency_config *, const char *,
		    int);
static int	 agency_suffix(const struct agency_config *, const char *,
		    int);

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > SIN_MAX_VALUE) {
		n = SIN_MAX_VALUE - b->len;
		/* Do not cut a UTF-8 sequence in two. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		b->cut = 1;
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = b->len + n + 1 < 64 ? 64 : (b->len + n + 1) * 2;
		if (b->cap > SIN_MAX_VALUE + 1)
			b->cap = SIN_MAX_VALUE + 1;
		b->s = xreallocarray(b->s, 1, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_free(struct buf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

static void
strvec_add(struct strvec *sv, char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof *sv->v);
	sv->v[sv->n++] = s;
}

static void
parse_warn(struct parse *p, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	strvec_add(&p->warnings, s);
}

/* The start of a value for a warning: one line, at most ECHO_MAX bytes. */
static char *
echo(const char *v)
{
	size_t	 n = strlen(v), i;
	char	*s;

	if (n > ECHO_MAX) {
		n = ECHO_MAX;
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	s = xmalloc(n + 4);
	memcpy(s, v, n);
	for (i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\t')
			s[i] = ' ';
	strcpy(s + n, n < strlen(v) ? "..." : "");
	return s;
}

/*
 * Past list markers at the start of a trimmed line: bullets ("-", "*",
 * "•", "–", "·") and numbering ("1.", "2)", "(3)", "a)").
 */
static const char *
skip_bullets(const char *s, const char *e)
{
	static const char *const marks[] = { "\xe2\x80\xa2", "\xe2\x80\x93",
	    "\xe2\x80\x94", "\xc2\xb7", "\xe2\x96\xaa", "\xe2\x97\xa6", "-",
	    "*", "+", NULL };
	const char	*p;
	size_t		 n;
	int		 round, i, hit;

	for (round = 0; round < 3; round++) {
		hit = 0;
		for (i = 0; marks[i] != NULL; i++) {
			n = strlen(marks[i]);
			if ((size_t)(e - s) > n &&
			    memcmp(s, marks[i], n) == 0 &&
			    text_space_at(s + n, e) > 0) {
				s += n;
				hit = 1;
				break;
			}
		}
		if (!hit) {
			p = s;
			if (p < e && *p == '(')
				p++;
			n = 0;
			while (p < e && n < 3 && isdigit((unsigned char)*p)) {
				p++;
				n++;
			}
			if (n == 0 && p < e && p + 1 < e &&
			    isalpha((unsigned char)*p) && p[1] == ')')
				p++, n = 1;
			if (n > 0 && p < e && (*p == '.' || *p == ')') &&
			    text_space_at(p + 1, e) > 0) {
				s = p + 1;
				hit = 1;
			}
		}
		if (!hit)
			break;
		while ((n = text_space_at(s, e)) > 0)
			s += n;
	}
	return s;
}

static int
is_bullet_line(const char *s, const char *e)
{
	return skip_bullets(s, e) != s;
}

/* The field of a normalised label, or F_NONE. */
static int
label_lookup(const char *norm, size_t n)
{
	size_t	i;

	for (i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strlen(labels[i].text) == n &&
		    memcmp(norm, labels[i].text, n) == 0)
			return labels[i].field;
	return F_NONE;
}

/*
 * The field of the label norm[0..n), or F_NONE; "A/B" (split at slash) is
 * taken when A and B name the same field. *weak is set to 1 for a bare
 * "Name", which may be the notifier's.
 */
static int
label_field(const char *norm, size_t n, size_t slash, int *weak)
{
	int	f;

	if (n == 0)
		return F_NONE;
	*weak = n == 4 && memcmp(norm, "name", 4) == 0;
	if ((f = label_lookup(norm, n)) != F_NONE)
		return f;
	if (slash == 0 || slash >= n)
		return F_NONE;
	/* "Sex/Gender", "Disability / SEND" */
	if ((f = label_lookup(norm, slash)) == F_NONE ||
	    label_lookup(norm + slash, n - slash) != f)
		return F_NONE;
	return f;
}

/*
 * When the trimmed line [s, e) is a label line, return its field and set
 * *value to the text after the separator (e for a heading); else F_NONE.
 * The label is normalised as it is read: letters and digits, lower-case,
 * without bracketed notes ("(if known)"). Separators: ":", TAB, "|", "=",
 * and a dash ("-", "–", "—") with space before or after it. The first
 * separator whose left side is a label wins. Linear in the line: reading
 * stops once the label is longer than any we know.
 */
static int
label_find(const char *s, const char *e, const char **value, int *weak)
{
	char		 norm[LABEL_NORM];
	const char	*p, *lim, *v;
	char		 bold = 0;
	size_t		 sep, n = 0, slash = 0;
	int		 f, depth = 0;

	s = skip_bullets(s, e);
	if (s < e && (*s == '*' || *s == '_'))
		bold = *s;
	lim = e - s > LABEL_SCAN ? s + LABEL_SCAN : e;
	for (p = s; p < lim; p++) {
		sep = 0;
		if (*p == ':' || *p == '\t' || *p == '|' || *p == '=')
			sep = 1;
		else if (*p == '-' && p > s && (text_space_at(p - 1, e) ||
		    p + 1 == e || text_space_at(p + 1, e)))
			sep = 1;
		else if (e - p >= 3 && p > s &&
		    memcmp(p, "\xe2\x80", 2) == 0 &&
		    ((unsigned char)p[2] == 0x93 ||
		    (unsigned char)p[2] == 0x94))
			sep = 3;
		if (sep > 0 && depth == 0 &&
		    (f = label_field(norm, n, slash, weak)) != F_NONE) {
			v = p + sep;
			while (v < e && (text_space_at(v, e) ||
			    (bold && *v == bold)))
				v += text_space_at(v, e) ? text_space_at(v, e) : 1;
			*value = v;
			return f;
		}
		if (*p == '(' || *p == '[')
			depth++;
		else if ((*p == ')' || *p == ']') && depth > 0)
			depth--;
		else if (depth == 0 && *p == '/' && slash == 0)
			slash = n;
		else if (depth == 0 && isalnum((unsigned char)*p)) {
			if (n == sizeof norm)
				return F_NONE;
			norm[n++] = (char)tolower((unsigned char)*p);
		}
	}
	if (lim == e && (f = label_field(norm, n, slash, weak)) != F_NONE) {
		*value = e;
		return f;
	}
	return F_NONE;
}

/*
 * 1 when the line looks like a label we do not know: a few words that
 * start with a letter, then ":" and a space or the end ("Notifier: ..."),
 * or a TAB (a table row: "Role<TAB>Head of Service").
 */
static int
looks_like_label(const char *s, const char *e)
{
	const char	*p, *colon;
	int		 words = 0, inword = 0;

	s = skip_bullets(s, e);
	if (s >= e || !isalpha((unsigned char)*s))
		return 0;
	for (colon = s; colon < e && colon - s <= GUESS_SCAN; colon++)
		if (*colon == ':' || *colon == '\t')
			break;
	if (colon == e || colon - s > GUESS_SCAN || (*colon == ':' &&
	    colon + 1 < e && !text_space_at(colon + 1, e)))
		return 0;
	for (p = s; p < colon; p++) {
		if (isalnum((unsigned char)*p) || *p == '\'' || *p == '-' ||
		    *p == '&' || *p == '/' || *p == '(' || *p == ')' ||
		    ((unsigned char)*p & 0x80)) {
			if (!inword)
				words++;
			inword = 1;
		} else if (*p == ' ')
			inword = 0;
		else
			return 0;
	}
	return words <= 6;
}

/* 1 for "Kind regards", "Thanks," and the like, alone on the line. */
static int
is_signoff(const char *s, const char *e)
{
	const char	*p;
	size_t		 n;
	int		 i;

	for (i = 0; signoffs[i] != NULL; i++) {
		n = strlen(signoffs[i]);
		if ((size_t)(e - s) < n || strncasecmp(s, signoffs[i], n) != 0)
			continue;
		for (p = s + n; p < e; p++)
			if (isalnum((unsigned char)*p) ||
			    ((unsigned char)*p & 0x80))
				break;
		if (p == e)
			return 1;
	}
	n = strlen("sent from my");
	return (size_t)(e - s) >= n && strncasecmp(s, "sent from my", n) == 0;
}

/* "On Tue, 2 Jul 2024 at 10:00, X wrote:" */
static int
is_attribution(const char *s, const char *e)
{
	return e - s >= 6 && e - s < 400 &&
	    strncasecmp(e - 6, "wrote:", 6) == 0;
}

/* A signature separator or a forwarded/replied original: stop reading. */
static int
is_stop(const char *s, const char *e)
{
	static const char	 orig[] = "original message";
	const char		*p;

	if (e - s == 2 && memcmp(s, "--", 2) == 0)
		return 1;
	if (e - s < 20 || *s != '-' || e[-1] != '-')
		return 0;
	for (p = s; p + sizeof orig - 1 <= e; p++)
		if (strncasecmp(p, orig, sizeof orig - 1) == 0)
			return 1;
	return 0;
}

static int
has_alnum(const char *s)
{
	for (; *s != '\0'; s++)
		if (isalnum((unsigned char)*s))
			return 1;
	return 0;
}

/* 1 for "-", "—", "n/a", "none", "unknown", ... */
static int
is_placeholder(const char *v)
{
	char	norm[32];
	size_t	n = 0;
	int	i;

	for (; *v != '\0'; v++) {
		if (!isalnum((unsigned char)*v))
			continue;
		if (n == sizeof norm - 1)
			return 0;
		norm[n++] = (char)tolower((unsigned char)*v);
	}
	norm[n] = '\0';
	if (n == 0)
		return 1;
	for (i = 0; placeholders[i] != NULL; i++)
		if (strcmp(norm, placeholders[i]) == 0)
			return 1;
	return 0;
}

/* A label line opens field f; [v, e) is the text after the label. */
static void
parse_start(struct parse *p, int f, int weak, const char *v, const char *e)
{
	p->found = 1;
	p->blank = 0;
	p->dup = 0;
	if (f == F_CHILD) {
		/*
		 * A bare "Name" may be the notifier's: "Child's name" and
		 * the like replace it, and it never replaces them.
		 */
		if (p->seen[f] && p->child_weak && !weak) {
			p->val[f].len = 0;
			p->val[f].cut = 0;
		} else if (p->seen[f] && !p->child_weak && weak &&
		    p->val[f].len > 0) {
			p->dup = 1;
			p->scratch.len = 0;
			p->cur = f;
			return;
		}
		if (!p->seen[f] || p->val[f].len == 0)
			p->child_weak = weak;
	}
	if (p->seen[f] && p->val[f].len > 0) {
		if (fields[f].kind == K_LIST)
			buf_add(&p->val[f], "\n", 1);
		else {
			/* Keep the first: a later one may be a quoted form. */
			p->dup = 1;
			p->scratch.len = 0;
			if (!p->dup_warned[f]++)
				parse_warn(p, "%s: given more "
				    "than once; the first is used",
				    fields[f].name);
		}
	}
	p->seen[f] = 1;
	p->cur = f;
	text_trim(&v, &e);
	if (v < e)
		parse_add(p, v, e);
}

/* Add a trimmed, non-empty piece of text to the current field. */
static void
parse_add(struct parse *p, const char *s, const char *e)
{
	struct buf	*b = p->dup ? &p->scratch : &p->val[p->cur];

	if (p->dup && b->len > 1024)
		b->len = 0;	/* only its length matters */
	if (b->len > 0) {
		switch (fields[p->cur].kind) {
		case K_LINE:
			buf_add(b, " ", 1);
			break;
		case K_LIST:
			buf_add(b, "\n", 1);
			break;
		case K_TEXT:
			if (p->blank)
				buf_add(b, "\n\n", 2);
			else if (is_bullet_line(s, e))
				buf_add(b, "\n", 1);
			else
				buf_add(b, " ", 1);
			break;
		}
	}
	p->blank = 0;
	buf_add(b, s, (size_t)(e - s));
}

/* One line, without its line ending. */
static void
parse_line(struct parse *p, const char *s, const char *e)
{
	const char	*v;
	int		 f, weak = 0;

	if (is_signoff(s, e) || is_attribution(s, e)) {
		p->cur = F_NONE;
		return;
	}
	if (*s == '|') {
		/* A table row: "| Label | value |". */
		s++;
		if (e > s && e[-1] == '|')
			e--;
		text_trim(&s, &e);
		if (s == e)
			return;
	}
	if ((f = label_find(s, e, &v, &weak)) != F_NONE) {
		parse_start(p, f, weak, v, e);
		return;
	}
	if (p->cur == F_NONE)
		return;
	if (fields[p->cur].kind == K_LINE && looks_like_label(s, e)) {
		p->cur = F_NONE;
		return;
	}
	parse_add(p, s, e);
}

/* The field's value, or NULL when absent; warns when it was cut. */
static char *
field_take(struct parse *p, int f)
{
	struct buf	*b = &p->val[f];
	const char	*s, *e;
	char		*v;

	if (b->s == NULL)
		return NULL;
	if (b->cut)
		parse_warn(p, "%s: cut to %d KiB", fields[f].name,
		    SIN_MAX_VALUE / 1024);
	s = b->s;
	e = b->s + b->len;
	text_trim(&s, &e);
	v = xstrndup(s, (size_t)(e - s));
	if (fields[f].required ? !has_alnum(v) : is_placeholder(v)) {
		free(v);
		return NULL;
	}
	return v;
}

static void
field_date(struct parse *p, int f, long *day)
{
	char	*v, *w;

	*day = SIN_NO_DATE;
	if ((v = field_take(p, f)) == NULL)
		return;
	if (sin_parse_date(v, day) != 0) {
		*day = SIN_NO_DATE;
		w = echo(v);
		parse_warn(p, "%s: '%s' is not a date",
		    fields[f].name, w);
		free(w);
	}
	free(v);
}

/*
 * "death", "serious_harm" or NULL for what the notifier wrote. Words of
 * death win ("died of serious injuries" is a death) unless they come after
 * "near", "non" or "not" ("near-fatal" is serious harm).
 */
static const char *
incident_kind(const char *text)
{
	static const char *const death[] = { "died", "dies", "deceased",
	    "fatal", "fatally", "fatality", "death", "deaths", "dead",
	    "killed", "murdered", "homicide", "suicide", NULL };
	static const char *const severe[] = { "serious", "seriously",
	    "critical", "critically", "grave", "gravely", NULL };
	static const char *const harm[] = { "harm", "harmed", "injured",
	    "injury", "injuries", "hurt", "ill", NULL };
	static const char *const negate[] = { "near", "nearly", "almost",
	    "non", "not", NULL };
	char		 w[2][16];	/* the word before, this word */
	const char	*s = text;
	size_t		 n;
	int		 i, is_death = 0, is_harm = 0;

	memset(w, 0, sizeof w);
	while (*s != '\0') {
		while (*s != '\0' && !isalpha((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		for (n = 0; isalpha((unsigned char)s[n]); n++)
			;
		memcpy(w[0], w[1], sizeof w[0]);
		memset(w[1], 0, sizeof w[1]);
		for (i = 0; i < (int)n && i < (int)sizeof w[1] - 1; i++)
			w[1][i] = (char)tolower((unsigned char)s[i]);
		s += n;
		if (strcmp(w[1], "away") == 0 && strcmp(w[0], "passed") == 0)
			is_death = 1;
		for (i = 0; death[i] != NULL; i++)
			if (strcmp(w[1], death[i]) == 0)
				break;
		if (death[i] != NULL) {
			for (i = 0; negate[i] != NULL; i++)
				if (strcmp(w[0], negate[i]) == 0)
					break;
			if (negate[i] != NULL)
				is_harm = 1;
			else
				is_death = 1;
			continue;
		}
		if ((strcmp(w[0], "life") == 0 &&
		    (strcmp(w[1], "threatening") == 0 ||
		    strcmp(w[1], "changing") == 0)))
			is_harm = 1;
		for (i = 0; harm[i] != NULL; i++)
			if (strcmp(w[1], harm[i]) == 0)
				break;
		if (harm[i] == NULL)
			continue;
		for (i = 0; severe[i] != NULL; i++)
			if (strcmp(w[0], severe[i]) == 0)
				is_harm = 1;
	}
	if (is_death)
		return "death";
	if (is_harm)
		return "serious_harm";
	return NULL;
}

/*
 * 1 when [s, e) is an age: "2", "18 months", "2 years old", "3yrs",
 * "1 year 4 months", "aged 2".
 */
static int
age_like(const char *s, const char *e)
{
	static const char *const units[] = { "years", "year", "yrs", "yr",
	    "y", "months", "month", "mths", "mth", "mos", "mo", "m", "weeks",
	    "week", "wks", "wk", "w", "days", "day", "d", "yo", NULL };
	const char	*p;
	size_t		 n;
	int		 i, pairs = 0;

	text_trim(&s, &e);
	if (e - s > 4 && strncasecmp(s, "aged ", 5) == 0)
		s += 5;
	else if (e - s > 4 && strncasecmp(s, "age ", 4) == 0)
		s += 4;
	while (s < e) {
		for (p = s; p < e && isdigit((unsigned char)*p); p++)
			;
		if (p == s || p - s > 3)
			return 0;
		while (p < e && *p == ' ')
			p++;
		pairs++;
		if (p == e)
			return pairs == 1;
		for (i = 0; units[i] != NULL; i++) {
			n = strlen(units[i]);
			if ((size_t)(e - p) >= n &&
			    strncasecmp(p, units[i], n) == 0 &&
			    (p + n == e || !isalpha((unsigned char)p[n])))
				break;
		}
		if (units[i] == NULL)
			return 0;
		p += strlen(units[i]);
		while (p < e && (*p == ' ' || *p == ','))
			p++;
		if (e - p >= 3 && strncasecmp(p, "old", 3) == 0 &&
		    (p + 3 == e))
			return 1;
		if (e - p >= 4 && strncasecmp(p, "and ", 4) == 0)
			p += 4;
		s = p;
	}
	return pairs > 0;
}

/* Strip "aged "/"age " from an age for storing. */
static char *
age_dup(const char *s, const char *e)
{
	text_trim(&s, &e);
	if (e - s > 4 && strncasecmp(s, "aged ", 5) == 0)
		s += 5;
	else if (e - s > 4 && strncasecmp(s, "age ", 4) == 0)
		s += 4;
	text_trim(&s, &e);
	return xstrndup(s, (size_t)(e - s));
}

/*
 * One "Other children" item: "Sibling K, 2", "Sibling K (2)", "Sibling K
 * aged 2", "Sibling K - 2 years". Several in one item are taken when
 * separated by commas ("Sibling K (2), Sibling L (7)").
 */
static void
children_add(struct parse *p, struct sin_fields *out, const char *item)
{
	struct sin_child *c = NULL;
	const char	*s, *e, *t, *te, *q, *open;
	char		*v, *w;
	int		 depth;

	s = item;
	while (*s != '\0') {
		/* The next comma outside brackets. */
		depth = 0;
		for (e = s; *e != '\0'; e++) {
			if (*e == '(' || *e == '[')
				depth++;
			else if ((*e == ')' || *e == ']') && depth > 0)
				depth--;
			else if (*e == ',' && depth == 0)
				break;
		}
		t = s;
		te = e;
		s = *e == ',' ? e + 1 : e;
		text_trim(&t, &te);
		if (t == te)
			continue;
		if (c != NULL && c->age == NULL && age_like(t, te)) {
			c->age = age_dup(t, te);
			continue;
		}
		v = xstrndup(t, (size_t)(te - t));
		if (is_placeholder(v)) {
			free(v);
			continue;
		}
		if (out->n_children >= SIN_MAX_CHILDREN) {
			w = echo(v);
			if (!p->children_full++)
				parse_warn(p, "Other children: at "
				    "most %d children are kept; '%s' and any "
				    "after it were left out", SIN_MAX_CHILDREN,
				    w);
			free(w);
			free(v);
			return;
		}
		free(v);
		if (out->n_children == 0)
			out->n_children = 1;	/* [0]: the subject */
		c = &out->children[out->n_children++];
		/* "Sibling K (2)" */
		if (te[-1] == ')' && (open = memrchr(t, '(',
		    (size_t)(te - t))) != NULL && open > t &&
		    age_like(open + 1, te - 1)) {
			c->age = age_dup(open + 1, te - 1);
			te = open;
		} else {
			/* "Sibling K aged 2", "Sibling K - 2" */
			for (q = te - 1; q > t; q--) {
				if (*q != ' ')
					continue;
				if ((te - q > 6 && strncasecmp(q + 1, "aged ",
				    5) == 0 && age_like(q + 1, te)) ||
				    (te - q > 3 && q[1] == '-' && q[2] == ' ' &&
				    age_like(q + 3, te))) {
					c->age = age_dup(q[1] == '-' ? q + 3 :
					    q + 1, te);
					te = q;
					break;
				}
			}
		}
		text_trim(&t, &te);
		c->identifier = t < te ? xstrndup(t, (size_t)(te - t)) : NULL;
		if (c->identifier == NULL && c->age == NULL) {
			out->n_children--;
			c = NULL;
		}
	}
}

/* Split the agencies on newlines, ",", ";" and the word "and". */
static void
agencies_add(struct sin_fields *out, const char *v)
{
	const char	*s, *e, *t, *te, *w;
	char		*name;
	size_t		 i, n;
	int		 depth, j;

	s = v;
	while (*s != '\0') {
		depth = 0;
		for (e = s; *e != '\0'; e++) {
			if (*e == '(' || *e == '[')
				depth++;
			else if ((*e == ')' || *e == ']') && depth > 0)
				depth--;
			else if (depth > 0)
				continue;
			else if (*e == '\n' || *e == ',' || *e == ';')
				break;
			else if (e > s && (e[-1] == ' ' || e[-1] == '\t') &&
			    strncasecmp(e, "and", 3) == 0 &&
			    (e[3] == ' ' || e[3] == '\t')) {
				/* "Child and Adolescent ...": one name. */
				for (w = e + 4; *w == ' '; w++)
					;
				for (j = 0; and_joins[j] != NULL; j++) {
					n = strlen(and_joins[j]);
					if (strncasecmp(w, and_joins[j], n) ==
					    0 && !isalpha((unsigned char)w[n]))
						break;
				}
				if (and_joins[j] == NULL)
					break;
			}
		}
		t = s;
		te = e;
		if (*e == '\0')
			s = e;
		else if (*e == 'a' || *e == 'A')
			s = e + 3;
		else
			s = e + 1;
		text_trim(&t, &te);
		t = skip_bullets(t, te);
		/* "police, health, and education" */
		if (te - t > 4 && strncasecmp(t, "and ", 4) == 0)
			t += 4;
		while (te > t && (te[-1] == '.' || te[-1] == ' '))
			te--;
		text_trim(&t, &te);
		if (t == te)
			continue;
		name = xstrndup(t, (size_t)(te - t));
		if (is_placeholder(name)) {
			free(name);
			continue;
		}
		for (i = 0; i < out->n_agencies; i++)
			if (strcasecmp(out->agencies[i], name) == 0)
				break;
		if (i < out->n_agencies) {
			free(name);
			continue;
		}
		out->agencies = xreallocarray(out->agencies,
		    out->n_agencies + 1, sizeof *out->agencies);
		out->agencies[out->n_agencies++] = name;
	}
}

/* Read the lines of text into p's raw field values. */
static void
parse_text(struct parse *p, const char *text)
{
	const char	*s, *e, *end, *ls, *le;
	size_t		 len, lines = 0;

	len = strnlen(text, SIN_MAX_TEXT + 1);
	if (len > SIN_MAX_TEXT) {
		len = SIN_MAX_TEXT;
		parse_warn(p, "the text was cut to %d MiB",
		    SIN_MAX_TEXT / (1024 * 1024));
	}
	end = text + len;
	for (s = text; s < end; s = e) {
		/* A line ends at LF, CRLF or a lone CR. */
		for (e = s; e < end && *e != '\n' && *e != '\r'; e++)
			;
		ls = s;
		le = e;
		if (e < end && *e == '\r' && e + 1 < end && e[1] == '\n')
			e += 2;
		else if (e < end)
			e++;
		text_trim(&ls, &le);
		if (ls == le) {
			if (p->cur != F_NONE && (p->dup ? p->scratch.len :
			    p->val[p->cur].len) > 0) {
				if (fields[p->cur].kind == K_TEXT)
					p->blank = 1;
				else
					p->cur = F_NONE;
			}
			continue;
		}
		if (is_stop(ls, le))
			break;
		if (*ls == '>') {
			/* Quoted: what an earlier message said, not this SIN. */
			p->cur = F_NONE;
			continue;
		}
		/* The background may be long; the lines around it may not. */
		if (p->cur != F_BACKGROUND && ++lines > SIN_MAX_LINES) {
			parse_warn(p, "only the first %d lines were read "
			    "for fields", SIN_MAX_LINES);
			break;
		}
		parse_line(p, ls, le);
	}
}

/* The subject child, then "Other children" from [1] on. */
static void
parse_children(struct parse *p, struct sin_fields *out)
{
	struct sin_child *c0 = &out->children[0];
	struct rr_date	 dt;
	const char	*s, *e, *ls, *le;
	char		*v, *w, iso[16];
	long		 day;

	c0->identifier = field_take(p, F_CHILD);
	c0->age = field_take(p, F_AGE);
	if ((v = field_take(p, F_DOB)) != NULL) {
		if (sin_parse_date(v, &day) == 0) {
			date_from_days(day, &dt);
			c0->dob = xstrdup(date_format_iso(&dt, iso,
			    sizeof iso));
		} else {
			w = echo(v);
			parse_warn(p, "%s: '%s' is not a date",
			    fields[F_DOB].name, w);
			free(w);
		}
		free(v);
	}
	c0->sex = field_take(p, F_SEX);
	c0->ethnicity = field_take(p, F_ETHNICITY);
	c0->disability = field_take(p, F_DISABILITY);
	if (c0->identifier != NULL || c0->age != NULL || c0->dob != NULL ||
	    c0->sex != NULL || c0->ethnicity != NULL || c0->disability != NULL)
		out->n_children = 1;
	if ((v = field_take(p, F_OTHERS)) == NULL)
		return;
	/* One item a line or between ";". */
	for (s = v; *s != '\0'; s = *e != '\0' ? e + 1 : e) {
		e = s + strcspn(s, "\n;");
		ls = s;
		le = e;
		text_trim(&ls, &le);
		ls = skip_bullets(ls, le);
		w = xstrndup(ls, (size_t)(le - ls));
		children_add(p, out, w);
		free(w);
	}
	free(v);
}

/* Incident type and the three dates. */
static void
parse_incident(struct parse *p, struct sin_fields *out)
{
	const char	*k;
	char		*w;

	out->incident_type_text = field_take(p, F_TYPE);
	if (out->incident_type_text != NULL) {
		if ((k = incident_kind(out->incident_type_text)) != NULL)
			out->incident_type = xstrdup(k);
		else {
			w = echo(out->incident_type_text);
			parse_warn(p, "%s: '%s' is not death or serious harm",
			    fields[F_TYPE].name, w);
			free(w);
		}
	}
	field_date(p, F_INCIDENT_DATE, &out->incident_date);
	field_date(p, F_AWARE, &out->date_aware);
	field_date(p, F_NOTIFIED, &out->date_notified);
	/* Likely typing slips: worth asking the notifier about. */
	if (out->incident_date != SIN_NO_DATE &&
	    out->date_aware != SIN_NO_DATE &&
	    out->date_aware < out->incident_date)
		parse_warn(p, "Date aware: before the incident date");
	if (out->date_aware != SIN_NO_DATE &&
	    out->date_notified != SIN_NO_DATE &&
	    out->date_notified < out->date_aware)
		parse_warn(p, "Date notified: before the date aware");
}

int
sin_parse(const char *text, struct sin_fields *out)
{
	struct parse	 p;
	struct strvec	 missing = { NULL, 0 };
	char		*v;
	int		 f;

	memset(out, 0, sizeof *out);
	memset(&p, 0, sizeof p);
	p.cur = F_NONE;
	parse_text(&p, text != NULL ? text : "");

	parse_children(&p, out);
	parse_incident(&p, out);
	out->panel_ref = field_take(&p, F_PANEL_REF);
	out->local_authority = field_take(&p, F_LA);
	out->residing_authority = field_take(&p, F_RESIDING);
	out->background = field_take(&p, F_BACKGROUND);
	if ((v = field_take(&p, F_AGENCIES)) != NULL) {
		agencies_add(out, v);
		free(v);
	}

	if (out->children[0].identifier == NULL)
		strvec_add(&missing, xstrdup(fields[F_CHILD].name));
	if (out->incident_type_text == NULL)
		strvec_add(&missing, xstrdup(fields[F_TYPE].name));
	if (out->background == NULL)
		strvec_add(&missing, xstrdup(fields[F_BACKGROUND].name));
	out->missing = missing.v;
	out->n_missing = missing.n;
	out->warnings = p.warnings.v;
	out->n_warnings = p.warnings.n;

	for (f = 0; f < F_COUNT; f++)
		buf_free(&p.val[f]);
	buf_free(&p.scratch);
	return p.found;
}

void
sin_fields_free(struct sin_fields *f)
{
	struct sin_child	*c;
	size_t			 i;

	if (f == NULL)
		return;
	for (i = 0; i < SIN_MAX_CHILDREN; i++) {
		c = &f->children[i];
		free(c->identifier);
		free(c->age);
		free(c->dob);
		free(c->sex);
		free(c->ethnicity);
		free(c->disability);
	}
	free(f->incident_type);
	free(f->incident_type_text);
	free(f->panel_ref);
	free(f->local_authority);
	free(f->residing_authority);
	free(f->background);
	for (i = 0; i < f->n_agencies; i++)
		free(f->agencies[i]);
	free(f->agencies);
	for (i = 0; i < f->n_missing; i++)
		free(f->missing[i]);
	free(f->missing);
	for (i = 0; i < f->n_warnings; i++)
		free(f->warnings[i]);
	free(f->warnings);
	memset(f, 0, sizeof *f);
	f->incident_date = f->date_aware = f->date_notified = SIN_NO_DATE;
}

/* January..December in full or in 3 letters, or "sept": 1..12, else 0. */
static int
month_of(const char *w, size_t n)
{
	int	i;

	for (i = 0; i < 12; i++)
		if ((n == strlen(months[i]) && memcmp(w, months[i], n) == 0) ||
		    (n == 3 && memcmp(w, months[i], 3) == 0))
			return i + 1;
	if (n == 4 && memcmp(w, "sept", 4) == 0)
		return 9;
	return 0;
}

static int
date_ok(int y, int m, int d, long *day)
{
	struct rr_date	dt;

	if (y < 1900 || !date_valid(y, m, d))
		return -1;
	dt.year = y;
	dt.month = m;
	dt.day = d;
	*day = date_to_days(&dt);
	return 0;
}

int
sin_parse_date(const char *text, long *day)
{
	struct tok {
		int	 num;		/* 1: digits, 0: letters */
		int	 value;
		size_t	 len;		/* digits, or letters */
		char	 word[16];	/* lower-case letters */
		char	 suffix[4];	/* "st", "nd", "rd", "th" */
	}		 t[8];
	char		 buf[DATE_MAX + 1];
	const char	*s, *e;
	size_t		 n, nt = 0, i, k;
	int		 y, m, d, sep = 0, nums = 0, other = 0;
	int		 di, mi, yi;

	if (text == NULL)
		return -1;
	s = text;
	e = text + strlen(text);
	text_trim(&s, &e);
	while (e > s && e[-1] == '.')
		e--;
	if (e == s || e - s > DATE_MAX)
		return -1;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';

	/* Tokens: runs of digits (with an ordinal), runs of letters. */
	for (s = buf; *s != '\0';) {
		if (*s == ' ' || *s == ',' || *s == '-' || *s == '/' ||
		    *s == '.') {
			if (*s == ',' || *s == ' ')
				other = 1;
			else if (sep == 0)
				sep = *s;
			else if (sep != *s)
				other = 1;
			s++;
			continue;
		}
		if (nt == sizeof t / sizeof t[0])
			return -1;
		memset(&t[nt], 0, sizeof t[nt]);
		if (isdigit((unsigned char)*s)) {
			t[nt].num = 1;
			for (n = 0; isdigit((unsigned char)s[n]); n++)
				if (n < 5)
					t[nt].value = t[nt].value * 10 +
					    (s[n] - '0');
			if (n > 4)
				return -1;
			t[nt].len = n;
			s += n;
			for (n = 0; isalpha((unsigned char)s[n]); n++)
				;
			if (n > 0) {
				if (n != 2)
					return -1;
				t[nt].suffix[0] =
				    (char)tolower((unsigned char)s[0]);
				t[nt].suffix[1] =
				    (char)tolower((unsigned char)s[1]);
				if (strcmp(t[nt].suffix, "st") != 0 &&
				    strcmp(t[nt].suffix, "nd") != 0 &&
				    strcmp(t[nt].suffix, "rd") != 0 &&
				    strcmp(t[nt].suffix, "th") != 0)
					return -1;
				s += n;
				other = 1;
			}
			nums++;
		} else if (isalpha((unsigned char)*s)) {
			for (n = 0; isalpha((unsigned char)s[n]); n++)
				if (n < sizeof t[nt].word - 1)
					t[nt].word[n] = (char)tolower(
					    (unsigned char)s[n]);
			if (n >= sizeof t[nt].word)
				return -1;
			t[nt].len = n;
			s += n;
			other = 1;
		} else
			return -1;
		nt++;
	}

	/* All digits: "2024-07-03", "3/7/2024", "03.07.24". */
	if (nt == 3 && nums == 3 && !other && sep != 0) {
		if (t[0].len == 4 && t[1].len <= 2 && t[2].len <= 2)
			return date_ok(t[0].value, t[1].value, t[2].value, day);
		if (t[0].len <= 2 && t[1].len <= 2 &&
		    (t[2].len == 4 || t[2].len == 2)) {
			y = t[2].value + (t[2].len == 2 ? 2000 : 0);
			return date_ok(y, t[1].value, t[0].value, day);
		}
		return -1;
	}

	/* Words: drop a leading weekday and "of". */
	k = 0;
	for (i = 0; i < nt; i++) {
		if (!t[i].num && i == 0) {
			for (n = 0; weekdays[n] != NULL; n++)
				if (strcmp(t[i].word, weekdays[n]) == 0)
					break;
			if (weekdays[n] != NULL)
				continue;
		}
		if (!t[i].num && strcmp(t[i].word, "of") == 0)
			continue;
		t[k++] = t[i];
	}
	if (k != 3)
		return -1;
	if (t[0].num && !t[1].num && t[2].num) {
		di = 0;
		mi = 1;
		yi = 2;
	} else if (!t[0].num && t[1].num && t[2].num) {
		mi = 0;
		di = 1;
		yi = 2;
	} else
		return -1;
	if ((m = month_of(t[mi].word, t[mi].len)) == 0)
		return -1;
	if (t[di].len > 2 || t[yi].suffix[0] != '\0' ||
	    (t[yi].len != 4 && t[yi].len != 2))
		return -1;
	d = t[di].value;
	y = t[yi].value + (t[yi].len == 2 ? 2000 : 0);
	return date_ok(y, m, d, day);
}

/*
 * Normalise an agency name into out: lower-case letters and digits,
 * without the word "the" and apostrophes, and with drop_s also without a
 * possessive "'s". Returns the length, or -1 when out is too small.
 */
static int
agency_norm(const char *s, const char *e, int drop_s, char *out,
    size_t size)
{
	const unsigned char	*u;
	size_t			 n = 0, word = 0;
	size_t			 apos;

	for (;;) {
		u = (const unsigned char *)s;
		apos = 0;
		if (s < e && (*s == '\'' || *s == '`'))
			apos = 1;
		else if (e - s >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
		    (u[2] == 0x98 || u[2] == 0x99))
			apos = 3;
		if (apos > 0 && n > word) {
			s += apos;
			if (drop_s && s < e && (*s == 's' || *s == 'S') &&
			    (s + 1 == e || !isalnum((unsigned char)s[1])))
				s++;
			continue;
		}
		if (s < e && isalnum((unsigned char)*s)) {
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)tolower((unsigned char)*s++);
			continue;
		}
		/* The end of a word. */
		if (n - word == 3 && memcmp(out + word, "the", 3) == 0)
			n = word;
		word = n;
		if (s >= e)
			break;
		s++;
	}
	out[n] = '\0';
	return (int)n;
}

static int
norm_equal(const char *q, const char *s, int drop_s)
{
	char	norm[NAME_NORM];

	if (s == NULL)
		return 0;
	if (agency_norm(s, s + strlen(s), drop_s, norm, sizeof norm) <= 0)
		return 0;
	return strcmp(q, norm) == 0;
}

/* 1 when q (normalised) is a's key, name or an alias. */
static int
agency_equal(const struct agency_config *a, const char *q, int drop_s)
{
	size_t	i;

	if (norm_equal(q, a->key, drop_s) || norm_equal(q, a->name, drop_s))
		return 1;
	for (i = 0; i < a->aliases.n; i++)
		if (norm_equal(q, a->aliases.v[i], drop_s))
			return 1;
	return 0;
}

/* 1 when q (normalised) is the last two or more words of a's name. */
static int
agency_suffix(const struct agency_config *a, const char *q, int drop_s)
{
	char		 norm[NAME_NORM];
	const char	*s, *e, *p;
	size_t		 words = 0;

	if (a->name == NULL)
		return 0;
	s = a->name;
	e = s + strlen(s);
	for (p = s; p < e; p++)
		if (!isspace((unsigned char)*p) &&
		    (p == s || isspace((unsigned char)p[-1])))
			words++;
	/* Each word start after the first with 2 or more words from it. */
	for (p = s; p < e; p++) {
		if (isspace((unsigned char)*p) || p == s ||
		    !isspace((unsigned char)p[-1]))
			continue;
		if (--words < 2)
			break;
		if (agency_norm(p, e, drop_s, norm, sizeof norm) > 0 &&
		    strcmp(norm, q) == 0)
			return 1;
	}
	return 0;
}

const struct agency_config *
sin_match_agency(const struct config *cfg, const char *name)
{
	const struct agency_config *hit;
	char		 cand[4][NAME_NORM], norm[NAME_NORM];
	const char	*s, *e, *p, *open, *close;
	size_t		 nc = 0, n, i;
	int		 drop_s, depth, c;

	if (cfg == NULL || name == NULL)
		return NULL;
	s = name;
	e = s + strlen(s);
	text_trim(&s, &e);
	if (s == e || (size_t)(e - s) >= NAME_NORM)
		return NULL;

	/* The name as given, then without a note, before ":", the note. */
	memcpy(cand[nc], s, (size_t)(e - s));
	cand[nc++][e - s] = '\0';
	n = 0;
	depth = 0;
	for (p = s; p < e; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if ((*p == ')' || *p == ']') && depth > 0)
			depth--;
		else if (depth == 0)
			cand[nc][n++] = *p;
	}
	cand[nc][n] = '\0';
	if (n > 0 && strcmp(cand[nc], cand[0]) != 0)
		nc++;
	for (p = s; p < e; p++) {
		if (*p == ':')
			break;
		/* " - ", " – ", " — " */
		if (p > s && p[-1] == ' ' && (*p == '-' || (e - p >= 3 &&
		    memcmp(p, "\xe2\x80", 2) == 0 &&
		    ((unsigned char)p[2] == 0x93 ||
		    (unsigned char)p[2] == 0x94))))
			break;
	}
	if (p < e && p > s) {
		memcpy(cand[nc], s, (size_t)(p - s));
		cand[nc++][p - s] = '\0';
	}
	if ((open = memchr(s, '(', (size_t)(e - s))) != NULL &&
	    (close = memchr(open, ')', (size_t)(e - open))) != NULL &&
	    close > open + 1) {
		memcpy(cand[nc], open + 1, (size_t)(close - open - 1));
		cand[nc++][close - open - 1] = '\0';
	}

	for (c = 0; c < (int)nc; c++) {
		for (drop_s = 1; drop_s >= 0; drop_s--) {
			if (agency_norm(cand[c], cand[c] + strlen(cand[c]),
			    drop_s, norm, sizeof norm) <= 0)
				continue;
			for (i = 0; i < cfg->n_agencies; i++)
				if (agency_equal(&cfg->agencies[i], norm,
				    drop_s))
					return &cfg->agencies[i];
		}
	}

	/* The end of one agency's name, and of no other. */
	for (c = 0; c < (int)nc && c < 2; c++) {
		hit = NULL;
		for (drop_s = 1; drop_s >= 0; drop_s--) {
			if (agency_norm(cand[c], cand[c] + strlen(cand[c]),
			    drop_s, norm, sizeof norm) <= 0)
				continue;
			for (i = 0; i < cfg->n_agencies; i++) {
				if (!agency_suffix(&cfg->agencies[i], norm,
				    drop_s))
					continue;
				if (hit != NULL && hit != &cfg->agencies[i])
					return NULL;
				hit = &cfg->agencies[i];
			}
		}
		if (hit != NULL)
			return hit;
	}
	return NULL;
}
