/*
 * array.c - see array.h.
 */
#include "util/array.h"

#include "util/alloc.h"

#include <stdint.h>

void *regit_array_grow(void *ptr, size_t *cap, size_t need, size_t elem,
		       size_t min_cap)
{
	size_t ncap = *cap > min_cap ? *cap : min_cap;
	void *n;

	if (need <= *cap)
		return ptr;
	if (ncap == 0)
		ncap = 1;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	/* regit_reallocarray refuses ncap * elem past SIZE_MAX with the OOM error. */
	n = regit_reallocarray(ptr, ncap, elem);
	if (n)
		*cap = ncap;
	return n;
}
