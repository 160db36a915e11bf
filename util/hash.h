/*
 * hash.h - the non-cryptographic hashes behind regit's in-memory tables.
 *
 * One FNV-1a (64-bit) for strings and bytes, and one finaliser that spreads
 * a pair of pointers over the low bits a power-of-two table masks with.
 * Neither is stable across versions of regit unless a caller writes the
 * value somewhere (the code generator's type guards do: they stay FNV-1a).
 */
#ifndef REGIT_HASH_H
#define REGIT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define REGIT_FNV1A_BASIS 0xcbf29ce484222325ULL
#define REGIT_FNV1A_PRIME 0x100000001b3ULL

/** FNV-1a of len bytes, continuing from h (start with REGIT_FNV1A_BASIS). */
uint64_t regit_hash_fnv1a(uint64_t h, const void *data, size_t len);

/**
 * FNV-1a of len bytes with a final mix, so its low bits can choose a slot
 * of a power-of-two table (util/map.h). Its values are stored (the
 * registry's version seals), so it must not change.
 */
uint64_t regit_hash(const void *data, size_t len);

/** FNV-1a of a NUL-terminated string. */
uint64_t regit_hash_str(const char *s);

/**
 * A hash of two pointers and a small tag: MurmurHash3's 64-bit finaliser,
 * so every input bit reaches the low bits (aligned pointers alone differ
 * in high bits only).
 */
uint64_t regit_hash_ptrs(const void *a, const void *b, unsigned tag);

#endif
