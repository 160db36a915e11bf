/*
 * test_auth.c - server/auth: credentials file, Basic header decoding,
 * password hashing and verification, request checks and the route table.
 *
 * Known hashes below were made with an independent tool
 * (`openssl passwd -6 -salt saltsalt secret`, `openssl passwd -5 ...`) and
 * base64 strings with coreutils `base64`, so the tests compare regit
 * against outside implementations rather than against itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/auth.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* openssl passwd -6 -salt saltsalt secret */
#define HASH_SECRET "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
/* openssl passwd -6 -salt pepper12 'p:a ss' */
#define HASH_PASS_COLON "$6$pepper12$IM0tpEIQy0nA3VmnXSWRIYxI5ARN9.aJTvWa66KDm8ixmbrV0ONac1bhHyGgFamLYJSv79onk8jiKnd.s.k2p0"
/* python3 crypt.crypt('hunter2', '$2b$04$abcdefghijklmnopqrstuu') (bcrypt) */
#define HASH_BCRYPT "$2b$04$abcdefghijklmnopqrstuuV3duMsC0HpUex6N9qapiuOHHWkwRXVm"
/* openssl passwd -5 -salt abc hunter2: SHA-256 crypt, "legacy" to libcrypt */
#define HASH_SHA256 "$5$abc$aw8kcfRnzkuA1XFRzd1AgTNuyzM2RdMYKc3X22kKYc0"

/*
 * Cheap and costly hashes of one scheme for the decoy tests, made with
 * python3 crypt.crypt (libxcrypt): the password, then the setting.
 */
#define HASH_BC04 "$2b$04$cheapcheapcheapcheapcuL6b7B95zNwZnabgN5KP89F/MAt6lwmG"      /* cheap */
#define HASH_BC10 "$2b$10$costlycostlycostlycosere8uJ2j65chuAOyjxLmX0nuYH2rupTi"      /* costly */
#define HASH_SHA1000 "$6$rounds=1000$cheapsal$k74xI0wm9HVn.XI8Mq5o910YLTBmJSpntaOgyiryPvVLJJf5gCs20tvvQBdgt.gR0jZb5HAKKDK5dkhtSzP4K1" /* cheap */
#define HASH_SHA4000 "$6$rounds=4000$mediumsa$4hVSPeG1i0o/FqNxGACUaZajoncFl9Jp6UBehEC7D1d0DTDkUZbzD/bhyOUB4lzp.NpUpF9RjvaOji9CxtRRl." /* medium */
#define HASH_Y_CHEAP "$y$j75$cheapcheapcheapcheapch/$0WCb8XsL51px8U7ycEz2kUkzft2qgQp1VUpao907/i/"  /* cheap, N=2^10 r=8 */
#define HASH_Y_COSTLY "$y$j9T$costlycostlycostlycost/$POeFNzFnlhDyAPNMGhudb/t.XU/CbZUJtYC6L5G1gf4" /* costly, N=2^12 r=32 */
#define HASH_SCRYPT12 "$7$AU..../....cheapcheap$x8XXD2g9A2vyZpR3bbBXWg70d8pfk8yBDsUzTBr1ir6"   /* cheap */
#define HASH_SCRYPT14 "$7$CU..../....costlycost$N8atBoe2lOZ7Un/mckGkKk153VSUIESYOoU0LDvNUv3"   /* costly */

#define B64_ALICE_SECRET "YWxpY2U6c2VjcmV0"     /* alice:secret */
#define B64_ALICE_WRONG "YWxpY2U6c2VjcmU="      /* alice:secre */
#define B64_BOB_COLON "Ym9iOnA6YSBzcw=="        /* bob:p:a ss */

static const char creds[] =
	"# regit credentials\n"
	"\n"
	"alice:admin:" HASH_SECRET "\n"
	"bob:read:" HASH_PASS_COLON "\r\n"
	"carol:write:" HASH_SECRET "\n"
	"dave:write:" HASH_BCRYPT;

static int parse_str(regit_auth **out, const char *s)
{
	return regit_auth_parse(out, s, strlen(s));
}

static void test_auth__roles(void **state)
{
	regit_role r;

	(void)state;
	assert_int_equal(regit_role_parse("read", 4, &r), 0);
	assert_int_equal(r, REGIT_ROLE_READ);
	assert_int_equal(regit_role_parse("write", 5, &r), 0);
	assert_int_equal(r, REGIT_ROLE_WRITE);
	assert_int_equal(regit_role_parse("admin", 5, &r), 0);
	assert_int_equal(r, REGIT_ROLE_ADMIN);
	assert_int_equal(regit_role_parse("Admin", 5, &r), REGIT_EINVALID);
	assert_int_equal(regit_role_parse("adm", 3, &r), REGIT_EINVALID);
	assert_int_equal(regit_role_parse("", 0, &r), REGIT_EINVALID);
	assert_string_equal(regit_role_name(REGIT_ROLE_WRITE), "write");
	assert_true(REGIT_ROLE_READ < REGIT_ROLE_WRITE && REGIT_ROLE_WRITE < REGIT_ROLE_ADMIN);
}

static void test_auth__user_names(void **state)
{
	char longname[REGIT_AUTH_USER_MAX + 2];

	(void)state;
	assert_true(regit_auth_valid_user("alice", 5));
	assert_true(regit_auth_valid_user("ci-bot+deploy@example.org", 25));
	assert_false(regit_auth_valid_user("", 0));
	assert_false(regit_auth_valid_user("a:b", 3));
	assert_false(regit_auth_valid_user("a b", 3));
	assert_false(regit_auth_valid_user("a<b>", 4));
	assert_false(regit_auth_valid_user("a\nb", 3));
	assert_false(regit_auth_valid_user("\xc3\xa9", 2));
	memset(longname, 'x', sizeof(longname));
	assert_true(regit_auth_valid_user(longname, REGIT_AUTH_USER_MAX));
	assert_false(regit_auth_valid_user(longname, REGIT_AUTH_USER_MAX + 1));
}

static void test_auth__basic_header(void **state)
{
	char user[REGIT_AUTH_USER_MAX + 1], pass[REGIT_AUTH_PASSWORD_MAX + 1];

	(void)state;
	assert_int_equal(regit_auth_parse_basic("Basic " B64_ALICE_SECRET, user, pass), 0);
	assert_string_equal(user, "alice");
	assert_string_equal(pass, "secret");
	/* scheme is case-insensitive; surrounding blanks tolerated */
	assert_int_equal(regit_auth_parse_basic("bAsIc \t " B64_ALICE_SECRET "  ", user, pass), 0);
	assert_string_equal(user, "alice");
	/* the password keeps everything after the first colon */
	assert_int_equal(regit_auth_parse_basic("Basic " B64_BOB_COLON, user, pass), 0);
	assert_string_equal(user, "bob");
	assert_string_equal(pass, "p:a ss");
	/* padding may be left out, but never wrong */
	assert_int_equal(regit_auth_parse_basic("Basic Ym9iOnA6YSBzcw", user, pass), 0);
	assert_string_equal(pass, "p:a ss");
	assert_int_equal(regit_auth_parse_basic("Basic Ym9iOnA6YSBzcw=", user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("Basic Ym9iOnA6YSBzcw===", user, pass), REGIT_EINVALID);
	/* non-zero trailing bits: a second encoding of alice:secre */
	assert_int_equal(regit_auth_parse_basic("Basic YWxpY2U6c2VjcmV=", user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("Basic " B64_ALICE_WRONG, user, pass), 0);
	assert_string_equal(pass, "secre");

	assert_int_equal(regit_auth_parse_basic(NULL, user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("", user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("Basic", user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("Basic ", user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("Bearer " B64_ALICE_SECRET, user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("Basicx " B64_ALICE_SECRET, user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("Basic YWxp!2U6c2VjcmV0", user, pass), REGIT_EINVALID);
	assert_int_equal(regit_auth_parse_basic("Basic YWxpY2U", user, pass), REGIT_EINVALID);  /* "alice" no colon */
	assert_int_equal(regit_auth_parse_basic("Basic YTo=", user, pass), REGIT_EINVALID);    /* "a:" empty password */
	assert_int_equal(regit_auth_parse_basic("Basic OmI=", user, pass), REGIT_EINVALID);    /* ":b" empty user */
	assert_int_equal(regit_auth_parse_basic("Basic YQBiOmM=", user, pass), REGIT_EINVALID);/* "a\0b:c" */
	assert_int_equal(regit_auth_parse_basic("Basic YTpiAGM=", user, pass), REGIT_EINVALID);/* "a:b\0c" */
	assert_int_equal(regit_auth_parse_basic("Basic YSBiOmM=", user, pass), REGIT_EINVALID);/* "a b:c" */
	assert_int_equal(regit_auth_parse_basic("Basic YTpi YTpi", user, pass), REGIT_EINVALID);
	assert_string_equal(user, "");
	assert_string_equal(pass, "");
}

static void test_auth__basic_header_bounds(void **state)
{
	char user[REGIT_AUTH_USER_MAX + 1], pass[REGIT_AUTH_PASSWORD_MAX + 1];
	char *hdr = regit_malloc(REGIT_AUTH_HEADER_MAX + 64);
	size_t i;

	(void)state;
	assert_non_null(hdr);
	/* "a:" + 1100 'A's in base64 -> password over the bound */
	memcpy(hdr, "Basic ", 6);
	for (i = 0; i < 1500; i++)
		hdr[6 + i] = 'Q';
	hdr[6 + 1500] = '\0';
	assert_true(regit_auth_parse_basic(hdr, user, pass) < 0);
	/* header over its own bound */
	memset(hdr + 6, 'Q', REGIT_AUTH_HEADER_MAX);
	hdr[6 + REGIT_AUTH_HEADER_MAX] = '\0';
	assert_int_equal(regit_auth_parse_basic(hdr, user, pass), REGIT_ELIMIT);
	regit_free(hdr);
}

static void test_auth__verify_external_hashes(void **state)
{
	(void)state;
	assert_true(regit_auth_verify_password(HASH_SECRET, "secret"));
	assert_false(regit_auth_verify_password(HASH_SECRET, "secret "));
	assert_false(regit_auth_verify_password(HASH_SECRET, "Secret"));
	assert_false(regit_auth_verify_password(HASH_SECRET, ""));
	assert_true(regit_auth_verify_password(HASH_PASS_COLON, "p:a ss"));
	assert_true(regit_auth_verify_password(HASH_BCRYPT, "hunter2"));
	assert_false(regit_auth_verify_password(HASH_BCRYPT, "hunter3"));
	/* disabled markers and garbage never verify */
	assert_false(regit_auth_verify_password("*", "x"));
	assert_false(regit_auth_verify_password("!", ""));
	assert_false(regit_auth_verify_password("", ""));
	assert_false(regit_auth_verify_password("$6$", "x"));
}

static void test_auth__hash_roundtrip(void **state)
{
	char h1[REGIT_AUTH_HASH_MAX], h2[REGIT_AUTH_HASH_MAX];

	(void)state;
	assert_int_equal(regit_auth_hash_password(h1, "correct horse", 13), 0);
	assert_int_equal(regit_auth_hash_password(h2, "correct horse", 13), 0);
	assert_true(strncmp(h1, "$y$", 3) == 0 || strncmp(h1, "$6$", 3) == 0);
	/* random salt: same password, different hashes, both verify */
	assert_string_not_equal(h1, h2);
	assert_true(regit_auth_verify_password(h1, "correct horse"));
	assert_true(regit_auth_verify_password(h2, "correct horse"));
	assert_false(regit_auth_verify_password(h1, "correct horsE"));
	assert_int_equal(regit_auth_hash_password(h1, "", 0), REGIT_EINVALID);
	assert_int_equal(regit_auth_hash_password(h1, "a\0b", 3), REGIT_EINVALID);
}

static void test_auth__parse_file(void **state)
{
	regit_auth *auth = NULL;

	(void)state;
	assert_int_equal(parse_str(&auth, creds), 0);
	assert_int_equal(regit_auth_count(auth), 4);
	regit_auth_free(auth);
	assert_int_equal(parse_str(&auth, ""), 0);
	assert_int_equal(regit_auth_count(auth), 0);
	regit_auth_free(auth);
	regit_auth_free(NULL);
}

static void expect_bad(const char *text, int code, const char *needle)
{
	regit_auth *auth = (regit_auth *)0x1;

	assert_int_equal(parse_str(&auth, text), code);
	assert_null(auth);
	if (needle && !strstr(regit_error_message(), needle))
		fail_msg("message '%s' lacks '%s'", regit_error_message(), needle);
}

static void test_auth__parse_file_errors(void **state)
{
	(void)state;
	expect_bad("alice:admin\n", REGIT_EINVALID, "line 1");
	expect_bad("# c\nalice:root:" HASH_SECRET "\n", REGIT_EINVALID, "line 2");
	expect_bad("al ice:read:" HASH_SECRET "\n", REGIT_EINVALID, "user");
	expect_bad(":read:" HASH_SECRET "\n", REGIT_EINVALID, "user");
	expect_bad("a:read:" HASH_SECRET "\na:write:" HASH_SECRET "\n", REGIT_EINVALID, "duplicate");
	/* weak, disabled and malformed hashes */
	expect_bad("a:read:$1$abc$OGyl6dDvZCDiGmIVbeuCq/\n", REGIT_EINVALID, "hash");
	expect_bad("a:read:abJnggxhB/yWI\n", REGIT_EINVALID, "hash");
	expect_bad("a:read:" HASH_SHA256 "\n", REGIT_EINVALID, "hash");
	expect_bad("a:read:*\n", REGIT_EINVALID, "hash");
	expect_bad("a:read:!" HASH_SECRET "\n", REGIT_EINVALID, "hash");
	expect_bad("a:read:\n", REGIT_EINVALID, "hash");
	expect_bad("a:read:" HASH_SECRET " \n", REGIT_EINVALID, "hash");
	expect_bad("a:read:$6$x:y\n", REGIT_EINVALID, "hash");
	/* settings so costly that loading the file (the decoy) would take
	 * minutes: refused, found by fuzzing */
	expect_bad("a:read:$2b$24$abcdefghijklmnopqrstuuV3UeuOHHWkwRXVm\n", REGIT_EINVALID,
		"too costly");
	expect_bad("a:read:$6$rounds=999999999$salt$x\n", REGIT_EINVALID, "too costly");
	/* yescrypt at libcrypt's count 11 (N 2^18, r 32): 32 times the default */
	expect_bad("a:read:$y$jFT$i6t9HCEuH2qvOYY1DoUix.$"
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ\n", REGIT_EINVALID, "too costly");
	/* scrypt: N 2^17, r 32 is 32 times the default (N 2^14, r 8); the
	 * same with N 2^14 (HASH_SCRYPT14) is accepted */
	expect_bad("a:read:$7$FU..../....costlycost$N8atBoe2lOZ7Un/mckGkKk153VSUIESYOoU0LDvNUv3\n",
		REGIT_EINVALID, "too costly");
	/* and a huge p (the second 30-bit number) */
	expect_bad("a:read:$7$CU..../zzzzzcostlycost$N8atBoe2lOZ7Un/mckGkKk153VSUIESYOoU0LDvNUv3\n",
		REGIT_EINVALID, "too costly");
	{
		static const char nul[] = "a:read:$6$\0x\n";
		regit_auth *auth = NULL;

		assert_int_equal(regit_auth_parse(&auth, nul, sizeof(nul) - 1), REGIT_EINVALID);
		assert_null(auth);
	}
}

static void test_auth__parse_file_bounds(void **state)
{
	regit_buf buf;
	regit_auth *auth = NULL;
	int i;

	(void)state;
	regit_buf_init(&buf, 0);
	for (i = 0; i < REGIT_AUTH_ENTRIES_MAX; i++)
		assert_int_equal(regit_buf_printf(&buf, "u%d:read:%s\n", i, HASH_BCRYPT), 0);
	assert_int_equal(regit_auth_parse(&auth, buf.ptr, buf.size), 0);
	assert_int_equal(regit_auth_count(auth), REGIT_AUTH_ENTRIES_MAX);
	regit_auth_free(auth);
	assert_int_equal(regit_buf_printf(&buf, "one-more:read:%s\n", HASH_BCRYPT), 0);
	assert_int_equal(regit_auth_parse(&auth, buf.ptr, buf.size), REGIT_ELIMIT);
	assert_null(auth);
	/* size bound is checked before anything else */
	assert_int_equal(regit_auth_parse(&auth, buf.ptr, REGIT_AUTH_FILE_MAX + 1), REGIT_ELIMIT);
	regit_buf_dispose(&buf);
}

static void test_auth__load_file(void **state)
{
	char path[] = "/tmp/regit-test-auth-XXXXXX";
	regit_auth *auth = NULL;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, creds, sizeof(creds) - 1), (ssize_t)(sizeof(creds) - 1));
	close(fd);
	assert_int_equal(regit_auth_load(&auth, path), 0);
	assert_int_equal(regit_auth_count(auth), 4);
	regit_auth_free(auth);
	unlink(path);
	assert_int_equal(regit_auth_load(&auth, path), REGIT_EIO);
	assert_null(auth);
}

static void test_auth__check(void **state)
{
	regit_auth *auth = NULL;
	char user[REGIT_AUTH_USER_MAX + 1];
	int round;

	(void)state;
	assert_int_equal(parse_str(&auth, creds), 0);
	/* twice: the second round is answered from the cache */
	for (round = 0; round < 2; round++) {
		unsigned long hashes = regit_auth_hash_count(auth);

		assert_int_equal(regit_auth_check(auth, "Basic " B64_ALICE_SECRET,
			REGIT_ROLE_ADMIN, user), REGIT_AUTH_OK);
		assert_string_equal(user, "alice");
		assert_int_equal(regit_auth_check(auth, "Basic " B64_BOB_COLON,
			REGIT_ROLE_READ, user), REGIT_AUTH_OK);
		assert_string_equal(user, "bob");
		assert_int_equal(regit_auth_check(auth, "Basic " B64_BOB_COLON,
			REGIT_ROLE_WRITE, user), REGIT_AUTH_FORBIDDEN);
		assert_string_equal(user, "bob");
		assert_int_equal(regit_auth_check(auth, "Basic " B64_ALICE_WRONG,
			REGIT_ROLE_READ, user), REGIT_AUTH_UNAUTHENTICATED);
		assert_string_equal(user, "");
		/* Round 0 hashed alice, bob (once: the second check of bob:
		 * is cached already) and the wrong password; round 1 only the
		 * wrong password, which is never cached. */
		assert_int_equal(regit_auth_hash_count(auth) - hashes, round == 0 ? 3 : 1);
	}
	/* carol shares alice's password; the cache must not confuse them */
	assert_int_equal(regit_auth_check(auth, "Basic Y2Fyb2w6c2VjcmV0", /* carol:secret */
		REGIT_ROLE_ADMIN, user), REGIT_AUTH_FORBIDDEN);
	assert_string_equal(user, "carol");
	assert_int_equal(regit_auth_check(auth, "Basic ZGF2ZTpodW50ZXIy", /* dave:hunter2 */
		REGIT_ROLE_WRITE, user), REGIT_AUTH_OK);
	assert_int_equal(regit_auth_check(auth, "Basic ZXZlOnNlY3JldA==", /* eve:secret */
		REGIT_ROLE_READ, user), REGIT_AUTH_UNAUTHENTICATED);
	assert_int_equal(regit_auth_check(auth, NULL, REGIT_ROLE_READ, user),
		REGIT_AUTH_UNAUTHENTICATED);
	assert_int_equal(regit_auth_check(auth, "Basic !!!", REGIT_ROLE_READ, NULL),
		REGIT_AUTH_UNAUTHENTICATED);
	assert_int_equal(regit_auth_check(NULL, "Basic " B64_ALICE_SECRET, REGIT_ROLE_READ, NULL),
		REGIT_AUTH_UNAUTHENTICATED);
	{
		regit_role role = REGIT_ROLE_ADMIN;

		assert_int_equal(regit_auth_authenticate(auth, "Basic " B64_BOB_COLON, user, &role),
			REGIT_AUTH_OK);
		assert_int_equal(role, REGIT_ROLE_READ);
		assert_string_equal(user, "bob");
		assert_int_equal(regit_auth_authenticate(auth, "Basic " B64_ALICE_WRONG, user, &role),
			REGIT_AUTH_UNAUTHENTICATED);
		assert_int_equal(role, REGIT_ROLE_NONE);
		assert_string_equal(user, "");
	}
	regit_auth_free(auth);
}

typedef struct thread_arg {
	regit_auth *auth;
	int failures;
} thread_arg;

static void *check_thread(void *p)
{
	thread_arg *a = p;
	char user[REGIT_AUTH_USER_MAX + 1];
	int i;

	for (i = 0; i < 40; i++) {
		if (regit_auth_check(a->auth, "Basic " B64_ALICE_SECRET,
				     REGIT_ROLE_ADMIN, user) != REGIT_AUTH_OK ||
		    strcmp(user, "alice") != 0)
			a->failures++;
		if (regit_auth_check(a->auth, "Basic " B64_ALICE_WRONG,
				     REGIT_ROLE_READ, user) != REGIT_AUTH_UNAUTHENTICATED)
			a->failures++;
		if (regit_auth_check(a->auth, "Basic " B64_BOB_COLON,
				     REGIT_ROLE_ADMIN, user) != REGIT_AUTH_FORBIDDEN)
			a->failures++;
	}
	return NULL;
}

static void test_auth__check_concurrent(void **state)
{
	pthread_t t[4];
	thread_arg args[4];
	regit_auth *auth = NULL;
	int i;

	(void)state;
	assert_int_equal(parse_str(&auth, creds), 0);
	for (i = 0; i < 4; i++) {
		args[i].auth = auth;
		args[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, check_thread, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	regit_auth_free(auth);
}

/* Every allocation failure during parsing is reported and leaks nothing. */
static void test_auth__parse_alloc_failures(void **state)
{
	long n;
	int ok = 0;

	(void)state;
	for (n = 0; n < 100 && !ok; n++) {
		regit_auth *auth = NULL;
		int rc;

		regit_alloc_fail_after(n);
		rc = parse_str(&auth, creds);
		regit_alloc_fail_after(-1);
		if (rc == 0) {
			ok = 1;
			assert_int_equal(regit_auth_count(auth), 4);
		} else {
			assert_int_equal(rc, REGIT_ENOMEM);
			assert_null(auth);
		}
		regit_auth_free(auth);
	}
	assert_true(ok);
}

/* Everything up to the last '$': scheme, cost and salt. */
static size_t setting_len(const char *hash)
{
	return (size_t)(strrchr(hash, '$') - hash);
}

/*
 * Load `text` and check that the decoy for unknown users was made with
 * the setting of `costliest`, from a password other than its own.
 */
static void expect_decoy(const char *text, const char *costliest,
	const char *password)
{
	regit_auth *auth = NULL;
	const char *decoy;

	assert_int_equal(parse_str(&auth, text), 0);
	decoy = regit_auth__decoy(auth);
	assert_non_null(decoy);
	if (setting_len(decoy) != setting_len(costliest) ||
	    strncmp(decoy, costliest, setting_len(costliest)) != 0)
		fail_msg("decoy '%s' does not use the setting of '%s'", decoy, costliest);
	assert_string_not_equal(decoy, costliest);
	assert_false(regit_auth_verify_password(decoy, password));
	/* an unknown user is still refused */
	assert_int_equal(regit_auth_check(auth, "Basic ZXZlOnNlY3JldA==", /* eve:secret */
		REGIT_ROLE_READ, NULL), REGIT_AUTH_UNAUTHENTICATED);
	regit_auth_free(auth);
}

/*
 * An unknown user is checked against a decoy with the costliest entry's
 * parameters, wherever that entry is in the file, so that its timing
 * matches the slowest known user (issue #17: with a cheap first entry,
 * wrong passwords for unknown users were 3.6x faster).
 */
static void test_auth__decoy_uses_costliest_entry(void **state)
{
	regit_auth *auth = NULL;

	(void)state;
	/* bcrypt: $2b$04$ first, $2b$10$ later */
	expect_decoy("cheap:read:" HASH_BC04 "\ncostly:read:" HASH_BC10 "\n"
		"cheap2:read:" HASH_BC04 "\n", HASH_BC10, "costly");
	/* sha-crypt: rounds=1000 first; no rounds= means 5000, above 4000 */
	expect_decoy("cheap:read:" HASH_SHA1000 "\nalice:read:" HASH_SECRET "\n"
		"medium:read:" HASH_SHA4000 "\n", HASH_SECRET, "secret");
	expect_decoy("cheap:read:" HASH_SHA1000 "\nmedium:read:" HASH_SHA4000 "\n",
		HASH_SHA4000, "medium");
	/* yescrypt: N and r from the encoded parameters */
	expect_decoy("cheap:read:" HASH_Y_CHEAP "\ncostly:read:" HASH_Y_COSTLY "\n",
		HASH_Y_COSTLY, "costly");
	/* scrypt: N = 2^12 first, 2^14 later */
	expect_decoy("cheap:read:" HASH_SCRYPT12 "\ncostly:read:" HASH_SCRYPT14 "\n",
		HASH_SCRYPT14, "costly");
	/* across schemes the entries are timed: yescrypt's 16 MiB (~20 ms)
	 * against ~1 ms for the cheap ones, far beyond scheduling noise */
	expect_decoy("cheap:read:" HASH_SHA1000 "\ncheap2:read:" HASH_BC04 "\n"
		"costly:read:" HASH_Y_COSTLY "\n", HASH_Y_COSTLY, "costly");
	expect_decoy("cheap:read:" HASH_Y_CHEAP "\ncostly:read:" HASH_BC10 "\n",
		HASH_BC10, "costly");
	/* one entry: the decoy uses its setting */
	expect_decoy("dave:write:" HASH_BCRYPT "\n", HASH_BCRYPT, "hunter2");
	/* no entries, no decoy: every user is unknown */
	assert_int_equal(parse_str(&auth, "# nobody\n"), 0);
	assert_null(regit_auth__decoy(auth));
	assert_int_equal(regit_auth_check(auth, "Basic " B64_ALICE_SECRET,
		REGIT_ROLE_READ, NULL), REGIT_AUTH_UNAUTHENTICATED);
	regit_auth_free(auth);
}

/* The cache-only check: no hash, and never a false OK. */
static void test_auth__authenticate_cached(void **state)
{
	regit_auth *auth = NULL;
	char user[REGIT_AUTH_USER_MAX + 1];
	regit_role role;

	(void)state;
	assert_int_equal(parse_str(&auth, creds), 0);
	assert_int_equal(regit_auth_authenticate_cached(auth, NULL, user, &role),
		REGIT_AUTH_UNAUTHENTICATED);
	assert_int_equal(regit_auth_authenticate_cached(auth, "Basic !!!", user, &role),
		REGIT_AUTH_UNAUTHENTICATED);
	assert_int_equal(regit_auth_authenticate_cached(auth, "Basic " B64_ALICE_SECRET, user,
		&role), REGIT_AUTH_NEEDS_HASH);
	assert_int_equal(role, REGIT_ROLE_NONE);
	assert_int_equal(regit_auth_authenticate(auth, "Basic " B64_ALICE_SECRET, user, &role),
		REGIT_AUTH_OK);
	assert_int_equal(regit_auth_authenticate_cached(auth, "Basic " B64_ALICE_SECRET, user,
		&role), REGIT_AUTH_OK);
	assert_string_equal(user, "alice");
	assert_int_equal(role, REGIT_ROLE_ADMIN);
	/* a wrong password is never cached, whatever was checked before */
	assert_int_equal(regit_auth_authenticate(auth, "Basic " B64_ALICE_WRONG, user, &role),
		REGIT_AUTH_UNAUTHENTICATED);
	assert_int_equal(regit_auth_authenticate_cached(auth, "Basic " B64_ALICE_WRONG, user,
		&role), REGIT_AUTH_NEEDS_HASH);
	/* references: the handle lives until its last holder lets go */
	assert_ptr_equal(regit_auth_retain(auth), auth);
	regit_auth_free(auth);
	assert_true(regit_auth_count(auth) > 0);   /* still ours */
	regit_auth_free(auth);
}

/* A user's role by name (mutual TLS: the certificate's CN), no password. */
static void test_auth__role_of(void **state)
{
	regit_auth *auth = NULL;
	regit_role role = REGIT_ROLE_ADMIN;

	(void)state;
	assert_int_equal(parse_str(&auth, creds), 0);
	assert_int_equal(regit_auth_role_of(auth, "bob", &role), 0);
	assert_int_equal(role, REGIT_ROLE_READ);
	assert_int_equal(regit_auth_role_of(auth, "carol", &role), 0);
	assert_int_equal(role, REGIT_ROLE_WRITE);
	assert_int_equal(regit_auth_role_of(auth, "mallory", &role), REGIT_ENOTFOUND);
	assert_int_equal(role, REGIT_ROLE_NONE);
	assert_int_equal(regit_auth_role_of(auth, "Bob", &role), REGIT_ENOTFOUND);
	assert_int_equal(regit_auth_role_of(auth, "", &role), REGIT_ENOTFOUND);
	assert_int_equal(regit_auth_role_of(auth, NULL, &role), REGIT_ENOTFOUND);
	assert_int_equal(regit_auth_role_of(NULL, "bob", &role), REGIT_ENOTFOUND);
	assert_int_equal(regit_auth_hash_count(auth), 0ul);
	regit_auth_free(auth);
}

/* Failed checks per address: a burst, then one per period; others unaffected. */
static void test_auth__throttle(void **state)
{
	regit_auth_throttle *t = NULL;
	int i;

	(void)state;
	assert_int_equal(regit_auth_throttle_new(&t), 0);
	assert_int_equal(regit_auth_throttle_wait(t, "10.0.0.1"), 0u);
	for (i = 0; i < REGIT_AUTH_THROTTLE_BURST; i++) {
		assert_int_equal(regit_auth_throttle_wait(t, "10.0.0.1"), 0u);
		regit_auth_throttle_fail(t, "10.0.0.1");
	}
	assert_true(regit_auth_throttle_wait(t, "10.0.0.1") >= 1u);
	assert_int_equal(regit_auth_throttle_wait(t, "10.0.0.2"), 0u);
	/* a hundred other addresses failing do not free it (a new address
	 * replaces a slot only among the few its hash picks) */
	for (i = 0; i < 100; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.2.0.%d", i);
		regit_auth_throttle_fail(t, addr);
		assert_int_equal(regit_auth_throttle_wait(t, addr), 0u);
	}
	assert_true(regit_auth_throttle_wait(t, "10.0.0.1") >= 1u);
	assert_int_equal(regit_auth_throttle_wait(t, NULL), 0u);
	/* take/refund: a successful check costs nothing in the end */
	for (i = 0; i < 3 * REGIT_AUTH_THROTTLE_BURST; i++) {
		assert_int_equal(regit_auth_throttle_take(t, "10.0.0.3"), 0u);
		regit_auth_throttle_refund(t, "10.0.0.3");
	}
	/* ... a failed one keeps its token taken */
	for (i = 0; i < REGIT_AUTH_THROTTLE_BURST; i++)
		assert_int_equal(regit_auth_throttle_take(t, "10.0.0.3"), 0u);
	assert_true(regit_auth_throttle_take(t, "10.0.0.3") >= 1u);
	/* The table is bounded: many addresses evict the oldest, never grow it. */
	for (i = 0; i < 3 * REGIT_AUTH_THROTTLE_SLOTS; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 256, i % 256);
		regit_auth_throttle_fail(t, addr);
	}
	regit_auth_throttle_free(t);
	regit_auth_throttle_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth__roles),
		cmocka_unit_test(test_auth__user_names),
		cmocka_unit_test(test_auth__basic_header),
		cmocka_unit_test(test_auth__basic_header_bounds),
		cmocka_unit_test(test_auth__verify_external_hashes),
		cmocka_unit_test(test_auth__hash_roundtrip),
		cmocka_unit_test(test_auth__parse_file),
		cmocka_unit_test(test_auth__parse_file_errors),
		cmocka_unit_test(test_auth__parse_file_bounds),
		cmocka_unit_test(test_auth__load_file),
		cmocka_unit_test(test_auth__check),
		cmocka_unit_test(test_auth__check_concurrent),
		cmocka_unit_test(test_auth__authenticate_cached),
		cmocka_unit_test(test_auth__role_of),
		cmocka_unit_test(test_auth__throttle),
		cmocka_unit_test(test_auth__decoy_uses_costliest_entry),
		cmocka_unit_test(test_auth__parse_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
