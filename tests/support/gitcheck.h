/*
 * gitcheck.h - run git (or any shell command) from a test and look at what
 * it printed: the store's own writers (tests/store/test_pack_*.c,
 * test_tree_edit.c) are judged by git itself (`git verify-pack -v`, `git
 * fsck --strict`, `git mktree`), not by the code under test.
 */
#ifndef REGIT_TEST_GITCHECK_H
#define REGIT_TEST_GITCHECK_H

#include <stddef.h>

/*
 * Run a shell command (printf-style) and return all it printed on stdout,
 * trailing newlines removed, in a static buffer (valid until the next
 * call; at most 64 KB kept). The command's exit status goes to *status
 * (may be NULL): 0 when it exited 0.
 */
const char *test_sh(int *status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* How many lines of out contain needle. */
size_t test_count_lines(const char *out, const char *needle);

#endif
