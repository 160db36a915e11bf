/*
 * test_api.c - server/api: the socket-free Confluent API handler. Parsers
 * (ints, versions, booleans, percent-encoding, media types), body decoding,
 * and the router end to end over a registry on a temporary store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/api.h"
#include "util/alloc.h"

#define V1 "application/vnd.schemaregistry.v1+json"

/* ---- parsers ------------------------------------------------------------- */

static void test_api__parse_int_is_java_int(void **state)
{
	int v = 0;

	(void)state;
	assert_int_equal(regit_api_parse_int("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(regit_api_parse_int("+7", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(regit_api_parse_int("-2147483648", &v), 0);
	assert_int_equal(v, INT32_MIN);
	assert_int_equal(regit_api_parse_int("2147483647", &v), 0);
	assert_int_equal(v, INT32_MAX);
	assert_int_equal(regit_api_parse_int("2147483648", &v), -1);
	assert_int_equal(regit_api_parse_int("99999999999999999999", &v), -1);
	assert_int_equal(regit_api_parse_int("", &v), -1);
	assert_int_equal(regit_api_parse_int("-", &v), -1);
	assert_int_equal(regit_api_parse_int("1.5", &v), -1);
	assert_int_equal(regit_api_parse_int(" 1", &v), -1);
	assert_int_equal(regit_api_parse_int("0x10", &v), -1);
}

static void test_api__parse_version(void **state)
{
	int v = 0;

	(void)state;
	assert_int_equal(regit_api_parse_version("latest", &v), 0);
	assert_int_equal(v, REGIT_VERSION_LATEST);
	assert_int_equal(regit_api_parse_version(" LaTeSt ", &v), 0);
	assert_int_equal(v, REGIT_VERSION_LATEST);
	assert_int_equal(regit_api_parse_version("-1", &v), 0);
	assert_int_equal(v, REGIT_VERSION_LATEST);
	assert_int_equal(regit_api_parse_version("3", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(regit_api_parse_version("0", &v), -1);
	assert_int_equal(regit_api_parse_version("-2", &v), -1);
	assert_int_equal(regit_api_parse_version("abc", &v), -1);
	assert_int_equal(regit_api_parse_version("2147483648", &v), -1);
	assert_int_equal(regit_api_parse_version("", &v), -1);
}

static void test_api__parse_bool_only_true(void **state)
{
	(void)state;
	assert_true(regit_api_parse_bool("true"));
	assert_true(regit_api_parse_bool("TRUE"));
	assert_true(regit_api_parse_bool("True"));
	assert_false(regit_api_parse_bool("1"));
	assert_false(regit_api_parse_bool("yes"));
	assert_false(regit_api_parse_bool(""));
	assert_false(regit_api_parse_bool("true "));
	assert_false(regit_api_parse_bool(NULL));
}

static void test_api__percent_decode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(regit_api_percent_decode(out, "a%2Fb", 5, 0), 3);
	assert_string_equal(out, "a/b");
	assert_int_equal(regit_api_percent_decode(out, "a+b", 3, 0), 3);
	assert_string_equal(out, "a+b");
	assert_int_equal(regit_api_percent_decode(out, "a+b%2b", 6, 1), 4);
	assert_string_equal(out, "a b+");
	assert_int_equal(regit_api_percent_decode(out, "%e2%82%AC", 9, 0), 3);
	assert_string_equal(out, "\xe2\x82\xac");
	assert_int_equal(regit_api_percent_decode(out, "%zz", 3, 0), -1);
	assert_int_equal(regit_api_percent_decode(out, "ab%4", 4, 0), -1);
	assert_int_equal(regit_api_percent_decode(out, "ab%", 3, 0), -1);
	/* An encoded NUL decodes (the router refuses it as a subject). */
	assert_int_equal(regit_api_percent_decode(out, "a%00b", 5, 0), 3);
	assert_int_equal(out[1], '\0');
}

static void test_api__negotiate(void **state)
{
	(void)state;
	assert_string_equal(regit_api_negotiate(NULL), V1);
	assert_string_equal(regit_api_negotiate(""), V1);
	assert_string_equal(regit_api_negotiate("*/*"), V1);
	assert_string_equal(regit_api_negotiate("application/json"), "application/json");
	assert_string_equal(regit_api_negotiate("application/vnd.schemaregistry+json"),
		"application/vnd.schemaregistry+json");
	assert_string_equal(regit_api_negotiate(
		"text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"), V1);
	assert_string_equal(regit_api_negotiate("application/json, text/plain, */*"),
		"application/json");
	assert_string_equal(regit_api_negotiate(V1 ", application/json"), V1);
	assert_string_equal(regit_api_negotiate("application/json;q=0.1, " V1), V1);
	assert_string_equal(regit_api_negotiate("application/json;q=0, */*"), V1);
	assert_string_equal(regit_api_negotiate("text/html"), V1);
	/* q values out of range (or not numbers) are clamped, not overflowed. */
	assert_string_equal(regit_api_negotiate("application/json;q=5e300, " V1 ";q=0.5"),
		"application/json");
	assert_string_equal(regit_api_negotiate("application/json;q=-1e300, */*"), V1);
	assert_string_equal(regit_api_negotiate("application/json;q=nan, */*"), V1);
	assert_string_equal(regit_api_negotiate("application/json;q=inf, " V1 ";q=0.5"),
		"application/json");
	/* fuzz/corpora/http/q-overflow */
	assert_string_equal(regit_api_negotiate(";Q=8888888888888888888888888888:8888"), V1);
}

static void test_api__content_types(void **state)
{
	(void)state;
	assert_true(regit_api_content_type_ok(NULL));
	assert_true(regit_api_content_type_ok(""));
	assert_true(regit_api_content_type_ok(V1));
	assert_true(regit_api_content_type_ok("application/vnd.schemaregistry+json"));
	assert_true(regit_api_content_type_ok("Application/JSON; charset=utf-8"));
	assert_true(regit_api_content_type_ok("application/octet-stream"));
	assert_false(regit_api_content_type_ok("text/plain"));
	assert_false(regit_api_content_type_ok("application/x-www-form-urlencoded"));
	assert_false(regit_api_content_type_ok("application/jsonx"));
}

/* ---- bodies ---------------------------------------------------------------- */

static int decode(const char *body, regit_api_schema_body *b, int *code)
{
	int rc = regit_api_decode_schema_body(b, body, strlen(body));

	*code = regit_error_api_code();
	return rc;
}

static void test_api__schema_body(void **state)
{
	regit_api_schema_body b;
	int code;

	(void)state;
	assert_int_equal(decode("{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"AVRO\",\"x\":[1],"
		"\"references\":[{\"name\":\"a.B\",\"subject\":\"b\",\"version\":2}],\"id\":5}",
		&b, &code), 0);
	assert_string_equal(b.schema, "\"int\"");
	assert_int_equal(b.schema_len, 5);
	assert_string_equal(b.schema_type, "AVRO");
	assert_int_equal(b.nrefs, 1);
	assert_string_equal(b.refs[0].name, "a.B");
	assert_string_equal(b.refs[0].subject, "b");
	assert_int_equal(b.refs[0].version, 2);
	assert_int_equal(b.id, 5);
	regit_api_schema_body_dispose(&b);

	assert_int_equal(decode("{\"schemaType\":null}", &b, &code), 0);
	assert_null(b.schema);
	regit_api_schema_body_dispose(&b);

	assert_true(decode("{\"schema\":{\"type\":\"int\"}}", &b, &code) < 0);
	assert_int_equal(code, 400);
	assert_true(decode("{\"schema\":", &b, &code) < 0);
	assert_int_equal(code, 400);
	assert_true(decode("", &b, &code) < 0);
	assert_int_equal(code, 400);
	assert_true(decode("[]", &b, &code) < 0);
	assert_int_equal(code, 400);
	assert_true(decode("{\"schema\":\"x\",\"references\":{}}", &b, &code) < 0);
	assert_int_equal(code, 400);
	assert_true(decode("{\"schema\":\"x\",\"references\":[1]}", &b, &code) < 0);
	assert_int_equal(code, 400);
	assert_true(decode("{\"schema\":\"x\",\"references\":[{\"name\":\"a\"}]}", &b, &code) < 0);
	assert_int_equal(code, 42201);
	assert_true(decode("{\"schema\":\"x\",\"id\":\"5\"}", &b, &code) < 0);
	assert_int_equal(code, 400);
	assert_true(decode("{\"schema\":\"x\",\"version\":4294967296}", &b, &code) < 0);
	assert_int_equal(code, 400);
	/* Duplicate keys could be read two ways: refused. */
	assert_true(decode("{\"schema\":\"\\\"int\\\"\",\"schema\":\"\\\"long\\\"\"}", &b, &code) < 0);
	assert_int_equal(code, 400);
	/* An embedded NUL cannot be carried in a C string: refused, not cut. */
	assert_true(decode("{\"schema\":\"a\\u0000b\"}", &b, &code) < 0);
	assert_int_equal(code, 400);
	assert_null(b.schema);
	/* A raw NUL after a number: jansson 2.14 alone would accept it. */
	{
		static const char nul[] = "{\"schema\":\"\\\"int\\\"\",\"version\":1\0}";

		assert_true(regit_api_decode_schema_body(&b, nul, sizeof(nul) - 1) < 0);
		assert_int_equal(regit_error_api_code(), 400);
		assert_non_null(strstr(regit_error_message(), "NUL"));
		assert_null(b.schema);
	}
}

static void test_api__config_and_mode_bodies(void **state)
{
	regit_config cfg;
	char mode[32];
	const char *s;

	(void)state;
	s = "{\"compatibility\":\"full_transitive\",\"normalize\":true,\"regit.rules\":\"AVRO\"}";
	assert_int_equal(regit_api_decode_config_body(&cfg, s, strlen(s)), 0);
	assert_true(cfg.has_level);
	assert_int_equal(cfg.level, REGIT_LEVEL_FULL_TRANSITIVE);
	assert_true(cfg.has_normalize && cfg.normalize);
	assert_true(cfg.has_strict);
	assert_false(cfg.strict);
	s = "{\"compatibilityLevel\":\"FULL\"}";   /* no alias: ignored */
	assert_int_equal(regit_api_decode_config_body(&cfg, s, strlen(s)), 0);
	assert_false(cfg.has_level);
	s = "{\"compatibility\":\"SIDEWAYS\"}";
	assert_true(regit_api_decode_config_body(&cfg, s, strlen(s)) < 0);
	assert_int_equal(regit_error_api_code(), 42203);
	s = "{\"normalize\":\"yes\"}";
	assert_true(regit_api_decode_config_body(&cfg, s, strlen(s)) < 0);
	assert_int_equal(regit_error_api_code(), 400);
	s = "{\"regit.rules\":\"lax\"}";
	assert_true(regit_api_decode_config_body(&cfg, s, strlen(s)) < 0);
	assert_int_equal(regit_error_api_code(), 42203);
	/* regit.lint: off|warn|enforce in any case; null is absent. */
	s = "{\"regit.lint\":\"Enforce\"}";
	assert_int_equal(regit_api_decode_config_body(&cfg, s, strlen(s)), 0);
	assert_true(cfg.has_lint);
	assert_int_equal(cfg.lint, REGIT_LINT_POLICY_ENFORCE);
	assert_false(cfg.has_level || cfg.has_strict || cfg.has_normalize);
	s = "{\"regit.lint\":null,\"compatibility\":\"NONE\"}";
	assert_int_equal(regit_api_decode_config_body(&cfg, s, strlen(s)), 0);
	assert_false(cfg.has_lint);
	s = "{\"regit.lint\":\"strict\"}";
	assert_true(regit_api_decode_config_body(&cfg, s, strlen(s)) < 0);
	assert_int_equal(regit_error_api_code(), 42203);
	assert_non_null(strstr(regit_error_message(), "off, warn and enforce"));
	s = "{\"regit.lint\":true}";
	assert_true(regit_api_decode_config_body(&cfg, s, strlen(s)) < 0);
	assert_int_equal(regit_error_api_code(), 42203);
	s = "{\"regit.lint\":\"warn\\u0000x\"}";    /* not "warn" */
	assert_true(regit_api_decode_config_body(&cfg, s, strlen(s)) < 0);

	s = "{\"mode\":\"readonly\"}";
	assert_int_equal(regit_api_decode_mode_body(mode, sizeof(mode), s, strlen(s)), 0);
	assert_string_equal(mode, "readonly");
	s = "{\"mode\":7}";
	assert_true(regit_api_decode_mode_body(mode, sizeof(mode), s, strlen(s)) < 0);
	assert_int_equal(regit_error_api_code(), 42204);
	s = "{\"mode\":\"0123456789012345678901234567890123456789\"}";
	assert_true(regit_api_decode_mode_body(mode, sizeof(mode), s, strlen(s)) < 0);
	assert_int_equal(regit_error_api_code(), 42204);
}

/* ---- the handler over a real registry ---------------------------------------- */

typedef struct fixture {
	char dir[64];
	char store[96];
	regit_registry *reg;
	regit_api *api;
	regit_http_response resp;
	char body[8192];
} fixture;

static int api_setup(void **state)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	fixture *f = regit_calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/regit-test-api-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->store, sizeof(f->store), "%s/store.git", f->dir);
	opts.store_path = f->store;
	opts.default_level = REGIT_LEVEL_BACKWARD;
	opts.default_strict = 0;
	regit_error_set_api_code(0);
	if (regit_registry_open(&f->reg, &opts) < 0) {
		fprintf(stderr, "open: %s\n", regit_error_message());
		return -1;
	}
	if (regit_api_new(&f->api, f->reg) < 0)
		return -1;
	*state = f;
	return 0;
}

static int api_teardown(void **state)
{
	fixture *f = *state;
	char cmd[160];

	regit_api_free(f->api);
	regit_registry_free(f->reg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	regit_free(f);
	return 0;
}

/* Run one request; returns the status, the body lands in f->body. */
static int call(fixture *f, const char *method, const char *target, const char *ctype,
	const char *body)
{
	regit_http_request req;
	const char *out;
	size_t len;
	int status;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = target;
	req.content_type = ctype;
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	regit_http_response_init(&f->resp, 1u << 20);
	regit_api_handle(&req, &f->resp, f->api);
	out = regit_http_response_body(&f->resp, &len);
	if (len >= sizeof(f->body))
		len = sizeof(f->body) - 1;
	memcpy(f->body, out, len);
	f->body[len] = '\0';
	status = f->resp.status;
	regit_http_response_dispose(&f->resp);
	return status;
}

static void test_api__routing_errors(void **state)
{
	fixture *f = *state;

	assert_int_equal(call(f, "GET", "/", NULL, NULL), 200);
	assert_string_equal(f->body, "{}");
	assert_int_equal(call(f, "GET", "/nope", NULL, NULL), 404);
	assert_string_equal(f->body, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
	assert_int_equal(call(f, "GET", "/subjects/a/b/c/d/e/f/g/h/i", NULL, NULL), 404);
	assert_int_equal(call(f, "GET", "", NULL, NULL), 404);
	assert_int_equal(call(f, "GET", "subjects", NULL, NULL), 404);
	assert_int_equal(call(f, "PATCH", "/subjects", NULL, NULL), 405);
	assert_string_equal(f->body, "{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}");
	assert_int_equal(call(f, "GET", "/subjects", "text/plain", NULL), 415);
	assert_int_equal(call(f, "GET", "/subjects/", NULL, NULL), 200);   /* trailing slash */
	assert_string_equal(f->body, "[]");
	assert_int_equal(call(f, "GET", "/schemas/ids/12abc", V1, NULL), 404);
	assert_int_equal(call(f, "GET", "/schemas/ids/%31", V1, NULL), 404);
	assert_int_equal(call(f, "GET", "/subjects/x/versions/0", V1, NULL), 422);
	assert_non_null(strstr(f->body, "\"error_code\":42202"));
	assert_int_equal(call(f, "GET", "/subjects/a%zz/versions", V1, NULL), 400);
	assert_int_equal(call(f, "GET", "/subjects/a b/versions", V1, NULL), 400);
	assert_int_equal(call(f, "GET", "/subjects/a\tb/versions", V1, NULL), 400);
	assert_int_equal(call(f, "GET", "/subjects?x=\x7f", V1, NULL), 400);
	assert_int_equal(call(f, "GET", "/subjects/a%00/versions", V1, NULL), 422);
	assert_non_null(strstr(f->body, "\"error_code\":42208"));
	assert_int_equal(call(f, "GET", "/schemas/types", NULL, NULL), 200);
	assert_string_equal(f->body, "[\"AVRO\"]");
	assert_int_equal(call(f, "GET", "/subjects?limit=x", NULL, NULL), 404);
	assert_int_equal(call(f, "POST", "/subjects/s/versions", V1, "{\"schema\":1}"), 400);
	assert_int_equal(call(f, "POST", "/subjects/s/versions", V1,
		"{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"JSON\"}"), 422);
	assert_non_null(strstr(f->body, "\"error_code\":42201"));

	/* Thousands of malformed query pairs are skipped without running the
	 * decoding arena dry (was a 500; fuzz/corpora/http/query-arena), and
	 * a pair after them still counts. */
	{
		static const char pair[] = "a%&";
		size_t n = 3000, i, off;
		char *target = malloc(16 + n * (sizeof(pair) - 1) + 16);

		assert_non_null(target);
		off = (size_t)snprintf(target, 16, "/subjects?");
		for (i = 0; i < n; i++) {
			memcpy(target + off, pair, sizeof(pair) - 1);
			off += sizeof(pair) - 1;
		}
		memcpy(target + off, "limit=x", 8);
		assert_int_equal(call(f, "GET", target, V1, NULL), 404);
		memcpy(target + off, "limit=1", 8);
		assert_int_equal(call(f, "GET", target, V1, NULL), 200);
		assert_string_equal(f->body, "[]");
		free(target);
	}
}

static void test_api__register_read_and_cache(void **state)
{
	fixture *f = *state;
	const char *body = "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R\\\","
		"\\\"fields\\\":[]}\"}";
	char first[8192];

	assert_int_equal(call(f, "POST", "/subjects/a%2Fb/versions", V1, body), 200);
	assert_non_null(strstr(f->body, "\"id\":1,\"version\":1"));
	assert_int_equal(call(f, "GET", "/subjects", NULL, NULL), 200);
	assert_string_equal(f->body, "[\"a/b\"]");
	assert_int_equal(call(f, "GET", "/subjects/a%2Fb/versions/latest/schema", NULL, NULL), 200);
	assert_string_equal(f->body, "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}");

	/* Rendered once, then served from the cache: same bytes. */
	assert_int_equal(call(f, "GET", "/schemas/ids/1", NULL, NULL), 200);
	memcpy(first, f->body, sizeof(first));
	{
		static const char head[] = "{\"schemaType\":\"AVRO\",\"schema\":"
			"\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R\\\",\\\"fields\\\":[]}\","
			/* md5sum of the schema text, as a UUID */
			"\"guid\":\"74eac7ad-f8e9-b2da-013c-1887a2f89163\","
			/* 8.x: when the id was first registered, ms since the epoch */
			"\"ts\":";
		const char *p = first + sizeof(head) - 1;

		assert_memory_equal(first, head, sizeof(head) - 1);
		assert_true(*p >= '1' && *p <= '9');
		while (*p >= '0' && *p <= '9')
			p++;
		assert_string_equal(p, "}");
	}
	/* ?subject= is not cached, and not filtered: "other" does not hold id 1,
	 * so 8.x names the subject-version that does (Confluent's fallback). */
	{
		char want[sizeof(first) + 64];

		snprintf(want, sizeof(want), "{\"subject\":\"a/b\",\"version\":1,%s", first + 1);
		assert_int_equal(call(f, "GET", "/schemas/ids/1?subject=other", NULL, NULL), 200);
		assert_string_equal(f->body, want);
		assert_int_equal(call(f, "GET", "/schemas/ids/1?subject=a%2Fb", NULL, NULL), 200);
		assert_string_equal(f->body, want);
	}
	assert_int_equal(call(f, "GET", "/schemas/ids/1", NULL, NULL), 200);
	assert_string_equal(f->body, first);

	/* A hard delete changes the generation: the cached body must not survive. */
	assert_int_equal(call(f, "DELETE", "/subjects/a%2Fb/versions/1", NULL, NULL), 200);
	assert_int_equal(call(f, "GET", "/schemas/ids/1", NULL, NULL), 200);   /* soft: still resolves */
	assert_int_equal(call(f, "DELETE", "/subjects/a%2Fb/versions/1?permanent=true", NULL, NULL), 200);
	assert_int_equal(call(f, "GET", "/schemas/ids/1", NULL, NULL), 404);
	assert_non_null(strstr(f->body, "\"error_code\":40403"));
}

/* An invalid decimal is ignored, as the Avro specification says and
 * Confluent (Avro Java) does: registered, and kept as written. */
static void test_api__invalid_decimal_is_registered(void **state)
{
	fixture *f = *state;
	const char *body = "{\"schema\":\"{\\\"type\\\":\\\"bytes\\\","
		"\\\"logicalType\\\":\\\"decimal\\\",\\\"precision\\\":2,\\\"scale\\\":5}\"}";

	assert_int_equal(call(f, "POST", "/subjects/d/versions", V1, body), 200);
	assert_non_null(strstr(f->body, "\"id\":1"));
	assert_int_equal(call(f, "GET", "/subjects/d/versions/latest/schema", NULL, NULL), 200);
	assert_non_null(strstr(f->body, "\"scale\":5"));
}

static void test_api__metrics_and_health(void **state)
{
	fixture *f = *state;
	regit_http_request req;
	regit_http_response resp;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.target = "/subjects/x/versions";
	regit_http_response_init(&resp, 1u << 20);
	regit_api_handle(&req, &resp, f->api);
	regit_api_observe(&req, &resp, 1500000, f->api);   /* 1.5 ms */
	regit_http_response_dispose(&resp);

	assert_int_equal(call(f, "GET", "/metrics", NULL, NULL), 200);
	assert_non_null(strstr(f->body,
		"regit_http_requests_total{route=\"/subjects/{s}/versions\",status=\"404\"} 1\n"));
	assert_non_null(strstr(f->body, "regit_http_request_duration_seconds_bucket{route="
		"\"/subjects/{s}/versions\",le=\"0.001\"} 0\n"));
	assert_non_null(strstr(f->body, "regit_http_request_duration_seconds_bucket{route="
		"\"/subjects/{s}/versions\",le=\"0.0025\"} 1\n"));
	assert_non_null(strstr(f->body, "\nregit_store_ok 1\n"));
	assert_int_equal(call(f, "GET", "/health", NULL, NULL), 200);
	assert_non_null(strstr(f->body, "\"status\":\"ok\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api__parse_int_is_java_int),
		cmocka_unit_test(test_api__parse_version),
		cmocka_unit_test(test_api__parse_bool_only_true),
		cmocka_unit_test(test_api__percent_decode),
		cmocka_unit_test(test_api__negotiate),
		cmocka_unit_test(test_api__content_types),
		cmocka_unit_test(test_api__schema_body),
		cmocka_unit_test(test_api__config_and_mode_bodies),
		cmocka_unit_test_setup_teardown(test_api__routing_errors, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_api__register_read_and_cache, api_setup,
			api_teardown),
		cmocka_unit_test_setup_teardown(test_api__invalid_decimal_is_registered, api_setup,
			api_teardown),
		cmocka_unit_test_setup_teardown(test_api__metrics_and_health, api_setup, api_teardown),
	};

	regit_alloc_install_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
