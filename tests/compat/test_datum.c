/*
 * test_datum.c - compat/datum: Avro binary to Avro JSON, as written and
 * resolved to a reader schema. Every type; resolution (promotions,
 * defaults incl. union and nested record defaults, field and record
 * aliases, enum defaults, union branch changes, skipped writer fields);
 * the Confluent header; hostile bytes (truncation, negative and oversized
 * lengths, overlong varints, huge block counts of zero-byte items, deep
 * recursion, trailing bytes, bad booleans, indexes out of range, invalid
 * UTF-8) and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/datum.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

static regit_schema *parse(const char *json)
{
	regit_schema *s = NULL;
	regit_schema_error err;

	memset(&err, 0, sizeof(err));
	if (regit_schema_parse(&s, json, strlen(json), NULL, &err) < 0)
		fail_msg("schema does not parse (%s at %s): %s", err.message, err.path, json);
	return s;
}

/* Hex text to bytes; returns the length. */
static size_t unhex(unsigned char *out, size_t cap, const char *hex)
{
	size_t n = 0;
	unsigned v;

	while (hex[0] && hex[1]) {
		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return n;
}

/*
 * Decode `hex` written with `writer`, read as `reader` (NULL: as written).
 * expect: the compact JSON, or NULL when `code` is the expected failure.
 */
static void check(const char *writer, const char *reader, const char *hex, const char *expect,
	int code)
{
	regit_schema *w = parse(writer), *r = reader ? parse(reader) : NULL;
	unsigned char bytes[4096];
	size_t n = unhex(bytes, sizeof(bytes), hex);
	json_t *v = NULL;
	char *text;
	int error;

	error = regit_datum_decode(&v, regit_schema_root(w), r ? regit_schema_root(r) : NULL,
		bytes, n, NULL);
	if (expect) {
		if (error != 0)
			fail_msg("decode of %s failed: %s", hex, regit_error_message());
		text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
			JSON_ENSURE_ASCII);
		if (strcmp(text, expect) != 0)
			fail_msg("decode of %s gave %s, want %s", hex, text, expect);
		free(text);
	} else {
		if (error != code)
			fail_msg("decode of %s returned %d (want %d): %s", hex, error, code,
				error ? regit_error_message() : "no error");
		assert_null(v);
		assert_true(strlen(regit_error_message()) > 0);
	}
	json_decref(v);
	regit_schema_free(w);
	regit_schema_free(r);
}

#define OK(w, r, hex, expect) check((w), (r), (hex), (expect), 0)
#define BAD(w, r, hex, code) check((w), (r), (hex), NULL, (code))

static void test_datum__primitives(void **state)
{
	(void)state;
	OK("\"null\"", NULL, "", "null");
	OK("\"boolean\"", NULL, "01", "true");
	OK("\"boolean\"", NULL, "00", "false");
	OK("\"int\"", NULL, "ac02", "150");
	OK("\"int\"", NULL, "feffffff0f", "2147483647");
	OK("\"int\"", NULL, "ffffffff0f", "-2147483648");
	OK("\"long\"", NULL, "01", "-1");
	OK("\"long\"", NULL, "feffffffffffffffff01", "9223372036854775807");
	OK("\"long\"", NULL, "ffffffffffffffffff01", "-9223372036854775808");
	OK("\"float\"", NULL, "0000c03f", "1.5");
	OK("\"double\"", NULL, "0000000000000440", "2.5");
	OK("\"float\"", NULL, "0000c07f", "\"NaN\"");
	OK("\"double\"", NULL, "000000000000f0ff", "\"-Infinity\"");
	/* bytes: ISO-8859-1 code points; NUL kept */
	OK("\"bytes\"", NULL, "06ff0061", "\"\\u00FF\\u0000a\"");
	OK("\"string\"", NULL, "0668c3a9", "\"h\\u00E9\"");
	OK("\"string\"", NULL, "00", "\"\"");
}

static void test_datum__complex(void **state)
{
	static const char rec[] = "{\"type\":\"record\",\"name\":\"a.R\",\"fields\":["
		"{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"string\"}]}";

	(void)state;
	OK(rec, NULL, "02 046162", "{\"a\":1,\"b\":\"ab\"}");
	OK("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"]}", NULL, "04", "\"C\"");
	OK("{\"type\":\"array\",\"items\":\"int\"}", NULL, "04 02 04 00", "[1,2]");
	/* a negative count: a byte size follows */
	OK("{\"type\":\"array\",\"items\":\"int\"}", NULL, "03 04 02 04 02 06 00", "[1,2,3]");
	OK("{\"type\":\"map\",\"values\":\"int\"}", NULL, "04 026b 02 026c 04 00",
		"{\"k\":1,\"l\":2}");
	OK("[\"null\",\"string\"]", NULL, "02 0278", "{\"string\":\"x\"}");
	OK("[\"null\",\"string\"]", NULL, "00", "null");
	OK("[\"null\",{\"type\":\"record\",\"name\":\"n.S\",\"fields\":[]}]", NULL, "02",
		"{\"n.S\":{}}");
	OK("[\"null\",{\"type\":\"array\",\"items\":\"int\"}]", NULL, "02 00", "{\"array\":[]}");
	OK("{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}", NULL, "6180", "\"a\\u0080\"");
	/* a recursive list, two deep */
	OK("{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
		"{\"name\":\"next\",\"type\":[\"null\",\"N\"]}]}", NULL, "02 02 04 00",
		"{\"v\":1,\"next\":{\"N\":{\"v\":2,\"next\":null}}}");
	/* logical types are their underlying type */
	OK("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", NULL, "02", "1");
}

static void test_datum__promotions(void **state)
{
	(void)state;
	OK("\"int\"", "\"long\"", "02", "1");
	OK("\"int\"", "\"float\"", "03", "-2.0");
	OK("\"int\"", "\"double\"", "02", "1.0");
	OK("\"long\"", "\"double\"", "04", "2.0");
	OK("\"float\"", "\"double\"", "0000c03f", "1.5");
	OK("\"string\"", "\"bytes\"", "0661c3bf", "\"a\\u00C3\\u00BF\"");
}

static void test_datum__promotions_strings(void **state)
{
	(void)state;
	/* bytes read as string must be UTF-8 */
	OK("\"bytes\"", "\"string\"", "0668c3a9", "\"h\\u00E9\"");
	BAD("\"bytes\"", "\"string\"", "02ff", REGIT_EINVALID);
	/* no demotion */
	BAD("\"long\"", "\"int\"", "02", REGIT_EINVALID);
	BAD("\"string\"", "\"int\"", "00", REGIT_EINVALID);
}

static void test_datum__defaults_and_aliases(void **state)
{
	static const char w[] = "{\"type\":\"record\",\"name\":\"ev.Old\",\"fields\":["
		"{\"name\":\"id\",\"type\":\"int\"},"
		"{\"name\":\"gone\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
		"{\"name\":\"cid\",\"type\":\"string\"}]}";
	static const char r[] = "{\"type\":\"record\",\"name\":\"ev.New\",\"aliases\":[\"ev.Old\"],"
		"\"fields\":["
		"{\"name\":\"correlation_id\",\"aliases\":[\"cid\"],\"type\":\"string\"},"
		"{\"name\":\"id\",\"type\":\"long\"},"
		"{\"name\":\"n\",\"type\":[\"null\",\"int\"],\"default\":null},"
		"{\"name\":\"m\",\"type\":[\"int\",\"null\"],\"default\":5},"
		"{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"\\u00FF\"},"
		"{\"name\":\"sub\",\"type\":{\"type\":\"record\",\"name\":\"Sub\",\"fields\":["
		"{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"string\",\"default\":\"d\"}]},"
		"\"default\":{\"x\":7}}]}";

	(void)state;
	/* id 3, gone ["a"], cid "c1": gone skipped, cid read through the alias */
	OK(w, r, "06 02 0261 00 046331",
		"{\"correlation_id\":\"c1\",\"id\":3,\"n\":null,\"m\":{\"int\":5},\"b\":\"\\u00FF\","
		"\"sub\":{\"x\":7,\"y\":\"d\"}}");
	/* a reader field without default the writer lacks */
	BAD("{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}",
		"", REGIT_EINVALID);
	/* names that do not match */
	BAD("{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}", "", REGIT_EINVALID);
}

static void test_datum__enums(void **state)
{
	static const char w[] = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"D\"]}";

	(void)state;
	OK(w, "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"B\",\"A\",\"Z\"],\"default\":\"Z\"}",
		"00", "\"A\"");
	OK(w, "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"B\",\"A\",\"Z\"],\"default\":\"Z\"}",
		"04", "\"Z\"");
	BAD(w, "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}", "04", REGIT_EINVALID);
	BAD(w, NULL, "06", REGIT_EINVALID);
	BAD(w, NULL, "01", REGIT_EINVALID);
}

static void test_datum__union_changes(void **state)
{
	(void)state;
	/* writer plain, reader union: the branch resolve picks, wrapped */
	OK("\"int\"", "[\"null\",\"long\"]", "02", "{\"long\":1}");
	OK("\"int\"", "[\"null\",\"long\",\"int\"]", "02", "{\"int\":1}");
	/* writer union, reader plain: its branch read as the reader */
	OK("[\"null\",\"int\"]", "\"long\"", "02 04", "2");
	BAD("[\"null\",\"int\"]", "\"long\"", "00", REGIT_EINVALID);
	/* both unions: the writer's branch then the reader's choice */
	OK("[\"null\",\"int\",\"string\"]", "[\"string\",\"null\",\"double\"]", "02 02",
		"{\"double\":1.0}");
	OK("[\"null\",\"int\",\"string\"]", "[\"string\",\"null\",\"double\"]", "00", "null");
	BAD("[\"null\",\"boolean\"]", "[\"null\",\"int\"]", "02 01", REGIT_EINVALID);
	/* array and map items resolve too */
	OK("{\"type\":\"array\",\"items\":\"int\"}", "{\"type\":\"array\",\"items\":\"double\"}",
		"02 02 00", "[1.0]");
	OK("{\"type\":\"map\",\"values\":\"int\"}",
		"{\"type\":\"map\",\"values\":[\"null\",\"long\"]}", "02 026b 02 00",
		"{\"k\":{\"long\":1}}");
}

static void test_datum__hostile(void **state)
{
	char deep[2 * 300 + 8];
	size_t i;

	(void)state;
	BAD("\"string\"", NULL, "14 6162", REGIT_EINVALID);         /* length 10, 2 bytes */
	BAD("\"string\"", NULL, "01", REGIT_EINVALID);              /* length -1 */
	BAD("\"bytes\"", NULL, "feffffffffffffffff01", REGIT_EINVALID); /* 2^63-1 */
	BAD("\"long\"", NULL, "ffffffffffffffffffff01", REGIT_EINVALID); /* 11 bytes */
	BAD("\"long\"", NULL, "ffffffffffffffffff7f", REGIT_EINVALID); /* > 64 bits */
	BAD("\"long\"", NULL, "80", REGIT_EINVALID);                /* cut off */
	BAD("\"int\"", NULL, "8080808010", REGIT_EINVALID);         /* out of int range */
	BAD("\"float\"", NULL, "0000c0", REGIT_EINVALID);
	BAD("\"double\"", NULL, "00", REGIT_EINVALID);
	BAD("\"boolean\"", NULL, "02", REGIT_EINVALID);
	BAD("\"boolean\"", NULL, "", REGIT_EINVALID);
	BAD("\"int\"", NULL, "02 00", REGIT_EINVALID);              /* trailing byte */
	BAD("{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", NULL, "616263", REGIT_EINVALID);
	BAD("[\"null\",\"int\"]", NULL, "04", REGIT_EINVALID);      /* branch 2 of 2 */
	BAD("[\"null\",\"int\"]", NULL, "01", REGIT_EINVALID);      /* branch -1 */
	BAD("\"string\"", NULL, "02ff", REGIT_EINVALID);            /* not UTF-8 */
	/* 2^62 nulls in 9 bytes: the value budget stops it, quickly */
	BAD("{\"type\":\"array\",\"items\":\"null\"}", NULL, "8080808080808080807f",
		REGIT_EINVALID);
	BAD("{\"type\":\"array\",\"items\":\"null\"}", NULL, "feffffffffffffff7f", REGIT_ELIMIT);
	BAD("{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}}",
		NULL, "feffffff0f", REGIT_ELIMIT);
	BAD("{\"type\":\"map\",\"values\":\"null\"}", NULL, "feffffff0f 00 00", REGIT_EINVALID);
	/* a negative block count then a negative size; INT64_MIN as a count */
	BAD("{\"type\":\"array\",\"items\":\"int\"}", NULL, "01 01", REGIT_EINVALID);
	BAD("{\"type\":\"array\",\"items\":\"int\"}", NULL, "ffffffffffffffffff01", REGIT_EINVALID);
	/* 300 nested records through a recursive union: the depth bound */
	for (i = 0; i < 300; i++)
		memcpy(deep + 2 * i, "02", 2);
	memcpy(deep + 600, "00", 3);
	BAD("{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"N\"]}]}",
		NULL, deep, REGIT_ELIMIT);
}

/* Messages stay one line and name where in the value the problem is. */
static void test_datum__error_paths(void **state)
{
	regit_schema *w = parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":"
		"{\"type\":\"array\",\"items\":\"int\"}}}]}");
	/* m = {"a\nb": [1, <cut off>]} */
	static const unsigned char bytes[] = { 0x02, 0x06, 'a', '\n', 'b', 0x04, 0x02, 0x80 };
	json_t *v = NULL;

	(void)state;
	assert_int_equal(regit_datum_decode(&v, regit_schema_root(w), NULL, bytes, sizeof(bytes),
		NULL), REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "at byte 8 (at /m/a?b/1)"));
	assert_null(strchr(regit_error_message(), '\n'));
	regit_schema_free(w);
}

static void test_datum__unframe(void **state)
{
	static const unsigned char ok[] = { 0, 0, 0, 1, 2, 0x02 };
	static const unsigned char bad[] = { 1, 0, 0, 0, 1, 0x02 };
	const unsigned char *payload = NULL;
	unsigned long id = 0;
	size_t plen = 0;

	(void)state;
	assert_int_equal(regit_datum_unframe(&id, &payload, &plen, ok, sizeof(ok)), 0);
	assert_int_equal(id, 258);
	assert_int_equal(plen, 1);
	assert_ptr_equal(payload, ok + 5);
	assert_int_equal(regit_datum_unframe(&id, &payload, &plen, bad, sizeof(bad)),
		REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "magic"));
	assert_int_equal(regit_datum_unframe(&id, &payload, &plen, ok, 4), REGIT_EINVALID);
	assert_int_equal(regit_datum_unframe(&id, &payload, &plen, ok, 5), 0);
	assert_int_equal(plen, 0);
}

static char *dump(const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	assert_non_null(text);
	return text;
}

/* One decoder's result for bytes equals regit_datum_decode's (also its code). */
static void same_as_one_shot(regit_datum_decoder *d, const regit_schema *w,
	const regit_schema *r, const unsigned char *bytes, size_t n)
{
	json_t *a = NULL, *b = NULL;
	int ea = regit_datum_decoder_decode(&a, d, bytes, n, NULL);
	int eb = regit_datum_decode(&b, regit_schema_root(w), regit_schema_root(r), bytes, n, NULL);

	assert_int_equal(ea, eb);
	if (ea == 0) {
		char *ta = dump(a), *tb = dump(b);

		assert_string_equal(ta, tb);
		free(ta);
		free(tb);
	} else {
		assert_null(a);
	}
	json_decref(a);
	json_decref(b);
}

/*
 * A decoder keeps each record pair's field mapping: a writer record type
 * met twice per message (Addr), over several messages, one of them
 * malformed, reads as a fresh regit_datum_decode reads each.
 */
static void test_datum__decoder_reuse(void **state)
{
	static const char w[] = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"Addr\",\"fields\":["
		"{\"name\":\"city\",\"type\":\"string\"},{\"name\":\"zip\",\"type\":\"string\"}]}},"
		"{\"name\":\"b\",\"type\":\"Addr\"},{\"name\":\"n\",\"type\":\"int\"}]}";
	static const char r[] = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"n\",\"type\":\"long\"},"
		"{\"name\":\"b\",\"type\":{\"type\":\"record\",\"name\":\"Addr\",\"fields\":["
		"{\"name\":\"zip\",\"type\":\"string\"},{\"name\":\"city\",\"type\":\"string\"},"
		"{\"name\":\"country\",\"type\":\"string\",\"default\":\"DE\"}]}},"
		"{\"name\":\"a\",\"type\":\"Addr\"},"
		"{\"name\":\"x\",\"type\":\"int\",\"default\":7}]}";
	static const unsigned char m1[] = { 2, 'B', 2, '1', 2, 'H', 2, '2', 0x54 };
	static const unsigned char m2[] = { 0, 0, 4, 'Z', 'Z', 0, 0x01 };
	static const unsigned char bad[] = { 2, 'B', 2 };
	regit_schema *ws = parse(w), *rs = parse(r);
	regit_datum_decoder *d = NULL;
	json_t *v = NULL;
	char *text;

	(void)state;
	assert_int_equal(regit_datum_decoder_new(&d, regit_schema_root(ws), regit_schema_root(rs)), 0);
	assert_int_equal(regit_datum_decoder_decode(&v, d, m1, sizeof(m1), NULL), 0);
	text = dump(v);
	assert_string_equal(text, "{\"n\":42,\"b\":{\"zip\":\"2\",\"city\":\"H\",\"country\":\"DE\"},"
		"\"a\":{\"zip\":\"1\",\"city\":\"B\",\"country\":\"DE\"},\"x\":7}");
	free(text);
	json_decref(v);
	same_as_one_shot(d, ws, rs, m2, sizeof(m2));
	same_as_one_shot(d, ws, rs, bad, sizeof(bad));
	same_as_one_shot(d, ws, rs, m1, sizeof(m1));
	same_as_one_shot(d, ws, rs, m2, sizeof(m2));
	regit_datum_decoder_free(d);
	regit_datum_decoder_free(NULL);
	regit_schema_free(ws);
	regit_schema_free(rs);
}

/*
 * More record pairs than a decoder keeps mappings for (4096): the ones past
 * the bound are worked out per record, with the same results.
 */
static void test_datum__decoder_many_records(void **state)
{
	enum { N = 4200 };
	regit_buf wt = REGIT_BUF_INIT, rt = REGIT_BUF_INIT;
	regit_schema *ws, *rs;
	regit_datum_decoder *d = NULL;
	unsigned char *bytes = calloc(N, 1);
	json_t *v = NULL;
	size_t i;

	(void)state;
	assert_non_null(bytes);
	assert_int_equal(regit_buf_puts(&wt, "{\"type\":\"record\",\"name\":\"Top\",\"fields\":["), 0);
	assert_int_equal(regit_buf_puts(&rt, "{\"type\":\"record\",\"name\":\"Top\",\"fields\":["), 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(regit_buf_printf(&wt, "%s{\"name\":\"f%zu\",\"type\":{\"type\":"
			"\"record\",\"name\":\"R%zu\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}}",
			i ? "," : "", i, i), 0);
		assert_int_equal(regit_buf_printf(&rt, "%s{\"name\":\"f%zu\",\"type\":{\"type\":"
			"\"record\",\"name\":\"R%zu\",\"fields\":[{\"name\":\"y\",\"type\":\"long\","
			"\"default\":1},{\"name\":\"x\",\"type\":\"long\"}]}}", i ? "," : "", i, i), 0);
		bytes[i] = (unsigned char)((i % 60) * 2);
	}
	assert_int_equal(regit_buf_puts(&wt, "]}"), 0);
	assert_int_equal(regit_buf_puts(&rt, "]}"), 0);
	ws = parse(regit_buf_cstr(&wt));
	rs = parse(regit_buf_cstr(&rt));
	assert_int_equal(regit_datum_decoder_new(&d, regit_schema_root(ws), regit_schema_root(rs)), 0);
	same_as_one_shot(d, ws, rs, bytes, N);
	same_as_one_shot(d, ws, rs, bytes, N);
	assert_int_equal(regit_datum_decoder_decode(&v, d, bytes, N, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "f4199"), "x")),
		4199 % 60);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "f4199"), "y")), 1);
	json_decref(v);
	regit_datum_decoder_free(d);
	regit_schema_free(ws);
	regit_schema_free(rs);
	regit_buf_dispose(&wt);
	regit_buf_dispose(&rt);
	free(bytes);
}

/* Every allocation failing in turn: no leak, no crash, REGIT_ENOMEM or success. */
static void test_datum__allocation_failures(void **state)
{
	static const char w[] = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"bytes\"}},"
		"{\"name\":\"u\",\"type\":[\"null\",\"string\"]}]}";
	static const char r[] = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"u\",\"type\":[\"null\",\"string\"]},"
		"{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"bytes\"}},"
		"{\"name\":\"d\",\"type\":[\"int\",\"null\"],\"default\":3}]}";
	regit_schema *ws = parse(w), *rs = parse(r);
	unsigned char bytes[] = { 0x04, 0x02, 0xff, 0x00, 0x00, 0x02, 0x02, 'x' };
	json_t *v = NULL;
	long k;
	int error = -1;

	(void)state;
	for (k = 0; k < 200; k++) {
		regit_alloc_fail_after(k);
		error = regit_datum_decode(&v, regit_schema_root(ws), regit_schema_root(rs), bytes,
			sizeof(bytes), NULL);
		regit_alloc_fail_after(-1);
		if (error == 0)
			break;
		assert_int_equal(error, REGIT_ENOMEM);
		assert_null(v);
	}
	assert_int_equal(error, 0);
	json_decref(v);
	regit_schema_free(ws);
	regit_schema_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datum__primitives),
		cmocka_unit_test(test_datum__complex),
		cmocka_unit_test(test_datum__promotions),
		cmocka_unit_test(test_datum__promotions_strings),
		cmocka_unit_test(test_datum__defaults_and_aliases),
		cmocka_unit_test(test_datum__enums),
		cmocka_unit_test(test_datum__union_changes),
		cmocka_unit_test(test_datum__hostile),
		cmocka_unit_test(test_datum__error_paths),
		cmocka_unit_test(test_datum__unframe),
		cmocka_unit_test(test_datum__allocation_failures),
		cmocka_unit_test(test_datum__decoder_reuse),
		cmocka_unit_test(test_datum__decoder_many_records),
	};

	regit_alloc_install_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
