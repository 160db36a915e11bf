/*
 * http.c - libmicrohttpd glue: the only file that includes <microhttpd.h>.
 *
 * Lifecycle of one request (libmicrohttpd doc/examples/largepost.c):
 *  - the URI log callback sees the raw request target first and allocates
 *    the per-request state (it becomes *req_cls); routing works on the raw
 *    target so "%2F" inside a subject stays one path segment;
 *  - the first access callback only checks the declared length; body
 *    chunks are appended to a bounded buffer and consumed;
 *  - the final callback (no more upload data) runs the handler and queues
 *    the response. Queueing before the body is fully read makes MHD close
 *    the connection, which would defeat keep-alive, so we only do that for
 *    bodies we refuse to read at all (declared larger than the cap);
 *  - the completion callback frees the state on every outcome.
 *
 * Writes wait on the disk (a registration is acknowledged only once its
 * commit is fsynced) and the registry commits concurrent writes together
 * (group commit). On MHD's few pool threads (one per core) a waiting write
 * would both block every other connection of its thread and cap the number
 * of writes in flight - and so the size of a group - at the thread count.
 * So requests that write (as the handler's owner says through
 * opts.writes: for the API, its route table) are handed to a pool of worker
 * threads: the connection is suspended, a worker runs the handler, stores
 * the response and resumes the connection, and MHD calls the access
 * handler again, which queues it (libmicrohttpd's suspend/resume).
 *
 * Hostile clients (issue #13). Nothing a client sends before it is
 * admitted costs more than its connection's fixed header memory:
 *  - admission (opts.admit: authentication) runs on the first access
 *    callback, when the headers are complete and before any body byte is
 *    read; a refusal is answered at once, so "Expect: 100-continue" gets a
 *    401 instead of "100 Continue". A check that would block (a password
 *    hash) moves to a worker like a write does; its refusal is sent after
 *    the body was read and dropped, never buffered;
 *  - all request bodies buffered at once share one budget
 *    (opts.max_body_memory): a declared length is reserved up front (503
 *    before the body when it does not fit), a chunked body as it comes
 *    (the connection is closed when it no longer fits);
 *  - a connection's request headers must be complete within
 *    opts.header_timeout_s of its accept, however the client trickles
 *    them (server/http_guard.h: a deadline, not a silence limit); after a
 *    response, the next request's headers within opts.timeout_s (idle)
 *    plus opts.header_timeout_s. From the end of the headers on only
 *    libmicrohttpd's idle timeout applies (the body of an admitted
 *    request, a write waiting for the store);
 *  - past a limit a connection is answered rather than dropped: the
 *    connections beyond opts.max_per_ip from one address, or beyond
 *    opts.max_connections in all, get a 503 with Retry-After and a closed
 *    connection as soon as their headers are in. Answering costs a
 *    connection slot for a moment, so it is bounded too: libmicrohttpd's
 *    own limits sit HTTP_OVERFLOW_PEER and HTTP_OVERFLOW_CONNECTIONS above
 *    ours, and drop what comes beyond, and an over-limit connection has
 *    HTTP_OVER_DEADLINE_S, not the full header deadline, to send its
 *    headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "server/http.h"
#include "server/http_guard.h"
#include "util/alloc.h"
#include "util/cpu.h"
#include "util/error.h"

/* Worker threads for requests that may write, at most (started as needed). */
#define HTTP_MAX_WORKERS 128
/* Connections accepted beyond opts.max_connections only to be told 503. */
#define HTTP_OVERFLOW_CONNECTIONS 64u
/* ... and beyond opts.max_per_ip from one address. */
#define HTTP_OVERFLOW_PEER 8u
/* Seconds an over-limit connection has to send the headers we answer. */
#define HTTP_OVER_DEADLINE_S 2u

typedef struct http_req http_req;

struct regit_http_server {
	struct MHD_Daemon *daemon;
	regit_http_options opts;
	regit_http_handler handler;
	regit_http_observer observer;
	void *payload;
	unsigned port;
	/* the write worker pool (see the top of the file) */
	pthread_mutex_t wmu;
	pthread_cond_t wcv;
	http_req *qhead, **qtail;    /* suspended requests waiting for a worker */
	pthread_t workers[HTTP_MAX_WORKERS];
	unsigned nworkers, idle;
	int stopping;                /* no more offloading; workers drain and exit */
	int pool_ready;
	/* While MHD_start_daemon runs, its last message is kept here instead of
	 * printed: a failed start is explained by http_start_error in regit's
	 * words ("already in use", not MHD's "Failed to bind to port 0"). */
	int starting;                /* under http_log_lock */
	char start_log[256];
	atomic_size_t body_mem;      /* bytes reserved by bodies in flight */
	regit_http_guard *guard;     /* per-address counts and header deadlines */
	atomic_ulong over_address, over_all;   /* 503s past a connection limit */
};

/* Per-connection state (libmicrohttpd's socket context), from
 * NOTIFY_CONNECTION's start to its end. */
typedef struct http_conn {
	regit_http_guard_conn *guarded;  /* NULL when untracked (out of memory) */
	int over;                        /* REGIT_HTTP_GUARD_*: answered 503 */
	unsigned requests;               /* request lines seen */
	int cert;                        /* client certificate: 0 not checked yet,
	                                  * 1 verified (cert_user), -1 none or bad */
	char cert_user[72];              /* its subject CN */
} http_conn;

/* Per-request state, owned by MHD's *req_cls from URI log to completion. */
struct http_req {
	regit_buf body;      /* bounded by opts.max_body */
	uint64_t start_ns;
	int started;         /* first access callback seen */
	int too_large;       /* body exceeded the cap; discard the rest */
	int offloaded;       /* 1: a worker runs the job; 2: it is done */
	int job;             /* HTTP_JOB_*: what the worker runs */
	int admitted;        /* admission passed (or there is none) */
	int refused;         /* admission refused: resp holds the answer */
	int answered;        /* a response was queued */
	int over_budget;     /* the body did not fit the memory budget */
	size_t charged;      /* bytes of srv->body_mem this request holds */
	http_conn *conn;     /* the connection's state, NULL when unknown */
	regit_http_admission adm;
	char remote[48];     /* client address, "-" when unknown */
	struct MHD_Connection *con;
	regit_http_request hreq;     /* what the worker passes to the handler */
	regit_http_response resp;    /* the worker's answer */
	http_req *next;              /* worker queue */
	char target[];       /* raw request target; one allocation per request */
};

static const char http_json_type[] = "application/json";

enum { HTTP_JOB_HANDLE = 0, HTTP_JOB_ADMIT = 1 };

/* Reserve n bytes of the body budget. @return 1 when they fit */
static int http_budget_take(regit_http_server *srv, size_t n)
{
	size_t cur = atomic_load_explicit(&srv->body_mem, memory_order_relaxed);

	do {
		if (n > srv->opts.max_body_memory || cur > srv->opts.max_body_memory - n)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(&srv->body_mem, &cur, cur + n,
		memory_order_relaxed, memory_order_relaxed));
	return 1;
}

static void http_budget_release(regit_http_server *srv, http_req *req)
{
	if (req->charged)
		atomic_fetch_sub_explicit(&srv->body_mem, req->charged, memory_order_relaxed);
	req->charged = 0;
}

static void http_addr_text(struct MHD_Connection *con, char *out, size_t outsize)
{
	const union MHD_ConnectionInfo *ci;

	snprintf(out, outsize, "-");
	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				out, (socklen_t)outsize);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				out, (socklen_t)outsize);
	}
}

uint64_t regit_http_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void regit_http_response_init(regit_http_response *resp, size_t max)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 500;
	resp->content_type = http_json_type;
	regit_buf_init(&resp->buf, max);
}

void regit_http_response_dispose(regit_http_response *resp)
{
	if (!resp)
		return;
	regit_buf_dispose(&resp->buf);
	if (resp->release)
		resp->release(resp->release_arg);
	resp->release = NULL;
	resp->release_arg = NULL;
	resp->body = NULL;
	resp->body_len = 0;
}

const char *regit_http_response_body(const regit_http_response *resp, size_t *len)
{
	if (resp->buf.size > 0) {
		*len = resp->buf.size;
		return resp->buf.ptr;
	}
	*len = resp->body ? resp->body_len : 0;
	return resp->body ? resp->body : "";
}

static http_conn *http_conn_of(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con,
		MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static uint64_t http_after_s(unsigned s)
{
	return regit_http_now_ns() + (uint64_t)s * 1000000000u;
}

static void *http_uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
	regit_http_server *srv = cls;
	http_conn *conn = http_conn_of(con);
	http_req *req;
	size_t len;

	/* A later request on a kept-alive connection: its headers now have
	 * the header deadline from here (the first one's runs from accept). */
	if (conn && conn->requests++ > 0 && regit_http_guard_deadline(conn->guarded))
		regit_http_guard_set_deadline(conn->guarded,
			http_after_s(srv->opts.header_timeout_s));

	/* From the request line to the end of its headers: the short
	 * deadline (see the top of the file). */
	if (srv->opts.header_timeout_s < srv->opts.timeout_s)
		MHD_set_connection_option(con, MHD_CONNECTION_OPTION_TIMEOUT,
			srv->opts.header_timeout_s);
	if (!uri)
		uri = "/";
	len = strlen(uri);
	req = regit_malloc(sizeof(*req) + len + 1);
	if (!req)
		return NULL;
	memset(req, 0, sizeof(*req));
	memcpy(req->target, uri, len + 1);
	req->conn = conn;
	regit_buf_init(&req->body, srv->opts.max_body);
	req->start_ns = regit_http_now_ns();
	return req;
}

static void http_completed(void *cls, struct MHD_Connection *con, void **req_cls,
	enum MHD_RequestTerminationCode toe)
{
	regit_http_server *srv = cls;
	http_req *req = *req_cls;

	(void)con;
	(void)toe;
	if (!req)
		return;
	/* Kept alive: the next request's line may take the idle timeout,
	 * then its headers the header deadline (http_uri_log shortens it). */
	if (req->conn)
		regit_http_guard_set_deadline(req->conn->guarded,
			http_after_s(srv->opts.timeout_s + srv->opts.header_timeout_s));
	http_budget_release(srv, req);
	/* A response a worker built but that was never queued (the client
	 * went away after it was resumed). */
	if (req->offloaded == 2)
		regit_http_response_dispose(&req->resp);
	regit_buf_dispose(&req->body);
	regit_free(req);
	*req_cls = NULL;
}

/* ---- worker pool for requests that may write ---------------------------- */

static void *http_worker_main(void *arg)
{
	regit_http_server *srv = arg;
	http_req *req;

	pthread_mutex_lock(&srv->wmu);
	for (;;) {
		while (!srv->qhead && !srv->stopping) {
			srv->idle++;
			pthread_cond_wait(&srv->wcv, &srv->wmu);
			srv->idle--;
		}
		req = srv->qhead;
		if (!req)
			break;    /* stopping and drained */
		srv->qhead = req->next;
		if (!srv->qhead)
			srv->qtail = &srv->qhead;
		pthread_mutex_unlock(&srv->wmu);

		if (req->job == HTTP_JOB_ADMIT) {
			int rc = srv->opts.admit(&req->hreq, &req->adm, &req->resp, 1,
				srv->payload);

			req->admitted = rc == REGIT_HTTP_ADMIT;
			req->refused = !req->admitted;
			if (req->refused && rc != REGIT_HTTP_REFUSE)
				req->resp.status = 500;   /* blocked again: a broken hook */
		} else {
			srv->handler(&req->hreq, &req->resp, srv->payload);
		}
		req->offloaded = 2;
		/* The MHD thread calls http_access again and queues req->resp;
		 * the mutex below orders the write above before that. */
		pthread_mutex_lock(&srv->wmu);
		MHD_resume_connection(req->con);
	}
	pthread_mutex_unlock(&srv->wmu);
	return NULL;
}

/*
 * Does this request go to a worker? Everything that writes, one-shot
 * requests (HTTP/1.0, "Connection: close") included: inline, a write
 * waiting for the store would stop every connection of its event thread.
 * (An earlier note here said libmicrohttpd drops the answer of a
 * half-closed connection resumed after suspension; with libmicrohttpd
 * 0.9.75, half-closed HTTP/1.0 and "Connection: close" writes that waited
 * seconds for the writers' lock get their answers: hostile_load.sh.)
 */
static int http_may_write(regit_http_server *srv, const char *method, const char *target)
{
	return srv->opts.writes && srv->opts.writes(method, target, srv->payload);
}

/*
 * Suspend the connection and queue req for a worker (starting one when none
 * is idle). @return 0 when queued; -1 to run the handler on this thread
 * (shutting down, or no worker could be started).
 */
static int http_offload(regit_http_server *srv, struct MHD_Connection *con, http_req *req)
{
	int queued = -1;

	pthread_mutex_lock(&srv->wmu);
	if (!srv->pool_ready || srv->stopping)
		goto done;
	if (srv->idle == 0 && srv->nworkers < HTTP_MAX_WORKERS &&
	    pthread_create(&srv->workers[srv->nworkers], NULL, http_worker_main, srv) == 0)
		srv->nworkers++;
	if (srv->nworkers == 0)
		goto done;
	req->con = con;
	req->offloaded = 1;
	req->next = NULL;
	/* Suspended before any worker can see it, so a resume never comes first. */
	MHD_suspend_connection(con);
	*srv->qtail = req;
	srv->qtail = &req->next;
	pthread_cond_signal(&srv->wcv);
	queued = 0;
done:
	pthread_mutex_unlock(&srv->wmu);
	return queued;
}

static void http_notify_connection(void *cls, struct MHD_Connection *con,
	void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	regit_http_server *srv = cls;
	http_conn *conn = *socket_context;
	const union MHD_ConnectionInfo *fd, *addr;
	unsigned deadline_s = srv->opts.header_timeout_s;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		conn = regit_calloc(1, sizeof(*conn));
		*socket_context = conn;
		fd = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
		addr = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!conn || !fd)
			return;
		conn->guarded = regit_http_guard_add(srv->guard, fd->connect_fd,
			addr ? addr->client_addr : NULL, 0, &conn->over);
		if (conn->over && deadline_s > HTTP_OVER_DEADLINE_S)
			deadline_s = HTTP_OVER_DEADLINE_S;
		regit_http_guard_set_deadline(conn->guarded, http_after_s(deadline_s));
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && conn) {
		/* Before libmicrohttpd closes the socket (http_guard.h). */
		regit_http_guard_remove(srv->guard, conn->guarded);
		regit_free(conn);
		*socket_context = NULL;
	}
}

static void http_free_owned(void *ptr)
{
	regit_free(ptr);
}

/* One JSON line per request on stderr, written with a single write(2) so
 * lines from different threads never interleave. */
static void http_access_log(struct MHD_Connection *con, const char *method,
	const http_req *req, const regit_http_response *resp, size_t len,
	uint64_t elapsed_ns)
{
	char addr[sizeof(req->remote)] = "-";
	regit_buf line;
	struct timespec now;
	struct tm tm;
	char ts[32];

	if (req->remote[0])
		snprintf(addr, sizeof(addr), "%s", req->remote);
	else
		http_addr_text(con, addr, sizeof(addr));
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	regit_buf_init(&line, 16384);
	regit_buf_printf(&line, "{\"ts\":\"%s.%03ldZ\",\"remote\":\"%s\",\"method\":",
		ts, now.tv_nsec / 1000000, addr);
	regit_buf_put_json_string(&line, method, strlen(method));
	regit_buf_puts(&line, ",\"target\":");
	regit_buf_put_json_string(&line, req->target, strnlen(req->target, 2048));
	if (resp->user[0]) {
		regit_buf_puts(&line, ",\"user\":");
		regit_buf_put_json_string(&line, resp->user, strlen(resp->user));
	}
	regit_buf_printf(&line, ",\"route\":\"%s\",\"status\":%d,\"req_bytes\":%zu,"
		"\"resp_bytes\":%zu,\"us\":%llu}\n",
		resp->route ? resp->route : "-", resp->status, req->body.size, len,
		(unsigned long long)(elapsed_ns / 1000));
	if (line.size > 0) {
		ssize_t n = write(STDERR_FILENO, line.ptr, line.size);
		(void)n;
	}
	regit_buf_dispose(&line);
}

/* After queueing: metrics, access log, and the response's own resources. */
static void http_finish(regit_http_server *srv, struct MHD_Connection *con,
	const char *method, http_req *req, regit_http_response *resp, size_t len)
{
	regit_http_request hreq;
	uint64_t elapsed = regit_http_now_ns() - req->start_ns;

	if (srv->observer) {
		memset(&hreq, 0, sizeof(hreq));
		hreq.method = method;
		hreq.target = req->target;
		hreq.start_ns = req->start_ns;
		srv->observer(&hreq, resp, elapsed, srv->payload);
	}
	if (srv->opts.access_log)
		http_access_log(con, method, req, resp, len, elapsed);
	regit_http_response_dispose(resp);
}

static enum MHD_Result http_queue_prebuilt(regit_http_server *srv,
	struct MHD_Connection *con, const char *method, http_req *req,
	regit_http_response *resp, const char *body, size_t len);

static enum MHD_Result http_queue(regit_http_server *srv, struct MHD_Connection *con,
	const char *method, http_req *req, regit_http_response *resp)
{
	struct MHD_Response *mr = NULL;
	enum MHD_Result ret;
	const char *body;
	size_t len, i;

	body = regit_http_response_body(resp, &len);
	if (resp->buf.size > 0) {
		char *owned = regit_buf_detach(&resp->buf);

		if (owned)
			mr = MHD_create_response_from_buffer_with_free_callback_cls(len,
				owned, http_free_owned, owned);
		if (!mr)
			regit_free(owned);
	} else if (resp->prebuilt && resp->retain) {
		return http_queue_prebuilt(srv, con, method, req, resp, body, len);
	} else if (resp->release) {
		mr = MHD_create_response_from_buffer_with_free_callback_cls(len,
			(void *)body, resp->release, resp->release_arg);
		if (mr) {
			/* MHD owns the reference now. */
			resp->release = NULL;
			resp->release_arg = NULL;
		}
	} else {
		mr = MHD_create_response_from_buffer(len, (void *)body,
			MHD_RESPMEM_PERSISTENT);
	}
	if (!mr) {
		regit_http_response_dispose(resp);
		return MHD_NO;
	}
	if (resp->content_type)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	if (resp->www_authenticate)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
			resp->www_authenticate);
	for (i = 0; i < resp->nheaders && i < sizeof(resp->headers) / sizeof(resp->headers[0]); i++)
		MHD_add_response_header(mr, resp->headers[i].name, resp->headers[i].value);
	if (resp->retry_after_s) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%u", resp->retry_after_s);
		MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (resp->close)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
	req->answered = 1;
	ret = MHD_queue_response(con, (unsigned)resp->status, mr);
	MHD_destroy_response(mr);
	http_finish(srv, con, method, req, resp, len);
	return ret;
}

static void http_mhd_response_free(void *obj)
{
	MHD_destroy_response(obj);
}

/*
 * Prebuilt slots are locked by stripe: a slot has no lock of its own (its
 * owner only zero-fills it), and a slot's lock must outlive the slot, since
 * destroying the last response frees the owner that holds the slot.
 */
#define HTTP_PREBUILT_LOCKS 64u
static pthread_mutex_t http_prebuilt_locks[HTTP_PREBUILT_LOCKS] = {
#define L4 PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, \
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER
#define L16 L4, L4, L4, L4
	L16, L16, L16, L16
#undef L16
#undef L4
};

static pthread_mutex_t *http_prebuilt_lock(const regit_http_prebuilt *slot)
{
	uintptr_t a = (uintptr_t)slot;

	return &http_prebuilt_locks[(a >> 6 ^ a >> 12) % HTTP_PREBUILT_LOCKS];
}

void regit_http_prebuilt_evict(regit_http_prebuilt *slot)
{
	pthread_mutex_t *lock = http_prebuilt_lock(slot);
	void *obj;
	void (*free_obj)(void *);

	pthread_mutex_lock(lock);
	slot->evicted = 1;
	obj = slot->obj;
	free_obj = slot->free_obj;
	slot->obj = NULL;
	pthread_mutex_unlock(lock);
	/* Outside the lock: dropping the last response may free the slot's
	 * owner. Readers that queued it hold their own references. */
	if (obj && free_obj)
		free_obj(obj);
}

/*
 * Serve a reusable body through one shared MHD response kept in the
 * owner's slot (MHD reference-counts responses, so any number of
 * connections may queue it). The first request builds it; its free
 * callback holds a reference on the body's owner, so the body outlives
 * every connection still sending it. Loading the slot and queueing the
 * response (which takes MHD's reference) happen under the slot's lock,
 * as does an eviction's removal, so no reader queues a destroyed response.
 */
static enum MHD_Result http_queue_prebuilt(regit_http_server *srv,
	struct MHD_Connection *con, const char *method, http_req *req,
	regit_http_response *resp, const char *body, size_t len)
{
	regit_http_prebuilt *slot = resp->prebuilt;
	pthread_mutex_t *lock = http_prebuilt_lock(slot);
	struct MHD_Response *mr, *mine;
	enum MHD_Result ret;

	pthread_mutex_lock(lock);
	mr = slot->obj;
	if (mr && slot->content_type == resp->content_type) {
		ret = MHD_queue_response(con, (unsigned)resp->status, mr);
		pthread_mutex_unlock(lock);
		req->answered = 1;
		http_finish(srv, con, method, req, resp, len);
		return ret;
	}
	pthread_mutex_unlock(lock);

	resp->retain(resp->release_arg);
	mine = MHD_create_response_from_buffer_with_free_callback_cls(len,
		(void *)body, resp->release, resp->release_arg);
	if (!mine) {
		resp->release(resp->release_arg);
		regit_http_response_dispose(resp);
		return MHD_NO;
	}
	if (resp->content_type)
		MHD_add_response_header(mine, MHD_HTTP_HEADER_CONTENT_TYPE,
			resp->content_type);
	/* Publish for the next requests; the first content type a slot sees
	 * is the only one it ever holds. */
	pthread_mutex_lock(lock);
	if (!slot->evicted && !slot->obj &&
	    (!slot->content_type || slot->content_type == resp->content_type)) {
		slot->content_type = resp->content_type;
		slot->free_obj = http_mhd_response_free;
		slot->obj = mine;   /* the slot keeps this reference */
		ret = MHD_queue_response(con, (unsigned)resp->status, mine);
		pthread_mutex_unlock(lock);
	} else {
		pthread_mutex_unlock(lock);
		ret = MHD_queue_response(con, (unsigned)resp->status, mine);
		MHD_destroy_response(mine);
	}
	req->answered = 1;
	http_finish(srv, con, method, req, resp, len);
	return ret;
}

static void http_error_body(regit_http_response *resp, int status, const char *msg)
{
	resp->status = status;
	resp->content_type = http_json_type;
	regit_buf_clear(&resp->buf);
	regit_buf_printf(&resp->buf, "{\"error_code\":%d,\"message\":", status);
	regit_buf_put_json_string(&resp->buf, msg, strlen(msg));
	regit_buf_putc(&resp->buf, '}');
}

/* Fill the request the handler (or the admission hook) sees. */
static void http_fill_request(regit_http_request *hreq, struct MHD_Connection *con,
	const char *method, http_req *req)
{
	memset(hreq, 0, sizeof(*hreq));
	hreq->method = method;
	hreq->target = req->target;
	hreq->content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_CONTENT_TYPE);
	hreq->accept = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_ACCEPT);
	hreq->authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_AUTHORIZATION);
	hreq->if_none_match = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_IF_NONE_MATCH);
	hreq->body = regit_buf_cstr(&req->body);
	hreq->body_len = req->body.size;
	hreq->start_ns = req->start_ns;
	hreq->remote = req->remote;
	hreq->admission = req->admitted && req->adm.authenticated ? &req->adm : NULL;
	hreq->cert_user = req->conn && req->conn->cert == 1 ? req->conn->cert_user : NULL;
}

/*
 * Mutual TLS: does the client's certificate chain to opts.tls_client_ca_pem
 * (libmicrohttpd asked for one because the trust list is set; GnuTLS does
 * not verify a client's certificate on its own) and what is its subject
 * CN? Checked once per connection: a TLS connection keeps its peer.
 * @return 1 with the CN in cn, 0 without a valid certificate
 */
static int http_client_cert(struct MHD_Connection *con, char *cn, size_t cnsize)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con,
		MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t crt;
	unsigned status = 0, npeers = 0;
	size_t len = cnsize - 1;
	int ok = 0;

	if (!ci || !ci->tls_session)
		return 0;
	if (gnutls_certificate_verify_peers2(ci->tls_session, &status) < 0 || status != 0)
		return 0;
	peers = gnutls_certificate_get_peers(ci->tls_session, &npeers);
	if (!peers || npeers == 0 || gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
		&len) == 0 && len > 0 && len < cnsize && memchr(cn, '\0', len) == NULL) {
		cn[len] = '\0';
		ok = 1;
	}
	gnutls_x509_crt_deinit(crt);
	return ok;
}

/* Queue an error answer of our own (413, 503); before the body (early)
 * the connection is closed rather than the body read. */
static enum MHD_Result http_refuse(regit_http_server *srv, struct MHD_Connection *con,
	const char *method, http_req *req, int early, int status, const char *msg)
{
	regit_http_response resp;

	regit_http_response_init(&resp, 4096);
	http_error_body(&resp, status, msg);
	resp.route = "-";
	resp.close = early;
	if (status == 503)
		resp.retry_after_s = 1;
	return http_queue(srv, con, method, req, &resp);
}

/* The body's declared length; 0 with *chunked when it has none. */
static unsigned long long http_declared_length(struct MHD_Connection *con, int *has)
{
	const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end = NULL;
	unsigned long long n;

	*has = 0;
	if (!cl)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (errno != 0 || end == cl)
		return 0;
	*has = 1;
	return n;
}

/* Reserve the declared body's bytes. @return 0, or -1 when they do not fit */
static int http_reserve_body(regit_http_server *srv, struct MHD_Connection *con,
	http_req *req)
{
	int has_length;
	unsigned long long declared = http_declared_length(con, &has_length);

	if (!has_length || declared == 0 || req->charged)
		return 0;
	if (!http_budget_take(srv, (size_t)declared))
		return -1;
	req->charged = (size_t)declared;
	return 0;
}

/* Counts of the headers that frame a body (http_framing_ok). */
typedef struct http_framing {
	unsigned lengths;        /* Content-Length headers */
	unsigned distinct;       /* ... with a value other than the first's */
	unsigned encodings;      /* Transfer-Encoding headers */
	const char *first;
} http_framing;

static enum MHD_Result http_framing_header(void *cls, enum MHD_ValueKind kind,
	const char *key, const char *value)
{
	http_framing *f = cls;

	(void)kind;
	if (!key)
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->lengths++ == 0)
			f->first = value ? value : "";
		else if (strcmp(f->first, value ? value : "") != 0)
			f->distinct++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->encodings++;
	}
	return MHD_YES;
}

/*
 * Ambiguous body framing is how requests are smuggled past a proxy that
 * reads it differently (RFC 9112 section 6.3): two different Content-Length
 * values, or Content-Length with Transfer-Encoding. Refused (400, closed)
 * rather than guessed at. @return 1 when the framing is unambiguous
 */
static int http_framing_ok(struct MHD_Connection *con)
{
	http_framing f;

	memset(&f, 0, sizeof(f));
	MHD_get_connection_values(con, MHD_HEADER_KIND, http_framing_header, &f);
	return f.distinct == 0 && !(f.lengths > 0 && f.encodings > 0);
}

/*
 * The first access callback: headers complete, no body read yet. Connection
 * limit, declared size, admission and the body budget, in that order.
 * @return MHD_YES/MHD_NO for MHD (MHD_YES with nothing queued: go on)
 */
static enum MHD_Result http_first_call(regit_http_server *srv, struct MHD_Connection *con,
	const char *method, http_req *req)
{
	regit_http_response resp;
	regit_http_request hreq;
	unsigned long long declared;
	int has_length, rc;
	char msg[128];

	req->started = 1;
	http_addr_text(con, req->remote, sizeof(req->remote));
	if (srv->opts.header_timeout_s < srv->opts.timeout_s)
		MHD_set_connection_option(con, MHD_CONNECTION_OPTION_TIMEOUT,
			srv->opts.timeout_s);
	if (req->conn) {
		/* Headers in: no deadline until this request is answered. */
		regit_http_guard_set_deadline(req->conn->guarded, 0);
		if (req->conn->over == REGIT_HTTP_GUARD_OVER_ALL) {
			atomic_fetch_add_explicit(&srv->over_all, 1, memory_order_relaxed);
			return http_refuse(srv, con, method, req, 1, 503,
				"Service unavailable: too many connections; retry later");
		}
		if (req->conn->over == REGIT_HTTP_GUARD_OVER_PEER) {
			atomic_fetch_add_explicit(&srv->over_address, 1, memory_order_relaxed);
			return http_refuse(srv, con, method, req, 1, 503,
				"Service unavailable: too many connections from this address;"
				" retry later");
		}
	}
	if (srv->opts.tls_client_ca_pem && srv->opts.tls_cert_pem) {
		if (req->conn && req->conn->cert == 0)
			req->conn->cert = http_client_cert(con, req->conn->cert_user,
				sizeof(req->conn->cert_user)) ? 1 : -1;
		if (!req->conn || req->conn->cert != 1)
			return http_refuse(srv, con, method, req, 1, 401,
				"Unauthorized: a client certificate signed by the server's"
				" --tls-client-ca is required");
	}
	if (!http_framing_ok(con))
		return http_refuse(srv, con, method, req, 1, 400,
			"Bad request: ambiguous body length (two Content-Length values, or"
			" Content-Length with Transfer-Encoding)");
	declared = http_declared_length(con, &has_length);
	if (has_length && declared > srv->opts.max_body) {
		/* Refuse without reading it; MHD closes afterwards. */
		req->too_large = 1;
		snprintf(msg, sizeof(msg), "request body larger than %zu bytes",
			srv->opts.max_body);
		return http_refuse(srv, con, method, req, 1, 413, msg);
	}
	if (srv->opts.admit) {
		http_fill_request(&hreq, con, method, req);
		regit_http_response_init(&resp, (size_t)64 << 10);
		rc = srv->opts.admit(&hreq, &req->adm, &resp, 0, srv->payload);
		if (rc == REGIT_HTTP_REFUSE) {
			/* With a body: closed rather than read (MHD does so for
			 * POST and PUT itself). */
			if ((has_length && declared > 0) || MHD_lookup_connection_value(con,
			    MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
				resp.close = 1;
			return http_queue(srv, con, method, req, &resp);
		}
		if (rc == REGIT_HTTP_ADMIT_BLOCKS) {
			req->hreq = hreq;
			req->resp = resp;
			req->job = HTTP_JOB_ADMIT;
			if (http_offload(srv, con, req) == 0) {
				return MHD_YES;
			}
			memset(&req->resp, 0, sizeof(req->resp));
			req->offloaded = 0;
			regit_http_response_dispose(&resp);
			return http_refuse(srv, con, method, req, 1, 503,
				"Service unavailable: cannot check credentials now; retry later");
		}
		regit_http_response_dispose(&resp);
	}
	req->admitted = 1;
	if (http_reserve_body(srv, con, req) < 0)
		return http_refuse(srv, con, method, req, 1, 503,
			"Service unavailable: too many request bodies in flight; retry later");
	return MHD_YES;
}

/* The first access callback again, after a worker decided admission. */
static enum MHD_Result http_admitted(regit_http_server *srv, struct MHD_Connection *con,
	const char *method, http_req *req)
{
	if (!req->admitted) {
		req->refused = 0;
		req->resp.close = 1;
		return http_queue(srv, con, method, req, &req->resp);
	}
	regit_http_response_dispose(&req->resp);
	if (http_reserve_body(srv, con, req) < 0)
		return http_refuse(srv, con, method, req, 1, 503,
			"Service unavailable: too many request bodies in flight; retry later");
	return MHD_YES;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *con,
	const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	regit_http_server *srv = cls;
	http_req *req = *req_cls;
	regit_http_response resp;
	regit_http_request hreq;
	char msg[128];

	(void)url;
	(void)version;
	if (!req)
		return MHD_NO;   /* allocation failed in the URI log: drop */
	if (req->offloaded == 2) {
		req->offloaded = 0;
		if (req->job == HTTP_JOB_HANDLE)   /* resumed: a worker has the answer */
			return http_queue(srv, con, method, req, &req->resp);
		/*
		 * Admission decided on a worker. A connection suspended in
		 * its first access callback gets that callback again when
		 * resumed (libmicrohttpd keeps it in "headers processed"),
		 * still before any body and before "100 Continue": a refusal
		 * is queued now and the body never read.
		 */
		req->job = HTTP_JOB_HANDLE;
		if (*upload_data_size == 0)
			return http_admitted(srv, con, method, req);
		/* Defensive: a body already (a libmicrohttpd that does not
		 * repeat the call): a refused body is dropped below and the
		 * refusal sent at its end. */
		if (req->admitted) {
			regit_http_response_dispose(&req->resp);
			if (http_reserve_body(srv, con, req) < 0)
				req->over_budget = 1;
		}
	}
	if (req->offloaded)
		return MHD_YES;  /* not expected while suspended; keep waiting */
	if (req->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (!req->started)
		return http_first_call(srv, con, method, req);

	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (req->refused || req->too_large || req->over_budget)
			return MHD_YES;   /* read and dropped */
		if (req->body.size + n > req->charged) {
			/* A chunked body (or more than declared): charge as it comes,
			 * and close the connection once it no longer fits. */
			size_t more = req->body.size + n - req->charged;

			if (!http_budget_take(srv, more))
				return MHD_NO;
			req->charged += more;
		}
		if (regit_buf_put(&req->body, upload_data, n) < 0) {
			req->too_large = 1;
			regit_buf_dispose(&req->body);
		}
		return MHD_YES;
	}

	if (req->refused) {
		req->refused = 0;
		req->resp.close = 1;
		return http_queue(srv, con, method, req, &req->resp);
	}
	if (req->over_budget)
		return http_refuse(srv, con, method, req, 0, 503,
			"Service unavailable: too many request bodies in flight; retry later");
	if (req->too_large) {
		snprintf(msg, sizeof(msg), "request body larger than %zu bytes",
			srv->opts.max_body);
		return http_refuse(srv, con, method, req, 0, 413, msg);
	}

	regit_http_response_init(&resp, (size_t)64 << 20);
	http_fill_request(&hreq, con, method, req);
	if (http_may_write(srv, method, req->target)) {
		/* Header values and method live in the connection's memory until
		 * the request completes, so the worker may borrow them. */
		req->hreq = hreq;
		req->hreq.admission = hreq.admission ? &req->adm : NULL;
		req->resp = resp;
		req->job = HTTP_JOB_HANDLE;
		if (http_offload(srv, con, req) == 0)
			return MHD_YES;
		resp = req->resp;
		memset(&req->resp, 0, sizeof(req->resp));
		req->offloaded = 0;
	}
	srv->handler(&hreq, &resp, srv->payload);
	return http_queue(srv, con, method, req, &resp);
}

/* Split "host:port", "[v6]:port" or ":port" into a socket address. */
int regit_http_listen_check(const char *listen)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	const char *p;
	unsigned long port = 0;

	if (!listen || !*listen) {
		regit_error_set(REGIT_ERROR_HTTP, "empty listen address");
		return REGIT_EINVALID;
	}
	/* "::1" alone has colons but no port: an IPv6 host is written [::1]:PORT */
	if (!colon || colon[1] == '\0' || (listen[0] != '[' && colon != strchr(listen, ':'))) {
		regit_error_set(REGIT_ERROR_HTTP, "listen address '%s' is not HOST:PORT"
			" (an IPv6 host in brackets: [::1]:8081)", listen);
		return REGIT_EINVALID;
	}
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || p - colon > 5) {
			regit_error_set(REGIT_ERROR_HTTP, "listen port '%s' is not a number"
				" from 0 to 65535", colon + 1);
			return REGIT_EINVALID;
		}
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535) {
		regit_error_set(REGIT_ERROR_HTTP, "listen port %lu is out of range (0 to 65535)",
			port);
		return REGIT_EINVALID;
	}
	return 0;
}

static int http_resolve(struct sockaddr_storage *out, socklen_t *outlen,
	const char *listen)
{
	char host[256];
	const char *colon, *hs, *he;
	struct addrinfo hints, *ai = NULL;
	int rc, error = 0;

	if (!listen || !*listen) {
		regit_error_set(REGIT_ERROR_HTTP, "empty listen address");
		return REGIT_EINVALID;
	}
	if (regit_http_listen_check(listen) < 0)
		return REGIT_EINVALID;
	colon = strrchr(listen, ':');
	hs = listen;
	he = colon;
	if (*hs == '[') {
		if (he == hs || he[-1] != ']') {
			regit_error_set(REGIT_ERROR_HTTP, "bad IPv6 listen address '%s'", listen);
			return REGIT_EINVALID;
		}
		hs++;
		he--;
	}
	if ((size_t)(he - hs) >= sizeof(host)) {
		regit_error_set(REGIT_ERROR_HTTP, "listen host too long");
		return REGIT_EINVALID;
	}
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0 || !ai) {
		regit_error_set(REGIT_ERROR_HTTP, "cannot resolve listen address '%s': %s",
			listen, gai_strerror(rc));
		error = REGIT_EINVALID;
		goto done;
	}
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	*outlen = ai->ai_addrlen;
done:
	if (ai)
		freeaddrinfo(ai);
	return error;
}

/*
 * libmicrohttpd's own messages (a client's TLS garbage, a refused
 * connection, a bad option) go through here: one format, "regit: http:",
 * and at most HTTP_LOG_BURST lines per HTTP_LOG_WINDOW_S seconds, so a
 * client sending garbage in a loop cannot flood the log; what was dropped
 * is counted in the next line that passes.
 */
#define HTTP_LOG_BURST 20u
#define HTTP_LOG_WINDOW_S 10

static pthread_mutex_t http_log_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t http_log_window;
static unsigned http_log_lines;
static unsigned long http_log_dropped;

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	regit_http_server *srv = cls;
	char msg[512];
	unsigned long dropped = 0;
	time_t now = time(NULL);
	size_t n;
	int pass;

	pthread_mutex_lock(&http_log_lock);
	if (srv && srv->starting) {
		vsnprintf(srv->start_log, sizeof(srv->start_log), fmt, ap);
		n = strlen(srv->start_log);
		while (n > 0 && (srv->start_log[n - 1] == '\n' || srv->start_log[n - 1] == '\r'))
			srv->start_log[--n] = '\0';
		pthread_mutex_unlock(&http_log_lock);
		return;
	}
	if (now - http_log_window >= HTTP_LOG_WINDOW_S) {
		http_log_window = now;
		http_log_lines = 0;
	}
	pass = http_log_lines < HTTP_LOG_BURST;
	if (pass) {
		http_log_lines++;
		dropped = http_log_dropped;
		http_log_dropped = 0;
	} else {
		http_log_dropped++;
	}
	pthread_mutex_unlock(&http_log_lock);
	if (!pass)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (dropped)
		fprintf(stderr, "regit: http: %s (%lu similar messages suppressed)\n", msg, dropped);
	else
		fprintf(stderr, "regit: http: %s\n", msg);
}

/*
 * libmicrohttpd says only "failed to start"; find the real reason by
 * binding the address ourselves (in use, not allowed, not local).
 */
static void http_start_error(const struct sockaddr_storage *ss, socklen_t sslen,
	const regit_http_options *opts, int tls, const char *mhd_said)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, err = 0;

	if (fd < 0) {
		err = errno;
	} else {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)ss, sslen) < 0)
			err = errno;
		close(fd);
	}
	if (err)
		regit_error_set(REGIT_ERROR_HTTP, "cannot listen on %s: %s", opts->listen,
			err == EADDRINUSE ? "the address is already in use (another server on"
			" this port?)" : strerror(err));
	else if (tls)
		regit_error_set(REGIT_ERROR_HTTP, "cannot start HTTPS on %s: the TLS"
			" certificate, key or --tls-priorities string was refused (%s)",
			opts->listen, mhd_said[0] ? mhd_said : "no reason given");
	else
		regit_error_set(REGIT_ERROR_HTTP, "cannot listen on %s: %s", opts->listen,
			mhd_said[0] ? mhd_said : "no reason given");
}

int regit_http_server_start(regit_http_server **out, const regit_http_options *opts,
	regit_http_handler handler, regit_http_observer observer, void *payload)
{
	regit_http_server *srv = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO |
		MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem tls[5] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, NULL },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, NULL },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },   /* HTTPS_MEM_TRUST with a client CA */
		{ MHD_OPTION_END, 0, NULL },
	};
	unsigned threads;
	const union MHD_DaemonInfo *di;
	int error = 0;

	*out = NULL;
	srv = regit_calloc(1, sizeof(*srv));
	if (!srv)
		return REGIT_ENOMEM;
	srv->opts = *opts;
	pthread_mutex_init(&srv->wmu, NULL);
	pthread_cond_init(&srv->wcv, NULL);
	srv->qtail = &srv->qhead;
	srv->pool_ready = 1;
	srv->handler = handler;
	srv->observer = observer;
	srv->payload = payload;
	if (srv->opts.max_body == 0)
		srv->opts.max_body = (size_t)16 << 20;
	if (srv->opts.max_header < 8192)
		srv->opts.max_header = 8192;
	if (srv->opts.max_body_memory == 0)
		srv->opts.max_body_memory = (size_t)256 << 20;
	if (srv->opts.max_per_ip == 0)
		srv->opts.max_per_ip = 64;
	if (srv->opts.header_timeout_s == 0)
		srv->opts.header_timeout_s = 10;
	if (srv->opts.max_connections == 0)
		srv->opts.max_connections = 4096;
	atomic_init(&srv->body_mem, 0);
	atomic_init(&srv->over_address, 0);
	atomic_init(&srv->over_all, 0);
	error = regit_http_guard_new(&srv->guard, srv->opts.max_connections,
		srv->opts.max_per_ip);
	if (error < 0)
		goto done;

	error = http_resolve(&ss, &sslen, opts->listen);
	if (error < 0)
		goto done;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;

	threads = opts->threads;
	if (threads == 0)
		threads = regit_cpu_count();
	/* HTTPS: GnuTLS inside libmicrohttpd, certificate and key as PEM text. */
	if (opts->tls_cert_pem && opts->tls_key_pem) {
		flags |= MHD_USE_TLS;
		tls[0].value = 0;
		tls[0].ptr_value = (void *)opts->tls_cert_pem;
		tls[1].value = 0;
		tls[1].ptr_value = (void *)opts->tls_key_pem;
		tls[2].value = 0;
		tls[2].ptr_value = (void *)(opts->tls_priorities ? opts->tls_priorities :
			REGIT_HTTP_TLS_PRIORITIES);
		if (opts->tls_client_ca_pem) {
			tls[3].option = MHD_OPTION_HTTPS_MEM_TRUST;
			tls[3].value = 0;
			tls[3].ptr_value = (void *)opts->tls_client_ca_pem;
		}
	} else {
		tls[0].option = MHD_OPTION_END;
	}
	srv->starting = 1;
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, http_access, srv,
		MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, srv,   /* must come first */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, srv->opts.max_header,
		/* Until a request's headers are in (see the top of the file). */
		MHD_OPTION_CONNECTION_TIMEOUT, srv->opts.header_timeout_s < srv->opts.timeout_s ?
			srv->opts.header_timeout_s : srv->opts.timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, srv->opts.max_connections + HTTP_OVERFLOW_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->opts.max_per_ip + HTTP_OVERFLOW_PEER,
		MHD_OPTION_NOTIFY_CONNECTION, http_notify_connection, srv,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_URI_LOG_CALLBACK, http_uri_log, srv,
		MHD_OPTION_NOTIFY_COMPLETED, http_completed, srv,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	pthread_mutex_lock(&http_log_lock);
	srv->starting = 0;
	pthread_mutex_unlock(&http_log_lock);
	if (!srv->daemon) {
		http_start_error(&ss, sslen, opts, flags & MHD_USE_TLS, srv->start_log);
		error = REGIT_EIO;
		goto done;
	}
	if (srv->start_log[0])
		fprintf(stderr, "regit: http: %s\n", srv->start_log);
	di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : 0;
	*out = srv;
	srv = NULL;
done:
	regit_http_server_free(srv);
	return error;
}

int regit_http_tls_supported(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

void regit_http_server_stats(const regit_http_server *srv, regit_http_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!srv)
		return;
	out->header_deadline = regit_http_guard_expired(srv->guard);
	out->over_address = atomic_load_explicit(&srv->over_address, memory_order_relaxed);
	out->over_all = atomic_load_explicit(&srv->over_all, memory_order_relaxed);
}

unsigned regit_http_server_port(const regit_http_server *srv)
{
	return srv ? srv->port : 0;
}

void regit_http_server_free(regit_http_server *srv)
{
	unsigned i;

	if (!srv)
		return;
	/* Workers finish (and resume) every queued request before MHD stops:
	 * it must not be stopped with connections still suspended. */
	if (srv->pool_ready) {
		pthread_mutex_lock(&srv->wmu);
		srv->stopping = 1;
		pthread_cond_broadcast(&srv->wcv);
		pthread_mutex_unlock(&srv->wmu);
		for (i = 0; i < srv->nworkers; i++)
			pthread_join(srv->workers[i], NULL);
	}
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	/* After the daemon: its last connections leave the guard as they close. */
	regit_http_guard_free(srv->guard);
	if (srv->pool_ready) {
		pthread_mutex_destroy(&srv->wmu);
		pthread_cond_destroy(&srv->wcv);
	}
	regit_free(srv);
}
