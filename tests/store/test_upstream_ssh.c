/*
 * test_upstream_ssh.c - store/upstream over ssh (store/upstream_ssh.c,
 * OpenSSH's ssh as a child process) against a real sshd on loopback
 * (tests/support/sshd.c): fetch and compare-and-swap push, ssh's refusals
 * as REGIT_EPERM with its words, deadlines against a listener that never
 * answers and against a stopped sshd, and no ssh child left behind.
 *
 * The same style as test_upstream.c (git daemon and nginx there): one
 * server for the group, each test its own upstream bare repository and
 * local stores; what the upstream holds is read with git itself. A test
 * of its own file because test_upstream.c is near the 1,500-line bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/upstream.h"
#include "tests/support/sshd.h"
#include "tests/support/tmpdir.h"
#include "tests/support/upstream_check.h"
#include "util/error.h"

/* As in test_upstream.c: generous next to loopback round trips (an ssh
 * push here takes tens of milliseconds), tight for the hanging servers. */
#define DEADLINE_MS 20000u
#define HANG_MS 1500u
/* How late a call that hit its deadline may come back: the child is
 * killed and reaped at the deadline, so on an idle machine a few ms. */
#define SLACK_MS 2000u

static char *base_dir;
static test_sshd sshd;
static int hang_fd = -1;         /* accepts (the kernel's backlog), never answers */
static int hang_port;
static int test_seq;

typedef struct fixture {
	char up_path[512];
	char url[700];           /* ssh://user@127.0.0.1:port/path */
	char a_path[512], b_path[512], c_path[512];
	regit_store *a, *b, *c;
	regit_upstream *ua, *ub, *uc;
	regit_upstream_options opts;   /* the good key and known_hosts */
} fixture;

/* No child of ours has exited unreaped: every ssh the upstream ran was
 * waited for (sshd itself is still running, so waitpid finds nothing). */
static void assert_no_zombies(void)
{
	int status;
	pid_t r = waitpid(-1, &status, WNOHANG);

	if (r > 0)
		print_message("# unreaped child %d\n", (int)r);
	assert_true(r == 0);
}

/* sshd must not outlive the test however it ends: a forked reaper reads
 * its process group from a pipe only we hold; at EOF it kills it (the
 * group of `sshd -D`; per-connection sshd processes end with their
 * connection). */
static int reaper_fd = -1;
static pid_t reaper_pid = -1;

static void reaper_start(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	reaper_pid = fork();
	if (reaper_pid == 0) {
		pid_t g = 0;
		char c;

		setpgid(0, 0);
		close(p[1]);
		if (read(p[0], &g, sizeof(g)) != (ssize_t)sizeof(g))
			g = 0;
		while (read(p[0], &c, 1) > 0)
			;
		if (g > 0) {
			kill(-g, SIGCONT);
			kill(-g, SIGKILL);
		}
		_exit(0);
	}
	close(p[0]);
	reaper_fd = p[1];
}

static void reaper_stop(void)
{
	if (reaper_fd >= 0)
		close(reaper_fd);
	reaper_fd = -1;
	if (reaper_pid > 0)
		waitpid(reaper_pid, NULL, 0);
	reaper_pid = -1;
}

static int group_setup(void **state)
{
	char dir[600];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	/* Only the key given is offered: no agent of the developer's. */
	unsetenv("SSH_AUTH_SOCK");
	unsetenv("REGIT_SSH");
	base_dir = test_tmpdir_new("upstream-ssh");
	if (!base_dir)
		return -1;
	snprintf(dir, sizeof(dir), "%s/sshd", base_dir);
	if (mkdir(dir, 0700) != 0)
		return -1;
	reaper_start();
	if (test_sshd_start(&sshd, dir) < 0) {
		fprintf(stderr, "cannot start sshd on 127.0.0.1 (scripts/install-deps --test)\n");
		return -1;
	}
	if (reaper_fd >= 0 && write(reaper_fd, &sshd.pid, sizeof(sshd.pid)) < 0)
		fprintf(stderr, "reaper: %s\n", strerror(errno));
	hang_fd = test_listen_any(&hang_port);
	return hang_fd < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	test_sshd_stop(&sshd);
	reaper_stop();
	if (hang_fd >= 0)
		close(hang_fd);
	test_tmpdir_remove(base_dir);
	return 0;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	int n = ++test_seq;

	assert_non_null(f);
	snprintf(f->up_path, sizeof(f->up_path), "%s/up%d.git", base_dir, n);
	snprintf(f->url, sizeof(f->url), "ssh://%s@127.0.0.1:%d%s", sshd.user, sshd.port,
		f->up_path);
	assert_int_equal(test_sh_line(NULL, 0, "git init -q --bare '%s' && git --git-dir='%s'"
		" symbolic-ref HEAD refs/heads/main", f->up_path, f->up_path), 0);
	snprintf(f->a_path, sizeof(f->a_path), "%s/a%d.git", base_dir, n);
	snprintf(f->b_path, sizeof(f->b_path), "%s/b%d.git", base_dir, n);
	snprintf(f->c_path, sizeof(f->c_path), "%s/c%d.git", base_dir, n);
	f->opts.ssh_key = sshd.key;
	f->opts.ssh_known_hosts = sshd.known_hosts;
	assert_int_equal(regit_store_open(&f->a, f->a_path, NULL), 0);
	assert_int_equal(regit_store_open(&f->b, f->b_path, NULL), 0);
	assert_int_equal(regit_store_open(&f->c, f->c_path, NULL), 0);
	assert_int_equal(regit_upstream_open(&f->ua, f->a_path, f->url, &f->opts), 0);
	assert_int_equal(regit_upstream_open(&f->ub, f->b_path, f->url, &f->opts), 0);
	assert_int_equal(regit_upstream_open(&f->uc, f->c_path, f->url, &f->opts), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	regit_upstream__after_negotiation = NULL;
	regit_upstream_free(f->ua);
	regit_upstream_free(f->ub);
	regit_upstream_free(f->uc);
	regit_store_free(f->a);
	regit_store_free(f->b);
	regit_store_free(f->c);
	free(f);
	return 0;
}

static void seed(fixture *f, char c1[REGIT_STORE_OID_HEX])
{
	test_commit_file(f->a, "", c1, "ids/1", "one");
	assert_int_equal(regit_upstream_push(f->ua, c1, "", DEADLINE_MS), 0);
}

/* An empty upstream, then push, fetch by another store, idle fetch: the
 * same results as git:// (test_upstream.c), timed for store/README.md. */
static void test_ssh__push_then_fetch(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX] = "x", up[REGIT_STORE_OID_HEX];
	uint64_t t0;

	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(f->ua, DEADLINE_MS, head), 0);
	print_message("# ssh fetch of an empty upstream: %llu ms\n",
		(unsigned long long)(test_now_ms() - t0));
	assert_string_equal(head, "");
	t0 = test_now_ms();
	seed(f, c1);
	print_message("# ssh first push: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, c1);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	print_message("# ssh first fetch: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	assert_string_equal(head, c1);
	assert_int_equal(regit_upstream_advance(f->ub, "", head), 0);
	assert_int_equal(regit_store_head(f->b, head), 0);
	assert_string_equal(head, c1);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	print_message("# ssh idle fetch: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	assert_string_equal(head, c1);
	test_commit_file(f->a, c1, a2, "ids/2", "two");
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), 0);
	print_message("# ssh push: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_string_equal(head, a2);
	test_assert_linear(f->up_path, 2);
	assert_no_zombies();
}

/* The compare-and-swap over ssh: a push from a stale base loses (the
 * lease), a create over an existing branch loses, and the server's own
 * check refuses a push whose base moved after the lease was checked. */
static fixture *race_fixture;
static char race_to[REGIT_STORE_OID_HEX], race_from[REGIT_STORE_OID_HEX];

static void move_upstream(void)
{
	assert_int_equal(test_sh_line(NULL, 0, "git --git-dir='%s' update-ref refs/heads/main %s %s",
		race_fixture->up_path, race_to, race_from), 0);
}

static void test_ssh__stale_push_conflicts(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], b2[REGIT_STORE_OID_HEX];
	char b1[REGIT_STORE_OID_HEX], a3[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX], tree[64];

	seed(f, c1);
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_int_equal(regit_upstream_advance(f->ub, "", head), 0);
	test_commit_file(f->a, c1, a2, "ids/2", "two from a");
	test_commit_file(f->b, c1, b2, "ids/2", "two from b");
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), 0);
	assert_int_equal(regit_upstream_push(f->ub, b2, c1, DEADLINE_MS), REGIT_ECONFLICT);
	assert_non_null(strstr(regit_error_message(), "lost the race"));
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, a2);
	assert_int_equal(regit_upstream_tracked(f->ub, head), 0);
	assert_string_equal(head, c1);

	test_commit_file(f->c, "", b1, "ids/1", "other one");
	assert_int_equal(regit_upstream_push(f->uc, b1, "", DEADLINE_MS), REGIT_ECONFLICT);
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, a2);

	/* The server's compare-and-swap (receive-pack's ref lock). */
	assert_int_equal(test_sh_line(tree, sizeof(tree), "git --git-dir='%s' rev-parse %s^{tree}",
		f->up_path, a2), 0);
	assert_int_equal(test_sh_line(race_to, sizeof(race_to), "git --git-dir='%s' -c user.name=t"
		" -c user.email=t@t commit-tree %s -p %s -m outside", f->up_path, tree, a2), 0);
	memcpy(race_from, a2, sizeof(race_from));
	race_fixture = f;
	regit_upstream__after_negotiation = move_upstream;
	test_commit_file(f->a, a2, a3, "ids/3", "three");
	assert_int_equal(regit_upstream_push(f->ua, a3, a2, DEADLINE_MS), REGIT_ECONFLICT);
	print_message("# server said: %s\n", regit_error_message());
	regit_upstream__after_negotiation = NULL;
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, race_to);
	test_assert_linear(f->up_path, 3);
	assert_no_zombies();
}

/* A key sshd does not know: REGIT_EPERM with ssh's words; nothing pushed. */
static void test_ssh__wrong_key_is_eperm(void **state)
{
	fixture *f = *state;
	regit_upstream_options o = f->opts;
	regit_upstream *u = NULL;
	char head[REGIT_STORE_OID_HEX], c1[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];
	char missing[700];

	o.ssh_key = sshd.other_key;
	assert_int_equal(regit_upstream_open(&u, f->a_path, f->url, &o), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EPERM);
	print_message("# wrong key: %s\n", regit_error_message());
	assert_non_null(strstr(regit_error_message(), "Permission denied"));
	test_commit_file(f->a, "", c1, "ids/1", "one");
	assert_int_equal(regit_upstream_push(u, c1, "", DEADLINE_MS), REGIT_EPERM);
	assert_non_null(strstr(regit_error_message(), "Permission denied"));
	regit_upstream_free(u);
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, "");

	/* A key file that is not there: refused before ssh runs. */
	snprintf(missing, sizeof(missing), "%s/no-such-key", base_dir);
	o.ssh_key = missing;
	assert_int_equal(regit_upstream_open(&u, f->a_path, f->url, &o), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EPERM);
	print_message("# missing key: %s\n", regit_error_message());
	assert_non_null(strstr(regit_error_message(), "no-such-key"));
	regit_upstream_free(u);
	assert_no_zombies();
}

/* A host key nobody vouched for: REGIT_EPERM ("Host key verification
 * failed"), and the known_hosts file is not written (never accept-new). */
static void test_ssh__unknown_host_key_is_eperm(void **state)
{
	fixture *f = *state;
	regit_upstream_options o = f->opts;
	regit_upstream *u = NULL;
	char head[REGIT_STORE_OID_HEX], kh[700], line[64];

	snprintf(kh, sizeof(kh), "%s/empty_known_hosts-%d", base_dir, test_seq);
	assert_int_equal(test_sh_line(NULL, 0, ": >'%s'", kh), 0);
	o.ssh_known_hosts = kh;
	assert_int_equal(regit_upstream_open(&u, f->a_path, f->url, &o), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EPERM);
	print_message("# unknown host key: %s\n", regit_error_message());
	assert_non_null(strstr(regit_error_message(), "Host key verification failed"));
	regit_upstream_free(u);
	assert_int_equal(test_sh_line(line, sizeof(line), "wc -c <'%s'", kh), 0);
	assert_int_equal(strtol(line, NULL, 10), 0);

	/* A changed host key (another key under the same name): refused too. */
	assert_int_equal(test_sh_line(NULL, 0, "printf '[127.0.0.1]:%d ' >'%s' && cat '%s.pub' >>'%s'",
		sshd.port, kh, sshd.other_key, kh), 0);
	assert_int_equal(regit_upstream_open(&u, f->a_path, f->url, &o), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EPERM);
	print_message("# changed host key: %s\n", regit_error_message());
	assert_non_null(strstr(regit_error_message(), "Host key verification failed"));
	regit_upstream_free(u);
	assert_no_zombies();
}

/* A listener that accepts and never sends a banner: fetch and push give
 * up at the deadline (EIO, "deadline"), and the handle works afterwards. */
static void test_ssh__silent_listener_hits_deadline(void **state)
{
	fixture *f = *state;
	char url[200], head[REGIT_STORE_OID_HEX], c1[REGIT_STORE_OID_HEX];
	regit_upstream *u = NULL;
	uint64_t t0, took;

	snprintf(url, sizeof(url), "ssh://%s@127.0.0.1:%d/up.git", sshd.user, hang_port);
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, &f->opts), 0);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(u, HANG_MS, head), REGIT_EIO);
	took = test_now_ms() - t0;
	print_message("# fetch gave up after %llu ms: %s\n", (unsigned long long)took,
		regit_error_message());
	assert_true(took >= HANG_MS - 50 && took < HANG_MS + SLACK_MS);
	assert_non_null(strstr(regit_error_message(), "deadline"));
	assert_no_zombies();

	test_commit_file(f->a, "", c1, "ids/1", "one");
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_push(u, c1, "", HANG_MS), REGIT_EIO);
	took = test_now_ms() - t0;
	print_message("# push gave up after %llu ms\n", (unsigned long long)took);
	assert_true(took >= HANG_MS - 50 && took < HANG_MS + SLACK_MS);
	assert_non_null(strstr(regit_error_message(), "deadline"));
	regit_upstream_free(u);
	assert_no_zombies();
	assert_int_equal(regit_upstream_push(f->ua, c1, "", DEADLINE_MS), 0);
}

/* sshd stopped (kill -STOP of the listener): the kernel completes the
 * handshake, nobody sends a banner; the fetch gives up at the deadline
 * and after kill -CONT the same handle works. */
static void test_ssh__stopped_sshd_hits_deadline(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	uint64_t t0, took;

	seed(f, c1);
	assert_int_equal(kill(sshd.pid, SIGSTOP), 0);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(f->ub, HANG_MS, head), REGIT_EIO);
	took = test_now_ms() - t0;
	assert_int_equal(kill(sshd.pid, SIGCONT), 0);
	print_message("# stopped sshd: fetch gave up after %llu ms: %s\n",
		(unsigned long long)took, regit_error_message());
	assert_true(took >= HANG_MS - 50 && took < HANG_MS + SLACK_MS);
	assert_non_null(strstr(regit_error_message(), "deadline"));
	assert_no_zombies();
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_string_equal(head, c1);
}

/* sshd's session processes (and the git-receive-pack under them)
 * stopped in the middle of a push, after the lease check and before the
 * pack: EIO within the deadline. After kill -CONT the upstream is whole
 * (the push landed entirely or not at all) and a fetch tells which. */
static int stopped_sessions;

static void stop_sessions(void)
{
	stopped_sessions = test_sshd_signal_sessions(&sshd, SIGSTOP);
}

static void test_ssh__session_stopped_mid_push(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	char up[REGIT_STORE_OID_HEX];
	uint64_t t0, took;

	seed(f, c1);
	test_commit_file(f->a, c1, a2, "ids/2", "two");
	stopped_sessions = 0;
	regit_upstream__after_negotiation = stop_sessions;
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, HANG_MS), REGIT_EIO);
	took = test_now_ms() - t0;
	regit_upstream__after_negotiation = NULL;
	(void)test_sshd_signal_sessions(&sshd, SIGCONT);
	print_message("# %d session processes stopped mid-push: gave up after %llu ms: %s\n",
		stopped_sessions, (unsigned long long)took, regit_error_message());
	assert_true(stopped_sessions > 0);
	assert_true(took < HANG_MS + SLACK_MS);
	assert_non_null(strstr(regit_error_message(), "deadline"));
	assert_no_zombies();
	/* The outcome of a push cut after its pack was sent is unknown to the
	 * pusher: the upstream holds either c1 or all of a2, and a fetch says
	 * which. Give the resumed session a moment to finish or die. */
	usleep(300000);
	test_upstream_head(f->up_path, up);
	assert_true(strcmp(up, c1) == 0 || strcmp(up, a2) == 0);
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_string_equal(head, up);
	print_message("# after kill -CONT the upstream is at %s\n",
		strcmp(up, a2) == 0 ? "the pushed commit" : "the old head");
	assert_no_zombies();
}

/* Nobody listening, and a host that does not resolve: EIO with ssh's
 * words, quickly (not a wait for the deadline). */
static void test_ssh__unreachable_is_eio(void **state)
{
	fixture *f = *state;
	char url[200], head[REGIT_STORE_OID_HEX];
	regit_upstream *u = NULL;
	int port, fd = test_listen_any(&port);
	uint64_t t0;

	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "ssh://%s@127.0.0.1:%d/up.git", sshd.user, port);
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, &f->opts), 0);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EIO);
	print_message("# refused: %llu ms: %s\n", (unsigned long long)(test_now_ms() - t0),
		regit_error_message());
	assert_true(test_now_ms() - t0 < 5000);
	assert_non_null(strstr(regit_error_message(), "Connection refused"));
	regit_upstream_free(u);

	/* .invalid never resolves (RFC 6761); without a resolver the
	 * deadline ends it instead. Either way EIO, never a hang. */
	assert_int_equal(regit_upstream_open(&u, f->a_path, "ssh://git@host.invalid/x.git",
		&f->opts), 0);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(u, HANG_MS, head), REGIT_EIO);
	print_message("# unresolvable: %llu ms: %s\n", (unsigned long long)(test_now_ms() - t0),
		regit_error_message());
	assert_true(test_now_ms() - t0 < HANG_MS + SLACK_MS);
	assert_true(strstr(regit_error_message(), "resolve") != NULL ||
		strstr(regit_error_message(), "deadline") != NULL);
	regit_upstream_free(u);

	/* A repository that is not there: the remote git's words, EIO. */
	snprintf(url, sizeof(url), "ssh://%s@127.0.0.1:%d%s/nope.git", sshd.user, sshd.port,
		base_dir);
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, &f->opts), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EIO);
	print_message("# no repository: %s\n", regit_error_message());
	assert_non_null(strstr(regit_error_message(), "nope.git"));
	regit_upstream_free(u);
	assert_no_zombies();
}

/* The other spellings: ssh+git://, git+ssh://, and scp-like user@host:path
 * (libgit2 1.5 sends that one to the transport registered for ssh://, so
 * it is ours too). scp-like has no port: REGIT_SSH runs a wrapper that
 * adds one, which also checks that override. */
static void test_ssh__url_forms(void **state)
{
	fixture *f = *state;
	char url[800], wrapper[700], head[REGIT_STORE_OID_HEX], c1[REGIT_STORE_OID_HEX];
	regit_upstream *u = NULL;

	seed(f, c1);
	snprintf(url, sizeof(url), "ssh+git://%s@127.0.0.1:%d%s", sshd.user, sshd.port,
		f->up_path);
	assert_int_equal(regit_upstream_open(&u, f->b_path, url, &f->opts), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), 0);
	assert_string_equal(head, c1);
	regit_upstream_free(u);
	snprintf(url, sizeof(url), "git+ssh://%s@127.0.0.1:%d%s", sshd.user, sshd.port,
		f->up_path);
	assert_int_equal(regit_upstream_open(&u, f->b_path, url, &f->opts), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), 0);
	assert_string_equal(head, c1);
	regit_upstream_free(u);

	snprintf(wrapper, sizeof(wrapper), "%s/ssh-port-%d", base_dir, test_seq);
	assert_int_equal(test_sh_line(NULL, 0, "printf '#!/bin/sh\\nexec ssh -o Port=%d \"$@\"\\n'"
		" >'%s' && chmod +x '%s'", sshd.port, wrapper, wrapper), 0);
	setenv("REGIT_SSH", wrapper, 1);
	snprintf(url, sizeof(url), "%s@127.0.0.1:%s", sshd.user, f->up_path);
	assert_int_equal(regit_upstream_open(&u, f->c_path, url, &f->opts), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), 0);
	unsetenv("REGIT_SSH");
	assert_string_equal(head, c1);
	regit_upstream_free(u);
	assert_no_zombies();
}

/* What is refused at open, with the reason; no network. */
static void test_ssh__refused_urls(void **state)
{
	fixture *f = *state;
	static const struct { const char *url, *why; } bad[] = {
		{ "ssh://u:secret@h/x.git", "password" },
		{ "ssh://h", "path" },
		{ "ssh://h/", "path" },
		{ "ssh://-oProxyCommand=x/y.git", "'-'" },
		{ "ssh://h:99999/x.git", "port" },
		{ "h:", "path" },
		{ "file:///tmp/x.git", "force-updates" },
		{ "x/y:z.git", "force-updates" },
	};
	regit_upstream *u = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(regit_upstream_open(&u, f->a_path, bad[i].url, NULL),
			REGIT_EINVALID);
		assert_null(u);
		if (!strstr(regit_error_message(), bad[i].why))
			print_message("# %s: %s\n", bad[i].url, regit_error_message());
		assert_non_null(strstr(regit_error_message(), bad[i].why));
		assert_null(strstr(regit_error_message(), "secret"));
	}
	/* Accepted forms (no network at open). */
	assert_int_equal(regit_upstream_open(&u, f->a_path, "git@example.com:x.git", NULL), 0);
	regit_upstream_free(u);
	assert_int_equal(regit_upstream_open(&u, f->a_path, "ssh://[::1]:2222/~/x.git",
		NULL), 0);
	regit_upstream_free(u);
}

/* Replicas racing over ssh: PUSHERS processes loop fetch -> commit ->
 * push until ROUNDS pushes each were acknowledged; every acknowledged
 * commit is on the upstream, which is linear and holds exactly those. */
#define PUSHERS 3
#define ROUNDS 5
#define MAX_TRIES 200

static int pusher_run(const char *path, const char *url, const regit_upstream_options *o,
	const char *out, int id)
{
	char head[REGIT_STORE_OID_HEX], commit[64], tree[64];
	regit_upstream *up = NULL;
	int tries, rc, acked = 0;
	FILE *f;

	if (regit_upstream_open(&up, path, url, o) < 0)
		return 1;
	f = fopen(out, "w");
	if (!f || test_sh_line(tree, sizeof(tree), "git --git-dir='%s' mktree </dev/null", path) != 0)
		return 1;
	for (tries = 0; tries < MAX_TRIES && acked < ROUNDS; tries++) {
		if (regit_upstream_fetch(up, DEADLINE_MS, head) < 0) {
			fprintf(stderr, "pusher %d: %s\n", id, regit_error_message());
			return 1;
		}
		if (test_sh_line(commit, sizeof(commit), "git --git-dir='%s' -c user.name=p -c"
				" user.email=p@p commit-tree %s %s%s -m 'pusher %d try %d'",
				path, tree, head[0] ? "-p " : "", head, id, tries) != 0)
			return 1;
		rc = regit_upstream_push(up, commit, head, DEADLINE_MS);
		if (rc == 0) {
			fprintf(f, "%s\n", commit);
			acked++;
		} else if (rc != REGIT_ECONFLICT) {
			fprintf(stderr, "pusher %d: %s\n", id, regit_error_message());
			return 1;
		}
	}
	if (fclose(f) != 0)
		return 1;
	regit_upstream_free(up);
	return acked == ROUNDS ? 0 : 2;
}

static void test_ssh__concurrent_pushers_lose_nothing(void **state)
{
	fixture *f = *state;
	const char *paths[PUSHERS] = { f->a_path, f->b_path, f->c_path };
	char out[PUSHERS][600], line[128];
	pid_t pid[PUSHERS];
	int i, status, acked = 0;
	uint64_t t0 = test_now_ms(), until = t0 + 120000;
	FILE *in;

	fflush(NULL);
	for (i = 0; i < PUSHERS; i++) {
		snprintf(out[i], sizeof(out[i]), "%s/ssh-acked-%d-%d", base_dir, test_seq, i);
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0)
			_exit(pusher_run(paths[i], f->url, &f->opts, out[i], i));
	}
	for (i = 0; i < PUSHERS; i++) {
		while (waitpid(pid[i], &status, WNOHANG) == 0) {
			if (test_now_ms() > until) {
				kill(pid[i], SIGKILL);
				waitpid(pid[i], &status, 0);
				break;
			}
			usleep(20000);
		}
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	for (i = 0; i < PUSHERS; i++) {
		in = fopen(out[i], "r");
		assert_non_null(in);
		while (fgets(line, sizeof(line), in)) {
			line[strcspn(line, "\n")] = '\0';
			assert_int_equal(strlen(line), 40);
			acked++;
			assert_int_equal(test_sh_line(NULL, 0, "git --git-dir='%s' merge-base --is-ancestor"
				" %s main", f->up_path, line), 0);
		}
		fclose(in);
	}
	print_message("# %d acknowledged ssh pushes by %d pushers in %llu ms\n", acked,
		PUSHERS, (unsigned long long)(test_now_ms() - t0));
	assert_int_equal(acked, PUSHERS * ROUNDS);
	test_assert_linear(f->up_path, PUSHERS * ROUNDS);
	assert_no_zombies();
}

/*
 * Two threads of one process on two handles at once, as a replica's
 * writer and fetch thread are: each ssh child is its own (pipes, state,
 * deadline per thread), so a thread fetching while another pushes sees
 * every head the pushes left and nothing of the other's process (the
 * point of running this under ThreadSanitizer too).
 */
#define THREAD_ROUNDS 4

typedef struct fetcher {
	fixture *f;
	int failures, empty, done;
} fetcher;

static void *fetch_loop(void *arg)
{
	fetcher *fe = arg;
	char head[REGIT_STORE_OID_HEX];
	int i;

	for (i = 0; i < THREAD_ROUNDS; i++) {
		if (regit_upstream_fetch(fe->f->ub, DEADLINE_MS, head) < 0)
			fe->failures++;
		else if (!head[0])
			fe->empty++;
		else
			fe->done++;
	}
	return NULL;
}

static void test_ssh__threads_fetch_while_pushing(void **state)
{
	fixture *f = *state;
	char c[REGIT_STORE_OID_HEX], prev[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	char name[32];
	fetcher fe = { f, 0, 0, 0 };
	pthread_t t;
	int i;

	seed(f, prev);
	assert_int_equal(pthread_create(&t, NULL, fetch_loop, &fe), 0);
	for (i = 0; i < THREAD_ROUNDS; i++) {
		snprintf(name, sizeof(name), "ids/t%d", i);
		test_commit_file(f->a, prev, c, name, "threaded");
		assert_int_equal(regit_upstream_push(f->ua, c, prev, DEADLINE_MS), 0);
		memcpy(prev, c, sizeof(prev));
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(fe.failures, 0);
	assert_int_equal(fe.empty, 0);
	assert_int_equal(fe.done, THREAD_ROUNDS);
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_string_equal(head, prev);
	test_assert_linear(f->up_path, THREAD_ROUNDS + 1);
	assert_no_zombies();
}

#define T(name) { #name, test_ssh__##name, setup, teardown, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(push_then_fetch),
		T(stale_push_conflicts),
		T(wrong_key_is_eperm),
		T(unknown_host_key_is_eperm),
		T(silent_listener_hits_deadline),
		T(stopped_sshd_hits_deadline),
		T(session_stopped_mid_push),
		T(unreachable_is_eio),
		T(url_forms),
		T(refused_urls),
		T(concurrent_pushers_lose_nothing),
		T(threads_fetch_while_pushing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
