/*
 * test_docx.c - the DOCX and ODT readers (docx.c, odt.c): documents built
 * in memory with the zip writer (content controls, label tables, a
 * chronology, formatting, text boxes, tracked changes), what they are
 * refused for (encrypted, macros, DOCTYPE, limits), every file of the
 * shared corpus, and, when soffice is installed, our form saved again by
 * LibreOffice as DOCX and ODT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agencyreturn.h"
#include "forms.h"
#include "xmalloc.h"
#include "zip.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

#define W_NS	"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define W_STRICT "http://purl.oclc.org/ooxml/wordprocessingml/main"

#define CONTENT_TYPES \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" \
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/" \
	"content-types\"><Default Extension=\"rels\" ContentType=\"" \
	"application/vnd.openxmlformats-package.relationships+xml\"/>" \
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>" \
	"<Override PartName=\"/%s\" ContentType=\"application/" \
	"vnd.openxmlformats-officedocument.wordprocessingml.document." \
	"main+xml\"/><Override PartName=\"/word/styles.xml\" ContentType=" \
	"\"application/vnd.openxmlformats-officedocument.wordprocessingml." \
	"styles+xml\"/></Types>"
#define RELS \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" \
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/" \
	"2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://" \
	"schemas.openxmlformats.org/officeDocument/2006/relationships/" \
	"officeDocument\" Target=\"word/document.xml\"/></Relationships>"
#define DOC_RELS \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" \
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/" \
	"2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://" \
	"schemas.openxmlformats.org/officeDocument/2006/relationships/" \
	"styles\" Target=\"styles.xml\"/></Relationships>"

#define DOC_HEAD(ns) \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" \
	"<w:document xmlns:w=\"" ns "\" " \
	"xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/" \
	"2006\" xmlns:wp=\"http://schemas.openxmlformats.org/" \
	"drawingml/2006/wordprocessingDrawing\" xmlns:wps=\"http://" \
	"schemas.microsoft.com/office/word/2010/wordprocessingShape\" " \
	"xmlns:v=\"urn:schemas-microsoft-com:vml\"><w:body>"
#define DOC_TAIL "<w:sectPr/></w:body></w:document>"

#define STYLES	STYLES_FOR(W_NS)
#define STYLES_FOR(ns) \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<w:styles xmlns:w=\"" ns "\">" \
	"<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\">" \
	"<w:name w:val=\"Normal\"/></w:style>" \
	"<w:style w:type=\"paragraph\" w:styleId=\"Kop1\">" \
	"<w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/>" \
	"</w:style>" \
	"<w:style w:type=\"paragraph\" w:styleId=\"Eigen\">" \
	"<w:name w:val=\"Eigen\"/><w:basedOn w:val=\"Kop1\"/></w:style>" \
	"<w:style w:type=\"paragraph\" w:styleId=\"Vet\">" \
	"<w:name w:val=\"Vet\"/><w:rPr><w:b/></w:rPr></w:style>" \
	"<w:style w:type=\"character\" w:styleId=\"Strong\">" \
	"<w:name w:val=\"Strong\"/><w:rPr><w:b/></w:rPr></w:style>" \
	"</w:styles>"

/* Runs and paragraphs. */
#define R(t)	"<w:r><w:t xml:space=\"preserve\">" t "</w:t></w:r>"
#define RB(t)	"<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">" t \
		"</w:t></w:r>"
#define P(t)	"<w:p>" R(t) "</w:p>"
#define TC(t)	"<w:tc><w:tcPr><w:tcW w:w=\"2000\" w:type=\"dxa\"/></w:tcPr>" \
		P(t) "</w:tc>"
/* A plain-text content control inside a paragraph. */
#define SDT(pr, t) "<w:sdt><w:sdtPr>" pr "<w:text/></w:sdtPr><w:sdtContent>" \
		R(t) "</w:sdtContent></w:sdt>"
#define TAG(k)	"<w:tag w:val=\"" k "\"/>"
#define ALIAS(a) "<w:alias w:val=\"" a "\"/>"

/* The daemon's kind of form, filled in, with all the cases at once. */
static const char form_body[] =
    "<w:p><w:pPr><w:pStyle w:val=\"Kop1\"/></w:pPr>" R("Agency return")
    "</w:p>"
    "<w:p>" RB("Completed by: ")
    SDT(ALIAS("Completed by [rr:author]") TAG("rr:author"), "Jane Smith")
    "</w:p>"
    "<w:p>" R("Email: ") SDT(ALIAS("Email [rr:email]"),
    "jane@police.example") "</w:p>"
    "<w:p>" R("Phone: ") "<w:sdt><w:sdtPr>" TAG("rr:phone")
    "<w:showingPlcHdr/></w:sdtPr><w:sdtContent>"
    R("Click or tap here to enter text.") "</w:sdtContent></w:sdt></w:p>"
    "<w:p>" R("Involved: ") SDT(TAG("rr:involved"), "Yes") "</w:p>"
    "<w:sdt><w:sdtPr>" TAG("rr:involvement") "</w:sdtPr><w:sdtContent>"
    P("Line one") P("Line two") "</w:sdtContent></w:sdt>"
    "<w:sdt><w:sdtPr>" TAG("other") "</w:sdtPr><w:sdtContent>"
    P("Plain control") "</w:sdtContent></w:sdt>"
    "<w:p>" RB("All") "<w:r><w:rPr><w:b w:val=\"true\"/></w:rPr>"
    "<w:t xml:space=\"preserve\"> bold</w:t></w:r>" R(" ") "</w:p>"
    "<w:p>" RB("Half") R(" plain") "</w:p>"
    "<w:p><w:r><w:rPr><w:b w:val=\"0\"/></w:rPr><w:t>Not bold</w:t></w:r>"
    "</w:p>"
    "<w:p><w:r><w:rPr><w:rStyle w:val=\"Strong\"/></w:rPr>"
    "<w:t>Strong style</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:pStyle w:val=\"Vet\"/></w:pPr>" R("Bold style")
    "</w:p>"
    "<w:p><w:pPr><w:pStyle w:val=\"Eigen\"/></w:pPr>" R("Based on heading")
    "</w:p>"
    "<w:p><w:r><w:t>A</w:t><w:tab/><w:t>B</w:t><w:br/><w:t>C</w:t></w:r>"
    "<w:del><w:r><w:delText>gone</w:delText></w:r></w:del>"
    "<w:ins><w:r><w:t>D</w:t></w:r></w:ins>"
    "<w:hyperlink>" R("E") "</w:hyperlink></w:p>"
    "<w:p>" R("Field: ")
    "<w:r><w:fldChar w:fldCharType=\"begin\"><w:ffData><w:textInput/>"
    "</w:ffData></w:fldChar></w:r>"
    "<w:r><w:instrText xml:space=\"preserve\"> FORMTEXT </w:instrText></w:r>"
    "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>" R("typed")
    "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p>"
    "<w:p>" R("Blank:") R("\xe2\x80\x82\xe2\x80\x82\xc2\xa0") "</w:p>"
    "<w:p>" R("Box:") "<w:r><mc:AlternateContent>"
    "<mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><wps:wsp><wps:txbx>"
    "<w:txbxContent>" P("inside") "</w:txbxContent></wps:txbx></wps:wsp>"
    "</wp:anchor></w:drawing></mc:Choice>"
    "<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>" P("inside")
    "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
    "</mc:AlternateContent></w:r></w:p>"
    /* Label | Value. */
    "<w:tbl><w:tblPr/><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>"
    "<w:tr>" TC("Role") TC("Social worker") "</w:tr>"
    "<w:tr>" TC("Agency") "<w:tc><w:sdt><w:sdtPr>" TAG("rr:agency")
    "</w:sdtPr><w:sdtContent>" P("Northshire Police")
    "</w:sdtContent></w:sdt></w:tc></w:tr>"
    "<w:tr><w:tc><w:tcPr><w:gridSpan w:val=\"2\"/></w:tcPr>" P("Spanning")
    "</w:tc></w:tr>"
    "<w:tr>" TC("Nested") "<w:tc><w:tbl><w:tr>" TC("n1") TC("n2")
    "</w:tr></w:tbl>" P("after") "</w:tc></w:tr>"
    "</w:tbl>"
    P("")
    /* The chronology. */
    "<w:tbl><w:tr>" TC("Date") TC("Contact type") TC("What happened")
    TC("Outcome") "</w:tr>"
    "<w:tr>" TC("01/03/2024") TC("Home visit") TC("Child seen alone")
    TC("NFA") "</w:tr>"
    "<w:sdt><w:sdtPr>" TAG("row") "</w:sdtPr><w:sdtContent>"
    "<w:tr>" TC("15 March 2024") TC("Phone call") TC("Mother called")
    TC("Advice") "</w:tr></w:sdtContent></w:sdt>"
    "</w:tbl>"
    P("")
    /* Merges and a placeholder cell. */
    "<w:tbl><w:tr><w:tc><w:tcPr><w:vMerge w:val=\"restart\"/></w:tcPr>"
    P("top") "</w:tc>" TC("B") "</w:tr>"
    "<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr>" P("ghost") "</w:tc>" TC("C")
    "</w:tr>"
    "<w:tr><w:sdt><w:sdtPr><w:showingPlcHdr/><w:dropDownList/></w:sdtPr>"
    "<w:sdtContent>" TC("Choose an item.") "</w:sdtContent></w:sdt>"
    TC("D") "</w:tr></w:tbl>";

static const char *
src_dir(void)
{
	const char	*s = getenv("RR_SRC");

	return s != NULL ? s : ".";
}

static unsigned char *
load_file(const char *path, size_t *len)
{
	FILE		*fp;
	unsigned char	*buf;
	long		 n;

	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		fail_msg("cannot read %s", path);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
save_file(const char *path, const void *data, size_t len)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

struct part {
	const char	*name;
	const char	*data;
	size_t		 len;	/* 0: strlen */
	int		 stored;
};

static unsigned char *
make_zip(const struct part *parts, size_t n, size_t *len)
{
	struct zip_writer	*w = zip_writer_new();
	unsigned char		*zip;
	size_t			 i;

	for (i = 0; i < n; i++)
		zip_writer_add(w, parts[i].name, parts[i].data,
		    parts[i].len != 0 ? parts[i].len : strlen(parts[i].data),
		    !parts[i].stored);
	zip_writer_finish(w, &zip, len);
	return zip;
}

/* A DOCX of document.xml (whole) and styles.xml (NULL: none). */
static unsigned char *
make_docx_xml(const char *document, const char *styles, size_t *len)
{
	struct part	 parts[5];
	unsigned char	*zip;
	char		*types;
	size_t		 n = 0;

	xasprintf(&types, CONTENT_TYPES, "word/document.xml");
	parts[n++] = (struct part){ "[Content_Types].xml", types, 0, 0 };
	parts[n++] = (struct part){ "_rels/.rels", RELS, 0, 0 };
	parts[n++] = (struct part){ "word/document.xml", document, 0, 0 };
	if (styles != NULL) {
		parts[n++] = (struct part){ "word/_rels/document.xml.rels",
		    DOC_RELS, 0, 0 };
		parts[n++] = (struct part){ "word/styles.xml", styles, 0, 0 };
	}
	zip = make_zip(parts, n, len);
	free(types);
	return zip;
}

static unsigned char *
make_docx(const char *body, const char *styles, size_t *len)
{
	unsigned char	*zip;
	char		*doc;

	xasprintf(&doc, "%s%s%s", DOC_HEAD(W_NS), body, DOC_TAIL);
	zip = make_docx_xml(doc, styles, len);
	free(doc);
	return zip;
}

static const struct ar_block *
find_para(const struct ar_doc *d, const char *text)
{
	size_t	i;

	for (i = 0; i < d->n_blocks; i++)
		if (d->blocks[i].type == AR_BLOCK_PARA &&
		    strcmp(d->blocks[i].text, text) == 0)
			return &d->blocks[i];
	return NULL;
}

static size_t
index_of(const struct ar_doc *d, const struct ar_block *b)
{
	return (size_t)(b - d->blocks);
}

static const struct ar_block *
find_control(const struct ar_doc *d, const char *key)
{
	size_t	i;

	for (i = 0; i < d->n_blocks; i++)
		if (d->blocks[i].type == AR_BLOCK_CONTROL &&
		    d->blocks[i].key != NULL &&
		    strcmp(d->blocks[i].key, key) == 0)
			return &d->blocks[i];
	return NULL;
}

static size_t
count_type(const struct ar_doc *d, enum ar_block_type type)
{
	size_t	i, n = 0;

	for (i = 0; i < d->n_blocks; i++)
		n += d->blocks[i].type == type;
	return n;
}

static const struct ar_block *
nth_table(const struct ar_doc *d, size_t n)
{
	size_t	i;

	for (i = 0; i < d->n_blocks; i++)
		if (d->blocks[i].type == AR_BLOCK_TABLE && n-- == 0)
			return &d->blocks[i];
	return NULL;
}

/* Row r of table t as "a|b|c". */
static char *
row_text(const struct ar_block *t, size_t r)
{
	char	*s = xstrdup(""), *u;
	size_t	 c;

	assert_true(r < t->n_rows);
	for (c = 0; c < t->n_cols[r]; c++) {
		xasprintf(&u, "%s%s%s", s, c > 0 ? "|" : "", t->cells[r][c]);
		free(s);
		s = u;
	}
	return s;
}

static void
assert_row(const struct ar_block *t, size_t r, const char *want)
{
	char	*got = row_text(t, r);

	if (strcmp(got, want) != 0)
		fail_msg("row %zu: got '%s', want '%s'", r, got, want);
	free(got);
}

static void
assert_para(const struct ar_doc *d, const char *text, int emphasis)
{
	const struct ar_block	*b;

	if ((b = find_para(d, text)) == NULL)
		fail_msg("no paragraph '%s'", text);
	if (b->emphasis != emphasis)
		fail_msg("'%s': emphasis %d, want %d", text, b->emphasis,
		    emphasis);
}

static void
assert_control(const struct ar_doc *d, const char *key, const char *text,
    const char *title)
{
	const struct ar_block	*b;

	if ((b = find_control(d, key)) == NULL)
		fail_msg("no control %s", key);
	if (strcmp(b->text, text) != 0)
		fail_msg("control %s: '%s', want '%s'", key, b->text, text);
	if (title == NULL ? b->title != NULL :
	    b->title == NULL || strcmp(b->title, title) != 0)
		fail_msg("control %s: title '%s'", key,
		    b->title != NULL ? b->title : "(null)");
}

/* The form's reading, block by block. */
static void
check_form_doc(const struct ar_doc *d)
{
	const struct ar_block	*t, *b;
	size_t			 i;

	assert_para(d, "Agency return", 1);
	assert_para(d, "Completed by: Jane Smith", 0);
	assert_para(d, "Email: jane@police.example", 0);
	/* A placeholder is not text, in the control or the paragraph. */
	assert_para(d, "Phone: ", 0);
	assert_para(d, "Involved: Yes", 0);
	assert_para(d, "Plain control", 0);
	assert_para(d, "All bold ", 1);
	assert_para(d, "Half plain", 0);
	assert_para(d, "Not bold", 0);
	assert_para(d, "Strong style", 1);
	assert_para(d, "Bold style", 1);
	assert_para(d, "Based on heading", 1);
	assert_para(d, "A\tB\nCDE", 0);
	assert_para(d, "Field: typed", 0);
	assert_para(d, "Blank:   ", 0);
	assert_para(d, "Box:\ninside", 0);
	/* A control's paragraphs are its text, not paragraphs of their own. */
	assert_null(find_para(d, "Line one"));

	assert_control(d, "author", "Jane Smith", "Completed by [rr:author]");
	assert_control(d, "email", "jane@police.example", "Email [rr:email]");
	assert_control(d, "phone", "", NULL);
	assert_control(d, "involved", "Yes", NULL);
	assert_control(d, "involvement", "Line one\nLine two", NULL);
	assert_control(d, "agency", "Northshire Police", NULL);
	assert_null(find_control(d, "other"));
	assert_null(find_control(d, "row"));
	assert_int_equal(count_type(d, AR_BLOCK_CONTROL), 6);

	/* The body's own control stays in place; nested ones come last. */
	b = find_control(d, "involvement");
	assert_true(index_of(d, b) > index_of(d, find_para(d,
	    "Involved: Yes")));
	assert_true(index_of(d, b) < index_of(d, find_para(d,
	    "Plain control")));
	for (i = index_of(d, nth_table(d, 2)) + 1; i < d->n_blocks; i++)
		assert_int_equal(d->blocks[i].type, AR_BLOCK_CONTROL);
	assert_true(index_of(d, find_control(d, "author")) >
	    index_of(d, nth_table(d, 2)));

	assert_int_equal(count_type(d, AR_BLOCK_TABLE), 3);
	t = nth_table(d, 0);
	assert_int_equal(t->n_rows, 4);
	assert_row(t, 0, "Role|Social worker");
	assert_row(t, 1, "Agency|Northshire Police");
	assert_row(t, 2, "Spanning");
	assert_row(t, 3, "Nested|n1\nn2\nafter");
	t = nth_table(d, 1);
	assert_int_equal(t->n_rows, 3);
	assert_row(t, 0, "Date|Contact type|What happened|Outcome");
	assert_row(t, 2, "15 March 2024|Phone call|Mother called|Advice");
	t = nth_table(d, 2);
	assert_row(t, 0, "top|B");
	assert_row(t, 1, "|C");
	assert_row(t, 2, "|D");
}

static void
test_docx_form(void **state)
{
	struct ar_doc		 d;
	unsigned char		*zip;
	size_t			 len;
	char			*cause = (char *)1;

	zip = make_docx(form_body, STYLES, &len);
	assert_int_equal(docx_read_doc(zip, len, NULL, &d, &cause), FORM_OK);
	assert_null(cause);
	check_form_doc(&d);
	ar_doc_free(&d);
	free(zip);
}

/* ISO Strict names the same elements in another namespace. */
static void
test_docx_strict(void **state)
{
	struct ar_doc	 d;
	unsigned char	*zip;
	char		*doc;
	size_t		 len;

	xasprintf(&doc, "%s%s%s", DOC_HEAD(W_STRICT), form_body, DOC_TAIL);
	zip = make_docx_xml(doc, STYLES_FOR(W_STRICT), &len);
	assert_int_equal(docx_read_doc(zip, len, NULL, &d, NULL), FORM_OK);
	check_form_doc(&d);
	ar_doc_free(&d);
	free(zip);
	free(doc);
}

/* The same, read as a return (the label rules are agencyreturn.c's). */
static void
test_docx_return(void **state)
{
	struct agency_return	*ret;
	unsigned char		*zip;
	size_t			 len;
	char			*cause = NULL;

	zip = make_docx(form_body, STYLES, &len);
	assert_int_equal(docx_read(zip, len, NULL, &ret, &cause), FORM_OK);
	assert_non_null(ret);
	assert_int_equal(ret->source, AR_SOURCE_DOCX);
	assert_true(ret->found);
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	assert_string_equal(ret->field[AR_EMAIL], "jane@police.example");
	assert_string_equal(ret->field[AR_INVOLVED], "yes");
	assert_string_equal(ret->field[AR_INVOLVEMENT], "Line one\nLine two");
	assert_string_equal(ret->field[AR_AGENCY], "Northshire Police");
	assert_string_equal(ret->field[AR_ROLE], "Social worker");
	assert_null(ret->field[AR_PHONE]);
	assert_int_equal(ret->n_rows, 2);
	assert_string_equal(ret->rows[0].date, "2024-03-01");
	assert_string_equal(ret->rows[0].col[AR_COL_EVENT], "Child seen alone");
	assert_string_equal(ret->rows[1].date, "2024-03-15");
	assert_string_equal(ret->rows[1].col[AR_COL_OUTCOME], "Advice");
	ar_free(ret);
	free(zip);
}

struct refusal {
	const char		*what;
	const char		*document;	/* NULL: the form */
	const char		*styles;
	const char		*types;		/* NULL: the usual */
	const char		*extra;		/* an extra entry's name */
	enum form_result	 want;
	const char		*cause;		/* in the cause */
};

static void
test_docx_refused(void **state)
{
	static const char	 doctype_doc[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE w:document [\n"
	    "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	    "<w:document xmlns:w=\"" W_NS "\"><w:body><w:p><w:r><w:t>&x;"
	    "</w:t></w:r></w:p></w:body></w:document>";
	static const char	 lower_doc[] =
	    "<?xml version=\"1.0\"?><!doctype w:document>"
	    "<w:document xmlns:w=\"" W_NS "\"/>";
	static const char	 laughs[] =
	    "<?xml version=\"1.0\"?><!DocType lolz [<!ENTITY a \"aaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
	    "<w:document xmlns:w=\"" W_NS "\"><w:body><w:p><w:r><w:t>&b;"
	    "</w:t></w:r></w:p></w:body></w:document>";
	static const char	 styles_doctype[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"http://evil/\">"
	    "<w:styles xmlns:w=\"" W_NS "\"/>";
	static const char	 types_macro[] =
	    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas."
	    "openxmlformats.org/package/2006/content-types\"><Override "
	    "PartName=\"/word/document.xml\" ContentType=\"application/"
	    "vnd.ms-word.document.macroEnabled.main+xml\"/></Types>";
	static const char	 types_doctype[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE Types><Types/>";
	static const char	 not_well_formed[] =
	    "<?xml version=\"1.0\"?><w:document xmlns:w=\"" W_NS "\">"
	    "<w:body><w:p></w:body>";
	static const char	 wrong_root[] =
	    "<?xml version=\"1.0\"?><html><body><p>hello</p></body></html>";
	static const char	 no_ns[] =
	    "<?xml version=\"1.0\"?><document><body><p><r><t>x</t></r></p>"
	    "</body></document>";
	static const struct refusal cases[] = {
		{ "XXE", doctype_doc, NULL, NULL, NULL, FORM_REFUSED,
		    "DOCTYPE" },
		{ "doctype in lower case", lower_doc, NULL, NULL, NULL,
		    FORM_REFUSED, "DOCTYPE" },
		{ "billion laughs", laughs, NULL, NULL, NULL, FORM_REFUSED,
		    "DOCTYPE" },
		{ "doctype in styles.xml", NULL, styles_doctype, NULL, NULL,
		    FORM_REFUSED, "DOCTYPE" },
		{ "doctype in content types", NULL, NULL, types_doctype, NULL,
		    FORM_REFUSED, "DOCTYPE" },
		{ "vbaProject", NULL, NULL, NULL, "word/vbaProject.bin",
		    FORM_REFUSED, "macro-enabled document (.docm)" },
		{ "vbaProject elsewhere", NULL, NULL, NULL,
		    "customUI/VBAPROJECT2.BIN", FORM_REFUSED,
		    "macro-enabled" },
		{ "macroEnabled content type", NULL, NULL, types_macro, NULL,
		    FORM_REFUSED, "macro-enabled" },
		{ "not well-formed", not_well_formed, NULL, NULL, NULL,
		    FORM_UNREADABLE, "damaged" },
		{ "not WordprocessingML", wrong_root, NULL, NULL, NULL,
		    FORM_UNREADABLE, "not a Word document" },
		{ "no namespace", no_ns, NULL, NULL, NULL, FORM_UNREADABLE,
		    "not a Word document" },
		{ "vbaData.xml alone is fine", NULL, NULL, NULL,
		    "word/vbaData.xml", FORM_OK, NULL },
	};
	struct part		 parts[5];
	struct agency_return	*ret;
	unsigned char		*zip;
	char			*doc, *types, *cause;
	size_t			 i, n, len;
	enum form_result	 got;

	for (i = 0; i < N(cases); i++) {
		if (cases[i].document != NULL)
			doc = xstrdup(cases[i].document);
		else
			xasprintf(&doc, "%s%s%s", DOC_HEAD(W_NS), form_body,
			    DOC_TAIL);
		if (cases[i].types != NULL)
			types = xstrdup(cases[i].types);
		else
			xasprintf(&types, CONTENT_TYPES, "word/document.xml");
		n = 0;
		parts[n++] = (struct part){ "[Content_Types].xml", types, 0,
		    0 };
		parts[n++] = (struct part){ "word/document.xml", doc, 0, 0 };
		parts[n++] = (struct part){ "word/styles.xml",
		    cases[i].styles != NULL ? cases[i].styles : STYLES, 0, 0 };
		if (cases[i].extra != NULL)
			parts[n++] = (struct part){ cases[i].extra, "xx", 0,
			    1 };
		zip = make_zip(parts, n, &len);
		cause = NULL;
		got = docx_read(zip, len, NULL, &ret, &cause);
		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d (%s)", cases[i].what,
			    got, cases[i].want, cause != NULL ? cause : "");
		if (got == FORM_OK) {
			assert_non_null(ret);
			assert_null(cause);
			ar_free(ret);
		} else {
			assert_null(ret);
			if (cause == NULL ||
			    strstr(cause, cases[i].cause) == NULL)
				fail_msg("%s: cause '%s'", cases[i].what,
				    cause != NULL ? cause : "(null)");
			free(cause);
		}
		free(zip);
		free(doc);
		free(types);
	}
}

/* A UTF-16 document.xml with a DOCTYPE is caught before parsing too. */
static void
test_docx_utf16_doctype(void **state)
{
	static const char	 ascii[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE x [<!ENTITY "
	    "e SYSTEM \"http://127.0.0.1:9/\">]><w:document xmlns:w=\"" W_NS
	    "\"><w:body><w:p><w:r><w:t>&e;</w:t></w:r></w:p></w:body>"
	    "</w:document>";
	struct part		 parts[1];
	struct ar_doc		 d;
	unsigned char		*zip;
	char			*u16, *cause = NULL;
	size_t			 i, len, n = strlen(ascii);

	u16 = xmalloc(2 * n + 2);
	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (i = 0; i < n; i++) {
		u16[2 + 2 * i] = ascii[i];
		u16[3 + 2 * i] = '\0';
	}
	parts[0] = (struct part){ "word/document.xml", u16, 2 * n + 2, 0 };
	zip = make_zip(parts, 1, &len);
	assert_int_equal(docx_read_doc(zip, len, NULL, &d, &cause),
	    FORM_REFUSED);
	assert_non_null(strstr(cause, "DOCTYPE"));
	assert_int_equal(d.n_blocks, 0);
	free(cause);
	free(zip);
	free(u16);
}

static void
test_docx_containers(void **state)
{
	static const unsigned char ole[] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1,
	    0xb1, 0x1a, 0xe1 };
	static const char	 enc[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0"
				    "k\0a\0g\0e\0";
	struct agency_return	*ret;
	struct zip_limits	 lim;
	unsigned char		*buf, *zip;
	char			*cause, *doc, *types, *zeros;
	struct part		 parts[3];
	size_t			 len, i;

	/* An OLE file with an EncryptedPackage stream: encrypted. */
	buf = xcalloc(1, 4096);
	memcpy(buf, ole, sizeof ole);
	memcpy(buf + 1024, enc, sizeof enc - 1);
	assert_int_equal(docx_read(buf, 4096, NULL, &ret, &cause),
	    FORM_REFUSED);
	assert_null(ret);
	assert_string_equal(cause, "the document is password-protected "
	    "(encrypted)");
	free(cause);
	/* Without one: an old .doc. */
	memset(buf + 1024, 0, sizeof enc);
	assert_int_equal(docx_read(buf, 4096, NULL, &ret, &cause),
	    FORM_REFUSED);
	assert_non_null(strstr(cause, ".doc"));
	free(cause);
	free(buf);

	/* Not a zip; empty. */
	assert_int_equal(docx_read("hello", 5, NULL, &ret, &cause),
	    FORM_UNREADABLE);
	assert_string_equal(cause, "the document is damaged (not a zip "
	    "archive)");
	free(cause);
	assert_int_equal(docx_read("", 0, NULL, &ret, &cause),
	    FORM_UNREADABLE);
	free(cause);

	/* A zip without word/document.xml. */
	parts[0] = (struct part){ "hello.txt", "hello", 0, 0 };
	zip = make_zip(parts, 1, &len);
	assert_int_equal(docx_read(zip, len, NULL, &ret, &cause),
	    FORM_UNREADABLE);
	assert_non_null(strstr(cause, "not a Word document"));
	free(cause);
	free(zip);

	/* The main part named by [Content_Types].xml. */
	xasprintf(&types, CONTENT_TYPES, "word/document2.xml");
	xasprintf(&doc, "%s%s%s", DOC_HEAD(W_NS), P("Second"), DOC_TAIL);
	parts[0] = (struct part){ "[Content_Types].xml", types, 0, 0 };
	parts[1] = (struct part){ "word/document2.xml", doc, 0, 0 };
	zip = make_zip(parts, 2, &len);
	assert_int_equal(docx_read(zip, len, NULL, &ret, &cause), FORM_OK);
	ar_free(ret);
	free(zip);
	free(types);
	free(doc);

	/* An encrypted zip entry; a bomb for a document. */
	zip = make_docx(P("x"), NULL, &len);
	for (i = 0; i + 4 <= len; i++)
		if (memcmp(zip + i, "PK\x01\x02", 4) == 0 ||
		    memcmp(zip + i, "PK\x03\x04", 4) == 0)
			zip[i + (zip[i + 2] == 1 ? 8 : 6)] |= 1;
	assert_int_equal(docx_read(zip, len, NULL, &ret, &cause),
	    FORM_REFUSED);
	assert_non_null(strstr(cause, "encrypted"));
	free(cause);
	free(zip);

	zeros = xcalloc(1, 30 * 1024 * 1024);
	parts[0] = (struct part){ "word/document.xml", zeros,
	    30 * 1024 * 1024, 0 };
	zip = make_zip(parts, 1, &len);
	free(zeros);
	assert_int_equal(docx_read(zip, len, NULL, &ret, &cause),
	    FORM_REFUSED);
	assert_non_null(strstr(cause, "expands"));
	free(cause);
	/* The caller's limits are the ones used. */
	zip_limits_default(&lim);
	lim.max_entries = 0;
	assert_int_equal(docx_read(zip, len, &lim, &ret, &cause),
	    FORM_REFUSED);
	assert_string_equal(cause, "the document holds more than 0 files");
	free(cause);
	free(zip);
}

/* What a document makes is counted: blocks, and text copied outwards. */
static void
test_docx_limits(void **state)
{
	struct ar_doc	 d;
	unsigned char	*zip;
	char		*body, *p, *cause;
	size_t		 i, len, n;
	uint32_t	 x;
	const size_t	 levels = 120, text = 1024 * 1024;

	/* 100001 empty paragraphs. */
	n = FORMS_MAX_BLOCKS + 1;
	body = xmalloc(n * 7 + 1);
	for (i = 0; i < n; i++)
		memcpy(body + 7 * i, "<w:p/>\n", 7);
	body[7 * n] = '\0';
	zip = make_docx(body, NULL, &len);
	assert_int_equal(docx_read_doc(zip, len, NULL, &d, &cause),
	    FORM_REFUSED);
	assert_non_null(strstr(cause, "more than 100000"));
	assert_int_equal(d.n_blocks, 0);
	free(cause);
	free(zip);
	/* One fewer is fine. */
	body[7 * (n - 1)] = '\0';
	zip = make_docx(body, NULL, &len);
	assert_int_equal(docx_read_doc(zip, len, NULL, &d, &cause), FORM_OK);
	assert_int_equal(d.n_blocks, FORMS_MAX_BLOCKS);
	ar_doc_free(&d);
	free(zip);
	free(body);

	/* 120 nested controls around 1 MB of text: 120 MB of copies. */
	body = xmalloc(levels * 200 + text + 100);
	p = body;
	for (i = 0; i < levels; i++)
		p += sprintf(p, "<w:sdt><w:sdtPr><w:tag w:val=\"rr:k%zu\"/>"
		    "</w:sdtPr><w:sdtContent>", i);
	p += sprintf(p, "<w:p><w:r><w:t>");
	/* Letters that do not compress 100 times over. */
	for (i = 0, x = 2463534242U; i < text; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		*p++ = 'a' + x % 26;
	}
	p += sprintf(p, "</w:t></w:r></w:p>");
	for (i = 0; i < levels; i++)
		p += sprintf(p, "</w:sdtContent></w:sdt>");
	zip = make_docx(body, NULL, &len);
	assert_int_equal(docx_read_doc(zip, len, NULL, &d, &cause),
	    FORM_REFUSED);
	assert_non_null(strstr(cause, "more text"));
	free(cause);
	free(zip);

	/* Deeper than libxml2 goes: damaged, not a crash. */
	p = body;
	for (i = 0; i < 400; i++)
		p += sprintf(p, "<w:sdt><w:sdtContent>");
	p += sprintf(p, "%s", P("deep"));
	for (i = 0; i < 400; i++)
		p += sprintf(p, "</w:sdtContent></w:sdt>");
	zip = make_docx(body, NULL, &len);
	assert_int_equal(docx_read_doc(zip, len, NULL, &d, &cause),
	    FORM_UNREADABLE);
	free(cause);
	free(zip);
	free(body);
}

/* --- ODT --- */

#define ODT_NS \
	"xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" " \
	"xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" " \
	"xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" " \
	"xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" " \
	"xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" " \
	"xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:" \
	"xsl-fo-compatible:1.0\" xmlns:loext=\"urn:org:documentfoundation:" \
	"names:experimental:office:xmlns:loext:1.0\" " \
	"xmlns:dc=\"http://purl.org/dc/elements/1.1/\""

#define ODT_MIME	"application/vnd.oasis.opendocument.text"
#define ODT_MANIFEST \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest " \
	"xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:" \
	"1.0\" manifest:version=\"1.3\"><manifest:file-entry " \
	"manifest:full-path=\"/\" manifest:media-type=\"" ODT_MIME "\"/>" \
	"<manifest:file-entry manifest:full-path=\"content.xml\" " \
	"manifest:media-type=\"text/xml\"/>%s</manifest:manifest>"

static const char odt_styles[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<office:document-styles " ODT_NS "><office:styles>"
    "<style:style style:name=\"Strong_20_Emphasis\" style:display-name="
    "\"Strong Emphasis\" style:family=\"text\"><style:text-properties "
    "fo:font-weight=\"bold\"/></style:style>"
    "<style:style style:name=\"Kop\" style:display-name=\"Heading 3\" "
    "style:family=\"paragraph\"/>"
    "</office:styles><office:automatic-styles>"
    /* Header and footer styles reuse content.xml's names. */
    "<style:style style:name=\"P1\" style:family=\"paragraph\">"
    "<style:text-properties fo:font-weight=\"normal\"/></style:style>"
    "</office:automatic-styles></office:document-styles>";

static const char odt_content[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<office:document-content " ODT_NS " office:version=\"1.3\">"
    "<office:automatic-styles>"
    "<style:style style:name=\"T1\" style:family=\"text\">"
    "<style:text-properties fo:font-weight=\"bold\"/></style:style>"
    "<style:style style:name=\"P1\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Standard\"><style:text-properties "
    "fo:font-weight=\"700\"/></style:style>"
    "<style:style style:name=\"P2\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Heading_20_2\"/>"
    "<style:style style:name=\"P3\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Kop\"/>"
    "</office:automatic-styles><office:body><office:text>"
    "<text:sequence-decls><text:sequence-decl text:name=\"Table\"/>"
    "</text:sequence-decls>"
    "<office:forms/>"
    "<text:tracked-changes><text:changed-region text:id=\"c1\">"
    "<text:deletion><text:p>deleted words</text:p></text:deletion>"
    "</text:changed-region></text:tracked-changes>"
    "<text:h text:outline-level=\"1\">Agency return</text:h>"
    "<text:p text:style-name=\"P1\">Bold paragraph</text:p>"
    "<text:p text:style-name=\"P2\">Styled heading</text:p>"
    "<text:p text:style-name=\"P3\">Display name heading</text:p>"
    "<text:p><text:span text:style-name=\"T1\">Completed by:</text:span> "
    "<text:text-input text:description=\"Completed by [rr:author]\">"
    "Jane Smith</text:text-input></text:p>"
    "<text:p><text:span text:style-name=\"Strong_20_Emphasis\">Bold</text:span>"
    "<text:span text:style-name=\"T1\"> label </text:span></text:p>"
    "<text:p>\n   Spaced \t  out  <text:s text:c=\"3\"/>x<text:tab/>y"
    "<text:line-break/>  z<text:note text:note-class=\"footnote\">"
    "<text:note-citation>1</text:note-citation><text:note-body><text:p>"
    "footnote</text:p></text:note-body></text:note><office:annotation>"
    "<dc:creator>Someone</dc:creator><text:p>comment</text:p>"
    "</office:annotation>.  </text:p>"
    "<text:p>Role: <loext:content-control loext:tag=\"rr:role\" "
    "loext:alias=\"Role\">Social worker</loext:content-control></text:p>"
    "<text:p>Plain <text:text-input text:description=\"\">input"
    "</text:text-input> and <text:a xlink:href=\"x\" xmlns:xlink=\"http://"
    "www.w3.org/1999/xlink\">link</text:a><text:change-start "
    "text:change-id=\"c1\"/>new<text:change-end text:change-id=\"c1\"/>"
    "</text:p>"
    "<text:list><text:list-item><text:p>Listed</text:p></text:list-item>"
    "</text:list>"
    "<text:section text:name=\"S\"><text:p>In section</text:p>"
    "</text:section>"
    "<text:p>Frame: <draw:frame><draw:text-box><text:p>boxed</text:p>"
    "</draw:text-box></draw:frame></text:p>"
    "<table:table table:name=\"Chronology\">"
    "<table:table-column table:number-columns-repeated=\"2\"/>"
    "<table:table-header-rows><table:table-row>"
    "<table:table-cell><text:p>Date</text:p></table:table-cell>"
    "<table:table-cell><text:p>What happened</text:p></table:table-cell>"
    "</table:table-row></table:table-header-rows>"
    "<table:table-row><table:table-cell><text:p>01/03/2024</text:p>"
    "</table:table-cell><table:table-cell><text:p>Home visit</text:p>"
    "<text:p>Child seen</text:p></table:table-cell></table:table-row>"
    "<table:table-row><table:table-cell table:number-columns-spanned=\"2\">"
    "<text:p>Merged</text:p></table:table-cell><table:covered-table-cell/>"
    "</table:table-row>"
    "<table:table-row><table:table-cell><table:table><table:table-row>"
    "<table:table-cell><text:p>in1</text:p></table:table-cell>"
    "<table:table-cell><text:p>in2</text:p></table:table-cell>"
    "</table:table-row></table:table></table:table-cell>"
    "<table:table-cell table:number-columns-repeated=\"2\"><text:p>rep"
    "</text:p></table:table-cell></table:table-row>"
    "<table:table-row table:number-rows-repeated=\"1000000\">"
    "<table:table-cell table:number-columns-repeated=\"1000000\"/>"
    "</table:table-row>"
    "</table:table>"
    "</office:text></office:body></office:document-content>";

static unsigned char *
make_odt(const char *content, const char *manifest_extra, const char *extra,
    const char *mime, size_t *len)
{
	struct part	 parts[5];
	unsigned char	*zip;
	char		*manifest;
	size_t		 n = 0;

	xasprintf(&manifest, ODT_MANIFEST, manifest_extra != NULL ?
	    manifest_extra : "");
	parts[n++] = (struct part){ "mimetype", mime != NULL ? mime :
	    ODT_MIME, 0, 1 };
	parts[n++] = (struct part){ "content.xml", content, 0, 0 };
	parts[n++] = (struct part){ "styles.xml", odt_styles, 0, 0 };
	parts[n++] = (struct part){ "META-INF/manifest.xml", manifest, 0, 0 };
	if (extra != NULL)
		parts[n++] = (struct part){ extra, "REM", 0, 0 };
	zip = make_zip(parts, n, len);
	free(manifest);
	return zip;
}

static void
test_odt_doc(void **state)
{
	const struct ar_block	*t;
	struct ar_doc		 d;
	unsigned char		*zip;
	size_t			 len, r;
	char			*cause = (char *)1;

	zip = make_odt(odt_content, NULL, NULL, NULL, &len);
	assert_int_equal(odt_read_doc(zip, len, NULL, &d, &cause), FORM_OK);
	assert_null(cause);
	assert_para(&d, "Agency return", 1);
	assert_para(&d, "Bold paragraph", 1);
	assert_para(&d, "Styled heading", 1);
	assert_para(&d, "Display name heading", 1);
	assert_para(&d, "Completed by: Jane Smith", 0);
	assert_para(&d, "Bold label", 1);
	assert_para(&d, "Spaced out    x\ty\nz.", 0);
	assert_para(&d, "Role: Social worker", 0);
	assert_para(&d, "Plain input and linknew", 0);
	assert_para(&d, "Listed", 0);
	assert_para(&d, "In section", 0);
	assert_para(&d, "Frame:\nboxed", 0);
	assert_null(find_para(&d, "deleted words"));
	assert_control(&d, "author", "Jane Smith", "Completed by [rr:author]");
	assert_control(&d, "role", "Social worker", "Role");
	assert_int_equal(count_type(&d, AR_BLOCK_CONTROL), 2);

	assert_int_equal(count_type(&d, AR_BLOCK_TABLE), 1);
	t = nth_table(&d, 0);
	assert_int_equal(t->n_rows, 4 + 64);
	assert_row(t, 0, "Date|What happened");
	assert_row(t, 1, "01/03/2024|Home visit\nChild seen");
	assert_row(t, 2, "Merged|");
	assert_row(t, 3, "in1\nin2|rep|rep");
	/* A repeat is capped at 64, for rows and for cells. */
	for (r = 4; r < t->n_rows; r++)
		assert_int_equal(t->n_cols[r], 64);
	ar_doc_free(&d);
	free(zip);
}

static void
test_odt_return(void **state)
{
	struct agency_return	*ret;
	unsigned char		*zip;
	size_t			 len;
	char			*cause = NULL;

	zip = make_odt(odt_content, NULL, NULL, NULL, &len);
	assert_int_equal(odt_read(zip, len, NULL, &ret, &cause), FORM_OK);
	assert_int_equal(ret->source, AR_SOURCE_ODT);
	assert_true(ret->found);
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	assert_string_equal(ret->field[AR_ROLE], "Social worker");
	assert_true(ret->n_rows >= 1);
	assert_string_equal(ret->rows[0].date, "2024-03-01");
	ar_free(ret);
	free(zip);
}

static void
test_odt_refused(void **state)
{
	static const char	 doctype[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE office:document-content "
	    "[<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	    "<office:document-content " ODT_NS "><office:body><office:text>"
	    "<text:p>&e;</text:p></office:text></office:body>"
	    "</office:document-content>";
	static const char	 bad[] = "<office:document-content " ODT_NS
	    "><office:body>";
	static const char	 encryption[] =
	    "<manifest:file-entry manifest:full-path=\"x.xml\"><manifest:"
	    "encryption-data manifest:checksum-type=\"SHA1\"/>"
	    "</manifest:file-entry>";
	static const struct {
		const char		*what;
		const char		*content;
		const char		*manifest;
		const char		*extra;
		const char		*mime;
		enum form_result	 want;
		const char		*cause;
	} cases[] = {
		{ "encrypted", NULL, encryption, NULL, NULL, FORM_REFUSED,
		    "password-protected (encrypted)" },
		{ "Basic macros", NULL, NULL, "Basic/Standard/Module1.xml",
		    NULL, FORM_REFUSED, "macros" },
		{ "scripts", NULL, NULL, "Scripts/python/x.py", NULL,
		    FORM_REFUSED, "macros" },
		{ "doctype", doctype, NULL, NULL, NULL, FORM_REFUSED,
		    "DOCTYPE" },
		{ "not well-formed", bad, NULL, NULL, NULL, FORM_UNREADABLE,
		    "damaged" },
		{ "a spreadsheet", NULL, NULL, NULL,
		    "application/vnd.oasis.opendocument.spreadsheet",
		    FORM_UNREADABLE, "not a text document" },
		{ "a template", NULL, NULL, NULL,
		    "application/vnd.oasis.opendocument.text-template",
		    FORM_OK, NULL },
		{ "a docx", "<w:document xmlns:w=\"" W_NS "\"/>", NULL, NULL,
		    NULL, FORM_UNREADABLE, "not an OpenDocument text" },
	};
	struct agency_return	*ret;
	unsigned char		*zip;
	char			*cause;
	size_t			 i, len;
	enum form_result	 got;

	for (i = 0; i < N(cases); i++) {
		zip = make_odt(cases[i].content != NULL ? cases[i].content :
		    odt_content, cases[i].manifest, cases[i].extra,
		    cases[i].mime, &len);
		cause = NULL;
		got = odt_read(zip, len, NULL, &ret, &cause);
		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d (%s)", cases[i].what,
			    got, cases[i].want, cause != NULL ? cause : "");
		if (got == FORM_OK)
			ar_free(ret);
		else {
			assert_null(ret);
			if (cause == NULL ||
			    strstr(cause, cases[i].cause) == NULL)
				fail_msg("%s: cause '%s'", cases[i].what,
				    cause != NULL ? cause : "(null)");
			free(cause);
		}
		free(zip);
	}
	/* A DOCX is not an ODT, nor the other way round. */
	zip = make_docx(form_body, NULL, &len);
	assert_int_equal(odt_read(zip, len, NULL, &ret, &cause),
	    FORM_UNREADABLE);
	free(cause);
	free(zip);
	zip = make_odt(odt_content, NULL, NULL, NULL, &len);
	assert_int_equal(docx_read(zip, len, NULL, &ret, &cause),
	    FORM_UNREADABLE);
	free(cause);
	free(zip);
}

/* --- the shared corpus --- */

struct expect {
	const char		*file;
	enum form_result	 want;
	const char		*cause;		/* in the cause */
};

static const struct expect corpus_expect[] = {
	{ "poi__SimpleMacro.docm", FORM_REFUSED, "macro-enabled" },
	{ "poi__encrypted_password_is_pass.docx", FORM_REFUSED, "encrypted" },
	{ "poi__xxe_external_entity.docx", FORM_REFUSED, "DOCTYPE" },
	{ "odfpy__aes_encrypted.odt", FORM_REFUSED, "encrypted" },
	{ "poi__truncated62886.docx", FORM_UNREADABLE, "damaged" },
	{ "poi__clusterfuzz_5313273089884160.docx", FORM_UNREADABLE,
	    "damaged" },
};

static void
read_corpus_dir(const char *sub, int odt, size_t *n_ok, size_t *n_other)
{
	struct agency_return	*ret;
	struct dirent		*de;
	DIR			*dir;
	unsigned char		*buf;
	char			*path, *file, *cause;
	size_t			 len, i;
	enum form_result	 got, want;
	const char		*want_cause;

	xasprintf(&path, "%s/../shared/corpus/docs/%s", src_dir(), sub);
	assert_non_null(dir = opendir(path));
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&file, "%s/%s", path, de->d_name);
		buf = load_file(file, &len);
		want = FORM_OK;
		want_cause = NULL;
		for (i = 0; i < N(corpus_expect); i++)
			if (strcmp(corpus_expect[i].file, de->d_name) == 0) {
				want = corpus_expect[i].want;
				want_cause = corpus_expect[i].cause;
			}
		cause = NULL;
		got = odt ? odt_read(buf, len, NULL, &ret, &cause) :
		    docx_read(buf, len, NULL, &ret, &cause);
		if (got != want)
			fail_msg("%s: got %d, want %d (%s)", de->d_name, got,
			    want, cause != NULL ? cause : "");
		if (got == FORM_OK) {
			assert_non_null(ret);
			ar_free(ret);
			(*n_ok)++;
		} else {
			if (strstr(cause, want_cause) == NULL)
				fail_msg("%s: cause '%s'", de->d_name, cause);
			free(cause);
			(*n_other)++;
		}
		free(buf);
		free(file);
	}
	closedir(dir);
	free(path);
}

static void
test_corpus_all(void **state)
{
	size_t	ok = 0, other = 0;

	read_corpus_dir("docx", 0, &ok, &other);
	assert_int_equal(ok, 17);
	assert_int_equal(other, 5);
	ok = other = 0;
	read_corpus_dir("odt", 1, &ok, &other);
	assert_int_equal(ok, 7);
	assert_int_equal(other, 1);
}

static void
corpus_doc(const char *sub, const char *name, struct ar_doc *d)
{
	unsigned char	*buf;
	char		*path, *cause = NULL;
	size_t		 len;

	xasprintf(&path, "%s/../shared/corpus/docs/%s/%s", src_dir(), sub,
	    name);
	buf = load_file(path, &len);
	if ((strcmp(sub, "odt") == 0 ? odt_read_doc(buf, len, NULL, d,
	    &cause) : docx_read_doc(buf, len, NULL, d, &cause)) != FORM_OK)
		fail_msg("%s: %s", name, cause);
	free(buf);
	free(path);
}

/* What some corpus files hold, read as Word and LibreOffice show it. */
static void
test_corpus_content(void **state)
{
	const struct ar_block	*t;
	struct ar_doc		 d;

	corpus_doc("docx", "python-docx__merged_cells.docx", &d);
	assert_int_equal(count_type(&d, AR_BLOCK_TABLE), 4);
	assert_row(nth_table(&d, 0), 1, "4|5|6");
	assert_row(nth_table(&d, 1), 1, "4|6");		/* gridSpan */
	assert_row(nth_table(&d, 2), 2, "7||9");	/* vMerge */
	assert_row(nth_table(&d, 3), 2, "|9");
	ar_doc_free(&d);

	corpus_doc("docx", "mammoth__strict_ooxml.docx", &d);
	assert_para(&d, "Test", 0);
	ar_doc_free(&d);

	corpus_doc("docx", "mammoth__utf8_bom_document_xml.docx", &d);
	assert_para(&d, "This XML has a byte order mark.", 0);
	ar_doc_free(&d);

	/* A drop-down showing "Choose an item." in a row-level control. */
	corpus_doc("docx", "poi__tika3816_sdt_table.docx", &d);
	t = nth_table(&d, 0);
	assert_row(t, 0, "Note|Details");
	assert_row(t, 1, "|Here is just a sample");
	ar_doc_free(&d);

	/* LibreOffice 7.3 and 4.2 wrote these. */
	corpus_doc("docx", "poi__bug66312_libreoffice73_table.docx", &d);
	assert_row(nth_table(&d, 0), 0, "World");
	ar_doc_free(&d);
	corpus_doc("docx", "poi__56392_libreoffice42_letter.docx", &d);
	assert_para(&d, "Praha ###DATUM###", 0);
	ar_doc_free(&d);

	/* Legacy FORMTEXT fields keep their result text. */
	corpus_doc("docx", "poi__visa_form_legacy_formtext.docx", &d);
	assert_para(&d, "VISA APPLICATION FORM", 1);
	assert_true(count_type(&d, AR_BLOCK_TABLE) >= 5);
	ar_doc_free(&d);

	corpus_doc("docx", "poi__changetracking_on.docx", &d);
	assert_para(&d, "Change Tracking ON", 0);
	ar_doc_free(&d);

	corpus_doc("odt", "odfdo__base_text.odt", &d);
	assert_para(&d, "odfdo Test Case Document", 1);
	assert_para(&d, "This is the first paragraph.", 0);
	assert_para(&d, "Level 2 Title", 1);
	ar_doc_free(&d);

	corpus_doc("odt", "odfdo__note.odt", &d);
	assert_para(&d, "Un paragraphe d'apparence banale.", 0);
	ar_doc_free(&d);

	corpus_doc("odt", "odfdo__tracked_changes.odt", &d);
	/* "les" and "amis," were deleted: in text:tracked-changes only. */
	assert_int_equal(count_type(&d, AR_BLOCK_PARA), 1);
	assert_string_equal(d.blocks[0].text,
	    "Bonjour  los bonitos amigos  \xc3\xa7""a va ?");
	ar_doc_free(&d);

	corpus_doc("odt", "odfdo__md_sample_14_lo.odt", &d);
	assert_para(&d, "Data Table", 1);
	t = nth_table(&d, 0);
	assert_int_equal(t->n_rows, 3);
	assert_row(t, 2, "Bob|25|London");
	ar_doc_free(&d);

	corpus_doc("odt", "odfdo__lpod_styles.odt", &d);
	assert_row(nth_table(&d, 1), 1, "1|2|3");
	ar_doc_free(&d);
}

/* --- LibreOffice --- */

static int
run_soffice(const char *dir, const char *filter, const char *outdir,
    const char *file)
{
	char	*cmd;
	int	 rc;

	xasprintf(&cmd, "cd '%s' && HOME='%s' timeout 300 soffice --headless "
	    "-env:UserInstallation=file://%s/lo --convert-to '%s' "
	    "--outdir '%s' '%s' >/dev/null 2>&1", dir, dir, dir, filter,
	    outdir, file);
	rc = system(cmd);
	free(cmd);
	return rc;
}

/*
 * Our form saved again by LibreOffice 7.4: as DOCX it keeps each
 * control's title (w:alias) but drops the tag, as ODT the controls
 * become text-input fields and the labels are what is left.
 */
static void
test_libreoffice(void **state)
{
	struct agency_return	*ret;
	struct ar_doc		 d;
	unsigned char		*zip, *buf;
	char			 dir[] = "/tmp/test_docx.XXXXXX";
	char			*path, *cause = NULL;
	size_t			 len;

	if (system("command -v soffice >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(dir));

	zip = make_docx(form_body, STYLES, &len);
	xasprintf(&path, "%s/form.docx", dir);
	save_file(path, zip, len);
	free(path);
	free(zip);
	assert_int_equal(run_soffice(dir, "odt", dir, "form.docx"), 0);
	assert_int_equal(run_soffice(dir, "docx:MS Word 2007 XML", "lo",
	    "form.docx"), 0);

	xasprintf(&path, "%s/lo/form.docx", dir);
	buf = load_file(path, &len);
	free(path);
	assert_int_equal(docx_read_doc(buf, len, NULL, &d, &cause), FORM_OK);
	assert_control(&d, "author", "Jane Smith", "Completed by [rr:author]");
	assert_control(&d, "email", "jane@police.example", "Email [rr:email]");
	assert_non_null(nth_table(&d, 1));
	ar_doc_free(&d);
	assert_int_equal(docx_read(buf, len, NULL, &ret, &cause), FORM_OK);
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	assert_string_equal(ret->field[AR_ROLE], "Social worker");
	assert_int_equal(ret->n_rows, 2);
	ar_free(ret);
	free(buf);

	xasprintf(&path, "%s/form.odt", dir);
	buf = load_file(path, &len);
	free(path);
	assert_int_equal(odt_read_doc(buf, len, NULL, &d, &cause), FORM_OK);
	assert_para(&d, "Completed by: Jane Smith", 0);
	assert_row(nth_table(&d, 0), 0, "Role|Social worker");
	ar_doc_free(&d);
	assert_int_equal(odt_read(buf, len, NULL, &ret, &cause), FORM_OK);
	assert_string_equal(ret->field[AR_AUTHOR], "Jane Smith");
	assert_string_equal(ret->field[AR_ROLE], "Social worker");
	assert_int_equal(ret->n_rows, 2);
	assert_string_equal(ret->rows[1].date, "2024-03-15");
	ar_free(ret);
	free(buf);

	xasprintf(&path, "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docx_form),
		cmocka_unit_test(test_docx_strict),
		cmocka_unit_test(test_docx_return),
		cmocka_unit_test(test_docx_refused),
		cmocka_unit_test(test_docx_utf16_doctype),
		cmocka_unit_test(test_docx_containers),
		cmocka_unit_test(test_docx_limits),
		cmocka_unit_test(test_odt_doc),
		cmocka_unit_test(test_odt_return),
		cmocka_unit_test(test_odt_refused),
		cmocka_unit_test(test_corpus_all),
		cmocka_unit_test(test_corpus_content),
		cmocka_unit_test(test_libreoffice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
