/*
 * pack.h - the meeting pack (SPEC §4.1): a PDF drawn with cairo and pango
 * (A4, the marking in every page's header and footer, page numbers) and
 * beside it the merged chronology as CSV.
 */
#ifndef RR_PACK_H
#define RR_PACK_H

#include <stddef.h>

struct calendar;
struct config;
struct store;

struct pack_output {
	unsigned char	*pdf;		/* caller frees */
	size_t		 pdf_len;
	char		*csv;		/* caller frees */
	size_t		 csv_len;
};

/*
 * Build ref's pack from the store as it is at now: cover, purpose of a
 * Rapid Review, background, timeline (milestones due and done), returns
 * table, merged chronology, each agency's analysis, actions and
 * judgement, outstanding returns, the decisions to take. updated (the
 * pack version, 1 first) marks a later pack "Updated" on its cover.
 * Returns 0 with *out filled, or -1 with *cause set (caller frees).
 */
int	pack_build(struct store *, const struct config *,
	    const struct calendar *, const char *ref, long long now,
	    int version, struct pack_output *out, char **cause);
void	pack_output_clear(struct pack_output *);

/*
 * Release what pango, cairo and fontconfig keep for the life of the
 * process (the default font map, cairo's font caches, fontconfig's
 * configuration), so that a program run under LeakSanitizer exits clean.
 * Call once at exit, after the last pack_build, and only then: nothing
 * may use pango or cairo text after it. Harmless when no pack was built.
 */
void	pack_shutdown(void);

#endif
