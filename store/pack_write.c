/*
 * pack_write.c - writing git packs: the pack and its version-2 index,
 * durably; the pieces of an entry (type-and-size header, OFS_DELTA
 * distance, deflated body, delta instructions); git object ids.
 *
 * Why it exists, and why the store writes packs itself rather than with
 * libgit2's pack builder: the builder searches for deltas and then runs
 * the indexer over its own output (inflating and hashing every object a
 * second time), which made writing a pack of a handful of objects cost
 * milliseconds of CPU per commit and merging packs tens of milliseconds.
 * The objects here are small JSON files and trees, so the pack stores them
 * whole (zlib at its fastest level) or as deltas the caller chose, and the
 * index is computed while writing. The result is an ordinary version 2
 * pack and index; `git gc` may later repack it. The measurement against
 * libgit2's writers is in store/README.md (bench/bench_pack.c).
 *
 * Used by pack_batch.c (a commit chain's pack) and pack_merge.c (merged
 * packs); tests/store/test_pack_write.c checks its output with git.
 */
#include "store/store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

/*
 * The code for a failed write, read, fsync or rename with this errno: a
 * full disk or an exhausted quota is REGIT_ENOSPC, so the registry can
 * say so (answer, /health, /metrics); anything else REGIT_EIO.
 */
int store_os_code(int err)
{
	return err == ENOSPC || err == EDQUOT ? REGIT_ENOSPC : REGIT_EIO;
}

/* Part of the store's API (store.h), here because every file of the store
 * names objects in its messages and this is the file below them all. */
void regit_store_oid_fmt(char out[REGIT_STORE_OID_HEX], const regit_store_oid *oid)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 20; i++) {
		out[2 * i] = hex[oid->id[i] >> 4];
		out[2 * i + 1] = hex[oid->id[i] & 15];
	}
	out[40] = '\0';
}

/* The names of STORE_OBJ_* in an object's header (git's, "tree" etc.). */
static const char *const store_obj_names[] = {
	[STORE_OBJ_COMMIT] = "commit",
	[STORE_OBJ_TREE] = "tree",
	[STORE_OBJ_BLOB] = "blob",
	[STORE_OBJ_TAG] = "tag",
};

int store_obj_hash(regit_store_oid *out, int type, const void *data, size_t len)
{
	EVP_MD_CTX *c;
	char head[64];
	unsigned int n = 0;
	int hlen, ok;

	if (type < STORE_OBJ_COMMIT || type > STORE_OBJ_TAG) {
		regit_error_set(REGIT_ERROR_STORE, "no object type %d", type);
		return REGIT_ERROR;
	}
	c = EVP_MD_CTX_new();
	hlen = snprintf(head, sizeof(head), "%s %zu", store_obj_names[type], len);
	ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 &&
		EVP_DigestUpdate(c, head, (size_t)hlen + 1) == 1 &&
		EVP_DigestUpdate(c, data, len) == 1 &&
		EVP_DigestFinal_ex(c, out->id, &n) == 1 && n == 20;
	EVP_MD_CTX_free(c);
	if (!ok) {
		regit_error_set(REGIT_ERROR_STORE, "SHA-1 failed");
		return REGIT_ERROR;
	}
	return 0;
}

int store_objs_add(store_objs *o, const regit_store_oid *oid)
{
	if (o->n == o->cap) {
		store_obj *grown = regit_array_grow(o->v, &o->cap,
			o->n + 1, sizeof(*grown), 64);

		if (!grown)
			return REGIT_ENOMEM;
		o->v = grown;
	}
	memset(&o->v[o->n], 0, sizeof(o->v[o->n]));
	o->v[o->n].oid = *oid;
	o->n++;
	return 0;
}


static int store_obj_cmp(const void *a, const void *b)
{
	return memcmp(((const store_obj *)a)->oid.id, ((const store_obj *)b)->oid.id, 20);
}

/* Buffered writes to a file with a running SHA-1 of everything written. */
typedef struct store_out {
	int fd;
	EVP_MD_CTX *sha;
	unsigned char buf[1 << 16];
	size_t len;
	uint64_t total;
} store_out;


uint64_t store_out_offset(const store_out *w)
{
	return w->total;
}

static int store_out_flush(store_out *w)
{
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;   /* a short write: the disk is full */

			regit_error_set(REGIT_ERROR_OS, "write pack: %s", strerror(err));
			return store_os_code(err);
		}
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}


int store_out_put(store_out *w, const void *data, size_t len)
{
	const unsigned char *p = data;
	int error;

	if (EVP_DigestUpdate(w->sha, data, len) != 1) {
		regit_error_set(REGIT_ERROR_STORE, "SHA-1 failed");
		return REGIT_ERROR;
	}
	w->total += len;
	while (len > 0) {
		size_t n = sizeof(w->buf) - w->len;

		if (n > len)
			n = len;
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p += n;
		len -= n;
		if (w->len == sizeof(w->buf)) {
			error = store_out_flush(w);
			if (error < 0)
				return error;
		}
	}
	return 0;
}

/* The digest so far (the trailer of a pack or index), appended too. */
static int store_out_finish(store_out *w, unsigned char sum[20])
{
	unsigned int len = 0;
	int error;

	if (EVP_DigestFinal_ex(w->sha, sum, &len) != 1 || len != 20) {
		regit_error_set(REGIT_ERROR_STORE, "SHA-1 failed");
		return REGIT_ERROR;
	}
	if (w->len + 20 > sizeof(w->buf)) {
		error = store_out_flush(w);
		if (error < 0)
			return error;
	}
	memcpy(w->buf + w->len, sum, 20);
	w->len += 20;
	w->total += 20;
	error = store_out_flush(w);
	if (error < 0)
		return error;
	while (fsync(w->fd) != 0) {
		if (errno != EINTR) {
			regit_error_set(REGIT_ERROR_OS, "fsync pack: %s", strerror(errno));
			return store_os_code(errno);
		}
	}
	return 0;
}

static void store_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* A temporary file in dir, created read-only for everyone like git's packs.
 * @return the descriptor, or REGIT_ENOSPC, REGIT_EIO */
static int store_tmpfile(char *path, size_t pathlen, const char *dir, const char *what)
{
	int fd;

	snprintf(path, pathlen, "%s/" STORE_TMP_PREFIX "%s_XXXXXX", dir, what);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		regit_error_set(REGIT_ERROR_OS, "create %s: %s", path, strerror(err));
		return store_os_code(err);
	}
	(void)fchmod(fd, 0444);
	return fd;
}

int store_pack_sweep_tmp(const char *dir, long max_age_seconds)
{
	size_t prefix = strlen(STORE_TMP_PREFIX);
	char path[4300];
	struct dirent *e;
	struct stat st;
	time_t now = time(NULL);
	int removed = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, STORE_TMP_PREFIX, prefix) != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (now - st.st_mtime < max_age_seconds)
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

/* The .idx for objs (sorted, offsets and crcs set), version 2. */
static int store_write_idx(store_out *w, const store_obj *objs, size_t n,
	const unsigned char pack_sum[20])
{
	unsigned char b[8];
	unsigned char sum[20];
	uint32_t fanout[256];
	uint32_t nlarge = 0;
	size_t i;
	int error;

	memset(fanout, 0, sizeof(fanout));
	for (i = 0; i < n; i++)
		fanout[objs[i].oid.id[0]]++;
	for (i = 1; i < 256; i++)
		fanout[i] += fanout[i - 1];
	error = store_out_put(w, "\377tOc\0\0\0\2", 8);
	for (i = 0; i < 256 && error == 0; i++) {
		store_put_be32(b, fanout[i]);
		error = store_out_put(w, b, 4);
	}
	for (i = 0; i < n && error == 0; i++)
		error = store_out_put(w, objs[i].oid.id, 20);
	for (i = 0; i < n && error == 0; i++) {
		store_put_be32(b, objs[i].crc);
		error = store_out_put(w, b, 4);
	}
	/* Offsets past 2 GiB go to the 8-byte table (MSB set: its index). */
	for (i = 0; i < n && error == 0; i++) {
		store_put_be32(b, objs[i].offset < 0x80000000u ? (uint32_t)objs[i].offset :
			0x80000000u | nlarge++);
		error = store_out_put(w, b, 4);
	}
	for (i = 0; i < n && error == 0; i++) {
		if (objs[i].offset < 0x80000000u)
			continue;
		store_put_be32(b, (uint32_t)(objs[i].offset >> 32));
		store_put_be32(b + 4, (uint32_t)objs[i].offset);
		error = store_out_put(w, b, 8);
	}
	if (error == 0)
		error = store_out_put(w, pack_sum, 20);
	if (error == 0)
		error = store_out_finish(w, sum);
	return error;
}

int store_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int error = 0;

	if (fd < 0 || fsync(fd) != 0) {
		error = store_os_code(errno);
		regit_error_set(REGIT_ERROR_OS, "fsync %s: %s", dir, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return error;
}

/* The paths of a pack being written (large: kept off the stack). */
typedef struct store_pack_paths {
	char dir[4096], tmp_pack[4200], tmp_idx[4200], path[4300];
} store_pack_paths;

int store_write_pack(char name[64], const char *dir, store_obj *objs, size_t n,
	store_emit_fn emit, void *payload)
{
	unsigned char head[12], pack_sum[20];
	store_pack_paths *pp = NULL;
	size_t i;
	store_out *w = NULL;
	int error = 0;

	if (n > 0xffffffffu) {
		regit_error_set(REGIT_ERROR_STORE, "too many objects for one pack");
		return REGIT_ELIMIT;
	}
	pp = regit_calloc(1, sizeof(*pp));
	w = regit_calloc(1, sizeof(*w));
	if (!pp || !w) {
		error = REGIT_ENOMEM;
		goto done;
	}
	snprintf(pp->dir, sizeof(pp->dir), "%s", dir);
	w->fd = -1;
	w->sha = EVP_MD_CTX_new();
	if (!w->sha || EVP_DigestInit_ex(w->sha, EVP_sha1(), NULL) != 1) {
		regit_error_set(REGIT_ERROR_STORE, "cannot set up pack writing");
		error = REGIT_ERROR;
		goto done;
	}
	w->fd = store_tmpfile(pp->tmp_pack, sizeof(pp->tmp_pack), pp->dir, "pack");
	if (w->fd < 0) {
		pp->tmp_pack[0] = '\0';
		error = w->fd;
		w->fd = -1;
		goto done;
	}
	memcpy(head, "PACK", 4);
	store_put_be32(head + 4, 2);
	store_put_be32(head + 8, (uint32_t)n);
	error = store_out_put(w, head, sizeof(head));
	for (i = 0; i < n && error == 0; i++)
		error = emit(w, &objs[i], i, payload);
	if (error == 0)
		error = store_out_finish(w, pack_sum);
	if (error < 0)
		goto done;
	close(w->fd);
	w->fd = -1;

	if (n > 1)
		qsort(objs, n, sizeof(*objs), store_obj_cmp);
	for (i = 1; i < n; i++) {
		if (memcmp(objs[i - 1].oid.id, objs[i].oid.id, 20) == 0) {
			regit_error_set(REGIT_ERROR_STORE, "object twice in one pack");
			error = REGIT_ERROR;
			goto done;
		}
	}
	if (EVP_DigestInit_ex(w->sha, EVP_sha1(), NULL) != 1) {
		error = REGIT_ERROR;
		goto done;
	}
	w->total = 0;
	w->fd = store_tmpfile(pp->tmp_idx, sizeof(pp->tmp_idx), pp->dir, "idx");
	if (w->fd < 0) {
		pp->tmp_idx[0] = '\0';
		error = w->fd;
		w->fd = -1;
		goto done;
	}
	error = store_write_idx(w, objs, n, pack_sum);
	if (error < 0)
		goto done;
	close(w->fd);
	w->fd = -1;

	{
		char hex[REGIT_STORE_OID_HEX];
		regit_store_oid sum;

		memcpy(sum.id, pack_sum, 20);
		regit_store_oid_fmt(hex, &sum);
		snprintf(pp->path, sizeof(pp->path), "%s/pack-%s.pack", pp->dir, hex);
		if (rename(pp->tmp_pack, pp->path) != 0)
			goto rename_failed;
		pp->tmp_pack[0] = '\0';
		snprintf(pp->path, sizeof(pp->path), "%s/pack-%s.idx", pp->dir, hex);
		if (rename(pp->tmp_idx, pp->path) != 0)
			goto rename_failed;
		pp->tmp_idx[0] = '\0';
		if (name)
			snprintf(name, 64, "pack-%s", hex);
	}
	error = store_fsync_dir(pp->dir);
	goto done;
rename_failed:
	error = store_os_code(errno);
	regit_error_set(REGIT_ERROR_OS, "rename %s: %s", pp->path, strerror(errno));
done:
	if (w && w->fd >= 0)
		close(w->fd);
	if (pp && pp->tmp_pack[0])
		unlink(pp->tmp_pack);
	if (pp && pp->tmp_idx[0])
		unlink(pp->tmp_idx);
	if (w)
		EVP_MD_CTX_free(w->sha);
	regit_free(w);
	regit_free(pp);
	return error;
}


/* ---- entries -------------------------------------------------------------- */

/* Type in bits 4-6 of the first byte, size in 4 + 7k bits. */
size_t store_entry_head(unsigned char *head, unsigned type, uint64_t size)
{
	size_t hlen = 0;

	head[hlen] = (unsigned char)((type << 4) | (size & 15));
	size >>= 4;
	while (size) {
		head[hlen++] |= 0x80;
		head[hlen] = (unsigned char)(size & 0x7f);
		size >>= 7;
	}
	return hlen + 1;
}

/* Big-endian base-128 with an offset of one per continuation byte. */
size_t store_entry_ofs(unsigned char *out, uint64_t rel)
{
	unsigned char enc[16];
	size_t epos = sizeof(enc);

	enc[--epos] = (unsigned char)(rel & 127);
	while (rel >>= 7)
		enc[--epos] = (unsigned char)(128 | (--rel & 127));
	memcpy(out, enc + epos, sizeof(enc) - epos);
	return sizeof(enc) - epos;
}

int store_zwriter_init(store_zwriter *zw, int which)
{
	if ((which & STORE_Z_FAST) && !zw->fast_init) {
		if (deflateInit2(&zw->fast, Z_BEST_SPEED, Z_DEFLATED, 15, 8,
				Z_DEFAULT_STRATEGY) != Z_OK)
			return REGIT_ERROR;
		zw->fast_init = 1;
	}
	if ((which & STORE_Z_SMALL) && !zw->small_init) {
		if (deflateInit2(&zw->small, Z_BEST_SPEED, Z_DEFLATED, 12, 1,
				Z_DEFAULT_STRATEGY) != Z_OK)
			return REGIT_ERROR;
		zw->small_init = 1;
	}
	if ((which & STORE_Z_STORED) && !zw->stored_init) {
		if (deflateInit2(&zw->stored, Z_NO_COMPRESSION, Z_DEFLATED, 15, 1,
				Z_DEFAULT_STRATEGY) != Z_OK)
			return REGIT_ERROR;
		zw->stored_init = 1;
	}
	return 0;
}

void store_zwriter_dispose(store_zwriter *zw)
{
	if (zw->fast_init)
		deflateEnd(&zw->fast);
	if (zw->small_init)
		deflateEnd(&zw->small);
	if (zw->stored_init)
		deflateEnd(&zw->stored);
	regit_free(zw->zbuf);
	memset(zw, 0, sizeof(*zw));
}

/* Deflate data into the pack after an entry header. */
int store_put_entry(store_out *w, store_zwriter *nw, z_stream *z,
	const unsigned char *head, size_t hlen, const void *data, size_t len, uint32_t *crc)
{
	size_t bound = deflateBound(z, (uLong)len);
	int error;

	if (bound > nw->zcap) {
		unsigned char *grown = regit_realloc(nw->zbuf, bound);

		if (!grown)
			return REGIT_ENOMEM;
		nw->zbuf = grown;
		nw->zcap = bound;
	}
	if (deflateReset(z) != Z_OK)
		return REGIT_ERROR;
	z->next_in = (unsigned char *)data;
	z->avail_in = (uInt)len;
	z->next_out = nw->zbuf;
	z->avail_out = (uInt)nw->zcap;
	if (deflate(z, Z_FINISH) != Z_STREAM_END) {
		regit_error_set(REGIT_ERROR_STORE, "deflate failed");
		return REGIT_ERROR;
	}
	*crc = (uint32_t)crc32_z(crc32_z(0, head, hlen), nw->zbuf, z->total_out);
	error = store_out_put(w, head, hlen);
	if (error == 0)
		error = store_out_put(w, nw->zbuf, z->total_out);
	return error;
}


/* ---- delta instructions ----------------------------------------------------- */

/* Append git's variable-length size (7 bits a byte, low first). */
size_t store_delta_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = (unsigned char)(v & 127);
		v >>= 7;
		if (v)
			p[n] |= 128;
		n++;
	} while (v);
	return n;
}

/* Copy instructions for base[off, off+len), at most 0xffff bytes each. */
int store_delta_copy(regit_buf *d, uint64_t off, uint64_t len)
{
	while (len > 0) {
		unsigned char op[8];
		size_t n = 1;
		uint64_t chunk = len > 0xffff ? 0xffff : len;
		int k;

		op[0] = 0x80;
		for (k = 0; k < 4; k++) {
			unsigned char b = (unsigned char)(off >> (8 * k));

			if (b) {
				op[0] |= (unsigned char)(1 << k);
				op[n++] = b;
			}
		}
		for (k = 0; k < 2; k++) {
			unsigned char b = (unsigned char)(chunk >> (8 * k));

			if (b) {
				op[0] |= (unsigned char)(0x10 << k);
				op[n++] = b;
			}
		}
		if (regit_buf_put(d, op, n) < 0)
			return REGIT_ENOMEM;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* Literal bytes for a delta, 127 at most per instruction. */
int store_delta_insert(regit_buf *d, const unsigned char *p, size_t len)
{
	while (len > 0) {
		unsigned char n = (unsigned char)(len > 127 ? 127 : len);

		if (regit_buf_put(d, &n, 1) < 0 || regit_buf_put(d, p, n) < 0)
			return REGIT_ENOMEM;
		p += n;
		len -= n;
	}
	return 0;
}

