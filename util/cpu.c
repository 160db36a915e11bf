/*
 * cpu.c - CPUs this process may run on (see cpu.h).
 */
#include "util/cpu.h"

#include <sched.h>
#include <unistd.h>

unsigned regit_cpu_count(void)
{
	cpu_set_t set;
	long n;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		n = CPU_COUNT(&set);
		if (n > 0)
			return (unsigned)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}
