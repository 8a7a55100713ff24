/*
 * meeting.h - the Rapid Review meeting (SPEC §2, §4, §4.1): who is
 * invited, the calendar invitation and the meeting pack, each queued
 * inside the caller's transaction.
 */
#ifndef RR_MEETING_H
#define RR_MEETING_H

#include <stddef.h>

struct case_env;

/*
 * The case's attendees: [partnership] attendees, each pack = yes agency's
 * `to`, and those added by the attendee command, less those it removed;
 * each once, lower-cased. *out (caller frees each and the array).
 * Returns 0 or -1 with *cause.
 */
int	meeting_attendees(const struct case_env *, const char *ref,
	    char ***out, size_t *n, char **cause);

/*
 * Queue the invitation (the "invite" template, a text/calendar
 * alternative with method REQUEST and the same .ics attached) to every
 * attendee (or to only, when not NULL: one just added), with the case's
 * meeting UID and SEQUENCE and every attendee listed; cancel = 1 sends
 * METHOD:CANCEL instead. *sent counts recipients. Returns 0 or -1.
 */
int	meeting_invite(const struct case_env *, const char *ref, int cancel,
	    const char *only, long long now, size_t *sent, char **cause);

/*
 * Build the pack (pack.h) and queue it, with the chronology CSV and (when
 * the meeting is set) the .ics, to every attendee whose domain is in
 * [security] pack_allowed_domains; the others get "pack-withheld". The
 * pack's version goes up by one (a second one is marked updated), the
 * stale mark is cleared, and the case becomes pack_sent when its returns
 * are complete or awaited. *sent and *withheld count recipients.
 * Returns 0 or -1 with *cause.
 */
int	meeting_send_pack(const struct case_env *, const char *ref,
	    long long now, size_t *sent, size_t *withheld, char **cause);

/*
 * The meeting's share of the tick: the pack on its day (or, with no pack
 * milestone, never by itself), an updated pack when a return came after
 * the pack and before the meeting, and meeting_held once the meeting is
 * over. *queued counts messages. Inside the caller's transaction.
 */
int	meeting_tick(const struct case_env *, long today, long long now,
	    size_t *queued, char **cause);

#endif
