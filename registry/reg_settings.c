/*
 * reg_settings.c - config and mode, global or per subject: set and delete
 * through one write helper (a table of the two settings), and reads.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registry/layout.h"
#include "registry/registry_internal.h"
#include "registry/txn.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"
#include "util/md5.h"

/* ---- config ------------------------------------------------------------------ */

typedef struct config_state {
	const char *subject;            /* NULL = global */
	regit_config cfg;               /* request (set) */
	int remove;
	regit_config result;            /* merged (set) or removed (delete) */
} config_state;

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

static int config_make(reg_plan *p, void *state, regit_registry *reg, const reg_index *idx,
	reg_overlay *o, regit_registry_error *err)
{
	config_state *c = state;
	const reg_subject *s = reg_find_subject(idx, c->subject);
	const regit_config *old = NULL;
	regit_buf *b;
	int error;

	(void)o;
	if (c->subject) {
		error = reg_check_subject(c->subject, err);
		if (error < 0)
			return error;
		if (s && s->has_config)
			old = &s->config;
	} else if (idx->has_config) {
		old = &idx->config;
	}
	if (reg_mode_readonly(reg_effective_mode(idx, s)))
		return reg_fail(err, REGIT_SR_OPERATION_NOT_PERMITTED,
			"Subject %.200s is in read-only mode", c->subject ? c->subject : "(global)");
	if (c->remove) {
		if (!old) {
			if (c->subject)
				return reg_fail(err, REGIT_SR_SUBJECT_NOT_FOUND,
					"Subject '%.200s' not found.", c->subject);
			config_default(&c->result, reg);
			p->noop = 1;
			return 0;
		}
		c->result = *old;
		error = c->subject ? reg_plan_put_subject(p, c->subject, "config.json", NULL) :
			reg_plan_put(p, "config.json", NULL);
		if (error < 0)
			return reg_fail_internal(err, error);
		snprintf(p->message, sizeof(p->message), "config %.300s: deleted",
			c->subject ? c->subject : "(global)");
		return 0;
	}
	memset(&c->result, 0, sizeof(c->result));
	if (old)
		c->result = *old;
	config_merge(&c->result, &c->cfg);
	if (old && config_equal(old, &c->result)) {
		p->noop = 1;
		return 0;
	}
	b = reg_plan_buf(p);
	error = reg_meta_config_write(b, &c->result);
	if (error == 0)
		error = c->subject ? reg_plan_put_subject(p, c->subject, "config.json", b) :
			reg_plan_put(p, "config.json", b);
	if (error < 0)
		return reg_fail_internal(err, error);
	snprintf(p->message, sizeof(p->message), "config %.300s: %s%s%s%s%s",
		c->subject ? c->subject : "(global)",
		c->result.has_level ? regit_compat_level_name(c->result.level) : "-",
		c->result.has_normalize ? (c->result.normalize ? ", normalize" : ", no normalize") : "",
		c->result.has_strict ? (c->result.strict ? ", strict" : ", avro rules") : "",
		c->result.has_lint ? ", lint " : "",
		c->result.has_lint ? regit_lint_policy_name(c->result.lint) : "");
	return 0;
}

static int config_apply_fn(reg_index *idx, void *payload)
{
	config_state *c = payload;
	reg_subject *s = NULL;
	int error;

	if (!c->subject) {
		idx->has_config = !c->remove;
		if (!c->remove)
			idx->config = c->result;
		return 0;
	}
	if (c->remove) {
		s = reg_index_subject(idx, c->subject, strlen(c->subject));
		if (s) {
			s->has_config = 0;
			reg_index_subject_prune(idx, s);
		}
		return 0;
	}
	error = reg_index_subject_add(&s, idx, c->subject, strlen(c->subject));
	if (error < 0)
		return error;
	s->has_config = 1;
	s->config = c->result;
	return 0;
}

static const reg_txn_kind config_kind = { config_make, config_apply_fn, NULL };

/* PUT (cfg) or DELETE (cfg NULL) of a config: one write, out = the result. */
static int config_write(regit_registry *reg, const char *subject, const regit_config *cfg,
	const char *author, regit_config *out, regit_registry_error *err)
{
	regit_registry_error dummy;
	config_state c;
	int error;

	if (!err)
		err = &dummy;
	reg_err_init(err);
	memset(&c, 0, sizeof(c));
	c.subject = subject;
	if (cfg)
		c.cfg = *cfg;
	else
		c.remove = 1;
	error = reg_txn_write(reg, &config_kind, &c, author, err);
	if (error == 0 && out)
		*out = c.result;
	return error;
}

int regit_registry_set_config(regit_registry *reg, const char *subject,
	const regit_config *cfg, const char *author, regit_config *out,
	regit_registry_error *err)
{
	return config_write(reg, subject, cfg, author, out, err);
}

int regit_registry_delete_config(regit_registry *reg, const char *subject,
	const char *author, regit_config *out, regit_registry_error *err)
{
	return config_write(reg, subject, NULL, author, out, err);
}

int regit_registry_get_config(regit_registry *reg, const char *subject,
	int default_to_global, regit_config *out, regit_registry_error *err)
{
	regit_registry_error dummy;
	const reg_subject *s;
	int taken, error = 0;

	if (!err)
		err = &dummy;
	reg_err_init(err);
	taken = reg_read_enter(reg);
	s = reg_find_subject(reg->idx, subject);
	if (subject && s && s->has_config && !default_to_global) {
		*out = s->config;
	} else if (subject && !default_to_global) {
		error = reg_fail(err, REGIT_SR_SUBJECT_CONFIG_NOT_FOUND,
			"Subject '%.200s' does not have subject-level compatibility configured", subject);
	} else {
		/* Effective: server default, global, subject, merged in that order. */
		config_default(out, reg);
		if (reg->idx->has_config)
			config_merge(out, &reg->idx->config);
		if (s && s->has_config)
			config_merge(out, &s->config);
	}
	reg_read_leave(reg, taken);
	return error;
}

/* ---- mode -------------------------------------------------------------------- */

typedef struct mode_state {
	const char *subject;
	regit_mode mode;
	int force;
	int remove;
	regit_mode result;
} mode_state;

static int mode_make(reg_plan *p, void *state, regit_registry *reg, const reg_index *idx,
	reg_overlay *o, regit_registry_error *err)
{
	mode_state *m = state;
	const reg_subject *s = reg_find_subject(idx, m->subject);
	int has = m->subject ? (s && s->has_mode) : idx->has_mode;
	regit_mode old = m->subject ? (s ? s->mode : REGIT_MODE_READWRITE) : idx->mode;
	regit_buf *b;
	size_t i;
	int error;

	(void)reg;
	(void)o;
	if (m->remove) {
		if (!has)
			return reg_fail(err, REGIT_SR_SUBJECT_NOT_FOUND, "Subject '%.200s' not found.",
				m->subject ? m->subject : "(global)");
		m->result = old;
		error = m->subject ? reg_plan_put_subject(p, m->subject, "mode.json", NULL) :
			reg_plan_put(p, "mode.json", NULL);
		if (error < 0)
			return reg_fail_internal(err, error);
		snprintf(p->message, sizeof(p->message), "mode %.300s: deleted",
			m->subject ? m->subject : "(global)");
		return 0;
	}
	if (m->subject) {
		error = reg_check_subject(m->subject, err);
		if (error < 0)
			return error;
		if (m->mode == REGIT_MODE_FORWARD)
			return reg_fail(err, REGIT_SR_INVALID_MODE, "Invalid mode FORWARD for a subject");
	}
	if ((unsigned)m->mode > REGIT_MODE_FORWARD)
		return reg_fail(err, REGIT_SR_INVALID_MODE, "Invalid mode");
	if (m->mode == REGIT_MODE_IMPORT && reg_effective_mode(idx, s) != REGIT_MODE_IMPORT && !m->force) {
		int live = 0;

		if (m->subject)
			live = s && s->nlive > 0;
		for (i = 0; !m->subject && i < idx->nsubjects && !live; i++)
			live = idx->subjects[i]->nlive > 0;
		if (live)
			return reg_fail(err, REGIT_SR_OPERATION_NOT_PERMITTED,
				"Cannot import since found existing subjects");
	}
	m->result = m->mode;
	if (has && old == m->mode) {
		p->noop = 1;
		return 0;
	}
	b = reg_plan_buf(p);
	error = reg_meta_mode_write(b, m->mode);
	if (error == 0)
		error = m->subject ? reg_plan_put_subject(p, m->subject, "mode.json", b) :
			reg_plan_put(p, "mode.json", b);
	if (error < 0)
		return reg_fail_internal(err, error);
	snprintf(p->message, sizeof(p->message), "mode %.300s: %s",
		m->subject ? m->subject : "(global)", regit_mode_name(m->mode));
	return 0;
}

static int mode_apply_fn(reg_index *idx, void *payload)
{
	mode_state *m = payload;
	reg_subject *s = NULL;
	int error;

	if (!m->subject) {
		idx->has_mode = !m->remove;
		idx->mode = m->remove ? REGIT_MODE_READWRITE : m->mode;
		return 0;
	}
	if (m->remove) {
		s = reg_index_subject(idx, m->subject, strlen(m->subject));
		if (s) {
			s->has_mode = 0;
			reg_index_subject_prune(idx, s);
		}
		return 0;
	}
	error = reg_index_subject_add(&s, idx, m->subject, strlen(m->subject));
	if (error < 0)
		return error;
	s->has_mode = 1;
	s->mode = m->mode;
	return 0;
}

static const reg_txn_kind mode_kind = { mode_make, mode_apply_fn, NULL };

/* PUT or (remove) DELETE of a mode: one write, *out = the mode set or removed. */
static int mode_write(regit_registry *reg, const char *subject, regit_mode mode, int force,
	int remove, const char *author, regit_mode *out, regit_registry_error *err)
{
	regit_registry_error dummy;
	mode_state m;
	int error;

	if (!err)
		err = &dummy;
	reg_err_init(err);
	memset(&m, 0, sizeof(m));
	m.subject = subject;
	m.mode = mode;
	m.force = force;
	m.remove = remove;
	error = reg_txn_write(reg, &mode_kind, &m, author, err);
	if (error == 0 && out)
		*out = m.result;
	return error;
}

int regit_registry_set_mode(regit_registry *reg, const char *subject,
	regit_mode mode, int force, const char *author, regit_registry_error *err)
{
	return mode_write(reg, subject, mode, force, 0, author, NULL, err);
}

int regit_registry_delete_mode(regit_registry *reg, const char *subject,
	const char *author, regit_mode *out, regit_registry_error *err)
{
	return mode_write(reg, subject, REGIT_MODE_READWRITE, 0, 1, author, out, err);
}

int regit_registry_get_mode(regit_registry *reg, const char *subject,
	int default_to_global, regit_mode *out, regit_registry_error *err)
{
	regit_registry_error dummy;
	const reg_subject *s;
	int taken, error = 0;

	if (!err)
		err = &dummy;
	reg_err_init(err);
	taken = reg_read_enter(reg);
	s = reg_find_subject(reg->idx, subject);
	if (subject && s && s->has_mode)
		*out = s->mode;
	else if (subject && !default_to_global)
		error = reg_fail(err, REGIT_SR_SUBJECT_MODE_NOT_FOUND,
			"Subject '%.200s' does not have subject-level mode configured", subject);
	else
		*out = reg->idx->has_mode ? reg->idx->mode : REGIT_MODE_READWRITE;
	reg_read_leave(reg, taken);
	return error;
}
