/*
 * client.h - a small HTTP client for a Confluent-compatible schema registry.
 *
 * The registry client commands (`regit register`, `regit get`, ...) and any
 * other command that talks to a running registry (e.g. `regit gen
 * --registry`) go through this module; it is the only file that includes
 * <curl/curl.h>. It sends JSON, receives JSON, bounds every response and
 * every wait, and turns Confluent error bodies ({"error_code", "message"})
 * into regit return codes plus a one-line message such as
 * "40401 Subject 'x' not found.".
 *
 * Paths are built by the caller with regit_client_put_segment() and
 * regit_client_put_query(), which percent-encode every byte outside the RFC
 * 3986 unreserved set: subjects are arbitrary strings and may contain '/',
 * '?', '%', spaces, UTF-8 or control characters.
 *
 * A regit_client is not thread-safe; use one per thread.
 */
#ifndef REGIT_CLI_CLIENT_H
#define REGIT_CLI_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

#define REGIT_CLIENT_DEFAULT_URL "http://127.0.0.1:8081"
/* Environment variables consulted when an option is not given. */
#define REGIT_CLIENT_ENV_URL "REGIT_REGISTRY_URL"
#define REGIT_CLIENT_ENV_AUTH "REGIT_REGISTRY_AUTH"

/* Longest base URL accepted; longer is surely a mistake. */
#define REGIT_CLIENT_MAX_URL 2048

typedef struct regit_client regit_client;

typedef struct regit_client_options {
	/*
	 * Base URL, e.g. "http://127.0.0.1:8081" or "https://host/registry".
	 * NULL: $REGIT_REGISTRY_URL (unless empty), else REGIT_CLIENT_DEFAULT_URL. Trailing
	 * slashes are dropped. Only http and https are accepted.
	 */
	const char *url;
	/*
	 * "user:password" for HTTP Basic authentication. NULL:
	 * $REGIT_REGISTRY_AUTH, else the URL's own "user:password@", else no
	 * authentication. An empty string means "no authentication" even when
	 * the variable is set.
	 */
	const char *userpass;
	long timeout_ms;          /* whole request; 0: 30 s */
	long connect_timeout_ms;  /* TCP (+TLS) connect; 0: 5 s */
	size_t max_response;      /* response body bytes; 0: 32 MiB */
} regit_client_options;

#define REGIT_CLIENT_OPTIONS_INIT { NULL, NULL, 0, 0, 0 }

/**
 * Create a client. Nothing is sent until the first request.
 *
 * @param out   receives the client (owned; free with regit_client_free);
 *              NULL on failure
 * @param opts  NULL for all defaults; strings are copied
 * @return 0, REGIT_EINVALID (bad URL), REGIT_ENOMEM, REGIT_ERROR (libcurl
 *         could not be initialised)
 */
int regit_client_new(regit_client **out, const regit_client_options *opts);

/** Free the client; NULL is fine. */
void regit_client_free(regit_client *client);

/**
 * The base URL in use, without trailing slash, with its password
 * redacted by regit_client_redact_url (safe to print).
 * @return borrowed, lives as long as client
 */
const char *regit_client_url(const regit_client *client);

/**
 * A URL fit for messages: in "http(s)://USERINFO@host..." the password
 * part of USERINFO becomes "***" ("alice:***@host"), and USERINFO without
 * a colon (a bare token) is replaced whole ("***@host"). Works on invalid
 * URLs too, since those are what error messages quote.
 * @return owned (regit_free), NULL when out of memory
 */
char *regit_client_redact_url(const char *url);

/**
 * Whether requests carry Basic credentials (from the options, the
 * environment or the URL) in clear text to another machine: plain http://
 * to a host other than localhost, 127.0.0.0/8 or ::1. The CLI warns then.
 */
int regit_client_sends_clear_credentials(const regit_client *client);

/**
 * Send one request and parse the JSON response.
 *
 * @param out     receives the response JSON (new reference; any JSON value,
 *                e.g. a bare number for DELETE of a version); may be NULL
 *                when the caller does not need it. Set to NULL on failure.
 * @param client  the client
 * @param method  "GET", "POST", "PUT" or "DELETE"
 * @param path    starts with '/'; already percent-encoded (see below);
 *                may carry a query string
 * @param body    JSON text to send (POST/PUT), or NULL for no body
 * @return 0 on a 2xx response with a JSON body (or an empty body, then *out
 *         is NULL);
 *         REGIT_ENOTFOUND for HTTP 404 (subject, version, schema, config,
 *         route not found);
 *         REGIT_EINCOMPATIBLE for HTTP 409 (schema rejected as incompatible);
 *         REGIT_EPERM for 401/403 and for 42205 (operation not permitted);
 *         REGIT_EINVALID for 400, 415 and the other 422 codes (invalid schema,
 *         version, level, subject);
 *         REGIT_EIO for network failures, timeouts, 5xx and other statuses,
 *         and responses that are not JSON;
 *         REGIT_ELIMIT when the response exceeds max_response;
 *         REGIT_ENOMEM.
 *         On error regit_error_message() says what happened, e.g.
 *         "40401 Subject 'x' not found." or "cannot reach registry at
 *         http://127.0.0.1:8081: Couldn't connect to server".
 */
int regit_client_request(json_t **out, regit_client *client, const char *method,
	const char *path, const char *body);

/** HTTP status of the last response, 0 when none was received. */
int regit_client_status(const regit_client *client);

/**
 * Confluent error_code of the last response (e.g. 40401, 40901, 42201);
 * 0 when the last response was not an error or had no error body.
 */
int regit_client_error_code(const regit_client *client);

/**
 * The full server message of the last error response (may be long, e.g.
 * the list of compatibility findings of a 409; regit_error_message() keeps
 * only the first 1 KiB). "" when there is none.
 * @return borrowed, valid until the next request on this client
 */
const char *regit_client_error_text(const regit_client *client);

/**
 * Classify a response the way regit_client_request() does: 0 for 2xx,
 * otherwise the REGIT_E* code listed there, with the error message set from
 * the Confluent error body when there is one ("<error_code> <message>"),
 * else from the status and the start of the body.
 *
 * @param error_code  receives the body's error_code, 0 when none (may be NULL)
 * @param status      HTTP status
 * @param body        response body (need not be NUL-terminated; may be NULL)
 * @param len         its length
 */
int regit_client_classify(int *error_code, int status, const char *body, size_t len);

/**
 * Append "/" and `segment` percent-encoded: every byte outside ALPHA, DIGIT,
 * '-', '.', '_', '~' becomes %XX (upper-case hex). A segment that is "." or
 * ".." is written as %2E / %2E%2E so no path normalisation can treat it as
 * a directory step.
 * @return 0, REGIT_ELIMIT, REGIT_ENOMEM
 */
int regit_client_put_segment(regit_buf *out, const char *segment);

/**
 * Append a query parameter: '?' if out has no '?' yet, else '&', then
 * key=value with both percent-encoded as above.
 * @return 0, REGIT_ELIMIT, REGIT_ENOMEM
 */
int regit_client_put_query(regit_buf *out, const char *key, const char *value);

/**
 * Append `len` bytes of `s` percent-encoded (libcurl's curl_easy_escape).
 * @return 0, REGIT_ELIMIT (also for more than 1 MiB of input), REGIT_ENOMEM
 */
int regit_client_put_escaped(regit_buf *out, const char *s, size_t len);

/* ---- typed views of the registry's answers ----
 *
 * Each checks the JSON types and ranges (ids 0..2^31-1, versions
 * 1..2^31-1, as Java ints in Confluent) and fails with REGIT_EIO and a
 * message naming what is wrong, so a registry that answers nonsense is
 * reported instead of printed.
 */

/* More references than any schema has; bounds what an answer may carry. */
#define REGIT_CLIENT_MAX_REFS 10000

/** A schema reference {"name", "subject", "version"} (Confluent SchemaReference). */
typedef struct regit_client_ref {
	char *name;      /* owned; the full name of the type it provides */
	char *subject;   /* owned */
	int version;     /* 1..2^31-1 */
} regit_client_ref;

/** A schema as GET /subjects/{s}/versions/{v} or GET /schemas/ids/{id} returns it. */
typedef struct regit_client_schema {
	char *subject;   /* owned; NULL when the answer has none (by-id lookups) */
	int version;     /* 0 when the answer has none */
	int id;          /* -1 when the answer has none */
	char *schema;    /* owned; the schema JSON text as stored by the registry */
	int deleted;     /* 1 for a soft-deleted version (regit_client_fetch_subject) */
	/* owned; "AVRO" and an absent schemaType (Confluent 7.x) give NULL */
	char *schema_type;
	regit_client_ref *refs;   /* owned array, in the answer's order; NULL when none */
	size_t nrefs;
	/*
	 * Confluent data-contract members (7.4+), passed on untouched by `regit
	 * import`/`export`: new references, NULL when absent (regit has none)
	 */
	json_t *metadata, *rule_set;
} regit_client_schema;

#define REGIT_CLIENT_SCHEMA_INIT { NULL, 0, -1, NULL, 0, NULL, NULL, 0, NULL, NULL }

/** Free the strings; the struct is REGIT_CLIENT_SCHEMA_INIT afterwards. */
void regit_client_schema_dispose(regit_client_schema *schema);

/**
 * @param out   filled (owned strings) on success; left empty on failure
 * @return 0, REGIT_EIO (no "schema" string, or a field of the wrong type,
 *         a malformed reference, more than REGIT_CLIENT_MAX_REFS of them),
 *         REGIT_ENOMEM
 */
int regit_client_parse_schema(regit_client_schema *out, const json_t *resp);

/**
 * The answer to a registration: {"id": N[, "version": V, ...]}.
 * @param version  receives V, or 0 when absent (registries before
 *                 Confluent 7.5 answer only the id)
 * @return 0, REGIT_EIO
 */
int regit_client_parse_registered(int *id, int *version, const json_t *resp);

/**
 * A list of version numbers, e.g. [1, 2, 3].
 * @param out    receives the numbers (owned; regit_free), NULL when empty
 * @param count  receives how many
 * @return 0, REGIT_EIO, REGIT_ENOMEM
 */
int regit_client_parse_versions(int **out, size_t *count, const json_t *resp);

/**
 * A compatibility answer: {"is_compatible": bool[, "messages": [...]]}.
 * @param compatible  receives 1 or 0
 * @param messages    receives the messages array (borrowed from resp) or
 *                    NULL when absent; may be NULL
 * @return 0, REGIT_EIO
 */
int regit_client_parse_compat(int *compatible, const json_t **messages, const json_t *resp);

/**
 * A level from a config answer: GET answers {"compatibilityLevel": L}, PUT
 * and DELETE echo {"compatibility": L}; either key is accepted.
 * @param out  receives L (borrowed from resp)
 * @return 0, REGIT_EIO
 */
int regit_client_parse_level(const char **out, const json_t *resp);

/* ---- whole operations ---- */

/* More versions than any sane subject has; bounds the requests made. */
#define REGIT_CLIENT_MAX_VERSIONS 100000

/**
 * Fetch every live version of a subject with its id and schema, oldest
 * first (GET /subjects/{s}/versions, then each version) — e.g. for
 * `regit gen --registry URL --subject S` to compile decoders for every
 * writer schema.
 *
 * With `with_deleted`, soft-deleted versions come too (marked `deleted`):
 * their ids still name schemas of events already in topics. They are told
 * apart by listing the live versions and then all (`?deleted=true`), which
 * every Confluent version understands (unlike 8.2's deletedAsNegative).
 *
 * @param out    receives the array (owned; free with
 *               regit_client_schemas_free(out, count)); NULL on failure
 * @param count  receives its length
 * @return 0; REGIT_ENOTFOUND when the subject has no (live) versions;
 *         REGIT_ELIMIT beyond REGIT_CLIENT_MAX_VERSIONS; otherwise as
 *         regit_client_request and the parse functions
 */
int regit_client_fetch_subject(regit_client_schema **out, size_t *count,
	regit_client *client, const char *subject, int with_deleted);

/** Free an array from regit_client_fetch_subject; NULL is fine. */
void regit_client_schemas_free(regit_client_schema *schemas, size_t count);

#endif
