/*
 * gitcheck.c - see gitcheck.h.
 */
#include "tests/support/gitcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

const char *test_sh(int *status, const char *fmt, ...)
{
	static char out[1 << 16];
	char cmd[8192];
	va_list ap;
	size_t len = 0, n;
	FILE *p;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (!p) {
		if (status)
			*status = -1;
		return out;
	}
	while ((n = fread(out + len, 1, sizeof(out) - 1 - len, p)) > 0)
		len += n;
	/* drain what did not fit, so the command is not killed by SIGPIPE */
	{
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	rc = pclose(p);
	out[len] = '\0';
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	if (status)
		*status = rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	return out;
}

size_t test_count_lines(const char *out, const char *needle)
{
	size_t n = 0;
	const char *line = out;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *hit = strstr(line, needle);

		if (hit && hit + strlen(needle) <= line + len)
			n++;
		line = end ? end + 1 : NULL;
	}
	return n;
}
