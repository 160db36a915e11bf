/*
 * test_subject_encoding.c - registry/layout: subject names <-> path
 * components. Hostile names must become one harmless component, the map
 * must be one-to-one, and only canonical encodings decode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "registry/layout.h"
#include "util/buf.h"
#include "util/error.h"

static char *enc(const char *s, size_t len)
{
	static char out[1024];
	regit_buf b = REGIT_BUF_INIT;

	assert_int_equal(regit_layout_subject_encode(&b, s, len), 0);
	assert_true(b.size < sizeof(out));
	memcpy(out, regit_buf_cstr(&b), b.size + 1);
	regit_buf_dispose(&b);
	return out;
}

/* Encode, check the component is safe, decode, compare. */
static void roundtrip(const char *s, size_t len)
{
	regit_buf b = REGIT_BUF_INIT;
	const char *e = enc(s, len);
	size_t elen = strlen(e);
	size_t i;

	assert_true(elen > 0 && elen <= REGIT_LAYOUT_MAX_COMPONENT);
	assert_string_not_equal(e, ".");
	assert_string_not_equal(e, "..");
	assert_true(e[0] != '.');
	for (i = 0; i < elen; i++) {
		unsigned char c = (unsigned char)e[i];

		assert_true(c != '/' && c != '\\' && c > 0x20 && c < 0x7f);
	}
	assert_int_equal(regit_layout_subject_decode(&b, e, elen), 0);
	assert_int_equal(b.size, len);
	assert_memory_equal(b.ptr, s, len);
	regit_buf_dispose(&b);
}

static void test_subject_encoding__plain_names_stay_readable(void **state)
{
	(void)state;
	assert_string_equal(enc("user-events-value", 17), "user-events-value");
	assert_string_equal(enc("com.acme.Order_v2", 17), "com.acme.Order_v2");
	assert_string_equal(enc("a b", 3), "a%20b");
	assert_string_equal(enc("caf\xc3\xa9", 5), "caf%C3%A9");
}

static void test_subject_encoding__attack_strings(void **state)
{
	static const char *const attacks[] = {
		"..", ".", "../../etc/passwd", "a/../../b", "/abs", "a/b", ".git",
		".git/config", "..%2F", "%", "%2", "%zz", "%2e%2e", "a\\b", "~",
		"HEAD", "refs/heads/main", ":.ctx:sub", "-", "...", " ", "a.", ".a",
		"a%2Fb", "%25",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(attacks) / sizeof(*attacks); i++)
		roundtrip(attacks[i], strlen(attacks[i]));
	assert_string_equal(enc("..", 2), "%2E.");
	assert_string_equal(enc(".git", 4), "%2Egit");
	assert_string_equal(enc("a/b", 3), "a%2Fb");
	assert_string_equal(enc("%", 1), "%25");
	/* Bytes that are not valid subjects still encode safely. */
	roundtrip("a\0b", 3);
	roundtrip("\n\r\t\x7f", 4);
	roundtrip("\xff\xfe", 2);
}

static void test_subject_encoding__every_byte_roundtrips(void **state)
{
	char s[2];
	int c;

	(void)state;
	for (c = 0; c < 256; c++) {
		s[0] = (char)c;
		s[1] = 'x';
		roundtrip(s, 1);
		roundtrip(s, 2);
		s[0] = 'x';
		s[1] = (char)c;
		roundtrip(s, 2);
	}
}

static void test_subject_encoding__distinct_names_distinct_paths(void **state)
{
	static const char *const names[] = {
		"a.b", "a%2Eb", "a_b", "a-b", "A.b", ".ab", "%2Eab", "a b", "a+b", "a%20b",
	};
	char seen[10][1024];
	size_t i, j;

	(void)state;
	for (i = 0; i < 10; i++) {
		strcpy(seen[i], enc(names[i], strlen(names[i])));
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
}

static void test_subject_encoding__decode_rejects_non_canonical(void **state)
{
	static const char *const bad[] = {
		"", ".", "..", ".git", "%2e", "%2Fa%2f", "%41", "a%2", "a%", "%G0",
		"a/b", "a b", "a%2E%2E", "%5F", "%2D", "x\n",
	};
	regit_buf b = REGIT_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(regit_layout_subject_decode(&b, bad[i], strlen(bad[i])),
			REGIT_EINVALID);
		assert_int_equal(b.size, 0);
	}
	/* A leading dot must be escaped, a later one must not. */
	assert_int_equal(regit_layout_subject_decode(&b, "%2Ea.b", 6), 0);
	assert_string_equal(regit_buf_cstr(&b), ".a.b");
	regit_buf_dispose(&b);
}

static void test_subject_encoding__validity(void **state)
{
	const char *why = NULL;
	char longname[300];

	(void)state;
	assert_true(regit_layout_subject_valid("user-value", 10, &why));
	assert_null(why);
	assert_true(regit_layout_subject_valid("caf\xc3\xa9", 5, NULL));
	assert_true(regit_layout_subject_valid("../x", 4, NULL));
	assert_false(regit_layout_subject_valid("", 0, &why));
	assert_false(regit_layout_subject_valid("a\nb", 3, &why));
	assert_non_null(why);
	assert_false(regit_layout_subject_valid("a\0b", 3, NULL));
	assert_false(regit_layout_subject_valid("a\x7f", 2, NULL));
	assert_false(regit_layout_subject_valid("a\xc2\x85", 3, NULL));  /* U+0085 NEL */
	assert_false(regit_layout_subject_valid("\xc0\xaf", 2, NULL));   /* overlong '/' */
	assert_false(regit_layout_subject_valid("\xed\xa0\x80", 3, NULL)); /* surrogate */
	assert_false(regit_layout_subject_valid("\xe2\x82", 2, NULL));    /* truncated */
	assert_false(regit_layout_subject_valid("__GLOBAL", 8, NULL));
	assert_false(regit_layout_subject_valid("__EMPTY", 7, NULL));
	assert_true(regit_layout_subject_valid("__GLOBALX", 9, NULL));
	memset(longname, 'a', sizeof(longname));
	assert_true(regit_layout_subject_valid(longname, 255, NULL));
	assert_false(regit_layout_subject_valid(longname, 256, NULL));
	memset(longname, ' ', 85);
	assert_true(regit_layout_subject_valid(longname, 85, NULL));
	assert_false(regit_layout_subject_valid(longname, 86, NULL));
}

static void test_subject_encoding__encode_refuses_too_long(void **state)
{
	regit_buf b = REGIT_BUF_INIT;
	char s[256];

	(void)state;
	memset(s, '/', sizeof(s));
	assert_int_equal(regit_layout_subject_encode(&b, s, 86), REGIT_EINVALID);
	assert_int_equal(regit_layout_subject_encode(&b, s, 0), REGIT_EINVALID);
	assert_int_equal(b.size, 0);
	regit_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_encoding__plain_names_stay_readable),
		cmocka_unit_test(test_subject_encoding__attack_strings),
		cmocka_unit_test(test_subject_encoding__every_byte_roundtrips),
		cmocka_unit_test(test_subject_encoding__distinct_names_distinct_paths),
		cmocka_unit_test(test_subject_encoding__decode_rejects_non_canonical),
		cmocka_unit_test(test_subject_encoding__validity),
		cmocka_unit_test(test_subject_encoding__encode_refuses_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
