/* An integer for a float (a schema default, or a number in from_json's
 * input) is rounded once, to the nearest float: 2^62 + 2^38 + 1 is
 * 2^62 + 2^39. Through double it rounded twice (first to 2^62 + 2^38,
 * then, a tie, to even: 2^62). Found by the differential test
 * (tests/codegen/differential.py, seed 5024: a reader-added float field). */
#include <stdio.h>
#include <string.h>

#include "float_int.h"

#define CHECK(c) do { if (!(c)) { printf("%s:%d: %s\n", __FILE__, __LINE__, #c); return 1; } } while (0)

int main(void)
{
	uint8_t mem[1024];
	regit_avro_arena arena;
	float_int v;
	static const char doc[] = "{\"f\": 4611686293305294849, \"g\": 16777217, "
		"\"d\": 9007199254740993, \"o\": {\"float\": -4611686293305294849}}";

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	CHECK(float_int_init(&v, &arena) == 0);
	CHECK(v.f == 0x1.000002p62f);
	CHECK(v.g == 16777216.0f);
	CHECK(v.d == 9007199254740992.0);
	CHECK(v.has_o && v.o == -0x1.000002p62f);
	memset(&v, 0, sizeof(v));
	CHECK(float_int_from_json(&v, "{}", 2, &arena) == 0);
	CHECK(v.f == 0x1.000002p62f && v.has_o && v.o == -0x1.000002p62f);
	memset(&v, 0, sizeof(v));
	CHECK(float_int_from_json(&v, doc, strlen(doc), &arena) == 0);
	CHECK(v.f == 0x1.000002p62f);
	CHECK(v.g == 16777216.0f);
	CHECK(v.d == 9007199254740992.0);
	CHECK(v.has_o && v.o == -0x1.000002p62f);
	return 0;
}
