/*
 * test_parse.c - registry/parse.c: schemas with references (reg_parse) and
 * the memo that shares parses of referenced schemas between calls.
 *
 * References resolve through a resolver over a table in this file, so the
 * graphs can be any shape: a deep layered graph (every schema of a layer
 * referencing all of the layer below, issue #17), a long chain, a cycle,
 * a fan-out beyond the total bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema.h"
#include "registry/registry_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* ---- a resolver over a table ----------------------------------------------- */

typedef struct entry {
	char subject[32];
	char *text;
	regit_reference *refs;
	size_t nrefs;
} entry;

typedef struct table {
	entry *e;
	size_t n, cap;
} table;

static int table_lookup(const char **text, size_t *len, const regit_reference **refs,
	size_t *nrefs, const void **token, const char *subject, int version, void *payload)
{
	table *t = payload;
	size_t i;

	if (version != 1)
		return REGIT_ENOTFOUND;
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->e[i].subject, subject) == 0) {
			*text = t->e[i].text;
			*len = strlen(t->e[i].text);
			*refs = t->e[i].refs;
			*nrefs = t->e[i].nrefs;
			*token = &t->e[i];
			return 0;
		}
	}
	return REGIT_ENOTFOUND;
}

/* Version 1 of subject: record `name` with one field per reference (or a long). */
static entry *table_add(table *t, const char *subject, const char *name)
{
	entry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->e = realloc(t->e, t->cap * sizeof(*t->e));
		assert_non_null(t->e);
	}
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->subject, sizeof(e->subject), "%s", subject);
	e->text = strdup(name);    /* the record's name until table_finish */
	assert_non_null(e->text);
	return e;
}

static void entry_ref(entry *e, const char *subject, const char *type)
{
	e->refs = realloc(e->refs, (e->nrefs + 1) * sizeof(*e->refs));
	assert_non_null(e->refs);
	e->refs[e->nrefs].name = strdup(type);
	e->refs[e->nrefs].subject = strdup(subject);
	e->refs[e->nrefs].version = 1;
	e->nrefs++;
}

/* The schema text of a record named name whose fields use each reference's type. */
static char *record_text(const char *name, const regit_reference *refs, size_t nrefs)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i;

	regit_buf_printf(&b, "{\"type\":\"record\",\"name\":\"%s\",\"fields\":[", name);
	if (nrefs == 0)
		regit_buf_puts(&b, "{\"name\":\"id\",\"type\":\"long\"}");
	for (i = 0; i < nrefs; i++)
		regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":\"%s\"}", i ? "," : "", i,
			refs[i].name);
	regit_buf_puts(&b, "]}");
	return regit_buf_detach(&b);
}

/* Replace each entry's name by its schema text. */
static void table_finish(table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		char *text = record_text(t->e[i].text, t->e[i].refs, t->e[i].nrefs);

		free(t->e[i].text);
		t->e[i].text = strdup(text);
		regit_free(text);
	}
}

static void table_free(table *t)
{
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		for (j = 0; j < t->e[i].nrefs; j++) {
			free((char *)t->e[i].refs[j].name);
			free((char *)t->e[i].refs[j].subject);
		}
		free(t->e[i].refs);
		free(t->e[i].text);
	}
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/*
 * LAYERS x WIDTH subjects "L-I" with records "deep.TL_I"; every one of
 * layer L > 0 references all of layer L - 1. Then one more, "top",
 * referencing all of the last layer.
 */
#define LAYERS 5
#define WIDTH 8

static void deep_graph(table *t)
{
	char subject[32], name[32], dep[32], type[32];
	int l, i, j;
	entry *e;

	for (l = 0; l < LAYERS; l++) {
		for (i = 0; i < WIDTH; i++) {
			snprintf(subject, sizeof(subject), "%d-%d", l, i);
			snprintf(name, sizeof(name), "deep.T%d_%d", l, i);
			e = table_add(t, subject, name);
			for (j = 0; l > 0 && j < WIDTH; j++) {
				snprintf(dep, sizeof(dep), "%d-%d", l - 1, j);
				snprintf(type, sizeof(type), "deep.T%d_%d", l - 1, j);
				entry_ref(e, dep, type);
			}
		}
	}
	e = table_add(t, "top", "deep.Top");
	for (j = 0; j < WIDTH; j++) {
		snprintf(dep, sizeof(dep), "%d-%d", LAYERS - 1, j);
		snprintf(type, sizeof(type), "deep.T%d_%d", LAYERS - 1, j);
		entry_ref(e, dep, type);
	}
	table_finish(t);
}

static entry *find(table *t, const char *subject)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].subject, subject) == 0)
			return &t->e[i];
	fail_msg("no subject %s", subject);
	return NULL;
}

static int parse_subject(reg_parsed **out, table *t, reg_memo *memo, const char *subject,
	regit_schema_error *serr)
{
	reg_resolver r = { table_lookup, t, memo };
	entry *e = find(t, subject);

	return reg_parse(out, e->text, strlen(e->text), e->refs, e->nrefs, &r, 1 << 20, serr);
}

/*
 * The imports are everything reachable, each once: every record of every
 * layer is defined by exactly one import.
 */
static void check_deep_imports(const reg_parsed *p)
{
	char name[32];
	int l, i;
	size_t k, j;

	assert_non_null(p->schema);
	assert_int_equal(p->nimports, LAYERS * WIDTH);
	for (k = 0; k < p->nimports; k++)
		for (j = k + 1; j < p->nimports; j++)
			assert_ptr_not_equal(p->imports[k], p->imports[j]);
	for (l = 0; l < LAYERS; l++) {
		for (i = 0; i < WIDTH; i++) {
			int defined = 0;

			snprintf(name, sizeof(name), "deep.T%d_%d", l, i);
			for (k = 0; k < p->nimports; k++)
				defined += regit_schema_find(p->imports[k], name) != NULL;
			assert_int_equal(defined, 1);
		}
	}
}

/* ---- tests -------------------------------------------------------------------- */

static void test_parse__deep_graph_parses_each_reference_once(void **state)
{
	regit_schema_error serr;
	reg_parsed *p = NULL;
	table t = { 0 };
	int round;

	(void)state;
	deep_graph(&t);
	/* Without a memo: once per call, each call again. */
	for (round = 0; round < 2; round++) {
		assert_int_equal(parse_subject(&p, &t, NULL, "top", &serr), 0);
		check_deep_imports(p);
		assert_int_equal(p->nparsed, LAYERS * WIDTH);
		assert_null(p->memo);
		reg_parsed_free(p);
	}
	table_free(&t);
}

static void test_parse__memo_shares_parses_between_calls(void **state)
{
	regit_schema_error serr;
	reg_parsed *a = NULL, *b = NULL, *mid = NULL;
	reg_memo *memo = NULL;
	regit_buf ra = REGIT_BUF_INIT, rb = REGIT_BUF_INIT;
	table t = { 0 };
	size_t k;

	(void)state;
	deep_graph(&t);
	assert_int_equal(reg_memo_new(&memo, REG_MEMO_MAX_BYTES), 0);
	assert_int_equal(parse_subject(&a, &t, memo, "top", &serr), 0);
	check_deep_imports(a);
	assert_int_equal(a->nparsed, LAYERS * WIDTH);
	assert_int_equal(a->ndeps, 0);              /* all of them went to the memo */
	assert_int_equal(reg_memo_count(memo), LAYERS * WIDTH);
	/* Again: nothing parsed but the schema itself, the same imports. */
	assert_int_equal(parse_subject(&b, &t, memo, "top", &serr), 0);
	assert_int_equal(b->nparsed, 0);
	assert_int_equal(b->nimports, a->nimports);
	for (k = 0; k < a->nimports; k++)
		assert_ptr_equal(a->imports[k], b->imports[k]);
	/* A schema in the middle takes its closure from the memo too. */
	assert_int_equal(parse_subject(&mid, &t, memo, "2-3", &serr), 0);
	assert_int_equal(mid->nparsed, 0);
	assert_int_equal(mid->nimports, 2 * WIDTH);
	/* Results print the same as without the memo. */
	assert_int_equal(regit_schema_print(a->schema, REGIT_PRINT_RESOLVED, &ra), 0);
	reg_parsed_free(a);
	assert_int_equal(parse_subject(&a, &t, NULL, "top", &serr), 0);
	assert_int_equal(regit_schema_print(a->schema, REGIT_PRINT_RESOLVED, &rb), 0);
	assert_int_equal(ra.size, rb.size);
	assert_memory_equal(ra.ptr, rb.ptr, ra.size);
	/* Results keep the memo alive after its owner lets go. */
	reg_memo_free(memo);
	regit_buf_clear(&rb);
	assert_int_equal(regit_schema_print(b->schema, REGIT_PRINT_RESOLVED, &rb), 0);
	assert_int_equal(ra.size, rb.size);
	reg_parsed_free(a);
	reg_parsed_free(b);
	reg_parsed_free(mid);
	regit_buf_dispose(&ra);
	regit_buf_dispose(&rb);
	table_free(&t);
}

static void test_parse__memo_budget(void **state)
{
	regit_schema_error serr;
	reg_parsed *p = NULL;
	reg_memo *memo = NULL;
	table t = { 0 };
	int round;

	(void)state;
	deep_graph(&t);
	/* A full memo takes nothing more: results own their parses, as without one. */
	assert_int_equal(reg_memo_new(&memo, 1), 0);
	for (round = 0; round < 2; round++) {
		assert_int_equal(parse_subject(&p, &t, memo, "top", &serr), 0);
		check_deep_imports(p);
		assert_int_equal(p->nparsed, LAYERS * WIDTH);
		assert_int_equal(p->ndeps, LAYERS * WIDTH);
		reg_parsed_free(p);
	}
	assert_int_equal(reg_memo_count(memo), 0);
	reg_memo_free(memo);
	table_free(&t);
}

/*
 * chain-0 <- chain-1 <- ... <- chain-17, and "via" referencing chain-15.
 * A schema may reach at most REG_MAX_REF_DEPTH (16) levels of references:
 * chain-16 and "via" are fine, chain-17 is one level too deep, also when
 * the parses of chain-15 and below are in the memo (from chain-17 they
 * are reached a level lower than where they were parsed).
 */
static void chain_graph(table *t)
{
	char subject[32], name[32], dep[32], type[32];
	entry *e;
	int k;

	for (k = 0; k <= 17; k++) {
		snprintf(subject, sizeof(subject), "chain-%d", k);
		snprintf(name, sizeof(name), "c.C%d", k);
		e = table_add(t, subject, name);
		if (k > 0) {
			snprintf(dep, sizeof(dep), "chain-%d", k - 1);
			snprintf(type, sizeof(type), "c.C%d", k - 1);
			entry_ref(e, dep, type);
		}
	}
	e = table_add(t, "via", "c.Via");
	entry_ref(e, "chain-15", "c.C15");
	table_finish(t);
}

static void test_parse__depth_bound_holds_with_memo(void **state)
{
	regit_schema_error serr;
	reg_parsed *p = NULL;
	reg_memo *memo = NULL;
	table t = { 0 };
	int round;

	(void)state;
	chain_graph(&t);
	assert_int_equal(reg_memo_new(&memo, REG_MEMO_MAX_BYTES), 0);
	for (round = 0; round < 2; round++) {
		reg_memo *m = round ? memo : NULL;

		assert_int_equal(parse_subject(&p, &t, m, "chain-16", &serr), 0);
		assert_int_equal(p->nparsed, 16);
		reg_parsed_free(p);
		assert_int_equal(parse_subject(&p, &t, m, "chain-17", &serr), REGIT_EINVALID);
		assert_null(p);
		assert_non_null(strstr(serr.message, "nested deeper than 16"));
		/* At the same depth as before, the memo's parse is used. */
		assert_int_equal(parse_subject(&p, &t, m, "via", &serr), 0);
		assert_int_equal(p->nparsed, m ? 0 : 16);
		reg_parsed_free(p);
	}
	reg_memo_free(memo);
	table_free(&t);
}

static void test_parse__cycles_and_missing_references(void **state)
{
	regit_schema_error serr;
	reg_parsed *p = NULL;
	reg_memo *memo = NULL;
	table t = { 0 };
	entry *e;
	int round;

	(void)state;
	e = table_add(&t, "a", "x.A");
	entry_ref(e, "b", "x.B");
	e = table_add(&t, "b", "x.B");
	entry_ref(e, "a", "x.A");
	e = table_add(&t, "lost", "x.Lost");
	entry_ref(e, "nowhere", "x.N");
	table_finish(&t);
	assert_int_equal(reg_memo_new(&memo, REG_MEMO_MAX_BYTES), 0);
	for (round = 0; round < 2; round++) {
		assert_int_equal(parse_subject(&p, &t, memo, "a", &serr), REGIT_EINVALID);
		assert_non_null(strstr(serr.message, "reference cycle"));
		assert_int_equal(parse_subject(&p, &t, memo, "lost", &serr), REGIT_EINVALID);
		assert_non_null(strstr(serr.message, "'nowhere' version 1 not found"));
	}
	/* Failures are not remembered. */
	assert_int_equal(reg_memo_count(memo), 0);
	reg_memo_free(memo);
	table_free(&t);
}

/*
 * "all" references 11 schemas of 100 references each: 1,111 reachable, over
 * the bound of 1,000 in all, whether the 11 come from the memo or not.
 */
static void test_parse__total_bound_holds_with_memo(void **state)
{
	char subject[32], name[32];
	regit_schema_error serr;
	reg_parsed *p = NULL;
	reg_memo *memo = NULL;
	table t = { 0 };
	entry *e;
	int g, k;

	(void)state;
	for (g = 0; g < 11; g++) {
		for (k = 0; k < 100; k++) {
			snprintf(subject, sizeof(subject), "leaf-%d-%d", g, k);
			snprintf(name, sizeof(name), "l.L%d_%d", g, k);
			table_add(&t, subject, name);
		}
	}
	for (g = 0; g < 11; g++) {
		snprintf(subject, sizeof(subject), "group-%d", g);
		snprintf(name, sizeof(name), "g.G%d", g);
		e = table_add(&t, subject, name);
		for (k = 0; k < 100; k++) {
			char leaf[32], type[32];

			snprintf(leaf, sizeof(leaf), "leaf-%d-%d", g, k);
			snprintf(type, sizeof(type), "l.L%d_%d", g, k);
			entry_ref(e, leaf, type);
		}
	}
	e = table_add(&t, "all", "g.All");
	for (g = 0; g < 11; g++) {
		char group[32], type[32];

		snprintf(group, sizeof(group), "group-%d", g);
		snprintf(type, sizeof(type), "g.G%d", g);
		entry_ref(e, group, type);
	}
	table_finish(&t);
	assert_int_equal(reg_memo_new(&memo, REG_MEMO_MAX_BYTES), 0);
	assert_int_equal(parse_subject(&p, &t, memo, "all", &serr), REGIT_EINVALID);
	assert_non_null(strstr(serr.message, "more than 1000 references in all"));
	/* Each group alone is fine, and lands in the memo. */
	for (g = 0; g < 11; g++) {
		snprintf(subject, sizeof(subject), "group-%d", g);
		assert_int_equal(parse_subject(&p, &t, memo, subject, &serr), 0);
		assert_int_equal(p->nimports, 100);
		reg_parsed_free(p);
	}
	assert_int_equal(parse_subject(&p, &t, memo, "all", &serr), REGIT_EINVALID);
	assert_non_null(strstr(serr.message, "more than 1000 references in all"));
	reg_memo_free(memo);
	table_free(&t);
}

/* Threads sharing one memo, all starting cold: the same correct answers. */
typedef struct worker {
	table *t;
	reg_memo *memo;
	int failures;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	regit_schema_error serr;
	int i;

	for (i = 0; i < 5; i++) {
		reg_parsed *p = NULL;

		if (parse_subject(&p, w->t, w->memo, i % 2 ? "top" : "3-1", &serr) != 0 ||
				p->nimports != (i % 2 ? LAYERS * WIDTH : 3 * WIDTH))
			w->failures++;
		reg_parsed_free(p);
	}
	return NULL;
}

static void test_parse__memo_shared_by_threads(void **state)
{
	pthread_t th[4];
	worker w[4];
	reg_memo *memo = NULL;
	table t = { 0 };
	int i, round;

	(void)state;
	deep_graph(&t);
	/* Races are where threads miss the same entries: a few cold starts. */
	for (round = 0; round < 10; round++) {
		assert_int_equal(reg_memo_new(&memo, REG_MEMO_MAX_BYTES), 0);
		for (i = 0; i < 4; i++) {
			w[i].t = &t;
			w[i].memo = memo;
			w[i].failures = 0;
			assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
		}
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(w[i].failures, 0);
		}
		assert_int_equal(reg_memo_count(memo), LAYERS * WIDTH);
		reg_memo_free(memo);
	}
	table_free(&t);
}

/* Every allocation failure on the way is reported and leaks nothing. */
static void test_parse__allocation_failures(void **state)
{
	regit_schema_error serr;
	table t = { 0 };
	long n;
	int rc;

	(void)state;
	deep_graph(&t);
	for (n = 0;; n += 7) {
		reg_memo *memo = NULL;
		reg_parsed *p = NULL, *q = NULL;

		if (reg_memo_new(&memo, REG_MEMO_MAX_BYTES) < 0)
			fail_msg("memo");
		regit_alloc_fail_after(n);
		rc = parse_subject(&p, &t, memo, "top", &serr);
		if (rc == 0)
			rc = parse_subject(&q, &t, memo, "top", &serr);
		regit_alloc_fail_after(-1);
		reg_parsed_free(p);
		reg_parsed_free(q);
		reg_memo_free(memo);
		if (rc == 0)
			break;
		assert_int_equal(rc, REGIT_ENOMEM);
	}
	table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse__deep_graph_parses_each_reference_once),
		cmocka_unit_test(test_parse__memo_shares_parses_between_calls),
		cmocka_unit_test(test_parse__memo_budget),
		cmocka_unit_test(test_parse__depth_bound_holds_with_memo),
		cmocka_unit_test(test_parse__cycles_and_missing_references),
		cmocka_unit_test(test_parse__total_bound_holds_with_memo),
		cmocka_unit_test(test_parse__memo_shared_by_threads),
		cmocka_unit_test(test_parse__allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
