/*
 * serve_security.h - the security options of `regit serve`: --auth FILE,
 * --tls-cert/--tls-key, --insecure-no-auth, and the bind policy.
 *
 * Kept apart from cmd_serve.c so the server command only forwards options
 * here and applies the result. Policy (issue 6): without --auth the server
 * binds only loopback addresses; a non-loopback --listen also needs
 * --insecure-no-auth. TLS needs both files and a libmicrohttpd built with
 * TLS; anything missing is a start-up error (exit 2), never a silent
 * downgrade.
 */
#ifndef REGIT_CLI_SERVE_SECURITY_H
#define REGIT_CLI_SERVE_SECURITY_H

#include "cli/opt.h"
#include "server/auth.h"
#include "server/http.h"

typedef struct regit_serve_security {
	const char *auth_path;       /* borrowed from argv */
	const char *tls_cert_path;   /* borrowed from argv */
	const char *tls_key_path;    /* borrowed from argv */
	const char *tls_priorities;  /* borrowed from argv; NULL = the default */
	int insecure_no_auth;
	regit_auth *auth;            /* owned; NULL without --auth */
	char *tls_cert;              /* owned PEM text */
	char *tls_key;               /* owned PEM text */
	/* hostile-load limits as given (borrowed from argv; NULL = default) */
	const char *max_body_memory;
	const char *max_per_ip;
	const char *header_timeout;
	long long auth_stamp[4];     /* the loaded file's inode, size, mtime */
	int auth_broken;             /* the last reload failed (logged once) */
	const char *tls_client_ca_path; /* borrowed from argv; NULL = no mutual TLS */
	char *tls_client_ca;         /* owned PEM text */
} regit_serve_security;

#define REGIT_SERVE_SECURITY_INIT { NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, \
	NULL, NULL, NULL, { 0, 0, 0, 0 }, 0, NULL, NULL }

/* Ids of our options (from 2000: serve numbers its own from 1). */
enum {
	REGIT_SERVE_SEC_OPT_AUTH = 2000,
	REGIT_SERVE_SEC_OPT_INSECURE_NO_AUTH,
	REGIT_SERVE_SEC_OPT_TLS_CERT,
	REGIT_SERVE_SEC_OPT_TLS_KEY,
	REGIT_SERVE_SEC_OPT_TLS_PRIORITIES,
	REGIT_SERVE_SEC_OPT_MAX_BODY_MEMORY,
	REGIT_SERVE_SEC_OPT_MAX_PER_IP,
	REGIT_SERVE_SEC_OPT_HEADER_TIMEOUT,
	REGIT_SERVE_SEC_OPT_TLS_CLIENT_CA
};

/* Our options, a fragment of serve's option table (cli/opt.h). */
extern const regit_opt_spec regit_serve_security_opt_specs[];

/* A paragraph for the notes of `regit serve --help`. */
#define REGIT_SERVE_SECURITY_NOTES \
	"The --auth file is reread when it changes and on SIGHUP; a file that does\n" \
	"not load keeps the previous credentials (logged, and shown by GET /health).\n" \
	"Failed logins are limited per client address (429 with Retry-After)."

/**
 * Apply a parsed option when it is one of regit_serve_security_opt_specs
 * (values are checked by regit_serve_security_prepare).
 * @return 1 applied, 0 not ours
 */
int regit_serve_security_apply(regit_serve_security *sec, const regit_opt *o);

/**
 * Enforce the bind policy, load the credentials and TLS files, and point
 * hopts at the TLS material (which lives as long as sec). Prints the
 * reason and returns -1 on any problem; 0 when the server may start.
 */
int regit_serve_security_prepare(regit_serve_security *sec, regit_http_options *hopts);

void regit_serve_security_dispose(regit_serve_security *sec);

/**
 * Reload the --auth file when it changed since it was last read (inode,
 * size or modification time), or always with force (SIGHUP). On success
 * sec->auth is the new handle (the old reference dropped) and 1 is
 * returned; a file that fails to load keeps sec->auth, logs why once and
 * returns -1 with the reason in problem (problem_size bytes); 0 when
 * nothing changed or there is no --auth.
 */
int regit_serve_security_reload(regit_serve_security *sec, int force, char *problem,
	size_t problem_size);

/**
 * Keep the secrets the server holds (the TLS key, the auth cache's key,
 * passwords in request headers) out of core dumps: the process becomes
 * non-dumpable (PR_SET_DUMPABLE 0, which also closes /proc/PID/mem and
 * ptrace to other processes of the same user) and its core size limit,
 * soft and hard, is 0. Call before any secret is read.
 * @return 0, -1 (message printed)
 */
int regit_serve_harden_process(void);

/** 1 when every address "host:port" resolves to is loopback. */
int regit_serve_is_loopback(const char *listen);

#endif
