/*
 * smtp.c - the mail sink over libcurl's SMTP (see smtp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "oauth.h"
#include "outbox.h"
#include "secret.h"
#include "smtp.h"
#include "xmalloc.h"

#define SMTP_DEFAULT_TIMEOUT	60
/* A message may take a second more per this many bytes on a slow link. */
#define SMTP_BYTES_PER_SECOND	100000

struct smtp_sink {
	struct mail_sink	 sink;
	CURL			*curl;
	char			*password;
	struct oauth		*auth;		/* XOAUTH2; borrowed */
	char			*user;
	unsigned		 timeout;
	char			 errbuf[CURL_ERROR_SIZE];
};

/* The bytes being uploaded by one send. */
struct smtp_upload {
	const char	*raw;
	size_t		 len;
	size_t		 off;
};

static int	smtp_global_done;

static size_t	smtp_read(char *, size_t, size_t, void *);
static size_t	smtp_discard(char *, size_t, size_t, void *);
static char	*smtp_url(const struct config *);
static int	smtp_setup(struct smtp_sink *, const struct config *, char **);
static int	smtp_is_permanent(CURLcode, long);
static int	smtp_send(void *, const char *, const char *, const char *,
		    size_t, int *, char **);

int
smtp_global_init(char **cause)
{
	CURLcode	rc;

	if (smtp_global_done)
		return 0;
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		xasprintf(cause, "curl: %s", curl_easy_strerror(rc));
		return -1;
	}
	smtp_global_done = 1;
	return 0;
}

void
smtp_global_cleanup(void)
{
	if (!smtp_global_done)
		return;
	curl_global_cleanup();
	smtp_global_done = 0;
}

static size_t
smtp_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_upload	*up = arg;
	size_t			 n = size * nitems;

	if (up == NULL)
		return 0;
	if (n > up->len - up->off)
		n = up->len - up->off;
	memcpy(buf, up->raw + up->off, n);
	up->off += n;
	return n;
}

/* Sending mail writes nothing worth keeping; never let curl use stdout. */
static size_t
smtp_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return size * nmemb;
}

/*
 * smtp[s]://host:port/domain. curl says EHLO with the path, "localhost"
 * without one; the partnership's domain is a better name for us.
 */
static char *
smtp_url(const struct config *cfg)
{
	const char	*scheme, *at, *domain = "";
	const char	*lbr = "", *rbr = "";
	char		*url;

	scheme = cfg->smtp.kind == SMTP_SMTPS ? "smtps" : "smtp";
	if (strchr(cfg->smtp.host, ':') != NULL) {	/* IPv6 literal */
		lbr = "[";
		rbr = "]";
	}
	if (cfg->partnership.address != NULL &&
	    (at = strrchr(cfg->partnership.address, '@')) != NULL &&
	    at[1] != '\0' && at[strspn(at + 1, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") + 1] == '\0')
		domain = at + 1;
	xasprintf(&url, "%s://%s%s%s:%u/%s", scheme, lbr, cfg->smtp.host,
	    rbr, (unsigned)cfg->smtp.port, domain);
	return url;
}

/* Everything that stays the same from one send to the next. */
static int
smtp_setup(struct smtp_sink *s, const struct config *cfg, char **cause)
{
	CURL		*c = s->curl;
	CURLcode	 rc;
	char		*url;
	long		 t = (long)s->timeout;

	url = smtp_url(cfg);
	rc = curl_easy_setopt(c, CURLOPT_URL, url);
	free(url);
	if (rc != CURLE_OK)
		goto fail;
#if LIBCURL_VERSION_NUM >= 0x075500
	if ((rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
	    "smtp,smtps")) != CURLE_OK)
		goto fail;
#else
	if ((rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS))) != CURLE_OK)
		goto fail;
#endif
	/* STARTTLS or nothing: CURLUSESSL_TRY would fall back to plaintext. */
	if (cfg->smtp.kind == SMTP_SMTPS || cfg->smtp.tls) {
		if ((rc = curl_easy_setopt(c, CURLOPT_USE_SSL,
		    (long)CURLUSESSL_ALL)) != CURLE_OK)
			goto fail;
	}
	if ((rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2)) != CURLE_OK)
		goto fail;
	/* A CA file replaces the system's store, as for the mailbox (tls.c). */
	if (cfg->smtp.ca_file != NULL && *cfg->smtp.ca_file != '\0') {
		if ((rc = curl_easy_setopt(c, CURLOPT_CAINFO,
		    cfg->smtp.ca_file)) != CURLE_OK ||
		    (rc = curl_easy_setopt(c, CURLOPT_CAPATH, (char *)NULL)) !=
		    CURLE_OK)
			goto fail;
	}
	if (s->password != NULL) {
		if ((rc = curl_easy_setopt(c, CURLOPT_USERNAME,
		    cfg->smtp.user)) != CURLE_OK ||
		    (rc = curl_easy_setopt(c, CURLOPT_PASSWORD,
		    s->password)) != CURLE_OK)
			goto fail;
	}
	if ((rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, t)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, t)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, t)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION,
	    smtp_discard)) != CURLE_OK)
		goto fail;
	return 0;
fail:
	xasprintf(cause, "curl: %s", curl_easy_strerror(rc));
	return -1;
}

struct mail_sink *
smtp_sink_new(const struct config *cfg, struct oauth *auth, char **cause)
{
	struct smtp_sink	*s;

	if (cfg->smtp.kind != SMTP_SMTPS && cfg->smtp.kind != SMTP_STARTTLS) {
		*cause = xstrdup("smtp: [smtp] names no SMTP server");
		return NULL;
	}
	if (cfg->smtp.host == NULL || *cfg->smtp.host == '\0') {
		*cause = xstrdup("smtp: no host");
		return NULL;
	}
	if (smtp_global_init(cause) != 0)
		return NULL;

	s = xcalloc(1, sizeof *s);
	s->timeout = cfg->smtp.timeout_seconds != 0 ?
	    cfg->smtp.timeout_seconds : SMTP_DEFAULT_TIMEOUT;
	if (cfg->smtp.auth == SMTP_AUTH_XOAUTH2) {
		if (auth == NULL || cfg->smtp.user == NULL ||
		    *cfg->smtp.user == '\0') {
			*cause = xstrdup("smtp: auth = xoauth2 needs [oauth] "
			    "and a user");
			goto fail;
		}
		s->auth = auth;
		s->user = xstrdup(cfg->smtp.user);
	} else if (cfg->smtp.user != NULL && *cfg->smtp.user != '\0') {
		if (secret_read(cfg->smtp.password_file,
		    cfg->smtp.password_credential, &s->password, cause) != 0)
			goto fail;
	}
	if ((s->curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("curl: cannot make a handle");
		goto fail;
	}
	if (smtp_setup(s, cfg, cause) != 0)
		goto fail;
	s->sink.send = smtp_send;
	s->sink.arg = s;
	return &s->sink;
fail:
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	secret_free(s->password);
	free(s->user);
	free(s);
	return NULL;
}

void
smtp_sink_free(struct mail_sink *sink)
{
	struct smtp_sink	*s;

	if (sink == NULL)
		return;
	s = sink->arg;
	curl_easy_cleanup(s->curl);
	secret_free(s->password);
	free(s->user);
	free(s);
}

/*
 * curl reports a 5xx to MAIL FROM, RCPT TO or DATA as CURLE_SEND_ERROR
 * and one after the end of data as CURLE_RECV_ERROR. A 5xx anywhere else
 * (the greeting, EHLO, STARTTLS, AUTH) is the server's or the account's
 * problem, not this message's: retried.
 */
static int
smtp_is_permanent(CURLcode rc, long reply)
{
	if (reply < 500 || reply > 599)
		return 0;
	return rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR;
}

/*
 * Give curl the current access token for SASL XOAUTH2 (forced: a server
 * that also offers PLAIN must not be sent the token as a password).
 * Returns 0, or -1 with *cause set when no token can be had.
 */
static int
smtp_bearer(struct smtp_sink *s, char **cause)
{
	enum oauth_error	 err;
	const char		*token;
	char			*why = NULL;

	if ((token = oauth_token(s->auth, (long long)time(NULL), &err,
	    &why)) == NULL) {
		xasprintf(cause, "smtp: no OAuth token: %s", why);
		free(why);
		return -1;
	}
	if (curl_easy_setopt(s->curl, CURLOPT_USERNAME, s->user) !=
	    CURLE_OK ||
	    curl_easy_setopt(s->curl, CURLOPT_LOGIN_OPTIONS,
	    "AUTH=XOAUTH2") != CURLE_OK ||
	    curl_easy_setopt(s->curl, CURLOPT_XOAUTH2_BEARER, token) !=
	    CURLE_OK) {
		*cause = xstrdup("smtp: curl cannot take the OAuth token");
		return -1;
	}
	return 0;
}

static int
smtp_send(void *arg, const char *from, const char *rcpt, const char *raw,
    size_t len, int *smtp_code, char **cause)
{
	struct smtp_sink	*s = arg;
	struct smtp_upload	 up;
	struct curl_slist	*rcpts;
	CURL			*c = s->curl;
	CURLcode		 rc;
	char			*addr, *why = NULL;
	long			 reply, connects, t;
	int			 tries, renewed = 0;

	*smtp_code = 0;
	/* curl passes CR and LF in addresses to the server (DESIGN §4). */
	if (!outbox_address_safe(from)) {
		*cause = xstrdup("smtp: the envelope sender is not a safe "
		    "address");
		return SINK_PERMANENT;
	}
	if (!outbox_address_safe(rcpt)) {
		*cause = xstrdup("smtp: the recipient is not a safe address");
		return SINK_PERMANENT;
	}

	xasprintf(&addr, "<%s>", rcpt);
	rcpts = curl_slist_append(NULL, addr);
	free(addr);
	if (rcpts == NULL) {
		*cause = xstrdup("smtp: out of memory");
		return SINK_TEMPORARY;
	}
	xasprintf(&addr, "<%s>", from);
	rc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);	/* copied */
	free(addr);
	t = (long)s->timeout + (long)(len / SMTP_BYTES_PER_SECOND);
	up.raw = raw;
	up.len = len;
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_READDATA, &up);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_TIMEOUT, t);
	if (rc == CURLE_OK && s->auth != NULL && smtp_bearer(s, cause) != 0) {
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT,
		    (struct curl_slist *)NULL);
		curl_easy_setopt(c, CURLOPT_READDATA, (void *)NULL);
		curl_slist_free_all(rcpts);
		return SINK_TEMPORARY;
	}

	reply = 0;
	for (tries = 0; rc == CURLE_OK; tries++) {
		up.off = 0;
		s->errbuf[0] = '\0';
		rc = curl_easy_perform(c);
		reply = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
		/*
		 * A refused token (it may have been revoked before its time):
		 * once more with a new one, on a new connection.
		 */
		if (rc == CURLE_LOGIN_DENIED && s->auth != NULL && !renewed) {
			renewed = 1;
			log_info("smtp: the server refused the OAuth token; "
			    "getting a new one");
			oauth_invalidate(s->auth);
			if (smtp_bearer(s, &why) != 0) {
				log_warnx("%s", why);
				free(why);
				break;
			}
			if (curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) !=
			    CURLE_OK)
				break;
			tries = -1;
			rc = CURLE_OK;
			continue;
		}
		if (rc == CURLE_OK || tries > 0 ||
		    rc == CURLE_OPERATION_TIMEDOUT ||
		    smtp_is_permanent(rc, reply))
			break;
		/*
		 * A kept connection the server has closed since, or one that
		 * hit its per-session limit (OpenSMTPD: 452 at the 101st
		 * MAIL), fails at once: one more try on a new connection.
		 */
		connects = 1;
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
		if (connects != 0)
			break;
		log_debug("smtp: kept connection failed (curl error %d), "
		    "trying a new one", (int)rc);
		if (curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK)
			break;
		rc = CURLE_OK;
	}
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 0L);
	if (s->auth != NULL)
		curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_easy_setopt(c, CURLOPT_READDATA, (void *)NULL);
	curl_slist_free_all(rcpts);

	if (rc == CURLE_OK) {
		*smtp_code = reply > 0 && reply < 1000 ? (int)reply : 250;
		return SINK_SENT;
	}
	/* After a TLS failure the last reply is STARTTLS's 220: no code. */
	if (reply >= 400 && reply < 600)
		*smtp_code = (int)reply;
	xasprintf(cause, "smtp: %s (curl error %d)", s->errbuf[0] != '\0' ?
	    s->errbuf : curl_easy_strerror(rc), (int)rc);
	return smtp_is_permanent(rc, reply) ? SINK_PERMANENT : SINK_TEMPORARY;
}

int
smtp_login_test(const struct config *cfg, struct oauth *auth, char **cause)
{
	struct mail_sink	*sink;
	struct smtp_sink	*s;
	CURLcode		 rc;
	long			 reply = 0;

	if ((sink = smtp_sink_new(cfg, auth, cause)) == NULL)
		return -1;
	s = sink->arg;
	/*
	 * Neither an upload nor a recipient: curl greets, says EHLO, starts
	 * TLS, logs in, then sends the custom command. NOOP changes nothing.
	 */
	rc = curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 0L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "NOOP");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(s->curl, CURLOPT_TIMEOUT,
		    (long)s->timeout);
	if (rc == CURLE_OK && s->auth != NULL && smtp_bearer(s, cause) != 0) {
		smtp_sink_free(sink);
		return -1;
	}
	if (rc == CURLE_OK) {
		s->errbuf[0] = '\0';
		rc = curl_easy_perform(s->curl);
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &reply);
	}
	if (rc != CURLE_OK)
		xasprintf(cause, "%s (curl error %d, last reply %ld)",
		    s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc),
		    (int)rc, reply);
	smtp_sink_free(sink);
	return rc == CURLE_OK ? 0 : -1;
}
