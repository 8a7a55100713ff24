/*
 * test_ics.c - the meeting invitation (SPEC §4 "invite"): Europe/London
 * wall-clock times either side of the clock changes (against glibc's
 * zoneinfo as an independent clock), read back by libical and by a second
 * parser (tests/tools/icscheck, python3-icalendar), moves and
 * cancellations, refusals, folding of accented and non-Latin text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <libical/ical.h>

#include "ics.h"
#include "xmalloc.h"

#define TZLINE	"DTSTART;TZID=Europe/London:"

static const char *const attendees3[] = {
	"csc@northshire-cc.gov.uk",
	"safeguarding@northshire-police.example",
	"named.nurse@northshire-nhs.example",
};

/* Unix time of a UTC wall-clock time, by glibc, no zone involved. */
static long long
utc(int y, int mo, int d, int h, int mi)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (long long)timegm(&tm);
}

static struct ics_meeting
meeting(long long start, long long dtstamp)
{
	struct ics_meeting	m;

	memset(&m, 0, sizeof m);
	m.uid = "rr-2024-001-meeting@rapidreview.northshire.example";
	m.sequence = 0;
	m.start = start;
	m.minutes = 90;
	m.summary = "Rapid Review meeting RR-2024-001";
	m.description = "Rapid Review of RR-2024-001.\n"
	    "Please bring your agency's chronology.";
	m.location = "Northshire County Hall, Committee Room 2";
	m.organizer = "rapidreview@northshire-cc.gov.uk";
	m.organizer_name = "Northshire Safeguarding Partnership";
	m.attendees = attendees3;
	m.n_attendees = 3;
	m.dtstamp = dtstamp;
	return m;
}

static char *
render_ok(const struct ics_meeting *m)
{
	char	*cause = NULL, *s;

	s = ics_render(m, &cause);
	if (s == NULL)
		fail_msg("ics_render refused: %s", cause);
	assert_null(cause);
	return s;
}

/* The whole content line, between CRLFs. */
static int
has_line(const char *s, const char *line)
{
	char	*want;
	int	 found;

	xasprintf(&want, "\r\n%s\r\n", line);
	found = strstr(s, want) != NULL;
	free(want);
	return found;
}

static int
utf8_valid(const unsigned char *p, size_t n)
{
	size_t		i = 0, len, k;
	unsigned	c, min;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			c &= 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/*
 * Every physical line ends in CRLF, is at most 75 octets and is UTF-8 on
 * its own (so no fold fell inside a character); the unfolded text is
 * UTF-8. Returns the number of folds.
 */
static int
check_lines(const char *s)
{
	const char	*p = s, *eol;
	char		*unfolded, *u;
	int		 folds = 0;

	assert_true(strlen(s) > 2);
	assert_string_equal(s + strlen(s) - 2, "\r\n");
	while (*p != '\0') {
		eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_null(memchr(p, '\n', eol - p));
		assert_null(memchr(p, '\r', eol - p));
		if (eol - p > 75)
			fail_msg("line of %d octets: %.*s", (int)(eol - p),
			    (int)(eol - p), p);
		if (!utf8_valid((const unsigned char *)p, eol - p))
			fail_msg("a fold inside a UTF-8 sequence: %.*s",
			    (int)(eol - p), p);
		if (*p == ' ' || *p == '\t')
			folds++;
		p = eol + 2;
	}
	unfolded = xstrdup(s);
	for (p = s, u = unfolded; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n' &&
		    (p[2] == ' ' || p[2] == '\t')) {
			p += 2;
			continue;
		}
		*u++ = *p;
	}
	*u = '\0';
	assert_true(utf8_valid((unsigned char *)unfolded, strlen(unfolded)));
	free(unfolded);
	return folds;
}

/* The wall-clock time at t as glibc's Europe/London zoneinfo sees it. */
static void
london_tm(long long t, struct tm *tm)
{
	time_t	tt = (time_t)t;

	assert_non_null(localtime_r(&tt, tm));
}

static int
same_wall_clock(const struct tm *a, const struct tm *b)
{
	return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon &&
	    a->tm_mday == b->tm_mday && a->tm_hour == b->tm_hour &&
	    a->tm_min == b->tm_min && a->tm_sec == b->tm_sec;
}

/*
 * The DTSTART line glibc expects for t: London wall-clock time with its
 * TZID, or UTC when that wall-clock time comes twice (clocks going back).
 * The caller has set TZ=Europe/London.
 */
static void
expected_dtstart(long long t, char *buf, size_t size)
{
	struct tm	tm, before, after;
	time_t		tt = (time_t)t;
	char		when[32];

	london_tm(t, &tm);
	london_tm(t - 3600, &before);
	london_tm(t + 3600, &after);
	if (same_wall_clock(&tm, &before) || same_wall_clock(&tm, &after)) {
		assert_non_null(gmtime_r(&tt, &tm));
		strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
		snprintf(buf, size, "DTSTART:%s", when);
	} else {
		strftime(when, sizeof when, "%Y%m%dT%H%M%S", &tm);
		snprintf(buf, size, TZLINE "%s", when);
	}
}

/* ---- libical reading the output back --------------------------------- */

static icalcomponent *
parse_calendar(const char *s, icalcomponent **event)
{
	icalcomponent	*cal;

	cal = icalparser_parse_string(s);
	assert_non_null(cal);
	assert_int_equal(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
	assert_int_equal(icalcomponent_count_errors(cal), 0);
	assert_int_equal(icalcomponent_count_components(cal,
	    ICAL_VEVENT_COMPONENT), 1);
	assert_int_equal(icalcomponent_count_components(cal,
	    ICAL_VTIMEZONE_COMPONENT), 1);
	*event = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_non_null(*event);
	return cal;
}

/*
 * The instant of DTSTART or DTEND as libical reads it through the
 * VTIMEZONE in the object itself (not its own zoneinfo). *tzid gets the
 * TZID parameter, or NULL for a UTC time.
 */
static long long
event_time(icalcomponent *cal, icalcomponent *ev, icalproperty_kind kind,
    const char **tzid)
{
	icalproperty		*p;
	icalparameter		*param;
	icaltimezone		*zone;
	struct icaltimetype	 tt;

	p = icalcomponent_get_first_property(ev, kind);
	assert_non_null(p);
	tt = kind == ICAL_DTSTART_PROPERTY ? icalproperty_get_dtstart(p) :
	    icalproperty_get_dtend(p);
	param = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	if (param == NULL) {
		assert_true(icaltime_is_utc(tt));
		*tzid = NULL;
		zone = icaltimezone_get_utc_timezone();
	} else {
		*tzid = icalparameter_get_tzid(param);
		zone = icalcomponent_get_timezone(cal, *tzid);
		assert_non_null(zone);	/* the VTIMEZONE is in the object */
	}
	return (long long)icaltime_as_timet_with_zone(tt, zone);
}

/* ---- the second parser ----------------------------------------------- */

static const char *
src_dir(void)
{
	const char	*s = getenv("RR_SRC");

	return s != NULL ? s : ".";
}

/*
 * Run tests/tools/icscheck on the text; returns its exit status and, when
 * 0, its JSON in *out (caller puts it).
 */
static int
icscheck(const char *text, struct json_object **out)
{
	char		 path[] = "/tmp/test_ics.XXXXXX", *script, *buf;
	const char	*python;
	size_t		 len = 0, cap = 4096;
	ssize_t		 n;
	int		 fd, pfd[2], status;
	pid_t		 pid;

	*out = NULL;
	if ((python = getenv("RR_PYTHON")) == NULL)
		python = access("/usr/bin/python3", X_OK) == 0 ?
		    "/usr/bin/python3" : "python3";
	xasprintf(&script, "%s/tests/tools/icscheck", src_dir());
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(pfd[0]);
		if (dup2(pfd[1], STDOUT_FILENO) == -1)
			_exit(126);
		close(pfd[1]);
		execlp(python, python, script, path, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	buf = xmalloc(cap);
	while ((n = read(pfd[0], buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
	}
	buf[len] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	free(script);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 0) {
		*out = json_tokener_parse(buf);
		if (*out == NULL)
			fail_msg("icscheck printed no JSON: %s", buf);
	}
	free(buf);
	return WEXITSTATUS(status);
}

/* A string member, or NULL for JSON null. */
static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("icscheck gave no %s", key);
	if (v == NULL)
		return NULL;
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static void
iso_utc(long long t, char *buf, size_t size)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	assert_non_null(gmtime_r(&tt, &tm));
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* icscheck read the object and found in it what m says. */
static void
check_second_parser(const char *s, const struct ics_meeting *m,
    const char *want_tzid)
{
	struct json_object	*o, *v, *a;
	char			 iso[40];
	size_t			 i;

	if (icscheck(s, &o) != 0)
		fail_msg("icscheck refused:\n%s", s);
	assert_string_equal(json_str(o, "method"),
	    m->cancel ? "CANCEL" : "REQUEST");
	assert_string_equal(json_str(o, "uid"), m->uid);
	assert_true(json_object_object_get_ex(o, "sequence", &v));
	assert_int_equal(json_object_get_int(v), m->sequence);
	iso_utc(m->start, iso, sizeof iso);
	assert_string_equal(json_str(o, "dtstart_utc"), iso);
	iso_utc(m->start + 60LL * m->minutes, iso, sizeof iso);
	assert_string_equal(json_str(o, "dtend_utc"), iso);
	iso_utc(m->dtstamp, iso, sizeof iso);
	assert_string_equal(json_str(o, "dtstamp_utc"), iso);
	if (want_tzid == NULL)
		assert_null(json_str(o, "tzid"));
	else
		assert_string_equal(json_str(o, "tzid"), want_tzid);
	assert_true(json_object_object_get_ex(o, "attendees", &a));
	assert_int_equal(json_object_array_length(a), m->n_attendees);
	for (i = 0; i < m->n_attendees; i++)
		assert_string_equal(json_object_get_string(
		    json_object_array_get_idx(a, i)), m->attendees[i]);
	assert_string_equal(json_str(o, "organizer"), m->organizer);
	assert_string_equal(json_str(o, "organizer_cn"), m->organizer_name);
	assert_string_equal(json_str(o, "summary"), m->summary);
	if (m->location != NULL)
		assert_string_equal(json_str(o, "location"), m->location);
	if (m->description != NULL)
		assert_string_equal(json_str(o, "description"),
		    m->description);
	assert_string_equal(json_str(o, "status"),
	    m->cancel ? "CANCELLED" : "CONFIRMED");
	json_object_put(o);
}

/* ---- tests ----------------------------------------------------------- */

/*
 * The issue: a meeting set in BST for a day after the clocks go back. The
 * start is the UTC instant; the invitation says 10:00 London either way.
 */
static void
test_dst(void **state)
{
	static const struct {
		int		 y, mo, d, h, mi;	/* UTC */
		int		 minutes;
		const char	*dtstart, *dtend;
	} t[] = {
		/* Monday after the clocks went back: 10:00 GMT = 10:00Z. */
		{ 2024, 10, 28, 10, 0, 90,
		  TZLINE "20241028T100000",
		  "DTEND;TZID=Europe/London:20241028T113000" },
		/* Summer: 10:00 BST = 09:00Z. */
		{ 2024, 7, 15, 9, 0, 60,
		  TZLINE "20240715T100000",
		  "DTEND;TZID=Europe/London:20240715T110000" },
		/* The day the clocks go forward (01:00Z): 10:00 BST. */
		{ 2024, 3, 31, 9, 0, 60,
		  TZLINE "20240331T100000",
		  "DTEND;TZID=Europe/London:20240331T110000" },
		/* The Friday before: still GMT. */
		{ 2024, 3, 29, 10, 0, 60,
		  TZLINE "20240329T100000",
		  "DTEND;TZID=Europe/London:20240329T110000" },
		/* Across the jump forward: 00:30 GMT to 02:30 BST. */
		{ 2024, 3, 31, 0, 30, 60,
		  TZLINE "20240331T003000",
		  "DTEND;TZID=Europe/London:20240331T023000" },
		/* 01:30 London comes twice on 2024-10-27: UTC, both times. */
		{ 2024, 10, 27, 0, 30, 60,
		  "DTSTART:20241027T003000Z", "DTEND:20241027T013000Z" },
		{ 2024, 10, 27, 1, 30, 30,
		  "DTSTART:20241027T013000Z",
		  "DTEND;TZID=Europe/London:20241027T020000" },
		/* Year 2100, past what 32-bit zoneinfo knew. */
		{ 2100, 7, 1, 13, 0, 1440,
		  TZLINE "21000701T140000",
		  "DTEND;TZID=Europe/London:21000702T140000" },
	};
	struct ics_meeting	 m;
	icalcomponent		*cal, *ev;
	const char		*tzid;
	char			*s;
	size_t			 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		m = meeting(utc(t[i].y, t[i].mo, t[i].d, t[i].h, t[i].mi),
		    utc(2024, 10, 21, 9, 15));
		m.minutes = t[i].minutes;
		s = render_ok(&m);
		if (!has_line(s, t[i].dtstart) || !has_line(s, t[i].dtend))
			fail_msg("case %zu: want %s and %s in\n%s", i,
			    t[i].dtstart, t[i].dtend, s);
		assert_true(has_line(s, "DTSTAMP:20241021T091500Z"));
		check_lines(s);

		/* libical through the object's own VTIMEZONE. */
		cal = parse_calendar(s, &ev);
		assert_int_equal(event_time(cal, ev, ICAL_DTSTART_PROPERTY,
		    &tzid), m.start);
		assert_int_equal(event_time(cal, ev, ICAL_DTEND_PROPERTY,
		    &tzid), m.start + 60LL * m.minutes);
		icalcomponent_free(cal);

		/* icalendar through the Olson zone, and the VTIMEZONE. */
		check_second_parser(s, &m, strncmp(t[i].dtstart, TZLINE,
		    strlen(TZLINE)) == 0 ? "Europe/London" : NULL);
		free(s);
	}
}

/*
 * Every quarter hour over both 2024 changes, and instants spread over
 * 2000..2100, against glibc's reading of the system zoneinfo; the
 * library must not depend on TZ, so TZ is set only for the oracle.
 */
static void
test_dst_sweep(void **state)
{
	struct ics_meeting	 m;
	icalcomponent		*cal, *ev;
	const char		*tzid;
	char			 want[64], *s;
	long long		 t, from[2], seed = 12345;
	int			 k, y, utc_form = 0, n = 0;

	assert_int_equal(setenv("TZ", "Europe/London", 1), 0);
	tzset();
	from[0] = utc(2024, 3, 30, 0, 0);
	from[1] = utc(2024, 10, 26, 0, 0);
	for (k = 0; k < 2; k++) {
		for (t = from[k]; t < from[k] + 2 * 86400; t += 900) {
			m = meeting(t, utc(2024, 1, 1, 0, 0));
			s = render_ok(&m);
			expected_dtstart(t, want, sizeof want);
			if (!has_line(s, want))
				fail_msg("at %lld want %s in\n%s", t, want, s);
			if (strncmp(want, TZLINE, strlen(TZLINE)) != 0)
				utc_form++;
			cal = parse_calendar(s, &ev);
			assert_int_equal(event_time(cal, ev,
			    ICAL_DTSTART_PROPERTY, &tzid), t);
			icalcomponent_free(cal);
			free(s);
			n++;
		}
	}
	/* Only the repeated hour of 2024-10-27 (four quarters, twice). */
	assert_int_equal(utc_form, 8);

	for (y = 2000; y <= 2100; y++) {
		for (k = 0; k < 4; k++) {
			seed = (seed * 1103515245 + 12345) % 2147483648LL;
			t = utc(y, 1, 1, 0, 0) + seed % (365 * 86400);
			m = meeting(t, utc(2024, 1, 1, 0, 0));
			s = render_ok(&m);
			expected_dtstart(t, want, sizeof want);
			if (!has_line(s, want))
				fail_msg("at %lld want %s in\n%s", t, want, s);
			cal = parse_calendar(s, &ev);
			assert_int_equal(event_time(cal, ev,
			    ICAL_DTSTART_PROPERTY, &tzid), t);
			icalcomponent_free(cal);
			free(s);
			n++;
		}
	}
	assert_int_equal(n, 2 * 192 + 101 * 4);
	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
}

/* libical reads back what was meant. */
static void
test_round_trip(void **state)
{
	struct ics_meeting	 m;
	icalcomponent		*cal, *ev;
	icalproperty		*p;
	icalparameter		*param;
	const char		*tzid;
	char			*s;
	size_t			 i;

	m = meeting(utc(2024, 10, 28, 10, 0), utc(2024, 10, 21, 9, 15));
	s = render_ok(&m);
	assert_true(strncmp(s, "BEGIN:VCALENDAR\r\n", 17) == 0);
	assert_true(has_line(s, "PRODID:-//rapidreviewd//Rapid Review//EN"));
	assert_true(has_line(s, "VERSION:2.0"));
	assert_true(has_line(s, "CALSCALE:GREGORIAN"));
	assert_true(has_line(s, "METHOD:REQUEST"));
	assert_true(has_line(s, "TZID:Europe/London"));
	assert_true(has_line(s, "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"));
	assert_true(has_line(s, "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"));
	assert_true(has_line(s, "STATUS:CONFIRMED"));
	assert_true(has_line(s, "TRANSP:OPAQUE"));
	assert_true(has_line(s, "CLASS:CONFIDENTIAL"));
	assert_true(has_line(s, "SEQUENCE:0"));
	/* Compact: two observances, not libical's 8 kB of history. */
	assert_true(strlen(s) < 2000);
	check_lines(s);

	cal = parse_calendar(s, &ev);
	assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_REQUEST);
	assert_string_equal(icalcomponent_get_uid(ev), m.uid);
	assert_int_equal(icalcomponent_get_sequence(ev), 0);
	assert_int_equal(event_time(cal, ev, ICAL_DTSTART_PROPERTY, &tzid),
	    utc(2024, 10, 28, 10, 0));
	assert_string_equal(tzid, "Europe/London");
	assert_int_equal(event_time(cal, ev, ICAL_DTEND_PROPERTY, &tzid),
	    utc(2024, 10, 28, 11, 30));
	assert_string_equal(tzid, "Europe/London");
	assert_int_equal(icaltime_as_timet(icalcomponent_get_dtstamp(ev)),
	    utc(2024, 10, 21, 9, 15));
	assert_true(icaltime_is_utc(icalcomponent_get_dtstamp(ev)));
	assert_string_equal(icalcomponent_get_summary(ev), m.summary);
	assert_string_equal(icalcomponent_get_description(ev), m.description);
	assert_string_equal(icalcomponent_get_location(ev), m.location);
	assert_int_equal(icalcomponent_get_status(ev), ICAL_STATUS_CONFIRMED);

	p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	assert_non_null(p);
	assert_string_equal(icalproperty_get_organizer(p),
	    "mailto:rapidreview@northshire-cc.gov.uk");
	param = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
	assert_non_null(param);
	assert_string_equal(icalparameter_get_cn(param), m.organizer_name);

	assert_int_equal(icalcomponent_count_properties(ev,
	    ICAL_ATTENDEE_PROPERTY), 3);
	for (i = 0, p = icalcomponent_get_first_property(ev,
	    ICAL_ATTENDEE_PROPERTY); p != NULL; i++,
	    p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		char	*want;

		xasprintf(&want, "mailto:%s", m.attendees[i]);
		assert_string_equal(icalproperty_get_attendee(p), want);
		free(want);
		param = icalproperty_get_first_parameter(p,
		    ICAL_ROLE_PARAMETER);
		assert_int_equal(icalparameter_get_role(param),
		    ICAL_ROLE_REQPARTICIPANT);
		param = icalproperty_get_first_parameter(p,
		    ICAL_PARTSTAT_PARAMETER);
		assert_int_equal(icalparameter_get_partstat(param),
		    ICAL_PARTSTAT_NEEDSACTION);
		param = icalproperty_get_first_parameter(p,
		    ICAL_RSVP_PARAMETER);
		assert_non_null(param);
		assert_int_equal(icalparameter_get_rsvp(param),
		    ICAL_RSVP_TRUE);
	}
	icalcomponent_free(cal);
	free(s);

	/* Optional values left out are absent, not empty. */
	m.location = NULL;
	m.description = NULL;
	m.organizer_name = NULL;
	m.n_attendees = 1;
	s = render_ok(&m);
	assert_null(strstr(s, "LOCATION"));
	assert_null(strstr(s, "DESCRIPTION"));
	assert_null(strstr(s, "CN="));
	assert_true(has_line(s, "ORGANIZER:mailto:"
	    "rapidreview@northshire-cc.gov.uk"));
	cal = parse_calendar(s, &ev);
	assert_int_equal(icalcomponent_count_properties(ev,
	    ICAL_ATTENDEE_PROPERTY), 1);
	icalcomponent_free(cal);
	free(s);
}

/* A moved meeting: same UID, SEQUENCE one higher, the new time. */
static void
test_move(void **state)
{
	struct ics_meeting	 first, moved;
	icalcomponent		*cal, *ev;
	const char		*tzid;
	char			*a, *b;

	first = meeting(utc(2024, 10, 28, 10, 0), utc(2024, 10, 21, 9, 15));
	moved = first;
	moved.sequence = 1;
	moved.start = utc(2024, 10, 29, 14, 0);
	moved.dtstamp = utc(2024, 10, 22, 8, 0);
	a = render_ok(&first);
	b = render_ok(&moved);
	assert_true(has_line(a, "SEQUENCE:0"));
	assert_true(has_line(b, "SEQUENCE:1"));
	assert_true(has_line(b, TZLINE "20241029T140000"));
	assert_true(has_line(b, "DTSTAMP:20241022T080000Z"));
	assert_true(has_line(b, "METHOD:REQUEST"));

	cal = parse_calendar(b, &ev);
	assert_string_equal(icalcomponent_get_uid(ev), first.uid);
	assert_int_equal(icalcomponent_get_sequence(ev), 1);
	assert_int_equal(event_time(cal, ev, ICAL_DTSTART_PROPERTY, &tzid),
	    moved.start);
	icalcomponent_free(cal);
	check_second_parser(b, &moved, "Europe/London");
	free(a);
	free(b);
}

/* Withdrawn: METHOD:CANCEL, STATUS:CANCELLED, no reply asked for. */
static void
test_cancel(void **state)
{
	struct ics_meeting	 m;
	icalcomponent		*cal, *ev;
	char			*s;

	m = meeting(utc(2024, 10, 28, 10, 0), utc(2024, 10, 23, 16, 0));
	m.sequence = 2;
	m.cancel = 1;
	s = render_ok(&m);
	assert_true(has_line(s, "METHOD:CANCEL"));
	assert_true(has_line(s, "STATUS:CANCELLED"));
	assert_true(has_line(s, "SEQUENCE:2"));
	assert_null(strstr(s, "METHOD:REQUEST"));
	assert_null(strstr(s, "CONFIRMED"));
	assert_null(strstr(s, "RSVP"));
	check_lines(s);
	cal = parse_calendar(s, &ev);
	assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_CANCEL);
	assert_int_equal(icalcomponent_get_status(ev), ICAL_STATUS_CANCELLED);
	assert_string_equal(icalcomponent_get_uid(ev), m.uid);
	assert_int_equal(icalcomponent_count_properties(ev,
	    ICAL_ATTENDEE_PROPERTY), 3);
	icalcomponent_free(cal);
	check_second_parser(s, &m, "Europe/London");
	free(s);
}

enum field {
	F_UID, F_SUMMARY, F_LOCATION, F_DESCRIPTION, F_ORGANIZER,
	F_ORGANIZER_NAME, F_ATTENDEE, F_MINUTES, F_START, F_SEQUENCE,
	F_NO_ATTENDEES, F_NULL_ATTENDEES, F_DTSTAMP,
};

static void
test_refusals(void **state)
{
	static const struct {
		enum field	 field;
		const char	*value;	/* or NULL */
		long long	 number;
		const char	*cause;	/* part of the cause */
	} t[] = {
		{ F_SUMMARY, "Meeting\r\nATTENDEE:mailto:x@evil.example", 0,
		  "summary" },
		{ F_SUMMARY, "Meeting\nBCC", 0, "summary" },
		{ F_SUMMARY, "Meeting\rX", 0, "summary" },
		{ F_SUMMARY, "", 0, "summary" },
		{ F_SUMMARY, NULL, 0, "summary" },
		{ F_SUMMARY, "Caf\xe9", 0, "UTF-8" },
		{ F_SUMMARY, "bell\a", 0, "control" },
		{ F_LOCATION, "Room 2\r\nX-EVIL:1", 0, "location" },
		{ F_DESCRIPTION, "text\x01more", 0, "description" },
		{ F_DESCRIPTION, "\xc0\xafoverlong", 0, "description" },
		{ F_UID, "uid\n@x", 0, "UID" },
		{ F_UID, "", 0, "UID" },
		{ F_ORGANIZER_NAME, "Sam\nNotifier", 0, "organiser name" },
		{ F_ORGANIZER, "rapidreview", 0, "organiser address" },
		{ F_ORGANIZER, "rapid review@northshire.example", 0,
		  "organiser address" },
		{ F_ORGANIZER, "a@x.example\r\n", 0, "organiser address" },
		{ F_ORGANIZER, NULL, 0, "organiser address" },
		{ F_ATTENDEE, "secretnurse", 0, "attendee 2" },
		{ F_ATTENDEE, "<secretnurse@nhs.example>", 0, "attendee 2" },
		{ F_ATTENDEE, "\"secret nurse\"@nhs.example", 0,
		  "attendee 2" },
		{ F_ATTENDEE, "secret nurse@nhs.example", 0, "attendee 2" },
		{ F_ATTENDEE, "secretnurse@nhs.example\nBCC:x@y.example", 0,
		  "attendee 2" },
		{ F_ATTENDEE, "secret%nurse@nhs.example", 0, "attendee 2" },
		{ F_ATTENDEE, "secretnurse@", 0, "attendee 2" },
		{ F_ATTENDEE, NULL, 0, "attendee 2" },
		{ F_NO_ATTENDEES, NULL, 0, "no attendees" },
		{ F_NULL_ATTENDEES, NULL, 0, "no attendees" },
		{ F_MINUTES, NULL, 0, "duration" },
		{ F_MINUTES, NULL, -30, "duration" },
		{ F_MINUTES, NULL, 24 * 60 + 1, "duration" },
		{ F_START, NULL, 946684800LL - 1, "start" },	/* 1999 */
		{ F_START, NULL, 4133980800LL, "start" },	/* 2101 */
		{ F_START, NULL, -1, "start" },
		{ F_DTSTAMP, NULL, 0, "DTSTAMP" },
		{ F_SEQUENCE, NULL, -1, "SEQUENCE" },
	};
	const char		*att[3];
	struct ics_meeting	 m;
	char			*cause, *s;
	size_t			 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		m = meeting(utc(2024, 10, 28, 10, 0),
		    utc(2024, 10, 21, 9, 15));
		memcpy(att, attendees3, sizeof att);
		m.attendees = att;
		switch (t[i].field) {
		case F_UID:
			m.uid = t[i].value;
			break;
		case F_SUMMARY:
			m.summary = t[i].value;
			break;
		case F_LOCATION:
			m.location = t[i].value;
			break;
		case F_DESCRIPTION:
			m.description = t[i].value;
			break;
		case F_ORGANIZER:
			m.organizer = t[i].value;
			break;
		case F_ORGANIZER_NAME:
			m.organizer_name = t[i].value;
			break;
		case F_ATTENDEE:
			att[1] = t[i].value;
			break;
		case F_MINUTES:
			m.minutes = (int)t[i].number;
			break;
		case F_START:
			m.start = t[i].number;
			break;
		case F_DTSTAMP:
			m.dtstamp = t[i].number;
			break;
		case F_SEQUENCE:
			m.sequence = (int)t[i].number;
			break;
		case F_NO_ATTENDEES:
			m.n_attendees = 0;
			break;
		case F_NULL_ATTENDEES:
			m.attendees = NULL;
			break;
		}
		cause = NULL;
		s = ics_render(&m, &cause);
		if (s != NULL)
			fail_msg("case %zu accepted:\n%s", i, s);
		assert_non_null(cause);
		if (strstr(cause, t[i].cause) == NULL)
			fail_msg("case %zu: cause \"%s\" lacks \"%s\"", i,
			    cause, t[i].cause);
		/* Causes reach the log: never the value itself. */
		assert_null(strstr(cause, "secret"));
		assert_null(strstr(cause, "evil"));
		assert_null(strstr(cause, "Notifier"));
		free(cause);
	}

	/* The limits themselves are accepted. */
	m = meeting(946684800LL, utc(2024, 10, 21, 9, 15));
	m.minutes = 1;
	s = render_ok(&m);
	assert_true(has_line(s, TZLINE "20000101T000000"));
	assert_true(has_line(s, "DTEND;TZID=Europe/London:20000101T000100"));
	free(s);
	m.start = 4133980800LL - 3600;
	m.minutes = 24 * 60;
	s = render_ok(&m);
	assert_true(has_line(s, TZLINE "21001231T230000"));
	assert_true(has_line(s, "DTEND;TZID=Europe/London:21010101T230000"));
	free(s);
}

/*
 * Accents and non-Latin scripts survive both parsers, and folding never
 * cuts a character: the prefix shifts each fold through every byte of
 * 2-, 3- and 4-octet sequences.
 */
static void
test_unicode(void **state)
{
	static const char *const words =
	    "R\xc3\xa9union \xc2\xb7 Zo\xc3\xab \xc3\x93 "
	    "S\xc3\xbailleabh\xc3\xa1in \xc2\xb7 "
	    "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac "
	    "\xd0\xa0\xd1\x83\xd1\x81\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9 "
	    "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9 "
	    "\xe4\xb8\xad\xe6\x96\x87\xe4\xbc\x9a\xe8\xae\xae\xe5\xae\xa4"
	    "\xe4\xb8\xad\xe6\x96\x87\xe4\xbc\x9a\xe8\xae\xae\xe5\xae\xa4"
	    "\xf0\x9f\x98\x80\xf0\x9f\x93\x85\xf0\x9f\x98\x80\xf0\x9f\x93\x85"
	    "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6"
	    "\xe0\xa5\x80";
	struct ics_meeting	 m;
	icalcomponent		*cal, *ev;
	icalproperty		*p;
	icalparameter		*param;
	char			*summary, *location, *description, *name, *s;
	int			 k, folds = 0;

	for (k = 0; k < 8; k++) {
		xasprintf(&summary, "%.*sRR-2024-001 %s", k, "xxxxxxxx", words);
		xasprintf(&location, "%.*sYsgol Gynradd Llanfair "
		    "\xe2\x80\x94 %s", k, "yyyyyyyy", words);
		xasprintf(&description, "%.*s%s\n\n%s %s\nEnd.", k,
		    "zzzzzzzz", words, words, words);
		xasprintf(&name, "Si\xc3\xa2n O\xe2\x80\x99" "Brien; "
		    "\xe5\xb1\xb1\xe7\x94\xb0: Partnership, %.*sNorthshire", k,
		    "wwwwwwww");
		m = meeting(utc(2024, 7, 15, 9, 0), utc(2024, 7, 1, 12, 0));
		m.summary = summary;
		m.location = location;
		m.description = description;
		m.organizer_name = name;
		s = render_ok(&m);
		folds += check_lines(s);

		cal = parse_calendar(s, &ev);
		assert_string_equal(icalcomponent_get_summary(ev), summary);
		assert_string_equal(icalcomponent_get_location(ev), location);
		assert_string_equal(icalcomponent_get_description(ev),
		    description);
		p = icalcomponent_get_first_property(ev,
		    ICAL_ORGANIZER_PROPERTY);
		param = icalproperty_get_first_parameter(p,
		    ICAL_CN_PARAMETER);
		assert_string_equal(icalparameter_get_cn(param), name);
		icalcomponent_free(cal);
		if (k % 4 == 0)
			check_second_parser(s, &m, "Europe/London");
		free(s);
		free(summary);
		free(location);
		free(description);
		free(name);
	}
	/* Each of the three long values folds at least twice. */
	assert_true(folds >= 8 * 6);

	/* CRLF and CR in the description are line breaks too. */
	m = meeting(utc(2024, 7, 15, 9, 0), utc(2024, 7, 1, 12, 0));
	m.description = "one\r\ntwo\rthree\nfour\tfive";
	s = render_ok(&m);
	assert_true(has_line(s, "DESCRIPTION:one\\ntwo\\nthree\\nfour\tfive"));
	cal = parse_calendar(s, &ev);
	assert_string_equal(icalcomponent_get_description(ev),
	    "one\ntwo\nthree\nfour\tfive");
	icalcomponent_free(cal);
	free(s);
}

/* Same input, same bytes, whatever TZ says. */
static void
test_deterministic(void **state)
{
	struct ics_meeting	 m;
	char			*a, *b, *c;

	m = meeting(utc(2024, 10, 28, 10, 0), utc(2024, 10, 21, 9, 15));
	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
	a = render_ok(&m);
	b = render_ok(&m);
	assert_string_equal(a, b);
	assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
	tzset();
	c = render_ok(&m);
	assert_string_equal(a, c);
	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
	free(a);
	free(b);
	free(c);
}

/* The second parser can say no: a wrong VTIMEZONE, a long line. */
static void
test_icscheck_refuses(void **state)
{
	struct ics_meeting	 m;
	struct json_object	*o;
	char			*s, *p, *bad;

	m = meeting(utc(2024, 10, 28, 10, 0), utc(2024, 10, 21, 9, 15));
	s = render_ok(&m);

	/* Summer time ending in November puts 10:00 at 09:00Z. */
	bad = xstrdup(s);
	p = strstr(bad, "BYMONTH=10");
	assert_non_null(p);
	memcpy(p, "BYMONTH=11", 10);
	assert_int_not_equal(icscheck(bad, &o), 0);
	assert_null(o);
	free(bad);

	/* DTSTART naming a zone the object does not define. */
	bad = xstrdup(s);
	p = strstr(bad, "TZID:Europe/London");
	assert_non_null(p);
	memcpy(p, "TZID:Europe/Londox", 18);
	assert_int_not_equal(icscheck(bad, &o), 0);
	free(bad);

	/* An unfolded 76-octet line. */
	p = strstr(s, "END:VEVENT");
	assert_non_null(p);
	xasprintf(&bad, "%.*sX-LONG:%069d\r\n%s", (int)(p - s), s, 0, p);
	assert_int_not_equal(icscheck(bad, &o), 0);
	free(bad);

	assert_int_equal(icscheck(s, &o), 0);
	json_object_put(o);
	free(s);
}

static int
teardown(void **state)
{
	/*
	 * libical keeps the zones it loaded from zoneinfo until told; they
	 * stay reachable (LeakSanitizer is silent either way), so this only
	 * tidies up for valgrind.
	 */
	icaltimezone_free_builtin_timezones();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dst),
		cmocka_unit_test(test_dst_sweep),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_icscheck_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
