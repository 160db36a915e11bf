/*
 * schema.h - the Avro schema model: parse, validate, inspect.
 *
 * A regit_schema is an immutable, fully resolved graph of regit_type nodes
 * parsed from Avro schema JSON (Avro 1.11 specification). References to
 * named types point at the defining node, so recursive schemas are cyclic
 * graphs: walkers must track visited named types. The node structs are
 * transparent for fast traversal by the checker and the code generator, but
 * they are read-only: only compat/schema.c builds them.
 *
 * Everything reachable from a regit_schema (nodes, strings, JSON values) is
 * owned by it and lives until regit_schema_free().
 */
#ifndef REGIT_SCHEMA_H
#define REGIT_SCHEMA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef enum regit_type_kind {
	REGIT_TYPE_NULL = 0,
	REGIT_TYPE_BOOLEAN,
	REGIT_TYPE_INT,
	REGIT_TYPE_LONG,
	REGIT_TYPE_FLOAT,
	REGIT_TYPE_DOUBLE,
	REGIT_TYPE_BYTES,
	REGIT_TYPE_STRING,
	REGIT_TYPE_RECORD,
	REGIT_TYPE_ENUM,
	REGIT_TYPE_ARRAY,
	REGIT_TYPE_MAP,
	REGIT_TYPE_UNION,
	REGIT_TYPE_FIXED
} regit_type_kind;

/* Logical types are annotations; the underlying kind is what is encoded. */
typedef enum regit_logical {
	REGIT_LOGICAL_NONE = 0,
	REGIT_LOGICAL_DECIMAL,                /* bytes or fixed; precision, scale */
	REGIT_LOGICAL_UUID,                   /* string */
	REGIT_LOGICAL_DATE,                   /* int */
	REGIT_LOGICAL_TIME_MILLIS,            /* int */
	REGIT_LOGICAL_TIME_MICROS,            /* long */
	REGIT_LOGICAL_TIMESTAMP_MILLIS,       /* long */
	REGIT_LOGICAL_TIMESTAMP_MICROS,       /* long */
	REGIT_LOGICAL_LOCAL_TIMESTAMP_MILLIS, /* long */
	REGIT_LOGICAL_LOCAL_TIMESTAMP_MICROS, /* long */
	REGIT_LOGICAL_DURATION,               /* fixed(12) */
	REGIT_LOGICAL_UNKNOWN                 /* any other logicalType string, or a known one on
	                                         the wrong underlying type: kept, ignored */
} regit_logical;

typedef enum regit_field_order {
	REGIT_ORDER_ASCENDING = 0,
	REGIT_ORDER_DESCENDING,
	REGIT_ORDER_IGNORE
} regit_field_order;

typedef struct regit_type regit_type;
typedef struct regit_field regit_field;

struct regit_field {
	const char *name;
	const regit_type *type;
	const char *doc;               /* NULL when absent */
	const json_t *default_value;   /* NULL when the field has no default. Validated against
	                                  the type (union: first branch). A float/double field
	                                  may hold "NaN", "Infinity" or "-Infinity" (strings,
	                                  as Avro Java accepts); numeric strings are stored as
	                                  JSON reals. */
	regit_field_order order;
	const char *const *aliases;    /* field aliases as written */
	size_t naliases;
	const json_t *props;           /* custom properties (JSON object, input order) or NULL */
	const char *path;              /* JSON pointer of the field object, e.g. "/fields/2" */
};

struct regit_type {
	regit_type_kind kind;

	/* Logical type annotation (any kind). */
	regit_logical logical;
	const char *logical_name;      /* the logicalType string as written, or NULL */
	int precision, scale;          /* decimal only */

	/* Named types (record, enum, fixed). NULL otherwise. */
	const char *name;              /* unqualified */
	const char *space;             /* namespace; NULL for the null namespace */
	const char *fullname;          /* "space.name" or "name" */
	const char *doc;               /* record/enum doc, or NULL */
	const char *const *aliases;    /* fully qualified aliases */
	size_t naliases;

	/* Record. */
	const regit_field *fields;
	size_t nfields;

	/* Enum. */
	const char *const *symbols;
	size_t nsymbols;
	const char *enum_default;      /* NULL when absent */

	/* Fixed. */
	size_t size;

	/* Array items or map values. */
	const regit_type *items;

	/* Union. */
	const regit_type *const *branches;
	size_t nbranches;

	/*
	 * Custom (non-reserved) properties, JSON object in input order, or NULL.
	 * As in Avro Java, logicalType, precision and scale are properties too
	 * (kept as written, also when invalid), so printing can keep their order.
	 */
	const json_t *props;

	/* JSON pointer where this node is defined, e.g. "/fields/3/type". */
	const char *path;
};

typedef struct regit_schema regit_schema;

/* Bounds that keep hostile schemas from exhausting memory or stack. */
typedef struct regit_schema_options {
	size_t max_size;      /* bytes of schema text; default 4 MiB */
	size_t max_depth;     /* JSON nesting depth; default 64 */
	size_t max_names;     /* named types + fields + symbols; default 100000 */
	/*
	 * Schemas whose named types may be referenced by name (Confluent schema
	 * references). Borrowed: they must outlive the parsed schema.
	 */
	const regit_schema *const *imports;
	size_t nimports;
} regit_schema_options;

#define REGIT_SCHEMA_OPTIONS_INIT { 4u << 20, 64, 100000, NULL, 0 }

/* Where and why a schema was rejected. */
typedef struct regit_schema_error {
	char message[512];    /* one line, plain words */
	char path[512];       /* JSON pointer into the schema, "" for the root */
	int line, column;     /* 1-based position in the text; 0 when unknown */
	/*
	 * With an "unknown type" error: the name as written and the namespace
	 * it was written in ("" for none), so a caller can find the schema
	 * that defines it (space.name first, then name, as the parser looks
	 * names up) and parse again with it imported. "" otherwise.
	 */
	char unknown[256];
	char unknown_space[256];
} regit_schema_error;

/**
 * Parse and validate Avro schema JSON text.
 *
 * @param out   receives the schema (owned; free with regit_schema_free);
 *              NULL on failure
 * @param text  schema JSON (need not be NUL-terminated)
 * @param opts  bounds and imports; NULL for defaults
 * @param err   filled on failure (may be NULL)
 * @return 0, REGIT_EINVALID (invalid schema), REGIT_ELIMIT (a bound was
 *         hit), REGIT_ENOMEM
 */
int regit_schema_parse(regit_schema **out, const char *text, size_t len,
	const regit_schema_options *opts, regit_schema_error *err);

/** Read and parse a schema file; err->message names the file on I/O errors. */
int regit_schema_parse_file(regit_schema **out, const char *path,
	const regit_schema_options *opts, regit_schema_error *err);

void regit_schema_free(regit_schema *schema);

/** At most this many warnings are kept per schema (regit_schema_warnings). */
#define REGIT_SCHEMA_MAX_WARNINGS 8

/**
 * What the parse accepted but ignored, as the Avro specification asks:
 * an invalid logical type (a decimal whose scale exceeds its precision, or
 * without a precision) is ignored and the underlying type is used, as
 * python-avro and Avro Java do (with a warning).
 *
 * @param out  receives up to REGIT_SCHEMA_MAX_WARNINGS one-line messages
 *             ("... at /fields/0/type"), borrowed (live as long as schema);
 *             may be NULL
 * @return the number of warnings (may exceed the messages kept)
 */
size_t regit_schema_warnings(const regit_schema *schema, const char *const **out);

/** The top-level type. @return borrowed, lives as long as schema */
const regit_type *regit_schema_root(const regit_schema *schema);

/** The named type with this full name defined in this schema (not its imports), or NULL. @return borrowed */
const regit_type *regit_schema_find(const regit_schema *schema, const char *fullname);

/** Named types in definition order (for code generation). @return borrowed */
size_t regit_schema_named_count(const regit_schema *schema);
const regit_type *regit_schema_named_at(const regit_schema *schema, size_t i);

/** Parsing Canonical Form (Avro spec), appended to out. */
int regit_schema_canonical(const regit_schema *schema, regit_buf *out);

/** CRC-64-AVRO (Rabin) fingerprint of the canonical form. */
uint64_t regit_schema_fingerprint_rabin(const regit_schema *schema);
/** SHA-256 of the canonical form, 32 bytes into out. */
int regit_schema_fingerprint_sha256(const regit_schema *schema, unsigned char out[32]);

/** The Rabin fingerprint of arbitrary bytes (Avro's CRC-64-AVRO). */
uint64_t regit_rabin_fingerprint(const void *data, size_t len);

/*
 * The same for any node of a schema (e.g. one union branch or field type):
 * the canonical form of `type` as if it were the top-level schema. Named
 * types are spelled out at their first occurrence within `type`.
 * regit_schema_fingerprint_rabin() has no error channel and returns 0 when
 * allocation fails; these report it.
 * @return 0, REGIT_ENOMEM, REGIT_ELIMIT (out's bound, or nesting > 1024)
 */
int regit_type_canonical(const regit_type *type, regit_buf *out);
int regit_type_fingerprint_rabin(uint64_t *out, const regit_type *type);
int regit_type_fingerprint_sha256(unsigned char out[32], const regit_type *type);

typedef enum regit_print_style {
	/* Indented, stable key order, one field per line: for people and git. */
	REGIT_PRINT_PRETTY = 0,
	/*
	 * Compact, in Avro Java's Schema.toString() order: the schema string the
	 * Confluent registry stores and returns (confluent-api §4.9).
	 */
	REGIT_PRINT_COMPACT = 1,
	/*
	 * COMPACT, but named types imported through references are written in
	 * full where first met instead of by name: a self-contained schema
	 * (the registry's ?format=resolved, confluent-api §3).
	 */
	REGIT_PRINT_RESOLVED = 2
} regit_print_style;

/** Write the schema back as JSON (keeps doc, defaults, aliases, properties). */
int regit_schema_print(const regit_schema *schema, regit_print_style style, regit_buf *out);

/** "record", "int", ... */
const char *regit_type_kind_name(regit_type_kind kind);

/** True for the named kinds record, enum and fixed. */
int regit_type_is_named(const regit_type *type);

#endif
