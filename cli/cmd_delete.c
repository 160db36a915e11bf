/*
 * cmd_delete.c - `regit delete`: delete a subject or one of its versions.
 *
 *   DELETE /subjects/{s}[/versions/{v}]                  soft delete
 *   ... then DELETE ...?permanent=true                    with --permanent
 *
 * The registry only hard-deletes what is soft-deleted already; --permanent
 * does both steps, so one command removes a schema for good. The hard
 * step names the version the soft step returned, because "latest" moves
 * once the latest version is soft-deleted.
 *
 * --permanent first asks for the hard delete alone: the registry checks
 * the role before anything else, so a user who may soft-delete but not
 * hard-delete (role write) is refused with nothing done, instead of being
 * left with a soft delete it did not ask for. "Not soft-deleted yet"
 * (40405/40407) is the usual answer, and the two steps follow.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "util/buf.h"
#include "util/error.h"

/* Confluent codes for "already soft-deleted": fine before a hard delete. */
#define DELETE_SUBJECT_SOFT_DELETED 40404
#define DELETE_VERSION_SOFT_DELETED 40406
/* ... and for "soft-delete it first", the answer to a lone hard delete. */
#define DELETE_SUBJECT_NOT_SOFT_DELETED 40405
#define DELETE_VERSION_NOT_SOFT_DELETED 40407

enum { DELETE_OPT_SUBJECT = 1, DELETE_OPT_VERSION, DELETE_OPT_PERMANENT };

static const regit_opt_spec delete_specs[] = {
	{ REGIT_OPT_VALUE, DELETE_OPT_SUBJECT, "subject", 0, "SUBJECT", "the subject" },
	{ REGIT_OPT_VALUE, DELETE_OPT_VERSION, "version", 0, "V",
	  "only this version (a number or latest)" },
	{ REGIT_OPT_FLAG, DELETE_OPT_PERMANENT, "permanent", 0, NULL, "hard delete" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const delete_frags[] = {
	delete_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_delete_opts = {
	"delete", "delete a subject or a version (soft, or --permanent)",
	"--subject SUBJECT [--version V] [--permanent] [options]",
	"Delete every version of SUBJECT, or one version. Without --permanent the\n"
	"delete is soft: the schemas stay readable by id (consumers keep working)\n"
	"and `--deleted` listings still show them. --permanent removes them for\n"
	"good (soft-deleting first when needed).",
	delete_frags,
	"text output: deleted SUBJECT version(s) N... [permanently]\n"
	"json output: {\"subject\": S, \"versions\": [N...], \"permanent\": bool}",
	"0 deleted\n1 no such subject or version, or it is soft-deleted already\n"
	REGIT_REMOTE_EXIT_STATUS
};

static int delete_path(regit_buf *path, const char *subject, const char *version,
	int permanent)
{
	int error;

	regit_buf_clear(path);
	error = regit_buf_puts(path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(path, subject);
	if (error == 0 && version)
		error = regit_buf_puts(path, "/versions");
	if (error == 0 && version)
		error = regit_client_put_segment(path, version);
	if (error == 0 && permanent)
		error = regit_client_put_query(path, "permanent", "true");
	return error;
}

int regit_cmd_delete(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("delete");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL, *version = NULL;
	char number[32];
	json_t *resp = NULL, *versions = NULL, *item, *out = NULL;
	size_t k;
	int permanent = 0, m, error = 0, rc = REGIT_EXIT_OK;

	if (regit_opt_help_requested(&regit_cmd_delete_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_delete_opts;
	regit_opt_parser_init(&p, &regit_cmd_delete_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		switch (o.spec ? o.spec->id : 0) {
		case DELETE_OPT_SUBJECT:
			subject = o.value;
			break;
		case DELETE_OPT_VERSION:
			version = o.value;
			break;
		case DELETE_OPT_PERMANENT:
			permanent = 1;
			break;
		default:
			return regit_remote_usage_error(&remote, "unexpected argument '%s'", o.value);
		}
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;
	if (regit_remote_check_subject(&remote, subject) != 0)
		return REGIT_EXIT_USAGE;
	if (version && !regit_remote_valid_version(version))
		return regit_remote_usage_error(&remote,
			"--version wants a number from 1 or 'latest', not '%s'", version);

	error = regit_remote_connect(&client, &remote);
	if (error < 0)
		goto done;

	/* Step 0: the hard delete alone; refused roles stop here, nothing done. */
	if (permanent) {
		error = delete_path(&path, subject, version, 1);
		if (error < 0)
			goto done;
		error = regit_client_request(&resp, client, "DELETE",
			regit_buf_cstr(&path), NULL);
		if (error == 0)
			goto answered;      /* it was soft-deleted already */
		if (error != REGIT_ENOTFOUND ||
		    regit_client_error_code(client) != (version ?
		    DELETE_VERSION_NOT_SOFT_DELETED : DELETE_SUBJECT_NOT_SOFT_DELETED)) {
			regit_error_set(REGIT_ERROR_HTTP, "%s; nothing was deleted",
				regit_error_message());
			goto done;
		}
		regit_error_clear();
		json_decref(resp);
		resp = NULL;
	}

	/* Step 1: soft delete (tolerating "already soft-deleted" when going on). */
	error = delete_path(&path, subject, version, 0);
	if (error < 0)
		goto done;
	error = regit_client_request(&resp, client, "DELETE", regit_buf_cstr(&path), NULL);
	if (error == REGIT_ENOTFOUND && permanent &&
	    regit_client_error_code(client) ==
	    (version ? DELETE_VERSION_SOFT_DELETED : DELETE_SUBJECT_SOFT_DELETED))
		error = 0;
	if (error < 0)
		goto done;

	/* Step 2: hard delete, naming the version step 1 deleted. */
	if (permanent) {
		const char *target = version;

		if (version && json_is_integer(resp)) {
			snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT,
				json_integer_value(resp));
			target = number;
		}
		json_decref(resp);
		resp = NULL;
		error = delete_path(&path, subject, target, 1);
		if (error < 0)
			goto done;
		error = regit_client_request(&resp, client, "DELETE",
			regit_buf_cstr(&path), NULL);
		if (error < 0) {
			/* Say exactly what was done: step 1 did happen. */
			regit_error_set(REGIT_ERROR_HTTP, "%s; %s %s%s%s was soft-deleted, not"
				" permanently", regit_error_message(), subject,
				target ? "version " : "", target ? target : "",
				target ? "" : " (every version)");
			goto done;
		}
	}

answered:
	/* A version delete answers a number, a subject delete an array. */
	if (json_is_integer(resp)) {
		versions = json_array();
		if (!versions || json_array_append(versions, resp) < 0) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
	} else if (json_is_array(resp)) {
		versions = json_incref(resp);
	} else {
		regit_error_set(REGIT_ERROR_HTTP,
			"registry answered the delete with neither a version nor a list");
		error = REGIT_EIO;
		goto done;
	}
	if (remote.json) {
		out = json_pack("{s:s, s:O, s:b}", "subject", subject, "versions", versions,
			"permanent", permanent);
		if (!out) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		error = regit_remote_print_json(out);
		goto done;
	}
	printf("deleted %s version%s", subject, json_array_size(versions) == 1 ? "" : "s");
	json_array_foreach(versions, k, item) {
		if (json_is_integer(item))
			printf(" %" JSON_INTEGER_FORMAT, json_integer_value(item));
	}
	printf("%s\n", permanent ? " permanently" : "");
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, error == REGIT_ENOTFOUND);
	json_decref(out);
	json_decref(versions);
	json_decref(resp);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return rc;
}
