/*
 * store_internal.h - what the files of store/ share; not API (only store/
 * and the store's tests include it).
 *
 * Why it exists: store_git.c was one 4,000-line file (issue #11). The
 * pieces that know git's formats but not libgit2 - writing packs, editing
 * trees as bytes, collecting a commit chain's objects, merging packs - are
 * now files of their own, each testable without a repository handle:
 *
 *   pack_write.c   a pack and its index, written and fsynced; entry
 *                  headers, zlib streams, delta instructions, object ids
 *   tree_edit.c    a serialised tree edited in place; the tree cache
 *   pack_batch.c   the objects of a commit chain, written as one pack
 *   pack_merge.c   the geometric merge of packs, and the thread running it
 *
 * None of them includes <git2.h>: ids are regit_store_oid (20 raw bytes,
 * the layout of a SHA-1 git_oid) and object types STORE_OBJ_* (git's own
 * numbers, also the type codes of pack entries). store_git.c,
 * store_git_repo.c and store_history.c are the libgit2-facing files
 * (store_git.h); store.c dispatches store.h's calls through a store_ops
 * table to them or to store_mem.c. Calls go one way: pack_batch and
 * tree_edit use pack_write; pack_merge uses pack_write and tree_edit;
 * store_git uses all of them, store_git_repo and store_history; nothing
 * calls back up except through a function pointer (the table, the
 * merger's reopen hook), so `make cycles` sees no file cycle.
 */
#ifndef REGIT_STORE_INTERNAL_H
#define REGIT_STORE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "store/store.h"
#include "util/buf.h"

/* git's object types: the numbers of GIT_OBJECT_* and of pack entries. */
enum {
	STORE_OBJ_COMMIT = 1,
	STORE_OBJ_TREE = 2,
	STORE_OBJ_BLOB = 3,
	STORE_OBJ_TAG = 4,
	STORE_OBJ_OFS_DELTA = 6,
	STORE_OBJ_REF_DELTA = 7
};

/* Longest name of a tree entry the store writes. */
#define STORE_MAX_NAME 4096

/* Trees from this size on are stored, not deflated: a tree is mostly
 * object ids, which do not compress, and zlib runs at ~40 MB/s on them
 * here (a 300 KB subjects tree: 8 ms) against ~2 GB/s for stored blocks.
 * Merging packs later turns most of them into deltas (pack_merge.c). */
#define STORE_STORE_TREES_FROM 16384

/* ---- store.c: the store interface as a table of functions --------------- */

/*
 * What one kind of store implements (like libgit2's git_odb_backend): the
 * regit_store_* calls of store.h, minus the ones every store shares
 * (store.c: regit_store_commit, listing and commit-list disposal, path
 * checks; regit_store_blob_oid and _oid_fmt). store_git.c is the store on
 * a git repository, store_mem.c one in memory for unit tests. Every
 * implementation's handle starts with a store_base; store.c reads the table
 * from it.
 */
typedef struct store_ops {
	const char *name;
	void (*free)(regit_store *store);
	int (*head)(regit_store *store, char out[REGIT_STORE_OID_HEX]);
	int (*list)(regit_store_listing **out, regit_store *store, const char *commit);
	int (*read)(regit_buf *out, regit_store *store, const regit_store_oid *oid);
	int (*commit_chain)(char out[REGIT_STORE_OID_HEX], regit_store *store,
		const char *expected_head, const regit_store_commit_spec *specs, size_t nspecs);
	void (*lock_writers)(regit_store *store);
	void (*unlock_writers)(regit_store *store);
	void (*idle)(regit_store *store);
	int (*log)(char next[REGIT_STORE_OID_HEX], regit_store *store, const char *from,
		const char *path, size_t skip, size_t limit,
		int (*cb)(const regit_store_log_entry *e, void *payload), void *payload);
	int (*file_origins)(regit_store *store, const char *from, const char *dir,
		const char *const *names, size_t n,
		void (*cb)(size_t i, const regit_store_log_entry *e, void *payload), void *payload);
	int (*served)(regit_store *store, char out[REGIT_STORE_OID_HEX]);
	int (*set_served)(regit_store *store, const char *commit, int durable);
	int (*descends)(regit_store *store, const char *commit, const char *ancestor);
	int (*resolve)(regit_store *store, const char *rev, char out[REGIT_STORE_OID_HEX]);
	int (*first_parents)(regit_store_commits *out, regit_store *store, const char *tip,
		const char *base, size_t max);
	int (*read_at)(regit_buf *out, regit_store *store, const char *commit, const char *path);
	int (*add_objects)(regit_store *store, const char *dir);
} store_ops;

typedef struct store_base {
	const store_ops *ops;
} store_base;

/* A path a store accepts: relative, no empty, ".", ".." or ".git" parts,
 * at most max bytes. */
int store_path_valid(const char *path, size_t max);
/* A commit chain's arguments, checked alike by every store: at least one
 * spec, every change's path valid (REGIT_EINVALID with the reason). */
/* The next slot of a first-parent walk's ids (REGIT_STORE_OID_HEX bytes to
 * fill), or NULL with *error REGIT_ELIMIT (past max, with the message) or
 * REGIT_ENOMEM; both stores' walks share the bound and its words. */
char *store_commits_add(regit_store_commits *out, size_t max, int *error);
int store_chain_check(const regit_store_commit_spec *specs, size_t nspecs, size_t max_path);

/* Default identity of commits made without an authenticated user. */
#define STORE_DEFAULT_AUTHOR "regit"
#define STORE_EMAIL "regit@localhost"

/* author as a commit's author name (owned; NULL when out of memory):
 * characters git refuses (<, >, control characters) become '_'; NULL, ""
 * or only spaces give STORE_DEFAULT_AUTHOR. */
char *store_author_name(const char *author);

/* A copy of s[0..len) in the listing's string pool (freed with it); NULL
 * when out of memory. */
char *store_pool_strndup(regit_store_listing *l, const char *s, size_t len);

/* ---- pack_write.c -------------------------------------------------------- */

/* REGIT_ENOSPC for a full disk or quota (ENOSPC, EDQUOT), else REGIT_EIO. */
int store_os_code(int err);

/* What every temporary file a pack write or merge creates is called
 * (then "pack_" or "idx_" and mkostemp's letters). */
#define STORE_TMP_PREFIX "tmp_regit_"
/*
 * Remove the temporary files a killed writer left in the pack directory
 * dir: regular files named STORE_TMP_PREFIX* whose last change is at least
 * max_age_seconds old. Age, not a lock, tells them apart from a live
 * write: the merging thread of another process on the same store writes
 * them without the writers' lock, and no write or merge runs for an hour.
 * Best effort (a file that cannot be removed stays).
 * @return how many were removed
 */
int store_pack_sweep_tmp(const char *dir, long max_age_seconds);

/* fsync a directory (after renaming files into it). @return 0, REGIT_E* */
int store_fsync_dir(const char *dir);

/* git's object id: SHA-1 of "<type> <size>\0" and the content (OpenSSL;
 * blobs, whose bytes clients choose, are hashed by libgit2's
 * collision-detecting SHA-1 in store_git.c instead). @return 0, REGIT_ERROR */
int store_obj_hash(regit_store_oid *out, int type, const void *data, size_t len);

/* One object of a pack being written. */
typedef struct store_obj {
	regit_store_oid oid;
	uint32_t crc;
	uint64_t offset;
} store_obj;

/* A growing array of objects (v owned; regit_free it). */
typedef struct store_objs {
	store_obj *v;
	size_t n, cap;
} store_objs;

int store_objs_add(store_objs *o, const regit_store_oid *oid);

/* The pack file being written: buffered, with a running SHA-1. */
typedef struct store_out store_out;

int store_out_put(store_out *w, const void *data, size_t len);

/* Bytes written so far: the offset of the next entry. */
uint64_t store_out_offset(const store_out *w);

/*
 * Writes the entry of objs[i] at w's current offset, setting obj->offset
 * and obj->crc. store_write_pack calls it for each object in order.
 */
typedef int (*store_emit_fn)(store_out *w, store_obj *obj, size_t i, void *payload);

/*
 * Write n objects as dir/pack-<sum>.{pack,idx}, durably: both files are
 * fsynced before they are renamed into place (the index last, since a
 * pack is found through its index) and the directory after. emit writes
 * each entry, in the order of objs; objs is then sorted by id for the
 * index (ids must be unique). name (may be NULL) receives "pack-<sum>".
 * A failed write leaves no temporary file.
 * @return 0, REGIT_ELIMIT, REGIT_ENOSPC, REGIT_EIO, REGIT_ENOMEM, REGIT_ERROR
 */
int store_write_pack(char name[64], const char *dir, store_obj *objs, size_t n,
	store_emit_fn emit, void *payload);

/* An entry's type-and-size header (at most 11 bytes). @return its length */
size_t store_entry_head(unsigned char *head, unsigned type, uint64_t size);

/* An OFS_DELTA's distance back to its base, in git's offset encoding (at
 * most 10 bytes), appended at out. @return its length */
size_t store_entry_ofs(unsigned char *out, uint64_t rel);

/*
 * zlib streams for entries. zlib clears its match table on every reset -
 * 64 KB at the default memLevel, more work than deflating a 300-byte blob -
 * so small objects get a stream with a 512-byte table, and the stored
 * stream (no compression, never matches) one too. Zero-initialise, then
 * store_zwriter_init; store_zwriter_dispose frees whatever was set up.
 */
#define STORE_SMALL_OBJECT 4096

typedef struct store_zwriter {
	z_stream fast, small, stored;
	int fast_init, small_init, stored_init;
	unsigned char *zbuf;     /* deflate output, owned */
	size_t zcap;
} store_zwriter;

enum { STORE_Z_FAST = 1, STORE_Z_SMALL = 2, STORE_Z_STORED = 4 };

/* Set up the streams in `which` (STORE_Z_* bits). @return 0, REGIT_ERROR */
int store_zwriter_init(store_zwriter *zw, int which);
void store_zwriter_dispose(store_zwriter *zw);

/* An entry: head[0..hlen) then data deflated with z; *crc its CRC-32. */
int store_put_entry(store_out *w, store_zwriter *zw, z_stream *z,
	const unsigned char *head, size_t hlen, const void *data, size_t len, uint32_t *crc);

/* Delta instructions (git's format): a size varint (returns its length),
 * copies from the base (at most 0xffff bytes each), literal inserts (127
 * at most each). @return 0, REGIT_ENOMEM */
size_t store_delta_varint(unsigned char *p, uint64_t v);
int store_delta_copy(regit_buf *d, uint64_t off, uint64_t len);
int store_delta_insert(regit_buf *d, const unsigned char *p, size_t len);

/* ---- tree_edit.c --------------------------------------------------------- */

/* A serialised tree ("<octal mode> <name>\0<20-byte id>" per entry, in
 * git's order) with its entry offsets. */
typedef struct store_tree store_tree;

/* A copy of data (not yet indexed: store_tree_index). oid may be NULL. NULL
 * when out of memory. */
store_tree *store_tree_new(const regit_store_oid *oid, const void *data, size_t len);
void store_tree_free(store_tree *t);

/* Index the entries, checking the format. @return 0, REGIT_EIO, REGIT_ENOMEM */
int store_tree_index(store_tree *t);

size_t store_tree_count(const store_tree *t);
const unsigned char *store_tree_bytes(const store_tree *t, size_t *len);
const regit_store_oid *store_tree_oid(const store_tree *t);
void store_tree_set_oid(store_tree *t, const regit_store_oid *oid);

/* Where (name, is_tree) is or would go; *found says which. */
size_t store_tree_find(const store_tree *t, const char *name, size_t len, int is_tree,
	int *found);

/* The id of entry i (i < store_tree_count). */
void store_tree_id_at(const store_tree *t, size_t i, regit_store_oid *out);

/* Remove name as a file and as a directory; *sub (may be NULL) gets the
 * directory's id, *had_sub says so. @return 0, REGIT_ENOMEM */
int store_tree_remove(store_tree *t, const char *name, size_t len, regit_store_oid *sub,
	int *had_sub);

/* Insert or replace (name, is_tree) with id (mode 100644 or 40000).
 * @return 0, REGIT_EINVALID (empty or too long name), REGIT_ENOMEM, REGIT_ELIMIT */
int store_tree_insert(store_tree *t, const char *name, size_t len, int is_tree,
	const regit_store_oid *id);

/*
 * One serialised entry at p: where the next starts, its name, whether it
 * is a tree (mode 40000; git also reads 040000). @return 0, -1 malformed
 */
int store_tree_entry(const unsigned char *p, const unsigned char *end,
	const unsigned char **next, const char **name, size_t *len, int *is_tree);

/* git's tree order: names compared as if trees ended in '/'. */
int store_name_cmp(const char *a, size_t al, int at, const char *b, size_t bl, int bt);

/* The trees the last commits made, least recently used out first, bounded
 * in count and bytes. */
typedef struct store_tree_cache store_tree_cache;

/* The caller's (store_tree_cache_free, which frees the trees in it too);
 * NULL when out of memory. */
store_tree_cache *store_tree_cache_new(void);
void store_tree_cache_free(store_tree_cache *c);
void store_tree_cache_clear(store_tree_cache *c);
/* Takes t (it may be evicted at once by a later put). */
void store_tree_cache_put(store_tree_cache *c, store_tree *t);
/* The tree with this id, taken out of the cache (the caller's now), or NULL. */
store_tree *store_tree_cache_take(store_tree_cache *c, const regit_store_oid *oid);

/* ---- pack_batch.c -------------------------------------------------------- */

/* The new objects of the chain being committed, in the order made. */
typedef struct store_batch store_batch;

/* The caller's (store_batch_free); NULL when out of memory. */
store_batch *store_batch_new(void);
void store_batch_free(store_batch *b);

/* Add an object (data copied) unless the batch has it. replaces: the
 * batch's tree this one replaces (a delta base), or NULL. @return 0, REGIT_ENOMEM */
int store_batch_add(store_batch *b, const regit_store_oid *oid, int type,
	const void *data, size_t len, const regit_store_oid *replaces);

/* The batch's object with this id: its type (0 when absent), bytes borrowed. */
int store_batch_find(const store_batch *b, const regit_store_oid *oid,
	const void **data, size_t *len);

size_t store_batch_count(const store_batch *b);

/* Forget the objects. */
void store_batch_reset(store_batch *b);

/* Write the objects as one durable pack in packdir and forget them (also
 * on failure). @return 0, or store_write_pack's codes */
int store_batch_flush(store_batch *b, const char *packdir);

/* ---- pack_merge.c -------------------------------------------------------- */

/*
 * Merge packs dir/<names[i]>.{idx,pack} into one new durable pack (name
 * receives "pack-<sum>"), copying entries as they are; the sources stay.
 * @return 0, REGIT_ENOTFOUND (a pack is gone), REGIT_EIO (a pack is
 *         malformed or damaged: nothing written), REGIT_ENOSPC, REGIT_ENOMEM
 */
int store_merge_packs(char name[64], const char *dir, const char *const *names, size_t n);

/* What a merge needs from its store: the pack directory, and a way to let
 * the handle's readers go of deleted packs. */
typedef struct store_merge_target {
	const char *packdir;
	pthread_rwlock_t *lock;  /* taken exclusively to delete merged packs; may be NULL */
	int (*reopen)(void *ctx);/* called holding lock after the deletion; may be NULL */
	void *ctx;
} store_merge_target;

/* Packs a store keeps before merging (more than this: a merge). */
#define STORE_MAX_PACKS 16

/* One geometric merge of t->packdir when it holds more than STORE_MAX_PACKS
 * packs. @return 0 (also: nothing to do), or store_merge_packs' codes */
int store_pack_merge(const store_merge_target *t);

/* The merging thread of one store handle. */
typedef struct store_merger store_merger;

/* *out the caller's (store_merger_free); t is copied (its lock and ctx
 * must outlive the merger). @return 0, REGIT_ENOMEM, REGIT_ERROR (mutex init) */
int store_merger_new(store_merger **out, const store_merge_target *t);
/* Stops the thread (waits for a merge in progress). */
void store_merger_free(store_merger *m);
/* A commit was published: merge on the thread (started on first use), or
 * here when it cannot start (t->lock, held by the caller, is let go
 * meanwhile). */
void store_merger_kick(store_merger *m);
/* Wait until no merge is pending or running. */
void store_merger_idle(store_merger *m);

#endif
