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
#include "cli/serve_hook.h"
#include "cli/serve_security.h"
#include "registry/registry.h"
#include "server/api.h"
#include "server/http.h"
#include "util/error.h"

static void serve_usage(FILE *f)
{
	fprintf(f,
		"usage: regit serve [--listen HOST:PORT] [--store PATH] [--compat LEVEL]\n"
		"                   [--rules strict|avro] [--lint off|warn|enforce]\n"
		"                   [--access-log] [--threads N]\n"
		"                   [--auth FILE] [--tls-cert PEM --tls-key PEM]\n"
		"                   [--max-body-memory MB] [--max-connections-per-ip N]\n"
		"                   [--header-timeout S]\n"
		"\n"
		"Run the schema registry: the Confluent Schema Registry REST API (Avro)\n"
		"on a git repository that holds every subject, version and config.\n"
		"\n"
		"  --listen HOST:PORT  address to bind (default 127.0.0.1:8081; port 0 picks\n"
		"                      a free port, printed on startup)\n"
		"  --store PATH        bare git repository, created when missing\n"
		"                      (default ./data/registry.git)\n"
		"  --compat LEVEL      server default compatibility level: NONE, BACKWARD,\n"
		"                      FORWARD, FULL or a *_TRANSITIVE form\n"
		"                      (default FULL_TRANSITIVE)\n"
		"  --rules RULES       strict (default): also refuse removed fields and new\n"
		"                      fields without a default; avro: Avro resolution only,\n"
		"                      as Confluent decides\n"
		"  --lint POLICY       default lint policy of registrations (subjects and the\n"
		"                      global config override it with \"regit.lint\"): off\n"
		"                      (default); warn: register, log and count findings;\n"
		"                      enforce: refuse lint errors (42201). The default\n"
		"                      rules and naming conventions of `regit lint` apply\n"
		"  --access-log        one JSON line per request on stderr\n"
		"  --threads N         HTTP worker threads (default: the CPUs it may run on)\n"
		"%s"
		"\n"
		"Endpoints: the Confluent API (/subjects, /schemas, /config, /mode,\n"
		"/compatibility, ...), plus GET /metrics (Prometheus) and GET /health.\n"
		"The store gets a pre-receive hook (rewritten at each start) that refuses\n"
		"pushes the registry would refuse (`regit verify --help`).\n"
		"SIGINT or SIGTERM stops the server cleanly; SIGHUP rereads the --auth file.\n", regit_serve_security_usage);
}

static int serve_arg(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);

	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "regit serve: %s needs a value\n", name);
			return -1;
		}
		*out = argv[++*i];
		return 1;
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
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
	regit_registry_error err;
	const char *val = NULL;
	sigset_t set;
	char problem[512];
	int i, rc, ret = REGIT_EXIT_OK, last_ok = 1;

	if (regit_cli_wants_help(argc, argv)) {
		serve_usage(stdout);
		return REGIT_EXIT_OK;
	}
	ret = REGIT_EXIT_USAGE;   /* until the options are read */
	for (i = 1; i < argc; i++) {
		rc = regit_serve_security_arg(&sec, argc, argv, &i);
		if (rc == 0)
			rc = serve_arg(argc, argv, &i, "--listen", &hopts.listen);
		if (rc == 0)
			rc = serve_arg(argc, argv, &i, "--store", &ropts.store_path);
		if (rc == 0) {
			rc = serve_arg(argc, argv, &i, "--compat", &val);
			if (rc > 0 && regit_compat_level_parse(val, &ropts.default_level) < 0) {
				fprintf(stderr, "regit serve: unknown compatibility level '%s'\n", val);
				goto done;
			}
		}
		if (rc == 0) {
			rc = serve_arg(argc, argv, &i, "--rules", &val);
			if (rc > 0 && strcasecmp(val, "strict") == 0) {
				ropts.default_strict = 1;
			} else if (rc > 0 && strcasecmp(val, "avro") == 0) {
				ropts.default_strict = 0;
			} else if (rc > 0) {
				fprintf(stderr, "regit serve: --rules is strict or avro, not '%s'\n", val);
				goto done;
			}
		}
		if (rc == 0) {
			rc = serve_arg(argc, argv, &i, "--lint", &val);
			if (rc > 0 && regit_lint_policy_parse(val, &ropts.default_lint) < 0) {
				fprintf(stderr, "regit serve: --lint is off, warn or enforce, not '%s'\n",
					val);
				goto done;
			}
		}
		if (rc == 0) {
			rc = serve_arg(argc, argv, &i, "--threads", &val);
			if (rc > 0) {
				char *end = NULL;
				long n = strtol(val, &end, 10);

				if (!end || *end || n < 1 || n > 256) {
					fprintf(stderr, "regit serve: --threads takes 1..256\n");
					goto done;
				}
				hopts.threads = (unsigned)n;
			}
		}
		if (rc == 0 && strcmp(argv[i], "--access-log") == 0) {
			hopts.access_log = 1;
			rc = 1;
		}
		if (rc < 0)
			goto done;
		if (rc == 0) {
			fprintf(stderr, "regit serve: unknown option '%s'\n", argv[i]);
			serve_usage(stderr);
			goto done;
		}
	}
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

	/* Block before any thread exists so that every thread inherits it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&err, 0, sizeof(err));
	if (regit_registry_open(&reg, &ropts, &err) < 0) {
		fprintf(stderr, "regit serve: cannot open store %s: %s\n", ropts.store_path,
			err.message[0] ? err.message : regit_error_message());
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
			fprintf(stderr, "regit: %s, shutting down\n",
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
		memset(&err, 0, sizeof(err));
		rc = regit_registry_refresh(reg, &err);
		regit_registry_stats_get(reg, &st);
		if (rc < 0 || !st.store_ok) {
			if (last_ok)
				fprintf(stderr, "regit: store not reloaded: %s\n",
					err.message[0] ? err.message : st.store_message);
			last_ok = 0;
		} else if (!last_ok) {
			fprintf(stderr, "regit: store valid again at %s\n", st.head);
			last_ok = 1;
		}
	}
done:
	regit_http_server_free(srv);
	regit_api_free(api);
	regit_registry_free(reg);
	regit_serve_security_dispose(&sec);
	return ret;
}
