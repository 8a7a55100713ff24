/*
 * cases.h - what the engine does with a Serious Incident Notification and
 * with an agency's reply, inside the ingest transaction (SPEC §2, §3.1).
 */
#ifndef RR_CASES_H
#define RR_CASES_H

#include <stdint.h>

#include "token.h"

struct calendar;
struct config;
struct mime_message;
struct store;

struct case_env {
	struct store		*store;
	const struct config	*cfg;
	const struct calendar	*cal;
	const unsigned char	*key;	/* reply-token key, TOKEN_KEY_LEN */
};

/*
 * Open a case from a SIN: parse its fields, refuse a duplicate (same
 * Panel reference, or same child and incident date: the notifier is told
 * the existing reference), compute the milestones, record the child, the
 * requests for every named and always_request agency, and queue the
 * acknowledgement (copy to the business manager), the query for missing
 * fields, and one request per agency, threaded under the acknowledgement.
 * *ref (caller frees) is the new or existing case reference.
 * Returns 0, or -1 with *cause set (caller frees; nothing should be
 * committed).
 */
int	case_open_from_sin(const struct case_env *,
	    const struct mime_message *, int64_t message_row, long long now,
	    char **ref, char **cause);

/*
 * A reply in a case: an administrator's is a note on the case; an
 * agency's is read for its return (returns.h). Returns 0 or -1 with
 * *cause.
 */
int	case_record_reply(const struct case_env *, const char *ref,
	    const char *agency, const struct mime_message *,
	    int64_t message_row, long long now, char **cause);

/*
 * Everything due at now: reminders, escalations, the panel reminder and
 * the daily digest, each queued once (dedupe keys), only on working days
 * at or after send_after. *queued counts the messages. Runs its own
 * transaction. Returns 0 or -1 with *cause.
 */
int	case_tick(const struct case_env *, long long now, size_t *queued,
	    char **cause);

#endif
