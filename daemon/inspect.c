/*
 * inspect.c - print a parsed, classified message for a person or a program.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "inspect.h"

static const char *
match_name(enum match_how how)
{
	switch (how) {
	case MATCH_TOKEN:
		return "token";
	case MATCH_SUBJECT:
		return "subject";
	case MATCH_THREAD:
		return "thread";
	default:
		return "none";
	}
}

static struct json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static void
print_json(FILE *fp, const struct mime_message *m,
    const struct classification *c)
{
	struct json_object	*o, *parts, *atts, *p, *dsn, *warn;
	const struct mime_part	*mp;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "kind",
	    json_object_new_string(classify_kind_name(c->kind)));
	json_object_object_add(o, "reason", jstr(c->reason));
	json_object_object_add(o, "case", jstr(c->case_ref));
	json_object_object_add(o, "agency", jstr(c->agency));
	json_object_object_add(o, "matched_by",
	    json_object_new_string(match_name(c->how)));
	json_object_object_add(o, "alert", json_object_new_boolean(c->alert));
	json_object_object_add(o, "out_of_office",
	    json_object_new_boolean(c->out_of_office));
	json_object_object_add(o, "authorisation", jstr(c->auth_detail));
	json_object_object_add(o, "message_id", jstr(m->message_id));
	json_object_object_add(o, "from", jstr(m->from.addr));
	json_object_object_add(o, "subject", jstr(m->subject));

	parts = json_object_new_array();
	atts = json_object_new_array();
	for (i = 0; i < m->n_parts; i++) {
		mp = &m->parts[i];
		p = json_object_new_object();
		json_object_object_add(p, "index", json_object_new_int((int)i));
		json_object_object_add(p, "parent",
		    json_object_new_int(mp->parent));
		json_object_object_add(p, "depth",
		    json_object_new_int((int)mp->depth));
		json_object_object_add(p, "content_type",
		    jstr(mp->content_type));
		json_object_object_add(p, "charset", jstr(mp->charset));
		json_object_object_add(p, "filename", jstr(mp->filename));
		json_object_object_add(p, "disposition", jstr(mp->disposition));
		json_object_object_add(p, "attachment",
		    json_object_new_boolean(mp->is_attachment));
		json_object_object_add(p, "from_tnef",
		    json_object_new_boolean(mp->from_tnef));
		if (mp->data != NULL) {
			json_object_object_add(p, "size",
			    json_object_new_int64((int64_t)mp->len));
			json_object_object_add(p, "sha256", jstr(mp->sha256));
		}
		json_object_array_add(parts, p);
		if (!mp->is_attachment)
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "name", jstr(mp->filename));
		json_object_object_add(p, "content_type",
		    jstr(mp->content_type));
		json_object_object_add(p, "size",
		    json_object_new_int64((int64_t)mp->len));
		json_object_object_add(p, "sha256", jstr(mp->sha256));
		json_object_array_add(atts, p);
	}
	json_object_object_add(o, "parts", parts);
	json_object_object_add(o, "attachments", atts);

	dsn = json_object_new_array();
	for (i = 0; i < m->n_dsn; i++) {
		p = json_object_new_object();
		json_object_object_add(p, "recipient", jstr(m->dsn[i].recipient));
		json_object_object_add(p, "action", jstr(m->dsn[i].action));
		json_object_object_add(p, "status", jstr(m->dsn[i].status));
		json_object_array_add(dsn, p);
	}
	json_object_object_add(o, "dsn", dsn);
	warn = json_object_new_array();
	for (i = 0; i < m->n_warnings; i++)
		json_object_array_add(warn, jstr(m->warnings[i]));
	json_object_object_add(o, "warnings", warn);
	json_object_object_add(o, "text_from_html",
	    json_object_new_boolean(m->text_from_html));
	json_object_object_add(o, "new_text", jstr(m->new_text));
	json_object_object_add(o, "quoted_text", jstr(m->quoted_text));
	fprintf(fp, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void
print_text(FILE *fp, const struct mime_message *m,
    const struct classification *c)
{
	const struct mime_part	*mp;
	size_t			 i;

	fprintf(fp, "kind:        %s\n", classify_kind_name(c->kind));
	if (c->reason != NULL)
		fprintf(fp, "reason:      %s\n", c->reason);
	fprintf(fp, "case:        %s\n", c->case_ref != NULL ? c->case_ref :
	    "-");
	fprintf(fp, "agency:      %s\n", c->agency != NULL ? c->agency : "-");
	fprintf(fp, "matched by:  %s\n", match_name(c->how));
	if (c->auth_detail != NULL)
		fprintf(fp, "authorised:  %s\n", c->auth_detail);
	if (c->alert)
		fprintf(fp, "alert:       the business manager is told\n");
	fprintf(fp, "message-id:  %s\n", m->message_id != NULL ?
	    m->message_id : "-");
	fprintf(fp, "from:        %s\n", m->from.addr != NULL ? m->from.addr :
	    "-");
	fprintf(fp, "parts:\n");
	for (i = 0; i < m->n_parts; i++) {
		mp = &m->parts[i];
		fprintf(fp, "  %*s%zu %s", (int)mp->depth * 2, "", i,
		    mp->content_type);
		if (mp->filename != NULL)
			fprintf(fp, " \"%s\"", mp->filename);
		if (mp->data != NULL)
			fprintf(fp, " %zu bytes", mp->len);
		if (mp->from_tnef)
			fprintf(fp, " (from winmail.dat)");
		fprintf(fp, "\n");
	}
	fprintf(fp, "attachments:\n");
	for (i = 0; i < m->n_parts; i++) {
		mp = &m->parts[i];
		if (mp->is_attachment)
			fprintf(fp, "  %s  %s  %zu  %s\n", mp->filename != NULL ?
			    mp->filename : "(unnamed)", mp->content_type,
			    mp->len, mp->sha256);
	}
	for (i = 0; i < m->n_dsn; i++)
		fprintf(fp, "dsn:         %s %s %s\n", m->dsn[i].recipient != NULL ?
		    m->dsn[i].recipient : "-", m->dsn[i].action != NULL ?
		    m->dsn[i].action : "-", m->dsn[i].status != NULL ?
		    m->dsn[i].status : "-");
	for (i = 0; i < m->n_warnings; i++)
		fprintf(fp, "warning:     %s\n", m->warnings[i]);
	fprintf(fp, "--- new text%s ---\n%s\n", m->text_from_html ?
	    " (from HTML)" : "", m->new_text != NULL ? m->new_text : "");
	fprintf(fp, "--- quoted text ---\n%s\n", m->quoted_text != NULL ?
	    m->quoted_text : "");
}

void
inspect_print(FILE *fp, const struct mime_message *msg,
    const struct classification *cls, int json)
{
	if (json)
		print_json(fp, msg, cls);
	else
		print_text(fp, msg, cls);
}
