/*
 * cpu.h - how many CPUs this process may run on.
 *
 * Thread pools size themselves by it. It is the process's affinity mask
 * (what `taskset`, cgroup cpusets and container runtimes restrict), not
 * the machine's online count: a server confined to one core gains nothing
 * from a second worker thread, and its requests then wait behind each
 * other's time slices.
 */
#ifndef REGIT_CPU_H
#define REGIT_CPU_H

/** CPUs in the calling thread's affinity mask; the online count if the
 * mask cannot be read; at least 1. */
unsigned regit_cpu_count(void);

#endif
