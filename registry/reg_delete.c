/*
 * reg_delete.c - soft and hard deletes of a version or a whole subject,
 * each one write transaction (txn.h).
 */
#include <stdio.h>
#include <string.h>

#include "registry/layout.h"
#include "registry/registry_internal.h"
#include "registry/txn.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"

/* Rewrite a version's metadata with a new deleted flag. */
static int plan_meta(reg_plan *p, regit_buf *buf, const reg_version *v, int deleted,
	regit_store_oid *oid, char *path, size_t pathlen)
{
	reg_version copy = *v;
	int error;

	copy.pub.deleted = deleted;
	error = reg_meta_version_write(buf, &copy);
	if (error == 0)
		error = regit_store_blob_oid(oid, buf->ptr, buf->size);
	if (error == 0) {
		char file[32];

		snprintf(file, sizeof(file), "v%d.json", v->pub.version);
		error = reg_subject_path(path, pathlen, v->subject->name, file);
	}
	(void)p;
	return error;
}

/* ---- delete version ----------------------------------------------------------- */

typedef struct delete_state {
	const char *subject;
	int version;
	int permanent;
	/* planned */
	int resolved;                   /* the version number deleted */
	reg_version *target;
	reg_version **targets;          /* subject delete */
	size_t ntargets;
	int drop_settings;
	regit_store_oid *oids;          /* new metadata blob ids (soft) */
	regit_buf *bufs;
	size_t nbufs;
} delete_state;

static void delete_state_reset(delete_state *d)
{
	size_t i;

	for (i = 0; i < d->nbufs; i++)
		regit_buf_dispose(&d->bufs[i]);
	regit_free(d->bufs);
	regit_free(d->oids);
	regit_free(d->targets);
	d->bufs = NULL;
	d->nbufs = 0;
	d->oids = NULL;
	d->targets = NULL;
	d->ntargets = 0;
	d->target = NULL;
	d->drop_settings = 0;
}

/* Plan the removal (hard) or the deleted flag (soft) of d->targets. */
static int plan_delete_targets(reg_plan *p, delete_state *d)
{
	size_t i, per = d->permanent ? 2 : 1;
	int error;

	d->oids = regit_calloc(d->ntargets ? d->ntargets : 1, sizeof(*d->oids));
	d->bufs = regit_calloc(d->ntargets ? d->ntargets : 1, sizeof(*d->bufs));
	if (!d->oids || !d->bufs)
		return REGIT_ENOMEM;
	error = reg_plan_many_reserve(p, d->ntargets * per);
	for (i = 0; i < d->ntargets && error == 0; i++) {
		const reg_version *v = d->targets[i];
		char *path = regit_malloc(REGIT_LAYOUT_MAX_COMPONENT + 32);
		char file[32];

		if (!path)
			return REGIT_ENOMEM;
		if (!d->permanent) {
			regit_buf_init(&d->bufs[i], REG_MAX_META_SIZE);
			d->nbufs = i + 1;
			error = plan_meta(p, &d->bufs[i], v, 1, &d->oids[i], path,
				REGIT_LAYOUT_MAX_COMPONENT + 32);
			if (error < 0) {
				regit_free(path);
				return error;
			}
			reg_plan_many_add(p, path, d->bufs[i].ptr, d->bufs[i].size, 0);
			continue;
		}
		snprintf(file, sizeof(file), "v%d.avsc", v->pub.version);
		error = reg_subject_path(path, REGIT_LAYOUT_MAX_COMPONENT + 32, v->subject->name, file);
		if (error < 0) {
			regit_free(path);
			return error;
		}
		reg_plan_many_add(p, path, NULL, 0, 1);
		path = regit_malloc(REGIT_LAYOUT_MAX_COMPONENT + 32);
		if (!path)
			return REGIT_ENOMEM;
		snprintf(file, sizeof(file), "v%d.json", v->pub.version);
		error = reg_subject_path(path, REGIT_LAYOUT_MAX_COMPONENT + 32, v->subject->name, file);
		if (error < 0) {
			regit_free(path);
			return error;
		}
		reg_plan_many_add(p, path, NULL, 0, 1);
	}
	if (error == 0 && d->drop_settings) {
		error = reg_plan_put_subject(p, d->subject, "config.json", NULL);
		if (error == 0)
			error = reg_plan_put_subject(p, d->subject, "mode.json", NULL);
	}
	return error;
}

static int delete_version_make(reg_plan *p, void *state, regit_registry *reg,
	const reg_index *idx, reg_overlay *o)
{
	delete_state *d = state;
	const reg_subject *s = reg_find_subject(idx, d->subject);
	reg_version *v;
	int error;

	(void)reg;
	(void)o;
	delete_state_reset(d);
	if (!s || s->nversions == 0)
		return reg_fail(REGIT_SR_SUBJECT_NOT_FOUND, "Subject '%.200s' not found.", d->subject);
	if (d->version == REGIT_VERSION_LATEST)
		v = reg_subject_latest(s, 0);
	else
		v = reg_subject_version(s, d->version);
	if (!v)
		return reg_fail(REGIT_SR_VERSION_NOT_FOUND,
			"Version %d not found.", d->version);
	if (reg_mode_readonly(reg_effective_mode(idx, s)))
		return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
			"Subject %.200s is in read-only mode", d->subject);
	if (!d->permanent && v->pub.deleted)
		return reg_fail(REGIT_SR_VERSION_SOFT_DELETED,
			"Subject '%.200s' Version %d was soft deleted. Set permanent=true to delete permanently",
			d->subject, v->pub.version);
	if (d->permanent && !v->pub.deleted)
		return reg_fail(REGIT_SR_VERSION_NOT_SOFT_DELETED,
			"Subject '%.200s' Version %d was not deleted first before being permanently deleted",
			d->subject, v->pub.version);
	if (reg_referrer(idx, s->name, v->pub.version, d->permanent))
		return reg_fail(REGIT_SR_REFERENCE_EXISTS,
			"One or more references exist to the schema {subject=%.200s, version=%d}",
			d->subject, v->pub.version);
	d->target = v;
	d->resolved = v->pub.version;
	d->targets = regit_calloc(1, sizeof(*d->targets));
	if (!d->targets)
		return reg_fail_internal(REGIT_ENOMEM);
	d->targets[0] = v;
	d->ntargets = 1;
	d->drop_settings = d->permanent && s->nversions == 1;
	error = plan_delete_targets(p, d);
	if (error < 0)
		return reg_fail_internal(error);
	snprintf(p->message, sizeof(p->message), "%s %.300s v%d",
		d->permanent ? "hard-delete" : "soft-delete", d->subject, v->pub.version);
	return 0;
}

static int delete_apply_fn(reg_index *idx, void *payload)
{
	delete_state *d = payload;
	reg_subject *s = NULL;
	size_t i;

	for (i = 0; i < d->ntargets; i++) {
		reg_version *v = d->targets[i];

		s = v->subject;
		if (d->permanent) {
			reg_index_remove_version(idx, v);
		} else {
			reg_index_set_deleted(idx, v, 1);
			v->meta_oid = d->oids[i];
		}
	}
	if (s && d->drop_settings) {
		s->has_config = 0;
		s->has_mode = 0;
	}
	if (s)
		reg_index_subject_prune(idx, s);
	return 0;
}

static const reg_txn_kind delete_version_kind = { delete_version_make, delete_apply_fn, NULL };

int regit_registry_delete_version(regit_registry *reg, const char *subject,
	int version, int permanent, const char *author, int *out)
{
	delete_state d;
	int error;

	reg_err_init();
	*out = 0;
	if (!subject)
		return reg_fail(REGIT_SR_SUBJECT_NOT_FOUND, "Subject not found.");
	memset(&d, 0, sizeof(d));
	d.subject = subject;
	d.version = version;
	d.permanent = permanent ? 1 : 0;
	error = reg_txn_write(reg, &delete_version_kind, &d, author);
	if (error == 0)
		*out = d.resolved;
	delete_state_reset(&d);
	return error;
}

/* ---- delete subject ------------------------------------------------------------- */

typedef struct delete_subject_state {
	delete_state d;
	int *versions;
	size_t nversions;
} delete_subject_state;

static int delete_subject_make(reg_plan *p, void *state, regit_registry *reg,
	const reg_index *idx, reg_overlay *o)
{
	delete_subject_state *ds = state;
	delete_state *d = &ds->d;
	const reg_subject *s = reg_find_subject(idx, d->subject);
	size_t i, j;
	int error;

	(void)reg;
	(void)o;
	delete_state_reset(d);
	regit_free(ds->versions);
	ds->versions = NULL;
	ds->nversions = 0;
	if (!s || s->nversions == 0)
		return reg_fail(REGIT_SR_SUBJECT_NOT_FOUND, "Subject '%.200s' not found.", d->subject);
	if (reg_mode_readonly(reg_effective_mode(idx, s)))
		return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
			"Subject %.200s is in read-only mode", d->subject);
	if (!d->permanent && s->nlive == 0)
		return reg_fail(REGIT_SR_SUBJECT_SOFT_DELETED,
			"Subject '%.200s' was soft deleted. Set permanent=true to delete permanently",
			d->subject);
	if (d->permanent && s->nlive > 0)
		return reg_fail(REGIT_SR_SUBJECT_NOT_SOFT_DELETED,
			"Subject '%.200s' was not deleted first before being permanently deleted",
			d->subject);
	d->targets = regit_calloc(s->nversions, sizeof(*d->targets));
	ds->versions = regit_calloc(s->nversions, sizeof(*ds->versions));
	if (!d->targets || !ds->versions)
		return reg_fail_internal(REGIT_ENOMEM);
	for (i = 0; i < s->nversions; i++) {
		reg_version *v = s->versions[i];
		const reg_version *ref;

		if (!d->permanent && v->pub.deleted)
			continue;
		/* Referrers from other subjects block the delete. */
		ref = NULL;
		for (j = 0; j < reg_index_nsubjects(idx) && !ref; j++) {
			const reg_subject *o = reg_index_subject_at(idx, j);
			size_t k, m;

			if (o == s)
				continue;
			for (k = 0; k < o->nversions && !ref; k++) {
				const reg_version *w = o->versions[k];

				if (!d->permanent && w->pub.deleted)
					continue;
				for (m = 0; m < w->nrefs; m++)
					if (w->refs[m].version == v->pub.version &&
							strcmp(w->refs[m].subject, s->name) == 0)
						ref = w;
			}
		}
		if (ref)
			return reg_fail(REGIT_SR_REFERENCE_EXISTS,
				"One or more references exist to the schema {subject=%.200s, version=%d}",
				d->subject, v->pub.version);
		d->targets[d->ntargets++] = v;
		ds->versions[ds->nversions++] = v->pub.version;
	}
	d->drop_settings = d->permanent;
	error = plan_delete_targets(p, d);
	if (error < 0)
		return reg_fail_internal(error);
	snprintf(p->message, sizeof(p->message), "%s subject %.300s",
		d->permanent ? "hard-delete" : "soft-delete", d->subject);
	return 0;
}

static int delete_subject_apply_fn(reg_index *idx, void *payload)
{
	delete_subject_state *ds = payload;

	return delete_apply_fn(idx, &ds->d);
}

static const reg_txn_kind delete_subject_kind = {
	delete_subject_make, delete_subject_apply_fn, NULL
};

int regit_registry_delete_subject(regit_registry *reg, const char *subject,
	int permanent, const char *author, int **out, size_t *nout)
{
	delete_subject_state ds;
	int error;

	reg_err_init();
	*out = NULL;
	*nout = 0;
	if (!subject)
		return reg_fail(REGIT_SR_SUBJECT_NOT_FOUND, "Subject not found.");
	memset(&ds, 0, sizeof(ds));
	ds.d.subject = subject;
	ds.d.permanent = permanent ? 1 : 0;
	error = reg_txn_write(reg, &delete_subject_kind, &ds, author);
	delete_state_reset(&ds.d);
	if (error == 0) {
		*out = ds.versions;
		*nout = ds.nversions;
		ds.versions = NULL;
	}
	regit_free(ds.versions);
	return error;
}
