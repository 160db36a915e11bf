/*
 * test_map.c - util/map: the shared hash and hash table, checked against a
 * plain array over random insertions and removals (forced collisions
 * included, so backward-shift deletion is exercised across wrap-around).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/map.h"

typedef struct item {
	int key;
	int live;
} item;

static int item_eq(const void *val, const void *key)
{
	return ((const item *)val)->key == *(const int *)key;
}

static void test_map__hash_is_fnv1a_mixed(void **state)
{
	(void)state;
	/* Equal inputs, equal hashes; the empty string is not 0; one byte
	 * changes the low bits (which choose the slot). */
	assert_int_equal(regit_hash("abc", 3), regit_hash("abc", 3));
	assert_true(regit_hash("", 0) != 0);
	assert_true((regit_hash("abc", 3) & 0xff) != (regit_hash("abd", 3) & 0xff) ||
		(regit_hash("abc", 3) >> 8) != (regit_hash("abd", 3) >> 8));
}

static void test_map__empty_map(void **state)
{
	regit_map m = { 0 };
	int k = 1;

	(void)state;
	assert_null(regit_map_get(&m, 7, item_eq, &k));
	regit_map_remove(&m, 7, &k);   /* no-op on an empty map */
	regit_map_dispose(&m);
}

/* Hashes with only 3 distinct values: long probe runs that wrap around. */
static uint64_t bad_hash(int key)
{
	return (uint64_t)(key % 3) * 21 + 60;   /* near the end of 64 slots */
}

static void check_against_array(int collide)
{
	enum { N = 500 };
	static item items[N];
	regit_map m = { 0 };
	uint32_t rng = 12345;
	int i, step;

	memset(items, 0, sizeof(items));
	for (i = 0; i < N; i++)
		items[i].key = i * 7 + 1;
	for (step = 0; step < 20000; step++) {
		int j;
		uint64_t h;

		rng = rng * 1103515245u + 12345u;
		j = (int)((rng >> 8) % N);
		h = collide ? bad_hash(items[j].key) : regit_hash(&items[j].key, sizeof(int));
		if (items[j].live) {
			regit_map_remove(&m, h, &items[j]);
			items[j].live = 0;
		} else {
			assert_int_equal(regit_map_reserve(&m), 0);
			regit_map_put(&m, h, &items[j]);
			items[j].live = 1;
		}
		if (step % 97 == 0) {
			size_t live = 0;

			for (i = 0; i < N; i++) {
				uint64_t hi = collide ? bad_hash(items[i].key) :
					regit_hash(&items[i].key, sizeof(int));
				item *got = regit_map_get(&m, hi, item_eq, &items[i].key);

				live += (size_t)items[i].live;
				if (items[i].live)
					assert_ptr_equal(got, &items[i]);
				else
					assert_null(got);
			}
			assert_int_equal(m.n, live);
			assert_true(m.cap >= 2 * m.n);
		}
	}
	regit_map_dispose(&m);
	assert_null(m.slots);
	assert_int_equal(m.n, 0);
}

static void test_map__random_ops_match_an_array(void **state)
{
	(void)state;
	check_against_array(0);
}

static void test_map__collisions_and_wraparound(void **state)
{
	(void)state;
	check_against_array(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map__hash_is_fnv1a_mixed),
		cmocka_unit_test(test_map__empty_map),
		cmocka_unit_test(test_map__random_ops_match_an_array),
		cmocka_unit_test(test_map__collisions_and_wraparound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
