/*
 * test_jsonpos.c - util/jsonpos: JSON pointer -> line:column over raw text.
 *
 * Expected positions were counted by hand on the texts below (and
 * cross-checked with a few lines of Python); they are not read back from
 * the implementation. Texts are copied into exactly-sized heap buffers
 * without a terminating NUL so AddressSanitizer catches any read past len.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/jsonpos.h"

/* Look `pointer` up in an unterminated copy of `text`. */
static int find_in(const char *text, size_t len, const char *pointer, int nearest,
	int *line, int *column)
{
	char *copy = malloc(len ? len : 1);
	int error;

	assert_non_null(copy);
	memcpy(copy, text, len);
	*line = *column = -1;
	if (nearest)
		error = regit_jsonpos_find_nearest(copy, len, pointer, line, column);
	else
		error = regit_jsonpos_find(copy, len, pointer, line, column);
	free(copy);
	return error;
}

static void expect_at(const char *text, const char *pointer, int line, int column)
{
	int l, c;

	assert_int_equal(find_in(text, strlen(text), pointer, 0, &l, &c), 0);
	assert_int_equal(l, line);
	assert_int_equal(c, column);
}

static void expect_nearest(const char *text, const char *pointer, int line, int column)
{
	int l, c;

	assert_int_equal(find_in(text, strlen(text), pointer, 1, &l, &c), 0);
	assert_int_equal(l, line);
	assert_int_equal(c, column);
}

static void expect_error(const char *text, const char *pointer, int code)
{
	int l, c;

	assert_int_equal(find_in(text, strlen(text), pointer, 0, &l, &c), code);
	assert_int_equal(find_in(text, strlen(text), pointer, 1, &l, &c),
		code == REGIT_ENOTFOUND ? 0 : code);
}

/*
 * Line numbers on the left are 1-based; columns are counted from 1.
 */
static const char schema_text[] =
	"{\n"                                                        /* 1 */
	"  \"type\": \"record\",\n"                                  /* 2 */
	"  \"name\": \"User\",\n"                                    /* 3 */
	"  \"fields\": [\n"                                          /* 4 */
	"    {\"name\": \"id\", \"type\": \"long\"},\n"              /* 5 */
	"    {\n"                                                    /* 6 */
	"      \"name\": \"kind\",\n"                                /* 7 */
	"      \"type\": {\"type\": \"enum\", \"symbols\": [\"A\", \"B\"]}\n" /* 8 */
	"    },\n"                                                   /* 9 */
	"    {\"name\": \"tags\", \"type\": {\"type\": \"array\",\n" /* 10 */
	"       \"items\": \"string\"}}\n"                           /* 11 */
	"  ]\n"                                                      /* 12 */
	"}\n";                                                       /* 13 */

static void test_jsonpos__root(void **state)
{
	(void)state;
	expect_at(schema_text, "", 1, 1);
	expect_at("\n\n   [1]", "", 3, 4);
	expect_at("42", "", 1, 1);
}

static void test_jsonpos__nested_objects_and_arrays(void **state)
{
	(void)state;
	expect_at(schema_text, "/type", 2, 11);
	expect_at(schema_text, "/name", 3, 11);
	expect_at(schema_text, "/fields", 4, 13);
	expect_at(schema_text, "/fields/0", 5, 5);
	expect_at(schema_text, "/fields/0/name", 5, 14);
	expect_at(schema_text, "/fields/0/type", 5, 28);
	expect_at(schema_text, "/fields/1", 6, 5);
	expect_at(schema_text, "/fields/1/name", 7, 15);
	expect_at(schema_text, "/fields/1/type", 8, 15);
	expect_at(schema_text, "/fields/1/type/type", 8, 24);
	expect_at(schema_text, "/fields/1/type/symbols", 8, 43);
	expect_at(schema_text, "/fields/1/type/symbols/0", 8, 44);
	expect_at(schema_text, "/fields/1/type/symbols/1", 8, 49);
	expect_at(schema_text, "/fields/2/type", 10, 30);
	expect_at(schema_text, "/fields/2/type/items", 11, 17);
}

static void test_jsonpos__escaped_keys(void **state)
{
	/* Keys written with escapes are matched by their decoded value. */
	static const char text[] =
		"{\"a\\\"b\": 1, \"a\\\\b\": 2, \"\\u00e9t\\u00E9\": 3,"
		" \"a/b\": 4, \"m~n\": 5, \"\\ud83d\\ude00\": 6, \"x\\/y\": 7,"
		" \"\": 8, \"\\n\": 9}";
	static const char dec[] = "{\"\\u0041\": 1, \"A\": 2}";

	(void)state;
	expect_at(text, "/a\"b", 1, 10);
	expect_at(text, "/a\\b", 1, 21);
	expect_at(text, "/\xc3\xa9t\xc3\xa9", 1, 41);       /* "été" */
	expect_at(text, "/a~1b", 1, 51);
	expect_at(text, "/m~0n", 1, 61);
	expect_at(text, "/\xf0\x9f\x98\x80", 1, 80);        /* U+1F600 */
	expect_at(text, "/x~1y", 1, 91);
	expect_at(text, "/", 1, 98);
	expect_at(text, "/\n", 1, 107);
	/* "\u0041" is "A" and comes first: duplicates resolve to the first. */
	expect_at(dec, "/A", 1, 12);
	/* An escaped key must not match its raw spelling. */
	expect_error(text, "/a\\\"b", REGIT_ENOTFOUND);
	expect_error(text, "/a/b", REGIT_ENOTFOUND);
}

static void test_jsonpos__strings_with_brackets_and_quotes(void **state)
{
	static const char text[] =
		"{\"s\": \"]}{[\\\"\", \"arr\": [\"]\", {\"}\": \"[\"}, \"\\\\\"],"
		" \"x\": [\"a,b\", \"c\"], \"t\": true}";

	(void)state;
	expect_at(text, "/t", 1, 73);
	expect_at(text, "/arr/2", 1, 42);
	expect_at(text, "/x/1", 1, 62);
	expect_at(text, "/arr/1/}", 1, 36);
}

static void test_jsonpos__duplicate_key_first_wins(void **state)
{
	(void)state;
	expect_at("{\"k\": 1,\n \"k\": 2}", "/k", 1, 7);
}

static void test_jsonpos__not_found(void **state)
{
	(void)state;
	expect_error(schema_text, "/nope", REGIT_ENOTFOUND);
	expect_error(schema_text, "/fields/3", REGIT_ENOTFOUND);
	expect_error(schema_text, "/fields/-", REGIT_ENOTFOUND);
	expect_error(schema_text, "/fields/01", REGIT_ENOTFOUND);
	expect_error(schema_text, "/fields/x", REGIT_ENOTFOUND);
	expect_error(schema_text, "/fields/99999999999999999999999", REGIT_ENOTFOUND);
	expect_error(schema_text, "/name/x", REGIT_ENOTFOUND);
	expect_error(schema_text, "/fields/0/name/0", REGIT_ENOTFOUND);
	expect_error("{}", "/a", REGIT_ENOTFOUND);
	expect_error("[]", "/0", REGIT_ENOTFOUND);
	expect_error("{\"ab\": 1}", "/a", REGIT_ENOTFOUND);
	expect_error("{\"a\": 1}", "/ab", REGIT_ENOTFOUND);
}

static void test_jsonpos__nearest_prefix(void **state)
{
	(void)state;
	expect_nearest(schema_text, "/fields/1/type/nosuch", 8, 15);
	expect_nearest(schema_text, "/fields/1/type/symbols/7", 8, 43);
	expect_nearest(schema_text, "/fields/7/type", 4, 13);
	expect_nearest(schema_text, "/nosuch/deeper", 1, 1);
	expect_nearest(schema_text, "/name/x", 3, 11);
	/* A pointer that resolves is its own nearest prefix. */
	expect_nearest(schema_text, "/fields/2/type/items", 11, 17);
}

static void test_jsonpos__malformed(void **state)
{
	(void)state;
	expect_error("", "", REGIT_EINVALID);
	expect_error("   ", "", REGIT_EINVALID);
	expect_error("}", "", REGIT_EINVALID);
	expect_error("{\"a\": 1", "/b", REGIT_EINVALID);
	expect_error("{\"a\" 1}", "/a", REGIT_EINVALID);
	expect_error("{\"a\": 1,}", "/b", REGIT_EINVALID);
	expect_error("{\"a\": [1}, \"b\": 2}", "/b", REGIT_EINVALID);
	expect_error("{\"a\": {\"x\": 1], \"b\": 2}", "/b", REGIT_EINVALID);
	expect_error("{\"a\": tru, \"b\": 2}", "/b", REGIT_EINVALID);
	expect_error("{\"a\": 01, \"b\": 2}", "/b", REGIT_EINVALID);
	expect_error("{\"a\": -, \"b\": 2}", "/b", REGIT_EINVALID);
	expect_error("{\"a\": 1., \"b\": 2}", "/b", REGIT_EINVALID);
	expect_error("{\"a\": 1e, \"b\": 2}", "/b", REGIT_EINVALID);
	expect_error("{\"a\\q\": 1}", "/b", REGIT_EINVALID);
	expect_error("{\"a\\u12\": 1}", "/b", REGIT_EINVALID);
	expect_error("{\"a\\u12zz\": 1}", "/b", REGIT_EINVALID);
	expect_error("{\"\\ud800\": 1}", "/b", REGIT_EINVALID);
	expect_error("{\"\\udc00\": 1}", "/b", REGIT_EINVALID);
	expect_error("{\"\\ud800\\u0041\": 1}", "/b", REGIT_EINVALID);
	expect_error("{\"a\nb\": 1}", "/b", REGIT_EINVALID);
	expect_error("{\"a\": \"unterminated", "/b", REGIT_EINVALID);
	expect_error("{\"a\": \"x\\", "/b", REGIT_EINVALID);
	expect_error("[1, 2", "/5", REGIT_EINVALID);
	expect_error("[1 2]", "/1", REGIT_EINVALID);
	expect_error("{\"a\": }", "/a", REGIT_EINVALID);
	expect_error("{\"a\": 1}", "a", REGIT_EINVALID);       /* no leading '/' */
	expect_error("{\"a\": 1}", "/~2", REGIT_EINVALID);
	expect_error("{\"a\": 1}", "/a~", REGIT_EINVALID);
}

static void test_jsonpos__not_nul_terminated(void **state)
{
	int l, c;

	(void)state;
	/* The text is cut inside a string: every path must stop at len. */
	assert_int_equal(find_in("{\"abc\": 1}", 4, "/abc", 0, &l, &c), REGIT_EINVALID);
	assert_int_equal(find_in("{\"a\": tr", 8, "/b", 0, &l, &c), REGIT_EINVALID);
	assert_int_equal(find_in("{\"a\": 12345", 9, "/b", 0, &l, &c), REGIT_EINVALID);
	assert_int_equal(find_in("{\"a\\u00", 7, "/b", 0, &l, &c), REGIT_EINVALID);
	assert_int_equal(find_in("{\"a\": 1}", 0, "", 0, &l, &c), REGIT_EINVALID);
	/* An embedded NUL is not a value. */
	assert_int_equal(find_in("{\"a\": \0}", 8, "/a", 0, &l, &c), REGIT_EINVALID);
	assert_int_equal(find_in("\0", 1, "", 0, &l, &c), REGIT_EINVALID);
}

/* n open brackets, then `tail`, then n closing brackets. */
static char *make_nested(size_t n, char open, char close, const char *head,
	const char *tail, size_t *len)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(hl + 2 * n + tl + 2);
	size_t i, p = 0;

	assert_non_null(s);
	memcpy(s + p, head, hl);
	p += hl;
	for (i = 0; i < n; i++)
		s[p++] = open;
	for (i = 0; i < n; i++)
		s[p++] = close;
	memcpy(s + p, tail, tl);
	p += tl;
	s[p] = '\0';
	*len = p;
	return s;
}

static void test_jsonpos__deep_nesting_is_bounded(void **state)
{
	size_t len;
	char *text;
	int l, c;

	(void)state;
	/* Deep but within the bound: skipped, and the sibling is found. */
	text = make_nested(3000, '[', ']', "{\"a\": ", ", \"b\": 7}", &len);
	assert_int_equal(find_in(text, len, "/b", 0, &l, &c), 0);
	assert_int_equal(l, 1);
	assert_int_equal(c, (int)(len - 1));
	free(text);

	/* Far deeper than the bound: a clean error, no stack overflow. */
	text = make_nested(200000, '[', ']', "{\"a\": ", ", \"b\": 7}", &len);
	assert_int_equal(find_in(text, len, "/b", 0, &l, &c), REGIT_EINVALID);
	free(text);

	/* Unbalanced: 100k opens and nothing else. */
	text = make_nested(100000, '{', ' ', "[", "", &len);
	assert_int_equal(find_in(text, len, "/1", 0, &l, &c), REGIT_EINVALID);
	free(text);
}

static void test_jsonpos__deep_pointer_is_iterative(void **state)
{
	size_t n = 20000, len, i;
	char *text = make_nested(n, '[', ']', "", "", &len);
	char *ptr = malloc(2 * n + 1);
	int l, c;

	(void)state;
	assert_non_null(ptr);
	/* /0/0/.../0 (n-1 steps) reaches the innermost empty array. */
	for (i = 0; i + 1 < n; i++) {
		ptr[2 * i] = '/';
		ptr[2 * i + 1] = '0';
	}
	ptr[2 * (n - 1)] = '\0';
	assert_int_equal(find_in(text, len, ptr, 0, &l, &c), 0);
	assert_int_equal(l, 1);
	assert_int_equal(c, (int)n);
	/* One step more does not resolve; the nearest is the innermost array. */
	ptr[2 * (n - 1)] = '/';
	ptr[2 * (n - 1) + 1] = '0';
	ptr[2 * n] = '\0';
	assert_int_equal(find_in(text, len, ptr, 0, &l, &c), REGIT_ENOTFOUND);
	assert_int_equal(find_in(text, len, ptr, 1, &l, &c), 0);
	assert_int_equal(c, (int)n);
	free(ptr);
	free(text);
}

static void test_jsonpos__multiline_positions(void **state)
{
	static const char text[] =
		"[\r\n"
		"  \"x\",\n"
		"\t{\"k\":\n"
		"\n"
		"      [true, false,\n"
		"       null]}]";

	(void)state;
	expect_at(text, "/0", 2, 3);
	expect_at(text, "/1", 3, 2);
	expect_at(text, "/1/k", 5, 7);
	expect_at(text, "/1/k/1", 5, 14);
	expect_at(text, "/1/k/2", 6, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonpos__root),
		cmocka_unit_test(test_jsonpos__nested_objects_and_arrays),
		cmocka_unit_test(test_jsonpos__escaped_keys),
		cmocka_unit_test(test_jsonpos__strings_with_brackets_and_quotes),
		cmocka_unit_test(test_jsonpos__duplicate_key_first_wins),
		cmocka_unit_test(test_jsonpos__not_found),
		cmocka_unit_test(test_jsonpos__nearest_prefix),
		cmocka_unit_test(test_jsonpos__malformed),
		cmocka_unit_test(test_jsonpos__not_nul_terminated),
		cmocka_unit_test(test_jsonpos__deep_nesting_is_bounded),
		cmocka_unit_test(test_jsonpos__deep_pointer_is_iterative),
		cmocka_unit_test(test_jsonpos__multiline_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
