/*
 * test_store_api.c - the store interface (store.h) as a contract: every
 * test here runs against the git store (regit_store_open on a temporary
 * bare repository) and against the in-memory store (regit_store_open_mem),
 * and must pass on both. It is what lets a test above the store use the
 * in-memory one: the head's compare-and-swap, listings, blob ids, path
 * rules, chains, history (first parents, ancestry, resolve, read_at, log,
 * file origins) and the served ref behave the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tests/support/tmpdir.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct fixture {
	char *dir;
	regit_store *s;
} fixture;

static const char git_kind[] = "git", mem_kind[] = "memory";

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	if (*state == git_kind) {
		char path[4096];

		f->dir = test_tmpdir_new("storeapi");
		assert_non_null(f->dir);
		snprintf(path, sizeof(path), "%s/registry.git", f->dir);
		assert_int_equal(regit_store_open(&f->s, path, NULL), 0);
	} else {
		assert_int_equal(regit_store_open_mem(&f->s, NULL), 0);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	regit_store_free(f->s);
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

/* Commit changes on the current head; returns the new head (static). */
static const char *commit(regit_store *s, const regit_store_change *c, size_t n,
	const char *msg, const char *author)
{
	static char out[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_head(s, head), 0);
	assert_int_equal(regit_store_commit(out, s, head, c, n, msg, author), 0);
	assert_int_equal(regit_store_head(s, head), 0);
	assert_string_equal(head, out);
	return out;
}

/* The listing's paths joined with spaces. */
static const char *paths(regit_store *s, const char *at)
{
	static char buf[4096];
	regit_store_listing *l = NULL;
	size_t i, off = 0;

	assert_int_equal(regit_store_list(&l, s, at), 0);
	buf[0] = '\0';
	for (i = 0; i < l->nfiles; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "",
			l->files[i].path);
	regit_store_listing_free(l);
	return buf;
}

static const char *read_at(regit_store *s, const char *at, const char *path)
{
	static char buf[1024];
	regit_buf b = REGIT_BUF_INIT;

	assert_int_equal(regit_store_read_at(&b, s, at, path), 0);
	snprintf(buf, sizeof(buf), "%s", regit_buf_cstr(&b));
	regit_buf_dispose(&b);
	return buf;
}

static void test_api__empty_store(void **state)
{
	fixture *f = *state;
	regit_store_listing *l = NULL;
	char head[REGIT_STORE_OID_HEX], served[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_head(f->s, head), 0);
	assert_string_equal(head, "");
	assert_int_equal(regit_store_list(&l, f->s, NULL), 0);
	assert_int_equal(l->nfiles, 0);
	assert_string_equal(l->head, "");
	regit_store_listing_free(l);
	assert_int_equal(regit_store_served(f->s, served), 0);
	assert_string_equal(served, "");
	assert_int_equal(regit_store_list(&l, f->s, "0123456789012345678901234567890123456789"),
		REGIT_ENOTFOUND);
	assert_null(l);
}

static void test_api__commit_list_read(void **state)
{
	fixture *f = *state;
	regit_store_change c[] = { put("subjects/b/v1.json", "{\"v\":1}"),
		put("subjects/a/v1.avsc", "\"string\""), put("regit.json", "{}") };
	regit_store_listing *l = NULL;
	regit_store_oid want;
	regit_buf b = REGIT_BUF_INIT;
	const char *head = commit(f->s, c, 3, "first", NULL);
	char h[REGIT_STORE_OID_HEX];

	snprintf(h, sizeof(h), "%s", head);
	assert_int_equal(strlen(h), 40);
	assert_int_equal(regit_store_list(&l, f->s, NULL), 0);
	assert_string_equal(l->head, h);
	assert_int_equal(l->nfiles, 3);
	/* sorted by path, byte order */
	assert_string_equal(l->files[0].path, "regit.json");
	assert_string_equal(l->files[1].path, "subjects/a/v1.avsc");
	assert_string_equal(l->files[2].path, "subjects/b/v1.json");
	/* blob ids are the content's, as regit_store_blob_oid says */
	assert_int_equal(regit_store_blob_oid(&want, "\"string\"", 8), 0);
	assert_memory_equal(l->files[1].oid.id, want.id, 20);
	assert_int_equal(regit_store_read(&b, f->s, &l->files[1].oid), 0);
	assert_string_equal(regit_buf_cstr(&b), "\"string\"");
	regit_buf_dispose(&b);
	/* a bounded read */
	regit_buf_init(&b, 3);
	assert_int_equal(regit_store_read(&b, f->s, &l->files[2].oid), REGIT_ELIMIT);
	regit_buf_dispose(&b);
	memset(&want, 0x5a, sizeof(want));
	regit_buf_init(&b, 100);
	assert_int_equal(regit_store_read(&b, f->s, &want), REGIT_ENOTFOUND);
	regit_buf_dispose(&b);
	regit_store_listing_free(l);
	/* the listing of a commit by id */
	assert_string_equal(paths(f->s, h), "regit.json subjects/a/v1.avsc subjects/b/v1.json");
}

static void test_api__compare_and_swap(void **state)
{
	fixture *f = *state;
	regit_store_change c = put("a", "1");
	char first[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX];

	snprintf(first, sizeof(first), "%s", commit(f->s, &c, 1, "one", NULL));
	/* the branch exists: "no branch yet" is stale */
	assert_int_equal(regit_store_commit(out, f->s, "", &c, 1, "x", NULL), REGIT_ECONFLICT);
	c = put("a", "2");
	(void)commit(f->s, &c, 1, "two", NULL);
	/* the first head is stale now; nothing is published */
	c = put("a", "3");
	assert_int_equal(regit_store_commit(out, f->s, first, &c, 1, "x", NULL), REGIT_ECONFLICT);
	assert_string_equal(out, "");
	assert_string_equal(read_at(f->s, commit(f->s, &c, 1, "three", NULL), "a"), "3");
	assert_int_equal(regit_store_commit(out, f->s, "nothex", &c, 1, "x", NULL), REGIT_EINVALID);
}

static void test_api__paths_files_and_directories(void **state)
{
	fixture *f = *state;
	regit_store_change dup[] = { put("s/x", "1"), put("s/x", "2"), put("s/y", "y"),
		put("t/u/v", "v"), put("f", "file") };
	regit_store_change c[3];
	const char *bad[] = { "", "../x", "a/../b", "a//b", "a/", ".git/config", "a/.GIT/x", "." };
	char out[REGIT_STORE_OID_HEX];
	const char *head;

	head = commit(f->s, dup, 5, "dup", NULL);
	/* a path given twice ends as its last change */
	assert_string_equal(read_at(f->s, head, "s/x"), "2");
	/* removing the last file of a directory removes the directory */
	c[0] = rm("t/u/v");
	c[1] = rm("missing/too");
	head = commit(f->s, c, 2, "rm", NULL);
	assert_string_equal(paths(f->s, NULL), "f s/x s/y");
	/* a name is a file or a directory: writing one replaces the other */
	c[0] = put("f/inner", "i");
	c[1] = put("s", "now a file");
	(void)commit(f->s, c, 2, "swap", NULL);
	assert_string_equal(paths(f->s, NULL), "f/inner s");
	/* removing a directory's name removes what is under it */
	c[0] = rm("f");
	(void)commit(f->s, c, 1, "rmdir", NULL);
	assert_string_equal(paths(f->s, NULL), "s");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char h[REGIT_STORE_OID_HEX];

		assert_int_equal(regit_store_head(f->s, h), 0);
		c[0] = put(bad[i], "x");
		assert_int_equal(regit_store_commit(out, f->s, h, c, 1, "bad", NULL), REGIT_EINVALID);
	}
	(void)head;
}

/* A chain is one commit per change set; history reads it back. */
static void test_api__chain_and_history(void **state)
{
	fixture *f = *state;
	regit_store_change c0 = put("regit.json", "{\"next_id\":1}");
	regit_store_change c1[] = { put("subjects/a/v1.avsc", "a1"), put("regit.json", "2") };
	regit_store_change c2[] = { put("subjects/b/v1.avsc", "b1"), put("regit.json", "3") };
	regit_store_change c3[] = { put("subjects/a/v2.avsc", "a2"), put("regit.json", "4") };
	regit_store_commit_spec specs[] = { { c1, 2, "register a/1", "alice" },
		{ c2, 2, "register b/1", "bob" }, { c3, 2, "register a/2\n\nbody", "ca<rol>" } };
	regit_store_commits list;
	char base[REGIT_STORE_OID_HEX], tip[REGIT_STORE_OID_HEX], r[REGIT_STORE_OID_HEX];

	snprintf(base, sizeof(base), "%s", commit(f->s, &c0, 1, "init", NULL));
	assert_int_equal(regit_store_commit_chain(tip, f->s, base, specs, 3), 0);
	assert_int_equal(regit_store_first_parents(&list, f->s, tip, base, 10), 0);
	assert_int_equal(list.n, 3);
	assert_string_equal(list.ids[2], tip);
	assert_string_equal(read_at(f->s, list.ids[0], "regit.json"), "2");
	assert_string_equal(read_at(f->s, list.ids[1], "subjects/b/v1.avsc"), "b1");
	assert_string_equal(paths(f->s, list.ids[0]), "regit.json subjects/a/v1.avsc");
	assert_int_equal(regit_store_descends(f->s, tip, base), 1);
	assert_int_equal(regit_store_descends(f->s, base, tip), 0);
	assert_int_equal(regit_store_descends(f->s, tip, tip), 1);
	assert_int_equal(regit_store_descends(f->s, tip, ""), 1);
	assert_int_equal(regit_store_resolve(f->s, "main", r), 0);
	assert_string_equal(r, tip);
	assert_int_equal(regit_store_resolve(f->s, "main~2", r), 0);
	assert_string_equal(r, list.ids[0]);
	assert_int_equal(regit_store_resolve(f->s, list.ids[1], r), 0);
	assert_string_equal(r, list.ids[1]);
	assert_int_equal(regit_store_resolve(f->s, "nosuchbranch", r), REGIT_ENOTFOUND);
	regit_store_commits_dispose(&list);
	/* from the root: every commit; a bound; a base not on the chain */
	assert_int_equal(regit_store_first_parents(&list, f->s, tip, NULL, 10), 0);
	assert_int_equal(list.n, 4);
	assert_string_equal(list.ids[0], base);
	regit_store_commits_dispose(&list);
	assert_int_equal(regit_store_first_parents(&list, f->s, tip, NULL, 2), REGIT_ELIMIT);
	assert_int_equal(regit_store_first_parents(&list, f->s, base, tip, 10), REGIT_ENOTFOUND);
	{
		regit_buf b = REGIT_BUF_INIT;

		assert_int_equal(regit_store_read_at(&b, f->s, tip, "subjects/c/v1.avsc"),
			REGIT_ENOTFOUND);
		assert_int_equal(regit_store_read_at(&b, f->s, "zz", "regit.json"), REGIT_EINVALID);
		regit_buf_dispose(&b);
	}
}

typedef struct seen {
	char summary[8][64], author[8][64], commit[8][REGIT_STORE_OID_HEX];
	size_t n;
} seen;

static int log_cb(const regit_store_log_entry *e, void *payload)
{
	seen *s = payload;

	assert_true(s->n < 8);
	snprintf(s->summary[s->n], sizeof(s->summary[0]), "%s", e->summary);
	snprintf(s->author[s->n], sizeof(s->author[0]), "%s", e->author);
	snprintf(s->commit[s->n], sizeof(s->commit[0]), "%s", e->commit);
	assert_string_equal(e->email, "regit@localhost");
	assert_true(e->time > 1600000000);
	s->n++;
	return 0;
}

static void origins_cb(size_t i, const regit_store_log_entry *e, void *payload)
{
	seen *s = payload;

	snprintf(s->summary[i], sizeof(s->summary[0]), "%s", e->summary);
	s->n++;
}

static void test_api__log_and_origins(void **state)
{
	fixture *f = *state;
	regit_store_change c;
	char next[REGIT_STORE_OID_HEX];
	const char *names[] = { "v1.avsc", "v2.avsc", "v9.avsc" };
	seen s;

	c = put("subjects/a/v1.avsc", "1");
	(void)commit(f->s, &c, 1, "a1", "alice");
	c = put("subjects/b/v1.avsc", "1");
	(void)commit(f->s, &c, 1, "b1", "bob");
	c = put("subjects/a/v2.avsc", "2");
	(void)commit(f->s, &c, 1, "a2\n\nthe body", "ca<rol>");
	c = put("subjects/a/v1.avsc", "1");        /* same content: no change */
	(void)commit(f->s, &c, 1, "noop", NULL);
	c = rm("subjects/a/v1.avsc");
	(void)commit(f->s, &c, 1, "a1 gone", NULL);

	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->s, NULL, "subjects/a", 0, 10, log_cb, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.summary[0], "a1 gone");
	assert_string_equal(s.summary[1], "a2");
	assert_string_equal(s.author[1], "ca_rol_");
	assert_string_equal(s.summary[2], "a1");
	assert_string_equal(s.author[2], "alice");
	assert_string_equal(next, "");
	/* one file's history; skip and limit; the page's continuation */
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->s, NULL, "subjects/a/v1.avsc", 0, 10, log_cb,
		&s), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_log(next, f->s, NULL, "subjects/a", 1, 1, log_cb, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.summary[0], "a2");
	assert_int_equal(strlen(next), 40);
	{
		seen rest;
		char from[REGIT_STORE_OID_HEX];

		memcpy(from, next, sizeof(from));
		memset(&rest, 0, sizeof(rest));
		assert_int_equal(regit_store_log(next, f->s, from, "subjects/a", 0, 10, log_cb,
			&rest), 0);
		assert_int_equal(rest.n, 1);
		assert_string_equal(rest.summary[0], "a1");
	}
	assert_int_equal(regit_store_log(next, f->s, NULL, "", 0, 10, log_cb, &s), REGIT_EINVALID);
	assert_int_equal(regit_store_log(next, f->s, "xyz", "a", 0, 10, log_cb, &s), REGIT_EINVALID);

	/* the newest commit that added each name (v1, removed since, was
	 * added by "a1"; v9 never was: no call) */
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_file_origins(f->s, NULL, "subjects/a", names, 3, origins_cb,
		&s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.summary[0], "a1");
	assert_string_equal(s.summary[1], "a2");
	assert_string_equal(s.summary[2], "");
	memset(&s, 0, sizeof(s));
	assert_int_equal(regit_store_file_origins(f->s, NULL, "subjects/b", names, 1, origins_cb,
		&s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.summary[0], "b1");
}

static void test_api__served_ref(void **state)
{
	fixture *f = *state;
	regit_store_change c = put("x", "1");
	char head[REGIT_STORE_OID_HEX], served[REGIT_STORE_OID_HEX];

	snprintf(head, sizeof(head), "%s", commit(f->s, &c, 1, "x", NULL));
	assert_int_equal(regit_store_set_served(f->s, "", 1), 0);
	assert_int_equal(regit_store_served(f->s, served), 0);
	assert_string_equal(served, "");
	assert_int_equal(regit_store_set_served(f->s, head, 1), 0);
	assert_int_equal(regit_store_served(f->s, served), 0);
	assert_string_equal(served, head);
	assert_int_equal(regit_store_set_served(f->s, "not a commit", 0), REGIT_EINVALID);
	/* an id that names no commit is as good as none */
	assert_int_equal(regit_store_set_served(f->s,
		"0123456789012345678901234567890123456789", 0), 0);
	assert_int_equal(regit_store_served(f->s, served), 0);
	assert_string_equal(served, "");
	regit_store_lock_writers(f->s);
	c = put("x", "2");
	(void)commit(f->s, &c, 1, "locked", NULL);
	regit_store_unlock_writers(f->s);
	regit_store_idle(f->s);
}

/* Writers racing on one handle: each retries on a conflict with the new
 * head; no commit is lost and every one is on the first-parent chain. */
typedef struct racer {
	regit_store *s;
	int id, conflicts;
} racer;

static void *race_main(void *arg)
{
	racer *r = arg;

	for (int i = 0; i < 15; i++) {
		char path[64], data[64], head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX];
		regit_store_change c;
		int rc;

		snprintf(path, sizeof(path), "w%d/f%d", r->id, i);
		snprintf(data, sizeof(data), "%d.%d", r->id, i);
		c = put(path, data);
		do {
			if (regit_store_head(r->s, head) != 0)
				return NULL;
			rc = regit_store_commit(out, r->s, head, &c, 1, path, NULL);
			if (rc == REGIT_ECONFLICT)
				r->conflicts++;
		} while (rc == REGIT_ECONFLICT);
		if (rc != 0)
			return NULL;
	}
	return r;
}

static void test_api__racing_writers_lose_nothing(void **state)
{
	fixture *f = *state;
	pthread_t t[4];
	racer r[4];
	regit_store_commits list;
	char head[REGIT_STORE_OID_HEX];
	regit_store_listing *l = NULL;

	for (int i = 0; i < 4; i++) {
		r[i].s = f->s;
		r[i].id = i;
		r[i].conflicts = 0;
		assert_int_equal(pthread_create(&t[i], NULL, race_main, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		void *res = NULL;

		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_ptr_equal(res, &r[i]);
	}
	assert_int_equal(regit_store_head(f->s, head), 0);
	assert_int_equal(regit_store_first_parents(&list, f->s, head, NULL, 100), 0);
	assert_int_equal(list.n, 60);
	regit_store_commits_dispose(&list);
	assert_int_equal(regit_store_list(&l, f->s, NULL), 0);
	assert_int_equal(l->nfiles, 60);
	regit_store_listing_free(l);
	assert_string_equal(read_at(f->s, head, "w3/f14"), "3.14");
}

#define BOTH(fn) \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)git_kind), \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)mem_kind)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_api__empty_store),
		BOTH(test_api__commit_list_read),
		BOTH(test_api__compare_and_swap),
		BOTH(test_api__paths_files_and_directories),
		BOTH(test_api__chain_and_history),
		BOTH(test_api__log_and_origins),
		BOTH(test_api__served_ref),
		BOTH(test_api__racing_writers_lose_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
