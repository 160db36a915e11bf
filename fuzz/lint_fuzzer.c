/*
 * lint_fuzzer.c - libFuzzer target for the event-design rules (compat/lint.c).
 *
 * `regit lint` runs over schema files of any repository. The input is
 * parsed as a schema with default bounds; a valid schema is linted with
 * every rule on, twice, with naming conventions that differ per input.
 * Beyond "no crash": both runs give the same findings, every finding
 * names a rule of the table, has severity error or warning, a JSON
 * pointer ("" or starting with '/') and a one-line message, and nerrors
 * counts the errors among them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat/lint.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	regit_schema *schema = NULL;
	regit_schema_error err;
	regit_lint_options o;
	regit_lint_result a = REGIT_LINT_RESULT_INIT, b = REGIT_LINT_RESULT_INIT;
	size_t i, errors = 0;
	int rc;

	if (regit_schema_parse(&schema, (const char *)data, size, NULL, &err) < 0)
		return 0;
	regit_lint_options_init(&o);
	for (i = 0; i < regit_lint_rule_count(); i++)
		o.severity[i] = i % 3 == 0 ? REGIT_LINT_WARNING : REGIT_LINT_ERROR;
	o.field_naming = (regit_naming)(size % 5);
	o.type_naming = (regit_naming)((size / 5) % 5);
	o.symbol_naming = (regit_naming)((size / 25) % 5);
	rc = regit_lint_schema(schema, &o, &a);
	if (rc == 0)
		rc = regit_lint_schema(schema, &o, &b);
	if (rc < 0) {
		if (rc != REGIT_ENOMEM && rc != REGIT_ELIMIT)
			abort();
		goto done;
	}
	if (a.nfindings != b.nfindings || a.nerrors != b.nerrors || a.nomitted != b.nomitted)
		abort();
	for (i = 0; i < a.nfindings; i++) {
		const regit_lint_finding *f = &a.findings[i];

		if (regit_lint_rule_find(f->rule) < 0 ||
		    (f->severity != REGIT_LINT_ERROR && f->severity != REGIT_LINT_WARNING) ||
		    (f->path[0] && f->path[0] != '/') || strchr(f->message, '\n') ||
		    strcmp(f->rule, b.findings[i].rule) != 0 ||
		    strcmp(f->path, b.findings[i].path) != 0 ||
		    strcmp(f->message, b.findings[i].message) != 0)
			abort();
		errors += f->severity == REGIT_LINT_ERROR;
	}
	if (a.nomitted == 0 && errors != a.nerrors)
		abort();
done:
	regit_lint_result_dispose(&a);
	regit_lint_result_dispose(&b);
	regit_schema_free(schema);
	return 0;
}
