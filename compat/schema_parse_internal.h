/*
 * schema_parse_internal.h - what the pieces of the schema parser share:
 * the parser state and its error/path builder. Only the parser's files
 * include it:
 *
 *   schema_parse.c        the walk over the schema JSON and the entry points
 *   schema_parse_path.c   errors and the JSON pointer of the current value
 *   schema_default.c      field defaults, checked once every type is complete
 *
 * Calls go one way: schema_parse.c uses the other two, schema_default.c
 * uses schema_parse_path.c (`make cycles`).
 */
#ifndef REGIT_SCHEMA_PARSE_INTERNAL_H
#define REGIT_SCHEMA_PARSE_INTERNAL_H

#include "compat/schema_internal.h"

#include <stddef.h>
/* JSON pointers stay far below this: jansson stops at depth 2048. */
#define PATH_MAX_LEN 32768
/*
 * The path starts in the parser itself and moves to the heap only when it
 * outgrows this. A parser holding all PATH_MAX_LEN bytes was a 32 KB
 * calloc per parse, and an allocation that large makes glibc malloc
 * consolidate its free lists every time: with 100,000 versions loaded at
 * start-up that was a large share of the CPU. Keep the parser small.
 */
#define PATH_INLINE 256

typedef struct regit_schema_pending_default {
	const regit_field *field;
	const char *record;         /* full name of the record, for messages */
} regit_schema_pending_default;

typedef struct regit_schema_fallback_ref {
	const char *shadow;         /* "space.name" that must stay undefined */
	const char *path;
} regit_schema_fallback_ref;

/* The state of one regit_schema_parse call. */
typedef struct regit_schema_parser {
	regit_schema *s;
	const regit_schema_options *opts;
	regit_schema_error *err;
	size_t names;               /* named types + fields + symbols */
	size_t named_cap;
	regit_schema_pending_default *defaults;
	size_t ndefaults, defaults_cap;
	regit_schema_fallback_ref *fallbacks;
	size_t nfallbacks, fallbacks_cap;
	size_t plen;
	char *path;                 /* path_inline or heap (path_cap bytes) */
	size_t path_cap;
	int path_nomem;             /* growing the path failed: the parse fails */
	regit_arena doc_arena;      /* the decoded text, freed after parsing */
	regit_strmap import_names;  /* fullname -> type over all imports (see parser_lookup) */
	int import_index;           /* import_names is built and used */
	char path_inline[PATH_INLINE];
} regit_schema_parser;

/* ---- errors and paths (schema_parse_path.c) --------------------------- */

/** Copy src into dst[size], cut to fit (a cut path stays a valid prefix). */
void regit_schema__copy_truncated(char *dst, size_t size, const char *src);

/**
 * Fill p->err: the message, the current path, no position (the entry
 * point adds it). @return code
 */
int regit_schema__fail(regit_schema_parser *p, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Set the path to `s` (cut at PATH_MAX_LEN - 1 bytes). */
void regit_schema__path_set(regit_schema_parser *p, const char *s);
/** Append "/seg". @return the length to restore with regit_schema__path_pop */
size_t regit_schema__path_push(regit_schema_parser *p, const char *seg);
/** Append "/i". @return as regit_schema__path_push */
size_t regit_schema__path_push_index(regit_schema_parser *p, size_t i);
/** The current path, copied into the schema's arena; NULL when out of memory. */
const char *regit_schema__path_dup(regit_schema_parser *p);

/** Cut the path back to a length returned by a push. */
static inline void regit_schema__path_pop(regit_schema_parser *p, size_t saved)
{
	p->plen = saved;
	p->path[saved] = '\0';
}

/* ---- defaults (schema_default.c) --------------------------------------- */

/** qsort/bsearch order of regit_type_node.sorted_symbols (strcmp). */
int regit_schema__symbol_cmp(const void *a, const void *b);

/** Queue field f's default (f->default_value) for regit_schema__check_defaults.
 * @return 0 or REGIT_ENOMEM */
int regit_schema__add_default(regit_schema_parser *p, const regit_field *f,
	const char *record);

/**
 * Check every queued default against its field's type (Avro 1.11 rules),
 * once all types are complete. @return 0, or REGIT_EINVALID through
 * regit_schema__fail at the first mismatch (path ".../default")
 */
int regit_schema__check_defaults(regit_schema_parser *p);

#endif
