/*
 * mailnames.h - the names each outgoing mail template may use (SPEC §4).
 *
 * Every template (NAME.subject, NAME.txt, optional NAME.html) may use the
 * names common to all mail:
 *	partnership, partnership_address, business_manager, marking,
 *	case_ref, subject_child, today
 * and its own, listed in mailnames.c. A name a template uses that is not
 * in its list is a configuration error, found at start, at SIGHUP and by
 * --check-config rather than rendered as a blank at send time.
 *
 * Privacy rule: no .subject may use "child" (the child's identifier);
 * subjects use subject_child, which the code leaves empty unless
 * identify_child_in_subject = yes.
 */
#ifndef RR_MAILNAMES_H
#define RR_MAILNAMES_H

#include <stddef.h>

/*
 * The names template may use, a NULL-terminated array, or NULL when
 * template is not one of ours. Static storage.
 */
const char *const *mail_template_names(const char *template);

/* Every template name ("alert", "digest", ...), NULL-terminated. */
const char *const *mail_template_list(void);

/*
 * Load every template from dir, each file from override_dir instead when
 * it holds one (override_dir may be NULL): .subject and .txt are required,
 * .html is optional. Check each against its names, and check that no
 * .subject uses "child" or renders to more than one line.
 * *problems is set to an array of *n messages, "path:line: message" (or
 * "path: message"), one for every problem found; the caller frees each
 * and the array. Returns 0 when there is none (*problems NULL, *n 0),
 * else -1.
 */
int	mail_check_templates(const char *dir, const char *override_dir,
	    char ***problems, size_t *n);

#endif
