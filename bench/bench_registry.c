/*
 * bench_registry.c - the registry core on a real git store (fsync on).
 *
 *   1. durable registrations/s: one client registering one after another,
 *      then 32 concurrent clients (group commit shares the fsyncs), in this
 *      process (registry_wrk.sh measures the same over HTTP), into a fresh
 *      store and into one of 10,000 versions (1,000 subjects); every
 *      registration is compatibility-checked (FULL_TRANSITIVE, strict) and
 *      acknowledged only once its commit is durable;
 *   2. start-up: a store holding 100,000 schema versions (10,000 subjects x
 *      10 versions, written directly through the store API in one commit),
 *      opened by a fresh process: wall time to a ready index and peak RSS.
 *
 * Wall time (CLOCK_MONOTONIC): these wait on the disk. BENCH_QUICK=1 runs
 * a tenth of everything.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compat/schema.h"
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

static int quick(void)
{
	const char *q = getenv("BENCH_QUICK");

	return q && *q && strcmp(q, "0") != 0;
}

/* Version k of a subject's schema: record Bench with fields f0..fk, every
 * field after the first with a default, so each version is compatible
 * with all earlier ones under FULL_TRANSITIVE and the strict rules. */
static void bench_schema(regit_buf *out, int salt, int k)
{
	int i;

	regit_buf_clear(out);
	regit_buf_printf(out, "{\"type\":\"record\",\"name\":\"Bench%d\",\"namespace\":\"bench\","
		"\"fields\":[{\"name\":\"id\",\"type\":\"long\"}", salt);
	for (i = 1; i <= k; i++)
		regit_buf_printf(out, ",{\"name\":\"f%d\",\"type\":[\"null\",\"string\"],\"default\":null}", i);
	regit_buf_puts(out, "]}");
}

/* CPU time of this process (all threads), seconds. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The 1-minute load average: the machine may be shared, say how busy it was. */
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

/* ---- registrations --------------------------------------------------------- */

typedef struct client {
	regit_registry *reg;
	int index;
	int count;
	double deadline;
	int failures;
} client;

#define VERSIONS_PER_SUBJECT 20

static void *client_main(void *p)
{
	client *c = p;
	regit_buf schema = REGIT_BUF_INIT;
	char subject[64];

	while (now_s() < c->deadline) {
		regit_register_request req = { 0 };
		regit_register_result res;
		int n = c->count;

		snprintf(subject, sizeof(subject), "bench-%d-%d-value", c->index, n / VERSIONS_PER_SUBJECT);
		bench_schema(&schema, c->index * 100000 + n / VERSIONS_PER_SUBJECT, n % VERSIONS_PER_SUBJECT);
		req.subject = subject;
		req.schema = schema.ptr;
		req.schema_len = schema.size;
		if (regit_registry_register(c->reg, &req, &res) != 0 || res.existed) {
			fprintf(stderr, "register: %d %s\n", regit_error_api_code(), regit_error_message());
			c->failures++;
			break;
		}
		c->count++;
	}
	regit_buf_dispose(&schema);
	return NULL;
}

static int generate_store(const char *path, int nsubjects, int nversions);

/*
 * Registrations into a fresh store, or (seed > 0) into one that already
 * holds seed subjects x 10 versions: the realistic case, where every
 * commit rewrites a subjects directory of seed entries and more.
 */
static int bench_registrations(const char *dir, int nclients, double seconds, int seed)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_registry *reg = NULL;
	regit_registry_stats st;
	pthread_t th[64];
	client cl[64];
	char path[512];
	double t0, t1, cpu0, cpu1;
	int i, total = 0, failures = 0;

	snprintf(path, sizeof(path), "%s/reg-%d-%d.git", dir, nclients, seed);
	if (seed > 0 && generate_store(path, seed, 10) != 0)
		return 1;
	opts.store_path = path;
	if (regit_registry_open(&reg, &opts) != 0) {
		fprintf(stderr, "open: %s\n", regit_error_message());
		return 1;
	}
	cpu0 = cpu_s();
	t0 = now_s();
	for (i = 0; i < nclients; i++) {
		cl[i].reg = reg;
		cl[i].index = i;
		cl[i].count = 0;
		cl[i].failures = 0;
		cl[i].deadline = t0 + seconds;
		pthread_create(&th[i], NULL, client_main, &cl[i]);
	}
	for (i = 0; i < nclients; i++) {
		pthread_join(th[i], NULL);
		total += cl[i].count;
		failures += cl[i].failures;
	}
	t1 = now_s();
	cpu1 = cpu_s();
	regit_registry_stats_get(reg, &st);
	if (seed > 0)
		snprintf(path, sizeof(path), "register, %d client%s, %dk store", nclients,
			nclients == 1 ? "" : "s", seed * 10 / 1000);
	else
		snprintf(path, sizeof(path), "register, %d client%s", nclients,
			nclients == 1 ? "" : "s");
	printf("%-34s %8.0f /s   (%d in %.1f s, CPU %.2f ms each, %llu commits, %d failed, load %s)\n",
		path, total / (t1 - t0), total, t1 - t0, total ? (cpu1 - cpu0) * 1e3 / total : 0.0,
		(unsigned long long)st.commits, failures, loadavg());
	regit_registry_free(reg);
	return failures ? 1 : 0;
}

/* ---- a big store, written directly ------------------------------------------------ */

static int generate_store(const char *path, int nsubjects, int nversions)
{
	regit_store *store = NULL;
	regit_store_change *changes;
	regit_buf *bufs;
	regit_buf text = REGIT_BUF_INIT, enc = REGIT_BUF_INIT;
	size_t n = 0, nb = 0, total = (size_t)nsubjects * nversions * 2 + 1;
	char **paths;
	char head[REGIT_STORE_OID_HEX];
	int s, v, id = 1, error = 0;

	changes = calloc(total, sizeof(*changes));
	bufs = calloc(total, sizeof(*bufs));
	paths = calloc(total, sizeof(*paths));
	if (!changes || !bufs || !paths)
		return 1;
	error = regit_store_open(&store, path, NULL);
	for (s = 0; s < nsubjects && error == 0; s++) {
		char subject[64];

		snprintf(subject, sizeof(subject), "big-%05d-value", s);
		regit_buf_clear(&enc);
		regit_layout_subject_encode(&enc, subject, strlen(subject));
		for (v = 1; v <= nversions && error == 0; v++, id++) {
			regit_schema *schema = NULL;
			regit_buf *avsc = &bufs[nb++], *meta = &bufs[nb++];

			bench_schema(&text, s, v - 1);
			error = regit_schema_parse(&schema, text.ptr, text.size, NULL, NULL);
			if (error == 0)
				error = regit_schema_print(schema, REGIT_PRINT_PRETTY, avsc);
			regit_schema_free(schema);
			regit_buf_printf(meta, "{\n  \"subject\": \"%s\",\n  \"version\": %d,\n  \"id\": %d,\n"
				"  \"deleted\": false,\n  \"ts\": 1764000000000\n}\n", subject, v, id);
			paths[n] = malloc(320);
			snprintf(paths[n], 320, "subjects/%s/v%d.avsc", enc.ptr, v);
			changes[n].path = paths[n];
			changes[n].data = avsc->ptr;
			changes[n].len = avsc->size;
			n++;
			paths[n] = malloc(320);
			snprintf(paths[n], 320, "subjects/%s/v%d.json", enc.ptr, v);
			changes[n].path = paths[n];
			changes[n].data = meta->ptr;
			changes[n].len = meta->size;
			n++;
		}
	}
	if (error == 0) {
		regit_buf *root = &bufs[nb++];

		regit_buf_printf(root, "{\n  \"format\": 1,\n  \"next_id\": %d\n}\n", id);
		paths[n] = strdup("regit.json");
		changes[n].path = paths[n];
		changes[n].data = root->ptr;
		changes[n].len = root->size;
		n++;
		error = regit_store_commit(head, store, NULL, changes, n, "generated by bench_registry", NULL);
	}
	if (error < 0)
		fprintf(stderr, "generate: %s\n", regit_error_message());
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	for (size_t i = 0; i < nb; i++)
		regit_buf_dispose(&bufs[i]);
	free(paths);
	free(bufs);
	free(changes);
	regit_buf_dispose(&text);
	regit_buf_dispose(&enc);
	regit_store_free(store);
	return error < 0 ? 1 : 0;
}

static long status_kb(const char *key)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			kb = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return kb;
}

/* Child mode: open the store, print "seconds rss_kb hwm_kb versions". */
static int open_and_report(const char *path)
{
	regit_registry_options opts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_registry *reg = NULL;
	regit_registry_stats st;
	struct rusage ru;
	double t0 = now_s(), t1;

	opts.store_path = path;
	if (regit_registry_open(&reg, &opts) != 0) {
		fprintf(stderr, "open: %s\n", regit_error_message());
		return 1;
	}
	t1 = now_s();
	regit_registry_stats_get(reg, &st);
	getrusage(RUSAGE_SELF, &ru);
	printf("%.3f %ld %ld %zu %zu %.3f\n", t1 - t0, status_kb("VmRSS:"), status_kb("VmHWM:"),
		st.versions, st.subjects,
		(double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	fflush(stdout);
	regit_registry_free(reg);
	return 0;
}

static int bench_startup(const char *dir, int nsubjects, int nversions)
{
	char path[512], cmd[1024], line[256];
	double t0, t1, secs, cpu;
	long rss, hwm;
	size_t versions, subjects;
	FILE *p;
	int run;

	snprintf(path, sizeof(path), "%s/big.git", dir);
	t0 = now_s();
	if (generate_store(path, nsubjects, nversions) != 0)
		return 1;
	t1 = now_s();
	printf("%-34s %8.1f s    (%d versions, one commit)\n", "generate store via store API",
		t1 - t0, nsubjects * nversions);
	/* Two runs: the first parses every file (and writes the start-up
	 * cache), the second uses the cache. Both in a fresh process. */
	for (run = 0; run < 2; run++) {
		snprintf(cmd, sizeof(cmd), "/proc/%d/exe --open '%s'", (int)getpid(), path);
		p = popen(cmd, "r");
		if (!p || !fgets(line, sizeof(line), p)) {
			if (p)
				pclose(p);
			return 1;
		}
		pclose(p);
		if (sscanf(line, "%lf %ld %ld %zu %zu %lf", &secs, &rss, &hwm, &versions, &subjects,
				&cpu) != 6)
			return 1;
		printf("%-34s %8.3f s    (CPU %.2f s) RSS %ld MB (peak %ld MB), %zu versions, "
			"%zu subjects, load %s\n",
			run ? "start-up, warm (start-up cache)" : "start-up, cold (parse every file)",
			secs, cpu, rss / 1024, hwm / 1024, versions, subjects, loadavg());
	}
	return 0;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/regit-bench-registry-XXXXXX";
	char cmd[600];
	char *dir;
	int q = quick();
	int failed = 0;

	if (argc == 3 && strcmp(argv[1], "--open") == 0)
		return open_and_report(argv[2]);
	/* For profiling: --generate PATH SUBJECTS writes a store and exits. */
	if (argc == 4 && strcmp(argv[1], "--generate") == 0)
		return generate_store(argv[2], (int)strtol(argv[3], NULL, 10), 10);
	dir = mkdtemp(tmpl);
	if (!dir)
		return 1;
	/* For profiling: --register CLIENTS SECONDS [SUBJECTS] runs only that
	 * part (SUBJECTS x 10 versions already in the store). */
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "--register") == 0) {
		failed = bench_registrations(dir, (int)strtol(argv[2], NULL, 10), strtod(argv[3], NULL),
			argc == 5 ? (int)strtol(argv[4], NULL, 10) : 0);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		return system(cmd) != 0 || failed;
	}
	printf("%-34s %8s\n", "registry core (git store, fsync on)", "result");
	failed |= bench_registrations(dir, 1, q ? 1.0 : 5.0, 0);
	failed |= bench_registrations(dir, 32, q ? 1.0 : 5.0, 0);
	failed |= bench_registrations(dir, 1, q ? 1.0 : 5.0, q ? 100 : 1000);
	failed |= bench_registrations(dir, 32, q ? 1.0 : 5.0, q ? 100 : 1000);
	failed |= bench_startup(dir, q ? 1000 : 10000, 10);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		failed = 1;
	return failed;
}
