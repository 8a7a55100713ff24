/*
 * graphsend.c - the mail sink over Microsoft Graph's sendMail (see
 * graph.h for the outcome of a send and the header-recipient rule).
 *
 * sendMail takes no envelope: Graph delivers to the To, Cc and Bcc of the
 * MIME it is given. The outbox, though, has one row per recipient, so the
 * row of the first header recipient sends the message once for all of
 * them, the rows of the other header recipients send nothing, and a
 * recipient the headers do not name (an envelope-only copy) gets the
 * message with its recipient fields replaced by a Bcc to it alone.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "config.h"
#include "graph.h"
#include "log.h"
#include "outbox.h"
#include "xmalloc.h"

struct graph_sink {
	struct mail_sink	 sink;
	struct graph		*graph;
	char			*queued;	/* the row's message, from envelope */
};

static int	graph_sink_send(void *, const char *, const char *,
		    const char *, size_t, int *, char **);
static void	graph_sink_envelope(void *, const char *);

/* ---- Header fields -------------------------------------------------- */

/* Length of the header block, up to and including the empty line. */
static size_t
header_length(const char *raw, size_t len)
{
	size_t	i;

	if (len > 0 && raw[0] == '\n')
		return 1;
	if (len > 1 && raw[0] == '\r' && raw[1] == '\n')
		return 2;
	for (i = 0; i + 1 < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (raw[i + 1] == '\n')
			return i + 2;
		if (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

/* The end of the field that starts at p (its continuation lines too). */
static const char *
field_end(const char *p, const char *e)
{
	const char	*nl;

	for (;;) {
		if ((nl = memchr(p, '\n', e - p)) == NULL)
			return e;
		p = nl + 1;
		if (p == e || (*p != ' ' && *p != '\t'))
			return p;
	}
}

/* 1 when the field at p..e is named name (followed by ':'). */
static int
field_is(const char *p, const char *e, const char *name)
{
	size_t	n = strlen(name);

	if ((size_t)(e - p) <= n || strncasecmp(p, name, n) != 0)
		return 0;
	p += n;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p < e && *p == ':';
}

static void
add_mailbox(char ***v, size_t *n, const struct mailimf_mailbox *mb)
{
	if (mb == NULL || mb->mb_addr_spec == NULL ||
	    *mb->mb_addr_spec == '\0')
		return;
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(mb->mb_addr_spec);
}

/* The addresses of one field's value, appended to *v. */
static void
field_addresses(const char *p, const char *e, char ***v, size_t *n)
{
	struct mailimf_address_list	*al = NULL;
	struct mailimf_address		*ad;
	struct mailimf_mailbox_list	*ml;
	clistiter			*it, *jt;
	char				*value, *w;
	const char			*c;
	size_t				 idx = 0;

	c = memchr(p, ':', e - p);
	if (c == NULL)
		return;
	/* Unfolded: libetpan reads one logical line. */
	value = xmalloc(e - c + 1);
	for (w = value, c++; c < e; c++)
		if (*c != '\r' && *c != '\n')
			*w++ = *c;
	*w = '\0';
	if (mailimf_address_list_parse(value, strlen(value), &idx, &al) !=
	    MAILIMF_NO_ERROR) {
		free(value);
		return;
	}
	for (it = clist_begin(al->ad_list); it != NULL; it = clist_next(it)) {
		ad = clist_content(it);
		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX)
			add_mailbox(v, n, ad->ad_data.ad_mailbox);
		else if (ad->ad_type == MAILIMF_ADDRESS_GROUP &&
		    (ml = ad->ad_data.ad_group->grp_mb_list) != NULL) {
			for (jt = clist_begin(ml->mb_list); jt != NULL;
			    jt = clist_next(jt))
				add_mailbox(v, n, clist_content(jt));
		}
	}
	mailimf_address_list_free(al);
	free(value);
}

char **
graph_header_recipients(const char *raw, size_t len, size_t *n)
{
	static const char *const names[] = { "To", "Cc", "Bcc" };
	const char	*p, *e, *fe;
	char		**v = NULL;
	size_t		 i;

	*n = 0;
	e = raw + header_length(raw, len);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (p = raw; p < e; p = fe) {
			fe = field_end(p, e);
			if (field_is(p, fe, names[i]))
				field_addresses(p, fe, &v, n);
		}
	}
	return v;
}

/* 1 when list (comma-joined addresses) holds addr, case aside. */
static int
list_has(const char *list, const char *addr)
{
	const char	*p = list, *e;
	size_t		 n = strlen(addr);

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		while (e > p && e[-1] == ' ')
			e--;
		if ((size_t)(e - p) == n && strncasecmp(p, addr, n) == 0)
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

enum graph_send_plan
graph_send_plan(const char *raw, size_t len, const char *rcpt,
    const char *queued)
{
	enum graph_send_plan	 plan = GRAPH_SEND_BCC_COPY;
	char			**v;
	size_t			 n, i;
	int			 all_queued = 1;

	v = graph_header_recipients(raw, len, &n);
	/*
	 * Sent as it is only when a row was queued for every header
	 * recipient: a message queued again for one late attendee must
	 * reach that one alone, as a Bcc copy.
	 */
	for (i = 0; queued != NULL && i < n; i++)
		if (!list_has(queued, v[i])) {
			all_queued = 0;
			break;
		}
	for (i = 0; all_queued && i < n; i++) {
		if (strcasecmp(v[i], rcpt) == 0) {
			plan = i == 0 ? GRAPH_SEND_AS_IS : GRAPH_SEND_COVERED;
			break;
		}
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return plan;
}

char *
graph_bcc_rewrite(const char *raw, size_t len, const char *rcpt,
    size_t *outlen)
{
	const char	*p, *e, *fe, *blank;
	char		*out;
	size_t		 hlen, o = 0, blen;

	hlen = header_length(raw, len);
	e = raw + hlen;
	/* The empty line that ends the header, when there is one. */
	blank = e;
	if (hlen >= 2 && raw[hlen - 1] == '\n' && raw[hlen - 2] == '\n')
		blank = e - 1;
	else if (hlen >= 3 && raw[hlen - 1] == '\n' && raw[hlen - 2] == '\r' &&
	    raw[hlen - 3] == '\n')
		blank = e - 2;
	else if (hlen <= 2)
		blank = raw;
	blen = strlen(rcpt);
	out = xmalloc(len + blen + 16);
	for (p = raw; p < blank; p = fe) {
		fe = field_end(p, blank);
		if (field_is(p, fe, "To") || field_is(p, fe, "Cc") ||
		    field_is(p, fe, "Bcc"))
			continue;
		memcpy(out + o, p, fe - p);
		o += fe - p;
	}
	/* A header block that ends without a line break gets one first. */
	if (o > 0 && out[o - 1] != '\n') {
		memcpy(out + o, "\r\n", 2);
		o += 2;
	}
	memcpy(out + o, "Bcc: ", 5);
	o += 5;
	memcpy(out + o, rcpt, blen);
	o += blen;
	memcpy(out + o, "\r\n", 2);
	o += 2;
	if (blank == e) {	/* no empty line: a header-only message */
		memcpy(out + o, "\r\n", 2);
		o += 2;
	}
	memcpy(out + o, blank, len - (blank - raw));
	o += len - (blank - raw);
	*outlen = o;
	return out;
}

/* ---- The sink ------------------------------------------------------- */

static char *
base64(const char *data, size_t len, size_t *olen)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*s = (const unsigned char *)data;
	char			*out, *o;
	size_t			 i;
	unsigned		 v;

	if (len > ((size_t)-1 - 4) / 4 * 3)
		fatalx("base64: message too large");
	out = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (i < len) {
		v = (unsigned)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)s[i + 1] << 8;
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	*olen = o - out;
	return out;
}

struct mail_sink *
graph_sink_new(const struct config *cfg, struct oauth *auth, char **cause)
{
	struct graph_sink	*s;
	struct graph		*g;

	if (cfg->smtp.kind != SMTP_GRAPH) {
		*cause = xstrdup("graph: [smtp] names no Graph mailbox");
		return NULL;
	}
	if ((g = graph_new(cfg, cfg->smtp.graph_mailbox, auth, cause)) ==
	    NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->graph = g;
	s->sink.send = graph_sink_send;
	s->sink.envelope = graph_sink_envelope;
	s->sink.arg = s;
	return &s->sink;
}

void
graph_sink_free(struct mail_sink *sink)
{
	struct graph_sink	*s;

	if (sink == NULL)
		return;
	s = sink->arg;
	graph_free(s->graph);
	free(s->queued);
	free(s);
}

static void
graph_sink_envelope(void *arg, const char *queued)
{
	struct graph_sink	*s = arg;

	free(s->queued);
	s->queued = queued != NULL ? xstrdup(queued) : NULL;
}

static int
graph_sink_send(void *arg, const char *from, const char *rcpt,
    const char *raw, size_t len, int *smtp_code, char **cause)
{
	struct graph_sink	*s = arg;
	struct graph_reply	 r;
	enum graph_send_plan	 plan;
	enum graph_error	 e;
	char			*copy = NULL, *body, *path;
	size_t			 clen, blen;

	*smtp_code = 0;
	if (!outbox_address_safe(rcpt)) {
		*cause = xstrdup("graph: the recipient is not a safe address");
		return SINK_PERMANENT;
	}
	plan = graph_send_plan(raw, len, rcpt, s->queued);
	if (plan == GRAPH_SEND_COVERED) {
		/* The first header recipient's row sends it to all. */
		log_debug("graph: a header recipient's row: sent with the "
		    "first");
		return SINK_SENT;
	}
	if (plan == GRAPH_SEND_BCC_COPY) {
		copy = graph_bcc_rewrite(raw, len, rcpt, &clen);
		body = base64(copy, clen, &blen);
		free(copy);
	} else
		body = base64(raw, len, &blen);
	xasprintf(&path, "%s/sendMail", graph_user_path(s->graph));
	e = graph_call(s->graph, "sendMail", "POST", path, "text/plain", body,
	    blen, GRAPH_JSON_MAX, &r, cause);
	free(path);
	free(body);
	if (e == GRAPH_OK) {
		*smtp_code = (int)r.status;
		graph_reply_clear(&r);
		return SINK_SENT;
	}
	if (e == GRAPH_ENO && (r.status == 400 || r.status == 413)) {
		*smtp_code = (int)r.status;
		graph_reply_clear(&r);
		return SINK_PERMANENT;
	}
	/* Network, throttling, the account's rights: the next try. */
	graph_reply_clear(&r);
	return SINK_TEMPORARY;
}
