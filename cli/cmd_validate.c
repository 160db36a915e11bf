/*
 * cmd_validate.c - `regit validate FILE...`: check Avro schema files.
 *
 * Every file is parsed and validated on its own (no references between
 * files). Problems are printed compiler-style to stderr,
 *     file:line:col: error: message (at /json/pointer)
 * so editors can jump to them. Exit status: 0 when every file is valid,
 * 2 when any is invalid or unreadable (or on bad usage), 3 on out of memory.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "compat/schema.h"
#include "util/error.h"

static void validate_usage(FILE *f)
{
	fprintf(f,
		"usage: regit validate FILE...\n"
		"\n"
		"Parse and validate Avro schema files (.avsc) against the Avro 1.11\n"
		"specification: names, references, duplicate fields and symbols,\n"
		"unions, defaults, logical type parameters, size and depth bounds.\n"
		"\n"
		"Errors are printed as FILE:LINE:COL: error: MESSAGE (at /json/pointer).\n"
		"Exit status: 0 all valid, 2 invalid file, unreadable file or bad usage,\n"
		"3 out of memory.\n");
}

/** Print a parse failure compiler-style (shared with `regit fmt`). */
void regit_cli_print_schema_error(const char *file, const regit_schema_error *err);

void regit_cli_print_schema_error(const char *file, const regit_schema_error *err)
{
	if (err->line > 0)
		fprintf(stderr, "%s:%d:%d: error: %s", file, err->line, err->column, err->message);
	else
		fprintf(stderr, "%s: error: %s", file, err->message);
	if (err->path[0])
		fprintf(stderr, " (at %s)", err->path);
	fputc('\n', stderr);
}

/** Print what the parse ignored (regit_schema_warnings), one line each (shared with gen, check). */
void regit_cli_print_schema_warnings(const char *file, const regit_schema *schema);

void regit_cli_print_schema_warnings(const char *file, const regit_schema *schema)
{
	const char *const *w = NULL;
	size_t n = regit_schema_warnings(schema, &w), i;

	for (i = 0; i < n && i < REGIT_SCHEMA_MAX_WARNINGS; i++)
		fprintf(stderr, "%s: warning: %s\n", file, w[i]);
	if (n > REGIT_SCHEMA_MAX_WARNINGS)
		fprintf(stderr, "%s: warning: %zu more warnings\n", file, n - REGIT_SCHEMA_MAX_WARNINGS);
}

int regit_cmd_validate(int argc, char **argv)
{
	int i, status = REGIT_EXIT_OK, files = 0, only_files = 0;

	if (regit_cli_wants_help(argc, argv)) {
		validate_usage(stdout);
		return REGIT_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		regit_schema *schema = NULL;
		regit_schema_error err;
		int error;

		if (!only_files && strcmp(argv[i], "--") == 0) {
			only_files = 1;
			continue;
		}
		if (!only_files && argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "regit validate: unknown option '%s'\n", argv[i]);
			validate_usage(stderr);
			return REGIT_EXIT_USAGE;
		}
		files++;
		error = regit_schema_parse_file(&schema, argv[i], NULL, &err);
		if (error == 0)
			regit_cli_print_schema_warnings(argv[i], schema);
		regit_schema_free(schema);
		if (error == REGIT_ENOMEM) {
			fprintf(stderr, "%s: error: out of memory\n", argv[i]);
			return REGIT_EXIT_INTERNAL;
		}
		if (error < 0) {
			regit_cli_print_schema_error(argv[i], &err);
			status = REGIT_EXIT_USAGE;
		}
	}
	if (files == 0) {
		fprintf(stderr, "regit validate: no schema files given\n");
		validate_usage(stderr);
		return REGIT_EXIT_USAGE;
	}
	return status;
}
