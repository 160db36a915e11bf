/*
 * upstream_stream.h - deadlines for libgit2's network I/O (internal to
 * store/upstream.c).
 *
 * libgit2 1.5 has no network timeouts: a server that accepts a connection
 * and never answers blocks git_remote_connect (or a read in the middle of
 * a fetch) forever. regit_upstream__stream_install registers, once per
 * process, a socket stream of our own as libgit2's standard stream; it is
 * what git:// and http:// connect through, and what libgit2's TLS stream
 * (https://) wraps. Each connect, read and write waits with poll() no
 * later than the calling thread's deadline. The ssh transport
 * (upstream_ssh.h) runs a process instead of a stream and bounds its waits
 * by the same per-thread deadline.
 */
#ifndef REGIT_UPSTREAM_STREAM_H
#define REGIT_UPSTREAM_STREAM_H

#include <stdint.h>

/* Deadline of a stream created on a thread that set none: a bound for
 * whatever other libgit2 network use the process might make. */
#define REGIT_UPSTREAM_STREAM_DEFAULT_MS 60000u

/** Register the stream with libgit2 (idempotent, thread-safe; the caller
 * holds a git_libgit2_init reference).
 * @return 0, REGIT_EIO */
int regit_upstream__stream_install(void);

/** Milliseconds of CLOCK_MONOTONIC. */
uint64_t regit_upstream__now_ms(void);

/**
 * Set this thread's deadline (CLOCK_MONOTONIC ms; 0 clears it) and forget
 * whether the previous one expired. Streams take it when created.
 */
void regit_upstream__deadline_set(uint64_t deadline_ms);

/** 1 when a stream of this thread gave up at its deadline since the last
 * regit_upstream__deadline_set, else 0. */
int regit_upstream__deadline_hit(void);

/** 1 when this thread's deadline (if any) has passed; records the hit. */
int regit_upstream__deadline_passed(void);

/** This thread's deadline (CLOCK_MONOTONIC ms), 0 when none is set: what
 * a stream or an ssh process created now must end by. */
uint64_t regit_upstream__deadline_get(void);

/** Record that an I/O of this thread gave up at its deadline (the ssh
 * transport's waits, which are not streams of this file). */
void regit_upstream__deadline_note_hit(void);

#endif
