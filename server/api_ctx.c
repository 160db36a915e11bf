/*
 * api_ctx.c - the helpers every API handler writes its answer with
 * (declared in api_internal.h): appends to the response body that record a
 * failure instead of returning it, Confluent error bodies (valid UTF-8,
 * status from the error code), query parameters and contexts, the
 * rendering shared by several resources (references, GUID, ent/Schema),
 * and paging of listings. Apart from the handlers and the route table so
 * that both depend on it and it on neither (`make cycles`).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/api_internal.h"
#include "util/error.h"

/* ---- output helpers ------------------------------------------------------------ */

void out_puts(api_ctx *c, const char *s)
{
	regit_api_out_puts(&c->resp->buf, &c->fail, s);
}

void out_put(api_ctx *c, const char *s, size_t len)
{
	if (regit_buf_put(&c->resp->buf, s, len) < 0)
		c->fail = 1;
}

void out_printf(api_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	regit_api_out_vprintf(&c->resp->buf, &c->fail, fmt, ap);
	va_end(ap);
}

void out_str(api_ctx *c, const char *s, size_t len)
{
	regit_api_out_str(&c->resp->buf, &c->fail, s, len);
}

void out_cstr(api_ctx *c, const char *s)
{
	out_str(c, s, strlen(s));
}

void api_ok(api_ctx *c)
{
	c->resp->status = 200;
	c->resp->content_type = c->ctype;
}

/*
 * Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid:
 * overlong forms, surrogates and code points past U+10FFFF are invalid
 * (RFC 3629).
 */
static size_t api_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Copy msg into out (outsize bytes, NUL-terminated) as valid UTF-8: each
 * byte that starts no valid sequence becomes U+FFFD. Error messages quote
 * what clients sent (a subject's decoded bytes, cut at a byte count), and
 * a JSON body must be UTF-8 (RFC 8259 section 8.1).
 */
static void api_utf8_clean(char *out, size_t outsize, const char *msg)
{
	const unsigned char *p = (const unsigned char *)msg;
	size_t n = strlen(msg), o = 0, len;

	while (n > 0) {
		len = api_utf8_len(p, n);
		if (len == 0) {
			if (o + 3 >= outsize)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
			n--;
			continue;
		}
		if (o + len >= outsize)
			break;
		memcpy(out + o, p, len);
		o += len;
		p += len;
		n -= len;
	}
	out[o] = '\0';
}

void api_error(api_ctx *c, int status, int code, const char *fmt, ...)
{
	char raw[4096], msg[3 * sizeof(raw)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	api_utf8_clean(msg, sizeof(msg), raw);
	regit_buf_clear(&c->resp->buf);
	c->fail = 0;
	c->resp->status = status;
	c->resp->content_type = c->ctype;
	out_printf(c, "{\"error_code\":%d,\"message\":", code);
	out_cstr(c, msg);
	out_puts(c, "}");
}

static int api_code_status(int code)
{
	if (code >= 10000 && code <= 59999)
		return code / 100;
	if (code >= 400 && code <= 599)
		return code;
	return 500;
}

static const char *api_code_default_message(int code)
{
	switch (code) {
	case REGIT_SR_SUBJECT_NOT_FOUND: return "Subject not found.";
	case REGIT_SR_VERSION_NOT_FOUND: return "Version not found.";
	case REGIT_SR_SCHEMA_NOT_FOUND: return "Schema not found";
	case REGIT_SR_SUBJECT_SOFT_DELETED: return "Subject was soft deleted.";
	case REGIT_SR_SUBJECT_NOT_SOFT_DELETED: return "Subject was not deleted first before being permanently deleted";
	case REGIT_SR_VERSION_SOFT_DELETED: return "Version was soft deleted.";
	case REGIT_SR_VERSION_NOT_SOFT_DELETED: return "Version was not deleted first before being permanently deleted";
	case REGIT_SR_SUBJECT_CONFIG_NOT_FOUND: return "Subject does not have subject-level compatibility configured";
	case REGIT_SR_SUBJECT_MODE_NOT_FOUND: return "Subject does not have subject-level mode configured";
	case REGIT_SR_INCOMPATIBLE: return "Schema being registered is incompatible with an earlier schema";
	case REGIT_SR_INVALID_SCHEMA: return "Invalid schema";
	case REGIT_SR_INVALID_VERSION: return "Invalid version";
	case REGIT_SR_INVALID_COMPATIBILITY: return "Invalid compatibility level";
	case REGIT_SR_INVALID_MODE: return "Invalid mode";
	case REGIT_SR_OPERATION_NOT_PERMITTED: return "Operation not permitted";
	case REGIT_SR_REFERENCE_EXISTS: return "One or more references exist to the schema";
	case REGIT_SR_INVALID_SUBJECT: return "Invalid subject";
	case REGIT_SR_SCHEMA_TOO_LARGE: return "Schema too large";
	case REGIT_SR_STORE_ERROR: return "Error in the backend data store";
	case REGIT_SR_STORE_BUSY: return "Store busy: another writer holds it; retry later";
	default: return "Internal server error";
	}
}

/* A registry call failed: render its Confluent error. */
void api_reg_error(api_ctx *c, int rc)
{
	int code = regit_error_api_code();
	const char *msg = code ? regit_error_message() : NULL;

	if (code == 0) {
		code = rc == REGIT_EIO || rc == REGIT_ENOSPC ? REGIT_SR_STORE_ERROR :
			rc == REGIT_EBUSY ? REGIT_SR_STORE_BUSY : 500;
		if (!msg)
			msg = regit_error_message();
	}
	if (!msg)
		msg = api_code_default_message(code);
	api_error(c, api_code_status(code), code, "%s", msg);
}

/* (a local name for regit_api_err_init, used by every handler) */
void api_err_init(void)
{
	regit_api_err_init();
}

const char *api_q(const api_ctx *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nquery; i++) {
		if (strcmp(c->query[i].key, key) == 0)
			return c->query[i].value;
	}
	return NULL;
}

int api_qbool(const api_ctx *c, const char *key)
{
	return regit_api_parse_bool(api_q(c, key));
}

/*
 * Contexts (Confluent QualifiedSubject): ":.ctx:name" is subject `name` of
 * context ".ctx", ":.:name" the default context's `name`, and ":*:" a
 * wildcard prefix. regit serves the default context only. Returns the
 * unqualified subject (pointing into s) for the default context, NULL when
 * s names another context.
 */
const char *api_unqualify(const char *s)
{
	const char *colon;

	if (!s)
		return NULL;
	if (strncmp(s, ":*:", 3) == 0)
		return s + 3;
	if (strncmp(s, ":.", 2) != 0)
		return s;
	colon = strchr(s + 2, ':');
	if (!colon)
		return s[2] == '\0' ? s + 2 : NULL;   /* ":." = default, ":.x" = context .x */
	return colon == s + 2 ? colon + 1 : NULL;
}

int api_other_context(const char *s)
{
	return s && !api_unqualify(s);
}

/* offset/limit: absent = dflt; not an int = JAX-RS conversion failure (404). */
static int api_qint(api_ctx *c, const char *key, int dflt, int *out)
{
	const char *v = api_q(c, key);

	*out = dflt;
	if (!v)
		return 0;
	if (regit_api_parse_int(v, out) < 0) {
		api_error(c, 404, 404, "HTTP 404 Not Found");
		return -1;
	}
	return 0;
}

/* ---- rendering ----------------------------------------------------------------- */

void out_refs(api_ctx *c, const regit_reference *refs, size_t n)
{
	size_t i;

	out_puts(c, ",\"references\":[");
	for (i = 0; i < n; i++) {
		if (i)
			out_puts(c, ",");
		out_puts(c, "{\"name\":");
		out_cstr(c, refs[i].name ? refs[i].name : "");
		out_puts(c, ",\"subject\":");
		out_cstr(c, refs[i].subject ? refs[i].subject : "");
		out_printf(c, ",\"version\":%d}", refs[i].version);
	}
	out_puts(c, "]");
}

/* ,"guid":"..." for schema id (8.x); nothing if the id vanished. */
void out_guid(api_ctx *c, int id)
{
	char guid[REGIT_GUID_LEN + 1];

	if (regit_registry_schema_guid(c->api->reg, id, guid) == 0)
		out_printf(c, ",\"guid\":\"%s\"", guid);
}

/* ent/Schema: subject, version, id, schemaType, references, schema, guid, ts, deleted. */
void out_version(api_ctx *c, const regit_version *v)
{
	out_puts(c, "{\"subject\":");
	out_cstr(c, v->subject);
	out_printf(c, ",\"version\":%d,\"id\":%d,\"schemaType\":\"AVRO\"", v->version, v->id);
	if (v->nrefs)
		out_refs(c, v->refs, v->nrefs);
	out_puts(c, ",\"schema\":");
	out_str(c, v->schema, v->schema_len);
	out_guid(c, v->id);
	if (v->ts > 0)
		out_printf(c, ",\"ts\":%lld", (long long)v->ts);
	if (v->deleted)
		out_puts(c, ",\"deleted\":true");
	out_puts(c, "}");
}

/* ---- paging ---------------------------------------------------------------------- */

/*
 * End a JSON list that a registry listing call wrote items into: "]", or
 * the call's error instead of the whole body (api_error clears it).
 */
void api_list_close(api_ctx *c, int rc)
{
	if (rc < 0)
		api_reg_error(c, rc);
	else
		out_puts(c, "]");
}

static int api_page_take(api_page *pg)
{
	if (pg->seen++ < pg->offset)
		return 0;
	if (pg->limit > 0 && pg->emitted >= pg->limit)
		return -1;
	pg->emitted++;
	return 1;
}

/*
 * One list item through paging: 1 = emit it (the separator is written
 * already), 0 = skip it (before offset), -1 = stop (limit reached). Every
 * list callback is this plus how to write one item.
 */
int api_page_next(api_page *pg)
{
	int t = api_page_take(pg);

	if (t > 0 && pg->emitted > 1)
		out_puts(pg->c, ",");
	return t;
}

int api_page_init(api_page *pg, api_ctx *c, int dflt_limit, int max_limit)
{
	memset(pg, 0, sizeof(*pg));
	pg->c = c;
	if (api_qint(c, "offset", 0, &pg->offset) < 0)
		return -1;
	if (api_qint(c, "limit", dflt_limit, &pg->limit) < 0)
		return -1;
	if (pg->offset < 0)
		pg->offset = 0;
	if (max_limit > 0 && (pg->limit <= 0 || pg->limit > max_limit))
		pg->limit = dflt_limit;
	return 0;
}

/*
 * One subject-version of a listing, written as the page's item kind asks:
 * its number (soft-deleted ones as -v with ?deletedAsNegative=true), the
 * whole Schema, its schema id, or {"subject","version"}.
 */
int cb_version(const regit_version *v, void *payload)
{
	api_page *pg = payload;
	int t = api_page_next(pg);

	if (t <= 0)
		return t < 0;
	switch (pg->item) {
	case API_ITEM_NUMBER:
		out_printf(pg->c, "%d", pg->deleted_negative && v->deleted ? -v->version : v->version);
		break;
	case API_ITEM_SCHEMA:
		out_version(pg->c, v);
		break;
	case API_ITEM_ID:
		out_printf(pg->c, "%d", v->id);
		break;
	case API_ITEM_SUBJECT_VERSION:
		out_puts(pg->c, "{\"subject\":");
		out_cstr(pg->c, v->subject);
		out_printf(pg->c, ",\"version\":%d}", v->version);
		break;
	}
	return 0;
}
