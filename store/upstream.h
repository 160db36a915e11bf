/*
 * upstream.h - a store's upstream: fetch its branch, push to it with a
 * compare-and-swap, every network wait bounded by a deadline.
 *
 * These are the primitives of replicas on one upstream (issue #12 part 2):
 * several registries keep local stores (store.h) and share one git
 * repository on a git server; the upstream's ref update is the only
 * serialisation point. A push succeeds only if the upstream branch is
 * still where the caller last saw it, so two replicas writing from the
 * same base cannot both win; the loser gets REGIT_ECONFLICT, fetches,
 * re-plans and pushes again.
 *
 * A handle opens the store's repository itself (by path) and serialises
 * its calls with an internal lock; objects it fetches land in the store's
 * object database, where any store handle on that path reads them. It
 * never moves the store's branch except through regit_upstream_advance (a
 * fast-forward), regit_upstream_reset and regit_upstream_rewind (back from
 * commits the upstream did not take), each a compare-and-swap of the ref
 * (the same one store commits use, so it cannot lose a concurrent commit).
 *
 * Transports: git://, http(s):// and ssh (ssh://, ssh+git://, git+ssh://
 * and scp-like user@host:path). libgit2's local transport (file:// or a
 * path) force-updates the remote ref, so it is no compare-and-swap and
 * such URLs are refused. ssh does not go through libgit2 1.5's libssh2
 * (whose reads have no deadline) but through OpenSSH's ssh run as a child
 * process (upstream_ssh.c), with the same deadline on every wait as the
 * other transports' sockets. See store/README.md, "Upstream".
 */
#ifndef REGIT_UPSTREAM_H
#define REGIT_UPSTREAM_H

#include "store/store.h"

typedef struct regit_upstream regit_upstream;

typedef struct regit_upstream_options {
	/* The upstream branch (short name); NULL for "main". */
	const char *branch;
	/* Where a fetch records the upstream head in the store; NULL for
	 * "refs/regit/upstream". */
	const char *tracking_ref;
	/*
	 * http(s) credentials, used only when the server asks (401): a file
	 * whose first line is "user:password" or a bare token (sent with the
	 * user name "regit"; GitHub, GitLab and Gitea accept any name with a
	 * token). NULL: the environment variable REGIT_UPSTREAM_CREDENTIALS,
	 * same format; else the user and password in the URL; else none. The
	 * secret is never logged nor put in an error message.
	 */
	const char *credentials_file;
	/*
	 * ssh: a private key file, passed as `ssh -i FILE -o
	 * IdentitiesOnly=yes` (only that key is offered). NULL: ssh's own
	 * choice, the agent ($SSH_AUTH_SOCK, inherited) and ~/.ssh/id_*.
	 * The key is never read here, logged nor put in a message (its path
	 * may be).
	 */
	const char *ssh_key;
	/*
	 * ssh: the known_hosts file that holds the upstream's host key
	 * (`-o UserKnownHostsFile=FILE`). NULL: ssh's own (~/.ssh/known_hosts
	 * and /etc/ssh/ssh_known_hosts). Checked strictly either way
	 * (StrictHostKeyChecking=yes): an unknown or changed host key is
	 * REGIT_EPERM, never added.
	 */
	const char *ssh_known_hosts;
} regit_upstream_options;

#define REGIT_UPSTREAM_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL }

/**
 * A handle on store_path's upstream at url.
 *
 * @param out         receives the handle (owned; regit_upstream_free)
 * @param store_path  the store's bare repository (as given to
 *                    regit_store_open; it must exist)
 * @param url         git://, http(s)://, ssh://, ssh+git://, git+ssh:// or
 *                    user@host:path; borrowed for the call
 * @param opts        NULL for defaults; strings borrowed for the call
 * @return 0; REGIT_EINVALID (file://, a path, an unknown scheme, an ssh
 *         URL with a password or without a path, a bad branch name),
 *         REGIT_EIO (not a repository), REGIT_ENOMEM. No network access
 *         happens here.
 */
int regit_upstream_open(regit_upstream **out, const char *store_path, const char *url,
	const regit_upstream_options *opts);

void regit_upstream_free(regit_upstream *up);

/**
 * Fetch the upstream branch: its objects into the store, its head into the
 * tracking ref (which is deleted when the branch is gone upstream).
 *
 * @param out          the upstream head's hex id, "" when the upstream has
 *                     no such branch (an empty upstream: not an error)
 * @param deadline_ms  bound on the whole call, connecting included (for
 *                     ssh: the whole ssh process, name resolution, key
 *                     exchange and authentication too)
 * @return 0; REGIT_EIO (unreachable, refused, no answer within the
 *         deadline: the message says which), REGIT_EPERM (authentication
 *         refused; for ssh also an unknown or changed host key, with
 *         ssh's words in the message), REGIT_ENOMEM
 */
int regit_upstream_fetch(regit_upstream *up, unsigned deadline_ms,
	char out[REGIT_STORE_OID_HEX]);

/**
 * Push commit (in the store) to the upstream branch as a compare-and-swap:
 * it lands only if the branch is at expected ("" or NULL: absent). Checked
 * twice: against the head the server advertises before any object is sent
 * (libgit2's push_negotiation), and by the server's receive-pack, which
 * updates the ref under its lock only if it still holds the old value the
 * client sent, so a push racing in between is refused too. On success the
 * tracking ref is set to commit.
 *
 * @param commit       hex id of a commit in the store; it must descend
 *                     from expected (a fast-forward)
 * @param deadline_ms  bound on the whole call
 * @return 0 (the upstream branch is at commit); REGIT_ECONFLICT (lost the
 *         race: the upstream is elsewhere, nothing changed there; fetch
 *         and re-plan); REGIT_EINVALID (bad ids, commit unknown or not a
 *         fast-forward of expected); REGIT_EPERM (authentication refused,
 *         or the server refused the update for another reason, such as a
 *         pre-receive hook; its words are in the message); REGIT_EIO
 *         (network failure or deadline: the outcome is unknown if it
 *         happened after the pack was sent, so fetch and see whether the
 *         upstream holds commit), REGIT_ENOMEM
 */
int regit_upstream_push(regit_upstream *up, const char *commit,
	const char *expected, unsigned deadline_ms);

/**
 * 1 when this handle's last fetch or push failed because the upstream
 * refused its credentials, or asked for credentials it has none of (that
 * call returned REGIT_EPERM); 0 otherwise, also for a refusal of another
 * kind (a pre-receive hook). For health reports.
 */
int regit_upstream_auth_refused(regit_upstream *up);

/**
 * The tracking ref's value (the upstream head at the last fetch or
 * successful push of any handle on this store); "" when absent.
 * @return 0, REGIT_EIO
 */
int regit_upstream_tracked(regit_upstream *up, char out[REGIT_STORE_OID_HEX]);

/**
 * Move the store's branch from `from` ("" or NULL: absent) to `to`, only
 * if it is still at `from` and `to` descends from it: a fast-forward
 * compare-and-swap with the store's own ref update rules (the ref's lock
 * file; fsynced when a store is open in the process). This is how a
 * replica takes in a fetched or pushed head.
 * @return 0; REGIT_ECONFLICT (the branch is not at from); REGIT_EINVALID
 *         (to does not descend from from, bad ids); REGIT_EIO
 */
int regit_upstream_advance(regit_upstream *up, const char *from, const char *to);

/**
 * Put the store's branch back on the upstream after a lost race: move it
 * from `from` (a local head holding commits the upstream refused) to the
 * tracking ref's value (the upstream head the last fetch saw), only if the
 * branch is still at `from` and `served` ("" or NULL: nothing served yet)
 * is the tracked head or one of its ancestors, so no commit a reader was
 * ever served is dropped. With this the write path can commit locally
 * first (today's regit_store_commit_chain) and undo on a lost race.
 * @return 0; REGIT_ECONFLICT (the branch is not at from);
 *         REGIT_EINVALID (no tracking ref, bad ids, or the move would drop
 *         served commits); REGIT_EIO
 */
int regit_upstream_reset(regit_upstream *up, const char *from, const char *served);

/**
 * Take back local commits the upstream did not take: move the store's
 * branch from `from` back to `to` ("" or NULL: delete the branch), only if
 * it is still at `from` and `to` is `from` or one of its ancestors. The
 * write path commits a chain locally, pushes it, and on any outcome but
 * "landed" puts the branch back where the plan started, so nothing
 * unacknowledged stays on it.
 * @return 0; REGIT_ECONFLICT (the branch is not at from); REGIT_EINVALID
 *         (bad ids, or to is not an ancestor of from); REGIT_EIO
 */
int regit_upstream_rewind(regit_upstream *up, const char *from, const char *to);

/*
 * Test seam, not API: when set, a push calls it after its lease check
 * passed (the server advertised `expected`) and before the pack is sent,
 * so a test can move the upstream in between and see the server refuse.
 * NULL in the server.
 */
extern void (*regit_upstream__after_negotiation)(void);

#endif
