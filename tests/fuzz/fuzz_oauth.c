/*
 * fuzz_oauth.c - libFuzzer target over what the identity provider and
 * Microsoft Graph send back, and over the outgoing message the Graph sink
 * reads recipients from: oauth_parse_answer (any status), graph_delta_parse,
 * graph_header_recipients, graph_send_plan and graph_bcc_rewrite. The
 * invariants: a result and its outputs agree (a refusal has a cause, a page
 * has a link), and a Bcc copy still ends its header where the input did.
 *
 *   make build-fuzz/fuzz_oauth
 *   build-fuzz/fuzz_oauth -max_total_time=60 build-fuzz/corpus-fuzz_oauth
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "oauth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const long	 statuses[] = { 200, 400, 401, 429, 503 };
	struct oauth_answer	 a;
	struct graph_delta_page	 page;
	enum oauth_error	 err;
	char			*text, *cause, *copy, **rcpts;
	size_t			 i, n, outlen;

	/* NUL-terminated, as the HTTP readers hand answers on. */
	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';

	for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		cause = NULL;
		memset(&a, 0, sizeof a);
		if (oauth_parse_answer(text, len, statuses[i], (int)(i & 1),
		    &a, &err, &cause) != 0 && cause == NULL)
			abort();	/* a refusal always says why */
		if (statuses[i] >= 400 && cause == NULL)
			abort();
		oauth_answer_clear(&a);
		free(cause);
	}

	cause = NULL;
	memset(&page, 0, sizeof page);
	if (graph_delta_parse(text, len, &page, &cause) == 0) {
		if (page.next_link == NULL && page.delta_link == NULL)
			abort();
		for (i = 0; i < page.n; i++)
			if (page.items[i].id == NULL)
				abort();
	} else if (cause == NULL)
		abort();
	graph_delta_page_clear(&page);
	free(cause);

	rcpts = graph_header_recipients(text, len, &n);
	for (i = 0; i < n; i++) {
		if (rcpts[i] == NULL || *rcpts[i] == '\0')
			abort();
		/* A few: each plan reads the whole header again. */
		if (i < 8)
			(void)graph_send_plan(text, len, rcpts[i], (i & 1) ?
			    NULL : rcpts[0]);
	}
	for (i = 0; i < n; i++)
		free(rcpts[i]);
	free(rcpts);
	(void)graph_send_plan(text, len, "pvp@northshire.police.uk", text);
	copy = graph_bcc_rewrite(text, len, "pvp@northshire.police.uk",
	    &outlen);
	if (copy == NULL || memmem(copy, outlen,
	    "Bcc: pvp@northshire.police.uk\r\n", 31) == NULL)
		abort();	/* the copy must name its one recipient */
	free(copy);
	free(text);
	return 0;
}
