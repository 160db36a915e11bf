/*
 * gen_util.h - the code generator's shared context and helpers
 * (codegen/gen_util.c).
 *
 * gen.c (the driver) and the emitters (gen_dec.c, gen_default.c,
 * gen_json.c, gen_resolve.c) share one gen_ctx whose output calls are
 * "sticky": the first failure is kept in ctx->error and later appends do
 * nothing, so emitters need not check every line (regit_gen_generate
 * checks once at the end). Strings made here are owned by the context and
 * live until it is disposed. gen_util.c calls no other codegen file.
 */
#ifndef REGIT_CODEGEN_GEN_UTIL_H
#define REGIT_CODEGEN_GEN_UTIL_H

#include "codegen/gen.h"

/* Where a value sits; decides pointer vs. by-value storage. */
typedef enum gen_pos {
	GEN_POS_ROOT = 0,
	GEN_POS_FIELD,      /* a record field */
	GEN_POS_ITEM,       /* directly an array item (T *items) */
	GEN_POS_MAPVAL,     /* a map entry's value */
	GEN_POS_BRANCH,     /* a tagged union member */
	GEN_POS_OPTVAL      /* the value of a ["null", T] */
} gen_pos;

typedef struct gen_named {
	const regit_type *type;
	char *cname;            /* C type name */
	char *upper;            /* upper-case, for constants */
	char **members;         /* records: C member name per field */
	char **has_members;     /* records: presence member per optional field, else NULL */
	char *init;             /* records: the name of its _init function */
	int recursive;          /* record that can reach itself */
	int state;              /* definition emission: 0 new, 1 in progress, 2 done */
} gen_named;

typedef struct gen_ctx {
	const regit_gen_options *opts;
	const regit_schema *schema;
	const regit_type *root;
	char *name;             /* NAME */
	char *upper_name;       /* NAME upper-cased */
	gen_named *named;
	size_t nnamed, anamed;
	char **ids;             /* global identifiers in use */
	size_t nids, aids;
	char **pool;            /* strings freed with the context */
	size_t npool, apool;
	regit_buf *h, *c;
	regit_buf decls;        /* constants that must precede the current type */
	unsigned var;           /* counter for unique local names */
	const gen_named *in_record; /* record whose members are being emitted (gen.c) */
	unsigned default_depth; /* nesting of the default being emitted (gen_default.c) */
	int error;
} gen_ctx;

/* Record a buffer error (rc < 0: REGIT_ENOMEM or the size limit), keeping the first. */
void regit_gen__check(gen_ctx *g, int rc);
/* Take s (NULL: record OOM) into the context's pool. @return s, borrowed from now on */
char *regit_gen__keep(gen_ctx *g, char *s);
/* Formatted string owned by the context ("" after a failure). */
const char *regit_gen__str(gen_ctx *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append indentation (tabs) then formatted text. */
void regit_gen__out(gen_ctx *g, regit_buf *b, int ind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Record a generation failure (message + code), keeping the first. */
void regit_gen__fail(gen_ctx *g, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

gen_named *regit_gen__named(gen_ctx *g, const regit_type *t);
int regit_gen__is_optional(const regit_type *t, size_t *value_branch, size_t *null_branch);
int regit_gen__ptr_needed(gen_ctx *g, const regit_type *t, gen_pos pos);
const char *regit_gen__branch_member(gen_ctx *g, const regit_type *u, size_t k);
/* Smallest encoded size of a value of t (a lower bound under recursion). */
size_t regit_gen__min_size(const regit_type *t);
/* Text safe inside a one-line C comment (owned by the context). */
const char *regit_gen__comment_text(gen_ctx *g, const char *s);
/* A C string literal for data (quotes included). */
const char *regit_gen__c_literal(gen_ctx *g, const char *data, size_t len);
/* snake_case of an Avro name ("UserCreated" -> "user_created"), owned by the context. */
const char *regit_gen__snake(gen_ctx *g, const char *name);
/* The name of a generated function: NAME__<what>_<type>. */
const char *regit_gen__fn(gen_ctx *g, const char *what, const gen_named *n);

#define GEN_OUT(g, b, ind, ...) regit_gen__out((g), (b), (ind), __VA_ARGS__)
#define GEN_STR(g, ...) regit_gen__str((g), __VA_ARGS__)

#endif
