/*
 * compat.h - the compatibility checker.
 *
 * Decides whether a new schema may follow older ones when producers and
 * consumers deploy independently. Two layers:
 *  - Avro schema resolution (specification 1.11, "Schema Resolution"): can
 *    a reader schema decode data written with a writer schema;
 *  - the strict evolution rules this product exists for: no field is ever
 *    removed (FIELD_REMOVED), renamed (FIELD_RENAMED: with an alias, or a
 *    removed and an added field of the same type, default and position) or
 *    added without a default (REQUIRED_FIELD_ADDED), anywhere in the
 *    schema, and the top-level record's partition key ("regit.key") keeps
 *    naming the same field (PARTITION_KEY_CHANGED).
 * Levels follow Confluent Schema Registry: BACKWARD means the new schema
 * reads data written with the old ones, FORWARD the reverse, FULL both;
 * the *_TRANSITIVE forms compare with every old version, the others with
 * the newest only.
 *
 * The checker reports findings, not a boolean: each names a stable rule id,
 * a JSON pointer into the new schema and a sentence a person understands.
 */
#ifndef REGIT_COMPAT_H
#define REGIT_COMPAT_H

#include <stddef.h>

#include "compat/schema.h"

typedef enum regit_compat_level {
	REGIT_LEVEL_NONE = 0,
	REGIT_LEVEL_BACKWARD,
	REGIT_LEVEL_BACKWARD_TRANSITIVE,
	REGIT_LEVEL_FORWARD,
	REGIT_LEVEL_FORWARD_TRANSITIVE,
	REGIT_LEVEL_FULL,
	REGIT_LEVEL_FULL_TRANSITIVE
} regit_compat_level;

typedef enum regit_compat_rules {
	REGIT_RULES_STRICT = 0,  /* Avro resolution + strict evolution rules */
	REGIT_RULES_AVRO         /* Avro resolution only (Confluent's behaviour) */
} regit_compat_rules;

typedef struct regit_finding {
	const char *rule;     /* static: "FIELD_REMOVED", "TYPE_MISMATCH", ... */
	char *path;           /* owned: JSON pointer in the new schema ("" = root) */
	char *old_path;       /* owned: JSON pointer in the old schema, or NULL */
	size_t old_index;     /* which old schema: 0 = the newest one given */
	char *message;        /* owned: one plain sentence */
} regit_finding;

typedef struct regit_compat_result {
	int compatible;
	regit_finding *findings;  /* owned */
	size_t nfindings;
	size_t nomitted;          /* findings dropped past max_findings */
} regit_compat_result;

#define REGIT_COMPAT_RESULT_INIT { 1, NULL, 0, 0 }

/*
 * Options for regit_compat_check_ext. Transparent; start from
 * REGIT_COMPAT_OPTIONS_INIT.
 */
typedef struct regit_compat_options {
	regit_compat_level level;
	regit_compat_rules rules;
	/*
	 * How messages name each old schema ("version 3", "HEAD~2"): borrowed,
	 * NULL or nold strings parallel to `old`. Without labels messages say
	 * "the previous schema" (old[0]) or "old schema #N" (N = index + 1).
	 */
	const char *const *old_labels;
	/* Stop recording findings after this many (0 = 1000); the verdict is unaffected. */
	size_t max_findings;
} regit_compat_options;

#define REGIT_COMPAT_OPTIONS_INIT { REGIT_LEVEL_FULL_TRANSITIVE, REGIT_RULES_STRICT, NULL, 0 }

/**
 * Check `next` against `old` (newest first) at `level`.
 * @param old   borrowed array of nold schemas; non-transitive levels use old[0]
 * @param out   receives the verdict and findings (dispose with
 *              regit_compat_result_dispose, also on error)
 * @return 0 (whatever the verdict), REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_compat_check(const regit_schema *next, const regit_schema *const *old,
	size_t nold, regit_compat_level level, regit_compat_rules rules,
	regit_compat_result *out);

/**
 * Avro schema resolution only: can `reader` decode data written with
 * `writer`? Findings' paths point into the reader, old_path into the
 * writer; old_index is 0.
 */
int regit_compat_can_read(const regit_schema *reader, const regit_schema *writer,
	regit_compat_result *out);

/**
 * regit_compat_check with labels for the old versions and a findings cap.
 * @param opts  NULL for REGIT_COMPAT_OPTIONS_INIT
 * @return 0 (whatever the verdict), REGIT_ENOMEM, REGIT_ELIMIT (the schemas
 *         are too deeply nested or too large to compare within the work bound)
 */
int regit_compat_check_ext(const regit_schema *next, const regit_schema *const *old,
	size_t nold, const regit_compat_options *opts, regit_compat_result *out);

void regit_compat_result_dispose(regit_compat_result *result);

/* "FULL_TRANSITIVE" <-> enum; parsing is case-insensitive and trims. */
const char *regit_compat_level_name(regit_compat_level level);
int regit_compat_level_parse(const char *name, regit_compat_level *out);

#endif
