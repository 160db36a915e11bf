/*
 * jsonpos.h - where is a JSON pointer in a JSON text?
 *
 * jansson reports positions only for syntax errors. Validation errors and
 * compatibility findings are found on the decoded value and named by a JSON
 * pointer (RFC 6901, e.g. "/fields/3/type"); this module scans the original
 * text to turn that pointer into a 1-based line and column, so tools can
 * print "file:line:col" like a compiler.
 */
#ifndef REGIT_JSONPOS_H
#define REGIT_JSONPOS_H

#include <stddef.h>

/**
 * Find the value named by `pointer` ("" = the whole document) in `text`.
 * Object members are matched by (unescaped) key, arrays by index; "~0" and
 * "~1" escapes are honoured. When a key occurs twice the first wins.
 *
 * @param line, column  receive the 1-based position of the value's first
 *                      character (columns count bytes)
 * @return 0, REGIT_ENOTFOUND (pointer does not resolve), REGIT_EINVALID
 *         (text is not well-formed JSON up to that point)
 */
int regit_jsonpos_find(const char *text, size_t len, const char *pointer,
	int *line, int *column);

/**
 * Position of the deepest prefix of `pointer` that resolves: a finding on a
 * field that the other schema lacks still points somewhere useful.
 */
int regit_jsonpos_find_nearest(const char *text, size_t len, const char *pointer,
	int *line, int *column);

#endif
