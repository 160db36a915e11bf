/*
 * log.c - the level gate of regit serve's stderr lines (log.h).
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

/* Set before the server's threads start, read-only after. */
static regit_log_level log_level = REGIT_LOG_INFO;

void regit_log_set_level(regit_log_level level)
{
	log_level = level;
}

int regit_log_level_parse(const char *s, regit_log_level *out)
{
	if (!s)
		return -1;
	if (strcasecmp(s, "error") == 0)
		*out = REGIT_LOG_ERROR;
	else if (strcasecmp(s, "warn") == 0)
		*out = REGIT_LOG_WARN;
	else if (strcasecmp(s, "info") == 0)
		*out = REGIT_LOG_INFO;
	else
		return -1;
	return 0;
}

void regit_log(regit_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
