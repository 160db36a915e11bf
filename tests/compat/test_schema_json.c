/*
 * test_schema_json.c - compat/schema_json.c, the schema parser's own JSON
 * decoder, against jansson.
 *
 * The contract: whatever text the decoder takes, jansson (with the flags
 * the schema parser used before: JSON_REJECT_DUPLICATES | JSON_DECODE_ANY
 * | JSON_ALLOW_NUL) takes too and decodes to the same value, member order
 * and number types included; everything else is declined (1) and left to
 * jansson. Checked on hand-picked edge cases and on seeded random token
 * soup, with jansson as the oracle; plain schema JSON must not be declined
 * (that would silently cost the speed the decoder is for).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema_internal.h"
#include "util/alloc.h"
#include "util/error.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Compact, order-preserving text of a jansson value (owned), for comparing. */
static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

/*
 * Decode text both ways and check the contract. @return 0 when the fast
 * decoder took it, 1 when it declined.
 */
static int check_one(const char *text, size_t len, size_t max_depth)
{
	regit_arena arena = { 0 };
	regit_json_value v;
	json_error_t jerr;
	json_t *j = json_loadb(text, len, FLAGS, &jerr);
	int rc = regit_json__parse(&v, &arena, text, len, max_depth);

	assert_true(rc == 0 || rc == 1);
	if (rc == 0) {
		json_t *mine = regit_json__to_jansson(&v);
		char *a, *b;

		if (!j)
			fail_msg("decoder took text jansson refuses (%s): %.*s", jerr.text, (int)len, text);
		assert_non_null(mine);
		a = dump(mine);
		b = dump(j);
		assert_non_null(a);
		assert_non_null(b);
		if (strcmp(a, b) != 0 || !json_equal(mine, j))
			fail_msg("decoded differently: %s vs jansson %s", a, b);
		free(a);
		free(b);
		json_decref(mine);
	}
	json_decref(j);
	regit_schema__arena_dispose(&arena);
	return rc;
}

static int check(const char *text)
{
	return check_one(text, strlen(text), 64);
}

static void test_schema_json__plain_schema_json_is_taken(void **state)
{
	static const char *const texts[] = {
		"\"int\"",
		"  {\"type\": \"record\", \"name\": \"R\", \"fields\": [\n"
		"    {\"name\": \"a\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
		"    {\"name\": \"b\", \"type\": \"long\", \"default\": -9223372036854775808},\n"
		"    {\"name\": \"c\", \"type\": \"double\", \"default\": 2.5E-10},\n"
		"    {\"name\": \"d\", \"type\": \"boolean\", \"default\": true, \"doc\": \"h\\u00e9\\n\\\"q\\\"\"}\n"
		"  ]}\r\n",
		"[]", "{}", "[[], {}, [{}]]", "0", "-0", "1.0", "-0.0", "1e5", "1E+5", "12.5e-3",
		"9223372036854775807", "-9223372036854775808", "1e-400", "4.9e-324",
		"1.7976931348623157e308", "true", "false", "null",
		"\"\\u0000 NUL inside a value is allowed\"", "\"\\ud83d\\ude00\"", "\"\\/\\b\\f\\r\\t\"",
		"\"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\"", "{\"\xc3\xa9\": 1, \"e\": [1, 2.0, \"x\"]}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (check(texts[i]) != 0)
			fail_msg("declined plain JSON: %s", texts[i]);
	}
}

static void test_schema_json__declines_what_jansson_must_judge(void **state)
{
	static const char *const texts[] = {
		"", " ", "{\"a\":1,\"a\":2}", "{\"a\\u0000b\":1}", "9223372036854775808",
		"-9223372036854775809", "1e400", "-1e400", "01", "1.", ".5", "-", "+1", "1e", "1e+",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\x\"", "\"\\u12\"", "\"a\nb\"",
		"\"\x01\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xff\"",
		"\"\xc3\"", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{1:2}", "truex", "nul",
		"true1", "[1]x", "\"unterminated", "[", "{\"a\":", "NaN", "Infinity",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (check(texts[i]) != 1)
			fail_msg("took: %s", texts[i]);
	}
}

/* {"k0":0,"k1":1,...} with n members, in buf. @return its length */
static size_t object_of(char *buf, size_t size, size_t n)
{
	size_t len = 0, i;

	len += (size_t)snprintf(buf + len, size - len, "{");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	len += (size_t)snprintf(buf + len, size - len, "}");
	return len;
}

static void test_schema_json__large_objects_and_depth_are_declined(void **state)
{
	char big[4096], deep[20];
	size_t n, i;

	(void)state;
	/* 64 members are taken, 65 go to jansson (which keeps them all). */
	n = object_of(big, sizeof(big), 64);
	assert_int_equal(check_one(big, n, 64), 0);
	n = object_of(big, sizeof(big), 65);
	assert_int_equal(check_one(big, n, 64), 1);

	/* Nesting: max_depth arrays are taken, one more is declined. */
	for (i = 0; i < 10; i++) {
		deep[i] = '[';
		deep[10 + i] = ']';
	}
	assert_int_equal(check_one(deep, 20, 10), 0);
	assert_int_equal(check_one(deep, 20, 9), 1);
	assert_int_equal(check_one(deep, 20, 0), 1);
	assert_int_equal(check_one("1", 1, 0), 0);
}

/* A small deterministic generator (xorshift), so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static void test_schema_json__random_token_soup_agrees(void **state)
{
	static const char *const toks[] = {
		"{", "}", "[", "]", ",", ":", " ", "\n", "\"a\"", "\"b\"", "\"a\"", "\"\\u00e9\"",
		"\"\\u0000\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\xc3\xa9\"", "\"\xc3\"", "0",
		"-0", "1", "-12", "1.5", "1e3", "2.5E-10", "1e400", "01", "9223372036854775807",
		"9223372036854775808", "true", "false", "null", "tru", "\"x", "\\", "\x01", ".",
		"-", "e",
	};
	char text[256];
	int i, taken = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		size_t n = 0;
		unsigned k, count = 1 + rnd(12);

		for (k = 0; k < count; k++) {
			const char *t = toks[rnd(sizeof(toks) / sizeof(toks[0]))];
			size_t tl = strlen(t);

			if (n + tl >= sizeof(text))
				break;
			memcpy(text + n, t, tl);
			n += tl;
		}
		taken += check_one(text, n, 64) == 0;
	}
	/* The soup must reach the taking side too, or it proves little. */
	assert_true(taken > 500);
}

static void test_schema_json__from_jansson_round_trips(void **state)
{
	static const char *const texts[] = {
		"{\"a\":[1,2.5,\"x\\u0000y\",null,true,false,{}],\"b\":{\"c\":-9223372036854775808}}",
		"\"\xe6\x97\xa5\"", "[]", "0.1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		regit_arena arena = { 0 };
		regit_json_value v;
		json_t *j = json_loads(texts[i], FLAGS, NULL), *back;
		char *a, *b;

		assert_non_null(j);
		assert_int_equal(regit_json__from_jansson(&v, &arena, j), 0);
		back = regit_json__to_jansson(&v);
		a = dump(j);
		b = dump(back);
		assert_string_equal(a, b);
		free(a);
		free(b);
		json_decref(back);
		json_decref(j);
		regit_schema__arena_dispose(&arena);
	}
}

static void test_schema_json__get_finds_members(void **state)
{
	regit_arena arena = { 0 };
	regit_json_value v;
	const char *text = "{\"type\":\"record\",\"typ\":1,\"name\":\"R\"}";

	(void)state;
	assert_int_equal(regit_json__parse(&v, &arena, text, strlen(text), 64), 0);
	assert_string_equal(regit_json__get(&v, "type")->u.s, "record");
	assert_int_equal(regit_json__get(&v, "typ")->u.i, 1);
	assert_string_equal(regit_json__get(&v, "name")->u.s, "R");
	assert_null(regit_json__get(&v, "ty"));
	assert_null(regit_json__get(&v.u.members[0].value, "type"));    /* not an object */
	regit_schema__arena_dispose(&arena);
}

/*
 * The Nth allocation fails, for every N until the parse succeeds: each
 * failure is REGIT_ENOMEM (never a crash or a half-built value), the first
 * allocation (the arena's first chunk, often a recycled spare) can fail,
 * and once enough allocations succeed the value is complete.
 */
static void test_schema_json__out_of_memory(void **state)
{
	const char *text = "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"e\"}";
	regit_arena warm = { 0 };
	regit_json_value v;
	long n, failures = 0;
	int rc = -1;

	(void)state;
	/* Leave spare chunks behind, as a server thread has them. */
	assert_int_equal(regit_json__parse(&v, &warm, text, strlen(text), 64), 0);
	regit_schema__arena_dispose(&warm);
	for (n = 0; n < 1000; n++) {
		regit_arena arena = { 0 };

		regit_alloc_fail_after(n);
		rc = regit_json__parse(&v, &arena, text, strlen(text), 64);
		regit_alloc_fail_after(-1);
		if (n == 0)
			assert_int_equal(rc, REGIT_ENOMEM);
		if (rc == 0) {
			assert_int_equal(v.type, REGIT_JSON_OBJECT);
			assert_int_equal(v.n, 2);
			assert_string_equal(regit_json__get(&v, "d")->u.s, "e");
			regit_schema__arena_dispose(&arena);
			break;
		}
		assert_int_equal(rc, REGIT_ENOMEM);
		failures++;
		regit_schema__arena_dispose(&arena);
	}
	assert_int_equal(rc, 0);
	assert_true(failures >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_json__plain_schema_json_is_taken),
		cmocka_unit_test(test_schema_json__declines_what_jansson_must_judge),
		cmocka_unit_test(test_schema_json__large_objects_and_depth_are_declined),
		cmocka_unit_test(test_schema_json__random_token_soup_agrees),
		cmocka_unit_test(test_schema_json__from_jansson_round_trips),
		cmocka_unit_test(test_schema_json__get_finds_members),
		cmocka_unit_test(test_schema_json__out_of_memory),
	};

	return cmocka_run_group_tests_name("compat/schema_json", tests, NULL, NULL);
}
