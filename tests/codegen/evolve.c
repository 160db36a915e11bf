/*
 * evolve.c - check generated schema-evolution decoders.
 *
 * Built by tests/integration/codegen_evolve.sh per case with the reader's
 * generated code (`regit gen --reader R:100 --writer W:1`):
 *   evolve gen W.avsc R.avsc SEED N DIR
 *       N random writer values (Avro-C) -> DIR/in_K.bin; where Avro-C's
 *       resolved writer can read W data into R, its re-encoding with R
 *       -> DIR/avroc_K.bin
 *   (tests/codegen/resolve_oracle.py then writes the specification's answer,
 *    from python3-avro, to DIR/exp_K.bin or DIR/exp_K.err)
 *   evolve check DIR N
 *       decode in_K.bin with NAME_decode_writer(1), re-encode with the
 *       reader schema and compare to exp_K.bin (and avroc_K.bin); an
 *       exp_K.err case must fail to decode. Frames with id 1 and the reader's
 *       id 100 decode; an unknown id is REGIT_AVRO_EUNKNOWN_SCHEMA.
 * Prints TAP lines.
 */
#include <avro.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include GEN_HEADER
#include "avro_random.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T GEN_NAME
#define F(suffix) CAT(GEN_NAME, suffix)

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static avro_schema_t load_schema(const char *path)
{
	size_t len;
	uint8_t *text = slurp(path, &len);
	avro_schema_t s = NULL;

	if (!text || avro_schema_from_json_length((const char *)text, len, &s) != 0) {
		fprintf(stderr, "cannot load %s: %s\n", path, avro_strerror());
		exit(2);
	}
	free(text);
	return s;
}

static int do_gen(const char *wpath, const char *rpath, unsigned long seed, unsigned long n,
	const char *dir)
{
	avro_schema_t ws = load_schema(wpath), rs = load_schema(rpath);
	avro_value_iface_t *wi = avro_generic_class_from_schema(ws);
	avro_value_iface_t *ri = avro_generic_class_from_schema(rs);
	avro_value_iface_t *res = avro_resolved_writer_new(ws, rs);
	unsigned long k;
	char path[4096];

	if (!res)
		printf("# avro-c resolved writer refuses this pair: %s\n", avro_strerror());
	rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
	for (k = 0; k < n; k++) {
		avro_value_t v;
		avro_writer_t w;
		size_t len = 0;
		char *buf;

		avro_generic_value_new(wi, &v);
		fill(&v, 0);
		avro_value_sizeof(&v, &len);
		buf = malloc(len + 1);
		w = avro_writer_memory(buf, (int64_t)len);
		avro_value_write(w, &v);
		avro_writer_free(w);
		snprintf(path, sizeof(path), "%s/in_%lu.bin", dir, k);
		spit(path, buf, len);
		if (res) {
			avro_value_t rv, resolved;
			avro_reader_t r = avro_reader_memory(buf, (int64_t)len);

			avro_generic_value_new(ri, &rv);
			avro_resolved_writer_new_value(res, &resolved);
			avro_resolved_writer_set_dest(&resolved, &rv);
			if (avro_value_read(r, &resolved) == 0) {
				size_t rlen = 0;
				char *rb;

				avro_value_sizeof(&rv, &rlen);
				rb = malloc(rlen + 1);
				w = avro_writer_memory(rb, (int64_t)rlen);
				avro_value_write(w, &rv);
				avro_writer_free(w);
				snprintf(path, sizeof(path), "%s/avroc_%lu.bin", dir, k);
				spit(path, rb, rlen);
				free(rb);
			}
			avro_reader_free(r);
			avro_value_decref(&resolved);
			avro_value_decref(&rv);
		}
		free(buf);
		avro_value_decref(&v);
	}
	if (res)
		avro_value_iface_decref(res);
	avro_value_iface_decref(wi);
	avro_value_iface_decref(ri);
	avro_schema_decref(ws);
	avro_schema_decref(rs);
	return 0;
}

static int do_check(const char *dir, unsigned long n)
{
	regit_avro_arena arena;
	unsigned long k, spec_ok = 0, spec_bad = 0, avroc_ok = 0, avroc_bad = 0, errs = 0;
	unsigned long avroc_deviates = 0;
	int frames_ok = 1;
	char path[4096];

	regit_avro_arena_init_heap(&arena, 64u << 20);
	for (k = 0; k < n; k++) {
		size_t len = 0, elen = 0, alen = 0, used = 0, w = 0;
		uint8_t *in, *exp, *avc, *out;
		int rc;
		T v;

		snprintf(path, sizeof(path), "%s/in_%lu.bin", dir, k);
		in = slurp(path, &len);
		snprintf(path, sizeof(path), "%s/exp_%lu.bin", dir, k);
		exp = slurp(path, &elen);
		snprintf(path, sizeof(path), "%s/avroc_%lu.bin", dir, k);
		avc = slurp(path, &alen);
		if (!in)
			continue;
		regit_avro_arena_reset(&arena);
		memset(&v, 0, sizeof(v));
		rc = F(_decode_writer)(&v, 1, in, len, &used, &arena);
		if (!exp) {
			/* The specification (python3-avro) rejects this datum. */
			errs++;
			if (rc == 0) {
				printf("# value %lu: oracle rejects, we accept\n", k);
				spec_bad++;
			}
			goto next;
		}
		if (rc != 0 || used != len) {
			printf("# value %lu: decode_writer gave %s, used %zu of %zu\n", k,
				regit_avro_strerror(rc), used, len);
			spec_bad++;
			goto next;
		}
		out = malloc(F(_encoded_size)(&v) + 1);
		rc = F(_encode)(&v, out, F(_encoded_size)(&v), &w);
		if (rc == 0 && w == elen && memcmp(out, exp, elen) == 0) {
			spec_ok++;
		} else {
			printf("# value %lu: differs from the specification's reading\n", k);
			spec_bad++;
		}
		if (avc) {
			if (rc == 0 && w == alen && memcmp(out, avc, alen) == 0) {
				avroc_ok++;
			} else if (alen != elen || memcmp(avc, exp, elen) != 0) {
				/* Avro-C's resolver itself departs from the specification
				 * here (e.g. it maps enums by index, not by symbol). */
				avroc_deviates++;
			} else {
				printf("# value %lu: differs from Avro-C's resolved reading\n", k);
				avroc_bad++;
			}
		}
		/* Frames: the writer's id and the reader's own id both dispatch. */
		{
			uint8_t *fr = malloc(len + 5);
			uint32_t id = 0;
			T v2;

			regit_avro_frame_write_header(fr, 5, 1);
			memcpy(fr + 5, in, len);
			if (F(_decode_frame)(&v2, fr, len + 5, &id, &arena) != 0 || id != 1)
				frames_ok = 0;
			regit_avro_frame_write_header(fr, 5, 999);
			if (F(_decode_frame)(&v2, fr, len + 5, &id, &arena) != REGIT_AVRO_EUNKNOWN_SCHEMA)
				frames_ok = 0;
			free(fr);
			fr = malloc(w + 5);
			if (F(_encode_frame)(&v, 100, fr, w + 5, NULL) != 0 ||
			    F(_decode_frame)(&v2, fr, w + 5, &id, &arena) != 0 || id != 100)
				frames_ok = 0;
			free(fr);
		}
		free(out);
next:
		free(in);
		free(exp);
		free(avc);
	}
	regit_avro_arena_release(&arena);
	printf("%sok 1 - %s: %lu values read as the specification says (%lu rejected by both)\n",
		spec_bad ? "not " : "", dir, spec_ok, errs);
	if (avroc_deviates)
		printf("# %lu values: Avro-C's resolver departs from the specification\n",
			avroc_deviates);
	/* No comparison made (Avro-C cannot resolve the pair, or departs from
	 * the specification on every value) is a comment, not a passed check. */
	if (avroc_ok || avroc_bad)
		printf("%sok 2 - %s: %lu values agree with Avro-C's resolver\n",
			avroc_bad ? "not " : "", dir, avroc_ok);
	else
		printf("# %s: no value to compare with Avro-C's resolver%s\n", dir,
			avroc_deviates ? "" : " (Avro-C cannot resolve this pair)");
	printf("%sok 3 - %s: frame ids select the decoder, unknown id refused\n",
		frames_ok ? "" : "not ", dir);
	return spec_bad || avroc_bad || !frames_ok;
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "gen") == 0)
		return do_gen(argv[2], argv[3], strtoul(argv[4], NULL, 10),
			strtoul(argv[5], NULL, 10), argv[6]);
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return do_check(argv[2], strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: evolve gen W R SEED N DIR | evolve check DIR N\n");
	return 2;
}
