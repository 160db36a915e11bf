/*
 * http_guard.h - the server's guard over its open connections (issue #13):
 * how many each client address holds, which ones are past a limit, and a
 * deadline per connection that is enforced however the client trickles.
 *
 * libmicrohttpd's timeouts count silence: a client sending one header byte
 * every few seconds is never idle, so it would keep its slot for ever. The
 * guard keeps every connection's socket and deadline in one list, and a
 * sweep thread (four times a second) shuts down the socket of each one
 * past its deadline: libmicrohttpd then reads end-of-file and closes the
 * connection the ordinary way. Since the server removes a connection from
 * the guard before libmicrohttpd closes its socket, and the sweep shuts
 * sockets down only under the guard's lock, a shut-down descriptor is
 * never one that was reused for another connection.
 *
 * It knows nothing of HTTP: server/http.c says when a connection starts
 * and ends and moves its deadline (accept, end of headers, end of a
 * response).
 */
#ifndef REGIT_SERVER_HTTP_GUARD_H
#define REGIT_SERVER_HTTP_GUARD_H

#include <stdint.h>
#include <sys/socket.h>

typedef struct regit_http_guard regit_http_guard;
typedef struct regit_http_guard_conn regit_http_guard_conn;

/* Why a new connection is past a limit (regit_http_guard_add). */
#define REGIT_HTTP_GUARD_IN 0          /* within the limits */
#define REGIT_HTTP_GUARD_OVER_ALL 1    /* more than max_connections open */
#define REGIT_HTTP_GUARD_OVER_PEER 2   /* its address holds more than max_per_peer */

/**
 * Start a guard and its sweep thread.
 * @param max_connections connections open at once within the limit
 * @param max_per_peer    connections one address may hold within the limit
 * @return 0, REGIT_ENOMEM, or REGIT_ERROR (the thread could not start)
 */
int regit_http_guard_new(regit_http_guard **out, unsigned max_connections,
	unsigned max_per_peer);

/** Stop the sweep and free the guard (no connection may be left). NULL is fine. */
void regit_http_guard_free(regit_http_guard *g);

/**
 * Track a new connection: its socket, its client address (NULL when
 * unknown: never over the per-address limit) and its first deadline
 * (CLOCK_MONOTONIC ns, 0 = none). *over says which limit it is past, if any.
 * @return the entry, or NULL when out of memory (the connection is then
 *         untracked: no deadline, counted nowhere)
 */
regit_http_guard_conn *regit_http_guard_add(regit_http_guard *g, int fd,
	const struct sockaddr *addr, uint64_t deadline_ns, int *over);

/** Forget a connection before its socket is closed. NULL is fine. */
void regit_http_guard_remove(regit_http_guard *g, regit_http_guard_conn *c);

/** Set (or, with 0, clear) a connection's deadline. Any thread; NULL is fine. */
void regit_http_guard_set_deadline(regit_http_guard_conn *c, uint64_t deadline_ns);

/** The connection's deadline (0 = none). */
uint64_t regit_http_guard_deadline(const regit_http_guard_conn *c);

/** Connections the sweep has shut down so far. */
unsigned long regit_http_guard_expired(const regit_http_guard *g);

#endif
