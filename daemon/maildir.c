/*
 * maildir.c - the Maildir mail source. A file is ingested from new/ (or
 * from cur/ while it lacks the S flag), and renamed to cur/NAME:2,S only
 * after the commit; the ledger keys it by its unique base name, so a kill
 * between the two never handles it twice.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "source.h"
#include "xmalloc.h"

/* Read a whole file, or its header section only when it is over max. */
static int
read_message(const char *path, size_t max, char **data, size_t *len,
    uint64_t *size, char **cause)
{
	struct stat	 st;
	char		*buf, *end;
	size_t		 want, got = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	want = (uint64_t)st.st_size > max ? 256 * 1024 : (size_t)st.st_size;
	buf = xmalloc(want + 1);
	while (got < want) {
		n = read(fd, buf + got, want - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if ((uint64_t)st.st_size > max) {
		/* Keep the header section only. */
		if ((end = strstr(buf, "\r\n\r\n")) != NULL ||
		    (end = strstr(buf, "\n\n")) != NULL)
			got = (size_t)(end - buf) + 2;
		buf[got] = '\0';
	}
	*data = buf;
	*len = got;
	return 0;
}

/* The unique part of a Maildir file name: before ":2,". */
static char *
base_name(const char *name)
{
	const char	*colon = strchr(name, ':');

	return colon != NULL ? xstrndup(name, (size_t)(colon - name)) :
	    xstrdup(name);
}

static int
has_seen_flag(const char *name)
{
	const char	*info = strstr(name, ":2,");

	return info != NULL && strchr(info + 3, 'S') != NULL;
}

static int
handle_file(const char *maildir, const char *sub, const char *name,
    struct engine *eng, long long now, size_t max, char **cause)
{
	struct ingest_outcome	 out;
	struct ingest_key	 k;
	char			*from, *to, *base, *mailbox, *data = NULL;
	size_t			 len;
	uint64_t		 size;
	int			 seen, moved, quarantined, r = -1;

	xasprintf(&from, "%s/%s/%s", maildir, sub, name);
	base = base_name(name);
	xasprintf(&mailbox, "maildir:%s", maildir);
	memset(&k, 0, sizeof k);
	k.mailbox = mailbox;
	k.name = base;
	xasprintf(&to, "%s/cur/%s:2,S", maildir, base);

	seen = engine_ledger_seen(eng, &k, &moved, &quarantined, cause);
	if (seen < 0)
		goto out;
	if (seen == 0) {
		if (read_message(from, max, &data, &len, &size, cause) != 0)
			goto out;
		if (size > max)
			r = engine_ingest_oversize(eng, data, len, size, &k,
			    now, &out, cause);
		else
			r = engine_ingest(eng, data, len, &k, now, &out, cause);
		free(data);
		if (r != 0)
			goto out;
		r = -1;
	}
	if (rename(from, to) != 0) {
		xasprintf(cause, "rename into cur/: %s", strerror(errno));
		goto out;
	}
	if (engine_ledger_moved(eng, &k, now, cause) != 0)
		goto out;
	r = seen == 0 ? 1 : 0;
out:
	free(from);
	free(to);
	free(base);
	free(mailbox);
	return r;
}

int
maildir_scan(const char *maildir, struct engine *eng, long long now,
    size_t max, char **cause)
{
	static const char	*subs[] = { "new", "cur" };
	struct dirent		*de;
	DIR			*dir;
	char			*path;
	size_t			 i;
	int			 count = 0, r;

	for (i = 0; i < 2; i++) {
		xasprintf(&path, "%s/%s", maildir, subs[i]);
		dir = opendir(path);
		free(path);
		if (dir == NULL) {
			xasprintf(cause, "%s/%s: %s", maildir, subs[i],
			    strerror(errno));
			return -1;
		}
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (i == 1 && has_seen_flag(de->d_name))
				continue;
			r = handle_file(maildir, subs[i], de->d_name, eng, now,
			    max, cause);
			if (r < 0) {
				closedir(dir);
				return -1;
			}
			count += r;
		}
		closedir(dir);
	}
	return count;
}
