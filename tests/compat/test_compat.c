/*
 * test_compat.c - compat/compat: Avro resolution against Avro's own test
 * verdicts, each rule on its own, levels, transitivity, recursion, aliases,
 * enum defaults, promotions, the strict rules in nested places, and bounds
 * on hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/compat.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define CORPUS "tests/data/avro/avro-compat-cases.jsonl"

static regit_schema *parse(const char *json)
{
	regit_schema *s = NULL;
	regit_schema_error err;
	int error;

	memset(&err, 0, sizeof(err));
	error = regit_schema_parse(&s, json, strlen(json), NULL, &err);
	if (error < 0)
		fail_msg("schema does not parse (%s at %s): %s", err.message, err.path, json);
	return s;
}

/* Findings with this rule. */
static size_t count_rule(const regit_compat_result *r, const char *rule)
{
	size_t i, n = 0;

	for (i = 0; i < r->nfindings; i++)
		n += strcmp(r->findings[i].rule, rule) == 0;
	return n;
}

static const regit_finding *find_rule(const regit_compat_result *r, const char *rule)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].rule, rule) == 0)
			return &r->findings[i];
	return NULL;
}

/* Check new against olds (newest first) and return the verdict. */
static int check(regit_compat_result *out, regit_compat_level level, regit_compat_rules rules,
	const char *next, ...)
{
	regit_schema *n = parse(next), *old[16];
	const char *s;
	size_t nold = 0, i;
	va_list ap;
	int error;

	va_start(ap, next);
	while ((s = va_arg(ap, const char *)) != NULL && nold < 16)
		old[nold++] = parse(s);
	va_end(ap);
	error = regit_compat_check(n, (const regit_schema *const *)old, nold, level, rules, out);
	assert_int_equal(error, 0);
	for (i = 0; i < nold; i++)
		regit_schema_free(old[i]);
	regit_schema_free(n);
	return out->compatible;
}

static int can_read(regit_compat_result *out, const char *reader, const char *writer)
{
	regit_schema *r = parse(reader), *w = parse(writer);

	assert_int_equal(regit_compat_can_read(r, w, out), 0);
	regit_schema_free(r);
	regit_schema_free(w);
	return out->compatible;
}

/* ---- the corpus: Avro's Python test suite verdicts ---------------------- */

/*
 * Every verdict, and where the corpus gives one, the location of the first
 * incompatibility. The corpus' locations are Avro's: "/" is the root, and
 * for MISSING_UNION_BRANCH with a writer union the index names the writer
 * branch, which is our old_path (the reader union has no such branch).
 */
static void test_compat__avro_corpus(void **state)
{
	FILE *f = fopen(CORPUS, "r");
	char *line = NULL;
	size_t cap = 0, ncases = 0, nlocated = 0;
	ssize_t len;

	(void)state;
	assert_non_null(f);
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		json_t *c = json_loads(line, 0, &jerr);
		char *rtext, *wtext;
		regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
		const char *name, *loc;
		int expect;

		assert_non_null(c);
		name = json_string_value(json_object_get(c, "case"));
		expect = json_is_true(json_object_get(c, "compatible"));
		loc = json_string_value(json_object_get(c, "location"));
		rtext = json_dumps(json_object_get(c, "reader"), JSON_ENCODE_ANY);
		wtext = json_dumps(json_object_get(c, "writer"), JSON_ENCODE_ANY);
		can_read(&res, rtext, wtext);
		if (res.compatible != expect)
			fail_msg("%s: expected %s, got %s (%s)", name,
				expect ? "compatible" : "incompatible",
				res.compatible ? "compatible" : "incompatible",
				res.nfindings ? res.findings[0].message : "no findings");
		assert_int_equal(res.nfindings == 0, expect);
		if (loc) {
			const regit_finding *first = &res.findings[0];
			const char *want = strcmp(loc, "/") == 0 ? "" : loc;
			const char *got = first->path;

			if (strcmp(first->rule, "MISSING_UNION_BRANCH") == 0 &&
			    strcmp(got, want) != 0)
				got = first->old_path;
			if (strcmp(got, want) != 0)
				fail_msg("%s: location %s, got %s (old %s, %s)", name, loc,
					first->path, first->old_path, first->rule);
			nlocated++;
		}
		regit_compat_result_dispose(&res);
		free(rtext);
		free(wtext);
		json_decref(c);
		ncases++;
	}
	free(line);
	fclose(f);
	assert_int_equal(ncases, 131);
	assert_int_equal(nlocated, 57);
}

/* ---- Avro resolution, rule by rule -------------------------------------- */

static void test_compat__promotions(void **state)
{
	static const struct { const char *r, *w; int ok; } cases[] = {
		{ "\"long\"", "\"int\"", 1 }, { "\"float\"", "\"int\"", 1 },
		{ "\"double\"", "\"int\"", 1 }, { "\"float\"", "\"long\"", 1 },
		{ "\"double\"", "\"long\"", 1 }, { "\"double\"", "\"float\"", 1 },
		{ "\"bytes\"", "\"string\"", 1 }, { "\"string\"", "\"bytes\"", 1 },
		{ "\"int\"", "\"long\"", 0 }, { "\"long\"", "\"double\"", 0 },
		{ "\"float\"", "\"double\"", 0 }, { "\"int\"", "\"boolean\"", 0 },
		{ "\"null\"", "\"int\"", 0 }, { "\"string\"", "\"int\"", 0 },
		{ "{\"type\":\"array\",\"items\":\"long\"}", "{\"type\":\"array\",\"items\":\"int\"}", 1 },
		{ "{\"type\":\"map\",\"values\":\"int\"}", "{\"type\":\"map\",\"values\":\"long\"}", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

		if (can_read(&res, cases[i].r, cases[i].w) != cases[i].ok)
			fail_msg("reader %s writer %s", cases[i].r, cases[i].w);
		if (!cases[i].ok)
			assert_non_null(find_rule(&res, "TYPE_MISMATCH"));
		regit_compat_result_dispose(&res);
	}
}

static void test_compat__record_field_default(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	const char *w = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}";

	(void)state;
	/* A reader field the writer lacks needs a default. */
	assert_false(can_read(&res,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
		"{\"name\":\"b\",\"type\":\"string\"}]}", w));
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "READER_FIELD_MISSING_DEFAULT_VALUE");
	assert_string_equal(res.findings[0].path, "/fields/1");
	assert_non_null(strstr(res.findings[0].message, "`b`"));
	regit_compat_result_dispose(&res);
	/* ... a null default counts as a default. */
	assert_true(can_read(&res,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
		"{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null}]}", w));
	regit_compat_result_dispose(&res);
	/* A writer field the reader lacks is skipped. */
	assert_true(can_read(&res, "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}", w));
	regit_compat_result_dispose(&res);
}

static void test_compat__names_and_aliases(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

	(void)state;
	/* Unqualified names match; namespaces do not matter. */
	assert_true(can_read(&res,
		"{\"type\":\"record\",\"name\":\"a.R\",\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"b.R\",\"fields\":[]}"));
	regit_compat_result_dispose(&res);
	assert_false(can_read(&res,
		"{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}"));
	assert_string_equal(res.findings[0].rule, "NAME_MISMATCH");
	assert_string_equal(res.findings[0].path, "/name");
	regit_compat_result_dispose(&res);
	/* A reader alias names the writer's type. */
	assert_true(can_read(&res,
		"{\"type\":\"record\",\"name\":\"S\",\"aliases\":[\"R\"],\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}"));
	regit_compat_result_dispose(&res);
	/* ... but a writer alias does not make the writer readable. */
	assert_false(can_read(&res,
		"{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"R\",\"aliases\":[\"S\"],\"fields\":[]}"));
	regit_compat_result_dispose(&res);
	/*
	 * Aliases are full names (spec "Aliases", Avro Java): "b.Old" names
	 * b.Old, not c.Old. Matching aliases on their unqualified part once
	 * made `regit check` accept this pair while `regit gen --writer`
	 * refused it.
	 */
	assert_false(can_read(&res,
		"{\"type\":\"record\",\"name\":\"a.New\",\"aliases\":[\"b.Old\"],\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"c.Old\",\"fields\":[]}"));
	assert_string_equal(res.findings[0].rule, "NAME_MISMATCH");
	regit_compat_result_dispose(&res);
	assert_true(can_read(&res,
		"{\"type\":\"record\",\"name\":\"a.New\",\"aliases\":[\"b.Old\"],\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"b.Old\",\"fields\":[]}"));
	regit_compat_result_dispose(&res);
	/*
	 * A relative alias is relative to the namespace of the type that
	 * declares it, the reader's: after a namespace change n1 -> n2 the
	 * alias "Old" is n2.Old and no longer names n1.Old.
	 */
	assert_false(can_read(&res,
		"{\"type\":\"record\",\"name\":\"New\",\"namespace\":\"n2\",\"aliases\":[\"Old\"],\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"Old\",\"namespace\":\"n1\",\"fields\":[]}"));
	regit_compat_result_dispose(&res);
	assert_true(can_read(&res,
		"{\"type\":\"record\",\"name\":\"New\",\"namespace\":\"n2\",\"aliases\":[\"n1.Old\"],\"fields\":[]}",
		"{\"type\":\"record\",\"name\":\"Old\",\"namespace\":\"n1\",\"fields\":[]}"));
	regit_compat_result_dispose(&res);
	/* The same rule picks union branches: no branch reads c.Old. */
	assert_false(can_read(&res,
		"[\"null\",{\"type\":\"record\",\"name\":\"a.New\",\"aliases\":[\"b.Old\"],\"fields\":[]}]",
		"{\"type\":\"record\",\"name\":\"c.Old\",\"fields\":[]}"));
	assert_string_equal(res.findings[0].rule, "MISSING_UNION_BRANCH");
	regit_compat_result_dispose(&res);
	/* Under the strict rules, inside a union: the relative alias links nothing either. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT,
		"{\"type\":\"record\",\"name\":\"Outer\",\"fields\":[{\"name\":\"x\",\"type\":"
		"[\"null\",{\"type\":\"record\",\"name\":\"New\",\"namespace\":\"n2\",\"aliases\":[\"Old\"],"
		"\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}]}]}",
		"{\"type\":\"record\",\"name\":\"Outer\",\"fields\":[{\"name\":\"x\",\"type\":"
		"{\"type\":\"record\",\"name\":\"Old\",\"namespace\":\"n1\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}}]}",
		NULL));
	assert_non_null(find_rule(&res, "MISSING_UNION_BRANCH"));
	regit_compat_result_dispose(&res);
	/* Field aliases: the reader field reads the writer field it aliases. */
	assert_true(can_read(&res,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"aliases\":[\"a\"],\"type\":\"long\"}]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"));
	regit_compat_result_dispose(&res);
	assert_false(can_read(&res,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"aliases\":[\"a\"],\"type\":\"int\"}]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}"));
	assert_string_equal(res.findings[0].path, "/fields/0/type");
	regit_compat_result_dispose(&res);
}

static void test_compat__enums(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	const char *w = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\",\"D\"]}";

	(void)state;
	assert_false(can_read(&res, "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}", w));
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "MISSING_ENUM_SYMBOLS");
	assert_string_equal(res.findings[0].path, "/symbols");
	assert_non_null(strstr(res.findings[0].message, "`C`, `D`"));
	regit_compat_result_dispose(&res);
	/* The reader's default absorbs symbols it does not know (spec 1.11). */
	assert_true(can_read(&res,
		"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"],\"default\":\"A\"}", w));
	regit_compat_result_dispose(&res);
	/* Extra reader symbols and reordering are fine. */
	assert_true(can_read(&res,
		"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"Z\",\"D\",\"C\",\"B\",\"A\"]}", w));
	regit_compat_result_dispose(&res);
}

static void test_compat__fixed(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

	(void)state;
	assert_false(can_read(&res, "{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}",
		"{\"type\":\"fixed\",\"name\":\"F\",\"size\":5}"));
	assert_string_equal(res.findings[0].rule, "FIXED_SIZE_MISMATCH");
	assert_string_equal(res.findings[0].path, "/size");
	regit_compat_result_dispose(&res);
	assert_true(can_read(&res, "{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}",
		"{\"type\":\"fixed\",\"name\":\"x.F\",\"size\":4}"));
	regit_compat_result_dispose(&res);
}

static void test_compat__unions(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

	(void)state;
	/* Non-union writer, union reader: one branch must match. */
	assert_true(can_read(&res, "[\"null\",\"long\"]", "\"int\""));
	regit_compat_result_dispose(&res);
	assert_false(can_read(&res, "[\"null\",\"string\"]", "\"int\""));
	assert_string_equal(res.findings[0].rule, "MISSING_UNION_BRANCH");
	regit_compat_result_dispose(&res);
	/* Union writer, non-union reader: every branch must resolve. */
	assert_true(can_read(&res, "\"long\"", "[\"int\",\"long\"]"));
	regit_compat_result_dispose(&res);
	assert_false(can_read(&res, "\"long\"", "[\"int\",\"null\"]"));
	assert_string_equal(res.findings[0].rule, "TYPE_MISMATCH");
	assert_string_equal(res.findings[0].old_path, "/1");
	regit_compat_result_dispose(&res);
	/* Union to union: each writer branch finds its reader branch. */
	assert_true(can_read(&res, "[\"string\",\"null\",\"double\"]", "[\"null\",\"float\"]"));
	regit_compat_result_dispose(&res);
	/*
	 * The specification resolves a writer type against the *first*
	 * matching reader branch: here the record named R, whose field lacks
	 * a default, so the data cannot be read although the second R branch
	 * (another namespace) could. (No branch has the writer's full name.)
	 */
	assert_false(can_read(&res,
		"[{\"type\":\"record\",\"name\":\"a.R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]},"
		" {\"type\":\"record\",\"name\":\"b.R\",\"fields\":[]}]",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}"));
	assert_string_equal(res.findings[0].rule, "READER_FIELD_MISSING_DEFAULT_VALUE");
	assert_string_equal(res.findings[0].path, "/0/fields/0");
	regit_compat_result_dispose(&res);
	/* An exact full-name match comes first, so such a union reads itself. */
	assert_true(can_read(&res,
		"[{\"type\":\"record\",\"name\":\"a.R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]},"
		" {\"type\":\"record\",\"name\":\"b.R\",\"fields\":[]}]",
		"{\"type\":\"record\",\"name\":\"b.R\",\"fields\":[]}"));
	regit_compat_result_dispose(&res);
	assert_true(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT,
		"[{\"type\":\"record\",\"name\":\"a.R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]},"
		" {\"type\":\"record\",\"name\":\"b.R\",\"fields\":[]}]",
		"[{\"type\":\"record\",\"name\":\"a.R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]},"
		" {\"type\":\"record\",\"name\":\"b.R\",\"fields\":[]}]", NULL));
	regit_compat_result_dispose(&res);
	/* Exact kind first as well: an int writer picks int, not the earlier long. */
	assert_true(can_read(&res, "[\"long\",\"int\"]", "\"int\""));
	assert_int_equal(res.nfindings, 0);
	regit_compat_result_dispose(&res);
}

static void test_compat__recursive_types(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	const char *list1 = "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
		"{\"name\":\"value\",\"type\":\"int\"},"
		"{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}";
	const char *list2 = "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
		"{\"name\":\"value\",\"type\":\"long\"},"
		"{\"name\":\"next\",\"type\":[\"null\",\"Node\"]},"
		"{\"name\":\"tag\",\"type\":\"string\",\"default\":\"\"}]}";

	(void)state;
	assert_true(can_read(&res, list2, list1));
	regit_compat_result_dispose(&res);
	assert_false(can_read(&res, list1, list2));
	/* Reported once, not once per level of recursion. */
	assert_int_equal(count_rule(&res, "TYPE_MISMATCH"), 1);
	regit_compat_result_dispose(&res);
	/* Mutually recursive records terminate as well. */
	assert_true(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT,
		"{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"b\",\"type\":"
		"{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"A\"]}]}}]}",
		"{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"b\",\"type\":"
		"{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"A\"]}]}}]}",
		NULL));
	regit_compat_result_dispose(&res);
}

/* ---- levels ------------------------------------------------------------- */

#define REC_A "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"
/* v2 adds b with a default: readable both ways. */
#define REC_AB "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}," \
	"{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}]}"
/* a widened to long: new reads old, old cannot read new. */
#define REC_A_LONG "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}"

static void test_compat__levels(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

	(void)state;
	assert_true(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_AVRO, REC_A_LONG, REC_A, NULL));
	regit_compat_result_dispose(&res);
	assert_false(check(&res, REGIT_LEVEL_FORWARD, REGIT_RULES_AVRO, REC_A_LONG, REC_A, NULL));
	assert_string_equal(res.findings[0].rule, "TYPE_MISMATCH");
	/* The path is in the new schema whichever side reads. */
	assert_string_equal(res.findings[0].path, "/fields/0/type");
	assert_non_null(strstr(res.findings[0].message, "the new schema writes long"));
	regit_compat_result_dispose(&res);
	assert_false(check(&res, REGIT_LEVEL_FULL, REGIT_RULES_AVRO, REC_A_LONG, REC_A, NULL));
	regit_compat_result_dispose(&res);
	assert_true(check(&res, REGIT_LEVEL_NONE, REGIT_RULES_STRICT, "\"int\"", "\"string\"", NULL));
	assert_int_equal(res.nfindings, 0);
	regit_compat_result_dispose(&res);
	assert_true(check(&res, REGIT_LEVEL_FULL, REGIT_RULES_STRICT, REC_AB, REC_A, NULL));
	regit_compat_result_dispose(&res);
	/* Narrowing: old reads new but new cannot read old. */
	assert_true(check(&res, REGIT_LEVEL_FORWARD, REGIT_RULES_AVRO, REC_A, REC_A_LONG, NULL));
	regit_compat_result_dispose(&res);
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_AVRO, REC_A, REC_A_LONG, NULL));
	regit_compat_result_dispose(&res);
	/* No old version: the first version is always fine. */
	assert_true(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT, REC_A, NULL));
	regit_compat_result_dispose(&res);
}

static void test_compat__transitive_vs_latest(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	/* v1 a:int; v2 a:long; v3 a:int. v3 reads v2? No. Old order: v2, v1. */
	(void)state;
	/* new = long, latest = long, oldest = string: only transitive sees the string. */
	assert_true(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_AVRO,
		"\"long\"", "\"long\"", "\"string\"", NULL));
	regit_compat_result_dispose(&res);
	assert_false(check(&res, REGIT_LEVEL_BACKWARD_TRANSITIVE, REGIT_RULES_AVRO,
		"\"long\"", "\"long\"", "\"string\"", NULL));
	assert_int_equal(res.nfindings, 1);
	assert_int_equal(res.findings[0].old_index, 1);
	assert_non_null(strstr(res.findings[0].message, "old schema #2"));
	regit_compat_result_dispose(&res);
	assert_true(check(&res, REGIT_LEVEL_FORWARD, REGIT_RULES_AVRO,
		"\"int\"", "\"long\"", "\"int\"", NULL));
	regit_compat_result_dispose(&res);
	assert_false(check(&res, REGIT_LEVEL_FORWARD_TRANSITIVE, REGIT_RULES_AVRO,
		"\"int\"", "\"long\"", "\"string\"", NULL));
	regit_compat_result_dispose(&res);
	assert_false(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_AVRO,
		"\"long\"", "\"long\"", "\"int\"", NULL));
	/* long -> int fails FORWARD against the oldest only. */
	assert_int_equal(res.nfindings, 1);
	assert_int_equal(res.findings[0].old_index, 1);
	regit_compat_result_dispose(&res);
}

static void test_compat__labels(void **state)
{
	regit_compat_options opts = REGIT_COMPAT_OPTIONS_INIT;
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	regit_schema *n = parse("{\"type\":\"record\",\"name\":\"U\",\"fields\":[]}");
	regit_schema *o = parse("{\"type\":\"record\",\"name\":\"U\",\"fields\":[{\"name\":\"email\",\"type\":\"string\"}]}");
	const regit_schema *old[] = { o };
	const char *labels[] = { "version 3" };

	(void)state;
	opts.old_labels = labels;
	assert_int_equal(regit_compat_check_ext(n, old, 1, &opts, &res), 0);
	assert_false(res.compatible);
	assert_string_equal(res.findings[0].rule, "FIELD_REMOVED");
	assert_string_equal(res.findings[0].message,
		"field `email` was removed; consumers still on version 3 read it");
	assert_string_equal(res.findings[0].old_path, "/fields/0");
	/* FULL would also report Avro's view of the removal; the strict one covers it. */
	assert_int_equal(res.nfindings, 1);
	regit_compat_result_dispose(&res);
	regit_schema_free(n);
	regit_schema_free(o);
}

static void test_compat__level_names(void **state)
{
	regit_compat_level l;
	int i;

	(void)state;
	for (i = REGIT_LEVEL_NONE; i <= REGIT_LEVEL_FULL_TRANSITIVE; i++) {
		assert_int_equal(regit_compat_level_parse(regit_compat_level_name((regit_compat_level)i), &l), 0);
		assert_int_equal(l, i);
	}
	assert_int_equal(regit_compat_level_parse("  backward_transitive\n", &l), 0);
	assert_int_equal(l, REGIT_LEVEL_BACKWARD_TRANSITIVE);
	assert_int_equal(regit_compat_level_parse("BACKWARDS", &l), REGIT_EINVALID);
	assert_int_equal(regit_compat_level_parse("", &l), REGIT_EINVALID);
	assert_string_equal(regit_compat_level_name(REGIT_LEVEL_FULL), "FULL");
}

/* ---- strict rules ------------------------------------------------------- */

static void test_compat__strict_top_level(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

	(void)state;
	/* Removing a field with a default is fine for Avro, not for strict. */
	assert_true(check(&res, REGIT_LEVEL_FULL, REGIT_RULES_AVRO, REC_A, REC_AB, NULL));
	regit_compat_result_dispose(&res);
	assert_false(check(&res, REGIT_LEVEL_FULL, REGIT_RULES_STRICT, REC_A, REC_AB, NULL));
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "FIELD_REMOVED");
	assert_string_equal(res.findings[0].path, "/fields");
	assert_string_equal(res.findings[0].old_path, "/fields/1");
	regit_compat_result_dispose(&res);
	/* Adding a field without a default, even at FORWARD where Avro allows it. */
	assert_true(check(&res, REGIT_LEVEL_FORWARD, REGIT_RULES_AVRO,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
		"{\"name\":\"c\",\"type\":\"int\"}]}", REC_A, NULL));
	regit_compat_result_dispose(&res);
	assert_false(check(&res, REGIT_LEVEL_FORWARD, REGIT_RULES_STRICT,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
		"{\"name\":\"c\",\"type\":\"int\"}]}", REC_A, NULL));
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "REQUIRED_FIELD_ADDED");
	assert_string_equal(res.findings[0].path, "/fields/1");
	regit_compat_result_dispose(&res);
	/* BACKWARD: the strict finding replaces Avro's twin at the same place. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
		"{\"name\":\"c\",\"type\":\"int\"}]}", REC_A, NULL));
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "REQUIRED_FIELD_ADDED");
	regit_compat_result_dispose(&res);
	/* Renaming with an alias is neither a removal nor an addition, but a rename ... */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD_TRANSITIVE, REGIT_RULES_STRICT,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"z\",\"aliases\":[\"a\"],\"type\":\"int\"}]}",
		REC_A, NULL));
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "FIELD_RENAMED");
	regit_compat_result_dispose(&res);
	/* ... which Avro alone accepts for BACKWARD ... */
	assert_true(check(&res, REGIT_LEVEL_BACKWARD_TRANSITIVE, REGIT_RULES_AVRO,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"z\",\"aliases\":[\"a\"],\"type\":\"int\"}]}",
		REC_A, NULL));
	regit_compat_result_dispose(&res);
	/* ... but old readers do not know the alias: FORWARD fails in Avro terms too. */
	assert_false(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT,
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"z\",\"aliases\":[\"a\"],\"type\":\"int\"}]}",
		REC_A, NULL));
	assert_int_equal(res.nfindings, 2);
	assert_string_equal(res.findings[0].rule, "FIELD_RENAMED");
	assert_string_equal(res.findings[1].rule, "READER_FIELD_MISSING_DEFAULT_VALUE");
	regit_compat_result_dispose(&res);
}

#define REC2(a, b) "{\"type\":\"record\",\"name\":\"R\",\"fields\":[" a "," b "]}"

/* FIELD_RENAMED names both fields, instead of FIELD_REMOVED + REQUIRED_FIELD_ADDED. */
static void test_compat__field_renamed(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	const regit_finding *f;

	(void)state;
	/* Without an alias: same place, same type. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT,
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"mail\",\"type\":\"string\"}"),
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"email\",\"type\":\"string\"}"),
		NULL));
	assert_int_equal(count_rule(&res, "FIELD_REMOVED"), 0);
	assert_int_equal(count_rule(&res, "REQUIRED_FIELD_ADDED"), 0);
	f = find_rule(&res, "FIELD_RENAMED");
	assert_non_null(f);
	assert_string_equal(f->path, "/fields/1");
	assert_string_equal(f->old_path, "/fields/1");
	assert_non_null(strstr(f->message, "`email` was renamed to `mail` without an alias"));
	regit_compat_result_dispose(&res);
	/* With an alias, in a nested record, also when the field moved. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT,
		"{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"in\",\"type\":"
		REC2("{\"name\":\"mail\",\"aliases\":[\"email\"],\"type\":\"string\"}", "{\"name\":\"id\",\"type\":\"long\"}") "}]}",
		"{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"in\",\"type\":"
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"email\",\"type\":\"string\"}") "}]}",
		NULL));
	assert_int_equal(res.nfindings, 1);
	f = &res.findings[0];
	assert_string_equal(f->rule, "FIELD_RENAMED");
	assert_string_equal(f->path, "/fields/0/type/fields/0");
	assert_string_equal(f->old_path, "/fields/0/type/fields/1");
	assert_non_null(strstr(f->message, "`in.email` was renamed to `mail`"));
	regit_compat_result_dispose(&res);
	/* A different type is a removal and an addition, not a rename. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT,
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"age\",\"type\":\"int\"}"),
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"email\",\"type\":\"string\"}"),
		NULL));
	assert_int_equal(count_rule(&res, "FIELD_RENAMED"), 0);
	assert_int_equal(count_rule(&res, "FIELD_REMOVED"), 1);
	assert_int_equal(count_rule(&res, "REQUIRED_FIELD_ADDED"), 1);
	regit_compat_result_dispose(&res);
	/* A different default says "another field": removed, and one added. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT,
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"nick\",\"type\":\"string\",\"default\":\"x\"}"),
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"email\",\"type\":\"string\",\"default\":\"\"}"),
		NULL));
	assert_int_equal(count_rule(&res, "FIELD_RENAMED"), 0);
	assert_int_equal(count_rule(&res, "FIELD_REMOVED"), 1);
	regit_compat_result_dispose(&res);
	/* Avro rules know no renames. */
	assert_int_equal(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_AVRO,
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"mail\",\"type\":\"string\",\"default\":\"\"}"),
		REC2("{\"name\":\"id\",\"type\":\"long\"}", "{\"name\":\"email\",\"type\":\"string\"}"),
		NULL), 1);
	assert_int_equal(count_rule(&res, "FIELD_RENAMED"), 0);
	regit_compat_result_dispose(&res);
}

#define KEYED(key, fields) "{\"type\":\"record\",\"name\":\"E\"" key ",\"fields\":[" fields "]}"
#define KF "{\"name\":\"user_id\",\"type\":\"string\"},{\"name\":\"org_id\",\"type\":\"string\"}"

static void test_compat__partition_key_changed(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	const regit_finding *f;

	(void)state;
	/* Same key, or a key where there was none: fine. */
	assert_true(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT,
		KEYED(",\"regit.key\":\"user_id\"", KF), KEYED(",\"regit.key\":\"user_id\"", KF), NULL));
	regit_compat_result_dispose(&res);
	assert_true(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT,
		KEYED(",\"regit.key\":\"user_id\"", KF), KEYED("", KF), NULL));
	regit_compat_result_dispose(&res);
	/* Another field. */
	assert_false(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT,
		KEYED(",\"regit.key\":\"org_id\"", KF), KEYED(",\"regit.key\":\"user_id\"", KF), NULL));
	assert_int_equal(res.nfindings, 1);
	f = &res.findings[0];
	assert_string_equal(f->rule, "PARTITION_KEY_CHANGED");
	assert_string_equal(f->path, "/regit.key");
	assert_string_equal(f->old_path, "/regit.key");
	assert_non_null(strstr(f->message, "from `user_id` to `org_id`"));
	regit_compat_result_dispose(&res);
	/* Dropped. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT,
		KEYED("", KF), KEYED(",\"regit.key\":\"user_id\"", KF), NULL));
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "PARTITION_KEY_CHANGED");
	assert_string_equal(res.findings[0].path, "");
	assert_non_null(strstr(res.findings[0].message, "was dropped"));
	regit_compat_result_dispose(&res);
	/* Against every old version at a transitive level. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD_TRANSITIVE, REGIT_RULES_STRICT,
		KEYED(",\"regit.key\":\"org_id\"", KF), KEYED(",\"regit.key\":\"org_id\"", KF),
		KEYED(",\"regit.key\":\"user_id\"", KF), NULL));
	assert_int_equal(count_rule(&res, "PARTITION_KEY_CHANGED"), 1);
	assert_int_equal(res.findings[0].old_index, 1);
	regit_compat_result_dispose(&res);
	/* The key field renamed with an alias is the same key (the rename is reported). */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT,
		KEYED(",\"regit.key\":\"account_id\"", "{\"name\":\"account_id\",\"aliases\":[\"user_id\"],\"type\":\"string\"},{\"name\":\"org_id\",\"type\":\"string\"}"),
		KEYED(",\"regit.key\":\"user_id\"", KF), NULL));
	assert_int_equal(count_rule(&res, "PARTITION_KEY_CHANGED"), 0);
	assert_int_equal(count_rule(&res, "FIELD_RENAMED"), 1);
	regit_compat_result_dispose(&res);
	/* Avro rules ignore the key. */
	assert_true(check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_AVRO,
		KEYED(",\"regit.key\":\"org_id\"", KF), KEYED(",\"regit.key\":\"user_id\"", KF), NULL));
	regit_compat_result_dispose(&res);
}

/*
 * Records over COMPAT_LINEAR_MAX (8) fields are looked up through a name
 * index instead of a scan: a name the other side lacks must still be
 * missing there (the differential generator never makes more than 4
 * fields, so nothing else reaches the index with a miss).
 */
#define F9(last) "{\"type\":\"record\",\"name\":\"R\",\"fields\":[" \
	"{\"name\":\"f0\",\"type\":\"int\"},{\"name\":\"f1\",\"type\":\"int\"}," \
	"{\"name\":\"f2\",\"type\":\"int\"},{\"name\":\"f3\",\"type\":\"int\"}," \
	"{\"name\":\"f4\",\"type\":\"int\"},{\"name\":\"f5\",\"type\":\"int\"}," \
	"{\"name\":\"f6\",\"type\":\"int\"},{\"name\":\"f7\",\"type\":\"int\"}," \
	"{\"name\":\"f8\",\"type\":\"int\"}" last "]}"
#define F10 F9(",{\"name\":\"f9\",\"type\":\"int\"}")

static void test_compat__wide_record_missing_field(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

	(void)state;
	/* Strict: f9 removed from a 10-field record. */
	assert_false(check(&res, REGIT_LEVEL_BACKWARD, REGIT_RULES_STRICT, F9(""), F10, NULL));
	assert_int_equal(count_rule(&res, "FIELD_REMOVED"), 1);
	assert_string_equal(find_rule(&res, "FIELD_REMOVED")->old_path, "/fields/9");
	regit_compat_result_dispose(&res);
	/* Avro resolution: a reader field no writer field (nor alias) names. */
	assert_false(can_read(&res, F9(",{\"name\":\"g\",\"type\":\"int\"}"), F10));
	assert_int_equal(count_rule(&res, "READER_FIELD_MISSING_DEFAULT_VALUE"), 1);
	regit_compat_result_dispose(&res);
	/* The same with a default reads fine; and the unchanged record passes. */
	assert_true(can_read(&res, F9(",{\"name\":\"g\",\"type\":\"int\",\"default\":0}"), F10));
	regit_compat_result_dispose(&res);
	assert_true(check(&res, REGIT_LEVEL_FULL, REGIT_RULES_STRICT, F10, F10, NULL));
	regit_compat_result_dispose(&res);
}

/* A union-typed field without a default is still a required field: old
 * data has no value for it, whatever its type (nullable or not). */
static void test_compat__strict_required_union_field(void **state)
{
	static const char *const types[] = {
		"[\"null\",\"string\"]", "[\"string\",\"null\"]", "[\"int\",\"long\"]",
	};
	char next[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

		snprintf(next, sizeof(next), "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			"{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"u\",\"type\":%s}]}", types[i]);
		/* Avro allows it at FORWARD (old readers skip u) ... */
		assert_true(check(&res, REGIT_LEVEL_FORWARD, REGIT_RULES_AVRO, next, REC_A, NULL));
		regit_compat_result_dispose(&res);
		/* ... the strict rules do not. */
		assert_false(check(&res, REGIT_LEVEL_FORWARD, REGIT_RULES_STRICT, next, REC_A, NULL));
		assert_int_equal(res.nfindings, 1);
		assert_string_equal(res.findings[0].rule, "REQUIRED_FIELD_ADDED");
		assert_string_equal(res.findings[0].path, "/fields/1");
		regit_compat_result_dispose(&res);
	}
}

#define NESTED(inner) "{\"type\":\"record\",\"name\":\"Outer\",\"fields\":[{\"name\":\"x\",\"type\":" inner "}]}"
#define IN1 "{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"p\",\"type\":\"int\"},{\"name\":\"q\",\"type\":\"int\",\"default\":0}]}"
#define IN2 "{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"p\",\"type\":\"int\"}]}"

static void test_compat__strict_nested(void **state)
{
	static const struct { const char *n, *o, *path, *old_path; } cases[] = {
		{ NESTED(IN2), NESTED(IN1), "/fields/0/type/fields", "/fields/0/type/fields/1" },
		{ NESTED("{\"type\":\"array\",\"items\":" IN2 "}"), NESTED("{\"type\":\"array\",\"items\":" IN1 "}"),
		  "/fields/0/type/items/fields", "/fields/0/type/items/fields/1" },
		{ NESTED("{\"type\":\"map\",\"values\":" IN2 "}"), NESTED("{\"type\":\"map\",\"values\":" IN1 "}"),
		  "/fields/0/type/values/fields", "/fields/0/type/values/fields/1" },
		{ NESTED("[\"null\"," IN2 "]"), NESTED("[\"null\"," IN1 "]"),
		  "/fields/0/type/1/fields", "/fields/0/type/1/fields/1" },
		/* A record that became a union branch is still the same record. */
		{ NESTED("[\"null\"," IN2 "]"), NESTED(IN1), "/fields/0/type/1/fields", "/fields/0/type/fields/1" },
		{ "[\"string\"," IN2 "]", "[" IN1 ",\"string\"]", "/1/fields", "/0/fields/1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
		const regit_finding *f;

		check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT, cases[i].n, cases[i].o, NULL);
		f = find_rule(&res, "FIELD_REMOVED");
		if (!f)
			fail_msg("case %zu: no FIELD_REMOVED", i);
		assert_string_equal(f->path, cases[i].path);
		assert_string_equal(f->old_path, cases[i].old_path);
		assert_non_null(strstr(f->message, "q` was removed"));
		regit_compat_result_dispose(&res);
		/* The other way round q comes back with its default: no strict finding. */
		check(&res, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT, cases[i].o, cases[i].n, NULL);
		assert_int_equal(count_rule(&res, "FIELD_REMOVED"), 0);
		assert_int_equal(count_rule(&res, "REQUIRED_FIELD_ADDED"), 0);
		regit_compat_result_dispose(&res);
	}
}

static void test_compat__strict_added_nested(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	const regit_finding *f;

	(void)state;
	check(&res, REGIT_LEVEL_FORWARD, REGIT_RULES_STRICT,
		NESTED("{\"type\":\"array\",\"items\":" IN1 "}"),
		NESTED("{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"In\",\"fields\":[]}}"), NULL);
	f = find_rule(&res, "REQUIRED_FIELD_ADDED");
	assert_non_null(f);
	assert_string_equal(f->path, "/fields/0/type/items/fields/0");
	assert_non_null(strstr(f->message, "`x[].p`"));
	/* q has a default: fine. */
	assert_int_equal(count_rule(&res, "REQUIRED_FIELD_ADDED"), 1);
	regit_compat_result_dispose(&res);
}

/* ---- bounds ------------------------------------------------------------- */

static char *big_enum(size_t n, size_t skip)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i;

	assert_int_equal(regit_buf_puts(&b, "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":["), 0);
	for (i = 0; i < n; i++)
		if (i != skip)
			assert_int_equal(regit_buf_printf(&b, "%s\"S%zu\"", b.ptr[b.size - 1] == '[' ? "" : ",", i), 0);
	assert_int_equal(regit_buf_puts(&b, "]}"), 0);
	return regit_buf_detach(&b);
}

static void test_compat__large_enum_and_union(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	char *e1 = big_enum(50000, 50000), *e2 = big_enum(50000, 777);
	regit_buf u1 = REGIT_BUF_INIT, u2 = REGIT_BUF_INIT;
	size_t i;

	(void)state;
	assert_false(can_read(&res, e2, e1));
	assert_int_equal(res.nfindings, 1);
	assert_non_null(strstr(res.findings[0].message, "`S777`"));
	regit_compat_result_dispose(&res);
	assert_true(can_read(&res, e1, e2));
	regit_compat_result_dispose(&res);

	/* 5,000 record branches: union to union stays linear. */
	assert_int_equal(regit_buf_putc(&u1, '['), 0);
	assert_int_equal(regit_buf_putc(&u2, '['), 0);
	for (i = 0; i < 5000; i++) {
		assert_int_equal(regit_buf_printf(&u1, "%s{\"type\":\"record\",\"name\":\"R%zu\",\"fields\":[]}",
			i ? "," : "", i), 0);
		assert_int_equal(regit_buf_printf(&u2, "%s{\"type\":\"record\",\"name\":\"R%zu\",\"fields\":[]}",
			i ? "," : "", 4999 - i), 0);
	}
	assert_int_equal(regit_buf_puts(&u1, ",\"int\"]"), 0);
	assert_int_equal(regit_buf_puts(&u2, ",\"string\"]"), 0);
	assert_false(can_read(&res, u1.ptr, u2.ptr));
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "MISSING_UNION_BRANCH");
	assert_string_equal(res.findings[0].old_path, "/5000");
	regit_compat_result_dispose(&res);
	regit_free(e1);
	regit_free(e2);
	regit_buf_dispose(&u1);
	regit_buf_dispose(&u2);
}

/*
 * A chain of records, each holding the previous one by name: the JSON is
 * shallow but the walk is not. The definitions sit in a union under a
 * field the other schema lacks (so the walk skips them) and the field
 * `top` holds the last record, so the walk enters the chain at its top.
 * Past 1,000 levels the checker refuses with REGIT_ELIMIT instead of
 * recursing without bound; shorter chains work.
 */
static char *record_chain(size_t n, const char *leaf, const char *defs)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i;

	regit_buf_init(&b, (size_t)1 << 24);
	assert_int_equal(regit_buf_printf(&b, "{\"type\":\"record\",\"name\":\"Top\",\"fields\":["
		"{\"name\":\"%s\",\"default\":null,\"type\":[\"null\"", defs), 0);
	for (i = 0; i < n; i++) {
		if (i == 0)
			assert_int_equal(regit_buf_printf(&b, ",{\"type\":\"record\",\"name\":\"C0\","
				"\"fields\":[{\"name\":\"x\",\"type\":\"%s\"}]}", leaf), 0);
		else
			assert_int_equal(regit_buf_printf(&b, ",{\"type\":\"record\",\"name\":\"C%zu\","
				"\"fields\":[{\"name\":\"p\",\"type\":\"C%zu\"}]}", i, i - 1), 0);
	}
	assert_int_equal(regit_buf_printf(&b, "]},{\"name\":\"top\",\"type\":\"C%zu\"}]}", n - 1), 0);
	return regit_buf_detach(&b);
}

static void test_compat__deep_named_chain(void **state)
{
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	char *a = record_chain(1100, "int", "defs_a"), *b = record_chain(1100, "long", "defs_b");
	char *c = record_chain(300, "int", "defs_a"), *d = record_chain(300, "long", "defs_b");
	regit_schema *sa = parse(a), *sb = parse(b), *sc = parse(c), *sd = parse(d);

	(void)state;
	assert_int_equal(regit_compat_can_read(sb, sa, &res), REGIT_ELIMIT);
	assert_non_null(strstr(regit_error_message(), "levels deep"));
	regit_compat_result_dispose(&res);
	/* 300 levels are fine: long reads int at the bottom, not the reverse. */
	assert_int_equal(regit_compat_can_read(sd, sc, &res), 0);
	assert_true(res.compatible);
	regit_compat_result_dispose(&res);
	assert_int_equal(regit_compat_can_read(sc, sd, &res), 0);
	assert_false(res.compatible);
	assert_int_equal(res.nfindings, 1);
	assert_string_equal(res.findings[0].rule, "TYPE_MISMATCH");
	assert_non_null(strstr(res.findings[0].message, "`top.p.p.p."));
	regit_compat_result_dispose(&res);
	regit_schema_free(sa);
	regit_schema_free(sb);
	regit_schema_free(sc);
	regit_schema_free(sd);
	regit_free(a);
	regit_free(b);
	regit_free(c);
	regit_free(d);
}

static void test_compat__findings_cap(void **state)
{
	regit_compat_options opts = REGIT_COMPAT_OPTIONS_INIT;
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	regit_buf b = REGIT_BUF_INIT;
	regit_schema *n, *o;
	const regit_schema *old[1];
	size_t i;

	(void)state;
	assert_int_equal(regit_buf_puts(&b, "{\"type\":\"record\",\"name\":\"R\",\"fields\":["), 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":\"int\"}", i ? "," : "", i), 0);
	assert_int_equal(regit_buf_puts(&b, "]}"), 0);
	o = parse(b.ptr);
	n = parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}");
	old[0] = o;
	opts.max_findings = 100;
	assert_int_equal(regit_compat_check_ext(n, old, 1, &opts, &res), 0);
	assert_false(res.compatible);
	assert_int_equal(res.nfindings, 100);
	assert_true(res.nomitted >= 200);
	regit_compat_result_dispose(&res);
	regit_schema_free(n);
	regit_schema_free(o);
	regit_buf_dispose(&b);
}

/* Every allocation failure is reported as REGIT_ENOMEM and leaks nothing. */
static void test_compat__allocation_failures(void **state)
{
	regit_schema *n = parse(NESTED("[\"null\"," IN2 "]"));
	regit_schema *o = parse(NESTED(IN1));
	const regit_schema *old[] = { o, o };
	long k;
	int error = 0;

	(void)state;
	for (k = 0; k < 10000; k++) {
		regit_compat_result res = REGIT_COMPAT_RESULT_INIT;

		regit_alloc_fail_after(k);
		error = regit_compat_check(n, old, 2, REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT, &res);
		regit_alloc_fail_after(-1);
		regit_compat_result_dispose(&res);
		if (error == 0)
			break;
		assert_int_equal(error, REGIT_ENOMEM);
	}
	assert_int_equal(error, 0);
	assert_true(k > 0);
	regit_schema_free(n);
	regit_schema_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compat__avro_corpus),
		cmocka_unit_test(test_compat__promotions),
		cmocka_unit_test(test_compat__record_field_default),
		cmocka_unit_test(test_compat__names_and_aliases),
		cmocka_unit_test(test_compat__enums),
		cmocka_unit_test(test_compat__fixed),
		cmocka_unit_test(test_compat__unions),
		cmocka_unit_test(test_compat__recursive_types),
		cmocka_unit_test(test_compat__levels),
		cmocka_unit_test(test_compat__transitive_vs_latest),
		cmocka_unit_test(test_compat__labels),
		cmocka_unit_test(test_compat__level_names),
		cmocka_unit_test(test_compat__strict_top_level),
		cmocka_unit_test(test_compat__field_renamed),
		cmocka_unit_test(test_compat__partition_key_changed),
		cmocka_unit_test(test_compat__wide_record_missing_field),
		cmocka_unit_test(test_compat__strict_required_union_field),
		cmocka_unit_test(test_compat__strict_nested),
		cmocka_unit_test(test_compat__strict_added_nested),
		cmocka_unit_test(test_compat__large_enum_and_union),
		cmocka_unit_test(test_compat__deep_named_chain),
		cmocka_unit_test(test_compat__findings_cap),
		cmocka_unit_test(test_compat__allocation_failures),
	};

	regit_alloc_install_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
