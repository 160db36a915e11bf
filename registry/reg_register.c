/*
 * reg_register.c - registering a schema: the plan (mode, idempotence, the id
 * and version number, compatibility and lint, tombstones of soft-deleted
 * copies, the files), its apply to the index, and group commit: callers
 * queue, a leader runs everything queued as one transaction (txn.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry_internal.h"
#include "registry/txn.h"
#include "store/store.h"
#include "util/error.h"

/* What the plan of a registration decided (kept after the transaction: the result). */
typedef struct register_plan {
	int id, version, new_id, next_id;
	int existed;
	int64_t ts;
	reg_version *tombstones[64];
	size_t ntomb;
	regit_store_oid avsc_oid, meta_oid;
} register_plan;

/*
 * One registration: the request, waiting for (or being processed in) a
 * batch, and everything its plan uses and decides.
 */
typedef struct reg_job {
	const regit_register_request *req;
	int done;
	int64_t arrived_ms;             /* bounds its wait for the store */
	struct reg_job *next;
	reg_txn_op op;                  /* rc and err: the caller's outcome */
	/* per attempt */
	register_plan rp;
	reg_compat_run c;
	reg_req_schema rs;
	/* parsed before queueing (requests without references) */
	reg_req_schema pre;
	int pre_normalize;
	int linted;                     /* an earlier plan counted and warned its lint */
} reg_job;

/*
 * Plan a registration (the engine's plan, reg_txn_kind): its policy against
 * idx and the registrations planned before it in the batch (o), the id and
 * version it gets, and its files.
 */
static int register_plan_make(reg_plan *p, void *state, regit_registry *reg,
	const reg_index *idx, reg_overlay *o)
{
	reg_job *j = state;
	const regit_register_request *req = j->req;
	register_plan *rp = &j->rp;
	reg_compat_run *c = &j->c;
	reg_req_schema *rs = &j->rs, *pre = &j->pre;
	const reg_subject *s = reg_find_subject(idx, req->subject);
	const reg_schema *same;
	reg_effective eff;
	regit_mode mode;
	size_t i;
	int error, max;
	regit_buf *avsc, *meta;

	memset(rp, 0, sizeof(*rp));
	error = reg_check_subject(req->subject);
	if (error < 0)
		return error;
	mode = reg_effective_mode(idx, s);
	if (reg_mode_readonly(mode))
		return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
			"Subject %.200s is in read-only mode", req->subject);
	if (req->id > 0 && mode != REGIT_MODE_IMPORT)
		return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
			"Subject %.200s is not in import mode", req->subject);
	if (req->id <= 0 && mode != REGIT_MODE_READWRITE)
		return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
			"Subject %.200s is not in read-write mode", req->subject);
	if (req->id < 0 || req->version < 0)
		return reg_fail(REGIT_SR_INVALID_SCHEMA, "Invalid id or version");

	reg_effective_config(&eff, reg, idx, s);
	if (pre->parsed && j->pre_normalize == (req->normalize || eff.normalize)) {
		/* Parsed by the caller's thread while waiting (see
		 * regit_registry_register); taken over, used once. */
		*rs = *pre;
		memset(pre, 0, sizeof(*pre));
	} else {
		error = reg_req_schema_load(rs, reg, idx, req, req->normalize || eff.normalize, 1);
		if (error < 0)
			return error;
	}

	/* Already a live version of this subject (or planned in this batch): idempotent. */
	for (i = 0; i < o->n; i++) {
		const reg_overlay_add *a = &o->adds[i];

		if (strcmp(a->subject, req->subject) != 0 || a->rs->key.size != rs->key.size ||
				memcmp(a->rs->key.ptr, rs->key.ptr, rs->key.size) != 0)
			continue;
		rp->existed = 1;
		rp->id = a->id;
		rp->version = a->version;
		p->noop = 1;
		return 0;
	}
	for (i = 0; s && i < s->nversions; i++) {
		const reg_version *v = s->versions[i];

		if (v->pub.deleted || !reg_version_key_eq(v, rs))
			continue;
		if (mode == REGIT_MODE_IMPORT && req->version && req->version != v->pub.version)
			continue;
		if (req->id > 0 && req->id != v->pub.id)
			continue;
		rp->existed = 1;
		rp->id = v->pub.id;
		rp->version = v->pub.version;
		p->noop = 1;
		return 0;
	}

	/* The id: imported, reused (same schema anywhere), or new. */
	same = reg_index_identity(idx, rs->key.ptr, rs->key.size, rs->hash);
	rp->next_id = o->next_id;
	if (req->id > 0) {
		const reg_schema *taken = reg_index_schema(idx, req->id);

		if (taken && (taken->key_len != rs->key.size ||
				memcmp(taken->key, rs->key.ptr, rs->key.size) != 0))
			return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
				"Overwrite new schema with id %d is not permitted", req->id);
		for (i = 0; i < o->n; i++)
			if (o->adds[i].id == req->id && (o->adds[i].rs->key.size != rs->key.size ||
					memcmp(o->adds[i].rs->key.ptr, rs->key.ptr, rs->key.size) != 0))
				return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
					"Overwrite new schema with id %d is not permitted", req->id);
		rp->id = req->id;
		if (req->id >= rp->next_id) {
			if (req->id == 0x7fffffff)
				return reg_fail(REGIT_SR_INVALID_SCHEMA, "Id out of range");
			rp->next_id = req->id + 1;
		}
	} else if (same) {
		rp->id = same->pub.id;
	} else {
		for (i = 0; i < o->n && !rp->id; i++)
			if (o->adds[i].rs->key.size == rs->key.size &&
					memcmp(o->adds[i].rs->key.ptr, rs->key.ptr, rs->key.size) == 0)
				rp->id = o->adds[i].id;
		if (!rp->id) {
			if (o->next_id >= 0x7fffffff)
				return reg_fail(REGIT_SR_STORE_ERROR, "Schema ids exhausted");
			rp->id = o->next_id;
			rp->next_id = o->next_id + 1;
			rp->new_id = 1;
		}
	}

	/* Compatibility with the live versions, unless forced or importing. */
	if (!req->force && mode != REGIT_MODE_IMPORT) {
		c->level = eff.level;
		c->strict = eff.strict;
		error = reg_live_versions_desc(c, s, o, req->subject);
		if (error < 0)
			return reg_fail_internal(error);
		error = reg_compat_check(c, idx, reg, rs->parsed->schema);
		if (error < 0)
			return error;
		if (!c->result.compatible) {
			atomic_fetch_add(&reg->rejections, 1);
			return reg_compat_reject(c, req->subject, 0);
		}
		/* The lint policy, like the compatibility policy, is spared on
		 * purpose by force=true and IMPORT mode. */
		error = reg_lint_apply(reg, eff.lint, rs->parsed->schema, req->subject, 0,
			!j->linted);
		j->linted = 1;
		if (error < 0)
			return error;
	}

	/* The version number. */
	max = reg_subject_max_version(s);
	for (i = 0; i < o->n; i++)
		if (strcmp(o->adds[i].subject, req->subject) == 0 && o->adds[i].version > max)
			max = o->adds[i].version;
	if (mode == REGIT_MODE_IMPORT && req->version > 0) {
		int taken = reg_subject_version(s, req->version) != NULL;

		for (i = 0; i < o->n; i++)
			taken |= strcmp(o->adds[i].subject, req->subject) == 0 &&
				o->adds[i].version == req->version;
		if (taken)
			return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
				"Version %d of subject %.200s already exists", req->version, req->subject);
		rp->version = req->version;
	} else {
		if (max >= REG_MAX_VERSION)
			return reg_fail(REGIT_SR_INVALID_SCHEMA, "Version numbers exhausted");
		if (req->version > 0 && req->version != max + 1)
			return reg_fail(REGIT_SR_INVALID_SCHEMA,
				"Version %d is not one more than the previous version %d", req->version, max);
		rp->version = max + 1;
	}

	/* Soft-deleted versions of the same id in this subject are tombstoned. */
	for (i = 0; s && i < s->nversions; i++) {
		reg_version *v = s->versions[i];

		if (!v->pub.deleted || v->pub.id != rp->id)
			continue;
		if (reg_referrer(idx, s->name, v->pub.version, 1))
			continue;
		if (rp->ntomb < sizeof(rp->tombstones) / sizeof(*rp->tombstones))
			rp->tombstones[rp->ntomb++] = v;
	}

	/* The files. */
	rp->ts = reg_now_ms();
	avsc = reg_plan_buf(p);
	error = regit_buf_put(avsc, rs->pretty.ptr, rs->pretty.size);
	if (error == 0) {
		reg_subject fake_s;
		reg_version fake_v;

		memset(&fake_s, 0, sizeof(fake_s));
		memset(&fake_v, 0, sizeof(fake_v));
		fake_s.name = (char *)req->subject;
		fake_s.name_len = strlen(req->subject);
		fake_v.subject = &fake_s;
		fake_v.pub.version = rp->version;
		fake_v.pub.id = rp->id;
		fake_v.pub.ts = rp->ts;
		fake_v.refs = rs->refs;
		fake_v.nrefs = rs->nrefs;
		meta = reg_plan_buf(p);
		error = reg_meta_version_write(meta, &fake_v);
		if (error == 0)
			error = regit_store_blob_oid(&rp->avsc_oid, avsc->ptr, avsc->size);
		if (error == 0)
			error = regit_store_blob_oid(&rp->meta_oid, meta->ptr, meta->size);
		if (error == 0) {
			char file[32];

			snprintf(file, sizeof(file), "v%d.avsc", rp->version);
			error = reg_plan_put_subject(p, req->subject, file, avsc);
			snprintf(file, sizeof(file), "v%d.json", rp->version);
			if (error == 0)
				error = reg_plan_put_subject(p, req->subject, file, meta);
		}
	}
	for (i = 0; i < rp->ntomb && error == 0; i++) {
		char file[32];

		snprintf(file, sizeof(file), "v%d.avsc", rp->tombstones[i]->pub.version);
		error = reg_plan_put_subject(p, req->subject, file, NULL);
		snprintf(file, sizeof(file), "v%d.json", rp->tombstones[i]->pub.version);
		if (error == 0)
			error = reg_plan_put_subject(p, req->subject, file, NULL);
	}
	if (error == 0)
		error = reg_plan_root(p, o->has_root, o->next_id, rp->next_id);
	if (error < 0)
		return reg_fail_internal(error);
	snprintf(p->message, sizeof(p->message), "register %.300s v%d (id %d)",
		req->subject, rp->version, rp->id);

	/* Later registrations of this batch see this one. */
	o->adds[o->n].subject = req->subject;
	o->adds[o->n].version = rp->version;
	o->adds[o->n].id = rp->id;
	o->adds[o->n].rs = rs;
	o->n++;
	o->has_root = 1;
	if (rp->next_id > o->next_id)
		o->next_id = rp->next_id;
	return 0;
}

/* Apply a committed registration to the index (under the write lock). */
static int register_apply(reg_index *idx, const register_plan *rp, const reg_req_schema *rs,
	const char *subject)
{
	reg_subject *s = NULL;
	reg_version *v = NULL;
	reg_schema *existing = reg_index_schema(idx, rp->id);
	reg_text *text;
	size_t i;
	int error;

	text = existing ? reg_text_ref(existing->text) : reg_text_new(rs->text.ptr, rs->text.size);
	if (!text)
		return REGIT_ENOMEM;
	error = reg_index_subject_add(&s, idx, subject, strlen(subject));
	if (error == 0)
		error = reg_index_add_version(&v, idx, s, rp->version, rp->id, text, rs->refs,
			rs->nrefs, 0, rp->ts);
	reg_text_unref(text);
	if (error < 0) {
		if (s)
			reg_index_subject_prune(idx, s);
		return error;
	}
	v->avsc_oid = rp->avsc_oid;
	v->meta_oid = rp->meta_oid;
	v->has_oids = 1;
	for (i = 0; i < rp->ntomb; i++)
		reg_index_remove_version(idx, rp->tombstones[i]);
	reg_index_note_root(idx, rp->next_id);
	return 0;
}

/* ---- group commit -------------------------------------------------------------- */

static int register_txn_apply(reg_index *idx, void *state)
{
	reg_job *j = state;

	return register_apply(idx, &j->rp, &j->rs, j->req->subject);
}

static void register_txn_reset(void *state)
{
	reg_job *j = state;

	reg_compat_run_dispose(&j->c);
	reg_req_schema_dispose(&j->rs);
}

static const reg_txn_kind register_kind = {
	register_plan_make, register_txn_apply, register_txn_reset
};

/*
 * The leader plans a whole batch on one thread, so the parse of each new
 * schema (three parses and two prints, see reg_req_schema_load) is done first
 * on the caller's own thread, in parallel with other callers and with the
 * leader's disk waits. Only requests without references: their parse does
 * not depend on the index, except for the normalize setting, which the
 * leader compares with the one in force when it plans (else it parses
 * again). A failed parse is simply redone by the leader, which reports it.
 */
static void register_preparse(regit_registry *reg, reg_job *job)
{
	reg_effective eff;
	int normalize;

	if (job->req->nrefs || !job->req->schema || !job->req->subject)
		return;
	pthread_rwlock_rdlock(&reg->rw);
	reg_effective_config(&eff, reg, reg->idx, reg_find_subject(reg->idx, job->req->subject));
	pthread_rwlock_unlock(&reg->rw);
	normalize = job->req->normalize || eff.normalize;
	/* References are none, so the index is not consulted: a concurrent
	 * batch may replace it meanwhile. */
	if (reg_req_schema_load(&job->pre, reg, NULL, job->req, normalize, 1) < 0) {
		/* ignored: the leader parses it again and reports it */
		reg_err_init();
		reg_req_schema_dispose(&job->pre);
		return;
	}
	job->pre_normalize = normalize;
}

/* The leader's batch: jobs taken off the queue, their ops beside them. */
typedef struct register_batch {
	regit_registry *reg;
	reg_job **jobs;                 /* room for REG_MAX_BATCH */
} register_batch;

/* Move queued jobs into the batch after its first n. Caller holds qlock. */
static size_t register_batch_take(register_batch *b, reg_txn_op **ops, size_t n)
{
	regit_registry *reg = b->reg;

	while (reg->qhead && n < REG_MAX_BATCH) {
		b->jobs[n] = reg->qhead;
		ops[n] = &reg->qhead->op;
		n++;
		reg->qhead = reg->qhead->next;
	}
	if (!reg->qhead)
		reg->qtail = &reg->qhead;
	return n;
}

/* reg_txn_grow: after a lost race, the jobs queued meanwhile join. */
static size_t register_batch_grow(void *ctx, reg_txn_op **ops, size_t n)
{
	register_batch *b = ctx;

	pthread_mutex_lock(&b->reg->qlock);
	n = register_batch_take(b, ops, n);
	pthread_mutex_unlock(&b->reg->qlock);
	return n;
}

/*
 * A replica whose push just landed lets its rivals have a turn before its
 * next batch (reg_upstream_courtesy); what queues meanwhile joins that
 * batch, so the wait costs little throughput. Caller holds qlock (the
 * condition wait releases it, so callers keep queueing).
 */
static void register_courtesy_wait(regit_registry *reg)
{
	int64_t left, now;

	while ((left = reg_upstream_courtesy(reg->up, now = reg_now_ms())) > 0)
		reg_cond_wait_until(&reg->qcond, &reg->qlock, now + left);
}

/*
 * Registrations are group-committed. A caller queues its job; whoever
 * finds no batch running becomes the leader, takes everything queued (up
 * to REG_MAX_BATCH), runs it as one transaction, and wakes the others.
 * Each registration is still its own commit; the batch shares the fsyncs
 * and the ref update, so concurrent registrations cost about one commit's
 * latency together.
 */
int regit_registry_register(regit_registry *reg, const regit_register_request *req,
	regit_register_result *out)
{
	reg_job job;
	regit_error_saved outcome;

	reg_err_init();
	memset(out, 0, sizeof(*out));
	if (reg_reading(reg))
		return reg_fail(REGIT_SR_STORE_ERROR, "write inside a read section");
	memset(&job, 0, sizeof(job));
	job.arrived_ms = reg_now_ms();
	job.req = req;
	job.op.kind = &register_kind;
	job.op.state = &job;
	job.op.author = req->author;
	job.op.err = &outcome;
	register_preparse(reg, &job);

	pthread_mutex_lock(&reg->qlock);
	/* The job lives on this stack while it is queued: this call returns
	 * only once a leader has taken it off the queue (job.done), so the
	 * queue never holds a dead frame. */
	/* cppcheck-suppress autoVariables */
	*reg->qtail = &job;
	/* cppcheck-suppress autoVariables */
	reg->qtail = &job.next;
	while (!job.done) {
		reg_job *batch[REG_MAX_BATCH];
		reg_txn_op *ops[REG_MAX_BATCH];
		register_batch b = { reg, batch };
		reg_txn_grow grow = { register_batch_grow, &b };
		size_t n, i;
		int werr;

		if (reg->leader) {
			pthread_cond_wait(&reg->qcond, &reg->qlock);
			continue;
		}
		reg->leader = 1;
		/* Only under sustained load (others queued besides this job,
		 * or the last batch carried several): a lone client's next
		 * write goes at once. */
		if (reg->up && (reg->qhead->next || reg->qlast > 1))
			register_courtesy_wait(reg);
		n = register_batch_take(&b, ops, 0);
		pthread_mutex_unlock(&reg->qlock);

		/* The store waits no longer than the batch's first job may. */
		werr = reg_write_enter_until(reg, batch[0]->arrived_ms + REG_WRITE_WAIT_MS);
		if (werr == 0) {
			reg_txn_run(reg, ops, &n, &grow);
			reg_write_leave(reg);
		}
		for (i = 0; werr < 0 && i < n; i++) {
			ops[i]->rc = werr;
			regit_error_save(ops[i]->err);
		}

		pthread_mutex_lock(&reg->qlock);
		reg->qlast = n;
		for (i = 0; i < n; i++)
			batch[i]->done = 1;
		reg->leader = 0;
		pthread_cond_broadcast(&reg->qcond);
	}
	pthread_mutex_unlock(&reg->qlock);
	reg_req_schema_dispose(&job.pre);
	/* the leader (maybe another thread) kept this job's error for it */
	if (job.op.rc < 0)
		regit_error_restore(&outcome);
	if (job.op.rc == 0) {
		out->id = job.rp.id;
		out->version = job.rp.version;
		out->existed = job.rp.existed;
	}
	return job.op.rc;
}
