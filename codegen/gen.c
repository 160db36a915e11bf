/*
 * gen.c - generate C types, encoders and decoders from an Avro schema.
 *
 * The generator walks the schema graph once to give every named type a C
 * name, finds records that can reach themselves (they are stored behind
 * pointers where by-value storage would be infinite), then writes:
 *   NAME.h: type definitions (each guarded so headers sharing a type can be
 *           included together) and the public entry points;
 *   NAME.c: one static encode/decode/size function per record, with arrays,
 *           maps and unions emitted inline, then the public wrappers.
 * The emitted decoders check every length and index against the remaining
 * input (see regit_avro.h); encoders check every write against the buffer.
 *
 * This file is the driver: it owns naming, the type definitions, the
 * encoders, R_init and the public wrappers, and calls the emitters in
 * gen_internal.h (decode statements, defaults, JSON codecs, resolving
 * decoders); they and it share the helpers in gen_util.h. Nothing calls
 * back into this file (codegen/README.md).
 */
#include "codegen/gen.h"
#include "codegen/gen_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"
#include "util/hash.h"

/* ---------------------------------------------------------------------- */
/* Names                                                                   */

static const char *const c_keywords[] = {
	"auto", "break", "case", "char", "const", "continue", "default", "do",
	"double", "else", "enum", "extern", "float", "for", "goto", "if",
	"inline", "int", "long", "register", "restrict", "return", "short",
	"signed", "sizeof", "static", "struct", "switch", "typedef", "union",
	"unsigned", "void", "volatile", "while", "bool", "true", "false",
	"_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic",
	"_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
	NULL
};

/* C++ keywords (and alternative tokens): generated headers compile as C++. */
static const char *const cxx_keywords[] = {
	"alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "catch",
	"char8_t", "char16_t", "char32_t", "class", "co_await", "co_return",
	"co_yield", "compl", "concept", "const_cast", "consteval", "constexpr",
	"constinit", "decltype", "delete", "dynamic_cast", "explicit", "export",
	"friend", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
	"nullptr", "operator", "or", "or_eq", "private", "protected", "public",
	"reinterpret_cast", "requires", "static_assert", "static_cast", "template",
	"this", "thread_local", "throw", "try", "typeid", "typename", "using",
	"virtual", "wchar_t", "xor", "xor_eq",
	NULL
};

/*
 * Object-like macros of the headers generated code includes (stdbool,
 * stddef, stdint, stdlib, string; float, math and jansson with --json) and
 * of the usual companions (stdio, errno, limits, assert): a member or type
 * named like one would be replaced by the preprocessor. The families of
 * <stdint.h>, <limits.h>, <float.h> and <math.h> are matched by
 * lib_macro_family() below.
 */
static const char *const lib_macros[] = {
	"NULL", "EOF", "errno", "assert", "offsetof", "stdin", "stdout", "stderr",
	"BUFSIZ", "FILENAME_MAX", "FOPEN_MAX", "L_tmpnam", "TMP_MAX", "SEEK_CUR",
	"SEEK_END", "SEEK_SET", "EXIT_SUCCESS", "EXIT_FAILURE", "RAND_MAX",
	"MB_CUR_MAX", "MB_LEN_MAX", "CHAR_BIT", "DECIMAL_DIG", "HUGE_VAL",
	"HUGE_VALF", "HUGE_VALL", "INFINITY", "NAN", "MATH_ERRNO", "MATH_ERREXCEPT",
	"math_errhandling", "EDOM", "ERANGE", "EILSEQ", "json_auto_t", "json_boolean_value",
	"JSON_ALLOW_NUL", "JSON_COMPACT", "JSON_DECODE_ANY", "JSON_DECODE_INT_AS_REAL",
	"JSON_DISABLE_EOF_CHECK", "JSON_EMBED", "JSON_ENCODE_ANY", "JSON_ENSURE_ASCII",
	"JSON_ERROR_SOURCE_LENGTH", "JSON_ERROR_TEXT_LENGTH", "JSON_ESCAPE_SLASH",
	"JSON_INLINE", "JSON_INTEGER_FORMAT", "JSON_INTEGER_IS_LONG_LONG",
	"JSON_MAX_INDENT", "JSON_PARSER_MAX_DEPTH", "JSON_PRESERVE_ORDER",
	"JSON_REJECT_DUPLICATES", "JSON_SORT_KEYS", "JSON_STRICT", "JSON_VALIDATE_ONLY",
	NULL
};

/* Names the generated functions use for parameters and locals, and
 * library names: no generated type or constant may take them. */
static const char *const reserved_globals[] = {
	"NULL", "errno", "assert", "offsetof", "main", "memset", "memcpy",
	"int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
	"uint32_t", "uint64_t", "size_t", "in", "out", "p", "end", "pp",
	"arena", "depth", "buf", "len", "cap", "written", "consumed", "s", "rc",
	"n", "dummy", "empty", "payload", "plen", "used", "id", "key", "scratch",
	"schema_id", "writer_id", "v", "json", "err", "root", NULL
};

static int in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list[i]; i++) {
		if (strcmp(list[i], s) == 0)
			return 1;
	}
	return 0;
}

/* Generated locals are a letter, two underscores and a number ("i__3"). */
static int looks_local(const char *s)
{
	size_t i;

	if (!islower((unsigned char)s[0]) || s[1] != '_' || s[2] != '_' || !s[3])
		return 0;
	for (i = 3; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The macro families of <stdint.h> and <limits.h> (INT32_MAX, UINT_FAST8_MAX,
 * SIZE_MAX, LLONG_MIN, ...; also the C23 _WIDTH ones), and <float.h> and
 * <math.h> (FLT_*, DBL_*, LDBL_*, FP_*), which C reserves.
 */
static int lib_macro_family(const char *s)
{
	static const char *const stems[] = {
		"CHAR", "SCHAR", "UCHAR", "SHRT", "USHRT", "INT", "UINT", "LONG",
		"ULONG", "LLONG", "ULLONG", "SIZE", "PTRDIFF", "SIG_ATOMIC", "WCHAR",
		"WINT", "INTMAX", "UINTMAX", "INTPTR", "UINTPTR", "BOOL", NULL
	};
	static const char *const ends[] = { "_MAX", "_MIN", "_WIDTH", NULL };
	const char *p = s;
	size_t i, n = strlen(s);

	if (has_prefix(s, "FLT_") || has_prefix(s, "DBL_") || has_prefix(s, "LDBL_") ||
	    has_prefix(s, "FP_") || has_prefix(s, "JANSSON_"))
		return 1;
	for (i = 0; ends[i]; i++) {
		size_t el = strlen(ends[i]);

		if (n > el && strcmp(s + n - el, ends[i]) == 0)
			break;
	}
	if (!ends[i])
		return 0;
	n -= strlen(ends[i]);
	for (i = 0; stems[i]; i++) {
		if (strlen(stems[i]) == n && strncmp(s, stems[i], n) == 0)
			return 1;
	}
	/* U?INT(_LEAST|_FAST)?(8|16|32|64) */
	if (*p == 'U')
		p++;
	if (strncmp(p, "INT", 3) != 0)
		return 0;
	p += 3;
	if (strncmp(p, "_LEAST", 6) == 0)
		p += 6;
	else if (strncmp(p, "_FAST", 5) == 0)
		p += 5;
	return (size_t)(p - s) < n &&
		((n - (size_t)(p - s) == 1 && strncmp(p, "8", 1) == 0) ||
		 (n - (size_t)(p - s) == 2 && (strncmp(p, "16", 2) == 0 ||
		  strncmp(p, "32", 2) == 0 || strncmp(p, "64", 2) == 0)));
}

/* A name C or C++ (or a library macro) would not take as an identifier. */
static int is_keyword(const char *s)
{
	return in_list(c_keywords, s) || in_list(cxx_keywords, s) ||
		in_list(lib_macros, s) || lib_macro_family(s);
}

static const char *gen_upper(gen_ctx *g, const char *s)
{
	char *u = regit_strdup(s);
	size_t i;

	if (!u) {
		regit_gen__check(g, REGIT_ENOMEM);
		return "X";
	}
	for (i = 0; u[i]; i++)
		u[i] = (char)toupper((unsigned char)u[i]);
	u = regit_gen__keep(g, u);
	return u ? u : "X";
}

static int ids_has(char **ids, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(ids[i], s) == 0)
			return 1;
	}
	return 0;
}

/* Claim a global identifier derived from base, suffixing _2, _3... on clash. */
static const char *gen_claim(gen_ctx *g, const char *base)
{
	const char *s = base;
	unsigned k = 2;
	char **n;

	/* regit_avro_* / REGIT_AVRO_* belong to the runtime header, where no
	 * name ends in "_" or holds "__": a type called regit_avro_str becomes
	 * regit_avro_str_, and its constants (REGIT_AVRO_STR__X) are safe. */
	if ((strncmp(base, "regit_avro", 10) == 0 || strncmp(base, "REGIT_AVRO", 10) == 0) &&
	    !strstr(base, "__") && base[strlen(base) - 1] != '_')
		base = s = GEN_STR(g, "%s_", base);
	while (is_keyword(s) || in_list(reserved_globals, s) || looks_local(s) ||
	       ids_has(g->ids, g->nids, s))
		s = GEN_STR(g, "%s_%u", base, k++);
	if (g->error)
		return "x";
	n = regit_array_grow(g->ids, &g->aids, g->nids + 1, sizeof(*n), 64);
	if (!n) {
		regit_gen__check(g, REGIT_ENOMEM);
		return "x";
	}
	g->ids = n;
	g->ids[g->nids++] = (char *)s;
	return s;
}

static const char *gen_prefixed(gen_ctx *g, const char *snake)
{
	if (g->opts->prefix && g->opts->prefix[0])
		return GEN_STR(g, "%s_%s", regit_gen__snake(g, g->opts->prefix), snake);
	return snake;
}

/* ---------------------------------------------------------------------- */
/* Schema analysis                                                         */

static void gen_collect(gen_ctx *g, const regit_type *t, unsigned depth)
{
	gen_named *n;
	size_t i;

	if (g->error)
		return;
	if (depth > 1000) {
		regit_gen__fail(g, REGIT_ELIMIT, "schema nests deeper than 1000 levels");
		return;
	}
	if (regit_type_is_named(t)) {
		if (regit_gen__named(g, t))
			return;
		n = regit_array_grow(g->named, &g->anamed, g->nnamed + 1, sizeof(*n), 16);
		if (!n) {
			regit_gen__check(g, REGIT_ENOMEM);
			return;
		}
		g->named = n;
		n = &g->named[g->nnamed++];
		memset(n, 0, sizeof(*n));
		n->type = t;
	}
	switch (t->kind) {
	case REGIT_TYPE_RECORD:
		for (i = 0; i < t->nfields; i++)
			gen_collect(g, t->fields[i].type, depth + 1);
		break;
	case REGIT_TYPE_ENUM:
		/* C has no empty enum, and such a field could hold no value. */
		if (t->nsymbols == 0)
			regit_gen__fail(g, REGIT_EINVALID, "enum %s has no symbols: it has no value",
				t->fullname);
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		gen_collect(g, t->items, depth + 1);
		break;
	case REGIT_TYPE_UNION:
		for (i = 0; i < t->nbranches; i++)
			gen_collect(g, t->branches[i], depth + 1);
		break;
	default:
		break;
	}
}

/* Can `from` reach `target` (through any path)? seen: named types visited. */
static int gen_reaches(const regit_type *from, const regit_type *target,
	const regit_type **seen, size_t *nseen, size_t maxseen)
{
	size_t i;

	if (regit_type_is_named(from)) {
		for (i = 0; i < *nseen; i++) {
			if (seen[i] == from)
				return 0;
		}
		if (*nseen < maxseen)
			seen[(*nseen)++] = from;
	}
	switch (from->kind) {
	case REGIT_TYPE_RECORD:
		for (i = 0; i < from->nfields; i++) {
			if (from->fields[i].type == target ||
			    gen_reaches(from->fields[i].type, target, seen, nseen, maxseen))
				return 1;
		}
		return 0;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		return from->items == target || gen_reaches(from->items, target, seen, nseen, maxseen);
	case REGIT_TYPE_UNION:
		for (i = 0; i < from->nbranches; i++) {
			if (from->branches[i] == target ||
			    gen_reaches(from->branches[i], target, seen, nseen, maxseen))
				return 1;
		}
		return 0;
	default:
		return 0;
	}
}

/* Names for every named type and record member; recursion flags. */
static void gen_name_types(gen_ctx *g)
{
	const regit_type **seen = NULL;
	size_t i, j, k, nseen, maxseen = g->nnamed + 1;

	seen = regit_calloc(maxseen, sizeof(*seen));
	if (!seen) {
		regit_gen__check(g, REGIT_ENOMEM);
		return;
	}
	for (i = 0; i < g->nnamed && !g->error; i++) {
		gen_named *n = &g->named[i];
		const regit_type *t = n->type;

		if (t == g->root)
			n->cname = g->name;
		else
			n->cname = (char *)gen_claim(g, gen_prefixed(g, regit_gen__snake(g, t->name)));
		n->upper = (char *)gen_upper(g, n->cname);
		if (t->kind != REGIT_TYPE_RECORD)
			continue;
		/* NAME_init of the root was reserved with the entry points. */
		n->init = (char *)(t == g->root ? GEN_STR(g, "%s_init", g->name) :
			gen_claim(g, GEN_STR(g, "%s_init", n->cname)));
		nseen = 0;
		n->recursive = gen_reaches(t, t, seen, &nseen, maxseen);
		n->members = regit_calloc(t->nfields + 1, sizeof(char *));
		n->has_members = regit_calloc(t->nfields + 1, sizeof(char *));
		if (!n->members || !n->has_members) {
			regit_gen__check(g, REGIT_ENOMEM);
			break;
		}
		/* Members: field names, keywords suffixed, unique in the record. */
		for (j = 0; j < t->nfields; j++) {
			const char *m = t->fields[j].name;
			unsigned suffix = 2;

			if (is_keyword(m) || strncmp(m, "regit_", 6) == 0)
				m = GEN_STR(g, "%s_", m);
			for (;;) {
				int clash = 0;

				for (k = 0; k < j && !clash; k++) {
					clash = strcmp(n->members[k], m) == 0 ||
						(n->has_members[k] && strcmp(n->has_members[k], m) == 0);
				}
				if (!clash)
					break;
				m = GEN_STR(g, "%s_%u", t->fields[j].name, suffix++);
			}
			n->members[j] = (char *)m;
			if (regit_gen__is_optional(t->fields[j].type, NULL, NULL))
				n->has_members[j] = (char *)GEN_STR(g, "has_%s", m);
		}
		/* A presence member may still clash with a later plain field. */
		for (j = 0; j < t->nfields; j++) {
			if (!n->has_members[j])
				continue;
			for (k = 0; k < t->nfields; k++) {
				if (k != j && strcmp(n->members[k], n->has_members[j]) == 0)
					n->has_members[j] = (char *)GEN_STR(g, "has_%s_", n->members[j]);
			}
		}
	}
	regit_free(seen);
}

/* ---------------------------------------------------------------------- */
/* Types                                                                   */

static void emit_member(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *path, const char *name, int ind, int extra_ptr);

/* The member name without "as_" ("" after an allocation failure). */
static const char *branch_suffix(gen_ctx *g, const regit_type *u, size_t k)
{
	const char *m = regit_gen__branch_member(g, u, k);

	return strlen(m) > 3 ? m + 3 : "x";
}

static void emit_tag_constants(gen_ctx *g, const regit_type *u, const char *path)
{
	size_t k;

	GEN_OUT(g, &g->decls, 0, "/* Tags of %s (the branch index). */\nenum {\n",
		GEN_STR(g, "%s", path));
	for (k = 0; k < u->nbranches; k++) {
		const regit_type *b = u->branches[k];
		const char *base = branch_suffix(g, u, k);

		(void)b;
		GEN_OUT(g, &g->decls, 1, "%s = %zu%s\n",
			gen_claim(g, GEN_STR(g, "%s_%s", path, gen_upper(g, base))), k,
			k + 1 < u->nbranches ? "," : "");
	}
	GEN_OUT(g, &g->decls, 0, "};\n\n");
}

/* The C type for t, without the member name. Multi-line for compounds. */
static void emit_ctype(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *path, int ind)
{
	size_t vb = 0, k;

	(void)pos;
	switch (t->kind) {
	case REGIT_TYPE_NULL: GEN_OUT(g, b, 0, "char"); break;
	case REGIT_TYPE_BOOLEAN: GEN_OUT(g, b, 0, "bool"); break;
	case REGIT_TYPE_INT: GEN_OUT(g, b, 0, "int32_t"); break;
	case REGIT_TYPE_LONG: GEN_OUT(g, b, 0, "int64_t"); break;
	case REGIT_TYPE_FLOAT: GEN_OUT(g, b, 0, "float"); break;
	case REGIT_TYPE_DOUBLE: GEN_OUT(g, b, 0, "double"); break;
	case REGIT_TYPE_STRING: GEN_OUT(g, b, 0, "regit_avro_str"); break;
	case REGIT_TYPE_BYTES: GEN_OUT(g, b, 0, "regit_avro_bytes"); break;
	case REGIT_TYPE_RECORD:
	case REGIT_TYPE_ENUM:
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, b, 0, "%s", regit_gen__named(g, t)->cname);
		break;
	case REGIT_TYPE_ARRAY:
		GEN_OUT(g, b, 0, "struct {\n");
		if (t->items->kind != REGIT_TYPE_NULL)
			emit_member(g, b, t->items, GEN_POS_ITEM, GEN_STR(g, "%s_ITEM", path),
				"items", ind + 1, 1);
		GEN_OUT(g, b, ind + 1, "size_t count;\n");
		GEN_OUT(g, b, ind, "}");
		break;
	case REGIT_TYPE_MAP:
		GEN_OUT(g, b, 0, "struct {\n");
		GEN_OUT(g, b, ind + 1, "struct {\n");
		GEN_OUT(g, b, ind + 2, "regit_avro_str key;\n");
		if (t->items->kind != REGIT_TYPE_NULL)
			emit_member(g, b, t->items, GEN_POS_MAPVAL, GEN_STR(g, "%s_VALUE", path),
				"value", ind + 2, 0);
		GEN_OUT(g, b, ind + 1, "} *entries;\n");
		GEN_OUT(g, b, ind + 1, "size_t count;\n");
		GEN_OUT(g, b, ind, "}");
		break;
	case REGIT_TYPE_UNION:
		if (regit_gen__is_optional(t, &vb, NULL)) {
			GEN_OUT(g, b, 0, "struct {\n");
			GEN_OUT(g, b, ind + 1, "bool present;\n");
			emit_member(g, b, t->branches[vb], GEN_POS_OPTVAL, path, "value", ind + 1, 0);
			GEN_OUT(g, b, ind, "}");
			break;
		}
		emit_tag_constants(g, t, path);
		GEN_OUT(g, b, 0, "struct {\n");
		GEN_OUT(g, b, ind + 1, "int tag; /* %s_* */\n", path);
		for (k = 0; k < t->nbranches; k++) {
			if (t->branches[k]->kind != REGIT_TYPE_NULL)
				break;
		}
		if (k < t->nbranches) {
			/* A struct inside an anonymous union is C11, but an
			 * extension in C++ (clang++ -pedantic warns). */
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_ANON_UNION {\n");
			for (k = 0; k < t->nbranches; k++) {
				if (t->branches[k]->kind == REGIT_TYPE_NULL)
					continue;
				emit_member(g, b, t->branches[k], GEN_POS_BRANCH,
					GEN_STR(g, "%s_%s", path,
						gen_upper(g, branch_suffix(g, t, k))),
					regit_gen__branch_member(g, t, k), ind + 2, 0);
			}
			GEN_OUT(g, b, ind + 1, "};\n");
		}
		GEN_OUT(g, b, ind, "}");
		break;
	}
}

/* Does a member of the record being defined have the C name `cname`? */
static int member_hides(gen_ctx *g, const char *cname)
{
	size_t i;

	if (!g->in_record)
		return 0;
	for (i = 0; i < g->in_record->type->nfields; i++) {
		if (strcmp(g->in_record->members[i], cname) == 0 ||
		    (g->in_record->has_members[i] && strcmp(g->in_record->has_members[i], cname) == 0))
			return 1;
	}
	return 0;
}

static void emit_member(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *path, const char *name, int ind, int extra_ptr)
{
	int stars = extra_ptr + regit_gen__ptr_needed(g, t, pos);

	if (t->kind == REGIT_TYPE_NULL && !extra_ptr) {
		GEN_OUT(g, b, ind, "/* %s: null, no storage */\n", name);
		return;
	}
	GEN_OUT(g, b, ind, "%s", "");
	/*
	 * A member named like a type ("plan plan;") is C but not C++, where
	 * the member changes what "plan" means in the rest of the struct
	 * (nested ones included): name such a type so that C++ does not look
	 * it up in the struct (an elaborated "enum plan" / "struct r", or ::f
	 * for a fixed typedef).
	 */
	if (regit_type_is_named(t) && member_hides(g, regit_gen__named(g, t)->cname))
		GEN_OUT(g, b, 0, "%s", t->kind == REGIT_TYPE_RECORD ? "struct " :
			t->kind == REGIT_TYPE_ENUM ? "enum " : "REGIT_AVRO_GLOBAL ");
	emit_ctype(g, b, t, pos, path, ind);
	GEN_OUT(g, b, 0, " %s%s;\n", stars == 2 ? "**" : stars == 1 ? "*" : "", name);
}

/* The FNV-1a seed of type guards (see type_guard). */
#define GEN_GUARD_SEED 1469598103934665603ULL

/* FNV-1a over a structural signature: a guard that differs when two headers
 * define the same C name differently, so such a clash fails to compile. */
static void type_sig(gen_ctx *g, regit_buf *b, const regit_type *t, int top)
{
	size_t i;

	if (regit_type_is_named(t) && !top) {
		GEN_OUT(g, b, 0, "@%s", t->fullname);
		return;
	}
	GEN_OUT(g, b, 0, "%s", regit_type_kind_name(t->kind));
	switch (t->kind) {
	case REGIT_TYPE_RECORD:
		GEN_OUT(g, b, 0, "%s{", t->fullname);
		for (i = 0; i < t->nfields; i++) {
			GEN_OUT(g, b, 0, "%s:", t->fields[i].name);
			type_sig(g, b, t->fields[i].type, 0);
			GEN_OUT(g, b, 0, ",");
		}
		GEN_OUT(g, b, 0, "}");
		break;
	case REGIT_TYPE_ENUM:
		for (i = 0; i < t->nsymbols; i++)
			GEN_OUT(g, b, 0, ",%s", t->symbols[i]);
		break;
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, b, 0, "%zu", t->size);
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		GEN_OUT(g, b, 0, "<");
		type_sig(g, b, t->items, 0);
		GEN_OUT(g, b, 0, ">");
		break;
	case REGIT_TYPE_UNION:
		GEN_OUT(g, b, 0, "[");
		for (i = 0; i < t->nbranches; i++) {
			type_sig(g, b, t->branches[i], 0);
			GEN_OUT(g, b, 0, ",");
		}
		GEN_OUT(g, b, 0, "]");
		break;
	default:
		break;
	}
}

static const char *type_guard(gen_ctx *g, gen_named *n)
{
	regit_buf b = REGIT_BUF_INIT;
	uint64_t h;

	type_sig(g, &b, n->type, 1);
	GEN_OUT(g, &b, 0, "|%s|%d", g->opts->prefix ? g->opts->prefix : "", REGIT_GEN_ABI);
	/*
	 * Not FNV's standard offset basis (a digit went missing long ago), but
	 * headers from earlier regit versions carry guards made with it: a
	 * different seed would make identical types look different to them.
	 */
	h = regit_hash_fnv1a(GEN_GUARD_SEED, b.ptr ? b.ptr : "", b.size);
	regit_buf_dispose(&b);
	return GEN_STR(g, "REGIT_AVRO_TYPE_%s_%016llx", n->upper, (unsigned long long)h);
}

static void emit_enum_def(gen_ctx *g, gen_named *n)
{
	const regit_type *t = n->type;
	const char *guard = type_guard(g, n);
	size_t i;
	const char **syms, *count;

	syms = regit_calloc(t->nsymbols + 1, sizeof(*syms));
	if (!syms) {
		regit_gen__check(g, REGIT_ENOMEM);
		return;
	}
	GEN_OUT(g, g->h, 0, "#ifndef %s\n#define %s\n", guard, guard);
	GEN_OUT(g, g->h, 0, "/* enum %s%s%s */\n", t->fullname, t->doc ? ": " : "",
		t->doc ? regit_gen__comment_text(g, t->doc) : "");
	/* E_COUNT first: a symbol COUNT becomes E_COUNT_2. */
	count = gen_claim(g, GEN_STR(g, "%s_COUNT", n->upper));
	GEN_OUT(g, g->h, 0, "typedef enum %s {\n", n->cname);
	for (i = 0; i < t->nsymbols; i++) {
		syms[i] = gen_claim(g, GEN_STR(g, "%s_%s", n->upper, gen_upper(g, t->symbols[i])));
		GEN_OUT(g, g->h, 1, "%s = %zu%s\n", syms[i], i, i + 1 < t->nsymbols ? "," : "");
	}
	GEN_OUT(g, g->h, 0, "} %s;\n", n->cname);
	GEN_OUT(g, g->h, 0, "#define %s %zuu\n", count, t->nsymbols);
	GEN_OUT(g, g->h, 0, "/** The Avro symbol of v, or NULL when v is out of range. */\n");
	GEN_OUT(g, g->h, 0, "static inline const char *%s(%s v)\n{\n",
		gen_claim(g, GEN_STR(g, "%s_symbol", n->cname)), n->cname);
	GEN_OUT(g, g->h, 1, "switch (v) {\n");
	for (i = 0; i < t->nsymbols; i++)
		GEN_OUT(g, g->h, 1, "case %s: return %s;\n", syms[i],
			regit_gen__c_literal(g, t->symbols[i], strlen(t->symbols[i])));
	GEN_OUT(g, g->h, 1, "default: return NULL;\n\t}\n}\n#endif\n\n");
	regit_free(syms);
}

static void emit_fixed_def(gen_ctx *g, gen_named *n)
{
	const regit_type *t = n->type;
	const char *guard = type_guard(g, n);

	GEN_OUT(g, g->h, 0, "#ifndef %s\n#define %s\n", guard, guard);
	GEN_OUT(g, g->h, 0, "/* fixed %s, %zu bytes%s%s */\n", t->fullname, t->size,
		t->doc ? ": " : "", t->doc ? regit_gen__comment_text(g, t->doc) : "");
	GEN_OUT(g, g->h, 0, "typedef uint8_t %s[%zu];\n#endif\n\n", n->cname,
		t->size ? t->size : 1);
}

static void emit_record_def(gen_ctx *g, gen_named *n);

/* Define records that t stores by value before the type that holds t. */
static void emit_deps(gen_ctx *g, const regit_type *t, gen_pos pos)
{
	size_t i, vb;

	switch (t->kind) {
	case REGIT_TYPE_RECORD:
		if (pos != GEN_POS_ITEM && !regit_gen__ptr_needed(g, t, pos))
			emit_record_def(g, regit_gen__named(g, t));
		break;
	case REGIT_TYPE_ARRAY:
		emit_deps(g, t->items, GEN_POS_ITEM);
		break;
	case REGIT_TYPE_MAP:
		emit_deps(g, t->items, GEN_POS_MAPVAL);
		break;
	case REGIT_TYPE_UNION:
		if (regit_gen__is_optional(t, &vb, NULL)) {
			emit_deps(g, t->branches[vb], GEN_POS_OPTVAL);
			break;
		}
		for (i = 0; i < t->nbranches; i++)
			emit_deps(g, t->branches[i], GEN_POS_BRANCH);
		break;
	default:
		break;
	}
}

static void emit_record_def(gen_ctx *g, gen_named *n)
{
	const regit_type *t = n->type;
	regit_buf body = REGIT_BUF_INIT;
	const char *guard;
	size_t i, vb = 0;

	if (n->state == 2 || g->error)
		return;
	if (n->state == 1) {
		regit_gen__fail(g, REGIT_EINVALID,
			"record %s contains itself without a union, array or map: it has no finite value",
			t->fullname);
		return;
	}
	n->state = 1;
	for (i = 0; i < t->nfields; i++)
		emit_deps(g, t->fields[i].type, GEN_POS_FIELD);
	n->state = 2;

	guard = type_guard(g, n);
	GEN_OUT(g, &body, 0, "/* record %s%s%s */\n", t->fullname, t->doc ? ": " : "",
		t->doc ? regit_gen__comment_text(g, t->doc) : "");
	GEN_OUT(g, &body, 0, "struct %s {\n", n->cname);
	for (i = 0; i < t->nfields; i++) {
		if (t->fields[i].type->kind != REGIT_TYPE_NULL)
			break;
	}
	if (i == t->nfields)
		GEN_OUT(g, &body, 1, "char regit_empty_; /* C forbids empty structs */\n");
	g->in_record = n;
	for (i = 0; i < t->nfields; i++) {
		const regit_field *f = &t->fields[i];
		const char *path = GEN_STR(g, "%s_%s", n->upper, gen_upper(g, n->members[i]));

		if (f->doc)
			GEN_OUT(g, &body, 1, "/* %s */\n", regit_gen__comment_text(g, f->doc));
		if (n->has_members[i]) {
			regit_gen__is_optional(f->type, &vb, NULL);
			GEN_OUT(g, &body, 1, "bool %s;\n", n->has_members[i]);
			emit_member(g, &body, f->type->branches[vb], GEN_POS_OPTVAL, path,
				n->members[i], 1, 0);
		} else {
			emit_member(g, &body, f->type, GEN_POS_FIELD, path, n->members[i], 1, 0);
		}
	}
	g->in_record = NULL;
	GEN_OUT(g, &body, 0, "};\n#endif\n\n");
	/* Tag constants collected while writing the body go first, inside
	 * the guard so two headers sharing the record do not clash. */
	GEN_OUT(g, g->h, 0, "#ifndef %s\n#define %s\n", guard, guard);
	if (g->decls.size)
		GEN_OUT(g, g->h, 0, "%s", g->decls.ptr);
	regit_buf_clear(&g->decls);
	if (body.size)
		GEN_OUT(g, g->h, 0, "%s", body.ptr);
	regit_buf_dispose(&body);
}

/* ---------------------------------------------------------------------- */
/* Encoders and sizes                                                      */

/* Writing a constant union index: one byte when it fits. */
static const char *enc_index(gen_ctx *g, size_t k)
{
	if (k < 64)
		return GEN_STR(g, "regit_avro_write_byte(&p, end, %zu)", k * 2);
	return GEN_STR(g, "regit_avro_write_long(&p, end, %zu)", k);
}

/* An emitter of statements for one value (encode, size). */
typedef void (*gen_emit_fn)(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, int ind);

static void emit_size(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, int ind);

/* Map keys are Avro strings. */
static const regit_type map_key_type = { .kind = REGIT_TYPE_STRING };

/*
 * The loop (counter i__v, declared by the caller) over the items of array
 * e, or the entries of map e (key, then value), with each() emitting the
 * statements for one element.
 */
static void emit_each(gen_ctx *g, regit_buf *b, const regit_type *t, const char *e, unsigned v,
	int ind, gen_emit_fn each)
{
	GEN_OUT(g, b, ind, "for (i__%u = 0; i__%u < %s.count; i__%u++) {\n", v, v, e, v);
	if (t->kind == REGIT_TYPE_ARRAY) {
		each(g, b, t->items, GEN_POS_ITEM, GEN_STR(g, "%s.items[i__%u]", e, v), NULL, ind + 1);
	} else {
		each(g, b, &map_key_type, GEN_POS_FIELD, GEN_STR(g, "%s.entries[i__%u].key", e, v),
			NULL, ind + 1);
		each(g, b, t->items, GEN_POS_MAPVAL, GEN_STR(g, "%s.entries[i__%u].value", e, v),
			NULL, ind + 1);
	}
	GEN_OUT(g, b, ind, "}\n");
}

static void emit_enc(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, int ind)
{
	size_t vb, nb, k;
	unsigned v;

	switch (t->kind) {
	case REGIT_TYPE_NULL:
		break;
	case REGIT_TYPE_BOOLEAN:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_bool(&p, end, %s));\n", e);
		break;
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_long(&p, end, %s));\n", e);
		break;
	case REGIT_TYPE_FLOAT:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_float(&p, end, %s));\n", e);
		break;
	case REGIT_TYPE_DOUBLE:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_double(&p, end, %s));\n", e);
		break;
	case REGIT_TYPE_STRING:
	case REGIT_TYPE_BYTES:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_lenbytes(&p, end, %s.ptr, %s.len));\n",
			e, e);
		break;
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_raw(&p, end, %s, %zu));\n",
			e, t->size);
		break;
	case REGIT_TYPE_ENUM:
		GEN_OUT(g, b, ind, "if ((unsigned)%s >= %zuu)\n", e, t->nsymbols);
		GEN_OUT(g, b, ind + 1, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_long(&p, end, (int64_t)%s));\n", e);
		break;
	case REGIT_TYPE_RECORD:
		if (regit_gen__ptr_needed(g, t, pos)) {
			GEN_OUT(g, b, ind, "if (!%s)\n", e);
			GEN_OUT(g, b, ind + 1, "return REGIT_AVRO_EINVALID;\n");
			GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(&p, end, %s, depth + 1));\n",
				regit_gen__fn(g, "enc", regit_gen__named(g, t)), e);
		} else {
			GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(%s(&p, end, &%s, depth + 1));\n",
				regit_gen__fn(g, "enc", regit_gen__named(g, t)), e);
		}
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		v = g->var++;
		if (t->kind == REGIT_TYPE_ARRAY && t->items->kind == REGIT_TYPE_NULL) {
			GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_count(&p, end, %s.count, &%s));\n",
				e, e);
			GEN_OUT(g, b, ind, "if (%s.count)\n", e);
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_write_long(&p, end, 0));\n");
			break;
		}
		GEN_OUT(g, b, ind, "REGIT_AVRO_TRY(regit_avro_write_count(&p, end, %s.count, %s.%s));\n",
			e, e, t->kind == REGIT_TYPE_ARRAY ? "items" : "entries");
		GEN_OUT(g, b, ind, "if (%s.count) {\n", e);
		GEN_OUT(g, b, ind + 1, "size_t i__%u;\n\n", v);
		emit_each(g, b, t, e, v, ind + 1, emit_enc);
		GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(regit_avro_write_long(&p, end, 0));\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	case REGIT_TYPE_UNION:
		if (regit_gen__is_optional(t, &vb, &nb)) {
			const char *pr = present ? present : GEN_STR(g, "%s.present", e);
			const char *val = present ? e : GEN_STR(g, "%s.value", e);

			GEN_OUT(g, b, ind, "if (%s) {\n", pr);
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(%s);\n", enc_index(g, vb));
			emit_enc(g, b, t->branches[vb], GEN_POS_OPTVAL, val, NULL, ind + 1);
			GEN_OUT(g, b, ind, "} else {\n");
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(%s);\n", enc_index(g, nb));
			GEN_OUT(g, b, ind, "}\n");
			break;
		}
		GEN_OUT(g, b, ind, "switch (%s.tag) {\n", e);
		for (k = 0; k < t->nbranches; k++) {
			GEN_OUT(g, b, ind, "case %zu:\n", k);
			GEN_OUT(g, b, ind + 1, "REGIT_AVRO_TRY(%s);\n", enc_index(g, k));
			if (t->branches[k]->kind != REGIT_TYPE_NULL)
				emit_enc(g, b, t->branches[k], GEN_POS_BRANCH,
					GEN_STR(g, "%s.%s", e, regit_gen__branch_member(g, t, k)), NULL,
					ind + 1);
			GEN_OUT(g, b, ind + 1, "break;\n");
		}
		GEN_OUT(g, b, ind, "default:\n");
		GEN_OUT(g, b, ind + 1, "return REGIT_AVRO_EINVALID;\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
}

/* Statements adding the encoded size of e to `s`. */
static void emit_size(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, int ind)
{
	size_t vb, nb, k;
	unsigned v;

	switch (t->kind) {
	case REGIT_TYPE_NULL:
		break;
	case REGIT_TYPE_BOOLEAN:
		GEN_OUT(g, b, ind, "s += 1;\n");
		break;
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
		GEN_OUT(g, b, ind, "s += regit_avro_long_size(%s);\n", e);
		break;
	case REGIT_TYPE_ENUM:
		GEN_OUT(g, b, ind, "s += regit_avro_long_size((int64_t)%s);\n", e);
		break;
	case REGIT_TYPE_FLOAT:
		GEN_OUT(g, b, ind, "s += 4;\n");
		break;
	case REGIT_TYPE_DOUBLE:
		GEN_OUT(g, b, ind, "s += 8;\n");
		break;
	case REGIT_TYPE_STRING:
	case REGIT_TYPE_BYTES:
		GEN_OUT(g, b, ind, "s += regit_avro_long_size((int64_t)%s.len) + %s.len;\n", e, e);
		break;
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, b, ind, "s += %zu;\n", t->size);
		break;
	case REGIT_TYPE_RECORD:
		if (regit_gen__ptr_needed(g, t, pos))
			GEN_OUT(g, b, ind, "s += %s ? %s(%s, depth + 1) : 0;\n", e,
				regit_gen__fn(g, "size", regit_gen__named(g, t)), e);
		else
			GEN_OUT(g, b, ind, "s += %s(&%s, depth + 1);\n",
				regit_gen__fn(g, "size", regit_gen__named(g, t)), e);
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		v = g->var++;
		GEN_OUT(g, b, ind, "s += regit_avro_long_size((int64_t)%s.count);\n", e);
		GEN_OUT(g, b, ind, "if (%s.count) {\n", e);
		GEN_OUT(g, b, ind + 1, "size_t i__%u;\n\n", v);
		GEN_OUT(g, b, ind + 1, "s += 1;\n");
		if (t->kind == REGIT_TYPE_ARRAY && t->items->kind == REGIT_TYPE_NULL) {
			GEN_OUT(g, b, ind + 1, "(void)i__%u;\n", v);
		} else {
			emit_each(g, b, t, e, v, ind + 1, emit_size);
		}
		GEN_OUT(g, b, ind, "}\n");
		break;
	case REGIT_TYPE_UNION:
		if (regit_gen__is_optional(t, &vb, &nb)) {
			const char *pr = present ? present : GEN_STR(g, "%s.present", e);
			const char *val = present ? e : GEN_STR(g, "%s.value", e);

			GEN_OUT(g, b, ind, "s += 1;\n");
			GEN_OUT(g, b, ind, "if (%s) {\n", pr);
			emit_size(g, b, t->branches[vb], GEN_POS_OPTVAL, val, NULL, ind + 1);
			GEN_OUT(g, b, ind, "}\n");
			break;
		}
		GEN_OUT(g, b, ind, "s += regit_avro_long_size((int64_t)%s.tag);\n", e);
		GEN_OUT(g, b, ind, "switch (%s.tag) {\n", e);
		for (k = 0; k < t->nbranches; k++) {
			if (t->branches[k]->kind == REGIT_TYPE_NULL)
				continue;
			GEN_OUT(g, b, ind, "case %zu:\n", k);
			emit_size(g, b, t->branches[k], GEN_POS_BRANCH,
				GEN_STR(g, "%s.%s", e, regit_gen__branch_member(g, t, k)), NULL, ind + 1);
			GEN_OUT(g, b, ind + 1, "break;\n");
		}
		GEN_OUT(g, b, ind, "default:\n");
		GEN_OUT(g, b, ind + 1, "break;\n");
		GEN_OUT(g, b, ind, "}\n");
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* Functions                                                               */

/* The static codec functions of one record (or of a non-record root). */
static void emit_record_fns(gen_ctx *g, gen_named *n)
{
	const regit_type *t = n ? n->type : g->root;
	const char *cname = n ? n->cname : g->name;
	const char *encf = n ? regit_gen__fn(g, "enc", n) : GEN_STR(g, "%s__enc_root", g->name);
	const char *decf = n ? regit_gen__fn(g, "dec", n) : GEN_STR(g, "%s__dec_root", g->name);
	const char *szf = n ? regit_gen__fn(g, "size", n) : GEN_STR(g, "%s__size_root", g->name);
	regit_buf *c = g->c;
	size_t i;

	/* encode */
	GEN_OUT(g, c, 0, "static int %s(uint8_t **pp, uint8_t *end, const %s *in, unsigned depth)\n{\n",
		encf, cname);
	GEN_OUT(g, c, 1, "uint8_t *p = *pp;\n\n");
	GEN_OUT(g, c, 1, "(void)in;\n\t(void)end;\n");
	GEN_OUT(g, c, 1, "if (depth > REGIT_AVRO_MAX_DEPTH)\n\t\treturn REGIT_AVRO_ELIMIT;\n");
	if (n) {
		for (i = 0; i < t->nfields; i++)
			emit_enc(g, c, t->fields[i].type, GEN_POS_FIELD,
				GEN_STR(g, "in->%s", n->members[i]),
				n->has_members[i] ? GEN_STR(g, "in->%s", n->has_members[i]) : NULL, 1);
	} else {
		emit_enc(g, c, t, GEN_POS_ROOT, "(*in)", NULL, 1);
	}
	GEN_OUT(g, c, 1, "*pp = p;\n\treturn 0;\n}\n\n");

	/* size */
	GEN_OUT(g, c, 0, "static size_t %s(const %s *in, unsigned depth)\n{\n", szf, cname);
	GEN_OUT(g, c, 1, "size_t s = 0;\n\n\t(void)in;\n");
	GEN_OUT(g, c, 1, "if (depth > REGIT_AVRO_MAX_DEPTH)\n\t\treturn 0;\n");
	if (n) {
		for (i = 0; i < t->nfields; i++)
			emit_size(g, c, t->fields[i].type, GEN_POS_FIELD,
				GEN_STR(g, "in->%s", n->members[i]),
				n->has_members[i] ? GEN_STR(g, "in->%s", n->has_members[i]) : NULL, 1);
	} else {
		emit_size(g, c, t, GEN_POS_ROOT, "(*in)", NULL, 1);
	}
	GEN_OUT(g, c, 1, "return s;\n}\n\n");

	/* decode */
	GEN_OUT(g, c, 0, "static int %s(const uint8_t **pp, const uint8_t *end, %s *out, regit_avro_arena *arena, unsigned depth)\n{\n",
		decf, cname);
	GEN_OUT(g, c, 1, "const uint8_t *p = *pp;\n\n");
	GEN_OUT(g, c, 1, "(void)out;\n\t(void)end;\n\t(void)arena;\n");
	GEN_OUT(g, c, 1, "if (depth > REGIT_AVRO_MAX_DEPTH)\n\t\treturn REGIT_AVRO_ELIMIT;\n");
	if (n) {
		for (i = 0; i < t->nfields; i++)
			regit_gen__emit_dec(g, c, t->fields[i].type, GEN_POS_FIELD,
				GEN_STR(g, "out->%s", n->members[i]),
				n->has_members[i] ? GEN_STR(g, "out->%s", n->has_members[i]) : NULL, 1);
	} else {
		regit_gen__emit_dec(g, c, t, GEN_POS_ROOT, "(*out)", NULL, 1);
	}
	GEN_OUT(g, c, 1, "*pp = p;\n\treturn 0;\n}\n\n");
}

static void emit_prototypes(gen_ctx *g)
{
	size_t i;

	for (i = 0; i < g->nnamed; i++) {
		gen_named *n = &g->named[i];

		if (n->type->kind != REGIT_TYPE_RECORD)
			continue;
		GEN_OUT(g, g->c, 0, "static int %s(uint8_t **pp, uint8_t *end, const %s *in, unsigned depth);\n",
			regit_gen__fn(g, "enc", n), n->cname);
		GEN_OUT(g, g->c, 0, "static size_t %s(const %s *in, unsigned depth);\n",
			regit_gen__fn(g, "size", n), n->cname);
		GEN_OUT(g, g->c, 0, "static int %s(const uint8_t **pp, const uint8_t *end, %s *out, regit_avro_arena *arena, unsigned depth);\n",
			regit_gen__fn(g, "dec", n), n->cname);
	}
	GEN_OUT(g, g->c, 0, "\n");
}

/* The field named by the record's "regit.key" property, or -1. */
static long key_field(gen_ctx *g)
{
	const json_t *k;
	const char *name;
	size_t i;

	if (g->root->kind != REGIT_TYPE_RECORD || !g->root->props)
		return -1;
	k = json_object_get(g->root->props, "regit.key");
	if (!k)
		return -1;
	name = json_string_value(k);
	if (!name) {
		regit_gen__fail(g, REGIT_EINVALID, "\"regit.key\" of %s must be a field name string",
			g->root->fullname);
		return -1;
	}
	for (i = 0; i < g->root->nfields; i++) {
		if (strcmp(g->root->fields[i].name, name) == 0)
			return (long)i;
	}
	regit_gen__fail(g, REGIT_EINVALID, "\"regit.key\" names %s, which is not a field of %s",
		name, g->root->fullname);
	return -1;
}

static void emit_partition_key(gen_ctx *g, long idx)
{
	const regit_field *f = &g->root->fields[idx];
	const gen_named *n = regit_gen__named(g, g->root);
	const char *m = n->members[idx];
	const regit_type *t = f->type;
	size_t vb = 0;
	int opt = regit_gen__is_optional(t, &vb, NULL);
	const char *proto = GEN_STR(g, "int %s_partition_key(const %s *in, const uint8_t **key, size_t *len, uint8_t scratch[REGIT_AVRO_KEY_SCRATCH])",
		g->name, g->name);

	if (opt)
		t = t->branches[vb];
	switch (t->kind) {
	case REGIT_TYPE_STRING:
	case REGIT_TYPE_BYTES:
	case REGIT_TYPE_FIXED:
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
	case REGIT_TYPE_ENUM:
	case REGIT_TYPE_BOOLEAN:
		break;
	default:
		regit_gen__fail(g, REGIT_EINVALID,
			"\"regit.key\" field %s must be a string, bytes, fixed, int, long, enum or boolean",
			f->name);
		return;
	}
	GEN_OUT(g, g->h, 0,
		"/**\n * The partition key: the bytes of field \"%s\" (\"regit.key\"): string,\n"
		" * bytes and fixed as they are (pointing into *in), other types as their\n"
		" * Avro encoding written to scratch. A missing optional key gives\n"
		" * *key = NULL, *len = 0. @return 0 or REGIT_AVRO_EINVALID\n */\n%s;\n\n",
		f->name, proto);
	GEN_OUT(g, g->c, 0, "%s\n{\n", proto);
	GEN_OUT(g, g->c, 1, "uint8_t *p = scratch, *end = scratch + REGIT_AVRO_KEY_SCRATCH;\n\n");
	GEN_OUT(g, g->c, 1, "(void)p;\n\t(void)end;\n");
	if (opt) {
		GEN_OUT(g, g->c, 1, "if (!in->%s) {\n\t\t*key = NULL;\n\t\t*len = 0;\n\t\treturn 0;\n\t}\n",
			n->has_members[idx]);
	}
	switch (t->kind) {
	case REGIT_TYPE_STRING:
		GEN_OUT(g, g->c, 1, "*key = (const uint8_t *)in->%s.ptr;\n\t*len = in->%s.len;\n\treturn 0;\n}\n\n",
			m, m);
		break;
	case REGIT_TYPE_BYTES:
		GEN_OUT(g, g->c, 1, "*key = in->%s.ptr;\n\t*len = in->%s.len;\n\treturn 0;\n}\n\n", m, m);
		break;
	case REGIT_TYPE_FIXED:
		GEN_OUT(g, g->c, 1, "*key = in->%s;\n\t*len = %zu;\n\treturn 0;\n}\n\n", m, t->size);
		break;
	default:
		emit_enc(g, g->c, t, GEN_POS_OPTVAL, GEN_STR(g, "in->%s", m), NULL, 1);
		GEN_OUT(g, g->c, 1, "*key = scratch;\n\t*len = (size_t)(p - scratch);\n\treturn 0;\n}\n\n");
		break;
	}
}

static void emit_public(gen_ctx *g)
{
	const char *N = g->name;
	/* A named enum or fixed root has no record functions: it uses the root ones. */
	const gen_named *rn = g->root->kind == REGIT_TYPE_RECORD ? regit_gen__named(g, g->root) : NULL;
	const char *encf = rn ? regit_gen__fn(g, "enc", rn) : GEN_STR(g, "%s__enc_root", N);
	const char *decf = rn ? regit_gen__fn(g, "dec", rn) : GEN_STR(g, "%s__dec_root", N);
	const char *szf = rn ? regit_gen__fn(g, "size", rn) : GEN_STR(g, "%s__size_root", N);
	regit_buf *h = g->h, *c = g->c;
	long key;

	GEN_OUT(g, h, 0,
		"/** Bytes of the Avro encoding of *in. */\n"
		"size_t %s_encoded_size(const %s *in);\n\n"
		"/**\n * Avro binary encoding of *in into buf[0..cap).\n"
		" * @param written  bytes written; on REGIT_AVRO_ESPACE, the size needed\n"
		" * @return 0, REGIT_AVRO_ESPACE, REGIT_AVRO_EINVALID (enum or union tag out\n"
		" *         of range, NULL pointer with a nonzero count), REGIT_AVRO_ELIMIT\n */\n"
		"int %s_encode(const %s *in, uint8_t *buf, size_t cap, size_t *written);\n\n"
		"/**\n * Decode one value from buf[0..len). Strings and bytes point into buf;\n"
		" * arrays, maps and recursive records are allocated from arena (may be\n"
		" * NULL when the schema has none). On failure *out is unspecified.\n"
		" * @param consumed  bytes read (may be NULL)\n"
		" * @return 0, REGIT_AVRO_ETRUNCATED, REGIT_AVRO_EINVALID, REGIT_AVRO_ELIMIT,\n"
		" *         REGIT_AVRO_ENOMEM\n */\n"
		"int %s_decode(%s *out, const uint8_t *buf, size_t len, size_t *consumed, regit_avro_arena *arena);\n\n"
		"/** Confluent frame: magic 0, schema_id (big-endian), Avro payload. */\n"
		"int %s_encode_frame(const %s *in, uint32_t schema_id, uint8_t *buf, size_t cap, size_t *written);\n\n",
		N, N, N, N, N, N, N, N);

	GEN_OUT(g, c, 0, "size_t %s_encoded_size(const %s *in)\n{\n\treturn %s(in, 0);\n}\n\n", N, N, szf);
	GEN_OUT(g, c, 0, "int %s_encode(const %s *in, uint8_t *buf, size_t cap, size_t *written)\n{\n", N, N);
	GEN_OUT(g, c, 1, "uint8_t dummy[1];\n\tuint8_t *p, *end;\n\tint rc;\n\n");
	GEN_OUT(g, c, 1, "if (!buf) {\n\t\tbuf = dummy;\n\t\tcap = 0;\n\t}\n");
	GEN_OUT(g, c, 1, "p = buf;\n\tend = buf + cap;\n");
	GEN_OUT(g, c, 1, "rc = %s(&p, end, in, 0);\n", encf);
	GEN_OUT(g, c, 1, "if (written)\n\t\t*written = rc == REGIT_AVRO_ESPACE ? %s(in, 0) : rc == 0 ? (size_t)(p - buf) : 0;\n",
		szf);
	GEN_OUT(g, c, 1, "return rc;\n}\n\n");

	GEN_OUT(g, c, 0, "int %s_decode(%s *out, const uint8_t *buf, size_t len, size_t *consumed, regit_avro_arena *arena)\n{\n",
		N, N);
	GEN_OUT(g, c, 1, "static const uint8_t empty[1] = { 0 };\n\tconst uint8_t *p, *end;\n\tint rc;\n\n");
	GEN_OUT(g, c, 1, "if (!buf) {\n\t\tbuf = empty;\n\t\tlen = 0;\n\t}\n");
	GEN_OUT(g, c, 1, "p = buf;\n\tend = buf + len;\n");
	GEN_OUT(g, c, 1, "rc = %s(&p, end, out, arena, 0);\n", decf);
	GEN_OUT(g, c, 1, "if (consumed)\n\t\t*consumed = rc == 0 ? (size_t)(p - buf) : 0;\n");
	GEN_OUT(g, c, 1, "return rc;\n}\n\n");

	GEN_OUT(g, c, 0, "int %s_encode_frame(const %s *in, uint32_t schema_id, uint8_t *buf, size_t cap, size_t *written)\n{\n",
		N, N);
	GEN_OUT(g, c, 1, "size_t n = 0;\n\tint rc;\n\n");
	GEN_OUT(g, c, 1, "if (!buf || cap < REGIT_AVRO_FRAME_HEADER) {\n");
	GEN_OUT(g, c, 2, "if (written)\n\t\t\t*written = REGIT_AVRO_FRAME_HEADER + %s(in, 0);\n", szf);
	GEN_OUT(g, c, 2, "return REGIT_AVRO_ESPACE;\n\t}\n");
	GEN_OUT(g, c, 1, "regit_avro_frame_write_header(buf, cap, schema_id);\n");
	GEN_OUT(g, c, 1, "rc = %s_encode(in, buf + REGIT_AVRO_FRAME_HEADER, cap - REGIT_AVRO_FRAME_HEADER, &n);\n", N);
	GEN_OUT(g, c, 1, "if (written)\n\t\t*written = (rc == 0 || rc == REGIT_AVRO_ESPACE) ? n + REGIT_AVRO_FRAME_HEADER : 0;\n");
	GEN_OUT(g, c, 1, "return rc;\n}\n\n");

	key = key_field(g);
	if (key >= 0)
		emit_partition_key(g, key);
}

/* ---------------------------------------------------------------------- */
/* Driver                                                                  */

static void emit_banner(gen_ctx *g, regit_buf *b)
{
	GEN_OUT(g, b, 0, "/*\n * generated by regit, do not edit.\n");
	if (g->opts->source)
		GEN_OUT(g, b, 0, " * source: %s\n", regit_gen__comment_text(g, g->opts->source));
	GEN_OUT(g, b, 0, " * schema: %s\n", g->root->fullname ? g->root->fullname :
		regit_type_kind_name(g->root->kind));
	GEN_OUT(g, b, 0, " * Rabin fingerprint (CRC-64-AVRO of the canonical form): 0x%016llx\n",
		(unsigned long long)regit_schema_fingerprint_rabin(g->schema));
	GEN_OUT(g, b, 0, " * Language: C11 or later (%s); the header also compiles as C++11.\n */\n",
		b == g->h ? "include from C++ freely, compile the .c as C" : "compile as C, not C++");
}

static void emit_record_init(gen_ctx *g, gen_named *n);

static void emit_header_top(gen_ctx *g)
{
	regit_buf *h = g->h;
	size_t i;

	emit_banner(g, h);
	GEN_OUT(g, h, 0, "#ifndef %s_H\n#define %s_H\n\n", g->upper_name, g->upper_name);
	GEN_OUT(g, h, 0, "#include \"regit_avro.h\"\n");
	GEN_OUT(g, h, 0, "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	GEN_OUT(g, h, 0, "/* CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form. */\n");
	GEN_OUT(g, h, 0, "#define %s_FINGERPRINT 0x%016llxull\n", g->upper_name,
		(unsigned long long)regit_schema_fingerprint_rabin(g->schema));
	if (g->opts->has_id)
		GEN_OUT(g, h, 0, "/* Registry id of the schema. */\n#define %s_SCHEMA_ID %lluu\n",
			g->upper_name, (unsigned long long)g->opts->id);
	GEN_OUT(g, h, 0, "\n");
	GEN_OUT(g, h, 0, "#ifndef REGIT_AVRO_KEY_SCRATCH\n#define REGIT_AVRO_KEY_SCRATCH 16\n#endif\n\n");

	/* Forward declarations make pointers to any record legal anywhere. */
	for (i = 0; i < g->nnamed; i++) {
		if (g->named[i].type->kind == REGIT_TYPE_RECORD)
			GEN_OUT(g, h, 0, "typedef struct %s %s;\n", g->named[i].cname, g->named[i].cname);
	}
	GEN_OUT(g, h, 0, "\n");
	for (i = 0; i < g->nnamed; i++) {
		if (g->named[i].type->kind == REGIT_TYPE_ENUM)
			emit_enum_def(g, &g->named[i]);
		else if (g->named[i].type->kind == REGIT_TYPE_FIXED)
			emit_fixed_def(g, &g->named[i]);
	}
	for (i = 0; i < g->nnamed; i++) {
		if (g->named[i].type->kind == REGIT_TYPE_RECORD)
			emit_record_def(g, &g->named[i]);
	}
	for (i = 0; i < g->nnamed; i++) {
		if (g->named[i].type->kind == REGIT_TYPE_RECORD)
			emit_record_init(g, &g->named[i]);
	}
	if (g->root->kind != REGIT_TYPE_RECORD && !regit_type_is_named(g->root)) {
		regit_buf body = REGIT_BUF_INIT;

		emit_deps(g, g->root, GEN_POS_ROOT);
		GEN_OUT(g, &body, 0, "/* The top-level %s. */\ntypedef ",
			regit_type_kind_name(g->root->kind));
		emit_ctype(g, &body, g->root, GEN_POS_ROOT, g->upper_name, 0);
		GEN_OUT(g, &body, 0, " %s;\n\n", g->name);
		if (g->decls.size)
			GEN_OUT(g, h, 0, "%s", g->decls.ptr);
		regit_buf_clear(&g->decls);
		if (body.size)
			GEN_OUT(g, h, 0, "%s", body.ptr);
		regit_buf_dispose(&body);
	} else if (g->root->kind != REGIT_TYPE_RECORD) {
		/* A named enum/fixed root: NAME is its type name already. */
	}
}

/*
 * cname_init() of record n: static inline in the header, inside its own
 * guard (like the type), so headers sharing the record can be included and
 * linked together. Emitted after every type is complete, because a default
 * may allocate any record.
 */
static void emit_record_init(gen_ctx *g, gen_named *n)
{
	const regit_type *t = n->type;
	const char *guard = GEN_STR(g, "%s_INIT", type_guard(g, n));
	size_t i;

	GEN_OUT(g, g->h, 0, "#ifndef %s\n#define %s\n", guard, guard);
	GEN_OUT(g, g->h, 0,
		"/**\n * Set *out to the defaults of record %s: each field with a\n"
		" * \"default\" gets it, the others are zero (0, false, empty string,\n"
		" * bytes, array and map, the first symbol, union branch 0 / absent).\n"
		" * Non-empty array and map defaults and recursive records come from\n"
		" * arena (may be NULL when no default needs memory).\n"
		" * @return 0 or REGIT_AVRO_ENOMEM\n */\n", t->fullname);
	GEN_OUT(g, g->h, 0, "static inline int %s(%s *out, regit_avro_arena *arena)\n{\n",
		n->init, n->cname);
	GEN_OUT(g, g->h, 1, "(void)arena;\n\tmemset(out, 0, sizeof(*out));\n");
	for (i = 0; i < t->nfields && !g->error; i++) {
		const regit_field *f = &t->fields[i];
		regit_buf tmp = REGIT_BUF_INIT;
		unsigned var = g->var;

		if (!f->default_value || f->type->kind == REGIT_TYPE_NULL)
			continue;
		regit_gen__emit_default(g, &tmp, f->type, GEN_POS_FIELD,
			GEN_STR(g, "out->%s", n->members[i]),
			n->has_members[i] ? GEN_STR(g, "out->%s", n->has_members[i]) : NULL,
			f->default_value, 1);
		if (g->error == REGIT_EINVALID) {
			/* A default C cannot hold (a float "NaN"): left zero. */
			g->error = 0;
			regit_error_clear();
			g->var = var;
			GEN_OUT(g, g->h, 1, "/* %s: its default has no C value; left zero */\n",
				n->members[i]);
		} else if (!g->error && tmp.size) {
			GEN_OUT(g, g->h, 0, "%s", tmp.ptr);
		}
		regit_buf_dispose(&tmp);
	}
	GEN_OUT(g, g->h, 1, "return 0;\n}\n#endif\n\n");
}

static void gen_ctx_dispose(gen_ctx *g)
{
	size_t i;

	for (i = 0; i < g->nnamed; i++) {
		regit_free(g->named[i].members);
		regit_free(g->named[i].has_members);
	}
	regit_free(g->named);
	regit_free(g->ids);
	for (i = 0; i < g->npool; i++)
		regit_free(g->pool[i]);
	regit_free(g->pool);
	regit_buf_dispose(&g->decls);
}

int regit_gen_generate(regit_gen_output *out, const regit_schema *schema,
	const regit_gen_options *opts)
{
	regit_gen_options defaults = REGIT_GEN_OPTIONS_INIT;
	gen_ctx g;
	const char *base;
	size_t i;
	int error = 0;

	memset(out, 0, sizeof(*out));
	regit_buf_init(&out->header, 0);
	regit_buf_init(&out->source, 0);
	memset(&g, 0, sizeof(g));
	regit_buf_init(&g.decls, 0);
	g.opts = opts ? opts : &defaults;
	g.schema = schema;
	g.root = regit_schema_root(schema);
	g.h = &out->header;
	g.c = &out->source;

	/* NAME: the root's own name, or the fallback for unnamed roots. */
	if (regit_type_is_named(g.root))
		base = regit_gen__snake(&g, g.root->name);
	else
		base = regit_gen__snake(&g, g.opts->fallback_name ? g.opts->fallback_name : "value");
	g.name = (char *)gen_claim(&g, gen_prefixed(&g, base));
	g.upper_name = (char *)gen_upper(&g, g.name);
	/* Reserve the public entry points before any other name is given out. */
	{
		static const char *const suffixes[] = {
			"encode", "decode", "encoded_size", "encode_frame", "decode_frame",
			"decode_writer", "partition_key", "to_json", "from_json", "symbol", "init", NULL
		};

		for (i = 0; suffixes[i]; i++)
			gen_claim(&g, GEN_STR(&g, "%s_%s", g.name, suffixes[i]));
		gen_claim(&g, GEN_STR(&g, "%s_H", g.upper_name));
		gen_claim(&g, GEN_STR(&g, "%s_FINGERPRINT", g.upper_name));
		gen_claim(&g, GEN_STR(&g, "%s_SCHEMA_ID", g.upper_name));
	}

	gen_collect(&g, g.root, 0);
	if (!g.error)
		gen_name_types(&g);
	/* Emitters rely on every named type having its names. */
	if (g.error)
		goto done;
	emit_header_top(&g);

	/* Source: banner, includes, prototypes, codecs, public functions. */
	emit_banner(&g, g.c);
	GEN_OUT(&g, g.c, 0, "#include \"%s.h\"\n\n", g.name);
	/* Only --json code needs jansson; the plain codecs stay free of it. */
	if (g.opts->json)
		GEN_OUT(&g, g.c, 0, "#include <float.h>\n#include <math.h>\n\n#include <jansson.h>\n\n");
	emit_prototypes(&g);
	for (i = 0; i < g.nnamed; i++) {
		if (g.named[i].type->kind == REGIT_TYPE_RECORD)
			emit_record_fns(&g, &g.named[i]);
	}
	if (g.root->kind != REGIT_TYPE_RECORD)
		emit_record_fns(&g, NULL);
	emit_public(&g);
	regit_gen__emit_resolvers(&g);
	if (g.opts->json)
		regit_gen__emit_json(&g);
	GEN_OUT(&g, g.h, 0, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");

done:
	error = g.error;
	if (error == 0) {
		out->name = regit_strdup(g.name);
		if (!out->name)
			error = REGIT_ENOMEM;
	}
	gen_ctx_dispose(&g);
	return error;
}

void regit_gen_output_dispose(regit_gen_output *out)
{
	if (!out)
		return;
	regit_free(out->name);
	out->name = NULL;
	regit_buf_dispose(&out->header);
	regit_buf_dispose(&out->source);
}
