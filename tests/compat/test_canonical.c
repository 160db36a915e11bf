/*
 * test_canonical.c - compat/canonical: Parsing Canonical Form, Rabin and
 * SHA-256 fingerprints.
 *
 * Expected values come from outside our code: Apache Avro's own
 * schema-tests corpus (tests/data/avro/canonical-form.jsonl: 34 canonical
 * forms, 26 Rabin fingerprints), the Avro specification (the empty
 * fingerprint is the seed 0xc15d213aa4d7a795), hand-written canonical text
 * for hand-built models, and `sha256sum` run at test time on the expected
 * canonical text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define CORPUS "tests/data/avro/canonical-form.jsonl"

/*
 * SHA-256 of `text` computed by coreutils' sha256sum, an implementation
 * independent of ours (OpenSSL).
 */
static void sha256sum_of(const char *text, unsigned char out[32])
{
	char path[] = "/tmp/regit-test-canon-XXXXXX";
	char cmd[128], hex[65];
	int fd = mkstemp(path);
	size_t len = strlen(text), i;
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(hex, sizeof(hex), p));
	pclose(p);
	unlink(path);
	assert_int_equal(strlen(hex), 64);
	for (i = 0; i < 32; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static void test_canonical__rabin_of_bytes(void **state)
{
	(void)state;
	/* Avro spec: the fingerprint of no bytes is the polynomial itself. */
	assert_true(regit_rabin_fingerprint("", 0) == 0xc15d213aa4d7a795ULL);
	/* Corpus case 000: "null" -> 7195948357588979594. */
	assert_true(regit_rabin_fingerprint("\"null\"", 6) == 7195948357588979594ULL);
	/* Corpus case 016: [] -> -1241056759729112623. */
	assert_true((int64_t)regit_rabin_fingerprint("[]", 2) == -1241056759729112623LL);
}

/*
 * A hand-built recursive model, as the parser would build it for
 *
 *   {"type": "record", "name": "Node", "namespace": "com.x", "doc": "d",
 *    "fields": [
 *      {"name": "value", "type": {"type": "long", "logicalType": "timestamp-millis"}},
 *      {"name": "next", "type": ["null", "Node"], "default": null},
 *      {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
 *      {"name": "id", "type": {"type": "fixed", "name": "Id", "size": 16}},
 *      {"name": "tags", "type": {"type": "map", "values": {"type": "array", "items": "string"}}},
 *      {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
 *      {"name": "kind2", "type": "Kind"}]}
 */
static const char node_canonical[] =
	"{\"name\":\"com.x.Node\",\"type\":\"record\",\"fields\":["
	"{\"name\":\"value\",\"type\":\"long\"},"
	"{\"name\":\"next\",\"type\":[\"null\",\"com.x.Node\"]},"
	"{\"name\":\"kind\",\"type\":{\"name\":\"com.x.Kind\",\"type\":\"enum\",\"symbols\":[\"A\",\"B\"]}},"
	"{\"name\":\"id\",\"type\":{\"name\":\"com.x.Id\",\"type\":\"fixed\",\"size\":16}},"
	"{\"name\":\"tags\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"string\"}}},"
	"{\"name\":\"amount\",\"type\":\"bytes\"},"
	"{\"name\":\"kind2\",\"type\":\"com.x.Kind\"}]}";

static regit_type t_null = { .kind = REGIT_TYPE_NULL };
static regit_type t_string = { .kind = REGIT_TYPE_STRING };
static regit_type t_ts = { .kind = REGIT_TYPE_LONG, .logical = REGIT_LOGICAL_TIMESTAMP_MILLIS,
	.logical_name = "timestamp-millis" };
static regit_type t_dec = { .kind = REGIT_TYPE_BYTES, .logical = REGIT_LOGICAL_DECIMAL,
	.logical_name = "decimal", .precision = 9, .scale = 2 };
static const char *const kind_symbols[] = { "A", "B" };
static regit_type t_kind = { .kind = REGIT_TYPE_ENUM, .name = "Kind", .space = "com.x",
	.fullname = "com.x.Kind", .symbols = kind_symbols, .nsymbols = 2, .doc = "ignored" };
static regit_type t_id = { .kind = REGIT_TYPE_FIXED, .name = "Id", .space = "com.x",
	.fullname = "com.x.Id", .size = 16 };
static regit_type t_arr = { .kind = REGIT_TYPE_ARRAY, .items = &t_string };
static regit_type t_map = { .kind = REGIT_TYPE_MAP, .items = &t_arr };
static regit_type t_node;
static const regit_type *const next_branches[] = { &t_null, &t_node };
static regit_type t_next = { .kind = REGIT_TYPE_UNION, .branches = next_branches, .nbranches = 2 };
static const regit_field node_fields[] = {
	{ .name = "value", .type = &t_ts },
	{ .name = "next", .type = &t_next, .doc = "ignored" },
	{ .name = "kind", .type = &t_kind },
	{ .name = "id", .type = &t_id },
	{ .name = "tags", .type = &t_map },
	{ .name = "amount", .type = &t_dec },
	{ .name = "kind2", .type = &t_kind },
};
static regit_type t_node = { .kind = REGIT_TYPE_RECORD, .name = "Node", .space = "com.x",
	.fullname = "com.x.Node", .doc = "d", .fields = node_fields, .nfields = 7 };

static void test_canonical__hand_built_recursive_model(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;
	unsigned char sha[32], want[32];
	uint64_t fp = 1;

	(void)state;
	assert_int_equal(regit_buf_puts(&buf, "prefix:"), 0);
	assert_int_equal(regit_type_canonical(&t_node, &buf), 0);
	assert_string_equal(regit_buf_cstr(&buf) + 7, node_canonical);

	assert_int_equal(regit_type_fingerprint_rabin(&fp, &t_node), 0);
	assert_true(fp == regit_rabin_fingerprint(node_canonical, strlen(node_canonical)));

	assert_int_equal(regit_type_fingerprint_sha256(sha, &t_node), 0);
	sha256sum_of(node_canonical, want);
	assert_memory_equal(sha, want, 32);
	regit_buf_dispose(&buf);
}

static void test_canonical__sub_node_is_its_own_schema(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;

	(void)state;
	/* The union alone: the record is spelled out at its first occurrence. */
	assert_int_equal(regit_type_canonical(&t_next, &buf), 0);
	assert_true(strncmp(regit_buf_cstr(&buf),
		"[\"null\",{\"name\":\"com.x.Node\",\"type\":\"record\",\"fields\":[", 55) == 0);
	/* The first of kind/kind2 is in full, the second a name. */
	assert_non_null(strstr(regit_buf_cstr(&buf), "\"symbols\":[\"A\",\"B\"]"));
	assert_non_null(strstr(regit_buf_cstr(&buf), "{\"name\":\"kind2\",\"type\":\"com.x.Kind\"}"));
	assert_non_null(strstr(regit_buf_cstr(&buf), "\"type\":[\"null\",\"com.x.Node\"]"));
	regit_buf_dispose(&buf);
}

static void test_canonical__strings_are_json_escaped(void **state)
{
	static const char *const syms[] = { "a\"b", "c\\d", "e\x01" };
	regit_type t = { .kind = REGIT_TYPE_ENUM, .name = "E", .fullname = "E",
		.symbols = syms, .nsymbols = 3 };
	regit_buf buf = REGIT_BUF_INIT;

	(void)state;
	assert_int_equal(regit_type_canonical(&t, &buf), 0);
	assert_string_equal(regit_buf_cstr(&buf),
		"{\"name\":\"E\",\"type\":\"enum\",\"symbols\":[\"a\\\"b\",\"c\\\\d\",\"e\\u0001\"]}");
	regit_buf_dispose(&buf);
}

/*
 * A piece longer than the writer's 4,096-byte staging buffer (here a
 * 5,000-character name) goes straight to the sink: it is in the canonical
 * text and in both fingerprints, so names differing only in their last
 * character give different fingerprints.
 */
static void test_canonical__piece_longer_than_stage(void **state)
{
	enum { NAMELEN = 5000 };
	regit_schema *s[2] = { NULL, NULL };
	regit_schema_error err;
	regit_buf json = REGIT_BUF_INIT, want = REGIT_BUF_INIT, got = REGIT_BUF_INIT;
	unsigned char sha[2][32], ref[32];
	char *name = malloc(NAMELEN + 1);
	int k;

	(void)state;
	assert_non_null(name);
	memset(name, 'n', NAMELEN);
	name[NAMELEN] = '\0';
	for (k = 0; k < 2; k++) {
		name[NAMELEN - 1] = k ? 'y' : 'x';
		regit_buf_clear(&json);
		assert_int_equal(regit_buf_printf(&json,
			"{\"type\":\"fixed\",\"size\":4,\"name\":\"%s\"}", name), 0);
		assert_int_equal(regit_schema_parse(&s[k], json.ptr, json.size, NULL, &err), 0);
		regit_buf_clear(&want);
		assert_int_equal(regit_buf_printf(&want,
			"{\"name\":\"%s\",\"type\":\"fixed\",\"size\":4}", name), 0);
		regit_buf_clear(&got);
		assert_int_equal(regit_schema_canonical(s[k], &got), 0);
		assert_string_equal(regit_buf_cstr(&got), regit_buf_cstr(&want));
		assert_true(regit_schema_fingerprint_rabin(s[k]) ==
			regit_rabin_fingerprint(want.ptr, want.size));
		assert_int_equal(regit_schema_fingerprint_sha256(s[k], sha[k]), 0);
		sha256sum_of(regit_buf_cstr(&want), ref);
		assert_memory_equal(sha[k], ref, 32);
	}
	assert_true(regit_schema_fingerprint_rabin(s[0]) != regit_schema_fingerprint_rabin(s[1]));
	assert_memory_not_equal(sha[0], sha[1], 32);
	regit_schema_free(s[0]);
	regit_schema_free(s[1]);
	regit_buf_dispose(&json);
	regit_buf_dispose(&want);
	regit_buf_dispose(&got);
	free(name);
}

static void test_canonical__limit_leaves_buffer_unchanged(void **state)
{
	regit_buf buf;

	(void)state;
	regit_buf_init(&buf, 40);
	assert_int_equal(regit_buf_puts(&buf, "keep"), 0);
	assert_int_equal(regit_type_canonical(&t_node, &buf), REGIT_ELIMIT);
	assert_string_equal(regit_buf_cstr(&buf), "keep");
	regit_buf_dispose(&buf);
}

/* A record with n distinct enum fields: enough named types to grow the set. */
#define MANY 300
static void test_canonical__many_named_types_and_oom(void **state)
{
	static regit_type enums[MANY];
	static regit_field fields[MANY];
	static char names[MANY][16];
	static const char *const sym[] = { "S" };
	regit_type rec = { .kind = REGIT_TYPE_RECORD, .name = "R", .fullname = "R",
		.fields = fields, .nfields = MANY };
	regit_buf buf = REGIT_BUF_INIT;
	uint64_t fp = 1;
	size_t i;
	int error = 0;
	long n;

	(void)state;
	for (i = 0; i < MANY; i++) {
		snprintf(names[i], sizeof(names[i]), "E%zu", i);
		enums[i] = (regit_type){ .kind = REGIT_TYPE_ENUM, .name = names[i],
			.fullname = names[i], .symbols = sym, .nsymbols = 1 };
		/* The first MANY/2 enums are each used twice: in full, then by name. */
		fields[i] = (regit_field){ .name = names[i], .type = &enums[i % (MANY / 2)] };
	}

	assert_int_equal(regit_type_canonical(&rec, &buf), 0);
	for (i = 0; i < MANY / 2; i++) {
		char full[64], ref[64];

		snprintf(full, sizeof(full), "{\"name\":\"E%zu\",\"type\":\"enum\"", i);
		snprintf(ref, sizeof(ref), ",\"type\":\"E%zu\"}", i);
		assert_non_null(strstr(regit_buf_cstr(&buf), full));
		assert_non_null(strstr(regit_buf_cstr(&buf), ref));
	}

	/* Fail each allocation in turn: a clean error, buffer untouched. */
	for (n = 0; n < 20; n++) {
		regit_buf_clear(&buf);
		assert_int_equal(regit_buf_grow(&buf, 64 * 1024), 0);
		regit_alloc_fail_after(n);
		error = regit_type_canonical(&rec, &buf);
		regit_alloc_fail_after(-1);
		if (error == 0)
			break;
		assert_int_equal(error, REGIT_ENOMEM);
		assert_int_equal(buf.size, 0);
		assert_int_equal(regit_type_fingerprint_rabin(&fp, &rec), 0);
		regit_alloc_fail_after(n);
		assert_int_equal(regit_type_fingerprint_rabin(&fp, &rec), REGIT_ENOMEM);
		regit_alloc_fail_after(-1);
		assert_true(fp == 0);
	}
	assert_int_equal(error, 0);
	assert_true(n > 0);      /* the set did have to grow */
	regit_buf_dispose(&buf);
}

/*
 * A type imported from another schema (a Confluent schema reference) is
 * spelled out in full at its first use, as if it had been defined there:
 * the canonical form must not depend on how the schema was split.
 */
static void test_canonical__imported_types_are_expanded(void **state)
{
	static const char addr[] =
		"{\"type\": \"record\", \"name\": \"Addr\", \"namespace\": \"com.x\","
		" \"fields\": [{\"name\": \"city\", \"type\": \"string\"}]}";
	static const char user[] =
		"{\"type\": \"record\", \"name\": \"User\", \"namespace\": \"com.x\","
		" \"fields\": [{\"name\": \"home\", \"type\": \"Addr\"},"
		" {\"name\": \"work\", \"type\": [\"null\", \"com.x.Addr\"]}]}";
	static const char inline_user[] =
		"{\"type\": \"record\", \"name\": \"User\", \"namespace\": \"com.x\","
		" \"fields\": [{\"name\": \"home\", \"type\": {\"type\": \"record\","
		" \"name\": \"Addr\", \"fields\": [{\"name\": \"city\", \"type\": \"string\"}]}},"
		" {\"name\": \"work\", \"type\": [\"null\", \"Addr\"]}]}";
	static const char want[] =
		"{\"name\":\"com.x.User\",\"type\":\"record\",\"fields\":["
		"{\"name\":\"home\",\"type\":{\"name\":\"com.x.Addr\",\"type\":\"record\","
		"\"fields\":[{\"name\":\"city\",\"type\":\"string\"}]}},"
		"{\"name\":\"work\",\"type\":[\"null\",\"com.x.Addr\"]}]}";
	regit_schema *a = NULL, *u = NULL, *v = NULL;
	const regit_schema *imports[1];
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	regit_schema_error err;
	regit_buf buf = REGIT_BUF_INIT;

	(void)state;
	assert_int_equal(regit_schema_parse(&a, addr, strlen(addr), NULL, &err), 0);
	imports[0] = a;
	opts.imports = imports;
	opts.nimports = 1;
	assert_int_equal(regit_schema_parse(&u, user, strlen(user), &opts, &err), 0);
	assert_int_equal(regit_schema_canonical(u, &buf), 0);
	assert_string_equal(regit_buf_cstr(&buf), want);

	assert_int_equal(regit_schema_parse(&v, inline_user, strlen(inline_user), NULL, &err), 0);
	assert_true(regit_schema_fingerprint_rabin(u) == regit_schema_fingerprint_rabin(v));
	assert_true(regit_schema_fingerprint_rabin(u) == regit_rabin_fingerprint(want, strlen(want)));

	regit_buf_dispose(&buf);
	regit_schema_free(v);
	regit_schema_free(u);
	regit_schema_free(a);
}

/* --- The Apache Avro corpus ------------------------------------------- */

static void test_canonical__avro_corpus(void **state)
{
	FILE *f = fopen(CORPUS, "r");
	char *line = NULL;
	size_t cap = 0;
	int cases = 0, forms = 0, rabins = 0, shas = 0;

	(void)state;
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_error_t jerr;
		json_t *c = json_loads(line, 0, &jerr);
		const char *input, *expected, *name;
		json_t *fpv;
		regit_schema *schema = NULL;
		regit_schema_error err;
		regit_buf buf = REGIT_BUF_INIT;
		unsigned char sha[32], want[32];
		int error;

		assert_non_null(c);
		name = json_string_value(json_object_get(c, "case"));
		input = json_string_value(json_object_get(c, "input"));
		expected = json_string_value(json_object_get(c, "canonical"));
		fpv = json_object_get(c, "rabin_fingerprint");
		assert_non_null(input);
		assert_non_null(expected);
		cases++;

		error = regit_schema_parse(&schema, input, strlen(input), NULL, &err);
		if (error < 0)
			print_error("case %s: parse: %s (at %s)\n", name, err.message, err.path);
		assert_int_equal(error, 0);

		assert_int_equal(regit_schema_canonical(schema, &buf), 0);
		if (strcmp(regit_buf_cstr(&buf), expected) != 0)
			print_error("case %s:\n  got  %s\n  want %s\n", name,
				regit_buf_cstr(&buf), expected);
		else
			forms++;

		if (fpv) {
			/* The corpus writes Java's signed long. */
			uint64_t want_fp = (uint64_t)json_integer_value(fpv);

			assert_true(json_is_integer(fpv));
			if (regit_schema_fingerprint_rabin(schema) == want_fp &&
			    regit_rabin_fingerprint(expected, strlen(expected)) == want_fp)
				rabins++;
			else
				print_error("case %s: rabin %lld, want %lld\n", name,
					(long long)regit_schema_fingerprint_rabin(schema),
					(long long)want_fp);
		}

		assert_int_equal(regit_schema_fingerprint_sha256(schema, sha), 0);
		sha256sum_of(expected, want);
		if (memcmp(sha, want, 32) == 0)
			shas++;

		regit_buf_dispose(&buf);
		regit_schema_free(schema);
		json_decref(c);
	}
	free(line);
	fclose(f);
	print_message("canonical forms %d/%d, rabin %d/26, sha256 %d/%d\n",
		forms, cases, rabins, shas, cases);
	assert_int_equal(cases, 34);
	assert_int_equal(forms, 34);
	assert_int_equal(rabins, 26);
	assert_int_equal(shas, 34);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical__rabin_of_bytes),
		cmocka_unit_test(test_canonical__hand_built_recursive_model),
		cmocka_unit_test(test_canonical__sub_node_is_its_own_schema),
		cmocka_unit_test(test_canonical__strings_are_json_escaped),
		cmocka_unit_test(test_canonical__piece_longer_than_stage),
		cmocka_unit_test(test_canonical__limit_leaves_buffer_unchanged),
		cmocka_unit_test(test_canonical__many_named_types_and_oom),
		cmocka_unit_test(test_canonical__imported_types_are_expanded),
		cmocka_unit_test(test_canonical__avro_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
