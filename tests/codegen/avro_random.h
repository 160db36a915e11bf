/*
 * avro_random.h - seeded random values for any schema, via Avro-C's
 * generic value API (shared by the codegen test drivers).
 */
#ifndef REGIT_TEST_AVRO_RANDOM_H
#define REGIT_TEST_AVRO_RANDOM_H

#include <avro.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t rng_state;
/* Set while filling values for Avro-C's JSON writer, which cuts bytes and
 * fixed at the first NUL (it hands them to jansson as C strings). */
static int fill_no_nul;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic for a seed, identical on every machine. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint64_t rnd64(void)
{
	return (uint64_t)rnd() << 32 | rnd();
}

static int64_t rnd_long(void)
{
	switch (rnd() % 6) {
	case 0: return 0;
	case 1: return (int64_t)(rnd() % 100) - 50;
	case 2: return INT64_MAX;
	case 3: return INT64_MIN;
	default: return (int64_t)rnd64();
	}
}

static int32_t rnd_int(void)
{
	switch (rnd() % 6) {
	case 0: return 0;
	case 1: return (int32_t)(rnd() % 100) - 50;
	case 2: return INT32_MAX;
	case 3: return INT32_MIN;
	default: return (int32_t)rnd();
	}
}

static size_t rnd_len(void)
{
	switch (rnd() % 8) {
	case 0: return 0;
	case 1: return 100 + rnd() % 300;
	default: return rnd() % 12;
	}
}

static void fill(avro_value_t *v, unsigned depth)
{
	avro_schema_t s = avro_value_get_schema(v);
	char buf[512];
	size_t i, n;

	switch (avro_value_get_type(v)) {
	case AVRO_STRING:
		n = rnd_len();
		for (i = 0; i < n; i++)
			buf[i] = (char)(' ' + rnd() % 95);
		buf[n] = '\0';
		avro_value_set_string_len(v, buf, n + 1);
		break;
	case AVRO_BYTES:
		n = rnd_len();
		for (i = 0; i < n; i++) {
			buf[i] = (char)rnd();
			if (fill_no_nul && !buf[i])
				buf[i] = 1;
		}
		avro_value_set_bytes(v, buf, n);
		break;
	case AVRO_INT32:
		avro_value_set_int(v, rnd_int());
		break;
	case AVRO_INT64:
		avro_value_set_long(v, rnd_long());
		break;
	case AVRO_FLOAT: {
		float f;
		uint32_t u;

		do {
			u = rnd();
			memcpy(&f, &u, 4);
		} while (f != f);
		avro_value_set_float(v, rnd() % 2 ? f : (float)(rnd() % 1000) / 8);
		break;
	}
	case AVRO_DOUBLE: {
		double d;
		uint64_t u;

		do {
			u = rnd64();
			memcpy(&d, &u, 8);
		} while (d != d);
		avro_value_set_double(v, rnd() % 2 ? d : (double)(rnd() % 1000) / 8);
		break;
	}
	case AVRO_BOOLEAN:
		avro_value_set_boolean(v, rnd() % 2);
		break;
	case AVRO_NULL:
		avro_value_set_null(v);
		break;
	case AVRO_ENUM:
		avro_value_set_enum(v, (int)(rnd() % (unsigned)avro_schema_enum_number_of_symbols(s)));
		break;
	case AVRO_FIXED:
		n = (size_t)avro_schema_fixed_size(s);
		for (i = 0; i < n && i < sizeof(buf); i++) {
			buf[i] = (char)rnd();
			if (fill_no_nul && !buf[i])
				buf[i] = 1;
		}
		avro_value_set_fixed(v, buf, n);
		break;
	case AVRO_ARRAY: {
		avro_value_t child;

		n = depth > 3 ? 0 : rnd() % 4;
		for (i = 0; i < n; i++) {
			avro_value_append(v, &child, NULL);
			fill(&child, depth + 1);
		}
		break;
	}
	case AVRO_MAP: {
		avro_value_t child;

		n = depth > 3 ? 0 : rnd() % 4;
		for (i = 0; i < n; i++) {
			snprintf(buf, sizeof(buf), "k%zu-%u", i, rnd() % 1000);
			avro_value_add(v, buf, &child, NULL, NULL);
			fill(&child, depth + 1);
		}
		break;
	}
	case AVRO_RECORD: {
		avro_value_t child;

		n = avro_schema_record_size(s);
		for (i = 0; i < n; i++) {
			avro_value_get_by_index(v, i, &child, NULL);
			fill(&child, depth + 1);
		}
		break;
	}
	case AVRO_UNION: {
		avro_value_t child;
		size_t k;

		n = avro_schema_union_size(s);
		k = rnd() % n;
		if (depth > 4) {
			/* Deep inside recursive types, head for the exit. */
			for (i = 0; i < n; i++) {
				if (avro_typeof(avro_schema_union_branch(s, (int)i)) == AVRO_NULL)
					k = i;
			}
		}
		avro_value_set_branch(v, (int)k, &child);
		fill(&child, depth + 1);
		break;
	}
	default:
		break;
	}
}

#endif
