/*
 * schema_default.c - field defaults of a schema being parsed. The walk
 * (schema_parse.c) queues each field that has one; once every type is
 * complete (a default may name a record defined later), each queued
 * default is checked against its field's type with the Avro 1.11 rules,
 * and the first mismatch is reported at the field's "default".
 *
 * Choices (as Avro Java): a union's default matches its first branch; a
 * bytes or fixed default is a string of code points 0..255; a record
 * default may leave out fields that have their own default.
 */
#include "compat/schema_parse_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/error.h"

typedef regit_schema_parser parser;

int regit_schema__symbol_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int regit_schema__add_default(parser *p, const regit_field *f, const char *record)
{
	regit_schema_pending_default *nd = regit_array_grow(p->defaults, &p->defaults_cap,
		p->ndefaults + 1, sizeof(*nd), 16);

	if (!nd)
		return REGIT_ENOMEM;
	p->defaults = nd;
	p->defaults[p->ndefaults].field = f;
	p->defaults[p->ndefaults].record = record;
	p->ndefaults++;
	return 0;
}

/*
 * Decode one UTF-8 sequence (input validated by jansson). @return bytes used
 */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (len > n) {
		*cp = 0x110000;
		return n;
	}
	*cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++)
		*cp = (*cp << 6) | (s[i] & 0x3f);
	return len;
}

/* A bytes/fixed default: a string of code points 0..255. @return count or -1 */
static long long latin1_length(const json_t *v)
{
	const unsigned char *s = (const unsigned char *)json_string_value(v);
	size_t n = json_string_length(v), i = 0;
	long long count = 0;

	while (i < n) {
		unsigned long cp;

		i += utf8_decode(s + i, n - i, &cp);
		if (cp > 0xff)
			return -1;
		count++;
	}
	return count;
}

static int enum_has_symbol(const regit_type *t, const char *s)
{
	const regit_type_node *node = (const regit_type_node *)t;
	const char *key = s;

	if (!node->sorted_symbols || t->nsymbols == 0)
		return 0;
	return bsearch(&key, node->sorted_symbols, t->nsymbols, sizeof(*node->sorted_symbols),
		regit_schema__symbol_cmp) != NULL;
}

/*
 * Does `v` match `t` (Avro 1.11 default rules)? Recursion follows the JSON
 * value, whose depth the pre-scan bounded. A record field missing from the
 * value must have its own default, which is checked on its own.
 */
static int default_matches(const regit_type *t, const json_t *v)
{
	size_t i;

	switch (t->kind) {
	case REGIT_TYPE_NULL:
		return json_is_null(v);
	case REGIT_TYPE_BOOLEAN:
		return json_is_boolean(v);
	case REGIT_TYPE_INT:
		return json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
			json_integer_value(v) <= INT32_MAX;
	case REGIT_TYPE_LONG:
		return json_is_integer(v);
	case REGIT_TYPE_FLOAT:
	case REGIT_TYPE_DOUBLE:
		return json_is_number(v);
	case REGIT_TYPE_STRING:
		return json_is_string(v);
	case REGIT_TYPE_BYTES:
		return json_is_string(v) && latin1_length(v) >= 0;
	case REGIT_TYPE_FIXED:
		return json_is_string(v) && latin1_length(v) == (long long)t->size;
	case REGIT_TYPE_ENUM:
		return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) &&
			enum_has_symbol(t, json_string_value(v));
	case REGIT_TYPE_ARRAY:
		if (!json_is_array(v))
			return 0;
		for (i = 0; i < json_array_size(v); i++) {
			if (!default_matches(t->items, json_array_get(v, i)))
				return 0;
		}
		return 1;
	case REGIT_TYPE_MAP: {
		const char *key;
		json_t *value;

		if (!json_is_object(v))
			return 0;
		json_object_foreach((json_t *)v, key, value) {
			if (!default_matches(t->items, value))
				return 0;
		}
		return 1;
	}
	case REGIT_TYPE_UNION:
		return t->nbranches > 0 && default_matches(t->branches[0], v);
	case REGIT_TYPE_RECORD:
		if (!json_is_object(v))
			return 0;
		for (i = 0; i < t->nfields; i++) {
			const json_t *fv = json_object_get(v, t->fields[i].name);

			if (fv ? !default_matches(t->fields[i].type, fv)
			       : !t->fields[i].default_value)
				return 0;
		}
		return 1;
	}
	return 0;
}

static const char *type_label(const regit_type *t)
{
	if (regit_type_is_named(t))
		return t->fullname;
	return regit_type_kind_name(t->kind);
}

int regit_schema__check_defaults(parser *p)
{
	size_t i;

	for (i = 0; i < p->ndefaults; i++) {
		const regit_field *f = p->defaults[i].field;
		const regit_type *t = f->type;

		if (default_matches(t, f->default_value))
			continue;
		regit_schema__path_pop(p, 0);
		regit_schema__path_set(p, f->path);
		regit_schema__path_push(p, "default");
		if (t->kind == REGIT_TYPE_UNION && t->nbranches > 0)
			return regit_schema__fail(p, REGIT_EINVALID,
				"default of field \"%s\" in \"%s\" does not match the union's first branch (%s)",
				f->name, p->defaults[i].record, type_label(t->branches[0]));
		return regit_schema__fail(p, REGIT_EINVALID,
			"default of field \"%s\" in \"%s\" is not a valid %s",
			f->name, p->defaults[i].record, type_label(t));
	}
	return 0;
}
