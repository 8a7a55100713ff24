/*
 * returns.h - an agency's reply read for its return (SPEC §3.3), inside
 * the ingest transaction: the attachments and the text are read in order
 * of preference (DOCX, ODT, CSV, the typed text form), the return is
 * stored as a new version that supersedes the last, and the sender gets a
 * receipt, a query or a refusal.
 */
#ifndef RR_RETURNS_H
#define RR_RETURNS_H

#include <stdint.h>

struct case_env;
struct mime_message;

/*
 * What a reply from agency (allowed to write for it, already checked) in
 * case ref held:
 * - a return, complete or not: stored with its chronology, its
 *   attachment's SHA-256 and the readers' warnings; the request becomes
 *   'returned' (complete) or 'draft'; the receipt or the query is queued
 *   to the sender; the case becomes returns_complete when every request
 *   is returned or waived, and a pack already sent is marked stale;
 * - an attachment that will not be opened (macro-enabled, encrypted, over
 *   a limit, unreadable): the refused reply to the sender and an alert;
 * - a secure-portal notice (Egress, NHSmail [secure], Zix): an alert
 *   telling the business manager to fetch the return by hand;
 * - nothing of a return: a note on the request.
 * Every outcome is audited (counts and kinds, never content). Returns 0,
 * or -1 with *cause set (caller frees) when the store or a template
 * failed.
 */
int	return_record(const struct case_env *, const char *ref,
	    const char *agency, const struct mime_message *,
	    int64_t message_row, long long now, char **cause);

#endif
