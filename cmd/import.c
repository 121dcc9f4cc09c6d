// SPDX-License-Identifier: MIT
/*
 * import.c - `hbtrace import --from std FILE -o TRACE`: foreign traces
 * into .hbt, so they go through the same analyses (report, check).
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "import_std.h"

static const char import_usage[] =
	"usage: hbtrace import --from std FILE -o TRACE\n"
	"\n"
	"Convert a RAPID \"STD\" text trace (one event a line, T0|acq(L1)|12;\n"
	"operations acq, rel, r, w, fork, join, begin, end) into an hbtrace\n"
	"trace that report and check analyze like a recorded one.\n";

static int import_error(const char *fmt, const char *arg)
{
	fputs("hbtrace: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'hbtrace import --help')\n", stderr);
	return 2;
}

int cmd_import(int argc, const char **argv)
{
	const char *from = NULL, *in = NULL, *out = NULL;
	char err[1024] = "";
	long n;

	if (cmd_wants_help(argc, argv)) {
		fputs(import_usage, stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--from") || !strcmp(a, "-o") ||
		    !strcmp(a, "--output")) {
			if (i + 1 >= argc)
				return import_error("option '%s' needs a value",
						    a);
			if (a[1] == '-' && a[2] == 'f')
				from = argv[++i];
			else
				out = argv[++i];
		} else if (!strncmp(a, "--from=", 7)) {
			from = a + 7;
		} else if (!strncmp(a, "--output=", 9)) {
			out = a + 9;
		} else if (a[0] == '-' && a[1]) {
			return import_error("unknown option '%s'", a);
		} else if (in) {
			return import_error("more than one input file ('%s')",
					    a);
		} else {
			in = a;
		}
	}
	if (!from)
		return import_error("%s", "--from FORMAT is required (std)");
	if (strcmp(from, "std"))
		return import_error("unknown input format '%s' (want std)",
				    from);
	if (!in)
		return import_error("%s", "no input file given");
	if (!out)
		return import_error("%s", "-o TRACE is required");

	n = import_std_file(in, out, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "hbtrace: error: %s\n", err);
		return 2;
	}
	fprintf(stderr, "hbtrace: imported %ld events from '%s' into '%s'\n", n,
		in, out);
	return 0;
}
