/*
 * lint.c - the event-design rules of `regit lint`.
 *
 * One table (lint_rules below) is the single source of every rule: its id,
 * category, default severity, explanation and check function. A lint run
 * first collects every type node reachable from the root once (named types
 * are entered at their first reference, so recursive schemas terminate),
 * and the "events": the top-level record, or each record branch of a
 * top-level union (one topic carrying several event types). Then each
 * enabled rule walks what it needs. Rules never fail on odd schemas: a
 * rule that does not apply (no record at the top) says nothing.
 *
 * Costs are bounded by the parser's bounds (names, depth): each rule is
 * linear in the nodes, fields and symbols it looks at, and the spelling
 * check compares short keys only (LINT_MAX_KEY).
 */
#include "compat/lint.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compat/schema_internal.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"

#define LINT_DEFAULT_MAX_FINDINGS 1000
/* Attribute names longer than this are never misspellings of Avro's. */
#define LINT_MAX_KEY 32
/* Nesting of types the collector follows (the parser allows far less). */
#define LINT_MAX_DEPTH 1000
/* Paths and messages are short; bound them anyway. */
#define LINT_TEXT_MAX ((size_t)1 << 20)

/*
 * A field every event must carry (the envelope rules EVENT_ID,
 * CORRELATION_ID and SCHEMA_VERSION, checked by lint_required_field): its
 * name, type and whether it needs a default, and the words of the
 * findings. The message texts are fixed, so they pass through "%s".
 */
typedef struct lint_required {
	const char *field;
	regit_type_kind kind;
	regit_logical logical;      /* REGIT_LOGICAL_NONE: any */
	int needs_default;
	const char *what;           /* "record `R` has no `field` field (what); why" */
	const char *why;
	const char *fix;            /* "`field` is <type>; fix" */
	const char *no_default;     /* "`field` has no default; no_default" */
} lint_required;

typedef struct lint_ctx {
	const regit_schema *schema;
	const regit_lint_options *opts;
	regit_lint_result *out;
	size_t max_findings;
	size_t rule;                   /* index of the rule running */
	const lint_required *required; /* its row's field, for lint_required_field */
	const regit_type **types;      /* every reachable node once (named) */
	size_t ntypes, atypes;
	const regit_type **events;     /* top-level records */
	size_t nevents;
	regit_strmap seen;             /* fullname -> node, for the collector */
	regit_buf msg, path;
} lint_ctx;

typedef int (*lint_check_fn)(lint_ctx *ctx);

typedef struct lint_row {
	regit_lint_rule rule;
	lint_check_fn check;
	const lint_required *required; /* lint_required_field's rules only */
} lint_row;

/* ---- findings ----------------------------------------------------------- */

static int lint_add_v(lint_ctx *ctx, const char *path, const char *fmt, va_list ap)
{
	regit_lint_result *out = ctx->out;
	regit_lint_finding *f, *grown;
	regit_lint_severity sev = ctx->opts->severity[ctx->rule];
	char *c;
	int error;

	if (sev == REGIT_LINT_ERROR)
		out->nerrors++;
	if (out->nfindings >= ctx->max_findings) {
		out->nomitted++;
		return 0;
	}
	regit_buf_clear(&ctx->msg);
	error = regit_buf_vprintf(&ctx->msg, fmt, ap);
	if (error < 0)
		return error;
	grown = regit_reallocarray(out->findings, out->nfindings + 1, sizeof(*grown));
	if (!grown)
		return REGIT_ENOMEM;
	out->findings = grown;
	f = &out->findings[out->nfindings];
	memset(f, 0, sizeof(*f));
	out->nfindings++;
	f->rule = regit_lint_rule_at(ctx->rule)->id;
	f->severity = sev;
	f->path = regit_strdup(path ? path : "");
	f->message = regit_strdup(regit_buf_cstr(&ctx->msg));
	if (!f->path || !f->message)
		return REGIT_ENOMEM;
	/* Attribute names are arbitrary JSON strings: keep the message one line. */
	for (c = f->message; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return 0;
}

static int lint_add(lint_ctx *ctx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int lint_add(lint_ctx *ctx, const char *path, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = lint_add_v(ctx, path, fmt, ap);
	va_end(ap);
	return error;
}

/* ctx->path = base + "/" + seg (seg escaped as a JSON pointer token). */
static int lint_path(lint_ctx *ctx, const char *base, const char *seg)
{
	int error;

	regit_buf_clear(&ctx->path);
	error = regit_buf_puts(&ctx->path, base ? base : "");
	if (error == 0)
		error = regit_buf_putc(&ctx->path, '/');
	for (; error == 0 && *seg; seg++) {
		if (*seg == '~')
			error = regit_buf_puts(&ctx->path, "~0");
		else if (*seg == '/')
			error = regit_buf_puts(&ctx->path, "~1");
		else
			error = regit_buf_putc(&ctx->path, *seg);
	}
	return error;
}

/* ---- collecting --------------------------------------------------------- */

/*
 * A named type imported through a schema reference (defined in another
 * schema): its own file is linted, and paths here would point into that
 * other text, so the collector and the events leave it out.
 */
static int lint_imported(const lint_ctx *ctx, const regit_type *t)
{
	return regit_type_is_named(t) && t->fullname &&
		regit_schema_find(ctx->schema, t->fullname) != t;
}

static int lint_collect(lint_ctx *ctx, const regit_type *t, size_t depth)
{
	const regit_type **grown;
	size_t i;
	int error = 0;

	if (!t || lint_imported(ctx, t))
		return 0;
	if (depth > LINT_MAX_DEPTH) {
		regit_error_set(REGIT_ERROR_SCHEMA, "schema nested deeper than %d", LINT_MAX_DEPTH);
		return REGIT_ELIMIT;
	}
	if (regit_type_is_named(t) && t->fullname) {
		if (regit_strmap__get(&ctx->seen, t->fullname))
			return 0;
		error = regit_strmap__put(&ctx->seen, t->fullname, (void *)t);
		if (error < 0)
			return error;
	}
	grown = regit_array_grow(ctx->types, &ctx->atypes, ctx->ntypes + 1, sizeof(*grown), 64);
	if (!grown)
		return REGIT_ENOMEM;
	ctx->types = grown;
	ctx->types[ctx->ntypes++] = t;
	switch (t->kind) {
	case REGIT_TYPE_RECORD:
		for (i = 0; i < t->nfields && error == 0; i++)
			error = lint_collect(ctx, t->fields[i].type, depth + 1);
		break;
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		error = lint_collect(ctx, t->items, depth + 1);
		break;
	case REGIT_TYPE_UNION:
		for (i = 0; i < t->nbranches && error == 0; i++)
			error = lint_collect(ctx, t->branches[i], depth + 1);
		break;
	default:
		break;
	}
	return error;
}

static int lint_collect_events(lint_ctx *ctx)
{
	const regit_type *root = regit_schema_root(ctx->schema);
	size_t i;

	if (lint_imported(ctx, root))
		return 0;
	if (root->kind == REGIT_TYPE_RECORD) {
		ctx->events = regit_calloc(1, sizeof(*ctx->events));
		if (!ctx->events)
			return REGIT_ENOMEM;
		ctx->events[ctx->nevents++] = root;
	} else if (root->kind == REGIT_TYPE_UNION && root->nbranches) {
		ctx->events = regit_calloc(root->nbranches, sizeof(*ctx->events));
		if (!ctx->events)
			return REGIT_ENOMEM;
		for (i = 0; i < root->nbranches; i++)
			if (root->branches[i]->kind == REGIT_TYPE_RECORD &&
			    !lint_imported(ctx, root->branches[i]))
				ctx->events[ctx->nevents++] = root->branches[i];
	}
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static const regit_field *lint_field(const regit_type *rec, const char *name)
{
	size_t i;

	for (i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].name, name) == 0)
			return &rec->fields[i];
	return NULL;
}

/* T for a union ["null", T] or [T, "null"], else NULL. */
static const regit_type *lint_nullable_of(const regit_type *t)
{
	if (t->kind != REGIT_TYPE_UNION || t->nbranches != 2)
		return NULL;
	if (t->branches[0]->kind == REGIT_TYPE_NULL)
		return t->branches[1];
	if (t->branches[1]->kind == REGIT_TYPE_NULL)
		return t->branches[0];
	return NULL;
}

static int lint_has_null(const regit_type *t)
{
	size_t i;

	if (t->kind != REGIT_TYPE_UNION)
		return 0;
	for (i = 0; i < t->nbranches; i++)
		if (t->branches[i]->kind == REGIT_TYPE_NULL)
			return 1;
	return 0;
}

/* "string", "long (timestamp-millis)", "record `x.Y`", "union". */
static const char *lint_describe(const regit_type *t, char *buf, size_t n)
{
	if (regit_type_is_named(t) && t->fullname)
		snprintf(buf, n, "%s `%s`", regit_type_kind_name(t->kind), t->fullname);
	else if (t->logical_name)
		snprintf(buf, n, "%s (%s)", regit_type_kind_name(t->kind), t->logical_name);
	else
		snprintf(buf, n, "%s", regit_type_kind_name(t->kind));
	return buf;
}

/* ---- envelope ----------------------------------------------------------- */

static const lint_required lint_event_id = {
	"event_id", REGIT_TYPE_STRING, REGIT_LOGICAL_UUID, 0,
	"a string with logicalType uuid", "consumers need it to drop redelivered events",
	"make it {\"type\": \"string\", \"logicalType\": \"uuid\"}, never null, so every "
	"event has a unique id", NULL
};

static const lint_required lint_correlation_id = {
	"correlation_id", REGIT_TYPE_STRING, REGIT_LOGICAL_NONE, 0,
	"a string", "without it one request cannot be followed across services",
	"make it a string that is always set (start a new id at the edge when a request "
	"has none)", NULL
};

static const lint_required lint_schema_version = {
	"schema_version", REGIT_TYPE_INT, REGIT_LOGICAL_NONE, 1,
	"an int whose default is this version", "consumers cannot branch on the version",
	"make it an int",
	"give it the version of this file so producers need not set it by hand"
};

/* The running rule's required field (ctx->required) in every event. */
static int lint_required_field(lint_ctx *ctx)
{
	const lint_required *r = ctx->required;
	size_t i;
	int error = 0;
	char d[160];

	for (i = 0; i < ctx->nevents && error == 0; i++) {
		const regit_type *rec = ctx->events[i];
		const regit_field *f = lint_field(rec, r->field);

		if (!f)
			error = lint_add(ctx, rec->path, "record `%s` has no `%s` field (%s); %s",
				rec->name, r->field, r->what, r->why);
		else if (f->type->kind != r->kind ||
		    (r->logical != REGIT_LOGICAL_NONE && f->type->logical != r->logical))
			error = lint_add(ctx, f->path, "`%s` is %s; %s", r->field,
				lint_describe(f->type, d, sizeof(d)), r->fix);
		else if (r->needs_default && !f->default_value)
			error = lint_add(ctx, f->path, "`%s` has no default; %s", r->field,
				r->no_default);
	}
	return error;
}

static int lint_is_instant(const regit_type *t)
{
	return t->kind == REGIT_TYPE_LONG && (t->logical == REGIT_LOGICAL_TIMESTAMP_MILLIS ||
		t->logical == REGIT_LOGICAL_TIMESTAMP_MICROS);
}

static int lint_event_time(lint_ctx *ctx)
{
	static const char *const names[] = { "timestamp", "event_time", "occurred_at", "time", NULL };
	size_t i, j;
	int error = 0;
	char d[160];

	for (i = 0; i < ctx->nevents && error == 0; i++) {
		const regit_type *rec = ctx->events[i];
		const regit_field *local = NULL, *named = NULL;

		for (j = 0; j < rec->nfields; j++) {
			const regit_type *t = rec->fields[j].type;

			if (lint_is_instant(t))
				break;
			if (!local && (t->logical == REGIT_LOGICAL_LOCAL_TIMESTAMP_MILLIS ||
			    t->logical == REGIT_LOGICAL_LOCAL_TIMESTAMP_MICROS))
				local = &rec->fields[j];
		}
		if (j < rec->nfields)
			continue;
		for (j = 0; names[j] && !named; j++)
			named = lint_field(rec, names[j]);
		if (local)
			error = lint_add(ctx, local->path,
				"`%s` is %s, a wall-clock time without a zone; an event time must be an "
				"instant: long with logicalType timestamp-millis or timestamp-micros",
				local->name, lint_describe(local->type, d, sizeof(d)));
		else if (named)
			error = lint_add(ctx, named->path,
				"`%s` is %s; an event time is a long with logicalType timestamp-millis "
				"or timestamp-micros (UTC)", named->name,
				lint_describe(named->type, d, sizeof(d)));
		else
			error = lint_add(ctx, rec->path,
				"record `%s` has no event time (a long with logicalType timestamp-millis "
				"or timestamp-micros); consumers cannot tell when it happened or reorder "
				"late events", rec->name);
	}
	return error;
}

/* ---- ordering ----------------------------------------------------------- */

static int lint_key_kind(regit_type_kind k)
{
	return k == REGIT_TYPE_STRING || k == REGIT_TYPE_BYTES || k == REGIT_TYPE_FIXED ||
		k == REGIT_TYPE_INT || k == REGIT_TYPE_LONG || k == REGIT_TYPE_ENUM ||
		k == REGIT_TYPE_BOOLEAN;
}

static int lint_partition_key(lint_ctx *ctx)
{
	size_t i;
	int error = 0;
	char d[160];

	for (i = 0; i < ctx->nevents && error == 0; i++) {
		const regit_type *rec = ctx->events[i];
		const json_t *k = rec->props ? json_object_get(rec->props, "regit.key") : NULL;
		const regit_field *f;

		if (!k) {
			error = lint_add(ctx, rec->path,
				"record `%s` does not declare its partition key (\"regit.key\": \"<field>\"); "
				"without one, events of the same entity may land on different partitions "
				"and be consumed out of order", rec->name);
			continue;
		}
		error = lint_path(ctx, rec->path, "regit.key");
		if (error < 0)
			break;
		if (!json_is_string(k)) {
			error = lint_add(ctx, ctx->path.ptr, "\"regit.key\" must be a field name (a string)");
			continue;
		}
		f = lint_field(rec, json_string_value(k));
		if (!f)
			error = lint_add(ctx, ctx->path.ptr,
				"\"regit.key\" names `%s`, which is not a field of `%s`",
				json_string_value(k), rec->name);
		else if (!lint_key_kind(f->type->kind))
			error = lint_add(ctx, f->path,
				"partition key `%s` is %s; a key must always be set and compare by value: "
				"string, bytes, fixed, int, long, enum or boolean", f->name,
				lint_describe(f->type, d, sizeof(d)));
	}
	return error;
}

/* ---- evolution ---------------------------------------------------------- */

static int lint_enum_default(lint_ctx *ctx)
{
	size_t i;
	int error = 0;

	for (i = 0; i < ctx->ntypes && error == 0; i++) {
		const regit_type *t = ctx->types[i];

		if (t->kind == REGIT_TYPE_ENUM && !t->enum_default)
			error = lint_add(ctx, t->path,
				"enum `%s` has no default; a reader that meets a symbol added later "
				"fails instead of reading the default", t->name);
	}
	return error;
}

static int lint_nullable_default(lint_ctx *ctx)
{
	size_t i, j;
	int error = 0;

	for (i = 0; i < ctx->ntypes && error == 0; i++) {
		const regit_type *t = ctx->types[i];

		if (t->kind != REGIT_TYPE_RECORD)
			continue;
		for (j = 0; j < t->nfields && error == 0; j++) {
			const regit_field *f = &t->fields[j];

			if (!lint_has_null(f->type))
				continue;
			if (f->type->branches[0]->kind != REGIT_TYPE_NULL)
				error = lint_add(ctx, f->path,
					"optional field `%s` does not list \"null\" first; write "
					"[\"null\", T] with \"default\": null so it can be left out", f->name);
			else if (!f->default_value)
				error = lint_add(ctx, f->path,
					"optional field `%s` has no default; add \"default\": null so "
					"readers of older data and older readers both work", f->name);
		}
	}
	return error;
}

/* ---- naming ------------------------------------------------------------- */

static int lint_field_naming(lint_ctx *ctx)
{
	size_t i, j;
	int error = 0;
	regit_naming n = ctx->opts->field_naming;

	for (i = 0; i < ctx->ntypes && error == 0; i++) {
		const regit_type *t = ctx->types[i];

		if (t->kind != REGIT_TYPE_RECORD)
			continue;
		for (j = 0; j < t->nfields && error == 0; j++)
			if (!regit_naming_matches(n, t->fields[j].name))
				error = lint_add(ctx, t->fields[j].path, "field `%s` is not %s",
					t->fields[j].name, regit_naming_name(n));
	}
	return error;
}

static int lint_type_naming(lint_ctx *ctx)
{
	size_t i;
	int error = 0;
	regit_naming n = ctx->opts->type_naming;

	for (i = 0; i < ctx->ntypes && error == 0; i++) {
		const regit_type *t = ctx->types[i];

		if (regit_type_is_named(t) && t->name && !regit_naming_matches(n, t->name))
			error = lint_add(ctx, t->path, "%s name `%s` is not %s",
				regit_type_kind_name(t->kind), t->name, regit_naming_name(n));
	}
	return error;
}

static int lint_symbol_naming(lint_ctx *ctx)
{
	size_t i, j;
	int error = 0;
	regit_naming n = ctx->opts->symbol_naming;
	char seg[32];

	for (i = 0; i < ctx->ntypes && error == 0; i++) {
		const regit_type *t = ctx->types[i];

		if (t->kind != REGIT_TYPE_ENUM)
			continue;
		for (j = 0; j < t->nsymbols && error == 0; j++) {
			if (regit_naming_matches(n, t->symbols[j]))
				continue;
			snprintf(seg, sizeof(seg), "%zu", j);
			error = lint_path(ctx, t->path, "symbols");
			if (error == 0)
				error = regit_buf_printf(&ctx->path, "/%s", seg);
			if (error == 0)
				error = lint_add(ctx, ctx->path.ptr, "symbol `%s` of enum `%s` is not %s",
					t->symbols[j], t->name, regit_naming_name(n));
		}
	}
	return error;
}

static int lint_namespace(lint_ctx *ctx)
{
	size_t i;
	int error = 0;

	for (i = 0; i < ctx->nevents && error == 0; i++)
		if (!ctx->events[i]->space)
			error = lint_add(ctx, ctx->events[i]->path,
				"record `%s` has no namespace; its full name is what registries, "
				"generated code and unions know it by, so two teams' `%s` would clash",
				ctx->events[i]->name, ctx->events[i]->name);
	return error;
}

/* ---- documentation ------------------------------------------------------ */

static int lint_doc(lint_ctx *ctx)
{
	size_t i, j;
	int error = 0;

	for (i = 0; i < ctx->ntypes && error == 0; i++) {
		const regit_type *t = ctx->types[i];

		if ((t->kind == REGIT_TYPE_RECORD || t->kind == REGIT_TYPE_ENUM) &&
		    (!t->doc || !t->doc[0]))
			error = lint_add(ctx, t->path, "%s `%s` has no doc",
				regit_type_kind_name(t->kind), t->name);
		if (t->kind != REGIT_TYPE_RECORD)
			continue;
		for (j = 0; j < t->nfields && error == 0; j++)
			if (!t->fields[j].doc || !t->fields[j].doc[0])
				error = lint_add(ctx, t->fields[j].path, "field `%s` of `%s` has no doc",
					t->fields[j].name, t->name);
	}
	return error;
}

/* ---- attributes --------------------------------------------------------- */

/* Attributes the Avro specification defines (plus regit's own). */
static const char *const lint_known_attrs[] = {
	"type", "name", "namespace", "doc", "aliases", "fields", "symbols", "items",
	"values", "size", "default", "order", "logicalType", "precision", "scale",
	"regit.key", NULL
};

/* Optimal string alignment distance of two short lower-cased strings. */
static size_t lint_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[LINT_MAX_KEY + 1][LINT_MAX_KEY + 1];

	if (la > LINT_MAX_KEY || lb > LINT_MAX_KEY)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The Avro attribute `key` looks like a misspelling of, or NULL. */
static const char *lint_misspelt(const char *key)
{
	size_t i, len = strlen(key);

	if (len > LINT_MAX_KEY)
		return NULL;
	for (i = 0; lint_known_attrs[i]; i++) {
		const char *k = lint_known_attrs[i];
		size_t klen = strlen(k), dist, limit;

		if (strcmp(key, k) == 0)
			return NULL;
		limit = klen >= 7 ? 2 : klen >= 3 ? 1 : 0;
		dist = lint_distance(key, k);
		if (dist <= limit)
			return k;
	}
	return NULL;
}

static int lint_props(lint_ctx *ctx, const json_t *props, const char *base, int is_type,
	const regit_type *t)
{
	const char *key;
	json_t *v;
	int error = 0;

	if (!props || !json_is_object(props))
		return 0;
	json_object_foreach((json_t *)props, key, v) {
		const char *known;

		(void)v;
		if (is_type && strcmp(key, "default") == 0 && t->kind != REGIT_TYPE_ENUM) {
			error = lint_path(ctx, base, key);
			if (error == 0)
				error = lint_add(ctx, ctx->path.ptr,
					"\"default\" inside a type is not a field default and Avro ignores it; "
					"move it to the field");
		} else if (strcmp(key, "regit.key") == 0 &&
		    (!is_type || t->kind != REGIT_TYPE_RECORD)) {
			error = lint_path(ctx, base, key);
			if (error == 0)
				error = lint_add(ctx, ctx->path.ptr,
					"\"regit.key\" belongs on the record, next to \"fields\"; here it is ignored");
		} else {
			known = lint_misspelt(key);
			if (!known)
				continue;
			error = lint_path(ctx, base, key);
			if (error == 0)
				error = lint_add(ctx, ctx->path.ptr,
					"`%s` is not an Avro attribute and Avro ignores it silently; "
					"did you mean `%s`?", key, known);
		}
		if (error < 0)
			break;
	}
	return error;
}

static int lint_unknown_attribute(lint_ctx *ctx)
{
	size_t i, j;
	int error = 0;

	for (i = 0; i < ctx->ntypes && error == 0; i++) {
		const regit_type *t = ctx->types[i];

		error = lint_props(ctx, t->props, t->path, 1, t);
		if (t->kind != REGIT_TYPE_RECORD)
			continue;
		for (j = 0; j < t->nfields && error == 0; j++)
			error = lint_props(ctx, t->fields[j].props, t->fields[j].path, 0, t);
	}
	return error;
}

/* ---- types -------------------------------------------------------------- */

/* Does a word of `name` (split at '_', '-' and lower-to-upper) name money? */
static int lint_moneyish(const char *name)
{
	static const char *const words[] = {
		"amount", "price", "cost", "balance", "fee", "total", "money", "salary", "tax",
		"subtotal", NULL
	};
	char w[64];
	size_t n = 0, i;
	const char *p = name;

	for (;; p++) {
		int boundary = !*p || *p == '_' || *p == '-' ||
			(n && isupper((unsigned char)*p) && islower((unsigned char)p[-1]));

		if (boundary && n) {
			w[n] = '\0';
			for (i = 0; words[i]; i++)
				if (strcmp(w, words[i]) == 0)
					return 1;
			n = 0;
		}
		if (!*p)
			break;
		if (*p != '_' && *p != '-' && n < sizeof(w) - 1)
			w[n++] = (char)tolower((unsigned char)*p);
	}
	return 0;
}

static int lint_money_float(lint_ctx *ctx)
{
	size_t i, j;
	int error = 0;

	for (i = 0; i < ctx->ntypes && error == 0; i++) {
		const regit_type *t = ctx->types[i];

		if (t->kind != REGIT_TYPE_RECORD)
			continue;
		for (j = 0; j < t->nfields && error == 0; j++) {
			const regit_field *f = &t->fields[j];
			const regit_type *ft = lint_nullable_of(f->type);

			if (!ft)
				ft = f->type;
			if ((ft->kind == REGIT_TYPE_FLOAT || ft->kind == REGIT_TYPE_DOUBLE) &&
			    lint_moneyish(f->name))
				error = lint_add(ctx, f->path,
					"`%s` looks like money but is a %s, which cannot hold 0.10 exactly; "
					"use a long in the currency's minor unit, or a decimal", f->name,
					regit_type_kind_name(ft->kind));
		}
	}
	return error;
}

/* ---- the table ---------------------------------------------------------- */

static const lint_row lint_rules[] = {
	{ { "EVENT_ID", "envelope", REGIT_LINT_ERROR,
	    "the event has an `event_id` string with logicalType uuid",
	    "Brokers deliver at least once, so every consumer sees some events twice. An "
	    "idempotent consumer remembers the ids it has processed and drops repeats; that "
	    "needs an id the producer sets once per event and never reuses. The top-level "
	    "record must have a field `event_id` of type string with logicalType uuid." },
	  lint_required_field, &lint_event_id },
	{ { "CORRELATION_ID", "envelope", REGIT_LINT_ERROR,
	    "the event has a `correlation_id` string",
	    "One user action becomes many events in many services. A `correlation_id`, "
	    "taken from the request that started it and copied onto every event it causes, "
	    "is what ties their logs and traces together. The top-level record must have a "
	    "field `correlation_id` of type string (not nullable: start a new id at the edge "
	    "when a request has none)." },
	  lint_required_field, &lint_correlation_id },
	{ { "SCHEMA_VERSION", "envelope", REGIT_LINT_ERROR,
	    "the event has a `schema_version` int with a default",
	    "Consumers run old and new versions of an event side by side for months. A "
	    "`schema_version` int, whose default is the version of the schema file, lets a "
	    "consumer branch on the version explicitly instead of guessing from which "
	    "fields are null." },
	  lint_required_field, &lint_schema_version },
	{ { "EVENT_TIME", "envelope", REGIT_LINT_ERROR,
	    "the event has a timestamp: long with logicalType timestamp-millis or -micros",
	    "Events arrive late and out of order; the time the fact happened must travel "
	    "with it, as an instant (UTC), not as the time a consumer read it. The top-level "
	    "record must have a long field with logicalType timestamp-millis or "
	    "timestamp-micros. local-timestamp-* types have no zone and are reported." },
	  lint_event_time },
	{ { "PARTITION_KEY", "ordering", REGIT_LINT_ERROR,
	    "the record names its partition key with \"regit.key\"",
	    "Kafka orders events within a partition only. Events about one entity keep "
	    "their order only if they share a partition key, such as the user id. The "
	    "top-level record must declare that key as \"regit.key\": \"<field>\" (the code "
	    "generator produces the key function from it), naming a field that is always "
	    "set and compares by value: string, bytes, fixed, int, long, enum or boolean." },
	  lint_partition_key },
	{ { "ENUM_DEFAULT", "evolution", REGIT_LINT_ERROR,
	    "every enum declares a default symbol",
	    "Adding a symbol to an enum is forward compatible only if the enum has a "
	    "\"default\": an old reader that meets the new symbol reads the default instead "
	    "of failing. Without it, the first new symbol breaks every old consumer." },
	  lint_enum_default },
	{ { "NULLABLE_DEFAULT", "evolution", REGIT_LINT_ERROR,
	    "an optional field is [\"null\", T] with \"default\": null",
	    "An optional field that can be added or removed later must have a default, and "
	    "Avro requires a union's default to match its first branch. So an optional "
	    "field is written [\"null\", T] with \"default\": null; [T, \"null\"] or a missing "
	    "default makes the next change incompatible." },
	  lint_nullable_default },
	{ { "FIELD_NAMING", "naming", REGIT_LINT_ERROR,
	    "field names follow the project's convention (default snake_case)",
	    "Field names become JSON keys, column names and struct members in every "
	    "consumer. One convention per project (lint.naming.fields in regit.yaml: "
	    "snake_case, camelCase, PascalCase, UPPER_SNAKE_CASE or any) keeps them "
	    "predictable; renaming later is a breaking change." },
	  lint_field_naming },
	{ { "TYPE_NAMING", "naming", REGIT_LINT_ERROR,
	    "record, enum and fixed names follow the convention (default PascalCase)",
	    "Type names become class and struct names in generated code and identify the "
	    "type in unions and registries. One convention (lint.naming.types) keeps them "
	    "predictable." },
	  lint_type_naming },
	{ { "ENUM_SYMBOL_NAMING", "naming", REGIT_LINT_ERROR,
	    "enum symbols follow the convention (default UPPER_SNAKE_CASE)",
	    "Enum symbols become constants in generated code. One convention "
	    "(lint.naming.enum_symbols) keeps them predictable." },
	  lint_symbol_naming },
	{ { "NAMESPACE", "naming", REGIT_LINT_WARNING,
	    "the event record has a namespace",
	    "A record's full name (namespace.name) is how registries, unions and generated "
	    "code tell types apart. Without a namespace, two teams' `UserCreated` clash as "
	    "soon as they meet in one union or one generated program." },
	  lint_namespace },
	{ { "DOC", "documentation", REGIT_LINT_WARNING,
	    "records, enums and fields have a doc",
	    "An event is an API for consumers you have never met. A doc on each record, "
	    "enum and field says what the value means, its unit and when it is null; it "
	    "travels with the schema into the registry and generated code." },
	  lint_doc },
	{ { "UNKNOWN_ATTRIBUTE", "correctness", REGIT_LINT_ERROR,
	    "no misspelt or misplaced Avro attribute",
	    "Avro keeps any attribute it does not define as a custom property and otherwise "
	    "ignores it. So \"dafault\", \"aliasses\" or \"logicaltype\" are silently without "
	    "effect: a field believed to have a default has none. Reported: attributes that "
	    "look like a misspelling of an Avro attribute, \"default\" inside a type instead "
	    "of on the field, and \"regit.key\" anywhere but on a record." },
	  lint_unknown_attribute },
	{ { "MONEY_FLOAT", "types", REGIT_LINT_ERROR,
	    "money is not a float or double",
	    "A float or double cannot hold 0.10 exactly, and sums drift. A field whose name "
	    "says money (amount, price, cost, balance, fee, total, tax, salary) must be a "
	    "long in the currency's minor unit plus a currency code, or a decimal." },
	  lint_money_float },
};

#define LINT_NRULES (sizeof(lint_rules) / sizeof(lint_rules[0]))

_Static_assert(sizeof(lint_rules) / sizeof(lint_rules[0]) <= REGIT_LINT_MAX_RULES,
	"REGIT_LINT_MAX_RULES too small");

size_t regit_lint_rule_count(void)
{
	return LINT_NRULES;
}

const regit_lint_rule *regit_lint_rule_at(size_t i)
{
	return i < LINT_NRULES ? &lint_rules[i].rule : NULL;
}

int regit_lint_rule_find(const char *id)
{
	size_t i;

	for (i = 0; id && i < LINT_NRULES; i++)
		if (strcmp(lint_rules[i].rule.id, id) == 0)
			return (int)i;
	return -1;
}

/* ---- naming conventions ------------------------------------------------- */

static const char *const lint_naming_names[] = {
	"any", "snake_case", "camelCase", "PascalCase", "UPPER_SNAKE_CASE"
};

const char *regit_naming_name(regit_naming naming)
{
	if ((size_t)naming < sizeof(lint_naming_names) / sizeof(lint_naming_names[0]))
		return lint_naming_names[naming];
	return "?";
}

int regit_naming_parse(const char *name, regit_naming *out)
{
	size_t i;

	for (i = 0; i < sizeof(lint_naming_names) / sizeof(lint_naming_names[0]); i++) {
		if (strcmp(name, lint_naming_names[i]) == 0) {
			*out = (regit_naming)i;
			return 0;
		}
	}
	regit_error_set(REGIT_ERROR_SCHEMA,
		"unknown naming convention '%s' (snake_case, camelCase, PascalCase, "
		"UPPER_SNAKE_CASE or any)", name);
	return REGIT_EINVALID;
}

int regit_naming_matches(regit_naming naming, const char *s)
{
	const char *p;

	if (naming == REGIT_NAMING_ANY)
		return 1;
	if (!s || !*s)
		return 0;
	switch (naming) {
	case REGIT_NAMING_SNAKE:
	case REGIT_NAMING_UPPER_SNAKE: {
		int upper = naming == REGIT_NAMING_UPPER_SNAKE;

		if (upper ? !isupper((unsigned char)s[0]) : !islower((unsigned char)s[0]))
			return 0;
		for (p = s; *p; p++) {
			if (*p == '_') {
				if (p[1] == '_' || p[1] == '\0')
					return 0;
				continue;
			}
			if (isdigit((unsigned char)*p))
				continue;
			if (upper ? !isupper((unsigned char)*p) : !islower((unsigned char)*p))
				return 0;
		}
		return 1;
	}
	case REGIT_NAMING_CAMEL:
	case REGIT_NAMING_PASCAL:
		if (naming == REGIT_NAMING_CAMEL ? !islower((unsigned char)s[0]) :
		    !isupper((unsigned char)s[0]))
			return 0;
		for (p = s; *p; p++)
			if (!isalnum((unsigned char)*p))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/* ---- entry points ------------------------------------------------------- */

void regit_lint_options_init(regit_lint_options *opts)
{
	size_t i;

	memset(opts, 0, sizeof(*opts));
	for (i = 0; i < LINT_NRULES; i++)
		opts->severity[i] = lint_rules[i].rule.severity;
	opts->field_naming = REGIT_NAMING_SNAKE;
	opts->type_naming = REGIT_NAMING_PASCAL;
	opts->symbol_naming = REGIT_NAMING_UPPER_SNAKE;
}

int regit_lint_schema(const regit_schema *schema, const regit_lint_options *opts,
	regit_lint_result *out)
{
	regit_lint_options defaults;
	lint_ctx ctx;
	size_t i;
	int error = 0;

	if (!out)
		return REGIT_ERROR;
	memset(out, 0, sizeof(*out));
	if (!schema) {
		regit_error_set(REGIT_ERROR_SCHEMA, "no schema given");
		return REGIT_ERROR;
	}
	if (!opts) {
		regit_lint_options_init(&defaults);
		opts = &defaults;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.schema = schema;
	ctx.opts = opts;
	ctx.out = out;
	ctx.max_findings = opts->max_findings ? opts->max_findings : LINT_DEFAULT_MAX_FINDINGS;
	regit_strmap__init(&ctx.seen);
	regit_buf_init(&ctx.msg, LINT_TEXT_MAX);
	regit_buf_init(&ctx.path, LINT_TEXT_MAX);

	error = lint_collect(&ctx, regit_schema_root(schema), 0);
	if (error == 0)
		error = lint_collect_events(&ctx);
	for (i = 0; i < LINT_NRULES && error == 0; i++) {
		if (opts->severity[i] == REGIT_LINT_OFF)
			continue;
		ctx.rule = i;
		ctx.required = lint_rules[i].required;
		error = lint_rules[i].check(&ctx);
	}
	if (error == REGIT_ENOMEM)
		regit_error_set_oom();
	regit_strmap__dispose(&ctx.seen);
	regit_free(ctx.types);
	regit_free(ctx.events);
	regit_buf_dispose(&ctx.msg);
	regit_buf_dispose(&ctx.path);
	return error;
}

void regit_lint_result_dispose(regit_lint_result *result)
{
	size_t i;

	if (!result)
		return;
	for (i = 0; i < result->nfindings; i++) {
		regit_free(result->findings[i].path);
		regit_free(result->findings[i].message);
	}
	regit_free(result->findings);
	memset(result, 0, sizeof(*result));
}
