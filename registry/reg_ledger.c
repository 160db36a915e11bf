/*
 * reg_ledger.c - what a new head must pass before it is served: versions
 * that did not come through a registry's API meet the compatibility and
 * lint policy (reg_push_validate), and what was served stays served
 * (reg_ledger_check, registry/README.md "The ledger"). A reload and
 * regit verify (registry.c) run both.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "registry/layout.h"
#include "registry/registry_internal.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"

/* ---- pushed versions ------------------------------------------------------------ */

/* Whether v's metadata file carries regit's seal (reg_version_seal). */
static int version_sealed(regit_registry *reg, const reg_version *v)
{
	regit_buf meta;
	json_t *obj = NULL;
	const char *seal;
	char want[17];
	int ok = 0;

	if (!v->has_oids)
		return 0;
	regit_buf_init(&meta, REG_MAX_META_SIZE);
	if (regit_store_read(&meta, reg->store, &v->meta_oid) == 0)
		obj = json_loadb(meta.ptr ? meta.ptr : "", meta.size, 0, NULL);
	seal = json_string_value(json_object_get(obj, "seal"));
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)reg_version_seal(
		v->subject->name, v->subject->name_len, v->pub.version, v->pub.id));
	ok = seal && strcmp(seal, want) == 0;
	json_decref(obj);
	regit_buf_dispose(&meta);
	return ok;
}

/*
 * Same schema text and references? For versions and schema entries alike
 * (version_same, schema_same). Texts are compared by pointer first: a
 * version reused by a reload shares its text with the previous index.
 */
static int text_refs_same(const reg_text *atext, const regit_reference *arefs,
	size_t anrefs, const reg_text *btext, const regit_reference *brefs, size_t bnrefs)
{
	size_t i;

	if (anrefs != bnrefs || (atext != btext && (atext->len != btext->len ||
			memcmp(atext->s, btext->s, atext->len) != 0)))
		return 0;
	for (i = 0; i < anrefs; i++) {
		if (strcmp(arefs[i].name, brefs[i].name) != 0 ||
				strcmp(arefs[i].subject, brefs[i].subject) != 0 ||
				arefs[i].version != brefs[i].version)
			return 0;
	}
	return 1;
}

/* Same id, schema text and references? */
static int version_same(const reg_version *a, const reg_version *b)
{
	return a->pub.id == b->pub.id &&
		text_refs_same(a->text, a->refs, a->nrefs, b->text, b->refs, b->nrefs);
}

/*
 * Check version i of subject s in idx as if it were being registered now:
 * against the live versions before it, with the subject's effective level
 * and rules in idx; skipped in IMPORT mode like a registration.
 */
static int push_check_version(regit_registry *reg, const reg_index *idx,
	const reg_subject *s, size_t i)
{
	const reg_version *v = s->versions[i];
	regit_schema_error serr;
	reg_parsed *parsed = NULL;
	reg_compat_run c;
	reg_effective eff;
	size_t j, cap = 0;
	int error = 0;

	memset(&c, 0, sizeof(c));
	reg_effective_config(&eff, reg, idx, s);
	if (reg_effective_mode(idx, s) == REGIT_MODE_IMPORT)
		return 0;
	if (eff.level == REGIT_LEVEL_NONE && eff.lint != REGIT_LINT_POLICY_ENFORCE)
		return 0;
	for (j = 0; j < i; j++)
		cap += !s->versions[j]->pub.deleted;
	if (cap == 0 && eff.lint != REGIT_LINT_POLICY_ENFORCE)
		return 0;
	c.olds = regit_calloc(cap ? cap : 1, sizeof(*c.olds));
	if (!c.olds)
		return reg_fail_internal(REGIT_ENOMEM);
	for (j = i; j > 0; j--)
		if (!s->versions[j - 1]->pub.deleted)
			reg_compat_add_old(&c, cap, s->versions[j - 1]);
	c.level = eff.level;
	c.strict = eff.strict;
	error = reg_stored_parse(&parsed, reg, idx, v->text->s, v->text->len, v->refs, v->nrefs,
		&serr);
	if (error == REGIT_ENOMEM) {
		error = reg_fail_internal(error);
		goto done;
	}
	if (error < 0) {
		error = reg_fail(REGIT_SR_INVALID_SCHEMA, "Version %d of subject \"%.200s\" "
			"does not parse: %s", v->pub.version, s->name, serr.message);
		goto done;
	}
	error = reg_compat_check(&c, idx, reg, parsed->schema);
	if (error == 0 && !c.result.compatible)
		error = reg_compat_reject(&c, s->name, v->pub.version);
	if (error == 0)
		error = reg_lint_apply(reg, eff.lint, parsed->schema, s->name, v->pub.version, 0);
done:
	reg_parsed_free(parsed);
	reg_compat_run_dispose(&c);
	return error;
}

/*
 * The compatibility policy applies to versions that reached the store
 * without this registry's API (a push, a merged pull request) as it does to
 * registrations. Compared with prev, the index being served, a live version
 * of idx is checked when it is
 *  - new and not sealed by a registry (reg_version_seal: versions regit
 *    wrote passed their check when written, or were spared it on purpose
 *    with force=true or in IMPORT mode, possibly by another process on the
 *    same store);
 *  - changed (other id, text or references), and then so is every later
 *    live version of its subject, whose predecessor changed;
 *  - live again after being soft-deleted.
 * Versions removed or soft-deleted need no check. Only the reload path
 * calls this: at start-up there is no served state to fall back to, and
 * the HEAD tree is trusted as it is.
 * @return 0, REGIT_EINCOMPATIBLE (40901) or REGIT_EINVALID (42201) with
 *         the last error saying which version, or another error
 */
int reg_push_validate(regit_registry *reg, const reg_index *prev, const reg_index *idx)
{
	size_t i, k;
	int error = 0;

	/* Versions checked here share their references' parses (none if out
	 * of memory: each parse is then on its own). */
	if (reg_memo_new(&reg->check_memo, REG_MEMO_MAX_BYTES) == 0)
		reg->check_idx = idx;
	for (i = 0; i < reg_index_nsubjects(idx) && error == 0; i++) {
		const reg_subject *s = reg_index_subject_at(idx, i);
		const reg_subject *ps = reg_index_subject(prev, s->name, s->name_len);
		int after_change = 0;

		for (k = 0; k < s->nversions && error == 0; k++) {
			const reg_version *v = s->versions[k];
			const reg_version *old = ps ? reg_subject_version(ps, v->pub.version) : NULL;
			int check;

			if (old && !version_same(old, v)) {
				after_change = 1;
				check = 1;
			} else if (old) {
				check = after_change || old->pub.deleted;
			} else {
				check = after_change || !version_sealed(reg, v);
			}
			if (check && !v->pub.deleted)
				error = push_check_version(reg, idx, s, k);
		}
	}
	reg->check_idx = NULL;
	reg_memo_free(reg->check_memo);
	reg->check_memo = NULL;
	return error;
}

/* ---- the ledger: what was served stays served ----------------------------------- */

/* Commits looked at to tell a hard delete from a removal of a live version. */
#define REG_LEDGER_MAX_COMMITS 1000000

/* Same schema text and references? */
static int schema_same(const reg_schema *a, const reg_schema *b)
{
	return text_refs_same(a->text, a->refs, a->nrefs, b->text, b->refs, b->nrefs);
}

/*
 * Whether version of subject is soft-deleted in one of the commits of
 * chain (oldest first, the last one being the new head, where it is gone):
 * then its removal was a hard delete after a soft delete, as the API does
 * it, possibly in one push with the soft delete.
 */
static int ledger_soft_deleted(regit_registry *reg, const regit_store_commits *chain,
	const char *subject, int version)
{
	char file[32], path[REGIT_LAYOUT_MAX_COMPONENT + 32];
	size_t i;
	int found = 0;

	if (chain->n < 2)
		return 0;
	snprintf(file, sizeof(file), "v%d.json", version);
	if (reg_subject_path(path, sizeof(path), subject, file) < 0)
		return 0;
	for (i = chain->n - 1; i > 0 && !found; i--) {
		regit_buf meta;
		json_t *obj;

		regit_buf_init(&meta, REG_MAX_META_SIZE);
		if (regit_store_read_at(&meta, reg->store, chain->ids[i - 1], path) == 0) {
			obj = json_loadb(meta.ptr ? meta.ptr : "", meta.size, 0, NULL);
			found = json_is_true(json_object_get(obj, "deleted"));
			json_decref(obj);
		}
		regit_buf_dispose(&meta);
	}
	return found;
}

/*
 * Whether id was given to a version by a registry in IMPORT mode (sealed,
 * its subject in IMPORT mode), which the API allows for any id not in
 * use: a migration's ids, and another registry on the store doing one.
 */
static int ledger_imported(regit_registry *reg, const reg_index *idx, int id)
{
	size_t i, k;

	for (i = 0; i < reg_index_nsubjects(idx); i++) {
		const reg_subject *s = reg_index_subject_at(idx, i);

		if (reg_effective_mode(idx, s) != REGIT_MODE_IMPORT)
			continue;
		for (k = 0; k < s->nversions; k++)
			if (s->versions[k]->pub.id == id && version_sealed(reg, s->versions[k]))
				return 1;
	}
	return 0;
}

/*
 * The invariants of issue #12: a registry's store is an append-only ledger
 * of what it served. Compared with prev, the index being served, idx (a
 * new head from a push, another process or an upstream) must
 *  - descend from prev's head: no rewrite, no rollback;
 *  - keep next_id from going down, and issue no id below prev's next_id
 *    that prev did not serve: an id that was hard-deleted stays retired
 *    (the API registers a returning schema under a new id too), except
 *    where a registry wrote it in IMPORT mode (ledger_imported);
 *  - give every id prev served exactly its text and references;
 *  - keep every version prev served under the same number, with the same
 *    id, text and references; a version may go only if it was
 *    soft-deleted (in prev or in a commit between), as the API's hard
 *    delete does.
 * The compatibility policy and the tree's structure are reg_push_validate's
 * and reg_index_build's. Only end points are compared (and, for a removed
 * version, the commits between): commits a push brought in between were
 * never served.
 * @return 0, REGIT_EINVALID with the last error saying what, or another error
 */
int reg_ledger_check(regit_registry *reg, const reg_index *prev, const reg_index *idx)
{
	const char *head = reg_index_head(idx), *phead = reg_index_head(prev);
	int next_id = reg_index_next_id(idx), served_next_id = reg_index_next_id(prev);
	regit_store_commits chain;
	const reg_schema *sc;
	int have_chain = 0;
	size_t i, k, pos;
	int rc, error = 0;

	memset(&chain, 0, sizeof(chain));
	if (phead[0] && strcmp(phead, head) != 0) {
		rc = head[0] ? regit_store_descends(reg->store, head, phead) : 0;
		if (rc < 0)
			return reg_fail_internal(rc);
		if (rc == 0) {
			reg_fail(REGIT_SR_STORE_ERROR, "Head %.12s does not descend from the "
				"served head %.12s: history was rewritten or rolled back (reset the "
				"branch to %.12s or push on top of it)", head[0] ? head : "(none)",
				phead, phead);
			return REGIT_EINVALID;
		}
	}
	if (next_id < served_next_id) {
		reg_fail(REGIT_SR_STORE_ERROR, "The next id went back from %d to %d: ids up "
			"to %d were served and are never issued again", served_next_id, next_id,
			served_next_id - 1);
		return REGIT_EINVALID;
	}
	pos = 0;
	while ((sc = reg_index_schema_next(idx, &pos)) != NULL) {
		const reg_schema *old = reg_index_schema(prev, sc->pub.id);

		if (old && !schema_same(old, sc)) {
			reg_fail(REGIT_SR_STORE_ERROR, "Id %d changed its schema: an id keeps "
				"the schema text and references it was served with", sc->pub.id);
			return REGIT_EINVALID;
		}
		if (!old && sc->pub.id < served_next_id && !ledger_imported(reg, idx, sc->pub.id)) {
			reg_fail(REGIT_SR_STORE_ERROR, "Id %d is issued again: ids below %d "
				"were issued before (a hard-deleted id stays retired)", sc->pub.id,
				served_next_id);
			return REGIT_EINVALID;
		}
	}
	for (i = 0; i < reg_index_nsubjects(prev) && error == 0; i++) {
		const reg_subject *ps = reg_index_subject_at(prev, i);
		const reg_subject *s = reg_index_subject(idx, ps->name, ps->name_len);

		size_t j = 0;

		for (k = 0; k < ps->nversions && error == 0; k++) {
			const reg_version *old = ps->versions[k];
			const reg_version *v = NULL;

			/* both ascending by number: walk them together */
			while (s && j < s->nversions && s->versions[j]->pub.version < old->pub.version)
				j++;
			if (s && j < s->nversions && s->versions[j]->pub.version == old->pub.version)
				v = s->versions[j];

			if (v && v->pub.id != old->pub.id) {
				error = reg_fail(REGIT_SR_STORE_ERROR, "Version %d of subject "
					"\"%.200s\" was renumbered from id %d to id %d", old->pub.version,
					ps->name, old->pub.id, v->pub.id);
			} else if (v && !version_same(old, v)) {
				error = reg_fail(REGIT_SR_STORE_ERROR, "Version %d of subject "
					"\"%.200s\" (id %d) was edited in place: a version keeps its "
					"text and references", old->pub.version, ps->name, old->pub.id);
			} else if (!v && !old->pub.deleted) {
				if (!have_chain) {
					rc = regit_store_first_parents(&chain, reg->store, head, phead,
						REG_LEDGER_MAX_COMMITS);
					have_chain = rc == 0;
				}
				if (!have_chain || !ledger_soft_deleted(reg, &chain, ps->name,
						old->pub.version))
					error = reg_fail(REGIT_SR_STORE_ERROR, "Version %d of "
						"subject \"%.200s\" (id %d) was removed while live: only "
						"a soft-deleted version may be deleted permanently",
						old->pub.version, ps->name, old->pub.id);
			}
			if (error < 0)
				error = REGIT_EINVALID;
		}
	}
	regit_store_commits_dispose(&chain);
	return error;
}
