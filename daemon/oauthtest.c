/*
 * oauthtest.c - `rapidreviewctl oauth test`: get a token, then try each
 * login the configuration uses (IMAP, SMTP, or the Graph mailbox), and say
 * what worked and what the provider or the server answered. Never the
 * token: only where it came from, how long it lives and, when it is a JWT
 * (Microsoft's are), the permissions it carries, so that an administrator
 * can see a missing grant without a debugger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "config.h"
#include "graph.h"
#include "imap.h"
#include "oauth.h"
#include "oauthtest.h"
#include "smtp.h"
#include "source.h"
#include "xmalloc.h"

/* base64url, no padding, as a JWT writes it. Returns bytes or -1. */
static ssize_t
b64url_decode(const char *in, size_t len, char *out, size_t size)
{
	unsigned	 acc = 0, bits = 0, v;
	size_t		 i, n = 0;
	char		 ch;

	for (i = 0; i < len; i++) {
		ch = in[i];
		if (ch >= 'A' && ch <= 'Z')
			v = (unsigned)(ch - 'A');
		else if (ch >= 'a' && ch <= 'z')
			v = (unsigned)(ch - 'a') + 26;
		else if (ch >= '0' && ch <= '9')
			v = (unsigned)(ch - '0') + 52;
		else if (ch == '-' || ch == '+')
			v = 62;
		else if (ch == '_' || ch == '/')
			v = 63;
		else if (ch == '=')
			break;
		else
			return -1;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return (ssize_t)n;
}

/*
 * The permissions a JWT access token names: "roles" (application) or
 * "scp" (delegated), and its audience. The signature is not checked: this
 * only reports what the provider put there. Prints nothing for an opaque
 * token.
 */
static void
print_grants(FILE *out, const char *token)
{
	const char		*p1, *p2;
	char			 payload[8192];
	struct json_object	*j, *v, *e;
	size_t			 i;

	if ((p1 = strchr(token, '.')) == NULL ||
	    (p2 = strchr(p1 + 1, '.')) == NULL ||
	    b64url_decode(p1 + 1, (size_t)(p2 - p1 - 1), payload,
	    sizeof payload) <= 0 ||
	    (j = json_tokener_parse(payload)) == NULL) {
		fprintf(out, "  the token is opaque (not a JWT): its "
		    "permissions cannot be shown\n");
		return;
	}
	if (json_object_object_get_ex(j, "aud", &v))
		fprintf(out, "  audience: %s\n", json_object_get_string(v));
	if (json_object_object_get_ex(j, "roles", &v) &&
	    json_object_is_type(v, json_type_array)) {
		fprintf(out, "  application permissions:");
		for (i = 0; i < json_object_array_length(v); i++) {
			e = json_object_array_get_idx(v, i);
			fprintf(out, " %s", json_object_get_string(e));
		}
		fprintf(out, "\n");
	}
	if (json_object_object_get_ex(j, "scp", &v))
		fprintf(out, "  delegated permissions: %s\n",
		    json_object_get_string(v));
	json_object_put(j);
	explicit_bzero(payload, sizeof payload);
}

static int
test_imap(const struct config *cfg, struct oauth *auth, FILE *out)
{
	struct imap_params	 p;
	struct imap		*im;
	enum imap_error		 err;
	enum oauth_error	 oerr;
	char			*cause = NULL;

	imapsrc_params(cfg, &p);
	if ((p.secret = oauth_token(auth, (long long)time(NULL), &oerr,
	    &cause)) == NULL) {
		fprintf(out, "IMAP: not tried: %s\n", cause);
		free(cause);
		return -1;
	}
	if ((im = imap_open(&p, &err, &cause)) == NULL) {
		fprintf(out, "IMAP: FAILED: %s\n", cause);
		if (err == IMAP_EAUTH)
			fprintf(out, "  the server refused the token for %s: "
			    "check that the app may use this mailbox (Exchange: "
			    "Add-MailboxPermission for the app's service "
			    "principal; Google: domain-wide delegation with "
			    "https://mail.google.com/)\n", cfg->mailbox.user);
		free(cause);
		return -1;
	}
	fprintf(out, "IMAP: logged in to %s:%u as %s with XOAUTH2; folder "
	    "%s selected (%u messages)\n", cfg->mailbox.host,
	    (unsigned)cfg->mailbox.port, cfg->mailbox.user,
	    cfg->mailbox.folder, imap_exists(im));
	imap_close(im);
	return 0;
}

static int
test_smtp(const struct config *cfg, struct oauth *auth, FILE *out)
{
	char	*cause = NULL;

	if (smtp_login_test(cfg, auth, &cause) != 0) {
		fprintf(out, "SMTP: FAILED: %s\n", cause);
		free(cause);
		return -1;
	}
	fprintf(out, "SMTP: logged in to %s:%u as %s with XOAUTH2 (no mail "
	    "sent)\n", cfg->smtp.host, (unsigned)cfg->smtp.port,
	    cfg->smtp.user);
	return 0;
}

static int
test_graph(const struct config *cfg, struct oauth *auth, FILE *out)
{
	struct graph	*g;
	char		*cause = NULL;

	if ((g = graph_new(cfg, cfg->mailbox.graph_mailbox, auth,
	    &cause)) == NULL) {
		fprintf(out, "Graph mailbox: FAILED: %s\n", cause);
		free(cause);
		return -1;
	}
	if (graphsrc_prepare(g, cfg, &cause) != GRAPH_OK) {
		fprintf(out, "Graph mailbox: FAILED: %s\n", cause);
		free(cause);
		graph_free(g);
		return -1;
	}
	fprintf(out, "Graph mailbox: %s folder %s read; processed and "
	    "quarantine folders present\n", cfg->mailbox.graph_mailbox,
	    cfg->mailbox.folder);
	graph_free(g);
	return 0;
}

int
oauth_test_run(const struct config *cfg, FILE *out)
{
	struct oauth		*auth;
	enum oauth_error	 err;
	const char		*token;
	char			*cause = NULL;
	long long		 now = (long long)time(NULL);
	int			 failed = 0, tried = 0;

	if (!cfg->oauth.configured) {
		fprintf(out, "oauth: the configuration has no [oauth] "
		    "section\n");
		return -1;
	}
	if ((auth = oauth_new(cfg, &cause)) == NULL) {
		fprintf(out, "oauth: %s\n", cause);
		free(cause);
		return -1;
	}
	if ((token = oauth_token(auth, now, &err, &cause)) == NULL) {
		fprintf(out, "token: FAILED from %s\n  %s\n",
		    cfg->oauth.token_url, cause);
		free(cause);
		oauth_free(auth);
		return -1;
	}
	fprintf(out, "token: obtained from %s (scope %s), valid for %lld "
	    "s\n", cfg->oauth.token_url, cfg->oauth.scope,
	    oauth_expires_at(auth) - now);
	print_grants(out, token);

	if (cfg->mailbox.kind == MAILBOX_GRAPH) {
		tried++;
		failed += test_graph(cfg, auth, out) != 0;
	} else if (cfg->mailbox.kind != MAILBOX_MAILDIR &&
	    (cfg->mailbox.auth == AUTH_XOAUTH2 ||
	    cfg->mailbox.auth == AUTH_OAUTHBEARER)) {
		tried++;
		failed += test_imap(cfg, auth, out) != 0;
	}
	if (cfg->smtp.kind == SMTP_GRAPH) {
		fprintf(out, "Graph sendMail: not tried (it would send mail); "
		    "the token must carry Mail.Send\n");
	} else if ((cfg->smtp.kind == SMTP_SMTPS ||
	    cfg->smtp.kind == SMTP_STARTTLS) &&
	    cfg->smtp.auth == SMTP_AUTH_XOAUTH2) {
		tried++;
		failed += test_smtp(cfg, auth, out) != 0;
	}
	if (tried == 0)
		fprintf(out, "neither [mailbox] nor [smtp] logs in with "
		    "OAuth: nothing more to try\n");
	oauth_free(auth);
	return failed == 0 ? 0 : -1;
}
