/*
 * codegen_json_interop_fuzzer.c - the JSON reader `regit gen --json` wrote
 * for the interop schema, on arbitrary text.
 *
 * The generated code is not committed: fuzz/module.mk runs the freshly
 * built regit (with --json) into $(BUILD)/fuzz/codegen/json/ and compiles
 * this file with -I$(BUILD), so the include below finds it there.
 * Whatever interop_from_json accepts must be writable: interop_to_json
 * succeeds, its text reads back to a value with the same Avro binary
 * encoding and the same JSON text, and the binary encoding decodes again.
 * The fixed 1 MiB arena bounds what hostile text can make the reader
 * allocate (beyond jansson's own parse tree, which is linear in the input);
 * the round trips of accepted values get a heap arena of their own.
 */
#include <stdlib.h>

#include "fuzz/codegen/json/interop.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Binary encoding of v, malloc'ed; aborts on failure (a bug). */
static uint8_t *fuzz_encode(const interop *v, size_t *n)
{
	size_t need = interop_encoded_size(v), w = 0;
	uint8_t *b = malloc(need + 1);

	if (!b || interop_encode(v, b, need, &w) != 0 || w != need)
		abort();
	*n = w;
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char mem[1 << 20];
	regit_avro_arena arena, again;
	interop v, v2, v3;
	char *js = NULL, *js2 = NULL;
	size_t jl = 0, jl2 = 0, n1 = 0, n2 = 0, used = 0;
	uint8_t *b1, *b2;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (interop_from_json(&v, (const char *)data, size, &arena) != 0)
		return 0;
	if (interop_to_json(&v, &js, &jl) != 0 || !js || strlen(js) != jl)
		abort();
	regit_avro_arena_init_heap(&again, 64u << 20);
	if (interop_from_json(&v2, js, jl, &again) != 0)
		abort();
	if (interop_to_json(&v2, &js2, &jl2) != 0 || jl2 != jl || memcmp(js, js2, jl) != 0)
		abort();
	b1 = fuzz_encode(&v, &n1);
	b2 = fuzz_encode(&v2, &n2);
	if (n1 != n2 || memcmp(b1, b2, n1) != 0)
		abort();
	if (interop_decode(&v3, b1, n1, &used, &again) != 0 || used != n1)
		abort();
	regit_avro_arena_release(&again);
	free(b1);
	free(b2);
	free(js);
	free(js2);
	return 0;
}
