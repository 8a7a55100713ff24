/*
 * returnform.h - the Word return form (SPEC §3.3, §4 "request")
 * personalised for one request.
 *
 * The template is templates/forms/agency-return.docx, built from
 * forms/agency-return/ by scripts/build-form. Its word/document.xml and
 * its header and footer parts carry placeholders, each alone in its own
 * w:t so that a plain replace finds it:
 *
 *	RR_CASE_REF	the case reference, "RR-2024-007"
 *	RR_AGENCY_NAME	the agency's name
 *	RR_DUE		the return deadline, as the request writes it
 *	RR_BACKGROUND	the case background; each run of newlines starts a
 *			new paragraph (the placeholder's paragraph is
 *			repeated), or a line break where the paragraph holds
 *			more than the placeholder
 *	RR_MARKING	the protective marking, "OFFICIAL-SENSITIVE"; empty
 *			for none
 *
 * Values are UTF-8; they are written XML-escaped (& < > " '), with bytes
 * that are not valid UTF-8 replaced by U+FFFD and control characters
 * other than tab dropped, so that any value gives a document Word opens.
 * A placeholder the template lacks is not an error: an administrator may
 * have edited the form.
 */
#ifndef RR_RETURNFORM_H
#define RR_RETURNFORM_H

#include <stddef.h>

/* The largest template file read. */
#define RETURNFORM_MAX_TEMPLATE	(5 * 1024 * 1024)

/* Borrowed strings; NULL is the same as "". */
struct returnform_fields {
	const char	*case_ref;
	const char	*agency_name;
	const char	*due;
	const char	*background;
	const char	*marking;
};

/*
 * Read the template at template_path (at most RETURNFORM_MAX_TEMPLATE
 * bytes) and write a copy with every placeholder replaced: each entry of
 * the template is copied in order, deflated, the document, header and
 * footer parts with their placeholders filled.
 *
 * Returns 0 with *docx (caller frees with free) and *len set. Returns -1
 * with *cause set (caller frees) and *docx NULL when the file cannot be
 * read, is too large, is not a zip archive (or breaks the zip limits), or
 * has no word/document.xml.
 */
int	returnform_build(const char *template_path,
	    const struct returnform_fields *, unsigned char **docx, size_t *len,
	    char **cause);

#endif
