/*
 * compat.c - the compatibility checker: Avro schema resolution plus the
 * strict evolution rules, applied at Confluent's compatibility levels.
 *
 * Both checks walk pairs of types, (reader, writer) for resolution and
 * (new, old) for the strict rules, starting at the two roots. Every rule
 * is conjunctive: a pair is fine only if all of its local checks and all of
 * the pairs it leads to are fine. (The one disjunction in other checkers,
 * "some branch of the reader union can read this writer type", does not
 * exist here: following the specification, a non-union writer is resolved
 * against one reader branch, the one regit_resolve_branch() picks (the
 * writer's exact type, else the first matching branch of its kind, else
 * the first it promotes to), so the choice is made locally and never
 * undone.) A pair's verdict is therefore "no reachable
 * pair has a local failure", so each pair is visited once: a hash set of
 * visited pairs makes recursive types terminate and keeps the work linear
 * in the number of reachable pairs. Findings are recorded at the first
 * visit, with the JSON pointers of the path that led there.
 *
 * What the specification decides (do names match, which union branch,
 * which writer field, which enum symbol, promotions) is asked of
 * compat/resolve.c, which the code generator's evolution decoders use
 * too, so `regit check` and `regit gen --writer` cannot disagree. This
 * file walks the pairs and turns each negative answer into a finding.
 * The resolver's indexes keep lookups on hostile input linear, and its
 * step budget (charged by this walk as well) plus a recursion bound turn
 * pathological inputs into REGIT_ELIMIT.
 */
#include "compat/compat.h"
#include "compat/resolve.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hash.h"

/* Nested pairs deeper than this are refused (each level is a C stack frame). */
#define COMPAT_MAX_DEPTH 1000
#define COMPAT_DEFAULT_MAX_FINDINGS 1000
/* Paths and messages are short; bound them anyway. */
#define COMPAT_PATH_MAX ((size_t)1 << 20)
/* How many missing enum symbols a message lists by name. */
#define COMPAT_SYMBOLS_SHOWN 5

#define COMPAT_NKINDS (REGIT_TYPE_FIXED + 1)
#define COMPAT_NONE REGIT_RESOLVE_NONE

enum { MODE_RESOLVE = 0, MODE_STRICT = 1 };

/* Visited (a, b, mode) triples; open addressing, grows at load 1/2. */
typedef struct compat_pair {
	const void *a, *b;
	unsigned mode;
} compat_pair;

typedef struct compat_pairset {
	compat_pair *slots;
	size_t cap, count;
} compat_pairset;

static int pairset_grow(compat_pairset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64, i;
	compat_pair *nslots = regit_calloc(ncap, sizeof(*nslots));

	if (!nslots)
		return REGIT_ENOMEM;
	for (i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->slots[i].a)
			continue;
		j = (size_t)regit_hash_ptrs(s->slots[i].a, s->slots[i].b,
			s->slots[i].mode) & (ncap - 1);
		while (nslots[j].a)
			j = (j + 1) & (ncap - 1);
		nslots[j] = s->slots[i];
	}
	regit_free(s->slots);
	s->slots = nslots;
	s->cap = ncap;
	return 0;
}

/* @return 1 if the triple was present, 0 if it was added, REGIT_ENOMEM */
static int pairset_add(compat_pairset *s, const void *a, const void *b, unsigned mode)
{
	size_t i;
	int error;

	if (2 * (s->count + 1) > s->cap) {
		error = pairset_grow(s);
		if (error < 0)
			return error;
	}
	i = (size_t)regit_hash_ptrs(a, b, mode) & (s->cap - 1);
	while (s->slots[i].a) {
		if (s->slots[i].a == a && s->slots[i].b == b && s->slots[i].mode == mode)
			return 1;
		i = (i + 1) & (s->cap - 1);
	}
	s->slots[i].a = a;
	s->slots[i].b = b;
	s->slots[i].mode = mode;
	s->count++;
	return 0;
}

/* ---- the walk ----------------------------------------------------------- */

/*
 * A path under construction, kept as segments and rendered only when a
 * finding needs it: the walk pushes and pops segments for every field it
 * visits, and formatting strings there dominated the cost of big schemas.
 * Segments borrow their text from the schemas or from literals.
 */
typedef struct compat_seg {
	const char *text;   /* NULL: the segment is `index` */
	size_t index;
	char sep;           /* "where" trails: '.' before a field name, 0 for "[]" */
} compat_seg;

typedef struct compat_trail {
	compat_seg *v;
	size_t size, cap;
} compat_trail;

static int trail_push(compat_trail *t, const char *text, size_t index, char sep)
{
	compat_seg *grown;

	if (t->size == COMPAT_PATH_MAX) {
		regit_error_set(REGIT_ERROR_COMPAT, "schema paths are too long");
		return REGIT_ELIMIT;
	}
	grown = regit_array_grow(t->v, &t->cap, t->size + 1, sizeof(*grown), 64);
	if (!grown)
		return REGIT_ENOMEM;
	t->v = grown;
	t->v[t->size].text = text;
	t->v[t->size].index = index;
	t->v[t->size].sep = sep;
	t->size++;
	return 0;
}

/* Render as a JSON pointer ("/fields/3/type"), followed by `suffix`. */
static int trail_pointer(regit_buf *out, const compat_trail *t, const char *suffix)
{
	size_t i;
	int error = 0;

	regit_buf_clear(out);
	for (i = 0; i < t->size && error == 0; i++) {
		if (t->v[i].text)
			error = regit_buf_printf(out, "/%s", t->v[i].text);
		else
			error = regit_buf_printf(out, "/%zu", t->v[i].index);
	}
	if (error == 0)
		error = regit_buf_puts(out, suffix);
	if (error == 0 && !out->ptr)
		error = regit_buf_grow(out, 1);  /* "" must be a real string */
	return error;
}

/* Render as field names for people ("address.lines[]"). */
static int trail_where(regit_buf *out, const compat_trail *t)
{
	size_t i;
	int error = 0;

	regit_buf_clear(out);
	for (i = 0; i < t->size && error == 0; i++) {
		if (i && t->v[i].sep)
			error = regit_buf_putc(out, t->v[i].sep);
		if (error == 0)
			error = regit_buf_puts(out, t->v[i].text);
	}
	if (error == 0 && !out->ptr)
		error = regit_buf_grow(out, 1);
	return error;
}

typedef struct compat_ctx {
	regit_compat_result *out;
	size_t max_findings;
	size_t old_index;
	int reader_is_new;         /* resolution: the reader is the new schema */
	const char *reader_name;   /* "the new schema", "version 3", ... */
	const char *writer_name;
	const char *old_label;     /* how messages name the old schema */
	compat_trail rpath, wpath; /* resolution: reader / writer pointers;  */
	                           /* strict: rpath = new, wpath = old        */
	compat_trail where;        /* "address.zip": field names for messages */
	regit_buf rtext, wtext, htext; /* the trails rendered, for a finding */
	regit_buf msg;             /* scratch for the message being built */
	compat_pairset pairs;
	regit_resolver *rs;        /* resolution decisions, indexes, step budget */
	/* "old_index\x1fpath\x1fold_path" of strict findings, to drop Avro twins */
	char **keys;
	size_t nkeys, akeys;
	size_t depth;
} compat_ctx;

static const char *const compat_kind_names[COMPAT_NKINDS] = {
	"null", "boolean", "int", "long", "float", "double", "bytes", "string",
	"record", "enum", "array", "map", "union", "fixed"
};

static const char *compat_kind_name(regit_type_kind kind)
{
	return (unsigned)kind < COMPAT_NKINDS ? compat_kind_names[kind] : "unknown";
}

static int compat_is_named(const regit_type *t)
{
	return t->kind == REGIT_TYPE_RECORD || t->kind == REGIT_TYPE_ENUM ||
		t->kind == REGIT_TYPE_FIXED;
}

/* Pair visits + lookups per check, on the resolver's budget. */
static int compat_step(compat_ctx *ctx, size_t n)
{
	return regit_resolver_step(ctx->rs, n);
}

static void compat_truncate(compat_trail *t, size_t mark)
{
	t->size = mark;
}

static int path_seg(compat_trail *t, const char *seg)
{
	return trail_push(t, seg, 0, '/');
}

static int path_index(compat_trail *t, size_t i)
{
	return trail_push(t, NULL, i, '/');
}

/* "/fields/<i>" and, with `type`, "/type". */
static int path_field(compat_trail *t, size_t i, int type)
{
	int error = trail_push(t, "fields", 0, '/');

	if (error == 0)
		error = trail_push(t, NULL, i, '/');
	if (error == 0 && type)
		error = trail_push(t, "type", 0, '/');
	return error;
}

static int where_field(compat_trail *t, const char *name)
{
	return trail_push(t, name, 0, '.');
}

static int where_mark(compat_trail *t, const char *mark)
{
	return trail_push(t, mark, 0, 0);
}

/* ctx->htext = the field names of the current place, "" at the top. */
static int where_text(compat_ctx *ctx)
{
	return trail_where(&ctx->htext, &ctx->where);
}

/* "field `a.b`: " to start a message, nothing at the top level. */
static int msg_subject(compat_ctx *ctx)
{
	int error;

	if (!ctx->where.size)
		return 0;
	error = where_text(ctx);
	if (error == 0)
		error = regit_buf_printf(&ctx->msg, "field `%s`: ", ctx->htext.ptr);
	return error;
}

/* "int", "record `com.x.User`" */
static int msg_type(compat_ctx *ctx, const regit_type *t)
{
	if (compat_is_named(t) && t->fullname)
		return regit_buf_printf(&ctx->msg, "%s `%s`",
			compat_kind_name(t->kind), t->fullname);
	return regit_buf_puts(&ctx->msg, compat_kind_name(t->kind));
}

static int strict_key_add(compat_ctx *ctx, const char *path, const char *old_path, int *present);

/*
 * Record a finding built in ctx->msg. `path` / `old_path` are the pointers
 * in the new and old schema. Past the cap only the verdict changes.
 */
static int compat_add(compat_ctx *ctx, const char *rule, int strict,
	const char *path, const char *old_path)
{
	regit_compat_result *out = ctx->out;
	regit_finding *f, *grown;
	int error = 0, present = 0;

	out->compatible = 0;
	/* A strict finding says the same thing better than Avro's twin. */
	error = strict_key_add(ctx, path, old_path ? old_path : "", &present);
	if (error < 0)
		return error;
	if (!strict && present)
		return 0;
	if (out->nfindings >= ctx->max_findings) {
		out->nomitted++;
		return 0;
	}
	grown = regit_reallocarray(out->findings, out->nfindings + 1, sizeof(*grown));
	if (!grown)
		return REGIT_ENOMEM;
	out->findings = grown;
	f = &out->findings[out->nfindings];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->old_index = ctx->old_index;
	f->path = regit_strdup(path);
	f->old_path = old_path ? regit_strdup(old_path) : NULL;
	f->message = regit_strdup(regit_buf_cstr(&ctx->msg));
	out->nfindings++;
	if (!f->path || (old_path && !f->old_path) || !f->message)
		return REGIT_ENOMEM;
	return 0;
}

/*
 * Strict findings register their (path, old_path) so that resolution,
 * which runs after them for the same old version, can skip the identical
 * Avro finding (REQUIRED_FIELD_ADDED vs READER_FIELD_MISSING_DEFAULT_VALUE).
 * Keys are interned strings; the pair set compares them by pointer.
 */
static int strict_key_add(compat_ctx *ctx, const char *path, const char *old_path, int *present)
{
	regit_buf key = REGIT_BUF_INIT;
	size_t i;
	int error = 0;

	*present = 0;
	if (ctx->nkeys == 0)
		return 0;
	error = regit_buf_printf(&key, "%zu\x1f%s\x1f%s", ctx->old_index, path, old_path);
	if (error < 0)
		goto done;
	/* Linear over strict findings of this check: they are capped. */
	for (i = 0; i < ctx->nkeys; i++) {
		if (strcmp(ctx->keys[i], key.ptr) == 0) {
			*present = 1;
			goto done;
		}
	}
done:
	regit_buf_dispose(&key);
	return error;
}

static int strict_key_remember(compat_ctx *ctx, const char *path, const char *old_path)
{
	regit_buf key = REGIT_BUF_INIT;
	char **grown;
	int error = 0;

	if (ctx->nkeys >= ctx->max_findings)
		return 0;
	error = regit_buf_printf(&key, "%zu\x1f%s\x1f%s", ctx->old_index, path,
		old_path ? old_path : "");
	if (error < 0)
		goto done;
	grown = regit_array_grow(ctx->keys, &ctx->akeys, ctx->nkeys + 1, sizeof(*grown), 16);
	if (!grown) {
		error = REGIT_ENOMEM;
		goto done;
	}
	ctx->keys = grown;
	ctx->keys[ctx->nkeys] = regit_buf_detach(&key);
	if (!ctx->keys[ctx->nkeys]) {
		error = REGIT_ENOMEM;
		goto done;
	}
	ctx->nkeys++;
done:
	regit_buf_dispose(&key);
	return error;
}

/*
 * A resolution finding. The suffixes extend the current reader and writer
 * pointers; the new schema's pointer becomes `path`.
 */
static int resolve_add(compat_ctx *ctx, const char *rule,
	const char *rsuffix, const char *wsuffix)
{
	int error;

	error = trail_pointer(&ctx->rtext, &ctx->rpath, rsuffix);
	if (error == 0)
		error = trail_pointer(&ctx->wtext, &ctx->wpath, wsuffix);
	if (error < 0)
		return error;
	if (ctx->reader_is_new)
		return compat_add(ctx, rule, 0, ctx->rtext.ptr, ctx->wtext.ptr);
	return compat_add(ctx, rule, 0, ctx->wtext.ptr, ctx->rtext.ptr);
}

/*
 * Enter a pair: counts a step, bounds the depth, and tells whether the
 * pair was seen before. @return 1 seen, 0 new, negative error
 */
static int compat_enter(compat_ctx *ctx, const regit_type *a, const regit_type *b, unsigned mode)
{
	int error = compat_step(ctx, 1);

	if (error < 0)
		return error;
	if (ctx->depth >= COMPAT_MAX_DEPTH) {
		regit_error_set(REGIT_ERROR_COMPAT,
			"the schemas nest more than %d levels deep", COMPAT_MAX_DEPTH);
		return REGIT_ELIMIT;
	}
	/*
	 * Only named types are shared or recursive: unnamed nodes form trees
	 * below a named node (or the root), so any walk that meets a pair a
	 * second time passed through a named pair first. Remembering just the
	 * pairs with a named side terminates every walk, bounds the work the
	 * same way, and keeps the set small enough to stay in cache.
	 */
	if (!compat_is_named(a) && !compat_is_named(b))
		return 0;
	return pairset_add(&ctx->pairs, a, b, mode);
}

static int resolve(compat_ctx *ctx, const regit_type *r, const regit_type *w);

/* Reader sentence parts: "the new schema reads int but version 3 writes string". */
static int msg_sides(compat_ctx *ctx, const regit_type *r, const regit_type *w)
{
	int error;

	error = regit_buf_printf(&ctx->msg, "%s reads ", ctx->reader_name);
	if (error == 0)
		error = msg_type(ctx, r);
	if (error == 0)
		error = regit_buf_printf(&ctx->msg, " but %s writes ", ctx->writer_name);
	if (error == 0)
		error = msg_type(ctx, w);
	return error;
}

static int resolve_type_mismatch(compat_ctx *ctx, const regit_type *r, const regit_type *w)
{
	int error;

	regit_buf_clear(&ctx->msg);
	error = msg_subject(ctx);
	if (error == 0)
		error = msg_sides(ctx, r, w);
	if (error == 0)
		error = regit_buf_puts(&ctx->msg, ", which cannot be converted");
	if (error == 0)
		error = resolve_add(ctx, "TYPE_MISMATCH", "", "");
	return error;
}

static int resolve_name_mismatch(compat_ctx *ctx, const regit_type *r, const regit_type *w)
{
	int error;

	regit_buf_clear(&ctx->msg);
	error = msg_subject(ctx);
	if (error == 0)
		error = msg_sides(ctx, r, w);
	if (error == 0)
		error = regit_buf_puts(&ctx->msg,
			"; the names differ and no alias of the reader names the writer's type");
	if (error == 0)
		error = resolve_add(ctx, "NAME_MISMATCH", "/name", "/name");
	return error;
}

static int resolve_fixed(compat_ctx *ctx, const regit_type *r, const regit_type *w)
{
	int error;

	/* The names matched, so only the size can be why they do not. */
	if (regit_resolve_match(r, w))
		return 0;
	regit_buf_clear(&ctx->msg);
	error = msg_subject(ctx);
	if (error == 0)
		error = regit_buf_printf(&ctx->msg,
			"fixed `%s` is %zu bytes in %s but %zu bytes in %s",
			r->fullname ? r->fullname : "?", r->size, ctx->reader_name,
			w->size, ctx->writer_name);
	if (error == 0)
		error = resolve_add(ctx, "FIXED_SIZE_MISMATCH", "/size", "/size");
	return error;
}

static int resolve_enum(compat_ctx *ctx, const regit_type *r, const regit_type *w)
{
	size_t i, j, nmissing = 0;
	int error = 0;

	error = compat_step(ctx, w->nsymbols);
	if (error < 0)
		return error;
	regit_buf_clear(&ctx->msg);
	for (i = 0; i < w->nsymbols; i++) {
		error = regit_resolve_symbol(&j, ctx->rs, r, w->symbols[i]);
		if (error < 0)
			return error;
		if (j != COMPAT_NONE)
			continue;
		if (nmissing < COMPAT_SYMBOLS_SHOWN)
			error = regit_buf_printf(&ctx->msg, "%s`%s`",
				nmissing ? ", " : "", w->symbols[i]);
		if (error < 0)
			return error;
		nmissing++;
	}
	if (nmissing == 0)
		return 0;
	{
		char *list = regit_buf_detach(&ctx->msg);

		if (!list)
			return REGIT_ENOMEM;
		error = msg_subject(ctx);
		if (error == 0)
			error = regit_buf_printf(&ctx->msg,
				"enum `%s` in %s lacks symbol%s %s%s that %s writes, and has no default",
				r->fullname ? r->fullname : "?", ctx->reader_name,
				nmissing == 1 ? "" : "s", list,
				nmissing > COMPAT_SYMBOLS_SHOWN ? " (and more)" : "",
				ctx->writer_name);
		regit_free(list);
	}
	if (error == 0)
		error = resolve_add(ctx, "MISSING_ENUM_SYMBOLS", "/symbols", "/symbols");
	return error;
}

static int resolve_record(compat_ctx *ctx, const regit_type *r, const regit_type *w)
{
	size_t i, j, rmark = ctx->rpath.size, wmark = ctx->wpath.size;
	size_t hmark = ctx->where.size;
	int error = 0;

	for (i = 0; i < r->nfields; i++) {
		const regit_field *rf = &r->fields[i];
		regit_resolve_field_action action;

		error = regit_resolve_field(&action, &j, ctx->rs, w, rf, i);
		if (error < 0)
			goto done;
		if (action == REGIT_RESOLVE_FIELD_DEFAULT)
			continue;
		if (action == REGIT_RESOLVE_FIELD_MISSING) {
			error = where_field(&ctx->where, rf->name);
			if (error == 0)
				error = where_text(ctx);
			if (error < 0)
				goto done;
			regit_buf_clear(&ctx->msg);
			if (ctx->reader_is_new)
				error = regit_buf_printf(&ctx->msg,
					"field `%s` has no default, and data written with %s does not have it",
					ctx->htext.ptr, ctx->writer_name);
			else
				error = regit_buf_printf(&ctx->msg,
					"field `%s` has no default in %s, and %s no longer writes it",
					ctx->htext.ptr, ctx->reader_name, ctx->writer_name);
			if (error == 0)
				error = path_field(&ctx->rpath, i, 0);
			if (error == 0)
				error = resolve_add(ctx, "READER_FIELD_MISSING_DEFAULT_VALUE", "", "/fields");
			compat_truncate(&ctx->rpath, rmark);
			compat_truncate(&ctx->where, hmark);
			if (error < 0)
				goto done;
			continue;
		}
		error = path_field(&ctx->rpath, i, 1);
		if (error == 0)
			error = path_field(&ctx->wpath, j, 1);
		if (error == 0)
			error = where_field(&ctx->where,
				ctx->reader_is_new ? rf->name : w->fields[j].name);
		if (error == 0)
			error = resolve(ctx, rf->type, w->fields[j].type);
		compat_truncate(&ctx->rpath, rmark);
		compat_truncate(&ctx->wpath, wmark);
		compat_truncate(&ctx->where, hmark);
		if (error < 0)
			goto done;
	}
done:
	return error;
}

static int resolve_missing_branch(compat_ctx *ctx, const regit_type *w)
{
	int error;

	regit_buf_clear(&ctx->msg);
	error = msg_subject(ctx);
	if (error == 0)
		error = regit_buf_printf(&ctx->msg, "the union in %s has no branch for ",
			ctx->reader_name);
	if (error == 0)
		error = msg_type(ctx, w);
	if (error == 0)
		error = regit_buf_printf(&ctx->msg, ", which %s writes", ctx->writer_name);
	if (error == 0)
		error = resolve_add(ctx, "MISSING_UNION_BRANCH", "", "");
	return error;
}

/*
 * Resolve reader `r` against writer `w` (spec 1.11 "Schema Resolution"),
 * recording a finding for every failure reachable from this pair.
 */
static int resolve(compat_ctx *ctx, const regit_type *r, const regit_type *w)
{
	size_t i, j, rmark = ctx->rpath.size, wmark = ctx->wpath.size;
	size_t hmark = ctx->where.size;
	int error;

	error = compat_enter(ctx, r, w, MODE_RESOLVE);
	if (error != 0)
		return error < 0 ? error : 0;
	ctx->depth++;

	if (w->kind == REGIT_TYPE_UNION) {
		/* Every branch the writer may have written must be readable. */
		for (i = 0; i < w->nbranches; i++) {
			error = path_index(&ctx->wpath, i);
			if (error == 0)
				error = resolve(ctx, r, w->branches[i]);
			compat_truncate(&ctx->wpath, wmark);
			if (error < 0)
				goto done;
		}
		goto done;
	}
	if (r->kind == REGIT_TYPE_UNION) {
		error = regit_resolve_branch(&j, ctx->rs, r, w);
		if (error < 0)
			goto done;
		if (j == COMPAT_NONE) {
			error = resolve_missing_branch(ctx, w);
			goto done;
		}
		error = path_index(&ctx->rpath, j);
		if (error == 0)
			error = resolve(ctx, r->branches[j], w);
		goto done;
	}
	if (r->kind != w->kind) {
		if (!regit_resolve_promotes(w->kind, r->kind))
			error = resolve_type_mismatch(ctx, r, w);
		goto done;
	}
	switch (r->kind) {
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		error = path_seg(&ctx->rpath, r->kind == REGIT_TYPE_ARRAY ? "items" : "values");
		if (error == 0)
			error = path_seg(&ctx->wpath, r->kind == REGIT_TYPE_ARRAY ? "items" : "values");
		if (error == 0)
			error = where_mark(&ctx->where, r->kind == REGIT_TYPE_ARRAY ? "[]" : "{}");
		if (error == 0)
			error = resolve(ctx, r->items, w->items);
		break;
	case REGIT_TYPE_FIXED:
		if (!regit_resolve_names_match(r, w))
			error = resolve_name_mismatch(ctx, r, w);
		else
			error = resolve_fixed(ctx, r, w);
		break;
	case REGIT_TYPE_ENUM:
		if (!regit_resolve_names_match(r, w))
			error = resolve_name_mismatch(ctx, r, w);
		else
			error = resolve_enum(ctx, r, w);
		break;
	case REGIT_TYPE_RECORD:
		/* A renamed record is another type: its fields would only add noise. */
		if (!regit_resolve_names_match(r, w))
			error = resolve_name_mismatch(ctx, r, w);
		else
			error = resolve_record(ctx, r, w);
		break;
	default:
		break;  /* same primitive */
	}
done:
	compat_truncate(&ctx->rpath, rmark);
	compat_truncate(&ctx->wpath, wmark);
	compat_truncate(&ctx->where, hmark);
	ctx->depth--;
	return error;
}

/* ---- strict rules ------------------------------------------------------- */

static int strict_walk(compat_ctx *ctx, const regit_type *n, const regit_type *o);

static int strict_add(compat_ctx *ctx, const char *rule, const char *path, const char *old_path)
{
	int error = compat_add(ctx, rule, 1, path, old_path);

	if (error == 0)
		error = strict_key_remember(ctx, path, old_path);
	return error;
}

/* A strict finding at the current new (rpath) and old (wpath) places. */
static int strict_add_here(compat_ctx *ctx, const char *rule)
{
	int error;

	error = trail_pointer(&ctx->rtext, &ctx->rpath, "");
	if (error == 0)
		error = trail_pointer(&ctx->wtext, &ctx->wpath, "");
	if (error == 0)
		error = strict_add(ctx, rule, ctx->rtext.ptr, ctx->wtext.ptr);
	return error;
}

/*
 * A field of the new record that no old field corresponds to (by name or
 * alias) and that could be old field `i` renamed: the same type and the
 * same default (or none on both sides), at the same position or within
 * COMPAT_RENAME_WINDOW of it (a bounded search, so hostile records stay
 * linear). A different default says "another field", which keeps the
 * findings FIELD_REMOVED + an addition. `added` flags the new fields
 * without a counterpart; a field taken by a rename is cleared from it.
 */
#define COMPAT_RENAME_WINDOW 8

static int strict_could_be(const regit_field *nf, const regit_field *of)
{
	if (!regit_resolve_same_type(nf->type, of->type))
		return 0;
	if (!nf->default_value || !of->default_value)
		return !nf->default_value && !of->default_value;
	return json_equal((json_t *)nf->default_value, (json_t *)of->default_value);
}

static size_t strict_rename_candidate(const regit_type *n, const regit_field *of, size_t i,
	unsigned char *added)
{
	size_t d, k;

	for (d = 0; d <= COMPAT_RENAME_WINDOW; d++) {
		k = i + d;
		if (k < n->nfields && added[k] && strict_could_be(&n->fields[k], of))
			return k;
		if (d && d <= i) {
			k = i - d;
			if (k < n->nfields && added[k] && strict_could_be(&n->fields[k], of))
				return k;
		}
	}
	return COMPAT_NONE;
}

/* FIELD_RENAMED for old field `i` now new field `j` (paths: the two fields). */
static int strict_renamed(compat_ctx *ctx, const regit_type *n, size_t j,
	const regit_type *o, size_t i, int aliased)
{
	size_t nmark = ctx->rpath.size, omark = ctx->wpath.size, hmark = ctx->where.size;
	int error;

	error = where_field(&ctx->where, o->fields[i].name);
	if (error == 0)
		error = where_text(ctx);
	if (error == 0) {
		regit_buf_clear(&ctx->msg);
		if (aliased)
			error = regit_buf_printf(&ctx->msg,
				"field `%s` was renamed to `%s`; the alias keeps Avro readers working, "
				"but code, JSON and queries of consumers still on %s use the old name",
				ctx->htext.ptr, n->fields[j].name, ctx->old_label);
		else
			error = regit_buf_printf(&ctx->msg,
				"field `%s` was renamed to `%s` without an alias (or removed and `%s` "
				"added in its place); consumers still on %s read `%s`",
				ctx->htext.ptr, n->fields[j].name, n->fields[j].name, ctx->old_label,
				o->fields[i].name);
	}
	if (error == 0)
		error = path_field(&ctx->rpath, j, 0);
	if (error == 0)
		error = path_field(&ctx->wpath, i, 0);
	if (error == 0)
		error = strict_add_here(ctx, "FIELD_RENAMED");
	compat_truncate(&ctx->rpath, nmark);
	compat_truncate(&ctx->wpath, omark);
	compat_truncate(&ctx->where, hmark);
	return error;
}

static int strict_record(compat_ctx *ctx, const regit_type *n, const regit_type *o)
{
	size_t i, j, nmark = ctx->rpath.size, omark = ctx->wpath.size;
	size_t hmark = ctx->where.size;
	unsigned char *added = NULL;
	int error = 0;

	/* New fields without an old counterpart: added, or the new name of a rename. */
	added = regit_calloc(n->nfields + 1, 1);
	if (!added)
		return REGIT_ENOMEM;
	for (i = 0; i < n->nfields; i++) {
		error = regit_resolve_field_counterpart(&j, ctx->rs, o, &n->fields[i], i);
		if (error < 0)
			goto done;
		added[i] = j == COMPAT_NONE;
	}

	/* Fields of the old record: each must live on in the new one, under its name. */
	for (i = 0; i < o->nfields; i++) {
		const regit_field *of = &o->fields[i];

		error = regit_resolve_field_counterpart(&j, ctx->rs, n, of, i);
		if (error < 0)
			goto done;
		if (j == COMPAT_NONE) {
			j = strict_rename_candidate(n, of, i, added);
			if (j != COMPAT_NONE) {
				added[j] = 0;
				error = strict_renamed(ctx, n, j, o, i, 0);
				if (error < 0)
					goto done;
				continue;
			}
			error = where_field(&ctx->where, of->name);
			if (error == 0)
				error = where_text(ctx);
			if (error == 0) {
				regit_buf_clear(&ctx->msg);
				error = regit_buf_printf(&ctx->msg,
					"field `%s` was removed; consumers still on %s read it",
					ctx->htext.ptr, ctx->old_label);
			}
			if (error == 0)
				error = path_seg(&ctx->rpath, "fields");
			if (error == 0)
				error = path_field(&ctx->wpath, i, 0);
			if (error == 0)
				error = strict_add_here(ctx, "FIELD_REMOVED");
		} else {
			if (strcmp(n->fields[j].name, of->name) != 0)
				error = strict_renamed(ctx, n, j, o, i, 1);
			if (error == 0)
				error = path_field(&ctx->rpath, j, 1);
			if (error == 0)
				error = path_field(&ctx->wpath, i, 1);
			if (error == 0)
				error = where_field(&ctx->where, n->fields[j].name);
			if (error == 0)
				error = strict_walk(ctx, n->fields[j].type, of->type);
		}
		compat_truncate(&ctx->rpath, nmark);
		compat_truncate(&ctx->wpath, omark);
		compat_truncate(&ctx->where, hmark);
		if (error < 0)
			goto done;
	}
	/* Fields of the new record without a default must have existed before. */
	for (i = 0; i < n->nfields; i++) {
		const regit_field *nf = &n->fields[i];

		if (nf->default_value || !added[i])
			continue;
		error = where_field(&ctx->where, nf->name);
		if (error == 0)
			error = where_text(ctx);
		if (error == 0) {
			regit_buf_clear(&ctx->msg);
			error = regit_buf_printf(&ctx->msg,
				"field `%s` was added without a default; data written with %s has no value for it",
				ctx->htext.ptr, ctx->old_label);
		}
		if (error == 0)
			error = path_field(&ctx->rpath, i, 0);
		if (error == 0)
			error = path_seg(&ctx->wpath, "fields");
		if (error == 0)
			error = strict_add_here(ctx, "REQUIRED_FIELD_ADDED");
		compat_truncate(&ctx->rpath, nmark);
		compat_truncate(&ctx->wpath, omark);
		compat_truncate(&ctx->where, hmark);
		if (error < 0)
			goto done;
	}
done:
	regit_free(added);
	return error;
}

/*
 * Walk new `n` and old `o` where they describe the same data (records of
 * the same name, items, values, corresponding union branches) and apply
 * the strict rules to every record pair met. Type changes are left to
 * resolution. ctx->rpath tracks the new schema, ctx->wpath the old.
 */
static int strict_walk(compat_ctx *ctx, const regit_type *n, const regit_type *o)
{
	size_t i, j, nmark = ctx->rpath.size, omark = ctx->wpath.size;
	size_t hmark = ctx->where.size;
	int error;

	error = compat_enter(ctx, n, o, MODE_STRICT);
	if (error != 0)
		return error < 0 ? error : 0;
	ctx->depth++;

	if (o->kind == REGIT_TYPE_UNION) {
		for (i = 0; i < o->nbranches; i++) {
			error = path_index(&ctx->wpath, i);
			if (error == 0)
				error = strict_walk(ctx, n, o->branches[i]);
			compat_truncate(&ctx->wpath, omark);
			if (error < 0)
				goto done;
		}
		goto done;
	}
	if (n->kind == REGIT_TYPE_UNION) {
		error = regit_resolve_branch_counterpart(&j, ctx->rs, n, o);
		if (error < 0 || j == COMPAT_NONE)
			goto done;
		error = path_index(&ctx->rpath, j);
		if (error == 0)
			error = strict_walk(ctx, n->branches[j], o);
		goto done;
	}
	if (n->kind != o->kind)
		goto done;
	switch (n->kind) {
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		error = path_seg(&ctx->rpath, n->kind == REGIT_TYPE_ARRAY ? "items" : "values");
		if (error == 0)
			error = path_seg(&ctx->wpath, n->kind == REGIT_TYPE_ARRAY ? "items" : "values");
		if (error == 0)
			error = where_mark(&ctx->where, n->kind == REGIT_TYPE_ARRAY ? "[]" : "{}");
		if (error == 0)
			error = strict_walk(ctx, n->items, o->items);
		break;
	case REGIT_TYPE_RECORD:
		if (regit_resolve_names_match(n, o) || regit_resolve_names_match(o, n))
			error = strict_record(ctx, n, o);
		break;
	default:
		break;
	}
done:
	compat_truncate(&ctx->rpath, nmark);
	compat_truncate(&ctx->wpath, omark);
	compat_truncate(&ctx->where, hmark);
	ctx->depth--;
	return error;
}

/*
 * PARTITION_KEY_CHANGED: the top-level record's "regit.key" (the field the
 * code generator and producers partition by) must keep naming the same
 * field. A key that names the old key field's new name (the field lists
 * the old name as an alias) is the same key; adding a key where there was
 * none is fine. Events of one entity written before and after a change
 * land on different partitions, so consumers see them out of order.
 */
static const char *strict_key_of(const regit_type *t)
{
	const json_t *k;

	if (t->kind != REGIT_TYPE_RECORD || !t->props)
		return NULL;
	k = json_object_get(t->props, "regit.key");
	return json_is_string(k) ? json_string_value(k) : NULL;
}

static int strict_partition_key(compat_ctx *ctx, const regit_type *n, const regit_type *o)
{
	const char *ok = strict_key_of(o), *nk = strict_key_of(n);
	size_t i, j;
	int error;

	if (!ok || (nk && strcmp(ok, nk) == 0))
		return 0;
	if (nk && n->kind == REGIT_TYPE_RECORD) {
		for (i = 0; i < n->nfields; i++) {
			if (strcmp(n->fields[i].name, nk) != 0)
				continue;
			for (j = 0; j < n->fields[i].naliases; j++)
				if (strcmp(n->fields[i].aliases[j], ok) == 0)
					return 0;
		}
	}
	regit_buf_clear(&ctx->msg);
	if (nk)
		error = regit_buf_printf(&ctx->msg,
			"the partition key (\"regit.key\") changed from `%s` to `%s`; events of one "
			"entity written with %s and with the new schema land on different partitions "
			"and are consumed out of order", ok, nk, ctx->old_label);
	else
		error = regit_buf_printf(&ctx->msg,
			"the partition key (\"regit.key\": `%s` in %s) was dropped; producers no longer "
			"know which field to partition by, so events of one entity may be consumed "
			"out of order", ok, ctx->old_label);
	if (error < 0)
		return error;
	return strict_add(ctx, "PARTITION_KEY_CHANGED", nk ? "/regit.key" : "", "/regit.key");
}

/* ---- entry points ------------------------------------------------------- */

/* @return 0, REGIT_ENOMEM (ctx_dispose is safe either way) */
static int ctx_init(compat_ctx *ctx, regit_compat_result *out, size_t max_findings)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->out = out;
	ctx->max_findings = max_findings ? max_findings : COMPAT_DEFAULT_MAX_FINDINGS;
	regit_buf_init(&ctx->rtext, COMPAT_PATH_MAX);
	regit_buf_init(&ctx->wtext, COMPAT_PATH_MAX);
	regit_buf_init(&ctx->htext, COMPAT_PATH_MAX);
	regit_buf_init(&ctx->msg, COMPAT_PATH_MAX);
	return regit_resolver_new(&ctx->rs);
}

static void ctx_dispose(compat_ctx *ctx)
{
	size_t i;

	regit_free(ctx->rpath.v);
	regit_free(ctx->wpath.v);
	regit_free(ctx->where.v);
	regit_buf_dispose(&ctx->rtext);
	regit_buf_dispose(&ctx->wtext);
	regit_buf_dispose(&ctx->htext);
	regit_buf_dispose(&ctx->msg);
	regit_free(ctx->pairs.slots);
	regit_resolver_free(ctx->rs);
	for (i = 0; i < ctx->nkeys; i++)
		regit_free(ctx->keys[i]);
	regit_free(ctx->keys);
}

/* Start a walk at the two roots with fresh paths. */
static void ctx_reset_paths(compat_ctx *ctx)
{
	ctx->rpath.size = 0;
	ctx->wpath.size = 0;
	ctx->where.size = 0;
	ctx->depth = 0;
}

void regit_compat_result_dispose(regit_compat_result *result)
{
	size_t i;

	if (!result)
		return;
	for (i = 0; i < result->nfindings; i++) {
		regit_free(result->findings[i].path);
		regit_free(result->findings[i].old_path);
		regit_free(result->findings[i].message);
	}
	regit_free(result->findings);
	result->findings = NULL;
	result->nfindings = 0;
	result->nomitted = 0;
	result->compatible = 1;
}

int regit_compat_can_read(const regit_schema *reader, const regit_schema *writer,
	regit_compat_result *out)
{
	compat_ctx ctx;
	int error = 0;

	if (!out)
		return REGIT_ERROR;
	out->compatible = 1;
	out->findings = NULL;
	out->nfindings = 0;
	out->nomitted = 0;
	if (!reader || !writer) {
		regit_error_set(REGIT_ERROR_COMPAT, "no schema given");
		return REGIT_ERROR;
	}
	error = ctx_init(&ctx, out, 0);
	ctx.reader_is_new = 1;
	ctx.reader_name = "the reader schema";
	ctx.writer_name = "the writer schema";
	ctx.old_label = "the writer schema";
	if (error == 0)
		error = resolve(&ctx, regit_schema_root(reader), regit_schema_root(writer));
	ctx_dispose(&ctx);
	return error;
}

int regit_compat_check_ext(const regit_schema *next, const regit_schema *const *old,
	size_t nold, const regit_compat_options *opts, regit_compat_result *out)
{
	regit_compat_options defaults = REGIT_COMPAT_OPTIONS_INIT;
	compat_ctx ctx;
	size_t i, count = 0;
	int error = 0, backward = 0, forward = 0;
	char label[64];

	if (!out)
		return REGIT_ERROR;
	out->compatible = 1;
	out->findings = NULL;
	out->nfindings = 0;
	out->nomitted = 0;
	if (!opts)
		opts = &defaults;
	if (!next || (nold && !old)) {
		regit_error_set(REGIT_ERROR_COMPAT, "no schema given");
		return REGIT_ERROR;
	}
	switch (opts->level) {
	case REGIT_LEVEL_NONE:
		return 0;
	case REGIT_LEVEL_BACKWARD:
		backward = 1;
		count = 1;
		break;
	case REGIT_LEVEL_BACKWARD_TRANSITIVE:
		backward = 1;
		count = nold;
		break;
	case REGIT_LEVEL_FORWARD:
		forward = 1;
		count = 1;
		break;
	case REGIT_LEVEL_FORWARD_TRANSITIVE:
		forward = 1;
		count = nold;
		break;
	case REGIT_LEVEL_FULL:
		backward = forward = 1;
		count = 1;
		break;
	case REGIT_LEVEL_FULL_TRANSITIVE:
		backward = forward = 1;
		count = nold;
		break;
	default:
		regit_error_set(REGIT_ERROR_COMPAT, "unknown compatibility level %d",
			(int)opts->level);
		return REGIT_ERROR;
	}
	if (count > nold)
		count = nold;

	error = ctx_init(&ctx, out, opts->max_findings);
	for (i = 0; i < count && error == 0; i++) {
		const regit_type *nroot = regit_schema_root(next);
		const regit_type *oroot;

		if (!old[i]) {
			regit_error_set(REGIT_ERROR_COMPAT, "old schema %zu is missing", i);
			error = REGIT_ERROR;
			goto done;
		}
		oroot = regit_schema_root(old[i]);
		ctx.old_index = i;
		if (opts->old_labels && opts->old_labels[i]) {
			ctx.old_label = opts->old_labels[i];
		} else {
			if (i == 0)
				snprintf(label, sizeof(label), "the previous schema");
			else
				snprintf(label, sizeof(label), "old schema #%zu", i + 1);
			ctx.old_label = label;
		}
		if (opts->rules == REGIT_RULES_STRICT) {
			ctx_reset_paths(&ctx);
			ctx.reader_name = "the new schema";
			ctx.writer_name = ctx.old_label;
			error = strict_walk(&ctx, nroot, oroot);
			if (error == 0)
				error = strict_partition_key(&ctx, nroot, oroot);
			if (error < 0)
				goto done;
		}
		if (backward) {
			ctx_reset_paths(&ctx);
			ctx.reader_is_new = 1;
			ctx.reader_name = "the new schema";
			ctx.writer_name = ctx.old_label;
			error = resolve(&ctx, nroot, oroot);
			if (error < 0)
				goto done;
		}
		if (forward) {
			ctx_reset_paths(&ctx);
			ctx.reader_is_new = 0;
			ctx.reader_name = ctx.old_label;
			ctx.writer_name = "the new schema";
			error = resolve(&ctx, oroot, nroot);
			if (error < 0)
				goto done;
		}
	}
done:
	ctx_dispose(&ctx);
	return error;
}

int regit_compat_check(const regit_schema *next, const regit_schema *const *old,
	size_t nold, regit_compat_level level, regit_compat_rules rules,
	regit_compat_result *out)
{
	regit_compat_options opts = REGIT_COMPAT_OPTIONS_INIT;

	opts.level = level;
	opts.rules = rules;
	return regit_compat_check_ext(next, old, nold, &opts, out);
}

/* ---- level names -------------------------------------------------------- */

static const char *const compat_level_names[] = {
	"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
	"FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"
};

#define COMPAT_NLEVELS (sizeof(compat_level_names) / sizeof(compat_level_names[0]))

const char *regit_compat_level_name(regit_compat_level level)
{
	if ((unsigned)level >= COMPAT_NLEVELS)
		return "UNKNOWN";
	return compat_level_names[level];
}

int regit_compat_level_parse(const char *name, regit_compat_level *out)
{
	size_t i, len;

	if (!name || !out) {
		regit_error_set(REGIT_ERROR_COMPAT, "no compatibility level given");
		return REGIT_EINVALID;
	}
	while (isspace((unsigned char)*name))
		name++;
	len = strlen(name);
	while (len && isspace((unsigned char)name[len - 1]))
		len--;
	for (i = 0; i < COMPAT_NLEVELS; i++) {
		if (strlen(compat_level_names[i]) == len &&
		    strncasecmp(compat_level_names[i], name, len) == 0) {
			*out = (regit_compat_level)i;
			return 0;
		}
	}
	regit_error_set(REGIT_ERROR_COMPAT,
		"unknown compatibility level '%.*s' (expected NONE, BACKWARD, "
		"BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE)",
		(int)(len > 64 ? 64 : len), name);
	return REGIT_EINVALID;
}
