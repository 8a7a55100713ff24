/*
 * test_returnform.c - the Word return form personalised per request: the
 * real template (templates/forms/agency-return.docx, built by
 * scripts/build-form when missing), placeholders filled and escaped,
 * background paragraphs, the marking in header and footer, broken
 * templates, and the daemon's own reader on the result: empty as sent,
 * and full once filled in by tests/tools/formfill.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "agencyreturn.h"
#include "forms.h"
#include "returnform.h"
#include "xmalloc.h"
#include "zip.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const placeholders[] = {
	"RR_CASE_REF", "RR_AGENCY_NAME", "RR_DUE", "RR_BACKGROUND",
	"RR_MARKING",
};

/* The 26 fields of SPEC §3.3, each a control titled "LABEL [rr:KEY]". */
static const char *const keys[] = {
	"agency", "author", "role", "email", "phone", "completed", "involved",
	"involvement", "first_contact", "last_contact", "case_status",
	"quality", "impact", "good_practice", "different",
	"information_sharing", "voice_of_child", "equality",
	"immediate_actions", "learning", "lcspr_view", "lcspr_rationale",
	"parallel_processes", "records_secured", "signed_off_by", "signed_off",
};

/* The seed's "Case background", in two paragraphs as sin.c keeps them. */
static const char child_j_background[] =
    "In July 2024, Child J and his mother were found deceased in the "
    "family home; their deaths are thought to be a case of maternal "
    "filicide-suicide. Child J, a 5-year-old boy with autism, lived alone "
    "with his mother.\n\n"
    "Child J\xe2\x80\x99s parents separated in 2020; the reason for this "
    "is unknown, but alleged domestic abuse perpetrated by father may have "
    "been a causal factor.";

static char *
src_path(const char *rel)
{
	const char	*src = getenv("RR_SRC");
	char		*p;

	xasprintf(&p, "%s/%s", src != NULL && *src != '\0' ? src : ".", rel);
	return p;
}

/* The real template; built from forms/agency-return/ when missing. */
static char *
template_path(void)
{
	char	*path, *script, *forms, *cmd;

	path = src_path("templates/forms/agency-return.docx");
	if (access(path, R_OK) == 0)
		return path;
	script = src_path("scripts/build-form");
	forms = src_path("forms/agency-return");
	xasprintf(&cmd, "python3 '%s' '%s' '%s'", script, forms, path);
	if (system(cmd) != 0)
		fail_msg("could not build the form: %s", cmd);
	free(cmd);
	free(forms);
	free(script);
	return path;
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE		*fp;
	unsigned char	*buf;
	long		 n;

	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("%s: cannot open", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE	*fp;

	if ((fp = fopen(path, "wb")) == NULL)
		fail_msg("%s: cannot create", path);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static unsigned char *
build(const char *path, const struct returnform_fields *f, size_t *len)
{
	unsigned char	*docx = NULL;
	char		*cause = NULL;

	if (returnform_build(path, f, &docx, len, &cause) != 0)
		fail_msg("returnform_build: %s", cause);
	assert_null(cause);
	assert_non_null(docx);
	return docx;
}

/* One entry of an archive, NUL-terminated, its length in *out_len;
 * caller frees. */
static char *
entry_bytes(const unsigned char *docx, size_t len, const char *name,
    size_t *out_len)
{
	struct zip_limits	 lim;
	struct zip		*z;
	unsigned char		*data;
	char			*cause = NULL;
	size_t			 n;

	zip_limits_default(&lim);
	if (zip_open(docx, len, &lim, &z, &cause) != ZIP_OK)
		fail_msg("zip_open: %s", cause);
	if (zip_read(z, name, &data, &n, &cause) != ZIP_OK)
		fail_msg("zip_read %s: %s", name, cause);
	zip_close(z);
	*out_len = n;
	return (char *)data;
}

/* A text entry: no NUL inside. */
static char *
entry(const unsigned char *docx, size_t len, const char *name)
{
	char	*data;
	size_t	 n;

	data = entry_bytes(docx, len, name, &n);
	assert_int_equal(strlen(data), n);
	return data;
}

static void
assert_well_formed(const char *xml, const char *what)
{
	xmlDocPtr	doc;

	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		fail_msg("%s is not well-formed XML", what);
	xmlFreeDoc(doc);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t		 n = 0;
	const char	*p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("expected to find \"%s\"", needle);
}

static void
assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("did not expect \"%s\"", needle);
}

static char *
make_tmpdir(void)
{
	char	*d = xstrdup("/tmp/test_returnform.XXXXXX");

	if (mkdtemp(d) == NULL)
		fail_msg("mkdtemp failed");
	return d;
}

static void
remove_tmpdir(char *d)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(d);
}

/* The real form for Child J: every placeholder filled, every part still
 * XML, every control still there, the other parts untouched. */
static void
test_child_j(void **state)
{
	struct returnform_fields f = {
		"RR-2024-007", "Northshire Police", "Monday 15 July 2024",
		child_j_background, "OFFICIAL-SENSITIVE"
	};
	struct zip_limits	 lim;
	struct zip		*tz, *oz;
	const struct zip_entry	*te, *oe;
	unsigned char		*tpl, *docx, *a, *b;
	char			*path, *doc, *hdr, *ftr, *cause = NULL, tag[64];
	size_t			 tpl_len, len, i, j, alen, blen;

	(void)state;
	path = template_path();
	docx = build(path, &f, &len);

	doc = entry(docx, len, "word/document.xml");
	hdr = entry(docx, len, "word/header1.xml");
	ftr = entry(docx, len, "word/footer1.xml");
	assert_well_formed(doc, "word/document.xml");
	assert_well_formed(hdr, "word/header1.xml");
	assert_well_formed(ftr, "word/footer1.xml");
	assert_contains(doc, ">RR-2024-007<");
	assert_contains(doc, ">Northshire Police<");
	assert_contains(doc, ">Monday 15 July 2024<");
	assert_contains(doc, "maternal filicide-suicide");
	assert_contains(doc, "Child J\xe2\x80\x99s parents separated");
	assert_contains(doc, "Rapid Review \xe2\x80\x94 agency return");
	assert_contains(hdr, ">OFFICIAL-SENSITIVE<");
	assert_contains(ftr, ">OFFICIAL-SENSITIVE<");
	assert_contains(ftr, ">RR-2024-007<");
	for (i = 0; i < N(placeholders); i++) {
		assert_lacks(doc, placeholders[i]);
		assert_lacks(hdr, placeholders[i]);
		assert_lacks(ftr, placeholders[i]);
	}
	/* The background's two paragraphs, each in the Background style. */
	assert_int_equal(count(doc, "<w:pStyle w:val=\"Background\"/>"), 2);
	/* Each control by tag and by title; all showing their prompt. */
	for (i = 0; i < N(keys); i++) {
		snprintf(tag, sizeof tag, "\"rr:%s\"", keys[i]);
		if (count(doc, tag) != 1)
			fail_msg("tag %s: %zu times", tag, count(doc, tag));
		snprintf(tag, sizeof tag, " [rr:%s]\"", keys[i]);
		if (count(doc, tag) != 1)
			fail_msg("title %s: %zu times", tag, count(doc, tag));
	}
	assert_int_equal(count(doc, "<w:showingPlcHdr/>"), N(keys));
	assert_int_equal(count(doc, "<w:tblHeader/>"), 1);

	/* Same entries, same order; the parts without placeholders byte for
	 * byte the template's. */
	tpl = read_file(path, &tpl_len);
	zip_limits_default(&lim);
	assert_int_equal(zip_open(tpl, tpl_len, &lim, &tz, &cause), ZIP_OK);
	assert_int_equal(zip_open(docx, len, &lim, &oz, &cause), ZIP_OK);
	assert_int_equal(zip_count(oz), zip_count(tz));
	assert_string_equal(zip_entry_at(oz, 0)->name, "[Content_Types].xml");
	for (i = 0; i < zip_count(tz); i++) {
		te = zip_entry_at(tz, i);
		oe = zip_entry_at(oz, i);
		assert_string_equal(oe->name, te->name);
		assert_int_equal(oe->method, 8);
		if (strcmp(te->name, "word/document.xml") == 0 ||
		    strncmp(te->name, "word/header", 11) == 0 ||
		    strncmp(te->name, "word/footer", 11) == 0)
			continue;
		assert_int_equal(zip_read(tz, te->name, &a, &alen, &cause),
		    ZIP_OK);
		assert_int_equal(zip_read(oz, oe->name, &b, &blen, &cause),
		    ZIP_OK);
		assert_int_equal(alen, blen);
		for (j = 0; j < alen && a[j] == b[j]; j++)
			;
		if (j != alen)
			fail_msg("%s changed", te->name);
		free(a);
		free(b);
	}
	zip_close(tz);
	zip_close(oz);

	free(tpl);
	free(doc);
	free(hdr);
	free(ftr);
	free(docx);
	free(path);
}

/* Values are escaped for XML, and bytes XML cannot carry are not let
 * through: each value in the case line, the header, and the background. */
static void
test_escaping(void **state)
{
	static const struct {
		const char	*value;
		const char	*want;		/* in document.xml */
		const char	*unwanted;	/* NULL: none */
	} cases[] = {
		{ "Tom & Jerry", ">Tom &amp; Jerry<", "Tom & Jerry" },
		{ "<w:t>x</w:t>", "&lt;w:t&gt;x&lt;/w:t&gt;", "<w:t>x</w:t>" },
		{ "O'Brien \"Ltd\"", "O&apos;Brien &quot;Ltd&quot;", "O'Brien" },
		{ "Zo\xc3\xab N\xc3\xad Bhriain, caf\xc3\xa9 \xe2\x80\x93 "
		  "\xe2\x80\x9cok\xe2\x80\x9d",
		  "Zo\xc3\xab N\xc3\xad Bhriain, caf\xc3\xa9 \xe2\x80\x93 "
		  "\xe2\x80\x9cok\xe2\x80\x9d", NULL },
		{ "bad\xff byte", "bad\xef\xbf\xbd byte", "\xff" },
		{ "cut \xe2\x80", "cut \xef\xbf\xbd\xef\xbf\xbd<", NULL },
		{ "surrogate \xed\xa0\x80!", "surrogate \xef\xbf\xbd", "\xed" },
		{ "bell\x07 nul-free\x1b", "bell nul-free<", "\x07" },
		{ "tab\tkept", "tab\tkept", NULL },
		{ "RR_DUE in a value", "RR_DUE in a value", NULL },
		{ "]]> &amp;", "]]&gt; &amp;amp;", NULL },
	};
	struct returnform_fields f;
	unsigned char	*docx;
	char		*path, *doc, *hdr;
	size_t		 len, i;

	(void)state;
	path = template_path();
	for (i = 0; i < N(cases); i++) {
		f.case_ref = "RR-2024-001";
		f.agency_name = cases[i].value;
		f.due = "15/07/2024";
		f.background = cases[i].value;
		f.marking = cases[i].value;
		docx = build(path, &f, &len);
		doc = entry(docx, len, "word/document.xml");
		hdr = entry(docx, len, "word/header1.xml");
		assert_well_formed(doc, cases[i].value);
		assert_well_formed(hdr, cases[i].value);
		/* Agency name and background. */
		if (count(doc, cases[i].want) != 2)
			fail_msg("case %zu: \"%s\" %zu times in the document",
			    i, cases[i].want, count(doc, cases[i].want));
		assert_contains(hdr, cases[i].want);
		if (cases[i].unwanted != NULL) {
			assert_lacks(doc, cases[i].unwanted);
			assert_lacks(hdr, cases[i].unwanted);
		}
		free(doc);
		free(hdr);
		free(docx);
	}
	free(path);
}

/* Newlines in the background: one paragraph per line, blank lines and
 * CRs dropped, in the real form. */
static void
test_background_lines(void **state)
{
	static const struct {
		const char	*background;
		size_t		 paragraphs;
		const char	*want[4];
	} cases[] = {
		{ "", 1, { NULL } },
		{ "One line.", 1, { ">One line.<", NULL } },
		{ "First.\n\nSecond.\n- a bullet\n", 3,
		  { ">First.<", ">Second.<", ">- a bullet<", NULL } },
		{ "\r\n\r\nWindows.\r\n\r\n\r\nLines.\r\n", 2,
		  { ">Windows.<", ">Lines.<", NULL } },
		{ "A\n   \nB", 2, { ">A<", ">B<", NULL } },
	};
	struct returnform_fields f = { "RR-2024-002", "Police", "soon", NULL,
	    "" };
	unsigned char	*docx;
	char		*path, *doc;
	size_t		 len, i, j;

	(void)state;
	path = template_path();
	for (i = 0; i < N(cases); i++) {
		f.background = cases[i].background;
		docx = build(path, &f, &len);
		doc = entry(docx, len, "word/document.xml");
		assert_well_formed(doc, "document");
		if (count(doc, "<w:pStyle w:val=\"Background\"/>") !=
		    cases[i].paragraphs)
			fail_msg("case %zu: %zu paragraphs, want %zu", i,
			    count(doc, "<w:pStyle w:val=\"Background\"/>"),
			    cases[i].paragraphs);
		for (j = 0; cases[i].want[j] != NULL; j++)
			assert_contains(doc, cases[i].want[j]);
		assert_lacks(doc, "\r");
		assert_lacks(doc, "RR_BACKGROUND");
		free(doc);
		free(docx);
	}
	free(path);
}

/* An empty or missing marking leaves the header and footer blank. */
static void
test_marking(void **state)
{
	const char *const markings[] = { "", NULL, "OFFICIAL" };
	struct returnform_fields f = { "RR-2024-003", "Police", "soon", "Bg",
	    NULL };
	unsigned char	*docx;
	char		*path, *hdr, *ftr;
	size_t		 len, i;

	(void)state;
	path = template_path();
	for (i = 0; i < N(markings); i++) {
		f.marking = markings[i];
		docx = build(path, &f, &len);
		hdr = entry(docx, len, "word/header1.xml");
		ftr = entry(docx, len, "word/footer1.xml");
		assert_lacks(hdr, "RR_MARKING");
		assert_lacks(ftr, "RR_MARKING");
		if (markings[i] != NULL && *markings[i] != '\0') {
			assert_contains(hdr, ">OFFICIAL<");
			assert_contains(ftr, ">OFFICIAL<");
		} else {
			assert_lacks(hdr, "OFFICIAL");
			assert_contains(hdr, "<w:t></w:t>");
		}
		free(hdr);
		free(ftr);
		free(docx);
	}
	free(path);
}

/* A small template of our own, for the placements the real form does not
 * have: text beside the placeholder, a placeholder in an attribute, Word's
 * paragraph ids, several headers, no placeholders at all. */
static unsigned char *
small_template(const char *doc, size_t *len, int with_document)
{
	struct zip_writer	*w;
	unsigned char		*out;
	static const char	 ct[] = "<?xml version=\"1.0\"?><Types/>";
	static const char	 hdr2[] = "<w:hdr xmlns:w=\"x\"><w:p><w:r><w:t>"
	    "RR_CASE_REF</w:t></w:r></w:p></w:hdr>";
	static const char	 bin[] = "\0\1RR_CASE_REF\2";

	w = zip_writer_new();
	zip_writer_add(w, "[Content_Types].xml", ct, sizeof ct - 1, 0);
	zip_writer_add(w, "word/", "", 0, 0);
	if (with_document)
		zip_writer_add(w, "word/document.xml", doc, strlen(doc), 1);
	zip_writer_add(w, "word/header2.xml", hdr2, sizeof hdr2 - 1, 1);
	zip_writer_add(w, "word/media/image1.bin", bin, sizeof bin - 1, 0);
	zip_writer_finish(w, &out, len);
	return out;
}

static void
test_placements(void **state)
{
	static const struct {
		const char	*doc;
		const char	*want;
	} cases[] = {
		/* Text beside it: the paragraph is not repeated, lines are
		 * broken within the run. */
		{ "<w:document xmlns:w=\"x\"><w:body><w:p><w:r><w:t>Bg: "
		  "RR_BACKGROUND</w:t></w:r></w:p></w:body></w:document>",
		  "<w:t>Bg: L1</w:t><w:br/><w:t xml:space=\"preserve\">L2"
		  "</w:t></w:r></w:p></w:body>" },
		/* A bookmark in the paragraph: not repeated either. */
		{ "<w:document xmlns:w=\"x\"><w:body><w:p><w:bookmarkStart "
		  "w:id=\"0\" w:name=\"b\"/><w:r><w:t>RR_BACKGROUND</w:t>"
		  "</w:r><w:bookmarkEnd w:id=\"0\"/></w:p></w:body>"
		  "</w:document>",
		  "<w:t>L1</w:t><w:br/><w:t xml:space=\"preserve\">L2</w:t>" },
		/* Word's ids are left out of the copies. */
		{ "<w:document xmlns:w=\"x\" xmlns:w14=\"y\"><w:body><w:p "
		  "w14:paraId=\"1A2B3C4D\" w14:textId=\"77777777\" "
		  "w:rsidR=\"00AB\"><w:pPr><w:jc w:val=\"both\"/></w:pPr>"
		  "<w:r><w:rPr><w:i/></w:rPr><w:t>RR_BACKGROUND</w:t></w:r>"
		  "</w:p></w:body></w:document>",
		  "<w:t>L1</w:t></w:r></w:p><w:p w:rsidR=\"00AB\"><w:pPr>"
		  "<w:jc w:val=\"both\"/></w:pPr><w:r><w:rPr><w:i/></w:rPr>"
		  "<w:t>L2</w:t></w:r></w:p></w:body>" },
		/* In an attribute: newlines become spaces. */
		{ "<w:document xmlns:w=\"x\"><w:body><w:p><w:r><w:t "
		  "a=\"RR_BACKGROUND\">RR_CASE_REF</w:t></w:r></w:p></w:body>"
		  "</w:document>",
		  "a=\"L1 L2\">R&lt;1&gt;</w:t>" },
		/* Near misses are copied; a placeholder is taken where its
		 * name starts. */
		{ "<w:document xmlns:w=\"x\"><w:body><w:p><w:r><w:t>RR_ "
		  "RR_CASE RR_DUEX</w:t></w:r></w:p></w:body></w:document>",
		  "<w:t>RR_ RR_CASE 15/07X</w:t>" },
	};
	struct returnform_fields f = { "R<1>", "A", "15/07", "L1\nL2", "M" };
	unsigned char	*tpl, *docx;
	char		*dir, *path, *doc, *hdr, *img;
	size_t		 tpl_len, len, i, img_len;

	(void)state;
	dir = make_tmpdir();
	xasprintf(&path, "%s/small.docx", dir);
	for (i = 0; i < N(cases); i++) {
		tpl = small_template(cases[i].doc, &tpl_len, 1);
		write_file(path, tpl, tpl_len);
		docx = build(path, &f, &len);
		doc = entry(docx, len, "word/document.xml");
		assert_well_formed(doc, "document");
		if (strstr(doc, cases[i].want) == NULL)
			fail_msg("case %zu: got %s", i, doc);
		assert_true(count(doc, "w14:paraId") <= 1);
		assert_int_equal(count(doc, "<w:document"), 1);
		hdr = entry(docx, len, "word/header2.xml");
		assert_contains(hdr, "<w:t>R&lt;1&gt;</w:t>");
		/* Not a document part: not touched. */
		img = entry_bytes(docx, len, "word/media/image1.bin", &img_len);
		assert_int_equal(img_len, 14);
		assert_int_equal(memcmp(img, "\0\1RR_CASE_REF\2", 14), 0);
		free(img);
		free(hdr);
		free(doc);
		free(docx);
		free(tpl);
	}
	free(path);
	remove_tmpdir(dir);
}

/* Templates that cannot be used: -1 with a reason, nothing returned. */
static void
test_bad_templates(void **state)
{
	unsigned char	*docx, *tpl, junk[1];
	char		*dir, *path, *cause;
	size_t		 len, tpl_len;
	struct returnform_fields f = { "RR-2024-004", "A", "B", "C", "D" };
	FILE		*fp;
	int		 i;

	(void)state;
	dir = make_tmpdir();
	for (i = 0; i < 5; i++) {
		xasprintf(&path, "%s/t%d.docx", dir, i);
		switch (i) {
		case 0:		/* missing */
			break;
		case 1:		/* not a zip */
			write_file(path, "Dear colleague,\n", 16);
			break;
		case 2:		/* a zip without word/document.xml */
			tpl = small_template(NULL, &tpl_len, 0);
			write_file(path, tpl, tpl_len);
			free(tpl);
			break;
		case 3:		/* larger than the cap */
			fp = fopen(path, "wb");
			assert_non_null(fp);
			assert_int_equal(fseek(fp, RETURNFORM_MAX_TEMPLATE,
			    SEEK_SET), 0);
			assert_int_equal(fputc('x', fp), 'x');
			fclose(fp);
			break;
		case 4:		/* a folder */
			assert_int_equal(mkdir(path, 0700), 0);
			break;
		}
		docx = junk;
		len = 99;
		cause = NULL;
		if (returnform_build(path, &f, &docx, &len, &cause) != -1)
			fail_msg("case %d: built", i);
		assert_null(docx);
		assert_int_equal(len, 0);
		assert_non_null(cause);
		assert_true(strlen(cause) > strlen(path));
		free(cause);
		free(path);
	}
	remove_tmpdir(dir);
}

/* The form as sent reads back as a return with nothing in it. */
static void
test_reads_back_empty(void **state)
{
	struct returnform_fields f = { "RR-2024-007", "Northshire Police",
	    "Monday 15 July 2024", child_j_background, "OFFICIAL-SENSITIVE" };
	struct zip_limits	 lim;
	struct agency_return	*ar = NULL;
	unsigned char		*docx;
	char			*path, *cause = NULL;
	size_t			 len, i;

	(void)state;
	path = template_path();
	docx = build(path, &f, &len);
	zip_limits_default(&lim);
	if (docx_read(docx, len, &lim, &ar, &cause) != FORM_OK)
		fail_msg("docx_read: %s", cause);
	assert_non_null(ar);
	for (i = 0; i < AR_NFIELDS; i++) {
		if (ar->field[i] != NULL)
			fail_msg("field %s read from the empty form",
			    ar_field_key((enum ar_field)i));
	}
	assert_int_equal(ar->n_rows, 0);
	assert_int_equal(ar->nil, 0);
	assert_false(ar_is_complete(ar));
	ar_free(ar);
	free(docx);
	free(path);
}

/*
 * The form filled in as a person would (tests/tools/formfill with the
 * police fixture) reads back whole: every field, accents and curly quotes
 * intact, the three paragraphs of a long answer, six chronology rows.
 */
static void
test_reads_back_filled(void **state)
{
	struct returnform_fields f = { "RR-2024-007", "Northshire Police",
	    "Monday 15 July 2024", child_j_background, "OFFICIAL-SENSITIVE" };
	struct zip_limits	 lim;
	struct agency_return	*ar = NULL;
	unsigned char		*docx, *filled;
	char			*path, *dir, *in, *out, *tool, *answers, *cmd;
	char			*cause = NULL;
	size_t			 len, filled_len;

	(void)state;
	path = template_path();
	docx = build(path, &f, &len);
	dir = make_tmpdir();
	xasprintf(&in, "%s/form.docx", dir);
	xasprintf(&out, "%s/filled.docx", dir);
	write_file(in, docx, len);
	tool = src_path("tests/tools/formfill");
	answers = src_path("tests/fixtures/returns/police-full.json");
	xasprintf(&cmd, "python3 '%s' fill '%s' '%s' '%s'", tool, in, answers,
	    out);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
	filled = read_file(out, &filled_len);

	zip_limits_default(&lim);
	if (docx_read(filled, filled_len, &lim, &ar, &cause) != FORM_OK)
		fail_msg("docx_read: %s", cause);
	assert_non_null(ar);
	assert_true(ar->found);
	assert_int_equal(ar_count_fields(ar), AR_NFIELDS);
	assert_string_equal(ar->field[AR_AUTHOR],
	    "DS Zo\xc3\xab N\xc3\xad Bhriain");
	assert_string_equal(ar->field[AR_INVOLVED], "yes");
	assert_string_equal(ar->field[AR_LCSPR_VIEW], "yes");
	assert_string_equal(ar->field[AR_COMPLETED], "2024-07-12");
	assert_non_null(strstr(ar->field[AR_QUALITY], "\xe2\x80\x9c"));
	assert_int_equal(count(ar->field[AR_QUALITY], "\n"), 2);
	assert_lacks(ar->field[AR_AGENCY], "Click or tap");
	assert_int_equal(ar->n_rows, 6);
	assert_string_equal(ar->rows[0].date, "2023-03-14");
	assert_string_equal(ar->rows[0].time, "21:40");
	assert_string_equal(ar->rows[5].date, "2024-07-03");
	assert_true(ar_is_complete(ar));
	ar_free(ar);

	free(filled);
	free(cmd);
	free(answers);
	free(tool);
	free(out);
	free(in);
	remove_tmpdir(dir);
	free(docx);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_j),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_background_lines),
		cmocka_unit_test(test_marking),
		cmocka_unit_test(test_placements),
		cmocka_unit_test(test_bad_templates),
		cmocka_unit_test(test_reads_back_empty),
		cmocka_unit_test(test_reads_back_filled),
	};

	xmlInitParser();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
