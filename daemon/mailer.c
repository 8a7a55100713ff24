/*
 * mailer.c - render a template, compose the message, queue it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "date.h"
#include "log.h"
#include "mailer.h"
#include "outbox.h"
#include "store.h"
#include "template.h"
#include "xmalloc.h"

/* Administrators' copies of templates win over the shipped ones. */
#define TEMPLATE_OVERRIDES	"/etc/rapidreviewd/templates"

static const char	*weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
    "Sat", "Sun" };
static const char	*months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void
mailer_format_day(long day, char *buf, size_t len)
{
	struct rr_date	d;

	date_from_days(day, &d);
	snprintf(buf, len, "%s %d %s %d", weekdays[date_weekday(day)], d.day,
	    months[d.month - 1], d.year);
}

void
mailer_format_time(const struct config *cfg, long long t, char *buf,
    size_t len)
{
	struct rr_date	d;
	int		minutes;

	if (date_time_to_local(cfg->partnership.timezone, t, &d, &minutes) !=
	    0) {
		snprintf(buf, len, "%lld", t);
		return;
	}
	mailer_format_day(date_to_days(&d), buf, len);
	snprintf(buf + strlen(buf), len - strlen(buf), " %02d:%02d",
	    minutes / 60, minutes % 60);
}

/* Render NAME.EXT; *out NULL when an optional file is absent. */
static int
render(const struct config *cfg, const char *name, const char *ext,
    int optional, const struct tmpl_record *r, char **out, size_t *len,
    char **cause)
{
	struct tmpl	*t = NULL;
	int		 rc;

	*out = NULL;
	*len = 0;
	rc = tmpl_load_file(cfg->templates.directory, TEMPLATE_OVERRIDES,
	    name, ext, &t, cause);
	if (rc == TMPL_LOAD_MISSING && optional) {
		free(*cause);
		*cause = NULL;
		return 0;
	}
	if (rc != TMPL_LOAD_OK)
		return -1;
	rc = tmpl_render(t, r, strcmp(ext, "html") == 0, out, len);
	tmpl_free(t);
	if (rc != 0) {
		xasprintf(cause, "%s.%s: output too large", name, ext);
		return -1;
	}
	return 0;
}

static void
add_common(const struct config *cfg, struct tmpl_record *r,
    const struct mail_request *req, const char *child, long long now)
{
	struct rr_date	d;
	char		today[32];
	int		minutes;

	tmpl_record_set_string(r, "partnership", cfg->partnership.name);
	tmpl_record_set_string(r, "partnership_address",
	    cfg->partnership.address);
	tmpl_record_set_string(r, "business_manager",
	    cfg->partnership.business_manager);
	tmpl_record_set_string(r, "marking", cfg->partnership.marking);
	if (req->case_ref != NULL)
		tmpl_record_set_string(r, "case_ref", req->case_ref);
	/* SPEC §4: subjects name the child only when configured to. */
	if (child != NULL && cfg->partnership.identify_child_in_subject)
		tmpl_record_set_string(r, "subject_child", child);
	if (date_time_to_local(cfg->partnership.timezone, now, &d,
	    &minutes) == 0) {
		mailer_format_day(date_to_days(&d), today, sizeof today);
		tmpl_record_set_string(r, "today", today);
	}
}

static struct compose_address *
addresses(const char *const *v, size_t n)
{
	struct compose_address	*a;
	size_t			 i;

	a = xcalloc(n == 0 ? 1 : n, sizeof *a);
	for (i = 0; i < n; i++)
		a[i].addr = v[i];
	return a;
}

int
mailer_queue(struct store *st, const struct config *cfg, struct tmpl_record *r,
    const struct mail_request *req, const char *child, long long now,
    char *msgid_out, int *queued, char **cause)
{
	struct compose_message	 msg;
	struct compose_address	*to = NULL, *cc = NULL, reply;
	struct outbox_item	 item;
	const char		**rcpts = NULL;
	const char		*domain;
	char			*subject = NULL, *text = NULL, *html = NULL;
	char			*raw = NULL, msgid[COMPOSE_MSGID_MAX];
	char			 full[COMPOSE_MSGID_MAX];
	size_t			 slen, tlen, hlen, rawlen, i, n;
	int			 rc = -1;

	*queued = 0;
	add_common(cfg, r, req, child, now);
	if (render(cfg, req->template, "subject", 0, r, &subject, &slen,
	    cause) != 0 ||
	    render(cfg, req->template, "txt", 0, r, &text, &tlen, cause) != 0 ||
	    render(cfg, req->template, "html", 1, r, &html, &hlen, cause) != 0)
		goto out;
	/* The subject file ends with a newline; a header must not. */
	subject[strcspn(subject, "\r\n")] = '\0';

	domain = strrchr(cfg->partnership.address, '@') + 1;
	if (compose_message_id(domain, now, msgid) != 0) {
		xasprintf(cause, "cannot make a Message-ID");
		goto out;
	}
	to = addresses(req->to, req->nto);
	cc = addresses(req->cc, req->ncc);
	memset(&msg, 0, sizeof msg);
	msg.from.addr = cfg->partnership.address;
	msg.from.name = cfg->partnership.display_name;
	msg.to = to;
	msg.nto = req->nto;
	msg.cc = cc;
	msg.ncc = req->ncc;
	if (req->reply_to != NULL) {
		reply.addr = req->reply_to;
		reply.name = cfg->partnership.display_name;
		msg.reply_to = &reply;
	}
	msg.subject = subject;
	msg.message_id = msgid;
	msg.date = now;
	msg.timezone = cfg->partnership.timezone;
	msg.in_reply_to = req->in_reply_to;
	msg.loop = cfg->partnership.address;
	msg.text = text;
	msg.text_len = tlen;
	msg.html = html;
	msg.html_len = hlen;
	msg.alternatives = req->alternatives;
	msg.nalternatives = req->nalternatives;
	msg.attachments = req->attachments;
	msg.nattachments = req->nattachments;
	if (compose_build(&msg, &raw, &rawlen, cause) != 0)
		goto out;

	/* One SMTP transaction per recipient, To and Cc alike. */
	n = req->nto + req->ncc;
	rcpts = xreallocarray(NULL, n == 0 ? 1 : n, sizeof *rcpts);
	for (i = 0; i < req->nto; i++)
		rcpts[i] = req->to[i];
	for (i = 0; i < req->ncc; i++)
		rcpts[req->nto + i] = req->cc[i];
	memset(&item, 0, sizeof item);
	item.template = req->template;
	item.case_ref = req->case_ref;
	item.agency = req->agency;
	/* Stored without <>, as every msgid column is. */
	memcpy(full, msgid, sizeof full);
	msgid[strlen(msgid) - 1] = '\0';
	item.msgid = msgid + 1;
	if (req->in_reply_to != NULL) {
		item.in_reply_to = req->in_reply_to;
		item.refs = req->in_reply_to;
	}
	item.subject = subject;
	item.envelope_from = cfg->partnership.address;
	item.recipients = rcpts;
	item.n_recipients = n;
	item.raw = raw;
	item.len = rawlen;
	item.dedupe_key = req->dedupe_key;
	if (outbox_queue(st, &item, now, queued, cause) != 0)
		goto out;
	if (msgid_out != NULL)
		memcpy(msgid_out, full, COMPOSE_MSGID_MAX);
	rc = 0;
out:
	free(subject);
	free(text);
	free(html);
	free(raw);
	free(to);
	free(cc);
	free(rcpts);
	return rc;
}
