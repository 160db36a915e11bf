/*
 * schema_fuzzer.c - libFuzzer target for the schema parser and printer.
 *
 * Parses the input with default bounds; when it is a valid schema, prints
 * it PRETTY and COMPACT and parses both outputs again, which must succeed,
 * print identically and have the same Parsing Canonical Form as the input
 * (the printer may never produce something the parser rejects or reads
 * differently). Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	regit_alloc_install_json();
	return 0;
}

static void fuzz_reprint(const regit_schema *schema, regit_print_style style)
{
	regit_buf first = REGIT_BUF_INIT, second = REGIT_BUF_INIT;
	regit_buf canon1 = REGIT_BUF_INIT, canon2 = REGIT_BUF_INIT;
	regit_schema *again = NULL;
	regit_schema_error err;

	if (regit_schema_print(schema, style, &first) < 0)
		abort();
	if (regit_schema_parse(&again, first.ptr, first.size, NULL, &err) < 0) {
		fprintf(stderr, "printed schema does not parse: %s (at %s)\n%s\n",
			err.message, err.path, first.ptr);
		abort();
	}
	if (regit_schema_print(again, style, &second) < 0)
		abort();
	if (first.size != second.size || memcmp(first.ptr, second.ptr, first.size) != 0) {
		fprintf(stderr, "printing is not stable:\n%s\n%s\n", first.ptr, second.ptr);
		abort();
	}
	if (regit_schema_canonical(schema, &canon1) == 0 &&
	    (regit_schema_canonical(again, &canon2) < 0 ||
	     strcmp(regit_buf_cstr(&canon1), regit_buf_cstr(&canon2)) != 0)) {
		fprintf(stderr, "printing changed the meaning:\n%s\n%s\n",
			regit_buf_cstr(&canon1), regit_buf_cstr(&canon2));
		abort();
	}
	regit_buf_dispose(&canon1);
	regit_buf_dispose(&canon2);
	regit_schema_free(again);
	regit_buf_dispose(&first);
	regit_buf_dispose(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	regit_schema *schema = NULL;
	regit_schema_error err;

	if (regit_schema_parse(&schema, (const char *)data, size, NULL, &err) < 0)
		return 0;
	fuzz_reprint(schema, REGIT_PRINT_PRETTY);
	fuzz_reprint(schema, REGIT_PRINT_COMPACT);
	regit_schema_free(schema);
	return 0;
}
