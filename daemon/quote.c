/*
 * quote.c - the text typed this time, split from the quoted history.
 *
 * Lines are classed one by one. History starts at "-----Original
 * Message-----", at an Outlook header block ("From: / Sent: / To: /
 * Subject:", localised, maybe under a "____" line) or at a signature
 * ("-- ", "Sent from my iPhone"): everything below is history. An
 * attribution ("On ... wrote:", over one or two lines, localised) quotes
 * the "> " lines below it; when no "> " line follows, the original was
 * pasted unquoted and the rest is history too. Other "> " lines are
 * history; the lines between them (inline answers) are new.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "xmalloc.h"

#define QUOTE_HDR_WINDOW	8	/* lines an Outlook block may span */
#define QUOTE_ATTR_MAX		400	/* bytes in an attribution */

enum label {
	LBL_NONE,
	LBL_FROM,
	LBL_DATE,
	LBL_TO,
	LBL_SUBJECT,
	LBL_CC,
};

struct line {
	const char	*s;
	size_t		 n;		/* without "\r\n" */
	int		 quoted;
};

static const struct {
	const char	*word;
	enum label	 kind;
} labels[] = {
	{ "from", LBL_FROM }, { "von", LBL_FROM }, { "de", LBL_FROM },
	{ "da", LBL_FROM }, { "van", LBL_FROM }, { "fr\xc3\xa5n", LBL_FROM },
	{ "fra", LBL_FROM }, { "od", LBL_FROM },
	{ "l\xc3\xa4hett\xc3\xa4j\xc3\xa4", LBL_FROM },
	{ "\xd0\x9e\xd1\x82", LBL_FROM },			/* От */
	{ "sent", LBL_DATE }, { "date", LBL_DATE }, { "gesendet", LBL_DATE },
	{ "datum", LBL_DATE }, { "envoy\xc3\xa9", LBL_DATE },
	{ "inviato", LBL_DATE }, { "data", LBL_DATE },
	{ "verzonden", LBL_DATE }, { "skickat", LBL_DATE },
	{ "sendt", LBL_DATE }, { "enviado", LBL_DATE },
	{ "enviada", LBL_DATE }, { "wys\xc5\x82\x61no", LBL_DATE },
	{ "\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5"
	    "\xd0\xbd\xd0\xbe", LBL_DATE },			/* Отправлено */
	{ "\xd0\x94\xd0\xb0\xd1\x82\xd0\xb0", LBL_DATE },	/* Дата */
	{ "to", LBL_TO }, { "an", LBL_TO }, { "\xc3\xa0", LBL_TO },
	{ "a", LBL_TO }, { "aan", LBL_TO }, { "till", LBL_TO },
	{ "til", LBL_TO }, { "para", LBL_TO }, { "do", LBL_TO },
	{ "\xd0\x9a\xd0\xbe\xd0\xbc\xd1\x83", LBL_TO },		/* Кому */
	{ "subject", LBL_SUBJECT }, { "betreff", LBL_SUBJECT },
	{ "objet", LBL_SUBJECT }, { "oggetto", LBL_SUBJECT },
	{ "onderwerp", LBL_SUBJECT }, { "\xc3\xa4mne", LBL_SUBJECT },
	{ "emne", LBL_SUBJECT }, { "asunto", LBL_SUBJECT },
	{ "assunto", LBL_SUBJECT }, { "temat", LBL_SUBJECT },
	{ "\xd0\xa2\xd0\xb5\xd0\xbc\xd0\xb0", LBL_SUBJECT },	/* Тема */
	{ "cc", LBL_CC }, { "kopie", LBL_CC },
};

static const char *separators[] = {
	"original message", "ursprüngliche nachricht",
	"ursprungliche nachricht", "message d'origine", "messaggio originale",
	"mensaje original", "mensagem original", "oorspronkelijk bericht",
	"originalmeddelande", "opprinnelig melding", "alkuperäinen viesti",
	"wiadomość oryginalna", "исходное сообщение", "Исходное сообщение",
};

static const char *verbs[] = {
	"wrote", "writes", "schrieb", "a écrit", "escribió", "ha scritto",
	"scrive", "schreef", "escreveu", "skrev", "kirjoitti", "napisał",
	"napsal", "написал", "пишет", "yazdı",
};

static const char *signatures[] = {
	"sent from my ", "sent from mail for windows", "get outlook for ",
	"von meinem iphone gesendet", "envoyé de mon ",
	"sent from outlook", "sent from samsung",
};

/* ASCII-case-insensitive search of needle in s[0..n). */
static const char *
find_ci(const char *s, size_t n, const char *needle)
{
	size_t	m = strlen(needle), i;

	if (m > n)
		return NULL;
	for (i = 0; i + m <= n; i++)
		if (strncasecmp(s + i, needle, m) == 0)
			return s + i;
	return NULL;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
	    (*s)[*n - 1] == '\r'))
		(*n)--;
}

static int
is_blank(const struct line *l)
{
	const char	*s = l->s;
	size_t		 n = l->n;

	trim(&s, &n);
	return n == 0;
}

static int
is_quote(const struct line *l)
{
	size_t	i;

	for (i = 0; i < l->n && i < 4 && l->s[i] == ' '; i++)
		;
	return i < l->n && l->s[i] == '>';
}

/* "From:", "*Von:*", "De :" at the start of the line. */
static enum label
label_of(const struct line *l)
{
	const char	*s = l->s;
	size_t		 n = l->n, i, k, w;

	trim(&s, &n);
	while (n > 0 && *s == '*') {
		s++;
		n--;
	}
	for (i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		w = strlen(labels[i].word);
		if (w > n || strncasecmp(s, labels[i].word, w) != 0)
			continue;
		k = w;
		while (k < n && (s[k] == ' ' || s[k] == '*'))
			k++;
		/* U+00A0 after a French label ("De\u00a0:") */
		while (k + 1 < n && (unsigned char)s[k] == 0xc2 &&
		    (unsigned char)s[k + 1] == 0xa0)
			k += 2;
		if (k < n && s[k] == ':')
			return labels[i].kind;
	}
	return LBL_NONE;
}

static int
is_separator(const struct line *l)
{
	const char	*s = l->s;
	size_t		 n = l->n, i, k;

	trim(&s, &n);
	if (n < 4 || s[0] != '-' || s[n - 1] != '-')
		return 0;
	for (k = 0; k < n && s[k] == '-'; k++)
		;
	if (k < 2)
		return 0;
	for (i = 0; i < sizeof separators / sizeof separators[0]; i++)
		if (find_ci(s, n, separators[i]) != NULL)
			return 1;
	return 0;
}

static int
is_underline(const struct line *l)
{
	const char	*s = l->s;
	size_t		 n = l->n, i;

	trim(&s, &n);
	if (n < 10)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			return 0;
	return 1;
}

/* An Outlook header block starts at lines[i]: From plus two others. */
static int
is_header_block(const struct line *lines, size_t n, size_t i)
{
	unsigned	seen = 0;
	size_t		k;
	enum label	lb;

	if (label_of(&lines[i]) != LBL_FROM)
		return 0;
	for (k = i; k < n && k < i + QUOTE_HDR_WINDOW; k++) {
		if (is_blank(&lines[k]))
			continue;
		if ((lb = label_of(&lines[k])) != LBL_NONE)
			seen |= 1U << lb;
	}
	return (seen & (1U << LBL_DATE)) != 0 &&
	    (seen & ((1U << LBL_TO) | (1U << LBL_SUBJECT))) != 0;
}

static int
is_signature(const struct line *l)
{
	const char	*s = l->s;
	size_t		 n = l->n, i;

	while (n > 0 && s[n - 1] == '\r')
		n--;
	if ((n == 3 && memcmp(s, "-- ", 3) == 0) ||
	    (n == 2 && memcmp(s, "--", 2) == 0))
		return 1;
	trim(&s, &n);
	for (i = 0; i < sizeof signatures / sizeof signatures[0]; i++)
		if (n >= strlen(signatures[i]) &&
		    strncasecmp(s, signatures[i], strlen(signatures[i])) == 0 &&
		    n < 80)
			return 1;
	return 0;
}

static int
has_verb_colon(const char *s, size_t n)
{
	size_t	i;

	trim(&s, &n);
	if (n == 0 || n > QUOTE_ATTR_MAX || s[n - 1] != ':')
		return 0;
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (find_ci(s, n, verbs[i]) != NULL)
			return 1;
	return 0;
}

/* "On", "Am", "Le", a date or dashes: how attributions begin. */
static int
opens_attribution(const struct line *l)
{
	static const char	*openers[] = { "on ", "am ", "le ", "el ",
	    "il ", "op ", "em ", "den ", "w dniu ", "dne ", "---", "--- " };
	const char		*s = l->s;
	size_t			 n = l->n, i;

	trim(&s, &n);
	if (n > 0 && isdigit((unsigned char)s[0]))
		return 1;
	for (i = 0; i < sizeof openers / sizeof openers[0]; i++)
		if (n >= strlen(openers[i]) &&
		    strncasecmp(s, openers[i], strlen(openers[i])) == 0)
			return 1;
	return 0;
}

static int
next_is_quote(const struct line *lines, size_t n, size_t i)
{
	for (; i < n; i++)
		if (!is_blank(&lines[i]))
			return is_quote(&lines[i]);
	return 0;
}

/* Lines an attribution at lines[i] spans (1 or 2), or 0. */
static size_t
attribution(const struct line *lines, size_t n, size_t i)
{
	char	*joined;
	size_t	 len;
	int	 ok;

	if (i + 1 < n && !is_blank(&lines[i + 1]) && !is_quote(&lines[i + 1]) &&
	    opens_attribution(&lines[i]) &&
	    lines[i].n + lines[i + 1].n < QUOTE_ATTR_MAX) {
		len = lines[i].n + 1 + lines[i + 1].n;
		joined = xmalloc(len + 1);
		memcpy(joined, lines[i].s, lines[i].n);
		joined[lines[i].n] = ' ';
		memcpy(joined + lines[i].n + 1, lines[i + 1].s, lines[i + 1].n);
		joined[len] = '\0';
		ok = !has_verb_colon(lines[i].s, lines[i].n) &&
		    has_verb_colon(joined, len);
		free(joined);
		if (ok)
			return 2;
	}
	if (has_verb_colon(lines[i].s, lines[i].n) &&
	    (opens_attribution(&lines[i]) || next_is_quote(lines, n, i + 1)))
		return 1;
	return 0;
}

static char *
join(const struct line *lines, size_t n, int quoted)
{
	size_t	 i, first = n, last = 0, len = 0;
	char	*r, *w;

	for (i = 0; i < n; i++)
		if (lines[i].quoted == quoted && !is_blank(&lines[i])) {
			if (first == n)
				first = i;
			last = i;
		}
	if (first == n)
		return xstrdup("");
	for (i = first; i <= last; i++)
		if (lines[i].quoted == quoted)
			len += lines[i].n + 1;
	r = w = xmalloc(len + 1);
	for (i = first; i <= last; i++) {
		if (lines[i].quoted != quoted)
			continue;
		memcpy(w, lines[i].s, lines[i].n);
		w += lines[i].n;
		*w++ = '\n';
	}
	w[-1] = '\0';
	return r;
}

void
mime_split_quoted(const char *text, char **new_text, char **quoted)
{
	struct line	*lines = NULL;
	size_t		 n = 0, cap = 0, i, k, a;
	const char	*p, *nl;
	int		 in_attr = 0, tail = 0, prev = 0;

	if (text == NULL)
		text = "";
	for (p = text; *p != '\0'; p = nl + 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			lines = xreallocarray(lines, cap, sizeof *lines);
		}
		nl = strchr(p, '\n');
		lines[n].s = p;
		lines[n].n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (lines[n].n > 0 && p[lines[n].n - 1] == '\r')
			lines[n].n--;
		lines[n++].quoted = 0;
		if (nl == NULL)
			break;
	}
	for (i = 0; i < n; i++) {
		struct line	*l = &lines[i];

		if (tail) {
			l->quoted = 1;
			continue;
		}
		if (is_blank(l)) {
			l->quoted = prev;
			continue;
		}
		if (is_quote(l)) {
			l->quoted = prev = 1;
			continue;
		}
		if (is_separator(l) || is_header_block(lines, n, i) ||
		    is_signature(l)) {
			/* A "____" line above the block belongs to it. */
			for (k = i; k > 0 && (is_blank(&lines[k - 1]) ||
			    is_underline(&lines[k - 1])); k--)
				if (is_underline(&lines[k - 1]))
					lines[k - 1].quoted = 1;
			tail = 1;
			l->quoted = 1;
			continue;
		}
		if ((a = attribution(lines, n, i)) > 0) {
			for (k = i; k < i + a; k++)
				lines[k].quoted = 1;
			if (!next_is_quote(lines, n, i + a))
				tail = 1;
			in_attr = 1;
			prev = 1;
			i += a - 1;
			continue;
		}
		if (in_attr && is_underline(l)) {
			l->quoted = prev = 1;
			continue;
		}
		l->quoted = prev = 0;
	}
	*new_text = join(lines, n, 0);
	*quoted = join(lines, n, 1);
	free(lines);
}
