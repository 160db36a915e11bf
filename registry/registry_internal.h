/*
 * registry_internal.h - the registry's in-memory index, shared by
 * registry/index.c (building it from a store tree, mutating it) and
 * registry/registry.c (the public API, locking, writes).
 *
 * Invariants of a reg_index:
 *  - subjects[] is sorted by name (byte order) and holds every subject that
 *    has at least one version or a config or a mode;
 *  - a subject's versions[] is sorted ascending by number;
 *  - ids maps every id used by some version (live or soft-deleted) to its
 *    reg_schema; a reg_schema's nversions counts those versions, and it is
 *    removed when that reaches 0;
 *  - identities maps an identity key (compact schema text + references) to
 *    the reg_schema with the lowest id that has it (IMPORT mode can give
 *    one schema several ids);
 *  - next_id is greater than every id in use.
 * An index is mutated only by the thread holding the registry's writer
 * mutex, and only under the write side of the rwlock once published.
 */
#ifndef REGIT_REGISTRY_INTERNAL_H
#define REGIT_REGISTRY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/map.h"

/* Bounds on what a store tree or a request may contain. */
#define REG_MAX_REFS 100            /* references per schema */
#define REG_MAX_REF_DEPTH 16        /* reference chains */
#define REG_MAX_META_SIZE (64u << 10)  /* a metadata file */
#define REG_MAX_VERSION 0x7fffffff
/* Estimated bytes of parsed referenced schemas a memo keeps (registry/parse.c):
 * about 3,500 small schemas. */
#define REG_MEMO_MAX_BYTES (64u << 20)

/* Shared, immutable schema text; refcounted by the indexes that use it. */
typedef struct reg_text {
	size_t refs;
	size_t len;
	uint64_t hash;               /* regit_hash(s, len): the identity key's hash when
	                                there are no references; computed by whoever
	                                makes the text (the build threads, at start-up) */
	char s[];
} reg_text;

typedef struct reg_schema reg_schema;
typedef struct reg_subject reg_subject;

typedef struct reg_version {
	regit_version pub;           /* what readers get; points into the fields below */
	reg_subject *subject;
	reg_schema *schema;          /* the id's entry */
	reg_text *text;              /* compact schema text (pub.schema) */
	regit_reference *refs;       /* owned, strings owned (pub.refs) */
	size_t nrefs;
	regit_store_oid avsc_oid;    /* blob ids it was loaded from / written as */
	regit_store_oid meta_oid;
	int has_oids;
} reg_version;

struct reg_subject {
	char *name;                  /* owned, NUL-terminated */
	size_t name_len;
	reg_version **versions;      /* owned, ascending */
	size_t nversions, cap;
	size_t nlive;
	int has_config;
	regit_config config;
	int has_mode;
	regit_mode mode;
};

struct reg_schema {
	regit_schema_entry pub;
	reg_text *text;
	regit_reference *refs;       /* owned copy */
	size_t nrefs;
	const char *key;             /* identity key: text->s itself when there are no
	                                references (key_owned 0), else owned */
	int key_owned;
	size_t key_len;
	uint64_t key_hash;
	size_t nversions;
};


typedef struct reg_index {
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
} reg_index;

/* ---- start-up cache (registry/cache.c) ---------------------------------- */

typedef struct reg_cache reg_cache;

typedef struct reg_cache_entry {
	regit_store_oid avsc, meta;  /* the key: both blobs of a version */
	int id;
	int deleted;
	int64_t ts;
	const char *text;            /* compact schema text (borrowed from the cache) */
	size_t len;
} reg_cache_entry;

/** Load a cache file; a missing or invalid file gives *out == NULL and 0. */
int reg_cache_load(reg_cache **out, const char *path);
/*
 * The entry for a version's two blobs, or NULL. hint (may be NULL) is where
 * to look first, updated past the entry found: lookups in the order the
 * cache was written (the index's) then find each entry at once.
 */
const reg_cache_entry *reg_cache_find(const reg_cache *c, const regit_store_oid *avsc,
	const regit_store_oid *meta, size_t *hint);
void reg_cache_free(reg_cache *c);
/** Write the cache for idx (versions without references), atomically. */
int reg_cache_save(const char *path, const reg_index *idx);

/* ---- text, refs ------------------------------------------------------- */

reg_text *reg_text_new(const char *s, size_t len);
reg_text *reg_text_ref(reg_text *t);
void reg_text_unref(reg_text *t);

int reg_refs_copy(regit_reference **out, const regit_reference *refs, size_t n);
void reg_refs_free(regit_reference *refs, size_t n);
/* The identity key of a schema text with references (owned, in *out). */
int reg_identity_key(regit_buf *out, const char *text, size_t len,
	const regit_reference *refs, size_t nrefs);

/* ---- index ------------------------------------------------------------- */

reg_index *reg_index_new(void);
void reg_index_free(reg_index *idx);

reg_subject *reg_index_subject(const reg_index *idx, const char *name, size_t len);
/* Find or create (empty) a subject. */
int reg_index_subject_add(reg_subject **out, reg_index *idx, const char *name, size_t len);
/* Drop a subject that has no versions, config or mode left. */
void reg_index_subject_prune(reg_index *idx, reg_subject *s);

reg_version *reg_subject_version(const reg_subject *s, int version);
reg_version *reg_subject_latest(const reg_subject *s, int include_deleted);
int reg_subject_max_version(const reg_subject *s);

reg_schema *reg_index_schema(const reg_index *idx, int id);
reg_schema *reg_index_identity(const reg_index *idx, const char *key, size_t len, uint64_t hash);

/*
 * Add a version. Takes a reference on text; copies refs. Fails with
 * REGIT_EINVALID when the id is already used by a different schema or the
 * version number is taken.
 */
int reg_index_add_version(reg_version **out, reg_index *idx, reg_subject *s,
	int version, int id, reg_text *text, const regit_reference *refs, size_t nrefs,
	int deleted, int64_t ts);
void reg_index_remove_version(reg_index *idx, reg_version *v);
void reg_index_set_deleted(reg_index *idx, reg_version *v, int deleted);

/*
 * Build an index from a store listing. prev (may be NULL) is an index
 * built earlier: versions whose blobs did not change are reused without
 * reading or parsing; so are versions found in cache (may be NULL), after
 * a sample of them was checked against their files (a cache that
 * disagrees is ignored). On failure err->message says what is wrong with the
 * tree.
 */
int reg_index_build(reg_index **out, regit_store *store,
	const regit_store_listing *listing, const reg_index *prev, const reg_cache *cache,
	size_t max_schema_size, regit_registry_error *err);

/* ---- parsing with references ------------------------------------------- */

/*
 * Parses of referenced schemas shared by every reg_parse given the memo
 * (registry/parse.c): the registry keeps one per generation of its index,
 * an index build one for the build. Reference-counted and thread-safe.
 */
typedef struct reg_memo reg_memo;

/*
 * A parsed schema and what it borrows from: imports is the array handed to
 * the parser (every schema reachable through references, flattened, each
 * once). The top-level result owns the references it parsed that are not
 * in a memo in deps (in completion order, so freeing backwards frees
 * dependents first) and holds a reference on the memo (if any) whose
 * entries it borrows.
 */
typedef struct reg_parsed {
	regit_schema *schema;
	const regit_schema **imports;   /* owned array, borrowed elements */
	size_t nimports;
	struct reg_parsed **deps;       /* owned (top level only) */
	size_t ndeps;
	reg_memo *memo;                 /* a reference (top level only), or NULL */
	size_t nparsed;                 /* top level: references this call parsed
	                                   itself (not taken from the memo) */
	/* A referenced schema's: */
	const void *token;              /* its resolver token */
	size_t len;                     /* bytes of its text */
	size_t height;                  /* longest reference chain below it */
} reg_parsed;

void reg_parsed_free(reg_parsed *p);

/*
 * Where reference targets come from during parsing. lookup gives the text
 * of subject/version (borrowed for the call) and a token that identifies
 * it: two lookups giving the same token give the same text and references
 * for as long as the memo is used with this resolver (that is what lets a
 * memo hold parses across calls).
 */
typedef struct reg_resolver {
	int (*lookup)(const char **text, size_t *len, const regit_reference **refs,
		size_t *nrefs, const void **token, const char *subject, int version,
		void *payload);
	void *payload;
	reg_memo *memo;                 /* borrowed, or NULL: nothing shared between calls */
} reg_resolver;

/**
 * A new, empty memo. It keeps parses until their estimated size reaches
 * max_bytes; later parses are owned by the results that made them.
 * @return 0 or REGIT_ENOMEM (*out NULL)
 */
int reg_memo_new(reg_memo **out, size_t max_bytes);
/** Take another reference (m may be NULL). @return m */
reg_memo *reg_memo_ref(reg_memo *m);
/** Drop a reference; the last one frees the memo and its parses. NULL is fine. */
void reg_memo_free(reg_memo *m);
/** Parses the memo holds. */
size_t reg_memo_count(reg_memo *m);

/**
 * Parse text whose references are resolved through r (recursively, depth
 * and total bounded). Each referenced schema is parsed at most once per
 * call, and not at all when r->memo holds its parse. On a bad schema or
 * reference, REGIT_EINVALID with a message in serr->message.
 */
int reg_parse(reg_parsed **out, const char *text, size_t len,
	const regit_reference *refs, size_t nrefs, const reg_resolver *r,
	size_t max_size, regit_schema_error *serr);

/**
 * The index as a resolver (versions in any state), without a memo. Its
 * tokens are the versions' reg_schema entries (one per id: same text and
 * references), valid while the index is not changed.
 */
void reg_index_resolver(reg_resolver *out, const reg_index *idx);

/**
 * The compact text the registry stores for a parsed schema: COMPACT print,
 * then normalized (custom properties and aliases sorted) when asked.
 */
int reg_canonical(regit_buf *out, const reg_parsed *p, int normalize);

/** Normalize compact schema JSON text: sort custom properties and aliases. */
int reg_normalize(regit_buf *out, const char *json, size_t len);

/* ---- metadata files ---------------------------------------------------- */

/* Read a config object ({"compatibilityLevel", "normalize", "strict"}). */
int regit_registry__config_from_json(regit_config *out, const json_t *obj);

/*
 * The seal regit writes into every v<N>.json it writes ("seal"): a hash of
 * subject, version and id. A version that appears in the store with a
 * matching seal was written through a registry's API (and so passed, or
 * was explicitly spared, its compatibility check); any other new version
 * was put there by hand and is checked on reload. Not a security measure:
 * whoever can push can compute it; it tells apart accident from intent.
 */
uint64_t reg_version_seal(const char *subject, size_t len, int version, int id);

int reg_meta_version_write(regit_buf *out, const reg_version *v);
int reg_meta_config_write(regit_buf *out, const regit_config *cfg);
int reg_meta_mode_write(regit_buf *out, regit_mode mode);
int reg_meta_root_write(regit_buf *out, int next_id);

#endif
