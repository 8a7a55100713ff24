/*
 * mime.h - a whole message parsed: headers, the part tree, attachments,
 * and the text a person typed, separated from quoted history.
 *
 * mime_parse() copies everything it returns; the raw buffer may be freed
 * afterwards. Every string is UTF-8 (charsets converted, RFC 2047 and
 * RFC 2231 decoded; invalid bytes replaced by U+FFFD) and NUL-terminated.
 * Attachment file names are sanitised for display and never used as paths.
 */
#ifndef RR_MIME_H
#define RR_MIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct mime_limits {
	uint64_t	max_message_size;	/* bytes */
	uint64_t	max_attachment_size;	/* bytes, decoded */
	unsigned	max_depth;		/* nesting of multiparts/rfc822 */
	unsigned	max_parts;
	unsigned	max_headers;		/* header fields per entity */
	unsigned	max_params;		/* parameters per header field */
};

/*
 * The defaults of SPEC §7 [limits]: 50 MB message, 25 MB part, depth 32,
 * 1000 parts, 1000 header fields per entity, 100 parameters per field.
 */
void	mime_limits_default(struct mime_limits *);

struct mime_header {
	char	*name;		/* as written */
	char	*value;		/* unfolded, RFC 2047 decoded */
};

struct mime_address {
	char	*name;		/* display name, decoded; may be "" */
	char	*addr;		/* local@domain, lower-cased domain */
};

struct mime_part {
	int		 parent;	/* index in parts, -1 for the root */
	unsigned	 depth;
	char		*content_type;	/* lower case "type/subtype" */
	char		*charset;	/* lower case, or NULL */
	char		*filename;	/* sanitised, or NULL */
	char		*disposition;	/* "attachment", "inline" or NULL */
	int		 is_attachment;	/* a file the sender attached */
	int		 from_tnef;	/* unpacked from winmail.dat */
	unsigned char	*data;		/* decoded body of a leaf, NUL after
					   the last byte; NULL else */
	size_t		 len;
	char		 sha256[65];	/* hex of data, for leaves */
};

/* One recipient line of a delivery status notification (RFC 3464). */
struct mime_dsn {
	char	*recipient;	/* Final- or Original-Recipient address */
	char	*action;	/* failed, delayed, ...; lower case, or NULL */
	char	*status;	/* "5.1.1", or NULL */
	char	*diagnostic;	/* Diagnostic-Code, may be NULL */
};

struct mime_message {
	struct mime_header	*headers;	/* top-level, in order */
	size_t			 n_headers;

	char			*message_id;	/* without <>, or NULL */
	char			*in_reply_to;	/* without <>, or NULL */
	char			**references;	/* without <> */
	size_t			 n_references;
	char			*subject;	/* decoded, "" if none */
	struct mime_address	 from;		/* addr NULL if unparsable */
	struct mime_address	*to, *cc;
	size_t			 n_to, n_cc;
	char			*return_path;	/* NULL: none; "" for <> */
	time_t			 date;		/* 0 if missing or bad */

	struct mime_part	*parts;		/* tree order, root first */
	size_t			 n_parts;

	char			*text;		/* the body as text, "\n" ends */
	int			 text_from_html; /* no text/plain was there */
	char			*new_text;	/* what was typed this time */
	char			*quoted_text;	/* quoted history, signatures */

	int			 is_report;	/* multipart/report; delivery-status */
	struct mime_dsn		*dsn;
	size_t			 n_dsn;
	char			*dsn_original_message_id; /* of the bounced mail */

	char			**warnings;	/* things a person should know */
	size_t			 n_warnings;
};

enum mime_error {
	MIME_OK = 0,
	MIME_ELIMIT,	/* over a limit: *cause says which */
	MIME_EPARSE,	/* not a message at all */
};

/*
 * Parse len bytes of raw RFC 5322 message. Returns MIME_OK with *out set
 * (free with mime_message_free), or an error with *cause set (caller
 * frees) and *out NULL. A message over a limit is refused whole: the
 * caller quarantines it with the cause as the reason.
 */
enum mime_error	mime_parse(const char *raw, size_t len,
		    const struct mime_limits *, struct mime_message **out,
		    char **cause);
void		mime_message_free(struct mime_message *);

/* The first top-level header of that name (case-insensitive), or NULL. */
const char	*mime_header(const struct mime_message *, const char *name);

/*
 * Split a text body into what was typed this time and the quoted history
 * ("> " lines, Outlook's "From: ... Sent: ..." blocks, "On ... wrote:",
 * "-----Original Message-----", signatures after "-- "). Each output is
 * the input's lines, unchanged, in order, without leading or trailing
 * blank lines; both are caller-freed and never NULL. Exposed for the
 * return readers, which look inside quotes.
 */
void	mime_split_quoted(const char *text, char **new_text, char **quoted);

/*
 * HTML (UTF-8; invalid bytes are replaced) to plain text with libxml2's
 * HTML parser (no network, no entities from outside). Block elements end
 * lines, <blockquote> content is prefixed "> ", script and style dropped.
 * Never NULL. Caller frees.
 */
char	*mime_html_to_text(const char *html, size_t len);

/*
 * Convert len bytes in the named charset (any case; NULL or unknown: read
 * as UTF-8 when the bytes are valid UTF-8, else as Windows-1252, as are
 * us-ascii and iso-8859-1) to UTF-8. Invalid sequences and NUL bytes
 * become U+FFFD; never fails. Caller frees.
 */
char	*mime_to_utf8(const char *charset, const void *data, size_t len);

/*
 * A file name made safe to show and store: the last path component (after
 * / or \), valid UTF-8, control and bidi-override characters and leading
 * dots and spaces removed, at most 200 bytes (keeping a short extension).
 * NULL when name is NULL or nothing is left. Caller frees.
 */
char	*mime_filename_sanitise(const char *name);

/* One attachment or body unpacked from a TNEF stream (winmail.dat). */
struct mime_tnef_file {
	char		*filename;	/* UTF-8, not sanitised, or NULL */
	char		*content_type;	/* lower case, never NULL */
	int		 is_body;	/* the message body, not an attachment */
	unsigned char	*data;		/* NUL after the last byte */
	size_t		 len;
};

/*
 * Unpack at most max_files entries of len bytes of TNEF; an entry over
 * max_size bytes is left out. Returns 0, or -1 with *cause set (caller
 * frees) when the stream is not TNEF, is damaged or holds more; what was
 * read before the trouble is returned either way in *files and *n (free
 * with mime_tnef_free). Every length is checked against the buffer.
 */
int	mime_tnef_unpack(const unsigned char *data, size_t len,
	    size_t max_files, uint64_t max_size, struct mime_tnef_file **files,
	    size_t *n, char **cause);
void	mime_tnef_free(struct mime_tnef_file *, size_t);

#endif
