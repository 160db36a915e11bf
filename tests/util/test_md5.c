/*
 * test_md5.c - util/md5 against the RFC 1321 test suite (appendix A.5) and
 * inputs around the padding boundaries, checked with coreutils md5sum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "util/md5.h"

static void hex(char out[33], const void *data, size_t len)
{
	unsigned char d[16];
	size_t i;

	assert_int_equal(regit_md5(d, data, len), 0);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_md5__rfc1321_suite(void **state)
{
	static const char *const cases[][2] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "1234567890123456789012345678901234567890123456789012345678901234567890"
		  "1234567890", "57edf4a22be3c955ac49da2e2107b67a" },
	};
	char got[33];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hex(got, cases[i][0], strlen(cases[i][0]));
		assert_string_equal(got, cases[i][1]);
	}
}

/* 55, 56 and 64 bytes: the length field fits, just does not, and a full block. */
static void test_md5__padding_boundaries(void **state)
{
	char buf[200], got[33];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	hex(got, buf, 55);
	assert_string_equal(got, "04364420e25c512fd958a70738aa8f72");
	hex(got, buf, 56);
	assert_string_equal(got, "668a72d5ba17f08e62dabcafad6db14b");
	hex(got, buf, 64);
	assert_string_equal(got, "c1bb4f81d892b2d57947682aeb252456");
	hex(got, buf, 200);
	assert_string_equal(got, "30a83621ce5422fbdfdd539777458c78");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5__rfc1321_suite),
		cmocka_unit_test(test_md5__padding_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
