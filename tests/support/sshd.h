/*
 * sshd.h - a real OpenSSH sshd on loopback for the ssh upstream tests
 * (tests/store/test_upstream_ssh.c).
 *
 * test_sshd_start makes, in a directory of the caller's: a host key, a
 * client key the server accepts and one it does not (ssh-keygen,
 * ed25519, no passphrase), an authorized_keys file, a known_hosts file
 * with the host key under "[127.0.0.1]:PORT", and an sshd_config (loopback
 * only, keys only, StrictModes and PAM off, its PidFile there); then runs
 * `/usr/sbin/sshd -D -e -f CONFIG` on a free port and waits (bounded) until
 * it sends its banner. As root, sshd needs its privilege separation
 * directory /run/sshd (made here, mode 0755) and logs root in by key
 * (PermitRootLogin prohibit-password); as another user it can log in only
 * that user, which is the one the tests use.
 */
#ifndef REGIT_TEST_SSHD_H
#define REGIT_TEST_SSHD_H

#include <sys/types.h>

typedef struct test_sshd {
	char dir[512];           /* where its files are (the caller's) */
	char config[600];
	char log[600];           /* sshd's stderr (-e) */
	char key[600];           /* the client key sshd accepts */
	char other_key[600];     /* a client key it does not know */
	char known_hosts[600];   /* its host key, for -o UserKnownHostsFile */
	char user[64];           /* the user to log in as: this process's */
	int port;
	pid_t pid;               /* the listening sshd; -1 when stopped */
} test_sshd;

/**
 * Start sshd with its files under dir (which must exist).
 * @return 0; -1 (a message on stderr: sshd missing, it did not come up)
 */
int test_sshd_start(test_sshd *s, const char *dir);

/** Stop it (SIGTERM, then SIGKILL after 3 s) and reap it. */
void test_sshd_stop(test_sshd *s);

/**
 * Send sig to every descendant of the listening sshd (its per-connection
 * sshd processes and the git commands they run), not to the listener.
 * @return how many processes got it
 */
int test_sshd_signal_sessions(const test_sshd *s, int sig);

#endif
