/* Named types called like runtime types do not clash with regit_avro.h. */
#include <stdio.h>
#include <string.h>

#include "runtime_names.h"

int main(void)
{
	uint8_t buf[64], mem[64];
	size_t n;
	regit_avro_arena arena;
	runtime_names v, back;

	memset(&v, 0, sizeof(v));
	v.s.x = 7;
	v.a = REGIT_AVRO_ARENA__TWO;
	memcpy(v.b, "hi", 2);
	v.t = regit_avro_cstr("t");
	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (runtime_names_encode(&v, buf, sizeof(buf), &n) != 0 ||
	    runtime_names_decode(&back, buf, n, NULL, &arena) != 0 ||
	    back.s.x != 7 || back.a != REGIT_AVRO_ARENA__TWO || memcmp(back.b, "hi", 2) != 0 ||
	    back.t.len != 1) {
		puts("round trip failed");
		return 1;
	}
	return 0;
}
