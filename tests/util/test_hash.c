/*
 * test_hash.c - util/hash: FNV-1a against the published test vectors, the
 * string and byte forms agreeing, and the pointer mix spreading aligned
 * pointers over the low bits a table masks with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/hash.h"

static void test_hash__fnv1a_vectors(void **state)
{
	/* From the FNV reference test suite (64-bit FNV-1a). */
	static const struct { const char *s; uint64_t h; } v[] = {
		{ "", 0xcbf29ce484222325ULL },
		{ "a", 0xaf63dc4c8601ec8cULL },
		{ "foobar", 0x85944171f73967e8ULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_true(regit_hash_str(v[i].s) == v[i].h);
		assert_true(regit_hash_fnv1a(REGIT_FNV1A_BASIS, v[i].s, strlen(v[i].s)) == v[i].h);
	}
	/* Continuing from a previous value hashes the concatenation. */
	assert_true(regit_hash_fnv1a(regit_hash_str("foo"), "bar", 3) == regit_hash_str("foobar"));
}

static void test_hash__pointer_mix_spreads(void **state)
{
	static uint64_t cells[64];
	unsigned seen[64] = { 0 };
	size_t i, distinct = 0;

	(void)state;
	/* 64 neighbouring 8-byte-aligned pointers over 64 slots: a good mix
	 * fills most of them (the raw addresses would share the low 3 bits). */
	for (i = 0; i < 64; i++)
		seen[regit_hash_ptrs(&cells[i], NULL, 0) & 63]++;
	for (i = 0; i < 64; i++)
		distinct += seen[i] != 0;
	assert_true(distinct >= 32);
	/* The second pointer and the tag count. */
	assert_true(regit_hash_ptrs(&cells[0], &cells[1], 0) != regit_hash_ptrs(&cells[1], &cells[0], 0));
	assert_true(regit_hash_ptrs(&cells[0], &cells[1], 0) != regit_hash_ptrs(&cells[0], &cells[1], 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash__fnv1a_vectors),
		cmocka_unit_test(test_hash__pointer_mix_spreads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
