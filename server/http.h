/*
 * http.h - the HTTP server under `regit serve`, and the socket-free request
 * and response types the API layer works with.
 *
 * server/http.c is the only file that touches libmicrohttpd. It accepts
 * connections (an epoll thread pool, keep-alive, bounded headers and
 * bodies, timeouts, connection limits in all and per address and a
 * deadline for headers kept by server/http_guard.c, optional mutual TLS),
 * collects each request completely
 * and hands it to a handler as a plain regit_http_request. The handler
 * fills a regit_http_response; http.c sends it. Because the handler sees no
 * sockets, tests and fuzzers call it directly (server/api.h).
 */
#ifndef REGIT_HTTP_H
#define REGIT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* One complete request. All pointers are borrowed for the handler call. */
typedef struct regit_http_request {
	const char *method;        /* "GET", "POST", ... as sent */
	const char *target;        /* raw request target "path[?query]", not decoded */
	const char *content_type;  /* Content-Type header, NULL when absent */
	const char *accept;        /* Accept header, NULL when absent */
	const char *authorization; /* Authorization header, NULL when absent */
	const char *if_none_match; /* If-None-Match header, NULL when absent */
	const char *body;          /* request body ("" when none); NUL-terminated */
	size_t body_len;
	uint64_t start_ns;         /* CLOCK_MONOTONIC when the request arrived; 0 = now */
	const char *remote;        /* client address ("127.0.0.1"), NULL when unknown */
	/* Who the server's admission check (regit_http_admit) found, NULL when
	 * no check ran (no admit hook; tests calling a handler directly). */
	const struct regit_http_admission *admission;
	/* The subject CN of the client's TLS certificate, verified against
	 * opts.tls_client_ca_pem; NULL without one (no mutual TLS). */
	const char *cert_user;
} regit_http_request;

/*
 * What an admission check learnt about a request before its body was read:
 * the authenticated user and role (the handler's own meaning). Filled by
 * the admit hook; handed to the handler as req->admission.
 */
typedef struct regit_http_admission {
	int authenticated;         /* user and role are valid */
	int role;
	char user[72];
} regit_http_admission;

/*
 * A place, owned by whoever owns a reusable body (the API's response cache),
 * where the server may keep a ready-made transport response for that body,
 * so a hot body is served without building a response each time. The
 * server stores `obj` (with free_obj) only for bodies offered with
 * `retain`, and the object holds one retained reference on the body's
 * owner, released when the transport drops its last use. Before the owner
 * forgets the slot it calls regit_http_prebuilt_evict(), which breaks that
 * cycle.
 *
 * The fields belong to http.c and are read and written only under its
 * slot lock (a striped lock keyed by the slot's address): a reader takes
 * its own reference on obj (by queueing it) before the lock is dropped,
 * so an eviction can never destroy an object between a reader's load and
 * its use. The owner zero-fills the slot and does nothing else with it.
 */
typedef struct regit_http_prebuilt {
	void *obj;                       /* server-owned object, or NULL */
	void (*free_obj)(void *obj);
	const char *content_type;        /* the type obj answers with */
	int evicted;                     /* the owner no longer publishes it */
} regit_http_prebuilt;

/** Drop the server object kept in a slot (owner side; idempotent). */
void regit_http_prebuilt_evict(regit_http_prebuilt *slot);

/*
 * The handler's answer. The body is either built in `buf` (owned by the
 * response; http.c takes it over) or borrowed from `body` with `release`
 * called once when the server no longer needs it (a cached body with a
 * reference count). Static bodies set `body` and leave `release` NULL.
 */
typedef struct regit_http_response {
	int status;
	const char *content_type;  /* static string */
	const char *body;          /* borrowed; used when buf is empty */
	size_t body_len;
	void (*release)(void *arg);/* called with release_arg when done with body */
	void (*retain)(void *arg); /* optional: take another reference on release_arg */
	void *release_arg;
	regit_http_prebuilt *prebuilt; /* optional, with retain: see above */
	regit_buf buf;             /* owned body storage */
	const char *route;         /* static route name for logs/metrics ("/schemas/ids/{id}") */
	const char *www_authenticate; /* static; sent as WWW-Authenticate when set (401) */
	unsigned retry_after_s;    /* sent as Retry-After when not 0 (429, 503) */
	int close;                 /* send "Connection: close" (and close) */
	int route_id;              /* handler-defined route index for metrics */
	char user[72];             /* authenticated user, for the access log ("" = none) */
	/* Extra headers (ETag, Cache-Control, Content-Security-Policy,
	 * Location, ...): static name/value strings, the first `nheaders`. */
	struct { const char *name, *value; } headers[8];
	size_t nheaders;
} regit_http_response;

/** Prepare an empty response (status 500, no body, buffer capped at max). */
void regit_http_response_init(regit_http_response *resp, size_t max);
/** Free what the response owns and call its release hook. */
void regit_http_response_dispose(regit_http_response *resp);
/** The body to send: buf's content when non-empty, else `body`. */
const char *regit_http_response_body(const regit_http_response *resp, size_t *len);

typedef void (*regit_http_handler)(const regit_http_request *req,
	regit_http_response *resp, void *payload);

/* Called after each response is queued (for metrics); may be NULL. */
typedef void (*regit_http_observer)(const regit_http_request *req,
	const regit_http_response *resp, uint64_t elapsed_ns, void *payload);

/*
 * Does this request write? Those run on worker threads (server/http.c
 * says why). method and target (raw, query included) as sent; payload is
 * the handler's. The handler's owner answers, from its route table; the
 * server only looks at methods and paths through this.
 */
typedef int (*regit_http_writes)(const char *method, const char *target, void *payload);

/* regit_http_admit's answers. */
#define REGIT_HTTP_ADMIT 0         /* go on: read the body, run the handler */
#define REGIT_HTTP_REFUSE 1        /* resp holds the answer; sent before any body */
#define REGIT_HTTP_ADMIT_BLOCKS 2  /* deciding would block: call again off the event thread */

/*
 * The admission check, called once per request as soon as its headers are
 * complete and before any byte of its body is read or buffered (req->body
 * is empty). may_block 0: on an event thread, where it must not block or
 * spend much CPU (a password hash): it answers REGIT_HTTP_ADMIT_BLOCKS
 * instead and is called again with may_block 1 on a worker thread, the
 * connection suspended meanwhile. A refusal is sent at once (a request
 * with a body then has its connection closed); a refusal decided on a
 * worker is sent after the body was read and thrown away (libmicrohttpd
 * answers only before or after a body), never buffered.
 */
typedef int (*regit_http_admit)(const regit_http_request *req,
	regit_http_admission *adm, regit_http_response *resp, int may_block,
	void *payload);

typedef struct regit_http_options {
	const char *listen;         /* "host:port" or "[v6]:port"; port 0 = any */
	unsigned threads;           /* 0 = number of online CPUs */
	size_t max_body;            /* bytes; larger requests get 413 */
	size_t max_header;          /* per-connection header memory (MHD memory limit) */
	unsigned timeout_s;         /* idle connection timeout */
	unsigned max_connections;
	int access_log;             /* one line per request on stderr */
	const char *tls_cert_pem;   /* PEM text; with tls_key_pem: HTTPS (borrowed) */
	const char *tls_key_pem;
	const char *tls_priorities; /* GnuTLS priority string; NULL = REGIT_HTTP_TLS_PRIORITIES */
	regit_http_writes writes;   /* NULL: every request runs on a pool thread */
	regit_http_admit admit;     /* NULL: every request is admitted */
	size_t max_body_memory;     /* bytes of request bodies buffered at once, all
	                             * requests together; past it 503 (0 = 256 MB) */
	unsigned max_per_ip;        /* connections from one address (0 = 64) */
	unsigned header_timeout_s;  /* to receive a request's headers (0 = 10) */
	/* PEM CA certificates (borrowed): with TLS, every client must present
	 * a certificate they signed (mutual TLS); requests without one get 401
	 * before admission, the others carry its CN as req->cert_user. */
	const char *tls_client_ca_pem;
} regit_http_options;

/*
 * max_header 16 KB: room for request headers of 8 KB and more (Jetty, under
 * Confluent's registry, allows 8 KB). libmicrohttpd zeroes the used part of
 * this per-connection pool after every request, and half of it is the read
 * buffer, so a larger pool costs a larger memset on every keep-alive
 * request (64 KB: ~18% of a GET /schemas/ids/{id}'s server CPU).
 */
#define REGIT_HTTP_OPTIONS_INIT \
	{ "127.0.0.1:8081", 0, (size_t)16 << 20, 16u << 10, 60, 4096, 0 }

/*
 * The default TLS priorities: TLS 1.3 and 1.2 only, key exchange with
 * (EC)DHE only (forward secrecy), AEAD ciphers only (no CBC, no SHA-1
 * MACs), as Mozilla's "intermediate" profile asks. --tls-priorities
 * replaces it with any GnuTLS priority string.
 */
#define REGIT_HTTP_TLS_PRIORITIES \
	"SECURE:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:" \
	"+DHE-RSA:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD"

typedef struct regit_http_server regit_http_server;

/**
 * Check the form of a listen address: HOST:PORT or [V6]:PORT, the port a
 * number from 0 to 65535 (0 = any free port). Resolves nothing.
 * @return 0, or REGIT_EINVALID with the reason in the last error
 */
int regit_http_listen_check(const char *listen);

/**
 * Bind and start serving on background threads.
 * @param out       receives the server (free with regit_http_server_free)
 * @param handler   called once per complete request, on a server thread
 * @return 0, REGIT_EINVALID (bad listen address), REGIT_EIO (bind failed)
 */
int regit_http_server_start(regit_http_server **out, const regit_http_options *opts,
	regit_http_handler handler, regit_http_observer observer, void *payload);

/** True when libmicrohttpd was built with TLS (HTTPS) support. */
int regit_http_tls_supported(void);

/* What the server refused on its own, since it started (for /metrics). */
typedef struct regit_http_stats {
	unsigned long header_deadline;  /* connections closed by the header deadline */
	unsigned long over_address;     /* answered 503: past opts.max_per_ip */
	unsigned long over_all;         /* answered 503: past opts.max_connections */
} regit_http_stats;

/** Fill *out with the server's counters (zeros for NULL). Thread-safe. */
void regit_http_server_stats(const regit_http_server *srv, regit_http_stats *out);

/** The bound TCP port (useful with port 0). */
unsigned regit_http_server_port(const regit_http_server *srv);

/** Stop accepting, finish, and free. NULL is fine. */
void regit_http_server_free(regit_http_server *srv);

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t regit_http_now_ns(void);

#endif
