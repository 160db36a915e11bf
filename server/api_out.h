/*
 * api_out.h - what the handler files (api_ctx.c, api_ui.c) both need to write
 * a response: appends to the body that record a failure in a flag instead
 * of returning it (the handler answers 500 once, at the end), the bump
 * allocation of decoded strings from a request's arena, and an empty
 * registry error. Apart from the API so that api_ui.c need not depend on it.
 */
#ifndef REGIT_SERVER_API_OUT_H
#define REGIT_SERVER_API_OUT_H

#include <stdarg.h>
#include <stddef.h>

#include "registry/registry.h"
#include "util/buf.h"

/** Append `s` to b; set *fail on failure. */
void regit_api_out_puts(regit_buf *b, int *fail, const char *s);

/** Append the formatted text to b; set *fail on failure. */
void regit_api_out_vprintf(regit_buf *b, int *fail, const char *fmt, va_list ap);

/** Append s (len bytes) as a JSON string to b; set *fail on failure. */
void regit_api_out_str(regit_buf *b, int *fail, const char *s, size_t len);

/**
 * Take n bytes from an arena of `size` bytes of which *used are taken.
 * @return the bytes, or NULL when fewer than n are left
 */
char *regit_api_arena_take(char *arena, size_t size, size_t *used, size_t n);

/** No API error code yet (util/error: the message is kept). */
void regit_api_err_init(void);

#endif
