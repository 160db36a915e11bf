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
#include "cli/opt.h"
#include "compat/schema.h"
#include "util/buf.h"
#include "util/error.h"

void regit_cli_print_schema_error(const char *file, const regit_schema_error *err);

typedef enum { FMT_PRETTY, FMT_COMPACT, FMT_CANONICAL, FMT_RABIN, FMT_SHA256 } fmt_mode;

enum { FMT_OPT_COMPACT = 1, FMT_OPT_CANONICAL, FMT_OPT_FINGERPRINT };

static const regit_opt_spec fmt_specs[] = {
	{ REGIT_OPT_FLAG, FMT_OPT_COMPACT, "compact", 0, NULL,
	  "one line, as Avro Java's Schema.toString() writes it\n"
	  "(the schema string a Confluent registry stores)" },
	{ REGIT_OPT_FLAG, FMT_OPT_CANONICAL, "canonical", 0, NULL,
	  "Avro Parsing Canonical Form" },
	{ REGIT_OPT_VALUE, FMT_OPT_FINGERPRINT, "fingerprint", 0, "rabin|sha256",
	  "rabin: CRC-64-AVRO of the canonical form, 16 hex\n"
	  "digits; sha256: SHA-256 of it, 64 hex digits" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const fmt_frags[] = { fmt_specs, NULL };

const regit_opt_cmd regit_cmd_fmt_opts = {
	"fmt", "print a schema pretty, canonical, or its fingerprint",
	"[--compact | --canonical | --fingerprint rabin|sha256] FILE",
	"Print an Avro schema file (FILE may be - for standard input); by default\n"
	"indented, stable JSON for people and git.",
	fmt_frags, NULL,
	"0 printed\n2 invalid schema, unreadable file or bad usage\n3 out of memory\n"
};

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
	regit_opt_parser p;
	regit_opt o;
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	regit_buf in, out = REGIT_BUF_INIT;
	regit_schema *schema = NULL;
	regit_schema_error err;
	fmt_mode mode = FMT_PRETTY;
	const char *file = NULL;
	unsigned char sha[32];
	int i, r, modes = 0, error = 0, status = REGIT_EXIT_OK;

	if (regit_opt_help_requested(&regit_cmd_fmt_opts, argc, argv))
		return REGIT_EXIT_OK;
	regit_opt_parser_init(&p, &regit_cmd_fmt_opts, argc, argv);
	for (;;) {
		const char *algo;

		r = regit_opt_next(&o, &p);
		if (r < 0)
			return REGIT_EXIT_USAGE;
		if (r == 0)
			break;
		algo = o.value;
		if (!o.spec && file) {
			return regit_opt_usage_error(&regit_cmd_fmt_opts, "one FILE at a time");
		} else if (!o.spec) {
			file = o.value;
		} else if (o.spec->id == FMT_OPT_COMPACT) {
			mode = FMT_COMPACT;
			modes++;
		} else if (o.spec->id == FMT_OPT_CANONICAL) {
			mode = FMT_CANONICAL;
			modes++;
		} else {
			if (strcmp(algo, "rabin") == 0) {
				mode = FMT_RABIN;
			} else if (strcmp(algo, "sha256") == 0) {
				mode = FMT_SHA256;
			} else {
				return regit_opt_usage_error(&regit_cmd_fmt_opts,
					"unknown fingerprint '%s' (rabin or sha256)", algo);
			}
			modes++;
		}
	}
	if (!file || modes > 1) {
		return regit_opt_usage_error(&regit_cmd_fmt_opts, "%s", !file ? "no schema file given"
			: "choose one of --compact, --canonical, --fingerprint");
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
