/*
 * error.h - return codes and the thread-local last-error message.
 *
 * Every fallible function in regit returns an int: 0 on success, a negative
 * REGIT_E* code on failure. The function that detects a failure records a
 * one-line, human-readable message with regit_error_set(); callers propagate
 * the code unchanged and leave the message alone. The message lives in
 * thread-local storage because the HTTP server runs handlers on many threads.
 *
 * The same last error also carries the API error code (the registry's
 * Confluent error_code: 40401, 42201, 50001, ...; 0 when there is none):
 * regit_error_set_code records both, every other set or clear resets it
 * to 0, and the HTTP layer maps it to a status right after a failed call.
 * This is the one error channel: there is no per-call error struct.
 */
#ifndef REGIT_ERROR_H
#define REGIT_ERROR_H

/* Return codes. Append-only: never renumber. */
enum {
	REGIT_OK = 0,
	REGIT_ERROR = -1,        /* generic failure */
	REGIT_ENOMEM = -2,       /* allocation failed */
	REGIT_ENOTFOUND = -3,    /* the thing asked for does not exist */
	REGIT_EEXISTS = -4,      /* the thing to create exists already */
	REGIT_EINVALID = -5,     /* input is malformed or violates a rule */
	REGIT_EINCOMPATIBLE = -6,/* schema change rejected by the checker */
	REGIT_ELIMIT = -7,       /* a size, depth or count bound was hit */
	REGIT_EIO = -8,          /* file system or git storage failure */
	REGIT_ECONFLICT = -9,    /* lost a compare-and-swap race; retry */
	REGIT_EPERM = -10,       /* operation not permitted (mode, auth) */
	REGIT_EBUSY = -11,       /* a lock held by another process past its deadline */
	REGIT_ENOSPC = -12       /* a store write found the disk full (ENOSPC, EDQUOT) */
};

/* Which layer reported the error; helps log readers, never branched on. */
typedef enum {
	REGIT_ERROR_NONE = 0,
	REGIT_ERROR_OS,
	REGIT_ERROR_NOMEMORY,
	REGIT_ERROR_SCHEMA,
	REGIT_ERROR_COMPAT,
	REGIT_ERROR_STORE,
	REGIT_ERROR_HTTP,
	REGIT_ERROR_CODEGEN,
	REGIT_ERROR_CLI,
	REGIT_ERROR_INTERNAL
} regit_error_class;

/* Size of the message buffer, NUL included: longer messages are cut. */
#define REGIT_ERROR_MAX 4096

typedef struct regit_error {
	regit_error_class klass;
	const char *message;     /* borrowed: valid until the next set/clear */
} regit_error;

/**
 * Record the last error of this thread (printf-style, one line, no newline,
 * no "failed to" prefix). Messages longer than REGIT_ERROR_MAX - 1 bytes
 * are truncated. Resets the API error code to 0.
 */
void regit_error_set(regit_error_class klass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Record the last error with an API error code (a Confluent error_code,
 * class REGIT_ERROR_STORE): what a client is answered.
 */
void regit_error_set_code(int api_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Set only the API error code of the last error, keeping its message. */
void regit_error_set_api_code(int api_code);

/** This thread's API error code: 0 unless the last set was regit_error_set_code. */
int regit_error_api_code(void);

/*
 * A copy of a thread's last error (message, class, API code), to carry it
 * to another thread (work done for it) or to put it back after a call
 * whose failure must not replace it.
 */
typedef struct regit_error_saved {
	regit_error_class klass;
	int api_code;
	int set;                          /* a message was recorded */
	char message[REGIT_ERROR_MAX];
} regit_error_saved;

/** Copy this thread's last error into out. */
void regit_error_save(regit_error_saved *out);

/** Make a saved error this thread's last error. */
void regit_error_restore(const regit_error_saved *e);

/** Record an out-of-memory error; never allocates. */
void regit_error_set_oom(void);

/** Forget this thread's last error (and its API code). */
void regit_error_clear(void);

/**
 * This thread's last error. Never NULL: when nothing was recorded the
 * message is "no error" and the class REGIT_ERROR_NONE.
 * @return borrowed; valid until the next regit_error_set/clear on this thread
 */
const regit_error *regit_error_last(void);

/** Shorthand for regit_error_last()->message. */
const char *regit_error_message(void);

/** A static name for a return code ("REGIT_ENOTFOUND"). */
const char *regit_error_code_name(int code);

#endif
