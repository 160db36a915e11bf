/*
 * test_config.c - regit.yaml (cli/config.c): every key, and every way a
 * file is refused, with the line and column the message must name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cli/config.h"
#include "util/alloc.h"
#include "util/error.h"

static regit_config *load(const char *text)
{
	regit_config *c = NULL;

	if (regit_config_parse(&c, text, strlen(text), "regit.yaml") < 0)
		fail_msg("%s\n-> %s", text, regit_error_message());
	return c;
}

static int rule(const char *id)
{
	return regit_lint_rule_find(id);
}

static void test_config__empty_is_defaults(void **state)
{
	static const char *const texts[] = { "", "# nothing\n", "---\n", "{}\n" };
	regit_lint_options o, d;
	regit_compat_level level = REGIT_LEVEL_BACKWARD;
	regit_compat_rules rules = REGIT_RULES_AVRO;
	size_t i;
	int expl = 1;

	(void)state;
	regit_lint_options_init(&d);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		regit_config *c = load(texts[i]);

		assert_int_equal(regit_config_path_count(c), 0);
		regit_config_lint_options(c, &o);
		assert_memory_equal(&o, &d, sizeof(o));
		regit_config_check_for(c, "schemas/a.avsc", &level, &rules, &expl);
		assert_int_equal(level, REGIT_LEVEL_BACKWARD);   /* the caller's default stays */
		assert_int_equal(rules, REGIT_RULES_AVRO);
		assert_int_equal(expl, 0);
		assert_int_equal(regit_config_lint_ignored(c, "DOC", "schemas/a.avsc"), 0);
		regit_config_free(c);
	}
	regit_config_free(NULL);
}

static void test_config__every_key(void **state)
{
	regit_config *c;
	regit_lint_options o;
	regit_compat_level level = REGIT_LEVEL_NONE;
	regit_compat_rules rules = REGIT_RULES_STRICT;
	int expl;

	(void)state;
	c = load(
		"paths: [schemas, events/orders]\n"
		"lint:\n"
		"  use: [default, MONEY_FLOAT]\n"
		"  except: [NAMESPACE]\n"
		"  severity:\n"
		"    DOC: error\n"
		"    EVENT_TIME: warning\n"
		"    PARTITION_KEY: off\n"
		"  ignore:\n"
		"    CORRELATION_ID: [\"schemas/legacy/*\"]\n"
		"    all: schemas/generated/*\n"
		"  naming:\n"
		"    fields: camelCase\n"
		"    types: PascalCase\n"
		"    enum_symbols: any\n"
		"check:\n"
		"  level: BACKWARD\n"
		"  rules: avro\n"
		"  paths:\n"
		"    \"schemas/strict/*\": {level: FULL_TRANSITIVE, rules: strict}\n"
		"    \"schemas/loose/*\":\n"
		"      level: none\n");
	assert_int_equal(regit_config_path_count(c), 2);
	assert_string_equal(regit_config_path_at(c, 0), "schemas");
	assert_string_equal(regit_config_path_at(c, 1), "events/orders");
	assert_null(regit_config_path_at(c, 2));

	regit_config_lint_options(c, &o);
	assert_int_equal(o.severity[rule("EVENT_ID")], REGIT_LINT_ERROR);
	assert_int_equal(o.severity[rule("MONEY_FLOAT")], REGIT_LINT_ERROR);
	assert_int_equal(o.severity[rule("NAMESPACE")], REGIT_LINT_OFF);
	assert_int_equal(o.severity[rule("DOC")], REGIT_LINT_ERROR);
	assert_int_equal(o.severity[rule("EVENT_TIME")], REGIT_LINT_WARNING);
	assert_int_equal(o.severity[rule("PARTITION_KEY")], REGIT_LINT_OFF);
	assert_int_equal(o.field_naming, REGIT_NAMING_CAMEL);
	assert_int_equal(o.type_naming, REGIT_NAMING_PASCAL);
	assert_int_equal(o.symbol_naming, REGIT_NAMING_ANY);

	assert_true(regit_config_lint_ignored(c, "CORRELATION_ID", "schemas/legacy/a.avsc"));
	assert_false(regit_config_lint_ignored(c, "EVENT_ID", "schemas/legacy/a.avsc"));
	assert_false(regit_config_lint_ignored(c, "CORRELATION_ID", "schemas/a.avsc"));
	assert_true(regit_config_lint_ignored(c, "EVENT_ID", "schemas/generated/x/y.avsc"));

	regit_config_check_for(c, "schemas/a.avsc", &level, &rules, &expl);
	assert_int_equal(level, REGIT_LEVEL_BACKWARD);
	assert_int_equal(rules, REGIT_RULES_AVRO);
	assert_int_equal(expl, 1);
	regit_config_check_for(c, "schemas/strict/a.avsc", &level, &rules, NULL);
	assert_int_equal(level, REGIT_LEVEL_FULL_TRANSITIVE);
	assert_int_equal(rules, REGIT_RULES_STRICT);
	rules = REGIT_RULES_STRICT;
	regit_config_check_for(c, "schemas/loose/a.avsc", &level, &rules, NULL);
	assert_int_equal(level, REGIT_LEVEL_NONE);
	assert_int_equal(rules, REGIT_RULES_AVRO);   /* from check.rules */
	regit_config_free(c);
}

/* `use` replaces the default set: only the rules listed run. */
static void test_config__use_only(void **state)
{
	regit_config *c = load("lint:\n  use: [EVENT_ID, DOC]\n");
	regit_lint_options o;
	size_t i;

	(void)state;
	regit_config_lint_options(c, &o);
	for (i = 0; i < regit_lint_rule_count(); i++) {
		const char *id = regit_lint_rule_at(i)->id;

		if (strcmp(id, "EVENT_ID") == 0)
			assert_int_equal(o.severity[i], REGIT_LINT_ERROR);
		else if (strcmp(id, "DOC") == 0)
			assert_int_equal(o.severity[i], REGIT_LINT_WARNING);
		else
			assert_int_equal(o.severity[i], REGIT_LINT_OFF);
	}
	regit_config_free(c);
	c = load("lint:\n  use: all\n");
	regit_config_lint_options(c, &o);
	for (i = 0; i < regit_lint_rule_count(); i++)
		assert_int_not_equal(o.severity[i], REGIT_LINT_OFF);
	regit_config_free(c);
}

static void test_config__errors_name_the_line(void **state)
{
	static const struct { const char *text, *expect; } cases[] = {
		{ "lnt: {}\n", "regit.yaml:1:1: unknown key 'lnt' in the file (expected paths, lint, check)" },
		{ "paths: [a]\nlint:\n  uses: [EVENT_ID]\n", "regit.yaml:3:3: unknown key 'uses' in lint" },
		{ "lint:\n  except: [EVENT_IDS]\n", "regit.yaml:2:12: unknown lint rule 'EVENT_IDS'" },
		{ "lint:\n  severity:\n    DOC: fatal\n", "regit.yaml:3:10: severity must be error, warning or off, not 'fatal'" },
		{ "lint:\n  severity:\n    DOCS: error\n", "regit.yaml:3:5: unknown lint rule 'DOCS'" },
		{ "lint:\n  naming:\n    fields: kebab\n", "regit.yaml:3:13: unknown naming convention 'kebab'" },
		{ "lint:\n  naming:\n    field: snake_case\n", "regit.yaml:3:5: unknown key 'field' in lint.naming" },
		{ "lint:\n  ignore:\n    NOPE: [x]\n", "regit.yaml:3:5: unknown lint rule 'NOPE'" },
		{ "lint:\n  ignore: [x]\n", "regit.yaml:2:11: lint.ignore must be a mapping" },
		{ "check:\n  level: SIDEWAYS\n", "regit.yaml:2:10: unknown compatibility level 'SIDEWAYS'" },
		{ "check:\n  rules: loose\n", "regit.yaml:2:10: rules must be strict or avro, not 'loose'" },
		{ "check:\n  paths:\n    \"a/*\": {level: FULL, ruls: avro}\n", "regit.yaml:3:26: unknown key 'ruls' in a check.paths entry" },
		{ "paths: {a: b}\n", "regit.yaml:1:8: paths must be a list" },
		{ "paths: [[a]]\n", "regit.yaml:1:9: paths must be a single value" },
		{ "paths: [a]\npaths: [b]\n", "regit.yaml:2:1: duplicate key 'paths' in the file" },
		{ "- a\n- b\n", "regit.yaml:1:1: the file must be a mapping" },
		{ "paths: [a\n", "regit.yaml:2:1: did not find expected ',' or ']'" },
		{ "lint: {}\n---\npaths: [a]\n", "regit.yaml:3:1: a second YAML document" },
		{ "paths: [\"\"]\n", "regit.yaml:1:9: an empty path" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		regit_config *c = NULL;
		int rc = regit_config_parse(&c, cases[i].text, strlen(cases[i].text), "regit.yaml");

		if (rc != REGIT_EINVALID)
			fail_msg("case %zu: rc %d for\n%s", i, rc, cases[i].text);
		assert_null(c);
		if (strncmp(regit_error_message(), cases[i].expect, strlen(cases[i].expect)) != 0)
			fail_msg("case %zu: got '%s', expected '%s...'", i, regit_error_message(),
				cases[i].expect);
	}
}

/* Aliases make a graph, but the walk is shallow: no blow-up, same result. */
static void test_config__aliases_and_bounds(void **state)
{
	regit_config *c;
	regit_lint_options o;
	char *big;
	int rc;

	(void)state;
	c = load("lint:\n  except: &r [DOC]\n  use: *r\n");
	regit_config_lint_options(c, &o);
	assert_int_equal(o.severity[rule("DOC")], REGIT_LINT_OFF);
	regit_config_free(c);

	big = regit_malloc(REGIT_CONFIG_MAX_SIZE + 2);
	assert_non_null(big);
	memset(big, '#', REGIT_CONFIG_MAX_SIZE + 1);
	big[REGIT_CONFIG_MAX_SIZE + 1] = '\0';
	c = NULL;
	rc = regit_config_parse(&c, big, REGIT_CONFIG_MAX_SIZE + 1, "regit.yaml");
	assert_int_equal(rc, REGIT_ELIMIT);
	assert_null(c);
	regit_free(big);
	/* A scalar spanning lines still makes a one-line message (found by fuzzing). */
	rc = regit_config_parse(&c, "lint:\n  except: [DOC, EVEN\n\n  u]\n", 33, "regit.yaml");
	assert_int_equal(rc, REGIT_EINVALID);
	assert_null(strchr(regit_error_message(), '\n'));
	assert_non_null(strstr(regit_error_message(), "unknown lint rule 'EVEN?u'"));
	/* Embedded NUL in a scalar is refused, not truncated. */
	rc = regit_config_parse(&c, "paths: [\"a\\0b\"]\n", 16, "regit.yaml");
	assert_int_equal(rc, REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "NUL"));
}

/* What `regit lint --init` writes is a valid file equal to the defaults. */
static void test_config__default_text(void **state)
{
	const char *text = regit_config_default_text();
	regit_config *c = load(text);
	regit_lint_options o, d;
	regit_compat_level level = REGIT_LEVEL_NONE;
	regit_compat_rules rules = REGIT_RULES_AVRO;

	(void)state;
	regit_lint_options_init(&d);
	regit_config_lint_options(c, &o);
	assert_memory_equal(&o, &d, sizeof(o));
	assert_int_equal(regit_config_path_count(c), 1);
	assert_string_equal(regit_config_path_at(c, 0), "schemas");
	regit_config_check_for(c, "schemas/a.avsc", &level, &rules, NULL);
	assert_int_equal(level, REGIT_LEVEL_FULL_TRANSITIVE);
	assert_int_equal(rules, REGIT_RULES_STRICT);
	regit_config_free(c);
}

static void test_config__load_missing(void **state)
{
	regit_config *c = NULL;

	(void)state;
	assert_int_equal(regit_config_load(&c, "tests/no/such/regit.yaml"), REGIT_ENOTFOUND);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config__empty_is_defaults),
		cmocka_unit_test(test_config__every_key),
		cmocka_unit_test(test_config__use_only),
		cmocka_unit_test(test_config__errors_name_the_line),
		cmocka_unit_test(test_config__aliases_and_bounds),
		cmocka_unit_test(test_config__default_text),
		cmocka_unit_test(test_config__load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
