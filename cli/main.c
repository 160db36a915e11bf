/*
 * main.c - the regit binary: dispatch to a subcommand, and the commands
 * about the binary itself (help, version, man, completion).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/docgen.h"
#include "cli/opt.h"
#include "regit_version.h"
#include "util/alloc.h"

static int main_help(int argc, char **argv);
static int main_version(int argc, char **argv);
static int main_man(int argc, char **argv);
static int main_completion(int argc, char **argv);
static const regit_opt_cmd main_help_opts, main_version_opts, main_man_opts,
	main_completion_opts;

static const regit_cmd commands[] = {
	{ "serve", regit_cmd_serve, NULL, &regit_cmd_serve_opts },
	{ "check", regit_cmd_check, NULL, &regit_cmd_check_opts },
	{ "lint", regit_cmd_lint, NULL, &regit_cmd_lint_opts },
	{ "verify", regit_cmd_verify, NULL, &regit_cmd_verify_opts },
	{ "gen", regit_cmd_gen, NULL, &regit_cmd_gen_opts },
	{ "validate", regit_cmd_validate, NULL, &regit_cmd_validate_opts },
	{ "fmt", regit_cmd_fmt, NULL, &regit_cmd_fmt_opts },
	{ "register", regit_cmd_register, NULL, &regit_cmd_register_opts },
	{ "get", regit_cmd_get, NULL, &regit_cmd_get_opts },
	{ "lookup", regit_cmd_lookup, NULL, &regit_cmd_lookup_opts },
	{ "subjects", regit_cmd_subjects, NULL, &regit_cmd_subjects_opts },
	{ "versions", regit_cmd_versions, NULL, &regit_cmd_versions_opts },
	{ "test", regit_cmd_test, NULL, &regit_cmd_test_opts },
	{ "config", regit_cmd_config, NULL, &regit_cmd_config_opts },
	{ "delete", regit_cmd_delete, NULL, &regit_cmd_delete_opts },
	{ "import", regit_cmd_import, NULL, &regit_cmd_import_opts },
	{ "export", regit_cmd_export, NULL, &regit_cmd_export_opts },
	{ "passwd", regit_cmd_passwd, NULL, &regit_cmd_passwd_opts },
	{ "decode", regit_cmd_decode, NULL, &regit_cmd_decode_opts },
	{ "help", main_help, NULL, &main_help_opts },
	{ "version", main_version, NULL, &main_version_opts },
	{ "completion", main_completion, NULL, &main_completion_opts },
	{ "man", main_man, NULL, &main_man_opts, 1 },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *main_summary(const regit_cmd *c)
{
	return c->opts ? c->opts->summary : c->summary;
}

static void main_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: regit <command> [options]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		if (!commands[i].hidden)
			fprintf(f, "  %-10s %s\n", commands[i].name, main_summary(&commands[i]));
	fprintf(f, "\nrun 'regit <command> --help' or 'regit help <command>' for a "
		"command's options\n");
}

static const regit_cmd *main_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* Parse a command that takes no options but -h; operands into *ops. */
static int main_operands(const regit_opt_cmd *cmd, int argc, char **argv,
	const char **ops, int max, int *nops)
{
	regit_opt_parser p;
	regit_opt o;
	int r;

	*nops = 0;
	regit_opt_parser_init(&p, cmd, argc, argv);
	for (;;) {
		r = regit_opt_next(&o, &p);
		if (r <= 0)
			break;
		if (*nops >= max)
			return regit_opt_usage_error(cmd, "unexpected argument '%s'", o.value);
		ops[(*nops)++] = o.value;
	}
	return r < 0 ? REGIT_EXIT_USAGE : 0;
}

/* ---- help --------------------------------------------------------------- */

static const regit_opt_spec *const main_no_specs[] = { NULL };

static const regit_opt_cmd main_help_opts = {
	"help", "show the help of regit or of one command",
	"[COMMAND]",
	"Print the list of commands or, with COMMAND, the same help as\n"
	"'regit COMMAND --help'.",
	main_no_specs, NULL,
	"0 help printed\n2 unknown command or bad usage\n"
};

static int main_help(int argc, char **argv)
{
	const char *ops[1];
	const regit_cmd *c;
	char *help_argv[3];
	int nops, r;

	if (regit_opt_help_requested(&main_help_opts, argc, argv))
		return REGIT_EXIT_OK;
	r = main_operands(&main_help_opts, argc, argv, ops, 1, &nops);
	if (r)
		return r;
	if (nops == 0) {
		main_usage(stdout);
		return REGIT_EXIT_OK;
	}
	c = main_find(ops[0]);
	if (!c)
		return regit_opt_usage_error(&main_help_opts, "unknown command '%s'", ops[0]);
	if (c->opts) {
		regit_opt_print_help(stdout, c->opts);
		return REGIT_EXIT_OK;
	}
	/* a command without a table prints its own help */
	help_argv[0] = (char *)c->name;
	help_argv[1] = (char *)"--help";
	help_argv[2] = NULL;
	return c->run(2, help_argv);
}

/* ---- version ------------------------------------------------------------ */

static const regit_opt_cmd main_version_opts = {
	"version", "print regit's version and the git commit it was built from",
	"",
	"Print \"regit VERSION (commit COMMIT)\"; COMMIT is 'git describe --always\n"
	"--dirty' of the source tree at build time, or \"unknown\" when it was not\n"
	"built from git. 'regit --version' is the same.",
	main_no_specs, NULL,
	"0 printed\n2 bad usage\n"
};

static int main_version(int argc, char **argv)
{
	int nops, r;

	if (regit_opt_help_requested(&main_version_opts, argc, argv))
		return REGIT_EXIT_OK;
	r = main_operands(&main_version_opts, argc, argv, NULL, 0, &nops);
	if (r)
		return r;
	printf("regit %s (commit %s)\n", REGIT_VERSION, REGIT_GIT_COMMIT);
	return REGIT_EXIT_OK;
}

/* ---- man, completion ---------------------------------------------------- */

enum { MAIN_OPT_OUTPUT = 1 };

static const regit_opt_spec main_man_specs[] = {
	{ REGIT_OPT_VALUE, MAIN_OPT_OUTPUT, "output", 'o', "DIR",
	  "the directory to write into (default .)" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const main_man_frags[] = { main_man_specs, NULL };

static const regit_opt_cmd main_man_opts = {
	"man", "write the man pages (regit.1, regit-COMMAND.1)",
	"[--output DIR]",
	"Write roff man pages generated from the commands' option tables:\n"
	"regit.1 and one regit-COMMAND.1 per command that has a table. 'make'\n"
	"runs this into build/man/ and 'make install' installs them.",
	main_man_frags, NULL,
	"0 written\n2 bad usage or a file could not be written\n"
};

static int main_man(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	const char *dir = ".";
	int r;

	if (regit_opt_help_requested(&main_man_opts, argc, argv))
		return REGIT_EXIT_OK;
	regit_opt_parser_init(&p, &main_man_opts, argc, argv);
	for (;;) {
		r = regit_opt_next(&o, &p);
		if (r <= 0)
			break;
		if (!o.spec)
			return regit_opt_usage_error(&main_man_opts, "unexpected argument '%s'", o.value);
		dir = o.value;
	}
	if (r < 0)
		return REGIT_EXIT_USAGE;
	return regit_docgen_man(dir, commands, NCOMMANDS, REGIT_VERSION) < 0 ?
		REGIT_EXIT_USAGE : REGIT_EXIT_OK;
}

static const regit_opt_cmd main_completion_opts = {
	"completion", "print the bash or zsh completion script",
	"bash|zsh",
	"Print a completion script generated from the commands' option tables.\n"
	"bash: source <(regit completion bash); zsh: save it as _regit in a\n"
	"directory of $fpath. 'make install' installs both.",
	main_no_specs, NULL,
	"0 printed\n2 bad usage (no shell, or not bash or zsh)\n"
};

static int main_completion(int argc, char **argv)
{
	const char *ops[1];
	int nops, r;

	if (regit_opt_help_requested(&main_completion_opts, argc, argv))
		return REGIT_EXIT_OK;
	r = main_operands(&main_completion_opts, argc, argv, ops, 1, &nops);
	if (r)
		return r;
	if (nops == 1 && strcmp(ops[0], "bash") == 0)
		regit_docgen_bash(stdout, commands, NCOMMANDS);
	else if (nops == 1 && strcmp(ops[0], "zsh") == 0)
		regit_docgen_zsh(stdout, commands, NCOMMANDS);
	else
		return regit_opt_usage_error(&main_completion_opts, "name a shell: bash or zsh");
	return REGIT_EXIT_OK;
}

int main(int argc, char **argv)
{
	const regit_cmd *c;

	regit_alloc_install_json();

	if (argc < 2) {
		main_usage(stderr);
		return REGIT_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		main_usage(stdout);
		return REGIT_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		return main_version(argc - 1, argv + 1);
	c = main_find(argv[1]);
	if (c)
		return c->run(argc - 1, argv + 1);
	fprintf(stderr, "regit: unknown command '%s'; see 'regit --help'\n", argv[1]);
	return REGIT_EXIT_USAGE;
}
