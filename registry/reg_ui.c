/*
 * reg_ui.c - the web UI's reads: the compatibility report of a draft,
 * a version's stored text, a subject's history and where its versions
 * came from (the store's log).
 */
#include <stdio.h>
#include <string.h>

#include "registry/layout.h"
#include "registry/registry_internal.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"

/* ---- the compatibility report and version text ------------------------------- */

void regit_check_report_dispose(regit_check_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nfindings; i++) {
		regit_free(r->findings[i].path);
		regit_free(r->findings[i].old_path);
		regit_free(r->findings[i].message);
	}
	regit_free(r->findings);
	regit_lint_result_dispose(&r->lint);
	memset(r, 0, sizeof(*r));
}

/* Copy the run's findings into out (owned strings). */
static int check_report_take(regit_check_report *out, const reg_compat_run *c)
{
	size_t i, n = c->result.nfindings;

	out->compatible = c->result.compatible;
	out->nomitted = c->result.nomitted;
	if (n == 0)
		return 0;
	out->findings = regit_calloc(n, sizeof(*out->findings));
	if (!out->findings)
		return REGIT_ENOMEM;
	for (i = 0; i < n; i++) {
		const regit_finding *f = &c->result.findings[i];
		regit_check_finding *o = &out->findings[i];

		out->nfindings++;
		o->rule = f->rule;
		o->old_version = f->old_index < c->nold ? c->olds[f->old_index].version : 0;
		o->path = regit_strdup(f->path ? f->path : "");
		o->message = regit_strdup(f->message ? f->message : "");
		o->old_path = f->old_path ? regit_strdup(f->old_path) : NULL;
		if (!o->path || !o->message || (f->old_path && !o->old_path))
			return REGIT_ENOMEM;
	}
	return 0;
}

int regit_registry_check_report(regit_registry *reg, const regit_register_request *req,
	int version, int level, regit_check_report *out)
{
	const reg_subject *s;
	const reg_version *v = NULL;
	reg_compat_run c;
	reg_req_schema rs;
	reg_effective eff;
	int taken, error = 0;

	reg_err_init();
	memset(out, 0, sizeof(*out));
	out->compatible = 1;
	memset(&c, 0, sizeof(c));
	memset(&rs, 0, sizeof(rs));
	taken = reg_read_enter(reg);
	s = reg_find_subject(reg->idx, req->subject);
	reg_effective_config(&eff, reg, reg->idx, s);
	c.level = level >= (int)REGIT_LEVEL_NONE && level <= (int)REGIT_LEVEL_FULL_TRANSITIVE ?
		(regit_compat_level)level : eff.level;
	c.strict = eff.strict;
	if (version != 0) {
		v = version == REGIT_VERSION_LATEST ? reg_subject_latest(s, 1) :
			reg_subject_version(s, version);
		if (!v) {
			error = reg_fail(REGIT_SR_VERSION_NOT_FOUND, "Version %d not found.", version);
			goto done;
		}
	}
	error = reg_compat_against(&c, s, req->subject, version == 0, v);
	if (error < 0) {
		error = reg_fail_internal(error);
		goto done;
	}
	out->level = c.level;
	out->strict = c.strict;
	error = reg_req_schema_load(&rs, reg, reg->idx, req, req->normalize || eff.normalize, 0);
	if (error < 0)
		goto done;
	error = reg_compat_check(&c, reg->idx, reg, rs.parsed->schema);
	if (error < 0)
		goto done;
	error = check_report_take(out, &c);
	out->lint_policy = eff.lint;
	if (error == 0 && eff.lint != REGIT_LINT_POLICY_OFF)
		error = regit_lint_schema(rs.parsed->schema, NULL, &out->lint);
	if (error < 0)
		error = reg_fail_internal(error);
done:
	reg_compat_run_dispose(&c);
	reg_req_schema_dispose(&rs);
	reg_read_leave(reg, taken);
	return error;
}

int regit_registry_version_text(regit_registry *reg, const char *subject, int version,
	regit_text_style style, regit_buf *out, int *id)
{
	regit_schema_error serr;
	const reg_version *v;
	reg_parsed *parsed = NULL;
	int taken, error = 0;

	reg_err_init();
	taken = reg_read_enter(reg);
	error = reg_find_version(&v, reg->idx, subject, version, 1);
	if (error < 0)
		goto done;
	if (id)
		*id = v->pub.id;
	error = reg_stored_parse(&parsed, reg, reg->idx, v->text->s, v->text->len, v->refs,
		v->nrefs, &serr);
	if (error == 0) {
		switch (style) {
		case REGIT_TEXT_CANONICAL:
			error = regit_schema_canonical(parsed->schema, out);
			break;
		case REGIT_TEXT_RESOLVED:
			error = regit_schema_print(parsed->schema, REGIT_PRINT_RESOLVED, out);
			break;
		default:
			error = regit_schema_print(parsed->schema, REGIT_PRINT_PRETTY, out);
			break;
		}
	}
	if (error == REGIT_EINVALID)
		error = reg_fail(REGIT_SR_STORE_ERROR, "Stored version %d does not parse: %s",
			v->pub.version, serr.message);
	else if (error < 0)
		error = reg_fail_internal(error);
done:
	reg_parsed_free(parsed);
	reg_read_leave(reg, taken);
	return error;
}

/* ---- the store's log ----------------------------------------------------------- */

/* A store log entry as the API's history entry (strings borrowed). */
static void history_entry(regit_history_entry *h, const regit_store_log_entry *e)
{
	h->commit = e->commit;
	h->author = e->author;
	h->email = e->email;
	h->time = e->time;
	h->tz_offset = e->tz_offset;
	h->summary = e->summary;
}

/* "subjects/<enc>" (no slash: a directory for the store's log) of a valid subject name. */
static int subject_dir(char *out, size_t len, const char *subject)
{
	const char *why = NULL;
	int error;

	if (!subject || !regit_layout_subject_valid(subject, strlen(subject), &why))
		return reg_fail(REGIT_SR_INVALID_SUBJECT, "Invalid subject: %s",
			why ? why : "empty");
	error = reg_subject_path(out, len, subject, "");
	/* only a name too long for the path is the client's */
	if (error == REGIT_ELIMIT || error == REGIT_EINVALID)
		return reg_fail(REGIT_SR_INVALID_SUBJECT, "Invalid subject");
	if (error < 0)
		return reg_fail_internal(error);
	out[strlen(out) - 1] = '\0';
	return 0;
}

/* The head the published index is at ("" in an empty store). */
static void index_head(regit_registry *reg, char head[REGIT_STORE_OID_HEX])
{
	int taken = reg_read_enter(reg);

	memcpy(head, reg_index_head(reg->idx), REGIT_STORE_OID_HEX);
	reg_read_leave(reg, taken);
}

typedef struct history_state {
	int (*cb)(const regit_history_entry *e, void *payload);
	void *payload;
} history_state;

static int history_cb(const regit_store_log_entry *e, void *payload)
{
	history_state *st = payload;
	regit_history_entry h;

	history_entry(&h, e);
	return st->cb(&h, st->payload);
}

int regit_registry_subject_history(regit_registry *reg, const char *subject,
	const char *from, size_t skip, size_t limit,
	int (*cb)(const regit_history_entry *e, void *payload), void *payload,
	char *next)
{
	char path[REGIT_LAYOUT_MAX_COMPONENT + 16];
	char head[REGIT_STORE_OID_HEX];
	history_state st = { cb, payload };
	size_t i;
	int error;

	reg_err_init();
	next[0] = '\0';
	error = subject_dir(path, sizeof(path), subject);
	if (error < 0)
		return error;
	if (limit == 0 || limit > 100)
		limit = 100;
	if (from && *from) {
		for (i = 0; from[i]; i++) {
			if (!((from[i] >= '0' && from[i] <= '9') || (from[i] >= 'a' && from[i] <= 'f')))
				break;
		}
		if (i != 40 || from[i])
			return reg_fail(400, "Invalid history cursor: a 40-digit commit id is needed");
	}
	index_head(reg, head);
	if (!(from && *from) && !head[0])
		return 0;
	error = regit_store_log(next, reg->store, from && *from ? from : head, path, skip,
		limit, history_cb, &st);
	if (error == REGIT_ENOTFOUND && from && *from)
		return reg_fail(400, "Invalid history cursor: unknown commit");
	if (error < 0)
		return reg_fail_internal(error);
	return 0;
}

typedef struct origins_state {
	void (*cb)(size_t i, const regit_history_entry *e, void *payload);
	void *payload;
} origins_state;

static void origins_cb(size_t i, const regit_store_log_entry *e, void *payload)
{
	origins_state *st = payload;
	regit_history_entry h;

	history_entry(&h, e);
	st->cb(i, &h, st->payload);
}

int regit_registry_version_origins(regit_registry *reg, const char *subject,
	const int *versions, size_t n,
	void (*cb)(size_t i, const regit_history_entry *e, void *payload), void *payload)
{
	char dir[REGIT_LAYOUT_MAX_COMPONENT + 16];
	char head[REGIT_STORE_OID_HEX];
	char (*names)[24] = NULL;
	const char **ptrs = NULL;
	origins_state st = { cb, payload };
	size_t i;
	int error;

	reg_err_init();
	error = subject_dir(dir, sizeof(dir), subject);
	if (error < 0)
		return error;
	if (n == 0)
		return 0;
	if (n > 100)
		return reg_fail(400, "At most 100 versions at a time");
	names = regit_calloc(n, sizeof(*names));
	ptrs = regit_calloc(n, sizeof(*ptrs));
	if (!names || !ptrs) {
		error = reg_fail_internal(REGIT_ENOMEM);
		goto done;
	}
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "v%d.avsc", versions[i]);
		ptrs[i] = names[i];
	}
	index_head(reg, head);
	error = 0;
	if (head[0]) {
		error = regit_store_file_origins(reg->store, head, dir, ptrs, n, origins_cb, &st);
		if (error < 0)
			error = reg_fail_internal(error);
	}
done:
	regit_free(names);
	regit_free(ptrs);
	return error;
}
