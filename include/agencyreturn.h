/*
 * agencyreturn.h - an agency's return (SPEC §3.3) as the readers find it,
 * whatever it came in: the fields by key, the chronology rows, and what a
 * person should be told about how it was read.
 *
 * The readers (docx.c, odt.c, csv.c, textform.c) fill a struct
 * agency_return; this module owns the field table (keys, form labels and
 * their synonyms), UK date reading, and the completeness rule. The
 * label-driven reading that DOCX and ODT share works on a struct ar_doc,
 * the document reduced to paragraphs, tables and content controls.
 */
#ifndef RR_AGENCYRETURN_H
#define RR_AGENCYRETURN_H

#include <stddef.h>

/* The fields of SPEC §3.3, in form order. */
enum ar_field {
	AR_AGENCY,		/* agency (name as written) */
	AR_AUTHOR,		/* author */
	AR_ROLE,		/* role */
	AR_EMAIL,		/* email */
	AR_PHONE,		/* phone */
	AR_COMPLETED,		/* completed (a date) */
	AR_INVOLVED,		/* involved: "yes" / "no" */
	AR_INVOLVEMENT,		/* involvement */
	AR_FIRST_CONTACT,	/* first_contact (a date) */
	AR_LAST_CONTACT,	/* last_contact (a date) */
	AR_CASE_STATUS,		/* case_status */
	AR_QUALITY,		/* quality */
	AR_IMPACT,		/* impact */
	AR_GOOD_PRACTICE,	/* good_practice */
	AR_DIFFERENT,		/* different */
	AR_INFORMATION_SHARING,	/* information_sharing */
	AR_VOICE_OF_CHILD,	/* voice_of_child */
	AR_EQUALITY,		/* equality */
	AR_IMMEDIATE_ACTIONS,	/* immediate_actions */
	AR_LEARNING,		/* learning */
	AR_LCSPR_VIEW,		/* lcspr_view: "yes" / "no" / "unsure" */
	AR_LCSPR_RATIONALE,	/* lcspr_rationale */
	AR_PARALLEL_PROCESSES,	/* parallel_processes */
	AR_RECORDS_SECURED,	/* records_secured */
	AR_SIGNED_OFF_BY,	/* signed_off_by */
	AR_SIGNED_OFF,		/* signed_off (a date) */
	AR_NFIELDS
};

/* The columns of a chronology row. */
enum ar_column {
	AR_COL_DATE,		/* date */
	AR_COL_TIME,		/* time */
	AR_COL_CONTACT_TYPE,	/* contact_type */
	AR_COL_SEEN,		/* seen */
	AR_COL_EVENT,		/* event */
	AR_COL_OUTCOME,		/* outcome */
	AR_COL_SIGNIFICANCE,	/* significance */
	AR_NCOLS
};

enum ar_source { AR_SOURCE_DOCX, AR_SOURCE_ODT, AR_SOURCE_CSV,
	AR_SOURCE_TEXT };

/* Readers stop adding at these, with a warning. */
#define AR_MAX_ROWS		5000
#define AR_MAX_FIELD_BYTES	(256 * 1024)
#define AR_MAX_WARNINGS		100

struct ar_row {
	char	*col[AR_NCOLS];	/* NULL when absent; trimmed UTF-8 */
	char	 date[11];	/* "YYYY-MM-DD" when col[AR_COL_DATE] could be
				   read as a date, else "" */
	char	 time[6];	/* "HH:MM" when a time was read, else "" */
};

struct agency_return {
	enum ar_source	 source;
	char		*field[AR_NFIELDS];	/* NULL: not found; trimmed,
						   lines joined with "\n" */
	struct ar_row	*rows;
	size_t		 n_rows;
	char		**warnings;		/* for the receipt or query */
	size_t		 n_warnings;
	int		 nil;			/* a nil return */
	int		 found;			/* 0: nothing of a return was
						   found in the input at all */
	unsigned long long unreadable;		/* ar_finish: bit 1 << field
						   for an answer it could
						   not read (private) */
};

struct agency_return	*ar_new(enum ar_source);
void			 ar_free(struct agency_return *);

/* "author", "first_contact", ...; "date", "contact_type", ... */
const char	*ar_field_key(enum ar_field);
const char	*ar_column_key(enum ar_column);
/* The label on the daemon's own forms: "Completed by", "Date", ... */
const char	*ar_field_label(enum ar_field);
const char	*ar_column_label(enum ar_column);

/* A key as written in "rr:author" or "[rr:author]" (without the rr:): the
 * field, or -1. */
int	ar_field_from_key(const char *key);

/*
 * A label as a person or another form wrote it ("Completed by:", "Name of
 * author", "LCSPR criteria met?", "Summary of involvement") to a field, or
 * -1. Case, punctuation, a trailing colon or "?", and a bracketed hint
 * such as "(yes/no)" or "[rr:author]" are ignored; a key in brackets wins.
 */
int	ar_field_from_label(const char *label);

/* A chronology header ("Date of contact", "Details", "What happened",
 * "Action / outcome") to a column, or -1. */
int	ar_column_from_label(const char *label);

/*
 * Set a field to value (copied, trimmed; an empty value leaves the field
 * unset). A second value for a field already set is appended after a
 * blank line. Values over AR_MAX_FIELD_BYTES are cut, with a warning.
 */
void	ar_set_field(struct agency_return *, enum ar_field, const char *value);

/* A new empty row (NULL, with a warning, past AR_MAX_ROWS). The rows may
 * move: a pointer from an earlier call is stale after the next. */
struct ar_row	*ar_add_row(struct agency_return *);
/* Set a column of a row (copied, trimmed); the date and time columns are
 * also read into row->date and row->time. */
void	ar_row_set(struct ar_row *, enum ar_column, const char *value);

/* Add a warning (printf-style; at most AR_MAX_WARNINGS are kept). Warnings
 * name fields and rows, never quote their content. */
void	ar_warn(struct agency_return *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * A UK date as people write it: 08/07/2024, 8/7/24, 8.7.2024, 8-7-2024,
 * 2024-07-08, 8 July 2024, 8th Jul 2024, Mon 8 Jul 2024, July 8, 2024.
 * Day first, never month first. Two-digit years are 20YY. Writes
 * "YYYY-MM-DD" to iso and returns 0, or -1 when it is not a real date.
 */
int	ar_parse_date(const char *text, char iso[11]);
/* "09:30", "9.30", "9:30am", "2pm", "14:05:00" to "HH:MM"; 0 or -1. */
int	ar_parse_time(const char *text, char hhmm[6]);

/*
 * After reading: normalise involved ("Yes", "Y", "no involvement" ...) and
 * lcspr_view to their keywords (an unreadable answer is left unset and
 * named by ar_unreadable), drop rows with nothing in them, set nil when
 * involved is "no", and add a warning for each row whose date could not
 * be read. Call once, before ar_missing.
 */
void	ar_finish(struct agency_return *);

/*
 * The required fields (SPEC §3.3) that are missing: labels in form order,
 * "Chronology" for no rows. Returns how many; *out (may be NULL) receives
 * a caller-freed array of borrowed labels.
 */
size_t	ar_missing(const struct agency_return *, const char ***out);
/* Fields that were given but could not be read (involved, lcspr_view):
 * same contract. ar_missing does not name them again. */
size_t	ar_unreadable(const struct agency_return *, const char ***out);
/* Complete: nothing missing or unreadable. */
int	ar_is_complete(const struct agency_return *);
/* How many fields hold a value. */
size_t	ar_count_fields(const struct agency_return *);

/*
 * The plain-text form the request carries (SPEC §3.3 item 4), its BEGIN
 * and END lines included, one "Label:" per field in form order and the
 * chronology line format. Caller frees.
 */
char	*ar_text_form(const char *case_ref);

/* --- documents, for the DOCX and ODT readers --- */

/*
 * A document reduced to what the label rules need, in reading order:
 * paragraphs (with whether they look like a label: a heading, or every
 * run bold), tables (rows of cells, each cell's paragraphs joined with
 * "\n"), and content controls (the key from the tag "rr:KEY", else from
 * "[rr:KEY]" in the title; their text).
 */
enum ar_block_type { AR_BLOCK_PARA, AR_BLOCK_TABLE, AR_BLOCK_CONTROL };

struct ar_block {
	enum ar_block_type	 type;
	char			*text;		/* PARA, CONTROL: the text */
	int			 emphasis;	/* PARA: heading or all bold */
	char			*key;		/* CONTROL: the key, or NULL */
	char			*title;		/* CONTROL: the title, or NULL */
	char			***cells;	/* TABLE: cells[r][c] */
	size_t			*n_cols;	/* TABLE: cells in row r */
	size_t			 n_rows;
};

struct ar_doc {
	struct ar_block		*blocks;
	size_t			 n_blocks;
};

void	ar_doc_free(struct ar_doc *);	/* frees the contents, not doc */

/*
 * Read a return out of a document: content controls by key (tag, then
 * title); then, for fields still unset, labels: two-column table rows
 * (Label | Value), "Label: value" paragraphs, and a heading or bold label
 * followed by paragraphs up to the next label; the chronology from the
 * first table whose header row names a date column and one other column.
 * Fills ret (whose source the caller chose); sets ret->found.
 */
void	ar_from_doc(const struct ar_doc *, struct agency_return *ret);

#endif
