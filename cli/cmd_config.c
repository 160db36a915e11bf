/*
 * cmd_config.c - `regit config`: show or set a compatibility level.
 *
 *   regit config [--subject S]           GET /config[/S]
 *   regit config [--subject S] LEVEL     PUT /config[/S] {"compatibility": LEVEL}
 *   regit config [--subject S] --unset   DELETE /config[/S]
 *   regit config [--subject S] --rules strict|avro [LEVEL]
 *   regit config [--subject S] --lint off|warn|enforce [LEVEL]
 *                                        PUT with regit's extension keys
 *
 * A subject without its own level follows the global one: Confluent answers
 * 40408 for it, and this command then shows the global level marked as
 * inherited, which is the level the registry actually applies.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "server/api.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

enum { CONFIG_OPT_SUBJECT = 1, CONFIG_OPT_UNSET, CONFIG_OPT_RULES, CONFIG_OPT_LINT };

static const regit_opt_spec config_specs[] = {
	{ REGIT_OPT_VALUE, CONFIG_OPT_SUBJECT, "subject", 0, "SUBJECT",
	  "the subject (default: the global level)" },
	{ REGIT_OPT_FLAG, CONFIG_OPT_UNSET, "unset", 0, NULL,
	  "remove the subject's level (global: back to the\n"
	  "server default)" },
	{ REGIT_OPT_VALUE, CONFIG_OPT_RULES, "rules", 0, "strict|avro",
	  "regit registries: strict evolution rules (no\n"
	  "removed fields, no new fields without default) or\n"
	  "plain Avro resolution; kept when only LEVEL changes" },
	{ REGIT_OPT_VALUE, CONFIG_OPT_LINT, "lint", 0, "off|warn|enforce",
	  "regit registries: the lint policy of registrations\n"
	  "(\"regit.lint\"): off; warn: register and log findings;\n"
	  "enforce: refuse lint errors (42201); kept when only\n"
	  "LEVEL changes" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const config_frags[] = {
	config_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_config_opts = {
	"config", "show or set a compatibility level (global or per subject)",
	"[--subject SUBJECT] [options]           show the level\n"
	"[--subject SUBJECT] [options] LEVEL     set it\n"
	"[--subject SUBJECT] [options] --unset   remove it",
	"Show or change the compatibility level of SUBJECT, or the global level\n"
	"without --subject. LEVEL is NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD,\n"
	"FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE (any case). A subject\n"
	"without its own level follows the global one; --unset returns it to that.",
	config_frags,
	"text output: the level, then \"; rules strict|avro\" and \"; lint POLICY\"\n"
	"when the registry reports them; \"(global)\" marks what the subject\n"
	"inherits\n"
	"json output: {\"compatibilityLevel\": L, \"inherited\": bool[, \"rules\": R,\n"
	"\"rulesInherited\": bool][, \"lint\": P, \"lintInherited\": bool]};\n"
	"--unset prints the registry's answer",
	"0 shown or changed\n1 --unset found no level to remove\n" REGIT_REMOTE_EXIT_STATUS
};

static int config_path(regit_buf *path, const char *subject)
{
	int error = regit_buf_puts(path, "/config");

	if (error == 0 && subject)
		error = regit_client_put_segment(path, subject);
	return error;
}

/* A string key of a config answer (regit's extensions), or NULL. @return borrowed */
static const char *config_string(const json_t *resp, const char *key)
{
	const json_t *v = json_object_get(resp, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * Show the config that applies to `subject` (or the global one): the
 * subject's own level and rules where it has them, the global ones marked
 * "(global)" where it does not. A subject config may hold only some keys
 * (e.g. only regit.rules), so each is resolved on its own.
 */
static int config_show(const regit_remote *remote, regit_client *client, const char *subject)
{
	regit_buf path = REGIT_BUF_INIT;
	json_t *own = NULL, *global = NULL, *out = NULL;
	const char *level = NULL, *rules = NULL, *lint = NULL;
	int level_inherited = 0, rules_inherited = 0, lint_inherited = 0, error;

	error = config_path(&path, subject);
	if (error == 0)
		error = regit_client_request(&own, client, "GET", regit_buf_cstr(&path), NULL);
	/* 40408: the subject has no config of its own. */
	if (error == REGIT_ENOTFOUND && subject)
		error = 0;
	if (error < 0)
		goto done;
	if (own && regit_client_parse_level(&level, own) < 0)
		level = NULL;
	rules = own ? config_string(own, REGIT_API_RULES_KEY) : NULL;
	lint = own ? config_string(own, REGIT_API_LINT_KEY) : NULL;
	if (subject && (!level || !rules || !lint)) {
		regit_buf_clear(&path);
		error = config_path(&path, NULL);
		if (error == 0)
			error = regit_client_request(&global, client, "GET",
				regit_buf_cstr(&path), NULL);
		if (error < 0)
			goto done;
		if (!level) {
			level_inherited = 1;
			error = regit_client_parse_level(&level, global);
			if (error < 0)
				goto done;
		}
		if (!rules) {
			rules = config_string(global, REGIT_API_RULES_KEY);
			rules_inherited = 1;
		}
		if (!lint) {
			lint = config_string(global, REGIT_API_LINT_KEY);
			lint_inherited = 1;
		}
	}
	if (!level) {
		error = regit_client_parse_level(&level, own);
		if (error < 0)
			goto done;
	}
	if (remote->json) {
		out = json_pack("{s:s, s:b}", "compatibilityLevel", level,
			"inherited", level_inherited);
		if (out && rules && (json_object_set_new(out, "rules", json_string(rules)) < 0 ||
		    json_object_set_new(out, "rulesInherited", json_boolean(rules_inherited)) < 0)) {
			json_decref(out);
			out = NULL;
		}
		if (out && lint && (json_object_set_new(out, "lint", json_string(lint)) < 0 ||
		    json_object_set_new(out, "lintInherited", json_boolean(lint_inherited)) < 0)) {
			json_decref(out);
			out = NULL;
		}
		if (!out) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		error = regit_remote_print_json(out);
		goto done;
	}
	printf("%s%s", level, level_inherited ? " (global)" : "");
	if (rules)
		printf("; rules %s%s", rules, rules_inherited ? " (global)" : "");
	if (lint)
		printf("; lint %s%s", lint, lint_inherited ? " (global)" : "");
	printf("\n");
done:
	json_decref(out);
	json_decref(own);
	json_decref(global);
	regit_buf_dispose(&path);
	return error;
}

int regit_cmd_config(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("config");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL, *level = NULL, *rules = NULL, *lint = NULL;
	json_t *resp = NULL, *body = NULL;
	char *text = NULL;
	int unset = 0, m, error = 0, rc = REGIT_EXIT_OK;

	if (regit_opt_help_requested(&regit_cmd_config_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_config_opts;
	regit_opt_parser_init(&p, &regit_cmd_config_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		switch (o.spec ? o.spec->id : 0) {
		case CONFIG_OPT_SUBJECT:
			subject = o.value;
			break;
		case CONFIG_OPT_RULES:
			rules = o.value;
			break;
		case CONFIG_OPT_LINT:
			lint = o.value;
			break;
		case CONFIG_OPT_UNSET:
			unset = 1;
			break;
		default:
			if (level)
				return regit_remote_usage_error(&remote, "one LEVEL at a time");
			level = o.value;
		}
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;
	if (subject && regit_remote_check_subject(&remote, subject) != 0)
		return REGIT_EXIT_USAGE;
	if (unset && (level || rules || lint))
		return regit_remote_usage_error(&remote,
			"give LEVEL/--rules/--lint or --unset, not both");
	if (rules && strcmp(rules, "strict") != 0 && strcmp(rules, "avro") != 0)
		return regit_remote_usage_error(&remote, "--rules is strict or avro, not '%s'", rules);
	if (lint && strcmp(lint, "off") != 0 && strcmp(lint, "warn") != 0 &&
	    strcmp(lint, "enforce") != 0)
		return regit_remote_usage_error(&remote,
			"--lint is off, warn or enforce, not '%s'", lint);
	if (level && (!*level || strlen(level) > 64))
		return regit_remote_usage_error(&remote, "'%s' is not a compatibility level", level);

	error = config_path(&path, subject);
	if (error < 0)
		goto done;
	error = regit_remote_connect(&client, &remote);
	if (error < 0)
		goto done;

	if (level || rules || lint) {
		/*
		 * The registry validates the level (42203) and upper-cases it; PUT
		 * merges, so an absent key keeps its old value.
		 */
		body = json_object();
		if (body && level && json_object_set_new(body, "compatibility", json_string(level)) < 0) {
			regit_error_set(REGIT_ERROR_CLI, "'%s' is not a compatibility level", level);
			error = REGIT_EINVALID;
			goto done;
		}
		if (body && rules)
			json_object_set_new(body, REGIT_API_RULES_KEY, json_string(rules));
		if (body && lint)
			json_object_set_new(body, REGIT_API_LINT_KEY, json_string(lint));
		text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		if (!text) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		error = regit_client_request(&resp, client, "PUT", regit_buf_cstr(&path), text);
		/* The echo holds only what was sent: show the merged result instead. */
		if (error == 0)
			error = config_show(&remote, client, subject);
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
				printf("removed the config of %s", subject);
			else
				printf("reset the global config to the server default");
			if (old)
				printf(" (was %s)", old);
			printf("\n");
		}
	} else {
		error = config_show(&remote, client, subject);
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
