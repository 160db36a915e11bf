/*
 * cmd_versions.c - `regit versions`: list a subject's version numbers.
 *
 * GET /subjects/{subject}/versions[?deleted=true]. One number per line
 * (text) or the registry's JSON array. An unknown subject is exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

static void versions_usage(FILE *f)
{
	fprintf(f,
		"usage: regit versions --subject SUBJECT [--deleted] [options]\n"
		"\n"
		"List the live version numbers of SUBJECT, ascending.\n"
		"\n"
		"  --subject SUBJECT    the subject\n"
		"  --deleted            include soft-deleted versions\n"
		REGIT_REMOTE_OPTIONS_HELP
		"  (exit 1: no such subject, or it has no live versions)\n"
		"\n"
		"text output: one version per line; json output: [1, 2, 3]\n");
}

int regit_cmd_versions(int argc, char **argv)
{
	regit_remote remote = REGIT_REMOTE_INIT("versions");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL;
	json_t *resp = NULL;
	int *versions = NULL;
	size_t k, count = 0;
	int deleted = 0, i, m, error = 0;

	if (regit_cli_wants_help(argc, argv)) {
		versions_usage(stdout);
		return REGIT_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		m = regit_remote_common(&remote, argc, argv, &i);
		if (m == 0)
			m = regit_remote_opt(&subject, &remote, argc, argv, &i, "--subject");
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
	if (regit_remote_check_subject(&remote, subject) != 0)
		return REGIT_EXIT_USAGE;

	error = regit_buf_puts(&path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
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
	error = regit_client_parse_versions(&versions, &count, resp);
	if (error < 0)
		goto done;
	if (remote.json) {
		error = regit_remote_print_json(resp);
		goto done;
	}
	for (k = 0; k < count; k++)
		printf("%d\n", versions[k]);
done:
	regit_free(versions);
	json_decref(resp);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return error < 0 ? regit_remote_fail(&remote, error, error == REGIT_ENOTFOUND) :
		REGIT_EXIT_OK;
}
