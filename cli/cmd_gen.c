/*
 * cmd_gen.c - `regit gen`: write C encoders/decoders for Avro schemas.
 *
 *   regit gen [-o DIR] [--prefix NAME] [--json] SCHEMA.avsc[:ID]...
 *   regit gen [-o DIR] [--prefix NAME] [--json] --reader NEW.avsc[:ID]
 *             --writer OLD.avsc:ID [--writer OLDER.avsc:ID ...]
 *
 * Each schema becomes DIR/NAME.h + DIR/NAME.c, plus the shared runtime
 * DIR/regit_avro.h; the written paths are printed one per line. A schema
 * file may carry its registry id after a colon (FILE:ID); writer schemas
 * must, because the id in a Confluent frame selects their decoder.
 * Exit codes: 0 written, 1 a writer schema cannot be resolved against the
 * reader, 2 usage / invalid schema / I/O, 3 out of memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "codegen/gen.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define GEN_MAX_INPUTS 256

typedef struct gen_input {
	char *path;          /* owned */
	int has_id;
	uint32_t id;
	regit_schema *schema;/* owned */
} gen_input;

static void gen_usage(FILE *f)
{
	fprintf(f,
		"usage: regit gen [-o DIR] [--prefix NAME] [--json] SCHEMA.avsc[:ID]...\n"
		"       regit gen [-o DIR] [--prefix NAME] [--json] --reader NEW.avsc[:ID]\n"
		"                 --writer OLD.avsc:ID [--writer OLDER.avsc:ID ...]\n"
		"\n"
		"Generate self-contained C encoders/decoders (NAME.h + NAME.c per schema,\n"
		"plus the shared runtime header regit_avro.h) for Avro schemas.\n"
		"\n"
		"options:\n"
		"  -o, --output DIR   directory to write into (default: .)\n"
		"  --prefix NAME      prepend NAME_ to every generated identifier\n"
		"  --json             NAME_to_json/NAME_from_json (not implemented yet)\n"
		"  --reader FILE      the schema to decode into (schema evolution)\n"
		"  --writer FILE:ID   a schema the data may have been written with, and its\n"
		"                     registry id; NAME_decode_frame picks the decoder by\n"
		"                     the frame's id (repeatable)\n"
		"  -h, --help         this help\n"
		"\n"
		"FILE:ID gives a schema's Confluent registry id; with ids known,\n"
		"NAME_decode_frame rejects frames whose id is not among them.\n"
		"\n"
		"exit status: 0 ok, 1 a writer cannot be resolved against the reader,\n"
		"2 usage or invalid schema or I/O error, 3 out of memory\n");
}

/* Split "file.avsc:42" into path and id when the suffix is all digits. */
static int gen_split_id(gen_input *in, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	char *endp;
	unsigned long long id;
	struct stat st;

	memset(in, 0, sizeof(*in));
	if (colon && colon[1] && stat(arg, &st) != 0) {
		errno = 0;
		id = strtoull(colon + 1, &endp, 10);
		if (*endp == '\0' && errno == 0 && colon[1] != '-' && id <= 0xffffffffull) {
			in->path = regit_strndup(arg, (size_t)(colon - arg));
			in->has_id = 1;
			in->id = (uint32_t)id;
			return in->path ? 0 : REGIT_ENOMEM;
		}
	}
	in->path = regit_strdup(arg);
	return in->path ? 0 : REGIT_ENOMEM;
}

static int gen_load(gen_input *in)
{
	regit_schema_error err;
	int error;

	memset(&err, 0, sizeof(err));
	error = regit_schema_parse_file(&in->schema, in->path, NULL, &err);
	if (error == REGIT_ENOMEM) {
		fprintf(stderr, "regit gen: out of memory\n");
		return REGIT_EXIT_INTERNAL;
	}
	if (error < 0) {
		if (err.line > 0)
			fprintf(stderr, "regit gen: %s:%d:%d: %s%s%s\n", in->path, err.line,
				err.column, err.message, err.path[0] ? " at " : "", err.path);
		else
			fprintf(stderr, "regit gen: %s: %s%s%s\n", in->path, err.message,
				err.path[0] ? " at " : "", err.path);
		return REGIT_EXIT_USAGE;
	}
	return 0;
}

static int gen_write_file(const char *dir, const char *name, const char *ext,
	const char *data, size_t len)
{
	regit_buf path = REGIT_BUF_INIT;
	FILE *f = NULL;
	int ok;

	if (regit_buf_printf(&path, "%s/%s%s", dir, name, ext) < 0) {
		regit_buf_dispose(&path);
		return REGIT_EXIT_INTERNAL;
	}
	f = fopen(path.ptr, "wb");
	ok = f && fwrite(data, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "regit gen: cannot write %s: %s\n", path.ptr, strerror(errno));
		regit_buf_dispose(&path);
		return REGIT_EXIT_USAGE;
	}
	printf("%s\n", path.ptr);
	regit_buf_dispose(&path);
	return 0;
}

/* The file's base name without directories and ".avsc": the fallback name. */
static char *gen_stem(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	size_t n = strlen(b);

	if (n > 5 && strcmp(b + n - 5, ".avsc") == 0)
		n -= 5;
	return regit_strndup(b, n);
}

static int gen_one(const char *dir, const gen_input *in, const char *prefix, int json,
	const regit_gen_writer *writers, size_t nwriters)
{
	regit_gen_options opts = REGIT_GEN_OPTIONS_INIT;
	regit_gen_output out;
	char *stem = gen_stem(in->path);
	int error, rc = 0;

	if (!stem)
		return REGIT_EXIT_INTERNAL;
	opts.prefix = prefix;
	opts.fallback_name = stem;
	opts.has_id = in->has_id;
	opts.id = in->id;
	opts.json = json;
	opts.source = in->path;
	opts.writers = writers;
	opts.nwriters = nwriters;
	error = regit_gen_generate(&out, in->schema, &opts);
	if (error < 0) {
		fprintf(stderr, "regit gen: %s: %s\n", in->path, regit_error_message());
		rc = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL :
			error == REGIT_EINCOMPATIBLE ? REGIT_EXIT_FAIL : REGIT_EXIT_USAGE;
		goto done;
	}
	rc = gen_write_file(dir, out.name, ".h", regit_buf_cstr(&out.header), out.header.size);
	if (rc == 0)
		rc = gen_write_file(dir, out.name, ".c", regit_buf_cstr(&out.source), out.source.size);
done:
	regit_gen_output_dispose(&out);
	regit_free(stem);
	return rc;
}

int regit_cmd_gen(int argc, char **argv)
{
	gen_input inputs[GEN_MAX_INPUTS];
	gen_input writers_in[GEN_MAX_INPUTS];
	regit_gen_writer writers[GEN_MAX_INPUTS];
	size_t ninputs = 0, nwriters = 0, i;
	const char *dir = ".", *prefix = NULL, *reader = NULL;
	int json = 0, rc = 0, a;
	struct stat st;

	if (regit_cli_wants_help(argc, argv)) {
		gen_usage(stdout);
		return REGIT_EXIT_OK;
	}
	for (a = 1; a < argc && rc == 0; a++) {
		const char *arg = argv[a];
		int needs_value = strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0 ||
			strcmp(arg, "--prefix") == 0 || strcmp(arg, "--reader") == 0 ||
			strcmp(arg, "--writer") == 0;

		if (needs_value && a + 1 >= argc) {
			fprintf(stderr, "regit gen: %s needs a value\n", arg);
			rc = REGIT_EXIT_USAGE;
			break;
		}
		if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
			dir = argv[++a];
		} else if (strcmp(arg, "--prefix") == 0) {
			prefix = argv[++a];
		} else if (strcmp(arg, "--json") == 0) {
			json = 1;
		} else if (strcmp(arg, "--reader") == 0) {
			if (reader) {
				fprintf(stderr, "regit gen: only one --reader\n");
				rc = REGIT_EXIT_USAGE;
				break;
			}
			reader = argv[++a];
		} else if (strcmp(arg, "--writer") == 0) {
			if (nwriters == GEN_MAX_INPUTS) {
				fprintf(stderr, "regit gen: too many --writer schemas\n");
				rc = REGIT_EXIT_USAGE;
				break;
			}
			if (gen_split_id(&writers_in[nwriters], argv[++a]) < 0)
				rc = REGIT_EXIT_INTERNAL;
			nwriters++;
			if (rc == 0 && !writers_in[nwriters - 1].has_id) {
				fprintf(stderr, "regit gen: --writer %s needs its registry id: FILE:ID\n",
					argv[a]);
				rc = REGIT_EXIT_USAGE;
			}
		} else if (strcmp(arg, "--") == 0) {
			continue;
		} else if (arg[0] == '-' && arg[1]) {
			fprintf(stderr, "regit gen: unknown option %s\n", arg);
			rc = REGIT_EXIT_USAGE;
		} else {
			if (ninputs == GEN_MAX_INPUTS) {
				fprintf(stderr, "regit gen: too many schemas\n");
				rc = REGIT_EXIT_USAGE;
				break;
			}
			if (gen_split_id(&inputs[ninputs++], arg) < 0)
				rc = REGIT_EXIT_INTERNAL;
		}
	}
	if (rc == 0 && reader) {
		if (ninputs == GEN_MAX_INPUTS) {
			rc = REGIT_EXIT_USAGE;
		} else if (gen_split_id(&inputs[ninputs++], reader) < 0) {
			rc = REGIT_EXIT_INTERNAL;
		} else if (ninputs != 1) {
			fprintf(stderr, "regit gen: --reader takes the only schema; no other SCHEMA arguments\n");
			rc = REGIT_EXIT_USAGE;
		}
	}
	if (rc == 0 && nwriters && !reader) {
		fprintf(stderr, "regit gen: --writer needs --reader\n");
		rc = REGIT_EXIT_USAGE;
	}
	if (rc == 0 && ninputs == 0) {
		gen_usage(stderr);
		rc = REGIT_EXIT_USAGE;
	}
	if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "regit gen: %s is not a directory\n", dir);
		rc = REGIT_EXIT_USAGE;
	}
	for (i = 0; i < ninputs && rc == 0; i++)
		rc = gen_load(&inputs[i]);
	for (i = 0; i < nwriters && rc == 0; i++) {
		rc = gen_load(&writers_in[i]);
		writers[i].schema = writers_in[i].schema;
		writers[i].id = writers_in[i].id;
		writers[i].label = writers_in[i].path;
	}
	if (rc == 0) {
		const char *rt = regit_gen_runtime_header();

		rc = gen_write_file(dir, REGIT_GEN_RUNTIME_NAME, "", rt, strlen(rt));
	}
	for (i = 0; i < ninputs && rc == 0; i++)
		rc = gen_one(dir, &inputs[i], prefix, json, writers, nwriters);

	for (i = 0; i < ninputs; i++) {
		regit_free(inputs[i].path);
		regit_schema_free(inputs[i].schema);
	}
	for (i = 0; i < nwriters; i++) {
		regit_free(writers_in[i].path);
		regit_schema_free(writers_in[i].schema);
	}
	return rc;
}
