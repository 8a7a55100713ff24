/*
 * log.h - logging to stderr with sd-daemon priority prefixes.
 *
 * Every line goes to stderr as "<N>message\n", where N is the syslog
 * priority, so that journald files it at the right level. Lines carry case
 * references and Message-IDs only: never bodies, subjects, names or secrets.
 */
#ifndef RR_LOG_H
#define RR_LOG_H

#include <stdarg.h>

/* Verbosity: 0 logs info and above, 1 adds debug. */
void	log_init(int verbose, const char *progname);
void	log_set_verbose(int verbose);

/* log_warn adds ": strerror(errno)"; log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Log at error priority and exit(1). Only for start-up or broken invariants. */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
