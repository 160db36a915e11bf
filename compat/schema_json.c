/*
 * schema_json.c - the JSON document a schema is parsed from, decoded into
 * the parser's arena.
 *
 * jansson builds a tree of separately allocated values with a hash table
 * per object, and the schema parser only walks it once and copies what it
 * keeps; decoding and freeing that tree was most of parsing a schema (and
 * of a registry's cold start, which parses every stored version). This
 * decoder handles plain, well-formed JSON in one pass with no allocation
 * beyond the arena. It is deliberately narrower than jansson: whatever it
 * does not take (any syntax error, a number out of range, a NUL in an
 * object key, a large object, an escape it does not decode) is handed back
 * to the caller, who decodes the text with jansson as before (with
 * jansson's error messages) and converts the result (regit_json__from_jansson).
 * So the accepted language is jansson's with JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY | JSON_ALLOW_NUL, and a value is what jansson would have
 * decoded: the same strings (UTF-8 checked as jansson checks it), the same
 * integers (strtoll range) and doubles (strtod).
 */
#include "compat/schema_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

/* Objects larger than this go to jansson (its hash table keeps the duplicate
 * check linear; ours is a scan of the keys before). */
#define JSON_FAST_MAX_MEMBERS 64
/* Nesting past this goes to jansson too (it stops at 2048). */
#define JSON_FAST_MAX_DEPTH 512

/* Children of open containers a schema usually needs at most: kept on the
 * C stack, so decoding it allocates nothing but the arena. */
#define JSON_FAST_INLINE_STACK 128

typedef struct jfast {
	const unsigned char *s, *end;
	regit_arena *arena;
	regit_json_member *stack;    /* children of the open containers: inline or heap */
	size_t nstack, cap;
	size_t depth, max_depth;
	regit_json_member inline_stack[JSON_FAST_INLINE_STACK];
} jfast;

/* Not ours to decode: the caller falls back to jansson. */
#define JF_DECLINE 1

static void jf_ws(jfast *j)
{
	while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r'))
		j->s++;
}

/*
 * Length of the UTF-8 sequence at s (lead byte >= 0x80) if it is one
 * jansson accepts (utf8_check_first / utf8_check_full: no overlong forms,
 * no surrogates, nothing above U+10FFFF), else 0.
 */
static size_t jf_utf8(const unsigned char *s, const unsigned char *end)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned long cp;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int jf_hex4(const unsigned char *p, unsigned long *out)
{
	unsigned long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* A string at j->s (the opening quote): decoded, NUL-terminated, in the arena. */
static int jf_string(jfast *j, const char **out, size_t *len)
{
	const unsigned char *p = j->s + 1, *start = p;
	char *dst, *d;
	int escapes = 0;

	/* First pass: find the end, check the bytes. */
	while (p < j->end && *p != '"') {
		if (*p == '\\') {
			escapes = 1;
			if (p + 1 >= j->end)
				return JF_DECLINE;
			p += 2;
		} else if (*p < 0x20) {
			return JF_DECLINE;
		} else if (*p >= 0x80) {
			size_t n = jf_utf8(p, j->end);

			if (!n)
				return JF_DECLINE;
			p += n;
		} else {
			p++;
		}
	}
	if (p >= j->end)
		return JF_DECLINE;
	/* Decoded text is never longer than the source. */
	dst = regit_schema__arena_alloc(j->arena, (size_t)(p - start) + 1);
	if (!dst)
		return REGIT_ENOMEM;
	if (!escapes) {
		memcpy(dst, start, (size_t)(p - start));
		d = dst + (p - start);
	} else {
		const unsigned char *q = start;

		d = dst;
		while (q < p) {
			unsigned long cp, lo;

			if (*q != '\\') {
				*d++ = (char)*q++;
				continue;
			}
			q++;
			switch (*q) {
			case '"': case '\\': case '/': *d++ = (char)*q; q++; continue;
			case 'b': *d++ = '\b'; q++; continue;
			case 'f': *d++ = '\f'; q++; continue;
			case 'n': *d++ = '\n'; q++; continue;
			case 'r': *d++ = '\r'; q++; continue;
			case 't': *d++ = '\t'; q++; continue;
			case 'u': break;
			default: return JF_DECLINE;
			}
			if (p - q < 5 || !jf_hex4(q + 1, &cp))
				return JF_DECLINE;
			q += 5;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return JF_DECLINE;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p - q < 6 || q[0] != '\\' || q[1] != 'u' || !jf_hex4(q + 2, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return JF_DECLINE;
				q += 6;
				cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
			}
			if (cp < 0x80) {
				*d++ = (char)cp;
			} else if (cp < 0x800) {
				*d++ = (char)(0xc0 | (cp >> 6));
				*d++ = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				*d++ = (char)(0xe0 | (cp >> 12));
				*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*d++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*d++ = (char)(0xf0 | (cp >> 18));
				*d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
				*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*d++ = (char)(0x80 | (cp & 0x3f));
			}
		}
	}
	*d = '\0';
	*out = dst;
	*len = (size_t)(d - dst);
	j->s = p + 1;
	return 0;
}

static int jf_digit(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* A number with JSON's grammar; integers as strtoll, others as strtod reads them. */
static int jf_number(jfast *j, regit_json_value *v)
{
	const unsigned char *p = j->s, *start = j->s;
	char tmp[128];
	char *endp;
	int is_int = 1;

	if (*p == '-')
		p++;
	if (!jf_digit(p, j->end))
		return JF_DECLINE;
	if (*p == '0') {
		p++;
	} else {
		while (jf_digit(p, j->end))
			p++;
	}
	if (p < j->end && *p == '.') {
		is_int = 0;
		p++;
		if (!jf_digit(p, j->end))
			return JF_DECLINE;
		while (jf_digit(p, j->end))
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		is_int = 0;
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (!jf_digit(p, j->end))
			return JF_DECLINE;
		while (jf_digit(p, j->end))
			p++;
	}
	if ((size_t)(p - start) >= sizeof(tmp))
		return JF_DECLINE;
	memcpy(tmp, start, (size_t)(p - start));
	tmp[p - start] = '\0';
	errno = 0;
	if (is_int) {
		v->type = REGIT_JSON_INTEGER;
		v->u.i = strtoll(tmp, &endp, 10);
	} else {
		v->type = REGIT_JSON_REAL;
		v->u.d = strtod(tmp, &endp);
		if (isinf(v->u.d))
			return JF_DECLINE;    /* jansson: "real number overflow" */
	}
	if ((is_int && errno == ERANGE) || endp != tmp + (p - start))
		return JF_DECLINE;
	j->s = p;
	return 0;
}

static int jf_push(jfast *j, const regit_json_member *m)
{
	if (j->nstack == j->cap) {
		size_t ncap = j->cap * 2;
		regit_json_member *grown;

		if (j->stack == j->inline_stack) {
			grown = regit_reallocarray(NULL, ncap, sizeof(*grown));
			if (grown)
				memcpy(grown, j->stack, j->nstack * sizeof(*grown));
		} else {
			grown = regit_reallocarray(j->stack, ncap, sizeof(*grown));
		}
		if (!grown)
			return REGIT_ENOMEM;
		j->stack = grown;
		j->cap = ncap;
	}
	j->stack[j->nstack++] = *m;
	return 0;
}

static int jf_value(jfast *j, regit_json_value *v);

/* An array or object at j->s: children collected on the stack, then moved to the arena. */
static int jf_container(jfast *j, regit_json_value *v, int object)
{
	size_t base = j->nstack, n, i;
	unsigned char close = object ? '}' : ']';
	int error;

	if (++j->depth > j->max_depth)
		return JF_DECLINE;
	j->s++;
	jf_ws(j);
	if (j->s < j->end && *j->s == close) {
		j->s++;
	} else {
		for (;;) {
			regit_json_member m;

			memset(&m, 0, sizeof(m));
			if (object) {
				if (j->s >= j->end || *j->s != '"')
					return JF_DECLINE;
				error = jf_string(j, &m.key, &m.klen);
				if (error)
					return error;
				if (memchr(m.key, '\0', m.klen))
					return JF_DECLINE;    /* jansson: NUL byte in object key */
				if (j->nstack - base >= JSON_FAST_MAX_MEMBERS)
					return JF_DECLINE;
				for (i = base; i < j->nstack; i++)
					if (j->stack[i].klen == m.klen && memcmp(j->stack[i].key, m.key, m.klen) == 0)
						return JF_DECLINE;    /* duplicate key: jansson refuses */
				jf_ws(j);
				if (j->s >= j->end || *j->s != ':')
					return JF_DECLINE;
				j->s++;
				jf_ws(j);
			}
			error = jf_value(j, &m.value);
			if (error)
				return error;
			error = jf_push(j, &m);
			if (error)
				return error;
			jf_ws(j);
			if (j->s < j->end && *j->s == ',') {
				j->s++;
				jf_ws(j);
				continue;
			}
			if (j->s < j->end && *j->s == close) {
				j->s++;
				break;
			}
			return JF_DECLINE;
		}
	}
	n = j->nstack - base;
	v->type = object ? REGIT_JSON_OBJECT : REGIT_JSON_ARRAY;
	v->n = n;
	v->u.members = NULL;
	if (n) {
		regit_json_member *kids = regit_schema__arena_alloc(j->arena, n * sizeof(*kids));

		if (!kids)
			return REGIT_ENOMEM;
		memcpy(kids, j->stack + base, n * sizeof(*kids));
		v->u.members = kids;
	}
	j->nstack = base;
	j->depth--;
	return 0;
}

static int jf_literal(jfast *j, const char *word, size_t n)
{
	if ((size_t)(j->end - j->s) < n || memcmp(j->s, word, n) != 0)
		return JF_DECLINE;
	j->s += n;
	/* "truex": jansson reads the letters as one (invalid) word. */
	if (j->s < j->end && ((*j->s >= 'a' && *j->s <= 'z') || (*j->s >= 'A' && *j->s <= 'Z')))
		return JF_DECLINE;
	return 0;
}

static int jf_value(jfast *j, regit_json_value *v)
{
	if (j->s >= j->end)
		return JF_DECLINE;
	memset(v, 0, sizeof(*v));
	switch (*j->s) {
	case '{':
		return jf_container(j, v, 1);
	case '[':
		return jf_container(j, v, 0);
	case '"':
		v->type = REGIT_JSON_STRING;
		return jf_string(j, &v->u.s, &v->n);
	case 't':
		v->type = REGIT_JSON_TRUE;
		return jf_literal(j, "true", 4);
	case 'f':
		v->type = REGIT_JSON_FALSE;
		return jf_literal(j, "false", 5);
	case 'n':
		v->type = REGIT_JSON_NULL;
		return jf_literal(j, "null", 4);
	default:
		if (*j->s == '-' || (*j->s >= '0' && *j->s <= '9'))
			return jf_number(j, v);
		return JF_DECLINE;
	}
}

int regit_json__parse(regit_json_value *out, regit_arena *arena, const char *text, size_t len,
	size_t max_depth)
{
	jfast j;
	int error;

	j.s = (const unsigned char *)text;
	j.end = j.s + len;
	j.arena = arena;
	j.stack = j.inline_stack;
	j.nstack = 0;
	j.cap = JSON_FAST_INLINE_STACK;
	j.depth = 0;
	j.max_depth = max_depth < JSON_FAST_MAX_DEPTH ? max_depth : JSON_FAST_MAX_DEPTH;
	jf_ws(&j);
	error = jf_value(&j, out);
	if (error == 0) {
		jf_ws(&j);
		if (j.s != j.end)
			error = JF_DECLINE;
	}
	if (j.stack != j.inline_stack)
		regit_free(j.stack);
	return error;
}

int regit_json__from_jansson(regit_json_value *out, regit_arena *arena, const json_t *v)
{
	size_t i, n;
	int error = 0;

	memset(out, 0, sizeof(*out));
	switch (json_typeof(v)) {
	case JSON_NULL: out->type = REGIT_JSON_NULL; return 0;
	case JSON_TRUE: out->type = REGIT_JSON_TRUE; return 0;
	case JSON_FALSE: out->type = REGIT_JSON_FALSE; return 0;
	case JSON_INTEGER:
		out->type = REGIT_JSON_INTEGER;
		out->u.i = json_integer_value(v);
		return 0;
	case JSON_REAL:
		out->type = REGIT_JSON_REAL;
		out->u.d = json_real_value(v);
		return 0;
	case JSON_STRING:
		out->type = REGIT_JSON_STRING;
		out->n = json_string_length(v);
		out->u.s = regit_schema__arena_strndup(arena, json_string_value(v), out->n);
		return out->u.s ? 0 : REGIT_ENOMEM;
	case JSON_ARRAY:
	case JSON_OBJECT:
		break;
	}
	n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
	out->type = json_is_object(v) ? REGIT_JSON_OBJECT : REGIT_JSON_ARRAY;
	out->n = n;
	if (n == 0)
		return 0;
	out->u.members = regit_schema__arena_alloc(arena, n * sizeof(*out->u.members));
	if (!out->u.members)
		return REGIT_ENOMEM;
	if (json_is_array(v)) {
		for (i = 0; i < n && error == 0; i++)
			error = regit_json__from_jansson(&out->u.members[i].value, arena,
				json_array_get(v, i));
	} else {
		const char *key;
		json_t *value;

		i = 0;
		json_object_foreach((json_t *)v, key, value) {
			regit_json_member *m = &out->u.members[i++];

			m->klen = strlen(key);
			m->key = regit_schema__arena_strndup(arena, key, m->klen);
			if (!m->key)
				return REGIT_ENOMEM;
			error = regit_json__from_jansson(&m->value, arena, value);
			if (error)
				return error;
		}
	}
	return error;
}

json_t *regit_json__to_jansson(const regit_json_value *v)
{
	json_t *out = NULL;
	size_t i;

	switch (v->type) {
	case REGIT_JSON_NULL: return json_null();
	case REGIT_JSON_TRUE: return json_true();
	case REGIT_JSON_FALSE: return json_false();
	case REGIT_JSON_INTEGER: return json_integer(v->u.i);
	case REGIT_JSON_REAL: return json_real(v->u.d);
	case REGIT_JSON_STRING: return json_stringn_nocheck(v->u.s, v->n);
	case REGIT_JSON_ARRAY:
		out = json_array();
		for (i = 0; out && i < v->n; i++) {
			if (json_array_append_new(out, regit_json__to_jansson(&v->u.members[i].value)) < 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	case REGIT_JSON_OBJECT:
		out = json_object();
		for (i = 0; out && i < v->n; i++) {
			const regit_json_member *m = &v->u.members[i];

			if (json_object_setn_new_nocheck(out, m->key, m->klen,
					regit_json__to_jansson(&m->value)) < 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	return NULL;
}

const regit_json_value *regit_json__get(const regit_json_value *obj, const char *key)
{
	size_t i, n;

	if (!obj || obj->type != REGIT_JSON_OBJECT)
		return NULL;
	n = strlen(key);
	for (i = 0; i < obj->n; i++) {
		const regit_json_member *m = &obj->u.members[i];

		if (m->klen == n && memcmp(m->key, key, n) == 0)
			return &m->value;
	}
	return NULL;
}
