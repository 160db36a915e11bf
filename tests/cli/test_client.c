/*
 * test_client.c - cli/client: percent-encoding of subjects, URL checks,
 * Confluent error bodies, and real requests against a tiny in-process HTTP
 * server (one canned response per connection) to see what goes over the
 * wire and how bounds, timeouts and refusals are reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* ---- an independent decoder to check the encoder against ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;   /* lower-case hex is not what we promise */
}

/* Decode %XX; fail on anything that should have been encoded. */
static int decode(char *out, size_t *outlen, const char *in)
{
	size_t n = 0;

	while (*in) {
		unsigned char c = (unsigned char)*in;

		if (c == '%') {
			int hi = hexval(in[1]), lo = hi < 0 ? -1 : hexval(in[2]);

			if (hi < 0 || lo < 0)
				return -1;
			out[n++] = (char)(hi * 16 + lo);
			in += 3;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'))
			return -1;
		out[n++] = (char)c;
		in++;
	}
	*outlen = n;
	return 0;
}

static void test_client__escape_known_vectors(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "orders-value", "orders-value" },
		{ "a/b c", "a%2Fb%20c" },
		{ "100%", "100%25" },
		{ "q?x=1&y#z", "q%3Fx%3D1%26y%23z" },
		{ "a+b", "a%2Bb" },
		{ "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9" },
		{ "A.b_c~d-e", "A.b_c~d-e" },
		{ "\x01\x7f\xff", "%01%7F%FF" },
		{ ":.ctx:name", "%3A.ctx%3Aname" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		regit_buf buf = REGIT_BUF_INIT;

		assert_int_equal(regit_client_put_escaped(&buf, cases[i].in, strlen(cases[i].in)), 0);
		assert_string_equal(regit_buf_cstr(&buf), cases[i].out);
		regit_buf_dispose(&buf);
	}
}

/* Every byte value round-trips, and only unreserved bytes stay literal. */
static void test_client__escape_every_byte_roundtrips(void **state)
{
	char all[256], back[256];
	regit_buf buf = REGIT_BUF_INIT;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	assert_int_equal(regit_client_put_escaped(&buf, all, 256), 0);
	/* 66 unreserved bytes stay 1 byte, the other 190 become 3. */
	assert_int_equal(buf.size, 66 + 190 * 3);
	assert_int_equal(decode(back, &n, regit_buf_cstr(&buf)), 0);
	assert_int_equal(n, 256);
	assert_memory_equal(back, all, 256);
	regit_buf_dispose(&buf);
}

/*
 * A length of 0 appends nothing, even when `s` is not empty (libcurl's
 * escaper reads 0 as "up to the NUL"); an input longer than any request
 * URL is refused whole.
 */
static void test_client__escape_length_bounds(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;
	char *big = calloc(2 * 1024 * 1024, 1);

	(void)state;
	assert_non_null(big);
	assert_int_equal(regit_buf_puts(&buf, "/s"), 0);
	assert_int_equal(regit_client_put_escaped(&buf, "a b", 0), 0);
	assert_string_equal(regit_buf_cstr(&buf), "/s");
	assert_int_equal(regit_client_put_escaped(&buf, "a b", 1), 0);
	assert_string_equal(regit_buf_cstr(&buf), "/sa");
	memset(big, 'x', 2 * 1024 * 1024 - 1);
	assert_int_equal(regit_client_put_escaped(&buf, big, strlen(big)), REGIT_ELIMIT);
	assert_string_equal(regit_buf_cstr(&buf), "/sa");
	free(big);
	regit_buf_dispose(&buf);
}

static void test_client__segment_dots_and_empty(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;

	(void)state;
	assert_int_equal(regit_buf_puts(&buf, "/subjects"), 0);
	assert_int_equal(regit_client_put_segment(&buf, ".."), 0);
	assert_int_equal(regit_client_put_segment(&buf, "."), 0);
	assert_int_equal(regit_client_put_segment(&buf, "..."), 0);
	assert_int_equal(regit_client_put_segment(&buf, ""), 0);
	assert_int_equal(regit_client_put_segment(&buf, "../x"), 0);
	assert_string_equal(regit_buf_cstr(&buf), "/subjects/%2E%2E/%2E/...//..%2Fx");
	regit_buf_dispose(&buf);
}

static void test_client__query_separators(void **state)
{
	regit_buf buf = REGIT_BUF_INIT;

	(void)state;
	assert_int_equal(regit_buf_puts(&buf, "/subjects"), 0);
	assert_int_equal(regit_client_put_query(&buf, "subjectPrefix", "a&b=c d"), 0);
	assert_int_equal(regit_client_put_query(&buf, "deleted", "true"), 0);
	assert_string_equal(regit_buf_cstr(&buf),
		"/subjects?subjectPrefix=a%26b%3Dc%20d&deleted=true");
	regit_buf_dispose(&buf);
}

static void test_client__encoding_respects_limit_atomically(void **state)
{
	regit_buf buf;

	(void)state;
	regit_buf_init(&buf, 12);
	assert_int_equal(regit_buf_puts(&buf, "/s"), 0);
	/* "/" + 4 x "%2F" = 13 bytes more: over the cap, nothing appended. */
	assert_int_equal(regit_client_put_segment(&buf, "////"), REGIT_ELIMIT);
	assert_string_equal(regit_buf_cstr(&buf), "/s");
	assert_int_equal(regit_client_put_query(&buf, "k", "//////"), REGIT_ELIMIT);
	assert_string_equal(regit_buf_cstr(&buf), "/s");
	assert_int_equal(regit_client_put_escaped(&buf, "abc/", 4), 0);
	assert_string_equal(regit_buf_cstr(&buf), "/sabc%2F");
	regit_buf_dispose(&buf);
}

static void test_client__encoding_survives_oom(void **state)
{
	long n;

	(void)state;
	for (n = 0; n < 20; n++) {
		regit_buf buf = REGIT_BUF_INIT;
		int error;

		regit_alloc_fail_after(n);
		error = regit_client_put_segment(&buf, "a subject/with spaces");
		if (error == 0)
			error = regit_client_put_query(&buf, "x", "y z");
		regit_alloc_fail_after(-1);
		if (error == 0) {
			assert_string_equal(regit_buf_cstr(&buf),
				"/a%20subject%2Fwith%20spaces?x=y%20z");
			regit_buf_dispose(&buf);
			return;
		}
		assert_int_equal(error, REGIT_ENOMEM);
		regit_buf_dispose(&buf);
	}
	fail_msg("never succeeded");
}

/* ---- error bodies ---- */

static void test_client__classify_confluent_errors(void **state)
{
	static const struct {
		int status;
		const char *body;
		int want, code;
		const char *message;
	} cases[] = {
		{ 200, "{}", 0, 0, NULL },
		{ 204, "", 0, 0, NULL },
		{ 404, "{\"error_code\":40401,\"message\":\"Subject 'x' not found.\"}",
		  REGIT_ENOTFOUND, 40401, "40401 Subject 'x' not found." },
		{ 404, "{\"error_code\":40403,\"message\":\"Schema 9 not found\"}",
		  REGIT_ENOTFOUND, 40403, "40403 Schema 9 not found" },
		{ 409, "{\"error_code\":40901,\"message\":\"Schema being registered is incompatible\"}",
		  REGIT_EINCOMPATIBLE, 40901, "40901 Schema being registered is incompatible" },
		{ 409, "{\"error_code\":409,\"message\":\"old style\"}",
		  REGIT_EINCOMPATIBLE, 409, "409 old style" },
		{ 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}",
		  REGIT_EINVALID, 42201, "42201 Invalid schema" },
		{ 422, "{\"error_code\":42205,\"message\":\"Subject x is in read-only mode\"}",
		  REGIT_EPERM, 42205, "42205 Subject x is in read-only mode" },
		{ 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}",
		  REGIT_EPERM, 401, "401 Unauthorized (give credentials with REGIT_REGISTRY_AUTH or --user-file FILE)" },
		{ 403, "", REGIT_EPERM, 0, "HTTP 403 from registry" },
		{ 400, "{\"error_code\":400,\"message\":\"Unrecognized field\"}",
		  REGIT_EINVALID, 400, "400 Unrecognized field" },
		{ 415, "{\"error_code\":415}", REGIT_EINVALID, 415, "415 (HTTP 415)" },
		{ 500, "{\"error_code\":50001,\"message\":\"Error in the backend\\ndata store\"}",
		  REGIT_EIO, 50001, "50001 Error in the backend data store" },
		{ 502, "<html>Bad\r\nGateway</html>", REGIT_EIO, 0,
		  "HTTP 502 from registry: <html>Bad  Gateway</html>" },
		/* Not a Confluent error body: error_code must be an integer. */
		{ 404, "{\"error_code\":\"40401\",\"message\":\"m\"}", REGIT_ENOTFOUND, 0,
		  "HTTP 404 from registry: {\"error_code\":\"40401\",\"message\":\"m\"}" },
		{ 404, "[1,2]", REGIT_ENOTFOUND, 0, "HTTP 404 from registry: [1,2]" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = -1, error;

		regit_error_clear();
		error = regit_client_classify(&code, cases[i].status, cases[i].body,
			strlen(cases[i].body));
		assert_int_equal(error, cases[i].want);
		assert_int_equal(code, cases[i].code);
		if (cases[i].message)
			assert_string_equal(regit_error_message(), cases[i].message);
	}
}

static void test_client__classify_quotes_long_bodies_briefly(void **state)
{
	char body[4096];
	const char *msg;

	(void)state;
	memset(body, 'x', sizeof(body));
	assert_int_equal(regit_client_classify(NULL, 503, body, sizeof(body)), REGIT_EIO);
	msg = regit_error_message();
	assert_true(strlen(msg) < 300);
	assert_non_null(strstr(msg, "..."));
	assert_null(strchr(msg, '\n'));
}


/* ---- typed views of answers ---- */

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

	assert_non_null(j);
	return j;
}

static void test_client__parse_schema(void **state)
{
	static const char *const bad[] = {
		"[]", "\"x\"", "{}", "{\"schema\": 5}", "{\"schema\": \"x\", \"subject\": 1}",
		"{\"schema\": \"x\", \"version\": 0}", "{\"schema\": \"x\", \"version\": \"1\"}",
		"{\"schema\": \"x\", \"id\": -1}", "{\"schema\": \"x\", \"id\": 2147483648}",
		"{\"schema\": \"x\", \"version\": 1.5}",
		"{\"schema\": \"x\", \"schemaType\": 1}",
		"{\"schema\": \"x\", \"metadata\": []}",
		"{\"schema\": \"x\", \"ruleSet\": \"r\"}",
		"{\"schema\": \"x\", \"references\": {}}",
		"{\"schema\": \"x\", \"references\": [1]}",
		"{\"schema\": \"x\", \"references\": [{\"name\": \"A\", \"subject\": \"a\"}]}",
		"{\"schema\": \"x\", \"references\": [{\"name\": \"A\", \"subject\": \"a\", \"version\": 0}]}",
		"{\"schema\": \"x\", \"references\": [{\"name\": \"A\", \"subject\": \"a\", \"version\": 1},"
			" {\"name\": 2, \"subject\": \"b\", \"version\": 1}]}",
	};
	regit_client_schema s = REGIT_CLIENT_SCHEMA_INIT;
	json_t *j;
	size_t i;

	(void)state;
	j = parse("{\"subject\":\"a/b\",\"version\":3,\"id\":17,\"schemaType\":\"AVRO\","
		"\"schema\":\"{\\\"type\\\":\\\"string\\\"}\",\"references\":[]}");
	assert_int_equal(regit_client_parse_schema(&s, j), 0);
	assert_string_equal(s.subject, "a/b");
	assert_int_equal(s.version, 3);
	assert_int_equal(s.id, 17);
	assert_string_equal(s.schema, "{\"type\":\"string\"}");
	regit_client_schema_dispose(&s);
	assert_null(s.schema);
	json_decref(j);

	/* References and a schemaType other than AVRO are kept; AVRO is NULL. */
	j = parse("{\"schema\":\"\\\"B\\\"\",\"schemaType\":\"JSON\","
		"\"metadata\":{\"properties\":{\"owner\":\"x\"}},\"ruleSet\":{\"domainRules\":[]},\"references\":["
		"{\"name\":\"ns.A\",\"subject\":\"a:b\",\"version\":2},"
		"{\"name\":\"C\",\"subject\":\"c\",\"version\":7}]}");
	assert_int_equal(regit_client_parse_schema(&s, j), 0);
	assert_string_equal(s.schema_type, "JSON");
	assert_int_equal(s.nrefs, 2);
	assert_string_equal(s.refs[0].name, "ns.A");
	assert_string_equal(s.refs[0].subject, "a:b");
	assert_int_equal(s.refs[0].version, 2);
	assert_string_equal(s.refs[1].subject, "c");
	assert_int_equal(s.refs[1].version, 7);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s.metadata,
		"properties"), "owner")), "x");
	assert_true(json_is_array(json_object_get(s.rule_set, "domainRules")));
	regit_client_schema_dispose(&s);
	assert_null(s.metadata);
	assert_null(s.rule_set);
	assert_null(s.refs);
	assert_int_equal(s.nrefs, 0);
	json_decref(j);

	/* GET /schemas/ids/{id}: no subject, version or id in the answer. */
	j = parse("{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"AVRO\"}");
	assert_int_equal(regit_client_parse_schema(&s, j), 0);
	assert_null(s.subject);
	assert_int_equal(s.version, 0);
	assert_int_equal(s.id, -1);
	assert_string_equal(s.schema, "\"int\"");
	assert_null(s.schema_type);
	assert_null(s.refs);
	assert_null(s.metadata);
	assert_null(s.rule_set);
	regit_client_schema_dispose(&s);
	json_decref(j);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		assert_int_equal(regit_client_parse_schema(&s, j), REGIT_EIO);
		assert_null(s.schema);
		assert_null(s.subject);
		assert_null(s.refs);
		assert_non_null(strstr(regit_error_message(), "unexpected registry response"));
		json_decref(j);
	}
}

static void test_client__parse_registered(void **state)
{
	static const char *const bad[] = {
		"{}", "[1]", "{\"id\": \"1\"}", "{\"id\": -5}", "{\"id\": 1, \"version\": 0}",
		"{\"id\": 4294967297}",
	};
	int id, version;
	json_t *j;
	size_t i;

	(void)state;
	j = parse("{\"id\":17,\"version\":3,\"schemaType\":\"AVRO\",\"schema\":\"x\"}");
	assert_int_equal(regit_client_parse_registered(&id, &version, j), 0);
	assert_int_equal(id, 17);
	assert_int_equal(version, 3);
	json_decref(j);
	/* Registries before Confluent 7.5 answer only the id. */
	j = parse("{\"id\":2147483647}");
	assert_int_equal(regit_client_parse_registered(&id, &version, j), 0);
	assert_int_equal(id, 2147483647);
	assert_int_equal(version, 0);
	json_decref(j);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		assert_int_equal(regit_client_parse_registered(&id, &version, j), REGIT_EIO);
		json_decref(j);
	}
}

static void test_client__parse_versions(void **state)
{
	static const char *const bad[] = {
		"{}", "3", "[1, \"2\"]", "[0]", "[-1]", "[1, 2.0]", "[2147483648]", "[null]",
	};
	int *v = NULL;
	size_t n = 99, i;
	json_t *j;

	(void)state;
	j = parse("[1, 2, 7]");
	assert_int_equal(regit_client_parse_versions(&v, &n, j), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 7);
	regit_free(v);
	json_decref(j);
	j = parse("[]");
	assert_int_equal(regit_client_parse_versions(&v, &n, j), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	json_decref(j);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		v = (int *)1;
		assert_int_equal(regit_client_parse_versions(&v, &n, j), REGIT_EIO);
		assert_null(v);
		assert_int_equal(n, 0);
		json_decref(j);
	}
}

static void test_client__parse_compat_and_level(void **state)
{
	const json_t *messages = (const json_t *)1;
	const char *level = NULL;
	int compatible = -1;
	json_t *j;

	(void)state;
	j = parse("{\"is_compatible\":false,\"messages\":[\"a\",\"b\"]}");
	assert_int_equal(regit_client_parse_compat(&compatible, &messages, j), 0);
	assert_int_equal(compatible, 0);
	assert_int_equal(json_array_size(messages), 2);
	json_decref(j);
	j = parse("{\"is_compatible\":true}");
	assert_int_equal(regit_client_parse_compat(&compatible, &messages, j), 0);
	assert_int_equal(compatible, 1);
	assert_null(messages);
	json_decref(j);
	j = parse("{\"is_compatible\":\"true\"}");
	assert_int_equal(regit_client_parse_compat(&compatible, NULL, j), REGIT_EIO);
	json_decref(j);
	j = parse("{\"is_compatible\":true,\"messages\":\"x\"}");
	assert_int_equal(regit_client_parse_compat(&compatible, NULL, j), REGIT_EIO);
	json_decref(j);

	j = parse("{\"compatibilityLevel\":\"FULL\"}");
	assert_int_equal(regit_client_parse_level(&level, j), 0);
	assert_string_equal(level, "FULL");
	json_decref(j);
	j = parse("{\"compatibility\":\"NONE\",\"normalize\":true}");
	assert_int_equal(regit_client_parse_level(&level, j), 0);
	assert_string_equal(level, "NONE");
	json_decref(j);
	j = parse("{\"level\":\"NONE\"}");
	assert_int_equal(regit_client_parse_level(&level, j), REGIT_EIO);
	assert_null(level);
	json_decref(j);
}

static void test_client__parse_schema_survives_oom(void **state)
{
	regit_client_schema s = REGIT_CLIENT_SCHEMA_INIT;
	json_t *j;
	long n;

	(void)state;
	j = parse("{\"subject\":\"s\",\"version\":1,\"id\":1,\"schema\":\"\\\"int\\\"\"}");
	for (n = 0; n < 10; n++) {
		int error;

		regit_alloc_fail_after(n);
		error = regit_client_parse_schema(&s, j);
		regit_alloc_fail_after(-1);
		if (error == 0) {
			assert_string_equal(s.subject, "s");
			regit_client_schema_dispose(&s);
			json_decref(j);
			return;
		}
		assert_int_equal(error, REGIT_ENOMEM);
		assert_null(s.schema);
		assert_null(s.subject);
	}
	fail_msg("never succeeded");
}

/* ---- construction ---- */

static void test_client__url_checks(void **state)
{
	static const char *const bad[] = {
		"", "ftp://host", "host:8081", "http://", "http:// host", "http://h/a?b=1",
		"http://h/#x", "http://h/\n", "file:///etc/passwd",
	};
	regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
	regit_client *c = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		opts.url = bad[i];
		c = (regit_client *)1;
		assert_int_equal(regit_client_new(&c, &opts), REGIT_EINVALID);
		assert_null(c);
	}
	opts.url = "http://127.0.0.1:8081///";
	assert_int_equal(regit_client_new(&c, &opts), 0);
	assert_string_equal(regit_client_url(c), "http://127.0.0.1:8081");
	regit_client_free(c);
	opts.url = "HTTPS://reg.example/prefix/";
	assert_int_equal(regit_client_new(&c, &opts), 0);
	assert_string_equal(regit_client_url(c), "HTTPS://reg.example/prefix");
	regit_client_free(c);

	opts.url = "http://h";
	opts.userpass = "no-colon";
	assert_int_equal(regit_client_new(&c, &opts), REGIT_EINVALID);
	assert_null(c);
}

static void test_client__url_from_environment(void **state)
{
	regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
	regit_client *c = NULL;

	(void)state;
	unsetenv(REGIT_CLIENT_ENV_URL);
	assert_int_equal(regit_client_new(&c, NULL), 0);
	assert_string_equal(regit_client_url(c), REGIT_CLIENT_DEFAULT_URL);
	regit_client_free(c);

	setenv(REGIT_CLIENT_ENV_URL, "http://10.0.0.1:9/", 1);
	assert_int_equal(regit_client_new(&c, NULL), 0);
	assert_string_equal(regit_client_url(c), "http://10.0.0.1:9");
	regit_client_free(c);

	/* An explicit URL wins over the environment. */
	opts.url = "http://explicit:1";
	assert_int_equal(regit_client_new(&c, &opts), 0);
	assert_string_equal(regit_client_url(c), "http://explicit:1");
	regit_client_free(c);

	setenv(REGIT_CLIENT_ENV_URL, "gopher://x", 1);
	assert_int_equal(regit_client_new(&c, NULL), REGIT_EINVALID);
	unsetenv(REGIT_CLIENT_ENV_URL);
}

static void test_client__new_survives_oom(void **state)
{
	regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
	long n;

	(void)state;
	opts.url = "http://127.0.0.1:1/";
	opts.userpass = "u:p";
	for (n = 0; n < 20; n++) {
		regit_client *c = NULL;
		int error;

		regit_alloc_fail_after(n);
		error = regit_client_new(&c, &opts);
		regit_alloc_fail_after(-1);
		if (error == 0) {
			regit_client_free(c);
			return;
		}
		assert_int_equal(error, REGIT_ENOMEM);
		assert_null(c);
	}
	fail_msg("never succeeded");
}

/* ---- a one-response-per-connection HTTP server in a thread ---- */

#define FAKE_MAX 4

typedef struct fake_server {
	int fd;
	int port;
	pthread_t thread;
	const char *responses[FAKE_MAX];   /* borrowed; full raw HTTP responses */
	size_t nresponses;
	int delay_ms;                      /* before each answer */
	char requests[FAKE_MAX][8192];     /* what arrived, NUL-terminated */
} fake_server;

static size_t fake_content_length(const char *head)
{
	const char *p = strcasestr(head, "\r\nContent-Length:");

	return p ? (size_t)strtoul(p + 17, NULL, 10) : 0;
}

static void *fake_run(void *payload)
{
	fake_server *s = payload;
	size_t i;

	for (i = 0; i < s->nresponses; i++) {
		char *req = s->requests[i];
		size_t got = 0, sent = 0, len = strlen(s->responses[i]);
		int conn = accept(s->fd, NULL, NULL);

		if (conn < 0)
			break;
		for (;;) {
			ssize_t n = recv(conn, req + got, sizeof(s->requests[i]) - 1 - got, 0);
			char *end;

			if (n <= 0)
				break;
			got += (size_t)n;
			req[got] = '\0';
			end = strstr(req, "\r\n\r\n");
			if (end && got >= (size_t)(end + 4 - req) + fake_content_length(req))
				break;
			if (got == sizeof(s->requests[i]) - 1)
				break;
		}
		if (s->delay_ms) {
			struct timespec ts = { s->delay_ms / 1000, (s->delay_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
		while (sent < len) {
			ssize_t n = send(conn, s->responses[i] + sent, len - sent, MSG_NOSIGNAL);

			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		close(conn);
	}
	return NULL;
}

static void fake_start(fake_server *s)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(s->fd, 8), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&addr, &alen), 0);
	s->port = ntohs(addr.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, fake_run, s), 0);
}

static void fake_stop(fake_server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static regit_client *fake_client(const fake_server *s, const char *userpass, long timeout_ms)
{
	regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
	regit_client *c = NULL;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s->port);
	opts.url = url;
	opts.userpass = userpass ? userpass : "";
	opts.timeout_ms = timeout_ms;
	opts.max_response = 1024;
	assert_int_equal(regit_client_new(&c, &opts), 0);
	return c;
}

#define OK_JSON(body) \
	"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\n" \
	"Connection: close\r\nContent-Length: " #body "\r\n\r\n"

static void test_client__request_wire_format(void **state)
{
	fake_server s;
	regit_client *c;
	json_t *out = NULL;
	regit_buf path = REGIT_BUF_INIT;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.responses[0] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 23\r\n\r\n"
		"{\"id\":17,\"version\":3}\r\n";
	s.responses[1] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n2";
	s.responses[2] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
	s.nresponses = 3;
	fake_start(&s);
	c = fake_client(&s, "alice:s3cr:et", 0);

	assert_int_equal(regit_buf_puts(&path, "/subjects"), 0);
	assert_int_equal(regit_client_put_segment(&path, "a/b c"), 0);
	assert_int_equal(regit_buf_puts(&path, "/versions"), 0);
	assert_int_equal(regit_client_request(&out, c, "POST", regit_buf_cstr(&path),
		"{\"schema\":\"\\\"int\\\"\"}"), 0);
	assert_true(json_is_object(out));
	assert_int_equal(json_integer_value(json_object_get(out, "id")), 17);
	assert_int_equal(regit_client_status(c), 200);
	assert_int_equal(regit_client_error_code(c), 0);
	json_decref(out);

	assert_int_equal(regit_client_request(&out, c, "DELETE", "/subjects/x/versions/2", NULL), 0);
	assert_true(json_is_integer(out));
	assert_int_equal(json_integer_value(out), 2);
	json_decref(out);

	out = (json_t *)1;
	assert_int_equal(regit_client_request(&out, c, "PUT", "/config", "{}"), 0);
	assert_null(out);
	regit_client_free(c);
	fake_stop(&s);

	/* Request line keeps the encoding; no dot-segment squashing. */
	assert_non_null(strstr(s.requests[0], "POST /subjects/a%2Fb%20c/versions HTTP/1.1\r\n"));
	/* "alice:s3cr:et" -> base64, split at the first colon by the server. */
	assert_non_null(strstr(s.requests[0], "Authorization: Basic YWxpY2U6czNjcjpldA==\r\n"));
	assert_non_null(strstr(s.requests[0],
		"Content-Type: application/vnd.schemaregistry.v1+json\r\n"));
	assert_non_null(strstr(s.requests[0], "Accept: application/vnd.schemaregistry.v1+json"));
	assert_null(strstr(s.requests[0], "Expect:"));
	assert_non_null(strstr(s.requests[0], "\r\n\r\n{\"schema\":\"\\\"int\\\"\"}"));
	assert_non_null(strstr(s.requests[1], "DELETE /subjects/x/versions/2 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.requests[2], "PUT /config HTTP/1.1\r\n"));
	assert_non_null(strstr(s.requests[2], "\r\n\r\n{}"));
	regit_buf_dispose(&path);
}


static void test_client__auth_from_environment(void **state)
{
	fake_server s;
	regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
	regit_client *c = NULL;
	char url[64];

	(void)state;
	memset(&s, 0, sizeof(s));
	s.responses[0] = OK_JSON(2) "{}";
	s.responses[1] = OK_JSON(2) "{}";
	s.nresponses = 2;
	fake_start(&s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	opts.url = url;

	setenv(REGIT_CLIENT_ENV_AUTH, "bob:pw", 1);
	assert_int_equal(regit_client_new(&c, &opts), 0);
	assert_int_equal(regit_client_request(NULL, c, "GET", "/config", NULL), 0);
	regit_client_free(c);
	/* An explicit empty string turns authentication off. */
	opts.userpass = "";
	assert_int_equal(regit_client_new(&c, &opts), 0);
	assert_int_equal(regit_client_request(NULL, c, "GET", "/config", NULL), 0);
	regit_client_free(c);
	unsetenv(REGIT_CLIENT_ENV_AUTH);
	fake_stop(&s);

	assert_non_null(strstr(s.requests[0], "Authorization: Basic Ym9iOnB3\r\n"));
	assert_null(strstr(s.requests[1], "Authorization:"));
}

static void test_client__fetch_subject(void **state)
{
	fake_server s;
	regit_client *c;
	regit_client_schema *all = NULL;
	size_t n = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.responses[0] = OK_JSON(5) "[1,3]";
	s.responses[1] = OK_JSON(56)
		"{\"subject\":\"a b\",\"version\":1,\"id\":7,\"schema\":\"\\\"int\\\"\"} ";
	s.responses[2] = OK_JSON(56)
		"{\"subject\":\"a b\",\"version\":3,\"id\":9,\"schema\":\"\\\"long\\\"\"}";
	s.nresponses = 3;
	fake_start(&s);
	c = fake_client(&s, NULL, 0);
	assert_int_equal(regit_client_fetch_subject(&all, &n, c, "a b", 0), 0);
	regit_client_free(c);
	fake_stop(&s);

	assert_int_equal(n, 2);
	assert_int_equal(all[0].version, 1);
	assert_int_equal(all[0].id, 7);
	assert_string_equal(all[0].schema, "\"int\"");
	assert_int_equal(all[1].version, 3);
	assert_int_equal(all[1].id, 9);
	assert_string_equal(all[1].schema, "\"long\"");
	regit_client_schemas_free(all, n);
	assert_non_null(strstr(s.requests[0], "GET /subjects/a%20b/versions HTTP/1.1\r\n"));
	assert_non_null(strstr(s.requests[1], "GET /subjects/a%20b/versions/1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.requests[2], "GET /subjects/a%20b/versions/3 HTTP/1.1\r\n"));

	/* An answer that is not the version asked for is an error, not data. */
	memset(&s, 0, sizeof(s));
	s.responses[0] = OK_JSON(3) "[2]";
	s.responses[1] = OK_JSON(56)
		"{\"subject\":\"a\",\"version\":1,\"id\":7,\"schema\":\"\\\"int\\\"\"}   ";
	s.nresponses = 2;
	fake_start(&s);
	c = fake_client(&s, NULL, 0);
	all = (regit_client_schema *)1;
	assert_int_equal(regit_client_fetch_subject(&all, &n, c, "a", 0), REGIT_EIO);
	assert_null(all);
	assert_int_equal(n, 0);
	regit_client_free(c);
	fake_stop(&s);
}

static void test_client__request_errors(void **state)
{
	static const char notfound[] =
		"{\"error_code\":40401,\"message\":\"Subject 'a/b' not found.\"}";
	char resp404[256], big[2048];
	fake_server s;
	regit_client *c;
	json_t *out = NULL;

	(void)state;
	memset(&s, 0, sizeof(s));
	snprintf(resp404, sizeof(resp404),
		"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
		strlen(notfound), notfound);
	{
		int n = snprintf(big, sizeof(big),
			"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1500\r\n\r\n");

		/* A 1500-byte JSON string: "xxx...x" */
		big[n] = '"';
		memset(big + n + 1, 'x', 1498);
		big[n + 1499] = '"';
		big[n + 1500] = '\0';
	}
	s.responses[0] = resp404;
	s.responses[1] = big;
	s.responses[2] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 6\r\n\r\n<html>";
	s.nresponses = 3;
	fake_start(&s);
	c = fake_client(&s, NULL, 0);

	assert_int_equal(regit_client_request(&out, c, "GET", "/subjects/a%2Fb/versions", NULL),
		REGIT_ENOTFOUND);
	assert_null(out);
	assert_int_equal(regit_client_status(c), 404);
	assert_int_equal(regit_client_error_code(c), 40401);
	assert_string_equal(regit_error_message(), "40401 Subject 'a/b' not found.");
	assert_string_equal(regit_client_error_text(c), "Subject 'a/b' not found.");

	/* 1500 bytes against a 1024-byte cap. */
	assert_int_equal(regit_client_request(&out, c, "GET", "/subjects", NULL), REGIT_ELIMIT);
	assert_null(out);
	assert_non_null(strstr(regit_error_message(), "larger than 1024 bytes"));
	assert_int_equal(regit_client_error_code(c), 0);
	assert_string_equal(regit_client_error_text(c), "");

	assert_int_equal(regit_client_request(&out, c, "GET", "/", NULL), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "not JSON"));

	assert_null(strstr(s.requests[0], "Authorization:"));
	regit_client_free(c);
	fake_stop(&s);
}

static void test_client__timeout_and_refusal(void **state)
{
	fake_server s;
	regit_client *c;
	int port;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.responses[0] = OK_JSON(2) "{}";
	s.nresponses = 1;
	s.delay_ms = 700;
	fake_start(&s);
	c = fake_client(&s, NULL, 100);
	assert_int_equal(regit_client_request(NULL, c, "GET", "/config", NULL), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "did not answer in time"));
	assert_int_equal(regit_client_status(c), 0);
	regit_client_free(c);
	fake_stop(&s);

	/* The port is closed now: nothing listens there. */
	port = s.port;
	{
		regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
		char url[64];

		snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
		opts.url = url;
		assert_int_equal(regit_client_new(&c, &opts), 0);
		assert_int_equal(regit_client_request(NULL, c, "GET", "/", NULL), REGIT_EIO);
		assert_non_null(strstr(regit_error_message(), "cannot reach registry at http://127.0.0.1:"));
		regit_client_free(c);
	}
}

static void test_client__request_rejects_bad_arguments(void **state)
{
	regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
	regit_client *c = NULL;

	(void)state;
	opts.url = "http://127.0.0.1:1";
	assert_int_equal(regit_client_new(&c, &opts), 0);
	assert_int_equal(regit_client_request(NULL, c, "GET", "subjects", NULL), REGIT_EINVALID);
	assert_int_equal(regit_client_request(NULL, c, "PATCH", "/x", NULL), REGIT_EINVALID);
	regit_client_free(c);
	regit_client_free(NULL);
}

/* ---- credentials in URLs and in clear text ---- */

#define URL_PASSWORD "S3cretPW"

static void test_client__redact_url(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "http://alice:" URL_PASSWORD "@127.0.0.1:1", "http://alice:***@127.0.0.1:1" },
		{ "https://alice:" URL_PASSWORD "@h/prefix/", "https://alice:***@h/prefix/" },
		{ "http://token@h", "http://***@h" },
		{ "http://alice:p@ss:w/rd@h:1/x", "http://alice:***@h:1/x" },
		{ "http://alice:@h", "http://alice:***@h" },
		{ "ftp://alice:" URL_PASSWORD "@h", "ftp://alice:***@h" },
		{ "alice:" URL_PASSWORD "@h:8081", "alice:***@h:8081" },
		{ "http://127.0.0.1:8081/p", "http://127.0.0.1:8081/p" },
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = regit_client_redact_url(cases[i].in);

		assert_non_null(r);
		if (strcmp(r, cases[i].out) != 0)
			fail_msg("redact(%s) = %s, want %s", cases[i].in, r, cases[i].out);
		regit_free(r);
	}
}

static void assert_no_password(const char *text)
{
	if (strstr(text, URL_PASSWORD))
		fail_msg("the password shows in '%s'", text);
}

/*
 * issue #17: `--registry http://alice:S3cretPW@127.0.0.1:1` printed the
 * password in "cannot reach registry at ...". No message may show it.
 */
static void test_client__messages_never_show_url_password(void **state)
{
	static const char *const bad[] = {
		"ftp://alice:" URL_PASSWORD "@h", "http://alice:" URL_PASSWORD "@h/ x",
		"http://alice:" URL_PASSWORD "@h/?q", "http://alice:" URL_PASSWORD "@",
	};
	regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
	regit_client *c = NULL;
	fake_server s;
	char url[128];
	size_t i;
	int port;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		opts.url = bad[i];
		assert_int_equal(regit_client_new(&c, &opts), REGIT_EINVALID);
		assert_no_password(regit_error_message());
	}

	/* the answer is not JSON, then the connection is refused */
	memset(&s, 0, sizeof(s));
	s.responses[0] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 6\r\n\r\n<html>";
	s.nresponses = 1;
	fake_start(&s);
	snprintf(url, sizeof(url), "http://alice:" URL_PASSWORD "@127.0.0.1:%d/", s.port);
	opts.url = url;
	opts.userpass = NULL;
	unsetenv(REGIT_CLIENT_ENV_AUTH);
	assert_int_equal(regit_client_new(&c, &opts), 0);
	assert_no_password(regit_client_url(c));
	assert_int_equal(regit_client_request(NULL, c, "GET", "/", NULL), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "not JSON"));
	assert_non_null(strstr(regit_error_message(), "alice:***@127.0.0.1"));
	assert_no_password(regit_error_message());
	regit_client_free(c);
	fake_stop(&s);
	/* the URL's credentials are still what authenticates */
	assert_non_null(strstr(s.requests[0], "Authorization: Basic YWxpY2U6UzNjcmV0UFc=\r\n"));

	port = s.port;
	snprintf(url, sizeof(url), "http://alice:" URL_PASSWORD "@127.0.0.1:%d", port);
	assert_int_equal(regit_client_new(&c, &opts), 0);
	assert_int_equal(regit_client_request(NULL, c, "GET", "/subjects", NULL), REGIT_EIO);
	assert_non_null(strstr(regit_error_message(), "cannot reach registry at http://alice:***@127.0.0.1:"));
	assert_no_password(regit_error_message());
	regit_client_free(c);
}

static void test_client__clear_credentials(void **state)
{
	static const struct {
		const char *url, *userpass;
		int clear;
	} cases[] = {
		{ "http://10.0.0.1:8081", "u:p", 1 },
		{ "http://registry.example", "u:p", 1 },
		{ "http://u:p@registry.example", NULL, 1 },   /* the URL's own */
		{ "http://u:p@registry.example", "", 1 },     /* ... sent even then */
		{ "http://token@registry.example", NULL, 1 },
		{ "HTTP://10.0.0.1", "u:p", 1 },
		{ "http://[2001:db8::1]:1", "u:p", 1 },
		{ "http://128.0.0.1", "u:p", 1 },
		{ "https://10.0.0.1:8081", "u:p", 0 },
		{ "http://10.0.0.1:8081", "", 0 },
		{ "http://10.0.0.1:8081", NULL, 0 },
		{ "http://127.0.0.1:8081", "u:p", 0 },
		{ "http://127.200.3.4", "u:p", 0 },
		{ "http://127.1", "u:p", 0 },
		{ "http://localhost:8081", "u:p", 0 },
		{ "http://LOCALHOST.", "u:p", 0 },
		{ "http://[::1]:8081", "u:p", 0 },
		{ "http://[::ffff:127.0.0.1]:8081", "u:p", 0 },
		{ "http://u:p@127.0.0.1", NULL, 0 },
	};
	regit_client_options opts = REGIT_CLIENT_OPTIONS_INIT;
	size_t i;

	(void)state;
	unsetenv(REGIT_CLIENT_ENV_AUTH);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		regit_client *c = NULL;

		opts.url = cases[i].url;
		opts.userpass = cases[i].userpass;
		assert_int_equal(regit_client_new(&c, &opts), 0);
		if (regit_client_sends_clear_credentials(c) != cases[i].clear)
			fail_msg("%s with '%s': want %d", cases[i].url,
				cases[i].userpass ? cases[i].userpass : "(none)", cases[i].clear);
		regit_client_free(c);
	}
	/* credentials from the environment count too */
	setenv(REGIT_CLIENT_ENV_AUTH, "bob:pw", 1);
	{
		regit_client *c = NULL;

		opts.url = "http://10.0.0.1";
		opts.userpass = NULL;
		assert_int_equal(regit_client_new(&c, &opts), 0);
		assert_true(regit_client_sends_clear_credentials(c));
		regit_client_free(c);
	}
	unsetenv(REGIT_CLIENT_ENV_AUTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client__escape_known_vectors),
		cmocka_unit_test(test_client__escape_every_byte_roundtrips),
		cmocka_unit_test(test_client__escape_length_bounds),
		cmocka_unit_test(test_client__segment_dots_and_empty),
		cmocka_unit_test(test_client__query_separators),
		cmocka_unit_test(test_client__encoding_respects_limit_atomically),
		cmocka_unit_test(test_client__encoding_survives_oom),
		cmocka_unit_test(test_client__classify_confluent_errors),
		cmocka_unit_test(test_client__classify_quotes_long_bodies_briefly),
		cmocka_unit_test(test_client__parse_schema),
		cmocka_unit_test(test_client__parse_registered),
		cmocka_unit_test(test_client__parse_versions),
		cmocka_unit_test(test_client__parse_compat_and_level),
		cmocka_unit_test(test_client__parse_schema_survives_oom),
		cmocka_unit_test(test_client__url_checks),
		cmocka_unit_test(test_client__url_from_environment),
		cmocka_unit_test(test_client__new_survives_oom),
		cmocka_unit_test(test_client__request_wire_format),
		cmocka_unit_test(test_client__auth_from_environment),
		cmocka_unit_test(test_client__fetch_subject),
		cmocka_unit_test(test_client__request_errors),
		cmocka_unit_test(test_client__timeout_and_refusal),
		cmocka_unit_test(test_client__request_rejects_bad_arguments),
		cmocka_unit_test(test_client__redact_url),
		cmocka_unit_test(test_client__messages_never_show_url_password),
		cmocka_unit_test(test_client__clear_credentials),
	};

	regit_alloc_install_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
