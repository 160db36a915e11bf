/*
 * test_error.c - util/error: the thread-local last error and the Confluent
 * code it carries (the registry's one error channel, issue #11).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "util/error.h"

/* A message may quote the current one: it is written into the other buffer. */
static void test_error__message_may_quote_the_current_one(void **state)
{
	(void)state;
	regit_error_set(REGIT_ERROR_STORE, "inner %d", 1);
	regit_error_set(REGIT_ERROR_STORE, "outer: %s", regit_error_message());
	assert_string_equal(regit_error_message(), "outer: inner 1");
	regit_error_set(REGIT_ERROR_STORE, "again: %s", regit_error_message());
	assert_string_equal(regit_error_message(), "again: outer: inner 1");
}

/* The code goes with the message it was set with: any other set clears it. */
static void test_error__api_code_follows_its_message(void **state)
{
	(void)state;
	regit_error_set_code(40401, "Subject '%s' not found.", "s");
	assert_int_equal(regit_error_api_code(), 40401);
	assert_string_equal(regit_error_message(), "Subject 's' not found.");
	regit_error_set(REGIT_ERROR_OS, "open: denied");
	assert_int_equal(regit_error_api_code(), 0);
	regit_error_set_code(42201, "x");
	regit_error_clear();
	assert_int_equal(regit_error_api_code(), 0);
}

/* Long messages are cut at REGIT_ERROR_MAX, never overrun. */
static void test_error__long_message_is_bounded(void **state)
{
	static char big[3 * REGIT_ERROR_MAX];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	regit_error_set_code(40901, "%s", big);
	assert_int_equal(strlen(regit_error_message()), REGIT_ERROR_MAX - 1);
}

static regit_error_saved carried;

static void *other_thread(void *arg)
{
	(void)arg;
	regit_error_set_code(40901, "Schema being registered is incompatible");
	regit_error_save(&carried);
	return NULL;
}

/* save/restore carry an outcome to the thread that waits for it (group commit). */
static void test_error__save_restore_across_threads(void **state)
{
	pthread_t t;

	(void)state;
	regit_error_set(REGIT_ERROR_STORE, "mine");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(regit_error_message(), "mine");
	regit_error_restore(&carried);
	assert_int_equal(regit_error_api_code(), 40901);
	assert_string_equal(regit_error_message(), "Schema being registered is incompatible");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error__message_may_quote_the_current_one),
		cmocka_unit_test(test_error__api_code_follows_its_message),
		cmocka_unit_test(test_error__long_message_is_bounded),
		cmocka_unit_test(test_error__save_restore_across_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
