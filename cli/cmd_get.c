/*
 * cmd_get.c - `regit get`: print a registered schema.
 *
 * GET /subjects/{subject}/versions/{version} or GET /schemas/ids/{id}. The
 * text output is the schema alone, pretty-printed, so `regit get ... >
 * x.avsc` gives a file `regit check` and `regit register` accept; the json
 * output is the registry's entity (subject, version, id, schema string).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/remote.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

static void get_usage(FILE *f)
{
	fprintf(f,
		"usage: regit get --subject SUBJECT [--version V|latest] [options]\n"
		"       regit get --id ID [options]\n"
		"\n"
		"Print a registered schema: a version of a subject (default: the latest)\n"
		"or the schema with a global id.\n"
		"\n"
		"  --subject SUBJECT    the subject\n"
		"  --version V          a version number or latest (default latest)\n"
		"  --id ID              the schema id (instead of --subject)\n"
		"  --deleted            also find soft-deleted versions\n"
		"  --raw                print the schema string exactly as the registry\n"
		"                       stores it instead of pretty-printing it\n"
		REGIT_REMOTE_OPTIONS_HELP
		"  (exit 1: no such subject, version or id)\n"
		"\n"
		"text output: the schema; json output: the registry's answer\n"
		"{\"subject\", \"version\", \"id\", \"schema\", ...}\n");
}

static int get_valid_id(const char *s)
{
	char *end = NULL;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= 0 && v <= 2147483647L;
}

/*
 * The schema printer's PRETTY style (what `regit fmt` and the store's .avsc
 * files use), so the output diffs cleanly against files in a repository.
 * A schema that does not parse on its own (e.g. it names types from
 * Confluent references) is indented as plain JSON instead.
 */
static int get_print_pretty(const char *schema)
{
	regit_schema *parsed = NULL;
	regit_buf buf = REGIT_BUF_INIT;
	json_error_t jerr;
	json_t *json;
	char *text;
	int error;

	error = regit_schema_parse(&parsed, schema, strlen(schema), NULL, NULL);
	if (error == 0)
		error = regit_schema_print(parsed, REGIT_PRINT_PRETTY, &buf);
	regit_schema_free(parsed);
	if (error == 0) {
		fputs(regit_buf_cstr(&buf), stdout);
		if (buf.size == 0 || buf.ptr[buf.size - 1] != '\n')
			fputc('\n', stdout);
	}
	regit_buf_dispose(&buf);
	if (error == 0 || error == REGIT_ENOMEM)
		return error;

	json = json_loads(schema, JSON_DECODE_ANY, &jerr);
	if (!json) {
		/* Not ours to judge: show what the registry holds. */
		printf("%s\n", schema);
		return 0;
	}
	text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(json);
	if (!text) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	printf("%s\n", text);
	regit_free(text);
	return 0;
}

int regit_cmd_get(int argc, char **argv)
{
	regit_remote remote = REGIT_REMOTE_INIT("get");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL, *version = NULL, *id = NULL;
	regit_client_schema schema = REGIT_CLIENT_SCHEMA_INIT;
	json_t *resp = NULL;
	int deleted = 0, raw = 0, i, m, error = 0, rc = REGIT_EXIT_OK;

	if (regit_cli_wants_help(argc, argv)) {
		get_usage(stdout);
		return REGIT_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		m = regit_remote_common(&remote, argc, argv, &i);
		if (m == 0)
			m = regit_remote_opt(&subject, &remote, argc, argv, &i, "--subject");
		if (m == 0)
			m = regit_remote_opt(&version, &remote, argc, argv, &i, "--version");
		if (m == 0)
			m = regit_remote_opt(&id, &remote, argc, argv, &i, "--id");
		if (m < 0)
			return REGIT_EXIT_USAGE;
		if (m > 0)
			continue;
		if (strcmp(argv[i], "--deleted") == 0)
			deleted = 1;
		else if (strcmp(argv[i], "--raw") == 0)
			raw = 1;
		else if (argv[i][0] == '-')
			return regit_remote_usage_error(&remote, "unknown option '%s'", argv[i]);
		else
			return regit_remote_usage_error(&remote, "unexpected argument '%s'", argv[i]);
	}
	if (id && (subject || version))
		return regit_remote_usage_error(&remote,
			"give either --id or --subject [--version], not both");
	if (!id && regit_remote_check_subject(&remote, subject) != 0)
		return REGIT_EXIT_USAGE;
	if (id && !get_valid_id(id))
		return regit_remote_usage_error(&remote, "--id wants a schema id (0..2147483647), not '%s'", id);
	if (!version)
		version = "latest";
	if (!id && !regit_remote_valid_version(version))
		return regit_remote_usage_error(&remote,
			"--version wants a number from 1 or 'latest', not '%s'", version);

	if (id) {
		error = regit_buf_puts(&path, "/schemas/ids");
		if (error == 0)
			error = regit_client_put_segment(&path, id);
	} else {
		error = regit_buf_puts(&path, "/subjects");
		if (error == 0)
			error = regit_client_put_segment(&path, subject);
		if (error == 0)
			error = regit_buf_puts(&path, "/versions");
		if (error == 0)
			error = regit_client_put_segment(&path, version);
	}
	if (error == 0 && deleted)
		error = regit_client_put_query(&path, "deleted", "true");
	if (error < 0)
		goto done;
	error = regit_remote_connect(&client, &remote);
	if (error < 0)
		goto done;
	error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error < 0) {
		rc = regit_remote_fail(&remote, error, error == REGIT_ENOTFOUND);
		error = 0;
		goto done;
	}
	if (remote.json) {
		error = regit_remote_print_json(resp);
		goto done;
	}
	error = regit_client_parse_schema(&schema, resp);
	if (error < 0)
		goto done;
	if (raw)
		printf("%s\n", schema.schema);
	else
		error = get_print_pretty(schema.schema);
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, 0);
	regit_client_schema_dispose(&schema);
	json_decref(resp);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return rc;
}
