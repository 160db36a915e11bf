/*
 * md5.c - MD5 through OpenSSL's EVP interface.
 *
 * OpenSSL is already linked for SHA-256 fingerprints (compat/canonical.c);
 * using it here keeps hand-written digest code out of the tree.
 */
#include "util/md5.h"

#include <openssl/evp.h>

#include "util/error.h"

int regit_md5(unsigned char out[16], const void *data, size_t len)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_md5(), NULL) != 1 || n != 16) {
		regit_error_set(REGIT_ERROR_INTERNAL, "MD5 digest failed (OpenSSL)");
		return REGIT_ERROR;
	}
	return 0;
}
