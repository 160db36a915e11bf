/*
 * jsonpos.c - follow a JSON pointer through JSON text to a line and column.
 *
 * A small hand-written scanner, independent of jansson, because jansson
 * throws positions away once a value is decoded. It walks the text once,
 * front to back: at each pointer step it scans the members (or elements) of
 * the current container, skipping the ones that do not match, and descends
 * into the one that does. It never goes back up, so following the pointer
 * needs no stack; skipping a sibling value uses an explicit, bounded bit
 * stack (one bit per open container) instead of recursion, so hostile text
 * cannot exhaust the C stack. Everything it scans is checked against the
 * JSON grammar (RFC 8259); the value at the end of the pointer is only
 * located, not validated. Every read is checked against `len`: the text need
 * not be NUL-terminated.
 */
#include "jsonpos.h"

#include <stdint.h>
#include <string.h>

#include "error.h"

/*
 * Nesting bound for skipped values. The schema parser rejects anything
 * deeper than 64 anyway; this only keeps the bit stack a fixed size.
 */
#define JSONPOS_MAX_DEPTH 4096

/* Array indexes beyond this cannot name anything in a schema-sized text. */
#define JSONPOS_MAX_INDEX 0x7fffffffL

typedef struct jsonpos_scanner {
	const unsigned char *text;
	size_t len;
	size_t pos;
} jsonpos_scanner;

/* Unescaped bytes of one pointer reference token ("~0" = '~', "~1" = '/'). */
typedef struct jsonpos_token {
	const char *p;      /* next unread character of the token */
	const char *end;    /* end of the token (a '/' or the NUL) */
} jsonpos_token;

/* 1-based line and byte column of offset `off`. */
static void jsonpos_linecol(const jsonpos_scanner *s, size_t off, int *line, int *column)
{
	size_t i, bol = 0;
	long l = 1;

	for (i = 0; i < off && i < s->len; i++) {
		if (s->text[i] == '\n') {
			l++;
			bol = i + 1;
		}
	}
	/* Positions past INT_MAX lines/columns cannot be reported; clamp. */
	*line = l > INT32_MAX ? INT32_MAX : (int)l;
	*column = (off - bol + 1) > INT32_MAX ? INT32_MAX : (int)(off - bol + 1);
}

static int jsonpos_syntax(const jsonpos_scanner *s, const char *what)
{
	int line, column;

	jsonpos_linecol(s, s->pos, &line, &column);
	regit_error_set(REGIT_ERROR_SCHEMA, "JSON syntax error at %d:%d: %s",
		line, column, what);
	return REGIT_EINVALID;
}

static int jsonpos_peek(const jsonpos_scanner *s)
{
	return s->pos < s->len ? s->text[s->pos] : -1;
}

static void jsonpos_skip_ws(jsonpos_scanner *s)
{
	while (s->pos < s->len) {
		unsigned char c = s->text[s->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		s->pos++;
	}
}

static int jsonpos_token_next(jsonpos_token *t)
{
	int c;

	if (t->p >= t->end)
		return -1;
	c = (unsigned char)*t->p++;
	if (c == '~') {
		/* Validated by jsonpos_token_check: always followed by 0 or 1. */
		c = *t->p++ == '0' ? '~' : '/';
	}
	return c;
}

static int jsonpos_token_check(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '~' && (p + 1 >= end || (p[1] != '0' && p[1] != '1'))) {
			regit_error_set(REGIT_ERROR_SCHEMA,
				"invalid JSON pointer: '~' must be followed by 0 or 1");
			return REGIT_EINVALID;
		}
	}
	return 0;
}

static int jsonpos_hex4(jsonpos_scanner *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (s->len - s->pos < 4)
		return jsonpos_syntax(s, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		unsigned char c = s->text[s->pos + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return jsonpos_syntax(s, "invalid \\u escape");
	}
	s->pos += 4;
	*out = v;
	return 0;
}

/*
 * Scan a string starting at the opening quote. When `tok` is given, compare
 * the decoded string with it and set *match; the whole string is scanned
 * (and checked) either way.
 */
static int jsonpos_scan_string(jsonpos_scanner *s, jsonpos_token *tok, int *match)
{
	unsigned char utf8[4];
	size_t n, i;
	int same = 1;

	if (jsonpos_peek(s) != '"')
		return jsonpos_syntax(s, "expected a string");
	s->pos++;
	for (;;) {
		unsigned char c;

		if (s->pos >= s->len)
			return jsonpos_syntax(s, "unterminated string");
		c = s->text[s->pos];
		if (c == '"') {
			s->pos++;
			break;
		}
		if (c < 0x20)
			return jsonpos_syntax(s, "control character in string");
		s->pos++;
		if (c != '\\') {
			utf8[0] = c;
			n = 1;
		} else {
			if (s->pos >= s->len)
				return jsonpos_syntax(s, "unterminated string");
			c = s->text[s->pos++];
			n = 1;
			switch (c) {
			case '"': case '\\': case '/':
				utf8[0] = c;
				break;
			case 'b': utf8[0] = '\b'; break;
			case 'f': utf8[0] = '\f'; break;
			case 'n': utf8[0] = '\n'; break;
			case 'r': utf8[0] = '\r'; break;
			case 't': utf8[0] = '\t'; break;
			case 'u': {
				unsigned cp, lo;
				int error = jsonpos_hex4(s, &cp);

				if (error < 0)
					return error;
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return jsonpos_syntax(s, "lone low surrogate in \\u escape");
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (s->len - s->pos < 2 || s->text[s->pos] != '\\' ||
					    s->text[s->pos + 1] != 'u')
						return jsonpos_syntax(s, "lone high surrogate in \\u escape");
					s->pos += 2;
					error = jsonpos_hex4(s, &lo);
					if (error < 0)
						return error;
					if (lo < 0xDC00 || lo > 0xDFFF)
						return jsonpos_syntax(s, "invalid surrogate pair in \\u escape");
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				}
				if (cp < 0x80) {
					utf8[0] = (unsigned char)cp;
				} else if (cp < 0x800) {
					utf8[0] = (unsigned char)(0xC0 | (cp >> 6));
					utf8[1] = (unsigned char)(0x80 | (cp & 0x3F));
					n = 2;
				} else if (cp < 0x10000) {
					utf8[0] = (unsigned char)(0xE0 | (cp >> 12));
					utf8[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
					utf8[2] = (unsigned char)(0x80 | (cp & 0x3F));
					n = 3;
				} else {
					utf8[0] = (unsigned char)(0xF0 | (cp >> 18));
					utf8[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
					utf8[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
					utf8[3] = (unsigned char)(0x80 | (cp & 0x3F));
					n = 4;
				}
				break;
			}
			default:
				s->pos--;
				return jsonpos_syntax(s, "invalid escape in string");
			}
		}
		if (tok && same) {
			for (i = 0; i < n; i++) {
				if (jsonpos_token_next(tok) != utf8[i]) {
					same = 0;
					break;
				}
			}
		}
	}
	if (match)
		*match = same && tok && tok->p >= tok->end;
	return 0;
}

static int jsonpos_scan_number(jsonpos_scanner *s)
{
	size_t digits;

	if (jsonpos_peek(s) == '-')
		s->pos++;
	if (jsonpos_peek(s) == '0') {
		s->pos++;
	} else {
		for (digits = 0; s->pos < s->len && s->text[s->pos] >= '0' &&
		     s->text[s->pos] <= '9'; digits++)
			s->pos++;
		if (!digits)
			return jsonpos_syntax(s, "invalid number");
	}
	if (jsonpos_peek(s) == '.') {
		s->pos++;
		for (digits = 0; s->pos < s->len && s->text[s->pos] >= '0' &&
		     s->text[s->pos] <= '9'; digits++)
			s->pos++;
		if (!digits)
			return jsonpos_syntax(s, "invalid number");
	}
	if (jsonpos_peek(s) == 'e' || jsonpos_peek(s) == 'E') {
		s->pos++;
		if (jsonpos_peek(s) == '+' || jsonpos_peek(s) == '-')
			s->pos++;
		for (digits = 0; s->pos < s->len && s->text[s->pos] >= '0' &&
		     s->text[s->pos] <= '9'; digits++)
			s->pos++;
		if (!digits)
			return jsonpos_syntax(s, "invalid number");
	}
	return 0;
}

static int jsonpos_scan_literal(jsonpos_scanner *s, const char *word)
{
	size_t n = strlen(word);

	if (s->len - s->pos < n || memcmp(s->text + s->pos, word, n) != 0)
		return jsonpos_syntax(s, "invalid literal");
	s->pos += n;
	return 0;
}

/* Scan a scalar (string, number, literal) at the current position. */
static int jsonpos_scan_scalar(jsonpos_scanner *s)
{
	switch (jsonpos_peek(s)) {
	case '"':
		return jsonpos_scan_string(s, NULL, NULL);
	case 't':
		return jsonpos_scan_literal(s, "true");
	case 'f':
		return jsonpos_scan_literal(s, "false");
	case 'n':
		return jsonpos_scan_literal(s, "null");
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return jsonpos_scan_number(s);
	case -1:
		return jsonpos_syntax(s, "unexpected end of text");
	default:
		return jsonpos_syntax(s, "expected a value");
	}
}

/* After '{' or ',' inside an object: `"key" :` and whitespace up to the value. */
static int jsonpos_scan_key(jsonpos_scanner *s, jsonpos_token *tok, int *match)
{
	int error;

	jsonpos_skip_ws(s);
	error = jsonpos_scan_string(s, tok, match);
	if (error < 0)
		return error;
	jsonpos_skip_ws(s);
	if (jsonpos_peek(s) != ':')
		return jsonpos_syntax(s, "expected ':'");
	s->pos++;
	jsonpos_skip_ws(s);
	return 0;
}

/*
 * Skip one complete value at the current position (after whitespace).
 * Iterative: `objs` has one bit per open container, set for objects, so the
 * closing bracket can be checked without recursion.
 */
static int jsonpos_skip_value(jsonpos_scanner *s)
{
	/* Zeroed: setting one bit reads the whole word (cppcheck legacyUninitvar). */
	uint64_t objs[JSONPOS_MAX_DEPTH / 64] = { 0 };
	size_t depth = 0;
	int error = 0;
	int c;

	for (;;) {
		/* At the start of a value. */
		jsonpos_skip_ws(s);
		c = jsonpos_peek(s);
		if (c == '{' || c == '[') {
			if (depth >= JSONPOS_MAX_DEPTH)
				return jsonpos_syntax(s, "nesting too deep");
			if (c == '{')
				objs[depth / 64] |= (uint64_t)1 << (depth % 64);
			else
				objs[depth / 64] &= ~((uint64_t)1 << (depth % 64));
			depth++;
			s->pos++;
			jsonpos_skip_ws(s);
			if (jsonpos_peek(s) != (c == '{' ? '}' : ']')) {
				if (c == '{') {
					error = jsonpos_scan_key(s, NULL, NULL);
					if (error < 0)
						return error;
				}
				continue;       /* first member or element */
			}
			s->pos++;
			depth--;
		} else {
			error = jsonpos_scan_scalar(s);
			if (error < 0)
				return error;
		}

		/* After a complete value: close containers or move to the next item. */
		for (;;) {
			int in_obj;

			if (depth == 0)
				return 0;
			in_obj = (objs[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;
			jsonpos_skip_ws(s);
			c = jsonpos_peek(s);
			if (c == ',') {
				s->pos++;
				if (in_obj) {
					error = jsonpos_scan_key(s, NULL, NULL);
					if (error < 0)
						return error;
				}
				break;
			}
			if (c != (in_obj ? '}' : ']'))
				return jsonpos_syntax(s, in_obj ? "expected ',' or '}'" :
					"expected ',' or ']'");
			s->pos++;
			depth--;
		}
	}
}

/* Array index token: "0" or digits without a leading zero; -1 if not one. */
static long jsonpos_token_index(const char *p, const char *end)
{
	long v = 0;

	if (p == end || (*p == '0' && end - p > 1))
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (JSONPOS_MAX_INDEX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

/*
 * Follow `pointer`. *found is the offset of the target value; *nearest is
 * always the offset of the deepest value reached so far (valid when the
 * return is 0 or REGIT_ENOTFOUND).
 */
static int jsonpos_locate(const char *text, size_t len, const char *pointer,
	size_t *found, size_t *nearest)
{
	jsonpos_scanner s = { (const unsigned char *)text, len, 0 };
	const char *ptr = pointer;
	int error = 0;

	if (!text || !pointer) {
		regit_error_set(REGIT_ERROR_INTERNAL, "jsonpos: NULL argument");
		return REGIT_EINVALID;
	}
	if (*ptr && *ptr != '/') {
		regit_error_set(REGIT_ERROR_SCHEMA,
			"invalid JSON pointer: must be empty or start with '/'");
		return REGIT_EINVALID;
	}
	jsonpos_skip_ws(&s);
	if (s.pos >= s.len || !s.text[s.pos] ||
	    !strchr("{[\"-0123456789tfn", s.text[s.pos]))
		return jsonpos_syntax(&s, "expected a JSON value");
	*nearest = s.pos;

	while (*ptr) {
		const char *tstart = ptr + 1;
		const char *tend = tstart + strcspn(tstart, "/");
		int c = jsonpos_peek(&s);

		ptr = tend;
		error = jsonpos_token_check(tstart, tend);
		if (error < 0)
			return error;

		if (c == '{') {
			int match = 0;

			s.pos++;
			jsonpos_skip_ws(&s);
			if (jsonpos_peek(&s) == '}')
				goto not_found;
			for (;;) {
				jsonpos_token tok = { tstart, tend };

				error = jsonpos_scan_key(&s, &tok, &match);
				if (error < 0)
					return error;
				if (match)
					break;
				error = jsonpos_skip_value(&s);
				if (error < 0)
					return error;
				jsonpos_skip_ws(&s);
				c = jsonpos_peek(&s);
				if (c == '}')
					goto not_found;
				if (c != ',')
					return jsonpos_syntax(&s, "expected ',' or '}'");
				s.pos++;
			}
		} else if (c == '[') {
			long want = jsonpos_token_index(tstart, tend);
			long i;

			if (want < 0)
				goto not_found;
			s.pos++;
			jsonpos_skip_ws(&s);
			if (jsonpos_peek(&s) == ']')
				goto not_found;
			for (i = 0; i < want; i++) {
				error = jsonpos_skip_value(&s);
				if (error < 0)
					return error;
				jsonpos_skip_ws(&s);
				c = jsonpos_peek(&s);
				if (c == ']')
					goto not_found;
				if (c != ',')
					return jsonpos_syntax(&s, "expected ',' or ']'");
				s.pos++;
			}
			jsonpos_skip_ws(&s);
		} else {
			/* A scalar has no children; check it is at least a value. */
			error = jsonpos_scan_scalar(&s);
			if (error < 0)
				return error;
			goto not_found;
		}

		/* The target of this step must start a value. */
		c = jsonpos_peek(&s);
		if (c <= 0 || !strchr("{[\"-0123456789tfn", c))
			return jsonpos_syntax(&s, "expected a value");
		*nearest = s.pos;
	}
	*found = s.pos;
	return 0;

not_found:
	regit_error_set(REGIT_ERROR_SCHEMA, "JSON pointer '%s' not found", pointer);
	return REGIT_ENOTFOUND;
}

int regit_jsonpos_find(const char *text, size_t len, const char *pointer,
	int *line, int *column)
{
	jsonpos_scanner s = { (const unsigned char *)text, len, 0 };
	size_t found = 0, nearest = 0;
	int error;

	error = jsonpos_locate(text, len, pointer, &found, &nearest);
	if (error < 0)
		return error;
	jsonpos_linecol(&s, found, line, column);
	return 0;
}

int regit_jsonpos_find_nearest(const char *text, size_t len, const char *pointer,
	int *line, int *column)
{
	jsonpos_scanner s = { (const unsigned char *)text, len, 0 };
	size_t found = 0, nearest = 0;
	int error;

	error = jsonpos_locate(text, len, pointer, &found, &nearest);
	if (error == REGIT_ENOTFOUND)
		found = nearest;
	else if (error < 0)
		return error;
	jsonpos_linecol(&s, found, line, column);
	return 0;
}
