/*
 * store_mem.c - a store held in memory: the store interface (store.h)
 * without git or a disk, for unit tests.
 *
 * Why it exists: tests of code above the store want a store that is fast,
 * needs no temporary directory and behaves like the git store where the
 * registry can see it (issue #11): the same compare-and-swap on the head,
 * the same path checks, "a name is a file or a directory, never both",
 * duplicate paths in one change set resolving to the last, blob ids equal
 * to regit_store_blob_oid's, first-parent history, the served ref.
 * tests/store/test_store_api.c runs the same tests against both stores.
 *
 * What differs: commit ids are SHA-1s of this file's own serialisation
 * (unique, not git's); regit_store_resolve knows full hex ids, HEAD, main
 * and refs/heads/main with an optional ~N; regit_store_add_objects is
 * refused; nothing is durable. One mutex serialises every call (the
 * callbacks of log and file_origins run under it, as the git store's run
 * under its lock).
 */
#include "store/store_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct mem_blob {
	regit_store_oid id;
	unsigned char *data;     /* owned */
	size_t len;
} mem_blob;

typedef struct mem_file {
	char *path;              /* owned */
	regit_store_oid oid;
} mem_file;

typedef struct mem_commit {
	regit_store_oid id;
	size_t parent;           /* index + 1; 0 for a root */
	mem_file *files;         /* owned, sorted by path (byte order) */
	size_t nfiles;
	char *author;            /* owned */
	char *message;           /* owned */
	long long time;
} mem_commit;

typedef struct store_mem {
	store_base base;
	pthread_mutex_t lock;
	regit_store_options opts;
	mem_blob *blobs;
	size_t nblobs, capblobs;
	mem_commit *commits;
	size_t ncommits, capcommits;
	size_t head;             /* commit index + 1; 0: no branch yet */
	regit_store_oid served;
	int has_served;
} store_mem;

static store_mem *mem_of(regit_store *store)
{
	return (store_mem *)(void *)store;
}

static void mem_hex(char out[REGIT_STORE_OID_HEX], const regit_store_oid *id)
{
	regit_store_oid_fmt(out, id);
}

/* A 40-digit hex id. @return 0, -1 */
static int mem_parse(regit_store_oid *out, const char *hex)
{
	size_t i;

	if (!hex || strlen(hex) != 40)
		return -1;
	for (i = 0; i < 40; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out->id[i / 2] = (unsigned char)(v << 4);
		else
			out->id[i / 2] |= (unsigned char)v;
	}
	return 0;
}

/* The commit with this id: index + 1, or 0. */
static size_t mem_find_commit(const store_mem *m, const regit_store_oid *id)
{
	size_t i;

	for (i = 0; i < m->ncommits; i++)
		if (memcmp(m->commits[i].id.id, id->id, 20) == 0)
			return i + 1;
	return 0;
}

/* A commit named by hex (NULL or "": the head; *c = 0 when unborn).
 * @return 0, REGIT_ENOTFOUND */
static int mem_commit_at(size_t *c, const store_mem *m, const char *hex)
{
	regit_store_oid id;

	if (!hex || !*hex) {
		*c = m->head;
		return 0;
	}
	if (mem_parse(&id, hex) < 0 || !(*c = mem_find_commit(m, &id))) {
		regit_error_set(REGIT_ERROR_STORE, "no commit '%.64s' in the store", hex);
		return REGIT_ENOTFOUND;
	}
	return 0;
}

static const mem_blob *mem_find_blob(const store_mem *m, const regit_store_oid *id)
{
	size_t i;

	for (i = 0; i < m->nblobs; i++)
		if (memcmp(m->blobs[i].id.id, id->id, 20) == 0)
			return &m->blobs[i];
	return NULL;
}

static int mem_put_blob(regit_store_oid *out, store_mem *m, const void *data, size_t len)
{
	mem_blob *b;
	int error = store_obj_hash(out, STORE_OBJ_BLOB, data, len);

	if (error < 0 || mem_find_blob(m, out))
		return error;
	if (m->nblobs == m->capblobs) {
		size_t ncap = m->capblobs ? 2 * m->capblobs : 64;
		mem_blob *grown = regit_reallocarray(m->blobs, ncap, sizeof(*grown));

		if (!grown)
			return REGIT_ENOMEM;
		m->blobs = grown;
		m->capblobs = ncap;
	}
	b = &m->blobs[m->nblobs];
	b->data = regit_malloc(len ? len : 1);
	if (!b->data)
		return REGIT_ENOMEM;
	memcpy(b->data, data, len);
	b->len = len;
	b->id = *out;
	m->nblobs++;
	return 0;
}

static void mem_files_free(mem_file *f, size_t n)
{
	size_t i;

	for (i = 0; f && i < n; i++)
		regit_free(f[i].path);
	regit_free(f);
}

static void mem_commit_dispose(mem_commit *c)
{
	mem_files_free(c->files, c->nfiles);
	regit_free(c->author);
	regit_free(c->message);
	memset(c, 0, sizeof(*c));
}

/* ---- a commit's files, edited as the git store edits its trees ---------------- */

typedef struct mem_files {
	mem_file *v;
	size_t n, cap;
} mem_files;

static int mem_path_cmp(const void *a, const void *b)
{
	return strcmp(((const mem_file *)a)->path, ((const mem_file *)b)->path);
}

/* Is f under dir/ (dir a path, len its length)? */
static int mem_under(const char *f, const char *dir, size_t len)
{
	return strncmp(f, dir, len) == 0 && f[len] == '/';
}

/*
 * Apply one change: the git store removes, at every level of the path, the
 * name both as a file and as a directory before it writes the new entry,
 * so a file on the way (a file "a" when writing "a/b") goes, and so does
 * a directory where the file goes (or is removed).
 */
static int mem_apply(mem_files *fs, store_mem *m, const regit_store_change *c)
{
	size_t i, w, plen = strlen(c->path);
	regit_store_oid oid;
	int error;

	for (i = 0, w = 0; i < fs->n; i++) {
		const char *f = fs->v[i].path;
		size_t flen = strlen(f);
		int gone = strcmp(f, c->path) == 0 || mem_under(f, c->path, plen) ||
			(flen < plen && mem_under(c->path, f, flen));

		if (gone)
			regit_free(fs->v[i].path);
		else
			fs->v[w++] = fs->v[i];
	}
	fs->n = w;
	if (c->remove)
		return 0;
	error = mem_put_blob(&oid, m, c->data, c->len);
	if (error < 0)
		return error;
	if (fs->n == fs->cap) {
		size_t ncap = fs->cap ? 2 * fs->cap : 64;
		mem_file *grown = regit_reallocarray(fs->v, ncap, sizeof(*grown));

		if (!grown)
			return REGIT_ENOMEM;
		fs->v = grown;
		fs->cap = ncap;
	}
	fs->v[fs->n].path = regit_strdup(c->path);
	if (!fs->v[fs->n].path)
		return REGIT_ENOMEM;
	fs->v[fs->n].oid = oid;
	fs->n++;
	return 0;
}

/* The commit's id: SHA-1 of its parent, files, author, time and message. */
static int mem_commit_id(mem_commit *c, const store_mem *m)
{
	regit_buf b = REGIT_BUF_INIT;
	char hex[REGIT_STORE_OID_HEX];
	size_t i;
	int error;

	error = regit_buf_printf(&b, "parent %s\nauthor %s %lld\n",
		c->parent ? (mem_hex(hex, &m->commits[c->parent - 1].id), hex) : "-",
		c->author, c->time);
	for (i = 0; i < c->nfiles && error == 0; i++) {
		mem_hex(hex, &c->files[i].oid);
		error = regit_buf_printf(&b, "%s %s\n", hex, c->files[i].path);
	}
	if (error == 0)
		error = regit_buf_printf(&b, "\n%s", c->message);
	if (error == 0)
		error = store_obj_hash(&c->id, STORE_OBJ_COMMIT, b.ptr, b.size);
	regit_buf_dispose(&b);
	return error < 0 ? error : 0;
}

/* Append a commit of spec on top of commit `parent` (index + 1). */
static int mem_commit_one(store_mem *m, size_t parent, const regit_store_commit_spec *spec)
{
	mem_files fs = { NULL, 0, 0 };
	mem_commit *c;
	size_t i;
	int error = 0;

	if (parent) {
		const mem_commit *p = &m->commits[parent - 1];

		fs.v = regit_reallocarray(NULL, p->nfiles ? p->nfiles : 1, sizeof(*fs.v));
		if (!fs.v)
			return REGIT_ENOMEM;
		fs.cap = p->nfiles ? p->nfiles : 1;
		for (i = 0; i < p->nfiles; i++) {
			fs.v[i].oid = p->files[i].oid;
			fs.v[i].path = regit_strdup(p->files[i].path);
			if (!fs.v[i].path) {
				mem_files_free(fs.v, i);
				return REGIT_ENOMEM;
			}
		}
		fs.n = p->nfiles;
	}
	/* in order: a path given twice ends as its last change says */
	for (i = 0; i < spec->nchanges && error == 0; i++)
		error = mem_apply(&fs, m, &spec->changes[i]);
	if (error == 0 && m->ncommits == m->capcommits) {
		size_t ncap = m->capcommits ? 2 * m->capcommits : 64;
		mem_commit *grown = regit_reallocarray(m->commits, ncap, sizeof(*grown));

		if (!grown)
			error = REGIT_ENOMEM;
		else {
			m->commits = grown;
			m->capcommits = ncap;
		}
	}
	if (error < 0) {
		mem_files_free(fs.v, fs.n);
		return error;
	}
	qsort(fs.v, fs.n, sizeof(*fs.v), mem_path_cmp);
	c = &m->commits[m->ncommits];
	memset(c, 0, sizeof(*c));
	c->parent = parent;
	c->files = fs.v;
	c->nfiles = fs.n;
	c->time = (long long)time(NULL);
	c->author = store_author_name(spec->author);
	c->message = regit_strdup(spec->message ? spec->message : "");
	if (!c->author || !c->message) {
		mem_commit_dispose(c);
		return REGIT_ENOMEM;
	}
	error = mem_commit_id(c, m);
	if (error < 0) {
		mem_commit_dispose(c);
		return error;
	}
	m->ncommits++;
	return 0;
}

/* ---- the table ------------------------------------------------------------------ */

static void mem_free(regit_store *store)
{
	store_mem *m = mem_of(store);
	size_t i;

	for (i = 0; i < m->ncommits; i++)
		mem_commit_dispose(&m->commits[i]);
	for (i = 0; i < m->nblobs; i++)
		regit_free(m->blobs[i].data);
	regit_free(m->commits);
	regit_free(m->blobs);
	pthread_mutex_destroy(&m->lock);
	regit_free(m);
}

static int mem_head(regit_store *store, char out[REGIT_STORE_OID_HEX])
{
	store_mem *m = mem_of(store);

	pthread_mutex_lock(&m->lock);
	out[0] = '\0';
	if (m->head)
		mem_hex(out, &m->commits[m->head - 1].id);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int mem_list(regit_store_listing **out, regit_store *store, const char *commit)
{
	store_mem *m = mem_of(store);
	regit_store_listing *l = regit_calloc(1, sizeof(*l));
	size_t c = 0, i;
	int error;

	*out = NULL;
	if (!l)
		return REGIT_ENOMEM;
	pthread_mutex_lock(&m->lock);
	error = mem_commit_at(&c, m, commit);
	if (error == 0 && c) {
		const mem_commit *mc = &m->commits[c - 1];

		mem_hex(l->head, &mc->id);
		if (mc->nfiles > m->opts.max_files) {
			regit_error_set(REGIT_ERROR_STORE, "store tree has more than %zu files",
				m->opts.max_files);
			error = REGIT_ELIMIT;
		} else if (mc->nfiles) {
			l->files = regit_calloc(mc->nfiles, sizeof(*l->files));
			if (!l->files)
				error = REGIT_ENOMEM;
		}
		for (i = 0; i < mc->nfiles && error == 0; i++) {
			l->files[i].path = store_pool_strndup(l, mc->files[i].path,
				strlen(mc->files[i].path));
			if (!l->files[i].path)
				error = REGIT_ENOMEM;
			l->files[i].oid = mc->files[i].oid;
			l->nfiles++;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (error < 0) {
		regit_store_listing_free(l);
		return error;
	}
	*out = l;
	return 0;
}

static int mem_read_blob(regit_buf *out, const store_mem *m, const regit_store_oid *oid)
{
	const mem_blob *b = mem_find_blob(m, oid);
	int error;

	if (!b) {
		regit_error_set(REGIT_ERROR_STORE, "read blob: no such object");
		return REGIT_ENOTFOUND;
	}
	error = regit_buf_put(out, b->data, b->len);
	if (error == REGIT_ELIMIT)
		regit_error_set(REGIT_ERROR_STORE, "stored file larger than %zu bytes", out->max);
	return error;
}

static int mem_read(regit_buf *out, regit_store *store, const regit_store_oid *oid)
{
	store_mem *m = mem_of(store);
	int error;

	pthread_mutex_lock(&m->lock);
	error = mem_read_blob(out, m, oid);
	pthread_mutex_unlock(&m->lock);
	return error;
}

static int mem_commit_chain(char out[REGIT_STORE_OID_HEX], regit_store *store,
	const char *expected_head, const regit_store_commit_spec *specs, size_t nspecs)
{
	store_mem *m = mem_of(store);
	regit_store_oid expected;
	int has_expected = expected_head && *expected_head;
	size_t j, before, tip;
	int error = 0;

	out[0] = '\0';
	error = store_chain_check(specs, nspecs, m->opts.max_path);
	if (error < 0)
		return error;
	if (has_expected && mem_parse(&expected, expected_head) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", expected_head);
		return REGIT_EINVALID;
	}
	pthread_mutex_lock(&m->lock);
	/* the compare-and-swap */
	if ((m->head != 0) != has_expected ||
	    (has_expected && memcmp(m->commits[m->head - 1].id.id, expected.id, 20) != 0)) {
		regit_error_set(REGIT_ERROR_STORE, "store head moved");
		pthread_mutex_unlock(&m->lock);
		return REGIT_ECONFLICT;
	}
	before = m->ncommits;
	tip = m->head;
	for (j = 0; j < nspecs && error == 0; j++) {
		error = mem_commit_one(m, tip, &specs[j]);
		tip = m->ncommits;
	}
	if (error < 0) {
		/* nothing published: the chain's commits go (its blobs may stay,
		 * like the git store's unreferenced objects) */
		while (m->ncommits > before)
			mem_commit_dispose(&m->commits[--m->ncommits]);
	} else {
		m->head = tip;
		mem_hex(out, &m->commits[tip - 1].id);
	}
	pthread_mutex_unlock(&m->lock);
	return error;
}

/* One process, one handle: nothing to exclude or wait for. */
static void mem_nothing(regit_store *store)
{
	(void)store;
}

/* The tree entry at path in commit c: a file's blob id, or a digest of a
 * directory's files. @return 1 found, 0 not, negative error */
static int mem_entry(regit_store_oid *out, const store_mem *m, size_t c, const char *path)
{
	const mem_commit *mc = &m->commits[c - 1];
	size_t i, plen = strlen(path);
	regit_buf b = REGIT_BUF_INIT;
	int found = 0, error = 0;

	for (i = 0; i < mc->nfiles && error == 0; i++) {
		if (strcmp(mc->files[i].path, path) == 0) {
			*out = mc->files[i].oid;
			regit_buf_dispose(&b);
			return 1;
		}
		if (mem_under(mc->files[i].path, path, plen)) {
			found = 1;
			error = regit_buf_put(&b, mc->files[i].path, strlen(mc->files[i].path) + 1);
			if (error == 0)
				error = regit_buf_put(&b, mc->files[i].oid.id, 20);
		}
	}
	if (error == 0 && found)
		error = store_obj_hash(out, STORE_OBJ_TREE, b.ptr ? b.ptr : "", b.size);
	regit_buf_dispose(&b);
	return error < 0 ? error : found;
}

static void mem_log_fill(regit_store_log_entry *e, const mem_commit *c, char *summary,
	size_t cap)
{
	size_t n = strcspn(c->message, "\n");

	memset(e, 0, sizeof(*e));
	mem_hex(e->commit, &c->id);
	e->author = c->author;
	e->email = STORE_EMAIL;
	e->time = c->time;
	e->tz_offset = 0;
	snprintf(summary, cap, "%.*s", (int)n, c->message);
	e->summary = summary;
}

/* Called for each commit (index + 1) that changed the path; nonzero stops. */
typedef int (*mem_visit)(store_mem *m, size_t c, void *payload);

/*
 * The git store's walk: first parents from `from`, a commit counts when the
 * entry at path differs from its first parent's, at most
 * REGIT_STORE_LOG_MAX_WALK commits. *at: the commit to continue from
 * (0 when the history was exhausted).
 */
static int mem_walk(store_mem *m, const char *from, const char *path, mem_visit visit,
	void *payload, size_t *at, int *stopped)
{
	size_t c = 0, walked = 0;
	regit_store_oid cur, par;
	int cur_found, par_found, error;

	*stopped = 0;
	*at = 0;
	if (from && *from && mem_parse(&cur, from) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", from);
		return REGIT_EINVALID;
	}
	error = mem_commit_at(&c, m, from);
	if (error < 0 || !c)
		return error;
	cur_found = mem_entry(&cur, m, c, path);
	if (cur_found < 0)
		return cur_found;
	while (c && walked < REGIT_STORE_LOG_MAX_WALK) {
		size_t p = m->commits[c - 1].parent;
		int changed;

		par_found = 0;
		if (p) {
			par_found = mem_entry(&par, m, p, path);
			if (par_found < 0)
				return par_found;
		}
		changed = cur_found != par_found ||
			(cur_found && memcmp(cur.id, par.id, 20) != 0);
		walked++;
		if (changed && visit(m, c, payload) != 0) {
			*stopped = 1;
			break;
		}
		c = p;
		cur_found = par_found;
		cur = par;
	}
	*at = c;
	return 0;
}

typedef struct mem_log_state {
	size_t skip, limit, matched, emitted;
	int (*cb)(const regit_store_log_entry *e, void *payload);
	void *payload;
	int full;
	char next[REGIT_STORE_OID_HEX];
} mem_log_state;

static int mem_log_visit(store_mem *m, size_t c, void *payload)
{
	mem_log_state *st = payload;
	regit_store_log_entry e;
	char summary[1024];

	if (st->matched++ < st->skip)
		return 0;
	if (st->emitted >= st->limit) {
		mem_hex(st->next, &m->commits[c - 1].id);
		st->full = 1;
		return 1;
	}
	mem_log_fill(&e, &m->commits[c - 1], summary, sizeof(summary));
	st->emitted++;
	return st->cb(&e, st->payload) != 0;
}

static int mem_log(char next[REGIT_STORE_OID_HEX], regit_store *store, const char *from,
	const char *path, size_t skip, size_t limit,
	int (*cb)(const regit_store_log_entry *e, void *payload), void *payload)
{
	store_mem *m = mem_of(store);
	mem_log_state st;
	size_t at = 0;
	int stopped = 0, error;

	memset(&st, 0, sizeof(st));
	st.skip = skip;
	st.limit = limit;
	st.cb = cb;
	st.payload = payload;
	next[0] = '\0';
	pthread_mutex_lock(&m->lock);
	error = mem_walk(m, from, path, mem_log_visit, &st, &at, &stopped);
	if (error == 0 && st.full)
		memcpy(next, st.next, sizeof(st.next));
	else if (error == 0 && !stopped && at)
		mem_hex(next, &m->commits[at - 1].id);   /* the walk bound */
	pthread_mutex_unlock(&m->lock);
	return error;
}

typedef struct mem_origins_state {
	const char *dir;
	const char *const *names;
	size_t n, left;
	unsigned char *found;
	void (*cb)(size_t i, const regit_store_log_entry *e, void *payload);
	void *payload;
} mem_origins_state;

static int mem_origins_visit(store_mem *m, size_t c, void *payload)
{
	mem_origins_state *st = payload;
	size_t p = m->commits[c - 1].parent, i;
	char path[4096];
	regit_store_oid oid;

	for (i = 0; i < st->n; i++) {
		int in_cur, in_parent = 0;

		if (st->found[i])
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->dir, st->names[i]) >=
		    sizeof(path)) {
			st->found[i] = 1;
			st->left--;
			continue;
		}
		in_cur = mem_entry(&oid, m, c, path);
		if (in_cur > 0 && p)
			in_parent = mem_entry(&oid, m, p, path);
		if (in_cur < 0 || in_parent < 0)
			return 1;
		if (in_cur && !in_parent) {
			regit_store_log_entry e;
			char summary[1024];

			mem_log_fill(&e, &m->commits[c - 1], summary, sizeof(summary));
			st->found[i] = 1;
			st->left--;
			st->cb(i, &e, st->payload);
		}
	}
	return st->left == 0;
}

static int mem_file_origins(regit_store *store, const char *from, const char *dir,
	const char *const *names, size_t n,
	void (*cb)(size_t i, const regit_store_log_entry *e, void *payload), void *payload)
{
	store_mem *m = mem_of(store);
	mem_origins_state st;
	size_t at = 0;
	int stopped = 0, error;

	memset(&st, 0, sizeof(st));
	st.dir = dir;
	st.names = names;
	st.n = st.left = n;
	st.cb = cb;
	st.payload = payload;
	st.found = regit_calloc(n, 1);
	if (!st.found)
		return REGIT_ENOMEM;
	pthread_mutex_lock(&m->lock);
	error = mem_walk(m, from, dir, mem_origins_visit, &st, &at, &stopped);
	pthread_mutex_unlock(&m->lock);
	regit_free(st.found);
	return error;
}

static int mem_served(regit_store *store, char out[REGIT_STORE_OID_HEX])
{
	store_mem *m = mem_of(store);

	pthread_mutex_lock(&m->lock);
	out[0] = '\0';
	/* a served id that names no commit is as good as none */
	if (m->has_served && mem_find_commit(m, &m->served))
		mem_hex(out, &m->served);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int mem_set_served(regit_store *store, const char *commit, int durable)
{
	store_mem *m = mem_of(store);
	regit_store_oid id;

	(void)durable;
	if (!commit || !*commit)
		return 0;
	if (mem_parse(&id, commit) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", commit);
		return REGIT_EINVALID;
	}
	pthread_mutex_lock(&m->lock);
	m->served = id;
	m->has_served = 1;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int mem_descends(regit_store *store, const char *commit, const char *ancestor)
{
	store_mem *m = mem_of(store);
	regit_store_oid a, b;
	size_t c;
	int result = 0;

	if (!ancestor || !*ancestor)
		return 1;
	if (!commit || !*commit)
		return 0;
	if (mem_parse(&a, commit) < 0 || mem_parse(&b, ancestor) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id");
		return REGIT_EINVALID;
	}
	if (memcmp(a.id, b.id, 20) == 0)
		return 1;
	pthread_mutex_lock(&m->lock);
	c = mem_find_commit(m, &a);
	if (!c || !mem_find_commit(m, &b)) {
		regit_error_set(REGIT_ERROR_STORE, "ancestry: no such commit");
		result = REGIT_ENOTFOUND;
	}
	for (c = c ? m->commits[c - 1].parent : 0; result == 0 && c; c = m->commits[c - 1].parent)
		if (memcmp(m->commits[c - 1].id.id, b.id, 20) == 0)
			result = 1;
	pthread_mutex_unlock(&m->lock);
	return result;
}

static int mem_resolve(regit_store *store, const char *rev, char out[REGIT_STORE_OID_HEX])
{
	store_mem *m = mem_of(store);
	const char *tilde = rev ? strchr(rev, '~') : NULL;
	size_t len = tilde ? (size_t)(tilde - rev) : rev ? strlen(rev) : 0, c = 0;
	long back = 0;
	char name[64];
	int error = 0;

	out[0] = '\0';
	if (tilde) {
		char *end = NULL;

		back = tilde[1] ? strtol(tilde + 1, &end, 10) : 1;
		if (back < 0 || (end && *end))
			len = 0;
	}
	if (len == 0 || len >= sizeof(name)) {
		regit_error_set(REGIT_ERROR_STORE, "no commit '%.100s' in the store", rev ? rev : "");
		return REGIT_ENOTFOUND;
	}
	memcpy(name, rev, len);
	name[len] = '\0';
	pthread_mutex_lock(&m->lock);
	if (strcmp(name, "HEAD") == 0 || strcmp(name, "main") == 0 ||
	    strcmp(name, "refs/heads/main") == 0)
		c = m->head;
	else
		error = mem_commit_at(&c, m, name);
	while (error == 0 && c && back-- > 0)
		c = m->commits[c - 1].parent;
	if (error == 0 && !c) {
		regit_error_set(REGIT_ERROR_STORE, "no commit '%.100s' in the store", rev);
		error = REGIT_ENOTFOUND;
	}
	if (error == 0)
		mem_hex(out, &m->commits[c - 1].id);
	pthread_mutex_unlock(&m->lock);
	return error;
}

static int mem_first_parents(regit_store_commits *out, regit_store *store, const char *tip,
	const char *base, size_t max)
{
	store_mem *m = mem_of(store);
	regit_store_oid t, stop;
	int has_stop = base && *base, error = 0;
	size_t c;

	memset(out, 0, sizeof(*out));
	if (mem_parse(&t, tip) < 0 || (has_stop && mem_parse(&stop, base) < 0)) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id");
		return REGIT_EINVALID;
	}
	pthread_mutex_lock(&m->lock);
	c = mem_find_commit(m, &t);
	if (!c) {
		regit_error_set(REGIT_ERROR_STORE, "read commit: no such commit");
		error = REGIT_ENOTFOUND;
	}
	while (error == 0) {
		if (has_stop && memcmp(m->commits[c - 1].id.id, stop.id, 20) == 0)
			break;
		char *slot = store_commits_add(out, max, &error);

		if (!slot)
			break;
		mem_hex(slot, &m->commits[c - 1].id);
		c = m->commits[c - 1].parent;
		if (!c) {
			if (has_stop) {
				regit_error_set(REGIT_ERROR_STORE, "%.40s is not an ancestor of %.40s",
					base, tip);
				error = REGIT_ENOTFOUND;
			}
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (error < 0) {
		regit_store_commits_dispose(out);
		return error;
	}
	for (size_t i = 0; i < out->n / 2; i++) {   /* oldest first */
		char tmp[REGIT_STORE_OID_HEX];

		memcpy(tmp, out->ids[i], sizeof(tmp));
		memcpy(out->ids[i], out->ids[out->n - 1 - i], sizeof(tmp));
		memcpy(out->ids[out->n - 1 - i], tmp, sizeof(tmp));
	}
	return 0;
}

static int mem_read_at(regit_buf *out, regit_store *store, const char *commit, const char *path)
{
	store_mem *m = mem_of(store);
	regit_store_oid id;
	size_t c = 0, i;
	int error;

	if (mem_parse(&id, commit) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "not a commit id: %.64s", commit);
		return REGIT_EINVALID;
	}
	pthread_mutex_lock(&m->lock);
	error = mem_commit_at(&c, m, commit);
	if (error == 0) {
		const mem_commit *mc = &m->commits[c - 1];

		error = REGIT_ENOTFOUND;
		for (i = 0; i < mc->nfiles; i++)
			if (strcmp(mc->files[i].path, path) == 0)
				break;
		if (i < mc->nfiles)
			error = mem_read_blob(out, m, &mc->files[i].oid);
		else
			regit_error_set(REGIT_ERROR_STORE, "read file: %.200s not found", path);
	}
	pthread_mutex_unlock(&m->lock);
	return error;
}

static int mem_add_objects(regit_store *store, const char *dir)
{
	(void)store;
	regit_error_set(REGIT_ERROR_STORE, "the in-memory store reads no object directory (%.200s)",
		dir);
	return REGIT_EINVALID;
}

static const store_ops store_mem_ops = {
	"memory",
	mem_free,
	mem_head,
	mem_list,
	mem_read,
	mem_commit_chain,
	mem_nothing,
	mem_nothing,
	mem_nothing,
	mem_log,
	mem_file_origins,
	mem_served,
	mem_set_served,
	mem_descends,
	mem_resolve,
	mem_first_parents,
	mem_read_at,
	mem_add_objects,
};

int regit_store_open_mem(regit_store **out, const regit_store_options *opts)
{
	regit_store_options defaults = REGIT_STORE_OPTIONS_INIT;
	store_mem *m = regit_calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return REGIT_ENOMEM;
	m->base.ops = &store_mem_ops;
	m->opts = opts ? *opts : defaults;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		regit_free(m);
		regit_error_set(REGIT_ERROR_OS, "mutex init");
		return REGIT_ERROR;
	}
	*out = (regit_store *)(void *)m;
	return 0;
}
