/*
 * mailnames.c - the template table: which names each outgoing mail may
 * use, and the check of a templates directory against it.
 */
#include <stdlib.h>
#include <string.h>

#include "mailnames.h"
#include "template.h"
#include "xmalloc.h"

/* The names every template may use (mailer_queue() sets them). */
#define MAIL_COMMON \
	"partnership", "partnership_address", "business_manager", "marking", \
	"case_ref", "subject_child", "today"

static const char *const alert_names[] = { MAIL_COMMON,
	"what", "detail", "when", "quarantine_id", "advice", NULL };

static const char *const sin_ack_names[] = { MAIL_COMMON,
	"child", "day0", "returns_due", "meeting_by", "panel_due",
	"milestones", "name", "date", "agencies", "unmatched", "missing",
	"field", "late", "sin_due", NULL };

static const char *const sin_duplicate_names[] = { MAIL_COMMON, NULL };

static const char *const sin_query_names[] = { MAIL_COMMON,
	"missing", "field", "warnings", "text", NULL };

static const char *const request_names[] = { MAIL_COMMON,
	"agency_name", "child", "incident_type", "incident_date",
	"background", "due", "due_day", "meeting_by", "reply_address",
	"text_form", "has_form", NULL };

static const char *const reminder_names[] = { MAIL_COMMON,
	"agency_name", "due", "due_today", "days_left", "reply_address",
	NULL };

static const char *const escalation_names[] = { MAIL_COMMON,
	"agency_name", "due", "lead", "days_overdue", "reply_address", NULL };

static const char *const receipt_names[] = { MAIL_COMMON,
	"agency_name", "fields_read", "chronology_rows", "first_date",
	"last_date", "lcspr_view", "warnings", "text", NULL };

static const char *const query_names[] = { MAIL_COMMON,
	"agency_name", "due", "missing", "unreadable", "field", NULL };

static const char *const refused_names[] = { MAIL_COMMON,
	"filename", "reason", NULL };

static const char *const invite_names[] = { MAIL_COMMON,
	"meeting_date", "meeting_time", "duration", "place", "agenda", NULL };

static const char *const pack_names[] = { MAIL_COMMON,
	"meeting_date", "meeting_time", "place", "updated", "returns_in",
	"returns_expected", NULL };

static const char *const pack_withheld_names[] = { MAIL_COMMON,
	"meeting_date", NULL };

static const char *const digest_names[] = { MAIL_COMMON,
	"cases", "state", "day_n", "day0", "returns_in", "returns_due_n",
	"next_name", "next_date", "rag", "late", "outstanding",
	"agency_name", "due", "out_of_office", "quarantined", "id", "when",
	"reason", "alerts", "what", NULL };

static const char *const transcript_names[] = { MAIL_COMMON,
	"lines", "line", "result", "errors", NULL };

static const struct {
	const char		*name;
	const char *const	*names;
} mail_templates[] = {
	{ "alert", alert_names },
	{ "digest", digest_names },
	{ "escalation", escalation_names },
	{ "invite", invite_names },
	{ "pack", pack_names },
	{ "pack-withheld", pack_withheld_names },
	{ "query", query_names },
	{ "receipt", receipt_names },
	{ "refused", refused_names },
	{ "reminder", reminder_names },
	{ "request", request_names },
	{ "sin-ack", sin_ack_names },
	{ "sin-duplicate", sin_duplicate_names },
	{ "sin-query", sin_query_names },
	{ "transcript", transcript_names },
};
#define N_MAIL_TEMPLATES (sizeof mail_templates / sizeof mail_templates[0])

static const char *const mail_template_names_all[] = {
	"alert", "digest", "escalation", "invite", "pack", "pack-withheld",
	"query", "receipt", "refused", "reminder", "request", "sin-ack",
	"sin-duplicate", "sin-query", "transcript", NULL
};

/* Names no .subject may use: they would put the child in a header. */
static const char *const subject_forbidden[] = { "child", NULL };

struct mail_problems {
	char	**list;
	size_t	  n, cap;
};

struct mail_walk {
	struct mail_problems	*p;
	const char		*path;
	const char *const	*allowed;
	int			 subject;
};

static void	mail_problem_add(struct mail_problems *, char *);
static int	mail_name_in(const char *, const char *const *);
static int	mail_check_name(const char *, int, void *);
static void	mail_check_subject_lines(struct mail_problems *,
		    const struct tmpl *, const char *const *);
static void	mail_check_one(struct mail_problems *, const char *,
		    const char *, const char *, const char *,
		    const char *const *, int);

const char *const *
mail_template_names(const char *template)
{
	size_t	i;

	if (template == NULL)
		return NULL;
	for (i = 0; i < N_MAIL_TEMPLATES; i++)
		if (strcmp(mail_templates[i].name, template) == 0)
			return mail_templates[i].names;
	return NULL;
}

const char *const *
mail_template_list(void)
{
	return mail_template_names_all;
}

/* Take ownership of msg. */
static void
mail_problem_add(struct mail_problems *p, char *msg)
{
	if (p->n == p->cap) {
		p->cap = p->cap == 0 ? 8 : p->cap * 2;
		p->list = xreallocarray(p->list, p->cap, sizeof *p->list);
	}
	p->list[p->n++] = msg;
}

static int
mail_name_in(const char *name, const char *const *names)
{
	size_t	i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/*
 * One name of a template: every unknown one is a problem, not only the
 * first (tmpl_check_names() stops there), and so is a forbidden one in a
 * subject. The messages read as tmpl_check_names() writes them.
 */
static int
mail_check_name(const char *name, int line, void *arg)
{
	struct mail_walk	*w = arg;
	char			*msg;

	if (!mail_name_in(name, w->allowed)) {
		xasprintf(&msg, "%s:%d: unknown name \"%s\"", w->path, line,
		    name);
		mail_problem_add(w->p, msg);
	} else if (w->subject && mail_name_in(name, subject_forbidden)) {
		xasprintf(&msg, "%s:%d: \"%s\" may not be used in a subject; "
		    "use \"subject_child\", which is empty unless "
		    "identify_child_in_subject = yes", w->path, line, name);
		mail_problem_add(w->p, msg);
	}
	return 0;
}

/*
 * A subject is one header line. Render it with every name missing and
 * with every name set, so that text inside sections is seen too, and
 * refuse a line break anywhere but at the very end.
 */
static void
mail_check_subject_lines(struct mail_problems *p, const struct tmpl *t,
    const char *const *allowed)
{
	struct tmpl_record	*r;
	char			*out, *msg;
	size_t			 len, i;
	int			 pass, bad = 0;

	r = tmpl_record_new();
	for (i = 0; allowed[i] != NULL; i++)
		tmpl_record_set_string(r, allowed[i], "x");
	for (pass = 0; pass < 2 && !bad; pass++) {
		if (tmpl_render(t, pass == 0 ? NULL : r, 0, &out, &len) != 0) {
			bad = 1;
			break;
		}
		if (len > 0 && out[len - 1] == '\n')
			len--;
		if (len > 0 && out[len - 1] == '\r')
			len--;
		if (memchr(out, '\n', len) != NULL ||
		    memchr(out, '\r', len) != NULL)
			bad = 1;
		free(out);
	}
	tmpl_record_free(r);
	if (bad) {
		xasprintf(&msg, "%s: a subject must be one line", tmpl_path(t));
		mail_problem_add(p, msg);
	}
}

/* Load and check name.ext; a missing file is a problem unless optional. */
static void
mail_check_one(struct mail_problems *p, const char *dir,
    const char *override_dir, const char *name, const char *ext,
    const char *const *allowed, int optional)
{
	struct mail_walk	 w;
	struct tmpl		*t;
	char			*cause = NULL;
	int			 rc;

	rc = tmpl_load_file(dir, override_dir, name, ext, &t, &cause);
	if (rc == TMPL_LOAD_MISSING && optional) {
		free(cause);
		return;
	}
	if (rc != TMPL_LOAD_OK) {
		mail_problem_add(p, cause);
		return;
	}
	w.p = p;
	w.path = tmpl_path(t);
	w.allowed = allowed;
	w.subject = strcmp(ext, "subject") == 0;
	tmpl_names(t, mail_check_name, &w);
	if (w.subject)
		mail_check_subject_lines(p, t, allowed);
	tmpl_free(t);
}

int
mail_check_templates(const char *dir, const char *override_dir,
    char ***problems, size_t *n)
{
	struct mail_problems	 p;
	size_t			 i;

	memset(&p, 0, sizeof p);
	for (i = 0; i < N_MAIL_TEMPLATES; i++) {
		mail_check_one(&p, dir, override_dir, mail_templates[i].name,
		    "subject", mail_templates[i].names, 0);
		mail_check_one(&p, dir, override_dir, mail_templates[i].name,
		    "txt", mail_templates[i].names, 0);
		mail_check_one(&p, dir, override_dir, mail_templates[i].name,
		    "html", mail_templates[i].names, 1);
	}
	*problems = p.list;
	*n = p.n;
	return p.n == 0 ? 0 : -1;
}
