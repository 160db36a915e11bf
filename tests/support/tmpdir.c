/*
 * tmpdir.c - see tmpdir.h.
 */
#include "tests/support/tmpdir.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


char *test_tmpdir_new(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path;
	size_t n;

	if (!base || !*base)
		base = "/tmp";
	n = strlen(base) + strlen(tag) + 32;
	path = malloc(n);
	if (!path)
		return NULL;
	snprintf(path, n, "%s/regit-%s-XXXXXX", base, tag);
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

static int tmpdir_rm(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void test_tmpdir_remove(char *path)
{
	if (!path)
		return;
	nftw(path, tmpdir_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}
