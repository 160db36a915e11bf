/*
 * main.c - the regit binary: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/alloc.h"

static const regit_cmd commands[] = {
	{ "serve", regit_cmd_serve, "run the schema registry (Confluent REST API, git store)" },
	{ "check", regit_cmd_check, "check schema changes for compatibility (for CI)" },
	{ "lint", regit_cmd_lint, "check event schemas against event-design rules (regit.yaml)" },
	{ "verify", regit_cmd_verify, "check a registry store's history: ids never reissued, versions never rewritten" },
	{ "gen", regit_cmd_gen, "generate C encoders/decoders from Avro schemas" },
	{ "validate", regit_cmd_validate, "validate Avro schema files" },
	{ "fmt", regit_cmd_fmt, "print a schema pretty, canonical, or its fingerprint" },
	{ "register", regit_cmd_register, "register a schema file under a subject (registry client)" },
	{ "get", regit_cmd_get, "print a registered schema by subject and version, or by id" },
	{ "lookup", regit_cmd_lookup, "find a schema file among a subject's versions (version and id)" },
	{ "subjects", regit_cmd_subjects, "list the registry's subjects" },
	{ "versions", regit_cmd_versions, "list a subject's versions" },
	{ "test", regit_cmd_test, "test a schema file against a subject's registered versions" },
	{ "config", regit_cmd_config, "show or set a compatibility level (global or per subject)" },
	{ "delete", regit_cmd_delete, "delete a subject or a version (soft, or --permanent)" },
	{ "import", regit_cmd_import, "copy another registry's subjects, versions and ids into this one" },
	{ "export", regit_cmd_export, "write a registry's content as plain files (schemas + manifest)" },
	{ "passwd", regit_cmd_passwd, "add or update a user in a `serve --auth` credentials file" },
	{ "decode", regit_cmd_decode, "print Confluent-framed Avro messages as JSON (writer schemas from the registry)" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void main_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: regit <command> [options]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nrun 'regit <command> --help' for a command's options\n");
}

int main(int argc, char **argv)
{
	size_t i;

	regit_alloc_install_json();

	if (argc < 2) {
		main_usage(stderr);
		return REGIT_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		main_usage(stdout);
		return REGIT_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("regit 0.1.0\n");
		return REGIT_EXIT_OK;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "regit: unknown command '%s'\n", argv[1]);
	main_usage(stderr);
	return REGIT_EXIT_USAGE;
}
