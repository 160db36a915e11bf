/*
 * test_upstream.c - store/upstream: fetch and compare-and-swap push against
 * a real `git daemon --enable=receive-pack` on loopback, and deadlines
 * against a server that accepts and never answers.
 *
 * The daemon is started once for the group (a free port on 127.0.0.1) and
 * stopped in the group teardown; each test makes its own upstream bare
 * repository under it and its own local stores. The checks are on what
 * the upstream holds afterwards, read with git itself (`git rev-parse`,
 * `git rev-list --first-parent`), not on what our side believes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/upstream.h"
#include "tests/support/tmpdir.h"
#include "tests/support/upstream_check.h"
#include "util/error.h"

/* Generous next to loopback round trips (a push here takes milliseconds)
 * so that valgrind and the sanitizers stay well inside it. */
#define DEADLINE_MS 20000u
/* The hanging server's deadline, and how late a call may come back: on
 * an idle machine 1-20 ms late; 1.5 s was seen once with the two cores at
 * load 11 (compilers of other jobs), and valgrind is slower still. The
 * point is bounded against forever, so the slack is wide. */
#define HANG_MS 700u
#define SLACK_MS 4000u

static char *base_dir;           /* the daemon's --base-path */
static pid_t daemon_pid = -1;
static int daemon_port;
static int hang_fd = -1;         /* listens, never accepts */
static int hang_port;
static int test_seq;
/* nginx + fcgiwrap + git http-backend: /git/ open, /auth/ behind basic
 * auth (user "replica", password HTTP_PASSWORD). */
static pid_t nginx_pid = -1, fcgi_pid = -1;
static int http_port;
static int use_http;             /* the next setup's transport */
#define HTTP_PASSWORD "pa55-w0rd"

typedef struct fixture {
	char up_path[512];       /* the upstream bare repository */
	char url[128];           /* git://127.0.0.1:port/name */
	char a_path[512], b_path[512], c_path[512];
	regit_store *a, *b, *c;
	regit_upstream *ua, *ub, *uc;
} fixture;

static int can_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/*
 * The servers must not outlive the test, however it ends (an assertion's
 * longjmp skips nothing here, but a sanitizer's abort or a kill -9 of the
 * runner skips the group teardown). A reaper process, forked first, reads
 * the servers' process groups from a pipe whose write end only this
 * process holds (close-on-exec, so no server inherits it); at EOF (this
 * process exited or closed it) it kills those groups.
 */
static int reaper_fd = -1;
static pid_t reaper_pid = -1;

static int reaper_start(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	reaper_pid = fork();
	if (reaper_pid < 0)
		return -1;
	if (reaper_pid == 0) {
		pid_t groups[8];
		size_t n = 0;
		pid_t g;

		/* A group of its own: `timeout` or a runner killing the test's
		 * group must not take the reaper with it. */
		setpgid(0, 0);
		close(p[1]);
		while (read(p[0], &g, sizeof(g)) == (ssize_t)sizeof(g))
			if (n < sizeof(groups) / sizeof(groups[0]))
				groups[n++] = g;
		while (n)
			kill(-groups[--n], SIGKILL);
		_exit(0);
	}
	close(p[0]);
	reaper_fd = p[1];
	return 0;
}

/* Tell the reaper about a server's process group (its leader's pid). */
static void reaper_watch(pid_t group)
{
	if (reaper_fd >= 0 && group > 0 &&
			write(reaper_fd, &group, sizeof(group)) != (ssize_t)sizeof(group))
		fprintf(stderr, "reaper: %s\n", strerror(errno));
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

static int start_daemon(void)
{
	char port[16], base[600];
	int fd, tries;
	uint64_t until;

	/* Pick a free port the kernel's way, then hand it to the daemon; if
	 * another process took it meanwhile the daemon exits and we retry. */
	for (tries = 0; tries < 5; tries++) {
		fd = test_listen_any(&daemon_port);
		if (fd < 0)
			return -1;
		close(fd);
		snprintf(port, sizeof(port), "--port=%d", daemon_port);
		snprintf(base, sizeof(base), "--base-path=%s", base_dir);
		daemon_pid = fork();
		if (daemon_pid < 0)
			return -1;
		if (daemon_pid == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			setpgid(0, 0);
			execlp("git", "git", "daemon", "--reuseaddr", "--enable=receive-pack",
				"--export-all", base, "--listen=127.0.0.1", port, base_dir,
				(char *)NULL);
			_exit(127);
		}
		/* setpgid in the parent too, so the group exists before the
		 * reaper may need it. */
		setpgid(daemon_pid, daemon_pid);
		reaper_watch(daemon_pid);
		until = test_now_ms() + 5000;
		while (test_now_ms() < until) {
			if (can_connect(daemon_port))
				return 0;
			if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid)
				break;
			usleep(20000);
		}
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = -1;
	}
	return -1;
}

/* SIGTERM to the child's process group (fcgiwrap and nginx have workers),
 * then SIGKILL after 3 s. */
static void stop_child(pid_t *pid)
{
	uint64_t until = test_now_ms() + 3000;

	if (*pid <= 0)
		return;
	kill(-*pid, SIGTERM);
	while (test_now_ms() < until) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = -1;
			return;
		}
		usleep(10000);
	}
	kill(-*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = -1;
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* Nothing of ours open in the servers (a test runner waiting
		 * for its pipe's end would wait for them). */
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/*
 * nginx in the foreground with a config of our own under base_dir,
 * fastcgi to an fcgiwrap on a unix socket, which runs git http-backend.
 * REMOTE_USER is set so http-backend allows receive-pack.
 */
static int start_http(void)
{
	char conf[800], sock[800], sockarg[820], prefix[700], line[128], params[PATH_MAX];
	FILE *c;
	int fd;
	uint64_t until;
	/* Debian puts both in /usr/sbin, which a user's PATH may lack. */
	char *fcgi_argv[] = { access("/usr/sbin/fcgiwrap", X_OK) == 0 ?
		"/usr/sbin/fcgiwrap" : "fcgiwrap", "-c", "2", "-s", sockarg, NULL };
	char *nginx_argv[] = { access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" :
		"nginx", "-p", prefix, "-c", conf, "-g", "daemon off;", NULL };

	/* tests/run runs us from the repository root */
	if (!realpath("tests/support/git-http-backend.nginx", params))
		return -1;
	snprintf(prefix, sizeof(prefix), "%s/http", base_dir);
	snprintf(conf, sizeof(conf), "%s/nginx.conf", prefix);
	snprintf(sock, sizeof(sock), "%s/fcgi.sock", prefix);
	snprintf(sockarg, sizeof(sockarg), "unix:%s", sock);
	if (test_sh_line(NULL, 0, "mkdir -p '%s/tmp' && printf 'replica:{PLAIN}%s\\n' >'%s/htpasswd'",
			prefix, HTTP_PASSWORD, prefix) != 0)
		return -1;
	fd = test_listen_any(&http_port);
	if (fd < 0)
		return -1;
	close(fd);
	c = fopen(conf, "w");
	if (!c)
		return -1;
	fprintf(c, "%s\n", geteuid() == 0 ? "user root;" : "");
	fprintf(c, "worker_processes 1;\nerror_log %s/error.log;\npid %s/nginx.pid;\n"
		"events { worker_connections 64; }\n"
		"http {\n access_log off;\n client_body_temp_path %s/tmp/body;\n"
		" fastcgi_temp_path %s/tmp/fcgi;\n proxy_temp_path %s/tmp/proxy;\n"
		" uwsgi_temp_path %s/tmp/uwsgi;\n scgi_temp_path %s/tmp/scgi;\n"
		" client_max_body_size 0;\n"
		" server {\n  listen 127.0.0.1:%d;\n",
		prefix, prefix, prefix, prefix, prefix, prefix, prefix, http_port);
	for (fd = 0; fd < 2; fd++) {
		fprintf(c, "  location ~ ^/%s(/.*)$ {\n", fd ? "auth" : "git");
		if (fd)
			fprintf(c, "   auth_basic regit;\n   auth_basic_user_file %s/htpasswd;\n",
				prefix);
		fprintf(c, "   fastcgi_pass unix:%s;\n"
			"   fastcgi_param GIT_PROJECT_ROOT %s;\n"
			"   include %s;\n"
			"  }\n", sock, base_dir, params);
	}
	fprintf(c, " }\n}\n");
	if (fclose(c) != 0)
		return -1;
	fcgi_pid = spawn(fcgi_argv);
	nginx_pid = spawn(nginx_argv);
	if (fcgi_pid < 0 || nginx_pid < 0)
		return -1;
	setpgid(fcgi_pid, fcgi_pid);
	setpgid(nginx_pid, nginx_pid);
	reaper_watch(fcgi_pid);
	reaper_watch(nginx_pid);
	until = test_now_ms() + 5000;
	while (test_now_ms() < until) {
		if (can_connect(http_port) &&
				test_sh_line(line, sizeof(line), "test -S '%s' && echo ok", sock) == 0)
			return 0;
		usleep(20000);
	}
	fprintf(stderr, "nginx or fcgiwrap did not come up\n");
	return -1;
}

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	base_dir = test_tmpdir_new("upstream");
	if (!base_dir || reaper_start() < 0 || start_daemon() < 0) {
		fprintf(stderr, "cannot start git daemon on 127.0.0.1\n");
		return -1;
	}
	if (start_http() < 0) {
		fprintf(stderr, "cannot start nginx + fcgiwrap on 127.0.0.1"
			" (scripts/install-deps --test)\n");
		return -1;
	}
	hang_fd = test_listen_any(&hang_port);
	return hang_fd < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_child(&daemon_pid);
	stop_child(&nginx_pid);
	stop_child(&fcgi_pid);
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
	if (use_http)
		snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/git/up%d.git", http_port, n);
	else
		snprintf(f->url, sizeof(f->url), "git://127.0.0.1:%d/up%d.git", daemon_port, n);
	assert_int_equal(test_sh_line(NULL, 0, "git init -q --bare '%s' && git --git-dir='%s'"
		" symbolic-ref HEAD refs/heads/main", f->up_path, f->up_path), 0);
	snprintf(f->a_path, sizeof(f->a_path), "%s/a%d.git", base_dir, n);
	snprintf(f->b_path, sizeof(f->b_path), "%s/b%d.git", base_dir, n);
	snprintf(f->c_path, sizeof(f->c_path), "%s/c%d.git", base_dir, n);
	assert_int_equal(regit_store_open(&f->a, f->a_path, NULL), 0);
	assert_int_equal(regit_store_open(&f->b, f->b_path, NULL), 0);
	assert_int_equal(regit_store_open(&f->c, f->c_path, NULL), 0);
	assert_int_equal(regit_upstream_open(&f->ua, f->a_path, f->url, NULL), 0);
	assert_int_equal(regit_upstream_open(&f->ub, f->b_path, f->url, NULL), 0);
	assert_int_equal(regit_upstream_open(&f->uc, f->c_path, f->url, NULL), 0);
	*state = f;
	return 0;
}

static int setup_http(void **state)
{
	use_http = 1;
	return setup(state);
}

static int setup_git(void **state)
{
	use_http = 0;
	return setup(state);
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

/* Publish a first commit from store a (creating the upstream branch). */
static void seed(fixture *f, char c1[REGIT_STORE_OID_HEX])
{
	test_commit_file(f->a, "", c1, "ids/1", "one");
	assert_int_equal(regit_upstream_push(f->ua, c1, "", DEADLINE_MS), 0);
}

/* An empty upstream: a distinct result (""), not an error; nothing tracked. */
static void test_upstream__fetch_empty(void **state)
{
	fixture *f = *state;
	char head[REGIT_STORE_OID_HEX] = "x";

	assert_int_equal(regit_upstream_fetch(f->ua, DEADLINE_MS, head), 0);
	assert_string_equal(head, "");
	assert_int_equal(regit_upstream_tracked(f->ua, head), 0);
	assert_string_equal(head, "");
}

/* Push creates the branch; another store fetches it, takes it in, and
 * reads the file; fetching again when nothing changed is a no-op. */
static void test_upstream__push_then_fetch(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];
	regit_store_listing *l = NULL;
	uint64_t t0;

	t0 = test_now_ms();
	seed(f, c1);
	print_message("# first push: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, c1);
	assert_int_equal(regit_upstream_tracked(f->ua, head), 0);
	assert_string_equal(head, c1);

	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	print_message("# first fetch: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	assert_string_equal(head, c1);
	assert_int_equal(regit_upstream_advance(f->ub, "", head), 0);
	assert_int_equal(regit_store_head(f->b, head), 0);
	assert_string_equal(head, c1);
	assert_int_equal(regit_store_list(&l, f->b, NULL), 0);
	assert_int_equal(l->nfiles, 1);
	assert_string_equal(l->files[0].path, "ids/1");
	regit_store_listing_free(l);

	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	print_message("# idle fetch: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	assert_string_equal(head, c1);
	test_assert_linear(f->up_path, 1);
}

/* Two replicas from the same base: exactly one wins, the other gets
 * REGIT_ECONFLICT and the upstream keeps the winner; the loser fetches
 * and a push from the new head lands. */
static void test_upstream__two_pushers_one_wins(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], b2[REGIT_STORE_OID_HEX];
	char c3[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];
	uint64_t t0;

	seed(f, c1);
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_int_equal(regit_upstream_advance(f->ub, "", head), 0);
	test_commit_file(f->a, c1, a2, "ids/2", "two from a");
	test_commit_file(f->b, c1, b2, "ids/2", "two from b");

	t0 = test_now_ms();
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), 0);
	print_message("# push: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_push(f->ub, b2, c1, DEADLINE_MS), REGIT_ECONFLICT);
	print_message("# lost push: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
	assert_non_null(strstr(regit_error_message(), "lost the race"));
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, a2);
	/* The loser's tracking ref did not move to its own commit. */
	assert_int_equal(regit_upstream_tracked(f->ub, head), 0);
	assert_string_equal(head, c1);

	/* Re-plan on the new head (a third replica, whose branch is clean). */
	assert_int_equal(regit_upstream_fetch(f->uc, DEADLINE_MS, head), 0);
	assert_string_equal(head, a2);
	assert_int_equal(regit_upstream_advance(f->uc, "", head), 0);
	test_commit_file(f->c, a2, c3, "ids/3", "three");
	assert_int_equal(regit_upstream_push(f->uc, c3, a2, DEADLINE_MS), 0);
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, c3);
	/* b's fetch sees it and brings its objects. */
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_string_equal(head, c3);
	assert_int_equal(regit_store_descends(f->b, c3, c1), 1);
	test_assert_linear(f->up_path, 3);
}

/* Creating the branch when it already exists (expected "") is a lost race. */
static void test_upstream__create_when_present_conflicts(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], b1[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];

	seed(f, c1);
	test_commit_file(f->b, "", b1, "ids/1", "other one");
	assert_int_equal(regit_upstream_push(f->ub, b1, "", DEADLINE_MS), REGIT_ECONFLICT);
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, c1);
	test_assert_linear(f->up_path, 1);
}

/*
 * The server's own compare-and-swap: the upstream moves after the lease
 * check passed and before receive-pack updates the ref (the seam runs
 * git update-ref on the upstream right there). receive-pack refuses; the
 * refusal reaches us only through push_update_reference, and it must be
 * REGIT_ECONFLICT, not success.
 */
static fixture *race_fixture;
static char race_to[REGIT_STORE_OID_HEX];
static char race_from[REGIT_STORE_OID_HEX];
static int race_calls;

static void move_upstream(void)
{
	race_calls++;
	assert_int_equal(test_sh_line(NULL, 0, "git --git-dir='%s' update-ref refs/heads/main %s %s",
		race_fixture->up_path, race_to, race_from), 0);
}

static void test_upstream__server_refuses_after_lease(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];
	char tree[64];

	seed(f, c1);
	/* A commit made on the upstream itself, on top of c1. */
	assert_int_equal(test_sh_line(tree, sizeof(tree), "git --git-dir='%s' rev-parse %s^{tree}",
		f->up_path, c1), 0);
	assert_int_equal(test_sh_line(race_to, sizeof(race_to), "git --git-dir='%s' -c user.name=t"
		" -c user.email=t@t commit-tree %s -p %s -m outside", f->up_path, tree, c1), 0);
	assert_int_equal(strlen(race_to), 40);
	memcpy(race_from, c1, sizeof(race_from));
	race_fixture = f;
	race_calls = 0;
	regit_upstream__after_negotiation = move_upstream;

	test_commit_file(f->a, c1, a2, "ids/2", "two");
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), REGIT_ECONFLICT);
	assert_int_equal(race_calls, 1);
	print_message("# server said: %s\n", regit_error_message());
	assert_non_null(strstr(regit_error_message(), "refused"));
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, race_to);
	test_assert_linear(f->up_path, 2);
}

/* Not a fast-forward of expected: refused before any network, upstream
 * unchanged; a stale expected head is a lost race. */
static void test_upstream__non_fast_forward_refused(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];
	char b1[REGIT_STORE_OID_HEX];

	seed(f, c1);
	test_commit_file(f->a, c1, a2, "ids/2", "two");
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), 0);
	/* Rewind: push c1 over a2. */
	assert_int_equal(regit_upstream_push(f->ua, c1, a2, DEADLINE_MS), REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "fast-forward"));
	/* A commit from an unrelated history, claiming the right base. */
	test_commit_file(f->b, "", b1, "ids/1", "unrelated");
	assert_int_equal(regit_upstream_push(f->ub, b1, a2, DEADLINE_MS), REGIT_EINVALID);
	/* A stale base: the lease check catches it. */
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, up), 0);
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), REGIT_ECONFLICT);
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, a2);
	test_assert_linear(f->up_path, 2);
}

/* Local transports and unknown schemes are refused at open, with the
 * reason (ssh has its own tests: test_upstream_ssh.c). */
static void test_upstream__refused_urls(void **state)
{
	fixture *f = *state;
	static const char *const bad[] = {
		"file:///tmp/x.git", "/tmp/x.git", "./x.git", "x.git", "ftp://x/y",
	};
	regit_upstream *u = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(regit_upstream_open(&u, f->a_path, bad[i], NULL), REGIT_EINVALID);
		assert_null(u);
	}
	assert_int_equal(regit_upstream_open(&u, f->a_path, f->up_path, NULL), REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "force-updates"));
}

/* A server that accepts and never answers: fetch and push come back
 * within the deadline (plus slack) with a message that says so, and the
 * handle works again afterwards. */
static void test_upstream__deadline_on_silent_server(void **state)
{
	fixture *f = *state;
	char url[128], head[REGIT_STORE_OID_HEX], c1[REGIT_STORE_OID_HEX];
	regit_upstream *u = NULL;
	uint64_t t0, took;

	snprintf(url, sizeof(url), use_http ? "http://127.0.0.1:%d/git/up.git" :
		"git://127.0.0.1:%d/up.git", hang_port);
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, NULL), 0);

	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(u, HANG_MS, head), REGIT_EIO);
	took = test_now_ms() - t0;
	print_message("# fetch gave up after %llu ms: %s\n", (unsigned long long)took,
		regit_error_message());
	assert_true(took >= HANG_MS - 50 && took <= HANG_MS + SLACK_MS);
	assert_non_null(strstr(regit_error_message(), "deadline"));
	assert_string_equal(head, "");

	test_commit_file(f->a, "", c1, "ids/1", "one");
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_push(u, c1, "", HANG_MS), REGIT_EIO);
	took = test_now_ms() - t0;
	print_message("# push gave up after %llu ms\n", (unsigned long long)took);
	assert_true(took >= HANG_MS - 50 && took <= HANG_MS + SLACK_MS);
	assert_non_null(strstr(regit_error_message(), "deadline"));
	regit_upstream_free(u);

	/* The same process still talks to a live server. */
	assert_int_equal(regit_upstream_push(f->ua, c1, "", DEADLINE_MS), 0);
}

/* A server whose accept queue is full: the TCP handshake itself never
 * completes (Linux drops the SYN), so the connect waits for the deadline. */
static void test_upstream__deadline_on_connect(void **state)
{
	fixture *f = *state;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char url[128], head[REGIT_STORE_OID_HEX];
	regit_upstream *u = NULL;
	int fill[4], i, port;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint64_t t0, took;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 0), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	for (i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_true(fill[i] >= 0);
		(void)connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(100000);
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/up.git", port);
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, NULL), 0);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(u, HANG_MS, head), REGIT_EIO);
	took = test_now_ms() - t0;
	print_message("# connect gave up after %llu ms: %s\n", (unsigned long long)took,
		regit_error_message());
	assert_true(took >= HANG_MS - 50 && took <= HANG_MS + SLACK_MS);
	assert_non_null(strstr(regit_error_message(), "deadline"));
	regit_upstream_free(u);
	for (i = 0; i < 4; i++)
		close(fill[i]);
	close(fd);
}

/* The git daemon stopped (kill -STOP of its process group): its socket still completes the
 * handshake, nobody answers. Fetch and push fail within the deadline;
 * after kill -CONT the same handle works, and nothing was half-done. */
static void test_upstream__daemon_stopped(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];
	char up[REGIT_STORE_OID_HEX];
	uint64_t t0, took;

	seed(f, c1);
	test_commit_file(f->a, c1, a2, "ids/2", "two");
	/* The group: `git daemon` runs git-daemon as its child. */
	assert_int_equal(kill(-daemon_pid, SIGSTOP), 0);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(f->ub, HANG_MS, head), REGIT_EIO);
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, HANG_MS), REGIT_EIO);
	took = test_now_ms() - t0;
	assert_int_equal(kill(-daemon_pid, SIGCONT), 0);
	print_message("# stopped daemon: fetch + push gave up after %llu ms\n",
		(unsigned long long)took);
	assert_true(took >= 2 * HANG_MS - 100 && took <= 2 * (HANG_MS + SLACK_MS));
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, c1);
	/* The connections queued while stopped are served (and dropped) now;
	 * new ones work. */
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), 0);
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_string_equal(head, a2);
	test_assert_linear(f->up_path, 2);
}

/* A pre-receive hook that refuses (part 1's `regit verify` will run
 * there): REGIT_EPERM, not a lost race, with the hook's words in the
 * message; the upstream is unchanged. */
static void test_upstream__hook_refusal_is_not_a_race(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];

	seed(f, c1);
	assert_int_equal(test_sh_line(NULL, 0, "printf '#!/bin/sh\\necho \"finding: id 2 would be"
		" reissued\" >&2\\nexit 1\\n' >'%s/hooks/pre-receive' && chmod +x"
		" '%s/hooks/pre-receive'", f->up_path, f->up_path), 0);
	test_commit_file(f->a, c1, a2, "ids/2", "two");
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), REGIT_EPERM);
	print_message("# hook: %s\n", regit_error_message());
	assert_non_null(strstr(regit_error_message(), "id 2 would be reissued"));
	assert_non_null(strstr(regit_error_message(), "refused"));
	assert_null(strstr(regit_error_message(), "lost the race"));
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, c1);
}

/* https://: libgit2's TLS stream (mbedTLS in Debian's build) wraps our
 * socket stream, so a server that accepts and never answers the TLS
 * handshake is bounded by the deadline too. */
static void test_upstream__deadline_on_silent_tls_server(void **state)
{
	fixture *f = *state;
	char url[128], head[REGIT_STORE_OID_HEX];
	regit_upstream *u = NULL;
	uint64_t t0, took;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/up.git", hang_port);
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, NULL), 0);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(u, HANG_MS, head), REGIT_EIO);
	took = test_now_ms() - t0;
	print_message("# TLS handshake gave up after %llu ms: %s\n",
		(unsigned long long)took, regit_error_message());
	assert_true(took >= HANG_MS - 50 && took <= HANG_MS + SLACK_MS);
	assert_non_null(strstr(regit_error_message(), "deadline"));
	regit_upstream_free(u);
}

/* The other write path: commit locally first, push, and on a lost race
 * put the branch back on the fetched upstream head; never past a served
 * head. */
static void test_upstream__reset_after_lost_race(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], b2[REGIT_STORE_OID_HEX];
	char b3[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX], up[REGIT_STORE_OID_HEX];

	seed(f, c1);
	/* Nothing fetched yet: nothing to reset to. */
	assert_int_equal(regit_upstream_reset(f->ub, c1, ""), REGIT_EINVALID);
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_int_equal(regit_upstream_advance(f->ub, "", head), 0);
	test_commit_file(f->a, c1, a2, "ids/2", "two from a");
	test_commit_file(f->b, c1, b2, "ids/2", "two from b");
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), 0);
	assert_int_equal(regit_upstream_push(f->ub, b2, c1, DEADLINE_MS), REGIT_ECONFLICT);
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	assert_string_equal(head, a2);
	/* b2 was served (say): refused, the branch stays. */
	assert_int_equal(regit_upstream_reset(f->ub, b2, b2), REGIT_EINVALID);
	assert_non_null(strstr(regit_error_message(), "served"));
	/* A stale from: refused. */
	assert_int_equal(regit_upstream_reset(f->ub, c1, c1), REGIT_ECONFLICT);
	assert_int_equal(regit_store_head(f->b, head), 0);
	assert_string_equal(head, b2);
	/* Served c1 (an ancestor of a2): back onto a2, re-plan, push. */
	assert_int_equal(regit_upstream_reset(f->ub, b2, c1), 0);
	assert_int_equal(regit_store_head(f->b, head), 0);
	assert_string_equal(head, a2);
	test_commit_file(f->b, a2, b3, "ids/3", "three from b");
	assert_int_equal(regit_upstream_push(f->ub, b3, a2, DEADLINE_MS), 0);
	assert_int_equal(regit_upstream_advance(f->ub, a2, b3), REGIT_ECONFLICT);
	assert_int_equal(regit_store_head(f->b, head), 0);
	assert_string_equal(head, b3);
	test_upstream_head(f->up_path, up);
	assert_string_equal(up, b3);
	test_assert_linear(f->up_path, 3);
}

/* Nobody listening: a quick, clear failure, not a wait for the deadline. */
static void test_upstream__connection_refused(void **state)
{
	fixture *f = *state;
	char url[128], head[REGIT_STORE_OID_HEX];
	regit_upstream *u = NULL;
	int port, fd = test_listen_any(&port);
	uint64_t t0;

	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/up.git", port);
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, NULL), 0);
	t0 = test_now_ms();
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EIO);
	assert_true(test_now_ms() - t0 < 2000);
	assert_non_null(strstr(regit_error_message(), "connect"));
	regit_upstream_free(u);
}

/* advance is a fast-forward compare-and-swap of the store's branch. */
static void test_upstream__advance_is_fast_forward_cas(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], b1[REGIT_STORE_OID_HEX];
	char head[REGIT_STORE_OID_HEX];

	seed(f, c1);
	test_commit_file(f->a, c1, a2, "ids/2", "two");
	assert_int_equal(regit_upstream_push(f->ua, a2, c1, DEADLINE_MS), 0);
	test_commit_file(f->b, "", b1, "x", "local");
	assert_int_equal(regit_upstream_fetch(f->ub, DEADLINE_MS, head), 0);
	/* b's branch is at b1, not absent, and a2 does not descend from b1. */
	assert_int_equal(regit_upstream_advance(f->ub, "", a2), REGIT_ECONFLICT);
	assert_int_equal(regit_upstream_advance(f->ub, b1, a2), REGIT_EINVALID);
	assert_int_equal(regit_store_head(f->b, head), 0);
	assert_string_equal(head, b1);
	/* c: absent -> c1 -> a2, and a stale from is refused. */
	assert_int_equal(regit_upstream_fetch(f->uc, DEADLINE_MS, head), 0);
	assert_int_equal(regit_upstream_advance(f->uc, "", c1), 0);
	assert_int_equal(regit_upstream_advance(f->uc, c1, a2), 0);
	assert_int_equal(regit_upstream_advance(f->uc, c1, a2), REGIT_ECONFLICT);
	assert_int_equal(regit_store_head(f->c, head), 0);
	assert_string_equal(head, a2);
}

/* rewind takes local commits back: only to an ancestor, only from where
 * the branch is, and "" deletes the branch (a first write that lost). */
static void test_upstream__rewind_takes_back_local_commits(void **state)
{
	fixture *f = *state;
	char c1[REGIT_STORE_OID_HEX], a2[REGIT_STORE_OID_HEX], a3[REGIT_STORE_OID_HEX];
	char b1[REGIT_STORE_OID_HEX], head[REGIT_STORE_OID_HEX];

	seed(f, c1);
	test_commit_file(f->a, c1, a2, "ids/2", "two");
	test_commit_file(f->a, a2, a3, "ids/3", "three");
	/* Not an ancestor, a stale from: refused, the branch stays. */
	test_commit_file(f->b, "", b1, "x", "local");
	assert_int_equal(regit_upstream_rewind(f->ua, a3, b1), REGIT_EINVALID);
	assert_int_equal(regit_upstream_rewind(f->ua, a2, c1), REGIT_ECONFLICT);
	assert_int_equal(regit_store_head(f->a, head), 0);
	assert_string_equal(head, a3);
	/* Back two commits, then to nothing (the branch deleted). */
	assert_int_equal(regit_upstream_rewind(f->ua, a3, c1), 0);
	assert_int_equal(regit_store_head(f->a, head), 0);
	assert_string_equal(head, c1);
	assert_int_equal(regit_upstream_rewind(f->ub, b1, ""), 0);
	assert_int_equal(regit_store_head(f->b, head), 0);
	assert_string_equal(head, "");
	assert_int_equal(regit_upstream_rewind(f->ub, b1, ""), REGIT_ECONFLICT);
}

/* A refused http-style credential setup needs a server; the secret must
 * never reach a message either way: the URL's user info is cut. */
static void test_upstream__url_secret_not_in_messages(void **state)
{
	fixture *f = *state;
	char url[160], head[REGIT_STORE_OID_HEX];
	regit_upstream *u = NULL;
	int port, fd = test_listen_any(&port);

	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "http://user:s3cr3t@127.0.0.1:%d/up.git", port);
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, NULL), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EIO);
	assert_null(strstr(regit_error_message(), "s3cr3t"));
	assert_non_null(strstr(regit_error_message(), "127.0.0.1"));
	regit_upstream_free(u);
}

/*
 * Replicas racing for real: PUSHERS processes (forked while the test is
 * single-threaded), each with its own store and handle, each loops
 * fetch -> commit on the fetched head -> push until it has ROUNDS
 * acknowledged pushes, and writes the acknowledged commit ids to a file.
 * The commits are made with git commit-tree, so a lost race leaves the
 * local branch alone (the way the registry's write path is meant to work:
 * publish locally only after the push won). Every acknowledged commit must
 * be on the upstream's first-parent chain, which holds exactly those
 * commits and is linear. (Processes, not threads: replicas are processes,
 * and glibc's mktime, which libgit2 calls for every reflog signature,
 * takes a lock ThreadSanitizer cannot see.)
 */
#define PUSHERS 3
#define ROUNDS 10
#define MAX_TRIES 400
#define PUSHERS_WAIT_MS 180000u

/* The child's loop; its exit status: 0 done, 1 a failure, 2 gave up. */
static int pusher_run(const char *path, const char *url, const char *out, int id)
{
	char head[REGIT_STORE_OID_HEX], commit[64], tree[64];
	regit_upstream *up = NULL;
	int tries, rc, acked = 0, conflicts = 0;
	FILE *f;

	if (regit_upstream_open(&up, path, url, NULL) < 0)
		return 1;
	f = fopen(out, "w");
	if (!f || test_sh_line(tree, sizeof(tree), "git --git-dir='%s' mktree </dev/null", path) != 0)
		return 1;
	for (tries = 0; tries < MAX_TRIES && acked < ROUNDS; tries++) {
		if (regit_upstream_fetch(up, DEADLINE_MS, head) < 0)
			return 1;
		if (test_sh_line(commit, sizeof(commit), "git --git-dir='%s' -c user.name=p -c"
				" user.email=p@p commit-tree %s %s%s -m 'pusher %d try %d'",
				path, tree, head[0] ? "-p " : "", head, id, tries) != 0)
			return 1;
		rc = regit_upstream_push(up, commit, head, DEADLINE_MS);
		if (rc == 0) {
			fprintf(f, "%s\n", commit);
			acked++;
		} else if (rc == REGIT_ECONFLICT) {
			conflicts++;
		} else {
			fprintf(stderr, "pusher %d: %s\n", id, regit_error_message());
			return 1;
		}
	}
	fprintf(f, "conflicts %d\n", conflicts);
	if (fclose(f) != 0)
		return 1;
	regit_upstream_free(up);
	return acked == ROUNDS ? 0 : 2;
}

static void test_upstream__concurrent_pushers_lose_nothing(void **state)
{
	fixture *f = *state;
	const char *paths[PUSHERS] = { f->a_path, f->b_path, f->c_path };
	char out[PUSHERS][600], line[128];
	pid_t pid[PUSHERS];
	int i, status, acked = 0, conflicts = 0, n;
	uint64_t t0 = test_now_ms(), until = t0 + PUSHERS_WAIT_MS;
	FILE *in;

	fflush(NULL);
	for (i = 0; i < PUSHERS; i++) {
		snprintf(out[i], sizeof(out[i]), "%s/acked-%d-%d", base_dir, test_seq, i);
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0)
			_exit(pusher_run(paths[i], f->url, out[i], i));
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
			if (sscanf(line, "conflicts %d", &n) == 1) {
				conflicts += n;
				continue;
			}
			assert_int_equal(strlen(line), 40);
			acked++;
			assert_int_equal(test_sh_line(NULL, 0, "git --git-dir='%s' merge-base --is-ancestor"
				" %s main", f->up_path, line), 0);
		}
		fclose(in);
	}
	print_message("# %d acknowledged pushes by %d pushers in %llu ms, %d lost races\n",
		acked, PUSHERS, (unsigned long long)(test_now_ms() - t0), conflicts);
	assert_int_equal(acked, PUSHERS * ROUNDS);
	test_assert_linear(f->up_path, PUSHERS * ROUNDS);
}

/* http basic auth: none configured, wrong, from a file, from the URL;
 * the refusal is REGIT_EPERM and no secret reaches a message. */
static void test_upstream__http_credentials(void **state)
{
	fixture *f = *state;
	char url[200], head[REGIT_STORE_OID_HEX], c1[REGIT_STORE_OID_HEX], file[600];
	const char *tail = strstr(f->url, "/git/");
	regit_upstream_options o = REGIT_UPSTREAM_OPTIONS_INIT;
	regit_upstream *u = NULL;
	FILE *cf;

	assert_non_null(tail);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/auth/%s", http_port, tail + 5);
	unsetenv("REGIT_UPSTREAM_CREDENTIALS");
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, NULL), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EPERM);
	assert_non_null(strstr(regit_error_message(), "none are configured"));

	setenv("REGIT_UPSTREAM_CREDENTIALS", "replica:not-the-one", 1);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EPERM);
	print_message("# wrong password: %s\n", regit_error_message());
	assert_non_null(strstr(regit_error_message(), "refused"));
	assert_null(strstr(regit_error_message(), "not-the-one"));
	setenv("REGIT_UPSTREAM_CREDENTIALS", "replica:" HTTP_PASSWORD, 1);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), 0);
	assert_string_equal(head, "");
	unsetenv("REGIT_UPSTREAM_CREDENTIALS");
	regit_upstream_free(u);

	/* A file wins over the environment; its first line only. */
	snprintf(file, sizeof(file), "%s/creds-%d", base_dir, test_seq);
	cf = fopen(file, "w");
	assert_non_null(cf);
	fprintf(cf, "replica:%s\nignored\n", HTTP_PASSWORD);
	assert_int_equal(fclose(cf), 0);
	setenv("REGIT_UPSTREAM_CREDENTIALS", "replica:not-the-one", 1);
	o.credentials_file = file;
	assert_int_equal(regit_upstream_open(&u, f->a_path, url, &o), 0);
	test_commit_file(f->a, "", c1, "ids/1", "one");
	assert_int_equal(regit_upstream_push(u, c1, "", DEADLINE_MS), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), 0);
	assert_string_equal(head, c1);
	unsetenv("REGIT_UPSTREAM_CREDENTIALS");
	regit_upstream_free(u);

	/* user:password in the URL. */
	snprintf(url, sizeof(url), "http://replica:%s@127.0.0.1:%d/auth/%s", HTTP_PASSWORD,
		http_port, tail + 5);
	assert_int_equal(regit_upstream_open(&u, f->b_path, url, NULL), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), 0);
	assert_string_equal(head, c1);
	regit_upstream_free(u);

	/* A wrong one in the URL is a refusal, not "none configured". */
	snprintf(url, sizeof(url), "http://replica:not-the-one@127.0.0.1:%d/auth/%s",
		http_port, tail + 5);
	assert_int_equal(regit_upstream_open(&u, f->b_path, url, NULL), 0);
	assert_int_equal(regit_upstream_fetch(u, DEADLINE_MS, head), REGIT_EPERM);
	assert_non_null(strstr(regit_error_message(), "refused the credentials in the URL"));
	assert_null(strstr(regit_error_message(), "not-the-one"));
	regit_upstream_free(u);
}

#define T(name, setup) { #setup ": " #name, test_upstream__##name, setup, teardown, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(fetch_empty, setup_git),
		T(push_then_fetch, setup_git),
		T(two_pushers_one_wins, setup_git),
		T(create_when_present_conflicts, setup_git),
		T(server_refuses_after_lease, setup_git),
		T(non_fast_forward_refused, setup_git),
		T(refused_urls, setup_git),
		T(deadline_on_silent_server, setup_git),
		T(deadline_on_connect, setup_git),
		T(deadline_on_silent_tls_server, setup_git),
		T(daemon_stopped, setup_git),
		T(hook_refusal_is_not_a_race, setup_git),
		T(connection_refused, setup_git),
		T(advance_is_fast_forward_cas, setup_git),
		T(rewind_takes_back_local_commits, setup_git),
		T(reset_after_lost_race, setup_git),
		T(url_secret_not_in_messages, setup_git),
		T(concurrent_pushers_lose_nothing, setup_git),
		T(fetch_empty, setup_http),
		T(push_then_fetch, setup_http),
		T(two_pushers_one_wins, setup_http),
		T(create_when_present_conflicts, setup_http),
		T(server_refuses_after_lease, setup_http),
		T(non_fast_forward_refused, setup_http),
		T(deadline_on_silent_server, setup_http),
		T(concurrent_pushers_lose_nothing, setup_http),
		T(hook_refusal_is_not_a_race, setup_http),
		T(http_credentials, setup_http),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
