/*
 * api_subjects.c - the API's subject handlers: listing subjects, lookup
 * and delete of a subject, a subject's versions (list, register), one
 * version (get, delete, its schema, what references it), metadata, and the
 * compatibility checks of POST /compatibility/subjects/{s}/versions[/{v}].
 * Also the decoding of a RegisterSchemaRequest body shared by register,
 * lookup and the checks. Routes and roles are in api.c's table.
 */
#include <string.h>
#include <strings.h>

#include "server/api_internal.h"
#include "util/alloc.h"

static int cb_subject_name(const char *subject, void *payload)
{
	api_page *pg = payload;
	int t = api_page_next(pg);

	if (t > 0)
		out_cstr(pg->c, subject);
	return t < 0;
}

/* ---- request bodies ---------------------------------------------------------------- */

static int api_schema_request(api_ctx *c, regit_api_schema_body *body,
	regit_register_request *rr, const char *subject)
{
	size_t i;

	api_err_init();
	if (regit_api_decode_schema_body(body, c->req->body, c->req->body_len) < 0) {
		api_reg_error(c, REGIT_EINVALID);
		return -1;
	}
	memset(rr, 0, sizeof(*rr));
	rr->subject = subject;
	rr->schema = body->schema;
	rr->schema_len = body->schema_len;
	rr->schema_type = body->schema_type;
	rr->refs = body->refs;
	rr->nrefs = body->nrefs;
	rr->normalize = api_qbool(c, "normalize");
	rr->force = api_qbool(c, "force");
	rr->id = body->id;
	rr->version = body->version;
	rr->author = c->user;
	if (body->schema_type && strcasecmp(body->schema_type, "AVRO") != 0) {
		api_error(c, 422, REGIT_SR_INVALID_SCHEMA,
			"Invalid schema type %s: this registry supports only AVRO",
			body->schema_type);
		regit_api_schema_body_dispose(body);
		return -1;
	}
	/* Reference subjects may be qualified too (":.:address-value"). */
	for (i = 0; i < body->nrefs; i++) {
		char *rs = (char *)body->refs[i].subject;
		const char *plain = rs ? api_unqualify(rs) : rs;

		if (rs && !plain) {
			api_error(c, 422, REGIT_SR_INVALID_SCHEMA, "Invalid schema: reference to "
				"subject '%.200s' of another context; regit serves only the default "
				"context '.'", rs);
			regit_api_schema_body_dispose(body);
			return -1;
		}
		if (rs && plain != rs)
			memmove(rs, plain, strlen(plain) + 1);
	}
	return 0;
}

/* A register or lookup body, which must carry a schema (42201 otherwise). */
static int api_schema_required(api_ctx *c, regit_api_schema_body *body,
	regit_register_request *rr, const char *subject)
{
	if (api_schema_request(c, body, rr, subject) < 0)
		return -1;
	if (!body->schema) {
		regit_api_schema_body_dispose(body);
		api_error(c, 422, REGIT_SR_INVALID_SCHEMA, "Empty schema");
		return -1;
	}
	return 0;
}

/* GET /subjects?subjectPrefix=&deleted=&deletedOnly=&offset=&limit= -> ["a","b"] */
void h_subjects(api_ctx *c)
{
	regit_list_filter f;
	api_page pg;

	if (api_page_init(&pg, c, 0, 0) < 0)
		return;
	memset(&f, 0, sizeof(f));
	f.prefix = api_unqualify(api_q(c, "subjectPrefix"));
	f.deleted = api_qbool(c, "deleted");
	f.deleted_only = api_qbool(c, "deletedOnly");
	api_ok(c);
	if (api_other_context(api_q(c, "subjectPrefix"))) {
		out_puts(c, "[]");   /* another context: nothing of it lives here */
		return;
	}
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	regit_registry_list_subjects(c->api->reg, &f, cb_subject_name, &pg);
	regit_registry_read_end(c->api->reg);
	out_puts(c, "]");
}

/*
 * POST /subjects/{s}?normalize=&deleted= body RegisterSchemaRequest -> Schema (lookup)
 * DELETE /subjects/{s}?permanent= -> [versions]
 */
void h_subject(api_ctx *c)
{
	const char *subject = c->params[0];
	int rc;

	api_err_init();
	if (c->method == M_POST) {
		regit_api_schema_body body;
		regit_register_request rr;
		const regit_version *v = NULL;

		if (api_schema_required(c, &body, &rr, subject) < 0)
			return;
		regit_registry_read_begin(c->api->reg);
		rc = regit_registry_lookup(c->api->reg, &rr, api_qbool(c, "deleted"), &v);
		if (rc < 0) {
			api_reg_error(c, rc);
		} else {
			api_ok(c);
			out_version(c, v);
		}
		regit_registry_read_end(c->api->reg);
		regit_api_schema_body_dispose(&body);
	} else {
		int *versions = NULL;
		size_t n = 0, i;

		rc = regit_registry_delete_subject(c->api->reg, subject,
			api_qbool(c, "permanent"), c->user, &versions, &n);
		if (rc < 0) {
			api_reg_error(c, rc);
		} else {
			api_ok(c);
			out_puts(c, "[");
			for (i = 0; i < n; i++)
				out_printf(c, "%s%d", i ? "," : "", versions[i]);
			out_puts(c, "]");
		}
		regit_free(versions);
	}
}

/*
 * GET /subjects/{s}/versions?deleted=&deletedOnly=&deletedAsNegative=&offset=&limit=
 *   -> [1,2] (soft-deleted versions as -v with deletedAsNegative, 8.2+)
 * POST /subjects/{s}/versions?normalize=&force= body RegisterSchemaRequest
 *   -> {"id","version","schemaType","schema"}
 */
void h_subject_versions(api_ctx *c)
{
	const char *subject = c->params[0];
	int rc;

	api_err_init();
	if (c->method == M_GET) {
		regit_list_filter f;
		api_page pg;

		if (api_page_init(&pg, c, 0, 0) < 0)
			return;
		memset(&f, 0, sizeof(f));
		f.deleted = api_qbool(c, "deleted");
		f.deleted_only = api_qbool(c, "deletedOnly");
		pg.deleted_negative = api_qbool(c, "deletedAsNegative");
		api_ok(c);
		out_puts(c, "[");
		regit_registry_read_begin(c->api->reg);
		rc = regit_registry_list_versions(c->api->reg, subject, &f,
			cb_version, &pg);
		regit_registry_read_end(c->api->reg);
		api_list_close(c, rc);
	} else {
		regit_api_schema_body body;
		regit_register_request rr;
		regit_register_result res;
		const regit_version *v = NULL;

		if (api_schema_required(c, &body, &rr, subject) < 0)
			return;
		memset(&res, 0, sizeof(res));
		rc = regit_registry_register(c->api->reg, &rr, &res);
		regit_api_schema_body_dispose(&body);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_printf(c, "{\"id\":%d,\"version\":%d,\"schemaType\":\"AVRO\"", res.id,
			res.version);
		regit_registry_read_begin(c->api->reg);
		api_err_init();
		if (regit_registry_get_version(c->api->reg, subject, res.version, 1, &v) == 0 &&
		    v && v->id == res.id) {
			if (v->nrefs)
				out_refs(c, v->refs, v->nrefs);
			out_puts(c, ",\"schema\":");
			out_str(c, v->schema, v->schema_len);
			out_guid(c, v->id);
		}
		regit_registry_read_end(c->api->reg);
		out_puts(c, "}");
	}
}

static int api_version_param(api_ctx *c, const char *s, int *out)
{
	if (regit_api_parse_version(s, out) < 0) {
		api_error(c, 422, REGIT_SR_INVALID_VERSION,
			"The specified version '%s' is not a valid version id. Allowed values "
			"are between [1, 2^31-1] and the string \"latest\"", s);
		return -1;
	}
	return 0;
}

/*
 * GET /subjects/{s}/versions/{v}?deleted= -> Schema
 * DELETE /subjects/{s}/versions/{v}?permanent= -> v
 */
void h_subject_version(api_ctx *c)
{
	const char *subject = c->params[0];
	int version, rc;

	if (api_version_param(c, c->params[1], &version) < 0)
		return;
	api_err_init();
	if (c->method == M_GET) {
		const regit_version *v = NULL;

		regit_registry_read_begin(c->api->reg);
		rc = regit_registry_get_version(c->api->reg, subject, version,
			api_qbool(c, "deleted"), &v);
		if (rc < 0) {
			api_reg_error(c, rc);
		} else {
			api_ok(c);
			out_version(c, v);
		}
		regit_registry_read_end(c->api->reg);
	} else {
		int deleted = 0;

		rc = regit_registry_delete_version(c->api->reg, subject, version,
			api_qbool(c, "permanent"), c->user, &deleted);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_printf(c, "%d", deleted);
	}
}

/* GET /subjects/{s}/versions/{v}/schema?deleted= -> the schema itself */
void h_subject_version_schema(api_ctx *c)
{
	const regit_version *v = NULL;
	int version, rc;

	if (api_version_param(c, c->params[1], &version) < 0)
		return;
	api_err_init();
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_get_version(c->api->reg, c->params[0], version,
		api_qbool(c, "deleted"), &v);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		out_put(c, v->schema, v->schema_len);
	}
	regit_registry_read_end(c->api->reg);
}

/* GET /subjects/{s}/versions/{v}/referencedby?deleted=&offset=&limit= -> [ids] */
void h_subject_version_refby(api_ctx *c)
{
	api_page pg;
	int version, rc;

	if (api_version_param(c, c->params[1], &version) < 0)
		return;
	if (api_page_init(&pg, c, 0, 0) < 0)
		return;
	pg.item = API_ITEM_ID;
	api_err_init();
	api_ok(c);
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_referenced_by(c->api->reg, c->params[0], version,
		api_qbool(c, "deleted"), cb_version, &pg);
	regit_registry_read_end(c->api->reg);
	api_list_close(c, rc);
}

/*
 * GET /subjects/{s}/metadata?key=&value=&deleted= -> Schema. regit stores
 * no metadata: without filters it is the latest version, with them nothing
 * matches (40403).
 */
void h_subject_metadata(api_ctx *c)
{
	const regit_version *v = NULL;
	int rc;

	api_err_init();
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_get_version(c->api->reg, c->params[0], REGIT_VERSION_LATEST,
		api_qbool(c, "deleted"), &v);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else if (api_q(c, "key") || api_q(c, "value")) {
		api_error(c, 404, REGIT_SR_SCHEMA_NOT_FOUND, "Schema not found");
	} else {
		api_ok(c);
		out_version(c, v);
	}
	regit_registry_read_end(c->api->reg);
}

/*
 * POST /compatibility/subjects/{s}/versions[/{v}]?verbose=&normalize=
 * body RegisterSchemaRequest -> {"is_compatible": b[, "messages": [...]]}
 */
void h_compat(api_ctx *c)
{
	regit_api_schema_body body;
	regit_register_request rr;
	char **messages = NULL;
	int version = 0, verbose, compatible = 0, rc;
	size_t i;

	if (c->nparams > 1 && api_version_param(c, c->params[1], &version) < 0)
		return;
	verbose = api_qbool(c, "verbose");
	if (api_schema_request(c, &body, &rr, c->params[0]) < 0)
		return;
	if (!body.schema) {
		regit_api_schema_body_dispose(&body);
		if (verbose) {
			api_ok(c);
			out_puts(c, "{\"is_compatible\":false,\"messages\":[\"Empty schema\"]}");
		} else {
			api_error(c, 422, REGIT_SR_INVALID_SCHEMA, "Empty schema");
		}
		return;
	}
	api_err_init();
	rc = regit_registry_test_compat(c->api->reg, &rr, version, verbose, &compatible,
		verbose ? &messages : NULL);
	regit_api_schema_body_dispose(&body);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		out_printf(c, "{\"is_compatible\":%s", compatible ? "true" : "false");
		if (verbose) {
			out_puts(c, ",\"messages\":[");
			for (i = 0; messages && messages[i]; i++) {
				if (i)
					out_puts(c, ",");
				out_cstr(c, messages[i]);
			}
			out_puts(c, "]");
		}
		out_puts(c, "}");
	}
	for (i = 0; messages && messages[i]; i++)
		regit_free(messages[i]);
	regit_free(messages);
}
