/*
 * report.c - escapers for the report formats (see report.h).
 */
#include "cli/report.h"

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
