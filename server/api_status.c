/*
 * api_status.c - what the API says about the server itself: / (liveness),
 * /v1/metadata, /health (store, credentials, disk and upstream state) and
 * /metrics (Prometheus text: requests by route and status, latency
 * histograms, registry, lint, auth and connection counters), and
 * regit_api_observe, which counts every request the server answers.
 * The counters live in struct regit_api (api_internal.h); the route labels
 * come from api.c's table, handed to api_metrics_render.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/api_internal.h"

static const int api_status_slots[] = { 200, 204, 400, 404, 405, 409, 413, 415, 422, 500, 503 };
/* Latency bucket upper bounds in microseconds (Prometheus "le" in seconds). */
static const unsigned api_buckets_us[] = { 100, 250, 500, 1000, 2500, 5000, 10000,
	25000, 50000, 100000, 250000, 500000, 1000000, 2500000 };

_Static_assert(sizeof(api_status_slots) / sizeof(api_status_slots[0]) == API_NSTATUS_SLOTS,
	"API_NSTATUS_SLOTS must count api_status_slots");
_Static_assert(sizeof(api_buckets_us) / sizeof(api_buckets_us[0]) == API_NBUCKETS,
	"API_NBUCKETS must count api_buckets_us");

/* GET|POST / -> {} (liveness). */
void h_root(api_ctx *c)
{
	api_ok(c);
	out_puts(c, "{}");
}

/* GET /v1/metadata/{id|version|deployment} */
void h_v1_metadata(api_ctx *c)
{
	const char *what = c->params[0];

	api_ok(c);
	if (strcmp(what, "id") == 0)
		out_puts(c, "{\"scope\":{\"path\":[],\"clusters\":{\"kafka-cluster\":\"regit\","
			"\"schema-registry-cluster\":\"regit\"}}}");
	else if (strcmp(what, "version") == 0)
		out_puts(c, "{\"version\":\"0.1.0\",\"commitId\":\"regit\"}");
	else if (strcmp(what, "deployment") == 0)
		out_puts(c, "{\"attributes\":[\"regit\"]}");
	else
		api_error(c, 404, 404, "HTTP 404 Not Found");
}

/*
 * GET /health -> 200 {"status":"ok",...} or 503 when the store is invalid.
 * "degraded" (still 200: reads are served, writes may fail) when the last
 * --auth reload failed ("auth": why) or the last store write found the
 * disk full ("store": why, until a write succeeds).
 */
/* Wall-clock milliseconds (the upstream's sync time is one). */
static int64_t api_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_health(api_ctx *c)
{
	regit_registry_stats st;
	char auth_problem[sizeof(c->api->auth_problem)];

	memset(&st, 0, sizeof(st));
	regit_registry_stats_get(c->api->reg, &st);
	pthread_mutex_lock(&c->api->auth_lock);
	memcpy(auth_problem, c->api->auth_problem, sizeof(auth_problem));
	pthread_mutex_unlock(&c->api->auth_lock);
	/* A rewritten upstream takes the replica out (503) though it still
	 * serves its state: a load balancer should prefer one that follows
	 * the upstream. An unreachable upstream is "degraded", not 503: every
	 * replica shares it, and reads keep working. */
	c->resp->status = st.store_ok && !st.upstream_refused ? 200 : 503;
	c->resp->content_type = API_CT_JSON;
	out_printf(c, "{\"status\":\"%s\",\"head\":",
		regit_registry_status(&st, auth_problem[0] != '\0'));
	out_str(c, st.head, strnlen(st.head, sizeof(st.head)));
	out_printf(c, ",\"subjects\":%zu,\"schemas\":%zu,\"versions\":%zu,\"commits\":%llu",
		st.subjects, st.schemas, st.versions, (unsigned long long)st.commits);
	if (auth_problem[0]) {
		out_puts(c, ",\"auth\":");
		out_str(c, auth_problem, strlen(auth_problem));
	}
	if (st.disk_full)
		out_printf(c, ",\"store\":\"the last write failed: no space left on device\","
			"\"diskFullSince\":%lld", (long long)st.disk_full_since);
	if (!st.store_ok) {
		out_puts(c, ",\"message\":");
		out_str(c, st.store_message, strnlen(st.store_message, sizeof(st.store_message)));
	}
	if (st.upstream) {
		int64_t now = api_now_ms();

		out_printf(c, ",\"upstream\":{\"state\":\"%s\",\"lagSeconds\":%.3f",
			regit_registry_upstream_state(&st),
			st.upstream_synced_ms ? (double)(now - st.upstream_synced_ms) / 1000.0 : -1.0);
		if (st.upstream_message[0]) {
			out_puts(c, ",\"message\":");
			out_str(c, st.upstream_message, strnlen(st.upstream_message,
				sizeof(st.upstream_message)));
		}
		out_puts(c, "}");
	}
	out_puts(c, "}");
}

void api_metrics_render(api_ctx *c, const char *(*label)(size_t r))
{
	regit_api *api = c->api;
	regit_registry_stats st;
	size_t r, s, b;

	memset(&st, 0, sizeof(st));
	regit_registry_stats_get(api->reg, &st);
	c->resp->status = 200;
	c->resp->content_type = API_CT_PROM;

	out_puts(c, "# HELP regit_http_requests_total HTTP requests by route and status.\n"
		"# TYPE regit_http_requests_total counter\n");
	for (r = 0; r < API_NLABELS; r++) {
		for (s = 0; s < API_NSTATUS; s++) {
			unsigned long long n = atomic_load_explicit(&api->requests[r][s],
				memory_order_relaxed);
			char status[16];

			if (n == 0)
				continue;
			if (s < API_NSTATUS - 1)
				snprintf(status, sizeof(status), "%d", api_status_slots[s]);
			else
				snprintf(status, sizeof(status), "other");
			out_printf(c, "regit_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
				label(r), status, n);
		}
	}
	out_puts(c, "# HELP regit_http_request_duration_seconds Time from request arrival "
		"to response queued.\n# TYPE regit_http_request_duration_seconds histogram\n");
	for (r = 0; r < API_NLABELS; r++) {
		unsigned long long cum = 0, total = 0;

		for (b = 0; b <= API_NBUCKETS; b++)
			total += atomic_load_explicit(&api->hist[r][b], memory_order_relaxed);
		if (total == 0)
			continue;
		for (b = 0; b <= API_NBUCKETS; b++) {
			cum += atomic_load_explicit(&api->hist[r][b], memory_order_relaxed);
			if (b < API_NBUCKETS)
				out_printf(c, "regit_http_request_duration_seconds_bucket{route=\"%s\","
					"le=\"%g\"} %llu\n", label(r),
					api_buckets_us[b] / 1e6, cum);
			else
				out_printf(c, "regit_http_request_duration_seconds_bucket{route=\"%s\","
					"le=\"+Inf\"} %llu\n", label(r), cum);
		}
		out_printf(c, "regit_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
			label(r),
			atomic_load_explicit(&api->sum_us[r], memory_order_relaxed) / 1e6);
		out_printf(c, "regit_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
			label(r), cum);
	}
	out_printf(c,
		"# HELP regit_subjects Subjects in the registry.\n# TYPE regit_subjects gauge\n"
		"regit_subjects %zu\n"
		"# HELP regit_schemas Distinct schema ids.\n# TYPE regit_schemas gauge\n"
		"regit_schemas %zu\n"
		"# HELP regit_schema_versions Subject versions, live and soft-deleted.\n"
		"# TYPE regit_schema_versions gauge\nregit_schema_versions %zu\n"
		"# HELP regit_store_commits_total Commits written by this process.\n"
		"# TYPE regit_store_commits_total counter\nregit_store_commits_total %llu\n"
		"# HELP regit_compat_rejections_total Registrations refused as incompatible.\n"
		"# TYPE regit_compat_rejections_total counter\nregit_compat_rejections_total %llu\n"
		"# HELP regit_store_rejections_total Reloads refused: the pushed store was invalid "
		"or broke the compatibility policy.\n"
		"# TYPE regit_store_rejections_total counter\nregit_store_rejections_total %llu\n"
		"# HELP regit_store_ok 1 when the store's HEAD loaded and validated.\n"
		"# TYPE regit_store_ok gauge\nregit_store_ok %d\n"
		"# HELP regit_registry_generation Changes whenever published state changes.\n"
		"# TYPE regit_registry_generation gauge\nregit_registry_generation %llu\n"
		"# HELP regit_schema_cache_hits_total GET /schemas/ids/{id} served from cache.\n"
		"# TYPE regit_schema_cache_hits_total counter\nregit_schema_cache_hits_total %llu\n"
		"# HELP regit_schema_cache_misses_total GET /schemas/ids/{id} rendered.\n"
		"# TYPE regit_schema_cache_misses_total counter\nregit_schema_cache_misses_total %llu\n",
		st.subjects, st.schemas, st.versions, (unsigned long long)st.commits,
		(unsigned long long)st.compat_rejections, (unsigned long long)st.store_rejections,
		st.store_ok ? 1 : 0,
		(unsigned long long)regit_registry_generation(api->reg),
		atomic_load_explicit(&api->cache_hits, memory_order_relaxed),
		atomic_load_explicit(&api->cache_misses, memory_order_relaxed));
	/* Only the full-disk reason is counted apart: the one an operator can
	 * act on without reading the log (free space; no restart needed). */
	out_printf(c, "# HELP regit_store_write_failures_total Store writes that failed, by reason.\n"
		"# TYPE regit_store_write_failures_total counter\n"
		"regit_store_write_failures_total{reason=\"no_space\"} %llu\n"
		"# HELP regit_store_disk_full 1 from a write that found the disk full (ENOSPC, "
		"EDQUOT) until a write succeeds.\n"
		"# TYPE regit_store_disk_full gauge\nregit_store_disk_full %d\n",
		(unsigned long long)st.nospace_failures, st.disk_full ? 1 : 0);
	/* Replicas (serve --upstream): only then, so a single node's metrics
	 * stay as they were. No URL, no credential: only numbers. */
	if (st.upstream) {
		int64_t now = api_now_ms();
		double lag = st.upstream_synced_ms ? (double)(now - st.upstream_synced_ms) / 1000.0 : -1;

		out_printf(c, "# HELP regit_upstream_up 1 when the last fetch or push reached the"
			" upstream.\n# TYPE regit_upstream_up gauge\nregit_upstream_up %d\n"
			"# HELP regit_upstream_refused 1 when the upstream's head drops served commits"
			" (history rewritten): the local state is served.\n"
			"# TYPE regit_upstream_refused gauge\nregit_upstream_refused %d\n"
			"# HELP regit_upstream_unauthorized 1 when the upstream refused this replica's"
			" credentials at the last fetch or push.\n"
			"# TYPE regit_upstream_unauthorized gauge\nregit_upstream_unauthorized %d\n"
			"# HELP regit_upstream_lag_seconds Since a fetch or push last found this replica"
			" holding the upstream's head (-1: never).\n"
			"# TYPE regit_upstream_lag_seconds gauge\nregit_upstream_lag_seconds %.3f\n"
			"# HELP regit_upstream_fetches_total Fetches from the upstream, by outcome.\n"
			"# TYPE regit_upstream_fetches_total counter\n"
			"regit_upstream_fetches_total{outcome=\"ok\"} %llu\n"
			"regit_upstream_fetches_total{outcome=\"failed\"} %llu\n"
			"# HELP regit_upstream_pushes_total Pushes to the upstream, by outcome.\n"
			"# TYPE regit_upstream_pushes_total counter\n"
			"regit_upstream_pushes_total{outcome=\"ok\"} %llu\n"
			"regit_upstream_pushes_total{outcome=\"conflict\"} %llu\n"
			"regit_upstream_pushes_total{outcome=\"failed\"} %llu\n"
			"# HELP regit_upstream_read_repairs_total Fetches a read miss (404) triggered.\n"
			"# TYPE regit_upstream_read_repairs_total counter\n"
			"regit_upstream_read_repairs_total %llu\n",
			st.upstream_reachable ? 1 : 0, st.upstream_refused ? 1 : 0,
			st.upstream_unauthorized ? 1 : 0, lag,
			(unsigned long long)(st.upstream_fetches - st.upstream_fetch_failures),
			(unsigned long long)st.upstream_fetch_failures,
			(unsigned long long)(st.upstream_pushes - st.upstream_push_conflicts -
				st.upstream_push_failures),
			(unsigned long long)st.upstream_push_conflicts,
			(unsigned long long)st.upstream_push_failures,
			(unsigned long long)st.upstream_repairs);
	}
	/* Lint under a warn/enforce policy: by rule and severity, and by
	 * outcome; no subject label, so the series stay few (rules x 2 + 3). */
	out_puts(c, "# HELP regit_lint_findings_total Lint findings in schemas registered "
		"or refused under a warn or enforce lint policy, by rule and severity.\n"
		"# TYPE regit_lint_findings_total counter\n");
	for (r = 0; r < regit_lint_rule_count() && r < REGIT_LINT_MAX_RULES; r++) {
		for (s = 0; s < 2; s++) {
			if (st.lint_findings[r][s] == 0)
				continue;
			out_printf(c, "regit_lint_findings_total{rule=\"%s\",severity=\"%s\"} %llu\n",
				regit_lint_rule_at(r)->id, s ? "error" : "warning",
				(unsigned long long)st.lint_findings[r][s]);
		}
	}
	out_puts(c, "# HELP regit_lint_schemas_total Schemas linted under a warn or enforce "
		"lint policy, by outcome (clean, warned: registered with findings, refused: "
		"42201).\n# TYPE regit_lint_schemas_total counter\n");
	for (r = 0; r < REGIT_LINT_OUTCOME_COUNT; r++)
		out_printf(c, "regit_lint_schemas_total{outcome=\"%s\"} %llu\n",
			regit_lint_outcome_name((regit_lint_outcome)r),
			(unsigned long long)st.lint_outcomes[r]);
	if (api->auth)
		out_printf(c,
			"# HELP regit_auth_password_hashes_total Password hashes computed; requests "
			"answered from the credential cache compute none.\n"
			"# TYPE regit_auth_password_hashes_total counter\n"
			"regit_auth_password_hashes_total %lu\n", regit_auth_hash_count(api->auth));
	if (atomic_load(&api->http)) {
		regit_http_stats hs;

		regit_http_server_stats(atomic_load(&api->http), &hs);
		out_printf(c,
			"# HELP regit_http_header_deadline_total Connections closed because their "
			"request headers were not in within --header-timeout.\n"
			"# TYPE regit_http_header_deadline_total counter\n"
			"regit_http_header_deadline_total %lu\n"
			"# HELP regit_http_over_limit_total Connections answered 503 and closed past "
			"a connection limit (per client address, or in all).\n"
			"# TYPE regit_http_over_limit_total counter\n"
			"regit_http_over_limit_total{limit=\"address\"} %lu\n"
			"regit_http_over_limit_total{limit=\"all\"} %lu\n",
			hs.header_deadline, hs.over_address, hs.over_all);
	}
	out_printf(c,
		"# HELP regit_store_ledger_rejections_total Of the refused reloads: heads that broke "
		"the ledger (rewritten history, an id reissued or edited, a version removed or "
		"renumbered).\n# TYPE regit_store_ledger_rejections_total counter\n"
		"regit_store_ledger_rejections_total %llu\n", (unsigned long long)st.ledger_rejections);
}

void regit_api_observe(const regit_http_request *req, const regit_http_response *resp,
	uint64_t elapsed_ns, void *payload)
{
	regit_api *api = payload;
	size_t r, s, b;
	uint64_t us = elapsed_ns / 1000;

	(void)req;
	r = resp->route_id >= 0 && resp->route_id < (int)API_NLABELS ? (size_t)resp->route_id : R_UNKNOWN;
	for (s = 0; s < API_NSTATUS - 1; s++) {
		if (api_status_slots[s] == resp->status)
			break;
	}
	for (b = 0; b < API_NBUCKETS; b++) {
		if (us <= api_buckets_us[b])
			break;
	}
	atomic_fetch_add_explicit(&api->requests[r][s], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&api->hist[r][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&api->sum_us[r], us, memory_order_relaxed);
}
