/*
 * cmd_import.c - `regit import`: copy a Confluent-compatible registry into
 * another one, keeping every id.
 *
 * The source is read whole (snapshot.c): subjects, versions (soft-deleted
 * too), ids, references, configs, modes. The target's versions of the same
 * subjects are read too, and every source version is then
 *
 *   present  - the target has the subject version with the same id (a
 *              rerun; copied again: nothing, perhaps a soft delete);
 *   conflict - the target has the subject version with another id, or the
 *              id names a different schema in the target: nothing is
 *              written and both schemas are named (exit 1);
 *   new      - registered through the target's IMPORT mode, with its id
 *              and version: POST /subjects/{s}/versions {"schema",
 *              "references", "id", "version"}.
 *
 * New versions are registered in topological order: by id, except that
 * what a schema references always goes first. Soft-deleted versions are
 * registered, then soft-deleted once everything is in, in the reverse
 * order (referrers first, since a referenced version cannot be deleted
 * under a live referrer). The target's global mode is set to IMPORT
 * (force=true: the target may have schemas, e.g. on a rerun) only when
 * something is registered or soft-deleted, and put back as it was on every
 * path out, like the subject modes that had to be switched. Then subject configs and
 * modes are copied where they differ, and with no prefix the global
 * config; the global mode is not (a source being migrated is usually put
 * READONLY, which would freeze the target).
 *
 * Everything is checked before the first write, so a conflict leaves the
 * target untouched; after a failure half-way a rerun continues.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "cli/snapshot.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* Source credentials when neither --from-user nor --from-user-file is given. */
#define IMPORT_ENV_FROM_AUTH "REGIT_IMPORT_FROM_AUTH"
/* How deep references may nest (the topological sort recurses). */
#define IMPORT_MAX_DEPTH 1000

enum { IMPORT_OPT_FROM = 1, IMPORT_OPT_FROM_USER_FILE, IMPORT_OPT_FROM_USER,
	IMPORT_OPT_SUBJECT_PREFIX, IMPORT_OPT_DRY_RUN };

static const regit_opt_spec import_specs[] = {
	{ REGIT_OPT_VALUE, IMPORT_OPT_FROM, "from", 0, "URL|DIR",
	  "the source registry (may carry user:pass@, shown\n"
	  "redacted), or a directory `regit export` wrote" },
	{ REGIT_OPT_VALUE, IMPORT_OPT_FROM_USER_FILE, "from-user-file", 0, "FILE",
	  "source credentials: the first line of FILE,\n"
	  "USER:PASS (- reads stdin; default $" IMPORT_ENV_FROM_AUTH ";\n"
	  "the target's credentials are never sent to the source)" },
	{ REGIT_OPT_VALUE, IMPORT_OPT_FROM_USER, "from-user", 0, "USER:PASS",
	  "the same on the command line (warns)" },
	{ REGIT_OPT_VALUE, IMPORT_OPT_SUBJECT_PREFIX, "subject-prefix", 0, "P",
	  "only subjects starting with P, plus the subjects\n"
	  "their schemas reference; the global config stays" },
	{ REGIT_OPT_FLAG, IMPORT_OPT_DRY_RUN, "dry-run", 0, NULL,
	  "read both registries and print what would be done" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const import_frags[] = {
	import_specs, regit_remote_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_import_opts = {
	"import", "copy another registry's subjects, versions and ids into this one",
	"--from SOURCE_URL [options]",
	"Copy every subject, version (soft-deleted ones too), id, reference,\n"
	"subject config and subject mode of a Confluent-compatible registry\n"
	"(Confluent, Karapace, Redpanda, regit) into the target registry through\n"
	"its IMPORT mode, keeping the ids. A rerun copies only what is new. A\n"
	"subject version or id the target already has for another schema is a\n"
	"conflict: nothing is written and both schemas are named. The target's\n"
	"mode is put back as it was, also after a failure. The target registry\n"
	"(any Confluent-compatible one), its credentials and the output are\n"
	"given by --registry, --user-file, --user, --timeout and --format.",
	import_frags,
	"text output: one line per change, then a summary\n"
	"json output: {\"copied\", \"soft_deleted\", \"present\", \"configs\", \"modes\",\n"
	"\"dry_run\"}",
	"0 copied (or nothing to copy)\n1 a conflict; nothing was written\n" REGIT_REMOTE_EXIT_STATUS
};

/*
 * SIGINT/SIGTERM while writing: finish the request in flight, stop, and put
 * the modes back (a second signal kills, as the handler is reset).
 */
static volatile sig_atomic_t import_stop;

static void import_on_signal(int sig)
{
	import_stop = sig;
}

static void import_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = import_on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int import_interrupted(void)
{
	if (!import_stop)
		return 0;
	regit_error_set(REGIT_ERROR_CLI, "interrupted by signal %d; a rerun continues",
		(int)import_stop);
	return REGIT_ERROR;
}

typedef struct import_item {
	size_t subject;                   /* index into the source snapshot */
	const regit_client_schema *v;     /* borrowed from the snapshot */
	int copy;                         /* to register */
	int soft_delete;                  /* to soft-delete afterwards */
	int mark;                         /* topological sort: 0 new, 1 open, 2 done */
} import_item;

typedef struct import_ctx {
	regit_remote *remote;
	regit_client *source, *target;
	regit_snapshot *snap;
	/* the target's versions of each source subject (owned, ascending) */
	regit_client_schema **tversions;
	size_t *ntversions;
	size_t *offset;                   /* first item of each subject */
	import_item *items;               /* subject order (owned) */
	size_t nitems;
	size_t *topo;                     /* item indices, referenced first (owned) */
	size_t ntopo;
	int dry_run;
	size_t copied, soft_deleted, present, configs, modes;
} import_ctx;

static int import_oom(void)
{
	regit_error_set_oom();
	return REGIT_ENOMEM;
}

static const regit_client_schema *import_target_version(const import_ctx *ctx, size_t s,
	int version)
{
	size_t i;

	/* Ascending, so a binary search would do; subjects have few versions. */
	for (i = 0; i < ctx->ntversions[s]; i++)
		if (ctx->tversions[s][i].version == version)
			return &ctx->tversions[s][i];
	return NULL;
}

static int import_item_cmp_id(const void *a, const void *b, void *payload)
{
	const import_ctx *ctx = payload;
	const import_item *x = &ctx->items[*(const size_t *)a];
	const import_item *y = &ctx->items[*(const size_t *)b];
	int c;

	if (x->v->id != y->v->id)
		return (x->v->id > y->v->id) - (x->v->id < y->v->id);
	c = strcmp(ctx->snap->subjects[x->subject].name, ctx->snap->subjects[y->subject].name);
	if (c)
		return c;
	return (x->v->version > y->v->version) - (x->v->version < y->v->version);
}

/* The item of a reference (the snapshot checked that it exists). */
static size_t import_ref_item(const import_ctx *ctx, const regit_client_ref *ref)
{
	const regit_snapshot_subject *t = regit_snapshot_subject_find(ctx->snap, ref->subject);
	const regit_client_schema *v = regit_snapshot_version_find(t, ref->version);
	size_t s = (size_t)(t - ctx->snap->subjects);

	return ctx->offset[s] + (size_t)(v - t->versions);
}

static int import_visit(import_ctx *ctx, size_t i, size_t depth)
{
	import_item *it = &ctx->items[i];
	size_t k;
	int error;

	if (it->mark == 2)
		return 0;
	if (it->mark == 1 || depth > IMPORT_MAX_DEPTH) {
		regit_error_set(REGIT_ERROR_CLI, "subject '%s' version %d: references form a "
			"cycle or nest deeper than %d", ctx->snap->subjects[it->subject].name,
			it->v->version, IMPORT_MAX_DEPTH);
		return REGIT_EINVALID;
	}
	it->mark = 1;
	for (k = 0; k < it->v->nrefs; k++) {
		error = import_visit(ctx, import_ref_item(ctx, &it->v->refs[k]), depth + 1);
		if (error < 0)
			return error;
	}
	it->mark = 2;
	ctx->topo[ctx->ntopo++] = i;
	return 0;
}

/* qsort_r is a GNU extension; a small merge sort keeps the comparator's payload. */
static void import_sort(size_t *a, size_t *tmp, size_t n,
	int (*cmp)(const void *, const void *, void *), void *payload)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	import_sort(a, tmp, mid, cmp, payload);
	import_sort(a + mid, tmp, n - mid, cmp, payload);
	while (i < mid && j < n)
		tmp[k++] = cmp(&a[j], &a[i], payload) < 0 ? a[j++] : a[i++];
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
}

/* The same schema: the same JSON (whitespace and key order aside) and references. */
static int import_same_schema(const regit_client_schema *a, const regit_client_schema *b)
{
	json_t *x = json_loads(a->schema, JSON_DECODE_ANY, NULL);
	json_t *y = json_loads(b->schema, JSON_DECODE_ANY, NULL);
	int same = x && y ? json_equal(x, y) : strcmp(a->schema, b->schema) == 0;
	size_t i;

	json_decref(x);
	json_decref(y);
	if (!same || a->nrefs != b->nrefs)
		return 0;
	for (i = 0; i < a->nrefs; i++)
		if (strcmp(a->refs[i].name, b->refs[i].name) != 0 ||
		    strcmp(a->refs[i].subject, b->refs[i].subject) != 0 ||
		    a->refs[i].version != b->refs[i].version)
			return 0;
	return 1;
}

/*
 * Name the id's owner in the target: "subject 'x' version 3", from GET
 * /schemas/ids/{id}/versions?deleted=true; "a schema" when it cannot tell.
 */
static void import_target_owner(char *out, size_t size, regit_client *target, int id)
{
	char path[96];
	json_t *resp = NULL;
	const json_t *first;

	snprintf(out, size, "another schema");
	snprintf(path, sizeof(path), "/schemas/ids/%d/versions?deleted=true", id);
	if (regit_client_request(&resp, target, "GET", path, NULL) == 0) {
		first = json_array_get(resp, 0);
		if (json_is_string(json_object_get(first, "subject")) &&
		    json_is_integer(json_object_get(first, "version")))
			snprintf(out, size, "subject '%.300s' version %lld",
				json_string_value(json_object_get(first, "subject")),
				(long long)json_integer_value(json_object_get(first, "version")));
	}
	regit_error_clear();
	json_decref(resp);
}

static int import_conflict(import_ctx *ctx, const import_item *it)
{
	char owner[400];

	import_target_owner(owner, sizeof(owner), ctx->target, it->v->id);
	regit_error_set(REGIT_ERROR_CLI, "id conflict: id %d is subject '%s' version %d in "
		"the source, but %s in the target, a different schema; nothing copied with it",
		it->v->id, ctx->snap->subjects[it->subject].name, it->v->version, owner);
	return REGIT_EEXISTS;
}

/*
 * Whether the target holds another schema under the item's id. The last
 * error message is kept either way.
 */
static int import_id_taken(import_ctx *ctx, const import_item *it)
{
	regit_client_schema got = REGIT_CLIENT_SCHEMA_INIT;
	json_t *resp = NULL;
	char path[64], kept[512];
	int taken = 0;

	snprintf(kept, sizeof(kept), "%s", regit_error_message());
	snprintf(path, sizeof(path), "/schemas/ids/%d", it->v->id);
	if (regit_client_request(&resp, ctx->target, "GET", path, NULL) == 0 &&
	    regit_client_parse_schema(&got, resp) == 0)
		taken = !import_same_schema(&got, it->v);
	regit_client_schema_dispose(&got);
	json_decref(resp);
	regit_error_set(REGIT_ERROR_HTTP, "%s", kept);
	return taken;
}

/* Prefix the error message of a failed read with the registry it came from. */
static void import_say_where(int error, const char *side, const regit_client *client)
{
	char why[512];

	if (error >= 0 || error == REGIT_ENOMEM)
		return;
	snprintf(why, sizeof(why), "%s", regit_error_message());
	regit_error_set(REGIT_ERROR_CLI, "%s %s: %s", side, regit_client_url(client), why);
}

/* Read the target's side and decide what each source version needs. */
static int import_plan(import_ctx *ctx)
{
	const regit_snapshot *snap = ctx->snap;
	regit_client_schema got = REGIT_CLIENT_SCHEMA_INIT;
	size_t s, j, n = 0, *order = NULL, *tmp = NULL;
	int error = 0, last_id = -1;
	char path[64];
	json_t *resp = NULL;

	ctx->tversions = regit_calloc(snap->nsubjects + 1, sizeof(*ctx->tversions));
	ctx->ntversions = regit_calloc(snap->nsubjects + 1, sizeof(*ctx->ntversions));
	ctx->offset = regit_calloc(snap->nsubjects + 1, sizeof(*ctx->offset));
	ctx->items = regit_calloc(snap->nversions + 1, sizeof(*ctx->items));
	ctx->topo = regit_calloc(snap->nversions + 1, sizeof(*ctx->topo));
	order = regit_calloc(snap->nversions + 1, sizeof(*order));
	tmp = regit_calloc(snap->nversions + 1, sizeof(*tmp));
	if (!ctx->tversions || !ctx->ntversions || !ctx->offset || !ctx->items || !ctx->topo ||
	    !order || !tmp) {
		error = import_oom();
		goto done;
	}
	for (s = 0; s < snap->nsubjects && error == 0; s++) {
		const regit_snapshot_subject *sub = &snap->subjects[s];

		error = regit_client_fetch_subject(&ctx->tversions[s], &ctx->ntversions[s],
			ctx->target, sub->name, 1);
		if (error == REGIT_ENOTFOUND) {
			regit_error_clear();
			error = 0;
		}
		import_say_where(error, "target", ctx->target);
		ctx->offset[s] = n;
		for (j = 0; j < sub->nversions && error == 0; j++) {
			import_item *it = &ctx->items[n];
			const regit_client_schema *t;

			it->subject = s;
			it->v = &sub->versions[j];
			order[n] = n;
			n++;
			t = import_target_version(ctx, s, it->v->version);
			if (t && t->id != it->v->id) {
				regit_error_set(REGIT_ERROR_CLI, "id conflict: subject '%s' version %d "
					"is id %d in the source but id %d in the target",
					sub->name, it->v->version, it->v->id, t->id);
				error = REGIT_EEXISTS;
			} else if (t && !import_same_schema(t, it->v)) {
				regit_error_set(REGIT_ERROR_CLI, "id conflict: subject '%s' version %d "
					"(id %d) holds different schemas in the source and the target",
					sub->name, it->v->version, it->v->id);
				error = REGIT_EEXISTS;
			} else if (t) {
				ctx->present++;
				it->soft_delete = it->v->deleted && !t->deleted;
				if (!it->v->deleted && t->deleted)
					fprintf(stderr, "regit import: warning: subject '%s' version %d "
						"is live in the source but soft-deleted in the target; "
						"left as it is\n", sub->name, it->v->version);
			} else {
				it->copy = 1;
				it->soft_delete = it->v->deleted;
			}
		}
	}
	ctx->nitems = n;
	if (error < 0)
		goto done;

	/* Each id to copy, once: free in the target, or the same schema there. */
	import_sort(order, tmp, n, import_item_cmp_id, ctx);
	for (j = 0; j < n && error == 0; j++) {
		import_item *it = &ctx->items[order[j]];

		if (!it->copy || it->v->id == last_id)
			continue;
		last_id = it->v->id;
		snprintf(path, sizeof(path), "/schemas/ids/%d", it->v->id);
		error = regit_client_request(&resp, ctx->target, "GET", path, NULL);
		if (error == REGIT_ENOTFOUND) {
			regit_error_clear();
			error = 0;
		} else if (error == 0) {
			error = regit_client_parse_schema(&got, resp);
			if (error == 0 && !import_same_schema(&got, it->v))
				error = import_conflict(ctx, it);
			regit_client_schema_dispose(&got);
		}
		json_decref(resp);
		resp = NULL;
	}
	/* Referenced first, else by id. */
	for (j = 0; j < n && error == 0; j++)
		error = import_visit(ctx, order[j], 0);
done:
	regit_free(order);
	regit_free(tmp);
	return error;
}

/* PUT /mode[/{s}]?force=true {"mode": M} */
static int import_put_mode(regit_client *client, const char *subject, const char *mode)
{
	regit_buf path = REGIT_BUF_INIT;
	json_t *body = json_pack("{s:s}", "mode", mode);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int error;

	if (!text) {
		json_decref(body);
		return import_oom();
	}
	error = regit_buf_puts(&path, "/mode");
	if (error == 0 && subject)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "?force=true");
	if (error == 0)
		error = regit_client_request(NULL, client, "PUT", regit_buf_cstr(&path), text);
	regit_free(text);
	json_decref(body);
	regit_buf_dispose(&path);
	return error;
}

/* GET /mode[/{s}]: *out owned, NULL when there is none (404). */
static int import_get_mode(char **out, regit_client *client, const char *subject)
{
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	const json_t *m;
	int error;

	*out = NULL;
	error = regit_buf_puts(&path, "/mode");
	if (error == 0 && subject)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error == REGIT_ENOTFOUND && subject) {
		regit_error_clear();
		error = 0;
	} else if (error == 0) {
		m = json_object_get(resp, "mode");
		if (!json_is_string(m)) {
			regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: no \"mode\" string");
			error = REGIT_EIO;
		} else {
			*out = regit_strdup(json_string_value(m));
			if (!*out)
				error = REGIT_ENOMEM;
		}
	}
	json_decref(resp);
	regit_buf_dispose(&path);
	return error;
}

static int import_register(import_ctx *ctx, const import_item *it)
{
	const char *subject = ctx->snap->subjects[it->subject].name;
	regit_buf path = REGIT_BUF_INIT;
	json_t *body = NULL, *refs = NULL, *resp = NULL, *ref;
	char *text = NULL;
	size_t k;
	int id, version, error = 0;

	body = json_pack("{s:s, s:i, s:i}", "schema", it->v->schema, "id", it->v->id,
		"version", it->v->version);
	if (body && it->v->schema_type &&
	    json_object_set_new(body, "schemaType", json_string(it->v->schema_type)) < 0)
		error = import_oom();
	if (body && it->v->metadata && json_object_set(body, "metadata", it->v->metadata) < 0)
		error = import_oom();
	if (body && it->v->rule_set && json_object_set(body, "ruleSet", it->v->rule_set) < 0)
		error = import_oom();
	if (body && it->v->nrefs && error == 0) {
		refs = json_array();
		if (!refs || json_object_set_new(body, "references", refs) < 0)
			error = import_oom();
		for (k = 0; k < it->v->nrefs && error == 0; k++) {
			ref = json_pack("{s:s, s:s, s:i}", "name", it->v->refs[k].name,
				"subject", it->v->refs[k].subject, "version", it->v->refs[k].version);
			if (!ref || json_array_append_new(refs, ref) < 0)
				error = import_oom();
		}
	}
	if (!body && error == 0)
		error = import_oom();
	if (error == 0) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			error = import_oom();
	}
	if (error == 0)
		error = regit_buf_puts(&path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
	if (error == 0)
		error = regit_client_request(&resp, ctx->target, "POST", regit_buf_cstr(&path), text);
	/* 42205 (not permitted): is the id taken since the check? Else keep the message. */
	if (error == REGIT_EPERM && regit_client_error_code(ctx->target) == 42205 &&
	    import_id_taken(ctx, it))
		error = import_conflict(ctx, it);
	if (error == 0)
		error = regit_client_parse_registered(&id, &version, resp);
	if (error == 0 && (id != it->v->id || (version && version != it->v->version))) {
		regit_error_set(REGIT_ERROR_HTTP, "the target registered subject '%s' version %d "
			"(id %d) as version %d, id %d: it does not honour IMPORT mode", subject,
			it->v->version, it->v->id, version, id);
		error = REGIT_EIO;
	}
	if (error == 0 && !ctx->remote->json)
		printf("copied %s version %d (id %d)\n", subject, it->v->version, it->v->id);
	regit_free(text);
	json_decref(body);
	json_decref(resp);
	regit_buf_dispose(&path);
	return error;
}

static int import_soft_delete(import_ctx *ctx, const import_item *it)
{
	const char *subject = ctx->snap->subjects[it->subject].name;
	regit_buf path = REGIT_BUF_INIT;
	char number[16];
	int error;

	snprintf(number, sizeof(number), "%d", it->v->version);
	error = regit_buf_puts(&path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
	if (error == 0)
		error = regit_client_put_segment(&path, number);
	if (error == 0)
		error = regit_client_request(NULL, ctx->target, "DELETE", regit_buf_cstr(&path), NULL);
	if (error == 0 && !ctx->remote->json)
		printf("soft-deleted %s version %d\n", subject, it->v->version);
	regit_buf_dispose(&path);
	return error;
}

/*
 * The versions, in IMPORT mode. Every mode switched here is switched back
 * before returning, whatever happened.
 */
static int import_versions(import_ctx *ctx)
{
	const regit_snapshot *snap = ctx->snap;
	char *global = NULL, **subject_modes = NULL;
	size_t i, s, ncopy = 0, ndelete = 0;
	int error = 0, restore;

	for (i = 0; i < ctx->nitems; i++) {
		ncopy += ctx->items[i].copy;
		ndelete += ctx->items[i].soft_delete;
	}
	if (ctx->dry_run) {
		for (i = 0; i < ctx->ntopo; i++) {
			const import_item *it = &ctx->items[ctx->topo[i]];

			if (it->copy && !ctx->remote->json)
				printf("would copy %s version %d (id %d)\n",
					snap->subjects[it->subject].name, it->v->version, it->v->id);
		}
		for (i = ctx->ntopo; i-- > 0;) {
			const import_item *it = &ctx->items[ctx->topo[i]];

			if (it->soft_delete && !ctx->remote->json)
				printf("would soft-delete %s version %d\n",
					snap->subjects[it->subject].name, it->v->version);
		}
		ctx->copied = ncopy;
		ctx->soft_deleted = ndelete;
		return 0;
	}
	/* Soft deletes too: a READONLY target refuses them, IMPORT does not. */
	if (ncopy || ndelete) {
		subject_modes = regit_calloc(snap->nsubjects + 1, sizeof(*subject_modes));
		if (!subject_modes)
			return import_oom();
		error = import_get_mode(&global, ctx->target, NULL);
		if (error == 0)
			error = import_put_mode(ctx->target, NULL, "IMPORT");
		if (error < 0) {
			regit_free(global);
			global = NULL;   /* not switched: nothing to put back */
		}
		/* A subject's own mode wins over the global one. */
		for (s = 0; s < snap->nsubjects && error == 0; s++) {
			int any = 0;
			char *mode = NULL;

			for (i = ctx->offset[s]; i < ctx->offset[s] + snap->subjects[s].nversions; i++)
				any |= ctx->items[i].copy || ctx->items[i].soft_delete;
			if (!any)
				continue;
			error = import_get_mode(&mode, ctx->target, snap->subjects[s].name);
			if (error == 0 && mode && strcmp(mode, "IMPORT") != 0) {
				error = import_put_mode(ctx->target, snap->subjects[s].name, "IMPORT");
				if (error == 0) {
					subject_modes[s] = mode;
					mode = NULL;
				}
			}
			regit_free(mode);
		}
	}
	for (i = 0; i < ctx->ntopo && error == 0; i++) {
		const import_item *it = &ctx->items[ctx->topo[i]];

		error = import_interrupted();
		if (it->copy && error == 0) {
			error = import_register(ctx, it);
			ctx->copied += error == 0;
		}
	}
	for (i = ctx->ntopo; i-- > 0 && error == 0;) {
		const import_item *it = &ctx->items[ctx->topo[i]];

		error = import_interrupted();
		if (it->soft_delete && error == 0) {
			error = import_soft_delete(ctx, it);
			ctx->soft_deleted += error == 0;
		}
	}
	/* Put the modes back, also after a failure (its message is kept). */
	for (s = 0; subject_modes && s < snap->nsubjects; s++) {
		if (!subject_modes[s])
			continue;
		restore = import_put_mode(ctx->target, snap->subjects[s].name, subject_modes[s]);
		if (restore < 0)
			fprintf(stderr, "regit import: cannot put the mode of subject '%s' back to "
				"%s: %s\n", snap->subjects[s].name, subject_modes[s], regit_error_message());
		if (restore < 0 && error == 0)
			error = restore;
		regit_free(subject_modes[s]);
	}
	if (global) {
		char kept[512];

		snprintf(kept, sizeof(kept), "%s", error < 0 ? regit_error_message() : "");
		restore = import_put_mode(ctx->target, NULL, global);
		if (restore < 0) {
			fprintf(stderr, "regit import: cannot put the target's mode back to %s: %s; "
				"set it with PUT /mode\n", global, regit_error_message());
			if (error == 0)
				error = restore;
		} else if (error < 0) {
			regit_error_set(REGIT_ERROR_CLI, "%s", kept);
		}
		if (restore == 0 && !ctx->remote->json)
			printf("target mode back to %s\n", global);
	}
	regit_free(global);
	regit_free(subject_modes);
	return error;
}

/* {"compatibilityLevel": L, ...} as read -> {"compatibility": L, ...} as PUT takes it. */
static json_t *import_config_body(const json_t *config)
{
	json_t *body = json_deep_copy(config), *level;

	if (!body)
		return NULL;
	level = json_object_get(body, "compatibilityLevel");
	if (level && (json_object_set(body, "compatibility", level) < 0 ||
	    json_object_del(body, "compatibilityLevel") < 0)) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* Copy one scope's config when the target's differs. */
static int import_config(import_ctx *ctx, const char *subject, const json_t *config)
{
	regit_buf path = REGIT_BUF_INIT;
	json_t *have = NULL, *body = NULL;
	char *text = NULL;
	int error;

	error = regit_buf_puts(&path, "/config");
	if (error == 0 && subject)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_client_request(&have, ctx->target, "GET", regit_buf_cstr(&path), NULL);
	if (error == REGIT_ENOTFOUND) {
		regit_error_clear();
		error = 0;
	}
	if (error < 0 || (have && json_equal(have, config)))
		goto done;
	body = import_config_body(config);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text) {
		error = import_oom();
		goto done;
	}
	if (!ctx->dry_run)
		error = regit_client_request(NULL, ctx->target, "PUT", regit_buf_cstr(&path), text);
	if (error == 0) {
		ctx->configs++;
		if (!ctx->remote->json)
			printf("%sconfig %s: %s\n", ctx->dry_run ? "would set " : "",
				subject ? subject : "(global)", text);
	}
done:
	regit_free(text);
	json_decref(body);
	json_decref(have);
	regit_buf_dispose(&path);
	return error;
}

static int import_settings(import_ctx *ctx)
{
	const regit_snapshot *snap = ctx->snap;
	char *have = NULL;
	size_t s;
	int error = 0;

	if (snap->config)
		error = import_config(ctx, NULL, snap->config);
	for (s = 0; s < snap->nsubjects && error == 0; s++)
		if (snap->subjects[s].config)
			error = import_config(ctx, snap->subjects[s].name, snap->subjects[s].config);
	/* Modes last: READONLY refuses config changes and deletes. */
	for (s = 0; s < snap->nsubjects && error == 0; s++) {
		const regit_snapshot_subject *sub = &snap->subjects[s];

		if (!sub->mode)
			continue;
		error = import_get_mode(&have, ctx->target, sub->name);
		if (error == 0 && (!have || strcmp(have, sub->mode) != 0)) {
			if (!ctx->dry_run)
				error = import_put_mode(ctx->target, sub->name, sub->mode);
			if (error == 0) {
				ctx->modes++;
				if (!ctx->remote->json)
					printf("%smode %s: %s\n", ctx->dry_run ? "would set " : "",
						sub->name, sub->mode);
			}
		}
		regit_free(have);
		have = NULL;
	}
	return error;
}

static void import_ctx_dispose(import_ctx *ctx)
{
	size_t s;

	for (s = 0; ctx->snap && ctx->tversions && s < ctx->snap->nsubjects; s++)
		regit_client_schemas_free(ctx->tversions[s], ctx->ntversions[s]);
	regit_free(ctx->tversions);
	regit_free(ctx->ntversions);
	regit_free(ctx->offset);
	regit_free(ctx->items);
	regit_free(ctx->topo);
	regit_snapshot_free(ctx->snap);
	regit_client_free(ctx->source);
	regit_client_free(ctx->target);
}

int regit_cmd_import(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	regit_remote remote = REGIT_REMOTE_INIT("import");
	regit_remote from = REGIT_REMOTE_INIT("import");
	import_ctx ctx;
	const char *from_url = NULL, *from_user = NULL, *from_user_file = NULL, *prefix = NULL;
	json_t *out = NULL;
	int m, from_dir, error = 0, rc = REGIT_EXIT_OK;

	memset(&ctx, 0, sizeof(ctx));
	ctx.remote = &remote;
	if (regit_opt_help_requested(&regit_cmd_import_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_import_opts;
	from.opt = &regit_cmd_import_opts;
	regit_opt_parser_init(&p, &regit_cmd_import_opts, argc, argv);
	for (;;) {
		m = regit_remote_next(&o, &p, &remote);
		if (m <= 0)
			break;
		switch (o.spec ? o.spec->id : 0) {
		case IMPORT_OPT_FROM:
			from_url = o.value;
			break;
		case IMPORT_OPT_FROM_USER_FILE:
			from_user_file = o.value;
			break;
		case IMPORT_OPT_FROM_USER:
			from_user = o.value;
			break;
		case IMPORT_OPT_SUBJECT_PREFIX:
			prefix = o.value;
			break;
		case IMPORT_OPT_DRY_RUN:
			ctx.dry_run = 1;
			break;
		default:
			return regit_remote_usage_error(&remote, "unexpected argument '%s'", o.value);
		}
	}
	if (m < 0)
		return REGIT_EXIT_USAGE;
	if (!from_url || !*from_url)
		return regit_remote_usage_error(&remote, "--from SOURCE_URL is required");
	if (prefix) {
		/* jansson refuses invalid UTF-8 when making a string: use it as the check. */
		json_t *probe = json_string(prefix);

		if (!probe)
			return regit_remote_usage_error(&remote, "--subject-prefix is not valid UTF-8");
		json_decref(probe);
	}
	if (from_user && from_user_file)
		return regit_remote_usage_error(&remote,
			"source credentials given twice (--from-user, --from-user-file)");
	from_dir = strncmp(from_url, "http://", 7) != 0 && strncmp(from_url, "https://", 8) != 0;
	if (from_dir && prefix)
		return regit_remote_usage_error(&remote, "--subject-prefix needs a registry as "
			"the source; export with --subject-prefix instead");
	from.client = remote.client;
	from.client.url = from_url;
	/* Never the target's $REGIT_REGISTRY_AUTH: "" means no credentials
	 * (a user:pass@ in the URL still counts). */
	from.client.userpass = getenv(IMPORT_ENV_FROM_AUTH) ? getenv(IMPORT_ENV_FROM_AUTH) : "";
	if (from_user_file || (from_user && strcmp(from_user, "-") == 0)) {
		from.user_file = from_user_file ? from_user_file : "-";
	} else if (from_user) {
		from.client.userpass = from_user;
		if (*from_user)
			fprintf(stderr, "regit import: warning: --from-user USER:PASS is visible to "
				"other local users (ps, /proc); use $" IMPORT_ENV_FROM_AUTH
				" or --from-user-file FILE\n");
	}
	if (from.user_file && remote.user_file && strcmp(from.user_file, "-") == 0 &&
	    strcmp(remote.user_file, "-") == 0)
		return regit_remote_usage_error(&remote,
			"only one of the source and target credentials can come from stdin");

	if (from_dir) {
		error = regit_snapshot_load_dir(&ctx.snap, from_url);
		if (error == 0)
			error = regit_remote_connect(&ctx.target, &remote);
		if (error < 0)
			goto done;
	} else {
		error = regit_remote_connect(&ctx.source, &from);
		if (error == 0)
			error = regit_remote_connect(&ctx.target, &remote);
		if (error == 0) {
			error = regit_snapshot_read(&ctx.snap, ctx.source, prefix, 1);
			import_say_where(error, "source", ctx.source);
		}
		if (error < 0)
			goto done;
	}
	error = import_plan(&ctx);
	if (error == 0) {
		import_catch_signals();
		error = import_versions(&ctx);
	}
	if (error == 0)
		error = import_settings(&ctx);
	if (error < 0)
		goto done;
	if (remote.json) {
		out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}", "copied", (json_int_t)ctx.copied,
			"soft_deleted", (json_int_t)ctx.soft_deleted, "present", (json_int_t)ctx.present,
			"configs", (json_int_t)ctx.configs, "modes", (json_int_t)ctx.modes,
			"dry_run", ctx.dry_run);
		error = out ? regit_remote_print_json(out) : import_oom();
	} else {
		printf("%s %zu version%s (%zu soft-deleted), %zu already there, "
			"%zu config%s and %zu mode%s set\n",
			ctx.dry_run ? "would copy" : "copied", ctx.copied, ctx.copied == 1 ? "" : "s",
			ctx.soft_deleted, ctx.present, ctx.configs, ctx.configs == 1 ? "" : "s",
			ctx.modes, ctx.modes == 1 ? "" : "s");
	}
done:
	if (error < 0)
		rc = regit_remote_fail(&remote, error, error == REGIT_EEXISTS);
	json_decref(out);
	import_ctx_dispose(&ctx);
	return rc;
}
