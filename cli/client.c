/*
 * client.c - HTTP/JSON client for a Confluent-compatible schema registry.
 *
 * One libcurl easy handle per client, reused so consecutive requests share a
 * keep-alive connection. Every request is bounded in time (connect and total
 * timeouts) and in size (the response is collected into a capped regit_buf;
 * the transfer is aborted when it would grow past the cap). Error responses
 * are turned into regit codes and one-line messages here, so commands only
 * decide what an error means for their exit status.
 *
 * A base URL may carry credentials ("http://user:pass@host"); every message
 * shows it redacted ("http://user:***@host"), so a password never reaches a
 * terminal, a CI log or a bug report.
 */
#include "cli/client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/error.h"

#define CLIENT_DEFAULT_TIMEOUT_MS 30000L
#define CLIENT_DEFAULT_CONNECT_MS 5000L
#define CLIENT_DEFAULT_MAX_RESPONSE ((size_t)32 * 1024 * 1024)
/* Request URLs: base + encoded path; subjects are long at worst, not huge. */
#define CLIENT_MAX_REQUEST_URL ((size_t)256 * 1024)
/*
 * Longest input escaped: no request URL holds more, and libcurl answers
 * NULL (which would read as out of memory) past its own 8 MB input limit.
 */
#define CLIENT_ESCAPE_MAX ((size_t)1024 * 1024)
/* How much of a non-JSON error body is quoted in a message. */
#define CLIENT_QUOTE_MAX 160

struct regit_client {
	CURL *curl;
	struct curl_slist *headers;
	char *url;                 /* base, no trailing slash; may hold userinfo */
	char *shown_url;           /* url with the password redacted, for messages */
	char *userpass;            /* NULL: no authentication */
	long timeout_ms;
	long connect_timeout_ms;
	regit_buf response;        /* capped at max_response */
	int too_large;             /* the write callback refused more data */
	int status;
	int error_code;
	char *error_text;          /* full message of the last error body */
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * libcurl's escaper keeps exactly RFC 3986's unreserved bytes (ALPHA, DIGIT,
 * '-', '.', '_', '~') and writes every other byte, NUL included, as
 * upper-case %XX: the encoding client.h promises. It allocates with
 * malloc, so its failure is reported as REGIT_ENOMEM here.
 */
int regit_client_put_escaped(regit_buf *out, const char *s, size_t len)
{
	char *escaped;
	int error;

	/* curl_easy_escape() takes an int, and 0 means "strlen(s)". */
	if (len == 0)
		return 0;
	if (len > CLIENT_ESCAPE_MAX)
		return REGIT_ELIMIT;
	escaped = curl_easy_escape(NULL, s, (int)len);
	if (!escaped)
		return REGIT_ENOMEM;
	/* regit_buf_puts leaves the buffer as it was when it fails. */
	error = regit_buf_puts(out, escaped);
	curl_free(escaped);
	return error;
}

int regit_client_put_segment(regit_buf *out, const char *segment)
{
	size_t start = out->size;
	int error;

	error = regit_buf_putc(out, '/');
	if (error < 0)
		return error;
	/*
	 * "." and ".." are unreserved, so a plain encoder leaves them alone; as
	 * whole segments they would be removed by URL normalisation (RFC 3986
	 * 5.2.4) in clients, proxies or servers, addressing another resource.
	 */
	if (strcmp(segment, ".") == 0)
		error = regit_buf_puts(out, "%2E");
	else if (strcmp(segment, "..") == 0)
		error = regit_buf_puts(out, "%2E%2E");
	else
		error = regit_client_put_escaped(out, segment, strlen(segment));
	if (error < 0) {
		out->size = start;
		out->ptr[start] = '\0';
	}
	return error;
}

int regit_client_put_query(regit_buf *out, const char *key, const char *value)
{
	size_t start = out->size;
	int error;

	error = regit_buf_putc(out, strchr(regit_buf_cstr(out), '?') ? '&' : '?');
	if (error == 0)
		error = regit_client_put_escaped(out, key, strlen(key));
	if (error == 0)
		error = regit_buf_putc(out, '=');
	if (error == 0)
		error = regit_client_put_escaped(out, value, strlen(value));
	if (error < 0 && out->ptr) {
		out->size = start;
		out->ptr[start] = '\0';
	}
	return error;
}

/* Quote at most CLIENT_QUOTE_MAX bytes of text on one line. */
static void client_quote(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 < dstlen && i < CLIENT_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	if (i < len && n + 4 < dstlen) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

/* Error messages are one line: server text may contain newlines. */
static char *client_one_line(const char *s)
{
	char *copy = regit_strdup(s);
	char *p;

	if (!copy)
		return NULL;
	for (p = copy; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return copy;
}

static int client_code_for(int status, int error_code)
{
	if (status == 404)
		return REGIT_ENOTFOUND;
	if (status == 409)
		return REGIT_EINCOMPATIBLE;
	if (status == 401 || status == 403)
		return REGIT_EPERM;
	if (status == 422)
		return error_code == 42205 ? REGIT_EPERM : REGIT_EINVALID;
	if (status == 400 || status == 415)
		return REGIT_EINVALID;
	return REGIT_EIO;
}

/*
 * Parse a Confluent error body. On success *message is owned by the caller.
 * @return 1 when the body is {"error_code": int, ...}, 0 otherwise
 */
static int client_parse_error_body(int *error_code, char **message,
	const char *body, size_t len)
{
	json_t *root = NULL, *code, *msg;
	int found = 0;

	*error_code = 0;
	*message = NULL;
	if (!body || len == 0)
		return 0;
	root = json_loadb(body, len, 0, NULL);
	if (!json_is_object(root))
		goto done;
	code = json_object_get(root, "error_code");
	msg = json_object_get(root, "message");
	if (!json_is_integer(code))
		goto done;
	if (json_integer_value(code) > INT32_MAX || json_integer_value(code) < INT32_MIN)
		goto done;
	*error_code = (int)json_integer_value(code);
	*message = regit_strdup(json_is_string(msg) ? json_string_value(msg) : "");
	found = *message != NULL;
done:
	json_decref(root);
	return found;
}

int regit_client_classify(int *error_code, int status, const char *body, size_t len)
{
	char *message = NULL, *line = NULL;
	char quoted[CLIENT_QUOTE_MAX + 8];
	int code = 0, error;

	if (error_code)
		*error_code = 0;
	if (status >= 200 && status < 300)
		return 0;
	if (client_parse_error_body(&code, &message, body, len)) {
		line = client_one_line(message);
		if (!line) {
			error = REGIT_ENOMEM;
			goto done;
		}
		if (*line)
			regit_error_set(REGIT_ERROR_HTTP, "%d %s", code, line);
		else
			regit_error_set(REGIT_ERROR_HTTP, "%d (HTTP %d)", code, status);
	} else if (body && len > 0) {
		client_quote(quoted, sizeof(quoted), body, len);
		regit_error_set(REGIT_ERROR_HTTP, "HTTP %d from registry: %s", status, quoted);
	} else {
		regit_error_set(REGIT_ERROR_HTTP, "HTTP %d from registry", status);
	}
	if (status == 401) {
		/* Say how to authenticate: the registry's message rarely does. */
		char first[900];

		snprintf(first, sizeof(first), "%s", regit_error_message());
		regit_error_set(REGIT_ERROR_HTTP,
			"%s (give credentials with " REGIT_CLIENT_ENV_AUTH " or --user-file FILE)", first);
	}
	if (error_code)
		*error_code = code;
	error = client_code_for(status, code);
done:
	regit_free(message);
	regit_free(line);
	return error;
}

static size_t client_write(char *data, size_t size, size_t nmemb, void *payload)
{
	regit_client *client = payload;
	size_t len = size * nmemb;

	if (regit_buf_put(&client->response, data, len) < 0) {
		/* Returning less than len makes libcurl abort the transfer. */
		client->too_large = 1;
		return 0;
	}
	return len;
}

char *regit_client_redact_url(const char *url)
{
	regit_buf out = REGIT_BUF_INIT;
	const char *start, *at, *colon;
	int error;

	/*
	 * The userinfo is everything between "://" (or the start, for a URL
	 * without a scheme) and the last '@'. A password may hold '/', '?' or
	 * '@' that its owner forgot to encode, so the last '@' anywhere counts:
	 * redacting too much only hides part of a path, too little leaks.
	 */
	start = strstr(url, "://");
	start = start ? start + 3 : url;
	at = strrchr(start, '@');
	if (!at)
		return regit_strdup(url);
	colon = memchr(start, ':', (size_t)(at - start));
	error = regit_buf_put(&out, url, (size_t)(start - url));
	if (error == 0 && colon)
		error = regit_buf_put(&out, start, (size_t)(colon - start));
	if (error == 0)
		error = regit_buf_puts(&out, colon ? ":***" : "***");
	if (error == 0)
		error = regit_buf_puts(&out, at);
	if (error < 0) {
		regit_buf_dispose(&out);
		return NULL;
	}
	return regit_buf_detach(&out);
}

/* The base URL must be absolute http(s) with a host and nothing after the path. */
static int client_check_url(const char *url)
{
	size_t i, len = strlen(url);
	CURLU *u = NULL;
	char *host = NULL, *shown = NULL;
	int error = 0;

	if (len == 0 || len > REGIT_CLIENT_MAX_URL) {
		regit_error_set(REGIT_ERROR_CLI, "registry URL must be 1 to %d bytes",
			REGIT_CLIENT_MAX_URL);
		return REGIT_EINVALID;
	}
	shown = regit_client_redact_url(url);
	if (!shown) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c == 0x7f || c == '?' || c == '#') {
			regit_error_set(REGIT_ERROR_CLI,
				"invalid registry URL '%.200s': no spaces, control characters, query or fragment allowed",
				shown);
			error = REGIT_EINVALID;
			goto done;
		}
	}
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		regit_error_set(REGIT_ERROR_CLI,
			"invalid registry URL '%.200s': must start with http:// or https://", shown);
		error = REGIT_EINVALID;
		goto done;
	}
	u = curl_url();
	if (!u) {
		regit_error_set_oom();
		error = REGIT_ENOMEM;
		goto done;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
		regit_error_set(REGIT_ERROR_CLI, "invalid registry URL '%.200s'", shown);
		error = REGIT_EINVALID;
	}
done:
	curl_free(host);
	curl_url_cleanup(u);
	regit_free(shown);
	return error;
}

/* 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or localhost. */
static int client_host_is_loopback(const char *host)
{
	char v6[64];
	struct in_addr a4;
	struct in6_addr a6;
	size_t len = strlen(host);

	if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
		return 1;
	/* inet_aton takes the short forms ("127.1") the resolver also takes. */
	if (inet_aton(host, &a4))
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (len < 2 || len - 2 >= sizeof(v6) || host[0] != '[' || host[len - 1] != ']')
		return 0;
	memcpy(v6, host + 1, len - 2);
	v6[len - 2] = '\0';
	if (inet_pton(AF_INET6, v6, &a6) != 1)
		return 0;
	return IN6_IS_ADDR_LOOPBACK(&a6) ||
	       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

int regit_client_sends_clear_credentials(const regit_client *client)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *user = NULL;
	int clear = 0;

	u = curl_url();
	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, client->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		/* libcurl sends the URL's own userinfo as Basic too. */
		int has_creds = client->userpass ||
			curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;

		clear = has_creds && strcasecmp(scheme, "http") == 0 &&
			!client_host_is_loopback(host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return clear;
}

int regit_client_new(regit_client **out, const regit_client_options *opts)
{
	regit_client_options defaults = REGIT_CLIENT_OPTIONS_INIT;
	regit_client *client = NULL;
	const char *url, *userpass;
	size_t len;
	int error = 0;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	/* An empty variable counts as unset; an empty explicit URL is an error. */
	url = opts->url;
	if (!url)
		url = getenv(REGIT_CLIENT_ENV_URL);
	if (!url || (!opts->url && !*url))
		url = REGIT_CLIENT_DEFAULT_URL;
	userpass = opts->userpass;
	if (!userpass)
		userpass = getenv(REGIT_CLIENT_ENV_AUTH);

	error = client_check_url(url);
	if (error < 0)
		goto done;
	if (userpass && *userpass && !strchr(userpass, ':')) {
		regit_error_set(REGIT_ERROR_CLI, "credentials must be USER:PASSWORD");
		error = REGIT_EINVALID;
		goto done;
	}

	client = regit_calloc(1, sizeof(*client));
	if (!client) {
		error = REGIT_ENOMEM;
		goto done;
	}
	regit_buf_init(&client->response,
		opts->max_response ? opts->max_response : CLIENT_DEFAULT_MAX_RESPONSE);
	client->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : CLIENT_DEFAULT_TIMEOUT_MS;
	client->connect_timeout_ms = opts->connect_timeout_ms > 0 ?
		opts->connect_timeout_ms : CLIENT_DEFAULT_CONNECT_MS;

	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	client->url = regit_strndup(url, len);
	if (client->url)
		client->shown_url = regit_client_redact_url(client->url);
	if (!client->url || !client->shown_url) {
		error = REGIT_ENOMEM;
		goto done;
	}
	if (userpass && *userpass) {
		client->userpass = regit_strdup(userpass);
		if (!client->userpass) {
			error = REGIT_ENOMEM;
			goto done;
		}
	}

	client->curl = curl_easy_init();
	if (!client->curl) {
		regit_error_set(REGIT_ERROR_HTTP, "cannot initialise libcurl");
		error = REGIT_ERROR;
		goto done;
	}
	/*
	 * Confluent clients send the registry media type on every request and
	 * accept it back; plain JSON is the fallback. "Expect:" stops libcurl
	 * from waiting for a 100 Continue on larger bodies.
	 */
	{
		static const char *const hdrs[] = {
			"Accept: application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5",
			"Content-Type: application/vnd.schemaregistry.v1+json",
			"Expect:",
		};
		size_t i;

		for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
			struct curl_slist *next = curl_slist_append(client->headers, hdrs[i]);

			if (!next) {
				regit_error_set_oom();
				error = REGIT_ENOMEM;
				goto done;
			}
			client->headers = next;
		}
	}
	/* Requests the registry sends back are answered, not redirected. */
	curl_easy_setopt(client->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(client->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(client->curl, CURLOPT_NOSIGNAL, 1L);
	/* Our segments are already encoded; never let libcurl rewrite the path. */
	curl_easy_setopt(client->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(client->curl, CURLOPT_TIMEOUT_MS, client->timeout_ms);
	curl_easy_setopt(client->curl, CURLOPT_CONNECTTIMEOUT_MS, client->connect_timeout_ms);
	curl_easy_setopt(client->curl, CURLOPT_HTTPHEADER, client->headers);
	curl_easy_setopt(client->curl, CURLOPT_USERAGENT, "regit/0.1.0");
	curl_easy_setopt(client->curl, CURLOPT_WRITEFUNCTION, client_write);
	curl_easy_setopt(client->curl, CURLOPT_WRITEDATA, client);
	curl_easy_setopt(client->curl, CURLOPT_ERRORBUFFER, client->errbuf);
	if (client->userpass) {
		curl_easy_setopt(client->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(client->curl, CURLOPT_USERPWD, client->userpass);
	}

	*out = client;
	client = NULL;
done:
	regit_client_free(client);
	return error;
}

void regit_client_free(regit_client *client)
{
	if (!client)
		return;
	if (client->curl)
		curl_easy_cleanup(client->curl);
	curl_slist_free_all(client->headers);
	regit_buf_dispose(&client->response);
	if (client->url) {
		/* The URL may hold a password too. */
		volatile char *p = client->url;

		while (*p)
			*p++ = '\0';
	}
	regit_free(client->url);
	regit_free(client->shown_url);
	if (client->userpass) {
		/* Do not leave the password in freed memory. */
		volatile char *p = client->userpass;

		while (*p)
			*p++ = '\0';
	}
	regit_free(client->userpass);
	regit_free(client->error_text);
	regit_free(client);
}

const char *regit_client_url(const regit_client *client)
{
	return client->shown_url;
}

int regit_client_status(const regit_client *client)
{
	return client->status;
}

int regit_client_error_code(const regit_client *client)
{
	return client->error_code;
}

const char *regit_client_error_text(const regit_client *client)
{
	return client->error_text ? client->error_text : "";
}

static int client_transport_error(const regit_client *client, CURLcode rc)
{
	const char *detail = client->errbuf[0] ? client->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_OUT_OF_MEMORY:
		regit_error_set_oom();
		return REGIT_ENOMEM;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		regit_error_set(REGIT_ERROR_HTTP, "cannot reach registry at %s: %s",
			client->shown_url, detail);
		return REGIT_EIO;
	case CURLE_OPERATION_TIMEDOUT:
		regit_error_set(REGIT_ERROR_HTTP, "registry at %s did not answer in time: %s",
			client->shown_url, detail);
		return REGIT_EIO;
	default:
		regit_error_set(REGIT_ERROR_HTTP, "request to registry at %s failed: %s",
			client->shown_url, detail);
		return REGIT_EIO;
	}
}

int regit_client_request(json_t **out, regit_client *client, const char *method,
	const char *path, const char *body)
{
	regit_buf url = REGIT_BUF_INIT;
	json_t *json = NULL;
	json_error_t jerr;
	CURLcode rc;
	long status = 0;
	char *message = NULL;
	int code = 0, error = 0;

	if (out)
		*out = NULL;
	client->status = 0;
	client->error_code = 0;
	client->too_large = 0;
	client->errbuf[0] = '\0';
	regit_free(client->error_text);
	client->error_text = NULL;
	regit_buf_clear(&client->response);

	if (!path || path[0] != '/') {
		regit_error_set(REGIT_ERROR_INTERNAL, "request path must start with '/'");
		error = REGIT_EINVALID;
		goto done;
	}
	regit_buf_init(&url, CLIENT_MAX_REQUEST_URL);
	error = regit_buf_puts(&url, client->url);
	if (error == 0)
		error = regit_buf_puts(&url, path);
	if (error < 0) {
		if (error == REGIT_ELIMIT)
			regit_error_set(REGIT_ERROR_CLI, "request URL longer than %zu bytes",
				(size_t)CLIENT_MAX_REQUEST_URL);
		goto done;
	}

	curl_easy_setopt(client->curl, CURLOPT_URL, regit_buf_cstr(&url));
	/* The handle is reused: reset whatever the previous request set. */
	curl_easy_setopt(client->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(client->curl, CURLOPT_NOBODY, 0L);
	if (strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0) {
		curl_easy_setopt(client->curl, CURLOPT_HTTPGET, 1L);
		if (method[0] == 'D')
			curl_easy_setopt(client->curl, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(client->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(client->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(client->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)(body ? strlen(body) : 0));
		if (method[1] == 'U')
			curl_easy_setopt(client->curl, CURLOPT_CUSTOMREQUEST, "PUT");
	} else {
		regit_error_set(REGIT_ERROR_INTERNAL, "unsupported HTTP method '%s'", method);
		error = REGIT_EINVALID;
		goto done;
	}

	rc = curl_easy_perform(client->curl);
	if (rc != CURLE_OK) {
		if (client->too_large) {
			regit_error_set(REGIT_ERROR_HTTP,
				"response from registry at %s is larger than %zu bytes",
				client->shown_url, client->response.max);
			error = REGIT_ELIMIT;
		} else {
			error = client_transport_error(client, rc);
		}
		goto done;
	}
	curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE, &status);
	client->status = (int)status;

	if (status < 200 || status >= 300) {
		error = regit_client_classify(&code, client->status,
			client->response.ptr, client->response.size);
		client->error_code = code;
		if (client_parse_error_body(&code, &message, client->response.ptr,
			client->response.size)) {
			client->error_text = message;
			message = NULL;
		}
		goto done;
	}

	if (client->response.size == 0)
		goto done;
	json = json_loadb(client->response.ptr, client->response.size,
		JSON_DECODE_ANY, &jerr);
	if (!json) {
		char quoted[CLIENT_QUOTE_MAX + 8];

		client_quote(quoted, sizeof(quoted), client->response.ptr, client->response.size);
		regit_error_set(REGIT_ERROR_HTTP,
			"registry at %s sent a response that is not JSON (%s): %s",
			client->shown_url, jerr.text, quoted);
		error = REGIT_EIO;
		goto done;
	}
	if (out) {
		*out = json;
		json = NULL;
	}
done:
	json_decref(json);
	regit_free(message);
	regit_buf_dispose(&url);
	return error;
}

/* ---- typed views of the answers ---- */

static int client_bad_answer(const char *what)
{
	regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: %s", what);
	return REGIT_EIO;
}

/* An integer member in [min, INT32_MAX]; 1 found, 0 absent, -1 wrong type or range. */
static int client_int_member(int *out, const json_t *obj, const char *key, json_int_t min)
{
	const json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > INT32_MAX)
		return -1;
	*out = (int)json_integer_value(v);
	return 1;
}

void regit_client_schema_dispose(regit_client_schema *schema)
{
	size_t i;

	for (i = 0; i < schema->nrefs; i++) {
		regit_free(schema->refs[i].name);
		regit_free(schema->refs[i].subject);
	}
	regit_free(schema->refs);
	json_decref(schema->metadata);
	json_decref(schema->rule_set);
	schema->metadata = NULL;
	schema->rule_set = NULL;
	regit_free(schema->subject);
	regit_free(schema->schema);
	regit_free(schema->schema_type);
	schema->subject = NULL;
	schema->schema = NULL;
	schema->schema_type = NULL;
	schema->refs = NULL;
	schema->nrefs = 0;
	schema->version = 0;
	schema->id = -1;
	schema->deleted = 0;
}

/* "references": [{"name", "subject", "version"}...] into s->refs. */
static int client_parse_refs(regit_client_schema *s, const json_t *refs)
{
	const json_t *item, *name, *subject;
	size_t i, n;

	if (!refs || json_is_null(refs))
		return 0;
	if (!json_is_array(refs))
		return client_bad_answer("\"references\" is not an array");
	n = json_array_size(refs);
	if (n == 0)
		return 0;
	if (n > REGIT_CLIENT_MAX_REFS)
		return client_bad_answer("more than 10000 references (REGIT_CLIENT_MAX_REFS)");
	s->refs = regit_calloc(n, sizeof(*s->refs));
	if (!s->refs)
		return REGIT_ENOMEM;
	json_array_foreach(refs, i, item) {
		regit_client_ref *r = &s->refs[i];

		name = json_object_get(item, "name");
		subject = json_object_get(item, "subject");
		if (!json_is_string(name) || !json_is_string(subject) ||
		    client_int_member(&r->version, item, "version", 1) <= 0)
			return client_bad_answer("a reference is not {\"name\", \"subject\", \"version\"}");
		s->nrefs = i + 1;
		r->name = regit_strndup(json_string_value(name), json_string_length(name));
		r->subject = regit_strndup(json_string_value(subject), json_string_length(subject));
		if (!r->name || !r->subject)
			return REGIT_ENOMEM;
	}
	return 0;
}

int regit_client_parse_schema(regit_client_schema *out, const json_t *resp)
{
	regit_client_schema s = REGIT_CLIENT_SCHEMA_INIT;
	const json_t *text, *subject, *type;
	int error = 0;

	*out = s;
	if (!json_is_object(resp))
		return client_bad_answer("a schema answer is not a JSON object");
	text = json_object_get(resp, "schema");
	if (!json_is_string(text))
		return client_bad_answer("no \"schema\" string");
	subject = json_object_get(resp, "subject");
	if (subject && !json_is_string(subject))
		return client_bad_answer("\"subject\" is not a string");
	type = json_object_get(resp, "schemaType");
	if (type && !json_is_string(type) && !json_is_null(type))
		return client_bad_answer("\"schemaType\" is not a string");
	if (client_int_member(&s.version, resp, "version", 1) < 0)
		return client_bad_answer("\"version\" is not a version number");
	if (client_int_member(&s.id, resp, "id", 0) < 0)
		return client_bad_answer("\"id\" is not a schema id");
	error = client_parse_refs(&s, json_object_get(resp, "references"));
	if (error < 0)
		goto fail;
	s.metadata = json_object_get(resp, "metadata");
	s.rule_set = json_object_get(resp, "ruleSet");
	if ((s.metadata && !json_is_object(s.metadata) && !json_is_null(s.metadata)) ||
	    (s.rule_set && !json_is_object(s.rule_set) && !json_is_null(s.rule_set))) {
		s.metadata = s.rule_set = NULL;
		error = client_bad_answer("\"metadata\" or \"ruleSet\" is not an object");
		goto fail;
	}
	s.metadata = json_is_object(s.metadata) ? json_incref(s.metadata) : NULL;
	s.rule_set = json_is_object(s.rule_set) ? json_incref(s.rule_set) : NULL;
	s.schema = regit_strndup(json_string_value(text), json_string_length(text));
	if (s.schema && subject)
		s.subject = regit_strdup(json_string_value(subject));
	if (s.schema && json_is_string(type) && strcmp(json_string_value(type), "AVRO") != 0)
		s.schema_type = regit_strdup(json_string_value(type));
	if (!s.schema || (subject && !s.subject) ||
	    (json_is_string(type) && strcmp(json_string_value(type), "AVRO") != 0 && !s.schema_type)) {
		error = REGIT_ENOMEM;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	regit_client_schema_dispose(&s);
	return error;
}

int regit_client_parse_registered(int *id, int *version, const json_t *resp)
{
	*id = -1;
	*version = 0;
	if (!json_is_object(resp))
		return client_bad_answer("a registration answer is not a JSON object");
	if (client_int_member(id, resp, "id", 0) <= 0) {
		*id = -1;
		return client_bad_answer("no schema \"id\" in the registration answer");
	}
	if (client_int_member(version, resp, "version", 1) < 0) {
		*version = 0;
		return client_bad_answer("\"version\" is not a version number");
	}
	return 0;
}

int regit_client_parse_versions(int **out, size_t *count, const json_t *resp)
{
	const json_t *item;
	int *versions = NULL;
	size_t i, n;

	*out = NULL;
	*count = 0;
	if (!json_is_array(resp))
		return client_bad_answer("a version list is not a JSON array");
	n = json_array_size(resp);
	if (n == 0)
		return 0;
	versions = regit_calloc(n, sizeof(*versions));
	if (!versions)
		return REGIT_ENOMEM;
	json_array_foreach(resp, i, item) {
		if (!json_is_integer(item) || json_integer_value(item) < 1 ||
		    json_integer_value(item) > INT32_MAX) {
			regit_free(versions);
			return client_bad_answer("a version list holds something other than version numbers");
		}
		versions[i] = (int)json_integer_value(item);
	}
	*out = versions;
	*count = n;
	return 0;
}

int regit_client_parse_compat(int *compatible, const json_t **messages, const json_t *resp)
{
	const json_t *verdict = json_object_get(resp, "is_compatible");
	const json_t *msgs = json_object_get(resp, "messages");

	*compatible = 0;
	if (messages)
		*messages = NULL;
	if (!json_is_boolean(verdict))
		return client_bad_answer("no boolean \"is_compatible\"");
	if (msgs && !json_is_array(msgs) && !json_is_null(msgs))
		return client_bad_answer("\"messages\" is not an array");
	*compatible = json_is_true(verdict);
	if (messages)
		*messages = json_is_array(msgs) ? msgs : NULL;
	return 0;
}

int regit_client_parse_level(const char **out, const json_t *resp)
{
	const json_t *level = json_object_get(resp, "compatibilityLevel");

	*out = NULL;
	if (!level)
		level = json_object_get(resp, "compatibility");
	if (!json_is_string(level))
		return client_bad_answer("no compatibility level");
	*out = json_string_value(level);
	return 0;
}

void regit_client_schemas_free(regit_client_schema *schemas, size_t count)
{
	size_t i;

	if (!schemas)
		return;
	for (i = 0; i < count; i++)
		regit_client_schema_dispose(&schemas[i]);
	regit_free(schemas);
}

static int client_int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* GET /subjects/{s}/versions[?deleted=true] into a fresh array. */
static int client_list_versions(int **out, size_t *n, regit_client *client,
	const char *subject, int deleted)
{
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	int error;

	error = regit_buf_puts(&path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, deleted ? "/versions?deleted=true" : "/versions");
	if (error == 0)
		error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error == 0)
		error = regit_client_parse_versions(out, n, resp);
	json_decref(resp);
	regit_buf_dispose(&path);
	return error;
}

/* GET /subjects/{s}/versions/{v}[?deleted=true] into *schema. */
static int client_get_version(regit_client_schema *schema, regit_client *client,
	const char *subject, int version, int deleted)
{
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	char number[16];
	int error;

	snprintf(number, sizeof(number), "%d", version);
	error = regit_buf_puts(&path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
	if (error == 0)
		error = regit_client_put_segment(&path, number);
	if (error == 0 && deleted)
		error = regit_buf_puts(&path, "?deleted=true");
	if (error == 0)
		error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error == 0)
		error = regit_client_parse_schema(schema, resp);
	/* A version answer without its id is useless to every caller. */
	if (error == 0 && (schema->id < 0 || schema->version != version)) {
		regit_error_set(REGIT_ERROR_HTTP,
			"unexpected registry response: version %d of '%s' lacks its id or number",
			version, subject);
		error = REGIT_EIO;
	}
	json_decref(resp);
	regit_buf_dispose(&path);
	return error;
}

int regit_client_fetch_subject(regit_client_schema **out, size_t *count,
	regit_client *client, const char *subject, int with_deleted)
{
	regit_client_schema *schemas = NULL;
	int *live = NULL, *versions = NULL;
	size_t i, nlive = 0, n = 0;
	int error;

	*out = NULL;
	*count = 0;
	error = client_list_versions(&live, &nlive, client, subject, 0);
	/* A subject whose versions are all soft-deleted has no live list. */
	if (error == REGIT_ENOTFOUND && with_deleted) {
		regit_error_clear();
		nlive = 0;
		error = 0;
	}
	if (error == 0 && with_deleted)
		error = client_list_versions(&versions, &n, client, subject, 1);
	if (error < 0)
		goto done;
	if (!with_deleted) {
		versions = live;
		n = nlive;
		live = NULL;
		nlive = 0;
	}
	if (n == 0) {
		regit_error_set(REGIT_ERROR_HTTP, "subject '%s' has no versions", subject);
		error = REGIT_ENOTFOUND;
		goto done;
	}
	if (n > REGIT_CLIENT_MAX_VERSIONS) {
		regit_error_set(REGIT_ERROR_HTTP, "subject '%s' has more than %d versions",
			subject, REGIT_CLIENT_MAX_VERSIONS);
		error = REGIT_ELIMIT;
		goto done;
	}
	schemas = regit_calloc(n, sizeof(*schemas));
	if (!schemas) {
		error = REGIT_ENOMEM;
		goto done;
	}
	/* Sorted here rather than trusted sorted: up to 100,000 versions each. */
	if (nlive)
		qsort(live, nlive, sizeof(*live), client_int_cmp);
	for (i = 0; i < n && error == 0; i++) {
		int deleted = with_deleted && (!nlive || !bsearch(&versions[i], live, nlive, sizeof(*live),
			client_int_cmp));

		error = client_get_version(&schemas[i], client, subject, versions[i], deleted);
		schemas[i].deleted = deleted;
	}
	if (error < 0)
		goto done;
	*out = schemas;
	*count = n;
	schemas = NULL;
done:
	regit_client_schemas_free(schemas, n);
	regit_free(live);
	regit_free(versions);
	return error;
}
