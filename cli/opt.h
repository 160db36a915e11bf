/*
 * opt.h - one option table per command: the parser, --help, man pages and
 * shell completion all read it, so they cannot drift apart.
 *
 * The pattern of libgit2's src/cli/opt.c: a command describes itself once
 * (regit_opt_cmd: name, synopsis, description, option specs, exit status),
 * then loops over regit_opt_next, which yields one option or operand at a
 * time. The grammar is the same for every command:
 *     --name VALUE, --name=VALUE, -n VALUE, -nVALUE, flags as --name,
 *     "--" ends the options, "-" alone is an operand,
 *     -h/--help anywhere before "--" prints the help (exit 0),
 * and a usage error is one line on stderr, exit 2:
 *     regit CMD: unknown option '--x'; see 'regit CMD --help'
 */
#ifndef REGIT_CLI_OPT_H
#define REGIT_CLI_OPT_H

#include <stdio.h>

typedef enum regit_opt_kind {
	REGIT_OPT_END = 0,     /* terminates a spec array */
	REGIT_OPT_FLAG,        /* --name; no value */
	REGIT_OPT_VALUE,       /* --name VALUE; the last one given wins */
	REGIT_OPT_LIST         /* --name VALUE, repeatable: each one is yielded */
} regit_opt_kind;

typedef struct regit_opt_spec {
	regit_opt_kind kind;
	int id;                  /* what regit_opt_next reports; > 0 */
	const char *name;        /* long name without "--" */
	char alias;              /* short name, or 0 */
	const char *value_name;  /* "FILE" (VALUE and LIST only) */
	const char *help;        /* may hold "\n" for more lines */
} regit_opt_spec;

#define REGIT_OPT_SPEC_END { REGIT_OPT_END, 0, NULL, 0, NULL, NULL }

/* A command's whole description (all strings static). */
typedef struct regit_opt_cmd {
	const char *name;          /* "check" */
	const char *summary;       /* one line, for `regit --help` and NAME in man */
	const char *synopsis;      /* "[options] NEW OLD...": lines after "regit CMD " */
	const char *description;   /* paragraphs before the options */
	/* Option fragments, each ended by REGIT_OPT_SPEC_END; NULL ends the
	 * list. Fragments let the client commands share theirs (remote.h). */
	const regit_opt_spec *const *specs;
	const char *notes;         /* paragraphs after the options, or NULL */
	const char *exit_status;   /* required: what each exit code means */
} regit_opt_cmd;

/* One parsed argument. */
typedef struct regit_opt {
	const regit_opt_spec *spec;  /* NULL for an operand */
	const char *value;           /* option value or operand (borrowed from argv) */
} regit_opt;

typedef struct regit_opt_parser {
	const regit_opt_cmd *cmd;
	int argc;
	char **argv;
	int idx;
	int operands_only;           /* after "--" */
} regit_opt_parser;

/** Start parsing argv (argv[0] is the command name). */
void regit_opt_parser_init(regit_opt_parser *p, const regit_opt_cmd *cmd,
	int argc, char **argv);

/**
 * The next option or operand.
 * @return 1 one was stored in *out; 0 no more; -1 usage error (the one-line
 *         message is printed; exit REGIT_EXIT_USAGE)
 */
int regit_opt_next(regit_opt *out, regit_opt_parser *p);

/**
 * The usual start of a command: -h or --help (before "--") prints the help
 * to stdout.
 * @return 1 when it did (exit 0), else 0
 */
int regit_opt_help_requested(const regit_opt_cmd *cmd, int argc, char **argv);

/** Print the help generated from the table. */
void regit_opt_print_help(FILE *f, const regit_opt_cmd *cmd);

/**
 * Print "regit CMD: <message>; see 'regit CMD --help'" to stderr.
 * @return REGIT_EXIT_USAGE
 */
int regit_opt_usage_error(const regit_opt_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * The environment variable that may carry a spec's option: prefix and the
 * long name upper-cased with '-' as '_' ("REGIT_" + "max-body-memory" is
 * REGIT_MAX_BODY_MEMORY).
 * @return 0, or -1 when it does not fit in size bytes
 */
int regit_opt_env_name(char *out, size_t size, const char *prefix,
	const regit_opt_spec *spec);

/**
 * A flag's value in the environment: "1", "true", "yes", "on" are 1;
 * "0", "false", "no", "off" and "" are 0 (any case); else -1.
 */
int regit_opt_env_flag(const char *value);

/** The help option every command has (-h, --help); for generators. */
extern const regit_opt_spec regit_opt_help_spec;

/* "--name" or "--name VALUE" for messages: the spec's option as typed. */
#define REGIT_OPT_NAME_MAX 64

#endif
