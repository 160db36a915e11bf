/*
 * upstream_ssh.c - ssh upstreams through OpenSSH's `ssh` as a child
 * process, with a deadline on every wait (see upstream_ssh.h).
 *
 * Why it exists: libgit2 1.5.1 (Debian 12) speaks ssh through libssh2 on a
 * blocking socket, and libssh2's reads have no deadline, so an ssh server
 * that stops answering would hang a replica's fetch or push forever (the
 * git:// and http(s):// streams have deadlines, upstream_stream.c). So
 * regit refused ssh upstreams. This file does what libgit2 >= 1.8's
 * ssh_exec.c does: a smart subtransport that runs
 *
 *   ssh -x -T -o BatchMode=yes -o StrictHostKeyChecking=yes
 *       -o ConnectTimeout=N [-o UserKnownHostsFile=F] [-i KEY -o
 *       IdentitiesOnly=yes] [-p PORT] [-l USER] -- HOST
 *       "git-upload-pack '/path'"
 *
 * (no shell: the argv is built here; the path is single-quoted the way git
 * quotes it, for the remote shell) and speaks git's protocol over the
 * child's stdin and stdout. Unlike libgit2's, every wait here is a poll()
 * bounded by the calling thread's deadline (upstream_stream.h): name
 * resolution, connect, key exchange, authentication, the transfer and the
 * child's exit are all inside it, because ssh does them all and is killed
 * at the deadline. ssh's stderr is kept (its last SSH_ERR_TAIL bytes) so
 * that its words ("Permission denied (publickey)", "Host key verification
 * failed", "Could not resolve hostname") make the error message, and a
 * refusal of the key or of the host key is told apart (REGIT_EPERM) from a
 * server that cannot be reached (REGIT_EIO).
 *
 * The 1.5 subtransport contract (libgit2's ssh.c): stateful (rpc = 0);
 * UPLOADPACK_LS or RECEIVEPACK_LS starts the process and the following
 * UPLOADPACK or RECEIVEPACK gets the same stream; close() comes between
 * two connections. The process belongs to the subtransport, the stream is
 * only the handle libgit2 reads and writes through (and frees).
 *
 * The child: posix_spawnp (no fork of a threaded server), stdin a socket
 * pair (so writes can say MSG_NOSIGNAL: no SIGPIPE in a library), stdout
 * and stderr pipes; every other descriptor closed; an empty signal mask
 * and default dispositions; a session of its own (ssh can open no
 * terminal to ask for a passphrase, and SIGKILL to its process group also
 * ends a ProxyCommand). It is always reaped: at the deadline or on an
 * error at once (SIGKILL), when libgit2 closes after stdin is closed and
 * the child had a short grace to exit, and at regit_upstream__ssh_end for
 * a process libgit2 left behind.
 */
#include "store/upstream_ssh.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/transport.h>

#include "store/upstream_stream.h"
#include "util/alloc.h"
#include "util/error.h"

/* ssh's stderr kept for messages: its last bytes (the reason comes last). */
#define SSH_ERR_TAIL 1024
/* stdout read while a write waits (the server talking during a push);
 * beyond this the write waits for the reader, bounded by the deadline. */
#define SSH_PENDING_MAX (1u << 20)
/* After libgit2 is done, how long the child may take to exit on its own
 * (stdin closed: the remote git ends, then ssh) before SIGKILL; the
 * deadline bounds it too. Loopback: ~1-5 ms. */
#define SSH_CLOSE_GRACE_MS 2000u
#define SSH_MAX_ARGS 40
#define SSH_ENV_PROGRAM "REGIT_SSH"

/* One ssh child. */
typedef struct ssh_proc {
	pid_t pid;               /* 0: none (never started, or reaped) */
	int in_fd;               /* our end of its stdin (socket), -1 closed */
	int out_fd;              /* its stdout, -1 closed */
	int err_fd;              /* its stderr, -1 closed */
	uint64_t deadline;       /* CLOCK_MONOTONIC ms */
	int status;              /* wait status, once reaped */
	int reaped;
	int out_eof;
	int failed;              /* the first failure is kept and repeated */
	char failmsg[1536];
	char where[300];         /* "host" or "host:port", for messages */
	char err[SSH_ERR_TAIL];  /* the tail of its stderr */
	size_t err_len;
	char *pend;              /* stdout stashed during a write (owned) */
	size_t pend_len, pend_off, pend_cap;
} ssh_proc;

typedef struct ssh_sub ssh_sub;

typedef struct ssh_stream {
	git_smart_subtransport_stream parent;
} ssh_stream;

struct ssh_sub {
	git_smart_subtransport parent;
	ssh_stream *stream;      /* handed to libgit2, which frees it */
	git_smart_service_t action;   /* the *_LS that started proc; 0 none */
	ssh_proc proc;
};

/* The current operation on this thread (regit_upstream__ssh_begin/end). */
static _Thread_local const regit_upstream_ssh_config *op_config;
static _Thread_local ssh_sub *op_sub;
static _Thread_local int op_refused;

static uint64_t ssh_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- URLs ---- */

/* Where an ssh process goes: owned strings. */
typedef struct ssh_target {
	char *user;              /* NULL: ssh's default (its config, the local user) */
	char *host;              /* without brackets */
	char *port;              /* NULL: ssh's default */
	char *path;              /* as the remote git takes it */
} ssh_target;

static void ssh_target_free(ssh_target *t)
{
	regit_free(t->user);
	regit_free(t->host);
	regit_free(t->port);
	regit_free(t->path);
	memset(t, 0, sizeof(*t));
}

static const char *const ssh_schemes[] = { "ssh://", "ssh+git://", "git+ssh://" };

static const char *ssh_after_scheme(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(ssh_schemes) / sizeof(ssh_schemes[0]); i++)
		if (strncasecmp(url, ssh_schemes[i], strlen(ssh_schemes[i])) == 0)
			return url + strlen(ssh_schemes[i]);
	return NULL;
}

/* git's scp-like form: no "://", a ':' before any '/' (and a host before
 * it); "[v6]:path" too. */
static const char *ssh_scp_colon(const char *url)
{
	const char *colon, *slash;

	if (strstr(url, "://") || url[0] == '/' || url[0] == '.')
		return NULL;
	if (url[0] == '[' || strstr(url, "@[")) {
		const char *close = strstr(url, "]:");

		slash = strchr(url, '/');
		return close && (!slash || slash > close) ? close + 1 : NULL;
	}
	colon = strchr(url, ':');
	slash = strchr(url, '/');
	if (!colon || colon == url || (slash && slash < colon))
		return NULL;
	return colon;
}

int regit_upstream__ssh_is_url(const char *url)
{
	return url && (ssh_after_scheme(url) != NULL || ssh_scp_colon(url) != NULL);
}

static int ssh_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* s[0..n) with %XX decoded (URLs only); NULL on a bad escape, NUL or OOM
 * (*oom says which). */
static char *ssh_decode(const char *s, size_t n, int decode, int *oom)
{
	char *out = regit_malloc(n + 1);
	size_t i, o = 0;

	*oom = !out;
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (decode && s[i] == '%') {
			if (i + 2 >= n)
				goto bad;
			if (ssh_hexval(s[i + 1]) < 0 || ssh_hexval(s[i + 2]) < 0)
				goto bad;
			out[o] = (char)(ssh_hexval(s[i + 1]) * 16 + ssh_hexval(s[i + 2]));
			if (!out[o])
				goto bad;
			o++;
			i += 2;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
bad:
	regit_free(out);
	return NULL;
}

/* A user, host or path that ssh (or the remote shell) could take for
 * something else: an option, or a control character. */
static int ssh_unsafe(const char *s, int allow_space)
{
	const unsigned char *p;

	if (!s)
		return 0;
	if (s[0] == '-')
		return 1;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (!allow_space && *p == ' '))
			return 1;
	return 0;
}

/*
 * Parse an ssh URL into t (owned strings). @return 0; REGIT_EINVALID with
 * why in msg; REGIT_ENOMEM.
 */
static int ssh_parse(ssh_target *t, const char *url, char *msg, size_t cap)
{
	const char *rest = ssh_after_scheme(url);
	const char *auth_end, *at, *hs, *he, *ps = NULL, *path;
	size_t path_len;
	int oom = 0;
	int is_url = rest != NULL;

	memset(t, 0, sizeof(*t));
	if (is_url) {
		auth_end = strchr(rest, '/');
		if (!auth_end) {
			snprintf(msg, cap, "no repository path");
			return REGIT_EINVALID;
		}
		path = auth_end;
		path_len = strlen(path);
	} else {
		const char *colon = ssh_scp_colon(url);

		if (!colon) {
			snprintf(msg, cap, "not an ssh URL");
			return REGIT_EINVALID;
		}
		rest = url;
		auth_end = colon;
		path = colon + 1;
		path_len = strlen(path);
	}
	/* user@ (the last '@' of the authority) */
	at = NULL;
	for (hs = rest; hs < auth_end; hs++)
		if (*hs == '@')
			at = hs;
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));

		if (colon) {
			snprintf(msg, cap, "a password in an ssh URL is not used (ssh runs in"
				" batch mode with keys: --upstream-ssh-key or the agent); remove it");
			return REGIT_EINVALID;
		}
		t->user = ssh_decode(rest, (size_t)(at - rest), is_url, &oom);
		if (!t->user)
			goto bad_part;
		hs = at + 1;
	} else {
		hs = rest;
	}
	/* host, [v6] or name, and :port (URL form only) */
	if (*hs == '[') {
		he = memchr(hs, ']', (size_t)(auth_end - hs));
		if (!he) {
			snprintf(msg, cap, "unclosed [ in the host");
			goto fail;
		}
		t->host = regit_strndup(hs + 1, (size_t)(he - hs - 1));
		oom = !t->host;
		if (he + 1 < auth_end) {
			if (he[1] != ':' || !is_url) {
				snprintf(msg, cap, "unexpected text after the host");
				goto fail;
			}
			ps = he + 2;
		}
	} else {
		he = is_url ? memchr(hs, ':', (size_t)(auth_end - hs)) : NULL;
		if (!he)
			he = auth_end;
		else
			ps = he + 1;
		t->host = ssh_decode(hs, (size_t)(he - hs), is_url, &oom);
	}
	if (!t->host)
		goto bad_part;
	if (ps) {
		size_t i, n = (size_t)(auth_end - ps);
		long port = 0;

		for (i = 0; i < n; i++) {
			if (!isdigit((unsigned char)ps[i]) || port > 65535) {
				port = 0;
				break;
			}
			port = port * 10 + (ps[i] - '0');
		}
		if (n == 0 || port < 1 || port > 65535) {
			snprintf(msg, cap, "bad port");
			goto fail;
		}
		t->port = regit_strndup(ps, n);
		if (!t->port) {
			oom = 1;
			goto fail;
		}
	}
	if (!t->host[0]) {
		snprintf(msg, cap, "no host");
		goto fail;
	}
	/* The path: ssh://h/~user/x means ~user/x, as in git. */
	if (is_url && path_len >= 2 && path[0] == '/' && path[1] == '~') {
		path++;
		path_len--;
	}
	t->path = ssh_decode(path, path_len, is_url, &oom);
	if (!t->path)
		goto bad_part;
	if (!t->path[0] || strcmp(t->path, "/") == 0) {
		snprintf(msg, cap, "no repository path");
		goto fail;
	}
	if (ssh_unsafe(t->user, 0) || ssh_unsafe(t->host, 0) || ssh_unsafe(t->path, 1)) {
		snprintf(msg, cap, "the user, host or path starts with '-' or holds a"
			" control character");
		goto fail;
	}
	return 0;
bad_part:
	if (!oom)
		snprintf(msg, cap, "a bad %%-escape");
fail:
	ssh_target_free(t);
	if (oom) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	return REGIT_EINVALID;
}

int regit_upstream__ssh_check_url(const char *url)
{
	ssh_target t;
	char why[200];
	int error = ssh_parse(&t, url, why, sizeof(why));

	if (error == REGIT_EINVALID) {
		/* Never the URL's user info: it may hold the password refused. */
		const char *rest = ssh_after_scheme(url);
		const char *c, *at = NULL;

		for (c = rest; c && *c && *c != '/'; c++)
			if (*c == '@')
				at = c;
		if (at)
			regit_error_set(REGIT_ERROR_STORE, "upstream %.*s%.200s: %s",
				(int)(rest - url), url, at + 1, why);
		else
			regit_error_set(REGIT_ERROR_STORE, "upstream %.200s: %s", url, why);
	}
	ssh_target_free(&t);
	return error;
}

/* ---- the child ---- */

static void ssh_fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Keep the last SSH_ERR_TAIL bytes of what ssh wrote on stderr. */
static void ssh_err_keep(ssh_proc *p, const char *buf, size_t n)
{
	if (n >= sizeof(p->err)) {
		buf += n - sizeof(p->err);
		n = sizeof(p->err);
		p->err_len = 0;
	}
	if (p->err_len + n > sizeof(p->err)) {
		size_t drop = p->err_len + n - sizeof(p->err);

		memmove(p->err, p->err + drop, p->err_len - drop);
		p->err_len -= drop;
	}
	memcpy(p->err + p->err_len, buf, n);
	p->err_len += n;
}

/* Read what stderr has now; at EOF it is closed. */
static void ssh_err_drain(ssh_proc *p)
{
	char buf[512];

	while (p->err_fd >= 0) {
		ssize_t n = read(p->err_fd, buf, sizeof(buf));

		if (n > 0) {
			ssh_err_keep(p, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		ssh_fd_close(&p->err_fd);
	}
}

/* stderr as one printable line: its last SSH_ERR_LINES non-empty lines
 * (the reason comes last: "Permission denied (publickey).", "Host key
 * verification failed.", after banners such as the changed-host-key
 * warning), control characters as spaces, runs of spaces as one; "" when
 * it said nothing. */
#define SSH_ERR_LINES 3

static void ssh_err_line(const ssh_proc *p, char *out, size_t cap)
{
	size_t i, start = 0, o = 0;
	int lines = 0, text = 0, space = 1;

	out[0] = '\0';
	if (cap < 2)
		return;
	for (i = p->err_len; i > 0; i--) {
		char c = p->err[i - 1];

		if (c == '\n' || c == '\r') {
			if (text && ++lines == SSH_ERR_LINES) {
				start = i;
				break;
			}
			text = 0;
		} else if (c != ' ' && c != '\t') {
			text = 1;
		}
	}
	for (i = start; i < p->err_len && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)p->err[i];

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space)
				out[o++] = ' ';
			space = 1;
			continue;
		}
		out[o++] = (char)c;
		space = 0;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* Was it ssh or the server refusing us (the key, the user, the host key)?
 * Then retrying with the same settings cannot help: REGIT_EPERM. */
static int ssh_err_is_refusal(const char *line)
{
	static const char *const words[] = {
		"Permission denied", "Host key verification failed",
		"Too many authentication failures", "HOST IDENTIFICATION HAS CHANGED",
		"no matching host key type", "Authentication failed",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(line, words[i]))
			return 1;
	return 0;
}

/* Reap the child if it exited: 1 reaped (or not ours any more), 0 running. */
static int ssh_try_reap(ssh_proc *p)
{
	pid_t r;

	if (!p->pid || p->reaped)
		return 1;
	do
		r = waitpid(p->pid, &p->status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r < 0)
		p->status = -1;  /* ECHILD: someone else reaped it */
	p->reaped = 1;
	return 1;
}

/* SIGKILL (the whole session's group) and reap: never blocks for long,
 * as SIGKILL cannot be ignored. */
static void ssh_kill(ssh_proc *p)
{
	pid_t r;

	if (!p->pid || p->reaped)
		return;
	(void)kill(-p->pid, SIGKILL);
	(void)kill(p->pid, SIGKILL);
	do
		r = waitpid(p->pid, &p->status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		p->status = -1;
	p->reaped = 1;
}

/*
 * Wait for the child to exit until `until`, reading its stderr (kept) and
 * stdout (dropped: libgit2 is done or failed) so that it is not blocked
 * writing. 1 exited and reaped, 0 still running at `until`.
 */
static int ssh_wait_exit(ssh_proc *p, uint64_t until)
{
	char sink[4096];

	for (;;) {
		struct pollfd fds[2];
		nfds_t n = 0;
		uint64_t now;

		if (ssh_try_reap(p))
			return 1;
		now = regit_upstream__now_ms();
		if (now >= until)
			return 0;
		if (p->out_fd >= 0)
			fds[n++] = (struct pollfd){ p->out_fd, POLLIN, 0 };
		if (p->err_fd >= 0)
			fds[n++] = (struct pollfd){ p->err_fd, POLLIN, 0 };
		if (n == 0) {
			/* Both pipes at EOF: it is exiting; look again shortly. */
			struct timespec ts = { 0, 2 * 1000000L };

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(fds, n, (int)ssh_min(until - now, 50)) <= 0)
			continue;
		if (p->out_fd >= 0) {
			ssize_t r = read(p->out_fd, sink, sizeof(sink));

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR &&
					errno != EWOULDBLOCK))
				ssh_fd_close(&p->out_fd);
		}
		ssh_err_drain(p);
	}
}

/* Everything released; the child killed if it still runs. */
static void ssh_proc_release(ssh_proc *p)
{
	ssh_kill(p);
	ssh_fd_close(&p->in_fd);
	ssh_fd_close(&p->out_fd);
	ssh_fd_close(&p->err_fd);
	regit_free(p->pend);
	p->pend = NULL;
	p->pend_len = p->pend_off = p->pend_cap = 0;
	p->pid = 0;
}

/* The exit as words: "exit 255", "killed by signal 9". */
static void ssh_status_words(const ssh_proc *p, char *out, size_t cap)
{
	if (!p->reaped || p->status == -1)
		snprintf(out, cap, "ended");
	else if (WIFEXITED(p->status))
		snprintf(out, cap, "exited with status %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(out, cap, "killed by signal %d", WTERMSIG(p->status));
	else
		snprintf(out, cap, "ended");
}

/* Record the first failure (then repeated by every later call) and put it
 * in libgit2's error. Always -1. */
static int ssh_fail(ssh_proc *p, int klass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ssh_fail(ssh_proc *p, int klass, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(p->failmsg, sizeof(p->failmsg), fmt, ap);
		va_end(ap);
		p->failed = 1;
	}
	git_error_set_str(klass, p->failmsg);
	return -1;
}

/* The deadline passed: kill, reap, say so with what ssh said so far. */
static int ssh_timeout(ssh_proc *p, const char *what)
{
	char said[SSH_ERR_TAIL + 8];

	regit_upstream__deadline_note_hit();
	ssh_err_drain(p);
	ssh_proc_release(p);
	ssh_err_line(p, said, sizeof(said));
	return ssh_fail(p, GIT_ERROR_NET, "ssh %s: %s: no answer within the deadline%s%s%s",
		p->where, what, said[0] ? " (ssh said: " : "", said, said[0] ? ")" : "");
}

/*
 * The child stopped talking (stdout at EOF, or stdin refused): let it exit
 * (bounded), and report what it said. 0 when it exited cleanly having
 * said nothing (a real end of stream: libgit2 decides), else -1.
 */
static int ssh_ended(ssh_proc *p)
{
	char said[SSH_ERR_TAIL + 8], how[64];
	uint64_t until = ssh_min(p->deadline,
		regit_upstream__now_ms() + SSH_CLOSE_GRACE_MS);

	if (!ssh_wait_exit(p, until)) {
		if (regit_upstream__now_ms() >= p->deadline)
			return ssh_timeout(p, "waiting for ssh to exit");
		ssh_kill(p);
	}
	ssh_err_drain(p);
	ssh_err_line(p, said, sizeof(said));
	ssh_status_words(p, how, sizeof(how));
	if (!said[0] && p->reaped && p->status == 0)
		return 0;
	if (ssh_err_is_refusal(said))
		op_refused = 1;
	ssh_proc_release(p);
	return ssh_fail(p, GIT_ERROR_SSH, "ssh %s %s%s%s", p->where, how,
		said[0] ? ": " : "", said);
}

/* poll fds until the process's deadline: >0 ready, 0 deadline, -1 errno. */
static int ssh_poll(ssh_proc *p, struct pollfd *fds, nfds_t n)
{
	for (;;) {
		uint64_t now = regit_upstream__now_ms();
		int rc;

		if (now >= p->deadline)
			return 0;
		rc = poll(fds, n, (int)ssh_min(p->deadline - now, 60000));
		if (rc > 0)
			return rc;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static int ssh_read(ssh_proc *p, char *buf, size_t len, size_t *got)
{
	*got = 0;
	if (p->failed)
		return ssh_fail(p, GIT_ERROR_SSH, "%s", p->failmsg);
	if (p->pend_off < p->pend_len) {
		size_t n = ssh_min(len, p->pend_len - p->pend_off);

		memcpy(buf, p->pend + p->pend_off, n);
		p->pend_off += n;
		*got = n;
		return 0;
	}
	if (p->out_eof || p->out_fd < 0)
		return 0;
	for (;;) {
		struct pollfd fds[2] = { { p->out_fd, POLLIN, 0 }, { p->err_fd, POLLIN, 0 } };
		int rc = ssh_poll(p, fds, p->err_fd >= 0 ? 2 : 1);
		ssize_t n;

		if (rc == 0)
			return ssh_timeout(p, "read");
		if (rc < 0)
			return ssh_fail(p, GIT_ERROR_OS, "ssh %s: poll: %s", p->where,
				strerror(errno));
		if (p->err_fd >= 0 && fds[1].revents)
			ssh_err_drain(p);
		if (!fds[0].revents)
			continue;
		n = read(p->out_fd, buf, len);
		if (n > 0) {
			*got = (size_t)n;
			return 0;
		}
		if (n == 0) {
			p->out_eof = 1;
			return ssh_ended(p);
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			continue;
		return ssh_fail(p, GIT_ERROR_OS, "ssh %s: read: %s", p->where, strerror(errno));
	}
}

/* stdout arrived while writing: keep it for the next reads (bounded). */
static int ssh_stash(ssh_proc *p)
{
	ssize_t n;

	if (p->pend_off > 0) {
		memmove(p->pend, p->pend + p->pend_off, p->pend_len - p->pend_off);
		p->pend_len -= p->pend_off;
		p->pend_off = 0;
	}
	if (p->pend_cap - p->pend_len < 4096 && p->pend_cap < SSH_PENDING_MAX) {
		size_t cap = p->pend_cap ? p->pend_cap * 2 : 16384;
		char *np;

		np = regit_realloc(p->pend, cap);
		if (!np) {
			git_error_set_oom();
			return -1;
		}
		p->pend = np;
		p->pend_cap = cap;
	}
	n = read(p->out_fd, p->pend + p->pend_len, p->pend_cap - p->pend_len);
	if (n > 0)
		p->pend_len += (size_t)n;
	else if (n == 0)
		p->out_eof = 1;
	return 0;
}

/* Writes everything or fails (the stream contract). */
static int ssh_write(ssh_proc *p, const char *data, size_t len)
{
	size_t done = 0;

	if (p->failed)
		return ssh_fail(p, GIT_ERROR_SSH, "%s", p->failmsg);
	while (done < len) {
		struct pollfd fds[3];
		nfds_t n = 0;
		int err_at = -1, out_at = -1;
		int rc;
		ssize_t w;

		fds[n++] = (struct pollfd){ p->in_fd, POLLOUT, 0 };
		if (p->err_fd >= 0) {
			err_at = (int)n;
			fds[n++] = (struct pollfd){ p->err_fd, POLLIN, 0 };
		}
		if (!p->out_eof && p->out_fd >= 0 &&
				p->pend_len - p->pend_off < SSH_PENDING_MAX) {
			out_at = (int)n;
			fds[n++] = (struct pollfd){ p->out_fd, POLLIN, 0 };
		}
		rc = ssh_poll(p, fds, n);
		if (rc == 0)
			return ssh_timeout(p, "write");
		if (rc < 0)
			return ssh_fail(p, GIT_ERROR_OS, "ssh %s: poll: %s", p->where,
				strerror(errno));
		if (err_at >= 0 && fds[err_at].revents)
			ssh_err_drain(p);
		if (out_at >= 0 && fds[out_at].revents && ssh_stash(p) < 0)
			return -1;
		if (!fds[0].revents)
			continue;
		w = send(p->in_fd, data + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w >= 0) {
			done += (size_t)w;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET) {
			/* ssh closed its stdin: it is exiting; say why. */
			if (ssh_ended(p) == 0)
				return ssh_fail(p, GIT_ERROR_SSH, "ssh %s exited while the"
					" request was being sent", p->where);
			return -1;
		}
		return ssh_fail(p, GIT_ERROR_OS, "ssh %s: write: %s", p->where, strerror(errno));
	}
	return 0;
}

/* libgit2 is done: stdin closed, a grace to exit, then SIGKILL. */
static void ssh_close_proc(ssh_proc *p)
{
	if (p->pid && !p->reaped) {
		ssh_fd_close(&p->in_fd);
		(void)ssh_wait_exit(p, ssh_min(p->deadline,
			regit_upstream__now_ms() + SSH_CLOSE_GRACE_MS));
	}
	ssh_proc_release(p);
}

/* ---- starting it ---- */

/* An argv under construction: the strings it made are owned here. */
typedef struct ssh_argv {
	char *argv[SSH_MAX_ARGS + 1];
	char *owned[SSH_MAX_ARGS];
	size_t n, nowned;
	int oom;
} ssh_argv;

static void argv_add(ssh_argv *a, const char *s)
{
	if (a->n < SSH_MAX_ARGS)
		a->argv[a->n++] = (char *)s;
	a->argv[a->n] = NULL;
}

/* Add a string made with printf (owned). */
static void argv_addf(ssh_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void argv_addf(ssh_argv *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = n >= 0 ? regit_malloc((size_t)n + 1) : NULL;
	if (!s || a->nowned >= SSH_MAX_ARGS) {
		regit_free(s);
		a->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	a->owned[a->nowned++] = s;
	argv_add(a, s);
}

static void argv_free(ssh_argv *a)
{
	size_t i;

	for (i = 0; i < a->nowned; i++)
		regit_free(a->owned[i]);
	a->nowned = a->n = 0;
}

/* "cmd 'path'" with the path quoted as git's sq_quote_buf does ('
 * becomes '\'' and ! becomes '\!'): the remote shell sees one word. */
static char *ssh_command(const char *cmd, const char *path)
{
	size_t n = strlen(cmd) + 4, i, o;
	char *out;

	for (i = 0; path[i]; i++)
		n += (path[i] == '\'' || path[i] == '!') ? 4 : 1;
	out = regit_malloc(n);
	if (!out)
		return NULL;
	o = (size_t)snprintf(out, n, "%s '", cmd);
	for (i = 0; path[i]; i++) {
		if (path[i] == '\'' || path[i] == '!') {
			out[o++] = '\'';
			out[o++] = '\\';
			out[o++] = path[i];
			out[o++] = '\'';
		} else {
			out[o++] = path[i];
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}

/* posix_spawnp with stdin a socket pair, stdout and stderr pipes. 0 or an
 * errno value. */
static int ssh_spawn(ssh_proc *p, char *const argv[])
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int rc = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
			pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		rc = errno;
		goto done;
	}
	/* Ours non-blocking; the child's ends stay blocking (other open file
	 * descriptions). */
	if (fcntl(in[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 ||
			fcntl(err[0], F_SETFL, O_NONBLOCK) < 0) {
		rc = errno;
		goto done;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto done;
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto done;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGQUIT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGUSR1);
	sigaddset(&def, SIGUSR2);
	sigaddset(&def, SIGALRM);
	rc = posix_spawn_file_actions_adddup2(&fa, in[1], 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, err[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	/* Nothing else of the server's (listening sockets, the store's
	 * files) reaches ssh, close-on-exec or not. */
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	if (!rc)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&at, &def);
	if (!rc)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
			POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	if (!rc)
		rc = posix_spawnp(&p->pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc) {
		p->pid = 0;
		goto done;
	}
	p->reaped = 0;
	p->in_fd = in[0];
	p->out_fd = out[0];
	p->err_fd = err[0];
	in[0] = out[0] = err[0] = -1;
done:
	ssh_fd_close(&in[0]);
	ssh_fd_close(&in[1]);
	ssh_fd_close(&out[0]);
	ssh_fd_close(&out[1]);
	ssh_fd_close(&err[0]);
	ssh_fd_close(&err[1]);
	return rc;
}

/* A file name ssh takes as is: its config parser would expand %-tokens
 * and ${VAR}, and split on whitespace unless quoted. */
static int ssh_plain_file(const char *f)
{
	return !strchr(f, '%') && !strchr(f, '"') && !strstr(f, "${") && !ssh_unsafe(f, 1);
}

/* Start ssh for cmd on url's host. 0, or -1 with libgit2's error set. */
static int ssh_start(ssh_sub *s, const char *url, const char *cmd)
{
	const regit_upstream_ssh_config *cfg = op_config;
	ssh_proc *p = &s->proc;
	ssh_target t;
	ssh_argv a;
	char why[200];
	char *remote = NULL;
	const char *prog = getenv(SSH_ENV_PROGRAM);
	uint64_t now = regit_upstream__now_ms(), left;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(p, 0, sizeof(*p));
	p->in_fd = p->out_fd = p->err_fd = -1;
	p->deadline = regit_upstream__deadline_get();
	if (!p->deadline)
		p->deadline = now + REGIT_UPSTREAM_STREAM_DEFAULT_MS;
	rc = ssh_parse(&t, url, why, sizeof(why));
	if (rc == REGIT_ENOMEM) {
		git_error_set_oom();
		return -1;
	}
	if (rc < 0) {
		git_error_set(GIT_ERROR_NET, "ssh upstream: %s", why);
		return -1;
	}
	snprintf(p->where, sizeof(p->where), "%s%s%s", t.host, t.port ? ":" : "",
		t.port ? t.port : "");
	if (cfg && ((cfg->key_file && !ssh_plain_file(cfg->key_file)) ||
			(cfg->known_hosts && !ssh_plain_file(cfg->known_hosts)))) {
		git_error_set_str(GIT_ERROR_SSH, "the ssh key or known-hosts file name holds"
			" '%', '\"', \"${\" or a control character, which ssh would expand");
		op_refused = 1;
		ssh_target_free(&t);
		return -1;
	}
	if (cfg && cfg->key_file && access(cfg->key_file, R_OK) < 0) {
		rc = errno;
		git_error_set(GIT_ERROR_SSH, "cannot read the ssh key %s: %s", cfg->key_file,
			strerror(rc));
		op_refused = 1;
		ssh_target_free(&t);
		return -1;
	}
	left = p->deadline > now ? p->deadline - now : 1;
	remote = ssh_command(cmd, t.path);
	argv_add(&a, prog && *prog ? prog : "ssh");
	argv_add(&a, "-x");
	argv_add(&a, "-T");
	argv_add(&a, "-o");
	argv_add(&a, "BatchMode=yes");
	argv_add(&a, "-o");
	argv_add(&a, "StrictHostKeyChecking=yes");
	argv_add(&a, "-o");
	argv_addf(&a, "ConnectTimeout=%llu", (unsigned long long)((left + 999) / 1000));
	argv_add(&a, "-o");
	argv_add(&a, "ConnectionAttempts=1");
	/* A connection of our own: a user's ControlMaster would keep the
	 * pipes open in a master that outlives the call, forwardings could
	 * fail or bind ports. */
	argv_add(&a, "-o");
	argv_add(&a, "ControlPath=none");
	argv_add(&a, "-o");
	argv_add(&a, "ClearAllForwardings=yes");
	if (cfg && cfg->known_hosts) {
		argv_add(&a, "-o");
		argv_addf(&a, "UserKnownHostsFile=\"%s\"", cfg->known_hosts);
	}
	if (cfg && cfg->key_file) {
		argv_add(&a, "-i");
		argv_add(&a, cfg->key_file);
		argv_add(&a, "-o");
		argv_add(&a, "IdentitiesOnly=yes");
	}
	if (t.port) {
		argv_add(&a, "-p");
		argv_add(&a, t.port);
	}
	if (t.user) {
		argv_add(&a, "-l");
		argv_add(&a, t.user);
	}
	argv_add(&a, "--");
	argv_add(&a, t.host);
	argv_add(&a, remote);
	if (a.oom || !remote) {
		git_error_set_oom();
		rc = -1;
		goto done;
	}
	rc = ssh_spawn(p, a.argv);
	if (rc) {
		git_error_set(GIT_ERROR_OS, "cannot run %s for the ssh upstream: %s%s",
			a.argv[0], strerror(rc), rc == ENOENT ? " (install openssh-client)" : "");
		rc = -1;
		goto done;
	}
	op_sub = s;
done:
	regit_free(remote);
	argv_free(&a);
	ssh_target_free(&t);
	return rc;
}

/* ---- the subtransport ---- */

static int ssh_stream_read(git_smart_subtransport_stream *stream, char *buffer,
	size_t buf_size, size_t *bytes_read)
{
	ssh_sub *s = (ssh_sub *)stream->subtransport;

	return ssh_read(&s->proc, buffer, buf_size, bytes_read);
}

static int ssh_stream_write(git_smart_subtransport_stream *stream, const char *buffer,
	size_t len)
{
	ssh_sub *s = (ssh_sub *)stream->subtransport;

	return ssh_write(&s->proc, buffer, len);
}

static void ssh_stream_free(git_smart_subtransport_stream *stream)
{
	ssh_sub *s;

	if (!stream)
		return;
	s = (ssh_sub *)stream->subtransport;
	if (s->stream == (ssh_stream *)stream)
		s->stream = NULL;
	regit_free(stream);
}

static int ssh_close(git_smart_subtransport *sub)
{
	ssh_sub *s = (ssh_sub *)sub;

	ssh_close_proc(&s->proc);
	s->action = 0;
	if (op_sub == s)
		op_sub = NULL;
	return 0;
}

static int ssh_action(git_smart_subtransport_stream **out, git_smart_subtransport *sub,
	const char *url, git_smart_service_t action)
{
	ssh_sub *s = (ssh_sub *)sub;
	ssh_stream *st;
	const char *cmd;

	*out = NULL;
	switch (action) {
	case GIT_SERVICE_UPLOADPACK_LS:
	case GIT_SERVICE_RECEIVEPACK_LS:
		cmd = action == GIT_SERVICE_UPLOADPACK_LS ? "git-upload-pack" :
			"git-receive-pack";
		/* libgit2 closes between connections; a process left from a
		 * failed one is ended here all the same. */
		ssh_close(sub);
		st = regit_calloc(1, sizeof(*st));
		if (!st) {
			git_error_set_oom();
			return -1;
		}
		st->parent.subtransport = sub;
		st->parent.read = ssh_stream_read;
		st->parent.write = ssh_stream_write;
		st->parent.free = ssh_stream_free;
		if (ssh_start(s, url, cmd) < 0) {
			regit_free(st);
			return -1;
		}
		s->stream = st;
		s->action = action;
		*out = &st->parent;
		return 0;
	case GIT_SERVICE_UPLOADPACK:
	case GIT_SERVICE_RECEIVEPACK:
		if (s->stream && s->action == (action == GIT_SERVICE_UPLOADPACK ?
				GIT_SERVICE_UPLOADPACK_LS : GIT_SERVICE_RECEIVEPACK_LS)) {
			*out = &s->stream->parent;
			return 0;
		}
		/* libgit2 1.5's close asks for UPLOADPACK whatever the direction,
		 * only to send a goodbye flush, and ignores the result: no error
		 * message then, so a push's real failure keeps its own. */
		if (s->stream)
			return -1;
		git_error_set_str(GIT_ERROR_NET, "ssh: the ref listing must come first");
		return -1;
	}
	git_error_set_str(GIT_ERROR_NET, "ssh: unknown service");
	return -1;
}

static void ssh_sub_free(git_smart_subtransport *sub)
{
	ssh_sub *s = (ssh_sub *)sub;

	ssh_close(sub);
	regit_free(s);
}

static int ssh_sub_new(git_smart_subtransport **out, git_transport *owner, void *param)
{
	ssh_sub *s = regit_calloc(1, sizeof(*s));

	/* The options come from the calling thread (regit_upstream__ssh_begin),
	 * not from the owning transport or its remote. */
	(void)owner;
	(void)param;
	*out = NULL;
	if (!s) {
		git_error_set_oom();
		return -1;
	}
	s->proc.in_fd = s->proc.out_fd = s->proc.err_fd = -1;
	s->parent.action = ssh_action;
	s->parent.close = ssh_close;
	s->parent.free = ssh_sub_free;
	*out = &s->parent;
	return 0;
}

/* Stateful, like git:// (rpc 0). libgit2 keeps the pointer. */
static git_smart_subtransport_definition ssh_definition = { ssh_sub_new, 0, NULL };

static int ssh_transport_new(git_transport **out, git_remote *owner, void *param)
{
	(void)param;
	return git_transport_smart(out, owner, &ssh_definition);
}

static pthread_mutex_t ssh_install_lock = PTHREAD_MUTEX_INITIALIZER;
static int ssh_installed;

int regit_upstream__ssh_install(void)
{
	static const char *const prefixes[] = { "ssh", "ssh+git", "git+ssh" };
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&ssh_install_lock);
	for (i = 0; !ssh_installed && i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		rc = git_transport_register(prefixes[i], ssh_transport_new, NULL);
		if (rc == GIT_EEXISTS)
			rc = 0;
		if (rc < 0)
			break;
	}
	if (rc == 0)
		ssh_installed = 1;
	pthread_mutex_unlock(&ssh_install_lock);
	if (rc < 0) {
		const git_error *e = git_error_last();

		regit_error_set(REGIT_ERROR_STORE, "register the ssh transport: %s",
			e && e->message ? e->message : "libgit2 error");
		return REGIT_EIO;
	}
	return 0;
}

void regit_upstream__ssh_begin(const regit_upstream_ssh_config *cfg)
{
	op_config = cfg;
	op_sub = NULL;
	op_refused = 0;
}

void regit_upstream__ssh_end(void)
{
	if (op_sub)
		ssh_proc_release(&op_sub->proc);
	op_sub = NULL;
	op_config = NULL;
}

int regit_upstream__ssh_refused(void)
{
	return op_refused;
}
