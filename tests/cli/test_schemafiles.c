/*
 * test_schemafiles.c - cli/schemafiles: the .avsc walk of `regit lint` and
 * `regit check --against` (hidden entries, depth, explicit top paths, the
 * base prefix, the file limit, sort_unique).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/schemafiles.h"
#include "tests/support/tmpdir.h"
#include "util/error.h"

static void touch(const char *dir, const char *rel)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("\"int\"\n", f);
	fclose(f);
}

static void mkd(const char *dir, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0700), 0);
}

/* A tree: a.avsc, notes.txt, .hidden.avsc, .git/x.avsc, sub/b.avsc, sub/deep/c.avsc */
static char *make_tree(void)
{
	char *dir = test_tmpdir_new("schemafiles");

	assert_non_null(dir);
	touch(dir, "a.avsc");
	touch(dir, "notes.txt");
	touch(dir, ".hidden.avsc");
	mkd(dir, ".git");
	touch(dir, ".git/x.avsc");
	mkd(dir, "sub");
	touch(dir, "sub/b.avsc");
	mkd(dir, "sub/deep");
	touch(dir, "sub/deep/c.avsc");
	return dir;
}

static void test_schemafiles__walk_relative_to_base(void **state)
{
	char *dir = make_tree();
	char base[4096];
	regit_schemafiles l = { NULL, 0, 0, 100 };

	(void)state;
	snprintf(base, sizeof(base), "%s/", dir);
	/* The root as "": paths come back relative, hidden entries skipped. */
	assert_int_equal(regit_schemafiles_scan(&l, base, "", 0), 0);
	regit_schemafiles_sort_unique(&l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "a.avsc");
	assert_string_equal(l.v[1], "sub/b.avsc");
	assert_string_equal(l.v[2], "sub/deep/c.avsc");
	/* A subdirectory, the same directory with a trailing '/', a file that
	 * is not .avsc and one missing: no repeats, nothing invented, no error. */
	assert_int_equal(regit_schemafiles_scan(&l, base, "sub", 0), 0);
	assert_int_equal(regit_schemafiles_scan(&l, base, "sub/", 0), 0);
	assert_int_equal(regit_schemafiles_scan(&l, base, "notes.txt", 0), 0);
	assert_int_equal(regit_schemafiles_scan(&l, base, "missing", 0), 0);
	regit_schemafiles_sort_unique(&l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[1], "sub/b.avsc");
	regit_schemafiles_dispose(&l);
	assert_int_equal(l.n, 0);
	test_tmpdir_remove(dir);
}

static void test_schemafiles__explicit_top(void **state)
{
	char *dir = make_tree();
	char path[4096];
	regit_schemafiles l = { NULL, 0, 0, 100 };

	(void)state;
	/* A file named on purpose is taken whatever its name. */
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	assert_int_equal(regit_schemafiles_scan(&l, "", path, REGIT_SCHEMAFILES_EXPLICIT), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], path);
	/* A directory with a trailing '/' joins without doubling it. */
	snprintf(path, sizeof(path), "%s/sub/", dir);
	assert_int_equal(regit_schemafiles_scan(&l, "", path, REGIT_SCHEMAFILES_EXPLICIT), 0);
	assert_int_equal(l.n, 3);
	assert_non_null(strstr(l.v[1], "/sub/b.avsc"));
	assert_null(strstr(l.v[1], "//"));
	/* A missing top path is an error that names it. */
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(regit_schemafiles_scan(&l, "", path, REGIT_SCHEMAFILES_EXPLICIT),
		REGIT_ENOTFOUND);
	assert_non_null(strstr(regit_error_message(), "/missing: "));
	assert_int_equal(l.n, 3);
	regit_schemafiles_dispose(&l);
	test_tmpdir_remove(dir);
}

static void test_schemafiles__limit(void **state)
{
	char *dir = make_tree();
	char base[4096];
	regit_schemafiles l = { NULL, 0, 0, 2 };

	(void)state;
	snprintf(base, sizeof(base), "%s/", dir);
	assert_int_equal(regit_schemafiles_scan(&l, base, "", 0), REGIT_ELIMIT);
	assert_string_equal(regit_error_message(), "more than 2 schema files");
	assert_int_equal(l.n, 2);
	regit_schemafiles_dispose(&l);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemafiles__walk_relative_to_base),
		cmocka_unit_test(test_schemafiles__explicit_top),
		cmocka_unit_test(test_schemafiles__limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
