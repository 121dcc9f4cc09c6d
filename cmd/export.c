// SPDX-License-Identifier: MIT
/*
 * export.c - `hbtrace export --format chrome|dot [-o FILE] TRACE...`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "export.h"

static const char export_usage[] =
	"usage: hbtrace export --format chrome|dot [-o FILE] TRACE...\n"
	"\n"
	"  chrome  a timeline for Perfetto (ui.perfetto.dev) or "
	"chrome://tracing:\n"
	"          threads and asyncio tasks, lock holds, waits, "
	"happens-before\n"
	"          arrows, findings\n"
	"  dot     the lock graph for graphviz, lock-order cycles in red\n"
	"          (dot -Tpng graph.dot -o graph.png)\n"
	"\n"
	"Several traces (the processes of a test suite) go into one file:\n"
	"one process each on the timeline, one merged lock graph.\n";

static int export_error(const char *fmt, const char *arg)
{
	fputs("hbtrace: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'hbtrace export --help')\n", stderr);
	return 2;
}

int cmd_export(int argc, const char **argv)
{
	const char *format = NULL, *output = NULL;
	const char **traces = NULL;
	size_t ntraces = 0;
	int (*fn)(const char *const *, size_t, FILE *, char *, size_t);
	char err[1024] = "";
	FILE *out = stdout;
	int ret = 2;

	if (cmd_wants_help(argc, argv)) {
		fputs(export_usage, stdout);
		return 0;
	}
	traces = calloc((size_t)argc + 1, sizeof(*traces));
	if (!traces) {
		fprintf(stderr, "hbtrace: error: %s\n", strerror(ENOMEM));
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--format") || !strcmp(a, "-o") ||
		    !strcmp(a, "--output")) {
			if (i + 1 >= argc) {
				ret = export_error("option '%s' needs a value",
						   a);
				goto out;
			}
			if (!strcmp(a, "--format"))
				format = argv[++i];
			else
				output = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			format = a + 9;
		} else if (!strncmp(a, "--output=", 9)) {
			output = a + 9;
		} else if (a[0] == '-' && a[1]) {
			ret = export_error("unknown option '%s'", a);
			goto out;
		} else {
			traces[ntraces++] = a;
		}
	}
	if (!format) {
		ret = export_error("%s", "--format chrome|dot is required");
		goto out;
	}
	if (!strcmp(format, "chrome")) {
		fn = export_chrome_traces;
	} else if (!strcmp(format, "dot")) {
		fn = export_dot_traces;
	} else {
		ret = export_error("unknown format '%s' (want chrome or dot)",
				   format);
		goto out;
	}
	if (!ntraces) {
		ret = export_error("%s", "no trace given");
		goto out;
	}
	if (output) {
		out = fopen(output, "w");
		if (!out) {
			fprintf(stderr,
				"hbtrace: error: cannot write '%s': %s\n",
				output, strerror(errno));
			out = stdout;
			ret = 2;
			goto out;
		}
	}
	ret = fn(traces, ntraces, out, err, sizeof(err));
	if (out != stdout && fclose(out) != 0 && ret >= 0) {
		snprintf(err, sizeof(err), "cannot write '%s': %s", output,
			 strerror(errno));
		ret = -EIO;
	}
	out = stdout;
	if (ret < 0) {
		fflush(stdout);
		fprintf(stderr, "hbtrace: error: %s\n", err);
		if (output)
			remove(output);
		ret = 2;
		goto out;
	}
	ret = 0;
out:
	free(traces);
	return ret;
}
