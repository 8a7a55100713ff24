/*
 * chronology.h - a case's merged multi-agency chronology (SPEC §4.1): the
 * rows of every agency's current return, sorted by date and time (rows
 * without a readable date last, in their agency's order), with the agency
 * beside each; as CSV and JSON for rapidreviewctl and the meeting pack.
 */
#ifndef RR_CHRONOLOGY_H
#define RR_CHRONOLOGY_H

#include <stddef.h>

struct json_object;
struct store;

struct chron_row {
	char	*agency;	/* the [agency.KEY] key */
	char	*agency_name;	/* the agency's name from the INI, else key */
	char	*date;		/* "YYYY-MM-DD", or NULL */
	char	*date_text;	/* as written */
	char	*time;		/* "HH:MM", or NULL */
	char	*contact_type, *seen, *event, *outcome, *significance;
};

struct chronology {
	struct chron_row	*rows;
	size_t			 n_rows;
};

/*
 * Load ref's merged chronology from the current (not superseded) return
 * of each request. names maps agency keys to names (may be NULL: keys are
 * used). Returns 0 with *out filled (free with chronology_clear), or -1
 * with *cause set (caller frees): no such case, or the store failed.
 */
struct config;
int	chronology_load(struct store *, const struct config *names,
	    const char *ref, struct chronology *out, char **cause);
void	chronology_clear(struct chronology *);

/*
 * Rows are sorted by date (rows with no ISO date last), then time (rows
 * with no readable time first within a date), then agency key, then the
 * row's position in its return. Draft (incomplete) current returns count.
 */

/*
 * RFC 4180 CSV, UTF-8 with BOM (so that Excel reads accents), CRLF
 * lines, header "date,time,agency,contact_type,seen,event,outcome,
 * significance". date is the ISO date, else the date as written; agency
 * is the agency's name. A field holding , " CR or LF is quoted (quotes
 * doubled). A field starting with = + - @ tab or CR gets a ' in front,
 * so that a spreadsheet never runs a return's text as a formula (CSV
 * injection). Caller frees; *len set.
 */
char	*chronology_csv(const struct chronology *, size_t *len);

/*
 * A JSON array of objects with the same keys (date: ISO or null; agency:
 * the key), plus date_text and agency_name. No formula prefix. Caller
 * puts.
 */
struct json_object *chronology_json(const struct chronology *);

#endif
