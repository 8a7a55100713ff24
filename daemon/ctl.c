/*
 * ctl.c - rapidreviewctl: the second front door to the same core.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "calendar.h"
#include "cases.h"
#include "commands.h"
#include "config.h"
#include "engine.h"
#include "inspect.h"
#include "mime.h"
#include "oauth.h"
#include "oauthtest.h"
#include "pack.h"
#include "purge.h"
#include "report.h"
#include "smtp.h"
#include "store.h"
#include "token.h"
#include "date.h"
#include "log.h"
#include "xmalloc.h"

#define CONFIG_DIR	RR_CONFIG_DIR
#define DEFAULT_CONFIG	CONFIG_DIR "/rapidreviewd.ini"
#define DEFAULT_ZONE	"Europe/London"

struct ctl {
	const char	*config_path;
	int		 config_given;
	int		 json;
	const char	*now_text;
	struct config	*cfg;		/* NULL when running on defaults */
};

/* Exit status an MTA's pipe reads as "try again later" (sysexits.h). */
#define EX_TEMPFAIL	75

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


/* The engine over the configured store, for the commands that ingest. */
struct ctl_core {
	struct store	*store;
	struct calendar	*cal;
	struct engine	*engine;
	unsigned char	 key[TOKEN_KEY_LEN];
	char		*tmpdir;	/* inspect without a database */
};

static int
core_open(struct ctl *c, struct ctl_core *core, int scratch)
{
	const char	*division;
	char		*cause = NULL, *db;
	char		 tmpl[] = "/tmp/rapidreviewctl.XXXXXX";

	memset(core, 0, sizeof *core);
	if (c->cfg == NULL) {
		fprintf(stderr, "rapidreviewctl: no configuration: give -c "
		    "FILE\n");
		return -1;
	}
	if (scratch) {
		/* inspect stores nothing: a throw-away database. */
		if (mkdtemp(tmpl) == NULL) {
			fprintf(stderr, "rapidreviewctl: mkdtemp: %s\n",
			    strerror(errno));
			return -1;
		}
		core->tmpdir = xstrdup(tmpl);
		xasprintf(&db, "%s/scratch.db", core->tmpdir);
		core->store = store_open(db, &cause);
		free(db);
	} else
		core->store = store_open(c->cfg->storage.database, &cause);
	if (core->store == NULL) {
		fprintf(stderr, "rapidreviewctl: %s\n", cause);
		free(cause);
		return -1;
	}
	if ((core->cal = ctl_calendar(c, &division)) == NULL)
		return -1;
	if (scratch) {
		char	*kf;

		xasprintf(&kf, "%s/token.key", core->tmpdir);
		if (token_key_load(kf, core->key, &cause) != 0) {
			free(kf);
			fprintf(stderr, "rapidreviewctl: %s\n", cause);
			free(cause);
			return -1;
		}
		free(kf);
		/* Tokens are checked against the real key when readable. */
		if (access(c->cfg->storage.key_file, R_OK) == 0 &&
		    token_key_load(c->cfg->storage.key_file, core->key,
		    &cause) != 0) {
			fprintf(stderr, "rapidreviewctl: %s\n", cause);
			free(cause);
			return -1;
		}
	} else if (token_key_load(c->cfg->storage.key_file, core->key,
	    &cause) != 0) {
		fprintf(stderr, "rapidreviewctl: %s\n", cause);
		free(cause);
		return -1;
	}
	core->engine = engine_new(c->cfg, core->store, core->cal, core->key);
	return 0;
}

static void
core_close(struct ctl_core *core)
{
	char	*cmd;

	engine_free(core->engine);
	calendar_free(core->cal);
	store_close(core->store);
	explicit_bzero(core->key, sizeof core->key);
	if (core->tmpdir != NULL) {
		xasprintf(&cmd, "rm -rf '%s'", core->tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "rapidreviewctl: could not remove "
			    "%s\n", core->tmpdir);
		free(cmd);
		free(core->tmpdir);
	}
}

static long long
ctl_now(const struct ctl *c)
{
	struct rr_date	d;
	long long	t;
	int		minutes, seconds;

	if (c->now_text != NULL &&
	    date_parse_local(c->now_text, &d, &minutes, &seconds) == 0 &&
	    date_local_to_time(ctl_zone(c), &d, minutes, seconds, &t) == 0)
		return t;
	return (long long)time(NULL);
}

/* Read all of fd, up to max bytes; -1 when larger or on error. */
static int
read_all(int fd, size_t max, char **data, size_t *len)
{
	size_t	cap = 65536, got = 0;
	ssize_t	n;
	char	*buf = xmalloc(cap + 1);

	for (;;) {
		if (got == cap) {
			if (cap >= max) {
				free(buf);
				return -1;
			}
			cap = cap * 2 > max ? max : cap * 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		n = read(fd, buf + got, cap - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

static int
ingest_buffer(struct ctl *c, struct ctl_core *core, const char *mailbox,
    const char *data, size_t len, const char *label)
{
	struct ingest_outcome	 out;
	struct ingest_key	 k;
	char			*cause = NULL;

	memset(&k, 0, sizeof k);
	k.mailbox = mailbox;
	if (engine_ingest(core->engine, data, len, &k, ctl_now(c), &out,
	    &cause) != 0) {
		fprintf(stderr, "rapidreviewctl: %s: %s\n", label, cause);
		free(cause);
		return -1;
	}
	if (out.result == INGEST_DUPLICATE)
		printf("%s: already recorded\n", label);
	else
		printf("%s: %s%s\n", label, classify_kind_name(out.kind),
		    out.quarantined ? " (quarantined)" : "");
	return 0;
}

static int
cmd_deliver(struct ctl *c, int argc, char **argv)
{
	struct ctl_core	 core;
	char		*data;
	size_t		 len;
	int		 rc;

	if (argc != 1)
		usage();
	/* Anything short of "stored" asks the MTA to keep it and retry. */
	if (core_open(c, &core, 0) != 0) {
		core_close(&core);
		return EX_TEMPFAIL;
	}
	if (read_all(STDIN_FILENO, (size_t)c->cfg->limits.max_message_size +
	    65536, &data, &len) != 0) {
		/* Oversize on stdin: store the head of it as refused. */
		fprintf(stderr, "rapidreviewctl: deliver: message too large or "
		    "unreadable\n");
		core_close(&core);
		return 1;
	}
	rc = ingest_buffer(c, &core, "stdin", data, len, "stdin") == 0 ? 0 :
	    EX_TEMPFAIL;
	free(data);
	core_close(&core);
	return rc;
}

static int
cmd_ingest(struct ctl *c, int argc, char **argv)
{
	struct ctl_core	 core;
	char		*data;
	size_t		 len;
	int		 i, fd, rc = 0;

	if (argc < 2)
		usage();
	if (core_open(c, &core, 0) != 0) {
		core_close(&core);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) == -1) {
			fprintf(stderr, "rapidreviewctl: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
			continue;
		}
		if (read_all(fd, (size_t)c->cfg->limits.max_message_size,
		    &data, &len) != 0) {
			fprintf(stderr, "rapidreviewctl: %s: too large or "
			    "unreadable\n", argv[i]);
			close(fd);
			rc = 1;
			continue;
		}
		close(fd);
		if (ingest_buffer(c, &core, "ingest", data, len, argv[i]) != 0)
			rc = 1;
		free(data);
	}
	core_close(&core);
	return rc;
}

static int
cmd_inspect(struct ctl *c, int argc, char **argv)
{
	struct classification	 cls;
	struct mime_message	*msg = NULL;
	struct ctl_core		 core;
	char			*data, *cause = NULL;
	size_t			 len;
	int			 fd, rc = 1;

	if (argc != 2)
		usage();
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "rapidreviewctl: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	if (core_open(c, &core, 1) != 0) {
		close(fd);
		core_close(&core);
		return 1;
	}
	if (read_all(fd, (size_t)c->cfg->limits.max_message_size, &data,
	    &len) != 0) {
		fprintf(stderr, "rapidreviewctl: %s: over max_message_size or "
		    "unreadable\n", argv[1]);
		goto out;
	}
	if (engine_inspect(core.engine, data, len, &msg, &cls, &cause) != 0) {
		printf(c->json ? "{ \"kind\": \"refused\", \"reason\": "
		    "\"%s\" }\n" : "kind:        refused\nreason:      %s\n",
		    cause);
		free(cause);
		rc = 0;
	} else {
		inspect_print(stdout, msg, &cls, c->json);
		classification_clear(&cls);
		mime_message_free(msg);
		rc = 0;
	}
	free(data);
out:
	close(fd);
	core_close(&core);
	return rc;
}

/* The store and calendar for the read commands; today in local time. */
static int
read_open(struct ctl *c, struct store **st, struct calendar **cal,
    long *today)
{
	struct rr_date	 d;
	const char	*division;
	char		*cause = NULL;

	*st = NULL;
	*cal = NULL;
	if (c->cfg == NULL) {
		fprintf(stderr, "rapidreviewctl: no configuration: give -c "
		    "FILE\n");
		return -1;
	}
	if ((*st = store_open(c->cfg->storage.database, &cause)) == NULL) {
		fprintf(stderr, "rapidreviewctl: %s\n", cause);
		free(cause);
		return -1;
	}
	if ((*cal = ctl_calendar(c, &division)) == NULL ||
	    ctl_today(c, &d) != 0) {
		store_close(*st);
		calendar_free(*cal);
		return -1;
	}
	*today = date_to_days(&d);
	return 0;
}

/* One read command: open, report, close; the exit status. */
static int
read_report(struct ctl *c, const char *what, const char *ref, int flag)
{
	struct calendar	*cal;
	struct store	*st;
	long		 today;
	char		*cause = NULL;
	int		 r;

	if (read_open(c, &st, &cal, &today) != 0)
		return 1;
	if (strcmp(what, "cases") == 0)
		r = report_cases(stdout, st, cal, today, flag, c->json, &cause);
	else if (strcmp(what, "show") == 0)
		r = report_show(stdout, st, cal, ref, today, c->json, &cause);
	else if (strcmp(what, "outbox") == 0)
		r = report_outbox(stdout, st, flag, c->json, &cause);
	else if (strcmp(what, "audit") == 0)
		r = report_audit(stdout, st, ref, c->json, &cause);
	else
		r = report_quarantine(stdout, st, c->json, &cause);
	if (r < 0) {
		fprintf(stderr, "rapidreviewctl: %s: %s\n", what, cause);
		free(cause);
	} else if (r == 1)
		fprintf(stderr, "rapidreviewctl: no case %s\n", ref);
	calendar_free(cal);
	store_close(st);
	return r == 0 ? 0 : 1;
}

static int
cmd_cases(struct ctl *c, int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--all") != 0))
		usage();
	return read_report(c, "cases", NULL, argc == 2);
}

static int
cmd_show(struct ctl *c, int argc, char **argv)
{
	if (argc != 2)
		usage();
	return read_report(c, "show", argv[1], 0);
}

static int
cmd_outbox(struct ctl *c, int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--pending") != 0))
		usage();
	return read_report(c, "outbox", NULL, argc == 2);
}

static int
cmd_audit(struct ctl *c, int argc, char **argv)
{
	if (argc != 2)
		usage();
	return read_report(c, "audit", argv[1], 0);
}

static int
cmd_return(struct ctl *c, int argc, char **argv)
{
	struct calendar	*cal;
	struct store	*st;
	long		 today;
	char		*cause = NULL;
	int		 r;

	if (argc != 3)
		usage();
	if (read_open(c, &st, &cal, &today) != 0)
		return 1;
	r = report_return(stdout, st, argv[1], argv[2], c->json, &cause);
	if (r < 0) {
		fprintf(stderr, "rapidreviewctl: return: %s\n", cause);
		free(cause);
	} else if (r == 1)
		fprintf(stderr, "rapidreviewctl: no return from %s in %s\n",
		    argv[2], argv[1]);
	calendar_free(cal);
	store_close(st);
	return r == 0 ? 0 : 1;
}

static int
cmd_chronology(struct ctl *c, int argc, char **argv)
{
	struct calendar	*cal;
	struct store	*st;
	long		 today;
	char		*cause = NULL;
	int		 format = c->json ? REPORT_JSON : REPORT_TABLE, r;

	if (argc == 3 && strcmp(argv[2], "--csv") == 0)
		format = REPORT_CSV;
	else if (argc == 3 && strcmp(argv[2], "--json") == 0)
		format = REPORT_JSON;
	else if (argc != 2)
		usage();
	if (read_open(c, &st, &cal, &today) != 0)
		return 1;
	r = report_chronology(stdout, st, c->cfg, argv[1], format, &cause);
	if (r != 0) {
		fprintf(stderr, "rapidreviewctl: chronology: %s\n", cause);
		free(cause);
	}
	calendar_free(cal);
	store_close(st);
	return r == 0 ? 0 : 1;
}

static int
cmd_quarantine(struct ctl *c, int argc, char **argv)
{
	if (argc != 1)
		usage();
	return read_report(c, "quarantine", NULL, 0);
}

static int
cmd_purge(struct ctl *c, int argc, char **argv)
{
	struct purge_report	 rep;
	struct calendar		*cal;
	struct store		*st;
	size_t			 i;
	long			 today;
	char			*cause = NULL;
	int			 dry, rc;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--dry-run") != 0))
		usage();
	dry = argc == 2;
	if (read_open(c, &st, &cal, &today) != 0)
		return 1;
	memset(&rep, 0, sizeof rep);
	rc = purge_run(st, c->cfg, ctl_now(c), dry, &rep, &cause);
	for (i = 0; i < rep.nrefs; i++)
		printf("%s %s\n", dry ? "would purge" : "purged", rep.refs[i]);
	printf("%zu case%s, %zu message%s, %zu attachment%s%s\n", rep.cases,
	    rep.cases == 1 ? "" : "s", rep.messages,
	    rep.messages == 1 ? "" : "s", rep.attachments,
	    rep.attachments == 1 ? "" : "s", dry ? " (dry run)" : "");
	if (rc != 0) {
		fprintf(stderr, "rapidreviewctl: purge: %s\n", cause);
		free(cause);
	}
	purge_report_free(&rep);
	calendar_free(cal);
	store_close(st);
	return rc == 0 ? 0 : 1;
}

static int
cmd_hold(struct ctl *c, int argc, char **argv)
{
	struct calendar	*cal;
	struct store	*st;
	long		 today;
	char		*cause = NULL;
	int		 on, r;

	if (argc != 3 || (strcmp(argv[2], "on") != 0 &&
	    strcmp(argv[2], "off") != 0))
		usage();
	on = strcmp(argv[2], "on") == 0;
	if (read_open(c, &st, &cal, &today) != 0)
		return 1;
	r = purge_hold(st, argv[1], on, ctl_now(c), "ctl", &cause);
	if (r < 0) {
		fprintf(stderr, "rapidreviewctl: hold: %s\n", cause);
		free(cause);
	} else if (r == 1)
		fprintf(stderr, "rapidreviewctl: no case %s\n", argv[1]);
	else
		printf("%s: legal hold %s\n", argv[1], on ? "on" : "off");
	calendar_free(cal);
	store_close(st);
	return r == 0 ? 0 : 1;
}

static int
cmd_backup(struct ctl *c, int argc, char **argv)
{
	struct calendar	*cal;
	struct store	*st;
	long		 today;
	char		*cause = NULL;
	int		 r;

	if (argc != 2)
		usage();
	if (read_open(c, &st, &cal, &today) != 0)
		return 1;
	if ((r = backup_run(st, argv[1], &cause)) != 0) {
		fprintf(stderr, "rapidreviewctl: backup: %s\n", cause);
		free(cause);
	} else
		printf("%s: backup written and checked\n", argv[1]);
	calendar_free(cal);
	store_close(st);
	return r == 0 ? 0 : 1;
}

/* Run email commands locally, as an administrator (SPEC §5, §6). */
static int
cmd_command(struct ctl *c, int argc, char **argv)
{
	struct command_transcript	 t;
	struct ctl_core			 core;
	struct case_env			 env;
	char				*cause = NULL;
	size_t				 i;
	int				 rc = 1;

	if (argc != 2)
		usage();
	if (core_open(c, &core, 0) != 0)
		return 1;
	env.store = core.store;
	env.cfg = c->cfg;
	env.cal = core.cal;
	env.key = core.key;
	if (store_begin(core.store, &cause) != 0)
		goto out;
	if (commands_run(&env, "rapidreviewctl", argv[1], ctl_now(c), &t,
	    &cause) != 0) {
		store_rollback(core.store);
		goto out;
	}
	if (store_commit(core.store, &cause) != 0) {
		command_transcript_clear(&t);
		goto out;
	}
	for (i = 0; i < t.n; i++)
		printf("> %s\n%s\n\n", t.lines[i].line, t.lines[i].result);
	if (t.n == 0)
		printf("No commands were found.\n");
	rc = t.errors || t.n == 0 ? 1 : 0;
	command_transcript_clear(&t);
out:
	if (cause != NULL) {
		fprintf(stderr, "rapidreviewctl: command: %s\n", cause);
		free(cause);
	}
	core_close(&core);
	return rc;
}

/* pack REF -o FILE writes the PDF (and FILE.csv); without -o it is sent. */
static int
cmd_pack(struct ctl *c, int argc, char **argv)
{
	struct pack_output	 po;
	struct ctl_core		 core;
	char			*cause = NULL, *text, *csvpath = NULL;
	int			 rc = 1, fd;

	if (argc == 2) {
		xasprintf(&text, "pack %s", argv[1]);
		argv[1] = text;
		rc = cmd_command(c, 2, argv);
		free(text);
		return rc;
	}
	if (argc != 4 || strcmp(argv[2], "-o") != 0)
		usage();
	if (core_open(c, &core, 0) != 0)
		return 1;
	memset(&po, 0, sizeof po);
	if (pack_build(core.store, c->cfg, core.cal, argv[1], ctl_now(c), 1,
	    &po, &cause) != 0) {
		fprintf(stderr, "rapidreviewctl: pack: %s\n", cause);
		free(cause);
		goto out;
	}
	xasprintf(&csvpath, "%s.csv", argv[3]);
	/* The pack holds a child's data: readable by its owner alone. */
	if ((fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, po.pdf, po.pdf_len) != (ssize_t)po.pdf_len ||
	    close(fd) != 0) {
		fprintf(stderr, "rapidreviewctl: %s: %s\n", argv[3],
		    strerror(errno));
		goto out;
	}
	if ((fd = open(csvpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, po.csv, po.csv_len) != (ssize_t)po.csv_len ||
	    close(fd) != 0) {
		fprintf(stderr, "rapidreviewctl: %s: %s\n", csvpath,
		    strerror(errno));
		goto out;
	}
	printf("%s: meeting pack written (%zu bytes); chronology in %s\n",
	    argv[3], po.pdf_len, csvpath);
	rc = 0;
out:
	free(csvpath);
	pack_output_clear(&po);
	core_close(&core);
	return rc;
}

/*
 * oauth login: the device-authorization grant (SPEC §7.1) for flow
 * refresh_token; the refresh token goes to refresh_token_file, 0600.
 */
static void	refresh_token_chown(const struct config *);

static int
cmd_oauth_login(struct ctl *c)
{
	struct oauth	*o;
	char		*cause = NULL;

	if (c->cfg == NULL || !c->cfg->oauth.configured) {
		fprintf(stderr, "rapidreviewctl: oauth login: no [oauth] "
		    "section in %s\n", c->config_path);
		return 1;
	}
	if (c->cfg->oauth.flow != OAUTH_REFRESH_TOKEN) {
		fprintf(stderr, "rapidreviewctl: oauth login: needs flow = "
		    "refresh_token in [oauth] (the other flows need no "
		    "sign-in)\n");
		return 1;
	}
	if (smtp_global_init(&cause) != 0 ||
	    (o = oauth_new(c->cfg, &cause)) == NULL) {
		fprintf(stderr, "rapidreviewctl: oauth login: %s\n", cause);
		free(cause);
		return 1;
	}
	if (oauth_device_login(o, stdout, &cause) != 0) {
		fprintf(stderr, "rapidreviewctl: oauth login: %s\n", cause);
		free(cause);
		oauth_free(o);
		return 1;
	}
	oauth_free(o);
	refresh_token_chown(c->cfg);
	printf("Signed in; the refresh token is stored in %s (0600)\n",
	    c->cfg->oauth.refresh_token_file);
	return 0;
}

/*
 * oauth login runs as root, but the daemon (DynamicUser) must read and
 * rewrite the refresh token: give it to the state folder's owner.
 */
static void
refresh_token_chown(const struct config *cfg)
{
	struct stat	 st;
	char		*dir;

	dir = config_path_dir(cfg->oauth.refresh_token_file);
	if (stat(dir, &st) == 0 && geteuid() == 0 &&
	    chown(cfg->oauth.refresh_token_file, st.st_uid, st.st_gid) != 0)
		fprintf(stderr, "rapidreviewctl: oauth login: chown %s: %s\n",
		    cfg->oauth.refresh_token_file, strerror(errno));
	free(dir);
}

/* oauth test: what works, in words (oauthtest.h). */
static int
cmd_oauth_test(struct ctl *c)
{
	char	*cause = NULL;

	if (c->cfg == NULL) {
		fprintf(stderr, "rapidreviewctl: oauth test: no "
		    "configuration\n");
		return 1;
	}
	if (smtp_global_init(&cause) != 0) {
		fprintf(stderr, "rapidreviewctl: oauth test: %s\n", cause);
		free(cause);
		return 1;
	}
	return oauth_test_run(c->cfg, stdout) == 0 ? 0 : 1;
}

static int
cmd_oauth(struct ctl *c, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "login") == 0)
		return cmd_oauth_login(c);
	if (argc == 2 && strcmp(argv[1], "test") == 0)
		return cmd_oauth_test(c);
	usage();
}

static const struct ctl_command commands[] = {
	{ "command", "'TEXT'", cmd_command },
	{ "pack", "REF [-o FILE.pdf]", cmd_pack },
	{ "purge", "[--dry-run]", cmd_purge },
	{ "hold", "REF on|off", cmd_hold },
	{ "backup", "FILE", cmd_backup },
	{ "cases", "[--all]", cmd_cases },
	{ "show", "REF", cmd_show },
	{ "outbox", "[--pending]", cmd_outbox },
	{ "audit", "REF", cmd_audit },
	{ "return", "REF AGENCY", cmd_return },
	{ "chronology", "REF [--csv|--json]", cmd_chronology },
	{ "quarantine", "", cmd_quarantine },
	{ "calendar", "[YEAR]", cmd_calendar },
	{ "workday", "DATE N", cmd_workday },
	{ "deliver", "< MESSAGE", cmd_deliver },
	{ "ingest", "FILE...", cmd_ingest },
	{ "inspect", "FILE.eml", cmd_inspect },
	{ "oauth", "login|test", cmd_oauth },
};

static void
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: rapidreviewctl [-c file | -i name] [--json] "
	    "[--now time] command [args]\n"
	    "       -i name reads " CONFIG_DIR "/name.ini "
	    "(name: a-z 0-9 _ -)\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(stderr, "  %s %s\n", commands[i].name,
		    commands[i].args);
	exit(2);
}

/*
 * -i NAME: the partnership that rapidreviewd@NAME.service runs. The name
 * becomes part of a path, so only [a-z0-9_-] is taken.
 */
static const char *
instance_config(const char *name)
{
	static char	path[sizeof RR_CONFIG_DIR + RR_INSTANCE_MAX + 8];

	if (config_instance_path(name, path, sizeof path) != 0) {
		fprintf(stderr, "rapidreviewctl: -i: '%s' is not an instance name (1 to "
		    "%d of a-z, 0-9, '_' and '-')\n", name, RR_INSTANCE_MAX);
		exit(2);
	}
	return path;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'N' },
		{ "config", required_argument, NULL, 'c' },
		{ "instance", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct rr_date	today;
	struct ctl	c;
	const char	*instance = NULL;
	size_t		i;
	int		ch, rc;

	memset(&c, 0, sizeof c);
	c.config_path = DEFAULT_CONFIG;
	log_init(0, "rapidreviewctl");
	/* "+": stop at the command, whose own arguments may start with '-'. */
	while ((ch = getopt_long(argc, argv, "+c:i:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			c.config_path = optarg;
			c.config_given = 1;
			break;
		case 'i':
			instance = optarg;
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
	if (argc < 1 || (c.config_given && instance != NULL))
		usage();
	if (instance != NULL) {
		/* Named, so it must be there: no running on defaults. */
		c.config_path = instance_config(instance);
		c.config_given = 1;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (ctl_load_config(&c) != 0)
			/* An MTA's pipe must keep the mail and try again. */
			return commands[i].fn == cmd_deliver ? EX_TEMPFAIL : 1;
		if (c.now_text != NULL && ctl_today(&c, &today) != 0) {
			config_free(c.cfg);
			return 2;
		}
		rc = commands[i].fn(&c, argc, argv);
		config_free(c.cfg);
		pack_shutdown();
		return rc;
	}
	fprintf(stderr, "rapidreviewctl: unknown command '%s'\n", argv[0]);
	usage();
}
