/*
 * reg_upstream.c - a replica's upstream (issue #12 part 2): the handle on
 * the shared repository, what /health and /metrics say about it, and the
 * moves of the store's branch that keep it on the upstream's history.
 *
 * The upstream's ref update is the only serialisation point between
 * replicas: a write commits locally, pushes as a compare-and-swap (txn.c,
 * txn_commit_upstream) and takes back its local commits on any outcome but
 * "landed"; fetched heads come in by fast-forward here and are checked
 * and loaded like any moved head (registry.c, reg_reload_locked: the
 * ledger, push validation). This file calls nothing of registry.c: it only
 * moves the branch; loading what the branch holds is the caller's.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "registry/registry_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"

/* Defaults of regit serve's --fetch-interval and --upstream-timeout. */
#define REG_UPSTREAM_INTERVAL_MS 2000u
#define REG_UPSTREAM_TIMEOUT_MS 10000u

/*
 * A replica killed while a fetch updated a tracking ref leaves its lock
 * file, and libgit2 never breaks one: every later fetch would fail. The
 * tracking refs are this process's alone (one `serve --upstream` per local
 * store), so at open any lock on them is stale.
 */
static void upstream_clear_stale_locks(const char *store_path)
{
	static const char *const names[] = { "upstream", "upstream-fetch" };
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/refs/regit/%s.lock", store_path, names[i]) <
				(int)sizeof(path) && unlink(path) == 0)
			regit_log(REGIT_LOG_INFO, "regit: removed a stale lock %s\n", path);
	}
}

int reg_upstream_open(reg_upstream **out, const regit_registry_options *opts,
	const char *store_path)
{
	regit_upstream_options uo = REGIT_UPSTREAM_OPTIONS_INIT;
	reg_upstream *u;
	int error;

	*out = NULL;
	u = regit_calloc(1, sizeof(*u));
	if (!u)
		return reg_fail_internal(REGIT_ENOMEM);
	uo.branch = opts->upstream_branch;
	uo.credentials_file = opts->upstream_credentials_file;
	uo.ssh_key = opts->upstream_ssh_key;
	uo.ssh_known_hosts = opts->upstream_ssh_known_hosts;
	upstream_clear_stale_locks(store_path);
	error = regit_upstream_open(&u->up, store_path, opts->upstream_url, &uo);
	uo.tracking_ref = "refs/regit/upstream-fetch";
	if (error == 0)
		error = regit_upstream_open(&u->fetch_up, store_path, opts->upstream_url, &uo);
	if (error < 0) {
		regit_upstream_free(u->up);
		regit_free(u);
		return reg_fail_internal(error);
	}
	u->interval_ms = opts->fetch_interval_ms ? opts->fetch_interval_ms
		: REG_UPSTREAM_INTERVAL_MS;
	u->timeout_ms = opts->upstream_timeout_ms ? opts->upstream_timeout_ms
		: REG_UPSTREAM_TIMEOUT_MS;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	pthread_cond_init(&u->repaired, NULL);
	*out = u;
	return 0;
}

void reg_upstream_free(reg_upstream *u)
{
	if (!u)
		return;
	regit_upstream_free(u->up);
	regit_upstream_free(u->fetch_up);
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->cond);
	pthread_cond_destroy(&u->repaired);
	regit_free(u);
}

/* Record whether the upstream answered; a change of state is logged once. */
static void upstream_reached(reg_upstream *u, int ok, const char *why)
{
	int was;

	pthread_mutex_lock(&u->lock);
	was = u->reachable;
	u->reachable = ok;
	if (!ok)
		snprintf(u->message, sizeof(u->message), "%.250s", why);
	else if (!u->refused)
		u->message[0] = '\0';
	pthread_mutex_unlock(&u->lock);
	if (was && !ok)
		regit_log(REGIT_LOG_WARN, "regit: upstream unreachable: %s\n", why);
	else if (!was && ok)
		regit_log(REGIT_LOG_INFO, "regit: upstream reachable\n");
}

/*
 * After a call that reached the upstream: does it take our credentials?
 * A refusal is kept (with its message, never a secret) until a fetch or
 * push of either handle succeeds.
 */
static void upstream_authorized(reg_upstream *u, regit_upstream *up, int error)
{
	int refused = error == REGIT_EPERM && regit_upstream_auth_refused(up);
	int was;

	if (error < 0 && !refused)
		return;
	pthread_mutex_lock(&u->lock);
	was = u->unauthorized;
	u->unauthorized = refused;
	if (refused)
		snprintf(u->message, sizeof(u->message), "%.250s", regit_error_message());
	else if (was && !u->refused && u->reachable)
		u->message[0] = '\0';
	pthread_mutex_unlock(&u->lock);
	if (refused && !was)
		regit_log(REGIT_LOG_WARN, "regit: upstream refuses our credentials: %s\n",
			regit_error_message());
	else if (was && !refused)
		regit_log(REGIT_LOG_INFO, "regit: upstream takes our credentials again\n");
}

int reg_upstream_fetch(reg_upstream *u, regit_upstream *up, unsigned deadline_ms,
	char out[REGIT_STORE_OID_HEX])
{
	int error = regit_upstream_fetch(up, deadline_ms, out);

	atomic_fetch_add(&u->fetches, 1);
	if (error < 0)
		atomic_fetch_add(&u->fetch_failures, 1);
	/* An authentication refusal is an answer: the server was reached. */
	upstream_reached(u, error == 0 || error == REGIT_EPERM,
		error < 0 ? regit_error_message() : "");
	upstream_authorized(u, up, error);
	return error;
}

/*
 * Bounds of the courtesy wait. The base is how long this replica took to
 * recover from its own lost races (a rival on similar hardware needs about
 * as long), or before it ever lost, how long its landed pushes take (a
 * rival's fetch, re-plan and push cost a little more than a push: 25-55 ms
 * vs 10-35 ms in bench/replicas.sh), else a guess. The wait doubles with
 * each push that lands right on our own previous one (nobody else got in:
 * either nobody else writes, or a rival is slower than our estimate) up to
 * COURTESY_MAX_MS, and falls back to the base once a rival's commit lands.
 */
#define COURTESY_MIN_MS 5
#define COURTESY_MAX_MS 100
#define COURTESY_GUESS_MS 20
#define COURTESY_DOUBLINGS 4

int64_t reg_upstream_courtesy(reg_upstream *u, int64_t now_ms)
{
	int64_t landed = atomic_load(&u->landed_ms);
	int64_t wait = atomic_load(&u->recover_ms);
	int64_t wins = atomic_load(&u->wins);

	if (landed == 0)
		return 0;
	if (wait == 0)
		wait = atomic_load(&u->push_ms);
	if (wait == 0)
		wait = COURTESY_GUESS_MS;
	if (wins > 1)
		wait <<= wins - 1 < COURTESY_DOUBLINGS ? wins - 1 : COURTESY_DOUBLINGS;
	if (wait < COURTESY_MIN_MS)
		wait = COURTESY_MIN_MS;
	if (wait > COURTESY_MAX_MS)
		wait = COURTESY_MAX_MS;
	return landed + wait > now_ms ? landed + wait - now_ms : 0;
}

/* A moving average over about four samples (0: none yet). */
static void courtesy_average(atomic_int_fast64_t *avg, int64_t sample)
{
	int64_t a = atomic_load(avg);

	atomic_store(avg, a == 0 ? sample : (3 * a + sample) / 4);
}

/* Each push's timing and outcome, for the courtesy wait. Called by the
 * write path's thread only (last_tip is its own). */
static void courtesy_note_push(reg_upstream *u, const char *base, const char *head,
	int64_t started_ms, int error)
{
	int64_t now = reg_now_ms();
	int64_t lost = atomic_exchange(&u->lost_ms, 0);

	if (lost && started_ms >= lost)
		courtesy_average(&u->recover_ms, started_ms - lost);
	if (error == REGIT_ECONFLICT) {
		atomic_store(&u->lost_ms, now);
		atomic_store(&u->wins, 0);
	} else if (error == 0) {
		courtesy_average(&u->push_ms, now - started_ms);
		/* on our own last landed push: nobody else got in between */
		if (strcmp(base, u->last_tip) == 0)
			atomic_fetch_add(&u->wins, 1);
		else
			atomic_store(&u->wins, 1);
		snprintf(u->last_tip, sizeof(u->last_tip), "%s", head);
		atomic_store(&u->landed_ms, now);
	}
}

int reg_upstream_push(reg_upstream *u, const char *commit, const char *expected,
	unsigned deadline_ms)
{
	int64_t started = reg_now_ms();
	int error = regit_upstream_push(u->up, commit, expected, deadline_ms);

	courtesy_note_push(u, expected ? expected : "", commit, started, error);

	atomic_fetch_add(&u->pushes, 1);
	if (error == REGIT_ECONFLICT)
		atomic_fetch_add(&u->push_conflicts, 1);
	else if (error < 0)
		atomic_fetch_add(&u->push_failures, 1);
	/* A refusal (REGIT_EPERM) is an answer: the server was reached. */
	upstream_reached(u, error != REGIT_EIO, error == REGIT_EIO ? regit_error_message() : "");
	upstream_authorized(u, u->up, error);
	if (error == 0) {
		pthread_mutex_lock(&u->lock);
		u->synced_ms = reg_now_ms();
		u->moves++;
		pthread_mutex_unlock(&u->lock);
	}
	return error;
}

static void upstream_refuse(reg_upstream *u, const char *why)
{
	int was;

	pthread_mutex_lock(&u->lock);
	was = u->refused;
	u->refused = 1;
	snprintf(u->message, sizeof(u->message), "%.250s", why);
	pthread_mutex_unlock(&u->lock);
	if (!was)
		fprintf(stderr, "regit: upstream refused: %s\n", why);
}

uint64_t reg_upstream_moves(reg_upstream *u)
{
	uint64_t n;

	pthread_mutex_lock(&u->lock);
	n = u->moves;
	pthread_mutex_unlock(&u->lock);
	return n;
}

/* The branch is on the upstream's head (moved: it took a newer one). */
static void upstream_synced(reg_upstream *u, int moved)
{
	int was;

	pthread_mutex_lock(&u->lock);
	u->moves += moved ? 1 : 0;
	was = u->refused;
	u->refused = 0;
	if (was)
		u->message[0] = '\0';
	u->synced_ms = reg_now_ms();
	pthread_mutex_unlock(&u->lock);
	if (was)
		regit_log(REGIT_LOG_INFO, "regit: upstream holds the served head again\n");
}

int reg_upstream_align(reg_upstream *u, regit_upstream *up, regit_store *store,
	const char *fetched, const char *served_now, uint64_t moves_at_fetch)
{
	char head[REGIT_STORE_OID_HEX], served[REGIT_STORE_OID_HEX];
	int error, rc;

	/* The index's head when there is one: the served ref is written
	 * lazily (and kept when its lock file is busy), so it may lag. */
	error = regit_store_head(store, head);
	if (error == 0 && served_now)
		snprintf(served, sizeof(served), "%s", served_now);
	else if (error == 0)
		error = regit_store_served(store, served);
	if (error < 0)
		return reg_fail_internal(error);
	if (!fetched[0]) {
		/* An empty upstream: only a replica that served nothing may
		 * follow it (it has nothing to take in). */
		if (!served[0] && !head[0]) {
			upstream_synced(u, 0);
			return 0;
		}
		/* A background fetch that began on the empty upstream before our
		 * first push landed (as below for an older head): stale. Seen
		 * with ssh upstreams, whose fetch takes ~0.4 s. */
		if (reg_upstream_moves(u) != moves_at_fetch)
			return 0;
		upstream_refuse(u, "the upstream branch is gone (deleted upstream?); serving the"
			" local state");
		return reg_fail(REGIT_SR_STORE_ERROR, "the upstream branch is gone");
	}
	if (strcmp(head, fetched) == 0) {
		upstream_synced(u, 0);
		return 0;
	}
	/* A fast-forward: the usual case (another replica wrote). */
	rc = regit_store_descends(store, fetched, head);
	if (rc < 0)
		return reg_fail_internal(rc);
	if (rc == 1) {
		error = regit_upstream_advance(up, head, fetched);
		if (error < 0)
			return reg_fail_internal(error);
		upstream_synced(u, 1);
		return 0;
	}
	/*
	 * A background fetch that began before one of our pushes landed may
	 * bring an older head than the branch's (our push is on top of it):
	 * stale, nothing to do.
	 */
	if (strcmp(head, served) == 0 && regit_store_descends(store, head, fetched) == 1) {
		int stale;

		stale = reg_upstream_moves(u) != moves_at_fetch;
		if (stale)
			return 0;
	}
	/*
	 * The branch holds what the upstream does not: local commits it
	 * never took (a crash between commit and push), or a head a reload
	 * refused. Back onto the upstream head, provided it holds everything
	 * served (regit_upstream_reset checks).
	 */
	error = regit_upstream_reset(up, head, served);
	if (error == 0) {
		regit_log(REGIT_LOG_INFO, "regit: store branch back on the upstream head %.12s"
			" (from %.12s)\n", fetched, head);
		upstream_synced(u, 1);
		return 0;
	}
	if (error != REGIT_EINVALID)
		return reg_fail_internal(error);
	{
		char why[256];

		snprintf(why, sizeof(why), "the upstream head %.12s does not contain the served"
			" head %.12s (history rewritten upstream); serving %.12s", fetched, served,
			served);
		upstream_refuse(u, why);
		return reg_fail(REGIT_SR_STORE_ERROR, "%s", why);
	}
}

int reg_upstream_join(reg_upstream *u, regit_store *store)
{
	char fetched[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	char tracked[REGIT_STORE_OID_HEX];
	int attempt, error;

	/* Replicas starting together on an empty upstream race to initialise
	 * it; the losers fetch again and follow. */
	for (attempt = 0; attempt < 3; attempt++) {
		error = reg_upstream_fetch(u, u->up, u->timeout_ms, fetched);
		if (error < 0) {
			regit_log(REGIT_LOG_WARN, "regit: upstream not reached at start (%s); serving"
				" the local state until it is\n", regit_error_message());
			/* Local commits the upstream never took (a crash before the
			 * push answered) must not be served: back onto the last head
			 * the upstream was seen at, when that holds the served one. */
			if (regit_store_head(store, head) == 0 &&
					regit_upstream_tracked(u->up, tracked) == 0 && tracked[0] &&
					strcmp(head, tracked) != 0 && regit_store_descends(store, head, tracked) == 1)
				(void)reg_upstream_align(u, u->up, store, tracked, NULL, reg_upstream_moves(u));
			reg_err_init();
			return 0;
		}
		error = regit_store_head(store, head);
		if (error < 0)
			return reg_fail_internal(error);
		if (fetched[0] || !head[0])
			break;
		error = reg_upstream_push(u, head, "", u->timeout_ms);
		if (error == 0) {
			regit_log(REGIT_LOG_INFO, "regit: initialised the empty upstream with %.12s\n",
				head);
			return 0;
		}
		if (error != REGIT_ECONFLICT)
			return reg_fail_internal(error);
	}
	error = reg_upstream_align(u, u->up, store, fetched, NULL, reg_upstream_moves(u));
	/* A refused upstream is served around (the local state, /health 503). */
	if (error < 0 && u->refused) {
		reg_err_init();
		return 0;
	}
	return error;
}

void reg_upstream_stats(reg_upstream *u, regit_registry_stats *out)
{
	out->upstream = 1;
	out->upstream_fetches = atomic_load(&u->fetches);
	out->upstream_fetch_failures = atomic_load(&u->fetch_failures);
	out->upstream_pushes = atomic_load(&u->pushes);
	out->upstream_push_conflicts = atomic_load(&u->push_conflicts);
	out->upstream_push_failures = atomic_load(&u->push_failures);
	out->upstream_repairs = atomic_load(&u->repairs);
	pthread_mutex_lock(&u->lock);
	out->upstream_reachable = u->reachable;
	out->upstream_refused = u->refused;
	out->upstream_unauthorized = u->unauthorized;
	out->upstream_synced_ms = u->synced_ms;
	snprintf(out->upstream_message, sizeof(out->upstream_message), "%s", u->message);
	pthread_mutex_unlock(&u->lock);
}
