/*
 * fuzz_textform.c - libFuzzer target over the text-form reader:
 * textform_read on the input as NUL-terminated text, and the invariants
 * of what it returns (1 with a return, 0 without; rows within
 * AR_MAX_ROWS; fields within AR_MAX_FIELD_BYTES).
 *
 * Add fuzz_textform to FUZZ_TARGETS in the Makefile, then
 *   make build-fuzz/fuzz_textform
 *   build-fuzz/fuzz_textform -max_total_time=60 \
 *       build-fuzz/corpus-fuzz_textform
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agencyreturn.h"
#include "forms.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct agency_return	*ret = NULL;
	char			*text;
	size_t			 i;
	int			 found;

	if ((text = malloc(len + 1)) == NULL)
		abort();
	memcpy(text, data, len);
	text[len] = '\0';
	found = textform_read(text, &ret);
	if (found != (ret != NULL) || (found != 0 && found != 1))
		abort();
	if (ret != NULL) {
		if (!ret->found || ret->n_rows > AR_MAX_ROWS ||
		    ret->source != AR_SOURCE_TEXT)
			abort();
		for (i = 0; i < AR_NFIELDS; i++)
			if (ret->field[i] != NULL &&
			    strlen(ret->field[i]) > AR_MAX_FIELD_BYTES)
				abort();
	}
	ar_free(ret);
	free(text);
	return 0;
}
