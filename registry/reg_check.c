/*
 * reg_check.c - the checks a schema meets on its way in: request schemas
 * (parsed with their references, canonical text, identity key), the cache
 * of parsed stored versions, compatibility runs against older versions
 * (and the 40901 message), and the lint policy. Used by registrations,
 * lookups, compatibility tests and the validation of pushed versions.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/registry_internal.h"
#include "registry/txn.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"

void reg_req_schema_dispose(reg_req_schema *r)
{
	reg_parsed_free(r->parsed);
	regit_buf_dispose(&r->text);
	regit_buf_dispose(&r->pretty);
	regit_buf_dispose(&r->key);
	reg_refs_free(r->refs, r->nrefs);
	memset(r, 0, sizeof(*r));
}

static int ref_cmp(const void *a, const void *b)
{
	const regit_reference *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c == 0)
		c = strcmp(x->subject, y->subject);
	if (c == 0)
		c = x->version < y->version ? -1 : x->version > y->version;
	return c;
}

/*
 * Parse a request's schema with its references and compute the compact
 * text that identifies it. With `stored`, also the pretty form for the
 * .avsc file, and the compact text is taken from re-reading that file, so
 * that what a later reload computes is exactly what is stored now.
 */
int reg_req_schema_parse(reg_req_schema *out, regit_registry *reg, const reg_index *idx,
	const reg_resolver *r, const regit_register_request *req, int normalize, int stored)
{
	regit_schema_error serr;
	reg_parsed *again = NULL;
	size_t i, max = reg->opts.max_schema_size;
	int error = 0;

	memset(out, 0, sizeof(*out));
	regit_buf_init(&out->text, max * 2 + 4096);
	regit_buf_init(&out->pretty, max * 4 + 65536);
	regit_buf_init(&out->key, REGIT_BUF_DEFAULT_MAX);
	if (req->schema_type && strcasecmp(req->schema_type, "AVRO") != 0)
		return reg_fail(REGIT_SR_INVALID_SCHEMA, "Invalid schema type %.64s: only AVRO is supported",
			req->schema_type);
	if (!req->schema)
		return reg_fail(REGIT_SR_INVALID_SCHEMA, "Empty schema");
	if (req->schema_len > max)
		return reg_fail(REGIT_SR_SCHEMA_TOO_LARGE, "Schema too large: %zu bytes, limit %zu",
			req->schema_len, max);
	if (req->nrefs > REG_MAX_REFS)
		return reg_fail(REGIT_SR_INVALID_SCHEMA, "Too many references (limit %d)", REG_MAX_REFS);
	for (i = 0; i < req->nrefs; i++) {
		if (!req->refs[i].name || !req->refs[i].subject || !*req->refs[i].subject ||
				(req->refs[i].version < 1 && req->refs[i].version != REGIT_VERSION_LATEST))
			return reg_fail(REGIT_SR_INVALID_SCHEMA, "Invalid reference %zu", i);
	}
	error = reg_refs_copy(&out->refs, req->refs, req->nrefs);
	if (error < 0)
		return reg_fail_internal(error);
	out->nrefs = req->nrefs;
	/* "latest" (-1) in a reference means the newest version at this time. */
	for (i = 0; i < out->nrefs; i++) {
		if (out->refs[i].version == REGIT_VERSION_LATEST) {
			const reg_version *v = reg_subject_latest(reg_find_subject(idx, out->refs[i].subject), 0);

			if (!v)
				return reg_fail(REGIT_SR_INVALID_SCHEMA,
					"Invalid schema: reference to subject '%.200s' version latest not found",
					out->refs[i].subject);
			out->refs[i].version = v->pub.version;
		}
	}
	if (normalize && out->nrefs > 1)
		qsort(out->refs, out->nrefs, sizeof(*out->refs), ref_cmp);

	error = reg_parse(&out->parsed, req->schema, req->schema_len, out->refs, out->nrefs, r,
		max, &serr);
	if (error == REGIT_EINVALID || error == REGIT_ELIMIT) {
		if (serr.path[0])
			return reg_fail(REGIT_SR_INVALID_SCHEMA, "Invalid schema: %s (at %s)",
				serr.message, serr.path);
		return reg_fail(REGIT_SR_INVALID_SCHEMA, "Invalid schema: %s", serr.message);
	}
	if (error < 0)
		return reg_fail_internal(error);
	error = reg_canonical(&out->text, out->parsed, normalize);
	if (error < 0)
		goto internal;
	if (stored) {
		/* The .avsc is printed from the canonical text's own parse. */
		error = reg_parse(&again, out->text.ptr, out->text.size, out->refs, out->nrefs, r,
			max * 2 + 4096, &serr);
		if (error == 0)
			error = regit_schema_print(again->schema, REGIT_PRINT_PRETTY, &out->pretty);
		reg_parsed_free(again);
		again = NULL;
		if (error == 0)
			error = reg_parse(&again, out->pretty.ptr, out->pretty.size, out->refs, out->nrefs,
				r, max * 4 + 65536, &serr);
		if (error == 0) {
			regit_buf_clear(&out->text);
			error = reg_canonical(&out->text, again, 0);
		}
		reg_parsed_free(again);
		if (error < 0)
			goto internal;
	}
	error = reg_identity_key(&out->key, out->text.ptr, out->text.size, out->refs, out->nrefs);
	if (error < 0)
		goto internal;
	out->hash = regit_hash(out->key.ptr, out->key.size);
	return 0;
internal:
	if (error == REGIT_EINVALID)
		return reg_fail(REGIT_SR_INVALID_SCHEMA, "Invalid schema: %s", serr.message);
	if (error == REGIT_ELIMIT)
		return reg_fail(REGIT_SR_SCHEMA_TOO_LARGE, "Schema too large");
	return reg_fail_internal(error);
}

int reg_req_schema_load(reg_req_schema *out, regit_registry *reg, const reg_index *idx,
	const regit_register_request *req, int normalize, int stored)
{
	reg_resolver r;
	int error;

	reg_registry_resolver(&r, reg, idx);
	error = reg_req_schema_parse(out, reg, idx, &r, req, normalize, stored);
	reg_memo_free(r.memo);
	return error;
}

int reg_version_key_eq(const reg_version *v, const reg_req_schema *r)
{
	return v->schema->key_len == r->key.size &&
		memcmp(v->schema->key, r->key.ptr, r->key.size) == 0;
}

/* ---- parsed-schema cache ------------------------------------------------------ */

/*
 * A registration under a transitive level compares with every live version
 * of the subject, and each must be parsed: with 20 versions that is 20
 * parses per registration. Parsed schemas of versions without references
 * are kept here, keyed by id and a hash of the text (an id always names
 * the same text, but a pushed tree is not trusted to keep that promise).
 * Entries are reference-counted so a reader can use one while a writer
 * evicts it; the least recently used entry goes when the cache is full.
 */
typedef struct reg_pcache_entry {
	int id;
	uint64_t text_hash;
	reg_parsed *parsed;
	int users;                      /* holders, + 1 while cached */
	uint64_t used;
} reg_pcache_entry;

static void pcache_release(regit_registry *reg, reg_pcache_entry *e)
{
	int last;

	if (!e)
		return;
	pthread_mutex_lock(&reg->pclock);
	last = --e->users == 0;
	pthread_mutex_unlock(&reg->pclock);
	if (last) {
		reg_parsed_free(e->parsed);
		regit_free(e);
	}
}

void reg_pcache_clear(regit_registry *reg)
{
	size_t i;

	for (i = 0; i < REG_PCACHE_SIZE; i++) {
		pcache_release(reg, reg->pcache[i]);
		reg->pcache[i] = NULL;
	}
}

/* A parsed schema for the cache key, or NULL (caller parses). */
static reg_pcache_entry *pcache_get(regit_registry *reg, int id, uint64_t text_hash)
{
	reg_pcache_entry *found = NULL;
	size_t i;

	pthread_mutex_lock(&reg->pclock);
	for (i = 0; i < REG_PCACHE_SIZE; i++) {
		reg_pcache_entry *e = reg->pcache[i];

		if (e && e->id == id && e->text_hash == text_hash) {
			e->users++;
			e->used = ++reg->pctick;
			found = e;
			break;
		}
	}
	pthread_mutex_unlock(&reg->pclock);
	return found;
}

/* Cache a parse (taken); returns the entry held once for the caller. */
static reg_pcache_entry *pcache_put(regit_registry *reg, int id, uint64_t text_hash,
	reg_parsed *parsed)
{
	reg_pcache_entry *e = regit_calloc(1, sizeof(*e));
	reg_pcache_entry *evicted = NULL;
	size_t i, victim = 0;

	if (!e) {
		reg_parsed_free(parsed);
		return NULL;
	}
	e->id = id;
	e->text_hash = text_hash;
	e->parsed = parsed;
	e->users = 2;              /* the cache and the caller */
	pthread_mutex_lock(&reg->pclock);
	e->used = ++reg->pctick;
	for (i = 0; i < REG_PCACHE_SIZE; i++) {
		if (!reg->pcache[i]) {
			victim = i;
			break;
		}
		if (reg->pcache[i]->used < reg->pcache[victim]->used)
			victim = i;
	}
	evicted = reg->pcache[victim];
	reg->pcache[victim] = e;
	pthread_mutex_unlock(&reg->pclock);
	pcache_release(reg, evicted);
	return e;
}

/* ---- compatibility ---------------------------------------------------------- */

void reg_compat_run_dispose(reg_compat_run *c)
{
	size_t i;

	regit_compat_result_dispose(&c->result);
	for (i = 0; i < c->nold; i++) {
		reg_parsed_free(c->parsed ? c->parsed[i] : NULL);
		if (c->held)
			pcache_release(c->reg, c->held[i]);
	}
	regit_free(c->parsed);
	regit_free(c->held);
	regit_free(c->olds);
	memset(c, 0, sizeof(*c));
}

int reg_compat_add_old(reg_compat_run *c, size_t cap, const reg_version *v)
{
	reg_compat_old *o;

	if (c->nold >= cap)
		return 0;
	o = &c->olds[c->nold++];
	o->version = v->pub.version;
	o->id = v->nrefs ? 0 : v->pub.id;
	o->text = v->text->s;
	o->len = v->text->len;
	o->refs = v->refs;
	o->nrefs = v->nrefs;
	o->parsed = NULL;
	return 0;
}

/*
 * Check `next` against c->olds (newest first). The checker applies the
 * level: transitive levels use all, the others only the newest, so only
 * that one is parsed then.
 */
int reg_compat_check(reg_compat_run *c, const reg_index *idx, const regit_registry *reg,
	const regit_schema *next)
{
	regit_compat_options opts = REGIT_COMPAT_OPTIONS_INIT;
	const regit_schema **olds = NULL;
	const char **labels = NULL;
	char *label_buf = NULL;
	reg_resolver r;
	regit_schema_error serr;
	size_t i, n = c->nold;
	int error = 0;

	memset(&r, 0, sizeof(r));
	c->result.compatible = 1;
	if (c->level == REGIT_LEVEL_NONE || n == 0)
		return 0;
	if (!reg_level_transitive(c->level))
		n = 1;
	c->parsed = regit_calloc(c->nold, sizeof(*c->parsed));
	c->held = regit_calloc(c->nold, sizeof(*c->held));
	c->reg = (regit_registry *)reg;
	olds = regit_calloc(n, sizeof(*olds));
	if (!c->parsed || !c->held || !olds) {
		error = reg_fail_internal(REGIT_ENOMEM);
		goto done;
	}
	reg_registry_resolver(&r, c->reg, idx);
	for (i = 0; i < n; i++) {
		const reg_compat_old *o = &c->olds[i];
		uint64_t h = o->id ? regit_hash(o->text, o->len) : 0;

		if (o->parsed) {
			olds[i] = o->parsed;
			continue;
		}
		if (o->id) {
			c->held[i] = pcache_get(c->reg, o->id, h);
			if (c->held[i]) {
				olds[i] = c->held[i]->parsed->schema;
				continue;
			}
		}
		error = reg_parse(&c->parsed[i], o->text, o->len, o->refs, o->nrefs, &r,
			reg->opts.max_schema_size * 2 + 4096, &serr);
		if (error == REGIT_ENOMEM) {
			error = reg_fail_internal(error);
			goto done;
		}
		if (error < 0) {
			error = reg_fail(REGIT_SR_STORE_ERROR,
				"Stored schema version %d does not parse: %s", o->version, serr.message);
			goto done;
		}
		olds[i] = c->parsed[i]->schema;
		if (o->id) {
			/* The cache takes the parse; this run holds the entry. */
			c->held[i] = pcache_put(c->reg, o->id, h, c->parsed[i]);
			c->parsed[i] = NULL;
			if (!c->held[i]) {
				error = reg_fail_internal(REGIT_ENOMEM);
				goto done;
			}
		}
	}
	/* Messages name the old versions by number ("version 3"). */
	labels = regit_calloc(n, sizeof(*labels));
	label_buf = regit_calloc(n, 24);
	if (!labels || !label_buf) {
		error = reg_fail_internal(REGIT_ENOMEM);
		goto done;
	}
	for (i = 0; i < n; i++) {
		snprintf(label_buf + 24 * i, 24, "version %d", c->olds[i].version);
		labels[i] = label_buf + 24 * i;
	}
	opts.level = c->level;
	opts.rules = c->strict ? REGIT_RULES_STRICT : REGIT_RULES_AVRO;
	opts.old_labels = labels;
	opts.max_findings = 100;
	error = regit_compat_check_ext(next, olds, n, &opts, &c->result);
	if (error == REGIT_ELIMIT)
		error = reg_fail(REGIT_SR_INVALID_SCHEMA,
			"Schema too large or deeply nested to check for compatibility");
	else if (error < 0)
		error = reg_fail_internal(error);
done:
	reg_memo_free(r.memo);
	regit_free(labels);
	regit_free(label_buf);
	regit_free(olds);
	return error;
}

/* One finding as the one-line text both 40901 and verbose messages use. */
int reg_finding_text(regit_buf *out, const reg_compat_run *c, const regit_finding *f)
{
	int version = f->old_index < c->nold ? c->olds[f->old_index].version : 0;

	return regit_buf_printf(out,
		"{errorType:'%s', description:'%s', path:'%s', oldSchemaVersion:%d}",
		f->rule, f->message ? f->message : "", f->path ? f->path : "", version);
}

int reg_compat_summary(regit_buf *out, const reg_compat_run *c)
{
	return regit_buf_printf(out, "{compatibility:'%s', rules:'%s'}",
		regit_compat_level_name(c->level), c->strict ? "strict" : "avro");
}

/*
 * 40901 with every finding. push_version: 0 for a registration; else the
 * version number of a version pushed into the store (reg_push_validate).
 */
int reg_compat_reject(const reg_compat_run *c, const char *subject,
	int push_version)
{
	regit_buf msg;
	size_t i;
	int error;

	regit_buf_init(&msg, 64 * 1024);
	if (push_version)
		error = regit_buf_printf(&msg, "Version %d of subject \"%.200s\" was pushed into "
			"the store but is incompatible with an earlier schema, details: [",
			push_version, subject);
	else
		error = regit_buf_printf(&msg, "Schema being registered is incompatible with an "
			"earlier schema for subject \"%.200s\", details: [", subject);
	for (i = 0; i < c->result.nfindings && error == 0; i++) {
		error = reg_finding_text(&msg, c, &c->result.findings[i]);
		if (error == 0)
			error = regit_buf_puts(&msg, ", ");
	}
	if (error == 0)
		error = reg_compat_summary(&msg, c);
	if (error == 0)
		error = regit_buf_puts(&msg, "]");
	/* Long lists are cut to the message size, visibly. */
	if (msg.size >= REGIT_ERROR_MAX)
		memcpy(msg.ptr + REGIT_ERROR_MAX - 5, "...]", 5);
	error = reg_fail(REGIT_SR_INCOMPATIBLE, "%s", msg.ptr ? msg.ptr : "incompatible");
	regit_buf_dispose(&msg);
	return error;
}

/* ---- the lint policy ----------------------------------------------------------- */

const char *regit_lint_outcome_name(regit_lint_outcome outcome)
{
	switch (outcome) {
	case REGIT_LINT_OUTCOME_CLEAN: return "clean";
	case REGIT_LINT_OUTCOME_WARNED: return "warned";
	case REGIT_LINT_OUTCOME_REFUSED: return "refused";
	default: return "unknown";
	}
}

/* "[error] EVENT_ID at /fields: message" lines joined by "; ". */
static int lint_findings_text(regit_buf *out, const regit_lint_result *res)
{
	size_t i;
	int error = 0;

	for (i = 0; i < res->nfindings && error == 0; i++) {
		const regit_lint_finding *f = &res->findings[i];

		error = regit_buf_printf(out, "%s[%s] %s at '%s': %s", i ? "; " : "",
			f->severity == REGIT_LINT_ERROR ? "error" : "warning", f->rule,
			f->path, f->message);
	}
	if (error == 0 && res->nomitted)
		error = regit_buf_printf(out, "; and %zu more", res->nomitted);
	return error;
}

/*
 * The lint policy applied to a schema about to become a version: off does
 * nothing; warn and enforce lint it with the default rules and conventions
 * (compat/lint.h: the server has no regit.yaml), count the findings by rule
 * and the outcome, and log them; enforce refuses a schema with lint errors
 * (42201, every finding in the message). Warnings never refuse.
 * push_version: 0 for a registration, else the number of a pushed version
 * (push_check_version), which is checked only under enforce and not counted
 * (a refused head is checked once; a reload of it is not a new event).
 * @return 0, REGIT_EINVALID (42201) or another error, with the last error
 */
int reg_lint_apply(regit_registry *reg, regit_lint_policy policy,
	const regit_schema *schema, const char *subject, int push_version, int record)
{
	regit_lint_result res = REGIT_LINT_RESULT_INIT;
	regit_lint_outcome outcome;
	regit_buf msg;
	size_t i;
	int error;

	if (policy == REGIT_LINT_POLICY_OFF ||
			(push_version && policy != REGIT_LINT_POLICY_ENFORCE))
		return 0;
	regit_buf_init(&msg, 64 * 1024);
	error = regit_lint_schema(schema, NULL, &res);
	if (error == REGIT_ELIMIT && policy == REGIT_LINT_POLICY_WARN) {
		/* Nested beyond the linter's bound (the parser's is lower):
		 * warn never refuses, so it is registered unlinted. */
		error = 0;
		goto done;
	} else if (error == REGIT_ELIMIT) {
		error = reg_fail(REGIT_SR_INVALID_SCHEMA,
			"Schema too large or deeply nested to lint");
		goto done;
	} else if (error < 0) {
		error = reg_fail_internal(error);
		goto done;
	}
	if (res.nfindings == 0 && res.nomitted == 0)
		outcome = REGIT_LINT_OUTCOME_CLEAN;
	else if (res.nerrors && policy == REGIT_LINT_POLICY_ENFORCE)
		outcome = REGIT_LINT_OUTCOME_REFUSED;
	else
		outcome = REGIT_LINT_OUTCOME_WARNED;
	if (!push_version && record) {
		for (i = 0; i < res.nfindings; i++) {
			int r = regit_lint_rule_find(res.findings[i].rule);

			if (r >= 0 && r < REGIT_LINT_MAX_RULES)
				atomic_fetch_add(&reg->lint_findings[r]
					[res.findings[i].severity == REGIT_LINT_ERROR], 1);
		}
		atomic_fetch_add(&reg->lint_outcomes[outcome], 1);
	}
	if (outcome == REGIT_LINT_OUTCOME_CLEAN ||
			(push_version && outcome != REGIT_LINT_OUTCOME_REFUSED) ||
			(outcome == REGIT_LINT_OUTCOME_WARNED && !record))
		goto done;
	if (push_version)
		error = regit_buf_printf(&msg, "Version %d of subject \"%.200s\" was pushed into "
			"the store but breaks the lint policy (enforce), findings: ",
			push_version, subject);
	else if (outcome == REGIT_LINT_OUTCOME_REFUSED)
		error = regit_buf_printf(&msg, "Schema being registered breaks the lint policy "
			"(enforce) of subject \"%.200s\", findings: ", subject);
	else
		error = regit_buf_printf(&msg, "lint (%s) %.200s: ",
			regit_lint_policy_name(policy), subject);
	if (error == 0)
		error = lint_findings_text(&msg, &res);
	if (error < 0) {
		error = reg_fail_internal(error);
		goto done;
	}
	if (outcome == REGIT_LINT_OUTCOME_WARNED) {
		regit_log(REGIT_LOG_WARN, "regit: %.2000s\n", msg.ptr);
		goto done;
	}
	/* Long lists are cut to the message size, visibly. */
	if (msg.size >= REGIT_ERROR_MAX)
		memcpy(msg.ptr + REGIT_ERROR_MAX - 4, "...", 4);
	error = reg_fail(REGIT_SR_INVALID_SCHEMA, "%s", msg.ptr);
done:
	regit_buf_dispose(&msg);
	regit_lint_result_dispose(&res);
	return error;
}

/* Live versions of subject, newest first: batch additions, then the index. */
int reg_live_versions_desc(reg_compat_run *c, const reg_subject *s, const reg_overlay *o,
	const char *subject)
{
	size_t i, cap = s ? s->nlive : 0;

	c->nold = 0;
	for (i = 0; o && i < o->n; i++)
		cap += strcmp(o->adds[i].subject, subject) == 0;
	if (cap == 0)
		return 0;
	c->olds = regit_calloc(cap, sizeof(*c->olds));
	if (!c->olds)
		return REGIT_ENOMEM;
	for (i = o ? o->n : 0; i > 0; i--) {
		const reg_overlay_add *a = &o->adds[i - 1];
		reg_compat_old *old;

		if (strcmp(a->subject, subject) != 0)
			continue;
		old = &c->olds[c->nold++];
		old->version = a->version;
		old->id = 0;
		old->text = a->rs->text.ptr;
		old->len = a->rs->text.size;
		old->refs = a->rs->refs;
		old->nrefs = a->rs->nrefs;
		old->parsed = a->rs->parsed->schema;
	}
	for (i = s ? s->nversions : 0; i > 0; i--)
		if (!s->versions[i - 1]->pub.deleted)
			reg_compat_add_old(c, cap, s->versions[i - 1]);
	return 0;
}

int reg_compat_against(reg_compat_run *c, const reg_subject *s, const char *subject, int all,
	const reg_version *v)
{
	if (all)
		return reg_live_versions_desc(c, s, NULL, subject);
	c->level = reg_non_transitive(c->level);
	if (!v)
		return 0;
	c->olds = regit_calloc(1, sizeof(*c->olds));
	if (!c->olds)
		return REGIT_ENOMEM;
	return reg_compat_add_old(c, 1, v);
}
