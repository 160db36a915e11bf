/*
 * auth.h - HTTP Basic authentication and roles for `regit serve --auth FILE`.
 *
 * The credentials file holds one entry per line:
 *
 *     user:role:hash
 *
 * `role` is read, write or admin (each includes the ones before it) and
 * `hash` is a crypt(3) string. `regit passwd` writes yescrypt ("$y$", the
 * Debian default for /etc/shadow) when libcrypt offers it and SHA-512
 * ("$6$") otherwise; verification also accepts "$gy$", "$7$" and bcrypt
 * ("$2b$", "$2y$") hashes made by other tools (e.g. mkpasswd). Weak, legacy
 * (per libcrypt's crypt_checksalt: DES, MD5, SHA-256) or disabled ("*",
 * "!") hashes are rejected at load time, so a mistyped file stops the
 * server instead of locking everybody out or letting anybody in. Blank
 * lines and lines starting with '#' are ignored. User names are 1-64 bytes
 * of [A-Za-z0-9._@+-] so they are safe as git commit authors and in logs.
 *
 * A request's Authorization header is checked against the entry of its
 * user by hashing the password with the stored hash as setting (crypt_rn,
 * thread-safe) and comparing the full result in constant time. An unknown
 * user is hashed against a decoy made at load time: a random password
 * hashed with the setting (scheme, cost, salt) of the costliest entry in
 * the file, so an unknown name costs as much as the slowest known one and
 * response time does not reveal which names exist. Because a memory-hard hash costs ~25 ms, successful
 * checks are remembered as HMAC-SHA256(process-random key, "user:password")
 * so keep-alive clients pay it once; the cache never holds a password.
 *
 * Which role a request needs is not decided here: the API's route table
 * says it per route and method (server/api.h, regit_api_route_of).
 */
#ifndef REGIT_AUTH_H
#define REGIT_AUTH_H

#include <stddef.h>

typedef struct regit_auth regit_auth;

/* Roles, ordered: a role may do everything the lower ones may. */
typedef enum regit_role {
	REGIT_ROLE_NONE = 0,
	REGIT_ROLE_READ = 1,
	REGIT_ROLE_WRITE = 2,
	REGIT_ROLE_ADMIN = 3
} regit_role;

/* The outcome of checking one request. */
typedef enum regit_auth_result {
	REGIT_AUTH_OK = 0,
	REGIT_AUTH_UNAUTHENTICATED = 1,   /* 401: no, malformed or wrong credentials */
	REGIT_AUTH_FORBIDDEN = 2,         /* 403: valid user, role too low */
	REGIT_AUTH_NEEDS_HASH = 3         /* regit_auth_authenticate_cached: not in
	                                   * the cache; deciding costs a hash */
} regit_auth_result;

/* Bounds on untrusted input. */
#define REGIT_AUTH_USER_MAX 64          /* bytes in a user name */
/* Bytes in a password: crypt(3) refuses longer passphrases (libxcrypt's
 * CRYPT_MAX_PASSPHRASE_SIZE is 512 with the NUL), so no longer one could
 * ever be set, and the server refuses longer ones without hashing. */
#define REGIT_AUTH_PASSWORD_MAX 511
#define REGIT_AUTH_HEADER_MAX 2048      /* bytes in an Authorization header */
#define REGIT_AUTH_FILE_MAX (1u << 20)  /* bytes in a credentials file */
#define REGIT_AUTH_ENTRIES_MAX 10000    /* entries in a credentials file */
#define REGIT_AUTH_HASH_MAX 512         /* bytes in one stored hash */

/**
 * Parse credentials from memory (the format above).
 * @param out receives an owned handle (free with regit_auth_free); NULL on failure
 * @return 0; REGIT_EINVALID with "line N: ..." for a bad line, duplicate
 *         user or unsupported hash; REGIT_ELIMIT past the bounds; REGIT_ENOMEM
 */
int regit_auth_parse(regit_auth **out, const char *text, size_t len);

/** Read and parse a credentials file. @return as regit_auth_parse, or REGIT_EIO */
int regit_auth_load(regit_auth **out, const char *path);

/**
 * Take another reference: the handle is freed when the last holder calls
 * regit_auth_free (a server swapping credentials while requests use the
 * old ones). @return auth
 */
regit_auth *regit_auth_retain(regit_auth *auth);

/** Drop a reference (the constructor's counts as one); NULL is fine. */
void regit_auth_free(regit_auth *auth);

/** Number of entries loaded. */
size_t regit_auth_count(const regit_auth *auth);

/**
 * Password hashes computed so far by regit_auth_authenticate (real users'
 * and the decoy's), 0 for NULL. A request answered from the verification
 * cache computes none; tests and /metrics
 * (regit_auth_password_hashes_total) use this to show the cache works.
 */
unsigned long regit_auth_hash_count(const regit_auth *auth);

/**
 * Authenticate a request and authorise it for `required`.
 * Thread-safe: any number of threads may check concurrently.
 * @param auth   borrowed
 * @param header the Authorization header value, NULL when absent
 * @param required the role the request needs (regit_api_route_of)
 * @param user_out receives the authenticated user name (NUL-terminated,
 *        also on REGIT_AUTH_FORBIDDEN) when not NULL; needs
 *        REGIT_AUTH_USER_MAX + 1 bytes
 * @return a regit_auth_result (a decision, not an error code)
 */
regit_auth_result regit_auth_check(regit_auth *auth, const char *header,
	regit_role required, char *user_out);

/**
 * Authenticate only: who is this and what may they do. The same checks as
 * regit_auth_check without a required role, for servers that answer 401
 * before routing and 403 after it.
 * @param role_out receives the user's role (REGIT_ROLE_NONE unless OK)
 * @return REGIT_AUTH_OK or REGIT_AUTH_UNAUTHENTICATED
 */
regit_auth_result regit_auth_authenticate(regit_auth *auth, const char *header,
	char *user_out, regit_role *role_out);

/**
 * regit_auth_authenticate without hashing: answers from the cache of
 * successful checks, or says that only a hash can decide. Cheap (one
 * HMAC), for event threads.
 * @return REGIT_AUTH_OK (cached), REGIT_AUTH_UNAUTHENTICATED (no or
 *         malformed header: no hash needed to refuse), REGIT_AUTH_NEEDS_HASH
 */
regit_auth_result regit_auth_authenticate_cached(regit_auth *auth, const char *header,
	char *user_out, regit_role *role_out);

/**
 * The role of a user of the file, by name alone: for a user already
 * authenticated another way (a client certificate verified by the TLS
 * layer, whose subject CN names the user). No password is involved.
 * @return 0 with *role_out, or REGIT_ENOTFOUND (no such user)
 */
int regit_auth_role_of(const regit_auth *auth, const char *user, regit_role *role_out);

/*
 * A limiter of failed password checks per client address: each address
 * may fail REGIT_AUTH_THROTTLE_BURST times, then once per
 * REGIT_AUTH_THROTTLE_PERIOD_S seconds. Addresses share a fixed table
 * (REGIT_AUTH_THROTTLE_SLOTS entries; a new address replaces the least
 * recently used of the 8 its seeded hash picks), so its memory, and the
 * work of a lookup, are bounded whatever the number of addresses.
 * Thread-safe.
 */
#define REGIT_AUTH_THROTTLE_BURST 10
#define REGIT_AUTH_THROTTLE_PERIOD_S 1
#define REGIT_AUTH_THROTTLE_SLOTS 1024

typedef struct regit_auth_throttle regit_auth_throttle;

/** @return 0 or REGIT_ENOMEM */
int regit_auth_throttle_new(regit_auth_throttle **out);
void regit_auth_throttle_free(regit_auth_throttle *t);

/**
 * May `addr` try a password now? @return 0 when it may, else the seconds
 * to wait (for Retry-After)
 */
unsigned regit_auth_throttle_wait(regit_auth_throttle *t, const char *addr);

/** Record a failed check from `addr`. */
void regit_auth_throttle_fail(regit_auth_throttle *t, const char *addr);

/**
 * Take the right to one check from `addr` before hashing, counted as a
 * failure until regit_auth_throttle_refund says it succeeded: so checks
 * running at once cannot all pass regit_auth_throttle_wait before the first
 * failure is recorded. @return 0 when taken, else the seconds to wait
 */
unsigned regit_auth_throttle_take(regit_auth_throttle *t, const char *addr);

/** Give back what regit_auth_throttle_take took (the check succeeded). */
void regit_auth_throttle_refund(regit_auth_throttle *t, const char *addr);

/**
 * Decode an HTTP Basic Authorization header value ("Basic base64(u:p)").
 * The scheme is case-insensitive; base64 is strict (standard alphabet,
 * padding optional but never wrong). The password may contain ':'.
 * @param user, pass caller buffers of REGIT_AUTH_USER_MAX + 1 and
 *        REGIT_AUTH_PASSWORD_MAX + 1 bytes; NUL-terminated on success
 * @return 0; REGIT_EINVALID for anything malformed (including NUL bytes,
 *         an invalid user name, or an empty password); REGIT_ELIMIT when over a bound
 */
int regit_auth_parse_basic(const char *header, char *user, char *pass);

/**
 * Hash a password for a credentials file with a fresh random salt
 * (getrandom). Uses yescrypt when available, SHA-512 otherwise.
 * @param out buffer of REGIT_AUTH_HASH_MAX bytes
 * @return 0; REGIT_EINVALID (empty, too long or NUL-containing password); REGIT_EIO
 */
int regit_auth_hash_password(char *out, const char *password, size_t len);

/**
 * Verify a password against one crypt(3) hash, comparing the full hash in
 * constant time. @return 1 when it matches, 0 otherwise (also on errors)
 */
int regit_auth_verify_password(const char *hash, const char *password);

/** True when name is a valid user name (see the top of this file). */
int regit_auth_valid_user(const char *name, size_t len);

/** "read", "write", "admin" ("none" for REGIT_ROLE_NONE). */
const char *regit_role_name(regit_role role);
/** Parse a role name (case-sensitive, as written in the file). @return 0 or REGIT_EINVALID */
int regit_role_parse(const char *name, size_t len, regit_role *out);

/**
 * Internal, for tests: the decoy hash unknown users are checked against
 * (see the top of this file), NULL for an empty file.
 * @return borrowed; lives as long as auth
 */
const char *regit_auth__decoy(const regit_auth *auth);

#endif
