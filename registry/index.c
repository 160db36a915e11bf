/*
 * index.c - the registry's in-memory index: building it from the store's
 * HEAD tree, and the small mutations writes apply to it.
 *
 * The index is derived from the tree alone (no history is read), so
 * startup cost follows the number of live files. A rebuild after another
 * writer or a push moved the branch reuses every version whose two blobs
 * (.avsc and .json) kept their ids, so only changed files are read and
 * parsed. Building validates the whole tree first and publishes nothing
 * when any part is wrong: the caller keeps serving the old index.
 *
 * Metadata files are JSON read with jansson (the schema text itself goes
 * through the schema parser).
 *
 * Size (~1,900 lines, over the project's 1,500): the index's data
 * structures, its mutations, and building it from a tree share the
 * index's private layout. The planned cut (issue #11: reg_index opaque
 * with accessors) moves "building from a tree" into index_build.c once the
 * accessors exist; until then a split would only widen
 * registry_internal.h.
 */
#include "registry/registry_internal.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "compat/schema.h"
#include "registry/layout.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/cpu.h"
#include "util/error.h"
#include "util/hash.h"

/* ---- shared text, references, identity ---------------------------------- */

reg_text *reg_text_new(const char *s, size_t len)
{
	reg_text *t = regit_malloc(sizeof(*t) + len + 1);

	if (!t)
		return NULL;
	t->refs = 1;
	t->len = len;
	memcpy(t->s, s, len);
	t->s[len] = '\0';
	t->hash = regit_hash(t->s, len);
	return t;
}

reg_text *reg_text_ref(reg_text *t)
{
	if (t)
		t->refs++;
	return t;
}

void reg_text_unref(reg_text *t)
{
	if (t && --t->refs == 0)
		regit_free(t);
}

void reg_refs_free(regit_reference *refs, size_t n)
{
	size_t i;

	if (!refs)
		return;
	for (i = 0; i < n; i++) {
		regit_free((char *)refs[i].name);
		regit_free((char *)refs[i].subject);
	}
	regit_free(refs);
}

int reg_refs_copy(regit_reference **out, const regit_reference *refs, size_t n)
{
	regit_reference *copy;
	size_t i;

	*out = NULL;
	if (n == 0)
		return 0;
	copy = regit_calloc(n, sizeof(*copy));
	if (!copy)
		return REGIT_ENOMEM;
	for (i = 0; i < n; i++) {
		copy[i].name = regit_strdup(refs[i].name ? refs[i].name : "");
		copy[i].subject = regit_strdup(refs[i].subject ? refs[i].subject : "");
		copy[i].version = refs[i].version;
		if (!copy[i].name || !copy[i].subject) {
			reg_refs_free(copy, i + 1);
			return REGIT_ENOMEM;
		}
	}
	*out = copy;
	return 0;
}

int reg_identity_key(regit_buf *out, const char *text, size_t len,
	const regit_reference *refs, size_t nrefs)
{
	size_t i;
	int error = regit_buf_put(out, text, len);

	/* NUL separators: schema text and names never contain NUL. */
	for (i = 0; i < nrefs && error == 0; i++)
		error = regit_buf_printf(out, "%c%s%c%s%c%d", 0, refs[i].name, 0,
			refs[i].subject, 0, refs[i].version);
	return error;
}

static uint64_t id_hash(int id)
{
	uint64_t x = (uint64_t)(uint32_t)id + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int schema_id_eq(const void *val, const void *key)
{
	return ((const reg_schema *)val)->pub.id == *(const int *)key;
}

typedef struct key_ref {
	const char *key;
	size_t len;
} key_ref;

static int schema_key_eq(const void *val, const void *key)
{
	const reg_schema *s = val;
	const key_ref *k = key;

	return s->key_len == k->len && memcmp(s->key, k->key, k->len) == 0;
}

/* ---- index --------------------------------------------------------------- */

/* Its invariants: registry_internal.h. Only this file touches the fields;
 * the rest of the registry goes through the reg_index_* functions. */
struct reg_index {
	char head[REGIT_STORE_OID_HEX];
	reg_subject **subjects;      /* owned, sorted by name */
	size_t nsubjects, cap;
	regit_map ids;                 /* int id -> reg_schema */
	regit_map identities;          /* key -> reg_schema */
	size_t identity_dups;        /* schemas sharing a key with another id */
	int has_config;
	regit_config config;
	int has_mode;
	regit_mode mode;
	int next_id;
	size_t nversions;
	int has_root;                /* regit.json exists in the tree */
	size_t nparsed;              /* versions whose files the build parsed */
};

reg_index *reg_index_new(void)
{
	reg_index *idx = regit_calloc(1, sizeof(*idx));

	if (idx)
		idx->next_id = 1;
	return idx;
}

static void version_free(reg_version *v)
{
	if (!v)
		return;
	reg_text_unref(v->text);
	reg_refs_free(v->refs, v->nrefs);
	regit_free(v);
}

static void schema_free(reg_schema *s)
{
	if (!s)
		return;
	reg_text_unref(s->text);
	reg_refs_free(s->refs, s->nrefs);
	if (s->key_owned)
		regit_free((char *)s->key);
	regit_free(s);
}

static void subject_free(reg_subject *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nversions; i++)
		version_free(s->versions[i]);
	regit_free(s->versions);
	regit_free(s->name);
	regit_free(s);
}

void reg_index_free(reg_index *idx)
{
	size_t i;

	if (!idx)
		return;
	for (i = 0; i < idx->nsubjects; i++)
		subject_free(idx->subjects[i]);
	regit_free(idx->subjects);
	for (i = 0; i < idx->ids.cap; i++)
		schema_free(idx->ids.slots[i].val);
	regit_free(idx->ids.slots);
	regit_free(idx->identities.slots);
	regit_free(idx);
}

static int subject_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Position of name in subjects[], or where it would be inserted. */
static size_t subject_pos(const reg_index *idx, const char *name, size_t len, int *found)
{
	size_t lo = 0, hi = idx->nsubjects;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const reg_subject *s = idx->subjects[mid];
		int c = subject_cmp(s->name, s->name_len, name, len);

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

reg_subject *reg_index_subject(const reg_index *idx, const char *name, size_t len)
{
	int found;
	size_t pos = subject_pos(idx, name, len, &found);

	return found ? idx->subjects[pos] : NULL;
}

const char *reg_index_head(const reg_index *idx)
{
	return idx->head;
}

void reg_index_set_head(reg_index *idx, const char *head)
{
	memcpy(idx->head, head, REGIT_STORE_OID_HEX);
}

int reg_index_next_id(const reg_index *idx)
{
	return idx->next_id;
}

int reg_index_has_root(const reg_index *idx)
{
	return idx->has_root;
}

void reg_index_note_root(reg_index *idx, int next_id)
{
	if (next_id > idx->next_id)
		idx->next_id = next_id;
	idx->has_root = 1;
}

size_t reg_index_nversions(const reg_index *idx)
{
	return idx->nversions;
}

size_t reg_index_nparsed(const reg_index *idx)
{
	return idx->nparsed;
}

int reg_index_cache_save(const reg_index *idx, const char *path)
{
	return reg_cache_save(path, idx->subjects, idx->nsubjects);
}

size_t reg_index_nsubjects(const reg_index *idx)
{
	return idx->nsubjects;
}

reg_subject *reg_index_subject_at(const reg_index *idx, size_t i)
{
	return idx->subjects[i];
}

size_t reg_index_nschemas(const reg_index *idx)
{
	return idx->ids.n;
}

const reg_schema *reg_index_schema_next(const reg_index *idx, size_t *pos)
{
	while (*pos < idx->ids.cap) {
		const reg_schema *s = idx->ids.slots[(*pos)++].val;

		if (s)
			return s;
	}
	return NULL;
}

const regit_config *reg_index_config(const reg_index *idx)
{
	return idx->has_config ? &idx->config : NULL;
}

void reg_index_set_config(reg_index *idx, const regit_config *cfg)
{
	idx->has_config = cfg != NULL;
	if (cfg)
		idx->config = *cfg;
}

int reg_index_has_mode(const reg_index *idx)
{
	return idx->has_mode;
}

regit_mode reg_index_mode(const reg_index *idx)
{
	return idx->has_mode ? idx->mode : REGIT_MODE_READWRITE;
}

void reg_index_set_mode(reg_index *idx, const regit_mode *mode)
{
	idx->has_mode = mode != NULL;
	idx->mode = mode ? *mode : REGIT_MODE_READWRITE;
}

int reg_index_subject_add(reg_subject **out, reg_index *idx, const char *name, size_t len)
{
	int found;
	size_t pos = subject_pos(idx, name, len, &found);
	reg_subject *s;

	if (found) {
		*out = idx->subjects[pos];
		return 0;
	}
	*out = NULL;
	if (idx->nsubjects == idx->cap) {
		reg_subject **grown = regit_array_grow(idx->subjects, &idx->cap,
			idx->nsubjects + 1, sizeof(*grown), 64);

		if (!grown)
			return REGIT_ENOMEM;
		idx->subjects = grown;
	}
	s = regit_calloc(1, sizeof(*s));
	if (!s)
		return REGIT_ENOMEM;
	s->name = regit_strndup(name, len);
	if (!s->name) {
		regit_free(s);
		return REGIT_ENOMEM;
	}
	s->name_len = len;
	memmove(idx->subjects + pos + 1, idx->subjects + pos,
		(idx->nsubjects - pos) * sizeof(*idx->subjects));
	idx->subjects[pos] = s;
	idx->nsubjects++;
	*out = s;
	return 0;
}

void reg_index_subject_prune(reg_index *idx, reg_subject *s)
{
	int found;
	size_t pos;

	if (s->nversions || s->has_config || s->has_mode)
		return;
	pos = subject_pos(idx, s->name, s->name_len, &found);
	if (!found || idx->subjects[pos] != s)
		return;
	memmove(idx->subjects + pos, idx->subjects + pos + 1,
		(idx->nsubjects - pos - 1) * sizeof(*idx->subjects));
	idx->nsubjects--;
	subject_free(s);
}

static size_t version_pos(const reg_subject *s, int version, int *found)
{
	size_t lo = 0, hi = s->nversions;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int v = s->versions[mid]->pub.version;

		if (v == version) {
			*found = 1;
			return mid;
		}
		if (v < version)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

reg_version *reg_subject_version(const reg_subject *s, int version)
{
	int found;
	size_t pos;

	if (!s)
		return NULL;
	pos = version_pos(s, version, &found);
	return found ? s->versions[pos] : NULL;
}

reg_version *reg_subject_latest(const reg_subject *s, int include_deleted)
{
	size_t i;

	if (!s)
		return NULL;
	for (i = s->nversions; i > 0; i--)
		if (include_deleted || !s->versions[i - 1]->pub.deleted)
			return s->versions[i - 1];
	return NULL;
}

int reg_subject_max_version(const reg_subject *s)
{
	return s && s->nversions ? s->versions[s->nversions - 1]->pub.version : 0;
}

reg_schema *reg_index_schema(const reg_index *idx, int id)
{
	return regit_map_get(&idx->ids, id_hash(id), schema_id_eq, &id);
}

reg_schema *reg_index_identity(const reg_index *idx, const char *key, size_t len, uint64_t hash)
{
	key_ref k = { key, len };

	return regit_map_get(&idx->identities, hash, schema_key_eq, &k);
}

int reg_index_add_version(reg_version **out, reg_index *idx, reg_subject *s,
	int version, int id, reg_text *text, const regit_reference *refs, size_t nrefs,
	int deleted, int64_t ts)
{
	regit_buf key = REGIT_BUF_INIT;
	const char *key_ptr;
	size_t key_len;
	reg_schema *schema = NULL, *fresh = NULL, *same = NULL;
	reg_version *v = NULL;
	uint64_t hash;
	size_t pos;
	int found;
	int error = 0;

	if (out)
		*out = NULL;
	if (version < 1 || id < 1) {
		regit_error_set(REGIT_ERROR_STORE, "version and id must be positive");
		return REGIT_EINVALID;
	}
	pos = version_pos(s, version, &found);
	if (found) {
		regit_error_set(REGIT_ERROR_STORE, "subject '%.200s' has version %d twice",
			s->name, version);
		return REGIT_EINVALID;
	}
	/* Without references the key is the text: no copy (a cold start adds
	 * 100,000 versions). */
	if (nrefs == 0) {
		key_ptr = text->s;
		key_len = text->len;
	} else {
		error = reg_identity_key(&key, text->s, text->len, refs, nrefs);
		if (error < 0)
			goto done;
		key_ptr = key.ptr;
		key_len = key.size;
	}
	hash = nrefs == 0 ? text->hash : regit_hash(key_ptr, key_len);
	schema = reg_index_schema(idx, id);
	if (schema) {
		if (schema->key_len != key_len || memcmp(schema->key, key_ptr, key_len) != 0) {
			regit_error_set(REGIT_ERROR_STORE,
				"id %d is used by two different schemas (subject '%.200s' version %d)",
				id, s->name, version);
			error = REGIT_EINVALID;
			goto done;
		}
	} else {
		fresh = regit_calloc(1, sizeof(*fresh));
		if (!fresh) {
			error = REGIT_ENOMEM;
			goto done;
		}
		fresh->text = reg_text_ref(text);
		fresh->key_len = key_len;
		fresh->key_hash = hash;
		if (nrefs == 0) {
			fresh->key = text->s;
		} else {
			fresh->key = regit_buf_detach(&key);
			if (!fresh->key) {
				error = REGIT_ENOMEM;
				goto done;
			}
			fresh->key_owned = 1;
		}
		error = reg_refs_copy(&fresh->refs, refs, nrefs);
		if (error < 0)
			goto done;
		fresh->nrefs = nrefs;
		fresh->pub.id = id;
		fresh->pub.schema = text->s;
		fresh->pub.schema_len = text->len;
		fresh->pub.refs = fresh->refs;
		fresh->pub.nrefs = nrefs;
		error = regit_map_reserve(&idx->ids);
		if (error == 0)
			error = regit_map_reserve(&idx->identities);
		if (error < 0)
			goto done;
		schema = fresh;
	}

	v = regit_calloc(1, sizeof(*v));
	if (!v) {
		error = REGIT_ENOMEM;
		goto done;
	}
	error = reg_refs_copy(&v->refs, refs, nrefs);
	if (error < 0)
		goto done;
	v->nrefs = nrefs;       /* so that version_free frees the copies */
	if (s->nversions == s->cap) {
		reg_version **grown = regit_array_grow(s->versions, &s->cap,
			s->nversions + 1, sizeof(*grown), 4);

		if (!grown) {
			error = REGIT_ENOMEM;
			goto done;
		}
		s->versions = grown;
	}

	/* Nothing can fail from here on. */
	if (fresh) {
		regit_map_put(&idx->ids, id_hash(id), fresh);
		same = reg_index_identity(idx, fresh->key, fresh->key_len, fresh->key_hash);
		if (!same) {
			regit_map_put(&idx->identities, fresh->key_hash, fresh);
		} else {
			idx->identity_dups++;
			if (id < same->pub.id) {
				regit_map_remove(&idx->identities, same->key_hash, same);
				regit_map_put(&idx->identities, fresh->key_hash, fresh);
			}
		}
		fresh = NULL;
	}
	v->subject = s;
	v->schema = schema;
	v->text = reg_text_ref(text);
	v->pub.subject = s->name;
	v->pub.version = version;
	v->pub.id = id;
	v->pub.schema = text->s;
	v->pub.schema_len = text->len;
	v->pub.refs = v->refs;
	v->pub.nrefs = nrefs;
	v->pub.deleted = deleted ? 1 : 0;
	v->pub.ts = ts;
	memmove(s->versions + pos + 1, s->versions + pos, (s->nversions - pos) * sizeof(*s->versions));
	s->versions[pos] = v;
	s->nversions++;
	if (!deleted)
		s->nlive++;
	schema->nversions++;
	idx->nversions++;
	if (id >= idx->next_id && id < 0x7fffffff)
		idx->next_id = id + 1;
	if (out)
		*out = v;
	v = NULL;
done:
	version_free(v);
	schema_free(fresh);
	regit_buf_dispose(&key);
	return error;
}

void reg_index_remove_version(reg_index *idx, reg_version *v)
{
	reg_subject *s = v->subject;
	reg_schema *schema = v->schema;
	int found;
	size_t pos = version_pos(s, v->pub.version, &found);

	if (!found || s->versions[pos] != v)
		return;
	memmove(s->versions + pos, s->versions + pos + 1,
		(s->nversions - pos - 1) * sizeof(*s->versions));
	s->nversions--;
	if (!v->pub.deleted)
		s->nlive--;
	idx->nversions--;
	version_free(v);
	if (--schema->nversions > 0)
		return;

	regit_map_remove(&idx->ids, id_hash(schema->pub.id), schema);
	if (reg_index_identity(idx, schema->key, schema->key_len, schema->key_hash) == schema) {
		regit_map_remove(&idx->identities, schema->key_hash, schema);
		if (idx->identity_dups > 0) {
			/* Another id with the same schema takes over (lowest id). */
			reg_schema *best = NULL;
			size_t i;

			for (i = 0; i < idx->ids.cap; i++) {
				reg_schema *o = idx->ids.slots[i].val;

				if (o && o->key_len == schema->key_len &&
						memcmp(o->key, schema->key, o->key_len) == 0 &&
						(!best || o->pub.id < best->pub.id))
					best = o;
			}
			if (best) {
				idx->identity_dups--;
				/* The map just lost an entry, so there is room. */
				regit_map_put(&idx->identities, best->key_hash, best);
			}
		}
	} else if (idx->identity_dups > 0) {
		idx->identity_dups--;
	}
	schema_free(schema);
}

void reg_index_set_deleted(reg_index *idx, reg_version *v, int deleted)
{
	(void)idx;
	deleted = deleted ? 1 : 0;
	if (v->pub.deleted == deleted)
		return;
	v->pub.deleted = deleted;
	if (deleted)
		v->subject->nlive--;
	else
		v->subject->nlive++;
}

/* ---- resolver ------------------------------------------------------------ */

static int index_lookup(const char **text, size_t *len, const regit_reference **refs,
	size_t *nrefs, const void **token, const char *subject, int version, void *payload)
{
	const reg_index *idx = payload;
	const reg_version *v = reg_subject_version(
		reg_index_subject(idx, subject, strlen(subject)), version);

	if (!v)
		return REGIT_ENOTFOUND;
	*text = v->text->s;
	*len = v->text->len;
	*refs = v->refs;
	*nrefs = v->nrefs;
	/* Versions sharing an id share its entry and have its text and
	 * references (reg_index_add_version refuses an id with another key). */
	*token = v->schema;
	return 0;
}

void reg_index_resolver(reg_resolver *out, const reg_index *idx)
{
	out->lookup = index_lookup;
	out->payload = (void *)idx;
	out->memo = NULL;
}

/* ---- metadata files ------------------------------------------------------ */

uint64_t reg_version_seal(const char *subject, size_t len, int version, int id)
{
	regit_buf b;
	uint64_t h = 0;

	/* A bounded buffer of a subject name and two numbers cannot fail but
	 * for memory; an unsealed version is merely checked on reload. */
	regit_buf_init(&b, 0);
	if (regit_buf_puts(&b, "regit-seal") == 0 && regit_buf_putc(&b, '\0') == 0 &&
			regit_buf_put(&b, subject, len) == 0 &&
			regit_buf_printf(&b, "%c%d%c%d", '\0', version, '\0', id) == 0)
		h = regit_hash(b.ptr, b.size);
	regit_buf_dispose(&b);
	return h;
}

int reg_meta_version_write(regit_buf *out, const reg_version *v)
{
	size_t i;
	int error = 0;

	error = regit_buf_puts(out, "{\n  \"subject\": ");
	if (error == 0)
		error = regit_buf_put_json_string(out, v->subject->name, v->subject->name_len);
	if (error == 0)
		error = regit_buf_printf(out, ",\n  \"version\": %d,\n  \"id\": %d,\n"
			"  \"deleted\": %s,\n  \"ts\": %lld,\n  \"seal\": \"%016llx\"",
			v->pub.version, v->pub.id, v->pub.deleted ? "true" : "false",
			(long long)v->pub.ts, (unsigned long long)reg_version_seal(v->subject->name,
			v->subject->name_len, v->pub.version, v->pub.id));
	if (error == 0 && v->nrefs)
		error = regit_buf_puts(out, ",\n  \"references\": [");
	for (i = 0; i < v->nrefs && error == 0; i++) {
		error = regit_buf_puts(out, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		if (error == 0)
			error = regit_buf_put_json_string(out, v->refs[i].name, strlen(v->refs[i].name));
		if (error == 0)
			error = regit_buf_puts(out, ", \"subject\": ");
		if (error == 0)
			error = regit_buf_put_json_string(out, v->refs[i].subject,
				strlen(v->refs[i].subject));
		if (error == 0)
			error = regit_buf_printf(out, ", \"version\": %d}", v->refs[i].version);
	}
	if (error == 0 && v->nrefs)
		error = regit_buf_puts(out, "\n  ]");
	if (error == 0)
		error = regit_buf_puts(out, "\n}\n");
	return error;
}

int reg_meta_config_write(regit_buf *out, const regit_config *cfg)
{
	const char *sep = "\n";
	int error = regit_buf_puts(out, "{");

	if (error == 0 && cfg->has_level) {
		error = regit_buf_printf(out, "%s  \"compatibilityLevel\": \"%s\"", sep,
			regit_compat_level_name(cfg->level));
		sep = ",\n";
	}
	if (error == 0 && cfg->has_normalize) {
		error = regit_buf_printf(out, "%s  \"normalize\": %s", sep,
			cfg->normalize ? "true" : "false");
		sep = ",\n";
	}
	if (error == 0 && cfg->has_strict) {
		error = regit_buf_printf(out, "%s  \"strict\": %s", sep, cfg->strict ? "true" : "false");
		sep = ",\n";
	}
	if (error == 0 && cfg->has_lint) {
		error = regit_buf_printf(out, "%s  \"lint\": \"%s\"", sep,
			regit_lint_policy_name(cfg->lint));
		sep = ",\n";
	}
	if (error == 0)
		error = regit_buf_puts(out, "\n}\n");
	return error;
}

/* ---- modes, names (part of the store's file format) -------------------- */

static const char *const mode_names[] = {
	"READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "FORWARD"
};

static const char *const lint_policy_names[REGIT_LINT_POLICY_COUNT] = {
	"off", "warn", "enforce"
};

const char *regit_lint_policy_name(regit_lint_policy policy)
{
	return (unsigned)policy < REGIT_LINT_POLICY_COUNT ? lint_policy_names[policy] : "off";
}

int regit_lint_policy_parse(const char *name, regit_lint_policy *out)
{
	size_t i;

	for (i = 0; name && i < REGIT_LINT_POLICY_COUNT; i++) {
		if (strcasecmp(name, lint_policy_names[i]) == 0) {
			*out = (regit_lint_policy)i;
			return 0;
		}
	}
	regit_error_set(REGIT_ERROR_STORE, "invalid lint policy '%.64s'", name ? name : "");
	return REGIT_EINVALID;
}

const char *regit_mode_name(regit_mode mode)
{
	if ((unsigned)mode < sizeof(mode_names) / sizeof(*mode_names))
		return mode_names[mode];
	return "READWRITE";
}

int regit_mode_parse(const char *name, regit_mode *out)
{
	size_t i, len;

	if (!name)
		return REGIT_EINVALID;
	while (*name == ' ' || *name == '\t')
		name++;
	len = strlen(name);
	while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	for (i = 0; i < sizeof(mode_names) / sizeof(*mode_names); i++) {
		if (strlen(mode_names[i]) == len && strncasecmp(name, mode_names[i], len) == 0) {
			*out = (regit_mode)i;
			return 0;
		}
	}
	regit_error_set(REGIT_ERROR_STORE, "invalid mode '%.64s'", name);
	return REGIT_EINVALID;
}

int reg_meta_mode_write(regit_buf *out, regit_mode mode)
{
	return regit_buf_printf(out, "{\n  \"mode\": \"%s\"\n}\n", regit_mode_name(mode));
}

int reg_meta_root_write(regit_buf *out, int next_id)
{
	return regit_buf_printf(out, "{\n  \"format\": 1,\n  \"next_id\": %d\n}\n", next_id);
}

/* ---- building from a tree ------------------------------------------------ */

/* One version found in the tree, before it joins the index. */
typedef struct pending {
	reg_subject *subject;
	int version;
	const regit_store_file *avsc;
	const regit_store_file *meta;
	int id, deleted;
	int64_t ts;
	regit_reference *refs;       /* owned */
	size_t nrefs;
	reg_text *text;              /* compact text once known (owned ref) */
	int cached;                  /* taken from the start-up cache */
	char *raw;                   /* .avsc content when it must be parsed */
	size_t raw_len;
	int busy;                    /* being parsed (cycle guard) */
	int todo;                    /* files to read and parse (not reused, not cached) */
	int follower;                /* an earlier version to do has the same .avsc */
	struct pending *leader;      /* that version */
} pending;

typedef struct build_ctx {
	regit_store *store;
	const reg_index *prev;
	reg_index *idx;
	pending *p;
	size_t np, cap;
	pending **sorted;            /* by subject name, version */
	size_t nparse;               /* versions to do */
	size_t max_schema_size;
	/* Buffers one thread reuses from version to version (NULL: use its own). */
	regit_buf *scratch_raw, *scratch_out;
	reg_memo *memo;              /* parses of referenced versions, for the build */
} build_ctx;

static int build_fail(build_ctx *b, const char *path, const char *why)
{
	(void)b;
	regit_error_set_code(REGIT_SR_STORE_ERROR, "store tree is invalid: %.300s: %.600s",
		path, why);
	return REGIT_EINVALID;
}

/* Read f into out, which is emptied first (its allocation is kept). */
static int build_read_into(regit_buf *out, build_ctx *b, const regit_store_file *f, size_t max)
{
	int error;

	regit_buf_clear(out);
	out->max = max;
	error = regit_store_read(out, b->store, &f->oid);
	if (error == REGIT_ELIMIT)
		return build_fail(b, f->path, "file too large");
	if (error < 0) {
		regit_error_set_api_code(REGIT_SR_STORE_ERROR);
	}
	return error;
}

static int build_read(regit_buf *out, build_ctx *b, const regit_store_file *f, size_t max)
{
	regit_buf_init(out, max);
	return build_read_into(out, b, f, max);
}

/* Parse a small JSON metadata file into a new reference. */
static int build_json(json_t **out, build_ctx *b, const regit_store_file *f)
{
	regit_buf buf;
	json_error_t jerr;
	int error;

	*out = NULL;
	error = build_read(&buf, b, f, REG_MAX_META_SIZE);
	if (error < 0)
		goto done;
	/* jansson allocates through regit_malloc, which records an allocation
	 * failure; not every one of its failures says so in jerr */
	regit_error_clear();
	*out = json_loadb(buf.ptr ? buf.ptr : "", buf.size, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out && (json_error_code(&jerr) == json_error_out_of_memory ||
	    regit_error_last()->klass == REGIT_ERROR_NOMEMORY)) {
		/* the process's trouble, not the tree's: no bad head to report */
		regit_error_set_oom();
		regit_error_set_api_code(REGIT_SR_STORE_ERROR);
		error = REGIT_ENOMEM;
	} else if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		error = build_fail(b, f->path, "not a JSON object");
	}
done:
	regit_buf_dispose(&buf);
	return error;
}

static int json_int(const json_t *obj, const char *key, int *out, int min)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < min ||
			json_integer_value(v) > 0x7fffffff)
		return 0;
	*out = (int)json_integer_value(v);
	return 1;
}

int regit_registry__config_from_json(regit_config *out, const json_t *obj)
{
	json_t *v;

	memset(out, 0, sizeof(*out));
	v = json_object_get(obj, "compatibilityLevel");
	if (!v)
		v = json_object_get(obj, "compatibility");
	if (v) {
		if (!json_is_string(v) || regit_compat_level_parse(json_string_value(v), &out->level) < 0)
			return REGIT_EINVALID;
		out->has_level = 1;
	}
	v = json_object_get(obj, "normalize");
	if (v) {
		if (!json_is_boolean(v))
			return REGIT_EINVALID;
		out->has_normalize = 1;
		out->normalize = json_is_true(v);
	}
	v = json_object_get(obj, "strict");
	if (v) {
		if (!json_is_boolean(v))
			return REGIT_EINVALID;
		out->has_strict = 1;
		out->strict = json_is_true(v);
	}
	v = json_object_get(obj, "lint");
	if (v) {
		if (!json_is_string(v) || regit_lint_policy_parse(json_string_value(v), &out->lint) < 0)
			return REGIT_EINVALID;
		out->has_lint = 1;
	}
	return 0;
}

static int build_config(build_ctx *b, const regit_store_file *f, regit_config *out)
{
	json_t *obj = NULL;
	int error = build_json(&obj, b, f);

	if (error == 0 && regit_registry__config_from_json(out, obj) < 0)
		error = build_fail(b, f->path, "bad config");
	json_decref(obj);
	return error;
}

static int build_mode(build_ctx *b, const regit_store_file *f, regit_mode *out)
{
	json_t *obj = NULL;
	json_t *v;
	int error = build_json(&obj, b, f);

	if (error == 0) {
		v = json_object_get(obj, "mode");
		if (!json_is_string(v) || regit_mode_parse(json_string_value(v), out) < 0)
			error = build_fail(b, f->path, "bad mode");
	}
	json_decref(obj);
	return error;
}

static int build_root(build_ctx *b, const regit_store_file *f)
{
	json_t *obj = NULL;
	int next = 1;
	int error = build_json(&obj, b, f);

	if (error == 0) {
		if (!json_int(obj, "next_id", &next, 1))
			error = build_fail(b, f->path, "bad next_id");
		else if (next > b->idx->next_id)
			b->idx->next_id = next;
	}
	json_decref(obj);
	return error;
}

/*
 * The metadata files regit writes are small flat objects; jansson builds a
 * tree for each and frees it again, which over 100,000 versions is a large
 * share of a cold start. This reads the plain form directly: the keys
 * subject, version, id, deleted and ts, each at most once, strings without
 * escapes or non-ASCII bytes, integers without fraction or exponent. It
 * accepts a file only if it is valid and build_meta would accept it with
 * the same result; for anything else (references, other keys, escapes, an
 * error to report) it returns 0 and the jansson path decides.
 */
typedef struct meta_scan {
	const char *p, *end;
} meta_scan;

static void meta_ws(meta_scan *m)
{
	while (m->p < m->end && (*m->p == ' ' || *m->p == '\t' || *m->p == '\n' || *m->p == '\r'))
		m->p++;
}

/* A string without escapes, control or non-ASCII bytes: [*s, *s + *len). */
static int meta_string(meta_scan *m, const char **str, size_t *len)
{
	const char *start;

	if (m->p >= m->end || *m->p != '"')
		return 0;
	start = ++m->p;
	while (m->p < m->end && *m->p != '"') {
		unsigned char c = (unsigned char)*m->p;

		if (c == '\\' || c < 0x20 || c >= 0x80)
			return 0;
		m->p++;
	}
	if (m->p >= m->end)
		return 0;
	*str = start;
	*len = (size_t)(m->p - start);
	m->p++;
	return 1;
}

/* A JSON integer of at most 18 digits. */
static int meta_int(meta_scan *m, int64_t *out)
{
	int neg = 0, digits = 0;
	int64_t v = 0;

	if (m->p < m->end && *m->p == '-') {
		neg = 1;
		m->p++;
	}
	if (m->p < m->end && *m->p == '0' && m->p + 1 < m->end &&
			m->p[1] >= '0' && m->p[1] <= '9')
		return 0;    /* leading zero: not JSON */
	while (m->p < m->end && *m->p >= '0' && *m->p <= '9') {
		if (++digits > 18)
			return 0;
		v = v * 10 + (*m->p - '0');
		m->p++;
	}
	if (digits == 0)
		return 0;
	if (m->p < m->end && (*m->p == '.' || *m->p == 'e' || *m->p == 'E'))
		return 0;
	*out = neg ? -v : v;
	return 1;
}

static int meta_fast(pending *p, const char *text, size_t len)
{
	meta_scan m = { text, text + len };
	int seen = 0, deleted = 0, have_id = 0;
	int64_t id = 0, ts = 0, version = 0;

	meta_ws(&m);
	if (m.p >= m.end || *m.p++ != '{')
		return 0;
	meta_ws(&m);
	if (m.p < m.end && *m.p == '}')
		return 0;    /* no id: the jansson path reports it */
	for (;;) {
		const char *key, *str;
		size_t klen, slen;
		int bit;

		meta_ws(&m);
		if (!meta_string(&m, &key, &klen))
			return 0;
		meta_ws(&m);
		if (m.p >= m.end || *m.p++ != ':')
			return 0;
		meta_ws(&m);
		if (klen == 2 && memcmp(key, "id", 2) == 0) {
			bit = 1;
			if (!meta_int(&m, &id) || id < 1 || id > 0x7fffffff)
				return 0;
			have_id = 1;
		} else if (klen == 7 && memcmp(key, "version", 7) == 0) {
			bit = 2;
			if (!meta_int(&m, &version) || version != p->version)
				return 0;
		} else if (klen == 2 && memcmp(key, "ts", 2) == 0) {
			bit = 4;
			if (!meta_int(&m, &ts))
				return 0;
		} else if (klen == 7 && memcmp(key, "subject", 7) == 0) {
			bit = 8;
			if (!meta_string(&m, &str, &slen) || slen != p->subject->name_len ||
					memcmp(str, p->subject->name, slen) != 0)
				return 0;
		} else if (klen == 7 && memcmp(key, "deleted", 7) == 0) {
			bit = 16;
			if (m.end - m.p >= 4 && memcmp(m.p, "true", 4) == 0) {
				deleted = 1;
				m.p += 4;
			} else if (m.end - m.p >= 5 && memcmp(m.p, "false", 5) == 0) {
				deleted = 0;
				m.p += 5;
			} else {
				return 0;
			}
		} else {
			return 0;
		}
		if (seen & bit)
			return 0;    /* duplicate key: jansson refuses the file */
		seen |= bit;
		meta_ws(&m);
		if (m.p < m.end && *m.p == ',') {
			m.p++;
			continue;
		}
		if (m.p < m.end && *m.p == '}') {
			m.p++;
			break;
		}
		return 0;
	}
	meta_ws(&m);
	if (m.p != m.end || !have_id)
		return 0;
	p->id = (int)id;
	p->deleted = deleted;
	p->ts = ts;
	return 1;
}

static int build_meta(build_ctx *b, pending *p)
{
	json_t *obj = NULL, *v, *refs;
	size_t i;
	int n = 0;
	int error;

	{
		regit_buf own = REGIT_BUF_INIT, *raw = b->scratch_raw ? b->scratch_raw : &own;

		error = build_read_into(raw, b, p->meta, REG_MAX_META_SIZE);
		if (error == 0 && meta_fast(p, raw->ptr ? raw->ptr : "", raw->size)) {
			regit_buf_dispose(&own);
			return 0;
		}
		regit_buf_dispose(&own);
		if (error < 0)
			return error;
	}
	error = build_json(&obj, b, p->meta);
	if (error < 0)
		goto done;
	if (!json_int(obj, "id", &p->id, 1)) {
		error = build_fail(b, p->meta->path, "missing or bad id");
		goto done;
	}
	if (json_object_get(obj, "version") &&
			(!json_int(obj, "version", &n, 1) || n != p->version)) {
		error = build_fail(b, p->meta->path, "version does not match the file name");
		goto done;
	}
	v = json_object_get(obj, "subject");
	if (v && (!json_is_string(v) || json_string_length(v) != p->subject->name_len ||
			memcmp(json_string_value(v), p->subject->name, p->subject->name_len) != 0)) {
		error = build_fail(b, p->meta->path, "subject does not match the directory");
		goto done;
	}
	v = json_object_get(obj, "deleted");
	if (v && !json_is_boolean(v)) {
		error = build_fail(b, p->meta->path, "bad deleted flag");
		goto done;
	}
	p->deleted = json_is_true(v);
	v = json_object_get(obj, "ts");
	p->ts = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	refs = json_object_get(obj, "references");
	if (refs && (!json_is_array(refs) || json_array_size(refs) > REG_MAX_REFS)) {
		error = build_fail(b, p->meta->path, "bad references");
		goto done;
	}
	if (refs && json_array_size(refs)) {
		p->refs = regit_calloc(json_array_size(refs), sizeof(*p->refs));
		if (!p->refs) {
			error = REGIT_ENOMEM;
			goto done;
		}
		for (i = 0; i < json_array_size(refs); i++) {
			json_t *r = json_array_get(refs, i);
			json_t *name = json_object_get(r, "name");
			json_t *subj = json_object_get(r, "subject");
			int ver = 0;

			if (!json_is_string(name) || !json_is_string(subj) ||
					!json_int(r, "version", &ver, 1)) {
				error = build_fail(b, p->meta->path, "bad reference");
				goto done;
			}
			p->refs[i].name = regit_strdup(json_string_value(name));
			p->refs[i].subject = regit_strdup(json_string_value(subj));
			p->refs[i].version = ver;
			p->nrefs = i + 1;
			if (!p->refs[i].name || !p->refs[i].subject) {
				error = REGIT_ENOMEM;
				goto done;
			}
		}
	}
done:
	json_decref(obj);
	return error;
}

static int pending_cmp(const void *a, const void *b)
{
	const pending *x = *(pending *const *)a, *y = *(pending *const *)b;
	int c = subject_cmp(x->subject->name, x->subject->name_len,
		y->subject->name, y->subject->name_len);

	if (c)
		return c;
	return x->version < y->version ? -1 : x->version > y->version;
}

static pending *build_find(build_ctx *b, const char *subject, int version)
{
	size_t lo = 0, hi = b->np, len = strlen(subject);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		pending *p = b->sorted[mid];
		int c = subject_cmp(p->subject->name, p->subject->name_len, subject, len);

		if (c == 0)
			c = p->version < version ? -1 : p->version > version;
		if (c == 0)
			return p;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int build_lookup(const char **text, size_t *len, const regit_reference **refs,
	size_t *nrefs, const void **token, const char *subject, int version, void *payload)
{
	build_ctx *b = payload;
	pending *p = build_find(b, subject, version);

	if (!p)
		return REGIT_ENOTFOUND;
	if (p->text) {
		*text = p->text->s;
		*len = p->text->len;
	} else {
		*text = p->raw;
		*len = p->raw_len;
	}
	*refs = p->refs;
	*nrefs = p->nrefs;
	/* Raw or compact, the text of one version parses the same. */
	*token = p;
	return 0;
}

/* The compact text of one pending version, parsing raw (its .avsc). */
static int build_text_from(build_ctx *b, pending *p, const char *raw, size_t raw_len)
{
	regit_schema_error serr;
	reg_parsed *parsed = NULL;
	reg_resolver r = { build_lookup, b, b->memo };
	regit_buf own = REGIT_BUF_INIT, *out = b->scratch_out ? b->scratch_out : &own;
	int error;

	if (p->text)
		return 0;
	regit_buf_clear(out);
	out->max = b->max_schema_size * 2 + 4096;
	error = reg_parse(&parsed, raw, raw_len, p->refs, p->nrefs, &r,
		b->max_schema_size * 4 + 65536, &serr);
	if (error == REGIT_EINVALID || error == REGIT_ELIMIT) {
		error = build_fail(b, p->avsc->path, serr.message);
		goto done;
	}
	if (error < 0)
		goto done;
	error = reg_canonical(out, parsed, 0);
	if (error < 0)
		goto done;
	p->text = reg_text_new(out->ptr ? out->ptr : "", out->size);
	if (!p->text)
		error = REGIT_ENOMEM;
done:
	reg_parsed_free(parsed);
	regit_buf_dispose(&own);
	return error;
}

static int build_text(build_ctx *b, pending *p)
{
	return build_text_from(b, p, p->raw, p->raw_len);
}

/*
 * Reading and parsing the changed versions is nearly all of a cold start,
 * so it runs on BUILD_THREADS threads (blob reads share the store) in two
 * passes: first every .json (metadata), in blob id order, then every
 * .avsc of a version without references, in blob id order, each read,
 * parsed and printed at once through buffers the thread reuses (so a
 * version costs few allocations) and only the compact text kept. A
 * version with references is only read (its text needs other versions'
 * texts) and is parsed afterwards on this thread. Identical .avsc blobs
 * are parsed once: versions that share one (the same schema under several
 * subjects) take the text of the first of them ("leader"), when neither
 * has references. A failure is re-run on this thread so the message lands
 * in the thread's last error; the lowest failing version is the one reported.
 */
#define BUILD_MAX_THREADS 4
#define BUILD_PARALLEL_MIN 256

/* Forget what a failed or partial attempt left in p. */
static void pending_reset(pending *p)
{
	reg_refs_free(p->refs, p->nrefs);
	p->refs = NULL;
	p->nrefs = 0;
	reg_text_unref(p->text);
	p->text = NULL;
	regit_free(p->raw);
	p->raw = NULL;
	p->raw_len = 0;
}

/* Read p's .avsc into p->raw. */
static int build_raw(build_ctx *b, pending *p)
{
	regit_buf raw;
	int error = build_read(&raw, b, p->avsc, b->max_schema_size * 4 + 65536);

	if (error < 0) {
		regit_buf_dispose(&raw);
		return error;
	}
	p->raw_len = raw.size;
	p->raw = regit_buf_detach(&raw);
	if (!p->raw) {
		p->raw = regit_strdup("");   /* an empty file: parsing reports it */
		if (!p->raw)
			return REGIT_ENOMEM;
	}
	return 0;
}

/* Pass 1: the metadata of one version, and the .avsc of one with references. */
static int build_one_meta(build_ctx *b, pending *p)
{
	int error = build_meta(b, p);

	if (error < 0)
		return error;
	if (p->nrefs)
		return build_raw(b, p);    /* parsed once every text is known */
	return 0;
}

/* Pass 2: the text of a version without references (read, parsed, printed). */
static int build_one_text(build_ctx *b, pending *p)
{
	regit_buf own = REGIT_BUF_INIT, *raw;
	int error;

	if (p->nrefs || p->follower)
		return 0;    /* later, or its leader's text */
	raw = b->scratch_raw ? b->scratch_raw : &own;
	error = build_read_into(raw, b, p->avsc, b->max_schema_size * 4 + 65536);
	if (error == 0)
		error = build_text_from(b, p, raw->ptr ? raw->ptr : "", raw->size);
	regit_buf_dispose(&own);
	return error;
}

typedef int (*build_step)(build_ctx *b, pending *p);

/*
 * A version to do, keyed by one of its blob ids (the leading bytes as a
 * number, so most comparisons never touch the listing). Reading blobs in
 * id order keeps each lookup in the pack index next to the one before: in
 * listing order every lookup was a handful of cache misses, about a third
 * of reading a small blob.
 */
typedef struct oid_order {
	uint64_t key;
	const regit_store_oid *oid;
	size_t i;
} oid_order;

static int oid_order_cmp(const void *a, const void *b)
{
	const oid_order *x = a, *y = b;
	int c;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	c = memcmp(x->oid, y->oid, sizeof(*x->oid));
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The versions to do, by .avsc (avsc != 0) or .json blob id. @return 0 or REGIT_ENOMEM */
static int build_order(oid_order **out, size_t *n, build_ctx *b, int avsc)
{
	oid_order *order;
	size_t i, k;

	*n = 0;
	*out = order = regit_calloc(b->np ? b->np : 1, sizeof(*order));
	if (!order)
		return REGIT_ENOMEM;
	for (i = 0; i < b->np; i++) {
		if (!b->p[i].todo)
			continue;
		order[*n].oid = avsc ? &b->p[i].avsc->oid : &b->p[i].meta->oid;
		order[*n].i = i;
		for (k = 0; k < 8; k++)
			order[*n].key = (order[*n].key << 8) | order[*n].oid->id[k];
		(*n)++;
	}
	qsort(order, *n, sizeof(*order), oid_order_cmp);
	return 0;
}

/* Mark versions whose .avsc blob an earlier version to do shares (order: by .avsc id). */
static void build_mark_followers(build_ctx *b, const oid_order *order, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		pending *prev = &b->p[order[i - 1].i], *p = &b->p[order[i].i];

		if (memcmp(order[i - 1].oid, order[i].oid, sizeof(*order[i].oid)) == 0)
			p->leader = prev->leader ? prev->leader : prev;
	}
	for (i = 0; i < b->np; i++)
		b->p[i].follower = b->p[i].leader != NULL;
}

typedef struct build_worker {
	build_ctx *b;
	build_step fn;
	const oid_order *order;
	size_t n, start, step;
	size_t failed;               /* lowest failing version (index in b->p), or (size_t)-1 */
} build_worker;

/*
 * Every step-th entry of the order from start. A failure does not stop
 * the walk: the version reported is the lowest failing one in the tree,
 * whatever the order and the number of threads.
 */
static void *build_worker_main(void *arg)
{
	build_worker *w = arg;
	build_ctx mine = *w->b;
	regit_buf raw = REGIT_BUF_INIT, out = REGIT_BUF_INIT;
	size_t k;

	mine.scratch_raw = &raw;
	mine.scratch_out = &out;
	for (k = w->start; k < w->n; k += w->step) {
		size_t i = w->order[k].i;

		/* i < failed keeps the lowest failure; it is no bounds check. */
		/* cppcheck-suppress arrayIndexThenCheck */
		if (w->fn(&mine, &w->b->p[i]) < 0 && i < w->failed)
			w->failed = i;
	}
	regit_buf_dispose(&raw);
	regit_buf_dispose(&out);
	return NULL;
}

/* Run fn over the versions in order, on nthreads threads. */
static int build_pass(build_ctx *b, build_step fn, const oid_order *order, size_t n,
	size_t nthreads)
{
	build_worker w[BUILD_MAX_THREADS];
	pthread_t th[BUILD_MAX_THREADS];
	int started[BUILD_MAX_THREADS] = { 0 };
	size_t i, failed = (size_t)-1;
	int error;

	if (nthreads < 1)
		nthreads = 1;
	for (i = 0; i < nthreads; i++) {
		w[i].b = b;
		w[i].fn = fn;
		w[i].order = order;
		w[i].n = n;
		w[i].start = i;
		w[i].step = nthreads;
		w[i].failed = (size_t)-1;
		if (nthreads > 1)
			started[i] = pthread_create(&th[i], NULL, build_worker_main, &w[i]) == 0;
	}
	/* A share whose thread did not start (or the only share) runs here. */
	for (i = 0; i < nthreads; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			build_worker_main(&w[i]);
		if (w[i].failed < failed)
			failed = w[i].failed;
	}
	if (failed == (size_t)-1)
		return 0;
	/* Again on this thread, for the message. */
	if (fn == build_one_meta)
		pending_reset(&b->p[failed]);
	error = fn(b, &b->p[failed]);
	return error < 0 ? error : REGIT_ERROR;
}

static int build_all(build_ctx *b)
{
	regit_buf raw = REGIT_BUF_INIT, out = REGIT_BUF_INIT;
	oid_order *by_meta = NULL, *by_avsc = NULL;
	size_t i, n = 0, nthreads = 1;
	long ncpu = (long)regit_cpu_count();
	int error;

	error = build_order(&by_avsc, &n, b, 1);
	if (error == 0)
		error = build_order(&by_meta, &n, b, 0);
	if (error < 0)
		goto done;
	build_mark_followers(b, by_avsc, n);
	if (ncpu > 1 && b->nparse >= BUILD_PARALLEL_MIN)
		nthreads = (size_t)ncpu < BUILD_MAX_THREADS ? (size_t)ncpu : BUILD_MAX_THREADS;
	/* This thread's, when it does the work; reset at done, before return. */
	/* cppcheck-suppress autoVariables */
	b->scratch_raw = &raw;
	/* cppcheck-suppress autoVariables */
	b->scratch_out = &out;
	error = build_pass(b, build_one_meta, by_meta, n, nthreads);
	if (error == 0)
		error = build_pass(b, build_one_text, by_avsc, n, nthreads);
	/* Followers: the leader's text when both have no references. */
	for (i = 0; i < b->np && error == 0; i++) {
		pending *p = &b->p[i];

		if (!p->todo || !p->follower || p->nrefs)
			continue;
		if (p->leader->nrefs == 0 && p->leader->text) {
			p->text = reg_text_ref(p->leader->text);
			continue;
		}
		error = build_raw(b, p);
	}
	/* Versions with references (their targets' texts are known now). */
	for (i = 0; i < b->np && error == 0; i++)
		if (b->p[i].todo)
			error = build_text(b, &b->p[i]);
done:
	b->scratch_raw = NULL;
	b->scratch_out = NULL;
	regit_buf_dispose(&raw);
	regit_buf_dispose(&out);
	regit_free(by_meta);
	regit_free(by_avsc);
	return error;
}

/* "v12.avsc" -> 12 and kind 'a'; "v12.json" -> 12 and 'j'. */
static int parse_version_file(const char *name, int *version, char *kind)
{
	const char *p = name + 1;
	long n = 0;

	if (name[0] != 'v' || *p < '1' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (*p - '0');
		if (n > REG_MAX_VERSION)
			return 0;
		p++;
	}
	if (strcmp(p, ".avsc") == 0)
		*kind = 'a';
	else if (strcmp(p, ".json") == 0)
		*kind = 'j';
	else
		return 0;
	*version = (int)n;
	return 1;
}

static int build_pending_for(pending **out, build_ctx *b, reg_subject *s, int version,
	size_t subject_start)
{
	size_t i;

	for (i = b->np; i > subject_start; i--) {
		if (b->p[i - 1].version == version) {
			*out = &b->p[i - 1];
			return 0;
		}
	}
	if (b->np == b->cap) {
		pending *grown = regit_array_grow(b->p, &b->cap,
			b->np + 1, sizeof(*grown), 256);

		if (!grown)
			return REGIT_ENOMEM;
		b->p = grown;
	}
	*out = &b->p[b->np++];
	memset(*out, 0, sizeof(**out));
	(*out)->subject = s;
	(*out)->version = version;
	return 0;
}

static int build_files(build_ctx *b, const regit_store_listing *listing)
{
	regit_buf name = REGIT_BUF_INIT;
	reg_subject *s = NULL;
	const char *cur_enc = NULL;
	size_t cur_len = 0, subject_start = 0, i;
	int error = 0;

	for (i = 0; i < listing->nfiles && error == 0; i++) {
		const regit_store_file *f = &listing->files[i];
		const char *path = f->path;
		const char *enc, *slash, *file;
		const char *why = NULL;
		pending *p = NULL;
		int version;
		char kind;

		if (strncmp(path, "subjects/", 9) != 0) {
			if (strcmp(path, "regit.json") == 0) {
				error = build_root(b, f);
				b->idx->has_root = 1;
			} else if (strcmp(path, "config.json") == 0) {
				error = build_config(b, f, &b->idx->config);
				b->idx->has_config = 1;
			} else if (strcmp(path, "mode.json") == 0) {
				error = build_mode(b, f, &b->idx->mode);
				b->idx->has_mode = 1;
			}
			/* Anything else outside subjects/ (a README) is not ours. */
			continue;
		}
		enc = path + 9;
		slash = strchr(enc, '/');
		if (!slash || strchr(slash + 1, '/')) {
			error = build_fail(b, path, "expected subjects/<subject>/<file>");
			break;
		}
		file = slash + 1;
		if (!cur_enc || cur_len != (size_t)(slash - enc) || memcmp(cur_enc, enc, cur_len) != 0) {
			cur_enc = enc;
			cur_len = (size_t)(slash - enc);
			regit_buf_clear(&name);
			error = regit_layout_subject_decode(&name, enc, cur_len);
			if (error == REGIT_EINVALID) {
				error = build_fail(b, path, "directory name is not an encoded subject");
				break;
			}
			if (error < 0)
				break;
			if (!regit_layout_subject_valid(name.ptr, name.size, &why)) {
				error = build_fail(b, path, why);
				break;
			}
			error = reg_index_subject_add(&s, b->idx, name.ptr, name.size);
			if (error < 0)
				break;
			subject_start = b->np;
		}
		if (strcmp(file, "config.json") == 0) {
			error = build_config(b, f, &s->config);
			s->has_config = 1;
		} else if (strcmp(file, "mode.json") == 0) {
			error = build_mode(b, f, &s->mode);
			s->has_mode = 1;
		} else if (parse_version_file(file, &version, &kind)) {
			error = build_pending_for(&p, b, s, version, subject_start);
			if (error == 0) {
				if (kind == 'a')
					p->avsc = f;
				else
					p->meta = f;
			}
		} else {
			error = build_fail(b, path, "unexpected file in a subject directory");
		}
	}
	regit_buf_dispose(&name);
	return error;
}

static void pending_dispose(pending *p)
{
	reg_refs_free(p->refs, p->nrefs);
	reg_text_unref(p->text);
	regit_free(p->raw);
}

/*
 * Does a cached version agree with its files? Parses them into a scratch
 * entry and compares everything the cache supplied.
 */
static int build_verify_cached(build_ctx *outer, const pending *p)
{
	regit_error_saved saved;
	build_ctx mine = *outer;
	build_ctx *b = &mine;
	pending scratch = *p;
	regit_buf raw;
	int same = 0;

	/* a disagreement is not an error of the tree: the last error is put back */
	regit_error_save(&saved);
	scratch.text = NULL;
	scratch.refs = NULL;
	scratch.nrefs = 0;
	scratch.raw = NULL;
	if (build_meta(b, &scratch) < 0 || build_read(&raw, b, p->avsc,
			b->max_schema_size * 4 + 65536) < 0) {
		regit_buf_dispose(&raw);
		goto done;
	}
	scratch.raw_len = raw.size;
	scratch.raw = regit_buf_detach(&raw);
	if (!scratch.raw || scratch.nrefs || build_text(b, &scratch) < 0)
		goto done;
	same = scratch.id == p->id && scratch.deleted == p->deleted && scratch.ts == p->ts &&
		scratch.text->len == p->text->len &&
		memcmp(scratch.text->s, p->text->s, p->text->len) == 0;
done:
	pending_dispose(&scratch);
	regit_error_restore(&saved);
	return same;
}

static int index_build(reg_index **out, regit_store *store,
	const regit_store_listing *listing, const reg_index *prev, const reg_cache *cache,
	size_t max_schema_size, int *cache_bad)
{
	build_ctx b;
	size_t i, j, ncached = 0, cache_hint = 0;
	int error = 0;

	*out = NULL;
	*cache_bad = 0;
	memset(&b, 0, sizeof(b));
	b.store = store;
	b.prev = prev;
	b.max_schema_size = max_schema_size;
	b.idx = reg_index_new();
	if (!b.idx)
		return REGIT_ENOMEM;
	memcpy(b.idx->head, listing->head, sizeof(b.idx->head));

	error = build_files(&b, listing);
	if (error < 0)
		goto done;

	for (i = 0; i < b.np; i++) {
		pending *p = &b.p[i];

		if (!p->avsc || !p->meta) {
			error = build_fail(&b, (p->avsc ? p->avsc : p->meta)->path,
				"a version needs both its .avsc and its .json file");
			goto done;
		}
	}
	/* In the index's order (subjects, then versions by number): the order
	 * the start-up cache was written in, so its entries come one after the
	 * other (reg_cache_find's hint). */
	b.sorted = regit_calloc(b.np ? b.np : 1, sizeof(*b.sorted));
	if (!b.sorted) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (i = 0; i < b.np; i++)
		b.sorted[i] = &b.p[i];
	qsort(b.sorted, b.np, sizeof(*b.sorted), pending_cmp);

	/* Metadata, and schema text reused or read. */
	for (i = 0; i < b.np; i++) {
		pending *p = b.sorted[i];
		const reg_version *old = NULL;

		if (prev) {
			old = reg_subject_version(reg_index_subject(prev, p->subject->name,
				p->subject->name_len), p->version);
			if (old && (!old->has_oids ||
					memcmp(&old->avsc_oid, &p->avsc->oid, sizeof(old->avsc_oid)) != 0 ||
					memcmp(&old->meta_oid, &p->meta->oid, sizeof(old->meta_oid)) != 0))
				old = NULL;
		}
		if (old) {
			p->id = old->pub.id;
			p->deleted = old->pub.deleted;
			p->ts = old->pub.ts;
			error = reg_refs_copy(&p->refs, old->refs, old->nrefs);
			if (error < 0)
				goto done;
			p->nrefs = old->nrefs;
			p->text = reg_text_ref(old->text);
			continue;
		}
		if (cache) {
			const reg_cache_entry *e = reg_cache_find(cache, &p->avsc->oid, &p->meta->oid,
				&cache_hint);

			if (e) {
				p->id = e->id;
				p->deleted = e->deleted;
				p->ts = e->ts;
				p->text = reg_text_new(e->text, e->len);
				if (!p->text) {
					error = REGIT_ENOMEM;
					goto done;
				}
				p->cached = 1;
				ncached++;
				continue;
			}
		}
		b.idx->nparsed++;
		b.nparse++;
		p->todo = 1;
	}

	/*
	 * Parse what changed; references resolve against the new tree. The
	 * memo lets each referenced version be parsed once for the whole
	 * build, not once for every version that reaches it.
	 */
	error = reg_memo_new(&b.memo, REG_MEMO_MAX_BYTES);
	if (error == 0)
		error = build_all(&b);
	reg_memo_free(b.memo);
	b.memo = NULL;
	if (error < 0)
		goto done;
	/* Spot-check the cache: a few evenly spread entries against their files. */
	if (ncached) {
		size_t step = ncached / 8 + 1, seen = 0;

		for (i = 0; i < b.np; i++) {
			if (!b.p[i].cached || seen++ % step)
				continue;
			if (!build_verify_cached(&b, &b.p[i])) {
				*cache_bad = 1;
				error = REGIT_ECONFLICT;
				goto done;
			}
		}
	}

	/* Join the index; ids must agree across subjects. */
	for (i = 0; i < b.np; i++) {
		pending *p = &b.p[i];
		reg_version *v = NULL;

		error = reg_index_add_version(&v, b.idx, p->subject, p->version, p->id, p->text,
			p->refs, p->nrefs, p->deleted, p->ts);
		if (error == REGIT_EINVALID) {
			error = build_fail(&b, p->meta->path, regit_error_message());
			goto done;
		}
		if (error < 0)
			goto done;
		v->avsc_oid = p->avsc->oid;
		v->meta_oid = p->meta->oid;
		v->has_oids = 1;
	}
	/* Every reference must point at a version of this tree. */
	for (i = 0; i < b.np; i++) {
		pending *p = &b.p[i];

		for (j = 0; j < p->nrefs; j++) {
			if (!build_find(&b, p->refs[j].subject, p->refs[j].version)) {
				error = build_fail(&b, p->meta->path, "reference to a missing version");
				goto done;
			}
		}
	}
	*out = b.idx;
	b.idx = NULL;
done:
	for (i = 0; i < b.np; i++)
		pending_dispose(&b.p[i]);
	regit_free(b.p);
	regit_free(b.sorted);
	reg_index_free(b.idx);
	return error;
}

int reg_index_build(reg_index **out, regit_store *store,
	const regit_store_listing *listing, const reg_index *prev, const reg_cache *cache,
	size_t max_schema_size)
{
	int bad = 0;
	int error = index_build(out, store, listing, prev, cache, max_schema_size, &bad);

	if (bad) {
		/* The cache disagrees with the tree (a different printer, a bug):
		 * build from the tree alone. */
		error = index_build(out, store, listing, prev, NULL, max_schema_size, &bad);
	}
	return error;
}
