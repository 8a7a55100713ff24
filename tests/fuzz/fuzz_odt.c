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

#include "forms.h"
#include "fuzz_forms.h"
#include "zip.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct zip_limits	 lim;

	fuzz_form_limits(&lim);
	fuzz_form_read(odt_read, data, len, &lim);
	return 0;
}
