/*
 * api_schemas.c - the API's schema handlers: /schemas (listing), types,
 * and a schema by id (its SchemaString, text, subjects, versions) or by
 * GUID.
 *
 * GET /schemas/ids/{id} is the hot path of every consumer: its rendered body
 * is cached per id in a reference-counted entry tagged with the registry
 * generation it was rendered at, and served without copying while that
 * generation is current. The cache lives in struct regit_api
 * (api_internal.h); regit_api_free drops it through api_cache_drop.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "server/api_internal.h"
#include "util/alloc.h"

#define API_SCHEMAS_MAX_LIMIT 1000

/* regit_registry_id_versions callback: the earliest registration time. */
static int cb_first_ts(const regit_version *v, void *payload)
{
	int64_t *ts = payload;

	if (v->ts > 0 && (*ts == 0 || v->ts < *ts))
		*ts = v->ts;
	return 0;
}

/*
 * ,"ts":N for schema id (8.x SchemaString): when it was first registered,
 * soft-deleted versions included (the id still resolves); nothing when
 * no version records a time. The caller holds the read lock.
 */
static void out_id_ts(api_ctx *c, int id)
{
	int64_t ts = 0;

	if (regit_registry_id_versions(c->api->reg, id, 1, cb_first_ts, &ts) == 0 && ts > 0)
		out_printf(c, ",\"ts\":%lld", (long long)ts);
}

/* Subjects of an id: versions arrive grouped by subject, so comparing with
 * the previous subject removes duplicates. */
typedef struct api_subject_dedupe {
	api_page pg;
	regit_buf last;
	int have_last;
} api_subject_dedupe;

static int cb_id_subject(const regit_version *v, void *payload)
{
	api_subject_dedupe *d = payload;
	int t;

	if (d->have_last && strcmp(regit_buf_cstr(&d->last), v->subject) == 0)
		return 0;
	regit_buf_clear(&d->last);
	if (regit_buf_puts(&d->last, v->subject) < 0)
		d->pg.c->fail = 1;
	d->have_last = 1;
	t = api_page_next(&d->pg);
	if (t > 0)
		out_cstr(d->pg.c, v->subject);
	return t < 0;
}

/* GET /schemas?subjectPrefix=&deleted=&latestOnly=&offset=&limit= -> [Schema] */
void h_schemas(api_ctx *c)
{
	regit_list_filter f;
	api_page pg;

	if (api_page_init(&pg, c, API_SCHEMAS_MAX_LIMIT, API_SCHEMAS_MAX_LIMIT) < 0)
		return;
	pg.item = API_ITEM_SCHEMA;
	memset(&f, 0, sizeof(f));
	f.prefix = api_unqualify(api_q(c, "subjectPrefix"));
	f.deleted = api_qbool(c, "deleted");
	f.latest_only = api_qbool(c, "latestOnly");
	api_ok(c);
	if (api_other_context(api_q(c, "subjectPrefix"))) {
		out_puts(c, "[]");
		return;
	}
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	regit_registry_list_schemas(c->api->reg, &f, cb_version, &pg);
	regit_registry_read_end(c->api->reg);
	out_puts(c, "]");
}

/* GET /schemas/types -> ["AVRO"] */
void h_schema_types(api_ctx *c)
{
	api_ok(c);
	out_puts(c, "[\"AVRO\"]");
}

static int api_id_param(api_ctx *c, int *id)
{
	if (regit_api_parse_int(c->params[0], id) < 0) {
		api_error(c, 404, 404, "HTTP 404 Not Found");
		return -1;
	}
	return 0;
}

static void api_cache_release(void *arg)
{
	api_cached *e = arg;

	if (atomic_fetch_sub(&e->refs, 1) == 1)
		regit_free(e);
}

static void api_cache_retain(void *arg)
{
	api_cached *e = arg;

	atomic_fetch_add(&e->refs, 1);
}

/* The cache forgets an entry: drop the server's prebuilt response (which
 * holds a reference on it) and the slot's own reference. */
void api_cache_drop(api_cached *e)
{
	regit_http_prebuilt_evict(&e->pre);
	api_cache_release(e);
}

/* A current cached body for id with a reference for the caller, or NULL. */
static api_cached *api_cache_get(regit_api *api, int id, uint64_t gen)
{
	api_cached *e = NULL;
	pthread_mutex_t *lock;

	if (id <= 0 || (unsigned)id >= API_CACHE_SLOTS)
		return NULL;
	lock = &api->cache_lock[(unsigned)id % API_CACHE_LOCKS];
	pthread_mutex_lock(lock);
	e = api->cache[id];
	if (e && e->gen == gen)
		atomic_fetch_add(&e->refs, 1);
	else
		e = NULL;
	pthread_mutex_unlock(lock);
	return e;
}

static void api_cache_put(regit_api *api, int id, uint64_t gen, const char *body,
	size_t len)
{
	api_cached *e, *old;
	pthread_mutex_t *lock;

	if (id <= 0 || (unsigned)id >= API_CACHE_SLOTS)
		return;
	e = regit_malloc(sizeof(*e) + len + 1);
	if (!e)
		return;   /* caching is an optimisation; the response is already built */
	atomic_init(&e->refs, 1);
	memset(&e->pre, 0, sizeof(e->pre));
	e->gen = gen;
	e->len = len;
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	lock = &api->cache_lock[(unsigned)id % API_CACHE_LOCKS];
	pthread_mutex_lock(lock);
	old = api->cache[id];
	api->cache[id] = e;
	pthread_mutex_unlock(lock);
	if (old)
		api_cache_drop(old);
}

/*
 * Where GET /schemas/ids/{id}?subject=S says the id lives (8.x answers
 * with "subject" and "version" whenever ?subject= is given): the highest
 * version of S holding the id, soft-deleted ones included because the id
 * still resolves through them; when S does not hold it, Confluent's
 * fallback, the first subject-version holding it (here: by subject, then
 * version). The subject is copied: callback results are borrowed.
 */
typedef struct api_id_home {
	const char *want;       /* the unqualified ?subject= */
	regit_buf subject;
	int version;            /* 0 = nothing found yet */
	int matched;            /* subject == want */
	int deleted;
	int64_t ts;
	int fail;
} api_id_home;

static int cb_id_home(const regit_version *v, void *payload)
{
	api_id_home *h = payload;
	int match = strcmp(v->subject, h->want) == 0;

	if (h->version && !(match && (!h->matched || v->version > h->version)))
		return 0;
	regit_buf_clear(&h->subject);
	if (regit_buf_puts(&h->subject, v->subject) < 0)
		h->fail = 1;
	h->version = v->version;
	h->matched = match;
	h->deleted = v->deleted;
	h->ts = v->ts;
	return 0;
}

/*
 * ent/SchemaString of one schema: {["subject","version",]"schemaType",
 * "schema","references","guid","ts"[,"deleted"][,"maxId"]}. With
 * ?format=resolved the schema text inlines its references; other format
 * values are ignored (confluent-api §3). home (NULL for the plain answer)
 * adds the subject-version of ?subject= and takes ts/deleted from it.
 */
static int out_schema_string(api_ctx *c, const regit_schema_entry *e,
	const api_id_home *home)
{
	const char *format = api_q(c, "format");
	int rc;

	api_err_init();
	out_puts(c, "{");
	if (home && home->version) {
		out_puts(c, "\"subject\":");
		out_cstr(c, regit_buf_cstr(&home->subject));
		out_printf(c, ",\"version\":%d,", home->version);
	}
	out_puts(c, "\"schemaType\":\"AVRO\",\"schema\":");
	if (format && strcasecmp(format, "resolved") == 0 && e->nrefs) {
		regit_buf text;

		regit_buf_init(&text, REGIT_BUF_DEFAULT_MAX);
		rc = regit_registry_schema_resolved(c->api->reg, e->id, &text);
		if (rc < 0) {
			regit_buf_dispose(&text);
			api_reg_error(c, rc);
			return -1;
		}
		out_str(c, text.ptr, text.size);
		regit_buf_dispose(&text);
	} else {
		out_str(c, e->schema, e->schema_len);
	}
	if (e->nrefs)
		out_refs(c, e->refs, e->nrefs);
	out_guid(c, e->id);
	if (home && home->version) {
		if (home->ts > 0)
			out_printf(c, ",\"ts\":%lld", (long long)home->ts);
		if (home->deleted)
			out_puts(c, ",\"deleted\":true");
	} else {
		out_id_ts(c, e->id);
	}
	if (api_qbool(c, "fetchMaxId"))
		out_printf(c, ",\"maxId\":%d", regit_registry_max_id(c->api->reg));
	out_puts(c, "}");
	return 0;
}

/*
 * GET /schemas/ids/{id}?subject=&format=&fetchMaxId= -> SchemaString.
 * `subject` only selects the context in Confluent, so it does not filter
 * the id away (§6.4) - but a subject of another context finds nothing
 * (40403); with it the answer names the subject-version (api_id_home).
 * Plain requests (the hot path) are cached; the others are not: the cache
 * holds one body per id.
 */
void h_schema_id(api_ctx *c)
{
	const regit_schema_entry *e = NULL;
	api_cached *hit;
	uint64_t gen;
	api_id_home home;
	const char *subject = api_q(c, "subject");
	int id, rc, plain;

	if (api_id_param(c, &id) < 0)
		return;
	if (api_other_context(subject)) {
		api_error(c, 404, REGIT_SR_SCHEMA_NOT_FOUND, "Schema %d not found: regit "
			"serves only the default context '.'", id);
		return;
	}
	plain = !subject && !api_q(c, "format") && !api_q(c, "fetchMaxId");
	gen = regit_registry_generation(c->api->reg);
	hit = plain ? api_cache_get(c->api, id, gen) : NULL;
	if (hit) {
		atomic_fetch_add_explicit(&c->api->cache_hits, 1, memory_order_relaxed);
		api_ok(c);
		c->resp->body = hit->body;
		c->resp->body_len = hit->len;
		c->resp->release = api_cache_release;
		c->resp->retain = api_cache_retain;
		c->resp->release_arg = hit;
		c->resp->prebuilt = &hit->pre;
		return;
	}
	if (plain)
		atomic_fetch_add_explicit(&c->api->cache_misses, 1, memory_order_relaxed);
	api_err_init();
	regit_registry_read_begin(c->api->reg);
	memset(&home, 0, sizeof(home));
	home.want = subject ? api_unqualify(subject) : NULL;
	regit_buf_init(&home.subject, 1u << 20);
	rc = regit_registry_get_schema(c->api->reg, id, &e);
	/* no subject-version found leaves the plain answer: the id still resolves */
	if (rc == 0 && subject)
		(void)regit_registry_id_versions(c->api->reg, id, 1, cb_id_home, &home);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		if (home.fail)
			c->fail = 1;
		rc = out_schema_string(c, e, subject ? &home : NULL);
	}
	regit_registry_read_end(c->api->reg);
	regit_buf_dispose(&home.subject);
	if (plain && rc == 0 && !c->fail)
		api_cache_put(c->api, id, gen, c->resp->buf.ptr, c->resp->buf.size);
}

/* GET /schemas/ids/{id}/schema -> the schema itself (40403, not Confluent's 500) */
void h_schema_id_schema(api_ctx *c)
{
	const regit_schema_entry *e = NULL;
	int id, rc;

	if (api_id_param(c, &id) < 0)
		return;
	api_err_init();
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_get_schema(c->api->reg, id, &e);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		out_put(c, e->schema, e->schema_len);
	}
	regit_registry_read_end(c->api->reg);
}

/* GET /schemas/ids/{id}/subjects?deleted=&offset=&limit= -> ["s"] */
void h_schema_id_subjects(api_ctx *c)
{
	api_subject_dedupe d;
	int id, rc;

	if (api_id_param(c, &id) < 0)
		return;
	memset(&d, 0, sizeof(d));
	if (api_page_init(&d.pg, c, 0, 0) < 0)
		return;
	regit_buf_init(&d.last, 1u << 20);
	api_err_init();
	api_ok(c);
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_id_versions(c->api->reg, id, api_qbool(c, "deleted"),
		cb_id_subject, &d);
	regit_registry_read_end(c->api->reg);
	regit_buf_dispose(&d.last);
	api_list_close(c, rc);
}

/* GET /schemas/ids/{id}/versions?deleted=&offset=&limit= -> [{"subject","version"}] */
void h_schema_id_versions(api_ctx *c)
{
	api_page pg;
	int id, rc;

	if (api_id_param(c, &id) < 0)
		return;
	if (api_page_init(&pg, c, 0, 0) < 0)
		return;
	pg.item = API_ITEM_SUBJECT_VERSION;
	api_err_init();
	api_ok(c);
	out_puts(c, "[");
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_id_versions(c->api->reg, id, api_qbool(c, "deleted"),
		cb_version, &pg);
	regit_registry_read_end(c->api->reg);
	api_list_close(c, rc);
}

/*
 * GET /schemas/guids/{guid}?format= -> SchemaString
 * GET /schemas/guids/{guid}/ids -> [{"context":".","id":N}]
 * GUIDs are derived from schema content (registry.h); unknown -> 40403.
 */
void h_schema_guid(api_ctx *c)
{
	const regit_schema_entry *e = NULL;
	int rc;

	api_err_init();
	regit_registry_read_begin(c->api->reg);
	rc = regit_registry_get_schema_by_guid(c->api->reg, c->params[0], &e);
	if (rc < 0) {
		api_reg_error(c, rc);
	} else {
		api_ok(c);
		if (c->resp->route_id == R_SCHEMA_GUID_IDS)
			out_printf(c, "[{\"context\":\".\",\"id\":%d}]", e->id);
		else
			out_schema_string(c, e, NULL);
	}
	regit_registry_read_end(c->api->reg);
}
