/*
 * test_tree_edit.c - store/tree_edit.c: trees edited as bytes, judged by
 * git. Seeded random inserts and removals (short names over a small
 * alphabet, so names are prefixes of each other and files and directories
 * share prefixes: git's "directories sort as if they ended in '/'" rule)
 * are mirrored in a plain list; every few steps the edited tree's id must
 * equal the id `git mktree` gives that list (mktree sorts and serialises
 * itself), and a final tree with real objects must pass `git fsck
 * --strict` (sorted, no duplicates). Also: malformed trees are refused,
 * and the tree cache's bounds (count, bytes) and take-out semantics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"
#include "tests/support/gitcheck.h"
#include "tests/support/tmpdir.h"
#include "util/error.h"

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* The model: what the tree should hold, in no particular order. */
typedef struct ent {
	char name[8];
	int is_tree;
	regit_store_oid id;
} ent;

typedef struct model {
	ent v[512];
	size_t n;
} model;

static ent *model_find(model *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	return NULL;
}

static void model_remove(model *m, const char *name)
{
	ent *e = model_find(m, name);

	if (e)
		*e = m->v[--m->n];
}

/* What `git mktree` makes of the model, as a hex id. */
static const char *mktree(const char *repo, const char *dir, const model *m)
{
	char path[4200];
	FILE *f;
	int st = -1;
	const char *out;

	snprintf(path, sizeof(path), "%s/mktree.in", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < m->n; i++) {
		char hex[REGIT_STORE_OID_HEX];

		regit_store_oid_fmt(hex, &m->v[i].id);
		fprintf(f, "%s %s %s\t%s\n", m->v[i].is_tree ? "040000" : "100644",
			m->v[i].is_tree ? "tree" : "blob", hex, m->v[i].name);
	}
	fclose(f);
	out = test_sh(&st, "git --git-dir='%s' mktree --missing < '%s'", repo, path);
	assert_int_equal(st, 0);
	return out;
}

static void tree_id_hex(char hex[REGIT_STORE_OID_HEX], const store_tree *t)
{
	regit_store_oid id;
	size_t len;
	const unsigned char *data = store_tree_bytes(t, &len);

	assert_int_equal(store_obj_hash(&id, STORE_OBJ_TREE, data, len), 0);
	regit_store_oid_fmt(hex, &id);
}

/* Edit as the store does (a name is a file or a directory, never both). */
static void edit_put(store_tree *t, model *m, const char *name, int is_tree,
	const regit_store_oid *id)
{
	int had = 0;

	assert_int_equal(store_tree_remove(t, name, strlen(name), NULL, &had), 0);
	assert_int_equal(store_tree_insert(t, name, strlen(name), is_tree, id), 0);
	model_remove(m, name);
	assert_true(m->n < sizeof(m->v) / sizeof(m->v[0]));
	snprintf(m->v[m->n].name, sizeof(m->v[m->n].name), "%s", name);
	m->v[m->n].is_tree = is_tree;
	m->v[m->n].id = *id;
	m->n++;
}

/* A short name over a small alphabet; never "." or ".." (git refuses those). */
static void random_name(char *name, uint64_t *s)
{
	static const char alpha[] = "ab-.0";

	do {
		size_t len = 1 + rnd(s) % 3;

		for (size_t i = 0; i < len; i++)
			name[i] = alpha[rnd(s) % (sizeof(alpha) - 1)];
		name[len] = '\0';
	} while (strcmp(name, ".") == 0 || strcmp(name, "..") == 0);
}

/*
 * Random edits with random ids: every 25 steps the bytes must be the tree
 * git builds from the same entries, and re-indexing them must succeed.
 */
static void test_tree_edit__random_edits_match_git_mktree(void **state)
{
	char repo[4096], hex[REGIT_STORE_OID_HEX];
	char *dir = test_tmpdir_new("treeedit");
	int st = -1;

	(void)state;
	assert_non_null(dir);
	snprintf(repo, sizeof(repo), "%s/repo.git", dir);
	test_sh(&st, "git init -q --bare '%s' 2>&1", repo);
	assert_int_equal(st, 0);
	for (uint64_t seed = 1; seed <= 3; seed++) {
		store_tree *t = store_tree_new(NULL, "", 0);
		model *m = calloc(1, sizeof(*m));
		uint64_t s = seed * 0x9e3779b97f4a7c15ull;

		assert_non_null(t);
		assert_non_null(m);
		assert_int_equal(store_tree_index(t), 0);
		for (int step = 1; step <= 300; step++) {
			char name[8];

			random_name(name, &s);
			if (rnd(&s) % 3 == 0) {
				regit_store_oid sub;
				int had = 0;
				ent *e = model_find(m, name);

				assert_int_equal(store_tree_remove(t, name, strlen(name), &sub, &had), 0);
				/* a directory's id comes back */
				assert_int_equal(had, e && e->is_tree);
				if (had)
					assert_memory_equal(sub.id, e->id.id, 20);
				model_remove(m, name);
			} else {
				regit_store_oid id;

				for (int k = 0; k < 20; k++)
					id.id[k] = (unsigned char)rnd(&s);
				edit_put(t, m, name, (int)(rnd(&s) % 2), &id);
			}
			assert_int_equal(store_tree_count(t), m->n);
			if (step % 25 == 0) {
				size_t len;
				const unsigned char *data = store_tree_bytes(t, &len);
				store_tree *copy = store_tree_new(NULL, data, len);

				tree_id_hex(hex, t);
				assert_string_equal(hex, mktree(repo, dir, m));
				assert_non_null(copy);
				assert_int_equal(store_tree_index(copy), 0);
				assert_int_equal(store_tree_count(copy), m->n);
				/* every entry is found where it is */
				for (size_t i = 0; i < m->n; i++) {
					int found = 0;
					size_t at = store_tree_find(copy, m->v[i].name,
						strlen(m->v[i].name), m->v[i].is_tree, &found);
					regit_store_oid id;

					assert_true(found);
					store_tree_id_at(copy, at, &id);
					assert_memory_equal(id.id, m->v[i].id.id, 20);
				}
				store_tree_free(copy);
			}
		}
		store_tree_free(t);
		free(m);
	}
	test_tmpdir_remove(dir);
}

/*
 * The same kind of edits with real objects (one blob, one directory tree
 * holding it), written as a pack with a commit: git fsck --strict checks
 * the order, the modes and that no name is there twice.
 */
static void test_tree_edit__edited_tree_passes_fsck(void **state)
{
	char repo[4096], packdir[4200], hex[REGIT_STORE_OID_HEX], commit[256];
	char *dir = test_tmpdir_new("treefsck");
	store_batch *b = store_batch_new();
	store_tree *t = store_tree_new(NULL, "", 0), *sub = store_tree_new(NULL, "", 0);
	model *m = calloc(1, sizeof(*m));
	regit_store_oid blob, subid, root, cid;
	uint64_t s = 42;
	size_t len;
	const unsigned char *data;
	const char *out;
	int st = -1, clen;

	(void)state;
	assert_non_null(dir);
	assert_non_null(b);
	assert_non_null(t);
	assert_non_null(sub);
	assert_non_null(m);
	snprintf(repo, sizeof(repo), "%s/repo.git", dir);
	snprintf(packdir, sizeof(packdir), "%s/objects/pack", repo);
	test_sh(&st, "git init -q --bare '%s' 2>&1", repo);
	assert_int_equal(st, 0);
	assert_int_equal(store_obj_hash(&blob, STORE_OBJ_BLOB, "x\n", 2), 0);
	assert_int_equal(store_batch_add(b, &blob, STORE_OBJ_BLOB, "x\n", 2, NULL), 0);
	assert_int_equal(store_tree_index(sub), 0);
	assert_int_equal(store_tree_insert(sub, "v1.avsc", 7, 0, &blob), 0);
	data = store_tree_bytes(sub, &len);
	assert_int_equal(store_obj_hash(&subid, STORE_OBJ_TREE, data, len), 0);
	assert_int_equal(store_batch_add(b, &subid, STORE_OBJ_TREE, data, len, NULL), 0);
	assert_int_equal(store_tree_index(t), 0);
	for (int step = 0; step < 400; step++) {
		char name[8];
		int had = 0;

		random_name(name, &s);
		if (rnd(&s) % 4 == 0) {
			assert_int_equal(store_tree_remove(t, name, strlen(name), NULL, &had), 0);
			model_remove(m, name);
		} else {
			int is_tree = (int)(rnd(&s) % 2);

			edit_put(t, m, name, is_tree, is_tree ? &subid : &blob);
		}
	}
	assert_true(m->n > 20);
	data = store_tree_bytes(t, &len);
	assert_int_equal(store_obj_hash(&root, STORE_OBJ_TREE, data, len), 0);
	assert_int_equal(store_batch_add(b, &root, STORE_OBJ_TREE, data, len, NULL), 0);
	regit_store_oid_fmt(hex, &root);
	assert_string_equal(hex, mktree(repo, dir, m));
	clen = snprintf(commit, sizeof(commit), "tree %s\nauthor T <t@example.com> 1700000000 +0000\n"
		"committer T <t@example.com> 1700000000 +0000\n\nedited\n", hex);
	assert_int_equal(store_obj_hash(&cid, STORE_OBJ_COMMIT, commit, (size_t)clen), 0);
	assert_int_equal(store_batch_add(b, &cid, STORE_OBJ_COMMIT, commit, (size_t)clen, NULL), 0);
	assert_int_equal(store_batch_flush(b, packdir), 0);
	regit_store_oid_fmt(hex, &cid);
	test_sh(&st, "git --git-dir='%s' update-ref refs/heads/main %s", repo, hex);
	assert_int_equal(st, 0);
	out = test_sh(&st, "git --git-dir='%s' fsck --strict --no-dangling 2>&1", repo);
	assert_int_equal(st, 0);
	assert_null(strstr(out, "error"));
	assert_null(strstr(out, "warning"));
	/* the directories list the blob below them */
	{
		int below = atoi(test_sh(&st, "git --git-dir='%s' ls-tree -r main | grep -c v1.avsc",
			repo));
		size_t dirs = test_count_lines(test_sh(NULL, "git --git-dir='%s' ls-tree main", repo),
			" tree ");

		assert_true(dirs > 5);
		assert_int_equal(below, (int)dirs);
	}
	store_tree_free(t);
	store_tree_free(sub);
	store_batch_free(b);
	free(m);
	test_tmpdir_remove(dir);
}

static void expect_malformed(const void *data, size_t len)
{
	store_tree *t = store_tree_new(NULL, data, len);

	assert_non_null(t);
	assert_int_equal(store_tree_index(t), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "malformed tree"));
	store_tree_free(t);
}

/* Bytes that are not a tree are refused, not walked past their end. */
static void test_tree_edit__malformed_trees_refused(void **state)
{
	static const char id[20] = "0123456789abcdefghij";
	unsigned char buf[64];
	regit_store_oid oid;
	store_tree *t;
	char longname[STORE_MAX_NAME + 2];

	(void)state;
	expect_malformed("100644 a", 8);                         /* no NUL */
	memcpy(buf, "100644a\0", 8);
	memcpy(buf + 8, id, 20);
	expect_malformed(buf, 28);                               /* no space */
	memcpy(buf, " a\0", 3);
	memcpy(buf + 3, id, 20);
	expect_malformed(buf, 23);                               /* no mode */
	memcpy(buf, "100644 \0", 8);
	memcpy(buf + 8, id, 20);
	expect_malformed(buf, 28);                               /* no name */
	memcpy(buf, "100644 a\0", 9);
	memcpy(buf + 9, id, 19);
	expect_malformed(buf, 28);                               /* id cut short */
	/* A well-formed entry, then the same with one byte of garbage after. */
	memcpy(buf + 9, id, 20);
	t = store_tree_new(NULL, buf, 29);
	assert_int_equal(store_tree_index(t), 0);
	assert_int_equal(store_tree_count(t), 1);
	store_tree_free(t);
	buf[29] = '1';
	expect_malformed(buf, 30);

	/* Names the store never writes. */
	t = store_tree_new(NULL, "", 0);
	assert_int_equal(store_tree_index(t), 0);
	memset(&oid, 7, sizeof(oid));
	memset(longname, 'n', sizeof(longname));
	assert_int_equal(store_tree_insert(t, "", 0, 0, &oid), REGIT_EINVALID);
	assert_int_equal(store_tree_insert(t, longname, STORE_MAX_NAME + 1, 0, &oid),
		REGIT_EINVALID);
	assert_int_equal(store_tree_insert(t, longname, STORE_MAX_NAME, 0, &oid), 0);
	assert_int_equal(store_tree_count(t), 1);
	store_tree_free(t);
}

static store_tree *tree_with_id(unsigned i, size_t size)
{
	regit_store_oid id;
	unsigned char *data = calloc(1, size ? size : 1);
	store_tree *t;

	assert_non_null(data);
	memset(&id, 0, sizeof(id));
	memcpy(id.id, &i, sizeof(i));
	t = store_tree_new(&id, data, size);
	free(data);
	assert_non_null(t);
	return t;
}

/* The cache keeps the 64 most recently put trees and at most 64 MB; a
 * take hands the tree over (a second take finds nothing). */
static void test_tree_edit__cache_bounds(void **state)
{
	store_tree_cache *c = store_tree_cache_new();
	regit_store_oid id;
	store_tree *t;
	unsigned i;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < 70; i++)
		store_tree_cache_put(c, tree_with_id(i, 100));
	memset(&id, 0, sizeof(id));
	for (i = 0; i < 70; i++) {
		memcpy(id.id, &i, sizeof(i));
		t = store_tree_cache_take(c, &id);
		/* the six least recently put went */
		assert_true((t != NULL) == (i >= 6));
		if (t) {
			assert_memory_equal(store_tree_oid(t)->id, id.id, 20);
			store_tree_free(t);
			assert_null(store_tree_cache_take(c, &id));
		}
	}
	/* Put again under the same id: replaced, not kept twice. */
	store_tree_cache_put(c, tree_with_id(1000, 10));
	store_tree_cache_put(c, tree_with_id(1000, 20));
	i = 1000;
	memcpy(id.id, &i, sizeof(i));
	t = store_tree_cache_take(c, &id);
	assert_non_null(t);
	{
		size_t len;

		(void)store_tree_bytes(t, &len);
		assert_int_equal(len, 20);
	}
	store_tree_free(t);
	assert_null(store_tree_cache_take(c, &id));
	/* Bytes: seventeen 4 MB trees are over 64 MB, so the oldest goes. */
	for (i = 0; i < 17; i++)
		store_tree_cache_put(c, tree_with_id(2000 + i, (size_t)4 << 20));
	i = 2000;
	memcpy(id.id, &i, sizeof(i));
	assert_null(store_tree_cache_take(c, &id));
	i = 2001;
	memcpy(id.id, &i, sizeof(i));
	t = store_tree_cache_take(c, &id);
	assert_non_null(t);
	store_tree_free(t);
	store_tree_cache_clear(c);
	i = 2016;
	memcpy(id.id, &i, sizeof(i));
	assert_null(store_tree_cache_take(c, &id));
	store_tree_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_edit__random_edits_match_git_mktree),
		cmocka_unit_test(test_tree_edit__edited_tree_passes_fsck),
		cmocka_unit_test(test_tree_edit__malformed_trees_refused),
		cmocka_unit_test(test_tree_edit__cache_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
