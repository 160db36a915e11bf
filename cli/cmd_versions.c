/*
 * cmd_versions.c - `regit versions`: list a subject's version numbers.
 *
 * GET /subjects/{subject}/versions[?deleted=true]. One number per line
 * (text) or the registry's JSON array. An unknown subject is exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

enum { VERSIONS_OPT_SUBJECT = 1, VERSIONS_OPT_DELETED };

static const regit_opt_spec versions_specs[] = {
	{ REGIT_OPT_VALUE, VERSIONS_OPT_SUBJECT, "subject", 0, "SUBJECT", "the subject" },
	{ REGIT_OPT_FLAG, VERSIONS_OPT_DELETED, "deleted", 0, NULL,
	  "include soft-deleted versions" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const versions_frags[] = {
	versions_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_versions_opts = {
	"versions", "list a subject's versions",
	"--subject SUBJECT [--deleted] [options]",
	"List the live version numbers of SUBJECT, ascending.",
	versions_frags,
	"text output: one version per line; json output: [1, 2, 3]",
	"0 listed\n1 no such subject, or it has no live versions\n" REGIT_REMOTE_EXIT_STATUS
};

int regit_cmd_versions(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("versions");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL;
	json_t *resp = NULL;
	int *versions = NULL;
	size_t k, count = 0;
	int deleted = 0, m, error = 0;

	if (regit_opt_help_requested(&regit_cmd_versions_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_versions_opts;
	regit_opt_parser_init(&p, &regit_cmd_versions_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		switch (o.spec ? o.spec->id : 0) {
		case VERSIONS_OPT_SUBJECT:
			subject = o.value;
			break;
		case VERSIONS_OPT_DELETED:
			deleted = 1;
			break;
		default:
			return regit_remote_usage_error(&remote, "unexpected argument '%s'", o.value);
		}
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;
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
