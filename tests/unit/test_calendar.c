/*
 * test_calendar.c - working days against the bundled GOV.UK holidays.
 *
 * The JSON is found at $RR_SRC/config/bank-holidays.json, or at
 * config/bank-holidays.json from the current directory (the repo root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>

#include "calendar.h"
#include "date.h"
#include "xmalloc.h"

#define EW	"england-and-wales"

struct fixture {
	struct calendar	*cal;	/* england-and-wales as shipped */
	char		*path;
	char		 tmpdir[64];
};

struct collected {
	long	 days[32];
	char	*titles[32];
	size_t	 n;
};

static long	day(const char *);
static char	*json_path(void);
static void	collect(long, const char *, void *);
static void	collected_free(struct collected *);
static char	*write_file(struct fixture *, const char *, const char *);
static void	expect_load_error(struct fixture *, const char *,
		    const char *, const char *);
static const char *title_of(const struct calendar *, long);
static int	in_ew_table(long);
static void	remove_tmpdir(const char *);
static int	setup(void **);
static int	teardown(void **);
static void	test_worked_examples(void **);
static void	test_backwards(void **);
static void	test_between(void **);
static void	test_special_days(void **);
static void	test_year_counts(void **);
static void	test_every_day(void **);
static void	test_ordinary_days(void **);
static void	test_other_divisions(void **);
static void	test_has_year(void **);
static void	test_closures(void **);
static void	test_empty_calendar(void **);
static void	test_reload_idempotent(void **);
static void	test_load_errors(void **);
static void	test_size_cap(void **);

/* Day number of a "YYYY-MM-DD" that the test itself wrote. */
static long
day(const char *iso)
{
	struct rr_date	dt;

	if (date_parse_iso(iso, &dt) != 0)
		fail_msg("bad date in test table: %s", iso);
	return date_to_days(&dt);
}

static char *
json_path(void)
{
	const char	*src = getenv("RR_SRC");
	char		*p;

	if (src != NULL && *src != '\0')
		xasprintf(&p, "%s/config/bank-holidays.json", src);
	else
		p = xstrdup("config/bank-holidays.json");
	return p;
}

static void
collect(long d, const char *title, void *arg)
{
	struct collected	*c = arg;

	assert_non_null(title);
	assert_true(c->n < sizeof c->days / sizeof c->days[0]);
	c->days[c->n] = d;
	c->titles[c->n] = xstrdup(title);
	c->n++;
}

static void
collected_free(struct collected *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->titles[i]);
	c->n = 0;
}

static int
setup(void **state)
{
	struct fixture	*fx;
	char		*cause = NULL;

	fx = xcalloc(1, sizeof *fx);
	fx->path = json_path();
	fx->cal = calendar_new();
	if (calendar_load_json(fx->cal, fx->path, EW, &cause) != 0) {
		print_error("%s\n", cause);
		free(cause);
		return -1;
	}
	snprintf(fx->tmpdir, sizeof fx->tmpdir, "/tmp/test_calendar.XXXXXX");
	if (mkdtemp(fx->tmpdir) == NULL)
		return -1;
	*state = fx;
	return 0;
}

/* The directory holds only plain files this test wrote. */
static void
remove_tmpdir(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		if (unlink(p) != 0)
			print_error("could not remove %s\n", p);
		free(p);
	}
	closedir(d);
	if (rmdir(dir) != 0)
		print_error("could not remove %s\n", dir);
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	remove_tmpdir(fx->tmpdir);
	calendar_free(fx->cal);
	free(fx->path);
	free(fx);
	return 0;
}

/* SPEC.md section 2: day n counts working days after day 0. */
static const struct {
	const char	*day0;
	int		 n;
	const char	*want;
} worked[] = {
	{ "2024-07-08", 5, "2024-07-15" },
	{ "2024-07-08", 15, "2024-07-29" },
	{ "2024-08-16", 5, "2024-08-23" },
	{ "2024-08-16", 15, "2024-09-09" },	/* 26 Aug is a holiday */
	{ "2024-12-20", 5, "2024-12-31" },
	{ "2024-12-20", 15, "2025-01-15" },
	{ "2024-12-20", 0, "2024-12-20" },
	{ "2024-12-25", 0, "2024-12-25" },	/* n = 0 even on a holiday */
	{ "2024-12-24", 1, "2024-12-27" },
	{ "2024-12-28", 1, "2024-12-30" },	/* day 0 at a weekend */
	{ "2020-05-07", 1, "2020-05-11" },	/* VE day Friday */
	{ "2022-06-01", 1, "2022-06-06" },	/* Jubilee Thu and Fri */
	{ "2022-09-16", 1, "2022-09-20" },	/* State Funeral */
	{ "2023-05-05", 1, "2023-05-09" },	/* Coronation */
	{ "2021-12-24", 1, "2021-12-29" },	/* two substitutes */
	{ "2027-12-24", 2, "2027-12-30" },
	{ "2022-12-23", 1, "2022-12-28" },
	{ "2022-12-30", 1, "2023-01-03" },
};

static void
test_worked_examples(void **state)
{
	struct fixture	*fx = *state;
	struct rr_date	 dt;
	char		 got[11];
	size_t		 i;
	long		 r;

	for (i = 0; i < sizeof worked / sizeof worked[0]; i++) {
		r = calendar_add_working_days(fx->cal, day(worked[i].day0),
		    worked[i].n);
		date_from_days(r, &dt);
		date_format_iso(&dt, got, sizeof got);
		if (strcmp(got, worked[i].want) != 0)
			fail_msg("%s + %d: got %s, want %s", worked[i].day0,
			    worked[i].n, got, worked[i].want);
		if (worked[i].n > 0)
			assert_true(calendar_is_working_day(fx->cal, r));
	}
}

static const struct {
	const char	*day0;
	int		 n;
	const char	*want;
} backwards[] = {
	{ "2024-12-27", -1, "2024-12-24" },
	{ "2025-01-02", -1, "2024-12-31" },
	{ "2024-08-27", -1, "2024-08-23" },	/* over the Summer holiday */
	{ "2024-07-15", -5, "2024-07-08" },
	{ "2024-09-09", -15, "2024-08-16" },
	{ "2025-01-15", -15, "2024-12-20" },
	{ "2024-12-29", -1, "2024-12-27" },	/* day 0 at a weekend */
	{ "2022-06-06", -1, "2022-06-01" },
	{ "2023-01-03", -1, "2022-12-30" },
	{ "2024-12-25", 0, "2024-12-25" },
};

static void
test_backwards(void **state)
{
	struct fixture	*fx = *state;
	size_t		 i;

	for (i = 0; i < sizeof backwards / sizeof backwards[0]; i++) {
		if (calendar_add_working_days(fx->cal, day(backwards[i].day0),
		    backwards[i].n) != day(backwards[i].want))
			fail_msg("%s %d: want %s", backwards[i].day0,
			    backwards[i].n, backwards[i].want);
	}
}

static void
test_between(void **state)
{
	struct fixture	*fx = *state;
	long		 a, b;
	int		 n;

	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-08-16"), day("2024-09-09")), 15);
	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-12-20"), day("2025-01-15")), 15);
	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-07-08"), day("2024-07-15")), 5);
	/* b <= a is 0. */
	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-07-15"), day("2024-07-08")), 0);
	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-07-15"), day("2024-07-15")), 0);
	/* A non-working b is reached by the next working day. */
	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-07-12"), day("2024-07-13")), 1);
	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-12-24"), day("2024-12-26")), 1);
	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-12-24"), day("2024-12-27")), 1);
	assert_int_equal(calendar_working_days_between(fx->cal,
	    day("2024-12-24"), day("2024-12-28")), 2);

	/* The contract: the first n with add(a, n) >= b. */
	for (a = day("2019-12-01"); a < day("2020-01-15"); a++) {
		for (b = a - 2; b < a + 40; b++) {
			n = calendar_working_days_between(fx->cal, a, b);
			if (b <= a) {
				assert_int_equal(n, 0);
				continue;
			}
			assert_true(calendar_add_working_days(fx->cal, a, n) >=
			    b);
			assert_true(calendar_add_working_days(fx->cal, a,
			    n - 1) < b);
		}
	}
	for (a = day("2022-05-20"); a < day("2022-10-01"); a++) {
		for (n = 0; n <= 20; n++) {
			b = calendar_add_working_days(fx->cal, a, n);
			assert_int_equal(calendar_working_days_between(fx->cal,
			    a, b), n);
		}
	}
}

/*
 * Every England and Wales substitute day and one-off holiday, 2018..2027,
 * with the day it stands in for. A substitute replaces a weekend day (not
 * listed, non-working anyway); a moved holiday leaves its usual Monday an
 * ordinary working day; a one-off replaces nothing.
 */
enum special_kind { SUBSTITUTE, MOVED, ONE_OFF };

static const struct {
	const char		*date;
	const char		*title;
	enum special_kind	 kind;
	const char		*replaces;
	int			 replaced_weekday;
} specials[] = {
	{ "2020-05-08", "Early May bank holiday (VE day)", MOVED,
	    "2020-05-04", 0 },
	{ "2020-12-28", "Boxing Day", SUBSTITUTE, "2020-12-26", 5 },
	{ "2021-12-27", "Christmas Day", SUBSTITUTE, "2021-12-25", 5 },
	{ "2021-12-28", "Boxing Day", SUBSTITUTE, "2021-12-26", 6 },
	{ "2022-01-03", "New Year\xe2\x80\x99s Day", SUBSTITUTE, "2022-01-01",
	    5 },
	{ "2022-06-02", "Spring bank holiday", MOVED, "2022-05-30", 0 },
	{ "2022-06-03", "Platinum Jubilee bank holiday", ONE_OFF, NULL, 0 },
	{ "2022-09-19",
	    "Bank Holiday for the State Funeral of Queen Elizabeth II",
	    ONE_OFF, NULL, 0 },
	{ "2022-12-27", "Christmas Day", SUBSTITUTE, "2022-12-25", 6 },
	{ "2023-01-02", "New Year\xe2\x80\x99s Day", SUBSTITUTE, "2023-01-01",
	    6 },
	{ "2023-05-08", "Bank holiday for the coronation of King Charles III",
	    ONE_OFF, NULL, 0 },
	{ "2026-12-28", "Boxing Day", SUBSTITUTE, "2026-12-26", 5 },
	{ "2027-12-27", "Christmas Day", SUBSTITUTE, "2027-12-25", 5 },
	{ "2027-12-28", "Boxing Day", SUBSTITUTE, "2027-12-26", 6 },
};

static const char *
title_of(const struct calendar *cal, long d)
{
	static char		 title[128];
	struct collected	 c = { .n = 0 };
	struct rr_date		 dt;
	size_t			 i;

	title[0] = '\0';
	date_from_days(d, &dt);
	calendar_foreach_in_year(cal, dt.year, collect, &c);
	for (i = 0; i < c.n; i++) {
		if (c.days[i] == d)
			snprintf(title, sizeof title, "%s", c.titles[i]);
	}
	collected_free(&c);
	return title;
}

static void
test_special_days(void **state)
{
	struct fixture	*fx = *state;
	long		 d, r;
	size_t		 i;

	for (i = 0; i < sizeof specials / sizeof specials[0]; i++) {
		d = day(specials[i].date);
		if (!calendar_is_holiday(fx->cal, d))
			fail_msg("%s is not a holiday", specials[i].date);
		assert_false(calendar_is_working_day(fx->cal, d));
		/* Every E&W holiday falls Monday to Friday. */
		assert_true(date_weekday(d) < 5);
		assert_string_equal(title_of(fx->cal, d), specials[i].title);

		if (specials[i].replaces == NULL)
			continue;
		r = day(specials[i].replaces);
		assert_int_equal(date_weekday(r), specials[i].replaced_weekday);
		assert_false(calendar_is_holiday(fx->cal, r));
		if (specials[i].kind == SUBSTITUTE) {
			/* The weekend day itself is not listed. */
			assert_true(date_weekday(r) >= 5);
			assert_false(calendar_is_working_day(fx->cal, r));
		} else {
			/* The usual Monday was worked that year. */
			if (!calendar_is_working_day(fx->cal, r))
				fail_msg("%s should be a working day",
				    specials[i].replaces);
		}
	}
}

/*
 * All England and Wales holidays, worked out from the rules: New Year,
 * Good Friday and Easter Monday (Easter 1 Apr 2018, 21 Apr 2019, 12 Apr
 * 2020, 4 Apr 2021, 17 Apr 2022, 9 Apr 2023, 31 Mar 2024, 20 Apr 2025,
 * 5 Apr 2026, 28 Mar 2027), first and last Mondays of May, last Monday of
 * August, Christmas and Boxing Day, with substitutes and one-offs.
 */
static const struct {
	int		 year;
	size_t		 count;
	const char	*days[12];
} ew_years[] = {
	{ 2018, 8, { "01-01", "03-30", "04-02", "05-07", "05-28", "08-27",
	    "12-25", "12-26" } },
	{ 2019, 8, { "01-01", "04-19", "04-22", "05-06", "05-27", "08-26",
	    "12-25", "12-26" } },
	{ 2020, 8, { "01-01", "04-10", "04-13", "05-08", "05-25", "08-31",
	    "12-25", "12-28" } },
	{ 2021, 8, { "01-01", "04-02", "04-05", "05-03", "05-31", "08-30",
	    "12-27", "12-28" } },
	{ 2022, 10, { "01-03", "04-15", "04-18", "05-02", "06-02", "06-03",
	    "08-29", "09-19", "12-26", "12-27" } },
	{ 2023, 9, { "01-02", "04-07", "04-10", "05-01", "05-08", "05-29",
	    "08-28", "12-25", "12-26" } },
	{ 2024, 8, { "01-01", "03-29", "04-01", "05-06", "05-27", "08-26",
	    "12-25", "12-26" } },
	{ 2025, 8, { "01-01", "04-18", "04-21", "05-05", "05-26", "08-25",
	    "12-25", "12-26" } },
	{ 2026, 8, { "01-01", "04-03", "04-06", "05-04", "05-25", "08-31",
	    "12-25", "12-28" } },
	{ 2027, 8, { "01-01", "03-26", "03-29", "05-03", "05-31", "08-30",
	    "12-27", "12-28" } },
};

static int
in_ew_table(long d)
{
	struct rr_date	dt;
	char		buf[6];
	size_t		i, j;

	date_from_days(d, &dt);
	snprintf(buf, sizeof buf, "%02d-%02d", dt.month, dt.day);
	for (i = 0; i < sizeof ew_years / sizeof ew_years[0]; i++) {
		if (ew_years[i].year != dt.year)
			continue;
		for (j = 0; j < ew_years[i].count; j++) {
			if (strcmp(ew_years[i].days[j], buf) == 0)
				return 1;
		}
	}
	return 0;
}

static void
test_year_counts(void **state)
{
	struct fixture		*fx = *state;
	struct collected	 c = { .n = 0 };
	char			 iso[11];
	size_t			 i, j;

	for (i = 0; i < sizeof ew_years / sizeof ew_years[0]; i++) {
		calendar_foreach_in_year(fx->cal, ew_years[i].year, collect,
		    &c);
		if (c.n != ew_years[i].count)
			fail_msg("%d: %zu holidays, want %zu", ew_years[i].year,
			    c.n, ew_years[i].count);
		for (j = 0; j < c.n; j++) {
			snprintf(iso, sizeof iso, "%d-%s", ew_years[i].year,
			    ew_years[i].days[j]);
			/* In date order, and exactly the table. */
			assert_int_equal(c.days[j], day(iso));
			assert_true(c.titles[j][0] != '\0');
		}
		collected_free(&c);
	}
}

/* Every day 2018..2027: working exactly when a weekday not in the table. */
static void
test_every_day(void **state)
{
	struct fixture	*fx = *state;
	struct rr_date	 dt;
	char		 iso[11];
	long		 d;
	int		 want;

	for (d = day("2018-01-01"); d <= day("2027-12-31"); d++) {
		want = date_weekday(d) < 5 && !in_ew_table(d);
		if (calendar_is_working_day(fx->cal, d) != want) {
			date_from_days(d, &dt);
			fail_msg("%s: working %d, want %d",
			    date_format_iso(&dt, iso, sizeof iso), !want, want);
		}
		assert_int_equal(calendar_is_holiday(fx->cal, d),
		    in_ew_table(d));
	}
}

/*
 * Ordinary days next to holidays, and other divisions' holidays, which
 * must be England and Wales working days.
 */
static const char *ordinary[] = {
	"2020-05-04",	/* the Monday VE day replaced */
	"2020-05-07", "2020-05-11",
	"2022-05-30",	/* the Monday the 2022 Spring holiday left */
	"2022-06-01", "2022-06-06",
	"2022-09-16", "2022-09-20",
	"2023-05-02", "2023-05-09",
	"2020-12-24", "2020-12-29",
	"2021-12-24", "2021-12-29",
	"2021-12-31",	/* Friday before the 2022 New Year substitute */
	"2022-01-04",	/* Scotland's 2 January substitute */
	"2022-12-23", "2022-12-28",
	"2023-01-03",	/* Scotland's New Year substitute */
	"2024-01-02",	/* Scotland: 2nd January */
	"2024-03-18",	/* Northern Ireland: St Patrick's substitute */
	"2024-07-12",	/* Northern Ireland: Battle of the Boyne */
	"2024-08-05",	/* Scotland: Summer bank holiday */
	"2024-12-02",	/* Scotland: St Andrew's substitute */
	"2024-12-24", "2024-12-27", "2024-12-30", "2024-12-31",
	"2025-01-02",
	"2026-06-15",	/* Scotland only */
	"2026-12-24", "2026-12-29",
	"2027-12-24", "2027-12-29", "2027-12-31",
};

static void
test_ordinary_days(void **state)
{
	struct fixture	*fx = *state;
	size_t		 i;

	for (i = 0; i < sizeof ordinary / sizeof ordinary[0]; i++) {
		if (!calendar_is_working_day(fx->cal, day(ordinary[i])))
			fail_msg("%s should be a working day", ordinary[i]);
		assert_false(calendar_is_holiday(fx->cal, day(ordinary[i])));
	}
}

static const struct {
	const char	*division;
	const char	*date;
	int		 holiday;
} divisions[] = {
	{ "scotland", "2024-01-02", 1 },
	{ "scotland", "2024-04-01", 0 },	/* no Easter Monday */
	{ "scotland", "2024-08-05", 1 },
	{ "scotland", "2024-08-26", 0 },
	{ "scotland", "2024-12-02", 1 },
	{ "scotland", "2022-01-04", 1 },
	{ "scotland", "2023-01-03", 1 },
	{ "northern-ireland", "2024-03-18", 1 },
	{ "northern-ireland", "2024-07-12", 1 },
	{ "northern-ireland", "2025-07-14", 1 },
	{ "northern-ireland", "2024-04-01", 1 },
	{ "northern-ireland", "2024-08-26", 1 },
};

static void
test_other_divisions(void **state)
{
	struct fixture	*fx = *state;
	struct calendar	*cal;
	char		*cause = NULL;
	size_t		 i;

	for (i = 0; i < sizeof divisions / sizeof divisions[0]; i++) {
		cal = calendar_new();
		assert_int_equal(calendar_load_json(cal, fx->path,
		    divisions[i].division, &cause), 0);
		assert_null(cause);
		if (calendar_is_holiday(cal, day(divisions[i].date)) !=
		    divisions[i].holiday)
			fail_msg("%s %s: want holiday=%d",
			    divisions[i].division, divisions[i].date,
			    divisions[i].holiday);
		calendar_free(cal);
	}
}

static void
test_has_year(void **state)
{
	struct fixture	*fx = *state;
	int		 y;

	for (y = 2018; y <= 2027; y++)
		assert_true(calendar_has_year(fx->cal, y));
	assert_true(calendar_has_year(fx->cal, 2027));
	assert_false(calendar_has_year(fx->cal, 2017));
	assert_false(calendar_has_year(fx->cal, 2028));
	assert_false(calendar_has_year(fx->cal, 2030));
}

static void
test_closures(void **state)
{
	struct fixture		*fx = *state;
	struct calendar		*cal;
	struct collected	 c = { .n = 0 };
	char			*cause = NULL;

	cal = calendar_new();
	assert_int_equal(calendar_load_json(cal, fx->path, EW, &cause), 0);

	/* A council closed between Christmas and New Year. */
	calendar_add_holiday(cal, day("2024-12-27"), "Office closed");
	calendar_add_holiday(cal, day("2024-12-30"), NULL);
	calendar_add_holiday(cal, day("2024-12-31"), "Office closed");
	assert_true(calendar_is_holiday(cal, day("2024-12-30")));
	assert_false(calendar_is_working_day(cal, day("2024-12-31")));
	assert_int_equal(calendar_add_working_days(cal, day("2024-12-20"), 5),
	    day("2025-01-06"));
	assert_int_equal(calendar_add_working_days(cal, day("2024-12-20"), 15),
	    day("2025-01-20"));
	assert_int_equal(calendar_working_days_between(cal, day("2024-12-20"),
	    day("2025-01-06")), 5);
	assert_int_equal(calendar_add_working_days(cal, day("2025-01-02"), -1),
	    day("2024-12-24"));

	/* Merged in date order; NULL title reads as "". */
	calendar_foreach_in_year(cal, 2024, collect, &c);
	assert_int_equal(c.n, 11);
	assert_int_equal(c.days[7], day("2024-12-26"));
	assert_int_equal(c.days[8], day("2024-12-27"));
	assert_string_equal(c.titles[8], "Office closed");
	assert_int_equal(c.days[9], day("2024-12-30"));
	assert_string_equal(c.titles[9], "");
	assert_int_equal(c.days[10], day("2024-12-31"));
	collected_free(&c);

	/* A duplicate is ignored: the first title stays. */
	calendar_add_holiday(cal, day("2024-12-25"), "Duplicate");
	calendar_foreach_in_year(cal, 2024, collect, &c);
	assert_int_equal(c.n, 11);
	assert_string_equal(c.titles[6], "Christmas Day");
	collected_free(&c);

	/* A closure at a weekend changes nothing. */
	calendar_add_holiday(cal, day("2024-07-13"), "Saturday");
	assert_int_equal(calendar_add_working_days(cal, day("2024-07-08"), 5),
	    day("2024-07-15"));
	/* A weekday closure shifts the count by one. */
	calendar_add_holiday(cal, day("2024-07-10"), "Training day");
	assert_int_equal(calendar_add_working_days(cal, day("2024-07-08"), 5),
	    day("2024-07-16"));
	assert_int_equal(calendar_add_working_days(cal, day("2024-07-08"), 15),
	    day("2024-07-30"));

	/* A closure gives a year data. */
	assert_false(calendar_has_year(cal, 2030));
	calendar_add_holiday(cal, day("2030-06-03"), "Closure");
	assert_true(calendar_has_year(cal, 2030));
	assert_false(calendar_has_year(cal, 2029));
	assert_false(calendar_has_year(cal, 2031));
	calendar_free(cal);
}

static void
test_empty_calendar(void **state)
{
	struct calendar	*cal;
	long		 d;

	cal = calendar_new();
	for (d = day("2024-01-01"); d < day("2025-01-01"); d++) {
		assert_false(calendar_is_holiday(cal, d));
		assert_int_equal(calendar_is_working_day(cal, d),
		    date_weekday(d) < 5);
	}
	assert_false(calendar_has_year(cal, 2024));
	assert_int_equal(calendar_add_working_days(cal, day("2024-08-16"), 15),
	    day("2024-09-06"));
	assert_int_equal(calendar_add_working_days(cal, day("2024-08-19"), -1),
	    day("2024-08-16"));
	/* Before 1970, where day numbers are negative. */
	assert_int_equal(calendar_add_working_days(cal, day("1969-12-26"), 1),
	    day("1969-12-29"));
	assert_int_equal(calendar_working_days_between(cal, day("1969-12-26"),
	    day("1970-01-09")), 10);
	calendar_free(cal);
	calendar_free(NULL);
}

static void
test_reload_idempotent(void **state)
{
	struct fixture		*fx = *state;
	struct collected	 c = { .n = 0 };
	char			*cause = NULL;

	assert_int_equal(calendar_load_json(fx->cal, fx->path, EW, &cause),
	    0);
	assert_null(cause);
	calendar_foreach_in_year(fx->cal, 2022, collect, &c);
	assert_int_equal(c.n, 10);
	collected_free(&c);
}

static char *
write_file(struct fixture *fx, const char *name, const char *text)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%s", fx->tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Load must fail, leave the calendar alone, and say why with the path. */
static void
expect_load_error(struct fixture *fx, const char *path, const char *division,
    const char *needle)
{
	struct calendar	*cal;
	char		*cause = NULL;

	cal = calendar_new();
	calendar_add_holiday(cal, day("2024-01-01"), "Existing");
	if (calendar_load_json(cal, path, division, &cause) != -1)
		fail_msg("%s: loaded", path);
	assert_non_null(cause);
	assert_true(cause[0] != '\0');
	if (strstr(cause, path) == NULL)
		fail_msg("cause without path: %s", cause);
	if (needle != NULL && strstr(cause, needle) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, needle);
	/* Nothing from a bad file was added; what was there stays. */
	assert_false(calendar_has_year(cal, 2018));
	assert_true(calendar_is_holiday(cal, day("2024-01-01")));
	free(cause);
	calendar_free(cal);
}

static const struct {
	const char	*name;
	const char	*text;
	const char	*needle;
} bad_files[] = {
	{ "malformed.json", "{\"england-and-wales\": {\"events\": [", "JSON" },
	{ "garbage.json", "this is not json", "JSON" },
	{ "empty.json", "", "JSON" },
	{ "trailing.json", "{\"england-and-wales\":{\"events\":[]}} x",
	    "JSON" },
	{ "array.json", "[1, 2, 3]", "object" },
	{ "unknown-division.json",
	    "{\"scotland\":{\"division\":\"scotland\",\"events\":[]}}",
	    "england-and-wales" },
	{ "division-not-object.json", "{\"england-and-wales\": []}",
	    "england-and-wales" },
	{ "no-events.json", "{\"england-and-wales\":{\"division\":\"x\"}}",
	    "events" },
	{ "events-not-array.json",
	    "{\"england-and-wales\":{\"events\":{}}}", "events" },
	{ "bad-date.json",
	    "{\"england-and-wales\":{\"events\":["
	    "{\"title\":\"New Year\",\"date\":\"2018-01-01\"},"
	    "{\"title\":\"Bad\",\"date\":\"2018-02-30\"}]}}", "event 1" },
	{ "loose-date.json",
	    "{\"england-and-wales\":{\"events\":["
	    "{\"title\":\"Loose\",\"date\":\"2018-1-01\"}]}}", "event 0" },
	{ "nul-date.json",
	    "{\"england-and-wales\":{\"events\":["
	    "{\"title\":\"NUL\",\"date\":\"2018-01-01\\u0000x\"}]}}",
	    "event 0" },
	{ "number-date.json",
	    "{\"england-and-wales\":{\"events\":["
	    "{\"title\":\"N\",\"date\":20180101}]}}", "event 0" },
	{ "no-date.json",
	    "{\"england-and-wales\":{\"events\":["
	    "{\"title\":\"A\",\"date\":\"2018-01-01\"},"
	    "{\"title\":\"B\",\"date\":\"2018-01-02\"},"
	    "{\"title\":\"No date\"}]}}", "event 2" },
	{ "no-title.json",
	    "{\"england-and-wales\":{\"events\":["
	    "{\"date\":\"2018-01-01\"}]}}", "event 0" },
	{ "title-not-string.json",
	    "{\"england-and-wales\":{\"events\":["
	    "{\"title\":null,\"date\":\"2018-01-01\"}]}}", "event 0" },
	{ "event-not-object.json",
	    "{\"england-and-wales\":{\"events\":[\"2018-01-01\"]}}",
	    "event 0" },
	{ "bad-utf8.json",
	    "{\"england-and-wales\":{\"events\":["
	    "{\"title\":\"\xff\",\"date\":\"2018-01-01\"}]}}", "JSON" },
};

static void
test_load_errors(void **state)
{
	struct fixture	*fx = *state;
	char		*path;
	size_t		 i;

	xasprintf(&path, "%s/missing.json", fx->tmpdir);
	expect_load_error(fx, path, EW, "No such file");
	free(path);

	expect_load_error(fx, fx->path, "wales", "\"wales\"");
	expect_load_error(fx, fx->tmpdir, EW, NULL);	/* a directory */

	for (i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
		path = write_file(fx, bad_files[i].name, bad_files[i].text);
		expect_load_error(fx, path, EW, bad_files[i].needle);
		free(path);
	}
}

/* 4 MiB is the limit: exactly that loads, one byte more does not. */
static void
test_size_cap(void **state)
{
	struct fixture	*fx = *state;
	struct calendar	*cal;
	/* With a byte order mark, which the loader skips. */
	const char	*head = "\xef\xbb\xbf"
			    "{\"england-and-wales\":{\"events\":["
			    "{\"title\":\"T\",\"date\":\"2018-01-01\"}]}}";
	const size_t	 cap = 4 * 1024 * 1024;
	char		*path, *cause = NULL;
	FILE		*f;
	size_t		 i;

	xasprintf(&path, "%s/big.json", fx->tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(head, f);
	for (i = strlen(head); i < cap; i++)
		fputc(i % 64 == 63 ? '\n' : ' ', f);
	assert_int_equal(fclose(f), 0);

	cal = calendar_new();
	if (calendar_load_json(cal, path, EW, &cause) != 0)
		fail_msg("exactly 4 MiB refused: %s", cause);
	assert_true(calendar_is_holiday(cal, day("2018-01-01")));
	calendar_free(cal);

	f = fopen(path, "a");
	assert_non_null(f);
	fputc(' ', f);
	assert_int_equal(fclose(f), 0);
	expect_load_error(fx, path, EW, "larger");
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_examples),
		cmocka_unit_test(test_backwards),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_special_days),
		cmocka_unit_test(test_year_counts),
		cmocka_unit_test(test_every_day),
		cmocka_unit_test(test_ordinary_days),
		cmocka_unit_test(test_other_divisions),
		cmocka_unit_test(test_has_year),
		cmocka_unit_test(test_closures),
		cmocka_unit_test(test_empty_calendar),
		cmocka_unit_test(test_reload_idempotent),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_size_cap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
