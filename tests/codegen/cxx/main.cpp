// main.cpp - C++ using generated headers (tests/integration/codegen_cxx.sh).
// Every generated header and the runtime are included together; the codecs
// are compiled as C and linked in (the headers declare them extern "C").
#include <cstdio>
#include <cstring>

#include "all.h"

int main()
{
	uint8_t buf[256], mem[1024];
	size_t n = 0;
	regit_avro_arena arena;
	same_name v, back;
	regit_avro_str items[1] = { regit_avro_cstr("hi") };

	std::memset(&v, 0, sizeof(v));
	v.tier = TIER_PRO;
	std::memcpy(v.md5, "0123456789abcdef", 16);
	v.inner.x = 42;
	v.class_ = 7;
	v.u.tag = SAME_NAME_U_ARRAY;
	v.u.as_array.items = items;
	v.u.as_array.count = 1;
	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (same_name_encode(&v, buf, sizeof(buf), &n) != 0 ||
	    same_name_decode(&back, buf, n, nullptr, &arena) != 0) {
		std::puts("round trip failed");
		return 1;
	}
	if (back.tier != TIER_PRO || back.inner.x != 42 || back.class_ != 7 ||
	    back.u.tag != SAME_NAME_U_ARRAY || back.u.as_array.count != 1 ||
	    std::memcmp(back.u.as_array.items[0].ptr, "hi", 2) != 0 ||
	    std::memcmp(back.md5, "0123456789abcdef", 16) != 0) {
		std::puts("decoded value differs");
		return 1;
	}
	return 0;
}
