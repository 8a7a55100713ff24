/*
 * fuzz_forms.h - what the DOCX and ODT fuzz targets share: the default
 * zip limits but 8 MiB in all, so that a run stays fast, and a reader's
 * contract checked on the input (FORM_OK with a return and no cause, or
 * no return and a cause). Aborts when the contract is broken.
 */
#ifndef RR_FUZZ_FORMS_H
#define RR_FUZZ_FORMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "agencyreturn.h"
#include "forms.h"
#include "zip.h"

static void
fuzz_form_limits(struct zip_limits *lim)
{
	zip_limits_default(lim);
	lim->max_entry_size = 8 * 1024 * 1024;
	lim->max_total_size = 8 * 1024 * 1024;
}

/* reader is docx_read or odt_read. */
static void
fuzz_form_read(enum form_result (*reader)(const void *, size_t,
    const struct zip_limits *, struct agency_return **, char **),
    const uint8_t *data, size_t len, const struct zip_limits *lim)
{
	struct agency_return	*ret;
	char			*cause = NULL;

	if (reader(data, len, lim, &ret, &cause) == FORM_OK) {
		if (ret == NULL || cause != NULL)
			abort();
		ar_free(ret);
	} else {
		if (ret != NULL || cause == NULL)
			abort();
		free(cause);
	}
}

#endif
