/*
 * gen_json.c - NAME_to_json / NAME_from_json (Avro JSON encoding, jansson).
 *
 * With `regit gen --json` the generated NAME.c also converts values to and
 * from Avro's JSON encoding (the specification's "JSON Encoding"):
 *   null -> null, boolean -> true/false, int/long -> integer,
 *   float/double -> number, string -> string, bytes and fixed -> a string
 *   whose code points U+0000..U+00FF are the bytes (ISO-8859-1), enum ->
 *   its symbol, array -> array, map -> object, record -> object of fields
 *   in schema order, union -> null for the null branch, else a one-member
 *   object {"BRANCH": value} where BRANCH is the full name of a named type
 *   or the type name ("int", "array", "map", ...).
 *
 * Only the generated code with --json depends on jansson; the plain codecs
 * stay free of it. Writing builds a jansson tree and dumps it with the
 * flags Avro-C's avro_value_to_json(value, 1, ...) uses, so the text is the
 * same as Avro-C's (which writes union branch names unqualified: we write
 * the full name, as the specification and Avro Java do, and read both).
 * Non-finite floats have no JSON form: writing them fails, as in Avro-C.
 *
 * Reading treats the text as hostile: jansson parses it (its own depth
 * limit, duplicate keys refused, the whole input must be one value), then
 * generated code checks every type, range (int32), code point (bytes,
 * fixed), symbol, union branch and field, and copies strings into the
 * caller's arena, so the result owns nothing else. Recursive records are
 * bounded by REGIT_AVRO_MAX_DEPTH as in the binary decoder.
 */
#include "codegen/gen_internal.h"

#include <string.h>

#include "util/error.h"

/* How a newly made json_t is attached to its parent: parent, key, key length. */
typedef struct jw_dest {
	const char *parent;     /* json_t * expression */
	const char *key;        /* const char * expression, "NULL" for arrays */
	const char *klen;       /* size_t expression */
} jw_dest;

static const char *jfn(gen_ctx *g, const char *what, const gen_named *n)
{
	return GEN_STR(g, "%s__%s_%s", g->name, what, n->cname);
}

static const char *helper(gen_ctx *g, const char *what)
{
	return GEN_STR(g, "%s__j%s", g->name, what);
}

/* The union member name Avro JSON uses for branch k. */
static const char *branch_json_name(const regit_type *b)
{
	switch (b->kind) {
	case REGIT_TYPE_RECORD:
	case REGIT_TYPE_ENUM:
	case REGIT_TYPE_FIXED:
		return b->fullname;
	default:
		return regit_type_kind_name(b->kind);
	}
}

/*
 * A C condition true when key k__v (length kl__v) names branch k of u: its
 * full name, or its unqualified name when no other branch has that name
 * (Avro-C writes unqualified names).
 */
static const char *branch_match(gen_ctx *g, const regit_type *u, size_t k, unsigned v)
{
	const regit_type *b = u->branches[k];
	const char *full = branch_json_name(b);
	const char *cond = GEN_STR(g, "%s(k__%u, kl__%u, %s, %zu)", helper(g, "keyeq"), v, v,
		regit_gen__c_literal(g, full, strlen(full)), strlen(full));
	size_t i;
	int unique = 1;

	if (!regit_type_is_named(b) || strcmp(b->name, b->fullname) == 0)
		return cond;
	for (i = 0; i < u->nbranches; i++) {
		if (i == k)
			continue;
		if (strcmp(branch_json_name(u->branches[i]), b->name) == 0 ||
		    (regit_type_is_named(u->branches[i]) &&
		     strcmp(u->branches[i]->name, b->name) == 0))
			unique = 0;
	}
	if (!unique)
		return cond;
	return GEN_STR(g, "%s || %s(k__%u, kl__%u, %s, %zu)", cond, helper(g, "keyeq"), v, v,
		regit_gen__c_literal(g, b->name, strlen(b->name)), strlen(b->name));
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */

static void emit_jw(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, jw_dest d, int ind);

/* Attach expression x (a json_t *, NULL meaning out of memory) to d. */
static void put(gen_ctx *g, regit_buf *b, jw_dest d, const char *x, int ind)
{
	GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s, %s, %s, %s));\n", helper(g, "put"),
		d.parent, d.key, d.klen, x);
}

/* A new container (json_object()/json_array()) attached to d, in local c__v. */
static void put_container(gen_ctx *g, regit_buf *b, jw_dest d, const char *make,
	unsigned v, int ind)
{
	GEN_OUT(g, b, ind, "json_t *c__%u = %s;\n\n", v, make);
	put(g, b, d, GEN_STR(g, "c__%u", v), ind);
}

/* Write a union's non-null branch k as {"NAME": value}. */
static void emit_jw_branch(gen_ctx *g, regit_buf *b, const regit_type *u, size_t k,
	gen_pos pos, const char *e, jw_dest d, int ind)
{
	const char *name = branch_json_name(u->branches[k]);
	unsigned v = g->var++;
	jw_dest in;

	GEN_OUT(g, b, ind, "{\n");
	put_container(g, b, d, "json_object()", v, ind + 1);
	in.parent = GEN_STR(g, "c__%u", v);
	in.key = regit_gen__c_literal(g, name, strlen(name));
	in.klen = GEN_STR(g, "%zu", strlen(name));
	emit_jw(g, b, u->branches[k], pos, e, NULL, in, ind + 1);
	GEN_OUT(g, b, ind, "}\n");
}

static void emit_jw(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, jw_dest d, int ind)
{
	size_t vb, nb, k;
	unsigned v;
	jw_dest in;

	switch (t->kind) {
	case REGIT_TYPE_NULL:
		put(g, b, d, "json_null()", ind);
		break;
	case REGIT_TYPE_BOOLEAN:
		put(g, b, d, GEN_STR(g, "json_boolean(%s)", e), ind);
		break;
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
		put(g, b, d, GEN_STR(g, "json_integer((json_int_t)%s)", e), ind);
		break;
	case REGIT_TYPE_FLOAT:
	case REGIT_TYPE_DOUBLE:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s, %s, %s, (double)%s));\n",
			helper(g, "put_real"), d.parent, d.key, d.klen, e);
		break;
	case REGIT_TYPE_STRING:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s, %s, %s, %s.ptr, %s.len));\n",
			helper(g, "put_str"), d.parent, d.key, d.klen, e, e);
		break;
	case REGIT_TYPE_BYTES:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s, %s, %s, %s.ptr, %s.len));\n",
			helper(g, "put_latin1"), d.parent, d.key, d.klen, e, e);
		break;
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s, %s, %s, %s, %zu));\n",
			helper(g, "put_latin1"), d.parent, d.key, d.klen, e, t->size);
		break;
	case REGIT_TYPE_ENUM:
		GEN_OUT(g, b, ind, "if ((unsigned)%s >= %zuu)\n", e, t->nsymbols);
		GEN_OUT(g, b, ind + 1, "return REGIT_AVRO_EINVALID;\n");
		put(g, b, d, GEN_STR(g, "json_string_nocheck(%s[%s])",
			jfn(g, "syms", regit_gen__named(g, t)), e), ind);
		break;
	case REGIT_TYPE_RECORD:
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		put_container(g, b, d, "json_object()", v, ind + 1);
		if (regit_gen__ptr_needed(g, t, pos)) {
			GEN_OUT(g, b, ind + 1, "if (!%s)\n", e);
			GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(%s(%s, c__%u, depth + 1));\n",
				jfn(g, "jw", regit_gen__named(g, t)), e, v);
		} else {
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(%s(&%s, c__%u, depth + 1));\n",
				jfn(g, "jw", regit_gen__named(g, t)), e, v);
		}
		GEN_OUT(g, b, ind, "}\n");
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP: {
		int isarr = t->kind == REGIT_TYPE_ARRAY;
		int nullitems = isarr && t->items->kind == REGIT_TYPE_NULL;
		const char *items = isarr ? "items" : "entries";

		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "size_t i__%u;\n", v);
		put_container(g, b, d, isarr ? "json_array()" : "json_object()", v, ind + 1);
		in.parent = GEN_STR(g, "c__%u", v);
		if (nullitems) {
			/* No storage per item: only the count bounds the work. */
			GEN_OUT(g, b, ind + 1, "if ((uint64_t)%s.count > REGIT_AVRO_MAX_ITEMS)\n", e);
			GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_ELIMIT;\n");
		} else {
			GEN_OUT(g, b, ind + 1, "if (%s.count && !%s.%s)\n", e, e, items);
			GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		}
		GEN_OUT(g, b, ind + 1, "for (i__%u = 0; i__%u < %s.count; i__%u++) {\n", v, v, e, v);
		if (isarr) {
			in.key = "NULL";
			in.klen = "0";
			emit_jw(g, b, t->items, GEN_POS_ITEM, GEN_STR(g, "%s.items[i__%u]", e, v), NULL,
				in, ind + 2);
		} else {
			const char *key = GEN_STR(g, "%s.entries[i__%u].key", e, v);

			/* Keys must be valid UTF-8 and distinct, or entries would vanish,
			 * and NUL-free: jansson cannot read such a key back. */
			GEN_OUT(g, b, ind + 2, "if (!%s(%s.ptr, %s.len) || (%s.len && memchr(%s.ptr, 0, %s.len)))\n",
				helper(g, "utf8"), key, key, key, key, key);
			GEN_OUT(g, b, ind + 3, "return REGIT_AVRO_EINVALID;\n");
			in.key = GEN_STR(g, "(%s.ptr ? %s.ptr : \"\")", key, key);
			in.klen = GEN_STR(g, "%s.len", key);
			emit_jw(g, b, t->items, GEN_POS_MAPVAL, GEN_STR(g, "%s.entries[i__%u].value", e, v),
				NULL, in, ind + 2);
			GEN_OUT(g, b, ind + 2, "if (json_object_size(c__%u) != i__%u + 1)\n", v, v);
			GEN_OUT(g, b, ind + 3, "return REGIT_AVRO_EINVALID;\n");
		}
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
	case REGIT_TYPE_UNION:
		if (regit_gen__is_optional(t, &vb, &nb)) {
			const char *pr = present ? present : GEN_STR(g, "%s.present", e);
			const char *val = present ? e : GEN_STR(g, "%s.value", e);

			GEN_OUT(g, b, ind, "if (%s) {\n", pr);
			emit_jw_branch(g, b, t, vb, GEN_POS_OPTVAL, val, d, ind + 1);
			GEN_OUT(g, b, ind, "} else {\n");
			put(g, b, d, "json_null()", ind + 1);
			GEN_OUT(g, b, ind, "}\n");
			break;
		}
		GEN_OUT(g, b, ind, "switch (%s.tag) {\n", e);
		for (k = 0; k < t->nbranches; k++) {
			GEN_OUT(g, b, ind, "case %zu:\n", k);
			if (t->branches[k]->kind == REGIT_TYPE_NULL)
				put(g, b, d, "json_null()", ind + 1);
			else
				emit_jw_branch(g, b, t, k, GEN_POS_BRANCH,
					GEN_STR(g, "%s.%s", e, regit_gen__branch_member(g, t, k)), d, ind + 1);
			GEN_OUT(g, b, ind + 1, "break;\n");
		}
		GEN_OUT(g, b, ind, "default:\n");
		GEN_OUT(g, b, ind + 1, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* Reading                                                                 */

static void emit_jr(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, const char *j, int ind);

static void emit_jr(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, const char *j, int ind)
{
	size_t vb, nb, k;
	unsigned v;

	switch (t->kind) {
	case REGIT_TYPE_NULL:
		GEN_OUT(g, b, ind, "if (!json_is_null(%s))\n", j);
		GEN_OUT(g, b, ind + 1, "return REGIT_AVRO_EINVALID;\n");
		break;
	case REGIT_TYPE_BOOLEAN:
		GEN_OUT(g, b, ind, "if (!json_is_boolean(%s))\n", j);
		GEN_OUT(g, b, ind + 1, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind, "%s = json_is_true(%s);\n", e, j);
		break;
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
	case REGIT_TYPE_FLOAT:
	case REGIT_TYPE_DOUBLE:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s, &%s));\n",
			helper(g, GEN_STR(g, "get_%s", regit_type_kind_name(t->kind))), j, e);
		break;
	case REGIT_TYPE_STRING:
	case REGIT_TYPE_BYTES:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s, &%s, arena));\n",
			helper(g, GEN_STR(g, "get_%s", regit_type_kind_name(t->kind))), j, e);
		break;
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(%s, %s, %zu));\n", helper(g, "get_fixed"), j, e,
			t->size);
		break;
	case REGIT_TYPE_ENUM: {
		const gen_named *n = regit_gen__named(g, t);

		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "size_t i__%u;\n\n", v);
		GEN_OUT(g, b, ind + 1, "if (!json_is_string(%s))\n", j);
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "for (i__%u = 0; i__%u < %zu; i__%u++) {\n", v, v, t->nsymbols, v);
		GEN_OUT(g, b, ind + 2, "if (%s(json_string_value(%s), json_string_length(%s), %s[i__%u], strlen(%s[i__%u])))\n",
			helper(g, "keyeq"), j, j, jfn(g, "syms", n), v, jfn(g, "syms", n), v);
		GEN_OUT(g, b, ind + 3, "break;\n");
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind + 1, "if (i__%u == %zu)\n", v, t->nsymbols);
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "%s = (%s)i__%u;\n", e, n->cname, v);
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
	case REGIT_TYPE_RECORD:
		regit_gen__emit_read_record(g, b, t, pos, e, jfn(g, "jr", regit_gen__named(g, t)),
			GEN_STR(g, "%s, ", j), ind);
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP: {
		int isarr = t->kind == REGIT_TYPE_ARRAY;
		int nullitems = isarr && t->items->kind == REGIT_TYPE_NULL;
		const char *items = isarr ? "items" : "entries";

		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "size_t n__%u, i__%u;\n", v, v);
		if (!isarr)
			GEN_OUT(g, b, ind + 1, "void *it__%u;\n", v);
		GEN_OUT(g, b, ind + 1, "\n");
		GEN_OUT(g, b, ind + 1, "if (!json_is_%s(%s))\n", isarr ? "array" : "object", j);
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "n__%u = json_%s_size(%s);\n", v, isarr ? "array" : "object", j);
		GEN_OUT(g, b, ind + 1, "%s.count = n__%u;\n", e, v);
		if (nullitems) {
			GEN_OUT(g, b, ind + 1, "for (i__%u = 0; i__%u < n__%u; i__%u++) {\n", v, v, v, v);
			emit_jr(g, b, t->items, GEN_POS_ITEM, "", NULL,
				GEN_STR(g, "json_array_get(%s, i__%u)", j, v), ind + 2);
			GEN_OUT(g, b, ind + 1, "}\n");
			GEN_OUT(g, b, ind, "}\n");
			break;
		}
		GEN_OUT(g, b, ind + 1, "%s.%s = NULL;\n", e, items);
		GEN_OUT(g, b, ind + 1, "if (n__%u) {\n", v);
		GEN_OUT(g, b, ind + 2, "if (n__%u > SIZE_MAX / sizeof(*%s.%s))\n", v, e, items);
		GEN_OUT(g, b, ind + 3, "return REGIT_AVRO_ENOMEM;\n");
		GEN_OUT(g, b, ind + 2, "%s.%s = regit_avro_arena_alloc(arena, n__%u * sizeof(*%s.%s));\n",
			e, items, v, e, items);
		GEN_OUT(g, b, ind + 2, "if (!%s.%s)\n", e, items);
		GEN_OUT(g, b, ind + 3, "return REGIT_AVRO_ENOMEM;\n");
		GEN_OUT(g, b, ind + 1, "}\n");
		if (isarr) {
			GEN_OUT(g, b, ind + 1, "for (i__%u = 0; i__%u < n__%u; i__%u++) {\n", v, v, v, v);
			emit_jr(g, b, t->items, GEN_POS_ITEM, GEN_STR(g, "%s.items[i__%u]", e, v), NULL,
				GEN_STR(g, "json_array_get(%s, i__%u)", j, v), ind + 2);
			GEN_OUT(g, b, ind + 1, "}\n");
		} else {
			GEN_OUT(g, b, ind + 1, "it__%u = json_object_iter(%s);\n", v, j);
			GEN_OUT(g, b, ind + 1, "for (i__%u = 0; i__%u < n__%u && it__%u; i__%u++) {\n",
				v, v, v, v, v);
			GEN_OUT(g, b, ind + 2, "REGIT_AVRO_TRY(%s(json_object_iter_key(it__%u), json_object_iter_key_len(it__%u), &%s.entries[i__%u].key, arena));\n",
				helper(g, "copy_str"), v, v, e, v);
			emit_jr(g, b, t->items, GEN_POS_MAPVAL, GEN_STR(g, "%s.entries[i__%u].value", e, v),
				NULL, GEN_STR(g, "json_object_iter_value(it__%u)", v), ind + 2);
			GEN_OUT(g, b, ind + 2, "it__%u = json_object_iter_next(%s, it__%u);\n", v, j, v);
			GEN_OUT(g, b, ind + 1, "}\n");
			GEN_OUT(g, b, ind + 1, "if (i__%u != n__%u)\n", v, v);
			GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		}
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
	case REGIT_TYPE_UNION:
		v = g->var++;
		GEN_OUT(g, b, ind, "{\n");
		GEN_OUT(g, b, ind + 1, "const char *k__%u = NULL;\n", v);
		GEN_OUT(g, b, ind + 1, "size_t kl__%u = 0;\n", v);
		GEN_OUT(g, b, ind + 1, "json_t *v__%u = NULL;\n\n", v);
		GEN_OUT(g, b, ind + 1, "if (!json_is_null(%s))\n", j);
		GEN_OUT(g, b, ind + 2, "REGIT_AVRO_TRY(%s(%s, &k__%u, &kl__%u, &v__%u));\n",
			helper(g, "get_branch"), j, v, v, v);
		if (regit_gen__is_optional(t, &vb, &nb)) {
			const char *pr = present ? present : GEN_STR(g, "%s.present", e);
			const char *val = present ? e : GEN_STR(g, "%s.value", e);

			GEN_OUT(g, b, ind + 1, "if (!v__%u) {\n", v);
			GEN_OUT(g, b, ind + 2, "%s = false;\n", pr);
			GEN_OUT(g, b, ind + 2, "memset(&%s, 0, sizeof(%s));\n", val, val);
			GEN_OUT(g, b, ind + 1, "} else if (%s) {\n", branch_match(g, t, vb, v));
			GEN_OUT(g, b, ind + 2, "%s = true;\n", pr);
			emit_jr(g, b, t->branches[vb], GEN_POS_OPTVAL, val, NULL,
				GEN_STR(g, "v__%u", v), ind + 2);
			GEN_OUT(g, b, ind + 1, "} else {\n");
			GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
			GEN_OUT(g, b, ind + 1, "}\n");
			GEN_OUT(g, b, ind, "}\n");
			break;
		}
		GEN_OUT(g, b, ind + 1, "if (!v__%u) {\n", v);
		for (k = 0; k < t->nbranches; k++) {
			if (t->branches[k]->kind == REGIT_TYPE_NULL)
				break;
		}
		if (k < t->nbranches)
			GEN_OUT(g, b, ind + 2, "%s.tag = %zu;\n", e, k);
		else
			GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "}");
		for (k = 0; k < t->nbranches; k++) {
			if (t->branches[k]->kind == REGIT_TYPE_NULL)
				continue;
			GEN_OUT(g, b, 0, " else if (%s) {\n", branch_match(g, t, k, v));
			GEN_OUT(g, b, ind + 2, "%s.tag = %zu;\n", e, k);
			emit_jr(g, b, t->branches[k], GEN_POS_BRANCH,
				GEN_STR(g, "%s.%s", e, regit_gen__branch_member(g, t, k)), NULL,
				GEN_STR(g, "v__%u", v), ind + 2);
			GEN_OUT(g, b, ind + 1, "}");
		}
		GEN_OUT(g, b, 0, " else {\n");
		GEN_OUT(g, b, ind + 2, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind + 1, "}\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
}

/*
 * Statements giving a missing field its default, or "" when the default
 * cannot be compiled (then the field is required). The attempt runs on a
 * scratch buffer so a failure does not stick to the context.
 */
static const char *field_default(gen_ctx *g, const regit_field *f, const char *e,
	const char *present)
{
	regit_buf tmp = REGIT_BUF_INIT;
	unsigned var = g->var;
	const char *s = "";

	if (!f->default_value || g->error)
		return "";
	regit_gen__emit_default(g, &tmp, f->type, GEN_POS_FIELD, e, present, f->default_value, 3);
	if (g->error == REGIT_EINVALID) {
		/* e.g. a float default "NaN": keep the field required. */
		g->error = 0;
		regit_error_clear();
		g->var = var;
	} else if (!g->error && tmp.size) {
		s = GEN_STR(g, "%s", tmp.ptr);
	} else if (!g->error) {
		s = "\t\t\t;\n";
	}
	regit_buf_dispose(&tmp);
	return s;
}

/* ---------------------------------------------------------------------- */
/* Functions                                                               */

/* Kinds the schema uses: only the helpers they need are emitted (clang
 * warns about unused static inline functions). */
enum {
	USE_INT = 1 << 0, USE_LONG = 1 << 1, USE_FLOAT = 1 << 2, USE_DOUBLE = 1 << 3,
	USE_STRING = 1 << 4, USE_BYTES = 1 << 5, USE_FIXED = 1 << 6, USE_ENUM = 1 << 7,
	USE_UNION = 1 << 8, USE_MAP = 1 << 9
};

/* Kinds used by t, not looking into records (they are visited as named
 * types). Unnamed types nest no deeper than the schema's JSON. */
static unsigned kinds_in(const regit_type *t)
{
	unsigned use = 0;
	size_t k;

	switch (t->kind) {
	case REGIT_TYPE_INT: return USE_INT;
	case REGIT_TYPE_LONG: return USE_LONG;
	case REGIT_TYPE_FLOAT: return USE_FLOAT;
	case REGIT_TYPE_DOUBLE: return USE_DOUBLE;
	case REGIT_TYPE_STRING: return USE_STRING;
	case REGIT_TYPE_BYTES: return USE_BYTES;
	case REGIT_TYPE_FIXED: return USE_FIXED;
	case REGIT_TYPE_ENUM: return USE_ENUM;
	case REGIT_TYPE_MAP: return USE_MAP | kinds_in(t->items);
	case REGIT_TYPE_ARRAY: return kinds_in(t->items);
	case REGIT_TYPE_UNION:
		use = USE_UNION;
		for (k = 0; k < t->nbranches; k++)
			use |= kinds_in(t->branches[k]);
		return use;
	default:
		return 0;
	}
}

static unsigned kinds_used(gen_ctx *g)
{
	unsigned use = kinds_in(g->root);
	size_t i, k;

	for (i = 0; i < g->nnamed; i++) {
		const regit_type *t = g->named[i].type;

		for (k = 0; t->kind == REGIT_TYPE_RECORD && k < t->nfields; k++)
			use |= kinds_in(t->fields[k].type);
	}
	return use;
}

static void emit_helpers(gen_ctx *g)
{
	regit_buf *c = g->c;
	const char *N = g->name;
	unsigned use = kinds_used(g);

	GEN_OUT(g, c, 0,
		"/* ------------------------------------------------------------------ */\n"
		"/* Avro JSON encoding (regit gen --json), with jansson.               */\n\n"
		"#if !defined(JANSSON_VERSION_HEX) || JANSSON_VERSION_HEX < 0x020e00\n"
		"#error \"the JSON codecs need jansson 2.14 or later\"\n"
		"#endif\n\n"
		"/* Flags of Avro-C's avro_value_to_json(value, 1, ...): same text. */\n"
		"#define %s__JSON_FLAGS (JSON_ENCODE_ANY | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)\n\n", N);

	/* UTF-8 validity exactly as jansson judges it (no overlongs, no
	 * surrogates, nothing above U+10FFFF); NUL is allowed. */
	if (use & (USE_STRING | USE_MAP))
		GEN_OUT(g, c, 0,
			"/* Is p[0..n) valid UTF-8 (jansson's rules: no overlong forms, no\n"
			" * surrogates, nothing above U+10FFFF)? A NULL p must have n == 0. */\n"
			"static inline bool %s__jutf8(const char *p, size_t n)\n{\n"
			"\tconst unsigned char *s = (const unsigned char *)p;\n"
			"\tsize_t i = 0, k, len;\n"
			"\tuint32_t cp;\n\n"
			"\tif (!s)\n\t\treturn n == 0;\n"
			"\twhile (i < n) {\n"
			"\t\tunsigned char c = s[i];\n\n"
			"\t\tif (c < 0x80) {\n\t\t\ti++;\n\t\t\tcontinue;\n\t\t}\n"
			"\t\tif (c >= 0xc2 && c <= 0xdf) {\n\t\t\tlen = 2;\n\t\t\tcp = c & 0x1f;\n"
			"\t\t} else if (c >= 0xe0 && c <= 0xef) {\n\t\t\tlen = 3;\n\t\t\tcp = c & 0x0f;\n"
			"\t\t} else if (c >= 0xf0 && c <= 0xf4) {\n\t\t\tlen = 4;\n\t\t\tcp = c & 0x07;\n"
			"\t\t} else {\n\t\t\treturn false;\n\t\t}\n"
			"\t\tif (n - i < len)\n\t\t\treturn false;\n"
			"\t\tfor (k = 1; k < len; k++) {\n"
			"\t\t\tif ((s[i + k] & 0xc0) != 0x80)\n\t\t\t\treturn false;\n"
			"\t\t\tcp = cp << 6 | (s[i + k] & 0x3f);\n\t\t}\n"
			"\t\tif ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||\n"
			"\t\t    (cp >= 0xd800 && cp <= 0xdfff))\n\t\t\treturn false;\n"
			"\t\ti += len;\n\t}\n\treturn true;\n}\n\n", N);

	/* Attach a new value to an array (key NULL) or object. */
	GEN_OUT(g, c, 0,
		"/* Attach x to parent: appended to an array (key NULL) or set in an\n"
		" * object. Takes x's reference; x NULL means jansson ran out of memory. */\n"
		"static inline int %s__jput(json_t *parent, const char *key, size_t klen, json_t *x)\n{\n"
		"\tif (!x)\n\t\treturn REGIT_AVRO_ENOMEM;\n"
		"\tif (!key)\n\t\treturn json_array_append_new(parent, x) == 0 ? 0 : REGIT_AVRO_ENOMEM;\n"
		"\treturn json_object_setn_new_nocheck(parent, key, klen, x) == 0 ? 0 : REGIT_AVRO_ENOMEM;\n"
		"}\n\n", N);
	if (use & (USE_FLOAT | USE_DOUBLE))
		GEN_OUT(g, c, 0,
			"/* A number; NaN and infinities have no JSON form (Avro-C fails too). */\n"
			"static inline int %s__jput_real(json_t *parent, const char *key, size_t klen, double d)\n{\n"
			"\tif (!isfinite(d))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\treturn %s__jput(parent, key, klen, json_real(d));\n}\n\n", N, N);
	if (use & USE_STRING)
		GEN_OUT(g, c, 0,
			"/* A string: must be valid UTF-8 (JSON text is Unicode). */\n"
			"static inline int %s__jput_str(json_t *parent, const char *key, size_t klen, const char *p, size_t n)\n{\n"
			"\tif (!%s__jutf8(p, n))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\treturn %s__jput(parent, key, klen, json_stringn_nocheck(p ? p : \"\", n));\n}\n\n",
			N, N, N);
	if (use & (USE_BYTES | USE_FIXED))
		GEN_OUT(g, c, 0,
			"/* Bytes and fixed: byte b becomes code point U+00bb (ISO-8859-1). */\n"
			"static inline int %s__jput_latin1(json_t *parent, const char *key, size_t klen, const uint8_t *p, size_t n)\n{\n"
			"\tchar small[256] = { 0 }, *u = small; /* initialised: gcc cannot see the loop fill it */\n"
			"\tsize_t i, k = 0;\n"
			"\tint rc;\n\n"
			"\tif (n && !p)\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\tif (n > sizeof(small) / 2) {\n"
			"\t\tif (n > SIZE_MAX / 2)\n\t\t\treturn REGIT_AVRO_ENOMEM;\n"
			"\t\tu = (char *)malloc(2 * n);\n"
			"\t\tif (!u)\n\t\t\treturn REGIT_AVRO_ENOMEM;\n\t}\n"
			"\tfor (i = 0; i < n; i++) {\n"
			"\t\tif (p[i] < 0x80) {\n\t\t\tu[k++] = (char)p[i];\n\t\t} else {\n"
			"\t\t\tu[k++] = (char)(0xc0 | p[i] >> 6);\n"
			"\t\t\tu[k++] = (char)(0x80 | (p[i] & 0x3f));\n\t\t}\n\t}\n"
			"\trc = %s__jput(parent, key, klen, json_stringn_nocheck(u, k));\n"
			"\tif (u != small)\n\t\tfree(u);\n"
			"\treturn rc;\n}\n\n", N, N);

	/* Reading helpers. */
	if (use & (USE_ENUM | USE_UNION))
		GEN_OUT(g, c, 0,
			"/* Is key k[0..kl) the NUL-free name s (length sl)? */\n"
			"static inline bool %s__jkeyeq(const char *k, size_t kl, const char *s, size_t sl)\n{\n"
			"\treturn k && kl == sl && memcmp(k, s, sl) == 0;\n}\n\n", N);
	if (use & USE_INT)
		GEN_OUT(g, c, 0,
			"static inline int %s__jget_int(json_t *j, int32_t *out)\n{\n"
			"\tjson_int_t v;\n\n"
			"\tif (!json_is_integer(j))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\tv = json_integer_value(j);\n"
			"\tif (v < INT32_MIN || v > INT32_MAX)\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\t*out = (int32_t)v;\n\treturn 0;\n}\n\n", N);
	if (use & USE_LONG)
		GEN_OUT(g, c, 0,
			"static inline int %s__jget_long(json_t *j, int64_t *out)\n{\n"
			"\tif (!json_is_integer(j))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\t*out = (int64_t)json_integer_value(j);\n\treturn 0;\n}\n\n", N);
	if (use & USE_DOUBLE)
		GEN_OUT(g, c, 0,
			"/* Integers are accepted for floating-point values, as in Avro Java. */\n"
			"static inline int %s__jget_double(json_t *j, double *out)\n{\n"
			"\tif (!json_is_number(j))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\t*out = json_number_value(j);\n\treturn 0;\n}\n\n", N);
	if (use & USE_FLOAT)
		GEN_OUT(g, c, 0,
			"/* A float: a number within float range (jansson gives finite doubles). */\n"
			"static inline int %s__jget_float(json_t *j, float *out)\n{\n"
			"\tdouble d;\n\n"
			"\tif (!json_is_number(j))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\tif (json_is_integer(j)) {\n"
			"\t\t/* once to float: via double it may round twice */\n"
			"\t\t*out = (float)json_integer_value(j);\n\t\treturn 0;\n\t}\n"
			"\td = json_number_value(j);\n"
			"\tif (!(d >= -FLT_MAX && d <= FLT_MAX))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\t*out = (float)d;\n\treturn 0;\n}\n\n", N);
	if (use & (USE_STRING | USE_MAP))
		GEN_OUT(g, c, 0,
			"/* Copy s[0..n) into the arena (the parsed tree is freed on return). */\n"
			"static inline int %s__jcopy_str(const char *s, size_t n, regit_avro_str *out, regit_avro_arena *arena)\n{\n"
			"\tchar *p;\n\n"
			"\tif (!s)\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\tif (n == 0) {\n\t\tout->ptr = \"\";\n\t\tout->len = 0;\n\t\treturn 0;\n\t}\n"
			"\tp = (char *)regit_avro_arena_alloc(arena, n);\n"
			"\tif (!p)\n\t\treturn REGIT_AVRO_ENOMEM;\n"
			"\tmemcpy(p, s, n);\n"
			"\tout->ptr = p;\n\tout->len = n;\n\treturn 0;\n}\n\n", N);
	if (use & USE_STRING)
		GEN_OUT(g, c, 0,
			"static inline int %s__jget_string(json_t *j, regit_avro_str *out, regit_avro_arena *arena)\n{\n"
			"\tif (!json_is_string(j))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\treturn %s__jcopy_str(json_string_value(j), json_string_length(j), out, arena);\n}\n\n",
			N, N);
	if (use & (USE_BYTES | USE_FIXED))
		GEN_OUT(g, c, 0,
			"/*\n * The bytes of an ISO-8859-1 JSON string (code points U+0000..U+00FF)\n"
			" * into dst[0..cap) (dst NULL: count only); *n the byte count. jansson\n"
			" * has checked the UTF-8, so a lead byte above 0xc3 is a code point\n"
			" * above U+00FF.\n */\n"
			"static inline int %s__jlatin1(json_t *j, uint8_t *dst, size_t cap, size_t *n)\n{\n"
			"\tconst unsigned char *s;\n"
			"\tsize_t len, i = 0, k = 0;\n\n"
			"\tif (!json_is_string(j))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\ts = (const unsigned char *)json_string_value(j);\n"
			"\tlen = json_string_length(j);\n"
			"\twhile (i < len) {\n"
			"\t\tunsigned cp;\n\n"
			"\t\tif (s[i] < 0x80) {\n\t\t\tcp = s[i];\n\t\t\ti += 1;\n"
			"\t\t} else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < len && (s[i + 1] & 0xc0) == 0x80) {\n"
			"\t\t\tcp = (unsigned)(s[i] & 0x1f) << 6 | (s[i + 1] & 0x3f);\n\t\t\ti += 2;\n"
			"\t\t} else {\n\t\t\treturn REGIT_AVRO_EINVALID;\n\t\t}\n"
			"\t\tif (k == cap)\n\t\t\treturn REGIT_AVRO_EINVALID;\n"
			"\t\tif (dst)\n\t\t\tdst[k] = (uint8_t)cp;\n"
			"\t\tk++;\n\t}\n"
			"\t*n = k;\n\treturn 0;\n}\n\n", N);
	if (use & USE_BYTES)
		GEN_OUT(g, c, 0,
			"static inline int %s__jget_bytes(json_t *j, regit_avro_bytes *out, regit_avro_arena *arena)\n{\n"
			"\tuint8_t *p;\n"
			"\tsize_t n = 0;\n\n"
			"\tif (!json_is_string(j))\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\tif (json_string_length(j) == 0) {\n"
			"\t\tout->ptr = (const uint8_t *)\"\";\n\t\tout->len = 0;\n\t\treturn 0;\n\t}\n"
			"\t/* Never more bytes than the UTF-8 text has. */\n"
			"\tp = (uint8_t *)regit_avro_arena_alloc(arena, json_string_length(j));\n"
			"\tif (!p)\n\t\treturn REGIT_AVRO_ENOMEM;\n"
			"\tREGIT_AVRO_TRY(%s__jlatin1(j, p, json_string_length(j), &n));\n"
			"\tout->ptr = p;\n\tout->len = n;\n\treturn 0;\n}\n\n", N, N);
	if (use & USE_FIXED)
		GEN_OUT(g, c, 0,
			"static inline int %s__jget_fixed(json_t *j, uint8_t *out, size_t size)\n{\n"
			"\tsize_t n = 0;\n\n"
			"\tREGIT_AVRO_TRY(%s__jlatin1(j, out, size, &n));\n"
			"\treturn n == size ? 0 : REGIT_AVRO_EINVALID;\n}\n\n", N, N);
	if (use & USE_UNION)
		GEN_OUT(g, c, 0,
			"/* A non-null union value: an object with exactly one member. */\n"
			"static inline int %s__jget_branch(json_t *j, const char **key, size_t *klen, json_t **value)\n{\n"
			"\tvoid *it;\n\n"
			"\tif (!json_is_object(j) || json_object_size(j) != 1)\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\tit = json_object_iter(j);\n"
			"\tif (!it)\n\t\treturn REGIT_AVRO_EINVALID;\n"
			"\t*key = json_object_iter_key(it);\n"
			"\t*klen = json_object_iter_key_len(it);\n"
			"\t*value = json_object_iter_value(it);\n"
			"\treturn 0;\n}\n\n", N);
}

static void emit_tables_and_protos(gen_ctx *g)
{
	regit_buf *c = g->c;
	size_t i, k;

	for (i = 0; i < g->nnamed; i++) {
		gen_named *n = &g->named[i];
		const regit_type *t = n->type;

		if (t->kind != REGIT_TYPE_ENUM)
			continue;
		GEN_OUT(g, c, 0, "static const char *const %s[%zu] = {\n", jfn(g, "syms", n),
			t->nsymbols ? t->nsymbols : 1);
		for (k = 0; k < t->nsymbols; k++)
			GEN_OUT(g, c, 1, "%s%s\n", regit_gen__c_literal(g, t->symbols[k],
				strlen(t->symbols[k])), k + 1 < t->nsymbols ? "," : "");
		GEN_OUT(g, c, 0, "};\n\n");
	}
	for (i = 0; i < g->nnamed; i++) {
		gen_named *n = &g->named[i];

		if (n->type->kind != REGIT_TYPE_RECORD)
			continue;
		GEN_OUT(g, c, 0, "static int %s(const %s *in, json_t *o, unsigned depth);\n",
			jfn(g, "jw", n), n->cname);
		GEN_OUT(g, c, 0, "static int %s(json_t *j, %s *out, regit_avro_arena *arena, unsigned depth);\n",
			jfn(g, "jr", n), n->cname);
	}
	GEN_OUT(g, c, 0, "\n");
}

static void emit_record_json_fns(gen_ctx *g, gen_named *n)
{
	const regit_type *t = n->type;
	regit_buf *c = g->c;
	size_t i;
	jw_dest d;

	/* writer: fills o, an object already attached to its parent */
	GEN_OUT(g, c, 0, "static int %s(const %s *in, json_t *o, unsigned depth)\n{\n",
		jfn(g, "jw", n), n->cname);
	GEN_OUT(g, c, 1, "(void)in;\n\t(void)o;\n");
	GEN_OUT(g, c, 1, "if (depth > REGIT_AVRO_MAX_DEPTH)\n\t\treturn REGIT_AVRO_ELIMIT;\n");
	d.parent = "o";
	for (i = 0; i < t->nfields; i++) {
		const char *fname = t->fields[i].name;

		d.key = regit_gen__c_literal(g, fname, strlen(fname));
		d.klen = GEN_STR(g, "%zu", strlen(fname));
		emit_jw(g, c, t->fields[i].type, GEN_POS_FIELD, GEN_STR(g, "in->%s", n->members[i]),
			n->has_members[i] ? GEN_STR(g, "in->%s", n->has_members[i]) : NULL, d, 1);
	}
	GEN_OUT(g, c, 1, "return 0;\n}\n\n");

	/* reader: every field present (or defaulted), no other member */
	GEN_OUT(g, c, 0, "static int %s(json_t *j, %s *out, regit_avro_arena *arena, unsigned depth)\n{\n",
		jfn(g, "jr", n), n->cname);
	GEN_OUT(g, c, 1, "size_t seen = 0;\n\n");
	GEN_OUT(g, c, 1, "(void)out;\n\t(void)arena;\n");
	GEN_OUT(g, c, 1, "if (depth > REGIT_AVRO_MAX_DEPTH)\n\t\treturn REGIT_AVRO_ELIMIT;\n");
	GEN_OUT(g, c, 1, "if (!json_is_object(j))\n\t\treturn REGIT_AVRO_EINVALID;\n");
	for (i = 0; i < t->nfields; i++) {
		const regit_field *f = &t->fields[i];
		const char *e = GEN_STR(g, "out->%s", n->members[i]);
		const char *pr = n->has_members[i] ? GEN_STR(g, "out->%s", n->has_members[i]) : NULL;
		const char *def = field_default(g, f, e, pr);
		unsigned v = g->var++;

		GEN_OUT(g, c, 1, "{\n");
		GEN_OUT(g, c, 2, "json_t *f__%u = json_object_get(j, %s);\n\n", v,
			regit_gen__c_literal(g, f->name, strlen(f->name)));
		GEN_OUT(g, c, 2, "if (f__%u) {\n", v);
		GEN_OUT(g, c, 3, "seen++;\n");
		emit_jr(g, c, f->type, GEN_POS_FIELD, e, pr, GEN_STR(g, "f__%u", v), 3);
		GEN_OUT(g, c, 2, "} else {\n");
		if (def[0]) {
			GEN_OUT(g, c, 3, "/* missing: the field's default */\n");
			GEN_OUT(g, c, 0, "%s", def);
		} else {
			GEN_OUT(g, c, 3, "return REGIT_AVRO_EINVALID;\n");
		}
		GEN_OUT(g, c, 2, "}\n");
		GEN_OUT(g, c, 1, "}\n");
	}
	GEN_OUT(g, c, 1, "/* Duplicate keys are refused by the parser: a count mismatch is an\n"
		"\t * unknown member. */\n");
	GEN_OUT(g, c, 1, "if (seen != json_object_size(j))\n\t\treturn REGIT_AVRO_EINVALID;\n");
	GEN_OUT(g, c, 1, "return 0;\n}\n\n");
}

static void emit_public_json(gen_ctx *g)
{
	const char *N = g->name, *root_depth;
	regit_buf *h = g->h, *c = g->c;
	jw_dest d;

	GEN_OUT(g, h, 0,
		"/**\n * Avro JSON encoding of *in (one line, the text Avro-C's\n"
		" * avro_value_to_json writes, except that union branches of named types\n"
		" * carry the full name). *out is malloc'ed and NUL-terminated: free() it.\n"
		" * @param len  strlen(*out) (may be NULL)\n"
		" * @return 0, REGIT_AVRO_EINVALID (NaN or infinite float/double, string or\n"
		" *         map key not UTF-8, map key with a NUL byte or duplicated, enum\n"
		" *         or union tag out of range, NULL pointer with a nonzero count),\n"
		" *         REGIT_AVRO_ELIMIT, REGIT_AVRO_ENOMEM\n */\n"
		"int %s_to_json(const %s *in, char **out, size_t *len);\n\n"
		"/**\n * Parse Avro JSON from json[0..len) (hostile input is fine). Strings,\n"
		" * bytes, arrays, maps and recursive records are allocated from arena\n"
		" * (NULL only if the value needs none); nothing else to free. Every field\n"
		" * must be present, except fields with a default; unknown fields, union\n"
		" * members other than the branch's full (or unambiguous short) name,\n"
		" * ints out of range and bytes above U+00FF are errors. On failure *out\n"
		" * is unspecified.\n"
		" * @return 0, REGIT_AVRO_EINVALID (not JSON, or not a value of the\n"
		" *         schema), REGIT_AVRO_ELIMIT (nesting), REGIT_AVRO_ENOMEM\n */\n"
		"int %s_from_json(%s *out, const char *json, size_t len, regit_avro_arena *arena);\n\n",
		N, N, N, N);

	/*
	 * The depth the root wrappers start from. A root record is depth 0 in
	 * NAME_decode, but here it is reached through a call with depth + 1:
	 * starting from (unsigned)-1 (+ 1 wraps to 0, defined for unsigned)
	 * makes JSON accept exactly the nesting binary decoding accepts.
	 */
	root_depth = g->root->kind == REGIT_TYPE_RECORD ?
		"unsigned depth = (unsigned)-1; /* the root record is depth 0 */\n\n\t(void)depth;\n" :
		"unsigned depth = 0;\n\n\t(void)depth;\n";

	/* to_json: the value goes into a one-item holder array, so the root
	 * is attached like any other value. */
	GEN_OUT(g, c, 0, "static inline int %s__jw__root(const %s *in, json_t *holder)\n{\n", N, N);
	GEN_OUT(g, c, 1, "%s", root_depth);
	d.parent = "holder";
	d.key = "NULL";
	d.klen = "0";
	emit_jw(g, c, g->root, GEN_POS_ROOT, "(*in)", NULL, d, 1);
	GEN_OUT(g, c, 1, "return 0;\n}\n\n");

	GEN_OUT(g, c, 0, "int %s_to_json(const %s *in, char **out, size_t *len)\n{\n", N, N);
	GEN_OUT(g, c, 1, "json_t *holder, *root;\n\tchar *s;\n\tsize_t n;\n\tint rc;\n\n");
	GEN_OUT(g, c, 1, "if (len)\n\t\t*len = 0;\n");
	GEN_OUT(g, c, 1, "if (!out)\n\t\treturn REGIT_AVRO_EINVALID;\n");
	GEN_OUT(g, c, 1, "*out = NULL;\n");
	GEN_OUT(g, c, 1, "if (!in)\n\t\treturn REGIT_AVRO_EINVALID;\n");
	GEN_OUT(g, c, 1, "holder = json_array();\n");
	GEN_OUT(g, c, 1, "if (!holder)\n\t\treturn REGIT_AVRO_ENOMEM;\n");
	GEN_OUT(g, c, 1, "rc = %s__jw__root(in, holder);\n", N);
	GEN_OUT(g, c, 1, "if (rc == 0) {\n");
	GEN_OUT(g, c, 2, "root = json_array_get(holder, 0);\n");
	GEN_OUT(g, c, 2, "n = json_dumpb(root, NULL, 0, %s__JSON_FLAGS);\n", N);
	GEN_OUT(g, c, 2, "s = n && n < SIZE_MAX ? (char *)malloc(n + 1) : NULL;\n");
	GEN_OUT(g, c, 2, "if (!s || json_dumpb(root, s, n, %s__JSON_FLAGS) != n) {\n", N);
	GEN_OUT(g, c, 3, "free(s);\n\t\t\trc = REGIT_AVRO_ENOMEM;\n");
	GEN_OUT(g, c, 2, "} else {\n");
	GEN_OUT(g, c, 3, "s[n] = '\\0';\n\t\t\t*out = s;\n\t\t\tif (len)\n\t\t\t\t*len = n;\n");
	GEN_OUT(g, c, 2, "}\n\t}\n");
	GEN_OUT(g, c, 1, "json_decref(holder);\n\treturn rc;\n}\n\n");

	/* from_json */
	GEN_OUT(g, c, 0, "static inline int %s__jr__root(json_t *j, %s *out, regit_avro_arena *arena)\n{\n",
		N, N);
	GEN_OUT(g, c, 1, "%s\t(void)arena;\n", root_depth);
	emit_jr(g, c, g->root, GEN_POS_ROOT, "(*out)", NULL, "j", 1);
	GEN_OUT(g, c, 1, "return 0;\n}\n\n");

	GEN_OUT(g, c, 0, "int %s_from_json(%s *out, const char *json, size_t len, regit_avro_arena *arena)\n{\n",
		N, N);
	GEN_OUT(g, c, 1, "json_error_t err;\n\tjson_t *root;\n\tint rc;\n\n");
	GEN_OUT(g, c, 1, "if (!out || (!json && len))\n\t\treturn REGIT_AVRO_EINVALID;\n");
	GEN_OUT(g, c, 1, "/* One value, nothing after it; \\u0000 allowed (bytes hold NULs). */\n");
	GEN_OUT(g, c, 1, "root = json_loadb(json ? json : \"\", len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);\n");
	GEN_OUT(g, c, 1, "if (!root) {\n");
	GEN_OUT(g, c, 2, "switch (json_error_code(&err)) {\n");
	GEN_OUT(g, c, 2, "case json_error_out_of_memory:\n\t\t\treturn REGIT_AVRO_ENOMEM;\n");
	GEN_OUT(g, c, 2, "case json_error_stack_overflow:\n\t\t\treturn REGIT_AVRO_ELIMIT;\n");
	GEN_OUT(g, c, 2, "default:\n\t\t\treturn REGIT_AVRO_EINVALID;\n\t\t}\n\t}\n");
	GEN_OUT(g, c, 1, "rc = %s__jr__root(root, out, arena);\n", N);
	GEN_OUT(g, c, 1, "json_decref(root);\n\treturn rc;\n}\n\n");
}

void regit_gen__emit_json(gen_ctx *g)
{
	size_t i;

	if (g->error)
		return;
	emit_helpers(g);
	emit_tables_and_protos(g);
	for (i = 0; i < g->nnamed; i++) {
		if (g->named[i].type->kind == REGIT_TYPE_RECORD)
			emit_record_json_fns(g, &g->named[i]);
	}
	emit_public_json(g);
}
