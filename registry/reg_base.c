/*
 * reg_base.c - what every file of the registry is built on: errors
 * (reg_fail: the Confluent code and message), locking (read sections, the
 * writer mutex), effective settings, subject checks, and the resolver of
 * the published index with its memo. It calls nothing else of the
 * registry, so each operation file can use it without a cycle.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry/layout.h"
#include "registry/registry_internal.h"
#include "util/error.h"

/* The registry this thread holds a read section on (sections don't nest). */
static _Thread_local const regit_registry *reg_reader;

/* ---- errors --------------------------------------------------------------- */

static int sr_code_rc(int code)
{
	switch (code) {
	case REGIT_SR_INCOMPATIBLE: return REGIT_EINCOMPATIBLE;
	case REGIT_SR_OPERATION_NOT_PERMITTED: return REGIT_EPERM;
	case REGIT_SR_SCHEMA_TOO_LARGE: return REGIT_ELIMIT;
	case REGIT_SR_STORE_ERROR: return REGIT_EIO;
	default:
		if (code >= 40400 && code < 40500)
			return REGIT_ENOTFOUND;
		if (code >= 42200 && code < 42300)
			return REGIT_EINVALID;
		return REGIT_ERROR;
	}
}

int reg_fail(int code, const char *fmt, ...)
{
	char msg[REGIT_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	regit_error_set_code(code, "%s", msg);
	return sr_code_rc(code);
}

/* A failure that is not the client's: out of memory, git I/O. */
int reg_fail_internal(int rc)
{
	int code = rc == REGIT_EBUSY ? REGIT_SR_STORE_BUSY : REGIT_SR_STORE_ERROR;

	if (rc == REGIT_ENOSPC) {
		char why[REGIT_ERROR_MAX];

		snprintf(why, sizeof(why), "%s", regit_error_message());
		regit_error_set_code(code,
			"store write failed: no space left on device (%s); nothing was written", why);
	} else {
		/* the message the failing layer recorded, now with its API code */
		regit_error_set_api_code(code);
	}
	return rc < 0 ? rc : REGIT_ERROR;
}

/* No API error yet (the message of the last error is kept). */
void reg_err_init(void)
{
	regit_error_set_api_code(0);
}

/* ---- locking ---------------------------------------------------------------- */

void regit_registry_read_begin(regit_registry *reg)
{
	pthread_rwlock_rdlock(&reg->rw);
	reg_reader = reg;
}

void regit_registry_read_end(regit_registry *reg)
{
	reg_reader = NULL;
	pthread_rwlock_unlock(&reg->rw);
}

int reg_reading(const regit_registry *reg)
{
	return reg_reader == reg;
}

/* Take the read lock unless this thread already holds a section. */
int reg_read_enter(regit_registry *reg)
{
	if (reg_reader == reg)
		return 0;
	pthread_rwlock_rdlock(&reg->rw);
	return 1;
}

void reg_read_leave(regit_registry *reg, int taken)
{
	if (taken)
		pthread_rwlock_unlock(&reg->rw);
}

int reg_write_enter(regit_registry *reg)
{
	if (reg_reader == reg)
		return reg_fail(REGIT_SR_STORE_ERROR, "write inside a read section");
	pthread_mutex_lock(&reg->wlock);
	return 0;
}

int reg_write_enter_until(regit_registry *reg, int64_t deadline)
{
	struct timespec ts;
	int64_t left;

	if (reg_reader == reg)
		return reg_fail(REGIT_SR_STORE_ERROR, "write inside a read section");
	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
	if (pthread_mutex_timedlock(&reg->wlock, &ts) != 0)
		return reg_fail(REGIT_SR_STORE_BUSY, "store busy: other writes held it for"
			" %d ms; nothing was written", REG_WRITE_WAIT_MS);
	left = deadline - reg_now_ms();
	regit_store_wait_limit(left > 1 ? (unsigned)left : 1u);
	return 0;
}

void reg_write_leave(regit_registry *reg)
{
	regit_store_wait_limit(0);
	pthread_mutex_unlock(&reg->wlock);
}

int64_t reg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void reg_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t until_ms)
{
	struct timespec ts;

	if (until_ms <= reg_now_ms())
		return;
	ts.tv_sec = (time_t)(until_ms / 1000);
	ts.tv_nsec = (long)(until_ms % 1000) * 1000000L;
	(void)pthread_cond_timedwait(cond, mutex, &ts);
}

/* ---- effective settings ------------------------------------------------------ */

const reg_subject *reg_find_subject(const reg_index *idx, const char *subject)
{
	return subject ? reg_index_subject(idx, subject, strlen(subject)) : NULL;
}

regit_mode reg_effective_mode(const reg_index *idx, const reg_subject *s)
{
	if (s && s->has_mode)
		return s->mode;
	return reg_index_mode(idx);
}

int reg_mode_readonly(regit_mode m)
{
	return m == REGIT_MODE_READONLY || m == REGIT_MODE_READONLY_OVERRIDE;
}

void reg_effective_config(reg_effective *out, const regit_registry *reg,
	const reg_index *idx, const reg_subject *s)
{
	const regit_config *g = reg_index_config(idx);

	out->level = reg->opts.default_level;
	out->strict = reg->opts.default_strict ? 1 : 0;
	out->normalize = 0;
	out->lint = reg->opts.default_lint;
	if (g) {
		if (g->has_level)
			out->level = g->level;
		if (g->has_strict)
			out->strict = g->strict;
		if (g->has_normalize)
			out->normalize = g->normalize;
		if (g->has_lint)
			out->lint = g->lint;
	}
	if (s && s->has_config) {
		if (s->config.has_level)
			out->level = s->config.level;
		if (s->config.has_strict)
			out->strict = s->config.strict;
		if (s->config.has_normalize)
			out->normalize = s->config.normalize;
		if (s->config.has_lint)
			out->lint = s->config.lint;
	}
}

regit_compat_level reg_non_transitive(regit_compat_level level)
{
	switch (level) {
	case REGIT_LEVEL_BACKWARD_TRANSITIVE: return REGIT_LEVEL_BACKWARD;
	case REGIT_LEVEL_FORWARD_TRANSITIVE: return REGIT_LEVEL_FORWARD;
	case REGIT_LEVEL_FULL_TRANSITIVE: return REGIT_LEVEL_FULL;
	default: return level;
	}
}

int reg_level_transitive(regit_compat_level level)
{
	return reg_non_transitive(level) != level;
}

/* ---- the published index's resolver ------------------------------------------------ */

/*
 * The memo of parsed referenced schemas for the published index, shared by
 * every reader of one generation: any change to the index moves the
 * generation and the next caller starts a new memo (the old one is freed
 * when its last user lets go). The caller is in a read section or holds
 * wlock, so the index and the generation stay as they are while it uses
 * the memo. @return a new reference, or NULL (out of memory: parse without)
 */
static reg_memo *memo_acquire(regit_registry *reg)
{
	uint64_t gen = atomic_load(&reg->generation);
	reg_memo *stale = NULL, *m;

	pthread_mutex_lock(&reg->memolock);
	if (reg->memo && reg->memo_gen != gen) {
		stale = reg->memo;
		reg->memo = NULL;
	}
	if (!reg->memo && reg_memo_new(&reg->memo, REG_MEMO_MAX_BYTES) == 0)
		reg->memo_gen = gen;
	m = reg_memo_ref(reg->memo);
	pthread_mutex_unlock(&reg->memolock);
	reg_memo_free(stale);
	return m;
}

/*
 * A resolver over idx carrying the memo for idx (a reference: drop it with
 * reg_memo_free(out->memo)): the published index's, or that of the
 * reloaded index reg_push_validate is checking (only the wlock holder passes
 * an index that is not published). Any other index gets none.
 */
void reg_registry_resolver(reg_resolver *out, regit_registry *reg, const reg_index *idx)
{
	reg_index_resolver(out, idx);
	if (idx && idx == reg->idx)
		out->memo = memo_acquire(reg);
	else if (idx && idx == reg->check_idx)
		out->memo = reg_memo_ref(reg->check_memo);
}

int reg_stored_parse(reg_parsed **out, regit_registry *reg, const reg_index *idx,
	const char *text, size_t len, const regit_reference *refs, size_t nrefs,
	regit_schema_error *serr)
{
	reg_resolver r;
	int error;

	reg_registry_resolver(&r, reg, idx);
	error = reg_parse(out, text, len, refs, nrefs, &r, reg->opts.max_schema_size * 2 + 4096,
		serr);
	reg_memo_free(r.memo);
	return error;
}
/* ---- subjects ------------------------------------------------------------------ */

/* "subjects/<enc>/<file>" into out. */
int reg_subject_path(char *out, size_t outlen, const char *subject, const char *file)
{
	regit_buf enc = REGIT_BUF_INIT;
	int error = regit_layout_subject_encode(&enc, subject, strlen(subject));

	if (error == 0 && (size_t)snprintf(out, outlen, "subjects/%s/%s", enc.ptr, file) >= outlen)
		error = REGIT_ELIMIT;
	regit_buf_dispose(&enc);
	return error;
}

int reg_check_subject(const char *subject)
{
	const char *why = NULL;

	if (!subject || !regit_layout_subject_valid(subject, strlen(subject), &why))
		return reg_fail(REGIT_SR_INVALID_SUBJECT, "Invalid subject: %s",
			why ? why : "missing");
	return 0;
}

int reg_find_version(const reg_version **out, const reg_index *idx, const char *subject,
	int version, int deleted)
{
	const reg_subject *s = reg_find_subject(idx, subject);
	const reg_version *v;

	*out = NULL;
	if (!s || s->nversions == 0 || (!deleted && s->nlive == 0))
		return reg_fail(REGIT_SR_SUBJECT_NOT_FOUND, "Subject '%.200s' not found.",
			subject ? subject : "");
	v = version == REGIT_VERSION_LATEST ? reg_subject_latest(s, deleted) :
		reg_subject_version(s, version);
	if (!v || (v->pub.deleted && !deleted))
		return reg_fail(REGIT_SR_VERSION_NOT_FOUND, "Version %d not found.", version);
	*out = v;
	return 0;
}

/* Is subject/version referenced by a version (live only unless any)? */
const reg_version *reg_referrer(const reg_index *idx, const char *subject, int version,
	int any)
{
	size_t i, j, k;

	for (i = 0; i < reg_index_nsubjects(idx); i++) {
		const reg_subject *s = reg_index_subject_at(idx, i);

		for (j = 0; j < s->nversions; j++) {
			const reg_version *v = s->versions[j];

			if (!any && v->pub.deleted)
				continue;
			for (k = 0; k < v->nrefs; k++)
				if (v->refs[k].version == version && strcmp(v->refs[k].subject, subject) == 0)
					return v;
		}
	}
	return NULL;
}
