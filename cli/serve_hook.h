/*
 * serve_hook.h - the store's pre-receive hook, installed by `regit serve`.
 *
 * A push to the registry's branch that the registry would refuse (see
 * registry/README.md, "The ledger") is refused by git before it lands,
 * with the finding in the pusher's terminal: the hook runs `regit verify
 * --pre-receive` with the binary that serves (its absolute path, from
 * /proc/self/exe) and the server's default level and rules. The hook is
 * rewritten at every start, so it follows the binary when that moves. The
 * server's own check on reload stays, for pushes that bypass hooks.
 */
#ifndef REGIT_CLI_SERVE_HOOK_H
#define REGIT_CLI_SERVE_HOOK_H

#include "compat/compat.h"

/**
 * Install or refresh <store>/hooks/pre-receive. A hook regit did not write
 * (without its marker line) is left alone, with a warning on stderr.
 *
 * @param store   the store's git directory
 * @return 0 installed or already current, 1 a foreign hook was left alone,
 *         -1 it could not be written (message on stderr; the server still
 *         checks every push when it reloads)
 */
int regit_serve_hook_install(const char *store, regit_compat_level level, int strict);

#endif
