/*
 * compat_fuzzer.c - libFuzzer target for the compatibility checker.
 *
 * Input: two schemas separated by the first NUL byte (no NUL: the same
 * text twice). Every schema that parses must be compatible with itself at
 * every level, under both rule sets (a schema always reads its own data;
 * the strict rules cannot fire when nothing changed). For two schemas the
 * checker must return (REGIT_ELIMIT is an answer too), its verdict must
 * agree with its findings, every path must be a JSON pointer, and the FULL
 * verdict under Avro rules must be the conjunction of the two can_read
 * verdicts. Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/compat.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	regit_alloc_install_json();
	return 0;
}

static void fuzz_consistent(const regit_compat_result *r)
{
	size_t i;

	if (r->compatible != (r->nfindings == 0 && r->nomitted == 0)) {
		fprintf(stderr, "verdict %d disagrees with %zu findings\n", r->compatible, r->nfindings);
		abort();
	}
	for (i = 0; i < r->nfindings; i++) {
		const regit_finding *f = &r->findings[i];

		if (!f->rule || !f->path || !f->message || !f->message[0] ||
		    (f->path[0] && f->path[0] != '/') ||
		    (f->old_path && f->old_path[0] && f->old_path[0] != '/')) {
			fprintf(stderr, "malformed finding %zu\n", i);
			abort();
		}
	}
}

/* @return the verdict, or -1 when the checker gave up (REGIT_ELIMIT) */
static int fuzz_check(const regit_schema *n, const regit_schema *o,
	regit_compat_level level, regit_compat_rules rules)
{
	regit_compat_result r = REGIT_COMPAT_RESULT_INIT;
	const regit_schema *old[] = { o, n };
	int error, verdict;

	error = regit_compat_check(n, old, 2, level, rules, &r);
	if (error < 0 && error != REGIT_ELIMIT) {
		fprintf(stderr, "check failed: %s\n", regit_error_message());
		abort();
	}
	verdict = error < 0 ? -1 : r.compatible;
	if (error == 0)
		fuzz_consistent(&r);
	regit_compat_result_dispose(&r);
	return verdict;
}

static int fuzz_can_read(const regit_schema *reader, const regit_schema *writer)
{
	regit_compat_result r = REGIT_COMPAT_RESULT_INIT;
	int error, verdict;

	error = regit_compat_can_read(reader, writer, &r);
	if (error < 0 && error != REGIT_ELIMIT) {
		fprintf(stderr, "can_read failed: %s\n", regit_error_message());
		abort();
	}
	verdict = error < 0 ? -1 : r.compatible;
	if (error == 0)
		fuzz_consistent(&r);
	regit_compat_result_dispose(&r);
	return verdict;
}

static void fuzz_self(const regit_schema *s)
{
	if (fuzz_can_read(s, s) == 0 ||
	    fuzz_check(s, s, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT) == 0) {
		fprintf(stderr, "a schema cannot read itself\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t alen = nul ? (size_t)(nul - data) : size;
	const char *btext = nul ? (const char *)nul + 1 : (const char *)data;
	size_t blen = nul ? size - alen - 1 : size;
	regit_schema *a = NULL, *b = NULL;
	regit_schema_error err;
	int full, ab, ba;

	if (regit_schema_parse(&a, (const char *)data, alen, NULL, &err) < 0)
		goto done;
	fuzz_self(a);
	if (!nul || regit_schema_parse(&b, btext, blen, NULL, &err) < 0)
		goto done;
	fuzz_self(b);
	fuzz_check(a, b, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT);
	fuzz_check(b, a, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT);
	full = fuzz_check(a, b, REGIT_LEVEL_FULL, REGIT_RULES_AVRO);
	ab = fuzz_can_read(a, b);
	ba = fuzz_can_read(b, a);
	if (full >= 0 && ab >= 0 && ba >= 0 && full != (ab && ba)) {
		fprintf(stderr, "FULL (%d) is not BACKWARD and FORWARD (%d, %d)\n", full, ab, ba);
		abort();
	}
done:
	regit_schema_free(a);
	regit_schema_free(b);
	return 0;
}
