/*
 * secret.h - reading passwords and keys from outside the INI.
 *
 * A secret comes from a file that only its owner may read, or from a
 * systemd credential ($CREDENTIALS_DIRECTORY/NAME, LoadCredential=).
 */
#ifndef RR_SECRET_H
#define RR_SECRET_H

#include <stddef.h>

/*
 * Read a secret: from file when it is not NULL, else from the credential
 * named credential. Trailing CR/LF are removed. Returns 0 with *out set
 * (caller frees with secret_free, which wipes it), or -1 with *cause set
 * (caller frees) when neither is given, the file is group or other
 * readable, not a regular file, over 4 KiB, empty, or cannot be read.
 */
int	secret_read(const char *file, const char *credential, char **out,
	    char **cause);
void	secret_free(char *);

/*
 * Check that path is a regular file not readable by group or others.
 * Returns 0, or -1 with *cause set (caller frees).
 */
int	secret_check_mode(const char *path, char **cause);

#endif
