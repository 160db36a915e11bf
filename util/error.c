/*
 * error.c - thread-local last-error state.
 *
 * Each thread has two fixed buffers, so recording an error never allocates
 * and an out-of-memory report cannot itself fail. A new message is written
 * into the buffer not in use, so its arguments may include the current
 * message ("...: %s", regit_error_message()).
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#define ERROR_MAX REGIT_ERROR_MAX

static _Thread_local char error_bufs[2][ERROR_MAX];
static _Thread_local int error_cur;
static _Thread_local regit_error error_last = { REGIT_ERROR_NONE, NULL };
static _Thread_local int error_api_code;

/* The one writer of a message: into the buffer not in use (see above). */
static void error_vset(regit_error_class klass, int api_code, const char *fmt, va_list ap)
{
	error_cur = !error_cur;
	vsnprintf(error_bufs[error_cur], ERROR_MAX, fmt, ap);
	error_last.klass = klass;
	error_last.message = error_bufs[error_cur];
	error_api_code = api_code;
}

void regit_error_set(regit_error_class klass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(klass, 0, fmt, ap);
	va_end(ap);
}

void regit_error_set_code(int api_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(REGIT_ERROR_STORE, api_code, fmt, ap);
	va_end(ap);
}

void regit_error_set_api_code(int api_code)
{
	error_api_code = api_code;
}

int regit_error_api_code(void)
{
	return error_api_code;
}

void regit_error_save(regit_error_saved *out)
{
	out->klass = error_last.klass;
	out->api_code = error_api_code;
	out->set = error_last.message != NULL;
	snprintf(out->message, sizeof(out->message), "%s",
		error_last.message ? error_last.message : "");
}

void regit_error_restore(const regit_error_saved *e)
{
	if (!e->set) {
		regit_error_clear();
	} else {
		error_cur = !error_cur;
		snprintf(error_bufs[error_cur], ERROR_MAX, "%s", e->message);
		error_last.klass = e->klass;
		error_last.message = error_bufs[error_cur];
	}
	error_api_code = e->api_code;
}

void regit_error_set_oom(void)
{
	error_last.klass = REGIT_ERROR_NOMEMORY;
	error_last.message = "out of memory";
	error_api_code = 0;
}

void regit_error_clear(void)
{
	error_last.klass = REGIT_ERROR_NONE;
	error_last.message = NULL;
	error_api_code = 0;
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
