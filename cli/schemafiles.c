/*
 * schemafiles.c - the .avsc files under some paths (schemafiles.h).
 */
#include "cli/schemafiles.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"

int regit_schemafiles_take(regit_schemafiles *list, char *path)
{
	char **grown;

	if (!path)
		return REGIT_ENOMEM;
	if (list->n >= list->max) {
		regit_free(path);
		regit_error_set(REGIT_ERROR_CLI, "more than %zu schema files", list->max);
		return REGIT_ELIMIT;
	}
	grown = regit_array_grow(list->v, &list->a, list->n + 1, sizeof(*grown), 16);
	if (!grown) {
		regit_free(path);
		return REGIT_ENOMEM;
	}
	list->v = grown;
	list->v[list->n++] = path;
	return 0;
}

static int schemafiles_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int schemafiles_walk(regit_schemafiles *list, const char *base, const char *rel,
	unsigned flags, int depth)
{
	regit_buf full = REGIT_BUF_INIT, child = REGIT_BUF_INIT;
	int explicit_top = depth == 0 && (flags & REGIT_SCHEMAFILES_EXPLICIT);
	struct stat st;
	DIR *dir = NULL;
	struct dirent *ent;
	int error = 0;

	if (depth > REGIT_SCHEMAFILES_MAX_DEPTH)
		return 0;
	error = regit_buf_printf(&full, "%s%s", base, rel);
	if (error < 0)
		goto done;
	if (stat(full.ptr, &st) != 0) {
		if (explicit_top) {
			regit_error_set(REGIT_ERROR_CLI, "%s: %s", full.ptr, strerror(errno));
			error = REGIT_ENOTFOUND;
		}
		goto done;
	}
	if (S_ISREG(st.st_mode)) {
		if (explicit_top || schemafiles_ends_with(rel, ".avsc"))
			error = regit_schemafiles_take(list, regit_strdup(rel));
		goto done;
	}
	if (!S_ISDIR(st.st_mode))
		goto done;
	dir = opendir(full.ptr);
	if (!dir) {
		if (explicit_top) {
			regit_error_set(REGIT_ERROR_CLI, "%s: %s", full.ptr, strerror(errno));
			error = REGIT_EIO;
		}
		goto done;
	}
	/* readdir_r is deprecated; readdir is thread-safe per DIR stream. */
	/* cppcheck-suppress readdirCalled */
	while ((ent = readdir(dir)) != NULL) {
		if (ent->d_name[0] == '.')
			continue;  /* ., .., .git and hidden files */
		regit_buf_clear(&child);
		error = regit_buf_printf(&child, "%s%s%s", rel,
			rel[0] && !schemafiles_ends_with(rel, "/") ? "/" : "", ent->d_name);
		if (error == 0)
			error = schemafiles_walk(list, base, child.ptr, flags, depth + 1);
		if (error < 0)
			goto done;
	}
done:
	if (dir)
		closedir(dir);
	regit_buf_dispose(&full);
	regit_buf_dispose(&child);
	return error;
}

int regit_schemafiles_scan(regit_schemafiles *list, const char *base, const char *rel,
	unsigned flags)
{
	return schemafiles_walk(list, base, rel, flags, 0);
}

static int schemafiles_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void regit_schemafiles_sort_unique(regit_schemafiles *list)
{
	size_t i, n = 0;

	if (list->n == 0)
		return;
	qsort(list->v, list->n, sizeof(*list->v), schemafiles_cmp);
	for (i = 0; i < list->n; i++) {
		if (n > 0 && strcmp(list->v[i], list->v[n - 1]) == 0)
			regit_free(list->v[i]);
		else
			list->v[n++] = list->v[i];
	}
	list->n = n;
}

void regit_schemafiles_dispose(regit_schemafiles *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		regit_free(list->v[i]);
	regit_free(list->v);
	list->v = NULL;
	list->n = list->a = 0;
}
