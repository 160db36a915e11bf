/*
 * log.h - regit serve's own stderr lines, gated by a level.
 *
 * Lines keep their texts ("regit serve: warning: ...", "regit: store ...");
 * the level only decides whether they are written. Errors are always
 * written; --log-level warn drops the informational lines, --log-level
 * error the warnings too. The access log and the listening line are not
 * log lines. The level is set once, before any thread starts.
 */
#ifndef REGIT_LOG_H
#define REGIT_LOG_H

typedef enum {
	REGIT_LOG_ERROR = 0,
	REGIT_LOG_WARN = 1,
	REGIT_LOG_INFO = 2
} regit_log_level;

/** Set the most verbose level written (default REGIT_LOG_INFO). */
void regit_log_set_level(regit_log_level level);

/**
 * Parse "error", "warn" or "info" (any case) into *out.
 * @return 0, or -1 for anything else (*out untouched)
 */
int regit_log_level_parse(const char *s, regit_log_level *out);

/** Write one printf-formatted line to stderr when level is enabled. */
void regit_log(regit_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
