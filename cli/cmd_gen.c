/*
 * cmd_gen.c - `regit gen`: write C encoders/decoders for Avro schemas.
 *
 *   regit gen [-o DIR] [--prefix NAME] [--json] SCHEMA.avsc[:ID]...
 *   regit gen [-o DIR] [--prefix NAME] [--json] --reader NEW.avsc[:ID]
 *             --writer OLD.avsc:ID [--writer OLDER.avsc:ID ...]
 *   regit gen [-o DIR] [--prefix NAME] [--json] [--reader NEW.avsc[:ID]]
 *             --subject S [--registry URL] [--user-file F] [--timeout SECS]
 *
 * Each schema becomes DIR/NAME.h + DIR/NAME.c, plus the shared runtime
 * DIR/regit_avro.h; DIR is created when missing and the written paths are
 * printed one per line. A schema file may carry its registry id after a
 * colon (FILE:ID); writer schemas must, because the id in a Confluent frame
 * selects their decoder. With --subject the writers are every registered
 * version of S with its id, soft-deleted ones included (events written with
 * them may still sit in topics) unless --live-only, pulled from a running
 * registry through cli/client.c (the connection options are the client
 * commands'); the reader is --reader, or else the latest live version.
 * Exit codes: 0 written, 1 a writer schema cannot be resolved against the
 * reader, 2 usage / invalid schema / I/O / registry error, 3 out of memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "codegen/gen.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define GEN_MAX_INPUTS 256

typedef struct gen_input {
	char *path;          /* owned: the file, or the subject for registry schemas */
	char *label;         /* owned: name in messages and comments; NULL: path */
	int has_id;
	uint32_t id;
	int deleted;         /* a soft-deleted registry version */
	regit_schema *schema;/* owned */
} gen_input;

enum {
	GEN_OPT_OUTPUT = 1,
	GEN_OPT_PREFIX,
	GEN_OPT_JSON,
	GEN_OPT_READER,
	GEN_OPT_WRITER,
	GEN_OPT_SUBJECT,
	GEN_OPT_LIVE_ONLY
};

static const regit_opt_spec gen_specs[] = {
	{ REGIT_OPT_VALUE, GEN_OPT_OUTPUT, "output", 'o', "DIR",
	  "directory to write into, created if missing (default: .)" },
	{ REGIT_OPT_VALUE, GEN_OPT_PREFIX, "prefix", 0, "NAME",
	  "prepend NAME_ to every generated identifier" },
	{ REGIT_OPT_FLAG, GEN_OPT_JSON, "json", 0, NULL,
	  "also NAME_to_json/NAME_from_json (Avro JSON; needs jansson)" },
	{ REGIT_OPT_VALUE, GEN_OPT_READER, "reader", 0, "FILE[:ID]",
	  "the schema to decode into (schema evolution)" },
	{ REGIT_OPT_LIST, GEN_OPT_WRITER, "writer", 0, "FILE:ID",
	  "a schema the data may have been written with, and its\n"
	  "registry id; NAME_decode_frame picks the decoder by\n"
	  "the frame's id" },
	{ REGIT_OPT_VALUE, GEN_OPT_SUBJECT, "subject", 0, "SUBJECT",
	  "the writers are every version registered under\n"
	  "SUBJECT, each with its id, soft-deleted ones too\n"
	  "(their ids may still be in topics); without\n"
	  "--reader the latest live version is the reader" },
	{ REGIT_OPT_FLAG, GEN_OPT_LIVE_ONLY, "live-only", 0, NULL,
	  "leave soft-deleted versions out" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const gen_frags[] = {
	gen_specs, regit_remote_conn_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_gen_opts = {
	"gen", "generate C encoders/decoders from Avro schemas",
	"[-o DIR] [--prefix NAME] [--json] SCHEMA.avsc[:ID]...\n"
	"[-o DIR] [--prefix NAME] [--json] --reader NEW.avsc[:ID] --writer OLD.avsc:ID...\n"
	"[-o DIR] [--prefix NAME] [--json] [--reader NEW.avsc[:ID]] --subject SUBJECT [--live-only] [options]",
	"Generate self-contained C encoders/decoders (NAME.h + NAME.c per schema,\n"
	"plus the shared runtime header regit_avro.h) for Avro schemas. The\n"
	"written paths are printed one per line.",
	gen_frags,
	"FILE:ID gives a schema's Confluent registry id; with ids known,\n"
	"NAME_decode_frame rejects frames whose id is not among them. A --reader\n"
	"without :ID that is registered under SUBJECT gets that version's id.\n"
	"--registry, --user-file, --user and --timeout need --subject.",
	"0 written\n"
	"1 a writer cannot be resolved against the reader\n"
	"2 usage, invalid schema, I/O, registry or network error\n"
	"3 out of memory\n"
};

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

void regit_cli_print_schema_warnings(const char *file, const regit_schema *schema);

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
	regit_cli_print_schema_warnings(in->path, in->schema);
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

/*
 * Generate the code for one schema into *out (dispose it also on failure).
 * Nothing is written here: every schema is generated before any file is,
 * so a failing run leaves DIR as it was.
 */
static int gen_one(regit_gen_output *out, const gen_input *in, const char *prefix,
	int json, const regit_gen_writer *writers, size_t nwriters)
{
	regit_gen_options opts = REGIT_GEN_OPTIONS_INIT;
	char *stem = gen_stem(in->path);
	int error, rc = 0;

	if (!stem)
		return REGIT_EXIT_INTERNAL;
	opts.prefix = prefix;
	opts.fallback_name = stem;
	opts.has_id = in->has_id;
	opts.id = in->id;
	opts.json = json;
	opts.source = in->label ? in->label : in->path;
	opts.writers = writers;
	opts.nwriters = nwriters;
	error = regit_gen_generate(out, in->schema, &opts);
	if (error < 0) {
		fprintf(stderr, "regit gen: %s: %s\n", in->label ? in->label : in->path,
			regit_error_message());
		rc = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL :
			error == REGIT_EINCOMPATIBLE ? REGIT_EXIT_FAIL : REGIT_EXIT_USAGE;
	}
	regit_free(stem);
	return rc;
}

static void gen_input_dispose(gen_input *in)
{
	regit_free(in->path);
	regit_free(in->label);
	regit_schema_free(in->schema);
	memset(in, 0, sizeof(*in));
}

/* mkdir -p: create DIR and its missing parents; an existing directory is fine. */
static int gen_mkdirs(const char *dir)
{
	struct stat st;
	char *p;
	size_t i, n = strlen(dir);
	int rc = 0;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		fprintf(stderr, "regit gen: %s is not a directory\n", dir);
		return REGIT_EXIT_USAGE;
	}
	p = regit_strdup(dir);
	if (!p)
		return REGIT_EXIT_INTERNAL;
	/* Each prefix ending before a '/' (and the whole path), shortest first. */
	for (i = 1; i <= n && rc == 0; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (stat(p, &st) != 0 && mkdir(p, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "regit gen: cannot create directory %s: %s\n", p,
				strerror(errno));
			rc = REGIT_EXIT_USAGE;
		}
		p[i] = dir[i];
	}
	regit_free(p);
	if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "regit gen: %s is not a directory\n", dir);
		rc = REGIT_EXIT_USAGE;
	}
	return rc;
}

/*
 * A version that uses schema references is not self-contained: ask the
 * registry for its text with the references inlined (GET
 * /schemas/ids/{id}?format=resolved; regit serve and Confluent 7.x+).
 * @return 0 parsed into *out; < 0 when the registry cannot or the answer
 *         does not parse either (the caller reports the original error)
 */
static int gen_parse_resolved(regit_schema **out, regit_client *client, int id)
{
	regit_client_schema resolved = REGIT_CLIENT_SCHEMA_INIT;
	regit_schema_error err;
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	int error;

	memset(&err, 0, sizeof(err));
	error = regit_buf_printf(&path, "/schemas/ids/%d", id);
	if (error == 0)
		error = regit_client_put_query(&path, "format", "resolved");
	if (error == 0)
		error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error == 0)
		error = regit_client_parse_schema(&resolved, resp);
	if (error == 0)
		error = regit_schema_parse(out, resolved.schema, strlen(resolved.schema), NULL,
			&err);
	regit_client_schema_dispose(&resolved);
	json_decref(resp);
	regit_buf_dispose(&path);
	return error;
}

/*
 * Pull every live version of `subject` with its id and parse it.
 * @param out  receives count inputs, oldest first (owned; each disposed with
 *             gen_input_dispose, the array freed with regit_free)
 * @return 0 or an exit code (the message is printed)
 */
static int gen_fetch(gen_input **out, size_t *count, const regit_remote *remote,
	const char *subject, int with_deleted)
{
	regit_client *client = NULL;
	regit_client_schema *vs = NULL;
	gen_input *ins = NULL;
	regit_buf label = REGIT_BUF_INIT;
	size_t n = 0, i;
	int error, rc = 0;

	*out = NULL;
	*count = 0;
	error = regit_remote_connect(&client, remote);
	if (error == 0)
		error = regit_client_fetch_subject(&vs, &n, client, subject, with_deleted);
	if (error < 0) {
		rc = regit_remote_fail(remote, error, 0);
		goto done;
	}
	ins = regit_calloc(n, sizeof(*ins));
	if (!ins) {
		rc = REGIT_EXIT_INTERNAL;
		goto done;
	}
	for (i = 0; i < n && rc == 0; i++) {
		regit_schema_error err;

		memset(&err, 0, sizeof(err));
		regit_buf_clear(&label);
		ins[i].has_id = 1;
		ins[i].id = (uint32_t)vs[i].id;
		ins[i].deleted = vs[i].deleted;
		ins[i].path = regit_strdup(subject);
		if (!ins[i].path || regit_buf_printf(&label, "subject %s version %d (id %d%s)",
			subject, vs[i].version, vs[i].id, vs[i].deleted ? ", soft-deleted" : "") < 0 ||
		    !(ins[i].label = regit_buf_detach(&label))) {
			rc = REGIT_EXIT_INTERNAL;
			break;
		}
		error = regit_schema_parse(&ins[i].schema, vs[i].schema, strlen(vs[i].schema),
			NULL, &err);
		if (error == REGIT_EINVALID) {
			int again = gen_parse_resolved(&ins[i].schema, client, vs[i].id);

			if (again == 0 || again == REGIT_ENOMEM)
				error = again;
		}
		if (error == REGIT_ENOMEM) {
			rc = REGIT_EXIT_INTERNAL;
		} else if (error < 0) {
			fprintf(stderr, "regit gen: %s: not a schema regit can generate from: %s%s%s\n",
				ins[i].label, err.message, err.path[0] ? " at " : "", err.path);
			rc = REGIT_EXIT_USAGE;
		}
	}
	if (rc == REGIT_EXIT_INTERNAL)
		fprintf(stderr, "regit gen: out of memory\n");
	if (rc == 0) {
		*out = ins;
		*count = n;
		ins = NULL;
	}
done:
	if (ins) {
		for (i = 0; i < n; i++)
			gen_input_dispose(&ins[i]);
		regit_free(ins);
	}
	regit_buf_dispose(&label);
	regit_client_schemas_free(vs, n);
	regit_client_free(client);
	return rc;
}

/* 1 when both schemas have the same Parsing Canonical Form (same bytes on the wire). */
static int gen_same_canonical(const regit_schema *a, const regit_schema *b, int *same)
{
	regit_buf ca = REGIT_BUF_INIT, cb = REGIT_BUF_INIT;
	int error;

	error = regit_schema_canonical(a, &ca);
	if (error == 0)
		error = regit_schema_canonical(b, &cb);
	*same = error == 0 && ca.size == cb.size && memcmp(regit_buf_cstr(&ca),
		regit_buf_cstr(&cb), ca.size) == 0;
	regit_buf_dispose(&ca);
	regit_buf_dispose(&cb);
	return error;
}

/*
 * Choose the reader and the writers among a subject's versions `vs`
 * (consumed: moved into *reader or *writers, or disposed).
 *
 * Without a reader file the latest live version is the reader. A reader file
 * without an id that has the same canonical form as a version takes its id
 * (its own decoder then serves that id); a reader id that names a version
 * with a different canonical form is refused, since the frames carrying it
 * would be misread. Every other version is a writer, once per id.
 */
static int gen_pick(gen_input *reader, int have_reader, gen_input *vs, size_t n,
	gen_input *writers, size_t *nwriters)
{
	size_t i, j;
	int rc = 0, same = 0;

	if (!have_reader) {
		size_t r = n;

		while (r > 0 && vs[r - 1].deleted)
			r--;
		if (r == 0) {
			fprintf(stderr, "regit gen: %s: every version is soft-deleted; "
				"name the reader with --reader\n", vs[0].path);
			rc = REGIT_EXIT_USAGE;
		} else {
			*reader = vs[r - 1];
			memset(&vs[r - 1], 0, sizeof(vs[r - 1]));
		}
	}
	for (i = n; i-- > 0 && rc == 0;) {
		if (!vs[i].schema)
			continue;
		if (reader->has_id && vs[i].id != reader->id)
			continue;
		if (gen_same_canonical(reader->schema, vs[i].schema, &same) < 0) {
			rc = REGIT_EXIT_INTERNAL;
		} else if (same && !reader->has_id) {
			reader->has_id = 1;
			reader->id = vs[i].id;
		} else if (!same && reader->has_id) {
			fprintf(stderr, "regit gen: %s: id %lu is %s, a different schema\n",
				reader->label ? reader->label : reader->path,
				(unsigned long)reader->id, vs[i].label);
			rc = REGIT_EXIT_USAGE;
		}
	}
	for (i = 0; i < n && rc == 0; i++) {
		int dup = !vs[i].schema || (reader->has_id && vs[i].id == reader->id);

		for (j = 0; j < *nwriters && !dup; j++)
			dup = writers[j].id == vs[i].id;
		if (dup)
			continue;
		writers[(*nwriters)++] = vs[i];
		memset(&vs[i], 0, sizeof(vs[i]));
	}
	for (i = 0; i < n; i++)
		gen_input_dispose(&vs[i]);
	return rc;
}

int regit_cmd_gen(int argc, char **argv)
{
	regit_remote remote = REGIT_REMOTE_INIT("gen");
	gen_input inputs[GEN_MAX_INPUTS];
	gen_input *writers_in = NULL, *fetched = NULL;
	regit_gen_writer *writers = NULL;
	regit_gen_output *outs = NULL;
	size_t ninputs = 0, nwriters = 0, nfetched = 0, nouts = 0, i;
	const char *dir = ".", *prefix = NULL, *reader = NULL, *subject = NULL;
	regit_opt_parser p;
	regit_opt o;
	int json = 0, rc = 0, m, remote_opts = 0, live_only = 0;

	if (regit_opt_help_requested(&regit_cmd_gen_opts, argc, argv))
		return REGIT_EXIT_OK;
	remote.opt = &regit_cmd_gen_opts;
	/* Room for the file writers; registry versions are added after fetching. */
	writers_in = regit_calloc(GEN_MAX_INPUTS, sizeof(*writers_in));
	if (!writers_in) {
		fprintf(stderr, "regit gen: out of memory\n");
		return REGIT_EXIT_INTERNAL;
	}
	regit_opt_parser_init(&p, &regit_cmd_gen_opts, argc, argv);
	while (rc == 0 && (m = regit_opt_next(&o, &p)) != 0) {
		if (m < 0) {
			rc = REGIT_EXIT_USAGE;
			break;
		}
		if (!o.spec) {
			if (ninputs == GEN_MAX_INPUTS) {
				rc = regit_opt_usage_error(&regit_cmd_gen_opts, "too many schemas");
				break;
			}
			if (gen_split_id(&inputs[ninputs++], o.value) < 0)
				rc = REGIT_EXIT_INTERNAL;
			continue;
		}
		/* The client commands' connection options, as they spell them. */
		m = regit_remote_apply(&remote, &o);
		if (m < 0) {
			rc = REGIT_EXIT_USAGE;
			break;
		}
		if (m > 0) {
			remote_opts = 1;
			continue;
		}
		switch (o.spec->id) {
		case GEN_OPT_OUTPUT:
			dir = o.value;
			break;
		case GEN_OPT_PREFIX:
			prefix = o.value;
			break;
		case GEN_OPT_JSON:
			json = 1;
			break;
		case GEN_OPT_LIVE_ONLY:
			live_only = 1;
			break;
		case GEN_OPT_SUBJECT:
			subject = o.value;
			break;
		case GEN_OPT_READER:
			if (reader) {
				rc = regit_opt_usage_error(&regit_cmd_gen_opts, "only one --reader");
				break;
			}
			reader = o.value;
			break;
		case GEN_OPT_WRITER:
			if (nwriters == GEN_MAX_INPUTS) {
				rc = regit_opt_usage_error(&regit_cmd_gen_opts, "too many --writer schemas");
				break;
			}
			if (gen_split_id(&writers_in[nwriters], o.value) < 0)
				rc = REGIT_EXIT_INTERNAL;
			nwriters++;
			if (rc == 0 && !writers_in[nwriters - 1].has_id)
				rc = regit_opt_usage_error(&regit_cmd_gen_opts,
					"--writer %s needs its registry id: FILE:ID", o.value);
			break;
		}
	}
	if (rc == 0 && subject && ninputs) {
		fprintf(stderr, "regit gen: --subject takes no SCHEMA arguments (the reader is --reader or the latest version)\n");
		rc = REGIT_EXIT_USAGE;
	}
	if (rc == 0 && (remote_opts || live_only) && !subject) {
		fprintf(stderr, "regit gen: --registry, --user, --user-file, --timeout and --live-only need --subject\n");
		rc = REGIT_EXIT_USAGE;
	}
	if (rc == 0 && subject)
		rc = regit_remote_check_subject(&remote, subject);
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
	if (rc == 0 && nwriters && !reader && !subject) {
		fprintf(stderr, "regit gen: --writer needs --reader\n");
		rc = REGIT_EXIT_USAGE;
	}
	if (rc == 0 && ninputs == 0 && !subject)
		rc = regit_opt_usage_error(&regit_cmd_gen_opts,
			"name a SCHEMA.avsc, --reader with --writer, or --subject");
	for (i = 0; i < ninputs && rc == 0; i++)
		rc = gen_load(&inputs[i]);
	for (i = 0; i < nwriters && rc == 0; i++)
		rc = gen_load(&writers_in[i]);
	if (rc == 0 && subject) {
		rc = gen_fetch(&fetched, &nfetched, &remote, subject, !live_only);
		if (rc == 0) {
			gen_input *grown = regit_reallocarray(writers_in, nwriters + nfetched + 1,
				sizeof(*writers_in));

			if (!grown) {
				fprintf(stderr, "regit gen: out of memory\n");
				rc = REGIT_EXIT_INTERNAL;
			} else {
				writers_in = grown;
				rc = gen_pick(&inputs[0], ninputs > 0, fetched, nfetched,
					writers_in, &nwriters);
				if (ninputs == 0)
					ninputs = 1;
			}
		}
	}
	if (rc == 0 && nwriters) {
		writers = regit_calloc(nwriters, sizeof(*writers));
		if (!writers) {
			fprintf(stderr, "regit gen: out of memory\n");
			rc = REGIT_EXIT_INTERNAL;
		}
	}
	for (i = 0; i < nwriters && rc == 0; i++) {
		writers[i].schema = writers_in[i].schema;
		writers[i].id = writers_in[i].id;
		writers[i].label = writers_in[i].label ? writers_in[i].label : writers_in[i].path;
	}
	if (rc == 0 && !(outs = regit_calloc(ninputs ? ninputs : 1, sizeof(*outs)))) {
		fprintf(stderr, "regit gen: out of memory\n");
		rc = REGIT_EXIT_INTERNAL;
	}
	for (i = 0; i < ninputs && rc == 0; i++) {
		rc = gen_one(&outs[i], &inputs[i], prefix, json, writers, nwriters);
		nouts = i + 1;
	}
	/* Two schemas that become the same NAME.h/NAME.c: refuse rather than
	 * let the second silently overwrite the first. */
	for (i = 0; i < nouts && rc == 0; i++) {
		size_t j;

		for (j = 0; j < i && rc == 0; j++) {
			if (strcmp(outs[i].name, outs[j].name) != 0)
				continue;
			fprintf(stderr, "regit gen: %s and %s both generate %s.h and %s.c; "
				"generate them into different directories (-o) or rename one with --prefix\n",
				inputs[j].label ? inputs[j].label : inputs[j].path,
				inputs[i].label ? inputs[i].label : inputs[i].path,
				outs[i].name, outs[i].name);
			rc = REGIT_EXIT_USAGE;
		}
	}
	if (rc == 0)
		rc = gen_mkdirs(dir);
	if (rc == 0) {
		const char *rt = regit_gen_runtime_header();

		rc = gen_write_file(dir, REGIT_GEN_RUNTIME_NAME, "", rt, strlen(rt));
	}
	for (i = 0; i < nouts && rc == 0; i++) {
		rc = gen_write_file(dir, outs[i].name, ".h", regit_buf_cstr(&outs[i].header),
			outs[i].header.size);
		if (rc == 0)
			rc = gen_write_file(dir, outs[i].name, ".c",
				regit_buf_cstr(&outs[i].source), outs[i].source.size);
	}

	for (i = 0; i < nouts; i++)
		regit_gen_output_dispose(&outs[i]);
	regit_free(outs);
	for (i = 0; i < ninputs; i++)
		gen_input_dispose(&inputs[i]);
	for (i = 0; i < nwriters; i++)
		gen_input_dispose(&writers_in[i]);
	/* On a fetch or pick failure the fetched versions were already disposed. */
	regit_free(fetched);
	regit_free(writers_in);
	regit_free(writers);
	return rc;
}
