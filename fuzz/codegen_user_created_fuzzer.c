/*
 * codegen_user_created_fuzzer.c - the decoder `regit gen` wrote for this schema,
 * on arbitrary bytes (the checks: fuzz/codegen_harness.h).
 *
 * The generated code is not committed: fuzz/module.mk runs the freshly
 * built regit into $(BUILD)/fuzz/codegen/ and compiles this file with
 * -I$(BUILD), so the include below finds it there.
 */
#include "fuzz/codegen/user_created.c"

#define CODEGEN_TYPE user_created
#include "fuzz/codegen_harness.h"
