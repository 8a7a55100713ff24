/*
 * requests.h - an agency's information request (SPEC §4 "request"): the
 * letter with the case background, the deadline, the personalised Word
 * return form and the text form, threaded under the case's first message
 * and queued inside the caller's transaction.
 */
#ifndef RR_REQUESTS_H
#define RR_REQUESTS_H

struct case_env;

/* Where the Word form lives, under the templates directory. */
#define REQUEST_FORM_PATH	"forms/agency-return.docx"

/*
 * Queue the request of ref's agency (a requests row must exist) from what
 * the store holds: the child, the incident, the background, the agency's
 * deadline (an extension wins) and the meeting-by date. resend = 1 queues
 * it again (the "resend" command); else it is queued once (dedupe key).
 * The request's state becomes 'requested' unless it has moved on.
 * Without the Word form file the request goes with the text form alone.
 * Returns 0, or -1 with *cause set (caller frees).
 */
int	request_send(const struct case_env *, const char *ref,
	    const char *agency, int resend, long long now, char **cause);

#endif
