/*
 * snapshot.c - read a registry's whole content through its REST API.
 *
 * GET /subjects?deleted=true lists every subject that has versions, live or
 * soft-deleted; regit_client_fetch_subject reads each one's versions (the
 * live list and the ?deleted=true list tell soft-deleted ones apart);
 * GET /config/{s} and /mode/{s} answer 404 when the subject has none of its
 * own. Subjects outside the prefix that a schema references are read too,
 * until the set is closed, since a copy cannot register a schema before
 * what it references.
 */
#include "cli/snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"

static int snapshot_subject_cmp(const void *a, const void *b)
{
	const regit_snapshot_subject *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int snapshot_version_cmp(const void *a, const void *b)
{
	const regit_client_schema *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

void regit_snapshot_free(regit_snapshot *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; i < snap->nsubjects; i++) {
		regit_snapshot_subject *s = &snap->subjects[i];

		regit_free(s->name);
		regit_client_schemas_free(s->versions, s->nversions);
		json_decref(s->config);
		regit_free(s->mode);
	}
	regit_free(snap->subjects);
	json_decref(snap->config);
	regit_free(snap->mode);
	regit_free(snap);
}

const regit_snapshot_subject *regit_snapshot_subject_find(const regit_snapshot *snap,
	const char *name)
{
	regit_snapshot_subject key;

	memset(&key, 0, sizeof(key));
	key.name = (char *)name;
	if (!snap->nsubjects)
		return NULL;
	return bsearch(&key, snap->subjects, snap->nsubjects, sizeof(key), snapshot_subject_cmp);
}

const regit_client_schema *regit_snapshot_version_find(const regit_snapshot_subject *s,
	int version)
{
	regit_client_schema key = REGIT_CLIENT_SCHEMA_INIT;

	key.version = version;
	if (!s || !s->nversions)
		return NULL;
	return bsearch(&key, s->versions, s->nversions, sizeof(key), snapshot_version_cmp);
}

/*
 * GET path; a 404 (no subject-level config or mode, or a registry without
 * the route) gives *out = NULL and 0.
 */
static int snapshot_get_optional(json_t **out, regit_client *client, const regit_buf *path)
{
	int error = regit_client_request(out, client, "GET", regit_buf_cstr(path), NULL);

	if (error == REGIT_ENOTFOUND) {
		regit_error_clear();
		*out = NULL;
		return 0;
	}
	return error;
}

/* "/<what>" or "/<what>/<subject>" */
static int snapshot_path(regit_buf *path, const char *what, const char *subject)
{
	int error;

	regit_buf_clear(path);
	error = regit_buf_puts(path, what);
	if (error == 0 && subject)
		error = regit_client_put_segment(path, subject);
	return error;
}

/* The config and mode of one scope (subject NULL: global). */
static int snapshot_settings(json_t **config, char **mode, regit_client *client,
	const char *subject)
{
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	const json_t *m;
	int error;

	*config = NULL;
	*mode = NULL;
	error = snapshot_path(&path, "/config", subject);
	if (error == 0)
		error = snapshot_get_optional(config, client, &path);
	if (error == 0 && *config && !json_is_object(*config)) {
		regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: the config "
			"of %s is not a JSON object", subject ? subject : "the registry");
		error = REGIT_EIO;
	}
	if (error == 0)
		error = snapshot_path(&path, "/mode", subject);
	if (error == 0)
		error = snapshot_get_optional(&resp, client, &path);
	if (error == 0 && resp) {
		m = json_object_get(resp, "mode");
		if (!json_is_string(m)) {
			regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: no "
				"\"mode\" string for %s", subject ? subject : "the registry");
			error = REGIT_EIO;
		} else {
			*mode = regit_strdup(json_string_value(m));
			if (!*mode)
				error = REGIT_ENOMEM;
		}
	}
	if (error < 0) {
		json_decref(*config);
		*config = NULL;
	}
	json_decref(resp);
	regit_buf_dispose(&path);
	return error;
}

/* Append subject `name` with all its versions (and settings) to snap. */
static int snapshot_add_subject(regit_snapshot *snap, size_t *alloc, regit_client *client,
	const char *name, int settings, int dependency)
{
	regit_snapshot_subject *s, *grown;
	int error;

	if (snap->nsubjects >= REGIT_SNAPSHOT_MAX_SUBJECTS) {
		regit_error_set(REGIT_ERROR_CLI, "more than %d subjects", REGIT_SNAPSHOT_MAX_SUBJECTS);
		return REGIT_ELIMIT;
	}
	grown = regit_array_grow(snap->subjects, alloc, snap->nsubjects + 1, sizeof(*grown), 64);
	if (!grown)
		return REGIT_ENOMEM;
	snap->subjects = grown;
	s = &snap->subjects[snap->nsubjects];
	memset(s, 0, sizeof(*s));
	s->dependency = dependency;
	s->name = regit_strdup(name);
	if (!s->name)
		return REGIT_ENOMEM;
	snap->nsubjects++;
	error = regit_client_fetch_subject(&s->versions, &s->nversions, client, name, 1);
	if (error == REGIT_ENOTFOUND && !dependency) {
		/* Hard-deleted since it was listed: nothing to copy. */
		regit_error_clear();
		error = 0;
	}
	if (error < 0)
		return error;
	snap->nversions += s->nversions;
	if (snap->nversions > REGIT_SNAPSHOT_MAX_VERSIONS) {
		regit_error_set(REGIT_ERROR_CLI, "more than %d versions", REGIT_SNAPSHOT_MAX_VERSIONS);
		return REGIT_ELIMIT;
	}
	qsort(s->versions, s->nversions, sizeof(*s->versions), snapshot_version_cmp);
	if (settings)
		error = snapshot_settings(&s->config, &s->mode, client, name);
	return error;
}

/*
 * While references are being followed: subjects[0, nsorted) are sorted
 * (the listed ones), the few appended after them are searched linearly.
 */
static int snapshot_has(const regit_snapshot *snap, size_t nsorted, const char *name)
{
	regit_snapshot_subject key;
	size_t i;

	memset(&key, 0, sizeof(key));
	key.name = (char *)name;
	if (nsorted && bsearch(&key, snap->subjects, nsorted, sizeof(key), snapshot_subject_cmp))
		return 1;
	for (i = nsorted; i < snap->nsubjects; i++)
		if (strcmp(snap->subjects[i].name, name) == 0)
			return 1;
	return 0;
}

/* Every reference must name a version the snapshot has (subjects sorted). */
static int snapshot_check_refs(const regit_snapshot *snap)
{
	size_t i, j, k;

	for (i = 0; i < snap->nsubjects; i++) {
		for (j = 0; j < snap->subjects[i].nversions; j++) {
			const regit_client_schema *v = &snap->subjects[i].versions[j];

			for (k = 0; k < v->nrefs; k++) {
				const regit_snapshot_subject *t =
					regit_snapshot_subject_find(snap, v->refs[k].subject);

				if (regit_snapshot_version_find(t, v->refs[k].version))
					continue;
				regit_error_set(REGIT_ERROR_CLI, "subject '%s' version %d (id %d) "
					"references '%s' version %d, which the source does not have",
					snap->subjects[i].name, v->version, v->id,
					v->refs[k].subject, v->refs[k].version);
				return REGIT_EINVALID;
			}
		}
	}
	return 0;
}

int regit_snapshot_read(regit_snapshot **out, regit_client *client, const char *prefix,
	int settings)
{
	regit_snapshot *snap = NULL;
	regit_buf path = REGIT_BUF_INIT;
	json_t *list = NULL;
	const json_t *item;
	size_t i, j, k, nsorted, alloc = 0, plen = prefix ? strlen(prefix) : 0;
	int error;

	*out = NULL;
	snap = regit_calloc(1, sizeof(*snap));
	if (!snap)
		return REGIT_ENOMEM;
	error = regit_buf_puts(&path, "/subjects?deleted=true");
	if (error == 0 && plen)
		error = regit_client_put_query(&path, "subjectPrefix", prefix);
	if (error == 0)
		error = regit_client_request(&list, client, "GET", regit_buf_cstr(&path), NULL);
	if (error == 0 && !json_is_array(list)) {
		regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: "
			"the subject list is not a JSON array");
		error = REGIT_EIO;
	}
	json_array_foreach(list, i, item) {
		if (error < 0)
			break;
		if (!json_is_string(item)) {
			regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: "
				"the subject list holds something other than strings");
			error = REGIT_EIO;
			break;
		}
		/* Registries that ignore subjectPrefix answer everything. */
		if (plen && strncmp(json_string_value(item), prefix, plen) != 0)
			continue;
		error = snapshot_add_subject(snap, &alloc, client, json_string_value(item),
			settings, 0);
	}
	if (error == 0 && snap->nsubjects)
		qsort(snap->subjects, snap->nsubjects, sizeof(*snap->subjects), snapshot_subject_cmp);
	for (i = 1; error == 0 && i < snap->nsubjects; i++) {
		if (strcmp(snap->subjects[i - 1].name, snap->subjects[i].name) == 0) {
			regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: "
				"subject '%s' is listed twice", snap->subjects[i].name);
			error = REGIT_EIO;
		}
	}
	/* Close over references: the array grows while it is walked. */
	nsorted = snap->nsubjects;
	for (i = 0; error == 0 && i < snap->nsubjects; i++) {
		for (j = 0; error == 0 && j < snap->subjects[i].nversions; j++) {
			const regit_client_schema *v = &snap->subjects[i].versions[j];

			for (k = 0; error == 0 && k < v->nrefs; k++)
				if (!snapshot_has(snap, nsorted, v->refs[k].subject))
					error = snapshot_add_subject(snap, &alloc, client,
						v->refs[k].subject, settings, 1);
		}
	}
	if (error == 0 && settings && !plen)
		error = snapshot_settings(&snap->config, &snap->mode, client, NULL);
	if (error < 0)
		goto done;
	if (snap->nsubjects)
		qsort(snap->subjects, snap->nsubjects, sizeof(*snap->subjects), snapshot_subject_cmp);
	error = snapshot_check_refs(snap);
	if (error == 0) {
		*out = snap;
		snap = NULL;
	}
done:
	json_decref(list);
	regit_buf_dispose(&path);
	regit_snapshot_free(snap);
	return error;
}

/* A manifest member that must be a string when present. @return 0, REGIT_EINVALID */
static int snapshot_manifest_string(char **out, const json_t *obj, const char *key,
	const char *where)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v)) {
		regit_error_set(REGIT_ERROR_CLI, "%s: \"%s\" is not a string", where, key);
		return REGIT_EINVALID;
	}
	*out = regit_strdup(json_string_value(v));
	return *out ? 0 : REGIT_ENOMEM;
}

/* A manifest member that must be an object when present: *out a new reference. */
static int snapshot_manifest_object(json_t **out, const json_t *obj, const char *key,
	const char *where)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_object(v)) {
		regit_error_set(REGIT_ERROR_CLI, "%s: \"%s\" is not an object", where, key);
		return REGIT_EINVALID;
	}
	*out = json_incref(v);
	return 0;
}

/* One subject of the manifest into s (zeroed by the caller). */
static int snapshot_manifest_subject(regit_snapshot_subject *s, const json_t *entry,
	const char *where)
{
	const json_t *name = json_object_get(entry, "subject");
	const json_t *versions = json_object_get(entry, "versions");
	const json_t *item;
	size_t j;
	int error;

	if (!json_is_string(name) || !json_is_array(versions)) {
		regit_error_set(REGIT_ERROR_CLI, "%s: a subject without a \"subject\" string "
			"and a \"versions\" array", where);
		return REGIT_EINVALID;
	}
	s->name = regit_strdup(json_string_value(name));
	if (!s->name)
		return REGIT_ENOMEM;
	s->dependency = json_is_true(json_object_get(entry, "dependency"));
	error = snapshot_manifest_object(&s->config, entry, "config", where);
	if (error == 0)
		error = snapshot_manifest_string(&s->mode, entry, "mode", where);
	if (error < 0)
		return error;
	if (json_array_size(versions) > REGIT_CLIENT_MAX_VERSIONS) {
		regit_error_set(REGIT_ERROR_CLI, "%s: subject '%s' has more than %d versions",
			where, s->name, REGIT_CLIENT_MAX_VERSIONS);
		return REGIT_ELIMIT;
	}
	if (json_array_size(versions) == 0)
		return 0;
	s->versions = regit_calloc(json_array_size(versions), sizeof(*s->versions));
	if (!s->versions)
		return REGIT_ENOMEM;
	json_array_foreach(versions, j, item) {
		regit_client_schema *v = &s->versions[j];

		/* A version entry has the registry's shape plus "deleted" and "file". */
		error = regit_client_parse_schema(v, item);
		if (error == REGIT_EIO) {
			regit_error_set(REGIT_ERROR_CLI, "%s: subject '%s': version entry %zu is "
				"not {\"version\", \"id\", \"schema\", ...}", where, s->name, j);
			error = REGIT_EINVALID;
		}
		if (error == 0)
			s->nversions = j + 1;   /* owned by s from here, freed with it */
		if (error == 0 && (v->version < 1 || v->id < 0 ||
		    !json_is_boolean(json_object_get(item, "deleted")))) {
			regit_error_set(REGIT_ERROR_CLI, "%s: subject '%s': version entry %zu lacks "
				"its version, id or deleted flag", where, s->name, j);
			error = REGIT_EINVALID;
		}
		if (error < 0)
			return error;
		v->deleted = json_is_true(json_object_get(item, "deleted"));
	}
	qsort(s->versions, s->nversions, sizeof(*s->versions), snapshot_version_cmp);
	for (j = 1; j < s->nversions; j++) {
		if (s->versions[j - 1].version == s->versions[j].version) {
			regit_error_set(REGIT_ERROR_CLI, "%s: subject '%s' lists version %d twice",
				where, s->name, s->versions[j].version);
			return REGIT_EINVALID;
		}
	}
	return 0;
}

int regit_snapshot_load_dir(regit_snapshot **out, const char *dir)
{
	regit_snapshot *snap = NULL;
	regit_buf path = REGIT_BUF_INIT;
	json_t *manifest = NULL;
	const json_t *subjects, *entry;
	json_error_t jerr;
	struct stat st;
	const char *where;
	size_t i;
	int error;

	*out = NULL;
	error = regit_buf_printf(&path, "%s/manifest.json", dir);
	if (error < 0)
		goto done;
	where = regit_buf_cstr(&path);
	if (stat(where, &st) != 0) {
		regit_error_set(REGIT_ERROR_OS, "%s: %s (not a `regit export` directory?)", where,
			strerror(errno));
		error = REGIT_EIO;
		goto done;
	}
	if (st.st_size > REGIT_SNAPSHOT_MAX_MANIFEST) {
		regit_error_set(REGIT_ERROR_CLI, "%s: larger than %lld bytes", where,
			(long long)REGIT_SNAPSHOT_MAX_MANIFEST);
		error = REGIT_ELIMIT;
		goto done;
	}
	manifest = json_load_file(where, JSON_REJECT_DUPLICATES, &jerr);
	if (!manifest) {
		regit_error_set(REGIT_ERROR_CLI, "%s:%d:%d: %s", where, jerr.line, jerr.column,
			jerr.text);
		error = REGIT_EINVALID;
		goto done;
	}
	subjects = json_object_get(manifest, "subjects");
	if (!json_is_integer(json_object_get(manifest, "format")) ||
	    json_integer_value(json_object_get(manifest, "format")) != 1 ||
	    !json_is_array(subjects)) {
		regit_error_set(REGIT_ERROR_CLI, "%s: not a format 1 manifest with a "
			"\"subjects\" array", where);
		error = REGIT_EINVALID;
		goto done;
	}
	if (json_array_size(subjects) > REGIT_SNAPSHOT_MAX_SUBJECTS) {
		regit_error_set(REGIT_ERROR_CLI, "%s: more than %d subjects", where,
			REGIT_SNAPSHOT_MAX_SUBJECTS);
		error = REGIT_ELIMIT;
		goto done;
	}
	snap = regit_calloc(1, sizeof(*snap));
	if (snap)
		snap->subjects = regit_calloc(json_array_size(subjects) + 1, sizeof(*snap->subjects));
	if (!snap || !snap->subjects) {
		error = REGIT_ENOMEM;
		goto done;
	}
	error = snapshot_manifest_object(&snap->config, manifest, "config", where);
	if (error == 0)
		error = snapshot_manifest_string(&snap->mode, manifest, "mode", where);
	json_array_foreach(subjects, i, entry) {
		if (error < 0)
			break;
		snap->nsubjects = i + 1;
		error = snapshot_manifest_subject(&snap->subjects[i], entry, where);
		if (error == 0) {
			snap->nversions += snap->subjects[i].nversions;
			if (snap->nversions > REGIT_SNAPSHOT_MAX_VERSIONS) {
				regit_error_set(REGIT_ERROR_CLI, "%s: more than %d versions", where,
					REGIT_SNAPSHOT_MAX_VERSIONS);
				error = REGIT_ELIMIT;
			}
		}
	}
	if (error < 0)
		goto done;
	if (snap->nsubjects)
		qsort(snap->subjects, snap->nsubjects, sizeof(*snap->subjects), snapshot_subject_cmp);
	for (i = 1; i < snap->nsubjects && error == 0; i++) {
		if (strcmp(snap->subjects[i - 1].name, snap->subjects[i].name) == 0) {
			regit_error_set(REGIT_ERROR_CLI, "%s: subject '%s' is listed twice", where,
				snap->subjects[i].name);
			error = REGIT_EINVALID;
		}
	}
	if (error == 0) {
		error = snapshot_check_refs(snap);
		if (error < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", regit_error_message());
			regit_error_set(REGIT_ERROR_CLI, "%s: %s", where, why);
		}
	}
	if (error == 0) {
		*out = snap;
		snap = NULL;
	}
done:
	json_decref(manifest);
	regit_buf_dispose(&path);
	regit_snapshot_free(snap);
	return error;
}
