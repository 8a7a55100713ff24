/*
 * calendar.h - working days: Monday to Friday minus holidays and closures.
 *
 * Holidays come from a GOV.UK bank-holidays.json file (one division of it,
 * "england-and-wales" by default) plus local closure days from the INI.
 * Day numbers are those of date.h (days since 1970-01-01).
 */
#ifndef RR_CALENDAR_H
#define RR_CALENDAR_H

#include <stddef.h>

#include "date.h"

struct calendar;

/* An empty calendar: every Monday to Friday is a working day. */
struct calendar	*calendar_new(void);
void		 calendar_free(struct calendar *);

/*
 * Load the holidays of one division from a GOV.UK bank-holidays.json file.
 * Returns 0, or -1 with *cause set (caller frees) when the file cannot be
 * read, is not JSON of that shape, is over 4 MiB, or has no such division.
 * Holidays already in the calendar are kept.
 */
int	calendar_load_json(struct calendar *, const char *path,
	    const char *division, char **cause);

/* Add one holiday or local closure; title may be NULL. Duplicates are ignored. */
void	calendar_add_holiday(struct calendar *, long day, const char *title);

/* 1 when the day is a holiday or closure (not counting weekends). */
int	calendar_is_holiday(const struct calendar *, long day);

/* 1 when the day is Monday..Friday and not a holiday. */
int	calendar_is_working_day(const struct calendar *, long day);

/*
 * Working day n after day0 (day 0 itself, which need not be a working day,
 * counts as 0): n = 1 is the first working day after day0. n = 0 returns
 * day0. Negative n counts backwards the same way (-1 is the last working
 * day before day0).
 */
long	calendar_add_working_days(const struct calendar *, long day0, int n);

/* Working days from a to b: 0 when b <= a, else the n with add(a, n) >= b first. */
int	calendar_working_days_between(const struct calendar *, long a, long b);

/* 1 when the calendar holds at least one holiday in that year. */
int	calendar_has_year(const struct calendar *, int year);

/*
 * The year's holidays in date order: calls fn for each with its day number
 * and title (never NULL; "" when none was given).
 */
void	calendar_foreach_in_year(const struct calendar *, int year,
	    void (*fn)(long day, const char *title, void *arg), void *arg);

#endif
