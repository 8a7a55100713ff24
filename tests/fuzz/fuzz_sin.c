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
#include "fuzz_config.h"
#include "sin.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct config	*cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cfg = fuzz_config_load(
	    "[agency.police]\nname = Northshire Police\n"
	    "aliases = Police, PPU, Public Protection Unit\n"
	    "to = p@police.example\nallow = *@police.example\n"
	    "[agency.csc]\nname = Northshire Children's Social Care\n"
	    "aliases = CSC, Children's Services\n"
	    "to = c@la.example\nallow = *@la.example\n"
	    "[agency.health]\nname = Northshire Integrated Care Board\n"
	    "aliases = Health, ICB, NHS\n"
	    "to = h@nhs.example\nallow = *@nhs.example\n");
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
