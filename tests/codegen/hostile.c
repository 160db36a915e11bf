/*
 * hostile.c - generated decoders on crafted malicious input.
 *
 * Built by tests/integration/codegen.sh against the code `regit gen` writes
 * for schemas/user.created.avsc and schemas/telemetry.batch.avsc. Each check
 * feeds a hand-made message and expects a specific error code, with a tiny
 * fixed arena so that any attempt to allocate what the input declares
 * would show as REGIT_AVRO_ENOMEM instead of the expected code.
 * Prints TAP lines.
 */
#include <stdio.h>
#include <string.h>

#include "telemetry_batch.h"
#include "user_created.h"

static int n, failed;

static void expect(int got, int want, const char *what)
{
	n++;
	if (got != want)
		failed++;
	printf("%sok %d - %s: %s%s%s\n", got == want ? "" : "not ", n, what,
		regit_avro_strerror(got), got == want ? "" : ", expected ",
		got == want ? "" : regit_avro_strerror(want));
}

int main(void)
{
	static unsigned char mem[64];
	regit_avro_arena a;
	user_created u;
	telemetry_batch t;
	uint8_t out[512];
	size_t w = 0;

	/* A 6-byte message declaring a 4 GiB string. */
	static const uint8_t big_string[] = { 0x80, 0x80, 0x80, 0x80, 0x20, 0x41 };
	/* 11 continuation bytes: longer than any varint. */
	static const uint8_t long_varint[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff };
	/* 10th byte with more than the 64th bit, as the first string's
	 * length: the negative-length check may answer first, so this only
	 * shows the decoder refuses it; the 10th-byte check itself is tested
	 * in tests/codegen/test_avro_runtime.c. */
	static const uint8_t overflow[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x02 };
	/* Two empty strings, then an int that needs more than 32 bits. */
	static const uint8_t wide_int[] = { 0, 0, 0xff, 0xff, 0xff, 0xff, 0x7f };
	/* A negative string length. */
	static const uint8_t neg_len[] = { 0x01 };
	/* Valid prefix up to the plan union: index 5, then enum index 9. */
	static const uint8_t bad_union[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x0a };
	static const uint8_t bad_enum[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x12 };
	/* telemetry: 3 strings, 2 longs..., then readings declaring 2^40 items. */
	static const uint8_t huge_array[] = { 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80,
		0x80, 0x40 };
	/* telemetry: one real reading, but the arena is 16 bytes. */
	uint8_t small[64];
	size_t k = 0;

	regit_avro_arena_init(&a, mem, sizeof(mem));
	expect(user_created_decode(&u, big_string, sizeof(big_string), NULL, &a),
		REGIT_AVRO_ETRUNCATED, "6-byte message declaring a 4 GiB string");
	expect(user_created_decode(&u, long_varint, sizeof(long_varint), NULL, &a),
		REGIT_AVRO_EINVALID, "varint longer than 10 bytes");
	expect(user_created_decode(&u, overflow, sizeof(overflow), NULL, &a),
		REGIT_AVRO_EINVALID, "string length varint overflowing 64 bits");
	expect(user_created_decode(&u, wide_int, sizeof(wide_int), NULL, &a),
		REGIT_AVRO_EINVALID, "int wider than 32 bits");
	expect(user_created_decode(&u, neg_len, sizeof(neg_len), NULL, &a),
		REGIT_AVRO_EINVALID, "negative string length");
	expect(user_created_decode(&u, bad_union, sizeof(bad_union), NULL, &a),
		REGIT_AVRO_EINVALID, "union index out of range");
	expect(user_created_decode(&u, bad_enum, sizeof(bad_enum), NULL, &a),
		REGIT_AVRO_EINVALID, "enum index out of range");
	expect(user_created_decode(&u, NULL, 0, NULL, &a), REGIT_AVRO_ETRUNCATED, "empty input");
	expect(telemetry_batch_decode(&t, huge_array, sizeof(huge_array), NULL, &a),
		REGIT_AVRO_ETRUNCATED, "array declaring 2^40 items in 13 bytes");

	/* A real reading (metric 1, at 2, value, count...) needs the arena. */
	memset(small, 0, sizeof(small));
	k = 6;                  /* event_id, correlation_id, schema_version, timestamp, device_id, user_id=null */
	small[k++] = 0x02;      /* one reading */
	k += 40;                /* zero bytes decode as zero-valued fields */
	small[k++] = 0;         /* end of readings (if reached) */
	regit_avro_arena_init(&a, mem, 16);
	expect(telemetry_batch_decode(&t, small, sizeof(small), NULL, &a), REGIT_AVRO_ENOMEM,
		"arena too small for the items: ENOMEM, no malloc");
	expect(telemetry_batch_decode(&t, small, sizeof(small), NULL, NULL), REGIT_AVRO_ENOMEM,
		"no arena for items: ENOMEM");

	/* Encoding side. */
	memset(&u, 0, sizeof(u));
	u.email = regit_avro_cstr("someone@example.com");
	expect(user_created_encode(&u, out, 3, &w), REGIT_AVRO_ESPACE, "short buffer");
	n++;
	printf("%sok %d - ESPACE reports the size needed (%zu)\n",
		w == user_created_encoded_size(&u) ? "" : "not ", n, w);
	failed += w != user_created_encoded_size(&u);
	expect(user_created_encode(&u, NULL, 0, &w), REGIT_AVRO_ESPACE, "NULL buffer");
	u.has_plan = true;
	u.plan = (plan)17;
	expect(user_created_encode(&u, out, sizeof(out), &w), REGIT_AVRO_EINVALID,
		"enum value out of range refused by the encoder");
	u.plan = PLAN_PRO;
	u.name.ptr = NULL;
	u.name.len = 5;
	expect(user_created_encode(&u, out, sizeof(out), &w), REGIT_AVRO_EINVALID,
		"NULL string with a length refused by the encoder");

	/* Frames. */
	expect(user_created_decode_frame(&u, (const uint8_t *)"\0\0\0", 3, NULL, &a),
		REGIT_AVRO_EFRAME, "frame shorter than its header");
	expect(user_created_decode_frame(&u, (const uint8_t *)"\1\0\0\0\2\0", 6, NULL, &a),
		REGIT_AVRO_EFRAME, "frame with a bad magic byte");
	return failed ? 1 : 0;
}
