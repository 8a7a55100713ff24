/*
 * fuzz_mime.c - libFuzzer target: mime_parse with the default limits.
 *
 *   clang-14 -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -I/usr/include/libxml2 \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *       tests/fuzz/fuzz_mime.c daemon/mime.c daemon/html.c daemon/quote.c \
 *       daemon/tnef.c daemon/xmalloc.c daemon/log.c -lgnutls -lxml2 \
 *       -o build/fuzz_mime
 *   C=../shared/corpus/email; mkdir -p /tmp/fuzz-mime
 *   build/fuzz_mime -max_total_time=180 -max_len=65536 -timeout=10 \
 *       /tmp/fuzz-mime $C/clients $C/replies $C/autoreplies $C/bounces $C/tnef
 *
 * The first directory receives new inputs: never the shared corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mime_limits	 lim;
	struct mime_message	*m;
	char			*cause;

	mime_limits_default(&lim);
	if (mime_parse((const char *)data, len, &lim, &m, &cause) == MIME_OK)
		mime_message_free(m);
	else
		free(cause);
	return 0;
}
