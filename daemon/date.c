/*
 * date.c - civil date arithmetic (Howard Hinnant's days-from-civil).
 */
#include <ctype.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "date.h"

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
date_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	max;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	max = mdays[m - 1] + (m == 2 && is_leap(y));
	return d <= max;
}

long
date_to_days(const struct rr_date *dt)
{
	long	y = dt->year, era, yoe, doy, doe;
	int	m = dt->month, d = dt->day;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
date_from_days(long z, struct rr_date *out)
{
	long	era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	out->year = (int)(y + (out->month <= 2));
}

int
date_weekday(long days)
{
	/* 1970-01-01 was a Thursday (3). */
	long	w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

int
date_parse_iso(const char *s, struct rr_date *out)
{
	int	i, y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (!isdigit((unsigned char)s[i]))
			return -1;
	}
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || !date_valid(y, m, d))
		return -1;
	out->year = y;
	out->month = m;
	out->day = d;
	return 0;
}

char *
date_format_iso(const struct rr_date *dt, char *buf, size_t len)
{
	snprintf(buf, len, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
	return buf;
}

int
date_parse_local(const char *s, struct rr_date *out, int *minutes,
    int *seconds)
{
	char	day[11];
	size_t	len = strlen(s);
	int	h, m, sec = 0;

	if (len < 10)
		return -1;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (date_parse_iso(day, out) != 0)
		return -1;
	*minutes = 0;
	*seconds = 0;
	if (len == 10)
		return 0;
	s += 10;
	if ((*s != 'T' && *s != ' ') || (len != 16 && len != 19))
		return -1;
	s++;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (len == 19) {
		if (s[5] != ':' || !isdigit((unsigned char)s[6]) ||
		    !isdigit((unsigned char)s[7]))
			return -1;
		sec = (s[6] - '0') * 10 + (s[7] - '0');
	}
	if (h > 23 || m > 59 || sec > 59)
		return -1;
	*minutes = h * 60 + m;
	*seconds = sec;
	return 0;
}

/*
 * Run fn with TZ set to zone, then put TZ back. The process is single
 * threaded, so a temporary TZ is safe and keeps us free of a tz library.
 */
static int
with_zone(const char *zone, int (*fn)(void *), void *arg)
{
	char	*old = getenv("TZ"), *saved = NULL;
	int	 rc;

	if (zone == NULL || *zone == '\0' || strstr(zone, "..") != NULL)
		return -1;
	if (old != NULL && (saved = strdup(old)) == NULL)
		return -1;
	setenv("TZ", zone, 1);
	tzset();
	rc = fn(arg);
	if (saved != NULL) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
	return rc;
}

struct conv {
	struct rr_date	*date;
	int		*minutes;
	int		 seconds;
	long long	*t;
};

static int
conv_to_time(void *arg)
{
	struct conv	*c = arg;
	struct tm	 tm;
	time_t		 t;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = c->date->year - 1900;
	tm.tm_mon = c->date->month - 1;
	tm.tm_mday = c->date->day;
	tm.tm_hour = *c->minutes / 60;
	tm.tm_min = *c->minutes % 60;
	tm.tm_sec = c->seconds;
	tm.tm_isdst = -1;	/* let the zone say whether summer time holds */
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*c->t = (long long)t;
	return 0;
}

static int
conv_from_time(void *arg)
{
	struct conv	*c = arg;
	struct tm	 tm;
	time_t		 t = (time_t)*c->t;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	c->date->year = tm.tm_year + 1900;
	c->date->month = tm.tm_mon + 1;
	c->date->day = tm.tm_mday;
	*c->minutes = tm.tm_hour * 60 + tm.tm_min;
	return 0;
}

int
date_local_to_time(const char *zone, const struct rr_date *d, int minutes,
    int seconds, long long *out)
{
	struct rr_date	copy = *d;
	struct conv	c = { &copy, &minutes, seconds, out };

	return with_zone(zone, conv_to_time, &c);
}

int
date_time_to_local(const char *zone, long long t, struct rr_date *out,
    int *minutes)
{
	struct conv	c = { out, minutes, 0, &t };

	return with_zone(zone, conv_from_time, &c);
}
