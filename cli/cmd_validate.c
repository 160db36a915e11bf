/*
 * cmd_validate.c - `regit validate`. Placeholder until its issue lands.
 */
#include <stdio.h>

#include "cli/cmd.h"

int regit_cmd_validate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "regit validate: not available yet\n");
	return REGIT_EXIT_USAGE;
}
