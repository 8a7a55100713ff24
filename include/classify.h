/*
 * classify.h - what a message is, whose it is, and whether its sender may
 * speak for that agency (SPEC §3, §3.2, §6).
 *
 * classify_message() is pure: it reads the parsed message, the config and
 * the token key, and asks the store only through the callbacks of struct
 * classify_env, so tests can answer them from a table.
 */
#ifndef RR_CLASSIFY_H
#define RR_CLASSIFY_H

#include "config.h"
#include "mime.h"
#include "token.h"

enum msg_kind {
	KIND_LOOP,		/* our own mail come back: ignore */
	KIND_AUTO,		/* automatic: record, never answer */
	KIND_BOUNCE,		/* delivery status notification */
	KIND_COMMAND,		/* from an admin, to +commands or "commands" */
	KIND_SIN,		/* Serious Incident Notification */
	KIND_REPLY,		/* an agency's reply to a case */
	KIND_QUARANTINE,	/* anything else, or not authorised */
};

enum match_how {
	MATCH_NONE,
	MATCH_TOKEN,		/* reply token in a recipient address */
	MATCH_SUBJECT,		/* [RR-YYYY-NNN] in the subject */
	MATCH_THREAD,		/* In-Reply-To / References to our mail */
};

/*
 * case_ref, agency and how are set when a case was matched (§3.2):
 * - KIND_REPLY: always a case; agency NULL for an administrator's note.
 * - KIND_AUTO with out_of_office: when the reply could be matched (token,
 *   subject tag or thread; no authorisation: it is only ever noted).
 * - KIND_SIN: a notifier's follow-up in an existing case's thread or with
 *   its tag (reason "serious incident notification (follow-up)"), so the
 *   engine does not open a second case.
 * - KIND_QUARANTINE for "sender not allowed for agency", "sender not
 *   allowed for any agency", "agency not configured" and "authentication
 *   failed": what was matched, for the alert.
 * auth_detail is set for KIND_COMMAND, KIND_SIN, KIND_REPLY and the
 * quarantines above ("authentication not required" when
 * require_authentication = no); NULL otherwise.
 */
struct classification {
	enum msg_kind	 kind;
	const char	*reason;	/* static text for the audit log */
	int		 out_of_office;	/* KIND_AUTO that is an OOO reply */
	char		*case_ref;	/* "RR-2024-007" or NULL */
	char		*agency;	/* agency key or NULL */
	enum match_how	 how;
	int		 alert;		/* tell the business manager */
	char		*auth_detail;	/* why authorised or not; no PII */
};

struct classify_env {
	const struct config	*cfg;
	const unsigned char	*token_key;	/* TOKEN_KEY_LEN bytes */
	/* Any callback may be NULL: then nothing is ours / no case exists. */
	/* 1 when msgid (no <>) is a message we sent. */
	int	(*is_our_message)(void *arg, const char *msgid);
	/*
	 * When msgid is a message we sent for a case: 1 with *ref and
	 * *agency (agency may be NULL) set, caller frees; else 0.
	 */
	int	(*thread_of)(void *arg, const char *msgid, char **ref,
		    char **agency);
	/* 1 when the case exists. */
	int	(*case_exists)(void *arg, const char *ref);
	void	*arg;
};

/*
 * Classify msg. Always fills *out (free its strings with
 * classification_clear); never fails: what cannot be understood is
 * KIND_QUARANTINE with a reason.
 */
void	classify_message(const struct mime_message *msg,
	    const struct classify_env *env, struct classification *out);
void	classification_clear(struct classification *);

/* Static name of a kind: "loop", "auto", "bounce", "command", "sin", "reply", "quarantine". */
const char *classify_kind_name(enum msg_kind);

/*
 * The [RR-YYYY-NNN] tag in a subject, through any prefixes; caller frees.
 * NULL when there is none.
 */
char	*classify_subject_ref(const char *subject);

/*
 * Check the topmost Authentication-Results header whose authserv-id is
 * trusted: 1 when it shows dmarc=pass, or dkim=pass for the sender's
 * domain; 0 otherwise, with *detail (static text) saying why.
 * trusted_authserv_id "exchange-online" reads the topmost header alone,
 * in the form Exchange Online writes it, with no authserv-id (SPEC §7.1).
 */
int	classify_authenticated(const struct mime_message *msg,
	    const char *trusted_authserv_id, const char **detail);

#endif
