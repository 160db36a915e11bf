/*
 * store_git.c - the registry store on a bare git repository (libgit2):
 * opening it, the head, listing and reading, and committing.
 *
 * With store_history.c (the served ref, ancestry, a path's history) it is
 * the libgit2-facing part of the store: every libgit2 error is turned into
 * a regit_error_set message and a REGIT_E* code here (store_git_error).
 * Git's formats without libgit2 are in files of their own (see
 * store_internal.h): pack_write.c, tree_edit.c, pack_batch.c, pack_merge.c.
 *
 * A commit is built without an index or a working tree: blobs are hashed
 * first, then the changed directories are rebuilt bottom-up by editing the
 * serialised trees of the expected head (kept in memory from the previous
 * commit: tree_edit.c's cache), then the commit object, and finally the
 * branch ref is moved with git_reference_create_matching, which takes the
 * ref's lock file and compares the current value with the expected one.
 * That compare-and-swap is the only coordination between writers, in this
 * process or another: a loser gets REGIT_ECONFLICT and its objects stay
 * unreferenced (harmless; `git gc` prunes them).
 *
 * Durability: GIT_OPT_ENABLE_FSYNC_GITDIR makes libgit2 fsync every file
 * it writes (and their directories), and the packs written by the store
 * are fsynced with their directory before the ref moves, so once
 * regit_store_commit returns 0 the commit survives a power loss.
 *
 * Cost of that: an fsync is ~10 ms on the target machine and a loose object
 * costs two, so a commit of seven loose objects would be ~150 ms. Instead
 * the new objects of a commit (or of a chain of them: group commit) are
 * collected in memory (pack_batch.c) and written as one pack (pack, index,
 * directory: three fsyncs) before the ref moves. Packs from many commits
 * are merged geometrically on a thread of the handle (pack_merge.c), so
 * their number stays logarithmic and readers never scan hundreds of pack
 * indexes. Another process may delete packs this handle had open; a read
 * that fails is retried once on a freshly opened repository.
 */
#include "store/store_git.h"

#include <errno.h>
#include <time.h>
#include <sys/file.h>
#include <fcntl.h>
#include <dirent.h>
#include <git2/sys/odb_backend.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"

/* The store's object types are git's own numbers (store_internal.h). */
_Static_assert((int)STORE_OBJ_COMMIT == (int)GIT_OBJECT_COMMIT &&
	(int)STORE_OBJ_TREE == (int)GIT_OBJECT_TREE &&
	(int)STORE_OBJ_BLOB == (int)GIT_OBJECT_BLOB &&
	(int)STORE_OBJ_OFS_DELTA == (int)GIT_OBJECT_OFS_DELTA &&
	(int)STORE_OBJ_REF_DELTA == (int)GIT_OBJECT_REF_DELTA, "object types are git's");
_Static_assert(sizeof(git_oid) == sizeof(regit_store_oid), "a git_oid is 20 bytes");


/* git_oid and the store's ids: the same 20 bytes. */
static regit_store_oid store_sid(const git_oid *oid)
{
	regit_store_oid s;

	memcpy(s.id, oid->id, 20);
	return s;
}

static void store_gid(git_oid *out, const regit_store_oid *oid)
{
	memcpy(out->id, oid->id, 20);
}


/*
 * libgit2's global state is reference-counted by git_libgit2_init and
 * _shutdown; each store holds one reference so the library is set up while
 * any store is open and fully released (for leak checkers) after the last.
 * The options are process-wide and idempotent.
 *
 * Strict hash verification re-hashes every object read with SHA-1 (the
 * collision-detecting variant) and compares it with the id it was asked
 * for: about a third of reading a blob, and a cold start reads two per
 * version. It guards only against the pack itself being altered: objects
 * enter a store through git (whose receive-pack and index-pack hash every
 * object) or through store_write_pack, which hashes what it writes, and
 * zlib's checksum still catches a damaged object. So it is off.
 */
static int store_lib_init(void)
{
	int rc = git_libgit2_init();

	if (rc < 0)
		return store_git_error(rc, "libgit2 init");
	rc = git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (rc == 0)
		rc = git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if (rc < 0) {
		git_libgit2_shutdown();
		return store_git_error(rc, "libgit2 options");
	}
	return 0;
}



/* The merger's hook: let go of the packs it deleted (lock held). */
static int store_merge_reopen(void *ctx)
{
	return store_reopen(ctx);
}

/* mkdir -p of the parent directories of path. */
static int store_mkdirs(const char *path)
{
	char *copy = regit_strdup(path);
	char *p;
	int error = 0;

	if (!copy)
		return REGIT_ENOMEM;
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0777) < 0 && errno != EEXIST) {
			regit_error_set(REGIT_ERROR_OS, "mkdir %s: %s", copy, strerror(errno));
			error = REGIT_EIO;
			break;
		}
		*p = '/';
	}
	regit_free(copy);
	return error;
}

/* Is path a directory with nothing in it (not even dot files)? */
static int store_dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return 0;
	/* cppcheck-suppress readdirCalled ; one stream, one thread: readdir_r is deprecated */
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* Temporary pack files older than this are a killed writer's (an hour: no
 * pack write or merge takes that long). */
#define STORE_TMP_MAX_AGE 3600L

/* The table of this kind of store (at the end of the file). */
static const store_ops store_git_ops;
static void store_git_unlock_writers(regit_store *store);

int regit_store_open(regit_store **out, const char *path,
	const regit_store_options *opts)
{
	regit_store_options defaults = REGIT_STORE_OPTIONS_INIT;
	regit_store *store = NULL;
	git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	regit_buf pd = REGIT_BUF_INIT;
	struct stat st;
	int libinit = 0;
	int error = 0;
	int rc;

	*out = NULL;
	if (!path || !*path) {
		regit_error_set(REGIT_ERROR_STORE, "store path is empty");
		return REGIT_EINVALID;
	}
	error = store_lib_init();
	if (error < 0)
		goto done;
	libinit = 1;

	store = regit_calloc(1, sizeof(*store));
	if (!store) {
		error = REGIT_ENOMEM;
		goto done;
	}
	store->base.ops = &store_git_ops;
	store->held_wlock = -1;
	store->opts = opts ? *opts : defaults;
	store->path = regit_strdup(path);
	if (!store->path) {
		error = REGIT_ENOMEM;
		goto done;
	}

	if (stat(path, &st) == 0) {
		rc = git_repository_open_bare(&store->repo, path);
		if (rc < 0) {
			/* An existing empty directory becomes a new store; anything
			 * else (a checkout, a data directory) is not ours to init. */
			if (S_ISDIR(st.st_mode) && rc == GIT_ENOTFOUND && store_dir_empty(path))
				goto create;
			if (S_ISDIR(st.st_mode) && rc == GIT_ENOTFOUND) {
				regit_error_set(REGIT_ERROR_STORE, "%s is a non-empty directory but"
					" not a bare git repository (a regit store); refusing to"
					" create a store in it", path);
				error = REGIT_EINVALID;
				goto done;
			}
			error = store_git_error(rc, path);
			if (error == REGIT_ENOTFOUND)
				error = REGIT_EIO;
			goto done;
		}
		goto opened;
	}
create:
	error = store_mkdirs(path);
	if (error < 0)
		goto done;
	init.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	init.initial_head = "main";
	rc = git_repository_init_ext(&store->repo, path, &init);
	if (rc < 0) {
		error = store_git_error(rc, path);
		if (error == REGIT_ENOTFOUND)
			error = REGIT_EIO;
		goto done;
	}
opened:
	error = store_attach(store);
	if (error < 0)
		goto done;
	store->gitdir = regit_strdup(git_repository_path(store->repo));
	if (!store->gitdir ||
	    regit_buf_printf(&pd, "%sobjects/pack", store->gitdir) < 0) {
		error = REGIT_ENOMEM;
		goto done;
	}
	store->packdir = pd.ptr;
	pd.ptr = NULL;
	/* A writer killed mid-pack (kill -9, power loss) leaves its temporary
	 * files behind; nothing else ever removes them. */
	if (store_pack_sweep_tmp(store->packdir, STORE_TMP_MAX_AGE) > 0)
		regit_log(REGIT_LOG_INFO, "regit: store: removed temporary pack files a killed"
			" writer left in %s\n", store->packdir);
	store->batch = store_batch_new();
	store->trees = store_tree_cache_new();
	if (!store->batch || !store->trees) {
		error = REGIT_ENOMEM;
		goto done;
	}
	if (pthread_rwlock_init(&store->lock, NULL) != 0) {
		regit_error_set(REGIT_ERROR_OS, "mutex init");
		error = REGIT_ERROR;
		goto done;
	}
	{
		store_merge_target t = { store->packdir, &store->lock, store_merge_reopen, store };

		error = store_merger_new(&store->merger, &t);
		if (error < 0) {
			pthread_rwlock_destroy(&store->lock);
			goto done;
		}
	}
	*out = store;
	store = NULL;
	libinit = 0;
done:
	regit_buf_dispose(&pd);
	if (store) {
		store_batch_free(store->batch);
		store_tree_cache_free(store->trees);
		git_odb_free(store->odb);
		git_repository_free(store->repo);
		regit_free(store->path);
		regit_free(store->gitdir);
		regit_free(store->packdir);
		regit_free(store);
	}
	if (libinit)
		git_libgit2_shutdown();
	return error;
}

static void store_git_free(regit_store *store)
{
	if (!store)
		return;
	store_merger_free(store->merger);   /* stops its thread first */
	store_batch_free(store->batch);
	store_tree_cache_free(store->trees);
	git_odb_free(store->odb);
	store_git_unlock_writers(store);
	git_repository_free(store->repo);
	pthread_rwlock_destroy(&store->lock);
	regit_free(store->path);
	regit_free(store->gitdir);
	regit_free(store->packdir);
	regit_free(store->extra_objects);
	regit_free(store);
	git_libgit2_shutdown();
}

int regit_store_blob_oid(regit_store_oid *out, const void *data, size_t len)
{
	git_oid oid;
	int rc = git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB);

	if (rc < 0)
		return store_git_error(rc, "hash blob");
	memcpy(out->id, oid.id, 20);
	return 0;
}



static int store_git_head(regit_store *store, char out[REGIT_STORE_OID_HEX])
{
	char *branch = NULL;
	git_oid oid;
	int exists = 0;
	int error;

	out[0] = '\0';
	pthread_rwlock_wrlock(&store->lock);
	error = store_branch(&branch, store);
	if (error < 0)
		goto done;
	error = store_head_oid(&oid, &exists, store, branch);
	if (error < 0)
		goto done;
	if (exists)
		git_oid_tostr(out, REGIT_STORE_OID_HEX, &oid);
done:
	pthread_rwlock_unlock(&store->lock);
	regit_free(branch);
	return error;
}
static int store_git_add_objects(regit_store *store, const char *dir)
{
	char *copy = regit_strdup(dir);
	int rc;

	if (!copy)
		return REGIT_ENOMEM;
	pthread_rwlock_wrlock(&store->lock);
	regit_free(store->extra_objects);
	store->extra_objects = copy;
	rc = git_odb_add_disk_alternate(store->odb, copy);
	pthread_rwlock_unlock(&store->lock);
	if (rc < 0)
		return store_git_error(rc, "add object directory");
	return 0;
}

/* ---- listing ------------------------------------------------------------- */

typedef struct store_list_state {
	regit_store_listing *listing;
	size_t cap;
	char path[8192];
} store_list_state;


static int store_list_add(store_list_state *st, regit_store *store, size_t len,
	const git_oid *oid)
{
	regit_store_file *grown;
	regit_store_file *f;

	if (st->listing->nfiles >= store->opts.max_files) {
		regit_error_set(REGIT_ERROR_STORE, "store tree has more than %zu files",
			store->opts.max_files);
		return REGIT_ELIMIT;
	}
	if (st->listing->nfiles == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 256;

		grown = regit_reallocarray(st->listing->files, ncap, sizeof(*grown));
		if (!grown)
			return REGIT_ENOMEM;
		st->listing->files = grown;
		st->cap = ncap;
	}
	f = &st->listing->files[st->listing->nfiles];
	f->path = store_pool_strndup(st->listing, st->path, len);
	if (!f->path)
		return REGIT_ENOMEM;
	memcpy(f->oid.id, oid->id, 20);
	st->listing->nfiles++;
	return 0;
}

/* Depth-first walk; st->path[0..len) is the directory prefix ("" or "a/b/"). */
static int store_list_tree(store_list_state *st, regit_store *store,
	const git_tree *tree, size_t len, size_t depth)
{
	size_t i, n = git_tree_entrycount(tree);
	int error = 0;

	if (depth > store->opts.max_depth) {
		regit_error_set(REGIT_ERROR_STORE, "store tree deeper than %zu directories",
			store->opts.max_depth);
		return REGIT_ELIMIT;
	}
	for (i = 0; i < n && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		size_t nlen = strlen(name);
		git_filemode_t mode = git_tree_entry_filemode(e);
		git_tree *sub = NULL;
		int rc;

		if (len + nlen + 2 > store->opts.max_path || len + nlen + 2 > sizeof(st->path)) {
			regit_error_set(REGIT_ERROR_STORE, "store path longer than %zu bytes",
				store->opts.max_path);
			return REGIT_ELIMIT;
		}
		memcpy(st->path + len, name, nlen);
		if (mode == GIT_FILEMODE_TREE) {
			st->path[len + nlen] = '/';
			rc = git_tree_lookup(&sub, store->repo, git_tree_entry_id(e));
			if (rc < 0)
				return store_git_error(rc, "read tree");
			error = store_list_tree(st, store, sub, len + nlen + 1, depth + 1);
			git_tree_free(sub);
		} else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
			error = store_list_add(st, store, len + nlen, git_tree_entry_id(e));
		}
		/* Symlinks and submodules are not store content: skipped. */
	}
	return error;
}

static int store_file_cmp(const void *a, const void *b)
{
	return strcmp(((const regit_store_file *)a)->path, ((const regit_store_file *)b)->path);
}


static int store_list_once(regit_store_listing **out, regit_store *store, const char *commit)
{
	store_list_state *st = NULL;
	regit_store_listing *listing = NULL;
	char *branch = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	size_t i;
	int exists = 1;
	int error = 0;
	int rc;

	*out = NULL;
	listing = regit_calloc(1, sizeof(*listing));
	st = regit_calloc(1, sizeof(*st));
	if (!listing || !st) {
		error = REGIT_ENOMEM;
		goto done;
	}
	if (commit && *commit) {
		rc = git_oid_fromstr(&oid, commit);
		if (rc < 0) {
			regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", commit);
			error = REGIT_ENOTFOUND;
			goto done;
		}
	} else {
		error = store_branch(&branch, store);
		if (error < 0)
			goto done;
		error = store_head_oid(&oid, &exists, store, branch);
		if (error < 0)
			goto done;
	}
	if (!exists)
		goto publish;    /* unborn branch: the empty tree */
	git_oid_tostr(listing->head, sizeof(listing->head), &oid);
	rc = git_commit_lookup(&c, store->repo, &oid);
	if (rc < 0) {
		error = store_git_error(rc, "read commit");
		goto done;
	}
	rc = git_commit_tree(&tree, c);
	if (rc < 0) {
		error = store_git_error(rc, "read commit tree");
		goto done;
	}
	st->listing = listing;
	error = store_list_tree(st, store, tree, 0, 0);
	if (error < 0)
		goto done;
	/* git orders tree entries as if directories ended in '/', which is the
	 * byte order of the full paths: the walk is normally sorted already. */
	for (i = 1; i < listing->nfiles; i++)
		if (strcmp(listing->files[i - 1].path, listing->files[i].path) > 0)
			break;
	if (i < listing->nfiles)
		qsort(listing->files, listing->nfiles, sizeof(*listing->files), store_file_cmp);
publish:
	*out = listing;
	listing = NULL;
done:
	git_tree_free(tree);
	git_commit_free(c);
	regit_free(branch);
	regit_free(st);
	regit_store_listing_free(listing);
	return error;
}

/*
 * Straight from the object database's backends, in the order git_odb_read
 * asks them. git_odb_read holds the database's mutex while a backend reads
 * (and inflates), so the threads that load a registry's versions took
 * turns; it also allocates an object and consults the object cache, which
 * keeps no blobs. The backends are safe to read from concurrently as long
 * as nothing changes them: a commit's packs, a refresh and a reopen happen
 * under the write side of store->lock, and readers hold the read side.
 * git_odb_read refreshes the backends when it misses, so a miss here is
 * only handed to it under the write side (see regit_store_read).
 * @return 0, 1 (no backend has it, or one failed: ask git_odb_read), or an error
 */
static int store_read_direct(regit_buf *out, regit_store *store, const git_oid *id)
{
	size_t i, n = git_odb_num_backends(store->odb);
	int error = 1;

	for (i = 0; i < n && error == 1; i++) {
		git_odb_backend *backend = NULL;
		git_object_t type = GIT_OBJECT_INVALID;
		void *data = NULL;
		size_t len = 0;
		int rc;

		if (git_odb_get_backend(&backend, store->odb, i) < 0 || !backend->read)
			continue;
		rc = backend->read(&data, &len, &type, backend, id);
		if (rc == GIT_ENOTFOUND || rc == GIT_PASSTHROUGH)
			continue;
		if (rc < 0)
			return 1;    /* git_odb_read reports it */
		if (type != GIT_OBJECT_BLOB) {
			regit_error_set(REGIT_ERROR_STORE, "object is not a blob");
			error = REGIT_EIO;
		} else {
			error = regit_buf_put(out, data, len);
			if (error == REGIT_ELIMIT)
				regit_error_set(REGIT_ERROR_STORE, "stored file larger than %zu bytes",
					out->max);
		}
		git_odb_backend_data_free(backend, data);
	}
	return error;
}

/* exclusive: the caller holds the write side of store->lock. */
static int store_read_once(regit_buf *out, regit_store *store, const regit_store_oid *oid,
	int exclusive)
{
	git_odb_object *obj = NULL;
	git_oid id;
	int error = 0;
	int rc;

	memcpy(id.id, oid->id, 20);
	error = store_read_direct(out, store, &id);
	if (error != 1)
		return error;
	if (!exclusive) {
		regit_error_set(REGIT_ERROR_STORE, "read blob: not in the known packs");
		return REGIT_ENOTFOUND;    /* retried under the write side */
	}
	error = 0;
	rc = git_odb_read(&obj, store->odb, &id);
	if (rc < 0) {
		error = store_git_error(rc, "read blob");
		goto done;
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_BLOB) {
		regit_error_set(REGIT_ERROR_STORE, "object is not a blob");
		error = REGIT_EIO;
		goto done;
	}
	error = regit_buf_put(out, git_odb_object_data(obj), git_odb_object_size(obj));
	if (error == REGIT_ELIMIT)
		regit_error_set(REGIT_ERROR_STORE, "stored file larger than %zu bytes", out->max);
done:
	git_odb_object_free(obj);
	return error;
}


static int store_git_list(regit_store_listing **out, regit_store *store, const char *commit)
{
	int error;

	pthread_rwlock_wrlock(&store->lock);
	error = store_list_once(out, store, commit);
	if (store_retryable(error) && store_reopen(store) == 0)
		error = store_list_once(out, store, commit);
	pthread_rwlock_unlock(&store->lock);
	return error;
}

static int store_git_read(regit_buf *out, regit_store *store, const regit_store_oid *oid)
{
	size_t before = out->size;
	int error;

	pthread_rwlock_rdlock(&store->lock);
	error = store_read_once(out, store, oid, 0);
	pthread_rwlock_unlock(&store->lock);
	if (store_retryable(error)) {
		/* Not in the packs known: alone, let git_odb_read look again (it
		 * refreshes), then, if packs were replaced underneath, reopen. */
		pthread_rwlock_wrlock(&store->lock);
		out->size = before;
		error = store_read_once(out, store, oid, 1);
		if (store_retryable(error) && store_reopen(store) == 0) {
			out->size = before;
			error = store_read_once(out, store, oid, 1);
		}
		pthread_rwlock_unlock(&store->lock);
	}
	return error;
}

/* ---- objects of a commit ------------------------------------------------------ */

/*
 * A blob's id comes from libgit2's hash, which detects SHA-1 collision
 * attacks (blob bytes are a client's schema text). Trees and commits are
 * bytes this file lays out - encoded names, modes, ids already computed -
 * so nobody controls the free-form blocks a collision needs, and they are
 * hashed with OpenSSL's SHA-1 (store_obj_hash), seven times faster here: a
 * tree of 10,000 subjects is 360 KB to hash per commit.
 */
static int store_put_blob(git_oid *out, regit_store *store, const void *data, size_t len)
{
	regit_store_oid id;
	int rc = git_odb_hash(out, data, len, GIT_OBJECT_BLOB);

	if (rc < 0)
		return store_git_error(rc, "hash blob");
	id = store_sid(out);
	return store_batch_add(store->batch, &id, STORE_OBJ_BLOB, data, len, NULL);
}

/*
 * Tree oid, the caller's to edit (and to hand to store_tree_put, which
 * caches the result): taken from the cache, or copied from this chain's
 * new objects, or read from the object database.
 */
static int store_tree_load(store_tree **out, regit_store *store, const git_oid *oid)
{
	git_odb_object *obj = NULL;
	regit_store_oid id = store_sid(oid);
	store_tree *t = NULL;
	const void *data = NULL;
	size_t len = 0;
	int error = 0;
	int rc;

	*out = store_tree_cache_take(store->trees, &id);
	if (*out)
		return 0;
	if (store_batch_find(store->batch, &id, &data, &len)) {
		t = store_tree_new(&id, data, len);
	} else {
		rc = git_odb_read(&obj, store->odb, oid);
		if (rc < 0) {
			error = store_git_error(rc, "read tree");
			goto done;
		}
		if (git_odb_object_type(obj) != GIT_OBJECT_TREE) {
			regit_error_set(REGIT_ERROR_STORE, "object %s is not a tree",
				git_oid_tostr_s(oid));
			error = REGIT_EIO;
			goto done;
		}
		t = store_tree_new(&id, git_odb_object_data(obj), git_odb_object_size(obj));
	}
	if (!t) {
		error = REGIT_ENOMEM;
		goto done;
	}
	error = store_tree_index(t);
	if (error < 0)
		goto done;
	*out = t;
	t = NULL;
done:
	store_tree_free(t);
	git_odb_object_free(obj);
	return error;
}

/*
 * Give an edited tree its id, add it to the chain's objects (a delta
 * candidate against the tree it replaces) and keep it in the cache.
 * Takes t.
 */
static int store_tree_put(git_oid *out, regit_store *store, store_tree *t, const git_oid *replaces)
{
	regit_store_oid id, rid;
	size_t len;
	const unsigned char *data = store_tree_bytes(t, &len);
	int error = store_obj_hash(&id, STORE_OBJ_TREE, data, len);

	if (replaces)
		rid = store_sid(replaces);
	if (error == 0) {
		store_tree_set_oid(t, &id);
		if (!replaces || memcmp(id.id, rid.id, 20) != 0)
			error = store_batch_add(store->batch, &id, STORE_OBJ_TREE, data, len,
				replaces ? &rid : NULL);
	}
	if (error < 0) {
		store_tree_free(t);
		return error;
	}
	store_gid(out, &id);
	store_tree_cache_put(store->trees, t);
	return 0;
}

/* ---- commit -------------------------------------------------------------- */

/* A change with its position, so duplicate paths resolve to the last one. */
typedef struct store_change_ref {
	const regit_store_change *change;
	size_t index;
} store_change_ref;

static int store_change_cmp(const void *a, const void *b)
{
	const store_change_ref *x = a, *y = b;
	int c = strcmp(x->change->path, y->change->path);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}


/*
 * Apply changes[0..n) (sorted; all below the directory whose tree is
 * `base`, NULL when it does not exist yet; paths starting at offset `off`)
 * and store the resulting tree. *empty is set when nothing is left, so the
 * caller drops the directory: git has no empty directories and a deleted
 * subject must vanish from the tree. A name is a file or a directory,
 * never both: writing one replaces the other.
 */
static int store_build_tree(git_oid *out, int *empty, regit_store *store,
	const git_oid *base, const store_change_ref *changes, size_t n, size_t off)
{
	store_tree *t = NULL;
	size_t i = 0;
	int error = 0;

	*empty = 0;
	if (base)
		error = store_tree_load(&t, store, base);
	else if (!(t = store_tree_new(NULL, "", 0)))
		error = REGIT_ENOMEM;
	if (error < 0)
		return error;
	while (i < n) {
		const regit_store_change *c = changes[i].change;
		const char *rest = c->path + off;
		const char *slash = strchr(rest, '/');
		int had = 0;

		if (!slash) {
			/* A file in this directory (a removed one may be missing). */
			size_t len = strlen(rest);
			git_oid blob;

			error = store_tree_remove(t, rest, len, NULL, &had);
			if (error == 0 && !c->remove) {
				error = store_put_blob(&blob, store, c->data, c->len);
				if (error == 0) {
					regit_store_oid id = store_sid(&blob);

					error = store_tree_insert(t, rest, len, 0, &id);
				}
			}
			if (error < 0)
				goto done;
			i++;
		} else {
			/* All changes under the same subdirectory are adjacent. */
			size_t dlen = (size_t)(slash - rest);
			size_t j = i + 1, at;
			git_oid sub_base, sub_oid;
			int found = 0, sub_empty = 0;

			while (j < n && strncmp(changes[j].change->path + off, rest, dlen + 1) == 0)
				j++;
			at = store_tree_find(t, rest, dlen, 1, &found);
			if (found) {
				regit_store_oid sub;

				store_tree_id_at(t, at, &sub);
				store_gid(&sub_base, &sub);
			}
			error = store_build_tree(&sub_oid, &sub_empty, store, found ? &sub_base : NULL,
				changes + i, j - i, off + dlen + 1);
			if (error == 0)
				error = store_tree_remove(t, rest, dlen, NULL, &had);
			if (error == 0 && !sub_empty) {
				regit_store_oid id = store_sid(&sub_oid);

				error = store_tree_insert(t, rest, dlen, 1, &id);
			}
			if (error < 0)
				goto done;
			i = j;
		}
	}
	*empty = store_tree_count(t) == 0;
	/* An emptied directory is dropped by its parent: writing its tree
	 * would leave an unreachable object in the pack. The root stays. */
	if (*empty && off > 0)
		goto done;
	error = store_tree_put(out, store, t, base);
	t = NULL;
done:
	store_tree_free(t);
	return error;
}


/*
 * Crash safety of the ref update, and git's own ref locks.
 *
 * A writer killed (kill -9) between libgit2 creating "refs/heads/main.lock"
 * and renaming it into place leaves the lock file behind, and libgit2, like
 * git, then refuses every later update of the ref with GIT_ELOCKED: the
 * store would stay read-only for good. But a lock file can equally be held
 * by a live git (a slow push, a reference-transaction hook, `git update-ref
 * --stdin` between prepare and commit), and removing that breaks git's
 * update. Its age says nothing, so a lock is only removed when it is proven
 * to be a dead regit writer's:
 *
 *  - every regit writer holds an flock on "<gitdir>/regit-write.lock" from
 *    reading the head until the ref has moved (the kernel drops it when the
 *    process dies), and right around its ref update it writes
 *    "<branch> <new commit id>\n" into that file, truncating it again as
 *    soon as libgit2 returns. A writer that finds the file non-empty while
 *    holding the flock knows its previous holder died inside a ref update;
 *  - libgit2 fills its lock with "<new commit id>\n" before renaming it, and
 *    only that dead writer knew that id (its commit was never published).
 *    A lock with exactly that content, while the branch does not point at
 *    the id, is the dead writer's and is removed.
 *
 *  - libgit2 writes that content only when it commits the lock, so a
 *    writer killed between creating the lock and filling it leaves it
 *    empty (seen in CI: crash_safety's kill -9 loop wedged every later
 *    write). With the dead writer's mark for this branch, an empty lock
 *    that stays empty and unchanged for STORE_EMPTY_LOCK_MS is its lock and
 *    is removed: a live git's lock is empty only for an instant (between
 *    its open and write, or while it deletes the ref).
 *
 * Anything else (no mark, another content) is waited for until
 * opts.ref_lock_timeout_ms, and then the commit fails with REGIT_EIO;
 * nothing was published. Removing such a lock is the operator's call, as
 * with git ("Another git process seems to be running...").
 */

/* Test seam, see store.h. */
void (*regit_store__before_ref_update)(const char *lock_path, const char *new_hex);

static uint64_t store_now_ms(void);

/* This thread's bound on those waits (regit_store_wait_limit); 0: none. */
static _Thread_local uint64_t store_thread_deadline;

void regit_store_wait_limit(unsigned ms)
{
	store_thread_deadline = ms ? store_now_ms() + ms : 0;
}

/* When a wait for another process's lock that starts now gives up. */
static uint64_t store_lock_deadline(const regit_store *store)
{
	uint64_t d = store_now_ms() + store->opts.ref_lock_timeout_ms;

	return store_thread_deadline && store_thread_deadline < d ? store_thread_deadline : d;
}

static int store_writer_lock(regit_store *store)
{
	regit_buf path = REGIT_BUF_INIT;
	int fd = -1;

	if (regit_buf_printf(&path, "%sregit-write.lock", store->gitdir) < 0)
		return -1;
	/* The directory is writable by pushers: a symlink planted here must
	 * not make the server create or lock a file elsewhere. */
	fd = open(path.ptr, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd >= 0) {
		struct stat st;

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0) {
		/* Another process may hold it for as long as it likes: wait
		 * up to opts.ref_lock_timeout_ms, like for git's ref lock. */
		uint64_t deadline = store_lock_deadline(store);
		struct timespec nap = { 0, 5 * 1000000L };

		while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			if ((errno != EWOULDBLOCK && errno != EINTR) ||
			    store_now_ms() >= deadline) {
				close(fd);
				fd = errno == EWOULDBLOCK ? -2 : -1;
				break;
			}
			nanosleep(&nap, NULL);
		}
	}
	regit_buf_dispose(&path);
	/* -1: carry on without it (read-only dir); CAS still holds.
	 * -2: another process kept it past the deadline. */
	return fd;
}

static void store_git_lock_writers(regit_store *store)
{
	if (store->held_wlock < 0)
		store->held_wlock = store_writer_lock(store);
	if (store->held_wlock < 0)
		store->held_wlock = -1;   /* not held: the commit asks again */
}

static void store_git_unlock_writers(regit_store *store)
{
	if (store->held_wlock >= 0)
		close(store->held_wlock);   /* releases the flock */
	store->held_wlock = -1;
}

/* Mark (new set) or unmark (new NULL) a ref update in the flocked file. A
 * mark that cannot be written only means a crash now cannot be cleaned up
 * automatically. */
static void store_mark_ref_update(int wfd, const char *branch, const git_oid *new)
{
	char line[STORE_MAX_NAME + 64], hex[GIT_OID_HEXSZ + 1];
	int n;

	if (!new) {
		if (ftruncate(wfd, 0) != 0) {
			/* a mark left behind proves nothing once the ref is
			 * updated (checked against the branch) */
		}
		return;
	}
	git_oid_tostr(hex, sizeof(hex), new);
	n = snprintf(line, sizeof(line), "%s %s\n", branch, hex);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	/* A torn or stale tail would not parse as a mark: proves nothing. */
	if (pwrite(wfd, line, (size_t)n, 0) != n)
		return;
	if (ftruncate(wfd, n) != 0)
		return;
}

/* How long an empty ref lock must stay so with a dead writer's mark. */
#define STORE_EMPTY_LOCK_MS 1000

/*
 * An empty ref lock (st) under a dead writer's mark: its lock if it stays
 * empty and unchanged until it is STORE_EMPTY_LOCK_MS old (see "Crash
 * safety of the ref update"). Waits for that age, bounded like any wait
 * for a lock. @return 1 dead writer's, 0 not proven.
 */
static int store_empty_lock_is_dead(const regit_store *store, const char *path,
	const struct stat *st)
{
	uint64_t deadline = store_lock_deadline(store);

	for (;;) {
		struct timespec now, nap = { 0, 20 * 1000000L };
		struct stat again;
		int64_t age_ms;

		if (lstat(path, &again) != 0 || again.st_ino != st->st_ino ||
				again.st_dev != st->st_dev || again.st_size != 0)
			return 0;
		clock_gettime(CLOCK_REALTIME, &now);
		age_ms = (int64_t)(now.tv_sec - again.st_mtim.tv_sec) * 1000 +
			(now.tv_nsec - again.st_mtim.tv_nsec) / 1000000;
		if (age_ms >= STORE_EMPTY_LOCK_MS)
			return 1;
		if (store_now_ms() >= deadline)
			return 0;
		nanosleep(&nap, NULL);
	}
}

/*
 * Holding the writer flock (wfd): if the previous holder died inside its
 * ref update (it left its mark), remove the ref lock it left, when proven
 * to be its lock (see above). Clears the mark either way: what it proves
 * is about this moment only.
 */
static void store_recover_ref_lock(regit_store *store, int wfd, const char *branch)
{
	char mark[STORE_MAX_NAME + 64], content[GIT_OID_HEXSZ + 2];
	regit_buf lock = REGIT_BUF_INIT;
	struct stat st, again;
	git_oid new, cur;
	char *sp;
	ssize_t n;
	int fd = -1;

	n = pread(wfd, mark, sizeof(mark) - 1, 0);
	if (n <= 0)
		return;      /* the usual case: the previous holder finished */
	mark[n] = '\0';
	sp = strrchr(mark, ' ');
	/* "<branch> <40 hex>\n" for our branch; anything else proves nothing
	 * (and names no other file to remove) */
	if (!sp || strlen(sp + 1) != GIT_OID_HEXSZ + 1 || sp[1 + GIT_OID_HEXSZ] != '\n' ||
	    git_oid_fromstrn(&new, sp + 1, GIT_OID_HEXSZ) < 0)
		goto done;
	*sp = '\0';
	if (strcmp(mark, branch) != 0)
		goto done;
	/* Published: its lock was renamed, so a lock now is someone else's. */
	if (git_reference_name_to_id(&cur, store->repo, mark) == 0 && git_oid_equal(&cur, &new))
		goto done;
	if (regit_buf_printf(&lock, "%s%s.lock", store->gitdir, mark) < 0)
		goto done;
	fd = open(lock.ptr, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto done;
	n = read(fd, content, sizeof(content));
	if (n == 0) {
		if (!store_empty_lock_is_dead(store, lock.ptr, &st))
			goto done;
	} else if (n != GIT_OID_HEXSZ + 1 || memcmp(content, sp + 1, GIT_OID_HEXSZ + 1) != 0) {
		goto done;
	}
	/* Still the same file (nobody replaced it meanwhile): remove it. */
	if (lstat(lock.ptr, &again) == 0 && again.st_ino == st.st_ino && again.st_dev == st.st_dev)
		(void)unlink(lock.ptr);
done:
	if (fd >= 0)
		close(fd);
	regit_buf_dispose(&lock);
	store_mark_ref_update(wfd, NULL, NULL);
}

static uint64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* GIT_ELOCKED: wait for the branch's lock file to go away, until deadline
 * (monotonic ms). @return 1 to retry the update, 0 to give up. */
static int store_wait_ref_lock(regit_store *store, const char *branch, uint64_t deadline)
{
	regit_buf path = REGIT_BUF_INIT;
	struct stat st;
	int retry = 0;

	if (regit_buf_printf(&path, "%s%s.lock", store->gitdir, branch) < 0)
		return 0;
	for (;;) {
		struct timespec ts = { 0, 5 * 1000000L };

		if (lstat(path.ptr, &st) != 0 && errno == ENOENT) {
			retry = 1;
			break;
		}
		if (store_now_ms() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	regit_buf_dispose(&path);
	return retry;
}

/*
 * Build one commit of a chain: the tree `base` (NULL: none yet) with spec's
 * changes, a commit with `parent` (NULL for the first commit of the store).
 * The commit object is laid out here as git_commit_create_buffer would,
 * which needed both the tree and the parent parsed through libgit2.
 */
static int store_commit_one(git_oid *out, git_oid *tree_out, regit_store *store,
	const git_oid *base, const git_oid *parent_oid, const regit_store_commit_spec *spec)
{
	store_change_ref *sorted = NULL;
	git_signature *sig = NULL;
	regit_store_oid id;
	regit_buf cbuf;
	char hex[GIT_OID_HEXSZ + 1];
	char *name = NULL;
	size_t i, w, n = spec->nchanges, mlen;
	int empty = 0;
	int error = 0;
	int rc;

	regit_buf_init(&cbuf, (size_t)1 << 30);
	sorted = regit_calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		sorted[i].change = &spec->changes[i];
		sorted[i].index = i;
	}
	qsort(sorted, n, sizeof(*sorted), store_change_cmp);
	/* Duplicates: keep only the last change of each path. */
	for (i = 0, w = 0; i < n; i++) {
		if (i + 1 < n && strcmp(sorted[i].change->path, sorted[i + 1].change->path) == 0)
			continue;
		sorted[w++] = sorted[i];
	}
	error = store_build_tree(tree_out, &empty, store, base, sorted, w, 0);
	if (error < 0)
		goto done;
	name = store_author_name(spec->author);
	if (!name) {
		error = REGIT_ENOMEM;
		goto done;
	}
	rc = git_signature_now(&sig, name, STORE_EMAIL);
	if (rc < 0) {
		error = store_git_error(rc, "commit signature");
		goto done;
	}
	{
		int offset = sig->when.offset;
		char sign = (offset < 0 || sig->when.sign == '-') ? '-' : '+';
		char when[64];

		if (offset < 0)
			offset = -offset;
		snprintf(when, sizeof(when), "%lld %c%02d%02d", (long long)sig->when.time, sign,
			offset / 60, offset % 60);
		git_oid_tostr(hex, sizeof(hex), tree_out);
		error = regit_buf_printf(&cbuf, "tree %s\n", hex);
		if (error == 0 && parent_oid) {
			git_oid_tostr(hex, sizeof(hex), parent_oid);
			error = regit_buf_printf(&cbuf, "parent %s\n", hex);
		}
		if (error == 0)
			error = regit_buf_printf(&cbuf, "author %s <%s> %s\ncommitter %s <%s> %s\n\n",
				sig->name, sig->email, when, sig->name, sig->email, when);
	}
	mlen = spec->message ? strlen(spec->message) : 0;
	if (error == 0 && mlen)
		error = regit_buf_put(&cbuf, spec->message, mlen);
	if (error == 0 && (mlen == 0 || spec->message[mlen - 1] != '\n'))
		error = regit_buf_put(&cbuf, "\n", 1);
	if (error == 0)
		error = store_obj_hash(&id, STORE_OBJ_COMMIT, cbuf.ptr, cbuf.size);
	if (error == 0) {
		store_gid(out, &id);
		error = store_batch_add(store->batch, &id, STORE_OBJ_COMMIT, cbuf.ptr, cbuf.size,
			NULL);
	}
done:
	git_signature_free(sig);
	regit_buf_dispose(&cbuf);
	regit_free(sorted);
	regit_free(name);
	return error;
}

static int store_commit_chain_once(char out[REGIT_STORE_OID_HEX], regit_store *store,
	const char *expected_head, const regit_store_commit_spec *specs, size_t nspecs)
{
	char *branch = NULL;
	git_commit *head_commit = NULL;
	git_reference *ref = NULL;
	git_oid cur, expected, last, base;
	int has_expected = expected_head && *expected_head;
	int exists = 0;
	int error = 0;
	int wlock = -1, mfd;
	uint64_t deadline;
	size_t j;
	int rc;

	out[0] = '\0';
	error = store_chain_check(specs, nspecs, store->opts.max_path);
	if (error < 0)
		return error;
	if (has_expected && git_oid_fromstr(&expected, expected_head) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", expected_head);
		return REGIT_EINVALID;
	}

	/*
	 * Writers of this store (threads with their own handles, other
	 * processes) take turns from here to the ref update: one that finds
	 * the head moved gives up at once, before building and fsyncing a pack
	 * that could only lose the compare-and-swap. Two busy servers on one
	 * store otherwise kept losing each other's races, and one of them
	 * could run out of retries.
	 */
	if (store->held_wlock < 0)
		wlock = store_writer_lock(store);
	if (wlock == -2) {
		wlock = -1;
		regit_error_set(REGIT_ERROR_STORE, "store busy: another process held the"
			" writers' lock (%sregit-write.lock) past the write's deadline (%u ms);"
			" nothing was written", store->gitdir, store->opts.ref_lock_timeout_ms);
		return REGIT_EBUSY;
	}
	mfd = wlock >= 0 ? wlock : store->held_wlock;
	error = store_branch(&branch, store);
	if (error < 0)
		goto done;
	if (mfd >= 0)
		store_recover_ref_lock(store, mfd, branch);
	error = store_head_oid(&cur, &exists, store, branch);
	if (error < 0)
		goto done;
	/* Cheap early check; the ref update below is the authoritative one
	 * (git itself, or a writer that could not take the lock, may move
	 * the branch). */
	if (exists != has_expected || (exists && !git_oid_equal(&cur, &expected))) {
		regit_error_set(REGIT_ERROR_STORE, "store head moved");
		error = REGIT_ECONFLICT;
		goto done;
	}
	if (has_expected) {
		rc = git_commit_lookup(&head_commit, store->repo, &expected);
		if (rc < 0) {
			error = store_git_error(rc, "read head commit");
			goto done;
		}
		git_oid_cpy(&base, git_commit_tree_id(head_commit));
		git_oid_cpy(&last, &expected);
	}
	/* Each spec is its own commit, on top of the previous one. */
	for (j = 0; j < nspecs; j++) {
		git_oid commit_oid, tree_oid;

		error = store_commit_one(&commit_oid, &tree_oid, store,
			(has_expected || j > 0) ? &base : NULL,
			(has_expected || j > 0) ? &last : NULL, &specs[j]);
		if (error < 0)
			goto done;
		git_oid_cpy(&base, &tree_oid);
		git_oid_cpy(&last, &commit_oid);
	}
	/* All new objects as one durable pack, before the ref points at them. */
	error = store_batch_flush(store->batch, store->packdir);
	if (error == 0 && git_odb_refresh(store->odb) < 0)
		error = store_git_error(-1, "refresh object database");
	if (error < 0)
		goto done;

	/*
	 * The compare-and-swap. force=0 with no current id creates the branch
	 * only if it does not exist; force=1 with a current id replaces it only
	 * if it still holds that id. The ref's lock file held by someone else
	 * (GIT_ELOCKED) is waited for, never broken (see "git's own ref
	 * locks" above); once it is gone the compare-and-swap decides.
	 */
	deadline = store_lock_deadline(store);
	for (;;) {
		if (mfd >= 0)
			store_mark_ref_update(mfd, branch, &last);
		if (regit_store__before_ref_update) {
			char hex[GIT_OID_HEXSZ + 1];
			regit_buf lp = REGIT_BUF_INIT;

			git_oid_tostr(hex, sizeof(hex), &last);
			if (regit_buf_printf(&lp, "%s%s.lock", store->gitdir,
					branch) == 0)
				regit_store__before_ref_update(lp.ptr, hex);
			regit_buf_dispose(&lp);
		}
		if (has_expected)
			rc = git_reference_create_matching(&ref, store->repo, branch, &last, 1,
				&expected, specs[nspecs - 1].message);
		else
			rc = git_reference_create_matching(&ref, store->repo, branch, &last, 0,
				NULL, specs[nspecs - 1].message);
		if (mfd >= 0)
			store_mark_ref_update(mfd, NULL, NULL);
		if (rc != GIT_ELOCKED || !store_wait_ref_lock(store, branch, deadline))
			break;
	}
	if (wlock >= 0)
		close(wlock);   /* releases the flock */
	wlock = -1;
	if (rc == GIT_ELOCKED) {
		regit_error_set(REGIT_ERROR_STORE, "%s is locked by another process (%s%s.lock) "
			"after %u ms; if no git command is running on the store, the lock is stale "
			"and can be removed", branch, store->gitdir, branch,
			store->opts.ref_lock_timeout_ms);
		error = REGIT_EIO;
		goto done;
	}
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		regit_error_set(REGIT_ERROR_STORE, "store head moved");
		error = REGIT_ECONFLICT;
		goto done;
	}
	if (rc < 0) {
		error = store_git_error(rc, "update branch");
		goto done;
	}
	git_oid_tostr(out, REGIT_STORE_OID_HEX, &last);
	/* Housekeeping, after the answer: the commit is published. */
	store_merger_kick(store->merger);
done:
	if (wlock >= 0)
		close(wlock);
	store_batch_reset(store->batch);
	git_reference_free(ref);
	git_commit_free(head_commit);
	regit_free(branch);
	return error;
}

static int store_git_commit_chain(char out[REGIT_STORE_OID_HEX], regit_store *store,
	const char *expected_head, const regit_store_commit_spec *specs, size_t nspecs)
{
	int error;

	pthread_rwlock_wrlock(&store->lock);
	error = store_commit_chain_once(out, store, expected_head, specs, nspecs);
	/*
	 * Reading the head's trees can fail when another process merged the
	 * packs this handle knew about; nothing was published then, so build
	 * the chain again on a freshly opened repository.
	 */
	if (store_retryable(error) && store_reopen(store) == 0)
		error = store_commit_chain_once(out, store, expected_head, specs, nspecs);
	pthread_rwlock_unlock(&store->lock);
	return error;
}



static void store_git_idle(regit_store *store)
{
	store_merger_idle(store->merger);
}

static const store_ops store_git_ops = {
	"git",
	store_git_free,
	store_git_head,
	store_git_list,
	store_git_read,
	store_git_commit_chain,
	store_git_lock_writers,
	store_git_unlock_writers,
	store_git_idle,
	store_git_log,
	store_git_file_origins,
	store_git_served,
	store_git_set_served,
	store_git_descends,
	store_git_resolve,
	store_git_first_parents,
	store_git_read_at,
	store_git_add_objects,
};
