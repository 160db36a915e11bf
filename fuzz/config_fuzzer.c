/*
 * config_fuzzer.c - libFuzzer target for regit.yaml (cli/config.c).
 *
 * regit.yaml comes from whatever repository `regit lint` runs in, so its
 * parser takes untrusted input. Any bytes must give either a config or
 * REGIT_EINVALID / REGIT_ELIMIT / REGIT_ENOMEM with a one-line message
 * that names the file; a config must answer every query (lint options,
 * ignore globs, per-path check settings) without crashing.
 *
 * cli/ is not part of libregit.a (only the regit binary links it), and
 * `make fuzz` links every target against the library sources alone, so
 * the one CLI module this target needs is compiled in here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.c"

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
	regit_config *c = NULL;
	regit_lint_options o;
	regit_compat_level level = REGIT_LEVEL_FULL_TRANSITIVE;
	regit_compat_rules rules = REGIT_RULES_STRICT;
	size_t i;
	int rc;

	rc = regit_config_parse(&c, (const char *)data, size, "regit.yaml");
	if (rc < 0) {
		const char *m = regit_error_message();

		if (c || (rc != REGIT_EINVALID && rc != REGIT_ELIMIT && rc != REGIT_ENOMEM))
			abort();
		if (rc == REGIT_EINVALID && (strncmp(m, "regit.yaml", 10) != 0 || strchr(m, '\n')))
			abort();
		return 0;
	}
	regit_config_lint_options(c, &o);
	for (i = 0; i < regit_lint_rule_count(); i++)
		if (o.severity[i] > REGIT_LINT_ERROR)
			abort();
	for (i = 0; i < regit_config_path_count(c); i++)
		if (!regit_config_path_at(c, i) || !regit_config_path_at(c, i)[0])
			abort();
	(void)regit_config_lint_ignored(c, "DOC", "schemas/a.avsc");
	regit_config_check_for(c, "schemas/a.avsc", &level, &rules, NULL);
	regit_config_free(c);
	return 0;
}
