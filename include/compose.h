/*
 * compose.h - build one complete RFC 5322 / MIME message for sending.
 *
 * The output is what goes to libcurl or sendmail as it is: CRLF line ends,
 * every header line at most 78 characters where the content allows and
 * never over 998, non-ASCII header text as RFC 2047 encoded-words (UTF-8,
 * Q or B, each at most 75 characters), attachment names as RFC 2231
 * filename*=UTF-8''... with an ASCII filename="..." beside it, text bodies
 * quoted-printable (lines <= 76), everything else base64 (76-character
 * lines), and random multipart boundaries checked against the content.
 *
 * Shape of the body, built from what is given:
 *	text only			text/plain
 *	text + html / alternatives	multipart/alternative: text/plain,
 *					text/html, then each alternative in
 *					order (the last is preferred)
 *	+ attachments			multipart/mixed around the above, then
 *					each attachment
 * An invitation Outlook accepts is a text/calendar alternative with method
 * "REQUEST" plus the same .ics as an attachment (e.g. application/ics).
 *
 * libcurl does not stop CR or LF in an address or file name (DESIGN §4):
 * compose_build() refuses the whole message when any address, display
 * name, subject, message id, header name or value, content type, method or
 * file name holds a CR, LF or other control character, or an address is
 * not a plausible addr-spec. Causes name the field, never its value, so
 * they are safe to log.
 */
#ifndef RR_COMPOSE_H
#define RR_COMPOSE_H

#include <stddef.h>

#define COMPOSE_MSGID_MAX	256	/* bytes of "<...@domain>" with NUL */
#define COMPOSE_DATE_MAX	40	/* bytes of an RFC 5322 date with NUL */
#define COMPOSE_TEXT_MAX	1000	/* bytes of a subject, display name,
					   header value */
#define COMPOSE_FILENAME_MAX	255	/* bytes of an attachment's name */

struct compose_address {
	const char	*addr;		/* addr-spec, ASCII: local@domain */
	const char	*name;		/* display name, UTF-8; NULL or "" for
					   none */
};

struct compose_header {
	const char	*name;		/* e.g. "X-RapidReview-Case" */
	const char	*value;		/* UTF-8; encoded when not ASCII */
};

struct compose_part {
	const char	*content_type;	/* "type/subtype", no parameters */
	const char	*method;	/* text/calendar "method=", or NULL */
	const char	*filename;	/* attachments: UTF-8 name (required);
					   alternatives: ignored */
	const void	*data;		/* bytes, carried as they are */
	size_t		 len;
};

/*
 * A message to build. Everything is borrowed for the call; nothing is
 * kept. Parts of type text (text/calendar, text/csv) are labelled
 * charset=UTF-8.
 */
struct compose_message {
	struct compose_address		 from;
	const struct compose_address	*to;		/* at least one */
	size_t				 nto;
	const struct compose_address	*cc;
	size_t				 ncc;
	const struct compose_address	*reply_to;	/* or NULL */
	const char			*subject;	/* UTF-8 */
	const char			*message_id;	/* "<id@domain>"; NULL:
							   made from From's
							   domain and date */
	long long			 date;		/* time_t */
	const char			*timezone;	/* for Date, e.g.
							   "Europe/London";
							   NULL for UTC */
	const char			*in_reply_to;	/* "<id>" or NULL */
	const char *const		*references;	/* "<id>"s, oldest
							   first; none and
							   in_reply_to set:
							   References is
							   in_reply_to */
	size_t				 nreferences;
	const char			*loop;		/* X-Loop address (the
							   partnership's), or
							   NULL for none */
	const struct compose_header	*headers;	/* extra headers */
	size_t				 nheaders;
	const char			*text;		/* text/plain body,
							   UTF-8; NULL is "" */
	size_t				 text_len;
	const char			*html;		/* or NULL */
	size_t				 html_len;
	const struct compose_part	*alternatives;	/* after text and html,
							   e.g. text/calendar
							   method REQUEST */
	size_t				 nalternatives;
	const struct compose_part	*attachments;
	size_t				 nattachments;
};

/*
 * Build the message. Headers come in this order: Date, From, To, Cc,
 * Reply-To, Subject, Message-ID, In-Reply-To, References, Auto-Submitted:
 * auto-generated, X-Loop, the extra headers, MIME-Version, Content-*.
 * On success *out is one malloc'd buffer (caller frees with free(3)), NUL
 * after the last byte, and *len its length. Returns -1 with *cause set
 * (caller frees) when any field is refused ("header injection: CR/LF in
 * Subject", "To address 2 is not a valid address", "header Subject is set
 * by compose", ...), the time zone is unknown, or random bytes cannot be
 * had.
 */
int	compose_build(const struct compose_message *, char **out, size_t *len,
	    char **cause);

/*
 * A new Message-ID, "<YYYYMMDDHHMMSS.hex@domain>": the UTC time of now and
 * 128 random bits from gnutls_rnd. now is a parameter like every clock in
 * the core (--now). Returns 0, or -1 when domain is not a plausible domain
 * or no random bytes could be had.
 */
int	compose_message_id(const char *domain, long long now,
	    char out[COMPOSE_MSGID_MAX]);

/*
 * t as an RFC 5322 date in zone ("Europe/London"; NULL or "" for UTC), e.g.
 * "Mon, 08 Jul 2024 09:30:00 +0100", with English names whatever the
 * locale. TZ is switched for the call and put back (the daemon is single
 * threaded). Returns 0, or -1 when the zone is not a known zoneinfo name.
 */
int	compose_date(long long t, const char *zone,
	    char out[COMPOSE_DATE_MAX]);

/*
 * 1 when s is a plausible addr-spec: dot-atom local part (at most 64
 * bytes), "@", a domain of letters, digits and hyphens in dot-separated
 * labels, at most 254 bytes in all, printable ASCII only. Quoted local
 * parts and address literals are not accepted.
 */
int	compose_address_valid(const char *s);

#endif
