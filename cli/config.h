/*
 * config.h - regit.yaml, the project file at the repository root.
 *
 *   paths: [schemas]                 # what `regit lint` and `regit check
 *                                    # --against` look at by default
 *   lint:
 *     use: [default]                 # rule ids, `default` (the rules on by
 *                                    # default) or `all`; absent = default
 *     except: [DOC]                  # rule ids switched off
 *     severity: {DOC: error}         # error | warning | off
 *     ignore:                        # rule id (or `all`) -> path globs
 *       PARTITION_KEY: ["schemas/shared*"]
 *     naming:
 *       fields: snake_case           # snake_case camelCase PascalCase
 *       types: PascalCase            # UPPER_SNAKE_CASE any
 *       enum_symbols: UPPER_SNAKE_CASE
 *   check:
 *     level: FULL_TRANSITIVE
 *     rules: strict                  # strict | avro
 *     paths:                         # path glob -> level / rules
 *       "schemas/legacy*": {level: BACKWARD, rules: avro}
 *
 * Globs are fnmatch(3) patterns matched against repository-relative paths;
 * `*` also matches `/`. Every key is checked: an unknown key, a wrong type
 * or an unknown rule is an error that names file, line and column. Parsed
 * with libyaml; the file is bounded (REGIT_CONFIG_MAX_SIZE) and the parser
 * never follows nesting beyond the shape above, so aliases cannot blow up.
 */
#ifndef REGIT_CLI_CONFIG_H
#define REGIT_CLI_CONFIG_H

#include <stddef.h>

#include "compat/compat.h"
#include "compat/lint.h"

#define REGIT_CONFIG_FILE "regit.yaml"
#define REGIT_CONFIG_MAX_SIZE ((size_t)1 << 20)
/* Entries per list or mapping (paths, globs, overrides). */
#define REGIT_CONFIG_MAX_ENTRIES 1000

typedef struct regit_config regit_config;

/**
 * Parse regit.yaml text. `name` is how messages name the file.
 * @param out  receives the config (owned; regit_config_free), NULL on failure
 * @return 0, REGIT_EINVALID (message "NAME:LINE:COL: ..."), REGIT_ELIMIT,
 *         REGIT_ENOMEM
 */
int regit_config_parse(regit_config **out, const char *text, size_t len, const char *name);

/** Read and parse a file. @return as regit_config_parse, or REGIT_ENOTFOUND
 *  (the file does not exist; message set), REGIT_EIO */
int regit_config_load(regit_config **out, const char *path);

void regit_config_free(regit_config *config);

/** Schema paths (borrowed, live as long as config); count 0 when not given. */
size_t regit_config_path_count(const regit_config *config);
const char *regit_config_path_at(const regit_config *config, size_t i);

/** The lint options the file selects (defaults for what it does not say). */
void regit_config_lint_options(const regit_config *config, regit_lint_options *out);

/** Is finding `rule` ignored for repository-relative `path`? */
int regit_config_lint_ignored(const regit_config *config, const char *rule, const char *path);

/**
 * The compatibility level and rules for `path`: the first `check.paths`
 * glob that matches, else `check.level`/`check.rules`, else what *level and
 * *rules held on entry (the caller's defaults). `*explicit_out` (may be
 * NULL) is set to 1 when the file said something for this path.
 */
void regit_config_check_for(const regit_config *config, const char *path,
	regit_compat_level *level, regit_compat_rules *rules, int *explicit_out);

/** The commented default file `regit lint --init` writes (static). */
const char *regit_config_default_text(void);

#endif
