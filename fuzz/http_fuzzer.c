/*
 * http_fuzzer.c - libFuzzer target for the HTTP request handler: routing,
 * percent-decoding, query parsing, content negotiation, body decoding,
 * schema parsing and rendering, through the same socket-free entry point
 * the server uses (regit_api_handle), with authentication switched on.
 *
 * Input format (what a request looks like without the socket):
 *
 *     METHOD SP TARGET LF
 *     Header: value LF         (Content-Type, Accept, Authorization)
 *     LF
 *     body...
 *
 * The registry lives in a temporary git store holding a few schemas and
 * is then put in global READONLY mode, so the fuzzer exercises every read,
 * lookup, compatibility and refused-write path without making a durable
 * commit per input (PUT/DELETE on /mode are turned into GETs so it cannot
 * switch that off). Properties: every response has a status in 200..499
 * (a 5xx on any input is a bug) and a body.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/api.h"
#include "server/auth.h"
#include "util/alloc.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static regit_registry *fuzz_reg;
static regit_api *fuzz_api;
static regit_auth *fuzz_auth;

/* openssl passwd -6 -salt saltsalt secret; "Basic YWxpY2U6c2VjcmV0" = alice:secret */
static const char fuzz_creds[] =
	"alice:admin:$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1\n"
	"rita:read:$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1\n";

static const char *const fuzz_seed_schemas[] = {
	"{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.example\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}",
	"{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.example\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"email\",\"type\":[\"null\",\"string\"],\"default\":null}]}",
	"{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\",\"GREEN\"]}",
	"\"string\"",
};

static char fuzz_dir[64];

static int fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Leave no store behind in /tmp (make test replays this every run). */
static void fuzz_cleanup(void)
{
	regit_api_free(fuzz_api);
	regit_registry_free(fuzz_reg);
	regit_auth_free(fuzz_auth);
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	regit_registry_options o = REGIT_REGISTRY_OPTIONS_INIT;
	char tmpl[] = "/tmp/regit-http-fuzz-XXXXXX";
	static char store[256];
	size_t i;

	(void)argc;
	(void)argv;
	if (!mkdtemp(tmpl))
		abort();
	memcpy(fuzz_dir, tmpl, sizeof(tmpl));
	atexit(fuzz_cleanup);
	snprintf(store, sizeof(store), "%s/store.git", tmpl);
	o.store_path = store;
	o.default_level = REGIT_LEVEL_BACKWARD;
	o.default_strict = 0;
	regit_error_set_api_code(0);
	if (regit_registry_open(&fuzz_reg, &o) < 0 || regit_api_new(&fuzz_api, fuzz_reg) < 0 ||
	    regit_auth_parse(&fuzz_auth, fuzz_creds, sizeof(fuzz_creds) - 1) < 0) {
		fprintf(stderr, "http fuzzer: setup failed: %s\n", regit_error_message());
		abort();
	}
	for (i = 0; i < sizeof(fuzz_seed_schemas) / sizeof(fuzz_seed_schemas[0]); i++) {
		regit_register_request rr;
		regit_register_result res;

		memset(&rr, 0, sizeof(rr));
		rr.subject = i < 2 ? "users-value" : i == 2 ? "colors" : "we/ird %subject";
		rr.schema = fuzz_seed_schemas[i];
		rr.schema_len = strlen(rr.schema);
		if (regit_registry_register(fuzz_reg, &rr, &res) < 0) {
			fprintf(stderr, "http fuzzer: seed registration failed: %s\n", regit_error_message());
			abort();
		}
	}
	if (regit_registry_set_mode(fuzz_reg, NULL, REGIT_MODE_READONLY, 1, NULL) < 0) {
		fprintf(stderr, "http fuzzer: readonly failed: %s\n", regit_error_message());
		abort();
	}
	regit_api_set_auth(fuzz_api, fuzz_auth);
	return 0;
}

/* Next line of [*p, end) without its LF; advances *p. */
static size_t fuzz_line(const char **p, const char *end, const char **line)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);

	*line = *p;
	*p += len + (nl ? 1 : 0);
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *line, *sp;
	char method[16] = "GET", *target = NULL, *ctype = NULL, *accept = NULL, *authz = NULL;
	char *body = NULL;
	regit_http_request req;
	regit_http_response resp;
	const char *rb;
	size_t len, rlen;

	if (size > (1u << 20))
		return 0;
	len = fuzz_line(&p, end, &line);
	sp = memchr(line, ' ', len);
	if (!sp || (size_t)(sp - line) >= sizeof(method))
		return 0;
	memcpy(method, line, (size_t)(sp - line));
	method[sp - line] = '\0';
	target = regit_strndup(sp + 1, len - (size_t)(sp - line) - 1);
	while (p < end) {
		char **slot = NULL;
		const char *colon;

		len = fuzz_line(&p, end, &line);
		if (len == 0)
			break;
		colon = memchr(line, ':', len);
		if (!colon)
			continue;
		if ((size_t)(colon - line) == 12 && strncasecmp(line, "Content-Type", 12) == 0)
			slot = &ctype;
		else if ((size_t)(colon - line) == 6 && strncasecmp(line, "Accept", 6) == 0)
			slot = &accept;
		else if ((size_t)(colon - line) == 13 && strncasecmp(line, "Authorization", 13) == 0)
			slot = &authz;
		if (slot && !*slot) {
			colon++;
			while (colon < line + len && *colon == ' ')
				colon++;
			*slot = regit_strndup(colon, (size_t)(line + len - colon));
		}
	}
	body = regit_strndup(p, (size_t)(end - p));
	if (!target || !body)
		goto done;
	/* Keep the store read-only (see the top of the file). */
	if ((strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0) &&
	    strncmp(target, "/mode", 5) == 0)
		memcpy(method, "GET", 4);

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = target;
	req.content_type = ctype;
	req.accept = accept;
	req.authorization = authz ? authz : "Basic YWxpY2U6c2VjcmV0";
	req.body = body;
	req.body_len = (size_t)(end - p);
	regit_http_response_init(&resp, (size_t)16 << 20);
	regit_api_handle(&req, &resp, fuzz_api);
	rb = regit_http_response_body(&resp, &rlen);
	if (resp.status < 200 || resp.status >= 500) {
		fprintf(stderr, "http fuzzer: %s %s -> %d %.*s\n", method, target, resp.status,
			(int)(rlen > 300 ? 300 : rlen), rb);
		abort();
	}
	regit_http_response_dispose(&resp);
done:
	regit_free(target);
	regit_free(ctype);
	regit_free(accept);
	regit_free(authz);
	regit_free(body);
	return 0;
}
