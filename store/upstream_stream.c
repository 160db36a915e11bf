/*
 * upstream_stream.c - a libgit2 socket stream whose every wait ends at a
 * deadline (see upstream_stream.h for why).
 *
 * The socket is non-blocking only while connecting; afterwards it is
 * blocking again and every recv/send carries MSG_DONTWAIT after a poll()
 * bounded by the deadline. The deadline is absolute (the whole operation's,
 * set by regit_upstream_fetch/push on their thread), so a server that
 * trickles one byte a second cannot stretch it either.
 *
 * The struct starts like libgit2 1.5's git_socket_stream (parent, host,
 * port, fd): its ssh transport casts the standard stream to that type to
 * hand the fd to libssh2. regit's own ssh upstreams never get there (its
 * transport, upstream_ssh.c, runs OpenSSH's ssh and is registered for the
 * ssh schemes), but another libgit2 user in the process must not read
 * garbage there.
 */
#include "store/upstream_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/stream.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct upstream_stream {
	git_stream parent;
	char *host;              /* owned */
	char *port;              /* owned */
	int fd;                  /* -1 when closed */
	uint64_t deadline;       /* CLOCK_MONOTONIC ms */
} upstream_stream;

static _Thread_local uint64_t stream_deadline;
static _Thread_local int stream_hit;

uint64_t regit_upstream__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void regit_upstream__deadline_set(uint64_t deadline_ms)
{
	stream_deadline = deadline_ms;
	stream_hit = 0;
}

int regit_upstream__deadline_hit(void)
{
	return stream_hit;
}

int regit_upstream__deadline_passed(void)
{
	if (stream_deadline && regit_upstream__now_ms() >= stream_deadline) {
		stream_hit = 1;
		return 1;
	}
	return 0;
}

uint64_t regit_upstream__deadline_get(void)
{
	return stream_deadline;
}

void regit_upstream__deadline_note_hit(void)
{
	stream_hit = 1;
}

/* Give up at the deadline: libgit2's error says so (it becomes the
 * caller's message through upstream.c). */
static int stream_timeout(upstream_stream *st, const char *what)
{
	char msg[256];

	stream_hit = 1;
	snprintf(msg, sizeof(msg), "%s %s:%s: no answer within the deadline",
		what, st->host, st->port);
	git_error_set_str(GIT_ERROR_NET, msg);
	return -1;
}

/* Wait for events on st->fd until the deadline: 1 ready, 0 deadline,
 * -1 poll failed (errno). */
static int stream_wait(upstream_stream *st, short events)
{
	for (;;) {
		uint64_t now = regit_upstream__now_ms();
		struct pollfd p = { st->fd, events, 0 };
		int rc;

		if (now >= st->deadline)
			return 0;
		rc = poll(&p, 1, (int)(st->deadline - now > 60000 ? 60000 : st->deadline - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Connect one address, bounded by the deadline: 0, or -1 with errno
 * (ETIMEDOUT at the deadline). */
static int stream_connect_one(upstream_stream *st, const struct addrinfo *a)
{
	int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		a->ai_protocol);
	int err = 0;
	socklen_t len = sizeof(err);
	int rc;

	if (fd < 0)
		return -1;
	st->fd = fd;
	if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		rc = stream_wait(st, POLLOUT);
		if (rc == 0)
			errno = ETIMEDOUT;
		if (rc <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			goto fail;
		if (err) {
			errno = err;
			goto fail;
		}
	}
	/* Small writes go out at once: the protocol is request/answer, and
	 * Nagle's wait for the peer's delayed ACK cost ~40 ms per round trip
	 * (a push on loopback: 85 ms with it, see store/README.md). */
	{
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	/* Blocking again: libssh2 (see the file's top) expects it; our own
	 * reads and writes pass MSG_DONTWAIT. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		goto fail;
	return 0;
fail:
	err = errno;
	close(fd);
	st->fd = -1;
	errno = err;
	return -1;
}

static int stream_connect(git_stream *stream)
{
	upstream_stream *st = (upstream_stream *)stream;
	struct addrinfo hints, *info = NULL, *a;
	char msg[320];
	int rc;
	int err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	/* Name resolution is not bounded (getaddrinfo has no timeout): an
	 * upstream named by a host the resolver cannot answer for waits for
	 * the resolver's own timeouts (resolv.conf: 5 s x attempts). */
	rc = getaddrinfo(st->host, st->port, &hints, &info);
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "resolve %s: %s", st->host, gai_strerror(rc));
		git_error_set_str(GIT_ERROR_NET, msg);
		return -1;
	}
	for (a = info; a; a = a->ai_next) {
		if (stream_connect_one(st, a) == 0)
			break;
		err = errno;
		if (err == ETIMEDOUT)
			break;
	}
	freeaddrinfo(info);
	if (st->fd >= 0)
		return 0;
	if (err == ETIMEDOUT)
		return stream_timeout(st, "connect to");
	snprintf(msg, sizeof(msg), "connect to %s:%s: %s", st->host, st->port,
		strerror(err ? err : ECONNREFUSED));
	git_error_set_str(GIT_ERROR_OS, msg);
	return -1;
}

/*
 * ACK what we read at once. git daemon and http-backend write their
 * negotiation answers ("ACK <id> common", one packet each) without
 * TCP_NODELAY, so after the first one Nagle holds the rest until we ACK,
 * and Linux's delayed ACK waits ~40 ms when we have nothing to send:
 * every fetch of a store with history stalled 40-44 ms between libgit2's
 * haves and its "done" (git daemon's trace, bench/replicas.sh). Linux
 * clears TCP_QUICKACK on its own, so it is set again after each read.
 */
static void stream_quickack(upstream_stream *st)
{
#ifdef TCP_QUICKACK
	int one = 1;

	(void)setsockopt(st->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)st;
#endif
}

static ssize_t stream_read(git_stream *stream, void *data, size_t len)
{
	upstream_stream *st = (upstream_stream *)stream;
	char msg[320];

	for (;;) {
		ssize_t n;
		int rc = stream_wait(st, POLLIN);

		if (rc == 0)
			return stream_timeout(st, "read from");
		if (rc > 0) {
			n = recv(st->fd, data, len, MSG_DONTWAIT);
			if (n >= 0) {
				stream_quickack(st);
				return n;
			}
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			continue;
		snprintf(msg, sizeof(msg), "read from %s:%s: %s", st->host, st->port,
			strerror(errno));
		git_error_set_str(GIT_ERROR_OS, msg);
		return -1;
	}
}

/* Writes everything (libgit2 1.5's callers expect that of a stream). */
static ssize_t stream_write(git_stream *stream, const char *data, size_t len, int flags)
{
	upstream_stream *st = (upstream_stream *)stream;
	size_t done = 0;
	char msg[320];

	while (done < len) {
		ssize_t n;
		int rc = stream_wait(st, POLLOUT);

		if (rc == 0)
			return stream_timeout(st, "write to");
		if (rc > 0) {
			n = send(st->fd, data + done, len - done,
				flags | MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n >= 0) {
				done += (size_t)n;
				continue;
			}
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			continue;
		snprintf(msg, sizeof(msg), "write to %s:%s: %s", st->host, st->port,
			strerror(errno));
		git_error_set_str(GIT_ERROR_OS, msg);
		return -1;
	}
	return (ssize_t)len;
}

static int stream_close(git_stream *stream)
{
	upstream_stream *st = (upstream_stream *)stream;

	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	return 0;
}

static void stream_free(git_stream *stream)
{
	upstream_stream *st = (upstream_stream *)stream;

	if (!st)
		return;
	stream_close(stream);
	regit_free(st->host);
	regit_free(st->port);
	regit_free(st);
}

static int stream_new(git_stream **out, const char *host, const char *port)
{
	upstream_stream *st = regit_calloc(1, sizeof(*st));

	*out = NULL;
	if (!st)
		goto oom;
	st->fd = -1;
	st->host = regit_strdup(host);
	st->port = regit_strdup(port ? port : "");
	if (!st->host || !st->port)
		goto oom;
	st->deadline = stream_deadline ? stream_deadline :
		regit_upstream__now_ms() + REGIT_UPSTREAM_STREAM_DEFAULT_MS;
	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = stream_connect;
	st->parent.read = stream_read;
	st->parent.write = stream_write;
	st->parent.close = stream_close;
	st->parent.free = stream_free;
	*out = &st->parent;
	return 0;
oom:
	if (st) {
		regit_free(st->host);
		regit_free(st->port);
		regit_free(st);
	}
	git_error_set_oom();
	return -1;
}

static pthread_mutex_t stream_install_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Registered at every regit_upstream_open rather than once: libgit2 forgets
 * registrations when its last git_libgit2_init reference is shut down
 * (every store and remote handle closed), and registering again only
 * overwrites the same entry. The caller holds a libgit2 reference.
 */
int regit_upstream__stream_install(void)
{
	/* libgit2 copies the registration. */
	git_stream_registration reg = { GIT_STREAM_VERSION, stream_new, NULL };
	int rc;

	pthread_mutex_lock(&stream_install_lock);
	rc = git_stream_register(GIT_STREAM_STANDARD, &reg);
	pthread_mutex_unlock(&stream_install_lock);
	if (rc < 0) {
		const git_error *e = git_error_last();

		regit_error_set(REGIT_ERROR_STORE, "register the network stream: %s",
			e && e->message ? e->message : "libgit2 error");
		return REGIT_EIO;
	}
	return 0;
}
