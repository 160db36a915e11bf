/*
 * config.c - regit.yaml: libyaml's document loader, then a walk over the
 * fixed shape described in config.h.
 *
 * The walk visits at most four levels (top, section, key, list item), so
 * YAML aliases, which make the document a graph, can neither recurse nor
 * multiply work beyond the bounded input. Every rejected node is reported
 * with its position: "regit.yaml:7:5: unknown key 'lnt' (...)". Only the
 * first YAML document is the configuration; a second one is an error, as
 * it would otherwise be silently ignored.
 */
#include "cli/config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct config_ignore {
	int rule;                  /* rule index, -1 = every rule */
	char *glob;
} config_ignore;

typedef struct config_override {
	char *glob;
	int has_level, has_rules;
	regit_compat_level level;
	regit_compat_rules rules;
} config_override;

struct regit_config {
	char **paths;
	size_t npaths;
	regit_lint_options lint;
	config_ignore *ignores;
	size_t nignores;
	int has_level, has_rules;
	regit_compat_level level;
	regit_compat_rules rules;
	config_override *overrides;
	size_t noverrides;
};

typedef struct config_parser {
	yaml_document_t *doc;
	const char *name;
	regit_config *cfg;
} config_parser;

/* ---- errors and nodes --------------------------------------------------- */

static int config_fail(config_parser *p, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int config_fail(config_parser *p, const yaml_node_t *at, const char *fmt, ...)
{
	char msg[400], *c;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Scalars quoted in messages may span lines: keep the message one line. */
	for (c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (at)
		regit_error_set(REGIT_ERROR_CLI, "%s:%zu:%zu: %s", p->name,
			at->start_mark.line + 1, at->start_mark.column + 1, msg);
	else
		regit_error_set(REGIT_ERROR_CLI, "%s: %s", p->name, msg);
	return REGIT_EINVALID;
}

static yaml_node_t *config_node(config_parser *p, int index)
{
	return yaml_document_get_node(p->doc, index);
}

/* A scalar's text (borrowed from the document), or NULL after an error. */
static const char *config_scalar(config_parser *p, const yaml_node_t *n, const char *what)
{
	const char *s;

	if (!n || n->type != YAML_SCALAR_NODE) {
		config_fail(p, n, "%s must be a single value", what);
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		config_fail(p, n, "%s contains a NUL character", what);
		return NULL;
	}
	return s;
}

static size_t config_seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static size_t config_map_len(const yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

/*
 * A list of scalars: a sequence, or one scalar for a one-item list.
 * Calls `each` for every item text with its node.
 */
typedef int (*config_item_fn)(config_parser *p, const yaml_node_t *n, const char *s,
	void *payload);

static int config_list(config_parser *p, const yaml_node_t *n, const char *what,
	config_item_fn each, void *payload)
{
	size_t i, len;
	const char *s;
	int error = 0;

	if (n->type == YAML_SCALAR_NODE) {
		s = config_scalar(p, n, what);
		return s ? each(p, n, s, payload) : REGIT_EINVALID;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return config_fail(p, n, "%s must be a list", what);
	len = config_seq_len(n);
	if (len > REGIT_CONFIG_MAX_ENTRIES) {
		config_fail(p, n, "%s has more than %d entries", what, REGIT_CONFIG_MAX_ENTRIES);
		return REGIT_ELIMIT;
	}
	for (i = 0; i < len && error == 0; i++) {
		const yaml_node_t *item = config_node(p, n->data.sequence.items.start[i]);

		s = config_scalar(p, item, what);
		error = s ? each(p, item, s, payload) : REGIT_EINVALID;
	}
	return error;
}

/*
 * Check a mapping's keys against `keys` (NULL-terminated) and reject
 * duplicates; with keys == NULL any key is allowed (the caller checks).
 */
static int config_mapping(config_parser *p, const yaml_node_t *n, const char *what,
	const char *const *keys)
{
	size_t i, j, len;

	if (n->type != YAML_MAPPING_NODE)
		return config_fail(p, n, "%s must be a mapping (key: value)", what);
	len = config_map_len(n);
	if (len > REGIT_CONFIG_MAX_ENTRIES) {
		config_fail(p, n, "%s has more than %d entries", what, REGIT_CONFIG_MAX_ENTRIES);
		return REGIT_ELIMIT;
	}
	for (i = 0; i < len; i++) {
		const yaml_node_t *k = config_node(p, n->data.mapping.pairs.start[i].key);
		const char *s = config_scalar(p, k, "a key");

		if (!s)
			return REGIT_EINVALID;
		if (keys) {
			for (j = 0; keys[j]; j++)
				if (strcmp(keys[j], s) == 0)
					break;
			if (!keys[j]) {
				regit_buf expected = REGIT_BUF_INIT;
				int error = 0;

				for (j = 0; keys[j] && error == 0; j++)
					error = regit_buf_printf(&expected, "%s%s", j ? ", " : "", keys[j]);
				if (error == 0)
					error = config_fail(p, k, "unknown key '%s' in %s (expected %s)",
						s, what, expected.ptr);
				regit_buf_dispose(&expected);
				return error;
			}
		}
		/* Quadratic, but mappings are bounded and tiny in practice. */
		for (j = 0; j < i; j++) {
			const yaml_node_t *o = config_node(p, n->data.mapping.pairs.start[j].key);

			if (o && o->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)o->data.scalar.value, s) == 0)
				return config_fail(p, k, "duplicate key '%s' in %s", s, what);
		}
	}
	return 0;
}

#define CONFIG_PAIR_KEY(p, n, i) \
	((const char *)config_node(p, (n)->data.mapping.pairs.start[i].key)->data.scalar.value)
#define CONFIG_PAIR_KEYNODE(p, n, i) config_node(p, (n)->data.mapping.pairs.start[i].key)
#define CONFIG_PAIR_VALUE(p, n, i) config_node(p, (n)->data.mapping.pairs.start[i].value)

/* The rule index of id `s` into *out; -1 for "all" when allow_all. */
static int config_rule(int *out, config_parser *p, const yaml_node_t *n, const char *s,
	int allow_all)
{
	*out = -1;
	if (allow_all && strcmp(s, "all") == 0)
		return 0;
	*out = regit_lint_rule_find(s);
	if (*out < 0)
		return config_fail(p, n, "unknown lint rule '%s' (regit lint --list-rules)", s);
	return 0;
}

/* ---- sections ----------------------------------------------------------- */

static int config_add_path(config_parser *p, const yaml_node_t *n, const char *s, void *payload)
{
	regit_config *c = p->cfg;
	char **grown;

	(void)payload;
	if (!s[0])
		return config_fail(p, n, "an empty path");
	grown = regit_reallocarray(c->paths, c->npaths + 1, sizeof(*grown));
	if (!grown)
		return REGIT_ENOMEM;
	c->paths = grown;
	c->paths[c->npaths] = regit_strdup(s);
	if (!c->paths[c->npaths])
		return REGIT_ENOMEM;
	c->npaths++;
	return 0;
}

typedef struct config_use {
	regit_lint_severity *sev;
	int on;   /* 1: use, 0: except */
} config_use;

static int config_use_item(config_parser *p, const yaml_node_t *n, const char *s, void *payload)
{
	config_use *u = payload;
	size_t i, count = regit_lint_rule_count();
	int r;

	if (u->on && (strcmp(s, "default") == 0 || strcmp(s, "all") == 0)) {
		for (i = 0; i < count; i++) {
			regit_lint_severity d = regit_lint_rule_at(i)->severity;

			if (d != REGIT_LINT_OFF || s[0] == 'a')
				u->sev[i] = d != REGIT_LINT_OFF ? d : REGIT_LINT_WARNING;
		}
		return 0;
	}
	if (config_rule(&r, p, n, s, 0) < 0)
		return REGIT_EINVALID;
	if (!u->on) {
		u->sev[r] = REGIT_LINT_OFF;
	} else {
		regit_lint_severity d = regit_lint_rule_at((size_t)r)->severity;

		u->sev[r] = d != REGIT_LINT_OFF ? d : REGIT_LINT_WARNING;
	}
	return 0;
}

typedef struct config_ignore_ctx {
	int rule;
} config_ignore_ctx;

static int config_ignore_item(config_parser *p, const yaml_node_t *n, const char *s,
	void *payload)
{
	regit_config *c = p->cfg;
	config_ignore_ctx *ic = payload;
	config_ignore *grown;

	if (!s[0])
		return config_fail(p, n, "an empty glob");
	if (c->nignores >= REGIT_CONFIG_MAX_ENTRIES) {
		config_fail(p, n, "more than %d ignore globs", REGIT_CONFIG_MAX_ENTRIES);
		return REGIT_ELIMIT;
	}
	grown = regit_reallocarray(c->ignores, c->nignores + 1, sizeof(*grown));
	if (!grown)
		return REGIT_ENOMEM;
	c->ignores = grown;
	c->ignores[c->nignores].rule = ic->rule;
	c->ignores[c->nignores].glob = regit_strdup(s);
	if (!c->ignores[c->nignores].glob)
		return REGIT_ENOMEM;
	c->nignores++;
	return 0;
}

static int config_lint(config_parser *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "use", "except", "severity", "ignore", "naming", NULL };
	static const char *const naming_keys[] = { "fields", "types", "enum_symbols", NULL };
	regit_config *c = p->cfg;
	regit_lint_severity sev[REGIT_LINT_MAX_RULES];
	size_t i, j;
	int error;

	error = config_mapping(p, n, "lint", keys);
	if (error < 0)
		return error;
	memcpy(sev, c->lint.severity, sizeof(sev));
	/* use first, then except, then severity: the order does not matter in the file. */
	for (i = 0; i < config_map_len(n); i++) {
		config_use u = { sev, 1 };

		if (strcmp(CONFIG_PAIR_KEY(p, n, i), "use") != 0)
			continue;
		memset(sev, 0, sizeof(sev));
		error = config_list(p, CONFIG_PAIR_VALUE(p, n, i), "lint.use", config_use_item, &u);
		if (error < 0)
			return error;
	}
	for (i = 0; i < config_map_len(n); i++) {
		config_use u = { sev, 0 };

		if (strcmp(CONFIG_PAIR_KEY(p, n, i), "except") != 0)
			continue;
		error = config_list(p, CONFIG_PAIR_VALUE(p, n, i), "lint.except", config_use_item, &u);
		if (error < 0)
			return error;
	}
	for (i = 0; i < config_map_len(n); i++) {
		const char *key = CONFIG_PAIR_KEY(p, n, i);
		const yaml_node_t *v = CONFIG_PAIR_VALUE(p, n, i);

		if (strcmp(key, "severity") == 0) {
			error = config_mapping(p, v, "lint.severity", NULL);
			for (j = 0; error == 0 && j < config_map_len(v); j++) {
				const yaml_node_t *kn = CONFIG_PAIR_KEYNODE(p, v, j);
				const yaml_node_t *vn = CONFIG_PAIR_VALUE(p, v, j);
				const char *s;
				int r;

				if (config_rule(&r, p, kn, CONFIG_PAIR_KEY(p, v, j), 0) < 0)
					return REGIT_EINVALID;
				s = config_scalar(p, vn, "a severity");
				if (!s)
					return REGIT_EINVALID;
				if (strcmp(s, "error") == 0)
					sev[r] = REGIT_LINT_ERROR;
				else if (strcmp(s, "warning") == 0)
					sev[r] = REGIT_LINT_WARNING;
				else if (strcmp(s, "off") == 0)
					sev[r] = REGIT_LINT_OFF;
				else
					return config_fail(p, vn,
						"severity must be error, warning or off, not '%s'", s);
			}
		} else if (strcmp(key, "ignore") == 0) {
			error = config_mapping(p, v, "lint.ignore", NULL);
			for (j = 0; error == 0 && j < config_map_len(v); j++) {
				config_ignore_ctx ic;

				if (config_rule(&ic.rule, p, CONFIG_PAIR_KEYNODE(p, v, j),
				    CONFIG_PAIR_KEY(p, v, j), 1) < 0)
					return REGIT_EINVALID;
				error = config_list(p, CONFIG_PAIR_VALUE(p, v, j), "lint.ignore globs",
					config_ignore_item, &ic);
			}
		} else if (strcmp(key, "naming") == 0) {
			error = config_mapping(p, v, "lint.naming", naming_keys);
			for (j = 0; error == 0 && j < config_map_len(v); j++) {
				const char *nk = CONFIG_PAIR_KEY(p, v, j);
				const yaml_node_t *vn = CONFIG_PAIR_VALUE(p, v, j);
				const char *s = config_scalar(p, vn, "a naming convention");
				regit_naming nm;

				if (!s)
					return REGIT_EINVALID;
				if (regit_naming_parse(s, &nm) < 0)
					return config_fail(p, vn, "unknown naming convention '%s' "
						"(snake_case, camelCase, PascalCase, UPPER_SNAKE_CASE or any)", s);
				if (strcmp(nk, "fields") == 0)
					c->lint.field_naming = nm;
				else if (strcmp(nk, "types") == 0)
					c->lint.type_naming = nm;
				else
					c->lint.symbol_naming = nm;
			}
		}
		if (error < 0)
			return error;
	}
	memcpy(c->lint.severity, sev, sizeof(sev));
	return 0;
}

static int config_level_rules(config_parser *p, const yaml_node_t *key, const yaml_node_t *v,
	int *has_level, regit_compat_level *level, int *has_rules, regit_compat_rules *rules)
{
	const char *k = (const char *)key->data.scalar.value;
	const char *s = config_scalar(p, v, k);

	if (!s)
		return REGIT_EINVALID;
	if (strcmp(k, "level") == 0) {
		if (regit_compat_level_parse(s, level) < 0)
			return config_fail(p, v, "unknown compatibility level '%s' (NONE, BACKWARD, "
				"BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE)", s);
		*has_level = 1;
		return 0;
	}
	if (strcmp(s, "strict") == 0)
		*rules = REGIT_RULES_STRICT;
	else if (strcmp(s, "avro") == 0)
		*rules = REGIT_RULES_AVRO;
	else
		return config_fail(p, v, "rules must be strict or avro, not '%s'", s);
	*has_rules = 1;
	return 0;
}

static int config_check(config_parser *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "level", "rules", "paths", NULL };
	static const char *const override_keys[] = { "level", "rules", NULL };
	regit_config *c = p->cfg;
	size_t i, j;
	int error;

	error = config_mapping(p, n, "check", keys);
	for (i = 0; error == 0 && i < config_map_len(n); i++) {
		const yaml_node_t *kn = CONFIG_PAIR_KEYNODE(p, n, i);
		const yaml_node_t *v = CONFIG_PAIR_VALUE(p, n, i);

		if (strcmp(CONFIG_PAIR_KEY(p, n, i), "paths") != 0) {
			error = config_level_rules(p, kn, v, &c->has_level, &c->level,
				&c->has_rules, &c->rules);
			continue;
		}
		error = config_mapping(p, v, "check.paths", NULL);
		if (error < 0)
			break;
		c->overrides = regit_calloc(config_map_len(v) + 1, sizeof(*c->overrides));
		if (!c->overrides)
			return REGIT_ENOMEM;
		for (j = 0; error == 0 && j < config_map_len(v); j++) {
			config_override *o = &c->overrides[c->noverrides];
			const yaml_node_t *ov = CONFIG_PAIR_VALUE(p, v, j);
			size_t k;

			if (!CONFIG_PAIR_KEY(p, v, j)[0])
				return config_fail(p, CONFIG_PAIR_KEYNODE(p, v, j), "an empty glob");
			o->glob = regit_strdup(CONFIG_PAIR_KEY(p, v, j));
			if (!o->glob)
				return REGIT_ENOMEM;
			c->noverrides++;
			error = config_mapping(p, ov, "a check.paths entry", override_keys);
			for (k = 0; error == 0 && k < config_map_len(ov); k++)
				error = config_level_rules(p, CONFIG_PAIR_KEYNODE(p, ov, k),
					CONFIG_PAIR_VALUE(p, ov, k), &o->has_level, &o->level,
					&o->has_rules, &o->rules);
		}
	}
	return error;
}

static int config_top(config_parser *p, const yaml_node_t *root)
{
	static const char *const keys[] = { "paths", "lint", "check", NULL };
	size_t i;
	int error;

	error = config_mapping(p, root, "the file", keys);
	for (i = 0; error == 0 && i < config_map_len(root); i++) {
		const char *key = CONFIG_PAIR_KEY(p, root, i);
		const yaml_node_t *v = CONFIG_PAIR_VALUE(p, root, i);

		if (strcmp(key, "paths") == 0)
			error = config_list(p, v, "paths", config_add_path, NULL);
		else if (strcmp(key, "lint") == 0)
			error = config_lint(p, v);
		else
			error = config_check(p, v);
	}
	return error;
}

/* ---- entry points ------------------------------------------------------- */

void regit_config_free(regit_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->npaths; i++)
		regit_free(c->paths[i]);
	regit_free(c->paths);
	for (i = 0; i < c->nignores; i++)
		regit_free(c->ignores[i].glob);
	regit_free(c->ignores);
	for (i = 0; i < c->noverrides; i++)
		regit_free(c->overrides[i].glob);
	regit_free(c->overrides);
	regit_free(c);
}

int regit_config_parse(regit_config **out, const char *text, size_t len, const char *name)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	config_parser p;
	yaml_node_t *root;
	int error = 0, have_parser = 0, have_doc = 0;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.name = name ? name : REGIT_CONFIG_FILE;
	if (len > REGIT_CONFIG_MAX_SIZE) {
		regit_error_set(REGIT_ERROR_CLI, "%s: larger than %zu bytes", p.name,
			REGIT_CONFIG_MAX_SIZE);
		return REGIT_ELIMIT;
	}
	p.cfg = regit_calloc(1, sizeof(*p.cfg));
	if (!p.cfg)
		return REGIT_ENOMEM;
	regit_lint_options_init(&p.cfg->lint);
	if (!yaml_parser_initialize(&parser)) {
		error = REGIT_ENOMEM;
		regit_error_set_oom();
		goto done;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR) {
			regit_error_set_oom();
			error = REGIT_ENOMEM;
		} else {
			regit_error_set(REGIT_ERROR_CLI, "%s:%zu:%zu: %s%s%s", p.name,
				parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "invalid YAML",
				parser.context ? " " : "", parser.context ? parser.context : "");
			error = REGIT_EINVALID;
		}
		goto done;
	}
	have_doc = 1;
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
		error = config_top(&p, root);
		if (error < 0)
			goto done;
	}
	/* A second document would be ignored: refuse it. */
	if (!yaml_parser_load(&parser, &extra)) {
		regit_error_set(REGIT_ERROR_CLI, "%s:%zu:%zu: %s", p.name,
			parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			parser.problem ? parser.problem : "invalid YAML");
		error = parser.error == YAML_MEMORY_ERROR ? REGIT_ENOMEM : REGIT_EINVALID;
		goto done;
	}
	if (yaml_document_get_root_node(&extra)) {
		yaml_node_t *r2 = yaml_document_get_root_node(&extra);

		regit_error_set(REGIT_ERROR_CLI, "%s:%zu:%zu: a second YAML document; "
			"regit.yaml holds one", p.name, r2->start_mark.line + 1,
			r2->start_mark.column + 1);
		error = REGIT_EINVALID;
	}
	yaml_document_delete(&extra);
done:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (error < 0)
		regit_config_free(p.cfg);
	else
		*out = p.cfg;
	return error;
}

int regit_config_load(regit_config **out, const char *path)
{
	regit_buf b = REGIT_BUF_INIT;
	FILE *f;
	int error;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		regit_error_set(REGIT_ERROR_CLI, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? REGIT_ENOTFOUND : REGIT_EIO;
	}
	fclose(f);
	regit_buf_init(&b, REGIT_CONFIG_MAX_SIZE);
	error = regit_buf_read_file(&b, path);
	if (error == 0)
		error = regit_config_parse(out, b.ptr ? b.ptr : "", b.size, path);
	regit_buf_dispose(&b);
	return error;
}

size_t regit_config_path_count(const regit_config *c)
{
	return c ? c->npaths : 0;
}

const char *regit_config_path_at(const regit_config *c, size_t i)
{
	return c && i < c->npaths ? c->paths[i] : NULL;
}

void regit_config_lint_options(const regit_config *c, regit_lint_options *out)
{
	if (c)
		*out = c->lint;
	else
		regit_lint_options_init(out);
}

int regit_config_lint_ignored(const regit_config *c, const char *rule, const char *path)
{
	size_t i;
	int r = regit_lint_rule_find(rule);

	for (i = 0; c && i < c->nignores; i++) {
		if (c->ignores[i].rule != -1 && c->ignores[i].rule != r)
			continue;
		if (fnmatch(c->ignores[i].glob, path, 0) == 0)
			return 1;
	}
	return 0;
}

void regit_config_check_for(const regit_config *c, const char *path,
	regit_compat_level *level, regit_compat_rules *rules, int *explicit_out)
{
	size_t i;
	int expl = 0;

	if (c && c->has_level) {
		*level = c->level;
		expl = 1;
	}
	if (c && c->has_rules) {
		*rules = c->rules;
		expl = 1;
	}
	for (i = 0; c && i < c->noverrides; i++) {
		if (fnmatch(c->overrides[i].glob, path, 0) != 0)
			continue;
		if (c->overrides[i].has_level)
			*level = c->overrides[i].level;
		if (c->overrides[i].has_rules)
			*rules = c->overrides[i].rules;
		expl = 1;
		break;
	}
	if (explicit_out)
		*explicit_out = expl;
}

const char *regit_config_default_text(void)
{
	return
		"# regit.yaml - project settings for `regit lint` and `regit check --against`.\n"
		"# Every key is optional; unknown keys are an error. Rules: regit lint --list-rules\n"
		"\n"
		"# Schema files and directories (repository-relative) checked by default.\n"
		"paths:\n"
		"  - schemas\n"
		"\n"
		"lint:\n"
		"  # Rule ids, `default` (the rules on by default) or `all`.\n"
		"  use: [default]\n"
		"  # Rules switched off for the whole project, e.g. [DOC].\n"
		"  except: []\n"
		"  # Per-rule severity: error (exit 1), warning (reported only) or off.\n"
		"  severity: {}\n"
		"  #   DOC: error\n"
		"  # Rule id (or `all`) -> path globs where its findings are ignored\n"
		"  # (fnmatch patterns; `*` also matches `/`).\n"
		"  ignore: {}\n"
		"  #   PARTITION_KEY: [\"schemas/shared/*\"]\n"
		"  # snake_case, camelCase, PascalCase, UPPER_SNAKE_CASE or any.\n"
		"  naming:\n"
		"    fields: snake_case\n"
		"    types: PascalCase\n"
		"    enum_symbols: UPPER_SNAKE_CASE\n"
		"\n"
		"check:\n"
		"  # NONE, BACKWARD(_TRANSITIVE), FORWARD(_TRANSITIVE), FULL(_TRANSITIVE).\n"
		"  level: FULL_TRANSITIVE\n"
		"  # strict (no removed, renamed or required-added fields) or avro.\n"
		"  rules: strict\n"
		"  # Path glob -> level and rules, first match wins.\n"
		"  paths: {}\n"
		"  #   \"schemas/legacy/*\": {level: BACKWARD, rules: avro}\n";
}
