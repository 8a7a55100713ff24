/*
 * sendmail.c - the mail sink that runs a local sendmail program (see
 * sendmail.h).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "outbox.h"
#include "sendmail.h"
#include "xmalloc.h"

#define SENDMAIL_DEFAULT_TIMEOUT	60
#define SENDMAIL_POLL_MAX_MS		50

struct sendmail_sink {
	struct mail_sink	 sink;
	char			*path;
	unsigned		 timeout;
};

static long long	sendmail_now_ms(void);
static int		sendmail_lift(int);
static void		sendmail_child(int, int, int, char *const[])
			    __attribute__((noreturn));
static int		sendmail_write(int, const char *, size_t, long long,
			    int *);
static int		sendmail_wait(pid_t, long long, int *, int *);
static int		sendmail_send(void *, const char *, const char *,
			    const char *, size_t, int *, char **);

struct mail_sink *
sendmail_sink_new(const struct config *cfg, char **cause)
{
	struct sendmail_sink	*s;
	struct stat		 sb;

	if (cfg->smtp.kind != SMTP_SENDMAIL || cfg->smtp.sendmail == NULL ||
	    *cfg->smtp.sendmail == '\0') {
		*cause = xstrdup("sendmail: [smtp] names no sendmail program");
		return NULL;
	}
	if (stat(cfg->smtp.sendmail, &sb) == -1) {
		xasprintf(cause, "sendmail: %s: %s", cfg->smtp.sendmail,
		    strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode) || access(cfg->smtp.sendmail, X_OK) == -1) {
		xasprintf(cause, "sendmail: %s is not an executable file",
		    cfg->smtp.sendmail);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(cfg->smtp.sendmail);
	s->timeout = cfg->smtp.timeout_seconds != 0 ?
	    cfg->smtp.timeout_seconds : SENDMAIL_DEFAULT_TIMEOUT;
	s->sink.send = sendmail_send;
	s->sink.arg = s;
	return &s->sink;
}

void
sendmail_sink_free(struct mail_sink *sink)
{
	struct sendmail_sink	*s;

	if (sink == NULL)
		return;
	s = sink->arg;
	free(s->path);
	free(s);
}

static long long
sendmail_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: keep fd clear of 0-2, which are about to be replaced. */
static int
sendmail_lift(int fd)
{
	int	up;

	if (fd > 2)
		return fd;
	if ((up = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1)
		return fd;
	return up;
}

/*
 * After fork: stdin from the pipe, stdout and stderr to /dev/null, every
 * other descriptor closed at exec, every signal at its default and none
 * blocked (the daemon blocks those it reads with signalfd). errfd, closed
 * by a successful exec, carries errno back when exec fails.
 */
static void
sendmail_child(int in, int errfd, int devnull, char *const argv[])
{
	sigset_t	none;
	int		e, fd, sig;

	in = sendmail_lift(in);
	errfd = sendmail_lift(errfd);
	devnull = sendmail_lift(devnull);
	if (dup2(in, STDIN_FILENO) == -1 ||
	    dup2(devnull, STDOUT_FILENO) == -1 ||
	    dup2(devnull, STDERR_FILENO) == -1)
		goto fail;
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
		for (fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(argv[0], argv, environ);
fail:
	e = errno;
	if (write(errfd, &e, sizeof e) == -1)
		_exit(127);
	_exit(127);
}

/*
 * Write the message to the child's stdin until done, the deadline, or the
 * child closing its end (then *closed is set: its exit status decides).
 * SIGPIPE is held off while writing. Returns 0, or -1 on timeout or error.
 */
static int
sendmail_write(int fd, const char *raw, size_t len, long long deadline,
    int *closed)
{
	struct pollfd	 pfd;
	struct timespec	 zero = { 0, 0 };
	sigset_t	 pipeset, old, pending;
	size_t		 off = 0;
	ssize_t		 n;
	long long	 left;
	int		 pending_before, rc = 0;

	*closed = 0;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		return -1;
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipeset, &old);
	sigemptyset(&pending);
	sigpending(&pending);
	pending_before = sigismember(&pending, SIGPIPE);

	while (off < len) {
		if ((left = deadline - sendmail_now_ms()) <= 0) {
			rc = -1;
			break;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) == -1) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		n = write(fd, raw + off, len - off);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == EPIPE)
				*closed = 1;
			else
				rc = -1;
			break;
		}
		off += (size_t)n;
	}

	/* Take back the SIGPIPE our write raised, if it raised one. */
	if (*closed && !pending_before)
		sigtimedwait(&pipeset, NULL, &zero);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/*
 * Wait for the child until deadline, then kill it. Sets *status and
 * *timed_out. Returns 0, or -1 when the child cannot be waited for.
 */
static int
sendmail_wait(pid_t pid, long long deadline, int *status, int *timed_out)
{
	struct timespec	ts;
	long long	left, nap = 1;
	pid_t		r;

	*timed_out = 0;
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		if ((left = deadline - sendmail_now_ms()) <= 0)
			break;
		if (nap > left)
			nap = left;
		ts.tv_sec = nap / 1000;
		ts.tv_nsec = (nap % 1000) * 1000000;
		nanosleep(&ts, NULL);
		if (nap < SENDMAIL_POLL_MAX_MS)
			nap *= 2;
	}
	*timed_out = 1;
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) == -1 && errno == EINTR)
		;
	return r == pid ? 0 : -1;
}

static int
sendmail_send(void *arg, const char *from, const char *rcpt, const char *raw,
    size_t len, int *smtp_code, char **cause)
{
	struct sendmail_sink	*s = arg;
	char			*argv[7];
	long long		 deadline;
	pid_t			 pid;
	ssize_t			 n;
	int			 in[2] = { -1, -1 }, err[2] = { -1, -1 };
	int			 devnull = -1, status = 0, closed = 0;
	int			 timed_out = 0, exec_errno = 0, e;
	int			 result = SINK_TEMPORARY;

	*smtp_code = 0;
	/* Refused here, no address can be taken for an option. */
	if (!outbox_address_safe(from)) {
		*cause = xstrdup("sendmail: the envelope sender is not a safe "
		    "address");
		return SINK_PERMANENT;
	}
	if (!outbox_address_safe(rcpt)) {
		*cause = xstrdup("sendmail: the recipient is not a safe "
		    "address");
		return SINK_PERMANENT;
	}

	argv[0] = xstrdup(s->path);
	argv[1] = xstrdup("-i");
	argv[2] = xstrdup("-f");
	argv[3] = xstrdup(from);
	argv[4] = xstrdup("--");
	argv[5] = xstrdup(rcpt);
	argv[6] = NULL;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1 ||
	    (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		xasprintf(cause, "sendmail: %s", strerror(errno));
		goto out;
	}
	deadline = sendmail_now_ms() + (long long)s->timeout * 1000;
	if ((pid = fork()) == -1) {
		xasprintf(cause, "sendmail: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		sendmail_child(in[0], err[1], devnull, argv);

	close(in[0]);
	close(err[1]);
	close(devnull);
	in[0] = err[1] = devnull = -1;

	if (sendmail_write(in[1], raw, len, deadline, &closed) != 0)
		deadline = 0;	/* timed out or broken: stop it now */
	close(in[1]);
	in[1] = -1;
	if (sendmail_wait(pid, deadline, &status, &timed_out) != 0) {
		xasprintf(cause, "sendmail: waiting for the program: %s",
		    strerror(errno));
		goto out;
	}
	while ((n = read(err[0], &e, sizeof e)) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof e)
		exec_errno = e;

	if (exec_errno != 0)
		xasprintf(cause, "sendmail: cannot run %s: %s", s->path,
		    strerror(exec_errno));
	else if (timed_out)
		xasprintf(cause, "sendmail: killed after %u s without "
		    "finishing", s->timeout);
	else if (WIFSIGNALED(status))
		xasprintf(cause, "sendmail: killed by signal %d",
		    WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		result = SINK_SENT;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == EX_TEMPFAIL)
		xasprintf(cause, "sendmail: exit status %d (temporary "
		    "failure)", EX_TEMPFAIL);
	else {
		xasprintf(cause, "sendmail: exit status %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		result = SINK_PERMANENT;
	}
out:
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	if (err[0] != -1)
		close(err[0]);
	if (err[1] != -1)
		close(err[1]);
	if (devnull != -1)
		close(devnull);
	for (e = 0; argv[e] != NULL; e++)
		free(argv[e]);
	return result;
}
