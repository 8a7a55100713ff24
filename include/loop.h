/*
 * loop.h - the daemon's one poll() loop.
 *
 * The loop owns the mailbox connection, a signalfd for SIGTERM, SIGINT and
 * SIGHUP, and the timers: reconnect backoff, IDLE re-arm (under 25
 * minutes), polling where IDLE is missing, and the systemd watchdog (pinged
 * from here only, so that a hung call becomes a restart).
 */
#ifndef RR_LOOP_H
#define RR_LOOP_H

struct config;

struct loop_options {
	const char	*config_path;
	int		 once;		/* connect, report, exit */
	long long	 now;		/* --now as a time_t; 0: the real clock */
};

/*
 * Run the daemon with a loaded config (ownership passes to the loop, which
 * frees it). Returns the process exit status: 0 after SIGTERM or a
 * successful --once, 1 when start-up or --once failed.
 */
int	loop_run(struct config *, const struct loop_options *);

#endif
