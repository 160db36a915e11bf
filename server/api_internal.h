/*
 * api_internal.h - what the files of the Confluent API share: the per-request
 * context (api_ctx), the API object's body (struct regit_api, with the
 * per-route metrics and the per-id response cache), the route table's
 * types, and the helpers every handler writes with (out_*, api_error,
 * api_reg_error, query, paging and rendering helpers, in api_ctx.c).
 *
 * The API is one module over several files (STYLE.md, convention 7):
 *   api.c          the route table, routing, dispatch, admission, lifecycle
 *   api_ctx.c      the helpers declared below (output, errors, query, paging)
 *   api_subjects.c /subjects/... and /compatibility/... handlers
 *   api_schemas.c  /schemas/... handlers and the per-id response cache
 *   api_settings.c /config, /mode and /contexts handlers
 *   api_status.c   /, /v1/metadata, /health, /metrics and request counting
 * Dependencies point one way: api.c calls the handler files (its table
 * names their handlers), the handler files call api_ctx.c, and nothing
 * calls back into api.c (`make cycles`). Nothing outside server/api*.c
 * includes this header.
 */
#ifndef REGIT_SERVER_API_INTERNAL_H
#define REGIT_SERVER_API_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "server/api.h"
#include "server/api_out.h"
#include "server/api_ui.h"

#define API_CT_V1 REGIT_API_CT_V1
#define API_CT_SR REGIT_API_CT_SR
#define API_CT_JSON REGIT_API_CT_JSON
#define API_CT_PROM "text/plain; version=0.0.4; charset=utf-8"

#define API_MAX_SEGMENTS 8
#define API_MAX_QUERY 32

/* ---- routes -------------------------------------------------------------- */

/* Methods the API serves; HEAD is served as GET. M_NONE: any other. */
enum { M_NONE, M_GET, M_POST, M_PUT, M_DELETE, M_COUNT };

enum api_route_id {
	R_ROOT, R_SUBJECTS, R_SUBJECT, R_SUBJECT_VERSIONS, R_SUBJECT_VERSION,
	R_SUBJECT_VERSION_SCHEMA, R_SUBJECT_VERSION_REFBY, R_SUBJECT_METADATA,
	R_SCHEMAS, R_SCHEMA_TYPES, R_SCHEMA_ID, R_SCHEMA_ID_SCHEMA,
	R_SCHEMA_ID_SUBJECTS, R_SCHEMA_ID_VERSIONS, R_SCHEMA_GUID, R_SCHEMA_GUID_IDS,
	R_COMPAT_VERSION, R_COMPAT_VERSIONS, R_CONFIG, R_CONFIG_SUBJECT, R_MODE,
	R_MODE_SUBJECT, R_CONTEXTS, R_CONTEXT, R_V1_METADATA, R_METRICS, R_HEALTH,
	R_UNKNOWN, R_COUNT
};

typedef struct api_ctx api_ctx;

/*
 * What one method of a route is, for the security boundary and the server:
 * the role it needs and whether it changes the store. The route table
 * (api.c) is the only place that says so: api_authorize() enforces the
 * role and regit_api_route_of() tells server/http.c which requests write
 * (they run on its worker threads). A role of REGIT_ROLE_NONE means the route
 * does not serve the method (405).
 */
typedef struct api_op {
	unsigned char role;       /* regit_role */
	unsigned char flags;      /* API_OP_* */
} api_op;

#define API_OP_WRITES 0x1u                /* commits to the store */
#define API_OP_ADMIN_IF_PERMANENT 0x2u    /* ?permanent=true needs admin (hard delete) */
#define API_OP_ADMIN_IF_FORCE 0x4u        /* ?force=true needs admin (skips compatibility) */
/* A 404 may be a write another replica made a moment ago: with an
 * upstream, fetch once and answer again (regit_registry_read_repair). */
#define API_OP_REPAIR 0x8u

typedef struct api_route {
	const char *name;                       /* metrics label */
	const char *seg[API_MAX_SEGMENTS];      /* "*" = parameter; NULL ends */
	void (*fn)(api_ctx *c);
	api_op ops[M_COUNT];                    /* by method; zero = not served */
} api_route;

/* ---- metrics -------------------------------------------------------------- */

/* Status slots and latency buckets (api_status.c has their values); a
 * status no slot names is counted in one more, "other". */
#define API_NSTATUS_SLOTS 11
#define API_NSTATUS (API_NSTATUS_SLOTS + 1)
#define API_NBUCKETS 14
/* Route labels: the table's routes, then the web UI's (server/api_ui.h). */
#define API_NLABELS (R_COUNT + REGIT_API_UI_NROUTES)

/* ---- cache ----------------------------------------------------------------- */

typedef struct api_cached {
	atomic_uint refs;       /* one for the cache slot, one per response in flight,
	                         * one for the server's prebuilt response if any */
	regit_http_prebuilt pre;/* the server's ready-made response for this body */
	uint64_t gen;           /* registry generation it was rendered at */
	size_t len;
	char body[];
} api_cached;

/* Ids are dense small integers; beyond this they are served uncached. */
#define API_CACHE_SLOTS (1u << 18)
#define API_CACHE_LOCKS 64u

struct regit_api {
	regit_registry *reg;
	api_cached **cache;                          /* API_CACHE_SLOTS */
	pthread_mutex_t cache_lock[API_CACHE_LOCKS];
	atomic_ullong requests[API_NLABELS][API_NSTATUS];
	atomic_ullong hist[API_NLABELS][API_NBUCKETS + 1];
	atomic_ullong sum_us[API_NLABELS];
	atomic_ullong cache_hits;
	atomic_ullong cache_misses;
	/* Credentials: swapped by regit_api_set_auth while requests run, so
	 * each request takes its own reference under auth_lock. */
	pthread_mutex_t auth_lock;
	regit_auth *auth;                            /* a reference; NULL = no auth */
	const regit_http_server *_Atomic http;       /* for /metrics; borrowed */
	char auth_problem[256];                      /* under auth_lock; "" = none */
	regit_auth_throttle *throttle;               /* failed checks per address */
	/* Password hashes running at once (on worker threads), at most
	 * max_hashing: a flood of wrong passwords takes that many cores, not all. */
	pthread_mutex_t hash_lock;
	pthread_cond_t hash_cv;
	unsigned hashing, max_hashing;
};

/* ---- per-request context -------------------------------------------------- */

typedef struct api_param {
	const char *key;
	const char *value;
} api_param;

struct api_ctx {
	regit_api *api;
	const regit_http_request *req;
	regit_http_response *resp;
	unsigned method;
	const char *ctype;                /* negotiated response type */
	const char *path[API_MAX_SEGMENTS]; /* raw segments (into arena) */
	size_t path_len[API_MAX_SEGMENTS];
	size_t nsegs;
	const char *params[4];            /* decoded path parameters */
	size_t nparams;
	api_param query[API_MAX_QUERY];
	size_t nquery;
	char *arena;                      /* decoded strings; stack or heap */
	size_t arena_used, arena_size;
	int fail;                         /* an output append failed */
	regit_auth *auth;                 /* this request's reference; NULL without auth */
	const char *user;                 /* authenticated user (commit author); NULL without auth */
	char user_buf[REGIT_AUTH_USER_MAX + 1];
	regit_role role;                  /* the user's role */
	const char *foreign_ctx;          /* /contexts/{ctx}/ of another context */
	char stack[2048];
};

/* ---- output helpers (api_ctx.c) ------------------------------------------- */

/* Appends to the response body; a failure sets c->fail (answered 500 at
 * the end of the request), so callers need not check each one. */
void out_puts(api_ctx *c, const char *s);
void out_put(api_ctx *c, const char *s, size_t len);
void out_printf(api_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s (len bytes) as a JSON string. */
void out_str(api_ctx *c, const char *s, size_t len);
void out_cstr(api_ctx *c, const char *s);

/* A 200 in the negotiated content type. */
void api_ok(api_ctx *c);

/* Replace the body with {"error_code": code, "message": ...} (made valid
 * UTF-8) and the status. */
void api_error(api_ctx *c, int status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A registry call failed with rc: render its Confluent error. */
void api_reg_error(api_ctx *c, int rc);

/* (a local name for regit_api_err_init, used by every handler) */
void api_err_init(void);

/* ---- query and context helpers (api_ctx.c) -------------------------------- */

/* The decoded value of query parameter key (borrowed from c), NULL when absent. */
const char *api_q(const api_ctx *c, const char *key);
int api_qbool(const api_ctx *c, const char *key);
/* A subject with its default-context qualifier removed (pointing into s),
 * NULL when s names another context. */
const char *api_unqualify(const char *s);
/* 1 when s is non-NULL and names another context. */
int api_other_context(const char *s);

/* ---- rendering (api_ctx.c) ------------------------------------------------ */

/* ,"references":[...] */
void out_refs(api_ctx *c, const regit_reference *refs, size_t n);
/* ,"guid":"..." for schema id (8.x); nothing if the id vanished. */
void out_guid(api_ctx *c, int id);
/* ent/Schema of one subject-version. */
void out_version(api_ctx *c, const regit_version *v);

/* ---- paging (api_ctx.c) --------------------------------------------------- */

/* "]" after a listing call's items, or the call's error instead. */
void api_list_close(api_ctx *c, int rc);

/* What a version listing writes per item (cb_version). */
typedef enum api_item {
	API_ITEM_NUMBER, API_ITEM_SCHEMA, API_ITEM_ID, API_ITEM_SUBJECT_VERSION
} api_item;

typedef struct api_page {
	api_ctx *c;
	int offset;
	int limit;        /* <= 0: unbounded */
	int seen;
	int emitted;
	api_item item;        /* cb_version's output */
	int deleted_negative; /* ?deletedAsNegative=true */
} api_page;

/*
 * offset/limit from the query (dflt_limit when absent; with max_limit > 0,
 * a limit outside 1..max_limit becomes dflt_limit).
 * @return 0, or -1 when answered (not an int: 404)
 */
int api_page_init(api_page *pg, api_ctx *c, int dflt_limit, int max_limit);
/* 1 = emit the item (separator written), 0 = skip it, -1 = stop. */
int api_page_next(api_page *pg);
/* A listing callback writing the item pg->item asks for (payload: api_page). */
int cb_version(const regit_version *v, void *payload);

/* ---- handlers: one per route (api.c's table) -------------------------------- */

/* api_subjects.c */
void h_subjects(api_ctx *c);
void h_subject(api_ctx *c);
void h_subject_versions(api_ctx *c);
void h_subject_version(api_ctx *c);
void h_subject_version_schema(api_ctx *c);
void h_subject_version_refby(api_ctx *c);
void h_subject_metadata(api_ctx *c);
void h_compat(api_ctx *c);

/* api_schemas.c */
void h_schemas(api_ctx *c);
void h_schema_types(api_ctx *c);
void h_schema_id(api_ctx *c);
void h_schema_id_schema(api_ctx *c);
void h_schema_id_subjects(api_ctx *c);
void h_schema_id_versions(api_ctx *c);
void h_schema_guid(api_ctx *c);
/* The cache forgets an entry (regit_api_free drops every one). */
void api_cache_drop(api_cached *e);

/* api_settings.c */
void h_config(api_ctx *c);
void h_mode(api_ctx *c);
void h_contexts(api_ctx *c);
void h_context(api_ctx *c);

/* api_status.c */
void h_root(api_ctx *c);
void h_v1_metadata(api_ctx *c);
void h_health(api_ctx *c);
/* GET /metrics: label(r) names route label r (< API_NLABELS); passed in by
 * api.c, whose table holds the names, so this file need not call it. */
void api_metrics_render(api_ctx *c, const char *(*label)(size_t r));

#endif
