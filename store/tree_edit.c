/*
 * tree_edit.c - git trees edited as their serialised bytes, and the cache
 * of recently made trees.
 *
 * Why it exists: trees are edited as bytes ("<octal mode> <name>\0<id>"
 * per entry, in git's order) with an array of entry offsets for binary
 * search, not with libgit2's tree builders: a builder parses every entry
 * of the base tree into its own map and sorts them all again to write,
 * and the subjects directory has one entry per subject. Here one
 * registration is a binary search and a memmove. The trees the last
 * commits made stay in a small cache (store_tree_cache), so the next
 * commit starts from them without reading the object database at all.
 *
 * store_git.c drives it (store_build_tree: which entries change, ids from
 * store_obj_hash); pack_merge.c reads entries with store_tree_entry for
 * its tree deltas. tests/store/test_tree_edit.c edits random trees and
 * compares them with what git builds.
 */
#include "store/store_internal.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

/* Trees kept in memory between commits. */
#define STORE_TREE_CACHE 64
#define STORE_TREE_CACHE_BYTES ((size_t)64 << 20)

typedef struct store_tree {
	regit_store_oid oid;
	unsigned char *data;     /* owned */
	size_t len, cap;
	uint32_t *offs;          /* entry starts, owned */
	size_t n, ocap;
	uint64_t used;           /* cache clock */
} store_tree;


void store_tree_free(store_tree *t)
{
	if (!t)
		return;
	regit_free(t->data);
	regit_free(t->offs);
	regit_free(t);
}

/*
 * One serialised tree entry at p ("<mode> <name>\0<20-byte id>"): where the
 * next one starts, its name, and whether it is a tree (mode 40000; git also
 * reads 040000). @return 0, or -1 when it is malformed
 */
int store_tree_entry(const unsigned char *p, const unsigned char *end,
	const unsigned char **next, const char **name, size_t *len, int *is_tree)
{
	const unsigned char *sp = memchr(p, ' ', (size_t)(end - p));
	const unsigned char *nul;

	if (!sp || sp == p)
		return -1;
	nul = memchr(sp + 1, '\0', (size_t)(end - sp - 1));
	if (!nul || nul == sp + 1 || end - nul - 1 < 20)
		return -1;
	*is_tree = (sp - p == 5 && memcmp(p, "40000", 5) == 0) ||
		(sp - p == 6 && memcmp(p, "040000", 6) == 0);
	*name = (const char *)sp + 1;
	*len = (size_t)(nul - sp - 1);
	*next = nul + 1 + 20;
	return 0;
}

/* Index the entries of t->data, checking the format. */

int store_tree_index(store_tree *t)
{
	const unsigned char *p = t->data, *end = t->data + t->len;

	t->n = 0;
	while (p < end) {
		const unsigned char *next;
		const char *name;
		size_t len;
		int is_tree;

		if (t->len > 0xffffffffu || store_tree_entry(p, end, &next, &name, &len, &is_tree) < 0) {
			char hex[REGIT_STORE_OID_HEX];

			regit_store_oid_fmt(hex, &t->oid);
			regit_error_set(REGIT_ERROR_STORE, "malformed tree %s", hex);
			return REGIT_EIO;
		}
		if (t->n == t->ocap) {
			uint32_t *grown = regit_array_grow(t->offs, &t->ocap,
				t->n + 1, sizeof(*grown), 16);

			if (!grown)
				return REGIT_ENOMEM;
			t->offs = grown;
		}
		t->offs[t->n++] = (uint32_t)(p - t->data);
		p = next;
	}
	return 0;
}

store_tree *store_tree_new(const regit_store_oid *oid, const void *data, size_t len)
{
	store_tree *t = regit_calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->data = regit_malloc(len ? len : 1);
	if (!t->data) {
		regit_free(t);
		return NULL;
	}
	memcpy(t->data, data, len);
	t->len = t->cap = len;
	if (oid)
		t->oid = *oid;
	return t;
}


size_t store_tree_count(const store_tree *t)
{
	return t->n;
}

const unsigned char *store_tree_bytes(const store_tree *t, size_t *len)
{
	*len = t->len;
	return t->data;
}

const regit_store_oid *store_tree_oid(const store_tree *t)
{
	return &t->oid;
}

void store_tree_set_oid(store_tree *t, const regit_store_oid *oid)
{
	t->oid = *oid;
}

/* The last 20 bytes of entry i are its id. */
void store_tree_id_at(const store_tree *t, size_t i, regit_store_oid *out)
{
	const unsigned char *end = t->data + (i + 1 < t->n ? t->offs[i + 1] : t->len);

	memcpy(out->id, end - 20, 20);
}

/* Entry i: name (not NUL-terminated in the sense of length) and mode. */
static const char *store_tree_name(const store_tree *t, size_t i, size_t *nlen, int *is_tree)
{
	const unsigned char *next;
	const char *name = "";

	/* Indexed entries were checked by store_tree_index. */
	*nlen = 0;
	*is_tree = 0;
	(void)store_tree_entry(t->data + t->offs[i], t->data + t->len, &next, &name, nlen, is_tree);
	return name;
}

/* git's tree order: names compared as if trees ended in '/'. */
int store_name_cmp(const char *a, size_t al, int at, const char *b, size_t bl, int bt)
{
	size_t n = al < bl ? al : bl;
	int c = memcmp(a, b, n);
	unsigned char ac, bc;

	if (c)
		return c;
	ac = n < al ? (unsigned char)a[n] : at ? '/' : '\0';
	bc = n < bl ? (unsigned char)b[n] : bt ? '/' : '\0';
	return (int)ac - (int)bc;
}

/* Where (name, is_tree) is or would go; *found says which. */
size_t store_tree_find(const store_tree *t, const char *name, size_t len, int is_tree,
	int *found)
{
	size_t lo = 0, hi = t->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, elen;
		int et;
		const char *e = store_tree_name(t, mid, &elen, &et);
		int c = store_name_cmp(e, elen, et, name, len, is_tree);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Replace ndel entries at index i with the serialised entry ins (may be empty). */
static int store_tree_splice(store_tree *t, size_t i, size_t ndel, const unsigned char *ins,
	size_t inslen)
{
	size_t start = i < t->n ? t->offs[i] : t->len;
	size_t end = i + ndel < t->n ? t->offs[i + ndel] : t->len;
	size_t newlen = t->len - (end - start) + inslen, k;
	long long shift = (long long)inslen - (long long)(end - start);
	size_t nn = t->n - ndel + (inslen ? 1 : 0);

	if (newlen > 0xffffffffu) {
		regit_error_set(REGIT_ERROR_STORE, "tree too large");
		return REGIT_ELIMIT;
	}
	if (newlen > t->cap) {
		size_t ncap = newlen + newlen / 4 + 256;
		unsigned char *grown = regit_realloc(t->data, ncap);

		if (!grown)
			return REGIT_ENOMEM;
		t->data = grown;
		t->cap = ncap;
	}
	if (nn > t->ocap) {
		size_t ncap = nn + nn / 4 + 16;
		uint32_t *grown = regit_reallocarray(t->offs, ncap, sizeof(*grown));

		if (!grown)
			return REGIT_ENOMEM;
		t->offs = grown;
		t->ocap = ncap;
	}
	memmove(t->data + start + inslen, t->data + end, t->len - end);
	if (inslen)
		memcpy(t->data + start, ins, inslen);
	t->len = newlen;
	memmove(t->offs + i + (inslen ? 1 : 0), t->offs + i + ndel,
		(t->n - i - ndel) * sizeof(*t->offs));
	if (inslen)
		t->offs[i] = (uint32_t)start;
	t->n = nn;
	for (k = i + (inslen ? 1 : 0); k < t->n; k++)
		t->offs[k] = (uint32_t)((long long)t->offs[k] + shift);
	return 0;
}

/* Remove name (as a file and as a directory); *sub gets its tree id if any. */
int store_tree_remove(store_tree *t, const char *name, size_t len, regit_store_oid *sub,
	int *had_sub)
{
	int found, kind;
	size_t i;

	*had_sub = 0;
	for (kind = 0; kind < 2; kind++) {
		i = store_tree_find(t, name, len, kind, &found);
		if (!found)
			continue;
		if (kind == 1 && sub) {
			const unsigned char *end = t->data + (i + 1 < t->n ? t->offs[i + 1] : t->len);

			memcpy(sub->id, end - 20, 20);
			*had_sub = 1;
		}
		if (store_tree_splice(t, i, 1, NULL, 0) < 0)
			return REGIT_ENOMEM;
	}
	return 0;
}

int store_tree_insert(store_tree *t, const char *name, size_t len, int is_tree,
	const regit_store_oid *id)
{
	unsigned char ent[STORE_MAX_NAME + 32];
	size_t elen = 0;
	int found;
	size_t i;

	if (len == 0 || len > STORE_MAX_NAME) {
		regit_error_set(REGIT_ERROR_STORE, "path component too long");
		return REGIT_EINVALID;
	}
	memcpy(ent, is_tree ? "40000 " : "100644 ", is_tree ? 6 : 7);
	elen = is_tree ? 6 : 7;
	memcpy(ent + elen, name, len);
	elen += len;
	ent[elen++] = '\0';
	memcpy(ent + elen, id->id, 20);
	elen += 20;
	i = store_tree_find(t, name, len, is_tree, &found);
	return store_tree_splice(t, i, found ? 1 : 0, ent, elen);
}

/* The cache: a few trees, least recently used out first. */

/* ---- the cache ---------------------------------------------------------------- */

struct store_tree_cache {
	store_tree *trees[STORE_TREE_CACHE];
	uint64_t tick;           /* the clock of store_tree.used */
	size_t bytes;            /* the trees' capacity, summed */
};

store_tree_cache *store_tree_cache_new(void)
{
	return regit_calloc(1, sizeof(store_tree_cache));
}

void store_tree_cache_free(store_tree_cache *c)
{
	if (!c)
		return;
	store_tree_cache_clear(c);
	regit_free(c);
}

void store_tree_cache_put(store_tree_cache *c, store_tree *t)
{
	size_t i, victim = 0;

	t->used = ++c->tick;
	for (i = 0; i < STORE_TREE_CACHE; i++) {
		if (!c->trees[i] || memcmp(c->trees[i]->oid.id, t->oid.id, 20) == 0) {
			victim = i;
			break;
		}
		if (c->trees[i]->used < c->trees[victim]->used)
			victim = i;
	}
	if (c->trees[victim]) {
		c->bytes -= c->trees[victim]->cap;
		store_tree_free(c->trees[victim]);
	}
	c->trees[victim] = t;
	c->bytes += t->cap;
	/* Bound the bytes too (a subjects tree of 100,000 subjects is 4 MB). */
	while (c->bytes > STORE_TREE_CACHE_BYTES) {
		size_t old = SIZE_MAX;

		for (i = 0; i < STORE_TREE_CACHE; i++)
			if (c->trees[i] && c->trees[i] != t &&
			    (old == SIZE_MAX || c->trees[i]->used < c->trees[old]->used))
				old = i;
		if (old == SIZE_MAX)
			break;
		c->bytes -= c->trees[old]->cap;
		store_tree_free(c->trees[old]);
		c->trees[old] = NULL;
	}
}

void store_tree_cache_clear(store_tree_cache *c)
{
	size_t i;

	for (i = 0; i < STORE_TREE_CACHE; i++) {
		store_tree_free(c->trees[i]);
		c->trees[i] = NULL;
	}
	c->bytes = 0;
}

/* Taken out rather than copied: the caller edits it into the next
 * version, which is cached instead. */
store_tree *store_tree_cache_take(store_tree_cache *c, const regit_store_oid *oid)
{
	size_t i;

	for (i = 0; i < STORE_TREE_CACHE; i++) {
		store_tree *t = c->trees[i];

		if (t && memcmp(t->oid.id, oid->id, 20) == 0) {
			c->trees[i] = NULL;
			c->bytes -= t->cap;
			return t;
		}
	}
	return NULL;
}
