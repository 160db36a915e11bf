/*
 * consumer.c - read length-prefixed Confluent frames from stdin and decode
 * user.created events, whichever schema version wrote them.
 *
 * The code was generated with the current schema as reader and version 1
 * as a writer (`regit gen --reader user.created.avsc:2 --writer
 * user.created.v1.avsc:1`): a version 1 event decodes into the same struct,
 * with plan and source absent (their defaults), and an event with an id the
 * consumer was not built for is reported and skipped.
 */
#include <stdio.h>
#include <stdlib.h>

#include "user_created.h"

int main(void)
{
	static uint8_t arena_mem[1 << 16];
	uint8_t len[4], *frame = NULL;
	regit_avro_arena arena;
	unsigned long ok = 0, bad = 0;

	regit_avro_arena_init(&arena, arena_mem, sizeof(arena_mem));
	while (fread(len, 1, 4, stdin) == 4) {
		size_t n = (size_t)len[0] << 24 | (size_t)len[1] << 16 | (size_t)len[2] << 8 | len[3];
		user_created ev;
		uint32_t id = 0;
		int rc;

		if (n > (1u << 20))
			return 1;
		frame = realloc(frame, n ? n : 1);
		if (!frame || fread(frame, 1, n, stdin) != n)
			return 1;
		regit_avro_arena_reset(&arena);
		rc = user_created_decode_frame(&ev, frame, n, &id, &arena);
		if (rc != 0) {
			fprintf(stderr, "consumer: schema id %u: %s\n", id, regit_avro_strerror(rc));
			bad++;
			continue;
		}
		printf("id=%u user=%.*s email=%.*s plan=%s source=%.*s\n", id,
			(int)ev.user_id.len, ev.user_id.ptr, (int)ev.email.len, ev.email.ptr,
			ev.has_plan ? plan_symbol(ev.plan) : "-",
			ev.has_source ? (int)ev.source.len : 1, ev.has_source ? ev.source.ptr : "-");
		ok++;
	}
	free(frame);
	fprintf(stderr, "consumer: %lu decoded, %lu rejected\n", ok, bad);
	return 0;
}
