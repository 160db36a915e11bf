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

enum { SUBJECTS_OPT_PREFIX = 1, SUBJECTS_OPT_DELETED };

static const regit_opt_spec subjects_specs[] = {
	{ REGIT_OPT_VALUE, SUBJECTS_OPT_PREFIX, "prefix", 0, "PREFIX",
	  "only subjects starting with PREFIX" },
	{ REGIT_OPT_FLAG, SUBJECTS_OPT_DELETED, "deleted", 0, NULL,
	  "include subjects whose versions are all soft-deleted" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const subjects_frags[] = {
	subjects_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_subjects_opts = {
	"subjects", "list the registry's subjects",
	"[--prefix PREFIX] [--deleted] [options]",
	"List the subjects that have live versions, sorted by name.",
	subjects_frags,
	"text output: one subject per line; json output: [\"a\", \"b\"]",
	"0 listed (an empty list is not an error)\n" REGIT_REMOTE_EXIT_STATUS
};

int regit_cmd_subjects(int argc, char **argv)
{
	regit_remote remote = REGIT_REMOTE_INIT("subjects");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *prefix = NULL;
	json_t *resp = NULL, *item;
	regit_opt_parser p;
	regit_opt o;
	size_t k;
	int deleted = 0, m, error = 0;

	if (regit_opt_help_requested(&regit_cmd_subjects_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_subjects_opts;
	regit_opt_parser_init(&p, &regit_cmd_subjects_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		switch (o.spec ? o.spec->id : 0) {
		case SUBJECTS_OPT_PREFIX:
			prefix = o.value;
			break;
		case SUBJECTS_OPT_DELETED:
			deleted = 1;
			break;
		default:
			return regit_remote_usage_error(&remote, "unexpected argument '%s'", o.value);
		}
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;

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
