/*
 * schemafiles.h - the .avsc files under some paths: what `regit lint` and
 * `regit check --against` read from disk.
 *
 * A scan walks a file or a directory tree (hidden entries skipped, at most
 * REGIT_SCHEMAFILES_MAX_DEPTH levels) and appends the .avsc files it finds
 * to a list of owned path strings, bounded by the list's `max`.
 */
#ifndef REGIT_SCHEMAFILES_H
#define REGIT_SCHEMAFILES_H

#include <stddef.h>

/* Directory levels below a scanned path that are still read. */
#define REGIT_SCHEMAFILES_MAX_DEPTH 32

typedef struct regit_schemafiles {
	char **v;       /* owned paths */
	size_t n, a;
	size_t max;     /* more files than this is REGIT_ELIMIT */
} regit_schemafiles;

/*
 * The scan's top path was asked for by name: when it is a file it is taken
 * whatever its name, and when it is missing or an unreadable directory
 * the scan fails (REGIT_ENOTFOUND, REGIT_EIO) instead of finding nothing.
 */
#define REGIT_SCHEMAFILES_EXPLICIT 0x1u

/**
 * Append `path`, taking ownership of it also on failure (NULL is
 * REGIT_ENOMEM, so a failed regit_strdup can be passed straight in).
 * @return 0, REGIT_ENOMEM, REGIT_ELIMIT ("more than MAX schema files")
 */
int regit_schemafiles_take(regit_schemafiles *list, char *path);

/**
 * Append the .avsc files at or below `base` + `rel`. The paths appended
 * are `rel` joined with the names below it ('/' between, none after an
 * empty `rel` or one ending in '/'), so `base` ("" or a directory with its
 * trailing '/') stays out of them. Anything unreadable below the top is
 * skipped.
 * @param flags 0 or REGIT_SCHEMAFILES_EXPLICIT
 * @return 0, REGIT_ENOMEM, REGIT_ELIMIT; with EXPLICIT also
 *         REGIT_ENOTFOUND and REGIT_EIO ("PATH: strerror")
 */
int regit_schemafiles_scan(regit_schemafiles *list, const char *base, const char *rel,
	unsigned flags);

/** Sort the paths (strcmp) and drop repeats. */
void regit_schemafiles_sort_unique(regit_schemafiles *list);

/** Free the paths; the list is empty (its `max` kept) and reusable. */
void regit_schemafiles_dispose(regit_schemafiles *list);

#endif
