/*
 * remote.h - shared plumbing of the registry client commands.
 *
 * `regit register`, `get`, `lookup`, `subjects`, `versions`, `test`,
 * `config`, `delete`, `import` and `export` accept the same connection and
 * output options and map errors to exit codes the same way; those that send
 * a schema file read it (and its --reference options) the same way. This
 * keeps each cmd_<name>.c down to its own flags, its request and its output.
 */
#ifndef REGIT_CLI_REMOTE_H
#define REGIT_CLI_REMOTE_H

#include <jansson.h>
#include <stdio.h>

#include "cli/client.h"
#include "cli/opt.h"

typedef struct regit_remote {
	const char *cmd;               /* "register": prefix of error messages */
	regit_client_options client;   /* strings borrowed from argv */
	int json;                      /* --format json */
	/* --user-file FILE or --user -: where regit_remote_connect reads
	 * USER:PASS ("-" is stdin); borrowed from argv, NULL when not given */
	const char *user_file;
	/* the command's option table (cli/opt.h) when it has one: usage
	 * errors then read "regit CMD: ...; see 'regit CMD --help'" */
	const regit_opt_cmd *opt;
} regit_remote;

#define REGIT_REMOTE_INIT(name) { (name), REGIT_CLIENT_OPTIONS_INIT, 0, NULL }

/*
 * The option table fragments (cli/opt.h) of the client commands. Their ids
 * are REGIT_REMOTE_OPT_*, above any id a command uses for its own options.
 */
typedef struct regit_remote_schema regit_remote_schema;

enum {
	REGIT_REMOTE_OPT_REGISTRY = 1000,
	REGIT_REMOTE_OPT_USER_FILE,
	REGIT_REMOTE_OPT_USER,
	REGIT_REMOTE_OPT_TIMEOUT,
	REGIT_REMOTE_OPT_FORMAT,
	REGIT_REMOTE_OPT_NORMALIZE,
	REGIT_REMOTE_OPT_REFERENCE
};

/* --registry, --user-file, --user, --timeout, --format */
extern const regit_opt_spec regit_remote_opt_specs[];
/* The same without --format, for a command whose output is not text or json */
extern const regit_opt_spec regit_remote_conn_opt_specs[];
/* --normalize, --reference (the commands that send a schema file) */
extern const regit_opt_spec regit_remote_schema_opt_specs[];

/* The exit-status text of a client command, after its own "1 ..." line. */
#define REGIT_REMOTE_EXIT_STATUS \
	"2 usage, invalid input, server or network error\n" \
	"3 out of memory\n"

/**
 * Apply a parsed option from regit_remote_opt_specs.
 * @return 1 applied, 0 not one of them, -1 usage error (printed)
 */
int regit_remote_apply(regit_remote *remote, const regit_opt *o);

/**
 * regit_opt_next for a client command: the options of
 * regit_remote_opt_specs are applied and skipped.
 * @return 1 *o is one of the command's own options or an operand; 0 no
 *         more; -1 usage error (printed)
 */
int regit_remote_next(regit_opt *o, regit_opt_parser *p, regit_remote *remote);

/**
 * Apply a parsed option from regit_remote_schema_opt_specs, or an operand
 * (the schema FILE; a second one is a usage error).
 * @return 1 applied, 0 not one of them, -1 usage error (printed)
 */
int regit_remote_schema_apply(regit_remote_schema *s, const regit_remote *remote,
	const regit_opt *o);

/** Print "regit <cmd>: <message>" for a usage error and return REGIT_EXIT_USAGE. */
int regit_remote_usage_error(const regit_remote *remote, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Create the client from the options, reading USER:PASS from --user-file
 * (or stdin) first. Warns once on stderr when Basic credentials would go
 * over plain http:// to a host that is not loopback.
 * @return as regit_client_new; REGIT_EIO when the credentials file cannot
 *         be read, REGIT_EINVALID when its first line is not USER:PASS,
 *         REGIT_ELIMIT when that line is too long
 */
int regit_remote_connect(regit_client **out, const regit_remote *remote);

/**
 * Print the last error as "regit <cmd>: <message>" and return the exit
 * code for `error`: REGIT_EXIT_FAIL when `no_codes` is true for it (the
 * command decides which codes mean "the answer is no"), REGIT_EXIT_INTERNAL
 * for REGIT_ENOMEM, else REGIT_EXIT_USAGE.
 */
int regit_remote_fail(const regit_remote *remote, int error, int answer_is_no);

/*
 * The schema file that `register`, `lookup` and `test` send: the FILE
 * argument, --normalize, --reference, and the request body built from them.
 */

/* --reference options per command; a schema with more is made by a program. */
#define REGIT_REMOTE_MAX_REFS 256

/* One --reference; strings borrowed from argv (the argument is split in place). */
typedef struct regit_remote_ref {
	const char *name, *subject;
	int version;        /* 0 for "latest" until regit_remote_schema_resolve */
} regit_remote_ref;

struct regit_remote_schema {
	const char *file;   /* FILE.avsc (borrowed from argv) */
	int normalize;      /* --normalize */
	regit_remote_ref refs[REGIT_REMOTE_MAX_REFS];   /* --reference, in order */
	size_t nrefs;
	char *text;         /* the file's text, set by the load (owned): for references
	                     * to resolve and for positions of the registry's findings */
	char *body;         /* {"schema": text[, "references"]}: see the load functions (owned) */
};

#define REGIT_REMOTE_SCHEMA_INIT { NULL, 0, { { NULL, NULL, 0 } }, 0, NULL, NULL }

/**
 * Once the arguments are parsed: check that `subject` (see
 * regit_remote_check_subject) and FILE were given, read FILE, check that
 * it is a valid Avro schema with the registry's own parser (reporting
 * "file:line:col: error: message (at /pointer)"), and build s->body from
 * the text as written (the registry canonicalises it). With --reference
 * the file's types need the referenced ones, so the check and the body
 * wait for regit_remote_schema_resolve.
 * @return 0; REGIT_EXIT_USAGE for a usage error (printed; return it);
 *         or REGIT_EIO, REGIT_ELIMIT, REGIT_EINVALID, REGIT_ENOMEM (error
 *         set; for regit_remote_fail)
 */
int regit_remote_schema_load(regit_remote_schema *s, const regit_remote *remote,
	const char *subject);

/**
 * With --reference (else nothing to do): ask the registry for each
 * referenced version (GET /subjects/{s}/versions/{v}; "latest" becomes
 * its number) and for its schema with its own references inlined (GET
 * /schemas/ids/{id}?format=resolved), check FILE with those named types
 * available, and build s->body with "references".
 * @return 0; REGIT_EINVALID for a reference the registry does not have
 *         or a schema that does not parse; else as regit_client_request
 */
int regit_remote_schema_resolve(regit_remote_schema *s, const regit_remote *remote,
	regit_client *client);

/** Free what regit_remote_schema_load allocated. */
void regit_remote_schema_dispose(regit_remote_schema *s);

/** Print a JSON value compactly on one line to stdout. @return 0 or REGIT_ENOMEM */
int regit_remote_print_json(const json_t *value);

/**
 * Check a --subject argument: present, non-empty, valid UTF-8 (the
 * registry's subjects are Unicode strings). Prints a usage error otherwise.
 * @return 0 or REGIT_EXIT_USAGE
 */
int regit_remote_check_subject(const regit_remote *remote, const char *subject);

/**
 * A version argument: "latest" (any case), "-1", or an integer 1..2^31-1.
 * @return 1 valid, 0 not
 */
int regit_remote_valid_version(const char *version);

#endif
