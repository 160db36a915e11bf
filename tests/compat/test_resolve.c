/*
 * test_resolve.c - compat/resolve: the Avro resolution decisions the
 * checker and the code generator share. Names and aliases (full names,
 * relative aliases under a changed namespace), promotions, the "match",
 * union branch selection on small and indexed unions, field and enum
 * symbol resolution, the strict rules' counterparts, allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "compat/resolve.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define NONE REGIT_RESOLVE_NONE

static regit_schema *parse(const char *json)
{
	regit_schema *s = NULL;
	regit_schema_error err;

	memset(&err, 0, sizeof(err));
	if (regit_schema_parse(&s, json, strlen(json), NULL, &err) < 0)
		fail_msg("schema does not parse (%s at %s): %s", err.message, err.path, json);
	return s;
}

/* Do the roots of two schema texts have matching names? */
static int names_match(const char *reader, const char *writer)
{
	regit_schema *r = parse(reader), *w = parse(writer);
	int m = regit_resolve_names_match(regit_schema_root(r), regit_schema_root(w));

	regit_schema_free(r);
	regit_schema_free(w);
	return m;
}

#define REC(name, extra) "{\"type\":\"record\",\"name\":\"" name "\"" extra ",\"fields\":[]}"

static void test_resolve__names_and_aliases(void **state)
{
	(void)state;
	/* Unqualified names match whatever the namespaces (spec, Avro Java). */
	assert_true(names_match(REC("a.R", ""), REC("b.R", "")));
	assert_false(names_match(REC("a.R", ""), REC("a.S", "")));
	/* An alias is a full name: "b.Old" does not name c.Old ... */
	assert_false(names_match(REC("a.New", ",\"aliases\":[\"b.Old\"]"), REC("c.Old", "")));
	/* ... but it does name b.Old. */
	assert_true(names_match(REC("a.New", ",\"aliases\":[\"b.Old\"]"), REC("b.Old", "")));
	/* A relative alias takes the reader's namespace, not the writer's. */
	assert_false(names_match(REC("New", ",\"namespace\":\"n2\",\"aliases\":[\"Old\"]"),
		REC("Old", ",\"namespace\":\"n1\"")));
	assert_true(names_match(REC("New", ",\"namespace\":\"n2\",\"aliases\":[\"Old\"]"),
		REC("Old", ",\"namespace\":\"n2\"")));
	assert_false(names_match(REC("New", ",\"namespace\":\"n2\",\"aliases\":[\"Old\"]"),
		REC("Old", "")));
	/* A relative alias in the null namespace names a type there. */
	assert_true(names_match(REC("New", ",\"aliases\":[\"Old\"]"), REC("Old", "")));
	assert_false(names_match(REC("New", ",\"aliases\":[\"Old\"]"), REC("x.Old", "")));
	/* The writer's aliases do not count. */
	assert_false(names_match(REC("New", ""), REC("Old", ",\"aliases\":[\"New\"]")));
}

static void test_resolve__promotions(void **state)
{
	static const struct { regit_type_kind w, r; } allowed[] = {
		{ REGIT_TYPE_INT, REGIT_TYPE_LONG }, { REGIT_TYPE_INT, REGIT_TYPE_FLOAT },
		{ REGIT_TYPE_INT, REGIT_TYPE_DOUBLE }, { REGIT_TYPE_LONG, REGIT_TYPE_FLOAT },
		{ REGIT_TYPE_LONG, REGIT_TYPE_DOUBLE }, { REGIT_TYPE_FLOAT, REGIT_TYPE_DOUBLE },
		{ REGIT_TYPE_STRING, REGIT_TYPE_BYTES }, { REGIT_TYPE_BYTES, REGIT_TYPE_STRING },
	};
	int w, r;
	size_t i, n = 0;

	(void)state;
	for (w = REGIT_TYPE_NULL; w <= REGIT_TYPE_FIXED; w++) {
		for (r = REGIT_TYPE_NULL; r <= REGIT_TYPE_FIXED; r++) {
			int expect = 0;

			for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
				expect |= allowed[i].w == (regit_type_kind)w && allowed[i].r == (regit_type_kind)r;
			n += expect;
			if (regit_resolve_promotes((regit_type_kind)w, (regit_type_kind)r) != expect)
				fail_msg("promotes(%s -> %s) should be %d",
					regit_type_kind_name((regit_type_kind)w),
					regit_type_kind_name((regit_type_kind)r), expect);
		}
	}
	assert_int_equal(n, 8);
}

static int match(const char *reader, const char *writer)
{
	regit_schema *r = parse(reader), *w = parse(writer);
	int m = regit_resolve_match(regit_schema_root(r), regit_schema_root(w));

	regit_schema_free(r);
	regit_schema_free(w);
	return m;
}

static void test_resolve__match(void **state)
{
	(void)state;
	assert_true(match("\"long\"", "\"int\""));
	assert_false(match("\"int\"", "\"long\""));
	assert_true(match("{\"type\":\"array\",\"items\":\"long\"}", "{\"type\":\"array\",\"items\":\"int\"}"));
	assert_false(match("{\"type\":\"array\",\"items\":\"int\"}", "{\"type\":\"array\",\"items\":\"string\"}"));
	assert_false(match("{\"type\":\"map\",\"values\":\"int\"}", "{\"type\":\"array\",\"items\":\"int\"}"));
	assert_true(match("{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}",
		"{\"type\":\"fixed\",\"name\":\"x.F\",\"size\":4}"));
	assert_false(match("{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}",
		"{\"type\":\"fixed\",\"name\":\"F\",\"size\":5}"));
	assert_false(match("{\"type\":\"enum\",\"name\":\"a.New\",\"aliases\":[\"b.Old\"],\"symbols\":[\"A\"]}",
		"{\"type\":\"enum\",\"name\":\"c.Old\",\"symbols\":[\"A\"]}"));
	assert_true(match("[\"null\"]", "\"int\""));
}

/* The branch of reader union `u` chosen for writer `w`. */
static size_t branch(const char *u, const char *w)
{
	regit_schema *us = parse(u), *ws = parse(w);
	regit_resolver *rs = NULL;
	size_t k = 12345;

	assert_int_equal(regit_resolver_new(&rs), 0);
	assert_int_equal(regit_resolve_branch(&k, rs, regit_schema_root(us), regit_schema_root(ws)), 0);
	regit_resolver_free(rs);
	regit_schema_free(us);
	regit_schema_free(ws);
	return k;
}

/* 10 records R0..R9 in namespace n, then `tail` branches: an indexed union. */
static const char *big_union(regit_buf *b, const char *tail)
{
	int i;

	regit_buf_clear(b);
	assert_int_equal(regit_buf_puts(b, "["), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(regit_buf_printf(b,
			"{\"type\":\"record\",\"name\":\"n.R%d\"%s,\"fields\":[]},", i,
			i == 7 ? ",\"aliases\":[\"old.Seven\"]" : ""), 0);
	assert_int_equal(regit_buf_printf(b, "%s]", tail), 0);
	return b->ptr;
}

static void test_resolve__union_branch(void **state)
{
	regit_buf b = REGIT_BUF_INIT;

	(void)state;
	/* Exact kind before promotion, whatever the order. */
	assert_int_equal(branch("[\"long\",\"int\"]", "\"int\""), 1);
	assert_int_equal(branch("[\"long\",\"null\"]", "\"int\""), 0);
	assert_int_equal(branch("[\"null\",\"string\"]", "\"bytes\""), 1);
	assert_int_equal(branch("[\"null\",\"double\",\"float\"]", "\"long\""), 1);
	assert_int_equal(branch("[\"null\"]", "\"int\""), NONE);
	/* The branch of the same full name before one of the same short name. */
	assert_int_equal(branch("[" REC("a.R", "") "," REC("b.R", "") "]", REC("b.R", "")), 1);
	assert_int_equal(branch("[" REC("a.R", "") "," REC("b.R", "") "]", REC("c.R", "")), 0);
	/* Aliases are full names here too. */
	assert_int_equal(branch("[\"null\"," REC("a.New", ",\"aliases\":[\"b.Old\"]") "]",
		REC("c.Old", "")), NONE);
	assert_int_equal(branch("[\"null\"," REC("a.New", ",\"aliases\":[\"b.Old\"]") "]",
		REC("b.Old", "")), 1);
	/* Array branches match on their items. */
	assert_int_equal(branch("[\"null\",{\"type\":\"array\",\"items\":\"string\"}]",
		"{\"type\":\"array\",\"items\":\"int\"}"), NONE);
	assert_int_equal(branch("[\"null\",{\"type\":\"array\",\"items\":\"long\"}]",
		"{\"type\":\"array\",\"items\":\"int\"}"), 1);

	/* Large unions go through the index: the same answers. */
	regit_buf_init(&b, 0);
	assert_int_equal(branch(big_union(&b, "\"long\",\"int\""), "\"int\""), 11);
	assert_int_equal(branch(big_union(&b, "\"double\",\"long\""), "\"int\""), 10);
	assert_int_equal(branch(big_union(&b, "\"null\""), REC("n.R7", "")), 7);
	assert_int_equal(branch(big_union(&b, "\"null\""), REC("other.R4", "")), 4);
	assert_int_equal(branch(big_union(&b, "\"null\""), REC("old.Seven", "")), 7);
	assert_int_equal(branch(big_union(&b, "\"null\""), REC("n.Seven", "")), NONE);
	/* A same-named enum before the record must not hide the record. */
	assert_int_equal(branch(big_union(&b,
		"{\"type\":\"enum\",\"name\":\"Q\",\"symbols\":[\"A\"]},{\"type\":\"record\",\"name\":\"m.Q\",\"fields\":[]}"),
		REC("Q", "")), 11);
	regit_buf_dispose(&b);
}

#define BIGREC "{\"type\":\"record\",\"name\":\"R\",\"fields\":[" \
	"{\"name\":\"f0\",\"type\":\"int\"},{\"name\":\"f1\",\"type\":\"int\"}," \
	"{\"name\":\"f2\",\"type\":\"int\"},{\"name\":\"f3\",\"type\":\"int\"}," \
	"{\"name\":\"f4\",\"type\":\"int\"},{\"name\":\"f5\",\"type\":\"int\"}," \
	"{\"name\":\"f6\",\"type\":\"int\"},{\"name\":\"f7\",\"type\":\"int\"}," \
	"{\"name\":\"f8\",\"type\":\"int\",\"aliases\":[\"old8\"]},{\"name\":\"f9\",\"type\":\"int\"}]}"

static void test_resolve__fields(void **state)
{
	regit_schema *r = parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"f9\",\"type\":\"int\"},"
		"{\"name\":\"renamed\",\"aliases\":[\"nope\",\"f3\"],\"type\":\"int\"},"
		"{\"name\":\"added\",\"type\":\"int\",\"default\":1},"
		"{\"name\":\"required\",\"type\":\"int\"}]}");
	regit_schema *small = parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"f3\",\"type\":\"int\"},{\"name\":\"f9\",\"type\":\"int\"}]}");
	regit_schema *big = parse(BIGREC);
	const regit_schema *writers[2] = { small, big };
	const regit_type *rt = regit_schema_root(r);
	regit_resolver *rs = NULL;
	regit_resolve_field_action a;
	size_t i, k;

	(void)state;
	assert_int_equal(regit_resolver_new(&rs), 0);
	for (i = 0; i < 2; i++) {
		const regit_type *w = regit_schema_root(writers[i]);

		assert_int_equal(regit_resolve_field(&a, &k, rs, w, &rt->fields[0], 0), 0);
		assert_int_equal(a, REGIT_RESOLVE_FIELD_READ);
		assert_int_equal(k, i == 0 ? 1 : 9);
		assert_int_equal(regit_resolve_field(&a, &k, rs, w, &rt->fields[1], 1), 0);
		assert_int_equal(a, REGIT_RESOLVE_FIELD_READ);
		assert_int_equal(k, i == 0 ? 0 : 3);
		assert_int_equal(regit_resolve_field(&a, &k, rs, w, &rt->fields[2], 2), 0);
		assert_int_equal(a, REGIT_RESOLVE_FIELD_DEFAULT);
		assert_int_equal(k, NONE);
		assert_int_equal(regit_resolve_field(&a, &k, rs, w, &rt->fields[3], 3), 0);
		assert_int_equal(a, REGIT_RESOLVE_FIELD_MISSING);
	}
	/* Counterparts (strict rules): an alias on either side links fields. */
	{
		regit_schema *o = parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			"{\"name\":\"old8\",\"type\":\"int\"}]}");
		const regit_type *ot = regit_schema_root(o), *bt = regit_schema_root(big);

		assert_int_equal(regit_resolve_field_counterpart(&k, rs, bt, &ot->fields[0], 0), 0);
		assert_int_equal(k, 8);
		assert_int_equal(regit_resolve_field_counterpart(&k, rs, ot, &bt->fields[8], 8), 0);
		assert_int_equal(k, 0);
		assert_int_equal(regit_resolve_field_counterpart(&k, rs, ot, &bt->fields[7], 7), 0);
		assert_int_equal(k, NONE);
		regit_schema_free(o);
	}
	regit_resolver_free(rs);
	regit_schema_free(r);
	regit_schema_free(small);
	regit_schema_free(big);
}

static void test_resolve__enum_symbols(void **state)
{
	regit_schema *small = parse("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}");
	regit_schema *dflt = parse("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"],\"default\":\"B\"}");
	regit_schema *big = parse("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":"
		"[\"S0\",\"S1\",\"S2\",\"S3\",\"S4\",\"S5\",\"S6\",\"S7\",\"S8\",\"S9\"],\"default\":\"S6\"}");
	regit_resolver *rs = NULL;
	size_t k;

	(void)state;
	assert_int_equal(regit_resolver_new(&rs), 0);
	assert_int_equal(regit_resolve_symbol(&k, rs, regit_schema_root(small), "B"), 0);
	assert_int_equal(k, 1);
	assert_int_equal(regit_resolve_symbol(&k, rs, regit_schema_root(small), "C"), 0);
	assert_int_equal(k, NONE);
	assert_int_equal(regit_resolve_symbol(&k, rs, regit_schema_root(dflt), "C"), 0);
	assert_int_equal(k, 1);
	assert_int_equal(regit_resolve_symbol(&k, rs, regit_schema_root(big), "S8"), 0);
	assert_int_equal(k, 8);
	assert_int_equal(regit_resolve_symbol(&k, rs, regit_schema_root(big), "X"), 0);
	assert_int_equal(k, 6);
	regit_resolver_free(rs);
	regit_schema_free(small);
	regit_schema_free(dflt);
	regit_schema_free(big);
}

static void test_resolve__branch_counterpart(void **state)
{
	regit_buf b = REGIT_BUF_INIT;
	regit_schema *u, *t;
	regit_resolver *rs = NULL;
	size_t k;

	(void)state;
	assert_int_equal(regit_resolver_new(&rs), 0);
	regit_buf_init(&b, 0);
	/* The old type's alias names a branch: indexed by full name. */
	u = parse(big_union(&b, "\"null\""));
	t = parse(REC("x.Renamed", ",\"aliases\":[\"n.R3\"]"));
	assert_int_equal(regit_resolve_branch_counterpart(&k, rs, regit_schema_root(u), regit_schema_root(t)), 0);
	assert_int_equal(k, 3);
	regit_schema_free(t);
	/* A branch's alias names the old type. */
	t = parse(REC("old.Seven", ""));
	assert_int_equal(regit_resolve_branch_counterpart(&k, rs, regit_schema_root(u), regit_schema_root(t)), 0);
	assert_int_equal(k, 7);
	regit_schema_free(t);
	/* A relative alias is not the short name of another namespace's type. */
	t = parse(REC("Seven", ",\"namespace\":\"new\""));
	assert_int_equal(regit_resolve_branch_counterpart(&k, rs, regit_schema_root(u), regit_schema_root(t)), 0);
	assert_int_equal(k, NONE);
	regit_schema_free(t);
	regit_schema_free(u);
	regit_buf_dispose(&b);
	regit_resolver_free(rs);
}

static void test_resolve__allocation_failures(void **state)
{
	regit_buf b = REGIT_BUF_INIT;
	regit_schema *u, *w;
	long n;
	int error = 0;

	(void)state;
	regit_buf_init(&b, 0);
	u = parse(big_union(&b, "\"null\""));
	w = parse(REC("n.R5", ""));
	for (n = 0; n < 1000; n++) {
		regit_resolver *rs = NULL;
		size_t k = 0;

		regit_alloc_fail_after(n);
		error = regit_resolver_new(&rs);
		if (error == 0)
			error = regit_resolve_branch(&k, rs, regit_schema_root(u), regit_schema_root(w));
		regit_alloc_fail_after(-1);
		regit_resolver_free(rs);
		if (error == 0) {
			assert_int_equal(k, 5);
			break;
		}
		assert_int_equal(error, REGIT_ENOMEM);
	}
	assert_int_equal(error, 0);
	assert_true(n > 1);
	regit_schema_free(u);
	regit_schema_free(w);
	regit_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve__names_and_aliases),
		cmocka_unit_test(test_resolve__promotions),
		cmocka_unit_test(test_resolve__match),
		cmocka_unit_test(test_resolve__union_branch),
		cmocka_unit_test(test_resolve__fields),
		cmocka_unit_test(test_resolve__enum_symbols),
		cmocka_unit_test(test_resolve__branch_counterpart),
		cmocka_unit_test(test_resolve__allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
