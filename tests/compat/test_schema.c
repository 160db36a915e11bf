/*
 * test_schema.c - compat/schema: the model, validation, printing, bounds.
 *
 * Data-driven parts walk tests/compat/schemas/{valid,invalid} (see the
 * README there) plus the shared Avro files in tests/data/avro and the
 * example schemas in schemas/. The expected COMPACT strings below were
 * derived by hand from Avro Java's Schema.toString() rules
 * (confluent-api §4.9 and the Avro 1.11 sources' key order), not by
 * running our printer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <avro.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* ---- helpers ---------------------------------------------------------- */

static regit_schema *parse_ok(const char *text)
{
	regit_schema *s = NULL;
	regit_schema_error err;
	int error = regit_schema_parse(&s, text, strlen(text), NULL, &err);

	if (error != 0)
		fail_msg("parse failed: %s (at %s) for %s", err.message, err.path, text);
	return s;
}

static void expect_invalid(const char *text, int code, const char *path, const char *needle)
{
	regit_schema *s = (regit_schema *)1;
	regit_schema_error err;
	int error = regit_schema_parse(&s, text, strlen(text), NULL, &err);

	if (error != code)
		fail_msg("expected %s, got %s (%s) for %s", regit_error_code_name(code),
			regit_error_code_name(error), err.message, text);
	assert_null(s);
	if (path)
		assert_string_equal(err.path, path);
	if (needle && !strstr(err.message, needle))
		fail_msg("message '%s' lacks '%s'", err.message, needle);
}

static char *print_style(const regit_schema *s, regit_print_style style)
{
	regit_buf buf = REGIT_BUF_INIT;

	assert_int_equal(regit_schema_print(s, style, &buf), 0);
	return regit_buf_detach(&buf);
}

static void expect_compact(const char *input, const char *expected)
{
	regit_schema *s = parse_ok(input);
	char *out = print_style(s, REGIT_PRINT_COMPACT);

	assert_string_equal(out, expected);
	regit_free(out);
	regit_schema_free(s);
}

static char *read_text(const char *path, size_t *len)
{
	regit_buf buf = REGIT_BUF_INIT;

	if (regit_buf_read_file(&buf, path) < 0)
		fail_msg("cannot read %s: %s", path, regit_error_message());
	*len = buf.size;
	return regit_buf_detach(&buf);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Calls fn(path) for each file in dir ending in suffix, sorted; returns how many. */
static size_t for_each_file(const char *dir, const char *suffix, void (*fn)(const char *))
{
	struct dirent **names = NULL;
	char path[1024];
	int n, i;
	size_t count = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		fail_msg("cannot list %s", dir);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && has_suffix(names[i]->d_name, suffix)) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			fn(path);
			count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

/* ---- round trips over every valid file -------------------------------- */

static void round_trip_file(const char *path)
{
	regit_schema *a = NULL, *b = NULL, *c = NULL;
	regit_schema_error err;
	regit_buf canon_a = REGIT_BUF_INIT, canon_b = REGIT_BUF_INIT, canon_c = REGIT_BUF_INIT;
	char *pretty1, *pretty2, *compact1, *compact2;

	if (regit_schema_parse_file(&a, path, NULL, &err) != 0)
		fail_msg("%s: %s (at %s)", path, err.message, err.path);

	pretty1 = print_style(a, REGIT_PRINT_PRETTY);
	if (regit_schema_parse(&b, pretty1, strlen(pretty1), NULL, &err) != 0)
		fail_msg("%s: pretty output does not parse: %s (at %s)\n%s", path,
			err.message, err.path, pretty1);
	pretty2 = print_style(b, REGIT_PRINT_PRETTY);
	assert_string_equal(pretty1, pretty2);

	compact1 = print_style(a, REGIT_PRINT_COMPACT);
	assert_null(strchr(compact1, '\n'));
	if (regit_schema_parse(&c, compact1, strlen(compact1), NULL, &err) != 0)
		fail_msg("%s: compact output does not parse: %s (at %s)\n%s", path,
			err.message, err.path, compact1);
	compact2 = print_style(c, REGIT_PRINT_COMPACT);
	assert_string_equal(compact1, compact2);

	/* Printing must not change what the schema means. */
	assert_int_equal(regit_schema_canonical(a, &canon_a), 0);
	assert_int_equal(regit_schema_canonical(b, &canon_b), 0);
	assert_int_equal(regit_schema_canonical(c, &canon_c), 0);
	assert_string_equal(regit_buf_cstr(&canon_a), regit_buf_cstr(&canon_b));
	assert_string_equal(regit_buf_cstr(&canon_a), regit_buf_cstr(&canon_c));
	assert_int_equal(regit_schema_named_count(a), regit_schema_named_count(b));

	regit_buf_dispose(&canon_a);
	regit_buf_dispose(&canon_b);
	regit_buf_dispose(&canon_c);
	regit_free(pretty1);
	regit_free(pretty2);
	regit_free(compact1);
	regit_free(compact2);
	regit_schema_free(a);
	regit_schema_free(b);
	regit_schema_free(c);
}

static void test_schema__valid_files_round_trip(void **state)
{
	(void)state;
	assert_true(for_each_file("tests/compat/schemas/valid", ".avsc", round_trip_file) >= 10);
	assert_int_equal(for_each_file("tests/data/avro", ".avsc", round_trip_file), 2);
	assert_true(for_each_file("schemas", ".avsc", round_trip_file) >= 4);
}

/* ---- Avro-C as a second opinion --------------------------------------- */

/*
 * Valid files Avro-C 1.11 cannot take: it rejects \u0000 in strings and
 * empty unions, does not fall back to the null namespace (Avro Java does),
 * and writes references to types named like primitives unqualified.
 */
static int avro_c_skips(const char *path)
{
	static const char *const skip[] = {
		"all_types.avsc", "empty_things.avsc", "namespaces.avsc",
		"null_namespace_fallback.avsc", "type_name_like.avsc", NULL
	};
	const char *const *s;

	for (s = skip; *s; s++) {
		if (has_suffix(path, *s))
			return 1;
	}
	return 0;
}

/* Avro-C parses the file too, and its JSON has our canonical form. */
static void avro_c_agrees(const char *path)
{
	regit_schema *ours = NULL, *theirs = NULL;
	regit_buf c1 = REGIT_BUF_INIT, c2 = REGIT_BUF_INIT;
	regit_schema_error err;
	avro_schema_t schema;
	avro_writer_t writer;
	static char json[1 << 16];
	char *text;
	size_t len, jlen;

	if (avro_c_skips(path))
		return;
	text = read_text(path, &len);
	if (avro_schema_from_json_length(text, len, &schema) != 0)
		fail_msg("%s: Avro-C rejects it: %s", path, avro_strerror());
	writer = avro_writer_memory(json, sizeof(json));
	assert_int_equal(avro_schema_to_json(schema, writer), 0);
	jlen = (size_t)avro_writer_tell(writer);
	avro_writer_free(writer);
	avro_schema_decref(schema);

	assert_int_equal(regit_schema_parse(&ours, text, len, NULL, &err), 0);
	if (regit_schema_parse(&theirs, json, jlen, NULL, &err) != 0)
		fail_msg("%s: Avro-C's JSON does not parse: %s (at %s)", path, err.message, err.path);
	assert_int_equal(regit_schema_canonical(ours, &c1), 0);
	assert_int_equal(regit_schema_canonical(theirs, &c2), 0);
	assert_string_equal(regit_buf_cstr(&c1), regit_buf_cstr(&c2));
	regit_buf_dispose(&c1);
	regit_buf_dispose(&c2);
	regit_schema_free(ours);
	regit_schema_free(theirs);
	regit_free(text);
}

static void test_schema__avro_c_agrees(void **state)
{
	(void)state;
	assert_true(for_each_file("tests/compat/schemas/valid", ".avsc", avro_c_agrees) >= 10);
	for_each_file("tests/data/avro", ".avsc", avro_c_agrees);
	for_each_file("schemas", ".avsc", avro_c_agrees);
}

/* ---- invalid cases ---------------------------------------------------- */

static void invalid_case(const char *path)
{
	char expected_path[1024], *text, *exp, *line2, *line3, *nl;
	regit_schema *s = (regit_schema *)1;
	regit_schema_error err;
	size_t len, elen;
	int error;

	text = read_text(path, &len);
	snprintf(expected_path, sizeof(expected_path), "%.*s.expected",
		(int)(strlen(path) - 5), path);
	exp = read_text(expected_path, &elen);
	/* Line 1: pointer, line 2: code, line 3: message substring. */
	nl = strchr(exp, '\n');
	assert_non_null(nl);
	*nl = '\0';
	line2 = nl + 1;
	nl = strchr(line2, '\n');
	assert_non_null(nl);
	*nl = '\0';
	line3 = nl + 1;
	nl = strchr(line3, '\n');
	if (nl)
		*nl = '\0';

	error = regit_schema_parse(&s, text, len, NULL, &err);
	if (error >= 0)
		fail_msg("%s: accepted", path);
	assert_null(s);
	if (strcmp(regit_error_code_name(error), line2) != 0)
		fail_msg("%s: got %s, expected %s (%s)", path, regit_error_code_name(error),
			line2, err.message);
	if (strcmp(err.path, exp) != 0)
		fail_msg("%s: error at '%s', expected '%s' (%s)", path, err.path, exp, err.message);
	if (line3[0] && !strstr(err.message, line3))
		fail_msg("%s: message '%s' lacks '%s'", path, err.message, line3);
	/* Every rejection of non-empty text says where. */
	if (len > 0 && err.line <= 0)
		fail_msg("%s: no line for '%s'", path, err.message);
	regit_free(text);
	regit_free(exp);
}

static void test_schema__invalid_files(void **state)
{
	(void)state;
	assert_true(for_each_file("tests/compat/schemas/invalid", ".avsc", invalid_case) >= 60);
}

/* ---- warnings --------------------------------------------------------- */

static size_t decimal_ignored_seen;

/* valid/decimal_ignored_*: an invalid decimal is ignored with a warning
 * (the specification; python-avro and Java do the same). */
static void decimal_ignored_case(const char *path)
{
	regit_schema *s = NULL;
	regit_schema_error err;
	const char *const *w = NULL;
	const regit_type *t;

	if (!strstr(path, "decimal_ignored_"))
		return;
	decimal_ignored_seen++;
	assert_int_equal(regit_schema_parse_file(&s, path, NULL, &err), 0);
	assert_int_equal(regit_schema_warnings(s, &w), 1);
	assert_non_null(strstr(w[0], "decimal logical type"));
	assert_non_null(strstr(w[0], "ignored"));
	t = regit_schema_root(s);
	if (t->kind == REGIT_TYPE_RECORD)
		t = t->fields[0].type;
	assert_int_equal(t->logical, REGIT_LOGICAL_UNKNOWN);
	regit_schema_free(s);
}

static void test_schema__invalid_decimal_is_ignored_with_a_warning(void **state)
{
	regit_schema *s = NULL;
	regit_schema_error err;
	const char *text = "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4,\"scale\":2}";

	(void)state;
	for_each_file("tests/compat/schemas/valid", ".avsc", decimal_ignored_case);
	assert_int_equal(decimal_ignored_seen, 6);
	/* A valid decimal gives none. */
	assert_int_equal(regit_schema_parse(&s, text, strlen(text), NULL, &err), 0);
	assert_int_equal(regit_schema_warnings(s, NULL), 0);
	assert_int_equal(regit_schema_root(s)->logical, REGIT_LOGICAL_DECIMAL);
	regit_schema_free(s);
}

/* ---- the model -------------------------------------------------------- */

static void test_schema__interop_model(void **state)
{
	regit_schema *s = NULL;
	regit_schema_error err;
	const regit_type *root, *node, *children, *map;

	(void)state;
	assert_int_equal(regit_schema_parse_file(&s, "tests/data/avro/interop.avsc", NULL, &err), 0);
	root = regit_schema_root(s);
	assert_int_equal(root->kind, REGIT_TYPE_RECORD);
	assert_string_equal(root->fullname, "org.apache.avro.Interop");
	assert_string_equal(root->name, "Interop");
	assert_string_equal(root->space, "org.apache.avro");
	assert_string_equal(root->path, "");
	assert_int_equal(root->nfields, 14);
	assert_string_equal(root->fields[9].name, "mapField");
	assert_string_equal(root->fields[9].path, "/fields/9");
	map = root->fields[9].type;
	assert_int_equal(map->kind, REGIT_TYPE_MAP);
	assert_string_equal(map->items->fullname, "org.apache.avro.Foo");
	assert_string_equal(map->items->path, "/fields/9/type/values");

	/* Named types in definition order. */
	assert_int_equal(regit_schema_named_count(s), 5);
	assert_string_equal(regit_schema_named_at(s, 0)->name, "Interop");
	assert_string_equal(regit_schema_named_at(s, 1)->name, "Foo");
	assert_string_equal(regit_schema_named_at(s, 2)->name, "Kind");
	assert_string_equal(regit_schema_named_at(s, 3)->name, "MD5");
	assert_string_equal(regit_schema_named_at(s, 4)->name, "Node");
	assert_null(regit_schema_named_at(s, 5));

	/* Recursion: Node.children is an array of the very same node. */
	node = regit_schema_find(s, "org.apache.avro.Node");
	assert_non_null(node);
	assert_ptr_equal(node, root->fields[13].type);
	children = node->fields[1].type;
	assert_int_equal(children->kind, REGIT_TYPE_ARRAY);
	assert_ptr_equal(children->items, node);
	assert_null(regit_schema_find(s, "Node"));

	assert_int_equal(root->fields[10].type->kind, REGIT_TYPE_UNION);
	assert_int_equal(root->fields[10].type->nbranches, 3);
	assert_int_equal(root->fields[10].type->branches[2]->kind, REGIT_TYPE_ARRAY);
	assert_int_equal(root->fields[11].type->nsymbols, 3);
	assert_string_equal(root->fields[11].type->symbols[2], "C");
	assert_int_equal(root->fields[12].type->size, 16);
	assert_int_equal(regit_type_is_named(root->fields[12].type), 1);
	assert_int_equal(regit_type_is_named(root->fields[10].type), 0);
	regit_schema_free(s);
}

static void test_schema__fields_keep_everything(void **state)
{
	regit_schema *s = NULL;
	regit_schema_error err;
	const regit_type *root, *e, *inner;
	const regit_field *f;

	(void)state;
	assert_int_equal(regit_schema_parse_file(&s, "tests/compat/schemas/valid/all_types.avsc",
		NULL, &err), 0);
	root = regit_schema_root(s);
	assert_string_equal(root->doc, "Every Avro type once, with defaults.");
	assert_int_equal(root->naliases, 2);
	assert_string_equal(root->aliases[0], "org.example.types.Everything");
	assert_string_equal(root->aliases[1], "other.ns.Old");

	f = &root->fields[2];
	assert_int_equal(json_integer_value(f->default_value), -2147483648LL);
	f = &root->fields[12];
	assert_string_equal(f->name, "u");
	assert_int_equal(f->order, REGIT_ORDER_DESCENDING);
	assert_int_equal(f->naliases, 1);
	assert_string_equal(f->aliases[0], "uu");
	assert_string_equal(json_string_value(f->default_value), "x");
	f = &root->fields[13];
	assert_int_equal(f->order, REGIT_ORDER_IGNORE);
	assert_string_equal(f->doc, "recursive");
	inner = f->type;
	assert_ptr_equal(inner->fields[1].type->branches[1], inner);
	assert_null(root->fields[0].doc);
	assert_non_null(root->fields[0].default_value);
	assert_true(json_is_null(root->fields[0].default_value));
	assert_null(root->fields[1].aliases == NULL ? NULL : root->fields[1].aliases[0]);

	e = regit_schema_find(s, "org.example.types.Suit");
	assert_non_null(e);
	assert_string_equal(e->enum_default, "SPADES");
	assert_ptr_equal(root->fields[10].type->items, e);
	regit_schema_free(s);
}

static void test_schema__namespaces(void **state)
{
	regit_schema *s = NULL;
	regit_schema_error err;
	const regit_type *root, *mid, *refs;

	(void)state;
	assert_int_equal(regit_schema_parse_file(&s, "tests/compat/schemas/valid/namespaces.avsc",
		NULL, &err), 0);
	root = regit_schema_root(s);
	/* A dotted name wins over the namespace attribute. */
	assert_string_equal(root->fullname, "a.b.Outer");
	assert_non_null(regit_schema_find(s, "a.b.InA"));
	mid = regit_schema_find(s, "c.Mid");
	assert_non_null(mid);
	assert_non_null(regit_schema_find(s, "c.InC"));
	assert_ptr_equal(mid->fields[1].type, regit_schema_find(s, "a.b.InA"));
	/* "namespace": "" is the null namespace. */
	assert_non_null(regit_schema_find(s, "Top"));
	assert_null(regit_schema_find(s, "Top")->space);
	refs = root->fields[2].type;
	assert_int_equal(refs->nbranches, 5);
	assert_ptr_equal(refs->branches[1], regit_schema_find(s, "a.b.InA"));
	assert_ptr_equal(refs->branches[4], regit_schema_find(s, "Top"));
	regit_schema_free(s);

	/* An unqualified name falls back to the null namespace, like Avro Java. */
	assert_int_equal(regit_schema_parse_file(&s,
		"tests/compat/schemas/valid/null_namespace_fallback.avsc", NULL, &err), 0);
	assert_ptr_equal(regit_schema_find(s, "ns.In")->fields[0].type, regit_schema_find(s, "E"));
	regit_schema_free(s);
}

static void test_schema__logical_types(void **state)
{
	regit_schema *s = NULL;
	regit_schema_error err;
	const regit_type *root;
	static const regit_logical want[] = {
		REGIT_LOGICAL_DECIMAL, REGIT_LOGICAL_DECIMAL, REGIT_LOGICAL_UUID,
		REGIT_LOGICAL_DATE, REGIT_LOGICAL_TIME_MILLIS, REGIT_LOGICAL_TIME_MICROS,
		REGIT_LOGICAL_TIMESTAMP_MILLIS, REGIT_LOGICAL_TIMESTAMP_MICROS,
		REGIT_LOGICAL_LOCAL_TIMESTAMP_MILLIS, REGIT_LOGICAL_LOCAL_TIMESTAMP_MICROS,
		REGIT_LOGICAL_DURATION, REGIT_LOGICAL_UNKNOWN, REGIT_LOGICAL_UNKNOWN,
		REGIT_LOGICAL_UNKNOWN, REGIT_LOGICAL_NONE
	};
	size_t i;

	(void)state;
	assert_int_equal(regit_schema_parse_file(&s, "tests/compat/schemas/valid/logical_types.avsc",
		NULL, &err), 0);
	root = regit_schema_root(s);
	assert_int_equal(root->nfields, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < root->nfields; i++) {
		if (root->fields[i].type->logical != want[i])
			fail_msg("field %s: logical %d, want %d", root->fields[i].name,
				root->fields[i].type->logical, want[i]);
	}
	assert_int_equal(root->fields[0].type->precision, 10);
	assert_int_equal(root->fields[0].type->scale, 2);
	assert_int_equal(root->fields[1].type->precision, 21);
	assert_int_equal(root->fields[1].type->scale, 0);
	assert_string_equal(root->fields[11].type->logical_name, "color");
	assert_string_equal(root->fields[12].type->logical_name, "date");
	assert_null(root->fields[14].type->logical_name);
	/* Unknown logical types and their parameters stay as properties. */
	assert_string_equal(json_string_value(json_object_get(root->fields[11].type->props,
		"palette")), "rgb");
	assert_string_equal(json_string_value(json_object_get(root->fields[11].type->props,
		"logicalType")), "color");
	regit_schema_free(s);
}

static void test_schema__props_in_input_order(void **state)
{
	regit_schema *s = parse_ok(
		"{\"type\":\"record\",\"name\":\"R\",\"zz\":1,\"aa\":2,\"mm\":3,\"doc\":\"x\","
		"\"fields\":[{\"b\":1,\"name\":\"f\",\"a\":2,\"type\":\"int\"}]}");
	const regit_type *root = regit_schema_root(s);
	const char *keys[3];
	const char *key;
	json_t *value;
	size_t n = 0;

	(void)state;
	json_object_foreach((json_t *)root->props, key, value) {
		assert_true(n < 3);
		keys[n++] = key;
	}
	assert_int_equal(n, 3);
	assert_string_equal(keys[0], "zz");
	assert_string_equal(keys[1], "aa");
	assert_string_equal(keys[2], "mm");
	assert_int_equal(json_object_size(root->fields[0].props), 2);
	assert_null(json_object_get(root->props, "doc"));
	regit_schema_free(s);

	s = parse_ok("\"int\"");
	assert_null(regit_schema_root(s)->props);
	assert_null(regit_schema_root(s)->name);
	regit_schema_free(s);
}

/* ---- printing --------------------------------------------------------- */

static void test_schema__compact_matches_avro_java(void **state)
{
	(void)state;
	/* {"type":"string"} is written "string"; primitives with props stay objects. */
	expect_compact("{\"type\":\"string\"}", "\"string\"");
	expect_compact("{ \"type\" : \"int\" , \"logicalType\" : \"date\" }",
		"{\"type\":\"int\",\"logicalType\":\"date\"}");
	/* "name":"ns.R" -> "name":"R","namespace":"ns"; record keys reordered
	 * to type, name, namespace, doc, fields, props, aliases. */
	expect_compact(
		"{\"aliases\":[\"ns.Old\",\"x.Y\"],\"fields\":[],\"p\":1,\"doc\":\"d\",\"name\":\"ns.R\",\"type\":\"record\"}",
		"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"ns\",\"doc\":\"d\",\"fields\":[],\"p\":1,\"aliases\":[\"Old\",\"x.Y\"]}");
	/* Field keys: name, type, doc, default, order (not ascending), aliases, props. */
	expect_compact(
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"x\":1,\"order\":\"descending\",\"default\":5,\"aliases\":[\"g\"],\"doc\":\"fd\",\"type\":\"int\",\"name\":\"f\"},"
		"{\"name\":\"h\",\"type\":\"int\",\"order\":\"ascending\"}]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"f\",\"type\":\"int\",\"doc\":\"fd\",\"default\":5,\"order\":\"descending\",\"aliases\":[\"g\"],\"x\":1},"
		"{\"name\":\"h\",\"type\":\"int\"}]}");
	/* Nested namespace omitted when equal; named types by name after their
	 * definition, relative to the enclosing namespace. */
	expect_compact(
		"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
		"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"namespace\":\"a\",\"symbols\":[\"X\"],\"default\":\"X\"}},"
		"{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"b.F\",\"size\":2}},"
		"{\"name\":\"g\",\"type\":[\"null\",\"a.E\",\"b.F\",\"R\"]}]}",
		"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
		"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"],\"default\":\"X\"}},"
		"{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"b\",\"size\":2}},"
		"{\"name\":\"g\",\"type\":[\"null\",\"E\",\"b.F\",\"R\"]}]}");
	/* Inside another namespace the references are qualified; a null-namespace
	 * type nested in a namespaced one gets "namespace":"". */
	expect_compact(
		"{\"type\":\"record\",\"name\":\"a.R\",\"fields\":["
		"{\"name\":\"n\",\"type\":{\"type\":\"record\",\"name\":\"N\",\"namespace\":\"\",\"fields\":[]}},"
		"{\"name\":\"s\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"namespace\":\"b\",\"fields\":["
		"{\"name\":\"r\",\"type\":\"a.R\"}]}}]}",
		"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
		"{\"name\":\"n\",\"type\":{\"type\":\"record\",\"name\":\"N\",\"namespace\":\"\",\"fields\":[]}},"
		"{\"name\":\"s\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"namespace\":\"b\",\"fields\":["
		"{\"name\":\"r\",\"type\":\"a.R\"}]}}]}");
	/* Names that are Avro type names are always written qualified. */
	expect_compact(
		"{\"type\":\"record\",\"name\":\"ns.record\",\"fields\":[{\"name\":\"x\",\"type\":[\"null\",\"record\"]}]}",
		"{\"type\":\"record\",\"name\":\"record\",\"namespace\":\"ns\",\"fields\":[{\"name\":\"x\",\"type\":[\"null\",\"ns.record\"]}]}");
	/* Arrays and maps: type, items/values, props; the type's own doc is
	 * reserved and dropped as Avro Java drops it. */
	expect_compact("{\"doc\":\"gone\",\"values\":{\"items\":\"long\",\"type\":\"array\"},\"type\":\"map\",\"k\":[true,null]}",
		"{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"long\"},\"k\":[true,null]}");
	/* Doubles as Java's Double.toString writes them, strings as Jackson escapes them. */
	expect_compact(
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"a\",\"type\":\"double\",\"default\":1e10},"
		"{\"name\":\"b\",\"type\":\"double\",\"default\":0.1},"
		"{\"name\":\"c\",\"type\":\"double\",\"default\":100},"
		"{\"name\":\"d\",\"type\":\"double\",\"default\":1.5E-5},"
		"{\"name\":\"e\",\"type\":\"double\",\"default\":1234567.0},"
		"{\"name\":\"f\",\"type\":\"double\",\"default\":-0.001},"
		"{\"name\":\"g\",\"type\":\"float\",\"default\":12345678.9},"
		"{\"name\":\"h\",\"type\":\"string\",\"default\":\"\\u0001\\t\\\"\\u00e9/\"}]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"a\",\"type\":\"double\",\"default\":1.0E10},"
		"{\"name\":\"b\",\"type\":\"double\",\"default\":0.1},"
		"{\"name\":\"c\",\"type\":\"double\",\"default\":100},"
		"{\"name\":\"d\",\"type\":\"double\",\"default\":1.5E-5},"
		"{\"name\":\"e\",\"type\":\"double\",\"default\":1234567.0},"
		"{\"name\":\"f\",\"type\":\"double\",\"default\":-0.001},"
		"{\"name\":\"g\",\"type\":\"float\",\"default\":1.23456789E7},"
		"{\"name\":\"h\",\"type\":\"string\",\"default\":\"\\u0001\\t\\\"\xc3\xa9/\"}]}");
}

static void test_schema__java_leniency(void **state)
{
	(void)state;
	/* JSON null for namespace, doc, order and an enum default means "absent". */
	expect_compact(
		"{\"type\":\"record\",\"name\":\"R\",\"namespace\":null,\"doc\":null,\"fields\":["
		"{\"name\":\"a\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"],\"default\":null},\"order\":null,\"doc\":null}]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"a\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"]}}]}");
	/* String defaults of float/double fields go through Double.valueOf in
	 * Java: numerals become numbers, NaN and infinities stay strings. */
	expect_compact(
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"a\",\"type\":\"double\",\"default\":\"1.5\"},"
		"{\"name\":\"b\",\"type\":\"float\",\"default\":\"2\"},"
		"{\"name\":\"c\",\"type\":\"float\",\"default\":\"NaN\"},"
		"{\"name\":\"d\",\"type\":\"double\",\"default\":\"-Infinity\"}]}",
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"a\",\"type\":\"double\",\"default\":1.5},"
		"{\"name\":\"b\",\"type\":\"float\",\"default\":2.0},"
		"{\"name\":\"c\",\"type\":\"float\",\"default\":\"NaN\"},"
		"{\"name\":\"d\",\"type\":\"double\",\"default\":\"-Infinity\"}]}");
}

static void test_schema__pretty_layout(void **state)
{
	regit_schema *s = parse_ok(
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
		"{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null}]}");
	char *out = print_style(s, REGIT_PRINT_PRETTY);

	(void)state;
	assert_string_equal(out,
		"{\n"
		"  \"type\": \"record\",\n"
		"  \"name\": \"R\",\n"
		"  \"fields\": [\n"
		"    {\"name\": \"a\", \"type\": \"int\"},\n"
		"    {\"name\": \"b\", \"type\": [\"null\", \"string\"], \"default\": null}\n"
		"  ]\n"
		"}\n");
	regit_free(out);
	regit_schema_free(s);

	s = parse_ok("\"bytes\"");
	out = print_style(s, REGIT_PRINT_PRETTY);
	assert_string_equal(out, "\"bytes\"\n");
	regit_free(out);
	regit_schema_free(s);
}

static void test_schema__print_appends_and_respects_limit(void **state)
{
	regit_schema *s = parse_ok("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}");
	regit_buf buf;

	(void)state;
	regit_buf_init(&buf, 20);
	assert_int_equal(regit_buf_puts(&buf, "x="), 0);
	assert_int_equal(regit_schema_print(s, REGIT_PRINT_COMPACT, &buf), REGIT_ELIMIT);
	assert_string_equal(regit_buf_cstr(&buf), "x=");
	regit_buf_dispose(&buf);
	regit_buf_init(&buf, 0);
	assert_int_equal(regit_buf_puts(&buf, "x="), 0);
	assert_int_equal(regit_schema_print(s, REGIT_PRINT_COMPACT, &buf), 0);
	assert_string_equal(regit_buf_cstr(&buf),
		"x={\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}");
	regit_buf_dispose(&buf);
	regit_schema_free(s);
}

/* ---- imports ---------------------------------------------------------- */

static void test_schema__imports(void **state)
{
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	regit_schema *addr = parse_ok(
		"{\"type\":\"record\",\"name\":\"com.acme.Address\",\"fields\":[{\"name\":\"city\",\"type\":\"string\"}]}");
	const regit_schema *imports[1];
	regit_schema *user = NULL;
	regit_schema_error err;
	const char *text =
		"{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.acme\",\"fields\":["
		"{\"name\":\"home\",\"type\":\"Address\"},{\"name\":\"work\",\"type\":[\"null\",\"com.acme.Address\"]}]}";
	char *out;

	(void)state;
	imports[0] = addr;
	opts.imports = imports;
	opts.nimports = 1;
	/* Without the import the reference is unknown. */
	expect_invalid(text, REGIT_EINVALID, "/fields/0/type", "unknown type \"Address\"");
	assert_int_equal(regit_schema_parse(&user, text, strlen(text), &opts, &err), 0);
	assert_ptr_equal(regit_schema_root(user)->fields[0].type, regit_schema_root(addr));
	/* Imported types are not part of this schema... */
	assert_null(regit_schema_find(user, "com.acme.Address"));
	assert_int_equal(regit_schema_named_count(user), 1);
	/* ...and are written by name, never inlined. */
	out = print_style(user, REGIT_PRINT_COMPACT);
	assert_string_equal(out,
		"{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.acme\",\"fields\":["
		"{\"name\":\"home\",\"type\":\"Address\"},{\"name\":\"work\",\"type\":[\"null\",\"Address\"]}]}");
	regit_free(out);
	regit_schema_free(user);

	/* Redefining an imported name is an error. */
	text = "{\"type\":\"fixed\",\"name\":\"com.acme.Address\",\"size\":1}";
	assert_int_equal(regit_schema_parse(&user, text, strlen(text), &opts, &err), REGIT_EINVALID);
	assert_string_equal(err.path, "/name");
	regit_schema_free(addr);
}

/*
 * Enough imports that the parser indexes their names (a registry schema
 * imports everything its references reach): lookups must mean what a scan
 * of the imports in order meant.
 */
static void test_schema__many_imports(void **state)
{
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	const regit_schema *imports[13];
	regit_schema *own[13] = { NULL };
	regit_schema *s = NULL;
	regit_schema_error err;
	char text[256];
	const char *top;
	int i;

	(void)state;
	for (i = 0; i < 11; i++) {
		snprintf(text, sizeof(text), "{\"type\":\"record\",\"name\":\"m.T%d\",\"fields\":[]}", i);
		own[i] = parse_ok(text);
	}
	/* Another definition of m.T3, later: the first import to define it wins. */
	own[11] = parse_ok("{\"type\":\"enum\",\"name\":\"m.T3\",\"symbols\":[\"A\"]}");
	own[12] = parse_ok("{\"type\":\"record\",\"name\":\"Z\",\"fields\":[]}");
	for (i = 0; i < 13; i++)
		imports[i] = own[i];
	imports[5] = NULL;            /* skipped, as by a scan */
	opts.imports = imports;
	opts.nimports = 13;

	top = "{\"type\":\"record\",\"name\":\"Top\",\"namespace\":\"m\",\"fields\":["
		"{\"name\":\"a\",\"type\":\"T7\"},{\"name\":\"b\",\"type\":\"m.T3\"},"
		"{\"name\":\"c\",\"type\":\"Z\"}]}";
	assert_int_equal(regit_schema_parse(&s, top, strlen(top), &opts, &err), 0);
	assert_ptr_equal(regit_schema_root(s)->fields[0].type, regit_schema_root(own[7]));
	assert_ptr_equal(regit_schema_root(s)->fields[1].type, regit_schema_root(own[3]));
	/* Z: not in namespace m, found in the null namespace. */
	assert_ptr_equal(regit_schema_root(s)->fields[2].type, regit_schema_root(own[12]));
	regit_schema_free(s);

	/* Unknown names, names of the skipped import, redefinitions. */
	top = "{\"type\":\"record\",\"name\":\"m.Top\",\"fields\":[{\"name\":\"a\",\"type\":\"m.T5\"}]}";
	assert_int_equal(regit_schema_parse(&s, top, strlen(top), &opts, &err), REGIT_EINVALID);
	assert_non_null(strstr(err.message, "unknown type \"m.T5\""));
	top = "{\"type\":\"fixed\",\"name\":\"m.T10\",\"size\":1}";
	assert_int_equal(regit_schema_parse(&s, top, strlen(top), &opts, &err), REGIT_EINVALID);
	assert_non_null(strstr(err.message, "defined twice"));
	/* Z resolved in the null namespace, then m.Z defined: ambiguous. */
	top = "{\"type\":\"record\",\"name\":\"Top\",\"namespace\":\"m\",\"fields\":["
		"{\"name\":\"a\",\"type\":\"Z\"},"
		"{\"name\":\"b\",\"type\":{\"type\":\"record\",\"name\":\"Z\",\"fields\":[]}}]}";
	assert_int_equal(regit_schema_parse(&s, top, strlen(top), &opts, &err), REGIT_EINVALID);
	assert_non_null(strstr(err.message, "ambiguous"));
	for (i = 0; i < 13; i++)
		regit_schema_free(own[i]);
}

/* ---- errors carry positions ------------------------------------------- */

static void test_schema__error_positions(void **state)
{
	const char *text =
		"{\"type\": \"record\", \"name\": \"R\",\n"
		" \"fields\": [\n"
		"   {\"name\": \"a\", \"type\": \"int\"},\n"
		"   {\"name\": \"b\", \"type\": {\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"X\", \"Y\", \"X\"]}}\n"
		" ]}\n";
	regit_schema *s = NULL;
	regit_schema_error err;

	(void)state;
	assert_int_equal(regit_schema_parse(&s, text, strlen(text), NULL, &err), REGIT_EINVALID);
	assert_string_equal(err.path, "/fields/1/type/symbols/2");
	assert_int_equal(err.line, 4);
	assert_int_equal(err.column, 78);
	assert_non_null(strstr(regit_error_message(), "duplicate enum symbol"));

	text = "{\"type\": \"record\",\n  \"name\": \"R\", \"fields\": [}";
	assert_int_equal(regit_schema_parse(&s, text, strlen(text), NULL, &err), REGIT_EINVALID);
	assert_int_equal(err.line, 2);
	assert_true(err.column > 0);
	assert_string_equal(err.path, "");

	/* Syntax errors count columns in bytes, like the semantic ones. */
	text = "{\"doc\": \"\xc3\xa9\xc3\xa9\xc3\xa9\", \"x\": }";
	assert_int_equal(regit_schema_parse(&s, text, strlen(text), NULL, &err), REGIT_EINVALID);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.column, 24);

	/* A raw NUL byte is invalid JSON wherever it is, also right after a
	 * number where jansson 2.14 would drop it. */
	{
		static const char nul[] = "{\"type\": \"fixed\", \"name\": \"F\",\n \"size\": 16\0}";

		assert_int_equal(regit_schema_parse(&s, nul, sizeof(nul) - 1, NULL, &err),
			REGIT_EINVALID);
		assert_null(s);
		assert_int_equal(err.line, 2);
		assert_int_equal(err.column, 12);
		assert_non_null(strstr(err.message, "NUL"));
		char ok[sizeof(nul)];

		/* With a space instead of the NUL it is a valid schema. */
		memcpy(ok, nul, sizeof(nul));
		ok[sizeof(nul) - 3] = ' ';
		assert_int_equal(regit_schema_parse(&s, ok, sizeof(ok) - 1, NULL, &err), 0);
		regit_schema_free(s);
		s = NULL;
	}

	/* NULL err is allowed. */
	assert_int_equal(regit_schema_parse(&s, "\"nope\"", 6, NULL, NULL), REGIT_EINVALID);
	assert_int_equal(regit_schema_parse_file(&s, "tests/compat/no/such.avsc", NULL, &err),
		REGIT_EIO);
	assert_non_null(strstr(err.message, "no/such.avsc"));
}

/* ---- bounds ----------------------------------------------------------- */

static void test_schema__deep_nesting(void **state)
{
	size_t depth = 100000, i, len = 0;
	char *text = malloc(depth * 2 + 16);
	regit_schema *s = NULL;
	regit_schema_error err;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < depth; i++)
		text[len++] = '[';
	for (i = 0; i < depth; i++)
		text[len++] = ']';
	assert_int_equal(regit_schema_parse(&s, text, len, NULL, &err), REGIT_ELIMIT);
	assert_non_null(strstr(err.message, "deeper than 64"));
	assert_int_equal(err.line, 1);
	assert_int_equal(err.column, 65);

	/* Nested arrays of arrays as a schema: also bounded. */
	free(text);
	text = NULL;
	{
		regit_buf b = REGIT_BUF_INIT;

		for (i = 0; i < 30000; i++)
			assert_int_equal(regit_buf_puts(&b, "{\"type\":\"array\",\"items\":"), 0);
		assert_int_equal(regit_buf_puts(&b, "\"int\""), 0);
		for (i = 0; i < 30000; i++)
			assert_int_equal(regit_buf_putc(&b, '}'), 0);
		assert_int_equal(regit_schema_parse(&s, b.ptr, b.size, NULL, &err), REGIT_ELIMIT);
		/* Within the default depth it works, and a larger bound is honoured. */
		regit_buf_clear(&b);
		for (i = 0; i < 60; i++)
			assert_int_equal(regit_buf_puts(&b, "{\"type\":\"array\",\"items\":"), 0);
		assert_int_equal(regit_buf_puts(&b, "\"int\""), 0);
		for (i = 0; i < 60; i++)
			assert_int_equal(regit_buf_putc(&b, '}'), 0);
		assert_int_equal(regit_schema_parse(&s, b.ptr, b.size, NULL, &err), 0);
		regit_schema_free(s);
		regit_buf_dispose(&b);
	}
	/* Brackets inside strings do not count. */
	s = parse_ok("{\"type\":\"record\",\"name\":\"R\",\"doc\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\",\"fields\":[]}");
	regit_schema_free(s);
}

static void test_schema__many_names(void **state)
{
	regit_buf b = REGIT_BUF_INIT;
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	regit_schema *s = NULL;
	regit_schema_error err;
	size_t i;

	(void)state;
	/* 100,001 symbols: one name more than the default bound. */
	assert_int_equal(regit_buf_puts(&b, "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":["), 0);
	for (i = 0; i < 100001; i++)
		assert_int_equal(regit_buf_printf(&b, "%s\"S%zu\"", i ? "," : "", i), 0);
	assert_int_equal(regit_buf_puts(&b, "]}"), 0);
	assert_int_equal(regit_schema_parse(&s, b.ptr, b.size, NULL, &err), REGIT_ELIMIT);
	assert_non_null(strstr(err.message, "more than 100000 names"));
	/* With room for them it parses (in linear time: duplicates are hashed). */
	opts.max_names = 200000;
	assert_int_equal(regit_schema_parse(&s, b.ptr, b.size, &opts, &err), 0);
	assert_int_equal(regit_schema_root(s)->nsymbols, 100001);
	regit_schema_free(s);

	/* 100,000 fields plus the record's own name. */
	regit_buf_clear(&b);
	assert_int_equal(regit_buf_puts(&b, "{\"type\":\"record\",\"name\":\"R\",\"fields\":["), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":\"int\"}",
			i ? "," : "", i), 0);
	assert_int_equal(regit_buf_puts(&b, "]}"), 0);
	assert_int_equal(regit_schema_parse(&s, b.ptr, b.size, NULL, &err), REGIT_ELIMIT);
	assert_string_equal(err.path, "/fields/99999");
	assert_int_equal(regit_schema_parse(&s, b.ptr, b.size, &opts, &err), 0);
	assert_int_equal(regit_schema_root(s)->nfields, 100000);
	regit_schema_free(s);
	/* Exactly at the bound: 99,999 fields plus the record's name parse
	 * with the default options. */
	regit_buf_clear(&b);
	assert_int_equal(regit_buf_puts(&b, "{\"type\":\"record\",\"name\":\"R\",\"fields\":["), 0);
	for (i = 0; i < 99999; i++)
		assert_int_equal(regit_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":\"int\"}",
			i ? "," : "", i), 0);
	assert_int_equal(regit_buf_puts(&b, "]}"), 0);
	assert_int_equal(regit_schema_parse(&s, b.ptr, b.size, NULL, &err), 0);
	assert_int_equal(regit_schema_root(s)->nfields, 99999);
	regit_schema_free(s);

	/* A union with many duplicate-free named branches stays linear too. */
	regit_buf_clear(&b);
	assert_int_equal(regit_buf_puts(&b, "{\"type\":\"record\",\"name\":\"R\",\"fields\":["), 0);
	for (i = 0; i < 20000; i++)
		assert_int_equal(regit_buf_printf(&b,
			"{\"name\":\"f%zu\",\"type\":{\"type\":\"fixed\",\"name\":\"F%zu\",\"size\":1}},",
			i, i), 0);
	assert_int_equal(regit_buf_puts(&b, "{\"name\":\"u\",\"type\":["), 0);
	for (i = 0; i < 20000; i++)
		assert_int_equal(regit_buf_printf(&b, "%s\"F%zu\"", i ? "," : "", i), 0);
	assert_int_equal(regit_buf_puts(&b, "]}]}"), 0);
	assert_int_equal(regit_schema_parse(&s, b.ptr, b.size, NULL, &err), 0);
	assert_int_equal(regit_schema_root(s)->fields[20000].type->nbranches, 20000);
	regit_schema_free(s);
	regit_buf_dispose(&b);
}

static void test_schema__size_limit(void **state)
{
	size_t len = (4u << 20) + 1;
	char *text = malloc(len);
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	regit_schema *s = NULL;
	regit_schema_error err;

	(void)state;
	assert_non_null(text);
	/* A valid schema, just too big: a 4 MiB doc string. */
	memset(text, 'x', len);
	memcpy(text, "{\"type\":\"fixed\",\"name\":\"F\",\"size\":1,\"doc\":\"", 43);
	memcpy(text + len - 2, "\"}", 2);
	assert_int_equal(regit_schema_parse(&s, text, len, NULL, &err), REGIT_ELIMIT);
	assert_non_null(strstr(err.message, "limit"));
	opts.max_size = len;
	assert_int_equal(regit_schema_parse(&s, text, len, &opts, &err), 0);
	assert_int_equal(strlen(regit_schema_root(s)->doc), len - 45);
	regit_schema_free(s);
	free(text);
}

/* ---- out of memory ---------------------------------------------------- */

/* Parse, print both ways, re-parse: every step must survive allocation failure. */
static int oom_run(const char *text, size_t len)
{
	regit_schema *s = NULL, *again = NULL;
	regit_schema_error err;
	regit_buf pretty = REGIT_BUF_INIT, compact = REGIT_BUF_INIT;
	int error;

	error = regit_schema_parse(&s, text, len, NULL, &err);
	if (error == 0)
		error = regit_schema_print(s, REGIT_PRINT_PRETTY, &pretty);
	if (error == 0)
		error = regit_schema_print(s, REGIT_PRINT_COMPACT, &compact);
	if (error == 0)
		error = regit_schema_parse(&again, compact.ptr, compact.size, NULL, &err);
	regit_schema_free(again);
	regit_schema_free(s);
	regit_buf_dispose(&pretty);
	regit_buf_dispose(&compact);
	return error;
}

static void test_schema__out_of_memory(void **state)
{
	static const char *files[] = {
		"tests/compat/schemas/valid/all_types.avsc",
		"tests/compat/schemas/valid/logical_types.avsc",
		"tests/compat/schemas/invalid/default_union_second_branch.avsc",
	};
	size_t f;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = read_text(files[f], &len);
		int expect, error;
		long n;

		expect = oom_run(text, len);
		for (n = 0;; n++) {
			regit_alloc_fail_after(n);
			error = oom_run(text, len);
			regit_alloc_fail_after(-1);
			if (error != REGIT_ENOMEM) {
				if (error != expect)
					fail_msg("%s: fail after %ld gave %s, want %s", files[f], n,
						regit_error_code_name(error), regit_error_code_name(expect));
				break;
			}
			assert_true(n < 100000);
		}
		assert_true(n > 10);
		regit_free(text);
	}
}

/* A JSON pointer longer than the parser keeps inline (256 bytes) moves to
 * the heap: field paths and error paths stay whole, and that allocation
 * fails cleanly like any other. 30 nested records: the error is at
 * "/fields/0/type" x 30 + "/fields/0/default" (30 * 14 + 17 = 437 bytes). */
static void test_schema__long_paths(void **state)
{
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	regit_buf text = REGIT_BUF_INIT, want = REGIT_BUF_INIT;
	regit_schema_error err;
	regit_schema *s = NULL;
	const regit_type *t;
	int level, error, good;
	long n;

	(void)state;
	opts.max_depth = 256;
	for (good = 1; good >= 0; good--) {
		regit_buf_clear(&text);
		regit_buf_clear(&want);
		for (level = 0; level < 30; level++) {
			regit_buf_printf(&text, "{\"type\":\"record\",\"name\":\"R%d\",\"fields\":"
				"[{\"name\":\"f\",\"type\":", level);
			regit_buf_puts(&want, "/fields/0/type");
		}
		regit_buf_printf(&text, "{\"type\":\"record\",\"name\":\"Last\",\"fields\":"
			"[{\"name\":\"x\",\"type\":\"int\",\"default\":%s}]}", good ? "1" : "\"bad\"");
		for (level = 0; level < 30; level++)
			regit_buf_puts(&text, "}]}");
		regit_buf_puts(&want, good ? "/fields/0" : "/fields/0/default");
		assert_true(want.size > 256 && want.size < sizeof(err.path));

		error = regit_schema_parse(&s, text.ptr, text.size, &opts, &err);
		if (good) {
			if (error != 0)
				fail_msg("parse failed: %s (at %s)", err.message, err.path);
			for (t = regit_schema_root(s), level = 0; level < 30; level++)
				t = t->fields[0].type;
			assert_string_equal(t->fields[0].path, regit_buf_cstr(&want));
			regit_schema_free(s);
			s = NULL;
		} else {
			assert_int_equal(error, REGIT_EINVALID);
			assert_string_equal(err.path, regit_buf_cstr(&want));
		}
		for (n = 0;; n++) {
			regit_alloc_fail_after(n);
			error = regit_schema_parse(&s, text.ptr, text.size, &opts, &err);
			regit_alloc_fail_after(-1);
			regit_schema_free(s);
			s = NULL;
			if (error != REGIT_ENOMEM)
				break;
			assert_true(n < 100000);
		}
		assert_int_equal(error, good ? 0 : REGIT_EINVALID);
		if (!good)
			assert_string_equal(err.path, regit_buf_cstr(&want));
	}
	regit_buf_dispose(&text);
	regit_buf_dispose(&want);
}

static int setup(void **state)
{
	(void)state;
	regit_alloc_install_json();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema__valid_files_round_trip),
		cmocka_unit_test(test_schema__avro_c_agrees),
		cmocka_unit_test(test_schema__invalid_files),
		cmocka_unit_test(test_schema__invalid_decimal_is_ignored_with_a_warning),
		cmocka_unit_test(test_schema__interop_model),
		cmocka_unit_test(test_schema__fields_keep_everything),
		cmocka_unit_test(test_schema__namespaces),
		cmocka_unit_test(test_schema__logical_types),
		cmocka_unit_test(test_schema__props_in_input_order),
		cmocka_unit_test(test_schema__compact_matches_avro_java),
		cmocka_unit_test(test_schema__java_leniency),
		cmocka_unit_test(test_schema__pretty_layout),
		cmocka_unit_test(test_schema__print_appends_and_respects_limit),
		cmocka_unit_test(test_schema__imports),
		cmocka_unit_test(test_schema__many_imports),
		cmocka_unit_test(test_schema__error_positions),
		cmocka_unit_test(test_schema__deep_nesting),
		cmocka_unit_test(test_schema__many_names),
		cmocka_unit_test(test_schema__size_limit),
		cmocka_unit_test(test_schema__out_of_memory),
		cmocka_unit_test(test_schema__long_paths),
	};

	return cmocka_run_group_tests_name("compat/schema", tests, setup, NULL);
}
