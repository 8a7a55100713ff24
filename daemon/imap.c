/*
 * imap.c - an IMAP session over libetpan with verified TLS.
 *
 * libetpan traps handled here (DESIGN §4, notes/c_style.md §2):
 * connect succeeds with 2, not 0; the GnuTLS build never verifies the
 * certificate (tls.c does, before LOGIN); capabilities are cached, so we
 * ask again after login; a dead stream is closed before mailimap_free(),
 * which would otherwise send LOGOUT and wait for the whole timeout.
 */
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "log.h"
#include "tls.h"
#include "xmalloc.h"

struct imap {
	mailimap	*m;
	char		*host;
	int		 dead;		/* stream unusable: no LOGOUT */
	char		 delimiter;	/* hierarchy delimiter; 0: unknown */
	int		 idling;
};

static int
etpan_ok(int r)
{
	return r == MAILIMAP_NO_ERROR ||
	    r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

/* Map a libetpan result to our kinds; stream failures kill the session. */
static enum imap_error
etpan_error(struct imap *im, int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_BAD_STATE:
		im->dead = 1;
		return IMAP_ENET;
	case MAILIMAP_ERROR_SSL:
		im->dead = 1;
		return IMAP_ETLS;
	case MAILIMAP_ERROR_LOGIN:
		return IMAP_EAUTH;
	default:
		return IMAP_ENO;
	}
}

/* The server's own words for the last NO or BAD, if it gave any. */
static const char *
server_text(struct imap *im)
{
	const char	*t = im->m != NULL ? im->m->imap_response : NULL;

	return t != NULL ? t : "no reason given";
}

/* Why a connect failed, in words (every wait is bounded by the timeout). */
static const char *
connect_error(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		return "cannot connect: refused, unreachable or no answer "
		    "within the timeout";
	case MAILIMAP_ERROR_STREAM:
		return "no greeting within the timeout, or the connection "
		    "was closed";
	case MAILIMAP_ERROR_SSL:
		return "TLS handshake failed or timed out";
	case MAILIMAP_ERROR_PARSE:
		return "the server's greeting is not IMAP";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		return "the server refused the session";
	default:
		return "cannot connect";
	}
}

static void
set_sni(struct mailstream_ssl_context *ctx, void *host)
{
	mailstream_ssl_set_server_name(ctx, host);
}

static enum imap_error
imap_login(struct imap *im, const struct imap_params *p, char **cause)
{
	int	r;

	switch (p->auth) {
	case AUTH_PLAIN:
		r = mailimap_authenticate(im->m, "PLAIN", p->host, NULL, NULL,
		    p->user, p->user, p->secret, NULL);
		break;
	case AUTH_LOGIN:
		r = mailimap_login(im->m, p->user, p->secret);
		break;
	case AUTH_XOAUTH2:
		r = mailimap_oauth2_authenticate(im->m, p->user, p->secret);
		break;
	default:
		xasprintf(cause, "%s: OAUTHBEARER is not supported by this "
		    "build; use xoauth2", p->host);
		return IMAP_EAUTH;
	}
	if (etpan_ok(r))
		return IMAP_OK;
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE)
		return etpan_error(im, r);
	xasprintf(cause, "%s: login as %s refused: %s", p->host, p->user,
	    server_text(im));
	return IMAP_EAUTH;
}

struct imap *
imap_open(const struct imap_params *p, enum imap_error *err, char **cause)
{
	struct mailimap_capability_data	*caps = NULL;
	struct imap			*im;
	int				 r;

	im = xcalloc(1, sizeof *im);
	im->host = xstrdup(p->host);
	if ((im->m = mailimap_new(0, NULL)) == NULL)
		fatalx("mailimap_new: out of memory");
	mailimap_set_timeout(im->m, p->timeout);

	if (!p->tls && !config_host_is_loopback(p->host)) {
		/* config.c refuses this too; never send a password in clear. */
		xasprintf(cause, "%s: plaintext IMAP to a host that is not "
		    "loopback is refused", p->host);
		*err = IMAP_ETLS;
		goto fail;
	}

	if (p->implicit_tls)
		r = mailimap_ssl_connect_with_callback(im->m, p->host, p->port,
		    set_sni, (void *)(uintptr_t)p->host);
	else
		r = mailimap_socket_connect(im->m, p->host, p->port);
	if (!etpan_ok(r)) {
		im->dead = 1;
		xasprintf(cause, "%s:%u: %s (libetpan error %d)", p->host,
		    p->port, connect_error(r), r);
		*err = r == MAILIMAP_ERROR_SSL ? IMAP_ETLS : IMAP_ENET;
		goto fail;
	}

	if (!p->implicit_tls && p->tls) {
		r = mailimap_capability(im->m, &caps);
		if (etpan_ok(r))
			mailimap_capability_data_free(caps);
		if (!mailimap_has_extension(im->m, "STARTTLS")) {
			xasprintf(cause, "%s:%u: the server does not offer "
			    "STARTTLS, and TLS is required", p->host, p->port);
			*err = IMAP_ETLS;
			goto fail;
		}
		r = mailimap_socket_starttls_with_callback(im->m, set_sni,
		    (void *)(uintptr_t)p->host);
		if (!etpan_ok(r)) {
			im->dead = 1;
			xasprintf(cause, "%s:%u: STARTTLS failed (libetpan "
			    "error %d)", p->host, p->port, r);
			*err = IMAP_ETLS;
			goto fail;
		}
	}

	if (p->tls && tls_verify_stream(im->m->imap_stream, p->host,
	    p->ca_file, cause) != 0) {
		/* Drop the connection without a word: no LOGIN, no LOGOUT. */
		im->dead = 1;
		*err = IMAP_ETLS;
		goto fail;
	}

	if ((*err = imap_login(im, p, cause)) != IMAP_OK) {
		if (*cause == NULL)
			xasprintf(cause, "%s: connection lost during login",
			    p->host);
		goto fail;
	}

	/* Capabilities change after login, and libetpan only caches them. */
	r = mailimap_capability(im->m, &caps);
	if (etpan_ok(r))
		mailimap_capability_data_free(caps);
	else if ((*err = etpan_error(im, r)) == IMAP_ENET) {
		xasprintf(cause, "%s: connection lost after login", p->host);
		goto fail;
	}

	r = mailimap_select(im->m, p->folder);
	if (!etpan_ok(r)) {
		*err = etpan_error(im, r);
		xasprintf(cause, "%s: cannot select folder: %s", p->host,
		    *err == IMAP_ENET ? "connection lost" : server_text(im));
		goto fail;
	}
	*err = IMAP_OK;
	return im;
fail:
	imap_close(im);
	return NULL;
}

void
imap_close(struct imap *im)
{
	if (im == NULL)
		return;
	if (im->m != NULL) {
		if (im->idling && !im->dead &&
		    !etpan_ok(mailimap_idle_done(im->m)))
			im->dead = 1;
		if (im->dead && im->m->imap_stream != NULL) {
			mailstream_close(im->m->imap_stream);
			im->m->imap_stream = NULL;
		}
		mailimap_free(im->m);
	}
	free(im->host);
	free(im);
}

uint32_t
imap_uidvalidity(const struct imap *im)
{
	return im->m->imap_selection_info != NULL ?
	    im->m->imap_selection_info->sel_uidvalidity : 0;
}

uint32_t
imap_uidnext(const struct imap *im)
{
	return im->m->imap_selection_info != NULL ?
	    im->m->imap_selection_info->sel_uidnext : 0;
}

uint32_t
imap_exists(const struct imap *im)
{
	return im->m->imap_selection_info != NULL ?
	    im->m->imap_selection_info->sel_exists : 0;
}

int
imap_has_idle(const struct imap *im)
{
	return mailimap_has_idle(im->m);
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

enum imap_error
imap_uids_from(struct imap *im, uint32_t from, uint32_t **uids, size_t *n,
    char **cause)
{
	struct mailimap_search_key	*key;
	clist				*result = NULL;
	clistiter			*it;
	uint32_t			*v = NULL, uid;
	size_t				 count = 0;
	int				 r;

	*uids = NULL;
	*n = 0;
	if (from == 0)
		from = 1;
	key = mailimap_search_key_new_uid(mailimap_set_new_interval(from, 0));
	r = mailimap_uid_search(im->m, NULL, key, &result);
	mailimap_search_key_free(key);
	if (!etpan_ok(r)) {
		enum imap_error e = etpan_error(im, r);

		xasprintf(cause, "%s: UID SEARCH failed: %s", im->host,
		    e == IMAP_ENET ? "connection lost" : server_text(im));
		return e;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uid = *(uint32_t *)clist_content(it);
		/* "n:*" always matches the highest UID, even below n. */
		if (uid < from)
			continue;
		v = xreallocarray(v, count + 1, sizeof *v);
		v[count++] = uid;
	}
	mailimap_search_result_free(result);
	if (count > 1)
		qsort(v, count, sizeof *v, uid_cmp);
	*uids = v;
	*n = count;
	return IMAP_OK;
}

/* UID FETCH one message with one attribute; returns the fetch list. */
static enum imap_error
fetch_one(struct imap *im, uint32_t uid, struct mailimap_fetch_att *att,
    clist **result, char **cause)
{
	struct mailimap_fetch_type	*ft;
	struct mailimap_set		*set;
	enum imap_error			 e;
	int				 r;

	set = mailimap_set_new_single(uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, att);
	r = mailimap_uid_fetch(im->m, set, ft, result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (etpan_ok(r))
		return IMAP_OK;
	e = etpan_error(im, r);
	xasprintf(cause, "%s: UID FETCH %u failed: %s", im->host, uid,
	    e == IMAP_ENET ? "connection lost" : server_text(im));
	return e;
}

/* Find the static item of type t in the response for uid. */
static struct mailimap_msg_att_static *
find_static(clist *result, uint32_t uid, int t)
{
	struct mailimap_msg_att			*ma;
	struct mailimap_msg_att_item		*item;
	struct mailimap_msg_att_static		*st, *found;
	clistiter				*it, *jt;
	uint32_t				 this_uid;

	/* Servers may interleave FETCH responses for others: match by UID. */
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		ma = clist_content(it);
		this_uid = 0;
		found = NULL;
		for (jt = clist_begin(ma->att_list); jt != NULL;
		    jt = clist_next(jt)) {
			item = clist_content(jt);
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				this_uid = st->att_data.att_uid;
			else if (st->att_type == t)
				found = st;
		}
		if (this_uid == uid && found != NULL)
			return found;
	}
	return NULL;
}

enum imap_error
imap_size(struct imap *im, uint32_t uid, uint32_t *size, char **cause)
{
	struct mailimap_msg_att_static	*st;
	clist				*result = NULL;
	enum imap_error			 e;

	*size = 0;
	e = fetch_one(im, uid, mailimap_fetch_att_new_rfc822_size(), &result,
	    cause);
	if (e != IMAP_OK)
		return e;
	if ((st = find_static(result, uid, MAILIMAP_MSG_ATT_RFC822_SIZE)) !=
	    NULL)
		*size = st->att_data.att_rfc822_size;
	mailimap_fetch_list_free(result);
	return IMAP_OK;
}

enum imap_error
imap_fetch(struct imap *im, uint32_t uid, char **data, size_t *len,
    char **cause)
{
	struct mailimap_msg_att_static	*st;
	struct mailimap_msg_att_body_section *bs;
	clist				*result = NULL;
	enum imap_error			 e;

	*data = NULL;
	*len = 0;
	e = fetch_one(im, uid, mailimap_fetch_att_new_body_peek_section(
	    mailimap_section_new(NULL)), &result, cause);
	if (e != IMAP_OK)
		return e;
	st = find_static(result, uid, MAILIMAP_MSG_ATT_BODY_SECTION);
	if (st == NULL || (bs = st->att_data.att_body_section) == NULL ||
	    bs->sec_body_part == NULL) {
		mailimap_fetch_list_free(result);
		xasprintf(cause, "%s: UID %u: no body returned", im->host, uid);
		return IMAP_ENO;
	}
	*len = bs->sec_length;
	*data = xmalloc(*len + 1);
	memcpy(*data, bs->sec_body_part, *len);
	(*data)[*len] = '\0';
	mailimap_fetch_list_free(result);
	return IMAP_OK;
}

enum imap_error
imap_fetch_header(struct imap *im, uint32_t uid, char **data, size_t *len,
    char **cause)
{
	struct mailimap_msg_att_static	*st;
	struct mailimap_msg_att_body_section *bs;
	clist				*result = NULL;
	enum imap_error			 e;

	*data = NULL;
	*len = 0;
	e = fetch_one(im, uid, mailimap_fetch_att_new_body_peek_section(
	    mailimap_section_new_header()), &result, cause);
	if (e != IMAP_OK)
		return e;
	st = find_static(result, uid, MAILIMAP_MSG_ATT_BODY_SECTION);
	if (st == NULL || (bs = st->att_data.att_body_section) == NULL ||
	    bs->sec_body_part == NULL) {
		mailimap_fetch_list_free(result);
		xasprintf(cause, "%s: UID %u: no header returned", im->host,
		    uid);
		return IMAP_ENO;
	}
	*len = bs->sec_length;
	*data = xmalloc(*len + 1);
	memcpy(*data, bs->sec_body_part, *len);
	(*data)[*len] = '\0';
	mailimap_fetch_list_free(result);
	return IMAP_OK;
}

char *
imap_folder_name(struct imap *im, const char *configured)
{
	struct mailimap_mailbox_list	*mb;
	clist				*list = NULL;
	char				*name, *p;

	if (im->delimiter == 0) {
		im->delimiter = '/';
		if (etpan_ok(mailimap_list(im->m, "", "", &list)) &&
		    list != NULL && clist_count(list) > 0) {
			mb = clist_content(clist_begin(list));
			if (mb->mb_delimiter != 0)
				im->delimiter = mb->mb_delimiter;
		}
		if (list != NULL)
			mailimap_list_result_free(list);
	}
	name = xstrdup(configured);
	for (p = name; *p != '\0'; p++)
		if (*p == '/')
			*p = im->delimiter;
	return name;
}

enum imap_error
imap_ensure_folder(struct imap *im, const char *folder, char **cause)
{
	clist	*list = NULL;
	int	 r, exists;

	r = mailimap_list(im->m, "", folder, &list);
	if (!etpan_ok(r)) {
		enum imap_error e = etpan_error(im, r);

		xasprintf(cause, "%s: LIST failed: %s", im->host,
		    e == IMAP_ENET ? "connection lost" : server_text(im));
		return e;
	}
	exists = list != NULL && clist_count(list) > 0;
	if (list != NULL)
		mailimap_list_result_free(list);
	if (exists)
		return IMAP_OK;
	r = mailimap_create(im->m, folder);
	if (!etpan_ok(r)) {
		enum imap_error e = etpan_error(im, r);

		xasprintf(cause, "%s: cannot create folder: %s", im->host,
		    e == IMAP_ENET ? "connection lost" : server_text(im));
		return e;
	}
	log_info("mailbox: created folder %s", folder);
	return IMAP_OK;
}

enum imap_error
imap_move(struct imap *im, uint32_t uid, const char *folder, char **cause)
{
	struct mailimap_store_att_flags	*flags;
	struct mailimap_flag_list	*fl;
	struct mailimap_set		*set;
	enum imap_error			 e;
	int				 r;

	set = mailimap_set_new_single(uid);
	if (mailimap_has_extension(im->m, "MOVE")) {
		r = mailimap_uid_move(im->m, set, folder);
		if (!etpan_ok(r))
			goto fail;
		mailimap_set_free(set);
		return IMAP_OK;
	}
	if (!etpan_ok(r = mailimap_uid_copy(im->m, set, folder)))
		goto fail;
	fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	flags = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(im->m, set, flags);
	mailimap_store_att_flags_free(flags);
	if (!etpan_ok(r))
		goto fail;
	if (mailimap_has_extension(im->m, "UIDPLUS"))
		r = mailimap_uid_expunge(im->m, set);
	else
		r = mailimap_expunge(im->m);
	if (!etpan_ok(r))
		goto fail;
	mailimap_set_free(set);
	return IMAP_OK;
fail:
	mailimap_set_free(set);
	e = etpan_error(im, r);
	xasprintf(cause, "%s: moving UID %u failed: %s", im->host, uid,
	    e == IMAP_ENET ? "connection lost" : server_text(im));
	return e;
}

enum imap_error
imap_noop(struct imap *im, char **cause)
{
	int	r;

	r = mailimap_noop(im->m);
	if (etpan_ok(r))
		return IMAP_OK;
	xasprintf(cause, "%s: NOOP failed", im->host);
	return etpan_error(im, r);
}

enum imap_error
imap_idle_start(struct imap *im, char **cause)
{
	int	r;

	r = mailimap_idle(im->m);
	if (!etpan_ok(r)) {
		xasprintf(cause, "%s: IDLE failed", im->host);
		return etpan_error(im, r);
	}
	im->idling = 1;
	return IMAP_OK;
}

int
imap_idle_fd(struct imap *im)
{
	return mailimap_idle_get_fd(im->m);
}

int
imap_idle_pending(struct imap *im)
{
	/* A notification may have come in the same packet as "+ idling". */
	return im->m->imap_stream != NULL &&
	    im->m->imap_stream->read_buffer_len > 0;
}

enum imap_error
imap_idle_done(struct imap *im, char **cause)
{
	int	r;

	im->idling = 0;
	r = mailimap_idle_done(im->m);
	if (etpan_ok(r))
		return IMAP_OK;
	xasprintf(cause, "%s: ending IDLE failed", im->host);
	im->dead = 1;
	return IMAP_ENET;
}
