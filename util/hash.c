/*
 * hash.c - FNV-1a and a pointer-pair mix (see hash.h).
 */
#include "util/hash.h"

uint64_t regit_hash_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= REGIT_FNV1A_PRIME;
	}
	return h;
}

uint64_t regit_hash_str(const char *s)
{
	uint64_t h = REGIT_FNV1A_BASIS;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= REGIT_FNV1A_PRIME;
	}
	return h;
}

uint64_t regit_hash_ptrs(const void *a, const void *b, unsigned tag)
{
	uint64_t h = (uint64_t)(uintptr_t)a;

	h ^= ((uint64_t)(uintptr_t)b << 32 | (uint64_t)(uintptr_t)b >> 32) + tag;
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t regit_hash(const void *data, size_t len)
{
	uint64_t h = regit_hash_fnv1a(REGIT_FNV1A_BASIS, data, len);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}
