/*
 * test_snapshot.c - cli/snapshot.c against a real registry served in this
 * process (registry + HTTP API on a loopback port, temporary git store):
 * soft-deleted versions and subjects, version gaps, references, the prefix
 * and the subjects it pulls in through references, configs and modes; and
 * the manifest of an export, hostile ones included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/snapshot.h"
#include "registry/registry.h"
#include "server/api.h"
#include "server/http.h"
#include "tests/support/tmpdir.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct fixture {
	char *dir;
	char store[512];
	char url[64];
	regit_registry *reg;
	regit_api *api;
	regit_http_server *srv;
	regit_client *client;
} fixture;

#define ADDRESS "{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Address\\\",\\\"namespace\\\":\\\"shop\\\"," \
	"\\\"fields\\\":[{\\\"name\\\":\\\"city\\\",\\\"type\\\":\\\"string\\\"}]}"
#define CUSTOMER "{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Customer\\\",\\\"namespace\\\":\\\"shop\\\"," \
	"\\\"fields\\\":[{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"Address\\\"}]}"

static void req(fixture *f, const char *method, const char *path, const char *body)
{
	int error = regit_client_request(NULL, f->client, method, path, body);

	if (error < 0)
		fail_msg("%s %s: %s", method, path, regit_error_message());
}

static int setup(void **state)
{
	regit_registry_options o = REGIT_REGISTRY_OPTIONS_INIT;
	regit_http_options h = REGIT_HTTP_OPTIONS_INIT;
	regit_client_options c = REGIT_CLIENT_OPTIONS_INIT;
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = test_tmpdir_new("snapshot");
	assert_non_null(f->dir);
	snprintf(f->store, sizeof(f->store), "%s/r.git", f->dir);
	o.store_path = f->store;
	o.default_level = REGIT_LEVEL_NONE;
	regit_error_set_api_code(0);
	assert_int_equal(regit_registry_open(&f->reg, &o), 0);
	assert_int_equal(regit_api_new(&f->api, f->reg), 0);
	h.listen = "127.0.0.1:0";
	h.threads = 2;
	assert_int_equal(regit_http_server_start(&f->srv, &h, regit_api_handle, NULL, f->api), 0);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", regit_http_server_port(f->srv));
	c.url = f->url;
	c.userpass = "";
	assert_int_equal(regit_client_new(&f->client, &c), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	regit_client_free(f->client);
	regit_http_server_free(f->srv);
	regit_api_free(f->api);
	regit_registry_free(f->reg);
	test_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/*
 * addr v1 (id 1), v3 (id 3, soft-deleted; v2 hard-deleted: a gap);
 * cust-value v1 -> addr v1; other v1 with a config and a mode; gone (the
 * whole subject soft-deleted).
 */
static void fill(fixture *f)
{
	req(f, "POST", "/subjects/addr/versions", "{\"schema\":\"" ADDRESS "\"}");
	req(f, "POST", "/subjects/addr/versions", "{\"schema\":\"\\\"int\\\"\"}");
	req(f, "POST", "/subjects/addr/versions", "{\"schema\":\"\\\"long\\\"\"}");
	req(f, "DELETE", "/subjects/addr/versions/2", NULL);
	req(f, "DELETE", "/subjects/addr/versions/2?permanent=true", NULL);
	req(f, "POST", "/subjects/cust-value/versions", "{\"schema\":\"" CUSTOMER "\","
		"\"references\":[{\"name\":\"shop.Address\",\"subject\":\"addr\",\"version\":1}]}");
	req(f, "POST", "/subjects/other/versions", "{\"schema\":\"\\\"string\\\"\"}");
	req(f, "PUT", "/config/other", "{\"compatibility\":\"FULL\"}");
	req(f, "PUT", "/mode/other", "{\"mode\":\"READONLY\"}");
	req(f, "POST", "/subjects/gone/versions", "{\"schema\":\"\\\"bytes\\\"\"}");
	req(f, "DELETE", "/subjects/gone", NULL);
	req(f, "DELETE", "/subjects/addr/versions/3", NULL);
}

static void test_snapshot__reads_everything(void **state)
{
	fixture *f = *state;
	regit_snapshot *snap = NULL;
	const regit_snapshot_subject *s;
	const regit_client_schema *v;

	fill(f);
	assert_int_equal(regit_snapshot_read(&snap, f->client, NULL, 1), 0);
	assert_int_equal(snap->nsubjects, 4);
	assert_int_equal(snap->nversions, 5);
	/* sorted by name */
	assert_string_equal(snap->subjects[0].name, "addr");
	assert_string_equal(snap->subjects[3].name, "other");

	s = regit_snapshot_subject_find(snap, "addr");
	assert_non_null(s);
	assert_int_equal(s->nversions, 2);
	assert_null(regit_snapshot_version_find(s, 2));   /* hard-deleted: a gap */
	v = regit_snapshot_version_find(s, 1);
	assert_non_null(v);
	assert_int_equal(v->id, 1);
	assert_false(v->deleted);
	v = regit_snapshot_version_find(s, 3);
	assert_non_null(v);
	assert_int_equal(v->id, 3);
	assert_true(v->deleted);
	assert_null(s->config);
	assert_null(s->mode);

	s = regit_snapshot_subject_find(snap, "cust-value");
	v = regit_snapshot_version_find(s, 1);
	assert_non_null(v);
	assert_int_equal(v->nrefs, 1);
	assert_string_equal(v->refs[0].name, "shop.Address");
	assert_string_equal(v->refs[0].subject, "addr");
	assert_int_equal(v->refs[0].version, 1);
	assert_false(s->dependency);

	s = regit_snapshot_subject_find(snap, "gone");
	assert_non_null(s);
	assert_int_equal(s->nversions, 1);
	assert_true(s->versions[0].deleted);

	s = regit_snapshot_subject_find(snap, "other");
	assert_string_equal(s->mode, "READONLY");
	assert_string_equal(json_string_value(json_object_get(s->config, "compatibilityLevel")),
		"FULL");
	/* Global settings only without a prefix; always answered. */
	assert_non_null(snap->config);
	assert_string_equal(snap->mode, "READWRITE");
	assert_null(regit_snapshot_subject_find(snap, "nope"));
	regit_snapshot_free(snap);
}

static void test_snapshot__prefix_pulls_in_references(void **state)
{
	fixture *f = *state;
	regit_snapshot *snap = NULL;

	fill(f);
	assert_int_equal(regit_snapshot_read(&snap, f->client, "cust", 1), 0);
	assert_int_equal(snap->nsubjects, 2);
	assert_string_equal(snap->subjects[0].name, "addr");
	assert_true(snap->subjects[0].dependency);
	assert_int_equal(snap->subjects[0].nversions, 2);   /* the whole subject */
	assert_string_equal(snap->subjects[1].name, "cust-value");
	assert_false(snap->subjects[1].dependency);
	assert_null(snap->config);
	assert_null(snap->mode);
	regit_snapshot_free(snap);

	/* Without settings: no configs, no modes. */
	assert_int_equal(regit_snapshot_read(&snap, f->client, "oth", 0), 0);
	assert_int_equal(snap->nsubjects, 1);
	assert_null(snap->subjects[0].config);
	assert_null(snap->subjects[0].mode);
	regit_snapshot_free(snap);

	/* Nothing matches: an empty snapshot, not an error. */
	assert_int_equal(regit_snapshot_read(&snap, f->client, "zzz", 1), 0);
	assert_int_equal(snap->nsubjects, 0);
	assert_int_equal(snap->nversions, 0);
	regit_snapshot_free(snap);
}

static void test_snapshot__unreachable_registry(void **state)
{
	fixture *f = *state;
	regit_client_options c = REGIT_CLIENT_OPTIONS_INIT;
	regit_client *client = NULL;
	regit_snapshot *snap = (regit_snapshot *)1;
	unsigned port = regit_http_server_port(f->srv);
	char url[64];

	/* The server is stopped: nothing is listening on the port any more. */
	regit_http_server_free(f->srv);
	f->srv = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	c.url = url;
	c.userpass = "";
	c.timeout_ms = 2000;
	assert_int_equal(regit_client_new(&client, &c), 0);
	assert_int_equal(regit_snapshot_read(&snap, client, NULL, 1), REGIT_EIO);
	assert_null(snap);
	regit_client_free(client);
}

static void write_manifest(const char *dir, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_snapshot__load_dir(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"format\": 2, \"subjects\": []}",
		"{\"format\": 1}",
		"{\"format\": 1, \"subjects\": [1]}",
		"{\"format\": 1, \"subjects\": [{\"subject\": \"a\"}]}",
		"{\"format\": 1, \"subjects\": [{\"subject\": \"a\", \"versions\": [{\"version\": 1, \"id\": 1}]}]}",
		"{\"format\": 1, \"subjects\": [{\"subject\": \"a\", \"versions\": [{\"version\": 1, \"id\": 1, \"schema\": \"x\"}]}]}",
		"{\"format\": 1, \"subjects\": [{\"subject\": \"a\", \"mode\": 5, \"versions\": []}]}",
		"{\"format\": 1, \"config\": \"FULL\", \"subjects\": []}",
		/* a subject, a version listed twice */
		"{\"format\": 1, \"subjects\": [{\"subject\": \"a\", \"versions\": []}, {\"subject\": \"a\", \"versions\": []}]}",
		"{\"format\": 1, \"subjects\": [{\"subject\": \"a\", \"versions\": ["
			"{\"version\": 1, \"id\": 1, \"deleted\": false, \"schema\": \"x\"},"
			"{\"version\": 1, \"id\": 2, \"deleted\": false, \"schema\": \"y\"}]}]}",
		/* a reference to a version it does not hold */
		"{\"format\": 1, \"subjects\": [{\"subject\": \"a\", \"versions\": ["
			"{\"version\": 1, \"id\": 1, \"deleted\": false, \"schema\": \"x\","
			" \"references\": [{\"name\": \"N\", \"subject\": \"b\", \"version\": 1}]}]}]}",
		"{\"format\": 1, \"subjects\": [], \"subjects\": []}",
	};
	fixture *f = *state;
	regit_snapshot *snap = NULL;
	const regit_snapshot_subject *s;
	size_t i;

	/* No manifest at all. */
	assert_int_equal(regit_snapshot_load_dir(&snap, f->dir), REGIT_EIO);
	assert_null(snap);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_manifest(f->dir, bad[i]);
		snap = (regit_snapshot *)1;
		if (regit_snapshot_load_dir(&snap, f->dir) != REGIT_EINVALID)
			fail_msg("manifest %zu accepted or wrong code: %s", i, bad[i]);
		assert_null(snap);
		assert_non_null(strstr(regit_error_message(), "manifest.json"));
	}
	write_manifest(f->dir, "{\"format\": 1, \"mode\": \"READONLY\", \"config\": "
		"{\"compatibilityLevel\": \"FULL\"}, \"subjects\": ["
		"{\"subject\": \"b\", \"mode\": \"IMPORT\", \"dependency\": true, \"versions\": ["
		"{\"version\": 4, \"id\": 9, \"deleted\": true, \"schema\": \"\\\"int\\\"\"}]},"
		"{\"subject\": \"a\", \"versions\": ["
		"{\"version\": 2, \"id\": 3, \"deleted\": false, \"schema\": \"x\", \"file\": \"f\","
		" \"references\": [{\"name\": \"N\", \"subject\": \"b\", \"version\": 4}]},"
		"{\"version\": 1, \"id\": 1, \"deleted\": false, \"schema\": \"y\"}]}]}");
	assert_int_equal(regit_snapshot_load_dir(&snap, f->dir), 0);
	assert_int_equal(snap->nsubjects, 2);
	assert_int_equal(snap->nversions, 3);
	assert_string_equal(snap->mode, "READONLY");
	assert_non_null(snap->config);
	s = regit_snapshot_subject_find(snap, "a");
	assert_int_equal(s->versions[0].version, 1);   /* sorted */
	assert_int_equal(s->versions[1].nrefs, 1);
	assert_false(s->dependency);
	s = regit_snapshot_subject_find(snap, "b");
	assert_true(s->dependency);
	assert_string_equal(s->mode, "IMPORT");
	assert_true(s->versions[0].deleted);
	assert_string_equal(s->versions[0].schema, "\"int\"");
	regit_snapshot_free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot__reads_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot__prefix_pulls_in_references, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot__unreachable_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot__load_dir, setup, teardown),
	};

	regit_alloc_install_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
