// SPDX-License-Identifier: MIT
/*
 * fuzz_import_std.c - libFuzzer harness for the STD importer.
 *
 * Every line of the input goes through std_parse_line() from an exact-size
 * buffer (ASan catches a read past the line), then the whole input is
 * imported with import_std_file() and, when that succeeds, the trace it
 * wrote is read back in full: an importer must never write a trace our own
 * reader rejects or that analyses cannot merge.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "hbt_reader.h"
#include "import_std.h"

static char out_path[64];

static void parse_lines(const uint8_t *data, size_t size)
{
	size_t start = 0, i;

	for (i = 0; i <= size; i++) {
		struct std_line l;
		char err[128];
		char *line;

		if (i < size && data[i] != '\n')
			continue;
		line = fuzz_copy(data + start, i - start);
		if (line && std_parse_line(line, i - start, &l, err,
					   sizeof(err)) == 1) {
			/* the pieces must lie inside the line */
			if (l.thread < line || l.thread + l.thread_len >
						       line + (i - start))
				abort();
			if (l.arg_len && (l.arg < line ||
					  l.arg + l.arg_len > line + (i - start)))
				abort();
			if (l.loc_len && (l.loc < line ||
					  l.loc + l.loc_len > line + (i - start)))
				abort();
		}
		free(line);
		start = i + 1;
	}
}

static void read_back(const char *path)
{
	struct hbt_reader *r = NULL;
	struct hbt_event ev;
	const char *why;
	int rc;

	if (hbt_reader_open(path, &r) < 0) {
		fprintf(stderr, "imported trace does not open: %s\n",
			r ? hbt_reader_error(r) : "?");
		abort();
	}
	while ((rc = hbt_reader_next(r, &ev)) > 0)
		;
	if (rc < 0) {
		fprintf(stderr, "imported trace does not read: %s\n",
			hbt_reader_error(r));
		abort();
	}
	/* An import is complete by construction. */
	if (hbt_reader_truncated(r, &why)) {
		fprintf(stderr, "imported trace is cut: %s\n", why ? why : "?");
		abort();
	}
	hbt_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	char err[512];
	long n;

	if (!out_path[0])
		snprintf(out_path, sizeof(out_path), "/tmp/hbt-fuzz-std.%d.hbt",
			 (int)getpid());
	parse_lines(data, size);
	in = fuzz_input_path(data, size);
	if (!in)
		return 0;
	n = import_std_file(in, out_path, err, sizeof(err));
	if (n >= 0) {
		read_back(out_path);
		unlink(out_path);
	} else if (access(out_path, F_OK) == 0) {
		fprintf(stderr, "import failed (%s) but left %s\n", err,
			out_path);
		abort();
	}
	return 0;
}
