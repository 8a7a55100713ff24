/*
 * fuzz_sin.c - libFuzzer target over the SIN reader: sin_parse on the
 * input as NUL-terminated text, sin_match_agency on every agency name it
 * finds (with a config that has agencies and aliases), and
 * sin_parse_date on the input's first line.
 *
 * Add fuzz_sin to FUZZ_TARGETS in the Makefile, then
 *   make fuzz && make fuzz-run FUZZ_SECONDS=600
 * or on its own:
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -D_GNU_SOURCE -DRR_DATADIR='"/x"' -Iinclude -I/usr/include/iniparser \
 *       tests/fuzz/fuzz_sin.c daemon/sin.c daemon/config.c daemon/date.c \
 *       daemon/calendar.c daemon/xmalloc.c daemon/log.c \
 *       -liniparser -ljson-c -o build-fuzz/fuzz_sin
 *   build-fuzz/fuzz_sin -max_total_time=60 build-fuzz/corpus-fuzz_sin
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sin.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct config	*cfg;

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
	char			 dir[] = "/tmp/fuzz-sin.XXXXXX", path[256];
	char			 ini[2048];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/secret", dir);
	write_file(path, "x\n", 0600);
	snprintf(ini, sizeof ini,
	    "[partnership]\nname = Fuzz\naddress = rapidreview@scp.example\n"
	    "business_manager = bm@scp.example\n"
	    "[mailbox]\nurl = imaps://localhost/INBOX\nuser = u\n"
	    "password_file = secret\n"
	    "[smtp]\nurl = smtps://localhost\n"
	    "[storage]\ndatabase = rr.db\n"
	    "[notifiers]\nallow = *@la.example\n"
	    "[agency.police]\nname = Northshire Police\n"
	    "aliases = Police, PPU, Public Protection Unit\n"
	    "to = p@police.example\nallow = *@police.example\n"
	    "[agency.csc]\nname = Northshire Children's Social Care\n"
	    "aliases = CSC, Children's Services\n"
	    "to = c@la.example\nallow = *@la.example\n"
	    "[agency.health]\nname = Northshire Integrated Care Board\n"
	    "aliases = Health, ICB, NHS\n"
	    "to = h@nhs.example\nallow = *@nhs.example\n");
	snprintf(path, sizeof path, "%s/rr.ini", dir);
	write_file(path, ini, 0644);
	config_diag_init(&d);
	if ((cfg = config_load(path, &d)) == NULL) {
		config_diag_print(&d, stderr);
		abort();
	}
	config_diag_free(&d);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sin_fields	 f;
	char			*text, *nl;
	size_t			 i;
	long			 day;

	/* Past the 1 MiB cut there is nothing new to find. */
	if (len > SIN_MAX_TEXT + 16)
		return 0;
	if ((text = malloc(len + 1)) == NULL)
		abort();
	memcpy(text, data, len);
	text[len] = '\0';
	sin_parse(text, &f);
	for (i = 0; i < f.n_agencies; i++)
		sin_match_agency(cfg, f.agencies[i]);
	sin_fields_free(&f);
	if ((nl = strchr(text, '\n')) != NULL)
		*nl = '\0';
	sin_parse_date(text, &day);
	free(text);
	return 0;
}
