/*
 * ics.h - the meeting invitation (SPEC §4, "invite"): an iCalendar object
 * (RFC 5545) built with libical, with METHOD:REQUEST for a new or moved
 * meeting and METHOD:CANCEL when it is withdrawn, times in Europe/London
 * with that zone's VTIMEZONE, a UID stable for the case's meeting and a
 * SEQUENCE one higher each time it moves (RFC 5546).
 */
#ifndef RR_ICS_H
#define RR_ICS_H

#include <stddef.h>

struct ics_meeting {
	const char		*uid;		/* stable per case meeting */
	int			 sequence;	/* 0 first, +1 per move */
	int			 cancel;	/* 1: METHOD:CANCEL */
	long long		 start;		/* Unix time (UTC) */
	int			 minutes;	/* duration, > 0 */
	const char		*summary;	/* no CR/LF: refused */
	const char		*description;	/* may be NULL; may hold \n */
	const char		*location;	/* may be NULL */
	const char		*organizer;	/* address, no "mailto:" */
	const char		*organizer_name; /* may be NULL */
	const char *const	*attendees;	/* addresses */
	size_t			 n_attendees;
	long long		 dtstamp;	/* Unix time of this version */
};

/*
 * The whole VCALENDAR as text with CRLF line ends, folded at 75 octets.
 * Returns it (caller frees), or NULL with *cause set (caller frees) when
 * a value is refused (CR or LF in a one-line value, no attendees, a bad
 * time or duration, an address holding % ? or #, which mean something in
 * a mailto: URI). A time in the hour that repeats when the clocks go back
 * is written in UTC, the one form every reader takes the same way.
 */
char	*ics_render(const struct ics_meeting *, char **cause);

#endif
