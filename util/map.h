/*
 * map.h - one hash and one hash table for the whole code base.
 *
 * regit_map is an open-addressing table of borrowed pointers with their
 * hashes cached (linear probing, load factor at most 1/2, backward-shift
 * deletion, so no tombstones). It stores no keys: a lookup passes the hash
 * and an equality callback that compares an entry with the key sought, so
 * one table type serves ids, strings and composite keys without copies.
 * Hashes for it come from util/hash.h (regit_hash for bytes).
 */
#ifndef REGIT_MAP_H
#define REGIT_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"

typedef struct regit_map_slot {
	uint64_t hash;
	void *val;                   /* NULL = empty */
} regit_map_slot;

/* Zero-initialise ({0}) before use; regit_map_dispose frees the slots. */
typedef struct regit_map {
	regit_map_slot *slots;       /* owned */
	size_t cap;                  /* power of two or 0 */
	size_t n;
} regit_map;

/* Whether the entry val has the key a lookup is for. */
typedef int (*regit_map_eq)(const void *val, const void *key);

/** Make room for one more entry (load factor <= 1/2). @return 0 or REGIT_ENOMEM */
int regit_map_reserve(regit_map *m);
/** Insert val (borrowed, not NULL); regit_map_reserve must have succeeded first. */
void regit_map_put(regit_map *m, uint64_t hash, void *val);
/** The entry with this hash for which eq(val, key) holds, or NULL. @return borrowed */
void *regit_map_get(const regit_map *m, uint64_t hash, regit_map_eq eq, const void *key);
/** Remove the slot holding exactly val (compared by pointer). */
void regit_map_remove(regit_map *m, uint64_t hash, const void *val);
/** Free the slots (not the entries); the map is empty and reusable after. */
void regit_map_dispose(regit_map *m);

#endif
