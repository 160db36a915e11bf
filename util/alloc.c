/*
 * alloc.c - allocation wrappers with out-of-memory reporting and failure
 * injection for tests.
 */
#include "alloc.h"
#include "error.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* < 0: injection off. >= 0: allocations left before they start failing. */
static atomic_long alloc_budget = -1;
static atomic_ulong alloc_total;

static int alloc_should_fail(void)
{
	long left;

	atomic_fetch_add(&alloc_total, 1);
	left = atomic_load(&alloc_budget);
	while (left >= 0) {
		if (left == 0)
			return 1;
		if (atomic_compare_exchange_weak(&alloc_budget, &left, left - 1))
			return 0;
	}
	return 0;
}

void *regit_malloc(size_t size)
{
	void *p = NULL;

	if (!alloc_should_fail())
		p = malloc(size ? size : 1);
	if (!p)
		regit_error_set_oom();
	return p;
}

void *regit_calloc(size_t nmemb, size_t size)
{
	void *p = NULL;

	if (size && nmemb > SIZE_MAX / size) {
		regit_error_set_oom();
		return NULL;
	}
	if (!alloc_should_fail())
		p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		regit_error_set_oom();
	return p;
}

void *regit_realloc(void *ptr, size_t size)
{
	void *p = NULL;

	if (!alloc_should_fail())
		p = realloc(ptr, size ? size : 1);
	if (!p)
		regit_error_set_oom();
	return p;
}

void *regit_reallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size) {
		regit_error_set_oom();
		return NULL;
	}
	return regit_realloc(ptr, nmemb * size);
}

char *regit_strndup(const char *s, size_t n)
{
	char *p = regit_malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *regit_strdup(const char *s)
{
	return regit_strndup(s, strlen(s));
}

void regit_free(void *ptr)
{
	free(ptr);
}

int regit_alloc__should_fail(void)
{
	if (atomic_load_explicit(&alloc_budget, memory_order_relaxed) < 0)
		return 0;
	return alloc_should_fail();
}

void regit_alloc_fail_after(long n)
{
	atomic_store(&alloc_budget, n < 0 ? -1 : n);
}

unsigned long regit_alloc_count(void)
{
	return atomic_load(&alloc_total);
}

static void *alloc_json_malloc(size_t size)
{
	return regit_malloc(size);
}

void regit_alloc_install_json(void)
{
	json_set_alloc_funcs(alloc_json_malloc, regit_free);
}
