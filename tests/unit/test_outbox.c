/*
 * test_outbox.c - the outbox (queue, dedupe, flush, backoff, permanent
 * failures and alerts, rows left in flight, next due time) over a real
 * store and a fake sink; the sendmail sink over a fake program; the SMTP
 * sink's refusals that need no server.
 *
 * Each test gets its own mkdtemp directory under /tmp, removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "outbox.h"
#include "sendmail.h"
#include "smtp.h"
#include "store.h"
#include "xmalloc.h"

#define T0	1720400000LL	/* Mon 8 Jul 2024, 01:53 UTC */
#define FROM	"rapidreview@northshire-scp.org.uk"
#define RAW	"From: " FROM "\r\nTo: a@example.org\r\nSubject: t\r\n" \
		"Message-ID: <m1@northshire-scp.org.uk>\r\n\r\n.hello\r\n"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct store	*s;
};

/* A fake sink plays back a table of outcomes and remembers each call. */
struct fake_step {
	int	result;
	int	code;
};

struct fake_sink {
	const struct fake_step	*steps;
	size_t			 nsteps;
	size_t			 calls;
	char			 from[128];
	char			 rcpt[128];
	char			*raw;
	size_t			 len;
};

static int
setup(void **state)
{
	struct fixture	*f;
	char		*cause = NULL;

	f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/rr-test-outbox-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/rr.db", f->dir);
	f->s = store_open(f->path, &cause);
	if (f->s == NULL)
		fail_msg("store_open: %s", cause);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	struct dirent	*de;
	DIR		*d;
	char		 p[512];

	store_close(f->s);
	if ((d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
			if (unlink(p) == -1)
				rmdir(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int
fake_send(void *arg, const char *from, const char *rcpt, const char *raw,
    size_t len, int *smtp_code, char **cause)
{
	struct fake_sink	*fk = arg;
	const struct fake_step	*st;

	if (fk->calls >= fk->nsteps)
		fail_msg("sink called %zu times, table has %zu", fk->calls + 1,
		    fk->nsteps);
	st = &fk->steps[fk->calls++];
	snprintf(fk->from, sizeof fk->from, "%s", from);
	snprintf(fk->rcpt, sizeof fk->rcpt, "%s", rcpt);
	free(fk->raw);
	fk->raw = xmalloc(len);
	memcpy(fk->raw, raw, len);
	fk->len = len;
	*smtp_code = st->code;
	if (st->result != SINK_SENT)
		xasprintf(cause, "fake failure %d", st->code);
	return st->result;
}

static void
fake_init(struct fake_sink *fk, struct mail_sink *sink,
    const struct fake_step *steps, size_t n)
{
	memset(fk, 0, sizeof *fk);
	fk->steps = steps;
	fk->nsteps = n;
	memset(sink, 0, sizeof *sink);
	sink->send = fake_send;
	sink->arg = fk;
}

static long long
q_int(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;
	long long	 v;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_db(s)));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: no row", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row as text ("(null)" for NULL). */
static char *
q_text(struct store *s, const char *sql)
{
	sqlite3_stmt		*st;
	const unsigned char	*t;
	char			*v;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_db(s)));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: no row", sql);
	t = sqlite3_column_text(st, 0);
	v = xstrdup(t != NULL ? (const char *)t : "(null)");
	sqlite3_finalize(st);
	return v;
}

static void
assert_query_text(struct store *s, const char *sql, const char *want)
{
	char	*got = q_text(s, sql);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s'", sql, got, want);
	free(got);
}

static void
exec_ok(struct store *s, const char *sql)
{
	char	*cause = NULL;

	if (store_exec(s, sql, &cause) != 0)
		fail_msg("%s: %s", sql, cause);
}

static void
add_case(struct store *s)
{
	exec_ok(s, "INSERT INTO cases (id, ref, year, seq, day0, day0_basis,"
	    " created_at, updated_at) VALUES (7, 'RR-2024-001', 2024, 1,"
	    " '2024-07-08', 'notified', 1720400000, 1720400000)");
}

/* Queue RAW in a transaction of its own; returns the rows queued. */
static int
queue_at(struct store *s, const char *template, const char *case_ref,
    const char *const *rcpts, size_t n, const char *key, long long now)
{
	struct outbox_item	 it;
	char			*cause = NULL;
	int			 queued = -1;

	memset(&it, 0, sizeof it);
	it.template = template;
	it.case_ref = case_ref;
	it.agency = "police";
	it.msgid = "<m1@northshire-scp.org.uk>";
	it.subject = "t";
	it.envelope_from = FROM;
	it.recipients = rcpts;
	it.n_recipients = n;
	it.raw = RAW;
	it.len = strlen(RAW);
	it.dedupe_key = key;
	if (store_begin(s, &cause) != 0 ||
	    outbox_queue(s, &it, now, &queued, &cause) != 0 ||
	    store_commit(s, &cause) != 0)
		fail_msg("queue: %s", cause);
	return queued;
}

static size_t
flush_at(struct store *s, const struct mail_sink *sink, long long now,
    size_t max)
{
	char	*cause = NULL;
	size_t	 sent = 0;

	if (outbox_flush(s, sink, now, max, &sent, &cause) != 0)
		fail_msg("flush: %s", cause);
	return sent;
}

static const char *const one[] = { "a@example.org" };
static const char *const two[] = { "a@example.org", "b@example.org" };

static void
test_queue_writes_rows(void **state)
{
	struct fixture	*f = *state;
	char		 want[256];

	add_case(f->s);
	assert_int_equal(queue_at(f->s, "request", "RR-2024-001", two, 2,
	    NULL, T0), 2);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages"), 1);
	snprintf(want, sizeof want, "out|request|7|police|"
	    "m1@northshire-scp.org.uk|%s|a@example.org,b@example.org|t|%zu|"
	    "1720400000", FROM, strlen(RAW));
	assert_query_text(f->s, "SELECT direction || '|' || kind || '|' || "
	    "case_id || '|' || agency || '|' || msgid || '|' || sender || '|' "
	    "|| recipients || '|' || subject || '|' || size || '|' || "
	    "received_at FROM messages", want);
	assert_int_equal(q_int(f->s, "SELECT typeof(raw) = 'blob' AND "
	    "length(raw) FROM messages"), 1);
	assert_int_equal(q_int(f->s, "SELECT in_reply_to IS NULL AND refs IS "
	    "NULL FROM messages"), 1);
	assert_query_text(f->s, "SELECT group_concat(recipient || ':' || state "
	    "|| ':' || attempts || ':' || next_attempt_at || ':' || case_id || "
	    "':' || template, ' ') FROM (SELECT * FROM outbox ORDER BY id)",
	    "a@example.org:queued:0:1720400000:7:request "
	    "b@example.org:queued:0:1720400000:7:request");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox WHERE "
	    "dedupe_key IS NULL AND created_at = 1720400000 AND sent_at IS "
	    "NULL AND last_error IS NULL AND message_id = 1"), 2);
}

/* The stored hash is the SHA-256 of the bytes (checked by sqlite3 CLI). */
static void
test_queue_hash(void **state)
{
	struct fixture	*f = *state;
	char		*sha;
	FILE		*p;
	char		 cmd[256], want[65];

	assert_int_equal(queue_at(f->s, "request", NULL, one, 1, NULL, T0), 1);
	sha = q_text(f->s, "SELECT sha256 FROM messages");
	snprintf(cmd, sizeof cmd, "%s/raw", f->dir);
	assert_non_null(p = fopen(cmd, "wb"));
	assert_int_equal(fwrite(RAW, 1, strlen(RAW), p), strlen(RAW));
	fclose(p);
	snprintf(cmd, sizeof cmd, "sha256sum <%s/raw", f->dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(want, sizeof want, p));
	pclose(p);
	assert_string_equal(sha, want);
	free(sha);
	/* No case reference: no case. */
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages WHERE "
	    "case_id IS NULL"), 1);
}

static void
test_queue_dedupe(void **state)
{
	struct fixture		*f = *state;
	const char *const	 three[] = { "a@example.org", "b@example.org",
				    "c@example.org" };

	assert_int_equal(queue_at(f->s, "reminder", NULL, two, 2,
	    "reminder:RR-2024-001:police:-2", T0), 2);
	assert_int_equal(queue_at(f->s, "reminder", NULL, two, 2,
	    "reminder:RR-2024-001:police:-2", T0 + 60), 0);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox"), 2);

	/* A recipient added since: only that one. */
	assert_int_equal(queue_at(f->s, "reminder", NULL, three, 3,
	    "reminder:RR-2024-001:police:-2", T0 + 120), 1);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages"), 2);
	assert_query_text(f->s, "SELECT recipients FROM messages ORDER BY id "
	    "DESC LIMIT 1", "c@example.org");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox"), 3);

	/* Another key, or none, queues again. */
	assert_int_equal(queue_at(f->s, "reminder", NULL, one, 1,
	    "reminder:RR-2024-001:police:0", T0), 1);
	assert_int_equal(queue_at(f->s, "reminder", NULL, one, 1, NULL, T0), 1);
	assert_int_equal(queue_at(f->s, "reminder", NULL, one, 1, NULL, T0), 1);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox"), 6);
}

static void
test_queue_duplicate_recipients(void **state)
{
	struct fixture		*f = *state;
	const char *const	 dup[] = { "a@example.org", "b@example.org",
				    "A@Example.org" };

	assert_int_equal(queue_at(f->s, "pack", NULL, dup, 3, "pack:1", T0),
	    2);
	assert_query_text(f->s, "SELECT recipients FROM messages",
	    "a@example.org,b@example.org");
	/* The key matches whatever the case of the address. */
	assert_int_equal(queue_at(f->s, "pack", NULL, &dup[2], 1, "pack:1",
	    T0), 0);
}

static void
test_queue_needs_transaction(void **state)
{
	struct fixture		*f = *state;
	struct outbox_item	 it;
	char			*cause = NULL;
	int			 queued = -1;

	memset(&it, 0, sizeof it);
	it.template = "request";
	it.envelope_from = FROM;
	it.recipients = one;
	it.n_recipients = 1;
	it.raw = RAW;
	it.len = strlen(RAW);
	assert_int_equal(outbox_queue(f->s, &it, T0, &queued, &cause), -1);
	assert_non_null(strstr(cause, "outside a transaction"));
	free(cause);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages"), 0);
}

static void
test_queue_refuses(void **state)
{
	struct fixture		*f = *state;
	struct outbox_item	 it;
	const char *const	 bad[] = { "a@example.org",
				    "b@example.org\r\nRCPT TO:<x@evil>" };
	const char *const	 spaced[] = { "a b@example.org" };
	const char *const	 angle[] = { "<a@example.org>" };
	char			*cause = NULL;
	int			 queued;

	memset(&it, 0, sizeof it);
	it.template = "request";
	it.envelope_from = FROM;
	it.raw = RAW;
	it.len = strlen(RAW);
	assert_int_equal(store_begin(f->s, &cause), 0);

	it.recipients = bad;
	it.n_recipients = 2;
	assert_int_equal(outbox_queue(f->s, &it, T0, &queued, &cause), -1);
	assert_string_equal(cause, "outbox: recipient 2 is not a safe address");
	assert_null(strchr(cause, '@'));
	free(cause);
	cause = NULL;

	it.recipients = spaced;
	it.n_recipients = 1;
	assert_int_equal(outbox_queue(f->s, &it, T0, &queued, &cause), -1);
	free(cause);
	cause = NULL;
	it.recipients = angle;
	assert_int_equal(outbox_queue(f->s, &it, T0, &queued, &cause), -1);
	free(cause);
	cause = NULL;

	it.recipients = one;
	it.n_recipients = 0;
	assert_int_equal(outbox_queue(f->s, &it, T0, &queued, &cause), -1);
	free(cause);
	cause = NULL;

	it.n_recipients = 1;
	it.envelope_from = "-oQ/tmp@example.org";
	assert_int_equal(outbox_queue(f->s, &it, T0, &queued, &cause), -1);
	free(cause);
	cause = NULL;

	it.envelope_from = FROM;
	it.template = "";
	assert_int_equal(outbox_queue(f->s, &it, T0, &queued, &cause), -1);
	free(cause);
	cause = NULL;

	it.template = "request";
	it.len = 0;
	assert_int_equal(outbox_queue(f->s, &it, T0, &queued, &cause), -1);
	free(cause);
	cause = NULL;

	store_rollback(f->s);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox"), 0);
}

static void
test_flush_due_only(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_SENT, 250 },
				    { SINK_SENT, 250 } };
	struct fake_sink	 fk;
	struct mail_sink	 sink;
	const char *const	 later[] = { "later@example.org" };

	fake_init(&fk, &sink, steps, 2);
	queue_at(f->s, "request", NULL, one, 1, NULL, T0);
	queue_at(f->s, "request", NULL, later, 1, NULL, T0 + 1000);

	assert_int_equal(flush_at(f->s, &sink, T0 - 1, 0), 0);
	assert_int_equal(fk.calls, 0);
	assert_int_equal(flush_at(f->s, &sink, T0 + 500, 0), 1);
	assert_int_equal(fk.calls, 1);
	assert_string_equal(fk.rcpt, "a@example.org");
	assert_string_equal(fk.from, FROM);
	assert_int_equal(fk.len, strlen(RAW));
	assert_memory_equal(fk.raw, RAW, fk.len);
	assert_query_text(f->s, "SELECT state || ':' || attempts || ':' || "
	    "sent_at || ':' || smtp_code || ':' || coalesce(last_error, '-') "
	    "FROM outbox WHERE recipient = 'a@example.org'",
	    "sent:1:1720400500:250:-");
	assert_query_text(f->s, "SELECT result || ':' || at || ':' || "
	    "smtp_code || ':' || coalesce(error, '-') FROM outbox_attempts",
	    "sent:1720400500:250:-");
	assert_query_text(f->s, "SELECT state FROM outbox WHERE recipient = "
	    "'later@example.org'", "queued");

	/* A sent row is never sent again. */
	assert_int_equal(flush_at(f->s, &sink, T0 + 999, 0), 0);
	assert_int_equal(fk.calls, 1);
	assert_int_equal(flush_at(f->s, &sink, T0 + 1000, 0), 1);
	assert_int_equal(fk.calls, 2);
	assert_int_equal(flush_at(f->s, &sink, T0 + 5000, 0), 0);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox_attempts"),
	    2);
	free(fk.raw);
}

/* What a sink's envelope callback was told, for each send. */
static char	envelope_seen[4][128];
static size_t	envelope_calls;

static void
record_envelope(void *arg, const char *queued)
{
	if (envelope_calls < 4)
		snprintf(envelope_seen[envelope_calls], sizeof envelope_seen[0],
		    "%s", queued != NULL ? queued : "(null)");
	envelope_calls++;
}

/*
 * The envelope callback hears, before each send, whom the message's rows
 * were queued for: all of them the first time, and only the one a
 * deduplicated event adds later (the Graph sink depends on it).
 */
static void
test_flush_envelope(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_SENT, 250 },
				    { SINK_SENT, 250 }, { SINK_SENT, 250 } };
	const char *const	 first[] = { "a@example.org", "b@example.org" };
	const char *const	 again[] = { "a@example.org", "b@example.org",
				    "c@example.org" };
	struct fake_sink	 fk;
	struct mail_sink	 sink;

	fake_init(&fk, &sink, steps, 3);
	sink.envelope = record_envelope;
	envelope_calls = 0;
	queue_at(f->s, "invite", NULL, first, 2, "invite:1", T0);
	assert_int_equal(flush_at(f->s, &sink, T0, 0), 2);
	queue_at(f->s, "invite", NULL, again, 3, "invite:1", T0 + 10);
	assert_int_equal(flush_at(f->s, &sink, T0 + 10, 0), 1);
	assert_int_equal(envelope_calls, 3);
	assert_string_equal(envelope_seen[0], "a@example.org,b@example.org");
	assert_string_equal(envelope_seen[1], "a@example.org,b@example.org");
	assert_string_equal(envelope_seen[2], "c@example.org");
	assert_string_equal(fk.rcpt, "c@example.org");
	free(fk.raw);
}

static void
test_flush_backoff(void **state)
{
	struct fixture		*f = *state;
	struct fake_step	 steps[10];
	const long long		 want[] = { 60, 120, 240, 480, 960, 1920,
				    3600, 3600, 3600 };
	struct fake_sink	 fk;
	struct mail_sink	 sink;
	long long		 now = T0, next;
	size_t			 i;

	for (i = 0; i < 9; i++) {
		steps[i].result = SINK_TEMPORARY;
		steps[i].code = i % 2 == 0 ? 451 : 0;
	}
	steps[9].result = SINK_SENT;
	steps[9].code = 250;
	fake_init(&fk, &sink, steps, 10);
	queue_at(f->s, "request", NULL, one, 1, NULL, T0);

	for (i = 0; i < 9; i++) {
		assert_int_equal(flush_at(f->s, &sink, now, 0), 0);
		assert_int_equal(fk.calls, i + 1);
		next = q_int(f->s, "SELECT next_attempt_at FROM outbox");
		assert_int_equal(next - now, want[i]);
		assert_int_equal(outbox_next_due(f->s), next);
		assert_int_equal(q_int(f->s, "SELECT attempts FROM outbox"),
		    i + 1);
		assert_query_text(f->s, "SELECT state FROM outbox", "queued");
		/* Not a second early. */
		assert_int_equal(flush_at(f->s, &sink, next - 1, 0), 0);
		assert_int_equal(fk.calls, i + 1);
		now = next;
	}
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox_attempts "
	    "WHERE result = 'temporary' AND error = 'fake failure ' || "
	    "coalesce(smtp_code, 0)"), 9);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox_attempts "
	    "WHERE smtp_code IS NULL"), 4);
	assert_query_text(f->s, "SELECT last_error FROM outbox",
	    "fake failure 451");

	assert_int_equal(flush_at(f->s, &sink, now, 0), 1);
	assert_query_text(f->s, "SELECT state || ':' || attempts FROM outbox",
	    "sent:10");
	assert_int_equal(outbox_next_due(f->s), 0);
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM alerts"), 0);
	free(fk.raw);
}

static void
test_flush_permanent(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_PERMANENT, 550 },
				    { SINK_SENT, 250 } };
	struct fake_sink	 fk;
	struct mail_sink	 sink;
	char			*detail;
	long long		 id;

	add_case(f->s);
	fake_init(&fk, &sink, steps, 2);
	queue_at(f->s, "request", "RR-2024-001", two, 2, NULL, T0);
	assert_int_equal(flush_at(f->s, &sink, T0, 0), 1);
	assert_int_equal(fk.calls, 2);

	id = q_int(f->s, "SELECT id FROM outbox WHERE recipient = "
	    "'a@example.org'");
	assert_query_text(f->s, "SELECT state || ':' || attempts || ':' || "
	    "smtp_code || ':' || last_error || ':' || (sent_at IS NULL) FROM "
	    "outbox WHERE recipient = 'a@example.org'",
	    "failed:1:550:fake failure 550:1");
	assert_query_text(f->s, "SELECT state FROM outbox WHERE recipient = "
	    "'b@example.org'", "sent");
	assert_query_text(f->s, "SELECT result || ':' || smtp_code FROM "
	    "outbox_attempts WHERE outbox_id = (SELECT id FROM outbox WHERE "
	    "recipient = 'a@example.org')", "permanent:550");

	assert_int_equal(q_int(f->s, "SELECT count(*) FROM alerts"), 1);
	assert_query_text(f->s, "SELECT kind || ':' || case_ref || ':' || "
	    "message_id || ':' || created_at || ':' || (outbox_id IS NULL) "
	    "FROM alerts", "delivery:RR-2024-001:1:1720400000:1");
	detail = q_text(f->s, "SELECT detail FROM alerts");
	assert_non_null(strstr(detail, "550"));
	{
		char	want[64];

		snprintf(want, sizeof want, "outbox %lld", id);
		assert_non_null(strstr(detail, want));
	}
	assert_null(strchr(detail, '@'));
	free(detail);

	/* Failed for good: never tried again, not due. */
	assert_int_equal(flush_at(f->s, &sink, T0 + 86400, 0), 0);
	assert_int_equal(fk.calls, 2);
	assert_int_equal(outbox_next_due(f->s), 0);
	free(fk.raw);
}

/* A failed alert mail raises no alert: that would only breed more. */
static void
test_flush_permanent_alert_mail(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_PERMANENT, 553 } };
	struct fake_sink	 fk;
	struct mail_sink	 sink;

	fake_init(&fk, &sink, steps, 1);
	queue_at(f->s, "alert", NULL, one, 1, "alert:1", T0);
	assert_int_equal(flush_at(f->s, &sink, T0, 0), 0);
	assert_query_text(f->s, "SELECT state FROM outbox", "failed");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM alerts"), 0);
	free(fk.raw);
}

/*
 * No reply from the server: the other due rows wait with the failed one,
 * untried; a reply (451 for one recipient) stops nothing.
 */
static void
test_flush_unreachable_holds(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_TEMPORARY, 451 },
				    { SINK_TEMPORARY, 0 },
				    { SINK_SENT, 250 }, { SINK_SENT, 250 },
				    { SINK_SENT, 250 }, { SINK_SENT, 250 } };
	const char *const	 four[] = { "a@example.org", "b@example.org",
				    "c@example.org", "d@example.org" };
	const char *const	 late[] = { "e@example.org" };
	struct fake_sink	 fk;
	struct mail_sink	 sink;

	fake_init(&fk, &sink, steps, 6);
	queue_at(f->s, "request", NULL, four, 4, NULL, T0);
	queue_at(f->s, "request", NULL, late, 1, NULL, T0 + 5000);
	assert_int_equal(flush_at(f->s, &sink, T0, 0), 0);
	assert_int_equal(fk.calls, 2);
	assert_query_text(f->s, "SELECT group_concat(recipient || ':' || "
	    "attempts || ':' || (next_attempt_at - 1720400000), ' ') FROM "
	    "(SELECT * FROM outbox ORDER BY id)",
	    "a@example.org:1:60 b@example.org:1:60 c@example.org:0:60 "
	    "d@example.org:0:60 e@example.org:0:5000");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM outbox_attempts"),
	    2);
	assert_int_equal(outbox_next_due(f->s), T0 + 60);
	assert_int_equal(flush_at(f->s, &sink, T0 + 59, 0), 0);
	assert_int_equal(fk.calls, 2);
	assert_int_equal(flush_at(f->s, &sink, T0 + 60, 0), 4);
	assert_int_equal(fk.calls, 6);
	assert_string_equal(fk.rcpt, "d@example.org");
	assert_query_text(f->s, "SELECT state FROM outbox WHERE recipient = "
	    "'e@example.org'", "queued");
	free(fk.raw);
}

/* A kill between claim and record leaves 'sending': sent at the next flush. */
static void
test_flush_sending_retried(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_SENT, 250 } };
	struct fake_sink	 fk;
	struct mail_sink	 sink;

	fake_init(&fk, &sink, steps, 1);
	queue_at(f->s, "request", NULL, one, 1, NULL, T0);
	exec_ok(f->s, "UPDATE outbox SET state = 'sending', attempts = 2, "
	    "next_attempt_at = 1720409999");
	assert_int_equal(outbox_next_due(f->s), 1720409999);
	assert_int_equal(flush_at(f->s, &sink, T0, 0), 1);
	assert_int_equal(fk.calls, 1);
	assert_query_text(f->s, "SELECT state || ':' || attempts FROM outbox",
	    "sent:3");
	free(fk.raw);
}

static void
test_flush_max(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_SENT, 250 },
				    { SINK_SENT, 250 }, { SINK_SENT, 250 },
				    { SINK_SENT, 250 }, { SINK_SENT, 250 } };
	const char *const	 five[] = { "a@example.org", "b@example.org",
				    "c@example.org", "d@example.org",
				    "e@example.org" };
	struct fake_sink	 fk;
	struct mail_sink	 sink;

	fake_init(&fk, &sink, steps, 5);
	queue_at(f->s, "pack", NULL, five, 5, NULL, T0);
	assert_int_equal(flush_at(f->s, &sink, T0, 2), 2);
	assert_int_equal(flush_at(f->s, &sink, T0, 2), 2);
	assert_int_equal(flush_at(f->s, &sink, T0, 2), 1);
	assert_int_equal(flush_at(f->s, &sink, T0, 2), 0);
	assert_int_equal(fk.calls, 5);
	/* Oldest first: in the order queued. */
	assert_string_equal(fk.rcpt, "e@example.org");
	free(fk.raw);
}

/* Another process flushing: this flush does nothing, not even 'sending'. */
static void
test_flush_one_at_a_time(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_SENT, 250 } };
	struct fake_sink	 fk;
	struct mail_sink	 sink;
	char			 path[256];
	pid_t			 pid;
	int			 fd, ready[2], status;
	char			 c;

	fake_init(&fk, &sink, steps, 1);
	queue_at(f->s, "request", NULL, one, 1, NULL, T0);
	exec_ok(f->s, "UPDATE outbox SET state = 'sending'");

	/* flock is per open file: hold it from another process. */
	snprintf(path, sizeof path, "%s-outbox.lock", f->path);
	assert_int_equal(pipe(ready), 0);
	if ((pid = fork()) == 0) {
		fd = open(path, O_RDWR | O_CREAT, 0600);
		if (fd == -1 || flock(fd, LOCK_EX) == -1)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(flush_at(f->s, &sink, T0, 0), 0);
	assert_int_equal(fk.calls, 0);
	assert_query_text(f->s, "SELECT state || ':' || attempts FROM outbox",
	    "sending:0");

	/* The holder dies: its lock goes with it. */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(ready[0]);
	close(ready[1]);
	assert_int_equal(flush_at(f->s, &sink, T0, 0), 1);
	assert_query_text(f->s, "SELECT state || ':' || attempts FROM outbox",
	    "sent:1");
	free(fk.raw);
}

static void
test_flush_inside_transaction(void **state)
{
	struct fixture		*f = *state;
	struct fake_sink	 fk;
	struct mail_sink	 sink;
	char			*cause = NULL;
	size_t			 sent = 9;

	fake_init(&fk, &sink, NULL, 0);
	assert_int_equal(store_begin(f->s, &cause), 0);
	assert_int_equal(outbox_flush(f->s, &sink, T0, 0, &sent, &cause), -1);
	assert_int_equal(sent, 0);
	assert_non_null(strstr(cause, "inside a transaction"));
	free(cause);
	store_rollback(f->s);
}

/* A message whose bytes were purged fails for good without the sink. */
static void
test_flush_purged_bytes(void **state)
{
	struct fixture		*f = *state;
	struct fake_sink	 fk;
	struct mail_sink	 sink;

	fake_init(&fk, &sink, NULL, 0);
	queue_at(f->s, "request", NULL, one, 1, NULL, T0);
	exec_ok(f->s, "UPDATE messages SET raw = NULL");
	assert_int_equal(flush_at(f->s, &sink, T0, 0), 0);
	assert_int_equal(fk.calls, 0);
	assert_query_text(f->s, "SELECT state FROM outbox", "failed");
	assert_int_equal(q_int(f->s, "SELECT count(*) FROM alerts"), 1);
}

static void
test_next_due(void **state)
{
	struct fixture		*f = *state;
	const struct fake_step	 steps[] = { { SINK_SENT, 250 } };
	struct fake_sink	 fk;
	struct mail_sink	 sink;
	const char *const	 b[] = { "b@example.org" };

	assert_int_equal(outbox_next_due(f->s), 0);
	queue_at(f->s, "request", NULL, one, 1, NULL, T0 + 300);
	assert_int_equal(outbox_next_due(f->s), T0 + 300);
	queue_at(f->s, "request", NULL, b, 1, NULL, T0 + 100);
	assert_int_equal(outbox_next_due(f->s), T0 + 100);

	fake_init(&fk, &sink, steps, 1);
	assert_int_equal(flush_at(f->s, &sink, T0 + 200, 0), 1);
	assert_int_equal(outbox_next_due(f->s), T0 + 300);
	exec_ok(f->s, "UPDATE outbox SET state = 'failed' WHERE state = "
	    "'queued'");
	assert_int_equal(outbox_next_due(f->s), 0);
	free(fk.raw);
}

static void
test_backoff(void **state)
{
	assert_int_equal(outbox_backoff(0), 60);
	assert_int_equal(outbox_backoff(1), 60);
	assert_int_equal(outbox_backoff(2), 120);
	assert_int_equal(outbox_backoff(6), 1920);
	assert_int_equal(outbox_backoff(7), 3600);
	assert_int_equal(outbox_backoff(1000), 3600);
}

static void
test_address_safe(void **state)
{
	assert_true(outbox_address_safe("a@example.org"));
	assert_true(outbox_address_safe("a.b+tag@sub.example.org"));
	assert_false(outbox_address_safe(NULL));
	assert_false(outbox_address_safe(""));
	assert_false(outbox_address_safe("a@example.org\r\n"));
	assert_false(outbox_address_safe("a@exa\nmple.org"));
	assert_false(outbox_address_safe("a @example.org"));
	assert_false(outbox_address_safe("<a@example.org>"));
	assert_false(outbox_address_safe("a@example.org>"));
	assert_false(outbox_address_safe("-f@example.org"));
	assert_false(outbox_address_safe("a\t@example.org"));
	assert_false(outbox_address_safe("a\x7f@example.org"));
	assert_false(outbox_address_safe("\xc3\xa9@example.org"));
}

/* --- the sendmail sink over a fake program -------------------------- */

static const char fake_sendmail[] =
"#!/bin/sh\n"
"d=$(dirname \"$0\")\n"
"printf '%s\\n' \"$@\" >\"$d/args\"\n"
"[ -f \"$d/noread\" ] || cat >\"$d/stdin\"\n"
"[ -f \"$d/sleep\" ] && exec sleep \"$(cat \"$d/sleep\")\"\n"
"exit \"$(cat \"$d/code\" 2>/dev/null || echo 0)\"\n";

static void
write_file(const char *dir, const char *name, const char *text, int mode)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static char *
read_file(const char *dir, const char *name, size_t *len)
{
	char	 path[256], *buf;
	FILE	*fp;
	long	 n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static struct mail_sink *
sendmail_fixture(struct fixture *f, struct config *cfg, unsigned timeout)
{
	struct mail_sink	*sink;
	static char		 path[256];
	char			*cause = NULL;

	write_file(f->dir, "sendmail", fake_sendmail, 0700);
	snprintf(path, sizeof path, "%s/sendmail", f->dir);
	memset(cfg, 0, sizeof *cfg);
	cfg->smtp.kind = SMTP_SENDMAIL;
	cfg->smtp.sendmail = path;
	cfg->smtp.timeout_seconds = timeout;
	if ((sink = sendmail_sink_new(cfg, &cause)) == NULL)
		fail_msg("sendmail_sink_new: %s", cause);
	return sink;
}

static int
sink_send(struct mail_sink *sink, const char *from, const char *rcpt,
    const char *raw, size_t len, int *code, char **cause)
{
	*cause = NULL;
	return sink->send(sink->arg, from, rcpt, raw, len, code, cause);
}

static void
test_sendmail_sent(void **state)
{
	struct fixture		*f = *state;
	struct config		 cfg;
	struct mail_sink	*sink;
	char			*cause, *got;
	size_t			 len;
	int			 code = -1;

	sink = sendmail_fixture(f, &cfg, 10);
	assert_int_equal(sink_send(sink, FROM, "a@example.org", RAW,
	    strlen(RAW), &code, &cause), SINK_SENT);
	assert_null(cause);
	assert_int_equal(code, 0);
	got = read_file(f->dir, "args", NULL);
	assert_string_equal(got, "-i\n-f\n" FROM "\n--\na@example.org\n");
	free(got);
	got = read_file(f->dir, "stdin", &len);
	assert_int_equal(len, strlen(RAW));
	assert_memory_equal(got, RAW, len);
	free(got);
	sendmail_sink_free(sink);
}

static void
test_sendmail_exit_codes(void **state)
{
	struct fixture		*f = *state;
	struct config		 cfg;
	struct mail_sink	*sink;
	char			*cause;
	int			 code;

	sink = sendmail_fixture(f, &cfg, 10);
	write_file(f->dir, "code", "75\n", 0600);
	assert_int_equal(sink_send(sink, FROM, "a@example.org", RAW,
	    strlen(RAW), &code, &cause), SINK_TEMPORARY);
	assert_non_null(strstr(cause, "75"));
	free(cause);
	write_file(f->dir, "code", "67\n", 0600);
	assert_int_equal(sink_send(sink, FROM, "a@example.org", RAW,
	    strlen(RAW), &code, &cause), SINK_PERMANENT);
	assert_string_equal(cause, "sendmail: exit status 67");
	free(cause);
	sendmail_sink_free(sink);
}

static void
test_sendmail_timeout(void **state)
{
	struct fixture		*f = *state;
	struct config		 cfg;
	struct mail_sink	*sink;
	char			*cause;
	time_t			 start;
	int			 code;

	sink = sendmail_fixture(f, &cfg, 1);
	write_file(f->dir, "sleep", "30\n", 0600);
	start = time(NULL);
	assert_int_equal(sink_send(sink, FROM, "a@example.org", RAW,
	    strlen(RAW), &code, &cause), SINK_TEMPORARY);
	assert_true(time(NULL) - start <= 3);
	assert_non_null(strstr(cause, "killed after 1 s"));
	free(cause);
	sendmail_sink_free(sink);
}

/* A program that exits without reading a large message: no SIGPIPE death. */
static void
test_sendmail_no_read(void **state)
{
	struct fixture		*f = *state;
	struct config		 cfg;
	struct mail_sink	*sink;
	char			*cause, *big;
	size_t			 len = 4 * 1024 * 1024;
	int			 code;

	sink = sendmail_fixture(f, &cfg, 10);
	write_file(f->dir, "noread", "", 0600);
	write_file(f->dir, "code", "75\n", 0600);
	big = xmalloc(len);
	memset(big, 'x', len);
	assert_int_equal(sink_send(sink, FROM, "a@example.org", big, len,
	    &code, &cause), SINK_TEMPORARY);
	free(cause);
	free(big);
	sendmail_sink_free(sink);
}

static void
test_sendmail_refusals(void **state)
{
	struct fixture		*f = *state;
	struct config		 cfg;
	struct mail_sink	*sink;
	char			*cause = NULL, path[256];
	int			 code;

	sink = sendmail_fixture(f, &cfg, 10);
	assert_int_equal(sink_send(sink, FROM, "-oQ/tmp", RAW, strlen(RAW),
	    &code, &cause), SINK_PERMANENT);
	free(cause);
	assert_int_equal(sink_send(sink, "a@b\nc", "a@example.org", RAW,
	    strlen(RAW), &code, &cause), SINK_PERMANENT);
	free(cause);
	/* Nothing was run. */
	assert_null(read_file(f->dir, "args", NULL));

	/* The program gone since start-up: temporary, it may come back. */
	snprintf(path, sizeof path, "%s/sendmail", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(sink_send(sink, FROM, "a@example.org", RAW,
	    strlen(RAW), &code, &cause), SINK_TEMPORARY);
	assert_non_null(strstr(cause, "cannot run"));
	free(cause);
	sendmail_sink_free(sink);

	/* Not there at start-up: no sink. */
	cfg.smtp.sendmail = path;
	assert_null(sendmail_sink_new(&cfg, &cause));
	free(cause);
	cfg.smtp.kind = SMTP_STARTTLS;
	assert_null(sendmail_sink_new(&cfg, &cause));
	free(cause);
}

/* The whole path: queue to two, flush through the sendmail sink. */
static void
test_flush_through_sendmail(void **state)
{
	struct fixture		*f = *state;
	struct config		 cfg;
	struct mail_sink	*sink;
	char			*got;

	sink = sendmail_fixture(f, &cfg, 10);
	queue_at(f->s, "request", NULL, two, 2, NULL, T0);
	assert_int_equal(flush_at(f->s, sink, T0, 0), 2);
	got = read_file(f->dir, "args", NULL);
	assert_string_equal(got, "-i\n-f\n" FROM "\n--\nb@example.org\n");
	free(got);
	write_file(f->dir, "code", "75\n", 0600);
	queue_at(f->s, "request", NULL, one, 1, NULL, T0);
	assert_int_equal(flush_at(f->s, sink, T0, 0), 0);
	assert_query_text(f->s, "SELECT result || ':' || (smtp_code IS NULL) "
	    "|| ':' || error FROM outbox_attempts ORDER BY id DESC LIMIT 1",
	    "temporary:1:sendmail: exit status 75 (temporary failure)");
	sendmail_sink_free(sink);
}

/* --- the SMTP sink without a server ---------------------------------- */

static char	smtp_from[] = FROM;
static char	smtp_host[] = "localhost";
static char	smtp_nouser[] = "";

static void
smtp_config(struct config *cfg, uint16_t port)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->partnership.address = smtp_from;
	cfg->smtp.kind = SMTP_STARTTLS;
	cfg->smtp.host = smtp_host;
	cfg->smtp.port = port;
	cfg->smtp.tls = 1;
	cfg->smtp.user = smtp_nouser;
	cfg->smtp.timeout_seconds = 5;
}

/* A loopback port nothing listens on. */
static uint16_t
closed_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static void
test_smtp_refusals(void **state)
{
	struct config		 cfg;
	struct mail_sink	*sink;
	char			*cause = NULL;
	int			 code;

	smtp_config(&cfg, closed_port());
	if ((sink = smtp_sink_new(&cfg, NULL, &cause)) == NULL)
		fail_msg("smtp_sink_new: %s", cause);
	assert_int_equal(sink_send(sink, FROM, "a@example.org\r\nDATA", RAW,
	    strlen(RAW), &code, &cause), SINK_PERMANENT);
	assert_int_equal(code, 0);
	assert_null(strchr(cause, '@'));
	free(cause);
	assert_int_equal(sink_send(sink, "<" FROM ">", "a@example.org", RAW,
	    strlen(RAW), &code, &cause), SINK_PERMANENT);
	free(cause);

	/* Nothing listening: temporary, no reply code. */
	assert_int_equal(sink_send(sink, FROM, "a@example.org", RAW,
	    strlen(RAW), &code, &cause), SINK_TEMPORARY);
	assert_int_equal(code, 0);
	assert_non_null(strstr(cause, "curl error 7"));
	free(cause);
	smtp_sink_free(sink);
	smtp_global_cleanup();
}

static void
test_smtp_new_fails(void **state)
{
	struct fixture	*f = *state;
	struct config	 cfg;
	char		*cause = NULL, path[256];

	smtp_config(&cfg, 587);
	cfg.smtp.kind = SMTP_SENDMAIL;
	assert_null(smtp_sink_new(&cfg, NULL, &cause));
	free(cause);
	cause = NULL;

	/* A user and a secret that cannot be read. */
	smtp_config(&cfg, 587);
	snprintf(path, sizeof path, "%s/missing.secret", f->dir);
	cfg.smtp.user = smtp_from;
	cfg.smtp.password_file = path;
	assert_null(smtp_sink_new(&cfg, NULL, &cause));
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	/* A readable one is taken. */
	write_file(f->dir, "missing.secret", "pw\n", 0600);
	{
		struct mail_sink	*sink;

		if ((sink = smtp_sink_new(&cfg, NULL, &cause)) == NULL)
			fail_msg("smtp_sink_new: %s", cause);
		smtp_sink_free(sink);
	}
	smtp_global_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_writes_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_hash, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_dedupe, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_duplicate_recipients,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_needs_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flush_envelope, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flush_due_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flush_backoff, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flush_permanent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flush_permanent_alert_mail,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_unreachable_holds,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_sending_retried,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_max, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flush_one_at_a_time,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_inside_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_purged_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_next_due, setup,
		    teardown),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_address_safe),
		cmocka_unit_test_setup_teardown(test_sendmail_sent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sendmail_exit_codes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sendmail_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sendmail_no_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sendmail_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flush_through_sendmail,
		    setup, teardown),
		cmocka_unit_test(test_smtp_refusals),
		cmocka_unit_test_setup_teardown(test_smtp_new_fails, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
