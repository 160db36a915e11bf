/*
 * pack_merge.c - merging a store's packs (geometric repack, copying
 * entries as they are), and the thread that does it after commits.
 *
 * Why it exists: every commit writes one pack (pack_batch.c), so without
 * merging a store would hold one pack per commit and every read would
 * search hundreds of pack indexes. Merging is its own file because it is
 * the one part of the store that reads pack bytes other programs (git
 * push, git gc) may have written, so it checks them (index and pack shape,
 * CRC of every entry copied) and declines a damaged pack rather than carry
 * it forward; and because it runs on a thread of its own, off the
 * acknowledgement path. It knows its store only through a
 * store_merge_target (the pack directory, the lock, a reopen hook), so it
 * does not call back into store_git.c.
 *
 * tests/store/test_pack_merge.c merges random packs and checks the result
 * with git, and feeds it damaged packs.
 */
#include "store/store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"
#include "util/log.h"

typedef struct store_pack {
	char name[128];          /* "pack-<hash>" */
	uint32_t count;
} store_pack;

static uint32_t store_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Object count of a version-2 pack index (0 when unreadable). */
static uint32_t store_idx_count(const char *path)
{
	unsigned char head[8 + 256 * 4];
	FILE *f = fopen(path, "rb");
	uint32_t n = 0;

	if (!f)
		return 0;
	if (fread(head, 1, sizeof(head), f) == sizeof(head) &&
			memcmp(head, "\377tOc", 4) == 0 && store_be32(head + 4) == 2)
		n = store_be32(head + 8 + 255 * 4);
	fclose(f);
	return n;
}

/*
 * Merging packs copies their entries as they are - the compressed bytes,
 * deltas included - instead of inflating and deflating every object again:
 * a merge costs a read, a CRC check and a write of the bytes. An OFS_DELTA
 * names its base by distance, so its header is rewritten for the base's
 * new position; REF_DELTA names the base by id, which stays in the merged
 * pack. Each source pack's entries are written in their offset order, so a
 * base always precedes its deltas; an object found in several packs is
 * written once (the first copy) and deltas against a later copy point to
 * the first. The exception is a large whole tree, which becomes a delta of
 * the previous one (store_merge_tree).
 */
typedef struct store_src_ent {
	regit_store_oid oid;
	uint64_t off, len;       /* in the source pack */
	uint64_t newoff;         /* in the merged pack, once written */
	uint32_t crc;            /* of the source bytes, from the index */
	uint32_t src;            /* which source pack */
	size_t keeper;           /* entry written for this id (itself if kept) */
} store_src_ent;

typedef struct store_src {
	unsigned char *map;      /* the .pack file, mapped */
	size_t size;
	size_t first, n;         /* its entries in the merge's array, by offset */
} store_src;

typedef struct store_merge {
	store_src *srcs;
	size_t nsrcs;
	store_src_ent *ents;     /* all entries: source by source, by offset */
	size_t n, cap;
	size_t *kept;            /* indexes of the entries written, in order */
	size_t nkept;
	unsigned char *hbuf;     /* a rewritten entry header */
	/* Large whole trees become deltas of the last one kept whole (the
	 * anchor): see store_merge_tree. */
	store_zwriter zw;        /* its deflate stream and output buffer */
	regit_buf anchor, raw, delta;
	uint64_t anchor_off;     /* the anchor's offset in the merged pack */
	int has_anchor;
} store_merge;

static void store_merge_dispose(store_merge *m)
{
	size_t i;

	for (i = 0; i < m->nsrcs; i++)
		if (m->srcs[i].map)
			munmap(m->srcs[i].map, m->srcs[i].size);
	regit_free(m->srcs);
	regit_free(m->ents);
	regit_free(m->kept);
	store_zwriter_dispose(&m->zw);
	regit_buf_dispose(&m->anchor);
	regit_buf_dispose(&m->raw);
	regit_buf_dispose(&m->delta);
	memset(m, 0, sizeof(*m));
}

static int store_src_ent_off_cmp(const void *a, const void *b)
{
	const store_src_ent *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Read a whole small file (a pack index) into memory. */
static int store_slurp(unsigned char **out, size_t *len, const char *path)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int error = 0;

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		regit_error_set(REGIT_ERROR_OS, "open %s: %s", path, strerror(errno));
		/* Gone: another writer merged it first (see store_pack_merge). */
		return errno == ENOENT ? REGIT_ENOTFOUND : REGIT_EIO;
	}
	if (fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > ((uint64_t)1 << 34)) {
		regit_error_set(REGIT_ERROR_STORE, "cannot size %s", path);
		error = REGIT_EIO;
		goto done;
	}
	buf = regit_malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		error = REGIT_ENOMEM;
		goto done;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			regit_error_set(REGIT_ERROR_OS, "read %s: %s", path, strerror(errno));
			error = REGIT_EIO;
			goto done;
		}
		got += (size_t)r;
	}
	*out = buf;
	*len = got;
	buf = NULL;
done:
	regit_free(buf);
	close(fd);
	return error;
}

/*
 * Add the entries of pack `name` (in dir) to the merge: ids, crcs and
 * offsets from its version-2 index, the bytes mapped from the pack. Both
 * files are checked for shape; the entries' lengths follow from the
 * offsets.
 */
static int store_merge_add(store_merge *m, const char *dir, const char *name)
{
	char path[4352];
	unsigned char *idx = NULL;
	size_t len = 0, i, n, nlarge = 0;
	const unsigned char *ids, *crcs, *offs, *large;
	store_src *src;
	struct stat st;
	int fd = -1, error = 0;

	snprintf(path, sizeof(path), "%s/%s.idx", dir, name);
	error = store_slurp(&idx, &len, path);
	if (error < 0)
		return error;
	if (len < 8 + 1024 + 40 || memcmp(idx, "\377tOc", 4) != 0 || store_be32(idx + 4) != 2)
		goto bad;
	n = store_be32(idx + 8 + 255 * 4);
	if ((len - 8 - 1024 - 40) / 28 < n)
		goto bad;
	ids = idx + 8 + 1024;
	crcs = ids + 20 * n;
	offs = crcs + 4 * n;
	large = offs + 4 * n;
	for (i = 0; i < n; i++)
		if (offs[4 * i] & 0x80)
			nlarge++;
	if ((len - 8 - 1024 - 40 - 28 * n) / 8 < nlarge)
		goto bad;

	{
		store_src *grown = regit_reallocarray(m->srcs, m->nsrcs + 1, sizeof(*grown));

		if (!grown) {
			error = REGIT_ENOMEM;
			goto done;
		}
		m->srcs = grown;
	}
	src = &m->srcs[m->nsrcs++];
	memset(src, 0, sizeof(*src));
	if (m->n + n > m->cap) {
		size_t ncap = m->cap * 2 > m->n + n ? m->cap * 2 : m->n + n;
		store_src_ent *grown = regit_reallocarray(m->ents, ncap, sizeof(*grown));

		if (!grown) {
			error = REGIT_ENOMEM;
			goto done;
		}
		m->ents = grown;
		m->cap = ncap;
	}
	src->first = m->n;
	src->n = n;
	for (i = 0; i < n; i++) {
		store_src_ent *e = &m->ents[m->n + i];
		uint32_t o = store_be32(offs + 4 * i);

		memset(e, 0, sizeof(*e));
		memcpy(e->oid.id, ids + 20 * i, 20);
		e->crc = store_be32(crcs + 4 * i);
		e->src = (uint32_t)(m->nsrcs - 1);
		if (o & 0x80000000u) {
			size_t k = o & 0x7fffffffu;

			if (k >= nlarge)
				goto bad;
			e->off = (uint64_t)store_be32(large + 8 * k) << 32 | store_be32(large + 8 * k + 4);
		} else {
			e->off = o;
		}
	}
	m->n += n;

	snprintf(path, sizeof(path), "%s/%s.pack", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		regit_error_set(REGIT_ERROR_OS, "open %s: %s", path, strerror(errno));
		error = errno == ENOENT ? REGIT_ENOTFOUND : REGIT_EIO;
		goto done;
	}
	if (fstat(fd, &st) != 0 || st.st_size < 32) {
		regit_error_set(REGIT_ERROR_STORE, "pack %s is too short", path);
		error = REGIT_EIO;
		goto done;
	}
	src->size = (size_t)st.st_size;
	src->map = mmap(NULL, src->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (src->map == MAP_FAILED) {
		src->map = NULL;
		regit_error_set(REGIT_ERROR_OS, "map %s: %s", path, strerror(errno));
		error = REGIT_EIO;
		goto done;
	}
	if (memcmp(src->map, "PACK", 4) != 0 || (store_be32(src->map + 4) != 2 &&
			store_be32(src->map + 4) != 3) || store_be32(src->map + 8) != n ||
			memcmp(src->map + src->size - 20, idx + len - 40, 20) != 0)
		goto bad;
	/* Lengths from the offsets; the last entry ends at the trailer. */
	qsort(m->ents + src->first, n, sizeof(*m->ents), store_src_ent_off_cmp);
	for (i = 0; i < n; i++) {
		store_src_ent *e = &m->ents[src->first + i];
		uint64_t end = i + 1 < n ? e[1].off : src->size - 20;

		if (e->off < 12 || end <= e->off || end > src->size - 20)
			goto bad;
		e->len = end - e->off;
	}
	goto done;
bad:
	regit_error_set(REGIT_ERROR_STORE, "pack %s/%s is malformed", dir, name);
	error = REGIT_EIO;
done:
	if (fd >= 0)
		close(fd);
	regit_free(idx);
	return error;
}

/* qsort_r: order of ids, then of position (the first copy of an id is kept). */
static int store_merge_id_cmp(const void *a, const void *b, void *payload)
{
	const store_src_ent *ents = payload;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = memcmp(ents[x].oid.id, ents[y].oid.id, 20);

	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/* Choose the entries to write: the first copy of each id, in order. */
static int store_merge_plan(store_merge *m, store_objs *objs)
{
	size_t *order = NULL;
	size_t i;
	int error = 0;

	order = regit_reallocarray(NULL, m->n ? m->n : 1, sizeof(*order));
	m->kept = regit_reallocarray(NULL, m->n ? m->n : 1, sizeof(*m->kept));
	if (!order || !m->kept) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (i = 0; i < m->n; i++)
		order[i] = i;
	/* Merges run without the store lock, one thread per store handle:
	 * the comparator's state travels in qsort_r's payload. */
	qsort_r(order, m->n, sizeof(*order), store_merge_id_cmp, m->ents);
	for (i = 0; i < m->n; i++) {
		if (i > 0 && memcmp(m->ents[order[i - 1]].oid.id, m->ents[order[i]].oid.id, 20) == 0)
			m->ents[order[i]].keeper = m->ents[order[i - 1]].keeper;
		else
			m->ents[order[i]].keeper = order[i];
	}
	m->nkept = 0;
	for (i = 0; i < m->n; i++) {
		if (m->ents[i].keeper != i)
			continue;
		m->kept[m->nkept++] = i;
		error = store_objs_add(objs, &m->ents[i].oid);
		if (error < 0)
			goto done;
	}
done:
	regit_free(order);
	return error;
}

/* The entry of source src that starts at off, or NULL. */
static store_src_ent *store_merge_at(store_merge *m, const store_src *src, uint64_t off)
{
	size_t lo = 0, hi = src->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		store_src_ent *e = &m->ents[src->first + mid];

		if (e->off == off)
			return e;
		if (e->off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * A delta turning tree a into tree b, entry by entry: both are sorted in
 * git's order, so one walk pairs their entries; runs of identical entries
 * become copies from a, the rest literal bytes of b. Unlike the chain's
 * prefix/suffix delta this stays small when the two differ in many places
 * (trees from packs written some commits apart).
 * @return 1 with d filled when it is under a quarter of b, 0 when b is
 *         better kept whole (or a tree is malformed), REGIT_ENOMEM
 */
static int store_tree_delta(regit_buf *d, const unsigned char *a, size_t alen,
	const unsigned char *b, size_t blen)
{
	const unsigned char *ap = a, *aend = a + alen, *bp = b, *bend = b + blen;
	const unsigned char *lit = NULL;
	uint64_t copy_off = 0, copy_len = 0;
	unsigned char head[20];
	size_t i;

	if (alen > 0xffffffffu || blen > 0xffffffffu)
		return 0;
	d->size = 0;
	i = store_delta_varint(head, alen);
	i += store_delta_varint(head + i, blen);
	if (regit_buf_put(d, head, i) < 0)
		return REGIT_ENOMEM;
	while (bp < bend) {
		const unsigned char *bnext, *anext = NULL;
		const char *bname, *aname;
		size_t bnl, anl;
		int bt, at, c = 1;

		if (store_tree_entry(bp, bend, &bnext, &bname, &bnl, &bt) < 0)
			return 0;
		while (ap < aend) {
			if (store_tree_entry(ap, aend, &anext, &aname, &anl, &at) < 0)
				return 0;
			c = store_name_cmp(aname, anl, at, bname, bnl, bt);
			if (c >= 0)
				break;
			ap = anext;   /* gone from b */
		}
		if (ap < aend && c == 0 && anext - ap == bnext - bp &&
		    memcmp(ap, bp, (size_t)(bnext - bp)) == 0) {
			if (lit) {
				if (store_delta_insert(d, lit, (size_t)(bp - lit)) < 0)
					return REGIT_ENOMEM;
				lit = NULL;
			}
			if (copy_len && copy_off + copy_len == (uint64_t)(ap - a)) {
				copy_len += (uint64_t)(anext - ap);
			} else {
				if (copy_len && store_delta_copy(d, copy_off, copy_len) < 0)
					return REGIT_ENOMEM;
				copy_off = (uint64_t)(ap - a);
				copy_len = (uint64_t)(anext - ap);
			}
		} else {
			if (copy_len) {
				if (store_delta_copy(d, copy_off, copy_len) < 0)
					return REGIT_ENOMEM;
				copy_len = 0;
			}
			if (!lit)
				lit = bp;
		}
		if (ap < aend && c == 0)
			ap = anext;   /* paired (kept or replaced) */
		bp = bnext;
		if (d->size >= blen / 4)
			return 0;
	}
	if (lit && store_delta_insert(d, lit, (size_t)(bp - lit)) < 0)
		return REGIT_ENOMEM;
	if (copy_len && store_delta_copy(d, copy_off, copy_len) < 0)
		return REGIT_ENOMEM;
	return d->size < blen / 4;
}

/*
 * A whole tree of STORE_STORE_TREES_FROM bytes or more being merged: each
 * commit's pack holds its own whole copy of the large `subjects/` tree
 * (stored without zlib, see STORE_STORE_TREES_FROM), so merged packs would
 * grow by that much per commit. Here, off the acknowledgement path, the
 * tree is written as a delta of the previous large tree kept whole (its
 * base always precedes it), or kept whole and made the next base.
 * @return 1 written, 0 not handled (copy it as it is), negative error
 */
static int store_merge_tree(store_merge *m, store_out *w, store_obj *obj, store_src_ent *e,
	const unsigned char *p, size_t hlen, uint64_t size)
{
	z_stream z;
	unsigned char head[32];
	size_t n = 0;
	regit_buf swap;
	int rc;

	if (size < STORE_STORE_TREES_FROM || size > ((size_t)1 << 30))
		return 0;
	if (!m->zw.fast_init) {
		regit_buf_init(&m->anchor, (size_t)1 << 31);
		regit_buf_init(&m->raw, (size_t)1 << 31);
		regit_buf_init(&m->delta, (size_t)1 << 31);
		if (store_zwriter_init(&m->zw, STORE_Z_FAST) < 0)
			return 0;
	}
	m->raw.size = 0;
	if (regit_buf_grow(&m->raw, (size_t)size) < 0)
		return REGIT_ENOMEM;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)p + hlen;
	z.avail_in = (uInt)(e->len - hlen);
	z.next_out = (unsigned char *)m->raw.ptr;
	z.avail_out = (uInt)size;
	rc = inflate(&z, Z_FINISH);
	n = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END || n != size)
		return 0;   /* copied as it is; the reader will judge it */
	m->raw.size = (size_t)size;
	if (m->has_anchor) {
		rc = store_tree_delta(&m->delta, (const unsigned char *)m->anchor.ptr,
			m->anchor.size, (const unsigned char *)m->raw.ptr, m->raw.size);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			n = store_entry_head(head, STORE_OBJ_OFS_DELTA, m->delta.size);
			n += store_entry_ofs(head + n, e->newoff - m->anchor_off);
			rc = store_put_entry(w, &m->zw, &m->zw.fast, head, n, m->delta.ptr,
				m->delta.size, &obj->crc);
			return rc < 0 ? rc : 1;
		}
	}
	/* Kept whole, as it is: the next large tree's base. */
	swap = m->anchor;
	m->anchor = m->raw;
	m->raw = swap;
	m->anchor_off = e->newoff;
	m->has_anchor = 1;
	return 0;
}

/* store_emit_fn: copy the i-th kept entry, rewriting an OFS_DELTA's base. */
static int store_merge_emit(store_out *w, store_obj *obj, size_t i, void *payload)
{
	store_merge *m = payload;
	store_src_ent *e = &m->ents[m->kept[i]];
	const store_src *src = &m->srcs[e->src];
	const unsigned char *p = src->map + e->off;
	size_t hlen = 1, olen;
	unsigned type = (p[0] >> 4) & 7;
	unsigned char c = p[0];
	int error;

	/* Copying bytes unchecked would carry a damaged pack forward. */
	if ((uint32_t)crc32_z(0, p, (z_size_t)e->len) != e->crc)
		goto bad;
	e->newoff = store_out_offset(w);
	obj->offset = e->newoff;
	/* Skip the type-and-size header. */
	while (c & 0x80) {
		if (hlen >= e->len || hlen > 10)
			goto bad;
		c = p[hlen++];
	}
	if (type == STORE_OBJ_OFS_DELTA) {
		uint64_t rel;
		unsigned char enc[16];
		size_t elen;
		store_src_ent *base;

		olen = hlen;
		c = p[olen++];
		rel = c & 127;
		while (c & 128) {
			if (olen >= e->len || rel > (UINT64_MAX >> 8))
				goto bad;
			rel += 1;
			c = p[olen++];
			rel = (rel << 7) + (c & 127);
		}
		if (rel == 0 || rel > e->off)
			goto bad;
		base = store_merge_at(m, src, e->off - rel);
		if (!base || base->off >= e->off)
			goto bad;
		base = &m->ents[base->keeper];
		/* The base was written before (earlier in this source or a
		 * previous one), so the distance is positive. */
		elen = store_entry_ofs(enc, e->newoff - base->newoff);
		obj->crc = (uint32_t)crc32_z(0, p, hlen);
		obj->crc = (uint32_t)crc32_z(obj->crc, enc, elen);
		obj->crc = (uint32_t)crc32_z(obj->crc, p + olen, (z_size_t)(e->len - olen));
		error = store_out_put(w, p, hlen);
		if (error == 0)
			error = store_out_put(w, enc, elen);
		if (error == 0)
			error = store_out_put(w, p + olen, e->len - olen);
		return error;
	}
	if (type == 0 || type == 5)
		goto bad;
	if (type == STORE_OBJ_TREE) {
		uint64_t size = p[0] & 15;
		size_t k;

		for (k = 1; k < hlen; k++)
			size |= (uint64_t)(p[k] & 0x7f) << (4 + 7 * (k - 1));
		error = store_merge_tree(m, w, obj, e, p, hlen, size);
		if (error != 0)
			return error < 0 ? error : 0;
	}
	obj->crc = e->crc;
	return store_out_put(w, p, e->len);
bad:
	{
		char hex[REGIT_STORE_OID_HEX];

		regit_store_oid_fmt(hex, &e->oid);
		regit_error_set(REGIT_ERROR_STORE, "pack entry of %s is damaged", hex);
	}
	return REGIT_EIO;
}

static int store_pack_cmp(const void *a, const void *b)
{
	const store_pack *x = a, *y = b;

	return x->count < y->count ? -1 : x->count > y->count;
}

/* The merge itself (store_internal.h); store_pack_merge chooses the packs. */
int store_merge_packs(char name[64], const char *dir, const char *const *names, size_t n)
{
	store_objs objs = { NULL, 0, 0 };
	store_merge merge;
	size_t i;
	int error = 0;

	memset(&merge, 0, sizeof(merge));
	for (i = 0; i < n && error == 0; i++)
		error = store_merge_add(&merge, dir, names[i]);
	if (error == 0)
		error = store_merge_plan(&merge, &objs);
	if (error == 0)
		error = store_write_pack(name, dir, objs.v, objs.n, store_merge_emit, &merge);
	store_merge_dispose(&merge);
	regit_free(objs.v);
	return error;
}

/*
 * Geometric repack: when there are more than STORE_MAX_PACKS packs, merge
 * the small ones so that the packs left, by object count, at least double
 * from one to the next. Their number is then logarithmic in the store's
 * size and each object is rewritten O(log n) times over the store's life.
 * (Choosing only "the smallest packs below twice their running total" is
 * not enough: one tiny pack in front of many equal ones stops that scan at
 * once, and the packs piled up.) Failures leave the packs as they were.
 * With one pack per commit, a limit of 16 merges about every 14th commit,
 * and each merge costs a copy of the merged bytes, three fsyncs and a
 * reopen; reading through 16 pack indexes is still cheap. It runs on the
 * store's merging thread (store_merger_main) without the store's lock,
 * except for deleting the merged packs and reopening.
 */
int store_pack_merge(const store_merge_target *t)
{
	store_pack *packs = NULL;
	const char **names = NULL;
	char dir[4096], path[4352], merged[64] = "";
	size_t n = 0, cap = 0, k = 0, i;
	uint64_t total = 0;
	struct dirent *de;
	DIR *d;
	int error = 0;

	snprintf(dir, sizeof(dir), "%s", t->packdir);
	d = opendir(dir);
	if (!d)
		return 0;
	/* readdir_r is deprecated; readdir is thread-safe per DIR stream. */
	/* cppcheck-suppress readdirCalled */
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 5 || len >= sizeof(packs->name) + 4 ||
				strcmp(de->d_name + len - 4, ".idx") != 0)
			continue;
		if (n == cap) {
			store_pack *grown = regit_array_grow(packs, &cap,
				n + 1, sizeof(*grown), 16);

			if (!grown) {
				error = REGIT_ENOMEM;
				break;
			}
			packs = grown;
		}
		memcpy(packs[n].name, de->d_name, len - 4);
		packs[n].name[len - 4] = '\0';
		/* git is still receiving (or was told to keep) a pack with a
		 * .keep file: leave it alone. */
		snprintf(path, sizeof(path), "%s/%s.keep", dir, packs[n].name);
		if (access(path, F_OK) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		packs[n].count = store_idx_count(path);
		n++;
	}
	closedir(d);
	if (error < 0 || n <= STORE_MAX_PACKS)
		goto done;
	qsort(packs, n, sizeof(*packs), store_pack_cmp);
	/* The largest packs that already grow by a factor of two stay; the
	 * rest is merged, and so is each next pack that the merged one is
	 * not yet half of (git repack --geometric=2 chooses the same way). */
	for (k = n - 1; k > 0; k--)
		if (packs[k].count < 2 * (uint64_t)packs[k - 1].count)
			break;
	for (i = 0; i < k; i++)
		total += packs[i].count;
	while (k < n && packs[k].count < 2 * total)
		total += packs[k++].count;
	if (k < 2)
		goto done;
	names = regit_reallocarray(NULL, k, sizeof(*names));
	if (!names) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (i = 0; i < k; i++)
		names[i] = packs[i].name;
	error = store_merge_packs(merged, dir, names, k);
	if (error < 0)
		goto done;
	/* The merged pack is durable (fsynced); the small ones can go, once
	 * nothing in this process reads through the handle's open packs. */
	if (t->lock)
		pthread_rwlock_wrlock(t->lock);
	for (i = 0; i < k; i++) {
		if (strcmp(merged, packs[i].name) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s.idx", dir, packs[i].name);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.pack", dir, packs[i].name);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.rev", dir, packs[i].name);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.bitmap", dir, packs[i].name);
		unlink(path);
	}
	if (t->reopen)
		error = t->reopen(t->ctx);
	if (t->lock)
		pthread_rwlock_unlock(t->lock);
done:
	regit_free(names);
	regit_free(packs);
	return error;
}

/*
 * The merging thread. A commit only flags that there may be work
 * (store_merger_kick); the thread merges while no lock is held - the source
 * packs are immutable files and the merged pack is a new one - and takes
 * the store's lock only to delete the merged packs and reopen the
 * repository. Commits and reads go on meanwhile, and no registration's
 * answer waits for a merge. If the thread cannot be started, the commit
 * merges itself, as before.
 */
struct store_merger {
	store_merge_target target;
	char *packdir;           /* target.packdir's copy */
	pthread_mutex_t mlock;
	pthread_cond_t mcond;    /* work or stop for the thread */
	pthread_cond_t midle;    /* the thread has nothing to do */
	pthread_t maint;
	int maint_started, mpending, mbusy, mstop;
};

int store_merger_new(store_merger **out, const store_merge_target *t)
{
	store_merger *m = regit_calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return REGIT_ENOMEM;
	m->target = *t;
	m->packdir = regit_strdup(t->packdir);
	if (!m->packdir) {
		regit_free(m);
		return REGIT_ENOMEM;
	}
	m->target.packdir = m->packdir;
	if (pthread_mutex_init(&m->mlock, NULL) != 0 ||
	    pthread_cond_init(&m->mcond, NULL) != 0 ||
	    pthread_cond_init(&m->midle, NULL) != 0) {
		/* (a failed init leaves nothing to destroy on Linux) */
		regit_error_set(REGIT_ERROR_OS, "mutex init");
		regit_free(m->packdir);
		regit_free(m);
		return REGIT_ERROR;
	}
	*out = m;
	return 0;
}

void store_merger_free(store_merger *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mlock);
	m->mstop = 1;
	pthread_cond_broadcast(&m->mcond);
	pthread_mutex_unlock(&m->mlock);
	if (m->maint_started)
		pthread_join(m->maint, NULL);
	pthread_cond_destroy(&m->midle);
	pthread_cond_destroy(&m->mcond);
	pthread_mutex_destroy(&m->mlock);
	regit_free(m->packdir);
	regit_free(m);
}

static void store_merger_run(store_merger *m)
{
	/* ENOTFOUND: another writer merged the same packs first; harmless. */
	int rc = store_pack_merge(&m->target);

	if (rc < 0 && rc != REGIT_ENOTFOUND)
		regit_log(REGIT_LOG_WARN, "regit: store repack skipped: %s\n", regit_error_message());
}

static void *store_merger_main(void *arg)
{
	store_merger *m = arg;

	pthread_mutex_lock(&m->mlock);
	for (;;) {
		while (!m->mpending && !m->mstop)
			pthread_cond_wait(&m->mcond, &m->mlock);
		if (m->mstop)
			break;
		m->mpending = 0;
		m->mbusy = 1;
		pthread_mutex_unlock(&m->mlock);
		store_merger_run(m);
		pthread_mutex_lock(&m->mlock);
		m->mbusy = 0;
		pthread_cond_broadcast(&m->midle);
	}
	m->mbusy = 0;
	pthread_cond_broadcast(&m->midle);
	pthread_mutex_unlock(&m->mlock);
	return NULL;
}

/* Called with target.lock held by the committing thread. */
void store_merger_kick(store_merger *m)
{
	int sync = 0;

	pthread_mutex_lock(&m->mlock);
	if (!m->maint_started && !m->mstop) {
		if (pthread_create(&m->maint, NULL, store_merger_main, m) == 0)
			m->maint_started = 1;
	}
	if (m->maint_started) {
		m->mpending = 1;
		pthread_cond_signal(&m->mcond);
	} else {
		sync = 1;
	}
	pthread_mutex_unlock(&m->mlock);
	if (sync) {
		/* store_pack_merge takes the lock itself for its last step. */
		if (m->target.lock)
			pthread_rwlock_unlock(m->target.lock);
		store_merger_run(m);
		if (m->target.lock)
			pthread_rwlock_wrlock(m->target.lock);
	}
}

void store_merger_idle(store_merger *m)
{
	pthread_mutex_lock(&m->mlock);
	while (m->maint_started && (m->mpending || m->mbusy) && !m->mstop)
		pthread_cond_wait(&m->midle, &m->mlock);
	pthread_mutex_unlock(&m->mlock);
}
