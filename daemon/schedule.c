/*
 * schedule.c - milestone dates from day 0 with the working-day calendar.
 */
#include <stddef.h>

#include "calendar.h"
#include "config.h"
#include "date.h"
#include "schedule.h"

void
schedule_agency(const struct config *cfg, const struct calendar *cal,
    long due, long reminders[SCHEDULE_MAX_REMINDERS],
    int offsets[SCHEDULE_MAX_REMINDERS], size_t *n, long *escalation)
{
	size_t	i;

	*n = 0;
	for (i = 0; i < cfg->deadlines.n_reminder_days &&
	    *n < SCHEDULE_MAX_REMINDERS; i++) {
		offsets[*n] = cfg->deadlines.reminder_days[i];
		reminders[*n] = calendar_add_working_days(cal, due,
		    cfg->deadlines.reminder_days[i]);
		(*n)++;
	}
	*escalation = calendar_add_working_days(cal, due,
	    cfg->deadlines.escalation_days);
}

void
schedule_milestones(const struct config *cfg, const struct calendar *cal,
    long day0, struct case_milestones *m)
{

	m->day0 = day0;
	m->returns_due = calendar_add_working_days(cal, day0,
	    cfg->deadlines.returns_due_day);
	schedule_agency(cfg, cal, m->returns_due, m->reminders,
	    m->reminder_offsets, &m->n_reminders, &m->escalation);
	m->meeting_default = calendar_add_working_days(cal, day0,
	    cfg->deadlines.meeting_default_day);
	m->meeting_by = calendar_add_working_days(cal, day0,
	    cfg->deadlines.meeting_by_day);
	m->panel_reminder = calendar_add_working_days(cal, day0,
	    cfg->deadlines.panel_reminder_day);
	m->panel_submission = calendar_add_working_days(cal, day0,
	    cfg->deadlines.panel_submission_day);
}

long
schedule_sin_due(const struct config *cfg, const struct calendar *cal,
    long date_aware)
{
	return calendar_add_working_days(cal, date_aware,
	    cfg->deadlines.sin_due_days);
}

long
schedule_pack_day(const struct config *cfg, const struct calendar *cal,
    long meeting_day)
{
	return calendar_add_working_days(cal, meeting_day,
	    -cfg->deadlines.pack_days_before_meeting);
}

int
schedule_may_send(const struct config *cfg, const struct calendar *cal,
    long long now, long *today, int *minutes)
{
	struct rr_date	d;
	long		day;
	int		m;

	if (date_time_to_local(cfg->partnership.timezone, now, &d, &m) != 0)
		return -1;
	day = date_to_days(&d);
	if (today != NULL)
		*today = day;
	if (minutes != NULL)
		*minutes = m;
	return calendar_is_working_day(cal, day) &&
	    m >= cfg->calendar.send_after;
}

int
schedule_day_number(const struct calendar *cal, long day0, long day)
{
	return calendar_working_days_between(cal, day0, day);
}
