/*
 * test_registry_oom.c - every registry operation under allocation failure
 * (issue #11), on the in-memory store (regit_registry_open_store over
 * regit_store_open_mem), so a run needs no disk and takes seconds.
 *
 * For each operation: n = 0, 1, 2, ... allocations succeed, every later
 * one fails (regit_alloc_fail_after). The operation must return 0 or
 * REGIT_ENOMEM, nothing else. After a failure, with injection off, the
 * registry must read exactly as before (a dump of subjects, versions,
 * ids, schemas, references, configs, modes and the store's health) and
 * the store's head must not have moved; the same operation then
 * succeeds. After a success the registry must read as after a run without
 * injection. Each loop must hit REGIT_ENOMEM at least once and end in a
 * success, so it cannot pass vacuously. Leaks are found by ASan's leak
 * check (make check-build SANITIZE=1). Each n starts from a fresh world
 * (store, registry, the same fixture), so one failure cannot hide behind
 * another. Two exceptions, each stated where the operation is declared
 * (oom_op): the concurrent registrations check each failed one for no
 * trace instead of the whole state, and a registration may be stored but
 * answered REGIT_ENOMEM with the index left at the state before it until
 * a refresh (counted and printed; registry/README.md "Allocation
 * failures").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* Work bound: loops with more allocations than this step over some n. */
#define OOM_MAX_STEPS 1500

#define USER_V1 "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}]}"
#define USER_V2 "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}," \
	"{\"name\":\"name\",\"type\":\"string\",\"default\":\"\"}]}"
#define USER_V3 "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}," \
	"{\"name\":\"name\",\"type\":\"string\",\"default\":\"\"}," \
	"{\"name\":\"age\",\"type\":\"int\",\"default\":0}]}"
#define LIB_V1 "{\"type\":\"record\",\"name\":\"Lib\",\"namespace\":\"x\",\"fields\":[{\"name\":\"v\",\"type\":\"long\"}]}"
#define USES_LIB "{\"type\":\"record\",\"name\":\"Uses\",\"fields\":[{\"name\":\"lib\",\"type\":\"x.Lib\"}]}"
#define USES_LIB2 "{\"type\":\"record\",\"name\":\"Uses2\",\"fields\":[{\"name\":\"l\",\"type\":\"x.Lib\"}]}"
#define OTHER "{\"type\":\"record\",\"name\":\"Other\",\"fields\":[{\"name\":\"o\",\"type\":\"string\"}]}"
#define SHARED "{\"type\":\"record\",\"name\":\"Shared\",\"fields\":[{\"name\":\"s\",\"type\":\"int\"}]}"

/* Threads of the concurrent registrations. */
#define GROUP 4

static const regit_reference lib_ref[] = { { "x.Lib", "lib", 1 } };

/* ---- a world: a mem store, a registry over it, the fixture ------------------- */

typedef struct world {
	regit_store *store;
	regit_registry *reg;
	regit_registry *other;   /* a second registry on the same store (reload) */
	int group_rc[GROUP];         /* op_register_group: each thread's outcome */
	int group_stored[GROUP];     /* ... and whether its answer said "was stored" */
} world;

static regit_register_request request(const char *subject, const char *schema)
{
	regit_register_request req;

	memset(&req, 0, sizeof(req));
	req.subject = subject;
	req.schema = schema;
	req.schema_len = strlen(schema);
	return req;
}

static int do_register(regit_registry *reg, const char *subject, const char *schema,
	const regit_reference *refs, size_t nrefs)
{
	regit_register_request req = request(subject, schema);
	regit_register_result res;

	req.refs = refs;
	req.nrefs = nrefs;
	return regit_registry_register(reg, &req, &res);
}

static void must(int rc, const char *what)
{
	if (rc != 0)
		fail_msg("fixture %s: %d %s", what, rc, regit_error_message());
}

/*
 * The fixture: "a" v1, v2 (config FULL); "lib" v1 (mode READONLY); "c" v1
 * referencing lib v1; "d" v1 (soft-deleted), v2; "s" v1, soft-deleted as a
 * subject; a global config (FORWARD, normalize). Server default BACKWARD.
 */
static void world_open(world *w)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_config cfg, out;
	int del;
	int *vs = NULL;
	size_t nvs = 0;

	memset(w, 0, sizeof(*w));
	regit_alloc_fail_after(-1);    /* also after a test that failed with injection on */
	opts.default_level = REGIT_LEVEL_BACKWARD;
	opts.default_strict = 0;
	must(regit_store_open_mem(&w->store, NULL), "store");
	must(regit_registry_open_store(&w->reg, w->store, &opts), "open");
	must(do_register(w->reg, "a", USER_V1, NULL, 0), "a v1");
	must(do_register(w->reg, "a", USER_V2, NULL, 0), "a v2");
	must(do_register(w->reg, "lib", LIB_V1, NULL, 0), "lib v1");
	must(do_register(w->reg, "c", USES_LIB, lib_ref, 1), "c v1");
	must(do_register(w->reg, "d", USER_V1, NULL, 0), "d v1");
	must(do_register(w->reg, "d", USER_V2, NULL, 0), "d v2");
	must(regit_registry_delete_version(w->reg, "d", 1, 0, NULL, &del), "d soft");
	must(do_register(w->reg, "s", OTHER, NULL, 0), "s v1");
	must(regit_registry_delete_subject(w->reg, "s", 0, NULL, &vs, &nvs), "s soft");
	regit_free(vs);
	memset(&cfg, 0, sizeof(cfg));
	cfg.has_level = 1;
	cfg.level = REGIT_LEVEL_FULL;
	must(regit_registry_set_config(w->reg, "a", &cfg, NULL, &out), "a config");
	cfg.level = REGIT_LEVEL_FORWARD;
	cfg.has_normalize = 1;
	cfg.normalize = 1;
	must(regit_registry_set_config(w->reg, NULL, &cfg, NULL, &out), "global config");
	must(regit_registry_set_mode(w->reg, "lib", REGIT_MODE_READONLY, 0, NULL), "lib mode");
}

static void world_close(world *w)
{
	regit_registry_free(w->other);
	regit_registry_free(w->reg);
	regit_store_free(w->store);
	memset(w, 0, sizeof(*w));
}

/* ---- the dump: what a client can read ------------------------------------------- */

static void dump_refs(regit_buf *b, const regit_reference *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(regit_buf_printf(b, " ref(%s,%s,%d)", r[i].name, r[i].subject,
			r[i].version), 0);
}

static int dump_version(const regit_version *v, void *payload)
{
	regit_buf *b = payload;

	assert_int_equal(regit_buf_printf(b, "  v%d id=%d del=%d %.*s", v->version, v->id,
		v->deleted, (int)v->schema_len, v->schema), 0);
	dump_refs(b, v->refs, v->nrefs);
	assert_int_equal(regit_buf_puts(b, "\n"), 0);
	return 0;
}

static void dump_config(regit_buf *b, regit_registry *reg, const char *subject)
{
	regit_config c;
	regit_mode m = REGIT_MODE_READWRITE;
	int rc, mrc;

	memset(&c, 0, sizeof(c));
	rc = regit_registry_get_config(reg, subject, 0, &c);
	mrc = regit_registry_get_mode(reg, subject, 0, &m);
	assert_int_equal(regit_buf_printf(b, "  config rc=%d %d:%d %d:%d %d:%d %d:%d mode rc=%d %d\n",
		rc, c.has_level, rc == 0 && c.has_level ? (int)c.level : 0,
		c.has_normalize, rc == 0 && c.has_normalize ? c.normalize : 0,
		c.has_strict, rc == 0 && c.has_strict ? c.strict : 0,
		c.has_lint, rc == 0 && c.has_lint ? (int)c.lint : 0, mrc, mrc == 0 ? (int)m : 0), 0);
}

typedef struct names {
	char *v[64];
	size_t n;
} names;

static int collect_subject(const char *subject, void *payload)
{
	names *ns = payload;

	assert_true(ns->n < 64);
	ns->v[ns->n] = strdup(subject);
	assert_non_null(ns->v[ns->n]);
	ns->n++;
	return 0;
}

/* What the registry serves, as text (malloc'd); injection must be off. */
static char *dump(regit_registry *reg)
{
	regit_list_filter f = { NULL, 1, 0, 0 };
	regit_registry_stats st;
	regit_buf b = REGIT_BUF_INIT;
	names ns = { { NULL }, 0 };
	char *out;
	size_t i;
	int id, max;

	regit_registry_stats_get(reg, &st);
	assert_int_equal(regit_buf_printf(&b, "subjects=%zu schemas=%zu versions=%zu ok=%d %s\n",
		st.subjects, st.schemas, st.versions, st.store_ok, st.store_message), 0);
	dump_config(&b, reg, NULL);
	assert_int_equal(regit_registry_list_subjects(reg, &f, collect_subject, &ns), 0);
	for (i = 0; i < ns.n; i++) {
		assert_int_equal(regit_buf_printf(&b, "subject %s\n", ns.v[i]), 0);
		assert_int_equal(regit_registry_list_versions(reg, ns.v[i], &f, dump_version, &b), 0);
		dump_config(&b, reg, ns.v[i]);
		free(ns.v[i]);
	}
	max = regit_registry_max_id(reg);
	assert_int_equal(regit_buf_printf(&b, "max_id=%d\n", max), 0);
	for (id = 1; id <= max; id++) {
		const regit_schema_entry *e = NULL;
		int rc;

		regit_registry_read_begin(reg);
		rc = regit_registry_get_schema(reg, id, &e);
		if (rc == 0) {
			assert_int_equal(regit_buf_printf(&b, "id %d %.*s", id, (int)e->schema_len,
				e->schema), 0);
			dump_refs(&b, e->refs, e->nrefs);
		} else {
			assert_int_equal(regit_buf_printf(&b, "id %d rc=%d", id, rc), 0);
		}
		regit_registry_read_end(reg);
		assert_int_equal(regit_buf_puts(&b, "\n"), 0);
	}
	out = strdup(b.ptr ? b.ptr : "");
	assert_non_null(out);
	regit_buf_dispose(&b);
	return out;
}

static void assert_same(const char *what, const char *want, const char *got, long n)
{
	if (strcmp(want, got) != 0) {
		fprintf(stderr, "%s, n=%ld: the registry's state differs\n--- want\n%s--- got\n%s",
			what, n, want, got);
		fail_msg("%s, n=%ld: the registry's state differs (above)", what, n);
	}
}

/* The last operation's error message (the thread's last error: code and message). */
static _Thread_local char last_msg[4200];
/* The loop retries an operation whose write was stored (oom_op.stored_ok). */
static int retrying_stored;
/* The loop's n, for messages of operations that check their own results. */
static long cur_n;

static int noted(int rc)
{
	if (rc < 0)
		snprintf(last_msg, sizeof(last_msg), "%d %s", regit_error_api_code(), regit_error_message());
	return rc;
}

/* ---- the loop ------------------------------------------------------------------- */

/* An operation: prepare (not injected), then run (injected); 0 or an error. */
typedef struct oom_op {
	const char *name;
	void (*prep)(world *w);
	int (*run)(world *w);
	int reads;               /* a read: the state cannot change */
	/*
	 * Several operations in one (concurrent registrations): after a
	 * failure some may have landed, so instead of "as before" this checks
	 * that each failed one left no trace. NULL for single operations.
	 */
	void (*check_failed)(world *w, long n);
	/*
	 * A registration whose commit landed but whose apply to the index and
	 * then the forced reload both ran out of memory is stored but not
	 * served: it answers REGIT_ENOMEM saying "was stored", the index stays
	 * exactly at the state before it until the next write or refresh, and
	 * a refresh must then show the write (registry/README.md "Allocation
	 * failures"). Until stop 12 it answered success while its client could
	 * not read it back.
	 */
	int stored_ok;
} oom_op;

static char *dump_store_head(world *w)
{
	char head[REGIT_STORE_OID_HEX];

	assert_int_equal(regit_store_head(w->store, head), 0);
	return strdup(head);
}

static void oom_loop(const oom_op *op)
{
	world w;
	char *want_after, *before_ref;
	unsigned long total, start;
	long n, step, nomem = 0, stored = 0;
	int rc, last = -1, final;

	/* The reference run: how many allocations, and the state after. */
	world_open(&w);
	if (op->prep)
		op->prep(&w);
	before_ref = dump(w.reg);
	/* injection on, never reached: the schema arena's recycled chunks
	 * count as allocations only then (regit_alloc__should_fail) */
	start = regit_alloc_count();
	cur_n = -1;
	regit_alloc_fail_after(1L << 40);
	rc = op->run(&w);
	regit_alloc_fail_after(-1);
	total = regit_alloc_count() - start;
	if (rc != 0)
		fail_msg("%s: fails without injection: %d %s", op->name, rc, last_msg);
	want_after = dump(w.reg);
	if (op->reads)
		assert_same(op->name, before_ref, want_after, -1);
	world_close(&w);
	if (total == 0)
		fail_msg("%s: allocates nothing; leave it out of the loop", op->name);
	step = (long)(total / OOM_MAX_STEPS) + 1;

	/* the last run is well past the reference run's count: concurrent
	 * registrations batch differently from run to run */
	for (n = 0, final = 0; !final; n += step) {
		char *before, *after, *head_before, *head_after;

		if (n > (long)total + 2) {
			n = 2 * (long)total + 16;
			final = 1;
		}
		world_open(&w);
		if (op->prep)
			op->prep(&w);
		before = dump(w.reg);
		assert_same(op->name, before_ref, before, n);
		head_before = dump_store_head(&w);
		last_msg[0] = '\0';
		cur_n = n;
		regit_alloc_fail_after(n);
		rc = op->run(&w);
		regit_alloc_fail_after(-1);
		if (final)
			last = rc;
		after = dump(w.reg);
		head_after = dump_store_head(&w);
		if (rc == REGIT_ENOMEM) {
			int moved = strcmp(head_before, head_after) != 0;

			nomem++;
			/* stored, not served: the answer says so, the state is
			 * exactly the one before, and a refresh serves the write */
			if (moved && op->stored_ok) {
				stored++;
				/* (a group's answers are on its threads: check_failed) */
				if (!op->check_failed && !strstr(last_msg, "was stored"))
					fail_msg("%s, n=%ld: stored but the answer does not say so:"
						" %s", op->name, n, last_msg);
			} else if (moved) {
				fail_msg("%s, n=%ld: failed with ENOMEM, yet the store moved",
					op->name, n);
			}
			if (op->check_failed)
				op->check_failed(&w, n);
			else
				assert_same(op->name, before, after, n);
			if (moved)
				assert_int_equal(regit_registry_refresh(w.reg), 0);
			retrying_stored = moved;
			rc = op->run(&w);
			retrying_stored = 0;
			if (rc != 0)
				fail_msg("%s, n=%ld: fails again after an allocation failure: %d %s",
					op->name, n, rc, last_msg);
			free(after);
			after = dump(w.reg);
			assert_same(op->name, want_after, after, n);
		} else if (rc == 0) {
			assert_same(op->name, want_after, after, n);
		} else {
			fail_msg("%s, n=%ld: returned %d (%s), not 0 or REGIT_ENOMEM", op->name, n, rc,
				last_msg);
		}
		free(before);
		free(after);
		free(head_before);
		free(head_after);
		world_close(&w);
	}
	free(before_ref);
	free(want_after);
	if (nomem == 0)
		fail_msg("%s: never failed with REGIT_ENOMEM", op->name);
	/* the last n is past every allocation: it must succeed */
	assert_int_equal(last, 0);
	print_message("%-24s %6lu allocations, %5ld ENOMEM, step %ld%s", op->name, total, nomem,
		step, stored ? "" : "\n");
	if (stored)
		print_message(", %ld moved the store yet answered ENOMEM (stored, served after a"
			" refresh)\n", stored);
}

/* ---- the operations ----------------------------------------------------------------- */

/* A registration through the API's error object: ENOMEM must stay ENOMEM. */
static int reg_one(world *w, const char *subject, const char *schema,
	const regit_reference *refs, size_t nrefs, int want_existed)
{
	regit_register_request req = request(subject, schema);
	regit_register_result res;
	int rc;

	req.refs = refs;
	req.nrefs = nrefs;
	rc = noted(regit_registry_register(w->reg, &req, &res));
	/* (a retry of a write that was stored finds it there) */
	if (rc == 0 && !retrying_stored)
		assert_int_equal(res.existed, want_existed);
	return rc;
}

static int op_register_new_subject(world *w)
{
	return reg_one(w, "n", OTHER, NULL, 0, 0);
}

static int op_register_new_version(world *w)
{
	return reg_one(w, "a", USER_V3, NULL, 0, 0);
}

static int op_register_again(world *w)
{
	return reg_one(w, "a", USER_V2, NULL, 0, 1);
}

static int op_register_refs(world *w)
{
	return reg_one(w, "e", USES_LIB2, lib_ref, 1, 0);
}

static int op_register_known_id(world *w)
{
	return reg_one(w, "b", USER_V1, NULL, 0, 0);
}

/* ---- concurrent registrations (group commit) ---- */


typedef struct group_arg {
	world *w;
	int i;
	int rc;
	char msg[4200];
} group_arg;

static void *group_main(void *arg)
{
	group_arg *g = arg;
	regit_register_request req;
	regit_register_result res;
	char subject[16];

	snprintf(subject, sizeof(subject), "g%d", g->i);
	req = request(subject, SHARED);
	g->rc = noted(regit_registry_register(g->w->reg, &req, &res));
	snprintf(g->msg, sizeof(g->msg), "%s", last_msg);
	return NULL;
}

/*
 * GROUP threads register the same schema under their own subjects (one
 * id whatever the order, so the state after is one state). With injection
 * on, some may fail: each failed one must fail with ENOMEM and leave no
 * trace, which the loop checks on the whole by running the group again
 * (the ones that landed are idempotent then).
 */
static int op_register_group(world *w)
{
	pthread_t th[GROUP];
	group_arg g[GROUP];
	int i, rc = 0;

	for (i = 0; i < GROUP; i++) {
		g[i].w = w;
		g[i].i = i;
		g[i].rc = 0;
		assert_int_equal(pthread_create(&th[i], NULL, group_main, &g[i]), 0);
	}
	for (i = 0; i < GROUP; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < GROUP; i++) {
		if (g[i].rc != 0 && g[i].rc != REGIT_ENOMEM)
			fail_msg("group registration %d, n=%ld: %d %s", i, cur_n, g[i].rc, g[i].msg);
		w->group_rc[i] = g[i].rc;
		w->group_stored[i] = g[i].rc != 0 && strstr(g[i].msg, "was stored") != NULL;
		if (g[i].rc != 0)
			rc = g[i].rc;
	}
	return rc;
}

/* A failed registration of the group left no trace: its subject is unknown
 * (unless its answer said it was stored: a later batch may load it). */
static void group_check_failed(world *w, long n)
{
	const regit_version *v = NULL;
	char subject[16];
	int i, rc;

	for (i = 0; i < GROUP; i++) {
		if (w->group_rc[i] == 0 || w->group_stored[i])
			continue;
		snprintf(subject, sizeof(subject), "g%d", i);
		regit_registry_read_begin(w->reg);
		rc = regit_registry_get_version(w->reg, subject, REGIT_VERSION_LATEST, 1, &v);
		regit_registry_read_end(w->reg);
		if (rc != REGIT_ENOTFOUND)
			fail_msg("register_group, n=%ld: %s failed with ENOMEM, yet reads %d", n,
				subject, rc);
	}
}

/* ---- reads ---- */

static int op_lookup(world *w)
{
	regit_register_request req = request("c", USES_LIB);
	const regit_version *v = NULL;
	int rc;

	req.refs = lib_ref;
	req.nrefs = 1;
	regit_registry_read_begin(w->reg);
	rc = noted(regit_registry_lookup(w->reg, &req, 0, &v));
	if (rc == 0)
		assert_int_equal(v->version, 1);
	regit_registry_read_end(w->reg);
	return rc;
}

static int count_referrer(const regit_version *v, void *payload)
{
	(void)v;
	(*(int *)payload)++;
	return 0;
}

static int op_referenced_by(world *w)
{
	int n = 0, rc;

	rc = noted(regit_registry_referenced_by(w->reg, "lib", 1, 0, count_referrer, &n));
	if (rc == 0)
		assert_int_equal(n, 1);
	return rc;
}

static int op_guid(world *w)
{
	char guid[REGIT_GUID_LEN + 1];
	const regit_schema_entry *e = NULL;
	int rc;

	rc = noted(regit_registry_schema_guid(w->reg, 3, guid));
	if (rc < 0)
		return rc;
	regit_registry_read_begin(w->reg);
	rc = noted(regit_registry_get_schema_by_guid(w->reg, guid, &e));
	if (rc == 0)
		assert_int_equal(e->id, 3);
	regit_registry_read_end(w->reg);
	return rc;
}

static int op_resolved(world *w)
{
	regit_buf b = REGIT_BUF_INIT;
	int rc = noted(regit_registry_schema_resolved(w->reg, 4, &b));

	regit_buf_dispose(&b);
	return rc;
}

static int op_test_compat(world *w)
{
	regit_register_request req = request("a", USER_V3);
	char **msgs = NULL;
	int compatible = 0, rc;
	size_t i;

	rc = noted(regit_registry_test_compat(w->reg, &req, 0, 1, &compatible, &msgs));
	for (i = 0; msgs && msgs[i]; i++)
		regit_free(msgs[i]);
	regit_free(msgs);
	if (rc == 0)
		assert_int_equal(compatible, 1);
	return rc;
}

static int op_check_report(world *w)
{
	regit_register_request req = request("a", USER_V1);
	regit_check_report r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = noted(regit_registry_check_report(w->reg, &req, 0, -1, &r));
	regit_check_report_dispose(&r);
	return rc;
}

static int op_version_text(world *w)
{
	regit_buf b = REGIT_BUF_INIT;
	int id = 0, rc;

	rc = noted(regit_registry_version_text(w->reg, "c", 1, REGIT_TEXT_RESOLVED, &b, &id));
	if (rc == 0)
		rc = noted(regit_registry_version_text(w->reg, "a", 2, REGIT_TEXT_CANONICAL, &b, &id));
	regit_buf_dispose(&b);
	return rc;
}

static int count_history(const regit_history_entry *e, void *payload)
{
	(void)e;
	(*(int *)payload)++;
	return 0;
}

static int op_history(world *w)
{
	char next[REGIT_STORE_OID_HEX];
	int n = 0, rc;

	rc = noted(regit_registry_subject_history(w->reg, "a", NULL, 0, 100, count_history, &n, next));
	if (rc == 0)
		assert_int_equal(n, 3);
	return rc;
}

static void count_origin(size_t i, const regit_history_entry *e, void *payload)
{
	(void)i;
	(void)e;
	(*(int *)payload)++;
}

static int op_origins(world *w)
{
	static const int versions[] = { 1, 2 };
	int n = 0, rc;

	rc = noted(regit_registry_version_origins(w->reg, "a", versions, 2, count_origin, &n));
	if (rc == 0)
		assert_int_equal(n, 2);
	return rc;
}

/* ---- deletes ---- */

static int op_soft_delete_version(world *w)
{
	int out = 0;

	return noted(regit_registry_delete_version(w->reg, "a", 1, 0, NULL, &out));
}

static int op_hard_delete_version(world *w)
{
	int out = 0;

	return noted(regit_registry_delete_version(w->reg, "d", 1, 1, NULL, &out));
}

static int op_soft_delete_subject(world *w)
{
	int *vs = NULL;
	size_t n = 0;
	int rc = noted(regit_registry_delete_subject(w->reg, "a", 0, NULL, &vs, &n));

	regit_free(vs);
	return rc;
}

static int op_hard_delete_subject(world *w)
{
	int *vs = NULL;
	size_t n = 0;
	int rc = noted(regit_registry_delete_subject(w->reg, "s", 1, NULL, &vs, &n));

	regit_free(vs);
	return rc;
}

/* ---- settings ---- */

static int op_set_config(world *w)
{
	regit_config cfg, out;

	memset(&cfg, 0, sizeof(cfg));
	cfg.has_level = 1;
	cfg.level = REGIT_LEVEL_NONE;
	cfg.has_strict = 1;
	cfg.strict = 1;
	return noted(regit_registry_set_config(w->reg, "c", &cfg, NULL, &out));
}

static int op_set_global_config(world *w)
{
	regit_config cfg, out;

	memset(&cfg, 0, sizeof(cfg));
	cfg.has_lint = 1;
	cfg.lint = REGIT_LINT_POLICY_WARN;
	return noted(regit_registry_set_config(w->reg, NULL, &cfg, NULL, &out));
}

static int op_delete_config(world *w)
{
	regit_config out;

	return noted(regit_registry_delete_config(w->reg, "a", NULL, &out));
}

static int op_delete_global_config(world *w)
{
	regit_config out;

	return noted(regit_registry_delete_config(w->reg, NULL, NULL, &out));
}

static int op_set_mode(world *w)
{

	return noted(regit_registry_set_mode(w->reg, "a", REGIT_MODE_READONLY, 0, NULL));
}

static int op_set_global_mode(world *w)
{

	return noted(regit_registry_set_mode(w->reg, NULL, REGIT_MODE_IMPORT, 1, NULL));
}

static int op_delete_mode(world *w)
{
	regit_mode out;

	return noted(regit_registry_delete_mode(w->reg, "lib", NULL, &out));
}

/* ---- open: a second registry over the populated store ---- */

static int op_open(world *w)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_registry *reg = NULL;
	char *a, *b;
	int rc;

	opts.default_level = REGIT_LEVEL_BACKWARD;
	opts.default_strict = 0;
	rc = noted(regit_registry_open_store(&reg, w->store, &opts));
	if (rc < 0) {
		assert_null(reg);
		return rc;
	}
	/* it serves what the first one does (injection off for the dumps) */
	regit_alloc_fail_after(-1);
	a = dump(w->reg);
	b = dump(reg);
	assert_same("open", a, b, cur_n);
	free(a);
	free(b);
	regit_registry_free(reg);
	return 0;
}

/* ---- reload: another registry on the same store moved the head ---- */

static void prep_reload(world *w)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_config cfg, out;
	int del;

	opts.default_level = REGIT_LEVEL_BACKWARD;
	opts.default_strict = 0;
	must(regit_registry_open_store(&w->other, w->store, &opts), "second registry");
	must(do_register(w->other, "a", USER_V3, NULL, 0), "a v3 elsewhere");
	must(do_register(w->other, "e", USES_LIB2, lib_ref, 1), "e v1 elsewhere");
	must(regit_registry_delete_version(w->other, "d", 1, 1, NULL, &del), "d hard elsewhere");
	memset(&cfg, 0, sizeof(cfg));
	cfg.has_level = 1;
	cfg.level = REGIT_LEVEL_NONE;
	must(regit_registry_set_config(w->other, "c", &cfg, NULL, &out), "config elsewhere");
}

/*
 * A push (a commit straight to the store, no registry's seal): a new
 * version of "a" and a new subject "p", so the reload runs the policy's
 * compatibility check of pushed versions (reg_push_validate) too.
 */
static void prep_push(world *w)
{
	static const char meta_a3[] = "{\"subject\": \"a\", \"version\": 3, \"id\": 6, "
		"\"deleted\": false, \"ts\": 1, \"references\": []}\n";
	static const char meta_p1[] = "{\"subject\": \"p\", \"version\": 1, \"id\": 7, "
		"\"deleted\": false, \"ts\": 1, \"references\": [{\"name\": \"x.Lib\", "
		"\"subject\": \"lib\", \"version\": 1}]}\n";
	static const char root[] = "{\n  \"format\": 1,\n  \"next_id\": 8\n}\n";
	regit_store_change ch[5] = {
		{ "subjects/a/v3.avsc", USER_V3, sizeof(USER_V3) - 1, 0 },
		{ "subjects/a/v3.json", meta_a3, sizeof(meta_a3) - 1, 0 },
		{ "subjects/p/v1.avsc", USES_LIB2, sizeof(USES_LIB2) - 1, 0 },
		{ "subjects/p/v1.json", meta_p1, sizeof(meta_p1) - 1, 0 },
		{ "regit.json", root, sizeof(root) - 1, 0 },
	};
	char head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX];

	must(regit_store_head(w->store, head), "head");
	must(regit_store_commit(out, w->store, head, ch, 5, "a push", "someone"), "push");
}

static int op_reload(world *w)
{

	return noted(regit_registry_refresh(w->reg));
}

/* ---- reads that allocate nothing ---- */

static int count_version(const regit_version *v, void *payload)
{
	(void)v;
	(*(int *)payload)++;
	return 0;
}

static int count_subject(const char *subject, void *payload)
{
	(void)subject;
	(*(int *)payload)++;
	return 0;
}

/*
 * The reads served straight from the index (versions, ids, lists,
 * settings; not referenced_by, which collects and sorts) allocate nothing, so the loop has nothing to fail in them:
 * instead they must answer in full with every allocation failing.
 */
static void test_registry_oom__plain_reads_allocate_nothing(void **state)
{
	regit_list_filter all = { NULL, 1, 0, 0 }, live = { NULL, 0, 0, 0 };
	const regit_schema_entry *e = NULL;
	const regit_version *v = NULL;
	regit_config cfg;
	regit_mode mode;
	int subjects = 0, versions = 0, schemas = 0, users = 0;
	world w;

	(void)state;
	world_open(&w);
	regit_alloc_fail_after(0);
	regit_registry_read_begin(w.reg);
	assert_int_equal(regit_registry_get_version(w.reg, "a", REGIT_VERSION_LATEST, 0, &v), 0);
	assert_int_equal(v->version, 2);
	assert_int_equal(regit_registry_get_version(w.reg, "d", 1, 1, &v), 0);
	assert_int_equal(regit_registry_get_schema(w.reg, 4, &e), 0);
	assert_int_equal(e->nrefs, 1);
	assert_int_equal(regit_registry_list_subjects(w.reg, &all, count_subject, &subjects), 0);
	assert_int_equal(regit_registry_list_versions(w.reg, "a", &live, count_version, &versions), 0);
	assert_int_equal(regit_registry_list_schemas(w.reg, &all, count_version, &schemas), 0);
	assert_int_equal(regit_registry_id_versions(w.reg, 1, 1, count_version, &users), 0);
	assert_int_equal(regit_registry_max_id(w.reg), 5);
	regit_registry_read_end(w.reg);
	assert_int_equal(regit_registry_get_config(w.reg, "a", 0, &cfg), 0);
	assert_int_equal(regit_registry_get_mode(w.reg, "lib", 0, &mode), 0);
	regit_alloc_fail_after(-1);
	assert_int_equal(subjects, 5);
	assert_int_equal(versions, 2);
	assert_int_equal(schemas, 7);
	assert_int_equal(users, 2);
	assert_int_equal(cfg.level, REGIT_LEVEL_FULL);
	assert_int_equal(mode, REGIT_MODE_READONLY);
	world_close(&w);
}

/* ---- the tests ------------------------------------------------------------------------ */

#define OOM_TEST_WITH(fn, opfn, prepfn, reads, check, stored_ok) \
	static void fn(void **state) \
	{ \
		static const oom_op op = { #fn + sizeof("test_registry_oom__") - 1, prepfn, opfn, reads, check, stored_ok }; \
		(void)state; \
		oom_loop(&op); \
	}
#define OOM_TEST(fn, opfn, prepfn, reads) OOM_TEST_WITH(fn, opfn, prepfn, reads, NULL, 0)
/* a registration: may be stored but answered 50001 (oom_op.stored_ok) */
#define OOM_TEST_REG(fn, opfn, check) OOM_TEST_WITH(fn, opfn, NULL, 0, check, 1)

OOM_TEST_REG(test_registry_oom__register_new_subject, op_register_new_subject, NULL)
OOM_TEST_REG(test_registry_oom__register_new_version, op_register_new_version, NULL)
OOM_TEST_REG(test_registry_oom__register_again, op_register_again, NULL)
OOM_TEST_REG(test_registry_oom__register_refs, op_register_refs, NULL)
OOM_TEST_REG(test_registry_oom__register_known_id, op_register_known_id, NULL)
OOM_TEST_REG(test_registry_oom__register_group, op_register_group, group_check_failed)
OOM_TEST(test_registry_oom__lookup, op_lookup, NULL, 1)
OOM_TEST(test_registry_oom__referenced_by, op_referenced_by, NULL, 1)
OOM_TEST(test_registry_oom__guid, op_guid, NULL, 1)
OOM_TEST(test_registry_oom__resolved, op_resolved, NULL, 1)
OOM_TEST(test_registry_oom__test_compat, op_test_compat, NULL, 1)
OOM_TEST(test_registry_oom__check_report, op_check_report, NULL, 1)
OOM_TEST(test_registry_oom__version_text, op_version_text, NULL, 1)
OOM_TEST(test_registry_oom__history, op_history, NULL, 1)
OOM_TEST(test_registry_oom__origins, op_origins, NULL, 1)
OOM_TEST(test_registry_oom__soft_delete_version, op_soft_delete_version, NULL, 0)
OOM_TEST(test_registry_oom__hard_delete_version, op_hard_delete_version, NULL, 0)
OOM_TEST(test_registry_oom__soft_delete_subject, op_soft_delete_subject, NULL, 0)
OOM_TEST(test_registry_oom__hard_delete_subject, op_hard_delete_subject, NULL, 0)
OOM_TEST(test_registry_oom__set_config, op_set_config, NULL, 0)
OOM_TEST(test_registry_oom__set_global_config, op_set_global_config, NULL, 0)
OOM_TEST(test_registry_oom__delete_config, op_delete_config, NULL, 0)
OOM_TEST(test_registry_oom__delete_global_config, op_delete_global_config, NULL, 0)
OOM_TEST(test_registry_oom__set_mode, op_set_mode, NULL, 0)
OOM_TEST(test_registry_oom__set_global_mode, op_set_global_mode, NULL, 0)
OOM_TEST(test_registry_oom__delete_mode, op_delete_mode, NULL, 0)
OOM_TEST(test_registry_oom__open, op_open, NULL, 1)
OOM_TEST(test_registry_oom__reload, op_reload, prep_reload, 0)
OOM_TEST(test_registry_oom__reload_push, op_reload, prep_push, 0)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_oom__register_new_subject),
		cmocka_unit_test(test_registry_oom__register_new_version),
		cmocka_unit_test(test_registry_oom__register_again),
		cmocka_unit_test(test_registry_oom__register_refs),
		cmocka_unit_test(test_registry_oom__register_known_id),
		cmocka_unit_test(test_registry_oom__register_group),
		cmocka_unit_test(test_registry_oom__plain_reads_allocate_nothing),
		cmocka_unit_test(test_registry_oom__lookup),
		cmocka_unit_test(test_registry_oom__referenced_by),
		cmocka_unit_test(test_registry_oom__guid),
		cmocka_unit_test(test_registry_oom__resolved),
		cmocka_unit_test(test_registry_oom__test_compat),
		cmocka_unit_test(test_registry_oom__check_report),
		cmocka_unit_test(test_registry_oom__version_text),
		cmocka_unit_test(test_registry_oom__history),
		cmocka_unit_test(test_registry_oom__origins),
		cmocka_unit_test(test_registry_oom__soft_delete_version),
		cmocka_unit_test(test_registry_oom__hard_delete_version),
		cmocka_unit_test(test_registry_oom__soft_delete_subject),
		cmocka_unit_test(test_registry_oom__hard_delete_subject),
		cmocka_unit_test(test_registry_oom__set_config),
		cmocka_unit_test(test_registry_oom__set_global_config),
		cmocka_unit_test(test_registry_oom__delete_config),
		cmocka_unit_test(test_registry_oom__delete_global_config),
		cmocka_unit_test(test_registry_oom__set_mode),
		cmocka_unit_test(test_registry_oom__set_global_mode),
		cmocka_unit_test(test_registry_oom__delete_mode),
		cmocka_unit_test(test_registry_oom__open),
		cmocka_unit_test(test_registry_oom__reload),
		cmocka_unit_test(test_registry_oom__reload_push),
	};

	/* jansson's allocations go through regit_malloc too (metadata files) */
	regit_alloc_install_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
