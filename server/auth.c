/*
 * auth.c - credentials file, HTTP Basic parsing and password hashing for
 * `regit serve --auth` (contract in auth.h).
 *
 * Entries are immutable after parsing, so concurrent checks only share the
 * small verification cache, which has its own mutex. Secrets are wiped
 * from stack buffers as soon as a check is done. libcrypt (crypt_rn,
 * crypt_gensalt_rn) does the hashing; OpenSSL's HMAC keys the cache.
 */
#include "server/auth.h"

#include <crypt.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"

/* Successful checks remembered; small because it is only a fast path. */
#define AUTH_CACHE_SLOTS 64
#define AUTH_MAC_LEN 32

typedef struct auth_entry {
	char user[REGIT_AUTH_USER_MAX + 1];
	regit_role role;
	char *hash;                       /* owned */
} auth_entry;

typedef struct auth_cache_slot {
	int used;
	size_t entry;
	unsigned char mac[AUTH_MAC_LEN];
} auth_cache_slot;

struct regit_auth {
	atomic_int refs;                  /* regit_auth_retain / regit_auth_free */
	auth_entry *entries;              /* owned, nentries long */
	size_t nentries;
	char *decoy;                      /* owned; NULL iff nentries == 0 */
	unsigned char key[32];            /* HMAC key for the cache, random */
	pthread_mutex_t lock;             /* guards cache and next_slot */
	auth_cache_slot cache[AUTH_CACHE_SLOTS];
	size_t next_slot;
	atomic_ulong hashes;              /* password hashes computed */
};

/* Hash methods we accept in a credentials file; everything else is weak
 * (DES, MD5, NT) or a disabled account marker. */
static const char *const auth_hash_prefixes[] = {
	"$y$", "$gy$", "$7$", "$6$", "$2b$", "$2y$"
};

static void auth_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

const char *regit_role_name(regit_role role)
{
	switch (role) {
	case REGIT_ROLE_READ: return "read";
	case REGIT_ROLE_WRITE: return "write";
	case REGIT_ROLE_ADMIN: return "admin";
	default: return "none";
	}
}

int regit_role_parse(const char *name, size_t len, regit_role *out)
{
	if (len == 4 && memcmp(name, "read", 4) == 0)
		*out = REGIT_ROLE_READ;
	else if (len == 5 && memcmp(name, "write", 5) == 0)
		*out = REGIT_ROLE_WRITE;
	else if (len == 5 && memcmp(name, "admin", 5) == 0)
		*out = REGIT_ROLE_ADMIN;
	else
		return REGIT_EINVALID;
	return 0;
}

int regit_auth_valid_user(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > REGIT_AUTH_USER_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '@' || c == '+' || c == '-'))
			return 0;
	}
	return 1;
}

static int auth_hash_acceptable(const char *hash, size_t len)
{
	size_t i;
	int prefix_ok = 0;

	if (len == 0 || len >= REGIT_AUTH_HASH_MAX)
		return 0;
	for (i = 0; i < sizeof(auth_hash_prefixes) / sizeof(auth_hash_prefixes[0]); i++) {
		size_t plen = strlen(auth_hash_prefixes[i]);

		if (len > plen && memcmp(hash, auth_hash_prefixes[i], plen) == 0)
			prefix_ok = 1;
	}
	if (!prefix_ok)
		return 0;
	/* crypt(3) output alphabet plus the '=' and ',' of "rounds=N". */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)hash[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '/' ||
		      c == '$' || c == '=' || c == ','))
			return 0;
	}
	return 1;
}

/* ---- hash cost and the decoy --------------------------------------------- */

/*
 * An unknown user must cost as much as the costliest known one, or timing
 * tells which names exist. Each scheme states its cost in the setting, so
 * within a scheme the costliest entry is found by parsing (exact, no
 * clock). Across schemes the units differ (bcrypt's 2^cost vs sha-crypt's
 * rounds vs yescrypt's N*r memory), so the costliest entry of each scheme
 * present is timed once at load and the slowest wins; a file normally
 * holds one or two schemes, so that is a handful of hashes.
 */

/* yescrypt's and scrypt's base-64 alphabet value of c, or 64 if none. */
static unsigned auth_a64(char c)
{
	static const char alphabet[] =
		"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (unsigned)(p - alphabet) : 64;
}

/*
 * yescrypt's variable-length integer: the first character says how many
 * follow (values up to 47 take one character, then ranges of two, three
 * ... characters). Returns the position after it, NULL when malformed.
 */
static const char *auth_yescrypt_uint(const char *s, uint32_t min, uint64_t *out)
{
	uint64_t v = min;
	unsigned start = 0, end = 47, chars = 1, bits = 0;
	unsigned c = auth_a64(*s++);

	if (c > 63)
		return NULL;
	while (c > end) {
		v += (uint64_t)(end + 1 - start) << bits;
		start = end + 1;
		end = start + (62 - end) / 2;
		chars++;
		bits += 6;
	}
	v += (uint64_t)(c - start) << bits;
	while (--chars) {
		c = auth_a64(*s++);
		if (c > 63)
			return NULL;
		bits -= 6;
		v += (uint64_t)c << bits;
	}
	*out = v;
	return s;
}

/* N * r * p * (t + 1) of a "$y$" / "$gy$" setting starting at params;
 * 0 when malformed (crypt would then fail too). */
static double auth_yescrypt_cost(const char *params)
{
	/* flavor, log2(N), r, then an optional "have" bitmap announcing p
	 * (bit 0) and t (bit 1); later fields do not change the order. */
	uint64_t v[5] = { 0, 0, 0, 0, 1 }, t = 0;
	static const uint32_t mins[5] = { 0, 1, 1, 1, 2 };
	const char *s = params;
	int i;

	for (i = 0; i < 3 && s; i++)
		s = auth_yescrypt_uint(s, mins[i], &v[i]);
	if (!s || v[1] > 63)
		return 0;
	if (*s != '$') {
		s = auth_yescrypt_uint(s, 1, &v[3]);
		if (s && (v[3] & 1))
			s = auth_yescrypt_uint(s, 2, &v[4]);
		if (s && (v[3] & 2))
			s = auth_yescrypt_uint(s, 1, &t);
		if (!s)
			return 0;
	}
	return ldexp(1.0, (int)v[1]) * (double)v[2] * (double)v[4] * (double)(t + 1);
}

/* N * r * p of a "$7$" setting: N as log2 in one character, r and p as
 * 30-bit little-endian numbers in five characters each. */
static double auth_scrypt_cost(const char *params)
{
	unsigned nlog2 = auth_a64(params[0]);
	double rp = 1;
	int i, k;

	if (nlog2 < 1 || nlog2 > 63)
		return 0;
	for (k = 0; k < 2; k++) {
		uint32_t v = 0;

		for (i = 0; i < 5; i++) {
			unsigned c = auth_a64(params[1 + 5 * k + i]);

			if (c > 63)
				return 0;
			v |= (uint32_t)c << (6 * i);
		}
		rp *= v;
	}
	return ldexp(1.0, (int)nlog2) * rp;
}

/*
 * The scheme of an accepted hash (index into auth_hash_prefixes) and its
 * cost in that scheme's own unit; only costs of one scheme compare.
 */
static void auth_hash_cost(const char *hash, size_t *scheme, double *cost)
{
	size_t i;

	*scheme = 0;
	*cost = 0;
	for (i = 0; i < sizeof(auth_hash_prefixes) / sizeof(auth_hash_prefixes[0]); i++) {
		if (strncmp(hash, auth_hash_prefixes[i], strlen(auth_hash_prefixes[i])) == 0) {
			*scheme = i;
			break;
		}
	}
	if (strncmp(hash, "$y$", 3) == 0) {
		*cost = auth_yescrypt_cost(hash + 3);
	} else if (strncmp(hash, "$gy$", 4) == 0) {
		*cost = auth_yescrypt_cost(hash + 4);
	} else if (strncmp(hash, "$7$", 3) == 0) {
		*cost = auth_scrypt_cost(hash + 3);
	} else if (strncmp(hash, "$6$", 3) == 0) {
		/* libcrypt's default and clamp for sha512crypt's rounds */
		*cost = 5000;
		if (strncmp(hash + 3, "rounds=", 7) == 0) {
			*cost = strtod(hash + 10, NULL);
			if (*cost < 1000)
				*cost = 1000;
			if (*cost > 999999999)
				*cost = 999999999;
		}
	} else if (hash[1] == '2' && hash[4] >= '0' && hash[4] <= '9' &&
		   hash[5] >= '0' && hash[5] <= '9') {
		*cost = ldexp(1.0, (hash[4] - '0') * 10 + (hash[5] - '0'));   /* $2b$NN$ */
	}
}

/*
 * The costliest setting accepted per scheme (same order as
 * auth_hash_prefixes), in auth_hash_cost's units: 16 times the default of
 * regit passwd / libcrypt (yescrypt j9T: N 4096, r 32; sha512crypt 5000
 * rounds; bcrypt cost 10), except sha512crypt, whose 5000 is cheap enough
 * to allow 200 times. At these a hash takes about a second here.
 */
#define AUTH_MAX_COST_FACTOR 16.0
static const double auth_max_cost[] = {
	131072.0 * AUTH_MAX_COST_FACTOR, 131072.0 * AUTH_MAX_COST_FACTOR,
	131072.0 * AUTH_MAX_COST_FACTOR, 1000000.0, 1024.0 * AUTH_MAX_COST_FACTOR,
	1024.0 * AUTH_MAX_COST_FACTOR
};

static double auth_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Hash a random password with the setting of e's hash (crypt reads only
 * the setting part: scheme, cost, salt), timing the fastest of `runs` attempts so a busy
 * machine inflates the figure as little as possible.
 * @param out receives an owned copy of the first result
 */
static int auth_decoy_hash(char **out, double *seconds, const auth_entry *e,
	int runs)
{
	unsigned char rnd[16];
	char pw[2 * sizeof(rnd) + 1];
	struct crypt_data *cd = NULL;
	const char *h;
	double best = 0;
	size_t i;
	int run, error = 0;

	*out = NULL;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		regit_error_set(REGIT_ERROR_OS, "getrandom: %s", strerror(errno));
		return REGIT_EIO;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		pw[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		pw[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
	}
	pw[2 * sizeof(rnd)] = '\0';
	cd = regit_calloc(1, sizeof(*cd));
	if (!cd) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (run = 0; run < runs; run++) {
		double t0 = auth_now(), t;

		h = crypt_rn(pw, e->hash, cd, (int)sizeof(*cd));
		t = auth_now() - t0;
		if (!h || h[0] == '*') {
			regit_error_set(REGIT_ERROR_HTTP,
				"credentials: user '%s': malformed password hash", e->user);
			error = REGIT_EINVALID;
			goto done;
		}
		if (run == 0 || t < best)
			best = t;
		if (!*out) {
			*out = regit_strdup(h);
			if (!*out) {
				error = REGIT_ENOMEM;
				goto done;
			}
		}
	}
	*seconds = best;

done:
	auth_wipe(rnd, sizeof(rnd));
	auth_wipe(pw, sizeof(pw));
	if (cd) {
		auth_wipe(cd, sizeof(*cd));
		regit_free(cd);
	}
	if (error < 0) {
		regit_free(*out);
		*out = NULL;
	}
	return error;
}

/* Set auth->decoy from the costliest entry (see the comment above). */
static int auth_make_decoy(regit_auth *auth)
{
	enum { NSCHEMES = sizeof(auth_hash_prefixes) / sizeof(auth_hash_prefixes[0]) };
	size_t top[NSCHEMES];              /* costliest entry per scheme */
	double topcost[NSCHEMES] = { 0 };
	size_t i, scheme, present = 0;
	double cost, best = -1;
	int error = 0;

	for (i = 0; i < NSCHEMES; i++)
		top[i] = SIZE_MAX;
	for (i = 0; i < auth->nentries; i++) {
		auth_hash_cost(auth->entries[i].hash, &scheme, &cost);
		if (top[scheme] == SIZE_MAX || cost > topcost[scheme]) {
			present += top[scheme] == SIZE_MAX;
			top[scheme] = i;
			topcost[scheme] = cost;
		}
	}
	for (scheme = 0; scheme < NSCHEMES; scheme++) {
		char *h = NULL;
		double t = 0;

		if (top[scheme] == SIZE_MAX)
			continue;
		/* One scheme needs no clock: one hash makes the decoy. */
		error = auth_decoy_hash(&h, &t, &auth->entries[top[scheme]],
			present > 1 ? 3 : 1);
		if (error < 0)
			return error;
		if (t > best) {
			best = t;
			regit_free(auth->decoy);
			auth->decoy = h;
		} else {
			regit_free(h);
		}
	}
	return 0;
}

const char *regit_auth__decoy(const regit_auth *auth)
{
	return auth ? auth->decoy : NULL;
}

/* ---- credentials file ---------------------------------------------------- */

static int auth_parse_line(auth_entry *e, const char *line, size_t len,
	size_t lineno)
{
	const char *c1, *c2;
	size_t ulen, rlen, hlen;
	char hash[REGIT_AUTH_HASH_MAX];
	int rc;

	c1 = memchr(line, ':', len);
	c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
	if (!c2) {
		regit_error_set(REGIT_ERROR_HTTP,
			"credentials line %zu: expected user:role:hash", lineno);
		return REGIT_EINVALID;
	}
	ulen = (size_t)(c1 - line);
	rlen = (size_t)(c2 - c1 - 1);
	hlen = len - (size_t)(c2 + 1 - line);
	if (!regit_auth_valid_user(line, ulen)) {
		regit_error_set(REGIT_ERROR_HTTP,
			"credentials line %zu: invalid user name (1-%d of A-Z a-z 0-9 . _ @ + -)",
			lineno, REGIT_AUTH_USER_MAX);
		return REGIT_EINVALID;
	}
	if (regit_role_parse(c1 + 1, rlen, &e->role) < 0) {
		regit_error_set(REGIT_ERROR_HTTP,
			"credentials line %zu: role must be read, write or admin", lineno);
		return REGIT_EINVALID;
	}
	if (!auth_hash_acceptable(c2 + 1, hlen)) {
		regit_error_set(REGIT_ERROR_HTTP,
			"credentials line %zu: unsupported password hash (use regit passwd)",
			lineno);
		return REGIT_EINVALID;
	}
	memcpy(hash, c2 + 1, hlen);
	hash[hlen] = '\0';
	rc = crypt_checksalt(hash);
	if (rc != CRYPT_SALT_OK && rc != CRYPT_SALT_TOO_CHEAP) {
		regit_error_set(REGIT_ERROR_HTTP,
			"credentials line %zu: malformed or disabled password hash", lineno);
		return REGIT_EINVALID;
	}
	{
		size_t scheme;
		double cost;

		/* Every login of that user, and the decoy built at load for
		 * unknown users, pays this: a typo like "$2b$24$" would make a
		 * load take minutes (found by fuzzing). */
		auth_hash_cost(hash, &scheme, &cost);
		if (cost > auth_max_cost[scheme]) {
			regit_error_set(REGIT_ERROR_HTTP, "credentials line %zu: password hash"
				" setting too costly for a login (regit passwd makes usable ones)",
				lineno);
			return REGIT_EINVALID;
		}
	}
	memcpy(e->user, line, ulen);
	e->user[ulen] = '\0';
	e->hash = regit_strndup(hash, hlen);
	if (!e->hash)
		return REGIT_ENOMEM;
	return 0;
}

static void auth_free_entries(auth_entry *entries, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		regit_free(entries[i].hash);
	regit_free(entries);
}

int regit_auth_parse(regit_auth **out, const char *text, size_t len)
{
	regit_auth *auth = NULL;
	size_t pos = 0, lineno = 0, cap = 0, i;
	int error = 0;

	*out = NULL;
	if (len > REGIT_AUTH_FILE_MAX) {
		regit_error_set(REGIT_ERROR_HTTP, "credentials file larger than %u bytes",
			REGIT_AUTH_FILE_MAX);
		return REGIT_ELIMIT;
	}
	if (memchr(text, '\0', len)) {
		regit_error_set(REGIT_ERROR_HTTP, "credentials file contains a NUL byte");
		return REGIT_EINVALID;
	}
	auth = regit_calloc(1, sizeof(*auth));
	if (!auth)
		return REGIT_ENOMEM;
	atomic_init(&auth->refs, 1);
	if (pthread_mutex_init(&auth->lock, NULL) != 0) {
		regit_free(auth);
		regit_error_set(REGIT_ERROR_OS, "cannot initialise a mutex");
		return REGIT_ERROR;
	}
	if (getrandom(auth->key, sizeof(auth->key), 0) != (ssize_t)sizeof(auth->key)) {
		regit_error_set(REGIT_ERROR_OS, "getrandom: %s", strerror(errno));
		error = REGIT_EIO;
		goto done;
	}

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;

		pos += llen + (nl ? 1 : 0);
		lineno++;
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == 0 || line[0] == '#')
			continue;
		if (auth->nentries == REGIT_AUTH_ENTRIES_MAX) {
			regit_error_set(REGIT_ERROR_HTTP,
				"credentials file has more than %d entries", REGIT_AUTH_ENTRIES_MAX);
			error = REGIT_ELIMIT;
			goto done;
		}
		if (auth->nentries == cap) {
			auth_entry *n = regit_array_grow(auth->entries, &cap,
				auth->nentries + 1, sizeof(*n), 8);

			if (!n) {
				error = REGIT_ENOMEM;
				goto done;
			}
			auth->entries = n;
		}
		memset(&auth->entries[auth->nentries], 0, sizeof(auth_entry));
		error = auth_parse_line(&auth->entries[auth->nentries], line, llen, lineno);
		if (error < 0)
			goto done;
		auth->nentries++;
		/* Duplicates would make which password counts depend on order. */
		for (i = 0; i + 1 < auth->nentries; i++) {
			if (strcmp(auth->entries[i].user,
				   auth->entries[auth->nentries - 1].user) == 0) {
				regit_error_set(REGIT_ERROR_HTTP,
					"credentials line %zu: duplicate user '%s'", lineno,
					auth->entries[i].user);
				error = REGIT_EINVALID;
				goto done;
			}
		}
	}
	error = auth_make_decoy(auth);

done:
	if (error < 0) {
		regit_auth_free(auth);
		return error;
	}
	*out = auth;
	return 0;
}

int regit_auth_load(regit_auth **out, const char *path)
{
	regit_buf buf;
	int error;

	*out = NULL;
	regit_buf_init(&buf, REGIT_AUTH_FILE_MAX);
	error = regit_buf_read_file(&buf, path);
	if (error < 0)
		goto done;
	error = regit_auth_parse(out, regit_buf_cstr(&buf), buf.size);

done:
	if (buf.ptr)
		auth_wipe(buf.ptr, buf.size);
	regit_buf_dispose(&buf);
	return error;
}

regit_auth *regit_auth_retain(regit_auth *auth)
{
	if (auth)
		atomic_fetch_add_explicit(&auth->refs, 1, memory_order_relaxed);
	return auth;
}

void regit_auth_free(regit_auth *auth)
{
	if (!auth)
		return;
	if (atomic_fetch_sub_explicit(&auth->refs, 1, memory_order_acq_rel) != 1)
		return;
	auth_free_entries(auth->entries, auth->nentries);
	regit_free(auth->decoy);
	pthread_mutex_destroy(&auth->lock);
	auth_wipe(auth, sizeof(*auth));
	regit_free(auth);
}

size_t regit_auth_count(const regit_auth *auth)
{
	return auth ? auth->nentries : 0;
}

int regit_auth_role_of(const regit_auth *auth, const char *user, regit_role *role_out)
{
	size_t i;

	*role_out = REGIT_ROLE_NONE;
	if (!auth || !user)
		return REGIT_ENOTFOUND;
	for (i = 0; i < auth->nentries; i++)
		if (strcmp(auth->entries[i].user, user) == 0) {
			*role_out = auth->entries[i].role;
			return 0;
		}
	return REGIT_ENOTFOUND;
}

/* ---- HTTP Basic ---------------------------------------------------------- */

/* Bytes of "user:password" at their bounds, and of its base64 text. */
#define AUTH_BASIC_MAX (REGIT_AUTH_USER_MAX + 1 + REGIT_AUTH_PASSWORD_MAX)
#define AUTH_BASIC_B64_MAX ((AUTH_BASIC_MAX + 2) / 3 * 4)

static const char auth_b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * Strict base64: standard alphabet, optional but correct padding, zero
 * trailing bits (so every credential has exactly one encoding). OpenSSL's
 * EVP_DecodeBlock decodes; it is lax where this must not be, so the form
 * is checked first: it reads '=' anywhere as zero bits, trims whitespace
 * and line ends, and wants whole groups of four (so missing padding is
 * added here). It returns whole groups, padding decoded as zero bytes:
 * the real length is three per group less one per '=', and those padding
 * bytes must be zero (else the last character had bits to spare).
 */
static int auth_b64_decode(unsigned char *out, size_t outsize, size_t *outlen,
	const char *in, size_t inlen)
{
	char text[AUTH_BASIC_B64_MAX + 1];
	unsigned char dec[AUTH_BASIC_B64_MAX / 4 * 3];
	size_t i, body, pad = 0;
	int n, error = 0;

	while (pad < 2 && inlen > pad && in[inlen - 1 - pad] == '=')
		pad++;
	body = inlen - pad;
	if ((pad && inlen % 4 != 0) || body % 4 == 1)
		return REGIT_EINVALID;
	if (inlen > AUTH_BASIC_B64_MAX)
		return REGIT_ELIMIT;
	memcpy(text, in, body);
	text[body] = '\0';
	if (strspn(text, auth_b64_alphabet) != body)
		return REGIT_EINVALID;   /* also a '=' inside, blanks, NUL */
	pad = (4 - body % 4) % 4;
	memcpy(text + body, "==", pad);
	n = EVP_DecodeBlock(dec, (const unsigned char *)text, (int)(body + pad));
	if (n < 0 || (size_t)n < pad) {
		error = REGIT_EINVALID;
		goto done;
	}
	for (i = (size_t)n - pad; i < (size_t)n; i++)
		if (dec[i] != 0)
			error = REGIT_EINVALID;
	if (error == 0 && (size_t)n - pad > outsize)
		error = REGIT_ELIMIT;
	if (error == 0) {
		*outlen = (size_t)n - pad;
		memcpy(out, dec, *outlen);
	}
done:
	auth_wipe(text, sizeof(text));
	auth_wipe(dec, sizeof(dec));
	return error;
}

int regit_auth_parse_basic(const char *header, char *user, char *pass)
{
	/* user ':' password, at their bounds */
	unsigned char dec[AUTH_BASIC_MAX];
	size_t hlen, dlen = 0, ulen, plen;
	const char *tok, *end;
	unsigned char *colon;
	int error = 0;

	user[0] = '\0';
	pass[0] = '\0';
	if (!header)
		return REGIT_EINVALID;
	hlen = strnlen(header, REGIT_AUTH_HEADER_MAX + 1);
	if (hlen > REGIT_AUTH_HEADER_MAX)
		return REGIT_ELIMIT;
	if (hlen < 6 || strncasecmp(header, "Basic", 5) != 0 ||
	    (header[5] != ' ' && header[5] != '\t'))
		return REGIT_EINVALID;
	tok = header + 6;
	while (*tok == ' ' || *tok == '\t')
		tok++;
	end = header + hlen;
	while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	error = auth_b64_decode(dec, sizeof(dec), &dlen, tok, (size_t)(end - tok));
	if (error < 0)
		goto done;
	if (memchr(dec, '\0', dlen)) {
		error = REGIT_EINVALID;
		goto done;
	}
	colon = memchr(dec, ':', dlen);
	if (!colon) {
		error = REGIT_EINVALID;
		goto done;
	}
	ulen = (size_t)(colon - dec);
	plen = dlen - ulen - 1;
	if (!regit_auth_valid_user((const char *)dec, ulen) || plen == 0 ||
	    plen > REGIT_AUTH_PASSWORD_MAX) {
		error = plen > REGIT_AUTH_PASSWORD_MAX ? REGIT_ELIMIT : REGIT_EINVALID;
		goto done;
	}
	memcpy(user, dec, ulen);
	user[ulen] = '\0';
	memcpy(pass, colon + 1, plen);
	pass[plen] = '\0';

done:
	auth_wipe(dec, sizeof(dec));
	return error;
}

/* ---- hashing -------------------------------------------------------------- */

int regit_auth_hash_password(char *out, const char *password, size_t len)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char rnd[32];
	struct crypt_data *cd = NULL;
	const char *h;
	int error = 0;

	out[0] = '\0';
	if (len == 0 || len > REGIT_AUTH_PASSWORD_MAX || memchr(password, '\0', len)) {
		regit_error_set(REGIT_ERROR_CLI, "password must be 1-%d bytes without NUL",
			REGIT_AUTH_PASSWORD_MAX);
		return REGIT_EINVALID;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		regit_error_set(REGIT_ERROR_OS, "getrandom: %s", strerror(errno));
		return REGIT_EIO;
	}
	/* yescrypt when this libcrypt has it, SHA-512 otherwise. */
	if (!crypt_gensalt_rn("$y$", 0, (const char *)rnd, sizeof(rnd), setting,
			      sizeof(setting)) &&
	    !crypt_gensalt_rn("$6$", 0, (const char *)rnd, sizeof(rnd), setting,
			      sizeof(setting))) {
		regit_error_set(REGIT_ERROR_OS, "crypt_gensalt: %s", strerror(errno));
		error = REGIT_EIO;
		goto done;
	}
	cd = regit_calloc(1, sizeof(*cd));
	if (!cd) {
		error = REGIT_ENOMEM;
		goto done;
	}
	/* crypt_rn wants a C string; password has no NUL (checked above). */
	{
		char pw[REGIT_AUTH_PASSWORD_MAX + 1];

		memcpy(pw, password, len);
		pw[len] = '\0';
		h = crypt_rn(pw, setting, cd, (int)sizeof(*cd));
		auth_wipe(pw, sizeof(pw));
	}
	if (!h || h[0] == '*' || strlen(h) >= REGIT_AUTH_HASH_MAX) {
		regit_error_set(REGIT_ERROR_OS, "crypt: %s", strerror(errno));
		error = REGIT_EIO;
		goto done;
	}
	memcpy(out, h, strlen(h) + 1);

done:
	auth_wipe(rnd, sizeof(rnd));
	if (cd) {
		auth_wipe(cd, sizeof(*cd));
		regit_free(cd);
	}
	return error;
}

/* Compare two NUL-terminated strings of at most REGIT_AUTH_HASH_MAX - 1
 * bytes; time depends only on that bound. */
static int auth_consttime_equal(const char *a, const char *b)
{
	unsigned char diff = 0;
	size_t la = strnlen(a, REGIT_AUTH_HASH_MAX), lb = strnlen(b, REGIT_AUTH_HASH_MAX);
	size_t i;

	for (i = 0; i < REGIT_AUTH_HASH_MAX; i++) {
		unsigned char ca = i < la ? (unsigned char)a[i] : 0;
		unsigned char cb = i < lb ? (unsigned char)b[i] : 0;

		diff |= (unsigned char)(ca ^ cb);
	}
	return diff == 0 && la == lb && la < REGIT_AUTH_HASH_MAX;
}

int regit_auth_verify_password(const char *hash, const char *password)
{
	struct crypt_data *cd;
	const char *h;
	int ok = 0;

	if (!hash || !password || !hash[0])
		return 0;
	cd = regit_calloc(1, sizeof(*cd));
	if (!cd)
		return 0;
	h = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	if (h && h[0] != '*')
		ok = auth_consttime_equal(h, hash);
	auth_wipe(cd, sizeof(*cd));
	regit_free(cd);
	return ok;
}

/* ---- checking requests ---------------------------------------------------- */

static int auth_mac(const regit_auth *auth, const char *user, const char *pass,
	unsigned char mac[AUTH_MAC_LEN])
{
	unsigned char msg[REGIT_AUTH_USER_MAX + 1 + REGIT_AUTH_PASSWORD_MAX];
	size_t ulen = strlen(user), plen = strlen(pass);
	unsigned int maclen = 0;
	int ok;

	memcpy(msg, user, ulen);
	msg[ulen] = ':';
	memcpy(msg + ulen + 1, pass, plen);
	ok = HMAC(EVP_sha256(), auth->key, (int)sizeof(auth->key), msg,
		  ulen + 1 + plen, mac, &maclen) != NULL && maclen == AUTH_MAC_LEN;
	auth_wipe(msg, sizeof(msg));
	return ok ? 0 : REGIT_ERROR;
}

static int auth_cache_find(regit_auth *auth, const unsigned char mac[AUTH_MAC_LEN],
	size_t *entry)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&auth->lock);
	for (i = 0; i < AUTH_CACHE_SLOTS; i++) {
		if (auth->cache[i].used &&
		    CRYPTO_memcmp(auth->cache[i].mac, mac, AUTH_MAC_LEN) == 0) {
			*entry = auth->cache[i].entry;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&auth->lock);
	return found;
}

static void auth_cache_add(regit_auth *auth, const unsigned char mac[AUTH_MAC_LEN],
	size_t entry)
{
	auth_cache_slot *s;

	pthread_mutex_lock(&auth->lock);
	s = &auth->cache[auth->next_slot];
	auth->next_slot = (auth->next_slot + 1) % AUTH_CACHE_SLOTS;
	s->used = 1;
	s->entry = entry;
	memcpy(s->mac, mac, AUTH_MAC_LEN);
	pthread_mutex_unlock(&auth->lock);
}

regit_auth_result regit_auth_authenticate(regit_auth *auth, const char *header,
	char *user_out, regit_role *role_out)
{
	char user[REGIT_AUTH_USER_MAX + 1];
	char pass[REGIT_AUTH_PASSWORD_MAX + 1];
	unsigned char mac[AUTH_MAC_LEN];
	regit_auth_result result = REGIT_AUTH_UNAUTHENTICATED;
	size_t idx = 0, i;
	int found = 0, have_mac;

	if (user_out)
		user_out[0] = '\0';
	*role_out = REGIT_ROLE_NONE;
	if (!auth || regit_auth_parse_basic(header, user, pass) < 0)
		goto done;

	have_mac = auth_mac(auth, user, pass, mac) == 0;
	if (have_mac && auth_cache_find(auth, mac, &idx)) {
		found = 1;
	} else {
		for (i = 0; i < auth->nentries; i++) {
			if (strcmp(auth->entries[i].user, user) == 0) {
				idx = i;
				found = 1;
				break;
			}
		}
		if (!found) {
			/* Spend as long as for the costliest real user, so
			 * timing does not tell which names exist. The decoy
			 * hashes a random password: the result is ignored and
			 * could not match anyway. */
			if (auth->decoy) {
				atomic_fetch_add_explicit(&auth->hashes, 1, memory_order_relaxed);
				(void)regit_auth_verify_password(auth->decoy, pass);
			}
			goto done;
		}
		atomic_fetch_add_explicit(&auth->hashes, 1, memory_order_relaxed);
		if (!regit_auth_verify_password(auth->entries[idx].hash, pass))
			goto done;
		if (have_mac)
			auth_cache_add(auth, mac, idx);
	}

	if (user_out)
		memcpy(user_out, auth->entries[idx].user, strlen(auth->entries[idx].user) + 1);
	*role_out = auth->entries[idx].role;
	result = REGIT_AUTH_OK;

done:
	auth_wipe(pass, sizeof(pass));
	auth_wipe(mac, sizeof(mac));
	return result;
}

unsigned long regit_auth_hash_count(const regit_auth *auth)
{
	return auth ? atomic_load_explicit(&((regit_auth *)auth)->hashes, memory_order_relaxed) : 0;
}

regit_auth_result regit_auth_authenticate_cached(regit_auth *auth, const char *header,
	char *user_out, regit_role *role_out)
{
	char user[REGIT_AUTH_USER_MAX + 1];
	char pass[REGIT_AUTH_PASSWORD_MAX + 1];
	unsigned char mac[AUTH_MAC_LEN];
	regit_auth_result result = REGIT_AUTH_UNAUTHENTICATED;
	size_t idx = 0;

	if (user_out)
		user_out[0] = '\0';
	*role_out = REGIT_ROLE_NONE;
	if (!auth || regit_auth_parse_basic(header, user, pass) < 0)
		goto done;
	result = REGIT_AUTH_NEEDS_HASH;
	if (auth_mac(auth, user, pass, mac) < 0 || !auth_cache_find(auth, mac, &idx))
		goto done;
	if (user_out)
		memcpy(user_out, auth->entries[idx].user, strlen(auth->entries[idx].user) + 1);
	*role_out = auth->entries[idx].role;
	result = REGIT_AUTH_OK;
done:
	auth_wipe(pass, sizeof(pass));
	auth_wipe(mac, sizeof(mac));
	return result;
}

/* ---- failed attempts per address ----------------------------------------- */

typedef struct auth_throttle_slot {
	char addr[48];
	double tokens;        /* failures it may still make now */
	double last;          /* auth_now() of the last refill */
} auth_throttle_slot;

/*
 * An address lives in one of AUTH_THROTTLE_WAYS slots starting at its hash
 * (keyed by a random seed, so nobody picks addresses that collide), and a
 * new one replaces the least recently used of those: a lookup compares a
 * few slots, not the whole table, under the lock every uncached check
 * takes (a scan of all 1,024 was the largest user-space cost under a
 * password-guessing attack).
 */
#define AUTH_THROTTLE_WAYS 8

struct regit_auth_throttle {
	pthread_mutex_t lock;
	uint64_t seed;
	auth_throttle_slot slots[REGIT_AUTH_THROTTLE_SLOTS];
};

int regit_auth_throttle_new(regit_auth_throttle **out)
{
	regit_auth_throttle *t = regit_calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return REGIT_ENOMEM;
	if (getrandom(&t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ (uint64_t)time(NULL);
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void regit_auth_throttle_free(regit_auth_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	regit_free(t);
}

/* The address's slot, refilled to now; NULL when it has none and !create.
 * Under t->lock. */
static auth_throttle_slot *auth_throttle_slot_of(regit_auth_throttle *t,
	const char *addr, int create)
{
	auth_throttle_slot *s, *oldest = NULL;
	double now = auth_now();
	uint64_t h = t->seed ^ 14695981039346656037ull;   /* FNV-1a, seeded */
	const char *p;
	size_t i, first;

	for (p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h ^= h >> 29;
	first = (size_t)(h % REGIT_AUTH_THROTTLE_SLOTS);
	for (i = 0; i < AUTH_THROTTLE_WAYS; i++) {
		s = &t->slots[(first + i) % REGIT_AUTH_THROTTLE_SLOTS];
		if (s->addr[0] && strcmp(s->addr, addr) == 0)
			break;
		if (!oldest || !s->addr[0] || (oldest->addr[0] && s->last < oldest->last))
			oldest = s;
	}
	if (i == AUTH_THROTTLE_WAYS) {
		if (!create)
			return NULL;
		s = oldest;
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->tokens = REGIT_AUTH_THROTTLE_BURST;
		s->last = now;
	}
	s->tokens += (now - s->last) / REGIT_AUTH_THROTTLE_PERIOD_S;
	if (s->tokens > REGIT_AUTH_THROTTLE_BURST)
		s->tokens = REGIT_AUTH_THROTTLE_BURST;
	s->last = now;
	return s;
}

/* Whole seconds until the slot has a token again, at least 1; for a slot
 * with fewer than one token. */
static unsigned auth_throttle_wait_of(const auth_throttle_slot *s)
{
	unsigned wait = (unsigned)ceil((1 - s->tokens) * REGIT_AUTH_THROTTLE_PERIOD_S);

	return wait ? wait : 1;
}

unsigned regit_auth_throttle_wait(regit_auth_throttle *t, const char *addr)
{
	auth_throttle_slot *s;
	unsigned wait = 0;

	if (!t || !addr)
		return 0;
	pthread_mutex_lock(&t->lock);
	s = auth_throttle_slot_of(t, addr, 0);
	if (s && s->tokens < 1)
		wait = auth_throttle_wait_of(s);
	pthread_mutex_unlock(&t->lock);
	return wait;
}

void regit_auth_throttle_fail(regit_auth_throttle *t, const char *addr)
{
	auth_throttle_slot *s;

	if (!t || !addr)
		return;
	pthread_mutex_lock(&t->lock);
	s = auth_throttle_slot_of(t, addr, 1);
	s->tokens -= 1;
	if (s->tokens < -REGIT_AUTH_THROTTLE_BURST)
		s->tokens = -REGIT_AUTH_THROTTLE_BURST;
	pthread_mutex_unlock(&t->lock);
}

unsigned regit_auth_throttle_take(regit_auth_throttle *t, const char *addr)
{
	auth_throttle_slot *s;
	unsigned wait = 0;

	if (!t || !addr)
		return 0;
	pthread_mutex_lock(&t->lock);
	s = auth_throttle_slot_of(t, addr, 1);
	if (s->tokens < 1) {
		wait = auth_throttle_wait_of(s);
	} else {
		s->tokens -= 1;
	}
	pthread_mutex_unlock(&t->lock);
	return wait;
}

void regit_auth_throttle_refund(regit_auth_throttle *t, const char *addr)
{
	auth_throttle_slot *s;

	if (!t || !addr)
		return;
	pthread_mutex_lock(&t->lock);
	s = auth_throttle_slot_of(t, addr, 0);
	if (s) {
		s->tokens += 1;
		if (s->tokens > REGIT_AUTH_THROTTLE_BURST)
			s->tokens = REGIT_AUTH_THROTTLE_BURST;
	}
	pthread_mutex_unlock(&t->lock);
}

regit_auth_result regit_auth_check(regit_auth *auth, const char *header,
	regit_role required, char *user_out)
{
	regit_role role;

	if (regit_auth_authenticate(auth, header, user_out, &role) != REGIT_AUTH_OK)
		return REGIT_AUTH_UNAUTHENTICATED;
	return role >= required ? REGIT_AUTH_OK : REGIT_AUTH_FORBIDDEN;
}
