/*
 * schema_print.c - regit_schema -> JSON text.
 *
 * Every style lays the schema out the way Avro Java's Schema.toString()
 * lays it out (confluent-api §4.9): records as type, name, namespace, doc,
 * fields, properties, aliases; fields as name, type, doc, default, order,
 * aliases, properties; a named type written in full where it is first met
 * and by name afterwards; namespaces and references relative to the
 * enclosing namespace; primitives without properties as bare strings.
 *
 * - COMPACT: no whitespace, numbers and escapes as Jackson writes them
 *   (doubles like Java's Double.toString, \u00XX in upper case), so the
 *   result is the string Avro Java / Confluent would store. Written
 *   straight from the model (compact_type).
 * - PRETTY: the layout is first built as a JSON tree (build_type), since
 *   where lines break depends on the width of what follows; two-space
 *   indents; a value that contains no record definition and fits in 80
 *   columns stays on one line, every record field gets its own line; ends
 *   with a newline. The output is a function of the schema alone, so it is
 *   stable under git.
 *
 * Named types imported through regit_schema_options.imports are written by
 * name (as Schema.toString(referencedSchemas, ...) does), except in the
 * RESOLVED style, which inlines them at first use like any other type.
 */
#include "compat/schema_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json_escape.h"

#define PRETTY_WIDTH 80

typedef struct printer {
	const regit_schema *s;
	regit_strmap done;          /* full names already written in full */
	int inline_imports;         /* REGIT_PRINT_RESOLVED */
} printer;

/* Avro Java's Schema.Type names: a type named like one is always written qualified. */
static int is_type_name(const char *name)
{
	static const char *const names[] = {
		"record", "enum", "array", "map", "union", "fixed", "string", "bytes",
		"int", "long", "float", "double", "boolean", "null", NULL
	};
	const char *const *n;

	for (n = names; *n; n++) {
		if (strcmp(*n, name) == 0)
			return 1;
	}
	return 0;
}

/* Name.getQualified(defaultSpace) for a full name. */
static const char *qualified(const char *fullname, const char *space)
{
	const char *dot = strrchr(fullname, '.');
	size_t sn;

	if (!dot || !space)
		return fullname;
	sn = (size_t)(dot - fullname);
	if (strlen(space) == sn && memcmp(fullname, space, sn) == 0 && !is_type_name(dot + 1))
		return dot + 1;
	return fullname;
}

static int set_new(json_t *obj, const char *key, json_t *value)
{
	/* json_object_set_new releases value on failure too. */
	if (!value || json_object_set_new(obj, key, value) < 0) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	return 0;
}

static int set_props(json_t *obj, const json_t *props)
{
	const char *key;
	json_t *value;

	if (!props)
		return 0;
	json_object_foreach((json_t *)props, key, value) {
		if (json_object_set(obj, key, value) < 0) {
			regit_error_set_oom();
			return REGIT_ENOMEM;
		}
	}
	return 0;
}

static int set_aliases(json_t *obj, const char *const *aliases, size_t n, const char *space,
	int qualify)
{
	json_t *arr;
	size_t i;

	if (n == 0)
		return 0;
	arr = json_array();
	if (set_new(obj, "aliases", arr) < 0)
		return REGIT_ENOMEM;
	for (i = 0; i < n; i++) {
		const char *a = qualify ? qualified(aliases[i], space) : aliases[i];

		if (json_array_append_new(arr, json_string(a)) < 0) {
			regit_error_set_oom();
			return REGIT_ENOMEM;
		}
	}
	return 0;
}

static int build_type(printer *pr, json_t **out, const regit_type *t, const char *space);

static int build_field(printer *pr, json_t **out, const regit_field *f, const char *space)
{
	json_t *obj = json_object(), *type = NULL;
	int error;

	*out = NULL;
	error = set_new(obj, "name", json_string(f->name));
	if (error < 0)
		goto done;
	error = build_type(pr, &type, f->type, space);
	if (error < 0)
		goto done;
	error = set_new(obj, "type", type);
	if (error == 0 && f->doc)
		error = set_new(obj, "doc", json_string(f->doc));
	if (error == 0 && f->default_value)
		error = set_new(obj, "default", json_incref((json_t *)f->default_value));
	if (error == 0 && f->order != REGIT_ORDER_ASCENDING)
		error = set_new(obj, "order", json_string(
			f->order == REGIT_ORDER_DESCENDING ? "descending" : "ignore"));
	if (error == 0)
		error = set_aliases(obj, f->aliases, f->naliases, NULL, 0);
	if (error == 0)
		error = set_props(obj, f->props);
done:
	if (error < 0) {
		json_decref(obj);
		return error;
	}
	*out = obj;
	return 0;
}

static int build_named(printer *pr, json_t **out, const regit_type *t, const char *space)
{
	json_t *obj = json_object(), *arr = NULL;
	size_t i;
	int error;

	*out = NULL;
	error = set_new(obj, "type", json_string(regit_type_kind_name(t->kind)));
	if (error == 0)
		error = set_new(obj, "name", json_string(t->name));
	if (error == 0 && t->space && (!space || strcmp(t->space, space) != 0))
		error = set_new(obj, "namespace", json_string(t->space));
	else if (error == 0 && !t->space && space)
		error = set_new(obj, "namespace", json_string(""));
	if (error == 0 && t->doc)
		error = set_new(obj, "doc", json_string(t->doc));
	if (error < 0)
		goto done;

	switch (t->kind) {
	case REGIT_TYPE_RECORD:
		arr = json_array();
		error = set_new(obj, "fields", arr);
		for (i = 0; error == 0 && i < t->nfields; i++) {
			json_t *f = NULL;

			error = build_field(pr, &f, &t->fields[i], t->space);
			if (error == 0 && json_array_append_new(arr, f) < 0)
				error = REGIT_ENOMEM;
		}
		break;
	case REGIT_TYPE_ENUM:
		arr = json_array();
		error = set_new(obj, "symbols", arr);
		for (i = 0; error == 0 && i < t->nsymbols; i++) {
			if (json_array_append_new(arr, json_string(t->symbols[i])) < 0)
				error = REGIT_ENOMEM;
		}
		if (error == 0 && t->enum_default)
			error = set_new(obj, "default", json_string(t->enum_default));
		break;
	default:
		error = set_new(obj, "size", json_integer((json_int_t)t->size));
		break;
	}
	if (error == 0)
		error = set_props(obj, t->props);
	if (error == 0)
		error = set_aliases(obj, t->aliases, t->naliases, t->space, 1);
done:
	if (error < 0) {
		if (error == REGIT_ENOMEM)
			regit_error_set_oom();
		json_decref(obj);
		return error;
	}
	*out = obj;
	return 0;
}

static int build_type(printer *pr, json_t **out, const regit_type *t, const char *space)
{
	json_t *obj, *sub = NULL;
	size_t i;
	int error = 0;

	*out = NULL;
	if (regit_type_is_named(t)) {
		if (regit_strmap__get(&pr->done, t->fullname) ||
		    (!pr->inline_imports && regit_schema__lookup(pr->s, t->fullname, 0) != t)) {
			*out = json_string(qualified(t->fullname, space));
			goto check;
		}
		error = regit_strmap__put(&pr->done, t->fullname, (void *)t);
		if (error < 0)
			return error;
		return build_named(pr, out, t, space);
	}
	switch (t->kind) {
	case REGIT_TYPE_UNION:
		*out = json_array();
		for (i = 0; *out && i < t->nbranches; i++) {
			error = build_type(pr, &sub, t->branches[i], space);
			if (error == 0 && json_array_append_new(*out, sub) < 0)
				error = REGIT_ENOMEM;
			if (error < 0) {
				json_decref(*out);
				*out = NULL;
				return error;
			}
		}
		goto check;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		obj = json_object();
		error = set_new(obj, "type", json_string(regit_type_kind_name(t->kind)));
		if (error == 0)
			error = build_type(pr, &sub, t->items, space);
		if (error == 0)
			error = set_new(obj, t->kind == REGIT_TYPE_ARRAY ? "items" : "values", sub);
		if (error == 0)
			error = set_props(obj, t->props);
		if (error < 0) {
			json_decref(obj);
			return error;
		}
		*out = obj;
		return 0;
	default:
		if (!t->props || json_object_size(t->props) == 0) {
			*out = json_string(regit_type_kind_name(t->kind));
			goto check;
		}
		obj = json_object();
		error = set_new(obj, "type", json_string(regit_type_kind_name(t->kind)));
		if (error == 0)
			error = set_props(obj, t->props);
		if (error < 0) {
			json_decref(obj);
			return error;
		}
		*out = obj;
		return 0;
	}
check:
	if (!*out) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	return 0;
}

/* ---- serialisation ---------------------------------------------------- */

static int print_emit(const char *data, size_t len, void *payload)
{
	return regit_buf_put(payload, data, len);
}

/* A JSON string as Jackson writes it (util/json_escape.h). */
static int put_string(regit_buf *out, const char *s, size_t n)
{
	return regit_json_escape(s, n, print_emit, out);
}

/*
 * A double as Java's Double.toString writes it: shortest digits that read
 * back exactly; plain notation for 1e-3 <= |d| < 1e7, else d.dddE[-]n;
 * always at least one digit after the point.
 */
static int put_real(regit_buf *out, double d)
{
	char tmp[64], digits[32], res[96];
	size_t nd = 0, r = 0, i;
	int prec, exp;
	char *e;

	if (!isfinite(d))
		return regit_buf_puts(out, "null");  /* cannot come from JSON input */
	if (d == 0)
		return regit_buf_puts(out, signbit(d) ? "-0.0" : "0.0");
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	e = strchr(tmp, 'e');
	exp = e ? (int)strtol(e + 1, NULL, 10) : 0;
	for (i = 0; tmp + i != e && tmp[i]; i++) {
		if (tmp[i] >= '0' && tmp[i] <= '9' && nd < sizeof(digits) - 1)
			digits[nd++] = tmp[i];
	}
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (d < 0)
		res[r++] = '-';
	if (exp >= -3 && exp < 7) {
		if (exp >= 0) {
			for (i = 0; i <= (size_t)exp; i++)
				res[r++] = i < nd ? digits[i] : '0';
			res[r++] = '.';
			if ((size_t)exp + 1 < nd) {
				for (i = (size_t)exp + 1; i < nd; i++)
					res[r++] = digits[i];
			} else {
				res[r++] = '0';
			}
		} else {
			res[r++] = '0';
			res[r++] = '.';
			for (i = 0; i < (size_t)(-exp - 1); i++)
				res[r++] = '0';
			for (i = 0; i < nd; i++)
				res[r++] = digits[i];
		}
		res[r] = '\0';
	} else {
		res[r++] = digits[0];
		res[r++] = '.';
		if (nd > 1) {
			for (i = 1; i < nd; i++)
				res[r++] = digits[i];
		} else {
			res[r++] = '0';
		}
		snprintf(res + r, sizeof(res) - r, "E%d", exp);
	}
	return regit_buf_puts(out, res);
}

static int put_scalar(regit_buf *out, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL: return regit_buf_puts(out, "null");
	case JSON_TRUE: return regit_buf_puts(out, "true");
	case JSON_FALSE: return regit_buf_puts(out, "false");
	case JSON_INTEGER:
		return regit_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: return put_real(out, json_real_value(v));
	case JSON_STRING: return put_string(out, json_string_value(v), json_string_length(v));
	default: return REGIT_ERROR;
	}
}

/*
 * Write v on one line. `spaced` adds ", " and ": " (pretty); `limit` > 0
 * stops early: returns 1 when the text would pass `limit` bytes or v holds
 * a record definition (an object with "fields"), which pretty never inlines.
 */
static int put_inline(regit_buf *out, const json_t *v, int spaced, size_t limit, size_t start)
{
	const char *key;
	json_t *value;
	size_t i;
	int error = 0, first = 1;

	if (limit && out->size - start > limit)
		return 1;
	if (json_is_object(v)) {
		if (limit && json_object_get(v, "fields"))
			return 1;
		error = regit_buf_putc(out, '{');
		json_object_foreach((json_t *)v, key, value) {
			if (error)
				break;
			if (!first)
				error = regit_buf_puts(out, spaced ? ", " : ",");
			first = 0;
			if (error == 0)
				error = put_string(out, key, strlen(key));
			if (error == 0)
				error = regit_buf_puts(out, spaced ? ": " : ":");
			if (error == 0)
				error = put_inline(out, value, spaced, limit, start);
		}
		if (error == 0)
			error = regit_buf_putc(out, '}');
	} else if (json_is_array(v)) {
		error = regit_buf_putc(out, '[');
		for (i = 0; error == 0 && i < json_array_size(v); i++) {
			if (i > 0)
				error = regit_buf_puts(out, spaced ? ", " : ",");
			if (error == 0)
				error = put_inline(out, json_array_get(v, i), spaced, limit, start);
		}
		if (error == 0)
			error = regit_buf_putc(out, ']');
	} else {
		error = put_scalar(out, v);
	}
	if (error == 0 && limit && out->size - start > limit)
		return 1;
	return error;
}

static int put_indent(regit_buf *out, int level)
{
	int i, error = 0;

	for (i = 0; error == 0 && i < level; i++)
		error = regit_buf_puts(out, "  ");
	return error;
}

/* Pretty-print v, which starts at column `col` of a line indented `level` times. */
static int put_pretty(regit_buf *out, const json_t *v, int level, size_t col, int expand)
{
	size_t start = out->size, i, n;
	const char *key;
	json_t *value;
	int error = 0, first = 1;

	if (!json_is_object(v) && !json_is_array(v))
		return put_scalar(out, v);
	n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
	if (n == 0)
		return regit_buf_puts(out, json_is_object(v) ? "{}" : "[]");
	if (!expand) {
		size_t limit = col < PRETTY_WIDTH ? PRETTY_WIDTH - col : 1;

		error = put_inline(out, v, 1, limit, start);
		if (error <= 0)
			return error;
		/* Did not fit: drop the attempt and lay it out over several lines. */
		out->size = start;
		if (out->ptr)
			out->ptr[start] = '\0';
		error = 0;
	}
	if (json_is_object(v)) {
		error = regit_buf_puts(out, "{\n");
		json_object_foreach((json_t *)v, key, value) {
			size_t kstart;

			if (error)
				break;
			if (!first)
				error = regit_buf_puts(out, ",\n");
			first = 0;
			if (error == 0)
				error = put_indent(out, level + 1);
			kstart = out->size;
			if (error == 0)
				error = put_string(out, key, strlen(key));
			if (error == 0)
				error = regit_buf_puts(out, ": ");
			if (error == 0)
				error = put_pretty(out, value, level + 1,
					(size_t)(level + 1) * 2 + (out->size - kstart),
					strcmp(key, "fields") == 0 && json_is_array(value));
		}
		if (error == 0)
			error = regit_buf_putc(out, '\n');
		if (error == 0)
			error = put_indent(out, level);
		if (error == 0)
			error = regit_buf_putc(out, '}');
	} else {
		error = regit_buf_puts(out, "[\n");
		for (i = 0; error == 0 && i < n; i++) {
			if (i > 0)
				error = regit_buf_puts(out, ",\n");
			if (error == 0)
				error = put_indent(out, level + 1);
			if (error == 0)
				error = put_pretty(out, json_array_get(v, i), level + 1,
					(size_t)(level + 1) * 2, 0);
		}
		if (error == 0)
			error = regit_buf_putc(out, '\n');
		if (error == 0)
			error = put_indent(out, level);
		if (error == 0)
			error = regit_buf_putc(out, ']');
	}
	return error;
}

/* ---- compact, straight from the model ------------------------------------ */

/*
 * COMPACT and RESOLVED write the same bytes put_inline writes for the tree
 * build_type builds, without building it: the tree costs a jansson object,
 * a string and a hash-table insert per key, which dominated printing the
 * compact text of every version at a registry's cold start. The member
 * order is build_named's, build_field's and build_type's; custom
 * properties never collide with the keys written before them (they are
 * the members the parser did not reserve), so appending them is what
 * json_object_set did. Values (defaults, properties) are jansson values
 * already and go through put_inline.
 */
static int compact_type(printer *pr, regit_buf *out, const regit_type *t, const char *space);

static int compact_str(regit_buf *out, const char *s)
{
	return put_string(out, s, strlen(s));
}

/* ,"key": for a literal key that needs no escaping. */
static int compact_key(regit_buf *out, const char *key, int first)
{
	int error = 0;

	if (!first)
		error = regit_buf_putc(out, ',');
	if (error == 0)
		error = regit_buf_putc(out, '"');
	if (error == 0)
		error = regit_buf_puts(out, key);
	if (error == 0)
		error = regit_buf_put(out, "\":", 2);
	return error;
}

/* The members of a properties object, each after a comma. */
static int compact_props(regit_buf *out, const json_t *props)
{
	const char *key;
	json_t *value;
	int error = 0;

	if (!props)
		return 0;
	json_object_foreach((json_t *)props, key, value) {
		error = regit_buf_putc(out, ',');
		if (error == 0)
			error = compact_str(out, key);
		if (error == 0)
			error = regit_buf_putc(out, ':');
		if (error == 0)
			error = put_inline(out, value, 0, 0, 0);
		if (error < 0)
			break;
	}
	return error;
}

static int compact_aliases(regit_buf *out, const char *const *aliases, size_t n,
	const char *space, int qualify)
{
	size_t i;
	int error;

	if (n == 0)
		return 0;
	error = compact_key(out, "aliases", 0);
	if (error == 0)
		error = regit_buf_putc(out, '[');
	for (i = 0; error == 0 && i < n; i++) {
		if (i > 0)
			error = regit_buf_putc(out, ',');
		if (error == 0)
			error = compact_str(out, qualify ? qualified(aliases[i], space) : aliases[i]);
	}
	if (error == 0)
		error = regit_buf_putc(out, ']');
	return error;
}

static int compact_field(printer *pr, regit_buf *out, const regit_field *f, const char *space)
{
	int error = compact_key(out, "name", 1);

	if (error == 0)
		error = compact_str(out, f->name);
	if (error == 0)
		error = compact_key(out, "type", 0);
	if (error == 0)
		error = compact_type(pr, out, f->type, space);
	if (error == 0 && f->doc) {
		error = compact_key(out, "doc", 0);
		if (error == 0)
			error = compact_str(out, f->doc);
	}
	if (error == 0 && f->default_value) {
		error = compact_key(out, "default", 0);
		if (error == 0)
			error = put_inline(out, f->default_value, 0, 0, 0);
	}
	if (error == 0 && f->order != REGIT_ORDER_ASCENDING) {
		error = compact_key(out, "order", 0);
		if (error == 0)
			error = compact_str(out,
				f->order == REGIT_ORDER_DESCENDING ? "descending" : "ignore");
	}
	if (error == 0)
		error = compact_aliases(out, f->aliases, f->naliases, NULL, 0);
	if (error == 0)
		error = compact_props(out, f->props);
	return error;
}

static int compact_named(printer *pr, regit_buf *out, const regit_type *t, const char *space)
{
	size_t i;
	int error = regit_buf_putc(out, '{');

	if (error == 0)
		error = compact_key(out, "type", 1);
	if (error == 0)
		error = compact_str(out, regit_type_kind_name(t->kind));
	if (error == 0)
		error = compact_key(out, "name", 0);
	if (error == 0)
		error = compact_str(out, t->name);
	if (error == 0 && t->space && (!space || strcmp(t->space, space) != 0)) {
		error = compact_key(out, "namespace", 0);
		if (error == 0)
			error = compact_str(out, t->space);
	} else if (error == 0 && !t->space && space) {
		error = compact_key(out, "namespace", 0);
		if (error == 0)
			error = regit_buf_put(out, "\"\"", 2);
	}
	if (error == 0 && t->doc) {
		error = compact_key(out, "doc", 0);
		if (error == 0)
			error = compact_str(out, t->doc);
	}
	if (error < 0)
		return error;
	switch (t->kind) {
	case REGIT_TYPE_RECORD:
		error = compact_key(out, "fields", 0);
		if (error == 0)
			error = regit_buf_putc(out, '[');
		for (i = 0; error == 0 && i < t->nfields; i++) {
			if (i > 0)
				error = regit_buf_putc(out, ',');
			if (error == 0)
				error = regit_buf_putc(out, '{');
			if (error == 0)
				error = compact_field(pr, out, &t->fields[i], t->space);
			if (error == 0)
				error = regit_buf_putc(out, '}');
		}
		if (error == 0)
			error = regit_buf_putc(out, ']');
		break;
	case REGIT_TYPE_ENUM:
		error = compact_key(out, "symbols", 0);
		if (error == 0)
			error = regit_buf_putc(out, '[');
		for (i = 0; error == 0 && i < t->nsymbols; i++) {
			if (i > 0)
				error = regit_buf_putc(out, ',');
			if (error == 0)
				error = compact_str(out, t->symbols[i]);
		}
		if (error == 0)
			error = regit_buf_putc(out, ']');
		if (error == 0 && t->enum_default) {
			error = compact_key(out, "default", 0);
			if (error == 0)
				error = compact_str(out, t->enum_default);
		}
		break;
	default:
		error = compact_key(out, "size", 0);
		if (error == 0)
			error = regit_buf_printf(out, "%" JSON_INTEGER_FORMAT, (json_int_t)t->size);
		break;
	}
	if (error == 0)
		error = compact_props(out, t->props);
	if (error == 0)
		error = compact_aliases(out, t->aliases, t->naliases, t->space, 1);
	if (error == 0)
		error = regit_buf_putc(out, '}');
	return error;
}

static int compact_type(printer *pr, regit_buf *out, const regit_type *t, const char *space)
{
	size_t i;
	int error = 0;

	if (regit_type_is_named(t)) {
		if (regit_strmap__get(&pr->done, t->fullname) ||
		    (!pr->inline_imports && regit_schema__lookup(pr->s, t->fullname, 0) != t))
			return compact_str(out, qualified(t->fullname, space));
		error = regit_strmap__put(&pr->done, t->fullname, (void *)t);
		if (error < 0)
			return error;
		return compact_named(pr, out, t, space);
	}
	switch (t->kind) {
	case REGIT_TYPE_UNION:
		error = regit_buf_putc(out, '[');
		for (i = 0; error == 0 && i < t->nbranches; i++) {
			if (i > 0)
				error = regit_buf_putc(out, ',');
			if (error == 0)
				error = compact_type(pr, out, t->branches[i], space);
		}
		if (error == 0)
			error = regit_buf_putc(out, ']');
		return error;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		error = regit_buf_putc(out, '{');
		if (error == 0)
			error = compact_key(out, "type", 1);
		if (error == 0)
			error = compact_str(out, regit_type_kind_name(t->kind));
		if (error == 0)
			error = compact_key(out, t->kind == REGIT_TYPE_ARRAY ? "items" : "values", 0);
		if (error == 0)
			error = compact_type(pr, out, t->items, space);
		if (error == 0)
			error = compact_props(out, t->props);
		if (error == 0)
			error = regit_buf_putc(out, '}');
		return error;
	default:
		if (!t->props || json_object_size(t->props) == 0)
			return compact_str(out, regit_type_kind_name(t->kind));
		error = regit_buf_putc(out, '{');
		if (error == 0)
			error = compact_key(out, "type", 1);
		if (error == 0)
			error = compact_str(out, regit_type_kind_name(t->kind));
		if (error == 0)
			error = compact_props(out, t->props);
		if (error == 0)
			error = regit_buf_putc(out, '}');
		return error;
	}
}

int regit_schema_print(const regit_schema *schema, regit_print_style style, regit_buf *out)
{
	printer pr;
	json_t *tree = NULL;
	size_t start;
	int error;

	if (!schema || !out || !schema->root) {
		regit_error_set(REGIT_ERROR_INTERNAL, "regit_schema_print: invalid arguments");
		return REGIT_ERROR;
	}
	start = out->size;
	pr.s = schema;
	pr.inline_imports = style == REGIT_PRINT_RESOLVED;
	regit_strmap__init(&pr.done);
	if (style != REGIT_PRINT_PRETTY) {
		error = compact_type(&pr, out, schema->root, NULL);
		if (error == REGIT_ENOMEM)
			regit_error_set_oom();
		goto done;
	}
	error = build_type(&pr, &tree, schema->root, NULL);
	if (error < 0)
		goto done;
	error = put_pretty(out, tree, 0, 0, 0);
	if (error == 0)
		error = regit_buf_putc(out, '\n');
done:
	if (error < 0 && out->ptr) {
		out->size = start;
		out->ptr[start] = '\0';
	}
	json_decref(tree);
	regit_strmap__dispose(&pr.done);
	return error;
}
