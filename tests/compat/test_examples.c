/*
 * test_examples.c - every schema we ship or test with parses, survives the
 * pretty-printer, and the example events follow the conventions that
 * schemas/README.md promises.
 *
 * Round trip: parse -> print (pretty, and compact) -> parse must give the
 * same Parsing Canonical Form and fingerprints; printing is stable (a
 * second print is byte-identical). Files: schemas/ (recursively) and
 * tests/data/avro/ (every .avsc).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define MAX_FILES 256

static char files[MAX_FILES][512];
static size_t nfiles;
static size_t nexamples;   /* how many of files[] are under schemas/ */

static int collect_avsc(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)st;
	(void)ftw;
	if (flag == FTW_F && n > 5 && strcmp(path + n - 5, ".avsc") == 0 &&
	    nfiles < MAX_FILES)
		snprintf(files[nfiles++], sizeof(files[0]), "%s", path);
	return 0;
}

static int setup(void **state)
{
	glob_t g;
	size_t i;

	(void)state;
	nfiles = 0;
	if (nftw("schemas", collect_avsc, 16, FTW_PHYS) != 0)
		return -1;
	nexamples = nfiles;
	if (glob("tests/data/avro/*.avsc", 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc && nfiles < MAX_FILES; i++)
			snprintf(files[nfiles++], sizeof(files[0]), "%s", g.gl_pathv[i]);
		globfree(&g);
	}
	return 0;
}

static regit_schema *parse_or_fail(const char *what, const char *text, size_t len)
{
	regit_schema *s = NULL;
	regit_schema_error err;

	if (regit_schema_parse(&s, text, len, NULL, &err) < 0)
		fail_msg("%s: %d:%d: %s (at %s)", what, err.line, err.column,
			err.message, err.path);
	return s;
}

static void round_trip(const char *path, regit_print_style style)
{
	regit_schema *a = NULL, *b = NULL;
	regit_schema_error err;
	regit_buf ca = REGIT_BUF_INIT, cb = REGIT_BUF_INIT;
	regit_buf pa = REGIT_BUF_INIT, pb = REGIT_BUF_INIT;
	unsigned char sa[32], sb[32];

	if (regit_schema_parse_file(&a, path, NULL, &err) < 0)
		fail_msg("%s: %d:%d: %s (at %s)", path, err.line, err.column,
			err.message, err.path);
	assert_int_equal(regit_schema_canonical(a, &ca), 0);
	assert_int_equal(regit_schema_print(a, style, &pa), 0);

	b = parse_or_fail(path, pa.ptr, pa.size);
	assert_int_equal(regit_schema_canonical(b, &cb), 0);
	if (strcmp(regit_buf_cstr(&ca), regit_buf_cstr(&cb)) != 0)
		fail_msg("%s: canonical form changed by printing\n  before %s\n  after  %s",
			path, regit_buf_cstr(&ca), regit_buf_cstr(&cb));
	assert_true(regit_schema_fingerprint_rabin(a) == regit_schema_fingerprint_rabin(b));
	assert_true(regit_schema_fingerprint_rabin(a) ==
		regit_rabin_fingerprint(ca.ptr, ca.size));
	assert_int_equal(regit_schema_fingerprint_sha256(a, sa), 0);
	assert_int_equal(regit_schema_fingerprint_sha256(b, sb), 0);
	assert_memory_equal(sa, sb, 32);

	/* Printing is stable: what we print re-prints identically. */
	assert_int_equal(regit_schema_print(b, style, &pb), 0);
	if (strcmp(regit_buf_cstr(&pa), regit_buf_cstr(&pb)) != 0)
		fail_msg("%s: printing is not stable", path);

	regit_buf_dispose(&ca);
	regit_buf_dispose(&cb);
	regit_buf_dispose(&pa);
	regit_buf_dispose(&pb);
	regit_schema_free(a);
	regit_schema_free(b);
}

static void test_examples__all_files_found(void **state)
{
	(void)state;
	/* schemas/: 5 latest events + user.created v1; avro: interop, weather. */
	assert_true(nexamples >= 6);
	assert_true(nfiles - nexamples >= 2);
}

static void test_examples__pretty_round_trip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nfiles; i++)
		round_trip(files[i], REGIT_PRINT_PRETTY);
}

static void test_examples__compact_round_trip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nfiles; i++)
		round_trip(files[i], REGIT_PRINT_COMPACT);
}

static const regit_field *field_named(const regit_type *rec, const char *name)
{
	size_t i;

	for (i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].name, name) == 0)
			return &rec->fields[i];
	return NULL;
}

/* The envelope and regit.key every example event carries (schemas/README.md). */
static void test_examples__events_carry_the_envelope(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nexamples; i++) {
		regit_schema *s = NULL;
		regit_schema_error err;
		const regit_type *root;
		const regit_field *f;
		const char *key;
		size_t j;

		assert_int_equal(regit_schema_parse_file(&s, files[i], NULL, &err), 0);
		root = regit_schema_root(s);
		assert_int_equal(root->kind, REGIT_TYPE_RECORD);
		assert_non_null(root->doc);

		f = field_named(root, "event_id");
		assert_non_null(f);
		assert_int_equal(f->type->kind, REGIT_TYPE_STRING);
		assert_int_equal(f->type->logical, REGIT_LOGICAL_UUID);
		f = field_named(root, "correlation_id");
		assert_non_null(f);
		assert_int_equal(f->type->kind, REGIT_TYPE_STRING);
		f = field_named(root, "schema_version");
		assert_non_null(f);
		assert_int_equal(f->type->kind, REGIT_TYPE_INT);
		assert_non_null(f->default_value);
		f = field_named(root, "timestamp");
		assert_non_null(f);
		assert_int_equal(f->type->kind, REGIT_TYPE_LONG);
		assert_int_equal(f->type->logical, REGIT_LOGICAL_TIMESTAMP_MILLIS);

		/* regit.key names a field of the record. */
		assert_non_null(root->props);
		key = json_string_value(json_object_get(root->props, "regit.key"));
		if (!key)
			fail_msg("%s: no regit.key", files[i]);
		assert_non_null(field_named(root, key));

		/* Every field is documented. */
		for (j = 0; j < root->nfields; j++)
			if (!root->fields[j].doc)
				fail_msg("%s: field %s has no doc", files[i], root->fields[j].name);
		regit_schema_free(s);
	}
}

/* v2 of user.created = v1 + optional plan and source (null-first, default null). */
static void test_examples__user_created_v2_adds_optional_fields(void **state)
{
	static const char *const added[] = { "plan", "source" };
	regit_schema *v1 = NULL, *v2 = NULL;
	regit_schema_error err;
	const regit_type *r1, *r2;
	size_t i;

	(void)state;
	assert_int_equal(regit_schema_parse_file(&v1, "schemas/versions/user.created.v1.avsc",
		NULL, &err), 0);
	assert_int_equal(regit_schema_parse_file(&v2, "schemas/user.created.avsc", NULL, &err), 0);
	r1 = regit_schema_root(v1);
	r2 = regit_schema_root(v2);
	assert_string_equal(r1->fullname, "com.example.users.UserCreated");
	assert_string_equal(r2->fullname, r1->fullname);
	assert_int_equal(r2->nfields, r1->nfields + 2);
	for (i = 0; i < r1->nfields; i++) {
		const regit_field *f = field_named(r2, r1->fields[i].name);
		regit_buf c1 = REGIT_BUF_INIT, c2 = REGIT_BUF_INIT;

		assert_non_null(f);
		assert_int_equal(regit_type_canonical(r1->fields[i].type, &c1), 0);
		assert_int_equal(regit_type_canonical(f->type, &c2), 0);
		assert_string_equal(c1.ptr, c2.ptr);
		regit_buf_dispose(&c1);
		regit_buf_dispose(&c2);
	}
	for (i = 0; i < 2; i++) {
		const regit_field *f = field_named(r2, added[i]);

		assert_non_null(f);
		assert_null(field_named(r1, added[i]));
		assert_int_equal(f->type->kind, REGIT_TYPE_UNION);
		assert_int_equal(f->type->nbranches, 2);
		assert_int_equal(f->type->branches[0]->kind, REGIT_TYPE_NULL);
		assert_non_null(f->default_value);
		assert_true(json_is_null(f->default_value));
	}
	assert_true(regit_schema_fingerprint_rabin(v1) != regit_schema_fingerprint_rabin(v2));
	regit_schema_free(v1);
	regit_schema_free(v2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples__all_files_found),
		cmocka_unit_test(test_examples__pretty_round_trip),
		cmocka_unit_test(test_examples__compact_round_trip),
		cmocka_unit_test(test_examples__events_carry_the_envelope),
		cmocka_unit_test(test_examples__user_created_v2_adds_optional_fields),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
