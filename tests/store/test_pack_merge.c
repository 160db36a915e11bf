/*
 * test_pack_merge.c - store/pack_merge.c: merging packs, judged by git,
 * and what it does with packs it must not trust.
 *
 * Seeded random packs (blobs shared between packs, so ids repeat; chains
 * of a large edited tree, stored whole and as deltas) are merged: `git
 * verify-pack -v` must accept the result and list each id once, the
 * merged pack must hold exactly the union of the sources' ids, the large
 * whole trees must have become deltas, and `git fsck --strict` must find
 * the repository sound. The geometric merge must leave fewer packs, keep
 * every object, and call the store's reopen hook holding its lock.
 *
 * Crafted bad input (documented in pack_merge.c): a flipped byte (CRC), a
 * short or lying index, a missing pack, an OFS_DELTA whose base is no
 * entry are declined with an error and nothing written; a large "tree"
 * that is not a tree, or whose zlib stream is broken, is copied as it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

typedef struct repo {
	char *dir;
	char path[4096];
	char packdir[4200];
} repo;

static void repo_init(repo *r, const char *tag)
{
	int st = -1;

	r->dir = test_tmpdir_new(tag);
	assert_non_null(r->dir);
	snprintf(r->path, sizeof(r->path), "%s/repo.git", r->dir);
	snprintf(r->packdir, sizeof(r->packdir), "%s/objects/pack", r->path);
	test_sh(&st, "git init -q --bare '%s' 2>&1", r->path);
	assert_int_equal(st, 0);
}

/* The pack names ("pack-<sum>") in dir, sorted; returns how many. */
static size_t pack_names(const char *dir, char names[][64], size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 4 && strcmp(e->d_name + len - 4, ".idx") == 0 && n < max) {
			snprintf(names[n], 64, "%.*s", (int)(len - 4), e->d_name);
			n++;
		}
	}
	closedir(d);
	qsort(names, n, 64, (int (*)(const void *, const void *))strcmp);
	return n;
}

static int tmp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "tmp_", 4) == 0)
			n++;
	closedir(d);
	return n;
}

static regit_store_oid add(store_batch *b, int type, const void *data, size_t len,
	const regit_store_oid *replaces)
{
	regit_store_oid id;

	assert_int_equal(store_obj_hash(&id, type, data, len), 0);
	assert_int_equal(store_batch_add(b, &id, type, data, len, replaces), 0);
	return id;
}

/*
 * One random pack: a few blobs drawn from a pool of 40 (so packs share
 * ids), a directory tree of `wide` entries edited `edits` times (the
 * first whole, the rest deltas in the pack), a commit per tree. Returns
 * the last commit.
 */
static regit_store_oid random_pack(const char *packdir, uint64_t seed, int wide, int edits)
{
	store_batch *b = store_batch_new();
	store_tree *t = store_tree_new(NULL, "", 0);
	regit_store_oid blob, same, tree, prev, commit;
	uint64_t s = seed;
	char buf[256], name[64];
	int have_prev = 0;

	assert_non_null(b);
	assert_non_null(t);
	assert_int_equal(store_tree_index(t), 0);
	for (int i = 0; i < 6; i++) {
		int len = snprintf(buf, sizeof(buf), "{\"pool\":%llu}",
			(unsigned long long)(rnd(&s) % 40));

		blob = add(b, STORE_OBJ_BLOB, buf, (size_t)len, NULL);
	}
	/* the wide directory's entries are the same in every pack, as a
	 * registry's subjects mostly are from one commit to the next */
	same = add(b, STORE_OBJ_BLOB, "{}", 2, NULL);
	for (int i = 0; i < wide; i++) {
		snprintf(name, sizeof(name), "subject-%06d", i);
		assert_int_equal(store_tree_insert(t, name, strlen(name), 0, &same), 0);
	}
	for (int e = 0; e < edits; e++) {
		char th[REGIT_STORE_OID_HEX], ph[REGIT_STORE_OID_HEX];
		size_t len;
		const unsigned char *data;
		int clen;

		snprintf(name, sizeof(name), "subject-%06llu", (unsigned long long)(rnd(&s) % 5000));
		clen = snprintf(buf, sizeof(buf), "{\"seed\":%llu,\"e\":%d}", (unsigned long long)seed, e);
		blob = add(b, STORE_OBJ_BLOB, buf, (size_t)clen, NULL);
		assert_int_equal(store_tree_insert(t, name, strlen(name), 0, &blob), 0);
		data = store_tree_bytes(t, &len);
		tree = add(b, STORE_OBJ_TREE, data, len, have_prev ? &prev : NULL);
		regit_store_oid_fmt(th, &tree);
		if (e > 0)
			regit_store_oid_fmt(ph, &commit);
		clen = snprintf(buf, sizeof(buf), "tree %s\n%s%s%sauthor T <t@example.com> 1700000000 "
			"+0000\ncommitter T <t@example.com> 1700000000 +0000\n\n%llu %d\n", th,
			e ? "parent " : "", e ? ph : "", e ? "\n" : "", (unsigned long long)seed, e);
		commit = add(b, STORE_OBJ_COMMIT, buf, (size_t)clen, NULL);
		prev = tree;
		have_prev = 1;
	}
	assert_int_equal(store_batch_flush(b, packdir), 0);
	store_tree_free(t);
	store_batch_free(b);
	return commit;
}

/* The sorted, de-duplicated ids of the given packs (one per line). */
static char *ids_of(const char *packdir, const char *const *names, size_t n)
{
	char cmd[16384];
	size_t off = 0;

	off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, "cd '%s' && { ", packdir);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off,
			"git show-index < %s.idx | cut -d' ' -f2; ", names[i]);
	snprintf(cmd + off, sizeof(cmd) - off, "} | sort -u");
	return strdup(test_sh(NULL, "%s", cmd));
}

/* Random packs merged into one: git accepts it; exactly the union of ids;
 * large whole trees became deltas; the sources are untouched. */
static void test_pack_merge__random_packs_merge_into_one_git_accepts(void **state)
{
	repo r;
	char names[32][64], merged[64] = "", hex[REGIT_STORE_OID_HEX];
	const char *ptrs[32], *out;
	regit_store_oid tip;
	char *before, *after;
	size_t n, nmerged_objs;
	int st = -1;

	(void)state;
	repo_init(&r, "merge");
	for (uint64_t p = 0; p < 6; p++)
		tip = random_pack(r.packdir, 1000 + p, p % 2 ? 700 : 20, 3 + (int)p);
	n = pack_names(r.packdir, names, 32);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = names[i];
	before = ids_of(r.packdir, ptrs, n);
	assert_int_equal(store_merge_packs(merged, r.packdir, ptrs, n), 0);
	assert_int_equal(strncmp(merged, "pack-", 5), 0);
	assert_int_equal(tmp_files(r.packdir), 0);
	assert_int_equal(pack_names(r.packdir, names, 32), 7);   /* sources stay */
	ptrs[0] = merged;
	after = ids_of(r.packdir, ptrs, 1);
	assert_string_equal(before, after);
	out = test_sh(&st, "cd '%s' && git verify-pack -v %s.idx 2>&1", r.packdir, merged);
	assert_int_equal(st, 0);
	nmerged_objs = test_count_lines(out, " blob ") + test_count_lines(out, " tree ") +
		test_count_lines(out, " commit ");
	/* each id once */
	assert_int_equal(nmerged_objs, test_count_lines(after, ""));
	/* three packs had a 700-entry tree stored whole: after the first, each
	 * became an entry-by-entry delta, so at most one large tree is whole */
	assert_true(strstr(out, "chain length = ") != NULL);
	assert_true(test_count_lines(test_sh(NULL, "cd '%s' && git verify-pack -v %s.idx | "
		"awk '$2 == \"tree\" && NF == 5 && $3 > 16384'", r.packdir, merged), "tree") <= 1);
	/* only the merged pack left: still a sound repository */
	test_sh(&st, "cd '%s' && for p in pack-*.idx; do [ \"${p%%.idx}\" = %s ] || "
		"rm \"$p\" \"${p%%.idx}.pack\"; done", r.packdir, merged);
	assert_int_equal(st, 0);
	regit_store_oid_fmt(hex, &tip);
	test_sh(&st, "git --git-dir='%s' update-ref refs/heads/main %s", r.path, hex);
	assert_int_equal(st, 0);
	out = test_sh(&st, "git --git-dir='%s' fsck --strict --no-dangling 2>&1", r.path);
	assert_int_equal(st, 0);
	assert_null(strstr(out, "error"));
	free(before);
	free(after);
	test_tmpdir_remove(r.dir);
}

typedef struct hook_state {
	pthread_rwlock_t lock;
	int calls, locked;
} hook_state;

static int reopen_hook(void *ctx)
{
	hook_state *h = ctx;

	h->calls++;
	/* the merge holds the lock exclusively while it calls us */
	h->locked = pthread_rwlock_tryrdlock(&h->lock) != 0;
	if (!h->locked)
		pthread_rwlock_unlock(&h->lock);
	return 0;
}

/* Up to STORE_MAX_PACKS packs: nothing; more: fewer packs, every object
 * kept, the hook called under the lock, git content. */
static void test_pack_merge__geometric_merge(void **state)
{
	repo r;
	hook_state h;
	store_merge_target t;
	char names[64][64];
	const char *ptrs[64], *out;
	char *before, *after;
	size_t n;
	int st = -1;

	(void)state;
	repo_init(&r, "geom");
	memset(&h, 0, sizeof(h));
	assert_int_equal(pthread_rwlock_init(&h.lock, NULL), 0);
	t.packdir = r.packdir;
	t.lock = &h.lock;
	t.reopen = reopen_hook;
	t.ctx = &h;
	for (uint64_t p = 0; p < STORE_MAX_PACKS; p++)
		(void)random_pack(r.packdir, 50 + p, 10, 1 + (int)(p % 3));
	assert_int_equal(store_pack_merge(&t), 0);
	assert_int_equal(h.calls, 0);
	assert_int_equal(pack_names(r.packdir, names, 64), STORE_MAX_PACKS);
	for (uint64_t p = STORE_MAX_PACKS; p < 24; p++)
		(void)random_pack(r.packdir, 50 + p, 10, 1 + (int)(p % 3));
	n = pack_names(r.packdir, names, 64);
	assert_int_equal(n, 24);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = names[i];
	before = ids_of(r.packdir, ptrs, n);
	assert_int_equal(store_pack_merge(&t), 0);
	assert_int_equal(h.calls, 1);
	assert_true(h.locked);
	n = pack_names(r.packdir, names, 64);
	assert_true(n < 24);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = names[i];
	after = ids_of(r.packdir, ptrs, n);
	assert_string_equal(before, after);
	assert_int_equal(tmp_files(r.packdir), 0);
	out = test_sh(&st, "cd '%s' && for i in *.idx; do git verify-pack $i || echo bad; done 2>&1",
		r.packdir);
	assert_int_equal(st, 0);
	assert_null(strstr(out, "bad"));
	out = test_sh(&st, "git --git-dir='%s' fsck --strict --no-dangling 2>&1", r.path);
	assert_int_equal(st, 0);
	assert_null(strstr(out, "error"));
	free(before);
	free(after);
	pthread_rwlock_destroy(&h.lock);
	test_tmpdir_remove(r.dir);
}

/* ---- crafted packs ---------------------------------------------------------- */

enum { RAW_WHOLE, RAW_OFS, RAW_BADZ };

/* One hand-made entry: a whole object, an OFS_DELTA whose distance is off
 * by `adjust` from entry `base`, or a header with bytes that are no zlib. */
typedef struct raw {
	int kind, type, base;
	long adjust;
	const unsigned char *data;
	size_t len;
	uint64_t offset;         /* set when written */
} raw;

static int raw_emit(store_out *w, store_obj *obj, size_t i, void *payload)
{
	raw *r = &((raw *)payload)[i];
	unsigned char head[32];
	unsigned char *z = NULL;
	uLongf zlen = compressBound((uLong)r->len);
	size_t hlen;
	int error;

	r->offset = store_out_offset(w);
	obj->offset = r->offset;
	hlen = store_entry_head(head, r->kind == RAW_OFS ? STORE_OBJ_OFS_DELTA : (unsigned)r->type,
		r->len);
	if (r->kind == RAW_OFS) {
		raw *base = &((raw *)payload)[r->base];

		hlen += store_entry_ofs(head + hlen, (uint64_t)((long)(r->offset - base->offset) +
			r->adjust));
	}
	if (r->kind == RAW_BADZ) {
		z = malloc(r->len);
		assert_non_null(z);
		memset(z, 0xff, r->len);     /* not a zlib header */
		zlen = (uLongf)r->len;
	} else {
		z = malloc(zlen);
		assert_non_null(z);
		assert_int_equal(compress2(z, &zlen, r->data, (uLong)r->len, 1), Z_OK);
	}
	obj->crc = (uint32_t)crc32(crc32(0, head, (uInt)hlen), z, (uInt)zlen);
	error = store_out_put(w, head, hlen);
	if (error == 0)
		error = store_out_put(w, z, zlen);
	free(z);
	return error;
}

/* Write the entries as a pack; ids are the content's own (or made up for
 * deltas and broken streams). */
static void write_raw_pack(char name[64], const char *packdir, raw *ents, size_t n)
{
	store_obj objs[8];

	assert_true(n <= 8);
	memset(objs, 0, sizeof(objs));
	for (size_t i = 0; i < n; i++) {
		if (ents[i].kind == RAW_WHOLE)
			assert_int_equal(store_obj_hash(&objs[i].oid, ents[i].type, ents[i].data,
				ents[i].len), 0);
		else
			memset(objs[i].oid.id, 0xa0 + (int)i, 20);
	}
	assert_int_equal(store_write_pack(name, packdir, objs, n, raw_emit, ents), 0);
}

/* Expect a merge of the one pack `name` (and a good one) to fail with
 * `code`, writing nothing; the sources stay. */
static void expect_declined(const repo *r, const char *good, const char *name, int code,
	const char *msg)
{
	char names[32][64], merged[64] = "";
	/* the bad pack first: of an id in both, the first copy is the one
	 * written (and checked) */
	const char *ptrs[2] = { name, good };
	size_t before = pack_names(r->packdir, names, 32);

	assert_int_equal(store_merge_packs(merged, r->packdir, ptrs, 2), code);
	if (msg)
		assert_non_null(strstr(regit_error_message(), msg));
	assert_int_equal(tmp_files(r->packdir), 0);
	assert_int_equal(pack_names(r->packdir, names, 32), before);
}

static void copy_pack(const repo *r, const char *from, const char *to)
{
	int st = -1;

	test_sh(&st, "cd '%s' && cp %s.idx %s.idx && cp %s.pack %s.pack", r->packdir,
		from, to, from, to);
	assert_int_equal(st, 0);
}

static void test_pack_merge__damaged_packs_declined(void **state)
{
	repo r;
	char names[32][64], good[64], bad[64];
	const unsigned char blob[] = "{\"type\":\"string\"}";
	unsigned char delta[8];
	raw ents[2];
	int st = -1;

	(void)state;
	repo_init(&r, "mergebad");
	(void)random_pack(r.packdir, 7, 10, 2);
	assert_int_equal(pack_names(r.packdir, names, 32), 1);
	snprintf(good, sizeof(good), "%s", names[0]);

	/* A flipped byte inside an entry: its CRC no longer matches. */
	copy_pack(&r, good, "pack-flipped");
	test_sh(&st, "cd '%s' && printf '\\377' | dd of=pack-flipped.pack bs=1 seek=14 conv=notrunc "
		"2>/dev/null", r.packdir);
	assert_int_equal(st, 0);
	expect_declined(&r, good, "pack-flipped", REGIT_EIO, "damaged");

	/* An index cut short, and one whose count claims more than it holds. */
	copy_pack(&r, good, "pack-shortidx");
	test_sh(&st, "cd '%s' && truncate -s 1000 pack-shortidx.idx", r.packdir);
	expect_declined(&r, good, "pack-shortidx", REGIT_EIO, "malformed");
	copy_pack(&r, good, "pack-lying");
	test_sh(&st, "cd '%s' && printf '\\377\\377' | dd of=pack-lying.idx bs=1 seek=1028 "
		"conv=notrunc 2>/dev/null", r.packdir);
	expect_declined(&r, good, "pack-lying", REGIT_EIO, "malformed");

	/* The index without its pack: gone (another merger took it). */
	copy_pack(&r, good, "pack-nopack");
	test_sh(&st, "rm '%s/pack-nopack.pack'", r.packdir);
	expect_declined(&r, good, "pack-nopack", REGIT_ENOTFOUND, NULL);

	/* An OFS_DELTA whose base distance lands inside an entry, not on one
	 * (its bytes and CRC are right: only the structure is wrong). */
	memset(ents, 0, sizeof(ents));
	ents[0].kind = RAW_WHOLE;
	ents[0].type = STORE_OBJ_BLOB;
	ents[0].data = blob;
	ents[0].len = sizeof(blob) - 1;
	delta[0] = (unsigned char)(sizeof(blob) - 1);   /* base size */
	delta[1] = 1;                                    /* result size */
	delta[2] = 1;                                    /* insert one byte */
	delta[3] = 'x';
	ents[1].kind = RAW_OFS;
	ents[1].base = 0;
	ents[1].adjust = -2;
	ents[1].data = delta;
	ents[1].len = 4;
	write_raw_pack(bad, r.packdir, ents, 2);
	expect_declined(&r, good, bad, REGIT_EIO, "damaged");

	/* The geometric merge over them fails as a whole and deletes nothing. */
	{
		store_merge_target t = { r.packdir, NULL, NULL, NULL };
		size_t n;

		for (uint64_t p = 0; p < STORE_MAX_PACKS; p++)
			(void)random_pack(r.packdir, 300 + p, 10, 1);
		n = pack_names(r.packdir, names, 32);
		assert_true(n > STORE_MAX_PACKS);
		assert_int_not_equal(store_pack_merge(&t), 0);
		assert_int_equal(pack_names(r.packdir, names, 32), n);
		assert_int_equal(tmp_files(r.packdir), 0);
	}
	test_tmpdir_remove(r.dir);
}

/* Large "trees" the merger cannot read as trees are copied as they are. */
static void test_pack_merge__unreadable_large_trees_copied(void **state)
{
	repo r;
	char names[32][64], a[64], b[64], merged[64] = "";
	const char *ptrs[2];
	unsigned char *junk = malloc(40000);
	raw ents[2];
	const char *out;
	int st = -1;

	(void)state;
	assert_non_null(junk);
	repo_init(&r, "mergejunk");
	for (size_t i = 0; i < 40000; i++)
		junk[i] = (unsigned char)(i * 7 + (i >> 9));
	/* Two large tree objects that are not trees (valid zlib, valid CRC). */
	memset(ents, 0, sizeof(ents));
	ents[0].kind = RAW_WHOLE;
	ents[0].type = STORE_OBJ_TREE;
	ents[0].data = junk;
	ents[0].len = 30000;
	ents[1] = ents[0];
	ents[1].data = junk + 1;
	write_raw_pack(a, r.packdir, ents, 2);
	ptrs[0] = a;
	assert_int_equal(store_merge_packs(merged, r.packdir, ptrs, 1), 0);
	/* the same bytes, so the same pack name (its checksum) */
	assert_string_equal(merged, a);
	out = test_sh(&st, "cd '%s' && git verify-pack -v %s.idx 2>&1", r.packdir, merged);
	assert_int_equal(st, 0);
	/* both whole: "<id> tree 30000 <size> <offset>", no delta */
	assert_int_equal(test_count_lines(out, " tree   30000 "), 2);
	assert_null(strstr(out, "chain length"));

	/* A large tree whose zlib stream is broken (the CRC covers it). */
	memset(ents, 0, sizeof(ents));
	ents[0].kind = RAW_BADZ;
	ents[0].type = STORE_OBJ_TREE;
	ents[0].len = 20000;
	write_raw_pack(b, r.packdir, ents, 1);
	ptrs[0] = b;
	memset(merged, 0, sizeof(merged));
	assert_int_equal(store_merge_packs(merged, r.packdir, ptrs, 1), 0);
	/* copied byte for byte: the reader will judge it */
	test_sh(&st, "cd '%s' && cmp %s.pack %s.pack", r.packdir, b, merged);
	assert_int_equal(st, 0);
	assert_string_equal(merged, b);
	assert_int_equal(tmp_files(r.packdir), 0);
	assert_int_equal(pack_names(r.packdir, names, 32), 2);
	free(junk);
	test_tmpdir_remove(r.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_merge__random_packs_merge_into_one_git_accepts),
		cmocka_unit_test(test_pack_merge__geometric_merge),
		cmocka_unit_test(test_pack_merge__damaged_packs_declined),
		cmocka_unit_test(test_pack_merge__unreadable_large_trees_copied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
