/*
 * gen_dec.c - statements that decode one value of the writer's (= the
 * reader's) schema from Avro binary: the plain decoders of gen.c, and the
 * parts of a resolving decoder (gen_resolve.c) or JSON decoder
 * (gen_json.c) where writer and reader types are the same. The emitted
 * code checks every length and index against the remaining input (see
 * regit_avro.h). Uses only gen_util.
 */
#include "codegen/gen_internal.h"

#include <string.h>

void regit_gen__emit_read_record(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *callee, const char *args, int ind)
{
	const gen_named *n = regit_gen__named(g, t);
	unsigned v;

	if (!regit_gen__ptr_needed(g, t, pos)) {
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s&%s, arena, depth + 1));\n", callee, args, e);
		return;
	}
	/* Behind a pointer: the record comes from the arena. */
	v = g->var++;
	GEN_OUT(g, b, ind, "{\n");
	GEN_OUT(g, b, ind + 1, "%s *r__%u = (%s *)regit_avro_arena_alloc(arena, sizeof(%s));\n\n",
		n->cname, v, n->cname, n->cname);
	GEN_OUT(g, b, ind + 1, "if (!r__%u)\n", v);
	GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_ENOMEM;\n");
	GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(%s(%sr__%u, arena, depth + 1));\n", callee, args, v);
	GEN_OUT(g, b, ind + 1, "%s = r__%u;\n", e, v);
	GEN_OUT(g, b, ind, "}\n");
}

/* The runtime's reader for each primitive (regit_avro.h: regit_avro_read_<suffix>). */
static const char *const read_suffix[] = {
	[REGIT_TYPE_BOOLEAN] = "bool",
	[REGIT_TYPE_INT] = "int",
	[REGIT_TYPE_LONG] = "long",
	[REGIT_TYPE_FLOAT] = "float",
	[REGIT_TYPE_DOUBLE] = "double",
	[REGIT_TYPE_STRING] = "str",
	[REGIT_TYPE_BYTES] = "bytes",
};

void regit_gen__emit_dec(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, int ind)
{
	size_t vb, nb, k;
	unsigned v;

	switch (t->kind) {
	case REGIT_TYPE_NULL:
		break;
	case REGIT_TYPE_BOOLEAN:
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
	case REGIT_TYPE_FLOAT:
	case REGIT_TYPE_DOUBLE:
	case REGIT_TYPE_STRING:
	case REGIT_TYPE_BYTES:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_read_%s(&p, end, &%s));\n",
			read_suffix[t->kind], e);
		break;
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_read_fixed(&p, end, %s, %zu));\n",
			e, t->size);
		break;
	case REGIT_TYPE_ENUM:
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "int32_t e__%u;\n\n", v);
		GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_int(&p, end, &e__%u));\n", v);
		GEN_OUT(g, b, ind + 1, "if (e__%u < 0 || e__%u >= %zu)\n", v, v, t->nsymbols);
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "%s = (%s)e__%u;\n", e, regit_gen__named(g, t)->cname, v);
		GEN_OUT(g, b, ind, "}\n");
		break;
	case REGIT_TYPE_RECORD:
		regit_gen__emit_read_record(g, b, t, pos, e, regit_gen__fn(g, "dec", regit_gen__named(g, t)),
			"&p, end, ", ind);
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP: {
		int isarr = t->kind == REGIT_TYPE_ARRAY;
		int nullitems = isarr && t->items->kind == REGIT_TYPE_NULL;
		const char *items = isarr ? "items" : "entries";
		size_t min = regit_gen__min_size(t->items) + (isarr ? 0 : 1);

		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "uint64_t n__%u;\n", v);
		if (!nullitems)
			GEN_OUT(g, b, ind + 1, "size_t c__%u = 0, i__%u;\n", v, v);
		GEN_OUT(g, b, ind + 1, "\n");
		if (!nullitems)
			GEN_OUT(g, b, ind + 1, "%s.%s = NULL;\n", e, items);
		GEN_OUT(g, b, ind + 1, "%s.count = 0;\n", e);
		GEN_OUT(g, b, ind + 1, "for (;;) {\n");
		GEN_OUT(g, b, ind + 2, "REGIT_AVRO_TRY(regit_avro_read_block(&p, end, %zu, %s.count, &n__%u));\n",
			min, e, v);
		GEN_OUT(g, b, ind + 2, "if (n__%u == 0)\n", v);
		GEN_OUT(g, b, ind + 3, "break;\n");
		if (nullitems) {
			GEN_OUT(g, b, ind + 2, "%s.count += (size_t)n__%u;\n", e, v);
			GEN_OUT(g, b, ind + 1, "}\n");
			GEN_OUT(g, b, ind, "}\n");
			break;
		}
		GEN_OUT(g, b, ind + 2, "{\n");
		GEN_OUT(g, b, ind + 3, "void *g__%u = %s.%s;\n\n", v, e, items);
		GEN_OUT(g, b, ind + 3,
			"REGIT_AVRO_TRY(regit_avro_grow(arena, &g__%u, &c__%u, %s.count, n__%u, sizeof(*%s.%s)));\n",
			v, v, e, v, e, items);
		GEN_OUT(g, b, ind + 3, "%s.%s = g__%u;\n", e, items, v);
		GEN_OUT(g, b, ind + 2, "}\n");
		GEN_OUT(g, b, ind + 2, "for (i__%u = %s.count; i__%u < %s.count + (size_t)n__%u; i__%u++) {\n",
			v, e, v, e, v, v);
		if (isarr) {
			regit_gen__emit_dec(g, b, t->items, GEN_POS_ITEM,
				GEN_STR(g, "%s.items[i__%u]", e, v), NULL, ind + 3);
		} else {
			GEN_OUT(g, b, ind + 3, "REGIT_AVRO_TRY(regit_avro_read_str(&p, end, &%s.entries[i__%u].key));\n",
				e, v);
			regit_gen__emit_dec(g, b, t->items, GEN_POS_MAPVAL,
				GEN_STR(g, "%s.entries[i__%u].value", e, v), NULL, ind + 3);
		}
		GEN_OUT(g, b, ind + 2, "}\n");
		GEN_OUT(g, b, ind + 2, "%s.count += (size_t)n__%u;\n", e, v);
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
	case REGIT_TYPE_UNION:
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "int64_t u__%u;\n\n", v);
		GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_read_long(&p, end, &u__%u));\n", v);
		if (regit_gen__is_optional(t, &vb, &nb)) {
			const char *pr = present ? present : GEN_STR(g, "%s.present", e);
			const char *val = present ? e : GEN_STR(g, "%s.value", e);

			GEN_OUT(g, b, ind + 1, "if (u__%u == %zu) {\n", v, vb);
			GEN_OUT(g, b, ind + 2, "%s = true;\n", pr);
			regit_gen__emit_dec(g, b, t->branches[vb], GEN_POS_OPTVAL, val, NULL, ind + 2);
			GEN_OUT(g, b, ind + 1, "} else if (u__%u == %zu) {\n", v, nb);
			GEN_OUT(g, b, ind + 2, "%s = false;\n", pr);
			GEN_OUT(g, b, ind + 2, "memset(&%s, 0, sizeof(%s));\n", val, val);
			GEN_OUT(g, b, ind + 1, "} else {\n");
			GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
			GEN_OUT(g, b, ind + 1, "}\n");
			GEN_OUT(g, b, ind, "}\n");
			break;
		}
		GEN_OUT(g, b, ind + 1, "switch (u__%u) {\n", v);
		for (k = 0; k < t->nbranches; k++) {
			GEN_OUT(g, b, ind + 1, "case %zu:\n", k);
			GEN_OUT(g, b, ind + 2, "%s.tag = %zu;\n", e, k);
			if (t->branches[k]->kind != REGIT_TYPE_NULL)
				regit_gen__emit_dec(g, b, t->branches[k], GEN_POS_BRANCH,
					GEN_STR(g, "%s.%s", e, regit_gen__branch_member(g, t, k)), NULL,
					ind + 2);
			GEN_OUT(g, b, ind + 2, "break;\n");
		}
		GEN_OUT(g, b, ind + 1, "default:\n");
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
}
