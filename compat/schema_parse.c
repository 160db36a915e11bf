/*
 * schema_parse.c - Avro schema JSON -> regit_schema, with validation.
 *
 * The text is decoded with jansson (duplicate object keys are rejected:
 * Avro Java silently keeps the last one, which hides mistakes), then walked
 * once to build the type graph in the schema's arena. Named types are
 * registered before their children are parsed, so a record can refer to
 * itself. Field defaults are checked in a second pass, once every type is
 * complete. Each error carries the JSON pointer of the offending value and,
 * through util/jsonpos, its line and column.
 *
 * Choices where Avro 1.11 leaves room (and where we follow Avro Java):
 * - Properties that are not reserved for the kind (including logicalType,
 *   precision and scale) are kept in input order in `props`.
 * - An unknown logicalType, or a known one on the wrong underlying type, is
 *   kept as REGIT_LOGICAL_UNKNOWN and otherwise ignored. So is a decimal
 *   with a bad precision or scale (the specification: "an invalid logical
 *   type is ignored"; Java and python-avro warn), with a warning
 *   (regit_schema_warnings).
 * - An unqualified reference is looked up in the enclosing namespace, then
 *   in the null namespace (Avro Java does this too); it is an error when
 *   both would match, because printing could not keep the meaning.
 * - Namespaces must be dot-separated valid names.
 * - doc on array, map, union or primitive types is dropped (Java does too).
 *
 * Files: this one is the walk over the schema JSON (with its logical
 * types) and the entry points; the parser state and its error/path
 * builder are in schema_parse_internal.h and schema_parse_path.c, and the
 * field default checker in schema_default.c.
 */
#include "compat/schema_parse_internal.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/jsonpos.h"

typedef regit_schema_parser parser;

static const char *const primitive_names[] = {
	"null", "boolean", "int", "long", "float", "double", "bytes", "string"
};

/* Keys Avro Java does not keep as properties (Schema.SCHEMA_RESERVED). */
static const char *const schema_reserved[] = {
	"doc", "fields", "items", "name", "namespace", "size", "symbols",
	"values", "type", "aliases", NULL
};
/* Field.FIELD_RESERVED. */
static const char *const field_reserved[] = {
	"default", "doc", "name", "order", "type", "aliases", NULL
};

/* ---- small helpers ---------------------------------------------------- */

/* The document, decoded by schema_json.c. */
typedef regit_json_value jv;

static const jv *jget(const jv *obj, const char *key)
{
	return regit_json__get(obj, key);
}

static int jis_null(const jv *v) { return v && v->type == REGIT_JSON_NULL; }
static int jis_string(const jv *v) { return v && v->type == REGIT_JSON_STRING; }
static int jis_object(const jv *v) { return v && v->type == REGIT_JSON_OBJECT; }
static int jis_array(const jv *v) { return v && v->type == REGIT_JSON_ARRAY; }
static int jis_integer(const jv *v) { return v && v->type == REGIT_JSON_INTEGER; }

/* As json_string_value and friends: NULL / 0 for the wrong type. */
static const char *jstr(const jv *v) { return jis_string(v) ? v->u.s : NULL; }
static size_t jlen(const jv *v) { return jis_string(v) ? v->n : 0; }
static size_t jsize(const jv *v) { return jis_array(v) ? v->n : 0; }
static json_int_t jint(const jv *v) { return jis_integer(v) ? v->u.i : 0; }

static const jv *jat(const jv *arr, size_t i)
{
	return jis_array(arr) && i < arr->n ? &arr->u.members[i].value : NULL;
}

/*
 * Hand a jansson value (defaults, properties) to the schema, which keeps it
 * alive; the reference is taken even when this fails. NULL (allocation
 * failed) is REGIT_ENOMEM.
 */
static int keep_json(parser *p, json_t *value)
{
	if (!value)
		return REGIT_ENOMEM;
	if (json_is_null(value) || json_is_boolean(value))
		return 0;    /* jansson's singletons: nothing to keep alive */
	if (!p->s->owned) {
		p->s->owned = json_array();
		if (!p->s->owned) {
			json_decref(value);
			return REGIT_ENOMEM;
		}
	}
	if (json_array_append_new(p->s->owned, value) < 0)
		return REGIT_ENOMEM;
	return 0;
}

static int is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* [A-Za-z_][A-Za-z0-9_]* */
static int valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_name_start(s[0]))
		return 0;
	for (i = 1; i < n; i++) {
		if (!is_name_char(s[i]))
			return 0;
	}
	return 1;
}

/* Dot-separated valid names. */
static int valid_fullname(const char *s, size_t n)
{
	size_t start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!valid_name(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

static int is_primitive_name(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(primitive_names) / sizeof(primitive_names[0]); i++) {
		if (strcmp(s, primitive_names[i]) == 0)
			return 1;
	}
	return 0;
}

static int is_reserved(const char *const *set, const char *key)
{
	for (; *set; set++) {
		if (strcmp(*set, key) == 0)
			return 1;
	}
	return 0;
}

/*
 * A string member as a NUL-free C string (borrowed from the document).
 * JSON null counts as absent, as in Avro Java (getOptionalText).
 * @return 0 (absent: *out NULL), REGIT_EINVALID
 */
static int get_string(parser *p, const jv *obj, const char *key, const char **out)
{
	const jv *v = jget(obj, key);
	size_t saved;
	int error = 0;

	*out = NULL;
	if (!v || jis_null(v))
		return 0;
	saved = regit_schema__path_push(p, key);
	if (!jis_string(v))
		error = regit_schema__fail(p, REGIT_EINVALID, "\"%s\" must be a string", key);
	else if (strlen(jstr(v)) != jlen(v))
		error = regit_schema__fail(p, REGIT_EINVALID, "\"%s\" must not contain NUL characters", key);
	else
		*out = jstr(v);
	regit_schema__path_pop(p, saved);
	return error;
}

static char *arena_strdup(parser *p, const char *s)
{
	return regit_schema__arena_strndup(&p->s->arena, s, strlen(s));
}

/* "space.name", or "name" for the null namespace; arena-owned. */
static char *make_fullname(parser *p, const char *space, const char *name)
{
	size_t sn, nn = strlen(name);
	char *full;

	if (!space)
		return arena_strdup(p, name);
	sn = strlen(space);
	full = regit_schema__arena_alloc(&p->s->arena, sn + nn + 2);
	if (!full)
		return NULL;
	memcpy(full, space, sn);
	full[sn] = '.';
	memcpy(full + sn + 1, name, nn + 1);
	return full;
}

static int count_names(parser *p, size_t n)
{
	if (n > p->opts->max_names || p->names > p->opts->max_names - n)
		return regit_schema__fail(p, REGIT_ELIMIT,
			"schema defines more than %zu names (types, fields and symbols)",
			p->opts->max_names);
	p->names += n;
	return 0;
}

static regit_type_node *new_node(parser *p, regit_type_kind kind)
{
	regit_type_node *n = regit_schema__arena_alloc(&p->s->arena, sizeof(*n));

	if (!n)
		return NULL;
	n->pub.kind = kind;
	n->pub.path = regit_schema__path_dup(p);
	if (!n->pub.path)
		return NULL;
	return n;
}

/*
 * Collect the members of `obj` that are not in `reserved` into a new object
 * kept alive by the schema. @return 0 or REGIT_ENOMEM; *out NULL when none
 */
static int collect_props(parser *p, const jv *obj, const char *const *reserved,
	const json_t **out)
{
	json_t *props = NULL;
	size_t i;
	int error;

	*out = NULL;
	for (i = 0; i < obj->n; i++) {
		const regit_json_member *m = &obj->u.members[i];

		if (is_reserved(reserved, m->key))
			continue;
		if (!props) {
			props = json_object();
			error = keep_json(p, props);
			if (error < 0)
				return error;
		}
		if (json_object_setn_new_nocheck(props, m->key, m->klen,
				regit_json__to_jansson(&m->value)) < 0)
			return REGIT_ENOMEM;
	}
	*out = props;
	return 0;
}

static int kind_of_primitive(const char *s, regit_type_kind *kind)
{
	static const regit_type_kind kinds[] = {
		REGIT_TYPE_NULL, REGIT_TYPE_BOOLEAN, REGIT_TYPE_INT, REGIT_TYPE_LONG,
		REGIT_TYPE_FLOAT, REGIT_TYPE_DOUBLE, REGIT_TYPE_BYTES, REGIT_TYPE_STRING
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(s, primitive_names[i]) == 0) {
			*kind = kinds[i];
			return 1;
		}
	}
	return 0;
}

/* ---- logical types ---------------------------------------------------- */

/* Largest decimal precision a fixed of `size` bytes holds (as Avro Java computes it). */
static long long decimal_max_precision(size_t size)
{
	if (size == 0)
		return 0;
	return (long long)floor(log10(2.0) * (8.0 * (double)size - 1.0));
}

static int parser_warn(parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Keep a warning (message + " at " + the current path) in the schema. */
static int parser_warn(parser *p, const char *fmt, ...)
{
	char msg[512], line[1024];
	char *w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->s->nwarnings < REGIT_SCHEMA_MAX_WARNINGS) {
		snprintf(line, sizeof(line), "%s at %s", msg, p->path[0] ? p->path : "/");
		w = regit_schema__arena_strndup(&p->s->arena, line, strlen(line));
		if (!w)
			return REGIT_ENOMEM;
		p->s->warnings[p->s->nwarnings] = w;
	}
	p->s->nwarnings++;
	return 0;
}

/*
 * An invalid decimal is ignored (the type stays REGIT_LOGICAL_UNKNOWN: its
 * underlying bytes or fixed is used), with a warning.
 */
static int parse_decimal(parser *p, regit_type *t, const jv *obj)
{
	const jv *prec = jget(obj, "precision");
	const jv *scale = jget(obj, "scale");
	json_int_t pv, sv = 0;
	size_t saved, nwarn = p->s->nwarnings;
	int error = 0;

	if (!prec)
		return parser_warn(p, "decimal logical type without \"precision\" ignored");
	saved = regit_schema__path_push(p, "precision");
	pv = jis_integer(prec) ? jint(prec) : 0;
	if (!jis_integer(prec) || pv <= 0 || pv > INT_MAX)
		error = parser_warn(p,
			"decimal logical type ignored: precision must be a positive integer");
	else if (t->kind == REGIT_TYPE_FIXED && pv > decimal_max_precision(t->size))
		error = parser_warn(p,
			"decimal logical type ignored: precision %lld does not fit in fixed of size %zu (at most %lld digits)",
			(long long)pv, t->size, decimal_max_precision(t->size));
	regit_schema__path_pop(p, saved);
	if (error < 0 || p->s->nwarnings != nwarn)
		return error;
	if (scale) {
		saved = regit_schema__path_push(p, "scale");
		sv = jis_integer(scale) ? jint(scale) : -1;
		if (!jis_integer(scale) || sv < 0 || sv > pv)
			error = parser_warn(p,
				"decimal logical type ignored: scale must be an integer from 0 to the precision (%lld)",
				(long long)pv);
		regit_schema__path_pop(p, saved);
		if (error < 0 || p->s->nwarnings != nwarn)
			return error;
	}
	t->logical = REGIT_LOGICAL_DECIMAL;
	t->precision = (int)pv;
	t->scale = (int)sv;
	return 0;
}

/* Read "logicalType" of a type object; call once kind (and fixed size) are set. */
static int parse_logical(parser *p, regit_type *t, const jv *obj)
{
	static const struct {
		const char *name;
		regit_logical logical;
		regit_type_kind kind;
	} table[] = {
		{ "uuid", REGIT_LOGICAL_UUID, REGIT_TYPE_STRING },
		{ "date", REGIT_LOGICAL_DATE, REGIT_TYPE_INT },
		{ "time-millis", REGIT_LOGICAL_TIME_MILLIS, REGIT_TYPE_INT },
		{ "time-micros", REGIT_LOGICAL_TIME_MICROS, REGIT_TYPE_LONG },
		{ "timestamp-millis", REGIT_LOGICAL_TIMESTAMP_MILLIS, REGIT_TYPE_LONG },
		{ "timestamp-micros", REGIT_LOGICAL_TIMESTAMP_MICROS, REGIT_TYPE_LONG },
		{ "local-timestamp-millis", REGIT_LOGICAL_LOCAL_TIMESTAMP_MILLIS, REGIT_TYPE_LONG },
		{ "local-timestamp-micros", REGIT_LOGICAL_LOCAL_TIMESTAMP_MICROS, REGIT_TYPE_LONG },
		{ "duration", REGIT_LOGICAL_DURATION, REGIT_TYPE_FIXED },
	};
	const jv *v = jget(obj, "logicalType");
	const char *name;
	size_t i;

	/* A non-string logicalType is not a logical type; it stays a property. */
	if (!jis_string(v) || strlen(jstr(v)) != jlen(v))
		return 0;
	name = jstr(v);
	t->logical_name = arena_strdup(p, name);
	if (!t->logical_name)
		return REGIT_ENOMEM;
	t->logical = REGIT_LOGICAL_UNKNOWN;
	if (strcmp(name, "decimal") == 0) {
		if (t->kind == REGIT_TYPE_BYTES || t->kind == REGIT_TYPE_FIXED)
			return parse_decimal(p, t, obj);
		return 0;
	}
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(name, table[i].name) != 0)
			continue;
		if (t->kind == table[i].kind &&
		    (table[i].logical != REGIT_LOGICAL_DURATION || t->size == 12))
			t->logical = table[i].logical;
		break;
	}
	return 0;
}

/* ---- types ------------------------------------------------------------ */

static int parse_type(parser *p, const regit_type **out, const jv *j, const char *space);

/*
 * Many imports (a registry schema gets everything its references reach,
 * up to a thousand schemas) are searched through one table of all their
 * names rather than one by one: a scan per type reference made a parse
 * with 25,000 references and 1,000 imports take 180 ms instead of 12.
 */
#define IMPORT_INDEX_MIN 8

/* Index every named type of the imports; the first import to define a name wins, as in a scan. */
static int import_index_build(parser *p)
{
	size_t i, k;
	int error = 0;

	regit_strmap__init(&p->import_names);
	p->import_index = 1;
	for (i = 0; i < p->s->nimports && error == 0; i++) {
		const regit_schema *imp = p->s->imports[i];

		for (k = 0; imp && k < imp->nnamed && error == 0; k++) {
			const regit_type *t = imp->named[k];

			if (!regit_strmap__get(&p->import_names, t->fullname))
				error = regit_strmap__put(&p->import_names, t->fullname, (void *)t);
		}
	}
	return error;
}

/* A named type of this schema or of its imports (regit_schema__lookup with imports). */
static const regit_type *parser_lookup(parser *p, const char *fullname)
{
	const regit_type *t;

	if (!p->import_index)
		return regit_schema__lookup(p->s, fullname, 1);
	t = regit_strmap__get(&p->s->names, fullname);
	return t ? t : regit_strmap__get(&p->import_names, fullname);
}

/*
 * Resolve a type name (primitive or named reference) written at the
 * current path inside namespace `space`.
 */
static int resolve_name(parser *p, const regit_type **out, const char *name, const char *space)
{
	regit_type_kind kind;
	regit_type_node *n;
	const regit_type *t = NULL;
	char *full = NULL;
	int error;

	if (kind_of_primitive(name, &kind)) {
		n = new_node(p, kind);
		if (!n)
			return REGIT_ENOMEM;
		*out = &n->pub;
		return 0;
	}
	if (strchr(name, '.') || !space) {
		t = parser_lookup(p, name);
	} else {
		full = make_fullname(p, space, name);
		if (!full)
			return REGIT_ENOMEM;
		t = parser_lookup(p, full);
		if (!t) {
			t = parser_lookup(p, name);
			if (t) {
				/* Found only in the null namespace: remember to check that
				 * space.name stays undefined (see the file comment). */
				regit_schema_fallback_ref *nf = regit_array_grow(p->fallbacks, &p->fallbacks_cap,
					p->nfallbacks + 1, sizeof(*nf), 8);

				if (!nf)
					return REGIT_ENOMEM;
				p->fallbacks = nf;
				p->fallbacks[p->nfallbacks].shadow = full;
				p->fallbacks[p->nfallbacks].path = regit_schema__path_dup(p);
				if (!p->fallbacks[p->nfallbacks].path)
					return REGIT_ENOMEM;
				p->nfallbacks++;
			}
		}
	}
	if (!t) {
		error = regit_schema__fail(p, REGIT_EINVALID, "unknown type \"%s\"%s%s", name,
			full ? " in namespace " : "", full ? space : "");
		regit_schema__copy_truncated(p->err->unknown, sizeof(p->err->unknown), name);
		regit_schema__copy_truncated(p->err->unknown_space, sizeof(p->err->unknown_space),
			full ? space : "");
		return error;
	}
	*out = t;
	return 0;
}

static int parse_aliases(parser *p, const jv *obj, const char *space,
	int qualified, const char *const **out, size_t *count)
{
	const jv *arr = jget(obj, "aliases");
	const char **aliases;
	size_t saved, i, n;
	int error = 0;

	*out = NULL;
	*count = 0;
	if (!arr)
		return 0;
	saved = regit_schema__path_push(p, "aliases");
	if (!jis_array(arr)) {
		error = regit_schema__fail(p, REGIT_EINVALID,
			"\"aliases\" must be an array of names");
		goto done;
	}
	n = jsize(arr);
	aliases = regit_schema__arena_alloc(&p->s->arena, (n ? n : 1) * sizeof(*aliases));
	if (!aliases) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		const jv *a = jat(arr, i);
		const char *s = jstr(a);
		size_t isaved = regit_schema__path_push_index(p, i);

		if (!jis_string(a) ||
		    !(qualified ? valid_fullname(s, jlen(a))
				: valid_name(s, jlen(a)))) {
			error = regit_schema__fail(p, REGIT_EINVALID,
				"alias must be a valid %sname", qualified ? "(full) " : "");
			goto done;
		}
		regit_schema__path_pop(p, isaved);
		if (qualified && !strchr(s, '.'))
			aliases[i] = make_fullname(p, space, s);
		else
			aliases[i] = arena_strdup(p, s);
		if (!aliases[i]) {
			error = REGIT_ENOMEM;
			goto done;
		}
	}
	*out = aliases;
	*count = n;
done:
	if (error == 0)
		regit_schema__path_pop(p, saved);
	return error;
}

/*
 * Avro Java reads a string default of a float or double field with
 * Double.valueOf and stores the number. We accept the same for decimal
 * numerals (stored as a JSON real, so printing writes a number as Java
 * does) and for "NaN", "Infinity" and "-Infinity" (kept as strings, which
 * is also how Jackson writes those).
 */
static int float_default(parser *p, regit_field *f, const char *record)
{
	const char *s = json_string_value(f->default_value);
	size_t n = json_string_length(f->default_value), i;
	json_t *real;
	char *end;
	double d;

	if (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!strchr("0123456789+-.eE", s[i]) || s[i] == '\0')
			break;
	}
	d = n > 0 && i == n ? strtod(s, &end) : 0;
	if (n == 0 || i < n || end != s + n || !isfinite(d))
		return regit_schema__add_default(p, f, record);  /* reported as a mismatch */
	real = json_real(d);
	if (keep_json(p, real) < 0)
		return REGIT_ENOMEM;
	f->default_value = real;
	return 0;
}

static int parse_field(parser *p, regit_field *f, const jv *obj, const char *space,
	regit_strmap *seen, const char *record)
{
	const char *name, *order = NULL;
	const jv *def;
	size_t saved;
	int error = 0;

	if (!jis_object(obj))
		return regit_schema__fail(p, REGIT_EINVALID, "a field must be a JSON object");
	f->path = regit_schema__path_dup(p);
	if (!f->path)
		return REGIT_ENOMEM;

	error = get_string(p, obj, "name", &name);
	if (error < 0)
		return error;
	if (!name)
		return regit_schema__fail(p, REGIT_EINVALID, "field has no \"name\"");
	saved = regit_schema__path_push(p, "name");
	if (!valid_name(name, strlen(name)))
		return regit_schema__fail(p, REGIT_EINVALID, "invalid field name \"%s\"", name);
	if (regit_strmap__get(seen, name))
		return regit_schema__fail(p, REGIT_EINVALID, "duplicate field name \"%s\"", name);
	regit_schema__path_pop(p, saved);
	f->name = arena_strdup(p, name);
	if (!f->name)
		return REGIT_ENOMEM;
	error = regit_strmap__put(seen, f->name, (void *)f);
	if (error < 0)
		return error;
	error = count_names(p, 1);
	if (error < 0)
		return error;

	error = get_string(p, obj, "doc", &f->doc);
	if (error < 0)
		return error;
	if (f->doc) {
		f->doc = arena_strdup(p, f->doc);
		if (!f->doc)
			return REGIT_ENOMEM;
	}
	error = get_string(p, obj, "order", &order);
	if (error < 0)
		return error;
	if (order) {
		if (strcmp(order, "ascending") == 0) {
			f->order = REGIT_ORDER_ASCENDING;
		} else if (strcmp(order, "descending") == 0) {
			f->order = REGIT_ORDER_DESCENDING;
		} else if (strcmp(order, "ignore") == 0) {
			f->order = REGIT_ORDER_IGNORE;
		} else {
			saved = regit_schema__path_push(p, "order");
			return regit_schema__fail(p, REGIT_EINVALID,
				"field order must be \"ascending\", \"descending\" or \"ignore\"");
		}
	}
	error = parse_aliases(p, obj, NULL, 0, &f->aliases, &f->naliases);
	if (error < 0)
		return error;

	if (!jget(obj, "type"))
		return regit_schema__fail(p, REGIT_EINVALID, "field \"%s\" has no \"type\"", name);
	saved = regit_schema__path_push(p, "type");
	error = parse_type(p, &f->type, jget(obj, "type"), space);
	if (error < 0)
		return error;
	regit_schema__path_pop(p, saved);

	error = collect_props(p, obj, field_reserved, &f->props);
	if (error < 0)
		return error;
	def = jget(obj, "default");
	if (def) {
		json_t *value = regit_json__to_jansson(def);

		error = keep_json(p, value);
		if (error < 0)
			return error;
		f->default_value = value;
	}
	if (f->default_value && json_is_string(f->default_value) &&
	    (f->type->kind == REGIT_TYPE_FLOAT || f->type->kind == REGIT_TYPE_DOUBLE))
		return float_default(p, f, record);
	if (f->default_value)
		error = regit_schema__add_default(p, f, record);
	return error;
}

static int parse_fields(parser *p, regit_type *t, const jv *obj)
{
	const jv *arr = jget(obj, "fields");
	regit_strmap seen;
	regit_field *fields;
	size_t saved, i, n;
	int error = 0;

	regit_strmap__init(&seen);
	if (!arr)
		return regit_schema__fail(p, REGIT_EINVALID, "record \"%s\" has no \"fields\"", t->fullname);
	saved = regit_schema__path_push(p, "fields");
	if (!jis_array(arr)) {
		error = regit_schema__fail(p, REGIT_EINVALID, "\"fields\" must be an array");
		goto done;
	}
	n = jsize(arr);
	fields = regit_schema__arena_alloc(&p->s->arena, (n ? n : 1) * sizeof(*fields));
	if (!fields) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		size_t isaved = regit_schema__path_push_index(p, i);

		error = parse_field(p, &fields[i], jat(arr, i), t->space, &seen,
			t->fullname);
		if (error < 0)
			goto done;
		regit_schema__path_pop(p, isaved);
	}
	t->fields = fields;
	t->nfields = n;
	regit_schema__path_pop(p, saved);
done:
	regit_strmap__dispose(&seen);
	return error;
}

static int parse_symbols(parser *p, regit_type_node *node, const jv *obj)
{
	regit_type *t = &node->pub;
	const jv *arr = jget(obj, "symbols");
	const char *def = NULL;
	const char **symbols, **sorted;
	regit_strmap seen;
	size_t saved, i, n;
	int error = 0;

	regit_strmap__init(&seen);
	if (!arr)
		return regit_schema__fail(p, REGIT_EINVALID, "enum \"%s\" has no \"symbols\"", t->fullname);
	saved = regit_schema__path_push(p, "symbols");
	if (!jis_array(arr)) {
		error = regit_schema__fail(p, REGIT_EINVALID,
			"\"symbols\" must be an array of names");
		goto done;
	}
	n = jsize(arr);
	error = count_names(p, n);
	if (error < 0)
		goto done;
	symbols = regit_schema__arena_alloc(&p->s->arena, (n ? n : 1) * sizeof(*symbols));
	sorted = regit_schema__arena_alloc(&p->s->arena, (n ? n : 1) * sizeof(*sorted));
	if (!symbols || !sorted) {
		error = REGIT_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		const jv *v = jat(arr, i);
		const char *s = jstr(v);
		size_t isaved = regit_schema__path_push_index(p, i);

		if (!jis_string(v) || !valid_name(s, jlen(v))) {
			error = regit_schema__fail(p, REGIT_EINVALID,
				"enum symbol must be a valid name");
			goto done;
		}
		if (regit_strmap__get(&seen, s)) {
			error = regit_schema__fail(p, REGIT_EINVALID,
				"duplicate enum symbol \"%s\"", s);
			goto done;
		}
		regit_schema__path_pop(p, isaved);
		symbols[i] = arena_strdup(p, s);
		if (!symbols[i]) {
			error = REGIT_ENOMEM;
			goto done;
		}
		sorted[i] = symbols[i];
		error = regit_strmap__put(&seen, symbols[i], (void *)symbols[i]);
		if (error < 0)
			goto done;
	}
	regit_schema__path_pop(p, saved);
	qsort(sorted, n, sizeof(*sorted), regit_schema__symbol_cmp);
	t->symbols = symbols;
	t->nsymbols = n;
	node->sorted_symbols = sorted;

	error = get_string(p, obj, "default", &def);
	if (error < 0)
		goto done;
	if (def) {
		if (!regit_strmap__get(&seen, def)) {
			saved = regit_schema__path_push(p, "default");
			error = regit_schema__fail(p, REGIT_EINVALID,
				"enum default \"%s\" is not one of its symbols", def);
			goto done;
		}
		t->enum_default = regit_strmap__get(&seen, def);
	}
done:
	regit_strmap__dispose(&seen);
	return error;
}

static int parse_size(parser *p, regit_type *t, const jv *obj)
{
	const jv *v = jget(obj, "size");
	size_t saved;

	if (!v)
		return regit_schema__fail(p, REGIT_EINVALID,
			"fixed \"%s\" has no \"size\"", t->fullname);
	if (!jis_integer(v) || jint(v) < 0 ||
	    jint(v) > INT_MAX) {
		saved = regit_schema__path_push(p, "size");
		(void)saved;
		return regit_schema__fail(p, REGIT_EINVALID,
			"fixed size must be an integer from 0 to %d", INT_MAX);
	}
	t->size = (size_t)jint(v);
	return 0;
}

static int parse_named(parser *p, const regit_type **out, const jv *obj,
	regit_type_kind kind, const char *enclosing)
{
	const char *name, *ns = NULL, *dot;
	const char *const *reserved = schema_reserved;
	static const char *const enum_reserved[] = {
		"doc", "fields", "items", "name", "namespace", "size", "symbols",
		"values", "type", "aliases", "default", NULL
	};
	regit_type_node *node;
	regit_type *t, **nn;
	char *space = NULL;
	size_t saved;
	int error;

	error = get_string(p, obj, "name", &name);
	if (error < 0)
		return error;
	if (!name)
		return regit_schema__fail(p, REGIT_EINVALID, "%s has no \"name\"", regit_type_kind_name(kind));
	error = get_string(p, obj, "namespace", &ns);
	if (error < 0)
		return error;

	node = new_node(p, kind);
	if (!node)
		return REGIT_ENOMEM;
	t = &node->pub;

	dot = strrchr(name, '.');
	saved = regit_schema__path_push(p, "name");
	if (dot) {
		if (!valid_fullname(name, strlen(name)))
			return regit_schema__fail(p, REGIT_EINVALID, "invalid name \"%s\"", name);
		space = regit_schema__arena_strndup(&p->s->arena, name, (size_t)(dot - name));
		t->name = arena_strdup(p, dot + 1);
		if (!space || !t->name)
			return REGIT_ENOMEM;
	} else {
		if (!valid_name(name, strlen(name)))
			return regit_schema__fail(p, REGIT_EINVALID, "invalid name \"%s\"", name);
		t->name = arena_strdup(p, name);
		if (!t->name)
			return REGIT_ENOMEM;
		if (ns) {
			if (ns[0] && !valid_fullname(ns, strlen(ns))) {
				regit_schema__path_pop(p, saved);
				regit_schema__path_push(p, "namespace");
				return regit_schema__fail(p, REGIT_EINVALID, "invalid namespace \"%s\"", ns);
			}
			if (ns[0]) {
				space = arena_strdup(p, ns);
				if (!space)
					return REGIT_ENOMEM;
			}
		} else if (enclosing) {
			space = (char *)enclosing;
		}
	}
	t->space = space;
	t->fullname = make_fullname(p, space, t->name);
	if (!t->fullname)
		return REGIT_ENOMEM;
	if (is_primitive_name(t->fullname))
		return regit_schema__fail(p, REGIT_EINVALID,
			"\"%s\" is a primitive type name and cannot be redefined", t->fullname);
	if (parser_lookup(p, t->fullname))
		return regit_schema__fail(p, REGIT_EINVALID,
			"type \"%s\" is defined twice", t->fullname);
	regit_schema__path_pop(p, saved);
	error = count_names(p, 1);
	if (error < 0)
		return error;

	/* Register before the children, so recursive references resolve. */
	error = regit_strmap__put(&p->s->names, t->fullname, t);
	if (error < 0)
		return error;
	nn = regit_array_grow(p->s->named, &p->named_cap, p->s->nnamed + 1, sizeof(*nn), 16);
	if (!nn)
		return REGIT_ENOMEM;
	p->s->named = nn;
	p->s->named[p->s->nnamed++] = t;

	error = get_string(p, obj, "doc", &t->doc);
	if (error < 0)
		return error;
	if (t->doc) {
		t->doc = arena_strdup(p, t->doc);
		if (!t->doc)
			return REGIT_ENOMEM;
	}
	error = parse_aliases(p, obj, space, 1, &t->aliases, &t->naliases);
	if (error < 0)
		return error;

	switch (kind) {
	case REGIT_TYPE_RECORD:
		error = parse_fields(p, t, obj);
		break;
	case REGIT_TYPE_ENUM:
		reserved = enum_reserved;
		error = parse_symbols(p, node, obj);
		break;
	default:
		error = parse_size(p, t, obj);
		break;
	}
	if (error < 0)
		return error;
	error = collect_props(p, obj, reserved, &t->props);
	if (error < 0)
		return error;
	error = parse_logical(p, t, obj);
	if (error < 0)
		return error;
	*out = t;
	return 0;
}

static int parse_union(parser *p, const regit_type **out, const jv *arr, const char *space)
{
	regit_type_node *node = new_node(p, REGIT_TYPE_UNION);
	const regit_type **branches;
	regit_strmap named;
	unsigned seen_kinds = 0;
	size_t i, n = jsize(arr);
	int error = 0;

	regit_strmap__init(&named);
	if (!node)
		return REGIT_ENOMEM;
	branches = regit_schema__arena_alloc(&p->s->arena, (n ? n : 1) * sizeof(*branches));
	if (!branches)
		return REGIT_ENOMEM;
	for (i = 0; i < n; i++) {
		const jv *b = jat(arr, i);
		size_t saved = regit_schema__path_push_index(p, i);

		if (jis_array(b)) {
			error = regit_schema__fail(p, REGIT_EINVALID, "a union may not directly contain a union");
			goto done;
		}
		error = parse_type(p, &branches[i], b, space);
		if (error < 0)
			goto done;
		if (regit_type_is_named(branches[i])) {
			if (regit_strmap__get(&named, branches[i]->fullname)) {
				error = regit_schema__fail(p, REGIT_EINVALID,
					"union contains \"%s\" more than once", branches[i]->fullname);
				goto done;
			}
			error = regit_strmap__put(&named, branches[i]->fullname, (void *)branches[i]);
			if (error < 0)
				goto done;
		} else {
			unsigned bit = 1u << branches[i]->kind;

			if (seen_kinds & bit) {
				error = regit_schema__fail(p, REGIT_EINVALID,
					"union contains more than one %s",
					regit_type_kind_name(branches[i]->kind));
				goto done;
			}
			seen_kinds |= bit;
		}
		regit_schema__path_pop(p, saved);
	}
	node->pub.branches = branches;
	node->pub.nbranches = n;
	*out = &node->pub;
done:
	regit_strmap__dispose(&named);
	return error;
}

static int parse_container(parser *p, const regit_type **out, const jv *obj,
	regit_type_kind kind, const char *space)
{
	const char *key = kind == REGIT_TYPE_ARRAY ? "items" : "values";
	const jv *sub = jget(obj, key);
	regit_type_node *node = new_node(p, kind);
	size_t saved;
	int error;

	if (!node)
		return REGIT_ENOMEM;
	if (!sub)
		return regit_schema__fail(p, REGIT_EINVALID, "%s has no \"%s\"",
			regit_type_kind_name(kind), key);
	saved = regit_schema__path_push(p, key);
	error = parse_type(p, &node->pub.items, sub, space);
	if (error < 0)
		return error;
	regit_schema__path_pop(p, saved);
	error = collect_props(p, obj, schema_reserved, &node->pub.props);
	if (error < 0)
		return error;
	error = parse_logical(p, &node->pub, obj);
	if (error < 0)
		return error;
	*out = &node->pub;
	return 0;
}

static int parse_object(parser *p, const regit_type **out, const jv *obj, const char *space)
{
	const jv *tv = jget(obj, "type");
	const char *type;
	regit_type_kind kind;
	regit_type_node *node;
	size_t saved;
	int error;

	if (!tv)
		return regit_schema__fail(p, REGIT_EINVALID, "type object has no \"type\"");
	if (!jis_string(tv) || strlen(jstr(tv)) != jlen(tv)) {
		saved = regit_schema__path_push(p, "type");
		(void)saved;
		return regit_schema__fail(p, REGIT_EINVALID,
			"\"type\" of a type object must be a type name (nest schemas in fields, items or values)");
	}
	type = jstr(tv);

	if (kind_of_primitive(type, &kind)) {
		node = new_node(p, kind);
		if (!node)
			return REGIT_ENOMEM;
		error = collect_props(p, obj, schema_reserved, &node->pub.props);
		if (error < 0)
			return error;
		error = parse_logical(p, &node->pub, obj);
		if (error < 0)
			return error;
		*out = &node->pub;
		return 0;
	}
	if (strcmp(type, "record") == 0)
		return parse_named(p, out, obj, REGIT_TYPE_RECORD, space);
	if (strcmp(type, "enum") == 0)
		return parse_named(p, out, obj, REGIT_TYPE_ENUM, space);
	if (strcmp(type, "fixed") == 0)
		return parse_named(p, out, obj, REGIT_TYPE_FIXED, space);
	if (strcmp(type, "array") == 0)
		return parse_container(p, out, obj, REGIT_TYPE_ARRAY, space);
	if (strcmp(type, "map") == 0)
		return parse_container(p, out, obj, REGIT_TYPE_MAP, space);
	if (strcmp(type, "error") == 0) {
		saved = regit_schema__path_push(p, "type");
		(void)saved;
		return regit_schema__fail(p, REGIT_EINVALID,
			"\"error\" types are only allowed in protocols");
	}
	/* {"type": "some.Name"}: a reference, as Avro Java accepts it. */
	saved = regit_schema__path_push(p, "type");
	error = resolve_name(p, out, type, space);
	if (error < 0)
		return error;
	regit_schema__path_pop(p, saved);
	return 0;
}

static int parse_type(parser *p, const regit_type **out, const jv *j, const char *space)
{
	if (jis_string(j)) {
		if (strlen(jstr(j)) != jlen(j))
			return regit_schema__fail(p, REGIT_EINVALID, "type name must not contain NUL characters");
		return resolve_name(p, out, jstr(j), space);
	}
	if (jis_object(j))
		return parse_object(p, out, j, space);
	if (jis_array(j))
		return parse_union(p, out, j, space);
	return regit_schema__fail(p, REGIT_EINVALID,
		"a schema must be a type name, a type object or a union array");
}

/* ---- second pass ------------------------------------------------------ */

/* A reference resolved in the null namespace must not have been shadowed
 * by a type defined later in the enclosing one. */
static int check_fallbacks(parser *p)
{
	size_t i;

	for (i = 0; i < p->nfallbacks; i++) {
		const char *shadow = p->fallbacks[i].shadow;

		if (!parser_lookup(p, shadow))
			continue;
		regit_schema__path_set(p, p->fallbacks[i].path);
		return regit_schema__fail(p, REGIT_EINVALID,
			"reference \"%s\" is ambiguous: it was resolved in the null namespace before \"%s\" was defined",
			strrchr(shadow, '.') + 1, shadow);
	}
	return 0;
}

/* ---- entry points ----------------------------------------------------- */

/*
 * Nesting depth of the JSON text, found without recursion so that a
 * hostile 100,000-deep document cannot overflow the stack in jansson.
 * Reports the line and column of the first bracket beyond max_depth.
 */
static int prescan_depth(const char *text, size_t len, size_t max_depth,
	int *line, int *column)
{
	size_t depth = 0, i;
	int in_string = 0, escape = 0, ln = 1, col = 0;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\n') {
			ln++;
			col = 0;
		} else {
			col++;
		}
		if (in_string) {
			if (escape)
				escape = 0;
			else if (c == '\\')
				escape = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth) {
				*line = ln;
				*column = col;
				return REGIT_ELIMIT;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

/*
 * Line and column of a jansson syntax error. jansson counts columns in
 * characters; util/jsonpos (semantic errors) counts bytes, so recompute
 * from jansson's byte position to keep both kinds consistent.
 */
static void error_position(regit_schema_error *err, const char *text, size_t len,
	const json_error_t *jerr)
{
	size_t pos, i, line_start = 0;
	int line = 1;

	if (jerr->position <= 0 || (size_t)jerr->position > len) {
		err->line = jerr->line > 0 ? jerr->line : 0;
		err->column = jerr->column > 0 ? jerr->column : 0;
		return;
	}
	pos = (size_t)jerr->position;
	for (i = 0; i < pos; i++) {
		if (text[i] == '\n' && i + 1 < pos) {
			line++;
			line_start = i + 1;
		}
	}
	err->line = line;
	err->column = (int)(pos - line_start);
}

/*
 * A raw NUL byte is never valid JSON (not whitespace, and control bytes in
 * strings must be escaped), but jansson 2.14 drops one that directly
 * follows a number ("16\0}" parses), so the text would be accepted here
 * and rejected by util/jsonpos and every other JSON parser (found by
 * fuzz/jsonpos_fuzzer). Returns 1 with the NUL's 1-based line:column.
 */
static int find_nul(const char *text, size_t len, int *line, int *column)
{
	const char *nul = memchr(text, '\0', len);
	size_t i, line_start = 0;
	int ln = 1;

	if (!nul)
		return 0;
	for (i = 0; i < (size_t)(nul - text); i++) {
		if (text[i] == '\n') {
			ln++;
			line_start = i + 1;
		}
	}
	*line = ln;
	*column = (int)((size_t)(nul - text) - line_start) + 1;
	return 1;
}

static void error_locate(regit_schema_error *err, const char *text, size_t len)
{
	int line = 0, column = 0;

	if (err->line > 0)
		return;
	if (regit_jsonpos_find_nearest(text, len, err->path, &line, &column) == 0) {
		err->line = line;
		err->column = column;
	}
}

int regit_schema_parse(regit_schema **out, const char *text, size_t len,
	const regit_schema_options *opts, regit_schema_error *err)
{
	regit_schema_options defaults = REGIT_SCHEMA_OPTIONS_INIT;
	regit_schema_error local_err;
	regit_schema *s = NULL;
	parser *p = NULL;
	regit_json_value doc;
	json_t *jdoc;
	json_error_t jerr;
	int error = 0, line = 0, column = 0;

	if (!err)
		err = &local_err;
	memset(err, 0, sizeof(*err));
	if (out)
		*out = NULL;
	if (!out || (!text && len)) {
		snprintf(err->message, sizeof(err->message), "invalid arguments");
		regit_error_set(REGIT_ERROR_INTERNAL, "regit_schema_parse: invalid arguments");
		return REGIT_ERROR;
	}
	if (!text)
		text = "";
	if (!opts)
		opts = &defaults;

	if (len > opts->max_size) {
		snprintf(err->message, sizeof(err->message),
			"schema is %zu bytes, more than the limit of %zu", len, opts->max_size);
		error = REGIT_ELIMIT;
		goto done;
	}
	s = regit_calloc(1, sizeof(*s));
	p = regit_calloc(1, sizeof(*p));
	if (!s || !p) {
		error = REGIT_ENOMEM;
		goto done;
	}
	regit_strmap__init(&s->names);
	s->imports = opts->imports;
	s->nimports = opts->nimports;
	p->s = s;
	p->opts = opts;
	p->err = err;
	p->path = p->path_inline;
	p->path_cap = sizeof(p->path_inline);

	/*
	 * Text the fast decoder takes nests at most max_depth deep and holds no
	 * NUL byte, so the checks below would pass: they only run (in their
	 * old order, for the same errors) when it declines.
	 */
	error = regit_json__parse(&doc, &p->doc_arena, text, len, opts->max_depth);
	if (error == 1) {
		if (prescan_depth(text, len, opts->max_depth, &line, &column) < 0) {
			snprintf(err->message, sizeof(err->message),
				"schema nests deeper than %zu levels", opts->max_depth);
			err->line = line;
			err->column = column;
			error = REGIT_ELIMIT;
			goto done;
		}

		if (find_nul(text, len, &line, &column)) {
			snprintf(err->message, sizeof(err->message), "invalid JSON: NUL byte in the text");
			err->line = line;
			err->column = column;
			error = REGIT_EINVALID;
			goto done;
		}

		/*
		 * Not plain JSON for the fast decoder: jansson decides (and words
		 * the error). It reports a failed allocation as whatever syntax
		 * error it ran into next; our allocator (see
		 * regit_alloc_install_json) records it.
		 */
		regit_error_clear();
		jdoc = json_loadb(text, len,
			JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (!jdoc) {
			if (regit_error_last()->klass == REGIT_ERROR_NOMEMORY) {
				error = REGIT_ENOMEM;
				goto done;
			}
			switch (json_error_code(&jerr)) {
			case json_error_out_of_memory:
				error = REGIT_ENOMEM;
				goto done;
			case json_error_stack_overflow:
				error = REGIT_ELIMIT;
				break;
			default:
				error = REGIT_EINVALID;
				break;
			}
			snprintf(err->message, sizeof(err->message), "invalid JSON: %s", jerr.text);
			error_position(err, text, len, &jerr);
			goto done;
		}
		error = regit_json__from_jansson(&doc, &p->doc_arena, jdoc);
		json_decref(jdoc);
	}
	if (error == 0 && s->nimports >= IMPORT_INDEX_MIN)
		error = import_index_build(p);
	if (error < 0)
		goto done;

	error = parse_type(p, &s->root, &doc, NULL);
	if (error == 0)
		error = regit_schema__check_defaults(p);
	if (error == 0)
		error = check_fallbacks(p);
	/* A path that could not grow was cut: what it labels may be wrong. */
	if (p->path_nomem)
		error = REGIT_ENOMEM;
	if (error < 0 && error != REGIT_ENOMEM)
		error_locate(err, text, len);

done:
	if (error == REGIT_ENOMEM) {
		memset(err, 0, sizeof(*err));
		snprintf(err->message, sizeof(err->message), "out of memory");
		regit_error_set_oom();
	} else if (error < 0) {
		if (err->path[0])
			regit_error_set(REGIT_ERROR_SCHEMA, "%s (at %s)", err->message, err->path);
		else
			regit_error_set(REGIT_ERROR_SCHEMA, "%s", err->message);
	}
	if (p) {
		regit_schema__arena_dispose(&p->doc_arena);
		if (p->import_index)
			regit_strmap__dispose(&p->import_names);
		regit_free(p->defaults);
		regit_free(p->fallbacks);
		if (p->path != p->path_inline)
			regit_free(p->path);
		regit_free(p);
	}
	if (error < 0) {
		regit_schema_free(s);
		return error;
	}
	*out = s;
	return 0;
}

int regit_schema_parse_file(regit_schema **out, const char *path,
	const regit_schema_options *opts, regit_schema_error *err)
{
	regit_schema_options defaults = REGIT_SCHEMA_OPTIONS_INIT;
	regit_schema_error local_err;
	regit_buf buf;
	int error;

	if (!err)
		err = &local_err;
	if (out)
		*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!out || !path) {
		memset(err, 0, sizeof(*err));
		snprintf(err->message, sizeof(err->message), "invalid arguments");
		regit_error_set(REGIT_ERROR_INTERNAL, "regit_schema_parse_file: invalid arguments");
		return REGIT_ERROR;
	}
	regit_buf_init(&buf, opts->max_size);
	error = regit_buf_read_file(&buf, path);
	if (error < 0) {
		memset(err, 0, sizeof(*err));
		snprintf(err->message, sizeof(err->message), "%s", regit_error_message());
		goto done;
	}
	error = regit_schema_parse(out, regit_buf_cstr(&buf), buf.size, opts, err);
done:
	regit_buf_dispose(&buf);
	return error;
}
