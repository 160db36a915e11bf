/*
 * test_store_crash.c - store/store_git and the branch's ref lock file.
 *
 * kill -9 between libgit2 creating "refs/heads/main.lock" and renaming it
 * leaves the lock file behind. Before the first fix every later commit
 * failed with REGIT_ECONFLICT forever (the server answered 50001 "Too much
 * write contention" to every registration after one unlucky kill). That
 * fix removed any lock unchanged for 300 ms, which also broke a live git
 * holding it (a slow push, `git update-ref --stdin` between prepare and
 * commit): regit published and git's own commit failed. Now a lock is
 * removed only when it is proven to be a dead regit writer's; any other
 * is waited for, with a deadline, and never removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
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

static int commit_on(regit_store *store, const char *expected, char out[REGIT_STORE_OID_HEX],
	const char *path, const char *data)
{
	regit_store_change c = { path, data, strlen(data), 0 };

	return regit_store_commit(out, store, expected, &c, 1, "test", NULL);
}

static int commit_file(fixture *f, const char *expected, char out[REGIT_STORE_OID_HEX],
	const char *path, const char *data)
{
	return commit_on(f->store, expected, out, path, data);
}

static void write_lock_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

/* ---- a regit writer killed inside its ref update ------------------------ */

static int crash_fill;    /* the lock as libgit2 leaves it: 1 filled, 0 empty */

/* Where libgit2 would create and fill the lock, then the kill -9. */
static void die_in_ref_update(const char *lock_path, const char *new_hex)
{
	int fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd >= 0 && crash_fill) {
		char line[64];
		int n = snprintf(line, sizeof(line), "%s\n", new_hex);

		if (write(fd, line, (size_t)n) != n)
			_exit(3);
	}
	raise(SIGKILL);
}

/* A child process commits on expected with its own handle and is killed
 * right before its ref update. */
static void killed_writer(fixture *f, const char *expected, int fill)
{
	int status = 0;
	pid_t pid;

	regit_store_idle(f->store);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		regit_store *s = NULL;
		char out[REGIT_STORE_OID_HEX];

		if (regit_store_open(&s, f->path, NULL) != 0)
			_exit(2);
		crash_fill = fill;
		regit_store__before_ref_update = die_in_ref_update;
		(void)commit_on(s, expected, out, "killed.txt", "never published");
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_store_crash__stale_ref_lock_is_cleared(void **state)
{
	fixture *f = *state;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	struct stat st;

	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	killed_writer(f, h1, 1);
	assert_int_equal(stat(f->lock, &st), 0);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, h1);
	/* The next writer proves the lock stale (the flock, the dead writer's
	 * mark, the lock's content) and removes it at once. */
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

	killed_writer(f, "", 1);
	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	assert_true(strlen(h1) == 40);
}

/*
 * Killed after libgit2 created the lock and before it wrote the id
 * (libgit2 writes at commit): an empty lock under the dead writer's mark.
 * Once it has stayed empty for a second it is removed (CI's kill -9 loop
 * once left one and every later write failed), no sooner.
 */
static void test_store_crash__empty_lock_of_dead_writer_is_cleared(void **state)
{
	fixture *f = *state;
	regit_store_options opts = REGIT_STORE_OPTIONS_INIT;
	regit_store *s = NULL;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	struct stat st;
	struct timespec t0, t1;
	long ms;

	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	killed_writer(f, h1, 0);
	assert_int_equal(stat(f->lock, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* too young, and the wait for it ends first: not removed */
	opts.ref_lock_timeout_ms = 100;
	assert_int_equal(regit_store_open(&s, f->path, &opts), 0);
	assert_int_equal(commit_on(s, h1, h2, "b.txt", "two"), REGIT_EIO);
	assert_int_equal(stat(f->lock, &st), 0);
	regit_store_free(s);
	s = NULL;
	/* the same dead writer again (its mark), and time enough */
	assert_int_equal(unlink(f->lock), 0);
	killed_writer(f, h1, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(commit_file(f, h1, h2, "b.txt", "two"), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 900);     /* it waited for the lock to age */
	assert_int_not_equal(stat(f->lock, &st), 0);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, h2);
}

/*
 * A lock without a dead writer's mark proves nothing (a live git's, an
 * empty one included: git deleting the branch). It is waited for, then
 * the commit fails cleanly; the lock stays.
 */
static void test_store_crash__unproven_lock_is_not_removed(void **state)
{
	fixture *f = *state;
	regit_store_options opts = REGIT_STORE_OPTIONS_INIT;
	regit_store *s = NULL;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	struct stat st;
	struct timespec old[2] = { { 0, UTIME_OMIT }, { 0, 0 } };

	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	opts.ref_lock_timeout_ms = 300;
	assert_int_equal(regit_store_open(&s, f->path, &opts), 0);
	/* empty and old, but no mark */
	write_lock_file(f->lock, "");
	old[1].tv_sec = time(NULL) - 60;
	assert_int_equal(utimensat(AT_FDCWD, f->lock, old, 0), 0);
	assert_int_equal(commit_on(s, h1, h2, "b.txt", "two"), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "main.lock"));
	assert_int_equal(stat(f->lock, &st), 0);
	/* with content that is not the dead writer's id neither */
	assert_int_equal(unlink(f->lock), 0);
	write_lock_file(f->lock, "0123456789abcdef");
	assert_int_equal(commit_on(s, h1, h2, "b.txt", "two"), REGIT_EIO);
	assert_int_equal(stat(f->lock, &st), 0);
	assert_int_equal(regit_store_head(s, head), 0);
	assert_string_equal(head, h1);
	/* The operator removes it; writes work again. */
	assert_int_equal(unlink(f->lock), 0);
	assert_int_equal(commit_on(s, h1, h2, "b.txt", "two"), 0);
	regit_store_free(s);
}

/* ---- live locks ---------------------------------------------------------- */

typedef struct releaser {
	const char *lock;
	int ms;
	int intact;    /* the lock was still ours when we released it */
} releaser;

static void *release_later(void *p)
{
	releaser *r = p;
	struct timespec ts = { r->ms / 1000, (long)(r->ms % 1000) * 1000000L };
	struct stat before, now;

	if (stat(r->lock, &before) != 0)
		return NULL;
	nanosleep(&ts, NULL);
	r->intact = stat(r->lock, &now) == 0 && now.st_ino == before.st_ino;
	unlink(r->lock);
	return NULL;
}

/* A lock held by a live process (longer than the old 300 ms guess) is
 * waited for, not broken: it must still be there when its holder lets go. */
static void test_store_crash__live_lock_is_waited_for(void **state)
{
	fixture *f = *state;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX];
	releaser r = { f->lock, 600, 0 };
	pthread_t t;

	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	write_lock_file(f->lock, "");
	assert_int_equal(pthread_create(&t, NULL, release_later, &r), 0);
	assert_int_equal(commit_file(f, h1, h2, "b.txt", "two"), 0);
	pthread_join(t, NULL);
	assert_true(r.intact);
}

/* `git update-ref --stdin` holding a prepared transaction on main. */
typedef struct gitref {
	pid_t pid;
	int in;
	FILE *out;
} gitref;

static void git_expect(gitref *g, const char *want)
{
	char line[256];

	assert_non_null(fgets(line, sizeof(line), g->out));
	line[strcspn(line, "\n")] = '\0';
	assert_string_equal(line, want);
}

static void git_prepare(gitref *g, const char *repo, const char *new_hex, const char *old_hex)
{
	int to[2], from[2];
	char cmd[256];
	int n;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	g->pid = fork();
	assert_true(g->pid >= 0);
	if (g->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		execlp("git", "git", "--git-dir", repo, "update-ref", "--stdin", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	g->in = to[1];
	g->out = fdopen(from[0], "r");
	assert_non_null(g->out);
	n = snprintf(cmd, sizeof(cmd), "start\nupdate refs/heads/main %s %s\nprepare\n",
		new_hex, old_hex);
	assert_int_equal(write(g->in, cmd, (size_t)n), n);
	git_expect(g, "start: ok");
	git_expect(g, "prepare: ok");
}

/* Send "commit" or "abort"; @return git's exit status. */
static int git_finish(gitref *g, const char *what)
{
	char cmd[32], want[48];
	int status = 0, n;

	n = snprintf(cmd, sizeof(cmd), "%s\n", what);
	assert_int_equal(write(g->in, cmd, (size_t)n), n);
	close(g->in);
	snprintf(want, sizeof(want), "%s: ok", what);
	{
		char line[256];

		if (fgets(line, sizeof(line), g->out)) {
			line[strcspn(line, "\n")] = '\0';
			if (strcmp(line, want) != 0)
				print_message("git: %s\n", line);
		}
	}
	fclose(g->out);
	assert_int_equal(waitpid(g->pid, &status, 0), g->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* git holds the ref lock past the deadline: the commit fails, the lock is
 * left alone, and git's own commit then succeeds. */
static void test_store_crash__git_transaction_lock_is_not_broken(void **state)
{
	fixture *f = *state;
	regit_store_options opts = REGIT_STORE_OPTIONS_INIT;
	regit_store *s = NULL;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], h3[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX];
	struct stat before, after;
	gitref g;

	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	assert_int_equal(commit_file(f, h1, h2, "b.txt", "two"), 0);
	regit_store_idle(f->store);
	git_prepare(&g, f->path, h1, h2);    /* git rewinds main to h1 */
	assert_int_equal(stat(f->lock, &before), 0);

	opts.ref_lock_timeout_ms = 700;
	assert_int_equal(regit_store_open(&s, f->path, &opts), 0);
	assert_int_equal(commit_on(s, h2, h3, "c.txt", "three"), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "locked"));
	assert_int_equal(stat(f->lock, &after), 0);
	assert_true(after.st_ino == before.st_ino);
	assert_int_equal(regit_store_head(s, head), 0);
	assert_string_equal(head, h2);

	assert_int_equal(git_finish(&g, "commit"), 0);
	assert_int_equal(regit_store_head(s, head), 0);
	assert_string_equal(head, h1);
	regit_store_free(s);
}

typedef struct finisher {
	gitref *g;
	const char *what;
	int ms;
	int rc;
} finisher;

static void *finish_later(void *p)
{
	finisher *fin = p;
	struct timespec ts = { fin->ms / 1000, (long)(fin->ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	fin->rc = git_finish(fin->g, fin->what);
	return NULL;
}

/* git commits while a registry commit waits for its lock: git's update
 * goes through, and the registry's compare-and-swap then sees the branch
 * moved (it re-plans on the new head). An abort lets the registry's
 * commit through. */
static void test_store_crash__commit_waits_for_git_transaction(void **state)
{
	fixture *f = *state;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], h3[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX];
	finisher fin;
	pthread_t t;
	gitref g;

	assert_int_equal(commit_file(f, "", h1, "a.txt", "one"), 0);
	assert_int_equal(commit_file(f, h1, h2, "b.txt", "two"), 0);
	regit_store_idle(f->store);

	git_prepare(&g, f->path, h1, h2);
	fin = (finisher){ &g, "commit", 800, -1 };
	assert_int_equal(pthread_create(&t, NULL, finish_later, &fin), 0);
	assert_int_equal(commit_file(f, h2, h3, "c.txt", "three"), REGIT_ECONFLICT);
	pthread_join(t, NULL);
	assert_int_equal(fin.rc, 0);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, h1);

	git_prepare(&g, f->path, h2, h1);
	fin = (finisher){ &g, "abort", 800, -1 };
	assert_int_equal(pthread_create(&t, NULL, finish_later, &fin), 0);
	assert_int_equal(commit_file(f, h1, h3, "c.txt", "three"), 0);
	pthread_join(t, NULL);
	assert_int_equal(fin.rc, 0);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, h3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_crash__stale_ref_lock_is_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_crash__stale_lock_before_first_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_crash__empty_lock_of_dead_writer_is_cleared,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_crash__unproven_lock_is_not_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_crash__live_lock_is_waited_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_crash__git_transaction_lock_is_not_broken, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_store_crash__commit_waits_for_git_transaction, setup,
			teardown),
	};

	/* git's reply pipe must not kill us if git dies first */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
