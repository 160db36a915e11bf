/*
 * upstream.c - fetch from and push to a store's upstream (see upstream.h).
 *
 * Fetch: connect, read the advertised refs, and download only when the
 * upstream head is not in the store yet; the head reported is the one
 * advertised on that connection, and the tracking ref is set to it only
 * once its objects are here.
 *
 * Push as a compare-and-swap. Three layers, each measured (store/README.md,
 * "Upstream"):
 *  1. before anything goes out, the push_negotiation callback compares the
 *     head the server advertised with `expected` (a lease); a mismatch
 *     aborts with REGIT_ECONFLICT;
 *  2. the update command carries that advertised value as the old one, and
 *     git's receive-pack updates the ref under its lock only if it still
 *     holds it: a push that raced in between is refused ("ng ... failed to
 *     update ref"), which libgit2 reports only through the
 *     push_update_reference callback (git_remote_push itself returns 0);
 *  3. the refspec is not forced, so libgit2 also refuses a non-fast-forward
 *     itself (GIT_ENONFASTFORWARD), which the local check before the push
 *     makes unreachable for a well-formed call.
 * libgit2 pushes only from a reference, so the commit is pointed to by a
 * temporary refs/regit/push/<pid>-<n> for the duration of the push.
 */
#include "store/upstream.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "store/upstream_ssh.h"
#include "store/upstream_stream.h"
#include "util/alloc.h"
#include "util/error.h"

#define UPSTREAM_DEFAULT_BRANCH "main"
#define UPSTREAM_DEFAULT_TRACKING "refs/regit/upstream"
#define UPSTREAM_CREDENTIALS_ENV "REGIT_UPSTREAM_CREDENTIALS"
/* Bounds: a credentials file's first line, the server's words kept for
 * an error message, a ref name. */
#define UPSTREAM_MAX_SECRET 4096
#define UPSTREAM_MAX_SERVER_MSG 512
#define UPSTREAM_MAX_REF 256

struct regit_upstream {
	git_repository *repo;    /* the store's repository, opened here */
	/* Made once, without insteadOf: libgit2 1.5.1's insteadOf lookup
	 * leaks ~20 KB per remote created (git_regexp_match does not free its
	 * pcre2 match data for each config entry that does not match; fixed
	 * upstream after 1.5.1 by bb65da7d), which at one fetch every 2 s
	 * would be ~860 MB a day. The store's url.*.insteadOf is not applied
	 * to the upstream URL. */
	git_remote *remote;
	char *url;               /* owned; may hold user:password, never printed */
	char *shown_url;         /* owned; url without its user info, for messages */
	char *branch_ref;        /* "refs/heads/<branch>" upstream */
	char *tracking_ref;
	char *credentials_file;  /* owned or NULL */
	char *ssh_key;           /* owned or NULL: a path, never the key */
	char *ssh_known_hosts;   /* owned or NULL */
	regit_upstream_ssh_config ssh;  /* points at the two above */
	pthread_mutex_t lock;    /* one operation at a time on repo */
	int libinit;
	int auth_refused;        /* the last fetch or push: credentials refused */
};

void (*regit_upstream__after_negotiation)(void);

/* The state of one fetch or push, the callbacks' payload. */
typedef struct upstream_op {
	regit_upstream *up;
	int cred_tries;
	int auth_failed;
	/* push */
	git_oid expected;        /* zero for "absent" */
	int lease_lost;
	git_oid seen;            /* what the server advertised, when lease_lost */
	int rejected;
	char status[128];        /* the server's reason for refusing the ref */
	char server_msg[UPSTREAM_MAX_SERVER_MSG];  /* its "remote:" lines */
	size_t server_len;
} upstream_op;

/* libgit2's last error as ours, with the deadline and the URL in it. */
static int upstream_git_error(regit_upstream *up, int gitcode, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown libgit2 error";

	if (e && e->klass == GIT_ERROR_NOMEMORY) {
		regit_error_set_oom();
		return REGIT_ENOMEM;
	}
	if (regit_upstream__deadline_hit()) {
		regit_error_set(REGIT_ERROR_STORE, "%s %s: deadline passed (%s)", what,
			up->shown_url, msg);
		return REGIT_EIO;
	}
	regit_error_set(REGIT_ERROR_STORE, "%s %s: %s", what, up->shown_url, msg);
	(void)gitcode;
	return REGIT_EIO;
}

/* Is s a 40-digit lower-case hex id? */
static int upstream_is_hex(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return s[40] == '\0';
}

static int upstream_oid(git_oid *out, const char *hex, const char *what)
{
	if (!hex || !upstream_is_hex(hex) || git_oid_fromstr(out, hex) < 0) {
		regit_error_set(REGIT_ERROR_STORE, "%s is not a commit id: \"%.64s\"", what,
			hex ? hex : "(null)");
		return REGIT_EINVALID;
	}
	return 0;
}

/*
 * Which URLs are a compare-and-swap. libgit2 picks its local transport for
 * file:// and for any existing directory, and that transport force-updates
 * the ref. ssh goes through our own transport (upstream_ssh.c), which
 * libgit2 1.5 also picks for scp-like user@host:path (it looks "ssh://" up
 * for any URL with a ':' and no scheme it knows), so both forms work.
 */
static int upstream_check_url(const char *url)
{
	static const char *const ok[] = { "git://", "http://", "https://" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(url, ok[i], strlen(ok[i])) == 0 && url[strlen(ok[i])])
			return 0;
	if (strncmp(url, "file://", 7) == 0 || url[0] == '/' || url[0] == '.' ||
			!strchr(url, ':') || (!strstr(url, "://") &&
			!regit_upstream__ssh_is_url(url))) {
		regit_error_set(REGIT_ERROR_STORE, "upstream %.200s is a local path:"
			" libgit2's local transport force-updates the branch, so two"
			" replicas could overwrite each other's writes; use git://,"
			" http(s):// or ssh:// (or share one --store on one machine)", url);
		return REGIT_EINVALID;
	}
	if (regit_upstream__ssh_is_url(url))
		return regit_upstream__ssh_check_url(url);
	regit_error_set(REGIT_ERROR_STORE, "upstream %.200s: unknown scheme; use"
		" git://, http://, https:// or ssh://", url);
	return REGIT_EINVALID;
}

/* url without "user:password@" (for messages). */
static char *upstream_shown_url(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host, *at, *slash;
	char *out;
	size_t n;

	if (!scheme)
		return regit_strdup(url);
	host = scheme + 3;
	slash = strchr(host, '/');
	at = strchr(host, '@');
	if (!at || (slash && at > slash))
		return regit_strdup(url);
	n = (size_t)(host - url) + strlen(at + 1);
	out = regit_malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, url, (size_t)(host - url));
	memcpy(out + (host - url), at + 1, strlen(at + 1) + 1);
	return out;
}

static int upstream_check_branch(const char *branch)
{
	char ref[UPSTREAM_MAX_REF];
	int valid = 0;

	if (strlen(branch) + 12 > sizeof(ref))
		goto bad;
	snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
	if (git_reference_name_is_valid(&valid, ref) < 0 || !valid)
		goto bad;
	return 0;
bad:
	regit_error_set(REGIT_ERROR_STORE, "upstream branch \"%.100s\" is not a valid"
		" branch name", branch);
	return REGIT_EINVALID;
}

int regit_upstream_open(regit_upstream **out, const char *store_path, const char *url,
	const regit_upstream_options *opts)
{
	regit_upstream_options defaults = REGIT_UPSTREAM_OPTIONS_INIT;
	git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
	regit_upstream *up = NULL;
	const char *branch, *tracking;
	size_t n;
	int valid = 0;
	int error = 0;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!store_path || !*store_path || !url || !*url) {
		regit_error_set(REGIT_ERROR_STORE, "upstream: store path or URL is empty");
		return REGIT_EINVALID;
	}
	error = upstream_check_url(url);
	if (error < 0)
		return error;
	branch = opts->branch && *opts->branch ? opts->branch : UPSTREAM_DEFAULT_BRANCH;
	tracking = opts->tracking_ref && *opts->tracking_ref ? opts->tracking_ref :
		UPSTREAM_DEFAULT_TRACKING;
	up = regit_calloc(1, sizeof(*up));
	if (!up)
		return REGIT_ENOMEM;
	rc = git_libgit2_init();
	if (rc < 0) {
		regit_error_set(REGIT_ERROR_STORE, "libgit2 init failed");
		regit_free(up);
		return REGIT_EIO;
	}
	up->libinit = 1;
	pthread_mutex_init(&up->lock, NULL);
	error = upstream_check_branch(branch);
	if (error < 0)
		goto done;
	if (strncmp(tracking, "refs/", 5) != 0 ||
			git_reference_name_is_valid(&valid, tracking) < 0 || !valid) {
		regit_error_set(REGIT_ERROR_STORE, "tracking ref \"%.100s\" is not a valid"
			" ref name under refs/", tracking);
		error = REGIT_EINVALID;
		goto done;
	}
	error = regit_upstream__stream_install();
	if (error == 0)
		error = regit_upstream__ssh_install();
	if (error < 0)
		goto done;
	n = strlen(branch) + 12;
	up->branch_ref = regit_malloc(n);
	up->url = regit_strdup(url);
	up->shown_url = upstream_shown_url(url);
	up->tracking_ref = regit_strdup(tracking);
	if (opts->credentials_file)
		up->credentials_file = regit_strdup(opts->credentials_file);
	if (opts->ssh_key && *opts->ssh_key)
		up->ssh_key = regit_strdup(opts->ssh_key);
	if (opts->ssh_known_hosts && *opts->ssh_known_hosts)
		up->ssh_known_hosts = regit_strdup(opts->ssh_known_hosts);
	if (!up->branch_ref || !up->url || !up->shown_url ||
			!up->tracking_ref ||
			(opts->credentials_file && !up->credentials_file) ||
			(opts->ssh_key && *opts->ssh_key && !up->ssh_key) ||
			(opts->ssh_known_hosts && *opts->ssh_known_hosts &&
			 !up->ssh_known_hosts)) {
		error = REGIT_ENOMEM;
		goto done;
	}
	up->ssh.key_file = up->ssh_key;
	up->ssh.known_hosts = up->ssh_known_hosts;
	snprintf(up->branch_ref, n, "refs/heads/%s", branch);
	rc = git_repository_open_bare(&up->repo, store_path);
	if (rc < 0) {
		const git_error *e = git_error_last();

		regit_error_set(REGIT_ERROR_STORE, "open store %s: %s", store_path,
			e && e->message ? e->message : "not a repository");
		error = REGIT_EIO;
		goto done;
	}
	ro.repository = up->repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	rc = git_remote_create_with_opts(&up->remote, up->url, &ro);
	if (rc < 0) {
		error = upstream_git_error(up, rc, "upstream");
		goto done;
	}
done:
	if (error < 0) {
		regit_upstream_free(up);
		return error;
	}
	*out = up;
	return 0;
}

void regit_upstream_free(regit_upstream *up)
{
	if (!up)
		return;
	git_remote_free(up->remote);
	git_repository_free(up->repo);
	if (up->url)
		memset(up->url, 0, strlen(up->url));
	regit_free(up->url);
	regit_free(up->shown_url);
	regit_free(up->branch_ref);
	regit_free(up->tracking_ref);
	regit_free(up->credentials_file);
	regit_free(up->ssh_key);
	regit_free(up->ssh_known_hosts);
	pthread_mutex_destroy(&up->lock);
	if (up->libinit)
		git_libgit2_shutdown();
	regit_free(up);
}

/* ---- callbacks ---- */

/*
 * The secret for http(s): "user:password" or a bare token, from the
 * configured file or the environment. 1 found, 0 none configured, <0 the
 * file cannot be read. The buffer is wiped by the caller.
 */
static int upstream_secret(char *buf, size_t cap, const regit_upstream *up)
{
	const char *env;
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (up->credentials_file) {
		f = fopen(up->credentials_file, "r");
		if (!f) {
			git_error_set_str(GIT_ERROR_OS, "cannot read the upstream credentials file");
			return -1;
		}
		if (!fgets(buf, (int)cap, f))
			buf[0] = '\0';
		fclose(f);
	} else {
		env = getenv(UPSTREAM_CREDENTIALS_ENV);
		if (!env)
			return 0;
		n = strlen(env);
		if (n >= cap)
			n = cap - 1;
		memcpy(buf, env, n);
		buf[n] = '\0';
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? 1 : 0;
}

static int upstream_credentials(git_credential **out, const char *url,
	const char *username_from_url, unsigned int allowed_types, void *payload)
{
	upstream_op *op = payload;
	char secret[UPSTREAM_MAX_SECRET];
	char *colon;
	int rc;

	(void)url;
	(void)username_from_url;
	/* libgit2 asks again after each refusal; one try is enough to know. */
	if (op->cred_tries++ > 0 || !(allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
		op->auth_failed = 1;
		git_error_set_str(GIT_ERROR_NET, op->cred_tries > 1 ?
			"the upstream refused the credentials" :
			"the upstream asks for a kind of credentials regit does not have");
		return -1;
	}
	rc = upstream_secret(secret, sizeof(secret), op->up);
	if (rc <= 0) {
		memset(secret, 0, sizeof(secret));
		op->auth_failed = 1;
		/* libgit2 tried the URL's user:password before asking us. */
		if (rc == 0 && strcmp(op->up->url, op->up->shown_url) != 0)
			git_error_set_str(GIT_ERROR_NET, "the upstream refused the credentials"
				" in the URL");
		else if (rc == 0)
			git_error_set_str(GIT_ERROR_NET, "the upstream asks for credentials and"
				" none are configured (a credentials file, or "
				UPSTREAM_CREDENTIALS_ENV ")");
		return -1;
	}
	colon = strchr(secret, ':');
	if (colon) {
		*colon = '\0';
		rc = git_credential_userpass_plaintext_new(out, secret, colon + 1);
	} else {
		rc = git_credential_userpass_plaintext_new(out, "regit", secret);
	}
	memset(secret, 0, sizeof(secret));
	return rc;
}

static int upstream_transfer_progress(const git_indexer_progress *stats, void *payload)
{
	(void)stats;
	(void)payload;
	if (regit_upstream__deadline_passed()) {
		git_error_set_str(GIT_ERROR_NET, "deadline passed during the transfer");
		return -1;
	}
	return 0;
}

static int upstream_push_progress(unsigned int current, unsigned int total,
	size_t bytes, void *payload)
{
	(void)current;
	(void)total;
	(void)bytes;
	return upstream_transfer_progress(NULL, payload);
}

/* The server's "remote:" lines (a pre-receive hook's findings), kept for
 * the error message; bounded. */
static int upstream_sideband(const char *str, int len, void *payload)
{
	upstream_op *op = payload;
	size_t room = sizeof(op->server_msg) - 1 - op->server_len;
	size_t n = len > 0 ? (size_t)len : 0;
	size_t i;

	if (n > room)
		n = room;
	for (i = 0; i < n; i++) {
		char c = str[i];

		op->server_msg[op->server_len++] = (c == '\n' || c == '\r') ? ' ' :
			(isprint((unsigned char)c) ? c : '?');
	}
	op->server_msg[op->server_len] = '\0';
	return upstream_transfer_progress(NULL, payload);
}

static int upstream_negotiation(const git_push_update **updates, size_t len, void *payload)
{
	upstream_op *op = payload;
	size_t i;

	for (i = 0; i < len; i++) {
		if (strcmp(updates[i]->dst_refname, op->up->branch_ref) != 0)
			continue;
		if (!git_oid_equal(&updates[i]->src, &op->expected)) {
			op->lease_lost = 1;
			git_oid_cpy(&op->seen, &updates[i]->src);
			git_error_set_str(GIT_ERROR_NET, "the upstream branch moved");
			return -1;
		}
	}
	if (regit_upstream__after_negotiation)
		regit_upstream__after_negotiation();
	return 0;
}

static int upstream_update_reference(const char *refname, const char *status, void *payload)
{
	upstream_op *op = payload;

	if (status && strcmp(refname, op->up->branch_ref) == 0) {
		op->rejected = 1;
		snprintf(op->status, sizeof(op->status), "%s", status);
	}
	return 0;
}

static void upstream_callbacks(git_remote_callbacks *cb, upstream_op *op)
{
	cb->credentials = upstream_credentials;
	cb->transfer_progress = upstream_transfer_progress;
	cb->push_transfer_progress = upstream_push_progress;
	cb->sideband_progress = upstream_sideband;
	cb->push_negotiation = upstream_negotiation;
	cb->push_update_reference = upstream_update_reference;
	cb->payload = op;
}

/* The code for a failed network call: authentication (http's 401, or ssh
 * refusing the key or the host key), deadline, other. */
static int upstream_fail(regit_upstream *up, upstream_op *op, int rc, const char *what)
{
	int error = upstream_git_error(up, rc, what);

	/* ssh refusing the key or the host key is a refusal of our
	 * credentials, as a 401 is for http(s). */
	if (regit_upstream__ssh_refused())
		op->auth_failed = 1;
	if (op->auth_failed && error != REGIT_ENOMEM && !regit_upstream__deadline_hit())
		return REGIT_EPERM;
	return error;
}

/* ---- fetch ---- */

static int upstream_set_tracking(regit_upstream *up, const git_oid *oid, const char *why)
{
	git_reference *ref = NULL;
	git_oid now;
	int rc;

	/* Unchanged (an idle upstream polled every few seconds): no write,
	 * no fsync. */
	rc = git_reference_name_to_id(&now, up->repo, up->tracking_ref);
	if (oid && rc == 0 && git_oid_equal(&now, oid))
		return 0;
	if (!oid && rc == GIT_ENOTFOUND)
		return 0;
	if (oid) {
		rc = git_reference_create(&ref, up->repo, up->tracking_ref, oid, 1, why);
		git_reference_free(ref);
	} else {
		rc = git_reference_remove(up->repo, up->tracking_ref);
		if (rc == GIT_ENOTFOUND)
			rc = 0;
	}
	if (rc < 0)
		return upstream_git_error(up, rc, "update the tracking ref for");
	return 0;
}

int regit_upstream_fetch(regit_upstream *up, unsigned deadline_ms,
	char out[REGIT_STORE_OID_HEX])
{
	git_remote *gr = NULL;
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	const git_remote_head **heads = NULL;
	upstream_op op;
	git_oid head;
	char *spec;
	git_strarray specs;
	size_t nheads, i;
	int found = 0;
	int error = 0;
	int rc;

	out[0] = '\0';
	memset(&op, 0, sizeof(op));
	op.up = up;
	upstream_callbacks(&cb, &op);
	pthread_mutex_lock(&up->lock);
	regit_upstream__deadline_set(regit_upstream__now_ms() + deadline_ms);
	regit_upstream__ssh_begin(&up->ssh);
	gr = up->remote;
	rc = git_remote_connect(gr, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
	if (rc < 0) {
		error = upstream_fail(up, &op, rc, "connect to");
		goto done;
	}
	rc = git_remote_ls(&heads, &nheads, gr);
	if (rc < 0) {
		error = upstream_fail(up, &op, rc, "list refs of");
		goto done;
	}
	for (i = 0; i < nheads; i++) {
		if (strcmp(heads[i]->name, up->branch_ref) == 0) {
			git_oid_cpy(&head, &heads[i]->oid);
			found = 1;
			break;
		}
	}
	if (!found) {
		/* An empty upstream (or the branch deleted there). */
		error = upstream_set_tracking(up, NULL, NULL);
		goto done;
	}
	/* Download only what is missing (a replica polling an idle upstream
	 * costs one ref advertisement). */
	{
		git_odb *odb = NULL;
		int have = 0;

		rc = git_repository_odb(&odb, up->repo);
		if (rc < 0) {
			error = upstream_git_error(up, rc, "open the store's objects for");
			goto done;
		}
		have = git_odb_exists(odb, &head);
		if (!have) {
			spec = up->branch_ref;
			specs.strings = &spec;
			specs.count = 1;
			fo.callbacks = cb;
			fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
			fo.update_fetchhead = 0;
			rc = git_remote_download(gr, &specs, &fo);
			if (rc < 0) {
				git_odb_free(odb);
				error = upstream_fail(up, &op, rc, "fetch from");
				goto done;
			}
			/* The download wrote a new pack; look again, from disk. */
			git_odb_refresh(odb);
			have = git_odb_exists(odb, &head);
		}
		git_odb_free(odb);
		if (!have) {
			regit_error_set(REGIT_ERROR_STORE, "fetch from %s: the upstream did not"
				" send the objects of its head", up->shown_url);
			error = REGIT_EIO;
			goto done;
		}
	}
	error = upstream_set_tracking(up, &head, "regit: fetch");
	if (error == 0)
		git_oid_tostr(out, REGIT_STORE_OID_HEX, &head);
done:
	git_remote_disconnect(up->remote);
	regit_upstream__ssh_end();
	regit_upstream__deadline_set(0);
	up->auth_refused = error == REGIT_EPERM && op.auth_failed;
	pthread_mutex_unlock(&up->lock);
	return error;
}

/* ---- push ---- */

static atomic_uint upstream_push_seq;

/* Checks before any network: ids, commit known, a fast-forward. */
static int upstream_push_check(regit_upstream *up, git_oid *commit_oid,
	git_oid *expected_oid, const char *commit, const char *expected)
{
	git_commit *c = NULL;
	int rc;
	int error = upstream_oid(commit_oid, commit, "pushed commit");

	if (error < 0)
		return error;
	memset(expected_oid, 0, sizeof(*expected_oid));
	if (expected && *expected) {
		error = upstream_oid(expected_oid, expected, "expected upstream head");
		if (error < 0)
			return error;
	}
	rc = git_commit_lookup(&c, up->repo, commit_oid);
	git_commit_free(c);
	if (rc < 0) {
		regit_error_set(REGIT_ERROR_STORE, "push to %s: commit %s is not in the store",
			up->shown_url, commit);
		return REGIT_EINVALID;
	}
	if (expected && *expected && git_oid_equal(commit_oid, expected_oid)) {
		regit_error_set(REGIT_ERROR_STORE, "push to %s: nothing to push, %s is the"
			" expected upstream head itself", up->shown_url, commit);
		return REGIT_EINVALID;
	}
	if (expected && *expected) {
		rc = git_graph_descendant_of(up->repo, commit_oid, expected_oid);
		if (rc != 1) {
			regit_error_set(REGIT_ERROR_STORE, "push to %s: %s is not a fast-forward"
				" of the expected upstream head %s", up->shown_url, commit, expected);
			return REGIT_EINVALID;
		}
	}
	return 0;
}

int regit_upstream_push(regit_upstream *up, const char *commit,
	const char *expected, unsigned deadline_ms)
{
	git_remote *gr = NULL;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_reference *tmp = NULL;
	upstream_op op;
	git_oid commit_oid;
	char tmp_ref[64];
	char spec[UPSTREAM_MAX_REF + 80];
	char seen[REGIT_STORE_OID_HEX];
	char *specp = spec;
	git_strarray specs = { &specp, 1 };
	int made_tmp = 0;
	int error = 0;
	int rc;

	memset(&op, 0, sizeof(op));
	op.up = up;
	pthread_mutex_lock(&up->lock);
	error = upstream_push_check(up, &commit_oid, &op.expected, commit, expected);
	if (error < 0)
		goto done;
	regit_upstream__deadline_set(regit_upstream__now_ms() + deadline_ms);
	regit_upstream__ssh_begin(&up->ssh);
	snprintf(tmp_ref, sizeof(tmp_ref), "refs/regit/push/%ld-%u", (long)getpid(),
		atomic_fetch_add(&upstream_push_seq, 1u));
	rc = git_reference_create(&tmp, up->repo, tmp_ref, &commit_oid, 1, "regit: push");
	git_reference_free(tmp);
	if (rc < 0) {
		error = upstream_git_error(up, rc, "prepare the push to");
		goto done;
	}
	made_tmp = 1;
	snprintf(spec, sizeof(spec), "%s:%s", tmp_ref, up->branch_ref);
	gr = up->remote;
	upstream_callbacks(&po.callbacks, &op);
	/* Two shared cores; a registry's pushes are a few objects. */
	po.pb_parallelism = 1;
	rc = git_remote_push(gr, &specs, &po);
	if (op.lease_lost) {
		git_oid_tostr(seen, sizeof(seen), &op.seen);
		regit_error_set(REGIT_ERROR_STORE, "push to %s: lost the race: the upstream"
			" branch is at %s, not %s; nothing was changed there",
			up->shown_url, git_oid_is_zero(&op.seen) ? "(absent)" : seen,
			expected && *expected ? expected : "(absent)");
		error = REGIT_ECONFLICT;
		goto done;
	}
	if (rc == GIT_ENONFASTFORWARD) {
		regit_error_set(REGIT_ERROR_STORE, "push to %s: lost the race: the upstream"
			" branch is not an ancestor of %s", up->shown_url, commit);
		error = REGIT_ECONFLICT;
		goto done;
	}
	if (rc < 0) {
		error = upstream_fail(up, &op, rc, "push to");
		goto done;
	}
	if (op.rejected) {
		/* receive-pack's words: "failed to update ref" (its compare-and-swap
		 * found another value), "failed to lock", "non-fast-forward" or
		 * "fetch first" are a lost race; anything else (a hook declined, a
		 * denied ref) is a refusal that retrying will not change. */
		int race;

		while (op.server_len && op.server_msg[op.server_len - 1] == ' ')
			op.server_msg[--op.server_len] = '\0';
		race = strstr(op.status, "failed to update ref") ||
			strstr(op.status, "failed to lock") ||
			strstr(op.status, "non-fast-forward") ||
			strstr(op.status, "fetch first") || strstr(op.status, "stale");

		regit_error_set(REGIT_ERROR_STORE, "push to %s: %s: the server refused the"
			" update (%s)%s%s", up->shown_url,
			race ? "lost the race" : "refused", op.status,
			op.server_len ? ": " : "", op.server_msg);
		error = race ? REGIT_ECONFLICT : REGIT_EPERM;
		goto done;
	}
	error = upstream_set_tracking(up, &commit_oid, "regit: push");
done:
	/* git_remote_push disconnects, except on some failures. */
	git_remote_disconnect(up->remote);
	regit_upstream__ssh_end();
	if (made_tmp) {
		rc = git_reference_remove(up->repo, tmp_ref);
		(void)rc; /* a leftover temporary ref only pins objects */
	}
	regit_upstream__deadline_set(0);
	up->auth_refused = error == REGIT_EPERM && op.auth_failed;
	pthread_mutex_unlock(&up->lock);
	return error;
}

int regit_upstream_auth_refused(regit_upstream *up)
{
	int refused;

	pthread_mutex_lock(&up->lock);
	refused = up->auth_refused;
	pthread_mutex_unlock(&up->lock);
	return refused;
}

/* ---- local refs ---- */

int regit_upstream_tracked(regit_upstream *up, char out[REGIT_STORE_OID_HEX])
{
	git_oid oid;
	int rc;
	int error = 0;

	out[0] = '\0';
	pthread_mutex_lock(&up->lock);
	rc = git_reference_name_to_id(&oid, up->repo, up->tracking_ref);
	if (rc == 0)
		git_oid_tostr(out, REGIT_STORE_OID_HEX, &oid);
	else if (rc != GIT_ENOTFOUND)
		error = upstream_git_error(up, rc, "read the tracking ref of");
	pthread_mutex_unlock(&up->lock);
	return error;
}

/* The store's branch: HEAD's target, as the store publishes to. */
static int upstream_store_branch(char *out, size_t cap, regit_upstream *up)
{
	git_reference *head = NULL;
	int rc = git_reference_lookup(&head, up->repo, "HEAD");

	if (rc < 0)
		return upstream_git_error(up, rc, "read the store's HEAD for");
	snprintf(out, cap, "%s", git_reference_type(head) == GIT_REFERENCE_SYMBOLIC ?
		git_reference_symbolic_target(head) : "refs/heads/main");
	git_reference_free(head);
	return 0;
}

int regit_upstream_advance(regit_upstream *up, const char *from, const char *to)
{
	git_reference *ref = NULL;
	git_oid from_oid, to_oid;
	char branch[UPSTREAM_MAX_REF];
	int has_from = from && *from;
	int error = 0;
	int rc;

	pthread_mutex_lock(&up->lock);
	error = upstream_oid(&to_oid, to, "new head");
	if (error == 0 && has_from)
		error = upstream_oid(&from_oid, from, "current head");
	if (error < 0)
		goto done;
	if (has_from && !git_oid_equal(&from_oid, &to_oid) &&
			git_graph_descendant_of(up->repo, &to_oid, &from_oid) != 1) {
		regit_error_set(REGIT_ERROR_STORE, "advance the store: %s does not descend"
			" from %s", to, from);
		error = REGIT_EINVALID;
		goto done;
	}
	error = upstream_store_branch(branch, sizeof(branch), up);
	if (error < 0)
		goto done;
	if (has_from)
		rc = git_reference_create_matching(&ref, up->repo, branch, &to_oid, 1,
			&from_oid, "regit: take in the upstream head");
	else
		rc = git_reference_create(&ref, up->repo, branch, &to_oid, 0,
			"regit: take in the upstream head");
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		regit_error_set(REGIT_ERROR_STORE, "advance the store: the branch is no"
			" longer at %s", has_from ? from : "(absent)");
		error = REGIT_ECONFLICT;
	} else if (rc < 0) {
		error = upstream_git_error(up, rc, "advance the store to");
	}
done:
	pthread_mutex_unlock(&up->lock);
	return error;
}

int regit_upstream_rewind(regit_upstream *up, const char *from, const char *to)
{
	git_reference *ref = NULL;
	git_oid from_oid, to_oid;
	char branch[UPSTREAM_MAX_REF];
	int has_to = to && *to;
	int error = 0;
	int rc;

	pthread_mutex_lock(&up->lock);
	error = upstream_oid(&from_oid, from, "current head");
	if (error == 0 && has_to)
		error = upstream_oid(&to_oid, to, "head to go back to");
	if (error < 0)
		goto done;
	if (has_to && !git_oid_equal(&from_oid, &to_oid) &&
			git_graph_descendant_of(up->repo, &from_oid, &to_oid) != 1) {
		regit_error_set(REGIT_ERROR_STORE, "rewind the store: %s is not an ancestor"
			" of %s", to, from);
		error = REGIT_EINVALID;
		goto done;
	}
	error = upstream_store_branch(branch, sizeof(branch), up);
	if (error < 0)
		goto done;
	if (has_to) {
		rc = git_reference_create_matching(&ref, up->repo, branch, &to_oid, 1,
			&from_oid, "regit: take back commits the upstream did not take");
	} else {
		/* Back to an unborn branch (the first write lost): delete the
		 * ref, after checking it is still at from. */
		git_oid cur;

		rc = git_reference_name_to_id(&cur, up->repo, branch);
		if (rc == 0 && !git_oid_equal(&cur, &from_oid))
			rc = GIT_EMODIFIED;
		if (rc == 0 && (rc = git_reference_lookup(&ref, up->repo, branch)) == 0)
			rc = git_reference_delete(ref);
	}
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED || rc == GIT_ENOTFOUND) {
		regit_error_set(REGIT_ERROR_STORE, "rewind the store: the branch is no longer"
			" at %s", from);
		error = REGIT_ECONFLICT;
	} else if (rc < 0) {
		error = upstream_git_error(up, rc, "rewind the store to");
	}
done:
	pthread_mutex_unlock(&up->lock);
	return error;
}

int regit_upstream_reset(regit_upstream *up, const char *from, const char *served)
{
	git_reference *ref = NULL;
	git_oid from_oid, to_oid, served_oid;
	char branch[UPSTREAM_MAX_REF];
	char to[REGIT_STORE_OID_HEX];
	int error = 0;
	int rc;

	pthread_mutex_lock(&up->lock);
	error = upstream_oid(&from_oid, from, "current head");
	if (error == 0 && served && *served)
		error = upstream_oid(&served_oid, served, "served head");
	if (error < 0)
		goto done;
	rc = git_reference_name_to_id(&to_oid, up->repo, up->tracking_ref);
	if (rc == GIT_ENOTFOUND) {
		regit_error_set(REGIT_ERROR_STORE, "reset the store: %s is absent (fetch"
			" first; an empty upstream has nothing to reset to)", up->tracking_ref);
		error = REGIT_EINVALID;
		goto done;
	}
	if (rc < 0) {
		error = upstream_git_error(up, rc, "read the tracking ref of");
		goto done;
	}
	git_oid_tostr(to, sizeof(to), &to_oid);
	if (served && *served && !git_oid_equal(&served_oid, &to_oid) &&
			git_graph_descendant_of(up->repo, &to_oid, &served_oid) != 1) {
		regit_error_set(REGIT_ERROR_STORE, "reset the store: the upstream head %s"
			" does not contain the served head %s; refusing to drop served"
			" commits", to, served);
		error = REGIT_EINVALID;
		goto done;
	}
	error = upstream_store_branch(branch, sizeof(branch), up);
	if (error < 0)
		goto done;
	rc = git_reference_create_matching(&ref, up->repo, branch, &to_oid, 1, &from_oid,
		"regit: back onto the upstream head after a lost race");
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED) {
		regit_error_set(REGIT_ERROR_STORE, "reset the store: the branch is no longer"
			" at %s", from);
		error = REGIT_ECONFLICT;
	} else if (rc < 0) {
		error = upstream_git_error(up, rc, "reset the store to");
	}
done:
	pthread_mutex_unlock(&up->lock);
	return error;
}
