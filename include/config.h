/*
 * config.h - the INI configuration (SPEC §7), read with iniparser and
 * checked by our own strict parsers.
 *
 * config_load() reads the whole file in one pass and reports every problem
 * it finds as "file:line: message" in a struct config_diag: unknown sections
 * and keys, values that do not parse, missing required keys, secret files
 * readable by group or others, plaintext transport to a host other than
 * loopback. It returns a config only when there is no error; warnings do
 * not stop it. Relative paths are made relative to the INI file's folder.
 */
#ifndef RR_CONFIG_H
#define RR_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct calendar;

/* A list of strings from a comma-separated value. */
struct strlist {
	char	**v;
	size_t	  n;
};

enum mailbox_kind {
	MAILBOX_IMAPS,		/* TLS from the first byte */
	MAILBOX_IMAP,		/* STARTTLS (required unless tls = no) */
	MAILBOX_MAILDIR,
	MAILBOX_GRAPH,		/* graph://MAILBOX/FOLDER (SPEC §7.1) */
};

enum mailbox_auth {
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_XOAUTH2,
	AUTH_OAUTHBEARER,
};

enum day0_rule {
	DAY0_NOTIFIED,
	DAY0_AWARE,
	DAY0_RECEIVED,
};

enum smtp_kind {
	SMTP_NONE,
	SMTP_SMTPS,
	SMTP_STARTTLS,
	SMTP_SENDMAIL,
	SMTP_GRAPH,		/* graph://MAILBOX: Graph sendMail */
};

/* How [smtp] logs in: a password (PLAIN/LOGIN as curl picks) or XOAUTH2. */
enum smtp_auth {
	SMTP_AUTH_PASSWORD,
	SMTP_AUTH_XOAUTH2,
};

enum oauth_provider {
	OAUTH_MICROSOFT,
	OAUTH_GOOGLE,
	OAUTH_GENERIC,
};

enum oauth_flow {
	OAUTH_CLIENT_CREDENTIALS,
	OAUTH_REFRESH_TOKEN,
	OAUTH_SERVICE_ACCOUNT,
};

struct agency_config {
	char		*key;		/* [agency.KEY]: a-z 0-9 - _ */
	int		 line;		/* the section's line, for messages */
	char		*name;
	struct strlist	 aliases;
	struct strlist	 to;
	struct strlist	 allow;		/* sender patterns */
	struct strlist	 escalate_to;
	int		 always_request;
	int		 pack;
};

struct config {
	char	*path;			/* the INI file as given */
	char	*dir;			/* its folder, for relative paths */

	struct {
		char		*name;
		char		*address;
		char		*display_name;
		char		*business_manager;
		struct strlist	 admins;
		struct strlist	 attendees;
		char		*marking;	/* "" for none */
		int		 plus_addressing;
		int		 identify_child_in_subject;
		char		*timezone;
	} partnership;

	struct {
		char			*url;
		enum mailbox_kind	 kind;
		char			*host;
		uint16_t		 port;
		char			*folder;	/* "INBOX" by default */
		char			*maildir;	/* for MAILBOX_MAILDIR */
		char			*graph_mailbox;	/* for MAILBOX_GRAPH */
		int			 tls;		/* 0 only to loopback */
		char			*user;
		char			*password_file;
		char			*password_credential;
		enum mailbox_auth	 auth;
		char			*ca_file;	/* NULL: system trust */
		char			*processed_folder;
		char			*quarantine_folder;
		int			 idle;
		unsigned		 poll_seconds;
		unsigned		 timeout_seconds;
	} mailbox;

	struct {
		char		*url;
		enum smtp_kind	 kind;
		char		*host;
		uint16_t	 port;
		int		 tls;
		char		*user;
		char		*password_file;
		char		*password_credential;
		enum smtp_auth	 auth;
		char		*ca_file;
		char		*sendmail;
		char		*graph_mailbox;	/* for SMTP_GRAPH */
		unsigned	 timeout_seconds;
	} smtp;

	/*
	 * [oauth] (SPEC §7.1). configured is 1 when the section is present;
	 * every URL and the scope are filled with the provider's defaults
	 * when the INI leaves them empty, so users never see "".
	 * refresh_token_file is resolved against the state folder (the
	 * database's folder) when relative.
	 */
	struct {
		int			 configured;
		enum oauth_provider	 provider;
		enum oauth_flow		 flow;
		char			*tenant;
		char			*client_id;
		char			*client_secret_file;
		char			*client_secret_credential;
		char			*refresh_token_file;
		char			*service_account_file;
		char			*service_account_credential;
		char			*token_url;
		char			*device_url;
		char			*graph_url;
		char			*scope;
		char			*ca_file;	/* NULL: system trust */
		unsigned		 timeout_seconds;
	} oauth;

	struct {
		char		*database;
		char		*key_file;
		unsigned	 retention_days;
	} storage;

	struct {
		char		*directory;
	} templates;

	struct {
		char		*holidays_file;
		char		*division;
		long		*extra_closures;	/* day numbers */
		size_t		 n_extra_closures;
		int		 send_after;		/* minutes after midnight */
		int		 digest_time;
	} calendar;

	struct {
		enum day0_rule	 day0;
		int		 returns_due_day;
		int		*reminder_days;
		size_t		 n_reminder_days;
		int		 escalation_days;
		int		 meeting_by_day;
		int		 meeting_default_day;
		int		 pack_days_before_meeting;
		int		 panel_submission_day;
		int		 panel_reminder_day;
		int		 sin_due_days;
	} deadlines;

	struct {
		uint64_t	 max_message_size;
		uint64_t	 max_attachment_size;
		unsigned	 max_mime_depth;
		unsigned	 max_mime_parts;
		unsigned	 max_headers;
		unsigned	 max_zip_entries;
		uint64_t	 max_zip_expansion;
		unsigned	 max_zip_ratio;
	} limits;

	struct {
		int		 require_authentication;
		char		*trusted_authserv_id;
		struct strlist	 pack_allowed_domains;
	} security;

	struct {
		struct strlist	 allow;
		char		*sin_subject;
	} notifiers;

	struct {
		unsigned	 watchdog_seconds;	/* 0: from systemd */
		int		 verbose;
	} daemon;

	struct agency_config	*agencies;
	size_t			 n_agencies;
};

/* Problems found while loading; each text is "file:line: message". */
struct config_diag {
	struct config_diag_item {
		int	 line;		/* 0 when the problem is the file's */
		int	 warning;	/* 1: reported but not fatal */
		char	*text;
	}		*v;
	size_t		 n;
	size_t		 errors;
};

/*
 * Load and check path. Returns the config (free with config_free) when no
 * error was found, else NULL. Every error and warning is appended to diag,
 * which the caller frees with config_diag_free, whatever the result.
 */
struct config	*config_load(const char *path, struct config_diag *diag);
void		 config_free(struct config *);

/*
 * Build the working-day calendar the config names: the holidays file's
 * division plus extra_closures. Returns NULL with *cause set (caller frees).
 */
struct calendar	*config_calendar(const struct config *, char **cause);

/* The agency with that key, or NULL. */
const struct agency_config *config_agency(const struct config *,
	    const char *key);

void	config_diag_init(struct config_diag *);
void	config_diag_add(struct config_diag *, int warning, const char *file,
	    int line, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
void	config_diag_print(const struct config_diag *, FILE *);
void	config_diag_free(struct config_diag *);

/*
 * Strict value parsers shared with the command line. Each returns 0 and
 * writes *out, or -1 when the whole text is not such a value.
 */
int	config_parse_bool(const char *, int *out);
int	config_parse_uint(const char *, unsigned long long max,
	    unsigned long long *out);
int	config_parse_int(const char *, long long min, long long max,
	    long long *out);
int	config_parse_size(const char *, uint64_t *out);	/* 10, 5K, 50M, 1G */
int	config_parse_hhmm(const char *, int *minutes);	/* 00:00..23:59 */
int	config_parse_seconds(const char *, unsigned *out);	/* 90, 30s, 5m, 1h */

/* Where -i NAME looks: RR_CONFIG_DIR/NAME.ini. */
#define RR_CONFIG_DIR		"/etc/rapidreviewd"
#define RR_INSTANCE_MAX		64	/* characters in an instance name */

/*
 * The INI of instance name (rapidreviewd@NAME.service) into buf. The name
 * becomes part of a path, so only 1 to RR_INSTANCE_MAX of [a-z0-9_-] is
 * taken. Returns 0, or -1 when name is not such a name or buf too small.
 */
int	config_instance_path(const char *name, char *buf, size_t len);

/* The folder of path: "." without a '/', "/" for a file at the root. */
char	*config_path_dir(const char *path);

/* 1 when host names this machine's loopback (localhost, 127/8, ::1). */
int	config_host_is_loopback(const char *host);

/* 1 when address is a plausible addr-spec: one @, no space, no CR/LF. */
int	config_address_valid(const char *);

/* 1 when address matches pattern ("*@example.org", "x*@*.gov.uk"); case-insensitive. */
int	config_address_match(const char *pattern, const char *address);

#endif
