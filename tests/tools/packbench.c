/*
 * packbench - time pack_build on a generated case: five agency returns
 * (one of them a draft, one superseded version kept), 200 chronology rows
 * over random dates, one answer of 2,000 words and one chronology row
 * taller than a page, in a temporary database.
 *
 *   packbench [-n RUNS] [-o FILE.pdf]
 *
 * Prints the first (cold) run, then the minimum, median and maximum of
 * RUNS runs (20 by default) in milliseconds, the PDF's size and its page
 * count; -o keeps the last PDF. Exit 0, or 1 on failure.
 *
 * The case generator (packfix_*) is shared: tests/unit/test_pack.c
 * includes this file with PACKFIX_ONLY defined, so that the test and the
 * benchmark see the same case.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "config.h"
#include "date.h"
#include "db.h"
#include "pack.h"
#include "store.h"
#include "xmalloc.h"

#define PACKFIX_REF		"RR-2024-001"
#define PACKFIX_ROWS		200
#define PACKFIX_AGENCIES	5	/* with a current return each */
#define PACKFIX_WORDS		2000	/* in health's "different" answer */
#define PACKFIX_TALL_ID		100	/* the row taller than a page */
#define PACKFIX_TALL_WORDS	420
#define PACKFIX_LAST_WORD	"FINALWORDXYZ"
#define PACKFIX_TALL_LAST	"TALLROWEND"
#define PACKFIX_CHILD		"Zo\xc3\xab \xc3\x93 Briain"
#define PACKFIX_GREEK		"\xce\x95\xce\xbb\xce\xad\xce\xbd\xce\xb7"
#define PACKFIX_ARABIC		"\xd9\x84\xd9\x8a\xd9\x84\xd9\x89"
#define PACKFIX_CYRILLIC	"\xd0\x9e\xd0\xbb\xd1\x8c\xd0\xb3\xd0\xb0 " \
				"\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe" \
				"\xd0\xb2\xd0\xb0"
#define PACKFIX_MARKING		"OFFICIAL-SENSITIVE"

/* Agency keys in index order; ymca has no [agency.ymca] in the config. */
static const char *const packfix_keys[PACKFIX_AGENCIES] = {
	"police", "health", "csc", "school", "ymca"
};
static const char *const packfix_names[PACKFIX_AGENCIES] = {
	"Northshire Police", "Northshire NHS Foundation Trust",
	"Children's Social Care", "St Aidan's Primary School", NULL
};

/* One generated chronology row, as the test expects to find it. */
struct packfix_row {
	int	 id;		/* "Event %03d" */
	long	 day;		/* DB_NO_DAY: no date */
	int	 minutes;	/* -1: no time */
	int	 agency;	/* index into packfix_keys */
	int	 position;
	char	*date_text;
	char	*time;
	char	*outcome;
	char	*event;
};

struct packfix {
	struct config		 cfg;
	struct agency_config	 agencies[PACKFIX_AGENCIES];
	struct packfix_row	 rows[PACKFIX_ROWS];
	char			*long_answer;
	long long		 now;
	uint64_t		 prng;
};

/* xorshift64*: the same case on every run and every machine. */
static uint32_t
packfix_rand(struct packfix *f)
{
	f->prng ^= f->prng >> 12;
	f->prng ^= f->prng << 25;
	f->prng ^= f->prng >> 27;
	return (uint32_t)((f->prng * 2685821657736338717ULL) >> 32);
}

static const char *const packfix_vocab[] = {
	"practice", "the", "mother", "visit", "assessment", "was", "not",
	"shared", "with", "school", "and", "health", "visitor", "concerns",
	"about", "neglect", "were", "recorded", "but", "no", "referral",
	"followed", "child", "seen", "alone", "home", "conditions", "poor",
	"father", "contact", "court", "isolation", "autism", "support",
	"plan", "review", "escalation", "supervision", "information",
	"agency", "curiosity", "lived", "experience", "voice", "family",
};

/* n words from the vocabulary, a paragraph break every 150, then last. */
static char *
packfix_words(struct packfix *f, int n, const char *last)
{
	size_t	 nv = sizeof packfix_vocab / sizeof packfix_vocab[0];
	size_t	 cap = (size_t)n * 14 + 64, len = 0;
	char	*s = xmalloc(cap);
	int	 i;

	for (i = 0; i < n - 1; i++) {
		const char	*w = packfix_vocab[packfix_rand(f) % nv];

		len += (size_t)snprintf(s + len, cap - len, "%s%s",
		    i == 0 ? "" : (i % 150 == 0 ? ".\n\n" : " "), w);
	}
	snprintf(s + len, cap - len, " %s.", last);
	return s;
}

static void
packfix_free(struct packfix *f)
{
	int	i;

	for (i = 0; i < PACKFIX_AGENCIES; i++) {
		free(f->agencies[i].key);
		free(f->agencies[i].name);
	}
	for (i = 0; i < PACKFIX_ROWS; i++) {
		free(f->rows[i].date_text);
		free(f->rows[i].time);
		free(f->rows[i].outcome);
		free(f->rows[i].event);
	}
	free(f->cfg.partnership.name);
	free(f->cfg.partnership.marking);
	free(f->cfg.partnership.timezone);
	free(f->long_answer);
	memset(f, 0, sizeof *f);
}

static long long
packfix_local(const char *iso, int hh, int mm)
{
	struct rr_date	d;
	long long	t;

	if (date_parse_iso(iso, &d) != 0 ||
	    date_local_to_time("Europe/London", &d, hh * 60 + mm, 0, &t) != 0)
		abort();
	return t;
}

/* The case's fixed rows: case, children, requests, returns, milestones. */
static const char packfix_sql[] =
"INSERT INTO cases (id, ref, year, seq, state, day0, day0_basis,"
"  date_notified, date_aware, incident_date, incident_type, panel_ref,"
"  local_authority, background, meeting_place, meeting_minutes,"
"  created_at, updated_at) VALUES (1, 'RR-2024-001', 2024, 1,"
"  'awaiting_returns', '2024-07-08', 'notified', '2024-07-08',"
"  '2024-07-05', '2024-07-03', 'death', 'NP-2024-0042', 'Northshire',"
"  'In July 2024, Child J and his mother were found deceased in the'"
"  || ' family home. Child J, a 5-year-old boy with autism, lived alone'"
"  || ' with his mother. They appeared socially isolated.' || char(10)"
"  || char(10) || 'Markup must print as written: Tom & Jerry <b>not'"
"  || ' bold</b>.', 'Room 3, Civic Centre', 120, 0, 0);"
"INSERT INTO children (case_id, position, identifier, age, sex,"
"  ethnicity, disability) VALUES"
"  (1, 0, 'Zo\xc3\xab \xc3\x93 Briain', '5', 'Male', 'White Irish',"
"   'Autism'),"
"  (1, 1, '\xce\x95\xce\xbb\xce\xad\xce\xbd\xce\xb7', '3', NULL, NULL,"
"   NULL),"
"  (1, 2, '\xd9\x84\xd9\x8a\xd9\x84\xd9\x89', '7', NULL, NULL, NULL);"
"INSERT INTO requests (id, case_id, agency, state, origin, due_date,"
"  extended_due, extended_reason, waived_reason, requested_at,"
"  returned_at, created_at) VALUES"
"  (1, 1, 'police', 'returned', 'sin', '2024-07-15', NULL, NULL, NULL,"
"   1720425600, 1720951200, 0),"
"  (2, 1, 'health', 'returned', 'sin', '2024-07-15', NULL, NULL, NULL,"
"   1720425600, 1720864800, 0),"
"  (3, 1, 'csc', 'returned', 'sin', '2024-07-15', NULL, NULL, NULL,"
"   1720425600, 1721124000, 0),"
"  (4, 1, 'school', 'draft', 'sin', '2024-07-15', '2024-07-19',"
"   'Head teacher away until Friday', NULL, 1720425600, NULL, 0),"
"  (5, 1, 'ymca', 'returned', 'command', '2024-07-15', NULL, NULL, NULL,"
"   1720425600, 1720692000, 0),"
"  (6, 1, 'housing', 'overdue', 'always', '2024-07-15', NULL, NULL,"
"   NULL, 1720425600, NULL, 0),"
"  (7, 1, 'probation', 'waived', 'always', '2024-07-15', NULL, NULL,"
"   'Not known to probation', 1720425600, NULL, 0);"
"INSERT INTO milestones (case_id, kind, due_date, extended_due,"
"  extended_reason, done_at) VALUES"
"  (1, 'sin_due', '2024-07-12', NULL, NULL, 1720425600),"
"  (1, 'returns_due', '2024-07-15', NULL, NULL, NULL),"
"  (1, 'escalation', '2024-07-16', NULL, NULL, 1721116800),"
"  (1, 'pack', '2024-07-18', NULL, NULL, NULL),"
"  (1, 'meeting_by', '2024-07-29', NULL, NULL, NULL),"
"  (1, 'panel_reminder', '2024-07-24', NULL, NULL, NULL),"
"  (1, 'panel_submission', '2024-07-29', '2024-07-31',"
"   'Meeting moved at the chair''s request', NULL);"
/* The superseded first version of police's return. */
"INSERT INTO returns (id, request_id, version, superseded, complete,"
"  source, author, involved, received_at) VALUES"
"  (6, 1, 1, 1, 1, 'docx', 'Old Author', 'yes', 1720864800);"
"INSERT INTO chronology (return_id, position, date, event) VALUES"
"  (6, 0, '2023-05-01', 'SUPERSEDED ROW 1'),"
"  (6, 1, '2023-06-01', 'SUPERSEDED ROW 2'),"
"  (6, 2, NULL, 'SUPERSEDED ROW 3');";

static int
packfix_return(struct store *st, struct packfix *f, int id, int version,
    int complete, const char *author, const char *role,
    const char *lcspr, const char *different, long long received,
    char **cause)
{
	char	 q[64], imp[64], gp[64];

	(void)f;
	snprintf(q, sizeof q, "Quality of practice of agency %d.", id);
	snprintf(imp, sizeof imp, "Impact on the child, agency %d.", id);
	snprintf(gp, sizeof gp, "Good practice noted by agency %d.", id);
	return db_exec(st, cause, "INSERT INTO returns (id, request_id, "
	    "version, complete, source, agency_name, author, role, completed, "
	    "involved, involvement, first_contact, last_contact, case_status, "
	    "quality, impact, good_practice, different, information_sharing, "
	    "voice_of_child, equality, immediate_actions, learning, "
	    "lcspr_view, lcspr_rationale, parallel_processes, "
	    "records_secured, signed_off_by, signed_off, missing, "
	    "received_at) VALUES (?, ?, ?, ?, 'docx', NULL, ?, ?, "
	    "'2024-07-12', 'yes', 'Known since 2021 through routine "
	    "contact.', '2021-03-04', '2024-06-28', 'Open', ?, ?, ?, ?, "
	    "'Shared at the strategy meeting.', 'Rarely recorded.', "
	    "'Language needs were not assessed.', 'Records secured; staff "
	    "supported.', 'Professional curiosity.', ?, 'Several agencies "
	    "knew of isolation.', 'Police investigation; coroner.', 'Yes', "
	    "'Designated lead', '2024-07-12', ?, ?)", "iiiittttttttl",
	    id, id, version, complete, author, role,
	    complete ? q : NULL, complete ? imp : NULL, gp, different, lcspr,
	    complete ? NULL : "quality\nimpact", received);
}

/*
 * Build the case in st. Row ids 0..199 are the chronology rows; 10..14
 * carry CSV traps, 100 is taller than a page, 196..199 share one date
 * with times NULL, "", "9:05" and "10:00".
 */
static int
packfix_build(struct store *st, struct packfix *f, char **cause)
{
	static const char *const contacts[] = { "Home visit",
	    "Telephone call", "A&E attendance", "Strategy meeting",
	    "School attendance", "GP appointment" };
	static const char *const seen[] = { "Child seen alone",
	    "Mother and child", "Not seen", "Child seen with father" };
	static const char *const sig[] = { "High", "Medium", "Low" };
	static const char *const phrases[] = {
	    "mother reported the child was unwell and missed the appointment",
	    "home conditions were noted as cluttered; no referral was made",
	    "father raised concerns about contact arrangements",
	    "school nurse spoke with the child about worries at home",
	    "strategy discussion held; threshold for section 47 not met",
	    "referral received from the GP about weight loss",
	};
	int		 pos[PACKFIX_AGENCIES] = { 0 };
	int		 i, a, r;
	long		 base;
	struct rr_date	 d;
	char		 iso[16];
	const char	*date;

	memset(f, 0, sizeof *f);
	f->prng = 0x5eed5eedcafef00dULL;
	f->cfg.partnership.name = xstrdup("Northshire Safeguarding Children "
	    "Partnership");
	f->cfg.partnership.marking = xstrdup(PACKFIX_MARKING);
	f->cfg.partnership.timezone = xstrdup("Europe/London");
	for (i = 0; i < PACKFIX_AGENCIES; i++) {
		if (packfix_names[i] == NULL)
			continue;
		f->agencies[f->cfg.n_agencies].key = xstrdup(packfix_keys[i]);
		f->agencies[f->cfg.n_agencies].name = xstrdup(packfix_names[i]);
		f->cfg.n_agencies++;
	}
	f->cfg.agencies = f->agencies;
	f->now = packfix_local("2024-07-18", 9, 0);

	if (store_begin(st, cause) != 0)
		return -1;
	if (store_exec(st, packfix_sql, cause) != 0)
		goto fail;
	if (db_exec(st, cause, "UPDATE cases SET meeting_at = ? WHERE id = 1",
	    "l", packfix_local("2024-07-22", 10, 0)) != 0)
		goto fail;
	f->long_answer = packfix_words(f, PACKFIX_WORDS, PACKFIX_LAST_WORD);
	if (packfix_return(st, f, 1, 2, 1, "Siobh\xc3\xa1n N\xc3\xad "
	    "Dhomhnaill", "Detective Inspector", "yes", NULL, 1720951200,
	    cause) != 0 ||
	    packfix_return(st, f, 2, 1, 1, PACKFIX_CYRILLIC,
	    "Named nurse", "unsure", f->long_answer, 1720864800, cause) != 0 ||
	    packfix_return(st, f, 3, 1, 1, "Jean-Fran\xc3\xa7ois M\xc3\xbcller",
	    "Team manager", "yes", NULL, 1721124000, cause) != 0 ||
	    packfix_return(st, f, 4, 1, 0, "Mrs O'Brien", NULL, NULL, NULL,
	    1721034000, cause) != 0 ||
	    packfix_return(st, f, 5, 1, 1, "Ayo Adeyemi", "Youth worker",
	    "no", NULL, 1720692000, cause) != 0)
		goto fail;

	base = date_to_days(&(struct rr_date){ 2023, 1, 1 });
	for (i = 0; i < PACKFIX_ROWS; i++) {
		struct packfix_row	*row = &f->rows[i];
		int			 h, m;

		row->id = i;
		a = (int)(packfix_rand(f) % PACKFIX_AGENCIES);
		row->minutes = -1;
		if (i >= 196) {
			static const int	 ag[] = { 0, 1, 2, 3 };
			static const char *const tm[] = { "10:00", "9:05",
			    NULL, "" };

			a = ag[i - 196];
			row->day = date_to_days(&(struct rr_date){ 2024, 3,
			    1 });
			if (tm[i - 196] != NULL)
				row->time = xstrdup(tm[i - 196]);
			row->minutes = i == 196 ? 600 : i == 197 ? 545 : -1;
		} else if (packfix_rand(f) % 13 == 0 && (i < 10 || i > 14) &&
		    i != PACKFIX_TALL_ID) {
			row->day = DB_NO_DAY;
			row->date_text = xstrdup(i % 2 ? "spring 2023" :
			    "about Easter");
		} else {
			row->day = base + (long)(packfix_rand(f) % 545);
			r = (int)(packfix_rand(f) % 3);
			h = (int)(packfix_rand(f) % 24);
			m = (int)(packfix_rand(f) % 60);
			if (r > 0) {
				xasprintf(&row->time, r == 1 ? "%02d:%02d" :
				    "%d:%02d", h, m);
				row->minutes = h * 60 + m;
			}
		}
		row->agency = a;
		row->position = pos[a]++;
		if (i == 10)
			xasprintf(&row->event, "Event %03d: mother said "
			    "\"fine\", then, later\nleft", i);
		else
			xasprintf(&row->event, "Event %03d: %s", i,
			    phrases[packfix_rand(f) % 6]);
		switch (i) {
		case 11:
			row->outcome = xstrdup("=HYPERLINK(\"http://evil."
			    "example\",\"x\")");
			break;
		case 12:
			row->outcome = xstrdup("-5 units of alcohol reported");
			break;
		case 13:
			row->outcome = xstrdup("@SUM(A1:A9)");
			break;
		case 14:
			row->outcome = xstrdup("+44 7700 900123 rang");
			break;
		case PACKFIX_TALL_ID:
			row->outcome = packfix_words(f, PACKFIX_TALL_WORDS,
			    PACKFIX_TALL_LAST);
			break;
		default:
			row->outcome = xstrdup("Advice given; case note "
			    "written.");
			break;
		}
		date = NULL;
		if (row->day != DB_NO_DAY) {
			date_from_days(row->day, &d);
			date = date_format_iso(&d, iso, sizeof iso);
		}
		if (db_exec(st, cause, "INSERT INTO chronology (return_id, "
		    "position, date, date_text, time, contact_type, seen, "
		    "event, outcome, significance) VALUES (?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?)", "iitttttttt", a + 1, row->position, date,
		    row->date_text, row->time,
		    contacts[packfix_rand(f) % 6], seen[packfix_rand(f) % 4],
		    row->event, row->outcome, sig[packfix_rand(f) % 3]) != 0)
			goto fail;
	}
	if (store_commit(st, cause) != 0)
		return -1;
	return 0;

fail:
	store_rollback(st);
	return -1;
}

#ifndef PACKFIX_ONLY

static double
ms_since(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Pages of a cairo PDF: its "/Type /Page" objects (not "/Pages"). */
static int
pdf_pages(const unsigned char *p, size_t len)
{
	const unsigned char	*q = p, *e = p + len;
	int			 n = 0;

	while ((q = memmem(q, (size_t)(e - q), "/Type /Page", 11)) != NULL) {
		q += 11;
		if (q < e && *q != 's')
			n++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct packfix		 f;
	struct pack_output	 out;
	struct store		*st = NULL;
	struct calendar		*cal;
	struct timespec		 t0;
	const char		*keep = NULL;
	char			 dir[] = "/tmp/rr-packbench-XXXXXX", path[64];
	char			*cause = NULL;
	double			*ms, first;
	int			 ch, runs = 20, i, rc = 1;
	FILE			*fp;

	while ((ch = getopt(argc, argv, "n:o:")) != -1) {
		switch (ch) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'o':
			keep = optarg;
			break;
		default:
			fprintf(stderr, "usage: packbench [-n runs] "
			    "[-o file.pdf]\n");
			return 1;
		}
	}
	if (runs < 1)
		runs = 1;
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/rr.db", dir);
	if ((st = store_open(path, &cause)) == NULL ||
	    packfix_build(st, &f, &cause) != 0) {
		fprintf(stderr, "packbench: %s\n", cause);
		goto out;
	}
	cal = calendar_new();
	calendar_add_holiday(cal, date_to_days(&(struct rr_date){ 2024, 8,
	    26 }), "Summer bank holiday");

	ms = xcalloc((size_t)runs, sizeof *ms);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pack_build(st, &f.cfg, cal, PACKFIX_REF, f.now, 2, &out,
	    &cause) != 0) {
		fprintf(stderr, "packbench: %s\n", cause);
		goto out_cal;
	}
	first = ms_since(&t0);
	pack_output_clear(&out);
	for (i = 0; i < runs; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (pack_build(st, &f.cfg, cal, PACKFIX_REF, f.now, 2, &out,
		    &cause) != 0) {
			fprintf(stderr, "packbench: %s\n", cause);
			goto out_cal;
		}
		ms[i] = ms_since(&t0);
		if (i + 1 < runs)
			pack_output_clear(&out);
	}
	qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
	printf("pack_build: %d rows, %d returns, %d-word answer\n",
	    PACKFIX_ROWS, PACKFIX_AGENCIES, PACKFIX_WORDS);
	printf("first run %.1f ms; %d runs: min %.1f ms, median %.1f ms, "
	    "max %.1f ms\n", first, runs, ms[0], ms[runs / 2], ms[runs - 1]);
	printf("pdf %zu bytes, %d pages; csv %zu bytes\n", out.pdf_len,
	    pdf_pages(out.pdf, out.pdf_len), out.csv_len);
	rc = 0;
	if (keep != NULL) {
		if ((fp = fopen(keep, "wb")) == NULL ||
		    fwrite(out.pdf, 1, out.pdf_len, fp) != out.pdf_len ||
		    fclose(fp) != 0) {
			perror(keep);
			rc = 1;
		}
	}
	pack_output_clear(&out);
out_cal:
	free(ms);
	calendar_free(cal);
	packfix_free(&f);
out:
	free(cause);
	store_close(st);
	snprintf(path, sizeof path, "%s/rr.db", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/rr.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/rr.db-shm", dir);
	unlink(path);
	rmdir(dir);
	pack_shutdown();
	return rc;
}

#endif /* !PACKFIX_ONLY */
