/*
 * report.h - the pieces of the report formats shared by `regit check` and
 * `regit lint` (escaping, JSON values, GitHub annotations, the JUnit
 * skeleton), so both write them the same way.
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

/** Append `s` as a JSON string, or null when `s` is NULL. */
int regit_report_put_json_str(regit_buf *b, const char *s);

/** Append `, "key": v`, with null for a position v <= 0 (unknown). */
int regit_report_put_json_pos(regit_buf *b, const char *key, int v);

/** Append a finding's `, "message": M, "file": F, "line": L, "column": C`
 *  (positions as regit_report_put_json_pos). */
int regit_report_put_json_message_at(regit_buf *b, const char *message, const char *file,
	int line, int column);

/**
 * Append one GitHub Actions annotation line:
 * `::level file=FILE[,line=L,col=C],title=RULE::MESSAGE` (line and col only
 * when line > 0), escaped with regit_report_put_gh.
 */
int regit_report_put_gh_annotation(regit_buf *b, const char *level, const char *file,
	int line, int column, const char *rule, const char *message);

/** Append the JUnit XML declaration, <testsuites> and <testsuite> opening
 *  tags, both with the same counts. */
int regit_report_put_junit_begin(regit_buf *b, const char *tool, const char *suite,
	size_t tests, size_t failures, size_t errors);

/** Append a <testcase> opening tag; self-closed when `empty`. */
int regit_report_put_junit_case(regit_buf *b, const char *classname, const char *name,
	int empty);

/** Append `<tag message="N problem(s): MESSAGE" type="TYPE">` for a test
 *  case with problems, `message` and `type` being its first finding's. */
int regit_report_put_junit_problem(regit_buf *b, const char *tag, size_t nproblems,
	const char *message, const char *type);

/** Append `text` escaped as one line of a test case's body. */
int regit_report_put_junit_line(regit_buf *b, const char *text);

/** Close the test case's `tag` element and the <testcase>. */
int regit_report_put_junit_case_end(regit_buf *b, const char *tag);

/** Close <testsuite> and <testsuites>. */
int regit_report_put_junit_end(regit_buf *b);

#endif
