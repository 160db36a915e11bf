/*
 * bench_pack.c - the store's own pack writer against libgit2's writers,
 * for registration-sized commits (issue #11: "keep the own pack writer
 * only if the benchmark shows libgit2's writers cannot reach the
 * registration goal"; the goal is >= 500 durable registrations/s, bench/
 * README.md).
 *
 * A registration commit: three files (subjects/<s>/vN.avsc, vN.json,
 * regit.json), so three blobs, three trees (root, subjects/, the subject)
 * and a commit, into a store of 1,000 subjects; fsync on
 * (GIT_OPT_ENABLE_FSYNC_GITDIR, as the store runs), the branch moved with
 * a compare-and-swap. Three writers, each on its own fresh copy:
 *
 *   own      regit_store_commit_chain: the store itself (tree_edit.c,
 *            pack_batch.c + pack_write.c: one pack per chain, pack_merge.c
 *            merging on its thread)
 *   loose    libgit2 alone: git_blob_create_from_buffer,
 *            git_tree_create_updated, git_commit_create; every object a
 *            loose file (libgit2 fsyncs each and its directory)
 *   packed   libgit2 packing: the same objects into a mempack backend,
 *            then git_mempack_dump (git_packbuilder) and
 *            git_odb_write_pack (the indexer writes .pack and .idx)
 *
 * each as single commits (one client) and as chains of 32 commits with
 * one ref update (group commit, as with 32 concurrent clients). Reported:
 * commits/s (wall) and CPU ms per commit, all in one run. Every run's
 * branch is checked to hold exactly the commits made. BENCH_QUICK=1 runs
 * each for a tenth of the time.
 */
#include <git2.h>
#include <git2/sys/mempack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "store/store.h"
#include "util/error.h"

#define SUBJECTS 1000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "bench_pack: %s: %s / %s\n", what, regit_error_message(),
		e && e->message ? e->message : "");
	exit(1);
}

/* The three files of registration n (subject n % SUBJECTS, version n). */
typedef struct reg_files {
	char path[3][96];
	char data[3][512];
} reg_files;

static void reg_make(reg_files *r, int n)
{
	int s = n % SUBJECTS, v = 2 + n / SUBJECTS;

	snprintf(r->path[0], sizeof(r->path[0]), "subjects/subject-%05d/v%d.avsc", s, v);
	snprintf(r->data[0], sizeof(r->data[0]), "{\n  \"type\": \"record\",\n  \"name\": \"S%d\",\n"
		"  \"fields\": [\n    {\"name\": \"id\", \"type\": \"long\"},\n"
		"    {\"name\": \"f%d\", \"type\": [\"null\", \"string\"], \"default\": null}\n  ]\n}\n",
		s, v);
	snprintf(r->path[1], sizeof(r->path[1]), "subjects/subject-%05d/v%d.json", s, v);
	snprintf(r->data[1], sizeof(r->data[1]), "{\"subject\":\"subject-%05d\",\"version\":%d,"
		"\"id\":%d,\"deleted\":false,\"ts\":1700000000000,\"seal\":\"%08x\",\"references\":[]}\n",
		s, v, 1001 + n, (unsigned)n * 2654435761u);
	snprintf(r->path[2], sizeof(r->path[2]), "regit.json");
	snprintf(r->data[2], sizeof(r->data[2]), "{\"format\": 1, \"next_id\": %d}\n", 1002 + n);
}

/* A store of SUBJECTS subjects with one version each, in one commit. */
static void make_store(const char *path)
{
	regit_store *s = NULL;
	regit_store_change *c = calloc(2 * SUBJECTS + 1, sizeof(*c));
	char (*paths)[96] = calloc(2 * SUBJECTS, 96);
	char out[REGIT_STORE_OID_HEX];
	static const char body[] = "{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}\n";

	if (!c || !paths || regit_store_open(&s, path, NULL) < 0)
		die("set up");
	for (int i = 0; i < SUBJECTS; i++) {
		snprintf(paths[2 * i], 96, "subjects/subject-%05d/v1.avsc", i);
		snprintf(paths[2 * i + 1], 96, "subjects/subject-%05d/v1.json", i);
		c[2 * i].path = paths[2 * i];
		c[2 * i].data = body;
		c[2 * i].len = sizeof(body) - 1;
		c[2 * i + 1].path = paths[2 * i + 1];
		c[2 * i + 1].data = paths[2 * i];   /* unique content */
		c[2 * i + 1].len = strlen(paths[2 * i]);
	}
	c[2 * SUBJECTS].path = "regit.json";
	c[2 * SUBJECTS].data = "{\"format\": 1, \"next_id\": 1001}\n";
	c[2 * SUBJECTS].len = strlen(c[2 * SUBJECTS].data);
	if (regit_store_commit(out, s, "", c, 2 * SUBJECTS + 1, "initial", NULL) < 0)
		die("initial commit");
	regit_store_free(s);
	free(c);
	free(paths);
}

typedef struct result {
	int commits;
	double wall, cpu;
} result;

/* ---- own ---------------------------------------------------------------------- */

static result run_own(const char *path, int chain, double seconds)
{
	regit_store *s = NULL;
	regit_store_change ch[32][3];
	regit_store_commit_spec spec[32];
	reg_files rf[32];
	char head[REGIT_STORE_OID_HEX], out[REGIT_STORE_OID_HEX];
	result r = { 0, 0, 0 };
	double t0, c0;

	if (regit_store_open(&s, path, NULL) < 0 || regit_store_head(s, head) < 0)
		die("open own");
	t0 = now_s();
	c0 = cpu_s();
	while (now_s() - t0 < seconds) {
		for (int j = 0; j < chain; j++) {
			reg_make(&rf[j], r.commits + j);
			for (int k = 0; k < 3; k++) {
				ch[j][k].path = rf[j].path[k];
				ch[j][k].data = rf[j].data[k];
				ch[j][k].len = strlen(rf[j].data[k]);
				ch[j][k].remove = 0;
			}
			spec[j].changes = ch[j];
			spec[j].nchanges = 3;
			spec[j].message = "register";
			spec[j].author = "bench";
		}
		if (regit_store_commit_chain(out, s, head, spec, (size_t)chain) < 0)
			die("own commit");
		memcpy(head, out, sizeof(head));
		r.commits += chain;
	}
	regit_store_idle(s);     /* the merges are part of the cost */
	r.wall = now_s() - t0;
	r.cpu = cpu_s() - c0;
	regit_store_free(s);
	return r;
}

/* ---- libgit2 ------------------------------------------------------------------ */

/*
 * One chain of registrations through libgit2's object writers, on top of
 * *head; the branch moved once at the end (compare-and-swap). With mp set,
 * the objects went to the mempack backend and are written as one pack.
 */
static void git_chain(git_repository *repo, git_odb *odb, git_odb_backend *mp, git_oid *head,
	int first, int chain)
{
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *base = NULL;
	git_reference *ref = NULL;
	git_oid last = *head;

	if (git_signature_now(&sig, "bench", "regit@localhost") < 0)
		die("signature");
	for (int j = 0; j < chain; j++) {
		reg_files rf;
		git_tree_update up[3];
		git_oid blob[3], tree, commit;

		reg_make(&rf, first + j);
		if (git_commit_lookup(&parent, repo, &last) < 0 || git_commit_tree(&base, parent) < 0)
			die("read parent");
		for (int k = 0; k < 3; k++) {
			if (git_blob_create_from_buffer(&blob[k], repo, rf.data[k], strlen(rf.data[k])) < 0)
				die("blob");
			up[k].action = GIT_TREE_UPDATE_UPSERT;
			up[k].id = blob[k];
			up[k].filemode = GIT_FILEMODE_BLOB;
			up[k].path = rf.path[k];
		}
		if (git_tree_create_updated(&tree, repo, base, 3, up) < 0)
			die("tree");
		git_tree_free(base);
		base = NULL;
		if (git_tree_lookup(&base, repo, &tree) < 0)
			die("tree lookup");
		if (git_commit_create(&commit, repo, NULL, sig, sig, NULL, "register", base, 1,
				(const git_commit **)&parent) < 0)
			die("commit");
		git_tree_free(base);
		base = NULL;
		git_commit_free(parent);
		parent = NULL;
		last = commit;
	}
	if (mp) {
		git_buf pack = GIT_BUF_INIT;
		git_odb_writepack *wp = NULL;
		git_indexer_progress stats;

		memset(&stats, 0, sizeof(stats));
		if (git_mempack_dump(&pack, repo, mp) < 0)
			die("mempack dump");
		if (git_odb_write_pack(&wp, odb, NULL, NULL) < 0 ||
		    wp->append(wp, pack.ptr, pack.size, &stats) < 0 || wp->commit(wp, &stats) < 0)
			die("write pack");
		wp->free(wp);
		git_buf_dispose(&pack);
		if (git_mempack_reset(mp) < 0)
			die("mempack reset");
	}
	if (git_reference_create_matching(&ref, repo, "refs/heads/main", &last, 1, head,
			"register") < 0)
		die("move branch");
	git_reference_free(ref);
	git_signature_free(sig);
	*head = last;
}

static result run_git(const char *path, int packed, int chain, double seconds)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_odb_backend *mp = NULL;
	git_oid head;
	result r = { 0, 0, 0 };
	double t0, c0;

	if (git_repository_open_bare(&repo, path) < 0 || git_repository_odb(&odb, repo) < 0 ||
	    git_reference_name_to_id(&head, repo, "refs/heads/main") < 0)
		die("open libgit2");
	if (packed && (git_mempack_new(&mp) < 0 || git_odb_add_backend(odb, mp, 999) < 0))
		die("mempack");
	t0 = now_s();
	c0 = cpu_s();
	while (now_s() - t0 < seconds) {
		git_chain(repo, odb, mp, &head, r.commits, chain);
		r.commits += chain;
	}
	r.wall = now_s() - t0;
	r.cpu = cpu_s() - c0;
	git_odb_free(odb);
	git_repository_free(repo);
	return r;
}

/* The branch holds the initial commit and exactly the ones made. */
static void check_count(const char *path, int commits)
{
	char cmd[4300], line[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' rev-list --count main", path);
	p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof(line), p) || atoi(line) != commits + 1) {
		fprintf(stderr, "bench_pack: %s holds %s commits, want %d\n", path, line, commits + 1);
		exit(1);
	}
	pclose(p);
}

int main(void)
{
	static const char *const names[] = { "own", "loose", "packed" };
	static const int chains[] = { 1, 32 };
	const char *q = getenv("BENCH_QUICK");
	double seconds = q && *q && strcmp(q, "0") != 0 ? 0.4 : 3.0;
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4200], cmd[4300];
	double load[3] = { 0, 0, 0 };

	snprintf(dir, sizeof(dir), "%s/regit-bench-pack-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp");
	/* libgit2 as the store runs it (regit_store_open sets the same). */
	if (git_libgit2_init() < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0)
		die("libgit2");
	if (getloadavg(load, 3) < 0)
		load[0] = -1;
	printf("registration commits (3 blobs, 3 trees, 1 commit) into %d subjects, fsync on;"
		" %.1f s each; load %.2f\n", SUBJECTS, seconds, load[0]);
	printf("%-8s %6s %9s %10s %12s\n", "writer", "chain", "commits", "commits/s", "CPU ms/commit");
	for (size_t c = 0; c < sizeof(chains) / sizeof(chains[0]); c++) {
		for (size_t w = 0; w < 3; w++) {
			result r;

			snprintf(path, sizeof(path), "%s/%s-%d.git", dir, names[w], chains[c]);
			make_store(path);
			if (w == 0)
				r = run_own(path, chains[c], seconds);
			else
				r = run_git(path, w == 2, chains[c], seconds);
			check_count(path, r.commits);
			printf("%-8s %6d %9d %10.0f %12.3f\n", names[w], chains[c], r.commits,
				r.commits / r.wall, 1000.0 * r.cpu / r.commits);
			fflush(stdout);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_pack: could not remove %s\n", dir);
	git_libgit2_shutdown();
	return 0;
}
