/*
 * test_buf.c - util/buf: bounded growth, JSON escaping, failure atomicity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

static void test_buf__append_and_detach(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;
	char *s;

	(void)state;
	assert_string_equal(regit_buf_cstr(&buf), "");
	assert_int_equal(regit_buf_puts(&buf, "hello"), 0);
	assert_int_equal(regit_buf_putc(&buf, ' '), 0);
	assert_int_equal(regit_buf_printf(&buf, "%d-%s", 42, "x"), 0);
	assert_string_equal(regit_buf_cstr(&buf), "hello 42-x");
	assert_int_equal(buf.size, 10);
	s = regit_buf_detach(&buf);
	assert_string_equal(s, "hello 42-x");
	assert_null(buf.ptr);
	regit_free(s);
}

static void test_buf__limit_is_enforced_and_atomic(void **state)
{
	regit_buf buf;

	(void)state;
	regit_buf_init(&buf, 8);
	assert_int_equal(regit_buf_puts(&buf, "12345678"), 0);
	assert_int_equal(regit_buf_putc(&buf, '9'), REGIT_ELIMIT);
	assert_string_equal(regit_buf_cstr(&buf), "12345678");
	regit_buf_clear(&buf);
	assert_int_equal(regit_buf_printf(&buf, "%s", "too long for it"), REGIT_ELIMIT);
	assert_string_equal(regit_buf_cstr(&buf), "");
	regit_buf_dispose(&buf);
}

static void test_buf__json_string_escapes(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;
	const char in[] = "a\"b\\c\n\x01\xc3\xa9";

	(void)state;
	assert_int_equal(regit_buf_put_json_string(&buf, in, sizeof(in) - 1), 0);
	assert_string_equal(regit_buf_cstr(&buf), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
	regit_buf_dispose(&buf);
}

static void test_buf__json_string_failure_rolls_back(void **state)
{
	regit_buf buf;

	(void)state;
	regit_buf_init(&buf, 6);
	assert_int_equal(regit_buf_puts(&buf, "ab"), 0);
	assert_int_equal(regit_buf_put_json_string(&buf, "\n\n\n", 3), REGIT_ELIMIT);
	assert_string_equal(regit_buf_cstr(&buf), "ab");
	regit_buf_dispose(&buf);
}

static void test_buf__oom_leaves_content(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;
	char big[200];

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(regit_buf_puts(&buf, "keep"), 0);
	regit_alloc_fail_after(0);
	assert_int_equal(regit_buf_put(&buf, big, sizeof(big)), REGIT_ENOMEM);
	regit_alloc_fail_after(-1);
	assert_string_equal(regit_buf_cstr(&buf), "keep");
	assert_string_equal(regit_error_message(), "out of memory");
	regit_buf_dispose(&buf);
}

static void test_buf__read_missing_file(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;

	(void)state;
	assert_int_equal(regit_buf_read_file(&buf, "/nonexistent/x.avsc"), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "/nonexistent/x.avsc"));
	regit_buf_dispose(&buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf__append_and_detach),
		cmocka_unit_test(test_buf__limit_is_enforced_and_atomic),
		cmocka_unit_test(test_buf__json_string_escapes),
		cmocka_unit_test(test_buf__json_string_failure_rolls_back),
		cmocka_unit_test(test_buf__oom_leaves_content),
		cmocka_unit_test(test_buf__read_missing_file),
	};
	return cmocka_run_group_tests_name("util/buf", tests, NULL, NULL);
}
