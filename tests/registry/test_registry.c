/*
 * test_registry.c - the registry core (registry/) against a real git store in a
 * temporary directory: every semantic of confluent-api §4 with its exact
 * error code, the tree a person sees in a clone, reload after restart,
 * concurrent writers (threads, and two registry instances on one store,
 * which is what two processes look like), direct pushes and refresh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/registry.h"
#include "store/store.h"
#include "tests/support/tmpdir.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct fixture {
	char *dir;
	char store[512];
	regit_registry *reg;
	regit_registry_options opts;
} fixture;

static void reopen(fixture *f)
{

	regit_registry_free(f->reg);
	f->reg = NULL;
	f->opts.store_path = f->store;
	if (regit_registry_open(&f->reg, &f->opts) != 0)
		fail_msg("open: %d %s", regit_error_api_code(), regit_error_message());
}

static int setup_with(void **state, regit_compat_level level, int strict)
{
	regit_registry_options defaults = REGIT_REGISTRY_OPTIONS_INIT;
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = test_tmpdir_new("registry");
	assert_non_null(f->dir);
	snprintf(f->store, sizeof(f->store), "%s/registry.git", f->dir);
	f->opts = defaults;
	f->opts.default_level = level;
	f->opts.default_strict = strict;
	reopen(f);
	*state = f;
	return 0;
}

/* Confluent's defaults: BACKWARD with Avro rules only. */
static int setup_confluent(void **state)
{
	return setup_with(state, REGIT_LEVEL_BACKWARD, 0);
}

/* The product's defaults: FULL_TRANSITIVE with the strict rules. */
static int setup_strict(void **state)
{
	return setup_with(state, REGIT_LEVEL_FULL_TRANSITIVE, 1);
}

static int teardown(void **state)
{
	fixture *f = *state;

	regit_registry_free(f->reg);
	test_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* Run a shell command, return its output's first line (static buffer). */
static const char *sh(const char *fmt, ...)
{
	static char out[8192];
	char cmd[4096];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* ---- schemas ---------------------------------------------------------------- */

#define USER_V1 "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}]}"
/* v1 plus a field with a default: compatible every way. */
#define USER_V2 "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}," \
	"{\"name\":\"name\",\"type\":\"string\",\"default\":\"\"}]}"
/* v1 plus a field without default: not BACKWARD. */
#define USER_REQ "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}," \
	"{\"name\":\"email\",\"type\":\"string\"}]}"
/* v2 without "id": Avro-compatible backward, but a removed field (strict). */
#define USER_NOID "{\"type\":\"record\",\"name\":\"User\",\"fields\":[" \
	"{\"name\":\"name\",\"type\":\"string\",\"default\":\"\"}]}"

static char *user_schema(int n)
{
	char *s = malloc(256);

	assert_non_null(s);
	snprintf(s, 256, "{\"type\":\"record\",\"name\":\"R%d\",\"fields\":[{\"name\":\"f\",\"type\":\"int\"}]}", n);
	return s;
}

static int reg_schema(regit_registry *reg, const char *subject, const char *schema,
	int *id, int *version)
{
	regit_register_request req = { 0 };
	regit_register_result res;
	int rc;

	req.subject = subject;
	req.schema = schema;
	req.schema_len = strlen(schema);
	rc = regit_registry_register(reg, &req, &res);
	if (rc == 0) {
		if (id)
			*id = res.id;
		if (version)
			*version = res.version;
	}
	return rc == 0 ? 0 : regit_error_api_code();
}

/* Register and expect success; returns the id. */
static int reg_ok(regit_registry *reg, const char *subject, const char *schema, int want_version)
{
	int id = 0, version = 0;

	if (reg_schema(reg, subject, schema, &id, &version) != 0)
		fail_msg("register %s: %d %s", subject, regit_error_api_code(), regit_error_message());
	if (want_version)
		assert_int_equal(version, want_version);
	return id;
}

static int set_level(regit_registry *reg, const char *subject, regit_compat_level level);

static int get_code(regit_registry *reg, const char *subject, int version, int deleted,
	const regit_version **out)
{
	const regit_version *v = NULL;
	int rc;

	regit_registry_read_begin(reg);
	rc = regit_registry_get_version(reg, subject, version, deleted, &v);
	if (out)
		*out = v;
	regit_registry_read_end(reg);
	return rc == 0 ? 0 : regit_error_api_code();
}

static int get_id(regit_registry *reg, const char *subject, int version)
{
	const regit_version *v = NULL;
	int id = -1;

	regit_registry_read_begin(reg);
	if (regit_registry_get_version(reg, subject, version, 1, &v) == 0)
		id = v->id;
	regit_registry_read_end(reg);
	return id;
}

static int del_version(regit_registry *reg, const char *subject, int version, int permanent,
	int *out)
{
	int v = 0;
	int rc = regit_registry_delete_version(reg, subject, version, permanent, NULL, &v);

	if (out)
		*out = v;
	return rc == 0 ? 0 : regit_error_api_code();
}

static int del_subject(regit_registry *reg, const char *subject, int permanent, char *list,
	size_t listlen)
{
	int *vs = NULL;
	size_t n = 0, i, used = 0;
	int rc = regit_registry_delete_subject(reg, subject, permanent, NULL, &vs, &n);

	if (list) {
		list[0] = '\0';
		for (i = 0; i < n; i++)
			used += (size_t)snprintf(list + used, listlen - used, "%s%d", i ? "," : "", vs[i]);
	}
	regit_free(vs);
	return rc == 0 ? 0 : regit_error_api_code();
}

typedef struct collect {
	char text[4096];
	size_t used;
} collect;

static int collect_version(const regit_version *v, void *payload)
{
	collect *c = payload;

	c->used += (size_t)snprintf(c->text + c->used, sizeof(c->text) - c->used, "%s%d",
		c->used ? "," : "", v->version);
	return 0;
}

static int collect_id(const regit_version *v, void *payload)
{
	collect *c = payload;

	c->used += (size_t)snprintf(c->text + c->used, sizeof(c->text) - c->used, "%s%d",
		c->used ? "," : "", v->id);
	return 0;
}

static int collect_subject(const char *s, void *payload)
{
	collect *c = payload;

	c->used += (size_t)snprintf(c->text + c->used, sizeof(c->text) - c->used, "%s%s",
		c->used ? "," : "", s);
	return 0;
}

static const char *versions_of(regit_registry *reg, const char *subject, int deleted,
	int deleted_only, int *code)
{
	static collect c;
	regit_list_filter f = { NULL, deleted, deleted_only, 0 };
	int rc;

	memset(&c, 0, sizeof(c));
	regit_registry_read_begin(reg);
	rc = regit_registry_list_versions(reg, subject, &f, collect_version, &c);
	regit_registry_read_end(reg);
	if (code)
		*code = rc == 0 ? 0 : regit_error_api_code();
	return c.text;
}

static const char *subjects_of(regit_registry *reg, const char *prefix, int deleted,
	int deleted_only)
{
	static collect c;
	regit_list_filter f = { prefix, deleted, deleted_only, 0 };

	memset(&c, 0, sizeof(c));
	regit_registry_list_subjects(reg, &f, collect_subject, &c);
	return c.text;
}

static int lookup_code(regit_registry *reg, const char *subject, const char *schema,
	int deleted, int normalize, int *version, int *id)
{
	regit_register_request req = { 0 };
	const regit_version *v = NULL;
	int rc;

	req.subject = subject;
	req.schema = schema;
	req.schema_len = strlen(schema);
	req.normalize = normalize;
	regit_registry_read_begin(reg);
	rc = regit_registry_lookup(reg, &req, deleted, &v);
	if (rc == 0) {
		if (version)
			*version = v->version;
		if (id)
			*id = v->id;
	}
	regit_registry_read_end(reg);
	return rc == 0 ? 0 : regit_error_api_code();
}

/* ---- identity and ids (§4.1) ----------------------------------------------------- */

static void test_registry__register_get_list(void **state)
{
	fixture *f = *state;
	const regit_version *v = NULL;
	const regit_schema_entry *e = NULL;
	regit_registry_stats st;
	int id;

	id = reg_ok(f->reg, "user-value", USER_V1, 1);
	assert_int_equal(id, 1);
	assert_int_equal(get_code(f->reg, "user-value", 1, 0, &v), 0);
	regit_registry_read_begin(f->reg);
	assert_int_equal(regit_registry_get_version(f->reg, "user-value", REGIT_VERSION_LATEST, 0, &v), 0);
	assert_string_equal(v->subject, "user-value");
	assert_int_equal(v->version, 1);
	assert_int_equal(v->id, 1);
	assert_int_equal(v->deleted, 0);
	assert_true(v->ts > 1600000000000LL);
	/* The stored string is the compact canonical form. */
	assert_string_equal(v->schema, USER_V1);
	assert_int_equal(v->schema_len, strlen(USER_V1));
	assert_int_equal(regit_registry_get_schema(f->reg, 1, &e), 0);
	assert_int_equal(e->id, 1);
	assert_string_equal(e->schema, USER_V1);
	assert_int_equal(regit_registry_get_schema(f->reg, 2, &e), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SCHEMA_NOT_FOUND);
	regit_registry_read_end(f->reg);
	assert_string_equal(subjects_of(f->reg, NULL, 0, 0), "user-value");
	assert_string_equal(versions_of(f->reg, "user-value", 0, 0, NULL), "1");
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.subjects, 1);
	assert_int_equal(st.schemas, 1);
	assert_int_equal(st.versions, 1);
	assert_int_equal(st.commits, 1);
	assert_int_equal(st.store_ok, 1);
	assert_int_equal(strlen(st.head), 40);
	/* Unknown subject / version. */
	assert_int_equal(get_code(f->reg, "nope", 1, 0, NULL), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(get_code(f->reg, "user-value", 2, 0, NULL), REGIT_SR_VERSION_NOT_FOUND);
}

static void test_registry__idempotent_and_shared_ids(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	regit_register_result res;
	regit_registry_stats st;
	uint64_t gen;

	assert_int_equal(reg_ok(f->reg, "a", USER_V1, 1), 1);
	assert_int_equal(reg_ok(f->reg, "a", USER_V2, 2), 2);
	/* Re-registering any live version (not only the latest) is a no-op. */
	gen = regit_registry_generation(f->reg);
	req.subject = "a";
	req.schema = "{ \"fields\": [ {\"type\": {\"type\": \"int\"}, \"name\": \"id\"} ],"
		" \"name\": \"User\", \"type\": \"record\" }";
	req.schema_len = strlen(req.schema);
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(res.id, 1);
	assert_int_equal(res.version, 1);
	assert_int_equal(res.existed, 1);
	assert_int_equal(regit_registry_generation(f->reg), gen);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.commits, 2);
	/* Same schema in another subject: same id, that subject's version 1. */
	assert_int_equal(reg_ok(f->reg, "b", USER_V2, 1), 2);
	/* A new schema gets max + 1. */
	assert_int_equal(set_level(f->reg, "b", REGIT_LEVEL_NONE), 0);
	assert_int_equal(reg_ok(f->reg, "b", "\"string\"", 0), 3);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.schemas, 3);
	assert_int_equal(st.versions, 4);
	assert_string_equal(sh("git --git-dir='%s' log -1 --format=%%s", f->store), "register b v2 (id 3)");
}

static void test_registry__lookup(void **state)
{
	fixture *f = *state;
	int version = 0, id = 0;

	reg_ok(f->reg, "a", USER_V1, 1);
	reg_ok(f->reg, "a", USER_V2, 2);
	/* Whitespace, key order and {"type":"int"} vs "int" do not matter. */
	assert_int_equal(lookup_code(f->reg, "a",
		"{\"name\":\"User\",\"type\":\"record\",\"fields\":[{\"type\":{\"type\":\"int\"},\"name\":\"id\"}]}",
		0, 0, &version, &id), 0);
	assert_int_equal(version, 1);
	assert_int_equal(id, 1);
	assert_int_equal(lookup_code(f->reg, "a", USER_V2, 0, 0, &version, &id), 0);
	assert_int_equal(version, 2);
	assert_int_equal(lookup_code(f->reg, "a", "\"long\"", 0, 0, NULL, NULL), REGIT_SR_SCHEMA_NOT_FOUND);
	assert_int_equal(lookup_code(f->reg, "zz", USER_V1, 0, 0, NULL, NULL), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(lookup_code(f->reg, "a", "{\"type\":", 0, 0, NULL, NULL), REGIT_SR_INVALID_SCHEMA);
	/* Soft-deleted versions match only with deleted=true. */
	assert_int_equal(del_version(f->reg, "a", 1, 0, NULL), 0);
	assert_int_equal(lookup_code(f->reg, "a", USER_V1, 0, 0, NULL, NULL), REGIT_SR_SCHEMA_NOT_FOUND);
	assert_int_equal(lookup_code(f->reg, "a", USER_V1, 1, 0, &version, NULL), 0);
	assert_int_equal(version, 1);
	/* A subject with only soft-deleted versions is unknown without deleted. */
	assert_int_equal(del_version(f->reg, "a", 2, 0, NULL), 0);
	assert_int_equal(lookup_code(f->reg, "a", "\"long\"", 0, 0, NULL, NULL), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(lookup_code(f->reg, "a", "\"long\"", 1, 0, NULL, NULL), REGIT_SR_SCHEMA_NOT_FOUND);
}

/* ---- versions and deletes (§4.2, §4.4) ---------------------------------------- */

static void test_registry__version_numbers(void **state)
{
	fixture *f = *state;
	char *s[8];
	int i, v = 0;

	for (i = 0; i < 8; i++)
		s[i] = user_schema(i);
	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_NONE), 0);
	reg_ok(f->reg, "x", s[0], 1);
	reg_ok(f->reg, "x", s[1], 2);
	/* Soft delete does not free the number. */
	assert_int_equal(del_version(f->reg, "x", 2, 0, &v), 0);
	assert_int_equal(v, 2);
	reg_ok(f->reg, "x", s[2], 3);
	/* Hard-deleting the highest version frees its number. */
	assert_int_equal(del_version(f->reg, "x", 3, 0, NULL), 0);
	assert_int_equal(del_version(f->reg, "x", 3, 1, &v), 0);
	assert_int_equal(v, 3);
	reg_ok(f->reg, "x", s[3], 3);
	/* Subject soft delete: numbering continues. */
	{
		char list[64];

		assert_int_equal(del_subject(f->reg, "x", 0, list, sizeof(list)), 0);
		assert_string_equal(list, "1,3");
		reg_ok(f->reg, "x", s[4], 4);
		/* Hard delete of everything: the next version is 1 again. */
		assert_int_equal(del_subject(f->reg, "x", 0, list, sizeof(list)), 0);
		assert_string_equal(list, "4");
		assert_int_equal(del_subject(f->reg, "x", 1, list, sizeof(list)), 0);
		assert_string_equal(list, "1,2,3,4");
	}
	assert_int_equal(get_code(f->reg, "x", 1, 1, NULL), REGIT_SR_SUBJECT_NOT_FOUND);
	reg_ok(f->reg, "x", s[5], 1);
	for (i = 0; i < 8; i++)
		free(s[i]);
}

static void test_registry__delete_error_codes(void **state)
{
	fixture *f = *state;
	char *s1 = user_schema(1), *s2 = user_schema(2);
	char list[64];
	int v = 0;

	assert_int_equal(del_version(f->reg, "none", 1, 0, NULL), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(del_subject(f->reg, "none", 0, NULL, 0), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(del_subject(f->reg, "none", 1, NULL, 0), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_NONE), 0);
	reg_ok(f->reg, "d", s1, 1);
	reg_ok(f->reg, "d", s2, 2);
	assert_int_equal(del_version(f->reg, "d", 7, 0, NULL), REGIT_SR_VERSION_NOT_FOUND);
	/* permanent before soft */
	assert_int_equal(del_version(f->reg, "d", 1, 1, NULL), REGIT_SR_VERSION_NOT_SOFT_DELETED);
	assert_int_equal(del_subject(f->reg, "d", 1, NULL, 0), REGIT_SR_SUBJECT_NOT_SOFT_DELETED);
	/* "latest" is the highest live version */
	assert_int_equal(del_version(f->reg, "d", REGIT_VERSION_LATEST, 0, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(del_version(f->reg, "d", 2, 0, NULL), REGIT_SR_VERSION_SOFT_DELETED);
	assert_int_equal(del_version(f->reg, "d", REGIT_VERSION_LATEST, 0, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(del_subject(f->reg, "d", 0, NULL, 0), REGIT_SR_SUBJECT_SOFT_DELETED);
	/* Soft-deleted versions: hidden unless deleted=true. */
	assert_int_equal(get_code(f->reg, "d", 1, 0, NULL), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(get_code(f->reg, "d", 1, 1, NULL), 0);
	assert_string_equal(versions_of(f->reg, "d", 0, 0, &v), "");
	assert_int_equal(v, REGIT_SR_SUBJECT_NOT_FOUND);
	assert_string_equal(versions_of(f->reg, "d", 1, 0, NULL), "1,2");
	assert_string_equal(subjects_of(f->reg, NULL, 0, 0), "");
	assert_string_equal(subjects_of(f->reg, NULL, 1, 0), "d");
	assert_string_equal(subjects_of(f->reg, NULL, 0, 1), "d");
	assert_int_equal(del_version(f->reg, "d", 2, 1, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(del_version(f->reg, "d", 2, 1, NULL), REGIT_SR_VERSION_NOT_FOUND);
	assert_int_equal(del_subject(f->reg, "d", 1, list, sizeof(list)), 0);
	assert_string_equal(list, "1");
	assert_int_equal(del_subject(f->reg, "d", 1, NULL, 0), REGIT_SR_SUBJECT_NOT_FOUND);
	free(s1);
	free(s2);
}

static void test_registry__soft_deleted_schema_resolves_by_id(void **state)
{
	fixture *f = *state;
	const regit_schema_entry *e = NULL;
	collect c;

	reg_ok(f->reg, "a", USER_V1, 1);
	reg_ok(f->reg, "b", USER_V1, 1);
	assert_int_equal(del_version(f->reg, "a", 1, 0, NULL), 0);
	regit_registry_read_begin(f->reg);
	assert_int_equal(regit_registry_get_schema(f->reg, 1, &e), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(regit_registry_id_versions(f->reg, 1, 0, collect_version, &c), 0);
	assert_string_equal(c.text, "1");     /* only b/1 is live */
	memset(&c, 0, sizeof(c));
	assert_int_equal(regit_registry_id_versions(f->reg, 1, 1, collect_version, &c), 0);
	assert_string_equal(c.text, "1,1");   /* a/1 (soft-deleted) and b/1 */
	regit_registry_read_end(f->reg);
	/* Hard-delete every version: the id disappears; re-registering gets a new id. */
	assert_int_equal(del_version(f->reg, "a", 1, 1, NULL), 0);
	assert_int_equal(del_version(f->reg, "b", 1, 0, NULL), 0);
	regit_registry_read_begin(f->reg);
	assert_int_equal(regit_registry_get_schema(f->reg, 1, &e), 0);
	regit_registry_read_end(f->reg);
	assert_int_equal(del_version(f->reg, "b", 1, 1, NULL), 0);
	regit_registry_read_begin(f->reg);
	assert_int_equal(regit_registry_get_schema(f->reg, 1, &e), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SCHEMA_NOT_FOUND);
	assert_int_equal(regit_registry_id_versions(f->reg, 1, 1, collect_version, &c), REGIT_ENOTFOUND);
	regit_registry_read_end(f->reg);
	assert_int_equal(reg_ok(f->reg, "a", USER_V1, 1), 2);
	/* ... also after a restart: ids are never reissued. */
	reopen(f);
	assert_int_equal(reg_ok(f->reg, "c", "\"int\"", 1), 3);
}

static void test_registry__reregister_soft_deleted_tombstones(void **state)
{
	fixture *f = *state;
	char *s2 = user_schema(2);
	int id1, v = 0, id = 0;

	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_NONE), 0);
	id1 = reg_ok(f->reg, "t", USER_V1, 1);
	reg_ok(f->reg, "t", s2, 2);
	assert_int_equal(del_version(f->reg, "t", 1, 0, NULL), 0);
	/* Same id, new version; the old soft-deleted v1 is gone for good. */
	assert_int_equal(reg_schema(f->reg, "t", USER_V1, &id, &v), 0);
	assert_int_equal(id, id1);
	assert_int_equal(v, 3);
	assert_int_equal(get_code(f->reg, "t", 1, 1, NULL), REGIT_SR_VERSION_NOT_FOUND);
	assert_string_equal(versions_of(f->reg, "t", 1, 0, NULL), "2,3");
	assert_string_equal(sh("git --git-dir='%s' ls-tree --name-only main subjects/t/ | tr '\\n' ' '",
		f->store), "subjects/t/v2.avsc subjects/t/v2.json subjects/t/v3.avsc subjects/t/v3.json ");
	free(s2);
}

/* ---- config and mode (§4.7, §4.8) ------------------------------------------------ */

static int set_level(regit_registry *reg, const char *subject, regit_compat_level level)
{
	regit_config cfg = { 0 }, out;

	cfg.has_level = 1;
	cfg.level = level;
	return regit_registry_set_config(reg, subject, &cfg, NULL, &out) == 0 ? 0 : regit_error_api_code();
}

static void test_registry__config(void **state)
{
	fixture *f = *state;
	regit_config cfg = { 0 }, out;

	/* Global: the server default when nothing is set. */
	assert_int_equal(regit_registry_get_config(f->reg, NULL, 0, &out), 0);
	assert_true(out.has_level);
	assert_int_equal(out.level, REGIT_LEVEL_FULL_TRANSITIVE);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 0, &out), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SUBJECT_CONFIG_NOT_FOUND);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 1, &out), 0);
	assert_int_equal(out.level, REGIT_LEVEL_FULL_TRANSITIVE);
	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_BACKWARD), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 1, &out), 0);
	assert_int_equal(out.level, REGIT_LEVEL_BACKWARD);
	/* A subject without schemas may have a config. */
	assert_int_equal(set_level(f->reg, "s", REGIT_LEVEL_FORWARD), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 0, &out), 0);
	assert_int_equal(out.level, REGIT_LEVEL_FORWARD);
	assert_false(out.has_normalize);
	/* PUT merges: normalize alone keeps the level. */
	cfg.has_normalize = 1;
	cfg.normalize = 1;
	cfg.has_strict = 1;
	cfg.strict = 0;
	assert_int_equal(regit_registry_set_config(f->reg, "s", &cfg, "alice", &out), 0);
	assert_int_equal(out.level, REGIT_LEVEL_FORWARD);
	assert_true(out.has_normalize && out.normalize);
	assert_true(out.has_strict && !out.strict);
	assert_string_equal(sh("git --git-dir='%s' log -1 --format=%%an:%%s", f->store),
		"alice:config s: FORWARD, normalize, avro rules");
	assert_string_equal(sh("git --git-dir='%s' show main:subjects/s/config.json | tr -d ' \\n'", f->store),
		"{\"compatibilityLevel\":\"FORWARD\",\"normalize\":true,\"strict\":false}");
	/* Invalid subjects are refused. */
	assert_int_equal(set_level(f->reg, "bad\nsubject", REGIT_LEVEL_NONE), REGIT_SR_INVALID_SUBJECT);
	assert_int_equal(set_level(f->reg, "__GLOBAL", REGIT_LEVEL_NONE), REGIT_SR_INVALID_SUBJECT);
	/* DELETE: returns the old config; nothing to delete is 40401. */
	assert_int_equal(regit_registry_delete_config(f->reg, "s", NULL, &out), 0);
	assert_int_equal(out.level, REGIT_LEVEL_FORWARD);
	assert_int_equal(regit_registry_delete_config(f->reg, "s", NULL, &out), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(regit_registry_delete_config(f->reg, NULL, NULL, &out), 0);
	assert_int_equal(out.level, REGIT_LEVEL_BACKWARD);
	assert_int_equal(regit_registry_get_config(f->reg, NULL, 0, &out), 0);
	assert_int_equal(out.level, REGIT_LEVEL_FULL_TRANSITIVE);
}

static void test_registry__delete_keeps_or_drops_settings(void **state)
{
	fixture *f = *state;
	regit_config out;
	regit_mode m;

	reg_ok(f->reg, "k", USER_V1, 1);
	assert_int_equal(set_level(f->reg, "k", REGIT_LEVEL_NONE), 0);
	assert_int_equal(regit_registry_set_mode(f->reg, "k", REGIT_MODE_READWRITE, 0, NULL), 0);
	/* Soft delete keeps config and mode ... */
	assert_int_equal(del_subject(f->reg, "k", 0, NULL, 0), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "k", 0, &out), 0);
	assert_int_equal(regit_registry_get_mode(f->reg, "k", 0, &m), 0);
	/* ... hard delete drops them. */
	assert_int_equal(del_subject(f->reg, "k", 1, NULL, 0), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "k", 0, &out), REGIT_ENOTFOUND);
	assert_int_equal(regit_registry_get_mode(f->reg, "k", 0, &m), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SUBJECT_MODE_NOT_FOUND);
	assert_string_equal(sh("git --git-dir='%s' ls-tree main subjects/ | wc -l", f->store), "0");
	/* Same through the last single version. */
	reg_ok(f->reg, "k", USER_V1, 1);
	assert_int_equal(set_level(f->reg, "k", REGIT_LEVEL_NONE), 0);
	assert_int_equal(del_version(f->reg, "k", 1, 0, NULL), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "k", 0, &out), 0);
	assert_int_equal(del_version(f->reg, "k", 1, 1, NULL), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "k", 0, &out), REGIT_ENOTFOUND);
}

static void test_registry__modes(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	regit_register_result res;
	regit_mode m;
	char *s9 = user_schema(9), *s10 = user_schema(10);

	assert_int_equal(regit_registry_get_mode(f->reg, NULL, 0, &m), 0);
	assert_int_equal(m, REGIT_MODE_READWRITE);
	assert_int_equal(regit_registry_get_mode(f->reg, "m", 0, &m), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SUBJECT_MODE_NOT_FOUND);
	assert_int_equal(regit_registry_get_mode(f->reg, "m", 1, &m), 0);
	assert_int_equal(m, REGIT_MODE_READWRITE);
	assert_int_equal(regit_registry_delete_mode(f->reg, "m", NULL, &m), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(regit_registry_set_mode(f->reg, "m", REGIT_MODE_FORWARD, 0, NULL),
		REGIT_EINVALID);
	assert_int_equal(regit_error_api_code(), REGIT_SR_INVALID_MODE);

	reg_ok(f->reg, "m", USER_V1, 1);
	/* READONLY: register, delete and config PUT refused; reads work. */
	assert_int_equal(regit_registry_set_mode(f->reg, "m", REGIT_MODE_READONLY, 0, NULL), 0);
	assert_int_equal(reg_schema(f->reg, "m", USER_V2, NULL, NULL), REGIT_SR_OPERATION_NOT_PERMITTED);
	assert_int_equal(del_version(f->reg, "m", 1, 0, NULL), REGIT_SR_OPERATION_NOT_PERMITTED);
	assert_int_equal(del_subject(f->reg, "m", 0, NULL, 0), REGIT_SR_OPERATION_NOT_PERMITTED);
	assert_int_equal(set_level(f->reg, "m", REGIT_LEVEL_NONE), REGIT_SR_OPERATION_NOT_PERMITTED);
	assert_int_equal(get_code(f->reg, "m", 1, 0, NULL), 0);
	assert_int_equal(lookup_code(f->reg, "m", USER_V1, 0, 0, NULL, NULL), 0);
	/* Other subjects are unaffected. */
	reg_ok(f->reg, "other", USER_V1, 1);
	assert_int_equal(regit_registry_delete_mode(f->reg, "m", NULL, &m), 0);
	assert_int_equal(m, REGIT_MODE_READONLY);

	/* An explicit id needs IMPORT. */
	req.subject = "imp";
	req.schema = s9;
	req.schema_len = strlen(s9);
	req.id = 100;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_EPERM);
	assert_int_equal(regit_error_api_code(), REGIT_SR_OPERATION_NOT_PERMITTED);
	/* IMPORT needs force while live schemas exist (globally). */
	assert_int_equal(regit_registry_set_mode(f->reg, NULL, REGIT_MODE_IMPORT, 0, NULL), REGIT_EPERM);
	assert_int_equal(regit_error_api_code(), REGIT_SR_OPERATION_NOT_PERMITTED);
	assert_int_equal(regit_registry_set_mode(f->reg, "imp", REGIT_MODE_IMPORT, 0, NULL), 0);
	req.version = 5;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(res.id, 100);
	assert_int_equal(res.version, 5);
	/* An imported id taken by another schema is refused. */
	req.schema = s10;
	req.schema_len = strlen(s10);
	req.version = 6;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_EPERM);
	assert_int_equal(regit_error_api_code(), REGIT_SR_OPERATION_NOT_PERMITTED);
	/* IMPORT without an id is not read-write. */
	req.id = 0;
	req.version = 0;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_EPERM);
	/* The imported id raised the counter. */
	assert_int_equal(regit_registry_set_mode(f->reg, "imp", REGIT_MODE_READWRITE, 0, NULL), 0);
	assert_int_equal(reg_ok(f->reg, "fresh", s10, 1), 101);
	free(s9);
	free(s10);
}

/* ---- compatibility (§4.5) ---------------------------------------------------------- */

static void test_registry__compat_confluent_rules(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	regit_register_result res;
	regit_registry_stats st;

	reg_ok(f->reg, "c", USER_V1, 1);
	reg_ok(f->reg, "c", USER_V2, 2);
	/* BACKWARD (server default here): a new field without default fails. */
	assert_int_equal(reg_schema(f->reg, "c", USER_REQ, NULL, NULL), REGIT_SR_INCOMPATIBLE);
	assert_non_null(strstr(regit_error_message(), "READER_FIELD_MISSING_DEFAULT_VALUE"));
	assert_non_null(strstr(regit_error_message(), "oldSchemaVersion:2"));
	assert_non_null(strstr(regit_error_message(), "written with version 2"));
	assert_non_null(strstr(regit_error_message(), "compatibility:'BACKWARD'"));
	assert_non_null(strstr(regit_error_message(), "subject \"c\""));
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.compat_rejections, 1);
	/* Avro rules: removing a field is fine backward. */
	reg_ok(f->reg, "c", USER_NOID, 3);
	/* force skips the check. */
	req.subject = "c";
	req.schema = USER_REQ;
	req.schema_len = strlen(USER_REQ);
	req.force = 1;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(res.version, 4);
	/* NONE accepts anything. */
	assert_int_equal(set_level(f->reg, "c", REGIT_LEVEL_NONE), 0);
	reg_ok(f->reg, "c", "\"string\"", 5);
}

static void test_registry__compat_deleted_versions_are_skipped(void **state)
{
	fixture *f = *state;

	reg_ok(f->reg, "c", "\"string\"", 1);
	assert_int_equal(reg_schema(f->reg, "c", "\"int\"", NULL, NULL), REGIT_SR_INCOMPATIBLE);
	assert_int_equal(del_version(f->reg, "c", 1, 0, NULL), 0);
	reg_ok(f->reg, "c", "\"int\"", 2);
}

static void test_registry__compat_strict_transitive(void **state)
{
	fixture *f = *state;
	regit_config cfg = { 0 }, out;

	reg_ok(f->reg, "s", USER_V1, 1);
	reg_ok(f->reg, "s", USER_V2, 2);
	/* The product default: strict rules refuse a removed field. */
	assert_int_equal(reg_schema(f->reg, "s", USER_NOID, NULL, NULL), REGIT_SR_INCOMPATIBLE);
	assert_non_null(strstr(regit_error_message(), "FIELD_REMOVED"));
	assert_non_null(strstr(regit_error_message(), "compatibility:'FULL_TRANSITIVE'"));
	assert_non_null(strstr(regit_error_message(), "rules:'strict'"));
	/* ... and a new field without default, against every version. */
	assert_int_equal(reg_schema(f->reg, "s", USER_REQ, NULL, NULL), REGIT_SR_INCOMPATIBLE);
	assert_non_null(strstr(regit_error_message(), "REQUIRED_FIELD_ADDED"));
	/* Per subject, "strict": false turns the strict rules off. */
	cfg.has_strict = 1;
	cfg.strict = 0;
	cfg.has_level = 1;
	cfg.level = REGIT_LEVEL_BACKWARD;
	assert_int_equal(regit_registry_set_config(f->reg, "s", &cfg, NULL, &out), 0);
	reg_ok(f->reg, "s", USER_NOID, 3);
}

static void test_registry__test_compat_endpoint(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	char **msgs = NULL;
	int ok = -1;

	reg_ok(f->reg, "tc", USER_V1, 1);
	reg_ok(f->reg, "tc", USER_V2, 2);
	req.subject = "tc";
	req.schema = USER_REQ;
	req.schema_len = strlen(USER_REQ);
	/* Against all live versions (predicts registration). */
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 0, 1, &ok, &msgs), 0);
	assert_int_equal(ok, 0);
	assert_non_null(msgs);
	assert_non_null(msgs[0]);
	assert_non_null(strstr(msgs[0], "READER_FIELD_MISSING_DEFAULT_VALUE"));
	for (size_t i = 0; msgs[i]; i++)
		regit_free(msgs[i]);
	regit_free(msgs);
	msgs = NULL;
	/* A compatible schema with verbose: an empty list. */
	req.schema = USER_V2;
	req.schema_len = strlen(USER_V2);
	assert_int_equal(regit_registry_test_compat(f->reg, &req, REGIT_VERSION_LATEST, 1, &ok, &msgs), 0);
	assert_int_equal(ok, 1);
	assert_non_null(msgs);
	assert_null(msgs[0]);
	regit_free(msgs);
	msgs = NULL;
	/* A missing or soft-deleted version is 40402, even for a missing subject. */
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 9, 0, &ok, NULL), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_VERSION_NOT_FOUND);
	req.subject = "missing";
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 1, 0, &ok, NULL), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_VERSION_NOT_FOUND);
	/* latest of a missing subject compares with nothing. */
	assert_int_equal(regit_registry_test_compat(f->reg, &req, REGIT_VERSION_LATEST, 0, &ok, NULL), 0);
	assert_int_equal(ok, 1);
	/* Unparsable: 42201, or with verbose a verdict with the reason. */
	req.subject = "tc";
	req.schema = "{\"type\":\"nope\"}";
	req.schema_len = strlen(req.schema);
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 0, 0, &ok, NULL), REGIT_EINVALID);
	assert_int_equal(regit_error_api_code(), REGIT_SR_INVALID_SCHEMA);
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 0, 1, &ok, &msgs), 0);
	assert_int_equal(ok, 0);
	assert_non_null(msgs[0]);
	regit_free(msgs[0]);
	regit_free(msgs);
	/* A named version compares with that one only, even for *_TRANSITIVE. */
	assert_int_equal(set_level(f->reg, "tc", REGIT_LEVEL_BACKWARD_TRANSITIVE), 0);
	req.schema = "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},"
		"{\"name\":\"name\",\"type\":\"string\"}]}";
	req.schema_len = strlen(req.schema);
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 2, 0, &ok, NULL), 0);
	assert_int_equal(ok, 1);
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 0, 0, &ok, NULL), 0);
	assert_int_equal(ok, 0);
}

/* ---- references, normalize, bounds ------------------------------------------------- */

#define ADDRESS "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"acme\"," \
	"\"fields\":[{\"name\":\"street\",\"type\":\"string\"}]}"
#define PERSON "{\"type\":\"record\",\"name\":\"Person\",\"namespace\":\"acme\"," \
	"\"fields\":[{\"name\":\"home\",\"type\":\"acme.Address\"}]}"

static void test_registry__references(void **state)
{
	fixture *f = *state;
	regit_reference ref = { "acme.Address", "address", 1 };
	regit_register_request req = { 0 };
	regit_register_result res;
	const regit_version *v = NULL;
	collect c;

	reg_ok(f->reg, "address", ADDRESS, 1);
	req.subject = "person";
	req.schema = PERSON;
	req.schema_len = strlen(PERSON);
	/* Without the reference the type is unknown. */
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_EINVALID);
	assert_int_equal(regit_error_api_code(), REGIT_SR_INVALID_SCHEMA);
	/* A reference to a missing version is invalid too. */
	ref.version = 2;
	req.refs = &ref;
	req.nrefs = 1;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_EINVALID);
	assert_int_equal(regit_error_api_code(), REGIT_SR_INVALID_SCHEMA);
	ref.version = 1;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(res.id, 2);
	assert_int_equal(get_code(f->reg, "person", 1, 0, &v), 0);
	regit_registry_read_begin(f->reg);
	assert_int_equal(regit_registry_get_version(f->reg, "person", 1, 0, &v), 0);
	assert_int_equal(v->nrefs, 1);
	assert_string_equal(v->refs[0].name, "acme.Address");
	assert_string_equal(v->refs[0].subject, "address");
	assert_int_equal(v->refs[0].version, 1);
	/* The stored schema names the imported type. */
	assert_non_null(strstr(v->schema, "\"type\":\"Address\""));
	memset(&c, 0, sizeof(c));
	assert_int_equal(regit_registry_referenced_by(f->reg, "address", 1, 0, collect_id, &c), 0);
	assert_string_equal(c.text, "2");
	regit_registry_read_end(f->reg);
	/* Lookup includes references in the identity. */
	{
		const regit_version *found = NULL;

		regit_registry_read_begin(f->reg);
		assert_int_equal(regit_registry_lookup(f->reg, &req, 0, &found), 0);
		assert_int_equal(found->id, 2);
		regit_registry_read_end(f->reg);
	}
	/* Referenced versions cannot be deleted, soft or hard, nor their subject. */
	assert_int_equal(del_version(f->reg, "address", 1, 0, NULL), REGIT_SR_REFERENCE_EXISTS);
	assert_int_equal(del_subject(f->reg, "address", 0, NULL, 0), REGIT_SR_REFERENCE_EXISTS);
	assert_int_equal(del_version(f->reg, "person", 1, 0, NULL), 0);
	/* A soft-deleted referrer still blocks a hard delete, not a soft one. */
	assert_int_equal(del_version(f->reg, "address", 1, 0, NULL), 0);
	assert_int_equal(del_version(f->reg, "address", 1, 1, NULL), REGIT_SR_REFERENCE_EXISTS);
	/* After a restart references still resolve. */
	reopen(f);
	assert_int_equal(get_code(f->reg, "person", 1, 1, NULL), 0);
	assert_int_equal(del_version(f->reg, "person", 1, 1, NULL), 0);
	assert_int_equal(del_version(f->reg, "address", 1, 1, NULL), 0);
}

#define PROPS_AB "{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"f\",\"type\":\"int\"}]," \
	"\"b\":1,\"a\":2.50,\"aliases\":[\"Z\",\"Y\"]}"
#define PROPS_BA "{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"f\",\"type\":\"int\"}]," \
	"\"a\":2.50,\"b\":1,\"aliases\":[\"Y\",\"Z\"]}"

static void test_registry__normalize(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	regit_register_result res;
	regit_config cfg = { 0 }, out;
	int version = 0;

	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_NONE), 0);
	/* Without normalize, property order makes different schemas. */
	assert_int_equal(reg_ok(f->reg, "n", PROPS_AB, 1), 1);
	assert_int_equal(reg_ok(f->reg, "n", PROPS_BA, 2), 2);
	/* With it they are one. */
	req.subject = "m";
	req.schema = PROPS_AB;
	req.schema_len = strlen(PROPS_AB);
	req.normalize = 1;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(res.id, 2);      /* the normalized text equals PROPS_BA's */
	req.schema = PROPS_BA;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(res.existed, 1);
	assert_int_equal(lookup_code(f->reg, "m", PROPS_AB, 0, 1, &version, NULL), 0);
	assert_int_equal(version, 1);
	/* Lookup without normalize still finds a schema differing only in
	 * property order (Confluent's equality pass). */
	assert_int_equal(lookup_code(f->reg, "m", PROPS_AB, 0, 0, &version, NULL), 0);
	assert_int_equal(version, 1);
	assert_int_equal(lookup_code(f->reg, "m", USER_V1, 0, 0, NULL, NULL), REGIT_SR_SCHEMA_NOT_FOUND);
	/* "normalize" in the subject config has the same effect. */
	cfg.has_normalize = 1;
	cfg.normalize = 1;
	assert_int_equal(regit_registry_set_config(f->reg, "o", &cfg, NULL, &out), 0);
	assert_int_equal(reg_ok(f->reg, "o", PROPS_AB, 1), 2);
}

static void test_registry__bounds_and_invalid_input(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	regit_register_result res;
	char big[600];
	char longname[300];

	regit_registry_free(f->reg);
	f->reg = NULL;
	f->opts.max_schema_size = 512;
	reopen(f);
	memset(big, ' ', sizeof(big));
	memcpy(big, "\"int\"", 5);
	req.subject = "b";
	req.schema = big;
	req.schema_len = sizeof(big);
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_ELIMIT);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SCHEMA_TOO_LARGE);
	req.schema_len = 300;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(reg_schema(f->reg, "a\x01" "b", "\"int\"", NULL, NULL), REGIT_SR_INVALID_SUBJECT);
	assert_int_equal(reg_schema(f->reg, "__EMPTY", "\"int\"", NULL, NULL), REGIT_SR_INVALID_SUBJECT);
	memset(longname, 'x', sizeof(longname));
	longname[299] = '\0';
	assert_int_equal(reg_schema(f->reg, longname, "\"int\"", NULL, NULL), REGIT_SR_INVALID_SUBJECT);
	assert_int_equal(reg_schema(f->reg, "b", "{\"type\":\"record\",\"name\":\"1bad\",\"fields\":[]}",
		NULL, NULL), REGIT_SR_INVALID_SCHEMA);
	assert_int_equal(reg_schema(f->reg, "b", "not json", NULL, NULL), REGIT_SR_INVALID_SCHEMA);
	req.schema_type = "PROTOBUF";
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_EINVALID);
	assert_int_equal(regit_error_api_code(), REGIT_SR_INVALID_SCHEMA);
	req.schema_type = "avro";
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	/* An explicit version must be the next one (outside IMPORT). */
	req.schema_type = NULL;
	req.schema = "\"long\"";
	req.schema_len = 6;
	req.version = 5;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_EINVALID);
	assert_int_equal(regit_error_api_code(), REGIT_SR_INVALID_SCHEMA);
}

/* ---- the tree in git ----------------------------------------------------------------- */

static void test_registry__tree_is_readable(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	regit_register_result res;

	req.subject = "user-events-value";
	req.schema = USER_V2;
	req.schema_len = strlen(USER_V2);
	req.author = "alice";
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	reg_ok(f->reg, "../../etc/passwd", "\"int\"", 1);
	assert_string_equal(sh("git --git-dir='%s' log -1 --format=%%s --skip=1", f->store),
		"register user-events-value v1 (id 1)");
	assert_string_equal(sh("git --git-dir='%s' log -1 --format=%%an --skip=1", f->store), "alice");
	/* Pretty-printed: each field on its own line. */
	assert_string_equal(sh("git --git-dir='%s' show main:subjects/user-events-value/v1.avsc"
		" | grep -c '\"name\": *\"\\(id\\|name\\)\"'", f->store), "2");
	assert_true(atoi(sh("git --git-dir='%s' show main:subjects/user-events-value/v1.avsc | wc -l",
		f->store)) >= 4);
	assert_string_equal(sh("git --git-dir='%s' show main:subjects/user-events-value/v1.json"
		" | tr -d ' \\n' | sed 's/\"ts\":[0-9]*/TS/; s/\"seal\":\"[0-9a-f]\\{16\\}\"/SEAL/'",
		f->store),
		"{\"subject\":\"user-events-value\",\"version\":1,\"id\":1,\"deleted\":false,TS,SEAL}");
	/* The hostile name is one encoded directory. */
	assert_string_equal(sh("git --git-dir='%s' ls-tree --name-only main subjects/ | tr '\\n' ' '",
		f->store), "subjects/%2E.%2F..%2Fetc%2Fpasswd subjects/user-events-value ");
	assert_string_equal(sh("git --git-dir='%s' show main:regit.json | tr -d ' \\n'", f->store),
		"{\"format\":1,\"next_id\":3}");
	assert_string_equal(sh("git --git-dir='%s' show main:README.md | head -1", f->store),
		"# regit schema registry store");
	assert_string_equal(sh("git --git-dir='%s' fsck --strict 2>&1 && echo clean", f->store), "clean");
}

/* ---- the lint policy ("regit.lint") ------------------------------------------------- */

/* An event that lints clean with the default rules and conventions. */
#define EV_HEAD "{\"type\":\"record\",\"name\":\"UserDeleted\",\"namespace\":\"com.example\","
#define EV_DOC "\"doc\":\"A user left.\","
#define EV_FIELDS "\"regit.key\":\"user_id\",\"fields\":[" \
	"{\"name\":\"event_id\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"},\"doc\":\"Id.\"}," \
	"{\"name\":\"schema_version\",\"type\":\"int\",\"default\":1,\"doc\":\"Version.\"}," \
	"{\"name\":\"timestamp\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"},\"doc\":\"When.\"}," \
	"{\"name\":\"user_id\",\"type\":\"string\",\"doc\":\"Who.\"}"
#define EV_CORR ",{\"name\":\"correlation_id\",\"type\":\"string\",\"doc\":\"Cause.\"}"
#define EV_CLEAN EV_HEAD EV_DOC EV_FIELDS EV_CORR "]}"
/* Warnings only: the record has no doc (DOC). */
#define EV_WARN EV_HEAD EV_FIELDS EV_CORR "]}"
/* One error: no correlation_id (CORRELATION_ID); BACKWARD-compatible with EV_CLEAN. */
#define EV_ERR EV_HEAD EV_DOC EV_FIELDS "]}"

static int set_lint(regit_registry *reg, const char *subject, regit_lint_policy policy)
{
	regit_config cfg = { 0 }, out;

	cfg.has_lint = 1;
	cfg.lint = policy;
	return regit_registry_set_config(reg, subject, &cfg, NULL, &out) == 0 ? 0 : regit_error_api_code();
}

static uint64_t lint_count(regit_registry *reg, const char *rule, int error)
{
	regit_registry_stats st;
	int r = regit_lint_rule_find(rule);

	assert_true(r >= 0);
	regit_registry_stats_get(reg, &st);
	return st.lint_findings[r][error ? 1 : 0];
}

static uint64_t lint_outcome(regit_registry *reg, regit_lint_outcome o)
{
	regit_registry_stats st;

	regit_registry_stats_get(reg, &st);
	return st.lint_outcomes[o];
}

/*
 * The policy is a config member like the rules: stored in config.json,
 * merged by PUT, inherited from the global config (then the server
 * default), removed with the subject's config, kept across a restart.
 */
static void test_registry__lint_policy_config(void **state)
{
	fixture *f = *state;
	regit_config cfg = { 0 }, out;

	/* Default off: not shown, as before the policy existed. */
	assert_int_equal(regit_registry_get_config(f->reg, NULL, 0, &out), 0);
	assert_false(out.has_lint);
	assert_int_equal(set_lint(f->reg, NULL, REGIT_LINT_POLICY_WARN), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 1, &out), 0);
	assert_true(out.has_lint);
	assert_int_equal(out.lint, REGIT_LINT_POLICY_WARN);
	/* A subject's policy overrides; PUT merges with the level. */
	assert_int_equal(set_level(f->reg, "s", REGIT_LEVEL_FORWARD), 0);
	assert_int_equal(set_lint(f->reg, "s", REGIT_LINT_POLICY_ENFORCE), 0);
	assert_string_equal(sh("git --git-dir='%s' log -1 --format=%%s", f->store),
		"config s: FORWARD, lint enforce");
	assert_string_equal(sh("git --git-dir='%s' show main:subjects/s/config.json | tr -d ' \\n'",
		f->store), "{\"compatibilityLevel\":\"FORWARD\",\"lint\":\"enforce\"}");
	assert_int_equal(regit_registry_get_config(f->reg, "s", 0, &out), 0);
	assert_true(out.has_lint && out.lint == REGIT_LINT_POLICY_ENFORCE);
	assert_int_equal(out.level, REGIT_LEVEL_FORWARD);
	/* Setting it again is no commit. */
	assert_string_equal(sh("git --git-dir='%s' rev-list --count main", f->store), "3");
	assert_int_equal(set_lint(f->reg, "s", REGIT_LINT_POLICY_ENFORCE), 0);
	assert_string_equal(sh("git --git-dir='%s' rev-list --count main", f->store), "3");
	/* A restart reads it back. */
	reopen(f);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 0, &out), 0);
	assert_true(out.has_lint && out.lint == REGIT_LINT_POLICY_ENFORCE);
	/* DELETE returns it; the subject then inherits the global one. */
	assert_int_equal(regit_registry_delete_config(f->reg, "s", NULL, &out), 0);
	assert_true(out.has_lint && out.lint == REGIT_LINT_POLICY_ENFORCE);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 1, &out), 0);
	assert_true(out.has_lint && out.lint == REGIT_LINT_POLICY_WARN);
	/* The server default (regit serve --lint) shows when nothing is set. */
	assert_int_equal(regit_registry_delete_config(f->reg, NULL, NULL, &out), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 1, &out), 0);
	assert_false(out.has_lint);
	f->opts.default_lint = REGIT_LINT_POLICY_ENFORCE;
	reopen(f);
	assert_int_equal(regit_registry_get_config(f->reg, NULL, 0, &out), 0);
	assert_true(out.has_lint && out.lint == REGIT_LINT_POLICY_ENFORCE);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 1, &out), 0);
	assert_true(out.has_lint && out.lint == REGIT_LINT_POLICY_ENFORCE);
	/* ... and a config sets a weaker one. */
	cfg.has_lint = 1;
	cfg.lint = REGIT_LINT_POLICY_OFF;
	assert_int_equal(regit_registry_set_config(f->reg, "s", &cfg, NULL, &out), 0);
	assert_int_equal(regit_registry_get_config(f->reg, "s", 1, &out), 0);
	assert_true(out.has_lint && out.lint == REGIT_LINT_POLICY_OFF);
	/* Names. */
	assert_string_equal(regit_lint_policy_name(REGIT_LINT_POLICY_WARN), "warn");
	assert_int_equal(regit_lint_policy_parse("Enforce", &cfg.lint), 0);
	assert_int_equal(cfg.lint, REGIT_LINT_POLICY_ENFORCE);
	assert_int_equal(regit_lint_policy_parse("loud", &cfg.lint), REGIT_EINVALID);
	assert_int_equal(regit_lint_policy_parse(NULL, &cfg.lint), REGIT_EINVALID);
}

static void free_msgs(char **msgs)
{
	for (size_t i = 0; msgs && msgs[i]; i++)
		regit_free(msgs[i]);
	regit_free(msgs);
}

/* Does one of msgs contain both needles? */
static int msgs_have(char **msgs, const char *a, const char *b)
{
	for (size_t i = 0; msgs && msgs[i]; i++)
		if (strstr(msgs[i], a) && (!b || strstr(msgs[i], b)))
			return 1;
	return 0;
}

static void test_registry__lint_policy_on_register(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	regit_register_result res;
	char **msgs = NULL;
	int ok = 0;

	/* off (the default): nothing linted, nothing counted. */
	reg_ok(f->reg, "off", EV_ERR, 1);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_WARNED), 0);
	assert_int_equal(lint_count(f->reg, "CORRELATION_ID", 1), 0);

	/* enforce: lint errors refuse with 42201 and every finding. */
	assert_int_equal(set_lint(f->reg, "e", REGIT_LINT_POLICY_ENFORCE), 0);
	assert_int_equal(reg_schema(f->reg, "e", EV_ERR, NULL, NULL), REGIT_SR_INVALID_SCHEMA);
	assert_non_null(strstr(regit_error_message(), "lint policy (enforce)"));
	assert_non_null(strstr(regit_error_message(), "[error] CORRELATION_ID at '': "));
	assert_int_equal(get_code(f->reg, "e", 1, 0, NULL), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_REFUSED), 1);
	assert_int_equal(lint_count(f->reg, "CORRELATION_ID", 1), 1);
	/* Warnings alone do not refuse; a clean schema counts as clean. */
	reg_ok(f->reg, "e", EV_WARN, 1);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_WARNED), 1);
	assert_int_equal(lint_count(f->reg, "DOC", 0), 1);
	reg_ok(f->reg, "e", EV_CLEAN, 2);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_CLEAN), 1);
	/* An idempotent re-registration is not linted again. */
	reg_ok(f->reg, "e", EV_CLEAN, 2);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_CLEAN), 1);
	/* force=true spares the policy, as it spares compatibility. */
	req.subject = "e";
	req.schema = EV_ERR;
	req.schema_len = strlen(EV_ERR);
	req.force = 1;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(res.version, 3);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_REFUSED), 1);

	/* warn, inherited from the global config: registered, counted. */
	assert_int_equal(set_lint(f->reg, NULL, REGIT_LINT_POLICY_WARN), 0);
	reg_ok(f->reg, "w", EV_ERR, 1);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_WARNED), 2);
	assert_int_equal(lint_count(f->reg, "CORRELATION_ID", 1), 2);
	/* A subject's enforce still wins over the global warn. */
	assert_int_equal(reg_schema(f->reg, "e", EV_ERR "  ", NULL, NULL), 0);

	/* verbose compatibility lists the lint findings with the policy;
	 * is_compatible stays the compatibility verdict. */
	req.subject = "e2";
	req.force = 0;
	assert_int_equal(set_lint(f->reg, "e2", REGIT_LINT_POLICY_ENFORCE), 0);
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 0, 1, &ok, &msgs), 0);
	assert_int_equal(ok, 1);
	assert_true(msgs_have(msgs, "lintRule:'CORRELATION_ID'", "policy:'enforce', refuses:true"));
	free_msgs(msgs);
	msgs = NULL;
	req.subject = "w";
	req.schema = EV_WARN;
	req.schema_len = strlen(EV_WARN);
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 0, 1, &ok, &msgs), 0);
	assert_true(msgs_have(msgs, "lintRule:'DOC'", "severity:'warning'"));
	assert_true(msgs_have(msgs, "lintRule:'DOC'", "policy:'warn', refuses:false"));
	free_msgs(msgs);
	msgs = NULL;
	/* Under off, verbose says nothing of lint. */
	req.subject = "off";
	assert_int_equal(set_lint(f->reg, "off", REGIT_LINT_POLICY_OFF), 0);
	assert_int_equal(regit_registry_test_compat(f->reg, &req, 0, 1, &ok, &msgs), 0);
	assert_false(msgs_have(msgs, "lintRule", NULL));
	free_msgs(msgs);
	/* Checking counts nothing. */
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_WARNED), 2);
}

/* A push is held to the enforce policy of the tree it brings. */
static void test_registry__lint_policy_on_push(void **state)
{
	fixture *f = *state;
	regit_registry_stats st;
	char clone[600];

	assert_int_equal(set_lint(f->reg, "p", REGIT_LINT_POLICY_ENFORCE), 0);
	reg_ok(f->reg, "p", EV_CLEAN, 1);
	snprintf(clone, sizeof(clone), "%s/clone", f->dir);
	assert_string_equal(sh("git clone -q '%s' '%s' 2>&1 && echo ok", f->store, clone), "ok");
	/* v2 drops correlation_id: compatible, but a lint error. */
	assert_string_equal(sh("cd '%s' && printf '%%s' '" EV_ERR "' > subjects/p/v2.avsc && "
		"echo '{\"id\": 7, \"deleted\": false}' > subjects/p/v2.json && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'v2' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 0);
	assert_int_equal(st.store_rejections, 1);
	assert_non_null(strstr(st.store_message, "Version 2 of subject \"p\""));
	assert_non_null(strstr(regit_error_message(), "CORRELATION_ID"));
	assert_int_equal(get_code(f->reg, "p", 2, 0, NULL), REGIT_SR_VERSION_NOT_FOUND);
	/* The same push with the policy at warn in the pushed tree is served
	 * (pushes are not counted: a reload is not a registration). */
	assert_string_equal(sh("cd '%s' && sed -i 's/enforce/warn/' subjects/p/config.json && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'warn' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	assert_int_equal(get_id(f->reg, "p", 2), 7);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_WARNED), 0);
	/* A subject's first version is linted too (no compatibility to check),
	 * here under a policy the same push sets; an unknown value is an
	 * invalid tree. */
	assert_string_equal(sh("cd '%s' && mkdir -p subjects/n && "
		"printf '%%s' '" EV_ERR "' > subjects/n/v1.avsc && "
		"echo '{\"id\": 7, \"deleted\": false}' > subjects/n/v1.json && "
		"echo '{\"lint\": \"enforce\"}' > subjects/n/config.json && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'n' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "Version 1 of subject \"n\""));
	assert_string_equal(sh("cd '%s' && echo '{\"lint\": \"loud\"}' > subjects/n/config.json && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'n2' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "subjects/n/config.json"));
	assert_string_equal(sh("cd '%s' && echo '{\"lint\": \"off\"}' > subjects/n/config.json && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'n3' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	assert_int_equal(get_id(f->reg, "n", 1), 7);
}

/* ---- restart, concurrency, pushes ------------------------------------------------------ */

typedef struct dump {
	regit_buf out;
	regit_registry *reg;
} dump;

static int dump_version(const regit_version *v, void *payload)
{
	dump *d = payload;
	size_t i;

	regit_buf_printf(&d->out, "%s/%d id=%d del=%d ts=%lld %s refs=", v->subject, v->version,
		v->id, v->deleted, (long long)v->ts, v->schema);
	for (i = 0; i < v->nrefs; i++)
		regit_buf_printf(&d->out, "%s:%s:%d;", v->refs[i].name, v->refs[i].subject,
			v->refs[i].version);
	regit_buf_puts(&d->out, "\n");
	return 0;
}

static int dump_subject_settings(const char *subject, void *payload)
{
	dump *d = payload;
	regit_config cfg;
	regit_mode m;

	if (regit_registry_get_config(d->reg, subject, 0, &cfg) == 0)
		regit_buf_printf(&d->out, "config %s %d%d %d%d %d%d\n", subject, cfg.has_level, cfg.level,
			cfg.has_normalize, cfg.normalize, cfg.has_strict, cfg.strict);
	if (regit_registry_get_mode(d->reg, subject, 0, &m) == 0)
		regit_buf_printf(&d->out, "mode %s %s\n", subject, regit_mode_name(m));
	return 0;
}

/* Everything a client can observe, as text. */
static char *dump_state(regit_registry *reg)
{
	regit_list_filter all = { NULL, 1, 0, 0 };
	regit_registry_stats st;
	regit_config cfg;
	regit_mode m;
	dump d;
	int id;

	regit_buf_init(&d.out, 0);
	d.reg = reg;
	regit_registry_read_begin(reg);
	regit_registry_list_schemas(reg, &all, dump_version, &d);
	regit_registry_list_subjects(reg, &all, dump_subject_settings, &d);
	for (id = 1; id < 300; id++) {
		const regit_schema_entry *e;

		if (regit_registry_get_schema(reg, id, &e) == 0)
			regit_buf_printf(&d.out, "id %d %s %zu\n", id, e->schema, e->nrefs);
	}
	regit_registry_get_config(reg, NULL, 0, &cfg);
	regit_registry_get_mode(reg, NULL, 0, &m);
	regit_buf_printf(&d.out, "global %d %d %s\n", cfg.has_level, cfg.level, regit_mode_name(m));
	regit_registry_read_end(reg);
	regit_registry_stats_get(reg, &st);
	regit_buf_printf(&d.out, "stats %zu %zu %zu %s\n", st.subjects, st.schemas, st.versions, st.head);
	return regit_buf_detach(&d.out);
}

static void test_registry__restart_reloads_the_same_state(void **state)
{
	fixture *f = *state;
	regit_reference ref = { "acme.Address", "address", 1 };
	regit_register_request req = { 0 };
	regit_register_result res;
	regit_config cfg = { 0 }, out;
	char *before, *after;
	char *s[6];
	int i;

	for (i = 0; i < 6; i++)
		s[i] = user_schema(i);
	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_NONE), 0);
	for (i = 0; i < 6; i++)
		reg_ok(f->reg, i % 2 ? "odd" : "even", s[i], 0);
	reg_ok(f->reg, "odd", s[0], 4);
	reg_ok(f->reg, "address", ADDRESS, 1);
	req.subject = "person";
	req.schema = PERSON;
	req.schema_len = strlen(PERSON);
	req.refs = &ref;
	req.nrefs = 1;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), 0);
	assert_int_equal(del_version(f->reg, "even", 2, 0, NULL), 0);
	assert_int_equal(del_version(f->reg, "odd", 1, 0, NULL), 0);
	assert_int_equal(del_version(f->reg, "odd", 1, 1, NULL), 0);
	cfg.has_normalize = 1;
	cfg.normalize = 1;
	assert_int_equal(regit_registry_set_config(f->reg, "odd", &cfg, NULL, &out), 0);
	assert_int_equal(regit_registry_set_mode(f->reg, "even", REGIT_MODE_READONLY, 0, NULL), 0);
	assert_int_equal(regit_registry_set_mode(f->reg, NULL, REGIT_MODE_READWRITE, 0, NULL), 0);
	reg_ok(f->reg, "spaces and ünicode / slashes", "\"bytes\"", 1);

	before = dump_state(f->reg);
	reopen(f);
	after = dump_state(f->reg);
	assert_string_equal(before, after);
	/* And a registration after the restart continues where it left off. */
	assert_int_equal(reg_ok(f->reg, "odd", "\"double\"", 5), 10);
	regit_free(before);
	regit_free(after);
	for (i = 0; i < 6; i++)
		free(s[i]);
}

typedef struct worker {
	regit_registry *reg;
	int thread;
	int ids[20];
	int versions[20];
	int failures;
} worker;

/* Thread t registers schema (t*20+i) into subject "s<i%3>", plus a shared one. */
static void *worker_main(void *p)
{
	worker *w = p;
	int i;

	for (i = 0; i < 20; i++) {
		char subject[16];
		char *schema = i == 19 ? user_schema(999) : user_schema(w->thread * 100 + i);

		snprintf(subject, sizeof(subject), "s%d", i % 3);
		if (reg_schema(w->reg, subject, schema, &w->ids[i], &w->versions[i]) != 0)
			w->failures++;
		free(schema);
	}
	return NULL;
}

static void check_workers(worker *w, size_t nw, regit_registry *reg)
{
	int seen_version[3][200] = { { 0 } };
	int id_of_schema[1000] = { 0 };
	size_t t;
	int i, s, shared_id = 0;

	for (t = 0; t < nw; t++) {
		assert_int_equal(w[t].failures, 0);
		for (i = 0; i < 20; i++) {
			int schema = i == 19 ? 999 : w[t].thread * 100 + i;

			/* One schema, one id; two schemas, two ids. */
			if (i == 19) {
				if (!shared_id)
					shared_id = w[t].ids[i];
				assert_int_equal(w[t].ids[i], shared_id);
			} else {
				assert_int_equal(id_of_schema[schema], 0);
				id_of_schema[schema] = w[t].ids[i];
			}
			if (i != 19) {
				assert_true(w[t].versions[i] > 0 && w[t].versions[i] < 200);
				assert_int_equal(seen_version[i % 3][w[t].versions[i]], 0);
				seen_version[i % 3][w[t].versions[i]] = 1;
			}
		}
	}
	for (i = 0; i < 1000; i++) {
		int j;

		if (!id_of_schema[i])
			continue;
		assert_int_not_equal(id_of_schema[i], shared_id);
		for (j = i + 1; j < 1000; j++)
			assert_true(!id_of_schema[j] || id_of_schema[j] != id_of_schema[i]);
	}
	/* Versions are contiguous: 7 schemas per thread per subject s0 (i%3==0 has 7). */
	for (s = 0; s < 3; s++) {
		collect c;
		int n = 0, k;

		memset(&c, 0, sizeof(c));
		regit_registry_read_begin(reg);
		{
			char subject[8];

			snprintf(subject, sizeof(subject), "s%d", s);
			assert_int_equal(regit_registry_list_versions(reg, subject, NULL, collect_version, &c), 0);
		}
		regit_registry_read_end(reg);
		for (k = 1; k < 200; k++)
			n += seen_version[s][k];
		/* s1 also holds the shared schema once. */
		if (s == 1)
			n++;
		{
			char want[1024];
			size_t used = 0;

			want[0] = '\0';
			for (k = 1; k <= n; k++)
				used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%d", k > 1 ? "," : "", k);
			assert_string_equal(c.text, want);
		}
	}
}

static void test_registry__concurrent_registration(void **state)
{
	fixture *f = *state;
	pthread_t th[8];
	worker w[8];
	char *before, *after;
	int i;

	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_NONE), 0);
	for (i = 0; i < 8; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].reg = f->reg;
		w[i].thread = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	check_workers(w, 8, f->reg);
	before = dump_state(f->reg);
	reopen(f);
	after = dump_state(f->reg);
	assert_string_equal(before, after);
	regit_free(before);
	regit_free(after);
}

/*
 * Group commit runs every queued registration on the leader's thread: each
 * caller must still get its own outcome (code and message) in its own
 * thread's last error, whichever thread planned it.
 */
typedef struct err_worker {
	regit_registry *reg;
	int thread;
	int wrong;          /* failures that did not carry this thread's error */
	int failed;         /* incompatible registrations refused */
} err_worker;

static void *err_worker_main(void *p)
{
	err_worker *w = p;
	char subject[32], want[64];
	int i, rc;

	snprintf(subject, sizeof(subject), "e%d", w->thread);
	snprintf(want, sizeof(want), "for subject \"%s\"", subject);
	for (i = 0; i < 30; i++) {
		if (i % 2) {
			char other[32];
			char *schema = user_schema(w->thread * 100 + i);

			snprintf(other, sizeof(other), "ok%d-%d", w->thread, i);
			if (reg_schema(w->reg, other, schema, NULL, NULL) != 0)
				w->wrong++;
			free(schema);
			continue;
		}
		rc = reg_schema(w->reg, subject, USER_REQ, NULL, NULL);
		/* (reg_schema answers the Confluent code) */
		if (rc == REGIT_SR_INCOMPATIBLE && regit_error_api_code() == REGIT_SR_INCOMPATIBLE &&
		    strstr(regit_error_message(), want))
			w->failed++;
		else
			w->wrong++;
	}
	return NULL;
}

static void test_registry__group_commit_errors_reach_their_callers(void **state)
{
	fixture *f = *state;
	pthread_t th[8];
	err_worker w[8];
	char subject[32];
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(subject, sizeof(subject), "e%d", i);
		assert_int_equal(reg_schema(f->reg, subject, USER_V1, NULL, NULL), 0);
	}
	for (i = 0; i < 8; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].reg = f->reg;
		w[i].thread = i;
		assert_int_equal(pthread_create(&th[i], NULL, err_worker_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 8; i++) {
		assert_int_equal(w[i].wrong, 0);
		assert_int_equal(w[i].failed, 15);
	}
}

static void test_registry__two_instances_like_two_processes(void **state)
{
	fixture *f = *state;
	regit_registry *other = NULL;
	pthread_t th[8];
	worker w[8];
	char *a, *b;
	int i;

	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_NONE), 0);
	assert_int_equal(regit_registry_open(&other, &f->opts), 0);
	/* Stale instance: "other" has not seen the config; its write reloads first. */
	for (i = 0; i < 8; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].reg = i % 2 ? other : f->reg;
		w[i].thread = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	/* Both converge on the same state once refreshed. */
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	assert_int_equal(regit_registry_refresh(other), 0);
	check_workers(w, 8, f->reg);
	a = dump_state(f->reg);
	b = dump_state(other);
	assert_string_equal(a, b);
	regit_free(a);
	regit_free(b);
	regit_registry_free(other);
}

static void test_registry__lost_race_rechecks_compatibility(void **state)
{
	fixture *f = *state;
	regit_registry *other = NULL;
	const regit_version *v;

	assert_int_equal(regit_registry_open(&other, &f->opts), 0);
	reg_ok(other, "race", "\"string\"", 1);
	/* f->reg still believes "race" is empty: its commit loses, it reloads,
	 * and the new latest (string) makes "int" incompatible. */
	assert_int_equal(reg_schema(f->reg, "race", "\"int\"", NULL, NULL), REGIT_SR_INCOMPATIBLE);
	assert_int_equal(get_code(f->reg, "race", 1, 0, &v), 0);
	/* And a compatible one gets version 2, not 1. */
	reg_ok(f->reg, "race", "[\"string\",\"null\"]", 0);
	assert_int_equal(get_id(other, "race", 2), -1);
	assert_int_equal(regit_registry_refresh(other), 0);
	assert_int_equal(get_id(other, "race", 2), 2);
	regit_registry_free(other);
}

/* A registration re-planned after a lost race is linted again (the policy
 * may have changed) but counted and warned once. */
static void test_registry__lost_race_counts_lint_once(void **state)
{
	fixture *f = *state;
	regit_registry *other = NULL;

	assert_int_equal(set_lint(f->reg, NULL, REGIT_LINT_POLICY_WARN), 0);
	assert_int_equal(regit_registry_open(&other, &f->opts), 0);
	reg_ok(other, "elsewhere", "\"string\"", 1);
	/* f->reg's first plan is made on the head before other's commit: it
	 * loses the compare-and-swap, reloads and plans again. */
	reg_ok(f->reg, "w", EV_ERR, 1);
	assert_int_equal(get_id(f->reg, "elsewhere", 1), 1);
	assert_int_equal(lint_outcome(f->reg, REGIT_LINT_OUTCOME_WARNED), 1);
	assert_int_equal(lint_count(f->reg, "CORRELATION_ID", 1), 1);
	regit_registry_free(other);
}

static void test_registry__direct_push_and_refresh(void **state)
{
	fixture *f = *state;
	regit_registry_stats st;
	char clone[600];
	uint64_t gen;

	reg_ok(f->reg, "p", USER_V1, 1);
	snprintf(clone, sizeof(clone), "%s/clone", f->dir);
	assert_string_equal(sh("git clone -q '%s' '%s' 2>&1 && echo ok", f->store, clone), "ok");
	/* A valid push: a new version 2 written by hand (a doc added: another
	 * schema, compatible with v1, as the policy requires of pushes too). */
	assert_string_equal(sh("cd '%s' && cp subjects/p/v1.avsc subjects/p/v2.avsc && "
		"sed 's/\"version\": 1/\"version\": 2/; s/\"id\": 1/\"id\": 7/' subjects/p/v1.json > subjects/p/v2.json && "
		"sed -i 's/\"User\"/\"User\", \"doc\": \"pushed\"/' subjects/p/v2.avsc && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'add v2' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	gen = regit_registry_generation(f->reg);
	assert_int_equal(get_code(f->reg, "p", 2, 0, NULL), REGIT_SR_VERSION_NOT_FOUND);
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	assert_true(regit_registry_generation(f->reg) != gen);
	assert_int_equal(get_id(f->reg, "p", 2), 7);
	/* Ids continue above the pushed one. */
	assert_int_equal(reg_ok(f->reg, "q", "\"int\"", 1), 8);

	/* An incompatible push (v3 renames the record: BACKWARD refuses it, as it
	 * would refuse registering it) is reported and not served. */
	assert_string_equal(sh("cd '%s' && git pull -q 2>&1 && cp subjects/p/v1.avsc subjects/p/v3.avsc && "
		"echo '{\"id\": 20, \"deleted\": false}' > subjects/p/v3.json && "
		"sed -i 's/\"User\"/\"Other\"/' subjects/p/v3.avsc && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'incompatible v3' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	assert_int_equal(regit_error_api_code(), REGIT_SR_STORE_ERROR);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 0);
	assert_int_equal(st.store_rejections, 1);
	assert_non_null(strstr(st.store_message, "Version 3 of subject \"p\""));
	assert_non_null(strstr(st.store_message, "incompatible"));
	assert_int_equal(get_code(f->reg, "p", 3, 0, NULL), REGIT_SR_VERSION_NOT_FOUND);
	/* Asked again without a new push: still refused, not re-checked as good. */
	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	assert_string_equal(sh("cd '%s' && git -c user.name=bob -c user.email=b@x revert --no-edit HEAD >/dev/null && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 1);

	/* An invalid push (id 7 reused for a different schema) is reported and not served. */
	assert_string_equal(sh("cd '%s' && git pull -q 2>&1 && mkdir -p subjects/r && "
		"echo '\"long\"' > subjects/r/v1.avsc && "
		"echo '{\"id\": 7, \"deleted\": false}' > subjects/r/v1.json && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'bad' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	assert_int_equal(regit_error_api_code(), REGIT_SR_STORE_ERROR);
	assert_non_null(strstr(regit_error_message(), "subjects/r/v1.json"));
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 0);
	assert_non_null(strstr(st.store_message, "id 7"));
	/* The old index is still served; writes are refused rather than built on it. */
	assert_int_equal(get_id(f->reg, "p", 2), 7);
	assert_int_equal(get_code(f->reg, "r", 1, 0, NULL), REGIT_SR_SUBJECT_NOT_FOUND);
	assert_int_equal(reg_schema(f->reg, "q", "[\"int\",\"null\"]", NULL, NULL), REGIT_SR_STORE_ERROR);
	/* Fixing it with another push heals the registry. */
	assert_string_equal(sh("cd '%s' && sed -i 's/\"id\": 7/\"id\": 9/' subjects/r/v1.json && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'fix' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 1);
	assert_int_equal(get_id(f->reg, "r", 1), 9);
	/* A bad head that lands while no registry runs: the restart serves
	 * what was served (refs/regit/served) and reports the head. */
	assert_string_equal(sh("cd '%s' && echo 'garbage' > subjects/r/v1.json && "
		"git add -A && git -c user.name=bob -c user.email=b@x commit -qm 'bad2' && "
		"git push -q origin HEAD:main 2>&1 && echo ok", clone), "ok");
	regit_registry_free(f->reg);
	f->reg = NULL;
	assert_int_equal(regit_registry_open(&f->reg, &f->opts), 0);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 0);
	assert_non_null(strstr(st.store_message, "subjects/r/v1.json"));
	assert_int_equal(get_id(f->reg, "r", 1), 9);
	assert_int_equal(reg_schema(f->reg, "q", "[\"int\",\"null\"]", NULL, NULL), REGIT_SR_STORE_ERROR);
	/* Without a served ref (a store no registry served yet) the head is
	 * all there is: a bad one fails loudly instead of serving half a tree. */
	regit_registry_free(f->reg);
	f->reg = NULL;
	assert_string_equal(sh("git --git-dir='%s' update-ref -d refs/regit/served && echo ok",
		f->store), "ok");
	assert_int_equal(regit_registry_open(&f->reg, &f->opts), REGIT_EINVALID);
	assert_int_equal(regit_error_api_code(), REGIT_SR_STORE_ERROR);
	assert_null(f->reg);
}

/*
 * A cold start of a larger tree: more versions than the parallel build's
 * threshold, many .avsc blobs shared between subjects (parsed once), a
 * version with references whose blob another version with the same
 * references shares, and - in a second commit - two broken schemas, of
 * which the first in tree order is the one reported whichever thread
 * parsed it.
 */
static void big_put(regit_store_change *c, char **paths, size_t *n, const char *path,
	const char *text)
{
	paths[*n] = strdup(path);
	c[*n].path = paths[*n];
	c[*n].data = text;
	c[*n].len = strlen(text);
	c[*n].remove = 0;
	(*n)++;
}

static void test_registry__cold_start_parallel_and_shared_blobs(void **state)
{
	fixture *f = *state;
	enum { NS = 300 };
	static char texts[NS * 2 + 4][256];
	regit_store_change *c = calloc(NS * 4 + 16, sizeof(*c));
	char **paths = calloc(NS * 4 + 16, sizeof(*paths));
	regit_store *store = NULL;
	regit_registry_options opts = f->opts;
	regit_registry *reg = NULL;
	regit_registry_stats st;
	const regit_version *v1 = NULL, *v2 = NULL;
	char big[600], path[128], head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX];
	const char *avsc_ref = "{\"type\": \"record\", \"name\": \"P\", \"fields\": "
		"[{\"name\": \"a\", \"type\": \"bench.T0\"}]}\n";
	const char *meta_ref = "{\"id\": 5000, \"references\": [{\"name\": \"bench.T0\", "
		"\"subject\": \"s-0\", \"version\": 1}]}\n";
	size_t n = 0, i, t = 0;

	assert_non_null(c);
	assert_non_null(paths);
	snprintf(big, sizeof(big), "%s/big.git", f->dir);
	assert_int_equal(regit_store_open(&store, big, NULL), 0);
	for (i = 0; i < NS; i++) {
		/* v1: one of 50 schemas (ids shared like the registry does), v2: its own. */
		snprintf(texts[t], sizeof(texts[t]), "{\n  \"type\": \"record\",\n  \"name\": "
			"\"T%zu\",\n  \"namespace\": \"bench\",\n  \"fields\": []\n}\n", i % 50);
		snprintf(path, sizeof(path), "subjects/s-%zu/v1.avsc", i);
		big_put(c, paths, &n, path, texts[t++]);
		snprintf(texts[t], sizeof(texts[t]), "{\"id\": %zu}\n", 1 + i % 50);
		snprintf(path, sizeof(path), "subjects/s-%zu/v1.json", i);
		big_put(c, paths, &n, path, texts[t++]);
	}
	for (i = 0; i < NS; i++) {
		static char v2[NS][128], m2[NS][64];

		snprintf(v2[i], sizeof(v2[i]), "{\"type\": \"fixed\", \"name\": \"F%zu\", \"size\": %zu}",
			i, i + 1);
		snprintf(path, sizeof(path), "subjects/s-%zu/v2.avsc", i);
		big_put(c, paths, &n, path, v2[i]);
		snprintf(m2[i], sizeof(m2[i]), "{\"id\": %zu, \"deleted\": %s}", 1000 + i,
			i % 7 ? "false" : "true");
		snprintf(path, sizeof(path), "subjects/s-%zu/v2.json", i);
		big_put(c, paths, &n, path, m2[i]);
	}
	big_put(c, paths, &n, "subjects/person/v1.avsc", avsc_ref);
	big_put(c, paths, &n, "subjects/person/v1.json", meta_ref);
	big_put(c, paths, &n, "subjects/person2/v1.avsc", avsc_ref);
	big_put(c, paths, &n, "subjects/person2/v1.json", meta_ref);
	/* Metadata in other shapes than regit writes (the quick reader hands
	 * these to jansson): another key, an escaped subject, a negative ts. */
	big_put(c, paths, &n, "subjects/odd/v1.avsc", "\"int\"");
	big_put(c, paths, &n, "subjects/odd/v1.json",
		"{ \"note\" : \"x\", \"id\":4000,\"subject\":\"\\u006fdd\",\"ts\":-5}");
	big_put(c, paths, &n, "regit.json", "{\"format\": 1, \"next_id\": 6000}\n");
	assert_int_equal(regit_store_commit(head, store, "", c, n, "big", NULL), 0);

	opts.store_path = big;
	if (regit_registry_open(&reg, &opts) != 0)
		fail_msg("open: %s", regit_error_message());
	regit_registry_stats_get(reg, &st);
	assert_int_equal(st.versions, NS * 2 + 3);
	assert_int_equal(st.subjects, NS + 3);
	/* 50 shared v1 schemas, 300 fixed ones, one with references, "int". */
	assert_int_equal(st.schemas, 50 + NS + 2);
	regit_registry_read_begin(reg);
	assert_int_equal(regit_registry_get_version(reg, "s-7", 1, 1, &v1), 0);
	assert_int_equal(regit_registry_get_version(reg, "s-257", 1, 1, &v2), 0);
	assert_int_equal(v1->id, 8);
	assert_int_equal(v2->id, 8);
	assert_string_equal(v1->schema, "{\"type\":\"record\",\"name\":\"T7\",\"namespace\":\"bench\",\"fields\":[]}");
	assert_string_equal(v1->schema, v2->schema);
	assert_int_equal(regit_registry_get_version(reg, "s-299", 2, 1, &v2), 0);
	assert_string_equal(v2->schema, "{\"type\":\"fixed\",\"name\":\"F299\",\"size\":300}");
	assert_int_equal(v2->deleted, 0);
	assert_int_equal(regit_registry_get_version(reg, "s-294", 2, 1, &v2), 0);
	assert_int_equal(v2->deleted, 1);
	assert_int_equal(regit_registry_get_version(reg, "person2", 1, 1, &v2), 0);
	assert_int_equal(v2->id, 5000);
	assert_int_equal(v2->nrefs, 1);
	assert_non_null(strstr(v2->schema, "bench.T0"));
	assert_int_equal(regit_registry_get_version(reg, "odd", 1, 1, &v2), 0);
	assert_int_equal(v2->id, 4000);
	assert_true(v2->ts == -5);
	regit_registry_read_end(reg);
	regit_registry_free(reg);
	reg = NULL;

	/* Two broken files: the first in tree order is named. */
	for (i = 0; i < n; i++)
		free(paths[i]);
	n = 0;
	big_put(c, paths, &n, "subjects/s-100/v2.avsc", "{\"type\": \"nope\"}");
	big_put(c, paths, &n, "subjects/s-200/v1.avsc", "{\"type\": \"record\"}");
	assert_int_equal(regit_store_commit(out, store, head, c, n, "break", NULL), 0);
	/* (with no served head to fall back to) */
	assert_string_equal(sh("git --git-dir='%s' update-ref -d refs/regit/served && echo ok",
		big), "ok");
	assert_int_equal(regit_registry_open(&reg, &opts), REGIT_EINVALID);
	assert_null(reg);
	assert_non_null(strstr(regit_error_message(), "subjects/s-100/v2.avsc"));
	for (i = 0; i < n; i++)
		free(paths[i]);
	/* A duplicate key in a metadata file is refused, as jansson does. */
	n = 0;
	big_put(c, paths, &n, "subjects/s-100/v2.avsc", "\"long\"");
	big_put(c, paths, &n, "subjects/s-200/v1.avsc", "\"long\"");
	big_put(c, paths, &n, "subjects/s-150/v1.json", "{\"id\": 1, \"id\": 1}");
	assert_int_equal(regit_store_commit(head, store, out, c, n, "dup", NULL), 0);
	assert_int_equal(regit_registry_open(&reg, &opts), REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "subjects/s-150/v1.json"));
	for (i = 0; i < n; i++)
		free(paths[i]);
	regit_store_free(store);
	free(paths);
	free(c);
}

/*
 * A deep reference graph (issue #17): DEEP_LAYERS x DEEP_WIDTH subjects
 * "deep-L-I", each of layer L > 0 referencing every subject of layer
 * L - 1 and using its record as a field. Reads must answer as before, and
 * must not parse everything a schema reaches again for every request:
 * reads of deep-3-0 (24 schemas below it) may not cost much more than the
 * same reads of deep-1-0 (8 below it), counted in allocations (a parse of
 * a referenced schema takes dozens; before the memo it was 3 times as many).
 */
#define DEEP_LAYERS 4
#define DEEP_WIDTH 8

static void deep_schema(regit_buf *text, regit_reference *refs, int layer, int i,
	const char *extra)
{
	int j;

	regit_buf_clear(text);
	regit_buf_printf(text, "{\"type\":\"record\",\"name\":\"T%d_%d\",\"namespace\":\"deep\","
		"\"fields\":[", layer, i);
	if (layer == 0)
		regit_buf_puts(text, "{\"name\":\"id\",\"type\":\"long\"}");
	for (j = 0; layer > 0 && j < DEEP_WIDTH; j++) {
		char *name = malloc(32), *subject = malloc(32);

		assert_true(name && subject);
		snprintf(name, 32, "deep.T%d_%d", layer - 1, j);
		snprintf(subject, 32, "deep-%d-%d", layer - 1, j);
		refs[j].name = name;
		refs[j].subject = subject;
		refs[j].version = 1;
		regit_buf_printf(text, "%s{\"name\":\"f%d\",\"type\":\"deep.T%d_%d\"}", j ? "," : "",
			j, layer - 1, j);
	}
	regit_buf_printf(text, "%s]}", extra);
}

static void deep_refs_free(regit_reference *refs)
{
	int j;

	for (j = 0; j < DEEP_WIDTH; j++) {
		free((char *)refs[j].name);
		free((char *)refs[j].subject);
	}
}

/*
 * Lookup (found and not), compatibility and resolved reads of deep-L-0
 * (layer > 0) with id want_id; returns the allocations they made.
 */
static unsigned long deep_reads(regit_registry *reg, int layer, int want_id,
	const char *want_in_resolved)
{
	regit_reference refs[DEEP_WIDTH];
	regit_register_request r = { 0 }, *req = &r, other;
	const regit_version *v = NULL;
	regit_buf out = REGIT_BUF_INIT, text = REGIT_BUF_INIT;
	unsigned long before;
	char name[64], subject[32], sibling[32];
	int compatible = 0, l, i;

	deep_schema(&text, refs, layer, 0, "");
	snprintf(subject, sizeof(subject), "deep-%d-0", layer);
	snprintf(sibling, sizeof(sibling), "deep-%d-1", layer);
	r.subject = subject;
	r.schema = text.ptr;
	r.schema_len = text.size;
	r.refs = refs;
	r.nrefs = DEEP_WIDTH;
	other = r;
	other.subject = sibling;
	before = regit_alloc_count();
	regit_registry_read_begin(reg);
	assert_int_equal(regit_registry_lookup(reg, req, 0, &v), 0);
	assert_int_equal(v->id, want_id);
	/* The same schema under another subject of the layer is not there. */
	assert_int_equal(regit_registry_lookup(reg, &other, 0, &v), REGIT_ENOTFOUND);
	assert_int_equal(regit_error_api_code(), REGIT_SR_SCHEMA_NOT_FOUND);
	regit_registry_read_end(reg);
	assert_int_equal(regit_registry_test_compat(reg, req, REGIT_VERSION_LATEST, 0, &compatible,
		NULL), 0);
	assert_true(compatible);
	assert_int_equal(regit_registry_schema_resolved(reg, want_id, &out), 0);
	before = regit_alloc_count() - before;
	/* Self-contained: every record of the graph below written out once. */
	for (l = 0; l < layer; l++) {
		for (i = 0; i < DEEP_WIDTH; i++) {
			const char *at;

			snprintf(name, sizeof(name), "\"name\":\"T%d_%d\"", l, i);
			at = strstr(out.ptr, name);
			assert_non_null(at);
			assert_null(strstr(at + 1, name));
		}
	}
	if (want_in_resolved)
		assert_non_null(strstr(out.ptr, want_in_resolved));
	regit_buf_dispose(&out);
	regit_buf_dispose(&text);
	deep_refs_free(refs);
	return before;
}

/* The fewest allocations of a few rounds of deep_reads (other threads may allocate). */
static unsigned long deep_reads_least(regit_registry *reg, int layer, int want_id)
{
	unsigned long least = (unsigned long)-1, n;
	int k;

	for (k = 0; k < 4; k++) {
		n = deep_reads(reg, layer, want_id, NULL);
		if (n < least)
			least = n;
	}
	return least;
}

typedef struct deep_reader {
	regit_registry *reg;
	int id;
} deep_reader;

static void *deep_reader_main(void *arg)
{
	deep_reader *d = arg;

	for (int k = 0; k < 3; k++)
		deep_reads(d->reg, DEEP_LAYERS - 1, d->id, "\"id\"");
	return NULL;
}

static void test_registry__deep_references(void **state)
{
	fixture *f = *state;
	regit_reference refs[DEEP_WIDTH];
	regit_register_request req = { 0 };
	regit_register_result res;
	regit_buf text = REGIT_BUF_INIT;
	regit_store *store = NULL;
	regit_store_change change;
	char subject[32], head[REGIT_STORE_OID_HEX], newhead[REGIT_STORE_OID_HEX];
	unsigned long low, top;
	int l, i, top_id = 0, k, compatible = 1;
	pthread_t th[4];
	deep_reader rd;

	for (l = 0; l < DEEP_LAYERS; l++) {
		for (i = 0; i < DEEP_WIDTH; i++) {
			snprintf(subject, sizeof(subject), "deep-%d-%d", l, i);
			deep_schema(&text, refs, l, i, "");
			req.subject = subject;
			req.schema = text.ptr;
			req.schema_len = text.size;
			req.refs = l ? refs : NULL;
			req.nrefs = l ? DEEP_WIDTH : 0;
			if (regit_registry_register(f->reg, &req, &res) != 0)
				fail_msg("register %s: %d %s", subject, regit_error_api_code(), regit_error_message());
			if (l)
				deep_refs_free(refs);
		}
	}
	/* Ids were given in order: deep-L-0 has id L * DEEP_WIDTH + 1. */
	top_id = res.id - DEEP_WIDTH + 1;
	assert_int_equal(top_id, (DEEP_LAYERS - 1) * DEEP_WIDTH + 1);
	low = deep_reads_least(f->reg, 1, DEEP_WIDTH + 1);
	top = deep_reads_least(f->reg, DEEP_LAYERS - 1, top_id);
	print_message("allocations of the reads: %lu reaching 24 schemas, %lu reaching 8\n", top, low);
	if (top > low + low / 2)
		fail_msg("reads reaching 24 schemas made %lu allocations, reaching 8: %lu", top, low);

	/* The request below: deep-3-0's schema as registered. */
	deep_schema(&text, refs, DEEP_LAYERS - 1, 0, "");
	req.subject = "deep-3-0";
	req.schema = text.ptr;
	req.schema_len = text.size;
	req.refs = refs;
	req.nrefs = DEEP_WIDTH;

	/* An incompatible change is still seen through the references. */
	{
		regit_buf bad = REGIT_BUF_INIT;
		regit_register_request breq = req;

		regit_buf_puts(&bad, text.ptr);
		bad.size -= 2;
		regit_buf_puts(&bad, ",{\"name\":\"req\",\"type\":\"deep.T0_0\"}]}");
		breq.schema = bad.ptr;
		breq.schema_len = bad.size;
		assert_int_equal(regit_registry_test_compat(f->reg, &breq, REGIT_VERSION_LATEST, 0,
			&compatible, NULL), 0);
		assert_false(compatible);
		regit_buf_dispose(&bad);
	}

	/* A push that changes a referenced schema in place (deep-0-0 gets a
	 * field) is refused: id 1 keeps its text. Reads keep the served
	 * state, from every thread at once; resetting the branch heals. */
	assert_int_equal(regit_store_open(&store, f->store, NULL), 0);
	assert_int_equal(regit_store_head(store, head), 0);
	memset(&change, 0, sizeof(change));
	change.path = "subjects/deep-0-0/v1.avsc";
	change.data = "{\"type\":\"record\",\"name\":\"T0_0\",\"namespace\":\"deep\",\"fields\":["
		"{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"extra\",\"type\":\"int\"}]}";
	change.len = strlen(change.data);
	assert_int_equal(regit_store_commit(newhead, store, head, &change, 1, "push", NULL), 0);
	regit_store_free(store);
	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "changed its schema"));
	assert_string_equal(sh("git --git-dir='%s' update-ref refs/heads/main %s && echo ok",
		f->store, head), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	rd.reg = f->reg;
	rd.id = top_id;
	for (k = 0; k < 4; k++)
		assert_int_equal(pthread_create(&th[k], NULL, deep_reader_main, &rd), 0);
	for (k = 0; k < 4; k++)
		pthread_join(th[k], NULL);

	/* Pushed versions with references are checked on reload (their
	 * references' parses shared by the checks): deep-1-0 v2 with an
	 * optional field is served, v3 with a required one is refused. */
	for (k = 2; k <= 3; k++) {
		regit_store_change push[2];
		regit_buf avsc = REGIT_BUF_INIT, meta = REGIT_BUF_INIT;
		char apath[64], mpath[64];
		int j;

		deep_refs_free(refs);
		deep_schema(&avsc, refs, 1, 0, "");
		avsc.size -= 2;    /* "]}": more fields follow */
		regit_buf_puts(&avsc, k == 2 ? ",{\"name\":\"opt\",\"type\":\"int\",\"default\":0}]}" :
			",{\"name\":\"opt\",\"type\":\"int\",\"default\":0},{\"name\":\"req\",\"type\":\"int\"}]}");
		regit_buf_printf(&meta, "{\"subject\": \"deep-1-0\", \"version\": %d, \"id\": %d, "
			"\"deleted\": false, \"ts\": 0, \"references\": [", k, 1000 + k);
		for (j = 0; j < DEEP_WIDTH; j++)
			regit_buf_printf(&meta, "%s{\"name\": \"deep.T0_%d\", \"subject\": \"deep-0-%d\", "
				"\"version\": 1}", j ? ", " : "", j, j);
		regit_buf_puts(&meta, "]}");
		snprintf(apath, sizeof(apath), "subjects/deep-1-0/v%d.avsc", k);
		snprintf(mpath, sizeof(mpath), "subjects/deep-1-0/v%d.json", k);
		memset(push, 0, sizeof(push));
		push[0].path = apath;
		push[0].data = avsc.ptr;
		push[0].len = avsc.size;
		push[1].path = mpath;
		push[1].data = meta.ptr;
		push[1].len = meta.size;
		assert_int_equal(regit_store_open(&store, f->store, NULL), 0);
		assert_int_equal(regit_store_head(store, head), 0);
		assert_int_equal(regit_store_commit(newhead, store, head, push, 2, "push", NULL), 0);
		regit_store_free(store);
		if (k == 2) {
			assert_int_equal(regit_registry_refresh(f->reg), 0);
			assert_int_equal(get_id(f->reg, "deep-1-0", 2), 1002);
		} else {
			assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
			assert_non_null(strstr(regit_error_message(), "Version 3 of subject \"deep-1-0\""));
		}
		regit_buf_dispose(&avsc);
		regit_buf_dispose(&meta);
	}
	deep_refs_free(refs);
	regit_buf_dispose(&text);
}

static void test_registry__read_sections_and_generation(void **state)
{
	fixture *f = *state;
	regit_register_request req = { 0 };
	regit_register_result res;
	const regit_version *v = NULL;
	uint64_t g0 = regit_registry_generation(f->reg);

	reg_ok(f->reg, "g", "\"int\"", 1);
	assert_true(regit_registry_generation(f->reg) > g0);
	/* Writes inside a read section are refused instead of deadlocking. */
	regit_registry_read_begin(f->reg);
	req.subject = "g";
	req.schema = "\"int\"";
	req.schema_len = 5;
	assert_int_equal(regit_registry_register(f->reg, &req, &res), REGIT_EIO);
	/* Getters work with or without a section. */
	assert_int_equal(regit_registry_get_version(f->reg, "g", 1, 0, &v), 0);
	regit_registry_read_end(f->reg);
	{
		regit_config cfg;

		assert_int_equal(regit_registry_get_config(f->reg, NULL, 0, &cfg), 0);
	}
}

static void test_registry__startup_cache_is_checked(void **state)
{
	fixture *f = *state;
	char *before, *after;
	char path[600];
	FILE *fp;

	assert_int_equal(set_level(f->reg, NULL, REGIT_LEVEL_NONE), 0);
	reg_ok(f->reg, "c1", USER_V1, 1);
	reg_ok(f->reg, "c1", USER_V2, 2);
	reg_ok(f->reg, "c2", "\"string\"", 1);
	before = dump_state(f->reg);
	reopen(f);    /* writes the cache on free, reads it on open */
	snprintf(path, sizeof(path), "%s/regit-cache", f->store);
	assert_non_null(fp = fopen(path, "rb"));
	fclose(fp);
	after = dump_state(f->reg);
	assert_string_equal(before, after);
	regit_free(after);

	/* A cache that lies (valid checksum, wrong text) is caught by the
	 * spot-check and ignored: the index comes from the tree. */
	regit_registry_free(f->reg);
	f->reg = NULL;
	assert_string_equal(sh("python3 - '%s' <<'PY'\n"
		"import struct, sys\n"
		"p = sys.argv[1]\n"
		"d = bytearray(open(p, 'rb').read()[:-8])\n"
		"i = d.find(b'\"string\"')\n"
		"d[i:i+8] = b'\"strinG\"'\n"
		"h, M, n = 0xcbf29ce484222325, 0xffffffffffffffff, len(d) // 8 * 8\n"
		"for i in range(0, n, 8):\n"
		"    h = ((h ^ struct.unpack_from('=Q', d, i)[0]) * 0x100000001b3) & M\n"
		"    h ^= h >> 29\n"
		"for b in d[n:]:\n"
		"    h = ((h ^ b) * 0x100000001b3) & M\n"
		"open(p, 'wb').write(bytes(d) + struct.pack('=Q', h))\n"
		"print('ok')\n"
		"PY", path), "ok");
	reopen(f);
	after = dump_state(f->reg);
	assert_string_equal(before, after);
	regit_free(after);
	/* A corrupt one is ignored too. */
	regit_registry_free(f->reg);
	f->reg = NULL;
	assert_string_equal(sh("printf 'garbage' > '%s' && echo ok", path), "ok");
	reopen(f);
	after = dump_state(f->reg);
	assert_string_equal(before, after);
	regit_free(after);
	regit_free(before);
}

/*
 * The store directory is writable by whoever may push to it. A symlink
 * planted under the cache's old temporary name ("regit-cache.<pid>") made
 * the server truncate and overwrite its target (an --auth file, a TLS key);
 * one named regit-cache was followed on load. Neither may be touched, and
 * the cache must still work.
 */
static void test_registry__startup_cache_ignores_planted_symlinks(void **state)
{
	fixture *f = *state;
	char victim[600], planted[700], cache[600], *before, *after;
	char buf[64] = { 0 };
	struct stat st;
	FILE *fp;
	int pid;

	reg_ok(f->reg, "c1", USER_V1, 1);
	before = dump_state(f->reg);
	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	assert_non_null(fp = fopen(victim, "w"));
	fputs("secret key", fp);
	fclose(fp);
	/* This process writes the cache; cover its pid and a few around it. */
	for (pid = (int)getpid() - 2; pid <= (int)getpid() + 2; pid++) {
		snprintf(planted, sizeof(planted), "%s/regit-cache.%d", f->store, pid);
		assert_int_equal(symlink(victim, planted), 0);
	}
	snprintf(cache, sizeof(cache), "%s/regit-cache", f->store);
	unlink(cache);
	assert_int_equal(symlink(victim, cache), 0);

	reopen(f);    /* loads (must not follow regit-cache), writes on free... */
	reopen(f);    /* ...and this open reads what was written */
	assert_non_null(fp = fopen(victim, "r"));
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "secret key");
	/* The cache is a regular file again (rename replaced the link). */
	assert_int_equal(lstat(cache, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(st.st_size > 20);
	snprintf(planted, sizeof(planted), "%s/regit-cache.%d", f->store, (int)getpid());
	assert_int_equal(lstat(planted, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	after = dump_state(f->reg);
	assert_string_equal(before, after);
	regit_free(after);
	regit_free(before);
}

/* ---- the ledger (issue #12) ------------------------------------------------ */

/* Commit changes on top of the branch head behind the registry's back. */
static void ledger_push(fixture *f, const regit_store_change *c, size_t n, char out[REGIT_STORE_OID_HEX])
{
	regit_store *store = NULL;
	char head[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_open(&store, f->store, NULL), 0);
	assert_int_equal(regit_store_head(store, head), 0);
	assert_int_equal(regit_store_commit(out, store, head, c, n, "push", "bob"), 0);
	regit_store_free(store);
}

/* The registry refuses the head, keeps serving, refuses writes; a reset heals. */
static void ledger_refused(fixture *f, const char *served, const char *why)
{
	regit_registry_stats st;

	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	assert_int_equal(regit_error_api_code(), REGIT_SR_STORE_ERROR);
	if (!strstr(regit_error_message(), why))
		fail_msg("expected '%s' in '%s'", why, regit_error_message());
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 0);
	assert_string_equal(st.head, served);
	assert_non_null(strstr(st.store_message, why));
	assert_int_equal(get_id(f->reg, "b", 1), 2);
	assert_int_equal(reg_schema(f->reg, "w", "\"long\"", NULL, NULL), REGIT_SR_STORE_ERROR);
	/* the branch back at the served head: good again, no restart */
	assert_string_equal(sh("git --git-dir='%s' update-ref refs/heads/main %s && echo ok",
		f->store, served), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 1);
	assert_string_equal(st.store_message, "");
}

typedef struct ledger_findings {
	size_t n;
	char commit[REGIT_STORE_OID_HEX];
	char message[512];
} ledger_findings;

static int ledger_finding(const char *commit, const char *message, void *payload)
{
	ledger_findings *lf = payload;

	lf->n++;
	snprintf(lf->commit, sizeof(lf->commit), "%s", commit);
	snprintf(lf->message, sizeof(lf->message), "%s", message);
	return 0;
}

static void test_registry__ledger(void **state)
{
	fixture *f = *state;
	regit_registry_stats st;
	regit_store_change c[2];
	regit_verify_options vo;
	ledger_findings lf;
	char served[REGIT_STORE_OID_HEX], first[REGIT_STORE_OID_HEX], bad[REGIT_STORE_OID_HEX];
	const char *meta5 = "{\"subject\": \"x\", \"version\": 1, \"id\": 2, \"deleted\": false, "
		"\"ts\": 0, \"references\": []}\n";
	size_t checked = 0, nf = 0;
	int id = 0, *ids = NULL;
	size_t nids = 0;

	assert_int_equal(reg_schema(f->reg, "a", USER_V1, &id, NULL), 0);
	assert_int_equal(id, 1);
	assert_int_equal(reg_schema(f->reg, "b", "\"int\"", &id, NULL), 0);
	assert_int_equal(id, 2);
	assert_int_equal(reg_schema(f->reg, "c", "\"string\"", &id, NULL), 0);
	assert_int_equal(id, 3);
	regit_registry_stats_get(f->reg, &st);
	snprintf(served, sizeof(served), "%s", st.head);
	assert_string_equal(sh("git --git-dir='%s' rev-parse refs/regit/served", f->store), served);
	snprintf(first, sizeof(first), "%s",
		sh("git --git-dir='%s' rev-list --reverse main | head -n1", f->store));

	/* The issue's reproduction: the first commit force-pushed. */
	assert_string_equal(sh("git --git-dir='%s' update-ref refs/heads/main %s && echo ok",
		f->store, first), "ok");
	ledger_refused(f, served, "does not descend from the served head");

	/* A commit whose tree is empty. */
	assert_string_equal(sh("cd '%s' && t=$(git --git-dir=registry.git mktree </dev/null) && "
		"c=$(git --git-dir=registry.git commit-tree $t -p main -m empty) && "
		"git --git-dir=registry.git update-ref refs/heads/main $c && echo ok", f->dir), "ok");
	ledger_refused(f, served, "The next id went back from 4 to 1");

	/* The text of id 2 edited in place. */
	memset(c, 0, sizeof(c));
	c[0].path = "subjects/b/v1.avsc";
	c[0].data = "\"long\"\n";
	c[0].len = strlen(c[0].data);
	ledger_push(f, c, 1, bad);
	ledger_refused(f, served, "Id 2 changed its schema");

	/* A version's id renumbered. */
	c[0].path = "subjects/c/v1.json";
	c[0].data = "{\"subject\": \"c\", \"version\": 1, \"id\": 9, \"deleted\": false, \"ts\": 0}\n";
	c[0].len = strlen(c[0].data);
	ledger_push(f, c, 1, bad);
	ledger_refused(f, served, "renumbered from id 3 to id 9");

	/* A live version removed without a soft delete. */
	c[0].path = "subjects/c/v1.json";
	c[0].remove = 1;
	c[1].path = "subjects/c/v1.avsc";
	c[1].remove = 1;
	ledger_push(f, c, 2, bad);
	ledger_refused(f, served, "was removed while live");

	/* Id 2 hard-deleted through the API, then pushed back with another schema. */
	assert_int_equal(regit_registry_delete_subject(f->reg, "b", 0, NULL, &ids, &nids), 0);
	free(ids);
	ids = NULL;
	assert_int_equal(regit_registry_delete_subject(f->reg, "b", 1, NULL, &ids, &nids), 0);
	free(ids);
	ids = NULL;
	regit_registry_stats_get(f->reg, &st);
	snprintf(served, sizeof(served), "%s", st.head);
	memset(c, 0, sizeof(c));
	c[0].path = "subjects/x/v1.avsc";
	c[0].data = "\"bytes\"\n";
	c[0].len = strlen(c[0].data);
	c[1].path = "subjects/x/v1.json";
	c[1].data = meta5;
	c[1].len = strlen(meta5);
	ledger_push(f, c, 2, bad);
	assert_int_equal(regit_registry_refresh(f->reg), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "Id 2 is issued again"));

	/* regit verify sees it too, and the history before it is clean. */
	memset(&vo, 0, sizeof(vo));
	memset(&lf, 0, sizeof(lf));
	vo.finding = ledger_finding;
	vo.payload = &lf;
	assert_int_equal(regit_registry_verify(&f->opts, &vo, &checked, &nf), 0);
	assert_int_equal(nf, 1);
	assert_int_equal(lf.n, 1);
	assert_string_equal(lf.commit, bad);
	assert_non_null(strstr(lf.message, "Id 2 is issued again"));
	assert_true(checked >= 6);
	vo.to = served;
	assert_int_equal(regit_registry_verify(&f->opts, &vo, &checked, &nf), 0);
	assert_int_equal(nf, 0);
	/* ... and verify never writes the served ref */
	assert_string_equal(sh("git --git-dir='%s' rev-parse refs/regit/served", f->store), served);

	/* A restart on that head serves the served state, refused head reported. */
	reopen(f);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 0);
	assert_string_equal(st.head, served);
	assert_non_null(strstr(st.store_message, "Id 2 is issued again"));
	assert_string_equal(sh("git --git-dir='%s' update-ref refs/heads/main %s && echo ok",
		f->store, served), "ok");
	assert_int_equal(regit_registry_refresh(f->reg), 0);
	regit_registry_stats_get(f->reg, &st);
	assert_int_equal(st.store_ok, 1);
	/* No id was issued twice through all of it. */
	assert_int_equal(reg_schema(f->reg, "d", "\"double\"", &id, NULL), 0);
	assert_int_equal(id, 4);

	/* Except on purpose: another registry on the store importing (IMPORT
	 * mode, an explicit id) may use an id below next_id that is not in
	 * use, as the API allows; this one takes that in. */
	{
		regit_registry *other = NULL;
		regit_register_request req = { 0 };
		regit_register_result res;

		assert_int_equal(regit_registry_open(&other, &f->opts), 0);
		assert_int_equal(regit_registry_set_mode(other, "imp", REGIT_MODE_IMPORT, 0, NULL), 0);
		req.subject = "imp";
		req.schema = "\"float\"";
		req.schema_len = strlen(req.schema);
		req.id = 2;
		assert_int_equal(regit_registry_register(other, &req, &res), 0);
		assert_int_equal(res.id, 2);
		regit_registry_free(other);
		assert_int_equal(regit_registry_refresh(f->reg), 0);
		assert_int_equal(get_id(f->reg, "imp", 1), 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry__register_get_list, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__idempotent_and_shared_ids, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__lookup, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__version_numbers, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__delete_error_codes, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__soft_deleted_schema_resolves_by_id, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__reregister_soft_deleted_tombstones, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__config, setup_strict, teardown),
		cmocka_unit_test_setup_teardown(test_registry__delete_keeps_or_drops_settings, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__modes, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__compat_confluent_rules, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__compat_deleted_versions_are_skipped, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__compat_strict_transitive, setup_strict, teardown),
		cmocka_unit_test_setup_teardown(test_registry__test_compat_endpoint, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__references, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__normalize, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__bounds_and_invalid_input, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__tree_is_readable, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__restart_reloads_the_same_state, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__concurrent_registration, setup_strict, teardown),
		cmocka_unit_test_setup_teardown(test_registry__group_commit_errors_reach_their_callers,
			setup_strict, teardown),
		cmocka_unit_test_setup_teardown(test_registry__two_instances_like_two_processes, setup_strict, teardown),
		cmocka_unit_test_setup_teardown(test_registry__lost_race_rechecks_compatibility, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__lost_race_counts_lint_once, setup_confluent,
			teardown),
		cmocka_unit_test_setup_teardown(test_registry__direct_push_and_refresh, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__deep_references, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__read_sections_and_generation, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__startup_cache_is_checked, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__cold_start_parallel_and_shared_blobs, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__startup_cache_ignores_planted_symlinks, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__ledger, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__lint_policy_config, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__lint_policy_on_register, setup_confluent, teardown),
		cmocka_unit_test_setup_teardown(test_registry__lint_policy_on_push, setup_confluent, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
