/*
 * registry.c - the schema registry core: Confluent Schema Registry
 * semantics (docs: confluent-api §4) over the git store. This file holds
 * the registry's lifecycle (open, free, stats), the reload of a moved head
 * and regit verify. The rest is one file per piece, layered so that each
 * calls only those before it (make cycles checks): reg_base.c (errors, locking, effective settings,
 * subject checks, the published index's resolver) < reg_check.c (request
 * schemas, compatibility, lint) < reg_ledger.c (pushed versions, the
 * ledger) < registry.c < txn.c (the write-transaction engine) < one file
 * per operation: reg_register.c, reg_delete.c, reg_settings.c (config and
 * mode), reg_read.c (the API's reads), reg_ui.c (the web UI's reads).
 * registry_internal.h and txn.h are what they share.
 *
 * Concurrency. Readers take the read side of a writer-preferring rwlock
 * (read_begin/read_end, or implicitly per call) and see one consistent
 * index. Writers are serialised by a mutex: a write plans its change set
 * against the current index without blocking readers, commits it to the
 * store (the slow, durable part, still without blocking readers), and only
 * then takes the write lock briefly to apply the same change to the index.
 * Ids and version numbers are chosen while planning, i.e. inside the
 * commit that records them. If the commit loses the compare-and-swap
 * (another process, another registry instance, a push), the registry
 * reloads from the new head and plans again from scratch - including the
 * compatibility check against what is now the latest version. That loop
 * is one engine for every write (txn.h, reg_txn_run): an operation plans
 * against the index plus an overlay of the operations planned before it
 * in the same batch, so group-committed registrations are a batch of many
 * operations and a delete, config or mode write a batch of one.
 */
#include "registry/registry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry/registry_internal.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"

/* ---- open / free / reload ---------------------------------------------------- */

/* Build the index of commit (NULL: the branch head). */
int reg_load_index(reg_index **out, regit_registry *reg, const char *commit,
	const reg_index *prev, const reg_cache *cache)
{
	regit_store_listing *listing = NULL;
	int error;

	*out = NULL;
	error = regit_store_list(&listing, reg->store, commit);
	if (error < 0)
		return reg_fail_internal(error);
	reg_err_init();
	error = reg_index_build(out, reg->store, listing, prev, cache, reg->opts.max_schema_size);
	if (error < 0 && regit_error_api_code() == 0)
		reg_fail_internal(error);
	if (error == REGIT_EINVALID)
		memcpy(reg->bad_head, listing->head, sizeof(reg->bad_head));
	regit_store_listing_free(listing);
	return error;
}

/* Publish a new index (caller holds wlock). */
void reg_publish(regit_registry *reg, reg_index *idx)
{
	reg_index *old;

	pthread_rwlock_wrlock(&reg->rw);
	old = reg->idx;
	reg->idx = idx;
	reg->store_ok = 1;
	reg->store_message[0] = '\0';
	reg->bad_head[0] = '\0';
	reg->stale = 0;
	atomic_fetch_add(&reg->generation, 1);
	pthread_rwlock_unlock(&reg->rw);
	reg_index_free(old);
}

/*
 * Record head as served (refs/regit/served) after it was accepted: a
 * write of ours or a validated reload. Failing to record it costs only
 * work at the next start (the range since the older served head is
 * checked again), so it is logged, not returned.
 */
void reg_served_advance(regit_registry *reg, const char *head, int durable)
{
	if (reg->verifying || !head[0])
		return;
	if (regit_store_set_served(reg->store, head, durable) < 0)
		regit_log(REGIT_LOG_WARN, "regit: cannot record the served head: %s\n", regit_error_message());
}

static void report_bad_store(regit_registry *reg)
{
	atomic_fetch_add(&reg->store_rejections, 1);
	pthread_rwlock_wrlock(&reg->rw);
	reg->store_ok = 0;
	snprintf(reg->store_message, sizeof(reg->store_message), "%.250s", regit_error_message());
	snprintf(reg->last_reject, sizeof(reg->last_reject), "%.1020s", regit_error_message());
	memcpy(reg->last_reject_head, reg->bad_head, sizeof(reg->last_reject_head));
	reg->last_reject_time = (int64_t)time(NULL);
	atomic_fetch_add(&reg->generation, 1);
	pthread_rwlock_unlock(&reg->rw);
	fprintf(stderr, "regit: store not loaded: %s\n", regit_error_message());
}

/*
 * Writing the start-up cache after a cold start (tens of MB for 100,000
 * versions) is not needed to serve, so it runs beside the server. It
 * reads the index under the read lock: a reload or write that would
 * replace (and free) the index waits for it.
 */
static void *cache_saver_main(void *arg)
{
	regit_registry *reg = arg;

	pthread_rwlock_rdlock(&reg->rw);
	if (reg->idx && reg->store_ok)
		(void)reg_index_cache_save(reg->idx, reg->cache_path);
	pthread_rwlock_unlock(&reg->rw);
	return NULL;
}

/*
 * Reload from the store's head if it moved (caller holds wlock). The new
 * head must descend from the served one and keep what it served
 * (reg_ledger_check), its tree must load (structure, schemas, references) and
 * its new versions must pass the compatibility policy (reg_push_validate);
 * otherwise it is reported and the index being served stays. A head back
 * at the served one (the branch was reset) makes the store good again.
 */
int reg_reload_locked(regit_registry *reg, int force)
{
	char head[REGIT_STORE_OID_HEX];
	reg_index *idx = NULL;
	int error;

	error = regit_store_head(reg->store, head);
	if (error < 0)
		return reg_fail_internal(error);
	if (!force && !reg->stale && strcmp(head, reg_index_head(reg->idx)) == 0) {
		if (!reg->store_ok) {
			pthread_rwlock_wrlock(&reg->rw);
			reg->store_ok = 1;
			reg->store_message[0] = '\0';
			reg->bad_head[0] = '\0';
			atomic_fetch_add(&reg->generation, 1);
			pthread_rwlock_unlock(&reg->rw);
			regit_log(REGIT_LOG_INFO, "regit: store good again: the branch is back at the served "
				"head %.12s\n", head);
		}
		return 0;
	}
	if (!force && reg->bad_head[0] && strcmp(head, reg->bad_head) == 0)
		return reg_fail(REGIT_SR_STORE_ERROR, "%s", reg->store_message);
	error = reg_load_index(&idx, reg, NULL, reg->idx, NULL);
	if (error == 0) {
		/* A forced reload follows a write of ours whose apply failed (out
		 * of memory): the head is our own commit, and the index it would
		 * be compared with may be half-changed, so there is nothing to
		 * check it against. */
		if (!force) {
			error = reg_ledger_check(reg, reg->idx, idx);
			if (error == REGIT_EINVALID)
				atomic_fetch_add(&reg->ledger_rejections, 1);
			if (error == 0)
				error = reg_push_validate(reg, reg->idx, idx);
		}
		if (error == REGIT_EINVALID || error == REGIT_EINCOMPATIBLE)
			memcpy(reg->bad_head, reg_index_head(idx), sizeof(reg->bad_head));
		if (error < 0)
			reg_index_free(idx);
		if (error == REGIT_EINCOMPATIBLE)
			error = REGIT_EINVALID;
	}
	if (error < 0) {
		if (error == REGIT_EINVALID) {
			report_bad_store(reg);
			/* To a caller (a write that lost a race) it is the store's fault. */
			regit_error_set_api_code(REGIT_SR_STORE_ERROR);
			error = REGIT_EIO;
		}
		return error;
	}
	reg_publish(reg, idx);
	reg_served_advance(reg, reg_index_head(reg->idx), 1);
	return 0;
}

/*
 * The start-up load. Without a served ref (a new store, or one a registry
 * before the ledger wrote) the head is trusted as it is. With one, the
 * served head is what the registry answered from last (kill -9 included):
 * it is loaded as the trusted state and the head is then checked against
 * it exactly like a reload, so a bad push that landed while no registry
 * was running is refused with /health 503 and the served state answers
 * reads, as if the registry had been running.
 */
static int open_load(regit_registry *reg, const reg_cache *cache)
{
	char served[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	int error;

	error = regit_store_served(reg->store, served);
	if (error == 0)
		error = regit_store_head(reg->store, head);
	if (error < 0)
		return reg_fail_internal(error);
	if (served[0] && strcmp(served, head) != 0 &&
			reg_load_index(&reg->idx, reg, served, NULL, cache) == 0) {
		reg->store_ok = 1;
		reg_err_init();
		error = reg_reload_locked(reg, 0);
		/* A refused head is reported (store_ok 0) and the served state
		 * stays; only an I/O or memory failure fails the open. */
		if (error < 0 && regit_error_api_code() == REGIT_SR_STORE_ERROR && !reg->store_ok)
			error = 0;
		return error;
	}
	reg_index_free(reg->idx);
	reg->idx = NULL;
	reg_err_init();
	error = reg_load_index(&reg->idx, reg, NULL, NULL, cache);
	if (error < 0)
		return error;
	reg->store_ok = 1;
	if (strcmp(served, reg_index_head(reg->idx)) != 0)
		reg_served_advance(reg, reg_index_head(reg->idx), 1);
	return 0;
}

static void *upstream_main(void *arg);

/*
 * Open over store (borrowed) or, when it is NULL, over a store opened at
 * opts->store_path. A path-less store has no start-up cache (it lives in
 * the store's directory) and no upstream; the pre-receive hook is regit
 * serve's business.
 */
static int registry_open(regit_registry **out, regit_store *store,
	const regit_registry_options *opts)
{
	regit_registry_options defaults = REGIT_REGISTRY_OPTIONS_INIT;
	regit_registry *reg = NULL;
	regit_buf cache_path = REGIT_BUF_INIT;
	reg_cache *cache = NULL;
	pthread_rwlockattr_t attr;
	int locks = 0;
	int error = 0;

	reg_err_init();
	*out = NULL;
	reg = regit_calloc(1, sizeof(*reg));
	if (!reg)
		return reg_fail_internal(REGIT_ENOMEM);
	reg->opts = opts ? *opts : defaults;
	if (!reg->opts.store_path)
		reg->opts.store_path = defaults.store_path;
	if (!reg->opts.max_schema_size)
		reg->opts.max_schema_size = defaults.max_schema_size;
	reg->store_path = regit_strdup(reg->opts.store_path);
	if (!reg->store_path) {
		error = reg_fail_internal(REGIT_ENOMEM);
		goto done;
	}
	reg->opts.store_path = reg->store_path;

	pthread_rwlockattr_init(&attr);
	/* Writers must not starve behind a steady stream of readers. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&reg->rw, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&reg->wlock, NULL);
	pthread_mutex_init(&reg->qlock, NULL);
	pthread_cond_init(&reg->qcond, NULL);
	pthread_mutex_init(&reg->pclock, NULL);
	pthread_mutex_init(&reg->memolock, NULL);
	pthread_mutex_init(&reg->guidlock, NULL);
	reg->qtail = &reg->qhead;
	locks = 1;

	reg->store = store;
	reg->store_borrowed = store != NULL;
	error = store ? 0 : regit_store_open(&reg->store, reg->store_path, NULL);
	if (error < 0) {
		error = reg_fail_internal(error);
		goto done;
	}
	/* The start-up cache spares re-parsing unchanged versions (cache.c). */
	if (store)
		goto cached;
	if (regit_buf_printf(&cache_path, "%s/regit-cache", reg->store_path) < 0) {
		error = reg_fail_internal(REGIT_ENOMEM);
		goto done;
	}
	reg->cache_path = regit_buf_detach(&cache_path);
	if (!reg->cache_path) {
		error = reg_fail_internal(REGIT_ENOMEM);
		goto done;
	}
cached:
	if (reg->opts.no_load) {
		/* regit_registry_verify loads what it checks itself. */
		reg->idx = reg_index_new();
		if (!reg->idx)
			error = reg_fail_internal(REGIT_ENOMEM);
		reg->store_ok = 1;
		reg->verifying = 1;
		if (error == 0)
			goto opened;
		goto done;
	}
	if (reg->opts.upstream_url) {
		/* Onto the upstream's head before loading, so the first load
		 * checks and serves what the replicas share. */
		if (store)
			error = reg_fail(REGIT_SR_STORE_ERROR,
				"an upstream needs the git store at opts->store_path, not a given store");
		else
			error = reg_upstream_open(&reg->up, &reg->opts, reg->store_path);
		if (error == 0)
			error = reg_upstream_join(reg->up, reg->store);
		if (error < 0)
			goto done;
	}
	if (reg->cache_path)
		reg_cache_load(&cache, reg->cache_path);
	error = open_load(reg, cache);
	reg_cache_free(cache);
	if (error < 0)
		goto done;
	reg->cache_generation = atomic_load(&reg->generation);
	if (reg_index_nparsed(reg->idx) > 0 && reg->cache_path) {
		reg->cache_saving = pthread_create(&reg->cache_saver, NULL, cache_saver_main, reg) == 0;
		if (!reg->cache_saving)
			(void)reg_index_cache_save(reg->idx, reg->cache_path);
	}
	if (reg->up)
		reg->up->running = pthread_create(&reg->up->thread, NULL, upstream_main, reg) == 0;
opened:
	*out = reg;
	reg = NULL;
done:
	if (reg) {
		reg_upstream_free(reg->up);
		reg_index_free(reg->idx);
		if (!reg->store_borrowed)
			regit_store_free(reg->store);
		if (locks) {
			pthread_rwlock_destroy(&reg->rw);
			pthread_mutex_destroy(&reg->wlock);
			pthread_mutex_destroy(&reg->qlock);
			pthread_cond_destroy(&reg->qcond);
			pthread_mutex_destroy(&reg->pclock);
			pthread_mutex_destroy(&reg->memolock);
			pthread_mutex_destroy(&reg->guidlock);
		}
		regit_free(reg->store_path);
		regit_free(reg->cache_path);
		regit_free(reg);
	}
	regit_buf_dispose(&cache_path);
	return error;
}

int regit_registry_open(regit_registry **out, const regit_registry_options *opts)
{
	return registry_open(out, NULL, opts);
}

int regit_registry_open_store(regit_registry **out, regit_store *store,
	const regit_registry_options *opts)
{

	if (!store) {
		*out = NULL;
		return reg_fail(REGIT_SR_STORE_ERROR, "no store to open over");
	}
	return registry_open(out, store, opts);
}

void regit_registry_free(regit_registry *reg)
{
	if (!reg)
		return;
	if (reg->up && reg->up->running) {
		pthread_mutex_lock(&reg->up->lock);
		reg->up->stop = 1;
		pthread_cond_signal(&reg->up->cond);
		pthread_mutex_unlock(&reg->up->lock);
		pthread_join(reg->up->thread, NULL);
	}
	reg_upstream_free(reg->up);
	if (reg->cache_saving)
		pthread_join(reg->cache_saver, NULL);
	/* Keep the start-up cache current for the next start. */
	if (reg->cache_path && reg->idx && reg->store_ok && !reg->verifying &&
			atomic_load(&reg->generation) != reg->cache_generation)
		(void)reg_index_cache_save(reg->idx, reg->cache_path);
	regit_free(reg->cache_path);
	reg_pcache_clear(reg);
	reg_memo_free(reg->memo);
	reg_index_free(reg->idx);
	if (!reg->store_borrowed)
		regit_store_free(reg->store);
	pthread_rwlock_destroy(&reg->rw);
	pthread_mutex_destroy(&reg->wlock);
	pthread_mutex_destroy(&reg->qlock);
	pthread_cond_destroy(&reg->qcond);
	pthread_mutex_destroy(&reg->pclock);
	pthread_mutex_destroy(&reg->memolock);
	pthread_mutex_destroy(&reg->guidlock);
	regit_free(reg->guids);
	regit_free(reg->store_path);
	regit_free(reg);
}

int regit_registry_refresh(regit_registry *reg)
{
	int error;

	reg_err_init();
	error = reg_write_enter(reg);
	if (error < 0)
		return error;
	error = reg_reload_locked(reg, 0);
	reg_write_leave(reg);
	return error;
}

/* ---- the upstream: fetch thread, refresh hook, read-repair ------------------- */

/*
 * Fetch (no lock: reads and writes go on), then under the writers' mutex
 * put the branch on the fetched head and load it like any moved head: the
 * ledger and push validation decide whether it is served.
 */
static int upstream_sync(regit_registry *reg, unsigned deadline_ms)
{
	char fetched[REGIT_STORE_OID_HEX];
	uint64_t moves = reg_upstream_moves(reg->up);
	int error;

	reg_err_init();
	error = reg_upstream_fetch(reg->up, reg->up->fetch_up, deadline_ms, fetched);
	if (error < 0)
		return reg_fail_internal(error);
	error = reg_write_enter(reg);
	if (error < 0)
		return error;
	error = reg_upstream_align(reg->up, reg->up->fetch_up, reg->store, fetched,
		reg_index_head(reg->idx), moves);
	if (error == 0)
		error = reg_reload_locked(reg, 0);
	reg_write_leave(reg);
	return error;
}

/* Every fetch_interval_ms, or at once when kicked (POST /regit/refresh). */
static void *upstream_main(void *arg)
{
	regit_registry *reg = arg;
	reg_upstream *u = reg->up;

	pthread_mutex_lock(&u->lock);
	while (!u->stop) {
		struct timespec ts;

		if (!u->kick) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += u->interval_ms / 1000;
			ts.tv_nsec += (long)(u->interval_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&u->cond, &u->lock, &ts);
		}
		if (u->stop)
			break;
		u->kick = 0;
		pthread_mutex_unlock(&u->lock);
		(void)upstream_sync(reg, u->timeout_ms);
		pthread_mutex_lock(&u->lock);
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

int regit_registry_upstream_sync(regit_registry *reg)
{

	reg_err_init();
	if (!reg->up)
		return 0;
	return upstream_sync(reg, reg->up->timeout_ms);
}

/*
 * Read-repair: a miss is answered after a fetch that started after the
 * miss (one that was already running may predate the write the client
 * saw land elsewhere). Misses share fetches: at most one runs at a time,
 * and at most one starts per REG_REPAIR_GAP_MS (a 404 flood costs the
 * upstream at most ten fetches a second; a miss inside the gap waits for
 * the next one instead of answering 404 unrepaired). Each fetch is bounded
 * by REG_REPAIR_MAX_MS (a 404 must not wait for a hung upstream's full
 * timeout), and so is the whole wait.
 */
#define REG_REPAIR_GAP_MS 100
#define REG_REPAIR_MAX_MS 2000u

int regit_registry_read_repair(regit_registry *reg)
{
	reg_upstream *u = reg->up;
	uint64_t gen, want;
	int64_t give_up, now;

	if (!u || reg_reading(reg))
		return 0;
	gen = atomic_load(&reg->generation);
	give_up = reg_now_ms() + REG_REPAIR_GAP_MS + 2 * (int64_t)REG_REPAIR_MAX_MS;
	pthread_mutex_lock(&u->lock);
	/* the first fetch to start from now on */
	want = u->repair_started + 1;
	while (u->repair_done < want) {
		now = reg_now_ms();
		if (!u->reachable || u->refused || now >= give_up) {
			/* A miss runs on the request's thread: with the upstream
			 * down (the fetch thread sees it come back) a flood of
			 * unknown ids must not hold threads for a fetch each. */
			break;
		}
		if (u->repairing) {
			reg_cond_wait_until(&u->repaired, &u->lock, give_up);
			continue;
		}
		if (now - u->repair_ms < REG_REPAIR_GAP_MS) {
			reg_cond_wait_until(&u->repaired, &u->lock, u->repair_ms + REG_REPAIR_GAP_MS);
			continue;
		}
		u->repairing = 1;
		u->repair_started++;
		pthread_mutex_unlock(&u->lock);
		atomic_fetch_add(&u->repairs, 1);
		(void)upstream_sync(reg, u->timeout_ms < REG_REPAIR_MAX_MS ? u->timeout_ms
			: REG_REPAIR_MAX_MS);
		pthread_mutex_lock(&u->lock);
		u->repairing = 0;
		u->repair_done = u->repair_started;
		u->repair_ms = reg_now_ms();
		pthread_cond_broadcast(&u->repaired);
	}
	pthread_mutex_unlock(&u->lock);
	return atomic_load(&reg->generation) != gen;
}

uint64_t regit_registry_generation(regit_registry *reg)
{
	return atomic_load(&reg->generation);
}

const char *regit_registry_status(const regit_registry_stats *st, int auth_problem)
{
	if (!st->store_ok)
		return "invalid";
	if (st->upstream_refused)
		return "upstream-refused";
	if (auth_problem || st->disk_full || (st->upstream &&
			(!st->upstream_reachable || st->upstream_unauthorized)))
		return "degraded";
	return "ok";
}

const char *regit_registry_upstream_state(const regit_registry_stats *st)
{
	if (st->upstream_refused)
		return "refused";
	if (st->upstream_unauthorized)
		return "unauthorized";
	return st->upstream_reachable ? "ok" : "unreachable";
}

void regit_registry_stats_get(regit_registry *reg, regit_registry_stats *out)
{
	const reg_index *idx;
	size_t i;
	int taken = reg_read_enter(reg);

	memset(out, 0, sizeof(*out));
	idx = reg->idx;
	for (i = 0; i < reg_index_nsubjects(idx); i++)
		if (reg_index_subject_at(idx, i)->nversions)
			out->subjects++;
	out->schemas = reg_index_nschemas(idx);
	out->versions = reg_index_nversions(idx);
	out->commits = atomic_load(&reg->commits);
	out->compat_rejections = atomic_load(&reg->rejections);
	out->store_rejections = atomic_load(&reg->store_rejections);
	out->ledger_rejections = atomic_load(&reg->ledger_rejections);
	out->nospace_failures = atomic_load(&reg->nospace_failures);
	out->disk_full = atomic_load(&reg->disk_full);
	out->disk_full_since = out->disk_full ? atomic_load(&reg->disk_full_since) : 0;
	out->store_ok = reg->store_ok;
	memcpy(out->head, reg_index_head(idx), sizeof(out->head));
	snprintf(out->store_message, sizeof(out->store_message), "%s", reg->store_message);
	snprintf(out->last_rejection, sizeof(out->last_rejection), "%s", reg->last_reject);
	memcpy(out->last_rejection_head, reg->last_reject_head, sizeof(out->last_rejection_head));
	out->last_rejection_time = reg->last_reject_time;
	out->parsed = reg_index_nparsed(idx);
	for (i = 0; i < REGIT_LINT_MAX_RULES; i++) {
		out->lint_findings[i][0] = atomic_load(&reg->lint_findings[i][0]);
		out->lint_findings[i][1] = atomic_load(&reg->lint_findings[i][1]);
	}
	for (i = 0; i < REGIT_LINT_OUTCOME_COUNT; i++)
		out->lint_outcomes[i] = atomic_load(&reg->lint_outcomes[i]);
	if (reg->up)
		reg_upstream_stats(reg->up, out);
	reg_read_leave(reg, taken);
}

/* ---- regit verify: the ledger over a whole history --------------------------- */

/* Commits regit verify walks at most. */
#define REG_VERIFY_MAX_COMMITS 1000000

static int verify_is_zero(const char *rev)
{
	if (!*rev)
		return 1;
	for (; *rev; rev++)
		if (*rev != '0')
			return 0;
	return 1;
}

/* Check commit against the state served so far (reg->idx); reg_publish it if it passes. */
static int verify_commit(regit_registry *reg, const char *commit,
	const regit_verify_options *vo, size_t *nfindings, int *stop)
{
	reg_index *idx = NULL;
	int error;

	reg_err_init();
	error = reg_load_index(&idx, reg, commit, reg->idx, NULL);
	if (error == 0) {
		error = reg_ledger_check(reg, reg->idx, idx);
		if (error == 0)
			error = reg_push_validate(reg, reg->idx, idx);
	}
	if (error == 0) {
		reg_publish(reg, idx);
		return 0;
	}
	reg_index_free(idx);
	if (error != REGIT_EINVALID && error != REGIT_EINCOMPATIBLE)
		return error;
	(*nfindings)++;
	if (vo->finding && vo->finding(commit, regit_error_message(), vo->payload) != 0)
		*stop = 1;
	return 0;
}

int regit_registry_verify(const regit_registry_options *ropts, const regit_verify_options *vo,
	size_t *checked, size_t *nfindings)
{
	regit_registry_options o = ropts ? *ropts : (regit_registry_options)REGIT_REGISTRY_OPTIONS_INIT;
	regit_registry *reg = NULL;
	regit_store_commits chain;
	char from[REGIT_STORE_OID_HEX] = "", to[REGIT_STORE_OID_HEX] = "";
	size_t i, dummy;
	int stop = 0, rc, error = 0;

	memset(&chain, 0, sizeof(chain));
	if (!checked)
		checked = &dummy;
	*checked = 0;
	*nfindings = 0;
	reg_err_init();
	o.no_load = 1;
	error = regit_registry_open(&reg, &o);
	if (error < 0)
		return error;
	if (vo->objects_dir) {
		error = regit_store_add_objects(reg->store, vo->objects_dir);
		if (error < 0)
			goto fail;
	}
	if (vo->from_served)
		error = regit_store_served(reg->store, from);
	if (error == 0 && !from[0] && vo->from && !verify_is_zero(vo->from))
		error = regit_store_resolve(reg->store, vo->from, from);
	if (error < 0)
		goto fail;
	if (vo->to && verify_is_zero(vo->to)) {
		(*checked)++;
		(*nfindings)++;
		if (vo->finding)
			vo->finding("", "The registry's branch would be deleted: the ids and "
				"versions it served would be gone", vo->payload);
		goto done;
	}
	if (vo->to)
		error = regit_store_resolve(reg->store, vo->to, to);
	else
		error = regit_store_head(reg->store, to);
	if (error < 0)
		goto fail;
	if (from[0]) {
		reg_cache *cache = NULL;

		/* The trusted state mostly matches the start-up cache (keyed by
		 * blob ids, so good for any commit): a hook on a big store parses
		 * only what changed. */
		reg_cache_load(&cache, reg->cache_path);
		reg_index_free(reg->idx);
		error = reg_load_index(&reg->idx, reg, from, NULL, cache);
		reg_cache_free(cache);
		if (error < 0) {
			/* the trusted state must load; say which */
			char msg[REGIT_ERROR_MAX];

			snprintf(msg, sizeof(msg), "%s", regit_error_message());
			error = reg_fail(REGIT_SR_STORE_ERROR, "The state verified from (%.12s) "
				"does not load: %.400s", from, msg);
			goto done;
		}
	}
	if (!to[0] || strcmp(from, to) == 0)
		goto done;
	rc = vo->tip_only ? 0 : regit_store_descends(reg->store, to, from);
	if (rc < 0) {
		error = reg_fail_internal(rc);
		goto done;
	}
	if (rc == 1) {
		error = regit_store_first_parents(&chain, reg->store, to, from,
			REG_VERIFY_MAX_COMMITS);
		/* from is an ancestor off the first-parent chain (merged in):
		 * the tip alone is checked. */
		if (error == REGIT_ENOTFOUND) {
			regit_store_commits_dispose(&chain);
			error = 0;
		}
		if (error < 0)
			goto fail;
	}
	if (chain.n == 0) {
		(*checked)++;
		error = verify_commit(reg, to, vo, nfindings, &stop);
	}
	for (i = 0; i < chain.n && !stop && error == 0; i++) {
		(*checked)++;
		error = verify_commit(reg, chain.ids[i], vo, nfindings, &stop);
	}
	goto done;
fail:
	reg_fail_internal(error);
done:
	regit_store_commits_dispose(&chain);
	regit_registry_free(reg);
	return error;
}
