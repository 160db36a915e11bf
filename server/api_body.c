/*
 * api_body.c - decoding of Confluent request bodies (register/lookup/
 * compatibility, config PUT, mode PUT) into plain C structs.
 *
 * This is the API layer's only use of jansson, kept in one file so that
 * body decoding can be fuzzed on its own. The rules follow Jackson as
 * Confluent configures it: unknown properties are ignored, a body that is
 * not JSON or a member with the wrong JSON type is a 400 (error_code 400),
 * null means absent. Stricter than Jackson: duplicate keys are a 400.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "server/api.h"
#include "util/alloc.h"
#include "util/error.h"

/* Bounds on hostile bodies: jansson's depth limit is generous; references
 * beyond this many are refused rather than copied. */
#define API_MAX_REFS 10000

static int body_fail(int code, const char *msg)
{
	regit_error_set_code(code, "%s", msg);
	return REGIT_EINVALID;
}

static int body_load(json_t **out, const char *body, size_t len)
{
	json_error_t jerr;
	json_t *root;

	*out = NULL;
	if (len == 0)
		return body_fail(400, "Request body is empty; expected a JSON object");
	/* Duplicate keys are refused: a body two parsers could read two ways
	 * (first wins / last wins) is not worth accepting. */
	/* A raw NUL is never valid JSON, but jansson 2.14 drops one right
	 * after a number ("{\"version\":1\0}" parses): refuse it first. */
	if (memchr(body, '\0', len))
		return body_fail(400, "Unexpected character in JSON body: a NUL byte");
	root = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		regit_error_set_code(400,
			"Unexpected character in JSON body at line %d column %d: %s",
			jerr.line, jerr.column, jerr.text);
		return REGIT_EINVALID;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return body_fail(400, "Request body must be a JSON object");
	}
	*out = root;
	return 0;
}

/* A Java int member: absent/null keeps *out; other JSON types are 400. */
static int body_int(const json_t *obj, const char *key, int *out)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t n;
	char msg[160];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v)) {
		snprintf(msg, sizeof(msg), "Field '%s' must be an integer", key);
		return body_fail(400, msg);
	}
	n = json_integer_value(v);
	if (n < INT32_MIN || n > INT32_MAX) {
		snprintf(msg, sizeof(msg), "Field '%s' is out of range", key);
		return body_fail(400, msg);
	}
	*out = (int)n;
	return 0;
}

/* A string member copied out; absent/null leaves *out NULL. */
static int body_string(const json_t *obj, const char *key, char **out,
	size_t *len)
{
	const json_t *v = json_object_get(obj, key);
	char msg[160];

	*out = NULL;
	if (len)
		*len = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(msg, sizeof(msg), "Field '%s' must be a string", key);
		return body_fail(400, msg);
	}
	*out = regit_strndup(json_string_value(v), json_string_length(v));
	if (!*out)
		return body_fail(500, "out of memory");
	if (len)
		*len = json_string_length(v);
	return 0;
}

void regit_api_schema_body_dispose(regit_api_schema_body *b)
{
	size_t i;

	if (!b)
		return;
	regit_free(b->schema);
	regit_free(b->schema_type);
	for (i = 0; i < b->nrefs; i++) {
		regit_free((char *)b->refs[i].name);
		regit_free((char *)b->refs[i].subject);
	}
	regit_free(b->refs);
	memset(b, 0, sizeof(*b));
}

int regit_api_decode_schema_body(regit_api_schema_body *out, const char *body,
	size_t len)
{
	json_t *root = NULL;
	const json_t *refs, *item;
	size_t i;
	int error = 0;

	memset(out, 0, sizeof(*out));
	error = body_load(&root, body, len);
	if (error < 0)
		goto done;
	error = body_string(root, "schema", &out->schema, &out->schema_len);
	if (error < 0)
		goto done;
	error = body_string(root, "schemaType", &out->schema_type, NULL);
	if (error < 0)
		goto done;
	error = body_int(root, "id", &out->id);
	if (error < 0)
		goto done;
	error = body_int(root, "version", &out->version);
	if (error < 0)
		goto done;

	refs = json_object_get(root, "references");
	if (refs && !json_is_null(refs)) {
		if (!json_is_array(refs)) {
			error = body_fail(400, "Field 'references' must be an array");
			goto done;
		}
		if (json_array_size(refs) > API_MAX_REFS) {
			error = body_fail(42201, "Too many references");
			goto done;
		}
		if (json_array_size(refs) > 0) {
			out->refs = regit_calloc(json_array_size(refs), sizeof(*out->refs));
			if (!out->refs) {
				error = body_fail(500, "out of memory");
				goto done;
			}
		}
		json_array_foreach(refs, i, item) {
			regit_reference *r = &out->refs[i];
			char *name = NULL, *subject = NULL;

			if (!json_is_object(item)) {
				error = body_fail(400, "Each reference must be a JSON object");
				goto done;
			}
			out->nrefs = i + 1;
			error = body_string(item, "name", &name, NULL);
			r->name = name;
			if (error < 0)
				goto done;
			error = body_string(item, "subject", &subject, NULL);
			r->subject = subject;
			if (error < 0)
				goto done;
			error = body_int(item, "version", &r->version);
			if (error < 0)
				goto done;
			if (!r->name || !r->subject) {
				error = body_fail(42201,
					"Invalid schema reference: 'name' and 'subject' are required");
				goto done;
			}
		}
	}
done:
	json_decref(root);
	if (error < 0)
		regit_api_schema_body_dispose(out);
	return error;
}

int regit_api_decode_config_body(regit_config *out,
	const char *body, size_t len)
{
	json_t *root = NULL;
	const json_t *v;
	int error = 0;

	memset(out, 0, sizeof(*out));
	error = body_load(&root, body, len);
	if (error < 0)
		goto done;

	v = json_object_get(root, "compatibility");
	if (v && !json_is_null(v)) {
		regit_compat_level level;

		if (!json_is_string(v) ||
		    regit_compat_level_parse(json_string_value(v), &level) < 0) {
			error = body_fail(42203, "Invalid compatibility level. Valid values "
				"are none, backward, forward, full, backward_transitive, "
				"forward_transitive, and full_transitive");
			goto done;
		}
		out->has_level = 1;
		out->level = level;
	}
	v = json_object_get(root, "normalize");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			error = body_fail(400, "Field 'normalize' must be a boolean");
			goto done;
		}
		out->has_normalize = 1;
		out->normalize = json_is_true(v);
	}
	v = json_object_get(root, REGIT_API_RULES_KEY);
	if (v && !json_is_null(v)) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";

		if (strcasecmp(s, "strict") == 0) {
			out->has_strict = 1;
			out->strict = 1;
		} else if (strcasecmp(s, "avro") == 0) {
			out->has_strict = 1;
			out->strict = 0;
		} else {
			error = body_fail(42203, "Invalid value for '" REGIT_API_RULES_KEY
				"'. Valid values are strict and avro");
			goto done;
		}
	}
	v = json_object_get(root, REGIT_API_LINT_KEY);
	if (v && !json_is_null(v)) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    regit_lint_policy_parse(json_string_value(v), &out->lint) < 0) {
			error = body_fail(42203, "Invalid value for '" REGIT_API_LINT_KEY
				"'. Valid values are off, warn and enforce");
			goto done;
		}
		out->has_lint = 1;
	}
done:
	json_decref(root);
	return error;
}

int regit_api_decode_mode_body(char *out, size_t outsize,
	const char *body, size_t len)
{
	json_t *root = NULL;
	const json_t *v;
	int error = 0;

	out[0] = '\0';
	error = body_load(&root, body, len);
	if (error < 0)
		goto done;
	v = json_object_get(root, "mode");
	if (!v || json_is_null(v) || !json_is_string(v) ||
	    json_string_length(v) >= outsize ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		error = body_fail(42204, "Invalid mode. Valid values are READWRITE, "
			"READONLY, READONLY_OVERRIDE, IMPORT and FORWARD");
		goto done;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
done:
	json_decref(root);
	return error;
}
