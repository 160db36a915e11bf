/*
 * schemaset.h - schema files whose named types other schemas reference
 * (Confluent schema references, resolved from files).
 *
 * A registry parses a schema with references by importing the schemas
 * they name. `regit check` and `regit lint` have files instead: a parse
 * through the set that fails on an unknown type looks the name up among
 * the set's members, imports the member that defines it, and parses
 * again, until it succeeds or no member defines the name. Each member is
 * itself parsed that way on first use, so references may chain (a member
 * cycle is an unknown type). Only what is used is imported: importing a
 * schema that defines a name the file defines too would make the parser
 * refuse it ("defined twice"), and files often inline the same helper
 * record. When several members define a name, the first added wins.
 * A search parses only members whose text may define the name (a "name"
 * attribute holding it), and a parse budget bounds hostile sets.
 */
#ifndef REGIT_CLI_SCHEMASET_H
#define REGIT_CLI_SCHEMASET_H

#include <stddef.h>

#include "compat/schema.h"

typedef struct regit_schemaset regit_schemaset;

/** An empty set. @return 0 or REGIT_ENOMEM */
int regit_schemaset_new(regit_schemaset **out);

/** Free the set, after every schema parsed through it. NULL is fine. */
void regit_schemaset_free(regit_schemaset *set);

/**
 * Add a member: its text (copied) and the name messages call it by
 * (a path; also what regit_schemaset_parse's `self` compares with).
 * @return 0 or REGIT_ENOMEM
 */
int regit_schemaset_add(regit_schemaset *set, const char *name, const char *text,
	size_t len);

/**
 * Read a schema file (at most max bytes) and add it, named `name` (NULL:
 * the path). @return 0, REGIT_ENOMEM, or an I/O error (set)
 */
int regit_schemaset_add_file(regit_schemaset *set, const char *path, const char *name,
	size_t max);

size_t regit_schemaset_count(const regit_schemaset *set);

/**
 * Add reference files the user named (--reference), each parsed at once
 * (through the set), so a missing or broken one is reported as itself
 * rather than as an unknown type where it is used.
 * @return 0, REGIT_ENOMEM, or REGIT_EINVALID with the error set:
 *         "reference FILE: why" / "reference FILE:LINE:COL: why"
 */
int regit_schemaset_add_references(regit_schemaset *set, char *const *paths, size_t n,
	size_t max);

/**
 * Parse like regit_schema_parse (default bounds), importing members as
 * the text needs them.
 * @param self  the name of a member holding this same text (never
 *              imported into itself), or NULL
 * @param err   the parser's error when it fails; an unknown type that no
 *              member defines is the parser's "unknown type" error
 * @return as regit_schema_parse; *out borrows from the set: free it first
 */
int regit_schemaset_parse(regit_schemaset *set, regit_schema **out, const char *text,
	size_t len, const char *self, regit_schema_error *err);

#endif
