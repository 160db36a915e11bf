/*
 * resolve.c - Avro schema resolution decisions (see resolve.h).
 *
 * Every answer is first computed the obvious way on small nodes (a linear
 * scan over at most RESOLVE_LINEAR_MAX entries beats building a table).
 * Large records, enums and unions get a per-node index, built on first use
 * and cached in the resolver: the checker meets the new schema's nodes
 * once per old version, the generator once per writer. An index can only
 * propose candidates (the first entry of a name or kind); every candidate
 * is confirmed with the same predicate the scan uses, and when a
 * candidate fails (two arrays in a union, same-named types of different
 * kinds) we fall back to the scan, charged to the step budget.
 */
#include "compat/resolve.h"

#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"

/* Below this many entries a linear scan beats building a hash index. */
#define RESOLVE_LINEAR_MAX 8
#define RESOLVE_NKINDS (REGIT_TYPE_FIXED + 1)

/*
 * Name -> first index. Sized once for a known number of keys (load <= 1/2),
 * so it never grows. Keys are borrowed from the schema.
 */
typedef struct resolve_strmap_slot {
	const char *key;
	size_t val;
} resolve_strmap_slot;

typedef struct resolve_strmap {
	resolve_strmap_slot *slots;
	size_t mask;
} resolve_strmap;

static int strmap_init(resolve_strmap *m, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	m->slots = regit_calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return REGIT_ENOMEM;
	m->mask = cap - 1;
	return 0;
}

static void strmap_dispose(resolve_strmap *m)
{
	regit_free(m->slots);
	m->slots = NULL;
}

/* Insert unless present: the first occurrence wins. */
static void strmap_put_first(resolve_strmap *m, const char *key, size_t val)
{
	size_t i = (size_t)regit_hash_str(key) & m->mask;

	while (m->slots[i].key) {
		if (strcmp(m->slots[i].key, key) == 0)
			return;
		i = (i + 1) & m->mask;
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
}

static size_t strmap_get(const resolve_strmap *m, const char *key)
{
	size_t i;

	if (!m->slots || !key)
		return REGIT_RESOLVE_NONE;
	i = (size_t)regit_hash_str(key) & m->mask;
	while (m->slots[i].key) {
		if (strcmp(m->slots[i].key, key) == 0)
			return m->slots[i].val;
		i = (i + 1) & m->mask;
	}
	return REGIT_RESOLVE_NONE;
}

/* The index of one large node. */
typedef struct resolve_index {
	const regit_type *node;
	resolve_strmap names;     /* record: field name; enum: symbol */
	resolve_strmap aliases;   /* record: field alias */
	/* union: first branch of each kind, and named branches by name/alias */
	size_t first_kind[RESOLVE_NKINDS];
	resolve_strmap union_names;      /* unqualified name */
	resolve_strmap union_aliases;    /* full alias */
	resolve_strmap union_fullnames;  /* full name */
} resolve_index;

struct regit_resolver {
	resolve_index **slots;   /* open addressing by node pointer, load <= 1/2 */
	size_t cap, count;
	size_t steps;
};

static void index_free(resolve_index *ix)
{
	if (!ix)
		return;
	strmap_dispose(&ix->names);
	strmap_dispose(&ix->aliases);
	strmap_dispose(&ix->union_names);
	strmap_dispose(&ix->union_aliases);
	strmap_dispose(&ix->union_fullnames);
	regit_free(ix);
}

int regit_resolver_new(regit_resolver **out)
{
	*out = regit_calloc(1, sizeof(**out));
	return *out ? 0 : REGIT_ENOMEM;
}

void regit_resolver_free(regit_resolver *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->cap; i++)
		index_free(rs->slots[i]);
	regit_free(rs->slots);
	regit_free(rs);
}

int regit_resolver_step(regit_resolver *rs, size_t n)
{
	rs->steps += n;
	if (rs->steps > REGIT_RESOLVE_MAX_STEPS) {
		regit_error_set(REGIT_ERROR_COMPAT,
			"the schemas are too large to compare (more than %zu steps)",
			(size_t)REGIT_RESOLVE_MAX_STEPS);
		return REGIT_ELIMIT;
	}
	return 0;
}

static int resolver_grow(regit_resolver *rs)
{
	size_t ncap = rs->cap ? rs->cap * 2 : 32, i;
	resolve_index **nslots = regit_calloc(ncap, sizeof(*nslots));

	if (!nslots)
		return REGIT_ENOMEM;
	for (i = 0; i < rs->cap; i++) {
		size_t j;

		if (!rs->slots[i])
			continue;
		j = (size_t)regit_hash_ptrs(rs->slots[i]->node, NULL, 0) & (ncap - 1);
		while (nslots[j])
			j = (j + 1) & (ncap - 1);
		nslots[j] = rs->slots[i];
	}
	regit_free(rs->slots);
	rs->slots = nslots;
	rs->cap = ncap;
	return 0;
}

static int index_build(resolve_index *ix, const regit_type *t)
{
	size_t i, j, n = 0;
	int error = 0;

	for (i = 0; i < RESOLVE_NKINDS; i++)
		ix->first_kind[i] = REGIT_RESOLVE_NONE;

	switch (t->kind) {
	case REGIT_TYPE_RECORD:
		error = strmap_init(&ix->names, t->nfields);
		if (error < 0)
			return error;
		for (i = 0; i < t->nfields; i++) {
			strmap_put_first(&ix->names, t->fields[i].name, i);
			n += t->fields[i].naliases;
		}
		error = strmap_init(&ix->aliases, n);
		if (error < 0)
			return error;
		for (i = 0; i < t->nfields; i++)
			for (j = 0; j < t->fields[i].naliases; j++)
				strmap_put_first(&ix->aliases, t->fields[i].aliases[j], i);
		break;
	case REGIT_TYPE_ENUM:
		error = strmap_init(&ix->names, t->nsymbols);
		if (error < 0)
			return error;
		for (i = 0; i < t->nsymbols; i++)
			strmap_put_first(&ix->names, t->symbols[i], i);
		break;
	case REGIT_TYPE_UNION:
		for (i = 0; i < t->nbranches; i++) {
			const regit_type *b = t->branches[i];

			if (ix->first_kind[b->kind] == REGIT_RESOLVE_NONE)
				ix->first_kind[b->kind] = i;
			n += b->naliases;
		}
		error = strmap_init(&ix->union_names, t->nbranches);
		if (error == 0)
			error = strmap_init(&ix->union_aliases, n);
		if (error == 0)
			error = strmap_init(&ix->union_fullnames, t->nbranches);
		if (error < 0)
			return error;
		/* Kinds are confirmed by the caller, so one map serves all named kinds. */
		for (i = 0; i < t->nbranches; i++) {
			const regit_type *b = t->branches[i];

			if (!b->name)
				continue;
			strmap_put_first(&ix->union_names, b->name, i);
			if (b->fullname)
				strmap_put_first(&ix->union_fullnames, b->fullname, i);
			for (j = 0; j < b->naliases; j++)
				strmap_put_first(&ix->union_aliases, b->aliases[j], i);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* @return 0 with *out set (borrowed from the cache), REGIT_ENOMEM */
static int resolver_index(resolve_index **out, regit_resolver *rs, const regit_type *t)
{
	resolve_index *ix = NULL;
	size_t i;
	int error = 0;

	*out = NULL;
	if (rs->cap) {
		i = (size_t)regit_hash_ptrs(t, NULL, 0) & (rs->cap - 1);
		while (rs->slots[i]) {
			if (rs->slots[i]->node == t) {
				*out = rs->slots[i];
				return 0;
			}
			i = (i + 1) & (rs->cap - 1);
		}
	}
	if (2 * (rs->count + 1) > rs->cap) {
		error = resolver_grow(rs);
		if (error < 0)
			goto done;
	}
	ix = regit_calloc(1, sizeof(*ix));
	if (!ix) {
		error = REGIT_ENOMEM;
		goto done;
	}
	ix->node = t;
	error = index_build(ix, t);
	if (error < 0)
		goto done;
	i = (size_t)regit_hash_ptrs(t, NULL, 0) & (rs->cap - 1);
	while (rs->slots[i])
		i = (i + 1) & (rs->cap - 1);
	rs->slots[i] = ix;
	rs->count++;
	*out = ix;
	ix = NULL;
done:
	index_free(ix);
	return error;
}

/* ---- matching ----------------------------------------------------------- */

int regit_resolve_promotes(regit_type_kind writer, regit_type_kind reader)
{
	switch (writer) {
	case REGIT_TYPE_INT:
		return reader == REGIT_TYPE_LONG || reader == REGIT_TYPE_FLOAT ||
			reader == REGIT_TYPE_DOUBLE;
	case REGIT_TYPE_LONG:
		return reader == REGIT_TYPE_FLOAT || reader == REGIT_TYPE_DOUBLE;
	case REGIT_TYPE_FLOAT:
		return reader == REGIT_TYPE_DOUBLE;
	case REGIT_TYPE_STRING:
		return reader == REGIT_TYPE_BYTES;
	case REGIT_TYPE_BYTES:
		return reader == REGIT_TYPE_STRING;
	default:
		return 0;
	}
}

int regit_resolve_names_match(const regit_type *reader, const regit_type *writer)
{
	size_t i;

	if (!reader->name || !writer->name)
		return 0;
	if (strcmp(reader->name, writer->name) == 0)
		return 1;
	/* Aliases are full names (the parser qualified relative ones). */
	for (i = 0; i < reader->naliases && writer->fullname; i++)
		if (strcmp(reader->aliases[i], writer->fullname) == 0)
			return 1;
	return 0;
}

int regit_resolve_match(const regit_type *r, const regit_type *w)
{
	/* Unnamed nesting is bounded by the parser's depth limit. */
	if (r->kind == REGIT_TYPE_UNION || w->kind == REGIT_TYPE_UNION)
		return 1;
	if (r->kind != w->kind)
		return regit_resolve_promotes(w->kind, r->kind);
	switch (r->kind) {
	case REGIT_TYPE_ARRAY:
	case REGIT_TYPE_MAP:
		return regit_resolve_match(r->items, w->items);
	case REGIT_TYPE_RECORD:
	case REGIT_TYPE_ENUM:
		return regit_resolve_names_match(r, w);
	case REGIT_TYPE_FIXED:
		return regit_resolve_names_match(r, w) && r->size == w->size;
	default:
		return 1;
	}
}

int regit_resolve_same_type(const regit_type *a, const regit_type *b)
{
	if (a->kind != b->kind)
		return 0;
	if (!regit_type_is_named(a))
		return 1;
	return a->fullname && b->fullname && strcmp(a->fullname, b->fullname) == 0;
}

/* Either version's name or alias names the other: the same type across versions. */
static int resolve_names_correspond(const regit_type *a, const regit_type *b)
{
	return regit_resolve_names_match(a, b) || regit_resolve_names_match(b, a);
}

/* The branch of `u` of exactly t's type (kind, full name), or NONE. */
static int branch_exact(size_t *out, regit_resolver *rs, const regit_type *u,
	const regit_type *t)
{
	resolve_index *ix = NULL;
	size_t i;
	int error;

	*out = REGIT_RESOLVE_NONE;
	if (u->nbranches <= RESOLVE_LINEAR_MAX) {
		for (i = 0; i < u->nbranches; i++) {
			if (regit_resolve_same_type(u->branches[i], t)) {
				*out = i;
				break;
			}
		}
		return 0;
	}
	error = resolver_index(&ix, rs, u);
	if (error < 0)
		return error;
	i = regit_type_is_named(t) ? strmap_get(&ix->union_fullnames, t->fullname) :
		ix->first_kind[t->kind];
	if (i != REGIT_RESOLVE_NONE && regit_resolve_same_type(u->branches[i], t))
		*out = i;
	return 0;
}

/* First branch of w's kind that matches w, by scanning. */
static size_t branch_scan_same_kind(const regit_type *u, const regit_type *w)
{
	size_t i;

	for (i = 0; i < u->nbranches; i++)
		if (u->branches[i]->kind == w->kind && regit_resolve_match(u->branches[i], w))
			return i;
	return REGIT_RESOLVE_NONE;
}

/* First branch whose kind w's kind promotes to. */
static size_t branch_scan_promoted(const regit_type *u, const regit_type *w)
{
	size_t i;

	for (i = 0; i < u->nbranches; i++)
		if (regit_resolve_promotes(w->kind, u->branches[i]->kind))
			return i;
	return REGIT_RESOLVE_NONE;
}

int regit_resolve_branch(size_t *out, regit_resolver *rs, const regit_type *u,
	const regit_type *w)
{
	resolve_index *ix = NULL;
	size_t best = REGIT_RESOLVE_NONE, c[2], nc = 0, i;
	regit_type_kind k;
	int error = 0, failed = 0;

	*out = REGIT_RESOLVE_NONE;
	error = branch_exact(&i, rs, u, w);
	if (error < 0)
		return error;
	if (i != REGIT_RESOLVE_NONE && regit_resolve_match(u->branches[i], w)) {
		*out = i;
		return 0;
	}
	if (u->nbranches <= RESOLVE_LINEAR_MAX) {
		*out = branch_scan_same_kind(u, w);
		if (*out == REGIT_RESOLVE_NONE)
			*out = branch_scan_promoted(u, w);
		return 0;
	}
	error = resolver_index(&ix, rs, u);
	if (error < 0)
		return error;
	/* Candidates of w's kind: by name or alias for named types. */
	if (regit_type_is_named(w)) {
		c[nc++] = strmap_get(&ix->union_names, w->name);
		c[nc++] = strmap_get(&ix->union_aliases, w->fullname);
	} else {
		c[nc++] = ix->first_kind[w->kind];
	}
	for (i = 0; i < nc; i++) {
		if (c[i] == REGIT_RESOLVE_NONE || (best != REGIT_RESOLVE_NONE && c[i] > best))
			continue;
		if (u->branches[c[i]]->kind == w->kind && regit_resolve_match(u->branches[c[i]], w))
			best = c[i];
		else
			failed = 1;
	}
	if (failed) {
		error = regit_resolver_step(rs, u->nbranches);
		if (error < 0)
			return error;
		best = branch_scan_same_kind(u, w);
	}
	if (best == REGIT_RESOLVE_NONE) {
		/* Promotion targets are primitives: the kind index is exact. */
		for (k = REGIT_TYPE_NULL; k <= REGIT_TYPE_STRING; k++)
			if (regit_resolve_promotes(w->kind, k) && ix->first_kind[k] < best)
				best = ix->first_kind[k];
	}
	*out = best;
	return 0;
}

/* The writer field named `name`, or NONE. */
static int field_by_name(size_t *out, regit_resolver *rs, const regit_type *rec,
	const char *name)
{
	resolve_index *ix = NULL;
	size_t i;
	int error;

	*out = REGIT_RESOLVE_NONE;
	if (rec->nfields <= RESOLVE_LINEAR_MAX) {
		for (i = 0; i < rec->nfields; i++)
			if (strcmp(rec->fields[i].name, name) == 0) {
				*out = i;
				break;
			}
		return 0;
	}
	error = resolver_index(&ix, rs, rec);
	if (error < 0)
		return error;
	*out = strmap_get(&ix->names, name);
	return 0;
}

/* The writer field the reader field reads: by name, then by its aliases. */
static int field_for_reader(size_t *out, regit_resolver *rs, const regit_type *w,
	const regit_field *rf, size_t hint)
{
	size_t j;
	int error;

	*out = REGIT_RESOLVE_NONE;
	/* Fields are mostly appended, so the same position usually holds it. */
	if (hint < w->nfields && strcmp(w->fields[hint].name, rf->name) == 0) {
		*out = hint;
		return 0;
	}
	error = field_by_name(out, rs, w, rf->name);
	for (j = 0; error == 0 && j < rf->naliases && *out == REGIT_RESOLVE_NONE; j++)
		error = field_by_name(out, rs, w, rf->aliases[j]);
	return error;
}

int regit_resolve_field(regit_resolve_field_action *action, size_t *index,
	regit_resolver *rs, const regit_type *writer, const regit_field *field, size_t hint)
{
	int error = field_for_reader(index, rs, writer, field, hint);

	if (error < 0)
		return error;
	if (*index != REGIT_RESOLVE_NONE)
		*action = REGIT_RESOLVE_FIELD_READ;
	else if (field->default_value)
		*action = REGIT_RESOLVE_FIELD_DEFAULT;
	else
		*action = REGIT_RESOLVE_FIELD_MISSING;
	return 0;
}

/* The index of symbol s in enum e, or NONE. */
static int symbol_index(size_t *out, regit_resolver *rs, const regit_type *e, const char *s)
{
	resolve_index *ix = NULL;
	size_t i;
	int error;

	*out = REGIT_RESOLVE_NONE;
	if (e->nsymbols <= RESOLVE_LINEAR_MAX) {
		for (i = 0; i < e->nsymbols; i++)
			if (strcmp(e->symbols[i], s) == 0) {
				*out = i;
				break;
			}
		return 0;
	}
	error = resolver_index(&ix, rs, e);
	if (error < 0)
		return error;
	*out = strmap_get(&ix->names, s);
	return 0;
}

int regit_resolve_symbol(size_t *out, regit_resolver *rs, const regit_type *r,
	const char *writer_symbol)
{
	int error = symbol_index(out, rs, r, writer_symbol);

	/* A reader default absorbs every symbol it lacks (spec 1.11). */
	if (error == 0 && *out == REGIT_RESOLVE_NONE && r->enum_default)
		error = symbol_index(out, rs, r, r->enum_default);
	return error;
}

/* ---- correspondence across versions (the strict rules) ----------------- */

int regit_resolve_field_counterpart(size_t *out, regit_resolver *rs,
	const regit_type *rec, const regit_field *f, size_t hint)
{
	resolve_index *ix = NULL;
	size_t i, j;
	int error;

	error = field_for_reader(out, rs, rec, f, hint);
	if (error < 0 || *out != REGIT_RESOLVE_NONE)
		return error;
	/* A field of rec that lists f's name as an alias. */
	if (rec->nfields <= RESOLVE_LINEAR_MAX) {
		for (i = 0; i < rec->nfields; i++)
			for (j = 0; j < rec->fields[i].naliases; j++)
				if (strcmp(rec->fields[i].aliases[j], f->name) == 0) {
					*out = i;
					return 0;
				}
		return 0;
	}
	error = resolver_index(&ix, rs, rec);
	if (error < 0)
		return error;
	*out = strmap_get(&ix->aliases, f->name);
	return 0;
}

int regit_resolve_branch_counterpart(size_t *out, regit_resolver *rs,
	const regit_type *u, const regit_type *t)
{
	resolve_index *ix = NULL;
	size_t i, c;
	int error;

	error = branch_exact(out, rs, u, t);
	if (error < 0 || *out != REGIT_RESOLVE_NONE)
		return error;
	if (u->nbranches <= RESOLVE_LINEAR_MAX)
		goto scan;
	error = resolver_index(&ix, rs, u);
	if (error < 0)
		return error;
	if (!regit_type_is_named(t)) {
		*out = ix->first_kind[t->kind];
		return 0;
	}
	c = strmap_get(&ix->union_names, t->name);
	if (c != REGIT_RESOLVE_NONE && u->branches[c]->kind == t->kind) {
		*out = c;
		return 0;
	}
	c = strmap_get(&ix->union_aliases, t->fullname);
	if (c != REGIT_RESOLVE_NONE && u->branches[c]->kind == t->kind) {
		*out = c;
		return 0;
	}
	for (i = 0; i < t->naliases; i++) {
		c = strmap_get(&ix->union_fullnames, t->aliases[i]);
		if (c != REGIT_RESOLVE_NONE && u->branches[c]->kind == t->kind) {
			*out = c;
			return 0;
		}
	}
	/* Same-named branches of another kind shadow in the index: scan. */
	error = regit_resolver_step(rs, u->nbranches);
	if (error < 0)
		return error;
scan:
	for (i = 0; i < u->nbranches; i++) {
		const regit_type *b = u->branches[i];

		if (b->kind == t->kind && (!regit_type_is_named(t) || resolve_names_correspond(b, t))) {
			*out = i;
			break;
		}
	}
	return 0;
}
