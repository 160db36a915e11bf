/*
 * datum.c - a schema-driven Avro binary decoder into Avro JSON (see datum.h).
 *
 * One recursive walk reads the writer's schema over the bytes. With a
 * reader schema, every decision of schema resolution is asked of
 * compat/resolve (the checker and the code generator ask it the same
 * questions, so `regit decode` reads data exactly as `regit check` judged
 * and generated decoders read it):
 *   - a writer union selects its branch from the data, which is then read
 *     as the reader type (or, for a reader union, as the branch
 *     regit_resolve_branch picks);
 *   - records are read in the writer's field order; each writer field goes
 *     to the reader field regit_resolve_field says reads it (names and
 *     reader aliases), or is read and dropped; reader fields the writer
 *     lacks take their defaults, converted to Avro JSON (union defaults are
 *     for the first branch, and are wrapped). That mapping depends on the
 *     two record types only, so a regit_datum_decoder works it out the
 *     first time a pair is met and keeps it (datum_plan) for every later
 *     record and message;
 *   - enum symbols go through regit_resolve_symbol (the reader's default
 *     for unknown symbols);
 *   - promotions (int -> long/float/double, long -> float/double, float ->
 *     double, string <-> bytes) convert the value.
 *
 * Limits. Recursion is bounded by max_depth. Lengths are checked against
 * the bytes left before anything is allocated. Items that occupy no bytes
 * (null, empty records) make block counts the dangerous part: instead of
 * guessing a per-block cap, every JSON value produced is charged to a
 * budget proportional to the input length (max_values), and every string
 * byte to another (max_string_bytes), so a decode's memory is linear in its
 * input whatever the counts say.
 */
#include "compat/datum.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compat/resolve.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/map.h"

#define DATUM_PATH_MAX 256
/*
 * Record pairs whose field mapping a decoder keeps. Each pair met costs
 * one mapping of the writer's field count; past this many (only hostile
 * schemas have them) further mappings are worked out per record again.
 */
#define DATUM_MAX_PLANS 4096

/* Where each field of writer record w goes in reader record r. */
typedef struct datum_plan {
	const regit_type *w, *r;
	size_t *reader_of;           /* per writer field: reader field or REGIT_RESOLVE_NONE */
} datum_plan;

struct regit_datum_decoder {
	const regit_type *writer, *reader;
	regit_map plans;             /* datum_plan by (w, r); owned entries */
};

typedef struct datum_ctx {
	const unsigned char *p;      /* next byte */
	const unsigned char *start;
	const unsigned char *end;
	size_t depth, max_depth;
	size_t values, max_values;
	size_t sbytes, max_sbytes;
	regit_resolver *rs;          /* NULL when reading as written */
	regit_datum_decoder *dec;    /* its plans */
	char path[DATUM_PATH_MAX];   /* where in the value, for messages */
	size_t pathlen;
} datum_ctx;

static int datum_fail(datum_ctx *c, int code, const char *fmt, const char *what)
{
	regit_error_set(REGIT_ERROR_COMPAT, fmt, what, (size_t)(c->p - c->start),
		c->pathlen ? c->path : "/");
	return code;
}

/* The standard message shape: "<what> at byte N (value path /a/b)". */
#define DATUM_FAIL(c, code, what) datum_fail((c), (code), "%s at byte %zu (at %s)", (what))

static size_t datum_path_push(datum_ctx *c, const char *seg, size_t n)
{
	size_t old = c->pathlen;

	size_t i;

	if (c->pathlen + n + 2 < DATUM_PATH_MAX) {
		c->path[c->pathlen++] = '/';
		/* Map keys are data: keep control bytes out of one-line messages. */
		for (i = 0; i < n; i++)
			c->path[c->pathlen++] = (unsigned char)seg[i] < 0x20 || seg[i] == 0x7f ?
				'?' : seg[i];
		c->path[c->pathlen] = '\0';
	}
	return old;
}

static size_t datum_path_push_index(datum_ctx *c, unsigned long long i)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%llu", i);

	return datum_path_push(c, num, (size_t)n);
}

static void datum_path_pop(datum_ctx *c, size_t old)
{
	c->pathlen = old;
	c->path[old] = '\0';
}

static int datum_charge(datum_ctx *c, size_t values, size_t sbytes)
{
	if (values > c->max_values - c->values)
		return DATUM_FAIL(c, REGIT_ELIMIT, "the value has too many items for its size");
	if (sbytes > c->max_sbytes - c->sbytes)
		return DATUM_FAIL(c, REGIT_ELIMIT, "the value's strings are too long for its size");
	c->values += values;
	c->sbytes += sbytes;
	return 0;
}

static int datum_oom(void)
{
	regit_error_set_oom();
	return REGIT_ENOMEM;
}

/* A zig-zag varint of at most 10 bytes (Avro long). */
static int datum_read_long(int64_t *out, datum_ctx *c)
{
	uint64_t v = 0;
	unsigned shift = 0;
	unsigned char b;

	do {
		if (c->p >= c->end)
			return DATUM_FAIL(c, REGIT_EINVALID, "truncated: a number is cut off");
		if (shift == 63 && (*c->p & 0x7e))
			return DATUM_FAIL(c, REGIT_EINVALID, "a number is longer than 64 bits");
		if (shift > 63)
			return DATUM_FAIL(c, REGIT_EINVALID, "a number is longer than 10 bytes");
		b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	*out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
	return 0;
}

static int datum_read_int(int32_t *out, datum_ctx *c)
{
	int64_t v;
	int error = datum_read_long(&v, c);

	if (error < 0)
		return error;
	if (v < INT32_MIN || v > INT32_MAX)
		return DATUM_FAIL(c, REGIT_EINVALID, "an int is out of range");
	*out = (int32_t)v;
	return 0;
}

static int datum_need(datum_ctx *c, size_t n, const char *what)
{
	if ((size_t)(c->end - c->p) < n)
		return DATUM_FAIL(c, REGIT_EINVALID, what);
	return 0;
}

/* A length prefix: not negative, and no more than the bytes left. */
static int datum_read_len(size_t *out, datum_ctx *c)
{
	int64_t n;
	int error = datum_read_long(&n, c);

	if (error < 0)
		return error;
	if (n < 0)
		return DATUM_FAIL(c, REGIT_EINVALID, "a length is negative");
	if ((uint64_t)n > (uint64_t)(c->end - c->p))
		return DATUM_FAIL(c, REGIT_EINVALID, "truncated: a length runs past the end");
	*out = (size_t)n;
	return 0;
}

static json_t *datum_real(double d)
{
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

/* Bytes as an ISO-8859-1 string: each byte is the code point of one character. */
static int datum_latin1(json_t **out, datum_ctx *c, const unsigned char *b, size_t n)
{
	char *s;
	size_t i, k = 0;
	int error = datum_charge(c, 0, 2 * n);

	if (error < 0)
		return error;
	s = regit_malloc(2 * n + 1);
	if (!s)
		return REGIT_ENOMEM;
	for (i = 0; i < n; i++) {
		if (b[i] < 0x80) {
			s[k++] = (char)b[i];
		} else {
			s[k++] = (char)(0xc0 | (b[i] >> 6));
			s[k++] = (char)(0x80 | (b[i] & 0x3f));
		}
	}
	*out = json_stringn_nocheck(s, k);
	regit_free(s);
	return *out ? 0 : datum_oom();
}

/* A UTF-8 string of n bytes at the cursor (already length-checked). */
static int datum_utf8(json_t **out, datum_ctx *c, size_t n)
{
	int error = datum_charge(c, 0, n);

	if (error < 0)
		return error;
	regit_error_clear();
	*out = json_stringn((const char *)c->p, n);
	if (!*out && regit_error_last()->klass == REGIT_ERROR_NOMEMORY)
		return REGIT_ENOMEM;
	if (!*out)
		return DATUM_FAIL(c, REGIT_EINVALID, "a string is not valid UTF-8");
	c->p += n;
	return 0;
}

static const char *datum_type_name(const regit_type *t)
{
	return regit_type_is_named(t) ? t->fullname : regit_type_kind_name(t->kind);
}

/*
 * {"<name of t>": v}, or v itself for null. Takes v on every path; *out is
 * NULL on failure (so datum_wrap(&v, c, t, v) leaves no dangling v).
 */
static int datum_wrap(json_t **out, datum_ctx *c, const regit_type *t, json_t *v)
{
	json_t *o;
	int error;

	*out = NULL;
	if (t->kind == REGIT_TYPE_NULL) {
		*out = v;
		return 0;
	}
	error = datum_charge(c, 1, 0);
	if (error < 0) {
		json_decref(v);
		return error;
	}
	o = json_object();
	if (!o) {
		json_decref(v);
		return datum_oom();
	}
	if (json_object_set_new(o, datum_type_name(t), v) < 0) {
		json_decref(o);
		return datum_oom();
	}
	*out = o;
	return 0;
}

static int datum_default(json_t **out, datum_ctx *c, const regit_type *t, const json_t *d);

/* A record's default: each field from the object, else the field's own default. */
static int datum_default_record(json_t **out, datum_ctx *c, const regit_type *t, const json_t *d)
{
	json_t *o = json_object(), *v = NULL;
	size_t i;
	int error = 0;

	if (!o)
		return datum_oom();
	for (i = 0; i < t->nfields && error == 0; i++) {
		const regit_field *f = &t->fields[i];
		const json_t *fd = json_is_object(d) ? json_object_get(d, f->name) : NULL;

		if (!fd)
			fd = f->default_value;
		if (!fd) {
			error = DATUM_FAIL(c, REGIT_EINVALID,
				"a default value lacks a field that has no default");
			break;
		}
		error = datum_default(&v, c, f->type, fd);
		if (error == 0 && json_object_set_new(o, f->name, v) < 0)
			error = datum_oom();
	}
	if (error < 0) {
		json_decref(o);
		return error;
	}
	*out = o;
	return 0;
}

/*
 * A schema default (JSON as the schema writes it) in Avro's JSON encoding
 * for type t. Defaults were validated by the parser; what differs is that
 * a union's default is its first branch's value, unwrapped.
 */
static int datum_default(json_t **out, datum_ctx *c, const regit_type *t, const json_t *d)
{
	json_t *v = NULL, *item = NULL;
	const char *key;
	const json_t *jv;
	size_t i;
	int error;

	if (c->depth >= c->max_depth)
		return DATUM_FAIL(c, REGIT_ELIMIT, "a default value is nested too deeply");
	error = datum_charge(c, 1, json_is_string(d) ? json_string_length(d) : 0);
	if (error < 0)
		return error;
	c->depth++;
	switch (t->kind) {
	case REGIT_TYPE_UNION:
		if (t->nbranches == 0) {
			error = DATUM_FAIL(c, REGIT_EINVALID, "a default of an empty union");
			break;
		}
		error = datum_default(&v, c, t->branches[0], d);
		if (error == 0)
			error = datum_wrap(&v, c, t->branches[0], v);
		break;
	case REGIT_TYPE_RECORD:
		error = datum_default_record(&v, c, t, d);
		break;
	case REGIT_TYPE_ARRAY:
		v = json_array();
		if (!v) {
			error = datum_oom();
			break;
		}
		for (i = 0; json_is_array(d) && i < json_array_size(d) && error == 0; i++) {
			error = datum_default(&item, c, t->items, json_array_get(d, i));
			if (error == 0 && json_array_append_new(v, item) < 0)
				error = datum_oom();
		}
		break;
	case REGIT_TYPE_MAP:
		v = json_object();
		if (!v) {
			error = datum_oom();
			break;
		}
		json_object_foreach((json_t *)d, key, jv) {
			error = datum_default(&item, c, t->items, jv);
			if (error == 0 && json_object_set_new(v, key, item) < 0)
				error = datum_oom();
			if (error < 0)
				break;
		}
		break;
	default:
		/* Scalars: the schema's JSON is already the Avro JSON. */
		v = json_deep_copy(d);
		if (!v)
			error = datum_oom();
		break;
	}
	c->depth--;
	if (error < 0) {
		json_decref(v);
		return error;
	}
	*out = v;
	return 0;
}

static int datum_read(json_t **out, datum_ctx *c, const regit_type *w, const regit_type *r);

/* Read a value of w and drop it (a writer field no reader field reads). */
static int datum_skip(datum_ctx *c, const regit_type *w)
{
	json_t *v = NULL;
	int error = datum_read(&v, c, w, NULL);

	json_decref(v);
	return error;
}

static int datum_plan_eq(const void *val, const void *key)
{
	const datum_plan *p = val, *k = key;

	return p->w == k->w && p->r == k->r;
}

/*
 * The reader field of each writer field of w read as r: the decoder's
 * plan for the pair, worked out (through compat/resolve) and kept the
 * first time. *owned is set when the decoder keeps no more plans: the
 * caller frees that one.
 */
static int datum_plan_get(const size_t **out, size_t **owned, datum_ctx *c,
	const regit_type *w, const regit_type *r)
{
	datum_plan key = { w, r, NULL }, *plan;
	uint64_t h = regit_hash_ptrs(w, r, 0);
	regit_resolve_field_action action;
	size_t *reader_of, i, idx;
	int error;

	*owned = NULL;
	plan = regit_map_get(&c->dec->plans, h, datum_plan_eq, &key);
	if (plan) {
		*out = plan->reader_of;
		return 0;
	}
	reader_of = regit_calloc(w->nfields + 1, sizeof(*reader_of));
	if (!reader_of)
		return datum_oom();
	for (i = 0; i < w->nfields; i++)
		reader_of[i] = REGIT_RESOLVE_NONE;
	for (i = 0; i < r->nfields; i++) {
		error = regit_resolve_field(&action, &idx, c->rs, w, &r->fields[i], i);
		if (error < 0) {
			regit_free(reader_of);
			return error;
		}
		if (action == REGIT_RESOLVE_FIELD_READ && idx < w->nfields)
			reader_of[idx] = i;
	}
	*out = reader_of;
	if (c->dec->plans.n < DATUM_MAX_PLANS && regit_map_reserve(&c->dec->plans) == 0) {
		plan = regit_malloc(sizeof(*plan));
		if (plan) {
			plan->w = w;
			plan->r = r;
			plan->reader_of = reader_of;
			regit_map_put(&c->dec->plans, h, plan);
			return 0;
		}
	}
	/* Not kept (a bound, or no memory for the entry): this record's alone. */
	*owned = reader_of;
	return 0;
}

static int datum_read_record(json_t **out, datum_ctx *c, const regit_type *w,
	const regit_type *r)
{
	json_t **slots = NULL, *o = NULL;
	const size_t *reader_of = NULL;
	size_t *owned = NULL, i, ri, old;
	int error = 0;

	if (!r)
		r = w;
	slots = regit_calloc(r->nfields + 1, sizeof(*slots));
	o = json_object();
	if (!slots || !o) {
		error = datum_oom();
		goto done;
	}
	/* Read as written, writer field i is field i; else the pair's plan. */
	if (r != w) {
		error = datum_plan_get(&reader_of, &owned, c, w, r);
		if (error < 0)
			goto done;
	}
	/* The bytes hold the writer's fields in the writer's order. */
	for (i = 0; i < w->nfields; i++) {
		ri = reader_of ? reader_of[i] : i;
		old = datum_path_push(c, w->fields[i].name, strlen(w->fields[i].name));
		if (ri == REGIT_RESOLVE_NONE)
			error = datum_skip(c, w->fields[i].type);
		else
			error = datum_read(&slots[ri], c, w->fields[i].type,
				r != w ? r->fields[ri].type : NULL);
		datum_path_pop(c, old);
		if (error < 0)
			goto done;
	}
	/* Then the object in the reader's order, defaults where the writer had nothing. */
	for (i = 0; i < r->nfields; i++) {
		const regit_field *f = &r->fields[i];

		if (!slots[i]) {
			old = datum_path_push(c, f->name, strlen(f->name));
			if (!f->default_value) {
				error = DATUM_FAIL(c, REGIT_EINVALID,
					"the reader's field has no default and the writer lacks it");
			} else {
				error = datum_default(&slots[i], c, f->type, f->default_value);
			}
			datum_path_pop(c, old);
			if (error < 0)
				goto done;
		}
		error = json_object_set_new(o, f->name, slots[i]);
		slots[i] = NULL;
		if (error < 0) {
			error = datum_oom();
			goto done;
		}
	}
	*out = o;
	o = NULL;
done:
	if (slots) {
		for (i = 0; i < r->nfields; i++)
			json_decref(slots[i]);
	}
	regit_free(slots);
	regit_free(owned);
	json_decref(o);
	return error;
}

/* Arrays and maps: blocks of count items (negative count: a byte size follows). */
static int datum_read_blocks(json_t **out, datum_ctx *c, const regit_type *w,
	const regit_type *r)
{
	int is_map = w->kind == REGIT_TYPE_MAP;
	json_t *coll = is_map ? json_object() : json_array();
	json_t *item = NULL, *key = NULL;
	unsigned long long index = 0;
	int64_t count, bytes;
	size_t old;
	int error = 0;

	if (!coll)
		return datum_oom();
	for (;;) {
		error = datum_read_long(&count, c);
		if (error < 0)
			goto done;
		if (count == 0)
			break;
		if (count < 0) {
			if (count == INT64_MIN) {
				error = DATUM_FAIL(c, REGIT_EINVALID, "a block count is out of range");
				goto done;
			}
			count = -count;
			error = datum_read_long(&bytes, c);
			if (error < 0)
				goto done;
			if (bytes < 0) {
				error = DATUM_FAIL(c, REGIT_EINVALID, "a block size is negative");
				goto done;
			}
		}
		/* Each item costs at least one value: the budget bounds the loop. */
		while (count-- > 0) {
			error = datum_charge(c, 1, 0);
			if (error < 0)
				goto done;
			if (is_map) {
				size_t n;

				error = datum_read_len(&n, c);
				if (error == 0)
					error = datum_utf8(&key, c, n);
				if (error < 0)
					goto done;
				old = datum_path_push(c, json_string_value(key), json_string_length(key));
			} else {
				old = datum_path_push_index(c, index);
			}
			error = datum_read(&item, c, w->items, r ? r->items : NULL);
			datum_path_pop(c, old);
			if (error < 0)
				goto done;
			if (is_map)
				error = json_object_setn_new(coll, json_string_value(key),
					json_string_length(key), item);
			else
				error = json_array_append_new(coll, item);
			item = NULL;
			json_decref(key);
			key = NULL;
			if (error < 0) {
				error = datum_oom();
				goto done;
			}
			index++;
		}
	}
	*out = coll;
	coll = NULL;
done:
	json_decref(key);
	json_decref(coll);
	return error;
}

/* A non-union writer value read as a reader union: the branch resolve picks, wrapped. */
static int datum_read_into_union(json_t **out, datum_ctx *c, const regit_type *w,
	const regit_type *r)
{
	size_t b;
	json_t *v = NULL;
	int error = regit_resolve_branch(&b, c->rs, r, w);

	if (error < 0)
		return error;
	if (b == REGIT_RESOLVE_NONE || b >= r->nbranches)
		return datum_fail(c, REGIT_EINVALID,
			"the reader's union has no branch for the writer's %s at byte %zu (at %s)",
			datum_type_name(w));
	error = datum_read(&v, c, w, r->branches[b]);
	if (error < 0)
		return error;
	return datum_wrap(out, c, r->branches[b], v);
}

static int datum_read_scalar(json_t **out, datum_ctx *c, const regit_type *w,
	regit_type_kind rk)
{
	int64_t l;
	int32_t i;
	size_t n;
	float f;
	double d;
	int error = 0;

	switch (w->kind) {
	case REGIT_TYPE_NULL:
		*out = json_null();
		return 0;
	case REGIT_TYPE_BOOLEAN:
		error = datum_need(c, 1, "truncated: a boolean is missing");
		if (error == 0 && *c->p > 1)
			error = DATUM_FAIL(c, REGIT_EINVALID, "a boolean is neither 0 nor 1");
		if (error < 0)
			return error;
		*out = json_boolean(*c->p++);
		return 0;
	case REGIT_TYPE_INT:
		error = datum_read_int(&i, c);
		if (error < 0)
			return error;
		*out = (rk == REGIT_TYPE_FLOAT || rk == REGIT_TYPE_DOUBLE) ?
			datum_real(rk == REGIT_TYPE_FLOAT ? (double)(float)i : (double)i) :
			json_integer(i);
		break;
	case REGIT_TYPE_LONG:
		error = datum_read_long(&l, c);
		if (error < 0)
			return error;
		*out = (rk == REGIT_TYPE_FLOAT || rk == REGIT_TYPE_DOUBLE) ?
			datum_real(rk == REGIT_TYPE_FLOAT ? (double)(float)l : (double)l) :
			json_integer(l);
		break;
	case REGIT_TYPE_FLOAT:
		error = datum_need(c, 4, "truncated: a float is cut off");
		if (error < 0)
			return error;
		{
			uint32_t u = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 |
				(uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
			memcpy(&f, &u, sizeof(f));
		}
		c->p += 4;
		*out = datum_real((double)f);
		break;
	case REGIT_TYPE_DOUBLE:
		error = datum_need(c, 8, "truncated: a double is cut off");
		if (error < 0)
			return error;
		{
			uint64_t u = 0;
			int k;

			for (k = 7; k >= 0; k--)
				u = u << 8 | c->p[k];
			memcpy(&d, &u, sizeof(d));
		}
		c->p += 8;
		*out = datum_real(d);
		break;
	case REGIT_TYPE_BYTES:
	case REGIT_TYPE_STRING:
		error = datum_read_len(&n, c);
		if (error < 0)
			return error;
		/* string -> bytes and bytes -> string are promotions: the reader's kind decides. */
		if (rk == REGIT_TYPE_STRING)
			return datum_utf8(out, c, n);
		error = datum_latin1(out, c, c->p, n);
		if (error == 0)
			c->p += n;
		return error;
	case REGIT_TYPE_FIXED:
		error = datum_need(c, w->size, "truncated: a fixed is cut off");
		if (error == 0)
			error = datum_latin1(out, c, c->p, w->size);
		if (error == 0)
			c->p += w->size;
		return error;
	default:
		return DATUM_FAIL(c, REGIT_EINVALID, "internal: not a scalar type");
	}
	return *out ? 0 : datum_oom();
}

static int datum_read_enum(json_t **out, datum_ctx *c, const regit_type *w, const regit_type *r)
{
	int32_t i;
	size_t sym;
	int error = datum_read_int(&i, c);

	if (error < 0)
		return error;
	if (i < 0 || (size_t)i >= w->nsymbols)
		return DATUM_FAIL(c, REGIT_EINVALID, "an enum index is out of range");
	if (!r || r == w) {
		*out = json_string(w->symbols[i]);
	} else {
		error = regit_resolve_symbol(&sym, c->rs, r, w->symbols[i]);
		if (error < 0)
			return error;
		if (sym == REGIT_RESOLVE_NONE || sym >= r->nsymbols)
			return datum_fail(c, REGIT_EINVALID,
				"the reader's enum has no symbol %s and no default at byte %zu (at %s)",
				w->symbols[i]);
		*out = json_string(r->symbols[sym]);
	}
	return *out ? 0 : datum_oom();
}

/*
 * Read a value written as w, as reader type r (NULL: as written). Writer
 * unions pick their branch first; then a reader union picks its own.
 */
static int datum_read(json_t **out, datum_ctx *c, const regit_type *w, const regit_type *r)
{
	json_t *v = NULL;
	int64_t b;
	int error = 0;

	*out = NULL;
	if (c->depth >= c->max_depth)
		return DATUM_FAIL(c, REGIT_ELIMIT, "the value is nested too deeply");
	error = datum_charge(c, 1, 0);
	if (error < 0)
		return error;
	c->depth++;
	if (w->kind == REGIT_TYPE_UNION) {
		error = datum_read_long(&b, c);
		if (error == 0 && (b < 0 || (uint64_t)b >= w->nbranches))
			error = DATUM_FAIL(c, REGIT_EINVALID, "a union branch index is out of range");
		if (error == 0 && w->branches[b]->kind == REGIT_TYPE_UNION)
			error = DATUM_FAIL(c, REGIT_EINVALID, "a union directly inside a union");
		if (error == 0) {
			error = datum_read(&v, c, w->branches[b], r);
			if (error == 0 && !r)
				error = datum_wrap(&v, c, w->branches[b], v);
			if (error < 0)
				v = NULL; /* datum_read and datum_wrap released it */
		}
		goto done;
	}
	if (r && r->kind == REGIT_TYPE_UNION) {
		error = datum_read_into_union(&v, c, w, r);
		goto done;
	}
	if (r && !regit_resolve_match(r, w)) {
		error = datum_fail(c, REGIT_EINVALID,
			"the writer's %s cannot be read as the reader's type at byte %zu (at %s)",
			datum_type_name(w));
		goto done;
	}
	switch (w->kind) {
	case REGIT_TYPE_RECORD:
		error = datum_read_record(&v, c, w, r);
		break;
	case REGIT_TYPE_ENUM:
		error = datum_read_enum(&v, c, w, r);
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		error = datum_read_blocks(&v, c, w, r);
		break;
	default:
		error = datum_read_scalar(&v, c, w, r ? r->kind : w->kind);
		break;
	}
done:
	c->depth--;
	if (error < 0) {
		json_decref(v);
		return error;
	}
	*out = v;
	return 0;
}

int regit_datum_decoder_new(regit_datum_decoder **out, const regit_type *writer,
	const regit_type *reader)
{
	regit_datum_decoder *d;

	*out = NULL;
	if (!writer) {
		regit_error_set(REGIT_ERROR_COMPAT, "no writer schema");
		return REGIT_EINVALID;
	}
	d = regit_calloc(1, sizeof(*d));
	if (!d)
		return datum_oom();
	d->writer = writer;
	d->reader = reader;
	*out = d;
	return 0;
}

void regit_datum_decoder_free(regit_datum_decoder *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->plans.cap; i++) {
		datum_plan *p = d->plans.slots[i].val;

		if (p) {
			regit_free(p->reader_of);
			regit_free(p);
		}
	}
	regit_map_dispose(&d->plans);
	regit_free(d);
}

int regit_datum_decoder_decode(json_t **out, regit_datum_decoder *d, const void *data,
	size_t len, const regit_datum_options *opts)
{
	regit_datum_options defaults = REGIT_DATUM_OPTIONS_INIT;
	datum_ctx c;
	json_t *v = NULL;
	int error = 0;

	*out = NULL;
	if (!d || (!data && len > 0)) {
		regit_error_set(REGIT_ERROR_COMPAT, "no writer schema or no data");
		return REGIT_EINVALID;
	}
	if (!opts)
		opts = &defaults;
	memset(&c, 0, sizeof(c));
	c.dec = d;
	c.start = c.p = data ? (const unsigned char *)data : (const unsigned char *)"";
	c.end = c.p + len;
	c.max_depth = opts->max_depth ? opts->max_depth : 128;
	c.max_values = opts->max_values ? opts->max_values :
		(len > (SIZE_MAX - 4096) / 16 ? SIZE_MAX : 16 * len + 4096);
	c.max_sbytes = opts->max_string_bytes ? opts->max_string_bytes :
		(len > (SIZE_MAX - (1u << 20)) / 4 ? SIZE_MAX : 4 * len + (1u << 20));
	/* A resolver per message: its step budget bounds one decode's work. */
	if (d->reader) {
		error = regit_resolver_new(&c.rs);
		if (error < 0)
			return error;
	}
	error = datum_read(&v, &c, d->writer, d->reader);
	if (error == 0 && c.p != c.end) {
		regit_error_set(REGIT_ERROR_COMPAT,
			"%zu trailing bytes after the value (it ends at byte %zu of %zu)",
			(size_t)(c.end - c.p), (size_t)(c.p - c.start), len);
		error = REGIT_EINVALID;
	}
	regit_resolver_free(c.rs);
	if (error < 0) {
		json_decref(v);
		return error;
	}
	*out = v;
	return 0;
}

int regit_datum_decode(json_t **out, const regit_type *writer, const regit_type *reader,
	const void *data, size_t len, const regit_datum_options *opts)
{
	regit_datum_decoder *d = NULL;
	int error;

	*out = NULL;
	if (!writer || (!data && len > 0)) {
		regit_error_set(REGIT_ERROR_COMPAT, "no writer schema or no data");
		return REGIT_EINVALID;
	}
	error = regit_datum_decoder_new(&d, writer, reader);
	if (error == 0)
		error = regit_datum_decoder_decode(out, d, data, len, opts);
	regit_datum_decoder_free(d);
	return error;
}

int regit_datum_unframe(unsigned long *id, const unsigned char **payload, size_t *plen,
	const void *msg, size_t len)
{
	const unsigned char *m = msg;

	if (len < REGIT_DATUM_FRAME_HEADER) {
		regit_error_set(REGIT_ERROR_COMPAT,
			"truncated: %zu bytes, shorter than the 5-byte Confluent header", len);
		return REGIT_EINVALID;
	}
	if (m[0] != 0) {
		regit_error_set(REGIT_ERROR_COMPAT,
			"bad magic byte 0x%02x (Confluent framing starts with 0x00)", m[0]);
		return REGIT_EINVALID;
	}
	*id = (unsigned long)m[1] << 24 | (unsigned long)m[2] << 16 |
		(unsigned long)m[3] << 8 | (unsigned long)m[4];
	*payload = m + REGIT_DATUM_FRAME_HEADER;
	*plen = len - REGIT_DATUM_FRAME_HEADER;
	return 0;
}
