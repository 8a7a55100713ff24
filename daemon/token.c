/*
 * token.c - reply tokens: the case and agency a reply belongs to, carried
 * in the recipient address and signed so that a sender cannot make one up
 * (Gitea's incoming-mail tokens, Debbugs' addresses as verbs).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "log.h"
#include "token.h"
#include "xmalloc.h"

#define TOKEN_COMMANDS_DETAIL	"commands"
/* Agency keys are short; anything longer is not one of ours. */
#define TOKEN_AGENCY_MAX	64
/* "rr-YYYY-" then the sequence: at least 3 digits, and a sane bound. */
#define TOKEN_SEQ_MIN		3
#define TOKEN_SEQ_MAX		9

static const char token_b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static int	token_key_read(int, const char *, unsigned char *, char **);
static int	token_key_create(const char *, unsigned char *, char **);
static void	token_sync_dir(const char *);
static int	token_split(const char *, const char **, size_t *,
		    const char **);
static int	token_ref_parse(const char *, size_t);
static int	token_agency_valid(const char *, size_t);
static int	token_equal(const char *, const char *, size_t);

/* Read an existing key: a regular file of exactly TOKEN_KEY_LEN bytes. */
static int
token_key_read(int fd, const char *path, unsigned char *key, char **cause)
{
	struct stat	st;
	size_t		len = 0;
	ssize_t		n;

	if (fstat(fd, &st) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		xasprintf(cause, "%s: group or others have access (mode %04o);"
		    " the key must be mode 0600", path,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size != TOKEN_KEY_LEN) {
		xasprintf(cause, "%s: %lld bytes, not a %d-byte key", path,
		    (long long)st.st_size, TOKEN_KEY_LEN);
		goto fail;
	}
	while (len < TOKEN_KEY_LEN) {
		n = read(fd, key + len, TOKEN_KEY_LEN - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0) {
			xasprintf(cause, "%s: short read", path);
			goto fail;
		}
		len += (size_t)n;
	}
	close(fd);
	return 0;
fail:
	explicit_bzero(key, TOKEN_KEY_LEN);
	close(fd);
	return -1;
}

/* The entry must survive a crash too: tokens already sent depend on it. */
static void
token_sync_dir(const char *path)
{
	char	*dir, *slash;
	int	 fd;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		if (fsync(fd) != 0)
			log_warn("%s: fsync", dir);
		close(fd);
	}
	free(dir);
}

/* Make a new key. Returns 0, 1 when the file appeared meanwhile, or -1. */
static int
token_key_create(const char *path, unsigned char *key, char **cause)
{
	size_t	len = 0;
	ssize_t	n;
	int	fd, rc;

	if ((rc = gnutls_rnd(GNUTLS_RND_KEY, key, TOKEN_KEY_LEN)) != 0) {
		xasprintf(cause, "%s: random key: %s", path,
		    gnutls_strerror(rc));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		explicit_bzero(key, TOKEN_KEY_LEN);
		if (errno == EEXIST)
			return 1;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* A strict umask could leave the owner unable to read it back. */
	if (fchmod(fd, 0600) != 0) {
		xasprintf(cause, "%s: fchmod: %s", path, strerror(errno));
		goto fail;
	}
	while (len < TOKEN_KEY_LEN) {
		n = write(fd, key + len, TOKEN_KEY_LEN - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	if (fsync(fd) != 0) {
		xasprintf(cause, "%s: fsync: %s", path, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		xasprintf(cause, "%s: close: %s", path, strerror(errno));
		goto fail;
	}
	token_sync_dir(path);
	log_info("made a new reply-token key");
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(path);
	explicit_bzero(key, TOKEN_KEY_LEN);
	return -1;
}

int
token_key_load(const char *path, unsigned char key[TOKEN_KEY_LEN],
    char **cause)
{
	int	fd, tries, rc;

	/* Two tries: another process may create the file between them. */
	for (tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1)
			return token_key_read(fd, path, key, cause);
		if (errno != ENOENT) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			return -1;
		}
		if ((rc = token_key_create(path, key, cause)) != 1)
			return rc;
	}
	xasprintf(cause, "%s: cannot be created or read", path);
	return -1;
}

void
token_mac(const unsigned char key[TOKEN_KEY_LEN], const char *ref,
    const char *agency, char out[TOKEN_MAC_LEN + 1])
{
	unsigned char	 digest[32];
	uint64_t	 bits = 0;
	char		*text, *p;
	int		 i, rc;

	xasprintf(&text, "%s.%s", ref, agency);
	for (p = text; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	rc = gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, TOKEN_KEY_LEN, text,
	    strlen(text), digest);
	free(text);
	if (rc != 0)
		fatalx("gnutls_hmac_fast: %s", gnutls_strerror(rc));

	/* 8 base32 characters are exactly the first 40 bits. */
	for (i = 0; i < 5; i++)
		bits = (bits << 8) | digest[i];
	for (i = 0; i < TOKEN_MAC_LEN; i++)
		out[i] = token_b32[(bits >> (35 - 5 * i)) & 31];
	out[TOKEN_MAC_LEN] = '\0';
	explicit_bzero(digest, sizeof digest);
}

/* Split at the last '@'. Returns -1 when either side is empty. */
static int
token_split(const char *address, const char **local, size_t *local_len,
    const char **domain)
{
	const char	*at;

	if (address == NULL || (at = strrchr(address, '@')) == NULL ||
	    at == address || at[1] == '\0')
		return -1;
	*local = address;
	*local_len = (size_t)(at - address);
	*domain = at + 1;
	return 0;
}

char *
token_address(const unsigned char key[TOKEN_KEY_LEN],
    const char *partnership_address, const char *ref, const char *agency)
{
	const char	*local, *domain;
	size_t		 local_len;
	char		 mac[TOKEN_MAC_LEN + 1];
	char		*out, *p, *lref, *lagency;

	if (token_split(partnership_address, &local, &local_len, &domain) != 0)
		fatalx("token_address: bad partnership address");
	lref = xstrdup(ref);
	for (p = lref; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	lagency = xstrdup(agency);
	for (p = lagency; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	token_mac(key, lref, lagency, mac);
	xasprintf(&out, "%.*s+%s.%s.%s@%s", (int)local_len, local, lref,
	    lagency, mac, domain);
	free(lref);
	free(lagency);
	return out;
}

/* 1 when s[0..len) is "rr-YYYY-NNN" (lower case already). */
static int
token_ref_parse(const char *s, size_t len)
{
	size_t	i;

	if (len < 8 + TOKEN_SEQ_MIN || len > 8 + TOKEN_SEQ_MAX)
		return 0;
	if (strncmp(s, "rr-", 3) != 0 || s[7] != '-')
		return 0;
	for (i = 3; i < 7; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	for (i = 8; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
token_agency_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > TOKEN_AGENCY_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* Compare without an early exit, so timing does not reveal a prefix. */
static int
token_equal(const char *a, const char *b, size_t n)
{
	unsigned char	diff = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

enum token_result
token_parse(const unsigned char key[TOKEN_KEY_LEN],
    const char *partnership_address, const char *address, char **ref,
    char **agency)
{
	const char		*plocal, *pdomain, *local, *domain;
	const char		*dot1, *dot2;
	size_t			 plocal_len, local_len, len;
	char			*detail, *p, *r;
	char			 mac[TOKEN_MAC_LEN + 1];
	enum token_result	 result = TOKEN_FORGED;

	if (ref != NULL)
		*ref = NULL;
	if (agency != NULL)
		*agency = NULL;
	if (token_split(partnership_address, &plocal, &plocal_len,
	    &pdomain) != 0 ||
	    token_split(address, &local, &local_len, &domain) != 0)
		return TOKEN_NONE;
	if (strcasecmp(domain, pdomain) != 0)
		return TOKEN_NONE;
	if (local_len <= plocal_len + 1 || local[plocal_len] != '+' ||
	    strncasecmp(local, plocal, plocal_len) != 0)
		return TOKEN_NONE;

	/* Everything after our "local+" is ours to judge from here on. */
	detail = xstrndup(local + plocal_len + 1, local_len - plocal_len - 1);
	for (p = detail; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(detail, TOKEN_COMMANDS_DETAIL) == 0) {
		result = TOKEN_COMMANDS;
		goto out;
	}

	len = strlen(detail);
	if ((dot1 = strchr(detail, '.')) == NULL ||
	    (dot2 = strrchr(detail, '.')) == dot1)
		goto out;
	if (!token_ref_parse(detail, (size_t)(dot1 - detail)) ||
	    !token_agency_valid(dot1 + 1, (size_t)(dot2 - dot1 - 1)) ||
	    len - (size_t)(dot2 + 1 - detail) != TOKEN_MAC_LEN)
		goto out;

	r = xstrndup(detail, (size_t)(dot1 - detail));
	p = xstrndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	token_mac(key, r, p, mac);
	if (!token_equal(mac, dot2 + 1, TOKEN_MAC_LEN)) {
		free(r);
		free(p);
		goto out;
	}
	r[0] = 'R';
	r[1] = 'R';
	if (ref != NULL)
		*ref = r;
	else
		free(r);
	if (agency != NULL)
		*agency = p;
	else
		free(p);
	result = TOKEN_VALID;
out:
	free(detail);
	return result;
}
