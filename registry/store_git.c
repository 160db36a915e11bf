/*
 * store_git.c - the registry store on a bare git repository (libgit2).
 *
 * The only file in registry/ that includes <git2.h>: every libgit2 error is
 * turned into a regit_error_set message and a REGIT_E* code here.
 *
 * A commit is built without an index or a working tree: blobs are written
 * first, then the changed directories are rebuilt bottom-up with tree
 * builders starting from the expected head's tree, then the commit object,
 * and finally the branch ref is moved with git_reference_create_matching,
 * which takes the ref's lock file and compares the current value with the
 * expected one. That compare-and-swap is the only coordination between
 * writers, in this process or another: a loser gets REGIT_ECONFLICT and its
 * objects stay unreferenced (harmless; `git gc` prunes them).
 *
 * Durability: GIT_OPT_ENABLE_FSYNC_GITDIR makes libgit2 fsync every object
 * and ref file it writes (and their directories), so once
 * regit_store_commit returns 0 the commit survives a power loss.
 */
#include "registry/store.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"

struct regit_store {
	git_repository *repo;
	git_odb *odb;
	pthread_mutex_t lock;      /* libgit2 handles are not shared across threads */
	regit_store_options opts;
	char *path;
};

/* Default identity of commits made without an authenticated user. */
#define STORE_DEFAULT_AUTHOR "regit"
#define STORE_EMAIL "regit@localhost"
#define STORE_BRANCH "refs/heads/main"

/* libgit2's last error as ours; returns the REGIT_E* code to propagate. */
static int store_git_error(int gitcode, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown libgit2 error";

	if (gitcode == GIT_ENOTFOUND) {
		regit_error_set(REGIT_ERROR_STORE, "%s: %s", what, msg);
		return REGIT_ENOTFOUND;
	}
	if (e && e->klass == GIT_ERROR_NOMEMORY) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	regit_error_set(REGIT_ERROR_STORE, "%s: %s", what, msg);
	return REGIT_EIO;
}

/*
 * libgit2's global state is reference-counted by git_libgit2_init and
 * _shutdown; each store holds one reference so the library is set up while
 * any store is open and fully released (for leak checkers) after the last.
 * The fsync option is process-wide and idempotent.
 */
static int store_lib_init(void)
{
	int rc = git_libgit2_init();

	if (rc < 0)
		return store_git_error(rc, "libgit2 init");
	rc = git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if (rc < 0) {
		git_libgit2_shutdown();
		return store_git_error(rc, "enable fsync");
	}
	return 0;
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

int regit_store_open(regit_store **out, const char *path,
	const regit_store_options *opts)
{
	regit_store_options defaults = REGIT_STORE_OPTIONS_INIT;
	regit_store *store = NULL;
	git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
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
	store->opts = opts ? *opts : defaults;
	store->path = regit_strdup(path);
	if (!store->path) {
		error = REGIT_ENOMEM;
		goto done;
	}

	if (stat(path, &st) == 0) {
		rc = git_repository_open_bare(&store->repo, path);
		if (rc < 0) {
			/* An existing empty directory becomes a new store. */
			if (S_ISDIR(st.st_mode) && rc == GIT_ENOTFOUND)
				goto create;
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
	rc = git_repository_odb(&store->odb, store->repo);
	if (rc < 0) {
		error = store_git_error(rc, "open object database");
		goto done;
	}
	if (pthread_mutex_init(&store->lock, NULL) != 0) {
		regit_error_set(REGIT_ERROR_OS, "mutex init");
		error = REGIT_ERROR;
		goto done;
	}
	*out = store;
	store = NULL;
	libinit = 0;
done:
	if (store) {
		git_odb_free(store->odb);
		git_repository_free(store->repo);
		regit_free(store->path);
		regit_free(store);
	}
	if (libinit)
		git_libgit2_shutdown();
	return error;
}

void regit_store_free(regit_store *store)
{
	if (!store)
		return;
	git_odb_free(store->odb);
	git_repository_free(store->repo);
	pthread_mutex_destroy(&store->lock);
	regit_free(store->path);
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

void regit_store_oid_fmt(char out[REGIT_STORE_OID_HEX], const regit_store_oid *oid)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 20; i++) {
		out[2 * i] = hex[oid->id[i] >> 4];
		out[2 * i + 1] = hex[oid->id[i] & 15];
	}
	out[40] = '\0';
}

/*
 * The branch HEAD names. A store's HEAD is symbolic (refs/heads/main); a
 * detached HEAD (someone ran git checkout in a bare repo) still works
 * through the branch name, which is what we publish to.
 */
static int store_branch(char **out, regit_store *store)
{
	git_reference *head = NULL;
	const char *target;
	int error = 0;
	int rc;

	*out = NULL;
	rc = git_reference_lookup(&head, store->repo, "HEAD");
	if (rc < 0) {
		error = store_git_error(rc, "read HEAD");
		goto done;
	}
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC)
		target = git_reference_symbolic_target(head);
	else
		target = STORE_BRANCH;
	*out = regit_strdup(target);
	if (!*out)
		error = REGIT_ENOMEM;
done:
	git_reference_free(head);
	return error;
}

/* Current branch commit into *oid; *exists = 0 when the branch is unborn. */
static int store_head_oid(git_oid *oid, int *exists, regit_store *store, const char *branch)
{
	int rc = git_reference_name_to_id(oid, store->repo, branch);

	*exists = 0;
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return store_git_error(rc, "read branch");
	*exists = 1;
	return 0;
}

int regit_store_head(regit_store *store, char out[REGIT_STORE_OID_HEX])
{
	char *branch = NULL;
	git_oid oid;
	int exists = 0;
	int error;

	out[0] = '\0';
	pthread_mutex_lock(&store->lock);
	error = store_branch(&branch, store);
	if (error < 0)
		goto done;
	error = store_head_oid(&oid, &exists, store, branch);
	if (error < 0)
		goto done;
	if (exists)
		git_oid_tostr(out, REGIT_STORE_OID_HEX, &oid);
done:
	pthread_mutex_unlock(&store->lock);
	regit_free(branch);
	return error;
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
	f->path = regit_strndup(st->path, len);
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

void regit_store_listing_free(regit_store_listing *listing)
{
	size_t i;

	if (!listing)
		return;
	for (i = 0; i < listing->nfiles; i++)
		regit_free(listing->files[i].path);
	regit_free(listing->files);
	regit_free(listing);
}

int regit_store_list(regit_store_listing **out, regit_store *store, const char *commit)
{
	store_list_state *st = NULL;
	regit_store_listing *listing = NULL;
	char *branch = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int exists = 1;
	int error = 0;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&store->lock);
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
	if (listing->nfiles > 1)
		qsort(listing->files, listing->nfiles, sizeof(*listing->files), store_file_cmp);
publish:
	*out = listing;
	listing = NULL;
done:
	pthread_mutex_unlock(&store->lock);
	git_tree_free(tree);
	git_commit_free(c);
	regit_free(branch);
	regit_free(st);
	regit_store_listing_free(listing);
	return error;
}

int regit_store_read(regit_buf *out, regit_store *store, const regit_store_oid *oid)
{
	git_odb_object *obj = NULL;
	git_oid id;
	int error = 0;
	int rc;

	memcpy(id.id, oid->id, 20);
	pthread_mutex_lock(&store->lock);
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
	pthread_mutex_unlock(&store->lock);
	git_odb_object_free(obj);
	return error;
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
 * Paths come from the registry's own layout, but a path that could escape
 * the tree (".", "..", ".git", empty parts) is refused here too.
 */
static int store_path_valid(const char *path, size_t max)
{
	const char *p = path;
	size_t len = strlen(path);

	if (len == 0 || len > max)
		return 0;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 0)
			return 0;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (n == 4 && strncasecmp(p, ".git", 4) == 0)
			return 0;
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return 0;    /* trailing slash */
	}
	return 1;
}

/*
 * Apply changes[0..n) (sorted; all below the directory `base`, paths
 * starting at offset `off`) and write the resulting tree. *empty is set
 * when nothing is left, so the caller drops the directory: git has no
 * empty directories and a deleted subject must vanish from the tree.
 */
static int store_build_tree(git_oid *out, int *empty, regit_store *store,
	const git_tree *base, const store_change_ref *changes, size_t n, size_t off)
{
	git_treebuilder *bld = NULL;
	size_t i = 0;
	int error = 0;
	int rc;

	*empty = 0;
	rc = git_treebuilder_new(&bld, store->repo, base);
	if (rc < 0) {
		error = store_git_error(rc, "tree builder");
		goto done;
	}
	while (i < n) {
		const regit_store_change *c = changes[i].change;
		const char *rest = c->path + off;
		const char *slash = strchr(rest, '/');

		if (!slash) {
			/* A file in this directory; later duplicates override. */
			if (c->remove) {
				/* Removing a missing path is a no-op (libgit2 says -1). */
				rc = 0;
				if (git_treebuilder_get(bld, rest))
					rc = git_treebuilder_remove(bld, rest);
				if (rc < 0) {
					error = store_git_error(rc, "tree remove");
					goto done;
				}
			} else {
				git_oid blob;

				rc = git_blob_create_from_buffer(&blob, store->repo, c->data, c->len);
				if (rc == 0)
					rc = git_treebuilder_insert(NULL, bld, rest, &blob, GIT_FILEMODE_BLOB);
				if (rc < 0) {
					error = store_git_error(rc, "write file");
					goto done;
				}
			}
			i++;
		} else {
			/* All changes under the same subdirectory are adjacent. */
			size_t dlen = (size_t)(slash - rest);
			size_t j = i + 1;
			const git_tree_entry *e;
			git_tree *sub = NULL;
			git_oid sub_oid;
			int sub_empty = 0;
			char name[4096];

			while (j < n && strncmp(changes[j].change->path + off, rest, dlen + 1) == 0)
				j++;
			if (dlen >= sizeof(name)) {
				regit_error_set(REGIT_ERROR_STORE, "path component too long");
				error = REGIT_EINVALID;
				goto done;
			}
			memcpy(name, rest, dlen);
			name[dlen] = '\0';
			e = git_treebuilder_get(bld, name);
			if (e && git_tree_entry_filemode(e) == GIT_FILEMODE_TREE) {
				rc = git_tree_lookup(&sub, store->repo, git_tree_entry_id(e));
				if (rc < 0) {
					error = store_git_error(rc, "read tree");
					goto done;
				}
			}
			error = store_build_tree(&sub_oid, &sub_empty, store, sub, changes + i,
				j - i, off + dlen + 1);
			git_tree_free(sub);
			if (error < 0)
				goto done;
			if (sub_empty) {
				rc = 0;
				if (git_treebuilder_get(bld, name))
					rc = git_treebuilder_remove(bld, name);
			} else {
				rc = git_treebuilder_insert(NULL, bld, name, &sub_oid, GIT_FILEMODE_TREE);
			}
			if (rc < 0) {
				error = store_git_error(rc, "tree update");
				goto done;
			}
			i = j;
		}
	}
	if (git_treebuilder_entrycount(bld) == 0)
		*empty = 1;
	rc = git_treebuilder_write(out, bld);
	if (rc < 0)
		error = store_git_error(rc, "write tree");
done:
	git_treebuilder_free(bld);
	return error;
}

/* Names git accepts: no angle brackets or line breaks; never empty. */
static char *store_author_name(const char *author)
{
	char *name;
	size_t i, len;

	if (!author || !*author)
		author = STORE_DEFAULT_AUTHOR;
	len = strlen(author);
	if (len > 256)
		len = 256;
	name = regit_strndup(author, len);
	if (!name)
		return NULL;
	for (i = 0; name[i]; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch == '<' || ch == '>' || ch < 0x20 || ch == 0x7f)
			name[i] = '_';
	}
	/* git trims surrounding spaces; a name of only spaces would be empty. */
	if (strspn(name, " ") == strlen(name)) {
		regit_free(name);
		name = regit_strdup(STORE_DEFAULT_AUTHOR);
	}
	return name;
}

/*
 * Crash safety of the ref update. A writer killed (kill -9, power loss)
 * between creating the branch's lock file and renaming it into place leaves
 * "refs/heads/main.lock" behind, and libgit2, like git, then refuses every
 * later update of the ref with GIT_ELOCKED: the store would stay read-only
 * for good. So every regit writer holds an flock on "<gitdir>/regit-write.lock"
 * while it moves the ref; the kernel releases it when the process dies.
 * Holding it, a ref lock file can only belong to a dead regit writer or to
 * an external git command (which holds it for milliseconds), so one that
 * stays unchanged for STORE_STALE_LOCK_MS is removed and the update retried.
 */
#define STORE_STALE_LOCK_MS 300

static int store_writer_lock(regit_store *store)
{
	regit_buf path = REGIT_BUF_INIT;
	int fd = -1;

	if (regit_buf_printf(&path, "%sregit-write.lock", git_repository_path(store->repo)) < 0)
		return -1;
	fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
			;
	}
	regit_buf_dispose(&path);
	return fd;    /* -1: carry on without it (read-only dir); CAS still holds */
}

/* GIT_ELOCKED with the writer lock held: wait for a live holder to finish,
 * remove a stale lock file. @return 1 to retry the update, 0 to give up. */
static int store_clear_stale_ref_lock(regit_store *store, const char *branch)
{
	regit_buf path = REGIT_BUF_INIT;
	struct stat first, now;
	int waited = 0, retry = 0;

	if (regit_buf_printf(&path, "%s%s.lock", git_repository_path(store->repo), branch) < 0)
		return 0;
	if (stat(path.ptr, &first) != 0) {
		retry = errno == ENOENT;   /* released meanwhile */
		goto done;
	}
	while (waited < STORE_STALE_LOCK_MS) {
		struct timespec ts = { 0, 10 * 1000000L };

		nanosleep(&ts, NULL);
		waited += 10;
		if (stat(path.ptr, &now) != 0 || now.st_ino != first.st_ino ||
		    now.st_size != first.st_size || now.st_mtim.tv_sec != first.st_mtim.tv_sec ||
		    now.st_mtim.tv_nsec != first.st_mtim.tv_nsec) {
			retry = 1;          /* someone is alive and moved on */
			goto done;
		}
	}
	retry = unlink(path.ptr) == 0 || errno == ENOENT;
done:
	regit_buf_dispose(&path);
	return retry;
}

int regit_store_commit(char out[REGIT_STORE_OID_HEX], regit_store *store,
	const char *expected_head, const regit_store_change *changes,
	size_t nchanges, const char *message, const char *author)
{
	store_change_ref *sorted = NULL;
	char *branch = NULL;
	char *name = NULL;
	char *msg = NULL;
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *base = NULL;
	git_tree *tree = NULL;
	git_reference *ref = NULL;
	git_oid cur, expected, tree_oid, commit_oid;
	int has_expected = expected_head && *expected_head;
	int exists = 0;
	int empty = 0;
	int error = 0;
	int wlock = -1, attempt;
	size_t i, mlen;
	int rc;

	out[0] = '\0';
	for (i = 0; i < nchanges; i++) {
		if (!changes[i].path || !store_path_valid(changes[i].path, store->opts.max_path)) {
			regit_error_set(REGIT_ERROR_STORE, "invalid store path '%.200s'",
				changes[i].path ? changes[i].path : "(null)");
			return REGIT_EINVALID;
		}
	}
	if (has_expected && git_oid_fromstr(&expected, expected_head) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", expected_head);
		return REGIT_EINVALID;
	}

	pthread_mutex_lock(&store->lock);
	error = store_branch(&branch, store);
	if (error < 0)
		goto done;
	error = store_head_oid(&cur, &exists, store, branch);
	if (error < 0)
		goto done;
	/* Cheap early check; the ref update below is the authoritative one. */
	if (exists != has_expected || (exists && !git_oid_equal(&cur, &expected))) {
		regit_error_set(REGIT_ERROR_STORE, "store head moved");
		error = REGIT_ECONFLICT;
		goto done;
	}
	if (has_expected) {
		rc = git_commit_lookup(&parent, store->repo, &expected);
		if (rc == 0)
			rc = git_commit_tree(&base, parent);
		if (rc < 0) {
			error = store_git_error(rc, "read head commit");
			goto done;
		}
	}

	sorted = regit_calloc(nchanges ? nchanges : 1, sizeof(*sorted));
	if (!sorted) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (i = 0; i < nchanges; i++) {
		sorted[i].change = &changes[i];
		sorted[i].index = i;
	}
	qsort(sorted, nchanges, sizeof(*sorted), store_change_cmp);
	/* Duplicates: keep only the last change of each path. */
	{
		size_t w = 0;

		for (i = 0; i < nchanges; i++) {
			if (i + 1 < nchanges && strcmp(sorted[i].change->path, sorted[i + 1].change->path) == 0)
				continue;
			sorted[w++] = sorted[i];
		}
		nchanges = w;
	}
	error = store_build_tree(&tree_oid, &empty, store, base, sorted, nchanges, 0);
	if (error < 0)
		goto done;
	rc = git_tree_lookup(&tree, store->repo, &tree_oid);
	if (rc < 0) {
		error = store_git_error(rc, "read new tree");
		goto done;
	}

	name = store_author_name(author);
	mlen = message ? strlen(message) : 0;
	msg = regit_malloc(mlen + 2);
	if (!name || !msg) {
		error = REGIT_ENOMEM;
		goto done;
	}
	memcpy(msg, message ? message : "", mlen);
	msg[mlen] = '\n';
	msg[mlen + 1] = '\0';
	if (mlen && message[mlen - 1] == '\n')
		msg[mlen] = '\0';
	rc = git_signature_now(&sig, name, STORE_EMAIL);
	if (rc < 0) {
		error = store_git_error(rc, "commit signature");
		goto done;
	}
	{
		const git_commit *parents[1] = { parent };

		rc = git_commit_create(&commit_oid, store->repo, NULL, sig, sig, NULL, msg,
			tree, parent ? 1 : 0, parents);
	}
	if (rc < 0) {
		error = store_git_error(rc, "write commit");
		goto done;
	}

	/*
	 * The compare-and-swap. force=0 with no current id creates the branch
	 * only if it does not exist; force=1 with a current id replaces it only
	 * if it still holds that id. A concurrent writer holding the ref lock
	 * (GIT_ELOCKED) is a lost race too.
	 */
	wlock = store_writer_lock(store);
	for (attempt = 0;; attempt++) {
		if (has_expected)
			rc = git_reference_create_matching(&ref, store->repo, branch, &commit_oid,
				1, &expected, msg);
		else
			rc = git_reference_create_matching(&ref, store->repo, branch, &commit_oid,
				0, NULL, msg);
		if (rc != GIT_ELOCKED || wlock < 0 || attempt == 3 ||
		    !store_clear_stale_ref_lock(store, branch))
			break;
	}
	if (wlock >= 0)
		close(wlock);   /* releases the flock */
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) {
		regit_error_set(REGIT_ERROR_STORE, "store head moved");
		error = REGIT_ECONFLICT;
		goto done;
	}
	if (rc < 0) {
		error = store_git_error(rc, "update branch");
		goto done;
	}
	git_oid_tostr(out, REGIT_STORE_OID_HEX, &commit_oid);
done:
	pthread_mutex_unlock(&store->lock);
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	regit_free(sorted);
	regit_free(branch);
	regit_free(name);
	regit_free(msg);
	return error;
}
