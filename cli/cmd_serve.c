/*
 * cmd_serve.c - `regit serve`: the Confluent-compatible schema registry.
 *
 * Opens the git store (registry/registry.h), puts the REST API
 * (server/api.h) behind the HTTP server (server/http.h), and then the
 * main thread only waits: for SIGINT/SIGTERM (clean shutdown) or, every
 * second, to ask the registry whether someone pushed to the store directly.
 * Signals are blocked before the server threads start, so they inherit the
 * mask and only sigtimedwait() here ever sees them.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/serve_hook.h"
#include "cli/serve_security.h"
#include "registry/registry.h"
#include "server/api.h"
#include "server/http.h"
#include "util/error.h"
#include "util/log.h"

enum {
	SERVE_OPT_LISTEN = 1,
	SERVE_OPT_STORE,
	SERVE_OPT_COMPAT,
	SERVE_OPT_RULES,
	SERVE_OPT_LINT,
	SERVE_OPT_ACCESS_LOG,
	SERVE_OPT_THREADS,
	SERVE_OPT_LOG_LEVEL,
	SERVE_OPT_UPSTREAM,
	SERVE_OPT_UPSTREAM_BRANCH,
	SERVE_OPT_FETCH_INTERVAL,
	SERVE_OPT_UPSTREAM_TIMEOUT,
	SERVE_OPT_UPSTREAM_CREDENTIALS_FILE,
	SERVE_OPT_UPSTREAM_SSH_KEY,
	SERVE_OPT_UPSTREAM_SSH_KNOWN_HOSTS
};

static const regit_opt_spec serve_specs[] = {
	{ REGIT_OPT_VALUE, SERVE_OPT_LISTEN, "listen", 0, "HOST:PORT",
	  "address to bind (default 127.0.0.1:8081; port 0 picks\n"
	  "a free port, printed on startup)" },
	{ REGIT_OPT_VALUE, SERVE_OPT_STORE, "store", 0, "PATH",
	  "bare git repository, created when missing\n"
	  "(default ./data/registry.git)" },
	{ REGIT_OPT_VALUE, SERVE_OPT_COMPAT, "compat", 0, "LEVEL",
	  "server default compatibility level: NONE, BACKWARD,\n"
	  "FORWARD, FULL or a *_TRANSITIVE form\n"
	  "(default FULL_TRANSITIVE)" },
	{ REGIT_OPT_VALUE, SERVE_OPT_RULES, "rules", 0, "strict|avro",
	  "strict (default): also refuse removed fields and new\n"
	  "fields without a default; avro: Avro resolution only,\n"
	  "as Confluent decides" },
	{ REGIT_OPT_VALUE, SERVE_OPT_LINT, "lint", 0, "off|warn|enforce",
	  "default lint policy of registrations (subjects and the\n"
	  "global config override it with \"regit.lint\"): off\n"
	  "(default); warn: register, log and count findings;\n"
	  "enforce: refuse lint errors (42201). The default\n"
	  "rules and naming conventions of `regit lint` apply" },
	{ REGIT_OPT_FLAG, SERVE_OPT_ACCESS_LOG, "access-log", 0, NULL,
	  "one JSON line per request on stderr" },
	{ REGIT_OPT_VALUE, SERVE_OPT_THREADS, "threads", 0, "N",
	  "HTTP worker threads (default: the CPUs it may run on)" },
	{ REGIT_OPT_VALUE, SERVE_OPT_LOG_LEVEL, "log-level", 0, "error|warn|info",
	  "which of regit's own stderr lines to write: errors\n"
	  "only, also warnings, or also notices such as reloads\n"
	  "(default info; the access log is separate)" },
	{ REGIT_OPT_VALUE, SERVE_OPT_UPSTREAM, "upstream", 0, "URL",
	  "run as one of several replicas on a shared git\n"
	  "repository (git://, http(s)://, ssh:// or\n"
	  "user@host:path): every write is pushed to it as a\n"
	  "compare-and-swap, its head is fetched every\n"
	  "--fetch-interval; --store is this replica's own local\n"
	  "clone. http(s) credentials: user:password or a token in\n"
	  "--upstream-credentials-file or in\n"
	  "$REGIT_UPSTREAM_CREDENTIALS (never logged). ssh runs\n"
	  "OpenSSH's ssh in batch mode: the agent or\n"
	  "--upstream-ssh-key, host keys checked strictly.\n"
	  "registry/README.md: \"Running several replicas\"" },
	{ REGIT_OPT_VALUE, SERVE_OPT_UPSTREAM_BRANCH, "upstream-branch", 0, "BRANCH",
	  "the upstream's branch (default main, the store's)" },
	{ REGIT_OPT_VALUE, SERVE_OPT_FETCH_INTERVAL, "fetch-interval", 0, "SECONDS",
	  "fetch the upstream this often (default 2; POST\n"
	  "/regit/refresh fetches at once)" },
	{ REGIT_OPT_VALUE, SERVE_OPT_UPSTREAM_TIMEOUT, "upstream-timeout", 0, "SECONDS",
	  "bound on each write's pushes and retries and on each\n"
	  "fetch (default 10; a write then fails with 50002)" },
	{ REGIT_OPT_VALUE, SERVE_OPT_UPSTREAM_CREDENTIALS_FILE, "upstream-credentials-file", 0,
	  "FILE", "http(s) upstream credentials: the first line of FILE,\n"
	  "user:password or a bare token, reread whenever the\n"
	  "upstream asks (401); wins over\n"
	  "$REGIT_UPSTREAM_CREDENTIALS; never logged" },
	{ REGIT_OPT_VALUE, SERVE_OPT_UPSTREAM_SSH_KEY, "upstream-ssh-key", 0, "FILE",
	  "ssh upstream: the private key to log in with (ssh -i\n"
	  "FILE -o IdentitiesOnly=yes; no passphrase: ssh runs in\n"
	  "batch mode). Default: the ssh agent ($SSH_AUTH_SOCK)\n"
	  "and ssh's own default keys" },
	{ REGIT_OPT_VALUE, SERVE_OPT_UPSTREAM_SSH_KNOWN_HOSTS, "upstream-ssh-known-hosts", 0,
	  "FILE", "ssh upstream: the known_hosts file holding its host key\n"
	  "(default: ssh's own, ~/.ssh/known_hosts). Checked\n"
	  "strictly: an unknown or changed host key is refused,\n"
	  "never added" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const serve_frags[] = {
	serve_specs, regit_serve_security_opt_specs, NULL
};

const regit_opt_cmd regit_cmd_serve_opts = {
	"serve", "run the schema registry (Confluent REST API, git store)",
	"[--listen HOST:PORT] [--store PATH] [--compat LEVEL] [--auth FILE] [options]",
	"Run the schema registry: the Confluent Schema Registry REST API (Avro)\n"
	"on a git repository that holds every subject, version and config.",
	serve_frags,
	"Endpoints: the Confluent API (/subjects, /schemas, /config, /mode,\n"
	"/compatibility, ...), plus GET /metrics (Prometheus) and GET /health.\n"
	"The store gets a pre-receive hook (rewritten at each start) that refuses\n"
	"pushes the registry would refuse (`regit verify --help`).\n"
	"SIGINT or SIGTERM stops the server cleanly; SIGHUP rereads the --auth file.\n"
	"\n" REGIT_SERVE_SECURITY_NOTES "\n"
	"\n"
	"Every option can also be set in the environment: REGIT_ and its name\n"
	"upper-cased with '-' as '_' (REGIT_LISTEN, REGIT_STORE, REGIT_AUTH,\n"
	"REGIT_TLS_CERT, REGIT_MAX_CONNECTIONS_PER_IP, ...); an empty one is\n"
	"unset, and a flag (REGIT_ACCESS_LOG, REGIT_INSECURE_NO_AUTH) is on with\n"
	"1, true, yes or on. The command line wins.",
	"0 stopped cleanly (SIGINT or SIGTERM)\n"
	"2 bad usage, an unsafe or unusable security setting, the store cannot\n"
	"  be opened or the address cannot be bound\n"
	"3 out of memory, or the process could not be hardened\n"
};

/* What serve's options set. */
typedef struct serve_args {
	regit_registry_options *ropts;
	regit_http_options *hopts;
	regit_serve_security *sec;
} serve_args;

/*
 * Apply one option; var names the environment variable it came from, or
 * is NULL for the command line.
 * @return 0, -1 usage error (printed)
 */
static int serve_apply(serve_args *a, const regit_opt *o, const char *var)
{
	char from[REGIT_OPT_NAME_MAX + 16] = "";

	if (var)
		snprintf(from, sizeof(from), " (from $%s)", var);
	if (regit_serve_security_apply(a->sec, o))
		return 0;
	switch (o->spec->id) {
	case SERVE_OPT_LISTEN:
		a->hopts->listen = o->value;
		break;
	case SERVE_OPT_STORE:
		a->ropts->store_path = o->value;
		break;
	case SERVE_OPT_COMPAT:
		if (regit_compat_level_parse(o->value, &a->ropts->default_level) < 0) {
			regit_opt_usage_error(&regit_cmd_serve_opts,
				"unknown compatibility level '%s'%s", o->value, from);
			return -1;
		}
		break;
	case SERVE_OPT_RULES:
		if (strcasecmp(o->value, "strict") == 0) {
			a->ropts->default_strict = 1;
		} else if (strcasecmp(o->value, "avro") == 0) {
			a->ropts->default_strict = 0;
		} else {
			regit_opt_usage_error(&regit_cmd_serve_opts,
				"--rules is strict or avro, not '%s'%s", o->value, from);
			return -1;
		}
		break;
	case SERVE_OPT_LINT:
		if (regit_lint_policy_parse(o->value, &a->ropts->default_lint) < 0) {
			regit_opt_usage_error(&regit_cmd_serve_opts,
				"--lint is off, warn or enforce, not '%s'%s", o->value, from);
			return -1;
		}
		break;
	case SERVE_OPT_ACCESS_LOG:
		a->hopts->access_log = 1;
		break;
	case SERVE_OPT_THREADS: {
		char *end = NULL;
		long n = strtol(o->value, &end, 10);

		if (!end || end == o->value || *end || n < 1 || n > 256) {
			regit_opt_usage_error(&regit_cmd_serve_opts,
				"--threads takes 1..256, not '%s'%s", o->value, from);
			return -1;
		}
		a->hopts->threads = (unsigned)n;
		break;
	}
	case SERVE_OPT_UPSTREAM:
		a->ropts->upstream_url = o->value;
		break;
	case SERVE_OPT_UPSTREAM_BRANCH:
		a->ropts->upstream_branch = o->value;
		break;
	case SERVE_OPT_UPSTREAM_CREDENTIALS_FILE:
		a->ropts->upstream_credentials_file = o->value;
		break;
	case SERVE_OPT_UPSTREAM_SSH_KEY:
		a->ropts->upstream_ssh_key = o->value;
		break;
	case SERVE_OPT_UPSTREAM_SSH_KNOWN_HOSTS:
		a->ropts->upstream_ssh_known_hosts = o->value;
		break;
	case SERVE_OPT_FETCH_INTERVAL:
	case SERVE_OPT_UPSTREAM_TIMEOUT: {
		char *end = NULL;
		double sec = strtod(o->value, &end);

		/* Fractions allowed (tests use 0.2 s); a day at most. */
		if (!end || end == o->value || *end || !(sec >= 0.05 && sec <= 86400)) {
			regit_opt_usage_error(&regit_cmd_serve_opts,
				"--%s takes seconds from 0.05 to 86400, not '%s'%s", o->spec->name,
				o->value, from);
			return -1;
		}
		if (o->spec->id == SERVE_OPT_FETCH_INTERVAL)
			a->ropts->fetch_interval_ms = (unsigned)(sec * 1000);
		else
			a->ropts->upstream_timeout_ms = (unsigned)(sec * 1000);
		break;
	}
	case SERVE_OPT_LOG_LEVEL: {
		regit_log_level level;

		if (regit_log_level_parse(o->value, &level) < 0) {
			regit_opt_usage_error(&regit_cmd_serve_opts,
				"--log-level is error, warn or info, not '%s'%s", o->value, from);
			return -1;
		}
		regit_log_set_level(level);
		break;
	}
	}
	return 0;
}

/*
 * Every option from the environment first (REGIT_LISTEN for --listen, ...),
 * so that the command line, applied next, wins. An empty variable is unset.
 * @return 0, -1 usage error (printed)
 */
static int serve_env(serve_args *a)
{
	const regit_opt_spec *const *frag;
	const regit_opt_spec *s;
	char var[REGIT_OPT_NAME_MAX + 8];
	regit_opt o;
	const char *v;
	int on;

	for (frag = regit_cmd_serve_opts.specs; *frag; frag++) {
		for (s = *frag; s->kind != REGIT_OPT_END; s++) {
			if (regit_opt_env_name(var, sizeof(var), "REGIT_", s) < 0)
				continue;
			v = getenv(var);
			if (!v || (!*v && s->kind != REGIT_OPT_FLAG))
				continue;
			o.spec = s;
			o.value = v;
			if (s->kind == REGIT_OPT_FLAG) {
				on = regit_opt_env_flag(v);
				if (on < 0) {
					regit_opt_usage_error(&regit_cmd_serve_opts,
						"$%s is 1, true, yes, on or 0, false, no, off, not '%s'",
						var, v);
					return -1;
				}
				if (!on)
					continue;
				o.value = NULL;
			}
			if (serve_apply(a, &o, var) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * A file option of the upstream (credentials, ssh key, known hosts): only
 * with --upstream, and readable now (the upstream opens it again at each
 * use, so a rotated file is taken). Never prints what it holds.
 * @return 0, -1 (printed)
 */
static int serve_check_upstream_file(const regit_registry_options *ropts,
	const char *file, const char *option)
{
	FILE *f;

	if (!file)
		return 0;
	if (!ropts->upstream_url) {
		regit_opt_usage_error(&regit_cmd_serve_opts, "--%s needs --upstream", option);
		return -1;
	}
	f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "regit serve: cannot read --%s %s: %s\n", option, file,
			strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static int serve_check_upstream_files(const regit_registry_options *ropts)
{
	if (serve_check_upstream_file(ropts, ropts->upstream_credentials_file,
			"upstream-credentials-file") < 0 ||
			serve_check_upstream_file(ropts, ropts->upstream_ssh_key,
			"upstream-ssh-key") < 0 ||
			serve_check_upstream_file(ropts, ropts->upstream_ssh_known_hosts,
			"upstream-ssh-known-hosts") < 0)
		return -1;
	return 0;
}

int regit_cmd_serve(int argc, char **argv)
{
	regit_registry_options ropts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_http_options hopts = REGIT_HTTP_OPTIONS_INIT;
	regit_registry *reg = NULL;
	regit_api *api = NULL;
	regit_http_server *srv = NULL;
	regit_serve_security sec = REGIT_SERVE_SECURITY_INIT;
	regit_opt_parser p;
	regit_opt o;
	serve_args args = { &ropts, &hopts, &sec };
	sigset_t set;
	char problem[512];
	int rc, ret = REGIT_EXIT_OK, last_ok = 1;

	if (regit_opt_help_requested(&regit_cmd_serve_opts, argc, argv))
		return REGIT_EXIT_OK;
	ret = REGIT_EXIT_USAGE;   /* until the options are read */
	if (serve_env(&args) < 0)
		goto done;
	regit_opt_parser_init(&p, &regit_cmd_serve_opts, argc, argv);
	while ((rc = regit_opt_next(&o, &p)) > 0) {
		if (!o.spec) {
			regit_opt_usage_error(&regit_cmd_serve_opts, "unexpected argument '%s'",
				o.value);
			goto done;
		}
		if (serve_apply(&args, &o, NULL) < 0)
			goto done;
	}
	if (rc < 0)
		goto done;
	ret = REGIT_EXIT_OK;

	/* Before the first secret is read (the key, the auth file). */
	if (regit_serve_harden_process() < 0) {
		ret = REGIT_EXIT_INTERNAL;
		goto done;
	}
	if (regit_serve_security_prepare(&sec, &hopts) < 0) {
		ret = REGIT_EXIT_USAGE;
		goto done;
	}
	if (serve_check_upstream_files(&ropts) < 0) {
		ret = REGIT_EXIT_USAGE;
		goto done;
	}

	/* Block before any thread exists so that every thread inherits it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	regit_error_set_api_code(0);
	if (regit_registry_open(&reg, &ropts) < 0) {
		fprintf(stderr, "regit serve: cannot open store %s: %s\n", ropts.store_path,
			regit_error_message());
		ret = REGIT_EXIT_USAGE;
		goto done;
	}
	/* git refuses bad pushes before they land; reloads still check. */
	(void)regit_serve_hook_install(ropts.store_path, ropts.default_level,
		ropts.default_strict);
	if (regit_api_new(&api, reg) < 0) {
		fprintf(stderr, "regit serve: out of memory\n");
		ret = REGIT_EXIT_INTERNAL;
		goto done;
	}
	regit_api_set_auth(api, sec.auth);
	hopts.writes = regit_api_may_write;
	hopts.admit = regit_api_admit;
	if (regit_http_server_start(&srv, &hopts, regit_api_handle, regit_api_observe,
	    api) < 0) {
		fprintf(stderr, "regit serve: %s\n", regit_error_message());
		ret = REGIT_EXIT_USAGE;
		goto done;
	}
	regit_api_set_http(api, srv);
	printf("regit: listening on %s (port %u), store %s%s%s\n", hopts.listen,
		regit_http_server_port(srv), ropts.store_path,
		sec.auth ? ", HTTP Basic authentication" : "",
		hopts.tls_cert_pem ? ", HTTPS" : "");
	fflush(stdout);

	for (;;) {
		struct timespec ts = { 1, 0 };
		regit_registry_stats st;
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig == SIGINT || sig == SIGTERM) {
			regit_log(REGIT_LOG_INFO, "regit: %s, shutting down\n",
				sig == SIGINT ? "SIGINT" : "SIGTERM");
			break;
		}
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			break;
		/* The credentials file: changed (checked every second) or SIGHUP. */
		rc = regit_serve_security_reload(&sec, sig == SIGHUP, problem, sizeof(problem));
		if (rc > 0)
			regit_api_set_auth(api, sec.auth);
		else if (rc < 0)
			regit_api_set_auth_problem(api, problem);
		regit_error_set_api_code(0);
		rc = regit_registry_refresh(reg);
		regit_registry_stats_get(reg, &st);
		if (rc < 0 || !st.store_ok) {
			if (last_ok)
				fprintf(stderr, "regit: store not reloaded: %s\n",
					regit_error_api_code() ? regit_error_message() : st.store_message);
			last_ok = 0;
		} else if (!last_ok) {
			regit_log(REGIT_LOG_INFO, "regit: store valid again at %s\n", st.head);
			last_ok = 1;
		}
	}
done:
	/* A request still running may read srv's counters: the server frees
	 * them only after its last request ended. */
	if (api)
		regit_api_set_http(api, NULL);
	regit_http_server_free(srv);
	regit_api_free(api);
	regit_registry_free(reg);
	regit_serve_security_dispose(&sec);
	return ret;
}
