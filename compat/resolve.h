/*
 * resolve.h - the decisions of Avro schema resolution, in one place.
 *
 * The Avro specification (1.11, "Schema Resolution" and "Aliases") says
 * how data written with one schema is read with another. Two parts of
 * regit apply it: the compatibility checker (compat/compat.c) judges a
 * schema pair, and the code generator (codegen/gen_resolve.c) compiles a
 * decoder for it. Both ask this module every question whose answer the
 * specification fixes, so they cannot disagree:
 *   - do two named types match (names, reader aliases);
 *   - may a writer primitive be promoted to a reader primitive;
 *   - do two types "match" (the shallow test that selects a union branch);
 *   - which reader union branch reads a writer type;
 *   - which writer field a reader field reads, or whether its default
 *     fills it, or neither (an error);
 *   - which reader symbol a writer enum symbol becomes;
 *   - (for the checker's strict rules) which field or union branch of one
 *     version continues a field or type of another.
 *
 * Names: a named type's `name` is unqualified and its `aliases` are full
 * names, relative aliases already qualified with the namespace of the type
 * that declares them (compat/schema_parse.c). Named types match when their
 * unqualified names are equal (the specification's "same (unqualified)
 * name", as Avro Java's SchemaCompatibility) or when an alias of the
 * *reader* is the writer's full name (Avro Java: reader.getAliases()
 * contains writer.getFullName()). A writer's aliases never matter.
 * Field aliases are plain names and name writer fields.
 *
 * Lookups on large records, enums and unions go through hash indexes the
 * resolver builds once per node and keeps until it is freed, so hostile
 * schemas cannot make a check quadratic; a step budget bounds the rest.
 */
#ifndef REGIT_COMPAT_RESOLVE_H
#define REGIT_COMPAT_RESOLVE_H

#include <stddef.h>

#include "compat/schema.h"

/* "No such index": no branch, no field, no symbol. */
#define REGIT_RESOLVE_NONE ((size_t)-1)

/* Work allowed per resolver (steps: lookups and scans; callers add their own). */
#define REGIT_RESOLVE_MAX_STEPS ((size_t)1 << 26)

/* Index caches and the step budget for one check or one generated decoder. */
typedef struct regit_resolver regit_resolver;

/** How a reader field gets its value. */
typedef enum regit_resolve_field_action {
	REGIT_RESOLVE_FIELD_READ = 0,  /* from the writer field at the returned index */
	REGIT_RESOLVE_FIELD_DEFAULT,   /* the writer lacks it: the reader's default */
	REGIT_RESOLVE_FIELD_MISSING    /* the writer lacks it and there is no default */
} regit_resolve_field_action;

/**
 * A resolver with empty caches.
 * @param out receives it (owned; free with regit_resolver_free), NULL on failure
 * @return 0, REGIT_ENOMEM
 */
int regit_resolver_new(regit_resolver **out);

/** Free the resolver and its caches; NULL does nothing. */
void regit_resolver_free(regit_resolver *rs);

/**
 * Charge n steps to the budget (callers charge their own walk here too,
 * so one budget bounds the whole check).
 * @return 0, REGIT_ELIMIT past REGIT_RESOLVE_MAX_STEPS (message set)
 */
int regit_resolver_step(regit_resolver *rs, size_t n);

/** May a writer value of kind `writer` be read as kind `reader`? (int -> long, ...) */
int regit_resolve_promotes(regit_type_kind writer, regit_type_kind reader);

/**
 * Do named types match: same unqualified name, or a reader alias is the
 * writer's full name. Kinds are not compared. 0 for unnamed types.
 */
int regit_resolve_names_match(const regit_type *reader, const regit_type *writer);

/**
 * The specification's "match": what selects a reader union branch and what
 * must hold before a pair is resolved. Unions match anything (they are
 * resolved branch by branch); other kinds must be equal or promotable;
 * arrays and maps match when their items/values match; records and enums
 * when their names match; fixed when names and sizes match. Shallow for
 * named types, so it terminates on recursive schemas.
 */
int regit_resolve_match(const regit_type *reader, const regit_type *writer);

/**
 * The reader union branch that reads a (non-union) writer type: the
 * branch of exactly the writer's type (same kind and full name) if it
 * matches, else the first branch of the writer's kind that matches, else
 * the first branch the writer's kind promotes to. (The specification says
 * "the first schema in the reader's union that matches"; read literally a
 * union [long, int] would read an int as a long, and one holding a.R and
 * b.R would read b.R data as a.R. Avro Java's resolver prefers exact
 * types the same way, and so does this.)
 * @param out receives the branch index or REGIT_RESOLVE_NONE
 * @return 0, REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_resolve_branch(size_t *out, regit_resolver *rs,
	const regit_type *reader_union, const regit_type *writer);

/**
 * Where reader field `field` gets its value when reading writer record
 * `writer`: the writer field of the same name, else the first writer field
 * named by one of the field's aliases (READ); else its default (DEFAULT);
 * else nothing (MISSING). Writer fields no reader field reads are skipped.
 * @param action receives the decision
 * @param index  receives the writer field for READ, else REGIT_RESOLVE_NONE
 * @param hint   where to look first (the reader field's own index)
 * @return 0, REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_resolve_field(regit_resolve_field_action *action, size_t *index,
	regit_resolver *rs, const regit_type *writer, const regit_field *field, size_t hint);

/**
 * The reader symbol a writer enum symbol is read as: the same symbol, else
 * the reader's default, else REGIT_RESOLVE_NONE (an error when it occurs).
 * @return 0, REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_resolve_symbol(size_t *out, regit_resolver *rs,
	const regit_type *reader_enum, const char *writer_symbol);

/** The same type by identity: same kind and, for named types, the same full name. */
int regit_resolve_same_type(const regit_type *a, const regit_type *b);

/**
 * Strict rules: the field of record `rec` that is `field` of another
 * version: the same name, or one side lists the other's name as an alias.
 * @param out receives the index or REGIT_RESOLVE_NONE
 * @return 0, REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_resolve_field_counterpart(size_t *out, regit_resolver *rs,
	const regit_type *rec, const regit_field *field, size_t hint);

/**
 * Strict rules: the branch of union `u` that continues type `t` of another
 * version: the branch of the same kind and full name, else the first of
 * the same kind whose name matches t's either way (an alias in either
 * version); unnamed kinds by kind alone.
 * @param out receives the index or REGIT_RESOLVE_NONE
 * @return 0, REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_resolve_branch_counterpart(size_t *out, regit_resolver *rs,
	const regit_type *u, const regit_type *t);

#endif
