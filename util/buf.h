/*
 * buf.h - a bounded, growable, always NUL-terminated byte buffer.
 *
 * Every buffer has a hard maximum size chosen by its owner (a request body,
 * a schema, generated code): appends past it fail with REGIT_ELIMIT instead
 * of growing without bound. A failed append leaves the content as it was.
 */
#ifndef REGIT_BUF_H
#define REGIT_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct regit_buf {
	char *ptr;       /* owned; NUL-terminated; NULL until first append */
	size_t size;     /* bytes used, excluding the terminating NUL */
	size_t asize;    /* bytes allocated */
	size_t max;      /* hard cap on size; 0 means REGIT_BUF_DEFAULT_MAX */
} regit_buf;

/* 64 MiB: larger than any schema or response we are willing to build. */
#define REGIT_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

#define REGIT_BUF_INIT { NULL, 0, 0, 0 }

/** Initialise an empty buffer whose content may not exceed max bytes. */
void regit_buf_init(regit_buf *buf, size_t max);
/** Free the content; the buffer is empty and reusable afterwards. */
void regit_buf_dispose(regit_buf *buf);
/** Empty the buffer, keeping its allocation. */
void regit_buf_clear(regit_buf *buf);

/** Make room for at least `extra` more bytes. @return 0, REGIT_ENOMEM, REGIT_ELIMIT */
int regit_buf_grow(regit_buf *buf, size_t extra);
int regit_buf_put(regit_buf *buf, const void *data, size_t len);
int regit_buf_puts(regit_buf *buf, const char *str);
int regit_buf_putc(regit_buf *buf, char c);
int regit_buf_printf(regit_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int regit_buf_vprintf(regit_buf *buf, const char *fmt, va_list ap);

/**
 * Append `str` as a JSON string literal (quotes included), escaping
 * control characters, quotes and backslashes; other bytes pass through
 * (util/json_escape.h). On failure the buffer is as it was.
 */
int regit_buf_put_json_string(regit_buf *buf, const char *str, size_t len);

/** The content, "" for an empty buffer. @return borrowed */
const char *regit_buf_cstr(const regit_buf *buf);

/**
 * Hand the content over to the caller and reset the buffer.
 * @return owned (free with regit_free); "" allocated when empty; NULL on OOM
 */
char *regit_buf_detach(regit_buf *buf);

/**
 * Append a whole file to buf (bounded by buf->max). Safe for secrets: no
 * copy of the content is left anywhere but in buf (no stdio or stack
 * buffer, growth wipes the old block); the caller wipes buf when done. On
 * failure nothing is appended.
 * @return 0, REGIT_EIO, REGIT_ELIMIT, REGIT_ENOMEM
 */
int regit_buf_read_file(regit_buf *buf, const char *path);

#endif
