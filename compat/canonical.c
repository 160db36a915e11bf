/*
 * canonical.c - Parsing Canonical Form and schema fingerprints.
 *
 * Parsing Canonical Form (PCF, Avro 1.11 specification, "Schema
 * Resolution" > "Parsing Canonical Form for Schemas") is the schema reduced
 * to what matters for reading data: primitives as bare strings, named types
 * by full name (spelled out in full at their first occurrence only), only
 * the attributes name, type, fields, symbols, items, values and size, in
 * that order, and no whitespace. Doc, aliases, defaults, order, logical
 * types and custom properties are dropped. Two schemas with the same PCF
 * read the same bytes the same way, so fingerprints of the PCF identify a
 * schema: CRC-64-AVRO ("Rabin") for Avro single-object encoding and SHA-256
 * for the registry.
 *
 * The writer streams into a sink instead of building a string, so the
 * fingerprints hash as they go and need no buffer the size of the schema.
 * The model is a graph (recursive types); a set of the named types already
 * written makes every reference after the first a name.
 */
#include "compat/schema.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json_escape.h"

/*
 * The parser bounds JSON nesting (64 by default), and a named type is
 * expanded only once, so recursion here is as deep as the schema text.
 * This guard only protects against a model built some other way.
 */
#define CANON_MAX_DEPTH 1024

/* CRC-64-AVRO: the spec's "fingerprint64", with this polynomial as seed. */
#define RABIN_EMPTY 0xc15d213aa4d7a795ULL

/*
 * Where canonical bytes go: a buffer, a running CRC, or a digest. The
 * writer emits many tiny pieces (quotes, commas, names), so they are staged
 * and handed to `put` in chunks: one call per few KiB instead of per token.
 */
#define CANON_STAGE 4096

typedef struct canon_sink canon_sink;
struct canon_sink {
	int (*put)(canon_sink *sink, const void *data, size_t len);
	regit_buf *buf;
	uint64_t crc;
	EVP_MD_CTX *md;
	size_t staged;
	char stage[CANON_STAGE];
};

/* Named types already written, by node address: open addressing. */
typedef struct canon_seen {
	const regit_type **slots;   /* points at inline_slots or owned memory */
	size_t cap;                 /* power of two */
	size_t count;
	const regit_type *inline_slots[64];
} canon_seen;

static uint64_t rabin_table[256];
static pthread_once_t rabin_once = PTHREAD_ONCE_INIT;

static void rabin_init_table(void)
{
	int i, j;

	for (i = 0; i < 256; i++) {
		uint64_t fp = (uint64_t)i;

		for (j = 0; j < 8; j++)
			fp = (fp >> 1) ^ (RABIN_EMPTY & (0 - (fp & 1)));
		rabin_table[i] = fp;
	}
}

static uint64_t rabin_update(uint64_t fp, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fp = (fp >> 8) ^ rabin_table[(fp ^ p[i]) & 0xff];
	return fp;
}

uint64_t regit_rabin_fingerprint(const void *data, size_t len)
{
	pthread_once(&rabin_once, rabin_init_table);
	return rabin_update(RABIN_EMPTY, data, len);
}

static int canon_put_buf(canon_sink *sink, const void *data, size_t len)
{
	return regit_buf_put(sink->buf, data, len);
}

static int canon_put_crc(canon_sink *sink, const void *data, size_t len)
{
	sink->crc = rabin_update(sink->crc, data, len);
	return 0;
}

static int canon_put_md(canon_sink *sink, const void *data, size_t len)
{
	if (EVP_DigestUpdate(sink->md, data, len) != 1) {
		regit_error_set(REGIT_ERROR_INTERNAL, "SHA-256 update failed");
		return REGIT_ERROR;
	}
	return 0;
}

/* Local rather than regit_type_kind_name: PCF spells these exactly so. */
static const char *canon_kind_name(regit_type_kind kind)
{
	static const char *const names[] = {
		"null", "boolean", "int", "long", "float", "double", "bytes",
		"string", "record", "enum", "array", "map", "union", "fixed"
	};

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]))
		return "";
	return names[kind];
}

static int canon_flush(canon_sink *sink)
{
	size_t n = sink->staged;

	sink->staged = 0;
	return n ? sink->put(sink, sink->stage, n) : 0;
}

static int canon_emit(canon_sink *sink, const void *data, size_t len)
{
	int error = 0;

	if (len > CANON_STAGE - sink->staged) {
		error = canon_flush(sink);
		if (error < 0)
			return error;
		if (len > CANON_STAGE)
			return sink->put(sink, data, len);
	}
	memcpy(sink->stage + sink->staged, data, len);
	sink->staged += len;
	return 0;
}

static int canon_puts(canon_sink *sink, const char *s)
{
	return canon_emit(sink, s, strlen(s));
}

static int canon_emit_escaped(const char *data, size_t len, void *payload)
{
	return canon_emit(payload, data, len);
}

/*
 * A JSON string literal, escaped like every JSON string regit writes
 * (util/json_escape.h), so the canonical text is identical whichever sink
 * receives it. Names and symbols are plain ASCII after validation; the
 * escaping only matters for models that did not come from the parser.
 */
static int canon_put_string(canon_sink *sink, const char *s)
{
	return regit_json_escape(s, strlen(s), canon_emit_escaped, sink);
}

static size_t canon_seen_hash(const regit_type *t, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)t;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (cap - 1);
}

static void canon_seen_init(canon_seen *seen)
{
	memset(seen->inline_slots, 0, sizeof(seen->inline_slots));
	seen->slots = seen->inline_slots;
	seen->cap = sizeof(seen->inline_slots) / sizeof(seen->inline_slots[0]);
	seen->count = 0;
}

static void canon_seen_dispose(canon_seen *seen)
{
	if (seen->slots != seen->inline_slots)
		regit_free(seen->slots);
	seen->slots = NULL;
}

/*
 * Add `t`; *added says whether it was new. Kept at most half full so probes
 * stay short and always end at an empty slot.
 */
static int canon_seen_add(canon_seen *seen, const regit_type *t, int *added)
{
	size_t i;

	if ((seen->count + 1) * 2 > seen->cap) {
		size_t ncap = seen->cap * 2, j;
		const regit_type **nslots = regit_calloc(ncap, sizeof(*nslots));

		if (!nslots)
			return REGIT_ENOMEM;
		for (j = 0; j < seen->cap; j++) {
			if (!seen->slots[j])
				continue;
			i = canon_seen_hash(seen->slots[j], ncap);
			while (nslots[i])
				i = (i + 1) & (ncap - 1);
			nslots[i] = seen->slots[j];
		}
		if (seen->slots != seen->inline_slots)
			regit_free(seen->slots);
		seen->slots = nslots;
		seen->cap = ncap;
	}
	i = canon_seen_hash(t, seen->cap);
	while (seen->slots[i]) {
		if (seen->slots[i] == t) {
			*added = 0;
			return 0;
		}
		i = (i + 1) & (seen->cap - 1);
	}
	seen->slots[i] = t;
	seen->count++;
	*added = 1;
	return 0;
}

static int canon_write(canon_sink *sink, canon_seen *seen, const regit_type *t,
	size_t depth);

/* {"name":"<fullname>","type":"<kind>", ... : the common head of named types. */
static int canon_named_head(canon_sink *sink, const regit_type *t)
{
	int error = canon_puts(sink, "{\"name\":");

	if (error == 0)
		error = canon_put_string(sink, t->fullname ? t->fullname : "");
	if (error == 0)
		error = canon_puts(sink, ",\"type\":");
	if (error == 0)
		error = canon_put_string(sink, canon_kind_name(t->kind));
	return error;
}

static int canon_record(canon_sink *sink, canon_seen *seen, const regit_type *t,
	size_t depth)
{
	size_t i;
	int error = canon_named_head(sink, t);

	if (error == 0)
		error = canon_puts(sink, ",\"fields\":[");
	for (i = 0; error == 0 && i < t->nfields; i++) {
		const regit_field *f = &t->fields[i];

		error = canon_puts(sink, i ? ",{\"name\":" : "{\"name\":");
		if (error == 0)
			error = canon_put_string(sink, f->name ? f->name : "");
		if (error == 0)
			error = canon_puts(sink, ",\"type\":");
		if (error == 0)
			error = canon_write(sink, seen, f->type, depth + 1);
		if (error == 0)
			error = canon_puts(sink, "}");
	}
	if (error == 0)
		error = canon_puts(sink, "]}");
	return error;
}

static int canon_enum(canon_sink *sink, const regit_type *t)
{
	size_t i;
	int error = canon_named_head(sink, t);

	if (error == 0)
		error = canon_puts(sink, ",\"symbols\":[");
	for (i = 0; error == 0 && i < t->nsymbols; i++) {
		if (i)
			error = canon_puts(sink, ",");
		if (error == 0)
			error = canon_put_string(sink, t->symbols[i]);
	}
	if (error == 0)
		error = canon_puts(sink, "]}");
	return error;
}

static int canon_fixed(canon_sink *sink, const regit_type *t)
{
	char num[32];
	int n;
	int error = canon_named_head(sink, t);

	/* Integers are written without sign, leading zeros or exponent. */
	n = snprintf(num, sizeof(num), ",\"size\":%zu}", t->size);
	if (error == 0)
		error = canon_emit(sink, num, (size_t)n);
	return error;
}

static int canon_write(canon_sink *sink, canon_seen *seen, const regit_type *t,
	size_t depth)
{
	size_t i;
	int added = 0;
	int error = 0;

	if (!t) {
		regit_error_set(REGIT_ERROR_INTERNAL, "canonical form: schema node missing");
		return REGIT_EINVALID;
	}
	if (depth > CANON_MAX_DEPTH) {
		regit_error_set(REGIT_ERROR_SCHEMA,
			"canonical form: schema nested deeper than %d", CANON_MAX_DEPTH);
		return REGIT_ELIMIT;
	}

	switch (t->kind) {
	case REGIT_TYPE_NULL:
	case REGIT_TYPE_BOOLEAN:
	case REGIT_TYPE_INT:
	case REGIT_TYPE_LONG:
	case REGIT_TYPE_FLOAT:
	case REGIT_TYPE_DOUBLE:
	case REGIT_TYPE_BYTES:
	case REGIT_TYPE_STRING:
		/* [PRIMITIVES]: logical annotations and properties are dropped. */
		return canon_put_string(sink, canon_kind_name(t->kind));

	case REGIT_TYPE_RECORD:
	case REGIT_TYPE_ENUM:
	case REGIT_TYPE_FIXED:
		error = canon_seen_add(seen, t, &added);
		if (error < 0)
			return error;
		if (!added)
			return canon_put_string(sink, t->fullname ? t->fullname : "");
		if (t->kind == REGIT_TYPE_RECORD)
			return canon_record(sink, seen, t, depth);
		if (t->kind == REGIT_TYPE_ENUM)
			return canon_enum(sink, t);
		return canon_fixed(sink, t);

	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		error = canon_puts(sink, t->kind == REGIT_TYPE_ARRAY ?
			"{\"type\":\"array\",\"items\":" : "{\"type\":\"map\",\"values\":");
		if (error == 0)
			error = canon_write(sink, seen, t->items, depth + 1);
		if (error == 0)
			error = canon_puts(sink, "}");
		return error;

	case REGIT_TYPE_UNION:
		error = canon_puts(sink, "[");
		for (i = 0; error == 0 && i < t->nbranches; i++) {
			if (i)
				error = canon_puts(sink, ",");
			if (error == 0)
				error = canon_write(sink, seen, t->branches[i], depth + 1);
		}
		if (error == 0)
			error = canon_puts(sink, "]");
		return error;
	}

	regit_error_set(REGIT_ERROR_INTERNAL, "canonical form: unknown type kind %d",
		(int)t->kind);
	return REGIT_EINVALID;
}

static int canon_run(canon_sink *sink, const regit_type *root)
{
	canon_seen seen;
	int error;

	canon_seen_init(&seen);
	sink->staged = 0;
	error = canon_write(sink, &seen, root, 0);
	if (error == 0)
		error = canon_flush(sink);
	canon_seen_dispose(&seen);
	return error;
}

int regit_type_canonical(const regit_type *type, regit_buf *out)
{
	canon_sink sink = { canon_put_buf, out, 0, NULL };
	size_t start = out->size;
	int error = canon_run(&sink, type);

	/* Leave the buffer as it was on failure, like every regit_buf append. */
	if (error < 0) {
		out->size = start;
		if (out->ptr)
			out->ptr[start] = '\0';
	}
	return error;
}

int regit_schema_canonical(const regit_schema *schema, regit_buf *out)
{
	return regit_type_canonical(regit_schema_root(schema), out);
}

int regit_type_fingerprint_rabin(uint64_t *out, const regit_type *type)
{
	canon_sink sink = { canon_put_crc, NULL, RABIN_EMPTY, NULL };
	int error;

	pthread_once(&rabin_once, rabin_init_table);
	error = canon_run(&sink, type);
	*out = error < 0 ? 0 : sink.crc;
	return error;
}

uint64_t regit_schema_fingerprint_rabin(const regit_schema *schema)
{
	uint64_t fp = 0;

	(void)regit_type_fingerprint_rabin(&fp, regit_schema_root(schema));
	return fp;
}

int regit_type_fingerprint_sha256(unsigned char out[32], const regit_type *type)
{
	canon_sink sink = { canon_put_md, NULL, 0, NULL };
	unsigned int mdlen = 0;
	int error = 0;

	sink.md = EVP_MD_CTX_new();
	if (!sink.md) {
		regit_error_set_oom();
		error = REGIT_ENOMEM;
		goto done;
	}
	if (EVP_DigestInit_ex(sink.md, EVP_sha256(), NULL) != 1) {
		regit_error_set(REGIT_ERROR_INTERNAL, "SHA-256 unavailable");
		error = REGIT_ERROR;
		goto done;
	}
	error = canon_run(&sink, type);
	if (error < 0)
		goto done;
	if (EVP_DigestFinal_ex(sink.md, out, &mdlen) != 1 || mdlen != 32) {
		regit_error_set(REGIT_ERROR_INTERNAL, "SHA-256 final failed");
		error = REGIT_ERROR;
		goto done;
	}

done:
	EVP_MD_CTX_free(sink.md);
	if (error < 0)
		memset(out, 0, 32);
	return error;
}

int regit_schema_fingerprint_sha256(const regit_schema *schema, unsigned char out[32])
{
	return regit_type_fingerprint_sha256(out, regit_schema_root(schema));
}
