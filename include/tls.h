/*
 * tls.h - certificate verification for libetpan streams.
 *
 * libetpan's GnuTLS build completes the handshake without checking the
 * server's certificate at all. Every TLS stream must pass through
 * tls_verify_stream() after the handshake and before any secret is sent.
 */
#ifndef RR_TLS_H
#define RR_TLS_H

#include <libetpan/libetpan.h>

/*
 * Verify the peer's chain on stream against ca_file (PEM; NULL or "" for
 * the system's trust store) and check that it is valid for host. Returns 0
 * when it is, or -1 with *cause set (caller frees) saying why not, in the
 * words of GnuTLS ("issuer is unknown", "name does not match").
 */
int	tls_verify_stream(mailstream *stream, const char *host,
	    const char *ca_file, char **cause);

#endif
