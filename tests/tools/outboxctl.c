/*
 * outboxctl - drive the outbox and the real mail sinks from tests.
 *
 *   outboxctl -c INI [-n NOW] [-k KEY] [-r N] [-w] queue FROM TO[,...] TOKEN
 *	Compose a small text message From FROM to each TO, Subject
 *	"outbox test TOKEN", Message-ID <TOKEN@FROM's domain>, and queue it
 *	in a transaction of its own (dedupe key KEY when given). Prints the
 *	Message-ID without <> and the rows queued. -r N queues N messages,
 *	TOKEN-1 to TOKEN-N, each in its own transaction. With -w, then waits
 *	to be killed: a daemon that dies after the event's commit, before its
 *	flush.
 *   outboxctl -c INI [-n NOW] queue-raw FROM TO[,...] FILE
 *	Queue FILE's bytes as they are (for what compose never makes, such
 *	as a line holding a lone dot).
 *   outboxctl -c INI [-n NOW] [-m MAX] flush
 *	Flush once through the sink [smtp] names (SMTP or sendmail) and print
 *	the number sent.
 *   outboxctl -c INI next-due
 *	Print outbox_next_due (0: nothing queued).
 *
 * NOW is seconds since the epoch (default: the clock); -v logs debug
 * lines too. Exit 0 on success,
 * 1 on an error (printed), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compose.h"
#include "config.h"
#include "log.h"
#include "outbox.h"
#include "sendmail.h"
#include "smtp.h"
#include "store.h"
#include "xmalloc.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: outboxctl -c INI [-n NOW] [-k KEY] [-r N] "
	    "[-w] queue FROM TO[,TO...] TOKEN\n"
	    "       outboxctl -c INI [-n NOW] queue-raw FROM TO[,...] FILE\n"
	    "       outboxctl -c INI [-n NOW] [-m MAX] flush\n"
	    "       outboxctl -c INI next-due\n");
	exit(2);
}

static long long
number(const char *s)
{
	char		*end;
	long long	 v;

	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0)
		usage();
	return v;
}

/* Split "a,b,c" in place. */
static size_t
split(char *list, const char ***out)
{
	const char	**v = NULL;
	char		 *p, *save = NULL;
	size_t		  n = 0;

	for (p = strtok_r(list, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = p;
	}
	*out = v;
	return n;
}

static int
cmd_queue(struct store *st, char *from, char *tolist, const char *token,
    const char *key, long long now, int wait, char **cause)
{
	struct compose_message	 msg;
	struct compose_address	*to;
	struct outbox_item	 it;
	const char		**rcpts, *domain;
	char			*subject, *text, *msgid, *raw = NULL;
	size_t			 n, i, len;
	int			 queued, rc = -1;

	if ((domain = strrchr(from, '@')) == NULL)
		usage();
	domain++;
	if ((n = split(tolist, &rcpts)) == 0)
		usage();
	to = xcalloc(n, sizeof *to);
	for (i = 0; i < n; i++)
		to[i].addr = rcpts[i];
	xasprintf(&subject, "outbox test %s", token);
	xasprintf(&msgid, "<%s@%s>", token, domain);
	/* A line with a leading dot checks that curl dot-stuffs. */
	xasprintf(&text, "Test message %s.\n.a line with a leading dot\n",
	    token);

	memset(&msg, 0, sizeof msg);
	msg.from.addr = from;
	msg.from.name = "Outbox Test";
	msg.to = to;
	msg.nto = n;
	msg.subject = subject;
	msg.message_id = msgid;
	msg.date = now;
	msg.text = text;
	msg.text_len = strlen(text);
	if (compose_build(&msg, &raw, &len, cause) != 0)
		goto out;

	memset(&it, 0, sizeof it);
	it.template = "test";
	it.msgid = msgid;
	it.subject = subject;
	it.envelope_from = from;
	it.recipients = rcpts;
	it.n_recipients = n;
	it.raw = raw;
	it.len = len;
	it.dedupe_key = key;
	if (store_begin(st, cause) != 0)
		goto out;
	if (outbox_queue(st, &it, now, &queued, cause) != 0) {
		store_rollback(st);
		goto out;
	}
	if (store_commit(st, cause) != 0)
		goto out;
	msgid[strlen(msgid) - 1] = '\0';
	printf("%s %d\n", msgid + 1, queued);
	fflush(stdout);
	if (wait) {
		for (;;)
			pause();
	}
	rc = 0;
out:
	free(raw);
	free(text);
	free(msgid);
	free(subject);
	free(to);
	free(rcpts);
	return rc;
}

static int
cmd_queue_raw(struct store *st, char *from, char *tolist, const char *file,
    long long now, char **cause)
{
	struct outbox_item	 it;
	const char		**rcpts;
	char			 buf[65536];
	FILE			*fp;
	size_t			 n, len;
	int			 queued, rc = -1;

	if ((fp = fopen(file, "rb")) == NULL) {
		xasprintf(cause, "%s: cannot open", file);
		return -1;
	}
	len = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	if ((n = split(tolist, &rcpts)) == 0)
		usage();
	memset(&it, 0, sizeof it);
	it.template = "test";
	it.envelope_from = from;
	it.recipients = rcpts;
	it.n_recipients = n;
	it.raw = buf;
	it.len = len;
	if (store_begin(st, cause) != 0)
		goto out;
	if (outbox_queue(st, &it, now, &queued, cause) != 0) {
		store_rollback(st);
		goto out;
	}
	if (store_commit(st, cause) != 0)
		goto out;
	printf("%d\n", queued);
	rc = 0;
out:
	free(rcpts);
	return rc;
}

static int
cmd_flush(struct store *st, const struct config *cfg, long long now,
    size_t max, char **cause)
{
	struct mail_sink	*sink;
	size_t			 sent;
	int			 rc;

	if (cfg->smtp.kind == SMTP_SENDMAIL)
		sink = sendmail_sink_new(cfg, cause);
	else
		sink = smtp_sink_new(cfg, NULL, cause);
	if (sink == NULL)
		return -1;
	rc = outbox_flush(st, sink, now, max, &sent, cause);
	if (cfg->smtp.kind == SMTP_SENDMAIL)
		sendmail_sink_free(sink);
	else
		smtp_sink_free(sink);
	if (rc == 0)
		printf("%zu\n", sent);
	return rc;
}

int
main(int argc, char **argv)
{
	struct config_diag	 diag;
	struct config		*cfg;
	struct store		*st;
	const char		*ini = NULL, *key = NULL;
	char			*cause = NULL;
	long long		 now = (long long)time(NULL);
	size_t			 max = 0, repeat = 0, i;
	char			*tok, *to;
	int			 ch, wait = 0, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "+c:k:m:n:r:vw")) != -1) {
		switch (ch) {
		case 'c':
			ini = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'm':
			max = (size_t)number(optarg);
			break;
		case 'n':
			now = number(optarg);
			break;
		case 'r':
			repeat = (size_t)number(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'w':
			wait = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (ini == NULL || argc < 1)
		usage();
	log_init(verbose, "outboxctl");

	config_diag_init(&diag);
	cfg = config_load(ini, &diag);
	if (cfg == NULL)
		config_diag_print(&diag, stderr);
	config_diag_free(&diag);
	if (cfg == NULL)
		return 1;
	if ((st = store_open(cfg->storage.database, &cause)) == NULL) {
		fprintf(stderr, "outboxctl: %s\n", cause);
		free(cause);
		config_free(cfg);
		return 1;
	}
	if (smtp_global_init(&cause) != 0) {
		fprintf(stderr, "outboxctl: %s\n", cause);
		free(cause);
		store_close(st);
		config_free(cfg);
		return 1;
	}

	if (strcmp(argv[0], "queue") == 0 && argc == 4 && repeat == 0)
		rc = cmd_queue(st, argv[1], argv[2], argv[3], key, now, wait,
		    &cause);
	else if (strcmp(argv[0], "queue") == 0 && argc == 4) {
		rc = 0;
		for (i = 1; i <= repeat && rc == 0; i++) {
			xasprintf(&tok, "%s-%zu", argv[3], i);
			to = xstrdup(argv[2]);	/* split() writes in it */
			rc = cmd_queue(st, argv[1], to, tok, key, now, 0,
			    &cause);
			free(to);
			free(tok);
		}
	} else if (strcmp(argv[0], "queue-raw") == 0 && argc == 4)
		rc = cmd_queue_raw(st, argv[1], argv[2], argv[3], now, &cause);
	else if (strcmp(argv[0], "flush") == 0 && argc == 1)
		rc = cmd_flush(st, cfg, now, max, &cause);
	else if (strcmp(argv[0], "next-due") == 0 && argc == 1) {
		printf("%lld\n", outbox_next_due(st));
		rc = 0;
	} else
		usage();
	if (rc != 0) {
		fprintf(stderr, "outboxctl: %s\n", cause);
		free(cause);
	}
	store_close(st);
	config_free(cfg);
	smtp_global_cleanup();
	return rc == 0 ? 0 : 1;
}
