/*
 * store_git.h - the store handle, shared by the libgit2-facing files of
 * store/ (store_git.c, store_git_repo.c, store_history.c); not API.
 *
 * Why it exists: the history helpers (the served ref, ancestry, a path's
 * log) need the handle's repository, lock and error translation, and were
 * cut out of store_git.c to keep it near the project's 1,500 lines
 * (issue #11). Only these files include it, and with it <git2.h>:
 * store_git_repo.c (the helpers both use), store_history.c, and store_git.c
 * (which names store_history.c's functions in its table).
 */
#ifndef REGIT_STORE_GIT_H
#define REGIT_STORE_GIT_H

#include <git2.h>
#include <pthread.h>

#include "store/store.h"
#include "store/store_internal.h"

/* The branch a store publishes to (HEAD names it). */
#define STORE_BRANCH "refs/heads/main"

struct regit_store {
	store_base base;         /* the table: store_git.c's */
	git_repository *repo;
	git_odb *odb;
	/* The chain being committed (empty between commits), and the trees
	 * the last commits made, for the next one to edit. */
	store_batch *batch;      /* owned */
	store_tree_cache *trees; /* owned */
	/* Writers, listings and reopening take it exclusively; blob reads
	 * share it (libgit2's object database reads are thread-safe), so a
	 * start-up can read files on several threads. */
	pthread_rwlock_t lock;
	int held_wlock;          /* regit_store_lock_writers' fd, else -1 */
	regit_store_options opts;
	char *path;
	char *gitdir;            /* git_repository_path(): "<gitdir>/"; kept
	                          * because repo is replaced by a reopen on the
	                          * merging thread, and the writers' lock path
	                          * is read without the store's lock */
	char *packdir;           /* "<gitdir>objects/pack" */
	char *extra_objects;     /* regit_store_add_objects' directory, or NULL;
	                          * re-attached after a reopen */
	/* Pack merging runs on its own thread (started by the first commit),
	 * so no acknowledgement waits for it. */
	store_merger *merger;    /* owned */
};

/* libgit2's last error as ours; returns the REGIT_E* code to propagate. */
int store_git_error(int gitcode, const char *what);

/* Drop and reopen the repository (after packs were replaced); the caller
 * holds store->lock exclusively. @return 0, REGIT_E* */
int store_reopen(regit_store *store);

/* The object database of a freshly opened repository. */
int store_attach(regit_store *store);

/* Worth one retry on a reopened repository (packs replaced underneath). */
int store_retryable(int error);

/* The branch HEAD names (owned; regit_free). @return 0, REGIT_E* */
int store_branch(char **out, regit_store *store);

/* Current branch commit into *oid; *exists = 0 when the branch is unborn.
 * @return 0, REGIT_E* */
int store_head_oid(git_oid *oid, int *exists, regit_store *store, const char *branch);

/* store_history.c's part of the store's table (store_ops). */
int store_git_served(regit_store *store, char out[REGIT_STORE_OID_HEX]);
int store_git_set_served(regit_store *store, const char *commit, int durable);
int store_git_descends(regit_store *store, const char *commit, const char *ancestor);
int store_git_resolve(regit_store *store, const char *rev, char out[REGIT_STORE_OID_HEX]);
int store_git_first_parents(regit_store_commits *out, regit_store *store,
	const char *tip, const char *base, size_t max);
int store_git_read_at(regit_buf *out, regit_store *store, const char *commit,
	const char *path);
int store_git_log(char next[REGIT_STORE_OID_HEX], regit_store *store,
	const char *from, const char *path, size_t skip, size_t limit,
	int (*cb)(const regit_store_log_entry *e, void *payload), void *payload);
int store_git_file_origins(regit_store *store, const char *from, const char *dir,
	const char *const *names, size_t n,
	void (*cb)(size_t i, const regit_store_log_entry *e, void *payload), void *payload);

#endif
