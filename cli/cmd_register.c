/*
 * cmd_register.c - `regit register`: register a schema file under a subject.
 *
 * POST /subjects/{subject}/versions with {"schema": "<file text>"}. The
 * registry decides validity and compatibility; a rejection as incompatible
 * is exit 1 (like `regit check`) and prints the registry's full list of
 * findings, everything else that goes wrong is exit 2.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

enum { REGISTER_OPT_SUBJECT = 1 };

static const regit_opt_spec register_specs[] = {
	{ REGIT_OPT_VALUE, REGISTER_OPT_SUBJECT, "subject", 0, "SUBJECT",
	  "the subject (any string, e.g. orders-value)" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const register_frags[] = {
	register_specs, regit_remote_schema_opt_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_register_opts = {
	"register", "register a schema file under a subject (registry client)",
	"--subject SUBJECT [options] FILE.avsc",
	"Register the Avro schema in FILE under SUBJECT and print the version and\n"
	"id the registry gave it. Registering a schema that is already a live\n"
	"version of SUBJECT changes nothing and prints that version and id.",
	register_frags,
	"text output: registered SUBJECT version V (id N)\n"
	"json output: {\"subject\": S, \"version\": V, \"id\": N}",
	"0 registered (or already a live version)\n"
	"1 the registry rejected the schema as incompatible\n" REGIT_REMOTE_EXIT_STATUS
};

int regit_cmd_register(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("register");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL;
	regit_remote_schema sch = REGIT_REMOTE_SCHEMA_INIT;
	json_t *resp = NULL, *out = NULL;
	int id, version, m, error = 0, rc = REGIT_EXIT_OK;

	if (regit_opt_help_requested(&regit_cmd_register_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_register_opts;
	regit_opt_parser_init(&p, &regit_cmd_register_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		if (o.spec && o.spec->id == REGISTER_OPT_SUBJECT)
			subject = o.value;
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
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
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
	if (error == REGIT_EINCOMPATIBLE) {
		/* The full findings; the error message keeps only the first 1 KiB. */
		fprintf(stderr, "regit register: %s: incompatible: %d %s\n", sch.file,
			regit_client_error_code(client), regit_client_error_text(client));
		rc = REGIT_EXIT_FAIL;
		goto done;
	}
	if (error < 0)
		goto done;

	/* version is 0 from registries before Confluent 7.5: they send only the id. */
	error = regit_client_parse_registered(&id, &version, resp);
	if (error < 0)
		goto done;
	if (remote.json) {
		out = version ?
			json_pack("{s:s, s:i, s:i}", "subject", subject, "id", id, "version", version) :
			json_pack("{s:s, s:i}", "subject", subject, "id", id);
		if (!out) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		error = regit_remote_print_json(out);
	} else if (version) {
		printf("registered %s version %d (id %d)\n", subject, version, id);
	} else {
		printf("registered %s (id %d)\n", subject, id);
	}
done:
	if (error < 0 && rc == REGIT_EXIT_OK)
		rc = regit_remote_fail(&remote, error, 0);
	json_decref(out);
	json_decref(resp);
	regit_remote_schema_dispose(&sch);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return rc;
}
