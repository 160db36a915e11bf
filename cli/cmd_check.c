/*
 * cmd_check.c - `regit check`. Placeholder until its issue lands.
 */
#include <stdio.h>

#include "cli/cmd.h"

int regit_cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "regit check: not available yet\n");
	return REGIT_EXIT_USAGE;
}
