/*
 * cmd_check.c - `regit check`: is a schema change safe? For people and CI.
 *
 *   regit check [--level L] [--rules strict|avro] [--format F] NEW OLD [OLDER...]
 *   regit check [--level L] [--rules R] [--format F] --against GITREF [PATH...]
 *
 * The first form compares files (old versions newest first). The second
 * compares every .avsc under each PATH (default schemas/) in the working
 * tree with the same file at GITREF, and with its earlier versions in the
 * history reachable from GITREF for the transitive levels; a schema file
 * that exists at GITREF but was deleted is itself a finding. There,
 * regit.yaml at the repository root (cli/config.h) gives the default
 * paths and the level and rules per path glob; --level and --rules win. Findings are
 * printed like compiler diagnostics (text), as JSON, as GitHub Actions
 * annotations or as a JUnit report. Exit: 0 compatible, 1 incompatible,
 * 2 usage error or invalid schema, 3 out of memory or a bug.
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
#include "compat/compat.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/jsonpos.h"

/* Schema texts larger than this are refused before parsing. */
#define CHECK_MAX_SCHEMA ((size_t)4 << 20)
/* Old versions taken from git history for the transitive levels. */
#define CHECK_MAX_VERSIONS 10000

typedef enum check_format {
	FORMAT_TEXT = 0,
	FORMAT_JSON,
	FORMAT_GITHUB,
	FORMAT_JUNIT
} check_format;

/* One line of output: a finding, an invalid schema, a deleted file. */
typedef struct check_item {
	const char *rule;      /* static */
	char *path;            /* JSON pointer in the new schema, or NULL */
	char *version;         /* label of the old version, or NULL */
	char *message;
	char *file;            /* display name of the new file */
	char *gh_file;         /* repository-relative name for annotations */
	int line, column;      /* 0 when unknown */
	long old_index;        /* -1 when not about an old version */
	char *old_path;
	char *old_file;
	int old_line, old_column;
} check_item;

/* One checked file, for the JUnit report. */
typedef struct check_file {
	char *name;
	size_t first, count;   /* its items */
	int status;            /* REGIT_EXIT_* for this file */
} check_file;

typedef struct check_report {
	check_item *items;
	size_t nitems, aitems;
	check_file *files;
	size_t nfiles, afiles;
	int status;            /* worst exit code so far */
	int from_config;       /* regit.yaml set the level or rules of some file */
} check_report;

typedef struct check_opts {
	regit_compat_level level;
	regit_compat_rules rules;
	check_format format;
	const char *against;
	int level_set, rules_set;  /* given on the command line: wins over regit.yaml */
	char **refs;               /* --reference FILE, in order */
	size_t nrefs;
} check_opts;

/* A schema with the text it was parsed from (for line:column). */
typedef struct check_doc {
	char *text;
	size_t len;
	regit_schema *schema;
	char *display;         /* file name as shown */
	char *label;           /* how messages name this version */
} check_doc;

enum { CHECK_OPT_LEVEL = 1, CHECK_OPT_RULES, CHECK_OPT_FORMAT, CHECK_OPT_AGAINST,
	CHECK_OPT_REFERENCE };

static const regit_opt_spec check_specs[] = {
	{ REGIT_OPT_VALUE, CHECK_OPT_LEVEL, "level", 0, "L",
	  "NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD,\n"
	  "FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE\n"
	  "(default FULL_TRANSITIVE). BACKWARD: the new schema\n"
	  "reads data written with the old; FORWARD: the old\n"
	  "reads the new; FULL: both." },
	{ REGIT_OPT_VALUE, CHECK_OPT_RULES, "rules", 0, "strict|avro",
	  "strict (default): Avro resolution plus no removed\n"
	  "fields and no added fields without a default;\n"
	  "avro: Avro schema resolution only" },
	{ REGIT_OPT_VALUE, CHECK_OPT_FORMAT, "format", 0, "text|json|github|junit",
	  "text (default), json, github (Actions annotations),\n"
	  "junit (XML report)" },
	{ REGIT_OPT_VALUE, CHECK_OPT_AGAINST, "against", 0, "REF",
	  "compare with git revision REF (branch, tag, commit)" },
	{ REGIT_OPT_LIST, CHECK_OPT_REFERENCE, "reference", 0, "FILE",
	  "a schema file whose named types the checked schemas\n"
	  "use by name (Confluent schema references)" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const check_frags[] = { check_specs, NULL };

const regit_opt_cmd regit_cmd_check_opts = {
	"check", "check schema changes for compatibility (for CI)",
	"[options] NEW.avsc OLD.avsc [OLDER.avsc ...]\n[options] --against GITREF [PATH ...]",
	"Check that a new schema version may follow the old ones. Old files are\n"
	"given newest first. With --against, every .avsc file under each PATH\n"
	"(default: the paths of regit.yaml at the repository root, else\n"
	"schemas/) is compared with the same file at GITREF and, for the\n"
	"transitive levels, with its earlier versions in git history; a\n"
	"deleted schema file is an error, a new one is fine. regit.yaml's\n"
	"check section sets the level and rules per path glob, unless --level\n"
	"or --rules is given. A PATH with no .avsc file, here or at GITREF, is\n"
	"exit 2: a CI gate that checks nothing must not pass.",
	check_frags,
	"Schema references: a schema may use a named type defined in another\n"
	"file by its full name, as a registry schema does through its\n"
	"references (`regit register --reference`). The type is looked up in\n"
	"the --reference files and, with --against, in the other .avsc files\n"
	"under the PATHs (the working tree's for the new versions, GITREF's\n"
	"for the old ones); the first file in that order defining it is used.\n"
	"A name no file defines is an unknown type (exit 2). Example:\n"
	"  regit check --reference address.avsc order.avsc old/order.avsc",
	"0 compatible\n1 incompatible\n2 usage error or invalid schema\n3 internal error\n"
};

static int check_worse(int a, int b)
{
	/* internal > usage/invalid > incompatible > ok */
	return a > b ? a : b;
}

/* ---- report ------------------------------------------------------------- */

static void check_item_dispose(check_item *it)
{
	regit_free(it->path);
	regit_free(it->version);
	regit_free(it->message);
	regit_free(it->file);
	regit_free(it->gh_file);
	regit_free(it->old_path);
	regit_free(it->old_file);
}

static void check_report_dispose(check_report *r)
{
	size_t i;

	for (i = 0; i < r->nitems; i++)
		check_item_dispose(&r->items[i]);
	regit_free(r->items);
	for (i = 0; i < r->nfiles; i++)
		regit_free(r->files[i].name);
	regit_free(r->files);
	memset(r, 0, sizeof(*r));
}

static int check_dup(char **out, const char *s)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = regit_strdup(s);
	return *out ? 0 : REGIT_ENOMEM;
}

static int check_file_begin(check_report *r, const char *name)
{
	check_file *f, *grown;

	grown = regit_array_grow(r->files, &r->afiles, r->nfiles + 1, sizeof(*grown), 8);
	if (!grown)
		return REGIT_ENOMEM;
	r->files = grown;
	f = &r->files[r->nfiles];
	memset(f, 0, sizeof(*f));
	f->first = r->nitems;
	f->name = regit_strdup(name);
	if (!f->name)
		return REGIT_ENOMEM;
	r->nfiles++;
	return 0;
}

/* Append an item (fields copied) and account its status to the current file. */
static int check_add(check_report *r, const check_item *src, int status)
{
	check_item *it, *grown;
	int error = 0;

	grown = regit_array_grow(r->items, &r->aitems, r->nitems + 1, sizeof(*grown), 16);
	if (!grown)
		return REGIT_ENOMEM;
	r->items = grown;
	it = &r->items[r->nitems];
	memset(it, 0, sizeof(*it));
	r->nitems++;
	it->rule = src->rule;
	it->line = src->line;
	it->column = src->column;
	it->old_index = src->old_index;
	it->old_line = src->old_line;
	it->old_column = src->old_column;
	error = check_dup(&it->path, src->path);
	if (error == 0)
		error = check_dup(&it->version, src->version);
	if (error == 0)
		error = check_dup(&it->message, src->message);
	if (error == 0)
		error = check_dup(&it->file, src->file);
	if (error == 0)
		error = check_dup(&it->gh_file, src->gh_file ? src->gh_file : src->file);
	if (error == 0)
		error = check_dup(&it->old_path, src->old_path);
	if (error == 0)
		error = check_dup(&it->old_file, src->old_file);
	if (error < 0)
		return error;
	if (r->nfiles) {
		r->files[r->nfiles - 1].count++;
		r->files[r->nfiles - 1].status =
			check_worse(r->files[r->nfiles - 1].status, status);
	}
	r->status = check_worse(r->status, status);
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static int check_output_json(regit_buf *b, const check_report *r, const check_opts *o)
{
	size_t i;
	int error;

	error = regit_buf_printf(b, "{\"compatible\": %s, \"level\": \"%s\", \"rules\": \"%s\", \"findings\": [",
		r->status == REGIT_EXIT_OK ? "true" : "false",
		regit_compat_level_name(o->level),
		o->rules == REGIT_RULES_AVRO ? "avro" : "strict");
	for (i = 0; i < r->nitems && error == 0; i++) {
		const check_item *it = &r->items[i];

		error = regit_buf_printf(b, "%s\n  {\"rule\": \"%s\", \"path\": ", i ? "," : "", it->rule);
		if (error == 0)
			error = regit_report_put_json_str(b, it->path);
		if (error == 0)
			error = regit_buf_puts(b, ", \"version\": ");
		if (error == 0)
			error = regit_report_put_json_str(b, it->version);
		if (error == 0)
			error = regit_report_put_json_message_at(b, it->message, it->file,
				it->line, it->column);
		if (error == 0 && it->old_index >= 0)
			error = regit_buf_printf(b, ", \"old_index\": %ld", it->old_index);
		if (error == 0 && it->old_file) {
			error = regit_buf_puts(b, ", \"old_file\": ");
			if (error == 0)
				error = regit_report_put_json_str(b, it->old_file);
			if (error == 0)
				error = regit_buf_puts(b, ", \"old_path\": ");
			if (error == 0)
				error = regit_report_put_json_str(b, it->old_path);
			if (error == 0)
				error = regit_report_put_json_pos(b, "old_line", it->old_line);
			if (error == 0)
				error = regit_report_put_json_pos(b, "old_column", it->old_column);
		}
		if (error == 0)
			error = regit_buf_putc(b, '}');
	}
	if (error == 0)
		error = regit_buf_puts(b, r->nitems ? "\n]}\n" : "]}\n");
	return error;
}

static int check_output_github(regit_buf *b, const check_report *r)
{
	size_t i;
	int error = 0;

	for (i = 0; i < r->nitems && error == 0; i++) {
		const check_item *it = &r->items[i];

		error = regit_report_put_gh_annotation(b, "error", it->gh_file,
			it->line, it->column, it->rule, it->message);
	}
	return error;
}

static int check_output_text_item(regit_buf *b, const check_item *it)
{
	int error;

	if (it->line > 0)
		error = regit_buf_printf(b, "%s:%d:%d: error: [%s] %s", it->file,
			it->line, it->column, it->rule, it->message);
	else
		error = regit_buf_printf(b, "%s: error: [%s] %s", it->file, it->rule, it->message);
	return error;
}

static int check_output_junit(regit_buf *b, const check_report *r)
{
	size_t i, j, failures = 0, errors = 0;
	int error;

	for (i = 0; i < r->nfiles; i++) {
		if (r->files[i].status == REGIT_EXIT_FAIL)
			failures++;
		else if (r->files[i].status > REGIT_EXIT_FAIL)
			errors++;
	}
	error = regit_report_put_junit_begin(b, "regit check", "schema compatibility",
		r->nfiles, failures, errors);
	for (i = 0; i < r->nfiles && error == 0; i++) {
		const check_file *f = &r->files[i];
		const char *tag = f->status > REGIT_EXIT_FAIL ? "error" : "failure";

		error = regit_report_put_junit_case(b, "regit.check", f->name, !f->count);
		if (error < 0 || !f->count)
			continue;
		error = regit_report_put_junit_problem(b, tag, f->count,
			r->items[f->first].message, r->items[f->first].rule);
		for (j = f->first; j < f->first + f->count && error == 0; j++) {
			regit_buf line = REGIT_BUF_INIT;

			error = check_output_text_item(&line, &r->items[j]);
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

static int check_output(const check_report *r, const check_opts *o)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i;
	int error = 0;

	switch (o->format) {
	case FORMAT_JSON:
		error = check_output_json(&b, r, o);
		break;
	case FORMAT_GITHUB:
		error = check_output_github(&b, r);
		break;
	case FORMAT_JUNIT:
		error = check_output_junit(&b, r);
		break;
	default:
		for (i = 0; i < r->nitems && error == 0; i++) {
			error = check_output_text_item(&b, &r->items[i]);
			if (error == 0)
				error = regit_buf_putc(&b, '\n');
		}
		break;
	}
	if (error == 0 && b.size)
		fwrite(b.ptr, 1, b.size, stdout);
	fflush(stdout);
	if (error == 0 && o->format == FORMAT_TEXT) {
		size_t nf = 0;

		for (i = 0; i < r->nitems; i++)
			nf += r->items[i].old_index >= 0;
		char how[96];

		if (r->from_config)
			snprintf(how, sizeof(how), "levels and rules per regit.yaml");
		else
			snprintf(how, sizeof(how), "%s, %s rules", regit_compat_level_name(o->level),
				o->rules == REGIT_RULES_AVRO ? "avro" : "strict");
		if (r->status == REGIT_EXIT_OK)
			fprintf(stderr, "regit check: compatible (%s, %zu file%s)\n", how,
				r->nfiles, r->nfiles == 1 ? "" : "s");
		else
			fprintf(stderr, "regit check: %zu problem%s (%s)\n",
				r->nitems, r->nitems == 1 ? "" : "s", how);
	}
	regit_buf_dispose(&b);
	return error;
}

/* ---- checking ----------------------------------------------------------- */

static void check_doc_dispose(check_doc *d)
{
	regit_free(d->text);
	regit_schema_free(d->schema);
	regit_free(d->display);
	regit_free(d->label);
	memset(d, 0, sizeof(*d));
}

static void check_pos(const check_doc *d, const char *pointer, int *line, int *column)
{
	*line = 0;
	*column = 0;
	if (!d || !d->text || !pointer)
		return;
	if (regit_jsonpos_find_nearest(d->text, d->len, pointer, line, column) < 0) {
		*line = 0;
		*column = 0;
	}
}

/*
 * Parse d->text, resolving named types from other files through `set`
 * (`self`: d's own name in it, or NULL). An invalid schema becomes an
 * INVALID_SCHEMA item (exit 2) and *ok = 0; only internal failures are
 * returned as errors.
 */
void regit_cli_print_schema_warnings(const char *file, const regit_schema *schema);

static int check_doc_parse(check_doc *d, check_report *r, const char *gh_file,
	regit_schemaset *set, const char *self, int *ok)
{
	regit_schema_error err;
	regit_buf msg = REGIT_BUF_INIT;
	check_item it;
	int error;

	*ok = 0;
	memset(&err, 0, sizeof(err));
	error = regit_schemaset_parse(set, &d->schema, d->text, d->len, self, &err);
	if (error == REGIT_ENOMEM)
		return error;
	if (error == 0) {
		regit_cli_print_schema_warnings(d->display, d->schema);
		*ok = 1;
		return 0;
	}
	memset(&it, 0, sizeof(it));
	it.rule = "INVALID_SCHEMA";
	it.message = err.message[0] ? err.message : (char *)regit_error_message();
	if (err.unknown[0] && regit_buf_printf(&msg, "%s (no --reference file%s defines it)",
	    err.message, self ? " or other schema file" : "") == 0)
		it.message = msg.ptr;
	it.file = d->display;
	it.gh_file = (char *)gh_file;
	it.old_index = -1;
	it.path = err.path;
	it.line = err.line;
	it.column = err.column;
	if (it.line <= 0)
		check_pos(d, err.path, &it.line, &it.column);
	error = check_add(r, &it, REGIT_EXIT_USAGE);
	regit_buf_dispose(&msg);
	return error;
}

/*
 * A set holding the --reference files, checked: a missing or invalid one
 * is a usage error (set, REGIT_EINVALID) named as itself.
 */
static int check_set_new(regit_schemaset **out, const check_opts *o)
{
	int error;

	error = regit_schemaset_new(out);
	if (error == 0)
		error = regit_schemaset_add_references(*out, o->refs, o->nrefs, CHECK_MAX_SCHEMA);
	return error;
}

/* Read a file of the working tree into d (I/O problems are usage errors). */
static int check_doc_read(check_doc *d, const char *path, check_report *r, int *ok)
{
	regit_buf b = REGIT_BUF_INIT;
	check_item it;
	int error;

	*ok = 0;
	regit_buf_init(&b, CHECK_MAX_SCHEMA);
	error = regit_buf_read_file(&b, path);
	if (error == REGIT_ENOMEM)
		goto done;
	if (error < 0) {
		memset(&it, 0, sizeof(it));
		it.rule = "INVALID_SCHEMA";
		it.message = (char *)regit_error_message();
		it.file = (char *)path;
		it.old_index = -1;
		error = check_add(r, &it, REGIT_EXIT_USAGE);
		goto done;
	}
	d->len = b.size;
	d->text = regit_buf_detach(&b);
	if (!d->text) {
		error = REGIT_ENOMEM;
		goto done;
	}
	*ok = 1;
done:
	regit_buf_dispose(&b);
	return error;
}

/*
 * The first `quoted` name in a finding's message: the field, symbol or type
 * the finding is about. Several fields removed from one record share rule
 * and path ("/fields"), so the name is what tells their findings apart.
 */
static void check_subject_name(const char *msg, const char **start, size_t *len)
{
	const char *a = strchr(msg, '`');
	const char *b = a ? strchr(a + 1, '`') : NULL;

	*start = b ? a + 1 : "";
	*len = b ? (size_t)(b - a - 1) : 0;
}

/* Same problem seen against another old version (same rule, place, name). */
static int check_same_problem(const regit_finding *a, const regit_finding *b)
{
	const char *na, *nb;
	size_t la, lb;

	if (a->old_index == b->old_index || strcmp(a->rule, b->rule) != 0 ||
	    strcmp(a->path, b->path) != 0)
		return 0;
	check_subject_name(a->message, &na, &la);
	check_subject_name(b->message, &nb, &lb);
	return la == lb && memcmp(na, nb, la) == 0;
}

/*
 * Check docs[0] (new) against docs[1..n) and add the findings. Returns an
 * error only for internal failures; a schema pair too large to compare is
 * reported as an item (exit 2).
 */
static int check_run(check_report *r, const check_opts *o, check_doc *docs, size_t n,
	const char *gh_file)
{
	regit_compat_options copts = REGIT_COMPAT_OPTIONS_INIT;
	regit_compat_result res = REGIT_COMPAT_RESULT_INIT;
	const regit_schema **old = NULL;
	const char **labels = NULL;
	regit_buf msg = REGIT_BUF_INIT;
	check_item it;
	size_t i;
	int error = 0;

	if (n > 1) {
		old = regit_calloc(n - 1, sizeof(*old));
		labels = regit_calloc(n - 1, sizeof(*labels));
		if (!old || !labels) {
			error = REGIT_ENOMEM;
			goto done;
		}
	}
	for (i = 1; i < n; i++) {
		old[i - 1] = docs[i].schema;
		labels[i - 1] = docs[i].label;
	}
	copts.level = o->level;
	copts.rules = o->rules;
	copts.old_labels = labels;
	error = regit_compat_check_ext(docs[0].schema, old, n - 1, &copts, &res);
	if (error == REGIT_ELIMIT) {
		memset(&it, 0, sizeof(it));
		it.rule = "TOO_COMPLEX";
		it.message = (char *)regit_error_message();
		it.file = docs[0].display;
		it.gh_file = (char *)gh_file;
		it.old_index = -1;
		error = check_add(r, &it, REGIT_EXIT_USAGE);
		goto done;
	}
	if (error < 0)
		goto done;
	for (i = 0; i < res.nfindings; i++) {
		const regit_finding *f = &res.findings[i];
		const check_doc *od = f->old_index + 1 < n ? &docs[f->old_index + 1] : NULL;
		size_t k, same = 0;

		/*
		 * With a long history the same problem shows up against many old
		 * versions (a removed field existed in all of them). Report it
		 * once, against the newest, and say how many older ones agree.
		 */
		for (k = 0; k < i; k++)
			if (check_same_problem(&res.findings[k], f))
				break;
		if (k < i)
			continue;
		for (k = i + 1; k < res.nfindings; k++)
			same += check_same_problem(&res.findings[k], f);
		regit_buf_clear(&msg);
		error = regit_buf_puts(&msg, f->message);
		if (error == 0 && same)
			error = regit_buf_printf(&msg, " (and %zu older version%s)", same,
				same == 1 ? "" : "s");
		if (error < 0)
			goto done;

		memset(&it, 0, sizeof(it));
		it.rule = f->rule;
		it.path = f->path;
		it.message = msg.ptr;
		it.file = docs[0].display;
		it.gh_file = (char *)gh_file;
		it.old_index = (long)f->old_index;
		it.version = od ? od->label : NULL;
		it.old_file = od ? od->display : NULL;
		it.old_path = f->old_path;
		check_pos(&docs[0], f->path, &it.line, &it.column);
		check_pos(od, f->old_path, &it.old_line, &it.old_column);
		error = check_add(r, &it, REGIT_EXIT_FAIL);
		if (error < 0)
			goto done;
	}
	if (res.nomitted) {
		regit_buf_clear(&msg);
		error = regit_buf_printf(&msg, "%zu more findings were not listed", res.nomitted);
		if (error == 0) {
			memset(&it, 0, sizeof(it));
			it.rule = "MORE_FINDINGS";
			it.message = msg.ptr;
			it.file = docs[0].display;
			it.gh_file = (char *)gh_file;
			it.old_index = -1;
			error = check_add(r, &it, REGIT_EXIT_FAIL);
		}
	}
	if (!res.compatible)
		r->status = check_worse(r->status, REGIT_EXIT_FAIL);
done:
	regit_buf_dispose(&msg);
	regit_compat_result_dispose(&res);
	regit_free(old);
	regit_free(labels);
	return error;
}

/* `regit check NEW OLD [OLDER...]` */
static int check_files(check_report *r, const check_opts *o, char **files, size_t n)
{
	regit_schemaset *set = NULL;
	check_doc *docs = NULL;
	size_t i;
	int error = 0, ok, all_ok = 1;

	error = check_set_new(&set, o);
	if (error < 0) {
		regit_schemaset_free(set);
		return error;
	}
	docs = regit_calloc(n, sizeof(*docs));
	if (!docs) {
		regit_schemaset_free(set);
		return REGIT_ENOMEM;
	}
	error = check_file_begin(r, files[0]);
	if (error < 0)
		goto done;
	for (i = 0; i < n; i++) {
		docs[i].display = regit_strdup(files[i]);
		docs[i].label = regit_strdup(files[i]);
		if (!docs[i].display || !docs[i].label) {
			error = REGIT_ENOMEM;
			goto done;
		}
		error = check_doc_read(&docs[i], files[i], r, &ok);
		if (error < 0)
			goto done;
		if (ok) {
			error = check_doc_parse(&docs[i], r, files[i], set, NULL, &ok);
			if (error < 0)
				goto done;
		}
		all_ok &= ok;
	}
	if (all_ok)
		error = check_run(r, o, docs, n, files[0]);
done:
	for (i = 0; docs && i < n; i++)
		check_doc_dispose(&docs[i]);
	regit_free(docs);
	regit_schemaset_free(set);   /* after the schemas parsed through it */
	return error;
}

/* ---- --against ---------------------------------------------------------- */

/*
 * Normalise `base` + "/" + `rel` lexically into a repository-relative path
 * without "." or ".." components. @return 0, REGIT_EINVALID (escapes the
 * repository), REGIT_ENOMEM
 */
static int check_normalise(char **out, const char *base, const char *rel)
{
	regit_buf in = REGIT_BUF_INIT, res = REGIT_BUF_INIT;
	char *p, *seg, *save = NULL;
	int error = 0;

	*out = NULL;
	error = regit_buf_printf(&in, "%s/%s", base, rel);
	if (error < 0)
		goto done;
	for (p = in.ptr; (seg = strtok_r(p, "/", &save)) != NULL; p = NULL) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			char *slash;

			if (res.size == 0) {
				regit_error_set(REGIT_ERROR_CLI, "%s is outside the repository", rel);
				error = REGIT_EINVALID;
				goto done;
			}
			slash = strrchr(res.ptr, '/');
			res.size = slash ? (size_t)(slash - res.ptr) : 0;
			res.ptr[res.size] = '\0';
			continue;
		}
		error = regit_buf_printf(&res, "%s%s", res.size ? "/" : "", seg);
		if (error < 0)
			goto done;
	}
	*out = regit_buf_detach(&res);
	if (!*out)
		error = REGIT_ENOMEM;
done:
	regit_buf_dispose(&in);
	regit_buf_dispose(&res);
	return error;
}

static int check_is_transitive(regit_compat_level l)
{
	return l == REGIT_LEVEL_BACKWARD_TRANSITIVE || l == REGIT_LEVEL_FORWARD_TRANSITIVE ||
		l == REGIT_LEVEL_FULL_TRANSITIVE;
}

/* Check one repository path that exists in the working tree and/or at the ref. */
static int check_git_file(check_report *r, const check_opts *o, regit_gitsource *src,
	const char *workdir, const char *cwd_prefix, const char *path, int in_tree, int in_ref,
	regit_schemaset *tree_set, regit_schemaset *ref_set)
{
	regit_git_version *versions = NULL;
	check_doc *docs = NULL;
	size_t nversions = 0, ndocs = 0, i;
	regit_buf display = REGIT_BUF_INIT, full = REGIT_BUF_INIT, label = REGIT_BUF_INIT;
	check_item it;
	int error = 0, ok;

	/* Show paths relative to where the user stands when possible. */
	if (cwd_prefix[0] && strncmp(path, cwd_prefix, strlen(cwd_prefix)) == 0 &&
	    path[strlen(cwd_prefix)] == '/')
		error = regit_buf_puts(&display, path + strlen(cwd_prefix) + 1);
	else if (cwd_prefix[0])
		error = regit_buf_printf(&display, "%s%s", workdir, path);
	else
		error = regit_buf_puts(&display, path);
	if (error == 0)
		error = check_file_begin(r, display.ptr);
	if (error < 0)
		goto done;

	if (!in_tree) {
		memset(&it, 0, sizeof(it));
		it.rule = "SCHEMA_DELETED";
		error = regit_buf_printf(&label,
			"schema file was deleted; consumers still on %s read it",
			regit_gitsource_ref(src));
		if (error < 0)
			goto done;
		it.message = label.ptr;
		it.file = display.ptr;
		it.gh_file = (char *)path;
		it.old_index = 0;
		it.version = (char *)regit_gitsource_ref(src);
		error = check_add(r, &it, REGIT_EXIT_FAIL);
		goto done;
	}

	error = regit_gitsource_history(&versions, &nversions, src, path,
		!in_ref || o->level == REGIT_LEVEL_NONE ? 0 :
		check_is_transitive(o->level) ? CHECK_MAX_VERSIONS : 1);
	if (error < 0)
		goto done;
	docs = regit_calloc(nversions + 1, sizeof(*docs));
	if (!docs) {
		error = REGIT_ENOMEM;
		goto done;
	}
	ndocs = 1;
	error = regit_buf_printf(&full, "%s%s", workdir, path);
	if (error < 0)
		goto done;
	docs[0].display = regit_strdup(display.ptr);
	if (!docs[0].display) {
		error = REGIT_ENOMEM;
		goto done;
	}
	error = check_doc_read(&docs[0], full.ptr, r, &ok);
	if (error < 0 || !ok)
		goto done;
	error = check_doc_parse(&docs[0], r, path, tree_set, path, &ok);
	if (error < 0 || !ok)
		goto done;

	for (i = 0; i < nversions; i++) {
		check_doc *d = &docs[ndocs];
		regit_schema_error err;

		regit_buf_clear(&label);
		if (i == 0)
			error = regit_buf_puts(&label, regit_gitsource_ref(src));
		else
			error = regit_buf_printf(&label, "commit %.10s", versions[i].commit);
		if (error < 0)
			goto done;
		d->label = regit_strdup(label.ptr);
		regit_buf_clear(&label);
		error = regit_buf_printf(&label, "%.10s:%s", versions[i].commit, path);
		if (error < 0)
			goto done;
		d->display = regit_strdup(label.ptr);
		if (!d->label || !d->display) {
			error = REGIT_ENOMEM;
			goto done;
		}
		d->text = versions[i].text;
		d->len = versions[i].len;
		versions[i].text = NULL;
		ndocs++;
		memset(&err, 0, sizeof(err));
		/* Earlier commits resolve references with GITREF's files too:
		 * close enough for history, and one set instead of one per commit. */
		error = regit_schemaset_parse(ref_set, &d->schema, d->text, d->len, path, &err);
		if (error == REGIT_ENOMEM)
			goto done;
		if (error < 0) {
			/*
			 * An old version that never parsed cannot have been used by
			 * anyone: warn and leave it out instead of failing forever.
			 */
			fprintf(stderr, "regit check: warning: %s is not a valid schema (%s); skipped\n",
				d->display, err.message);
			ndocs--;
			check_doc_dispose(d);
			error = 0;
		}
	}
	error = check_run(r, o, docs, ndocs, path);
done:
	for (i = 0; docs && i < ndocs; i++)
		check_doc_dispose(&docs[i]);
	regit_free(docs);
	regit_gitsource_versions_free(versions, nversions);
	regit_buf_dispose(&display);
	regit_buf_dispose(&full);
	regit_buf_dispose(&label);
	return error;
}

enum { CHECK_IN_TREE = 1, CHECK_IN_REF = 2 };

/* `regit check --against REF [PATH...]` */
static int check_against(check_report *r, const check_opts *o, char **paths, size_t npaths)
{
	static char *default_paths[] = { "schemas" };
	regit_gitsource *src = NULL;
	regit_config *cfg = NULL;
	regit_schemaset *tree_set = NULL, *ref_set = NULL;
	regit_buf cfg_path = REGIT_BUF_INIT;
	regit_schemafiles all = { NULL, 0, 0, REGIT_GITSOURCE_MAX_FILES };
	unsigned char *where = NULL;   /* per path: CHECK_IN_TREE | CHECK_IN_REF */
	char cwd[PATH_MAX], wd_real[PATH_MAX];
	char *cwd_prefix = NULL, *rel = NULL, **at_ref = NULL;
	const char *workdir;
	size_t nref = 0, i, j, wdlen;
	int error = 0, from_config = 0;

	error = regit_gitsource_open(&src, ".", o->against);
	if (error < 0)
		goto done;
	workdir = regit_gitsource_workdir(src);
	if (!workdir) {
		regit_error_set(REGIT_ERROR_CLI, "the repository has no working tree");
		error = REGIT_EINVALID;
		goto done;
	}
	if (!getcwd(cwd, sizeof(cwd)) || !realpath(workdir, wd_real)) {
		regit_error_set(REGIT_ERROR_CLI, "cannot resolve the working directory: %s",
			strerror(errno));
		error = REGIT_EIO;
		goto done;
	}
	/* Where the user stands inside the working tree ("" at the top). */
	wdlen = strlen(wd_real);
	if (strncmp(cwd, wd_real, wdlen) == 0 && (cwd[wdlen] == '/' || cwd[wdlen] == '\0'))
		cwd_prefix = regit_strdup(cwd[wdlen] ? cwd + wdlen + 1 : "");
	else
		cwd_prefix = regit_strdup("");
	if (!cwd_prefix) {
		error = REGIT_ENOMEM;
		goto done;
	}

	/*
	 * regit.yaml at the repository root: its `paths` (repository-relative)
	 * when none are given, and per-path `check` levels and rules where the
	 * command line does not set them.
	 */
	error = regit_buf_printf(&cfg_path, "%s%s", workdir, REGIT_CONFIG_FILE);
	if (error == 0)
		error = regit_config_load(&cfg, cfg_path.ptr);
	if (error == REGIT_ENOTFOUND) {
		regit_error_clear();
		error = 0;
	}
	if (error < 0)
		goto done;
	if (npaths == 0 && regit_config_path_count(cfg)) {
		npaths = regit_config_path_count(cfg);
		from_config = 1;
	} else if (npaths == 0) {
		paths = default_paths;
		npaths = 1;
	}

	for (i = 0; i < npaths; i++) {
		const char *arg = from_config ? regit_config_path_at(cfg, i) : paths[i];
		size_t before = all.n;

		/* regit.yaml's paths and the default schemas/ are the repository
		 * root's, wherever the user stands in the working tree. */
		if ((from_config || paths == default_paths) && arg[0] != '/') {
			error = check_normalise(&rel, "", arg);
		} else if (arg[0] == '/') {
			/* Absolute: must lie in the working tree. */
			if (strncmp(arg, wd_real, wdlen) != 0 ||
			    (arg[wdlen] != '/' && arg[wdlen] != '\0')) {
				regit_error_set(REGIT_ERROR_CLI, "%s is outside the repository", arg);
				error = REGIT_EINVALID;
				goto done;
			}
			error = check_normalise(&rel, "", arg + wdlen);
		} else {
			error = check_normalise(&rel, cwd_prefix, arg);
		}
		if (error < 0)
			goto done;
		error = regit_schemafiles_scan(&all, workdir, rel, 0);
		if (error < 0)
			goto done;
		error = regit_gitsource_list(&at_ref, &nref, src, rel, ".avsc");
		if (error < 0)
			goto done;
		if (all.n == before && nref == 0) {
			/* A CI gate fails closed: a misspelt path checks nothing. */
			regit_buf full = REGIT_BUF_INIT;
			struct stat st;
			int exists;

			error = regit_buf_printf(&full, "%s%s", workdir, rel);
			exists = error == 0 && stat(regit_buf_cstr(&full), &st) == 0;
			regit_buf_dispose(&full);
			if (error < 0)
				goto done;
			regit_error_set(REGIT_ERROR_CLI, exists ?
				"%s: no .avsc file there, in the working tree or at %s" :
				"%s: no such file or directory, in the working tree or at %s",
				paths == default_paths ? "schemas/ (the default, at the repository root)" :
				arg, o->against);
			error = REGIT_EINVALID;
			goto done;
		}
		for (j = 0; j < nref; j++) {
			error = regit_schemafiles_take(&all, at_ref[j]);
			at_ref[j] = NULL;
			if (error < 0)
				goto done;
		}
		regit_gitsource_paths_free(at_ref, nref);
		at_ref = NULL;
		nref = 0;
		regit_free(rel);
		rel = NULL;
	}
	regit_schemafiles_sort_unique(&all);

	/*
	 * Where each file is, and the two sets references resolve from: the
	 * --reference files, then every checked file of the working tree (for
	 * the new versions) or at the ref (for the old ones), named by their
	 * repository path.
	 */
	where = regit_calloc(all.n + 1, 1);
	if (!where) {
		error = REGIT_ENOMEM;
		goto done;
	}
	error = check_set_new(&tree_set, o);
	if (error == 0)
		error = check_set_new(&ref_set, o);
	if (error < 0)
		goto done;
	for (i = 0; i < all.n; i++) {
		regit_buf full = REGIT_BUF_INIT;
		struct stat st;
		regit_git_version *probe = NULL;
		size_t nprobe = 0;

		error = regit_buf_printf(&full, "%s%s", workdir, all.v[i]);
		if (error == 0 && stat(full.ptr, &st) == 0 && S_ISREG(st.st_mode)) {
			where[i] |= CHECK_IN_TREE;
			/* named by its repository path, what check_git_file passes as self */
			error = regit_schemaset_add_file(tree_set, full.ptr, all.v[i], CHECK_MAX_SCHEMA);
			if (error < 0 && error != REGIT_ENOMEM) {
				regit_error_clear();   /* unreadable: its own check says so */
				error = 0;
			}
		}
		regit_buf_dispose(&full);
		if (error < 0)
			goto done;
		/* Present at the ref? (history with max 1 reads just that blob) */
		error = regit_gitsource_history(&probe, &nprobe, src, all.v[i], 1);
		if (error == 0 && nprobe > 0) {
			where[i] |= CHECK_IN_REF;
			error = regit_schemaset_add(ref_set, all.v[i], probe[0].text, probe[0].len);
		}
		regit_gitsource_versions_free(probe, nprobe);
		if (error < 0)
			goto done;
	}

	for (i = 0; i < all.n; i++) {
		int in_tree = (where[i] & CHECK_IN_TREE) != 0, in_ref = (where[i] & CHECK_IN_REF) != 0;
		check_opts fo;
		int explicit_cfg = 0;
		regit_compat_level level = o->level;
		regit_compat_rules rules = o->rules;

		fo = *o;
		regit_config_check_for(cfg, all.v[i], &level, &rules, &explicit_cfg);
		if (!o->level_set)
			fo.level = level;
		if (!o->rules_set)
			fo.rules = rules;
		if (explicit_cfg && (!o->level_set || !o->rules_set))
			r->from_config = 1;
		error = check_git_file(r, &fo, src, workdir, cwd_prefix, all.v[i], in_tree, in_ref,
			tree_set, ref_set);
		if (error < 0)
			goto done;
	}
done:
	regit_schemaset_free(tree_set);
	regit_schemaset_free(ref_set);
	regit_free(where);
	regit_gitsource_paths_free(at_ref, nref);
	regit_schemafiles_dispose(&all);
	regit_free(rel);
	regit_free(cwd_prefix);
	regit_gitsource_free(src);
	regit_config_free(cfg);
	regit_buf_dispose(&cfg_path);
	return error;
}

/* ---- main --------------------------------------------------------------- */


int regit_cmd_check(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt op;
	check_opts o = { REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT, FORMAT_TEXT, NULL };
	check_report r;
	char **files = NULL;
	size_t nfiles = 0;
	int error = 0, matched;
	const char *v;

	memset(&r, 0, sizeof(r));
	if (regit_opt_help_requested(&regit_cmd_check_opts, argc, argv))
		return REGIT_EXIT_OK;
	files = regit_calloc((size_t)argc + 1, sizeof(*files));
	o.refs = regit_calloc((size_t)argc + 1, sizeof(*o.refs));
	if (!files || !o.refs) {
		regit_free(files);
		regit_free(o.refs);
		fprintf(stderr, "regit check: out of memory\n");
		return REGIT_EXIT_INTERNAL;
	}
	regit_opt_parser_init(&p, &regit_cmd_check_opts, argc, argv);
	for (;;) {
		matched = regit_opt_next(&op, &p);
		if (matched < 0) {
			r.status = REGIT_EXIT_USAGE;
			goto done;
		}
		if (matched == 0)
			break;
		v = op.value;
		if (!op.spec) {
			files[nfiles++] = (char *)v;
			continue;
		}
		if (op.spec->id == CHECK_OPT_LEVEL) {
			o.level_set = 1;
			if (regit_compat_level_parse(v, &o.level) < 0) {
				regit_opt_usage_error(&regit_cmd_check_opts, "%s", regit_error_message());
				goto usage;
			}
			continue;
		}
		if (op.spec->id == CHECK_OPT_RULES) {
			o.rules_set = 1;
			if (v && strcmp(v, "strict") == 0)
				o.rules = REGIT_RULES_STRICT;
			else if (v && strcmp(v, "avro") == 0)
				o.rules = REGIT_RULES_AVRO;
			else {
				regit_opt_usage_error(&regit_cmd_check_opts, "--rules must be strict or avro");
				goto usage;
			}
			continue;
		}
		if (op.spec->id == CHECK_OPT_FORMAT) {
			if (v && strcmp(v, "text") == 0)
				o.format = FORMAT_TEXT;
			else if (v && strcmp(v, "json") == 0)
				o.format = FORMAT_JSON;
			else if (v && strcmp(v, "github") == 0)
				o.format = FORMAT_GITHUB;
			else if (v && strcmp(v, "junit") == 0)
				o.format = FORMAT_JUNIT;
			else {
				regit_opt_usage_error(&regit_cmd_check_opts, "--format must be text, json, github or junit");
				goto usage;
			}
			continue;
		}
		if (op.spec->id == CHECK_OPT_REFERENCE) {
			if (!v[0]) {
				regit_opt_usage_error(&regit_cmd_check_opts, "--reference needs a file");
				goto usage;
			}
			o.refs[o.nrefs++] = (char *)v;
			continue;
		}
		{
			if (!v[0]) {
				regit_opt_usage_error(&regit_cmd_check_opts, "--against needs a git revision");
				goto usage;
			}
			o.against = v;
		}
	}

	if (o.against) {
		error = check_against(&r, &o, files, nfiles);
	} else {
		if (nfiles < 2) {
			regit_opt_usage_error(&regit_cmd_check_opts, "need a new schema and at least one old one");
			goto usage;
		}
		error = check_files(&r, &o, files, nfiles);
	}
	if (error < 0) {
		fprintf(stderr, "regit check: %s\n", regit_error_message());
		r.status = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL : REGIT_EXIT_USAGE;
		goto done;
	}
	if (check_output(&r, &o) < 0) {
		fprintf(stderr, "regit check: %s\n", regit_error_message());
		r.status = REGIT_EXIT_INTERNAL;
	}
	goto done;
usage:
	r.status = REGIT_EXIT_USAGE;
done:
	error = r.status;
	check_report_dispose(&r);
	regit_free(files);
	regit_free(o.refs);
	return error;
}
