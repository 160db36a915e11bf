/*
 * cmd_lookup.c - `regit lookup`: is this schema file registered under a
 * subject, and as which version and id?
 *
 * POST /subjects/{subject} with {"schema": "<file text>"}. The registry
 * compares canonical forms, so whitespace and key order do not matter.
 * Not registered (40403) or no such subject (40401) is exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

enum { LOOKUP_OPT_SUBJECT = 1, LOOKUP_OPT_DELETED };

static const regit_opt_spec lookup_specs[] = {
	{ REGIT_OPT_VALUE, LOOKUP_OPT_SUBJECT, "subject", 0, "SUBJECT", "the subject" },
	{ REGIT_OPT_FLAG, LOOKUP_OPT_DELETED, "deleted", 0, NULL,
	  "also match soft-deleted versions" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const lookup_frags[] = {
	lookup_specs, regit_remote_schema_opt_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_lookup_opts = {
	"lookup", "find a schema file among a subject's versions (version and id)",
	"--subject SUBJECT [options] FILE.avsc",
	"Find the schema in FILE among the versions of SUBJECT and print its\n"
	"version and id, without registering anything.",
	lookup_frags,
	"text output: SUBJECT version V (id N)\n"
	"json output: {\"subject\": S, \"version\": V, \"id\": N}",
	"0 found\n1 not registered under SUBJECT, or no such subject\n" REGIT_REMOTE_EXIT_STATUS
};

int regit_cmd_lookup(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("lookup");
	regit_client_schema found = REGIT_CLIENT_SCHEMA_INIT;
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL;
	regit_remote_schema sch = REGIT_REMOTE_SCHEMA_INIT;
	json_t *resp = NULL, *out = NULL;
	int deleted = 0, m, error = 0, rc = REGIT_EXIT_OK;

	if (regit_opt_help_requested(&regit_cmd_lookup_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_lookup_opts;
	regit_opt_parser_init(&p, &regit_cmd_lookup_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		if (o.spec && o.spec->id == LOOKUP_OPT_SUBJECT)
			subject = o.value;
		else if (o.spec && o.spec->id == LOOKUP_OPT_DELETED)
			deleted = 1;
		else if (regit_remote_schema_apply(&sch, &remote, &o) < 0)
			return REGIT_EXIT_USAGE;
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;

	error = regit_remote_schema_load(&sch, &remote, subject);
	if (error > 0)
		return error;
	if (error < 0)
		goto done;
	error = regit_buf_puts(&path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0 && deleted)
		error = regit_client_put_query(&path, "deleted", "true");
	if (error == 0 && sch.normalize)
		error = regit_client_put_query(&path, "normalize", "true");
	if (error < 0)
		goto done;
	error = regit_remote_connect(&client, &remote);
	if (error < 0)
		goto done;
	error = regit_remote_schema_resolve(&sch, &remote, client);
	if (error < 0)
		goto done;
	error = regit_client_request(&resp, client, "POST", regit_buf_cstr(&path), sch.body);
	if (error == REGIT_ENOTFOUND) {
		rc = regit_remote_fail(&remote, error, 1);
		error = 0;
		goto done;
	}
	if (error == 0)
		error = regit_client_parse_schema(&found, resp);
	if (error < 0)
		goto done;
	if (found.version < 1 || found.id < 0) {
		regit_error_set(REGIT_ERROR_HTTP,
			"unexpected registry response: the lookup answer lacks version or id");
		error = REGIT_EIO;
		goto done;
	}
	if (remote.json) {
		out = json_pack("{s:s, s:i, s:i}", "subject", subject, "version", found.version,
			"id", found.id);
		if (!out) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		error = regit_remote_print_json(out);
	} else {
		printf("%s version %d (id %d)\n", subject, found.version, found.id);
	}
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, 0);
	json_decref(out);
	json_decref(resp);
	regit_client_schema_dispose(&found);
	regit_remote_schema_dispose(&sch);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return rc;
}
