/*
 * test_opt.c - cli/opt: the one command-line grammar. --opt value,
 * --opt=value, -o value, -ovalue, "--", "-" as an operand, repeatable
 * options, usage errors (exit 2 with one line naming the option), and the
 * help generated from the table (options, exit status).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opt.h"

enum { T_FLAG = 1, T_VALUE, T_LIST };

static const regit_opt_spec t_specs[] = {
	{ REGIT_OPT_FLAG, T_FLAG, "flag", 'f', NULL, "a flag" },
	{ REGIT_OPT_VALUE, T_VALUE, "output", 'o', "DIR", "a value\nsecond line" },
	{ REGIT_OPT_LIST, T_LIST, "reference", 0, "REF", "repeatable" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const t_frags[] = { t_specs, NULL };
static const regit_opt_cmd t_cmd = {
	"demo", "a demo command", "[options] FILE...", "Describes the demo.",
	t_frags, "Notes after the options.", "0 fine\n2 usage\n"
};

/* Everything regit_opt_next yields, as "id=value" words ("0=x": operand). */
static int t_parse(char *out, size_t size, int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	size_t n = 0;
	int r;

	out[0] = '\0';
	regit_opt_parser_init(&p, &t_cmd, argc, argv);
	for (;;) {
		r = regit_opt_next(&o, &p);
		if (r <= 0)
			return r;
		n += (size_t)snprintf(out + n, size - n, "%s%d=%s", n ? " " : "",
			o.spec ? o.spec->id : 0, o.value ? o.value : "(null)");
		assert_true(n < size);
	}
}

/* Run t_parse with stderr captured into err. */
static int t_parse_err(char *out, size_t size, char *err, size_t errsize,
	int argc, char **argv)
{
	FILE *tmp = tmpfile();
	int saved, r;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(fileno(stderr));
	dup2(fileno(tmp), fileno(stderr));
	r = t_parse(out, size, argc, argv);
	fflush(stderr);
	dup2(saved, fileno(stderr));
	close(saved);
	rewind(tmp);
	n = fread(err, 1, errsize - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return r;
}

#define ARGV(...) (char *[]){ "demo", __VA_ARGS__, NULL }
#define ARGC(...) ((int)(sizeof((char *[]){ "demo", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(out, ...) t_parse(out, sizeof(out), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))
#define PARSE_ERR(out, err, ...) \
	t_parse_err(out, sizeof(out), err, sizeof(err), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_opt__value_forms(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(PARSE(out, "--output", "d1"), 0);
	assert_string_equal(out, "2=d1");
	assert_int_equal(PARSE(out, "--output=d2"), 0);
	assert_string_equal(out, "2=d2");
	assert_int_equal(PARSE(out, "-o", "d3"), 0);
	assert_string_equal(out, "2=d3");
	assert_int_equal(PARSE(out, "-od4"), 0);
	assert_string_equal(out, "2=d4");
	/* an empty value and a value that looks like an option are values */
	assert_int_equal(PARSE(out, "--output=", "--output", "--flag"), 0);
	assert_string_equal(out, "2= 2=--flag");
	/* only the first '=' splits */
	assert_int_equal(PARSE(out, "--output=a=b"), 0);
	assert_string_equal(out, "2=a=b");
}

static void test_opt__flags_operands_and_double_dash(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(PARSE(out, "a", "--flag", "-f", "-", "b"), 0);
	assert_string_equal(out, "0=a 1=(null) 1=(null) 0=- 0=b");
	assert_int_equal(PARSE(out, "--flag", "--", "--output", "-f", "--"), 0);
	assert_string_equal(out, "1=(null) 0=--output 0=-f 0=--");
	assert_int_equal(PARSE(out, "--reference", "r1", "--reference=r2"), 0);
	assert_string_equal(out, "3=r1 3=r2");
}

static void test_opt__usage_errors(void **state)
{
	char out[256], err[512];

	(void)state;
	assert_int_equal(PARSE_ERR(out, err, "--nope"), -1);
	assert_string_equal(err, "regit demo: unknown option '--nope'; see 'regit demo --help'\n");
	assert_int_equal(PARSE_ERR(out, err, "--nope=1"), -1);
	assert_string_equal(err, "regit demo: unknown option '--nope'; see 'regit demo --help'\n");
	assert_int_equal(PARSE_ERR(out, err, "-x"), -1);
	assert_string_equal(err, "regit demo: unknown option '-x'; see 'regit demo --help'\n");
	/* a prefix is not an abbreviation */
	assert_int_equal(PARSE_ERR(out, err, "--out", "x"), -1);
	assert_string_equal(err, "regit demo: unknown option '--out'; see 'regit demo --help'\n");
	assert_int_equal(PARSE_ERR(out, err, "a", "--output"), -1);
	assert_string_equal(out, "0=a");
	assert_string_equal(err,
		"regit demo: option '--output' needs a value (DIR); see 'regit demo --help'\n");
	assert_int_equal(PARSE_ERR(out, err, "-o"), -1);
	assert_string_equal(err,
		"regit demo: option '-o' needs a value (DIR); see 'regit demo --help'\n");
	assert_int_equal(PARSE_ERR(out, err, "--flag=yes"), -1);
	assert_string_equal(err,
		"regit demo: option '--flag' takes no value; see 'regit demo --help'\n");
	assert_int_equal(PARSE_ERR(out, err, "-fx"), -1);
	assert_string_equal(err,
		"regit demo: option '-f' takes no value; see 'regit demo --help'\n");
	assert_int_equal(regit_opt_usage_error(&t_cmd, "%s", "x"), REGIT_EXIT_USAGE);
}

static void test_opt__help_from_the_table(void **state)
{
	char buf[2048];
	FILE *f = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(f);
	regit_opt_print_help(f, &t_cmd);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf,
		"usage: regit demo [options] FILE...\n"
		"\n"
		"Describes the demo.\n"
		"\n"
		"options:\n"
		"  -f, --flag           a flag\n"
		"  -o, --output DIR     a value\n"
		"                       second line\n"
		"  --reference REF      repeatable (repeatable)\n"
		"  -h, --help           this help\n"
		"\n"
		"Notes after the options.\n"
		"\n"
		"exit status:\n"
		"  0 fine\n"
		"  2 usage\n");
}

static void test_opt__env(void **state)
{
	static const regit_opt_spec spec = { REGIT_OPT_VALUE, 1,
		"max-connections-per-ip", 0, "N", "x" };
	char name[64], small[8];

	(void)state;
	assert_int_equal(regit_opt_env_name(name, sizeof(name), "REGIT_", &spec), 0);
	assert_string_equal(name, "REGIT_MAX_CONNECTIONS_PER_IP");
	assert_int_equal(regit_opt_env_name(small, sizeof(small), "REGIT_", &spec), -1);
	assert_int_equal(regit_opt_env_flag("1"), 1);
	assert_int_equal(regit_opt_env_flag("TRUE"), 1);
	assert_int_equal(regit_opt_env_flag("on"), 1);
	assert_int_equal(regit_opt_env_flag("0"), 0);
	assert_int_equal(regit_opt_env_flag(""), 0);
	assert_int_equal(regit_opt_env_flag("No"), 0);
	assert_int_equal(regit_opt_env_flag("maybe"), -1);
}

static void test_opt__help_requested(void **state)
{
	(void)state;
	/* -h after "--" is an operand */
	assert_int_equal(regit_opt_help_requested(&t_cmd, ARGC("--", "-h"), ARGV("--", "-h")), 0);
	assert_int_equal(regit_opt_help_requested(&t_cmd, ARGC("a", "b"), ARGV("a", "b")), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt__value_forms),
		cmocka_unit_test(test_opt__flags_operands_and_double_dash),
		cmocka_unit_test(test_opt__usage_errors),
		cmocka_unit_test(test_opt__help_from_the_table),
		cmocka_unit_test(test_opt__help_requested),
		cmocka_unit_test(test_opt__env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
