/*
 * gen.h - the Avro -> C code generator behind `regit gen`.
 *
 * From a parsed regit_schema the generator writes one C header and one C
 * source per top-level schema. The generated code is self-contained: it
 * includes only the C library and the shared runtime header "regit_avro.h"
 * (whose text regit_gen_runtime_header() returns), never Avro-C, jansson or
 * libregit. See docs/codegen.md for the generated API.
 *
 * With writer schemas (schema evolution), the generated decoder also reads
 * data written with each writer schema straight into the reader's structs,
 * following Avro's schema resolution rules; the Confluent frame's schema id
 * selects the decoder.
 */
#ifndef REGIT_CODEGEN_GEN_H
#define REGIT_CODEGEN_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "compat/schema.h"
#include "util/buf.h"

/* A writer schema the reader must be able to decode, with its registry id. */
typedef struct regit_gen_writer {
	const regit_schema *schema;    /* borrowed */
	uint32_t id;                   /* Confluent schema id */
	const char *label;             /* for messages and comments (file name), or NULL */
} regit_gen_writer;

typedef struct regit_gen_options {
	/* Prepended (with '_') to every generated identifier; NULL for none. */
	const char *prefix;
	/*
	 * Base name for a top-level schema that is not a record (records are
	 * named after themselves); NULL means "value". Snake-cased.
	 */
	const char *fallback_name;
	/* The reader schema's own registry id, when known. */
	int has_id;
	uint32_t id;
	/* Writer schemas to compile resolving decoders for (borrowed). */
	const regit_gen_writer *writers;
	size_t nwriters;
	/* Also emit NAME_to_json/NAME_from_json (generated code needs jansson). */
	int json;
	/* Source label for the banner (file name), or NULL. */
	const char *source;
} regit_gen_options;

#define REGIT_GEN_OPTIONS_INIT { NULL, NULL, 0, 0, NULL, 0, 0, NULL }

/* The generated pair for one top-level schema. */
typedef struct regit_gen_output {
	char *name;                    /* owned: base name, e.g. "user_created" */
	regit_buf header;              /* NAME.h */
	regit_buf source;              /* NAME.c */
} regit_gen_output;

/**
 * Generate NAME.h and NAME.c for a schema.
 *
 * @param out    initialised by this call; dispose with regit_gen_output_dispose
 *               (also on failure)
 * @param schema borrowed
 * @param opts   NULL for defaults
 * @return 0, REGIT_EINVALID (the schema cannot be generated: e.g. a record
 *         contains itself without a union/array/map, or a writer schema
 *         cannot be resolved against the reader; message says why),
 *         REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_gen_generate(regit_gen_output *out, const regit_schema *schema,
	const regit_gen_options *opts);

/** Free the output's buffers and name. */
void regit_gen_output_dispose(regit_gen_output *out);

/** The runtime header every generated header includes. @return static text */
const char *regit_gen_runtime_header(void);

/** The file name under which regit_gen_runtime_header() must be written. */
#define REGIT_GEN_RUNTIME_NAME "regit_avro.h"

#endif
