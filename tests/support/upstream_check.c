/* upstream_check.c - see upstream_check.h. */
#include "tests/support/upstream_check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int test_listen_any(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
			getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int test_sh_line(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *p;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out) {
		out[0] = '\0';
		if (fgets(out, (int)cap, p))
			out[strcspn(out, "\n")] = '\0';
	}
	while (fgetc(p) != EOF)
		;
	rc = pclose(p);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void test_commit_file(regit_store *s, const char *expected, char out[REGIT_STORE_OID_HEX],
	const char *path, const char *data)
{
	regit_store_change c = { path, data, strlen(data), 0 };

	assert_int_equal(regit_store_commit(out, s, expected, &c, 1, "test", NULL), 0);
}

void test_upstream_head(const char *up_path, char out[REGIT_STORE_OID_HEX])
{
	char line[128];

	if (test_sh_line(line, sizeof(line), "git --git-dir='%s' rev-parse -q --verify"
			" refs/heads/main 2>/dev/null", up_path) != 0)
		line[0] = '\0';
	snprintf(out, REGIT_STORE_OID_HEX, "%s", line);
}

void test_assert_linear(const char *up_path, int commits)
{
	char line[64];

	assert_int_equal(test_sh_line(line, sizeof(line), "git --git-dir='%s' rev-list"
		" --first-parent --count main", up_path), 0);
	assert_int_equal(strtol(line, NULL, 10), commits);
	assert_int_equal(test_sh_line(line, sizeof(line), "git --git-dir='%s' rev-list --count"
		" main", up_path), 0);
	assert_int_equal(strtol(line, NULL, 10), commits);
	assert_int_equal(test_sh_line(line, sizeof(line), "git --git-dir='%s' rev-list --merges"
		" --count main", up_path), 0);
	assert_int_equal(strtol(line, NULL, 10), 0);
}
