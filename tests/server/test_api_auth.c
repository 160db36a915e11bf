/*
 * test_api_auth.c - authentication in the socket-free API handler
 * (regit_api_set_auth): 401 before routing with a WWW-Authenticate
 * challenge, 403 per the route table after it, Confluent error bodies,
 * and the authenticated user as the git commit author. The route table's
 * roles and write flags (regit_api_route_of) are checked for every route
 * and method against the expectations below, and over real HTTP: a read
 * user is refused every writing request, write and admin users pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api.h"
#include "server/auth.h"
#include "tests/support/tmpdir.h"
#include "util/buf.h"
#include "util/error.h"

/* openssl passwd -6 -salt saltsalt secret */
#define HASH_SECRET "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
#define ALICE "Basic YWxpY2U6c2VjcmV0"   /* alice:secret (admin) */
#define RITA "Basic cml0YTpzZWNyZXQ="    /* rita:secret (read) */
#define WENDY "Basic d2VuZHk6c2VjcmV0"   /* wendy:secret (write) */
#define SCHEMA "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"U\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\"}]}\"}"

typedef struct fixture {
	char *dir;
	regit_registry *reg;
	regit_api *api;
	regit_auth *auth;
	char store[512];
} fixture;

static int setup(void **state)
{
	static const char creds[] =
		"alice:admin:" HASH_SECRET "\n"
		"wendy:write:" HASH_SECRET "\n"
		"rita:read:" HASH_SECRET "\n";
	regit_registry_options o = REGIT_REGISTRY_OPTIONS_INIT;
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = test_tmpdir_new("apiauth");
	assert_non_null(f->dir);
	snprintf(f->store, sizeof(f->store), "%s/r.git", f->dir);
	o.store_path = f->store;
	o.default_level = REGIT_LEVEL_NONE;
	regit_error_set_api_code(0);
	assert_int_equal(regit_registry_open(&f->reg, &o), 0);
	assert_int_equal(regit_api_new(&f->api, f->reg), 0);
	assert_int_equal(regit_auth_parse(&f->auth, creds, sizeof(creds) - 1), 0);
	regit_api_set_auth(f->api, f->auth);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	regit_api_free(f->api);
	regit_auth_free(f->auth);
	regit_registry_free(f->reg);
	test_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* One request; returns the status and copies the body into out. */
static int call(fixture *f, const char *method, const char *target, const char *authz,
	const char *body, char *out, size_t outsize, const char **www)
{
	regit_http_request req;
	regit_http_response resp;
	const char *b;
	size_t len;
	int status;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = target;
	req.authorization = authz;
	req.content_type = body ? "application/vnd.schemaregistry.v1+json" : NULL;
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	regit_http_response_init(&resp, 1 << 20);
	regit_api_handle(&req, &resp, f->api);
	status = resp.status;
	b = regit_http_response_body(&resp, &len);
	if (out) {
		snprintf(out, outsize, "%.*s", (int)len, b);
	}
	if (www)
		*www = resp.www_authenticate;
	regit_http_response_dispose(&resp);
	return status;
}

static void test_api_auth__unauthenticated(void **state)
{
	fixture *f = *state;
	char body[512];
	const char *www = NULL;

	assert_int_equal(call(f, "GET", "/subjects", NULL, NULL, body, sizeof(body), &www), 401);
	assert_non_null(www);
	assert_non_null(strstr(www, "Basic realm=\"regit\""));
	assert_non_null(strstr(body, "\"error_code\":401"));
	assert_int_equal(call(f, "GET", "/subjects", "Basic YWxpY2U6d3Jvbmc=", NULL, body,
		sizeof(body), NULL), 401);   /* alice:wrong */
	assert_int_equal(call(f, "GET", "/no/such/route", NULL, NULL, NULL, 0, NULL), 401);
	assert_int_equal(call(f, "POST", "/subjects/s/versions", NULL, SCHEMA, NULL, 0, NULL), 401);
	assert_int_equal(call(f, "GET", "/subjects", RITA, NULL, body, sizeof(body), &www), 200);
	assert_null(www);
	assert_string_equal(body, "[]");
}

static void test_api_auth__roles(void **state)
{
	fixture *f = *state;
	char body[1024];

	assert_int_equal(call(f, "POST", "/subjects/s/versions", RITA, SCHEMA, body,
		sizeof(body), NULL), 403);
	assert_non_null(strstr(body, "\"error_code\":403"));
	assert_int_equal(call(f, "POST", "/subjects/s/versions", WENDY, SCHEMA, body,
		sizeof(body), NULL), 200);
	assert_int_equal(call(f, "POST", "/subjects/s", RITA, SCHEMA, body, sizeof(body), NULL), 200);
	assert_int_equal(call(f, "POST", "/subjects/s%2Fversions", RITA, SCHEMA, NULL, 0, NULL), 404);
	assert_int_equal(call(f, "POST", "/subjects/s/versions?force=true", WENDY, SCHEMA, NULL, 0,
		NULL), 403);
	/* Admin-only even for a subject's own config: kafkajs's register()
	 * sends this after a first registration (README, security). */
	assert_int_equal(call(f, "PUT", "/config/s", WENDY, "{\"compatibility\":\"FULL\"}", body,
		sizeof(body), NULL), 403);
	assert_non_null(strstr(body, "\"error_code\":403"));
	assert_non_null(strstr(body, "\"message\":\"Forbidden: user wendy (role write)"));
	assert_non_null(strstr(body, "needs role admin"));
	assert_int_equal(call(f, "GET", "/config/s", WENDY, NULL, body, sizeof(body), NULL), 404);
	assert_int_equal(call(f, "PUT", "/config/s", ALICE, "{\"compatibility\":\"FULL\"}", NULL, 0,
		NULL), 200);
	assert_int_equal(call(f, "DELETE", "/subjects/s/versions/1", RITA, NULL, NULL, 0, NULL), 403);
	assert_int_equal(call(f, "DELETE", "/subjects/s/versions/1", WENDY, NULL, NULL, 0, NULL), 200);
	assert_int_equal(call(f, "DELETE", "/subjects/s/versions/1?permanent=TRUE", WENDY, NULL,
		NULL, 0, NULL), 403);
	assert_int_equal(call(f, "DELETE", "/subjects/s/versions/1?permanent=true", ALICE, NULL,
		NULL, 0, NULL), 200);
	assert_int_equal(call(f, "PUT", "/mode", WENDY, "{\"mode\":\"READONLY\"}", NULL, 0, NULL), 403);
}

static void test_api_auth__author_is_the_user(void **state)
{
	fixture *f = *state;
	char cmd[1024], line[256];
	FILE *p;
	int wendy = 0, alice = 0, other = 0;

	assert_int_equal(call(f, "POST", "/subjects/a/versions", WENDY, SCHEMA, NULL, 0, NULL), 200);
	assert_int_equal(call(f, "PUT", "/config", ALICE, "{\"compatibility\":\"FULL\"}", NULL, 0,
		NULL), 200);
	/* Only a missing git binary is a reason to skip: a store git cannot
	 * read (no commits, no authors) is a failure. */
	if (system("git --version >/dev/null 2>&1") != 0)
		skip();   /* no git binary */
	snprintf(cmd, sizeof(cmd), "git --git-dir '%s' log --format=%%an 2>/dev/null", f->store);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (strcmp(line, "wendy\n") == 0)
			wendy++;
		else if (strcmp(line, "alice\n") == 0)
			alice++;
		else
			other++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(wendy, 1);
	assert_int_equal(alice, 1);
	assert_int_equal(other, 0);
}

/* ---- the route table ------------------------------------------------------- */

/*
 * What each route must be, restated here on purpose: a change to the
 * table in api.c that is not also made here fails. `ops` has one letter
 * per method, GET POST PUT DELETE: '-' not served (405), 'r' needs read,
 * 'W' needs write and writes, 'A' needs admin and writes. `raise` names
 * the query parameter that makes the writing method need admin.
 */
static const struct route_case {
	const char *route;     /* regit_api__route_name */
	const char *target;    /* a target it serves */
	const char *ops;
	const char *raise;
} route_cases[] = {
	{ "/", "/", "rr--", NULL },
	{ "/subjects", "/subjects", "r---", NULL },
	{ "/subjects/{s}", "/subjects/x", "-r-W", "permanent" },
	{ "/subjects/{s}/versions", "/subjects/x/versions", "rW--", "force" },
	{ "/subjects/{s}/versions/{v}", "/subjects/x/versions/1", "r--W", "permanent" },
	{ "/subjects/{s}/versions/{v}/schema", "/subjects/x/versions/1/schema", "r---", NULL },
	{ "/subjects/{s}/versions/{v}/referencedby", "/subjects/x/versions/latest/referencedby",
		"r---", NULL },
	{ "/subjects/{s}/metadata", "/subjects/x/metadata", "r---", NULL },
	{ "/schemas", "/schemas", "r---", NULL },
	{ "/schemas/types", "/schemas/types", "r---", NULL },
	{ "/schemas/ids/{id}", "/schemas/ids/1", "r---", NULL },
	{ "/schemas/ids/{id}/schema", "/schemas/ids/1/schema", "r---", NULL },
	{ "/schemas/ids/{id}/subjects", "/schemas/ids/1/subjects", "r---", NULL },
	{ "/schemas/ids/{id}/versions", "/schemas/ids/1/versions", "r---", NULL },
	{ "/schemas/guids/{guid}", "/schemas/guids/g", "r---", NULL },
	{ "/schemas/guids/{guid}/ids", "/schemas/guids/g/ids", "r---", NULL },
	{ "/compatibility/subjects/{s}/versions/{v}",
		"/compatibility/subjects/x/versions/latest", "-r--", NULL },
	{ "/compatibility/subjects/{s}/versions", "/compatibility/subjects/x/versions",
		"-r--", NULL },
	{ "/config", "/config", "r-AA", NULL },
	{ "/config/{s}", "/config/x", "r-AA", NULL },
	{ "/mode", "/mode", "r-AA", NULL },
	{ "/mode/{s}", "/mode/x", "r-AA", NULL },
	{ "/contexts", "/contexts", "r---", NULL },
	{ "/contexts/{ctx}", "/contexts/.other", "---A", NULL },
	{ "/v1/metadata/{x}", "/v1/metadata/version", "r---", NULL },
	{ "/metrics", "/metrics", "r---", NULL },
	{ "/health", "/health", "r---", NULL },
};

static const char *const route_methods[4] = { "GET", "POST", "PUT", "DELETE" };

/* The flags an ops letter stands for. */
static unsigned op_flags(char op)
{
	switch (op) {
	case 'r': return REGIT_ROLE_READ;
	case 'W': return REGIT_ROLE_WRITE | REGIT_API_WRITES;
	case 'A': return REGIT_ROLE_ADMIN | REGIT_API_WRITES;
	default: return REGIT_ROLE_ADMIN | REGIT_API_NO_ROUTE;
	}
}

static void expect_route(const char *method, const char *target, unsigned want)
{
	unsigned got = regit_api_route_of(method, target);

	if (got != want)
		fail_msg("%s %s: got role %s%s%s, want role %s%s%s",
			method ? method : "(null)", target,
			regit_role_name((regit_role)(got & REGIT_API_ROLE_MASK)),
			(got & REGIT_API_WRITES) ? ", writes" : "",
			(got & REGIT_API_NO_ROUTE) ? ", no route" : "",
			regit_role_name((regit_role)(want & REGIT_API_ROLE_MASK)),
			(want & REGIT_API_WRITES) ? ", writes" : "",
			(want & REGIT_API_NO_ROUTE) ? ", no route" : "");
	/* The server's write check is the same table. */
	assert_int_equal(regit_api_may_write(method, target, NULL),
		(want & REGIT_API_WRITES) != 0);
}

/* Every route of the table has a case here, and its target reaches it. */
static void test_api_auth__route_table_is_covered(void **state)
{
	fixture *f = *state;
	size_t i, j, n = sizeof(route_cases) / sizeof(route_cases[0]);
	const char *name;

	for (i = 0; (name = regit_api__route_name(i)) != NULL; i++) {
		for (j = 0; j < n; j++) {
			if (strcmp(route_cases[j].route, name) == 0)
				break;
		}
		if (j == n)
			fail_msg("route %s has no case in route_cases", name);
	}
	assert_int_equal(i, n);
	/* A method no route serves is answered 405 once routed, which names
	 * the route the target reached. */
	for (j = 0; j < n; j++) {
		regit_http_request req;
		regit_http_response resp;

		memset(&req, 0, sizeof(req));
		req.method = "PATCH";
		req.target = route_cases[j].target;
		req.authorization = RITA;
		req.body = "";
		regit_http_response_init(&resp, 1 << 16);
		regit_api_handle(&req, &resp, f->api);
		assert_int_equal(resp.status, 405);
		if (strcmp(resp.route, route_cases[j].route) != 0)
			fail_msg("%s routes to %s, not %s", route_cases[j].target, resp.route,
				route_cases[j].route);
		regit_http_response_dispose(&resp);
	}
}

/* Every route x method: role, write flag, and what the query raises. */
static void test_api_auth__route_table(void **state)
{
	static const char *const unserved[] = { "OPTIONS", "PATCH", "TRACE", "get", "", NULL };
	size_t i, m, n = sizeof(route_cases) / sizeof(route_cases[0]);
	char t[256];

	(void)state;
	for (i = 0; i < n; i++) {
		const struct route_case *rc = &route_cases[i];

		for (m = 0; m < 4; m++) {
			unsigned want = op_flags(rc->ops[m]);

			expect_route(route_methods[m], rc->target, want);
			/* the same with a trailing slash and under the default context */
			snprintf(t, sizeof(t), "%s/", rc->target);
			expect_route(route_methods[m], t, want);
			snprintf(t, sizeof(t), "/contexts/:.:%s", rc->target);
			if (strncmp(rc->target, "/contexts", 9) != 0 && strcmp(rc->target, "/") != 0)
				expect_route(route_methods[m], t, want);
			/* a query raises only what the table says it raises */
			snprintf(t, sizeof(t), "%s?permanent=true&force=true", rc->target);
			if (rc->raise && (want & REGIT_API_WRITES))
				want = REGIT_ROLE_ADMIN | REGIT_API_WRITES;
			expect_route(route_methods[m], t, want);
		}
		/* HEAD is GET */
		expect_route("HEAD", rc->target, op_flags(rc->ops[0]));
		for (m = 0; unserved[m]; m++)
			expect_route(unserved[m], rc->target, REGIT_ROLE_ADMIN | REGIT_API_NO_ROUTE);
		expect_route(NULL, rc->target, REGIT_ROLE_ADMIN | REGIT_API_NO_ROUTE);
	}
}

/* The forms a target takes on the wire route like the plain path. */
static void test_api_auth__route_forms(void **state)
{
	static const struct {
		const char *method, *target;
		char op;
	} cases[] = {
		/* the escalating parameters, parsed as the handler parses them */
		{ "POST", "/subjects/x/versions?force=true", 'a' },
		{ "POST", "/subjects/x/versions?force=TRUE", 'a' },
		{ "POST", "/subjects/x/versions?normalize=true&f%6Frce=true", 'a' },
		{ "POST", "/subjects/x/versions?force=yes", 'W' },
		{ "POST", "/subjects/x/versions?force=false&force=true", 'W' },
		{ "POST", "/subjects/x/versions?permanent=true", 'W' },
		{ "POST", "/subjects/x?permanent=true&force=true", 'r' },
		{ "DELETE", "/subjects/x?permanent=true", 'a' },
		{ "DELETE", "/subjects/x?force=true", 'W' },
		{ "DELETE", "/subjects/x/versions/1?permanent=true", 'a' },
		{ "DELETE", "/subjects/x/versions/latest?permanent=false", 'W' },
		{ "GET", "/subjects/x/versions?force=true", 'r' },
		/* contexts: the URL prefix and qualified subjects */
		{ "POST", "/contexts/./subjects/x/versions", 'W' },
		{ "POST", "/contexts/:.:/subjects/x/versions", 'W' },
		{ "POST", "/contexts/.other/subjects/x/versions", 'W' },
		{ "POST", "/subjects/:.:x/versions", 'W' },
		{ "POST", "/subjects/:.other:x/versions", 'W' },
		{ "POST", "/contexts/./compatibility/subjects/x/versions", 'r' },
		{ "POST", "/contexts/.other/compatibility/subjects/x/versions/1", 'r' },
		{ "PUT", "/contexts/./config/x", 'A' },
		{ "DELETE", "/contexts/.", 'A' },
		{ "GET", "/contexts/./contexts", 'r' },
		/* "%2F" stays inside its segment: a subject named "a/versions" */
		{ "POST", "/subjects/a%2Fversions", 'r' },
		{ "DELETE", "/subjects/a%2Fversions", 'W' },
		{ "POST", "/subjects/a%2Fversions/versions", 'W' },
		{ "POST", "/subjects/%7Bs%7D", 'r' },
		{ "POST", "/subjects/%zz/versions", 'W' },   /* routed; 400 before any role check */
		/* nothing serves these: answered 4xx, fail-closed admin */
		{ "POST", "/subjects/a/versions/versions", '-' },
		{ "POST", "/subjects/a/versionsx", '-' },
		{ "POST", "/subjects/", '-' },
		{ "POST", "/subjects", '-' },
		{ "POST", "/config", '-' },
		{ "POST", "/compatibility", '-' },
		{ "POST", "/compatibilityx/subjects/x/versions", '-' },
		{ "PUT", "/subjects/x/versions", '-' },
		{ "DELETE", "/schemas/ids/1", '-' },
		{ "GET", "/nope", '-' },
		{ "GET", "", '-' },
		{ "GET", "subjects", '-' },
		{ "GET", "//subjects", '-' },
		{ "GET", "/subjects x", '-' },
		{ "GET", "/a/b/c/d/e/f/g/h/i", '-' },
		{ "POST", "/contexts/a:b/subjects/x/versions", '-' },
		{ "POST", "/contexts/%zz/subjects/x/versions", '-' },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_route(cases[i].method, cases[i].target,
			cases[i].op == 'a' ? REGIT_ROLE_ADMIN | REGIT_API_WRITES
					    : op_flags(cases[i].op));
	/* long targets take the heap arena and route the same */
	{
		char t[4096];

		memset(t, 'a', sizeof(t));
		memcpy(t, "/subjects/", 10);
		snprintf(t + sizeof(t) - 30, 30, "/versions?force=true");
		expect_route("POST", t, REGIT_ROLE_ADMIN | REGIT_API_WRITES);
	}
}

/* ---- over HTTP ---------------------------------------------------------------- */

typedef struct http_client {
	regit_http_server *srv;
	CURL *curl;
	regit_buf out;
	char base[64];
} http_client;

static size_t http_collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	regit_buf_put(userdata, ptr, size * nmemb);
	return size * nmemb;
}

/* One request on the client's keep-alive connection; returns the status. */
static long http_call(http_client *h, const char *method, const char *target,
	const char *authz, const char *body)
{
	struct curl_slist *hdrs = NULL;
	char url[512], hdr[256];
	long status = -1;

	snprintf(url, sizeof(url), "%s%s", h->base, target);
	snprintf(hdr, sizeof(hdr), "Authorization: %s", authz);
	hdrs = curl_slist_append(hdrs, hdr);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/vnd.schemaregistry.v1+json");
	regit_buf_clear(&h->out);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->out);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h->curl, CURLOPT_PATH_AS_IS, 1L);   /* keep "/contexts/./" */
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_NOBODY, 0L);
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		if (body) {
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		}
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	if (curl_easy_perform(h->curl) == CURLE_OK)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	return status;
}

static void http_start(http_client *h, fixture *f)
{
	regit_http_options opts = REGIT_HTTP_OPTIONS_INIT;

	memset(h, 0, sizeof(*h));
	opts.listen = "127.0.0.1:0";
	opts.threads = 2;
	opts.writes = regit_api_may_write;   /* as `regit serve` wires it */
	assert_int_equal(regit_http_server_start(&h->srv, &opts, regit_api_handle, NULL,
		f->api), 0);
	snprintf(h->base, sizeof(h->base), "http://127.0.0.1:%u",
		regit_http_server_port(h->srv));
	h->curl = curl_easy_init();
	assert_non_null(h->curl);
	regit_buf_init(&h->out, 1 << 20);
}

static void http_stop(http_client *h)
{
	curl_easy_cleanup(h->curl);
	regit_http_server_free(h->srv);
	regit_buf_dispose(&h->out);
}

/* A body each writing method accepts. */
static const char *body_for(const char *method, const char *target)
{
	if (strcmp(method, "PUT") != 0)
		return strcmp(method, "POST") == 0 ? SCHEMA : NULL;
	return strstr(target, "/mode") ? "{\"mode\":\"READWRITE\"}" : "{\"compatibility\":\"FULL\"}";
}

/*
 * A read user is refused (403) every writing route of the table, with and
 * without the escalating query, and passes every reading one.
 */
static void test_api_auth__http_reader_never_writes(void **state)
{
	fixture *f = *state;
	http_client h;
	size_t i, m, n = sizeof(route_cases) / sizeof(route_cases[0]), writing = 0;
	char t[256];
	long st;

	http_start(&h, f);
	/* something to read and to delete */
	assert_int_equal(http_call(&h, "POST", "/subjects/x/versions", WENDY, SCHEMA), 200);
	for (i = 0; i < n; i++) {
		for (m = 0; m < 4; m++) {
			const char *method = route_methods[m];
			char op = route_cases[i].ops[m];

			if (op == '-')
				continue;
			st = http_call(&h, method, route_cases[i].target, RITA,
				body_for(method, route_cases[i].target));
			if (op == 'r') {
				if (st == 401 || st == 403 || st < 0)
					fail_msg("read user: %s %s got %ld", method,
						route_cases[i].target, st);
				continue;
			}
			writing++;
			if (st != 403)
				fail_msg("read user: %s %s got %ld, want 403", method,
					route_cases[i].target, st);
			assert_non_null(strstr(regit_buf_cstr(&h.out), "needs role"));
			snprintf(t, sizeof(t), "/contexts/:.:%s?permanent=true&force=true",
				route_cases[i].target);
			if (strncmp(route_cases[i].target, "/contexts", 9) != 0)
				assert_int_equal(http_call(&h, method, t, RITA,
					body_for(method, t)), 403);
		}
	}
	assert_int_equal(writing, 12);
	assert_int_equal(http_call(&h, "HEAD", "/subjects/x/versions", RITA, NULL), 200);
	/* nothing the reader sent changed the store */
	assert_int_equal(http_call(&h, "GET", "/subjects/x/versions", RITA, NULL), 200);
	assert_string_equal(regit_buf_cstr(&h.out), "[1]");
	assert_int_equal(http_call(&h, "GET", "/config/x", RITA, NULL), 404);
	http_stop(&h);
}

/* Write and admin users pass where the table says, over keep-alive HTTP
 * (so the writes run on the server's worker threads). */
static void test_api_auth__http_writers_pass(void **state)
{
	static const struct {
		const char *method, *target, *user;
		long status;
	} steps[] = {
		{ "POST", "/subjects/s/versions", WENDY, 200 },
		{ "POST", "/subjects/s/versions?force=true", WENDY, 403 },
		{ "POST", "/subjects/s/versions?force=true", ALICE, 200 },
		{ "POST", "/contexts/./subjects/t/versions", WENDY, 200 },
		{ "POST", "/subjects/:.:u/versions/", WENDY, 200 },
		{ "PUT", "/config", WENDY, 403 },
		{ "PUT", "/config", ALICE, 200 },
		{ "PUT", "/config/s", WENDY, 403 },
		{ "PUT", "/config/s", ALICE, 200 },
		{ "DELETE", "/config/s", WENDY, 403 },
		{ "DELETE", "/config/s", ALICE, 200 },
		{ "DELETE", "/config", ALICE, 200 },
		{ "PUT", "/mode/s", WENDY, 403 },
		{ "PUT", "/mode/s", ALICE, 200 },
		{ "DELETE", "/mode/s", WENDY, 403 },
		{ "DELETE", "/mode/s", ALICE, 200 },
		{ "PUT", "/mode", ALICE, 200 },
		{ "DELETE", "/mode", ALICE, 200 },
		{ "DELETE", "/contexts/.other", WENDY, 403 },
		{ "DELETE", "/contexts/.other", ALICE, 204 },
		{ "DELETE", "/subjects/s/versions/1", WENDY, 200 },
		{ "DELETE", "/subjects/s/versions/1?permanent=true", WENDY, 403 },
		{ "DELETE", "/subjects/s/versions/1?permanent=true", ALICE, 200 },
		{ "DELETE", "/subjects/t", WENDY, 200 },
		{ "DELETE", "/subjects/t?permanent=true", WENDY, 403 },
		{ "DELETE", "/subjects/t?permanent=true", ALICE, 200 },
		{ "DELETE", "/contexts/./subjects/u", ALICE, 200 },
	};
	fixture *f = *state;
	http_client h;
	size_t i;
	long st;

	http_start(&h, f);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		st = http_call(&h, steps[i].method, steps[i].target, steps[i].user,
			body_for(steps[i].method, steps[i].target));
		if (st != steps[i].status)
			fail_msg("step %zu: %s %s as %s got %ld, want %ld: %s", i,
				steps[i].method, steps[i].target,
				strcmp(steps[i].user, ALICE) == 0 ? "alice" : "wendy", st, steps[i].status,
				regit_buf_cstr(&h.out));
	}
	/* every subject was deleted by the steps that passed */
	assert_int_equal(http_call(&h, "GET", "/subjects", WENDY, NULL), 200);
	assert_string_equal(regit_buf_cstr(&h.out), "[]");
	http_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_api_auth__unauthenticated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_auth__roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_auth__author_is_the_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_auth__route_table_is_covered, setup, teardown),
		cmocka_unit_test(test_api_auth__route_table),
		cmocka_unit_test(test_api_auth__route_forms),
		cmocka_unit_test_setup_teardown(test_api_auth__http_reader_never_writes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_api_auth__http_writers_pass, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
