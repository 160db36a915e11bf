/*
 * index.c - the registry's in-memory index: its data structures, the
 * accessors the rest of the registry reads it through, and the small
 * mutations writes apply to it; also the metadata files' writers and the
 * mode and lint policy names (part of the store's file format).
 *
 * reg_index is opaque outside the index: its layout is in
 * index_internal.h, shared only with index_build.c, which builds an index
 * from a store tree (validation, metadata reading, the parallel parse,
 * reuse on rebuild, the start-up cache). That file calls this one and
 * never the reverse; a write that changes the tree is applied here
 * through reg_index_add_version, reg_index_remove_version and the setters.
 */
#include "registry/index_internal.h"

#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/array.h"
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

/* Position of name in subjects[], or where it would be inserted. */
static size_t subject_pos(const reg_index *idx, const char *name, size_t len, int *found)
{
	size_t lo = 0, hi = idx->nsubjects;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const reg_subject *s = idx->subjects[mid];
		int c = reg_index__subject_cmp(s->name, s->name_len, name, len);

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
