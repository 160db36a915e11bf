/* Named branches that map to one C name get distinct members and tags. */
#include <stdio.h>
#include <string.h>

#include "union_names.h"

static int round_trip(const union_names *v, union_names *back, regit_avro_arena *arena)
{
	uint8_t buf[64];
	size_t n;

	return union_names_encode(v, buf, sizeof(buf), &n) == 0 &&
		union_names_decode(back, buf, n, NULL, arena) == 0 && back->u.tag == v->u.tag;
}

int main(void)
{
	static const char doc[] = "{\"u\": {\"Foo_Bar\": {\"b\": \"x\"}}}";
	uint8_t mem[256];
	regit_avro_arena arena;
	union_names v, back;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	memset(&v, 0, sizeof(v));
	v.u.tag = UNION_NAMES_U_FOO_BAR_1;
	v.u.as_foo_bar_1.a = 5;
	if (!round_trip(&v, &back, &arena) || back.u.as_foo_bar_1.a != 5)
		return puts("FooBar"), 1;
	v.u.tag = UNION_NAMES_U_FOO_BAR_2;
	v.u.as_foo_bar_2.b = regit_avro_cstr("hi");
	if (!round_trip(&v, &back, &arena) || back.u.as_foo_bar_2.b.len != 2)
		return puts("Foo_Bar"), 1;
	v.u.tag = UNION_NAMES_U_COLOR_3;
	v.u.as_color_3 = COLOR_BLUE;
	if (!round_trip(&v, &back, &arena) || back.u.as_color_3 != COLOR_BLUE)
		return puts("Color"), 1;
	v.u.tag = UNION_NAMES_U_COLOR_4;
	memcpy(v.u.as_color_4, "ab", 2);
	if (!round_trip(&v, &back, &arena) || memcmp(back.u.as_color_4, "ab", 2) != 0)
		return puts("color"), 1;
	if (union_names_from_json(&v, doc, strlen(doc), &arena) != 0 ||
	    v.u.tag != UNION_NAMES_U_FOO_BAR_2 || v.u.as_foo_bar_2.b.len != 1)
		return puts("from_json"), 1;
	return 0;
}
