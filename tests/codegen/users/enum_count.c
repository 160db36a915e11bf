/* An enum symbol COUNT does not collide with the E_COUNT macro. */
#include <stdio.h>
#include <string.h>

#include "enum_count.h"

int main(void)
{
	static const char doc[] = "{\"c\": \"COUNT\"}";
	uint8_t mem[64];
	regit_avro_arena arena;
	enum_count v;

	if (COLOR_COUNT != 2 || COLOR_COUNT_2 != 1 || strcmp(color_symbol(COLOR_COUNT_2), "COUNT") != 0) {
		puts("COLOR_COUNT is not the number of symbols");
		return 1;
	}
	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (enum_count_from_json(&v, doc, strlen(doc), &arena) != 0 || v.c != COLOR_COUNT_2) {
		puts("symbol COUNT not read");
		return 1;
	}
	return 0;
}
