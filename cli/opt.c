/*
 * opt.c - the command-line grammar every converted command shares, and
 * the help text generated from its table (cli/opt.h).
 */
#include "cli/opt.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "cli/cmd.h"

const regit_opt_spec regit_opt_help_spec = {
	REGIT_OPT_FLAG, -1, "help", 'h', NULL, "this help"
};

void regit_opt_parser_init(regit_opt_parser *p, const regit_opt_cmd *cmd,
	int argc, char **argv)
{
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	p->idx = 1;
	p->operands_only = 0;
}

int regit_opt_usage_error(const regit_opt_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "regit %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'regit %s --help'\n", cmd->name);
	return REGIT_EXIT_USAGE;
}

/* The spec with long name name[0..n) or, when n == 0, short name c. */
static const regit_opt_spec *opt_find(const regit_opt_cmd *cmd,
	const char *name, size_t n, char c)
{
	const regit_opt_spec *const *frag;
	const regit_opt_spec *s;

	for (frag = cmd->specs; frag && *frag; frag++) {
		for (s = *frag; s->kind != REGIT_OPT_END; s++) {
			if (n == 0 && c && s->alias == c)
				return s;
			if (n > 0 && strlen(s->name) == n && strncmp(s->name, name, n) == 0)
				return s;
		}
	}
	return NULL;
}

int regit_opt_next(regit_opt *out, regit_opt_parser *p)
{
	const regit_opt_spec *spec;
	const char *arg, *eq = NULL, *value = NULL;
	int is_long;

	out->spec = NULL;
	out->value = NULL;
	for (;;) {
		if (p->idx >= p->argc)
			return 0;
		arg = p->argv[p->idx++];
		if (!p->operands_only && strcmp(arg, "--") == 0) {
			p->operands_only = 1;
			continue;
		}
		break;
	}
	if (p->operands_only || arg[0] != '-' || arg[1] == '\0') {
		out->value = arg;
		return 1;
	}
	is_long = arg[1] == '-';
	if (is_long) {
		eq = strchr(arg + 2, '=');
		spec = opt_find(p->cmd, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2), 0);
		if (eq)
			value = eq + 1;
	} else {
		spec = opt_find(p->cmd, NULL, 0, arg[1]);
		if (arg[2] != '\0')
			value = arg + 2;
	}
	if (!spec) {
		if (is_long && eq)
			regit_opt_usage_error(p->cmd, "unknown option '%.*s'", (int)(eq - arg), arg);
		else if (!is_long)
			regit_opt_usage_error(p->cmd, "unknown option '-%c'", arg[1]);
		else
			regit_opt_usage_error(p->cmd, "unknown option '%s'", arg);
		return -1;
	}
	if (spec->kind == REGIT_OPT_FLAG) {
		if (value) {
			if (is_long)
				regit_opt_usage_error(p->cmd, "option '--%s' takes no value", spec->name);
			else
				regit_opt_usage_error(p->cmd, "option '-%c' takes no value", spec->alias);
			return -1;
		}
	} else if (!value) {
		if (p->idx >= p->argc) {
			if (is_long)
				regit_opt_usage_error(p->cmd, "option '--%s' needs a value (%s)",
					spec->name, spec->value_name);
			else
				regit_opt_usage_error(p->cmd, "option '-%c' needs a value (%s)",
					spec->alias, spec->value_name);
			return -1;
		}
		value = p->argv[p->idx++];
	}
	out->spec = spec;
	out->value = value;
	return 1;
}

int regit_opt_env_name(char *out, size_t size, const char *prefix,
	const regit_opt_spec *spec)
{
	size_t n = strlen(prefix), k;

	if (n + strlen(spec->name) >= size)
		return -1;
	memcpy(out, prefix, n);
	for (k = 0; spec->name[k]; k++)
		out[n + k] = spec->name[k] == '-' ? '_' :
			(char)toupper((unsigned char)spec->name[k]);
	out[n + k] = '\0';
	return 0;
}

int regit_opt_env_flag(const char *value)
{
	static const char *const on[] = { "1", "true", "yes", "on" };
	static const char *const off[] = { "0", "false", "no", "off", "" };
	size_t i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (strcasecmp(value, on[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (strcasecmp(value, off[i]) == 0)
			return 0;
	return -1;
}

int regit_opt_help_requested(const regit_opt_cmd *cmd, int argc, char **argv)
{
	if (!regit_cli_wants_help(argc, argv))
		return 0;
	regit_opt_print_help(stdout, cmd);
	return 1;
}

/* Print text with every line indented by `indent` spaces (blank lines bare). */
static void opt_print_indented(FILE *f, const char *text, int indent)
{
	const char *line = text, *nl;

	while (*line) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		if (nl > line)
			fprintf(f, "%*s%.*s", indent, "", (int)(nl - line), line);
		fputc('\n', f);
		line = *nl ? nl + 1 : nl;
	}
}

/* The option column, as "  -o, --output DIR". */
static void opt_print_spec(FILE *f, const regit_opt_spec *s)
{
	char label[REGIT_OPT_NAME_MAX * 2];
	int n;

	if (s->alias)
		n = snprintf(label, sizeof(label), "-%c, --%s", s->alias, s->name);
	else
		n = snprintf(label, sizeof(label), "--%s", s->name);
	if (s->kind != REGIT_OPT_FLAG && n > 0 && (size_t)n < sizeof(label))
		snprintf(label + n, sizeof(label) - (size_t)n, " %s", s->value_name);
	if (strlen(label) <= 20) {
		fprintf(f, "  %-20s ", label);
	} else {
		fprintf(f, "  %s\n%23s", label, "");
	}
	/* help lines after the first are indented to the help column */
	{
		const char *line = s->help, *nl;
		int first = 1;

		while (*line) {
			nl = strchr(line, '\n');
			if (!nl)
				nl = line + strlen(line);
			fprintf(f, "%*s%.*s%s\n", first ? 0 : 23, "", (int)(nl - line), line,
				s->kind == REGIT_OPT_LIST && !*nl ? " (repeatable)" : "");
			first = 0;
			line = *nl ? nl + 1 : nl;
		}
	}
}

void regit_opt_print_help(FILE *f, const regit_opt_cmd *cmd)
{
	const regit_opt_spec *const *frag;
	const regit_opt_spec *s;
	const char *line = cmd->synopsis, *nl;
	int first = 1;

	do {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		fprintf(f, "%s regit %s %.*s\n", first ? "usage:" : "      ", cmd->name,
			(int)(nl - line), line);
		first = 0;
		line = *nl ? nl + 1 : nl;
	} while (*line);
	fprintf(f, "\n");
	if (cmd->description) {
		opt_print_indented(f, cmd->description, 0);
		fprintf(f, "\n");
	}
	fprintf(f, "options:\n");
	for (frag = cmd->specs; frag && *frag; frag++)
		for (s = *frag; s->kind != REGIT_OPT_END; s++)
			opt_print_spec(f, s);
	opt_print_spec(f, &regit_opt_help_spec);
	if (cmd->notes) {
		fprintf(f, "\n");
		opt_print_indented(f, cmd->notes, 0);
	}
	fprintf(f, "\nexit status:\n");
	opt_print_indented(f, cmd->exit_status, 2);
}
