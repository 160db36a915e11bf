/*
 * parse.c - schemas with Confluent references, and the registry's
 * canonical (optionally normalized) schema text.
 *
 * A schema may use named types defined by other subject-versions
 * ({name, subject, version} references). The referenced schemas are parsed
 * first, depth-first, each once per call (a memo keyed by subject and
 * version), and handed to the parser as imports. The parser searches only
 * the imports it is given, not their imports, so each schema gets the
 * flattened set of everything it reaches. Chains are bounded in depth, the
 * total number of parsed references is bounded, and a cycle is an error.
 *
 * Normalization (?normalize=true, or "normalize" in the config) sorts
 * custom properties and aliases, as Confluent's AvroSchema.normalize()
 * does, so schemas differing only in that order share one identity. It is
 * done on the compact text with a tiny tree that keeps every scalar's raw
 * bytes, so numbers and escapes are exactly as the printer wrote them.
 */
#include "registry/registry_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema.h"
#include "util/alloc.h"
#include "util/error.h"

#define PARSE_MAX_DEPS 1000

typedef struct parse_dep {
	const char *subject;        /* borrowed from the referencing refs */
	int version;
	int state;                  /* 1 = in progress, 2 = done */
	reg_parsed *p;
} parse_dep;

typedef struct parse_ctx {
	const reg_resolver *r;
	size_t max_size;
	parse_dep *deps;            /* memo, in the order parsing started */
	size_t ndeps, cap;
	reg_parsed **order;         /* finished parses, in completion order */
	size_t norder;
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
	regit_free(p);
}

static int imports_add(const regit_schema ***arr, size_t *n, const regit_schema *s)
{
	const regit_schema **grown;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*arr)[i] == s)
			return 0;
	grown = regit_reallocarray(*arr, *n + 1, sizeof(**arr));
	if (!grown)
		return REGIT_ENOMEM;
	grown[(*n)++] = s;
	*arr = grown;
	return 0;
}

static int parse_one(reg_parsed **out, parse_ctx *ctx, const char *text, size_t len,
	const regit_reference *refs, size_t nrefs, size_t depth);

/* Parse (or find in the memo) the schema of one reference. */
static int parse_ref(reg_parsed **out, parse_ctx *ctx, const regit_reference *ref,
	size_t depth)
{
	const char *text = NULL;
	size_t len = 0, nrefs = 0, i, slot;
	const regit_reference *refs = NULL;
	reg_parsed *p = NULL;
	int error;

	*out = NULL;
	for (i = 0; i < ctx->ndeps; i++) {
		if (ctx->deps[i].version == ref->version &&
				strcmp(ctx->deps[i].subject, ref->subject) == 0) {
			if (ctx->deps[i].state != 2) {
				parse_fail(ctx->serr, "reference cycle through subject '%.200s' version %d",
					ref->subject, ref->version);
				return REGIT_EINVALID;
			}
			*out = ctx->deps[i].p;
			return 0;
		}
	}
	if (ctx->ndeps >= PARSE_MAX_DEPS) {
		parse_fail(ctx->serr, "more than %d references in all", PARSE_MAX_DEPS);
		return REGIT_EINVALID;
	}
	if (!ref->subject || ref->version < 1 ||
			ctx->r->lookup(&text, &len, &refs, &nrefs, ref->subject, ref->version,
				ctx->r->payload) != 0 || !text) {
		parse_fail(ctx->serr, "reference to subject '%.200s' version %d not found",
			ref->subject ? ref->subject : "", ref->version);
		return REGIT_EINVALID;
	}
	if (ctx->ndeps == ctx->cap) {
		size_t ncap = ctx->cap ? ctx->cap * 2 : 8;
		parse_dep *grown = regit_reallocarray(ctx->deps, ncap, sizeof(*grown));
		reg_parsed **order;

		if (!grown)
			return REGIT_ENOMEM;
		ctx->deps = grown;
		order = regit_reallocarray(ctx->order, ncap, sizeof(*order));
		if (!order)
			return REGIT_ENOMEM;
		ctx->order = order;
		ctx->cap = ncap;
	}
	slot = ctx->ndeps++;
	ctx->deps[slot].subject = ref->subject;
	ctx->deps[slot].version = ref->version;
	ctx->deps[slot].state = 1;
	ctx->deps[slot].p = NULL;
	error = parse_one(&p, ctx, text, len, refs, nrefs, depth + 1);
	if (error < 0) {
		/* Leave the slot in place (state 1): the caller unwinds everything. */
		return error;
	}
	/* deps[] never shrinks, so ctx->order has room for every slot. */
	ctx->order[ctx->norder++] = p;
	ctx->deps[slot].p = p;
	ctx->deps[slot].state = 2;
	*out = p;
	return 0;
}

static int parse_one(reg_parsed **out, parse_ctx *ctx, const char *text, size_t len,
	const regit_reference *refs, size_t nrefs, size_t depth)
{
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	reg_parsed *p = NULL;
	size_t i, j;
	int error = 0;

	*out = NULL;
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

		error = parse_ref(&dep, ctx, &refs[i], depth);
		if (error < 0)
			goto done;
		error = imports_add(&p->imports, &p->nimports, dep->schema);
		for (j = 0; j < dep->nimports && error == 0; j++)
			error = imports_add(&p->imports, &p->nimports, dep->imports[j]);
		if (error < 0)
			goto done;
	}
	opts.max_size = ctx->max_size;
	opts.imports = p->imports;
	opts.nimports = p->nimports;
	error = regit_schema_parse(&p->schema, text, len, &opts, ctx->serr);
	if (error < 0)
		goto done;
	*out = p;
	p = NULL;
done:
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
	int error;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.r = r;
	ctx.max_size = max_size;
	ctx.serr = serr;
	if (serr)
		memset(serr, 0, sizeof(*serr));
	error = parse_one(&p, &ctx, text, len, refs, nrefs, 0);
	if (error < 0)
		goto done;
	/* The top-level result owns every parsed reference. */
	p->deps = ctx.order;
	p->ndeps = ctx.norder;
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
	regit_free(ctx.deps);
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
