/*
 * utf8.h - well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates,
 * nothing above U+10FFFF. One check for every module that validates text
 * before it reaches a header, a template or a document.
 */
#ifndef RR_UTF8_H
#define RR_UTF8_H

#include <stddef.h>

/* The length (1 to 4) of the well-formed sequence at s, which has n > 0
 * bytes left; 0 when the bytes there are not UTF-8. */
size_t	utf8_seq_len(const unsigned char *s, size_t n);

#endif
