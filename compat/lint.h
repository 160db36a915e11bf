/*
 * lint.h - event-design rules over one schema (`regit lint`).
 *
 * Compatibility (compat.h) judges a change between versions; lint judges
 * one version on its own: does this event carry what its consumers need
 * to deduplicate, trace, order and evolve it (event id, correlation id,
 * schema version, event time, partition key, enum defaults, nullable
 * defaults), are names consistent, are there attributes Avro silently
 * ignores. Every rule is one row of the table in lint.c: stable id,
 * category, default severity, a one-paragraph explanation and the check
 * function. Everything else (--list-rules, docs, the config file's rule
 * names) asks that table.
 *
 * Findings carry a JSON pointer into the schema, so callers turn them
 * into file:line:col with util/jsonpos.h.
 */
#ifndef REGIT_LINT_H
#define REGIT_LINT_H

#include <stddef.h>

#include "compat/schema.h"

typedef enum regit_lint_severity {
	REGIT_LINT_OFF = 0,
	REGIT_LINT_WARNING,
	REGIT_LINT_ERROR
} regit_lint_severity;

/* Name conventions for FIELD_NAMING, TYPE_NAMING and ENUM_SYMBOL_NAMING. */
typedef enum regit_naming {
	REGIT_NAMING_ANY = 0,      /* no convention: the rule never fires */
	REGIT_NAMING_SNAKE,        /* user_id */
	REGIT_NAMING_CAMEL,        /* userId */
	REGIT_NAMING_PASCAL,       /* UserCreated */
	REGIT_NAMING_UPPER_SNAKE   /* PAYMENT_RECEIVED */
} regit_naming;

/* One rule as documented; the table itself is private to lint.c. */
typedef struct regit_lint_rule {
	const char *id;            /* "EVENT_ID": stable, used in configs and output */
	const char *category;      /* "envelope", "ordering", "evolution", "naming", ... */
	regit_lint_severity severity;  /* default; REGIT_LINT_OFF = opt-in */
	const char *summary;       /* one line */
	const char *explanation;   /* one paragraph: what and why */
} regit_lint_rule;

/** Number of rules; rule i is regit_lint_rule_at(i) (table order). */
size_t regit_lint_rule_count(void);
/** @return borrowed, static; NULL when i is out of range */
const regit_lint_rule *regit_lint_rule_at(size_t i);
/** Index of the rule with this id (exact, upper case). @return index or -1 */
int regit_lint_rule_find(const char *id);

/** "snake_case" <-> enum. Parsing accepts the names regit_naming_name gives
 *  plus "any", case-sensitively. @return 0 or REGIT_EINVALID (message set) */
int regit_naming_parse(const char *name, regit_naming *out);
const char *regit_naming_name(regit_naming naming);
/** Does `name` follow the convention? (REGIT_NAMING_ANY: always) */
int regit_naming_matches(regit_naming naming, const char *name);

#define REGIT_LINT_MAX_RULES 32

/*
 * What to check. Transparent; start from regit_lint_options_init(), which
 * sets every rule to its default severity and the default conventions
 * (snake_case fields, PascalCase types, UPPER_SNAKE_CASE symbols).
 */
typedef struct regit_lint_options {
	regit_lint_severity severity[REGIT_LINT_MAX_RULES];  /* by rule index */
	regit_naming field_naming;
	regit_naming type_naming;
	regit_naming symbol_naming;
	size_t max_findings;       /* 0 = 1000; further findings are counted only */
} regit_lint_options;

void regit_lint_options_init(regit_lint_options *opts);

typedef struct regit_lint_finding {
	const char *rule;              /* static rule id */
	regit_lint_severity severity;  /* WARNING or ERROR */
	char *path;                    /* owned: JSON pointer ("" = root) */
	char *message;                 /* owned: one plain sentence */
} regit_lint_finding;

typedef struct regit_lint_result {
	regit_lint_finding *findings;  /* owned */
	size_t nfindings;
	size_t nomitted;               /* past max_findings */
	size_t nerrors;                /* findings of severity ERROR, omitted ones included */
} regit_lint_result;

#define REGIT_LINT_RESULT_INIT { NULL, 0, 0, 0 }

/**
 * Apply the enabled rules to `schema`. Named types it imports (schema
 * references) are left out: they are linted with the schema defining them,
 * and finding paths would point into that other text.
 * @param opts  NULL for the defaults
 * @param out   receives the findings (dispose with regit_lint_result_dispose,
 *              also on error)
 * @return 0 (whatever was found), REGIT_ENOMEM, REGIT_ELIMIT (nesting)
 */
int regit_lint_schema(const regit_schema *schema, const regit_lint_options *opts,
	regit_lint_result *out);

void regit_lint_result_dispose(regit_lint_result *result);

#endif
