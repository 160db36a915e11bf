/*
 * bench_codegen.c - generated codecs vs Avro-C's generic value API.
 *
 * For user.created, payment.received (nested records, arrays, maps) and
 * telemetry.batch (an array of 64 readings and a 256-byte blob), one value
 * is built with Avro-C's generic API (deterministic filler, every optional
 * present), encoded by Avro-C, and decoded by the generated code into its
 * struct: both sides then encode and decode the same value. Avro-C reuses
 * one writer, reader and value (its fastest pattern); the generated decoder
 * reuses one fixed arena. Reports records/s and the speed-up.
 * The generated code is built by codegen/module.mk from schemas/.
 */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payment_received.h"
#include "telemetry_batch.h"
#include "user_created.h"

static volatile size_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Realistic sizes: 24-char strings, arrays of arr_len, bytes of blob. */
static void bench_fill(avro_value_t *v, unsigned depth, size_t arr_len, size_t blob, unsigned *ctr)
{
	avro_schema_t s = avro_value_get_schema(v);
	char buf[1024];
	size_t i, n;

	(*ctr)++;
	switch (avro_value_get_type(v)) {
	case AVRO_STRING:
		snprintf(buf, sizeof(buf), "5f0c%04u-8a7b-4c1e-9d2f-%012u", *ctr, *ctr * 7919u);
		avro_value_set_string(v, buf);
		break;
	case AVRO_BYTES:
		for (i = 0; i < blob && i < sizeof(buf); i++)
			buf[i] = (char)(i * 31 + *ctr);
		avro_value_set_bytes(v, buf, blob);
		break;
	case AVRO_INT32: avro_value_set_int(v, (int32_t)(1000 + *ctr * 37)); break;
	case AVRO_INT64: avro_value_set_long(v, 1732600000000LL + *ctr); break;
	case AVRO_FLOAT: avro_value_set_float(v, 1.5f * (float)*ctr); break;
	case AVRO_DOUBLE: avro_value_set_double(v, 3.25 * *ctr); break;
	case AVRO_BOOLEAN: avro_value_set_boolean(v, *ctr & 1); break;
	case AVRO_NULL: avro_value_set_null(v); break;
	case AVRO_ENUM: avro_value_set_enum(v, (int)(*ctr % (unsigned)avro_schema_enum_number_of_symbols(s))); break;
	case AVRO_FIXED:
		n = (size_t)avro_schema_fixed_size(s);
		for (i = 0; i < n; i++)
			buf[i] = (char)('A' + (i + *ctr) % 26);
		avro_value_set_fixed(v, buf, n);
		break;
	case AVRO_ARRAY: {
		avro_value_t c;

		n = depth <= 1 ? arr_len : 2;
		for (i = 0; i < n; i++) {
			avro_value_append(v, &c, NULL);
			bench_fill(&c, depth + 1, arr_len, blob, ctr);
		}
		break;
	}
	case AVRO_MAP: {
		avro_value_t c;

		for (i = 0; i < 3; i++) {
			snprintf(buf, sizeof(buf), "attribute_%zu", i);
			avro_value_add(v, buf, &c, NULL, NULL);
			bench_fill(&c, depth + 1, arr_len, blob, ctr);
		}
		break;
	}
	case AVRO_RECORD: {
		avro_value_t c;

		n = avro_schema_record_size(s);
		for (i = 0; i < n; i++) {
			avro_value_get_by_index(v, i, &c, NULL);
			bench_fill(&c, depth + 1, arr_len, blob, ctr);
		}
		break;
	}
	case AVRO_UNION: {
		avro_value_t c;
		int k = 0;

		/* The first non-null branch: optionals are present. */
		n = avro_schema_union_size(s);
		for (i = 0; i < n; i++) {
			if (avro_typeof(avro_schema_union_branch(s, (int)i)) != AVRO_NULL) {
				k = (int)i;
				break;
			}
		}
		avro_value_set_branch(v, k, &c);
		bench_fill(&c, depth + 1, arr_len, blob, ctr);
		break;
	}
	default:
		break;
	}
}

typedef int (*enc_fn)(const void *in, uint8_t *buf, size_t cap, size_t *written);
typedef int (*dec_fn)(void *out, const uint8_t *buf, size_t len, size_t *consumed,
	regit_avro_arena *arena);

/* Adapters: the generated functions take their own struct types. */
#define ADAPT(N) \
	static int enc_##N(const void *in, uint8_t *b, size_t c, size_t *w) \
	{ return N##_encode((const N *)in, b, c, w); } \
	static int dec_##N(void *out, const uint8_t *b, size_t l, size_t *u, regit_avro_arena *a) \
	{ return N##_decode((N *)out, b, l, u, a); }
ADAPT(user_created)
ADAPT(payment_received)
ADAPT(telemetry_batch)

typedef struct bench_case {
	const char *label;
	const char *schema;
	size_t arr_len, blob;
	enc_fn enc;
	dec_fn dec;
	size_t size;
} bench_case;

static int run_case(const bench_case *bc, double budget)
{
	avro_schema_t schema;
	avro_value_iface_t *iface;
	avro_value_t v, dv;
	avro_writer_t w;
	avro_reader_t r;
	char *text = NULL, *abuf;
	uint8_t *gbuf, *arena_mem;
	void *obj, *obj2;
	size_t len = 0, tlen, n, used;
	unsigned ctr = 0;
	FILE *f;
	double t0, t, enc_avro, dec_avro, enc_gen, dec_gen;
	unsigned long it;
	regit_avro_arena arena;
	int rc;

	f = fopen(bc->schema, "rb");
	if (!f)
		return -1;
	text = malloc(1 << 20);
	tlen = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[tlen] = '\0';
	if (avro_schema_from_json_length(text, tlen, &schema) != 0) {
		fprintf(stderr, "%s: %s\n", bc->schema, avro_strerror());
		return -1;
	}
	free(text);
	iface = avro_generic_class_from_schema(schema);
	avro_generic_value_new(iface, &v);
	avro_generic_value_new(iface, &dv);
	bench_fill(&v, 0, bc->arr_len, bc->blob, &ctr);
	avro_value_sizeof(&v, &len);
	abuf = malloc(len);
	gbuf = malloc(len);
	arena_mem = malloc(1 << 20);
	obj = calloc(1, bc->size);
	obj2 = calloc(1, bc->size);
	w = avro_writer_memory(abuf, (int64_t)len);
	avro_value_write(w, &v);
	regit_avro_arena_init(&arena, arena_mem, 1 << 20);
	rc = bc->dec(obj, (const uint8_t *)abuf, len, &used, &arena);
	if (rc != 0 || used != len) {
		fprintf(stderr, "%s: generated decoder rc %d\n", bc->label, rc);
		return -1;
	}
	r = avro_reader_memory(abuf, (int64_t)len);

	/* Avro-C encode. */
	t0 = now();
	it = 0;
	do {
		for (n = 0; n < 1000; n++) {
			avro_writer_memory_set_dest(w, abuf, (int64_t)len);
			avro_value_write(w, &v);
		}
		it += 1000;
		t = now() - t0;
	} while (t < budget);
	enc_avro = it / t;
	/* Avro-C decode into a reused value. */
	t0 = now();
	it = 0;
	do {
		for (n = 0; n < 1000; n++) {
			avro_reader_memory_set_source(r, abuf, (int64_t)len);
			avro_value_reset(&dv);
			avro_value_read(r, &dv);
		}
		it += 1000;
		t = now() - t0;
	} while (t < budget);
	dec_avro = it / t;
	if (!avro_value_equal(&v, &dv)) {
		fprintf(stderr, "%s: avro-c decode differs\n", bc->label);
		return -1;
	}
	/* Generated encode. */
	t0 = now();
	it = 0;
	do {
		for (n = 0; n < 1000; n++) {
			bc->enc(obj, gbuf, len, &used);
			sink += used;
		}
		it += 1000;
		t = now() - t0;
	} while (t < budget);
	enc_gen = it / t;
	if (memcmp(gbuf, abuf, len) != 0) {
		fprintf(stderr, "%s: generated bytes differ from avro-c\n", bc->label);
		return -1;
	}
	/* Generated decode. */
	t0 = now();
	it = 0;
	do {
		for (n = 0; n < 1000; n++) {
			regit_avro_arena_reset(&arena);
			bc->dec(obj2, gbuf, len, &used, &arena);
			sink += used;
		}
		it += 1000;
		t = now() - t0;
	} while (t < budget);
	dec_gen = it / t;

	printf("%-18s %6zu %10.2f %10.2f %6.1fx %10.2f %10.2f %6.1fx\n", bc->label, len,
		enc_avro / 1e6, enc_gen / 1e6, enc_gen / enc_avro,
		dec_avro / 1e6, dec_gen / 1e6, dec_gen / dec_avro);

	avro_reader_free(r);
	avro_writer_free(w);
	avro_value_decref(&v);
	avro_value_decref(&dv);
	avro_value_iface_decref(iface);
	avro_schema_decref(schema);
	free(abuf);
	free(gbuf);
	free(arena_mem);
	free(obj);
	free(obj2);
	return 0;
}

int main(void)
{
	static const bench_case cases[] = {
		{ "user.created", "schemas/user.created.avsc", 2, 16,
		  enc_user_created, dec_user_created, sizeof(user_created) },
		{ "payment.received", "schemas/payment.received.avsc", 3, 16,
		  enc_payment_received, dec_payment_received, sizeof(payment_received) },
		{ "telemetry.batch", "schemas/telemetry.batch.avsc", 64, 256,
		  enc_telemetry_batch, dec_telemetry_batch, sizeof(telemetry_batch) },
	};
	double budget = getenv("BENCH_QUICK") ? 0.05 : 0.6;
	size_t i;
	int failed = 0;

	printf("records/s in millions, one core; Avro-C = generic value API, gen = regit gen\n");
	printf("%-18s %6s %10s %10s %7s %10s %10s %7s\n", "schema", "bytes", "enc avro-c",
		"enc gen", "x", "dec avro-c", "dec gen", "x");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed |= run_case(&cases[i], budget) != 0;
	return failed;
}
