/*
 * store.c - the store interface (store.h) over a table of functions.
 *
 * Why it exists: the registry talks to "a store", and tests want one that
 * needs no disk (issue #11). Each regit_store_* call that a kind of store
 * implements goes through the handle's store_ops (store_internal.h):
 * store_git.c's for a git repository (regit_store_open), store_mem.c's for
 * one in memory (regit_store_open_mem, tests only). What every store shares
 * is here: committing one change set as a chain of one, disposing of
 * listings and commit lists, and which paths a store accepts.
 */
#include "store/store_internal.h"

#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

static const store_ops *store_ops_of(regit_store *store)
{
	return ((const store_base *)(const void *)store)->ops;
}

void regit_store_free(regit_store *store)
{
	if (store)
		store_ops_of(store)->free(store);
}

int regit_store_head(regit_store *store, char out[REGIT_STORE_OID_HEX])
{
	return store_ops_of(store)->head(store, out);
}

int regit_store_list(regit_store_listing **out, regit_store *store, const char *commit)
{
	return store_ops_of(store)->list(out, store, commit);
}

int regit_store_read(regit_buf *out, regit_store *store, const regit_store_oid *oid)
{
	return store_ops_of(store)->read(out, store, oid);
}

int regit_store_commit_chain(char out[REGIT_STORE_OID_HEX], regit_store *store,
	const char *expected_head, const regit_store_commit_spec *specs, size_t nspecs)
{
	return store_ops_of(store)->commit_chain(out, store, expected_head, specs, nspecs);
}

int regit_store_commit(char out[REGIT_STORE_OID_HEX], regit_store *store,
	const char *expected_head, const regit_store_change *changes,
	size_t nchanges, const char *message, const char *author)
{
	regit_store_commit_spec spec = { changes, nchanges, message, author };

	return regit_store_commit_chain(out, store, expected_head, &spec, 1);
}

void regit_store_lock_writers(regit_store *store)
{
	store_ops_of(store)->lock_writers(store);
}

void regit_store_unlock_writers(regit_store *store)
{
	store_ops_of(store)->unlock_writers(store);
}

void regit_store_idle(regit_store *store)
{
	store_ops_of(store)->idle(store);
}

int regit_store_log(char next[REGIT_STORE_OID_HEX], regit_store *store,
	const char *from, const char *path, size_t skip, size_t limit,
	int (*cb)(const regit_store_log_entry *e, void *payload), void *payload)
{
	next[0] = '\0';
	if (!store || !path || !*path || !cb || limit == 0 || limit > 1000) {
		regit_error_set(REGIT_ERROR_STORE, "bad history request");
		return REGIT_EINVALID;
	}
	return store_ops_of(store)->log(next, store, from, path, skip, limit, cb, payload);
}

int regit_store_file_origins(regit_store *store, const char *from, const char *dir,
	const char *const *names, size_t n,
	void (*cb)(size_t i, const regit_store_log_entry *e, void *payload), void *payload)
{
	if (!store || !dir || !*dir || !cb || (n && !names) || n > 1000) {
		regit_error_set(REGIT_ERROR_STORE, "bad file origins request");
		return REGIT_EINVALID;
	}
	if (n == 0)
		return 0;
	return store_ops_of(store)->file_origins(store, from, dir, names, n, cb, payload);
}

int regit_store_served(regit_store *store, char out[REGIT_STORE_OID_HEX])
{
	return store_ops_of(store)->served(store, out);
}

int regit_store_set_served(regit_store *store, const char *commit, int durable)
{
	return store_ops_of(store)->set_served(store, commit, durable);
}

int regit_store_descends(regit_store *store, const char *commit, const char *ancestor)
{
	return store_ops_of(store)->descends(store, commit, ancestor);
}

int regit_store_resolve(regit_store *store, const char *rev, char out[REGIT_STORE_OID_HEX])
{
	return store_ops_of(store)->resolve(store, rev, out);
}

int regit_store_first_parents(regit_store_commits *out, regit_store *store,
	const char *tip, const char *base, size_t max)
{
	return store_ops_of(store)->first_parents(out, store, tip, base, max);
}

int regit_store_read_at(regit_buf *out, regit_store *store, const char *commit,
	const char *path)
{
	return store_ops_of(store)->read_at(out, store, commit, path);
}

int regit_store_add_objects(regit_store *store, const char *dir)
{
	return store_ops_of(store)->add_objects(store, dir);
}

/* ---- shared by every store ---------------------------------------------------- */

/*
 * Paths of a listing are carved out of large blocks (a start-up lists
 * hundreds of thousands): a block is a next pointer and then strings.
 */
#define STORE_POOL_BLOCK ((size_t)256 << 10)

typedef struct store_pool_block {
	struct store_pool_block *next;
	size_t used, size;
	char data[];
} store_pool_block;

char *store_pool_strndup(regit_store_listing *l, const char *s, size_t len)
{
	store_pool_block *b = l->pool;
	char *p;

	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > STORE_POOL_BLOCK ? len + 1 : STORE_POOL_BLOCK;

		b = regit_malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = l->pool;
		b->used = 0;
		b->size = size;
		l->pool = b;
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

void regit_store_listing_free(regit_store_listing *listing)
{
	store_pool_block *b, *next;

	if (!listing)
		return;
	for (b = listing->pool; b; b = next) {
		next = b->next;
		regit_free(b);
	}
	regit_free(listing->files);
	regit_free(listing);
}

void regit_store_commits_dispose(regit_store_commits *c)
{
	regit_free(c->ids);
	memset(c, 0, sizeof(*c));
}

/*
 * Paths come from the registry's own layout, but a path that could escape
 * the tree (".", "..", ".git", empty parts) is refused here too.
 */
int store_path_valid(const char *path, size_t max)
{
	const char *p = path;
	size_t len = strlen(path);

	if (len == 0 || len > max)
		return 0;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 0)
			return 0;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (n == 4 && strncasecmp(p, ".git", 4) == 0)
			return 0;
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return 0;    /* trailing slash */
	}
	return 1;
}

/* Names git accepts: no angle brackets or line breaks; never empty. */
char *store_author_name(const char *author)
{
	char *name;
	size_t i, len;

	if (!author || !*author)
		author = STORE_DEFAULT_AUTHOR;
	len = strlen(author);
	if (len > 256)
		len = 256;
	name = regit_strndup(author, len);
	if (!name)
		return NULL;
	for (i = 0; name[i]; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch == '<' || ch == '>' || ch < 0x20 || ch == 0x7f)
			name[i] = '_';
	}
	/* git trims surrounding spaces; a name of only spaces would be empty. */
	if (strspn(name, " ") == strlen(name)) {
		regit_free(name);
		name = regit_strdup(STORE_DEFAULT_AUTHOR);
	}
	return name;
}

int store_chain_check(const regit_store_commit_spec *specs, size_t nspecs, size_t max_path)
{
	size_t i, j;

	if (nspecs == 0) {
		regit_error_set(REGIT_ERROR_STORE, "nothing to commit");
		return REGIT_EINVALID;
	}
	for (j = 0; j < nspecs; j++) {
		for (i = 0; i < specs[j].nchanges; i++) {
			const char *path = specs[j].changes[i].path;

			if (!path || !store_path_valid(path, max_path)) {
				regit_error_set(REGIT_ERROR_STORE, "invalid store path '%.200s'",
					path ? path : "(null)");
				return REGIT_EINVALID;
			}
		}
	}
	return 0;
}

char *store_commits_add(regit_store_commits *out, size_t max, int *error)
{
	char (*grown)[REGIT_STORE_OID_HEX];

	if (out->n == max) {
		regit_error_set(REGIT_ERROR_STORE, "more than %zu commits to check", max);
		*error = REGIT_ELIMIT;
		return NULL;
	}
	grown = regit_array_grow(out->ids, &out->cap, out->n + 1, sizeof(*out->ids), 64);
	if (!grown) {
		*error = REGIT_ENOMEM;
		return NULL;
	}
	out->ids = grown;
	return out->ids[out->n++];
}
