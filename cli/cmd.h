/*
 * cmd.h - the regit subcommands and their exit codes.
 *
 * Each subcommand lives in cli/cmd_<name>.c and has a main-like entry that
 * receives argv with argv[0] = the subcommand name. Exit codes are fixed so
 * CI scripts can rely on them.
 */
#ifndef REGIT_CLI_CMD_H
#define REGIT_CLI_CMD_H

enum {
	REGIT_EXIT_OK = 0,          /* success; for `check`: compatible */
	REGIT_EXIT_FAIL = 1,        /* the answer is no (`check`: incompatible) */
	REGIT_EXIT_USAGE = 2,       /* bad usage, invalid input, I/O error */
	REGIT_EXIT_INTERNAL = 3     /* out of memory or a bug */
};

struct regit_opt_cmd;

typedef struct regit_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;        /* one line for `regit --help` when opts is NULL */
	/* the command's option table (cli/opt.h): its summary, help, man page
	 * and completion; NULL for a command that still parses argv by hand
	 * (an entry { name, run, summary } means just that) */
	const struct regit_opt_cmd *opts;
	int hidden;                 /* not listed by `regit --help` */
} regit_cmd;

/* The option tables of the commands converted to cli/opt.h. */
extern const struct regit_opt_cmd regit_cmd_fmt_opts, regit_cmd_validate_opts,
	regit_cmd_check_opts, regit_cmd_lint_opts, regit_cmd_register_opts,
	regit_cmd_get_opts, regit_cmd_lookup_opts, regit_cmd_subjects_opts,
	regit_cmd_versions_opts, regit_cmd_test_opts, regit_cmd_config_opts,
	regit_cmd_delete_opts, regit_cmd_passwd_opts, regit_cmd_import_opts,
	regit_cmd_export_opts, regit_cmd_verify_opts,
	regit_cmd_decode_opts, regit_cmd_gen_opts, regit_cmd_serve_opts;

int regit_cmd_fmt(int argc, char **argv);
int regit_cmd_validate(int argc, char **argv);
int regit_cmd_check(int argc, char **argv);
int regit_cmd_lint(int argc, char **argv);
int regit_cmd_serve(int argc, char **argv);
int regit_cmd_gen(int argc, char **argv);
int regit_cmd_register(int argc, char **argv);
int regit_cmd_get(int argc, char **argv);
int regit_cmd_lookup(int argc, char **argv);
int regit_cmd_subjects(int argc, char **argv);
int regit_cmd_versions(int argc, char **argv);
int regit_cmd_test(int argc, char **argv);
int regit_cmd_config(int argc, char **argv);
int regit_cmd_delete(int argc, char **argv);
int regit_cmd_passwd(int argc, char **argv);
int regit_cmd_import(int argc, char **argv);
int regit_cmd_export(int argc, char **argv);
int regit_cmd_verify(int argc, char **argv);
int regit_cmd_decode(int argc, char **argv);

/** True when argv holds -h or --help (before any "--"). */
int regit_cli_wants_help(int argc, char **argv);

#endif
