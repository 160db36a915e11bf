/*
 * serve_security.c - see serve_security.h.
 */
#include "cli/serve_security.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"

#define SERVE_PEM_MAX (1u << 20)

const regit_opt_spec regit_serve_security_opt_specs[] = {
	{ REGIT_OPT_VALUE, REGIT_SERVE_SEC_OPT_AUTH, "auth", 0, "FILE",
	  "require HTTP Basic auth; FILE has user:role:hash lines\n"
	  "written by `regit passwd` (roles read < write < admin)" },
	{ REGIT_OPT_FLAG, REGIT_SERVE_SEC_OPT_INSECURE_NO_AUTH, "insecure-no-auth", 0, NULL,
	  "allow a non-loopback --listen without --auth" },
	{ REGIT_OPT_VALUE, REGIT_SERVE_SEC_OPT_TLS_CERT, "tls-cert", 0, "FILE",
	  "serve HTTPS with this PEM certificate (needs --tls-key)" },
	{ REGIT_OPT_VALUE, REGIT_SERVE_SEC_OPT_TLS_KEY, "tls-key", 0, "FILE",
	  "PEM private key for --tls-cert" },
	{ REGIT_OPT_VALUE, REGIT_SERVE_SEC_OPT_TLS_PRIORITIES, "tls-priorities", 0, "S",
	  "GnuTLS priority string (default: TLS 1.2+ with ECDHE/DHE\n"
	  "and AEAD ciphers only; see gnutls_priority_init(3))" },
	{ REGIT_OPT_VALUE, REGIT_SERVE_SEC_OPT_TLS_CLIENT_CA, "tls-client-ca", 0, "FILE",
	  "mutual TLS: require a client certificate signed by these\n"
	  "PEM CAs; its subject CN is the --auth user (that user's\n"
	  "role, no password)" },
	{ REGIT_OPT_VALUE, REGIT_SERVE_SEC_OPT_MAX_BODY_MEMORY, "max-body-memory", 0, "MB",
	  "request bodies held in memory at once, all clients\n"
	  "together (default 256); past it new bodies get 503" },
	{ REGIT_OPT_VALUE, REGIT_SERVE_SEC_OPT_MAX_PER_IP, "max-connections-per-ip", 0, "N",
	  "connections one client address may hold (default 64);\n"
	  "more are answered 503 and closed" },
	{ REGIT_OPT_VALUE, REGIT_SERVE_SEC_OPT_HEADER_TIMEOUT, "header-timeout", 0, "S",
	  "seconds from accept to the end of a request's headers,\n"
	  "however slowly they arrive (default 10)" },
	REGIT_OPT_SPEC_END
};

int regit_serve_security_apply(regit_serve_security *sec, const regit_opt *o)
{
	switch (o->spec ? o->spec->id : 0) {
	case REGIT_SERVE_SEC_OPT_AUTH:
		sec->auth_path = o->value;
		return 1;
	case REGIT_SERVE_SEC_OPT_INSECURE_NO_AUTH:
		sec->insecure_no_auth = 1;
		return 1;
	case REGIT_SERVE_SEC_OPT_TLS_CERT:
		sec->tls_cert_path = o->value;
		return 1;
	case REGIT_SERVE_SEC_OPT_TLS_CLIENT_CA:
		sec->tls_client_ca_path = o->value;
		return 1;
	case REGIT_SERVE_SEC_OPT_TLS_KEY:
		sec->tls_key_path = o->value;
		return 1;
	case REGIT_SERVE_SEC_OPT_TLS_PRIORITIES:
		sec->tls_priorities = o->value;
		return 1;
	case REGIT_SERVE_SEC_OPT_MAX_BODY_MEMORY:
		sec->max_body_memory = o->value;
		return 1;
	case REGIT_SERVE_SEC_OPT_MAX_PER_IP:
		sec->max_per_ip = o->value;
		return 1;
	case REGIT_SERVE_SEC_OPT_HEADER_TIMEOUT:
		sec->header_timeout = o->value;
		return 1;
	default:
		return 0;
	}
}

int regit_serve_is_loopback(const char *listen)
{
	char host[256];
	const char *colon, *hs, *he;
	struct addrinfo hints, *ai = NULL, *p;
	int loop = 0;

	if (!listen)
		return 0;
	colon = strrchr(listen, ':');
	if (!colon)
		return 0;
	hs = listen;
	he = colon;
	if (*hs == '[' && he > hs && he[-1] == ']') {
		hs++;
		he--;
	}
	if (he <= hs || (size_t)(he - hs) >= sizeof(host))
		return 0;   /* ":8081" is every interface */
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
		return 0;
	loop = 1;
	for (p = ai; p; p = p->ai_next) {
		if (p->ai_family == AF_INET) {
			const struct sockaddr_in *in = (const void *)p->ai_addr;

			if ((ntohl(in->sin_addr.s_addr) >> 24) != 127)
				loop = 0;
		} else if (p->ai_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (const void *)p->ai_addr;
			const unsigned char *b = in6->sin6_addr.s6_addr;

			if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) &&
			    !(IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127))
				loop = 0;
		} else {
			loop = 0;
		}
	}
	freeaddrinfo(ai);
	return loop;
}

static int sec_read_pem(char **out, const char *path, const char *what)
{
	regit_buf buf;
	int error;

	regit_buf_init(&buf, SERVE_PEM_MAX);
	error = regit_buf_read_file(&buf, path);
	if (error == 0 && !strstr(regit_buf_cstr(&buf), "-----BEGIN ")) {
		regit_error_set(REGIT_ERROR_CLI, "not a PEM file");
		error = REGIT_EINVALID;
	}
	if (error < 0) {
		fprintf(stderr, "regit serve: %s %s: %s\n", what, path, regit_error_message());
		/* whatever it was, it may be the key */
		if (buf.ptr)
			explicit_bzero(buf.ptr, buf.size);
		regit_buf_dispose(&buf);
		return -1;
	}
	*out = regit_buf_detach(&buf);
	return *out ? 0 : -1;
}

/* A whole number from lo to hi; -1 (after a message) otherwise. */
static long long sec_number(const char *name, const char *val, long long lo, long long hi)
{
	char *end = NULL;
	long long n;

	errno = 0;
	n = strtoll(val, &end, 10);
	if (errno || !end || end == val || *end || n < lo || n > hi) {
		fprintf(stderr, "regit serve: %s takes a whole number from %lld to %lld\n",
			name, lo, hi);
		return -1;
	}
	return n;
}

static void sec_stamp(long long out[4], const struct stat *st)
{
	out[0] = (long long)st->st_ino;
	out[1] = (long long)st->st_size;
	out[2] = (long long)st->st_mtim.tv_sec;
	out[3] = (long long)st->st_mtim.tv_nsec;
}

int regit_serve_security_reload(regit_serve_security *sec, int force, char *problem,
	size_t problem_size)
{
	regit_auth *fresh = NULL;
	struct stat st;
	long long stamp[4] = { 0, 0, 0, 0 };

	if (problem_size)
		problem[0] = '\0';
	if (!sec->auth_path)
		return 0;
	if (stat(sec->auth_path, &st) == 0)
		sec_stamp(stamp, &st);
	if (!force && memcmp(stamp, sec->auth_stamp, sizeof(stamp)) == 0)
		return 0;
	memcpy(sec->auth_stamp, stamp, sizeof(stamp));
	if (regit_auth_load(&fresh, sec->auth_path) < 0) {
		snprintf(problem, problem_size, "--auth %s not reloaded, previous credentials"
			" kept: %s", sec->auth_path, regit_error_message());
		fprintf(stderr, "regit serve: %s\n", problem);
		sec->auth_broken = 1;
		return -1;
	}
	regit_auth_free(sec->auth);
	sec->auth = fresh;
	sec->auth_broken = 0;
	regit_log(REGIT_LOG_INFO, "regit serve: --auth %s reloaded (%zu users)\n", sec->auth_path,
		regit_auth_count(fresh));
	return 1;
}

int regit_serve_security_prepare(regit_serve_security *sec, regit_http_options *hopts)
{
	struct stat st;
	long long n;

	if (sec->max_body_memory) {
		n = sec_number("--max-body-memory", sec->max_body_memory, 1, 1 << 20);
		if (n < 0)
			return -1;
		hopts->max_body_memory = (size_t)n << 20;
	}
	if (sec->max_per_ip) {
		n = sec_number("--max-connections-per-ip", sec->max_per_ip, 1, 100000);
		if (n < 0)
			return -1;
		hopts->max_per_ip = (unsigned)n;
	}
	if (sec->header_timeout) {
		n = sec_number("--header-timeout", sec->header_timeout, 1, 3600);
		if (n < 0)
			return -1;
		hopts->header_timeout_s = (unsigned)n;
	}

	/* A malformed address first: "127.0.0.1" is no loopback address to
	 * serve without --auth, it is a missing port. */
	if (regit_http_listen_check(hopts->listen) < 0) {
		fprintf(stderr, "regit serve: --listen: %s\n", regit_error_message());
		return -1;
	}
	if (!sec->auth_path && !sec->insecure_no_auth && !regit_serve_is_loopback(hopts->listen)) {
		fprintf(stderr,
			"regit serve: refusing to serve %s without authentication; use --auth FILE"
			" (see regit passwd), or --insecure-no-auth if you really mean it\n",
			hopts->listen);
		return -1;
	}
	if (sec->auth_path) {
		if (stat(sec->auth_path, &st) == 0)
			sec_stamp(sec->auth_stamp, &st);
		if (regit_auth_load(&sec->auth, sec->auth_path) < 0) {
			fprintf(stderr, "regit serve: --auth %s: %s\n", sec->auth_path,
				regit_error_message());
			return -1;
		}
		if (regit_auth_count(sec->auth) == 0)
			regit_log(REGIT_LOG_WARN, "regit serve: warning: %s has no users; every request"
				" will be refused\n", sec->auth_path);
		if (stat(sec->auth_path, &st) == 0 && (st.st_mode & 077))
			regit_log(REGIT_LOG_WARN, "regit serve: warning: %s is readable by others"
				" (chmod 600 it)\n", sec->auth_path);
	}
	if (sec->tls_priorities && !sec->tls_cert_path) {
		fprintf(stderr, "regit serve: --tls-priorities needs --tls-cert and --tls-key\n");
		return -1;
	}
	if (sec->tls_client_ca_path && (!sec->tls_cert_path || !sec->auth_path)) {
		fprintf(stderr, "regit serve: --tls-client-ca needs --tls-cert, --tls-key and"
			" --auth (a certificate's subject names a user of the --auth file)\n");
		return -1;
	}
	if (!sec->tls_cert_path != !sec->tls_key_path) {
		fprintf(stderr, "regit serve: --tls-cert and --tls-key go together\n");
		return -1;
	}
	if (sec->tls_cert_path) {
		if (!regit_http_tls_supported()) {
			fprintf(stderr, "regit serve: this libmicrohttpd was built without TLS"
				" support; --tls-cert/--tls-key cannot be used (serve plain HTTP"
				" behind a TLS proxy instead)\n");
			return -1;
		}
		if (sec_read_pem(&sec->tls_cert, sec->tls_cert_path, "--tls-cert") < 0 ||
		    sec_read_pem(&sec->tls_key, sec->tls_key_path, "--tls-key") < 0)
			return -1;
		hopts->tls_cert_pem = sec->tls_cert;
		hopts->tls_key_pem = sec->tls_key;
		hopts->tls_priorities = sec->tls_priorities;
		if (sec->tls_client_ca_path) {
			if (sec_read_pem(&sec->tls_client_ca, sec->tls_client_ca_path,
			    "--tls-client-ca") < 0)
				return -1;
			hopts->tls_client_ca_pem = sec->tls_client_ca;
		}
	}
	return 0;
}

void regit_serve_security_dispose(regit_serve_security *sec)
{
	regit_auth_free(sec->auth);
	sec->auth = NULL;
	if (sec->tls_key) {
		explicit_bzero(sec->tls_key, strlen(sec->tls_key));
		regit_free(sec->tls_key);
	}
	regit_free(sec->tls_cert);
	regit_free(sec->tls_client_ca);
	sec->tls_cert = sec->tls_key = sec->tls_client_ca = NULL;
}

int regit_serve_harden_process(void)
{
	struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || setrlimit(RLIMIT_CORE, &none) != 0) {
		fprintf(stderr, "regit serve: cannot disable core dumps: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}
