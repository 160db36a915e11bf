/*
 * json_escape.h - the one JSON string escaper.
 *
 * Every JSON writer in regit (the buffer helper used by the HTTP API and
 * the CLI, the schema printer, the Parsing Canonical Form) writes strings
 * through this function, so they share one rule: the short escapes where
 * JSON has them, \u00XX with upper-case hex for other control bytes (as
 * Jackson writes them, so the schema text regit stores is the text Avro
 * Java and Confluent produce), everything else as is.
 */
#ifndef REGIT_JSON_ESCAPE_H
#define REGIT_JSON_ESCAPE_H

#include <stddef.h>

/* Append len bytes to the caller's output. @return 0, or < 0 to stop */
typedef int (*regit_json_emit_fn)(const char *data, size_t len, void *payload);

/**
 * Write s[0..len) as a JSON string literal, quotes included, through emit.
 * '"' and '\\' are escaped, bytes below 0x20 become \b \t \n \f \r or
 * \u00XX (upper-case hex); other bytes, UTF-8 included, pass unchanged
 * (NUL bytes inside len too, as \u0000). Runs of plain bytes are emitted
 * in one call.
 * @return 0, or the first negative value emit returned (nothing more is
 *         emitted after it)
 */
int regit_json_escape(const char *s, size_t len, regit_json_emit_fn emit, void *payload);

#endif
