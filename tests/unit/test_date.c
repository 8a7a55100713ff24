/*
 * test_date.c - civil dates: strict parsing, day numbers, weekdays.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "date.h"

static void	test_parse_accepts(void **);
static void	test_parse_rejects(void **);
static void	test_round_trip(void **);
static void	test_known_days(void **);
static void	test_weekday(void **);
static void	test_valid(void **);
static void	test_format(void **);

static const struct {
	const char	*text;
	int		 year, month, day;
} parse_ok[] = {
	{ "2024-02-29", 2024, 2, 29 },
	{ "2000-02-29", 2000, 2, 29 },
	{ "1900-01-01", 1900, 1, 1 },
	{ "9999-12-31", 9999, 12, 31 },
	{ "2024-07-08", 2024, 7, 8 },
	{ "2023-12-31", 2023, 12, 31 },
};

static const char *parse_bad[] = {
	"2023-02-29",		/* not a leap year */
	"1900-02-29",		/* century, not a leap year */
	"2024-1-01",		/* month not two digits */
	"2024-01-1",		/* day not two digits */
	"2024-01-011",		/* day too long */
	"2024-01-01 ",		/* trailing space */
	"2024-01-01x",		/* trailing text */
	"2024-01-01T00:00",	/* a timestamp, not a date */
	" 2024-01-01",		/* leading space */
	"",			/* empty */
	"2024-00-10",		/* month 0 */
	"2024-13-01",		/* month 13 */
	"2024-04-31",		/* 30-day month */
	"2024-01-00",		/* day 0 */
	"2024-01-32",
	"1899-12-31",		/* before 1900 */
	"+024-01-01",
	"2024/01/01",
	"2024-01-0a",
	"24-01-01",
	"abcd-ef-gh",
};

static void
test_parse_accepts(void **state)
{
	struct rr_date	dt;
	size_t		i;

	for (i = 0; i < sizeof parse_ok / sizeof parse_ok[0]; i++) {
		memset(&dt, 0, sizeof dt);
		assert_int_equal(date_parse_iso(parse_ok[i].text, &dt), 0);
		assert_int_equal(dt.year, parse_ok[i].year);
		assert_int_equal(dt.month, parse_ok[i].month);
		assert_int_equal(dt.day, parse_ok[i].day);
	}
}

static void
test_parse_rejects(void **state)
{
	struct rr_date	dt = { 1, 2, 3 };
	size_t		i;

	for (i = 0; i < sizeof parse_bad / sizeof parse_bad[0]; i++) {
		if (date_parse_iso(parse_bad[i], &dt) != -1)
			fail_msg("accepted \"%s\"", parse_bad[i]);
	}
	assert_int_equal(date_parse_iso(NULL, &dt), -1);
	/* A refused date leaves the output alone. */
	assert_int_equal(dt.year, 1);
	assert_int_equal(dt.month, 2);
	assert_int_equal(dt.day, 3);
}

/* Every day of 1900..2100 maps to consecutive day numbers and back. */
static void
test_round_trip(void **state)
{
	struct rr_date	dt, back;
	long		days, prev = 0;
	int		y, m, d, first = 1;

	for (y = 1900; y <= 2100; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= 31; d++) {
				if (!date_valid(y, m, d))
					continue;
				dt.year = y;
				dt.month = m;
				dt.day = d;
				days = date_to_days(&dt);
				if (!first)
					assert_int_equal(days, prev + 1);
				first = 0;
				prev = days;
				date_from_days(days, &back);
				assert_int_equal(back.year, y);
				assert_int_equal(back.month, m);
				assert_int_equal(back.day, d);
			}
		}
	}
}

static const struct {
	int	year, month, day;
	long	days;
} known[] = {
	{ 1970, 1, 1, 0 },
	{ 1969, 12, 31, -1 },
	{ 1900, 1, 1, -25567 },
	{ 2000, 1, 1, 10957 },
	{ 2024, 7, 8, 19912 },
	{ 2100, 12, 31, 47846 },
};

static void
test_known_days(void **state)
{
	struct rr_date	dt;
	size_t		i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		dt.year = known[i].year;
		dt.month = known[i].month;
		dt.day = known[i].day;
		assert_int_equal(date_to_days(&dt), known[i].days);
	}
}

static const struct {
	const char	*date;
	int		 weekday;	/* 0 Monday .. 6 Sunday */
} weekdays[] = {
	{ "2024-07-08", 0 },
	{ "2024-08-16", 4 },
	{ "2024-12-20", 4 },
	{ "2024-12-25", 2 },
	{ "1970-01-01", 3 },
	{ "1969-12-28", 6 },
	{ "1900-01-01", 0 },
	{ "2000-02-29", 1 },
	{ "2027-12-25", 5 },
	{ "2100-12-31", 4 },
};

static void
test_weekday(void **state)
{
	struct rr_date	dt;
	size_t		i;

	for (i = 0; i < sizeof weekdays / sizeof weekdays[0]; i++) {
		assert_int_equal(date_parse_iso(weekdays[i].date, &dt), 0);
		if (date_weekday(date_to_days(&dt)) != weekdays[i].weekday)
			fail_msg("%s: weekday %d, want %d", weekdays[i].date,
			    date_weekday(date_to_days(&dt)),
			    weekdays[i].weekday);
	}
	/* Negative day numbers stay in 0..6 and keep the cycle. */
	assert_int_equal(date_weekday(-1), 2);
	assert_int_equal(date_weekday(-7), 3);
	assert_int_equal(date_weekday(-8), 2);
}

static void
test_valid(void **state)
{
	assert_true(date_valid(2024, 2, 29));
	assert_false(date_valid(2023, 2, 29));
	assert_true(date_valid(2000, 2, 29));
	assert_false(date_valid(2100, 2, 29));
	assert_false(date_valid(2024, 6, 31));
	assert_true(date_valid(2024, 12, 31));
	assert_false(date_valid(2024, 0, 1));
	assert_false(date_valid(2024, 1, 0));
	assert_false(date_valid(0, 1, 1));
}

static void
test_format(void **state)
{
	struct rr_date	dt = { 2024, 2, 9 };
	char		buf[11];

	assert_string_equal(date_format_iso(&dt, buf, sizeof buf),
	    "2024-02-09");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_days),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
