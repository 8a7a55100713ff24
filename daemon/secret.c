/*
 * secret.c - secrets from mode-checked files or systemd credentials
 * (msmtp's check_secure, systemd's LoadCredential).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"
#include "xmalloc.h"

#define SECRET_MAX	4096

int
secret_check_mode(const char *path, char **cause)
{
	struct stat	st;

	if (stat(path, &st) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		xasprintf(cause, "%s: readable by group or others (mode %04o)",
		    path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static int
read_small_file(const char *path, char **out, char **cause)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(SECRET_MAX + 1);
	for (;;) {
		n = read(fd, buf + len, SECRET_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SECRET_MAX) {
			xasprintf(cause, "%s: longer than %d bytes", path,
			    SECRET_MAX);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0 || strlen(buf) != len) {
		xasprintf(cause, "%s: empty or holds a NUL byte", path);
		secret_free(buf);
		return -1;
	}
	*out = buf;
	return 0;
fail:
	close(fd);
	secret_free(buf);
	return -1;
}

int
secret_read(const char *file, const char *credential, char **out,
    char **cause)
{
	const char	*dir;
	char		*path;
	int		 rc;

	if (file != NULL) {
		if (secret_check_mode(file, cause) != 0)
			return -1;
		return read_small_file(file, out, cause);
	}
	if (credential == NULL) {
		xasprintf(cause, "no password_file or password_credential");
		return -1;
	}
	if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL || *dir == '\0') {
		xasprintf(cause, "credential %s: CREDENTIALS_DIRECTORY is not "
		    "set (LoadCredential= in the unit)", credential);
		return -1;
	}
	if (strchr(credential, '/') != NULL) {
		xasprintf(cause, "credential %s: bad name", credential);
		return -1;
	}
	xasprintf(&path, "%s/%s", dir, credential);
	rc = read_small_file(path, out, cause);
	free(path);
	return rc;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
