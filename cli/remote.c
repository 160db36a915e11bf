/*
 * remote.c - option parsing, error reporting and schema-file reading shared
 * by the registry client commands.
 */
#include "cli/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "compat/schema.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* The registry's own schema limit is 4 MiB of text (schema.h). */
#define REMOTE_MAX_SCHEMA_FILE ((size_t)4 * 1024 * 1024)
/* USER:PASS from a file; the server takes 64 + 1 + 1024 (server/auth.h). */
#define REMOTE_MAX_CREDENTIALS 2048

int regit_remote_usage_error(const regit_remote *remote, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "regit %s: ", remote->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (remote->opt)
		fprintf(stderr, "; see 'regit %s --help'\n", remote->cmd);
	else
		fprintf(stderr, "\nrun 'regit %s --help' for usage\n", remote->cmd);
	return REGIT_EXIT_USAGE;
}

/* The connection options; every client command has them. */
#define REMOTE_CONN_SPECS \
	{ REGIT_OPT_VALUE, REGIT_REMOTE_OPT_REGISTRY, "registry", 0, "URL", \
	  "registry base URL (default $" REGIT_CLIENT_ENV_URL ",\n" \
	  "else " REGIT_CLIENT_DEFAULT_URL ")" }, \
	{ REGIT_OPT_VALUE, REGIT_REMOTE_OPT_USER_FILE, "user-file", 0, "FILE", \
	  "HTTP Basic credentials: the first line of FILE, USER:PASS\n" \
	  "(- reads stdin; default $" REGIT_CLIENT_ENV_AUTH ")" }, \
	{ REGIT_OPT_VALUE, REGIT_REMOTE_OPT_USER, "user", 0, "USER:PASS", \
	  "the same on the command line, where other local users\n" \
	  "can see it (warns; prefer the variable or --user-file);\n" \
	  "--user - reads stdin" }, \
	{ REGIT_OPT_VALUE, REGIT_REMOTE_OPT_TIMEOUT, "timeout", 0, "SECONDS", \
	  "give up on a request after this long (default 30)" }

const regit_opt_spec regit_remote_opt_specs[] = {
	REMOTE_CONN_SPECS,
	{ REGIT_OPT_VALUE, REGIT_REMOTE_OPT_FORMAT, "format", 0, "text|json",
	  "output for people (default) or for scripts" },
	REGIT_OPT_SPEC_END
};

const regit_opt_spec regit_remote_conn_opt_specs[] = {
	REMOTE_CONN_SPECS,
	REGIT_OPT_SPEC_END
};

const regit_opt_spec regit_remote_schema_opt_specs[] = {
	{ REGIT_OPT_FLAG, REGIT_REMOTE_OPT_NORMALIZE, "normalize", 0, NULL,
	  "let the registry normalize the schema first" },
	{ REGIT_OPT_LIST, REGIT_REMOTE_OPT_REFERENCE, "reference", 0, "NAME=SUBJECT:VERSION",
	  "the named type NAME used by FILE is defined by\n"
	  "SUBJECT's VERSION (a number or latest) in the\n"
	  "registry (a Confluent schema reference)" },
	REGIT_OPT_SPEC_END
};

int regit_remote_apply(regit_remote *remote, const regit_opt *o)
{
	const char *v = o->value;
	int id = o->spec ? o->spec->id : 0;

	switch (id) {
	case REGIT_REMOTE_OPT_REGISTRY:
		remote->client.url = v;
		return 1;
	case REGIT_REMOTE_OPT_USER_FILE:
	case REGIT_REMOTE_OPT_USER:
		if (remote->client.userpass || remote->user_file) {
			regit_remote_usage_error(remote,
				"credentials given twice (--user, --user-file)");
			return -1;
		}
		if (id == REGIT_REMOTE_OPT_USER_FILE || strcmp(v, "-") == 0) {
			remote->user_file = v;
		} else {
			remote->client.userpass = v;
			/* Still accepted (scripts use it), but say why it is unwise. */
			if (*v)
				fprintf(stderr, "regit %s: warning: --user USER:PASS is visible to "
					"other local users (ps, /proc); use $" REGIT_CLIENT_ENV_AUTH
					" or --user-file FILE\n", remote->cmd);
		}
		return 1;
	case REGIT_REMOTE_OPT_TIMEOUT: {
		char *end = NULL;
		double secs;

		errno = 0;
		secs = strtod(v, &end);
		if (errno || end == v || *end || !(secs > 0) || secs > 86400) {
			regit_remote_usage_error(remote,
				"--timeout wants seconds between 0 and 86400, not '%s'", v);
			return -1;
		}
		remote->client.timeout_ms = (long)(secs * 1000);
		if (remote->client.timeout_ms < 1)
			remote->client.timeout_ms = 1;
		if (remote->client.timeout_ms < 5000)
			remote->client.connect_timeout_ms = remote->client.timeout_ms;
		return 1;
	}
	case REGIT_REMOTE_OPT_FORMAT:
		if (strcmp(v, "json") == 0) {
			remote->json = 1;
		} else if (strcmp(v, "text") == 0) {
			remote->json = 0;
		} else {
			regit_remote_usage_error(remote, "--format is text or json, not '%s'", v);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

int regit_remote_next(regit_opt *o, regit_opt_parser *p, regit_remote *remote)
{
	int r;

	for (;;) {
		r = regit_opt_next(o, p);
		if (r <= 0)
			return r;
		r = regit_remote_apply(remote, o);
		if (r < 0)
			return -1;
		if (r == 0)
			return 1;
	}
}

/*
 * Read USER:PASS from the first line of remote->user_file ("-": stdin),
 * NUL-terminated into out. Only the first line is read, so stdin can go
 * on to carry something else.
 */
static int remote_read_credentials(char *out, size_t size, const regit_remote *remote)
{
	const char *path = remote->user_file;
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "stdin" : path;
	struct stat st;
	size_t n = 0;
	int fd, error = 0;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		regit_error_set(REGIT_ERROR_OS, "%s: %s", path, strerror(errno));
		return REGIT_EIO;
	}
	/*
	 * Warn rather than refuse: secrets mounted by orchestrators are often
	 * 0644 inside a container where nobody else lives.
	 */
	if (!is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRGRP | S_IROTH)))
		fprintf(stderr, "regit %s: warning: %s is readable by other users "
			"(mode %03o); chmod 600 it\n", remote->cmd, path,
			(unsigned)(st.st_mode & 0777));
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			regit_error_set(REGIT_ERROR_OS, "reading credentials from %s: %s",
				name, strerror(errno));
			error = REGIT_EIO;
			goto done;
		}
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= size) {
			regit_error_set(REGIT_ERROR_CLI, "credentials in %s longer than %zu bytes",
				name, size - 1);
			error = REGIT_ELIMIT;
			goto done;
		}
		out[n++] = c;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	if (n == 0 || !memchr(out, ':', n) || strlen(out) != n) {
		regit_error_set(REGIT_ERROR_CLI, "%s: the first line must be USER:PASS", name);
		error = REGIT_EINVALID;
	}
done:
	if (!is_stdin)
		close(fd);
	return error;
}

int regit_remote_connect(regit_client **out, const regit_remote *remote)
{
	/* Once per process, however many clients a command makes. */
	static int warned_clear;
	regit_client_options opts = remote->client;
	char creds[REMOTE_MAX_CREDENTIALS + 1];
	int error;

	*out = NULL;
	creds[0] = '\0';
	if (remote->user_file) {
		error = remote_read_credentials(creds, sizeof(creds), remote);
		if (error < 0)
			goto done;
		opts.userpass = creds;
	}
	error = regit_client_new(out, &opts);
	if (error == 0 && !warned_clear && regit_client_sends_clear_credentials(*out)) {
		warned_clear = 1;
		fprintf(stderr, "regit %s: warning: sending credentials unencrypted over "
			"http:// to %s; use https:// for a registry on another host\n",
			remote->cmd, regit_client_url(*out));
	}
done:
	explicit_bzero(creds, sizeof(creds));
	return error;
}

int regit_remote_fail(const regit_remote *remote, int error, int answer_is_no)
{
	fprintf(stderr, "regit %s: %s\n", remote->cmd, regit_error_message());
	if (error == REGIT_ENOMEM)
		return REGIT_EXIT_INTERNAL;
	if (answer_is_no)
		return REGIT_EXIT_FAIL;
	return REGIT_EXIT_USAGE;
}

/* Read a schema file: at most 4 MiB, no NUL. @param out owned text */
static int remote_read_text(char **out, const char *path)
{
	regit_buf buf;
	int error;

	*out = NULL;
	regit_buf_init(&buf, REMOTE_MAX_SCHEMA_FILE);
	error = regit_buf_read_file(&buf, path);
	if (error == 0 && strlen(regit_buf_cstr(&buf)) != buf.size) {
		regit_error_set(REGIT_ERROR_CLI, "%s: contains a NUL byte", path);
		error = REGIT_EINVALID;
	}
	if (error == 0) {
		*out = regit_buf_detach(&buf);
		if (!*out)
			error = REGIT_ENOMEM;
	}
	regit_buf_dispose(&buf);
	return error;
}

/*
 * Check schema text with the same parser the registry uses, so mistakes
 * are reported with a position in the file rather than as a 42201.
 * `imports` are the referenced schemas (borrowed).
 */
static int remote_check_schema(const char *path, const char *text,
	const regit_schema *const *imports, size_t nimports)
{
	regit_schema_options opts = REGIT_SCHEMA_OPTIONS_INIT;
	regit_schema *schema = NULL;
	regit_schema_error err;
	int error;

	opts.imports = imports;
	opts.nimports = nimports;
	error = regit_schema_parse(&schema, text, strlen(text), &opts, &err);
	if (error == REGIT_EINVALID || error == REGIT_ELIMIT) {
		if (err.line > 0)
			regit_error_set(REGIT_ERROR_SCHEMA, "%s:%d:%d: error: %s%s%s%s", path,
				err.line, err.column, err.message, err.path[0] ? " (at " : "",
				err.path, err.path[0] ? ")" : "");
		else
			regit_error_set(REGIT_ERROR_SCHEMA, "%s: error: %s%s%s%s", path,
				err.message, err.path[0] ? " (at " : "", err.path,
				err.path[0] ? ")" : "");
	}
	regit_schema_free(schema);
	return error;
}

/*
 * The body {"schema": text[, "references": [...]]} as JSON text.
 * @return owned or NULL (error set)
 */
static char *remote_schema_body(const char *schema_text, const regit_remote_schema *s)
{
	json_t *body = NULL, *str, *arr = NULL, *ref;
	char *dumped = NULL, *out = NULL;
	size_t i;

	str = json_string(schema_text);
	if (!str) {
		regit_error_set(REGIT_ERROR_CLI, "schema text is not valid UTF-8");
		return NULL;
	}
	body = json_object();
	if (!body || json_object_set_new(body, "schema", str) < 0) {
		if (!body)
			json_decref(str);
		regit_error_set_oom();
		goto done;
	}
	if (s && s->nrefs) {
		arr = json_array();
		if (!arr || json_object_set_new(body, "references", arr) < 0) {
			regit_error_set_oom();
			goto done;
		}
		for (i = 0; i < s->nrefs; i++) {
			/* Subjects and names were checked as UTF-8 when parsed. */
			ref = json_pack("{s:s, s:s, s:i}", "name", s->refs[i].name,
				"subject", s->refs[i].subject, "version", s->refs[i].version);
			if (!ref || json_array_append_new(arr, ref) < 0) {
				regit_error_set_oom();
				goto done;
			}
		}
	}
	dumped = json_dumps(body, JSON_COMPACT);
	if (!dumped) {
		regit_error_set_oom();
		goto done;
	}
	/* json_dumps allocates through regit_malloc (regit_alloc_install_json). */
	out = dumped;
done:
	json_decref(body);
	return out;
}

int regit_remote_print_json(const json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!text) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	printf("%s\n", text);
	regit_free(text);
	return 0;
}

int regit_remote_valid_version(const char *version)
{
	char *end = NULL;
	long v;

	if (strcasecmp(version, "latest") == 0 || strcmp(version, "-1") == 0)
		return 1;
	if (version[0] < '1' || version[0] > '9')
		return 0;
	errno = 0;
	v = strtol(version, &end, 10);
	return errno == 0 && *end == '\0' && v >= 1 && v <= 2147483647L;
}

int regit_remote_check_subject(const regit_remote *remote, const char *subject)
{
	json_t *probe;

	if (!subject || !*subject)
		return regit_remote_usage_error(remote, "--subject SUBJECT is required");
	/* jansson refuses invalid UTF-8 when making a string: use it as the check. */
	probe = json_string(subject);
	if (!probe)
		return regit_remote_usage_error(remote, "the subject is not valid UTF-8");
	json_decref(probe);
	return 0;
}

/* NAME=SUBJECT:VERSION into s->refs, split in place. @return 1, -1 usage error (printed) */
static int remote_reference_arg(regit_remote_schema *s, const regit_remote *remote,
	char *arg)
{
	char *eq = strchr(arg, '='), *colon = strrchr(arg, ':');
	json_t *probe;
	long v = 0;

	if (!eq || eq == arg || !colon || colon < eq + 2 || !colon[1]) {
		regit_remote_usage_error(remote,
			"--reference wants NAME=SUBJECT:VERSION, not '%s'", arg);
		return -1;
	}
	if (strcasecmp(colon + 1, "latest") != 0) {
		if (!regit_remote_valid_version(colon + 1) || strcmp(colon + 1, "-1") == 0) {
			regit_remote_usage_error(remote, "--reference '%s': the version is "
				"a number from 1 or latest, not '%s'", arg, colon + 1);
			return -1;
		}
		v = strtol(colon + 1, NULL, 10);
	}
	if (s->nrefs == REGIT_REMOTE_MAX_REFS) {
		regit_remote_usage_error(remote, "more than %d --reference options",
			REGIT_REMOTE_MAX_REFS);
		return -1;
	}
	/* jansson refuses invalid UTF-8 when making a string: use it as the check. */
	probe = json_string(arg);
	if (!probe) {
		regit_remote_usage_error(remote, "--reference '%s' is not valid UTF-8", arg);
		return -1;
	}
	json_decref(probe);
	*eq = '\0';
	*colon = '\0';
	s->refs[s->nrefs].name = arg;
	s->refs[s->nrefs].subject = eq + 1;
	s->refs[s->nrefs].version = (int)v;
	s->nrefs++;
	return 1;
}

int regit_remote_schema_apply(regit_remote_schema *s, const regit_remote *remote,
	const regit_opt *o)
{
	if (!o->spec) {
		if (s->file) {
			regit_remote_usage_error(remote, "one schema file at a time");
			return -1;
		}
		s->file = o->value;
		return 1;
	}
	switch (o->spec->id) {
	case REGIT_REMOTE_OPT_NORMALIZE:
		s->normalize = 1;
		return 1;
	case REGIT_REMOTE_OPT_REFERENCE:
		/* argv is the process's: the argument is split in place */
		return remote_reference_arg(s, remote, (char *)o->value);
	default:
		return 0;
	}
}

int regit_remote_schema_load(regit_remote_schema *s, const regit_remote *remote,
	const char *subject)
{
	char *text = NULL;
	json_t *probe;
	json_error_t jerr;
	int error;

	if (regit_remote_check_subject(remote, subject) != 0)
		return REGIT_EXIT_USAGE;
	if (!s->file)
		return regit_remote_usage_error(remote, "missing the schema file");
	error = remote_read_text(&text, s->file);
	if (error < 0)
		return error;
	if (s->nrefs) {
		/* Its types need the referenced ones: only the JSON is checked now. */
		probe = json_loads(text, JSON_DECODE_ANY, &jerr);
		if (!probe) {
			regit_error_set(REGIT_ERROR_SCHEMA, "%s:%d:%d: error: %s", s->file,
				jerr.line, jerr.column, jerr.text);
			regit_free(text);
			return REGIT_EINVALID;
		}
		json_decref(probe);
		s->text = text;
		return 0;
	}
	error = remote_check_schema(s->file, text, NULL, 0);
	if (error == 0) {
		s->body = remote_schema_body(text, NULL);
		if (!s->body)
			error = REGIT_EINVALID;
	}
	if (error == 0)
		s->text = text;     /* kept: positions of the registry's findings */
	else
		regit_free(text);
	return error;
}

/*
 * One --reference: its version number (for "latest") and its schema with
 * references inlined, parsed into *out (owned).
 */
static int remote_fetch_reference(regit_schema **out, regit_remote_schema *s, size_t k,
	regit_client *client)
{
	regit_buf path = REGIT_BUF_INIT;
	regit_client_schema got = REGIT_CLIENT_SCHEMA_INIT, resolved = REGIT_CLIENT_SCHEMA_INIT;
	regit_schema_error err;
	json_t *resp = NULL;
	char number[16];
	int error;
	regit_remote_ref *ref = &s->refs[k];

	*out = NULL;
	if (ref->version)
		snprintf(number, sizeof(number), "%d", ref->version);
	else
		snprintf(number, sizeof(number), "latest");
	error = regit_buf_puts(&path, "/subjects");
	if (error == 0)
		error = regit_client_put_segment(&path, ref->subject);
	if (error == 0)
		error = regit_buf_puts(&path, "/versions");
	if (error == 0)
		error = regit_client_put_segment(&path, number);
	if (error == 0)
		error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error == 0)
		error = regit_client_parse_schema(&got, resp);
	if (error == 0 && (got.id < 0 || got.version < 1)) {
		regit_error_set(REGIT_ERROR_HTTP, "unexpected registry response: "
			"no id or version for %s version %s", ref->subject, number);
		error = REGIT_EIO;
	}
	json_decref(resp);
	resp = NULL;
	if (error == 0) {
		ref->version = got.version;
		regit_buf_clear(&path);
		error = regit_buf_printf(&path, "/schemas/ids/%d?format=resolved", got.id);
	}
	if (error == 0)
		error = regit_client_request(&resp, client, "GET", regit_buf_cstr(&path), NULL);
	if (error == 0)
		error = regit_client_parse_schema(&resolved, resp);
	if (error == REGIT_ENOTFOUND) {
		char why[512];

		/* The message is rewritten from itself: copy it first. */
		snprintf(why, sizeof(why), "%s", regit_error_message());
		regit_error_set(REGIT_ERROR_CLI, "--reference %s=%s:%s: %s", ref->name,
			ref->subject, number, why);
		error = REGIT_EINVALID;
	}
	if (error == 0) {
		error = regit_schema_parse(out, resolved.schema, strlen(resolved.schema), NULL, &err);
		if (error == REGIT_EINVALID || error == REGIT_ELIMIT)
			regit_error_set(REGIT_ERROR_SCHEMA, "--reference %s=%s:%d: the registry's "
				"schema (id %d) does not parse with its references inlined: %s",
				ref->name, ref->subject, ref->version, got.id, err.message);
	}
	regit_client_schema_dispose(&got);
	regit_client_schema_dispose(&resolved);
	json_decref(resp);
	regit_buf_dispose(&path);
	return error;
}

int regit_remote_schema_resolve(regit_remote_schema *s, const regit_remote *remote,
	regit_client *client)
{
	regit_schema *imports[REGIT_REMOTE_MAX_REFS];
	size_t i, n = 0;
	int error = 0;

	(void)remote;
	if (!s->nrefs || s->body)
		return 0;
	for (i = 0; i < s->nrefs && error == 0; i++) {
		error = remote_fetch_reference(&imports[i], s, i, client);
		if (error == 0)
			n++;
	}
	if (error == 0)
		error = remote_check_schema(s->file, s->text,
			(const regit_schema *const *)imports, n);
	if (error == 0) {
		s->body = remote_schema_body(s->text, s);
		if (!s->body)
			error = REGIT_EINVALID;
	}
	for (i = 0; i < n; i++)
		regit_schema_free(imports[i]);
	return error;
}

void regit_remote_schema_dispose(regit_remote_schema *s)
{
	regit_free(s->text);
	s->text = NULL;
	regit_free(s->body);
	s->body = NULL;
}
