/*
 * api.c - the Confluent Schema Registry REST API as a socket-free handler.
 *
 * One request goes through: content negotiation (Accept) -> route match on
 * the raw path (404 unknown route, 405 wrong method) -> Content-Type check
 * (415) -> percent-decoding of path parameters and query -> the route's
 * handler, which calls registry.h and renders Confluent JSON. Every error
 * leaves as {"error_code": N, "message": "..."} with the status derived from
 * the code (a 5-digit code's first three digits).
 *
 * GET /schemas/ids/{id} is the hot path of every consumer: its rendered body
 * is cached per id in a reference-counted entry tagged with the registry
 * generation it was rendered at, and served without copying while that
 * generation is current.
 *
 * Size (~2,600 lines, over the project's 1,500): the route table, the
 * per-request context, output and paging helpers, every handler, metrics
 * and dispatch. The handlers use the request context and helpers that are
 * static here; the planned cut (issue #11) is an api_internal.h with the
 * context and helpers, then handlers grouped per resource (subjects,
 * schemas, config/mode, metrics) in their own files. api_body.c,
 * api_syntax.c, api_out.c and api_ui.c are the parts already split off.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/api.h"
#include "server/api_out.h"
#include "server/api_ui.h"
#include "util/alloc.h"
#include "util/cpu.h"
#include "util/error.h"

#define API_CT_V1 REGIT_API_CT_V1
#define API_CT_SR REGIT_API_CT_SR
#define API_CT_JSON REGIT_API_CT_JSON
#define API_CT_PROM "text/plain; version=0.0.4; charset=utf-8"

#define API_MAX_SEGMENTS 8
#define API_MAX_QUERY 32
#define API_SCHEMAS_MAX_LIMIT 1000

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
 * the role it needs and whether it changes the store. This table is the
 * only place that says so: api_authorize() enforces the role and
 * regit_api_route_of() tells server/http.c which requests write (they
 * run on its worker threads). A role of REGIT_ROLE_NONE means the route
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

#define OP(role, flags) { REGIT_ROLE_##role, (flags) }

/* regit_api_route_of returns the role in the low bits of its flags. */
_Static_assert(REGIT_ROLE_ADMIN <= REGIT_API_ROLE_MASK &&
	(REGIT_API_ROLE_MASK & (REGIT_API_WRITES | REGIT_API_NO_ROUTE)) == 0,
	"roles must fit REGIT_API_ROLE_MASK");

typedef struct api_route {
	const char *name;                       /* metrics label */
	const char *seg[API_MAX_SEGMENTS];      /* "*" = parameter; NULL ends */
	void (*fn)(api_ctx *c);
	api_op ops[M_COUNT];                    /* by method; zero = not served */
} api_route;

/* ---- metrics -------------------------------------------------------------- */

static const int api_status_slots[] = { 200, 204, 400, 404, 405, 409, 413, 415, 422, 500, 503 };
#define API_NSTATUS (sizeof(api_status_slots) / sizeof(api_status_slots[0]) + 1)
/* Latency bucket upper bounds in microseconds (Prometheus "le" in seconds). */
static const unsigned api_buckets_us[] = { 100, 250, 500, 1000, 2500, 5000, 10000,
	25000, 50000, 100000, 250000, 500000, 1000000, 2500000 };
#define API_NBUCKETS (sizeof(api_buckets_us) / sizeof(api_buckets_us[0]))
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

/* ---- output helpers ------------------------------------------------------------ */

static void out_puts(api_ctx *c, const char *s)
{
	regit_api_out_puts(&c->resp->buf, &c->fail, s);
}

static void out_put(api_ctx *c, const char *s, size_t len)
{
	if (regit_buf_put(&c->resp->buf, s, len) < 0)
		c->fail = 1;
}

static void out_printf(api_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_printf(api_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	regit_api_out_vprintf(&c->resp->buf, &c->fail, fmt, ap);
	va_end(ap);
}

static void out_str(api_ctx *c, const char *s, size_t len)
{
	regit_api_out_str(&c->resp->buf, &c->fail, s, len);
}

static void out_cstr(api_ctx *c, const char *s)
{
	out_str(c, s, strlen(s));
}

static void api_ok(api_ctx *c)
{
	c->resp->status = 200;
	c->resp->content_type = c->ctype;
}

/*
 * Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid:
 * overlong forms, surrogates and code points past U+10FFFF are invalid
 * (RFC 3629).
 */
static size_t api_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Copy msg into out (outsize bytes, NUL-terminated) as valid UTF-8: each
 * byte that starts no valid sequence becomes U+FFFD. Error messages quote
 * what clients sent (a subject's decoded bytes, cut at a byte count), and
 * a JSON body must be UTF-8 (RFC 8259 section 8.1).
 */
static void api_utf8_clean(char *out, size_t outsize, const char *msg)
{
	const unsigned char *p = (const unsigned char *)msg;
	size_t n = strlen(msg), o = 0, len;

	while (n > 0) {
		len = api_utf8_len(p, n);
		if (len == 0) {
			if (o + 3 >= outsize)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
			n--;
			continue;
		}
		if (o + len >= outsize)
			break;
		memcpy(out + o, p, len);
		o += len;
		p += len;
		n -= len;
	}
	out[o] = '\0';
}

static void api_error(api_ctx *c, int status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void api_error(api_ctx *c, int status, int code, const char *fmt, ...)
{
	char raw[4096], msg[3 * sizeof(raw)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	api_utf8_clean(msg, sizeof(msg), raw);
	regit_buf_clear(&c->resp->buf);
	c->fail = 0;
	c->resp->status = status;
	c->resp->content_type = c->ctype;
	out_printf(c, "{\"error_code\":%d,\"message\":", code);
	out_cstr(c, msg);
	out_puts(c, "}");
}

static int api_code_status(int code)
{
	if (code >= 10000 && code <= 59999)
		return code / 100;
	if (code >= 400 && code <= 599)
		return code;
	return 500;
}

static const char *api_code_default_message(int code)
{
	switch (code) {
	case REGIT_SR_SUBJECT_NOT_FOUND: return "Subject not found.";
	case REGIT_SR_VERSION_NOT_FOUND: return "Version not found.";
	case REGIT_SR_SCHEMA_NOT_FOUND: return "Schema not found";
	case REGIT_SR_SUBJECT_SOFT_DELETED: return "Subject was soft deleted.";
	case REGIT_SR_SUBJECT_NOT_SOFT_DELETED: return "Subject was not deleted first before being permanently deleted";
	case REGIT_SR_VERSION_SOFT_DELETED: return "Version was soft deleted.";
	case REGIT_SR_VERSION_NOT_SOFT_DELETED: return "Version was not deleted first before being permanently deleted";
	case REGIT_SR_SUBJECT_CONFIG_NOT_FOUND: return "Subject does not have subject-level compatibility configured";
	case REGIT_SR_SUBJECT_MODE_NOT_FOUND: return "Subject does not have subject-level mode configured";
	case REGIT_SR_INCOMPATIBLE: return "Schema being registered is incompatible with an earlier schema";
	case REGIT_SR_INVALID_SCHEMA: return "Invalid schema";
	case REGIT_SR_INVALID_VERSION: return "Invalid version";
	case REGIT_SR_INVALID_COMPATIBILITY: return "Invalid compatibility level";
	case REGIT_SR_INVALID_MODE: return "Invalid mode";
	case REGIT_SR_OPERATION_NOT_PERMITTED: return "Operation not permitted";
	case REGIT_SR_REFERENCE_EXISTS: return "One or more references exist to the schema";
	case REGIT_SR_INVALID_SUBJECT: return "Invalid subject";
	case REGIT_SR_SCHEMA_TOO_LARGE: return "Schema too large";
	case REGIT_SR_STORE_ERROR: return "Error in the backend data store";
	case REGIT_SR_STORE_BUSY: return "Store busy: another writer holds it; retry later";
	default: return "Internal server error";
	}
}

/* A registry call failed: render its Confluent error. */
static void api_reg_error(api_ctx *c, int rc)
{
	int code = regit_error_api_code();
	const char *msg = code ? regit_error_message() : NULL;

	if (code == 0) {
		code = rc == REGIT_EIO || rc == REGIT_ENOSPC ? REGIT_SR_STORE_ERROR :
			rc == REGIT_EBUSY ? REGIT_SR_STORE_BUSY : 500;
		if (!msg)
			msg = regit_error_message();
	}
	if (!msg)
		msg = api_code_default_message(code);
	api_error(c, api_code_status(code), code, "%s", msg);
}

/* (a local name for regit_api_err_init, used by every handler) */
static void api_err_init(void)
{
	regit_api_err_init();
}

/* ---- request parsing helpers ----------------------------------------------- */

static char *api_arena_alloc(api_ctx *c, size_t n)
{
	return regit_api_arena_take(c->arena, c->arena_size, &c->arena_used, n);
}

static const char *api_q(const api_ctx *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nquery; i++) {
		if (strcmp(c->query[i].key, key) == 0)
			return c->query[i].value;
	}
	return NULL;
}

static int api_qbool(const api_ctx *c, const char *key)
{
	return regit_api_parse_bool(api_q(c, key));
}

/*
 * Contexts (Confluent QualifiedSubject): ":.ctx:name" is subject `name` of
 * context ".ctx", ":.:name" the default context's `name`, and ":*:" a
 * wildcard prefix. regit serves the default context only. Returns the
 * unqualified subject (pointing into s) for the default context, NULL when
 * s names another context.
 */
static const char *api_unqualify(const char *s)
{
	const char *colon;

	if (!s)
		return NULL;
	if (strncmp(s, ":*:", 3) == 0)
		return s + 3;
	if (strncmp(s, ":.", 2) != 0)
		return s;
	colon = strchr(s + 2, ':');
	if (!colon)
		return s[2] == '\0' ? s + 2 : NULL;   /* ":." = default, ":.x" = context .x */
	return colon == s + 2 ? colon + 1 : NULL;
}

static int api_other_context(const char *s)
{
	return s && !api_unqualify(s);
}

/* offset/limit: absent = dflt; not an int = JAX-RS conversion failure (404). */
static int api_qint(api_ctx *c, const char *key, int dflt, int *out)
{
	const char *v = api_q(c, key);

	*out = dflt;
	if (!v)
		return 0;
	if (regit_api_parse_int(v, out) < 0) {
		api_error(c, 404, 404, "HTTP 404 Not Found");
		return -1;
	}
	return 0;
}

/* Split and decode the query; unknown keys are kept and ignored later. */
static int api_parse_query(api_ctx *c, const char *q, size_t qlen)
{
	size_t i = 0;

	while (i < qlen && c->nquery < API_MAX_QUERY) {
		size_t s = i, eq = (size_t)-1, e, mark;
		char *k, *v;
		long kl, vl;

		while (i < qlen && q[i] != '&') {
			if (q[i] == '=' && eq == (size_t)-1)
				eq = i;
			i++;
		}
		e = i;
		i++;
		if (e == s)
			continue;
		if (eq == (size_t)-1)
			eq = e;
		mark = c->arena_used;
		k = api_arena_alloc(c, eq - s + 1);
		v = api_arena_alloc(c, (eq < e ? e - eq - 1 : 0) + 1);
		if (!k || !v)
			return -1;
		kl = regit_api_percent_decode(k, q + s, eq - s, 1);
		vl = eq < e ? regit_api_percent_decode(v, q + eq + 1, e - eq - 1, 1) : 0;
		if (kl < 0 || vl < 0) {
			/* A malformed pair is ignored like an unknown one, and
			 * gives its bytes back: the arena is sized for at most
			 * API_MAX_QUERY kept pairs, and thousands of skipped
			 * "a%" pairs (each a byte over its length) ran it dry
			 * into a 500 (found by fuzz/http_fuzzer). */
			c->arena_used = mark;
			continue;
		}
		if (eq == e)
			v[0] = '\0';
		c->query[c->nquery].key = k;
		c->query[c->nquery].value = v;
		c->nquery++;
	}
	return 0;
}

/* ---- rendering ----------------------------------------------------------------- */

static void out_refs(api_ctx *c, const regit_reference *refs, size_t n)
{
	size_t i;

	out_puts(c, ",\"references\":[");
	for (i = 0; i < n; i++) {
		if (i)
			out_puts(c, ",");
		out_puts(c, "{\"name\":");
		out_cstr(c, refs[i].name ? refs[i].name : "");
		out_puts(c, ",\"subject\":");
		out_cstr(c, refs[i].subject ? refs[i].subject : "");
		out_printf(c, ",\"version\":%d}", refs[i].version);
	}
	out_puts(c, "]");
}

/* ,"guid":"..." for schema id (8.x); nothing if the id vanished. */
static void out_guid(api_ctx *c, int id)
{
	char guid[REGIT_GUID_LEN + 1];

	if (regit_registry_schema_guid(c->api->reg, id, guid) == 0)
		out_printf(c, ",\"guid\":\"%s\"", guid);
}

/* regit_registry_id_versions callback: the earliest registration time. */
static int cb_first_ts(const regit_version *v, void *payload)
{
	int64_t *ts = payload;

	if (v->ts > 0 && (*ts == 0 || v->ts < *ts))
		*ts = v->ts;
	return 0;
}

/*
 * ,"ts":N for schema id (8.x SchemaString): when it was first registered,
 * soft-deleted versions included (the id still resolves); nothing when
 * no version records a time. The caller holds the read lock.
 */
static void out_id_ts(api_ctx *c, int id)
{
	int64_t ts = 0;

	if (regit_registry_id_versions(c->api->reg, id, 1, cb_first_ts, &ts) == 0 && ts > 0)
		out_printf(c, ",\"ts\":%lld", (long long)ts);
}

/* ent/Schema: subject, version, id, schemaType, references, schema, guid, ts, deleted. */
static void out_version(api_ctx *c, const regit_version *v)
{
	out_puts(c, "{\"subject\":");
	out_cstr(c, v->subject);
	out_printf(c, ",\"version\":%d,\"id\":%d,\"schemaType\":\"AVRO\"", v->version, v->id);
	if (v->nrefs)
		out_refs(c, v->refs, v->nrefs);
	out_puts(c, ",\"schema\":");
	out_str(c, v->schema, v->schema_len);
	out_guid(c, v->id);
	if (v->ts > 0)
		out_printf(c, ",\"ts\":%lld", (long long)v->ts);
	if (v->deleted)
		out_puts(c, ",\"deleted\":true");
	out_puts(c, "}");
}

static void out_config(api_ctx *c, const regit_config *cfg, const char *level_key)
{
	int first = 1;

	out_puts(c, "{");
	if (cfg->has_level) {
		out_printf(c, "\"%s\":\"%s\"", level_key, regit_compat_level_name(cfg->level));
		first = 0;
	}
	if (cfg->has_normalize) {
		out_printf(c, "%s\"normalize\":%s", first ? "" : ",",
			cfg->normalize ? "true" : "false");
		first = 0;
	}
	if (cfg->has_strict) {
		out_printf(c, "%s\"" REGIT_API_RULES_KEY "\":\"%s\"", first ? "" : ",",
			cfg->strict ? "strict" : "avro");
		first = 0;
	}
	if (cfg->has_lint)
		out_printf(c, "%s\"" REGIT_API_LINT_KEY "\":\"%s\"", first ? "" : ",",
			regit_lint_policy_name(cfg->lint));
	out_puts(c, "}");
}

/* ---- paging ---------------------------------------------------------------------- */

/*
 * End a JSON list that a registry listing call wrote items into: "]", or
 * the call's error instead of the whole body (api_error clears it).
 */
static void api_list_close(api_ctx *c, int rc)
{
	if (rc < 0)
		api_reg_error(c, rc);
	else
		out_puts(c, "]");
}

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

static int api_page_take(api_page *pg)
{
	if (pg->seen++ < pg->offset)
		return 0;
	if (pg->limit > 0 && pg->emitted >= pg->limit)
		return -1;
	pg->emitted++;
	return 1;
}

/*
 * One list item through paging: 1 = emit it (the separator is written
 * already), 0 = skip it (before offset), -1 = stop (limit reached). Every
 * list callback is this plus how to write one item.
 */
static int api_page_next(api_page *pg)
{
	int t = api_page_take(pg);

	if (t > 0 && pg->emitted > 1)
		out_puts(pg->c, ",");
	return t;
}

static int api_page_init(api_page *pg, api_ctx *c, int dflt_limit, int max_limit)
{
	memset(pg, 0, sizeof(*pg));
	pg->c = c;
	if (api_qint(c, "offset", 0, &pg->offset) < 0)
		return -1;
	if (api_qint(c, "limit", dflt_limit, &pg->limit) < 0)
		return -1;
	if (pg->offset < 0)
		pg->offset = 0;
	if (max_limit > 0 && (pg->limit <= 0 || pg->limit > max_limit))
		pg->limit = dflt_limit;
	return 0;
}

static int cb_subject_name(const char *subject, void *payload)
{
	api_page *pg = payload;
	int t = api_page_next(pg);

	if (t > 0)
		out_cstr(pg->c, subject);
	return t < 0;
}

/*
 * One subject-version of a listing, written as the page's item kind asks:
 * its number (soft-deleted ones as -v with ?deletedAsNegative=true), the
 * whole Schema, its schema id, or {"subject","version"}.
 */
static int cb_version(const regit_version *v, void *payload)
{
	api_page *pg = payload;
	int t = api_page_next(pg);

	if (t <= 0)
		return t < 0;
	switch (pg->item) {
	case API_ITEM_NUMBER:
		out_printf(pg->c, "%d", pg->deleted_negative && v->deleted ? -v->version : v->version);
		break;
	case API_ITEM_SCHEMA:
		out_version(pg->c, v);
		break;
	case API_ITEM_ID:
		out_printf(pg->c, "%d", v->id);
		break;
	case API_ITEM_SUBJECT_VERSION:
		out_puts(pg->c, "{\"subject\":");
		out_cstr(pg->c, v->subject);
		out_printf(pg->c, ",\"version\":%d}", v->version);
		break;
	}
	return 0;
}

/* Subjects of an id: versions arrive grouped by subject, so comparing with
 * the previous subject removes duplicates. */
typedef struct api_subject_dedupe {
	api_page pg;
	regit_buf last;
	int have_last;
} api_subject_dedupe;

static int cb_id_subject(const regit_version *v, void *payload)
{
	api_subject_dedupe *d = payload;
	int t;

	if (d->have_last && strcmp(regit_buf_cstr(&d->last), v->subject) == 0)
		return 0;
	regit_buf_clear(&d->last);
	if (regit_buf_puts(&d->last, v->subject) < 0)
		d->pg.c->fail = 1;
	d->have_last = 1;
	t = api_page_next(&d->pg);
	if (t > 0)
		out_cstr(d->pg.c, v->subject);
	return t < 0;
}

/* ---- request bodies ---------------------------------------------------------------- */

static int api_schema_request(api_ctx *c, regit_api_schema_body *body,
	regit_register_request *rr, const char *subject)
{
	size_t i;

	api_err_init();
	if (regit_api_decode_schema_body(body, c->req->body, c->req->body_len) < 0) {
		api_reg_error(c, REGIT_EINVALID);
		return -1;
	}
	memset(rr, 0, sizeof(*rr));
	rr->subject = subject;
	rr->schema = body->schema;
	rr->schema_len = body->schema_len;
	rr->schema_type = body->schema_type;
	rr->refs = body->refs;
	rr->nrefs = body->nrefs;
	rr->normalize = api_qbool(c, "normalize");
	rr->force = api_qbool(c, "force");
	rr->id = body->id;
	rr->version = body->version;
	rr->author = c->user;
	if (body->schema_type && strcasecmp(body->schema_type, "AVRO") != 0) {
		api_error(c, 422, REGIT_SR_INVALID_SCHEMA,
			"Invalid schema type %s: this registry supports only AVRO",
			body->schema_type);
		regit_api_schema_body_dispose(body);
		return -1;
	}
	/* Reference subjects may be qualified too (":.:address-value"). */
	for (i = 0; i < body->nrefs; i++) {
		char *rs = (char *)body->refs[i].subject;
		const char *plain = rs ? api_unqualify(rs) : rs;

		if (rs && !plain) {
			api_error(c, 422, REGIT_SR_INVALID_SCHEMA, "Invalid schema: reference to "
				"subject '%.200s' of another context; regit serves only the default "
				"context '.'", rs);
			regit_api_schema_body_dispose(body);
			return -1;
		}
		if (rs && plain != rs)
			memmove(rs, plain, strlen(plain) + 1);
	}
	return 0;
}

/* A register or lookup body, which must carry a schema (42201 otherwise). */
static int api_schema_required(api_ctx *c, regit_api_schema_body *body,
	regit_register_request *rr, const char *subject)
{
	if (api_schema_request(c, body, rr, subject) < 0)
		return -1;
	if (!body->schema) {
		regit_api_schema_body_dispose(body);
		api_error(c, 422, REGIT_SR_INVALID_SCHEMA, "Empty schema");
		return -1;
	}
	return 0;
}

/* ---- handlers ------------------------------------------------------------------- */

/* GET|POST / -> {} (liveness). */
static void h_root(api_ctx *c)
{
	api_ok(c);
	out_puts(c, "{}");
}

/* GET /subjects?subjectPrefix=&deleted=&deletedOnly=&offset=&limit= -> ["a","b"] */
static void h_subjects(api_ctx *c)
{
	regit_list_filter f;
	api_page pg;

	if (api_page_init(&pg, c, 0, 0) < 0)
		return;
	memset(&f, 0, sizeof(f));
	f.prefix = api_unqualify(api_q(c, "subjectPrefix"));
	f.deleted = api_qbool(c, "deleted");
	f.deleted_only = api_qbool(c, "deletedOnly");
	api_ok(c);
	if (api_other_context(api_q(c, "subjectPrefix"))) {
		out_puts(c, "[]");   /* another context: nothing of it lives here */
		return;
	}
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	regit_registry_list_subjects(c->api->reg, &f, cb_subject_name, &pg);
	regit_registry_read_end(c->api->reg);
	out_puts(c, "]");
}

/*
 * POST /subjects/{s}?normalize=&deleted= body RegisterSchemaRequest -> Schema (lookup)
 * DELETE /subjects/{s}?permanent= -> [versions]
 */
static void h_subject(api_ctx *c)
{
	const char *subject = c->params[0];
	int rc;

	api_err_init();
	if (c->method == M_POST) {
		regit_api_schema_body body;
		regit_register_request rr;
		const regit_version *v = NULL;

		if (api_schema_required(c, &body, &rr, subject) < 0)
			return;
		regit_registry_read_begin(c->api->reg);
		rc = regit_registry_lookup(c->api->reg, &rr, api_qbool(c, "deleted"), &v);
		if (rc < 0) {
			api_reg_error(c, rc);
		} else {
			api_ok(c);
			out_version(c, v);
		}
		regit_registry_read_end(c->api->reg);
		regit_api_schema_body_dispose(&body);
	} else {
		int *versions = NULL;
		size_t n = 0, i;

		rc = regit_registry_delete_subject(c->api->reg, subject,
			api_qbool(c, "permanent"), c->user, &versions, &n);
		if (rc < 0) {
			api_reg_error(c, rc);
		} else {
			api_ok(c);
			out_puts(c, "[");
			for (i = 0; i < n; i++)
				out_printf(c, "%s%d", i ? "," : "", versions[i]);
			out_puts(c, "]");
		}
		regit_free(versions);
	}
}

/*
 * GET /subjects/{s}/versions?deleted=&deletedOnly=&deletedAsNegative=&offset=&limit=
 *   -> [1,2] (soft-deleted versions as -v with deletedAsNegative, 8.2+)
 * POST /subjects/{s}/versions?normalize=&force= body RegisterSchemaRequest
 *   -> {"id","version","schemaType","schema"}
 */
static void h_subject_versions(api_ctx *c)
{
	const char *subject = c->params[0];
	int rc;

	api_err_init();
	if (c->method == M_GET) {
		regit_list_filter f;
		api_page pg;

		if (api_page_init(&pg, c, 0, 0) < 0)
			return;
		memset(&f, 0, sizeof(f));
		f.deleted = api_qbool(c, "deleted");
		f.deleted_only = api_qbool(c, "deletedOnly");
		pg.deleted_negative = api_qbool(c, "deletedAsNegative");
		api_ok(c);
		out_puts(c, "[");
		regit_registry_read_begin(c->api->reg);
		rc = regit_registry_list_versions(c->api->reg, subject, &f,
			cb_version, &pg);
		regit_registry_read_end(c->api->reg);
		api_list_close(c, rc);
	} else {
		regit_api_schema_body body;
		regit_register_request rr;
		regit_register_result res;
		const regit_version *v = NULL;

		if (api_schema_required(c, &body, &rr, subject) < 0)
			return;
		memset(&res, 0, sizeof(res));
		rc = regit_registry_register(c->api->reg, &rr, &res);
		regit_api_schema_body_dispose(&body);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_printf(c, "{\"id\":%d,\"version\":%d,\"schemaType\":\"AVRO\"", res.id,
			res.version);
		regit_registry_read_begin(c->api->reg);
		api_err_init();
		if (regit_registry_get_version(c->api->reg, subject, res.version, 1, &v) == 0 &&
		    v && v->id == res.id) {
			if (v->nrefs)
				out_refs(c, v->refs, v->nrefs);
			out_puts(c, ",\"schema\":");
			out_str(c, v->schema, v->schema_len);
			out_guid(c, v->id);
		}
		regit_registry_read_end(c->api->reg);
		out_puts(c, "}");
	}
}

static int api_version_param(api_ctx *c, const char *s, int *out)
{
	if (regit_api_parse_version(s, out) < 0) {
		api_error(c, 422, REGIT_SR_INVALID_VERSION,
			"The specified version '%s' is not a valid version id. Allowed values "
			"are between [1, 2^31-1] and the string \"latest\"", s);
		return -1;
	}
	return 0;
}

/*
 * GET /subjects/{s}/versions/{v}?deleted= -> Schema
 * DELETE /subjects/{s}/versions/{v}?permanent= -> v
 */
static void h_subject_version(api_ctx *c)
{
	const char *subject = c->params[0];
	int version, rc;

	if (api_version_param(c, c->params[1], &version) < 0)
		return;
	api_err_init();
	if (c->method == M_GET) {
		const regit_version *v = NULL;

		regit_registry_read_begin(c->api->reg);
		rc = regit_registry_get_version(c->api->reg, subject, version,
			api_qbool(c, "deleted"), &v);
		if (rc < 0) {
			api_reg_error(c, rc);
		} else {
			api_ok(c);
			out_version(c, v);
		}
		regit_registry_read_end(c->api->reg);
	} else {
		int deleted = 0;

		rc = regit_registry_delete_version(c->api->reg, subject, version,
			api_qbool(c, "permanent"), c->user, &deleted);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_printf(c, "%d", deleted);
	}
}

/* GET /subjects/{s}/versions/{v}/schema?deleted= -> the schema itself */
static void h_subject_version_schema(api_ctx *c)
{
	const regit_version *v = NULL;
	int version, rc;

	if (api_version_param(c, c->params[1], &version) < 0)
		return;
	api_err_init();
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_get_version(c->api->reg, c->params[0], version,
		api_qbool(c, "deleted"), &v);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		out_put(c, v->schema, v->schema_len);
	}
	regit_registry_read_end(c->api->reg);
}

/* GET /subjects/{s}/versions/{v}/referencedby?deleted=&offset=&limit= -> [ids] */
static void h_subject_version_refby(api_ctx *c)
{
	api_page pg;
	int version, rc;

	if (api_version_param(c, c->params[1], &version) < 0)
		return;
	if (api_page_init(&pg, c, 0, 0) < 0)
		return;
	pg.item = API_ITEM_ID;
	api_err_init();
	api_ok(c);
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_referenced_by(c->api->reg, c->params[0], version,
		api_qbool(c, "deleted"), cb_version, &pg);
	regit_registry_read_end(c->api->reg);
	api_list_close(c, rc);
}

/*
 * GET /subjects/{s}/metadata?key=&value=&deleted= -> Schema. regit stores
 * no metadata: without filters it is the latest version, with them nothing
 * matches (40403).
 */
static void h_subject_metadata(api_ctx *c)
{
	const regit_version *v = NULL;
	int rc;

	api_err_init();
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_get_version(c->api->reg, c->params[0], REGIT_VERSION_LATEST,
		api_qbool(c, "deleted"), &v);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else if (api_q(c, "key") || api_q(c, "value")) {
		api_error(c, 404, REGIT_SR_SCHEMA_NOT_FOUND, "Schema not found");
	} else {
		api_ok(c);
		out_version(c, v);
	}
	regit_registry_read_end(c->api->reg);
}

/* GET /schemas?subjectPrefix=&deleted=&latestOnly=&offset=&limit= -> [Schema] */
static void h_schemas(api_ctx *c)
{
	regit_list_filter f;
	api_page pg;

	if (api_page_init(&pg, c, API_SCHEMAS_MAX_LIMIT, API_SCHEMAS_MAX_LIMIT) < 0)
		return;
	pg.item = API_ITEM_SCHEMA;
	memset(&f, 0, sizeof(f));
	f.prefix = api_unqualify(api_q(c, "subjectPrefix"));
	f.deleted = api_qbool(c, "deleted");
	f.latest_only = api_qbool(c, "latestOnly");
	api_ok(c);
	if (api_other_context(api_q(c, "subjectPrefix"))) {
		out_puts(c, "[]");
		return;
	}
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	regit_registry_list_schemas(c->api->reg, &f, cb_version, &pg);
	regit_registry_read_end(c->api->reg);
	out_puts(c, "]");
}

/* GET /schemas/types -> ["AVRO"] */
static void h_schema_types(api_ctx *c)
{
	api_ok(c);
	out_puts(c, "[\"AVRO\"]");
}

static int api_id_param(api_ctx *c, int *id)
{
	if (regit_api_parse_int(c->params[0], id) < 0) {
		api_error(c, 404, 404, "HTTP 404 Not Found");
		return -1;
	}
	return 0;
}

static void api_cache_release(void *arg)
{
	api_cached *e = arg;

	if (atomic_fetch_sub(&e->refs, 1) == 1)
		regit_free(e);
}

static void api_cache_retain(void *arg)
{
	api_cached *e = arg;

	atomic_fetch_add(&e->refs, 1);
}

/* The cache forgets an entry: drop the server's prebuilt response (which
 * holds a reference on it) and the slot's own reference. */
static void api_cache_drop(api_cached *e)
{
	regit_http_prebuilt_evict(&e->pre);
	api_cache_release(e);
}

/* A current cached body for id with a reference for the caller, or NULL. */
static api_cached *api_cache_get(regit_api *api, int id, uint64_t gen)
{
	api_cached *e = NULL;
	pthread_mutex_t *lock;

	if (id <= 0 || (unsigned)id >= API_CACHE_SLOTS)
		return NULL;
	lock = &api->cache_lock[(unsigned)id % API_CACHE_LOCKS];
	pthread_mutex_lock(lock);
	e = api->cache[id];
	if (e && e->gen == gen)
		atomic_fetch_add(&e->refs, 1);
	else
		e = NULL;
	pthread_mutex_unlock(lock);
	return e;
}

static void api_cache_put(regit_api *api, int id, uint64_t gen, const char *body,
	size_t len)
{
	api_cached *e, *old;
	pthread_mutex_t *lock;

	if (id <= 0 || (unsigned)id >= API_CACHE_SLOTS)
		return;
	e = regit_malloc(sizeof(*e) + len + 1);
	if (!e)
		return;   /* caching is an optimisation; the response is already built */
	atomic_init(&e->refs, 1);
	memset(&e->pre, 0, sizeof(e->pre));
	e->gen = gen;
	e->len = len;
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	lock = &api->cache_lock[(unsigned)id % API_CACHE_LOCKS];
	pthread_mutex_lock(lock);
	old = api->cache[id];
	api->cache[id] = e;
	pthread_mutex_unlock(lock);
	if (old)
		api_cache_drop(old);
}

/*
 * Where GET /schemas/ids/{id}?subject=S says the id lives (8.x answers
 * with "subject" and "version" whenever ?subject= is given): the highest
 * version of S holding the id, soft-deleted ones included because the id
 * still resolves through them; when S does not hold it, Confluent's
 * fallback, the first subject-version holding it (here: by subject, then
 * version). The subject is copied: callback results are borrowed.
 */
typedef struct api_id_home {
	const char *want;       /* the unqualified ?subject= */
	regit_buf subject;
	int version;            /* 0 = nothing found yet */
	int matched;            /* subject == want */
	int deleted;
	int64_t ts;
	int fail;
} api_id_home;

static int cb_id_home(const regit_version *v, void *payload)
{
	api_id_home *h = payload;
	int match = strcmp(v->subject, h->want) == 0;

	if (h->version && !(match && (!h->matched || v->version > h->version)))
		return 0;
	regit_buf_clear(&h->subject);
	if (regit_buf_puts(&h->subject, v->subject) < 0)
		h->fail = 1;
	h->version = v->version;
	h->matched = match;
	h->deleted = v->deleted;
	h->ts = v->ts;
	return 0;
}

/*
 * ent/SchemaString of one schema: {["subject","version",]"schemaType",
 * "schema","references","guid","ts"[,"deleted"][,"maxId"]}. With
 * ?format=resolved the schema text inlines its references; other format
 * values are ignored (confluent-api §3). home (NULL for the plain answer)
 * adds the subject-version of ?subject= and takes ts/deleted from it.
 */
static int out_schema_string(api_ctx *c, const regit_schema_entry *e,
	const api_id_home *home)
{
	const char *format = api_q(c, "format");
	int rc;

	api_err_init();
	out_puts(c, "{");
	if (home && home->version) {
		out_puts(c, "\"subject\":");
		out_cstr(c, regit_buf_cstr(&home->subject));
		out_printf(c, ",\"version\":%d,", home->version);
	}
	out_puts(c, "\"schemaType\":\"AVRO\",\"schema\":");
	if (format && strcasecmp(format, "resolved") == 0 && e->nrefs) {
		regit_buf text;

		regit_buf_init(&text, REGIT_BUF_DEFAULT_MAX);
		rc = regit_registry_schema_resolved(c->api->reg, e->id, &text);
		if (rc < 0) {
			regit_buf_dispose(&text);
			api_reg_error(c, rc);
			return -1;
		}
		out_str(c, text.ptr, text.size);
		regit_buf_dispose(&text);
	} else {
		out_str(c, e->schema, e->schema_len);
	}
	if (e->nrefs)
		out_refs(c, e->refs, e->nrefs);
	out_guid(c, e->id);
	if (home && home->version) {
		if (home->ts > 0)
			out_printf(c, ",\"ts\":%lld", (long long)home->ts);
		if (home->deleted)
			out_puts(c, ",\"deleted\":true");
	} else {
		out_id_ts(c, e->id);
	}
	if (api_qbool(c, "fetchMaxId"))
		out_printf(c, ",\"maxId\":%d", regit_registry_max_id(c->api->reg));
	out_puts(c, "}");
	return 0;
}

/*
 * GET /schemas/ids/{id}?subject=&format=&fetchMaxId= -> SchemaString.
 * `subject` only selects the context in Confluent, so it does not filter
 * the id away (§6.4) - but a subject of another context finds nothing
 * (40403); with it the answer names the subject-version (api_id_home).
 * Plain requests (the hot path) are cached; the others are not: the cache
 * holds one body per id.
 */
static void h_schema_id(api_ctx *c)
{
	const regit_schema_entry *e = NULL;
	api_cached *hit;
	uint64_t gen;
	api_id_home home;
	const char *subject = api_q(c, "subject");
	int id, rc, plain;

	if (api_id_param(c, &id) < 0)
		return;
	if (api_other_context(subject)) {
		api_error(c, 404, REGIT_SR_SCHEMA_NOT_FOUND, "Schema %d not found: regit "
			"serves only the default context '.'", id);
		return;
	}
	plain = !subject && !api_q(c, "format") && !api_q(c, "fetchMaxId");
	gen = regit_registry_generation(c->api->reg);
	hit = plain ? api_cache_get(c->api, id, gen) : NULL;
	if (hit) {
		atomic_fetch_add_explicit(&c->api->cache_hits, 1, memory_order_relaxed);
		api_ok(c);
		c->resp->body = hit->body;
		c->resp->body_len = hit->len;
		c->resp->release = api_cache_release;
		c->resp->retain = api_cache_retain;
		c->resp->release_arg = hit;
		c->resp->prebuilt = &hit->pre;
		return;
	}
	if (plain)
		atomic_fetch_add_explicit(&c->api->cache_misses, 1, memory_order_relaxed);
	api_err_init();
	regit_registry_read_begin(c->api->reg);
	memset(&home, 0, sizeof(home));
	home.want = subject ? api_unqualify(subject) : NULL;
	regit_buf_init(&home.subject, 1u << 20);
	rc = regit_registry_get_schema(c->api->reg, id, &e);
	/* no subject-version found leaves the plain answer: the id still resolves */
	if (rc == 0 && subject)
		(void)regit_registry_id_versions(c->api->reg, id, 1, cb_id_home, &home);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		if (home.fail)
			c->fail = 1;
		rc = out_schema_string(c, e, subject ? &home : NULL);
	}
	regit_registry_read_end(c->api->reg);
	regit_buf_dispose(&home.subject);
	if (plain && rc == 0 && !c->fail)
		api_cache_put(c->api, id, gen, c->resp->buf.ptr, c->resp->buf.size);
}

/* GET /schemas/ids/{id}/schema -> the schema itself (40403, not Confluent's 500) */
static void h_schema_id_schema(api_ctx *c)
{
	const regit_schema_entry *e = NULL;
	int id, rc;

	if (api_id_param(c, &id) < 0)
		return;
	api_err_init();
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_get_schema(c->api->reg, id, &e);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		out_put(c, e->schema, e->schema_len);
	}
	regit_registry_read_end(c->api->reg);
}

/* GET /schemas/ids/{id}/subjects?deleted=&offset=&limit= -> ["s"] */
static void h_schema_id_subjects(api_ctx *c)
{
	api_subject_dedupe d;
	int id, rc;

	if (api_id_param(c, &id) < 0)
		return;
	memset(&d, 0, sizeof(d));
	if (api_page_init(&d.pg, c, 0, 0) < 0)
		return;
	regit_buf_init(&d.last, 1u << 20);
	api_err_init();
	api_ok(c);
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_id_versions(c->api->reg, id, api_qbool(c, "deleted"),
		cb_id_subject, &d);
	regit_registry_read_end(c->api->reg);
	regit_buf_dispose(&d.last);
	api_list_close(c, rc);
}

/* GET /schemas/ids/{id}/versions?deleted=&offset=&limit= -> [{"subject","version"}] */
static void h_schema_id_versions(api_ctx *c)
{
	api_page pg;
	int id, rc;

	if (api_id_param(c, &id) < 0)
		return;
	if (api_page_init(&pg, c, 0, 0) < 0)
		return;
	pg.item = API_ITEM_SUBJECT_VERSION;
	api_err_init();
	api_ok(c);
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_id_versions(c->api->reg, id, api_qbool(c, "deleted"),
		cb_version, &pg);
	regit_registry_read_end(c->api->reg);
	api_list_close(c, rc);
}

/*
 * GET /schemas/guids/{guid}?format= -> SchemaString
 * GET /schemas/guids/{guid}/ids -> [{"context":".","id":N}]
 * GUIDs are derived from schema content (registry.h); unknown -> 40403.
 */
static void h_schema_guid(api_ctx *c)
{
	const regit_schema_entry *e = NULL;
	int rc;

	api_err_init();
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_get_schema_by_guid(c->api->reg, c->params[0], &e);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		if (c->resp->route_id == R_SCHEMA_GUID_IDS)
			out_printf(c, "[{\"context\":\".\",\"id\":%d}]", e->id);
		else
			out_schema_string(c, e, NULL);
	}
	regit_registry_read_end(c->api->reg);
}

/*
 * POST /compatibility/subjects/{s}/versions[/{v}]?verbose=&normalize=
 * body RegisterSchemaRequest -> {"is_compatible": b[, "messages": [...]]}
 */
static void h_compat(api_ctx *c)
{
	regit_api_schema_body body;
	regit_register_request rr;
	char **messages = NULL;
	int version = 0, verbose, compatible = 0, rc;
	size_t i;

	if (c->nparams > 1 && api_version_param(c, c->params[1], &version) < 0)
		return;
	verbose = api_qbool(c, "verbose");
	if (api_schema_request(c, &body, &rr, c->params[0]) < 0)
		return;
	if (!body.schema) {
		regit_api_schema_body_dispose(&body);
		if (verbose) {
			api_ok(c);
			out_puts(c, "{\"is_compatible\":false,\"messages\":[\"Empty schema\"]}");
		} else {
			api_error(c, 422, REGIT_SR_INVALID_SCHEMA, "Empty schema");
		}
		return;
	}
	api_err_init();
	rc = regit_registry_test_compat(c->api->reg, &rr, version, verbose, &compatible,
		verbose ? &messages : NULL);
	regit_api_schema_body_dispose(&body);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		out_printf(c, "{\"is_compatible\":%s", compatible ? "true" : "false");
		if (verbose) {
			out_puts(c, ",\"messages\":[");
			for (i = 0; messages && messages[i]; i++) {
				if (i)
					out_puts(c, ",");
				out_cstr(c, messages[i]);
			}
			out_puts(c, "]");
		}
		out_puts(c, "}");
	}
	for (i = 0; messages && messages[i]; i++)
		regit_free(messages[i]);
	regit_free(messages);
}

/*
 * GET /config[/{s}]?defaultToGlobal= -> {"compatibilityLevel": L, ...}
 * PUT /config[/{s}] body {"compatibility": L, "normalize"?, "regit.rules"?,
 *   "regit.lint"?} -> echo
 * DELETE /config[/{s}] -> the removed config in GET's shape (ent/Config),
 *   {"compatibilityLevel": L, ...}
 */
static void h_config(api_ctx *c)
{
	const char *subject = c->nparams > 0 ? c->params[0] : NULL;
	regit_config cfg, out;
	int rc;

	api_err_init();
	memset(&out, 0, sizeof(out));
	if (c->method == M_GET) {
		rc = regit_registry_get_config(c->api->reg, subject,
			api_qbool(c, "defaultToGlobal"), &out);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_config(c, &out, "compatibilityLevel");
	} else if (c->method == M_PUT) {
		if (regit_api_decode_config_body(&cfg, c->req->body, c->req->body_len) < 0) {
			api_reg_error(c, REGIT_EINVALID);
			return;
		}
		rc = regit_registry_set_config(c->api->reg, subject, &cfg, c->user, &out);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_config(c, &cfg, "compatibility");
	} else {
		rc = regit_registry_delete_config(c->api->reg, subject, c->user, &out);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_config(c, &out, "compatibilityLevel");
	}
}

/*
 * GET /mode[/{s}]?defaultToGlobal= -> {"mode": M}
 * PUT /mode[/{s}]?force= body {"mode": M} -> echo
 * DELETE /mode[/{s}] -> {"mode": old}
 */
static void h_mode(api_ctx *c)
{
	const char *subject = c->nparams > 0 ? c->params[0] : NULL;
	regit_mode mode = REGIT_MODE_READWRITE;
	char sent[64];
	int rc;

	api_err_init();
	if (c->method == M_GET) {
		rc = regit_registry_get_mode(c->api->reg, subject,
			api_qbool(c, "defaultToGlobal"), &mode);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_printf(c, "{\"mode\":\"%s\"}", regit_mode_name(mode));
	} else if (c->method == M_PUT) {
		if (regit_api_decode_mode_body(sent, sizeof(sent), c->req->body,
		    c->req->body_len) < 0) {
			api_reg_error(c, REGIT_EINVALID);
			return;
		}
		if (regit_mode_parse(sent, &mode) < 0 ||
		    (subject && mode == REGIT_MODE_FORWARD)) {
			api_error(c, 422, REGIT_SR_INVALID_MODE, "Invalid mode. Valid values "
				"are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT%s",
				subject ? "" : " and FORWARD");
			return;
		}
		rc = regit_registry_set_mode(c->api->reg, subject, mode,
			api_qbool(c, "force"), c->user);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_puts(c, "{\"mode\":");
		out_cstr(c, sent);
		out_puts(c, "}");
	} else {
		rc = regit_registry_delete_mode(c->api->reg, subject, c->user, &mode);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_printf(c, "{\"mode\":\"%s\"}", regit_mode_name(mode));
	}
}

/*
 * GET /contexts?contextPrefix=&offset=&limit= -> ["."] (the only context);
 * DELETE /contexts/{ctx} -> 204 (42211 for a non-empty ".").
 */
static void h_contexts(api_ctx *c)
{
	const char *prefix = api_q(c, "contextPrefix");
	api_page pg;

	if (api_page_init(&pg, c, 0, 0) < 0)
		return;
	api_ok(c);
	out_puts(c, "[");
	if ((!prefix || strncmp(".", prefix, strlen(prefix)) == 0) && api_page_next(&pg) > 0)
		out_puts(c, "\".\"");
	out_puts(c, "]");
}

static void h_context(api_ctx *c)
{
	regit_registry_stats st;

	if (strcmp(c->params[0], ".") == 0) {
		regit_registry_stats_get(c->api->reg, &st);
		if (st.versions > 0) {
			api_error(c, 422, 42211, "Context '.' is not empty");
			return;
		}
	}
	c->resp->status = 204;
	c->resp->content_type = NULL;
}

/* GET /v1/metadata/{id|version|deployment} */
static void h_v1_metadata(api_ctx *c)
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

static void api_metrics_render(api_ctx *c);

/* GET /metrics -> Prometheus text exposition. */
static void h_metrics(api_ctx *c)
{
	api_metrics_render(c);
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

static void h_health(api_ctx *c)
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
	out_printf(c, "{\"status\":\"%s\",\"head\":", !st.store_ok ? "invalid" :
		st.upstream_refused ? "upstream-refused" :
		auth_problem[0] || st.disk_full || (st.upstream && !st.upstream_reachable) ?
		"degraded" : "ok");
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
			st.upstream_refused ? "refused" : st.upstream_reachable ? "ok" : "unreachable",
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

/*
 * The routes, matched in order on the raw path segments. Per method: the
 * role a user needs (with `serve --auth`) and whether the request writes.
 * Reads need `read`, changes `write`; configuration, modes, contexts and
 * anything that bypasses a safety net (a permanent delete, a forced
 * registration) need `admin`. POST / (liveness), POST /subjects/{s}
 * (lookup) and the POST /compatibility/ checks are reads.
 */
static const api_route api_routes[R_COUNT] = {
	[R_ROOT] = { "/", { NULL }, h_root,
		{ [M_GET] = OP(READ, 0), [M_POST] = OP(READ, 0) } },
	[R_SUBJECTS] = { "/subjects", { "subjects", NULL }, h_subjects,
		{ [M_GET] = OP(READ, 0) } },
	[R_SUBJECT] = { "/subjects/{s}", { "subjects", "*", NULL }, h_subject,
		{ [M_POST] = OP(READ, API_OP_REPAIR),
		  [M_DELETE] = OP(WRITE, API_OP_WRITES | API_OP_ADMIN_IF_PERMANENT) } },
	[R_SUBJECT_VERSIONS] = { "/subjects/{s}/versions", { "subjects", "*", "versions", NULL },
		h_subject_versions,
		{ [M_GET] = OP(READ, API_OP_REPAIR),
		  [M_POST] = OP(WRITE, API_OP_WRITES | API_OP_ADMIN_IF_FORCE) } },
	[R_SUBJECT_VERSION] = { "/subjects/{s}/versions/{v}",
		{ "subjects", "*", "versions", "*", NULL }, h_subject_version,
		{ [M_GET] = OP(READ, API_OP_REPAIR),
		  [M_DELETE] = OP(WRITE, API_OP_WRITES | API_OP_ADMIN_IF_PERMANENT) } },
	[R_SUBJECT_VERSION_SCHEMA] = { "/subjects/{s}/versions/{v}/schema",
		{ "subjects", "*", "versions", "*", "schema", NULL }, h_subject_version_schema,
		{ [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_SUBJECT_VERSION_REFBY] = { "/subjects/{s}/versions/{v}/referencedby",
		{ "subjects", "*", "versions", "*", "referencedby", NULL }, h_subject_version_refby,
		{ [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_SUBJECT_METADATA] = { "/subjects/{s}/metadata", { "subjects", "*", "metadata", NULL },
		h_subject_metadata, { [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_SCHEMAS] = { "/schemas", { "schemas", NULL }, h_schemas, { [M_GET] = OP(READ, 0) } },
	[R_SCHEMA_TYPES] = { "/schemas/types", { "schemas", "types", NULL }, h_schema_types,
		{ [M_GET] = OP(READ, 0) } },
	[R_SCHEMA_ID] = { "/schemas/ids/{id}", { "schemas", "ids", "*", NULL }, h_schema_id,
		{ [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_SCHEMA_ID_SCHEMA] = { "/schemas/ids/{id}/schema", { "schemas", "ids", "*", "schema", NULL },
		h_schema_id_schema, { [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_SCHEMA_ID_SUBJECTS] = { "/schemas/ids/{id}/subjects",
		{ "schemas", "ids", "*", "subjects", NULL }, h_schema_id_subjects,
		{ [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_SCHEMA_ID_VERSIONS] = { "/schemas/ids/{id}/versions",
		{ "schemas", "ids", "*", "versions", NULL }, h_schema_id_versions,
		{ [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_SCHEMA_GUID] = { "/schemas/guids/{guid}", { "schemas", "guids", "*", NULL },
		h_schema_guid, { [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_SCHEMA_GUID_IDS] = { "/schemas/guids/{guid}/ids", { "schemas", "guids", "*", "ids", NULL },
		h_schema_guid, { [M_GET] = OP(READ, API_OP_REPAIR) } },
	[R_COMPAT_VERSION] = { "/compatibility/subjects/{s}/versions/{v}",
		{ "compatibility", "subjects", "*", "versions", "*", NULL }, h_compat,
		{ [M_POST] = OP(READ, 0) } },
	[R_COMPAT_VERSIONS] = { "/compatibility/subjects/{s}/versions",
		{ "compatibility", "subjects", "*", "versions", NULL }, h_compat,
		{ [M_POST] = OP(READ, 0) } },
	[R_CONFIG] = { "/config", { "config", NULL }, h_config,
		{ [M_GET] = OP(READ, 0), [M_PUT] = OP(ADMIN, API_OP_WRITES),
		  [M_DELETE] = OP(ADMIN, API_OP_WRITES) } },
	[R_CONFIG_SUBJECT] = { "/config/{s}", { "config", "*", NULL }, h_config,
		{ [M_GET] = OP(READ, 0), [M_PUT] = OP(ADMIN, API_OP_WRITES),
		  [M_DELETE] = OP(ADMIN, API_OP_WRITES) } },
	[R_MODE] = { "/mode", { "mode", NULL }, h_mode,
		{ [M_GET] = OP(READ, 0), [M_PUT] = OP(ADMIN, API_OP_WRITES),
		  [M_DELETE] = OP(ADMIN, API_OP_WRITES) } },
	[R_MODE_SUBJECT] = { "/mode/{s}", { "mode", "*", NULL }, h_mode,
		{ [M_GET] = OP(READ, 0), [M_PUT] = OP(ADMIN, API_OP_WRITES),
		  [M_DELETE] = OP(ADMIN, API_OP_WRITES) } },
	[R_CONTEXTS] = { "/contexts", { "contexts", NULL }, h_contexts, { [M_GET] = OP(READ, 0) } },
	/* Deleting a context is a change by contract; regit has only the
	 * default one, so the handler answers without committing. */
	[R_CONTEXT] = { "/contexts/{ctx}", { "contexts", "*", NULL }, h_context,
		{ [M_DELETE] = OP(ADMIN, API_OP_WRITES) } },
	[R_V1_METADATA] = { "/v1/metadata/{x}", { "v1", "metadata", "*", NULL }, h_v1_metadata,
		{ [M_GET] = OP(READ, 0) } },
	[R_METRICS] = { "/metrics", { "metrics", NULL }, h_metrics, { [M_GET] = OP(READ, 0) } },
	[R_HEALTH] = { "/health", { "health", NULL }, h_health, { [M_GET] = OP(READ, 0) } },
	[R_UNKNOWN] = { "unknown", { NULL }, NULL, { { 0, 0 } } },
};

/* ---- metrics rendering -------------------------------------------------------- */

static const char *api_label(size_t r)
{
	return r < R_COUNT ? api_routes[r].name : regit_api__ui_route_name(r - R_COUNT);
}

static void api_metrics_render(api_ctx *c)
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
				api_label(r), status, n);
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
					"le=\"%g\"} %llu\n", api_label(r),
					api_buckets_us[b] / 1e6, cum);
			else
				out_printf(c, "regit_http_request_duration_seconds_bucket{route=\"%s\","
					"le=\"+Inf\"} %llu\n", api_label(r), cum);
		}
		out_printf(c, "regit_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
			api_label(r),
			atomic_load_explicit(&api->sum_us[r], memory_order_relaxed) / 1e6);
		out_printf(c, "regit_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
			api_label(r), cum);
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
			st.upstream_reachable ? 1 : 0, st.upstream_refused ? 1 : 0, lag,
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

/* ---- dispatch ---------------------------------------------------------------------- */

static unsigned api_method(const char *m)
{
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return M_GET;
	if (strcmp(m, "POST") == 0)
		return M_POST;
	if (strcmp(m, "PUT") == 0)
		return M_PUT;
	if (strcmp(m, "DELETE") == 0)
		return M_DELETE;
	return M_NONE;
}

static int api_seg_is(const api_ctx *c, size_t i, const char *lit)
{
	return strlen(lit) == c->path_len[i] && memcmp(c->path[i], lit, c->path_len[i]) == 0;
}

static int api_match(const api_ctx *c, const api_route *r)
{
	size_t i;

	for (i = 0; i < API_MAX_SEGMENTS && r->seg[i]; i++) {
		if (i >= c->nsegs)
			return 0;
		if (strcmp(r->seg[i], "*") != 0 && !api_seg_is(c, i, r->seg[i]))
			return 0;
	}
	return i == c->nsegs;
}

/* The credentials in force, as a reference of the caller's (NULL: no auth). */
static regit_auth *api_auth_get(regit_api *api)
{
	regit_auth *auth;

	pthread_mutex_lock(&api->auth_lock);
	auth = regit_auth_retain(api->auth);
	pthread_mutex_unlock(&api->auth_lock);
	return auth;
}

/*
 * Authentication (server/auth.h), only with `serve --auth`. Credentials
 * are checked before routing, so without valid ones every request is a 401
 * (unknown routes included: nothing is revealed); the role is checked once
 * the route and its query are known (403). Both answer Confluent error JSON.
 */
static int api_authenticate(api_ctx *c)
{
	const regit_http_admission *adm = c->req->admission;

	if (adm && adm->authenticated) {
		/* Checked by regit_api_admit before the body was read. */
		snprintf(c->user_buf, sizeof(c->user_buf), "%.*s", REGIT_AUTH_USER_MAX,
			adm->user);
		c->role = (regit_role)adm->role;
		c->user = c->user_buf;
		snprintf(c->resp->user, sizeof(c->resp->user), "%s", c->user_buf);
		return 1;
	}
	if (regit_auth_authenticate(c->auth, c->req->authorization, c->user_buf,
	    &c->role) == REGIT_AUTH_OK) {
		c->user = c->user_buf;
		snprintf(c->resp->user, sizeof(c->resp->user), "%s", c->user_buf);
		return 1;
	}
	c->resp->www_authenticate = "Basic realm=\"regit\", charset=\"UTF-8\"";
	api_error(c, 401, 401, "Unauthorized: valid HTTP Basic credentials are required");
	return 0;
}

/* The role c's request needs: its route's, raised by the query. */
static regit_role api_required_role(const api_ctx *c, const api_route *route)
{
	const api_op *op = &route->ops[c->method];

	if ((op->flags & API_OP_ADMIN_IF_PERMANENT) && api_qbool(c, "permanent"))
		return REGIT_ROLE_ADMIN;
	if ((op->flags & API_OP_ADMIN_IF_FORCE) && api_qbool(c, "force"))
		return REGIT_ROLE_ADMIN;
	return (regit_role)op->role;
}

static int api_authorize(api_ctx *c, const api_route *route)
{
	regit_role need = api_required_role(c, route);

	if (c->role >= need)
		return 1;
	api_error(c, 403, 403, "Forbidden: user %s (role %s) may not do this; it needs role %s",
		c->user, regit_role_name(c->role), regit_role_name(need));
	return 0;
}

/* Routes whose first path parameter is a subject (qualified names allowed). */
static int api_route_has_subject(int route_id)
{
	switch (route_id) {
	case R_SUBJECT: case R_SUBJECT_VERSIONS: case R_SUBJECT_VERSION:
	case R_SUBJECT_VERSION_SCHEMA: case R_SUBJECT_VERSION_REFBY: case R_SUBJECT_METADATA:
	case R_COMPAT_VERSION: case R_COMPAT_VERSIONS: case R_CONFIG_SUBJECT:
	case R_MODE_SUBJECT:
		return 1;
	default:
		return 0;
	}
}

/*
 * The URL-prefix form of contexts, /contexts/{ctx}/<any route> (Confluent's
 * ContextFilter): {ctx} is normalised like QualifiedSubject.normalizeContext
 * (colons around it dropped, a leading '.' added); "." - also written "",
 * ":.:" or ".:" - is the default context and the rest of the path is routed
 * as is. Another context is routed too and answered as an empty context
 * (api_foreign_context), a colon inside the name is 400 (as Confluent).
 * @return 0 (segments shifted or untouched), -1 (answered)
 */
static int api_context_prefix(api_ctx *c)
{
	char *ctx;
	size_t len, i;
	long n;

	if (c->nsegs < 3 || !api_seg_is(c, 0, "contexts"))
		return 0;
	ctx = api_arena_alloc(c, c->path_len[1] + 1);
	if (!ctx) {
		api_error(c, 500, 500, "out of memory");
		return -1;
	}
	n = regit_api_percent_decode(ctx, c->path[1], c->path_len[1], 0);
	if (n < 0) {
		api_error(c, 400, 400, "Malformed percent-encoding in the request path");
		return -1;
	}
	len = (size_t)n;
	if (len && ctx[0] == ':') {
		ctx++;
		len--;
	}
	if (len && ctx[len - 1] == ':')
		len--;
	ctx[len] = '\0';
	if (memchr(ctx, ':', len)) {
		api_error(c, 400, 400, "Context name cannot contain a colon");
		return -1;
	}
	if (!(len == 0 || (len == 1 && ctx[0] == '.')))
		c->foreign_ctx = ctx;   /* routed, then answered as an empty context */
	for (i = 2; i < c->nsegs; i++) {
		c->path[i - 2] = c->path[i];
		c->path_len[i - 2] = c->path_len[i];
	}
	c->nsegs -= 2;
	return 0;
}

/*
 * A route under /contexts/{ctx}/ of a context other than the default one.
 * regit keeps no other context, so it answers as Confluent does for an
 * empty one: lists are empty, ids are 40403, subjects 40401, and the
 * context-free routes (types, metrics, ...) are served as usual.
 * @return 1 when answered here, 0 to run the route's handler
 */
static int api_foreign_context(api_ctx *c)
{
	const char *ctx = c->foreign_ctx;
	const char *dot = ctx[0] == '.' ? "" : ".";

	switch (c->resp->route_id) {
	case R_ROOT: case R_SCHEMA_TYPES: case R_CONTEXTS: case R_CONTEXT:
	case R_V1_METADATA: case R_METRICS: case R_HEALTH:
		return 0;
	case R_SUBJECTS: case R_SCHEMAS:
		api_ok(c);
		out_puts(c, "[]");
		return 1;
	case R_SCHEMA_ID: case R_SCHEMA_ID_SCHEMA: case R_SCHEMA_ID_SUBJECTS:
	case R_SCHEMA_ID_VERSIONS: case R_SCHEMA_GUID: case R_SCHEMA_GUID_IDS:
		api_error(c, 404, REGIT_SR_SCHEMA_NOT_FOUND, "Schema not found: context "
			"'%s%.200s' is empty (regit serves only the default context '.')", dot, ctx);
		return 1;
	default:
		api_error(c, 404, REGIT_SR_SUBJECT_NOT_FOUND, "Context '%s%.200s' not found: "
			"regit serves only the default context '.'", dot, ctx);
		return 1;
	}
}

/*
 * Route a request: the front half of dispatch, shared with
 * regit_api_route_of() so that the server's view of a request (does it
 * write?) is the router's. Sets c->method and the response's route.
 * @return the route, or NULL when answered (400 target, 404, 405, 500)
 */
static const api_route *api_resolve(api_ctx *c)
{
	const regit_http_request *req = c->req;
	const char *target = req->target ? req->target : "/";
	const char *q = strchr(target, '?');
	size_t plen = q ? (size_t)(q - target) : strlen(target);
	size_t i, need, nroute;
	const api_route *route = NULL;
	int path_ok = 1;

	/* One arena for every decoded string: never more than the target. */
	need = strlen(target) + 2 * (API_MAX_SEGMENTS + API_MAX_QUERY) + 16;
	if (need <= sizeof(c->stack)) {
		c->arena = c->stack;
		c->arena_size = sizeof(c->stack);
	} else {
		c->arena = regit_malloc(need);
		if (!c->arena) {
			api_error(c, 500, 500, "out of memory");
			return NULL;
		}
		c->arena_size = need;
	}

	/* A request target never holds raw spaces or control characters
	 * (RFC 9112 §3.2); libmicrohttpd lets some through, Jetty does not. */
	for (i = 0; target[i]; i++) {
		unsigned char ch = (unsigned char)target[i];

		if (ch <= 0x20 || ch == 0x7f) {
			api_error(c, 400, 400, "Illegal character in the request target");
			return NULL;
		}
	}

	/* Raw segments; a trailing slash is ignored like JAX-RS does. */
	if (plen == 0 || target[0] != '/') {
		path_ok = 0;
	} else {
		size_t s = 1;

		if (plen > 1 && target[plen - 1] == '/')
			plen--;
		while (s < plen) {
			size_t e = s;

			while (e < plen && target[e] != '/')
				e++;
			if (c->nsegs == API_MAX_SEGMENTS) {
				path_ok = 0;
				break;
			}
			c->path[c->nsegs] = target + s;
			c->path_len[c->nsegs] = e - s;
			c->nsegs++;
			s = e + 1;
		}
	}
	if (path_ok && api_context_prefix(c) < 0)
		return NULL;
	if (path_ok) {
		for (nroute = 0; nroute < R_UNKNOWN; nroute++) {
			if (api_match(c, &api_routes[nroute])) {
				route = &api_routes[nroute];
				break;
			}
		}
	}
	if (!route) {
		api_error(c, 404, 404, "HTTP 404 Not Found");
		return NULL;
	}
	c->resp->route = route->name;
	c->resp->route_id = (int)(route - api_routes);
	c->method = api_method(req->method ? req->method : "");
	if (route->ops[c->method].role == REGIT_ROLE_NONE) {
		api_error(c, 405, 405, "HTTP 405 Method Not Allowed");
		return NULL;
	}
	return route;
}

static void api_auth_problem_copy(regit_api *api, char *out, size_t size);

static void api_dispatch(api_ctx *c)
{
	const regit_http_request *req = c->req;
	const char *target = req->target ? req->target : "/";
	const char *q = strchr(target, '?');
	const api_route *route;
	regit_api_ui_env ui_env;
	size_t i;

	c->ctype = regit_api_negotiate(req->accept);
	c->resp->route = api_routes[R_UNKNOWN].name;
	c->resp->route_id = R_UNKNOWN;
	if (c->auth && !api_authenticate(c))
		return;
	/* The web UI's files and /regit/ reads (server/api_ui.c). */
	ui_env.api = c->api;
	ui_env.route_of = regit_api_route_of;
	ui_env.auth_problem = api_auth_problem_copy;
	if (regit_api__ui_handle(&ui_env, c->api->reg, req, c->resp, c->user, c->role,
		c->api->auth != NULL)) {
		c->resp->route_id = c->resp->route_id < 0 ? R_ROOT : R_COUNT + c->resp->route_id;
		return;
	}
	route = api_resolve(c);
	if (!route)
		return;
	if (!regit_api_content_type_ok(req->content_type)) {
		api_error(c, 415, 415, "HTTP 415 Unsupported Media Type");
		return;
	}

	/* Decode the parameters ("*" segments) in order. */
	for (i = 0; i < c->nsegs && route->seg[i]; i++) {
		char *p;
		long n;

		if (strcmp(route->seg[i], "*") != 0)
			continue;
		p = api_arena_alloc(c, c->path_len[i] + 1);
		if (!p) {
			api_error(c, 500, 500, "out of memory");
			return;
		}
		n = regit_api_percent_decode(p, c->path[i], c->path_len[i], 0);
		if (n < 0) {
			api_error(c, 400, 400, "Malformed percent-encoding in the request path");
			return;
		}
		if ((size_t)n != strlen(p)) {
			/* A NUL cannot be part of a subject (control character). */
			api_error(c, 422, REGIT_SR_INVALID_SUBJECT,
				"Invalid subject: it contains a NUL character");
			return;
		}
		c->params[c->nparams++] = p;
	}
	if (q && api_parse_query(c, q + 1, strlen(q + 1)) < 0) {
		api_error(c, 500, 500, "out of memory");
		return;
	}
	if (api_route_has_subject(c->resp->route_id) && c->nparams > 0) {
		const char *subject = api_unqualify(c->params[0]);

		if (!subject) {
			api_error(c, 404, REGIT_SR_SUBJECT_NOT_FOUND, "Subject '%.200s' not found: "
				"regit serves only the default context '.'", c->params[0]);
			return;
		}
		c->params[0] = subject;
	}
	if (c->auth && !api_authorize(c, route))
		return;
	if (c->foreign_ctx && api_foreign_context(c))
		return;
	route->fn(c);
	if (c->resp->status == 404 && (route->ops[c->method].flags & API_OP_REPAIR) &&
			regit_registry_read_repair(c->api->reg)) {
		/* The replica took in something new: answer from it. */
		regit_buf_clear(&c->resp->buf);
		c->fail = 0;
		c->resp->status = 200;
		route->fn(c);
	}
}

void regit_api_handle(const regit_http_request *req, regit_http_response *resp,
	void *payload)
{
	api_ctx *c;

	/* The context is large (inline arena) but lives on the handler's stack. */
	api_ctx ctx;

	c = &ctx;
	memset(c, 0, offsetof(api_ctx, stack));
	c->api = payload;
	c->req = req;
	c->resp = resp;
	resp->status = 500;
	resp->content_type = API_CT_V1;
	c->auth = api_auth_get(c->api);
	api_dispatch(c);
	if (c->fail)
		api_error(c, 500, 500, "Response too large or out of memory");
	if (c->arena && c->arena != c->stack)
		regit_free(c->arena);
	regit_auth_free(c->auth);
}

/* Answer a refused admission: a Confluent error body. */
static int api_admit_refuse(regit_api *api, const regit_http_request *req,
	regit_http_response *resp, int status, unsigned retry_after, const char *msg)
{
	api_ctx ctx;
	api_ctx *c = &ctx;

	memset(c, 0, offsetof(api_ctx, stack));
	c->api = api;
	c->req = req;
	c->resp = resp;
	c->ctype = regit_api_negotiate(req->accept);
	resp->route = api_routes[R_UNKNOWN].name;
	resp->route_id = R_UNKNOWN;
	if (status == 401)
		resp->www_authenticate = "Basic realm=\"regit\", charset=\"UTF-8\"";
	resp->retry_after_s = retry_after;
	api_error(c, status, status, "%s", msg);
	return REGIT_HTTP_REFUSE;
}

/* A full password check on a worker thread, max_hashing at a time. */
static regit_auth_result api_hash_check(regit_api *api, regit_auth *auth,
	const char *header, char *user, regit_role *role)
{
	regit_auth_result r;

	pthread_mutex_lock(&api->hash_lock);
	while (api->hashing >= api->max_hashing)
		pthread_cond_wait(&api->hash_cv, &api->hash_lock);
	api->hashing++;
	pthread_mutex_unlock(&api->hash_lock);
	r = regit_auth_authenticate(auth, header, user, role);
	pthread_mutex_lock(&api->hash_lock);
	api->hashing--;
	pthread_cond_signal(&api->hash_cv);
	pthread_mutex_unlock(&api->hash_lock);
	return r;
}

int regit_api_admit(const regit_http_request *req, regit_http_admission *adm,
	regit_http_response *resp, int may_block, void *payload)
{
	regit_api *api = payload;
	regit_auth *auth = api_auth_get(api);
	regit_auth_result r;
	regit_role role = REGIT_ROLE_NONE;
	unsigned wait;
	int rc = REGIT_HTTP_ADMIT;

	memset(adm, 0, sizeof(*adm));
	if (!auth)
		return REGIT_HTTP_ADMIT;
	if (req->cert_user) {
		/* Mutual TLS: the server verified the certificate; its CN is
		 * the user, whatever an Authorization header says. */
		if (regit_auth_role_of(auth, req->cert_user, &role) < 0) {
			rc = api_admit_refuse(api, req, resp, 401, 0,
				"Unauthorized: the client certificate's subject names no"
				" user of the credentials file");
			goto done;
		}
		snprintf(adm->user, sizeof(adm->user), "%s", req->cert_user);
		r = REGIT_AUTH_OK;
		goto admitted;
	}
	r = regit_auth_authenticate_cached(auth, req->authorization, adm->user, &role);
	if (r == REGIT_AUTH_NEEDS_HASH) {
		wait = regit_auth_throttle_wait(api->throttle, req->remote);
		if (wait) {
			rc = api_admit_refuse(api, req, resp, 429, wait,
				"Too many failed logins from this address; retry later");
			goto done;
		}
		if (!may_block) {
			rc = REGIT_HTTP_ADMIT_BLOCKS;
			goto done;
		}
		/* Taken before hashing, given back on success: guesses running
		 * at once cannot all get past the check above. */
		wait = regit_auth_throttle_take(api->throttle, req->remote);
		if (wait) {
			rc = api_admit_refuse(api, req, resp, 429, wait,
				"Too many failed logins from this address; retry later");
			goto done;
		}
		r = api_hash_check(api, auth, req->authorization, adm->user, &role);
		if (r == REGIT_AUTH_OK)
			regit_auth_throttle_refund(api->throttle, req->remote);
	}
	if (r != REGIT_AUTH_OK) {
		rc = api_admit_refuse(api, req, resp, 401, 0,
			"Unauthorized: valid HTTP Basic credentials are required");
		goto done;
	}
admitted:
	adm->authenticated = 1;
	adm->role = (int)role;
	snprintf(resp->user, sizeof(resp->user), "%s", adm->user);
done:
	regit_auth_free(auth);
	return rc;
}

/* regit_api_route_of; with_role 0 skips the query (the role is then the
 * route's own), which is all the server's write check needs. */
static unsigned api_route_of(const char *method, const char *target, int with_role)
{
	regit_http_request req;
	regit_http_response resp;
	const api_route *route;
	const char *q;
	unsigned flags = REGIT_ROLE_ADMIN | REGIT_API_NO_ROUTE;
	api_ctx ctx;
	api_ctx *c = &ctx;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = target;
	/* Errors the router would answer are rendered into a scratch response
	 * that is thrown away: too small to ever allocate much. */
	regit_http_response_init(&resp, 256);
	memset(c, 0, offsetof(api_ctx, stack));
	c->req = &req;
	c->resp = &resp;
	c->ctype = API_CT_V1;
	route = api_resolve(c);
	if (!route)
		goto done;
	q = with_role ? strchr(target ? target : "/", '?') : NULL;
	if (q && api_parse_query(c, q + 1, strlen(q + 1)) < 0)
		goto done;   /* out of arena: fail closed */
	flags = (unsigned)api_required_role(c, route);
	if (route->ops[c->method].flags & API_OP_WRITES)
		flags |= REGIT_API_WRITES;
done:
	regit_http_response_dispose(&resp);
	if (c->arena && c->arena != c->stack)
		regit_free(c->arena);
	return flags;
}

unsigned regit_api_route_of(const char *method, const char *target)
{
	return api_route_of(method, target, 1);
}

int regit_api_may_write(const char *method, const char *target, void *payload)
{
	unsigned m = api_method(method ? method : "");
	size_t r;

	(void)payload;
	/* Every request asks, GETs above all: routing the target costs ~300 ns,
	 * a glance down the table's column for the method a few. */
	for (r = 0; r < R_UNKNOWN; r++) {
		if (api_routes[r].ops[m].flags & API_OP_WRITES)
			return (api_route_of(method, target, 0) & REGIT_API_WRITES) != 0;
	}
	return 0;
}

const char *regit_api__route_name(size_t i)
{
	return i < R_UNKNOWN ? api_routes[i].name : NULL;
}

/* ---- lifecycle -------------------------------------------------------------------- */

int regit_api_new(regit_api **out, regit_registry *reg)
{
	regit_api *api;
	size_t i;

	*out = NULL;
	api = regit_calloc(1, sizeof(*api));
	if (!api)
		return REGIT_ENOMEM;
	api->cache = regit_calloc(API_CACHE_SLOTS, sizeof(*api->cache));
	if (!api->cache) {
		regit_free(api);
		return REGIT_ENOMEM;
	}
	if (regit_auth_throttle_new(&api->throttle) < 0) {
		regit_free(api->cache);
		regit_free(api);
		return REGIT_ENOMEM;
	}
	for (i = 0; i < API_CACHE_LOCKS; i++)
		pthread_mutex_init(&api->cache_lock[i], NULL);
	pthread_mutex_init(&api->auth_lock, NULL);
	pthread_mutex_init(&api->hash_lock, NULL);
	pthread_cond_init(&api->hash_cv, NULL);
	api->max_hashing = regit_cpu_count() / 2;
	if (api->max_hashing == 0)
		api->max_hashing = 1;
	api->reg = reg;
	*out = api;
	return 0;
}

void regit_api_set_http(regit_api *api, const regit_http_server *srv)
{
	atomic_store(&api->http, srv);
}

void regit_api_set_auth(regit_api *api, regit_auth *auth)
{
	regit_auth *old;

	regit_auth_retain(auth);
	pthread_mutex_lock(&api->auth_lock);
	old = api->auth;
	api->auth = auth;
	api->auth_problem[0] = '\0';
	pthread_mutex_unlock(&api->auth_lock);
	regit_auth_free(old);   /* freed once the last request using it is done */
}

void regit_api_set_auth_problem(regit_api *api, const char *problem)
{
	pthread_mutex_lock(&api->auth_lock);
	snprintf(api->auth_problem, sizeof(api->auth_problem), "%s", problem ? problem : "");
	pthread_mutex_unlock(&api->auth_lock);
}

/* regit_api_ui_env.auth_problem (the UI's /regit/health). */
static void api_auth_problem_copy(regit_api *api, char *out, size_t size)
{
	pthread_mutex_lock(&api->auth_lock);
	snprintf(out, size, "%s", api->auth_problem);
	pthread_mutex_unlock(&api->auth_lock);
}

void regit_api_free(regit_api *api)
{
	size_t i;

	if (!api)
		return;
	for (i = 0; i < API_CACHE_SLOTS; i++) {
		if (api->cache[i])
			api_cache_drop(api->cache[i]);
	}
	for (i = 0; i < API_CACHE_LOCKS; i++)
		pthread_mutex_destroy(&api->cache_lock[i]);
	regit_auth_free(api->auth);
	regit_auth_throttle_free(api->throttle);
	pthread_mutex_destroy(&api->auth_lock);
	pthread_mutex_destroy(&api->hash_lock);
	pthread_cond_destroy(&api->hash_cv);
	regit_free(api->cache);
	regit_free(api);
}
