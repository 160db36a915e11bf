/*
 * jsonpos_fuzzer.c - fuzz util/jsonpos against jansson.
 *
 * Input: a JSON pointer, a newline, then JSON text (the corpus files under
 * fuzz/corpora/jsonpos/ look like that). Besides surviving any bytes within
 * bounds (ASan checks reads past the text), the scanner must agree with
 * jansson, used as an oracle: when jansson accepts the whole text (with
 * duplicate keys rejected, so "first key wins" cannot differ) and the
 * pointer resolves in the decoded value, regit_jsonpos_find must succeed,
 * and the JSON value starting at the reported line:column must equal the
 * one jansson resolved. find_nearest must agree with find whenever find
 * succeeds.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/jsonpos.h"

/* Resolve an RFC 6901 pointer in a decoded value; NULL when it does not. */
static json_t *fuzz_resolve(json_t *v, const char *ptr)
{
	char tok[4096];

	while (v && *ptr) {
		const char *p;
		size_t n = 0;

		if (*ptr != '/')
			return NULL;
		for (p = ptr + 1; *p && *p != '/'; p++) {
			char c = *p;

			if (c == '~') {
				if (p[1] == '0')
					c = '~';
				else if (p[1] == '1')
					c = '/';
				else
					return NULL;
				p++;
			}
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = c;
		}
		tok[n] = '\0';
		ptr = p;
		if (json_is_object(v)) {
			v = json_object_getn(v, tok, n);
		} else if (json_is_array(v)) {
			size_t i, idx = 0;

			if (n == 0 || (tok[0] == '0' && n > 1) || n > 9)
				return NULL;
			for (i = 0; i < n; i++) {
				if (tok[i] < '0' || tok[i] > '9')
					return NULL;
				idx = idx * 10 + (size_t)(tok[i] - '0');
			}
			v = json_array_get(v, idx);
		} else {
			return NULL;
		}
	}
	return v;
}

/* Byte offset of a 1-based line:column. */
static size_t fuzz_offset(const char *text, size_t len, int line, int column)
{
	size_t i = 0;
	int l = 1;

	while (l < line && i < len) {
		if (text[i++] == '\n')
			l++;
	}
	return i + (size_t)column - 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : 0;
	const char *text = nl ? (const char *)nl + 1 : (const char *)data;
	size_t len = nl ? size - plen - 1 : size;
	char *pointer;
	json_t *doc, *want;
	int line = 0, column = 0, nline = 0, ncolumn = 0;
	int rc, nrc;

	pointer = malloc(plen + 1);
	if (!pointer)
		return 0;
	memcpy(pointer, data, plen);
	pointer[plen] = '\0';

	rc = regit_jsonpos_find(text, len, pointer, &line, &column);
	nrc = regit_jsonpos_find_nearest(text, len, pointer, &nline, &ncolumn);
	if (rc != 0 && rc != REGIT_ENOTFOUND && rc != REGIT_EINVALID)
		abort();
	if (rc == 0 && (nrc != 0 || nline != line || ncolumn != column))
		abort();
	if (rc == REGIT_ENOTFOUND && nrc != 0)
		abort();
	if (rc == 0 && (line < 1 || column < 1))
		abort();

	/* jansson 2.14 drops a raw NUL right after a number ("[1\0]" parses);
	 * jsonpos rightly refuses it, so such text is no oracle
	 * (fuzz/corpora/jsonpos/nul-after-number). */
	doc = memchr(text, '\0', len) ? NULL :
		json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	want = doc ? fuzz_resolve(doc, pointer) : NULL;
	if (want) {
		size_t off;
		json_t *got;

		if (rc != 0)
			abort();
		off = fuzz_offset(text, len, line, column);
		if (off >= len)
			abort();
		got = json_loadb(text + off, len - off,
			JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, NULL);
		if (!got || !json_equal(got, want))
			abort();
		json_decref(got);
	}
	json_decref(doc);
	free(pointer);
	return 0;
}
