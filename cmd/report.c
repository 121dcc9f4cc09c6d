// SPDX-License-Identifier: MIT
/*
 * report.c - `hbtrace report`: analyze traces and print their findings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "findings.h"
#include "report.h"

/* One line, like every usage error of hbtrace. */
static int report_usage_error(const char *fmt, const char *arg)
{
	fputs("error: report: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'hbtrace report --help')\n", stderr);
	return 2;
}

static const char report_usage[] =
	"usage: hbtrace report [--format text|json|sarif] "
	"[--suppressions FILE] TRACE...\n"
	"A trace cut short, or missing events, gets a 'hbtrace: note:' line "
	"on stderr.\n";

int cmd_report(int argc, const char **argv)
{
	struct report_request req = {0};
	const char **paths;
	char err[1024];
	size_t n = 0;
	int i, ret;

	if (cmd_wants_help(argc, argv)) {
		fputs(report_usage, stdout);
		return 0;
	}
	paths = calloc((size_t)argc, sizeof(*paths));
	if (!paths) {
		fprintf(stderr, "error: %s\n", strerror(ENOMEM));
		return 2;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--format") || !strcmp(a, "--suppressions")) {
			if (i + 1 >= argc) {
				report_usage_error("option '%s' needs a value",
						   a);
				goto usage;
			}
			if (a[2] == 'f')
				req.format = argv[++i];
			else
				req.suppressions = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			req.format = a + 9;
		} else if (!strncmp(a, "--suppressions=", 15)) {
			req.suppressions = a + 15;
		} else if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				paths[n++] = argv[i];
		} else if (a[0] == '-' && a[1]) {
			report_usage_error("unknown option '%s'", a);
			goto usage;
		} else {
			paths[n++] = a;
		}
	}
	if (!n) {
		report_usage_error("no trace given%s", "");
		goto usage;
	}
	if (req.format && !report_ops_by_name(req.format)) {
		report_usage_error("unknown format '%s'", req.format);
		goto usage;
	}
	req.paths = paths;
	req.npaths = n;
	err[0] = 0;
	ret = report_run(&req, stdout, err, sizeof(err));
	free(paths);
	if (ret < 0) {
		fflush(stdout);
		fprintf(stderr, "error: %s\n", err[0] ? err : strerror(-ret));
		return 2;
	}
	return 0;
usage:
	free(paths);
	return 2;
}
