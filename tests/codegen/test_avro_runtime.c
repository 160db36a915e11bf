/*
 * test_avro_runtime.c - the varint readers of codegen/regit_avro.h, the
 * runtime every `regit gen` decoder includes, tested directly.
 *
 * tests/codegen/hostile.c feeds whole messages to generated decoders; a
 * varint that overflows 64 bits there is a string length, and its value is
 * negative, so the negative-length check answered and the 10th-byte check
 * could be weakened unnoticed. Here each reader is called on its own, on
 * inputs with at least 10 bytes left (the unrolled path) and with fewer
 * (the byte-by-byte path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "codegen/regit_avro.h"

/* Read one varint from bytes[0..len), followed by `pad` bytes of 0x00
 * (so the fast path sees them); @return the reader's code, *used bytes
 * consumed. */
static int read_padded(const uint8_t *bytes, size_t len, size_t pad, uint64_t *out,
	size_t *used)
{
	uint8_t buf[32];
	const uint8_t *p = buf;
	int rc;

	assert_true(len + pad <= sizeof(buf));
	memcpy(buf, bytes, len);
	memset(buf + len, 0, pad);
	*out = 0xdeadbeef;
	rc = regit_avro_read_varint(&p, buf + len + pad, out);
	*used = (size_t)(p - buf);
	return rc;
}

static void test_avro_runtime__varint_tenth_byte(void **state)
{
	static const uint8_t bad_tenth[] = { 0x02, 0x03, 0x40, 0x7f, 0x80, 0x81, 0xff };
	uint8_t in[10];
	uint64_t v;
	size_t used, i, pad;

	(void)state;
	for (pad = 0; pad <= 8; pad += 8) {
		/* 9 bytes of all ones, then the top bit: UINT64_MAX. */
		memset(in, 0xff, 9);
		in[9] = 0x01;
		assert_int_equal(read_padded(in, 10, pad, &v, &used), 0);
		assert_true(v == UINT64_MAX);
		assert_int_equal(used, 10);
		/* Only the top bit: 2^63. */
		memset(in, 0x80, 9);
		assert_int_equal(read_padded(in, 10, pad, &v, &used), 0);
		assert_true(v == (uint64_t)1 << 63);
		/* A 10th byte of 0 is a (non-minimal) 63-bit value. */
		memset(in, 0xff, 9);
		in[9] = 0x00;
		assert_int_equal(read_padded(in, 10, pad, &v, &used), 0);
		assert_true(v == UINT64_MAX >> 1);
		/* Anything above 1 in the 10th byte is bit 64 or beyond, or a
		 * continuation: invalid, and nothing is consumed. */
		for (i = 0; i < sizeof(bad_tenth); i++) {
			in[9] = bad_tenth[i];
			assert_int_equal(read_padded(in, 10, pad, &v, &used), REGIT_AVRO_EINVALID);
			assert_int_equal(used, 0);
		}
	}
}

static void test_avro_runtime__varint_long_overflow(void **state)
{
	/* The value hostile.c meant: a long (not a length) past 64 bits. */
	static const uint8_t overflow[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x02, 0x00, 0x00 };
	static const uint8_t min[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x01, 0x00, 0x00 };
	const uint8_t *p = overflow;
	int64_t v = 0;

	(void)state;
	assert_int_equal(regit_avro_read_long(&p, overflow + sizeof(overflow), &v),
		REGIT_AVRO_EINVALID);
	assert_ptr_equal(p, overflow);
	p = min;
	assert_int_equal(regit_avro_read_long(&p, min + sizeof(min), &v), 0);
	assert_true(v == INT64_MIN);
	assert_ptr_equal(p, min + 10);
}

static void test_avro_runtime__varint_length_and_truncation(void **state)
{
	uint8_t in[12];
	uint64_t v;
	size_t used, len;

	(void)state;
	/* Eleven continuation bytes: longer than any varint. */
	memset(in, 0xff, 11);
	in[11] = 0x00;
	assert_int_equal(read_padded(in, 12, 0, &v, &used), REGIT_AVRO_EINVALID);
	/* Every proper prefix of a 10-byte varint is truncated, on both paths. */
	memset(in, 0x80, 9);
	in[9] = 0x01;
	for (len = 0; len < 10; len++) {
		assert_int_equal(read_padded(in, len, 0, &v, &used), REGIT_AVRO_ETRUNCATED);
		assert_int_equal(used, 0);
	}
}

static void test_avro_runtime__varint_round_trip(void **state)
{
	static const uint64_t values[] = { 0, 1, 127, 128, 300, 16383, 16384,
		(uint64_t)1 << 35, ((uint64_t)1 << 56) - 1, (uint64_t)1 << 56,
		((uint64_t)1 << 63) - 1, (uint64_t)1 << 63, UINT64_MAX - 1, UINT64_MAX };
	size_t i, pad;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint8_t buf[10], *w = buf;
		size_t n, used;
		uint64_t v;

		assert_int_equal(regit_avro_write_varint(&w, buf + sizeof(buf), values[i]), 0);
		n = (size_t)(w - buf);
		assert_int_equal(n, regit_avro_varint_size(values[i]));
		for (pad = 0; pad <= 10; pad += 10) {
			assert_int_equal(read_padded(buf, n, pad, &v, &used), 0);
			assert_true(v == values[i]);
			assert_int_equal(used, n);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avro_runtime__varint_tenth_byte),
		cmocka_unit_test(test_avro_runtime__varint_long_overflow),
		cmocka_unit_test(test_avro_runtime__varint_length_and_truncation),
		cmocka_unit_test(test_avro_runtime__varint_round_trip),
	};

	return cmocka_run_group_tests_name("codegen/avro_runtime", tests, NULL, NULL);
}
