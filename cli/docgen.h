/*
 * docgen.h - man pages and shell completion generated from the commands'
 * option tables (cli/opt.h), so that they list exactly what the parser
 * accepts.
 */
#ifndef REGIT_CLI_DOCGEN_H
#define REGIT_CLI_DOCGEN_H

#include <stdio.h>

#include "cli/cmd.h"

/**
 * Write regit.1 and regit-<cmd>.1 (for each command with a table) into dir.
 * @return 0, or -1 with a message printed
 */
int regit_docgen_man(const char *dir, const regit_cmd *cmds, size_t n, const char *version);

/** Print the bash completion script (function _regit) to f. */
void regit_docgen_bash(FILE *f, const regit_cmd *cmds, size_t n);

/** Print the zsh completion script (#compdef regit) to f. */
void regit_docgen_zsh(FILE *f, const regit_cmd *cmds, size_t n);

#endif
