/*
 * test_token.c - reply tokens: the mac against a known vector, round trips,
 * forged and foreign addresses, and the key file's creation and checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "token.h"
#include "xmalloc.h"

#define OURS	"rapidreview@example.org"

static char		tmpdir[] = "/tmp/rr-test-token.XXXXXX";
static unsigned char	key[TOKEN_KEY_LEN];

static int
setup(void **state)
{
	size_t	i;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	for (i = 0; i < TOKEN_KEY_LEN; i++)
		key[i] = (unsigned char)i;
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;
	int	 rc;

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static char *
tmp_path(const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", tmpdir, name);
	unlink(path);
	return path;
}

static void
write_bytes(const char *path, size_t len, mode_t mode)
{
	unsigned char	buf[64] = { 0 };
	int		fd;

	assert_true(len <= sizeof buf);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* Checked with Python: hmac.new(bytes(range(32)), ..., sha256), base32. */
static void
test_mac_vector(void **state)
{
	static const struct {
		const char	*ref, *agency, *mac;
	} t[] = {
		{ "rr-2024-007", "police", "iy36gy4o" },
		/* The ref is lowered first. */
		{ "RR-2024-007", "police", "iy36gy4o" },
		{ "rr-2025-1234", "health-nhs", "jxhelck6" },
	};
	char	mac[TOKEN_MAC_LEN + 1];
	size_t	i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		token_mac(key, t[i].ref, t[i].agency, mac);
		assert_string_equal(mac, t[i].mac);
	}
}

static void
test_address(void **state)
{
	char	*a;

	a = token_address(key, OURS, "RR-2024-007", "police");
	assert_string_equal(a,
	    "rapidreview+rr-2024-007.police.iy36gy4o@example.org");
	free(a);
}

static void
test_parse_table(void **state)
{
	static const struct {
		const char		*address;
		enum token_result	 want;
		const char		*ref, *agency;
	} t[] = {
		{ "rapidreview+rr-2024-007.police.iy36gy4o@example.org",
		    TOKEN_VALID, "RR-2024-007", "police" },
		/* Mail systems may change the case of any of it. */
		{ "RapidReview+RR-2024-007.Police.IY36GY4O@Example.ORG",
		    TOKEN_VALID, "RR-2024-007", "police" },
		{ "rapidreview+rr-2025-1234.health-nhs.jxhelck6@example.org",
		    TOKEN_VALID, "RR-2025-1234", "health-nhs" },
		/* One character of the mac changed. */
		{ "rapidreview+rr-2024-007.police.iy36gy4p@example.org",
		    TOKEN_FORGED, NULL, NULL },
		/* A valid mac moved to another agency or case. */
		{ "rapidreview+rr-2024-007.health.iy36gy4o@example.org",
		    TOKEN_FORGED, NULL, NULL },
		{ "rapidreview+rr-2024-008.police.iy36gy4o@example.org",
		    TOKEN_FORGED, NULL, NULL },
		/* Shaped wrong, but ours: forged too. */
		{ "rapidreview+rr-2024-07.police.iy36gy4o@example.org",
		    TOKEN_FORGED, NULL, NULL },
		{ "rapidreview+rr-2024-007.po.lice.iy36gy4o@example.org",
		    TOKEN_FORGED, NULL, NULL },
		{ "rapidreview+rr-2024-007.police.iy36gy4@example.org",
		    TOKEN_FORGED, NULL, NULL },
		{ "rapidreview+rr-2024-007.police@example.org",
		    TOKEN_FORGED, NULL, NULL },
		{ "rapidreview+whatever@example.org", TOKEN_FORGED, NULL,
		    NULL },
		{ "rapidreview+commands@example.org", TOKEN_COMMANDS, NULL,
		    NULL },
		{ "RAPIDREVIEW+Commands@EXAMPLE.org", TOKEN_COMMANDS, NULL,
		    NULL },
		/* Not ours at all. */
		{ "rapidreview@example.org", TOKEN_NONE, NULL, NULL },
		{ "rapidreview+@example.org", TOKEN_NONE, NULL, NULL },
		{ "rapidreview+rr-2024-007.police.iy36gy4o@example.net",
		    TOKEN_NONE, NULL, NULL },
		{ "rapidreview+rr-2024-007.police.iy36gy4o@sub.example.org",
		    TOKEN_NONE, NULL, NULL },
		{ "rapidreviews+rr-2024-007.police.iy36gy4o@example.org",
		    TOKEN_NONE, NULL, NULL },
		{ "pvp@example.police.uk", TOKEN_NONE, NULL, NULL },
		{ "no-at-sign", TOKEN_NONE, NULL, NULL },
		{ "", TOKEN_NONE, NULL, NULL },
	};
	char	*ref, *agency;
	size_t	 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ref = agency = (char *)1;
		assert_int_equal(token_parse(key, OURS, t[i].address, &ref,
		    &agency), t[i].want);
		if (t[i].ref == NULL) {
			assert_null(ref);
			assert_null(agency);
			continue;
		}
		assert_string_equal(ref, t[i].ref);
		assert_string_equal(agency, t[i].agency);
		free(ref);
		free(agency);
	}
	/* NULL outputs are allowed. */
	assert_int_equal(token_parse(key, OURS, t[0].address, NULL, NULL),
	    TOKEN_VALID);
	assert_int_equal(token_parse(key, OURS, NULL, NULL, NULL), TOKEN_NONE);
}

static void
test_round_trip(void **state)
{
	static const char *const agencies[] = { "police", "csc", "health_1",
	    "a-b" };
	char	*addr, *ref, *agency;
	size_t	 i;

	for (i = 0; i < sizeof agencies / sizeof agencies[0]; i++) {
		addr = token_address(key, "Rapid.Review@Example.org",
		    "RR-2031-12345", agencies[i]);
		assert_int_equal(token_parse(key, "rapid.review@example.org",
		    addr, &ref, &agency), TOKEN_VALID);
		assert_string_equal(ref, "RR-2031-12345");
		assert_string_equal(agency, agencies[i]);
		free(ref);
		free(agency);
		/* Another key does not verify it. */
		key[0] ^= 1;
		assert_int_equal(token_parse(key, "rapid.review@example.org",
		    addr, NULL, NULL), TOKEN_FORGED);
		key[0] ^= 1;
		free(addr);
	}
}

static void
test_key_created_and_reused(void **state)
{
	unsigned char	 k1[TOKEN_KEY_LEN], k2[TOKEN_KEY_LEN];
	unsigned char	 zero[TOKEN_KEY_LEN] = { 0 };
	struct stat	 st;
	char		*path, *cause = NULL;
	mode_t		 old;

	path = tmp_path("token.key");
	/* A loose umask must not loosen the key. */
	old = umask(022);
	assert_int_equal(token_key_load(path, k1, &cause), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, TOKEN_KEY_LEN);
	assert_memory_not_equal(k1, zero, TOKEN_KEY_LEN);

	assert_int_equal(token_key_load(path, k2, &cause), 0);
	assert_memory_equal(k1, k2, TOKEN_KEY_LEN);
	free(path);

	/* A second file gets a different key. */
	path = tmp_path("token2.key");
	assert_int_equal(token_key_load(path, k2, &cause), 0);
	assert_memory_not_equal(k1, k2, TOKEN_KEY_LEN);
	free(path);
}

static void
test_key_refused(void **state)
{
	static const struct {
		const char	*name;
		size_t		 size;
		mode_t		 mode;
		const char	*cause;
	} t[] = {
		{ "k0644", TOKEN_KEY_LEN, 0644, "group or others" },
		{ "k0640", TOKEN_KEY_LEN, 0640, "group or others" },
		{ "k0604", TOKEN_KEY_LEN, 0604, "group or others" },
		{ "kshort", TOKEN_KEY_LEN - 1, 0600, "31 bytes" },
		{ "klong", TOKEN_KEY_LEN + 1, 0600, "33 bytes" },
		{ "kempty", 0, 0600, "0 bytes" },
	};
	unsigned char	 k[TOKEN_KEY_LEN];
	char		*path, *cause;
	size_t		 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		path = tmp_path(t[i].name);
		write_bytes(path, t[i].size, t[i].mode);
		cause = NULL;
		assert_int_equal(token_key_load(path, k, &cause), -1);
		assert_non_null(cause);
		if (strstr(cause, t[i].cause) == NULL)
			fail_msg("%s: cause '%s'", t[i].name, cause);
		free(cause);
		free(path);
	}
}

static void
test_key_symlink_refused(void **state)
{
	unsigned char	 k[TOKEN_KEY_LEN];
	char		*target, *link, *cause = NULL;
	struct stat	 st;

	target = tmp_path("real.key");
	link = tmp_path("link.key");
	write_bytes(target, TOKEN_KEY_LEN, 0600);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(token_key_load(link, k, &cause), -1);
	assert_non_null(cause);
	free(cause);

	/* A dangling link is not followed to create a file either. */
	unlink(target);
	cause = NULL;
	assert_int_equal(token_key_load(link, k, &cause), -1);
	free(cause);
	assert_int_equal(stat(target, &st), -1);
	free(target);
	free(link);
}

static void
test_key_missing_dir(void **state)
{
	unsigned char	 k[TOKEN_KEY_LEN];
	char		*path, *cause = NULL;

	xasprintf(&path, "%s/no/such/dir/token.key", tmpdir);
	assert_int_equal(token_key_load(path, k, &cause), -1);
	assert_non_null(cause);
	free(cause);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_vector),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_key_created_and_reused),
		cmocka_unit_test(test_key_refused),
		cmocka_unit_test(test_key_symlink_refused),
		cmocka_unit_test(test_key_missing_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
