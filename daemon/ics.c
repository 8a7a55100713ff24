/*
 * ics.c - the meeting invitation as one iCalendar object (RFC 5545) for
 * iTIP (RFC 5546), built and serialised by libical, which escapes TEXT
 * values and folds lines at 75 octets on UTF-8 boundaries.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

#include "compose.h"
#include "ics.h"
#include "utf8.h"
#include "xmalloc.h"

#define ICS_PRODID	"-//rapidreviewd//Rapid Review//EN"
#define ICS_TZID	"Europe/London"
#define ICS_UID_MAX	255
#define ICS_MAX_MINUTES	(24 * 60)
#define ICS_TIME_MIN	946684800LL	/* 2000-01-01T00:00:00Z */
#define ICS_TIME_END	4133980800LL	/* 2101-01-01T00:00:00Z */

/*
 * The zone as sent: the rule the UK has kept since 1996 (EU summer time,
 * 01:00 UTC on the last Sundays of March and October). libical's own
 * Europe/London, made from /usr/share/zoneinfo, runs to 8 kB of history
 * and carries a "/freeassociation.sourceforge.net/" TZID; Outlook needs
 * the TZID of DTSTART to name a VTIMEZONE in the object.
 */
static const char ics_london_vtimezone[] =
    "BEGIN:VTIMEZONE\r\n"
    "TZID:" ICS_TZID "\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZNAME:BST\r\n"
    "TZOFFSETFROM:+0000\r\n"
    "TZOFFSETTO:+0100\r\n"
    "DTSTART:19960331T010000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZNAME:GMT\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0000\r\n"
    "DTSTART:19961027T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n";

static int	ics_text_valid(const char *, int);
static int	ics_address_valid(const char *);
static int	ics_check(const struct ics_meeting *, char **);
static char	*ics_text_normalise(const char *);
static int	ics_offset(icaltimezone *, long long);
static int	ics_local_ambiguous(icaltimezone *, long long);
static icalproperty *ics_time_property(icalproperty_kind, long long,
		    icaltimezone *, icaltimezone *);
static icalproperty *ics_mailto(icalproperty_kind, const char *);

/*
 * Well-formed UTF-8 without control characters but tab (RFC 5545 3.3.11
 * TEXT); multiline also lets CR and LF through. A CR or LF in a one-line
 * value would end the content line and start a property of its own.
 */
static int
ics_text_valid(const char *s, int multiline)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), i = 0, k;

	while (i < n) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			if (p[i] != '\t' && !(multiline &&
			    (p[i] == '\r' || p[i] == '\n')))
				return 0;
		}
		if ((k = utf8_seq_len(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * What the mailer accepts (compose.c), less the characters a mailto: URI
 * gives a meaning of its own (RFC 6068: %, ?, #), which would otherwise
 * have to be percent-encoded and then no longer match the mailbox.
 */
static int
ics_address_valid(const char *a)
{
	return a != NULL && compose_address_valid(a) &&
	    strpbrk(a, "%?#") == NULL;
}

/* Causes name the field, never its value: they reach the log. */
static int
ics_check(const struct ics_meeting *m, char **cause)
{
	size_t	i;

	if (m->uid == NULL || *m->uid == '\0' ||
	    strlen(m->uid) > ICS_UID_MAX || !ics_text_valid(m->uid, 0)) {
		*cause = xstrdup("invitation UID empty, too long or holding "
		    "a control character");
		return -1;
	}
	if (m->sequence < 0) {
		*cause = xstrdup("invitation SEQUENCE negative");
		return -1;
	}
	if (m->summary == NULL || *m->summary == '\0' ||
	    !ics_text_valid(m->summary, 0)) {
		*cause = xstrdup("invitation summary empty, not UTF-8 or "
		    "holding a line break or control character");
		return -1;
	}
	if (m->location != NULL && !ics_text_valid(m->location, 0)) {
		*cause = xstrdup("invitation location not UTF-8 or holding a "
		    "line break or control character");
		return -1;
	}
	if (m->description != NULL && !ics_text_valid(m->description, 1)) {
		*cause = xstrdup("invitation description not UTF-8 or holding "
		    "a control character");
		return -1;
	}
	if (m->organizer_name != NULL &&
	    !ics_text_valid(m->organizer_name, 0)) {
		*cause = xstrdup("invitation organiser name not UTF-8 or "
		    "holding a line break or control character");
		return -1;
	}
	if (!ics_address_valid(m->organizer)) {
		*cause = xstrdup("invitation organiser address not usable");
		return -1;
	}
	if (m->n_attendees == 0 || m->attendees == NULL) {
		*cause = xstrdup("invitation has no attendees");
		return -1;
	}
	for (i = 0; i < m->n_attendees; i++) {
		if (!ics_address_valid(m->attendees[i])) {
			xasprintf(cause, "invitation attendee %zu address not "
			    "usable", i + 1);
			return -1;
		}
	}
	if (m->minutes <= 0 || m->minutes > ICS_MAX_MINUTES) {
		xasprintf(cause, "invitation duration %d minutes outside "
		    "1..%d", m->minutes, ICS_MAX_MINUTES);
		return -1;
	}
	if (m->start < ICS_TIME_MIN || m->start >= ICS_TIME_END) {
		*cause = xstrdup("invitation start outside the years "
		    "2000..2100");
		return -1;
	}
	if (m->dtstamp < ICS_TIME_MIN || m->dtstamp >= ICS_TIME_END) {
		*cause = xstrdup("invitation DTSTAMP outside the years "
		    "2000..2100");
		return -1;
	}
	return 0;
}

/* CRLF and lone CR become LF: libical drops a CR, losing the break. */
static char *
ics_text_normalise(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == '\r') {
			*o++ = '\n';
			if (s[1] == '\n')
				s++;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* Seconds to add to UTC for local time in zone at Unix time t. */
static int
ics_offset(icaltimezone *zone, long long t)
{
	struct icaltimetype	tt;
	int			is_daylight;

	tt = icaltime_from_timet_with_zone((time_t)t, 0,
	    icaltimezone_get_utc_timezone());
	return icaltimezone_get_utc_offset_of_utc_time(zone, &tt,
	    &is_daylight);
}

/*
 * 1 when the local time at t also names the instant an hour before or
 * after: the hour repeated when the clocks go back. RFC 5545 reads it as
 * the first, pytz and others as the second; only UTC is read one way.
 */
static int
ics_local_ambiguous(icaltimezone *zone, long long t)
{
	long long	local = t + ics_offset(zone, t);

	return t - 3600 + ics_offset(zone, t - 3600) == local ||
	    t + 3600 + ics_offset(zone, t + 3600) == local;
}

/*
 * DTSTART or DTEND at t as Europe/London wall-clock time with its TZID,
 * converted by the real rules (the system's zoneinfo through libical).
 * When the VTIMEZONE sent would read that local time otherwise (a change
 * of law the rule above does not know) or the time is ambiguous, the
 * instant is written in UTC, which every client reads the same way.
 */
static icalproperty *
ics_time_property(icalproperty_kind kind, long long t, icaltimezone *real,
    icaltimezone *sent)
{
	struct icaltimetype	 tt;
	icalproperty		*prop;
	int			 off, local = 1;

	off = ics_offset(real, t);
	if (off != ics_offset(sent, t) || ics_local_ambiguous(real, t) ||
	    ics_local_ambiguous(sent, t))
		local = 0;
	if (local)
		tt = icaltime_from_timet_with_zone((time_t)(t + off), 0, NULL);
	else
		tt = icaltime_from_timet_with_zone((time_t)t, 0,
		    icaltimezone_get_utc_timezone());
	if (kind == ICAL_DTSTART_PROPERTY)
		prop = icalproperty_new_dtstart(tt);
	else
		prop = icalproperty_new_dtend(tt);
	if (local)
		icalproperty_add_parameter(prop,
		    icalparameter_new_tzid(ICS_TZID));
	return prop;
}

static icalproperty *
ics_mailto(icalproperty_kind kind, const char *addr)
{
	icalproperty	*prop;
	char		*uri;

	xasprintf(&uri, "mailto:%s", addr);
	if (kind == ICAL_ORGANIZER_PROPERTY)
		prop = icalproperty_new_organizer(uri);
	else
		prop = icalproperty_new_attendee(uri);
	free(uri);
	return prop;
}

char *
ics_render(const struct ics_meeting *m, char **cause)
{
	icalcomponent	*cal = NULL, *ev, *vtz = NULL, *copy;
	icaltimezone	*sent = NULL, *real;
	icalproperty	*prop;
	char		*text, *out = NULL;
	size_t		 i;

	*cause = NULL;
	if (ics_check(m, cause) == -1)
		return NULL;

	vtz = icalparser_parse_string(ics_london_vtimezone);
	if (vtz == NULL ||
	    icalcomponent_isa(vtz) != ICAL_VTIMEZONE_COMPONENT) {
		*cause = xstrdup("libical did not read the Europe/London "
		    "VTIMEZONE");
		goto fail;
	}
	sent = icaltimezone_new();
	copy = icalcomponent_new_clone(vtz);
	if (!icaltimezone_set_component(sent, copy)) {
		icalcomponent_free(copy);
		*cause = xstrdup("libical refused the Europe/London VTIMEZONE");
		goto fail;
	}
	/* Without zoneinfo the rule sent is the best there is. */
	if ((real = icaltimezone_get_builtin_timezone(ICS_TZID)) == NULL)
		real = sent;

	cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_prodid(ICS_PRODID));
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(cal, icalproperty_new_method(m->cancel ?
	    ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST));
	icalcomponent_add_component(cal, vtz);
	vtz = NULL;

	ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalcomponent_add_component(cal, ev);
	icalcomponent_add_property(ev, icalproperty_new_uid(m->uid));
	icalcomponent_add_property(ev, icalproperty_new_sequence(m->sequence));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(
	    icaltime_from_timet_with_zone((time_t)m->dtstamp, 0,
	    icaltimezone_get_utc_timezone())));
	icalcomponent_add_property(ev, ics_time_property(ICAL_DTSTART_PROPERTY,
	    m->start, real, sent));
	icalcomponent_add_property(ev, ics_time_property(ICAL_DTEND_PROPERTY,
	    m->start + 60LL * m->minutes, real, sent));
	icalcomponent_add_property(ev, icalproperty_new_summary(m->summary));
	if (m->description != NULL && *m->description != '\0') {
		text = ics_text_normalise(m->description);
		icalcomponent_add_property(ev,
		    icalproperty_new_description(text));
		free(text);
	}
	if (m->location != NULL && *m->location != '\0')
		icalcomponent_add_property(ev,
		    icalproperty_new_location(m->location));

	prop = ics_mailto(ICAL_ORGANIZER_PROPERTY, m->organizer);
	if (m->organizer_name != NULL && *m->organizer_name != '\0')
		icalproperty_add_parameter(prop,
		    icalparameter_new_cn(m->organizer_name));
	icalcomponent_add_property(ev, prop);
	for (i = 0; i < m->n_attendees; i++) {
		prop = ics_mailto(ICAL_ATTENDEE_PROPERTY, m->attendees[i]);
		icalproperty_add_parameter(prop,
		    icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
		icalproperty_add_parameter(prop,
		    icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
		/* A cancellation asks for no reply. */
		if (!m->cancel)
			icalproperty_add_parameter(prop,
			    icalparameter_new_rsvp(ICAL_RSVP_TRUE));
		icalcomponent_add_property(ev, prop);
	}
	icalcomponent_add_property(ev, icalproperty_new_status(m->cancel ?
	    ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ev, icalproperty_new_transp(
	    ICAL_TRANSP_OPAQUE));
	icalcomponent_add_property(ev, icalproperty_new_class(
	    ICAL_CLASS_CONFIDENTIAL));

	if ((out = icalcomponent_as_ical_string_r(cal)) == NULL)
		*cause = xstrdup("libical could not write the invitation");

fail:
	if (cal != NULL)
		icalcomponent_free(cal);
	if (vtz != NULL)
		icalcomponent_free(vtz);
	if (sent != NULL)
		icaltimezone_free(sent, 1);
	return out;
}
