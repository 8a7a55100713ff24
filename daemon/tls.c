/*
 * tls.c - verify a libetpan stream's certificate chain with GnuTLS.
 */
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "tls.h"
#include "xmalloc.h"

#define TLS_MAX_CHAIN	16

/* The reasons a person acts on, in plain words; GnuTLS's text follows. */
static const char *
status_reasons(unsigned status)
{
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		return "not signed by a trusted CA";
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		return "not issued for this host name";
	if (status & GNUTLS_CERT_EXPIRED)
		return "expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "not yet valid";
	if (status & GNUTLS_CERT_REVOKED)
		return "revoked";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "signed with an insecure algorithm";
	return "not trusted";
}

int
tls_verify_stream(mailstream *stream, const char *host, const char *ca_file,
    char **cause)
{
	gnutls_x509_trust_list_t	 list = NULL;
	gnutls_x509_crt_t		 certs[TLS_MAX_CHAIN];
	gnutls_typed_vdata_st		 vdata;
	gnutls_datum_t			 der, text = { NULL, 0 };
	carray				*chain = NULL;
	MMAPString			*s;
	unsigned			 i, n = 0, status = 0;
	int				 rc = -1, r;

	if (stream == NULL ||
	    (chain = mailstream_get_certificate_chain(stream)) == NULL ||
	    carray_count(chain) == 0) {
		xasprintf(cause, "%s: the server sent no certificate", host);
		goto out;
	}
	for (i = 0; i < carray_count(chain) && n < TLS_MAX_CHAIN; i++) {
		s = carray_get(chain, i);
		if (gnutls_x509_crt_init(&certs[n]) < 0) {
			xasprintf(cause, "%s: out of memory", host);
			goto out;
		}
		der.data = (unsigned char *)s->str;
		der.size = (unsigned)s->len;
		if ((r = gnutls_x509_crt_import(certs[n], &der,
		    GNUTLS_X509_FMT_DER)) < 0) {
			gnutls_x509_crt_deinit(certs[n]);
			xasprintf(cause, "%s: bad certificate from server: %s",
			    host, gnutls_strerror(r));
			goto out;
		}
		n++;
	}

	if (gnutls_x509_trust_list_init(&list, 0) < 0) {
		xasprintf(cause, "%s: cannot make a trust list", host);
		goto out;
	}
	if (ca_file != NULL && *ca_file != '\0') {
		r = gnutls_x509_trust_list_add_trust_file(list, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			xasprintf(cause, "%s: no CA certificate could be read "
			    "from %s%s%s", host, ca_file, r < 0 ? ": " : "",
			    r < 0 ? gnutls_strerror(r) : "");
			goto out;
		}
	} else if ((r = gnutls_x509_trust_list_add_system_trust(list, 0,
	    0)) <= 0) {
		xasprintf(cause, "%s: the system trust store is empty or "
		    "unreadable", host);
		goto out;
	}

	memset(&vdata, 0, sizeof vdata);
	vdata.type = GNUTLS_DT_DNS_HOSTNAME;
	vdata.data = (unsigned char *)(uintptr_t)host;
	vdata.size = 0;
	r = gnutls_x509_trust_list_verify_crt2(list, certs, n, &vdata, 1, 0,
	    &status, NULL);
	if (r < 0) {
		xasprintf(cause, "%s: certificate check failed: %s", host,
		    gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &text, 0) != 0)
			text.data = NULL;
		xasprintf(cause, "%s: certificate refused: %s (%s)", host,
		    status_reasons(status), text.data != NULL ?
		    (char *)text.data : "no detail");
		gnutls_free(text.data);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	if (list != NULL)
		gnutls_x509_trust_list_deinit(list, 1);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return rc;
}
