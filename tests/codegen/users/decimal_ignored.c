/* An invalid decimal is ignored: the field is its bytes or fixed. */
#include <stdio.h>
#include <string.h>

#include "decimal_ignored.h"

int main(void)
{
	static const char doc[] = "{\"d\": \"\\u0001\\u0002\", \"f\": \"ab\"}";
	uint8_t mem[128], buf[32];
	size_t n;
	regit_avro_arena arena;
	decimal_ignored v;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (decimal_ignored_from_json(&v, doc, strlen(doc), &arena) != 0 || v.d.len != 2 ||
	    v.d.ptr[1] != 2 || memcmp(v.f, "ab", 2) != 0)
		return puts("from_json"), 1;
	if (decimal_ignored_encode(&v, buf, sizeof(buf), &n) != 0 || n != 5 ||
	    memcmp(buf, "\x04\x01\x02" "ab", 5) != 0)
		return puts("encode"), 1;
	return 0;
}
