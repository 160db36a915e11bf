/*
 * alloc.h - the one allocator.
 *
 * All regit code allocates through these wrappers. On failure they record
 * an out-of-memory error (regit_error_set_oom) so callers only return
 * REGIT_ENOMEM. Tests can make the Nth allocation fail to prove that every
 * error path cleans up (see regit_alloc_fail_after).
 */
#ifndef REGIT_ALLOC_H
#define REGIT_ALLOC_H

#include <stddef.h>

/** malloc; NULL (with the OOM error set) on failure or overflow. */
void *regit_malloc(size_t size);
/** calloc; checks nmemb * size for overflow. */
void *regit_calloc(size_t nmemb, size_t size);
/** realloc; on failure the old block is untouched and still owned. */
void *regit_realloc(void *ptr, size_t size);
/** realloc of nmemb * size with an overflow check. */
void *regit_reallocarray(void *ptr, size_t nmemb, size_t size);
/** strdup / strndup through the allocator. @return owned */
char *regit_strdup(const char *s);
char *regit_strndup(const char *s, size_t n);
/** free; NULL is fine. */
void regit_free(void *ptr);

/**
 * Test hook: let the next n allocations succeed, then fail every one until
 * reset with a negative n. Process-wide; not for production use.
 */
void regit_alloc_fail_after(long n);

/**
 * For allocators that recycle memory without calling regit_malloc (the
 * schema arena's spare chunks): nonzero when regit_alloc_fail_after says
 * this allocation must fail, so failure injection reaches them too. Counts
 * as an allocation while injection is on; a single relaxed load when off.
 */
int regit_alloc__should_fail(void);

/** How many allocations have been made since the process started. */
unsigned long regit_alloc_count(void);

/**
 * Route jansson's allocations through regit_malloc/regit_free, so that
 * failure injection covers JSON parsing too. Call once at start-up.
 */
void regit_alloc_install_json(void);

#endif
