/*
 * gen_internal.h - the code generator's emitters, as the driver sees them.
 *
 * gen.c is the driver: it names things, emits the types, encoders and the
 * public API, and calls the emitters declared here. Each emitter file
 * uses only gen_util.h and the emitters listed before it:
 *   gen_dec.c      plain Avro binary decode statements;
 *   gen_default.c  schema defaults as C assignments;
 *   gen_json.c     NAME_to_json / NAME_from_json (uses gen_dec, gen_default);
 *   gen_resolve.c  decoders for writer schemas (uses gen_dec, gen_default,
 *                  and compat/resolve.h for every resolution decision).
 * No file calls back into gen.c, so there is no cycle between files.
 */
#ifndef REGIT_CODEGEN_GEN_INTERNAL_H
#define REGIT_CODEGEN_GEN_INTERNAL_H

#include "codegen/gen_util.h"

/* gen_dec.c: decode statements reading a value of type t into lvalue `e`. */
void regit_gen__emit_dec(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, int ind);

/*
 * gen_dec.c: read record t into lvalue e by calling callee(<args>&e or r, arena,
 * depth + 1); where t is stored behind a pointer (recursion) the record is
 * allocated from `arena` first. args is the leading arguments with a
 * trailing ", " (e.g. "&p, end, ").
 */
void regit_gen__emit_read_record(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *callee, const char *args, int ind);

/*
 * gen_default.c: statements setting lvalue `e` to the schema default j (the
 * field's JSON default); needs `arena` in scope for records behind
 * pointers, arrays and maps. A default that does not match t fails with
 * REGIT_EINVALID.
 */
void regit_gen__emit_default(gen_ctx *g, regit_buf *b, const regit_type *t, gen_pos pos,
	const char *e, const char *present, const json_t *j, int ind);
/* gen_json.c: NAME_to_json / NAME_from_json. */
void regit_gen__emit_json(gen_ctx *g);
/* gen_resolve.c: decoders for writer schemas; called after the plain codecs. */
void regit_gen__emit_resolvers(gen_ctx *g);

/* Bumped when the generated type layout changes. */
#define REGIT_GEN_ABI 1

#endif
