/*
 * report.h - escaping shared by the report formats of `regit check` and
 * `regit lint`, so both write GitHub annotations and XML the same way.
 */
#ifndef REGIT_CLI_REPORT_H
#define REGIT_CLI_REPORT_H

#include "util/buf.h"

/**
 * Append `s` escaped for a GitHub Actions workflow command: its message
 * (property = 0) or a property value such as file= (property = 1, which
 * also escapes ':' and ','). @return 0, REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_report_put_gh(regit_buf *b, const char *s, int property);

/** Append `s` (NULL = nothing) escaped for XML 1.0 text or attributes;
 *  control characters XML cannot carry become '?'. */
int regit_report_put_xml(regit_buf *b, const char *s);

#endif
