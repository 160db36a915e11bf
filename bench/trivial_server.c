/*
 * trivial_server.c - the baseline for bench/registry_wrk.sh: a libmicrohttpd
 * server configured like `regit serve` (epoll thread pool of one thread
 * per CPU it may run on, turbo, queue on the final callback so keep-alive
 * holds) that answers every request with the same bytes from memory,
 * through one shared response object. Whatever regit does on top of this
 * is what the benchmark measures.
 *
 *   trivial_server BODY_FILE CONTENT_TYPE    prints "port N", serves until killed
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "util/cpu.h"

static struct MHD_Response *shared;

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url,
	const char *method, const char *version, const char *upload_data,
	size_t *upload_data_size, void **req_cls)
{
	static int first_marker;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &first_marker;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(con, MHD_HTTP_OK, shared);
}

int main(int argc, char **argv)
{
	static char body[1 << 20];
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	FILE *f;
	size_t len;
	struct sockaddr_in sa;
	sigset_t set;
	int sig;

	if (argc != 3) {
		fprintf(stderr, "usage: trivial_server BODY_FILE CONTENT_TYPE\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	len = fread(body, 1, sizeof(body), f);
	fclose(f);
	shared = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(shared, MHD_HTTP_HEADER_CONTENT_TYPE, argv[2]);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO,
		0, NULL, NULL, handle, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, regit_cpu_count(),
		MHD_OPTION_CONNECTION_LIMIT, 4096u,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_END);
	if (!d)
		return 1;
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("port %u\n", di ? di->port : 0);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(shared);
	return 0;
}
