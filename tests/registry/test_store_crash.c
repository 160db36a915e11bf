/*
 * test_store_crash.c - registry/store_git after a writer died mid-update.
 *
 * kill -9 between libgit2 creating "refs/heads/main.lock" and renaming it
 * leaves the lock file behind. Before the fix every later commit failed
 * with REGIT_ECONFLICT forever (the server answered 50001 "Too much write
 * contention" to every registration after one unlucky kill). A lock file
 * that stays unchanged while we hold the writer flock is stale and must be
 * cleared; one that is released quickly (a live git) must simply be waited
 * for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "registry/store.h"
#include "tests/support/tmpdir.h"
#include "util/error.h"

typedef struct fixture {
	char *dir;
	char path[512];
	char lock[600];
	regit_store *store;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = test_tmpdir_new("store-crash");
	assert_non_null(f->dir);
	snprintf(f->path, sizeof(f->path), "%s/registry.git", f->dir);
	snprintf(f->lock, sizeof(f->lock), "%s/refs/heads/main.lock", f->path);
	assert_int_equal(regit_store_open(&f->store, f->path, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

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

static void write_lock_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void test_store_crash__stale_ref_lock_is_cleared(void **state)
{
	fixture *f = *state;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	struct stat st;

	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	/* What a writer killed mid-update leaves behind: a half-written lock. */
	write_lock_file(f->lock, "0123456789abcdef");
	assert_int_equal(commit_file(f, h1, h2, "b.txt", "two"), 0);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, h2);
	assert_int_not_equal(stat(f->lock, &st), 0);
	/* and the CAS still refuses a stale expectation */
	assert_int_equal(commit_file(f, h1, head, "c.txt", "three"), REGIT_ECONFLICT);
}

static void test_store_crash__stale_lock_before_first_commit(void **state)
{
	fixture *f = *state;
	char h1[REGIT_STORE_OID_HEX];

	write_lock_file(f->lock, "");
	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	assert_true(strlen(h1) == 40);
}

typedef struct releaser {
	const char *lock;
	int ms;
} releaser;

static void *release_later(void *p)
{
	releaser *r = p;
	struct timespec ts = { 0, (long)r->ms * 1000000L };

	nanosleep(&ts, NULL);
	unlink(r->lock);
	return NULL;
}

/* A lock held briefly by a live process is waited for, not broken. */
static void test_store_crash__live_lock_is_waited_for(void **state)
{
	fixture *f = *state;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX];
	releaser r = { f->lock, 50 };
	pthread_t t;

	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	write_lock_file(f->lock, "");
	assert_int_equal(pthread_create(&t, NULL, release_later, &r), 0);
	assert_int_equal(commit_file(f, h1, h2, "b.txt", "two"), 0);
	pthread_join(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_crash__stale_ref_lock_is_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_crash__stale_lock_before_first_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_crash__live_lock_is_waited_for, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
