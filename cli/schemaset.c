/*
 * schemaset.c - schema files whose named types other schemas reference.
 * See schemaset.h for the resolution rule.
 */
#include "cli/schemaset.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"

/* References chained deeper than this are not followed (each level holds
 * a parse error on the stack); real chains are a handful deep. */
#define SCHEMASET_MAX_DEPTH 64
/*
 * Member parses allowed per member (plus a floor): a failure that may be
 * only the chain's doing is not kept (member_parse), so hostile files
 * could have members parsed again and again; past the budget, no more
 * member is parsed and what is still unresolved stays an unknown type.
 */
#define SCHEMASET_PARSES_PER_MEMBER 64
#define SCHEMASET_PARSES_MIN 1024

typedef enum member_state {
	MEMBER_UNPARSED = 0,
	MEMBER_PARSING,        /* on the current chain: not a provider (cycle) */
	MEMBER_PARSED,
	MEMBER_INVALID
} member_state;

typedef struct member {
	char *name;
	char *text;
	size_t len;
	regit_schema *schema;
	member_state state;
	regit_schema_error err;   /* MEMBER_INVALID: why */
	int error;                /* MEMBER_INVALID: the parse's return */
} member;

struct regit_schemaset {
	member *m;
	size_t n, cap;
	/* Import arrays of the schemas parsed through the set: a parsed
	 * schema keeps the array's pointer, so the set owns them. */
	const regit_schema ***arrays;
	size_t narrays, arrays_cap;
	/* Members passed over because they were being parsed (on the chain),
	 * chains cut at SCHEMASET_MAX_DEPTH, parses refused by the budget: a
	 * failure while this grew may be only that, so it is not kept. */
	size_t skipped;
	size_t parses;            /* member parses so far (the budget) */
};

int regit_schemaset_new(regit_schemaset **out)
{
	*out = regit_calloc(1, sizeof(**out));
	return *out ? 0 : REGIT_ENOMEM;
}

void regit_schemaset_free(regit_schemaset *set)
{
	size_t i;

	if (!set)
		return;
	/* Members may import each other: free every schema before any array. */
	for (i = 0; i < set->n; i++)
		regit_schema_free(set->m[i].schema);
	for (i = 0; i < set->n; i++) {
		regit_free(set->m[i].name);
		regit_free(set->m[i].text);
	}
	for (i = 0; i < set->narrays; i++)
		regit_free(set->arrays[i]);
	regit_free(set->arrays);
	regit_free(set->m);
	regit_free(set);
}

int regit_schemaset_add(regit_schemaset *set, const char *name, const char *text,
	size_t len)
{
	member *m, *grown;

	grown = regit_array_grow(set->m, &set->cap, set->n + 1, sizeof(*grown), 16);
	if (!grown)
		return REGIT_ENOMEM;
	set->m = grown;
	m = &set->m[set->n];
	memset(m, 0, sizeof(*m));
	m->name = regit_strdup(name);
	m->text = regit_malloc(len + 1);
	if (!m->name || !m->text) {
		regit_free(m->name);
		regit_free(m->text);
		return REGIT_ENOMEM;
	}
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	m->len = len;
	set->n++;
	return 0;
}

int regit_schemaset_add_file(regit_schemaset *set, const char *path, const char *name,
	size_t max)
{
	regit_buf b = REGIT_BUF_INIT;
	int error;

	regit_buf_init(&b, max);
	error = regit_buf_read_file(&b, path);
	if (error == 0)
		error = regit_schemaset_add(set, name ? name : path, b.ptr ? b.ptr : "", b.size);
	regit_buf_dispose(&b);
	return error;
}

size_t regit_schemaset_count(const regit_schemaset *set)
{
	return set->n;
}

static int set_parse(regit_schemaset *set, regit_schema **out, const char *text,
	size_t len, size_t self, size_t depth, regit_schema_error *err);

/* Parse member i once (through the set). Only REGIT_ENOMEM is returned. */
static int member_parse(regit_schemaset *set, size_t i, size_t depth)
{
	member *m = &set->m[i];
	regit_schema *schema = NULL;
	int error;

	size_t skipped = set->skipped;

	if (m->state != MEMBER_UNPARSED)
		return 0;
	if (set->parses >= SCHEMASET_PARSES_MIN + SCHEMASET_PARSES_PER_MEMBER * set->n) {
		set->skipped++;
		return 0;
	}
	set->parses++;
	m->state = MEMBER_PARSING;
	error = set_parse(set, &schema, m->text, m->len, i, depth + 1, &m->err);
	m = &set->m[i];   /* the parse never adds members, but stay honest */
	if (error == REGIT_ENOMEM) {
		m->state = MEMBER_UNPARSED;
		return error;
	}
	if (error < 0 && set->skipped != skipped) {
		/* Perhaps it needs a member that was mid-parse (the search for
		 * another name got here): try again when it is needed itself. */
		m->state = MEMBER_UNPARSED;
		return 0;
	}
	m->schema = schema;
	m->state = error == 0 ? MEMBER_PARSED : MEMBER_INVALID;
	m->error = error;
	return 0;
}

/*
 * Could m's text define a type named `fullname`? A definition has a
 * "name" whose value is the simple name or ends with "." and it; fields
 * have names too, which only costs a parse. Searching parses only the
 * members that pass, so a name is looked for in files that may define it
 * rather than through chains of every file that merely uses it. A key or
 * name written with \u escapes (never needed: Avro names are ASCII
 * letters, digits and _) is not seen.
 */
static int member_may_define(const member *m, const char *fullname)
{
	const char *simple = strrchr(fullname, '.');
	const char *p = m->text, *end = m->text + m->len, *v;
	size_t n;

	simple = simple ? simple + 1 : fullname;
	n = strlen(simple);
	while ((p = memmem(p, (size_t)(end - p), "\"name\"", 6)) != NULL) {
		p += 6;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || *p != ':')
			continue;
		p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || *p != '"')
			continue;
		v = ++p;
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			break;
		if (*p == '\\')
			return 1;   /* an escaped name: cannot tell, parse it */
		if ((size_t)(p - v) >= n && memcmp(p - n, simple, n) == 0 &&
		    ((size_t)(p - v) == n || p[-(ptrdiff_t)n - 1] == '.'))
			return 1;
	}
	return 0;
}

/*
 * The member defining `fullname` (parsing members as needed), other than
 * `self` and those already in imports[0..nimports).
 * @return 1 found (*found), 0 none, REGIT_ENOMEM
 */
static int set_provider(regit_schemaset *set, const char *fullname, size_t self,
	const regit_schema **imports, size_t nimports, size_t depth, size_t *found)
{
	size_t i, k;
	int error;

	for (i = 0; i < set->n; i++) {
		if (i == self)
			continue;
		if (set->m[i].state == MEMBER_PARSING) {
			set->skipped++;
			continue;
		}
		if (set->m[i].state == MEMBER_UNPARSED && !member_may_define(&set->m[i], fullname))
			continue;
		error = member_parse(set, i, depth);
		if (error < 0)
			return error;
		if (set->m[i].state != MEMBER_PARSED ||
		    !regit_schema_find(set->m[i].schema, fullname))
			continue;
		for (k = 0; k < nimports && imports[k] != set->m[i].schema; k++)
			;
		if (k < nimports)
			continue;   /* imported already and still unknown: not this one */
		*found = i;
		return 1;
	}
	return 0;
}

static int set_parse(regit_schemaset *set, regit_schema **out, const char *text,
	size_t len, size_t self, size_t depth, regit_schema_error *err)
{
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	const regit_schema **imports = NULL;
	size_t nimports = 0, found = 0;
	regit_buf full = REGIT_BUF_INIT;
	int error, got;

	for (;;) {
		opts.imports = imports;
		opts.nimports = nimports;
		error = regit_schema_parse(out, text, len, &opts, err);
		if (error != REGIT_EINVALID || !err->unknown[0])
			break;
		if (depth > SCHEMASET_MAX_DEPTH) {
			set->skipped++;   /* cut here, not necessarily invalid */
			break;
		}
		/* Where the parser looks: space.name first, then name. */
		got = 0;
		if (err->unknown_space[0]) {
			regit_buf_clear(&full);
			if (regit_buf_printf(&full, "%s.%s", err->unknown_space, err->unknown) < 0) {
				error = REGIT_ENOMEM;
				break;
			}
			got = set_provider(set, full.ptr, self, imports, nimports, depth, &found);
		}
		if (got == 0)
			got = set_provider(set, err->unknown, self, imports, nimports, depth, &found);
		if (got <= 0) {
			if (got < 0)
				error = got;
			break;
		}
		{
			const regit_schema **grown = regit_reallocarray(imports, nimports + 1,
				sizeof(*grown));

			if (!grown) {
				error = REGIT_ENOMEM;
				break;
			}
			imports = grown;
			imports[nimports++] = set->m[found].schema;
		}
	}
	regit_buf_dispose(&full);
	if (error == 0 && imports) {
		const regit_schema ***grown = regit_array_grow(set->arrays, &set->arrays_cap,
			set->narrays + 1, sizeof(*grown), 16);

		if (!grown) {
			regit_schema_free(*out);
			*out = NULL;
			regit_free(imports);
			return REGIT_ENOMEM;
		}
		set->arrays = grown;
		set->arrays[set->narrays++] = imports;
		imports = NULL;
	}
	if (error < 0 && *out) {
		regit_schema_free(*out);
		*out = NULL;
	}
	regit_free(imports);
	return error;
}

int regit_schemaset_add_references(regit_schemaset *set, char *const *paths, size_t n,
	size_t max)
{
	size_t i, from = set->n;
	char why[512];
	int error;

	for (i = 0; i < n; i++) {
		error = regit_schemaset_add_file(set, paths[i], NULL, max);
		if (error == REGIT_ENOMEM)
			return error;
		if (error < 0) {
			/* the message is formatted into the buffer it is read from */
			snprintf(why, sizeof(why), "%s", regit_error_message());
			regit_error_set(REGIT_ERROR_CLI, "reference %s", why);
			return REGIT_EINVALID;
		}
	}
	/* All added first: references among them may come in any order. */
	for (i = from; i < set->n; i++) {
		const member *m;

		error = member_parse(set, i, 0);
		if (error < 0)
			return error;
		m = &set->m[i];
		if (m->state == MEMBER_PARSED)
			continue;   /* else invalid, or failed in a cycle (left unparsed) */
		if (m->err.line > 0)
			regit_error_set(REGIT_ERROR_SCHEMA, "reference %s:%d:%d: %s", m->name,
				m->err.line, m->err.column, m->err.message);
		else
			regit_error_set(REGIT_ERROR_SCHEMA, "reference %s: %s%s%s", m->name,
				m->err.message, m->err.path[0] ? " at " : "", m->err.path);
		return REGIT_EINVALID;
	}
	return 0;
}

int regit_schemaset_parse(regit_schemaset *set, regit_schema **out, const char *text,
	size_t len, const char *self, regit_schema_error *err)
{
	size_t i, self_index = (size_t)-1;

	for (i = 0; self && i < set->n; i++)
		if (strcmp(set->m[i].name, self) == 0) {
			self_index = i;
			break;
		}
	return set_parse(set, out, text, len, self_index, 0, err);
}
