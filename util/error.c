/*
 * error.c - thread-local last-error state.
 *
 * Each thread has one fixed buffer, so recording an error never allocates
 * and an out-of-memory report cannot itself fail.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#define ERROR_MAX 1024

static _Thread_local char error_buf[ERROR_MAX];
static _Thread_local regit_error error_last = { REGIT_ERROR_NONE, NULL };

void regit_error_set(regit_error_class klass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_buf, sizeof(error_buf), fmt, ap);
	va_end(ap);

	error_last.klass = klass;
	error_last.message = error_buf;
}

void regit_error_set_oom(void)
{
	error_last.klass = REGIT_ERROR_NOMEMORY;
	error_last.message = "out of memory";
}

void regit_error_clear(void)
{
	error_last.klass = REGIT_ERROR_NONE;
	error_last.message = NULL;
}

const regit_error *regit_error_last(void)
{
	if (!error_last.message) {
		error_last.klass = REGIT_ERROR_NONE;
		error_last.message = "no error";
	}
	return &error_last;
}

const char *regit_error_message(void)
{
	return regit_error_last()->message;
}

const char *regit_error_code_name(int code)
{
	switch (code) {
	case REGIT_OK: return "REGIT_OK";
	case REGIT_ERROR: return "REGIT_ERROR";
	case REGIT_ENOMEM: return "REGIT_ENOMEM";
	case REGIT_ENOTFOUND: return "REGIT_ENOTFOUND";
	case REGIT_EEXISTS: return "REGIT_EEXISTS";
	case REGIT_EINVALID: return "REGIT_EINVALID";
	case REGIT_EINCOMPATIBLE: return "REGIT_EINCOMPATIBLE";
	case REGIT_ELIMIT: return "REGIT_ELIMIT";
	case REGIT_EIO: return "REGIT_EIO";
	case REGIT_ECONFLICT: return "REGIT_ECONFLICT";
	case REGIT_EPERM: return "REGIT_EPERM";
	case REGIT_EBUSY: return "REGIT_EBUSY";
	case REGIT_ENOSPC: return "REGIT_ENOSPC";
	default: return "REGIT_E?";
	}
}
