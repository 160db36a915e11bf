/*
 * layout.c - subject name <-> directory name encoding and subject checks.
 *
 * Percent-encoding keeps ordinary names ("user-events-value") readable in a
 * clone of the store while making every hostile name ("../x", "a/b", ".git",
 * NUL, newlines) a single harmless path component. Accepting only the
 * canonical encoding on the way back makes the map one-to-one, so a pushed
 * tree cannot smuggle in a second directory for an existing subject.
 */
#include "registry/layout.h"

#include <string.h>

#include "util/error.h"

static int layout_plain(unsigned char c, size_t pos)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	if (c == '_' || c == '-')
		return 1;
	return c == '.' && pos > 0;
}

static size_t layout_encoded_len(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += layout_plain((unsigned char)s[i], i) ? 1 : 3;
	return n;
}

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF);
 * *control is set when an ISO control character is seen. */
static int layout_utf8_ok(const unsigned char *s, size_t len, int *control)
{
	size_t i = 0;

	*control = 0;
	while (i < len) {
		unsigned char c = s[i];
		unsigned cp;
		size_t n, k;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				*control = 1;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff)
			return 0;
		if (cp >= 0xd800 && cp <= 0xdfff)
			return 0;
		if (cp >= 0x80 && cp <= 0x9f)
			*control = 1;
		i += n + 1;
	}
	return 1;
}

int regit_layout_subject_valid(const char *subject, size_t len, const char **why)
{
	const char *reason = NULL;
	int control = 0;

	if (!subject || len == 0)
		reason = "subject is empty";
	else if (memchr(subject, '\0', len))
		reason = "subject contains a control character";
	else if (!layout_utf8_ok((const unsigned char *)subject, len, &control))
		reason = "subject is not valid UTF-8";
	else if (control)
		reason = "subject contains a control character";
	else if ((len == 8 && memcmp(subject, "__GLOBAL", 8) == 0) ||
			(len == 7 && memcmp(subject, "__EMPTY", 7) == 0))
		reason = "subject name is reserved";
	else if (layout_encoded_len(subject, len) > REGIT_LAYOUT_MAX_COMPONENT)
		reason = "subject is too long";
	if (why)
		*why = reason;
	return reason == NULL;
}

int regit_layout_subject_encode(regit_buf *out, const char *subject, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, start = out->size;
	int error = 0;

	if (len == 0 || layout_encoded_len(subject, len) > REGIT_LAYOUT_MAX_COMPONENT) {
		regit_error_set(REGIT_ERROR_STORE, "subject cannot be encoded as a path component");
		return REGIT_EINVALID;
	}
	for (i = 0; i < len && error == 0; i++) {
		unsigned char c = (unsigned char)subject[i];

		if (layout_plain(c, i)) {
			error = regit_buf_putc(out, (char)c);
		} else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

			error = regit_buf_put(out, esc, 3);
		}
	}
	if (error < 0) {
		out->size = start;
		if (out->ptr)
			out->ptr[start] = '\0';
	}
	return error;
}

static int layout_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;    /* lower-case hex is not canonical */
}

int regit_layout_subject_decode(regit_buf *out, const char *enc, size_t len)
{
	size_t i, pos = 0, start = out->size;
	int error = 0;

	if (len == 0 || len > REGIT_LAYOUT_MAX_COMPONENT)
		goto invalid;
	for (i = 0; i < len && error == 0; pos++) {
		unsigned char c = (unsigned char)enc[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				goto invalid;
			hi = layout_hexval(enc[i + 1]);
			lo = layout_hexval(enc[i + 2]);
			if (hi < 0 || lo < 0)
				goto invalid;
			c = (unsigned char)(hi << 4 | lo);
			/* An escape of a byte that is kept plain is not canonical. */
			if (layout_plain(c, pos))
				goto invalid;
			error = regit_buf_putc(out, (char)c);
			i += 3;
		} else {
			if (!layout_plain(c, pos))
				goto invalid;
			error = regit_buf_putc(out, (char)c);
			i++;
		}
	}
	if (error < 0)
		goto rollback;
	return 0;
invalid:
	regit_error_set(REGIT_ERROR_STORE, "'%.*s' is not an encoded subject name",
		(int)(len > 300 ? 300 : len), enc);
	error = REGIT_EINVALID;
rollback:
	out->size = start;
	if (out->ptr)
		out->ptr[start] = '\0';
	return error;
}
