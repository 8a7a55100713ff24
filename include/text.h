/*
 * text.h - white space as people's mail holds it: ASCII blanks and the
 * invisible Unicode ones clients put in (no-break, narrow no-break and
 * zero-width spaces). Shared by the readers of typed text (sin.c,
 * textform.c).
 */
#ifndef RR_TEXT_H
#define RR_TEXT_H

#include <stddef.h>

/* Bytes of white space at p (before e): space, tab, FF, VT (1), U+00A0
 * (2), U+202F or U+200B (3); 0 when p holds none. Not CR or LF. */
size_t	text_space_at(const char *p, const char *e);

/* Move *s forward and *e back past white space at either end. */
void	text_trim(const char **s, const char **e);

#endif
