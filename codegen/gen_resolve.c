/*
 * gen_resolve.c - schema-evolution decoders and the frame dispatcher.
 *
 * For every writer schema the generator emits a decoder that reads data
 * written with that schema straight into the reader's C types, following
 * the Avro specification's schema resolution. Every decision the
 * specification makes (do names match, which union branch, which writer
 * field or default, which enum symbol, promotions) is asked of
 * compat/resolve.h, the module the compatibility checker uses too, so
 * `regit gen --writer` and `regit check` give the same answers. What this
 * file decides is only *when* a failure shows:
 *   - a writer enum symbol the reader cannot read (no such symbol, no
 *     default), or a writer union branch no reader branch matches, fails
 *     with REGIT_AVRO_ERESOLVE when the data holds it;
 *   - schema pairs that cannot match at all (a reader field without
 *     default missing from the writer, types that do not match) fail at
 *     generation time with REGIT_EINCOMPATIBLE, so a compiled decoder
 *     never meets them.
 *
 * NAME_decode_frame then picks the decoder by the frame's schema id.
 */
#include "codegen/gen_internal.h"

#include "compat/resolve.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

/* One (writer record, reader record) pair with its generated function. */
typedef struct rs_pair {
	const regit_type *w, *r;
	const char *fname;
	int emitted;
} rs_pair;

/* A writer record to skip. */
typedef struct rs_skip {
	const regit_type *w;
	const char *fname;
	int emitted;
} rs_skip;

typedef struct rs_ctx {
	gen_ctx *g;
	size_t wi;              /* which writer */
	rs_pair *pairs;
	size_t npairs, apairs;
	rs_skip *skips;
	size_t nskips, askips;
	regit_resolver *resolver; /* the resolution decisions (compat/resolve.h) */
	regit_buf fns;          /* function bodies */
	regit_buf protos;       /* their prototypes */
} rs_ctx;

static void rs_emit(rs_ctx *rs, regit_buf *b, const regit_type *w, const regit_type *r,
	gen_pos pos, const char *e, const char *present, int ind);
static void rs_skip_value(rs_ctx *rs, regit_buf *b, const regit_type *w, int ind);

/* Report a resolver failure (memory, step budget) as the generation's error. */
static void rs_check(rs_ctx *rs, int error)
{
	if (error < 0)
		regit_gen__fail(rs->g, error, "%s", regit_error_message());
}

/* The reader union branch for a (non-union) writer type, or -1. */
static long rs_pick_branch(rs_ctx *rs, const regit_type *w, const regit_type *ru)
{
	size_t k;
	int error = regit_resolve_branch(&k, rs->resolver, ru, w);

	rs_check(rs, error);
	return error < 0 || k == REGIT_RESOLVE_NONE ? -1 : (long)k;
}

static const char *rs_pair_fn(rs_ctx *rs, const regit_type *w, const regit_type *r)
{
	gen_ctx *g = rs->g;
	rs_pair *n;
	size_t i;

	for (i = 0; i < rs->npairs; i++) {
		if (rs->pairs[i].w == w && rs->pairs[i].r == r)
			return rs->pairs[i].fname;
	}
	n = regit_array_grow(rs->pairs, &rs->apairs, rs->npairs + 1, sizeof(*n), 16);
	if (!n) {
		regit_gen__fail(g, REGIT_ENOMEM, "out of memory");
		return "x";
	}
	rs->pairs = n;
	n = &rs->pairs[rs->npairs];
	n->w = w;
	n->r = r;
	n->emitted = 0;
	n->fname = GEN_STR(g, "%s__w%zu_%zu_%s", g->name, rs->wi, rs->npairs,
		regit_gen__named(g, r)->cname);
	rs->npairs++;
	return n->fname;
}

static const char *rs_skip_fn(rs_ctx *rs, const regit_type *w)
{
	gen_ctx *g = rs->g;
	rs_skip *n;
	size_t i;

	for (i = 0; i < rs->nskips; i++) {
		if (rs->skips[i].w == w)
			return rs->skips[i].fname;
	}
	n = regit_array_grow(rs->skips, &rs->askips, rs->nskips + 1, sizeof(*n), 16);
	if (!n) {
		regit_gen__fail(g, REGIT_ENOMEM, "out of memory");
		return "x";
	}
	rs->skips = n;
	n = &rs->skips[rs->nskips];
	n->w = w;
	n->emitted = 0;
	n->fname = GEN_STR(g, "%s__w%zu_skip%zu", g->name, rs->wi, rs->nskips);
	rs->nskips++;
	return n->fname;
}

/* ---------------------------------------------------------------------- */
/* Skipping writer-only data                                               */

static void rs_skip_value(rs_ctx *rs, regit_buf *b, const regit_type *w, int ind)
{
	gen_ctx *g = rs->g;
	unsigned v;
	size_t k;

	switch (w->kind) {
	case REGIT_TYPE_NULL:
		break;
	case REGIT_TYPE_BOOLEAN:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_skip(&p, end, 1));\n");
		break;
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
	case REGIT_TYPE_ENUM:
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "int64_t s__%u;\n\n", v);
		GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_long(&p, end, &s__%u));\n", v);
		GEN_OUT(g, b, ind, "}\n");
		break;
	case REGIT_TYPE_FLOAT:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_skip(&p, end, 4));\n");
		break;
	case REGIT_TYPE_DOUBLE:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_skip(&p, end, 8));\n");
		break;
	case REGIT_TYPE_STRING:
	case REGIT_TYPE_BYTES:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_skip_len(&p, end));\n");
		break;
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_skip(&p, end, %zu));\n", w->size);
		break;
	case REGIT_TYPE_RECORD:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(&p, end, depth + 1));\n", rs_skip_fn(rs, w));
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP: {
		size_t min = regit_gen__min_size(w->items) + (w->kind == REGIT_TYPE_MAP ? 1 : 0);

		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "uint64_t n__%u, t__%u = 0, i__%u;\n\n", v, v, v);
		GEN_OUT(g, b, ind + 1, "for (;;) {\n");
		GEN_OUT(g, b, ind + 2, "REGIT_AVRO_TRY(regit_avro_read_block(&p, end, %zu, t__%u, &n__%u));\n",
			min, v, v);
		GEN_OUT(g, b, ind + 2, "if (n__%u == 0)\n", v);
		GEN_OUT(g, b, ind + 3, "break;\n");
		GEN_OUT(g, b, ind + 2, "t__%u += n__%u;\n", v, v);
		if (min == 0) {
			/* Items that encode to nothing need no reading. */
			GEN_OUT(g, b, ind + 2, "(void)i__%u;\n", v);
		} else {
			GEN_OUT(g, b, ind + 2, "for (i__%u = 0; i__%u < n__%u; i__%u++) {\n", v, v, v, v);
			if (w->kind == REGIT_TYPE_MAP)
				GEN_OUT(g, b, ind + 3, "REGIT_AVRO_TRY(regit_avro_skip_len(&p, end));\n");
			rs_skip_value(rs, b, w->items, ind + 3);
			GEN_OUT(g, b, ind + 2, "}\n");
		}
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
	case REGIT_TYPE_UNION:
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "int64_t u__%u;\n\n", v);
		GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_long(&p, end, &u__%u));\n", v);
		GEN_OUT(g, b, ind + 1, "switch (u__%u) {\n", v);
		for (k = 0; k < w->nbranches; k++) {
			GEN_OUT(g, b, ind + 1, "case %zu:\n", k);
			rs_skip_value(rs, b, w->branches[k], ind + 2);
			GEN_OUT(g, b, ind + 2, "break;\n");
		}
		GEN_OUT(g, b, ind + 1, "default:\n");
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* Resolving decoders                                                      */

static void rs_incompatible(rs_ctx *rs, const regit_type *w, const regit_type *r, const char *e)
{
	regit_gen__fail(rs->g, REGIT_EINCOMPATIBLE,
		"writer %s cannot be read as reader %s (at %s)",
		w->fullname ? w->fullname : regit_type_kind_name(w->kind),
		r->fullname ? r->fullname : regit_type_kind_name(r->kind), e);
}

/* Read a writer value of type w into a reader value that is not a union. */
static void rs_emit_plain(rs_ctx *rs, regit_buf *b, const regit_type *w, const regit_type *r,
	gen_pos pos, const char *e, int ind)
{
	gen_ctx *g = rs->g;
	unsigned v;
	size_t i, k;

	if (!regit_resolve_match(r, w)) {
		rs_incompatible(rs, w, r, e);
		return;
	}
	if (w->kind != r->kind) {
		/* Promotions. */
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		switch (w->kind) {
		case REGIT_TYPE_INT:
			GEN_OUT(g, b, ind + 1, "int32_t x__%u;\n\n", v);
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_int(&p, end, &x__%u));\n", v);
			GEN_OUT(g, b, ind + 1, "%s = (%s)x__%u;\n", e,
				r->kind == REGIT_TYPE_LONG ? "int64_t" : r->kind == REGIT_TYPE_FLOAT ? "float" : "double", v);
			break;
		case REGIT_TYPE_LONG:
			GEN_OUT(g, b, ind + 1, "int64_t x__%u;\n\n", v);
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_long(&p, end, &x__%u));\n", v);
			GEN_OUT(g, b, ind + 1, "%s = (%s)x__%u;\n", e,
				r->kind == REGIT_TYPE_FLOAT ? "float" : "double", v);
			break;
		case REGIT_TYPE_FLOAT:
			GEN_OUT(g, b, ind + 1, "float x__%u;\n\n", v);
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_float(&p, end, &x__%u));\n", v);
			GEN_OUT(g, b, ind + 1, "%s = (double)x__%u;\n", e, v);
			break;
		case REGIT_TYPE_STRING:
			GEN_OUT(g, b, ind + 1, "regit_avro_str x__%u;\n\n", v);
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_str(&p, end, &x__%u));\n", v);
			GEN_OUT(g, b, ind + 1, "%s.ptr = (const uint8_t *)x__%u.ptr;\n", e, v);
			GEN_OUT(g, b, ind + 1, "%s.len = x__%u.len;\n", e, v);
			break;
		default: /* bytes -> string */
			GEN_OUT(g, b, ind + 1, "regit_avro_bytes x__%u;\n\n", v);
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_bytes(&p, end, &x__%u));\n", v);
			GEN_OUT(g, b, ind + 1, "%s.ptr = (const char *)x__%u.ptr;\n", e, v);
			GEN_OUT(g, b, ind + 1, "%s.len = x__%u.len;\n", e, v);
			break;
		}
		GEN_OUT(g, b, ind, "}\n");
		return;
	}
	switch (w->kind) {
	case REGIT_TYPE_ENUM: {
		const char *rc = regit_gen__named(g, r)->cname;
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "int32_t x__%u;\n\n", v);
		GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_int(&p, end, &x__%u));\n", v);
		GEN_OUT(g, b, ind + 1, "switch (x__%u) {\n", v);
		for (i = 0; i < w->nsymbols && !g->error; i++) {
			int error = regit_resolve_symbol(&k, rs->resolver, r, w->symbols[i]);

			if (error < 0) {
				rs_check(rs, error);
				break;
			}
			if (k == REGIT_RESOLVE_NONE)
				GEN_OUT(g, b, ind + 1, "case %zu: return REGIT_AVRO_ERESOLVE;\n", i);
			else
				GEN_OUT(g, b, ind + 1, "case %zu: %s = (%s)%zu; break;\n", i, e, rc, k);
		}
		GEN_OUT(g, b, ind + 1, "default: return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		return;
	}
	case REGIT_TYPE_RECORD: {
		const char *f = rs_pair_fn(rs, w, r);

		regit_gen__emit_read_record(g, b, r, pos, e, f, "&p, end, ", ind);
		return;
	}
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP: {
		int isarr = w->kind == REGIT_TYPE_ARRAY;
		int nullitems = isarr && r->items->kind == REGIT_TYPE_NULL;
		const char *items = isarr ? "items" : "entries";
		size_t min = regit_gen__min_size(w->items) + (isarr ? 0 : 1);

		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "uint64_t n__%u;\n", v);
		GEN_OUT(g, b, ind + 1, "size_t c__%u = 0, i__%u;\n\n", v, v);
		GEN_OUT(g, b, ind + 1, "(void)c__%u;\n", v);
		if (!nullitems)
			GEN_OUT(g, b, ind + 1, "%s.%s = NULL;\n", e, items);
		GEN_OUT(g, b, ind + 1, "%s.count = 0;\n", e);
		GEN_OUT(g, b, ind + 1, "for (;;) {\n");
		GEN_OUT(g, b, ind + 2, "REGIT_AVRO_TRY(regit_avro_read_block(&p, end, %zu, %s.count, &n__%u));\n",
			min, e, v);
		GEN_OUT(g, b, ind + 2, "if (n__%u == 0)\n", v);
		GEN_OUT(g, b, ind + 3, "break;\n");
		if (!nullitems) {
			GEN_OUT(g, b, ind + 2, "{\n");
			GEN_OUT(g, b, ind + 3, "void *g__%u = %s.%s;\n\n", v, e, items);
			GEN_OUT(g, b, ind + 3,
				"REGIT_AVRO_TRY(regit_avro_grow(arena, &g__%u, &c__%u, %s.count, n__%u, sizeof(*%s.%s)));\n",
				v, v, e, v, e, items);
			GEN_OUT(g, b, ind + 3, "%s.%s = g__%u;\n", e, items, v);
			GEN_OUT(g, b, ind + 2, "}\n");
		}
		GEN_OUT(g, b, ind + 2, "for (i__%u = %s.count; i__%u < %s.count + (size_t)n__%u; i__%u++) {\n",
			v, e, v, e, v, v);
		if (isarr) {
			if (nullitems)
				rs_skip_value(rs, b, w->items, ind + 3);
			else
				rs_emit(rs, b, w->items, r->items, GEN_POS_ITEM,
					GEN_STR(g, "%s.items[i__%u]", e, v), NULL, ind + 3);
		} else {
			GEN_OUT(g, b, ind + 3, "REGIT_AVRO_TRY(regit_avro_read_str(&p, end, &%s.entries[i__%u].key));\n",
				e, v);
			if (r->items->kind == REGIT_TYPE_NULL)
				rs_skip_value(rs, b, w->items, ind + 3);
			else
				rs_emit(rs, b, w->items, r->items, GEN_POS_MAPVAL,
					GEN_STR(g, "%s.entries[i__%u].value", e, v), NULL, ind + 3);
		}
		GEN_OUT(g, b, ind + 2, "}\n");
		GEN_OUT(g, b, ind + 2, "%s.count += (size_t)n__%u;\n", e, v);
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		return;
	}
	default:
		/* Same primitive kind, or fixed of the same name and size. */
		regit_gen__emit_dec(g, b, r, pos, e, NULL, ind);
		return;
	}
}

/* Set reader union (or optional) branch k, then read writer type w into it. */
static void rs_into_branch(rs_ctx *rs, regit_buf *b, const regit_type *w, const regit_type *ru,
	size_t k, const char *e, const char *present, int ind)
{
	gen_ctx *g = rs->g;
	size_t vb, nb;

	if (regit_gen__is_optional(ru, &vb, &nb)) {
		const char *pr = present ? present : GEN_STR(g, "%s.present", e);
		const char *val = present ? e : GEN_STR(g, "%s.value", e);

		if (k == nb) {
			GEN_OUT(g, b, ind, "%s = false;\n", pr);
			GEN_OUT(g, b, ind, "memset(&%s, 0, sizeof(%s));\n", val, val);
			rs_skip_value(rs, b, w, ind);
		} else {
			GEN_OUT(g, b, ind, "%s = true;\n", pr);
			rs_emit_plain(rs, b, w, ru->branches[vb], GEN_POS_OPTVAL, val, ind);
		}
		return;
	}
	GEN_OUT(g, b, ind, "%s.tag = %zu;\n", e, k);
	if (ru->branches[k]->kind == REGIT_TYPE_NULL)
		rs_skip_value(rs, b, w, ind);
	else
		rs_emit_plain(rs, b, w, ru->branches[k], GEN_POS_BRANCH,
			GEN_STR(g, "%s.%s", e, regit_gen__branch_member(g, ru, k)), ind);
}

static void rs_emit(rs_ctx *rs, regit_buf *b, const regit_type *w, const regit_type *r,
	gen_pos pos, const char *e, const char *present, int ind)
{
	gen_ctx *g = rs->g;
	unsigned v;
	size_t k;
	long pick;

	if (g->error)
		return;
	if (w->kind == REGIT_TYPE_UNION) {
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "int64_t u__%u;\n\n", v);
		GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_long(&p, end, &u__%u));\n", v);
		GEN_OUT(g, b, ind + 1, "switch (u__%u) {\n", v);
		for (k = 0; k < w->nbranches; k++) {
			const regit_type *wb = w->branches[k];

			GEN_OUT(g, b, ind + 1, "case %zu:\n", k);
			if (r->kind == REGIT_TYPE_UNION) {
				pick = rs_pick_branch(rs, wb, r);
				if (pick < 0)
					GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_ERESOLVE;\n");
				else
					rs_into_branch(rs, b, wb, r, (size_t)pick, e, present, ind + 2);
			} else if (regit_resolve_match(r, wb)) {
				rs_emit_plain(rs, b, wb, r, pos, e, ind + 2);
			} else {
				GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_ERESOLVE;\n");
			}
			GEN_OUT(g, b, ind + 2, "break;\n");
		}
		GEN_OUT(g, b, ind + 1, "default:\n");
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		return;
	}
	if (r->kind == REGIT_TYPE_UNION) {
		pick = rs_pick_branch(rs, w, r);
		if (pick < 0) {
			rs_incompatible(rs, w, r, e);
			return;
		}
		rs_into_branch(rs, b, w, r, (size_t)pick, e, present, ind);
		return;
	}
	rs_emit_plain(rs, b, w, r, pos, e, ind);
}

static void rs_emit_pair(rs_ctx *rs, rs_pair *pr)
{
	gen_ctx *g = rs->g;
	const regit_type *w = pr->w, *r = pr->r;
	const gen_named *rn = regit_gen__named(g, r);
	regit_buf *b = &rs->fns;
	long *map = NULL;       /* writer field -> reader field, or -1 */
	regit_resolve_field_action *actions = NULL;  /* per reader field */
	size_t i, j, wi;

	map = regit_calloc(w->nfields + 1, sizeof(*map));
	actions = regit_calloc(r->nfields + 1, sizeof(*actions));
	if (!map || !actions) {
		regit_gen__fail(g, REGIT_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < w->nfields; i++)
		map[i] = -1;
	for (j = 0; j < r->nfields && !g->error; j++) {
		int error = regit_resolve_field(&actions[j], &wi, rs->resolver, w, &r->fields[j], j);

		if (error < 0) {
			rs_check(rs, error);
			goto done;
		}
		if (actions[j] != REGIT_RESOLVE_FIELD_READ)
			continue;
		/*
		 * Two reader fields reading one writer field (a name and another
		 * field's alias): the bytes are read once, into the first; the
		 * other is filled like a field the writer lacks.
		 */
		if (map[wi] < 0)
			map[wi] = (long)j;
		else
			actions[j] = r->fields[j].default_value ? REGIT_RESOLVE_FIELD_DEFAULT :
				REGIT_RESOLVE_FIELD_MISSING;
	}
	GEN_OUT(g, &rs->protos, 0, "static int %s(const uint8_t **pp, const uint8_t *end, %s *out, regit_avro_arena *arena, unsigned depth);\n",
		pr->fname, rn->cname);
	GEN_OUT(g, b, 0, "/* writer %s -> reader %s */\n", w->fullname, r->fullname);
	GEN_OUT(g, b, 0, "static int %s(const uint8_t **pp, const uint8_t *end, %s *out, regit_avro_arena *arena, unsigned depth)\n{\n",
		pr->fname, rn->cname);
	GEN_OUT(g, b, 1, "const uint8_t *p = *pp;\n\n");
	GEN_OUT(g, b, 1, "(void)out;\n\t(void)end;\n\t(void)arena;\n");
	GEN_OUT(g, b, 1, "if (depth > REGIT_AVRO_MAX_DEPTH)\n\t\treturn REGIT_AVRO_ELIMIT;\n");
	/* Writer fields in writer order: they are what the bytes contain. */
	for (i = 0; i < w->nfields && !g->error; i++) {
		const regit_type *wt = w->fields[i].type;

		if (map[i] < 0) {
			GEN_OUT(g, b, 1, "/* writer-only field %s */\n", w->fields[i].name);
			rs_skip_value(rs, b, wt, 1);
			continue;
		}
		j = (size_t)map[i];
		rs_emit(rs, b, wt, r->fields[j].type, GEN_POS_FIELD,
			GEN_STR(g, "out->%s", rn->members[j]),
			rn->has_members[j] ? GEN_STR(g, "out->%s", rn->has_members[j]) : NULL, 1);
	}
	/* Reader fields the writer lacks: defaults. */
	for (j = 0; j < r->nfields && !g->error; j++) {
		if (actions[j] == REGIT_RESOLVE_FIELD_READ)
			continue;
		if (actions[j] == REGIT_RESOLVE_FIELD_MISSING) {
			regit_gen__fail(g, REGIT_EINCOMPATIBLE,
				"reader field %s.%s has no default and writer %s lacks it",
				r->fullname, r->fields[j].name, w->fullname);
			break;
		}
		GEN_OUT(g, b, 1, "/* reader-only field %s: its default */\n", r->fields[j].name);
		regit_gen__emit_default(g, b, r->fields[j].type, GEN_POS_FIELD,
			GEN_STR(g, "out->%s", rn->members[j]),
			rn->has_members[j] ? GEN_STR(g, "out->%s", rn->has_members[j]) : NULL,
			r->fields[j].default_value, 1);
	}
	GEN_OUT(g, b, 1, "*pp = p;\n\treturn 0;\n}\n\n");
done:
	regit_free(map);
	regit_free(actions);
}

static void rs_emit_skip_fn(rs_ctx *rs, rs_skip *sk)
{
	gen_ctx *g = rs->g;
	regit_buf *b = &rs->fns;
	size_t i;

	GEN_OUT(g, &rs->protos, 0, "static int %s(const uint8_t **pp, const uint8_t *end, unsigned depth);\n",
		sk->fname);
	GEN_OUT(g, b, 0, "/* skip writer record %s */\n", sk->w->fullname);
	GEN_OUT(g, b, 0, "static int %s(const uint8_t **pp, const uint8_t *end, unsigned depth)\n{\n",
		sk->fname);
	GEN_OUT(g, b, 1, "const uint8_t *p = *pp;\n\n\t(void)end;\n");
	GEN_OUT(g, b, 1, "if (depth > REGIT_AVRO_MAX_DEPTH)\n\t\treturn REGIT_AVRO_ELIMIT;\n");
	for (i = 0; i < sk->w->nfields; i++)
		rs_skip_value(rs, b, sk->w->fields[i].type, 1);
	GEN_OUT(g, b, 1, "*pp = p;\n\treturn 0;\n}\n\n");
}

/* The decoder for writer wi: a top-level function reading into NAME. */
static void rs_emit_writer(gen_ctx *g, size_t wi)
{
	const regit_gen_writer *wr = &g->opts->writers[wi];
	const regit_type *w = regit_schema_root(wr->schema);
	rs_ctx rs;
	regit_buf top = REGIT_BUF_INIT;
	size_t i;
	int more;

	memset(&rs, 0, sizeof(rs));
	rs.g = g;
	rs.wi = wi;
	regit_buf_init(&rs.fns, 0);
	regit_buf_init(&rs.protos, 0);
	if (regit_resolver_new(&rs.resolver) < 0)
		regit_gen__fail(g, REGIT_ENOMEM, "out of memory");

	GEN_OUT(g, &top, 0, "/* Decoder for writer schema id %lu%s%s. */\n",
		(unsigned long)wr->id, wr->label ? ": " : "",
		wr->label ? regit_gen__comment_text(g, wr->label) : "");
	GEN_OUT(g, &top, 0, "static int %s__w%zu_root(const uint8_t **pp, const uint8_t *end, %s *out, regit_avro_arena *arena)\n{\n",
		g->name, wi, g->name);
	GEN_OUT(g, &top, 1, "const uint8_t *p = *pp;\n\tunsigned depth = 0;\n\n");
	GEN_OUT(g, &top, 1, "(void)out;\n\t(void)end;\n\t(void)arena;\n\t(void)depth;\n");
	rs_emit(&rs, &top, w, g->root, GEN_POS_ROOT, "(*out)", NULL, 1);
	GEN_OUT(g, &top, 1, "*pp = p;\n\treturn 0;\n}\n\n");

	/* Emitting a function may request more; loop until none is new. */
	do {
		more = 0;
		for (i = 0; i < rs.npairs && !g->error; i++) {
			if (!rs.pairs[i].emitted) {
				rs.pairs[i].emitted = 1;
				rs_emit_pair(&rs, &rs.pairs[i]);
				more = 1;
			}
		}
		for (i = 0; i < rs.nskips && !g->error; i++) {
			if (!rs.skips[i].emitted) {
				rs.skips[i].emitted = 1;
				rs_emit_skip_fn(&rs, &rs.skips[i]);
				more = 1;
			}
		}
	} while (more && !g->error);

	if (rs.protos.size)
		GEN_OUT(g, g->c, 0, "%s\n", rs.protos.ptr);
	if (rs.fns.size)
		GEN_OUT(g, g->c, 0, "%s", rs.fns.ptr);
	if (top.size)
		GEN_OUT(g, g->c, 0, "%s", top.ptr);
	/*
	 * With many writers (e.g. every version of a registry subject) the
	 * message must say which one cannot be read; the first failure is this
	 * writer's, since writers are emitted in order and errors are sticky.
	 */
	if (g->error == REGIT_EINCOMPATIBLE) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", regit_error_message());
		regit_error_set(REGIT_ERROR_CODEGEN, "writer schema id %lu%s%s%s: %s",
			(unsigned long)wr->id, wr->label ? " (" : "",
			wr->label ? wr->label : "", wr->label ? ")" : "", msg);
	}
	regit_buf_dispose(&top);
	regit_buf_dispose(&rs.fns);
	regit_buf_dispose(&rs.protos);
	regit_free(rs.pairs);
	regit_free(rs.skips);
	regit_resolver_free(rs.resolver);
}

void regit_gen__emit_resolvers(gen_ctx *g)
{
	const regit_gen_options *o = g->opts;
	const char *N = g->name;
	size_t i, j;
	int ids = o->has_id || o->nwriters > 0;

	for (i = 0; i < o->nwriters; i++) {
		if (o->has_id && o->writers[i].id == o->id)
			regit_gen__fail(g, REGIT_EINVALID, "writer id %lu is the reader's own id",
				(unsigned long)o->id);
		for (j = 0; j < i; j++) {
			if (o->writers[j].id == o->writers[i].id)
				regit_gen__fail(g, REGIT_EINVALID, "writer id %lu given twice",
					(unsigned long)o->writers[i].id);
		}
	}
	for (i = 0; i < o->nwriters && !g->error; i++)
		rs_emit_writer(g, i);

	if (o->nwriters) {
		GEN_OUT(g, g->h, 0,
			"/**\n * Decode data written with the schema whose registry id is writer_id\n"
			" * into the reader's struct (schema evolution; see NAME_decode).\n"
			" * @return as NAME_decode, plus REGIT_AVRO_EUNKNOWN_SCHEMA for an id\n"
			" *         without a decoder and REGIT_AVRO_ERESOLVE for writer data the\n"
			" *         reader cannot represent\n */\n"
			"int %s_decode_writer(%s *out, uint32_t writer_id, const uint8_t *buf, size_t len, size_t *consumed, regit_avro_arena *arena);\n\n",
			N, N);
		GEN_OUT(g, g->c, 0, "int %s_decode_writer(%s *out, uint32_t writer_id, const uint8_t *buf, size_t len, size_t *consumed, regit_avro_arena *arena)\n{\n",
			N, N);
		GEN_OUT(g, g->c, 1, "static const uint8_t empty[1] = { 0 };\n\tconst uint8_t *p, *end;\n\tint rc;\n\n");
		GEN_OUT(g, g->c, 1, "if (!buf) {\n\t\tbuf = empty;\n\t\tlen = 0;\n\t}\n");
		GEN_OUT(g, g->c, 1, "p = buf;\n\tend = buf + len;\n");
		GEN_OUT(g, g->c, 1, "switch (writer_id) {\n");
		if (o->has_id)
			GEN_OUT(g, g->c, 1, "case %luu:\n\t\treturn %s_decode(out, buf, len, consumed, arena);\n",
				(unsigned long)o->id, N);
		for (i = 0; i < o->nwriters; i++)
			GEN_OUT(g, g->c, 1, "case %luu:\n\t\trc = %s__w%zu_root(&p, end, out, arena);\n\t\tbreak;\n",
				(unsigned long)o->writers[i].id, N, i);
		GEN_OUT(g, g->c, 1, "default:\n\t\treturn REGIT_AVRO_EUNKNOWN_SCHEMA;\n\t}\n");
		GEN_OUT(g, g->c, 1, "if (consumed)\n\t\t*consumed = rc == 0 ? (size_t)(p - buf) : 0;\n");
		GEN_OUT(g, g->c, 1, "return rc;\n}\n\n");
	}

	GEN_OUT(g, g->h, 0,
		"/**\n * Decode a whole Confluent frame (magic 0, schema id, payload).%s\n"
		" * @param schema_id  receives the frame's id (may be NULL)\n"
		" * @return as NAME_decode, plus REGIT_AVRO_EFRAME (no frame, or bytes\n"
		" *         after the value)%s\n */\n"
		"int %s_decode_frame(%s *out, const uint8_t *buf, size_t len, uint32_t *schema_id, regit_avro_arena *arena);\n\n",
		ids ? "\n * The id selects the decoder: the reader's own id or a writer's." :
		"\n * The id is not checked (no registry ids were given to regit gen).",
		ids ? ", REGIT_AVRO_EUNKNOWN_SCHEMA" : "", N, N);
	GEN_OUT(g, g->c, 0, "int %s_decode_frame(%s *out, const uint8_t *buf, size_t len, uint32_t *schema_id, regit_avro_arena *arena)\n{\n",
		N, N);
	GEN_OUT(g, g->c, 1, "const uint8_t *payload;\n\tsize_t plen, used = 0;\n\tuint32_t id;\n\tint rc;\n\n");
	GEN_OUT(g, g->c, 1, "rc = regit_avro_frame_parse(buf, len, &id, &payload, &plen);\n");
	GEN_OUT(g, g->c, 1, "if (rc != 0)\n\t\treturn rc;\n");
	GEN_OUT(g, g->c, 1, "if (schema_id)\n\t\t*schema_id = id;\n");
	if (o->nwriters)
		GEN_OUT(g, g->c, 1, "rc = %s_decode_writer(out, id, payload, plen, &used, arena);\n", N);
	else if (o->has_id)
		GEN_OUT(g, g->c, 1, "if (id != %luu)\n\t\treturn REGIT_AVRO_EUNKNOWN_SCHEMA;\n"
			"\trc = %s_decode(out, payload, plen, &used, arena);\n", (unsigned long)o->id, N);
	else
		GEN_OUT(g, g->c, 1, "rc = %s_decode(out, payload, plen, &used, arena);\n", N);
	GEN_OUT(g, g->c, 1, "if (rc == 0 && used != plen)\n\t\treturn REGIT_AVRO_EFRAME;\n");
	GEN_OUT(g, g->c, 1, "return rc;\n}\n\n");
}
