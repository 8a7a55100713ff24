/*
 * fuzz_mime.c - libFuzzer target over the intake's parsers: mime_parse
 * with the default limits, then classify_message on what it returns, with
 * a config that has agencies, admins and authentication required, so that
 * every rule of the classifier (tokens, tags, Authentication-Results) runs.
 *
 *   make fuzz && make fuzz-run FUZZ_SECONDS=600
 *
 * run-fuzz gives the target its own corpus folder for new inputs and the
 * shared corpus as seeds (read only).
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "mime.h"
#include "token.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct config	*cfg;
static unsigned char	 key[TOKEN_KEY_LEN];

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config_diag	 d;
	char			 dir[] = "/tmp/fuzz-mime.XXXXXX", path[256];
	char			 ini[2048];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/secret", dir);
	write_file(path, "x\n", 0600);
	snprintf(ini, sizeof ini,
	    "[partnership]\nname = Fuzz\naddress = rapidreview@scp.example\n"
	    "business_manager = bm@scp.example\nadmins = bm@scp.example\n"
	    "[mailbox]\nurl = imaps://localhost/INBOX\nuser = u\n"
	    "password_file = secret\n"
	    "[smtp]\nurl = smtps://localhost\n"
	    "[storage]\ndatabase = rr.db\n"
	    "[security]\nrequire_authentication = yes\n"
	    "trusted_authserv_id = mx.scp.example\n"
	    "[notifiers]\nallow = *@la.example\n"
	    "[agency.police]\nname = Police\naliases = PPU\n"
	    "to = p@police.example\nallow = *@police.example\n"
	    "[agency.health]\nname = Health\nto = h@nhs.example\n"
	    "allow = *@nhs.example\n");
	snprintf(path, sizeof path, "%s/rr.ini", dir);
	write_file(path, ini, 0644);
	config_diag_init(&d);
	if ((cfg = config_load(path, &d)) == NULL) {
		config_diag_print(&d, stderr);
		abort();
	}
	config_diag_free(&d);
	memset(key, 0x5a, sizeof key);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct classification	 c;
	struct classify_env	 env;
	struct mime_limits	 lim;
	struct mime_message	*m;
	char			*cause;

	mime_limits_default(&lim);
	if (mime_parse((const char *)data, len, &lim, &m, &cause) != MIME_OK) {
		free(cause);
		return 0;
	}
	memset(&env, 0, sizeof env);
	env.cfg = cfg;
	env.token_key = key;
	classify_message(m, &env, &c);
	classification_clear(&c);
	mime_message_free(m);
	return 0;
}
