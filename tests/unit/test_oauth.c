/*
 * test_oauth.c - OAuth 2.0 without a network: the client from the config,
 * the XOAUTH2 bytes, the renewal margin, the provider's answers turned into
 * plain words, the atomic refresh-token write and the service account's
 * JWT (signed here, checked with openssl).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "oauth.h"
#include "xmalloc.h"

static char	tmpdir[] = "/tmp/rr-test-oauth.XXXXXX";

static const char *
src_root(void)
{
	const char	*s = getenv("RR_SRC");

	return s != NULL ? s : ".";
}

static char *
write_file(const char *name, const char *text, mode_t mode)
{
	char	*path;
	FILE	*fp;

	xasprintf(&path, "%s/%s", tmpdir, name);
	unlink(path);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static char *
read_all(const char *path, size_t *len)
{
	FILE	*fp;
	char	*p;
	long	 n;

	assert_non_null(fp = fopen(path, "rb"));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	p = xmalloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	p[n] = '\0';
	fclose(fp);
	if (len != NULL)
		*len = (size_t)n;
	return p;
}

static struct config *
load_ini(const char *name, const char *oauth)
{
	struct config_diag	 d;
	struct config		*c;
	char			*text, *path;

	xasprintf(&text,
	    "[partnership]\n"
	    "name = Test SCP\n"
	    "address = rapidreview@example.org\n"
	    "business_manager = bm@example.org\n"
	    "[mailbox]\n"
	    "url = imaps://localhost:9993/INBOX\n"
	    "user = rapidreview@example.org\n"
	    "auth = xoauth2\n"
	    "[smtp]\n"
	    "url = smtp://localhost:2525\n"
	    "[storage]\n"
	    "database = rr.db\n"
	    "[calendar]\n"
	    "holidays_file = %s/config/bank-holidays.json\n"
	    "[notifiers]\n"
	    "allow = *@example.gov.uk\n"
	    "[agency.police]\n"
	    "name = Test Police\n"
	    "to = pvp@example.police.uk\n"
	    "allow = *@example.police.uk\n"
	    "[oauth]\n%s", src_root(), oauth);
	path = write_file(name, text, 0644);
	free(text);
	config_diag_init(&d);
	c = config_load(path, &d);
	config_diag_print(&d, stderr);
	config_diag_free(&d);
	free(path);
	return c;
}

static int
setup(void **state)
{
	char	*p;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	p = write_file("client.secret", "s3cret-value-0123\n", 0600);
	free(p);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

static void
test_new_from_config(void **state)
{
	struct config		*c;
	struct oauth		*o;
	enum oauth_error	 err;
	const char		*tok;
	char			*cause = NULL;

	c = load_ini("cc.ini",
	    "tenant = example.onmicrosoft.com\n"
	    "client_id = 3f1c0c3e-0000-4000-8000-000000000000\n"
	    "client_secret_file = client.secret\n"
	    /* Nothing listens on port 1: a network error, quickly. */
	    "token_url = https://127.0.0.1:1/token\n"
	    "timeout = 5\n");
	assert_non_null(c);
	o = oauth_new(c, &cause);
	assert_non_null(o);
	assert_null(cause);
	assert_true(oauth_expires_at(o) == 0);
	tok = oauth_token(o, 1000000, &err, &cause);
	assert_null(tok);
	assert_int_equal(err, OAUTH_ENET);
	assert_non_null(cause);
	/* The cause names the endpoint, never the secret. */
	assert_non_null(strstr(cause, "127.0.0.1"));
	assert_null(strstr(cause, "s3cret"));
	free(cause);
	oauth_invalidate(o);
	oauth_free(o);
	config_free(c);

	/* refresh_token without a stored token: run oauth login. */
	c = load_ini("rt.ini",
	    "flow = refresh_token\n"
	    "tenant = example.onmicrosoft.com\n"
	    "client_id = 3f1c0c3e-0000-4000-8000-000000000000\n");
	assert_non_null(c);
	o = oauth_new(c, &cause);
	assert_non_null(o);
	cause = NULL;
	assert_null(oauth_token(o, 1000000, &err, &cause));
	assert_int_equal(err, OAUTH_ECONFIG);
	assert_non_null(strstr(cause, "rapidreviewctl oauth login"));
	free(cause);
	oauth_free(o);
	config_free(c);

	/* A config without [oauth]. */
	c = xcalloc(1, sizeof *c);
	cause = NULL;
	assert_null(oauth_new(c, &cause));
	assert_non_null(cause);
	free(cause);
	free(c);
}

static void
test_xoauth2_response(void **state)
{
	static const char want[] = "user=rr@example.org\001auth=Bearer "
	    "abc.def\001\001";
	char	*s;

	s = oauth_xoauth2_response("rr@example.org", "abc.def");
	assert_int_equal(strlen(s), sizeof want - 1);
	assert_memory_equal(s, want, sizeof want - 1);
	oauth_wipe(s);
	oauth_wipe(NULL);
}

static void
test_renew_margin(void **state)
{
	assert_true(oauth_renew_margin(3599) == OAUTH_RENEW_MARGIN);
	assert_true(oauth_renew_margin(600) == OAUTH_RENEW_MARGIN);
	/* Test beds' short tokens: renewed with a third of life left. */
	assert_true(oauth_renew_margin(8) == 2);
	assert_true(oauth_renew_margin(599) == 199);
}

struct answer_case {
	const char		*json;
	long			 status;
	int			 refresh;
	int			 rc;
	enum oauth_error	 err;
	const char		*want[3];	/* in the cause */
	const char		*not;		/* not in the cause */
};

static void
test_parse_answer(void **state)
{
	static const struct answer_case cases[] = {
		{ "{\"error\":\"invalid_client\",\"error_description\":"
		  "\"AADSTS7000215: Invalid client secret provided. Ensure "
		  "the secret being sent in the request is the client secret "
		  "value, not the client secret ID.\\r\\nTrace ID: 1234\\r\\n"
		  "Correlation ID: 5678\",\"error_codes\":[7000215]}",
		  401, 0, -1, OAUTH_EREFUSED,
		  { "invalid_client: AADSTS7000215: Invalid client secret",
		    "Value, not its Secret ID", "HTTP 401" }, "Trace ID" },
		{ "{\"error\":\"invalid_client\",\"error_description\":"
		  "\"AADSTS7000222: The provided client secret keys are "
		  "expired.\"}", 401, 0, -1, OAUTH_EREFUSED,
		  { "AADSTS7000222", "expired", NULL }, NULL },
		{ "{\"error\":\"invalid_client\",\"error_description\":"
		  "\"bad client\"}", 401, 0, -1, OAUTH_EREFUSED,
		  { "check client_id and the client secret",
		    "Certificates & secrets", NULL }, NULL },
		{ "{\"error\":\"unauthorized_client\",\"error_description\":"
		  "\"AADSTS700016: Application with identifier 'x' was not "
		  "found in the directory 'y'.\"}", 400, 0, -1, OAUTH_EREFUSED,
		  { "AADSTS700016", "not found in the tenant", NULL }, NULL },
		{ "{\"error\":\"invalid_request\",\"error_description\":"
		  "\"AADSTS90002: Tenant 'nope' not found.\"}", 400, 0, -1,
		  OAUTH_EREFUSED, { "AADSTS90002", "tenant was not found",
		  NULL }, NULL },
		{ "{\"error\":\"invalid_grant\",\"error_description\":"
		  "\"AADSTS70008: The refresh token has expired.\"}", 400, 1,
		  -1, OAUTH_EREFUSED, { "invalid_grant",
		  "run rapidreviewctl oauth login again", NULL }, NULL },
		{ "{\"error\":\"invalid_grant\",\"error_description\":"
		  "\"Not a valid email.\"}", 400, 0, -1, OAUTH_EREFUSED,
		  { "domain-wide delegation", NULL, NULL }, "oauth login" },
		{ "{\"error\":\"invalid_scope\",\"error_description\":"
		  "\"AADSTS1002012: The provided value for scope x is not "
		  "valid.\"}", 400, 0, -1, OAUTH_EREFUSED,
		  { "invalid_scope", "/.default", NULL }, NULL },
		{ "{\"error\":\"temporarily_unavailable\"}", 400, 0, -1,
		  OAUTH_ENET, { "temporarily_unavailable", NULL, NULL },
		  NULL },
		{ "<html>Service Unavailable</html>", 503, 0, -1, OAUTH_ENET,
		  { "HTTP 503", "try again", NULL }, NULL },
		{ "", 429, 0, -1, OAUTH_ENET, { "HTTP 429", NULL, NULL },
		  NULL },
		{ "<html>Not Found</html>", 404, 0, -1, OAUTH_EREFUSED,
		  { "HTTP 404", NULL, NULL }, NULL },
		{ "not json", 200, 0, -1, OAUTH_EREFUSED,
		  { "not JSON", NULL, NULL }, NULL },
		{ "{\"token_type\":\"mac\",\"access_token\":\"SECRETTOKEN\"}",
		  200, 0, -1, OAUTH_EREFUSED, { "not a Bearer", NULL, NULL },
		  "SECRETTOKEN" },
	};
	struct oauth_answer	 a;
	enum oauth_error	 err;
	size_t			 i, j;
	char			*cause;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		err = OAUTH_OK;
		assert_int_equal(oauth_parse_answer(cases[i].json,
		    strlen(cases[i].json), cases[i].status, cases[i].refresh,
		    &a, &err, &cause), cases[i].rc);
		if (err != cases[i].err || cause == NULL)
			fail_msg("case %zu: err %d, cause %s", i, err,
			    cause != NULL ? cause : "(none)");
		for (j = 0; j < 3; j++)
			if (cases[i].want[j] != NULL &&
			    strstr(cause, cases[i].want[j]) == NULL)
				fail_msg("case %zu: '%s' not in '%s'", i,
				    cases[i].want[j], cause);
		if (cases[i].not != NULL && strstr(cause, cases[i].not))
			fail_msg("case %zu: '%s' in '%s'", i, cases[i].not,
			    cause);
		free(cause);
		oauth_answer_clear(&a);
	}

	/* A good token answer; expires_in as a number or a string. */
	{
		const char *ok = "{\"token_type\":\"Bearer\",\"expires_in\":"
		    "\"3599\",\"ext_expires_in\":3599,\"access_token\":"
		    "\"eyJ0.abc\",\"refresh_token\":\"r2\"}";

		cause = NULL;
		assert_int_equal(oauth_parse_answer(ok, strlen(ok), 200, 1,
		    &a, &err, &cause), 0);
		assert_null(cause);
		assert_string_equal(a.access_token, "eyJ0.abc");
		assert_string_equal(a.refresh_token, "r2");
		assert_true(a.expires_in == 3599);
		assert_null(a.error);
		oauth_answer_clear(&a);
	}
	/* The device-authorization answer (Microsoft, then Google). */
	{
		const char *ms = "{\"user_code\":\"ABCD-EFGH\",\"device_code\":"
		    "\"DC\",\"verification_uri\":\"https://microsoft.com/"
		    "devicelogin\",\"expires_in\":900,\"interval\":5,"
		    "\"message\":\"To sign in, use a web browser.\"}";
		const char *g = "{\"device_code\":\"DC2\",\"user_code\":"
		    "\"GQVQ-JKEC\",\"verification_url\":\"https://www.google."
		    "com/device\",\"expires_in\":1800,\"interval\":5}";

		assert_int_equal(oauth_parse_answer(ms, strlen(ms), 200, 1,
		    &a, &err, &cause), 0);
		assert_string_equal(a.user_code, "ABCD-EFGH");
		assert_string_equal(a.device_code, "DC");
		assert_string_equal(a.verification_uri,
		    "https://microsoft.com/devicelogin");
		assert_true(a.interval == 5);
		assert_non_null(a.message);
		assert_null(a.access_token);
		oauth_answer_clear(&a);
		assert_int_equal(oauth_parse_answer(g, strlen(g), 200, 1,
		    &a, &err, &cause), 0);
		assert_string_equal(a.verification_uri,
		    "https://www.google.com/device");
		oauth_answer_clear(&a);
	}
	/* Polling: authorization_pending is an error the caller waits on. */
	{
		const char *p = "{\"error\":\"authorization_pending\","
		    "\"error_description\":\"AADSTS70016: OAuth 2.0 device "
		    "flow error. Authorization is pending.\"}";

		cause = NULL;
		assert_int_equal(oauth_parse_answer(p, strlen(p), 400, 1,
		    &a, &err, &cause), -1);
		assert_string_equal(a.error, "authorization_pending");
		free(cause);
		oauth_answer_clear(&a);
	}
}

static void
test_store_refresh_token(void **state)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*e;
	char		*path, *text, *dir, *cause = NULL;

	xasprintf(&dir, "%s/state", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	xasprintf(&path, "%s/oauth-refresh-token", dir);
	/* An older file, too open: replaced by a 0600 one. */
	free(write_file("state/oauth-refresh-token", "old\n", 0644));
	assert_int_equal(oauth_store_refresh_token(path, "0.AXYZ-new_token",
	    &cause), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	text = read_all(path, NULL);
	assert_string_equal(text, "0.AXYZ-new_token\n");
	free(text);
	/* Again over it, and no temporary file is left behind. */
	assert_int_equal(oauth_store_refresh_token(path, "third", &cause), 0);
	text = read_all(path, NULL);
	assert_string_equal(text, "third\n");
	free(text);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			assert_string_equal(e->d_name, "oauth-refresh-token");
	closedir(d);
	free(path);
	/* A folder that is not there: an error with the path. */
	xasprintf(&path, "%s/nowhere/rt", tmpdir);
	assert_int_equal(oauth_store_refresh_token(path, "x", &cause), -1);
	assert_non_null(strstr(cause, "nowhere"));
	free(cause);
	free(path);
	free(dir);
}

/* base64url without padding, back to bytes. */
static unsigned char *
b64url_decode(const char *s, size_t n, size_t *out_len)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char	*out = xmalloc(n * 3 / 4 + 3);
	unsigned	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0;
	const char	*p;

	for (i = 0; i < n; i++) {
		assert_non_null(p = strchr(abc, s[i]));
		assert_true(s[i] != '\0');
		acc = (acc << 6) | (unsigned)(p - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static void
test_jwt_signed(void **state)
{
	struct json_object	*j, *v;
	char			*cmd, *key, *jwt, *cause = NULL, *dot1, *dot2;
	char			*keyp, *pubp, *datap, *sigp;
	unsigned char		*part;
	size_t			 klen, plen;
	FILE			*fp;
	int			 rc;

	xasprintf(&keyp, "%s/sa-key.pem", tmpdir);
	xasprintf(&pubp, "%s/sa-pub.pem", tmpdir);
	xasprintf(&datap, "%s/jwt-input", tmpdir);
	xasprintf(&sigp, "%s/jwt-sig", tmpdir);
	xasprintf(&cmd, "openssl genpkey -algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:2048 -out '%s' 2>/dev/null && openssl pkey "
	    "-in '%s' -pubout -out '%s' 2>/dev/null", keyp, keyp, pubp);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	key = read_all(keyp, &klen);
	/* PKCS#8, as Google's JSON keys carry it. */
	assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----"));

	jwt = oauth_jwt_build("rr@proj.iam.gserviceaccount.com", key, klen,
	    "https://mail.google.com/", "https://oauth2.googleapis.com/token",
	    "rapidreview@example.org", 1700000000, &cause);
	if (jwt == NULL)
		fail_msg("%s", cause);
	assert_null(strchr(jwt, '='));
	assert_non_null(dot1 = strchr(jwt, '.'));
	assert_non_null(dot2 = strchr(dot1 + 1, '.'));
	assert_null(strchr(dot2 + 1, '.'));

	part = b64url_decode(jwt, (size_t)(dot1 - jwt), &plen);
	assert_string_equal((char *)part, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	free(part);
	part = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
	assert_non_null(j = json_tokener_parse((char *)part));
	assert_true(json_object_object_get_ex(j, "iss", &v));
	assert_string_equal(json_object_get_string(v),
	    "rr@proj.iam.gserviceaccount.com");
	assert_true(json_object_object_get_ex(j, "sub", &v));
	assert_string_equal(json_object_get_string(v),
	    "rapidreview@example.org");
	assert_true(json_object_object_get_ex(j, "aud", &v));
	assert_string_equal(json_object_get_string(v),
	    "https://oauth2.googleapis.com/token");
	assert_true(json_object_object_get_ex(j, "scope", &v));
	assert_string_equal(json_object_get_string(v),
	    "https://mail.google.com/");
	assert_true(json_object_object_get_ex(j, "iat", &v));
	assert_true(json_object_get_int64(v) == 1700000000);
	assert_true(json_object_object_get_ex(j, "exp", &v));
	assert_true(json_object_get_int64(v) == 1700003600);
	json_object_put(j);
	free(part);

	/* The signature verifies over "header.claims" with the public key. */
	part = b64url_decode(dot2 + 1, strlen(dot2 + 1), &plen);
	assert_int_equal(plen, 256);
	assert_non_null(fp = fopen(sigp, "wb"));
	assert_int_equal(fwrite(part, 1, plen, fp), plen);
	fclose(fp);
	free(part);
	assert_non_null(fp = fopen(datap, "wb"));
	fwrite(jwt, 1, (size_t)(dot2 - jwt), fp);
	fclose(fp);
	xasprintf(&cmd, "openssl dgst -sha256 -verify '%s' -signature '%s' "
	    "'%s' >/dev/null 2>&1", pubp, sigp, datap);
	assert_int_equal(system(cmd), 0);
	/* ...and not over anything else. */
	assert_non_null(fp = fopen(datap, "ab"));
	fputc('x', fp);
	fclose(fp);
	rc = system(cmd);
	assert_int_not_equal(rc, 0);
	free(cmd);
	oauth_wipe(jwt);

	/* A key that is not a key. */
	cause = NULL;
	assert_null(oauth_jwt_build("a@b", "-----BEGIN PRIVATE KEY-----\nxx\n"
	    "-----END PRIVATE KEY-----\n", 50, "s", "https://x/token", NULL,
	    1, &cause));
	assert_non_null(strstr(cause, "private_key"));
	free(cause);

	free(key);
	free(keyp);
	free(pubp);
	free(datap);
	free(sigp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_from_config),
		cmocka_unit_test(test_xoauth2_response),
		cmocka_unit_test(test_renew_margin),
		cmocka_unit_test(test_parse_answer),
		cmocka_unit_test(test_store_refresh_token),
		cmocka_unit_test(test_jwt_signed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
