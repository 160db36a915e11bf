/*
 * store.h - the registry's persistence: a bare git repository used as a
 * versioned file tree.
 *
 * The store knows nothing of schemas. It offers three things:
 *  - a listing of the tree at the branch HEAD points to (path -> blob id),
 *    with blob contents read on demand, so a reload can skip every file whose
 *    blob id it has seen before;
 *  - one atomic write: a change set (put / remove paths) committed on top of
 *    an expected head, published with a compare-and-swap of the branch ref.
 *    If the ref moved (another thread, another process, a direct push) the
 *    commit is not published and REGIT_ECONFLICT is returned;
 *  - a cheap "where is the ref now" query to notice direct pushes.
 * Writes are durable when they return: libgit2's fsync of the git directory
 * is switched on for the whole process.
 *
 * store/store.c dispatches these calls through a table of functions:
 * store/store_git.c (with store_history.c and store_git_repo.c) implements
 * it on git and, with them, is the only place that includes <git2.h>;
 * store/store_mem.c implements it in memory for tests (store/README.md
 * lists the files). A git store handle may be used from several threads:
 * commits, listings and reopening take its internal lock exclusively, and
 * regit_store_read shares it with other reads. Merging packs runs on a
 * thread of the handle's own without that lock, taking it only to delete
 * the merged packs and reopen (regit_store_idle waits for it). Two handles
 * (or two processes) on one repository coordinate through the writers'
 * lock file, regit-write.lock, which every commit holds from reading the
 * head to moving the ref (regit_store_lock_writers), and through the ref
 * compare-and-swap, which alone decides when that file cannot be created.
 */
#ifndef REGIT_STORE_H
#define REGIT_STORE_H

#include <stddef.h>

#include "util/buf.h"

typedef struct regit_store regit_store;

/* Hex object id plus NUL; "" means "no commit yet" (an empty store). */
#define REGIT_STORE_OID_HEX 41

/* A blob's identity: equal ids mean equal content. */
typedef struct regit_store_oid {
	unsigned char id[20];
} regit_store_oid;

typedef struct regit_store_file {
	char *path;              /* owned by the listing: "subjects/a/v1.avsc" */
	regit_store_oid oid;
} regit_store_file;

/* The files of one commit, sorted by path (byte order). */
typedef struct regit_store_listing {
	char head[REGIT_STORE_OID_HEX];  /* the commit listed; "" when empty */
	regit_store_file *files;         /* owned */
	size_t nfiles;
	void *pool;                      /* private: the paths' storage */
} regit_store_listing;

typedef struct regit_store_change {
	const char *path;        /* slash-separated, relative, no "." or ".." parts */
	const void *data;        /* new content; ignored when remove is set */
	size_t len;
	int remove;              /* 1: delete the path (missing paths are ignored) */
} regit_store_change;

typedef struct regit_store_options {
	size_t max_files;        /* listing bound; default 10,000,000 */
	size_t max_path;         /* bytes per path; default 4096 */
	size_t max_depth;        /* directory depth; default 16 */
	/* How long a commit waits for the branch's ref lock held by another
	 * process (a git push in progress) before failing with REGIT_EIO;
	 * default 5000 ms. Such a lock is never removed. */
	unsigned ref_lock_timeout_ms;
} regit_store_options;

#define REGIT_STORE_OPTIONS_INIT { 10000000u, 4096u, 16u, 5000u }

/**
 * Open the bare repository at path, creating it (and its parent
 * directories) when missing. A new repository's HEAD names refs/heads/main.
 *
 * @param out   receives the store (owned; free with regit_store_free)
 * @param opts  bounds; NULL for defaults
 * @return 0, REGIT_EIO (not a repository, cannot create), REGIT_ENOMEM
 */
int regit_store_open(regit_store **out, const char *path,
	const regit_store_options *opts);

void regit_store_free(regit_store *store);

/**
 * A store held in memory (store/store_mem.c), for unit tests: the same
 * calls, no disk, nothing durable; regit_store_add_objects is refused and
 * regit_store_resolve knows hex ids, HEAD and main (with ~N). Free with
 * regit_store_free.
 * @return 0, REGIT_ENOMEM, REGIT_ERROR
 */
int regit_store_open_mem(regit_store **out, const regit_store_options *opts);

/**
 * The commit the branch currently points to ("" when the branch does not
 * exist yet). Reads the ref from disk every time: this is how a registry
 * notices that another process or a push moved it.
 * @return 0, REGIT_EIO
 */
int regit_store_head(regit_store *store, char out[REGIT_STORE_OID_HEX]);

/**
 * List every file of a commit's tree.
 *
 * @param out     receives the listing (owned; free with
 *                regit_store_listing_free); NULL on failure
 * @param commit  hex commit id, or NULL for the current head
 * @return 0, REGIT_ENOTFOUND (no such commit), REGIT_ELIMIT (a bound was
 *         hit), REGIT_EIO, REGIT_ENOMEM
 */
int regit_store_list(regit_store_listing **out, regit_store *store,
	const char *commit);

void regit_store_listing_free(regit_store_listing *listing);

/**
 * Append a blob's content to out (bounded by out->max).
 * @return 0, REGIT_ENOTFOUND, REGIT_ELIMIT, REGIT_EIO, REGIT_ENOMEM
 */
int regit_store_read(regit_buf *out, regit_store *store,
	const regit_store_oid *oid);

/**
 * Commit a change set on top of expected_head and move the branch to it,
 * only if the branch still points at expected_head.
 *
 * @param out            receives the new commit's hex id
 * @param expected_head  hex id the branch must point to; "" or NULL when the
 *                       branch must not exist yet
 * @param message        commit message (one line is best)
 * @param author         author name; NULL or "" for "regit". Characters git
 *                       refuses in names (<, >, newlines) are replaced.
 * @return 0; REGIT_ECONFLICT when the branch moved (nothing is published);
 *         REGIT_EINVALID for a bad path; REGIT_EIO (also when another
 *         process kept the branch's ref lock past opts.ref_lock_timeout_ms;
 *         nothing is published), REGIT_EBUSY (another process held the
 *         writers' lock, regit-write.lock, that long; nothing is
 *         published), REGIT_ENOMEM
 */
int regit_store_commit(char out[REGIT_STORE_OID_HEX], regit_store *store,
	const char *expected_head, const regit_store_change *changes,
	size_t nchanges, const char *message, const char *author);

/* One commit of a chain. */
typedef struct regit_store_commit_spec {
	const regit_store_change *changes;
	size_t nchanges;
	const char *message;
	const char *author;      /* NULL or "" for "regit" */
} regit_store_commit_spec;

/**
 * Commit several change sets as consecutive commits (each its own message
 * and author, each on top of the previous) and publish the last one with a
 * single compare-and-swap. This is group commit: the fsync and ref-update
 * cost is paid once for the whole chain, while history still shows one
 * commit per change. Same codes as regit_store_commit.
 */
int regit_store_commit_chain(char out[REGIT_STORE_OID_HEX], regit_store *store,
	const char *expected_head, const regit_store_commit_spec *specs, size_t nspecs);

/**
 * Make this handle's writes exclusive among the store's regit writers
 * (other processes, other handles) until regit_store_unlock_writers. Each
 * commit takes that lock anyway from reading the head to moving the ref;
 * holding it longer lets a writer that keeps losing the compare-and-swap
 * to a busy neighbour reload, re-plan and commit without racing again, so
 * it cannot be starved. Commits made meanwhile do not take it again. Not
 * reentrant; one writer thread of the handle at a time. When the lock
 * file cannot be created (a read-only store) there is no lock: the
 * compare-and-swap still decides.
 */
void regit_store_lock_writers(regit_store *store);

/** Release what regit_store_lock_writers took (nothing when it took nothing). */
void regit_store_unlock_writers(regit_store *store);

/**
 * Bound this thread's waits for locks another process holds (the writers'
 * lock, the branch's ref lock) to ms from now, or ref_lock_timeout_ms if
 * that comes first; 0 lifts the bound. A server sets it from a request's
 * arrival, so a write that queued behind others does not wait its own
 * full timeout again (the k-th of k queued writes waited k x 5 s).
 */
void regit_store_wait_limit(unsigned ms);

/**
 * Wait until the store's background work is done. After each commit a
 * store merges its packs on a thread of its own (no acknowledgement waits
 * for that); tests and tools that look at the pack directory call this
 * first. Returns at once when there is nothing to wait for.
 */
void regit_store_idle(regit_store *store);

/** The id a blob with this content has (or will have) in any store. */
int regit_store_blob_oid(regit_store_oid *out, const void *data, size_t len);

/** Hex form of a blob id (41 bytes with NUL). */
void regit_store_oid_fmt(char out[REGIT_STORE_OID_HEX], const regit_store_oid *oid);

/* One commit of a path's history (regit_store_log). Strings are borrowed
 * for the callback call only. */
typedef struct regit_store_log_entry {
	char commit[REGIT_STORE_OID_HEX];
	const char *author;      /* author name */
	const char *email;       /* author email */
	long long time;          /* author time, seconds since the epoch */
	int tz_offset;           /* author's time zone, minutes east of UTC */
	const char *summary;     /* first line of the message */
} regit_store_log_entry;

/*
 * Commits one regit_store_log or regit_store_file_origins call looks at, at
 * most: the work bound. Each costs a tree lookup (parsing the trees on the
 * way, a 10,000-subject subjects/ tree among them); the walk holds the
 * store's lock for 128 commits at a time, so writers wait at most that.
 */
#define REGIT_STORE_LOG_MAX_WALK 5000u

/**
 * The commits that changed anything under `path` (a file or a directory
 * prefix, e.g. "subjects/orders"), newest first, following first parents
 * from `from` (hex commit id; NULL or "" = the branch head). A commit counts
 * when the tree entry at `path` differs from its first parent's (added,
 * changed or removed), so the cost is two tree lookups per commit walked,
 * never a diff. At most `limit` entries (1..1000) reach cb, after `skip`
 * matching ones are passed over; at most REGIT_STORE_LOG_MAX_WALK commits
 * are walked per call.
 *
 * @param next   receives the commit to continue from when the walk stopped
 *               early (limit reached or the walk bound hit), "" when the
 *               history is exhausted
 * @param cb     called per entry; nonzero stops the walk
 * @return 0, REGIT_ENOTFOUND (unknown `from`), REGIT_EINVALID (bad
 *         arguments), REGIT_EIO, REGIT_ENOMEM
 */
int regit_store_log(char next[REGIT_STORE_OID_HEX], regit_store *store,
	const char *from, const char *path, size_t skip, size_t limit,
	int (*cb)(const regit_store_log_entry *e, void *payload), void *payload);

/**
 * Which commit added each of `names` (files directly under `dir`) as they
 * are now: following first parents from `from` (hex; NULL or "" = head),
 * the newest commit where dir/name exists and did not in its first parent.
 * Only commits that changed `dir` are looked into, so the cost is one tree
 * lookup per commit walked plus one per name at the directory's own
 * commits; at most REGIT_STORE_LOG_MAX_WALK commits, and at most 1000 names.
 * cb(i, entry) is called once per name found (i indexes names); names not
 * found within the walk get no call.
 * @return 0, REGIT_EINVALID, REGIT_ENOTFOUND (unknown from), REGIT_EIO,
 *         REGIT_ENOMEM
 */
int regit_store_file_origins(regit_store *store, const char *from, const char *dir,
	const char *const *names, size_t n,
	void (*cb)(size_t i, const regit_store_log_entry *e, void *payload), void *payload);

/*
 * The served ref (refs/regit/served): the branch head a registry last
 * accepted and served. It is what "history" means for the ledger checks
 * (a new head must descend from it; ids it served keep their content) and
 * survives restarts and kill -9 (see regit_store_set_served).
 * out is "" when the ref is absent or does not name a commit.
 * @return 0, REGIT_EIO
 */
int regit_store_served(regit_store *store, char out[REGIT_STORE_OID_HEX]);

/**
 * Point the served ref at commit (hex; "" does nothing). durable: fsync
 * the file and its directory first. Without it the update survives kill -9
 * (the page cache does) but after a power loss the ref may be older or
 * gone; an older served head is still safe (every head a registry recorded
 * passed the checks), a missing one makes the next start trust the head.
 * While another process holds the ref's lock the ref is left as it is.
 * @return 0, REGIT_EINVALID, REGIT_EIO, REGIT_ENOMEM
 */
int regit_store_set_served(regit_store *store, const char *commit, int durable);

/**
 * Whether commit is ancestor or a descendant of it (equal counts; an
 * empty ancestor "" is everyone's).
 * @return 1 yes, 0 no, REGIT_EINVALID, REGIT_EIO (e.g. a commit is missing)
 */
int regit_store_descends(regit_store *store, const char *commit, const char *ancestor);

/**
 * A revision git understands (a hex id, "main", "HEAD~2", a tag) as a
 * commit id. @return 0, REGIT_ENOTFOUND, REGIT_EIO
 */
int regit_store_resolve(regit_store *store, const char *rev, char out[REGIT_STORE_OID_HEX]);

/* Commit ids, owned by the struct (regit_store_commits_dispose). */
typedef struct regit_store_commits {
	char (*ids)[REGIT_STORE_OID_HEX];
	size_t n, cap;
} regit_store_commits;

/**
 * The first-parent chain from base (exclusive; NULL or "" for the root,
 * inclusive) to tip (inclusive), oldest first, at most max commits.
 * @return 0, REGIT_ENOTFOUND (base is not on tip's first-parent chain),
 *         REGIT_ELIMIT, REGIT_EINVALID, REGIT_EIO, REGIT_ENOMEM
 */
int regit_store_first_parents(regit_store_commits *out, regit_store *store,
	const char *tip, const char *base, size_t max);

void regit_store_commits_dispose(regit_store_commits *c);

/**
 * Append the content of the file at path in commit's tree to out.
 * @return 0, REGIT_ENOTFOUND (no such commit or file), REGIT_ELIMIT,
 *         REGIT_EINVALID, REGIT_EIO, REGIT_ENOMEM
 */
int regit_store_read_at(regit_buf *out, regit_store *store, const char *commit,
	const char *path);

/**
 * Read objects from dir too (an objects directory: a pre-receive hook's
 * quarantine, $GIT_QUARANTINE_PATH, holds the pushed objects until the
 * hook accepts them). Read-only handles only: commits never write there.
 * @return 0, REGIT_EIO, REGIT_ENOMEM
 */
int regit_store_add_objects(regit_store *store, const char *dir);

/*
 * Test seam, not API: when set, a commit calls it right before it updates
 * the branch (holding the writer lock, its update marked), with the path
 * of the ref's lock file and the new commit's hex id. Crash tests use it to
 * die there, as a kill -9 would. NULL in the server.
 */
extern void (*regit_store__before_ref_update)(const char *lock_path, const char *new_hex);

#endif
