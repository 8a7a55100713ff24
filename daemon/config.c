/*
 * config.c - the INI file: iniparser for the values, our own pass for line
 * numbers, and strict parsers for every typed value (isync's config.c
 * reports every problem in one pass; we do the same).
 *
 * iniparser 4.1 (Debian 12) crashes when a typed getter is asked for a key
 * that names a section (CVE-2023-33461), reads "010" as octal and accepts
 * "12x" as 12: we only ever call iniparser_getstring() and parse ourselves.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iniparser.h>

#include "calendar.h"
#include "config.h"
#include "date.h"
#include "log.h"
#include "xmalloc.h"


/* Where each section and key stands in the file, found by our own pass. */
struct ini_index {
	struct ini_line {
		char	*name;		/* "section" or "section:key", lower case */
		int	 line;
	}		*v;
	size_t		 n;
};

struct loader {
	const char		*file;
	dictionary		*ini;
	struct ini_index	 index;
	struct config_diag	*diag;
	struct config		*cfg;
};

enum value_type {
	V_STRING,		/* any text */
	V_NAME,			/* text without CR/LF, used in headers */
	V_ADDRESS,		/* one email address */
	V_ADDRESSES,		/* comma-separated addresses */
	V_PATTERNS,		/* comma-separated address patterns */
	V_DOMAINS,		/* comma-separated domain patterns */
	V_PATH,			/* a file name, relative to the INI's folder */
	V_BOOL,
	V_UINT,
	V_SIZE,
	V_HHMM,
	V_SECONDS,
};

struct key_spec {
	const char	*section;
	const char	*key;
	enum value_type	 type;
	const char	*def;		/* NULL: no default */
	int		 required;
	size_t		 offset;	/* into struct config */
	unsigned long	 min, max;	/* for V_UINT */
};

#define O(f)	offsetof(struct config, f)

/*
 * Every plain key of SPEC §7. Keys needing more than one value's check
 * (URLs, enums, lists of dates and days) are listed with V_STRING here
 * and finished in their section's own function.
 */
static const struct key_spec key_specs[] = {
	{ "partnership", "name", V_NAME, NULL, 1, O(partnership.name), 0, 0 },
	{ "partnership", "address", V_ADDRESS, NULL, 1,
	    O(partnership.address), 0, 0 },
	{ "partnership", "display_name", V_NAME, NULL, 0,
	    O(partnership.display_name), 0, 0 },
	{ "partnership", "business_manager", V_ADDRESS, NULL, 1,
	    O(partnership.business_manager), 0, 0 },
	{ "partnership", "admins", V_ADDRESSES, "", 0,
	    O(partnership.admins), 0, 0 },
	{ "partnership", "attendees", V_ADDRESSES, "", 0,
	    O(partnership.attendees), 0, 0 },
	{ "partnership", "marking", V_NAME, "OFFICIAL-SENSITIVE", 0,
	    O(partnership.marking), 0, 0 },
	{ "partnership", "plus_addressing", V_BOOL, "yes", 0,
	    O(partnership.plus_addressing), 0, 0 },
	{ "partnership", "identify_child_in_subject", V_BOOL, "no", 0,
	    O(partnership.identify_child_in_subject), 0, 0 },
	{ "partnership", "timezone", V_NAME, "Europe/London", 0,
	    O(partnership.timezone), 0, 0 },

	{ "mailbox", "url", V_STRING, NULL, 1, O(mailbox.url), 0, 0 },
	{ "mailbox", "user", V_NAME, NULL, 0, O(mailbox.user), 0, 0 },
	{ "mailbox", "password_file", V_PATH, NULL, 0,
	    O(mailbox.password_file), 0, 0 },
	{ "mailbox", "password_credential", V_NAME, NULL, 0,
	    O(mailbox.password_credential), 0, 0 },
	{ "mailbox", "auth", V_STRING, "plain", 0, 0, 0, 0 },
	{ "mailbox", "tls", V_BOOL, "yes", 0, O(mailbox.tls), 0, 0 },
	{ "mailbox", "ca_file", V_PATH, "", 0, O(mailbox.ca_file), 0, 0 },
	{ "mailbox", "processed_folder", V_NAME, "Rapid Review/Processed", 0,
	    O(mailbox.processed_folder), 0, 0 },
	{ "mailbox", "quarantine_folder", V_NAME, "Rapid Review/Quarantine", 0,
	    O(mailbox.quarantine_folder), 0, 0 },
	{ "mailbox", "idle", V_BOOL, "yes", 0, O(mailbox.idle), 0, 0 },
	{ "mailbox", "poll_seconds", V_SECONDS, "60", 0,
	    O(mailbox.poll_seconds), 5, 3600 },
	{ "mailbox", "timeout", V_SECONDS, "60", 0,
	    O(mailbox.timeout_seconds), 5, 600 },

	{ "smtp", "url", V_STRING, "", 0, O(smtp.url), 0, 0 },
	{ "smtp", "user", V_NAME, "", 0, O(smtp.user), 0, 0 },
	{ "smtp", "password_file", V_PATH, NULL, 0, O(smtp.password_file),
	    0, 0 },
	{ "smtp", "password_credential", V_NAME, NULL, 0,
	    O(smtp.password_credential), 0, 0 },
	{ "smtp", "auth", V_STRING, "password", 0, 0, 0, 0 },
	{ "smtp", "tls", V_BOOL, "yes", 0, O(smtp.tls), 0, 0 },
	{ "smtp", "ca_file", V_PATH, "", 0, O(smtp.ca_file), 0, 0 },
	{ "smtp", "sendmail", V_PATH, "", 0, O(smtp.sendmail), 0, 0 },
	{ "smtp", "timeout", V_SECONDS, "60", 0, O(smtp.timeout_seconds),
	    5, 600 },

	{ "oauth", "provider", V_STRING, "microsoft", 0, 0, 0, 0 },
	{ "oauth", "flow", V_STRING, "client_credentials", 0, 0, 0, 0 },
	{ "oauth", "tenant", V_NAME, NULL, 0, O(oauth.tenant), 0, 0 },
	{ "oauth", "client_id", V_NAME, NULL, 0, O(oauth.client_id), 0, 0 },
	{ "oauth", "client_secret_file", V_PATH, NULL, 0,
	    O(oauth.client_secret_file), 0, 0 },
	{ "oauth", "client_secret_credential", V_NAME, NULL, 0,
	    O(oauth.client_secret_credential), 0, 0 },
	{ "oauth", "refresh_token_file", V_STRING, "oauth-refresh-token", 0,
	    0, 0, 0 },
	{ "oauth", "service_account_file", V_PATH, NULL, 0,
	    O(oauth.service_account_file), 0, 0 },
	{ "oauth", "service_account_credential", V_NAME, NULL, 0,
	    O(oauth.service_account_credential), 0, 0 },
	{ "oauth", "token_url", V_NAME, NULL, 0, O(oauth.token_url), 0, 0 },
	{ "oauth", "device_url", V_NAME, NULL, 0, O(oauth.device_url), 0, 0 },
	{ "oauth", "graph_url", V_NAME, NULL, 0, O(oauth.graph_url), 0, 0 },
	{ "oauth", "scope", V_NAME, NULL, 0, O(oauth.scope), 0, 0 },
	{ "oauth", "ca_file", V_PATH, "", 0, O(oauth.ca_file), 0, 0 },
	{ "oauth", "timeout", V_SECONDS, "30", 0, O(oauth.timeout_seconds),
	    5, 600 },

	{ "storage", "database", V_PATH, NULL, 1, O(storage.database), 0, 0 },
	{ "storage", "key_file", V_PATH, NULL, 0, O(storage.key_file), 0, 0 },
	{ "storage", "retention_days", V_UINT, "0", 0,
	    O(storage.retention_days), 0, 36500 },

	{ "templates", "directory", V_PATH, RR_DATADIR "/templates", 0,
	    O(templates.directory), 0, 0 },

	{ "calendar", "holidays_file", V_PATH, RR_DATADIR "/bank-holidays.json",
	    0, O(calendar.holidays_file), 0, 0 },
	{ "calendar", "division", V_NAME, "england-and-wales", 0,
	    O(calendar.division), 0, 0 },
	{ "calendar", "extra_closures", V_STRING, "", 0, 0, 0, 0 },
	{ "calendar", "send_after", V_HHMM, "08:00", 0,
	    O(calendar.send_after), 0, 0 },
	{ "calendar", "digest_time", V_HHMM, "08:30", 0,
	    O(calendar.digest_time), 0, 0 },

	{ "deadlines", "day0", V_STRING, "notified", 0, 0, 0, 0 },
	{ "deadlines", "returns_due_day", V_UINT, "5", 0,
	    O(deadlines.returns_due_day), 1, 60 },
	{ "deadlines", "reminder_days", V_STRING, "-2, 0", 0, 0, 0, 0 },
	{ "deadlines", "escalation_days", V_UINT, "1", 0,
	    O(deadlines.escalation_days), 1, 60 },
	{ "deadlines", "meeting_by_day", V_UINT, "15", 0,
	    O(deadlines.meeting_by_day), 1, 60 },
	{ "deadlines", "meeting_default_day", V_UINT, "10", 0,
	    O(deadlines.meeting_default_day), 1, 60 },
	{ "deadlines", "pack_days_before_meeting", V_UINT, "2", 0,
	    O(deadlines.pack_days_before_meeting), 0, 30 },
	{ "deadlines", "panel_submission_day", V_UINT, "15", 0,
	    O(deadlines.panel_submission_day), 1, 60 },
	{ "deadlines", "panel_reminder_day", V_UINT, "12", 0,
	    O(deadlines.panel_reminder_day), 1, 60 },
	{ "deadlines", "sin_due_days", V_UINT, "5", 0,
	    O(deadlines.sin_due_days), 1, 60 },

	{ "limits", "max_message_size", V_SIZE, "50M", 0,
	    O(limits.max_message_size), 0, 0 },
	{ "limits", "max_attachment_size", V_SIZE, "25M", 0,
	    O(limits.max_attachment_size), 0, 0 },
	{ "limits", "max_mime_depth", V_UINT, "32", 0,
	    O(limits.max_mime_depth), 1, 1000 },
	{ "limits", "max_mime_parts", V_UINT, "1000", 0,
	    O(limits.max_mime_parts), 1, 100000 },
	{ "limits", "max_headers", V_UINT, "1000", 0,
	    O(limits.max_headers), 10, 100000 },
	{ "limits", "max_zip_entries", V_UINT, "1000", 0,
	    O(limits.max_zip_entries), 1, 100000 },
	{ "limits", "max_zip_expansion", V_SIZE, "200M", 0,
	    O(limits.max_zip_expansion), 0, 0 },
	{ "limits", "max_zip_ratio", V_UINT, "100", 0,
	    O(limits.max_zip_ratio), 1, 10000 },

	{ "security", "require_authentication", V_BOOL, "no", 0,
	    O(security.require_authentication), 0, 0 },
	{ "security", "trusted_authserv_id", V_NAME, "", 0,
	    O(security.trusted_authserv_id), 0, 0 },
	{ "security", "pack_allowed_domains", V_DOMAINS,
	    "*.gov.uk, nhs.net, *.nhs.uk, *.police.uk, cjsm.net, *.cjsm.net", 0,
	    O(security.pack_allowed_domains), 0, 0 },

	{ "notifiers", "allow", V_PATTERNS, NULL, 1, O(notifiers.allow), 0, 0 },
	{ "notifiers", "sin_subject", V_NAME, "*Serious Incident Notification*",
	    0, O(notifiers.sin_subject), 0, 0 },

	{ "daemon", "watchdog", V_SECONDS, "0", 0, O(daemon.watchdog_seconds),
	    0, 3600 },
	{ "daemon", "verbose", V_BOOL, "no", 0, O(daemon.verbose), 0, 0 },
};

struct agency_key_spec {
	const char	*key;
	enum value_type	 type;
	const char	*def;
	int		 required;
	size_t		 offset;	/* into struct agency_config */
};

#define A(f)	offsetof(struct agency_config, f)

static const struct agency_key_spec agency_key_specs[] = {
	{ "name", V_NAME, NULL, 1, A(name) },
	{ "aliases", V_STRING, "", 0, A(aliases) },
	{ "to", V_ADDRESSES, NULL, 1, A(to) },
	{ "allow", V_PATTERNS, NULL, 1, A(allow) },
	{ "escalate_to", V_ADDRESSES, "", 0, A(escalate_to) },
	{ "always_request", V_BOOL, "no", 0, A(always_request) },
	{ "pack", V_BOOL, "no", 0, A(pack) },
};

static const char *sections[] = {
	"partnership", "mailbox", "smtp", "oauth", "storage", "templates",
	"calendar", "deadlines", "limits", "security", "notifiers", "daemon",
};

/* Keys people reach for that would put a secret in the INI. */
static const char *secret_keys[] = {
	"password", "pass", "secret", "token", "oauth_token", "client_secret",
	"refresh_token", "access_token",
};

/* --- diagnostics --- */

void
config_diag_init(struct config_diag *d)
{
	memset(d, 0, sizeof *d);
}

void
config_diag_add(struct config_diag *d, int warning, const char *file,
    int line, const char *fmt, ...)
{
	struct config_diag_item	*it;
	va_list			 ap;
	char			*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);

	d->v = xreallocarray(d->v, d->n + 1, sizeof *d->v);
	it = &d->v[d->n++];
	it->line = line;
	it->warning = warning;
	if (line > 0)
		xasprintf(&it->text, "%s:%d: %s%s", file, line,
		    warning ? "warning: " : "", msg);
	else
		xasprintf(&it->text, "%s: %s%s", file,
		    warning ? "warning: " : "", msg);
	free(msg);
	if (!warning)
		d->errors++;
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct config_diag_item	*x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

void
config_diag_print(const struct config_diag *d, FILE *fp)
{
	struct config_diag_item	*sorted;
	size_t			 i;

	if (d->n == 0)
		return;
	/* In file order, which is how a person fixes them. */
	sorted = xreallocarray(NULL, d->n, sizeof *sorted);
	memcpy(sorted, d->v, d->n * sizeof *sorted);
	qsort(sorted, d->n, sizeof *sorted, diag_cmp);
	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s\n", sorted[i].text);
	free(sorted);
}

void
config_diag_free(struct config_diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	memset(d, 0, sizeof *d);
}

static void
problem(struct loader *l, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
warning(struct loader *l, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct loader *l, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	config_diag_add(l->diag, 0, l->file, line, "%s", msg);
	free(msg);
}

static void
warning(struct loader *l, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	config_diag_add(l->diag, 1, l->file, line, "%s", msg);
	free(msg);
}

/* --- value parsers --- */

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
config_parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t	i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int
config_parse_uint(const char *s, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long	v = 0;
	const char		*p;

	if (*s == '\0')
		return -1;
	/* Decimal only: a leading zero is not octal here. */
	for (p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
config_parse_int(const char *s, long long min, long long max, long long *out)
{
	unsigned long long	u;
	int			neg = 0;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (config_parse_uint(s, (unsigned long long)LLONG_MAX, &u) != 0)
		return -1;
	*out = neg ? -(long long)u : (long long)u;
	if (*out < min || *out > max)
		return -1;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	unsigned long long	 v, mult = 1;
	char			 buf[32];
	size_t			 len = strlen(s);

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len + 1);
	switch (toupper((unsigned char)buf[len - 1])) {
	case 'K':
		mult = 1024ULL;
		break;
	case 'M':
		mult = 1024ULL * 1024;
		break;
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		break;
	default:
		break;
	}
	if (mult != 1)
		buf[len - 1] = '\0';
	if (config_parse_uint(buf, UINT64_MAX / mult, &v) != 0)
		return -1;
	*out = v * mult;
	return 0;
}

int
config_parse_hhmm(const char *s, int *minutes)
{
	if (strlen(s) != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

int
config_parse_seconds(const char *s, unsigned *out)
{
	unsigned long long	 v, mult = 1;
	char			 buf[32];
	size_t			 len = strlen(s);

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 's':
		mult = 1;
		buf[len - 1] = '\0';
		break;
	case 'm':
		mult = 60;
		buf[len - 1] = '\0';
		break;
	case 'h':
		mult = 3600;
		buf[len - 1] = '\0';
		break;
	default:
		break;
	}
	if (config_parse_uint(buf, UINT_MAX / mult, &v) != 0)
		return -1;
	*out = (unsigned)(v * mult);
	return 0;
}

int
config_instance_path(const char *name, char *buf, size_t len)
{
	size_t	n = strlen(name);
	int	w;

	if (n == 0 || n > RR_INSTANCE_MAX || name[strspn(name,
	    "abcdefghijklmnopqrstuvwxyz0123456789_-")] != '\0')
		return -1;
	w = snprintf(buf, len, "%s/%s.ini", RR_CONFIG_DIR, name);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

int
config_host_is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return 1;
	/* 127.0.0.0/8 written as a dotted quad. */
	if (strncmp(host, "127.", 4) == 0) {
		const char	*p = host + 4;
		int		 dots = 0;

		for (; *p != '\0'; p++) {
			if (*p == '.')
				dots++;
			else if (!isdigit((unsigned char)*p))
				return 0;
		}
		return dots == 2;
	}
	return 0;
}

static int
has_ctl_or_space(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 1;
	return 0;
}

static int
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

int
config_address_valid(const char *a)
{
	const char	*at = strchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	if (has_ctl_or_space(a) || strpbrk(a, "<>()[],;:\"\\") != NULL)
		return 0;
	if (strlen(a) > 254 || at[1] == '.' || a[strlen(a) - 1] == '.')
		return 0;
	return 1;
}

static int
glob_match(const char *p, const char *s)
{
	/* Iterative '*' matching, case-insensitive, no backtracking blow-up. */
	const char	*star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (tolower((unsigned char)*p) ==
		    tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int
config_address_match(const char *pattern, const char *address)
{
	return glob_match(pattern, address);
}

static int
pattern_valid(const char *p)
{
	const char	*at = strchr(p, '@');

	if (at == NULL || at == p || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	return !has_ctl_or_space(p) && strpbrk(p, "<>()[],;:\"\\") == NULL;
}

static int
domain_valid(const char *p)
{
	if (*p == '\0' || strchr(p, '@') != NULL || has_ctl_or_space(p))
		return 0;
	return strpbrk(p, "<>()[],;:\"\\/") == NULL;
}

static void
strlist_free(struct strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Split "a, b ,c" into trimmed, non-empty items. */
static void
strlist_split(struct strlist *l, const char *value)
{
	char	*copy, *p, *item;

	copy = xstrdup(value);
	p = copy;
	while ((item = strsep(&p, ",")) != NULL) {
		item = trim(item);
		if (*item == '\0')
			continue;
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = xstrdup(item);
	}
	free(copy);
}

/* --- the line index --- */

static void
index_add(struct ini_index *x, const char *name, int line)
{
	x->v = xreallocarray(x->v, x->n + 1, sizeof *x->v);
	x->v[x->n].name = xstrdup(name);
	x->v[x->n].line = line;
	x->n++;
}

static int
index_line(const struct ini_index *x, const char *name)
{
	size_t	i;

	for (i = 0; i < x->n; i++)
		if (strcmp(x->v[i].name, name) == 0)
			return x->v[i].line;
	return 0;
}

static void
index_free(struct ini_index *x)
{
	size_t	i;

	for (i = 0; i < x->n; i++)
		free(x->v[i].name);
	free(x->v);
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * Our own reading of the file's structure, for line numbers and for the
 * mistakes iniparser either rejects without a line or accepts silently
 * (duplicate keys, a key before any section, over-long lines).
 * Returns -1 when the file cannot be used at all.
 */
static int
index_build(struct loader *l)
{
	FILE	*fp;
	char	 buf[4096], section[256] = "", name[600], *s, *eq, *end;
	int	 line = 0, first;

	if ((fp = fopen(l->file, "r")) == NULL) {
		problem(l, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof buf, fp) != NULL) {
		line++;
		if (strchr(buf, '\n') == NULL && !feof(fp)) {
			problem(l, line, "line too long (1024 bytes at most)");
			while (fgets(buf, sizeof buf, fp) != NULL &&
			    strchr(buf, '\n') == NULL)
				;
			continue;
		}
		if (strlen(buf) > 1024)
			problem(l, line, "line too long (1024 bytes at most)");
		s = trim(buf);
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			if ((end = strchr(s, ']')) == NULL) {
				problem(l, line, "section header without ']'");
				continue;
			}
			*end = '\0';
			s = trim(s + 1);
			if (*s == '\0' || strlen(s) >= sizeof section ||
			    strchr(s, ':') != NULL) {
				problem(l, line, "bad section name");
				section[0] = '\0';
				continue;
			}
			snprintf(section, sizeof section, "%s", s);
			lowercase(section);
			if ((first = index_line(&l->index, section)) != 0)
				problem(l, line, "section [%s] repeated "
				    "(first at line %d)", section, first);
			else
				index_add(&l->index, section, line);
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			problem(l, line, "expected 'key = value' or "
			    "'[section]'");
			continue;
		}
		*eq = '\0';
		s = trim(s);
		if (*s == '\0') {
			problem(l, line, "missing key name before '='");
			continue;
		}
		if (section[0] == '\0') {
			problem(l, line, "key '%s' outside any section", s);
			continue;
		}
		snprintf(name, sizeof name, "%s:%s", section, s);
		lowercase(name);
		if ((first = index_line(&l->index, name)) != 0)
			problem(l, line, "key '%s' repeated (first at line %d)",
			    s, first);
		else
			index_add(&l->index, name, line);
	}
	if (ferror(fp)) {
		problem(l, 0, "read error: %s", strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

/* iniparser reports its own syntax errors through this; we have ours. */
static int
ini_quiet(const char *fmt, ...)
{
	return 0;
}

/* --- reading values --- */

/* The value of section:key, or NULL when absent. Never a section's NULL. */
static const char *
ini_get(struct loader *l, const char *section, const char *key)
{
	char		 name[600];
	const char	*v;

	snprintf(name, sizeof name, "%s:%s", section, key);
	lowercase(name);
	if (index_line(&l->index, name) == 0)
		return NULL;
	v = iniparser_getstring(l->ini, name, NULL);
	return v;
}

static int
key_line(struct loader *l, const char *section, const char *key)
{
	char	name[600];
	int	line;

	snprintf(name, sizeof name, "%s:%s", section, key);
	lowercase(name);
	if ((line = index_line(&l->index, name)) != 0)
		return line;
	return index_line(&l->index, section);
}

static char *
resolve_path(struct loader *l, const char *v)
{
	char	*out;

	if (*v == '\0' || *v == '/')
		return xstrdup(v);
	xasprintf(&out, "%s/%s", l->cfg->dir, v);
	return out;
}

/*
 * Parse one value of a given type into dst (a field of the config or of an
 * agency). Returns 0, or -1 after reporting the problem at line.
 */
static int
parse_value(struct loader *l, int line, const char *section, const char *key,
    enum value_type type, const char *value, void *dst, unsigned long min,
    unsigned long max)
{
	struct strlist		*list;
	unsigned long long	 u;
	uint64_t		 sz;
	unsigned		 secs;
	size_t			 i;
	int			 b, hm;

	switch (type) {
	case V_STRING:
		*(char **)dst = xstrdup(value);
		return 0;
	case V_NAME:
		if (has_crlf(value)) {
			problem(l, line, "%s: line breaks are not allowed", key);
			return -1;
		}
		*(char **)dst = xstrdup(value);
		return 0;
	case V_ADDRESS:
		if (!config_address_valid(value)) {
			problem(l, line, "%s: '%s' is not an email address",
			    key, value);
			return -1;
		}
		*(char **)dst = xstrdup(value);
		return 0;
	case V_ADDRESSES:
	case V_PATTERNS:
	case V_DOMAINS:
		list = dst;
		strlist_split(list, value);
		for (i = 0; i < list->n; i++) {
			const char *item = list->v[i];

			if ((type == V_ADDRESSES &&
			    !config_address_valid(item)) ||
			    (type == V_PATTERNS && !pattern_valid(item)) ||
			    (type == V_DOMAINS && !domain_valid(item))) {
				problem(l, line, "%s: '%s' is not %s", key,
				    item, type == V_ADDRESSES ?
				    "an email address" : type == V_PATTERNS ?
				    "an address pattern (local@domain, "
				    "'*' allowed)" : "a domain pattern");
				strlist_free(list);
				return -1;
			}
		}
		return 0;
	case V_PATH:
		if (has_crlf(value)) {
			problem(l, line, "%s: line breaks are not allowed", key);
			return -1;
		}
		*(char **)dst = resolve_path(l, value);
		return 0;
	case V_BOOL:
		if (config_parse_bool(value, &b) != 0) {
			problem(l, line, "%s: '%s' is not a boolean "
			    "(yes, no, true, false, on, off, 1, 0)", key, value);
			return -1;
		}
		*(int *)dst = b;
		return 0;
	case V_UINT:
		if (config_parse_uint(value, max, &u) != 0 || u < min) {
			problem(l, line, "%s: '%s' is not a whole number "
			    "from %lu to %lu", key, value, min, max);
			return -1;
		}
		/* Every V_UINT field is an int or unsigned of int size. */
		*(int *)dst = (int)u;
		return 0;
	case V_SIZE:
		if (config_parse_size(value, &sz) != 0 || sz == 0) {
			problem(l, line, "%s: '%s' is not a size "
			    "(a number with K, M or G)", key, value);
			return -1;
		}
		*(uint64_t *)dst = sz;
		return 0;
	case V_HHMM:
		if (config_parse_hhmm(value, &hm) != 0) {
			problem(l, line, "%s: '%s' is not a time (HH:MM)",
			    key, value);
			return -1;
		}
		*(int *)dst = hm;
		return 0;
	case V_SECONDS:
		if (config_parse_seconds(value, &secs) != 0 ||
		    (secs != 0 && secs < min) || secs > max ||
		    (secs == 0 && min > 0)) {
			problem(l, line, "%s: '%s' is not a duration from %lus "
			    "to %lus (e.g. 90, 30s, 5m, 1h)", key, value, min,
			    max);
			return -1;
		}
		*(unsigned *)dst = secs;
		return 0;
	}
	(void)section;
	return -1;
}

static void
load_key_specs(struct loader *l)
{
	const struct key_spec	*ks;
	const char		*v;
	size_t			 i;
	int			 line;

	for (i = 0; i < sizeof key_specs / sizeof key_specs[0]; i++) {
		ks = &key_specs[i];
		v = ini_get(l, ks->section, ks->key);
		line = key_line(l, ks->section, ks->key);
		if (v == NULL || (*v == '\0' && ks->required)) {
			if (ks->required) {
				problem(l, line, "missing required key '%s' "
				    "in [%s]", ks->key, ks->section);
				continue;
			}
			if (ks->def == NULL)
				continue;
			v = ks->def;
		}
		if (ks->offset == 0 && ks->type == V_STRING)
			continue;	/* finished by the section's function */
		parse_value(l, line, ks->section, ks->key, ks->type, v,
		    (char *)l->cfg + ks->offset, ks->min, ks->max);
	}
}

/* Is section:key one we know? Agencies are checked separately. */
static int
known_key(const char *section, const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof key_specs / sizeof key_specs[0]; i++)
		if (strcmp(key_specs[i].section, section) == 0 &&
		    strcmp(key_specs[i].key, key) == 0)
			return 1;
	return 0;
}

static int
known_section(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof sections / sizeof sections[0]; i++)
		if (strcmp(sections[i], s) == 0)
			return 1;
	return 0;
}

static int
agency_key_valid(const char *k)
{
	if (*k == '\0' || strlen(k) > 32)
		return 0;
	for (; *k != '\0'; k++)
		if (!islower((unsigned char)*k) && !isdigit((unsigned char)*k) &&
		    *k != '-' && *k != '_')
			return 0;
	return 1;
}

static int
known_agency_key(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof agency_key_specs / sizeof agency_key_specs[0];
	    i++)
		if (strcmp(agency_key_specs[i].key, key) == 0)
			return 1;
	return 0;
}

static int
is_secret_key(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++)
		if (strcmp(secret_keys[i], key) == 0)
			return 1;
	return 0;
}

/* Report every section and key the file has that we do not know. */
static void
check_unknown(struct loader *l)
{
	const char	*name, *colon;
	char		 section[256];
	size_t		 i;

	for (i = 0; i < l->index.n; i++) {
		name = l->index.v[i].name;
		if ((colon = strchr(name, ':')) == NULL) {
			if (!known_section(name) &&
			    strncmp(name, "agency.", 7) != 0)
				problem(l, l->index.v[i].line,
				    "unknown section [%s]", name);
			continue;
		}
		snprintf(section, sizeof section, "%.*s",
		    (int)(colon - name), name);
		if (!known_section(section) &&
		    strncmp(section, "agency.", 7) != 0)
			continue;	/* reported with its section */
		if (is_secret_key(colon + 1)) {
			if (strcmp(section, "oauth") == 0)
				problem(l, l->index.v[i].line, "'%s' would put "
				    "a secret in the INI: use "
				    "client_secret_file or "
				    "client_secret_credential (a refresh token "
				    "goes in refresh_token_file, written by "
				    "rapidreviewctl oauth login)", colon + 1);
			else
				problem(l, l->index.v[i].line, "'%s' would put "
				    "a secret in the INI: use password_file "
				    "or password_credential", colon + 1);
			continue;
		}
		if (strncmp(section, "agency.", 7) == 0 ?
		    !known_agency_key(colon + 1) :
		    !known_key(section, colon + 1))
			problem(l, l->index.v[i].line,
			    "unknown key '%s' in [%s]", colon + 1, section);
	}
}

/* --- sections needing more than one value --- */

/*
 * Split "scheme://host[:port][/path]" into its parts. host may be an IPv6
 * literal in brackets. Returns -1 with a reason in *why.
 */
static int
parse_url(const char *url, char **scheme, char **host, uint16_t *port,
    char **path, const char **why)
{
	const char		*p, *h, *he, *colon;
	unsigned long long	 n;
	char			 pbuf[8];

	*scheme = *host = *path = NULL;
	*port = 0;
	if ((p = strstr(url, "://")) == NULL) {
		*why = "expected scheme://host";
		return -1;
	}
	*scheme = xstrndup(url, (size_t)(p - url));
	lowercase(*scheme);
	h = p + 3;
	if (*h == '[') {
		if ((he = strchr(h, ']')) == NULL) {
			*why = "unterminated IPv6 address";
			goto fail;
		}
		*host = xstrndup(h + 1, (size_t)(he - h - 1));
		p = he + 1;
	} else {
		he = h + strcspn(h, ":/");
		*host = xstrndup(h, (size_t)(he - h));
		p = he;
	}
	if (**host == '\0' || has_ctl_or_space(*host)) {
		*why = "missing or bad host name";
		goto fail;
	}
	if (*p == ':') {
		colon = p + 1;
		p = colon + strcspn(colon, "/");
		if ((size_t)(p - colon) >= sizeof pbuf) {
			*why = "bad port";
			goto fail;
		}
		memcpy(pbuf, colon, (size_t)(p - colon));
		pbuf[p - colon] = '\0';
		if (config_parse_uint(pbuf, 65535, &n) != 0 || n == 0) {
			*why = "bad port";
			goto fail;
		}
		*port = (uint16_t)n;
	}
	if (*p == '/')
		p++;
	*path = xstrdup(p);
	return 0;
fail:
	free(*scheme);
	free(*host);
	*scheme = *host = NULL;
	return -1;
}

/* A secret file must be ours alone: refuse group or other access. */
static void
check_secret_file(struct loader *l, const char *section, const char *key,
    const char *path)
{
	struct stat	st;
	int		line = key_line(l, section, key);

	if (stat(path, &st) != 0) {
		problem(l, line, "%s: cannot read %s: %s", key, path,
		    strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		problem(l, line, "%s: %s is not a regular file", key, path);
		return;
	}
	if ((st.st_mode & 077) != 0)
		problem(l, line, "%s: %s is readable by group or others "
		    "(mode %04o); chmod 600 it", key, path,
		    (unsigned)(st.st_mode & 07777));
}

static int
credential_name_valid(const char *s)
{
	return *s != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0 && !has_ctl_or_space(s);
}

static void
check_secret_keys(struct loader *l, const char *section, const char *fkey,
    const char *ckey, char *file, char *credential, int needed)
{
	int	line = index_line(&l->index, section);

	if (file != NULL && credential != NULL) {
		problem(l, key_line(l, section, ckey),
		    "give %s or %s, not both", fkey, ckey);
		return;
	}
	if (file != NULL) {
		check_secret_file(l, section, fkey, file);
		return;
	}
	if (credential != NULL) {
		if (!credential_name_valid(credential))
			problem(l, key_line(l, section, ckey),
			    "%s: '%s' is not a credential name", ckey,
			    credential);
		return;
	}
	if (needed)
		problem(l, line, "missing required key '%s' (or "
		    "'%s') in [%s]", fkey, ckey, section);
}

static void
check_secret(struct loader *l, const char *section, char *file,
    char *credential, int needed)
{
	check_secret_keys(l, section, "password_file", "password_credential",
	    file, credential, needed);
}

/* A password given where [oauth] supplies the login: say it is unused. */
static void
warn_unused_password(struct loader *l, const char *section, const char *why,
    const char *file, const char *credential)
{
	if (file != NULL)
		warning(l, key_line(l, section, "password_file"),
		    "password_file is not read %s", why);
	if (credential != NULL)
		warning(l, key_line(l, section, "password_credential"),
		    "password_credential is not read %s", why);
}

static int
host_is(const char *host, const char *name)
{
	return strcasecmp(host, name) == 0;
}

static int
host_under(const char *host, const char *domain)
{
	size_t	h = strlen(host), d = strlen(domain);

	return h > d && host[h - d - 1] == '.' &&
	    strcasecmp(host + h - d, domain) == 0;
}

/*
 * Hosts whose providers have switched password logins off: a password
 * login there can only fail, so say so before it is tried. Returns the
 * reason and fix, or NULL.
 */
static const char *
cloud_password_refusal(const char *host, int smtp)
{
	if (host == NULL)
		return NULL;
	if (host_is(host, "outlook.office365.com") ||
	    host_is(host, "smtp.office365.com") ||
	    host_is(host, "outlook.office.com") ||
	    host_under(host, "office365.com") ||
	    host_is(host, "outlook.com") || host_under(host, "outlook.com"))
		return smtp ? "Microsoft 365 has switched off password "
		    "logins to SMTP (basic authentication); set auth = xoauth2 "
		    "in [smtp] and add an [oauth] section (provider = "
		    "microsoft, flow = client_credentials), or send with url = "
		    "graph://MAILBOX: see rapidreviewd.ini(5), OAUTH" :
		    "Microsoft 365 has switched off password logins to IMAP; "
		    "set auth = xoauth2 and add an [oauth] section (provider = "
		    "microsoft, flow = client_credentials): see "
		    "rapidreviewd.ini(5), OAUTH";
	if (host_is(host, "imap.gmail.com") || host_is(host, "smtp.gmail.com"))
		return smtp ? "Google Workspace has switched off password "
		    "logins to SMTP; set auth = xoauth2 in [smtp] and add an "
		    "[oauth] section (provider = google, flow = "
		    "service_account): see rapidreviewd.ini(5), OAUTH" :
		    "Google Workspace has switched off password logins to "
		    "IMAP; set auth = xoauth2 and add an [oauth] section "
		    "(provider = google, flow = service_account): see "
		    "rapidreviewd.ini(5), OAUTH";
	return NULL;
}

static int
url_is_graph(const char *url)
{
	return url != NULL && strncasecmp(url, "graph://", 8) == 0;
}

/*
 * "graph://MAILBOX[/FOLDER]": the mailbox's address and the folder, which
 * may have '/' levels. Returns 0, or -1 after reporting.
 */
static int
parse_graph_url(struct loader *l, int line, const char *url, char **mailbox,
    char **folder)
{
	const char	*p = url + 8, *slash;

	slash = strchr(p, '/');
	*mailbox = slash != NULL ? xstrndup(p, (size_t)(slash - p)) :
	    xstrdup(p);
	if (!config_address_valid(*mailbox)) {
		problem(l, line, "url: '%s': graph://MAILBOX needs the "
		    "mailbox's email address", url);
		free(*mailbox);
		*mailbox = NULL;
		return -1;
	}
	if (folder != NULL)
		*folder = xstrdup(slash != NULL && slash[1] != '\0' ?
		    slash + 1 : "Inbox");
	else if (slash != NULL && slash[1] != '\0') {
		problem(l, line, "url: '%s': graph://MAILBOX takes no folder "
		    "in [smtp]", url);
		free(*mailbox);
		*mailbox = NULL;
		return -1;
	}
	return 0;
}

/* An endpoint of [oauth]: https://, or http:// to loopback only. */
static void
check_oauth_url(struct loader *l, const char *key, const char *url)
{
	char		*scheme = NULL, *host = NULL, *path = NULL;
	const char	*why;
	uint16_t	 port;
	int		 line = key_line(l, "oauth", key);

	if (parse_url(url, &scheme, &host, &port, &path, &why) != 0) {
		problem(l, line, "%s: '%s': %s", key, url, why);
		return;
	}
	if (strcmp(scheme, "https") == 0)
		;
	else if (strcmp(scheme, "http") == 0) {
		if (!config_host_is_loopback(host))
			problem(l, line, "%s: plain http to %s, which is not "
			    "loopback: https:// is required", key, host);
	} else
		problem(l, line, "%s: '%s' is not an https:// address", key,
		    url);
	free(scheme);
	free(host);
	free(path);
}

static int
tenant_valid(const char *t)
{
	return *t != '\0' && strlen(t) <= 256 && t[strspn(t,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_")] == '\0' && strcmp(t, ".") != 0 &&
	    strcmp(t, "..") != 0;
}

static void
set_default(char **field, const char *value)
{
	if (*field == NULL || **field == '\0') {
		free(*field);
		*field = value != NULL ? xstrdup(value) : NULL;
	}
}

/*
 * [oauth] (SPEC §7.1): every endpoint and the scope get the provider's
 * defaults, and refresh_token_file lives in the state folder (the
 * database's) when relative, since the daemon rewrites it.
 */
static void
load_oauth(struct loader *l)
{
	struct config	*c = l->cfg;
	const char	*v;
	char		*url, *dir;
	int		 sline = index_line(&l->index, "oauth");
	int		 graph, mixed;

	if (c->oauth.ca_file != NULL && *c->oauth.ca_file == '\0') {
		free(c->oauth.ca_file);
		c->oauth.ca_file = NULL;
	}
	if (sline == 0)
		return;
	c->oauth.configured = 1;

	v = ini_get(l, "oauth", "provider");
	if (v == NULL || *v == '\0' || strcasecmp(v, "microsoft") == 0)
		c->oauth.provider = OAUTH_MICROSOFT;
	else if (strcasecmp(v, "google") == 0)
		c->oauth.provider = OAUTH_GOOGLE;
	else if (strcasecmp(v, "generic") == 0)
		c->oauth.provider = OAUTH_GENERIC;
	else
		problem(l, key_line(l, "oauth", "provider"), "provider: '%s' "
		    "is not one of microsoft, google, generic", v);

	v = ini_get(l, "oauth", "flow");
	if (v == NULL || *v == '\0' ||
	    strcasecmp(v, "client_credentials") == 0)
		c->oauth.flow = OAUTH_CLIENT_CREDENTIALS;
	else if (strcasecmp(v, "refresh_token") == 0)
		c->oauth.flow = OAUTH_REFRESH_TOKEN;
	else if (strcasecmp(v, "service_account") == 0)
		c->oauth.flow = OAUTH_SERVICE_ACCOUNT;
	else
		problem(l, key_line(l, "oauth", "flow"), "flow: '%s' is not "
		    "one of client_credentials, refresh_token, "
		    "service_account", v);

	if (c->oauth.ca_file != NULL && *c->oauth.ca_file == '\0') {
		free(c->oauth.ca_file);
		c->oauth.ca_file = NULL;
	}
	if (c->oauth.tenant != NULL && *c->oauth.tenant == '\0') {
		free(c->oauth.tenant);
		c->oauth.tenant = NULL;
	}
	if (c->oauth.client_id != NULL && *c->oauth.client_id == '\0') {
		free(c->oauth.client_id);
		c->oauth.client_id = NULL;
	}

	/* Who needs what. */
	if (c->oauth.provider == OAUTH_MICROSOFT) {
		if (c->oauth.tenant == NULL)
			problem(l, sline, "provider = microsoft needs tenant "
			    "in [oauth] (the tenant's name, such as "
			    "northshire.onmicrosoft.com, or its id)");
		else if (!tenant_valid(c->oauth.tenant))
			problem(l, key_line(l, "oauth", "tenant"), "tenant: "
			    "'%s' is not a tenant name or id", c->oauth.tenant);
	}
	if (c->oauth.client_id == NULL &&
	    (c->oauth.provider == OAUTH_MICROSOFT ||
	    c->oauth.flow != OAUTH_SERVICE_ACCOUNT))
		problem(l, sline, "missing required key 'client_id' in "
		    "[oauth] (the application's id)");
	switch (c->oauth.flow) {
	case OAUTH_CLIENT_CREDENTIALS:
		check_secret_keys(l, "oauth", "client_secret_file",
		    "client_secret_credential", c->oauth.client_secret_file,
		    c->oauth.client_secret_credential, 1);
		break;
	case OAUTH_REFRESH_TOKEN:
		check_secret_keys(l, "oauth", "client_secret_file",
		    "client_secret_credential", c->oauth.client_secret_file,
		    c->oauth.client_secret_credential, 0);
		break;
	case OAUTH_SERVICE_ACCOUNT:
		if (c->oauth.provider == OAUTH_MICROSOFT)
			problem(l, key_line(l, "oauth", "flow"), "flow = "
			    "service_account is Google's domain-wide "
			    "delegation: set provider = google (or generic)");
		if ((c->oauth.service_account_file == NULL ||
		    *c->oauth.service_account_file == '\0') &&
		    (c->oauth.service_account_credential == NULL ||
		    *c->oauth.service_account_credential == '\0'))
			problem(l, sline, "flow = service_account needs "
			    "service_account_file (or "
			    "service_account_credential) in [oauth] (the "
			    "service account's JSON key)");
		else if (c->oauth.service_account_file != NULL &&
		    *c->oauth.service_account_file != '\0')
			check_secret_file(l, "oauth", "service_account_file",
			    c->oauth.service_account_file);
		break;
	}

	/* The refresh token: in the state folder, beside the database. */
	v = ini_get(l, "oauth", "refresh_token_file");
	if (v == NULL || *v == '\0')
		v = "oauth-refresh-token";
	if (has_crlf(v))
		problem(l, key_line(l, "oauth", "refresh_token_file"),
		    "refresh_token_file: line breaks are not allowed");
	else if (*v == '/')
		c->oauth.refresh_token_file = xstrdup(v);
	else {
		dir = c->storage.database != NULL ?
		    config_path_dir(c->storage.database) : xstrdup(c->dir);
		xasprintf(&c->oauth.refresh_token_file, "%s/%s", dir, v);
		free(dir);
	}
	if (c->oauth.flow == OAUTH_REFRESH_TOKEN &&
	    c->oauth.refresh_token_file != NULL) {
		struct stat	st;

		if (stat(c->oauth.refresh_token_file, &st) == 0)
			check_secret_file(l, "oauth", "refresh_token_file",
			    c->oauth.refresh_token_file);
		else
			warning(l, key_line(l, "oauth", "refresh_token_file"),
			    "refresh_token_file: %s does not exist yet: run "
			    "rapidreviewctl oauth login",
			    c->oauth.refresh_token_file);
	}

	/* Endpoints. */
	graph = url_is_graph(c->mailbox.url) || url_is_graph(c->smtp.url);
	switch (c->oauth.provider) {
	case OAUTH_MICROSOFT:
		if (c->oauth.tenant != NULL) {
			xasprintf(&url, "https://login.microsoftonline.com/%s/"
			    "oauth2/v2.0/token", c->oauth.tenant);
			set_default(&c->oauth.token_url, url);
			free(url);
			xasprintf(&url, "https://login.microsoftonline.com/%s/"
			    "oauth2/v2.0/devicecode", c->oauth.tenant);
			set_default(&c->oauth.device_url, url);
			free(url);
		}
		set_default(&c->oauth.graph_url,
		    "https://graph.microsoft.com/v1.0");
		if (c->oauth.flow == OAUTH_REFRESH_TOKEN)
			set_default(&c->oauth.scope, graph ?
			    "offline_access Mail.ReadWrite.Shared Mail.Send.Shared" :
			    "offline_access "
			    "https://outlook.office365.com/IMAP.AccessAsUser.All "
			    "https://outlook.office365.com/SMTP.Send");
		else
			set_default(&c->oauth.scope, graph ?
			    "https://graph.microsoft.com/.default" :
			    "https://outlook.office365.com/.default");
		/* One token serves both: one resource for both. */
		mixed = (url_is_graph(c->mailbox.url) &&
		    c->smtp.url != NULL && *c->smtp.url != '\0' &&
		    !url_is_graph(c->smtp.url) &&
		    ini_get(l, "smtp", "auth") != NULL &&
		    strcasecmp(ini_get(l, "smtp", "auth"), "xoauth2") == 0) ||
		    (url_is_graph(c->smtp.url) && c->mailbox.url != NULL &&
		    !url_is_graph(c->mailbox.url) &&
		    ini_get(l, "mailbox", "auth") != NULL &&
		    (strcasecmp(ini_get(l, "mailbox", "auth"), "xoauth2") ==
		    0 || strcasecmp(ini_get(l, "mailbox", "auth"),
		    "oauthbearer") == 0));
		if (mixed)
			problem(l, sline, "one access token cannot serve both "
			    "Microsoft Graph and IMAP/SMTP logins: use "
			    "graph:// for both [mailbox] and [smtp], or for "
			    "neither");
		break;
	case OAUTH_GOOGLE:
		set_default(&c->oauth.token_url,
		    "https://oauth2.googleapis.com/token");
		set_default(&c->oauth.device_url,
		    "https://oauth2.googleapis.com/device/code");
		set_default(&c->oauth.scope, "https://mail.google.com/");
		if (graph && c->oauth.graph_url == NULL)
			problem(l, sline, "graph:// is Microsoft Graph: it "
			    "needs provider = microsoft in [oauth]");
		break;
	case OAUTH_GENERIC:
		if (c->oauth.token_url == NULL || *c->oauth.token_url == '\0')
			problem(l, sline, "provider = generic needs token_url "
			    "in [oauth]");
		if (graph && (c->oauth.graph_url == NULL ||
		    *c->oauth.graph_url == '\0'))
			problem(l, sline, "graph:// with provider = generic "
			    "needs graph_url in [oauth]");
		break;
	}
	if (c->oauth.token_url != NULL && *c->oauth.token_url != '\0')
		check_oauth_url(l, "token_url", c->oauth.token_url);
	if (c->oauth.device_url != NULL && *c->oauth.device_url != '\0')
		check_oauth_url(l, "device_url", c->oauth.device_url);
	if (c->oauth.graph_url != NULL && *c->oauth.graph_url != '\0')
		check_oauth_url(l, "graph_url", c->oauth.graph_url);
	set_default(&c->oauth.device_url, NULL);
	set_default(&c->oauth.graph_url, NULL);
	set_default(&c->oauth.scope, NULL);
}

static void
load_mailbox(struct loader *l)
{
	struct config	*c = l->cfg;
	const char	*v, *why;
	char		*scheme = NULL, *path = NULL;
	int		 line = key_line(l, "mailbox", "url");

	if ((v = ini_get(l, "mailbox", "auth")) == NULL || *v == '\0')
		v = "plain";
	if (strcasecmp(v, "plain") == 0)
		c->mailbox.auth = AUTH_PLAIN;
	else if (strcasecmp(v, "login") == 0)
		c->mailbox.auth = AUTH_LOGIN;
	else if (strcasecmp(v, "xoauth2") == 0)
		c->mailbox.auth = AUTH_XOAUTH2;
	else if (strcasecmp(v, "oauthbearer") == 0) {
		/* libetpan has no OAUTHBEARER; say so now, not at login. */
		c->mailbox.auth = AUTH_OAUTHBEARER;
		problem(l, key_line(l, "mailbox", "auth"), "auth = "
		    "oauthbearer is not available for IMAP in this build; "
		    "use auth = xoauth2 (Microsoft 365, NHSmail and Gmail "
		    "take it with the same token)");
	} else
		problem(l, key_line(l, "mailbox", "auth"), "auth: '%s' is not "
		    "one of plain, login, xoauth2, oauthbearer", v);

	if (c->mailbox.ca_file != NULL && *c->mailbox.ca_file == '\0') {
		free(c->mailbox.ca_file);
		c->mailbox.ca_file = NULL;
	}
	if (c->mailbox.url == NULL)
		return;		/* reported as missing */
	if (strncmp(c->mailbox.url, "maildir:", 8) == 0) {
		c->mailbox.kind = MAILBOX_MAILDIR;
		v = c->mailbox.url + 8;
		if (*v == '\0')
			problem(l, line, "url: maildir: needs a path");
		else
			c->mailbox.maildir = resolve_path(l, v);
		return;
	}
	if (url_is_graph(c->mailbox.url)) {
		if (parse_graph_url(l, line, c->mailbox.url,
		    &c->mailbox.graph_mailbox, &c->mailbox.folder) != 0)
			return;
		c->mailbox.kind = MAILBOX_GRAPH;
		if (!c->oauth.configured)
			problem(l, line, "url = graph:// needs an [oauth] "
			    "section (SPEC §7.1)");
		if (c->mailbox.user == NULL || *c->mailbox.user == '\0') {
			free(c->mailbox.user);
			c->mailbox.user = xstrdup(c->mailbox.graph_mailbox);
		}
		warn_unused_password(l, "mailbox", "with url = graph:// (the "
		    "token comes from [oauth])", c->mailbox.password_file,
		    c->mailbox.password_credential);
		return;
	}
	if (parse_url(c->mailbox.url, &scheme, &c->mailbox.host,
	    &c->mailbox.port, &path, &why) != 0) {
		problem(l, line, "url: '%s': %s", c->mailbox.url, why);
		return;
	}
	if (strcmp(scheme, "imaps") == 0) {
		c->mailbox.kind = MAILBOX_IMAPS;
		if (c->mailbox.port == 0)
			c->mailbox.port = 993;
		if (!c->mailbox.tls)
			problem(l, key_line(l, "mailbox", "tls"),
			    "tls = no contradicts an imaps:// url");
	} else if (strcmp(scheme, "imap") == 0) {
		c->mailbox.kind = MAILBOX_IMAP;
		if (c->mailbox.port == 0)
			c->mailbox.port = 143;
	} else
		problem(l, line, "url: scheme '%s' is not imaps, imap or "
		    "maildir", scheme);
	c->mailbox.folder = xstrdup(*path != '\0' ? path : "INBOX");
	if (!c->mailbox.tls && !config_host_is_loopback(c->mailbox.host))
		problem(l, key_line(l, "mailbox", "tls"), "plaintext IMAP "
		    "to %s, which is not loopback: TLS is required",
		    c->mailbox.host);
	if (c->mailbox.user == NULL || *c->mailbox.user == '\0')
		problem(l, index_line(&l->index, "mailbox"),
		    "missing required key 'user' in [mailbox]");
	if (c->mailbox.auth == AUTH_XOAUTH2 ||
	    c->mailbox.auth == AUTH_OAUTHBEARER) {
		if (!c->oauth.configured)
			problem(l, key_line(l, "mailbox", "auth"), "auth = %s "
			    "needs an [oauth] section (SPEC §7.1); a fixed "
			    "token in password_file is no longer read",
			    c->mailbox.auth == AUTH_XOAUTH2 ? "xoauth2" :
			    "oauthbearer");
		else
			warn_unused_password(l, "mailbox", "with auth = "
			    "xoauth2 (the token comes from [oauth])",
			    c->mailbox.password_file,
			    c->mailbox.password_credential);
	} else {
		if ((why = cloud_password_refusal(c->mailbox.host, 0)) != NULL)
			problem(l, key_line(l, "mailbox", "auth"), "%s: %s",
			    c->mailbox.host, why);
		check_secret(l, "mailbox", c->mailbox.password_file,
		    c->mailbox.password_credential, 1);
	}
	free(scheme);
	free(path);
}

static void
load_smtp(struct loader *l)
{
	struct config	*c = l->cfg;
	char		*scheme = NULL, *path = NULL;
	const char	*why;
	int		 line = key_line(l, "smtp", "url");

	const char	*v;
	int		 aline = key_line(l, "smtp", "auth");

	if ((v = ini_get(l, "smtp", "auth")) == NULL || *v == '\0')
		v = "password";
	if (strcasecmp(v, "password") == 0 || strcasecmp(v, "plain") == 0 ||
	    strcasecmp(v, "login") == 0)
		c->smtp.auth = SMTP_AUTH_PASSWORD;
	else if (strcasecmp(v, "xoauth2") == 0)
		c->smtp.auth = SMTP_AUTH_XOAUTH2;
	else
		problem(l, aline, "auth: '%s' is not one of password, "
		    "xoauth2", v);

	if (c->smtp.ca_file != NULL && *c->smtp.ca_file == '\0') {
		free(c->smtp.ca_file);
		c->smtp.ca_file = NULL;
	}
	if (*c->smtp.sendmail != '\0') {
		if (*c->smtp.url != '\0')
			problem(l, line, "give url or sendmail in [smtp], "
			    "not both");
		if (c->smtp.auth == SMTP_AUTH_XOAUTH2)
			problem(l, aline, "auth = xoauth2 needs url = smtp:// "
			    "or smtps://, not sendmail");
		c->smtp.kind = SMTP_SENDMAIL;
		return;
	}
	if (url_is_graph(c->smtp.url)) {
		if (parse_graph_url(l, line, c->smtp.url,
		    &c->smtp.graph_mailbox, NULL) != 0)
			return;
		c->smtp.kind = SMTP_GRAPH;
		if (!c->oauth.configured)
			problem(l, line, "url = graph:// needs an [oauth] "
			    "section (SPEC §7.1)");
		warn_unused_password(l, "smtp", "with url = graph:// (the "
		    "token comes from [oauth])", c->smtp.password_file,
		    c->smtp.password_credential);
		return;
	}
	if (*c->smtp.url == '\0') {
		problem(l, index_line(&l->index, "smtp"), "missing required "
		    "key 'url' (or 'sendmail') in [smtp]");
		return;
	}
	if (parse_url(c->smtp.url, &scheme, &c->smtp.host, &c->smtp.port,
	    &path, &why) != 0) {
		problem(l, line, "url: '%s': %s", c->smtp.url, why);
		return;
	}
	if (strcmp(scheme, "smtps") == 0) {
		c->smtp.kind = SMTP_SMTPS;
		if (c->smtp.port == 0)
			c->smtp.port = 465;
	} else if (strcmp(scheme, "smtp") == 0) {
		c->smtp.kind = SMTP_STARTTLS;
		if (c->smtp.port == 0)
			c->smtp.port = 587;
	} else
		problem(l, line, "url: scheme '%s' is not smtp or smtps",
		    scheme);
	if (!c->smtp.tls && !config_host_is_loopback(c->smtp.host))
		problem(l, key_line(l, "smtp", "tls"), "plaintext SMTP to "
		    "%s, which is not loopback: TLS is required",
		    c->smtp.host);
	if (c->smtp.auth == SMTP_AUTH_XOAUTH2) {
		if (!c->oauth.configured)
			problem(l, aline, "auth = xoauth2 needs an [oauth] "
			    "section (SPEC §7.1)");
		if (*c->smtp.user == '\0') {
			/* The SASL user: the mailbox's, unless told. */
			if (c->mailbox.user != NULL &&
			    *c->mailbox.user != '\0') {
				free(c->smtp.user);
				c->smtp.user = xstrdup(c->mailbox.user);
			} else
				problem(l, index_line(&l->index, "smtp"),
				    "auth = xoauth2 needs user in [smtp] (the "
				    "mailbox to log in as)");
		}
		warn_unused_password(l, "smtp", "with auth = xoauth2 (the "
		    "token comes from [oauth])", c->smtp.password_file,
		    c->smtp.password_credential);
	} else {
		if (*c->smtp.user != '\0' &&
		    (why = cloud_password_refusal(c->smtp.host, 1)) != NULL)
			problem(l, key_line(l, "smtp", "user"), "%s: %s",
			    c->smtp.host, why);
		check_secret(l, "smtp", c->smtp.password_file,
		    c->smtp.password_credential, *c->smtp.user != '\0');
	}
	free(scheme);
	free(path);
}

static void
load_calendar(struct loader *l)
{
	struct config	*c = l->cfg;
	struct strlist	 days = { NULL, 0 };
	struct rr_date	 d;
	const char	*v;
	size_t		 i;
	int		 line = key_line(l, "calendar", "extra_closures");

	if ((v = ini_get(l, "calendar", "extra_closures")) == NULL)
		return;
	strlist_split(&days, v);
	c->calendar.extra_closures = xreallocarray(NULL, days.n + 1,
	    sizeof *c->calendar.extra_closures);
	for (i = 0; i < days.n; i++) {
		if (date_parse_iso(days.v[i], &d) != 0) {
			problem(l, line, "extra_closures: '%s' is not a date "
			    "(YYYY-MM-DD)", days.v[i]);
			continue;
		}
		c->calendar.extra_closures[c->calendar.n_extra_closures++] =
		    date_to_days(&d);
	}
	strlist_free(&days);
}

static void
load_deadlines(struct loader *l)
{
	struct config	*c = l->cfg;
	struct strlist	 days = { NULL, 0 };
	const char	*v;
	long long	 n;
	size_t		 i;
	int		 line;

	if ((v = ini_get(l, "deadlines", "day0")) == NULL)
		v = "notified";
	if (strcasecmp(v, "notified") == 0)
		c->deadlines.day0 = DAY0_NOTIFIED;
	else if (strcasecmp(v, "aware") == 0)
		c->deadlines.day0 = DAY0_AWARE;
	else if (strcasecmp(v, "received") == 0)
		c->deadlines.day0 = DAY0_RECEIVED;
	else
		problem(l, key_line(l, "deadlines", "day0"), "day0: '%s' is "
		    "not one of notified, aware, received", v);

	line = key_line(l, "deadlines", "reminder_days");
	if ((v = ini_get(l, "deadlines", "reminder_days")) == NULL)
		v = "-2, 0";
	strlist_split(&days, v);
	c->deadlines.reminder_days = xreallocarray(NULL, days.n + 1,
	    sizeof *c->deadlines.reminder_days);
	for (i = 0; i < days.n; i++) {
		if (config_parse_int(days.v[i], -30, 30, &n) != 0) {
			problem(l, line, "reminder_days: '%s' is not a whole "
			    "number from -30 to 30", days.v[i]);
			continue;
		}
		c->deadlines.reminder_days[c->deadlines.n_reminder_days++] =
		    (int)n;
	}
	strlist_free(&days);

	if (c->deadlines.meeting_default_day > c->deadlines.meeting_by_day)
		problem(l, key_line(l, "deadlines", "meeting_default_day"),
		    "meeting_default_day (%d) is after meeting_by_day (%d)",
		    c->deadlines.meeting_default_day,
		    c->deadlines.meeting_by_day);
	if (c->deadlines.panel_reminder_day > c->deadlines.panel_submission_day)
		problem(l, key_line(l, "deadlines", "panel_reminder_day"),
		    "panel_reminder_day (%d) is after panel_submission_day "
		    "(%d)", c->deadlines.panel_reminder_day,
		    c->deadlines.panel_submission_day);
}

static void
load_partnership(struct loader *l)
{
	struct config	*c = l->cfg;
	struct stat	 st;
	char		*zone;

	if (c->partnership.display_name == NULL && c->partnership.name != NULL)
		c->partnership.display_name = xstrdup(c->partnership.name);
	if (c->partnership.timezone == NULL)
		return;
	/* Working days are counted in a named zone; it must exist here. */
	if (strstr(c->partnership.timezone, "..") != NULL ||
	    *c->partnership.timezone == '/') {
		problem(l, key_line(l, "partnership", "timezone"),
		    "timezone: '%s' is not a time zone name",
		    c->partnership.timezone);
		return;
	}
	xasprintf(&zone, "/usr/share/zoneinfo/%s", c->partnership.timezone);
	if (stat(zone, &st) != 0)
		problem(l, key_line(l, "partnership", "timezone"),
		    "timezone: no zone '%s' on this system",
		    c->partnership.timezone);
	free(zone);
}

static void
load_storage(struct loader *l)
{
	struct config	*c = l->cfg;

	if (c->storage.database == NULL)
		return;
	if (c->storage.key_file == NULL) {
		/* Beside the database by default. */
		char	*slash, *dir = xstrdup(c->storage.database);

		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		else {
			free(dir);
			dir = xstrdup(".");
		}
		xasprintf(&c->storage.key_file, "%s/token.key", dir);
		free(dir);
	}
}

static void
load_agencies(struct loader *l)
{
	struct config		*c = l->cfg;
	struct agency_config	*a;
	const struct agency_key_spec *ks;
	const char		*section, *v;
	size_t			 i, j;
	int			 line;

	for (i = 0; i < l->index.n; i++) {
		section = l->index.v[i].name;
		if (strncmp(section, "agency.", 7) != 0 ||
		    strchr(section, ':') != NULL)
			continue;
		line = l->index.v[i].line;
		if (!agency_key_valid(section + 7)) {
			problem(l, line, "agency key '%s' must be 1-32 of "
			    "a-z, 0-9, '-' and '_'", section + 7);
			continue;
		}
		c->agencies = xreallocarray(c->agencies, c->n_agencies + 1,
		    sizeof *c->agencies);
		a = &c->agencies[c->n_agencies++];
		memset(a, 0, sizeof *a);
		a->key = xstrdup(section + 7);
		a->line = line;
		for (j = 0; j < sizeof agency_key_specs /
		    sizeof agency_key_specs[0]; j++) {
			ks = &agency_key_specs[j];
			v = ini_get(l, section, ks->key);
			if (v == NULL || (*v == '\0' && ks->required)) {
				if (ks->required) {
					problem(l, line, "missing required key "
					    "'%s' in [%s]", ks->key, section);
					continue;
				}
				v = ks->def;
			}
			if (ks->type == V_STRING) {	/* aliases */
				strlist_split((struct strlist *)((char *)a +
				    ks->offset), v);
				continue;
			}
			parse_value(l, key_line(l, section, ks->key), section,
			    ks->key, ks->type, v, (char *)a + ks->offset, 0, 0);
		}
	}
}

char *
config_path_dir(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

struct config *
config_load(const char *path, struct config_diag *diag)
{
	struct loader	 l;
	struct config	*c;
	size_t		 before = diag->errors;

	memset(&l, 0, sizeof l);
	l.file = path;
	l.diag = diag;
	c = l.cfg = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	c->dir = config_path_dir(path);

	if (index_build(&l) != 0)
		goto fail;
	iniparser_set_error_callback(ini_quiet);
	if ((l.ini = iniparser_load(path)) == NULL) {
		if (diag->errors == before)
			problem(&l, 0, "cannot be parsed as INI");
		goto fail;
	}
	check_unknown(&l);
	load_key_specs(&l);
	load_partnership(&l);
	load_oauth(&l);
	load_mailbox(&l);
	load_smtp(&l);
	load_storage(&l);
	load_calendar(&l);
	load_deadlines(&l);
	load_agencies(&l);
	if (c->security.require_authentication &&
	    (c->security.trusted_authserv_id == NULL ||
	    *c->security.trusted_authserv_id == '\0'))
		problem(&l, key_line(&l, "security", "require_authentication"),
		    "require_authentication = yes needs trusted_authserv_id: "
		    "the authserv-id of your own mail server's "
		    "Authentication-Results");
	if (c->n_agencies == 0)
		warning(&l, 0, "no [agency.KEY] sections: no agency will "
		    "receive requests");
	if (c->oauth.configured && c->mailbox.kind != MAILBOX_GRAPH &&
	    c->mailbox.auth != AUTH_XOAUTH2 &&
	    c->mailbox.auth != AUTH_OAUTHBEARER && c->smtp.kind != SMTP_GRAPH &&
	    c->smtp.auth != SMTP_AUTH_XOAUTH2)
		warning(&l, index_line(&l.index, "oauth"), "[oauth] is not "
		    "used: set auth = xoauth2 in [mailbox] or [smtp], or a "
		    "graph:// url");

	iniparser_freedict(l.ini);
	index_free(&l.index);
	if (diag->errors != before) {
		config_free(c);
		return NULL;
	}
	return c;
fail:
	if (l.ini != NULL)
		iniparser_freedict(l.ini);
	index_free(&l.index);
	config_free(c);
	return NULL;
}

struct calendar *
config_calendar(const struct config *c, char **cause)
{
	struct calendar	*cal;
	size_t		 i;

	cal = calendar_new();
	if (calendar_load_json(cal, c->calendar.holidays_file,
	    c->calendar.division, cause) != 0) {
		calendar_free(cal);
		return NULL;
	}
	for (i = 0; i < c->calendar.n_extra_closures; i++)
		calendar_add_holiday(cal, c->calendar.extra_closures[i],
		    "Local closure");
	return cal;
}

const struct agency_config *
config_agency(const struct config *c, const char *key)
{
	size_t	i;

	for (i = 0; i < c->n_agencies; i++)
		if (strcasecmp(c->agencies[i].key, key) == 0)
			return &c->agencies[i];
	return NULL;
}

void
config_free(struct config *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->dir);
	free(c->partnership.name);
	free(c->partnership.address);
	free(c->partnership.display_name);
	free(c->partnership.business_manager);
	strlist_free(&c->partnership.admins);
	strlist_free(&c->partnership.attendees);
	free(c->partnership.marking);
	free(c->partnership.timezone);
	free(c->mailbox.url);
	free(c->mailbox.host);
	free(c->mailbox.folder);
	free(c->mailbox.maildir);
	free(c->mailbox.graph_mailbox);
	free(c->mailbox.user);
	free(c->mailbox.password_file);
	free(c->mailbox.password_credential);
	free(c->mailbox.ca_file);
	free(c->mailbox.processed_folder);
	free(c->mailbox.quarantine_folder);
	free(c->smtp.url);
	free(c->smtp.host);
	free(c->smtp.user);
	free(c->smtp.password_file);
	free(c->smtp.password_credential);
	free(c->smtp.ca_file);
	free(c->smtp.sendmail);
	free(c->smtp.graph_mailbox);
	free(c->oauth.tenant);
	free(c->oauth.client_id);
	free(c->oauth.client_secret_file);
	free(c->oauth.client_secret_credential);
	free(c->oauth.refresh_token_file);
	free(c->oauth.service_account_file);
	free(c->oauth.service_account_credential);
	free(c->oauth.token_url);
	free(c->oauth.device_url);
	free(c->oauth.graph_url);
	free(c->oauth.scope);
	free(c->oauth.ca_file);
	free(c->storage.database);
	free(c->storage.key_file);
	free(c->templates.directory);
	free(c->calendar.holidays_file);
	free(c->calendar.division);
	free(c->calendar.extra_closures);
	free(c->deadlines.reminder_days);
	free(c->security.trusted_authserv_id);
	strlist_free(&c->security.pack_allowed_domains);
	strlist_free(&c->notifiers.allow);
	free(c->notifiers.sin_subject);
	for (i = 0; i < c->n_agencies; i++) {
		free(c->agencies[i].key);
		free(c->agencies[i].name);
		strlist_free(&c->agencies[i].aliases);
		strlist_free(&c->agencies[i].to);
		strlist_free(&c->agencies[i].allow);
		strlist_free(&c->agencies[i].escalate_to);
	}
	free(c->agencies);
	free(c);
}
