/*
 * json_echo.c - NAME_from_json then NAME_to_json of argv[1], printed.
 *
 * Built by tests/integration/codegen.sh for a schema generated with --json
 * (-DGEN_HEADER='"event.h"' -DGEN_NAME=event ... -ljansson); the script
 * compares the output with text written by hand from the schema, e.g. a
 * document that leaves out every field with a default.
 * Prints the JSON text, or "error CODE"; exits 1 on an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include GEN_HEADER

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define F(suffix) CAT(GEN_NAME, suffix)

int main(int argc, char **argv)
{
	regit_avro_arena arena;
	GEN_NAME v;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: json_echo JSON\n");
		return 2;
	}
	regit_avro_arena_init_heap(&arena, 1 << 20);
	rc = F(_from_json)(&v, argv[1], strlen(argv[1]), &arena);
	if (rc == 0)
		rc = F(_to_json)(&v, &text, &len);
	if (rc != 0)
		printf("error %s\n", regit_avro_strerror(rc));
	else
		printf("%s\n", text);
	free(text);
	regit_avro_arena_release(&arena);
	return rc != 0;
}
