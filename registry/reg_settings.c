/*
 * reg_settings.c - config and mode, global or per subject: set and delete
 * are one write helper (setting_plan, setting_apply) over a table of the
 * two settings (setting_kind: the file, how it is read from and put into
 * the index, and each one's policy); reads.
 */
#include <stdio.h>
#include <string.h>

#include "registry/registry_internal.h"
#include "registry/txn.h"
#include "util/buf.h"

/* ---- config helpers ------------------------------------------------------------ */

static void config_merge(regit_config *dst, const regit_config *src)
{
	if (src->has_level) {
		dst->has_level = 1;
		dst->level = src->level;
	}
	if (src->has_normalize) {
		dst->has_normalize = 1;
		dst->normalize = src->normalize;
	}
	if (src->has_strict) {
		dst->has_strict = 1;
		dst->strict = src->strict;
	}
	if (src->has_lint) {
		dst->has_lint = 1;
		dst->lint = src->lint;
	}
}

static int config_equal(const regit_config *a, const regit_config *b)
{
	return a->has_level == b->has_level && (!a->has_level || a->level == b->level) &&
		a->has_normalize == b->has_normalize && (!a->has_normalize || a->normalize == b->normalize) &&
		a->has_strict == b->has_strict && (!a->has_strict || a->strict == b->strict) &&
		a->has_lint == b->has_lint && (!a->has_lint || a->lint == b->lint);
}

/*
 * The server default as a config: what "global" means when nothing is set.
 * A lint policy other than off (regit serve --lint) shows too, so the
 * effective policy is visible; off stays implicit, as before the policy.
 */
static void config_default(regit_config *out, const regit_registry *reg)
{
	memset(out, 0, sizeof(*out));
	out->has_level = 1;
	out->level = reg->opts.default_level;
	if (reg->opts.default_lint != REGIT_LINT_POLICY_OFF) {
		out->has_lint = 1;
		out->lint = reg->opts.default_lint;
	}
}

/* ---- one write helper for both settings ----------------------------------------- */

typedef struct setting_kind setting_kind;

/* A PUT or DELETE of a setting: the request and what it gave. */
typedef struct setting_write {
	const setting_kind *kind;
	const char *subject;            /* NULL = global */
	int remove;                     /* DELETE */
	regit_config config;            /* request (PUT config) */
	regit_mode mode;                /* request (PUT mode) */
	int force;                      /* PUT mode: IMPORT with live subjects */
	/* the outcome: the config merged (PUT) or removed (DELETE), the mode
	 * set or removed */
	regit_config config_result;
	regit_mode mode_result;
} setting_write;

/* What differs between config and mode: one row each (config_kind, mode_kind). */
struct setting_kind {
	const char *file;               /* "config.json" in the subject's folder or the root */
	const char *what;               /* the commit message's first word */
	/* Whether the setting is set at the scope (s NULL: global). */
	int (*has)(const reg_index *idx, const reg_subject *s, const char *subject);
	/*
	 * The policy of the write: an error, or w's result set (and p->noop
	 * when nothing changes). has says whether the scope has the setting.
	 */
	int (*decide)(setting_write *w, reg_plan *p, regit_registry *reg, const reg_index *idx,
		const reg_subject *s, int has);
	/* The file's content for w's result, and the commit message after "what scope: ". */
	int (*print)(regit_buf *out, const setting_write *w);
	void (*describe)(char *out, size_t len, const setting_write *w);
	/* Put w's result at the scope (s NULL: global), or unset it (w->remove). */
	void (*store)(reg_index *idx, reg_subject *s, const setting_write *w);
};

static const char *scope_name(const setting_write *w)
{
	return w->subject ? w->subject : "(global)";
}

static int setting_plan(reg_plan *p, void *state, regit_registry *reg, const reg_index *idx,
	reg_overlay *o)
{
	setting_write *w = state;
	const reg_subject *s = reg_find_subject(idx, w->subject);
	regit_buf *b = NULL;
	int error;

	(void)o;
	error = w->kind->decide(w, p, reg, idx, s, w->kind->has(idx, s, w->subject));
	if (error < 0 || p->noop)
		return error;
	if (!w->remove) {
		b = reg_plan_buf(p);
		error = w->kind->print(b, w);
	}
	if (error == 0)
		error = w->subject ? reg_plan_put_subject(p, w->subject, w->kind->file, b) :
			reg_plan_put(p, w->kind->file, b);
	if (error < 0)
		return reg_fail_internal(error);
	if (w->remove) {
		snprintf(p->message, sizeof(p->message), "%s %.300s: deleted", w->kind->what,
			scope_name(w));
	} else {
		char desc[128];

		w->kind->describe(desc, sizeof(desc), w);
		snprintf(p->message, sizeof(p->message), "%s %.300s: %s", w->kind->what,
			scope_name(w), desc);
	}
	return 0;
}

static int setting_apply(reg_index *idx, void *state)
{
	setting_write *w = state;
	reg_subject *s = NULL;
	int error;

	if (!w->subject) {
		w->kind->store(idx, NULL, w);
		return 0;
	}
	if (w->remove) {
		s = reg_index_subject(idx, w->subject, strlen(w->subject));
		if (s) {
			w->kind->store(idx, s, w);
			reg_index_subject_prune(idx, s);
		}
		return 0;
	}
	error = reg_index_subject_add(&s, idx, w->subject, strlen(w->subject));
	if (error < 0)
		return error;
	w->kind->store(idx, s, w);
	return 0;
}

static const reg_txn_kind setting_txn = { setting_plan, setting_apply, NULL };

/* One PUT or DELETE of a setting, as a write transaction of one operation. */
static int setting_write_run(regit_registry *reg, setting_write *w, const char *author)
{

	reg_err_init();
	return reg_txn_write(reg, &setting_txn, w, author);
}

/* ---- config ------------------------------------------------------------------ */

static int config_has(const reg_index *idx, const reg_subject *s, const char *subject)
{
	return subject ? s && s->has_config : reg_index_config(idx) != NULL;
}

static int config_decide(setting_write *w, reg_plan *p, regit_registry *reg,
	const reg_index *idx, const reg_subject *s, int has)
{
	const regit_config *old = !has ? NULL : w->subject ? &s->config : reg_index_config(idx);
	int error;

	if (w->subject) {
		error = reg_check_subject(w->subject);
		if (error < 0)
			return error;
	}
	if (reg_mode_readonly(reg_effective_mode(idx, s)))
		return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
			"Subject %.200s is in read-only mode", scope_name(w));
	if (w->remove) {
		if (!old) {
			if (w->subject)
				return reg_fail(REGIT_SR_SUBJECT_NOT_FOUND,
					"Subject '%.200s' not found.", w->subject);
			config_default(&w->config_result, reg);
			p->noop = 1;
			return 0;
		}
		w->config_result = *old;
		return 0;
	}
	memset(&w->config_result, 0, sizeof(w->config_result));
	if (old)
		w->config_result = *old;
	config_merge(&w->config_result, &w->config);
	if (old && config_equal(old, &w->config_result))
		p->noop = 1;
	return 0;
}

static int config_print(regit_buf *out, const setting_write *w)
{
	return reg_meta_config_write(out, &w->config_result);
}

static void config_describe(char *out, size_t len, const setting_write *w)
{
	const regit_config *c = &w->config_result;

	snprintf(out, len, "%s%s%s%s%s",
		c->has_level ? regit_compat_level_name(c->level) : "-",
		c->has_normalize ? (c->normalize ? ", normalize" : ", no normalize") : "",
		c->has_strict ? (c->strict ? ", strict" : ", avro rules") : "",
		c->has_lint ? ", lint " : "",
		c->has_lint ? regit_lint_policy_name(c->lint) : "");
}

static void config_store(reg_index *idx, reg_subject *s, const setting_write *w)
{
	if (!s) {
		reg_index_set_config(idx, w->remove ? NULL : &w->config_result);
		return;
	}
	s->has_config = !w->remove;
	if (!w->remove)
		s->config = w->config_result;
}

static const setting_kind config_kind = {
	"config.json", "config", config_has, config_decide, config_print, config_describe,
	config_store
};

/* PUT (cfg) or DELETE (cfg NULL) of a config: one write, out = the result. */
static int config_write(regit_registry *reg, const char *subject, const regit_config *cfg,
	const char *author, regit_config *out)
{
	setting_write w;
	int error;

	memset(&w, 0, sizeof(w));
	w.kind = &config_kind;
	w.subject = subject;
	if (cfg)
		w.config = *cfg;
	else
		w.remove = 1;
	error = setting_write_run(reg, &w, author);
	if (error == 0 && out)
		*out = w.config_result;
	return error;
}

int regit_registry_set_config(regit_registry *reg, const char *subject,
	const regit_config *cfg, const char *author, regit_config *out)
{
	return config_write(reg, subject, cfg, author, out);
}

int regit_registry_delete_config(regit_registry *reg, const char *subject,
	const char *author, regit_config *out)
{
	return config_write(reg, subject, NULL, author, out);
}

int regit_registry_get_config(regit_registry *reg, const char *subject,
	int default_to_global, regit_config *out)
{
	const reg_subject *s;
	int taken, error = 0;

	reg_err_init();
	taken = reg_read_enter(reg);
	s = reg_find_subject(reg->idx, subject);
	if (subject && s && s->has_config && !default_to_global) {
		*out = s->config;
	} else if (subject && !default_to_global) {
		error = reg_fail(REGIT_SR_SUBJECT_CONFIG_NOT_FOUND,
			"Subject '%.200s' does not have subject-level compatibility configured", subject);
	} else {
		/* Effective: server default, global, subject, merged in that order. */
		config_default(out, reg);
		if (reg_index_config(reg->idx))
			config_merge(out, reg_index_config(reg->idx));
		if (s && s->has_config)
			config_merge(out, &s->config);
	}
	reg_read_leave(reg, taken);
	return error;
}

/* ---- mode -------------------------------------------------------------------- */

static int mode_has(const reg_index *idx, const reg_subject *s, const char *subject)
{
	return subject ? s && s->has_mode : reg_index_has_mode(idx);
}

static int mode_decide(setting_write *w, reg_plan *p, regit_registry *reg,
	const reg_index *idx, const reg_subject *s, int has)
{
	regit_mode old = w->subject ? (s ? s->mode : REGIT_MODE_READWRITE) : reg_index_mode(idx);
	size_t i;
	int error;

	(void)reg;
	if (w->remove) {
		if (!has)
			return reg_fail(REGIT_SR_SUBJECT_NOT_FOUND, "Subject '%.200s' not found.",
				scope_name(w));
		w->mode_result = old;
		return 0;
	}
	if (w->subject) {
		error = reg_check_subject(w->subject);
		if (error < 0)
			return error;
		if (w->mode == REGIT_MODE_FORWARD)
			return reg_fail(REGIT_SR_INVALID_MODE, "Invalid mode FORWARD for a subject");
	}
	if ((unsigned)w->mode > REGIT_MODE_FORWARD)
		return reg_fail(REGIT_SR_INVALID_MODE, "Invalid mode");
	if (w->mode == REGIT_MODE_IMPORT && reg_effective_mode(idx, s) != REGIT_MODE_IMPORT &&
			!w->force) {
		int live = 0;

		if (w->subject)
			live = s && s->nlive > 0;
		for (i = 0; !w->subject && i < reg_index_nsubjects(idx) && !live; i++)
			live = reg_index_subject_at(idx, i)->nlive > 0;
		if (live)
			return reg_fail(REGIT_SR_OPERATION_NOT_PERMITTED,
				"Cannot import since found existing subjects");
	}
	w->mode_result = w->mode;
	if (has && old == w->mode)
		p->noop = 1;
	return 0;
}

static int mode_print(regit_buf *out, const setting_write *w)
{
	return reg_meta_mode_write(out, w->mode);
}

static void mode_describe(char *out, size_t len, const setting_write *w)
{
	snprintf(out, len, "%s", regit_mode_name(w->mode));
}

static void mode_store(reg_index *idx, reg_subject *s, const setting_write *w)
{
	if (s) {
		s->has_mode = !w->remove;
		if (!w->remove)
			s->mode = w->mode;
		return;
	}
	reg_index_set_mode(idx, w->remove ? NULL : &w->mode);
}

static const setting_kind mode_kind = {
	"mode.json", "mode", mode_has, mode_decide, mode_print, mode_describe, mode_store
};

/* PUT or (remove) DELETE of a mode: one write, *out = the mode set or removed. */
static int mode_write(regit_registry *reg, const char *subject, regit_mode mode, int force,
	int remove, const char *author, regit_mode *out)
{
	setting_write w;
	int error;

	memset(&w, 0, sizeof(w));
	w.kind = &mode_kind;
	w.subject = subject;
	w.mode = mode;
	w.force = force;
	w.remove = remove;
	error = setting_write_run(reg, &w, author);
	if (error == 0 && out)
		*out = w.mode_result;
	return error;
}

int regit_registry_set_mode(regit_registry *reg, const char *subject,
	regit_mode mode, int force, const char *author)
{
	return mode_write(reg, subject, mode, force, 0, author, NULL);
}

int regit_registry_delete_mode(regit_registry *reg, const char *subject,
	const char *author, regit_mode *out)
{
	return mode_write(reg, subject, REGIT_MODE_READWRITE, 0, 1, author, out);
}

int regit_registry_get_mode(regit_registry *reg, const char *subject,
	int default_to_global, regit_mode *out)
{
	const reg_subject *s;
	int taken, error = 0;

	reg_err_init();
	taken = reg_read_enter(reg);
	s = reg_find_subject(reg->idx, subject);
	if (subject && s && s->has_mode)
		*out = s->mode;
	else if (subject && !default_to_global)
		error = reg_fail(REGIT_SR_SUBJECT_MODE_NOT_FOUND,
			"Subject '%.200s' does not have subject-level mode configured", subject);
	else
		*out = reg_index_mode(reg->idx);
	reg_read_leave(reg, taken);
	return error;
}
