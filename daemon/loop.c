/*
 * loop.c - one process, one thread, one poll() loop (isync's util.c):
 * file descriptors plus timers; EINTR is only a wake-up.
 *
 * The systemd watchdog is pinged from this thread only, so that a call that
 * hangs stops the pings and becomes a restart. Every network call is
 * bounded by its timeout ([mailbox] and [smtp] timeout); between calls
 * that make progress (a message handled, a mail sent, a step of run_due)
 * the loop pings at most once a second, so that a long backlog is not
 * taken for a hang. The longest gap between pings is thus half the
 * watchdog interval, or one blocking step plus a second: WatchdogSec must
 * be longer than the [mailbox] and [smtp] timeouts, with room to spare.
 */
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "calendar.h"
#include "cases.h"
#include "config.h"
#include "date.h"
#include "db.h"
#include "engine.h"
#include "graph.h"
#include "imap.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "mailnames.h"
#include "oauth.h"
#include "outbox.h"
#include "purge.h"
#include "secret.h"
#include "sendmail.h"
#include "smtp.h"
#include "source.h"
#include "store.h"
#include "token.h"
#include "xmalloc.h"

#define BACKOFF_MIN	1		/* seconds */
#define BACKOFF_MAX	300		/* SPEC: capped at 5 minutes */
#define IDLE_REARM	(20 * 60)	/* under RFC 2177's 29 and NATs' 25 */
#define PROGRESS_MS	1000		/* progress pings: at most 1/s */
#define REASON_MAX	200		/* of a failure, in STATUS= */

struct daemon;
static void	sink_close(struct daemon *);
static int	mailbox_up(const struct daemon *);
static void	oauth_trouble(struct daemon *, enum oauth_error, const char *);

struct daemon {
	struct config		*cfg;
	struct loop_options	 opt;
	struct store		*store;
	struct calendar		*cal;
	struct imap		*imap;
	struct graph		*graph;		/* graph:// instead of imap */
	struct oauth		*oauth;		/* [oauth], or NULL */
	int			 oauth_alerted;	/* once per outage */
	struct engine		*engine;
	unsigned char		 key[TOKEN_KEY_LEN];
	int			 sigfd;
	int			 inotify_fd;	/* Maildir new/, or -1 */
	uint64_t		 next_maildir;	/* Maildir polling fallback */
	int			 quit;
	int			 ready;
	int			 idling;
	int			 waiting;	/* logged since connecting */
	unsigned		 backoff;	/* seconds before the next try */
	uint64_t		 watchdog_ms;	/* ping interval; 0: none */
	uint64_t		 next_watchdog;
	uint64_t		 last_watchdog;
	uint64_t		 last_progress;	/* STATUS= during a scan */
	char			*down_reason;	/* why the mailbox is down */
	uint64_t		 next_connect;
	uint64_t		 next_rearm;	/* IDLE re-arm or next poll */
	struct mail_sink	*sink;		/* SMTP, Graph or sendmail */
	enum smtp_kind		 sink_kind;	/* which, for freeing */
	long long		 last_purge;	/* wall clock of the last purge */
	uint64_t		 next_due;	/* tick and outbox */
};

#define DUE_INTERVAL	60	/* seconds between ticks at the most */

static uint64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static long long
wall_now(const struct daemon *d)
{
	return d->opt.now != 0 ? d->opt.now : (long long)time(NULL);
}

/* A session to the mailbox is open: IMAP, or a Graph client. */
static int
mailbox_up(const struct daemon *d)
{
	return d->imap != NULL || d->graph != NULL;
}

static void
audit(struct daemon *d, const char *action, const char *detail)
{
	char	*cause = NULL;

	if (store_audit(d->store, (time_t)wall_now(d), "daemon", action, NULL,
	    detail, &cause) != 0) {
		log_warnx("audit: %s", cause);
		free(cause);
	}
}

/* Ping now. From this thread only: never from a timer or another thread. */
static void
watchdog_ping(struct daemon *d)
{
	if (d->watchdog_ms == 0)
		return;
	notify_send("WATCHDOG=1");
	d->last_watchdog = mono_ms();
	d->next_watchdog = d->last_watchdog + d->watchdog_ms;
}

/* The loop's regular ping, at half the interval systemd asked for. */
static void
watchdog_due(struct daemon *d)
{
	if (d->watchdog_ms != 0 && mono_ms() >= d->next_watchdog)
		watchdog_ping(d);
}

/*
 * Work moved on: a message was handled, a mail sent, a step done. Ping,
 * at most once a second, so that a backlog longer than the watchdog
 * interval is not mistaken for a hang; a call that hangs still stops it.
 */
static void
watchdog_progress(struct daemon *d)
{
	if (d->watchdog_ms != 0 && mono_ms() - d->last_watchdog >= PROGRESS_MS)
		watchdog_ping(d);
}

static const char *
milestone_label(const char *kind)
{
	static const struct {
		const char	*kind;
		const char	*label;
	} labels[] = {
		{ "returns_due", "returns due" },
		{ "escalation", "escalation" },
		{ "meeting_default", "meeting (default day)" },
		{ "meeting_by", "meeting due by" },
		{ "panel_reminder", "panel reminder" },
		{ "panel_submission", "panel submission" },
		{ "sin_due", "SIN due" },
	};
	size_t	i;

	for (i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(kind, labels[i].kind) == 0)
			return labels[i].label;
	return kind;
}

/*
 * What a person wants from "systemctl status": the open cases, the next
 * milestone, mail waiting to go. Three indexed or small queries; a store
 * error only shortens the line.
 */
static char *
status_cases(struct daemon *d)
{
	static const char	*wday[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
	    "Sat", "Sun" };
	struct rr_date		 date;
	sqlite3_stmt		*q;
	long long		 open = -1, queued = 0;
	long			 today, due;
	char			*text, *next = NULL, *cause = NULL, iso[16];
	int			 minutes;

	if (db_get_int64(d->store, &open, &cause, "SELECT count(*) FROM "
	    "cases WHERE state NOT IN ('submitted', 'closed', 'withdrawn')",
	    "") < 0 || db_get_int64(d->store, &queued, &cause, "SELECT "
	    "count(*) FROM outbox WHERE state IN ('queued', 'sending')",
	    "") < 0) {
		log_debug("status: %s", cause);
		free(cause);
		return xstrdup("case count unavailable");
	}
	if (open > 0 && date_time_to_local(d->cfg->partnership.timezone,
	    wall_now(d), &date, &minutes) == 0) {
		today = date_to_days(&date);
		q = db_query(d->store, &cause, "SELECT m.kind, c.ref, "
		    "coalesce(m.extended_due, m.due_date) AS due FROM "
		    "milestones m JOIN cases c ON c.id = m.case_id WHERE "
		    "m.done_at IS NULL AND c.state NOT IN ('submitted', "
		    "'closed', 'withdrawn') AND coalesce(m.extended_due, "
		    "m.due_date) >= ? ORDER BY due, c.year, c.seq LIMIT 1", "d",
		    today);
		if (q == NULL) {
			log_debug("status: %s", cause);
			free(cause);
		} else {
			if (sqlite3_step(q) == SQLITE_ROW &&
			    (due = db_column_day(q, 2)) != DB_NO_DAY) {
				date_from_days(due, &date);
				date_format_iso(&date, iso, sizeof iso);
				xasprintf(&next, "; next: %s %s %s%s%s",
				    milestone_label((const char *)
				    sqlite3_column_text(q, 0)),
				    (const char *)sqlite3_column_text(q, 1),
				    due == today ? "today" : due == today + 1 ?
				    "tomorrow" : wday[date_weekday(due)],
				    due <= today + 1 ? "" : " ",
				    due <= today + 1 ? "" : iso);
			}
			sqlite3_finalize(q);
		}
	}
	if (open == 0)
		xasprintf(&text, "no open cases");
	else
		xasprintf(&text, "%lld open case%s%s", open, open == 1 ? "" :
		    "s", next != NULL ? next : "");
	free(next);
	if (queued > 0) {
		next = text;
		xasprintf(&text, "%s; %lld mail%s waiting to be sent", next,
		    queued, queued == 1 ? "" : "s");
		free(next);
	}
	return text;
}

/*
 * STATUS= after each scan and run_due, and when the mailbox goes down:
 * "idle; 2 open cases; next: returns due RR-2024-001 Mon 2024-07-15",
 * "reconnecting in 30s: <why>; ...".
 */
static void
status_update(struct daemon *d)
{
	uint64_t	 now;
	char		*cases;
	unsigned	 secs;

	if (!notify_enabled())
		return;
	cases = status_cases(d);
	if (d->cfg->mailbox.kind != MAILBOX_MAILDIR && !mailbox_up(d)) {
		now = mono_ms();
		secs = d->next_connect > now ?
		    (unsigned)((d->next_connect - now + 999) / 1000) : 0;
		if (d->down_reason == NULL)
			notify_status("connecting to %s; %s",
			    d->cfg->mailbox.kind == MAILBOX_GRAPH ?
			    "Microsoft Graph" : d->cfg->mailbox.host, cases);
		else if (secs == 0)
			notify_status("reconnecting now: %.*s; %s",
			    REASON_MAX, d->down_reason, cases);
		else
			notify_status("reconnecting in %us: %.*s; %s", secs,
			    REASON_MAX, d->down_reason, cases);
	} else
		notify_status("idle; %s", cases);
	free(cases);
}

static int
signals_setup(void)
{
	sigset_t	set;
	int		fd;

	/* Writes to a closed socket must be errors, not deaths (P7). */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		fatal("sigprocmask");
	if ((fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		fatal("signalfd");
	return fd;
}

static void
mailbox_disconnect(struct daemon *d)
{
	imap_close(d->imap);
	d->imap = NULL;
	graph_free(d->graph);
	d->graph = NULL;
	d->idling = 0;
	d->waiting = 0;
}

static void
schedule_reconnect(struct daemon *d, const char *why)
{
	if (d->opt.once) {
		log_warnx("mailbox: %s", why);
		return;
	}
	log_warnx("mailbox: %s; reconnecting in %us", why, d->backoff);
	free(d->down_reason);
	d->down_reason = xstrdup(why);
	d->next_connect = mono_ms() + (uint64_t)d->backoff * 1000;
	d->backoff = d->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX :
	    d->backoff * 2;
	status_update(d);
}

/* Between messages of a scan: show the backlog moving, and ping. */
static void
scan_progress(void *arg, size_t done, size_t total)
{
	struct daemon	*d = arg;
	uint64_t	 now = mono_ms();

	if (total > 1 && done < total && now - d->last_progress >=
	    PROGRESS_MS) {
		notify_status("reading the mailbox: %zu of %zu messages done",
		    done, total);
		d->last_progress = now;
	}
	watchdog_progress(d);
}

/*
 * Handle everything waiting in the folder. Returns 0, or -1 when the
 * session died (a reconnect is scheduled).
 */
static int
mailbox_scan(struct daemon *d)
{
	enum imap_error	 e;
	size_t		 handled;
	char		*cause = NULL;

	if (d->graph != NULL) {
		switch (graphsrc_scan(d->graph, d->engine, d->cfg,
		    wall_now(d), scan_progress, d, &handled, &cause)) {
		case GRAPH_OK:
			e = IMAP_OK;
			break;
		case GRAPH_ENO:
			e = IMAP_ENO;
			break;
		case GRAPH_EAUTH:
			oauth_trouble(d, OAUTH_EREFUSED, cause);
			e = IMAP_EAUTH;
			break;
		default:
			e = IMAP_ENET;
			break;
		}
	} else
		e = imapsrc_scan(d->imap, d->engine, d->cfg, wall_now(d),
		    scan_progress, d, &handled, &cause);
	if (handled > 0) {
		log_info("mailbox: %zu new message%s handled", handled,
		    handled == 1 ? "" : "s");
		d->next_due = 0;	/* acknowledgements go out now */
	}
	if (e == IMAP_OK) {
		status_update(d);
		return 0;
	}
	if (e == IMAP_ENO) {
		/* The session lives; what failed is tried at the next scan. */
		log_warnx("mailbox: %s", cause);
		free(cause);
		status_update(d);
		return 0;
	}
	mailbox_disconnect(d);
	schedule_reconnect(d, cause);
	free(cause);
	return -1;
}

/* Start IDLE when the server has it and we want it; else poll. */
static void
mailbox_wait(struct daemon *d)
{
	char	*cause = NULL;

	watchdog_progress(d);
	if (d->graph != NULL) {
		/* Graph has no IDLE here: a delta query per poll_seconds. */
		d->next_rearm = mono_ms() + d->cfg->mailbox.poll_seconds *
		    1000ULL;
		if (!d->waiting)
			log_info("mailbox: waiting for new mail (Graph delta "
			    "query every %us)", d->cfg->mailbox.poll_seconds);
		d->waiting = 1;
		return;
	}
	if (d->cfg->mailbox.idle && imap_has_idle(d->imap)) {
		if (imap_idle_start(d->imap, &cause) != IMAP_OK) {
			mailbox_disconnect(d);
			schedule_reconnect(d, cause);
			free(cause);
			return;
		}
		d->idling = 1;
		/*
		 * Re-arm at the polling interval too: a notification that
		 * GnuTLS decrypted along with "+ idling" sits in its buffer,
		 * where poll() cannot see it (notes P3). The rescan bounds
		 * that delay; IDLE still brings ordinary mail at once.
		 */
		d->next_rearm = mono_ms() + 1000ULL *
		    (d->cfg->mailbox.poll_seconds < IDLE_REARM ?
		    d->cfg->mailbox.poll_seconds : IDLE_REARM);
		if (!d->waiting)
			log_info("mailbox: waiting for new mail (IDLE)");
		d->waiting = 1;
		return;
	}
	d->next_rearm = mono_ms() + d->cfg->mailbox.poll_seconds * 1000ULL;
	if (!d->waiting)
		log_info("mailbox: waiting for new mail (polling every %us)",
		    d->cfg->mailbox.poll_seconds);
	d->waiting = 1;
}

/*
 * The identity provider refused the daemon, or a login refused a fresh
 * token: one alert to the business manager per outage (SPEC §7.1), with
 * the provider's words, which never hold the token or the secret.
 * Network trouble is only logged: it passes by itself.
 */
static void
oauth_trouble(struct daemon *d, enum oauth_error err, const char *why)
{
	char	*cause = NULL;

	if (err != OAUTH_EREFUSED && err != OAUTH_ECONFIG)
		return;
	if (d->oauth_alerted)
		return;
	d->oauth_alerted = 1;
	if (db_exec(d->store, &cause, "INSERT INTO alerts (kind, detail, "
	    "created_at) VALUES ('oauth', ?, ?)", "tl", why,
	    wall_now(d)) != 0) {
		log_warnx("alerts: %s", cause);
		free(cause);
	}
	audit(d, "oauth.refused", why);
}

/* A login worked: the next refusal is a new outage, worth an alert. */
static void
oauth_recovered(struct daemon *d)
{
	if (d->oauth_alerted)
		log_info("oauth: logins work again");
	d->oauth_alerted = 0;
}

/*
 * The access token for a login, or NULL with the reconnect scheduled and,
 * when the provider refused, the alert raised.
 */
static const char *
oauth_for_login(struct daemon *d)
{
	enum oauth_error	 err;
	const char		*token;
	char			*cause = NULL, *why;

	if (d->oauth == NULL) {
		schedule_reconnect(d, "oauth: no [oauth] section");
		return NULL;
	}
	if ((token = oauth_token(d->oauth, (long long)time(NULL), &err,
	    &cause)) != NULL)
		return token;
	xasprintf(&why, "oauth: %s", cause);
	free(cause);
	oauth_trouble(d, err, why);
	schedule_reconnect(d, why);
	free(why);
	return NULL;
}

/* graph://: a client, the folders made, then the first delta pass. */
static int
graph_connect(struct daemon *d)
{
	const struct config	*c = d->cfg;
	char			*cause = NULL;
	enum graph_error	 e;

	if (d->oauth == NULL) {
		schedule_reconnect(d, "graph: no [oauth] section");
		return -1;
	}
	if (!d->opt.once) {
		watchdog_ping(d);
		if (d->down_reason == NULL)
			status_update(d);
	}
	if ((d->graph = graph_new(c, c->mailbox.graph_mailbox, d->oauth,
	    &cause)) == NULL) {
		schedule_reconnect(d, cause);
		free(cause);
		return -1;
	}
	if ((e = graphsrc_prepare(d->graph, c, &cause)) != GRAPH_OK) {
		if (e == GRAPH_EAUTH)
			oauth_trouble(d, OAUTH_EREFUSED, cause);
		mailbox_disconnect(d);
		schedule_reconnect(d, cause);
		free(cause);
		return -1;
	}
	oauth_recovered(d);
	d->backoff = BACKOFF_MIN;
	free(d->down_reason);
	d->down_reason = NULL;
	log_info("mailbox: Microsoft Graph ready, folder %s", c->mailbox.folder);
	watchdog_progress(d);
	return mailbox_scan(d);
}

static int
mailbox_connect(struct daemon *d)
{
	const struct config	*c = d->cfg;
	struct imap_params	 p;
	enum imap_error		 err;
	char			*secret = NULL, *cause = NULL;
	int			 oauth, renewed = 0;

	if (c->mailbox.kind == MAILBOX_GRAPH)
		return graph_connect(d);
	oauth = c->mailbox.auth == AUTH_XOAUTH2 ||
	    c->mailbox.auth == AUTH_OAUTHBEARER;
	if (!oauth && secret_read(c->mailbox.password_file,
	    c->mailbox.password_credential, &secret, &cause) != 0) {
		schedule_reconnect(d, cause);
		free(cause);
		return -1;
	}
	imapsrc_params(c, &p);
	p.secret = secret;

	/*
	 * Each step of the connection (TCP, greeting, TLS, LOGIN, SELECT)
	 * waits at most the timeout: a server that accepts and never
	 * answers costs one timeout, then a reconnect with backoff.
	 */
	if (!d->opt.once) {
		watchdog_ping(d);
		if (d->down_reason == NULL)
			status_update(d);	/* "connecting to ..." */
	}
again:
	if (oauth && (p.secret = oauth_for_login(d)) == NULL)
		return -1;
	d->imap = imap_open(&p, &err, &cause);
	if (d->imap == NULL && oauth && err == IMAP_EAUTH && !renewed) {
		/* Revoked before its time, perhaps: once with a new one. */
		log_info("mailbox: the server refused the OAuth token; "
		    "getting a new one");
		free(cause);
		cause = NULL;
		oauth_invalidate(d->oauth);
		renewed = 1;
		goto again;
	}
	secret_free(secret);
	if (d->imap == NULL) {
		if (oauth && err == IMAP_EAUTH)
			oauth_trouble(d, OAUTH_EREFUSED, cause);
		schedule_reconnect(d, cause);
		free(cause);
		return -1;
	}
	if (oauth)
		oauth_recovered(d);
	watchdog_progress(d);
	if (imapsrc_prepare(d->imap, c, &cause) != IMAP_OK) {
		mailbox_disconnect(d);
		schedule_reconnect(d, cause);
		free(cause);
		return -1;
	}
	d->backoff = BACKOFF_MIN;
	free(d->down_reason);
	d->down_reason = NULL;
	log_info("mailbox: logged in to %s:%u, folder selected "
	    "(uidvalidity %u, %u messages, idle %s)", c->mailbox.host,
	    c->mailbox.port, imap_uidvalidity(d->imap), imap_exists(d->imap),
	    imap_has_idle(d->imap) && c->mailbox.idle ? "yes" : "no");
	watchdog_progress(d);
	return mailbox_scan(d);
}

static int
maildir_check(struct daemon *d)
{
	const char	*sub[] = { "new", "cur", "tmp" };
	struct stat	 st;
	char		*path;
	size_t		 i;
	int		 ok = 1;

	for (i = 0; i < 3; i++) {
		xasprintf(&path, "%s/%s", d->cfg->mailbox.maildir, sub[i]);
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			log_warnx("mailbox: %s is not a Maildir (no %s/)",
			    d->cfg->mailbox.maildir, sub[i]);
			ok = 0;
		}
		free(path);
	}
	if (ok)
		log_info("mailbox: watching Maildir %s",
		    d->cfg->mailbox.maildir);
	return ok ? 0 : -1;
}

static void
maildir_run(struct daemon *d)
{
	char	*cause = NULL;
	int	 n;

	n = maildir_scan(d->cfg->mailbox.maildir, d->engine, wall_now(d),
	    d->cfg->limits.max_message_size, &cause);
	if (n < 0) {
		log_warnx("maildir: %s", cause);
		free(cause);
	} else if (n > 0) {
		log_info("maildir: %d new message%s handled", n,
		    n == 1 ? "" : "s");
		d->next_due = 0;
	}
	d->next_maildir = mono_ms() + d->cfg->mailbox.poll_seconds * 1000ULL;
}

static void
maildir_watch(struct daemon *d)
{
	char	*path;

	if ((d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("maildir: inotify; polling instead");
		return;
	}
	xasprintf(&path, "%s/new", d->cfg->mailbox.maildir);
	if (inotify_add_watch(d->inotify_fd, path, IN_MOVED_TO | IN_CREATE |
	    IN_CLOSE_WRITE) == -1) {
		log_warn("maildir: watching %s; polling instead", path);
		close(d->inotify_fd);
		d->inotify_fd = -1;
	}
	free(path);
}

static void
drain_fd(int fd)
{
	char	buf[4096];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* The mailbox told us something, or the re-arm time came. */
static void
mailbox_wake(struct daemon *d, int activity)
{
	char	*cause = NULL;

	watchdog_progress(d);
	if (d->graph != NULL) {
		if (mailbox_scan(d) == 0)
			mailbox_wait(d);
		return;
	}
	if (d->idling) {
		d->idling = 0;
		if (imap_idle_done(d->imap, &cause) != IMAP_OK) {
			mailbox_disconnect(d);
			schedule_reconnect(d, cause);
			free(cause);
			return;
		}
	} else if (imap_noop(d->imap, &cause) != IMAP_OK) {
		mailbox_disconnect(d);
		schedule_reconnect(d, cause);
		free(cause);
		return;
	}
	if (activity)
		log_debug("mailbox: activity (%u messages)",
		    imap_exists(d->imap));
	if (mailbox_scan(d) != 0)
		return;
	mailbox_wait(d);
}

static int
mailbox_settings_differ(const struct config *a, const struct config *b)
{
	const char *sa[] = { a->mailbox.url, a->mailbox.user,
	    a->mailbox.password_file, a->mailbox.password_credential,
	    a->mailbox.ca_file };
	const char *sb[] = { b->mailbox.url, b->mailbox.user,
	    b->mailbox.password_file, b->mailbox.password_credential,
	    b->mailbox.ca_file };
	size_t	i;

	for (i = 0; i < sizeof sa / sizeof sa[0]; i++) {
		if ((sa[i] == NULL) != (sb[i] == NULL))
			return 1;
		if (sa[i] != NULL && strcmp(sa[i], sb[i]) != 0)
			return 1;
	}
	return a->mailbox.auth != b->mailbox.auth ||
	    a->mailbox.tls != b->mailbox.tls ||
	    a->mailbox.idle != b->mailbox.idle ||
	    a->mailbox.poll_seconds != b->mailbox.poll_seconds ||
	    a->mailbox.timeout_seconds != b->mailbox.timeout_seconds;
}

/* SIGHUP: a bad file keeps the running configuration. */
/* The templates a new configuration names must all check, as at start. */
static int
reload_templates_ok(const struct config *next)
{
	char	**problems = NULL;
	size_t	  n = 0, i;

	mail_check_templates(next->templates.directory,
	    "/etc/rapidreviewd/templates", &problems, &n);
	for (i = 0; i < n; i++) {
		log_warnx("reload: templates: %s", problems[i]);
		free(problems[i]);
	}
	free(problems);
	return n == 0 ? 0 : -1;
}

static void
reload(struct daemon *d)
{
	struct config_diag	 diag;
	struct config		*next;
	struct calendar		*cal;
	struct oauth		*auth = NULL;
	char			*cause = NULL;
	size_t			 i;

	notify_send("RELOADING=1");
	log_info("reload: reading %s", d->opt.config_path);
	config_diag_init(&diag);
	next = config_load(d->opt.config_path, &diag);
	for (i = 0; i < diag.n; i++)
		log_warnx("reload: %s", diag.v[i].text);
	config_diag_free(&diag);
	if (next == NULL) {
		log_warnx("reload: errors in %s; keeping the running "
		    "configuration", d->opt.config_path);
		audit(d, "config.reload-refused", "errors in the INI");
		goto done;
	}
	if (reload_templates_ok(next) != 0) {
		log_warnx("reload: templates have errors; keeping the running "
		    "configuration");
		config_free(next);
		audit(d, "config.reload-refused", "templates");
		goto done;
	}
	if ((cal = config_calendar(next, &cause)) == NULL) {
		log_warnx("reload: %s; keeping the running configuration",
		    cause);
		free(cause);
		config_free(next);
		audit(d, "config.reload-refused", "holiday data");
		goto done;
	}
	if (strcmp(next->storage.database, d->cfg->storage.database) != 0)
		log_warnx("reload: [storage] database changed; it takes "
		    "effect at the next start");
	if (d->imap != NULL && mailbox_settings_differ(d->cfg, next)) {
		log_info("reload: mailbox settings changed; reconnecting");
		mailbox_disconnect(d);
		d->next_connect = 0;
		d->backoff = BACKOFF_MIN;
	}
	if (next->oauth.configured && (auth = oauth_new(next, &cause)) ==
	    NULL) {
		log_warnx("reload: oauth: %s; keeping the running "
		    "configuration", cause);
		free(cause);
		calendar_free(cal);
		config_free(next);
		audit(d, "config.reload-refused", "oauth");
		goto done;
	}
	/* The Graph client and the sink borrow the OAuth client: renew all. */
	if (d->graph != NULL) {
		mailbox_disconnect(d);
		d->next_connect = 0;
		d->backoff = BACKOFF_MIN;
	}
	engine_set_config(d->engine, next, cal);
	sink_close(d);		/* made again with the new [smtp] */
	oauth_free(d->oauth);
	d->oauth = auth;
	calendar_free(d->cal);
	d->cal = cal;
	config_free(d->cfg);
	d->cfg = next;
	log_set_verbose(d->cfg->daemon.verbose);
	log_info("reload: configuration loaded");
	audit(d, "config.reload", NULL);
done:
	notify_send("READY=1");
	status_update(d);
}

static void
read_signals(struct daemon *d)
{
	struct signalfd_siginfo	si;
	ssize_t			n;

	for (;;) {
		n = read(d->sigfd, &si, sizeof si);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof si)
			return;
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %u: stopping", si.ssi_signo);
			d->quit = 1;
			break;
		}
	}
}

/* The sink for the configured transport; NULL when it cannot be made. */
static void
sink_open(struct daemon *d)
{
	char	*cause = NULL;

	d->sink_kind = d->cfg->smtp.kind;
	switch (d->sink_kind) {
	case SMTP_SENDMAIL:
		d->sink = sendmail_sink_new(d->cfg, &cause);
		break;
	case SMTP_GRAPH:
		d->sink = d->oauth == NULL ? NULL :
		    graph_sink_new(d->cfg, d->oauth, &cause);
		if (d->oauth == NULL)
			cause = xstrdup("graph: no [oauth] section");
		break;
	default:
		d->sink = smtp_sink_new(d->cfg, d->cfg->smtp.auth ==
		    SMTP_AUTH_XOAUTH2 ? d->oauth : NULL, &cause);
		break;
	}
	if (d->sink == NULL) {
		log_warnx("outbox: %s; mail stays queued", cause);
		free(cause);
	}
}

static void
sink_close(struct daemon *d)
{
	if (d->sink == NULL)
		return;
	switch (d->sink_kind) {
	case SMTP_SENDMAIL:
		sendmail_sink_free(d->sink);
		break;
	case SMTP_GRAPH:
		graph_sink_free(d->sink);
		break;
	default:
		smtp_sink_free(d->sink);
		break;
	}
	d->sink = NULL;
}

/*
 * The sink outbox_flush sees: the real one, with a watchdog ping (at most
 * once a second) before each send, so that a long outbox is progress.
 */
static int
watched_send(void *arg, const char *from, const char *rcpt, const char *raw,
    size_t len, int *smtp_code, char **cause)
{
	struct daemon	*d = arg;

	watchdog_progress(d);
	return d->sink->send(d->sink->arg, from, rcpt, raw, len, smtp_code,
	    cause);
}

static void
watched_envelope(void *arg, const char *queued)
{
	struct daemon	*d = arg;

	if (d->sink->envelope != NULL)
		d->sink->envelope(d->sink->arg, queued);
}

/*
 * What is due at now: reminders, escalations and the digest, alerts as
 * mail, then the outbox. Each step commits on its own; a failure is logged
 * and retried at the next run, never lost.
 */
/* Retention (SPEC §7): once a day, what has passed retention_days. */
static void
run_purge(struct daemon *d, long long now)
{
	struct purge_report	 rep;
	char			*cause = NULL;

	if (d->cfg->storage.retention_days == 0 ||
	    now - d->last_purge < 24 * 3600)
		return;
	d->last_purge = now;
	memset(&rep, 0, sizeof rep);
	if (purge_run(d->store, d->cfg, now, 0, &rep, &cause) != 0) {
		log_warnx("purge: %s", cause);
		free(cause);
	} else if (rep.cases > 0)
		log_info("purge: %zu case%s past retention cleared",
		    rep.cases, rep.cases == 1 ? "" : "s");
	purge_report_free(&rep);
}

/*
 * Where the sender logs in with OAuth, learn before the flush whether the
 * provider still gives a token, so that a refusal is alerted even when
 * the mailbox is a Maildir (the token is held, so this costs nothing).
 */
static void
oauth_check_sender(struct daemon *d)
{
	enum oauth_error	 err;
	char			*cause = NULL, *why;

	if (d->oauth == NULL || (d->cfg->smtp.kind != SMTP_GRAPH &&
	    d->cfg->smtp.auth != SMTP_AUTH_XOAUTH2))
		return;
	if (outbox_next_due(d->store) == 0)
		return;
	if (oauth_token(d->oauth, (long long)time(NULL), &err, &cause) !=
	    NULL)
		return;
	xasprintf(&why, "oauth: %s", cause);
	free(cause);
	log_warnx("outbox: %s; mail stays queued", why);
	oauth_trouble(d, err, why);
	free(why);
}

static void
run_due(struct daemon *d)
{
	struct case_env		 e = { d->store, d->cfg, d->cal, d->key };
	struct mail_sink	 watched = { watched_send, d, watched_envelope };
	size_t			 n = 0;
	long long		 now = wall_now(d);
	char			*cause = NULL;

	watchdog_progress(d);
	if (case_tick(&e, now, &n, &cause) != 0) {
		log_warnx("tick: %s", cause);
		free(cause);
		cause = NULL;
	} else if (n > 0)
		log_info("tick: %zu message%s queued", n, n == 1 ? "" : "s");
	watchdog_progress(d);
	if (alert_mail_pending(d->store, d->cfg, now, &n, &cause) != 0) {
		log_warnx("alerts: %s", cause);
		free(cause);
		cause = NULL;
	} else if (n > 0)
		log_info("alerts: %zu queued for the business manager", n);
	watchdog_progress(d);
	run_purge(d, now);
	oauth_check_sender(d);
	if (d->sink == NULL)
		sink_open(d);
	if (d->sink != NULL) {
		if (outbox_flush(d->store, &watched, now, 200, &n, &cause) !=
		    0) {
			log_warnx("outbox: %s", cause);
			free(cause);
		} else if (n > 0)
			log_info("outbox: %zu message%s sent", n,
			    n == 1 ? "" : "s");
	}
	d->next_due = mono_ms() + DUE_INTERVAL * 1000ULL;
	if (d->opt.now == 0) {
		long long next = outbox_next_due(d->store);

		if (next > 0 && next - now < DUE_INTERVAL)
			d->next_due = mono_ms() +
			    (uint64_t)(next > now ? next - now : 1) * 1000ULL;
	}
	status_update(d);
}

static int
timeout_until(uint64_t now, uint64_t at, int current)
{
	uint64_t	ms;

	if (at == 0)
		return current;
	ms = at > now ? at - now : 0;
	if (ms > INT32_MAX)
		ms = INT32_MAX;
	if (current < 0 || (int)ms < current)
		return (int)ms;
	return current;
}

static void
loop_body(struct daemon *d)
{
	struct pollfd	pfd[2];
	uint64_t	now;
	nfds_t		n;
	int		timeout, is_imap;

	is_imap = d->cfg->mailbox.kind != MAILBOX_MAILDIR;
	if (!d->ready) {
		/*
		 * Ready once local start-up is done: the network may be down
		 * at boot, and a backlog in the mailbox may take a while.
		 */
		notify_send("READY=1");
		d->ready = 1;
		log_info("ready");
	}
	now = mono_ms();
	if (is_imap && !mailbox_up(d) && now >= d->next_connect &&
	    mailbox_connect(d) == 0)
		mailbox_wait(d);
	watchdog_due(d);
	if (d->idling && imap_idle_pending(d->imap)) {
		mailbox_wake(d, 1);
		return;
	}

	pfd[0].fd = d->sigfd;
	pfd[0].events = POLLIN;
	n = 1;
	if (d->idling) {
		pfd[1].fd = imap_idle_fd(d->imap);
		pfd[1].events = POLLIN;
		n = 2;
	} else if (d->inotify_fd != -1) {
		pfd[1].fd = d->inotify_fd;
		pfd[1].events = POLLIN;
		n = 2;
	}
	now = mono_ms();
	timeout = -1;
	if (d->watchdog_ms != 0)
		timeout = timeout_until(now, d->next_watchdog, timeout);
	if (is_imap && !mailbox_up(d))
		timeout = timeout_until(now, d->next_connect, timeout);
	if (mailbox_up(d))
		timeout = timeout_until(now, d->next_rearm, timeout);
	if (!is_imap)
		timeout = timeout_until(now, d->next_maildir, timeout);
	/* next_due 0 is "now" (new mail came), not "no timer". */
	timeout = d->next_due > now ? timeout_until(now, d->next_due,
	    timeout) : 0;

	if (poll(pfd, n, timeout) == -1 && errno != EINTR)
		fatal("poll");

	if (pfd[0].revents & POLLIN)
		read_signals(d);
	if (d->quit)
		return;
	if (n == 2 && d->imap != NULL && d->idling &&
	    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
		mailbox_wake(d, 1);
	if (n == 2 && !is_imap && (pfd[1].revents & POLLIN)) {
		drain_fd(d->inotify_fd);
		maildir_run(d);
	}
	now = mono_ms();
	if (!is_imap && now >= d->next_maildir)
		maildir_run(d);
	if (now >= d->next_due)
		run_due(d);
	if (mailbox_up(d) && now >= d->next_rearm)
		mailbox_wake(d, 0);
	watchdog_due(d);
}

/* --once: one connection, one report, then out. */
static int
run_once(struct daemon *d)
{
	char	*cause = NULL;

	if (d->cfg->mailbox.kind == MAILBOX_MAILDIR) {
		if (maildir_check(d) != 0)
			return 1;
		if (maildir_scan(d->cfg->mailbox.maildir, d->engine,
		    wall_now(d), d->cfg->limits.max_message_size,
		    &cause) < 0) {
			log_warnx("maildir: %s", cause);
			free(cause);
			return 1;
		}
		run_due(d);
		return 0;
	}
	if (mailbox_connect(d) != 0)
		return 1;
	mailbox_disconnect(d);
	run_due(d);
	return 0;
}

int
loop_run(struct config *cfg, const struct loop_options *opt)
{
	struct daemon	 d;
	uint64_t	 wd_usec;
	char		*cause = NULL;
	int		 rc = 0;

	memset(&d, 0, sizeof d);
	d.inotify_fd = -1;
	d.cfg = cfg;
	d.opt = *opt;
	d.backoff = BACKOFF_MIN;
	d.sigfd = signals_setup();
	umask(077);
	if (smtp_global_init(&cause) != 0) {
		log_err("smtp: %s", cause);
		free(cause);
		config_free(cfg);
		return 1;
	}

	if ((d.store = store_open(cfg->storage.database, &cause)) == NULL) {
		log_err("store: %s", cause);
		free(cause);
		config_free(cfg);
		return 1;
	}
	if ((d.cal = config_calendar(cfg, &cause)) == NULL) {
		log_err("calendar: %s", cause);
		free(cause);
		store_close(d.store);
		config_free(cfg);
		return 1;
	}
	if (token_key_load(cfg->storage.key_file, d.key, &cause) != 0) {
		log_err("token key: %s", cause);
		free(cause);
		calendar_free(d.cal);
		store_close(d.store);
		config_free(cfg);
		return 1;
	}
	if (cfg->oauth.configured && (d.oauth = oauth_new(cfg, &cause)) ==
	    NULL) {
		log_err("oauth: %s", cause);
		free(cause);
		explicit_bzero(d.key, sizeof d.key);
		calendar_free(d.cal);
		store_close(d.store);
		config_free(cfg);
		return 1;
	}
	d.engine = engine_new(cfg, d.store, d.cal, d.key);
	log_info("rapidreviewd %s starting (schema %d)", RR_VERSION,
	    store_schema_version(d.store));
	audit(&d, "daemon.start", RR_VERSION);

	if (opt->once) {
		rc = run_once(&d);
		goto out;
	}

	notify_init();
	notify_status("starting");
	wd_usec = notify_watchdog_usec();
	if (cfg->daemon.watchdog_seconds != 0 && wd_usec == 0)
		wd_usec = (uint64_t)cfg->daemon.watchdog_seconds * 1000000;
	/* Ping at half the interval, as systemd advises. */
	d.watchdog_ms = wd_usec / 2000;
	if (d.watchdog_ms != 0) {
		log_info("watchdog: every %llu ms from the main loop",
		    (unsigned long long)d.watchdog_ms);
		if (cfg->mailbox.kind != MAILBOX_MAILDIR &&
		    (uint64_t)cfg->mailbox.timeout_seconds * 1000 +
		    PROGRESS_MS >= wd_usec / 1000)
			log_warnx("watchdog: the interval (%llu ms) is not "
			    "longer than [mailbox] timeout (%us) and a second: "
			    "a server that stops answering will look like a "
			    "hang", (unsigned long long)(wd_usec / 1000),
			    cfg->mailbox.timeout_seconds);
	}
	d.next_watchdog = mono_ms();
	if (cfg->mailbox.kind == MAILBOX_MAILDIR && maildir_check(&d) == 0)
		maildir_watch(&d);

	while (!d.quit)
		loop_body(&d);

	notify_send("STOPPING=1");
	audit(&d, "daemon.stop", NULL);
out:
	mailbox_disconnect(&d);
	engine_free(d.engine);
	sink_close(&d);
	oauth_free(d.oauth);
	smtp_global_cleanup();
	explicit_bzero(d.key, sizeof d.key);
	if (d.inotify_fd != -1)
		close(d.inotify_fd);
	calendar_free(d.cal);
	store_close(d.store);
	config_free(d.cfg);
	free(d.down_reason);
	notify_close();
	close(d.sigfd);
	log_info("stopped");
	return rc;
}
