/*
 * datum_fuzzer.c - libFuzzer target for compat/datum, the Avro binary
 * decoder `regit decode` runs on messages from the wire.
 *
 * Input: WRITER SCHEMA, NUL, READER SCHEMA (empty: none), NUL, DATA. An
 * input without two NULs is all DATA, read with a built-in writer that has
 * every type (and a recursive union) and with a built-in evolved reader.
 * Besides surviving any bytes within the bounds (ASan checks reads past
 * the data, the budgets keep memory linear), the decoder must be
 * deterministic, and reading with a reader that is the writer's own text
 * must give what reading as written gives (one budget may run out where
 * the other does not: only successes are compared).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/datum.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char fuzz_writer[] =
	"{\"type\":\"record\",\"name\":\"ev.Event\",\"fields\":["
	"{\"name\":\"id\",\"type\":\"long\"},"
	"{\"name\":\"cid\",\"type\":\"string\"},"
	"{\"name\":\"n\",\"type\":\"int\"},"
	"{\"name\":\"ok\",\"type\":\"boolean\"},"
	"{\"name\":\"f\",\"type\":\"float\"},"
	"{\"name\":\"d\",\"type\":\"double\"},"
	"{\"name\":\"b\",\"type\":\"bytes\"},"
	"{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F4\",\"size\":4}},"
	"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"]}},"
	"{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"null\"}},"
	"{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"int\",\"string\"]}},"
	"{\"name\":\"next\",\"type\":[\"null\",\"ev.Event\"]}]}";

static const char fuzz_reader[] =
	"{\"type\":\"record\",\"name\":\"ev.Event2\",\"aliases\":[\"ev.Event\"],\"fields\":["
	"{\"name\":\"correlation_id\",\"aliases\":[\"cid\"],\"type\":\"bytes\"},"
	"{\"name\":\"id\",\"type\":\"double\"},"
	"{\"name\":\"n\",\"type\":[\"null\",\"long\"]},"
	"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"C\",\"Z\"],"
	"\"default\":\"Z\"}},"
	"{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":[\"string\",\"null\",\"double\"]}},"
	"{\"name\":\"extra\",\"type\":[\"int\",\"null\"],\"default\":1},"
	"{\"name\":\"next\",\"type\":[\"null\",\"ev.Event2\"]}]}";

static regit_schema *fuzz_w, *fuzz_r, *fuzz_w2;

static regit_schema *fuzz_parse(const char *text, size_t len)
{
	regit_schema *s = NULL;

	if (regit_schema_parse(&s, text, len, NULL, NULL) < 0)
		return NULL;
	return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	regit_alloc_install_json();
	fuzz_w = fuzz_parse(fuzz_writer, strlen(fuzz_writer));
	fuzz_w2 = fuzz_parse(fuzz_writer, strlen(fuzz_writer));
	fuzz_r = fuzz_parse(fuzz_reader, strlen(fuzz_reader));
	if (!fuzz_w || !fuzz_w2 || !fuzz_r) {
		fprintf(stderr, "built-in schemas do not parse: %s\n", regit_error_message());
		abort();
	}
	return 0;
}

/*
 * json_equal looks object keys up by strlen, and an Avro map key may hold
 * NUL bytes ("a" and "a\0b" then compare as the same key): compare with
 * the keys' lengths.
 */
static int fuzz_equal(json_t *a, json_t *b)
{
	const char *key;
	size_t len, i;
	json_t *v;

	if (!a || !b || json_typeof(a) != json_typeof(b))
		return a == b;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach(a, key, len, v) {
			if (!fuzz_equal(v, json_object_getn(b, key, len)))
				return 0;
		}
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!fuzz_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

static void fuzz_decode(const regit_schema *w, const regit_schema *r, const regit_schema *self,
	const uint8_t *data, size_t size)
{
	json_t *a = NULL, *b = NULL, *c = NULL;
	int ea, eb, ec;

	ea = regit_datum_decode(&a, regit_schema_root(w), r ? regit_schema_root(r) : NULL,
		data, size, NULL);
	eb = regit_datum_decode(&b, regit_schema_root(w), r ? regit_schema_root(r) : NULL,
		data, size, NULL);
	if (ea != eb || (ea == 0 && !fuzz_equal(a, b)) || (ea == 0) != (a != NULL)) {
		fprintf(stderr, "not deterministic: %d vs %d\n", ea, eb);
		abort();
	}
	if (!r && self) {
		ec = regit_datum_decode(&c, regit_schema_root(w), regit_schema_root(self), data, size,
			NULL);
		if (ea == 0 && ec == 0 && !fuzz_equal(a, c)) {
			fprintf(stderr, "reading with the writer's own schema differs\n");
			abort();
		}
		if ((ea == 0) != (ec == 0) && ea != REGIT_ELIMIT && ec != REGIT_ELIMIT &&
		    ea != REGIT_ENOMEM && ec != REGIT_ENOMEM) {
			fprintf(stderr, "as written %d, with itself %d: %s\n", ea, ec,
				regit_error_message());
			abort();
		}
	}
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul1 = memchr(data, 0, size), *nul2 = NULL;
	regit_schema *w = NULL, *r = NULL, *self = NULL;

	if (nul1)
		nul2 = memchr(nul1 + 1, 0, size - (size_t)(nul1 + 1 - data));
	if (!nul2) {
		fuzz_decode(fuzz_w, NULL, fuzz_w2, data, size);
		fuzz_decode(fuzz_w, fuzz_r, NULL, data, size);
		return 0;
	}
	w = fuzz_parse((const char *)data, (size_t)(nul1 - data));
	if (w && nul2 > nul1 + 1)
		r = fuzz_parse((const char *)nul1 + 1, (size_t)(nul2 - nul1 - 1));
	if (w && !r)
		self = fuzz_parse((const char *)data, (size_t)(nul1 - data));
	if (w)
		fuzz_decode(w, r, self, nul2 + 1, size - (size_t)(nul2 + 1 - data));
	regit_schema_free(w);
	regit_schema_free(r);
	regit_schema_free(self);
	return 0;
}
