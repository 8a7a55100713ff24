/*
 * smtp.h - a mail sink (outbox.h) over libcurl's SMTP.
 *
 * smtps://host:port (TLS from the first byte) or smtp://host:port with
 * STARTTLS required (CURLUSESSL_ALL, never "try"); plaintext only when the
 * configuration says tls = no, which config.c allows to loopback alone.
 * The server's certificate and host name are always verified, against
 * [smtp] ca_file when set, else the system's trust store. One SMTP
 * transaction per recipient; the message goes as it is (curl dot-stuffs
 * it). One curl handle is kept for the sink's life, so that consecutive
 * sends share a connection.
 *
 * Outcome of a send:
 *	250 after DATA				SINK_SENT
 *	5xx to MAIL FROM, RCPT TO, DATA or the
 *	    end of data				SINK_PERMANENT
 *	4xx, no connection, TLS or certificate
 *	    failure, refused login, timeout		SINK_TEMPORARY
 *	an unsafe envelope address		SINK_PERMANENT, nothing sent
 * A login the server refuses (535) is temporary: it is the account's
 * fault, not the message's, and mail must wait until it is fixed.
 */
#ifndef RR_SMTP_H
#define RR_SMTP_H

struct config;
struct mail_sink;
struct oauth;

/*
 * curl_global_init, once per process, before any other thread exists.
 * smtp_sink_new calls it when main has not. Returns 0, or -1 with *cause
 * set (caller frees).
 */
int	smtp_global_init(char **cause);

/* curl_global_cleanup, at exit, after every sink is freed. */
void	smtp_global_cleanup(void);

/*
 * A sink for cfg->smtp (kind SMTP_SMTPS or SMTP_STARTTLS). With auth =
 * xoauth2 it logs in as user with SASL XOAUTH2 (forced, never PLAIN) and
 * the access token auth gives at each send (borrowed: it must outlive the
 * sink); a token the server refuses is dropped and the send tried once
 * more with a new one on a new connection. Otherwise, when user is set,
 * the password is read now with secret_read() and held until
 * smtp_sink_free, which wipes it. Returns the sink (free with
 * smtp_sink_free), or NULL with *cause set (caller frees) when the kind is
 * not SMTP, the secret cannot be read or curl cannot be set up.
 */
struct mail_sink	*smtp_sink_new(const struct config *cfg,
			    struct oauth *auth, char **cause);
void			 smtp_sink_free(struct mail_sink *);

/*
 * Log in to cfg->smtp as a send would (TLS verified, then the password or
 * XOAUTH2 with auth's token) and say NOOP, sending no mail: for
 * `rapidreviewctl oauth test`. Returns 0, or -1 with *cause set (caller
 * frees; it holds the server's words, never the secret).
 */
int			 smtp_login_test(const struct config *cfg,
			    struct oauth *auth, char **cause);

#endif
