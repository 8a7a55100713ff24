/*
 * graphsrc.c - the Microsoft Graph mail source: a delta query over the
 * folder, ingest, and only then move each message out of the way (see
 * graph.h; the same exactly-once shape as imapsrc.c).
 *
 * The ledger keys a message by its immutable id (Prefer: IdType=
 * "ImmutableId"), which survives the move. Everything the delta lists as
 * still in the folder is either new or was handled but not moved (a kill
 * between the commit and the move): the ledger tells which. The deltaLink
 * lives in memory only, so the first pass after a start lists the whole
 * folder; and it is advanced only after a pass that handled and moved
 * everything it listed, because a delta never lists an unchanged message
 * again: a move that failed must be seen by the next pass.
 *
 * Graph has no header-only $value: a message's MIME is read with a cap
 * of max_message_size, and a message over it is stored from its header
 * block (the first bytes, or internetMessageHeaders when even the header
 * is over the cap) with engine_ingest_oversize, as IMAP does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "config.h"
#include "engine.h"
#include "graph.h"
#include "log.h"
#include "xmalloc.h"

struct graphsrc_state {
	char	*folder;		/* the names the ids were found for */
	char	*processed;
	char	*quarantine;
	char	*folder_id;
	char	*processed_id;
	char	*quarantine_id;
	char	*delta_link;
};

/* The ids one pass works through, in delta order. */
struct graphsrc_list {
	struct graph_delta_item	*v;
	size_t			 n;
	size_t			 cap;
};

void
graphsrc_state_free(struct graphsrc_state *st)
{
	if (st == NULL)
		return;
	free(st->folder);
	free(st->processed);
	free(st->quarantine);
	free(st->folder_id);
	free(st->processed_id);
	free(st->quarantine_id);
	free(st->delta_link);
	free(st);
}

char *
graphsrc_mailbox_key(const struct config *cfg)
{
	char	*key;

	xasprintf(&key, "graph:%s/%s", cfg->mailbox.graph_mailbox != NULL ?
	    cfg->mailbox.graph_mailbox : "", cfg->mailbox.folder != NULL ?
	    cfg->mailbox.folder : "INBOX");
	return key;
}

/* ---- Delta pages ---------------------------------------------------- */

void
graph_delta_page_clear(struct graph_delta_page *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		free(p->items[i].id);
	free(p->items);
	free(p->next_link);
	free(p->delta_link);
	memset(p, 0, sizeof *p);
}

static char *
json_string_of(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

int
graph_delta_parse(const char *json, size_t len, struct graph_delta_page *p,
    char **cause)
{
	struct json_tokener	*tok;
	struct json_object	*o, *value, *it, *v;
	size_t			 i, n;
	int			 r = -1;

	memset(p, 0, sizeof *p);
	if ((tok = json_tokener_new_ex(64)) == NULL)
		fatalx("json_tokener_new failed");
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		*cause = xstrdup("graph: delta: the answer is not JSON");
		goto out;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "value", &value) ||
	    !json_object_is_type(value, json_type_array)) {
		*cause = xstrdup("graph: delta: the answer has no value list");
		goto out;
	}
	p->next_link = json_string_of(o, "@odata.nextLink");
	p->delta_link = json_string_of(o, "@odata.deltaLink");
	if (p->next_link == NULL && p->delta_link == NULL) {
		*cause = xstrdup("graph: delta: the answer has neither a "
		    "nextLink nor a deltaLink");
		goto out;
	}
	n = json_object_array_length(value);
	p->items = xreallocarray(NULL, n == 0 ? 1 : n, sizeof *p->items);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(value, i);
		if (it == NULL || !json_object_is_type(it, json_type_object) ||
		    !json_object_object_get_ex(it, "id", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0)
			continue;
		p->items[p->n].id = xstrdup(json_object_get_string(v));
		p->items[p->n].removed =
		    json_object_object_get_ex(it, "@removed", NULL);
		p->items[p->n].size = -1;
		if (json_object_object_get_ex(it, "size", &v) &&
		    json_object_is_type(v, json_type_int))
			p->items[p->n].size = json_object_get_int64(v);
		p->n++;
	}
	r = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

/* ---- Folders -------------------------------------------------------- */

/*
 * The id of the folder called name under parent_id (NULL: the top of the
 * mailbox, msgfolderroot), created when missing and create is set.
 * *id is NULL, with GRAPH_OK, when it is missing and create is not set.
 */
static enum graph_error
folder_child(struct graph *g, const char *parent_id, const char *name,
    int create, char **id, char **cause)
{
	struct json_object	*ans = NULL, *value, *f, *dn, *req;
	enum graph_error	 e;
	const char		*p;
	char			*coll, *esc, *quoted, *filter, *path;
	size_t			 qlen, i;
	long			 status;
	int			 tries;

	*id = NULL;
	if (parent_id == NULL)
		xasprintf(&coll, "%s/mailFolders", graph_user_path(g));
	else {
		esc = graph_escape(parent_id);
		xasprintf(&coll, "%s/mailFolders/%s/childFolders",
		    graph_user_path(g), esc);
		free(esc);
	}
	/* OData quotes a ' inside a string literal by doubling it. */
	quoted = xmalloc(2 * strlen(name) + 1);
	for (p = name, qlen = 0; *p != '\0'; p++) {
		if (*p == '\'')
			quoted[qlen++] = '\'';
		quoted[qlen++] = *p;
	}
	quoted[qlen] = '\0';
	xasprintf(&filter, "displayName eq '%s'", quoted);
	free(quoted);
	esc = graph_escape(filter);
	free(filter);
	xasprintf(&path, "%s?$filter=%s&$select=id,displayName", coll, esc);
	free(esc);

	for (tries = 0; tries < 2; tries++) {
		e = graph_call_json(g, "folders", "GET", path, NULL, NULL, &ans,
		    cause);
		if (e != GRAPH_OK)
			goto out;
		/* The filter narrows; the name decides (a server may ignore it). */
		if (ans != NULL &&
		    json_object_object_get_ex(ans, "value", &value) &&
		    json_object_is_type(value, json_type_array)) {
			for (i = 0; i < json_object_array_length(value); i++) {
				f = json_object_array_get_idx(value, i);
				if (f == NULL || !json_object_object_get_ex(f,
				    "displayName", &dn) ||
				    !json_object_is_type(dn, json_type_string) ||
				    strcasecmp(json_object_get_string(dn),
				    name) != 0)
					continue;
				if ((*id = json_string_of(f, "id")) != NULL)
					goto out;
			}
		}
		json_object_put(ans);
		ans = NULL;
		if (!create || tries > 0)
			goto out;

		req = json_object_new_object();
		json_object_object_add(req, "displayName",
		    json_object_new_string(name));
		e = graph_call_json(g, "create folder", "POST", coll, req,
		    &status, &ans, cause);
		json_object_put(req);
		if (e == GRAPH_OK && ans != NULL &&
		    (*id = json_string_of(ans, "id")) != NULL) {
			log_info("mailbox: created a Graph folder");
			goto out;
		}
		if (e == GRAPH_OK) {
			*cause = xstrdup("graph: create folder: the answer "
			    "has no id");
			e = GRAPH_ENO;
			goto out;
		}
		if (status != 409)
			goto out;
		/* Made by someone else meanwhile: look again. */
		free(*cause);
		*cause = NULL;
		json_object_put(ans);
		ans = NULL;
	}
out:
	json_object_put(ans);
	free(path);
	free(coll);
	return e;
}

/*
 * The id of the folder at path ('/' separating levels below the top of
 * the mailbox; a first level "Inbox", in any case, is the well-known
 * inbox). With create, missing levels are made.
 */
static enum graph_error
folder_resolve(struct graph *g, const char *path, int create, char **id,
    char **cause)
{
	enum graph_error	 e = GRAPH_OK;
	char			*copy, *seg, *save = NULL, *parent = NULL;
	char			*child;

	*id = NULL;
	copy = xstrdup(path);
	for (seg = strtok_r(copy, "/", &save); seg != NULL;
	    seg = strtok_r(NULL, "/", &save)) {
		if (parent == NULL && strcasecmp(seg, "inbox") == 0) {
			parent = xstrdup("inbox");
			continue;
		}
		e = folder_child(g, parent, seg, create, &child, cause);
		if (e != GRAPH_OK)
			goto out;
		if (child == NULL) {
			xasprintf(cause, "graph: the folder %s is missing",
			    path);
			e = GRAPH_ENO;
			goto out;
		}
		free(parent);
		parent = child;
	}
	if (parent == NULL) {
		xasprintf(cause, "graph: \"%s\" names no folder", path);
		e = GRAPH_ENO;
		goto out;
	}
	*id = parent;
	parent = NULL;
out:
	free(parent);
	free(copy);
	return e;
}

static struct graphsrc_state *
state_of(struct graph *g)
{
	struct graphsrc_state	**st = graph_src_state(g);

	if (*st == NULL)
		*st = xcalloc(1, sizeof **st);
	return *st;
}

static const char *
cfg_folder(const struct config *cfg)
{
	return cfg->mailbox.folder != NULL && *cfg->mailbox.folder != '\0' ?
	    cfg->mailbox.folder : "INBOX";
}

/* 1 when the ids held were found for cfg's folder names. */
static int
state_matches(const struct graphsrc_state *st, const struct config *cfg)
{
	return st->folder_id != NULL && st->processed_id != NULL &&
	    st->quarantine_id != NULL &&
	    strcmp(st->folder, cfg_folder(cfg)) == 0 &&
	    strcmp(st->processed, cfg->mailbox.processed_folder) == 0 &&
	    strcmp(st->quarantine, cfg->mailbox.quarantine_folder) == 0;
}

enum graph_error
graphsrc_prepare(struct graph *g, const struct config *cfg, char **cause)
{
	struct graphsrc_state	*st = state_of(g);
	enum graph_error	 e;
	char			*src = NULL, *proc = NULL, *quar = NULL;

	if ((e = folder_resolve(g, cfg_folder(cfg), 0, &src, cause)) !=
	    GRAPH_OK)
		goto fail;
	if ((e = folder_resolve(g, cfg->mailbox.processed_folder, 1, &proc,
	    cause)) != GRAPH_OK)
		goto fail;
	if ((e = folder_resolve(g, cfg->mailbox.quarantine_folder, 1, &quar,
	    cause)) != GRAPH_OK)
		goto fail;
	/* Another folder to read is another delta. */
	if (st->folder_id == NULL || strcmp(st->folder_id, src) != 0) {
		free(st->delta_link);
		st->delta_link = NULL;
	}
	free(st->folder);
	free(st->processed);
	free(st->quarantine);
	free(st->folder_id);
	free(st->processed_id);
	free(st->quarantine_id);
	st->folder = xstrdup(cfg_folder(cfg));
	st->processed = xstrdup(cfg->mailbox.processed_folder);
	st->quarantine = xstrdup(cfg->mailbox.quarantine_folder);
	st->folder_id = src;
	st->processed_id = proc;
	st->quarantine_id = quar;
	return GRAPH_OK;
fail:
	free(src);
	free(proc);
	free(quar);
	return e;
}

/* ---- One pass ------------------------------------------------------- */

static void
list_add(struct graphsrc_list *l, const struct graph_delta_item *it)
{
	size_t	i;

	/* A message listed twice (changed twice) is handled once. */
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].id, it->id) == 0) {
			l->v[i].removed = it->removed;
			if (it->size >= 0)
				l->v[i].size = it->size;
			return;
		}
	}
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n] = *it;
	l->v[l->n].id = xstrdup(it->id);
	l->n++;
}

static void
list_free(struct graphsrc_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].id);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/*
 * Every change since the deltaLink held (everything, without one), and
 * the deltaLink that follows them in *next_delta.
 */
static enum graph_error
delta_collect(struct graph *g, struct graphsrc_state *st,
    struct graphsrc_list *l, char **next_delta, char **cause)
{
	struct graph_delta_page	 page;
	struct graph_reply	 r;
	enum graph_error	 e;
	char			*url, *esc, *why = NULL;
	size_t			 i, pages = 0;
	int			 from_link = st->delta_link != NULL;

	*next_delta = NULL;
	if (from_link)
		url = xstrdup(st->delta_link);
	else {
		esc = graph_escape(st->folder_id);
		xasprintf(&url, "%s/mailFolders/%s/messages/delta?$select=id",
		    graph_user_path(g), esc);
		free(esc);
	}
	for (;;) {
		e = graph_call(g, "delta", "GET", url, NULL, NULL, 0,
		    GRAPH_JSON_MAX, &r, cause);
		if (e != GRAPH_OK && from_link && (r.status == 410 ||
		    (r.error_code != NULL && strcasecmp(r.error_code,
		    "SyncStateNotFound") == 0))) {
			/* The service forgot the state: start over. */
			log_info("mailbox: the Graph delta expired; listing the "
			    "folder again");
			graph_reply_clear(&r);
			free(*cause);
			*cause = NULL;
			free(st->delta_link);
			st->delta_link = NULL;
			list_free(l);
			free(url);
			return delta_collect(g, st, l, next_delta, cause);
		}
		if (e != GRAPH_OK)
			break;
		if (r.truncated) {
			xasprintf(cause, "graph: delta: a page over %u bytes",
			    GRAPH_JSON_MAX);
			e = GRAPH_ENO;
			break;
		}
		if (graph_delta_parse(r.body, r.len, &page, &why) != 0) {
			graph_delta_page_clear(&page);
			*cause = why;
			e = GRAPH_ENO;
			break;
		}
		graph_reply_clear(&r);
		for (i = 0; i < page.n; i++)
			list_add(l, &page.items[i]);
		pages++;
		free(url);
		url = NULL;
		if (page.next_link != NULL) {
			url = page.next_link;
			page.next_link = NULL;
			graph_delta_page_clear(&page);
			continue;
		}
		*next_delta = page.delta_link;
		page.delta_link = NULL;
		graph_delta_page_clear(&page);
		log_debug("mailbox: Graph delta: %zu pages, %zu changes", pages,
		    l->n);
		return GRAPH_OK;
	}
	graph_reply_clear(&r);
	free(url);
	return e;
}

/* The header block of a message's first bytes, or NULL with none. */
static char *
header_block(const char *data, size_t len, size_t *hlen)
{
	size_t	i;

	for (i = 0; i + 1 < len; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n') {
			*hlen = i + 2;
			return xstrndup(data, *hlen);
		}
		if (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n') {
			*hlen = i + 3;
			return xstrndup(data, *hlen);
		}
	}
	return NULL;
}

/* A header block from the message's internetMessageHeaders. */
static enum graph_error
header_from_json(struct graph *g, const char *esc_id, char **out,
    size_t *olen, long *status, char **cause)
{
	struct json_object	*ans = NULL, *list, *h;
	enum graph_error	 e;
	char			*path, *name, *value, *c;
	size_t			 i, n, len = 0, cap = 0;
	char			*b = NULL;
	int			 w;

	xasprintf(&path, "%s/messages/%s?$select=internetMessageHeaders",
	    graph_user_path(g), esc_id);
	e = graph_call_json(g, "headers", "GET", path, NULL, status, &ans,
	    cause);
	free(path);
	if (e != GRAPH_OK)
		return e;
	*status = 400;	/* from here on, this message's trouble */
	if (ans == NULL || !json_object_object_get_ex(ans,
	    "internetMessageHeaders", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		json_object_put(ans);
		*cause = xstrdup("graph: headers: the answer has none");
		return GRAPH_ENO;
	}
	n = json_object_array_length(list);
	for (i = 0; i <= n; i++) {
		if (i == n) {
			name = xstrdup("");
			value = NULL;
		} else {
			h = json_object_array_get_idx(list, i);
			if (h == NULL || (name = json_string_of(h, "name")) ==
			    NULL)
				continue;
			if ((value = json_string_of(h, "value")) == NULL)
				value = xstrdup("");
			/* One field, one line: no header can be smuggled in. */
			for (c = name; *c != '\0'; c++)
				if (*c == '\r' || *c == '\n' || *c == ':' ||
				    *c == ' ')
					*c = '-';
			for (c = value; *c != '\0'; c++)
				if (*c == '\r' || *c == '\n')
					*c = ' ';
		}
		if (len + strlen(name) + (value != NULL ? strlen(value) : 0) +
		    8 > cap) {
			cap = (len + strlen(name) + (value != NULL ?
			    strlen(value) : 0) + 8) * 2;
			b = xreallocarray(b, 1, cap);
		}
		if (i == n)
			w = snprintf(b + len, cap - len, "\r\n");
		else
			w = snprintf(b + len, cap - len, "%s: %s\r\n", name,
			    value);
		len += (size_t)w;
		free(name);
		free(value);
	}
	json_object_put(ans);
	*out = b;
	*olen = len;
	return GRAPH_OK;
}

/* Fetch and ingest one new message. */
static enum graph_error
ingest_message(struct graph *g, struct engine *eng, const struct config *cfg,
    const struct graph_delta_item *it, const struct ingest_key *k,
    long long now, struct ingest_outcome *out, long *status, char **cause)
{
	struct graph_reply	 r;
	enum graph_error	 e;
	uint64_t		 max = cfg->limits.max_message_size, size;
	char			*esc, *path, *hdr = NULL, *why = NULL;
	size_t			 hlen = 0;
	int			 rc;

	memset(&r, 0, sizeof r);
	*status = 0;
	esc = graph_escape(it->id);
	if (it->size >= 0 && (uint64_t)it->size > max) {
		size = (uint64_t)it->size;
		if ((e = header_from_json(g, esc, &hdr, &hlen, status,
		    cause)) != GRAPH_OK)
			goto out;
		goto oversize;
	}
	xasprintf(&path, "%s/messages/%s/$value", graph_user_path(g), esc);
	e = graph_call(g, "fetch", "GET", path, NULL, NULL, 0, (size_t)max,
	    &r, cause);
	free(path);
	*status = r.status;
	if (e != GRAPH_OK)
		goto out;
	if (!r.truncated) {
		rc = engine_ingest(eng, r.body != NULL ? r.body : "", r.len, k,
		    now, out, &why);
		goto done;
	}
	/* Over the limit: quarantined without being read whole (P9). */
	size = r.content_length > 0 && (uint64_t)r.content_length > max ?
	    (uint64_t)r.content_length : max + 1;
	if ((hdr = header_block(r.body, r.len, &hlen)) == NULL &&
	    (e = header_from_json(g, esc, &hdr, &hlen, status, cause)) !=
	    GRAPH_OK)
		goto out;
oversize:
	log_info("mailbox: Graph message %s is over max_message_size; "
	    "storing its header only", k->name);
	rc = engine_ingest_oversize(eng, hdr, hlen, size, k, now, out, &why);
done:
	if (rc != 0) {
		xasprintf(cause, "store: %s", why);
		free(why);
		e = GRAPH_ENO;
		*status = -1;	/* the store's failure, not the service's */
	}
out:
	free(hdr);
	free(esc);
	graph_reply_clear(&r);
	return e;
}

static enum graph_error
move_message(struct graph *g, const char *id, const char *dest,
    long *status, char **cause)
{
	struct json_object	*req, *ans = NULL;
	enum graph_error	 e;
	char			*esc, *path;

	esc = graph_escape(id);
	xasprintf(&path, "%s/messages/%s/move", graph_user_path(g), esc);
	free(esc);
	req = json_object_new_object();
	json_object_object_add(req, "destinationId",
	    json_object_new_string(dest));
	e = graph_call_json(g, "move", "POST", path, req, status, &ans,
	    cause);
	json_object_put(req);
	json_object_put(ans);
	free(path);
	return e;
}

enum graph_error
graphsrc_scan(struct graph *g, struct engine *eng, const struct config *cfg,
    long long now, void (*progress)(void *, size_t, size_t), void *arg,
    size_t *handled, char **cause)
{
	struct graphsrc_state	*st = state_of(g);
	struct graphsrc_list	 l;
	struct ingest_outcome	 out;
	struct ingest_key	 k;
	enum graph_error	 e;
	char			*mailbox, *next_delta = NULL, *why = NULL;
	size_t			 i, failed = 0;
	long			 status;
	int			 seen, moved, quarantined;

	*handled = 0;
	memset(&l, 0, sizeof l);
	if (!state_matches(st, cfg) &&
	    (e = graphsrc_prepare(g, cfg, cause)) != GRAPH_OK)
		return e;
	mailbox = graphsrc_mailbox_key(cfg);
	if ((e = delta_collect(g, st, &l, &next_delta, cause)) != GRAPH_OK)
		goto out;
	if (progress != NULL)
		progress(arg, 0, l.n);

	memset(&k, 0, sizeof k);
	k.mailbox = mailbox;
	for (i = 0; i < l.n; i++) {
		if (l.v[i].removed)
			goto next;
		k.name = l.v[i].id;
		seen = engine_ledger_seen(eng, &k, &moved, &quarantined, &why);
		if (seen < 0) {
			xasprintf(cause, "store: %s", why);
			free(why);
			e = GRAPH_ENO;
			goto out;
		}
		if (seen == 0) {
			e = ingest_message(g, eng, cfg, &l.v[i], &k, now, &out,
			    &status, cause);
			if (e == GRAPH_ENO && status == 404) {
				/* Moved or deleted by someone since the delta. */
				log_info("mailbox: Graph message %s is gone "
				    "before it was read", k.name);
				free(*cause);
				*cause = NULL;
				goto next;
			}
			if (e == GRAPH_ENO && status > 0) {
				/* This message alone: the rest go on. */
				log_warnx("mailbox: Graph message %s: %s",
				    k.name, *cause);
				free(*cause);
				*cause = NULL;
				failed++;
				goto next;
			}
			if (e != GRAPH_OK)
				goto out;
			quarantined = out.quarantined;
			if (out.result == INGEST_DONE)
				(*handled)++;
			log_debug("mailbox: Graph message %s ingested%s", k.name,
			    out.result == INGEST_DUPLICATE ? " (duplicate)" :
			    "");
		} else if (!moved)
			/* Committed before a crash, not yet moved: move only. */
			log_info("mailbox: Graph message %s was recorded "
			    "before; moving it only", k.name);
		e = move_message(g, k.name, quarantined ? st->quarantine_id :
		    st->processed_id, &status, cause);
		if (e == GRAPH_ENO && status == 404) {
			log_info("mailbox: Graph message %s is gone before it "
			    "was moved", k.name);
			free(*cause);
			*cause = NULL;
			goto next;
		}
		if (e == GRAPH_ENO) {
			log_warnx("mailbox: Graph message %s: %s", k.name,
			    *cause);
			free(*cause);
			*cause = NULL;
			failed++;
			goto next;
		}
		if (e != GRAPH_OK)
			goto out;
		if (engine_ledger_moved(eng, &k, now, &why) != 0) {
			/* The move happened; only the note of it is lost. */
			log_warnx("mailbox: %s", why);
			free(why);
			why = NULL;
		}
next:
		/* A long backlog is work, not a hang: tell the caller. */
		if (progress != NULL)
			progress(arg, i + 1, l.n);
	}
	if (failed > 0) {
		xasprintf(cause, "graph: %zu message%s could not be read or "
		    "moved; tried again next pass", failed, failed == 1 ? "" :
		    "s");
		e = GRAPH_ENO;
		goto out;
	}
	/* Everything listed is handled: the next pass needs only changes. */
	free(st->delta_link);
	st->delta_link = next_delta;
	next_delta = NULL;
	e = GRAPH_OK;
out:
	free(next_delta);
	list_free(&l);
	free(mailbox);
	return e;
}
