/*
 * reg_read.c - the API's reads: lookup, versions, schemas by id and GUID,
 * lists, references, resolved text, and compatibility tests. Every read
 * runs in a read section (reg_read_enter) on the published index and never
 * touches git.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry_internal.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"
#include "util/md5.h"

/* ---- lookup, versions, lists, references --------------------------------------- */

static int version_passes(const reg_version *v, const regit_list_filter *f)
{
	if (f && f->deleted_only)
		return v->pub.deleted;
	if (f && f->deleted)
		return 1;
	return !v->pub.deleted;
}

static int prefix_match(const reg_subject *s, const regit_list_filter *f)
{
	size_t n;

	if (!f || !f->prefix)
		return 1;
	n = strlen(f->prefix);
	return s->name_len >= n && memcmp(s->name, f->prefix, n) == 0;
}

int regit_registry_lookup(regit_registry *reg, const regit_register_request *req,
	int deleted, const regit_version **out)
{
	const reg_subject *s;
	reg_req_schema rs;
	reg_effective eff;
	size_t i;
	int pass, taken, error = 0;

	reg_err_init();
	*out = NULL;
	memset(&rs, 0, sizeof(rs));
	taken = reg_read_enter(reg);
	s = reg_find_subject(reg->idx, req->subject);
	reg_effective_config(&eff, reg, reg->idx, s);
	/*
	 * First the plain canonical text; if nothing matches, the text as the
	 * registry stores it (re-read from its pretty form), which differs
	 * only if printing is not a fixed point for this schema.
	 */
	for (pass = 0; pass < 2 && !*out; pass++) {
		reg_req_schema_dispose(&rs);
		error = reg_req_schema_load(&rs, reg, reg->idx, req, req->normalize || eff.normalize, pass);
		if (error < 0)
			goto done;
		for (i = s ? s->nversions : 0; i > 0; i--) {
			const reg_version *v = s->versions[i - 1];

			if ((deleted || !v->pub.deleted) && reg_version_key_eq(v, &rs)) {
				*out = &v->pub;
				break;
			}
		}
	}
	/*
	 * Last, as Confluent's second pass (Avro Schema.equals ignores the
	 * order of properties): compare normalized forms, for schemas stored
	 * without normalization but looked up in another property order.
	 */
	if (!*out && s) {
		regit_buf mine, theirs;

		regit_buf_init(&mine, rs.text.max);
		regit_buf_init(&theirs, rs.text.max);
		if (reg_normalize(&mine, rs.text.ptr ? rs.text.ptr : "", rs.text.size) == 0) {
			for (i = s->nversions; i > 0 && !*out; i--) {
				const reg_version *v = s->versions[i - 1];
				size_t k;
				int same = v->nrefs == rs.nrefs;

				if (!deleted && v->pub.deleted)
					continue;
				for (k = 0; k < rs.nrefs && same; k++)
					same = v->refs[k].version == rs.refs[k].version &&
						strcmp(v->refs[k].subject, rs.refs[k].subject) == 0 &&
						strcmp(v->refs[k].name, rs.refs[k].name) == 0;
				regit_buf_clear(&theirs);
				if (same && reg_normalize(&theirs, v->text->s, v->text->len) == 0 &&
						theirs.size == mine.size && memcmp(theirs.ptr, mine.ptr, mine.size) == 0)
					*out = &v->pub;
			}
		}
		regit_buf_dispose(&mine);
		regit_buf_dispose(&theirs);
	}
	if (!*out) {
		int any = 0;

		for (i = 0; s && i < s->nversions; i++)
			any |= deleted || !s->versions[i]->pub.deleted;
		if (any)
			error = reg_fail(REGIT_SR_SCHEMA_NOT_FOUND, "Schema not found");
		else
			error = reg_fail(REGIT_SR_SUBJECT_NOT_FOUND, "Subject '%.200s' not found.",
				req->subject ? req->subject : "");
	}
done:
	reg_req_schema_dispose(&rs);
	reg_read_leave(reg, taken);
	return error;
}

int regit_registry_get_version(regit_registry *reg, const char *subject,
	int version, int deleted, const regit_version **out)
{
	const reg_version *v = NULL;
	int taken, error = 0;

	reg_err_init();
	*out = NULL;
	taken = reg_read_enter(reg);
	error = reg_find_version(&v, reg->idx, subject, version, deleted);
	if (error < 0)
		goto done;
	*out = &v->pub;
done:
	reg_read_leave(reg, taken);
	return error;
}

int regit_registry_get_schema(regit_registry *reg, int id,
	const regit_schema_entry **out)
{
	const reg_schema *s;
	int taken, error = 0;

	reg_err_init();
	taken = reg_read_enter(reg);
	s = reg_index_schema(reg->idx, id);
	if (s)
		*out = &s->pub;
	else
		error = reg_fail(REGIT_SR_SCHEMA_NOT_FOUND, "Schema %d not found", id);
	reg_read_leave(reg, taken);
	return error;
}

int regit_registry_list_subjects(regit_registry *reg, const regit_list_filter *f,
	regit_subject_cb cb, void *payload)
{
	const reg_index *idx;
	size_t i, j;
	int taken = reg_read_enter(reg);

	idx = reg->idx;
	for (i = 0; i < reg_index_nsubjects(idx); i++) {
		const reg_subject *s = reg_index_subject_at(idx, i);
		int pass = 0;

		if (!prefix_match(s, f))
			continue;
		for (j = 0; j < s->nversions && !pass; j++)
			pass = version_passes(s->versions[j], f);
		if (pass && cb(s->name, payload))
			break;
	}
	reg_read_leave(reg, taken);
	return 0;
}

int regit_registry_list_versions(regit_registry *reg, const char *subject,
	const regit_list_filter *f, regit_version_cb cb, void *payload)
{
	const reg_subject *s;
	size_t i, n = 0;
	int taken, error = 0;

	reg_err_init();
	taken = reg_read_enter(reg);
	s = reg_find_subject(reg->idx, subject);
	for (i = 0; s && i < s->nversions; i++)
		n += version_passes(s->versions[i], f);
	if (n == 0) {
		error = reg_fail(REGIT_SR_SUBJECT_NOT_FOUND, "Subject '%.200s' not found.",
			subject ? subject : "");
		goto done;
	}
	for (i = 0; i < s->nversions; i++)
		if (version_passes(s->versions[i], f) && cb(&s->versions[i]->pub, payload))
			break;
done:
	reg_read_leave(reg, taken);
	return error;
}

int regit_registry_list_schemas(regit_registry *reg, const regit_list_filter *f,
	regit_version_cb cb, void *payload)
{
	const reg_index *idx;
	size_t i, j;
	int stop = 0;
	int taken = reg_read_enter(reg);

	idx = reg->idx;
	for (i = 0; i < reg_index_nsubjects(idx) && !stop; i++) {
		const reg_subject *s = reg_index_subject_at(idx, i);

		if (!prefix_match(s, f))
			continue;
		if (f && f->latest_only) {
			for (j = s->nversions; j > 0; j--) {
				if (version_passes(s->versions[j - 1], f)) {
					stop = cb(&s->versions[j - 1]->pub, payload);
					break;
				}
			}
			continue;
		}
		for (j = 0; j < s->nversions && !stop; j++)
			if (version_passes(s->versions[j], f))
				stop = cb(&s->versions[j]->pub, payload);
	}
	reg_read_leave(reg, taken);
	return 0;
}

int regit_registry_id_versions(regit_registry *reg, int id, int deleted,
	regit_version_cb cb, void *payload)
{
	const reg_index *idx;
	size_t i, j;
	int stop = 0, taken, error = 0;

	reg_err_init();
	taken = reg_read_enter(reg);
	idx = reg->idx;
	if (!reg_index_schema(idx, id)) {
		error = reg_fail(REGIT_SR_SCHEMA_NOT_FOUND, "Schema %d not found", id);
		goto done;
	}
	for (i = 0; i < reg_index_nsubjects(idx) && !stop; i++) {
		const reg_subject *s = reg_index_subject_at(idx, i);

		for (j = 0; j < s->nversions && !stop; j++) {
			const reg_version *v = s->versions[j];

			if (v->pub.id == id && (deleted || !v->pub.deleted))
				stop = cb(&v->pub, payload);
		}
	}
done:
	reg_read_leave(reg, taken);
	return error;
}

static int version_by_id_cmp(const void *a, const void *b)
{
	const reg_version *x = *(const reg_version *const *)a;
	const reg_version *y = *(const reg_version *const *)b;

	return x->pub.id < y->pub.id ? -1 : x->pub.id > y->pub.id;
}

int regit_registry_referenced_by(regit_registry *reg, const char *subject,
	int version, int deleted, regit_version_cb cb, void *payload)
{
	const reg_index *idx;
	const reg_version *target;
	const reg_version **found = NULL;
	size_t i, j, k, n = 0, cap = 0;
	int taken, error = 0;

	reg_err_init();
	taken = reg_read_enter(reg);
	idx = reg->idx;
	error = reg_find_version(&target, idx, subject, version, 1);
	if (error < 0)
		goto done;
	for (i = 0; i < reg_index_nsubjects(idx); i++) {
		const reg_subject *o = reg_index_subject_at(idx, i);

		for (j = 0; j < o->nversions; j++) {
			const reg_version *v = o->versions[j];

			if (!deleted && v->pub.deleted)
				continue;
			for (k = 0; k < v->nrefs; k++) {
				if (v->refs[k].version != target->pub.version ||
						strcmp(v->refs[k].subject, subject) != 0)
					continue;
				if (n == cap) {
					const reg_version **grown = regit_array_grow(found, &cap,
						n + 1, sizeof(*grown), 16);

					if (!grown) {
						error = reg_fail_internal(REGIT_ENOMEM);
						goto done;
					}
					found = grown;
				}
				found[n++] = v;
				break;
			}
		}
	}
	if (n > 1)
		qsort(found, n, sizeof(*found), version_by_id_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && found[i]->pub.id == found[i - 1]->pub.id)
			continue;
		if (cb(&found[i]->pub, payload))
			break;
	}
done:
	regit_free(found);
	reg_read_leave(reg, taken);
	return error;
}

/* ---- GUIDs, max id, resolved text --------------------------------------------- */

typedef struct reg_guid {
	unsigned char md5[16];
	int id;
} reg_guid;

/* The GUID bytes of a schema (registry.h: MD5 of text + references). */
static int guid_compute(unsigned char out[16], const reg_schema *s)
{
	regit_buf b;
	size_t i;
	int error = 0;

	if (s->nrefs == 0)
		return regit_md5(out, s->pub.schema, s->pub.schema_len);
	regit_buf_init(&b, REGIT_BUF_DEFAULT_MAX);
	error = regit_buf_put(&b, s->pub.schema, s->pub.schema_len);
	for (i = 0; i < s->nrefs && error == 0; i++) {
		error = regit_buf_putc(&b, '\0');
		if (error == 0)
			error = regit_buf_puts(&b, s->refs[i].name);
		if (error == 0)
			error = regit_buf_putc(&b, '\0');
		if (error == 0)
			error = regit_buf_puts(&b, s->refs[i].subject);
		if (error == 0)
			error = regit_buf_printf(&b, "%c%d", '\0', s->refs[i].version);
	}
	if (error == 0)
		error = regit_md5(out, b.ptr, b.size);
	regit_buf_dispose(&b);
	return error;
}

static int guid_cmp(const void *a, const void *b)
{
	const reg_guid *x = a, *y = b;
	int c = memcmp(x->md5, y->md5, sizeof(x->md5));

	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

/* Parse the 8-4-4-4-12 form (either hex case). @return 0 / -1 */
static int guid_parse(unsigned char out[16], const char *s)
{
	size_t i, n = 0;

	if (!s || strlen(s) != REGIT_GUID_LEN)
		return -1;
	for (i = 0; i < REGIT_GUID_LEN; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		hi = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
			(s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f' ? (s[i] | 0x20) - 'a' + 10 : -1;
		lo = s[i + 1] >= '0' && s[i + 1] <= '9' ? s[i + 1] - '0' :
			(s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'f' ?
			(s[i + 1] | 0x20) - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[n++] = (unsigned char)(hi * 16 + lo);
		i++;
	}
	return n == 16 ? 0 : -1;
}

/*
 * The GUID table of the published index, rebuilt when the generation moved
 * (caller holds a read section, so the index and generation are stable).
 * Built on first use: most registries are never asked for a GUID.
 * On success it returns with guidlock held (the table stays put until the
 * caller unlocks); on failure, unlocked.
 */
static int guid_table(regit_registry *reg)
{
	const reg_index *idx = reg->idx;
	uint64_t gen = atomic_load(&reg->generation);
	const reg_schema *s;
	reg_guid *t = NULL;
	size_t n = 0, pos = 0;
	int error = 0;

	pthread_mutex_lock(&reg->guidlock);
	if (reg->guid_valid && reg->guid_gen == gen)
		goto done;
	if (reg_index_nschemas(idx)) {
		t = regit_calloc(reg_index_nschemas(idx), sizeof(*t));
		if (!t) {
			error = REGIT_ENOMEM;
			goto done;
		}
	}
	while (error == 0 && (s = reg_index_schema_next(idx, &pos)) != NULL) {
		if (n == reg_index_nschemas(idx))
			continue;
		error = guid_compute(t[n].md5, s);
		t[n++].id = s->pub.id;
	}
	if (error < 0) {
		regit_free(t);
		goto done;
	}
	qsort(t, n, sizeof(*t), guid_cmp);
	regit_free(reg->guids);
	reg->guids = t;
	reg->nguids = n;
	reg->guid_gen = gen;
	reg->guid_valid = 1;
done:
	if (error < 0)
		pthread_mutex_unlock(&reg->guidlock);
	return error;
}

int regit_registry_schema_guid(regit_registry *reg, int id,
	char out[REGIT_GUID_LEN + 1])
{
	const reg_schema *s;
	unsigned char d[16];
	int taken, error;
	size_t i, o = 0;

	reg_err_init();
	out[0] = '\0';
	taken = reg_read_enter(reg);
	s = reg_index_schema(reg->idx, id);
	if (!s)
		error = reg_fail(REGIT_SR_SCHEMA_NOT_FOUND, "Schema %d not found", id);
	else if ((error = guid_compute(d, s)) < 0)
		error = reg_fail_internal(error);
	reg_read_leave(reg, taken);
	if (error < 0)
		return error;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		snprintf(out + o, 3, "%02x", d[i]);
		o += 2;
	}
	out[o] = '\0';
	return 0;
}

int regit_registry_get_schema_by_guid(regit_registry *reg, const char *guid,
	const regit_schema_entry **out)
{
	reg_guid key;
	size_t lo, hi;
	int taken, error = 0, id = 0;

	reg_err_init();
	*out = NULL;
	if (guid_parse(key.md5, guid) < 0)
		return reg_fail(REGIT_SR_SCHEMA_NOT_FOUND, "Schema %.64s not found",
			guid ? guid : "");
	taken = reg_read_enter(reg);
	error = guid_table(reg);
	if (error < 0) {
		error = reg_fail_internal(error);
		goto done;
	}
	/* First entry with this GUID: the lowest id (entries sort by id within). */
	lo = 0;
	hi = reg->nguids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(reg->guids[mid].md5, key.md5, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < reg->nguids && memcmp(reg->guids[lo].md5, key.md5, 16) == 0)
		id = reg->guids[lo].id;
	pthread_mutex_unlock(&reg->guidlock);
	if (id > 0 && reg_index_schema(reg->idx, id))
		*out = &reg_index_schema(reg->idx, id)->pub;
	else
		error = reg_fail(REGIT_SR_SCHEMA_NOT_FOUND, "Schema %.64s not found", guid);
done:
	reg_read_leave(reg, taken);
	return error;
}

int regit_registry_max_id(regit_registry *reg)
{
	int taken = reg_read_enter(reg);
	int max = reg_index_next_id(reg->idx) > 1 ? reg_index_next_id(reg->idx) - 1 : 0;

	reg_read_leave(reg, taken);
	return max;
}

int regit_registry_schema_resolved(regit_registry *reg, int id, regit_buf *out)
{
	regit_schema_error serr;
	const reg_schema *s;
	reg_parsed *parsed = NULL;
	int taken, error = 0;

	reg_err_init();
	taken = reg_read_enter(reg);
	s = reg_index_schema(reg->idx, id);
	if (!s) {
		error = reg_fail(REGIT_SR_SCHEMA_NOT_FOUND, "Schema %d not found", id);
		goto done;
	}
	if (s->nrefs == 0) {
		error = regit_buf_put(out, s->pub.schema, s->pub.schema_len);
		if (error < 0)
			error = reg_fail_internal(error);
		goto done;
	}
	error = reg_stored_parse(&parsed, reg, reg->idx, s->pub.schema, s->pub.schema_len, s->refs,
		s->nrefs, &serr);
	if (error == 0)
		error = regit_schema_print(parsed->schema, REGIT_PRINT_RESOLVED, out);
	if (error == REGIT_EINVALID)
		error = reg_fail(REGIT_SR_INVALID_SCHEMA,
			"Schema %d cannot be resolved: %s", id, serr.message);
	else if (error < 0)
		error = reg_fail_internal(error);
done:
	reg_parsed_free(parsed);
	reg_read_leave(reg, taken);
	return error;
}

/* ---- compatibility test -------------------------------------------------------- */

static int messages_add(char ***msgs, size_t *n, regit_buf *text)
{
	char **grown = regit_reallocarray(*msgs, *n + 2, sizeof(**msgs));
	char *s;

	if (!grown)
		return REGIT_ENOMEM;
	*msgs = grown;
	s = regit_buf_detach(text);
	if (!s)
		return REGIT_ENOMEM;
	grown[(*n)++] = s;
	grown[*n] = NULL;
	return 0;
}

/*
 * verbose=true also reports what the subject's lint policy (warn or
 * enforce) finds, one message per finding, after the compatibility
 * findings; is_compatible stays the compatibility verdict alone (Confluent
 * clients read it as such), so a message's `policy` says whether the
 * finding would refuse a registration.
 */
static int lint_messages(char ***msgs, size_t *n, regit_buf *text,
	regit_lint_policy policy, const regit_schema *schema)
{
	regit_lint_result res = REGIT_LINT_RESULT_INIT;
	size_t i;
	int error;

	if (policy == REGIT_LINT_POLICY_OFF)
		return 0;
	error = regit_lint_schema(schema, NULL, &res);
	for (i = 0; i < res.nfindings && error == 0; i++) {
		const regit_lint_finding *f = &res.findings[i];
		int refuses = policy == REGIT_LINT_POLICY_ENFORCE && f->severity == REGIT_LINT_ERROR;

		error = regit_buf_printf(text, "{lintRule:'%s', severity:'%s', description:'%s', "
			"path:'%s', policy:'%s', refuses:%s}", f->rule,
			f->severity == REGIT_LINT_ERROR ? "error" : "warning", f->message, f->path,
			regit_lint_policy_name(policy), refuses ? "true" : "false");
		if (error == 0)
			error = messages_add(msgs, n, text);
	}
	if (error == 0 && res.nomitted) {
		error = regit_buf_printf(text, "{lintRule:'', description:'%zu more lint "
			"findings omitted'}", res.nomitted);
		if (error == 0)
			error = messages_add(msgs, n, text);
	}
	regit_lint_result_dispose(&res);
	return error;
}

static void messages_free(char **msgs)
{
	size_t i;

	for (i = 0; msgs && msgs[i]; i++)
		regit_free(msgs[i]);
	regit_free(msgs);
}

int regit_registry_test_compat(regit_registry *reg, const regit_register_request *req,
	int version, int verbose, int *compatible, char ***messages)
{
	const reg_subject *s;
	const reg_version *v = NULL;
	reg_compat_run c;
	reg_req_schema rs;
	reg_effective eff;
	regit_buf text = REGIT_BUF_INIT;
	char **msgs = NULL;
	size_t nmsgs = 0, i;
	int taken, error = 0;

	reg_err_init();
	*compatible = 1;
	if (messages)
		*messages = NULL;
	memset(&c, 0, sizeof(c));
	memset(&rs, 0, sizeof(rs));
	taken = reg_read_enter(reg);
	s = reg_find_subject(reg->idx, req->subject);
	reg_effective_config(&eff, reg, reg->idx, s);
	c.level = eff.level;
	c.strict = eff.strict;

	/* Which versions to compare with. */
	if (version != 0) {
		v = version == REGIT_VERSION_LATEST ? reg_subject_latest(s, 0) :
			reg_subject_version(s, version);
		if (version != REGIT_VERSION_LATEST && (!v || v->pub.deleted)) {
			error = reg_fail(REGIT_SR_VERSION_NOT_FOUND, "Version %d not found.", version);
			goto done;
		}
	}
	error = reg_compat_against(&c, s, req->subject, version == 0, v);
	if (error < 0) {
		error = reg_fail_internal(error);
		goto done;
	}

	error = reg_req_schema_load(&rs, reg, reg->idx, req, req->normalize || eff.normalize, 0);
	if (error < 0) {
		if (!verbose || regit_error_api_code() != REGIT_SR_INVALID_SCHEMA)
			goto done;
		/* verbose turns an unparsable schema into a verdict with a reason. */
		*compatible = 0;
		error = regit_buf_puts(&text, regit_error_message());
		if (error == 0 && messages)
			error = messages_add(&msgs, &nmsgs, &text);
		if (error < 0)
			error = reg_fail_internal(error);
		else
			reg_err_init();
		goto done;
	}
	error = reg_compat_check(&c, reg->idx, reg, rs.parsed->schema);
	if (error < 0)
		goto done;
	*compatible = c.result.compatible;
	if (verbose && messages) {
		for (i = 0; i < c.result.nfindings && error == 0; i++) {
			error = reg_finding_text(&text, &c, &c.result.findings[i]);
			if (error == 0)
				error = messages_add(&msgs, &nmsgs, &text);
		}
		if (error == 0 && !c.result.compatible) {
			error = reg_compat_summary(&text, &c);
			if (error == 0)
				error = messages_add(&msgs, &nmsgs, &text);
		}
		if (error == 0)
			error = lint_messages(&msgs, &nmsgs, &text, eff.lint, rs.parsed->schema);
		if (error < 0)
			error = reg_fail_internal(error);
	}
done:
	if (error == 0 && messages && verbose && !msgs) {
		/* verbose always answers with a (possibly empty) list. */
		msgs = regit_calloc(1, sizeof(*msgs));
		if (!msgs)
			error = reg_fail_internal(REGIT_ENOMEM);
	}
	if (error == 0 && messages) {
		*messages = msgs;
		msgs = NULL;
	}
	messages_free(msgs);
	regit_buf_dispose(&text);
	reg_compat_run_dispose(&c);
	reg_req_schema_dispose(&rs);
	reg_read_leave(reg, taken);
	return error;
}
