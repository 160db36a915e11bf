/*
 * test_http_guard.c - server/http_guard: which connections are past the
 * global or the per-address limit, counts given back when connections go,
 * and the sweep shutting down the socket of a connection past its
 * deadline (and of no other), over socket pairs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/http_guard.h"

static struct sockaddr_in addr_of(const char *ip)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	return sa;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Does the peer of sv[0] see the end of the stream within ms? */
static int eof_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return read(fd, &c, 1) == 0;
}

static void test_http_guard__limits(void **state)
{
	regit_http_guard *g = NULL;
	regit_http_guard_conn *c[8];
	struct sockaddr_in a = addr_of("10.0.0.1"), b = addr_of("10.0.0.2");
	struct sockaddr_in6 v6;
	int over;

	(void)state;
	assert_int_equal(regit_http_guard_new(&g, 3, 2), 0);
	c[0] = regit_http_guard_add(g, -1, (struct sockaddr *)&a, 0, &over);
	assert_non_null(c[0]);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	c[1] = regit_http_guard_add(g, -1, (struct sockaddr *)&a, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	/* a third from a: past the per-address limit (2) */
	c[2] = regit_http_guard_add(g, -1, (struct sockaddr *)&a, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_OVER_PEER);
	/* a fourth in all: past the global limit (3), whatever the address */
	c[3] = regit_http_guard_add(g, -1, (struct sockaddr *)&b, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_OVER_ALL);
	regit_http_guard_remove(g, c[3]);
	regit_http_guard_remove(g, c[2]);
	/* b has its own count */
	c[2] = regit_http_guard_add(g, -1, (struct sockaddr *)&b, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	regit_http_guard_remove(g, c[2]);
	/* a's count was given back: one leaves, one more fits */
	regit_http_guard_remove(g, c[1]);
	c[1] = regit_http_guard_add(g, -1, (struct sockaddr *)&a, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	/* no address (a Unix socket, say): never past the per-address limit */
	regit_http_guard_remove(g, c[1]);
	c[1] = regit_http_guard_add(g, -1, NULL, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	/* IPv6 counts apart from IPv4 */
	memset(&v6, 0, sizeof(v6));
	v6.sin6_family = AF_INET6;
	v6.sin6_addr.s6_addr[15] = 1;
	c[2] = regit_http_guard_add(g, -1, (struct sockaddr *)&v6, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	regit_http_guard_remove(g, c[2]);
	regit_http_guard_remove(g, c[1]);
	regit_http_guard_remove(g, c[0]);
	regit_http_guard_remove(g, NULL);
	/* everything given back: the full limits again */
	c[0] = regit_http_guard_add(g, -1, (struct sockaddr *)&a, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	c[1] = regit_http_guard_add(g, -1, (struct sockaddr *)&a, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	c[2] = regit_http_guard_add(g, -1, (struct sockaddr *)&b, 0, &over);
	assert_int_equal(over, REGIT_HTTP_GUARD_IN);
	regit_http_guard_remove(g, c[0]);
	regit_http_guard_remove(g, c[1]);
	regit_http_guard_remove(g, c[2]);
	regit_http_guard_free(g);
	regit_http_guard_free(NULL);
}

static void test_http_guard__deadline(void **state)
{
	regit_http_guard *g = NULL;
	regit_http_guard_conn *late, *none, *cleared;
	int sv[3][2], over, i;
	struct sockaddr_in a = addr_of("10.0.0.1");
	uint64_t t0;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
	assert_int_equal(regit_http_guard_new(&g, 100, 100), 0);
	t0 = now_ns();
	late = regit_http_guard_add(g, sv[0][0], (struct sockaddr *)&a, t0 + 300000000u, &over);
	none = regit_http_guard_add(g, sv[1][0], (struct sockaddr *)&a, 0, &over);
	cleared = regit_http_guard_add(g, sv[2][0], (struct sockaddr *)&a, t0 + 300000000u,
		&over);
	assert_int_equal(regit_http_guard_deadline(late), t0 + 300000000u);
	/* what the server does when the headers are in */
	regit_http_guard_set_deadline(cleared, 0);
	assert_int_equal(regit_http_guard_deadline(cleared), 0);
	/* not before the deadline, even though nothing is sent */
	assert_false(eof_within(sv[0][1], 150));
	/* shut down within a sweep period or so after it */
	assert_true(eof_within(sv[0][1], 2000));
	assert_true(now_ns() - t0 >= 300000000u);
	assert_int_equal(regit_http_guard_expired(g), 1ul);
	assert_int_equal(regit_http_guard_deadline(late), 0);   /* once */
	/* the others are left alone */
	assert_false(eof_within(sv[1][1], 400));
	assert_false(eof_within(sv[2][1], 10));
	assert_int_equal(regit_http_guard_expired(g), 1ul);
	regit_http_guard_remove(g, late);
	regit_http_guard_remove(g, none);
	regit_http_guard_remove(g, cleared);
	regit_http_guard_free(g);
	for (i = 0; i < 3; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_guard__limits),
		cmocka_unit_test(test_http_guard__deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
