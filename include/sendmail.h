/*
 * sendmail.h - a mail sink (outbox.h) that hands each message to a local
 * program, [smtp] sendmail, as "PROGRAM -i -f FROM -- RCPT" with the
 * message on its standard input.
 *
 * The program is run with fork and execve, no shell; its stdout and
 * stderr go to /dev/null (what it prints may name people), it gets no
 * other descriptor of ours, the default SIGPIPE action and an empty
 * signal mask. It is killed when it has not finished after [smtp] timeout.
 *
 * Outcome of a send:
 *	exit 0					SINK_SENT
 *	exit 75 (EX_TEMPFAIL), killed by a
 *	    signal or the timeout, cannot be run	SINK_TEMPORARY
 *	any other exit status			SINK_PERMANENT
 *	an unsafe envelope address		SINK_PERMANENT, nothing run
 * *smtp_code is always 0. Each send waits for its child with waitpid on
 * that pid alone; the caller must not reap children with waitpid(-1)
 * meanwhile.
 */
#ifndef RR_SENDMAIL_H
#define RR_SENDMAIL_H

struct config;
struct mail_sink;

/*
 * A sink for cfg->smtp (kind SMTP_SENDMAIL). Returns the sink (free with
 * sendmail_sink_free), or NULL with *cause set (caller frees) when the
 * kind is not sendmail or the program is not an executable file.
 */
struct mail_sink	*sendmail_sink_new(const struct config *cfg,
			    char **cause);
void			 sendmail_sink_free(struct mail_sink *);

#endif
