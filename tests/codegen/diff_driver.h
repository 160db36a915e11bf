/*
 * diff_driver.h - one program driving many generated codecs, for
 * tests/codegen/differential.py (tests/integration/codegen_differential.sh).
 *
 * The script generates N schemas with `regit gen --json --prefix pI
 * --reader R:100 --writer W:1` into one directory and writes a main file:
 *
 *   #include "diff_driver.h"
 *   #include "p0_x.h"
 *   DIFF_SCHEMA(p0_x)
 *   ...
 *   static const diff_fn diff_table[] = { diff_run_p0_x, ... };
 *   int main(void) { return diff_main(diff_table, N); }
 *
 * compiled once (clang -fsanitize=address,undefined) with every NAME.c.
 * stdin: one case a line, "MODE INDEX HEX": MODE D decodes HEX with
 * NAME_decode (the reader's own encoding), W with NAME_decode_writer(id 1)
 * (the writer's encoding, resolved into the reader's struct). Every input
 * sits in a malloc of exactly its size, so a read past it is an ASan error.
 * stdout: one line a case, flushed (a crash names the case it died on):
 *
 *   dec RC CONSUMED enc RC HEX fj RC HEX json RC TEXT
 *
 * dec: the decoder's result and bytes consumed; enc: NAME_encode of the
 * decoded value (HEX "-" when not run); json: NAME_to_json of it (TEXT "-"
 * on error); fj: NAME_from_json of that text, encoded again. Only "dec" is
 * printed when decoding fails.
 */
#ifndef DIFF_DRIVER_H
#define DIFF_DRIVER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regit_avro.h"

typedef void (*diff_fn)(int mode, const uint8_t *buf, size_t len, regit_avro_arena *a);

static void diff_hex(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0) {
		fputs(" -", stdout);
		return;
	}
	putchar(' ');
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* " enc RC HEX" for the bytes `encode` writes into an exact-size buffer */
#define DIFF_ENCODE(NAME, v)                                                   \
	do {                                                                   \
		size_t need_ = NAME##_encoded_size(&(v)), w_ = 0;              \
		uint8_t *o_ = malloc(need_ ? need_ : 1);                       \
		int erc_ = o_ ? NAME##_encode(&(v), o_, need_, &w_) : -1;      \
		printf(" %d", erc_);                                           \
		diff_hex(o_, erc_ == 0 ? w_ : 0);                              \
		free(o_);                                                      \
	} while (0)

#define DIFF_SCHEMA(NAME)                                                              \
	static void diff_run_##NAME(int mode, const uint8_t *buf, size_t len,          \
				    regit_avro_arena *a)                               \
	{                                                                              \
		NAME v, back;                                                          \
		size_t consumed = 0, jlen = 0;                                         \
		char *text = NULL;                                                     \
		int rc, jrc, frc;                                                      \
                                                                                       \
		if (mode == 'W')                                                       \
			rc = NAME##_decode_writer(&v, 1, buf, len, &consumed, a);      \
		else                                                                   \
			rc = NAME##_decode(&v, buf, len, &consumed, a);                \
		printf("dec %d %zu", rc, consumed);                                    \
		if (rc == 0) {                                                         \
			fputs(" enc", stdout);                                         \
			DIFF_ENCODE(NAME, v);                                          \
			jrc = NAME##_to_json(&v, &text, &jlen);                        \
			fputs(" fj", stdout);                                          \
			if (jrc == 0) {                                                \
				frc = NAME##_from_json(&back, text, jlen, a);          \
				if (frc == 0)                                          \
					DIFF_ENCODE(NAME, back);                       \
				else                                                   \
					printf(" %d -", frc);                          \
			} else {                                                       \
				fputs(" 1 -", stdout);                                 \
			}                                                              \
			printf(" json %d %s", jrc, jrc == 0 ? text : "-");             \
			free(text);                                                    \
		}                                                                      \
		putchar('\n');                                                         \
		fflush(stdout);                                                        \
	}

static int diff_unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int diff_main(const diff_fn *table, size_t count)
{
	char line[1 << 16];
	regit_avro_arena arena;

	regit_avro_arena_init_heap(&arena, (size_t)1 << 26);
	while (fgets(line, sizeof(line), stdin)) {
		char mode = 0, *hex;
		unsigned long idx = 0;
		size_t hlen, n, i;
		uint8_t *buf;

		if (sscanf(line, "%c %lu", &mode, &idx) != 2 || idx >= count)
			return 2;
		hex = strchr(line + 2, ' ');
		if (!hex)
			return 2;
		hex++;
		hlen = strcspn(hex, "\n");
		if (hlen == 1 && hex[0] == '-')
			hlen = 0;
		n = hlen / 2;
		buf = malloc(n ? n : 1);
		if (!buf)
			return 3;
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)(diff_unhex(hex[2 * i]) << 4 | diff_unhex(hex[2 * i + 1]));
		regit_avro_arena_reset(&arena);
		table[idx](mode, buf, n, &arena);
		free(buf);
	}
	regit_avro_arena_release(&arena);
	return 0;
}

#endif
