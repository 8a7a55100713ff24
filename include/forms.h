/*
 * forms.h - the readers of agency returns (SPEC §3.3): DOCX (docx.c), ODT
 * (odt.c), CSV (csv.c) and the text form typed into a reply
 * (textform.c), each into a struct agency_return.
 *
 * Every reader takes bytes from an attachment that anyone may have sent:
 * it has limits on everything it counts, never follows a reference out of
 * the bytes it was given (no network, no DOCTYPE, no entities), and never
 * crashes on what it cannot read.
 */
#ifndef RR_FORMS_H
#define RR_FORMS_H

#include <stddef.h>

#include "agencyreturn.h"

struct zip_limits;

enum form_result {
	FORM_OK = 0,		/* read; *out set (perhaps with nothing found) */
	FORM_REFUSED,		/* will not be opened: macro-enabled,
				   encrypted, a DOCTYPE, over a limit. *cause
				   is the reason for the refused reply */
	FORM_UNREADABLE,	/* damaged or not that kind of file: *cause */
};

/* XML limits for DOCX and ODT parts; the zip limits are the caller's
 * ([limits] max_zip_entries, max_zip_expansion, max_zip_ratio). */
#define FORMS_MAX_XML_DEPTH	256
#define FORMS_MAX_BLOCKS	100000

/*
 * A Word document (.docx). A macro-enabled document (a vbaProject part, a
 * macroEnabled content type) and an encrypted one (an OLE compound file)
 * are refused. Reads word/document.xml into an ar_doc and ar_from_doc().
 * Returns FORM_OK with *out set (free with ar_free, ar_finish already
 * called), or the error with *cause set (caller frees) and *out NULL.
 */
enum form_result	docx_read(const void *data, size_t len,
			    const struct zip_limits *, struct agency_return **out,
			    char **cause);

/* A LibreOffice document (.odt), from content.xml; encrypted ones (an
 * encryption-data entry in the manifest) are refused. Same contract. */
enum form_result	odt_read(const void *data, size_t len,
			    const struct zip_limits *, struct agency_return **out,
			    char **cause);

/*
 * The documents as docx_read and odt_read see them, before ar_from_doc:
 * *out (free its contents with ar_doc_free) is filled on FORM_OK and left
 * empty otherwise, with *cause set (caller frees). Nested content
 * controls (in a paragraph, a table or another control) come after the
 * body's blocks. For rapidreviewctl inspect and the tests.
 */
enum form_result	docx_read_doc(const void *data, size_t len,
			    const struct zip_limits *, struct ar_doc *out,
			    char **cause);
enum form_result	odt_read_doc(const void *data, size_t len,
			    const struct zip_limits *, struct ar_doc *out,
			    char **cause);

/*
 * A chronology exported from a spreadsheet: UTF-8 with or without BOM, or
 * Windows-1252; comma or semicolon separated (whichever the header row
 * uses); quoted fields with doubled quotes and newlines. The header row
 * (the first row naming a date column and one other chronology column)
 * gives the columns; rows before it are skipped. Only the chronology is
 * read: the return's other fields stay unset. FORM_UNREADABLE when no
 * header row is found. Same contract.
 */
enum form_result	csv_read(const void *data, size_t len,
			    struct agency_return **out, char **cause);

/*
 * The text form in a reply's text (the text part, or the HTML part turned
 * into text): the lines between "--- RAPID REVIEW RETURN <ref> BEGIN ---"
 * and "--- END ---", also inside quoted text ("> " prefixes removed). A
 * later, unquoted copy wins over a quoted one. "Label: value" per field
 * (a value may go on over the following lines up to the next label),
 * chronology lines "date | contact type | what happened | outcome".
 * Without the markers, a text whose first line is "NIL RETURN" or says
 * "no involvement" is a nil return, its author from the lines after.
 * Returns 1 with *out set (ar_finish called), 0 when there is no return
 * in the text (*out NULL).
 */
int	textform_read(const char *text, struct agency_return **out);

#endif
