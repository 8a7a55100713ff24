/*
 * oauth.h - OAuth 2.0 access tokens for the mailbox and the sender
 * (SPEC §7.1): client_credentials, refresh_token and service_account
 * (Google domain-wide delegation, a JWT signed RS256), from the provider's
 * token endpoint over libcurl with the certificate verified.
 *
 * The access token lives in this object's memory only: never in a log, a
 * file, the database or a process argument. It is wiped when replaced and
 * when the object is freed. Secrets (client secret, refresh token, the
 * service account's key) are read when needed and wiped after use.
 *
 * Errors from the provider are turned into plain words for the
 * administrator: the OAuth error code, the provider's error_description
 * (AADSTS code included) and what to do, never the token or the secret.
 */
#ifndef RR_OAUTH_H
#define RR_OAUTH_H

#include <stdio.h>

struct config;
struct oauth;

/* Renew when less than this is left (SPEC §7.1: five minutes). */
#define OAUTH_RENEW_MARGIN	300

/* Why a token could not be had, for callers that branch on it. */
enum oauth_error {
	OAUTH_OK = 0,
	OAUTH_ENET,	/* no answer, TLS, timeout, 5xx: try again later */
	OAUTH_EREFUSED,	/* the provider refused (invalid_client, 4xx...) */
	OAUTH_ECONFIG,	/* a secret file is missing or unreadable */
};

/*
 * An OAuth client for cfg->oauth (which must be configured). Reads
 * nothing yet. Returns the client (free with oauth_free), or NULL with
 * *cause set (caller frees).
 */
struct oauth	*oauth_new(const struct config *cfg, char **cause);
void		 oauth_free(struct oauth *);

/*
 * A bearer access token with at least OAUTH_RENEW_MARGIN seconds left at
 * now (wall-clock seconds), fetched from the token endpoint when the held
 * one is missing, invalidated or near expiry. The string is owned by the
 * client and valid until the next oauth_token or oauth_invalidate call.
 * Returns NULL with *err and *cause set (caller frees) when none can be
 * had. With flow refresh_token a rotated refresh token is written back to
 * refresh_token_file atomically (temporary file, fsync, rename), mode
 * 0600, before the access token is returned; when that write fails it is
 * logged, the new refresh token is kept in memory for the next renewal
 * (and written then), and the access token is still returned. Tokens
 * shorter than 2 * OAUTH_RENEW_MARGIN: see oauth_renew_margin. When the
 * endpoint cannot be reached (OAUTH_ENET) but the held token has not yet
 * expired, that one is returned (with a warning logged) and renewal is
 * tried again at the next call: an outage of the provider shorter than
 * the margin costs no login.
 */
const char	*oauth_token(struct oauth *, long long now,
		    enum oauth_error *err, char **cause);

/* Drop the held token (a login refused it): the next call fetches anew. */
void		 oauth_invalidate(struct oauth *);

/* When the held token expires (wall-clock seconds), 0 when none is held. */
long long	 oauth_expires_at(const struct oauth *);

/*
 * The device-authorization grant (RFC 8628) for `rapidreviewctl oauth
 * login`: asks device_url for a code, prints the address and the code to
 * enter to out, polls the token endpoint at the interval the provider
 * gives (slow_down honoured) until the user signs in, the code expires or
 * the provider refuses, and stores the refresh token it gets in
 * refresh_token_file as oauth_token does. Returns 0, or -1 with *cause.
 */
int		 oauth_device_login(struct oauth *, FILE *out, char **cause);

/*
 * The SASL XOAUTH2 initial response for user and token, not yet base64:
 * "user=" USER "\1auth=Bearer " TOKEN "\1\1". Caller wipes and frees.
 */
char		*oauth_xoauth2_response(const char *user, const char *token);

/* Wipe and free a string that held a secret; NULL is fine. */
void		 oauth_wipe(char *);

/*
 * How long before expiry a token of that lifetime (expires_in) is renewed:
 * OAUTH_RENEW_MARGIN, or a third of the lifetime when the lifetime is
 * under twice the margin (test beds give ~8 s tokens; with a fixed five
 * minutes such a token would be fetched anew at every call). So
 * oauth_token's "at least OAUTH_RENEW_MARGIN seconds left" reads "at
 * least a third of its life left" for such short tokens.
 */
long long	 oauth_renew_margin(long long lifetime);

/*
 * Internals, exposed for the unit tests (tests/unit/test_oauth.c); the
 * daemon calls only the functions above.
 */

/* What a token or device-authorization endpoint answered. */
struct oauth_answer {
	char		*access_token;		/* wiped by _clear */
	char		*refresh_token;		/* wiped by _clear */
	char		*device_code;		/* wiped by _clear */
	char		*user_code;
	char		*verification_uri;	/* or Google's verification_url */
	char		*message;		/* Microsoft's sign-in text */
	char		*error;			/* the OAuth error code, if any */
	long long	 expires_in;		/* -1 when absent */
	long long	 interval;		/* -1 when absent */
};

/*
 * Read an endpoint's answer (json, len bytes; HTTP status). Returns 0 with
 * a filled when the status is 2xx and the JSON carries no error (a may
 * still lack access_token: the caller checks). Otherwise -1 with *err
 * (OAUTH_ENET for 5xx, 429, temporarily_unavailable, server_error; else
 * OAUTH_EREFUSED), a->error set when the answer had one, and *cause in
 * plain words: "the token endpoint refused (HTTP 401): invalid_client:
 * AADSTS7000215: Invalid client secret provided...; HINT" (the first line
 * of error_description only). refresh_flow picks invalid_grant's hint.
 * Free a with oauth_answer_clear in both cases.
 */
int		 oauth_parse_answer(const char *json, size_t len, long status,
		    int refresh_flow, struct oauth_answer *a,
		    enum oauth_error *err, char **cause);
void		 oauth_answer_clear(struct oauth_answer *);

/*
 * Replace the file at path with token and a newline, atomically: a
 * temporary file beside it (PATH.tmpPID, O_EXCL, mode 0600), write, fsync,
 * rename over path, fsync the folder. Returns 0, or -1 with *cause.
 */
int		 oauth_store_refresh_token(const char *path, const char *token,
		    char **cause);

/*
 * A JWT for Google's domain-wide delegation, signed RS256 with pem (a
 * PKCS#8 or PKCS#1 RSA private key, PEM, pem_len bytes): header
 * {"alg":"RS256","typ":"JWT"}, claims {iss, scope, aud, sub (left out when
 * NULL), iat, exp = iat + 3600}, each part base64url without padding.
 * Returns the JWT (caller frees with oauth_wipe), or NULL with *cause.
 */
char		*oauth_jwt_build(const char *client_email, const char *pem,
		    size_t pem_len, const char *scope, const char *aud,
		    const char *sub, long long iat, char **cause);

#endif
