/*
 * bench_refs.c - reads of schemas with a deep reference graph (issue #17).
 *
 * The store holds LAYERS x WIDTH subjects, one version each: a record of
 * layer 0 has one long field, a record of layer L > 0 has one field of
 * each record of layer L - 1 and references all WIDTH of them, so a
 * schema of the top layer reaches every schema below it (300 at the
 * default 6 x 60) through WIDTH^2 reference edges per layer. It is written
 * directly through the store API in one commit, so its making does not
 * depend on the code being measured.
 *
 * Measured, as CPU of the calling thread per operation (a read runs on the
 * caller's thread; the machine may be shared):
 *   - lookup: POST /subjects/{top} (regit_registry_lookup), the schema as
 *     registered, so it is found; and the same schema under another
 *     subject of the top layer, where it is not found (the lookup then
 *     also parses the stored form of the text and compares normalized),
 *     and a request of 20,000 fields whose types are all referenced ones
 *     (every name looked up among everything the references reach);
 *   - compatibility: POST /compatibility/subjects/{top}/versions/latest;
 *   - resolved: GET /schemas/ids/{top id}?format=resolved;
 *   - the first lookup after a write (a registration into another subject);
 *   - start-up: a fresh process opening the store (versions with
 *     references are always parsed at start-up: the start-up cache holds
 *     only versions without references), wall time and process CPU.
 *
 * bench_refs [LAYERS WIDTH]; --generate PATH LAYERS WIDTH and --open PATH
 * run one part alone (for perf). BENCH_QUICK=1 shortens the time budgets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "registry/layout.h"
#include "registry/registry.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int quick(void)
{
	const char *q = getenv("BENCH_QUICK");

	return q && *q && strcmp(q, "0") != 0;
}

static const char *loadavg(void)
{
	static char buf[32];
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, sizeof(buf), "?");
	if (f) {
		if (fscanf(f, "%31s", buf) != 1)
			snprintf(buf, sizeof(buf), "?");
		fclose(f);
	}
	return buf;
}

/* Schema text of subject deep-L-I (compact JSON). */
static void layer_schema(regit_buf *out, int layer, int i, int width)
{
	int j;

	regit_buf_clear(out);
	regit_buf_printf(out, "{\"type\":\"record\",\"name\":\"T%d_%d\",\"namespace\":\"deep\","
		"\"fields\":[", layer, i);
	if (layer == 0)
		regit_buf_puts(out, "{\"name\":\"id\",\"type\":\"long\"}");
	for (j = 0; layer > 0 && j < width; j++)
		regit_buf_printf(out, "%s{\"name\":\"f%d\",\"type\":\"deep.T%d_%d\"}", j ? "," : "",
			j, layer - 1, j);
	regit_buf_puts(out, "]}");
}

/* The references of subject deep-L-I (every subject of layer L - 1), owned. */
static regit_reference *layer_refs(int layer, int width, size_t *n)
{
	regit_reference *refs;
	int j;

	*n = 0;
	if (layer == 0)
		return NULL;
	refs = calloc((size_t)width, sizeof(*refs));
	for (j = 0; refs && j < width; j++) {
		char *name = malloc(32), *subject = malloc(32);

		snprintf(name, 32, "deep.T%d_%d", layer - 1, j);
		snprintf(subject, 32, "deep-%d-%d", layer - 1, j);
		refs[j].name = name;
		refs[j].subject = subject;
		refs[j].version = 1;
	}
	*n = (size_t)width;
	return refs;
}

static void refs_free(regit_reference *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)refs[i].name);
		free((char *)refs[i].subject);
	}
	free(refs);
}

static int generate_store(const char *path, int layers, int width)
{
	regit_store *store = NULL;
	size_t total = (size_t)layers * width * 2 + 1, n = 0;
	regit_store_change *changes = calloc(total, sizeof(*changes));
	regit_buf *bufs = calloc(total, sizeof(*bufs));
	char **paths = calloc(total, sizeof(*paths));
	char head[REGIT_STORE_OID_HEX];
	int l, i, j, id = 1, error;

	if (!changes || !bufs || !paths)
		return 1;
	error = regit_store_open(&store, path, NULL);
	for (l = 0; l < layers && error == 0; l++) {
		for (i = 0; i < width; i++, id++) {
			regit_buf *avsc = &bufs[n], *meta = &bufs[n + 1];
			regit_buf enc = REGIT_BUF_INIT;
			char subject[32];

			snprintf(subject, sizeof(subject), "deep-%d-%d", l, i);
			regit_layout_subject_encode(&enc, subject, strlen(subject));
			layer_schema(avsc, l, i, width);
			regit_buf_printf(meta, "{\n  \"subject\": \"%s\",\n  \"version\": 1,\n  \"id\": %d,\n"
				"  \"deleted\": false,\n  \"ts\": 1764000000000", subject, id);
			if (l > 0) {
				regit_buf_puts(meta, ",\n  \"references\": [");
				for (j = 0; j < width; j++)
					regit_buf_printf(meta, "%s\n    {\"name\": \"deep.T%d_%d\", \"subject\": "
						"\"deep-%d-%d\", \"version\": 1}", j ? "," : "", l - 1, j, l - 1, j);
				regit_buf_puts(meta, "\n  ]");
			}
			regit_buf_puts(meta, "\n}\n");
			paths[n] = malloc(320);
			snprintf(paths[n], 320, "subjects/%s/v1.avsc", enc.ptr);
			changes[n].path = paths[n];
			changes[n].data = avsc->ptr;
			changes[n].len = avsc->size;
			paths[n + 1] = malloc(320);
			snprintf(paths[n + 1], 320, "subjects/%s/v1.json", enc.ptr);
			changes[n + 1].path = paths[n + 1];
			changes[n + 1].data = meta->ptr;
			changes[n + 1].len = meta->size;
			n += 2;
			regit_buf_dispose(&enc);
		}
	}
	if (error == 0) {
		regit_buf_printf(&bufs[n], "{\n  \"format\": 1,\n  \"next_id\": %d\n}\n", id);
		paths[n] = strdup("regit.json");
		changes[n].path = paths[n];
		changes[n].data = bufs[n].ptr;
		changes[n].len = bufs[n].size;
		n++;
		error = regit_store_commit(head, store, NULL, changes, n, "generated by bench_refs", NULL);
	}
	if (error < 0)
		fprintf(stderr, "generate: %s\n", regit_error_message());
	for (size_t k = 0; k < n; k++) {
		free(paths[k]);
		regit_buf_dispose(&bufs[k]);
	}
	free(paths);
	free(bufs);
	free(changes);
	regit_store_free(store);
	return error < 0 ? 1 : 0;
}

/* Child mode: open the store, print "wall_s cpu_s". */
static int open_and_report(const char *path)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_registry *reg = NULL;
	struct rusage ru;
	double t0 = now_s(), t1;

	opts.store_path = path;
	if (regit_registry_open(&reg, &opts) != 0) {
		fprintf(stderr, "open: %s\n", regit_error_message());
		return 1;
	}
	t1 = now_s();
	getrusage(RUSAGE_SELF, &ru);
	printf("%.3f %.3f\n", t1 - t0, (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	fflush(stdout);
	regit_registry_free(reg);
	return 0;
}

typedef enum { OP_LOOKUP, OP_LOOKUP_MISS, OP_LOOKUP_WIDE, OP_COMPAT, OP_RESOLVED } op_kind;

typedef struct bench_ctx {
	regit_registry *reg;
	regit_register_request req;       /* the top subject's schema */
	regit_register_request miss;      /* the same under a subject without it */
	regit_register_request wide;      /* the top's references, 20,000 fields using them */
	int id;                           /* its id */
	size_t resolved_len;
} bench_ctx;

static int run_op(bench_ctx *b, op_kind op)
{
	int error = 0;

	if (op == OP_LOOKUP) {
		const regit_version *v = NULL;

		regit_registry_read_begin(b->reg);
		error = regit_registry_lookup(b->reg, &b->req, 0, &v);
		if (error == 0 && v->id != b->id)
			error = -1;
		regit_registry_read_end(b->reg);
	} else if (op == OP_LOOKUP_MISS || op == OP_LOOKUP_WIDE) {
		const regit_version *v = NULL;

		/* Not found: both passes and the normalized comparison run. */
		regit_registry_read_begin(b->reg);
		error = regit_registry_lookup(b->reg, op == OP_LOOKUP_MISS ? &b->miss : &b->wide, 0,
			&v);
		if (error != 0 && regit_error_api_code() == REGIT_SR_SCHEMA_NOT_FOUND)
			error = 0;
		else if (error == 0)
			error = -1;
		regit_registry_read_end(b->reg);
	} else if (op == OP_COMPAT) {
		int compatible = 0;

		error = regit_registry_test_compat(b->reg, &b->req, REGIT_VERSION_LATEST, 0,
			&compatible, NULL);
		if (error == 0 && !compatible)
			error = -1;
	} else {
		regit_buf out = REGIT_BUF_INIT;

		error = regit_registry_schema_resolved(b->reg, b->id, &out);
		b->resolved_len = out.size;
		regit_buf_dispose(&out);
	}
	if (error != 0)
		fprintf(stderr, "bench_refs: op %d: %d %s\n", (int)op, regit_error_api_code(), regit_error_message());
	return error;
}

/* Repeat op for budget seconds of CPU (at least once); print CPU per op. */
static int measure(bench_ctx *b, op_kind op, const char *label, double budget)
{
	double t0 = thread_cpu_s(), t = 0, first;
	int n = 0;

	if (run_op(b, op) != 0)
		return 1;
	first = thread_cpu_s() - t0;
	n = 1;
	t0 = thread_cpu_s();
	while ((t = thread_cpu_s() - t0) < budget && n < 100000) {
		if (run_op(b, op) != 0)
			return 1;
		n++;
	}
	printf("%-48s %10.3f ms CPU/op  (first %.3f ms, %d ops)\n", label,
		n > 1 ? t * 1e3 / (n - 1) : first * 1e3, first * 1e3, n);
	return 0;
}

static int bench_reads(const char *path, int layers, int width)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_buf text = REGIT_BUF_INIT, wide = REGIT_BUF_INIT;
	bench_ctx b;
	const regit_version *v = NULL;
	char subject[32], other[32];
	double budget = quick() ? 0.3 : 2.0, t0;
	int failed = 0;

	memset(&b, 0, sizeof(b));
	opts.store_path = path;
	if (regit_registry_open(&b.reg, &opts) != 0) {
		fprintf(stderr, "open: %s\n", regit_error_message());
		return 1;
	}
	snprintf(subject, sizeof(subject), "deep-%d-0", layers - 1);
	layer_schema(&text, layers - 1, 0, width);
	b.req.subject = subject;
	b.req.schema = text.ptr;
	b.req.schema_len = text.size;
	b.req.refs = layer_refs(layers - 1, width, &b.req.nrefs);
	snprintf(other, sizeof(other), "deep-%d-%d", layers - 1, width > 1 ? 1 : 0);
	b.miss = b.req;
	b.miss.subject = other;
	/* A request a reader may send: every field names a referenced type,
	 * so the parser looks up 20,000 names among all imports. */
	regit_buf_puts(&wide, "{\"type\":\"record\",\"name\":\"Wide\",\"namespace\":\"deep\",\"fields\":[");
	for (int k = 0; k < 20000; k++)
		regit_buf_printf(&wide, "%s{\"name\":\"w%d\",\"type\":\"T0_%d\"}", k ? "," : "", k,
			k % width);
	regit_buf_puts(&wide, "]}");
	b.wide = b.req;
	b.wide.schema = wide.ptr;
	b.wide.schema_len = wide.size;
	if (regit_registry_get_version(b.reg, subject, 1, 0, &v) != 0) {
		fprintf(stderr, "get: %s\n", regit_error_message());
		failed = 1;
		goto done;
	}
	b.id = v->id;
	failed |= measure(&b, OP_LOOKUP, "POST /subjects/{top} (lookup)", budget);
	if (width > 1)
		failed |= measure(&b, OP_LOOKUP_MISS, "POST /subjects/{top'} (lookup, not found)",
			budget);
	failed |= measure(&b, OP_LOOKUP_WIDE, "POST /subjects/{top} (20,000 fields, not found)",
		budget);
	failed |= measure(&b, OP_COMPAT, "POST /compatibility/.../latest", budget);
	failed |= measure(&b, OP_RESOLVED, "GET /schemas/ids/{top}?format=resolved", budget);
	if (!failed)
		printf("%-48s %10zu bytes\n", "  resolved text", b.resolved_len);
	/* A write moves the registry's generation: the next read parses again. */
	if (!failed) {
		regit_register_request w = { 0 };
		regit_register_result res;
		const char *s = "{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}";

		w.subject = "other";
		w.schema = s;
		w.schema_len = strlen(s);
		if (regit_registry_register(b.reg, &w, &res) != 0) {
			fprintf(stderr, "register: %s\n", regit_error_message());
			failed = 1;
		} else {
			t0 = thread_cpu_s();
			failed |= run_op(&b, OP_LOOKUP);
			printf("%-48s %10.3f ms CPU\n", "lookup, first after a write",
				(thread_cpu_s() - t0) * 1e3);
		}
	}
done:
	refs_free((regit_reference *)b.req.refs, b.req.nrefs);
	regit_buf_dispose(&text);
	regit_buf_dispose(&wide);
	regit_registry_free(b.reg);
	return failed;
}

static int bench_startup(const char *path)
{
	char cmd[1400], line[256];
	double wall, cpu;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "rm -f '%s/regit-cache'; /proc/%d/exe --open '%s'", path,
		(int)getpid(), path);
	p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof(line), p)) {
		if (p)
			pclose(p);
		return 1;
	}
	pclose(p);
	if (sscanf(line, "%lf %lf", &wall, &cpu) != 2)
		return 1;
	printf("%-48s %10.3f s    (process CPU %.3f s), load %s\n", "start-up (fresh process)",
		wall, cpu, loadavg());
	return 0;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/regit-bench-refs-XXXXXX";
	char path[200], cmd[300];
	char *dir;
	int layers = quick() ? 4 : 6, width = quick() ? 30 : 60, failed = 0;

	if (argc == 3 && strcmp(argv[1], "--open") == 0)
		return open_and_report(argv[2]);
	if (argc == 5 && strcmp(argv[1], "--generate") == 0)
		return generate_store(argv[2], (int)strtol(argv[3], NULL, 10),
			(int)strtol(argv[4], NULL, 10));
	if (argc == 3) {
		layers = (int)strtol(argv[1], NULL, 10);
		width = (int)strtol(argv[2], NULL, 10);
	}
	if (layers < 2 || width < 1 || width > 100) {
		fprintf(stderr, "usage: bench_refs [LAYERS>=2 WIDTH<=100]\n");
		return 2;
	}
	dir = mkdtemp(tmpl);
	if (!dir)
		return 1;
	snprintf(path, sizeof(path), "%s/deep.git", dir);
	printf("deep reference graph: %d layers x %d subjects, each referencing all of the "
		"layer below; load %s\n", layers, width, loadavg());
	failed = generate_store(path, layers, width);
	if (!failed)
		failed |= bench_startup(path);
	if (!failed)
		failed |= bench_reads(path, layers, width);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		failed = 1;
	return failed;
}
