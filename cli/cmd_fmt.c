/*
 * cmd_fmt.c - `regit fmt`. Placeholder until its issue lands.
 */
#include <stdio.h>

#include "cli/cmd.h"

int regit_cmd_fmt(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "regit fmt: not available yet\n");
	return REGIT_EXIT_USAGE;
}
