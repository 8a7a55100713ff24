/*
 * commands.h - the administrators' email commands (SPEC §6), also run
 * locally by `rapidreviewctl command 'TEXT'`.
 *
 * One command per line at the top of the text; processing stops at a
 * line "thanks" or "--", at the first quoted line, and after three
 * unknown lines (Debbugs' control@ rules). Each command runs in its own
 * savepoint: one that fails changes nothing and the rest still run. Every
 * command is written to the audit log with its actor.
 */
#ifndef RR_COMMANDS_H
#define RR_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

struct case_env;

struct command_line {
	char	*line;		/* the command as sent */
	char	*result;	/* what happened, one or more lines */
	int	 failed;
};

struct command_transcript {
	struct command_line	*lines;
	size_t			 n;
	int			 errors;	/* any failed */
	char			*case_ref;	/* the first case named, or NULL */
};

/*
 * Run the commands in text as actor (an address, or "ctl"), at now,
 * inside the caller's transaction. Fills *t (free with
 * command_transcript_clear). Returns 0, or -1 with *cause set (caller
 * frees) when the store failed: then the caller rolls back.
 */
int	commands_run(const struct case_env *, const char *actor,
	    const char *text, long long now, struct command_transcript *t,
	    char **cause);
void	command_transcript_clear(struct command_transcript *);

/*
 * Queue the transcript of t to the administrator at to, threaded under
 * in_reply_to ("<id>" or NULL), dedupe keyed by the message row. Returns
 * 0 or -1 with *cause.
 */
int	commands_send_transcript(const struct case_env *,
	    const struct command_transcript *t, const char *to,
	    const char *in_reply_to, int64_t message_row, long long now,
	    char **cause);

#endif
