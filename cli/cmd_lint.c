/*
 * cmd_lint.c - `regit lint`: are these events designed to be consumed?
 *
 *   regit lint [--config FILE] [--format F] [PATH...]
 *   regit lint --list-rules [--format text|json]
 *   regit lint --init [--config FILE]
 *
 * Lints every .avsc file under each PATH (default: the `paths` of
 * regit.yaml at the repository root, else schemas/ there) with the rules
 * of compat/lint.h, as configured by regit.yaml (cli/config.h). Output
 * follows `regit check`: compiler-style text, JSON, GitHub annotations,
 * JUnit XML, plus SARIF for code-scanning tools. Exit: 0 clean (warnings
 * allowed), 1 findings of severity error, 2 usage, a missing path, nothing
 * to lint, an invalid schema or config, 3 out of memory or a bug.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/config.h"
#include "cli/gitsource.h"
#include "cli/report.h"
#include "cli/schemafiles.h"
#include "cli/schemaset.h"
#include "compat/lint.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/jsonpos.h"

/* Schema texts larger than this are refused before parsing (as check). */
#define LINT_MAX_SCHEMA ((size_t)4 << 20)
/* Files linted per run (the depth scanned is schemafiles.h's). */
#define LINT_MAX_FILES 10000

typedef enum lint_format {
	FORMAT_TEXT = 0,
	FORMAT_JSON,
	FORMAT_GITHUB,
	FORMAT_JUNIT,
	FORMAT_SARIF
} lint_format;

static const char *const lint_format_names[] = { "text", "json", "github", "junit", "sarif" };

/* One finding, or an unreadable / invalid schema (severity ERROR, status 2). */
typedef struct lint_item {
	const char *rule;              /* static */
	regit_lint_severity severity;
	char *path;                    /* JSON pointer, or NULL */
	char *message;
	int line, column;              /* 0 when unknown */
} lint_item;

typedef struct lint_file {
	char *display;                 /* as shown: relative to the current directory */
	char *rel;                     /* repository-relative (ignore globs, SARIF) */
	size_t first, count;           /* its items */
	size_t nerrors, nwarnings;
	int invalid;                   /* unreadable or not a schema */
} lint_file;

typedef struct lint_report {
	lint_item *items;
	size_t nitems, aitems;
	lint_file *files;
	size_t nfiles, afiles;
	size_t nerrors, nwarnings, ninvalid, nomitted;
} lint_report;

enum { LINT_OPT_CONFIG = 1, LINT_OPT_FORMAT, LINT_OPT_LIST_RULES, LINT_OPT_INIT,
	LINT_OPT_REFERENCE };

static const regit_opt_spec lint_specs[] = {
	{ REGIT_OPT_VALUE, LINT_OPT_CONFIG, "config", 0, "FILE",
	  "settings (default: regit.yaml at the repository root,\n"
	  "when present)" },
	{ REGIT_OPT_VALUE, LINT_OPT_FORMAT, "format", 0, "text|json|github|junit|sarif",
	  "text (default), json, github (Actions annotations),\n"
	  "junit (XML report), sarif (SARIF 2.1.0)" },
	{ REGIT_OPT_FLAG, LINT_OPT_LIST_RULES, "list-rules", 0, NULL,
	  "print every rule: id, category, default severity,\n"
	  "explanation" },
	{ REGIT_OPT_FLAG, LINT_OPT_INIT, "init", 0, NULL,
	  "write a commented default regit.yaml (never overwrites)" },
	{ REGIT_OPT_LIST, LINT_OPT_REFERENCE, "reference", 0, "FILE",
	  "a schema file whose named types the linted schemas\n"
	  "use by name (Confluent schema references)" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const lint_frags[] = { lint_specs, NULL };

const regit_opt_cmd regit_cmd_lint_opts = {
	"lint", "check event schemas against event-design rules (regit.yaml)",
	"[--config FILE] [--format F] [--reference FILE ...] [PATH ...]\n"
	"--list-rules [--format text|json]\n"
	"--init [--config FILE]",
	"Check event schemas for what consumers need: event id, correlation id,\n"
	"schema version, event time, partition key, enum and nullable defaults,\n"
	"naming, docs, misspelt attributes. Every .avsc file under each PATH is\n"
	"linted (default: the `paths` of regit.yaml at the repository root, else\n"
	"schemas/ there).",
	lint_frags,
	"Schema references: a schema may use a named type defined in another\n"
	"file by its full name, as a registry schema does through its\n"
	"references. The type is looked up in the --reference files, then in\n"
	"the other linted files (the first one defining it is used); a name no\n"
	"file defines is an invalid schema (exit 2). A referenced type is\n"
	"linted in the file that defines it, not where it is used. Example:\n"
	"  regit lint --reference common/address.avsc events/order.avsc",
	"0 no errors (warnings allowed)\n1 findings of severity error\n"
	"2 usage error, missing path, nothing to lint, invalid schema or config\n"
	"3 internal error\n"
};

/* ---- report ------------------------------------------------------------- */

static void lint_report_dispose(lint_report *r)
{
	size_t i;

	for (i = 0; i < r->nitems; i++) {
		regit_free(r->items[i].path);
		regit_free(r->items[i].message);
	}
	regit_free(r->items);
	for (i = 0; i < r->nfiles; i++) {
		regit_free(r->files[i].display);
		regit_free(r->files[i].rel);
	}
	regit_free(r->files);
	memset(r, 0, sizeof(*r));
}

static int lint_file_begin(lint_report *r, const char *display, const char *rel)
{
	lint_file *f, *grown;

	grown = regit_array_grow(r->files, &r->afiles, r->nfiles + 1, sizeof(*grown), 16);
	if (!grown)
		return REGIT_ENOMEM;
	r->files = grown;
	f = &r->files[r->nfiles++];
	memset(f, 0, sizeof(*f));
	f->first = r->nitems;
	f->display = regit_strdup(display);
	f->rel = regit_strdup(rel);
	return f->display && f->rel ? 0 : REGIT_ENOMEM;
}

/* Append an item to the current file (strings copied). */
static int lint_add(lint_report *r, const char *rule, regit_lint_severity sev,
	const char *path, const char *message, int line, int column, int invalid)
{
	lint_file *f = &r->files[r->nfiles - 1];
	lint_item *it, *grown;

	grown = regit_array_grow(r->items, &r->aitems, r->nitems + 1, sizeof(*grown), 32);
	if (!grown)
		return REGIT_ENOMEM;
	r->items = grown;
	it = &r->items[r->nitems++];
	memset(it, 0, sizeof(*it));
	it->rule = rule;
	it->severity = sev;
	it->line = line;
	it->column = column;
	f->count++;
	if (invalid) {
		f->invalid = 1;
		r->ninvalid++;
	}
	if (sev == REGIT_LINT_ERROR) {
		f->nerrors++;
		r->nerrors++;
	} else {
		f->nwarnings++;
		r->nwarnings++;
	}
	it->path = path ? regit_strdup(path) : NULL;
	it->message = regit_strdup(message);
	if ((path && !it->path) || !it->message)
		return REGIT_ENOMEM;
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static const char *lint_sev_name(regit_lint_severity s)
{
	return s == REGIT_LINT_ERROR ? "error" : s == REGIT_LINT_WARNING ? "warning" : "off";
}

static int lint_text_item(regit_buf *b, const lint_file *f, const lint_item *it)
{
	if (it->line > 0)
		return regit_buf_printf(b, "%s:%d:%d: %s: [%s] %s", f->display, it->line,
			it->column, lint_sev_name(it->severity), it->rule, it->message);
	return regit_buf_printf(b, "%s: %s: [%s] %s", f->display, lint_sev_name(it->severity),
		it->rule, it->message);
}

static int lint_output_json(regit_buf *b, const lint_report *r)
{
	size_t i, j, n = 0;
	int error;

	error = regit_buf_printf(b, "{\"ok\": %s, \"errors\": %zu, \"warnings\": %zu, "
		"\"files\": %zu, \"findings\": [",
		r->nerrors || r->ninvalid ? "false" : "true", r->nerrors, r->nwarnings, r->nfiles);
	for (i = 0; i < r->nfiles && error == 0; i++) {
		const lint_file *f = &r->files[i];

		for (j = f->first; j < f->first + f->count && error == 0; j++) {
			const lint_item *it = &r->items[j];

			error = regit_buf_printf(b, "%s\n  {\"rule\": \"%s\", \"severity\": \"%s\", \"path\": ",
				n++ ? "," : "", it->rule, lint_sev_name(it->severity));
			if (error == 0)
				error = regit_report_put_json_str(b, it->path);
			if (error == 0)
				error = regit_report_put_json_message_at(b, it->message, f->display,
					it->line, it->column);
			if (error == 0)
				error = regit_buf_putc(b, '}');
		}
	}
	if (error == 0)
		error = regit_buf_puts(b, n ? "\n]}\n" : "]}\n");
	return error;
}

static int lint_output_github(regit_buf *b, const lint_report *r)
{
	size_t i, j;
	int error = 0;

	for (i = 0; i < r->nfiles && error == 0; i++) {
		const lint_file *f = &r->files[i];

		for (j = f->first; j < f->first + f->count && error == 0; j++) {
			const lint_item *it = &r->items[j];

			error = regit_report_put_gh_annotation(b, lint_sev_name(it->severity), f->rel,
				it->line, it->column, it->rule, it->message);
		}
	}
	return error;
}

static int lint_output_junit(regit_buf *b, const lint_report *r)
{
	size_t i, j, failures = 0, errors = 0;
	int error;

	for (i = 0; i < r->nfiles; i++) {
		if (r->files[i].invalid)
			errors++;
		else if (r->files[i].nerrors)
			failures++;
	}
	error = regit_report_put_junit_begin(b, "regit lint", "event schema lint",
		r->nfiles, failures, errors);
	for (i = 0; i < r->nfiles && error == 0; i++) {
		const lint_file *f = &r->files[i];
		const char *tag = f->invalid ? "error" : f->nerrors ? "failure" : "system-out";

		error = regit_report_put_junit_case(b, "regit.lint", f->display, !f->count);
		if (error < 0 || !f->count)
			continue;
		if (strcmp(tag, "system-out") == 0)
			error = regit_buf_puts(b, "      <system-out>");
		else
			error = regit_report_put_junit_problem(b, tag, f->nerrors,
				r->items[f->first].message, r->items[f->first].rule);
		for (j = f->first; j < f->first + f->count && error == 0; j++) {
			regit_buf line = REGIT_BUF_INIT;

			error = lint_text_item(&line, f, &r->items[j]);
			if (error == 0)
				error = regit_report_put_junit_line(b, line.ptr);
			regit_buf_dispose(&line);
		}
		if (error == 0)
			error = regit_report_put_junit_case_end(b, tag);
	}
	if (error == 0)
		error = regit_report_put_junit_end(b);
	return error;
}

/* SARIF 2.1.0: the rule table as the tool's rules, one result per item. */
static int lint_output_sarif(regit_buf *b, const lint_report *r)
{
	size_t i, j, n = 0, count = regit_lint_rule_count();
	int error;

	error = regit_buf_puts(b, "{\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", "
		"\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"regit lint\", "
		"\"informationUri\": \"https://github.com/regit/regit/blob/main/docs/designing-events.md\", "
		"\"rules\": [");
	for (i = 0; i < count && error == 0; i++) {
		const regit_lint_rule *rule = regit_lint_rule_at(i);

		error = regit_buf_printf(b, "%s\n  {\"id\": \"%s\", \"shortDescription\": {\"text\": ",
			i ? "," : "", rule->id);
		if (error == 0)
			error = regit_report_put_json_str(b, rule->summary);
		if (error == 0)
			error = regit_buf_puts(b, "}, \"fullDescription\": {\"text\": ");
		if (error == 0)
			error = regit_report_put_json_str(b, rule->explanation);
		if (error == 0)
			error = regit_buf_printf(b, "}, \"defaultConfiguration\": {\"level\": \"%s\"}, "
				"\"properties\": {\"category\": \"%s\"}}",
				rule->severity == REGIT_LINT_OFF ? "none" : lint_sev_name(rule->severity),
				rule->category);
	}
	if (error == 0)
		error = regit_buf_puts(b, "]}}, \"results\": [");
	for (i = 0; i < r->nfiles && error == 0; i++) {
		const lint_file *f = &r->files[i];

		for (j = f->first; j < f->first + f->count && error == 0; j++) {
			const lint_item *it = &r->items[j];
			int idx = regit_lint_rule_find(it->rule);

			error = regit_buf_printf(b, "%s\n  {\"ruleId\": \"%s\", ", n++ ? "," : "", it->rule);
			if (error == 0 && idx >= 0)
				error = regit_buf_printf(b, "\"ruleIndex\": %d, ", idx);
			if (error == 0)
				error = regit_buf_printf(b, "\"level\": \"%s\", \"message\": {\"text\": ",
					lint_sev_name(it->severity));
			if (error == 0)
				error = regit_report_put_json_str(b, it->message);
			if (error == 0)
				error = regit_buf_puts(b, "}, \"locations\": [{\"physicalLocation\": "
					"{\"artifactLocation\": {\"uri\": ");
			if (error == 0)
				error = regit_report_put_json_str(b, f->rel);
			if (error == 0)
				error = regit_buf_putc(b, '}');
			if (error == 0 && it->line > 0)
				error = regit_buf_printf(b, ", \"region\": {\"startLine\": %d, \"startColumn\": %d}",
					it->line, it->column);
			if (error == 0)
				error = regit_buf_putc(b, '}');
			if (error == 0 && it->path) {
				error = regit_buf_puts(b, ", \"logicalLocations\": [{\"fullyQualifiedName\": ");
				if (error == 0)
					error = regit_report_put_json_str(b, it->path);
				if (error == 0)
					error = regit_buf_puts(b, "}]");
			}
			if (error == 0)
				error = regit_buf_puts(b, "}]}");
		}
	}
	if (error == 0)
		error = regit_buf_puts(b, n ? "\n]}]}\n" : "]}]}\n");
	return error;
}

static int lint_output(const lint_report *r, lint_format format)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i, j;
	int error = 0;

	switch (format) {
	case FORMAT_JSON:
		error = lint_output_json(&b, r);
		break;
	case FORMAT_GITHUB:
		error = lint_output_github(&b, r);
		break;
	case FORMAT_JUNIT:
		error = lint_output_junit(&b, r);
		break;
	case FORMAT_SARIF:
		error = lint_output_sarif(&b, r);
		break;
	default:
		for (i = 0; i < r->nfiles && error == 0; i++) {
			const lint_file *f = &r->files[i];

			for (j = f->first; j < f->first + f->count && error == 0; j++) {
				error = lint_text_item(&b, f, &r->items[j]);
				if (error == 0)
					error = regit_buf_putc(&b, '\n');
			}
		}
		break;
	}
	if (error == 0 && b.size)
		fwrite(b.ptr, 1, b.size, stdout);
	fflush(stdout);
	if (error == 0 && format == FORMAT_TEXT) {
		if (r->nomitted)
			fprintf(stderr, "regit lint: %zu more findings were not listed\n", r->nomitted);
		if (r->nerrors == 0 && r->nwarnings == 0)
			fprintf(stderr, "regit lint: clean (%zu file%s)\n", r->nfiles,
				r->nfiles == 1 ? "" : "s");
		else
			fprintf(stderr, "regit lint: %zu error%s, %zu warning%s (%zu file%s)\n",
				r->nerrors, r->nerrors == 1 ? "" : "s",
				r->nwarnings, r->nwarnings == 1 ? "" : "s",
				r->nfiles, r->nfiles == 1 ? "" : "s");
	}
	regit_buf_dispose(&b);
	return error;
}

/* ---- --list-rules ------------------------------------------------------- */

/* Append `text` wrapped at 76 columns, each line indented by `indent`. */
static int lint_wrap(regit_buf *b, const char *text, const char *indent)
{
	const char *p = text;
	int error = 0;

	while (*p && error == 0) {
		size_t take = strlen(p), cut;

		if (take > 72) {
			for (cut = 72; cut > 0 && p[cut] != ' '; cut--)
				;
			take = cut ? cut : 72;
		}
		error = regit_buf_printf(b, "%s%.*s\n", indent, (int)take, p);
		p += take;
		while (*p == ' ')
			p++;
	}
	return error;
}

static int lint_list_rules(lint_format format)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i, count = regit_lint_rule_count();
	int error = 0;

	if (format == FORMAT_JSON)
		error = regit_buf_putc(&b, '[');
	for (i = 0; i < count && error == 0; i++) {
		const regit_lint_rule *rule = regit_lint_rule_at(i);

		if (format == FORMAT_JSON) {
			error = regit_buf_printf(&b, "%s\n  {\"id\": \"%s\", \"category\": \"%s\", "
				"\"severity\": \"%s\", \"summary\": ", i ? "," : "", rule->id,
				rule->category, lint_sev_name(rule->severity));
			if (error == 0)
				error = regit_report_put_json_str(&b, rule->summary);
			if (error == 0)
				error = regit_buf_puts(&b, ", \"explanation\": ");
			if (error == 0)
				error = regit_report_put_json_str(&b, rule->explanation);
			if (error == 0)
				error = regit_buf_putc(&b, '}');
			continue;
		}
		error = regit_buf_printf(&b, "%s%-20s %-14s %-8s %s\n", i ? "\n" : "", rule->id,
			rule->category, lint_sev_name(rule->severity), rule->summary);
		if (error == 0)
			error = lint_wrap(&b, rule->explanation, "    ");
	}
	if (error == 0 && format == FORMAT_JSON)
		error = regit_buf_puts(&b, "\n]\n");
	if (error == 0)
		fwrite(b.ptr, 1, b.size, stdout);
	regit_buf_dispose(&b);
	return error;
}

/* ---- files -------------------------------------------------------------- */

/* `s` without `prefix` + '/' when it starts so, else s. */
static const char *lint_strip(const char *s, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;

	if (n && strncmp(s, prefix, n) == 0) {
		if (prefix[n - 1] == '/')
			return s + n;
		if (s[n] == '/')
			return s + n + 1;
	}
	return s;
}

/* Lint one file into the report. Only internal failures are returned. */
static int lint_one(lint_report *r, const char *file, const char *cwd, const char *root,
	const regit_config *cfg, const regit_lint_options *opts, regit_schemaset *set)
{
	regit_buf text = REGIT_BUF_INIT;
	regit_schema *schema = NULL;
	regit_schema_error err;
	regit_lint_result res = REGIT_LINT_RESULT_INIT;
	char real[PATH_MAX];
	const char *display = file, *rel = file;
	size_t i;
	int error = 0, line, column;

	if (realpath(file, real)) {
		if (cwd && lint_strip(real, cwd) != real)
			display = lint_strip(real, cwd);
		if (root && lint_strip(real, root) != real)
			rel = lint_strip(real, root);
	}
	error = lint_file_begin(r, display, rel);
	if (error < 0)
		goto done;
	regit_buf_init(&text, LINT_MAX_SCHEMA);
	error = regit_buf_read_file(&text, file);
	if (error == REGIT_ENOMEM)
		goto done;
	if (error < 0) {
		error = lint_add(r, "INVALID_SCHEMA", REGIT_LINT_ERROR, NULL, regit_error_message(),
			0, 0, 1);
		goto done;
	}
	memset(&err, 0, sizeof(err));
	error = regit_schemaset_parse(set, &schema, text.ptr ? text.ptr : "", text.size, file,
		&err);
	if (error == REGIT_ENOMEM)
		goto done;
	if (error < 0) {
		line = err.line;
		column = err.column;
		if (line <= 0 && regit_jsonpos_find_nearest(text.ptr, text.size, err.path,
		    &line, &column) < 0)
			line = column = 0;
		regit_buf_clear(&text);   /* the text is done with: hold the message */
		if (err.unknown[0] && regit_buf_printf(&text,
		    "%s (no --reference file or other linted file defines it)", err.message) < 0) {
			error = REGIT_ENOMEM;
			goto done;
		}
		error = lint_add(r, "INVALID_SCHEMA", REGIT_LINT_ERROR, err.path,
			err.unknown[0] ? text.ptr : err.message[0] ? err.message :
			regit_error_message(), line, column, 1);
		goto done;
	}
	error = regit_lint_schema(schema, opts, &res);
	if (error == REGIT_ELIMIT) {
		error = lint_add(r, "TOO_COMPLEX", REGIT_LINT_ERROR, NULL, regit_error_message(),
			0, 0, 1);
		goto done;
	}
	if (error < 0)
		goto done;
	r->nomitted += res.nomitted;
	for (i = 0; i < res.nfindings; i++) {
		const regit_lint_finding *f = &res.findings[i];

		if (regit_config_lint_ignored(cfg, f->rule, rel))
			continue;
		if (regit_jsonpos_find_nearest(text.ptr, text.size, f->path, &line, &column) < 0)
			line = column = 0;
		error = lint_add(r, f->rule, f->severity, f->path, f->message, line, column, 0);
		if (error < 0)
			goto done;
	}
done:
	regit_lint_result_dispose(&res);
	regit_schema_free(schema);
	regit_buf_dispose(&text);
	return error;
}

/*
 * The set references resolve from: the --reference files (a missing or
 * invalid one is a usage error, set), then every file to lint, named by
 * the path lint_one gets.
 */
static int lint_set_new(regit_schemaset **out, char **refs, size_t nrefs,
	char *const *files, size_t nfiles)
{
	size_t i;
	int error;

	error = regit_schemaset_new(out);
	if (error == 0)
		error = regit_schemaset_add_references(*out, refs, nrefs, LINT_MAX_SCHEMA);
	for (i = 0; error == 0 && i < nfiles; i++) {
		error = regit_schemaset_add_file(*out, files[i], NULL, LINT_MAX_SCHEMA);
		if (error < 0 && error != REGIT_ENOMEM) {
			regit_error_clear();   /* unreadable: lint_one reports it */
			error = 0;
		}
	}
	return error;
}

/* ---- main --------------------------------------------------------------- */


/* `--init`: write the default regit.yaml at `root` (or `config_path`), never over a file. */
static int lint_init(const char *root, const char *config_path)
{
	regit_buf path = REGIT_BUF_INIT;
	struct stat st;
	FILE *f;
	int status = REGIT_EXIT_OK;
	int error;

	if (config_path)
		error = regit_buf_puts(&path, config_path);
	else
		error = regit_buf_printf(&path, "%s/%s", root, REGIT_CONFIG_FILE);
	if (error < 0) {
		regit_buf_dispose(&path);
		return REGIT_EXIT_INTERNAL;
	}
	if (stat(path.ptr, &st) == 0) {
		fprintf(stderr, "regit lint: %s exists; not overwritten\n", path.ptr);
		status = REGIT_EXIT_USAGE;
		goto done;
	}
	f = fopen(path.ptr, "wx");
	if (f) {
		error = fputs(regit_config_default_text(), f) < 0;
		error |= fclose(f) != 0;
	}
	if (!f || error) {
		fprintf(stderr, "regit lint: %s: %s\n", path.ptr, strerror(errno));
		status = REGIT_EXIT_USAGE;
		goto done;
	}
	fprintf(stderr, "regit lint: wrote %s\n", path.ptr);
done:
	regit_buf_dispose(&path);
	return status;
}

int regit_cmd_lint(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	lint_format format = FORMAT_TEXT;
	lint_report r;
	regit_schemafiles files = { NULL, 0, 0, LINT_MAX_FILES };
	regit_config *cfg = NULL;
	regit_lint_options opts;
	regit_schemaset *set = NULL;
	regit_buf tmp = REGIT_BUF_INIT;
	const char *config_path = NULL, *v;
	char **args = NULL, **refs = NULL;
	char *root = NULL;
	char cwd[PATH_MAX], root_real[PATH_MAX];
	size_t nargs = 0, nrefs = 0, k;
	int matched, error = 0, status = REGIT_EXIT_OK, list_rules = 0, init = 0;
	int have_cwd;

	memset(&r, 0, sizeof(r));
	if (regit_opt_help_requested(&regit_cmd_lint_opts, argc, argv))
		return REGIT_EXIT_OK;
	args = regit_calloc((size_t)argc + 1, sizeof(*args));
	refs = regit_calloc((size_t)argc + 1, sizeof(*refs));
	if (!args || !refs) {
		regit_free(args);
		regit_free(refs);
		fprintf(stderr, "regit lint: out of memory\n");
		return REGIT_EXIT_INTERNAL;
	}
	regit_opt_parser_init(&p, &regit_cmd_lint_opts, argc, argv);
	for (;;) {
		matched = regit_opt_next(&o, &p);
		if (matched < 0) {
			status = REGIT_EXIT_USAGE;
			goto done;
		}
		if (matched == 0)
			break;
		v = o.value;
		if (!o.spec) {
			args[nargs++] = (char *)v;
			continue;
		}
		if (o.spec->id == LINT_OPT_LIST_RULES) {
			list_rules = 1;
			continue;
		}
		if (o.spec->id == LINT_OPT_INIT) {
			init = 1;
			continue;
		}
		if (o.spec->id == LINT_OPT_REFERENCE) {
			if (!v[0]) {
				regit_opt_usage_error(&regit_cmd_lint_opts, "--reference needs a file");
				goto usage;
			}
			refs[nrefs++] = (char *)v;
			continue;
		}
		if (o.spec->id == LINT_OPT_CONFIG) {
			if (!v[0]) {
				regit_opt_usage_error(&regit_cmd_lint_opts, "--config needs a file");
				goto usage;
			}
			config_path = v;
			continue;
		}
		{
			size_t f;

			for (f = 0; v && f < sizeof(lint_format_names) / sizeof(lint_format_names[0]); f++)
				if (strcmp(v, lint_format_names[f]) == 0)
					break;
			if (!v || f == sizeof(lint_format_names) / sizeof(lint_format_names[0])) {
				regit_opt_usage_error(&regit_cmd_lint_opts, "--format must be text, json, github, junit or sarif");
				goto usage;
			}
			format = (lint_format)f;
		}
	}

	if (list_rules) {
		if (init || nargs || (format != FORMAT_TEXT && format != FORMAT_JSON)) {
			regit_opt_usage_error(&regit_cmd_lint_opts, "--list-rules takes only --format text|json");
			goto usage;
		}
		status = lint_list_rules(format) < 0 ? REGIT_EXIT_INTERNAL : REGIT_EXIT_OK;
		goto done;
	}

	have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
	/* The repository root, when there is one; else the current directory. */
	error = regit_gitsource_find_workdir(&root, ".");
	if (error == REGIT_ENOMEM)
		goto fail;
	if (error < 0) {
		regit_error_clear();
		root = regit_strdup(have_cwd ? cwd : ".");
		if (!root) {
			error = REGIT_ENOMEM;
			goto fail;
		}
	}
	if (realpath(root, root_real)) {
		regit_free(root);
		root = regit_strdup(root_real);
		if (!root) {
			error = REGIT_ENOMEM;
			goto fail;
		}
	}

	if (init) {
		if (nargs) {
			regit_opt_usage_error(&regit_cmd_lint_opts, "--init takes no paths");
			goto usage;
		}
		status = lint_init(root, config_path);
		goto done;
	}

	if (config_path) {
		error = regit_config_load(&cfg, config_path);
	} else {
		error = regit_buf_printf(&tmp, "%s/%s", root, REGIT_CONFIG_FILE);
		if (error == 0)
			error = regit_config_load(&cfg, tmp.ptr);
		if (error == REGIT_ENOTFOUND) {
			regit_error_clear();
			error = 0;
		}
	}
	if (error < 0)
		goto fail;
	regit_config_lint_options(cfg, &opts);

	if (nargs) {
		for (k = 0; k < nargs && error == 0; k++)
			error = regit_schemafiles_scan(&files, "", args[k],
				REGIT_SCHEMAFILES_EXPLICIT);
	} else if (regit_config_path_count(cfg)) {
		for (k = 0; k < regit_config_path_count(cfg) && error == 0; k++) {
			const char *p = regit_config_path_at(cfg, k);

			regit_buf_clear(&tmp);
			error = p[0] == '/' ? regit_buf_puts(&tmp, p) :
				regit_buf_printf(&tmp, "%s/%s", root, p);
			if (error == 0)
				error = regit_schemafiles_scan(&files, "", tmp.ptr,
					REGIT_SCHEMAFILES_EXPLICIT);
		}
	} else {
		regit_buf_clear(&tmp);
		error = regit_buf_printf(&tmp, "%s/schemas", root);
		if (error == 0)
			error = regit_schemafiles_scan(&files, "", tmp.ptr, REGIT_SCHEMAFILES_EXPLICIT);
	}
	if (error < 0)
		goto fail;
	if (files.n == 0) {
		fprintf(stderr, "regit lint: no .avsc files to lint\n");
		status = REGIT_EXIT_USAGE;
		goto done;
	}
	regit_schemafiles_sort_unique(&files);
	error = lint_set_new(&set, refs, nrefs, files.v, files.n);
	if (error < 0)
		goto fail;
	for (k = 0; k < files.n && error == 0; k++)
		error = lint_one(&r, files.v[k], have_cwd ? cwd : NULL, root, cfg, &opts, set);
	if (error < 0)
		goto fail;
	if (lint_output(&r, format) < 0) {
		error = REGIT_ENOMEM;
		goto fail;
	}
	status = r.ninvalid ? REGIT_EXIT_USAGE : r.nerrors ? REGIT_EXIT_FAIL : REGIT_EXIT_OK;
	goto done;
fail:
	fprintf(stderr, "regit lint: %s\n", regit_error_message());
	status = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL : REGIT_EXIT_USAGE;
	goto done;
usage:
	status = REGIT_EXIT_USAGE;
done:
	lint_report_dispose(&r);
	regit_schemaset_free(set);   /* the schemas parsed through it are freed by lint_one */
	regit_schemafiles_dispose(&files);
	regit_config_free(cfg);
	regit_buf_dispose(&tmp);
	regit_free(root);
	regit_free(args);
	regit_free(refs);
	return status;
}
