/*
 * date.h - civil dates (proleptic Gregorian), strictly parsed.
 *
 * A date is carried as a day number: days since 1970-01-01 (may be
 * negative). Weekday 0 is Monday ... 6 is Sunday (ISO 8601).
 */
#ifndef RR_DATE_H
#define RR_DATE_H

#include <stddef.h>

struct rr_date {
	int	year;
	int	month;		/* 1..12 */
	int	day;		/* 1..31 */
};

/* Days since 1970-01-01 for a valid date. */
long	date_to_days(const struct rr_date *);
void	date_from_days(long, struct rr_date *);

/* ISO weekday of a day number: 0 Monday .. 6 Sunday. */
int	date_weekday(long days);

/* 1 when y-m-d names a real day of the Gregorian calendar. */
int	date_valid(int year, int month, int day);

/*
 * Parse exactly "YYYY-MM-DD" (years 1900..9999, no trailing text) into *out.
 * Returns 0, or -1 when the text is not such a date.
 */
int	date_parse_iso(const char *, struct rr_date *out);

/* Write "YYYY-MM-DD" into buf (at least 11 bytes). Returns buf. */
char	*date_format_iso(const struct rr_date *, char *buf, size_t len);

/*
 * Parse a local date and time as given to --now: "YYYY-MM-DD",
 * "YYYY-MM-DDTHH:MM", "YYYY-MM-DD HH:MM" or with ":SS". *minutes is the
 * time of day in minutes (0 when no time is given), *seconds the rest.
 * Returns 0 or -1.
 */
int	date_parse_local(const char *, struct rr_date *out, int *minutes,
	    int *seconds);

/*
 * Convert local civil time in the named zone (e.g. "Europe/London") to a
 * time_t, and back. Both return 0, or -1 when the zone or time is unusable.
 */
int	date_local_to_time(const char *zone, const struct rr_date *,
	    int minutes, int seconds, long long *out);
int	date_time_to_local(const char *zone, long long t, struct rr_date *out,
	    int *minutes);

#endif
