/*
 * main.c - rapidreviewd: options, --check-config, then the loop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "date.h"
#include "log.h"
#include "loop.h"
#include "mailnames.h"
#include "pack.h"
#include "xmalloc.h"

#define CONFIG_DIR	RR_CONFIG_DIR
#define DEFAULT_CONFIG	CONFIG_DIR "/rapidreviewd.ini"
#define TEMPLATE_OVERRIDES	CONFIG_DIR "/templates"

static void
usage(void)
{
	fprintf(stderr, "usage: rapidreviewd [-fv] [-c file | -i name] "
	    "[--once] [--check-config]\n"
	    "                    [--now time] [--version]\n"
	    "       -i name reads " CONFIG_DIR "/name.ini "
	    "(name: a-z 0-9 _ -)\n");
	exit(2);
}

/*
 * -i NAME: one partnership of several on the host, as the template unit
 * rapidreviewd@NAME.service runs it. The name becomes part of a path, so
 * only [a-z0-9_-] is taken.
 */
static const char *
instance_config(const char *name)
{
	static char	path[sizeof RR_CONFIG_DIR + RR_INSTANCE_MAX + 8];

	if (config_instance_path(name, path, sizeof path) != 0) {
		fprintf(stderr, "rapidreviewd: -i: '%s' is not an instance name (1 to "
		    "%d of a-z, 0-9, '_' and '-')\n", name, RR_INSTANCE_MAX);
		exit(2);
	}
	return path;
}

/*
 * The checks beyond the INI itself: the holiday data must load and should
 * cover this year and next; the templates folder should be there.
 */
static void
check_beyond_ini(const struct config *cfg, struct config_diag *diag,
    long long now)
{
	struct calendar	*cal;
	struct rr_date	 today;
	char		*cause = NULL, **problems = NULL;
	size_t		 n = 0, i;
	int		 minutes, y;

	/* Every template must parse and use only the names its mail has. */
	mail_check_templates(cfg->templates.directory, TEMPLATE_OVERRIDES,
	    &problems, &n);
	for (i = 0; i < n; i++) {
		config_diag_add(diag, 0, cfg->path, 0, "templates: %s",
		    problems[i]);
		free(problems[i]);
	}
	free(problems);

	if ((cal = config_calendar(cfg, &cause)) == NULL) {
		config_diag_add(diag, 0, cfg->path, 0, "holidays: %s", cause);
		free(cause);
		return;
	}
	if (date_time_to_local(cfg->partnership.timezone, now, &today,
	    &minutes) == 0) {
		for (y = today.year; y <= today.year + 1; y++)
			if (!calendar_has_year(cal, y))
				config_diag_add(diag, 1, cfg->path, 0,
				    "holidays: %s has no %s holidays for %d; "
				    "working days that year count weekends "
				    "only", cfg->calendar.holidays_file,
				    cfg->calendar.division, y);
	}
	calendar_free(cal);
}

/* --now as local time in the partnership's zone (Europe/London). */
static long long
parse_now(const char *s, const char *zone)
{
	struct rr_date	d;
	long long	t;
	int		minutes, seconds;

	if (date_parse_local(s, &d, &minutes, &seconds) != 0 ||
	    date_local_to_time(zone, &d, minutes, seconds, &t) != 0) {
		fprintf(stderr, "rapidreviewd: --now: '%s' is not a date and "
		    "time (YYYY-MM-DD[THH:MM[:SS]])\n", s);
		exit(2);
	}
	return t;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check-config", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, 'o' },
		{ "now", required_argument, NULL, 'N' },
		{ "version", no_argument, NULL, 'V' },
		{ "config", required_argument, NULL, 'c' },
		{ "instance", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct loop_options	 lo;
	struct config_diag	 diag;
	struct config		*cfg;
	int			 rc;
	const char		*now_text = NULL, *config_file = NULL;
	const char		*instance = NULL;
	int			 ch, check = 0, verbose = 0;

	memset(&lo, 0, sizeof lo);
	while ((ch = getopt_long(argc, argv, "c:fi:v", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			config_file = optarg;
			break;
		case 'i':
			instance = optarg;
			break;
		case 'f':
			/* The daemon never forks; -f is accepted for habit. */
			break;
		case 'v':
			verbose = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'o':
			lo.once = 1;
			break;
		case 'N':
			now_text = optarg;
			break;
		case 'V':
			printf("rapidreviewd %s\n", RR_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc || (config_file != NULL && instance != NULL))
		usage();
	if (instance != NULL)
		lo.config_path = instance_config(instance);
	else
		lo.config_path = config_file != NULL ? config_file :
		    DEFAULT_CONFIG;
	log_init(verbose, "rapidreviewd");

	config_diag_init(&diag);
	cfg = config_load(lo.config_path, &diag);
	if (cfg != NULL) {
		lo.now = now_text != NULL ?
		    parse_now(now_text, cfg->partnership.timezone) : 0;
		check_beyond_ini(cfg, &diag, lo.now != 0 ? lo.now :
		    (long long)time(NULL));
	}
	if (check) {
		config_diag_print(&diag, stderr);
		if (cfg == NULL || diag.errors > 0) {
			fprintf(stderr, "%s: %zu error%s\n", lo.config_path,
			    diag.errors, diag.errors == 1 ? "" : "s");
			config_diag_free(&diag);
			config_free(cfg);
			return 1;
		}
		printf("%s: configuration OK\n", lo.config_path);
		config_diag_free(&diag);
		config_free(cfg);
		return 0;
	}
	if (cfg == NULL || diag.errors > 0) {
		/* Every problem, then one line saying why we stop. */
		config_diag_print(&diag, stderr);
		log_err("%s: configuration has errors; not starting",
		    lo.config_path);
		config_diag_free(&diag);
		config_free(cfg);
		return 1;
	}
	config_diag_print(&diag, stderr);
	config_diag_free(&diag);
	if (cfg->daemon.verbose)
		log_set_verbose(1);
	rc = loop_run(cfg, &lo);
	pack_shutdown();	/* the font caches a pack left, for leak checkers */
	return rc;
}
