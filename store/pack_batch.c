/*
 * pack_batch.c - the new objects of a commit chain, collected in memory
 * and written as one pack.
 *
 * Why it exists: with libgit2's fsync on, a loose object costs two fsyncs
 * (~10 ms each here), so a registration's six or seven objects written
 * loose would be ~150 ms. The objects of a commit (or of a chain of them:
 * group commit) are kept here in the order they were made and written as
 * one pack (pack, index, directory: three fsyncs) before the ref moves.
 *
 * A tree that replaces a tree made earlier in the same chain (the subjects
 * directory after each registration of a batch) is written as a delta
 * against it: the two differ by an entry or two, so the delta is the
 * bytes between the common prefix and the common suffix, a few dozen bytes
 * where the whole tree is one entry per subject. Only a base in the same
 * pack can be used (a pack must be complete on its own), so the first
 * tree of each chain is written whole.
 *
 * store_git.c fills it (blobs, edited trees, commits) and flushes it;
 * tests/store/test_pack_write.c writes random batches and runs git on them.
 */
#include "store/store_internal.h"

#include <stdint.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

typedef struct store_new {
	regit_store_oid oid;
	int type;                /* STORE_OBJ_* */
	unsigned char *data;     /* the whole content (owned) */
	size_t len;
	size_t base;             /* SIZE_MAX, or the list index of the tree it replaces */
	unsigned depth;          /* delta chain length once written */
	uint64_t offset;         /* in the pack, once written */
} store_new;

/* Longest delta chain a pack gets (git's default pack.depth). */
#define STORE_MAX_DELTA_DEPTH 50

struct store_batch {
	store_new *news;         /* in the order made */
	size_t nnew, capnew;
	size_t *slots;           /* hash table over news: index + 1, 0 free */
	size_t capslots;
};

store_batch *store_batch_new(void)
{
	return regit_calloc(1, sizeof(store_batch));
}

void store_batch_free(store_batch *b)
{
	if (!b)
		return;
	store_batch_reset(b);
	regit_free(b->news);
	regit_free(b->slots);
	regit_free(b);
}

size_t store_batch_count(const store_batch *b)
{
	return b->nnew;
}

/* Slot of oid in the open-addressing table over news (ids are uniform). */
static size_t store_new_slot(const store_batch *store, const regit_store_oid *oid)
{
	size_t mask = store->capslots - 1, h;

	memcpy(&h, oid->id, sizeof(h));
	for (h &= mask;; h = (h + 1) & mask) {
		size_t v = store->slots[h];

		if (v == 0 || memcmp(store->news[v - 1].oid.id, oid->id, 20) == 0)
			return h;
	}
}

static store_new *store_new_find(const store_batch *store, const regit_store_oid *oid)
{
	size_t v;

	if (!store->capslots)
		return NULL;
	v = store->slots[store_new_slot(store, oid)];
	return v ? &store->news[v - 1] : NULL;
}

/* Keep the table at most half full (rebuilt when it grows). */
static int store_new_index(store_batch *store)
{
	size_t i, cap;
	size_t *slots;

	if (store->capslots >= 2 * (store->nnew + 1))
		return 0;
	cap = store->capslots ? store->capslots * 2 : 256;
	while (cap < 2 * (store->nnew + 1))
		cap *= 2;
	slots = regit_calloc(cap, sizeof(*slots));
	if (!slots)
		return REGIT_ENOMEM;
	regit_free(store->slots);
	store->slots = slots;
	store->capslots = cap;
	for (i = 0; i < store->nnew; i++)
		store->slots[store_new_slot(store, &store->news[i].oid)] = i + 1;
	return 0;
}

void store_batch_reset(store_batch *store)
{
	size_t i;

	for (i = 0; i < store->nnew; i++)
		regit_free(store->news[i].data);
	if (store->capslots)
		memset(store->slots, 0, store->capslots * sizeof(*store->slots));
	store->nnew = 0;
}

/* Add an object (data copied) unless the chain made it already. */
int store_batch_add(store_batch *store, const regit_store_oid *oid, int type,
	const void *data, size_t len, const regit_store_oid *replaces)
{
	store_new *o;

	if (store_new_find(store, oid))
		return 0;
	if (store_new_index(store) < 0)
		return REGIT_ENOMEM;
	if (store->nnew == store->capnew) {
		store_new *grown = regit_array_grow(store->news, &store->capnew,
			store->nnew + 1, sizeof(*grown), 64);

		if (!grown)
			return REGIT_ENOMEM;
		store->news = grown;
	}
	o = &store->news[store->nnew];
	memset(o, 0, sizeof(*o));
	o->data = regit_malloc(len ? len : 1);
	if (!o->data)
		return REGIT_ENOMEM;
	memcpy(o->data, data, len);
	o->len = len;
	o->type = type;
	o->base = SIZE_MAX;
	o->oid = *oid;
	if (replaces) {
		store_new *b = store_new_find(store, replaces);

		if (b && b->type == STORE_OBJ_TREE)
			o->base = (size_t)(b - store->news);
	}
	store->slots[store_new_slot(store, oid)] = store->nnew + 1;
	store->nnew++;
	return 0;
}

/*
 * A delta turning base into o: copy the common prefix, insert the middle,
 * copy the common suffix. Returns 1 with d filled when that is less than
 * half of o, 0 when o is better written whole.
 */
static int store_delta_make(regit_buf *d, const store_new *base, const store_new *o)
{
	const unsigned char *a = base->data, *b = o->data;
	size_t min = base->len < o->len ? base->len : o->len, p = 0, s = 0, mid, i;
	unsigned char head[20];

	if (base->len > 0xffffffffu || o->len > 0xffffffffu)
		return 0;
	/* Eight bytes at a time first: the trees are hundreds of kilobytes. */
	while (p + 8 <= min && memcmp(a + p, b + p, 8) == 0)
		p += 8;
	while (p < min && a[p] == b[p])
		p++;
	while (s + 8 <= min - p && memcmp(a + base->len - s - 8, b + o->len - s - 8, 8) == 0)
		s += 8;
	while (s < min - p && a[base->len - 1 - s] == b[o->len - 1 - s])
		s++;
	mid = o->len - p - s;
	if (mid + 64 > o->len / 2)
		return 0;
	d->size = 0;
	i = store_delta_varint(head, base->len);
	i += store_delta_varint(head + i, o->len);
	if (regit_buf_put(d, head, i) < 0 || store_delta_copy(d, 0, p) < 0)
		return REGIT_ENOMEM;
	for (i = 0; i < mid; i += 127) {
		unsigned char n = (unsigned char)(mid - i > 127 ? 127 : mid - i);

		if (regit_buf_put(d, &n, 1) < 0 || regit_buf_put(d, b + p + i, n) < 0)
			return REGIT_ENOMEM;
	}
	if (store_delta_copy(d, base->len - s, s) < 0)
		return REGIT_ENOMEM;
	return 1;
}

/*
 * Writing the chain's objects: zlib streams and the delta buffer. zlib
 * clears its match hash table on every reset - 64 KB at the default
 * memLevel, more work than deflating a 300-byte blob - so small objects
 * (most of them: blobs, commits, deltas) get a stream with a 512-byte
 * table, and the stored stream, which never matches, one too.
 */

/* What writing the batch needs besides it: the entry streams and the
 * delta being built. */
typedef struct store_batch_writer {
	store_batch *batch;
	store_zwriter zw;
	regit_buf delta;
} store_batch_writer;

/* store_emit_fn for the batch's objects (objs[i] is news[i]). */
static int store_new_emit(store_out *w, store_obj *obj, size_t i, void *payload)
{
	store_batch_writer *bw = payload;
	store_new *news = bw->batch->news;
	store_new *o = &news[i];
	const void *data = o->data;
	size_t len = o->len, hlen;
	unsigned char head[32];
	unsigned type = (unsigned)o->type;
	z_stream *z = &bw->zw.fast;
	int rc;

	o->offset = store_out_offset(w);
	obj->offset = o->offset;
	o->depth = 0;
	if (o->base != SIZE_MAX && news[o->base].depth < STORE_MAX_DELTA_DEPTH) {
		rc = store_delta_make(&bw->delta, &news[o->base], o);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			type = STORE_OBJ_OFS_DELTA;
			data = bw->delta.ptr;
			len = bw->delta.size;
			o->depth = news[o->base].depth + 1;
		}
	}
	if (type == STORE_OBJ_TREE && len >= STORE_STORE_TREES_FROM)
		z = &bw->zw.stored;
	else if (len < STORE_SMALL_OBJECT)
		z = &bw->zw.small;
	hlen = store_entry_head(head, type, len);
	if (type == STORE_OBJ_OFS_DELTA)
		hlen += store_entry_ofs(head + hlen, o->offset - news[o->base].offset);
	return store_put_entry(w, &bw->zw, z, head, hlen, data, len, &obj->crc);
}

int store_batch_find(const store_batch *b, const regit_store_oid *oid,
	const void **data, size_t *len)
{
	const store_new *o = store_new_find(b, oid);

	if (!o)
		return 0;
	*data = o->data;
	*len = o->len;
	return o->type;
}

int store_batch_flush(store_batch *b, const char *packdir)
{
	store_objs objs = { NULL, 0, 0 };
	store_batch_writer bw;
	size_t i;
	int error;

	memset(&bw, 0, sizeof(bw));
	bw.batch = b;
	regit_buf_init(&bw.delta, (size_t)1 << 31);
	error = store_zwriter_init(&bw.zw, STORE_Z_FAST | STORE_Z_SMALL | STORE_Z_STORED);
	for (i = 0; i < b->nnew && error == 0; i++)
		error = store_objs_add(&objs, &b->news[i].oid);
	if (error == 0)
		error = store_write_pack(NULL, packdir, objs.v, objs.n, store_new_emit, &bw);
	if (error == REGIT_ERROR && !regit_error_message()[0])
		regit_error_set(REGIT_ERROR_STORE, "cannot set up deflate");
	store_zwriter_dispose(&bw.zw);
	regit_buf_dispose(&bw.delta);
	regit_free(objs.v);
	store_batch_reset(b);
	return error;
}
