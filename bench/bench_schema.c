/*
 * bench_schema.c - throughput of the schema model: parse, Parsing
 * Canonical Form, Rabin and SHA-256 fingerprints.
 *
 * These run on every registration and lookup in the registry (parse,
 * canonicalise, fingerprint to find an existing version), so their cost
 * per schema bounds the registry's write rate. Inputs: the example event
 * schemas, the Avro test schemas, and a generated 1,000-field record as a
 * stand-in for the largest schemas seen in practice. Each operation is
 * repeated for a fixed CPU-time budget and reported per op; there are no
 * thresholds.
 */
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define BENCH_MAX_CASES 64
#define WIDE_FIELDS 1000

typedef struct bench_case {
	char name[64];
	char *text;            /* owned */
	size_t len;
	regit_schema *schema;  /* owned; parsed once for the non-parse ops */
} bench_case;

typedef enum { OP_PARSE, OP_CANONICAL, OP_RABIN, OP_SHA256, OP_ALL, OP_COUNT } bench_op;

static const char *const op_names[OP_COUNT] = {
	"parse", "canonical", "rabin", "sha256", "parse+canon+fp"
};

/* Defeats dead-code elimination of the fingerprint loops. */
static volatile uint64_t bench_sink;

/*
 * CPU time of this thread, not wall time: the machine is shared, and a
 * single-threaded CPU-bound loop should not be charged for other
 * processes' time slices.
 */
static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_once(bench_case *c, bench_op op, regit_buf *buf)
{
	regit_schema *s = NULL;
	unsigned char sha[32];
	int error = 0;

	switch (op) {
	case OP_PARSE:
		error = regit_schema_parse(&s, c->text, c->len, NULL, NULL);
		regit_schema_free(s);
		break;
	case OP_CANONICAL:
		regit_buf_clear(buf);
		error = regit_schema_canonical(c->schema, buf);
		break;
	case OP_RABIN:
		bench_sink ^= regit_schema_fingerprint_rabin(c->schema);
		break;
	case OP_SHA256:
		error = regit_schema_fingerprint_sha256(c->schema, sha);
		bench_sink ^= sha[0];
		break;
	case OP_ALL:
		/* What registering a schema costs before any storage. */
		error = regit_schema_parse(&s, c->text, c->len, NULL, NULL);
		if (error == 0) {
			regit_buf_clear(buf);
			error = regit_schema_canonical(s, buf);
		}
		if (error == 0)
			error = regit_schema_fingerprint_sha256(s, sha);
		if (error == 0)
			bench_sink ^= regit_schema_fingerprint_rabin(s);
		regit_schema_free(s);
		break;
	default:
		break;
	}
	return error;
}

/* Seconds per op: repeat in growing batches until `budget` seconds pass. */
static double bench_measure(bench_case *c, bench_op op, double budget, regit_buf *buf)
{
	double start = bench_now(), elapsed = 0;
	unsigned long n = 0, batch = 1, i;

	while (elapsed < budget) {
		for (i = 0; i < batch; i++) {
			if (bench_once(c, op, buf) < 0) {
				fprintf(stderr, "%s: %s: %s\n", c->name, op_names[op],
					regit_error_message());
				return -1;
			}
		}
		n += batch;
		if (batch < (1ul << 20))
			batch *= 2;
		elapsed = bench_now() - start;
	}
	return elapsed / (double)n;
}

/* A wide record with a mix of field shapes, as large schemas tend to be. */
static int bench_make_wide(bench_case *c)
{
	static const char *const shapes[] = {
		"\"long\"",
		"\"string\"",
		"{\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}",
		"[\"null\", \"string\"], \"default\": null",
		"{\"type\": \"array\", \"items\": \"int\"}, \"default\": []",
		"\"double\", \"default\": 0.0",
		"{\"type\": \"map\", \"values\": \"string\"}",
		"\"boolean\", \"default\": false",
	};
	regit_buf buf = REGIT_BUF_INIT;
	int error = 0;
	int i;

	error = regit_buf_puts(&buf, "{\"type\": \"record\", \"name\": \"Wide\", "
		"\"namespace\": \"bench.wide\", \"doc\": \"1,000 fields\", \"fields\": [\n");
	for (i = 0; error == 0 && i < WIDE_FIELDS; i++)
		error = regit_buf_printf(&buf,
			"  {\"name\": \"field_%04d\", \"doc\": \"Field number %d.\", \"type\": %s}%s\n",
			i, i, shapes[i % (int)(sizeof(shapes) / sizeof(shapes[0]))],
			i + 1 < WIDE_FIELDS ? "," : "");
	if (error == 0)
		error = regit_buf_puts(&buf, "]}\n");
	if (error < 0) {
		regit_buf_dispose(&buf);
		return error;
	}
	snprintf(c->name, sizeof(c->name), "wide record (%d fields)", WIDE_FIELDS);
	c->len = buf.size;
	c->text = regit_buf_detach(&buf);
	return c->text ? 0 : REGIT_ENOMEM;
}

static int bench_load(bench_case *cases, size_t *ncases)
{
	static const char *const patterns[] = {
		"schemas/*.avsc", "schemas/versions/*.avsc", "tests/data/avro/*.avsc"
	};
	size_t p, i;

	for (p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		glob_t g;

		if (glob(patterns[p], 0, NULL, &g) != 0)
			continue;
		for (i = 0; i < g.gl_pathc && *ncases < BENCH_MAX_CASES - 1; i++) {
			bench_case *c = &cases[*ncases];
			regit_buf buf = REGIT_BUF_INIT;

			if (regit_buf_read_file(&buf, g.gl_pathv[i]) < 0) {
				fprintf(stderr, "%s: %s\n", g.gl_pathv[i], regit_error_message());
				regit_buf_dispose(&buf);
				continue;
			}
			snprintf(c->name, sizeof(c->name), "%s", g.gl_pathv[i]);
			c->len = buf.size;
			c->text = regit_buf_detach(&buf);
			if (c->text)
				(*ncases)++;
		}
		globfree(&g);
	}
	return bench_make_wide(&cases[(*ncases)++]);
}

int main(void)
{
	static bench_case cases[BENCH_MAX_CASES];
	regit_buf buf = REGIT_BUF_INIT;
	size_t ncases = 0, i;
	double budget = getenv("BENCH_QUICK") ? 0.02 : 0.25;
	int status = 0;
	int op;

	if (bench_load(cases, &ncases) < 0) {
		fprintf(stderr, "bench_schema: %s\n", regit_error_message());
		return 1;
	}

	printf("schema model, CPU time per operation (microseconds; parse also MB/s)\n");
	printf("%-42s %7s %9s %7s %9s %9s %9s %14s\n", "schema", "bytes", "parse",
		"MB/s", "canonical", "rabin", "sha256", "parse+canon+fp");
	for (i = 0; i < ncases; i++) {
		bench_case *c = &cases[i];
		regit_schema_error err;
		double t[OP_COUNT];

		if (regit_schema_parse(&c->schema, c->text, c->len, NULL, &err) < 0) {
			printf("%-42s %7zu  does not parse: %s\n", c->name, c->len, err.message);
			status = 1;
			continue;
		}
		for (op = 0; op < OP_COUNT; op++) {
			t[op] = bench_measure(c, (bench_op)op, budget, &buf);
			if (t[op] < 0)
				status = 1;
		}
		printf("%-42s %7zu %9.2f %7.1f %9.2f %9.2f %9.2f %14.2f\n", c->name, c->len,
			t[OP_PARSE] * 1e6, (double)c->len / t[OP_PARSE] / 1e6,
			t[OP_CANONICAL] * 1e6, t[OP_RABIN] * 1e6, t[OP_SHA256] * 1e6,
			t[OP_ALL] * 1e6);
	}

	for (i = 0; i < ncases; i++) {
		regit_schema_free(cases[i].schema);
		regit_free(cases[i].text);
	}
	regit_buf_dispose(&buf);
	return status;
}
