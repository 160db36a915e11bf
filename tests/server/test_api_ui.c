/*
 * test_api_ui.c - server/api_ui: the web UI's files at /ui/ (headers,
 * ETag revalidation, the browser redirect of /) and the /regit/ reads
 * (whoami per role, subject search and paging, versions with their git
 * authors, history pages, schema text, diff and check findings with
 * lines), through regit_api_handle with authentication on, plus hostile
 * targets and bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api.h"
#include "server/api_ui.h"
#include "server/auth.h"
#include "tests/support/tmpdir.h"
#include "util/error.h"

/* openssl passwd -6 -salt saltsalt secret */
#define HASH_SECRET "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
#define ALICE "Basic YWxpY2U6c2VjcmV0"   /* alice:secret (admin) */
#define RITA "Basic cml0YTpzZWNyZXQ="    /* rita:secret (read) */
#define WENDY "Basic d2VuZHk6c2VjcmV0"   /* wendy:secret (write) */
#define CT "application/vnd.schemaregistry.v1+json"
#define V1 "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"U\\\",\\\"fields\\\":[" \
	"{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\"}," \
	"{\\\"name\\\":\\\"e\\\",\\\"type\\\":\\\"string\\\"}]}\"}"
#define V2 "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"U\\\",\\\"fields\\\":[" \
	"{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\"}]}\"}"

typedef struct fixture {
	char *dir;
	regit_registry *reg;
	regit_api *api;
	regit_auth *auth;
	char store[512];
	char body[65536];
	char location[64];
	char etag[64];
	char csp[256];
	const char *ctype;
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
	f->dir = test_tmpdir_new("apiui");
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

/* One request with extra headers; returns the status, fills f's copies. */
static int call_h(fixture *f, const char *method, const char *target, const char *authz,
	const char *body, const char *accept, const char *inm)
{
	regit_http_request req;
	regit_http_response resp;
	const char *b;
	size_t len, i;
	int status;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = target;
	req.authorization = authz;
	req.accept = accept;
	req.if_none_match = inm;
	req.content_type = body ? CT : NULL;
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	regit_http_response_init(&resp, 4 << 20);
	regit_api_handle(&req, &resp, f->api);
	regit_api_observe(&req, &resp, 1000, f->api);   /* counted, as the server does */
	status = resp.status;
	b = regit_http_response_body(&resp, &len);
	snprintf(f->body, sizeof(f->body), "%.*s", (int)len, b ? b : "");
	f->location[0] = f->etag[0] = f->csp[0] = '\0';
	for (i = 0; i < resp.nheaders; i++) {
		if (strcmp(resp.headers[i].name, "Location") == 0)
			snprintf(f->location, sizeof(f->location), "%s", resp.headers[i].value);
		else if (strcmp(resp.headers[i].name, "ETag") == 0)
			snprintf(f->etag, sizeof(f->etag), "%s", resp.headers[i].value);
		else if (strcmp(resp.headers[i].name, "Content-Security-Policy") == 0)
			snprintf(f->csp, sizeof(f->csp), "%s", resp.headers[i].value);
	}
	f->ctype = resp.content_type;
	regit_http_response_dispose(&resp);
	return status;
}

static int call(fixture *f, const char *method, const char *target, const char *authz,
	const char *body)
{
	return call_h(f, method, target, authz, body, NULL, NULL);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected %s in %.2000s", needle, hay);
}

static void test_api_ui__files_and_redirects(void **state)
{
	fixture *f = *state;
	char etag[64];

	assert_int_equal(call(f, "GET", "/ui/", NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/regit/whoami", NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/ui/", RITA, NULL), 200);
	assert_string_equal(f->ctype, "text/html; charset=utf-8");
	assert_contains(f->body, "<script src=\"app.js\" defer></script>");
	assert_contains(f->csp, "default-src 'self'");
	assert_int_equal(f->etag[0], '"');
	snprintf(etag, sizeof(etag), "%s", f->etag);
	assert_int_equal(call_h(f, "GET", "/ui/index.html", RITA, NULL, NULL, etag), 304);
	assert_string_equal(f->body, "");
	assert_int_equal(call_h(f, "GET", "/ui/index.html", RITA, NULL, NULL, "\"other\", W/\"x\""), 200);
	assert_int_equal(call_h(f, "GET", "/ui/index.html", RITA, NULL, NULL, "*"), 304);
	assert_int_equal(call(f, "GET", "/ui/app.js", RITA, NULL), 200);
	assert_string_equal(f->ctype, "text/javascript; charset=utf-8");
	assert_int_equal(call(f, "GET", "/ui/app.css", RITA, NULL), 200);
	assert_string_equal(f->ctype, "text/css; charset=utf-8");
	assert_int_equal(call(f, "GET", "/ui/nope.js", RITA, NULL), 404);
	assert_int_equal(call(f, "GET", "/ui/..%2Fapi.c", RITA, NULL), 404);
	assert_int_equal(call(f, "GET", "/ui/a/b", RITA, NULL), 404);
	assert_int_equal(call(f, "POST", "/ui/", RITA, "{}"), 405);
	assert_int_equal(call(f, "GET", "/ui", RITA, NULL), 301);
	assert_string_equal(f->location, "/ui/");
	/* A browser opening / lands in the UI; an API client gets {}. */
	assert_int_equal(call_h(f, "GET", "/", RITA, NULL, "text/html,application/xhtml+xml,*/*;q=0.8",
		NULL), 302);
	assert_string_equal(f->location, "/ui/");
	assert_int_equal(call(f, "GET", "/", RITA, NULL), 200);
	assert_string_equal(f->body, "{}");
	/* Java's HttpURLConnection default Accept (Confluent's Java client). */
	assert_int_equal(call_h(f, "GET", "/", RITA, NULL,
		"text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", NULL), 200);
	assert_string_equal(f->body, "{}");
	/* Paths that only start like the UI's are the API's. */
	assert_int_equal(call(f, "GET", "/uix", RITA, NULL), 404);
	assert_int_equal(call(f, "GET", "/regitx", RITA, NULL), 404);
	assert_int_equal(call(f, "GET", "/regit/nope", RITA, NULL), 404);
}

static void test_api_ui__whoami_per_role(void **state)
{
	fixture *f = *state;

	assert_int_equal(call(f, "GET", "/regit/whoami", RITA, NULL), 200);
	assert_string_equal(f->body, "{\"user\":\"rita\",\"role\":\"read\",\"auth\":true,\"can\":{"
		"\"register\":false,\"softDelete\":false,\"hardDelete\":false,\"config\":false,"
		"\"mode\":false}}");
	assert_int_equal(call(f, "GET", "/regit/whoami", WENDY, NULL), 200);
	assert_contains(f->body, "\"role\":\"write\"");
	assert_contains(f->body, "\"register\":true,\"softDelete\":true,\"hardDelete\":false");
	assert_int_equal(call(f, "GET", "/regit/whoami", ALICE, NULL), 200);
	assert_contains(f->body, "\"hardDelete\":true,\"config\":true,\"mode\":true");
	assert_int_equal(call(f, "GET", "/regit/health", RITA, NULL), 200);
	assert_contains(f->body, "{\"status\":\"ok\",\"head\":\"");
	assert_contains(f->body, "\"compatRejections\":0,\"storeRejections\":0}");
	/* No upstream key without serve --upstream (tests/integration/replicas.py
	 * checks it on replicas). */
	assert_null(strstr(f->body, "\"upstream\""));
	/* What whoami says matches what the API does. */
	assert_int_equal(call(f, "POST", "/subjects/a/versions", RITA, V1), 403);
	assert_int_equal(call(f, "POST", "/subjects/a/versions", WENDY, V1), 200);
	assert_int_equal(call(f, "PUT", "/config/a", WENDY, "{\"compatibility\":\"FULL\"}"), 403);
}

/*
 * Each whoami ability is what the route table says of its request: true
 * exactly when the role regit_api_route_of gives is at most the user's.
 */
static void test_api_ui__whoami_from_route_table(void **state)
{
	static const struct {
		const char *action, *method, *target;
	} ab[] = {
		{ "register", "POST", "/subjects/x/versions" },
		{ "softDelete", "DELETE", "/subjects/x/versions/1" },
		{ "hardDelete", "DELETE", "/subjects/x/versions/1?permanent=true" },
		{ "config", "PUT", "/config/x" },
		{ "mode", "PUT", "/mode/x" },
	};
	static const struct {
		const char *authz;
		regit_role role;
	} users[] = {
		{ RITA, REGIT_ROLE_READ }, { WENDY, REGIT_ROLE_WRITE }, { ALICE, REGIT_ROLE_ADMIN },
	};
	fixture *f = *state;
	size_t u, i;
	char want[128];

	for (u = 0; u < sizeof(users) / sizeof(users[0]); u++) {
		assert_int_equal(call(f, "GET", "/regit/whoami", users[u].authz, NULL), 200);
		for (i = 0; i < sizeof(ab) / sizeof(ab[0]); i++) {
			unsigned flags = regit_api_route_of(ab[i].method, ab[i].target);

			assert_int_equal(flags & REGIT_API_NO_ROUTE, 0);
			snprintf(want, sizeof(want), "\"%s\":%s", ab[i].action,
				(flags & REGIT_API_ROLE_MASK) <= (unsigned)users[u].role ?
				"true" : "false");
			assert_contains(f->body, want);
		}
	}
	/* The table's roles, not a copy: hard delete is the query's admin. */
	assert_int_equal(regit_api_route_of("DELETE", "/subjects/x/versions/1?permanent=true") &
		REGIT_API_ROLE_MASK, REGIT_ROLE_ADMIN);
	assert_int_equal(regit_api_route_of("DELETE", "/subjects/x/versions/1") &
		REGIT_API_ROLE_MASK, REGIT_ROLE_WRITE);
}

/* /metrics counts the UI's requests under their own route labels. */
static void test_api_ui__metrics_route_labels(void **state)
{
	fixture *f = *state;
	size_t i;

	assert_int_equal(call(f, "GET", "/regit/subjects", RITA, NULL), 200);
	assert_int_equal(call(f, "GET", "/regit/subjects/a/versions", RITA, NULL), 404);
	assert_int_equal(call(f, "GET", "/regit/nope", RITA, NULL), 404);
	assert_int_equal(call(f, "GET", "/ui/", RITA, NULL), 200);
	assert_int_equal(call(f, "GET", "/ui", RITA, NULL), 301);
	assert_int_equal(call_h(f, "GET", "/", RITA, NULL, "text/html,application/xhtml+xml",
		NULL), 302);
	assert_int_equal(call(f, "GET", "/metrics", RITA, NULL), 200);
	assert_contains(f->body,
		"regit_http_requests_total{route=\"/regit/subjects\",status=\"200\"} 1\n");
	assert_contains(f->body, "regit_http_requests_total{route=\"/regit/subjects/{s}/versions\","
		"status=\"404\"} 1\n");
	assert_contains(f->body,
		"regit_http_requests_total{route=\"/regit/unknown\",status=\"404\"} 1\n");
	assert_contains(f->body, "regit_http_requests_total{route=\"/ui/\",status=\"200\"} 1\n");
	assert_contains(f->body, "regit_http_requests_total{route=\"/ui/\",status=\"other\"} 1\n");
	assert_contains(f->body, "regit_http_requests_total{route=\"/\",status=\"other\"} 1\n");
	assert_contains(f->body, "regit_http_request_duration_seconds_count{route=\"/regit/subjects\"} 1\n");
	/* Nothing of the UI's is counted as unknown; the labels are the table's. */
	assert_null(strstr(f->body, "route=\"unknown\""));
	for (i = 0; i < REGIT_API_UI_NROUTES; i++)
		assert_non_null(regit_api__ui_route_name(i));
	assert_null(regit_api__ui_route_name(REGIT_API_UI_NROUTES));
}

/*
 * The health panel's JSON: a credentials file that could not be reloaded
 * makes /regit/health "degraded" with the reason in "auth", as /health;
 * cleared, "ok" again. (A full disk, the other degraded state, needs a
 * real one: tests/integration/disk_full.sh; here only its absence.)
 */
static void test_api_ui__health_degraded(void **state)
{
	fixture *f = *state;

	assert_int_equal(call(f, "GET", "/regit/health", RITA, NULL), 200);
	assert_contains(f->body, "{\"status\":\"ok\",");
	assert_null(strstr(f->body, "\"auth\""));
	assert_null(strstr(f->body, "\"diskFullSince\""));
	regit_api_set_auth_problem(f->api, "auth.txt: line 3: unknown role \"boss\"");
	assert_int_equal(call(f, "GET", "/regit/health", RITA, NULL), 200);
	assert_contains(f->body, "{\"status\":\"degraded\",\"head\":");
	assert_contains(f->body, ",\"auth\":\"auth.txt: line 3: unknown role \\\"boss\\\"\"");
	assert_contains(f->body, "\"storeRejections\":0,");
	assert_int_equal(call(f, "GET", "/health", RITA, NULL), 200);
	assert_contains(f->body, "{\"status\":\"degraded\",");
	regit_api_set_auth_problem(f->api, NULL);
	assert_int_equal(call(f, "GET", "/regit/health", RITA, NULL), 200);
	assert_contains(f->body, "{\"status\":\"ok\",");
	assert_null(strstr(f->body, "\"auth\""));
}

static void test_api_ui__subjects_search_and_pages(void **state)
{
	fixture *f = *state;
	char target[128];
	int i;

	for (i = 0; i < 12; i++) {
		snprintf(target, sizeof(target), "/subjects/s-%02d/versions", i);
		assert_int_equal(call(f, "POST", target, ALICE, i % 2 ? V1 : V2), 200);
	}
	assert_int_equal(call(f, "DELETE", "/subjects/s-00", ALICE, NULL), 200);
	assert_int_equal(call(f, "GET", "/regit/subjects?limit=5", RITA, NULL), 200);
	assert_contains(f->body, "{\"total\":11,\"offset\":0,\"limit\":5,\"subjects\":[{\"name\":\"s-01\"");
	assert_int_equal(call(f, "GET", "/regit/subjects?limit=5&offset=10", RITA, NULL), 200);
	assert_contains(f->body, "\"subjects\":[{\"name\":\"s-11\",\"version\":1,\"id\":2,"
		"\"deleted\":false,\"compatibility\":\"NONE\",\"lint\":\"off\"}]}");
	assert_int_equal(call(f, "GET", "/regit/subjects?deleted=true&q=S-0", RITA, NULL), 200);
	assert_contains(f->body, "{\"total\":10,");
	assert_contains(f->body, "{\"name\":\"s-00\",\"version\":1,\"id\":1,\"deleted\":true");
	/* Schema id 1 (V2) is used by the even subjects; s-00 only with deleted. */
	assert_int_equal(call(f, "GET", "/regit/subjects?by=id&q=1", RITA, NULL), 200);
	assert_contains(f->body, "{\"total\":5,");
	assert_int_equal(call(f, "GET", "/regit/subjects?by=id&q=1&deleted=true", RITA, NULL), 200);
	assert_contains(f->body, "{\"total\":6,");
	assert_int_equal(call(f, "GET", "/regit/subjects?by=id&q=999", RITA, NULL), 200);
	assert_contains(f->body, "{\"total\":0,");
	assert_int_equal(call(f, "GET", "/regit/subjects?by=guid&q=nope", RITA, NULL), 200);
	assert_contains(f->body, "{\"total\":0,");
	assert_int_equal(call(f, "GET", "/regit/subjects?by=colour&q=x", RITA, NULL), 400);
	/* Out-of-range paging is clamped, never an error or a huge page. */
	assert_int_equal(call(f, "GET", "/regit/subjects?limit=100000&offset=-4", RITA, NULL), 200);
	assert_contains(f->body, "\"offset\":0,\"limit\":100,");
	{
		char big[600];

		memset(big, 0, sizeof(big));
		snprintf(big, sizeof(big), "/regit/subjects?q=");
		memset(big + strlen(big), 'a', 300);
		assert_int_equal(call(f, "GET", big, RITA, NULL), 400);
	}
}

static void test_api_ui__versions_history_and_text(void **state)
{
	fixture *f = *state;
	char next[64], target[160];
	const char *p;

	assert_int_equal(call(f, "POST", "/subjects/orders/versions", WENDY, V1), 200);
	assert_int_equal(call(f, "POST", "/subjects/other/versions", ALICE, V2), 200);
	assert_int_equal(call(f, "POST", "/subjects/orders/versions", ALICE, V2), 200);
	assert_int_equal(call(f, "DELETE", "/subjects/orders/versions/1", WENDY, NULL), 200);
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/versions", RITA, NULL), 200);
	assert_contains(f->body, "\"total\":2,");
	assert_contains(f->body, "{\"version\":1,\"id\":1,\"deleted\":true,");
	assert_contains(f->body, "\"author\":\"wendy\"");
	assert_contains(f->body, "{\"version\":2,\"id\":2,\"deleted\":false,");
	p = strstr(f->body, "{\"version\":2");
	assert_non_null(p);
	assert_contains(p, "\"author\":\"alice\"");
	assert_int_equal(call(f, "GET", "/regit/subjects/nope/versions", RITA, NULL), 404);
	assert_contains(f->body, "40401");

	/* History: the subject's three commits (not other's), newest first, in pages. */
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/history?limit=2", RITA, NULL), 200);
	assert_contains(f->body, "\"summary\":\"soft-delete orders v1\"");
	assert_contains(f->body, "\"summary\":\"register orders v2 (id 2)\"");
	assert_true(strstr(f->body, "other") == NULL);
	p = strstr(f->body, "\"next\":\"");
	assert_non_null(p);
	snprintf(next, sizeof(next), "%.40s", p + 8);
	snprintf(target, sizeof(target), "/regit/subjects/orders/history?limit=2&from=%s", next);
	assert_int_equal(call(f, "GET", target, RITA, NULL), 200);
	assert_contains(f->body, "\"author\":\"wendy\",\"email\":");
	assert_contains(f->body, "\"summary\":\"register orders v1 (id 1)\"}],\"next\":null}");
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/history?from=xyz", RITA, NULL), 400);
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/history?from="
		"0123456789012345678901234567890123456789", RITA, NULL), 400);
	assert_int_equal(call(f, "GET", "/regit/subjects/never/history", RITA, NULL), 200);
	assert_contains(f->body, "\"commits\":[],\"next\":null}");

	/* Text in three styles; soft-deleted versions too. */
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/versions/1/text", RITA, NULL), 200);
	assert_contains(f->body, "\"style\":\"pretty\",\"schema\":\"{\\n  \\\"type\\\": \\\"record\\\"");
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/versions/1/text?style=canonical",
		RITA, NULL), 200);
	assert_contains(f->body, "\"schema\":\"{\\\"name\\\":\\\"U\\\",\\\"type\\\":\\\"record\\\"");
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/versions/latest/text?style=resolved",
		RITA, NULL), 200);
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/versions/1/text?style=ugly",
		RITA, NULL), 400);
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/versions/0/text", RITA, NULL), 422);
	assert_int_equal(call(f, "GET", "/regit/subjects/orders/versions/9/text", RITA, NULL), 404);
}

static void test_api_ui__diff_and_check_findings_at_lines(void **state)
{
	fixture *f = *state;

	assert_int_equal(call(f, "POST", "/subjects/u/versions", ALICE, V1), 200);
	assert_int_equal(call(f, "POST", "/subjects/u/versions", ALICE, V2), 200);
	/* The subject's level is NONE: compatible, no findings. */
	assert_int_equal(call(f, "GET", "/regit/subjects/u/diff?from=1&to=2", RITA, NULL), 200);
	assert_contains(f->body, "\"compatible\":true,\"level\":\"NONE\"");
	/* At FULL (strict rules) the removed field `e` is found at line 6 of v1. */
	assert_int_equal(call(f, "GET", "/regit/subjects/u/diff?from=1&to=2&level=FULL_TRANSITIVE",
		RITA, NULL), 200);
	assert_contains(f->body, "\"compatible\":false,\"level\":\"FULL\",\"rules\":\"strict\"");
	assert_contains(f->body, "{\"rule\":\"FIELD_REMOVED\",\"message\":\"field `e` was removed;");
	assert_contains(f->body, "\"oldPath\":\"/fields/1\",\"oldVersion\":1,\"line\":4,\"column\":13,"
		"\"oldLine\":6}");
	assert_int_equal(call(f, "GET", "/regit/subjects/u/diff?from=1&to=7", RITA, NULL), 404);
	assert_int_equal(call(f, "GET", "/regit/subjects/u/diff?from=1", RITA, NULL), 422);
	assert_int_equal(call(f, "GET", "/regit/subjects/u/diff?from=1&to=2&level=SIDEWAYS",
		RITA, NULL), 422);

	/* A pasted candidate: each finding at its line in the text as sent. */
	assert_int_equal(call(f, "POST", "/regit/compatibility/subjects/u?level=BACKWARD", RITA,
		"{\"schema\":\"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"U\\\",\\n"
		"\\\"fields\\\": [\\n{\\\"name\\\": \\\"id\\\", \\\"type\\\": \\\"long\\\"},\\n"
		"{\\\"name\\\": \\\"x\\\", \\\"type\\\": \\\"int\\\"}]}\"}"), 200);
	assert_contains(f->body, "\"compatible\":false,\"level\":\"BACKWARD\"");
	assert_contains(f->body, "{\"rule\":\"REQUIRED_FIELD_ADDED\"");
	assert_contains(f->body, "\"path\":\"/fields/1\",\"oldPath\":\"/fields\",\"oldVersion\":2,"
		"\"line\":4,\"column\":1}");
	/* Not JSON: the error and where. */
	assert_int_equal(call(f, "POST", "/regit/compatibility/subjects/u", RITA,
		"{\"schema\":\"{\\\"type\\\":\\n\\\"record\\\",,}\"}"), 200);
	assert_contains(f->body, "{\"compatible\":false,\"error\":{\"message\":\"Invalid schema:");
	assert_contains(f->body, "\"line\":2,");
	assert_int_equal(call(f, "POST", "/regit/compatibility/subjects/u", RITA, "{}"), 422);
	assert_int_equal(call(f, "POST", "/regit/compatibility/subjects/u", RITA, "not json"), 400);
	assert_int_equal(call(f, "POST", "/regit/compatibility/subjects/u?version=5", RITA, V1), 404);
	assert_int_equal(call(f, "GET", "/regit/compatibility/subjects/u", RITA, NULL), 405);
	/* No lint block under the default policy (off). */
	assert_int_equal(call(f, "POST", "/regit/compatibility/subjects/u", RITA, V2), 200);
	assert_null(strstr(f->body, "\"lint\""));
	/* Under enforce: the candidate's lint findings at their lines. */
	assert_int_equal(call(f, "PUT", "/config/u", ALICE, "{\"regit.lint\":\"enforce\"}"), 200);
	assert_int_equal(call(f, "POST", "/regit/compatibility/subjects/u", RITA,
		"{\"schema\":\"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"U\\\",\\n"
		"\\\"fields\\\": [\\n{\\\"name\\\": \\\"id\\\", \\\"type\\\": \\\"long\\\"},\\n"
		"{\\\"name\\\": \\\"fooBar\\\", \\\"type\\\": \\\"int\\\", \\\"default\\\": 0}]}\"}"), 200);
	assert_contains(f->body, "\"lint\":{\"policy\":\"enforce\",\"refuses\":true,\"omitted\":0,");
	assert_contains(f->body, "{\"rule\":\"EVENT_ID\",\"severity\":\"error\",\"message\":");
	assert_contains(f->body, "{\"rule\":\"FIELD_NAMING\",\"severity\":\"error\",\"message\":"
		"\"field `fooBar` is not snake_case\",\"path\":\"/fields/1\",\"line\":4,\"column\":1}");
}

/* Hostile targets: bounded, answered, never a crash. */
static void test_api_ui__hostile_targets(void **state)
{
	fixture *f = *state;
	static char big[70000];
	size_t i;

	assert_int_equal(call(f, "GET", "/regit/subjects/%zz/history", RITA, NULL), 400);
	assert_int_equal(call(f, "GET", "/regit/subjects/a%00b/versions", RITA, NULL), 400);
	assert_int_equal(call(f, "GET", "/regit/a/b/c/d/e/f/g/h/i/j", RITA, NULL), 404);
	assert_int_equal(call(f, "GET", "/regit/subjects/%0A/history", RITA, NULL), 422);
	memcpy(big, "/regit/subjects?", 16);
	for (i = 16; i + 4 < sizeof(big); i += 4)
		memcpy(big + i, "a%&&", 4);
	big[i] = '\0';
	assert_int_equal(call(f, "GET", big, RITA, NULL), 200);
	memcpy(big, "/regit/subjects/", 16);
	memset(big + 16, 'x', sizeof(big) - 17);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + sizeof(big) - 10, "/history", 9);
	assert_int_equal(call(f, "GET", big, RITA, NULL), 422);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_api_ui__files_and_redirects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_ui__whoami_per_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_ui__whoami_from_route_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_ui__metrics_route_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_ui__health_degraded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_ui__subjects_search_and_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_ui__versions_history_and_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_ui__diff_and_check_findings_at_lines, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_api_ui__hostile_targets, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
