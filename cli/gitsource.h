/*
 * gitsource.h - schema files as they were in git, for `regit check --against`.
 *
 * Reads a repository with libgit2 (never by running git): the files under a
 * path at a given revision, and the history of one file from that revision
 * back, newest first, one entry per distinct content. This is the only file
 * of the CLI that includes <git2.h>; it turns libgit2 errors into
 * regit_error_set messages.
 */
#ifndef REGIT_CLI_GITSOURCE_H
#define REGIT_CLI_GITSOURCE_H

#include <stddef.h>

typedef struct regit_gitsource regit_gitsource;

/* One version of a file in history. */
typedef struct regit_git_version {
	char *text;           /* owned: the blob content, NUL-terminated */
	size_t len;
	char commit[41];      /* newest commit (hex) that has this content */
} regit_git_version;

/* Bounds on what a history walk reads. */
#define REGIT_GITSOURCE_MAX_COMMITS 200000   /* commits visited per file */
#define REGIT_GITSOURCE_MAX_BLOB ((size_t)4 << 20)
#define REGIT_GITSOURCE_MAX_FILES 100000

/**
 * Open the repository containing `dir` and resolve `ref` (branch, tag,
 * commit, anything git_revparse_single accepts) to a commit.
 * @param out  receives the source (owned; regit_gitsource_free)
 * @return 0, REGIT_ENOTFOUND (no repository, or unknown ref), REGIT_EIO,
 *         REGIT_ENOMEM
 */
int regit_gitsource_open(regit_gitsource **out, const char *dir, const char *ref);

void regit_gitsource_free(regit_gitsource *src);

/**
 * The working tree of the repository containing `dir` (absolute, with a
 * trailing '/'), without resolving any revision: a repository without
 * commits has one too. For commands that only need the repository root.
 * @param out  receives an owned string (regit_free); NULL on failure
 * @return 0, REGIT_ENOTFOUND (no repository, or a bare one), REGIT_EIO,
 *         REGIT_ENOMEM
 */
int regit_gitsource_find_workdir(char **out, const char *dir);

/**
 * The working directory, absolute, with a trailing '/'. @return borrowed,
 * lives as long as src; NULL for a bare repository
 */
const char *regit_gitsource_workdir(const regit_gitsource *src);

/** The ref as given to regit_gitsource_open. @return borrowed */
const char *regit_gitsource_ref(const regit_gitsource *src);

/**
 * Repository-relative paths of the files at the ref whose path is `prefix`
 * or lies under the directory `prefix` ("" = whole tree) and ends with
 * `suffix`, sorted.
 * @param out  receives an owned array of owned strings
 *             (regit_gitsource_paths_free); NULL when count is 0
 * @return 0 (also when nothing matches), REGIT_ELIMIT, REGIT_EIO, REGIT_ENOMEM
 */
int regit_gitsource_list(char ***out, size_t *count, regit_gitsource *src,
	const char *prefix, const char *suffix);

void regit_gitsource_paths_free(char **paths, size_t count);

/**
 * The content of `path` at the ref and, when max > 1, earlier contents
 * from the history reachable from the ref (topological, newest first),
 * skipping commits without the file and repeated identical contents in a
 * row, at most `max` entries.
 * @param out  receives an owned array (regit_gitsource_versions_free);
 *             count is 0 when the file does not exist at the ref
 * @return 0, REGIT_ELIMIT (a blob larger than REGIT_GITSOURCE_MAX_BLOB),
 *         REGIT_EIO, REGIT_ENOMEM
 */
int regit_gitsource_history(regit_git_version **out, size_t *count,
	regit_gitsource *src, const char *path, size_t max);

void regit_gitsource_versions_free(regit_git_version *versions, size_t count);

#endif
