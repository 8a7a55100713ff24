/*
 * graph.c - the Microsoft Graph v1.0 client under graphsrc.c and
 * graphsend.c (see graph.h).
 *
 * One curl handle per client, reset before each request so that no option
 * of one call leaks into the next while the connection is kept. The
 * Authorization header is built for each request from oauth_token() and
 * wiped (the slist's copy too) as soon as the request is done: curl keeps
 * a pointer to the list, not a copy. Pages and links the service sends
 * back (@odata.nextLink, deltaLink) are followed only to the base URL's
 * own origin, so that a bad answer cannot send the token elsewhere.
 * Throttling waits block the caller; each wait is capped at
 * GRAPH_RETRY_WAIT_MAX and a call tries at most GRAPH_TRIES times.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "config.h"
#include "graph.h"
#include "log.h"
#include "oauth.h"
#include "smtp.h"
#include "xmalloc.h"

#define GRAPH_DEFAULT_URL	"https://graph.microsoft.com/v1.0"
#define GRAPH_DEFAULT_TIMEOUT	60
/* A transfer may take a second more per this many bytes. */
#define GRAPH_BYTES_PER_SECOND	100000

struct graph {
	CURL			*curl;
	struct oauth		*auth;
	char			*base;		/* no trailing '/' */
	char			*user_path;	/* "/users/ESCAPED" */
	char			*ca_file;
	int			 allow_http;	/* base is http to loopback */
	unsigned		 timeout;
	struct graphsrc_state	*src;
	char			 errbuf[CURL_ERROR_SIZE];
};

/* The answer being read by one transfer. */
struct graph_sink_buf {
	struct graph_reply	*reply;
	size_t			 cap;
	size_t			 alloc;
};

static size_t	graph_write(char *, size_t, size_t, void *);
static int	graph_url_parts(const char *, char **, char **, char **);
static int	graph_setup(struct graph *, const char *, const char *,
		    const char *, size_t, size_t, struct curl_slist *,
		    struct graph_sink_buf *);
static void	graph_error_code(struct graph_reply *);
static void	graph_wipe_headers(struct curl_slist *);
static void	graph_new_handle(struct graph *);

static void
graph_wipe(void *p, size_t n)
{
	volatile unsigned char	*v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* Scheme, host (brackets stripped) and port of url; each caller-freed. */
static int
graph_url_parts(const char *url, char **scheme, char **host, char **port)
{
	CURLU	*u;
	int	 r = -1;

	*scheme = *host = *port = NULL;
	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	r = 0;
out:
	curl_url_cleanup(u);
	if (r != 0) {
		curl_free(*scheme);
		curl_free(*host);
		curl_free(*port);
		*scheme = *host = *port = NULL;
	}
	return r;
}

int
graph_same_origin(const char *base, const char *url)
{
	char	*s1, *h1, *p1, *s2, *h2, *p2;
	int	 same;

	if (graph_url_parts(base, &s1, &h1, &p1) != 0)
		return 0;
	if (graph_url_parts(url, &s2, &h2, &p2) != 0) {
		curl_free(s1);
		curl_free(h1);
		curl_free(p1);
		return 0;
	}
	same = strcasecmp(s1, s2) == 0 && strcasecmp(h1, h2) == 0 &&
	    strcmp(p1, p2) == 0;
	curl_free(s1);
	curl_free(h1);
	curl_free(p1);
	curl_free(s2);
	curl_free(h2);
	curl_free(p2);
	return same;
}

char *
graph_escape(const char *s)
{
	char	*e, *r;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		fatalx("curl_easy_escape failed");
	r = xstrdup(e);
	curl_free(e);
	return r;
}

struct graph *
graph_new(const struct config *cfg, const char *mailbox, struct oauth *auth,
    char **cause)
{
	struct graph	*g;
	const char	*base;
	char		*scheme = NULL, *host = NULL, *port = NULL, *h, *m;
	size_t		 n;

	if (mailbox == NULL || *mailbox == '\0') {
		*cause = xstrdup("graph: no mailbox");
		return NULL;
	}
	if (auth == NULL) {
		*cause = xstrdup("graph: no [oauth] client");
		return NULL;
	}
	if (smtp_global_init(cause) != 0)
		return NULL;
	base = cfg->oauth.graph_url != NULL && *cfg->oauth.graph_url != '\0' ?
	    cfg->oauth.graph_url : GRAPH_DEFAULT_URL;

	g = xcalloc(1, sizeof *g);
	g->auth = auth;
	g->base = xstrdup(base);
	n = strlen(g->base);
	while (n > 0 && g->base[n - 1] == '/')
		g->base[--n] = '\0';
	if (graph_url_parts(g->base, &scheme, &host, &port) != 0) {
		*cause = xstrdup("graph: graph_url is not a URL");
		goto fail;
	}
	h = host;
	if (*h == '[') {
		h++;
		h[strcspn(h, "]")] = '\0';
	}
	if (strcasecmp(scheme, "https") == 0)
		g->allow_http = 0;
	else if (strcasecmp(scheme, "http") == 0 &&
	    config_host_is_loopback(h))
		g->allow_http = 1;
	else {
		xasprintf(cause, "graph: graph_url must be https (plain http "
		    "only to loopback)");
		goto fail;
	}
	m = graph_escape(mailbox);
	xasprintf(&g->user_path, "/users/%s", m);
	free(m);
	if (cfg->oauth.ca_file != NULL && *cfg->oauth.ca_file != '\0')
		g->ca_file = xstrdup(cfg->oauth.ca_file);
	g->timeout = cfg->mailbox.timeout_seconds;
	if (cfg->oauth.timeout_seconds > g->timeout)
		g->timeout = cfg->oauth.timeout_seconds;
	if (g->timeout == 0)
		g->timeout = GRAPH_DEFAULT_TIMEOUT;
	if ((g->curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("graph: curl cannot make a handle");
		goto fail;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return g;
fail:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	graph_free(g);
	return NULL;
}

void
graph_free(struct graph *g)
{
	if (g == NULL)
		return;
	if (g->curl != NULL)
		curl_easy_cleanup(g->curl);
	graphsrc_state_free(g->src);
	free(g->base);
	free(g->user_path);
	free(g->ca_file);
	free(g);
}

const char *
graph_user_path(const struct graph *g)
{
	return g->user_path;
}

struct graphsrc_state **
graph_src_state(struct graph *g)
{
	return &g->src;
}

static size_t
graph_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct graph_sink_buf	*b = arg;
	struct graph_reply	*r = b->reply;
	size_t			 n = size * nmemb, keep = n;

	if (r->len + n > b->cap) {
		keep = b->cap - r->len;
		r->truncated = 1;
	}
	if (r->len + keep + 1 > b->alloc) {
		if (b->alloc == 0)
			b->alloc = 16384;
		while (r->len + keep + 1 > b->alloc)
			b->alloc *= 2;
		if (b->alloc > b->cap + 1)
			b->alloc = b->cap + 1;
		r->body = xreallocarray(r->body, 1, b->alloc);
	}
	memcpy(r->body + r->len, ptr, keep);
	r->len += keep;
	r->body[r->len] = '\0';
	/* Returning less than n stops the transfer: we have what we keep. */
	return r->truncated ? 0 : n;
}

static int
graph_setup(struct graph *g, const char *url, const char *method,
    const char *body, size_t blen, size_t cap, struct curl_slist *hdrs,
    struct graph_sink_buf *buf)
{
	CURL		*c = g->curl;
	long		 t = (long)g->timeout;
	long		 total;
	CURLcode	 rc;

	total = t + (long)((cap + blen) / GRAPH_BYTES_PER_SECOND);
	curl_easy_reset(c);
#define SET(opt, val) do {						\
		if ((rc = curl_easy_setopt(c, opt, val)) != CURLE_OK)	\
			return -1;					\
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, g->allow_http ? "http,https" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (g->ca_file != NULL) {
		SET(CURLOPT_CAINFO, g->ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
	SET(CURLOPT_CONNECTTIMEOUT, t);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, t);
	SET(CURLOPT_TIMEOUT, total);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, g->errbuf);
	SET(CURLOPT_USERAGENT, "rapidreviewd/" RR_VERSION);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, graph_write);
	SET(CURLOPT_WRITEDATA, buf);
	if (strcmp(method, "POST") == 0) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, body != NULL ? body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	} else if (strcmp(method, "GET") != 0)
		SET(CURLOPT_CUSTOMREQUEST, method);
#undef SET
	return 0;
}

static void
graph_wipe_headers(struct curl_slist *l)
{
	for (; l != NULL; l = l->next)
		graph_wipe(l->data, strlen(l->data));
}

/* Graph's error.code from a JSON error answer (a fixed word, no data). */
static void
graph_error_code(struct graph_reply *r)
{
	struct json_object	*o, *e, *c;
	const char		*s;
	size_t			 i;

	free(r->error_code);
	r->error_code = NULL;
	if (r->body == NULL || r->len == 0 || r->truncated)
		return;
	if ((o = json_tokener_parse(r->body)) == NULL)
		return;
	if (json_object_object_get_ex(o, "error", &e) &&
	    json_object_object_get_ex(e, "code", &c) &&
	    json_object_is_type(c, json_type_string)) {
		s = json_object_get_string(c);
		/* Keep it a word: never echo the service's free text. */
		for (i = 0; s[i] != '\0' && i < 64; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
			    s[i] != '-' && s[i] != '.')
				break;
		if (s[i] == '\0' && i > 0)
			r->error_code = xstrdup(s);
	}
	json_object_put(o);
}

long
graph_retry_after(const char *value, long long now)
{
	const char	*p;
	long long	 v = 0;
	time_t		 t;

	if (value == NULL)
		return GRAPH_RETRY_WAIT_DEFAULT;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		for (p = value; isdigit((unsigned char)*p); p++) {
			if (v < GRAPH_RETRY_WAIT_MAX)
				v = v * 10 + (*p - '0');
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return GRAPH_RETRY_WAIT_DEFAULT;
		return v > GRAPH_RETRY_WAIT_MAX ? GRAPH_RETRY_WAIT_MAX : (long)v;
	}
	if ((t = curl_getdate(value, NULL)) == (time_t)-1)
		return GRAPH_RETRY_WAIT_DEFAULT;
	if ((long long)t <= now)
		return 0;
	v = (long long)t - now;
	return v > GRAPH_RETRY_WAIT_MAX ? GRAPH_RETRY_WAIT_MAX : (long)v;
}

/* A new curl handle in place of the old, whose connections are closed. */
static void
graph_new_handle(struct graph *g)
{
	CURL	*c;

	if ((c = curl_easy_init()) == NULL)
		return;		/* keep the old one: it still works */
	curl_easy_cleanup(g->curl);
	g->curl = c;
}

void
graph_reply_clear(struct graph_reply *r)
{
	free(r->body);
	free(r->error_code);
	memset(r, 0, sizeof *r);
	r->content_length = -1;
}

enum graph_error
graph_call(struct graph *g, const char *what, const char *method,
    const char *path, const char *ctype, const char *body, size_t blen,
    size_t cap, struct graph_reply *reply, char **cause)
{
	struct graph_sink_buf	 buf;
	struct curl_slist	*hdrs, *l;
	struct curl_header	*h;
	enum oauth_error	 oerr;
	const char		*token;
	char			*url, *line, *why = NULL;
	curl_off_t		 cl;
	CURLcode		 rc;
	long			 wait;
	int			 tries = 0, refreshed = 0;
	enum graph_error	 e;

	memset(reply, 0, sizeof *reply);
	reply->content_length = -1;
	if (strncmp(path, "http", 4) == 0) {
		if (!graph_same_origin(g->base, path)) {
			xasprintf(cause, "graph: %s: the service sent a link "
			    "to another host; not followed", what);
			return GRAPH_ENO;
		}
		url = xstrdup(path);
	} else
		xasprintf(&url, "%s%s", g->base, path);

	for (;;) {
		free(reply->body);
		free(reply->error_code);
		memset(reply, 0, sizeof *reply);
		reply->content_length = -1;
		tries++;

		token = oauth_token(g->auth, (long long)time(NULL), &oerr, &why);
		if (token == NULL) {
			xasprintf(cause, "graph: %s: no access token: %s", what,
			    why != NULL ? why : "unknown error");
			free(why);
			e = oerr == OAUTH_ENET ? GRAPH_ENET : GRAPH_EAUTH;
			goto out;
		}
		hdrs = NULL;
		xasprintf(&line, "Authorization: Bearer %s", token);
		l = curl_slist_append(hdrs, line);
		graph_wipe(line, strlen(line));
		free(line);
		if (l == NULL)
			fatalx("graph: out of memory");
		hdrs = l;
		hdrs = curl_slist_append(hdrs, "Prefer: IdType=\"ImmutableId\"");
		if (hdrs != NULL && ctype != NULL) {
			xasprintf(&line, "Content-Type: %s", ctype);
			hdrs = curl_slist_append(hdrs, line);
			free(line);
		}
		if (hdrs != NULL)
			hdrs = curl_slist_append(hdrs, "Expect:");
		if (hdrs == NULL)
			fatalx("graph: out of memory");

		memset(&buf, 0, sizeof buf);
		buf.reply = reply;
		buf.cap = cap;
		g->errbuf[0] = '\0';
		if (graph_setup(g, url, method, body, blen, cap, hdrs,
		    &buf) != 0)
			rc = CURLE_FAILED_INIT;
		else
			rc = curl_easy_perform(g->curl);
		curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE,
		    &reply->status);
		if (curl_easy_getinfo(g->curl,
		    CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
		    cl >= 0)
			reply->content_length = (long long)cl;
		wait = GRAPH_RETRY_WAIT_DEFAULT;
		if (reply->status == 429 || reply->status == 503) {
			if (curl_easy_header(g->curl, "Retry-After", 0,
			    CURLH_HEADER, -1, &h) == CURLHE_OK)
				wait = graph_retry_after(h->value,
				    (long long)time(NULL));
		}
		/* The handle keeps a pointer to the list, not a copy. */
		curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER,
		    (struct curl_slist *)NULL);
		graph_wipe_headers(hdrs);
		curl_slist_free_all(hdrs);

		if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR &&
		    reply->truncated)) {
			xasprintf(cause, "graph: %s: %s (curl error %d)", what,
			    g->errbuf[0] != '\0' ? g->errbuf :
			    curl_easy_strerror(rc), (int)rc);
			e = GRAPH_ENET;
			goto out;
		}
		if (reply->status == 401 && !refreshed) {
			/* A token the service refuses: one more with a new one. */
			log_debug("graph: %s: 401, fetching a new token", what);
			oauth_invalidate(g->auth);
			refreshed = 1;
			continue;
		}
		if ((reply->status == 429 || reply->status == 503) &&
		    tries < GRAPH_TRIES) {
			log_info("graph: %s: throttled (HTTP %ld), waiting %ld "
			    "s", what, reply->status, wait);
			if (wait > 0)
				sleep((unsigned)wait);
			/*
			 * A server that answered before reading our body may
			 * take its rest for the next request: drop the
			 * connection with the handle.
			 */
			graph_new_handle(g);
			continue;
		}
		break;
	}

	/* Redirects are not followed: a 3xx is no answer to read. */
	if (reply->status >= 200 && reply->status < 300) {
		e = GRAPH_OK;
		goto out;
	}
	graph_error_code(reply);
	if (reply->status == 401 || reply->status == 403)
		e = GRAPH_EAUTH;
	else if (reply->status == 429 || reply->status >= 500 ||
	    reply->status < 200)
		e = GRAPH_ENET;
	else
		e = GRAPH_ENO;
	xasprintf(cause, "graph: %s: HTTP %ld%s%s", what, reply->status,
	    reply->error_code != NULL ? " " : "",
	    reply->error_code != NULL ? reply->error_code : "");
out:
	free(url);
	return e;
}

enum graph_error
graph_call_json(struct graph *g, const char *what, const char *method,
    const char *path, struct json_object *body, long *status,
    struct json_object **out, char **cause)
{
	struct graph_reply	 r;
	struct json_tokener	*tok;
	enum json_tokener_error	 jerr;
	enum graph_error	 e;
	const char		*text = NULL;
	size_t			 tlen = 0, end;

	*out = NULL;
	if (body != NULL) {
		text = json_object_to_json_string_ext(body,
		    JSON_C_TO_STRING_PLAIN);
		tlen = strlen(text);
	}
	e = graph_call(g, what, method, path, body != NULL ?
	    "application/json" : NULL, text, tlen, GRAPH_JSON_MAX, &r, cause);
	if (status != NULL)
		*status = r.status;
	if (e != GRAPH_OK)
		goto out;
	if (r.truncated) {
		xasprintf(cause, "graph: %s: answer over %u bytes", what,
		    GRAPH_JSON_MAX);
		e = GRAPH_ENO;
		goto out;
	}
	if (r.len == 0)		/* 202, 204: nothing to read */
		goto out;
	if ((tok = json_tokener_new_ex(64)) == NULL)
		fatalx("json_tokener_new failed");
	*out = json_tokener_parse_ex(tok, r.body, (int)r.len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	while (end < r.len && isspace((unsigned char)r.body[end]))
		end++;
	if (*out == NULL || jerr != json_tokener_success || end != r.len) {
		json_object_put(*out);
		*out = NULL;
		xasprintf(cause, "graph: %s: the answer is not JSON", what);
		e = GRAPH_ENO;
	}
	json_tokener_free(tok);
out:
	graph_reply_clear(&r);
	return e;
}
