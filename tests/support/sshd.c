/*
 * sshd.c - see sshd.h.
 */
#include "tests/support/sshd.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SSHD_PATH "/usr/sbin/sshd"

static unsigned long long sshd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

/* A shell command's exit status (output to the log). */
static int sshd_sh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int sshd_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A port nobody listens on now (the kernel's pick; a race with another
 * process is retried by the caller). */
static int sshd_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int port = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* 1 when something on port sends an SSH banner within a second. */
static int sshd_banner(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = { 1, 0 };
	char buf[8] = "";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = 0;

	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			recv(fd, buf, 4, MSG_WAITALL) == 4)
		ok = memcmp(buf, "SSH-", 4) == 0;
	close(fd);
	return ok;
}

static int sshd_write_config(test_sshd *s)
{
	FILE *f = fopen(s->config, "w");

	if (!f)
		return -1;
	fprintf(f, "Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\n"
		"PidFile %s/sshd.pid\nAuthorizedKeysFile %s/authorized_keys\n"
		"StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
		"KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
		"PermitRootLogin prohibit-password\nAllowTcpForwarding no\n"
		"X11Forwarding no\nPrintMotd no\nUseDNS no\nMaxStartups 100\n"
		"MaxAuthTries 3\nLoginGraceTime 30\n",
		s->port, s->dir, s->dir, s->dir);
	return fclose(f) == 0 ? 0 : -1;
}

int test_sshd_start(test_sshd *s, const char *dir)
{
	struct passwd *pw = getpwuid(geteuid());
	int tries;

	memset(s, 0, sizeof(*s));
	s->pid = -1;
	if (access(SSHD_PATH, X_OK) != 0) {
		fprintf(stderr, "%s is missing (scripts/install-deps --test installs"
			" openssh-server)\n", SSHD_PATH);
		return -1;
	}
	if (!pw) {
		fprintf(stderr, "no passwd entry for uid %d: sshd cannot log it in\n",
			(int)geteuid());
		return -1;
	}
	snprintf(s->user, sizeof(s->user), "%s", pw->pw_name);
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->config, sizeof(s->config), "%s/sshd_config", dir);
	snprintf(s->log, sizeof(s->log), "%s/sshd.log", dir);
	snprintf(s->key, sizeof(s->key), "%s/client_key", dir);
	snprintf(s->other_key, sizeof(s->other_key), "%s/other_key", dir);
	snprintf(s->known_hosts, sizeof(s->known_hosts), "%s/known_hosts", dir);
	if (sshd_sh("cd '%s' && for k in host_key client_key other_key; do"
			" ssh-keygen -q -t ed25519 -N '' -C regit-test -f $k </dev/null"
			" >/dev/null || exit 1; done && cp client_key.pub authorized_keys",
			dir) != 0) {
		fprintf(stderr, "ssh-keygen failed (scripts/install-deps --test installs"
			" openssh-client)\n");
		return -1;
	}
	/* The privilege separation directory sshd checks when run as root. */
	if (geteuid() == 0 && mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "mkdir /run/sshd: %s\n", strerror(errno));
		return -1;
	}
	if (geteuid() == 0)
		(void)chmod("/run/sshd", 0755);
	for (tries = 0; tries < 5; tries++) {
		unsigned long long until;

		s->port = sshd_free_port();
		if (s->port < 0 || sshd_write_config(s) < 0)
			return -1;
		if (sshd_sh("printf '[127.0.0.1]:%d ' >'%s' && cat '%s/host_key.pub' >>'%s'",
				s->port, s->known_hosts, dir, s->known_hosts) != 0)
			return -1;
		s->pid = fork();
		if (s->pid < 0)
			return -1;
		if (s->pid == 0) {
			int null = open("/dev/null", O_RDWR);
			int log = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

			dup2(null, 0);
			dup2(null, 1);
			dup2(log >= 0 ? log : null, 2);
			setpgid(0, 0);
			execl(SSHD_PATH, SSHD_PATH, "-D", "-e", "-f", s->config, (char *)NULL);
			_exit(127);
		}
		setpgid(s->pid, s->pid);
		until = sshd_now_ms() + 10000;
		while (sshd_now_ms() < until) {
			if (sshd_banner(s->port))
				return 0;
			if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
				s->pid = -1;
				break;
			}
			usleep(20000);
		}
		if (s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			s->pid = -1;
		}
	}
	fprintf(stderr, "sshd did not come up on 127.0.0.1; its log:\n");
	sshd_sh("tail -n 20 '%s' >&2", s->log);
	return -1;
}

void test_sshd_stop(test_sshd *s)
{
	unsigned long long until = sshd_now_ms() + 3000;

	if (s->pid <= 0)
		return;
	(void)test_sshd_signal_sessions(s, SIGCONT);
	kill(s->pid, SIGCONT);
	kill(s->pid, SIGTERM);
	while (sshd_now_ms() < until) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = -1;
			return;
		}
		usleep(10000);
	}
	kill(-s->pid, SIGKILL);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
}

/* The parent pid of a process, from /proc/PID/stat; -1 if gone. */
static pid_t sshd_ppid(pid_t pid)
{
	char path[64], buf[512];
	const char *rp;
	FILE *f;
	size_t n;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold spaces and parentheses. */
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

int test_sshd_signal_sessions(const test_sshd *s, int sig)
{
	pid_t found[256];
	size_t n = 0, i, before;
	DIR *d;
	struct dirent *e;
	int sent = 0;

	if (s->pid <= 0)
		return 0;
	found[n++] = s->pid;
	/* Grow the set until no process under it is left out. */
	do {
		before = n;
		d = opendir("/proc");
		if (!d)
			return 0;
		while ((e = readdir(d)) != NULL && n < sizeof(found) / sizeof(found[0])) {
			char *end;
			long pid = strtol(e->d_name, &end, 10);
			pid_t pp;
			int known = 0;

			if (*end || pid <= 0)
				continue;
			for (i = 0; i < n; i++)
				known |= found[i] == (pid_t)pid;
			if (known)
				continue;
			pp = sshd_ppid((pid_t)pid);
			for (i = 0; i < n; i++) {
				if (pp == found[i]) {
					found[n++] = (pid_t)pid;
					break;
				}
			}
		}
		closedir(d);
	} while (n != before);
	for (i = 1; i < n; i++)
		if (kill(found[i], sig) == 0)
			sent++;
	return sent;
}
