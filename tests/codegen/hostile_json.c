/*
 * hostile_json.c - the generated JSON codecs on crafted input.
 *
 * Built by tests/integration/codegen.sh against the code `regit gen --json`
 * writes for tests/data/avro/interop.avsc, and jansson.
 * Each check takes a valid document, changes one thing and expects a
 * specific return code; the writer is given values JSON cannot carry.
 * Prints TAP lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interop.h"

static int n, failed;

static void expect(int got, int want, const char *what)
{
	n++;
	if (got != want)
		failed++;
	printf("%sok %d - json %s: %s%s%s\n", got == want ? "" : "not ", n, what,
		regit_avro_strerror(got), got == want ? "" : ", expected ",
		got == want ? "" : regit_avro_strerror(want));
}

static void check(int ok, const char *what)
{
	n++;
	if (!ok)
		failed++;
	printf("%sok %d - json %s\n", ok ? "" : "not ", n, what);
}

/* The fields of a valid interop document, in schema order. */
static const char *const names[] = {
	"intField", "longField", "stringField", "boolField", "floatField", "doubleField",
	"bytesField", "nullField", "arrayField", "mapField", "unionField", "enumField",
	"fixedField", "recordField", NULL
};
static const char *const values[] = {
	"1", "-2", "\"s\"", "true", "0.5", "2.25", "\"\\u00ff\\u0000a\"", "null", "[1, 2.5]",
	"{\"k\": {\"label\": \"x\"}}", "{\"array\": [\"\\u0001\"]}", "\"C\"",
	"\"0123456789abcdef\"", "{\"label\": \"r\", \"children\": []}"
};

/* The valid document with field `name` set to `value` (NULL: left out),
 * and `extra` appended as more members when not NULL. */
static const char *doc(const char *name, const char *value, const char *extra)
{
	static char buf[1 << 16];
	size_t i, off = 0;
	int first = 1;

	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "{");
	for (i = 0; names[i]; i++) {
		const char *v = values[i];

		if (name && strcmp(name, names[i]) == 0)
			v = value;
		if (!v)
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s\"%s\": %s",
			first ? "" : ", ", names[i], v);
		first = 0;
	}
	if (extra)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, ", %s", extra);
	snprintf(buf + off, sizeof(buf) - off, "}");
	return buf;
}

static int parse(const char *text, regit_avro_arena *a)
{
	interop v;

	regit_avro_arena_reset(a);
	return interop_from_json(&v, text, strlen(text), a);
}

int main(void)
{
	regit_avro_arena a, tiny;
	static unsigned char tiny_mem[32];
	interop v;
	char *js = NULL, *deep;
	size_t jl = 0, i, off;
	int rc;

	regit_avro_arena_init_heap(&a, 1 << 24);
	regit_avro_arena_init(&tiny, tiny_mem, sizeof(tiny_mem));

	/* The base document is accepted and written back as it was given
	 * (numbers aside, which the writer prints as Avro-C does). */
	rc = parse(doc(NULL, NULL, NULL), &a);
	expect(rc, 0, "valid document");
	regit_avro_arena_reset(&a);
	interop_from_json(&v, doc(NULL, NULL, NULL), strlen(doc(NULL, NULL, NULL)), &a);
	check(v.bytesField.len == 3 && memcmp(v.bytesField.ptr, "\xff\0a", 3) == 0,
		"bytes are code points U+0000..U+00FF");
	check(v.mapField.count == 1 && v.mapField.entries[0].key.len == 1 &&
		v.unionField.tag == INTEROP_UNIONFIELD_ARRAY, "map and union read");
	rc = interop_to_json(&v, &js, &jl);
	check(rc == 0 && js && strcmp(js, "{\"intField\": 1, \"longField\": -2, \"stringField\": \"s\", "
		"\"boolField\": true, \"floatField\": 0.5, \"doubleField\": 2.25, "
		"\"bytesField\": \"\\u00FF\\u0000a\", \"nullField\": null, \"arrayField\": [1.0, 2.5], "
		"\"mapField\": {\"k\": {\"label\": \"x\"}}, \"unionField\": {\"array\": [\"\\u0001\"]}, "
		"\"enumField\": \"C\", \"fixedField\": \"0123456789abcdef\", "
		"\"recordField\": {\"label\": \"r\", \"children\": []}}") == 0,
		"to_json writes the document back");
	free(js);
	js = NULL;

	/* Ranges and types. */
	expect(parse(doc("intField", "2147483648", NULL), &a), REGIT_AVRO_EINVALID, "int32 overflow");
	expect(parse(doc("intField", "-2147483649", NULL), &a), REGIT_AVRO_EINVALID, "int32 underflow");
	expect(parse(doc("intField", "-2147483648", NULL), &a), 0, "INT32_MIN");
	expect(parse(doc("intField", "1.0", NULL), &a), REGIT_AVRO_EINVALID, "real for an int");
	expect(parse(doc("intField", "\"1\"", NULL), &a), REGIT_AVRO_EINVALID, "string for an int");
	expect(parse(doc("longField", "9223372036854775808", NULL), &a), REGIT_AVRO_EINVALID,
		"long overflow (jansson refuses the number)");
	expect(parse(doc("longField", "-9223372036854775808", NULL), &a), 0, "INT64_MIN");
	expect(parse(doc("floatField", "1e39", NULL), &a), REGIT_AVRO_EINVALID, "float out of range");
	expect(parse(doc("floatField", "3", NULL), &a), 0, "integer for a float");
	expect(parse(doc("doubleField", "1e400", NULL), &a), REGIT_AVRO_EINVALID, "double overflow");
	expect(parse(doc("doubleField", "NaN", NULL), &a), REGIT_AVRO_EINVALID, "NaN token");
	expect(parse(doc("doubleField", "\"NaN\"", NULL), &a), REGIT_AVRO_EINVALID, "NaN string");
	expect(parse(doc("boolField", "1", NULL), &a), REGIT_AVRO_EINVALID, "number for a boolean");
	expect(parse(doc("nullField", "0", NULL), &a), REGIT_AVRO_EINVALID, "0 for null");

	/* Bytes, fixed, strings. */
	expect(parse(doc("bytesField", "\"\\u0100\"", NULL), &a), REGIT_AVRO_EINVALID,
		"bytes code point above U+00FF");
	expect(parse(doc("bytesField", "\"\\ud83d\\ude00\"", NULL), &a), REGIT_AVRO_EINVALID,
		"bytes with a 4-byte code point");
	expect(parse(doc("fixedField", "\"0123456789abcde\"", NULL), &a), REGIT_AVRO_EINVALID,
		"fixed one byte short");
	expect(parse(doc("fixedField", "\"0123456789abcdefg\"", NULL), &a), REGIT_AVRO_EINVALID,
		"fixed one byte long");
	expect(parse(doc("fixedField", "\"0123456789abcde\\u0100\"", NULL), &a), REGIT_AVRO_EINVALID,
		"fixed code point above U+00FF");
	expect(parse(doc("stringField", "\"\\ud800\"", NULL), &a), REGIT_AVRO_EINVALID,
		"lone surrogate");
	expect(parse(doc("stringField", "\"a\\u0000b\"", NULL), &a), 0, "NUL inside a string");
	expect(parse(doc("stringField", "\"\xc3\x28\"", NULL), &a), REGIT_AVRO_EINVALID,
		"invalid UTF-8 text");

	/* Records, enums, unions, maps. */
	expect(parse(doc("enumField", NULL, NULL), &a), REGIT_AVRO_EINVALID, "missing field");
	expect(parse(doc(NULL, NULL, "\"other\": 1"), &a), REGIT_AVRO_EINVALID, "unknown field");
	expect(parse(doc(NULL, NULL, "\"intField\": 1"), &a), REGIT_AVRO_EINVALID, "duplicate key");
	expect(parse(doc("enumField", "\"D\"", NULL), &a), REGIT_AVRO_EINVALID, "unknown symbol");
	expect(parse(doc("enumField", "\"C\\u0000\"", NULL), &a), REGIT_AVRO_EINVALID,
		"symbol with a NUL");
	expect(parse(doc("enumField", "0", NULL), &a), REGIT_AVRO_EINVALID, "enum as a number");
	expect(parse(doc("unionField", "{\"int\": 1}", NULL), &a), REGIT_AVRO_EINVALID,
		"union branch not in the union");
	expect(parse(doc("unionField", "true", NULL), &a), REGIT_AVRO_EINVALID,
		"union value without its branch");
	expect(parse(doc("unionField", "null", NULL), &a), REGIT_AVRO_EINVALID,
		"null for a union without null");
	expect(parse(doc("unionField", "{\"boolean\": true, \"double\": 1}", NULL), &a),
		REGIT_AVRO_EINVALID, "union object with two members");
	expect(parse(doc("unionField", "{}", NULL), &a), REGIT_AVRO_EINVALID, "empty union object");
	expect(parse(doc("unionField", "{\"double\": 1}", NULL), &a), 0, "union double branch");
	expect(parse(doc("mapField", "{\"k\": {\"label\": 1}}", NULL), &a), REGIT_AVRO_EINVALID,
		"wrong type inside a map value");
	expect(parse(doc("mapField", "{\"a\\u0000b\": {\"label\": \"x\"}}", NULL), &a),
		REGIT_AVRO_EINVALID, "map key with a NUL (jansson refuses it)");
	expect(parse(doc("arrayField", "{}", NULL), &a), REGIT_AVRO_EINVALID, "object for an array");

	/* Text. */
	expect(parse("", &a), REGIT_AVRO_EINVALID, "empty input");
	expect(parse("[]", &a), REGIT_AVRO_EINVALID, "array for the record");
	{
		char buf[1 << 16];

		snprintf(buf, sizeof(buf), "%s x", doc(NULL, NULL, NULL));
		expect(parse(buf, &a), REGIT_AVRO_EINVALID, "trailing garbage");
		snprintf(buf, sizeof(buf), "%s  \n", doc(NULL, NULL, NULL));
		expect(parse(buf, &a), 0, "trailing white space");
	}
	expect(interop_from_json(&v, NULL, 5, &a), REGIT_AVRO_EINVALID, "NULL text");

	/* Depth: arrays nested beyond jansson's limit, records beyond ours. */
	deep = malloc(100001);
	for (i = 0; i < 50000; i++) {
		deep[i] = '[';
		deep[100000 - 1 - i] = ']';
	}
	deep[100000] = '\0';
	expect(parse(deep, &a), REGIT_AVRO_ELIMIT, "arrays nested 50000 deep");
	off = 0;
	for (i = 0; i < 200; i++)
		off += (size_t)sprintf(deep + off, "{\"label\": \"x\", \"children\": [");
	off += (size_t)sprintf(deep + off, "{\"label\": \"x\", \"children\": []}");
	for (i = 0; i < 200; i++)
		off += (size_t)sprintf(deep + off, "]}");
	expect(parse(doc("recordField", deep, NULL), &a), REGIT_AVRO_ELIMIT,
		"records nested 200 deep (REGIT_AVRO_MAX_DEPTH 128)");
	free(deep);

	/* A tiny fixed arena runs out instead of allocating. */
	expect(parse(doc("stringField", "\"a string longer than the 32-byte arena is\"", NULL), &tiny),
		REGIT_AVRO_ENOMEM, "arena exhausted");

	/* The writer refuses what JSON cannot carry. */
	regit_avro_arena_reset(&a);
	interop_from_json(&v, doc(NULL, NULL, NULL), strlen(doc(NULL, NULL, NULL)), &a);
	v.doubleField = NAN;
	expect(interop_to_json(&v, &js, &jl), REGIT_AVRO_EINVALID, "to_json of NaN");
	check(js == NULL && jl == 0, "to_json leaves no output on failure");
	v.doubleField = 1;
	v.floatField = -INFINITY;
	expect(interop_to_json(&v, &js, &jl), REGIT_AVRO_EINVALID, "to_json of -infinity");
	v.floatField = 1;
	v.stringField.ptr = "\xff";
	v.stringField.len = 1;
	expect(interop_to_json(&v, &js, &jl), REGIT_AVRO_EINVALID, "to_json of invalid UTF-8");
	v.stringField = regit_avro_cstr("ok");
	v.enumField = (kind)7;
	expect(interop_to_json(&v, &js, &jl), REGIT_AVRO_EINVALID, "to_json of a bad enum");
	v.enumField = KIND_A;
	v.unionField.tag = 9;
	expect(interop_to_json(&v, &js, &jl), REGIT_AVRO_EINVALID, "to_json of a bad union tag");
	v.unionField.tag = INTEROP_UNIONFIELD_BOOLEAN;
	v.unionField.as_boolean = true;
	v.arrayField.items = NULL;
	v.arrayField.count = 3;
	expect(interop_to_json(&v, &js, &jl), REGIT_AVRO_EINVALID, "to_json of NULL items");
	v.arrayField.count = 0;
	/* Map entries (an anonymous struct type) from the heap. */
	v.mapField.entries = calloc(2, sizeof(*v.mapField.entries));
	v.mapField.count = 2;
	v.mapField.entries[0].key = regit_avro_cstr("same");
	v.mapField.entries[1].key = regit_avro_cstr("same");
	v.mapField.entries[0].value.label = regit_avro_cstr("x");
	v.mapField.entries[1].value.label = regit_avro_cstr("x");
	expect(interop_to_json(&v, &js, &jl), REGIT_AVRO_EINVALID, "to_json of a duplicate map key");
	v.mapField.entries[1].key.ptr = "a\0b";
	v.mapField.entries[1].key.len = 3;
	expect(interop_to_json(&v, &js, &jl), REGIT_AVRO_EINVALID, "to_json of a map key with NUL");
	v.mapField.entries[1].key = regit_avro_cstr("other");
	rc = interop_to_json(&v, &js, &jl);
	expect(rc, 0, "to_json of two distinct keys");
	free(js);
	free(v.mapField.entries);

	regit_avro_arena_release(&a);
	return failed ? 1 : 0;
}
