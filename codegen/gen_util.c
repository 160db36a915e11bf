/*
 * gen_util.c - what every part of the code generator needs: the sticky
 * output calls (the first failure is kept, later calls do nothing), C
 * literals, comments and names, and questions about the schema the
 * emitters share (how a union or record is stored, minimum sizes).
 *
 * It calls nothing else in codegen/: gen.c (the driver) and the emitters
 * (gen_dec.c, gen_default.c, gen_json.c, gen_resolve.c) call it, so the
 * files form a chain without cycles (see codegen/README.md).
 */
#include "codegen/gen_util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"

/* ---------------------------------------------------------------------- */
/* Sticky output helpers                                                   */

void regit_gen__fail(gen_ctx *g, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (g->error)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g->error = code;
	if (code == REGIT_ENOMEM)
		regit_error_set_oom();
	else
		regit_error_set(REGIT_ERROR_CODEGEN, "%s", msg);
}

void regit_gen__check(gen_ctx *g, int rc)
{
	if (rc < 0 && !g->error) {
		g->error = rc;
		if (rc != REGIT_ENOMEM)
			regit_error_set(REGIT_ERROR_CODEGEN, "generated code exceeds the size limit");
	}
}

char *regit_gen__keep(gen_ctx *g, char *s)
{
	char **n;

	if (!s) {
		regit_gen__check(g, REGIT_ENOMEM);
		return NULL;
	}
	n = regit_array_grow(g->pool, &g->apool, g->npool + 1, sizeof(*n), 64);
	if (!n) {
		regit_free(s);
		regit_gen__check(g, REGIT_ENOMEM);
		return NULL;
	}
	g->pool = n;
	g->pool[g->npool++] = s;
	return s;
}

const char *regit_gen__str(gen_ctx *g, const char *fmt, ...)
{
	regit_buf b = REGIT_BUF_INIT;
	va_list ap;
	char *s;
	int rc;

	if (g->error)
		return "";
	va_start(ap, fmt);
	rc = regit_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		regit_buf_dispose(&b);
		regit_gen__check(g, rc);
		return "";
	}
	s = regit_gen__keep(g, regit_buf_detach(&b));
	return s ? s : "";
}

void regit_gen__out(gen_ctx *g, regit_buf *b, int ind, const char *fmt, ...)
{
	va_list ap;
	int i, rc = 0;

	if (g->error)
		return;
	for (i = 0; i < ind && rc == 0; i++)
		rc = regit_buf_putc(b, '\t');
	if (rc == 0) {
		va_start(ap, fmt);
		rc = regit_buf_vprintf(b, fmt, ap);
		va_end(ap);
	}
	regit_gen__check(g, rc);
}

const char *regit_gen__c_literal(gen_ctx *g, const char *data, size_t len)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i;
	int rc;
	char *s;

	rc = regit_buf_putc(&b, '"');
	for (i = 0; i < len && rc == 0; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '"' || ch == '\\')
			rc = regit_buf_printf(&b, "\\%c", ch);
		else if (ch >= 0x20 && ch < 0x7f && ch != '?')
			rc = regit_buf_putc(&b, (char)ch);
		else
			/* Octal escapes never swallow a following digit beyond 3. */
			rc = regit_buf_printf(&b, "\\%03o", ch);
	}
	if (rc == 0)
		rc = regit_buf_putc(&b, '"');
	if (rc < 0) {
		regit_buf_dispose(&b);
		regit_gen__check(g, rc);
		return "\"\"";
	}
	s = regit_gen__keep(g, regit_buf_detach(&b));
	return s ? s : "\"\"";
}

/* ---------------------------------------------------------------------- */
/* Names                                                                   */

/* snake_case: "UserCreated" -> "user_created", "HTTPCode" -> "http_code". */
const char *regit_gen__snake(gen_ctx *g, const char *name)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i, n = strlen(name);
	int rc = 0;
	char *s;

	for (i = 0; i < n && rc == 0; i++) {
		unsigned char ch = (unsigned char)name[i];
		unsigned char prev = i ? (unsigned char)name[i - 1] : 0;
		unsigned char next = i + 1 < n ? (unsigned char)name[i + 1] : 0;

		if (isupper(ch) && i > 0 && (islower(prev) || isdigit(prev) ||
		    (isupper(prev) && islower(next))))
			rc = regit_buf_putc(&b, '_');
		if (rc == 0)
			rc = regit_buf_putc(&b, isalnum(ch) ? (char)tolower(ch) : '_');
	}
	if (rc == 0 && (b.size == 0 || isdigit((unsigned char)b.ptr[0])))
		rc = regit_buf_puts(&b, "_");
	if (rc < 0) {
		regit_buf_dispose(&b);
		regit_gen__check(g, rc);
		return "x";
	}
	s = regit_gen__keep(g, regit_buf_detach(&b));
	return s ? s : "x";
}

const char *regit_gen__fn(gen_ctx *g, const char *what, const gen_named *n)
{
	return GEN_STR(g, "%s__%s_%s", g->name, what, n->cname);
}

const char *regit_gen__comment_text(gen_ctx *g, const char *s)
{
	regit_buf b = REGIT_BUF_INIT;
	size_t i;
	int rc = 0;
	char *r;

	for (i = 0; i < 300 && s[i] && rc == 0; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '*' && s[i + 1] == '/')
			rc = regit_buf_puts(&b, "* ");
		else if (ch == '/' && s[i + 1] == '*')
			rc = regit_buf_puts(&b, "/ ");
		else
			rc = regit_buf_putc(&b, ch < 0x20 ? ' ' : (char)ch);
	}
	if (rc < 0) {
		regit_buf_dispose(&b);
		regit_gen__check(g, rc);
		return "";
	}
	r = regit_gen__keep(g, regit_buf_detach(&b));
	return r ? r : "";
}

/* ---------------------------------------------------------------------- */
/* Schema analysis                                                         */

gen_named *regit_gen__named(gen_ctx *g, const regit_type *t)
{
	size_t i;

	for (i = 0; i < g->nnamed; i++) {
		if (g->named[i].type == t)
			return &g->named[i];
	}
	return NULL;
}

int regit_gen__is_optional(const regit_type *t, size_t *value_branch, size_t *null_branch)
{
	if (t->kind != REGIT_TYPE_UNION || t->nbranches != 2)
		return 0;
	if (t->branches[0]->kind == REGIT_TYPE_NULL && t->branches[1]->kind != REGIT_TYPE_NULL) {
		if (value_branch)
			*value_branch = 1;
		if (null_branch)
			*null_branch = 0;
		return 1;
	}
	if (t->branches[1]->kind == REGIT_TYPE_NULL && t->branches[0]->kind != REGIT_TYPE_NULL) {
		if (value_branch)
			*value_branch = 0;
		if (null_branch)
			*null_branch = 1;
		return 1;
	}
	return 0;
}

int regit_gen__ptr_needed(gen_ctx *g, const regit_type *t, gen_pos pos)
{
	gen_named *n;

	if (t->kind != REGIT_TYPE_RECORD || pos == GEN_POS_FIELD || pos == GEN_POS_ITEM ||
	    pos == GEN_POS_ROOT)
		return 0;
	n = regit_gen__named(g, t);
	return n && n->recursive;
}

static const char *branch_base(const regit_type *b)
{
	switch (b->kind) {
	case REGIT_TYPE_ARRAY: return "array";
	case REGIT_TYPE_MAP: return "map";
	default:
		if (regit_type_is_named(b))
			return b->name;
		return regit_type_kind_name(b->kind);
	}
}

/* The part of a branch's member name after "as_", before any suffix. */
static const char *branch_key(gen_ctx *g, const regit_type *b)
{
	return regit_type_is_named(b) ? regit_gen__snake(g, b->name) : branch_base(b);
}

const char *regit_gen__branch_member(gen_ctx *g, const regit_type *u, size_t k)
{
	const char *key = branch_key(g, u->branches[k]);
	size_t i;

	/*
	 * Two branches may map to one C name: named types sharing a short name
	 * across namespaces, or names that differ only in case or underscores
	 * (FooBar and Foo_Bar, enum Color and fixed color). Each then carries
	 * its branch index.
	 */
	for (i = 0; i < u->nbranches; i++) {
		if (i != k && strcmp(branch_key(g, u->branches[i]), key) == 0)
			return GEN_STR(g, "as_%s_%zu", key, k);
	}
	return GEN_STR(g, "as_%s", key);
}

static size_t min_size_depth(const regit_type *t, unsigned depth)
{
	size_t i, s = 0, m;

	if (depth > 64)
		return 0;
	switch (t->kind) {
	case REGIT_TYPE_NULL: return 0;
	case REGIT_TYPE_FLOAT: return 4;
	case REGIT_TYPE_DOUBLE: return 8;
	case REGIT_TYPE_FIXED: return t->size;
	case REGIT_TYPE_RECORD:
		for (i = 0; i < t->nfields; i++) {
			m = min_size_depth(t->fields[i].type, depth + 1);
			s = s + m < s ? SIZE_MAX : s + m;
		}
		return s;
	default:
		/* Every other kind starts with at least one varint byte. */
		return 1;
	}
}

size_t regit_gen__min_size(const regit_type *t)
{
	return min_size_depth(t, 0);
}
