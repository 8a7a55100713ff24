/*
 * oauth.c - OAuth 2.0 access tokens from the provider's token endpoint
 * (SPEC §7.1): client_credentials, refresh_token, service_account (a JWT
 * signed RS256 with GnuTLS) and the device-authorization grant.
 *
 * libcurl speaks HTTPS only (plain HTTP only to loopback, for test beds),
 * verifies the certificate and host, follows no redirect and keeps at most
 * OAUTH_ANSWER_MAX bytes of an answer. Secrets go into a POST body only,
 * never a URL or an argument, and every buffer that held one (the body,
 * the answer, the secret itself) is wiped before it is freed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <json-c/json.h>

#include "config.h"
#include "log.h"
#include "oauth.h"
#include "secret.h"
#include "xmalloc.h"

#define OAUTH_ANSWER_MAX	(64 * 1024)
#define OAUTH_KEYFILE_MAX	(64 * 1024)
#define OAUTH_DEVICE_GRANT	"urn:ietf:params:oauth:grant-type:device_code"
#define OAUTH_JWT_GRANT		"urn:ietf:params:oauth:grant-type:jwt-bearer"

struct oauth {
	enum oauth_provider	 provider;
	enum oauth_flow		 flow;
	char			*client_id;
	char			*client_secret_file;
	char			*client_secret_credential;
	char			*refresh_token_file;
	char			*service_account_file;
	char			*service_account_credential;
	char			*token_url;
	char			*device_url;
	char			*scope;
	char			*ca_file;
	char			*subject;	/* service_account: sub */
	unsigned		 timeout;

	char			*token;		/* the access token; wiped */
	long long		 expires_at;
	long long		 lifetime;	/* expires_in as given */
	char			*refresh_pending; /* rotated, not yet stored */
};

struct buf {
	char	*p;
	size_t	 len;
	int	 over;
};

void
oauth_wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void
buf_wipe(struct buf *b)
{
	if (b->p != NULL) {
		explicit_bzero(b->p, b->len);
		free(b->p);
	}
	memset(b, 0, sizeof *b);
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

struct oauth *
oauth_new(const struct config *cfg, char **cause)
{
	struct oauth	*o;
	const char	*sub = NULL;

	if (!cfg->oauth.configured) {
		*cause = xstrdup("oauth: no [oauth] section in the "
		    "configuration");
		return NULL;
	}
	if (cfg->oauth.token_url == NULL || *cfg->oauth.token_url == '\0') {
		*cause = xstrdup("oauth: no token_url");
		return NULL;
	}
	if (cfg->oauth.client_id == NULL && cfg->oauth.flow !=
	    OAUTH_SERVICE_ACCOUNT) {
		*cause = xstrdup("oauth: no client_id");
		return NULL;
	}
	o = xcalloc(1, sizeof *o);
	o->provider = cfg->oauth.provider;
	o->flow = cfg->oauth.flow;
	o->client_id = strdup_or_null(cfg->oauth.client_id);
	o->client_secret_file = strdup_or_null(cfg->oauth.client_secret_file);
	o->client_secret_credential =
	    strdup_or_null(cfg->oauth.client_secret_credential);
	o->refresh_token_file = strdup_or_null(cfg->oauth.refresh_token_file);
	o->service_account_file =
	    strdup_or_null(cfg->oauth.service_account_file);
	o->service_account_credential =
	    strdup_or_null(cfg->oauth.service_account_credential);
	o->token_url = xstrdup(cfg->oauth.token_url);
	o->device_url = strdup_or_null(cfg->oauth.device_url);
	o->scope = strdup_or_null(cfg->oauth.scope);
	o->ca_file = strdup_or_null(cfg->oauth.ca_file);
	o->timeout = cfg->oauth.timeout_seconds != 0 ?
	    cfg->oauth.timeout_seconds : 30;
	/* The mailbox the delegation acts for. */
	if (cfg->mailbox.user != NULL && *cfg->mailbox.user != '\0')
		sub = cfg->mailbox.user;
	else if (cfg->mailbox.graph_mailbox != NULL)
		sub = cfg->mailbox.graph_mailbox;
	else if (cfg->smtp.user != NULL && *cfg->smtp.user != '\0')
		sub = cfg->smtp.user;
	else if (cfg->smtp.graph_mailbox != NULL)
		sub = cfg->smtp.graph_mailbox;
	else
		sub = cfg->partnership.address;
	o->subject = strdup_or_null(sub);
	return o;
}

void
oauth_free(struct oauth *o)
{
	if (o == NULL)
		return;
	free(o->client_id);
	free(o->client_secret_file);
	free(o->client_secret_credential);
	free(o->refresh_token_file);
	free(o->service_account_file);
	free(o->service_account_credential);
	free(o->token_url);
	free(o->device_url);
	free(o->scope);
	free(o->ca_file);
	free(o->subject);
	oauth_wipe(o->token);
	oauth_wipe(o->refresh_pending);
	free(o);
}

void
oauth_invalidate(struct oauth *o)
{
	oauth_wipe(o->token);
	o->token = NULL;
	o->expires_at = 0;
	o->lifetime = 0;
}

long long
oauth_expires_at(const struct oauth *o)
{
	return o->token != NULL ? o->expires_at : 0;
}

long long
oauth_renew_margin(long long lifetime)
{
	if (lifetime < 2 * OAUTH_RENEW_MARGIN)
		return lifetime / 3;
	return OAUTH_RENEW_MARGIN;
}

char *
oauth_xoauth2_response(const char *user, const char *token)
{
	char	*s;

	xasprintf(&s, "user=%s\001auth=Bearer %s\001\001", user, token);
	return s;
}

/* --- base64url --- */

static char *
b64url(const unsigned char *p, size_t len)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char	*out, *o;
	size_t	 i;

	out = o = xmalloc(len / 3 * 4 + 5);
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = abc[p[i] >> 2];
		*o++ = abc[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = abc[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = abc[p[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = abc[p[i] >> 2];
		*o++ = abc[(p[i] & 3) << 4];
	} else if (len - i == 2) {
		*o++ = abc[p[i] >> 2];
		*o++ = abc[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = abc[(p[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* --- the provider's answer --- */

static void
first_line(const char *s, char *out, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; s[i] != '\0' && s[i] != '\r' && s[i] != '\n' &&
	    n + 1 < len; i++)
		out[n++] = (unsigned char)s[i] < ' ' ? ' ' : s[i];
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static const char *
error_hint(const char *error, const char *desc, int refresh_flow)
{
	if (strstr(desc, "AADSTS90002") != NULL)
		return "the tenant was not found: check tenant (the tenant's "
		    "name, such as northshire.onmicrosoft.com, or its id)";
	if (strstr(desc, "AADSTS7000215") != NULL)
		return "the client secret is wrong: give the secret's Value, "
		    "not its Secret ID (Azure portal, App registrations, "
		    "Certificates & secrets)";
	if (strstr(desc, "AADSTS7000222") != NULL)
		return "the client secret has expired: make a new one (Azure "
		    "portal, App registrations, Certificates & secrets)";
	if (strstr(desc, "AADSTS700016") != NULL ||
	    strcmp(error, "unauthorized_client") == 0)
		return "the application (client_id) was not found in the "
		    "tenant or may not use this grant: check client_id and "
		    "tenant, and that an administrator has consented to the "
		    "app in this tenant";
	if (strstr(desc, "AADSTS65001") != NULL ||
	    strstr(desc, "AADSTS650057") != NULL)
		return "an administrator must grant consent to the app's "
		    "permissions (Azure portal, App registrations, API "
		    "permissions)";
	if (strcmp(error, "invalid_client") == 0)
		return "check client_id and the client secret (it may have "
		    "expired: Azure portal, App registrations, Certificates "
		    "& secrets)";
	if (strcmp(error, "invalid_grant") == 0)
		return refresh_flow ? "the refresh token is no longer "
		    "accepted: run rapidreviewctl oauth login again" :
		    "check the service account's domain-wide delegation "
		    "(client id and scope) and that user is a mailbox in the "
		    "domain";
	if (strcmp(error, "invalid_scope") == 0)
		return "check scope: client_credentials needs one ending in "
		    "/.default (such as https://outlook.office365.com/"
		    ".default), and the app needs that permission";
	if (strcmp(error, "invalid_request") == 0)
		return "check token_url, client_id and scope";
	/* RFC 8628's name, and Microsoft's for the device flow. */
	if (strcmp(error, "access_denied") == 0 ||
	    strcmp(error, "authorization_declined") == 0)
		return "the sign-in was declined";
	if (strcmp(error, "expired_token") == 0)
		return "the code expired before anyone signed in: run "
		    "rapidreviewctl oauth login again";
	return NULL;
}

static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
json_num(struct json_object *o, const char *key, long long *out)
{
	struct json_object	*v;
	const char		*s;
	char			*end;
	long long		 n;

	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		/* Some providers send "3599". */
		s = json_object_get_string(v);
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0')
			return -1;
		*out = n;
		return 0;
	}
	return -1;
}

static char *
json_dup_wipeable(struct json_object *o, const char *key)
{
	const char	*s = json_str(o, key);

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

void
oauth_answer_clear(struct oauth_answer *a)
{
	oauth_wipe(a->access_token);
	oauth_wipe(a->refresh_token);
	oauth_wipe(a->device_code);
	free(a->user_code);
	free(a->verification_uri);
	free(a->message);
	free(a->error);
	memset(a, 0, sizeof *a);
}

int
oauth_parse_answer(const char *json, size_t len, long status, int refresh_flow,
    struct oauth_answer *a, enum oauth_error *err, char **cause)
{
	struct json_tokener	*tok;
	struct json_object	*o = NULL;
	const char		*error, *desc;
	const char		*hint;
	char			 line[400];

	memset(a, 0, sizeof *a);
	a->expires_in = -1;
	a->interval = -1;
	if (len > 0 && len <= INT_MAX) {
		tok = json_tokener_new();
		o = json_tokener_parse_ex(tok, json, (int)len);
		if (json_tokener_get_error(tok) != json_tokener_success) {
			if (o != NULL)
				json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
		if (o != NULL && !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			o = NULL;
		}
	}
	if (o == NULL) {
		*err = status >= 500 || status == 429 || status == 0 ?
		    OAUTH_ENET : OAUTH_EREFUSED;
		if (status >= 200 && status < 300)
			xasprintf(cause, "the token endpoint's answer (HTTP "
			    "%ld) is not JSON", status);
		else
			xasprintf(cause, "the token endpoint answered HTTP %ld "
			    "without an OAuth error%s", status,
			    *err == OAUTH_ENET ? "; will try again" : "");
		return -1;
	}
	if ((error = json_str(o, "error")) != NULL) {
		a->error = xstrdup(error);
		desc = json_str(o, "error_description");
		first_line(desc != NULL ? desc : "", line, sizeof line);
		hint = error_hint(error, line, refresh_flow);
		if (strcmp(error, "temporarily_unavailable") == 0 ||
		    strcmp(error, "server_error") == 0 || status >= 500 ||
		    status == 429)
			*err = OAUTH_ENET;
		else
			*err = OAUTH_EREFUSED;
		xasprintf(cause, "the token endpoint refused (HTTP %ld): "
		    "%s%s%s%s%s", status, error, *line != '\0' ? ": " : "",
		    line, hint != NULL ? "; " : "", hint != NULL ? hint : "");
		json_object_put(o);
		return -1;
	}
	if (status < 200 || status >= 300) {
		*err = status >= 500 || status == 429 ? OAUTH_ENET :
		    OAUTH_EREFUSED;
		xasprintf(cause, "the token endpoint answered HTTP %ld "
		    "without an OAuth error%s", status,
		    *err == OAUTH_ENET ? "; will try again" : "");
		json_object_put(o);
		return -1;
	}
	a->access_token = json_dup_wipeable(o, "access_token");
	a->refresh_token = json_dup_wipeable(o, "refresh_token");
	a->device_code = json_dup_wipeable(o, "device_code");
	a->user_code = json_dup_wipeable(o, "user_code");
	a->verification_uri = json_dup_wipeable(o, "verification_uri");
	if (a->verification_uri == NULL)	/* Google's older name */
		a->verification_uri = json_dup_wipeable(o, "verification_url");
	a->message = json_dup_wipeable(o, "message");
	if (json_num(o, "expires_in", &a->expires_in) != 0)
		a->expires_in = -1;
	if (json_num(o, "interval", &a->interval) != 0)
		a->interval = -1;
	if (a->access_token != NULL) {
		const char *type = json_str(o, "token_type");

		if (type != NULL && strcasecmp(type, "bearer") != 0) {
			*err = OAUTH_EREFUSED;
			xasprintf(cause, "the token endpoint gave a '%.40s' "
			    "token, not a Bearer token", type);
			json_object_put(o);
			oauth_answer_clear(a);
			return -1;
		}
	}
	json_object_put(o);
	return 0;
}

/* --- HTTP --- */

static size_t
http_write(char *data, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;
	size_t		 len = size * n;
	char		*p;

	if (len > OAUTH_ANSWER_MAX - b->len) {
		b->over = 1;
		return 0;
	}
	/* Grow by hand so that the old copy can be wiped. */
	p = xmalloc(b->len + len + 1);
	if (b->p != NULL) {
		memcpy(p, b->p, b->len);
		explicit_bzero(b->p, b->len);
		free(b->p);
	}
	memcpy(p + b->len, data, len);
	b->p = p;
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/* Append "&key=value" (value escaped) to body. */
static void
form_add(struct buf *body, const char *key, const char *value)
{
	char	*esc, *p;
	size_t	 klen = strlen(key), elen;

	if ((esc = curl_easy_escape(NULL, value, 0)) == NULL)
		fatalx("curl_easy_escape: out of memory");
	elen = strlen(esc);
	p = xmalloc(body->len + 1 + klen + 1 + elen + 1);
	if (body->len > 0) {
		memcpy(p, body->p, body->len);
		p[body->len++] = '&';
	}
	memcpy(p + body->len, key, klen);
	p[body->len + klen] = '=';
	memcpy(p + body->len + klen + 1, esc, elen + 1);
	if (body->p != NULL) {
		explicit_bzero(body->p, strlen(body->p));
		free(body->p);
	}
	body->p = p;
	body->len += klen + 1 + elen;
	explicit_bzero(esc, elen);
	curl_free(esc);
}

static int
url_is_loopback(const char *url)
{
	CURLU	*u;
	char	*host = NULL;
	int	 yes = 0;
	size_t	 n;

	if ((u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		n = strlen(host);
		if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
			host[n - 1] = '\0';
			yes = config_host_is_loopback(host + 1);
		} else
			yes = config_host_is_loopback(host);
	}
	curl_free(host);
	curl_url_cleanup(u);
	return yes;
}

/*
 * POST body to url. Returns 0 with *status and answer (caller wipes), or
 * -1 with *cause when no HTTP answer came (OAUTH_ENET).
 */
static int
http_post(struct oauth *o, const char *url, const struct buf *body,
    long *status, struct buf *answer, char **cause)
{
	CURL			*c;
	CURLcode		 rc;
	struct curl_slist	*hdrs = NULL;
	char			 errbuf[CURL_ERROR_SIZE] = "";

	memset(answer, 0, sizeof *answer);
	*status = 0;
	if ((c = curl_easy_init()) == NULL) {
		*cause = xstrdup("curl_easy_init failed");
		return -1;
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs,
	    "Content-Type: application/x-www-form-urlencoded");
#define SET(opt, val) do {						\
	if ((rc = curl_easy_setopt(c, opt, val)) != CURLE_OK)		\
		goto curlfail;						\
} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, url_is_loopback(url) ? "https,http" :
	    "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		SET(CURLOPT_CAINFO, o->ca_file);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, (long)(o->timeout < 30 ? o->timeout : 30));
	SET(CURLOPT_TIMEOUT, (long)o->timeout);
	SET(CURLOPT_USERAGENT, "rapidreviewd/" RR_VERSION);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_POSTFIELDS, body->p != NULL ? body->p : "");
	SET(CURLOPT_POSTFIELDSIZE, (long)body->len);
	SET(CURLOPT_WRITEFUNCTION, http_write);
	SET(CURLOPT_WRITEDATA, answer);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (answer->over)
			xasprintf(cause, "%s: the answer is over %d KiB", url,
			    OAUTH_ANSWER_MAX / 1024);
		else
			xasprintf(cause, "%s: %s", url, *errbuf != '\0' ?
			    errbuf : curl_easy_strerror(rc));
		goto fail;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return 0;
curlfail:
	xasprintf(cause, "curl: %s", curl_easy_strerror(rc));
fail:
	buf_wipe(answer);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return -1;
}

/* Remove every copy of secret from text, in place. */
static void
redact(char *text, const char *secret)
{
	static const char	 mark[] = "[redacted]";
	size_t			 n;
	char			*p;

	if (text == NULL || secret == NULL || (n = strlen(secret)) < 6)
		return;
	while ((p = strstr(text, secret)) != NULL) {
		if (n >= sizeof mark - 1) {
			memcpy(p, mark, sizeof mark - 1);
			memmove(p + sizeof mark - 1, p + n,
			    strlen(p + n) + 1);
		} else
			memset(p, '*', n);
	}
}

/* POST the form and read the answer into a. Returns 0 or -1. */
static int
oauth_exchange(struct oauth *o, const char *url, struct buf *body,
    struct oauth_answer *a, enum oauth_error *err, char **cause)
{
	struct buf	answer;
	long		status;
	int		rc;

	memset(a, 0, sizeof *a);
	if (http_post(o, url, body, &status, &answer, cause) != 0) {
		*err = OAUTH_ENET;
		return -1;
	}
	rc = oauth_parse_answer(answer.p != NULL ? answer.p : "", answer.len,
	    status, o->flow == OAUTH_REFRESH_TOKEN, a, err, cause);
	buf_wipe(&answer);
	return rc;
}

/* --- secrets on disk --- */

int
oauth_store_refresh_token(const char *path, const char *token, char **cause)
{
	char	*tmp = NULL, *dir = NULL;
	size_t	 len = strlen(token), off = 0;
	ssize_t	 n;
	int	 fd = -1, dfd, tries;

	xasprintf(&tmp, "%s.tmp%ld", path, (long)getpid());
	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
		/* Left behind by a process of ours that died. */
		unlink(tmp);
	}
	if (fd == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fchmod(fd, 0600) != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	while (off < len + 1) {
		n = off < len ? write(fd, token + off, len - off) :
		    write(fd, "\n", 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "%s: %s", tmp, strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	dir = config_path_dir(path);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		if (fsync(dfd) != 0)
			log_warn("oauth: fsync %s", dir);
		close(dfd);
	}
	free(dir);
	free(tmp);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(dir);
	free(tmp);
	return -1;
}

/* A bounded read of a file that must be ours alone. */
static char *
read_private_file(const char *path, size_t *lenp, char **cause)
{
	struct stat	 st;
	char		*p;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if (secret_check_mode(path, cause) != 0)
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || st.st_size > OAUTH_KEYFILE_MAX) {
		xasprintf(cause, "%s: over %d KiB", path,
		    OAUTH_KEYFILE_MAX / 1024);
		close(fd);
		return NULL;
	}
	p = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, p + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	p[off] = '\0';
	*lenp = off;
	return p;
}

static int
client_secret(struct oauth *o, int needed, char **out, char **cause)
{
	*out = NULL;
	if (o->client_secret_file == NULL &&
	    o->client_secret_credential == NULL) {
		if (!needed)
			return 0;
		*cause = xstrdup("oauth: no client secret "
		    "(client_secret_file or client_secret_credential)");
		return -1;
	}
	return secret_read(o->client_secret_file,
	    o->client_secret_credential, out, cause);
}

/* --- the service account's JWT --- */

char *
oauth_jwt_build(const char *client_email, const char *pem, size_t pem_len,
    const char *scope, const char *aud, const char *sub, long long iat,
    char **cause)
{
	static const char	 header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	struct json_object	*claims;
	gnutls_privkey_t	 key = NULL;
	gnutls_datum_t		 kd, data, sig = { NULL, 0 };
	char			*h64 = NULL, *c64 = NULL, *s64 = NULL, *input;
	char			*jwt = NULL;
	const char		*ctext;
	int			 rc;

	claims = json_object_new_object();
	json_object_object_add(claims, "iss",
	    json_object_new_string(client_email));
	json_object_object_add(claims, "scope", json_object_new_string(scope));
	json_object_object_add(claims, "aud", json_object_new_string(aud));
	if (sub != NULL)
		json_object_object_add(claims, "sub",
		    json_object_new_string(sub));
	json_object_object_add(claims, "iat", json_object_new_int64(iat));
	json_object_object_add(claims, "exp",
	    json_object_new_int64(iat + 3600));
	ctext = json_object_to_json_string_ext(claims,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	h64 = b64url((const unsigned char *)header, sizeof header - 1);
	c64 = b64url((const unsigned char *)ctext, strlen(ctext));
	json_object_put(claims);
	xasprintf(&input, "%s.%s", h64, c64);

	if ((rc = gnutls_privkey_init(&key)) < 0)
		goto gnutls_fail;
	kd.data = (unsigned char *)(uintptr_t)pem;
	kd.size = (unsigned)pem_len;
	if ((rc = gnutls_privkey_import_x509_raw(key, &kd, GNUTLS_X509_FMT_PEM,
	    NULL, 0)) < 0) {
		xasprintf(cause, "the service account's private_key cannot be "
		    "read: %s", gnutls_strerror(rc));
		goto fail;
	}
	if (gnutls_privkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_RSA) {
		*cause = xstrdup("the service account's private_key is not "
		    "an RSA key (RS256 needs one)");
		goto fail;
	}
	data.data = (unsigned char *)input;
	data.size = (unsigned)strlen(input);
	if ((rc = gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &data,
	    &sig)) < 0)
		goto gnutls_fail;
	s64 = b64url(sig.data, sig.size);
	xasprintf(&jwt, "%s.%s", input, s64);
	goto done;
gnutls_fail:
	xasprintf(cause, "signing the service account's JWT: %s",
	    gnutls_strerror(rc));
fail:
done:
	if (sig.data != NULL)
		gnutls_free(sig.data);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	free(h64);
	free(c64);
	free(s64);
	free(input);
	return jwt;
}

/* The assertion for flow service_account, from service_account_file. */
static char *
service_account_assertion(struct oauth *o, long long now, char **cause)
{
	struct json_object	*j = NULL;
	struct json_tokener	*tok;
	const char		*email, *key, *dir;
	char			*text, *jwt = NULL;
	size_t			 len;

	if (o->service_account_file == NULL &&
	    o->service_account_credential != NULL) {
		/* LoadCredential=: the key file systemd hands the service. */
		if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL ||
		    *dir == '\0' ||
		    strchr(o->service_account_credential, '/') != NULL) {
			xasprintf(cause, "oauth: credential %s: "
			    "CREDENTIALS_DIRECTORY is not set (LoadCredential= "
			    "in the unit)", o->service_account_credential);
			return NULL;
		}
		xasprintf(&o->service_account_file, "%s/%s", dir,
		    o->service_account_credential);
	}
	if (o->service_account_file == NULL) {
		*cause = xstrdup("oauth: flow service_account needs "
		    "service_account_file");
		return NULL;
	}
	if ((text = read_private_file(o->service_account_file, &len,
	    cause)) == NULL)
		return NULL;
	tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    j == NULL || !json_object_is_type(j, json_type_object)) {
		xasprintf(cause, "%s: not a service account's JSON key file",
		    o->service_account_file);
		goto done;
	}
	email = json_str(j, "client_email");
	key = json_str(j, "private_key");
	if (email == NULL || key == NULL) {
		xasprintf(cause, "%s: no client_email or private_key (is it "
		    "a service account's JSON key?)", o->service_account_file);
		goto done;
	}
	jwt = oauth_jwt_build(email, key, strlen(key),
	    o->scope != NULL ? o->scope : "", o->token_url, o->subject, now,
	    cause);
	if (jwt == NULL) {
		char *why = *cause;

		xasprintf(cause, "%s: %s", o->service_account_file, why);
		free(why);
	}
done:
	json_tokener_free(tok);
	if (j != NULL) {
		/* The key's text lives in the JSON object: wipe it. */
		key = json_str(j, "private_key");
		if (key != NULL)
			explicit_bzero((char *)(uintptr_t)key, strlen(key));
		json_object_put(j);
	}
	explicit_bzero(text, len);
	free(text);
	return jwt;
}

/* --- tokens --- */

static void
hold_token(struct oauth *o, struct oauth_answer *a, long long now)
{
	oauth_wipe(o->token);
	o->token = a->access_token;
	a->access_token = NULL;
	o->lifetime = a->expires_in > 0 ? a->expires_in : 3600;
	o->expires_at = now + o->lifetime;
}

/* A rotated refresh token: store it, or keep it for the next renewal. */
static void
keep_refresh_token(struct oauth *o, struct oauth_answer *a)
{
	char	*why = NULL;

	if (a->refresh_token == NULL)
		return;
	if (oauth_store_refresh_token(o->refresh_token_file, a->refresh_token,
	    &why) != 0) {
		log_warnx("oauth: the provider rotated the refresh token but "
		    "it could not be stored (kept in memory until it can): %s",
		    why);
		free(why);
		oauth_wipe(o->refresh_pending);
		o->refresh_pending = a->refresh_token;
		a->refresh_token = NULL;
		return;
	}
	oauth_wipe(o->refresh_pending);
	o->refresh_pending = NULL;
}

static int
oauth_fetch(struct oauth *o, long long now, enum oauth_error *err,
    char **cause)
{
	struct oauth_answer	 a;
	struct buf		 body = { NULL, 0, 0 };
	char			*secret = NULL, *refresh = NULL, *jwt = NULL;
	int			 rc = -1;

	switch (o->flow) {
	case OAUTH_CLIENT_CREDENTIALS:
		if (client_secret(o, 1, &secret, cause) != 0) {
			*err = OAUTH_ECONFIG;
			return -1;
		}
		form_add(&body, "grant_type", "client_credentials");
		form_add(&body, "client_id", o->client_id);
		form_add(&body, "client_secret", secret);
		if (o->scope != NULL)
			form_add(&body, "scope", o->scope);
		break;
	case OAUTH_REFRESH_TOKEN:
		if (o->refresh_token_file == NULL) {
			*err = OAUTH_ECONFIG;
			*cause = xstrdup("oauth: no refresh_token_file");
			return -1;
		}
		if (o->refresh_pending != NULL)
			refresh = xstrdup(o->refresh_pending);
		else if (secret_read(o->refresh_token_file, NULL, &refresh,
		    cause) != 0) {
			char	*why = *cause;

			*err = OAUTH_ECONFIG;
			if (access(o->refresh_token_file, F_OK) != 0)
				xasprintf(cause, "%s: no refresh token yet: "
				    "run rapidreviewctl oauth login",
				    o->refresh_token_file);
			else
				*cause = xstrdup(why);
			free(why);
			return -1;
		}
		if (client_secret(o, 0, &secret, cause) != 0) {
			*err = OAUTH_ECONFIG;
			oauth_wipe(refresh);
			return -1;
		}
		form_add(&body, "grant_type", "refresh_token");
		form_add(&body, "refresh_token", refresh);
		form_add(&body, "client_id", o->client_id);
		if (secret != NULL)
			form_add(&body, "client_secret", secret);
		if (o->scope != NULL)
			form_add(&body, "scope", o->scope);
		break;
	case OAUTH_SERVICE_ACCOUNT:
		if ((jwt = service_account_assertion(o, now, cause)) == NULL) {
			*err = OAUTH_ECONFIG;
			return -1;
		}
		form_add(&body, "grant_type", OAUTH_JWT_GRANT);
		form_add(&body, "assertion", jwt);
		break;
	}

	if (oauth_exchange(o, o->token_url, &body, &a, err, cause) != 0)
		goto done;
	if (a.access_token == NULL) {
		*err = OAUTH_EREFUSED;
		*cause = xstrdup("the token endpoint's answer has no "
		    "access_token");
		goto done;
	}
	if (o->flow == OAUTH_REFRESH_TOKEN && a.refresh_token != NULL &&
	    strcmp(a.refresh_token, refresh) != 0)
		keep_refresh_token(o, &a);
	hold_token(o, &a, now);
	*err = OAUTH_OK;
	rc = 0;
done:
	if (rc != 0) {
		redact(*cause, secret);
		redact(*cause, refresh);
		redact(*cause, jwt);
	}
	oauth_answer_clear(&a);
	buf_wipe(&body);
	secret_free(secret);
	oauth_wipe(refresh);
	oauth_wipe(jwt);
	return rc;
}

const char *
oauth_token(struct oauth *o, long long now, enum oauth_error *err,
    char **cause)
{
	*err = OAUTH_OK;
	if (o->token != NULL &&
	    now < o->expires_at - oauth_renew_margin(o->lifetime))
		return o->token;
	if (oauth_fetch(o, now, err, cause) == 0)
		return o->token;
	/*
	 * The endpoint cannot be reached, but the token held still lives:
	 * use it while it does, and try to renew again at the next call.
	 */
	if (*err == OAUTH_ENET && o->token != NULL && now < o->expires_at) {
		log_warnx("oauth: renewing the token failed (%s); using the "
		    "one held, valid for %llds more", *cause,
		    o->expires_at - now);
		free(*cause);
		*cause = NULL;
		*err = OAUTH_OK;
		return o->token;
	}
	return NULL;
}

/* --- the device-authorization grant --- */

int
oauth_device_login(struct oauth *o, FILE *out, char **cause)
{
	struct oauth_answer	 dev, a;
	struct buf		 body = { NULL, 0, 0 };
	enum oauth_error	 err;
	char			*secret = NULL, *device_code = NULL;
	long long		 interval, deadline, now;
	int			 rc = -1;

	memset(&dev, 0, sizeof dev);
	memset(&a, 0, sizeof a);
	if (o->flow != OAUTH_REFRESH_TOKEN) {
		*cause = xstrdup("oauth login needs flow = refresh_token in "
		    "[oauth]");
		return -1;
	}
	if (o->device_url == NULL) {
		*cause = xstrdup("oauth login needs device_url in [oauth]");
		return -1;
	}
	if (o->refresh_token_file == NULL) {
		*cause = xstrdup("oauth: no refresh_token_file");
		return -1;
	}
	if (client_secret(o, 0, &secret, cause) != 0)
		return -1;

	form_add(&body, "client_id", o->client_id);
	if (o->scope != NULL)
		form_add(&body, "scope", o->scope);
	if (oauth_exchange(o, o->device_url, &body, &dev, &err, cause) != 0)
		goto done;
	buf_wipe(&body);
	if (dev.device_code == NULL || dev.user_code == NULL ||
	    dev.verification_uri == NULL) {
		*cause = xstrdup("the device-authorization answer lacks "
		    "device_code, user_code or verification_uri");
		goto done;
	}
	device_code = dev.device_code;
	interval = dev.interval > 0 && dev.interval < 600 ? dev.interval : 5;
	now = (long long)time(NULL);
	deadline = now + (dev.expires_in > 0 ? dev.expires_in : 900);

	fprintf(out, "To sign in, open %s and enter the code %s\n",
	    dev.verification_uri, dev.user_code);
	if (dev.message != NULL)
		fprintf(out, "%s\n", dev.message);
	fflush(out);

	for (;;) {
		sleep((unsigned)interval);
		if ((long long)time(NULL) >= deadline) {
			*cause = xstrdup("the code expired before anyone "
			    "signed in: run rapidreviewctl oauth login again");
			goto done;
		}
		form_add(&body, "grant_type", OAUTH_DEVICE_GRANT);
		form_add(&body, "client_id", o->client_id);
		form_add(&body, "device_code", device_code);
		if (secret != NULL)
			form_add(&body, "client_secret", secret);
		rc = oauth_exchange(o, o->token_url, &body, &a, &err, cause);
		buf_wipe(&body);
		if (rc == 0)
			break;
		rc = -1;
		if (a.error != NULL && (strcmp(a.error,
		    "authorization_pending") == 0 || strcmp(a.error,
		    "slow_down") == 0)) {
			if (strcmp(a.error, "slow_down") == 0)
				interval += 5;
			free(*cause);
			*cause = NULL;
			oauth_answer_clear(&a);
			continue;
		}
		if (err == OAUTH_ENET && a.error == NULL) {
			/* A passing network fault: keep polling. */
			log_debug("oauth: %s", *cause);
			free(*cause);
			*cause = NULL;
			oauth_answer_clear(&a);
			continue;
		}
		goto done;
	}
	rc = -1;
	if (a.refresh_token == NULL) {
		*cause = xstrdup("signed in, but the provider gave no refresh "
		    "token: add offline_access to scope");
		goto done;
	}
	if (oauth_store_refresh_token(o->refresh_token_file, a.refresh_token,
	    cause) != 0)
		goto done;
	oauth_wipe(o->refresh_pending);
	o->refresh_pending = NULL;
	if (a.access_token != NULL)
		hold_token(o, &a, (long long)time(NULL));
	rc = 0;
done:
	if (rc != 0 && *cause != NULL) {
		redact(*cause, secret);
		redact(*cause, device_code);
	}
	oauth_answer_clear(&a);
	oauth_answer_clear(&dev);
	buf_wipe(&body);
	secret_free(secret);
	return rc;
}
