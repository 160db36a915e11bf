/*
 * cmd_gen.c - `regit gen`. Placeholder until its issue lands.
 */
#include <stdio.h>

#include "cli/cmd.h"

int regit_cmd_gen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "regit gen: not available yet\n");
	return REGIT_EXIT_USAGE;
}
