/*
 * api.c - the Confluent Schema Registry REST API as a socket-free handler:
 * its route table, routing, dispatch, admission and lifecycle.
 *
 * One request goes through: content negotiation (Accept) -> route match on
 * the raw path (404 unknown route, 405 wrong method) -> Content-Type check
 * (415) -> percent-decoding of path parameters and query -> the route's
 * handler, which calls registry.h and renders Confluent JSON. Every error
 * leaves as {"error_code": N, "message": "..."} with the status derived from
 * the code (a 5-digit code's first three digits).
 *
 * The handlers live per resource in api_subjects.c, api_schemas.c (with
 * the per-id response cache of GET /schemas/ids/{id}), api_settings.c and
 * api_status.c (/health, /metrics); they share the request context and
 * helpers of api_internal.h and api_ctx.c. This file names them in its
 * table and is called by none of them (`make cycles`). api_body.c,
 * api_syntax.c, api_out.c and api_ui.c are the other parts.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_internal.h"
#include "util/alloc.h"
#include "util/cpu.h"
#include "util/error.h"

/* ---- the route table ------------------------------------------------------ */

#define OP(role, flags) { REGIT_ROLE_##role, (flags) }

/* regit_api_route_of returns the role in the low bits of its flags. */
_Static_assert(REGIT_ROLE_ADMIN <= REGIT_API_ROLE_MASK &&
	(REGIT_API_ROLE_MASK & (REGIT_API_WRITES | REGIT_API_NO_ROUTE)) == 0,
	"roles must fit REGIT_API_ROLE_MASK");

/* ---- request parsing helpers ----------------------------------------------- */

static char *api_arena_alloc(api_ctx *c, size_t n)
{
	return regit_api_arena_take(c->arena, c->arena_size, &c->arena_used, n);
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

/* GET /metrics -> Prometheus text exposition (api_status.c); the route
 * labels are this table's. */
static const char *api_label(size_t r);

static void h_metrics(api_ctx *c)
{
	api_metrics_render(c, api_label);
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

/* The /metrics label of route r: the table's routes, then the web UI's. */
static const char *api_label(size_t r)
{
	return r < R_COUNT ? api_routes[r].name : regit_api__ui_route_name(r - R_COUNT);
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
