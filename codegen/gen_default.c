/*
 * gen_default.c - a schema default (JSON from the reader schema) as C
 * assignments: reader-only fields of a resolving decoder (gen_resolve.c)
 * and absent fields of a JSON decoder (gen_json.c). Uses only gen_util.
 */
#include "codegen/gen_internal.h"

#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

/*
 * Bytes of an Avro JSON bytes/fixed default: code points 0-255 as bytes.
 * The string's length comes from jansson: "\u0000" is a byte like any other.
 */
/*
 * A C literal for a float/double default: "%.17g" round-trips every double,
 * but prints -0.0 as "-0", an int literal whose value is 0 (the sign is
 * lost), and 1.0 as "1"; a ".0" makes each a floating literal.
 */
static const char *default_double(gen_ctx *g, double v)
{
	char lit[40];

	snprintf(lit, sizeof(lit), "%.17g", v);
	if (strspn(lit, "-0123456789") == strlen(lit))
		return GEN_STR(g, "%s.0", lit);
	return GEN_STR(g, "%s", lit);
}

static int default_latin1(const char *s, size_t len, char *out, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s, *end = u + len;
	size_t n = 0;

	while (u < end) {
		unsigned cp;

		if (u[0] < 0x80) {
			cp = u[0];
			u += 1;
		} else if ((u[0] & 0xe0) == 0xc0 && end - u >= 2) {
			cp = (unsigned)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
			u += 2;
		} else {
			return -1;
		}
		if (cp > 0xff)
			return -1;
		out[n++] = (char)cp;
	}
	*outlen = n;
	return 0;
}

static void default_bad(gen_ctx *g, const regit_type *t)
{
	regit_gen__fail(g, REGIT_EINVALID, "a default value does not match its %s type",
		regit_type_kind_name(t->kind));
}

static void default_emit(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, const json_t *j, int ind);

/*
 * A record default may leave out a field whose own default is the record
 * again ({"name":"n","type":["R","null"],"default":{}} in R): expanding it
 * never ends. Nesting is bounded like decoding (REGIT_AVRO_MAX_DEPTH, 128):
 * a default deeper than that could not be decoded either. REGIT_ELIMIT, not
 * EINVALID: the JSON decoder keeps a field whose default C cannot hold
 * required (EINVALID), but a schema with an endless default is refused.
 */
#define GEN_DEFAULT_MAX_DEPTH 128

void regit_gen__emit_default(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, const json_t *j, int ind)
{
	if (g->error)
		return;
	if (g->default_depth >= GEN_DEFAULT_MAX_DEPTH) {
		regit_gen__fail(g, REGIT_ELIMIT,
			"a default of %s nests deeper than %d levels (a record default that contains itself without end?)",
			t->fullname ? t->fullname : regit_type_kind_name(t->kind), GEN_DEFAULT_MAX_DEPTH);
		return;
	}
	g->default_depth++;
	default_emit(g, b, t, pos, e, present, j, ind);
	g->default_depth--;
}

static void default_emit(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, const json_t *j, int ind)
{
	size_t i, n, vb, nb;
	unsigned v;

	switch (t->kind) {
	case REGIT_TYPE_NULL:
		break;
	case REGIT_TYPE_BOOLEAN:
		if (!json_is_boolean(j))
			{ default_bad(g, t); return; }
		GEN_OUT(g, b, ind, "%s = %s;\n", e, json_is_true(j) ? "true" : "false");
		break;
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
		if (!json_is_integer(j))
			{ default_bad(g, t); return; }
		GEN_OUT(g, b, ind, "%s = %s;\n", e,
			json_integer_value(j) == INT64_MIN ? "INT64_MIN" :
			GEN_STR(g, "%lld", (long long)json_integer_value(j)));
		break;
	case REGIT_TYPE_FLOAT:
	case REGIT_TYPE_DOUBLE:
		if (!json_is_number(j))
			{ default_bad(g, t); return; }
		/* An integer default for a float is rounded once, to float; via
		 * double it could round twice (2^62 + 2^38 + 1 would be 2^62, not
		 * the nearest float 2^62 + 2^39). (double)(float)x is exact. */
		GEN_OUT(g, b, ind, "%s = %s;\n", e, default_double(g,
			t->kind == REGIT_TYPE_FLOAT && json_is_integer(j) ?
			(double)(float)json_integer_value(j) : json_number_value(j)));
		break;
	case REGIT_TYPE_STRING:
		if (!json_is_string(j))
			{ default_bad(g, t); return; }
		GEN_OUT(g, b, ind, "%s.ptr = %s;\n", e,
			regit_gen__c_literal(g, json_string_value(j), json_string_length(j)));
		GEN_OUT(g, b, ind, "%s.len = %zu;\n", e, json_string_length(j));
		break;
	case REGIT_TYPE_BYTES:
	case REGIT_TYPE_FIXED: {
		char *raw;

		if (!json_is_string(j))
			{ default_bad(g, t); return; }
		raw = regit_malloc(json_string_length(j) + 1);
		if (!raw) {
			regit_gen__fail(g, REGIT_ENOMEM, "out of memory");
			return;
		}
		if (default_latin1(json_string_value(j), json_string_length(j), raw, &n) < 0 ||
		    (t->kind == REGIT_TYPE_FIXED && n != t->size)) {
			regit_free(raw);
			{ default_bad(g, t); return; }
		}
		if (t->kind == REGIT_TYPE_BYTES) {
			GEN_OUT(g, b, ind, "%s.ptr = (const uint8_t *)%s;\n", e,
				regit_gen__c_literal(g, raw, n));
			GEN_OUT(g, b, ind, "%s.len = %zu;\n", e, n);
		} else if (n) {
			GEN_OUT(g, b, ind, "memcpy(%s, %s, %zu);\n", e, regit_gen__c_literal(g, raw, n), n);
		}
		regit_free(raw);
		break;
	}
	case REGIT_TYPE_ENUM:
		if (!json_is_string(j))
			{ default_bad(g, t); return; }
		for (i = 0; i < t->nsymbols; i++) {
			if (strcmp(t->symbols[i], json_string_value(j)) == 0)
				break;
		}
		if (i == t->nsymbols)
			{ default_bad(g, t); return; }
		GEN_OUT(g, b, ind, "%s = (%s)%zu;\n", e, regit_gen__named(g, t)->cname, i);
		break;
	case REGIT_TYPE_RECORD: {
		const gen_named *rn = regit_gen__named(g, t);
		const char *target = e;

		if (!json_is_object(j))
			{ default_bad(g, t); return; }
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		if (regit_gen__ptr_needed(g, t, pos)) {
			GEN_OUT(g, b, ind + 1, "%s *d__%u = (%s *)regit_avro_arena_alloc(arena, sizeof(%s));\n\n",
				rn->cname, v, rn->cname, rn->cname);
			GEN_OUT(g, b, ind + 1, "if (!d__%u)\n", v);
			GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_ENOMEM;\n");
			GEN_OUT(g, b, ind + 1, "%s = d__%u;\n", e, v);
			target = GEN_STR(g, "(*d__%u)", v);
		}
		for (i = 0; i < t->nfields; i++) {
			const regit_field *f = &t->fields[i];
			const json_t *fj = json_object_get(j, f->name);

			if (!fj)
				fj = f->default_value;
			if (!fj) {
				regit_gen__fail(g, REGIT_EINVALID,
					"default of record %s lacks field %s, which has no default",
					t->fullname, f->name);
				return;
			}
			regit_gen__emit_default(g, b, f->type, GEN_POS_FIELD,
				GEN_STR(g, "%s.%s", target, rn->members[i]),
				rn->has_members[i] ? GEN_STR(g, "%s.%s", target, rn->has_members[i]) : NULL,
				fj, ind + 1);
		}
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP: {
		int isarr = t->kind == REGIT_TYPE_ARRAY;
		const char *items = isarr ? "items" : "entries";

		if (isarr ? !json_is_array(j) : !json_is_object(j))
			{ default_bad(g, t); return; }
		n = isarr ? json_array_size(j) : json_object_size(j);
		if (isarr && t->items->kind == REGIT_TYPE_NULL) {
			GEN_OUT(g, b, ind, "%s.count = %zu;\n", e, n);
			break;
		}
		GEN_OUT(g, b, ind, "%s.count = %zu;\n", e, n);
		if (n == 0) {
			GEN_OUT(g, b, ind, "%s.%s = NULL;\n", e, items);
			break;
		}
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "void *a__%u = regit_avro_arena_alloc(arena, %zu * sizeof(*%s.%s));\n\n",
			v, n, e, items);
		GEN_OUT(g, b, ind + 1, "if (!a__%u)\n", v);
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_ENOMEM;\n");
		/* The cast is for C++ (NAME_init is in the header): void * does
		 * not convert implicitly there, and the item type has no name. */
		GEN_OUT(g, b, ind + 1, "%s.%s = REGIT_AVRO_PTR_CAST(%s.%s, a__%u);\n", e, items,
			e, items, v);
		if (isarr) {
			for (i = 0; i < n; i++)
				regit_gen__emit_default(g, b, t->items, GEN_POS_ITEM,
					GEN_STR(g, "%s.items[%zu]", e, i), NULL,
					json_array_get(j, i), ind + 1);
		} else {
			const char *key;
			json_t *val;

			i = 0;
			json_object_foreach((json_t *)j, key, val) {
				GEN_OUT(g, b, ind + 1, "%s.entries[%zu].key.ptr = %s;\n", e, i,
					regit_gen__c_literal(g, key, strlen(key)));
				GEN_OUT(g, b, ind + 1, "%s.entries[%zu].key.len = %zu;\n", e, i, strlen(key));
				regit_gen__emit_default(g, b, t->items, GEN_POS_MAPVAL,
					GEN_STR(g, "%s.entries[%zu].value", e, i), NULL, val, ind + 1);
				i++;
			}
		}
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
	case REGIT_TYPE_UNION:
		/* A union's default belongs to its first branch. */
		if (regit_gen__is_optional(t, &vb, &nb)) {
			const char *pr = present ? present : GEN_STR(g, "%s.present", e);
			const char *val = present ? e : GEN_STR(g, "%s.value", e);

			if (nb == 0) {
				if (!json_is_null(j))
					{ default_bad(g, t); return; }
				GEN_OUT(g, b, ind, "%s = false;\n", pr);
				GEN_OUT(g, b, ind, "memset(&%s, 0, sizeof(%s));\n", val, val);
			} else {
				GEN_OUT(g, b, ind, "%s = true;\n", pr);
				regit_gen__emit_default(g, b, t->branches[vb], GEN_POS_OPTVAL, val, NULL, j, ind);
			}
			break;
		}
		GEN_OUT(g, b, ind, "%s.tag = 0;\n", e);
		if (t->branches[0]->kind != REGIT_TYPE_NULL)
			regit_gen__emit_default(g, b, t->branches[0], GEN_POS_BRANCH,
				GEN_STR(g, "%s.%s", e, regit_gen__branch_member(g, t, 0)), NULL, j, ind);
		break;
	}
}
