/*
 * test_cpu.c - util/cpu counts the CPUs of the affinity mask, so a process
 * confined by taskset or a cpuset sizes its thread pools to what it has.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "util/cpu.h"

static void test_cpu__counts_the_affinity_mask(void **state)
{
	cpu_set_t all, one;
	int first = -1, i;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(regit_cpu_count(), (unsigned)CPU_COUNT(&all));
	for (i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &all))
			first = i;
	assert_true(first >= 0);
	/* Confined to one CPU, as `taskset -c N` would. */
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(regit_cpu_count(), 1);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(regit_cpu_count(), (unsigned)CPU_COUNT(&all));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu__counts_the_affinity_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
