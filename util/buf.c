/*
 * buf.c - bounded growable buffer.
 */
#include "buf.h"
#include "alloc.h"
#include "error.h"
#include "json_escape.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t buf_max(const regit_buf *buf)
{
	return buf->max ? buf->max : REGIT_BUF_DEFAULT_MAX;
}

void regit_buf_init(regit_buf *buf, size_t max)
{
	buf->ptr = NULL;
	buf->size = 0;
	buf->asize = 0;
	buf->max = max;
}

void regit_buf_dispose(regit_buf *buf)
{
	size_t max = buf->max;

	regit_free(buf->ptr);
	regit_buf_init(buf, max);
}

void regit_buf_clear(regit_buf *buf)
{
	buf->size = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

/* Grow by half again so repeated appends stay amortised O(1). */
static size_t buf_next_size(const regit_buf *buf, size_t need)
{
	size_t nsize = buf->asize < 64 ? 64 : buf->asize + buf->asize / 2;

	if (nsize < need)
		nsize = need;
	if (nsize > buf_max(buf) + 1)
		nsize = buf_max(buf) + 1;
	return nsize;
}

int regit_buf_grow(regit_buf *buf, size_t extra)
{
	size_t need, nsize;
	char *p;

	if (extra > buf_max(buf) - buf->size) {
		regit_error_set(REGIT_ERROR_INTERNAL,
			"content exceeds the limit of %zu bytes", buf_max(buf));
		return REGIT_ELIMIT;
	}
	need = buf->size + extra + 1;
	if (need <= buf->asize)
		return 0;
	nsize = buf_next_size(buf, need);

	p = regit_realloc(buf->ptr, nsize);
	if (!p)
		return REGIT_ENOMEM;
	if (!buf->ptr)
		p[0] = '\0';
	buf->ptr = p;
	buf->asize = nsize;
	return 0;
}

int regit_buf_put(regit_buf *buf, const void *data, size_t len)
{
	int error = regit_buf_grow(buf, len);

	if (error < 0)
		return error;
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int regit_buf_puts(regit_buf *buf, const char *str)
{
	return regit_buf_put(buf, str, strlen(str));
}

int regit_buf_putc(regit_buf *buf, char c)
{
	return regit_buf_put(buf, &c, 1);
}

int regit_buf_vprintf(regit_buf *buf, const char *fmt, va_list ap)
{
	va_list cp;
	int n, error;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		regit_error_set(REGIT_ERROR_INTERNAL, "invalid format string");
		return REGIT_ERROR;
	}
	error = regit_buf_grow(buf, (size_t)n);
	if (error < 0)
		return error;
	vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
	buf->size += (size_t)n;
	return 0;
}

int regit_buf_printf(regit_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = regit_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return error;
}

static int buf_emit(const char *data, size_t len, void *payload)
{
	return regit_buf_put(payload, data, len);
}

int regit_buf_put_json_string(regit_buf *buf, const char *str, size_t len)
{
	size_t start = buf->size;
	int error = regit_json_escape(str, len, buf_emit, buf);

	if (error < 0) {
		buf->size = start;
		if (buf->ptr)
			buf->ptr[start] = '\0';
	}
	return error;
}

const char *regit_buf_cstr(const regit_buf *buf)
{
	return buf->ptr ? buf->ptr : "";
}

char *regit_buf_detach(regit_buf *buf)
{
	char *p = buf->ptr;

	if (!p)
		p = regit_strdup("");
	regit_buf_init(buf, buf->max);
	return p;
}

/*
 * regit_buf_grow for content that may be secret: a new block, and the old
 * one wiped before it is freed, where realloc would leave a copy in freed
 * memory. The caller checked extra against the limit.
 */
static int buf_grow_wiping(regit_buf *buf, size_t extra)
{
	size_t need = buf->size + extra + 1, nsize;
	char *p;

	if (need <= buf->asize)
		return 0;
	nsize = buf_next_size(buf, need);
	p = regit_malloc(nsize);
	if (!p)
		return REGIT_ENOMEM;
	if (buf->ptr) {
		memcpy(p, buf->ptr, buf->size + 1);
		explicit_bzero(buf->ptr, buf->asize);
		regit_free(buf->ptr);
	} else {
		p[0] = '\0';
	}
	buf->ptr = p;
	buf->asize = nsize;
	return 0;
}

#define BUF_READ_STEP 16384

/*
 * Files read here include secrets (the TLS key, the --auth file), so the
 * content goes from read(2) straight into buf: no stdio buffer and no stack
 * chunk keep a copy after the call, growth wipes what it leaves behind, and
 * a regular file is sized up front (one allocation). What stays is buf
 * itself, which the caller wipes when it holds a secret.
 */
int regit_buf_read_file(regit_buf *buf, const char *path)
{
	struct stat st;
	size_t start = buf->size;
	ssize_t n;
	int fd, error = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		regit_error_set(REGIT_ERROR_OS, "cannot open %s: %s", path, strerror(errno));
		return REGIT_EIO;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		size_t left = buf_max(buf) - buf->size;

		if ((uint64_t)st.st_size > left)
			goto too_large;
		/* one byte more: the read that finds the end needs room */
		error = buf_grow_wiping(buf, (uint64_t)st.st_size < left ? (size_t)st.st_size + 1 :
			left);
	}
	while (error == 0) {
		size_t room = buf->asize ? buf->asize - 1 - buf->size : 0;

		if (room == 0) {
			size_t left = buf_max(buf) - buf->size;
			char probe;

			if (left > 0) {
				error = buf_grow_wiping(buf, left < BUF_READ_STEP ? left : BUF_READ_STEP);
				continue;
			}
			/* Full: one more byte means the file is too large. */
			n = read(fd, &probe, 1);
			explicit_bzero(&probe, 1);
			if (n > 0)
				goto too_large;
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				goto read_failed;
			break;
		}
		n = read(fd, buf->ptr + buf->size, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto read_failed;
		if (n == 0)
			break;
		buf->size += (size_t)n;
		buf->ptr[buf->size] = '\0';
	}
	goto done;
too_large:
	regit_error_set(REGIT_ERROR_OS, "%s is larger than %zu bytes", path, buf_max(buf));
	error = REGIT_ELIMIT;
	goto done;
read_failed:
	regit_error_set(REGIT_ERROR_OS, "cannot read %s: %s", path, strerror(errno));
	error = REGIT_EIO;
done:
	close(fd);
	/* A failed read appends nothing, and leaves no part of it in memory. */
	if (error < 0 && buf->ptr) {
		explicit_bzero(buf->ptr + start, buf->asize - start);
		buf->size = start;
	}
	return error;
}
