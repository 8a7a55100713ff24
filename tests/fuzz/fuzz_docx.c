/*
 * fuzz_docx.c - libFuzzer target over the DOCX reader: docx_read (zip,
 * refusals, libxml2, the walk, ar_from_doc) on the input, then every
 * entry of the input read through the zip reader, with the default
 * limits but 8 MiB in all, so that a run stays fast.
 *
 * Add fuzz_docx to FUZZ_TARGETS in the Makefile, then
 *   make build-fuzz/fuzz_docx
 *   build-fuzz/fuzz_docx -max_total_time=120 build-fuzz/corpus-fuzz_docx \
 *       ../shared/corpus/docs
 * Seeds whose entries are stored rather than deflated reach the XML
 * sooner (zip.c checks no CRC, so mutations of stored XML are read).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "forms.h"
#include "fuzz_forms.h"
#include "zip.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct zip_limits	 lim;
	struct zip		*z;
	unsigned char		*part;
	size_t			 plen, i;

	fuzz_form_limits(&lim);
	fuzz_form_read(docx_read, data, len, &lim);

	if (zip_open(data, len, &lim, &z, NULL) != ZIP_OK)
		return 0;
	for (i = 0; i < zip_count(z); i++) {
		if (zip_read(z, zip_entry_at(z, i)->name, &part, &plen,
		    NULL) == ZIP_OK) {
			if (part[plen] != '\0')
				abort();
			free(part);
		}
	}
	zip_close(z);
	return 0;
}
