/*
 * codegen_evolve_user_created_fuzzer.c - the decoder `regit gen` wrote for this schema,
 * on arbitrary bytes.
 *
 * The generated code is not committed: fuzz/module.mk runs the freshly
 * built regit into $(BUILD)/fuzz/codegen/ and compiles this file with
 * -I$(BUILD), so the include below finds it there. Whatever decodes
 * must re-encode, and the re-encoding must decode to the same bytes again;
 * framed input goes through the frame/schema-id dispatch too.
 */
#include <stdlib.h>

#include "fuzz/codegen/evolve/user_created.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char mem[1 << 20];
	regit_avro_arena arena;
	user_created v, v2;
	size_t used = 0, need, w = 0, used2 = 0, w2 = 0;
	uint8_t *buf, *buf2;
	uint32_t id;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (user_created_decode(&v, data, size, &used, &arena) == 0) {
		if (used > size)
			abort();
		need = user_created_encoded_size(&v);
		buf = malloc(need + 1);
		buf2 = malloc(need + 1);
		if (!buf || !buf2)
			abort();
		if (user_created_encode(&v, buf, need, &w) != 0 || w != need)
			abort();
		if (user_created_decode(&v2, buf, w, &used2, &arena) != 0 || used2 != w)
			abort();
		if (user_created_encode(&v2, buf2, need, &w2) != 0 || w2 != w || memcmp(buf, buf2, w) != 0)
			abort();
		free(buf);
		free(buf2);
	}
	regit_avro_arena_reset(&arena);
	(void)user_created_decode_frame(&v, data, size, &id, &arena);
	return 0;
}
