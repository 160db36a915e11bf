/*
 * test_lint.c - the event-design rules (compat/lint.c).
 *
 * The rules are tested as data: tests/compat/lint/<RULE>/ holds
 * fail-*.avsc files that must draw at least one finding of that rule (and,
 * when fail-*.path exists, the first one at that JSON pointer) and
 * pass-*.avsc files that must draw none, each linted with only that rule
 * switched on. Every rule of the table must have such a directory with at
 * least one failing and one passing schema, so a new rule cannot land
 * untested. The example events in schemas/ must lint clean with the
 * defaults, warnings included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compat/lint.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define CASES "tests/compat/lint"

static regit_schema *parse_file(const char *path)
{
	regit_schema *s = NULL;
	regit_schema_error err;

	memset(&err, 0, sizeof(err));
	if (regit_schema_parse_file(&s, path, NULL, &err) < 0)
		fail_msg("%s: %s (at %s)", path, err.message, err.path);
	return s;
}

static regit_schema *parse(const char *json)
{
	regit_schema *s = NULL;
	regit_schema_error err;

	memset(&err, 0, sizeof(err));
	if (regit_schema_parse(&s, json, strlen(json), NULL, &err) < 0)
		fail_msg("%s: %s", json, err.message);
	return s;
}

static void only(regit_lint_options *o, size_t rule)
{
	size_t i;

	regit_lint_options_init(o);
	for (i = 0; i < regit_lint_rule_count(); i++)
		o->severity[i] = i == rule ? REGIT_LINT_ERROR : REGIT_LINT_OFF;
}

/* The first line of `path`, or "" when the file does not exist. */
static void read_expected(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, (int)n, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static void test_lint__rules_as_data(void **state)
{
	size_t r, total = 0;

	(void)state;
	for (r = 0; r < regit_lint_rule_count(); r++) {
		const regit_lint_rule *rule = regit_lint_rule_at(r);
		char dir[256];
		DIR *d;
		struct dirent *e;
		size_t nfail = 0, npass = 0;

		snprintf(dir, sizeof(dir), "%s/%s", CASES, rule->id);
		d = opendir(dir);
		if (!d)
			fail_msg("rule %s has no test directory %s", rule->id, dir);
		while ((e = readdir(d)) != NULL) {
			regit_lint_options o;
			regit_lint_result res = REGIT_LINT_RESULT_INIT;
			regit_schema *s;
			char path[512], expected[256];
			size_t n = strlen(e->d_name), i;
			int failing;

			if (n < 6 || strcmp(e->d_name + n - 5, ".avsc") != 0)
				continue;
			failing = strncmp(e->d_name, "fail", 4) == 0;
			if (!failing && strncmp(e->d_name, "pass", 4) != 0)
				fail_msg("%s/%s: name must start with fail or pass", dir, e->d_name);
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			s = parse_file(path);
			only(&o, r);
			assert_int_equal(regit_lint_schema(s, &o, &res), 0);
			for (i = 0; i < res.nfindings; i++)
				assert_string_equal(res.findings[i].rule, rule->id);
			if (failing) {
				if (res.nfindings == 0)
					fail_msg("%s: expected a %s finding, got none", path, rule->id);
				assert_true(res.nerrors >= 1);
				snprintf(path + strlen(path) - 5, 6, ".path");
				read_expected(path, expected, sizeof(expected));
				if (access(path, F_OK) == 0)
					if (strcmp(res.findings[0].path, expected) != 0)
						fail_msg("%s: finding at '%s', expected '%s' (%s)", path,
							res.findings[0].path, expected, res.findings[0].message);
				nfail++;
			} else {
				if (res.nfindings)
					fail_msg("%s: unexpected %s: %s (at %s)", path, rule->id,
						res.findings[0].message, res.findings[0].path);
				npass++;
			}
			regit_lint_result_dispose(&res);
			regit_schema_free(s);
		}
		closedir(d);
		if (!nfail || !npass)
			fail_msg("rule %s needs a fail-*.avsc and a pass-*.avsc in %s", rule->id, dir);
		total += nfail + npass;
	}
	assert_true(total >= 2 * regit_lint_rule_count());
}

/*
 * The exact words of the required envelope fields' findings (EVENT_ID,
 * CORRELATION_ID, SCHEMA_VERSION share one table-driven check): missing,
 * wrong type, no default. Tools and people grep for these lines.
 */
static void test_lint__envelope_messages(void **state)
{
	static const struct { const char *rule, *schema, *message; } cases[] = {
		{ "EVENT_ID", "{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}",
		  "record `E` has no `event_id` field (a string with logicalType uuid); "
		  "consumers need it to drop redelivered events" },
		{ "EVENT_ID", "{\"type\":\"record\",\"name\":\"E\",\"fields\":"
		  "[{\"name\":\"event_id\",\"type\":\"string\"}]}",
		  "`event_id` is string; make it {\"type\": \"string\", \"logicalType\": \"uuid\"}, "
		  "never null, so every event has a unique id" },
		{ "CORRELATION_ID", "{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}",
		  "record `E` has no `correlation_id` field (a string); without it one request "
		  "cannot be followed across services" },
		{ "CORRELATION_ID", "{\"type\":\"record\",\"name\":\"E\",\"fields\":"
		  "[{\"name\":\"correlation_id\",\"type\":\"bytes\"}]}",
		  "`correlation_id` is bytes; make it a string that is always set (start a new "
		  "id at the edge when a request has none)" },
		{ "SCHEMA_VERSION", "{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}",
		  "record `E` has no `schema_version` field (an int whose default is this "
		  "version); consumers cannot branch on the version" },
		{ "SCHEMA_VERSION", "{\"type\":\"record\",\"name\":\"E\",\"fields\":"
		  "[{\"name\":\"schema_version\",\"type\":\"long\"}]}",
		  "`schema_version` is long; make it an int" },
		{ "SCHEMA_VERSION", "{\"type\":\"record\",\"name\":\"E\",\"fields\":"
		  "[{\"name\":\"schema_version\",\"type\":\"int\"}]}",
		  "`schema_version` has no default; give it the version of this file so "
		  "producers need not set it by hand" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		regit_lint_options o;
		regit_lint_result res = REGIT_LINT_RESULT_INIT;
		regit_schema *s = parse(cases[i].schema);
		int rule = regit_lint_rule_find(cases[i].rule);

		assert_true(rule >= 0);
		only(&o, (size_t)rule);
		assert_int_equal(regit_lint_schema(s, &o, &res), 0);
		assert_int_equal(res.nfindings, 1);
		assert_string_equal(res.findings[0].message, cases[i].message);
		regit_lint_result_dispose(&res);
		regit_schema_free(s);
	}
}

static void test_lint__table(void **state)
{
	size_t i, j;

	(void)state;
	assert_true(regit_lint_rule_count() >= 13);
	assert_true(regit_lint_rule_count() <= REGIT_LINT_MAX_RULES);
	assert_null(regit_lint_rule_at(regit_lint_rule_count()));
	for (i = 0; i < regit_lint_rule_count(); i++) {
		const regit_lint_rule *r = regit_lint_rule_at(i);
		const char *p;

		for (p = r->id; *p; p++)
			assert_true(isupper((unsigned char)*p) || *p == '_');
		assert_true(strlen(r->category) > 0);
		assert_true(strlen(r->summary) > 0);
		assert_true(strlen(r->explanation) > 80);
		assert_int_equal(regit_lint_rule_find(r->id), (int)i);
		for (j = 0; j < i; j++)
			assert_string_not_equal(regit_lint_rule_at(j)->id, r->id);
	}
	assert_int_equal(regit_lint_rule_find("NO_SUCH_RULE"), -1);
	assert_int_equal(regit_lint_rule_find("event_id"), -1);
	/* The severities the docs promise. */
	assert_int_equal(regit_lint_rule_at((size_t)regit_lint_rule_find("DOC"))->severity,
		REGIT_LINT_WARNING);
	assert_int_equal(regit_lint_rule_at((size_t)regit_lint_rule_find("EVENT_ID"))->severity,
		REGIT_LINT_ERROR);
}

static void test_lint__naming(void **state)
{
	static const struct { regit_naming n; const char *s; int ok; } cases[] = {
		{ REGIT_NAMING_SNAKE, "user_id", 1 },
		{ REGIT_NAMING_SNAKE, "line2", 1 },
		{ REGIT_NAMING_SNAKE, "a_1_b", 1 },
		{ REGIT_NAMING_SNAKE, "userId", 0 },
		{ REGIT_NAMING_SNAKE, "_id", 0 },
		{ REGIT_NAMING_SNAKE, "id_", 0 },
		{ REGIT_NAMING_SNAKE, "a__b", 0 },
		{ REGIT_NAMING_SNAKE, "1a", 0 },
		{ REGIT_NAMING_SNAKE, "", 0 },
		{ REGIT_NAMING_CAMEL, "userId", 1 },
		{ REGIT_NAMING_CAMEL, "UserId", 0 },
		{ REGIT_NAMING_CAMEL, "user_id", 0 },
		{ REGIT_NAMING_PASCAL, "UserCreated", 1 },
		{ REGIT_NAMING_PASCAL, "Md5", 1 },
		{ REGIT_NAMING_PASCAL, "userCreated", 0 },
		{ REGIT_NAMING_PASCAL, "User_Created", 0 },
		{ REGIT_NAMING_UPPER_SNAKE, "PRO_PLAN", 1 },
		{ REGIT_NAMING_UPPER_SNAKE, "V2", 1 },
		{ REGIT_NAMING_UPPER_SNAKE, "Pro", 0 },
		{ REGIT_NAMING_UPPER_SNAKE, "PRO__PLAN", 0 },
		{ REGIT_NAMING_ANY, "whatEver_", 1 },
	};
	size_t i;
	regit_naming n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (regit_naming_matches(cases[i].n, cases[i].s) != cases[i].ok)
			fail_msg("%s as %s", cases[i].s, regit_naming_name(cases[i].n));
	for (i = 0; i <= REGIT_NAMING_UPPER_SNAKE; i++) {
		assert_int_equal(regit_naming_parse(regit_naming_name((regit_naming)i), &n), 0);
		assert_int_equal(n, (regit_naming)i);
	}
	assert_int_equal(regit_naming_parse("kebab-case", &n), REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "kebab-case"));
}

/* Conventions are options: camelCase fields pass when configured. */
static void test_lint__naming_configured(void **state)
{
	regit_lint_options o;
	regit_lint_result res = REGIT_LINT_RESULT_INIT;
	regit_schema *s = parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"userId\",\"type\":\"string\"}]}");

	(void)state;
	only(&o, (size_t)regit_lint_rule_find("FIELD_NAMING"));
	assert_int_equal(regit_lint_schema(s, &o, &res), 0);
	assert_int_equal(res.nfindings, 1);
	assert_non_null(strstr(res.findings[0].message, "snake_case"));
	regit_lint_result_dispose(&res);
	o.field_naming = REGIT_NAMING_CAMEL;
	assert_int_equal(regit_lint_schema(s, &o, &res), 0);
	assert_int_equal(res.nfindings, 0);
	regit_lint_result_dispose(&res);
	o.field_naming = REGIT_NAMING_ANY;
	assert_int_equal(regit_lint_schema(s, &o, &res), 0);
	assert_int_equal(res.nfindings, 0);
	regit_lint_result_dispose(&res);
	regit_schema_free(s);
}

static void test_lint__examples_clean(void **state)
{
	static const char *const files[] = {
		"schemas/user.created.avsc", "schemas/user.updated.avsc", "schemas/user.deleted.avsc",
		"schemas/payment.received.avsc", "schemas/telemetry.batch.avsc",
		"schemas/versions/user.created.v1.avsc",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		regit_lint_result res = REGIT_LINT_RESULT_INIT;
		regit_schema *s = parse_file(files[i]);

		assert_int_equal(regit_lint_schema(s, NULL, &res), 0);
		if (res.nfindings)
			fail_msg("%s: [%s] %s (at %s)", files[i], res.findings[0].rule,
				res.findings[0].message, res.findings[0].path);
		regit_lint_result_dispose(&res);
		regit_schema_free(s);
	}
}

/* Warnings are findings but not errors; OFF rules say nothing. */
static void test_lint__severity(void **state)
{
	regit_lint_options o;
	regit_lint_result res = REGIT_LINT_RESULT_INIT;
	regit_schema *s = parse("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"x\",\"fields\":[]}");
	size_t i;

	(void)state;
	only(&o, (size_t)regit_lint_rule_find("DOC"));
	o.severity[regit_lint_rule_find("DOC")] = REGIT_LINT_WARNING;
	assert_int_equal(regit_lint_schema(s, &o, &res), 0);
	assert_int_equal(res.nfindings, 1);
	assert_int_equal(res.findings[0].severity, REGIT_LINT_WARNING);
	assert_int_equal(res.nerrors, 0);
	regit_lint_result_dispose(&res);
	for (i = 0; i < regit_lint_rule_count(); i++)
		o.severity[i] = REGIT_LINT_OFF;
	assert_int_equal(regit_lint_schema(s, &o, &res), 0);
	assert_int_equal(res.nfindings, 0);
	regit_lint_result_dispose(&res);
	regit_schema_free(s);
}

/* Recursive types terminate; a capped run still counts every error. */
static void test_lint__recursion_and_cap(void **state)
{
	regit_lint_options o;
	regit_lint_result res = REGIT_LINT_RESULT_INIT;
	regit_buf b = REGIT_BUF_INIT;
	regit_schema *s;
	size_t i;

	(void)state;
	s = parse("{\"type\":\"record\",\"name\":\"Node\",\"fields\":[{\"name\":\"next\","
		"\"type\":[\"null\",\"Node\"]},{\"name\":\"kids\",\"type\":{\"type\":\"array\","
		"\"items\":\"Node\"}}]}");
	assert_int_equal(regit_lint_schema(s, NULL, &res), 0);
	assert_true(res.nfindings > 0);
	regit_lint_result_dispose(&res);
	regit_schema_free(s);

	assert_int_equal(regit_buf_puts(&b, "{\"type\":\"record\",\"name\":\"R\",\"fields\":["), 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(regit_buf_printf(&b, "%s{\"name\":\"badName%zu\",\"type\":\"int\"}",
			i ? "," : "", i), 0);
	assert_int_equal(regit_buf_puts(&b, "]}"), 0);
	s = parse(b.ptr);
	only(&o, (size_t)regit_lint_rule_find("FIELD_NAMING"));
	o.max_findings = 10;
	assert_int_equal(regit_lint_schema(s, &o, &res), 0);
	assert_int_equal(res.nfindings, 10);
	assert_int_equal(res.nomitted, 40);
	assert_int_equal(res.nerrors, 50);
	regit_lint_result_dispose(&res);
	regit_schema_free(s);
	regit_buf_dispose(&b);
}

/* Every allocation failure is reported as REGIT_ENOMEM, never a crash. */
static void test_lint__alloc_failures(void **state)
{
	regit_lint_result res = REGIT_LINT_RESULT_INIT;
	regit_schema *s = parse_file(CASES "/UNKNOWN_ATTRIBUTE/fail-dafault.avsc");
	long k;
	int rc;

	(void)state;
	for (k = 0; k < 10000; k++) {
		regit_alloc_fail_after(k);
		rc = regit_lint_schema(s, NULL, &res);
		regit_alloc_fail_after(-1);
		regit_lint_result_dispose(&res);
		if (rc == 0)
			break;
		assert_int_equal(rc, REGIT_ENOMEM);
	}
	assert_true(k > 0 && k < 10000);
	regit_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lint__rules_as_data),
		cmocka_unit_test(test_lint__table),
		cmocka_unit_test(test_lint__envelope_messages),
		cmocka_unit_test(test_lint__naming),
		cmocka_unit_test(test_lint__naming_configured),
		cmocka_unit_test(test_lint__examples_clean),
		cmocka_unit_test(test_lint__severity),
		cmocka_unit_test(test_lint__recursion_and_cap),
		cmocka_unit_test(test_lint__alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
