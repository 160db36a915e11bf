/*
 * schema_json_fuzzer.c - fuzz compat/schema_json.c (the schema parser's own
 * JSON decoder) against jansson.
 *
 * Input: JSON text. The decoder may decline anything, but what it takes
 * jansson must take too (with the flags the schema parser gives it:
 * JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL), and decode to
 * the same value: same types, strings byte for byte, same numbers, same
 * member order. Also survives any bytes (ASan checks reads past the text)
 * and converting jansson's value back and forth.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema_internal.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

static char *fuzz_dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	regit_arena arena = { 0 };
	regit_json_value v, back;
	json_t *j = json_loadb((const char *)data, size, FLAGS, NULL);
	int rc = regit_json__parse(&v, &arena, (const char *)data, size, 64);

	if (rc != 0 && rc != 1)
		abort();    /* no allocation fails here */
	if (rc == 0) {
		json_t *mine = regit_json__to_jansson(&v);
		char *a, *b;

		if (!j || !mine)
			abort();    /* took what jansson refuses */
		a = fuzz_dump(mine);
		b = fuzz_dump(j);
		if (!a || !b || strcmp(a, b) != 0 || !json_equal(mine, j))
			abort();    /* decoded differently */
		free(a);
		free(b);
		json_decref(mine);
	}
	if (j) {
		json_t *again;
		char *a, *b;

		if (regit_json__from_jansson(&back, &arena, j) != 0)
			abort();
		again = regit_json__to_jansson(&back);
		a = again ? fuzz_dump(again) : NULL;
		b = fuzz_dump(j);
		if (!a || !b || strcmp(a, b) != 0)
			abort();
		free(a);
		free(b);
		json_decref(again);
	}
	json_decref(j);
	regit_schema__arena_dispose(&arena);
	return 0;
}
