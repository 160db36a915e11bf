/*
 * bench_compat.c - cost of the compatibility checker.
 *
 * The checker runs on every registration (against one or every earlier
 * version of the subject) and on every `regit check` in CI, so it must be
 * cheap next to parsing. Cases:
 *  - a 1,000-field record and its next version (one field widened int ->
 *    long, one optional field added), at the levels people use;
 *  - 1,000 versions of a subject where each version added one optional
 *    field to a 20-field record (the newest has 1,019 fields), checked
 *    BACKWARD_TRANSITIVE and FULL_TRANSITIVE: the worst case for history;
 *  - 1,000 versions of a steady 20-field record (only docs change).
 * Schemas are parsed once, outside the timing; each check is repeated for a
 * CPU-time budget and reported per check. There are no thresholds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat/compat.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define WIDE_FIELDS 1000
#define VERSIONS 1000
#define BASE_FIELDS 20

static volatile size_t bench_sink;

/* This thread's CPU time: the machine is shared. */
static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static regit_schema *bench_parse(const char *text)
{
	regit_schema *s = NULL;
	regit_schema_error err;

	if (regit_schema_parse(&s, text, strlen(text), NULL, &err) < 0) {
		fprintf(stderr, "bench_compat: schema does not parse: %s (at %s)\n",
			err.message, err.path);
		exit(1);
	}
	return s;
}

/*
 * A record with `n` fields of assorted types (every tenth a nested record,
 * others primitives, optional unions, enums, arrays, maps). `widen` turns
 * field 1 from int into long; `extra` adds optional fields at the end;
 * `doc` sets the record doc (so steady versions differ as text).
 */
static char *bench_record(size_t n, int widen, size_t extra, size_t doc)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i;
	int error;

	error = regit_buf_printf(&b, "{\"type\":\"record\",\"name\":\"Wide\",\"namespace\":\"bench\","
		"\"doc\":\"v%zu\",\"fields\":[", doc);
	for (i = 0; i < n + extra && error == 0; i++) {
		const char *sep = i ? "," : "";

		if (i >= n)
			error = regit_buf_printf(&b, "%s{\"name\":\"extra%zu\",\"type\":[\"null\",\"string\"],\"default\":null}",
				sep, i - n);
		else if (i == 1)
			error = regit_buf_printf(&b, "%s{\"name\":\"f1\",\"type\":\"%s\"}", sep, widen ? "long" : "int");
		else if (i % 10 == 0)
			error = regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":{\"type\":\"record\",\"name\":\"N%zu\","
				"\"fields\":[{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null}]}}",
				sep, i, i);
		else if (i % 10 == 3)
			error = regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":[\"null\",\"string\"],\"default\":null}", sep, i);
		else if (i % 10 == 5)
			error = regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":{\"type\":\"enum\",\"name\":\"E%zu\","
				"\"symbols\":[\"A\",\"B\",\"C\"]}}", sep, i, i);
		else if (i % 10 == 7)
			error = regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":{\"type\":\"array\",\"items\":\"string\"}}", sep, i);
		else if (i % 10 == 9)
			error = regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":{\"type\":\"map\",\"values\":\"double\"}}", sep, i);
		else
			error = regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":\"%s\"}", sep, i,
				i % 2 ? "string" : "int");
	}
	if (error == 0)
		error = regit_buf_puts(&b, "]}");
	if (error < 0) {
		fprintf(stderr, "bench_compat: %s\n", regit_error_message());
		exit(1);
	}
	return regit_buf_detach(&b);
}

/* Time check(next, old[0..nold)) for about `budget` seconds of CPU. */
static void bench_run(const char *name, const regit_schema *next, const regit_schema *const *old,
	size_t nold, regit_compat_level level, regit_compat_rules rules, double budget, int expect)
{
	double start = bench_now(), now, best = 1e9;
	size_t iters = 0;

	do {
		regit_compat_result r = REGIT_COMPAT_RESULT_INIT;
		double t0 = bench_now(), t1;

		if (regit_compat_check(next, old, nold, level, rules, &r) < 0) {
			fprintf(stderr, "bench_compat: %s: %s\n", name, regit_error_message());
			exit(1);
		}
		t1 = bench_now();
		if (t1 - t0 < best)
			best = t1 - t0;
		if (r.compatible != expect) {
			fprintf(stderr, "bench_compat: %s: unexpected verdict %d (%s)\n", name, r.compatible,
				r.nfindings ? r.findings[0].message : "-");
			exit(1);
		}
		bench_sink += r.nfindings;
		regit_compat_result_dispose(&r);
		iters++;
		now = bench_now();
	} while (now - start < budget);
	printf("%-58s %-22s %-6s %10.1f %10.1f %8zu\n", name, regit_compat_level_name(level),
		rules == REGIT_RULES_AVRO ? "avro" : "strict",
		(now - start) / (double)iters * 1e6, best * 1e6, iters);
}

int main(void)
{
	double budget = getenv("BENCH_QUICK") ? 0.05 : 1.0;
	regit_schema *wide_old, *wide_new, **grow, **steady;
	const regit_schema **old;
	char *text;
	size_t i;

	regit_alloc_install_json();
	text = bench_record(WIDE_FIELDS, 0, 0, 0);
	wide_old = bench_parse(text);
	regit_free(text);
	text = bench_record(WIDE_FIELDS, 1, 1, 1);
	wide_new = bench_parse(text);
	regit_free(text);

	grow = calloc(VERSIONS + 1, sizeof(*grow));
	steady = calloc(VERSIONS + 1, sizeof(*steady));
	old = calloc(VERSIONS, sizeof(*old));
	if (!grow || !steady || !old)
		return 1;
	/* grow[0] is the new schema; grow[k] the k-th newest old version. */
	for (i = 0; i <= VERSIONS; i++) {
		text = bench_record(BASE_FIELDS, 0, VERSIONS - i, i);
		grow[i] = bench_parse(text);
		regit_free(text);
		text = bench_record(BASE_FIELDS, 0, 0, i);
		steady[i] = bench_parse(text);
		regit_free(text);
	}

	printf("%-58s %-22s %-6s %10s %10s %8s\n", "case", "level", "rules",
		"us/check", "best us", "checks");
	bench_run("1,000-field record, next version", wide_new, (const regit_schema *const *)&wide_old, 1,
		REGIT_LEVEL_BACKWARD, REGIT_RULES_AVRO, budget, 1);
	bench_run("1,000-field record, next version", wide_new, (const regit_schema *const *)&wide_old, 1,
		REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT, budget, 1);
	bench_run("1,000-field record, next version (int->long: FORWARD fails)", wide_new,
		(const regit_schema *const *)&wide_old, 1, REGIT_LEVEL_FULL, REGIT_RULES_STRICT, budget, 0);

	for (i = 0; i < VERSIONS; i++)
		old[i] = grow[i + 1];
	bench_run("1,000 versions, each adds a field (20 -> 1,019 fields)", grow[0], old, VERSIONS,
		REGIT_LEVEL_BACKWARD_TRANSITIVE, REGIT_RULES_AVRO, budget, 1);
	bench_run("1,000 versions, each adds a field (20 -> 1,019 fields)", grow[0], old, VERSIONS,
		REGIT_LEVEL_BACKWARD_TRANSITIVE, REGIT_RULES_STRICT, budget, 1);
	bench_run("1,000 versions, each adds a field (20 -> 1,019 fields)", grow[0], old, VERSIONS,
		REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT, budget, 1);
	for (i = 0; i < VERSIONS; i++)
		old[i] = steady[i + 1];
	bench_run("1,000 versions of a 20-field record", steady[0], old, VERSIONS,
		REGIT_LEVEL_BACKWARD_TRANSITIVE, REGIT_RULES_AVRO, budget, 1);
	bench_run("1,000 versions of a 20-field record", steady[0], old, VERSIONS,
		REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT, budget, 1);

	for (i = 0; i <= VERSIONS; i++) {
		regit_schema_free(grow[i]);
		regit_schema_free(steady[i]);
	}
	free(grow);
	free(steady);
	free(old);
	regit_schema_free(wide_old);
	regit_schema_free(wide_new);
	return (int)(bench_sink & 0);
}
