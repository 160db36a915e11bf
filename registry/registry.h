/*
 * registry.h - the schema registry's core: subjects, versions, ids, config
 * and mode with Confluent Schema Registry semantics (see
 * docs/confluent-api.md for the rules), persisted in a git store.
 *
 * This layer knows nothing of HTTP: server/api.c routes requests, calls
 * these functions and renders their results as Confluent JSON (server/http.c
 * only carries requests and answers over libmicrohttpd). Errors come back as
 * Confluent error codes (40401, 42201, 40901, ...) so the API layer only maps
 * code -> status (a 5-digit code's first three digits; a 3-digit code is the
 * status itself).
 *
 * Threading: any number of threads may call any function. Reads are served
 * from memory under a read lock; writes are serialised, committed to the
 * git store (durably) before they return, and then published to readers.
 */
#ifndef REGIT_REGISTRY_H
#define REGIT_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "compat/compat.h"
#include "compat/lint.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct regit_registry regit_registry;

/* Confluent error codes (confluent-api §1). */
enum {
	REGIT_SR_NOT_FOUND = 404,
	REGIT_SR_SUBJECT_NOT_FOUND = 40401,
	REGIT_SR_VERSION_NOT_FOUND = 40402,
	REGIT_SR_SCHEMA_NOT_FOUND = 40403,
	REGIT_SR_SUBJECT_SOFT_DELETED = 40404,
	REGIT_SR_SUBJECT_NOT_SOFT_DELETED = 40405,
	REGIT_SR_VERSION_SOFT_DELETED = 40406,
	REGIT_SR_VERSION_NOT_SOFT_DELETED = 40407,
	REGIT_SR_SUBJECT_CONFIG_NOT_FOUND = 40408,
	REGIT_SR_SUBJECT_MODE_NOT_FOUND = 40409,
	REGIT_SR_INCOMPATIBLE = 40901,
	REGIT_SR_INVALID_SCHEMA = 42201,
	REGIT_SR_INVALID_VERSION = 42202,
	REGIT_SR_INVALID_COMPATIBILITY = 42203,
	REGIT_SR_INVALID_MODE = 42204,
	REGIT_SR_OPERATION_NOT_PERMITTED = 42205,
	REGIT_SR_REFERENCE_EXISTS = 42206,
	REGIT_SR_INVALID_SUBJECT = 42208,
	REGIT_SR_SCHEMA_TOO_LARGE = 42209,
	REGIT_SR_STORE_ERROR = 50001,
	REGIT_SR_STORE_BUSY = 50002      /* Confluent's "operation timed out" */
};

/*
 * What went wrong, ready for {"error_code", "message"}: a failed call
 * (< 0) leaves it in this thread's last error (util/error.h):
 * regit_error_api_code() is the Confluent error_code (0 when the failure
 * has none: the caller maps the return code), regit_error_message() the
 * one-line message (at most REGIT_ERROR_MAX - 1 bytes; long finding
 * lists are cut visibly with "..."). Read them right after the call.
 */

/* Version selector: a number >= 1, or REGIT_VERSION_LATEST ("latest", -1). */
#define REGIT_VERSION_LATEST (-1)

typedef struct regit_reference {
	const char *name;     /* full name of the referenced type */
	const char *subject;
	int version;
} regit_reference;

/*
 * One subject-version. Returned borrowed from the registry's memory: valid
 * until regit_registry_read_end() of the read section it came from.
 */
typedef struct regit_version {
	const char *subject;
	int version;
	int id;
	const char *schema;            /* canonical schema string (compact JSON) */
	size_t schema_len;
	const regit_reference *refs;
	size_t nrefs;
	int deleted;                   /* soft-deleted */
	int64_t ts;                    /* registration time, ms since epoch */
} regit_version;

/* A schema by id (schema text and references; identity of an id). */
typedef struct regit_schema_entry {
	int id;
	const char *schema;
	size_t schema_len;
	const regit_reference *refs;
	size_t nrefs;
} regit_schema_entry;

typedef enum regit_mode {
	REGIT_MODE_READWRITE = 0,
	REGIT_MODE_READONLY,
	REGIT_MODE_READONLY_OVERRIDE,
	REGIT_MODE_IMPORT,
	REGIT_MODE_FORWARD
} regit_mode;

/*
 * regit extension: what registrations do with the event-design lint
 * (compat/lint.h, the default rules and conventions) of a new schema.
 * The order is the policy's strength; append only.
 */
typedef enum regit_lint_policy {
	REGIT_LINT_POLICY_OFF = 0,   /* not linted */
	REGIT_LINT_POLICY_WARN,      /* registered; findings logged and counted */
	REGIT_LINT_POLICY_ENFORCE    /* a lint error refuses it: 42201 with the findings */
} regit_lint_policy;

#define REGIT_LINT_POLICY_COUNT 3

/* A config as stored; unset members keep the "absent" markers. */
typedef struct regit_config {
	int has_level;        regit_compat_level level;
	int has_normalize;    int normalize;
	/* regit extension: strict evolution rules (no removed fields, no new
	 * required fields). Confluent clients ignore the extra key. */
	int has_strict;       int strict;
	/* regit extension: the lint policy ("regit.lint"). */
	int has_lint;         regit_lint_policy lint;
} regit_config;

typedef struct regit_registry_options {
	const char *store_path;          /* bare git repo; created when missing */
	regit_compat_level default_level; /* server default; FULL_TRANSITIVE */
	int default_strict;              /* 1: strict rules by default */
	size_t max_schema_size;          /* bytes; default 1 MiB (42209 beyond) */
	regit_lint_policy default_lint;  /* server default lint policy; OFF */
	int no_load;                     /* internal: regit_registry_verify's handle */
	/*
	 * Replicas on one upstream (registry/README.md, "Running several
	 * replicas"): NULL for none (the store is the only truth, as
	 * always). Else a git://, http(s):// or ssh repository every write is
	 * pushed to as a compare-and-swap and fetched from every
	 * fetch_interval_ms; upstream_timeout_ms bounds each write (then
	 * 50002) and each fetch. Strings borrowed for regit_registry_open.
	 */
	const char *upstream_url;
	const char *upstream_branch;     /* NULL: the store's branch (main) */
	unsigned fetch_interval_ms;      /* 0: 2000 */
	unsigned upstream_timeout_ms;    /* 0: 10000 */
	/* http(s) credentials file (store/upstream.h); NULL: the environment */
	const char *upstream_credentials_file;
	/* ssh upstreams (store/upstream.h): a private key file and a
	 * known_hosts file; NULL: ssh's own (the agent, ~/.ssh) */
	const char *upstream_ssh_key;
	const char *upstream_ssh_known_hosts;
} regit_registry_options;

#define REGIT_REGISTRY_OPTIONS_INIT \
	{ "./data/registry.git", REGIT_LEVEL_FULL_TRANSITIVE, 1, 1u << 20, \
	  REGIT_LINT_POLICY_OFF, 0, NULL, NULL, 0, 0, NULL, NULL, NULL }

/** Open (creating if needed) the store and build the index from its HEAD tree. */
int regit_registry_open(regit_registry **out, const regit_registry_options *opts);

typedef struct regit_store regit_store;   /* store/store.h */

/**
 * Open a registry over a store that is already open: the in-memory store
 * (regit_store_open_mem) of unit tests and allocation-failure loops, or a
 * store the caller shares between registries. opts->store_path is ignored.
 * The registry keeps no start-up cache (that file lives in a store's
 * directory, and such a store may have none); the pre-receive hook is
 * never the registry's business (regit serve installs it on a path).
 *
 * @param store  borrowed: the caller frees it (regit_store_free), after
 *               regit_registry_free, also when the open fails
 * @return 0; REGIT_EIO, REGIT_EINVALID, REGIT_ENOMEM as
 *         regit_registry_open's
 */
int regit_registry_open_store(regit_registry **out, regit_store *store,
	const regit_registry_options *opts);
void regit_registry_free(regit_registry *reg);

/*
 * Read sections. Every getter below that returns borrowed pointers must be
 * called between read_begin and read_end on the same thread; the pointers
 * die at read_end. Sections do not nest and must not contain writes.
 */
void regit_registry_read_begin(regit_registry *reg);
void regit_registry_read_end(regit_registry *reg);

/* ---- writes (each is one git commit; author may be NULL) ---------------- */

typedef struct regit_register_request {
	const char *subject;
	const char *schema;              /* schema text as sent */
	size_t schema_len;
	const char *schema_type;         /* NULL or "AVRO"; others are 42201 */
	const regit_reference *refs;
	size_t nrefs;
	int normalize;                   /* ?normalize=true */
	int force;                       /* ?force=true: skip compat checks */
	int id;                          /* explicit id (IMPORT mode), 0 = none */
	int version;                     /* explicit version, 0 = none */
	const char *author;              /* commit author, NULL = "regit" */
} regit_register_request;

typedef struct regit_register_result {
	int id;
	int version;
	int existed;                     /* idempotent re-registration: no commit */
} regit_register_result;

int regit_registry_register(regit_registry *reg, const regit_register_request *req,
	regit_register_result *out);

/** Soft or permanent delete of one version; *out = the deleted version number. */
int regit_registry_delete_version(regit_registry *reg, const char *subject,
	int version, int permanent, const char *author, int *out);

/**
 * Delete a subject. *out receives an owned array of deleted versions
 * (free with regit_free), *nout its length.
 */
int regit_registry_delete_subject(regit_registry *reg, const char *subject,
	int permanent, const char *author, int **out, size_t *nout);

/** Config: subject NULL = global. PUT merges absent members (§4.7). */
int regit_registry_set_config(regit_registry *reg, const char *subject,
	const regit_config *cfg, const char *author, regit_config *out);
/** DELETE config; *out = the config that was removed. */
int regit_registry_delete_config(regit_registry *reg, const char *subject,
	const char *author, regit_config *out);
/** GET config; default_to_global: fall back to the effective config. */
int regit_registry_get_config(regit_registry *reg, const char *subject,
	int default_to_global, regit_config *out);

int regit_registry_set_mode(regit_registry *reg, const char *subject,
	regit_mode mode, int force, const char *author);
int regit_registry_delete_mode(regit_registry *reg, const char *subject,
	const char *author, regit_mode *out);
int regit_registry_get_mode(regit_registry *reg, const char *subject,
	int default_to_global, regit_mode *out);

/* ---- reads (inside a read section; results borrowed) -------------------- */

/** Lookup: the version of `subject` whose schema equals req->schema. */
int regit_registry_lookup(regit_registry *reg, const regit_register_request *req,
	int deleted, const regit_version **out);

/** GET /subjects/{s}/versions/{v}. */
int regit_registry_get_version(regit_registry *reg, const char *subject,
	int version, int deleted, const regit_version **out);

/** GET /schemas/ids/{id}; soft-deleted schemas still resolve. */
int regit_registry_get_schema(regit_registry *reg, int id,
	const regit_schema_entry **out);

/*
 * Schema GUIDs (Confluent 8.x `guid`): a content identifier of a schema,
 * the same for every id and context that hold it. regit derives it, never
 * stores it: the MD5 of the schema's compact text, followed (when it has
 * references) by each reference as "\0name\0subject\0version", written as
 * a lower-case 8-4-4-4-12 UUID. It is stable across restarts and stores.
 */
#define REGIT_GUID_LEN 36

/** GUID of schema id into out (NUL-terminated). 0, or 40403 when unknown. */
int regit_registry_schema_guid(regit_registry *reg, int id,
	char out[REGIT_GUID_LEN + 1]);

/**
 * GET /schemas/guids/{guid}: the schema with that GUID (upper or lower
 * case hex); when several ids hold it, the lowest. 40403 when none.
 */
int regit_registry_get_schema_by_guid(regit_registry *reg, const char *guid,
	const regit_schema_entry **out);

/** The highest schema id the registry has assigned (0 when none): ?fetchMaxId. */
int regit_registry_max_id(regit_registry *reg);

/**
 * ?format=resolved: the schema of id as compact text with every referenced
 * named type written in full where first used (a self-contained schema),
 * appended to out. Without references it is the stored text. 40403 when unknown.
 */
int regit_registry_schema_resolved(regit_registry *reg, int id, regit_buf *out);

/* Listing filters shared by the list calls. */
typedef struct regit_list_filter {
	const char *prefix;   /* subjectPrefix, NULL = all */
	int deleted;          /* include soft-deleted */
	int deleted_only;     /* only soft-deleted */
	int latest_only;      /* /schemas?latestOnly=true */
} regit_list_filter;

/**
 * Listing callbacks: called once per item, in the API's order (subjects by
 * name; versions ascending). Return nonzero to stop early. Paging (offset,
 * limit) is the caller's business.
 */
typedef int (*regit_subject_cb)(const char *subject, void *payload);
typedef int (*regit_version_cb)(const regit_version *v, void *payload);

int regit_registry_list_subjects(regit_registry *reg, const regit_list_filter *f,
	regit_subject_cb cb, void *payload);
/** 40401 when the subject has nothing to list. */
int regit_registry_list_versions(regit_registry *reg, const char *subject,
	const regit_list_filter *f, regit_version_cb cb, void *payload);
/** GET /schemas: every version matching f, by subject then version. */
int regit_registry_list_schemas(regit_registry *reg, const regit_list_filter *f,
	regit_version_cb cb, void *payload);
/** Subject-versions that use schema id (GET /schemas/ids/{id}/versions). */
int regit_registry_id_versions(regit_registry *reg, int id, int deleted,
	regit_version_cb cb, void *payload);
/** Ids of schemas referencing subject/version, ascending. */
int regit_registry_referenced_by(regit_registry *reg, const char *subject,
	int version, int deleted, regit_version_cb cb, void *payload);

/* ---- compatibility test endpoints --------------------------------------- */

/**
 * POST /compatibility/subjects/{s}/versions[/{v}]. version 0 = every live
 * version per the level (predicts registration); otherwise that one version.
 * *compatible receives the verdict; with verbose, *messages receives an
 * owned, NULL-terminated array of one-line findings (free each and the array
 * with regit_free). An unparsable schema is 42201 unless verbose, which
 * turns it into incompatible + message (§3 Compatibility).
 */
int regit_registry_test_compat(regit_registry *reg, const regit_register_request *req,
	int version, int verbose, int *compatible, char ***messages);

/* ---- reads for the web UI (GET/POST /regit/...) --------------------------- */

/* One finding of regit_registry_check_report, with where it points. */
typedef struct regit_check_finding {
	const char *rule;      /* static: "FIELD_REMOVED", ... */
	char *path;            /* owned: JSON pointer into the new schema ("" = root) */
	char *old_path;        /* owned: JSON pointer into the old schema, or NULL */
	int old_version;       /* the version compared with (0 when unknown) */
	char *message;         /* owned: one sentence */
} regit_check_finding;

typedef struct regit_check_report {
	int compatible;
	regit_compat_level level;      /* the level applied */
	int strict;                    /* the rules applied: 1 strict, 0 avro */
	regit_check_finding *findings; /* owned; at most 100 */
	size_t nfindings;
	size_t nomitted;               /* findings past the cap */
	regit_lint_policy lint_policy; /* the subject's effective lint policy */
	regit_lint_result lint;        /* owned: its findings (none under off) */
} regit_check_report;

/**
 * The compatibility check of a candidate with structured findings (rule,
 * JSON pointers into both schemas, the old version), where
 * regit_registry_test_compat gives one-line messages.
 *
 * @param version   0: the subject's live versions as its level says (what a
 *                  registration would face); N: version N alone (also a
 *                  soft-deleted one), at the level made non-transitive
 * @param level     a level to apply instead of the subject's, or -1
 * @param out       filled on success; dispose with regit_check_report_dispose
 *                  (also after a failure); under a warn or enforce lint
 *                  policy also the candidate's lint findings (default rules)
 * @return 0 whatever the verdict; < 0 with the last error (40402, 42201 for a
 *         candidate that does not parse, 50001)
 */
int regit_registry_check_report(regit_registry *reg, const regit_register_request *req,
	int version, int level, regit_check_report *out);
void regit_check_report_dispose(regit_check_report *r);

/* How regit_registry_version_text writes a version's schema. */
typedef enum regit_text_style {
	REGIT_TEXT_PRETTY = 0,    /* indented, one field per line (the .avsc file) */
	REGIT_TEXT_CANONICAL,     /* Avro Parsing Canonical Form */
	REGIT_TEXT_RESOLVED       /* compact, references written in full */
} regit_text_style;

/**
 * Append subject/version's schema (soft-deleted versions too) in a style to
 * out. The version's id goes to *id when id is not NULL.
 * @return 0, < 0 with the last error (40401, 40402, 50001)
 */
int regit_registry_version_text(regit_registry *reg, const char *subject, int version,
	regit_text_style style, regit_buf *out, int *id);

/* One commit of a subject's history (borrowed for the callback call). */
typedef struct regit_history_entry {
	const char *commit;      /* hex id */
	const char *author;
	const char *email;
	long long time;          /* seconds since the epoch */
	int tz_offset;           /* minutes east of UTC */
	const char *summary;     /* first line of the commit message */
} regit_history_entry;

/**
 * The commits that changed a subject's directory in the store, newest
 * first, from the commit the served index was built from (or `from`, a hex
 * commit id from a previous call's *next): its audit history. Bounded work:
 * at most `limit` (1..100) entries, after `skip`, and a bounded walk per
 * call (store.h, REGIT_STORE_LOG_MAX_WALK); *next (41 bytes) receives
 * where to continue, "" at the end.
 * @return 0 (an unknown subject simply has no history), < 0 with the last error
 *         (42208 invalid subject, 400 bad cursor, 50001)
 */
int regit_registry_subject_history(regit_registry *reg, const char *subject,
	const char *from, size_t skip, size_t limit,
	int (*cb)(const regit_history_entry *e, void *payload), void *payload,
	char *next);

/**
 * The commit that registered each of a subject's versions (the newest
 * commit that added its vN.avsc), from the served head: its author and
 * date. cb(i, entry) is called for versions[i] when found within the
 * bounded walk (REGIT_STORE_LOG_MAX_WALK commits); n at most 100.
 * @return 0, < 0 with the last error (42208, 50001)
 */
int regit_registry_version_origins(regit_registry *reg, const char *subject,
	const int *versions, size_t n,
	void (*cb)(size_t i, const regit_history_entry *e, void *payload), void *payload);

/* ---- health and metrics -------------------------------------------------- */

/* What the lint policy made of a linted schema (counted in stats). */
typedef enum regit_lint_outcome {
	REGIT_LINT_OUTCOME_CLEAN = 0,   /* no findings */
	REGIT_LINT_OUTCOME_WARNED,      /* findings, registered anyway */
	REGIT_LINT_OUTCOME_REFUSED,     /* lint errors under enforce: 42201 */
	REGIT_LINT_OUTCOME_COUNT
} regit_lint_outcome;

/** "clean", "warned", "refused". */
const char *regit_lint_outcome_name(regit_lint_outcome outcome);

typedef struct regit_registry_stats {
	size_t subjects;
	size_t schemas;            /* distinct ids */
	size_t versions;           /* live + soft-deleted */
	uint64_t commits;          /* commits written by this process */
	uint64_t compat_rejections;
	uint64_t store_rejections;   /* reloads refused: invalid or incompatible pushes */
	int store_ok;              /* 0 when the last reload found the store invalid */
	char head[41];             /* commit the index was built from */
	char store_message[256];   /* why the store is not ok */
	size_t parsed;             /* versions whose files the last load parsed (not taken
	                              from the start-up cache or the previous index) */
	/* The last head a reload refused, kept after a valid head replaced it:
	 * its findings (or why it did not load), its commit, when (seconds
	 * since the epoch); "" and 0 when none was refused. */
	char last_rejection[1024];
	char last_rejection_head[41];
	int64_t last_rejection_time;
	uint64_t ledger_rejections;  /* of store_rejections: heads that broke the ledger
	                              (rewritten history, an id reissued or edited, a
	                              version removed or renumbered) */
	/* Lint under a warn or enforce policy (registrations; pushes refused
	 * under enforce): findings by rule index (regit_lint_rule_at) and
	 * severity (0 warning, 1 error), and linted schemas by outcome. */
	uint64_t lint_findings[REGIT_LINT_MAX_RULES][2];
	uint64_t lint_outcomes[REGIT_LINT_OUTCOME_COUNT];
	/* Writes that failed on a full disk (ENOSPC, EDQUOT; the answer was
	 * 500 / 50001 and nothing was written); disk_full is 1 from such a
	 * failure until a write succeeds, since disk_full_since (seconds since
	 * the epoch; 0 when not full). */
	uint64_t nospace_failures;
	int disk_full;
	int64_t disk_full_since;
	/*
	 * The upstream (all 0 without one). upstream_reachable: the last
	 * fetch or push reached it. upstream_refused: its head does not
	 * contain what this replica served (history rewritten): the local
	 * state is served and /health is 503. upstream_synced_ms: when a fetch
	 * last confirmed this replica holds the upstream's head (ms since the
	 * epoch; 0 never). upstream_message: why it is unreachable or refused
	 * (never a credential).
	 */
	int upstream;
	int upstream_reachable;
	int upstream_refused;
	int upstream_unauthorized;   /* it refuses our credentials (writes fail) */
	int64_t upstream_synced_ms;
	char upstream_message[256];
	uint64_t upstream_fetches, upstream_fetch_failures;
	uint64_t upstream_pushes, upstream_push_conflicts, upstream_push_failures;
	uint64_t upstream_repairs;   /* fetches a read miss triggered (read-repair) */
} regit_registry_stats;

void regit_registry_stats_get(regit_registry *reg, regit_registry_stats *out);

/**
 * The registry's state in stats, as /health and the UI name it: "invalid"
 * (the store's head failed to load), "upstream-refused", "degraded" (it
 * serves, but auth_problem (the credentials file could not be reloaded),
 * a full disk or the upstream keeps writes from working), or "ok". Static
 * string.
 */
const char *regit_registry_status(const regit_registry_stats *st, int auth_problem);

/**
 * The upstream's state in stats, as /health and the UI name it: "refused"
 * (its head drops what we served), "unauthorized" (it refuses our
 * credentials), "unreachable", or "ok". Static string.
 */
const char *regit_registry_upstream_state(const regit_registry_stats *st);

/**
 * A counter that changes whenever published state changes (any write or
 * reload). Lets the HTTP layer cache rendered responses: a cached body is
 * valid while the generation it was rendered at is current.
 */
uint64_t regit_registry_generation(regit_registry *reg);

/**
 * Reload if the store's ref moved outside this process (a direct push).
 * A push that does not validate - a broken tree, or a new version that the
 * compatibility policy refuses, exactly as it would refuse registering it -
 * is reported in stats (store_ok, store_message, store_rejections) and
 * never half-served: the old index stays. Called periodically by the server.
 */
int regit_registry_refresh(regit_registry *reg);

/**
 * With an upstream: fetch it now and take its head in (after the ledger
 * and push checks), bounded by the upstream timeout; without one, 0 at
 * once. For POST /regit/refresh (a push webhook's target). Not inside a
 * read section.
 * @return 0; REGIT_EIO (unreachable, refused), with the last error
 */
int regit_registry_upstream_sync(regit_registry *reg);

/**
 * Read-repair: a read found nothing this replica knows (an id above its
 * largest, an unknown subject or version); with an upstream, fetch once
 * before answering 404, so a write acknowledged by another replica a
 * moment ago is found. Rate-limited: a miss within 100 ms of the last
 * repair fetch, or while one runs, waits for that one instead of fetching
 * again, so a flood of 404s costs at most ten fetches a second.
 * @return 1 when the fetch brought something new (ask again), else 0
 */
int regit_registry_read_repair(regit_registry *reg);

/* ---- verifying a store's history (regit verify, the pre-receive hook) ---- */

typedef struct regit_verify_options {
	/* The state trusted as served: a revision, or NULL for the empty
	 * store (the whole history is checked). */
	const char *from;
	/* Trust refs/regit/served instead of from when it exists (a hook:
	 * what the registry served, not what the branch says). */
	int from_served;
	/* The revision checked; NULL for the branch head. "" or all zeros:
	 * the branch is deleted, which is refused. */
	const char *to;
	/* Check to alone against from, as a registry's reload does (a push,
	 * whatever commits it brought), instead of every first-parent commit
	 * from from to to, each against the last one that passed. */
	int tip_only;
	/* Another objects directory to read (a hook's $GIT_QUARANTINE_PATH), or NULL. */
	const char *objects_dir;
	/* Called for each refused commit (message: one line); a non-zero
	 * return stops the walk. */
	int (*finding)(const char *commit, const char *message, void *payload);
	void *payload;
} regit_verify_options;

/**
 * Check the invariants a registry applies to every head it takes in
 * (regit_registry_refresh: the ledger of served ids and versions, the
 * tree's validity, the compatibility policy of pushed versions) over a
 * store's history, without writing anything to the store. ropts gives the
 * store and the server's default level and rules.
 *
 * @param checked    receives the number of commits checked (may be NULL)
 * @param nfindings  receives the number of refused commits
 * @return 0 when the history was checked (findings or not);
 *         REGIT_ENOTFOUND (a revision does not exist), REGIT_ELIMIT,
 *         REGIT_EIO, REGIT_ENOMEM, with regit_error_message()
 */
int regit_registry_verify(const regit_registry_options *ropts, const regit_verify_options *vopts,
	size_t *checked, size_t *nfindings);

/* Names <-> enums ("READWRITE"); parse is case-insensitive. */
const char *regit_mode_name(regit_mode mode);
int regit_mode_parse(const char *name, regit_mode *out);
/* "off", "warn", "enforce" (parse is case-insensitive); 0 or REGIT_EINVALID. */
const char *regit_lint_policy_name(regit_lint_policy policy);
int regit_lint_policy_parse(const char *name, regit_lint_policy *out);

#endif
