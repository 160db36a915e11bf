/*
 * cmd_decode.c - `regit decode`: print Confluent-framed Avro messages as JSON.
 *
 * For debugging across services: take the messages a consumer logged or
 * `kcat -f '%s\n'` dumped, look each writer schema up by the id in its
 * header (GET /schemas/ids/{id}, cached per id), optionally resolve to a
 * reader schema (--reader FILE, or --subject S [--version V] from the
 * registry), and print one Avro-JSON object per line, or only the --fields
 * asked for (event_id,correlation_id) so one id can be followed through
 * many topics with grep.
 *
 * Input formats (--input-format):
 *   raw         each FILE is one message (no FILE: stdin is one message)
 *   hex         one message per line, hex digits (case-insensitive)
 *   base64      one message per line, standard or URL-safe base64, padding
 *               optional
 *   json-lines  one JSON object per line; its "value" member is the message
 *               as a base64 string, or as hex when the object also has
 *               "encoding": "hex"; other members (topic, partition, offset,
 *               key...) are ignored, and named in error messages when they
 *               are topic/partition/offset
 * Blank lines are skipped (they are not messages). Lines are capped at
 * DECODE_MAX_LINE bytes, raw messages at DECODE_MAX_MESSAGE.
 *
 * A message that cannot be decoded gets one line on stderr naming its
 * position (FILE, or FILE:LINE; stdin is "stdin"), and the others are still
 * printed. Exit status: 0 all decoded, 1 some message failed, 2 usage or
 * registry errors (unreachable, bad credentials, an unusable reader), 3 out
 * of memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/remote.h"
#include "compat/datum.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define DECODE_MAX_MESSAGE ((size_t)64 << 20)
#define DECODE_MAX_LINE ((size_t)128 << 20)
/* Distinct writer ids remembered (a log rarely holds more than a handful). */
#define DECODE_MAX_CACHE 4096
#define DECODE_MAX_FIELDS 64

typedef enum decode_format {
	DECODE_RAW = 0,
	DECODE_HEX,
	DECODE_BASE64,
	DECODE_JSON_LINES
} decode_format;

typedef struct decode_writer {
	unsigned long id;
	regit_schema *schema;     /* owned; NULL when the registry does not know the id */
	char *problem;            /* owned; why schema is NULL */
	regit_datum_decoder *decoder; /* owned; schema read as the reader, made on first use */
} decode_writer;

typedef struct decode_state {
	regit_remote remote;
	regit_client *client;     /* owned; connected on first use */
	decode_format format;
	regit_schema *reader;     /* owned; NULL: read as written */
	const char *fields[DECODE_MAX_FIELDS];
	size_t nfields;
	char *fields_copy;        /* owned; fields point into it */
	decode_writer *cache;     /* owned */
	size_t ncache;
	int failed;               /* a message could not be decoded */
	int fatal;                /* an exit code that stops everything, or 0 */
} decode_state;

enum {
	DECODE_OPT_INPUT_FORMAT = 1,
	DECODE_OPT_READER,
	DECODE_OPT_SUBJECT,
	DECODE_OPT_VERSION,
	DECODE_OPT_FIELDS
};

static const regit_opt_spec decode_specs[] = {
	{ REGIT_OPT_VALUE, DECODE_OPT_INPUT_FORMAT, "input-format", 0,
	  "raw|hex|base64|json-lines",
	  "raw: each FILE is one message (default);\n"
	  "hex, base64: one message per line;\n"
	  "json-lines: one JSON object per line whose \"value\"\n"
	  "is the message in base64 (or in hex with\n"
	  "\"encoding\":\"hex\")" },
	{ REGIT_OPT_VALUE, DECODE_OPT_READER, "reader", 0, "FILE",
	  "resolve each message to this reader schema (Avro\n"
	  "schema resolution: defaults, promotions, aliases)" },
	{ REGIT_OPT_VALUE, DECODE_OPT_SUBJECT, "subject", 0, "SUBJECT",
	  "the same with a registered version as the reader" },
	{ REGIT_OPT_VALUE, DECODE_OPT_VERSION, "version", 0, "V",
	  "that version (default latest)" },
	{ REGIT_OPT_VALUE, DECODE_OPT_FIELDS, "fields", 0, "a,b.c",
	  "print only these fields (dotted paths into records;\n"
	  "a path steps through union wrappers); missing: null" },
	REGIT_OPT_SPEC_END
};
/* No --format: the output is Avro JSON, one message a line, by definition. */
static const regit_opt_spec *const decode_frags[] = {
	decode_specs, regit_remote_conn_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_decode_opts = {
	"decode", "print Confluent-framed Avro messages as JSON (writer schemas from the registry)",
	"[--input-format F] [--reader FILE | --subject SUBJECT [--version V]] [options] [FILE...]",
	"Decode Confluent-framed Avro messages (magic byte 0, 4-byte big-endian\n"
	"schema id, Avro binary) with their writer schemas from the registry, and\n"
	"print each as one line of Avro JSON. Without FILE, read stdin.",
	decode_frags,
	"A message that cannot be decoded gets a line on stderr naming its\n"
	"position (FILE or FILE:LINE); the others are printed.",
	"0 every message decoded\n"
	"1 some message could not be decoded\n" REGIT_REMOTE_EXIT_STATUS
};

static void decode_writer_dispose(decode_writer *w)
{
	regit_datum_decoder_free(w->decoder);
	regit_schema_free(w->schema);
	regit_free(w->problem);
}

/* Connect on first use, so --reader with no messages needs no registry. */
static int decode_connect(decode_state *st)
{
	int error;

	if (st->client)
		return 0;
	error = regit_remote_connect(&st->client, &st->remote);
	if (error < 0)
		st->fatal = regit_remote_fail(&st->remote, error, 0);
	return error;
}

/*
 * Parse a schema text from the registry; a schema with references does not
 * parse on its own, so ask for it with the references inlined.
 */
static int decode_parse_registered(regit_schema **out, decode_state *st, const char *text,
	int id)
{
	regit_client_schema resolved = REGIT_CLIENT_SCHEMA_INIT;
	regit_schema_error err;
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	int error;

	memset(&err, 0, sizeof(err));
	error = regit_schema_parse(out, text, strlen(text), NULL, &err);
	if (error != REGIT_EINVALID || id < 0)
		goto done;
	error = regit_buf_printf(&path, "/schemas/ids/%d", id);
	if (error == 0)
		error = regit_client_put_query(&path, "format", "resolved");
	if (error == 0)
		error = regit_client_request(&resp, st->client, "GET", regit_buf_cstr(&path), NULL);
	if (error == 0)
		error = regit_client_parse_schema(&resolved, resp);
	if (error == 0)
		error = regit_schema_parse(out, resolved.schema, strlen(resolved.schema), NULL,
			&err);
	if (error == REGIT_EINVALID)
		regit_error_set(REGIT_ERROR_CLI, "schema id %d does not parse: %s (at %s)", id,
			err.message, err.path[0] ? err.path : "/");
	else if (error < 0)
		regit_error_set(REGIT_ERROR_CLI, "schema id %d does not parse on its own: %s",
			id, err.message);
done:
	regit_client_schema_dispose(&resolved);
	json_decref(resp);
	regit_buf_dispose(&path);
	return error;
}

/*
 * The writer schema with this id, fetched once. An id the registry does not
 * know, or whose schema does not parse, is a per-message failure (cached
 * with its reason); anything else from the registry stops the run.
 * @return the entry (borrowed from st->cache), or NULL with st->fatal set
 */
static decode_writer *decode_writer_get(decode_state *st, unsigned long id)
{
	regit_client_schema rs = REGIT_CLIENT_SCHEMA_INIT;
	decode_writer *w, *grown;
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	size_t i;
	int error;

	for (i = 0; i < st->ncache; i++)
		if (st->cache[i].id == id)
			return &st->cache[i];
	if (st->ncache == DECODE_MAX_CACHE) {
		/* Forget the oldest: a bound, not a policy worth more. */
		decode_writer_dispose(&st->cache[0]);
		memmove(st->cache, st->cache + 1, (st->ncache - 1) * sizeof(*st->cache));
		st->ncache--;
	}
	grown = regit_reallocarray(st->cache, st->ncache + 1, sizeof(*st->cache));
	if (!grown) {
		st->fatal = REGIT_EXIT_INTERNAL;
		return NULL;
	}
	st->cache = grown;
	w = &st->cache[st->ncache];
	memset(w, 0, sizeof(*w));
	w->id = id;

	if (id > 2147483647UL) {
		/* Confluent ids are Java ints: no registry has this one; do not ask. */
		w->problem = regit_strdup("unknown schema id (ids are 0..2147483647)");
		error = w->problem ? 0 : REGIT_ENOMEM;
		goto done;
	}
	if (decode_connect(st) < 0)
		return NULL;
	error = regit_buf_printf(&path, "/schemas/ids/%lu", id);
	if (error == 0)
		error = regit_client_request(&resp, st->client, "GET", regit_buf_cstr(&path), NULL);
	if (error == REGIT_ENOTFOUND) {
		w->problem = regit_strdup("unknown schema id (the registry has no such schema)");
		error = w->problem ? 0 : REGIT_ENOMEM;
		goto done;
	}
	if (error == 0)
		error = regit_client_parse_schema(&rs, resp);
	if (error == 0 && json_is_string(json_object_get(resp, "schemaType")) &&
	    strcmp(json_string_value(json_object_get(resp, "schemaType")), "AVRO") != 0) {
		/* Confluent omits schemaType for Avro; PROTOBUF and JSON are not ours. */
		regit_buf_clear(&path);
		error = regit_buf_printf(&path, "a %s schema, not Avro",
			json_string_value(json_object_get(resp, "schemaType")));
		if (error == 0) {
			w->problem = regit_buf_detach(&path);
			if (!w->problem)
				error = REGIT_ENOMEM;
		}
		goto done;
	}
	if (error == 0) {
		error = decode_parse_registered(&w->schema, st, rs.schema, (int)id);
		if (error == REGIT_EINVALID || error == REGIT_ELIMIT || error == REGIT_ENOTFOUND) {
			w->problem = regit_strdup(regit_error_message());
			error = w->problem ? 0 : REGIT_ENOMEM;
		}
	}
done:
	regit_client_schema_dispose(&rs);
	json_decref(resp);
	regit_buf_dispose(&path);
	if (error < 0) {
		st->fatal = regit_remote_fail(&st->remote, error, 0);
		decode_writer_dispose(w);
		return NULL;
	}
	st->ncache++;
	return w;
}

/* The value at a dotted path: through record objects and union wrappers. */
static json_t *decode_select(json_t *v, const char *path)
{
	const char *seg = path, *dot;
	json_t *next;
	size_t n;

	while (v && *seg) {
		dot = strchr(seg, '.');
		n = dot ? (size_t)(dot - seg) : strlen(seg);
		if (!json_is_object(v))
			return NULL;
		next = json_object_getn(v, seg, n);
		if (!next && json_object_size(v) == 1) {
			/* {"ns.Record": {...}}: a union branch, step inside. */
			json_t *inner = json_object_iter_value(json_object_iter(v));

			if (json_is_object(inner))
				next = json_object_getn(inner, seg, n);
		}
		v = next;
		seg = dot ? dot + 1 : seg + n;
	}
	return v;
}

static int decode_print(const decode_state *st, json_t *value)
{
	json_t *sel = NULL;
	char *text;
	size_t i;

	if (st->nfields > 0) {
		sel = json_object();
		if (!sel)
			return REGIT_ENOMEM;
		for (i = 0; i < st->nfields; i++) {
			json_t *v = decode_select(value, st->fields[i]);

			if (json_object_set_new(sel, st->fields[i], v ? json_incref(v) : json_null()) < 0) {
				json_decref(sel);
				return REGIT_ENOMEM;
			}
		}
		value = sel;
	}
	text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(sel);
	if (!text)
		return REGIT_ENOMEM;
	puts(text);
	regit_free(text);
	return 0;
}

/* Decode and print one framed message; a failure is reported and counted. */
static void decode_message(decode_state *st, const char *pos, const unsigned char *msg,
	size_t len)
{
	const unsigned char *payload;
	decode_writer *w;
	unsigned long id;
	size_t plen;
	json_t *value = NULL;
	int error;

	error = regit_datum_unframe(&id, &payload, &plen, msg, len);
	if (error < 0)
		goto fail;
	w = decode_writer_get(st, id);
	if (!w)
		return;
	if (!w->schema) {
		fprintf(stderr, "regit decode: %s: schema id %lu: %s\n", pos, id, w->problem);
		st->failed = 1;
		return;
	}
	error = 0;
	if (!w->decoder)
		error = regit_datum_decoder_new(&w->decoder, regit_schema_root(w->schema),
			st->reader ? regit_schema_root(st->reader) : NULL);
	if (error == 0)
		error = regit_datum_decoder_decode(&value, w->decoder, payload, plen, NULL);
	if (error == REGIT_ENOMEM) {
		st->fatal = REGIT_EXIT_INTERNAL;
		return;
	}
	if (error < 0) {
		fprintf(stderr, "regit decode: %s: schema id %lu: %s\n", pos, id,
			regit_error_message());
		st->failed = 1;
		return;
	}
	if (decode_print(st, value) < 0)
		st->fatal = REGIT_EXIT_INTERNAL;
	json_decref(value);
	return;
fail:
	fprintf(stderr, "regit decode: %s: %s\n", pos, regit_error_message());
	st->failed = 1;
}

static int decode_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex text to bytes in place (out may be s). @return 0 or REGIT_EINVALID (message set) */
static int decode_from_hex(unsigned char *out, size_t *outlen, const char *s, size_t n)
{
	size_t i;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n % 2) {
		regit_error_set(REGIT_ERROR_CLI, "odd number of hex digits (%zu)", n);
		return REGIT_EINVALID;
	}
	for (i = 0; i < n; i += 2) {
		int hi = decode_hexval((unsigned char)s[i]), lo = decode_hexval((unsigned char)s[i + 1]);

		if (hi < 0 || lo < 0) {
			regit_error_set(REGIT_ERROR_CLI, "not a hex digit at column %zu", i + 1);
			return REGIT_EINVALID;
		}
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = n / 2;
	return 0;
}

static int decode_b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Base64 (standard or URL-safe, padding optional) to bytes; out may be s. */
static int decode_from_base64(unsigned char *out, size_t *outlen, const char *s, size_t n)
{
	size_t i, k = 0;
	unsigned long acc = 0;
	int bits = 0;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		int v = decode_b64val((unsigned char)s[i]);

		if (v < 0) {
			regit_error_set(REGIT_ERROR_CLI, "not a base64 character at column %zu", i + 1);
			return REGIT_EINVALID;
		}
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(acc >> bits);
		}
	}
	if (n % 4 == 1) {
		regit_error_set(REGIT_ERROR_CLI, "truncated base64 (%zu characters)", n);
		return REGIT_EINVALID;
	}
	*outlen = k;
	return 0;
}

/* One json-lines object: its "value" decoded into out (owned, regit_free). */
static int decode_json_line(unsigned char **out, size_t *outlen, regit_buf *where,
	const char *line, size_t n)
{
	json_error_t jerr;
	json_t *obj = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	json_t *value, *enc, *m;
	const char *keys[] = { "topic", "partition", "offset" };
	size_t i;
	int hex = 0, error = 0;

	*out = NULL;
	if (!obj || !json_is_object(obj)) {
		regit_error_set(REGIT_ERROR_CLI, "not a JSON object%s%s", obj ? "" : ": ",
			obj ? "" : jerr.text);
		error = REGIT_EINVALID;
		goto done;
	}
	for (i = 0; i < 3; i++) {
		m = json_object_get(obj, keys[i]);
		if (json_is_string(m))
			error = regit_buf_printf(where, " %s %s", keys[i], json_string_value(m));
		else if (json_is_integer(m))
			error = regit_buf_printf(where, " %s %lld", keys[i],
				(long long)json_integer_value(m));
		if (error < 0)
			goto done;
	}
	enc = json_object_get(obj, "encoding");
	if (enc && json_is_string(enc) && strcmp(json_string_value(enc), "hex") == 0) {
		hex = 1;
	} else if (enc && !(json_is_string(enc) && strcmp(json_string_value(enc), "base64") == 0)) {
		regit_error_set(REGIT_ERROR_CLI, "\"encoding\" is neither \"base64\" nor \"hex\"");
		error = REGIT_EINVALID;
		goto done;
	}
	value = json_object_get(obj, "value");
	if (!json_is_string(value)) {
		regit_error_set(REGIT_ERROR_CLI, "%s", json_is_null(value) ?
			"\"value\" is null (a tombstone: no message to decode)" :
			"no \"value\" string in the object");
		error = REGIT_EINVALID;
		goto done;
	}
	*out = regit_malloc(json_string_length(value) + 1);
	if (!*out) {
		error = REGIT_ENOMEM;
		goto done;
	}
	error = hex ? decode_from_hex(*out, outlen, json_string_value(value),
			json_string_length(value)) :
		decode_from_base64(*out, outlen, json_string_value(value),
			json_string_length(value));
done:
	if (error < 0) {
		regit_free(*out);
		*out = NULL;
	}
	json_decref(obj);
	return error;
}

/*
 * Read one line into buf (without its newline; NUL bytes kept), at most
 * DECODE_MAX_LINE bytes: the rest of a longer line is read and dropped, so
 * a hostile stream cannot make a line take all memory.
 * @return 1 a line, 0 end of input, -1 read error; *too_long set when cut
 */
static int decode_getline(regit_buf *buf, int *too_long, FILE *f)
{
	char chunk[8192];
	size_t n = 0;
	int c, any = 0;

	regit_buf_clear(buf);
	*too_long = 0;
	while ((c = getc(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		chunk[n++] = (char)c;
		if (n == sizeof(chunk)) {
			if (!*too_long && regit_buf_put(buf, chunk, n) < 0)
				*too_long = 1;
			n = 0;
		}
	}
	if (n > 0 && !*too_long && regit_buf_put(buf, chunk, n) < 0)
		*too_long = 1;
	if (c == EOF && ferror(f))
		return -1;
	return any;
}

/* Decode the lines of one stream (hex, base64, json-lines). */
static void decode_lines(decode_state *st, FILE *f, const char *name)
{
	regit_buf line, pos = REGIT_BUF_INIT;
	char *s;
	size_t n, lineno = 0, blen;
	unsigned char *bytes = NULL;
	int error, got = 0, too_long;

	regit_buf_init(&line, DECODE_MAX_LINE);
	while (!st->fatal && (got = decode_getline(&line, &too_long, f)) > 0) {
		lineno++;
		regit_buf_clear(&pos);
		if (regit_buf_printf(&pos, "%s:%zu", name, lineno) < 0) {
			st->fatal = REGIT_EXIT_INTERNAL;
			break;
		}
		if (too_long) {
			fprintf(stderr, "regit decode: %s: line longer than %zu bytes\n",
				regit_buf_cstr(&pos), DECODE_MAX_LINE);
			st->failed = 1;
			continue;
		}
		s = line.ptr ? line.ptr : (char *)"";
		n = line.size;
		while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (n == 0)
			continue;
		if (st->format == DECODE_JSON_LINES) {
			error = decode_json_line(&bytes, &blen, &pos, s, n);
		} else {
			/* In place: the decoded bytes are never longer than the text. */
			bytes = NULL;
			error = st->format == DECODE_HEX ?
				decode_from_hex((unsigned char *)s, &blen, s, n) :
				decode_from_base64((unsigned char *)s, &blen, s, n);
		}
		if (error == REGIT_ENOMEM) {
			st->fatal = REGIT_EXIT_INTERNAL;
			break;
		}
		if (error < 0) {
			fprintf(stderr, "regit decode: %s: %s\n", regit_buf_cstr(&pos),
				regit_error_message());
			st->failed = 1;
			continue;
		}
		decode_message(st, regit_buf_cstr(&pos), bytes ? bytes : (unsigned char *)s, blen);
		regit_free(bytes);
		bytes = NULL;
	}
	if (!st->fatal && got < 0) {
		fprintf(stderr, "regit decode: %s: read error: %s\n", name, strerror(errno));
		st->fatal = REGIT_EXIT_USAGE;
	}
	regit_free(bytes);
	regit_buf_dispose(&line);
	regit_buf_dispose(&pos);
}

/* One raw message: the whole stream. */
static void decode_raw(decode_state *st, FILE *f, const char *name)
{
	regit_buf buf;
	char chunk[65536];
	size_t got;

	regit_buf_init(&buf, DECODE_MAX_MESSAGE);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (regit_buf_put(&buf, chunk, got) < 0) {
			fprintf(stderr, "regit decode: %s: message larger than %zu bytes\n", name,
				DECODE_MAX_MESSAGE);
			st->failed = 1;
			regit_buf_dispose(&buf);
			return;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "regit decode: %s: read error: %s\n", name, strerror(errno));
		st->fatal = REGIT_EXIT_USAGE;
	} else {
		decode_message(st, name, (const unsigned char *)(buf.ptr ? buf.ptr : ""), buf.size);
	}
	regit_buf_dispose(&buf);
}

static void decode_stream(decode_state *st, const char *file)
{
	FILE *f = stdin;

	if (strcmp(file, "-") != 0) {
		f = fopen(file, "rb");
		if (!f) {
			/* A file named on the command line that is not there: usage. */
			fprintf(stderr, "regit decode: %s: %s\n", file, strerror(errno));
			st->fatal = REGIT_EXIT_USAGE;
			return;
		}
	}
	if (st->format == DECODE_RAW)
		decode_raw(st, f, f == stdin ? "stdin" : file);
	else
		decode_lines(st, f, f == stdin ? "stdin" : file);
	if (f != stdin)
		fclose(f);
}

/* --subject S [--version V]: the reader from the registry. @return 0 or an exit code */
static int decode_load_subject_reader(decode_state *st, const char *subject, const char *version)
{
	regit_client_schema rs = REGIT_CLIENT_SCHEMA_INIT;
	regit_buf path = REGIT_BUF_INIT;
	json_t *resp = NULL;
	int error, rc = 0;

	if (decode_connect(st) < 0)
		return st->fatal;
	error = regit_buf_puts(&path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
	if (error == 0)
		error = regit_client_put_segment(&path, version);
	if (error == 0)
		error = regit_client_request(&resp, st->client, "GET", regit_buf_cstr(&path), NULL);
	if (error == 0)
		error = regit_client_parse_schema(&rs, resp);
	if (error == 0)
		error = decode_parse_registered(&st->reader, st, rs.schema, rs.id);
	if (error < 0)
		rc = regit_remote_fail(&st->remote, error, 0);
	regit_client_schema_dispose(&rs);
	json_decref(resp);
	regit_buf_dispose(&path);
	return rc;
}

static int decode_parse_fields(decode_state *st, const char *spec)
{
	char *p;

	st->fields_copy = regit_strdup(spec);
	if (!st->fields_copy)
		return REGIT_EXIT_INTERNAL;
	p = st->fields_copy;
	while (p) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (*p == '\0')
			return regit_remote_usage_error(&st->remote, "--fields has an empty name");
		if (st->nfields == DECODE_MAX_FIELDS)
			return regit_remote_usage_error(&st->remote, "--fields names more than %d fields",
				DECODE_MAX_FIELDS);
		st->fields[st->nfields++] = p;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

int regit_cmd_decode(int argc, char **argv)
{
	decode_state st;
	const char *format = NULL, *reader = NULL, *subject = NULL, *version = NULL;
	const char *fields = NULL;
	const char **files = NULL;
	size_t nfiles = 0, k;
	regit_opt_parser p;
	regit_opt o;
	int m, rc = REGIT_EXIT_OK;

	memset(&st, 0, sizeof(st));
	st.remote = (regit_remote)REGIT_REMOTE_INIT("decode");
	if (regit_opt_help_requested(&regit_cmd_decode_opts, argc, argv))
		return REGIT_EXIT_OK;
	st.remote.opt = &regit_cmd_decode_opts;
	files = regit_calloc((size_t)argc + 1, sizeof(*files));
	if (!files)
		return REGIT_EXIT_INTERNAL;
	regit_opt_parser_init(&p, &regit_cmd_decode_opts, argc, argv);
	while ((m = regit_remote_next(&o, &p, &st.remote)) > 0) {
		if (!o.spec) {
			files[nfiles++] = o.value;
			continue;
		}
		switch (o.spec->id) {
		case DECODE_OPT_INPUT_FORMAT:
			format = o.value;
			break;
		case DECODE_OPT_READER:
			reader = o.value;
			break;
		case DECODE_OPT_SUBJECT:
			subject = o.value;
			break;
		case DECODE_OPT_VERSION:
			version = o.value;
			break;
		case DECODE_OPT_FIELDS:
			fields = o.value;
			break;
		}
	}
	if (m < 0) {
		rc = REGIT_EXIT_USAGE;
		goto done;
	}
	if (!format || strcmp(format, "raw") == 0)
		st.format = DECODE_RAW;
	else if (strcmp(format, "hex") == 0)
		st.format = DECODE_HEX;
	else if (strcmp(format, "base64") == 0)
		st.format = DECODE_BASE64;
	else if (strcmp(format, "json-lines") == 0)
		st.format = DECODE_JSON_LINES;
	else {
		rc = regit_remote_usage_error(&st.remote,
			"--input-format wants raw, hex, base64 or json-lines, not '%s'", format);
		goto done;
	}
	if (reader && subject) {
		rc = regit_remote_usage_error(&st.remote, "give either --reader or --subject, not both");
		goto done;
	}
	if (version && !subject) {
		rc = regit_remote_usage_error(&st.remote, "--version needs --subject");
		goto done;
	}
	if (subject && regit_remote_check_subject(&st.remote, subject) != 0) {
		rc = REGIT_EXIT_USAGE;
		goto done;
	}
	if (!version)
		version = "latest";
	if (subject && !regit_remote_valid_version(version)) {
		rc = regit_remote_usage_error(&st.remote,
			"--version wants a number from 1 or 'latest', not '%s'", version);
		goto done;
	}
	if (fields) {
		rc = decode_parse_fields(&st, fields);
		if (rc != 0)
			goto done;
	}
	if (reader) {
		regit_schema_error err;
		int error;

		memset(&err, 0, sizeof(err));
		error = regit_schema_parse_file(&st.reader, reader, NULL, &err);
		if (error < 0) {
			fprintf(stderr, "regit decode: %s:%d:%d: error: %s (at %s)\n", reader,
				err.line, err.column, err.message, err.path[0] ? err.path : "/");
			rc = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL : REGIT_EXIT_USAGE;
			goto done;
		}
	} else if (subject) {
		rc = decode_load_subject_reader(&st, subject, version);
		if (rc != 0)
			goto done;
	}

	if (nfiles == 0)
		files[nfiles++] = "-";
	for (k = 0; k < nfiles && !st.fatal; k++)
		decode_stream(&st, files[k]);
	if (fflush(stdout) != 0 && !st.fatal) {
		fprintf(stderr, "regit decode: writing the output: %s\n", strerror(errno));
		st.fatal = REGIT_EXIT_USAGE;
	}
	if (st.fatal == REGIT_EXIT_INTERNAL)
		fprintf(stderr, "regit decode: out of memory\n");
	rc = st.fatal ? st.fatal : st.failed ? REGIT_EXIT_FAIL : REGIT_EXIT_OK;
done:
	for (k = 0; k < st.ncache; k++)
		decode_writer_dispose(&st.cache[k]);
	regit_free(st.cache);
	regit_schema_free(st.reader);
	regit_client_free(st.client);
	regit_free(st.fields_copy);
	regit_free(files);
	return rc;
}
