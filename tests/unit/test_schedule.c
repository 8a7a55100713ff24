/*
 * test_schedule.c - SPEC §2's milestones over the real bank holidays, and
 * when scheduled mail may go.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "config.h"
#include "date.h"
#include "schedule.h"
#include "xmalloc.h"

static struct config	*cfg;
static struct calendar	*cal;

static long
day(const char *s)
{
	struct rr_date	d;

	if (date_parse_iso(s, &d) != 0)
		fail_msg("bad date in test: %s", s);
	return date_to_days(&d);
}

static long long
at(const char *s)
{
	struct rr_date	d;
	long long	t;
	int		minutes, seconds;

	if (date_parse_local(s, &d, &minutes, &seconds) != 0 ||
	    date_local_to_time("Europe/London", &d, minutes, seconds, &t) != 0)
		fail_msg("bad time in test: %s", s);
	return t;
}

static int
setup(void **state)
{
	struct config_diag	 d;
	const char		*src = getenv("RR_SRC");
	char			*path, *cause = NULL;

	xasprintf(&path, "%s/config/rapidreviewd.ini.example",
	    src != NULL ? src : ".");
	config_diag_init(&d);
	cfg = config_load(path, &d);
	config_diag_print(&d, stderr);
	config_diag_free(&d);
	free(path);
	if (cfg == NULL)
		return -1;
	if ((cal = config_calendar(cfg, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	calendar_free(cal);
	config_free(cfg);
	return 0;
}

static void
test_milestones(void **state)
{
	static const struct {
		const char	*day0, *returns, *rem_m2, *rem_0, *escalation,
				*meeting_default, *meeting_by, *panel_reminder,
				*panel;
	} cases[] = {
		/* SPEC §2's worked examples, and the issue's. */
		{ "2024-07-08", "2024-07-15", "2024-07-11", "2024-07-15",
		    "2024-07-16", "2024-07-22", "2024-07-29", "2024-07-24",
		    "2024-07-29" },
		{ "2024-08-16", "2024-08-23", "2024-08-21", "2024-08-23",
		    "2024-08-27", "2024-09-02", "2024-09-09", "2024-09-04",
		    "2024-09-09" },
		{ "2024-12-20", "2024-12-31", "2024-12-27", "2024-12-31",
		    "2025-01-02", "2025-01-08", "2025-01-15", "2025-01-10",
		    "2025-01-15" },
	};
	struct case_milestones	m;
	size_t			i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		schedule_milestones(cfg, cal, day(cases[i].day0), &m);
		assert_int_equal(m.returns_due, day(cases[i].returns));
		assert_int_equal(m.n_reminders, 2);
		assert_int_equal(m.reminder_offsets[0], -2);
		assert_int_equal(m.reminders[0], day(cases[i].rem_m2));
		assert_int_equal(m.reminders[1], day(cases[i].rem_0));
		assert_int_equal(m.escalation, day(cases[i].escalation));
		assert_int_equal(m.meeting_default,
		    day(cases[i].meeting_default));
		assert_int_equal(m.meeting_by, day(cases[i].meeting_by));
		assert_int_equal(m.panel_reminder, day(cases[i].panel_reminder));
		assert_int_equal(m.panel_submission, day(cases[i].panel));
		assert_int_equal(schedule_day_number(cal, m.day0,
		    m.meeting_by), 15);
	}
	/* A meeting on Wed 2024-07-24: the pack goes on Mon 2024-07-22. */
	assert_int_equal(schedule_pack_day(cfg, cal, day("2024-07-24")),
	    day("2024-07-22"));
	/* Aware Thu 2024-07-04: the SIN was due Thu 2024-07-11. */
	assert_int_equal(schedule_sin_due(cfg, cal, day("2024-07-04")),
	    day("2024-07-11"));
}

static void
test_may_send(void **state)
{
	static const struct {
		const char	*now;
		int		 may;
	} cases[] = {
		{ "2024-07-11T09:00", 1 },
		{ "2024-07-11T08:00", 1 },	/* send_after is inclusive */
		{ "2024-07-11T07:59", 0 },
		{ "2024-08-17T09:00", 0 },	/* Saturday */
		{ "2024-08-26T09:00", 0 },	/* summer bank holiday */
		{ "2024-08-27T09:00", 1 },
		{ "2024-12-25T12:00", 0 },
		{ "2024-10-28T08:30", 1 },	/* the day after the clocks change */
	};
	size_t	i;
	long	today;
	int	minutes;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (schedule_may_send(cfg, cal, at(cases[i].now), &today,
		    &minutes) != cases[i].may)
			fail_msg("%s: expected %d", cases[i].now, cases[i].may);
		{
			char	d10[11];

			memcpy(d10, cases[i].now, 10);
			d10[10] = '\0';
			assert_int_equal(today, day(d10));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_milestones),
		cmocka_unit_test(test_may_send),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
