/*
 * array.h - the one way to grow a dynamic array.
 *
 * regit keeps its lists as a plain (pointer, count, capacity) triple owned
 * by a struct; this helper is the single place that decides how such a
 * block grows (doubling, so appends are amortised O(1)), checks the size
 * for overflow and goes through the allocator, so that failure injection
 * (regit_alloc_fail_after) reaches every list.
 */
#ifndef REGIT_ARRAY_H
#define REGIT_ARRAY_H

#include <stddef.h>

/**
 * Make room for at least `need` elements of `elem` bytes in `ptr`, whose
 * capacity in elements is `*cap` (0 with ptr NULL for a fresh array).
 *
 * Nothing is allocated when `need <= *cap`. Otherwise the capacity starts at
 * max(*cap, min_cap, 1) and doubles until it holds `need` (it becomes `need`
 * exactly should doubling overflow), so the first allocation is `min_cap`
 * elements and each later one twice the previous.
 *
 * The result is returned rather than written through a `void **`, as
 * converting `T **` to `void **` is not portable C; callers write
 * `n = regit_array_grow(a, &cap, count + 1, sizeof(*a), 16)` and store `n`.
 *
 * @param ptr     the array, owned by the caller; may be NULL if *cap is 0
 * @param cap     in: current capacity; out: the new one, on success only
 * @return the (possibly moved) block, owned by the caller, which must stop
 *         using `ptr`; or NULL with the out-of-memory error set
 *         (regit_error_set_oom, so the caller returns REGIT_ENOMEM) when the
 *         allocation fails or need * elem overflows, in which case `ptr` and
 *         `*cap` are untouched and `ptr` is still the caller's. NULL is
 *         returned without an error only when nothing was needed
 *         (need <= *cap) and `ptr` itself is NULL.
 */
void *regit_array_grow(void *ptr, size_t *cap, size_t need, size_t elem,
		       size_t min_cap);

#endif
