/*
 * graph.h - Microsoft Graph v1.0 as the mailbox and as the sender, for
 * tenants that switch IMAP and SMTP off (SPEC §7.1).
 *
 * Every request goes over libcurl with the certificate and host name
 * verified ([oauth] ca_file, else the system's trust store), carries the
 * access token from oauth.h in an Authorization header (never in a URL,
 * a log or an error text) and Prefer: IdType="ImmutableId", so that a
 * message keeps its id when it is moved. A 401 drops the token
 * (oauth_invalidate) and retries once with a new one. 429 and 503 are
 * retried after their Retry-After (capped; a few times), then reported as
 * GRAPH_ENET. Answers are read with json-c under a size cap.
 */
#ifndef RR_GRAPH_H
#define RR_GRAPH_H

#include <stddef.h>

struct config;
struct engine;
struct mail_sink;
struct oauth;
struct graph;

enum graph_error {
	GRAPH_OK = 0,
	GRAPH_ENET,	/* connect, TLS, timeout, 5xx, throttled: retry later */
	GRAPH_EAUTH,	/* no token, or 401/403 after a fresh token */
	GRAPH_ENO,	/* the service refused one request (4xx) */
};

/*
 * A Graph client for mailbox (the user principal name or id) at base
 * (cfg->oauth.graph_url), using auth for tokens (borrowed: it must
 * outlive the client). Returns NULL with *cause set on a setup failure.
 */
struct graph	*graph_new(const struct config *cfg, const char *mailbox,
		    struct oauth *auth, char **cause);
void		 graph_free(struct graph *);

/*
 * The ledger's name for the configured Graph folder:
 * "graph:MAILBOX/FOLDER". Caller frees.
 */
char		*graphsrc_mailbox_key(const struct config *);

/*
 * Ensure the processed and quarantine folders exist (created if missing,
 * '/' in the INI's names separating levels) and learn their ids.
 */
enum graph_error graphsrc_prepare(struct graph *, const struct config *,
		    char **cause);

/*
 * One pass over the configured folder with a delta query (the first pass
 * after graph_new lists the whole folder; later passes only what changed,
 * from the deltaLink held in memory). For each message still in the
 * folder: when the ledger (keyed by the immutable id in
 * ingest_key.name) already holds it, only move it; else fetch its MIME
 * ($value, refused over max_message_size as IMAP does), ingest it, and
 * move it to the processed or quarantine folder only after the commit.
 * Same progress and *handled contract as imapsrc_scan (source.h).
 * A store failure stops the scan with GRAPH_ENO; so do GRAPH_ENET and
 * GRAPH_EAUTH. A message the service refuses alone (4xx to its $value or
 * its move) is logged by id and skipped, the rest handled, and the scan
 * ends with GRAPH_ENO; a message gone (404) since the delta listed it is
 * skipped. The deltaLink advances only after a pass with no error, so
 * that whatever was not moved is listed again by the next pass.
 */
enum graph_error graphsrc_scan(struct graph *, struct engine *,
		    const struct config *, long long now,
		    void (*progress)(void *arg, size_t done, size_t total),
		    void *arg, size_t *handled, char **cause);

/*
 * A mail sink (outbox.h) that sends each message's MIME with POST
 * /users/MAILBOX/sendMail (base64 body, text/plain), for cfg->smtp.kind
 * SMTP_GRAPH. 202 is SINK_SENT; 400 (a message Graph will not take) is
 * SINK_PERMANENT (413, a message too large, too); network, 401 after a
 * fresh token, 403, 429, 5xx and any other answer are SINK_TEMPORARY, with
 * *smtp_code 0 so that the outbox holds the other rows until this one's
 * retry (one throttled or refused call per retry, not one per row); a
 * SINK_SENT or SINK_PERMANENT carries the HTTP status as *smtp_code.
 * Graph takes the recipients from the MIME's To, Cc and Bcc headers, not
 * from an envelope, while the outbox has one row per
 * recipient. So: the row for the first header recipient (To, then Cc)
 * sends the message as it is; a row for any other header recipient is
 * reported SINK_SENT without a request (the first row's send carries it;
 * a first row that fails only for a while is sent again, and delivers to
 * all); a recipient not in the headers gets a copy whose To, Cc and Bcc
 * are replaced by a Bcc to that recipient alone. All of that holds only
 * when the message was queued for every header recipient (the outbox's
 * envelope callback says for whom it was): a message queued again for
 * one of them alone (a late attendee, deduplicated) goes to each queued
 * recipient as such a Bcc copy.
 */
struct mail_sink *graph_sink_new(const struct config *cfg,
		    struct oauth *auth, char **cause);
void		 graph_sink_free(struct mail_sink *);

/* ---- For graphsrc.c, graphsend.c and the unit tests ---------------- */

/* At most this many tries per call for 429 and 503, and the longest wait. */
#define GRAPH_TRIES		3
#define GRAPH_RETRY_WAIT_MAX	30	/* seconds */
#define GRAPH_RETRY_WAIT_DEFAULT 2	/* when Retry-After is missing or bad */
/* JSON answers are refused over this. */
#define GRAPH_JSON_MAX		(4u * 1024 * 1024)

/* One HTTP answer from graph_call. */
struct graph_reply {
	long		 status;	/* HTTP status; 0 when none */
	char		*body;		/* NUL-terminated; caller frees */
	size_t		 len;
	int		 truncated;	/* more than the cap was sent */
	long long	 content_length; /* announced, or -1 */
	char		*error_code;	/* Graph's error.code, or NULL */
};

/*
 * One request to path (below the client's base URL, e.g.
 * "/users/M/messages/ID/move"), or to url when path starts with "http"
 * (an @odata.nextLink or deltaLink: refused unless it has the base URL's
 * scheme, host and port, so that the token never goes elsewhere). method
 * is "GET" or "POST"; body (blen bytes, content type ctype) for POST. At
 * most cap bytes of the answer are kept: a longer answer stops the
 * transfer and sets reply->truncated (GRAPH_OK; the caller decides). 401
 * is retried once with a fresh token; 429 and 503 up to GRAPH_TRIES
 * times after their Retry-After. Redirects are not followed. Returns
 * GRAPH_OK for a 2xx answer (reply->status says which), else GRAPH_ENET, GRAPH_EAUTH or
 * GRAPH_ENO with *cause set (what names the call, e.g. "move"; the text
 * holds no token, address or subject) and reply filled as far as it
 * goes. The caller frees with graph_reply_clear whatever the result.
 */
enum graph_error graph_call(struct graph *, const char *what,
		    const char *method, const char *path, const char *ctype,
		    const char *body, size_t blen, size_t cap,
		    struct graph_reply *reply, char **cause);
void		 graph_reply_clear(struct graph_reply *);

/* graph_call with a JSON answer parsed (json-c; caller puts *out). */
struct json_object;
enum graph_error graph_call_json(struct graph *, const char *what,
		    const char *method, const char *path,
		    struct json_object *body, long *status,
		    struct json_object **out, char **cause);

/* "/users/MAILBOX", the mailbox percent-escaped. Owned by the client. */
const char	*graph_user_path(const struct graph *);

/* s percent-escaped for a URL path segment or query value. Caller frees. */
char		*graph_escape(const char *s);

/*
 * Seconds to wait for a Retry-After value (delta-seconds or an HTTP-date,
 * against now): at most GRAPH_RETRY_WAIT_MAX, GRAPH_RETRY_WAIT_DEFAULT
 * when value is NULL or unreadable, 0 for a date already past.
 */
long		 graph_retry_after(const char *value, long long now);

/* 1 when url has the scheme, host and port of base; 0 otherwise. */
int		 graph_same_origin(const char *base, const char *url);

/* graphsrc.c's memory between passes: folder ids and the deltaLink. */
struct graphsrc_state;
struct graphsrc_state **graph_src_state(struct graph *);
void		 graphsrc_state_free(struct graphsrc_state *);

/* One page of a delta query, as graph_delta_parse reads it. */
struct graph_delta_item {
	char		*id;
	int		 removed;	/* "@removed": left the folder */
	long long	 size;		/* "size" when given, else -1 */
};
struct graph_delta_page {
	struct graph_delta_item	*items;
	size_t			 n;
	char			*next_link;	/* NULL on the last page */
	char			*delta_link;	/* NULL but on the last page */
};

/*
 * Read one delta page (len bytes of JSON). Items without a string id are
 * skipped. Returns 0, or -1 with *cause set when the text is not such a
 * page (no "value" array, or neither link). Clear with
 * graph_delta_page_clear whatever the result.
 */
int		 graph_delta_parse(const char *json, size_t len,
		    struct graph_delta_page *, char **cause);
void		 graph_delta_page_clear(struct graph_delta_page *);

/*
 * What the sink does with the row for rcpt of message raw (see
 * graph_sink_new): the recipients of the To, then Cc, then Bcc header
 * fields, compared without regard to case. queued is the comma-joined
 * list of recipients the message's rows were queued for, or NULL when
 * unknown (then taken to cover every header recipient).
 */
enum graph_send_plan {
	GRAPH_SEND_AS_IS,	/* rcpt is the first header recipient */
	GRAPH_SEND_COVERED,	/* another header recipient: nothing to do */
	GRAPH_SEND_BCC_COPY,	/* not in the headers: a Bcc copy */
};
enum graph_send_plan graph_send_plan(const char *raw, size_t len,
		    const char *rcpt, const char *queued);

/*
 * The header recipients of raw (To, then Cc, then Bcc), each an
 * addr-spec; *n of them. Caller frees each and the array.
 */
char		**graph_header_recipients(const char *raw, size_t len,
		    size_t *n);

/*
 * A copy of raw whose To, Cc and Bcc fields (with their continuation
 * lines) are replaced by "Bcc: <rcpt>" at the end of the header. Caller
 * frees; *outlen its length.
 */
char		*graph_bcc_rewrite(const char *raw, size_t len,
		    const char *rcpt, size_t *outlen);

#endif
