/*
 * cache.c - a start-up cache of what parsing a version's files produced.
 *
 * Building the index parses every .avsc and .json of the HEAD tree; with
 * 100,000 versions that is seconds of CPU. The results are a pure function
 * of the two blobs' content, so they are cached keyed by the two blob ids
 * in "<store>/regit-cache" (inside the bare repository, outside the tree:
 * it is derived data, never state, and never committed). A missing,
 * truncated or corrupt cache (checksum) is ignored; the index is then built
 * from the tree alone, as without a cache. Versions with references are
 * not cached (their text depends on other versions).
 *
 * Format (native byte order; the cache is local to the machine):
 *   "REGITC02" u32 count
 *   count x { oid avsc[20] oid meta[20] i32 id u8 deleted i64 ts u32 len text[len] }
 *   u64 checksum (cache_sum of everything before it)
 */
#include "registry/registry_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"

#define CACHE_MAGIC "REGITC02"
#define CACHE_MAX_SIZE ((size_t)1 << 31)

/*
 * Entries stay in file order, which is the index's order (subjects, then
 * versions), the order a start-up looks them up in: reg_cache_find tries
 * the entry after the last one found before searching. order[] sorts them
 * by (avsc, meta) for the search; key is the avsc id's leading bytes.
 */
typedef struct cache_pos {
	uint64_t key;
	uint32_t i;
} cache_pos;

struct reg_cache {
	char *data;                  /* the file, owned */
	size_t size;
	reg_cache_entry *entries;    /* file order */
	cache_pos *order;            /* by (avsc, meta) */
	size_t n;
};

/* FNV-1a over 8-byte words (then the tail bytes): a byte at a time was a
 * tenth of a warm start on a 20 MB cache. */
static uint64_t cache_sum(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int cache_entry_cmp(const reg_cache_entry *x, const reg_cache_entry *y)
{
	int c = memcmp(&x->avsc, &y->avsc, sizeof(x->avsc));

	return c ? c : memcmp(&x->meta, &y->meta, sizeof(x->meta));
}

static uint64_t cache_key(const regit_store_oid *oid)
{
	uint64_t k = 0;
	int i;

	for (i = 0; i < 8; i++)
		k = (k << 8) | oid->id[i];
	return k;
}

/* qsort_r: positions by (key, entry). */
static int cache_pos_cmp(const void *a, const void *b, void *payload)
{
	const cache_pos *x = a, *y = b;
	const reg_cache_entry *e = payload;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return cache_entry_cmp(&e[x->i], &e[y->i]);
}

void reg_cache_free(reg_cache *c)
{
	if (!c)
		return;
	regit_free(c->data);
	regit_free(c->entries);
	regit_free(c->order);
	regit_free(c);
}

/* Copy n bytes at *pos out of the file, bounds-checked. */
static int cache_take(void *out, const reg_cache *c, size_t *pos, size_t n)
{
	if (c->size - *pos < n)
		return 0;
	memcpy(out, c->data + *pos, n);
	*pos += n;
	return 1;
}

int reg_cache_load(reg_cache **out, const char *path)
{
	reg_cache *c = NULL;
	FILE *f = NULL;
	struct stat st;
	long len;
	size_t pos = 8, i;
	uint32_t count;
	uint64_t sum;
	int fd;

	*out = NULL;
	/*
	 * Whoever can push to the store can write its directory: a symlink
	 * (to a device, a huge file) or a FIFO (open would block the start)
	 * named regit-cache is not a cache. Only a regular file is read.
	 */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "rb"))) {
		close(fd);
		return 0;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 20 || (size_t)len > CACHE_MAX_SIZE ||
			fseek(f, 0, SEEK_SET) != 0)
		goto invalid;
	c = regit_calloc(1, sizeof(*c));
	if (!c)
		goto invalid;
	c->size = (size_t)len;
	c->data = regit_malloc(c->size);
	if (!c->data || fread(c->data, 1, c->size, f) != c->size)
		goto invalid;
	memcpy(&sum, c->data + c->size - 8, 8);
	c->size -= 8;
	if (memcmp(c->data, CACHE_MAGIC, 8) != 0 || cache_sum(c->data, c->size) != sum)
		goto invalid;
	if (!cache_take(&count, c, &pos, 4) || count > c->size / 53)
		goto invalid;
	c->entries = regit_calloc(count ? count : 1, sizeof(*c->entries));
	c->order = regit_calloc(count ? count : 1, sizeof(*c->order));
	if (!c->entries || !c->order)
		goto invalid;
	for (i = 0; i < count; i++) {
		reg_cache_entry *e = &c->entries[i];
		int32_t id;
		uint8_t deleted;
		int64_t ts;
		uint32_t tlen;

		if (!cache_take(&e->avsc, c, &pos, 20) || !cache_take(&e->meta, c, &pos, 20) ||
				!cache_take(&id, c, &pos, 4) || !cache_take(&deleted, c, &pos, 1) ||
				!cache_take(&ts, c, &pos, 8) || !cache_take(&tlen, c, &pos, 4) ||
				c->size - pos < tlen || id < 1)
			goto invalid;
		e->id = id;
		e->deleted = deleted ? 1 : 0;
		e->ts = ts;
		e->text = c->data + pos;
		e->len = tlen;
		pos += tlen;
		c->order[i].key = cache_key(&e->avsc);
		c->order[i].i = (uint32_t)i;
	}
	c->n = count;
	qsort_r(c->order, c->n, sizeof(*c->order), cache_pos_cmp, c->entries);
	fclose(f);
	*out = c;
	return 0;
invalid:
	/* A cache is an optimisation: anything wrong with it means "no cache". */
	if (f)
		fclose(f);
	reg_cache_free(c);
	return 0;
}

const reg_cache_entry *reg_cache_find(const reg_cache *c, const regit_store_oid *avsc,
	const regit_store_oid *meta, size_t *hint)
{
	reg_cache_entry key;
	uint64_t k;
	size_t lo = 0, hi;

	if (!c || !c->n)
		return NULL;
	key.avsc = *avsc;
	key.meta = *meta;
	if (hint && *hint < c->n && cache_entry_cmp(&c->entries[*hint], &key) == 0)
		return &c->entries[(*hint)++];
	k = cache_key(avsc);
	hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const cache_pos *pos = &c->order[mid];
		int cmp = pos->key != k ? (pos->key < k ? -1 : 1) :
			cache_entry_cmp(&c->entries[pos->i], &key);

		if (cmp == 0) {
			if (hint)
				*hint = (size_t)pos->i + 1;
			return &c->entries[pos->i];
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int reg_cache_save(const char *path, reg_subject *const *subjects, size_t nsubjects)
{
	regit_buf out;
	char *tmp = NULL;
	FILE *f = NULL;
	size_t i, j, tlen = strlen(path) + 16;
	uint32_t count = 0;
	uint64_t sum;
	int fd = -1;
	int error = 0;

	regit_buf_init(&out, CACHE_MAX_SIZE);
	error = regit_buf_put(&out, CACHE_MAGIC, 8);
	if (error == 0)
		error = regit_buf_put(&out, &count, 4);
	for (i = 0; i < nsubjects && error == 0; i++) {
		const reg_subject *s = subjects[i];

		for (j = 0; j < s->nversions && error == 0; j++) {
			const reg_version *v = s->versions[j];
			int32_t id = v->pub.id;
			uint8_t deleted = (uint8_t)v->pub.deleted;
			int64_t ts = v->pub.ts;
			uint32_t len = (uint32_t)v->text->len;

			if (!v->has_oids || v->nrefs)
				continue;
			error = regit_buf_put(&out, &v->avsc_oid, 20);
			if (error == 0)
				error = regit_buf_put(&out, &v->meta_oid, 20);
			if (error == 0)
				error = regit_buf_put(&out, &id, 4);
			if (error == 0)
				error = regit_buf_put(&out, &deleted, 1);
			if (error == 0)
				error = regit_buf_put(&out, &ts, 8);
			if (error == 0)
				error = regit_buf_put(&out, &len, 4);
			if (error == 0)
				error = regit_buf_put(&out, v->text->s, v->text->len);
			count++;
		}
	}
	if (error < 0)
		goto done;
	memcpy(out.ptr + 8, &count, 4);
	sum = cache_sum(out.ptr, out.size);
	error = regit_buf_put(&out, &sum, 8);
	if (error < 0)
		goto done;
	/*
	 * Written aside and renamed: readers see the old or the new file. The
	 * store directory is writable by whoever may push to it, so the
	 * temporary name is never predictable and never an existing file
	 * (mkostemp: O_EXCL, which also refuses a symlink): a name like
	 * "regit-cache.<pid>" let a planted symlink make the server overwrite
	 * any file it can write. rename() replaces a symlink at path itself,
	 * never its target.
	 */
	tmp = regit_malloc(tlen);
	if (!tmp) {
		error = REGIT_ENOMEM;
		goto done;
	}
	snprintf(tmp, tlen, "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		regit_free(tmp);
		tmp = NULL;
		error = REGIT_EIO;
		goto done;
	}
	/* derived from the public tree: as readable as the repository */
	(void)fchmod(fd, 0644);
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		error = REGIT_EIO;
		goto done;
	}
	if (fwrite(out.ptr, 1, out.size, f) != out.size) {
		error = REGIT_EIO;
		goto done;
	}
	if (fclose(f) != 0) {
		f = NULL;
		error = REGIT_EIO;
		goto done;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		error = REGIT_EIO;
done:
	if (f)
		fclose(f);
	if (error < 0 && tmp)
		unlink(tmp);
	if (error == REGIT_EIO)
		regit_error_set(REGIT_ERROR_OS, "cannot write %s", path);
	regit_free(tmp);
	regit_buf_dispose(&out);
	return error;
}
