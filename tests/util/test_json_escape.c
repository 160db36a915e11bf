/*
 * test_json_escape.c - util/json_escape: the one JSON string escaper.
 * Every byte's escape, runs passed through whole, an emit failure stops
 * the output, and the buffer helper and the schema printer (two of its
 * users) write the same text for the same string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json_escape.h"

typedef struct sink {
	char out[4096];
	size_t len, calls, fail_at;   /* fail_at: 1-based call that fails, 0 never */
} sink;

static int sink_emit(const char *data, size_t len, void *payload)
{
	sink *s = payload;

	s->calls++;
	if (s->fail_at && s->calls == s->fail_at)
		return -7;
	assert_true(s->len + len < sizeof(s->out));
	memcpy(s->out + s->len, data, len);
	s->len += len;
	s->out[s->len] = '\0';
	return 0;
}

static const char *escape(sink *s, const char *in, size_t len)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(regit_json_escape(in, len, sink_emit, s), 0);
	return s->out;
}

static void test_json_escape__every_byte(void **state)
{
	sink s;
	char in[2], want[16];
	unsigned c;

	(void)state;
	for (c = 0; c < 256; c++) {
		in[0] = (char)c;
		switch (c) {
		case '"': snprintf(want, sizeof(want), "\"\\\"\""); break;
		case '\\': snprintf(want, sizeof(want), "\"\\\\\""); break;
		case '\b': snprintf(want, sizeof(want), "\"\\b\""); break;
		case '\t': snprintf(want, sizeof(want), "\"\\t\""); break;
		case '\n': snprintf(want, sizeof(want), "\"\\n\""); break;
		case '\f': snprintf(want, sizeof(want), "\"\\f\""); break;
		case '\r': snprintf(want, sizeof(want), "\"\\r\""); break;
		default:
			if (c < 0x20)
				snprintf(want, sizeof(want), "\"\\u00%02X\"", c);
			else
				snprintf(want, sizeof(want), "\"%c\"", (char)c);
		}
		if (strcmp(escape(&s, in, 1), want) != 0)
			fail_msg("byte 0x%02x: got %s, want %s", c, s.out, want);
	}
	/* Upper-case hex, as Jackson (Avro Java, Confluent) writes it. */
	assert_string_equal(escape(&s, "\x1f\x0b", 2), "\"\\u001F\\u000B\"");
	/* NUL inside the length is data. */
	assert_string_equal(escape(&s, "a\0b", 3), "\"a\\u0000b\"");
	assert_string_equal(escape(&s, "", 0), "\"\"");
}

static void test_json_escape__runs_in_one_call(void **state)
{
	sink s;

	(void)state;
	/* quote, run "plain text", escape, run "more", quote */
	assert_string_equal(escape(&s, "plain text\nmore", 15), "\"plain text\\nmore\"");
	assert_int_equal(s.calls, 5);
	/* UTF-8 passes unchanged. */
	assert_string_equal(escape(&s, "\xc3\xa9\xe2\x82\xac", 5), "\"\xc3\xa9\xe2\x82\xac\"");
	assert_int_equal(s.calls, 3);
}

static void test_json_escape__emit_failure_stops(void **state)
{
	sink s;
	size_t k;

	(void)state;
	for (k = 1; k <= 5; k++) {
		memset(&s, 0, sizeof(s));
		s.fail_at = k;
		assert_int_equal(regit_json_escape("ab\ncd", 5, sink_emit, &s), -7);
		assert_int_equal(s.calls, k);
	}
}

/* The buffer helper and the schema printer write a doc string alike. */
static void test_json_escape__users_agree(void **state)
{
	const char doc[] = "tab\t quote\" ctl\x01\x1f\x7f end";
	regit_buf json = REGIT_BUF_INIT, esc = REGIT_BUF_INIT, printed = REGIT_BUF_INIT;
	regit_schema *s = NULL;
	regit_schema_error err;

	(void)state;
	assert_int_equal(regit_buf_put_json_string(&esc, doc, sizeof(doc) - 1), 0);
	assert_int_equal(regit_buf_printf(&json,
		"{\"type\":\"record\",\"name\":\"R\",\"doc\":%s,\"fields\":[]}", esc.ptr), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(regit_schema_parse(&s, json.ptr, json.size, NULL, &err), 0);
	assert_int_equal(regit_schema_print(s, REGIT_PRINT_COMPACT, &printed), 0);
	assert_non_null(strstr(printed.ptr, esc.ptr));
	assert_non_null(strstr(esc.ptr, "\\u0001\\u001F"));
	regit_schema_free(s);
	regit_buf_dispose(&json);
	regit_buf_dispose(&esc);
	regit_buf_dispose(&printed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escape__every_byte),
		cmocka_unit_test(test_json_escape__runs_in_one_call),
		cmocka_unit_test(test_json_escape__emit_failure_stops),
		cmocka_unit_test(test_json_escape__users_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
