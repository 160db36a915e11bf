/* JSON accepts exactly the nesting binary decoding accepts: a chain of
 * REGIT_AVRO_MAX_DEPTH + 1 records (129) in both, one more in neither. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_depth.h"

/* The binary encoding of a chain of `nodes` records: union index 1 per link, then 0. */
static size_t chain_bin(uint8_t *buf, unsigned nodes)
{
	unsigned i;

	for (i = 0; i + 1 < nodes; i++)
		buf[i] = 2;
	buf[i] = 0;
	return nodes;
}

/* The JSON text of the same chain. */
static size_t chain_json(char *buf, unsigned nodes)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i + 1 < nodes; i++)
		n += (size_t)sprintf(buf + n, "{\"next\": {\"JsonDepth\": ");
	n += (size_t)sprintf(buf + n, "{\"next\": null}");
	for (i = 0; i + 1 < nodes; i++)
		n += (size_t)sprintf(buf + n, "}}");
	return n;
}

static uint8_t mem[1 << 16], bin[512];
static char text[16384];

int main(void)
{
	unsigned nodes;

	for (nodes = REGIT_AVRO_MAX_DEPTH; nodes <= REGIT_AVRO_MAX_DEPTH + 2; nodes++) {
		regit_avro_arena arena;
		json_depth v;
		size_t blen = chain_bin(bin, nodes), jlen = chain_json(text, nodes);
		int brc, jrc, wrc;
		char *out = NULL;

		regit_avro_arena_init(&arena, mem, sizeof(mem));
		brc = json_depth_decode(&v, bin, blen, NULL, &arena);
		wrc = brc == 0 ? json_depth_to_json(&v, &out, NULL) : brc;
		free(out);
		regit_avro_arena_reset(&arena);
		jrc = json_depth_from_json(&v, text, jlen, &arena);
		printf("%u nodes: decode %d, to_json %d, from_json %d\n", nodes, brc, wrc, jrc);
		if (brc != jrc || brc != wrc)
			return 1;
		if ((nodes <= REGIT_AVRO_MAX_DEPTH + 1) != (brc == 0))
			return 1;
	}
	return 0;
}
