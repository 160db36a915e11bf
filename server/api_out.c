/*
 * api_out.c - response appends, arena and error helpers shared by the
 * handler files (see api_out.h).
 */
#include "server/api_out.h"

#include "util/error.h"

void regit_api_out_puts(regit_buf *b, int *fail, const char *s)
{
	if (regit_buf_puts(b, s) < 0)
		*fail = 1;
}

void regit_api_out_vprintf(regit_buf *b, int *fail, const char *fmt, va_list ap)
{
	if (regit_buf_vprintf(b, fmt, ap) < 0)
		*fail = 1;
}

void regit_api_out_str(regit_buf *b, int *fail, const char *s, size_t len)
{
	if (regit_buf_put_json_string(b, s, len) < 0)
		*fail = 1;
}

char *regit_api_arena_take(char *arena, size_t size, size_t *used, size_t n)
{
	char *p;

	if (size - *used < n)
		return NULL;
	p = arena + *used;
	*used += n;
	return p;
}

void regit_api_err_init(void)
{
	regit_error_set_api_code(0);
}
