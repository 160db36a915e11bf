/*
 * test_pack_write.c - store/pack_write.c and store/pack_batch.c: packs the
 * store writes itself, judged by git. Seeded random batches (blobs of all
 * sizes and kinds, chains of edited trees small and large, commits) are
 * written as one pack into a fresh bare repository; `git verify-pack -v`
 * must accept it (it re-hashes every object against the index, so a
 * wrong id, CRC, offset or delta fails) and list every object, with the
 * chain's trees as deltas, and `git fsck --strict` must find the history
 * sound. Also: the entry encodings against git's documented bytes, object
 * ids against `git hash-object`, and that failed writes leave nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"
#include "tests/support/gitcheck.h"
#include "tests/support/tmpdir.h"
#include "util/error.h"

/* xorshift64*: the same objects on every run of one seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* A fresh bare repository in a temporary directory; path receives its
 * pack directory. Returns the temporary directory. */
static char *new_repo(char *repo, size_t rlen, char *packdir, size_t plen)
{
	char *dir = test_tmpdir_new("packw");
	int st = -1;

	assert_non_null(dir);
	snprintf(repo, rlen, "%s/repo.git", dir);
	snprintf(packdir, plen, "%s/objects/pack", repo);
	test_sh(&st, "git init -q --bare '%s' 2>&1", repo);
	assert_int_equal(st, 0);
	return dir;
}

/* Names of the files in dir that start with prefix. */
static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* Random blob content: text that compresses, or bytes that do not. */
static size_t random_blob(unsigned char *buf, uint64_t *s)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 200, 4095, 4096, 5000, 20000, 70000 };
	size_t len = sizes[rnd(s) % (sizeof(sizes) / sizeof(sizes[0]))] + rnd(s) % 3;
	int text = (int)(rnd(s) & 1);

	for (size_t i = 0; i < len; i++)
		buf[i] = text ? (unsigned char)("{\"type\":\"record\"} "[(i + *s % 7) % 19]) :
			(unsigned char)rnd(s);
	return len;
}

/* Add a blob to the batch, returning its id. */
static regit_store_oid add_blob(store_batch *b, const void *data, size_t len)
{
	regit_store_oid id;

	assert_int_equal(store_obj_hash(&id, STORE_OBJ_BLOB, data, len), 0);
	assert_int_equal(store_batch_add(b, &id, STORE_OBJ_BLOB, data, len, NULL), 0);
	return id;
}

/* Hash t, add it as replacing prev (a delta candidate); returns its id. */
static regit_store_oid add_tree(store_batch *b, store_tree *t, const regit_store_oid *prev)
{
	regit_store_oid id;
	size_t len;
	const unsigned char *data = store_tree_bytes(t, &len);

	assert_int_equal(store_obj_hash(&id, STORE_OBJ_TREE, data, len), 0);
	store_tree_set_oid(t, &id);
	assert_int_equal(store_batch_add(b, &id, STORE_OBJ_TREE, data, len, prev), 0);
	return id;
}

static regit_store_oid add_commit(store_batch *b, const regit_store_oid *tree,
	const regit_store_oid *parent, int n)
{
	char buf[512], th[REGIT_STORE_OID_HEX], ph[REGIT_STORE_OID_HEX];
	regit_store_oid id;
	int len;

	regit_store_oid_fmt(th, tree);
	if (parent)
		regit_store_oid_fmt(ph, parent);
	len = snprintf(buf, sizeof(buf), "tree %s\n%s%s%sauthor T <t@example.com> %d +0000\n"
		"committer T <t@example.com> %d +0000\n\ncommit %d\n", th,
		parent ? "parent " : "", parent ? ph : "", parent ? "\n" : "",
		1700000000 + n, 1700000000 + n, n);
	assert_int_equal(store_obj_hash(&id, STORE_OBJ_COMMIT, buf, (size_t)len), 0);
	assert_int_equal(store_batch_add(b, &id, STORE_OBJ_COMMIT, buf, (size_t)len, NULL), 0);
	return id;
}

/*
 * One random batch into repo: nblobs blobs, then a chain of ncommits
 * commits, each adding a blob to a directory of `wide` entries (wide large
 * enough makes the tree stored whole, then chained as deltas). Returns the
 * number of objects written; *tip the last commit.
 */
static size_t write_random_batch(const char *packdir, uint64_t seed, int nblobs, int ncommits,
	int wide, regit_store_oid *tip)
{
	store_batch *b = store_batch_new();
	store_tree *t = store_tree_new(NULL, "", 0);
	unsigned char *buf = malloc(80000);
	regit_store_oid prev_tree, prev_commit, blob;
	uint64_t s = seed;
	size_t nobj;
	char name[64];
	int i;

	assert_non_null(b);
	assert_non_null(t);
	assert_non_null(buf);
	assert_int_equal(store_tree_index(t), 0);
	for (i = 0; i < nblobs; i++) {
		size_t len = random_blob(buf, &s);

		blob = add_blob(b, buf, len);
		/* a name per blob; a blob added twice is written once */
		snprintf(name, sizeof(name), "f%llu-%d", (unsigned long long)(rnd(&s) % 100000), i);
		assert_int_equal(store_tree_insert(t, name, strlen(name), 0, &blob), 0);
	}
	for (i = 0; i < wide; i++) {
		snprintf(name, sizeof(name), "subject-%06d", i);
		assert_int_equal(store_tree_insert(t, name, strlen(name), 0, &blob), 0);
	}
	prev_tree = add_tree(b, t, NULL);
	prev_commit = add_commit(b, &prev_tree, NULL, 0);
	for (i = 1; i < ncommits; i++) {
		regit_store_oid tree;
		int len = snprintf(name, sizeof(name), "{\"version\":%d,\"r\":%llu}", i,
			(unsigned long long)rnd(&s));

		blob = add_blob(b, name, (size_t)len);
		snprintf(name, sizeof(name), "subject-%06llu", (unsigned long long)(rnd(&s) % 1000000));
		assert_int_equal(store_tree_insert(t, name, strlen(name), 0, &blob), 0);
		tree = add_tree(b, t, &prev_tree);
		prev_commit = add_commit(b, &tree, &prev_commit, i);
		prev_tree = tree;
	}
	nobj = store_batch_count(b);
	assert_int_equal(store_batch_flush(b, packdir), 0);
	assert_int_equal(store_batch_count(b), 0);
	*tip = prev_commit;
	store_tree_free(t);
	store_batch_free(b);
	free(buf);
	return nobj;
}

/* git's verdict on the repository: every pack verified, all objects
 * listed, history sound. Returns verify-pack -v's output. */
static const char *expect_git_accepts(const char *repo, const regit_store_oid *tip,
	size_t nobj)
{
	char hex[REGIT_STORE_OID_HEX], want[64];
	const char *out;
	int st = -1;

	regit_store_oid_fmt(hex, tip);
	test_sh(&st, "git --git-dir='%s' update-ref refs/heads/main %s 2>&1", repo, hex);
	assert_int_equal(st, 0);
	out = test_sh(&st, "git --git-dir='%s' fsck --strict --no-dangling 2>&1", repo);
	assert_int_equal(st, 0);
	assert_null(strstr(out, "error"));
	assert_null(strstr(out, "warning"));
	out = test_sh(&st, "git --git-dir='%s' count-objects -v | grep in-pack", repo);
	snprintf(want, sizeof(want), "in-pack: %zu", nobj);
	assert_string_equal(out, want);
	out = test_sh(&st, "cd '%s'/objects/pack && git verify-pack -v pack-*.idx 2>&1", repo);
	assert_int_equal(st, 0);
	assert_int_equal(test_count_lines(out, " blob ") + test_count_lines(out, " tree ") +
		test_count_lines(out, " commit "), nobj);
	return out;
}

static void test_pack_write__random_batches_git_accepts(void **state)
{
	static const struct { uint64_t seed; int blobs, commits, wide; } runs[] = {
		{ 1, 30, 12, 0 },        /* small trees: deflated, deltas in the chain */
		{ 2, 5, 25, 700 },       /* a subjects-sized tree: stored, then deltas */
		{ 3, 60, 2, 0 },
		{ 4, 0, 1, 0 },          /* one empty tree and a commit */
	};
	char repo[4096], packdir[4200];

	(void)state;
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		char *dir = new_repo(repo, sizeof(repo), packdir, sizeof(packdir));
		regit_store_oid tip;
		size_t nobj = write_random_batch(packdir, runs[r].seed, runs[r].blobs,
			runs[r].commits, runs[r].wide, &tip);
		const char *out = expect_git_accepts(repo, &tip, nobj);

		/* Each commit after the first replaced the tree: a delta each. */
		if (runs[r].commits > 2)
			assert_true(strstr(out, "chain length = ") != NULL);
		assert_int_equal(count_files(packdir, "tmp_"), 0);
		assert_int_equal(count_files(packdir, "pack-"), 2);
		test_tmpdir_remove(dir);
	}
}

/* The encodings of an entry, against the bytes git's pack format gives. */
static void test_pack_write__entry_encodings(void **state)
{
	unsigned char b[16];

	(void)state;
	assert_int_equal(store_entry_head(b, STORE_OBJ_BLOB, 0), 1);
	assert_int_equal(b[0], 0x30);
	assert_int_equal(store_entry_head(b, STORE_OBJ_TREE, 15), 1);
	assert_int_equal(b[0], 0x2f);
	assert_int_equal(store_entry_head(b, STORE_OBJ_COMMIT, 16), 2);
	assert_int_equal(b[0], 0x90);
	assert_int_equal(b[1], 0x01);
	assert_int_equal(store_entry_head(b, STORE_OBJ_OFS_DELTA, 100000), 3);
	/* 100000 = 0x186a0: low 4 bits 0, then 0x186a0 >> 4 = 6250 = 0x6a + 48 << 7 */
	assert_int_equal(b[0], 0xe0);
	assert_int_equal(b[1], 0x80 | (6250 & 0x7f));
	assert_int_equal(b[2], 6250 >> 7);
	assert_int_equal(store_entry_ofs(b, 127), 1);
	assert_int_equal(b[0], 0x7f);
	assert_int_equal(store_entry_ofs(b, 128), 2);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[1], 0x00);
	assert_int_equal(store_entry_ofs(b, 16511), 2);
	assert_int_equal(b[0], 0xff);
	assert_int_equal(b[1], 0x7f);
	assert_int_equal(store_entry_ofs(b, 16512), 3);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[1], 0x80);
	assert_int_equal(b[2], 0x00);
	assert_int_equal(store_delta_varint(b, 127), 1);
	assert_int_equal(store_delta_varint(b, 300), 2);
	assert_int_equal(b[0], 0x80 | (300 & 127));
	assert_int_equal(b[1], 300 >> 7);
}

/* Object ids are git's. */
static void test_pack_write__ids_are_gits(void **state)
{
	char hex[REGIT_STORE_OID_HEX];
	regit_store_oid id;
	const char *data = "{\"type\":\"string\"}\n";

	(void)state;
	assert_int_equal(store_obj_hash(&id, STORE_OBJ_TREE, "", 0), 0);
	regit_store_oid_fmt(hex, &id);
	assert_string_equal(hex, test_sh(NULL, "git hash-object -t tree /dev/null"));
	assert_int_equal(store_obj_hash(&id, STORE_OBJ_BLOB, data, strlen(data)), 0);
	regit_store_oid_fmt(hex, &id);
	assert_string_equal(hex, test_sh(NULL, "printf '%%s\\n' '{\"type\":\"string\"}' | "
		"git hash-object --stdin"));
	assert_int_not_equal(store_obj_hash(&id, 5, data, 1), 0);
}

/* An emit that writes two objects, then fails. */
static int failing_emit(store_out *w, store_obj *obj, size_t i, void *payload)
{
	unsigned char head[16];
	size_t hlen = store_entry_head(head, STORE_OBJ_BLOB, 0);

	(void)payload;
	if (i == 2) {
		regit_error_set(REGIT_ERROR_STORE, "emit failed on purpose");
		return REGIT_EIO;
	}
	obj->offset = store_out_offset(w);
	obj->crc = 0;
	/* "x\1" + an empty stored block: a valid zlib stream of nothing */
	return store_out_put(w, head, hlen) ||
		store_out_put(w, "\x78\x01\x03\x00\x00\x00\x00\x01", 8) ? REGIT_EIO : 0;
}

/* A failed write leaves no temporary file and no pack; duplicate ids are
 * refused; an empty pack is a valid pack. */
static void test_pack_write__failures_leave_nothing(void **state)
{
	char repo[4096], packdir[4200], name[64] = "";
	char *dir = new_repo(repo, sizeof(repo), packdir, sizeof(packdir));
	store_obj objs[3];
	int st = -1;

	(void)state;
	memset(objs, 0, sizeof(objs));
	for (int i = 0; i < 3; i++)
		objs[i].oid.id[0] = (unsigned char)(i + 1);
	assert_int_equal(store_write_pack(name, packdir, objs, 3, failing_emit, NULL), REGIT_EIO);
	assert_int_equal(count_files(packdir, "tmp_"), 0);
	assert_int_equal(count_files(packdir, "pack-"), 0);

	objs[1].oid = objs[0].oid;
	assert_int_equal(store_write_pack(name, packdir, objs, 2, failing_emit, NULL),
		REGIT_ERROR);
	assert_non_null(strstr(regit_error_message(), "twice"));
	assert_int_equal(count_files(packdir, "tmp_"), 0);
	assert_int_equal(count_files(packdir, "pack-"), 0);

	assert_int_equal(store_write_pack(name, packdir, objs, 0, failing_emit, NULL), 0);
	assert_int_equal(strncmp(name, "pack-", 5), 0);
	test_sh(&st, "cd '%s' && git verify-pack %s.idx 2>&1", packdir, name);
	assert_int_equal(st, 0);
	assert_int_equal(count_files(packdir, "tmp_"), 0);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_write__random_batches_git_accepts),
		cmocka_unit_test(test_pack_write__entry_encodings),
		cmocka_unit_test(test_pack_write__ids_are_gits),
		cmocka_unit_test(test_pack_write__failures_leave_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
