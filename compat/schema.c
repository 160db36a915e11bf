/*
 * schema.c - lifetime and lookup of parsed schemas, plus the arena and the
 * string map the parser builds them with. Parsing and validation are in
 * schema_parse.c, printing in schema_print.c.
 */
#include "compat/schema_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"

/* ---- arena ------------------------------------------------------------ */

struct regit_arena_chunk {
	regit_arena_chunk *next;
	size_t size;     /* payload bytes */
	/* payload follows, aligned like max_align_t */
};

#define ARENA_ALIGN 16u
#define ARENA_HEADER ((sizeof(regit_arena_chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))
/* Big enough that a typical schema needs a handful of chunks. */
#define ARENA_CHUNK 16384u

/*
 * Each thread keeps up to two freed standard chunks (a list) for its next
 * arenas. Parsing a schema takes two arenas (the document and the schema);
 * a registry's cold start parses 100,000 schemas on a few threads.
 * Without the spares, every parse made two 16 KB mallocs, and a request
 * that large makes glibc consolidate its fast bins each time. The key's
 * destructor frees the spares of a thread that exits.
 */
#define ARENA_SPARES 2
static _Thread_local regit_arena_chunk *arena_spare;    /* list through next */
static _Thread_local int arena_nspare;
static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static int arena_key_ok;

static void arena_spare_free(void *list)
{
	regit_arena_chunk *c = list, *next;

	for (; c; c = next) {
		next = c->next;
		regit_free(c);
	}
}

static void arena_key_init(void)
{
	arena_key_ok = pthread_key_create(&arena_key, arena_spare_free) == 0;
}

static regit_arena_chunk *arena_chunk_new(size_t csize)
{
	regit_arena_chunk *chunk;

	if (csize == ARENA_CHUNK && arena_spare) {
		/* A spare is an allocation too, for failure injection: without
		 * this an Nth-allocation loop never fails a parse. */
		if (regit_alloc__should_fail()) {
			regit_error_set_oom();
			return NULL;
		}
		chunk = arena_spare;
		arena_spare = chunk->next;
		arena_nspare--;
		if (arena_key_ok)
			pthread_setspecific(arena_key, arena_spare);
		return chunk;
	}
	chunk = regit_malloc(ARENA_HEADER + csize);
	if (chunk)
		chunk->size = csize;
	return chunk;
}

static void arena_chunk_free(regit_arena_chunk *chunk)
{
	if (chunk->size == ARENA_CHUNK && arena_nspare < ARENA_SPARES) {
		pthread_once(&arena_once, arena_key_init);
		if (arena_key_ok && pthread_setspecific(arena_key, chunk) == 0) {
			chunk->next = arena_spare;
			arena_spare = chunk;
			arena_nspare++;
			return;
		}
	}
	regit_free(chunk);
}

void *regit_schema__arena_alloc(regit_arena *arena, size_t size)
{
	regit_arena_chunk *chunk;
	size_t csize;
	void *p;

	if (size > SIZE_MAX / 2) {
		regit_error_set_oom();
		return NULL;
	}
	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (size > arena->left) {
		/* Oversized requests get a chunk of their own; the current one stays usable. */
		csize = size > ARENA_CHUNK / 4 ? size : ARENA_CHUNK;
		chunk = arena_chunk_new(csize);
		if (!chunk)
			return NULL;
		if (csize == size && arena->head) {
			chunk->next = arena->head->next;
			arena->head->next = chunk;
			p = (char *)chunk + ARENA_HEADER;
			memset(p, 0, size);
			return p;
		}
		chunk->next = arena->head;
		arena->head = chunk;
		arena->cur = (char *)chunk + ARENA_HEADER;
		arena->left = csize;
	}
	p = arena->cur;
	arena->cur += size;
	arena->left -= size;
	memset(p, 0, size);
	return p;
}

char *regit_schema__arena_strndup(regit_arena *arena, const char *s, size_t n)
{
	char *p = regit_schema__arena_alloc(arena, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void regit_schema__arena_dispose(regit_arena *arena)
{
	regit_arena_chunk *c = arena->head, *next;

	while (c) {
		next = c->next;
		arena_chunk_free(c);
		c = next;
	}
	arena->head = NULL;
	arena->cur = NULL;
	arena->left = 0;
}

/* ---- string map ------------------------------------------------------- */

static size_t strmap_hash(const char *s)
{
	/* FNV-1a: fine for identifiers; the table is resized at 50% load. */
	uint64_t h = regit_hash_str(s);

	return (size_t)(h ^ (h >> 32));
}

void regit_strmap__init(regit_strmap *map)
{
	map->keys = NULL;
	map->values = NULL;
	map->cap = 0;
	map->count = 0;
}

void regit_strmap__dispose(regit_strmap *map)
{
	regit_free(map->keys);
	regit_free(map->values);
	regit_strmap__init(map);
}

void *regit_strmap__get(const regit_strmap *map, const char *key)
{
	size_t i;

	if (!map->cap)
		return NULL;
	for (i = strmap_hash(key) & (map->cap - 1); map->keys[i]; i = (i + 1) & (map->cap - 1)) {
		if (strcmp(map->keys[i], key) == 0)
			return map->values[i];
	}
	return NULL;
}

static void strmap_insert(const char **keys, void **values, size_t cap,
	const char *key, void *value)
{
	size_t i = strmap_hash(key) & (cap - 1);

	while (keys[i])
		i = (i + 1) & (cap - 1);
	keys[i] = key;
	values[i] = value;
}

int regit_strmap__put(regit_strmap *map, const char *key, void *value)
{
	if ((map->count + 1) * 2 > map->cap) {
		size_t ncap = map->cap ? map->cap * 2 : 16, i;
		const char **nkeys = regit_calloc(ncap, sizeof(*nkeys));
		void **nvalues = regit_calloc(ncap, sizeof(*nvalues));

		if (!nkeys || !nvalues) {
			regit_free(nkeys);
			regit_free(nvalues);
			return REGIT_ENOMEM;
		}
		for (i = 0; i < map->cap; i++) {
			if (map->keys[i])
				strmap_insert(nkeys, nvalues, ncap, map->keys[i], map->values[i]);
		}
		regit_free(map->keys);
		regit_free(map->values);
		map->keys = nkeys;
		map->values = nvalues;
		map->cap = ncap;
	}
	strmap_insert(map->keys, map->values, map->cap, key, value);
	map->count++;
	return 0;
}

/* ---- schema ----------------------------------------------------------- */

void regit_schema_free(regit_schema *schema)
{
	if (!schema)
		return;
	json_decref(schema->owned);
	regit_free(schema->named);
	regit_strmap__dispose(&schema->names);
	regit_schema__arena_dispose(&schema->arena);
	regit_free(schema);
}

size_t regit_schema_warnings(const regit_schema *schema, const char *const **out)
{
	if (out)
		*out = schema ? schema->warnings : NULL;
	return schema ? schema->nwarnings : 0;
}

const regit_type *regit_schema_root(const regit_schema *schema)
{
	return schema ? schema->root : NULL;
}

const regit_type *regit_schema__lookup(const regit_schema *schema,
	const char *fullname, int imports)
{
	const regit_type *t = regit_strmap__get(&schema->names, fullname);
	size_t i;

	if (t || !imports)
		return t;
	for (i = 0; i < schema->nimports; i++) {
		if (!schema->imports[i])
			continue;
		t = regit_schema__lookup(schema->imports[i], fullname, 0);
		if (t)
			return t;
	}
	return NULL;
}

const regit_type *regit_schema_find(const regit_schema *schema, const char *fullname)
{
	if (!schema || !fullname)
		return NULL;
	return regit_schema__lookup(schema, fullname, 0);
}

size_t regit_schema_named_count(const regit_schema *schema)
{
	return schema ? schema->nnamed : 0;
}

const regit_type *regit_schema_named_at(const regit_schema *schema, size_t i)
{
	if (!schema || i >= schema->nnamed)
		return NULL;
	return schema->named[i];
}

const char *regit_type_kind_name(regit_type_kind kind)
{
	switch (kind) {
	case REGIT_TYPE_NULL: return "null";
	case REGIT_TYPE_BOOLEAN: return "boolean";
	case REGIT_TYPE_INT: return "int";
	case REGIT_TYPE_LONG: return "long";
	case REGIT_TYPE_FLOAT: return "float";
	case REGIT_TYPE_DOUBLE: return "double";
	case REGIT_TYPE_BYTES: return "bytes";
	case REGIT_TYPE_STRING: return "string";
	case REGIT_TYPE_RECORD: return "record";
	case REGIT_TYPE_ENUM: return "enum";
	case REGIT_TYPE_ARRAY: return "array";
	case REGIT_TYPE_MAP: return "map";
	case REGIT_TYPE_UNION: return "union";
	case REGIT_TYPE_FIXED: return "fixed";
	}
	return "unknown";
}

int regit_type_is_named(const regit_type *type)
{
	return type && (type->kind == REGIT_TYPE_RECORD || type->kind == REGIT_TYPE_ENUM ||
		type->kind == REGIT_TYPE_FIXED);
}
