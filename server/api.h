/*
 * api.h - the Confluent Schema Registry REST API over a regit_registry,
 * as a socket-free request handler.
 *
 * regit_api_handle() takes one complete request (method, raw target,
 * headers, body) and produces status, content type and body: routing,
 * percent-decoding, query parsing, content negotiation, error bodies and
 * rendering all happen here, without sockets, so unit tests and fuzzers
 * drive it directly. server/http.c adapts it to libmicrohttpd.
 *
 * The rules implemented are those of docs/confluent-api.md (§1 HTTP
 * conventions, §3 endpoints) for the default context, plus three regit
 * routes: GET /metrics (Prometheus text), GET /health (store state) and the
 * "regit.rules" and "regit.lint" keys in config bodies (strict|avro
 * evolution rules; off|warn|enforce lint policy).
 */
#ifndef REGIT_API_H
#define REGIT_API_H

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"
#include "server/auth.h"
#include "server/http.h"

typedef struct regit_api regit_api;

/* Extra config key carrying regit's rule set; Confluent clients ignore it. */
#define REGIT_API_RULES_KEY "regit.rules"
/* Extra config key carrying the lint policy (off|warn|enforce); likewise. */
#define REGIT_API_LINT_KEY "regit.lint"

/**
 * Create the API over a registry.
 * @param reg  borrowed; must outlive the api
 * @return 0, REGIT_ENOMEM
 */
int regit_api_new(regit_api **out, regit_registry *reg);
void regit_api_free(regit_api *api);

/**
 * Require HTTP Basic authentication (server/auth.h): 401 without valid
 * credentials (before routing, so nothing is revealed), 403 when the route
 * needs a higher role (regit_api_route_of); the user becomes the commit author of every write.
 * The api takes its own reference on auth (regit_auth_retain); calling it
 * again swaps the credentials while requests run (each request keeps the
 * ones it started with). NULL turns authentication off (the default).
 */
void regit_api_set_auth(regit_api *api, regit_auth *auth);

/**
 * The server whose own refusals (header deadline, connection limits)
 * GET /metrics reports; borrowed, NULL (the default) for none. Set before
 * serving, cleared before the server is freed.
 */
void regit_api_set_http(regit_api *api, const regit_http_server *srv);

/**
 * Say in GET /health that the credentials file could not be reloaded (the
 * credentials in force stay); NULL or "" clears it. Thread-safe.
 */
void regit_api_set_auth_problem(regit_api *api, const char *problem);

/**
 * The admission check (matches regit_http_admit, server/http.h): with
 * auth, 401 for missing or wrong credentials before any body is read; a
 * cache miss needs a password hash, which only runs with may_block (on a
 * worker, a few at a time); an address with too many failed checks gets
 * 429 with Retry-After before any hash (regit_auth_throttle). A request
 * carrying a verified client certificate (req->cert_user, mutual TLS) is
 * that user with that user's role, no password: 401 when the file has no
 * such user.
 */
int regit_api_admit(const regit_http_request *req, regit_http_admission *adm,
	regit_http_response *resp, int may_block, void *payload);

/**
 * Handle one request. Thread-safe. Matches regit_http_handler; payload is
 * the regit_api. The response is always complete (status, JSON error body
 * on failure); dispose it with regit_http_response_dispose.
 */
void regit_api_handle(const regit_http_request *req, regit_http_response *resp,
	void *payload);

/**
 * Record a finished request in the metrics (matches regit_http_observer).
 * regit_api_handle does not count requests itself so that the latency
 * covers the whole exchange when served over HTTP.
 */
void regit_api_observe(const regit_http_request *req, const regit_http_response *resp,
	uint64_t elapsed_ns, void *payload);

/*
 * Classification of a request by the route table in api.c, the single
 * source of which requests write and which role each needs (with
 * `serve --auth`; roles in server/auth.h):
 *
 *   read   GET/HEAD of every route, POST / (liveness), POST /subjects/{s}
 *          (lookup), POST /compatibility/subjects/{s}/versions[/{v}]
 *   write  POST /subjects/{s}/versions (register), DELETE /subjects/{s}
 *          and DELETE /subjects/{s}/versions/{v} (soft deletes)
 *   admin  PUT/DELETE /config[/{s}] and /mode[/{s}], DELETE /contexts/{ctx},
 *          the soft deletes with ?permanent=true, register with
 *          ?force=true (it skips the compatibility checks)
 *
 * Matching is the router's own, on the raw target: "%2F" inside a subject
 * stays in its segment (so POST /subjects/a%2Fversions is a lookup of
 * subject "a/versions"), a trailing slash is ignored, /contexts/{ctx}/
 * prefixes and ":.ctx:subject" forms route like the plain path, HEAD is
 * GET. A request no route serves (404, 405, a malformed target) is
 * answered with an error before any role check; it is classified
 * fail-closed as admin, not writing, with REGIT_API_NO_ROUTE.
 */
#define REGIT_API_ROLE_MASK 0x3u    /* the regit_role the request needs */
#define REGIT_API_WRITES 0x4u       /* it changes the store */
#define REGIT_API_NO_ROUTE 0x8u     /* no route serves this method and target */

/**
 * Classify a request (see above). Thread-safe; allocates only for a long
 * target (over ~2 KB) or one the router refuses (its error body, dropped).
 * @param method as sent ("GET", "POST", ...); NULL is no method
 * @param target the raw request target, query included: ?permanent=true
 *               and ?force=true raise the role as the table says
 * @return REGIT_API_* flags; the role is flags & REGIT_API_ROLE_MASK
 */
unsigned regit_api_route_of(const char *method, const char *target);

/**
 * Matches regit_http_writes (server/http.h): true when the route table
 * says the request writes, so the server runs it on a worker thread.
 */
int regit_api_may_write(const char *method, const char *target, void *payload);

/* ---- internals shared with tests and fuzzers ------------------------- */

/**
 * The i-th route's name ("/subjects/{s}/versions"), NULL past the last:
 * lets tests check that they cover every route of the table.
 */
const char *regit_api__route_name(size_t i);


/* A decoded register / lookup / compatibility body. Strings are owned. */
typedef struct regit_api_schema_body {
	char *schema;             /* NULL when absent */
	size_t schema_len;
	char *schema_type;        /* NULL when absent */
	regit_reference *refs;    /* owned, with owned name/subject strings */
	size_t nrefs;
	int id;                   /* 0 when absent */
	int version;              /* 0 when absent */
} regit_api_schema_body;

/**
 * Decode a RegisterSchemaRequest body.
 * @return 0 or REGIT_EINVALID with regit_error_api_code() 400 (not JSON, wrong member
 *         type) or 42201 (bad reference); out is empty on failure
 */
int regit_api_decode_schema_body(regit_api_schema_body *out, const char *body,
	size_t len);
void regit_api_schema_body_dispose(regit_api_schema_body *b);

/** Decode a ConfigUpdateRequest (400, 42203 on failure). */
int regit_api_decode_config_body(regit_config *out,
	const char *body, size_t len);

/** Decode a mode body; out receives the mode string as sent (400, 42204). */
int regit_api_decode_mode_body(char *out, size_t outsize,
	const char *body, size_t len);

/* ---- request syntax (api_syntax.c) ---- */

#define REGIT_API_CT_V1 "application/vnd.schemaregistry.v1+json"
#define REGIT_API_CT_SR "application/vnd.schemaregistry+json"
#define REGIT_API_CT_JSON "application/json"

/**
 * Percent-decode `in` (len bytes) into out (at least len + 1 bytes);
 * plus_space turns '+' into ' ' (query strings). @return the decoded
 * length, or -1 for a malformed escape.
 */
long regit_api_percent_decode(char *out, const char *in, size_t len, int plus_space);

/** Version path segment: REGIT_VERSION_LATEST or >= 1; -1 on 42202 errors. */
int regit_api_parse_version(const char *s, int *out);

/** Java Integer.parseInt: optional sign, digits, int32 range. @return 0 / -1 */
int regit_api_parse_int(const char *s, int *out);

/** JAX-RS boolean: "true" in any case is true, anything else false. */
int regit_api_parse_bool(const char *s);

/**
 * Pick the response content type for an Accept header (NULL = absent):
 * one of the three schema-registry JSON types.
 */
const char *regit_api_negotiate(const char *accept);

/** True when a request Content-Type (NULL = absent) is acceptable. */
int regit_api_content_type_ok(const char *content_type);

#endif
