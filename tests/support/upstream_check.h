/*
 * upstream_check.h - what the upstream tests (tests/store/test_upstream.c
 * over git:// and http, test_upstream_ssh.c over ssh) share: a clock, a
 * listener that never answers, shell commands, a commit of one file, and
 * the upstream's head and history as git itself reads them.
 */
#ifndef REGIT_TEST_UPSTREAM_CHECK_H
#define REGIT_TEST_UPSTREAM_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t test_now_ms(void);

/* A listening socket on 127.0.0.1 and a free port (*port); -1 on failure.
 * Nobody accepts on it: connections wait in the kernel's backlog. */
int test_listen_any(int *port);

/* Run a shell command (printf-style); its first line of output in out (may
 * be NULL), the rest read and dropped. @return its exit status, -1 if it
 * did not exit. */
int test_sh_line(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Commit one file on s, expecting its head at expected; asserts success. */
void test_commit_file(regit_store *s, const char *expected, char out[REGIT_STORE_OID_HEX],
	const char *path, const char *data);

/* The bare repository's refs/heads/main, "" when absent. */
void test_upstream_head(const char *up_path, char out[REGIT_STORE_OID_HEX]);

/* Asserts main holds `commits` commits, all on its first-parent chain, no merge. */
void test_assert_linear(const char *up_path, int commits);

#endif
