/*
 * parse.c - schemas with Confluent references, and the registry's
 * canonical (optionally normalized) schema text.
 *
 * A schema may use named types defined by other subject-versions
 * ({name, subject, version} references). The referenced schemas are parsed
 * first, depth-first, and handed to the parser as imports. The parser
 * searches only the imports it is given, not their imports, so each schema
 * gets the flattened set of everything it reaches, built as the union of
 * its references' sets through a hash set (a linear scan per import made
 * a graph of 300 schemas, each referencing 60, cost 0.1-0.7 s a request).
 * Chains are bounded in depth, the total number of references reached is
 * bounded, and a cycle is an error.
 *
 * Within one call each referenced schema is parsed once (a table keyed by
 * the resolver's token). Across calls, a memo (reg_memo) keeps the parses
 * of referenced schemas: the registry has one per generation of its index
 * (any change to the index starts a new one), so a request parses only its
 * own text. Memo entries are immutable once inserted and are shared by
 * threads; the memo's mutex guards only its table. A parse is put in the
 * memo only when everything it imports is there too (so no entry borrows
 * from a call's own parses), and only while the memo is under its size
 * budget; otherwise the call's result owns it, as when there is no memo.
 * Threads missing the same entry at once both parse it; the first insert
 * wins and the others drop their copies for it, so that within one call
 * each referenced schema has one parse (two copies of one schema's types
 * among the imports would define its names twice).
 *
 * Normalization (?normalize=true, or "normalize" in the config) sorts
 * custom properties and aliases, as Confluent's AvroSchema.normalize()
 * does, so schemas differing only in that order share one identity. It is
 * done on the compact text with a tiny tree that keeps every scalar's raw
 * bytes, so numbers and escapes are exactly as the printer wrote them.
 */
#include "registry/registry_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

/* Distinct referenced schemas one parse may reach. */
#define PARSE_MAX_DEPS 1000

struct reg_memo {
	pthread_mutex_t lock;
	size_t refs;                /* guarded by lock */
	regit_map entries;            /* token -> reg_parsed (owned); guarded by lock */
	size_t bytes;               /* estimated size of the entries; guarded by lock */
	size_t max_bytes;
};

/* A referenced schema met by this call. */
typedef struct parse_dep {
	const void *token;
	int state;                  /* 1 = in progress, 2 = done */
	int shared;                 /* p is a memo entry */
	reg_parsed *p;
} parse_dep;

typedef struct parse_ctx {
	const reg_resolver *r;
	size_t max_size;
	regit_map seen;               /* token -> parse_dep (owned) */
	reg_parsed **order;         /* parsed here and not in the memo, in completion order */
	size_t norder, ordercap;
	size_t nparsed;
	regit_schema_error *serr;
} parse_ctx;

static void parse_fail(regit_schema_error *serr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void parse_fail(regit_schema_error *serr, const char *fmt, ...)
{
	va_list ap;

	if (!serr)
		return;
	va_start(ap, fmt);
	vsnprintf(serr->message, sizeof(serr->message), fmt, ap);
	va_end(ap);
	serr->path[0] = '\0';
	serr->line = serr->column = 0;
}

static uint64_t ptr_hash(const void *ptr)
{
	return regit_hash(&ptr, sizeof(ptr));
}

static int ptr_eq(const void *val, const void *key)
{
	return val == key;
}

static int dep_token_eq(const void *val, const void *key)
{
	return ((const parse_dep *)val)->token == key;
}

static int parsed_token_eq(const void *val, const void *key)
{
	return ((const reg_parsed *)val)->token == key;
}

/*
 * Free one parse without its dependencies. regit_schema_free does not
 * read a schema's imports, so parses that import each other may go in any
 * order.
 */
static void parsed_free_one(reg_parsed *p)
{
	if (!p)
		return;
	regit_schema_free(p->schema);
	regit_free(p->imports);
	regit_free(p);
}

void reg_parsed_free(reg_parsed *p)
{
	size_t i;

	if (!p)
		return;
	/* Dependents before what they import: reverse completion order. */
	regit_schema_free(p->schema);
	p->schema = NULL;
	for (i = p->ndeps; i > 0; i--)
		parsed_free_one(p->deps[i - 1]);
	regit_free(p->deps);
	regit_free(p->imports);
	/* Last: the parses above may borrow from the memo's. */
	reg_memo_free(p->memo);
	regit_free(p);
}

/* ---- memo ---------------------------------------------------------------- */

int reg_memo_new(reg_memo **out, size_t max_bytes)
{
	reg_memo *m = regit_calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return REGIT_ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->refs = 1;
	m->max_bytes = max_bytes;
	*out = m;
	return 0;
}

reg_memo *reg_memo_ref(reg_memo *m)
{
	if (m) {
		pthread_mutex_lock(&m->lock);
		m->refs++;
		pthread_mutex_unlock(&m->lock);
	}
	return m;
}

void reg_memo_free(reg_memo *m)
{
	size_t i;
	int last;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	last = --m->refs == 0;
	pthread_mutex_unlock(&m->lock);
	if (!last)
		return;
	for (i = 0; i < m->entries.cap; i++)
		parsed_free_one(m->entries.slots[i].val);
	regit_free(m->entries.slots);
	pthread_mutex_destroy(&m->lock);
	regit_free(m);
}

size_t reg_memo_count(reg_memo *m)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->entries.n;
	pthread_mutex_unlock(&m->lock);
	return n;
}

static reg_parsed *memo_get(reg_memo *m, uint64_t hash, const void *token)
{
	reg_parsed *p;

	pthread_mutex_lock(&m->lock);
	p = regit_map_get(&m->entries, hash, parsed_token_eq, token);
	pthread_mutex_unlock(&m->lock);
	return p;
}

/*
 * What an entry costs, roughly: a parsed model takes at least one 16 KB
 * arena chunk (17 KB measured for a 90-byte record and for one of 2 KB
 * with 60 fields), larger ones a few times their text, plus the imports
 * array.
 */
static size_t memo_cost(const reg_parsed *p)
{
	return sizeof(*p) + 17 * 1024 + p->len * 4 + p->nimports * sizeof(*p->imports);
}

/*
 * Offer p to the memo. @return p (taken), the entry another thread put
 * there first (p is not taken), or NULL (no room: p is not taken)
 */
static reg_parsed *memo_put(reg_memo *m, uint64_t hash, reg_parsed *p)
{
	size_t cost = memo_cost(p);
	reg_parsed *entry;

	pthread_mutex_lock(&m->lock);
	entry = regit_map_get(&m->entries, hash, parsed_token_eq, p->token);
	/* m->bytes never exceeds m->max_bytes. */
	if (!entry && cost <= m->max_bytes - m->bytes && regit_map_reserve(&m->entries) == 0) {
		regit_map_put(&m->entries, hash, p);
		m->bytes += cost;
		entry = p;
	}
	pthread_mutex_unlock(&m->lock);
	return entry;
}

/* ---- parsing --------------------------------------------------------------- */

/* Imports being collected: the array handed to the parser and a set over it. */
typedef struct import_set {
	const regit_schema **arr;
	size_t n, cap;
	regit_map set;                /* schema -> itself */
} import_set;

static int import_add(import_set *s, const regit_schema *schema)
{
	uint64_t hash = ptr_hash(schema);

	/* The set only compares addresses: the const is never written through. */
	if (regit_map_get(&s->set, hash, ptr_eq, schema))
		return 0;
	if (s->n == s->cap) {
		const regit_schema **grown = regit_array_grow(s->arr, &s->cap,
			s->n + 1, sizeof(*grown), 16);

		if (!grown)
			return REGIT_ENOMEM;
		s->arr = grown;
	}
	if (regit_map_reserve(&s->set) < 0)
		return REGIT_ENOMEM;
	regit_map_put(&s->set, hash, (void *)schema);
	s->arr[s->n++] = schema;
	return 0;
}

/*
 * Add a referenced schema and everything it imports. When it is already
 * in the set, so is everything it imports: the set only ever grows by
 * whole closures, and a schema's imports include its imports' imports.
 */
static int import_add_closure(import_set *s, const reg_parsed *dep)
{
	size_t i;
	int error;

	if (regit_map_get(&s->set, ptr_hash(dep->schema), ptr_eq, dep->schema))
		return 0;
	error = import_add(s, dep->schema);
	for (i = 0; i < dep->nimports && error == 0; i++)
		error = import_add(s, dep->imports[i]);
	return error;
}

static int parse_one(reg_parsed **out, int *shared, parse_ctx *ctx, const char *text,
	size_t len, const regit_reference *refs, size_t nrefs, size_t depth);

/* Keep a parse this call owns (taken, freed on failure). */
static int order_add(parse_ctx *ctx, reg_parsed *p)
{
	if (ctx->norder == ctx->ordercap) {
		reg_parsed **grown = regit_array_grow(ctx->order, &ctx->ordercap,
			ctx->norder + 1, sizeof(*grown), 8);

		if (!grown) {
			parsed_free_one(p);
			return REGIT_ENOMEM;
		}
		ctx->order = grown;
	}
	ctx->order[ctx->norder++] = p;
	return 0;
}

/* Remember what this call knows of a token (state and parse). */
static int seen_add(parse_dep **out, parse_ctx *ctx, uint64_t hash, const void *token)
{
	parse_dep *d = regit_calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return REGIT_ENOMEM;
	if (regit_map_reserve(&ctx->seen) < 0) {
		regit_free(d);
		return REGIT_ENOMEM;
	}
	d->token = token;
	regit_map_put(&ctx->seen, hash, d);
	*out = d;
	return 0;
}

/*
 * The parse of one reference: found earlier in this call, in the memo, or
 * parsed now. *shared says whether it is a memo entry.
 */
static int parse_ref(reg_parsed **out, int *shared, parse_ctx *ctx, const regit_reference *ref,
	size_t depth)
{
	const char *text = NULL;
	size_t len = 0, nrefs = 0;
	const regit_reference *refs = NULL;
	const void *token = NULL;
	reg_memo *memo = ctx->r->memo;
	reg_parsed *p = NULL, *entry;
	parse_dep *d;
	uint64_t hash;
	int error, p_shared = 0;

	*out = NULL;
	*shared = 0;
	if (!ref->subject || ref->version < 1 ||
			ctx->r->lookup(&text, &len, &refs, &nrefs, &token, ref->subject, ref->version,
				ctx->r->payload) != 0 || !text) {
		parse_fail(ctx->serr, "reference to subject '%.200s' version %d not found",
			ref->subject ? ref->subject : "", ref->version);
		return REGIT_EINVALID;
	}
	hash = ptr_hash(token);
	d = regit_map_get(&ctx->seen, hash, dep_token_eq, token);
	if (d) {
		if (d->state != 2) {
			parse_fail(ctx->serr, "reference cycle through subject '%.200s' version %d",
				ref->subject, ref->version);
			return REGIT_EINVALID;
		}
		*out = d->p;
		*shared = d->shared;
		return 0;
	}
	if (ctx->seen.n >= PARSE_MAX_DEPS) {
		parse_fail(ctx->serr, "more than %d references in all", PARSE_MAX_DEPS);
		return REGIT_EINVALID;
	}
	error = seen_add(&d, ctx, hash, token);
	if (error < 0)
		return error;
	d->state = 1;
	/*
	 * A memo entry passed the limits where it was parsed, maybe higher in
	 * another graph or under a larger size limit: it must pass them here
	 * too. A text too long is parsed again, for the parser's error.
	 */
	p = memo ? memo_get(memo, hash, token) : NULL;
	if (p && depth + 1 + p->height > REG_MAX_REF_DEPTH) {
		parse_fail(ctx->serr, "references nested deeper than %d", REG_MAX_REF_DEPTH);
		return REGIT_EINVALID;
	}
	if (p && p->len > ctx->max_size)
		p = NULL;
	if (p) {
		p_shared = 1;
	} else {
		/* On failure the entry stays in progress: the caller unwinds everything. */
		error = parse_one(&p, &p_shared, ctx, text, len, refs, nrefs, depth + 1);
		if (error < 0)
			return error;
		p->token = token;
		p->len = len;
		ctx->nparsed++;
		entry = memo && p_shared ? memo_put(memo, hash, p) : NULL;
		if (entry && entry != p) {
			/*
			 * Another thread put its parse there first. Use that one: a
			 * memo entry this call takes later may import it, and a
			 * schema must not import two copies of the same types.
			 */
			parsed_free_one(p);
			p = entry;
		} else if (!entry) {
			p_shared = 0;
			error = order_add(ctx, p);
			if (error < 0)
				return error;
		}
	}
	d->p = p;
	d->shared = p_shared;
	d->state = 2;
	*out = p;
	*shared = p_shared;
	return 0;
}
/*
 * Parse one schema after its references. *shared: every schema it
 * imports is a memo entry, so it may become one.
 */
static int parse_one(reg_parsed **out, int *shared, parse_ctx *ctx, const char *text,
	size_t len, const regit_reference *refs, size_t nrefs, size_t depth)
{
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	import_set imports;
	reg_parsed *p = NULL;
	size_t i;
	int error = 0;

	*out = NULL;
	*shared = 1;
	memset(&imports, 0, sizeof(imports));
	if (nrefs > REG_MAX_REFS) {
		parse_fail(ctx->serr, "more than %d references", REG_MAX_REFS);
		return REGIT_EINVALID;
	}
	if (depth > REG_MAX_REF_DEPTH) {
		parse_fail(ctx->serr, "references nested deeper than %d", REG_MAX_REF_DEPTH);
		return REGIT_EINVALID;
	}
	p = regit_calloc(1, sizeof(*p));
	if (!p)
		return REGIT_ENOMEM;
	for (i = 0; i < nrefs; i++) {
		reg_parsed *dep = NULL;
		int dep_shared = 0;

		error = parse_ref(&dep, &dep_shared, ctx, &refs[i], depth);
		if (error < 0)
			goto done;
		*shared &= dep_shared;
		if (dep->height + 1 > p->height)
			p->height = dep->height + 1;
		error = import_add_closure(&imports, dep);
		if (error < 0)
			goto done;
	}
	/* Memo hits are not walked: their closures count here. */
	if (imports.n > PARSE_MAX_DEPS) {
		parse_fail(ctx->serr, "more than %d references in all", PARSE_MAX_DEPS);
		error = REGIT_EINVALID;
		goto done;
	}
	p->imports = imports.arr;
	p->nimports = imports.n;
	imports.arr = NULL;
	opts.max_size = ctx->max_size;
	opts.imports = p->imports;
	opts.nimports = p->nimports;
	error = regit_schema_parse(&p->schema, text, len, &opts, ctx->serr);
	if (error < 0)
		goto done;
	*out = p;
	p = NULL;
done:
	regit_free(imports.arr);
	regit_free(imports.set.slots);
	parsed_free_one(p);
	return error;
}

int reg_parse(reg_parsed **out, const char *text, size_t len,
	const regit_reference *refs, size_t nrefs, const reg_resolver *r,
	size_t max_size, regit_schema_error *serr)
{
	parse_ctx ctx;
	reg_parsed *p = NULL;
	size_t i;
	int shared, error;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.r = r;
	ctx.max_size = max_size;
	ctx.serr = serr;
	if (serr)
		memset(serr, 0, sizeof(*serr));
	error = parse_one(&p, &shared, &ctx, text, len, refs, nrefs, 0);
	if (error < 0)
		goto done;
	/* The top-level result owns the references parsed here and keeps
	 * the memo (whose entries its imports may be) alive. */
	p->deps = ctx.order;
	p->ndeps = ctx.norder;
	p->nparsed = ctx.nparsed;
	if (nrefs)
		p->memo = reg_memo_ref(r->memo);
	ctx.order = NULL;
	ctx.norder = 0;
	*out = p;
	p = NULL;
done:
	parsed_free_one(p);
	/* On failure, free whatever references were parsed, dependents first. */
	for (i = ctx.norder; i > 0; i--)
		parsed_free_one(ctx.order[i - 1]);
	regit_free(ctx.order);
	for (i = 0; i < ctx.seen.cap; i++)
		regit_free(ctx.seen.slots[i].val);
	regit_free(ctx.seen.slots);
	return error;
}

/* ---- canonical text and normalization ---------------------------------- */

int reg_canonical(regit_buf *out, const reg_parsed *p, int normalize)
{
	regit_buf tmp;
	int error;

	if (!normalize)
		return regit_schema_print(p->schema, REGIT_PRINT_COMPACT, out);
	regit_buf_init(&tmp, out->max);
	error = regit_schema_print(p->schema, REGIT_PRINT_COMPACT, &tmp);
	if (error == 0)
		error = reg_normalize(out, tmp.ptr ? tmp.ptr : "", tmp.size);
	regit_buf_dispose(&tmp);
	return error;
}

/*
 * A JSON value of trusted compact text: scalars keep their raw span,
 * objects and arrays their children. Keys keep their raw (quoted) span.
 */
typedef struct jnode {
	int kind;                 /* 'o', 'a', 's' (string), 'v' (other scalar) */
	const char *raw;
	size_t len;
	struct jnode **kids;      /* object: key, value, key, value ... */
	size_t nkids;
} jnode;

static void jnode_free(jnode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkids; i++)
		jnode_free(n->kids[i]);
	regit_free(n->kids);
	regit_free(n);
}

typedef struct jparser {
	const char *s;
	size_t len, pos;
	size_t depth;
} jparser;

static int jparse(jnode **out, jparser *jp);

static int jnode_push(jnode *n, jnode *kid)
{
	jnode **grown = regit_reallocarray(n->kids, n->nkids + 1, sizeof(*grown));

	if (!grown) {
		jnode_free(kid);
		return REGIT_ENOMEM;
	}
	grown[n->nkids++] = kid;
	n->kids = grown;
	return 0;
}

static int jparse_string(jnode **out, jparser *jp)
{
	size_t start = jp->pos;
	jnode *n;

	jp->pos++;    /* opening quote */
	while (jp->pos < jp->len && jp->s[jp->pos] != '"') {
		if (jp->s[jp->pos] == '\\')
			jp->pos++;
		jp->pos++;
	}
	if (jp->pos >= jp->len)
		return REGIT_EINVALID;
	jp->pos++;
	n = regit_calloc(1, sizeof(*n));
	if (!n)
		return REGIT_ENOMEM;
	n->kind = 's';
	n->raw = jp->s + start;
	n->len = jp->pos - start;
	*out = n;
	return 0;
}

static int jparse_container(jnode **out, jparser *jp, char open)
{
	char close = open == '{' ? '}' : ']';
	jnode *n = regit_calloc(1, sizeof(*n));
	jnode *kid = NULL;
	int error = 0;

	if (!n)
		return REGIT_ENOMEM;
	n->kind = open == '{' ? 'o' : 'a';
	n->raw = jp->s + jp->pos;
	jp->pos++;
	if (++jp->depth > 256) {
		error = REGIT_ELIMIT;
		goto done;
	}
	if (jp->pos < jp->len && jp->s[jp->pos] == close) {
		jp->pos++;
		goto finish;
	}
	for (;;) {
		if (open == '{') {
			if (jp->pos >= jp->len || jp->s[jp->pos] != '"') {
				error = REGIT_EINVALID;
				goto done;
			}
			error = jparse_string(&kid, jp);
			if (error == 0)
				error = jnode_push(n, kid);
			if (error < 0)
				goto done;
			if (jp->pos >= jp->len || jp->s[jp->pos] != ':') {
				error = REGIT_EINVALID;
				goto done;
			}
			jp->pos++;
		}
		error = jparse(&kid, jp);
		if (error == 0)
			error = jnode_push(n, kid);
		if (error < 0)
			goto done;
		if (jp->pos < jp->len && jp->s[jp->pos] == ',') {
			jp->pos++;
			continue;
		}
		if (jp->pos < jp->len && jp->s[jp->pos] == close) {
			jp->pos++;
			break;
		}
		error = REGIT_EINVALID;
		goto done;
	}
finish:
	n->len = (size_t)(jp->s + jp->pos - n->raw);
	jp->depth--;
	*out = n;
	return 0;
done:
	jnode_free(n);
	return error;
}

static int jparse(jnode **out, jparser *jp)
{
	size_t start = jp->pos;
	jnode *n;

	*out = NULL;
	if (jp->pos >= jp->len)
		return REGIT_EINVALID;
	switch (jp->s[jp->pos]) {
	case '{':
	case '[':
		return jparse_container(out, jp, jp->s[jp->pos]);
	case '"':
		return jparse_string(out, jp);
	default:
		while (jp->pos < jp->len && !strchr(",]}:", jp->s[jp->pos]))
			jp->pos++;
		if (jp->pos == start)
			return REGIT_EINVALID;
		n = regit_calloc(1, sizeof(*n));
		if (!n)
			return REGIT_ENOMEM;
		n->kind = 'v';
		n->raw = jp->s + start;
		n->len = jp->pos - start;
		*out = n;
		return 0;
	}
}

static int jkey_is(const jnode *key, const char *name)
{
	size_t n = strlen(name);

	return key->len == n + 2 && memcmp(key->raw + 1, name, n) == 0;
}

static jnode *jget(const jnode *obj, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < obj->nkids; i += 2)
		if (jkey_is(obj->kids[i], name))
			return obj->kids[i + 1];
	return NULL;
}

static int jraw_cmp(const jnode *a, const jnode *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->raw, b->raw, n);

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int jsort_strings(const void *a, const void *b)
{
	return jraw_cmp(*(jnode *const *)a, *(jnode *const *)b);
}

/* Object members are pairs; sort a run of pairs by key. */
typedef struct jpair {
	jnode *key, *val;
} jpair;

static int jsort_pairs(const void *a, const void *b)
{
	return jraw_cmp(((const jpair *)a)->key, ((const jpair *)b)->key);
}

static int jreserved(const jnode *key, const char *const *reserved)
{
	size_t i;

	for (i = 0; reserved[i]; i++)
		if (jkey_is(key, reserved[i]))
			return 1;
	return 0;
}

/*
 * Reorder obj: reserved keys keep their order; custom properties are sorted
 * and placed where the first of them was. aliases arrays are sorted.
 */
static int jnormalize_object(jnode *obj, const char *const *reserved)
{
	size_t np = obj->nkids / 2, i, ncustom = 0, first = (size_t)-1, w = 0, c = 0;
	jpair *pairs = NULL, *custom = NULL;
	jnode *aliases;

	aliases = jget(obj, "aliases");
	if (aliases && aliases->kind == 'a' && aliases->nkids > 1)
		qsort(aliases->kids, aliases->nkids, sizeof(*aliases->kids), jsort_strings);
	if (np == 0)
		return 0;
	pairs = regit_calloc(np, sizeof(*pairs));
	custom = regit_calloc(np, sizeof(*custom));
	if (!pairs || !custom) {
		regit_free(pairs);
		regit_free(custom);
		return REGIT_ENOMEM;
	}
	for (i = 0; i < np; i++) {
		pairs[i].key = obj->kids[2 * i];
		pairs[i].val = obj->kids[2 * i + 1];
		if (!jreserved(pairs[i].key, reserved)) {
			if (first == (size_t)-1)
				first = i;
			custom[ncustom++] = pairs[i];
		}
	}
	if (ncustom > 1) {
		qsort(custom, ncustom, sizeof(*custom), jsort_pairs);
		for (i = 0; i < np; i++) {
			if (i == first) {
				for (c = 0; c < ncustom; c++) {
					obj->kids[w++] = custom[c].key;
					obj->kids[w++] = custom[c].val;
				}
			}
			if (jreserved(pairs[i].key, reserved)) {
				obj->kids[w++] = pairs[i].key;
				obj->kids[w++] = pairs[i].val;
			}
		}
	}
	regit_free(pairs);
	regit_free(custom);
	return 0;
}

static int jnormalize_schema(jnode *n, size_t depth);

static int jnormalize_field(jnode *f, size_t depth)
{
	static const char *const reserved[] = {
		"name", "type", "doc", "default", "order", "aliases", NULL
	};
	jnode *type;
	int error;

	if (f->kind != 'o')
		return 0;
	type = jget(f, "type");
	if (type) {
		error = jnormalize_schema(type, depth + 1);
		if (error < 0)
			return error;
	}
	return jnormalize_object(f, reserved);
}

static int jnormalize_schema(jnode *n, size_t depth)
{
	static const char *const record[] = {
		"type", "name", "namespace", "doc", "fields", "aliases", NULL
	};
	static const char *const enumr[] = {
		"type", "name", "namespace", "doc", "symbols", "default", "aliases", NULL
	};
	static const char *const fixed[] = {
		"type", "name", "namespace", "doc", "size", "aliases", NULL
	};
	static const char *const array[] = { "type", "items", NULL };
	static const char *const map[] = { "type", "values", NULL };
	static const char *const prim[] = { "type", NULL };
	const char *const *reserved = prim;
	jnode *type, *sub;
	size_t i;
	int error = 0;

	if (depth > 256)
		return REGIT_ELIMIT;
	if (n->kind == 'a') {
		for (i = 0; i < n->nkids && error == 0; i++)
			error = jnormalize_schema(n->kids[i], depth + 1);
		return error;
	}
	if (n->kind != 'o')
		return 0;
	type = jget(n, "type");
	if (!type)
		return 0;
	if (type->kind != 's')
		return jnormalize_schema(type, depth + 1);
	if (jkey_is(type, "record") || jkey_is(type, "error")) {
		reserved = record;
		sub = jget(n, "fields");
		if (sub && sub->kind == 'a')
			for (i = 0; i < sub->nkids && error == 0; i++)
				error = jnormalize_field(sub->kids[i], depth + 1);
	} else if (jkey_is(type, "enum")) {
		reserved = enumr;
	} else if (jkey_is(type, "fixed")) {
		reserved = fixed;
	} else if (jkey_is(type, "array")) {
		reserved = array;
		sub = jget(n, "items");
		if (sub)
			error = jnormalize_schema(sub, depth + 1);
	} else if (jkey_is(type, "map")) {
		reserved = map;
		sub = jget(n, "values");
		if (sub)
			error = jnormalize_schema(sub, depth + 1);
	}
	if (error < 0)
		return error;
	return jnormalize_object(n, reserved);
}

static int jemit(regit_buf *out, const jnode *n)
{
	size_t i;
	int error = 0;

	if (n->kind == 's' || n->kind == 'v')
		return regit_buf_put(out, n->raw, n->len);
	error = regit_buf_putc(out, n->kind == 'o' ? '{' : '[');
	for (i = 0; i < n->nkids && error == 0; i++) {
		if (i > 0)
			error = regit_buf_putc(out, (n->kind == 'o' && i % 2) ? ':' : ',');
		if (error == 0)
			error = jemit(out, n->kids[i]);
	}
	if (error == 0)
		error = regit_buf_putc(out, n->kind == 'o' ? '}' : ']');
	return error;
}

int reg_normalize(regit_buf *out, const char *json, size_t len)
{
	jparser jp = { json, len, 0, 0 };
	jnode *root = NULL;
	int error;

	error = jparse(&root, &jp);
	if (error == 0 && jp.pos != len)
		error = REGIT_EINVALID;
	if (error == 0)
		error = jnormalize_schema(root, 0);
	if (error == 0)
		error = jemit(out, root);
	if (error == REGIT_EINVALID)
		regit_error_set(REGIT_ERROR_INTERNAL, "cannot normalize schema text");
	jnode_free(root);
	return error;
}
