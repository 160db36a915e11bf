/*
 * test_schemaset.c - resolving named types from other schema files
 * (cli/schemaset.c): on demand, chained, never into a file that defines
 * the name itself, cycles and misses as the parser's unknown type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/schemaset.h"
#include "compat/schema.h"
#include "util/error.h"

static const char COUNTRY[] =
	"{\"type\":\"enum\",\"name\":\"Country\",\"namespace\":\"a\",\"symbols\":[\"DE\"]}";
static const char ADDRESS[] =
	"{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"a\",\"fields\":"
	"[{\"name\":\"c\",\"type\":\"Country\"}]}";

static void add(regit_schemaset *set, const char *name, const char *text)
{
	assert_int_equal(regit_schemaset_add(set, name, text, strlen(text)), 0);
}

static int parse(regit_schemaset *set, regit_schema **out, const char *text,
	const char *self, regit_schema_error *err)
{
	return regit_schemaset_parse(set, out, text, strlen(text), self, err);
}

static void test_schemaset__chained_and_by_namespace(void **state)
{
	regit_schemaset *set = NULL;
	regit_schema *s = NULL;
	regit_schema_error err;
	const regit_type *root;

	(void)state;
	assert_int_equal(regit_schemaset_new(&set), 0);
	add(set, "address.avsc", ADDRESS);   /* uses Country, added after it */
	add(set, "country.avsc", COUNTRY);
	assert_int_equal(parse(set, &s,
		"{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"a\",\"fields\":"
		"[{\"name\":\"to\",\"type\":\"Address\"},{\"name\":\"from\",\"type\":\"a.Country\"}]}",
		NULL, &err), 0);
	root = regit_schema_root(s);
	assert_int_equal(root->fields[0].type->kind, REGIT_TYPE_RECORD);
	assert_string_equal(root->fields[0].type->fullname, "a.Address");
	assert_int_equal(root->fields[0].type->fields[0].type->kind, REGIT_TYPE_ENUM);
	assert_int_equal(root->fields[1].type->kind, REGIT_TYPE_ENUM);
	/* imported, not defined here */
	assert_null(regit_schema_find(s, "a.Address"));
	assert_non_null(regit_schema_find(s, "a.Order"));
	regit_schema_free(s);
	regit_schemaset_free(set);
}

static void test_schemaset__only_what_is_used(void **state)
{
	regit_schemaset *set = NULL;
	regit_schema *s = NULL;
	regit_schema_error err;

	(void)state;
	assert_int_equal(regit_schemaset_new(&set), 0);
	add(set, "country.avsc", COUNTRY);
	add(set, "address.avsc", ADDRESS);
	/* Defines its own a.Country and uses a.Address, whose file uses a.Country
	 * from country.avsc: only address.avsc is imported here, so the own
	 * definition is not "defined twice". */
	assert_int_equal(parse(set, &s,
		"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
		"{\"name\":\"x\",\"type\":{\"type\":\"enum\",\"name\":\"Country\",\"symbols\":[\"FR\"]}},"
		"{\"name\":\"y\",\"type\":\"Address\"}]}", NULL, &err), 0);
	assert_string_equal(regit_schema_find(s, "a.Country")->symbols[0], "FR");
	regit_schema_free(s);
	regit_schemaset_free(set);
}

static void test_schemaset__misses_and_cycles(void **state)
{
	regit_schemaset *set = NULL;
	regit_schema *s = NULL;
	regit_schema_error err;
	static const char uses_b[] =
		"{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"b\",\"type\":\"B\"}]}";
	static const char uses_a[] =
		"{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"a\",\"type\":\"A\"}]}";

	(void)state;
	assert_int_equal(regit_schemaset_new(&set), 0);
	assert_int_equal(parse(set, &s, "\"x.Nope\"", NULL, &err), REGIT_EINVALID);
	assert_null(s);
	assert_string_equal(err.unknown, "x.Nope");
	assert_string_equal(err.unknown_space, "");
	/* A cycle between members is an unknown type, not a hang. */
	add(set, "a.avsc", uses_b);
	add(set, "b.avsc", uses_a);
	assert_int_equal(parse(set, &s, uses_b, "a.avsc", &err), REGIT_EINVALID);
	assert_null(s);
	assert_non_null(strstr(err.message, "unknown type"));
	regit_schemaset_free(set);
}

static void test_schemaset__first_member_wins_and_self_is_skipped(void **state)
{
	regit_schemaset *set = NULL;
	regit_schema *s = NULL;
	regit_schema_error err;

	(void)state;
	assert_int_equal(regit_schemaset_new(&set), 0);
	add(set, "one.avsc", "{\"type\":\"fixed\",\"name\":\"F\",\"size\":1}");
	add(set, "two.avsc", "{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}");
	assert_int_equal(parse(set, &s, "\"F\"", NULL, &err), 0);
	assert_int_equal(regit_schema_root(s)->size, 1);
	regit_schema_free(s);
	/* one.avsc parsed as itself is never its own provider: two.avsc is */
	assert_int_equal(parse(set, &s, "\"F\"", "one.avsc", &err), 0);
	assert_int_equal(regit_schema_root(s)->size, 2);
	regit_schema_free(s);
	regit_schemaset_free(set);
}

/*
 * Looking for one name parses members that are not needed for it; one of
 * them may need the member being parsed. Its failure then is not final:
 * it resolves when needed itself.
 */
static void test_schemaset__no_failure_kept_from_mid_parse(void **state)
{
	regit_schemaset *set = NULL;
	regit_schema *s = NULL;
	regit_schema_error err;

	(void)state;
	assert_int_equal(regit_schemaset_new(&set), 0);
	/* a.avsc defines T and needs U; b.avsc needs T and defines W; c.avsc defines U */
	add(set, "a.avsc", "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"u\",\"type\":\"U\"}]}");
	add(set, "b.avsc", "{\"type\":\"record\",\"name\":\"W\",\"fields\":[{\"name\":\"t\",\"type\":\"T\"}]}");
	add(set, "c.avsc", "{\"type\":\"fixed\",\"name\":\"U\",\"size\":4}");
	assert_int_equal(parse(set, &s, "\"T\"", NULL, &err), 0);
	regit_schema_free(s);
	assert_int_equal(parse(set, &s, "\"W\"", NULL, &err), 0);
	assert_int_equal(regit_schema_root(s)->kind, REGIT_TYPE_RECORD);
	regit_schema_free(s);
	regit_schemaset_free(set);
}

/*
 * A chain of references longer than the depth followed fails at its head,
 * but the members it cut are not kept as invalid: a shorter chain from the
 * middle resolves.
 */
static void test_schemaset__cut_chain_is_not_kept(void **state)
{
	regit_schemaset *set = NULL;
	regit_schema *s = NULL;
	regit_schema_error err;
	char name[32], text[160];
	int i;

	(void)state;
	assert_int_equal(regit_schemaset_new(&set), 0);
	for (i = 0; i < 80; i++) {
		snprintf(name, sizeof(name), "t%02d.avsc", i);
		if (i < 79)
			snprintf(text, sizeof(text), "{\"type\":\"record\",\"name\":\"T%02d\","
				"\"fields\":[{\"name\":\"n\",\"type\":\"T%02d\"}]}", i, i + 1);
		else
			snprintf(text, sizeof(text), "{\"type\":\"fixed\",\"name\":\"T79\",\"size\":1}");
		add(set, name, text);
	}
	assert_int_equal(parse(set, &s, "\"T00\"", NULL, &err), REGIT_EINVALID);
	assert_null(s);
	assert_int_equal(parse(set, &s, "\"T40\"", NULL, &err), 0);
	regit_schema_free(s);
	regit_schemaset_free(set);
}

/* Files that only use a name are not searched through for it: many users
 * of a missing type fail fast, and a definer written with spaces is found. */
static void test_schemaset__users_are_not_providers(void **state)
{
	regit_schemaset *set = NULL;
	regit_schema *s = NULL;
	regit_schema_error err;
	char name[32], text[160];
	int i;

	(void)state;
	assert_int_equal(regit_schemaset_new(&set), 0);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "u%03d.avsc", i);
		snprintf(text, sizeof(text), "{\"type\":\"record\",\"name\":\"U%03d\","
			"\"fields\":[{\"name\":\"c\",\"type\":\"n.Common\"}]}", i);
		add(set, name, text);
	}
	assert_int_equal(parse(set, &s, "\"n.Common\"", NULL, &err), REGIT_EINVALID);
	add(set, "zz.avsc", "{\"type\" : \"enum\", \"name\" :\n \"Common\", \"namespace\": \"n\", \"symbols\": [\"A\"]}");
	for (i = 0; i < 300; i += 50) {
		snprintf(name, sizeof(name), "u%03d.avsc", i);
		snprintf(text, sizeof(text), "{\"type\":\"record\",\"name\":\"U%03d\","
			"\"fields\":[{\"name\":\"c\",\"type\":\"n.Common\"}]}", i);
		assert_int_equal(parse(set, &s, text, name, &err), 0);
		regit_schema_free(s);
	}
	regit_schemaset_free(set);
}

static void test_schemaset__references_are_checked(void **state)
{
	regit_schemaset *set = NULL;
	char *bad[] = { "tests/no/such.avsc" };

	(void)state;
	assert_int_equal(regit_schemaset_new(&set), 0);
	assert_int_equal(regit_schemaset_add_references(set, bad, 1, 1u << 20), REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "reference "));
	assert_non_null(strstr(regit_error_message(), "tests/no/such.avsc"));
	regit_schemaset_free(set);
}

/* Reference files that need each other (a cycle) are reported, not passed. */
static void test_schemaset__reference_cycle_is_reported(void **state)
{
	regit_schemaset *set = NULL;
	char tmpl[] = "/tmp/regit-schemaset-XXXXXX";
	char p[2][64];
	char *paths[2] = { p[0], p[1] };
	static const char *const text[2] = {
		"{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"q\",\"type\":\"Q\"}]}",
		"{\"type\":\"record\",\"name\":\"Q\",\"fields\":[{\"name\":\"p\",\"type\":\"P\"}]}",
	};
	FILE *f;
	int i;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	for (i = 0; i < 2; i++) {
		snprintf(p[i], sizeof(p[i]), "%s/%c.avsc", tmpl, 'p' + i);
		f = fopen(p[i], "w");
		assert_non_null(f);
		fputs(text[i], f);
		fclose(f);
	}
	assert_int_equal(regit_schemaset_new(&set), 0);
	assert_int_equal(regit_schemaset_add_references(set, paths, 2, 1u << 20), REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "unknown type"));
	regit_schemaset_free(set);
	for (i = 0; i < 2; i++)
		remove(p[i]);
	remove(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemaset__chained_and_by_namespace),
		cmocka_unit_test(test_schemaset__only_what_is_used),
		cmocka_unit_test(test_schemaset__misses_and_cycles),
		cmocka_unit_test(test_schemaset__first_member_wins_and_self_is_skipped),
		cmocka_unit_test(test_schemaset__no_failure_kept_from_mid_parse),
		cmocka_unit_test(test_schemaset__cut_chain_is_not_kept),
		cmocka_unit_test(test_schemaset__users_are_not_providers),
		cmocka_unit_test(test_schemaset__references_are_checked),
		cmocka_unit_test(test_schemaset__reference_cycle_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
