/*
 * codegen_harness.h - the body of every fuzz/codegen_<name>_fuzzer.c: the
 * decoder `regit gen` wrote for one schema, on arbitrary bytes.
 *
 * A target includes the generated code, defines CODEGEN_TYPE as the
 * generated type (its functions are CODEGEN_TYPE_decode and so on), then
 * includes this file. Whatever decodes must re-encode to exactly
 * encoded_size bytes, and the re-encoding must decode and encode to the
 * same bytes again; the input also goes through the frame/schema-id
 * dispatch. A broken invariant aborts, which libFuzzer reports as a crash.
 */
#ifndef REGIT_FUZZ_CODEGEN_HARNESS_H
#define REGIT_FUZZ_CODEGEN_HARNESS_H

#include <stdlib.h>
#include <string.h>

#ifndef CODEGEN_TYPE
#error "define CODEGEN_TYPE (the generated type) before including codegen_harness.h"
#endif

#define CODEGEN_CAT_(a, b) a##b
#define CODEGEN_CAT(a, b) CODEGEN_CAT_(a, b)
#define CODEGEN_FN(suffix) CODEGEN_CAT(CODEGEN_TYPE, suffix)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char mem[1 << 20];
	regit_avro_arena arena;
	CODEGEN_TYPE v, v2;
	size_t used = 0, need, w = 0, used2 = 0, w2 = 0;
	uint8_t *buf, *buf2;
	uint32_t id;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (CODEGEN_FN(_decode)(&v, data, size, &used, &arena) == 0) {
		if (used > size)
			abort();
		need = CODEGEN_FN(_encoded_size)(&v);
		buf = malloc(need + 1);
		buf2 = malloc(need + 1);
		if (!buf || !buf2)
			abort();
		if (CODEGEN_FN(_encode)(&v, buf, need, &w) != 0 || w != need)
			abort();
		if (CODEGEN_FN(_decode)(&v2, buf, w, &used2, &arena) != 0 || used2 != w)
			abort();
		if (CODEGEN_FN(_encode)(&v2, buf2, need, &w2) != 0 || w2 != w ||
				memcmp(buf, buf2, w) != 0)
			abort();
		free(buf);
		free(buf2);
	}
	regit_avro_arena_reset(&arena);
	(void)CODEGEN_FN(_decode_frame)(&v, data, size, &id, &arena);
	return 0;
}

#endif
