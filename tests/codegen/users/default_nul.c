/* Bytes and fixed defaults containing U+0000 are kept whole (python-avro). */
#include <stdio.h>
#include <string.h>

#include "default_nul.h"

int main(void)
{
	static const char doc[] = "{\"id\": 1}";
	uint8_t mem[1024];
	regit_avro_arena arena;
	default_nul v;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (default_nul_from_json(&v, doc, strlen(doc), &arena) != 0) {
		puts("from_json refused a document without the defaulted fields");
		return 1;
	}
	if (v.b.len != 3 || memcmp(v.b.ptr, "x\0y", 3) != 0) {
		printf("bytes default has %zu bytes, not \"x\\0y\"\n", v.b.len);
		return 1;
	}
	if (memcmp(v.f, "a\0b", 3) != 0) {
		puts("fixed default is not \"a\\0b\"");
		return 1;
	}
	return 0;
}
