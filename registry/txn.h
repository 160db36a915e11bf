/*
 * txn.h - the registry's write-transaction engine (registry/txn.c).
 *
 * Every write is a transaction of operations (reg_txn_op). Each operation
 * kind (reg_txn_kind) plans its change set against the index plus an
 * overlay of the operations planned before it in the same batch, and
 * applies a committed plan to the index. The engine plans the batch,
 * commits it through the store as one chain of commits (one commit per
 * operation that changes something) with a single compare-and-swap,
 * applies it, and on a lost race reloads and re-plans, REG_MAX_ATTEMPTS
 * times at most (taking the store's writers' lock after two lost races).
 * Group commit of registrations is a batch of many operations
 * (reg_register.c); a delete, config or mode write is a batch of one
 * (reg_txn_write).
 */
#ifndef REGIT_REGISTRY_TXN_H
#define REGIT_REGISTRY_TXN_H

#include "registry/layout.h"
#include "registry/registry_internal.h"
#include "util/error.h"

/* ---- a plan: the files one operation changes ------------------------------ */

/* A planned write: the files to change and how to update the index after. */
typedef struct reg_plan {
	regit_store_change changes[16];
	size_t nchanges;
	regit_buf bufs[8];              /* contents the changes point into */
	size_t nbufs;
	char paths[16][REGIT_LAYOUT_MAX_COMPONENT + 32];
	char message[512];
	int noop;                       /* nothing to commit (idempotent) */
	/* Dynamic change list for subject-wide operations. */
	regit_store_change *many;
	size_t nmany;
	char **many_paths;
	size_t nmany_paths;
	regit_store_change *all;        /* many + changes, as committed (plan_spec) */
} reg_plan;

/* Free what p holds and zero it. */
void reg_plan_dispose(reg_plan *p);
/* A new buffer owned by p (at most 8 per plan). */
regit_buf *reg_plan_buf(reg_plan *p);
/* Write content at path (content NULL: remove it); content stays borrowed. */
int reg_plan_put(reg_plan *p, const char *path, const regit_buf *content);
int reg_plan_put_subject(reg_plan *p, const char *subject, const char *file,
	const regit_buf *content);
/* Root files every write keeps current: the README and regit.json. */
int reg_plan_root(reg_plan *p, int has_root, int cur_next_id, int next_id);
/* Grow the plan's dynamic change list by n entries (paths owned by the plan). */
int reg_plan_many_reserve(reg_plan *p, size_t n);
/* One entry of the dynamic list (reserved before); takes path_taken. */
int reg_plan_many_add(reg_plan *p, char *path_taken, const void *data, size_t len, int remove);

/* ---- the overlay: what a batch planned before an operation ----------------- */

/*
 * Only registrations are batched with others today, so the overlay holds
 * what they need of each other: the versions and ids planned before, the
 * next id, whether regit.json exists yet. A delete or a setting is a batch
 * of one and plans against the index alone.
 */

/* A registration planned earlier in the same batch (not yet in the index). */
typedef struct reg_overlay_add {
	const char *subject;
	int version;
	int id;
	const struct reg_req_schema *rs;
} reg_overlay_add;

typedef struct reg_overlay {
	reg_overlay_add adds[REG_MAX_BATCH];
	size_t n;
	int next_id;
	int has_root;
} reg_overlay;

/* ---- operations and the engine --------------------------------------------- */

/* Apply a committed plan to the index (under the write lock). */
typedef int (*reg_apply_fn)(reg_index *idx, void *payload);

/*
 * One operation of a write transaction. kind->plan computes the operation's
 * change set (op->p) and whatever kind->apply needs afresh from idx and the
 * overlay o of the operations planned before it in the same batch, on
 * every attempt; kind->reset (may be NULL) drops what a plan allocated
 * beyond op->p. kind->apply puts a committed plan into the index (under
 * the write lock).
 */
typedef struct reg_txn_kind {
	int (*plan)(reg_plan *p, void *state, regit_registry *reg, const reg_index *idx,
		reg_overlay *o);
	reg_apply_fn apply;
	void (*reset)(void *state);
} reg_txn_kind;

typedef struct reg_txn_op {
	const reg_txn_kind *kind;
	void *state;                    /* the operation's own, borrowed */
	const char *author;
	/* borrowed: the outcome's error (code and message), kept per
	 * operation because the thread running the batch is not the one
	 * waiting for each outcome; that one restores it (regit_error_restore)
	 * when rc < 0 */
	regit_error_saved *err;
	int rc;                         /* the outcome, once reg_txn_run returns */
	reg_plan p;                     /* per attempt */
	int planned;                    /* has a commit in the chain */
} reg_txn_op;

/*
 * Operations that may join a transaction after a lost race: called before
 * each re-plan with the ops so far, it appends what was queued meanwhile
 * (ops has room for REG_MAX_BATCH) and returns the new count. The re-plan
 * has to be made anyway, so a replica that loses races carries everyone
 * waiting on it in its next push instead of leaving them queued behind it.
 */
typedef struct reg_txn_grow {
	size_t (*fn)(void *ctx, reg_txn_op **ops, size_t n);
	void *ctx;
} reg_txn_grow;

/*
 * Run a transaction of *n (<= REG_MAX_BATCH) operations; grow (NULL: none)
 * may add more after a lost race, and *n is then the final count. Each
 * op's rc and err say how it went (a failed op's error is in op->err, not
 * in this thread's last error). Caller holds wlock.
 */
void reg_txn_run(regit_registry *reg, reg_txn_op **ops, size_t *n, const reg_txn_grow *grow);
/* A single write (delete, config, mode): a transaction of one operation. */
int reg_txn_write(regit_registry *reg, const reg_txn_kind *kind, void *state,
	const char *author);

#endif
