/*
 * cmd_export.c - `regit export DIR`: a registry's content as plain files.
 *
 * Reads the registry through its REST API (snapshot.c: any
 * Confluent-compatible registry, a `regit serve` included; for a regit
 * store on disk, serve it or read it with git) and writes
 *
 *   DIR/manifest.json                 everything the schema texts do not say
 *   DIR/subjects/<enc>/v<N>.avsc      each version's schema, pretty-printed
 *
 * <enc> is the subject encoded as in a regit store (registry/layout.h:
 * [A-Za-z0-9_.-] kept, every other byte %XX), so any subject name is one
 * safe directory name. The manifest:
 *
 *   {"format": 1, "source": URL (password redacted), "subject_prefix": P?,
 *    "config": {...}?, "mode": M?,
 *    "subjects": [{"subject", "dir", "config"?, "mode"?, "dependency"?,
 *                  "versions": [{"version", "id", "deleted", "schemaType"?,
 *                                "references"?, "metadata"?, "ruleSet"?,
 *                                "file", "schema"}]}]}
 *
 * config and mode appear where the registry has them (global ones only
 * without a prefix); "dependency": true marks a subject outside the prefix
 * exported because a schema references it; "schema" is the registry's own
 * text, so that `regit import --from DIR` registers exactly what was
 * exported (the .avsc files are for people and diffs). DIR must not exist
 * or be empty, so an export never mixes with older files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "cli/snapshot.h"
#include "compat/schema.h"
#include "registry/layout.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

enum { EXPORT_OPT_SUBJECT_PREFIX = 1 };

static const regit_opt_spec export_specs[] = {
	{ REGIT_OPT_VALUE, EXPORT_OPT_SUBJECT_PREFIX, "subject-prefix", 0, "P",
	  "only subjects starting with P, plus the subjects\n"
	  "their schemas reference" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const export_frags[] = {
	export_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_export_opts = {
	"export", "write a registry's content as plain files (schemas + manifest)",
	"DIR [options]",
	"Write a registry's content as plain files: DIR/subjects/<subject>/v<N>.avsc\n"
	"for every version (soft-deleted ones too), and DIR/manifest.json with the\n"
	"ids, deleted flags, references, configs and modes. The registry is read\n"
	"through its REST API (any Confluent-compatible one). DIR must not exist\n"
	"or be empty. Subject directory names are encoded as in a regit store:\n"
	"bytes outside [A-Za-z0-9_.-] become %XX. `regit import --from DIR`\n"
	"copies an export into a registry.",
	export_frags,
	"text output: exported N subjects, M versions to DIR\n"
	"json output: {\"dir\", \"subjects\", \"versions\"}",
	"0 exported\n" REGIT_REMOTE_EXIT_STATUS
};

/* DIR: created when missing; an existing one must be an empty directory. */
static int export_make_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	int empty = 1;

	if (mkdir(dir, 0777) == 0)
		return 0;
	if (errno != EEXIST) {
		regit_error_set(REGIT_ERROR_OS, "cannot create %s: %s", dir, strerror(errno));
		return REGIT_EIO;
	}
	d = opendir(dir);
	if (!d) {
		regit_error_set(REGIT_ERROR_OS, "%s: %s", dir, strerror(errno));
		return REGIT_EIO;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty) {
		regit_error_set(REGIT_ERROR_CLI, "%s is not empty; export into a new directory", dir);
		return REGIT_EEXISTS;
	}
	return 0;
}

/*
 * Write a new file (never over an existing one, never through a symlink),
 * with a final newline when `newline`.
 */
static int export_write(const char *path, const char *data, size_t len, int newline)
{
	FILE *f = fopen(path, "wx");
	int ok;

	if (!f) {
		regit_error_set(REGIT_ERROR_OS, "cannot create %s: %s", path, strerror(errno));
		return REGIT_EIO;
	}
	ok = fwrite(data, 1, len, f) == len;
	if (newline && fputc('\n', f) == EOF)
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		regit_error_set(REGIT_ERROR_OS, "cannot write %s: %s", path, strerror(errno));
		return REGIT_EIO;
	}
	return 0;
}

/*
 * The schema as a file: regit's PRETTY style when it parses on its own
 * (the style of a regit store's .avsc files), else (it names types from
 * references) the registry's JSON indented.
 */
static int export_schema_text(regit_buf *out, const char *schema)
{
	regit_schema *parsed = NULL;
	json_t *json;
	char *text;
	int error;

	regit_buf_clear(out);
	error = regit_schema_parse(&parsed, schema, strlen(schema), NULL, NULL);
	if (error == 0)
		error = regit_schema_print(parsed, REGIT_PRINT_PRETTY, out);
	regit_schema_free(parsed);
	if (error == 0 || error == REGIT_ENOMEM) {
		if (error == 0 && (out->size == 0 || out->ptr[out->size - 1] != '\n'))
			error = regit_buf_putc(out, '\n');
		return error;
	}
	regit_error_clear();
	regit_buf_clear(out);
	json = json_loads(schema, JSON_DECODE_ANY, NULL);
	text = json ? json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
	error = regit_buf_puts(out, text ? text : schema);
	if (error == 0)
		error = regit_buf_putc(out, '\n');
	regit_free(text);
	json_decref(json);
	return error;
}

/* One version's manifest entry. @return new reference or NULL (out of memory) */
static json_t *export_version_entry(const regit_client_schema *v, const char *file)
{
	json_t *e = json_pack("{s:i, s:i, s:b}", "version", v->version, "id", v->id,
		"deleted", v->deleted);
	json_t *refs, *ref;
	size_t k;

	if (!e)
		return NULL;
	if (v->schema_type && json_object_set_new(e, "schemaType", json_string(v->schema_type)) < 0)
		goto fail;
	if (v->metadata && json_object_set(e, "metadata", v->metadata) < 0)
		goto fail;
	if (v->rule_set && json_object_set(e, "ruleSet", v->rule_set) < 0)
		goto fail;
	if (v->nrefs) {
		refs = json_array();
		if (!refs || json_object_set_new(e, "references", refs) < 0)
			goto fail;
		for (k = 0; k < v->nrefs; k++) {
			ref = json_pack("{s:s, s:s, s:i}", "name", v->refs[k].name,
				"subject", v->refs[k].subject, "version", v->refs[k].version);
			if (!ref || json_array_append_new(refs, ref) < 0)
				goto fail;
		}
	}
	if (json_object_set_new(e, "file", json_string(file)) < 0 ||
	    json_object_set_new(e, "schema", json_string(v->schema)) < 0)
		goto fail;
	return e;
fail:
	json_decref(e);
	return NULL;
}

static int export_write_all(const regit_snapshot *snap, const char *dir, const char *source,
	const char *prefix)
{
	regit_buf path = REGIT_BUF_INIT, rel = REGIT_BUF_INIT, text = REGIT_BUF_INIT;
	json_t *manifest = NULL, *subjects, *entry, *versions, *ve;
	char *dumped = NULL;
	size_t s, j, dirlen;
	int error = 0;

	manifest = json_pack("{s:i, s:s}", "format", 1, "source", source);
	if (!manifest)
		goto oom;
	if (prefix && *prefix && json_object_set_new(manifest, "subject_prefix", json_string(prefix)) < 0)
		goto oom;
	if (snap->config && json_object_set(manifest, "config", snap->config) < 0)
		goto oom;
	if (snap->mode && json_object_set_new(manifest, "mode", json_string(snap->mode)) < 0)
		goto oom;
	subjects = json_array();
	if (!subjects || json_object_set_new(manifest, "subjects", subjects) < 0)
		goto oom;
	error = regit_buf_printf(&path, "%s/subjects", dir);
	if (error == 0 && mkdir(regit_buf_cstr(&path), 0777) != 0) {
		regit_error_set(REGIT_ERROR_OS, "cannot create %s: %s", regit_buf_cstr(&path),
			strerror(errno));
		error = REGIT_EIO;
	}
	for (s = 0; s < snap->nsubjects && error == 0; s++) {
		const regit_snapshot_subject *sub = &snap->subjects[s];

		regit_buf_clear(&rel);
		error = regit_buf_puts(&rel, "subjects/");
		if (error == 0)
			error = regit_layout_subject_encode(&rel, sub->name, strlen(sub->name));
		regit_buf_clear(&path);
		if (error == 0)
			error = regit_buf_printf(&path, "%s/%s", dir, regit_buf_cstr(&rel));
		if (error == 0 && mkdir(regit_buf_cstr(&path), 0777) != 0) {
			regit_error_set(REGIT_ERROR_OS, "cannot create %s: %s", regit_buf_cstr(&path),
				strerror(errno));
			error = REGIT_EIO;
		}
		if (error < 0)
			break;
		entry = json_pack("{s:s, s:s}", "subject", sub->name, "dir", regit_buf_cstr(&rel));
		versions = json_array();
		if (!entry || json_array_append_new(subjects, entry) < 0 || !versions ||
		    json_object_set_new(entry, "versions", versions) < 0)
			goto oom;
		if (sub->config && json_object_set(entry, "config", sub->config) < 0)
			goto oom;
		if (sub->mode && json_object_set_new(entry, "mode", json_string(sub->mode)) < 0)
			goto oom;
		if (sub->dependency && json_object_set_new(entry, "dependency", json_true()) < 0)
			goto oom;
		dirlen = rel.size;
		for (j = 0; j < sub->nversions && error == 0; j++) {
			const regit_client_schema *v = &sub->versions[j];

			rel.size = dirlen;
			rel.ptr[dirlen] = '\0';
			error = regit_buf_printf(&rel, "/v%d.avsc", v->version);
			regit_buf_clear(&path);
			if (error == 0)
				error = regit_buf_printf(&path, "%s/%s", dir, regit_buf_cstr(&rel));
			if (error == 0)
				error = export_schema_text(&text, v->schema);
			if (error == 0)
				error = export_write(regit_buf_cstr(&path), text.ptr, text.size, 0);
			if (error < 0)
				break;
			ve = export_version_entry(v, regit_buf_cstr(&rel));
			if (!ve || json_array_append_new(versions, ve) < 0)
				goto oom;
		}
	}
	if (error < 0)
		goto done;
	dumped = json_dumps(manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!dumped)
		goto oom;
	regit_buf_clear(&path);
	error = regit_buf_printf(&path, "%s/manifest.json", dir);
	/* Not through a regit_buf: the manifest of a big registry is big. */
	if (error == 0)
		error = export_write(regit_buf_cstr(&path), dumped, strlen(dumped), 1);
	goto done;
oom:
	regit_error_set_oom();
	error = REGIT_ENOMEM;
done:
	regit_free(dumped);
	json_decref(manifest);
	regit_buf_dispose(&path);
	regit_buf_dispose(&rel);
	regit_buf_dispose(&text);
	return error;
}

int regit_cmd_export(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("export");
	regit_client *client = NULL;
	regit_snapshot *snap = NULL;
	const char *dir = NULL, *prefix = NULL;
	json_t *out = NULL;
	int m, error = 0, rc = REGIT_EXIT_OK;

	if (regit_opt_help_requested(&regit_cmd_export_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_export_opts;
	regit_opt_parser_init(&p, &regit_cmd_export_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		if (o.spec && o.spec->id == EXPORT_OPT_SUBJECT_PREFIX)
			prefix = o.value;
		else if (o.spec || dir)
			return regit_remote_usage_error(&remote, "unexpected argument '%s'", o.value);
		else
			dir = o.value;
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;
	if (!dir || !*dir)
		return regit_remote_usage_error(&remote, "missing the directory DIR");
	if (prefix) {
		/* jansson refuses invalid UTF-8 when making a string: use it as the check. */
		json_t *probe = json_string(prefix);

		if (!probe)
			return regit_remote_usage_error(&remote, "--subject-prefix is not valid UTF-8");
		json_decref(probe);
	}

	error = regit_remote_connect(&client, &remote);
	if (error == 0)
		error = regit_snapshot_read(&snap, client, prefix, 1);
	/* Only once the registry answered: a failed export leaves no directory. */
	if (error == 0)
		error = export_make_dir(dir);
	if (error == 0)
		error = export_write_all(snap, dir, regit_client_url(client), prefix);
	if (error < 0)
		goto done;
	if (remote.json) {
		out = json_pack("{s:s, s:I, s:I}", "dir", dir, "subjects", (json_int_t)snap->nsubjects,
			"versions", (json_int_t)snap->nversions);
		if (!out) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
			goto done;
		}
		error = regit_remote_print_json(out);
	} else {
		printf("exported %zu subject%s, %zu version%s to %s\n", snap->nsubjects,
			snap->nsubjects == 1 ? "" : "s", snap->nversions,
			snap->nversions == 1 ? "" : "s", dir);
	}
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, 0);
	json_decref(out);
	regit_snapshot_free(snap);
	regit_client_free(client);
	return rc;
}
