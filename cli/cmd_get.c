/*
 * cmd_get.c - `regit get`: print a registered schema.
 *
 * GET /subjects/{subject}/versions/{version} or GET /schemas/ids/{id}. The
 * text output is the schema alone, pretty-printed, so `regit get ... >
 * x.avsc` gives a file `regit check` and `regit register` accept; the json
 * output is the registry's entity (subject, version, id, schema string,
 * references). A schema with references names types it does not define:
 * --resolved asks for it with them inlined (GET /schemas/ids/{id}
 * ?format=resolved, which every Confluent version since 7.x answers), so
 * the file stands alone; without it, text output warns that it does not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

enum { GET_OPT_SUBJECT = 1, GET_OPT_VERSION, GET_OPT_ID, GET_OPT_DELETED,
	GET_OPT_RAW, GET_OPT_RESOLVED };

static const regit_opt_spec get_specs[] = {
	{ REGIT_OPT_VALUE, GET_OPT_SUBJECT, "subject", 0, "SUBJECT", "the subject" },
	{ REGIT_OPT_VALUE, GET_OPT_VERSION, "version", 0, "V",
	  "a version number or latest (default latest)" },
	{ REGIT_OPT_VALUE, GET_OPT_ID, "id", 0, "ID", "the schema id (instead of --subject)" },
	{ REGIT_OPT_FLAG, GET_OPT_DELETED, "deleted", 0, NULL,
	  "also find soft-deleted versions" },
	{ REGIT_OPT_FLAG, GET_OPT_RAW, "raw", 0, NULL,
	  "print the schema string exactly as the registry\n"
	  "stores it instead of pretty-printing it" },
	{ REGIT_OPT_FLAG, GET_OPT_RESOLVED, "resolved", 0, NULL,
	  "inline the types the schema takes from its\n"
	  "references, so the output stands alone (for\n"
	  "`regit check`); without it a schema with\n"
	  "references is printed as stored, with a warning" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const get_frags[] = {
	get_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_get_opts = {
	"get", "print a registered schema by subject and version, or by id",
	"--subject SUBJECT [--version V|latest] [options]\n--id ID [options]",
	"Print a registered schema: a version of a subject (default: the latest)\n"
	"or the schema with a global id.",
	get_frags,
	"text output: the schema; json output: the registry's answer\n"
	"{\"subject\", \"version\", \"id\", \"schema\", \"references\", ...}\n"
	"(with --resolved, \"schema\" is the resolved text)",
	"0 printed\n1 no such subject, version or id\n" REGIT_REMOTE_EXIT_STATUS
};

static int get_valid_id(const char *s)
{
	char *end = NULL;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= 0 && v <= 2147483647L;
}

/*
 * The schema printer's PRETTY style (what `regit fmt` and the store's .avsc
 * files use), so the output diffs cleanly against files in a repository.
 * A schema that does not parse on its own (e.g. it names types from
 * Confluent references) is indented as plain JSON instead.
 */
static int get_print_pretty(const char *schema)
{
	regit_schema *parsed = NULL;
	regit_buf buf = REGIT_BUF_INIT;
	json_error_t jerr;
	json_t *json;
	char *text;
	int error;

	error = regit_schema_parse(&parsed, schema, strlen(schema), NULL, NULL);
	if (error == 0)
		error = regit_schema_print(parsed, REGIT_PRINT_PRETTY, &buf);
	regit_schema_free(parsed);
	if (error == 0) {
		fputs(regit_buf_cstr(&buf), stdout);
		if (buf.size == 0 || buf.ptr[buf.size - 1] != '\n')
			fputc('\n', stdout);
	}
	regit_buf_dispose(&buf);
	if (error == 0 || error == REGIT_ENOMEM)
		return error;

	json = json_loads(schema, JSON_DECODE_ANY, &jerr);
	if (!json) {
		/* Not ours to judge: show what the registry holds. */
		printf("%s\n", schema);
		return 0;
	}
	text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(json);
	if (!text) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	printf("%s\n", text);
	regit_free(text);
	return 0;
}

int regit_cmd_get(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("get");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL, *version = NULL, *id = NULL;
	regit_client_schema schema = REGIT_CLIENT_SCHEMA_INIT;
	json_t *resp = NULL, *resolved = NULL, *text;
	int deleted = 0, raw = 0, want_resolved = 0, m, error = 0, rc = REGIT_EXIT_OK;
	size_t k;

	if (regit_opt_help_requested(&regit_cmd_get_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_get_opts;
	regit_opt_parser_init(&p, &regit_cmd_get_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		switch (o.spec ? o.spec->id : 0) {
		case GET_OPT_SUBJECT:
			subject = o.value;
			break;
		case GET_OPT_VERSION:
			version = o.value;
			break;
		case GET_OPT_ID:
			id = o.value;
			break;
		case GET_OPT_DELETED:
			deleted = 1;
			break;
		case GET_OPT_RAW:
			raw = 1;
			break;
		case GET_OPT_RESOLVED:
			want_resolved = 1;
			break;
		default:
			return regit_remote_usage_error(&remote, "unexpected argument '%s'", o.value);
		}
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;
	if (id && (subject || version))
		return regit_remote_usage_error(&remote,
			"give either --id or --subject [--version], not both");
	if (!id && regit_remote_check_subject(&remote, subject) != 0)
		return REGIT_EXIT_USAGE;
	if (id && !get_valid_id(id))
		return regit_remote_usage_error(&remote, "--id wants a schema id (0..2147483647), not '%s'", id);
	if (!version)
		version = "latest";
	if (!id && !regit_remote_valid_version(version))
		return regit_remote_usage_error(&remote,
			"--version wants a number from 1 or 'latest', not '%s'", version);

	if (id) {
		error = regit_buf_puts(&path, "/schemas/ids");
		if (error == 0)
			error = regit_client_put_segment(&path, id);
	} else {
		error = regit_buf_puts(&path, "/subjects");
		if (error == 0)
			error = regit_client_put_segment(&path, subject);
		if (error == 0)
			error = regit_buf_puts(&path, "/versions");
		if (error == 0)
			error = regit_client_put_segment(&path, version);
	}
	if (error == 0 && deleted)
		error = regit_client_put_query(&path, "deleted", "true");
	if (error < 0)
		goto done;
	error = regit_remote_connect(&client, &remote);
	if (error < 0)
		goto done;
	error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error < 0) {
		rc = regit_remote_fail(&remote, error, error == REGIT_ENOTFOUND);
		error = 0;
		goto done;
	}
	error = regit_client_parse_schema(&schema, resp);
	if (error < 0)
		goto done;
	if (want_resolved && schema.nrefs) {
		/* A by-subject answer always has its id (the client checks the type). */
		if (schema.id < 0 && id)
			schema.id = (int)strtol(id, NULL, 10);
		regit_buf_clear(&path);
		error = regit_buf_printf(&path, "/schemas/ids/%d?format=resolved", schema.id);
		if (error == 0)
			error = regit_client_request(&resolved, client, "GET",
				regit_buf_cstr(&path), NULL);
		text = json_object_get(resolved, "schema");
		if (error == 0 && !json_is_string(text)) {
			regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: "
				"no \"schema\" string in the resolved schema %d", schema.id);
			error = REGIT_EIO;
		}
		if (error < 0)
			goto done;
		/* A registry that ignores format=resolved answers the text as stored. */
		if (strcmp(json_string_value(text), schema.schema) == 0)
			fprintf(stderr, "regit get: warning: the registry did not inline the "
				"schema's references (format=resolved unsupported?)\n");
		/* The entity stays the registry's, with the resolved text. */
		if (json_object_set(resp, "schema", text) < 0) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		regit_free(schema.schema);
		schema.schema = regit_strdup(json_string_value(text));
		if (!schema.schema) {
			error = REGIT_ENOMEM;
			goto done;
		}
	} else if (schema.nrefs && !remote.json) {
		fprintf(stderr, "regit get: warning: the schema uses %zu reference%s (",
			schema.nrefs, schema.nrefs == 1 ? "" : "s");
		for (k = 0; k < schema.nrefs; k++)
			fprintf(stderr, "%s%s=%s:%d", k ? ", " : "", schema.refs[k].name,
				schema.refs[k].subject, schema.refs[k].version);
		fprintf(stderr, ") and does not stand alone; --resolved inlines them\n");
	}
	if (remote.json) {
		error = regit_remote_print_json(resp);
		goto done;
	}
	if (raw)
		printf("%s\n", schema.schema);
	else
		error = get_print_pretty(schema.schema);
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, 0);
	regit_client_schema_dispose(&schema);
	json_decref(resolved);
	json_decref(resp);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return rc;
}
