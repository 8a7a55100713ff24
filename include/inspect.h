/*
 * inspect.h - `rapidreviewctl inspect`: everything the daemon would make
 * of a message, printed for a person or as stable JSON.
 */
#ifndef RR_INSPECT_H
#define RR_INSPECT_H

#include <stdio.h>

#include "classify.h"
#include "mime.h"

/* Print msg and its classification to fp, as text or JSON. */
void	inspect_print(FILE *fp, const struct mime_message *msg,
	    const struct classification *cls, int json);

#endif
