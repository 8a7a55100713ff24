/*
 * notify.c - sd_notify(3) over a datagram socket (the protocol systemd
 * documents as stable in its notify-selfcontained example). A send never
 * waits: a full socket loses the message rather than holding the loop.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "notify.h"
#include "xmalloc.h"

static int	notify_fd = -1;

static int	notify_connect(const char *);

int
notify_init(void)
{
	char	*path;
	int	 rc;

	notify_close();
	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return 0;
	/* As sd_notify(1, ...): programs we run must not inherit it. */
	path = xstrdup(path);
	unsetenv("NOTIFY_SOCKET");
	rc = notify_connect(path);
	free(path);
	return rc;
}

static int
notify_connect(const char *path)
{
	struct sockaddr_un	 sun;
	size_t			 len;

	if (*path != '/' && *path != '@') {
		log_warnx("notify: NOTIFY_SOCKET is not a path or @name");
		return -1;
	}
	len = strlen(path);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (len >= sizeof sun.sun_path) {
		log_warnx("notify: NOTIFY_SOCKET too long");
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1) {
		log_warn("notify: socket");
		return -1;
	}
	if (connect(notify_fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) != 0) {
		log_warn("notify: connect %s", path);
		close(notify_fd);
		notify_fd = -1;
		return -1;
	}
	return 0;
}

void
notify_close(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}

int
notify_send(const char *msg)
{
	ssize_t	n;

	if (notify_fd == -1)
		return 0;
	do
		n = send(notify_fd, msg, strlen(msg),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)strlen(msg) ? 0 : -1;
}

int
notify_status(const char *fmt, ...)
{
	va_list	 ap;
	char	*text, *msg;
	int	 rc;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	/* One line: a newline would start another assignment. */
	text[strcspn(text, "\r\n")] = '\0';
	xasprintf(&msg, "STATUS=%s", text);
	rc = notify_send(msg);
	free(msg);
	free(text);
	return rc;
}

int
notify_enabled(void)
{
	return notify_fd != -1;
}

uint64_t
notify_watchdog_usec(void)
{
	unsigned long long	 usec = 0, pid;
	const char		*s;

	if ((s = getenv("WATCHDOG_USEC")) == NULL ||
	    config_parse_uint(s, UINT64_MAX, &usec) != 0)
		usec = 0;
	else if ((s = getenv("WATCHDOG_PID")) != NULL &&
	    (config_parse_uint(s, UINT32_MAX, &pid) != 0 ||
	    (pid_t)pid != getpid()))
		usec = 0;	/* meant for another process */
	/* As sd_watchdog_enabled(1, ...): not for the programs we run. */
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return usec;
}
