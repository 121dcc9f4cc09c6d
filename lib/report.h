/* SPDX-License-Identifier: MIT */
/*
 * report.h - analyze traces and print their report: what `hbtrace run`
 * prints at exit and what `hbtrace report` does.
 */
#ifndef HBT_REPORT_H
#define HBT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "findings.h"

/*
 * Analyze 'paths' and print the text report of all findings on 'out'.
 * Returns the number of findings, or -errno (a message naming the file
 * is then printed on stderr as "error: ...": the caller owns no
 * buffer for it).
 */
int report_print_traces(const char *const *paths, size_t n, FILE *out);

struct report_request {
	const char *const *paths;
	size_t npaths;
	const char *format;	  /* "text" (NULL), "json", "sarif" */
	const char *suppressions; /* file, or NULL */
};

/*
 * The whole of `hbtrace report`: analyze, apply suppressions, render.
 * Returns the number of reported (unsuppressed) findings, or -errno with
 * a one-line message in 'err' (-EINVAL: unknown format).
 */
int report_run(const struct report_request *req, FILE *out, char *err,
	       size_t errlen);

#endif /* HBT_REPORT_H */
