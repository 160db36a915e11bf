/*
 * txn.c - the write-transaction engine (txn.h): plans (the files one
 * operation changes, the root files every write keeps current), the overlay
 * of a batch, and the plan/commit/apply loop every write goes through:
 * reg_txn_run plans a batch, commits it through the store in one step
 * (txn_commit: the one place a write reaches the store), applies it to the
 * index, and on a lost compare-and-swap reloads and plans again.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry/layout.h"
#include "registry/registry_internal.h"
#include "registry/txn.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"

static const char STORE_README[] =
	"# regit schema registry store\n"
	"\n"
	"Written by `regit serve`; every change is one commit.\n"
	"\n"
	"- `subjects/<subject>/v<N>.avsc` - version N of a subject, pretty-printed\n"
	"- `subjects/<subject>/v<N>.json` - its id, soft-delete flag, timestamp, references\n"
	"  and `seal` (written by a registry; versions pushed by hand are checked for\n"
	"  compatibility before they are served)\n"
	"- `subjects/<subject>/config.json`, `mode.json` - subject config and mode\n"
	"- `config.json`, `mode.json` - global config and mode\n"
	"- `regit.json` - the next schema id\n"
	"\n"
	"Subject names are percent-encoded: bytes outside `[A-Za-z0-9_.-]` (and a\n"
	"leading `.`) become `%XX`.\n";

/*
 * Record how a commit ended for /health and /metrics: a full disk
 * (REGIT_ENOSPC) makes the registry "degraded" until a commit succeeds,
 * so freeing space needs no restart. Other failures leave the flag alone:
 * they say nothing about the disk.
 */
static void note_write(regit_registry *reg, int error)
{
	if (error == 0) {
		atomic_store(&reg->disk_full, 0);
	} else if (error == REGIT_ENOSPC) {
		atomic_fetch_add(&reg->nospace_failures, 1);
		if (!atomic_exchange(&reg->disk_full, 1))
			atomic_store(&reg->disk_full_since, (int_fast64_t)time(NULL));
	}
}

/* ---- plans ----------------------------------------------------------------- */

void reg_plan_dispose(reg_plan *p)
{
	size_t i;

	for (i = 0; i < p->nbufs; i++)
		regit_buf_dispose(&p->bufs[i]);
	for (i = 0; i < p->nmany_paths; i++)
		regit_free(p->many_paths[i]);
	regit_free(p->many_paths);
	regit_free(p->many);
	regit_free(p->all);
	memset(p, 0, sizeof(*p));
}

regit_buf *reg_plan_buf(reg_plan *p)
{
	regit_buf *b = &p->bufs[p->nbufs++];

	regit_buf_init(b, REGIT_BUF_DEFAULT_MAX);
	return b;
}

int reg_plan_put(reg_plan *p, const char *path, const regit_buf *content)
{
	regit_store_change *c;

	if (p->nchanges >= sizeof(p->changes) / sizeof(*p->changes))
		return REGIT_ELIMIT;
	c = &p->changes[p->nchanges];
	snprintf(p->paths[p->nchanges], sizeof(p->paths[0]), "%s", path);
	c->path = p->paths[p->nchanges];
	c->data = content ? content->ptr : NULL;
	c->len = content ? content->size : 0;
	c->remove = content ? 0 : 1;
	p->nchanges++;
	return 0;
}

int reg_plan_put_subject(reg_plan *p, const char *subject, const char *file,
	const regit_buf *content)
{
	char path[REGIT_LAYOUT_MAX_COMPONENT + 32];
	int error = reg_subject_path(path, sizeof(path), subject, file);

	if (error == 0)
		error = reg_plan_put(p, path, content);
	return error;
}

/* Grow the plan's dynamic change list by n entries (paths owned by the plan). */
int reg_plan_many_reserve(reg_plan *p, size_t n)
{
	regit_store_change *c = regit_reallocarray(p->many, p->nmany + n, sizeof(*c));
	char **paths;

	if (!c)
		return REGIT_ENOMEM;
	p->many = c;
	paths = regit_reallocarray(p->many_paths, p->nmany_paths + n, sizeof(*paths));
	if (!paths)
		return REGIT_ENOMEM;
	p->many_paths = paths;
	return 0;
}

int reg_plan_many_add(reg_plan *p, char *path_taken, const void *data, size_t len, int remove)
{
	regit_store_change *c = &p->many[p->nmany++];

	p->many_paths[p->nmany_paths++] = path_taken;
	c->path = path_taken;
	c->data = data;
	c->len = len;
	c->remove = remove;
	return 0;
}

/* Root files every write keeps current: the README and regit.json. */
int reg_plan_root(reg_plan *p, int has_root, int cur_next_id, int next_id)
{
	regit_buf *b;
	int error = 0;

	if (!has_root) {
		b = reg_plan_buf(p);
		error = regit_buf_puts(b, STORE_README);
		if (error == 0)
			error = reg_plan_put(p, "README.md", b);
	}
	if (error == 0 && (!has_root || next_id != cur_next_id)) {
		b = reg_plan_buf(p);
		error = reg_meta_root_write(b, next_id);
		if (error == 0)
			error = reg_plan_put(p, "regit.json", b);
	}
	return error;
}

/* ---- the overlay and the apply ---------------------------------------------- */

static void overlay_init(reg_overlay *o, const reg_index *idx)
{
	o->n = 0;
	o->next_id = reg_index_next_id(idx);
	o->has_root = reg_index_has_root(idx);
}

/*
 * Finish a committed write (caller holds wlock, not rw): apply it to the
 * index and point the index at the new head. When applying fails (out of
 * memory) the index no longer matches the store, so it is rebuilt from the
 * store instead; the write itself succeeded either way.
 */
static void apply_write(regit_registry *reg, const char *head, reg_apply_fn fn, void *payload)
{
	regit_registry_error ignored;
	int error;

	pthread_rwlock_wrlock(&reg->rw);
	error = fn(reg->idx, payload);
	if (error == 0)
		reg_index_set_head(reg->idx, head);
	/* Even a failed apply may have changed the index: what was derived
	 * from it per generation (the parse memo) must not be reused. */
	atomic_fetch_add(&reg->generation, 1);
	pthread_rwlock_unlock(&reg->rw);
	/* Not fsynced: our own commits need no check at the next start, so
	 * a served ref a power loss set back only costs that start a longer
	 * range to check (kill -9 keeps it: the page cache survives). */
	reg_served_advance(reg, head, 0);
	if (error < 0) {
		reg->stale = 1;
		(void)reg_reload_locked(reg, 1, &ignored);
	}
}

/* ---- the write-transaction engine --------------------------------------------- */

/* After a lost race: wait a little (the winner may still hold the ref
 * lock), then reload from whatever the head is now. */
static int after_conflict(regit_registry *reg, int attempt, regit_registry_error *err)
{
	/*
	 * A second lost race means another writer keeps the store busy (a
	 * second server on it): take the writers' lock before reloading and
	 * keep it until this write is done (writes_done), so the next attempt
	 * plans on a head nobody else can move. Without it a slower process
	 * could lose every attempt to a faster one.
	 */
	if (attempt > 0)
		regit_store_lock_writers(reg->store);
	return reg_reload_locked(reg, 0, err);
}

/* End of a write that may have taken the writers' lock in after_conflict. */
static void writes_done(regit_registry *reg)
{
	regit_store_unlock_writers(reg->store);
}

static void txn_op_reset(reg_txn_op *op)
{
	if (op->kind->reset)
		op->kind->reset(op->state);
	reg_plan_dispose(&op->p);
	op->planned = 0;
	op->rc = 0;
	reg_err_init(op->err);
}

/* The commit of a plan: its files in one list (p->many, then p->changes). */
static int plan_spec(regit_store_commit_spec *out, reg_plan *p, const char *author)
{
	out->changes = p->changes;
	out->nchanges = p->nchanges;
	if (p->nmany) {
		p->all = regit_calloc(p->nmany + p->nchanges, sizeof(*p->all));
		if (!p->all)
			return REGIT_ENOMEM;
		memcpy(p->all, p->many, p->nmany * sizeof(*p->all));
		memcpy(p->all + p->nmany, p->changes, p->nchanges * sizeof(*p->all));
		out->changes = p->all;
		out->nchanges = p->nmany + p->nchanges;
	}
	out->message = p->message;
	out->author = author;
	return 0;
}

/*
 * The commit step: the planned change sets as a chain of commits on top of
 * the index's head, published with one compare-and-swap. Every write goes
 * through here (replication's push to upstream belongs here too).
 */
static int txn_commit(regit_registry *reg, const regit_store_commit_spec *specs, size_t n,
	char head[REGIT_STORE_OID_HEX])
{
	int error = regit_store_commit_chain(head, reg->store, reg_index_head(reg->idx), specs,
		n);

	note_write(reg, error);
	if (error == 0)
		atomic_fetch_add(&reg->commits, n);
	return error;
}

typedef struct txn_batch {
	reg_txn_op **ops;
	size_t n;
} txn_batch;

static int txn_apply_fn(reg_index *idx, void *payload)
{
	txn_batch *b = payload;
	size_t i;
	int error = 0;

	for (i = 0; i < b->n && error == 0; i++)
		if (b->ops[i]->planned)
			error = b->ops[i]->kind->apply(idx, b->ops[i]->state);
	return error;
}

/*
 * Run a write transaction of n (<= REG_MAX_BATCH) operations: plan each
 * against the index and the operations planned before it, commit one
 * commit per operation that changes something as a chain with a single
 * compare-and-swap, then apply them all. A lost race reloads and re-plans
 * the whole batch on the new head, REG_MAX_ATTEMPTS times at most. An
 * operation whose plan fails fails alone; a failed commit fails every
 * operation that had a commit in it. Each op's rc and err say how it
 * went. Caller holds wlock.
 */
void reg_txn_run(regit_registry *reg, reg_txn_op **ops, size_t n)
{
	regit_store_commit_spec specs[REG_MAX_BATCH];
	reg_overlay *o = NULL;
	char head[REGIT_STORE_OID_HEX];
	size_t i, nspecs;
	int attempt, error = 0;

	o = regit_calloc(1, sizeof(*o));
	if (!o) {
		for (i = 0; i < n; i++)
			ops[i]->rc = reg_fail_internal(ops[i]->err, REGIT_ENOMEM);
		return;
	}
	for (attempt = 0; attempt < REG_MAX_ATTEMPTS; attempt++) {
		overlay_init(o, reg->idx);
		nspecs = 0;
		for (i = 0; i < n; i++) {
			reg_txn_op *op = ops[i];

			txn_op_reset(op);
			op->rc = op->kind->plan(&op->p, op->state, reg, reg->idx, o, op->err);
			if (op->rc < 0 || op->p.noop)
				continue;
			op->rc = plan_spec(&specs[nspecs], &op->p, op->author);
			if (op->rc < 0) {
				op->rc = reg_fail_internal(op->err, op->rc);
				continue;
			}
			op->planned = 1;
			nspecs++;
		}
		/* nothing to commit, also after a lost race (the winner wrote
		 * the same): no error left over from that race */
		if (nspecs == 0) {
			error = 0;
			break;
		}
		error = txn_commit(reg, specs, nspecs, head);
		if (error == 0) {
			txn_batch b = { ops, n };

			apply_write(reg, head, txn_apply_fn, &b);
			break;
		}
		if (error != REGIT_ECONFLICT)
			break;
		error = after_conflict(reg, attempt, ops[0]->err);
		if (error < 0)
			break;
		error = REGIT_ECONFLICT;
	}
	writes_done(reg);
	for (i = 0; i < n; i++) {
		reg_txn_op *op = ops[i];

		/* A failed commit fails everything that waited for it. */
		if (error < 0 && op->rc == 0) {
			if (error == REGIT_ECONFLICT)
				op->rc = reg_fail(op->err, REGIT_SR_STORE_ERROR,
					"Too much write contention on the store");
			else if (op != ops[0] || op->err->code == 0)
				op->rc = reg_fail_internal(op->err, error);
			else
				op->rc = error;
		}
		if (op->kind->reset)
			op->kind->reset(op->state);
		reg_plan_dispose(&op->p);
	}
	regit_free(o);
}

/* A single write (delete, config, mode): a transaction of one operation. */
int reg_txn_write(regit_registry *reg, const reg_txn_kind *kind, void *state,
	const char *author, regit_registry_error *err)
{
	reg_txn_op op, *ops = &op;
	int error;

	error = reg_write_enter(reg, err);
	if (error < 0)
		return error;
	memset(&op, 0, sizeof(op));
	op.kind = kind;
	op.state = state;
	op.author = author;
	op.err = err;
	reg_txn_run(reg, &ops, 1);
	reg_write_leave(reg);
	return op.rc;
}
