/*
 * alert.h - telling the business manager (SPEC §4 template "alert").
 *
 * Alerts are rows of the alerts table, written by whatever found the
 * problem in its own transaction. alert_mail_pending() turns each alert
 * without mail into one message to the business manager, queued in the
 * outbox in the same transaction that marks the alert as mailed, so an
 * alert is mailed once however often it runs.
 */
#ifndef RR_ALERT_H
#define RR_ALERT_H

#include <stddef.h>

struct config;
struct store;

/*
 * Queue mail for every pending alert (at most 100 a call). *queued counts
 * them. Returns 0, or -1 with *cause set (caller frees) when a template is
 * missing or broken or the store fails; then nothing is queued.
 */
int	alert_mail_pending(struct store *, const struct config *,
	    long long now, size_t *queued, char **cause);

/* A sentence for an alert kind ("a message was quarantined"). */
const char *alert_kind_text(const char *kind);

#endif
