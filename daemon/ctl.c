/*
 * ctl.c - rapidreviewctl: the second front door to the same core.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "calendar.h"
#include "config.h"
#include "date.h"
#include "log.h"
#include "xmalloc.h"

#define DEFAULT_CONFIG	"/etc/rapidreviewd/rapidreviewd.ini"
#define DEFAULT_ZONE	"Europe/London"

struct ctl {
	const char	*config_path;
	int		 config_given;
	int		 json;
	const char	*now_text;
	struct config	*cfg;		/* NULL when running on defaults */
};

struct ctl_command {
	const char	*name;
	const char	*args;
	int		 (*fn)(struct ctl *, int, char **);
};

static void usage(void) __attribute__((noreturn));

static int
file_exists(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Load the INI when there is one. Without -c and without the default file,
 * the calendar commands still work on the default holidays.
 */
static int
ctl_load_config(struct ctl *c)
{
	struct config_diag	diag;

	if (!c->config_given && !file_exists(c->config_path))
		return 0;
	config_diag_init(&diag);
	c->cfg = config_load(c->config_path, &diag);
	if (c->cfg == NULL)
		config_diag_print(&diag, stderr);
	config_diag_free(&diag);
	return c->cfg == NULL ? -1 : 0;
}

/* The holidays file: the INI's, else the installed one, else the tree's. */
static struct calendar *
ctl_calendar(struct ctl *c, const char **division)
{
	struct calendar	*cal;
	char		 exe[PATH_MAX], *slash, *path = NULL, *cause = NULL;
	ssize_t		 n;

	if (c->cfg != NULL) {
		*division = c->cfg->calendar.division;
		if ((cal = config_calendar(c->cfg, &cause)) == NULL) {
			fprintf(stderr, "rapidreviewctl: %s\n", cause);
			free(cause);
		}
		return cal;
	}
	*division = "england-and-wales";
	if (file_exists(RR_DATADIR "/bank-holidays.json"))
		path = xstrdup(RR_DATADIR "/bank-holidays.json");
	else if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		/* Run from a build folder of the source tree. */
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		xasprintf(&path, "%s/../config/bank-holidays.json", exe);
	}
	if (path == NULL) {
		fprintf(stderr, "rapidreviewctl: no holidays file found; "
		    "give one with -c\n");
		return NULL;
	}
	cal = calendar_new();
	if (calendar_load_json(cal, path, *division, &cause) != 0) {
		fprintf(stderr, "rapidreviewctl: %s\n", cause);
		free(cause);
		calendar_free(cal);
		cal = NULL;
	}
	free(path);
	return cal;
}

static const char *
ctl_zone(const struct ctl *c)
{
	return c->cfg != NULL ? c->cfg->partnership.timezone : DEFAULT_ZONE;
}

static int
ctl_today(const struct ctl *c, struct rr_date *today)
{
	struct rr_date	d;
	long long	t = (long long)time(NULL);
	int		minutes, seconds;

	if (c->now_text != NULL) {
		if (date_parse_local(c->now_text, &d, &minutes, &seconds) !=
		    0 || date_local_to_time(ctl_zone(c), &d, minutes,
		    seconds, &t) != 0) {
			fprintf(stderr, "rapidreviewctl: --now: '%s' is not a "
			    "date and time\n", c->now_text);
			return -1;
		}
	}
	return date_time_to_local(ctl_zone(c), t, today, &minutes);
}

static void
json_print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

struct year_listing {
	struct json_object	*array;
	int			 count;
};

static void
print_holiday(long day, const char *title, void *arg)
{
	struct year_listing	*yl = arg;
	struct json_object	*o;
	struct rr_date		 d;
	char			 buf[11];
	static const char	*wd[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
	    "Sat", "Sun" };

	date_from_days(day, &d);
	date_format_iso(&d, buf, sizeof buf);
	yl->count++;
	if (yl->array == NULL) {
		printf("%s %s  %s\n", buf, wd[date_weekday(day)], title);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "date", json_object_new_string(buf));
	json_object_object_add(o, "weekday",
	    json_object_new_string(wd[date_weekday(day)]));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_array_add(yl->array, o);
}

static int
cmd_calendar(struct ctl *c, int argc, char **argv)
{
	struct year_listing	 yl = { NULL, 0 };
	struct json_object	*o;
	struct calendar		*cal;
	struct rr_date		 today;
	unsigned long long	 y;
	const char		*division;

	if (argc > 2)
		usage();
	if (argc == 2) {
		if (config_parse_uint(argv[1], 9999, &y) != 0 || y < 1900) {
			fprintf(stderr, "rapidreviewctl: calendar: '%s' is not "
			    "a year\n", argv[1]);
			return 2;
		}
	} else {
		if (ctl_today(c, &today) != 0)
			return 1;
		y = (unsigned long long)today.year;
	}
	if ((cal = ctl_calendar(c, &division)) == NULL)
		return 1;
	if (c->json)
		yl.array = json_object_new_array();
	calendar_foreach_in_year(cal, (int)y, print_holiday, &yl);
	if (!calendar_has_year(cal, (int)y))
		fprintf(stderr, "rapidreviewctl: warning: no %s holidays are "
		    "known for %llu\n", division, y);
	if (c->json) {
		o = json_object_new_object();
		json_object_object_add(o, "year", json_object_new_int((int)y));
		json_object_object_add(o, "division",
		    json_object_new_string(division));
		json_object_object_add(o, "holidays", yl.array);
		json_print(o);
	}
	calendar_free(cal);
	return 0;
}

static int
cmd_workday(struct ctl *c, int argc, char **argv)
{
	struct json_object	*o;
	struct calendar		*cal;
	struct rr_date		 d, r;
	long long		 n;
	const char		*division;
	char			 in[11], out[11];
	long			 day;

	if (argc != 3)
		usage();
	if (date_parse_iso(argv[1], &d) != 0) {
		fprintf(stderr, "rapidreviewctl: workday: '%s' is not a date "
		    "(YYYY-MM-DD)\n", argv[1]);
		return 2;
	}
	if (config_parse_int(argv[2], -1000, 1000, &n) != 0) {
		fprintf(stderr, "rapidreviewctl: workday: '%s' is not a whole "
		    "number from -1000 to 1000\n", argv[2]);
		return 2;
	}
	if ((cal = ctl_calendar(c, &division)) == NULL)
		return 1;
	day = calendar_add_working_days(cal, date_to_days(&d), (int)n);
	date_from_days(day, &r);
	if (!calendar_has_year(cal, d.year) || !calendar_has_year(cal, r.year))
		fprintf(stderr, "rapidreviewctl: warning: holiday data for "
		    "%s does not cover %d-%d; weekends only were counted "
		    "there\n", division, d.year, r.year);
	date_format_iso(&d, in, sizeof in);
	date_format_iso(&r, out, sizeof out);
	if (c->json) {
		o = json_object_new_object();
		json_object_object_add(o, "day0", json_object_new_string(in));
		json_object_object_add(o, "n", json_object_new_int((int)n));
		json_object_object_add(o, "date", json_object_new_string(out));
		json_object_object_add(o, "division",
		    json_object_new_string(division));
		json_print(o);
	} else
		printf("%s\n", out);
	calendar_free(cal);
	return 0;
}

static const struct ctl_command commands[] = {
	{ "calendar", "[YEAR]", cmd_calendar },
	{ "workday", "DATE N", cmd_workday },
};

static void
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: rapidreviewctl [-c file] [--json] [--now time] "
	    "command [args]\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(stderr, "  %s %s\n", commands[i].name,
		    commands[i].args);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'N' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl	c;
	size_t		i;
	int		ch, rc;

	memset(&c, 0, sizeof c);
	c.config_path = DEFAULT_CONFIG;
	log_init(0, "rapidreviewctl");
	/* "+": stop at the command, whose own arguments may start with '-'. */
	while ((ch = getopt_long(argc, argv, "+c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c.config_path = optarg;
			c.config_given = 1;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'N':
			c.now_text = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (ctl_load_config(&c) != 0)
			return 1;
		rc = commands[i].fn(&c, argc, argv);
		config_free(c.cfg);
		return rc;
	}
	fprintf(stderr, "rapidreviewctl: unknown command '%s'\n", argv[0]);
	usage();
}
