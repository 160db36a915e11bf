/*
 * registry_internal.h - the registry's in-memory index, shared by
 * registry/index.c (its structures, accessors and mutations),
 * registry/index_build.c (building it from a store tree) and the
 * files of the public API (registry.c, txn.c, the reg_*.c operations).
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
 *
 * Below the index: the registry itself (struct regit_registry) and the
 * helpers its files share: reg_base.c (errors, locking, effective
 * settings, subjects, the resolver), registry.c (loading and reload),
 * reg_check.c (request schemas, compatibility and lint checks),
 * reg_ledger.c (pushed versions, the ledger); the write-transaction engine
 * is in txn.h.
 */
#ifndef REGIT_REGISTRY_INTERNAL_H
#define REGIT_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"
#include "store/store.h"
#include "store/upstream.h"
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


/* The index: opaque outside index.c and index_build.c (the fields are in
 * index_internal.h; cache.c gets the subjects through reg_index_cache_save). */
typedef struct reg_index reg_index;

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
/**
 * Write the cache for the versions of subjects (those without references),
 * atomically; reg_index_cache_save is this for an index.
 */
int reg_cache_save(const char *path, reg_subject *const *subjects, size_t nsubjects);

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
/* The commit the index is of ("" for an empty store); set after a write of ours. */
const char *reg_index_head(const reg_index *idx);
void reg_index_set_head(reg_index *idx, const char *head);
/* The next id to issue, and whether regit.json exists; a write of ours
 * wrote regit.json with next_id (never lowered). */
int reg_index_next_id(const reg_index *idx);
int reg_index_has_root(const reg_index *idx);
void reg_index_note_root(reg_index *idx, int next_id);
/* Versions in the index; versions whose files the build parsed. */
size_t reg_index_nversions(const reg_index *idx);
size_t reg_index_nparsed(const reg_index *idx);
/* Write the start-up cache of idx (reg_cache_save). */
int reg_index_cache_save(const reg_index *idx, const char *path);
/* Subjects in name order: reg_index_subject_at(idx, i) for i < reg_index_nsubjects(idx). */
size_t reg_index_nsubjects(const reg_index *idx);
reg_subject *reg_index_subject_at(const reg_index *idx, size_t i);
/* Schemas (one per id): how many, and each in no particular order
 * (*pos = 0 to start; NULL after the last). */
size_t reg_index_nschemas(const reg_index *idx);
const reg_schema *reg_index_schema_next(const reg_index *idx, size_t *pos);
/* The global config (NULL: none set) and mode (READWRITE when none is set);
 * set NULL to remove. */
const regit_config *reg_index_config(const reg_index *idx);
void reg_index_set_config(reg_index *idx, const regit_config *cfg);
int reg_index_has_mode(const reg_index *idx);
regit_mode reg_index_mode(const reg_index *idx);
void reg_index_set_mode(reg_index *idx, const regit_mode *mode);
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
 * Build an index from a store listing (registry/index_build.c). prev (may be NULL) is an index
 * built earlier: versions whose blobs did not change are reused without
 * reading or parsing; so are versions found in cache (may be NULL), after
 * a sample of them was checked against their files (a cache that
 * disagrees is ignored). On failure the last error (regit_error_message)
 * says what is wrong with the tree.
 */
int reg_index_build(reg_index **out, regit_store *store,
	const regit_store_listing *listing, const reg_index *prev, const reg_cache *cache,
	size_t max_schema_size);

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

/* Read a config object ({"compatibilityLevel", "normalize", "strict"};
 * index_build.c, the index's only jansson reader; the writers below are
 * in index.c). */
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

/* ---- the registry ------------------------------------------------------- */

/* Lost compare-and-swap races tolerated per write before giving up. */
#define REG_MAX_ATTEMPTS 32
/* Registrations group-committed together at most. */
#define REG_MAX_BATCH 64
/* Parsed schemas kept for compatibility checks. */
#define REG_PCACHE_SIZE 512

typedef struct reg_upstream reg_upstream;   /* below */

struct regit_registry {
	regit_registry_options opts;
	char *store_path;
	char *cache_path;               /* "<store>/regit-cache" */
	uint64_t cache_generation;      /* generation the cache was written at */
	pthread_t cache_saver;          /* writes the cache after a cold start */
	int cache_saving;               /* cache_saver runs: joined by regit_registry_free */
	regit_store *store;
	int store_borrowed;             /* regit_registry_open_store: the caller frees it */
	pthread_rwlock_t rw;
	pthread_mutex_t wlock;
	reg_index *idx;                 /* published; swapped under rw write */
	atomic_uint_fast64_t generation;
	atomic_uint_fast64_t commits;
	atomic_uint_fast64_t rejections;
	atomic_uint_fast64_t store_rejections; /* reloads refused (invalid or incompatible) */
	atomic_uint_fast64_t ledger_rejections; /* of those: broke the ledger (reg_ledger_check) */
	/* Commits that failed on a full disk (REGIT_ENOSPC); disk_full is 1
	 * from such a failure until a commit succeeds (txn.c). */
	atomic_uint_fast64_t nospace_failures;
	atomic_int disk_full;
	atomic_int_fast64_t disk_full_since;   /* seconds since the epoch */
	/* Lint under warn/enforce: findings by rule index and severity
	 * (0 warning, 1 error), linted schemas by regit_lint_outcome. */
	atomic_uint_fast64_t lint_findings[REGIT_LINT_MAX_RULES][2];
	atomic_uint_fast64_t lint_outcomes[REGIT_LINT_OUTCOME_COUNT];
	int store_ok;                   /* guarded by rw */
	char store_message[256];
	char bad_head[REGIT_STORE_OID_HEX];  /* head that failed to load */
	/* The last refused head, kept after a later head loads (the UI's
	 * health panel): why, which commit, when (seconds since the epoch). */
	char last_reject[1024];
	char last_reject_head[REGIT_STORE_OID_HEX];
	int64_t last_reject_time;
	int stale;                      /* index missed a committed write */
	int verifying;                  /* regit_registry_verify: never writes the served ref */
	/* parsed old versions for compatibility checks (see pcache_get) */
	pthread_mutex_t pclock;
	struct reg_pcache_entry *pcache[REG_PCACHE_SIZE];
	uint64_t pctick;
	/* registration queue (group commit) */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct reg_job *qhead, **qtail;
	int leader;
	size_t qlast;                   /* size of the last batch run */
	/* parses of referenced schemas for the published index (see memo_acquire) */
	pthread_mutex_t memolock;
	reg_memo *memo;                 /* guarded by memolock */
	uint64_t memo_gen;              /* generation memo is for; guarded by memolock */
	const reg_index *check_idx;     /* a reloaded index being validated, and */
	reg_memo *check_memo;           /* its memo (both used by the wlock holder only) */
	/* GUID -> id, sorted, rebuilt lazily per generation (see guid_table) */
	pthread_mutex_t guidlock;
	struct reg_guid *guids;
	size_t nguids;
	uint64_t guid_gen;
	int guid_valid;
	reg_upstream *up;               /* NULL: no upstream (the usual case) */
};

typedef struct reg_pcache_entry reg_pcache_entry;
typedef struct reg_overlay reg_overlay;         /* txn.h */

/* ---- the upstream of a replica (reg_upstream.c) --------------------------- */

/*
 * A replica's upstream: the handle (store/upstream.h), what /health and
 * /metrics say about it, and the fetch thread's state (registry.c). Only
 * when regit_registry_options.upstream_url is set; reg->up is NULL
 * otherwise and nothing of this runs.
 */
struct reg_upstream {
	regit_upstream *up;             /* the write path's (push, its fetches, branch moves) */
	/* The fetch thread's and read-repair's own handle, with a tracking
	 * ref of its own (refs/regit/upstream-fetch): a handle serialises its
	 * calls, and a write's deadline must not include a background
	 * fetch's wait on a hung upstream, nor its fetch fail on the other's
	 * ref lock. */
	regit_upstream *fetch_up;
	unsigned timeout_ms, interval_ms;
	atomic_uint_fast64_t fetches, fetch_failures;
	atomic_uint_fast64_t pushes, push_conflicts, push_failures, repairs;
	/*
	 * Fairness between replicas (reg_upstream_courtesy): when a push of
	 * ours last landed, when one last lost a race (0: none pending), how
	 * long this replica takes from a lost race to its next push and how
	 * long a landed push takes (moving averages, ms), how many of our
	 * pushes landed in a row on our own previous one, and that one's id
	 * (the write path's, under wlock).
	 */
	atomic_int_fast64_t landed_ms, lost_ms, recover_ms, push_ms, wins;
	char last_tip[REGIT_STORE_OID_HEX];
	pthread_mutex_t lock;           /* guards the fields below */
	int reachable;                  /* the last fetch or push reached it */
	int refused;                    /* its head drops what we served */
	int unauthorized;               /* it refuses our credentials */
	int64_t synced_ms;              /* a fetch last found us caught up */
	uint64_t moves;                 /* times the branch took a newer upstream head
	                                   (a push of ours landed, a fetch taken in) */
	char message[256];
	/* the fetch thread (registry.c) */
	pthread_t thread;
	int running, stop, kick;
	pthread_cond_t cond;
	/* read-repair (registry.c): one fetch at a time, at most one
	 * starting per 100 ms; fetches started and finished so far */
	int repairing;
	int64_t repair_ms;              /* when the last one finished */
	uint64_t repair_started, repair_done;
	pthread_cond_t repaired;
};

/*
 * How long after a landed push of ours the next batch waits: as long as a
 * rival that lost to it takes to fetch, re-plan and push again (our own
 * recovery time as the estimate), so the upstream alternates between
 * busy replicas instead of the last winner winning every race. 0 when
 * our last push landed long enough ago.
 */
int64_t reg_upstream_courtesy(reg_upstream *u, int64_t now_ms);

/* A handle on opts->upstream_url for the store at store_path (no network). */
int reg_upstream_open(reg_upstream **out, const regit_registry_options *opts,
	const char *store_path);
void reg_upstream_free(reg_upstream *u);
/* regit_upstream_fetch on up (u->up or u->fetch_up), counted and reported. */
int reg_upstream_fetch(reg_upstream *u, regit_upstream *up, unsigned deadline_ms,
	char out[REGIT_STORE_OID_HEX]);
/* regit_upstream_push, counted (0, REGIT_ECONFLICT, ...) and timed for the
 * courtesy wait. The write path's thread (or the open, before any). */
int reg_upstream_push(reg_upstream *u, const char *commit, const char *expected,
	unsigned deadline_ms);
/*
 * Put the store's branch on the head up (the handle that fetched it) saw
 * upstream (caller holds wlock,
 * or nothing is published yet): a fast-forward, or back off commits the
 * upstream never took (a crash between commit and push), provided the
 * upstream still holds the served head. An upstream that dropped served
 * commits is refused (u->refused, REGIT_EINVALID with the last error); the
 * branch and what is served stay. The new head is then checked and loaded by
 * reg_reload_locked (the ledger and push validation). served: the head
 * the index serves (NULL before one is loaded: the served ref). moves_at_fetch:
 * reg_upstream_moves when the fetch that saw `fetched` began; a head older
 * than ours from a fetch that began before the branch last took a newer
 * head (a push of ours, another fetch) is stale, not a rewrite.
 */
int reg_upstream_align(reg_upstream *u, regit_upstream *up, regit_store *store,
	const char *fetched, const char *served, uint64_t moves_at_fetch);
/* u->moves now (under u->lock): what a fetch about to start passes to align. */
uint64_t reg_upstream_moves(reg_upstream *u);
/*
 * At open, before loading: fetch, then align; an empty upstream gets the
 * local head pushed (a local store with no commit leaves it empty until
 * the first write). An unreachable upstream is logged, not fatal: the
 * local state is served and the fetch thread keeps trying.
 */
int reg_upstream_join(reg_upstream *u, regit_store *store);
void reg_upstream_stats(reg_upstream *u, regit_registry_stats *out);

/* ---- errors and locking (reg_base.c) ------------------------------------ */

/* Set the thread's last error with its Confluent code; @return the REGIT_E* for code */
int reg_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A failure that is not the client's: out of memory, git I/O. */
int reg_fail_internal(int rc);
void reg_err_init(void);

/* Whether this thread holds a read section (regit_registry_read_begin) on reg. */
int reg_reading(const regit_registry *reg);
/* Take the read lock unless this thread already holds a section; @return whether taken */
int reg_read_enter(regit_registry *reg);
void reg_read_leave(regit_registry *reg, int taken);
/* Take wlock (a write inside a read section fails: it would deadlock). */
int reg_write_enter(regit_registry *reg);
/*
 * A write's bound on waiting for the store, counted from its arrival:
 * wlock (this server's other writes) and then other processes' locks on
 * the store (regit_store_wait_limit). The store's own ref lock timeout.
 */
#define REG_WRITE_WAIT_MS 5000
/* reg_write_enter waiting no later than deadline (reg_now_ms time); past
 * it 50002, nothing written. Also bounds the store's lock waits to the
 * deadline until reg_write_leave. */
int reg_write_enter_until(regit_registry *reg, int64_t deadline);
void reg_write_leave(regit_registry *reg);
int64_t reg_now_ms(void);
/* One pthread_cond_timedwait on cond (mutex held) until until_ms (reg_now_ms
 * time) at the latest; returns at once if that has passed. Callers loop on
 * their condition. */
void reg_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t until_ms);

/* ---- subjects and effective settings (reg_base.c) ------------------------ */

const reg_subject *reg_find_subject(const reg_index *idx, const char *subject);
regit_mode reg_effective_mode(const reg_index *idx, const reg_subject *s);
int reg_mode_readonly(regit_mode m);

/* What applies to a subject: its config, else the global one, else the server's. */
typedef struct reg_effective {
	regit_compat_level level;
	int strict;
	int normalize;
	regit_lint_policy lint;
} reg_effective;
void reg_effective_config(reg_effective *out, const regit_registry *reg,
	const reg_index *idx, const reg_subject *s);
regit_compat_level reg_non_transitive(regit_compat_level level);
int reg_level_transitive(regit_compat_level level);

/* "subjects/<enc>/<file>" into out. */
int reg_subject_path(char *out, size_t outlen, const char *subject, const char *file);
/* A subject name the API accepts (42208 otherwise). */
int reg_check_subject(const char *subject);
/*
 * *out = subject's version (REGIT_VERSION_LATEST: the latest), soft-deleted
 * ones too when deleted; borrowed from idx.
 * @return 0, or reg_fail's code with 40401 (no such subject, or none live)
 * or 40402 as the last error, in Confluent's words (*out NULL)
 */
int reg_find_version(const reg_version **out, const reg_index *idx, const char *subject,
	int version, int deleted);
/* Is subject/version referenced by a version (live only unless any)? */
const reg_version *reg_referrer(const reg_index *idx, const char *subject, int version,
	int any);

/* ---- loading (registry.c) ----------------------------------------------- */

/* Build the index of commit (NULL: the branch head). */
int reg_load_index(reg_index **out, regit_registry *reg, const char *commit,
	const reg_index *prev, const reg_cache *cache);
/* Publish a new index (caller holds wlock); takes idx. */
void reg_publish(regit_registry *reg, reg_index *idx);
/* Record head as served (refs/regit/served); a failure is logged. */
void reg_served_advance(regit_registry *reg, const char *head, int durable);
/*
 * Reload from the store's head if it moved (caller holds wlock): the new
 * head passes the ledger and push validation or is reported, and the
 * index being served stays.
 */
int reg_reload_locked(regit_registry *reg, int force);
/* ---- the published index's resolver (reg_base.c) ------------------------- */

/*
 * A resolver over idx carrying the memo for idx (a reference: drop it with
 * reg_memo_free(out->memo)); only the published index and the one a reload
 * validates have one.
 */
void reg_registry_resolver(reg_resolver *out, regit_registry *reg, const reg_index *idx);
/*
 * Parse a stored text (a version's or an id's) with its references through
 * reg_registry_resolver; stored compact text may be up to twice the request
 * limit (plus a margin), as when it was written.
 */
int reg_stored_parse(reg_parsed **out, regit_registry *reg, const reg_index *idx,
	const char *text, size_t len, const regit_reference *refs, size_t nrefs,
	regit_schema_error *serr);

/* ---- pushed versions and the ledger (reg_ledger.c) ----------------------- */

/* The compatibility and lint policy applied to versions new in idx (not from an API). */
int reg_push_validate(regit_registry *reg, const reg_index *prev, const reg_index *idx);
/* What prev served stays served in idx (registry/README.md, "The ledger"). */
int reg_ledger_check(regit_registry *reg, const reg_index *prev, const reg_index *idx);

/* ---- request schemas and checks (reg_check.c) ---------------------------- */

/* Text and references a register/lookup request resolves to. */
typedef struct reg_req_schema {
	reg_parsed *parsed;
	regit_buf text;                 /* stored compact text */
	regit_buf pretty;               /* the .avsc file */
	regit_reference *refs;          /* owned (sorted when normalized) */
	size_t nrefs;
	regit_buf key;                  /* identity */
	uint64_t hash;
} reg_req_schema;

/* Drop what r holds (fine on a zeroed or half-filled one). */
void reg_req_schema_dispose(reg_req_schema *r);
/*
 * Parse a request's schema with its references through r and compute its
 * compact text and identity; with `stored`, also the .avsc text.
 */
int reg_req_schema_parse(reg_req_schema *out, regit_registry *reg, const reg_index *idx,
	const reg_resolver *r, const regit_register_request *req, int normalize, int stored);
/* reg_req_schema_parse with reg_registry_resolver's resolver over idx. */
int reg_req_schema_load(reg_req_schema *out, regit_registry *reg, const reg_index *idx,
	const regit_register_request *req, int normalize, int stored);
int reg_version_key_eq(const reg_version *v, const reg_req_schema *r);

/* Empty the parsed-schema cache (regit_registry_free). */
void reg_pcache_clear(regit_registry *reg);

/* One older version to compare with: from the index or planned in a batch. */
typedef struct reg_compat_old {
	int version;
	int id;                         /* 0: not cacheable (batch, references) */
	const char *text;
	size_t len;
	const regit_reference *refs;
	size_t nrefs;
	const regit_schema *parsed;     /* already parsed (batch), or NULL */
} reg_compat_old;

/* A compatibility check of one schema against older ones (dispose after use). */
typedef struct reg_compat_run {
	regit_compat_result result;
	reg_compat_old *olds;               /* newest first */
	size_t nold;
	reg_parsed **parsed;
	reg_pcache_entry **held;            /* cache entries in use, parallel to olds */
	regit_registry *reg;
	regit_compat_level level;
	int strict;
} reg_compat_run;

void reg_compat_run_dispose(reg_compat_run *c);
/* Append v to c->olds (capacity cap). */
int reg_compat_add_old(reg_compat_run *c, size_t cap, const reg_version *v);
/* Check next against c->olds (newest first) at c->level; the verdict is in c->result. */
int reg_compat_check(reg_compat_run *c, const reg_index *idx, const regit_registry *reg,
	const regit_schema *next);
/* One finding as the one-line text both 40901 and verbose messages use. */
int reg_finding_text(regit_buf *out, const reg_compat_run *c, const regit_finding *f);
int reg_compat_summary(regit_buf *out, const reg_compat_run *c);
/* 40901 with every finding; push_version: 0 for a registration, else the pushed version. */
int reg_compat_reject(const reg_compat_run *c, const char *subject,
	int push_version);
/*
 * The lint policy applied to a schema about to become a version (0 for a
 * registration, else push_version is the pushed version's number). record:
 * count a registration's findings in the metrics and log its warnings;
 * 0 when the engine re-plans a registration it already linted (a lost
 * race), so one request is counted and warned once.
 * @return 0, REGIT_EINVALID (42201) or another error, with the last error
 */
int reg_lint_apply(regit_registry *reg, regit_lint_policy policy,
	const regit_schema *schema, const char *subject, int push_version, int record);
/* c->olds = live versions of subject, newest first: o's additions (may be NULL), then s's. */
int reg_live_versions_desc(reg_compat_run *c, const reg_subject *s, const reg_overlay *o,
	const char *subject);
/*
 * c->olds for a compatibility test or report against subject s: every live
 * version at c->level (all), or version v alone (none when v is NULL) at
 * the level's non-transitive form. @return 0 or REGIT_ENOMEM
 */
int reg_compat_against(reg_compat_run *c, const reg_subject *s, const char *subject, int all,
	const reg_version *v);

#endif
