/*
 * api_ui.c - the web UI's routes: its files at /ui/ and the /regit/ reads.
 *
 * The UI is plain HTML, CSS and JavaScript (ui/), built into the binary
 * (server/ui_assets.h) and served with a strict Content-Security-Policy
 * (default-src 'self': no inline script, no other host), a strong ETag and
 * "Cache-Control: no-cache", so a browser revalidates and gets 304 until
 * the binary changes. Everything the UI changes goes through the Confluent
 * API with the user's own credentials, so the API's checks apply; the
 * routes here only read, and each carries the role it needs in ui_routes.
 *
 * The /regit/ reads (server/README.md documents their shapes):
 *   GET  /regit/whoami                           user, role, what it may do
 *   GET  /regit/health                           /health + the last refused push
 *   GET  /regit/subjects?q=&by=&deleted=&offset=&limit=   one page of subjects
 *   GET  /regit/subjects/{s}/versions?offset=&limit=      versions + git authors
 *   GET  /regit/subjects/{s}/history?from=&limit=         the subject's commits
 *   GET  /regit/subjects/{s}/versions/{v}/text?style=     pretty|canonical|resolved
 *   GET  /regit/subjects/{s}/diff?from=&to=&level=        two versions + findings
 *   POST /regit/compatibility/subjects/{s}?version=&level=  findings at their lines
 * Every list is a page (limits below); every count and size is bounded.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "compat/schema.h"
#include "server/api.h"
#include "server/api_out.h"
#include "server/api_ui.h"
#include "server/ui_assets.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/jsonpos.h"

#define UI_CT_JSON "application/json"
#define UI_MAX_SEGS 8
#define UI_MAX_QUERY 16
#define UI_PAGE_DEFAULT 50
#define UI_PAGE_MAX 100
#define UI_SEARCH_MAX 256
/* A search by name looks at every subject but renders one page: the UI
 * stays fast with 10,000 subjects because it never gets more. */

#define UI_CSP "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; " \
	"base-uri 'none'; form-action 'none'"

enum { UM_GET = 1, UM_POST = 2 };

typedef struct ui_ctx ui_ctx;

typedef struct ui_route {
	const char *name;                 /* for logs and the access log */
	const char *seg[UI_MAX_SEGS];     /* "*" = parameter; NULL ends */
	unsigned methods;
	regit_role role;                  /* needed with --auth */
	int writes;                       /* 0 for all: the UI writes through the API */
	void (*fn)(ui_ctx *u);
} ui_route;

struct ui_ctx {
	const regit_api_ui_env *env;
	regit_registry *reg;
	const regit_http_request *req;
	regit_http_response *resp;
	const char *user;
	regit_role role;
	int auth;
	unsigned method;
	const char *params[4];
	size_t nparams;
	const char *qkey[UI_MAX_QUERY];
	const char *qval[UI_MAX_QUERY];
	size_t nquery;
	char *arena;                      /* decoded strings */
	size_t arena_used, arena_size;
	int fail;
};

/* ---- output ------------------------------------------------------------------ */

static void ui_puts(ui_ctx *u, const char *s)
{
	regit_api_out_puts(&u->resp->buf, &u->fail, s);
}

static void ui_printf(ui_ctx *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ui_printf(ui_ctx *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	regit_api_out_vprintf(&u->resp->buf, &u->fail, fmt, ap);
	va_end(ap);
}

static void ui_str(ui_ctx *u, const char *s, size_t len)
{
	regit_api_out_str(&u->resp->buf, &u->fail, s, len);
}

static void ui_cstr(ui_ctx *u, const char *s)
{
	if (s)
		ui_str(u, s, strlen(s));
	else
		ui_puts(u, "null");
}

static void ui_header(ui_ctx *u, const char *name, const char *value)
{
	regit_http_response *r = u->resp;

	if (r->nheaders < sizeof(r->headers) / sizeof(r->headers[0])) {
		r->headers[r->nheaders].name = name;
		r->headers[r->nheaders].value = value;
		r->nheaders++;
	}
}

static void ui_json_ok(ui_ctx *u)
{
	u->resp->status = 200;
	u->resp->content_type = UI_CT_JSON;
	ui_header(u, "Cache-Control", "no-store");
}

static void ui_error(ui_ctx *u, int status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void ui_error(ui_ctx *u, int status, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	regit_buf_clear(&u->resp->buf);
	u->fail = 0;
	u->resp->status = status;
	u->resp->content_type = UI_CT_JSON;
	ui_printf(u, "{\"error_code\":%d,\"message\":", code);
	ui_cstr(u, msg);
	ui_puts(u, "}");
}

/* A registry failure as a Confluent error body. */
static void ui_reg_error(ui_ctx *u)
{
	int code = regit_error_api_code() ? regit_error_api_code() : 500;
	int status = code >= 10000 ? code / 100 : code;

	if (status < 400 || status > 599)
		status = 500;
	ui_error(u, status, code, "%s", regit_error_message());
}

/* ---- request parsing ----------------------------------------------------------- */

static char *ui_alloc(ui_ctx *u, size_t n)
{
	return regit_api_arena_take(u->arena, u->arena_size, &u->arena_used, n);
}

static const char *ui_q(const ui_ctx *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->nquery; i++) {
		if (strcmp(u->qkey[i], key) == 0)
			return u->qval[i];
	}
	return NULL;
}

static int ui_qbool(const ui_ctx *u, const char *key)
{
	return regit_api_parse_bool(ui_q(u, key));
}

/* A non-negative int query value, clamped to [0, max]; absent = dflt. */
static int ui_qint(const ui_ctx *u, const char *key, int dflt, int max)
{
	const char *s = ui_q(u, key);
	int v;

	if (!s || regit_api_parse_int(s, &v) < 0)
		return dflt;
	if (v < 0)
		return 0;
	return v > max ? max : v;
}

/* Decoded query pairs; malformed ones and those past UI_MAX_QUERY are ignored. */
static void ui_parse_query(ui_ctx *u, const char *q)
{
	while (*q && u->nquery < UI_MAX_QUERY) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t klen = eq ? (size_t)(eq - q) : len;
		size_t vlen = eq ? len - klen - 1 : 0;
		size_t mark = u->arena_used;
		char *k = ui_alloc(u, klen + 1), *v = ui_alloc(u, vlen + 1);

		if (!k || !v)
			return;
		if (regit_api_percent_decode(k, q, klen, 1) < 0 ||
		    (eq ? regit_api_percent_decode(v, eq + 1, vlen, 1) : (v[0] = '\0', 0)) < 0) {
			u->arena_used = mark;
		} else if (klen > 0) {
			u->qkey[u->nquery] = k;
			u->qval[u->nquery] = v;
			u->nquery++;
		}
		q += len;
		if (*q == '&')
			q++;
	}
}

/* ---- files ------------------------------------------------------------------------ */

static const regit_ui_asset *ui_asset(const char *name)
{
	size_t i;

	for (i = 0; i < regit_ui_nassets; i++) {
		if (strcmp(regit_ui_assets[i].name, name) == 0)
			return &regit_ui_assets[i];
	}
	return NULL;
}

/* Does an If-None-Match header name this ETag (or "*")? */
static int ui_etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = inm;

	if (!inm)
		return 0;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

static void ui_serve_asset(ui_ctx *u, const char *name)
{
	const regit_ui_asset *a = ui_asset(name);

	if (!a) {
		ui_error(u, 404, 404, "HTTP 404 Not Found");
		return;
	}
	ui_header(u, "ETag", a->etag);
	ui_header(u, "Cache-Control", "no-cache");
	ui_header(u, "Content-Security-Policy", UI_CSP);
	ui_header(u, "X-Content-Type-Options", "nosniff");
	ui_header(u, "Referrer-Policy", "no-referrer");
	u->resp->content_type = a->content_type;
	if (ui_etag_matches(u->req->if_none_match, a->etag)) {
		u->resp->status = 304;
		u->resp->body = "";
		u->resp->body_len = 0;
		return;
	}
	u->resp->status = 200;
	u->resp->body = (const char *)a->data;
	u->resp->body_len = a->len;
}

/* GET /ui/ -> index.html */
static void h_ui_index(ui_ctx *u)
{
	ui_serve_asset(u, "index.html");
}

/* GET /ui/{file} -> a built-in file */
static void h_ui_file(ui_ctx *u)
{
	ui_serve_asset(u, u->params[0]);
}

/* ---- /regit/whoami ------------------------------------------------------------------ */

/*
 * What the UI may offer, each ability as the API request that does it. The
 * role it needs is the route table's (server/api.c, regit_api_route_of),
 * query included (?permanent=true needs admin), so the UI never offers
 * what the API would refuse and the two cannot drift.
 */
static const struct {
	const char *action;
	const char *method;
	const char *target;
} ui_abilities[] = {
	{ "register", "POST", "/subjects/s/versions" },
	{ "softDelete", "DELETE", "/subjects/s/versions/1" },
	{ "hardDelete", "DELETE", "/subjects/s/versions/1?permanent=true" },
	{ "config", "PUT", "/config/s" },
	{ "mode", "PUT", "/mode/s" },
};

/* May role do what method + target does? A request no route serves: no. */
static int ui_may(const ui_ctx *u, regit_role role, const char *method, const char *target)
{
	unsigned flags = u->env->route_of(method, target);

	if (flags & REGIT_API_NO_ROUTE)
		return 0;
	return (unsigned)role >= (flags & REGIT_API_ROLE_MASK);
}

/* GET /regit/whoami -> {"user","role","auth","can":{"register":b,...}} */
static void h_whoami(ui_ctx *u)
{
	regit_role role = u->auth ? u->role : REGIT_ROLE_ADMIN;
	size_t i;

	ui_json_ok(u);
	ui_puts(u, "{\"user\":");
	ui_cstr(u, u->auth ? u->user : NULL);
	ui_printf(u, ",\"role\":\"%s\",\"auth\":%s,\"can\":{", regit_role_name(role),
		u->auth ? "true" : "false");
	for (i = 0; i < sizeof(ui_abilities) / sizeof(ui_abilities[0]); i++)
		ui_printf(u, "%s\"%s\":%s", i ? "," : "", ui_abilities[i].action,
			ui_may(u, role, ui_abilities[i].method, ui_abilities[i].target) ?
			"true" : "false");
	ui_puts(u, "}}");
}

/* ---- /regit/subjects ----------------------------------------------------------------- */

typedef struct ui_names {
	const char *needle;        /* name search, NULL = all */
	int offset, limit;
	size_t total;
	char **names;              /* the page, owned */
	size_t n;
	int fail;
} ui_names;

static void ui_names_add(ui_names *p, const char *name)
{
	if (p->total++ < (size_t)p->offset || p->n >= (size_t)p->limit)
		return;
	p->names[p->n] = regit_strdup(name);
	if (!p->names[p->n])
		p->fail = 1;
	else
		p->n++;
}

static int cb_ui_subject(const char *subject, void *payload)
{
	ui_names *p = payload;

	if (!p->needle || strcasestr(subject, p->needle))
		ui_names_add(p, subject);
	return 0;
}

/* Subjects of an id's versions arrive grouped by subject: count each once. */
typedef struct ui_id_subjects {
	ui_names *p;
	regit_buf last;
} ui_id_subjects;

static int cb_ui_id_subject(const regit_version *v, void *payload)
{
	ui_id_subjects *s = payload;

	if (s->last.size && strcmp(regit_buf_cstr(&s->last), v->subject) == 0)
		return 0;
	regit_buf_clear(&s->last);
	if (regit_buf_puts(&s->last, v->subject) < 0)
		s->p->fail = 1;
	ui_names_add(s->p, v->subject);
	return 0;
}

/* One subject of the page: its latest version, id, level and whether it is
 * soft-deleted (no live version left). Under the caller's read section. */
static void ui_subject_row(ui_ctx *u, const char *name)
{
	const regit_version *v = NULL;
	regit_config cfg;
	int deleted = 0;

	regit_api_err_init();
	if (regit_registry_get_version(u->reg, name, REGIT_VERSION_LATEST, 0, &v) < 0) {
		deleted = 1;
		v = NULL;
		regit_api_err_init();
		if (regit_registry_get_version(u->reg, name, REGIT_VERSION_LATEST, 1, &v) < 0)
			v = NULL;
	}
	ui_puts(u, "{\"name\":");
	ui_cstr(u, name);
	if (v)
		ui_printf(u, ",\"version\":%d,\"id\":%d", v->version, v->id);
	ui_printf(u, ",\"deleted\":%s", deleted ? "true" : "false");
	memset(&cfg, 0, sizeof(cfg));
	regit_api_err_init();
	if (regit_registry_get_config(u->reg, name, 1, &cfg) == 0) {
		if (cfg.has_level)
			ui_printf(u, ",\"compatibility\":\"%s\"", regit_compat_level_name(cfg.level));
		ui_printf(u, ",\"lint\":\"%s\"",
			regit_lint_policy_name(cfg.has_lint ? cfg.lint : REGIT_LINT_POLICY_OFF));
	}
	ui_puts(u, "}");
}

/*
 * GET /regit/subjects?q=&by=name|id|guid&deleted=&offset=&limit=
 *   -> {"total":N,"offset":o,"limit":l,"subjects":[{"name","version","id",
 *       "deleted","compatibility","lint"}]}
 * by=name (default): q is a case-insensitive substring of the name; by=id:
 * the subjects using schema id q; by=guid: those using the schema with
 * GUID q. deleted=true includes soft-deleted subjects.
 */
static void h_subjects(ui_ctx *u)
{
	const char *q = ui_q(u, "q");
	const char *by = ui_q(u, "by");
	regit_list_filter f;
	ui_names p;
	size_t i;
	int deleted = ui_qbool(u, "deleted");

	memset(&p, 0, sizeof(p));
	p.offset = ui_qint(u, "offset", 0, 1 << 30);
	p.limit = ui_qint(u, "limit", UI_PAGE_DEFAULT, UI_PAGE_MAX);
	if (p.limit == 0)
		p.limit = UI_PAGE_DEFAULT;
	if (q && strlen(q) > UI_SEARCH_MAX) {
		ui_error(u, 400, 400, "Search text longer than %d bytes", UI_SEARCH_MAX);
		return;
	}
	if (q && !*q)
		q = NULL;
	p.names = regit_calloc((size_t)p.limit, sizeof(*p.names));
	if (!p.names) {
		ui_error(u, 500, 500, "out of memory");
		return;
	}
	regit_api_err_init();
	regit_registry_read_begin(u->reg);
	if (!q || !by || strcmp(by, "name") == 0) {
		memset(&f, 0, sizeof(f));
		f.deleted = deleted;
		p.needle = q;
		regit_registry_list_subjects(u->reg, &f, cb_ui_subject, &p);
	} else if (strcmp(by, "id") == 0 || strcmp(by, "guid") == 0) {
		const regit_schema_entry *e = NULL;
		ui_id_subjects s;
		int id = 0;

		if (strcmp(by, "id") == 0) {
			if (regit_api_parse_int(q, &id) < 0)
				id = 0;
		} else if (regit_registry_get_schema_by_guid(u->reg, q, &e) == 0) {
			id = e->id;
		}
		s.p = &p;
		regit_buf_init(&s.last, 1u << 20);
		regit_api_err_init();
		if (id > 0)
			regit_registry_id_versions(u->reg, id, deleted, cb_ui_id_subject, &s);
		regit_buf_dispose(&s.last);
	} else {
		regit_registry_read_end(u->reg);
		regit_free(p.names);
		ui_error(u, 400, 400, "by must be name, id or guid");
		return;
	}
	ui_json_ok(u);
	ui_printf(u, "{\"total\":%zu,\"offset\":%d,\"limit\":%d,\"subjects\":[", p.total,
		p.offset, p.limit);
	for (i = 0; i < p.n; i++) {
		if (i)
			ui_puts(u, ",");
		ui_subject_row(u, p.names[i]);
	}
	ui_puts(u, "]}");
	regit_registry_read_end(u->reg);
	if (p.fail)
		ui_error(u, 500, 500, "out of memory");
	for (i = 0; i < p.n; i++)
		regit_free(p.names[i]);
	regit_free(p.names);
}

/* ---- /regit/subjects/{s}/versions ------------------------------------------------------ */

typedef struct ui_vrow {
	int version, id, deleted;
	long long ts;
	char commit[41];
	char author[128];
	char email[128];
	long long time;
} ui_vrow;

typedef struct ui_vpage {
	ui_vrow *rows;
	size_t n;
	int offset, limit;
	size_t total;
} ui_vpage;

static int cb_ui_version(const regit_version *v, void *payload)
{
	ui_vpage *p = payload;
	ui_vrow *r;

	if (p->total++ < (size_t)p->offset || p->n >= (size_t)p->limit)
		return 0;
	r = &p->rows[p->n++];
	r->version = v->version;
	r->id = v->id;
	r->deleted = v->deleted;
	r->ts = (long long)v->ts;
	return 0;
}

static void cb_ui_origin(size_t i, const regit_history_entry *e, void *payload)
{
	ui_vpage *p = payload;
	ui_vrow *r;

	if (i >= p->n)
		return;
	r = &p->rows[i];
	snprintf(r->commit, sizeof(r->commit), "%s", e->commit);
	snprintf(r->author, sizeof(r->author), "%s", e->author);
	snprintf(r->email, sizeof(r->email), "%s", e->email);
	r->time = e->time;
}

/*
 * GET /regit/subjects/{s}/versions?offset=&limit= -> {"subject","total",
 *   "versions":[{"version","id","deleted","ts","commit","author","email","time"}]}
 * Soft-deleted versions included, ascending; commit/author/time are the
 * git commit that registered the version (absent beyond the walk bound).
 */
static void h_versions(ui_ctx *u)
{
	const char *subject = u->params[0];
	regit_list_filter f;
	ui_vpage p;
	int *nums = NULL;
	size_t i;
	int rc;

	memset(&p, 0, sizeof(p));
	p.offset = ui_qint(u, "offset", 0, 1 << 30);
	p.limit = ui_qint(u, "limit", UI_PAGE_DEFAULT, UI_PAGE_MAX);
	if (p.limit == 0)
		p.limit = UI_PAGE_DEFAULT;
	p.rows = regit_calloc((size_t)p.limit, sizeof(*p.rows));
	nums = regit_calloc((size_t)p.limit, sizeof(*nums));
	if (!p.rows || !nums) {
		ui_error(u, 500, 500, "out of memory");
		goto done;
	}
	memset(&f, 0, sizeof(f));
	f.deleted = 1;
	regit_api_err_init();
	regit_registry_read_begin(u->reg);
	rc = regit_registry_list_versions(u->reg, subject, &f, cb_ui_version, &p);
	regit_registry_read_end(u->reg);
	if (rc < 0) {
		ui_reg_error(u);
		goto done;
	}
	for (i = 0; i < p.n; i++)
		nums[i] = p.rows[i].version;
	regit_api_err_init();
	if (regit_registry_version_origins(u->reg, subject, nums, p.n, cb_ui_origin, &p) < 0) {
		ui_reg_error(u);
		goto done;
	}
	ui_json_ok(u);
	ui_puts(u, "{\"subject\":");
	ui_cstr(u, subject);
	ui_printf(u, ",\"total\":%zu,\"offset\":%d,\"limit\":%d,\"versions\":[", p.total,
		p.offset, p.limit);
	for (i = 0; i < p.n; i++) {
		const ui_vrow *r = &p.rows[i];

		ui_printf(u, "%s{\"version\":%d,\"id\":%d,\"deleted\":%s,\"ts\":%lld", i ? "," : "",
			r->version, r->id, r->deleted ? "true" : "false", r->ts);
		if (r->commit[0]) {
			ui_printf(u, ",\"commit\":\"%s\",\"time\":%lld,\"author\":", r->commit, r->time);
			ui_cstr(u, r->author);
			ui_puts(u, ",\"email\":");
			ui_cstr(u, r->email);
		}
		ui_puts(u, "}");
	}
	ui_puts(u, "]}");
done:
	regit_free(p.rows);
	regit_free(nums);
}

/* ---- /regit/subjects/{s}/history ------------------------------------------------------- */

typedef struct ui_hist {
	ui_ctx *u;
	size_t n;
} ui_hist;

static int cb_ui_history(const regit_history_entry *e, void *payload)
{
	ui_hist *h = payload;
	ui_ctx *u = h->u;

	ui_printf(u, "%s{\"commit\":\"%s\",\"time\":%lld,\"tz\":%d,\"author\":",
		h->n++ ? "," : "", e->commit, e->time, e->tz_offset);
	ui_cstr(u, e->author);
	ui_puts(u, ",\"email\":");
	ui_cstr(u, e->email);
	ui_puts(u, ",\"summary\":");
	ui_cstr(u, e->summary);
	ui_puts(u, "}");
	return u->fail;
}

/*
 * GET /regit/subjects/{s}/history?from=&limit= -> {"subject","commits":[{"commit",
 *   "time","tz","author","email","summary"}],"next":"<commit>"|null}
 * The commits that changed the subject's directory, newest first; pass
 * `next` back as `from` for the following page.
 */
static void h_history(ui_ctx *u)
{
	const char *subject = u->params[0];
	char next[41];
	ui_hist h = { u, 0 };
	int limit = ui_qint(u, "limit", 20, UI_PAGE_MAX);
	int rc;

	if (limit == 0)
		limit = 20;
	ui_json_ok(u);
	ui_puts(u, "{\"subject\":");
	ui_cstr(u, subject);
	ui_puts(u, ",\"commits\":[");
	regit_api_err_init();
	rc = regit_registry_subject_history(u->reg, subject, ui_q(u, "from"), 0, (size_t)limit,
		cb_ui_history, &h, next);
	if (rc < 0) {
		ui_reg_error(u);
		return;
	}
	ui_puts(u, "],\"next\":");
	ui_cstr(u, next[0] ? next : NULL);
	ui_puts(u, "}");
}

/* ---- schema text, diff, findings ---------------------------------------------------------- */

static int ui_version_param(ui_ctx *u, const char *s, int *out)
{
	if (!s || regit_api_parse_version(s, out) < 0) {
		ui_error(u, 422, REGIT_SR_INVALID_VERSION, "Invalid version '%.64s'", s ? s : "");
		return -1;
	}
	return 0;
}

/*
 * GET /regit/subjects/{s}/versions/{v}/text?style=pretty|canonical|resolved
 *   -> {"subject","version","id","style","schema":"..."}
 * pretty is the store's .avsc form, canonical Avro's Parsing Canonical
 * Form, resolved the compact text with references written in full.
 */
static void h_text(ui_ctx *u)
{
	const char *style_s = ui_q(u, "style");
	regit_text_style style = REGIT_TEXT_PRETTY;
	regit_buf text;
	int version, id = 0;

	if (ui_version_param(u, u->params[1], &version) < 0)
		return;
	if (!style_s || strcmp(style_s, "pretty") == 0) {
		style_s = "pretty";
	} else if (strcmp(style_s, "canonical") == 0) {
		style = REGIT_TEXT_CANONICAL;
	} else if (strcmp(style_s, "resolved") == 0) {
		style = REGIT_TEXT_RESOLVED;
	} else {
		ui_error(u, 400, 400, "style must be pretty, canonical or resolved");
		return;
	}
	regit_buf_init(&text, REGIT_BUF_DEFAULT_MAX);
	regit_api_err_init();
	if (regit_registry_version_text(u->reg, u->params[0], version, style, &text, &id) < 0) {
		ui_reg_error(u);
		regit_buf_dispose(&text);
		return;
	}
	ui_json_ok(u);
	ui_puts(u, "{\"subject\":");
	ui_cstr(u, u->params[0]);
	ui_printf(u, ",\"version\":%d,\"id\":%d,\"style\":\"%s\",\"schema\":", version, id,
		style_s);
	ui_str(u, text.ptr ? text.ptr : "", text.size);
	ui_puts(u, "}");
	regit_buf_dispose(&text);
}

static int ui_level_param(ui_ctx *u, int *level)
{
	const char *s = ui_q(u, "level");
	regit_compat_level l;

	*level = -1;
	if (!s || !*s)
		return 0;
	if (regit_compat_level_parse(s, &l) < 0) {
		ui_error(u, 422, REGIT_SR_INVALID_COMPATIBILITY, "Invalid compatibility level '%.64s'", s);
		return -1;
	}
	*level = (int)l;
	return 0;
}

/* "findings":[...] with each pointer turned into a line of its text. */
static void ui_findings(ui_ctx *u, const regit_check_report *r, const regit_buf *new_text,
	const regit_buf *old_text)
{
	size_t i;

	ui_printf(u, ",\"compatible\":%s,\"level\":\"%s\",\"rules\":\"%s\",\"omitted\":%zu,"
		"\"findings\":[", r->compatible ? "true" : "false",
		regit_compat_level_name(r->level), r->strict ? "strict" : "avro", r->nomitted);
	for (i = 0; i < r->nfindings; i++) {
		const regit_check_finding *f = &r->findings[i];
		int line = 0, col = 0, oline = 0, ocol = 0;

		if (new_text && new_text->ptr)
			regit_jsonpos_find_nearest(new_text->ptr, new_text->size, f->path, &line, &col);
		if (old_text && old_text->ptr)
			regit_jsonpos_find_nearest(old_text->ptr, old_text->size,
				f->old_path ? f->old_path : f->path, &oline, &ocol);
		ui_printf(u, "%s{\"rule\":\"%s\",\"message\":", i ? "," : "", f->rule);
		ui_cstr(u, f->message);
		ui_puts(u, ",\"path\":");
		ui_cstr(u, f->path);
		ui_puts(u, ",\"oldPath\":");
		ui_cstr(u, f->old_path);
		ui_printf(u, ",\"oldVersion\":%d,\"line\":%d,\"column\":%d", f->old_version, line, col);
		if (old_text)
			ui_printf(u, ",\"oldLine\":%d", oline);
		ui_puts(u, "}");
	}
	ui_puts(u, "]");
}

/*
 * "lint":{"policy","refuses","omitted","findings":[{"rule","severity","message",
 * "path","line","column"}]} under a warn or enforce policy; nothing under off.
 * refuses: a registration would be refused for lint errors (enforce).
 */
static void ui_lint(ui_ctx *u, const regit_check_report *r, const regit_buf *text)
{
	size_t i;

	if (r->lint_policy == REGIT_LINT_POLICY_OFF)
		return;
	ui_printf(u, ",\"lint\":{\"policy\":\"%s\",\"refuses\":%s,\"omitted\":%zu,"
		"\"findings\":[", regit_lint_policy_name(r->lint_policy),
		r->lint_policy == REGIT_LINT_POLICY_ENFORCE && r->lint.nerrors ? "true" : "false",
		r->lint.nomitted);
	for (i = 0; i < r->lint.nfindings; i++) {
		const regit_lint_finding *f = &r->lint.findings[i];
		int line = 0, col = 0;

		if (text && text->ptr)
			regit_jsonpos_find_nearest(text->ptr, text->size, f->path, &line, &col);
		ui_printf(u, "%s{\"rule\":\"%s\",\"severity\":\"%s\",\"message\":", i ? "," : "",
			f->rule, f->severity == REGIT_LINT_ERROR ? "error" : "warning");
		ui_cstr(u, f->message);
		ui_puts(u, ",\"path\":");
		ui_cstr(u, f->path);
		ui_printf(u, ",\"line\":%d,\"column\":%d}", line, col);
	}
	ui_puts(u, "]}");
}

/*
 * GET /regit/subjects/{s}/diff?from=A&to=B&level= -> {"subject","old":{"version",
 *   "id","deleted","schema"},"new":{...},"compatible","level","rules",
 *   "findings":[{"rule","message","path","oldPath","oldVersion","line",
 *   "column","oldLine"}]}
 * Both schemas pretty-printed; B checked against A alone at the subject's
 * level made non-transitive (or `level`); each finding's line is in B's
 * text, its oldLine in A's. Soft-deleted versions may be compared.
 */
static void h_diff(ui_ctx *u)
{
	const char *subject = u->params[0];
	regit_check_report rep;
	regit_register_request rr;
	regit_buf old_text, new_text;
	const regit_version *a = NULL, *b = NULL;
	int from, to, level, old_id = 0, new_id = 0;

	if (ui_version_param(u, ui_q(u, "from"), &from) < 0 ||
	    ui_version_param(u, ui_q(u, "to"), &to) < 0 || ui_level_param(u, &level) < 0)
		return;
	memset(&rep, 0, sizeof(rep));
	regit_buf_init(&old_text, REGIT_BUF_DEFAULT_MAX);
	regit_buf_init(&new_text, REGIT_BUF_DEFAULT_MAX);
	regit_api_err_init();
	regit_registry_read_begin(u->reg);
	if (regit_registry_version_text(u->reg, subject, from, REGIT_TEXT_PRETTY, &old_text,
	    &old_id) < 0 ||
	    regit_registry_version_text(u->reg, subject, to, REGIT_TEXT_PRETTY, &new_text,
	    &new_id) < 0 ||
	    regit_registry_get_version(u->reg, subject, from, 1, &a) < 0 ||
	    regit_registry_get_version(u->reg, subject, to, 1, &b) < 0) {
		ui_reg_error(u);
		goto done;
	}
	memset(&rr, 0, sizeof(rr));
	rr.subject = subject;
	rr.schema = b->schema;
	rr.schema_len = b->schema_len;
	rr.refs = b->refs;
	rr.nrefs = b->nrefs;
	if (regit_registry_check_report(u->reg, &rr, a->version, level, &rep) < 0) {
		ui_reg_error(u);
		goto done;
	}
	ui_json_ok(u);
	ui_puts(u, "{\"subject\":");
	ui_cstr(u, subject);
	ui_printf(u, ",\"old\":{\"version\":%d,\"id\":%d,\"deleted\":%s,\"schema\":", a->version,
		old_id, a->deleted ? "true" : "false");
	ui_str(u, old_text.ptr ? old_text.ptr : "", old_text.size);
	ui_printf(u, "},\"new\":{\"version\":%d,\"id\":%d,\"deleted\":%s,\"schema\":", b->version,
		new_id, b->deleted ? "true" : "false");
	ui_str(u, new_text.ptr ? new_text.ptr : "", new_text.size);
	ui_puts(u, "}");
	ui_findings(u, &rep, &new_text, &old_text);
	ui_puts(u, "}");
done:
	regit_registry_read_end(u->reg);
	regit_check_report_dispose(&rep);
	regit_buf_dispose(&old_text);
	regit_buf_dispose(&new_text);
}

/*
 * POST /regit/compatibility/subjects/{s}?version=&level= body RegisterSchemaRequest
 *   -> {"compatible","level","rules","findings":[{..."line","column"}],
 *       "lint"?: {"policy","refuses","omitted","findings":[...]}}
 *      or, for a candidate that does not parse,
 *      {"compatible":false,"error":{"message","line","column"}}
 * Like POST /compatibility/subjects/{s}/versions[/{v}] (version absent: what
 * a registration would face), with every finding's line and column in the
 * text as sent.
 */
static void h_check(ui_ctx *u)
{
	regit_api_schema_body body;
	regit_register_request rr;
	regit_check_report rep;
	regit_buf text = REGIT_BUF_INIT;
	const char *vs = ui_q(u, "version");
	int version = 0, level, rc;

	if (vs && ui_version_param(u, vs, &version) < 0)
		return;
	if (ui_level_param(u, &level) < 0)
		return;
	regit_api_err_init();
	if (regit_api_decode_schema_body(&body, u->req->body, u->req->body_len) < 0) {
		ui_reg_error(u);
		return;
	}
	if (!body.schema) {
		regit_api_schema_body_dispose(&body);
		ui_error(u, 422, REGIT_SR_INVALID_SCHEMA, "Empty schema");
		return;
	}
	memset(&rr, 0, sizeof(rr));
	rr.subject = u->params[0];
	rr.schema = body.schema;
	rr.schema_len = body.schema_len;
	rr.refs = body.refs;
	rr.nrefs = body.nrefs;
	rr.normalize = ui_qbool(u, "normalize");
	rc = regit_registry_check_report(u->reg, &rr, version, level, &rep);
	if (rc < 0 && regit_error_api_code() == REGIT_SR_INVALID_SCHEMA) {
		regit_schema_error serr;
		regit_schema *s = NULL;
		int line = 0, col = 0;
		char why[REGIT_ERROR_MAX];

		/* the registry's message, before the parse below records its own */
		snprintf(why, sizeof(why), "%s", regit_error_message());
		/* Where: a JSON syntax error has a position, a validation error a
		 * pointer (reference-free parse: a syntax error comes first). */
		memset(&serr, 0, sizeof(serr));
		if (regit_schema_parse(&s, body.schema, body.schema_len, NULL, &serr) < 0) {
			line = serr.line;
			col = serr.column;
			if (line <= 0 && serr.path[0])
				regit_jsonpos_find_nearest(body.schema, body.schema_len, serr.path,
					&line, &col);
		}
		regit_schema_free(s);
		ui_json_ok(u);
		ui_puts(u, "{\"compatible\":false,\"error\":{\"message\":");
		ui_cstr(u, why);
		ui_printf(u, ",\"line\":%d,\"column\":%d}}", line, col);
	} else if (rc < 0) {
		ui_reg_error(u);
	} else {
		/* Borrowed: only ptr and size are read, nothing is freed. */
		text.ptr = body.schema;
		text.size = body.schema_len;
		ui_json_ok(u);
		ui_puts(u, "{\"subject\":");
		ui_cstr(u, u->params[0]);
		ui_findings(u, &rep, &text, NULL);
		ui_lint(u, &rep, &text);
		ui_puts(u, "}");
	}
	regit_check_report_dispose(&rep);
	regit_api_schema_body_dispose(&body);
}

/* ---- /regit/health ------------------------------------------------------------------------ */

/*
 * GET /regit/health -> {"status":"ok"|"degraded"|"invalid","head","subjects",
 *   "schemas","versions","commits","compatRejections","storeRejections"
 *   [,"auth"][,"store","diskFullSince"][,"message"]
 *   [,"upstream":{"state":"ok"|"unreachable"|"unauthorized"|"refused","lagSeconds",
 *     "fetches","fetchFailures","pushes","pushConflicts","pushFailures",
 *     "repairs"[,"message"]}]
 *   [,"lastRejection":{"head","time","message"}]}
 * /health's facts (degraded: the credentials file could not be reloaded,
 * or the last write found the disk full; the reasons in "auth" and
 * "store") plus the last refused push, kept after a valid push replaced
 * it; always 200 (the UI reads it; monitors use /health and its 503).
 * With serve --upstream, the upstream as in /health ("upstream-refused";
 * an unreachable one "degraded") with /metrics' counters; the message
 * never holds the URL's credentials.
 */
static void h_health(ui_ctx *u)
{
	regit_registry_stats st;
	char auth_problem[256];

	memset(&st, 0, sizeof(st));
	regit_registry_stats_get(u->reg, &st);
	u->env->auth_problem(u->env->api, auth_problem, sizeof(auth_problem));
	ui_json_ok(u);
	ui_printf(u, "{\"status\":\"%s\",\"head\":",
		regit_registry_status(&st, auth_problem[0] != '\0'));
	ui_str(u, st.head, strnlen(st.head, sizeof(st.head)));
	ui_printf(u, ",\"subjects\":%zu,\"schemas\":%zu,\"versions\":%zu,\"commits\":%llu,"
		"\"compatRejections\":%llu,\"storeRejections\":%llu", st.subjects, st.schemas,
		st.versions, (unsigned long long)st.commits,
		(unsigned long long)st.compat_rejections, (unsigned long long)st.store_rejections);
	if (auth_problem[0]) {
		ui_puts(u, ",\"auth\":");
		ui_cstr(u, auth_problem);
	}
	if (st.disk_full)
		ui_printf(u, ",\"store\":\"the last write failed: no space left on device\","
			"\"diskFullSince\":%lld", (long long)st.disk_full_since);
	if (!st.store_ok) {
		ui_puts(u, ",\"message\":");
		ui_str(u, st.store_message, strnlen(st.store_message, sizeof(st.store_message)));
	}
	if (st.upstream) {
		struct timespec ts;
		int64_t now;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		ui_printf(u, ",\"upstream\":{\"state\":\"%s\",\"lagSeconds\":%.3f,"
			"\"fetches\":%llu,\"fetchFailures\":%llu,\"pushes\":%llu,"
			"\"pushConflicts\":%llu,\"pushFailures\":%llu,\"repairs\":%llu",
			regit_registry_upstream_state(&st),
			st.upstream_synced_ms ? (double)(now - st.upstream_synced_ms) / 1000.0 : -1.0,
			(unsigned long long)st.upstream_fetches,
			(unsigned long long)st.upstream_fetch_failures,
			(unsigned long long)st.upstream_pushes,
			(unsigned long long)st.upstream_push_conflicts,
			(unsigned long long)st.upstream_push_failures,
			(unsigned long long)st.upstream_repairs);
		if (st.upstream_message[0]) {
			ui_puts(u, ",\"message\":");
			ui_str(u, st.upstream_message, strnlen(st.upstream_message,
				sizeof(st.upstream_message)));
		}
		ui_puts(u, "}");
	}
	if (st.last_rejection[0]) {
		ui_puts(u, ",\"lastRejection\":{\"head\":");
		ui_str(u, st.last_rejection_head,
			strnlen(st.last_rejection_head, sizeof(st.last_rejection_head)));
		ui_printf(u, ",\"time\":%lld,\"message\":", (long long)st.last_rejection_time);
		ui_str(u, st.last_rejection, strnlen(st.last_rejection, sizeof(st.last_rejection)));
		ui_puts(u, "}");
	}
	ui_puts(u, "}");
}

/* ---- /regit/refresh -------------------------------------------------------------------- */

/* Fetch the upstream now (bounded by its timeout) and answer with the head
 * served after; without an upstream, reload the store's branch. */
static void h_refresh(ui_ctx *u)
{
	regit_registry_stats st;
	int rc;

	regit_api_err_init();
	rc = regit_registry_upstream_sync(u->reg);
	if (rc == 0)
		rc = regit_registry_refresh(u->reg);
	if (rc < 0) {
		ui_reg_error(u);
		return;
	}
	memset(&st, 0, sizeof(st));
	regit_registry_stats_get(u->reg, &st);
	ui_json_ok(u);
	ui_puts(u, "{\"head\":");
	ui_str(u, st.head, strnlen(st.head, sizeof(st.head)));
	ui_printf(u, ",\"upstream\":%s}", st.upstream ? "true" : "false");
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static const ui_route ui_routes[] = {
	{ "/ui/", { "ui", NULL }, UM_GET, REGIT_ROLE_READ, 0, h_ui_index },
	{ "/ui/{file}", { "ui", "*", NULL }, UM_GET, REGIT_ROLE_READ, 0, h_ui_file },
	{ "/regit/whoami", { "regit", "whoami", NULL }, UM_GET, REGIT_ROLE_READ, 0, h_whoami },
	{ "/regit/health", { "regit", "health", NULL }, UM_GET, REGIT_ROLE_READ, 0, h_health },
	{ "/regit/subjects", { "regit", "subjects", NULL }, UM_GET, REGIT_ROLE_READ, 0,
		h_subjects },
	{ "/regit/subjects/{s}/versions", { "regit", "subjects", "*", "versions", NULL }, UM_GET,
		REGIT_ROLE_READ, 0, h_versions },
	{ "/regit/subjects/{s}/history", { "regit", "subjects", "*", "history", NULL }, UM_GET,
		REGIT_ROLE_READ, 0, h_history },
	{ "/regit/subjects/{s}/versions/{v}/text",
		{ "regit", "subjects", "*", "versions", "*", "text", NULL }, UM_GET,
		REGIT_ROLE_READ, 0, h_text },
	{ "/regit/subjects/{s}/diff", { "regit", "subjects", "*", "diff", NULL }, UM_GET,
		REGIT_ROLE_READ, 0, h_diff },
	{ "/regit/compatibility/subjects/{s}", { "regit", "compatibility", "subjects", "*", NULL },
		UM_POST, REGIT_ROLE_READ, 0, h_check },
	/* A push webhook's target (GitHub, GitLab, Gitea): take the
	 * upstream's head in now rather than at the next interval. */
	{ "/regit/refresh", { "regit", "refresh", NULL }, UM_POST, REGIT_ROLE_WRITE, 0,
		h_refresh },
};

/* The label of requests under /ui and /regit that no route serves. */
#define UI_ROUTE_UNKNOWN (sizeof(ui_routes) / sizeof(ui_routes[0]))

_Static_assert(sizeof(ui_routes) / sizeof(ui_routes[0]) + 1 == REGIT_API_UI_NROUTES,
	"REGIT_API_UI_NROUTES counts ui_routes and /regit/unknown");

const char *regit_api__ui_route_name(size_t i)
{
	if (i < UI_ROUTE_UNKNOWN)
		return ui_routes[i].name;
	return i == UI_ROUTE_UNKNOWN ? "/regit/unknown" : NULL;
}

/*
 * Is this a browser navigating? Browsers send text/html together with
 * application/xhtml+xml; Java's HttpURLConnection (under Confluent's Java
 * client) sends "text/html, image/gif, image/jpeg, *; q=.2, ..." on every
 * API call and must keep getting {}.
 */
static int ui_accepts_html(const char *accept)
{
	return accept && strcasestr(accept, "text/html") != NULL &&
		strcasestr(accept, "application/xhtml+xml") != NULL;
}

int regit_api__ui_handle(const regit_api_ui_env *env, regit_registry *reg,
	const regit_http_request *req,
	regit_http_response *resp, const char *user, regit_role role, int auth)
{
	const char *target = req->target ? req->target : "/";
	const char *qm = strchr(target, '?');
	size_t plen = qm ? (size_t)(qm - target) : strlen(target);
	const char *seg[UI_MAX_SEGS];
	size_t seglen[UI_MAX_SEGS], nseg = 0, s = 1, r, i;
	const ui_route *route = NULL;
	unsigned method;
	ui_ctx u;

	method = req->method && (strcmp(req->method, "GET") == 0 ||
		strcmp(req->method, "HEAD") == 0) ? UM_GET :
		req->method && strcmp(req->method, "POST") == 0 ? UM_POST : 0;
	/* A browser opening the server lands in the UI; API clients get {}. */
	if (plen == 1 && target[0] == '/' && method == UM_GET && ui_accepts_html(req->accept)) {
		resp->status = 302;
		resp->content_type = "text/plain; charset=utf-8";
		resp->body = "/ui/\n";
		resp->body_len = 5;
		resp->route = "/";
		resp->route_id = -1;
		resp->headers[0].name = "Location";
		resp->headers[0].value = "/ui/";
		resp->nheaders = 1;
		return 1;
	}
	if (!(plen >= 3 && strncmp(target, "/ui", 3) == 0 && (plen == 3 || target[3] == '/')) &&
	    !(plen >= 6 && strncmp(target, "/regit", 6) == 0 && (plen == 6 || target[6] == '/')))
		return 0;
	if (plen == 3) {
		/* /ui -> /ui/, so the page's relative URLs resolve under it. */
		resp->status = 301;
		resp->content_type = "text/plain; charset=utf-8";
		resp->body = "/ui/\n";
		resp->body_len = 5;
		resp->route = "/ui/";
		resp->route_id = 0;   /* ui_routes[0], "/ui/" */
		resp->headers[0].name = "Location";
		resp->headers[0].value = "/ui/";
		resp->nheaders = 1;
		return 1;
	}

	memset(&u, 0, sizeof(u));
	u.env = env;
	u.reg = reg;
	u.req = req;
	u.resp = resp;
	u.user = user;
	u.role = role;
	u.auth = auth;
	u.method = method;
	resp->route = "/regit/unknown";
	resp->route_id = (int)UI_ROUTE_UNKNOWN;
	if (plen > 1 && target[plen - 1] == '/')
		plen--;
	while (s < plen) {
		size_t e = s;

		while (e < plen && target[e] != '/')
			e++;
		if (nseg == UI_MAX_SEGS) {
			ui_error(&u, 404, 404, "HTTP 404 Not Found");
			return 1;
		}
		seg[nseg] = target + s;
		seglen[nseg++] = e - s;
		s = e + 1;
	}
	for (r = 0; r < sizeof(ui_routes) / sizeof(ui_routes[0]) && !route; r++) {
		const ui_route *cand = &ui_routes[r];

		for (i = 0; i < UI_MAX_SEGS && cand->seg[i]; i++) {
			if (i >= nseg)
				break;
			if (strcmp(cand->seg[i], "*") != 0 &&
			    !(strlen(cand->seg[i]) == seglen[i] &&
			      memcmp(cand->seg[i], seg[i], seglen[i]) == 0))
				break;
		}
		if ((i == UI_MAX_SEGS || !cand->seg[i]) && i == nseg)
			route = cand;
	}
	if (!route) {
		ui_error(&u, 404, 404, "HTTP 404 Not Found");
		return 1;
	}
	resp->route = route->name;
	resp->route_id = (int)(route - ui_routes);
	if (!(method & route->methods)) {
		ui_error(&u, 405, 405, "HTTP 405 Method Not Allowed");
		return 1;
	}
	if (auth && role < route->role) {
		ui_error(&u, 403, 403, "Forbidden: user %s (role %s) may not do this; it needs role %s",
			user ? user : "", regit_role_name(role), regit_role_name(route->role));
		return 1;
	}
	if (method == UM_POST && !regit_api_content_type_ok(req->content_type)) {
		ui_error(&u, 415, 415, "HTTP 415 Unsupported Media Type");
		return 1;
	}
	/* Decoded parameters and query share one arena, never more than twice
	 * the target. */
	u.arena_size = 2 * strlen(target) + 2 * (UI_MAX_SEGS + 2 * UI_MAX_QUERY) + 16;
	u.arena = regit_malloc(u.arena_size);
	if (!u.arena) {
		ui_error(&u, 500, 500, "out of memory");
		return 1;
	}
	for (i = 0; i < nseg && route->seg[i]; i++) {
		char *p;
		long n;

		if (strcmp(route->seg[i], "*") != 0)
			continue;
		p = ui_alloc(&u, seglen[i] + 1);
		n = p ? regit_api_percent_decode(p, seg[i], seglen[i], 0) : -1;
		if (n < 0 || (size_t)n != strlen(p) || u.nparams >= 4) {
			ui_error(&u, 400, 400, "Malformed path parameter");
			goto done;
		}
		u.params[u.nparams++] = p;
	}
	if (qm)
		ui_parse_query(&u, qm + 1);
	route->fn(&u);
	if (u.fail)
		ui_error(&u, 500, 500, "Response too large or out of memory");
done:
	regit_free(u.arena);
	return 1;
}
