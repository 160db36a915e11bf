/*
 * test_store.c - store/store_git: a real bare repository in a temporary
 * directory. Covers creation, commit and listing, directory pruning, the
 * compare-and-swap (between threads and between two handles, which is what
 * two processes look like), reopening, and that plain git reads the result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/support/tmpdir.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct fixture {
	char *dir;
	char path[512];
	regit_store *store;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = test_tmpdir_new("store");
	assert_non_null(f->dir);
	snprintf(f->path, sizeof(f->path), "%s/nested/registry.git", f->dir);
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

static regit_store_change put(const char *path, const char *data)
{
	regit_store_change c = { path, data, strlen(data), 0 };
	return c;
}

static regit_store_change rm(const char *path)
{
	regit_store_change c = { path, NULL, 0, 1 };
	return c;
}

static const regit_store_file *find(const regit_store_listing *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->nfiles; i++)
		if (strcmp(l->files[i].path, path) == 0)
			return &l->files[i];
	return NULL;
}

static void expect_content(regit_store *s, const regit_store_listing *l,
	const char *path, const char *content)
{
	const regit_store_file *file = find(l, path);
	regit_buf b = REGIT_BUF_INIT;

	assert_non_null(file);
	assert_int_equal(regit_store_read(&b, s, &file->oid), 0);
	assert_string_equal(regit_buf_cstr(&b), content);
	regit_buf_dispose(&b);
}

/* Run a shell command, return its first output line (static buffer). */
static const char *sh(const char *fmt, ...)
{
	static char out[4096];
	char cmd[2048];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* git agrees the store is sound: fsck --strict, and every pack's checksums
 * and index (the packs are written by the store itself). */
static void expect_git_valid(const char *path)
{
	assert_string_equal(sh("git --git-dir='%s' fsck --strict 2>&1 && echo clean", path), "clean");
	assert_string_equal(sh("cd '%s'/objects/pack && for i in *.idx; do "
		"git verify-pack \"$i\" >/dev/null 2>&1 || echo \"bad $i\"; done; echo end", path), "end");
}

/* n commits, each adding the file fmt % i (content: its path), one pack each. */
static void commit_each(regit_store *store, const char *fmt, int n)
{
	char head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX], path[64];
	regit_store_change c;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), fmt, i);
		c = put(path, path);
		assert_int_equal(regit_store_head(store, head), 0);
		assert_int_equal(regit_store_commit(out, store, head, &c, 1, path, NULL), 0);
	}
}

static void test_store__new_store_is_empty(void **state)
{
	fixture *f = *state;
	regit_store_listing *l = NULL;
	char head[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, "");
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 0);
	assert_string_equal(l->head, "");
	regit_store_listing_free(l);
	/* git itself sees a bare repository whose HEAD names main. */
	assert_string_equal(sh("git --git-dir='%s' rev-parse --is-bare-repository", f->path), "true");
	assert_string_equal(sh("git --git-dir='%s' symbolic-ref HEAD", f->path), "refs/heads/main");
}

static void test_store__commit_list_read(void **state)
{
	fixture *f = *state;
	regit_store_change c1[] = {
		put("regit.json", "{\"format\":1}\n"),
		put("subjects/a/v1.avsc", "\"int\"\n"),
		put("subjects/a/v1.json", "{\"id\":1}\n"),
		put("subjects/b%2Fc/v1.avsc", "\"long\"\n"),
	};
	regit_store_listing *l = NULL;
	char h1[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit(h1, f->store, "", c1, 4, "first", NULL), 0);
	assert_int_equal(strlen(h1), 40);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, h1);
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_string_equal(l->head, h1);
	assert_int_equal(l->nfiles, 4);
	/* Sorted by path, byte order. */
	assert_string_equal(l->files[0].path, "regit.json");
	assert_string_equal(l->files[1].path, "subjects/a/v1.avsc");
	assert_string_equal(l->files[2].path, "subjects/a/v1.json");
	assert_string_equal(l->files[3].path, "subjects/b%2Fc/v1.avsc");
	expect_content(f->store, l, "subjects/a/v1.avsc", "\"int\"\n");
	expect_content(f->store, l, "subjects/b%2Fc/v1.avsc", "\"long\"\n");
	regit_store_listing_free(l);

	/* The git CLI agrees, and the commit carries message and author. */
	assert_string_equal(sh("git --git-dir='%s' show main:subjects/a/v1.json", f->path), "{\"id\":1}");
	assert_string_equal(sh("git --git-dir='%s' log -1 --format=%%s/%%an", f->path), "first/regit");
	assert_string_equal(sh("git --git-dir='%s' fsck --strict 2>&1 && echo clean", f->path), "clean");
}

static void test_store__remove_prunes_empty_directories(void **state)
{
	fixture *f = *state;
	regit_store_change c1[] = {
		put("subjects/a/v1.avsc", "1"), put("subjects/a/v2.avsc", "2"),
		put("subjects/b/v1.avsc", "3"), put("top", "t"),
	};
	regit_store_change c2[] = {
		rm("subjects/a/v1.avsc"), rm("subjects/a/v2.avsc"), rm("subjects/zz/none"),
		rm("missing"), put("subjects/b/v2.avsc", "4"),
	};
	regit_store_change c3[] = { rm("subjects/b/v1.avsc"), rm("subjects/b/v2.avsc") };
	regit_store_listing *l = NULL;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], h3[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit(h1, f->store, NULL, c1, 4, "one", "alice"), 0);
	assert_int_equal(regit_store_commit(h2, f->store, h1, c2, 5, "two", "alice"), 0);
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 3);
	assert_string_equal(l->files[0].path, "subjects/b/v1.avsc");
	assert_string_equal(l->files[1].path, "subjects/b/v2.avsc");
	assert_string_equal(l->files[2].path, "top");
	regit_store_listing_free(l);
	assert_string_equal(sh("git --git-dir='%s' ls-tree main subjects/ | wc -l", f->path), "1");

	assert_int_equal(regit_store_commit(h3, f->store, h2, c3, 2, "three", NULL), 0);
	assert_string_equal(sh("git --git-dir='%s' ls-tree --name-only main", f->path), "top");
	/* Listing an older commit still works. */
	assert_int_equal(regit_store_list(&l, f->store, h1), 0);
	assert_int_equal(l->nfiles, 4);
	assert_string_equal(l->head, h1);
	regit_store_listing_free(l);
	assert_int_equal(regit_store_list(&l, f->store, "0123456789012345678901234567890123456789"),
		REGIT_ENOTFOUND);
	assert_null(l);
}

static void test_store__duplicate_paths_last_wins(void **state)
{
	fixture *f = *state;
	regit_store_change c[] = { put("x", "first"), rm("x"), put("x", "last") };
	regit_store_listing *l = NULL;
	char h[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit(h, f->store, NULL, c, 3, "dup", NULL), 0);
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 1);
	expect_content(f->store, l, "x", "last");
	regit_store_listing_free(l);
}

static void test_store__cas_refuses_stale_head(void **state)
{
	fixture *f = *state;
	regit_store_change a = put("a", "1"), b = put("b", "2"), c = put("c", "3");
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], h3[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit(h1, f->store, "", &a, 1, "a", NULL), 0);
	/* Creating the branch again is a lost race. */
	assert_int_equal(regit_store_commit(h2, f->store, "", &b, 1, "b", NULL), REGIT_ECONFLICT);
	assert_string_equal(h2, "");
	assert_int_equal(regit_store_commit(h2, f->store, h1, &b, 1, "b", NULL), 0);
	/* h1 is stale now. */
	assert_int_equal(regit_store_commit(h3, f->store, h1, &c, 1, "c", NULL), REGIT_ECONFLICT);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, h2);
	assert_string_equal(sh("git --git-dir='%s' rev-list --count main", f->path), "2");
}

static void test_store__two_handles_like_two_processes(void **state)
{
	fixture *f = *state;
	regit_store *other = NULL;
	regit_store_change a = put("a", "1"), b = put("b", "2"), c = put("c", "3");
	regit_store_listing *l = NULL;
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], h3[REGIT_STORE_OID_HEX];
	char seen[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_open(&other, f->path, NULL), 0);
	assert_int_equal(regit_store_commit(h1, f->store, "", &a, 1, "a", NULL), 0);
	assert_int_equal(regit_store_head(other, seen), 0);
	assert_string_equal(seen, h1);
	assert_int_equal(regit_store_commit(h2, other, h1, &b, 1, "b", NULL), 0);
	/* The first handle still believes in h1 and loses. */
	assert_int_equal(regit_store_commit(h3, f->store, h1, &c, 1, "c", NULL), REGIT_ECONFLICT);
	assert_int_equal(regit_store_head(f->store, seen), 0);
	assert_string_equal(seen, h2);
	assert_int_equal(regit_store_commit(h3, f->store, h2, &c, 1, "c", NULL), 0);
	assert_int_equal(regit_store_list(&l, other, NULL), 0);
	assert_int_equal(l->nfiles, 3);
	regit_store_listing_free(l);
	regit_store_free(other);
}

typedef struct race_arg {
	regit_store *store;
	int thread;
	int wins;
	int conflicts;
} race_arg;

static void *race_thread(void *p)
{
	race_arg *a = p;
	int i;

	for (i = 0; i < 10; i++) {
		char path[64], head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX];
		regit_store_change c;
		int rc;

		snprintf(path, sizeof(path), "t%d/f%d", a->thread, i);
		c = put(path, path);
		for (;;) {
			if (regit_store_head(a->store, head) < 0)
				return NULL;
			rc = regit_store_commit(out, a->store, head, &c, 1, path, NULL);
			if (rc == 0)
				break;
			if (rc != REGIT_ECONFLICT)
				return NULL;
			a->conflicts++;
		}
		a->wins++;
	}
	return NULL;
}

static void test_store__racing_writers_never_lose_a_commit(void **state)
{
	fixture *f = *state;
	regit_store *handles[4];
	pthread_t th[8];
	race_arg args[8];
	regit_store_listing *l = NULL;
	int i, wins = 0;

	/* 8 threads over 4 handles: in-process and cross-handle races. */
	for (i = 0; i < 4; i++)
		assert_int_equal(regit_store_open(&handles[i], f->path, NULL), 0);
	for (i = 0; i < 8; i++) {
		args[i].store = handles[i % 4];
		args[i].thread = i;
		args[i].wins = args[i].conflicts = 0;
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, &args[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		wins += args[i].wins;
	}
	assert_int_equal(wins, 80);
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 80);
	regit_store_listing_free(l);
	assert_string_equal(sh("git --git-dir='%s' rev-list --count main", f->path), "80");
	for (i = 0; i < 4; i++)
		regit_store_free(handles[i]);
}

typedef struct blocked_arg {
	regit_store *store;
	char head[REGIT_STORE_OID_HEX];
	atomic_int done;
	int rc;
} blocked_arg;

static void *blocked_commit(void *p)
{
	blocked_arg *a = p;
	regit_store_change c = put("late", "late");
	char out[REGIT_STORE_OID_HEX];

	a->rc = regit_store_commit(out, a->store, a->head, &c, 1, "late", NULL);
	atomic_store(&a->done, 1);
	return NULL;
}

static void test_store__lock_writers_holds_off_other_handles(void **state)
{
	fixture *f = *state;
	regit_store *other = NULL;
	regit_store_change a = put("a", "1"), b = put("b", "2");
	char h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	struct timespec pause = { 0, 200 * 1000000L };
	blocked_arg arg;
	pthread_t th;

	assert_int_equal(regit_store_commit(h1, f->store, "", &a, 1, "a", NULL), 0);
	assert_int_equal(regit_store_open(&other, f->path, NULL), 0);
	regit_store_lock_writers(f->store);
	/* Another handle (another process) with the same view of the head
	 * waits for the lock instead of racing... */
	memset(&arg, 0, sizeof(arg));
	arg.store = other;
	strcpy(arg.head, h1);
	atomic_init(&arg.done, 0);
	assert_int_equal(pthread_create(&th, NULL, blocked_commit, &arg), 0);
	nanosleep(&pause, NULL);
	assert_int_equal(atomic_load(&arg.done), 0);
	/* ...so the holder's commits (which do not take the lock again) win. */
	assert_int_equal(regit_store_commit(h2, f->store, h1, &b, 1, "b", NULL), 0);
	regit_store_unlock_writers(f->store);
	pthread_join(th, NULL);
	assert_int_equal(arg.rc, REGIT_ECONFLICT);
	assert_int_equal(regit_store_head(other, head), 0);
	assert_string_equal(head, h2);
	/* Unlocking twice is harmless; the lock is free for the next writer. */
	regit_store_unlock_writers(f->store);
	strcpy(arg.head, h2);
	blocked_commit(&arg);
	assert_int_equal(arg.rc, 0);
	regit_store_free(other);
}

static void test_store__merged_large_trees_become_deltas(void **state)
{
	fixture *f = *state;
	regit_store_change *init;
	char (*paths)[32];
	char out[REGIT_STORE_OID_HEX];
	regit_store *other = NULL;
	regit_store_listing *l = NULL;
	long tree, packs;
	int i;

	/* A `subjects/` tree of 600 directories (~20 KB, above the size
	 * stored without zlib), then 40 commits adding one directory each:
	 * 41 packs, each with a whole copy of that tree until they merge. */
	init = calloc(600, sizeof(*init));
	paths = calloc(600, sizeof(*paths));
	assert_non_null(init);
	assert_non_null(paths);
	for (i = 0; i < 600; i++) {
		snprintf(paths[i], sizeof(paths[i]), "subjects/s%04d/v1", i);
		init[i] = put(paths[i], paths[i]);
	}
	assert_int_equal(regit_store_commit(out, f->store, "", init, 600, "init", NULL), 0);
	commit_each(f->store, "subjects/n%04d/v1", 40);
	regit_store_idle(f->store);
	tree = atol(sh("git --git-dir='%s' cat-file -s main:subjects", f->path));
	packs = atol(sh("cat '%s'/objects/pack/*.pack | wc -c", f->path));
	assert_true(tree > 16384);
	/* Whole copies would be over 41 trees; merged, most are deltas. */
	assert_true(packs < 15 * tree);
	expect_git_valid(f->path);
	/* Every tree of the history reads back (git and a fresh handle). */
	assert_string_equal(sh("git --git-dir='%s' log --format=%%H main | while read c; do "
		"git --git-dir='%s' ls-tree -r $c >/dev/null || echo bad; done; echo end",
		f->path, f->path), "end");
	assert_int_equal(regit_store_open(&other, f->path, NULL), 0);
	assert_int_equal(regit_store_list(&l, other, NULL), 0);
	assert_int_equal(l->nfiles, 640);
	expect_content(other, l, "subjects/n0039/v1", "subjects/n0039/v1");
	expect_content(other, l, "subjects/s0000/v1", "subjects/s0000/v1");
	regit_store_listing_free(l);
	regit_store_free(other);
	free(paths);
	free(init);
}

static void test_store__malformed_tree_is_refused(void **state)
{
	fixture *f = *state;
	regit_store_change a = put("a", "1"), b = put("b", "2");
	char out[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit(out, f->store, "", &a, 1, "a", NULL), 0);
	/* A pushed head whose tree has an entry without its id. */
	assert_string_equal(sh("cd '%s' && t=$(printf '100644 x' | git --git-dir=. hash-object -t tree "
		"-w --literally --stdin) && c=$(git --git-dir=. commit-tree $t -p main -m bad) && "
		"git --git-dir=. update-ref refs/heads/main $c && echo pushed", f->path), "pushed");
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_int_equal(regit_store_commit(out, f->store, head, &b, 1, "b", NULL), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "malformed tree"));
}

/* A file in the store's pack directory, its times set age seconds back. */
static void plant(const char *store_path, const char *name, long age)
{
	char path[1024];
	struct timespec t[2];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/objects/pack/%s", store_path, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("half a pack", fp);
	fclose(fp);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static int planted(const char *store_path, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/objects/pack/%s", store_path, name);
	return access(path, F_OK) == 0;
}

/* issue #13: the temporary files of a writer killed mid-pack are removed
 * when the store is next opened; a live write's (recent) files and files
 * that are not regit's stay. */
static void test_store__open_removes_a_killed_writers_temporary_packs(void **state)
{
	fixture *f = *state;
	regit_store_change c = put("subjects/x/v1.avsc", "{\"type\":\"string\"}");
	char h[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit(h, f->store, NULL, &c, 1, "x", NULL), 0);
	regit_store_free(f->store);
	f->store = NULL;
	plant(f->path, "tmp_regit_pack_AbC123", 2 * 3600);
	plant(f->path, "tmp_regit_idx_AbC123", 2 * 3600);
	plant(f->path, "tmp_regit_pack_live01", 60);
	plant(f->path, "tmp_pack_fromgit", 2 * 3600);
	assert_int_equal(regit_store_open(&f->store, f->path, NULL), 0);
	assert_false(planted(f->path, "tmp_regit_pack_AbC123"));
	assert_false(planted(f->path, "tmp_regit_idx_AbC123"));
	assert_true(planted(f->path, "tmp_regit_pack_live01"));
	assert_true(planted(f->path, "tmp_pack_fromgit"));
	assert_int_equal(regit_store_head(f->store, h), 0);
	expect_git_valid(f->path);
}

static void test_store__reopen_sees_everything(void **state)
{
	fixture *f = *state;
	regit_store_change c = put("subjects/x/v1.avsc", "{\"type\":\"string\"}");
	regit_store_listing *l = NULL;
	char h[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit(h, f->store, NULL, &c, 1, "x", NULL), 0);
	regit_store_free(f->store);
	f->store = NULL;
	assert_int_equal(regit_store_open(&f->store, f->path, NULL), 0);
	assert_int_equal(regit_store_head(f->store, head), 0);
	assert_string_equal(head, h);
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 1);
	expect_content(f->store, l, "subjects/x/v1.avsc", "{\"type\":\"string\"}");
	regit_store_listing_free(l);
}

static void test_store__bad_paths_and_authors(void **state)
{
	fixture *f = *state;
	static const char *const bad[] = {
		"", "/a", "a/", "a//b", "../a", "a/../b", "./a", ".git/config", "a/.GIT",
	};
	regit_store_change c;
	char h[REGIT_STORE_OID_HEX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		c = put(bad[i], "x");
		assert_int_equal(regit_store_commit(h, f->store, NULL, &c, 1, "bad", NULL),
			REGIT_EINVALID);
	}
	c = put("ok", "x");
	assert_int_equal(regit_store_commit(h, f->store, NULL, &c, 1, "ok",
		"Mallory <evil@x>\nInjected: yes"), 0);
	assert_string_equal(sh("git --git-dir='%s' log -1 --format=%%an", f->path),
		"Mallory _evil@x__Injected: yes");
}

static void test_store__read_is_bounded(void **state)
{
	fixture *f = *state;
	regit_store_change c = put("big", "0123456789");
	regit_store_listing *l = NULL;
	regit_buf b;
	char h[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit(h, f->store, NULL, &c, 1, "big", NULL), 0);
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	regit_buf_init(&b, 5);
	assert_int_equal(regit_store_read(&b, f->store, &l->files[0].oid), REGIT_ELIMIT);
	regit_buf_dispose(&b);
	regit_store_listing_free(l);
}

static void test_store__open_refuses_non_repository(void **state)
{
	fixture *f = *state;
	regit_store *s = NULL;
	char path[600];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/plainfile", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("x", fp);
	fclose(fp);
	assert_int_equal(regit_store_open(&s, path, NULL), REGIT_EIO);
	assert_null(s);
	/* An empty directory becomes a store. */
	snprintf(path, sizeof(path), "%s/emptydir", f->dir);
	assert_int_equal(system(sh("mkdir -p '%s' && echo true", path)), 0);
	assert_int_equal(regit_store_open(&s, path, NULL), 0);
	regit_store_free(s);
	s = NULL;
	/* A git checkout, or any directory with files, is not made a store:
	 * no `git init --bare` into someone's working tree. */
	snprintf(path, sizeof(path), "%s/checkout", f->dir);
	assert_int_equal(system(sh("git init -q '%s' && echo hi > '%s/README' && echo true",
		path, path)), 0);
	assert_int_equal(regit_store_open(&s, path, NULL), REGIT_EINVALID);
	assert_null(s);
	assert_non_null(strstr(regit_error_message(), "not a bare git repository"));
	assert_int_equal(system(sh("test ! -e '%s/HEAD' && test ! -e '%s/objects' && echo true",
		path, path)), 0);
	snprintf(path, sizeof(path), "%s/datadir", f->dir);
	assert_int_equal(system(sh("mkdir -p '%s' && touch '%s/.keep' && echo true",
		path, path)), 0);
	assert_int_equal(regit_store_open(&s, path, NULL), REGIT_EINVALID);
	assert_null(s);
}

static void test_store__chain_is_one_commit_per_change(void **state)
{
	fixture *f = *state;
	regit_store_change a = put("a", "1"), b = put("b", "2"), c = put("a", "3");
	regit_store_commit_spec specs[3] = {
		{ &a, 1, "first", "alice" }, { &b, 1, "second", "bob" }, { &c, 1, "third", NULL },
	};
	regit_store_listing *l = NULL;
	char h[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_commit_chain(h, f->store, "", specs, 3), 0);
	assert_string_equal(sh("git --git-dir='%s' log --format=%%s:%%an main | tr '\\n' ' '", f->path),
		"third:regit second:bob first:alice ");
	assert_string_equal(sh("git --git-dir='%s' show main~1:a", f->path), "1");
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 2);
	expect_content(f->store, l, "a", "3");
	regit_store_listing_free(l);
	/* A stale chain publishes nothing. */
	assert_int_equal(regit_store_commit_chain(h2, f->store, "", specs, 3), REGIT_ECONFLICT);
	assert_string_equal(sh("git --git-dir='%s' rev-list --count main", f->path), "3");
}

static void test_store__packs_stay_few(void **state)
{
	fixture *f = *state;
	regit_store_listing *l = NULL;

	/* One pack per commit, merged geometrically: never more than a handful. */
	commit_each(f->store, "d%d/f", 60);
	regit_store_idle(f->store);
	assert_true(atoi(sh("ls '%s'/objects/pack/*.idx | wc -l", f->path)) <= 17);
	assert_string_equal(sh("ls '%s'/objects/ | grep -c '^[0-9a-f][0-9a-f]$'", f->path), "0");
	expect_git_valid(f->path);
	/* Nothing temporary is left behind. */
	assert_string_equal(sh("ls '%s'/objects/pack | grep -c tmp_", f->path), "0");
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 60);
	expect_content(f->store, l, "d0/f", "d0/f");
	regit_store_listing_free(l);
}

/*
 * Merging copies pack entries as they are. A pack git wrote holds deltas
 * (OFS_DELTA: the base named by its distance, which the merge rewrites);
 * once enough commits followed, the geometric merge takes it in too, and
 * git must still find every object, deltas intact.
 */
static void test_store__merge_keeps_gits_deltas(void **state)
{
	fixture *f = *state;
	char head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX], first[128];
	regit_store_listing *l = NULL;
	char expect[4096];
	int i;

	assert_string_equal(sh("cd '%s' && git init -q -b main w && cd w && "
		"for i in $(seq 1 40); do seq 1 $((300 + i)) > f$i; done && git add . && "
		"git -c user.name=t -c user.email=t@t commit -qm seed && "
		"git push -q '%s' main && git --git-dir='%s' repack -adfq && "
		"git --git-dir='%s' verify-pack -v '%s'/objects/pack/*.idx | grep -q 'chain length' && echo deltas",
		f->dir, f->path, f->path, f->path, f->path), "deltas");
	snprintf(first, sizeof(first), "%s", sh("ls '%s'/objects/pack/ | grep idx", f->path));
	for (i = 0; i < 120; i++) {
		char path[32];
		regit_store_change c;

		snprintf(path, sizeof(path), "d%d/f", i);
		c = put(path, path);
		assert_int_equal(regit_store_head(f->store, head), 0);
		assert_int_equal(regit_store_commit(out, f->store, head, &c, 1, path, NULL), 0);
	}
	regit_store_idle(f->store);
	/* git's pack was merged away, its deltas copied. */
	assert_string_equal(sh("ls '%s'/objects/pack/ | grep -c '%s'", f->path, first), "0");
	assert_string_equal(sh("git --git-dir='%s' verify-pack -v '%s'/objects/pack/*.idx | "
		"grep -q 'chain length' && echo deltas", f->path, f->path), "deltas");
	assert_string_equal(sh("git --git-dir='%s' fsck --strict 2>&1 && echo clean", f->path), "clean");
	assert_true(atoi(sh("ls '%s'/objects/pack/*.idx | wc -l", f->path)) <= 17);
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 160);
	expect[0] = '\0';
	for (i = 1; i <= 340; i++)
		snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect), "%d\n", i);
	expect_content(f->store, l, "f40", expect);
	expect_content(f->store, l, "d119/f", "d119/f");
	regit_store_listing_free(l);
}

/*
 * A chain that keeps changing one large directory (the subjects directory
 * of a batch of registrations) writes each new version of that tree as a
 * delta against the previous one, in one pack; chains longer than the
 * delta depth limit start over with a whole tree. git and a fresh handle
 * read every commit's tree back, and the editing keeps git's order when
 * names are files, directories, or turn from one into the other.
 */
static void test_store__chain_writes_deltas(void **state)
{
	fixture *f = *state;
	enum { BASE = 700, CHAIN = 60 };
	regit_store_change *seed = calloc(BASE, sizeof(*seed));
	regit_store_change *adds = calloc(CHAIN, sizeof(*adds));
	regit_store_commit_spec specs[CHAIN];
	char (*paths)[48] = calloc(BASE + CHAIN, sizeof(*paths));
	char head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX];
	regit_store_listing *l = NULL;
	regit_store *other = NULL;
	int i;

	assert_non_null(seed);
	assert_non_null(adds);
	assert_non_null(paths);
	for (i = 0; i < BASE; i++) {
		snprintf(paths[i], sizeof(paths[i]), "subjects/subject-%04d/v1.json", i);
		seed[i] = put(paths[i], paths[i]);
	}
	assert_int_equal(regit_store_commit(head, f->store, "", seed, BASE, "seed", NULL), 0);
	for (i = 0; i < CHAIN; i++) {
		/* Spread over the directory: each lands between old entries. */
		snprintf(paths[BASE + i], sizeof(paths[0]), "subjects/subject-%04d-x/v1.json",
			(i * 37) % BASE);
		adds[i] = put(paths[BASE + i], paths[BASE + i]);
		specs[i].changes = &adds[i];
		specs[i].nchanges = 1;
		specs[i].message = paths[BASE + i];
		specs[i].author = NULL;
	}
	assert_int_equal(regit_store_commit_chain(out, f->store, head, specs, CHAIN), 0);
	expect_git_valid(f->path);
	/* Deltas, and chains no longer than 50. */
	assert_true(atoi(sh("git verify-pack -v '%s'/objects/pack/*.idx | "
		"awk '$2 == \"tree\" && NF == 7 {n++} END {print n + 0}'", f->path)) >= CHAIN - 2);
	assert_string_equal(sh("git verify-pack -v '%s'/objects/pack/*.idx | "
		"awk '/^chain length = / {v = $4 + 0; if (v > m) m = v} END {print m}'",
		f->path), "50");
	assert_string_equal(sh("git --git-dir='%s' ls-tree main subjects/ | wc -l", f->path), "760");
	for (i = 1; i < CHAIN; i += 13)
		assert_string_equal(sh("git --git-dir='%s' ls-tree main~%d subjects/ | wc -l",
			f->path, i), i == 1 ? "759" : sh("echo %d", BASE + CHAIN - i));
	assert_int_equal(regit_store_open(&other, f->path, NULL), 0);
	assert_int_equal(regit_store_list(&l, other, NULL), 0);
	assert_int_equal(l->nfiles, BASE + CHAIN);
	expect_content(other, l, paths[BASE + CHAIN - 1], paths[BASE + CHAIN - 1]);
	expect_content(other, l, paths[0], paths[0]);
	regit_store_listing_free(l);

	/* A file becomes a directory and back; removals prune. */
	{
		regit_store_change c1[] = { put("subjects/subject-0001", "now a file"),
			rm("subjects/subject-0002/v1.json") };
		regit_store_change c2[] = { put("subjects/subject-0001/v2.json", "dir again") };

		assert_int_equal(regit_store_commit(head, other, out, c1, 2, "flip", NULL), 0);
		assert_string_equal(sh("git --git-dir='%s' cat-file -p main:subjects/subject-0001",
			f->path), "now a file");
		assert_string_equal(sh("git --git-dir='%s' ls-tree main subjects/ | wc -l", f->path),
			"759");
		assert_int_equal(regit_store_commit(out, other, head, c2, 1, "flop", NULL), 0);
		assert_string_equal(sh("git --git-dir='%s' ls-tree --name-only main "
			"subjects/subject-0001/", f->path), "subjects/subject-0001/v2.json");
		assert_string_equal(sh("git --git-dir='%s' fsck --strict 2>&1 && echo clean",
			f->path), "clean");
	}
	regit_store_free(other);
	free(seed);
	free(adds);
	free(paths);
}

/* Trees are written by the store: entries in git's order, where a
 * directory sorts as if its name ended in '/' ("a-b" < "a/" < "a0"). */
static void test_store__tree_order_is_gits(void **state)
{
	fixture *f = *state;
	char out[REGIT_STORE_OID_HEX];
	regit_store_listing *l = NULL;
	regit_store_change c[5];

	c[0] = put("a/x", "1");
	c[1] = put("a-b", "2");
	c[2] = put("a0", "3");
	c[3] = put("a.c/y", "4");
	c[4] = put("b", "5");
	assert_int_equal(regit_store_commit(out, f->store, "", c, 5, "order", NULL), 0);
	assert_string_equal(sh("git --git-dir='%s' fsck --strict 2>&1 && echo clean", f->path), "clean");
	assert_string_equal(sh("git --git-dir='%s' ls-tree --name-only main | tr '\\n' ' '", f->path),
		"a-b a.c a a0 b ");
	assert_int_equal(regit_store_list(&l, f->store, NULL), 0);
	assert_int_equal(l->nfiles, 5);
	expect_content(f->store, l, "a/x", "1");
	expect_content(f->store, l, "a.c/y", "4");
	regit_store_listing_free(l);
}

/* An object larger than the pack writer's buffer, and one that is empty. */
static void test_store__big_and_empty_files(void **state)
{
	fixture *f = *state;
	char out[REGIT_STORE_OID_HEX];
	regit_store_listing *l = NULL;
	regit_store *other = NULL;
	regit_buf b = REGIT_BUF_INIT;
	regit_store_change c[2];
	size_t i, n = 300000;
	char *big = malloc(n + 1);

	assert_non_null(big);
	/* Not very compressible: the deflated form spans several buffers too. */
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + (i * 7919 + i / 13) % 26);
	big[n] = '\0';
	c[0] = put("big", big);
	c[1] = put("empty", "");
	assert_int_equal(regit_store_commit(out, f->store, "", c, 2, "big", NULL), 0);
	expect_git_valid(f->path);
	assert_string_equal(sh("git --git-dir='%s' cat-file -s main:big", f->path), "300000");
	/* A fresh handle (another process) reads both back. */
	assert_int_equal(regit_store_open(&other, f->path, NULL), 0);
	assert_int_equal(regit_store_list(&l, other, NULL), 0);
	assert_int_equal(l->nfiles, 2);
	expect_content(other, l, "empty", "");
	assert_int_equal(regit_store_read(&b, other, &find(l, "big")->oid), 0);
	assert_int_equal(b.size, n);
	assert_memory_equal(b.ptr, big, n);
	regit_buf_dispose(&b);
	regit_store_listing_free(l);
	regit_store_free(other);
	free(big);
}

/* The writer lock lives in the store directory, which pushers can write: a
 * symlink planted as regit-write.lock must not make the server create (or
 * lock) a file elsewhere. Commits still work, with the compare-and-swap. */
static void test_store__writer_lock_does_not_follow_symlinks(void **state)
{
	fixture *f = *state;
	regit_store_change a = put("a", "1"), b = put("b", "2");
	char lock[600], target[600], h1[REGIT_STORE_OID_HEX], h2[REGIT_STORE_OID_HEX];
	struct stat st;

	snprintf(lock, sizeof(lock), "%s/regit-write.lock", f->path);
	snprintf(target, sizeof(target), "%s/created-through-symlink", f->dir);
	unlink(lock);
	assert_int_equal(symlink(target, lock), 0);
	assert_int_equal(regit_store_commit(h1, f->store, "", &a, 1, "a", NULL), 0);
	regit_store_lock_writers(f->store);
	assert_int_equal(regit_store_commit(h2, f->store, h1, &b, 1, "b", NULL), 0);
	regit_store_unlock_writers(f->store);
	assert_int_not_equal(stat(target, &st), 0);
	assert_int_equal(lstat(lock, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

/* ---- history of a path (regit_store_log, regit_store_file_origins) ---- */

typedef struct log_seen {
	char summary[8][64];
	char author[8][32];
	size_t n;
} log_seen;

static int log_collect(const regit_store_log_entry *e, void *payload)
{
	log_seen *s = payload;

	if (s->n < 8) {
		snprintf(s->summary[s->n], sizeof(s->summary[0]), "%s", e->summary);
		snprintf(s->author[s->n], sizeof(s->author[0]), "%s", e->author);
		s->n++;
	}
	return 0;
}

static void origins_collect(size_t i, const regit_store_log_entry *e, void *payload)
{
	log_seen *s = payload;

	if (i < 8)
		snprintf(s->summary[i], sizeof(s->summary[0]), "%s", e->summary);
}

static void commit1(regit_store *store, regit_store_change c, const char *msg, const char *author)
{
	char head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_head(store, head), 0);
	assert_int_equal(regit_store_commit(out, store, head, &c, 1, msg, author), 0);
}

static void test_store__log_follows_a_path(void **state)
{
	fixture *f = *state;
	const char *names[] = { "v1", "v2", "v9" };
	char next[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	log_seen s;

	commit1(f->store, put("s/a/v1", "1"), "add a/v1", "ada");
	commit1(f->store, put("s/b/v1", "1"), "add b/v1", "bob");
	commit1(f->store, put("s/a/v2", "2"), "add a/v2", "bob");
	commit1(f->store, put("s/a/v1", "1b"), "change a/v1", "ada");
	commit1(f->store, rm("s/a/v2"), "remove a/v2", "cy");
	commit1(f->store, put("s/a/v2", "2b"), "re-add a/v2", "cy");
	commit1(f->store, put("s/b/v2", "2"), "add b/v2", "bob");

	/* Only the commits that touched s/a, newest first. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->store, NULL, "s/a", 0, 10, log_collect, &s), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.summary[0], "re-add a/v2");
	assert_string_equal(s.author[0], "cy");
	assert_string_equal(s.summary[4], "add a/v1");
	assert_string_equal(next, "");

	/* Pages: two, then from `next` the rest; skip works too. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->store, NULL, "s/a", 0, 2, log_collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(strlen(next), 40);
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(head, f->store, next, "s/a", 0, 10, log_collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.summary[0], "change a/v1");
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->store, NULL, "s/a", 4, 10, log_collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.summary[0], "add a/v1");

	/* A file path; a path never present; bad arguments. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->store, NULL, "s/b/v2", 0, 10, log_collect, &s), 0);
	assert_int_equal(s.n, 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->store, NULL, "s/zz", 0, 10, log_collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(regit_store_log(next, f->store, NULL, "s/a", 0, 0, log_collect, &s),
		REGIT_EINVALID);
	assert_int_equal(regit_store_log(next, f->store, "nothex", "s/a", 0, 1, log_collect, &s),
		REGIT_EINVALID);
	assert_true(regit_store_log(next, f->store, "0123456789012345678901234567890123456789",
		"s/a", 0, 1, log_collect, &s) < 0);

	/* Which commit added each file as it is now: a/v2's re-add, not its first add. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_file_origins(f->store, NULL, "s/a", names, 3, origins_collect,
		&s), 0);
	assert_string_equal(s.summary[0], "add a/v1");
	assert_string_equal(s.summary[1], "re-add a/v2");
	assert_string_equal(s.summary[2], "");
}

static void test_store__log_of_an_empty_store(void **state)
{
	fixture *f = *state;
	const char *names[] = { "v1" };
	char next[REGIT_STORE_OID_HEX];
	log_seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->store, NULL, "s/a", 0, 10, log_collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(regit_store_file_origins(f->store, NULL, "s/a", names, 1, origins_collect,
		&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store__new_store_is_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__open_removes_a_killed_writers_temporary_packs,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__log_follows_a_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__log_of_an_empty_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__commit_list_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__remove_prunes_empty_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__duplicate_paths_last_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__cas_refuses_stale_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__two_handles_like_two_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__racing_writers_never_lose_a_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__lock_writers_holds_off_other_handles, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_store__merged_large_trees_become_deltas, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_store__malformed_tree_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__reopen_sees_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__bad_paths_and_authors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__read_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__open_refuses_non_repository, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__chain_is_one_commit_per_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__packs_stay_few, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__merge_keeps_gits_deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__chain_writes_deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__big_and_empty_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__tree_order_is_gits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__writer_lock_does_not_follow_symlinks, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
