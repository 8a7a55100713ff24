/*
 * fuzz_csv.c - libFuzzer target over the CSV chronology reader: csv_read
 * on the input bytes, and the invariants of what it returns (a result
 * and *out agree, rows within AR_MAX_ROWS, every cell NUL-terminated
 * UTF-8 without NUL bytes inside).
 *
 * Add fuzz_csv to FUZZ_TARGETS in the Makefile, then
 *   make build-fuzz/fuzz_csv
 *   build-fuzz/fuzz_csv -max_total_time=60 build-fuzz/corpus-fuzz_csv \
 *       ../shared/corpus/docs/csv
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agencyreturn.h"
#include "forms.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Valid UTF-8 (as the reader promises), or abort. */
static void
check_utf8(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 k, i;

	while (*u != '\0') {
		if (*u < 0x80)
			k = 0;
		else if (*u >= 0xc2 && *u <= 0xdf)
			k = 1;
		else if ((*u & 0xf0) == 0xe0)
			k = 2;
		else if (*u >= 0xf0 && *u <= 0xf4)
			k = 3;
		else
			abort();
		for (i = 1; i <= k; i++)
			if ((u[i] & 0xc0) != 0x80)
				abort();
		u += k + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct agency_return	*ret = NULL;
	char			*cause = NULL;
	enum form_result	 r;
	size_t			 i;
	int			 c;

	r = csv_read(data, len, &ret, &cause);
	if (r == FORM_OK) {
		if (ret == NULL || cause != NULL || !ret->found ||
		    ret->n_rows > AR_MAX_ROWS ||
		    ret->n_warnings > AR_MAX_WARNINGS)
			abort();
		for (i = 0; i < ret->n_rows; i++)
			for (c = 0; c < AR_NCOLS; c++)
				if (ret->rows[i].col[c] != NULL)
					check_utf8(ret->rows[i].col[c]);
		for (i = 0; i < ret->n_warnings; i++)
			check_utf8(ret->warnings[i]);
	} else if (ret != NULL || cause == NULL)
		abort();
	ar_free(ret);
	free(cause);
	return 0;
}
