/*
 * index_internal.h - the layout of a reg_index, shared by the two files
 * of the index and by nothing else (the rest of the registry sees
 * reg_index as opaque and uses registry_internal.h's reg_index_*).
 *
 * Why it exists: index.c was one ~2,000-line file. The index's data
 * structures, accessors and mutations stay in index.c; building an index
 * from a store tree (validating the tree, reading the metadata files with
 * jansson, the parallel parse, the reuse of unchanged versions on a
 * rebuild, the start-up cache) is index_build.c, which fills a new
 * index's fields while it reads the tree. Calls go one way: index_build.c
 * uses index.c, never the reverse (`make cycles`).
 */
#ifndef REGIT_REGISTRY_INDEX_INTERNAL_H
#define REGIT_REGISTRY_INDEX_INTERNAL_H

#include <string.h>

#include "registry/registry_internal.h"

/* Its invariants: registry_internal.h. Only index.c and index_build.c
 * touch the fields; the rest of the registry goes through the
 * reg_index_* functions. */
struct reg_index {
	char head[REGIT_STORE_OID_HEX];
	reg_subject **subjects;      /* owned, sorted by name */
	size_t nsubjects, cap;
	regit_map ids;                 /* int id -> reg_schema */
	regit_map identities;          /* key -> reg_schema */
	size_t identity_dups;        /* schemas sharing a key with another id */
	int has_config;
	regit_config config;
	int has_mode;
	regit_mode mode;
	int next_id;
	size_t nversions;
	int has_root;                /* regit.json exists in the tree */
	size_t nparsed;              /* versions whose files the build parsed */
};

/* The order of subjects[]: byte order of the names, a prefix first. Both
 * the index's lookups and the build's sort of the tree's versions use it. */
static inline int reg_index__subject_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

#endif
