/*
 * http_guard.c - open connections, their counts per client address and
 * their deadlines (http_guard.h says why a sweep).
 *
 * One mutex guards the list and the address table: it is taken twice per
 * connection (start and end) and by the sweep, never per request (moving
 * a deadline is one atomic store), so keep-alive traffic never meets it.
 */
#include "server/http_guard.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/error.h"

/* How often the sweep looks at deadlines: a connection outlives its
 * deadline by at most this much. */
#define GUARD_SWEEP_MS 250
/* Buckets of the address table (a power of two); entries exist only for
 * addresses with a connection open, so the table holds at most as many
 * entries as there are connections. */
#define GUARD_PEER_BUCKETS 1024u

typedef struct guard_peer {
	struct guard_peer *next;
	unsigned char key[17];   /* family byte, then up to 16 address bytes */
	unsigned count;          /* connections open from this address */
} guard_peer;

struct regit_http_guard_conn {
	regit_http_guard_conn *prev, *next;  /* the guard's list */
	guard_peer *peer;                    /* NULL: address unknown */
	int fd;
	_Atomic uint64_t deadline_ns;        /* 0 = none */
};

struct regit_http_guard {
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* wakes the sweep to stop */
	pthread_t sweep;
	int stopping;
	unsigned max_connections, max_per_peer;
	unsigned open;              /* connections tracked */
	regit_http_guard_conn *head;
	guard_peer *peers[GUARD_PEER_BUCKETS];
	atomic_ulong expired;
};

static uint64_t guard_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The address's key: 0 when the family is not IPv4 or IPv6. */
static int guard_key(unsigned char key[17], const struct sockaddr *sa)
{
	memset(key, 0, 17);
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return 1;
	}
	return 0;
}

static unsigned guard_bucket(const unsigned char key[17])
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	size_t i;

	for (i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (GUARD_PEER_BUCKETS - 1);
}

static void *guard_sweep_main(void *arg)
{
	regit_http_guard *g = arg;
	regit_http_guard_conn *c;
	struct timespec until;
	uint64_t now, d;

	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += GUARD_SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cv, &g->mu, &until);
		now = guard_now_ns();
		for (c = g->head; c; c = c->next) {
			d = atomic_load_explicit(&c->deadline_ns, memory_order_relaxed);
			if (d == 0 || now < d)
				continue;
			/* Once: the connection's own thread closes it when it
			 * reads the end of the stream. */
			atomic_store_explicit(&c->deadline_ns, 0, memory_order_relaxed);
			shutdown(c->fd, SHUT_RDWR);
			atomic_fetch_add_explicit(&g->expired, 1, memory_order_relaxed);
		}
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int regit_http_guard_new(regit_http_guard **out, unsigned max_connections,
	unsigned max_per_peer)
{
	regit_http_guard *g;
	pthread_condattr_t ca;

	*out = NULL;
	g = regit_calloc(1, sizeof(*g));
	if (!g)
		return REGIT_ENOMEM;
	g->max_connections = max_connections;
	g->max_per_peer = max_per_peer;
	atomic_init(&g->expired, 0);
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->sweep, NULL, guard_sweep_main, g) != 0) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		regit_free(g);
		regit_error_set(REGIT_ERROR_HTTP, "cannot start the connection sweep thread");
		return REGIT_ERROR;
	}
	*out = g;
	return 0;
}

void regit_http_guard_free(regit_http_guard *g)
{
	size_t i;
	guard_peer *p, *next;

	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->sweep, NULL);
	for (i = 0; i < GUARD_PEER_BUCKETS; i++)
		for (p = g->peers[i]; p; p = next) {
			next = p->next;
			regit_free(p);
		}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	regit_free(g);
}

regit_http_guard_conn *regit_http_guard_add(regit_http_guard *g, int fd,
	const struct sockaddr *addr, uint64_t deadline_ns, int *over)
{
	regit_http_guard_conn *c = regit_calloc(1, sizeof(*c));
	unsigned char key[17];
	guard_peer *p = NULL;
	unsigned b;

	*over = REGIT_HTTP_GUARD_IN;
	if (!c)
		return NULL;
	c->fd = fd;
	atomic_init(&c->deadline_ns, deadline_ns);
	pthread_mutex_lock(&g->mu);
	if (guard_key(key, addr)) {
		b = guard_bucket(key);
		for (p = g->peers[b]; p; p = p->next)
			if (memcmp(p->key, key, sizeof(key)) == 0)
				break;
		if (!p) {
			p = regit_calloc(1, sizeof(*p));
			if (p) {
				memcpy(p->key, key, sizeof(key));
				p->next = g->peers[b];
				g->peers[b] = p;
			}
		}
		if (p)
			p->count++;
	}
	c->peer = p;
	g->open++;
	if (g->open > g->max_connections)
		*over = REGIT_HTTP_GUARD_OVER_ALL;
	else if (p && p->count > g->max_per_peer)
		*over = REGIT_HTTP_GUARD_OVER_PEER;
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
	pthread_mutex_unlock(&g->mu);
	return c;
}

void regit_http_guard_remove(regit_http_guard *g, regit_http_guard_conn *c)
{
	guard_peer **pp;

	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	g->open--;
	if (c->peer && --c->peer->count == 0) {
		for (pp = &g->peers[guard_bucket(c->peer->key)]; *pp; pp = &(*pp)->next)
			if (*pp == c->peer) {
				*pp = c->peer->next;
				regit_free(c->peer);
				break;
			}
	}
	pthread_mutex_unlock(&g->mu);
	regit_free(c);
}

void regit_http_guard_set_deadline(regit_http_guard_conn *c, uint64_t deadline_ns)
{
	if (c)
		atomic_store_explicit(&c->deadline_ns, deadline_ns, memory_order_relaxed);
}

uint64_t regit_http_guard_deadline(const regit_http_guard_conn *c)
{
	return c ? atomic_load_explicit(&c->deadline_ns, memory_order_relaxed) : 0;
}

unsigned long regit_http_guard_expired(const regit_http_guard *g)
{
	return g ? atomic_load_explicit(&g->expired, memory_order_relaxed) : 0;
}
