/*
 * mailer.h - one outgoing message from a template: render NAME.subject,
 * NAME.txt and (when present) NAME.html with a record, compose it with the
 * partnership's headers, and queue it in the outbox, all inside the
 * caller's transaction (SPEC §4: mail is queued with the event that causes
 * it).
 */
#ifndef RR_MAILER_H
#define RR_MAILER_H

#include <stddef.h>

#include "compose.h"

struct config;
struct store;
struct tmpl_record;

struct mail_request {
	const char			*template;	/* "request", "alert", ... */
	const char			*case_ref;	/* or NULL */
	const char			*agency;	/* or NULL */
	const char *const		*to;
	size_t				 nto;
	const char *const		*cc;
	size_t				 ncc;
	const char			*reply_to;	/* or NULL */
	const char			*in_reply_to;	/* "<id>" thread root, or NULL */
	const char			*dedupe_key;	/* or NULL */
	const struct compose_part	*alternatives;	/* e.g. text/calendar */
	size_t				 nalternatives;
	const struct compose_part	*attachments;
	size_t				 nattachments;
};

/*
 * Add the names every template may use (partnership, partnership_address,
 * business_manager, marking, case_ref, subject_child, today) to r, then
 * render, compose and queue req. child is the case's child identifier or
 * NULL: it becomes subject_child only with identify_child_in_subject = yes.
 * msgid (COMPOSE_MSGID_MAX bytes, may be NULL) receives the new
 * Message-ID with its <>. *queued is 0 when the dedupe key had been used.
 * Returns 0, or -1 with *cause set (caller frees): a missing or broken
 * template, an address refused by compose (CR/LF ...), or the store.
 */
int	mailer_queue(struct store *, const struct config *,
	    struct tmpl_record *r, const struct mail_request *req,
	    const char *child, long long now, char *msgid, int *queued,
	    char **cause);

/* "Mon 8 Jul 2024" and "Mon 8 Jul 2024 09:30" for a day or time. */
void	mailer_format_day(long day, char *buf, size_t len);
void	mailer_format_time(const struct config *, long long t, char *buf,
	    size_t len);

#endif
