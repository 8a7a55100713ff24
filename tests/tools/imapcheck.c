/*
 * imapcheck - read a mailbox with the daemon's own imap.c and tls.c, for
 * tests: log in, then print the message count, or wait until a message
 * holding a given text arrives and print it.
 *
 *   imapcheck -h HOST -p PORT [-s] [-a ca.pem] -u USER -P PASSFILE
 *             [-f FOLDER] [-w TEXT [-t SECONDS]]
 *
 * -s uses STARTTLS instead of IMAPS. Exit 0 on success, 1 on failure,
 * 3 when TLS or the certificate is refused, 4 when login is refused,
 * 5 when -w timed out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imap.h"
#include "log.h"
#include "secret.h"
#include "xmalloc.h"

static int
exit_code(enum imap_error e)
{
	switch (e) {
	case IMAP_ETLS:
		return 3;
	case IMAP_EAUTH:
		return 4;
	default:
		return 1;
	}
}

/* Print the newest message holding text; 1 when found, 0 not, -1 error. */
static int
find_text(struct imap *im, const char *text, char **cause)
{
	uint32_t	*uids = NULL, size;
	size_t		 n, i;
	char		*data;
	size_t		 len;
	int		 found = 0;

	if (imap_uids_from(im, 1, &uids, &n, cause) != IMAP_OK)
		return -1;
	for (i = n; i > 0 && !found; i--) {
		if (imap_size(im, uids[i - 1], &size, cause) != IMAP_OK ||
		    imap_fetch(im, uids[i - 1], &data, &len, cause) !=
		    IMAP_OK) {
			free(uids);
			return -1;
		}
		if (memmem(data, len, text, strlen(text)) != NULL) {
			fwrite(data, 1, len, stdout);
			printf("\n-- uid %u size %u\n", uids[i - 1], size);
			found = 1;
		}
		free(data);
	}
	free(uids);
	return found;
}

int
main(int argc, char **argv)
{
	struct imap_params	 p;
	struct imap		*im;
	enum imap_error		 e;
	const char		*passfile = NULL, *wait_text = NULL;
	char			*secret = NULL, *cause = NULL;
	time_t			 deadline;
	int			 ch, starttls = 0, seconds = 10, r;

	memset(&p, 0, sizeof p);
	p.folder = "INBOX";
	p.tls = 1;
	p.timeout = 10;
	p.auth = AUTH_PLAIN;
	log_init(0, "imapcheck");
	while ((ch = getopt(argc, argv, "a:f:h:lp:P:st:u:w:")) != -1) {
		switch (ch) {
		case 'a':
			p.ca_file = optarg;
			break;
		case 'f':
			p.folder = optarg;
			break;
		case 'h':
			p.host = optarg;
			break;
		case 'l':
			p.auth = AUTH_LOGIN;
			break;
		case 'p':
			p.port = (uint16_t)atoi(optarg);
			break;
		case 'P':
			passfile = optarg;
			break;
		case 's':
			starttls = 1;
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 'u':
			p.user = optarg;
			break;
		case 'w':
			wait_text = optarg;
			break;
		default:
			fprintf(stderr, "usage: imapcheck -h host -p port [-s] "
			    "[-a ca] -u user -P passfile [-f folder] "
			    "[-w text [-t seconds]]\n");
			return 2;
		}
	}
	if (p.host == NULL || p.port == 0 || p.user == NULL || passfile == NULL)
		return 2;
	p.implicit_tls = !starttls;
	if (secret_read(passfile, NULL, &secret, &cause) != 0) {
		fprintf(stderr, "imapcheck: %s\n", cause);
		free(cause);
		return 1;
	}
	p.secret = secret;

	deadline = time(NULL) + seconds;
	for (;;) {
		if ((im = imap_open(&p, &e, &cause)) == NULL) {
			fprintf(stderr, "imapcheck: %s\n", cause);
			free(cause);
			secret_free(secret);
			return exit_code(e);
		}
		if (wait_text == NULL) {
			printf("%u\n", imap_exists(im));
			imap_close(im);
			break;
		}
		r = find_text(im, wait_text, &cause);
		imap_close(im);
		if (r < 0) {
			fprintf(stderr, "imapcheck: %s\n", cause);
			free(cause);
			secret_free(secret);
			return 1;
		}
		if (r == 1)
			break;
		if (time(NULL) >= deadline) {
			fprintf(stderr, "imapcheck: no message with that text "
			    "after %ds\n", seconds);
			secret_free(secret);
			return 5;
		}
		usleep(200 * 1000);
	}
	secret_free(secret);
	return 0;
}
