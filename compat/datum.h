/*
 * datum.h - decode Avro binary data with a schema, into Avro's JSON encoding.
 *
 * A generic, schema-driven interpreter over the compat/ schema model (no
 * generated code): the bytes are read with the writer's schema and, when a
 * reader schema is given, resolved to it with the Avro specification's
 * rules as compat/resolve decides them (defaults, promotions, aliases,
 * enum defaults, union branch changes). The result is the value in Avro's
 * JSON encoding (Avro 1.11 "JSON Encoding"): records as objects in the
 * reader's field order, unions as null or {"<branch type name>": value},
 * bytes and fixed as strings whose code points 0..255 are the bytes
 * (ISO-8859-1), enums as their symbol, non-finite float/double values as
 * the strings "NaN", "Infinity" and "-Infinity" (as Avro Java writes them).
 *
 * The input is untrusted: every length, count and nesting level is
 * bounded, and the work and memory of one decode are bounded by the input's
 * length (block counts of zero-byte items, such as arrays of null, cannot
 * make ten bytes produce millions of values).
 */
#ifndef REGIT_COMPAT_DATUM_H
#define REGIT_COMPAT_DATUM_H

#include <jansson.h>
#include <stddef.h>

#include "compat/schema.h"

typedef struct regit_datum_options {
	/* Nesting of records, arrays, maps and unions; default 128. */
	size_t max_depth;
	/*
	 * JSON values one decode may produce (defaults filled in count too);
	 * 0 means 16 per input byte plus 4096.
	 */
	size_t max_values;
	/*
	 * Bytes of strings one decode may produce (decoded and default
	 * strings); 0 means 4 per input byte plus 1 MiB.
	 */
	size_t max_string_bytes;
} regit_datum_options;

#define REGIT_DATUM_OPTIONS_INIT { 128, 0, 0 }

/**
 * Decode one Avro binary datum (no framing: see regit_datum_unframe).
 *
 * @param out     receives the value (new reference) on success, NULL on failure
 * @param writer  the schema the bytes were written with (borrowed)
 * @param reader  the schema to read them as, or NULL to read them as written
 *                (borrowed)
 * @param data    the bytes; all of them must be consumed
 * @param len     their length
 * @param opts    bounds, NULL for the defaults
 * @return 0; REGIT_EINVALID (malformed or truncated data, trailing bytes,
 *         a value the reader cannot take: an unknown enum symbol without a
 *         default, a writer branch the reader's union lacks, a reader field
 *         without a default the writer lacks, mismatched types);
 *         REGIT_ELIMIT (depth, value or string bound); REGIT_ENOMEM. The
 *         message names the offset and the path in the value ("/items/3").
 */
int regit_datum_decode(json_t **out, const regit_type *writer, const regit_type *reader,
	const void *data, size_t len, const regit_datum_options *opts);

/*
 * A decoder for one writer and reader schema pair, for many messages: what
 * schema resolution decides about a pair of record types (which reader
 * field each writer field feeds) is worked out the first time the pair is
 * met and kept, instead of once per record of every message. Use one per
 * thread.
 */
typedef struct regit_datum_decoder regit_datum_decoder;

/**
 * @param out     receives the decoder (owned; free with regit_datum_decoder_free)
 * @param writer  as for regit_datum_decode; borrowed, must outlive the decoder
 * @param reader  the same, or NULL to read as written
 * @return 0, REGIT_EINVALID (no writer), REGIT_ENOMEM
 */
int regit_datum_decoder_new(regit_datum_decoder **out, const regit_type *writer,
	const regit_type *reader);

/** regit_datum_decode with the decoder's schemas: same results, same codes. */
int regit_datum_decoder_decode(json_t **out, regit_datum_decoder *d, const void *data,
	size_t len, const regit_datum_options *opts);

/** Free the decoder; NULL does nothing. */
void regit_datum_decoder_free(regit_datum_decoder *d);

/** Bytes of the Confluent wire-format header: magic byte 0, 4-byte big-endian schema id. */
#define REGIT_DATUM_FRAME_HEADER 5

/**
 * Split a Confluent-framed message into its schema id and Avro payload.
 * @param id       receives the schema id (0..2^32-1)
 * @param payload  receives a pointer into msg (borrowed), after the header
 * @param plen     receives the payload length
 * @return 0, REGIT_EINVALID (shorter than the header, or magic byte not 0)
 */
int regit_datum_unframe(unsigned long *id, const unsigned char **payload, size_t *plen,
	const void *msg, size_t len);

#endif
