/*
 * schema_internal.h - the body of regit_schema, shared by the files that
 * implement compat/schema.h (schema.c: lifetime and lookup; schema_parse.c:
 * JSON -> model and validation, with schema_default.c and
 * schema_parse_path.c behind schema_parse_internal.h; schema_print.c:
 * model -> JSON).
 *
 * Every node, string and array of a schema lives in one arena that is freed
 * as a whole, so the parser never has to unwind half-built graphs: on any
 * failure it frees the schema and everything goes at once.
 */
#ifndef REGIT_SCHEMA_INTERNAL_H
#define REGIT_SCHEMA_INTERNAL_H

#include "compat/schema.h"

/* A bump allocator: a list of chunks, all freed by regit_schema__arena_dispose. */
typedef struct regit_arena_chunk regit_arena_chunk;
typedef struct regit_arena {
	regit_arena_chunk *head;
	char *cur;       /* next free byte in head */
	size_t left;     /* bytes left in head */
} regit_arena;

void *regit_schema__arena_alloc(regit_arena *arena, size_t size);
char *regit_schema__arena_strndup(regit_arena *arena, const char *s, size_t n);
void regit_schema__arena_dispose(regit_arena *arena);

/*
 * A decoded JSON document (schema_json.c), allocated in an arena. Strings
 * are NUL-terminated and may contain NUL (n is the length); object
 * members keep their order; keys are unique.
 */
typedef enum regit_json_type {
	REGIT_JSON_NULL = 0,
	REGIT_JSON_TRUE,
	REGIT_JSON_FALSE,
	REGIT_JSON_INTEGER,
	REGIT_JSON_REAL,
	REGIT_JSON_STRING,
	REGIT_JSON_ARRAY,
	REGIT_JSON_OBJECT
} regit_json_type;

typedef struct regit_json_member regit_json_member;

typedef struct regit_json_value {
	regit_json_type type;
	size_t n;                         /* string length, or array/object size */
	union {
		json_int_t i;
		double d;
		const char *s;
		regit_json_member *members;   /* array elements have no key */
	} u;
} regit_json_value;

struct regit_json_member {
	const char *key;                  /* NULL in arrays */
	size_t klen;
	regit_json_value value;
};

/**
 * Decode text into the arena. @return 0; 1 when the text is not one this
 * decoder takes (anything jansson might reject or decode differently, or
 * arrays and objects nested deeper than max_depth: the caller then uses
 * jansson and regit_json__from_jansson); REGIT_ENOMEM
 */
int regit_json__parse(regit_json_value *out, regit_arena *arena, const char *text, size_t len,
	size_t max_depth);
/** A jansson value as a document in the arena. @return 0 or REGIT_ENOMEM */
int regit_json__from_jansson(regit_json_value *out, regit_arena *arena, const json_t *v);
/** A new jansson value (owned) equal to v, NULL when out of memory. */
json_t *regit_json__to_jansson(const regit_json_value *v);
/** Member of an object by key, or NULL (also when obj is no object). @return borrowed */
const regit_json_value *regit_json__get(const regit_json_value *obj, const char *key);

/*
 * A string-keyed open-addressing hash table. Keys are borrowed and must
 * outlive the table; values are opaque. Used for the named-type table and
 * for duplicate checks (field names, symbols, union branches), which must
 * stay linear on hostile inputs with 100k entries.
 */
typedef struct regit_strmap {
	const char **keys;
	void **values;
	size_t cap;      /* power of two, or 0 */
	size_t count;
} regit_strmap;

void regit_strmap__init(regit_strmap *map);
void regit_strmap__dispose(regit_strmap *map);
/** @return the value or NULL */
void *regit_strmap__get(const regit_strmap *map, const char *key);
/** Insert (key must be absent). @return 0 or REGIT_ENOMEM */
int regit_strmap__put(regit_strmap *map, const char *key, void *value);

/*
 * A type node as allocated by the parser: the public struct plus what only
 * the implementation needs. Public pointers to regit_type point at `pub`,
 * the first member, so a cast recovers the node.
 */
typedef struct regit_type_node {
	regit_type pub;
	/* Enum: symbols sorted with strcmp, for O(log n) default checks. */
	const char **sorted_symbols;
} regit_type_node;

struct regit_schema {
	regit_arena arena;
	json_t *owned;              /* JSON array of the defaults and properties (owned), or NULL */
	const regit_type *root;
	regit_type **named;         /* definition order (arena) */
	size_t nnamed;
	regit_strmap names;         /* fullname -> regit_type * */
	const regit_schema *const *imports;  /* borrowed, from the options */
	size_t nimports;
	/* What the parse ignored (an invalid logical type): the first
	 * REGIT_SCHEMA_MAX_WARNINGS messages (arena), and how many there were. */
	const char *warnings[REGIT_SCHEMA_MAX_WARNINGS];
	size_t nwarnings;
};

/** Named type by full name in this schema or (when `imports`) its imports. */
const regit_type *regit_schema__lookup(const regit_schema *schema,
	const char *fullname, int imports);

#endif
