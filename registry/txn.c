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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/layout.h"
#include "registry/registry_internal.h"
#include "registry/txn.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"

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
 * store instead. If that fails too, the write is stored but not served:
 * the index stays at the state before it (flagged stale; the next write
 * or refresh loads it), and the write answers 50001 saying so, never a
 * success its own client could not read back (a retry answers with the
 * same id: registrations and settings are idempotent).
 */
static int apply_write(regit_registry *reg, const char *head, reg_apply_fn fn, void *payload)
{
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
		if (reg_reload_locked(reg, 1) < 0) {
			regit_error_set_code(REGIT_SR_STORE_ERROR, "the write was stored (commit"
				" %.12s) but this server ran out of memory loading it; it is served"
				" after the next reload (within a second), and a retry answers with"
				" its result", head);
			return REGIT_ENOMEM;
		}
	}
	return 0;
}

/* ---- the write-transaction engine --------------------------------------------- */

/* After a lost race: wait a little (the winner may still hold the ref
 * lock), then reload from whatever the head is now. */
static int after_conflict(regit_registry *reg, int attempt, int64_t deadline)
{
	if (reg->up) {
		/*
		 * The loser has just fetched the winner's head, so it may go
		 * again at once; a short jitter (0-5 ms, never past the
		 * deadline) only keeps replicas that lost together from
		 * colliding again. No doubling: a loser that waits longer than
		 * its rivals keeps losing to their next batches (a 0-30 ms
		 * jitter let one replica of three win 1,302 of 1,593 writes in
		 * bench/replicas.sh while another won none); the winner's
		 * courtesy wait (reg_upstream_courtesy) gives it its turn. The local
		 * writers' lock below does not help here (the race is
		 * upstream), so it is not taken.
		 */
		int64_t wait = (int64_t)(rand() % 6);
		int64_t left = deadline - reg_now_ms();
		struct timespec ts;

		(void)attempt;
		if (wait > left)
			wait = left > 0 ? left : 0;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)wait * 1000000L;
		nanosleep(&ts, NULL);
		return reg_reload_locked(reg, 0);
	}
	/*
	 * A second lost race means another writer keeps the store busy (a
	 * second server on it): take the writers' lock before reloading and
	 * keep it until this write is done (writes_done), so the next attempt
	 * plans on a head nobody else can move. Without it a slower process
	 * could lose every attempt to a faster one.
	 */
	if (attempt > 0)
		regit_store_lock_writers(reg->store);
	return reg_reload_locked(reg, 0);
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
	op->err->api_code = 0;
	op->err->set = 0;
	op->err->message[0] = '\0';
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

/* A retry after a lost race starts only with this much of the deadline
 * left. */
#define TXN_MIN_PUSH_MS 100

/* Milliseconds left until deadline (a wall-clock ms time), at least 1. */
static unsigned txn_left_ms(int64_t deadline)
{
	int64_t left = deadline - reg_now_ms();

	return left < 1 ? 1u : (unsigned)left;
}

/*
 * The commit step of a replica (store/README.md, "Meant use by the write
 * path"): commit the chain locally on the index's head, which is the
 * upstream head the plan was made on, then push it as a compare-and-swap
 * expecting that head. Landed: 0, the caller applies and acknowledges.
 * Any other outcome takes the local commits back first (nothing
 * unacknowledged stays on the branch), then: a lost race fetches and puts
 * the branch on the winner's head (REGIT_ECONFLICT: the engine reloads,
 * checks and re-plans it); an unknown outcome (REGIT_EIO after the pack
 * went out) fetches and counts as landed if the upstream holds our tip;
 * an unreachable upstream is REGIT_EBUSY (50002, nothing written); a
 * refusal (REGIT_EPERM: credentials, a hook) fails with the server's words.
 */
static int txn_commit_upstream(regit_registry *reg, const regit_store_commit_spec *specs,
	size_t n, char head[REGIT_STORE_OID_HEX], int64_t deadline)
{
	reg_upstream *u = reg->up;
	char base[REGIT_STORE_OID_HEX], fetched[REGIT_STORE_OID_HEX];
	char why[512];
	int error, fetch_error, refused;

	pthread_mutex_lock(&u->lock);
	refused = u->refused;
	snprintf(why, sizeof(why), "%s", u->message);
	pthread_mutex_unlock(&u->lock);
	if (refused) {
		regit_error_set(REGIT_ERROR_STORE, "upstream refused, writes are off until it holds"
			" the served head again: %s", why);
		return REGIT_EIO;
	}
	memcpy(base, reg_index_head(reg->idx), sizeof(base));
	error = regit_store_commit_chain(head, reg->store, base, specs, n);
	if (error < 0)
		return error;
	error = reg_upstream_push(u, head, base, txn_left_ms(deadline));
	if (error == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", regit_error_message());
	fetch_error = 0;
	fetched[0] = '\0';
	if (error == REGIT_EIO || error == REGIT_ECONFLICT) {
		fetch_error = reg_upstream_fetch(u, u->up, txn_left_ms(deadline), fetched);
		/* It may have landed before the connection broke. */
		if (error == REGIT_EIO && fetch_error == 0 && fetched[0] &&
				regit_store_descends(reg->store, fetched, head) == 1) {
			pthread_mutex_lock(&u->lock);
			u->moves++;     /* as for a push that said so (reg_upstream_push) */
			pthread_mutex_unlock(&u->lock);
			return 0;
		}
	}
	if (regit_upstream_rewind(u->up, head, base) < 0)
		regit_log(REGIT_LOG_WARN, "regit: cannot take back the local commits the upstream"
			" did not take: %s\n", regit_error_message());
	if (error == REGIT_EPERM || error == REGIT_EINVALID) {
		regit_error_set(REGIT_ERROR_STORE, "the upstream refused the write: %s", why);
		return REGIT_EPERM;
	}
	if (fetch_error < 0 && error == REGIT_ECONFLICT) {
		/* It answered the push a moment ago: try again (the deadline
		 * bounds it), on the same base if nothing was fetched. */
		regit_log(REGIT_LOG_WARN, "regit: fetch after a lost race failed: %s\n",
			regit_error_message());
		return REGIT_ECONFLICT;
	}
	if (fetch_error < 0) {
		/* Also what a retry that started just before the deadline gets
		 * (a push with no time left): the message says both. */
		regit_error_set(REGIT_ERROR_STORE, "upstream unreachable or the write's deadline"
			" (%u ms) passed; nothing was written: %s", u->timeout_ms, why);
		return REGIT_EBUSY;
	}
	if (reg_upstream_align(u, u->up, reg->store, fetched, base, reg_upstream_moves(u)) < 0) {
		/* the align's message, as a plain error (no API code) */
		regit_error_set_api_code(0);
		return REGIT_EIO;
	}
	return REGIT_ECONFLICT;
}

/*
 * The commit step: the planned change sets as a chain of commits on top of
 * the index's head, published with one compare-and-swap (and, on a
 * replica, pushed to the upstream as one: txn_commit_upstream). Every
 * write goes through here.
 */
static int txn_commit(regit_registry *reg, const regit_store_commit_spec *specs, size_t n,
	char head[REGIT_STORE_OID_HEX], int64_t deadline)
{
	int error = reg->up ? txn_commit_upstream(reg, specs, n, head, deadline)
		: regit_store_commit_chain(head, reg->store, reg_index_head(reg->idx), specs, n);

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
 * operation that had a commit in it. Each op's rc and err (its saved
 * error) say how it went. Caller holds wlock.
 */
void reg_txn_run(regit_registry *reg, reg_txn_op **ops, size_t *np, const reg_txn_grow *grow)
{
	regit_store_commit_spec specs[REG_MAX_BATCH];
	reg_overlay *o = NULL;
	char head[REGIT_STORE_OID_HEX];
	size_t i, nspecs, n = *np;
	int64_t deadline = 0;
	int attempt, error = 0;

	o = regit_calloc(1, sizeof(*o));
	if (!o) {
		for (i = 0; i < n; i++) {
			ops[i]->rc = reg_fail_internal(REGIT_ENOMEM);
			regit_error_save(ops[i]->err);
		}
		return;
	}
	/* A replica retries lost races until its upstream timeout instead,
	 * while a push still has TXN_MIN_PUSH_MS (one started with a few ms
	 * left would fail as if the upstream were unreachable). */
	if (reg->up)
		deadline = reg_now_ms() + reg->up->timeout_ms;
	for (attempt = 0; reg->up ? attempt == 0 || reg_now_ms() + TXN_MIN_PUSH_MS < deadline
			: attempt < REG_MAX_ATTEMPTS; attempt++) {
		/* A re-plan with nothing left to commit (an identical write
		 * landed meanwhile: idempotent) is a success, not the lost race
		 * before it. */
		error = 0;
		if (attempt > 0 && grow && n < REG_MAX_BATCH)
			*np = n = grow->fn(grow->ctx, ops, n);
		overlay_init(o, reg->idx);
		nspecs = 0;
		for (i = 0; i < n; i++) {
			reg_txn_op *op = ops[i];

			txn_op_reset(op);
			reg_err_init();
			op->rc = op->kind->plan(&op->p, op->state, reg, reg->idx, o);
			if (op->rc < 0)
				regit_error_save(op->err);
			if (op->rc < 0 || op->p.noop)
				continue;
			op->rc = plan_spec(&specs[nspecs], &op->p, op->author);
			if (op->rc < 0) {
				op->rc = reg_fail_internal(op->rc);
				regit_error_save(op->err);
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
		error = txn_commit(reg, specs, nspecs, head, deadline);
		if (error == 0) {
			txn_batch b = { ops, n };

			error = apply_write(reg, head, txn_apply_fn, &b);
			break;
		}
		if (error != REGIT_ECONFLICT)
			break;
		reg_err_init();
		error = after_conflict(reg, attempt, deadline);
		if (error < 0) {
			/* what the reload reported is the first operation's error */
			if (regit_error_api_code() != 0)
				regit_error_save(ops[0]->err);
			break;
		}
		error = REGIT_ECONFLICT;
	}
	writes_done(reg);
	for (i = 0; i < n; i++) {
		reg_txn_op *op = ops[i];

		/* A failed commit fails everything that waited for it. */
		if (error < 0 && op->rc == 0) {
			if (error == REGIT_ECONFLICT && reg->up)
				op->rc = reg_fail(REGIT_SR_STORE_BUSY,
					"Lost every race to the upstream until the deadline (%u ms);"
					" nothing was written", reg->up->timeout_ms);
			else if (error == REGIT_ECONFLICT)
				op->rc = reg_fail(REGIT_SR_STORE_ERROR,
					"Too much write contention on the store");
			else if (op != ops[0] || op->err->api_code == 0)
				op->rc = reg_fail_internal(error);
			else
				op->rc = error;
			/* (else the reload's error, saved above, stays ops[0]'s) */
			if (op != ops[0] || op->err->api_code == 0 || error == REGIT_ECONFLICT)
				regit_error_save(op->err);
		}
		if (op->kind->reset)
			op->kind->reset(op->state);
		reg_plan_dispose(&op->p);
	}
	regit_free(o);
}

/* A single write (delete, config, mode): a transaction of one operation. */
int reg_txn_write(regit_registry *reg, const reg_txn_kind *kind, void *state,
	const char *author)
{
	reg_txn_op op, *ops = &op;
	regit_error_saved outcome;
	size_t n = 1;
	int error;

	error = reg_write_enter_until(reg, reg_now_ms() + REG_WRITE_WAIT_MS);
	if (error < 0)
		return error;
	memset(&op, 0, sizeof(op));
	op.kind = kind;
	op.state = state;
	op.author = author;
	op.err = &outcome;
	reg_txn_run(reg, &ops, &n, NULL);
	reg_write_leave(reg);
	if (op.rc < 0)
		regit_error_restore(&outcome);
	return op.rc;
}
