/*
 * snapshot.h - a registry's content read whole through the Confluent REST
 * API: every subject (soft-deleted ones too), every version with its id,
 * deleted flag, schema type and references, each subject's config and mode,
 * and the global config and mode.
 *
 * `regit import` copies a snapshot of the source into the target and
 * `regit export` writes one as files; both work against any
 * Confluent-compatible registry (Confluent, Karapace, Redpanda, regit).
 */
#ifndef REGIT_CLI_SNAPSHOT_H
#define REGIT_CLI_SNAPSHOT_H

#include <jansson.h>
#include <stddef.h>

#include "cli/client.h"

/* Bounds on what a snapshot holds (memory and requests). */
#define REGIT_SNAPSHOT_MAX_SUBJECTS 100000
#define REGIT_SNAPSHOT_MAX_VERSIONS 1000000
/* manifest.json of a `regit export`: 1 GiB, which jansson holds in memory whole */
#define REGIT_SNAPSHOT_MAX_MANIFEST ((long long)1 << 30)

typedef struct regit_snapshot_subject {
	char *name;                     /* owned */
	/* owned, ascending by version; soft-deleted ones have `deleted` set */
	regit_client_schema *versions;
	size_t nversions;
	json_t *config;                 /* GET /config/{s} answer (new reference); NULL: none */
	char *mode;                     /* owned; GET /mode/{s}; NULL: none */
	/* 1 when outside the prefix and read only because a schema in it is referenced */
	int dependency;
} regit_snapshot_subject;

typedef struct regit_snapshot {
	regit_snapshot_subject *subjects;   /* owned, sorted by name */
	size_t nsubjects;
	size_t nversions;                   /* over all subjects */
	json_t *config;                     /* GET /config (new reference); NULL when not read */
	char *mode;                         /* owned; GET /mode; NULL when not read */
} regit_snapshot;

/**
 * Read a registry's content.
 *
 * @param out       receives the snapshot (owned; regit_snapshot_free);
 *                  NULL on failure
 * @param client    the registry
 * @param prefix    only subjects starting with it (NULL or "": all), plus
 *                  every subject a schema in them references, marked
 *                  `dependency` (a copy needs them)
 * @param settings  also read configs and modes (subject ones; the global
 *                  ones too when there is no prefix)
 * @return 0; REGIT_EINVALID when a reference names a version the registry
 *         does not have; REGIT_ELIMIT beyond the bounds above; else as
 *         regit_client_request and regit_client_fetch_subject
 */
int regit_snapshot_read(regit_snapshot **out, regit_client *client, const char *prefix,
	int settings);

/**
 * Load what `regit export` wrote into DIR: DIR/manifest.json, whose version
 * entries carry the registry's schema text (the .avsc files are for people
 * and are not read).
 *
 * @param out  receives the snapshot (owned); NULL on failure
 * @return 0; REGIT_EIO (no manifest), REGIT_EINVALID (not a format 1
 *         manifest, a malformed entry, a subject or version listed twice,
 *         a reference to a version it does not hold), REGIT_ELIMIT, REGIT_ENOMEM
 */
int regit_snapshot_load_dir(regit_snapshot **out, const char *dir);

/** Free a snapshot; NULL is fine. */
void regit_snapshot_free(regit_snapshot *snap);

/** A subject by name. @return borrowed (lives as long as snap), NULL when absent */
const regit_snapshot_subject *regit_snapshot_subject_find(const regit_snapshot *snap,
	const char *name);

/** A version of a subject. @return borrowed, NULL when absent */
const regit_client_schema *regit_snapshot_version_find(const regit_snapshot_subject *s,
	int version);

#endif
