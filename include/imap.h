/*
 * imap.h - one IMAP session over libetpan, verified TLS only.
 *
 * imap_open() connects (IMAPS, or IMAP with STARTTLS required), checks the
 * server's certificate and host name with tls.c BEFORE any credential is
 * sent, logs in, refreshes capabilities and selects the folder. Every call
 * is bounded by the session timeout. After any error but IMAP_NO the
 * session is dead: close it and open a new one.
 */
#ifndef RR_IMAP_H
#define RR_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct imap;

struct imap_params {
	const char		*host;
	uint16_t		 port;
	int			 implicit_tls;	/* imaps:// */
	int			 tls;		/* 0: plaintext, loopback only */
	const char		*folder;
	const char		*user;
	const char		*secret;	/* password or OAuth token */
	enum mailbox_auth	 auth;
	const char		*ca_file;	/* NULL: system trust */
	unsigned		 timeout;	/* seconds, every call */
};

/* What went wrong, for callers that branch on it. */
enum imap_error {
	IMAP_OK = 0,
	IMAP_ENET,	/* connect, stream or timeout: retry later */
	IMAP_ETLS,	/* certificate or TLS refused: retry later, loudly */
	IMAP_EAUTH,	/* login refused */
	IMAP_ENO,	/* the server said NO to one command; session alive */
};

/*
 * Open a session. Returns it, or NULL with *err and *cause set (caller
 * frees cause). The cause never contains the secret.
 */
struct imap	*imap_open(const struct imap_params *, enum imap_error *err,
		    char **cause);

/* Log out when alive (bounded by the timeout) and free everything. */
void		 imap_close(struct imap *);

/* The selected folder's UIDVALIDITY, UIDNEXT (0 if not sent) and size. */
uint32_t	 imap_uidvalidity(const struct imap *);
uint32_t	 imap_uidnext(const struct imap *);
uint32_t	 imap_exists(const struct imap *);
int		 imap_has_idle(const struct imap *);

/*
 * UIDs of messages with UID >= from, ascending. *uids is caller-freed.
 * Returns IMAP_OK or an error with *cause set.
 */
enum imap_error	 imap_uids_from(struct imap *, uint32_t from, uint32_t **uids,
		    size_t *n, char **cause);

/*
 * The RFC822.SIZE of one message (0 when it no longer exists), then its
 * raw bytes with BODY.PEEK[] (does not set \Seen). *data is caller-freed
 * and NUL-terminated after *len bytes.
 */
enum imap_error	 imap_size(struct imap *, uint32_t uid, uint32_t *size,
		    char **cause);
enum imap_error	 imap_fetch(struct imap *, uint32_t uid, char **data,
		    size_t *len, char **cause);

/*
 * The header section only (BODY.PEEK[HEADER]), for a message too large to
 * download whole. Same ownership as imap_fetch.
 */
enum imap_error	 imap_fetch_header(struct imap *, uint32_t uid, char **data,
		    size_t *len, char **cause);

/*
 * The server's name for a folder written with '/' between levels (as the
 * INI does): '/' becomes the server's hierarchy delimiter, learnt once
 * with LIST "" "". Caller frees.
 */
char		*imap_folder_name(struct imap *, const char *configured);

/* Create folder (a server name) unless it exists (LIST first). */
enum imap_error	 imap_ensure_folder(struct imap *, const char *folder,
		    char **cause);

/*
 * Move one message to folder: MOVE where the server has it, else COPY,
 * \Deleted and UID EXPUNGE (plain EXPUNGE without UIDPLUS).
 */
enum imap_error	 imap_move(struct imap *, uint32_t uid, const char *folder,
		    char **cause);

/* A NOOP, to learn of new mail without IDLE and to keep the line up. */
enum imap_error	 imap_noop(struct imap *, char **cause);

/*
 * IDLE: start, then wait for imap_idle_fd() to be readable (or for
 * imap_idle_pending() to be true: data libetpan already buffered), then
 * imap_idle_done(). After done, rescan by UID: what arrived is not kept.
 */
enum imap_error	 imap_idle_start(struct imap *, char **cause);
int		 imap_idle_fd(struct imap *);
int		 imap_idle_pending(struct imap *);
enum imap_error	 imap_idle_done(struct imap *, char **cause);

#endif
