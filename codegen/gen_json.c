/*
 * gen_json.c - NAME_to_json / NAME_from_json (Avro JSON encoding, jansson).
 */
#include "codegen/gen_internal.h"

#include "util/error.h"

void regit_gen__emit_json(gen_ctx *g)
{
	regit_gen__fail(g, REGIT_EINVALID, "--json is not implemented yet");
}
