/*
 * store_history.c - the store's history: the served ref, ancestry, the
 * first-parent chain, files at a commit, and the history of a path
 * (regit_store_log, regit_store_file_origins).
 *
 * Why it exists: these read commits and trees through libgit2 like
 * store_git.c does, but do not write anything the commit path depends on;
 * they were the part of store_git.c (issue #11) that could go without
 * splitting the handle. They use the handle (store_git.h) and its error
 * translation; store_git.c does not call them.
 */
#include "store/store_git.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"

/* ---- history: the served ref, ancestry -------------------------------------- */

#define STORE_SERVED_REF "refs/regit/served"

/* A hex commit id, or a revision git understands, as a commit id. */
static int store_commit_oid(git_oid *out, regit_store *store, const char *rev)
{
	git_object *obj = NULL;
	git_object *peeled = NULL;
	int rc;

	rc = git_revparse_single(&obj, store->repo, rev);
	if (rc == 0)
		rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (rc == 0)
		git_oid_cpy(out, git_object_id(peeled));
	git_object_free(peeled);
	git_object_free(obj);
	if (rc < 0) {
		regit_error_set(REGIT_ERROR_STORE, "no commit '%.100s' in the store", rev);
		return rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EAMBIGUOUS ||
			rc == GIT_EPEEL ? REGIT_ENOTFOUND : store_git_error(rc, "resolve");
	}
	return 0;
}

int store_git_served(regit_store *store, char out[REGIT_STORE_OID_HEX])
{
	git_oid oid;
	git_commit *c = NULL;
	int rc;

	out[0] = '\0';
	pthread_rwlock_wrlock(&store->lock);
	rc = git_reference_name_to_id(&oid, store->repo, STORE_SERVED_REF);
	/* A ref naming something that is not a commit (or a commit whose
	 * objects are gone) is as good as none. */
	if (rc == 0 && git_commit_lookup(&c, store->repo, &oid) == 0)
		git_oid_tostr(out, REGIT_STORE_OID_HEX, &oid);
	git_commit_free(c);
	pthread_rwlock_unlock(&store->lock);
	if (rc < 0 && rc != GIT_ENOTFOUND && rc != GIT_EINVALIDSPEC)
		return store_git_error(rc, "read " STORE_SERVED_REF);
	return 0;
}


/*
 * Write the served ref as git writes a loose ref: an exclusive
 * "<ref>.lock" (which also keeps git out meanwhile), renamed over the ref.
 * Durable: fsync of the file and the directory first.
 * @return 0, 1 when the lock file exists (someone else is writing it), REGIT_EIO
 */
static int store_served_write(regit_store *store, const git_oid *oid, int durable)
{
	regit_buf dir = REGIT_BUF_INIT, path = REGIT_BUF_INIT, lock = REGIT_BUF_INIT;
	char line[GIT_OID_HEXSZ + 2];
	int fd = -1, error = 0;

	git_oid_tostr(line, sizeof(line), oid);
	line[GIT_OID_HEXSZ] = '\n';
	if (regit_buf_printf(&dir, "%srefs/regit", store->gitdir) < 0 ||
			regit_buf_printf(&path, "%s/served", dir.ptr) < 0 ||
			regit_buf_printf(&lock, "%s/served.lock", dir.ptr) < 0) {
		error = REGIT_ENOMEM;
		goto done;
	}
	if (mkdir(dir.ptr, 0755) < 0 && errno != EEXIST)
		goto io;
	fd = open(lock.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		error = 1;
		goto done;
	}
	if (fd < 0)
		goto io;
	if (write(fd, line, GIT_OID_HEXSZ + 1) != GIT_OID_HEXSZ + 1 || (durable && fsync(fd) < 0)) {
		(void)close(fd);
		(void)unlink(lock.ptr);
		goto io;
	}
	if (close(fd) < 0 || rename(lock.ptr, path.ptr) < 0) {
		(void)unlink(lock.ptr);
		goto io;
	}
	if (durable)
		error = store_fsync_dir(dir.ptr);
	goto done;
io:
	error = store_os_code(errno);
	regit_error_set(REGIT_ERROR_OS, "update %s: %s", path.ptr ? path.ptr : "served ref",
		strerror(errno));
done:
	regit_buf_dispose(&dir);
	regit_buf_dispose(&path);
	regit_buf_dispose(&lock);
	return error;
}

int store_git_set_served(regit_store *store, const char *commit, int durable)
{
	git_oid oid;
	int error = 0;

	if (!commit || !*commit)
		return 0;
	if (git_oid_fromstr(&oid, commit) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", commit);
		return REGIT_EINVALID;
	}
	/* Another registry on the store may be recording its head right now
	 * (it holds the lock file briefly): retry a little, then leave the
	 * ref as it is. Any head a registry accepted is a safe served head;
	 * an older one only makes the next start check a longer range. */
	for (int attempt = 0; attempt < 50; attempt++) {
		struct timespec ms = { 0, 1000000 };

		error = store_served_write(store, &oid, durable);
		if (error != 1)
			break;
		nanosleep(&ms, NULL);
	}
	return error == 1 ? 0 : error;
}

int store_git_descends(regit_store *store, const char *commit, const char *ancestor)
{
	git_oid a, b;
	int rc;

	if (!ancestor || !*ancestor)
		return 1;
	if (!commit || !*commit)
		return 0;
	if (git_oid_fromstr(&a, commit) < 0 || git_oid_fromstr(&b, ancestor) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id");
		return REGIT_EINVALID;
	}
	if (git_oid_equal(&a, &b))
		return 1;
	pthread_rwlock_wrlock(&store->lock);
	rc = git_graph_descendant_of(store->repo, &a, &b);
	pthread_rwlock_unlock(&store->lock);
	if (rc < 0)
		return store_git_error(rc, "ancestry");
	return rc;
}

int store_git_resolve(regit_store *store, const char *rev, char out[REGIT_STORE_OID_HEX])
{
	git_oid oid;
	int error;

	out[0] = '\0';
	pthread_rwlock_wrlock(&store->lock);
	error = store_commit_oid(&oid, store, rev);
	pthread_rwlock_unlock(&store->lock);
	if (error == 0)
		git_oid_tostr(out, REGIT_STORE_OID_HEX, &oid);
	return error;
}

int store_git_first_parents(regit_store_commits *out, regit_store *store,
	const char *tip, const char *base, size_t max)
{
	git_oid oid, stop;
	git_commit *c = NULL;
	int has_stop = 0;
	int error = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (git_oid_fromstr(&oid, tip) < 0 || (base && *base && git_oid_fromstr(&stop, base) < 0)) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id");
		return REGIT_EINVALID;
	}
	has_stop = base && *base;
	pthread_rwlock_wrlock(&store->lock);
	for (;;) {
		char *slot;

		if (has_stop && git_oid_equal(&oid, &stop))
			break;
		slot = store_commits_add(out, max, &error);
		if (!slot)
			break;
		git_oid_tostr(slot, REGIT_STORE_OID_HEX, &oid);
		rc = git_commit_lookup(&c, store->repo, &oid);
		if (rc < 0) {
			error = store_git_error(rc, "read commit");
			break;
		}
		if (git_commit_parentcount(c) == 0) {
			if (has_stop) {
				regit_error_set(REGIT_ERROR_STORE, "%.40s is not an ancestor of %.40s",
					base, tip);
				error = REGIT_ENOTFOUND;
			}
			break;
		}
		git_oid_cpy(&oid, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
	}
	git_commit_free(c);
	pthread_rwlock_unlock(&store->lock);
	if (error < 0) {
		regit_store_commits_dispose(out);
		return error;
	}
	/* oldest first */
	for (size_t i = 0; i < out->n / 2; i++) {
		char t[REGIT_STORE_OID_HEX];

		memcpy(t, out->ids[i], sizeof(t));
		memcpy(out->ids[i], out->ids[out->n - 1 - i], sizeof(t));
		memcpy(out->ids[out->n - 1 - i], t, sizeof(t));
	}
	return 0;
}


int store_git_read_at(regit_buf *out, regit_store *store, const char *commit,
	const char *path)
{
	git_oid oid;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int error = 0;
	int rc;

	if (git_oid_fromstr(&oid, commit) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", commit);
		return REGIT_EINVALID;
	}
	pthread_rwlock_wrlock(&store->lock);
	rc = git_commit_lookup(&c, store->repo, &oid);
	if (rc == 0)
		rc = git_commit_tree(&tree, c);
	if (rc == 0)
		rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == 0 && git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		rc = GIT_ENOTFOUND;
	if (rc == 0)
		rc = git_blob_lookup(&blob, store->repo, git_tree_entry_id(e));
	if (rc < 0)
		error = store_git_error(rc, "read file");
	else
		error = regit_buf_put(out, git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	pthread_rwlock_unlock(&store->lock);
	return error;
}


/* ---- history of a path ------------------------------------------------------ */

/*
 * A first-parent walk that looks for the commits changing one path: the
 * tree entry at the path in each commit against its first parent's, one
 * tree lookup per commit (the parent's lookup is the next step's own), no
 * diff. The walk runs in chunks of STORE_WALK_CHUNK commits, each under the
 * store's exclusive lock (a pack merged away meanwhile is recovered by
 * reopening, which needs it), and keeps only object ids between chunks,
 * so a long walk never holds writers off for long.
 */
#define STORE_WALK_CHUNK 128u

typedef struct store_walk {
	git_oid at;               /* the commit to look at next */
	int more;                 /* 0 once the root was passed */
	git_oid cur_id;           /* the path's entry in `at`, when cur_found */
	int cur_found, cur_known;
	size_t walked;
} store_walk;

/* Called for each commit that changed the path; nonzero stops the walk. */
typedef int (*store_walk_visit)(git_commit *commit, git_commit *parent, void *payload);

/*
 * The id of the tree entry at path in commit's tree into *oid; *found = 0
 * when the path does not exist there.
 */
static int store_log_entry_id(git_oid *oid, int *found, git_commit *commit, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int rc;

	*found = 0;
	rc = git_commit_tree(&tree, commit);
	if (rc < 0)
		return store_git_error(rc, "read commit tree");
	rc = git_tree_entry_bypath(&entry, tree, path);
	if (rc == 0) {
		git_oid_cpy(oid, git_tree_entry_id(entry));
		*found = 1;
	}
	git_tree_entry_free(entry);
	git_tree_free(tree);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return store_git_error(rc, "read tree entry");
	return 0;
}

/* Where a walk starts: `from` or the branch head (w->more = 0 for an
 * unborn branch). Under the lock. */
static int store_walk_init(store_walk *w, regit_store *store, const char *from)
{
	char *branch = NULL;
	int exists = 1, error = 0;

	memset(w, 0, sizeof(*w));
	if (from && *from) {
		if (strlen(from) != 40 || git_oid_fromstrn(&w->at, from, 40) < 0) {
			regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", from);
			return REGIT_EINVALID;
		}
	} else {
		error = store_branch(&branch, store);
		if (error == 0)
			error = store_head_oid(&w->at, &exists, store, branch);
		regit_free(branch);
		if (error < 0)
			return error;
	}
	w->more = exists;
	return 0;
}

/*
 * Up to `steps` commits of a walk, under the lock. *stopped is set when
 * visit asked to stop. On failure the walk state is where it was at the
 * failing commit, so a retry on a reopened repository continues from it.
 */
static int store_walk_chunk(regit_store *store, store_walk *w, const char *path, size_t steps,
	store_walk_visit visit, void *payload, int *stopped)
{
	git_commit *commit = NULL, *parent = NULL;
	git_oid parent_id;
	int parent_found, error = 0, rc;

	rc = git_commit_lookup(&commit, store->repo, &w->at);
	if (rc < 0)
		return store_git_error(rc, "read commit");
	if (!w->cur_known) {
		error = store_log_entry_id(&w->cur_id, &w->cur_found, commit, path);
		if (error < 0)
			goto done;
		w->cur_known = 1;
	}
	while (steps-- > 0 && w->more) {
		int changed;

		parent_found = 0;
		if (git_commit_parentcount(commit) > 0) {
			rc = git_commit_parent(&parent, commit, 0);
			if (rc < 0) {
				error = store_git_error(rc, "read parent commit");
				break;
			}
			error = store_log_entry_id(&parent_id, &parent_found, parent, path);
			if (error < 0)
				break;
		}
		changed = w->cur_found != parent_found ||
			(w->cur_found && !git_oid_equal(&w->cur_id, &parent_id));
		w->walked++;
		if (changed && visit(commit, parent, payload) != 0) {
			*stopped = 1;
			break;
		}
		git_commit_free(commit);
		commit = parent;
		parent = NULL;
		if (!commit) {
			w->more = 0;
			break;
		}
		git_oid_cpy(&w->at, git_commit_id(commit));
		w->cur_found = parent_found;
		if (parent_found)
			git_oid_cpy(&w->cur_id, &parent_id);
	}
done:
	git_commit_free(parent);
	git_commit_free(commit);
	return error;
}

/* Run a walk to its end, a stop, or the walk bound, chunk by chunk. */
static int store_walk_run(regit_store *store, const char *from, const char *path,
	store_walk *w, store_walk_visit visit, void *payload, int *stopped)
{
	int error;

	*stopped = 0;
	pthread_rwlock_wrlock(&store->lock);
	error = store_walk_init(w, store, from);
	pthread_rwlock_unlock(&store->lock);
	while (error == 0 && w->more && !*stopped && w->walked < REGIT_STORE_LOG_MAX_WALK) {
		size_t steps = REGIT_STORE_LOG_MAX_WALK - w->walked;

		if (steps > STORE_WALK_CHUNK)
			steps = STORE_WALK_CHUNK;
		pthread_rwlock_wrlock(&store->lock);
		error = store_walk_chunk(store, w, path, steps, visit, payload, stopped);
		if (store_retryable(error) && store_reopen(store) == 0)
			error = store_walk_chunk(store, w, path, steps, visit, payload, stopped);
		pthread_rwlock_unlock(&store->lock);
	}
	return error;
}

static void store_log_fill(regit_store_log_entry *e, git_commit *commit)
{
	const git_signature *sig = git_commit_author(commit);
	const char *msg = git_commit_summary(commit);

	memset(e, 0, sizeof(*e));
	git_oid_tostr(e->commit, sizeof(e->commit), git_commit_id(commit));
	e->author = sig && sig->name ? sig->name : "";
	e->email = sig && sig->email ? sig->email : "";
	e->time = sig ? (long long)sig->when.time : 0;
	e->tz_offset = sig ? sig->when.offset : 0;
	e->summary = msg ? msg : "";
}

typedef struct store_log_state {
	size_t skip, limit, matched, emitted;
	int (*cb)(const regit_store_log_entry *e, void *payload);
	void *payload;
	int full;                 /* limit reached: the walk stopped before `next` */
	char next[REGIT_STORE_OID_HEX];
} store_log_state;

static int store_log_visit(git_commit *commit, git_commit *parent, void *payload)
{
	store_log_state *st = payload;
	regit_store_log_entry e;

	(void)parent;
	if (st->matched++ < st->skip)
		return 0;
	if (st->emitted >= st->limit) {
		/* One more change exists: the next page starts here. */
		git_oid_tostr(st->next, sizeof(st->next), git_commit_id(commit));
		st->full = 1;
		return 1;
	}
	store_log_fill(&e, commit);
	st->emitted++;
	return st->cb(&e, st->payload) != 0;
}

int store_git_log(char next[REGIT_STORE_OID_HEX], regit_store *store,
	const char *from, const char *path, size_t skip, size_t limit,
	int (*cb)(const regit_store_log_entry *e, void *payload), void *payload)
{
	store_log_state st;
	store_walk w;
	int stopped = 0, error;

	next[0] = '\0';
	if (!store || !path || !*path || !cb || limit == 0 || limit > 1000) {
		regit_error_set(REGIT_ERROR_STORE, "bad history request");
		return REGIT_EINVALID;
	}
	memset(&st, 0, sizeof(st));
	st.skip = skip;
	st.limit = limit;
	st.cb = cb;
	st.payload = payload;
	error = store_walk_run(store, from, path, &w, store_log_visit, &st, &stopped);
	if (error < 0)
		return error;
	if (st.full)
		memcpy(next, st.next, sizeof(st.next));
	else if (!stopped && w.more)
		git_oid_tostr(next, REGIT_STORE_OID_HEX, &w.at);   /* the walk bound */
	return 0;
}

typedef struct store_origins_state {
	regit_store *store;
	const char *dir;
	const char *const *names;
	size_t n, left;
	unsigned char *found;
	void (*cb)(size_t i, const regit_store_log_entry *e, void *payload);
	void *payload;
} store_origins_state;

static int store_origins_visit(git_commit *commit, git_commit *parent, void *payload)
{
	store_origins_state *st = payload;
	char path[4096];
	git_oid oid;
	size_t i;
	int error = 0;

	for (i = 0; i < st->n && error == 0; i++) {
		int in_cur = 0, in_parent = 0;

		if (st->found[i])
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->dir, st->names[i]) >=
		    sizeof(path)) {
			st->found[i] = 1;
			st->left--;
			continue;
		}
		error = store_log_entry_id(&oid, &in_cur, commit, path);
		if (error == 0 && in_cur && parent)
			error = store_log_entry_id(&oid, &in_parent, parent, path);
		if (error == 0 && in_cur && !in_parent) {
			regit_store_log_entry e;

			store_log_fill(&e, commit);
			st->found[i] = 1;
			st->left--;
			st->cb(i, &e, st->payload);
		}
	}
	/* A failed lookup ends the walk; the names it left have no origin. */
	return error < 0 || st->left == 0;
}

int store_git_file_origins(regit_store *store, const char *from, const char *dir,
	const char *const *names, size_t n,
	void (*cb)(size_t i, const regit_store_log_entry *e, void *payload), void *payload)
{
	store_origins_state st;
	store_walk w;
	int stopped = 0, error;

	if (!store || !dir || !*dir || !cb || (n && !names) || n > 1000) {
		regit_error_set(REGIT_ERROR_STORE, "bad file origins request");
		return REGIT_EINVALID;
	}
	if (n == 0)
		return 0;
	memset(&st, 0, sizeof(st));
	st.store = store;
	st.dir = dir;
	st.names = names;
	st.n = st.left = n;
	st.cb = cb;
	st.payload = payload;
	st.found = regit_calloc(n, 1);
	if (!st.found)
		return REGIT_ENOMEM;
	error = store_walk_run(store, from, dir, &w, store_origins_visit, &st, &stopped);
	regit_free(st.found);
	return error;
}
