/*
 * fuzz_odt.c - libFuzzer target over the ODT reader: odt_read (zip,
 * manifest and macro refusals, libxml2, styles, the walk, ar_from_doc)
 * on the input, with the default limits but 8 MiB in all.
 *
 * Add fuzz_odt to FUZZ_TARGETS in the Makefile, then
 *   make build-fuzz/fuzz_odt
 *   build-fuzz/fuzz_odt -max_total_time=120 build-fuzz/corpus-fuzz_odt \
 *       ../shared/corpus/docs
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "agencyreturn.h"
#include "forms.h"
#include "zip.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct zip_limits	 lim;
	struct agency_return	*ret;
	char			*cause = NULL;

	zip_limits_default(&lim);
	lim.max_entry_size = 8 * 1024 * 1024;
	lim.max_total_size = 8 * 1024 * 1024;
	if (odt_read(data, len, &lim, &ret, &cause) == FORM_OK) {
		if (ret == NULL || cause != NULL)
			abort();
		ar_free(ret);
	} else {
		if (ret != NULL || cause == NULL)
			abort();
		free(cause);
	}
	return 0;
}
