/*
 * cmd.c - helpers every subcommand shares (cli/cmd.h).
 *
 * Not in main.c: main.c dispatches to every cmd_<name>.c, so a helper
 * there would make each subcommand and main.c depend on each other
 * (`make cycles`).
 */
#include <string.h>

#include "cli/cmd.h"

int regit_cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}
