/*
 * json_escape.c - the one JSON string escaper (see json_escape.h).
 */
#include "util/json_escape.h"

int regit_json_escape(const char *s, size_t len, regit_json_emit_fn emit, void *payload)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;
	int error = emit("\"", 1, payload);

	for (i = 0; error == 0 && i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 0, 0, 0, 0, 0 };
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		if (run)
			error = emit(s + i - run, run, payload);
		run = 0;
		if (error < 0)
			break;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\t': esc[1] = 't'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
			elen = 6;
		}
		error = emit(esc, elen, payload);
	}
	if (error == 0 && run)
		error = emit(s + len - run, run, payload);
	if (error == 0)
		error = emit("\"", 1, payload);
	return error;
}
