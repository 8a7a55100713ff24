/*
 * fuzz_config.h - the configuration every fuzz target loads once, in its
 * LLVMFuzzerInitialize: a temporary folder with a 0600 secret and an INI
 * of the partnership, mailbox, SMTP and storage sections, plus the
 * sections the target passes in extra (agencies, [security], ...).
 * Aborts when the INI does not load: the target would test nothing.
 */
#ifndef RR_FUZZ_CONFIG_H
#define RR_FUZZ_CONFIG_H

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>

#include "config.h"

static void
fuzz_write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

static struct config *
fuzz_config_load(const char *extra)
{
	struct config_diag	 d;
	struct config		*cfg;
	char			 dir[] = "/tmp/fuzz-config.XXXXXX", path[256];
	char			 ini[4096];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/secret", dir);
	fuzz_write_file(path, "x\n", 0600);
	snprintf(ini, sizeof ini,
	    "[partnership]\nname = Fuzz\naddress = rapidreview@scp.example\n"
	    "business_manager = bm@scp.example\nadmins = bm@scp.example\n"
	    "[mailbox]\nurl = imaps://localhost/INBOX\nuser = u\n"
	    "password_file = secret\n"
	    "[smtp]\nurl = smtps://localhost\n"
	    "[storage]\ndatabase = rr.db\n"
	    "[notifiers]\nallow = *@la.example\n"
	    "%s", extra);
	snprintf(path, sizeof path, "%s/rr.ini", dir);
	fuzz_write_file(path, ini, 0644);
	config_diag_init(&d);
	if ((cfg = config_load(path, &d)) == NULL) {
		config_diag_print(&d, stderr);
		abort();
	}
	config_diag_free(&d);
	return cfg;
}

#endif
