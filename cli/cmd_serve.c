/*
 * cmd_serve.c - `regit serve`. Placeholder until its issue lands.
 */
#include <stdio.h>

#include "cli/cmd.h"

int regit_cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "regit serve: not available yet\n");
	return REGIT_EXIT_USAGE;
}
