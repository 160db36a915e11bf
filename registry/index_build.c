/*
 * index_build.c - building the registry's in-memory index from the
 * store's HEAD tree (reg_index_build).
 *
 * The index is derived from the tree alone (no history is read), so
 * startup cost follows the number of live files. A rebuild after another
 * writer or a push moved the branch reuses every version whose two blobs
 * (.avsc and .json) kept their ids, so only changed files are read and
 * parsed; at start-up, versions found in the start-up cache (cache.c) are
 * taken from it after a sample was checked against their files. Building
 * validates the whole tree first and publishes nothing when any part is
 * wrong: the caller keeps serving the old index.
 *
 * Metadata files are JSON read with jansson (with a fast path for the
 * plain form regit writes); the schema text itself goes through the
 * schema parser, on up to BUILD_MAX_THREADS threads.
 *
 * Why a file of its own: it is the index's biggest responsibility, and
 * the only part that reads files, uses jansson or starts threads. It
 * fills a new index's fields (index_internal.h) and otherwise calls
 * index.c's functions; index.c never calls it.
 */
#include "registry/index_internal.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema.h"
#include "registry/layout.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/cpu.h"
#include "util/error.h"

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
	int c = reg_index__subject_cmp(x->subject->name, x->subject->name_len,
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
		int c = reg_index__subject_cmp(p->subject->name, p->subject->name_len,
			subject, len);

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
