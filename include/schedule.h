/*
 * schedule.h - the milestones of SPEC §2 in working days, and when
 * scheduled mail may go. Pure: config, calendar and dates in, dates out.
 * Dates are day numbers (date.h).
 */
#ifndef RR_SCHEDULE_H
#define RR_SCHEDULE_H

#include <stddef.h>

struct calendar;
struct config;

#define SCHEDULE_MAX_REMINDERS	8

struct case_milestones {
	long	day0;
	long	returns_due;		/* [deadlines] returns_due_day */
	long	reminders[SCHEDULE_MAX_REMINDERS];	/* by reminder_days */
	int	reminder_offsets[SCHEDULE_MAX_REMINDERS];
	size_t	n_reminders;
	long	escalation;		/* escalation_days after returns_due */
	long	meeting_default;	/* meeting_default_day */
	long	meeting_by;		/* meeting_by_day */
	long	panel_reminder;		/* panel_reminder_day */
	long	panel_submission;	/* panel_submission_day */
};

/* All milestones from day 0. */
void	schedule_milestones(const struct config *, const struct calendar *,
	    long day0, struct case_milestones *out);

/*
 * The deadline milestones of one agency when its return is due on due
 * (after an extension): the reminders and the escalation move with it.
 */
void	schedule_agency(const struct config *, const struct calendar *,
	    long due, long reminders[SCHEDULE_MAX_REMINDERS],
	    int offsets[SCHEDULE_MAX_REMINDERS], size_t *n, long *escalation);

/* The day a SIN was due: sin_due_days working days after date_aware. */
long	schedule_sin_due(const struct config *, const struct calendar *,
	    long date_aware);

/* Pack day: pack_days_before_meeting working days before the meeting. */
long	schedule_pack_day(const struct config *, const struct calendar *,
	    long meeting_day);

/*
 * Whether scheduled mail may go at now (a time_t): on a working day, at
 * or after send_after, in the partnership's zone. *today (may be NULL) gets
 * the local day number and *minutes the local time of day either way.
 * Returns 1 or 0; -1 when the zone is unusable.
 */
int	schedule_may_send(const struct config *, const struct calendar *,
	    long long now, long *today, int *minutes);

/* The working day number of day within a case: 0 on day0, 15 on day 15. */
int	schedule_day_number(const struct calendar *, long day0, long day);

#endif
