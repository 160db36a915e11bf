/*
 * test_store_race.c - store/store_git: a writer against an outside
 * update of the branch.
 *
 * Two checks stand between a commit and a lost update: an early one (the
 * head is read under the writer flock and compared with the expected head
 * before anything is built) and the authoritative one (the ref update is a
 * compare-and-swap, git_reference_create_matching). Each used to be
 * removable alone without any test failing, since the other still caught
 * every stale head the tests made. Here the branch moves *between* the two
 * (through the regit_store__before_ref_update seam, as git or a writer
 * without the flock could), which only the compare-and-swap can catch, and
 * a stale head is given up *before* any work, which only the early check
 * does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/support/tmpdir.h"
#include "util/error.h"

typedef struct fixture {
	char *dir;
	char path[512];
	regit_store *store;
} fixture;

/* What the seam does: count its calls, and (when set) point the branch
 * at move_to, as an outside writer would. */
static int hook_calls;
static char move_to[REGIT_STORE_OID_HEX];
static char ref_path[600];

static void outside_update(const char *lock_path, const char *new_hex)
{
	char tmp[640];
	FILE *f;

	(void)lock_path;
	(void)new_hex;
	hook_calls++;
	if (!move_to[0])
		return;
	/* A loose ref, replaced atomically (what git's own rename does). */
	snprintf(tmp, sizeof(tmp), "%s.outside", ref_path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_true(fprintf(f, "%s\n", move_to) > 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, ref_path), 0);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = test_tmpdir_new("store-race");
	assert_non_null(f->dir);
	snprintf(f->path, sizeof(f->path), "%s/registry.git", f->dir);
	snprintf(ref_path, sizeof(ref_path), "%s/refs/heads/main", f->path);
	assert_int_equal(regit_store_open(&f->store, f->path, NULL), 0);
	hook_calls = 0;
	move_to[0] = '\0';
	regit_store__before_ref_update = outside_update;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	regit_store__before_ref_update = NULL;
	regit_store_free(f->store);
	test_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static int commit_file(fixture *f, const char *expected, char out[REGIT_STORE_OID_HEX],
	const char *path, const char *data)
{
	regit_store_change c = { path, data, strlen(data), 0 };

	return regit_store_commit(out, f->store, expected, &c, 1, "test", NULL);
}

/* Files in objects/pack (the store writes one pack per commit). */
static int pack_files(fixture *f)
{
	char dir[600];
	struct dirent *e;
	DIR *d;
	int n = 0;

	regit_store_idle(f->store);
	snprintf(dir, sizeof(dir), "%s/objects/pack", f->path);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The branch moves after the early check and before the ref update: the
 * compare-and-swap refuses, and the outside update stays. */
static void test_store_race__outside_update_before_ref_update(void **state)
{
	fixture *f = *state;
	char a[REGIT_STORE_OID_HEX], b[REGIT_STORE_OID_HEX], c[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX];

	assert_int_equal(commit_file(f, "", a, "a.txt", "one"), 0);
	assert_int_equal(commit_file(f, a, b, "b.txt", "two"), 0);
	assert_int_equal(hook_calls, 2);
	/* Someone resets the branch to a while we commit on b. */
	memcpy(move_to, a, sizeof(move_to));
	assert_int_equal(commit_file(f, b, c, "c.txt", "three"), REGIT_ECONFLICT);
	assert_int_equal(hook_calls, 3);
	assert_string_equal(c, "");
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, a);
	/* The store is still usable from the new head. */
	move_to[0] = '\0';
	assert_int_equal(commit_file(f, a, c, "c.txt", "three"), 0);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, c);
}

/* A head that already moved is given up at once: no pack is written and
 * the ref update is never tried. */
static void test_store_race__stale_head_is_refused_before_any_work(void **state)
{
	fixture *f = *state;
	char a[REGIT_STORE_OID_HEX], b[REGIT_STORE_OID_HEX], c[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX];
	int packs;

	assert_int_equal(commit_file(f, "", a, "a.txt", "one"), 0);
	assert_int_equal(commit_file(f, a, b, "b.txt", "two"), 0);
	packs = pack_files(f);
	hook_calls = 0;
	assert_int_equal(commit_file(f, a, c, "c.txt", "three"), REGIT_ECONFLICT);
	assert_int_equal(hook_calls, 0);
	assert_int_equal(pack_files(f), packs);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, b);
	/* Creating the branch when it exists is the same conflict. */
	assert_int_equal(commit_file(f, "", c, "c.txt", "three"), REGIT_ECONFLICT);
	assert_int_equal(hook_calls, 0);
	assert_int_equal(pack_files(f), packs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_race__outside_update_before_ref_update,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_race__stale_head_is_refused_before_any_work,
			setup, teardown),
	};

	return cmocka_run_group_tests_name("store/store_race", tests, NULL, NULL);
}
