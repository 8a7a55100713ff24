/*
 * text.c - white space at the ends of typed text.
 */
#include "text.h"

size_t
text_space_at(const char *p, const char *e)
{
	const unsigned char	*u = (const unsigned char *)p;

	if (p >= e)
		return 0;
	if (*u == ' ' || *u == '\t' || *u == '\f' || *u == '\v')
		return 1;
	if (e - p >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (e - p >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0xaf || u[2] == 0x8b))
		return 3;
	return 0;
}

void
text_trim(const char **s, const char **e)
{
	size_t	n;

	while (*s < *e && (n = text_space_at(*s, *e)) > 0)
		*s += n;
	/* Backwards, a sequence is recognised by where it would start. */
	for (;;) {
		if (*e - *s >= 1 && text_space_at(*e - 1, *e) == 1)
			(*e)--;
		else if (*e - *s >= 2 && text_space_at(*e - 2, *e) == 2)
			*e -= 2;
		else if (*e - *s >= 3 && text_space_at(*e - 3, *e) == 3)
			*e -= 3;
		else
			break;
	}
}
