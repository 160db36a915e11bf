/* A float/double default of -0.0 keeps its sign (regit gen used to write it
 * as the C int literal -0, which is 0): in R_init, in from_json's left-out
 * fields and in what to_json then writes. Found by the differential test
 * (tests/codegen/differential.py, seed 20261244: a reader-added field). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neg_zero.h"

#define CHECK(c) do { if (!(c)) { printf("%s:%d: %s\n", __FILE__, __LINE__, #c); return 1; } } while (0)

int main(void)
{
	uint8_t mem[1024];
	regit_avro_arena arena;
	neg_zero v;
	char *text = NULL;
	size_t len;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	CHECK(neg_zero_init(&v, &arena) == 0);
	CHECK(v.d == 0.0 && signbit(v.d));
	CHECK(v.f == 0.0f && signbit(v.f));
	CHECK(v.one == 1.0 && v.big == 1e16);
	CHECK(signbit(v.r.z));
	CHECK(v.has_u && signbit(v.u));
	CHECK(neg_zero_from_json(&v, "{}", 2, &arena) == 0);
	CHECK(signbit(v.d) && signbit(v.f) && signbit(v.r.z) && signbit(v.u));
	CHECK(neg_zero_to_json(&v, &text, &len) == 0);
	CHECK(strstr(text, "\"d\": -0.0") != NULL);
	free(text);
	return 0;
}
