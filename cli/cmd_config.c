/*
 * cmd_config.c - `regit config`: show or set a compatibility level.
 *
 *   regit config [--subject S]           GET /config[/S]
 *   regit config [--subject S] LEVEL     PUT /config[/S] {"compatibility": LEVEL}
 *   regit config [--subject S] --unset   DELETE /config[/S]
 *
 * A subject without its own level follows the global one: Confluent answers
 * 40408 for it, and this command then shows the global level marked as
 * inherited, which is the level the registry actually applies.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

static void config_usage(FILE *f)
{
	fprintf(f,
		"usage: regit config [--subject SUBJECT] [options]           show the level\n"
		"       regit config [--subject SUBJECT] [options] LEVEL     set it\n"
		"       regit config [--subject SUBJECT] [options] --unset   remove it\n"
		"\n"
		"Show or change the compatibility level of SUBJECT, or the global level\n"
		"without --subject. LEVEL is NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD,\n"
		"FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE (any case). A subject\n"
		"without its own level follows the global one; --unset returns it to that.\n"
		"\n"
		"  --subject SUBJECT    the subject (default: the global level)\n"
		"  --unset              remove the subject's level (global: back to the\n"
		"                       server default)\n"
		REGIT_REMOTE_OPTIONS_HELP
		"  (exit 1: --unset found no level to remove)\n"
		"\n"
		"text output: the level (\"BACKWARD (global)\" when inherited)\n"
		"json output: {\"compatibilityLevel\": L, \"inherited\": bool}, or the\n"
		"registry's answer when setting or unsetting\n");
}

static int config_path(regit_buf *path, const char *subject)
{
	int error = regit_buf_puts(path, "/config");

	if (error == 0 && subject)
		error = regit_client_put_segment(path, subject);
	return error;
}

/* Print a level from a GET or PUT answer ({"compatibilityLevel"} or {"compatibility"}). */
static int config_print(const regit_remote *remote, json_t *resp, int inherited)
{
	const char *level = NULL;
	int error = regit_client_parse_level(&level, resp);

	if (error < 0)
		return error;
	if (remote->json) {
		json_t *out = json_pack("{s:s, s:b}", "compatibilityLevel", level,
			"inherited", inherited);

		if (!out) {
			regit_error_set_oom();
			return REGIT_ENOMEM;
		}
		error = regit_remote_print_json(out);
		json_decref(out);
		return error;
	}
	printf("%s%s\n", level, inherited ? " (global)" : "");
	return 0;
}

int regit_cmd_config(int argc, char **argv)
{
	regit_remote remote = REGIT_REMOTE_INIT("config");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL, *level = NULL;
	json_t *resp = NULL, *body = NULL;
	char *text = NULL;
	int unset = 0, i, m, error = 0, rc = REGIT_EXIT_OK;

	if (regit_cli_wants_help(argc, argv)) {
		config_usage(stdout);
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
		if (strcmp(argv[i], "--unset") == 0)
			unset = 1;
		else if (argv[i][0] == '-')
			return regit_remote_usage_error(&remote, "unknown option '%s'", argv[i]);
		else if (!level)
			level = argv[i];
		else
			return regit_remote_usage_error(&remote, "one LEVEL at a time");
	}
	if (subject && regit_remote_check_subject(&remote, subject) != 0)
		return REGIT_EXIT_USAGE;
	if (unset && level)
		return regit_remote_usage_error(&remote, "give LEVEL or --unset, not both");
	if (level && (!*level || strlen(level) > 64))
		return regit_remote_usage_error(&remote, "'%s' is not a compatibility level", level);

	error = config_path(&path, subject);
	if (error < 0)
		goto done;
	error = regit_remote_connect(&client, &remote);
	if (error < 0)
		goto done;

	if (level) {
		/* The registry validates the level (42203) and upper-cases it. */
		body = json_pack("{s:s}", "compatibility", level);
		text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		if (!text) {
			regit_error_set(REGIT_ERROR_CLI, "'%s' is not a compatibility level", level);
			error = REGIT_EINVALID;
			goto done;
		}
		error = regit_client_request(&resp, client, "PUT", regit_buf_cstr(&path), text);
		if (error == 0)
			error = config_print(&remote, resp, 0);
	} else if (unset) {
		error = regit_client_request(&resp, client, "DELETE", regit_buf_cstr(&path), NULL);
		if (error == REGIT_ENOTFOUND) {
			rc = regit_remote_fail(&remote, error, 1);
			error = 0;
			goto done;
		}
		if (error < 0)
			goto done;
		if (remote.json) {
			error = regit_remote_print_json(resp);
		} else {
			const char *old = NULL;

			/* The old level is a courtesy: print it when the answer has it. */
			if (regit_client_parse_level(&old, resp) < 0)
				old = NULL;
			if (subject)
				printf("removed the level of %s", subject);
			else
				printf("reset the global level to the server default");
			if (old)
				printf(" (was %s)", old);
			printf("\n");
		}
	} else {
		error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
		if (error == REGIT_ENOTFOUND && subject) {
			/* No level of its own: show the global one it follows. */
			regit_buf_clear(&path);
			error = config_path(&path, NULL);
			if (error == 0)
				error = regit_client_request(&resp, client, "GET",
					regit_buf_cstr(&path), NULL);
			if (error == 0)
				error = config_print(&remote, resp, 1);
		} else if (error == 0) {
			error = config_print(&remote, resp, 0);
		}
	}
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, 0);
	json_decref(resp);
	json_decref(body);
	regit_free(text);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return rc;
}
