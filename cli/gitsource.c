/*
 * gitsource.c - read schema files and their history from git with libgit2.
 *
 * `regit check --against REF` compares the working tree with REF. The
 * transitive levels need every earlier version of a file too: like
 * `git log -- path`, we walk the commits reachable from REF and collect
 * the file's blob in each, dropping a blob equal to the one just taken
 * (the commits in between did not touch the file). Walks and blob sizes
 * are bounded so a huge repository costs time, not memory.
 */
#include "cli/gitsource.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

struct regit_gitsource {
	git_repository *repo;
	git_commit *commit;
	char *ref;
	int initialised;
};

/* Convert libgit2's last error into ours; keeps the libgit2 wording. */
static int gitsource_error(int gerr, const char *what)
{
	const git_error *e = git_error_last();

	regit_error_set(REGIT_ERROR_CLI, "git: %s: %s", what,
		e && e->message ? e->message : "unknown error");
	if (gerr == GIT_ENOTFOUND)
		return REGIT_ENOTFOUND;
	return REGIT_EIO;
}

int regit_gitsource_open(regit_gitsource **out, const char *dir, const char *ref)
{
	regit_gitsource *src = NULL;
	git_object *obj = NULL;
	git_object *peeled = NULL;
	int error = 0, gerr;

	*out = NULL;
	src = regit_calloc(1, sizeof(*src));
	if (!src)
		return REGIT_ENOMEM;
	gerr = git_libgit2_init();
	if (gerr < 0) {
		error = gitsource_error(gerr, "initialising libgit2");
		goto done;
	}
	src->initialised = 1;
	src->ref = regit_strdup(ref);
	if (!src->ref) {
		error = REGIT_ENOMEM;
		goto done;
	}
	gerr = git_repository_open_ext(&src->repo, dir, 0, NULL);
	if (gerr < 0) {
		error = gitsource_error(gerr, "no repository here");
		goto done;
	}
	gerr = git_revparse_single(&obj, src->repo, ref);
	if (gerr < 0) {
		const git_error *e = git_error_last();

		regit_error_set(REGIT_ERROR_CLI, "git: unknown revision '%s': %s", ref,
			e && e->message ? e->message : "not found");
		error = REGIT_ENOTFOUND;
		goto done;
	}
	gerr = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (gerr < 0) {
		error = gitsource_error(gerr, "revision is not a commit");
		goto done;
	}
	src->commit = (git_commit *)peeled;
	peeled = NULL;
	*out = src;
	src = NULL;
done:
	git_object_free(obj);
	git_object_free(peeled);
	regit_gitsource_free(src);
	return error;
}

void regit_gitsource_free(regit_gitsource *src)
{
	if (!src)
		return;
	git_commit_free(src->commit);
	git_repository_free(src->repo);
	regit_free(src->ref);
	if (src->initialised)
		git_libgit2_shutdown();
	regit_free(src);
}

int regit_gitsource_find_workdir(char **out, const char *dir)
{
	git_repository *repo = NULL;
	const char *wd;
	int error = 0, gerr;

	*out = NULL;
	gerr = git_libgit2_init();
	if (gerr < 0)
		return gitsource_error(gerr, "initialising libgit2");
	gerr = git_repository_open_ext(&repo, dir, 0, NULL);
	if (gerr < 0) {
		error = gitsource_error(gerr, "no repository here");
		goto done;
	}
	wd = git_repository_workdir(repo);
	if (!wd) {
		regit_error_set(REGIT_ERROR_CLI, "the repository has no working tree");
		error = REGIT_ENOTFOUND;
		goto done;
	}
	*out = regit_strdup(wd);
	if (!*out)
		error = REGIT_ENOMEM;
done:
	git_repository_free(repo);
	git_libgit2_shutdown();
	return error;
}

const char *regit_gitsource_workdir(const regit_gitsource *src)
{
	return git_repository_workdir(src->repo);
}

const char *regit_gitsource_ref(const regit_gitsource *src)
{
	return src->ref;
}

/* Growable list of owned path strings, for the tree walk callback. */
typedef struct gitsource_list {
	char **paths;
	size_t count, alloc;
	const char *base;      /* the prefix the walk started at ("" or "dir/") */
	const char *suffix;
	int error;
} gitsource_list;

static int gitsource_list_add(gitsource_list *l, const char *dir, const char *name)
{
	size_t dlen = strlen(l->base) + strlen(dir), nlen = strlen(name);
	char *p, **grown;

	if (l->count >= REGIT_GITSOURCE_MAX_FILES) {
		regit_error_set(REGIT_ERROR_CLI, "more than %d schema files",
			REGIT_GITSOURCE_MAX_FILES);
		return REGIT_ELIMIT;
	}
	grown = regit_array_grow(l->paths, &l->alloc, l->count + 1, sizeof(*grown), 16);
	if (!grown)
		return REGIT_ENOMEM;
	l->paths = grown;
	p = regit_malloc(dlen + nlen + 1);
	if (!p)
		return REGIT_ENOMEM;
	memcpy(p, l->base, strlen(l->base));
	memcpy(p + strlen(l->base), dir, strlen(dir));
	memcpy(p + dlen, name, nlen + 1);
	l->paths[l->count++] = p;
	return 0;
}

static int gitsource_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int gitsource_walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	gitsource_list *l = payload;
	const char *name = git_tree_entry_name(entry);

	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;
	if (!gitsource_ends_with(name, l->suffix))
		return 0;
	l->error = gitsource_list_add(l, root, name);
	return l->error < 0 ? -1 : 0;
}

static int gitsource_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void regit_gitsource_paths_free(char **paths, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		regit_free(paths[i]);
	regit_free(paths);
}

int regit_gitsource_list(char ***out, size_t *count, regit_gitsource *src,
	const char *prefix, const char *suffix)
{
	gitsource_list l = { NULL, 0, 0, "", suffix, 0 };
	git_tree *root = NULL;
	git_tree_entry *entry = NULL;
	git_object *obj = NULL;
	char *base = NULL;
	int error = 0, gerr;

	*out = NULL;
	*count = 0;
	gerr = git_commit_tree(&root, src->commit);
	if (gerr < 0) {
		error = gitsource_error(gerr, "reading the commit tree");
		goto done;
	}
	if (prefix[0] == '\0') {
		gerr = git_tree_walk(root, GIT_TREEWALK_PRE, gitsource_walk_cb, &l);
	} else {
		gerr = git_tree_entry_bypath(&entry, root, prefix);
		if (gerr == GIT_ENOTFOUND)
			goto done;
		if (gerr < 0) {
			error = gitsource_error(gerr, prefix);
			goto done;
		}
		if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
			if (gitsource_ends_with(prefix, suffix))
				error = gitsource_list_add(&l, "", prefix);
			goto done;
		}
		if (git_tree_entry_type(entry) != GIT_OBJECT_TREE)
			goto done;
		gerr = git_tree_entry_to_object(&obj, src->repo, entry);
		if (gerr < 0) {
			error = gitsource_error(gerr, prefix);
			goto done;
		}
		base = regit_malloc(strlen(prefix) + 2);
		if (!base) {
			error = REGIT_ENOMEM;
			goto done;
		}
		memcpy(base, prefix, strlen(prefix) + 1);
		if (!gitsource_ends_with(base, "/"))
			memcpy(base + strlen(base), "/", 2);
		l.base = base;
		gerr = git_tree_walk((git_tree *)obj, GIT_TREEWALK_PRE, gitsource_walk_cb, &l);
	}
	if (l.error < 0) {
		error = l.error;
		goto done;
	}
	if (gerr < 0) {
		error = gitsource_error(gerr, "walking the tree");
		goto done;
	}
done:
	if (error == 0) {
		if (l.count)
			qsort(l.paths, l.count, sizeof(*l.paths), gitsource_cmp);
		*out = l.paths;
		*count = l.count;
	} else {
		regit_gitsource_paths_free(l.paths, l.count);
	}
	regit_free(base);
	git_object_free(obj);
	git_tree_entry_free(entry);
	git_tree_free(root);
	return error;
}

void regit_gitsource_versions_free(regit_git_version *versions, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		regit_free(versions[i].text);
	regit_free(versions);
}

/* The blob id of `path` in `commit`; 1 found, 0 absent, negative error. */
static int gitsource_blob_id(git_oid *id, git_commit *commit, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int gerr, found = 0;

	gerr = git_commit_tree(&tree, commit);
	if (gerr < 0)
		return gitsource_error(gerr, "reading a commit tree");
	gerr = git_tree_entry_bypath(&entry, tree, path);
	if (gerr == 0 && git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
		git_oid_cpy(id, git_tree_entry_id(entry));
		found = 1;
	} else if (gerr < 0 && gerr != GIT_ENOTFOUND) {
		found = gitsource_error(gerr, path);
	}
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return found;
}

static int gitsource_add_version(regit_git_version **list, size_t *count, size_t *alloc,
	git_repository *repo, const git_oid *blob_id, const git_oid *commit_id, const char *path)
{
	git_blob *blob = NULL;
	regit_git_version *v, *grown;
	git_object_size_t size;
	int error = 0, gerr;

	grown = regit_array_grow(*list, alloc, *count + 1, sizeof(*grown), 8);
	if (!grown)
		return REGIT_ENOMEM;
	*list = grown;
	gerr = git_blob_lookup(&blob, repo, blob_id);
	if (gerr < 0)
		return gitsource_error(gerr, path);
	size = git_blob_rawsize(blob);
	if (size > REGIT_GITSOURCE_MAX_BLOB) {
		regit_error_set(REGIT_ERROR_CLI, "%s is larger than %zu bytes in commit",
			path, REGIT_GITSOURCE_MAX_BLOB);
		error = REGIT_ELIMIT;
		goto done;
	}
	v = &(*list)[*count];
	v->text = regit_malloc((size_t)size + 1);
	if (!v->text) {
		error = REGIT_ENOMEM;
		goto done;
	}
	memcpy(v->text, git_blob_rawcontent(blob), (size_t)size);
	v->text[size] = '\0';
	v->len = (size_t)size;
	git_oid_tostr(v->commit, sizeof(v->commit), commit_id);
	(*count)++;
done:
	git_blob_free(blob);
	return error;
}

int regit_gitsource_history(regit_git_version **out, size_t *count,
	regit_gitsource *src, const char *path, size_t max)
{
	regit_git_version *list = NULL;
	size_t n = 0, alloc = 0, walked = 0;
	git_revwalk *walk = NULL;
	git_commit *commit = NULL;
	git_oid last, id, cid;
	int error = 0, gerr, found;

	*out = NULL;
	*count = 0;
	found = gitsource_blob_id(&last, src->commit, path);
	if (found <= 0) {
		error = found;
		goto done;
	}
	error = gitsource_add_version(&list, &n, &alloc, src->repo, &last,
		git_commit_id(src->commit), path);
	if (error < 0 || max <= 1)
		goto done;

	gerr = git_revwalk_new(&walk, src->repo);
	if (gerr == 0)
		gerr = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if (gerr == 0)
		gerr = git_revwalk_push(walk, git_commit_id(src->commit));
	if (gerr < 0) {
		error = gitsource_error(gerr, "walking history");
		goto done;
	}
	while (n < max && (gerr = git_revwalk_next(&cid, walk)) == 0) {
		if (++walked > REGIT_GITSOURCE_MAX_COMMITS)
			break;  /* older history is not worth unbounded time */
		gerr = git_commit_lookup(&commit, src->repo, &cid);
		if (gerr < 0) {
			error = gitsource_error(gerr, "reading a commit");
			goto done;
		}
		found = gitsource_blob_id(&id, commit, path);
		git_commit_free(commit);
		commit = NULL;
		if (found < 0) {
			error = found;
			goto done;
		}
		if (!found || git_oid_equal(&id, &last))
			continue;
		error = gitsource_add_version(&list, &n, &alloc, src->repo, &id, &cid, path);
		if (error < 0)
			goto done;
		git_oid_cpy(&last, &id);
	}
	if (gerr < 0 && gerr != GIT_ITEROVER && n < max && walked <= REGIT_GITSOURCE_MAX_COMMITS) {
		error = gitsource_error(gerr, "walking history");
		goto done;
	}
done:
	git_commit_free(commit);
	git_revwalk_free(walk);
	if (error < 0) {
		regit_gitsource_versions_free(list, n);
		return error;
	}
	*out = list;
	*count = n;
	return 0;
}
