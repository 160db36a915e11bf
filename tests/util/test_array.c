/*
 * test_array.c - util/array: growth by doubling from a minimum capacity,
 * no allocation when there is room, overflow refused, and a failed growth
 * leaving the caller's block and capacity as they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

/* Appending one at a time: min_cap first, then doubling; contents kept. */
static void test_array__grows_by_doubling_from_min_cap(void **state)
{
	int *a = NULL, *n;
	size_t cap = 0, count, grows = 0;

	(void)state;
	for (count = 0; count < 100; count++) {
		size_t before = cap;

		n = regit_array_grow(a, &cap, count + 1, sizeof(*a), 16);
		assert_non_null(n);
		a = n;
		if (cap != before) {
			grows++;
			assert_int_equal(cap, before ? before * 2 : 16);
		}
		a[count] = (int)count;
	}
	assert_int_equal(cap, 128);
	assert_int_equal(grows, 4); /* 16, 32, 64, 128 */
	for (count = 0; count < 100; count++)
		assert_int_equal(a[count], (int)count);
	regit_free(a);
}

/* A jump past twice the capacity doubles until it fits. */
static void test_array__large_need_doubles_until_it_fits(void **state)
{
	char *a = NULL;
	size_t cap = 0;

	(void)state;
	a = regit_array_grow(a, &cap, 100, 1, 8);
	assert_non_null(a);
	assert_int_equal(cap, 128);
	a = regit_array_grow(a, &cap, 1000, 1, 8);
	assert_non_null(a);
	assert_int_equal(cap, 1024);
	regit_free(a);
}

/* A capacity already above min_cap (set by the owner) doubles from itself. */
static void test_array__capacity_above_min_doubles_from_itself(void **state)
{
	long *a = NULL;
	size_t cap = 0;

	(void)state;
	a = regit_array_grow(a, &cap, 40, sizeof(*a), 40);
	assert_non_null(a);
	assert_int_equal(cap, 40);
	a = regit_array_grow(a, &cap, 41, sizeof(*a), 16);
	assert_non_null(a);
	assert_int_equal(cap, 80);
	regit_free(a);
}

/* need <= cap allocates nothing and returns the block itself. */
static void test_array__room_left_allocates_nothing(void **state)
{
	int *a = NULL, *n;
	size_t cap = 0;
	unsigned long allocs;

	(void)state;
	a = regit_array_grow(a, &cap, 1, sizeof(*a), 4);
	assert_non_null(a);
	allocs = regit_alloc_count();
	n = regit_array_grow(a, &cap, 4, sizeof(*a), 4);
	assert_ptr_equal(n, a);
	n = regit_array_grow(a, &cap, 0, sizeof(*a), 4);
	assert_ptr_equal(n, a);
	assert_int_equal(cap, 4);
	assert_int_equal(regit_alloc_count(), allocs);
	regit_free(a);
}

/* Zero sizes: need 0 on an empty array, min_cap 0, elem 0. */
static void test_array__zero_sizes(void **state)
{
	char *a;
	size_t cap = 0;

	(void)state;
	/* Nothing needed, nothing there: NULL without an allocation. */
	assert_null(regit_array_grow(NULL, &cap, 0, 1, 16));
	assert_int_equal(cap, 0);

	/* min_cap 0 still makes progress: 1, 2, 4. */
	a = regit_array_grow(NULL, &cap, 1, 1, 0);
	assert_non_null(a);
	assert_int_equal(cap, 1);
	a = regit_array_grow(a, &cap, 3, 1, 0);
	assert_non_null(a);
	assert_int_equal(cap, 4);
	regit_free(a);

	/* Zero-sized elements: a valid (non-NULL) block, capacity counted. */
	cap = 0;
	a = regit_array_grow(NULL, &cap, 5, 0, 2);
	assert_non_null(a);
	assert_int_equal(cap, 8);
	regit_free(a);
}

/* need * elem past SIZE_MAX is refused with the OOM error; nothing moves. */
static void test_array__overflow_refused(void **state)
{
	int *a = NULL, *n;
	size_t cap = 0;

	(void)state;
	a = regit_array_grow(a, &cap, 3, sizeof(*a), 4);
	assert_non_null(a);
	a[0] = 7;
	regit_error_clear();
	n = regit_array_grow(a, &cap, SIZE_MAX / sizeof(*a) + 1, sizeof(*a), 4);
	assert_null(n);
	assert_int_equal(regit_error_last()->klass, REGIT_ERROR_NOMEMORY);
	assert_int_equal(cap, 4);
	/* Doubling past SIZE_MAX / 2 falls back to need itself, still checked. */
	n = regit_array_grow(a, &cap, SIZE_MAX, 2, 4);
	assert_null(n);
	assert_int_equal(cap, 4);
	assert_int_equal(a[0], 7);
	regit_free(a);
}

/* An injected allocation failure leaves ptr owned and valid, cap unchanged. */
static void test_array__failure_leaves_ptr_and_cap(void **state)
{
	int *a = NULL, *n;
	size_t cap = 0, i;

	(void)state;
	a = regit_array_grow(a, &cap, 16, sizeof(*a), 16);
	assert_non_null(a);
	for (i = 0; i < 16; i++)
		a[i] = (int)i;

	regit_error_clear();
	regit_alloc_fail_after(0);
	n = regit_array_grow(a, &cap, 17, sizeof(*a), 16);
	regit_alloc_fail_after(-1);
	assert_null(n);
	assert_int_equal(regit_error_last()->klass, REGIT_ERROR_NOMEMORY);
	assert_int_equal(cap, 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(a[i], (int)i);

	/* A fresh array that cannot get its first block stays empty. */
	{
		size_t c0 = 0;

		regit_alloc_fail_after(0);
		assert_null(regit_array_grow(NULL, &c0, 1, sizeof(int), 8));
		regit_alloc_fail_after(-1);
		assert_int_equal(c0, 0);
	}

	/* And the block still grows once allocation works again. */
	n = regit_array_grow(a, &cap, 17, sizeof(*a), 16);
	assert_non_null(n);
	a = n;
	assert_int_equal(cap, 32);
	assert_int_equal(a[15], 15);
	regit_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array__grows_by_doubling_from_min_cap),
		cmocka_unit_test(test_array__large_need_doubles_until_it_fits),
		cmocka_unit_test(test_array__capacity_above_min_doubles_from_itself),
		cmocka_unit_test(test_array__room_left_allocates_nothing),
		cmocka_unit_test(test_array__zero_sizes),
		cmocka_unit_test(test_array__overflow_refused),
		cmocka_unit_test(test_array__failure_leaves_ptr_and_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
