/*
 * store_git_repo.c - the libgit2 repository under a store handle: libgit2's
 * errors as ours, (re)opening the object database, the branch and its
 * head.
 *
 * Why it exists: store_git.c (listing, reading, committing, the handle's
 * table of functions) and store_history.c (history) both need these, and
 * store_git.c's table names store_history.c's functions; with the helpers
 * in either file the two would call each other (`make cycles`).
 */
#include "store/store_git.h"

#include <errno.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

/* libgit2's last error as ours; returns the REGIT_E* code to propagate. */
int store_git_error(int gitcode, const char *what)
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
	/* libgit2 reports an OS error with strerror's text (the ref update
	 * writing its lock file on a full disk). */
	if (e && e->klass == GIT_ERROR_OS &&
			(strstr(msg, strerror(ENOSPC)) || strstr(msg, strerror(EDQUOT))))
		return REGIT_ENOSPC;
	return REGIT_EIO;
}

/* The object database of a freshly opened repository. */
int store_attach(regit_store *store)
{
	int rc = git_repository_odb(&store->odb, store->repo);

	if (rc < 0)
		return store_git_error(rc, "open object database");
	if (store->extra_objects) {
		rc = git_odb_add_disk_alternate(store->odb, store->extra_objects);
		if (rc < 0)
			return store_git_error(rc, "add object directory");
	}
	return 0;
}

/* Drop and reopen the repository (after packs were replaced). */
int store_reopen(regit_store *store)
{
	git_repository *repo = NULL;
	int rc = git_repository_open_bare(&repo, store->path);

	if (rc < 0)
		return store_git_error(rc, "reopen store");
	git_odb_free(store->odb);
	git_repository_free(store->repo);
	store->odb = NULL;
	store->repo = repo;
	return store_attach(store);
}

/*
 * The branch HEAD names. A store's HEAD is symbolic (refs/heads/main); a
 * detached HEAD (someone ran git checkout in a bare repo) still works
 * through the branch name, which is what we publish to.
 */
int store_branch(char **out, regit_store *store)
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
int store_head_oid(git_oid *oid, int *exists, regit_store *store, const char *branch)
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

/* Worth one retry on a reopened repository (packs replaced underneath). */
int store_retryable(int error)
{
	return error == REGIT_EIO || error == REGIT_ENOTFOUND;
}
