/*
 * cmd_subjects.c - `regit subjects`: list the registry's subjects.
 *
 * GET /subjects[?subjectPrefix=P][&deleted=true]. One subject per line
 * (text) or the registry's JSON array.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/remote.h"
#include "util/buf.h"
#include "util/error.h"

static void subjects_usage(FILE *f)
{
	fprintf(f,
		"usage: regit subjects [--prefix PREFIX] [--deleted] [options]\n"
		"\n"
		"List the subjects that have live versions, sorted by name.\n"
		"\n"
		"  --prefix PREFIX      only subjects starting with PREFIX\n"
		"  --deleted            include subjects whose versions are all soft-deleted\n"
		REGIT_REMOTE_OPTIONS_HELP
		"  (an empty list is not an error: exit 0)\n"
		"\n"
		"text output: one subject per line; json output: [\"a\", \"b\"]\n");
}

int regit_cmd_subjects(int argc, char **argv)
{
	regit_remote remote = REGIT_REMOTE_INIT("subjects");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *prefix = NULL;
	json_t *resp = NULL, *item;
	size_t k;
	int deleted = 0, i, m, error = 0;

	if (regit_cli_wants_help(argc, argv)) {
		subjects_usage(stdout);
		return REGIT_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		m = regit_remote_common(&remote, argc, argv, &i);
		if (m == 0)
			m = regit_remote_opt(&prefix, &remote, argc, argv, &i, "--prefix");
		if (m < 0)
			return REGIT_EXIT_USAGE;
		if (m > 0)
			continue;
		if (strcmp(argv[i], "--deleted") == 0)
			deleted = 1;
		else if (argv[i][0] == '-')
			return regit_remote_usage_error(&remote, "unknown option '%s'", argv[i]);
		else
			return regit_remote_usage_error(&remote, "unexpected argument '%s'", argv[i]);
	}

	error = regit_buf_puts(&path, "/subjects");
	if (error == 0 && prefix && *prefix)
		error = regit_client_put_query(&path, "subjectPrefix", prefix);
	if (error == 0 && deleted)
		error = regit_client_put_query(&path, "deleted", "true");
	if (error < 0)
		goto done;
	error = regit_remote_connect(&client, &remote);
	if (error < 0)
		goto done;
	error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error < 0)
		goto done;
	if (!json_is_array(resp)) {
		regit_error_set(REGIT_ERROR_HTTP, "registry answered GET /subjects with something other than an array");
		error = REGIT_EIO;
		goto done;
	}
	if (remote.json) {
		error = regit_remote_print_json(resp);
		goto done;
	}
	json_array_foreach(resp, k, item) {
		if (json_is_string(item))
			printf("%s\n", json_string_value(item));
	}
done:
	json_decref(resp);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return error < 0 ? regit_remote_fail(&remote, error, 0) : REGIT_EXIT_OK;
}
