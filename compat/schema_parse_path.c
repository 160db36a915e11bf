/*
 * schema_parse_path.c - the schema parser's errors and paths: every error
 * names the offending value by its JSON pointer, which the walk keeps in
 * the parser as it descends (push a segment, pop it on the way back).
 * The entry point turns the pointer into a line and column.
 */
#include "compat/schema_parse_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

typedef regit_schema_parser parser;


void regit_schema__copy_truncated(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int regit_schema__fail(parser *p, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	regit_schema__copy_truncated(p->err->path, sizeof(p->err->path), p->path);
	p->err->line = 0;
	p->err->column = 0;
	return code;
}

/* Make room for a path of `need` bytes plus the NUL, within PATH_MAX_LEN.
 * @return 0, or -1 (over the bound, or out of memory: p->path_nomem) */
static int path_reserve(parser *p, size_t need)
{
	size_t cap = p->path_cap;
	char *np;

	if (need < cap)
		return 0;
	if (need >= PATH_MAX_LEN)
		return -1;
	while (cap <= need)
		cap *= 2;
	if (cap > PATH_MAX_LEN)
		cap = PATH_MAX_LEN;
	np = regit_malloc(cap);
	if (!np) {
		p->path_nomem = 1;
		return -1;
	}
	memcpy(np, p->path, p->plen + 1);
	if (p->path != p->path_inline)
		regit_free(p->path);
	p->path = np;
	p->path_cap = cap;
	return 0;
}

void regit_schema__path_set(parser *p, const char *s)
{
	size_t n = strlen(s);

	if (n >= PATH_MAX_LEN)
		n = PATH_MAX_LEN - 1;
	while (n > 0 && path_reserve(p, n) < 0)
		n = p->path_cap - 1;    /* out of memory: keep what fits (p->path_nomem) */
	memcpy(p->path, s, n);
	p->path[n] = '\0';
	p->plen = n;
}

size_t regit_schema__path_push(parser *p, const char *seg)
{
	size_t saved = p->plen, n = strlen(seg);

	/* Over the bound is unreachable given the depth bound; truncating
	 * beats overflowing. */
	if (path_reserve(p, p->plen + 1 + n) == 0) {
		p->path[p->plen++] = '/';
		memcpy(p->path + p->plen, seg, n);
		p->plen += n;
		p->path[p->plen] = '\0';
	}
	return saved;
}

size_t regit_schema__path_push_index(parser *p, size_t i)
{
	char num[32], *d = num + sizeof(num) - 1;

	/* Once per field, branch and symbol: snprintf was a visible cost. */
	*d = '\0';
	do {
		*--d = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	return regit_schema__path_push(p, d);
}

const char *regit_schema__path_dup(parser *p)
{
	return regit_schema__arena_strndup(&p->s->arena, p->path, p->plen);
}
