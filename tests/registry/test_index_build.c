/*
 * test_index_build.c - loading a store with enough versions that the index
 * is built on several threads (registry/index_build.c: metadata pass, then the
 * schemas in blob id order, identical schemas parsed once), and the
 * start-up cache a cold start leaves for the next one.
 *
 * Stores are written directly through the store API, as a push would
 * leave them. Expected texts are each schema's own COMPACT print
 * (compat/schema.h), so a version given another version's text, or a
 * duplicate given the wrong leader's, fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema.h"
#include "registry/layout.h"
#include "registry/registry.h"
#include "store/store.h"
#include "tests/support/tmpdir.h"
#include "util/buf.h"

/* Above the build's threshold for threads (BUILD_PARALLEL_MIN 256). */
#define NVERSIONS 300
/* Versions 280.. reuse the schema of version (i - 280) * 7: same blob. */
#define FIRST_DUP 280

typedef struct fixture {
	char *dir;
	char store[600];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = test_tmpdir_new("index-build");
	assert_non_null(f->dir);
	snprintf(f->store, sizeof(f->store), "%s/registry.git", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	test_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* The schema text of version i (pretty-ish, as a person might push it). */
static void schema_text(regit_buf *out, int i)
{
	int k = i >= FIRST_DUP ? (i - FIRST_DUP) * 7 : i;

	regit_buf_clear(out);
	regit_buf_printf(out, "{\n  \"type\": \"record\", \"name\": \"R%d\", \"namespace\": \"t.n%d\",\n"
		"  \"fields\": [{\"name\": \"id\", \"type\": \"long\", \"doc\": \"n\\u00e9 %d\"}", k, k % 3, k);
	if (k % 2)
		regit_buf_printf(out, ",\n    {\"name\": \"e\", \"type\": {\"type\": \"enum\", \"name\": \"E\","
			" \"symbols\": [\"A\", \"B\"]}, \"default\": \"B\"}");
	if (k % 5 == 0)
		regit_buf_printf(out, ",\n    {\"name\": \"m\", \"type\": [\"null\", {\"type\": \"map\","
			" \"values\": \"double\"}], \"default\": null, \"x-p\": [%d, 1.5e-3]}", k);
	regit_buf_puts(out, "\n  ]\n}\n");
}

static int is_in(int i, const int *set, size_t n)
{
	while (n--)
		if (set[n] == i)
			return 1;
	return 0;
}

/*
 * Write NVERSIONS subjects with one version each in one commit. The
 * versions in bad[] get a broken schema, bad_meta broken metadata (-1: none).
 */
static void write_store(const fixture *f, const int *bad, size_t nbad, int bad_meta)
{
	regit_store *store = NULL;
	regit_store_change *changes = calloc(2 * NVERSIONS + 1, sizeof(*changes));
	regit_buf *bufs = calloc(4 * NVERSIONS + 1, sizeof(*bufs));
	char head[REGIT_STORE_OID_HEX];
	size_t n = 0, nb = 0;
	int i;

	assert_non_null(changes);
	assert_non_null(bufs);
	assert_int_equal(regit_store_open(&store, f->store, NULL), 0);
	for (i = 0; i < NVERSIONS; i++) {
		regit_buf *enc = &bufs[nb++], *avsc = &bufs[nb++], *meta = &bufs[nb++];
		regit_buf *paths = &bufs[nb++];
		char subject[64];

		snprintf(subject, sizeof(subject), "s-%03d-value", i);
		assert_int_equal(regit_layout_subject_encode(enc, subject, strlen(subject)), 0);
		if (is_in(i, bad, nbad))
			regit_buf_printf(avsc, "{\"type\": \"record\", \"name\": \"Bad%d\", \"fields\": [1]}",
				i);    /* distinct blobs: each is parsed */
		else
			schema_text(avsc, i);
		if (i == bad_meta)
			regit_buf_puts(meta, "{\"id\": \"seven\"}");
		else
			regit_buf_printf(meta, "{\n  \"subject\": \"%s\",\n  \"version\": 1,\n  \"id\": %d,\n"
				"  \"deleted\": %s,\n  \"ts\": 1764000000000\n}\n", subject, i + 1,
				i % 11 == 0 ? "true" : "false");
		/* Both paths in one buffer, NUL-separated (the buffer never moves after). */
		regit_buf_printf(paths, "subjects/%s/v1.avsc", enc->ptr);
		regit_buf_putc(paths, '\0');
		regit_buf_printf(paths, "subjects/%s/v1.json", enc->ptr);
		changes[n].path = paths->ptr;
		changes[n].data = avsc->ptr;
		changes[n].len = avsc->size;
		n++;
		changes[n].path = paths->ptr + strlen(paths->ptr) + 1;
		changes[n].data = meta->ptr;
		changes[n].len = meta->size;
		n++;
	}
	{
		regit_buf *root = &bufs[nb++];

		regit_buf_printf(root, "{\n  \"format\": 1,\n  \"next_id\": %d\n}\n", NVERSIONS + 1);
		changes[n].path = "regit.json";
		changes[n].data = root->ptr;
		changes[n].len = root->size;
		n++;
	}
	assert_int_equal(regit_store_commit(head, store, NULL, changes, n, "test", NULL), 0);
	regit_store_free(store);
	for (i = 0; i < (int)nb; i++)
		regit_buf_dispose(&bufs[i]);
	free(bufs);
	free(changes);
}

static regit_registry *open_store(const fixture *f)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_registry *reg = NULL;

	opts.store_path = f->store;
	if (regit_registry_open(&reg, &opts) != 0)
		return NULL;
	return reg;
}

/* Every version has its own schema's compact text, id and deleted flag. */
static void check_versions(regit_registry *reg)
{
	regit_buf text = REGIT_BUF_INIT, compact = REGIT_BUF_INIT;
	int i;

	regit_registry_read_begin(reg);
	for (i = 0; i < NVERSIONS; i++) {
		const regit_version *v = NULL;
		regit_schema *s = NULL;
		char subject[64];

		snprintf(subject, sizeof(subject), "s-%03d-value", i);
		assert_int_equal(regit_registry_get_version(reg, subject, 1, 1, &v), 0);
		schema_text(&text, i);
		assert_int_equal(regit_schema_parse(&s, text.ptr, text.size, NULL, NULL), 0);
		regit_buf_clear(&compact);
		assert_int_equal(regit_schema_print(s, REGIT_PRINT_COMPACT, &compact), 0);
		regit_schema_free(s);
		assert_int_equal(v->id, i + 1);
		assert_int_equal(v->deleted, i % 11 == 0);
		assert_int_equal(v->schema_len, compact.size);
		if (memcmp(v->schema, compact.ptr, compact.size) != 0)
			fail_msg("version of %s: %.*s, expected %s", subject, (int)v->schema_len,
				v->schema, compact.ptr);
	}
	regit_registry_read_end(reg);
	regit_buf_dispose(&text);
	regit_buf_dispose(&compact);
}

static void test_index_build__cold_then_warm(void **state)
{
	fixture *f = *state;
	regit_registry_stats st;
	regit_registry *reg;
	char path[700];
	FILE *fp;

	write_store(f, NULL, 0, -1);
	reg = open_store(f);
	if (!reg)
		fail_msg("open: %s", regit_error_message());
	regit_registry_stats_get(reg, &st);
	assert_int_equal(st.versions, NVERSIONS);
	assert_int_equal(st.parsed, NVERSIONS);
	check_versions(reg);
	/* The cold start leaves the cache (written beside serving, done by free). */
	regit_registry_free(reg);
	snprintf(path, sizeof(path), "%s/regit-cache", f->store);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fclose(fp);

	reg = open_store(f);
	if (!reg)
		fail_msg("reopen: %s", regit_error_message());
	regit_registry_stats_get(reg, &st);
	assert_int_equal(st.versions, NVERSIONS);
	assert_int_equal(st.parsed, 0);
	check_versions(reg);
	regit_registry_free(reg);
}

static void test_index_build__lowest_bad_schema_is_reported(void **state)
{
	fixture *f = *state;

	static const int bad[] = { 201, 290, 140, 77, 260, 99, 180, 233, 120, 160, 299, 250 };

	/* Bad schemas all over; the first in the tree is named, whatever the
	 * order the threads met them in. */
	write_store(f, bad, sizeof(bad) / sizeof(bad[0]), -1);
	assert_null(open_store(f));
	if (!strstr(regit_error_message(), "s-077-value/v1.avsc"))
		fail_msg("message: %s", regit_error_message());
}

static void test_index_build__metadata_errors_come_first(void **state)
{
	fixture *f = *state;

	static const int bad[] = { 12 };

	/* A bad schema early and bad metadata later: metadata is read first. */
	write_store(f, bad, 1, 250);
	assert_null(open_store(f));
	if (!strstr(regit_error_message(), "s-250-value/v1.json") || !strstr(regit_error_message(), "id"))
		fail_msg("message: %s", regit_error_message());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index_build__cold_then_warm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_build__lowest_bad_schema_is_reported, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_index_build__metadata_errors_come_first, setup,
			teardown),
	};

	return cmocka_run_group_tests_name("registry/index_build", tests, NULL, NULL);
}
