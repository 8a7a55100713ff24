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
#include "fuzz_config.h"
#include "mime.h"
#include "token.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct config	*cfg;
static unsigned char	 key[TOKEN_KEY_LEN];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cfg = fuzz_config_load(
	    "[security]\nrequire_authentication = yes\n"
	    "trusted_authserv_id = mx.scp.example\n"
	    "[agency.police]\nname = Police\naliases = PPU\n"
	    "to = p@police.example\nallow = *@police.example\n"
	    "[agency.health]\nname = Health\nto = h@nhs.example\n"
	    "allow = *@nhs.example\n");
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
