/* NAME_init sets every field to its schema default, the others to zero;
 * every record gets an _init (here inner_init). */
#include <stdio.h>
#include <string.h>

#include "init_defaults.h"

#define CHECK(c) do { if (!(c)) { printf("%s:%d: %s\n", __FILE__, __LINE__, #c); return 1; } } while (0)

int main(void)
{
	uint8_t mem[1024];
	regit_avro_arena arena;
	init_defaults v;
	inner in;

	memset(&v, 0x5a, sizeof(v));
	regit_avro_arena_init(&arena, mem, sizeof(mem));
	CHECK(init_defaults_init(&v, &arena) == 0);
	CHECK(v.b == true);
	CHECK(v.i == -7);
	CHECK(v.l == 9007199254740993LL);
	CHECK(v.f == 1.5f);
	CHECK(v.d == -2.25);
	CHECK(v.s.len == 3 && memcmp(v.s.ptr, "h\xc3\xa9", 3) == 0);
	CHECK(v.by.len == 2 && v.by.ptr[0] == 0xff && v.by.ptr[1] == 0);
	CHECK(memcmp(v.fx, "ab", 2) == 0);
	CHECK(v.e == SUIT_HEARTS);
	CHECK(v.a.count == 3 && v.a.items[0] == 1 && v.a.items[2] == 3);
	CHECK(v.m.count == 1 && v.m.entries[0].key.len == 1 && v.m.entries[0].value.ptr[0] == 'v');
	CHECK(!v.has_opt);
	CHECK(v.has_opt2 && v.opt2.len == 1 && v.opt2.ptr[0] == 'x');
	CHECK(v.u.tag == INIT_DEFAULTS_U_LONG && v.u.as_long == 5);
	CHECK(v.r.x == 11 && v.r.y.len == 3);
	CHECK(!v.has_next);
	CHECK(v.none_i == 0 && v.none_s.len == 0 && v.none_a.count == 0 && v.none_a.items == NULL);
	CHECK(v.none_r.x == 0 && v.none_r.y.len == 0 && !v.has_none_opt);
	CHECK(v.nan == 0.0);

	/* Without an arena, a default that needs memory fails cleanly. */
	CHECK(init_defaults_init(&v, NULL) == REGIT_AVRO_ENOMEM);

	/* Nested records have their own. */
	memset(&in, 0x5a, sizeof(in));
	CHECK(inner_init(&in, NULL) == 0 && in.x == 11 && in.y.len == 0);

	/* The initialised value encodes and decodes back (same as the defaults). */
	{
		uint8_t buf[256];
		size_t n;
		init_defaults back;

		CHECK(init_defaults_init(&v, &arena) == 0);
		CHECK(init_defaults_encode(&v, buf, sizeof(buf), &n) == 0);
		CHECK(init_defaults_decode(&back, buf, n, NULL, &arena) == 0);
		CHECK(back.i == -7 && back.a.count == 3 && back.e == SUIT_HEARTS);
	}
	return 0;
}
