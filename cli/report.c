/*
 * report.c - the shared pieces of the report formats (see report.h).
 */
#include "cli/report.h"

#include <string.h>

int regit_report_put_gh(regit_buf *b, const char *s, int property)
{
	int error = 0;

	for (; *s && error == 0; s++) {
		switch (*s) {
		case '%': error = regit_buf_puts(b, "%25"); break;
		case '\r': error = regit_buf_puts(b, "%0D"); break;
		case '\n': error = regit_buf_puts(b, "%0A"); break;
		case ':': error = property ? regit_buf_puts(b, "%3A") : regit_buf_putc(b, ':'); break;
		case ',': error = property ? regit_buf_puts(b, "%2C") : regit_buf_putc(b, ','); break;
		default: error = regit_buf_putc(b, *s); break;
		}
	}
	return error;
}

int regit_report_put_xml(regit_buf *b, const char *s)
{
	int error = 0;

	for (; s && *s && error == 0; s++) {
		switch (*s) {
		case '&': error = regit_buf_puts(b, "&amp;"); break;
		case '<': error = regit_buf_puts(b, "&lt;"); break;
		case '>': error = regit_buf_puts(b, "&gt;"); break;
		case '"': error = regit_buf_puts(b, "&quot;"); break;
		case '\'': error = regit_buf_puts(b, "&apos;"); break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				error = regit_buf_putc(b, '?');
			else
				error = regit_buf_putc(b, *s);
			break;
		}
	}
	return error;
}

int regit_report_put_json_str(regit_buf *b, const char *s)
{
	if (!s)
		return regit_buf_puts(b, "null");
	return regit_buf_put_json_string(b, s, strlen(s));
}

int regit_report_put_json_pos(regit_buf *b, const char *key, int v)
{
	if (v <= 0)
		return regit_buf_printf(b, ", \"%s\": null", key);
	return regit_buf_printf(b, ", \"%s\": %d", key, v);
}

int regit_report_put_json_message_at(regit_buf *b, const char *message, const char *file,
	int line, int column)
{
	int error;

	error = regit_buf_puts(b, ", \"message\": ");
	if (error == 0)
		error = regit_report_put_json_str(b, message);
	if (error == 0)
		error = regit_buf_puts(b, ", \"file\": ");
	if (error == 0)
		error = regit_report_put_json_str(b, file);
	if (error == 0)
		error = regit_report_put_json_pos(b, "line", line);
	if (error == 0)
		error = regit_report_put_json_pos(b, "column", column);
	return error;
}

int regit_report_put_gh_annotation(regit_buf *b, const char *level, const char *file,
	int line, int column, const char *rule, const char *message)
{
	int error;

	error = regit_buf_printf(b, "::%s file=", level);
	if (error == 0)
		error = regit_report_put_gh(b, file, 1);
	if (error == 0 && line > 0)
		error = regit_buf_printf(b, ",line=%d,col=%d", line, column);
	if (error == 0)
		error = regit_buf_puts(b, ",title=");
	if (error == 0)
		error = regit_report_put_gh(b, rule, 1);
	if (error == 0)
		error = regit_buf_puts(b, "::");
	if (error == 0)
		error = regit_report_put_gh(b, message, 0);
	if (error == 0)
		error = regit_buf_putc(b, '\n');
	return error;
}

int regit_report_put_junit_begin(regit_buf *b, const char *tool, const char *suite,
	size_t tests, size_t failures, size_t errors)
{
	return regit_buf_printf(b,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n"
		"  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
		tool, tests, failures, errors, suite, tests, failures, errors);
}

int regit_report_put_junit_case(regit_buf *b, const char *classname, const char *name,
	int empty)
{
	int error;

	error = regit_buf_printf(b, "    <testcase classname=\"%s\" name=\"", classname);
	if (error == 0)
		error = regit_report_put_xml(b, name);
	if (error == 0)
		error = regit_buf_puts(b, empty ? "\"/>\n" : "\">\n");
	return error;
}

int regit_report_put_junit_problem(regit_buf *b, const char *tag, size_t nproblems,
	const char *message, const char *type)
{
	int error;

	error = regit_buf_printf(b, "      <%s message=\"%zu problem%s: ", tag,
		nproblems, nproblems == 1 ? "" : "s");
	if (error == 0)
		error = regit_report_put_xml(b, message);
	if (error == 0)
		error = regit_buf_puts(b, "\" type=\"");
	if (error == 0)
		error = regit_report_put_xml(b, type);
	if (error == 0)
		error = regit_buf_puts(b, "\">");
	return error;
}

int regit_report_put_junit_line(regit_buf *b, const char *text)
{
	int error = regit_report_put_xml(b, text);

	return error ? error : regit_buf_putc(b, '\n');
}

int regit_report_put_junit_case_end(regit_buf *b, const char *tag)
{
	return regit_buf_printf(b, "</%s>\n    </testcase>\n", tag);
}

int regit_report_put_junit_end(regit_buf *b)
{
	return regit_buf_puts(b, "  </testsuite>\n</testsuites>\n");
}
