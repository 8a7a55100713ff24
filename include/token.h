/*
 * token.h - reply tokens: <local>+<ref>.<agency>.<mac>@<domain>.
 *
 * mac is the first 8 characters of the base32 (RFC 4648 alphabet, lower
 * case) HMAC-SHA256 of "<ref>.<agency>" (ref lower case, e.g.
 * "rr-2024-007.police") under a 32-byte key kept in the state directory.
 */
#ifndef RR_TOKEN_H
#define RR_TOKEN_H

#include <stddef.h>

#define TOKEN_KEY_LEN	32
#define TOKEN_MAC_LEN	8

/*
 * Read the key from path, or make one (GnuTLS random, mode 0600) when the
 * file does not exist. A key file readable by group or others, or of the
 * wrong size, is refused. Returns 0 or -1 with *cause set (caller frees).
 */
int	token_key_load(const char *path, unsigned char key[TOKEN_KEY_LEN],
	    char **cause);

/*
 * The mac of ref and agency, NUL-terminated in out. Both are lowered
 * first, so "RR-2024-007" and "rr-2024-007" give the same mac.
 */
void	token_mac(const unsigned char key[TOKEN_KEY_LEN], const char *ref,
	    const char *agency, char out[TOKEN_MAC_LEN + 1]);

/*
 * The reply address for ref and agency built on the partnership's address
 * ("rapidreview@x" gives "rapidreview+rr-2024-007.police.k3f9q2m1@x").
 * Caller frees.
 */
char	*token_address(const unsigned char key[TOKEN_KEY_LEN],
	    const char *partnership_address, const char *ref,
	    const char *agency);

enum token_result {
	TOKEN_NONE,	/* not a token address of ours */
	TOKEN_VALID,	/* *ref ("RR-2024-007") and *agency set; caller frees */
	TOKEN_FORGED,	/* shaped like one of ours, but the mac is wrong */
	TOKEN_COMMANDS,	/* the +commands address */
};

/*
 * Examine one recipient address against the partnership's address. The
 * domain and the local part are compared without regard to case. Any
 * "<local>+<detail>@<domain>" of ours whose detail is not "commands" and
 * does not verify (bad shape, unknown ref form, wrong mac) is
 * TOKEN_FORGED. ref and agency may be NULL when not wanted; on
 * TOKEN_VALID *ref is upper case ("RR-2024-007"), *agency lower case.
 */
enum token_result token_parse(const unsigned char key[TOKEN_KEY_LEN],
	    const char *partnership_address, const char *address, char **ref,
	    char **agency);

#endif
