/*
 * cmd_test.c - `regit test`: would the registry accept this schema?
 *
 * POST /compatibility/subjects/{subject}/versions?verbose=true (every
 * version the subject's level compares with: exactly what registration
 * would check) or .../versions/{v} (that one version). Exit 0 compatible,
 * 1 incompatible, like `regit check`; the registry's messages explain why.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

static void test_usage(FILE *f)
{
	fprintf(f,
		"usage: regit test --subject SUBJECT [--version V] [options] FILE.avsc\n"
		"\n"
		"Ask the registry whether the schema in FILE is compatible with SUBJECT,\n"
		"under the subject's compatibility level, without registering it.\n"
		"Without --version the schema is tested against every version the\n"
		"level compares with, exactly as registration would; with --version\n"
		"against that one version only.\n"
		"\n"
		"  --subject SUBJECT    the subject\n"
		"  --version V          test against this version (a number or latest)\n"
		"  --normalize          let the registry normalize the schema first\n"
		REGIT_REMOTE_OPTIONS_HELP
		"  (exit 1: incompatible)\n"
		"\n"
		"text output: FILE: compatible|incompatible with SUBJECT, then one\n"
		"line per registry message\n"
		"json output: {\"compatible\": bool, \"messages\": [...]}\n");
}

int regit_cmd_test(int argc, char **argv)
{
	regit_remote remote = REGIT_REMOTE_INIT("test");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL, *version = NULL;
	regit_remote_schema sch = REGIT_REMOTE_SCHEMA_INIT;
	const json_t *messages = NULL, *item;
	json_t *resp = NULL, *out = NULL;
	size_t k;
	int compatible, i, m, error = 0, rc = REGIT_EXIT_OK;

	if (regit_cli_wants_help(argc, argv)) {
		test_usage(stdout);
		return REGIT_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		m = regit_remote_common(&remote, argc, argv, &i);
		if (m == 0)
			m = regit_remote_opt(&subject, &remote, argc, argv, &i, "--subject");
		if (m == 0)
			m = regit_remote_opt(&version, &remote, argc, argv, &i, "--version");
		if (m < 0)
			return REGIT_EXIT_USAGE;
		if (m > 0)
			continue;
		if (regit_remote_schema_arg(&sch, &remote, argc, argv, &i) < 0)
			return REGIT_EXIT_USAGE;
	}
	if (version && !regit_remote_valid_version(version))
		return regit_remote_usage_error(&remote,
			"--version wants a number from 1 or 'latest', not '%s'", version);

	error = regit_remote_schema_load(&sch, &remote, subject);
	if (error > 0)
		return error;
	if (error < 0)
		goto done;
	error = regit_buf_puts(&path, "/compatibility/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
	if (error == 0 && version)
		error = regit_client_put_segment(&path, version);
	if (error == 0)
		error = regit_client_put_query(&path, "verbose", "true");
	if (error == 0 && sch.normalize)
		error = regit_client_put_query(&path, "normalize", "true");
	if (error < 0)
		goto done;
	error = regit_remote_connect(&client, &remote);
	if (error < 0)
		goto done;
	error = regit_client_request(&resp, client, "POST", regit_buf_cstr(&path), sch.body);
	if (error < 0)
		goto done;

	error = regit_client_parse_compat(&compatible, &messages, resp);
	if (error < 0)
		goto done;
	rc = compatible ? REGIT_EXIT_OK : REGIT_EXIT_FAIL;
	if (remote.json) {
		if (messages)
			out = json_pack("{s:b, s:O}", "compatible", compatible,
				"messages", (json_t *)messages);
		else
			out = json_pack("{s:b, s:[]}", "compatible", compatible, "messages");
		if (!out) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		error = regit_remote_print_json(out);
		goto done;
	}
	printf("%s: %s with %s\n", sch.file, compatible ? "compatible" : "incompatible", subject);
	json_array_foreach(messages, k, item) {
		if (json_is_string(item)) {
			printf("  %s\n", json_string_value(item));
		} else {
			char *text = json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);

			printf("  %s\n", text ? text : "?");
			regit_free(text);
		}
	}
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, 0);
	json_decref(out);
	json_decref(resp);
	regit_remote_schema_dispose(&sch);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return rc;
}
