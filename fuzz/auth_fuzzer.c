/*
 * auth_fuzzer.c - libFuzzer target for server/auth's untrusted-input
 * parsers: the Authorization header (attacker-controlled, before any
 * authentication), the credentials file, and the API's route table as
 * auth uses it (regit_api_route_of).
 *
 * The first byte picks the parser; the rest is its input. Properties
 * checked beyond "no crash": a decoded header yields a valid user name and
 * a non-empty password within bounds; a parsed file never holds more than
 * REGIT_AUTH_ENTRIES_MAX entries; every request maps to a real role, a
 * request no route serves needs admin and never writes, the server's write
 * check agrees with the table, and a query only ever raises the role.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "server/api.h"
#include "server/auth.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Base64 is strict: an accepted header's token is the one encoding of
 * "user:pass" (OpenSSL's encoder), padding optional, so no two tokens
 * name the same credential.
 */
static void fuzz_header_canonical(const char *hdr, const char *user, const char *pass)
{
	unsigned char plain[REGIT_AUTH_USER_MAX + 1 + REGIT_AUTH_PASSWORD_MAX + 1];
	unsigned char enc[sizeof(plain) / 3 * 4 + 8];
	const char *tok = hdr + 6, *end = hdr + strlen(hdr);
	size_t ulen = strlen(user), plen = strlen(pass), elen;

	memcpy(plain, user, ulen);
	plain[ulen] = ':';
	memcpy(plain + ulen + 1, pass, plen);
	elen = (size_t)EVP_EncodeBlock(enc, plain, (int)(ulen + 1 + plen));
	while (*tok == ' ' || *tok == '\t')
		tok++;
	while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	while (end > tok && end[-1] == '=')
		end--;
	while (elen > 0 && enc[elen - 1] == '=')
		elen--;
	if ((size_t)(end - tok) != elen || memcmp(tok, enc, elen) != 0)
		abort();
}

static void fuzz_header(const uint8_t *data, size_t size)
{
	char user[REGIT_AUTH_USER_MAX + 1], pass[REGIT_AUTH_PASSWORD_MAX + 1];
	char *hdr = regit_strndup((const char *)data, size);

	if (!hdr)
		return;
	if (regit_auth_parse_basic(hdr, user, pass) == 0) {
		if (!regit_auth_valid_user(user, strlen(user)) || pass[0] == '\0' ||
		    strlen(pass) > REGIT_AUTH_PASSWORD_MAX)
			abort();
		fuzz_header_canonical(hdr, user, pass);
	} else if (user[0] != '\0' || pass[0] != '\0') {
		abort();   /* nothing may leak out of a rejected header */
	}
	regit_free(hdr);
}

static void fuzz_file(const uint8_t *data, size_t size)
{
	regit_auth *auth = NULL;

	if (regit_auth_parse(&auth, (const char *)data, size) == 0) {
		if (regit_auth_count(auth) > REGIT_AUTH_ENTRIES_MAX)
			abort();
		/* malformed headers never authenticate against a real file */
		if (regit_auth_check(auth, "Basic !", REGIT_ROLE_READ, NULL) != REGIT_AUTH_UNAUTHENTICATED)
			abort();
	} else if (auth) {
		abort();
	}
	regit_auth_free(auth);
}

static void fuzz_route(const uint8_t *data, size_t size)
{
	char *s = regit_strndup((const char *)data, size);
	char *nl;
	regit_role r;

	if (!s)
		return;
	nl = strchr(s, '\n');
	if (nl) {
		char *q;
		unsigned f;

		*nl = '\0';
		f = regit_api_route_of(s, nl + 1);
		r = (regit_role)(f & REGIT_API_ROLE_MASK);
		if (r < REGIT_ROLE_READ || r > REGIT_ROLE_ADMIN)
			abort();
		/* no route: fail-closed, and nothing for a write worker */
		if ((f & REGIT_API_NO_ROUTE) &&
		    (r != REGIT_ROLE_ADMIN || (f & REGIT_API_WRITES)))
			abort();
		/* the server's write check is the table's */
		if (regit_api_may_write(s, nl + 1, NULL) != !!(f & REGIT_API_WRITES))
			abort();
		/* a query can only raise the role */
		q = strchr(nl + 1, '?');
		if (q) {
			*q = '\0';
			if ((regit_role)(regit_api_route_of(s, nl + 1) & REGIT_API_ROLE_MASK) > r)
				abort();
		}
	}
	regit_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: fuzz_header(data + 1, size - 1); break;
	case 1: fuzz_file(data + 1, size - 1); break;
	default: fuzz_route(data + 1, size - 1); break;
	}
	return 0;
}
