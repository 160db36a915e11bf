/*
 * cmd_test.c - `regit test`: would the registry accept this schema?
 *
 * POST /compatibility/subjects/{subject}/versions?verbose=true (every
 * version the subject's level compares with: exactly what registration
 * would check) or .../versions/{v} (that one version). Exit 0 compatible,
 * 1 incompatible, like `regit check`. The registry's verbose messages
 * ({errorType:'...', description:'...', path:'/fields/1', ...}) are
 * printed as `check` prints findings, at the line and column of the file
 * that their JSON pointer names.
 *
 * A CI gate fails closed: a subject with no versions is "compatible" to
 * the registry (there is nothing to compare with), which almost always
 * means a typo in the subject name, so it is exit 1 unless --allow-new.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/jsonpos.h"

enum { TEST_OPT_SUBJECT = 1, TEST_OPT_VERSION, TEST_OPT_ALLOW_NEW };

static const regit_opt_spec test_specs[] = {
	{ REGIT_OPT_VALUE, TEST_OPT_SUBJECT, "subject", 0, "SUBJECT", "the subject" },
	{ REGIT_OPT_VALUE, TEST_OPT_VERSION, "version", 0, "V",
	  "test against this version (a number or latest)" },
	{ REGIT_OPT_FLAG, TEST_OPT_ALLOW_NEW, "allow-new", 0, NULL,
	  "a subject with no versions is fine (exit 0); without\n"
	  "it that is exit 1, as a misspelt subject would be" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const test_frags[] = {
	test_specs, regit_remote_schema_opt_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_test_opts = {
	"test", "test a schema file against a subject's registered versions",
	"--subject SUBJECT [--version V] [options] FILE.avsc",
	"Ask the registry whether the schema in FILE is compatible with SUBJECT,\n"
	"under the subject's compatibility level, without registering it.\n"
	"Without --version the schema is tested against every version the\n"
	"level compares with, exactly as registration would; with --version\n"
	"against that one version only.",
	test_frags,
	"text output: FILE: compatible|incompatible with SUBJECT, then one line per\n"
	"finding, as `regit check` prints them:\n"
	"  FILE:LINE:COL: error: [RULE] message (SUBJECT version N)\n"
	"json output: {\"compatible\": bool, \"new_subject\": bool,\n"
	"  \"findings\": [{\"rule\",\"message\",\"path\",\"line\",\"column\",\"version\"}],\n"
	"  \"messages\": [the registry's own strings]}",
	"0 compatible\n1 incompatible, or the subject has no versions, or --version\n"
	"  names no version\n" REGIT_REMOTE_EXIT_STATUS
};

/*
 * One verbose message of the registry, Confluent's shape:
 *   {errorType:'FIELD_REMOVED', description:'...', path:'/fields',
 *    oldSchemaVersion:1}
 * Values are single-quoted and not escaped (a description may hold a
 * quote), so each is cut at the next known key, searched from the right.
 */
typedef struct test_finding {
	char rule[64];
	char path[512];
	const char *desc;        /* into the message */
	size_t desc_len;
	long version;            /* 0 = not given */
} test_finding;

static int test_parse_finding(test_finding *f, const char *msg)
{
	static const char head[] = "{errorType:'", dsep[] = "', description:'";
	const char *t, *d, *end, *p, *v;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (strncmp(msg, head, sizeof(head) - 1) != 0)
		return -1;
	t = msg + sizeof(head) - 1;
	d = strstr(t, dsep);
	if (!d || (size_t)(d - t) >= sizeof(f->rule))
		return -1;
	memcpy(f->rule, t, (size_t)(d - t));
	f->desc = d + sizeof(dsep) - 1;
	end = msg + strlen(msg);
	v = strstr(f->desc, "', oldSchemaVersion:");
	p = strstr(f->desc, "', path:'");
	if (v) {
		f->version = strtol(v + 20, NULL, 10);
		end = v;
	}
	if (p && p < end) {
		const char *ps = p + 9, *pe = strchr(ps, '\'');

		n = pe ? (size_t)(pe - ps) : 0;
		if (n < sizeof(f->path))
			memcpy(f->path, ps, n);
		end = p;
	} else if (!v && end - f->desc >= 2 && end[-1] == '}' && end[-2] == '\'') {
		end -= 2;
	}
	f->desc_len = (size_t)(end - f->desc);
	return 0;
}

static void test_print_finding(const test_finding *f, const regit_remote_schema *sch,
	const char *subject)
{
	int line = 0, column = 0;

	if (sch->text && regit_jsonpos_find_nearest(sch->text, strlen(sch->text), f->path, &line,
		&column) == 0)
		printf("%s:%d:%d: error: [%s] %.*s", sch->file, line, column, f->rule,
			(int)f->desc_len, f->desc);
	else
		printf("%s: error: [%s] %.*s", sch->file, f->rule, (int)f->desc_len, f->desc);
	if (f->version > 0)
		printf(" (%s version %ld)\n", subject, f->version);
	else
		printf(" (%s)\n", subject);
}

/* Does the subject have any version (soft-deleted ones count: registering
 * compares with them too)? @return 1 yes, 0 no, < 0 error */
static int test_subject_exists(regit_client *client, const char *subject)
{
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	int error = regit_buf_puts(&path, "/subjects");

	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
	if (error == 0)
		error = regit_client_put_query(&path, "deleted", "true");
	if (error == 0)
		error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	regit_buf_dispose(&path);
	if (error == 0) {
		error = json_is_array(resp) && json_array_size(resp) > 0;
	} else if (error == REGIT_ENOTFOUND) {
		regit_error_clear();
		error = 0;
	}
	json_decref(resp);
	return error;
}

int regit_cmd_test(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("test");
	regit_client *client = NULL;
	regit_buf path = REGIT_BUF_INIT;
	const char *subject = NULL, *version = NULL;
	regit_remote_schema sch = REGIT_REMOTE_SCHEMA_INIT;
	const json_t *messages = NULL, *item;
	json_t *resp = NULL, *out = NULL, *findings = NULL;
	test_finding f;
	size_t k;
	int compatible, m, error = 0, rc = REGIT_EXIT_OK, allow_new = 0, is_new = 0;
	int nfindings = 0;

	if (regit_opt_help_requested(&regit_cmd_test_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_test_opts;
	regit_opt_parser_init(&p, &regit_cmd_test_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		if (o.spec && o.spec->id == TEST_OPT_SUBJECT)
			subject = o.value;
		else if (o.spec && o.spec->id == TEST_OPT_VERSION)
			version = o.value;
		else if (o.spec && o.spec->id == TEST_OPT_ALLOW_NEW)
			allow_new = 1;
		else if (regit_remote_schema_apply(&sch, &remote, &o) < 0)
			return REGIT_EXIT_USAGE;
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;
	if (version && !regit_remote_valid_version(version))
		return regit_remote_usage_error(&remote,
			"--version wants a number from 1 or 'latest', not '%s'", version);

	error = regit_remote_schema_load(&sch, &remote, subject);
	if (error > 0)
		return error;
	if (error < 0)
		goto done;
	error = regit_buf_puts(&path, "/compatibility/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
	if (error == 0 && version)
		error = regit_client_put_segment(&path, version);
	if (error == 0)
		error = regit_client_put_query(&path, "verbose", "true");
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
	if (error < 0)
		goto done;

	error = regit_client_parse_compat(&compatible, &messages, resp);
	if (error < 0)
		goto done;
	if (compatible && !version) {
		error = test_subject_exists(client, subject);
		if (error < 0)
			goto done;
		is_new = !error;
		error = 0;
	}
	rc = compatible && (!is_new || allow_new) ? REGIT_EXIT_OK : REGIT_EXIT_FAIL;
	if (remote.json) {
		findings = json_array();
		if (!findings) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		json_array_foreach(messages, k, item) {
			int line = 0, column = 0;

			if (!json_is_string(item) ||
			    test_parse_finding(&f, json_string_value(item)) < 0)
				continue;
			if (sch.text)
				(void)regit_jsonpos_find_nearest(sch.text, strlen(sch.text), f.path, &line,
					&column);
			json_array_append_new(findings, json_pack("{s:s, s:s%, s:s, s:i, s:i, s:I}",
				"rule", f.rule, "message", f.desc, f.desc_len, "path", f.path,
				"line", line, "column", column, "version", (json_int_t)f.version));
		}
		out = json_pack("{s:b, s:b, s:O, s:O}", "compatible", compatible,
			"new_subject", is_new, "findings", findings,
			"messages", messages ? (json_t *)messages : findings);
		if (out && !messages)
			json_object_set_new(out, "messages", json_array());
		if (!out) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		error = regit_remote_print_json(out);
		goto done;
	}
	if (is_new) {
		printf("%s: %s has no versions: nothing to test against%s\n", sch.file, subject,
			allow_new ? " (--allow-new: fine)" : "");
		if (!allow_new)
			fprintf(stderr, "regit test: subject '%s' has no versions (a typo?); "
				"--allow-new accepts a new subject\n", subject);
		goto done;
	}
	printf("%s: %s with %s\n", sch.file, compatible ? "compatible" : "incompatible", subject);
	json_array_foreach(messages, k, item) {
		const char *msg = json_is_string(item) ? json_string_value(item) : NULL;

		if (msg && test_parse_finding(&f, msg) == 0) {
			test_print_finding(&f, &sch, subject);
			nfindings++;
		} else if (msg && strncmp(msg, "{compatibility:'", 16) == 0) {
			continue;   /* the level and rules: in the summary below */
		} else if (msg) {
			printf("  %s\n", msg);
		} else {
			char *text = json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);

			printf("  %s\n", text ? text : "?");
			regit_free(text);
		}
	}
	json_array_foreach(messages, k, item) {
		const char *msg = json_is_string(item) ? json_string_value(item) : NULL;

		const char *lv, *ru;

		if (!msg || strncmp(msg, "{compatibility:'", 16) != 0 || nfindings == 0)
			continue;
		/* {compatibility:'FULL_TRANSITIVE', rules:'strict'} -> as check says it */
		lv = msg + 16;
		ru = strstr(lv, "', rules:'");
		if (ru)
			fprintf(stderr, "regit test: %d problem%s (%.*s, %.*s rules)\n", nfindings,
				nfindings == 1 ? "" : "s", (int)(ru - lv), lv,
				(int)strcspn(ru + 10, "'"), ru + 10);
		else
			fprintf(stderr, "regit test: %d problem%s (%.*s)\n", nfindings,
				nfindings == 1 ? "" : "s", (int)strcspn(lv, "'"), lv);
	}
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, error == REGIT_ENOTFOUND);
	json_decref(findings);
	json_decref(out);
	json_decref(resp);
	regit_remote_schema_dispose(&sch);
	regit_buf_dispose(&path);
	regit_client_free(client);
	return rc;
}
