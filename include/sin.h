/*
 * sin.h - the fields of a Serious Incident Notification (SPEC §3.1), read
 * from plain text: the new text of an email body, or the text of an
 * attached SIN form that other code has extracted.
 *
 * The text is a list of labelled fields, "Label: value" (or "Label -
 * value", "Label<TAB>value", "| Label | value |", or the label alone on a
 * line as a heading with the value below it). Labels are matched without
 * regard to case, spacing and punctuation (bullets, numbering, "*bold*"
 * and a bracketed note such as "(if known)" are ignored), with synonyms;
 * "Sex/Gender" style labels are taken when both parts name the same
 * field. A field given twice keeps the first value, with a warning; the
 * two lists (other children, agencies) are added together; a bare "Name"
 * (perhaps the notifier's) gives way to "Child's name" and its synonyms.
 *
 * A value continues on the following lines:
 * - Case background: until the next recognised label line; blank lines
 *   are paragraph breaks ("\n\n"), wrapped lines are joined with a space,
 *   bullet lines keep their own line.
 * - Other children, Agencies involved: one item a line, until a blank
 *   line or a label line.
 * - every other field: joined with a space, until a blank line, a label
 *   line, or a line that looks like a label we do not know ("Notifier:
 *   ...", "Role<TAB>..."), so that it is not glued onto the value above.
 * Text outside any value is ignored. A value also ends at a sign-off line
 * ("Kind regards", "Thanks,", ...); reading stops at a signature
 * separator ("-- ") or "-----Original Message-----".
 *
 * Quoted lines (starting with ">") are not read: a SIN is what the
 * notifier typed now, not what an earlier message said. A quoted line or
 * an attribution line ("On ... wrote:") ends the value above it.
 *
 * Limits: the text is cut to SIN_MAX_TEXT bytes; at most SIN_MAX_LINES
 * lines outside the case background are looked at (blank and quoted
 * lines do not count); each value is cut to SIN_MAX_VALUE bytes. Each cut
 * is reported as a warning. The work is linear in the length of the text.
 */
#ifndef RR_SIN_H
#define RR_SIN_H

#include <limits.h>
#include <stddef.h>

struct agency_config;
struct config;

#define SIN_MAX_TEXT		(1024 * 1024)
#define SIN_MAX_LINES		200
#define SIN_MAX_VALUE		(64 * 1024)
#define SIN_MAX_CHILDREN	5	/* the subject child and 4 others */

/* An absent or unreadable date. */
#define SIN_NO_DATE		LONG_MIN

struct sin_child {
	char	*identifier;	/* as written: an identifier */
	char	*age;		/* as written: "5", "18 months" */
	char	*dob;		/* "YYYY-MM-DD", or NULL */
	char	*sex;
	char	*ethnicity;
	char	*disability;
};

/*
 * Every string is NULL when the field is absent. For optional fields "-",
 * "—", "n/a", "none", "unknown" (and "not known", "nil", "tbc") count as
 * absent. A required field (Child, Incident type, Case background) is
 * absent only when nothing but punctuation was given: "unknown" there is
 * an answer the notifier gave, kept as written.
 */
struct sin_fields {
	/*
	 * [0] is the subject child: its slot is used whenever any child
	 * field was given, so n_children is 0 only when there was none, and
	 * children[0].identifier is NULL exactly when "Child" is missing.
	 * "Other children" fill [1] onward; those beyond SIN_MAX_CHILDREN
	 * are left out, with a warning.
	 */
	struct sin_child children[SIN_MAX_CHILDREN];
	size_t		 n_children;

	/*
	 * "death" (died, deceased, fatal, killed, passed away, ...) or
	 * "serious_harm" (serious harm, seriously injured, life-threatening,
	 * near-fatal, ...); words of death win. NULL, with a warning, when
	 * neither is recognised.
	 */
	char	*incident_type;
	char	*incident_type_text;	/* as written */
	/*
	 * Day numbers (date.h) or SIN_NO_DATE. A date that does not parse
	 * is SIN_NO_DATE, with a warning. An aware date before the incident
	 * date, or a notified date before the aware date, is kept but
	 * warned about: most likely a typing slip.
	 */
	long	 incident_date;
	long	 date_aware;
	long	 date_notified;
	char	*panel_ref;
	char	*local_authority;
	char	*residing_authority;
	char	*background;

	char	**agencies;		/* names as written */
	size_t	  n_agencies;

	/*
	 * The required fields not given, in this order: "Child",
	 * "Incident type", "Case background".
	 */
	char	**missing;
	size_t	  n_missing;

	/*
	 * Problems for the notifier, e.g. "Incident date: '31/02/2024' is
	 * not a date". These echo what was typed (cut to 80 bytes), so they
	 * belong in mail to the notifier and business manager, never in logs.
	 */
	char	**warnings;
	size_t	  n_warnings;
};

/*
 * Parse text (NUL-terminated) into *out, which is overwritten without
 * being freed: pass a fresh struct, or one already given to
 * sin_fields_free. Always fills *out (free with sin_fields_free), never
 * fails. Returns 1 when at least one SIN label was found, else 0.
 */
int	sin_parse(const char *text, struct sin_fields *out);

/* Free everything *f holds and leave it empty (safe to free twice). */
void	sin_fields_free(struct sin_fields *f);

/*
 * Parse a UK date: "YYYY-MM-DD"; "D/M/YYYY" day first (also with "." or
 * "-", and a 2-digit year taken as 20YY); "D Month YYYY" with the month
 * in full or in 3 letters (or "Sept"), any case, an optional ordinal
 * ("3rd"), "of", commas and a leading weekday ("Wed 3rd of July, 2024");
 * "Month D, YYYY" as well, since a month name is never ambiguous.
 * Years before 1900 are refused. Returns 0 with *day set (days since
 * 1970-01-01), or -1 when the text is not such a date.
 */
int	sin_parse_date(const char *text, long *day);

/*
 * The configured agency that name means, or NULL. name is compared with
 * each agency's key, name and aliases ignoring case, spaces, punctuation,
 * the word "the" and a possessive "'s"; failing that, without a bracketed
 * note ("Police (PPU)") or text after ":"/" - ", or as the bracketed
 * note itself; failing that, as the last two or more words of one
 * agency's name ("Children's Social Care" for "Northshire Children's
 * Social Care") when exactly one agency's name ends so.
 */
const struct agency_config *sin_match_agency(const struct config *cfg,
	    const char *name);

#endif
