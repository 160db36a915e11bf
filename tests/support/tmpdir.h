/*
 * tmpdir.h - temporary directories for tests that need real files (git
 * stores). Each test gets a fresh directory under $TMPDIR that is removed
 * recursively afterwards.
 */
#ifndef REGIT_TEST_TMPDIR_H
#define REGIT_TEST_TMPDIR_H

/** Create a fresh directory; returns a malloc'ed path (free with tmpdir_remove). */
char *test_tmpdir_new(const char *tag);

/** Remove the directory recursively and free the path; NULL is fine. */
void test_tmpdir_remove(char *path);

#endif
