/*
 * notify.h - the sd_notify protocol, without libsystemd.
 *
 * Messages go as one datagram each to $NOTIFY_SOCKET (a path, or an
 * abstract socket written "@name"). Without NOTIFY_SOCKET every call is a
 * quiet no-op, so the daemon runs the same outside systemd.
 */
#ifndef RR_NOTIFY_H
#define RR_NOTIFY_H

#include <stdint.h>

/*
 * Connect to $NOTIFY_SOCKET if set, and take it out of the environment so
 * that programs the daemon runs do not inherit it. Returns 0, or -1
 * (logged) on error.
 */
int	notify_init(void);
void	notify_close(void);

/* 1 when connected: worth composing a STATUS= line. */
int	notify_enabled(void);

/* Send "READY=1", "WATCHDOG=1" ... ; returns 0 or -1 (not logged). */
int	notify_send(const char *msg);
int	notify_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * The watchdog interval systemd asked for, in microseconds, from
 * $WATCHDOG_USEC (and $WATCHDOG_PID when set, which must be ours);
 * 0 when there is none. Both variables are taken out of the environment.
 */
uint64_t notify_watchdog_usec(void);

#endif
