/*
 * oauthtest.h - `rapidreviewctl oauth test` (SPEC §7.1).
 */
#ifndef RR_OAUTHTEST_H
#define RR_OAUTHTEST_H

#include <stdio.h>

struct config;

/*
 * Get a token from cfg's [oauth], print where it came from, its lifetime
 * and (for a JWT) the permissions it carries, then try the IMAP and SMTP
 * logins that use it, or the Graph mailbox, and print what each answered.
 * Sends no mail and prints no token or secret. Returns 0 when everything
 * tried worked, else -1.
 */
int	oauth_test_run(const struct config *cfg, FILE *out);

#endif
