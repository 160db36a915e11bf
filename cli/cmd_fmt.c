/*
 * cmd_fmt.c - `regit fmt`: print a schema file in one of its forms.
 *
 *   regit fmt FILE                 pretty JSON (the git store's form)
 *   regit fmt --compact FILE       Avro Java's Schema.toString() (Confluent's form)
 *   regit fmt --canonical FILE     Avro Parsing Canonical Form
 *   regit fmt --fingerprint rabin|sha256 FILE
 *                                  fingerprint of the canonical form, in hex
 *
 * FILE may be "-" for standard input. Invalid schemas are reported like
 * `regit validate` does; exit 2 for them, bad usage and I/O errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "compat/schema.h"
#include "util/buf.h"
#include "util/error.h"

void regit_cli_print_schema_error(const char *file, const regit_schema_error *err);

typedef enum { FMT_PRETTY, FMT_COMPACT, FMT_CANONICAL, FMT_RABIN, FMT_SHA256 } fmt_mode;

static void fmt_usage(FILE *f)
{
	fprintf(f,
		"usage: regit fmt [--compact | --canonical | --fingerprint rabin|sha256] FILE\n"
		"\n"
		"Print an Avro schema file (FILE may be - for standard input):\n"
		"  (default)            indented, stable JSON for people and git\n"
		"  --compact            one line, as Avro Java's Schema.toString() writes it\n"
		"                       (the schema string a Confluent registry stores)\n"
		"  --canonical          Avro Parsing Canonical Form\n"
		"  --fingerprint rabin  CRC-64-AVRO of the canonical form, 16 hex digits\n"
		"  --fingerprint sha256 SHA-256 of the canonical form, 64 hex digits\n"
		"\n"
		"Exit status: 0 ok, 2 invalid schema, unreadable file or bad usage,\n"
		"3 out of memory.\n");
}

static int fmt_read(regit_buf *buf, const char *path)
{
	char chunk[16384];
	size_t n;
	int error = 0;

	if (strcmp(path, "-") != 0)
		return regit_buf_read_file(buf, path);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		error = regit_buf_put(buf, chunk, n);
		if (error < 0)
			return error;
	}
	if (ferror(stdin)) {
		regit_error_set(REGIT_ERROR_OS, "cannot read standard input");
		return REGIT_EIO;
	}
	return 0;
}

int regit_cmd_fmt(int argc, char **argv)
{
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	regit_buf in, out = REGIT_BUF_INIT;
	regit_schema *schema = NULL;
	regit_schema_error err;
	fmt_mode mode = FMT_PRETTY;
	const char *file = NULL;
	unsigned char sha[32];
	int i, modes = 0, error = 0, status = REGIT_EXIT_OK;

	if (regit_cli_wants_help(argc, argv)) {
		fmt_usage(stdout);
		return REGIT_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--compact") == 0) {
			mode = FMT_COMPACT;
			modes++;
		} else if (strcmp(a, "--canonical") == 0) {
			mode = FMT_CANONICAL;
			modes++;
		} else if (strcmp(a, "--fingerprint") == 0 || strncmp(a, "--fingerprint=", 14) == 0) {
			const char *algo = a[13] == '=' ? a + 14 : (i + 1 < argc ? argv[++i] : NULL);

			if (!algo) {
				fprintf(stderr, "regit fmt: --fingerprint needs rabin or sha256\n");
				return REGIT_EXIT_USAGE;
			}
			if (strcmp(algo, "rabin") == 0) {
				mode = FMT_RABIN;
			} else if (strcmp(algo, "sha256") == 0) {
				mode = FMT_SHA256;
			} else {
				fprintf(stderr, "regit fmt: unknown fingerprint '%s' (rabin or sha256)\n", algo);
				return REGIT_EXIT_USAGE;
			}
			modes++;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "regit fmt: unknown option '%s'\n", a);
			fmt_usage(stderr);
			return REGIT_EXIT_USAGE;
		} else if (file) {
			fprintf(stderr, "regit fmt: one FILE at a time\n");
			return REGIT_EXIT_USAGE;
		} else {
			file = a;
		}
	}
	if (!file || modes > 1) {
		fprintf(stderr, !file ? "regit fmt: no schema file given\n"
			: "regit fmt: choose one of --compact, --canonical, --fingerprint\n");
		fmt_usage(stderr);
		return REGIT_EXIT_USAGE;
	}

	regit_buf_init(&in, opts.max_size);
	error = fmt_read(&in, file);
	if (error < 0) {
		fprintf(stderr, "%s: error: %s\n", file, regit_error_message());
		status = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL : REGIT_EXIT_USAGE;
		goto done;
	}
	error = regit_schema_parse(&schema, regit_buf_cstr(&in), in.size, &opts, &err);
	if (error < 0) {
		regit_cli_print_schema_error(file, &err);
		status = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL : REGIT_EXIT_USAGE;
		goto done;
	}

	switch (mode) {
	case FMT_PRETTY:
		error = regit_schema_print(schema, REGIT_PRINT_PRETTY, &out);
		break;
	case FMT_COMPACT:
		error = regit_schema_print(schema, REGIT_PRINT_COMPACT, &out);
		if (error == 0)
			error = regit_buf_putc(&out, '\n');
		break;
	case FMT_CANONICAL:
		error = regit_schema_canonical(schema, &out);
		if (error == 0)
			error = regit_buf_putc(&out, '\n');
		break;
	case FMT_RABIN: {
		uint64_t fp = 0;

		error = regit_type_fingerprint_rabin(&fp, regit_schema_root(schema));
		if (error == 0)
			error = regit_buf_printf(&out, "%016" PRIx64 "\n", fp);
		break;
	}
	case FMT_SHA256:
		error = regit_schema_fingerprint_sha256(schema, sha);
		for (i = 0; error == 0 && i < 32; i++)
			error = regit_buf_printf(&out, "%02x", sha[i]);
		if (error == 0)
			error = regit_buf_putc(&out, '\n');
		break;
	}
	if (error < 0) {
		fprintf(stderr, "%s: error: %s\n", file, regit_error_message());
		status = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL : REGIT_EXIT_USAGE;
		goto done;
	}
	if (fwrite(out.ptr, 1, out.size, stdout) != out.size || fflush(stdout) != 0) {
		fprintf(stderr, "regit fmt: cannot write to standard output\n");
		status = REGIT_EXIT_USAGE;
	}
done:
	regit_schema_free(schema);
	regit_buf_dispose(&in);
	regit_buf_dispose(&out);
	return status;
}
