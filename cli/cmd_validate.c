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
#include "cli/opt.h"
#include "compat/schema.h"
#include "util/error.h"

static const regit_opt_spec *const validate_frags[] = { NULL };

const regit_opt_cmd regit_cmd_validate_opts = {
	"validate", "validate Avro schema files",
	"FILE...",
	"Parse and validate Avro schema files (.avsc) against the Avro 1.11\n"
	"specification: names, references, duplicate fields and symbols,\n"
	"unions, defaults, logical type parameters, size and depth bounds.\n"
	"\n"
	"Errors are printed as FILE:LINE:COL: error: MESSAGE (at /json/pointer).",
	validate_frags, NULL,
	"0 all valid\n2 an invalid file, an unreadable file or bad usage\n3 out of memory\n"
};

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
	regit_opt_parser p;
	regit_opt o;
	int i, status = REGIT_EXIT_OK, files = 0;

	if (regit_opt_help_requested(&regit_cmd_validate_opts, argc, argv))
		return REGIT_EXIT_OK;
	/* Usage first: an unknown option after a file must not leave it half done. */
	regit_opt_parser_init(&p, &regit_cmd_validate_opts, argc, argv);
	for (;;) {
		i = regit_opt_next(&o, &p);
		if (i < 0)
			return REGIT_EXIT_USAGE;
		if (i == 0)
			break;
		files++;
	}
	if (files == 0)
		return regit_opt_usage_error(&regit_cmd_validate_opts, "no schema files given");
	regit_opt_parser_init(&p, &regit_cmd_validate_opts, argc, argv);
	while (regit_opt_next(&o, &p) > 0) {
		regit_schema *schema = NULL;
		regit_schema_error err;
		int error;

		error = regit_schema_parse_file(&schema, o.value, NULL, &err);
		if (error == 0)
			regit_cli_print_schema_warnings(o.value, schema);
		regit_schema_free(schema);
		if (error == REGIT_ENOMEM) {
			fprintf(stderr, "%s: error: out of memory\n", o.value);
			return REGIT_EXIT_INTERNAL;
		}
		if (error < 0) {
			regit_cli_print_schema_error(o.value, &err);
			status = REGIT_EXIT_USAGE;
		}
	}
	return status;
}
