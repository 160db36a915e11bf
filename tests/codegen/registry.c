/*
 * registry.c - decode Confluent frames with code from `regit gen --subject`.
 *
 * Built by tests/integration/codegen_registry.sh against the order.h/.c that
 * `regit gen` wrote from a subject's versions in a running `regit serve`
 * (tests/codegen/registry/v*.avsc). Each argument is a file holding one
 * frame (magic 0, 4-byte schema id, payload written with some version).
 * For each it prints one line: the return code's name, the frame's id and,
 * on success, every reader field, so the script can compare with what the
 * specification says the reader sees (defaults for fields the writer lacks,
 * writer-only fields skipped, int widened to long, unknown enum symbols
 * read as the enum's default).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		b = malloc((size_t)n + 1);
		if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return b;
}

static void print_order(const order *o)
{
	size_t i;

	printf(" id=%lld amount=%lld currency=%.*s status=%s tags={", (long long)o->id,
		(long long)o->amount, (int)o->currency.len, o->currency.ptr,
		status_symbol(o->status) ? status_symbol(o->status) : "?");
	for (i = 0; i < o->tags.count; i++)
		printf("%s%.*s:%.*s", i ? "," : "", (int)o->tags.entries[i].key.len,
			o->tags.entries[i].key.ptr, (int)o->tags.entries[i].value.len,
			o->tags.entries[i].value.ptr);
	printf("} coupon=");
	if (o->has_coupon)
		printf("%.*s", (int)o->coupon.len, o->coupon.ptr);
	else
		printf("null");
}

int main(int argc, char **argv)
{
	regit_avro_arena arena;
	int i, rc;

	regit_avro_arena_init_heap(&arena, 1 << 20);
	for (i = 1; i < argc; i++) {
		uint8_t *buf;
		size_t len = 0;
		uint32_t id = 0;
		order o;

		buf = slurp(argv[i], &len);
		if (!buf) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			return 2;
		}
		memset(&o, 0, sizeof(o));
		rc = order_decode_frame(&o, buf, len, &id, &arena);
		printf("%s schema_id=%lu", regit_avro_strerror(rc), (unsigned long)id);
		if (rc == 0)
			print_order(&o);
		printf("\n");
		regit_avro_arena_reset(&arena);
		free(buf);
	}
	regit_avro_arena_release(&arena);
	return 0;
}
