/* Fields named like C library macros (and C++ keywords) get a trailing _
 * and the code compiles with the headers that define the macros. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro_names.h"

int main(void)
{
	static const char doc[] = "{\"NULL\": 1, \"SIZE_MAX\": 2, \"INT32_MAX\": 3, \"EXIT_SUCCESS\": 4,"
		" \"EOF\": 5, \"errno\": 6, \"UINT_FAST8_MAX\": 7, \"DBL_MAX\": 8.5, \"stdout\": \"o\","
		" \"class\": 9, \"new\": 10, \"this\": 11, \"e\": \"MIN\"}";
	uint8_t buf[256], mem[256];
	size_t n;
	regit_avro_arena arena;
	macro_names v, back;

	regit_avro_arena_init(&arena, mem, sizeof(mem));
	if (macro_names_from_json(&v, doc, strlen(doc), &arena) != 0) {
		puts("from_json failed");
		return 1;
	}
	if (v.NULL_ != 1 || v.SIZE_MAX_ != 2 || v.INT32_MAX_ != 3 || v.EXIT_SUCCESS_ != 4 ||
	    v.EOF_ != 5 || v.errno_ != 6 || v.UINT_FAST8_MAX_ != 7 || v.DBL_MAX_ != 8.5 ||
	    v.stdout_.len != 1 || v.class_ != 9 || v.new_ != 10 || v.this_ != 11 ||
	    v.e != INT32_MIN_2) {
		puts("fields do not hold the document's values");
		return 1;
	}
	if (macro_names_encode(&v, buf, sizeof(buf), &n) != 0 ||
	    macro_names_decode(&back, buf, n, NULL, &arena) != 0 || back.errno_ != 6 ||
	    back.e != INT32_MIN_2) {
		puts("round trip failed");
		return 1;
	}
	return 0;
}
