/*
 * calendar.c - working days: Monday to Friday minus holidays and closures.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "calendar.h"
#include "date.h"
#include "log.h"
#include "xmalloc.h"

/* GOV.UK's file is about 20 KiB; anything this large is not that file. */
#define CALENDAR_JSON_MAX	(4 * 1024 * 1024)

struct holiday {
	long	 day;
	char	*title;		/* never NULL */
};

struct calendar {
	struct holiday	*hols;	/* sorted by day, no duplicates */
	size_t		 nhols;
	size_t		 cap;
};

/* A validated event waiting to be added; title points into the JSON tree. */
struct pending {
	long		 day;
	const char	*title;
};

static size_t	calendar_lower_bound(const struct calendar *, long);
static int	calendar_read_file(const char *, char **, size_t *, char **);
static int	calendar_parse_events(struct json_object *, const char *,
		    const char *, struct pending **, size_t *, char **);
static long	calendar_weekdays_upto(long);
static long	calendar_year_start(int);

struct calendar *
calendar_new(void)
{
	return xcalloc(1, sizeof(struct calendar));
}

void
calendar_free(struct calendar *cal)
{
	size_t	i;

	if (cal == NULL)
		return;
	for (i = 0; i < cal->nhols; i++)
		free(cal->hols[i].title);
	free(cal->hols);
	free(cal);
}

/* Index of the first holiday on or after day (nhols when none). */
static size_t
calendar_lower_bound(const struct calendar *cal, long day)
{
	size_t	lo = 0, hi = cal->nhols, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cal->hols[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
calendar_add_holiday(struct calendar *cal, long day, const char *title)
{
	size_t	i;

	i = calendar_lower_bound(cal, day);
	if (i < cal->nhols && cal->hols[i].day == day)
		return;
	if (cal->nhols == cal->cap) {
		cal->cap = cal->cap == 0 ? 32 : cal->cap * 2;
		cal->hols = xreallocarray(cal->hols, cal->cap,
		    sizeof *cal->hols);
	}
	memmove(&cal->hols[i + 1], &cal->hols[i],
	    (cal->nhols - i) * sizeof *cal->hols);
	cal->hols[i].day = day;
	cal->hols[i].title = xstrdup(title != NULL ? title : "");
	cal->nhols++;
}

int
calendar_is_holiday(const struct calendar *cal, long day)
{
	size_t	i;

	i = calendar_lower_bound(cal, day);
	return i < cal->nhols && cal->hols[i].day == day;
}

int
calendar_is_working_day(const struct calendar *cal, long day)
{
	return date_weekday(day) < 5 && !calendar_is_holiday(cal, day);
}

long
calendar_add_working_days(const struct calendar *cal, long day0, int n)
{
	long	day = day0;
	int	step = n > 0 ? 1 : -1;

	/* Never loops for ever: holidays are finite, weekdays are not. */
	while (n != 0) {
		day += step;
		if (calendar_is_working_day(cal, day))
			n -= step;
	}
	return day;
}

/* Running count of Monday..Friday days up to day; only differences matter. */
static long
calendar_weekdays_upto(long day)
{
	long	d, weeks, rem;

	/* Day -3 (1969-12-29) was a Monday; floor-divide from there. */
	d = day + 3;
	weeks = d >= 0 ? d / 7 : -((-d + 6) / 7);
	rem = d - weeks * 7;
	return weeks * 5 + (rem < 5 ? rem + 1 : 5);
}

int
calendar_working_days_between(const struct calendar *cal, long a, long b)
{
	long	n;
	size_t	i;

	if (b <= a)
		return 0;
	/*
	 * add(a, n) >= b first happens for n = 1 + the working days strictly
	 * between a and b: count weekdays arithmetically, then drop holidays.
	 */
	n = calendar_weekdays_upto(b - 1) - calendar_weekdays_upto(a);
	for (i = calendar_lower_bound(cal, a + 1);
	    i < cal->nhols && cal->hols[i].day < b; i++) {
		if (date_weekday(cal->hols[i].day) < 5)
			n--;
	}
	n++;
	return n > INT_MAX ? INT_MAX : (int)n;
}

static long
calendar_year_start(int year)
{
	struct rr_date	dt = { year, 1, 1 };

	return date_to_days(&dt);
}

int
calendar_has_year(const struct calendar *cal, int year)
{
	size_t	i;

	i = calendar_lower_bound(cal, calendar_year_start(year));
	return i < cal->nhols &&
	    cal->hols[i].day < calendar_year_start(year + 1);
}

void
calendar_foreach_in_year(const struct calendar *cal, int year,
    void (*fn)(long, const char *, void *), void *arg)
{
	long	end = calendar_year_start(year + 1);
	size_t	i;

	for (i = calendar_lower_bound(cal, calendar_year_start(year));
	    i < cal->nhols && cal->hols[i].day < end; i++)
		fn(cal->hols[i].day, cal->hols[i].title, arg);
}

/* Read the whole file, refusing anything over the cap. Caller frees *buf. */
static int
calendar_read_file(const char *path, char **buf, size_t *len, char **cause)
{
	FILE	*f;
	char	*b = NULL;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* One byte over the cap tells a full-size file from a larger one. */
	b = xmalloc(CALENDAR_JSON_MAX + 1);
	n = fread(b, 1, CALENDAR_JSON_MAX + 1, f);
	if (ferror(f)) {
		xasprintf(cause, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if (n > CALENDAR_JSON_MAX) {
		xasprintf(cause, "%s: larger than %d bytes", path,
		    CALENDAR_JSON_MAX);
		goto fail;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;

fail:
	free(b);
	fclose(f);
	return -1;
}

/* Validate every event before adding any, so a bad file changes nothing. */
static int
calendar_parse_events(struct json_object *root, const char *path,
    const char *division, struct pending **out, size_t *nout, char **cause)
{
	struct json_object	*divobj, *events, *ev, *date, *title;
	struct pending		*p = NULL;
	struct rr_date		 dt;
	size_t			 i, n;

	if (!json_object_is_type(root, json_type_object)) {
		xasprintf(cause, "%s: top level is not a JSON object", path);
		return -1;
	}
	if (!json_object_object_get_ex(root, division, &divobj)) {
		xasprintf(cause, "%s: no division \"%s\"", path, division);
		return -1;
	}
	if (!json_object_is_type(divobj, json_type_object)) {
		xasprintf(cause, "%s: division \"%s\" is not an object", path,
		    division);
		return -1;
	}
	if (!json_object_object_get_ex(divobj, "events", &events) ||
	    !json_object_is_type(events, json_type_array)) {
		xasprintf(cause, "%s: division \"%s\" has no \"events\" array",
		    path, division);
		return -1;
	}

	n = json_object_array_length(events);
	p = xreallocarray(NULL, n, sizeof *p);
	for (i = 0; i < n; i++) {
		ev = json_object_array_get_idx(events, i);
		if (!json_object_is_type(ev, json_type_object)) {
			xasprintf(cause, "%s: %s: event %zu is not an object",
			    path, division, i);
			goto fail;
		}
		/* Length check too: a "\u0000" would hide trailing text. */
		if (!json_object_object_get_ex(ev, "date", &date) ||
		    !json_object_is_type(date, json_type_string) ||
		    json_object_get_string_len(date) != 10 ||
		    date_parse_iso(json_object_get_string(date), &dt) != 0) {
			xasprintf(cause, "%s: %s: event %zu: missing or bad "
			    "\"date\" (want YYYY-MM-DD)", path, division, i);
			goto fail;
		}
		if (!json_object_object_get_ex(ev, "title", &title) ||
		    !json_object_is_type(title, json_type_string)) {
			xasprintf(cause, "%s: %s: event %zu: missing or bad "
			    "\"title\"", path, division, i);
			goto fail;
		}
		p[i].day = date_to_days(&dt);
		p[i].title = json_object_get_string(title);
	}
	*out = p;
	*nout = n;
	return 0;

fail:
	free(p);
	return -1;
}

int
calendar_load_json(struct calendar *cal, const char *path,
    const char *division, char **cause)
{
	struct json_tokener	*tok = NULL;
	struct json_object	*root = NULL;
	struct pending		*p = NULL;
	enum json_tokener_error	 jerr;
	char			*buf = NULL;
	const char		*text;
	size_t			 len, n, i;
	int			 rc = -1;

	*cause = NULL;
	if (calendar_read_file(path, &buf, &len, cause) != 0)
		return -1;

	/* An editor may have saved it with a UTF-8 byte order mark. */
	text = buf;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}

	tok = json_tokener_new();
	if (tok == NULL)
		fatalx("json_tokener_new failed");
	/* Strict: no comments or trailing text; UTF-8 checked. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		xasprintf(cause, "%s: not JSON: empty or truncated", path);
		goto out;
	}
	if (jerr != json_tokener_success || root == NULL) {
		xasprintf(cause, "%s: not JSON: %s at byte %zu", path,
		    json_tokener_error_desc(jerr),
		    json_tokener_get_parse_end(tok));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) < len) {
		xasprintf(cause, "%s: not JSON: trailing text at byte %zu",
		    path, json_tokener_get_parse_end(tok));
		goto out;
	}

	if (calendar_parse_events(root, path, division, &p, &n, cause) != 0)
		goto out;
	for (i = 0; i < n; i++)
		calendar_add_holiday(cal, p[i].day, p[i].title);
	log_debug("%s: %zu %s holidays", path, n, division);
	rc = 0;

out:
	free(p);
	if (root != NULL)
		json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	free(buf);
	return rc;
}
