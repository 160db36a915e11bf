/*
 * test_store_durability.c - store/store_git: what a commit fsyncs, and
 * in which order.
 *
 * kill -9 cannot show a missing fsync (the page cache survives a killed
 * process; only a power cut loses it), so the pack's fsync could be
 * removed with every crash test still passing. This binary interposes
 * fsync and fdatasync (defining them here overrides libc's for the whole
 * process, libgit2's calls included, as an LD_PRELOAD shim would, and
 * works the same under the sanitizers), records the path of each fd
 * through /proc/self/fd, and checks that one commit makes its data durable
 * before publishing it: the pack, then its index, then the pack directory
 * (their renames), then the branch's ref and its directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/support/tmpdir.h"

#define MAX_SYNCS 256

static pthread_mutex_t syncs_lock = PTHREAD_MUTEX_INITIALIZER;
static char syncs[MAX_SYNCS][PATH_MAX];
static int nsyncs;

static void record_sync(int fd)
{
	char link[64];
	ssize_t n;

	pthread_mutex_lock(&syncs_lock);
	if (nsyncs < MAX_SYNCS) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, syncs[nsyncs], sizeof(syncs[nsyncs]) - 1);
		syncs[nsyncs][n > 0 ? n : 0] = '\0';
		nsyncs++;
	}
	pthread_mutex_unlock(&syncs_lock);
}

/* The interposers: record, then the real system call. */
int fsync(int fd);
int fdatasync(int fd);

int fsync(int fd)
{
	record_sync(fd);
	return (int)syscall(SYS_fsync, fd);
}

int fdatasync(int fd)
{
	record_sync(fd);
	return (int)syscall(SYS_fdatasync, fd);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Index of the first recorded sync whose path satisfies the test, or -1. */
static int first_sync(int (*match)(const char *path, const char *arg), const char *arg)
{
	int i;

	for (i = 0; i < nsyncs; i++)
		if (match(syncs[i], arg))
			return i;
	return -1;
}

static int has_part(const char *path, const char *part)
{
	return strstr(path, part) != NULL;
}

static int is_path(const char *path, const char *want)
{
	return strcmp(path, want) == 0;
}

static int is_suffix(const char *path, const char *suffix)
{
	return ends_with(path, suffix);
}

static int is_ref(const char *path, const char *unused)
{
	(void)unused;
	return ends_with(path, "/refs/heads/main.lock") || ends_with(path, "/refs/heads/main");
}

static void test_store_durability__commit_syncs_pack_idx_dir_then_ref(void **state)
{
	char *dir = test_tmpdir_new("store-durability");
	char path[PATH_MAX], real[PATH_MAX], packdir[PATH_MAX + 16];
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX];
	regit_store_change c1 = { "a.txt", "one", 3, 0 }, c2 = { "b.txt", "two", 3, 0 };
	regit_store *store = NULL;
	int pack, idx, pdir, ref, rdir, i;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/registry.git", dir);
	assert_int_equal(regit_store_open(&store, path, NULL), 0);
	assert_int_equal(regit_store_commit(h1, store, "", &c1, 1, "one", NULL), 0);
	regit_store_idle(store);
	assert_non_null(realpath(path, real));
	snprintf(packdir, sizeof(packdir), "%s/objects/pack", real);

	pthread_mutex_lock(&syncs_lock);
	nsyncs = 0;
	pthread_mutex_unlock(&syncs_lock);
	assert_int_equal(regit_store_commit(h2, store, h1, &c2, 1, "two", NULL), 0);
	pthread_mutex_lock(&syncs_lock);
	for (i = 0; i < nsyncs; i++)
		print_message("fsync %d: %s\n", i, syncs[i]);
	pack = first_sync(has_part, "/objects/pack/tmp_regit_pack_");
	idx = first_sync(has_part, "/objects/pack/tmp_regit_idx_");
	pdir = first_sync(is_path, packdir);
	ref = first_sync(is_ref, NULL);
	rdir = first_sync(is_suffix, "/refs/heads");
	pthread_mutex_unlock(&syncs_lock);

	assert_true(pack >= 0);
	assert_true(idx > pack);
	assert_true(pdir > idx);
	assert_true(ref > pdir);
	assert_true(rdir > ref);    /* and the ref's rename */
	regit_store_free(store);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_durability__commit_syncs_pack_idx_dir_then_ref),
	};

	return cmocka_run_group_tests_name("store/store_durability", tests, NULL, NULL);
}
