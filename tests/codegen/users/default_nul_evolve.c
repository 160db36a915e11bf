/* A reader-added bytes/fixed field with a U+0000 default is filled whole. */
#include <stdio.h>
#include <string.h>

#include "default_nul_evolve.h"

int main(void)
{
	/* Confluent frame of writer schema 7 holding {"id": 1}. */
	static const uint8_t frame[] = { 0, 0, 0, 0, 7, 2 };
	uint8_t mem[256];
	regit_avro_arena arena;
	default_nul_evolve v;
	uint32_t id = 0;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (default_nul_evolve_decode_frame(&v, frame, sizeof(frame), &id, &arena) != 0 ||
	    id != 7 || v.id != 1) {
		puts("writer frame not decoded");
		return 1;
	}
	if (v.b.len != 3 || memcmp(v.b.ptr, "x\0y", 3) != 0 || memcmp(v.f, "a\0b", 3) != 0) {
		puts("defaults not filled whole");
		return 1;
	}
	return 0;
}
