// SPDX-License-Identifier: MIT
/*
 * fuzz_baseline.c - libFuzzer harness for baseline files.
 *
 * The input is parsed from an exact-size buffer (no NUL).  When it parses,
 * every id found must be reported as contained, in either case, and a
 * made-up id must not crash the lookup; the file form (baseline_load) is
 * run on the same bytes and must agree with the in-memory parser, except
 * that it refuses a file holding a NUL byte ("not a text file").
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct baseline b = { 0 }, b2 = { 0 };
	char err[256], err2[256];
	const char *path;
	char *text;
	int rc, rc2;
	size_t i;

	text = fuzz_copy(data, size);
	if (!text)
		return 0;
	rc = baseline_parse("fuzz.baseline", text, size, &b, err, sizeof(err));
	if (rc == 0) {
		for (i = 0; i < b.n; i++) {
			char up[17];
			size_t k;

			if (strlen(b.ids[i]) != 16)
				abort();
			if (!baseline_contains(&b, b.ids[i]))
				abort();
			for (k = 0; k < 17; k++)
				up[k] = (char)toupper((unsigned char)b.ids[i][k]);
			baseline_contains(&b, up);
		}
		baseline_contains(&b, "0123456789abcdef");
		baseline_contains(&b, "");
	}
	path = fuzz_input_path(data, size);
	if (path) {
		rc2 = baseline_load(path, &b2, err2, sizeof(err2));
		bool text_file = !memchr(data, '\0', size);

		if (text_file && ((rc == 0) != (rc2 == 0) ||
				  (rc == 0 && b.n != b2.n)))
			abort();
		if (!text_file && rc2 == 0)
			abort();
	}
	baseline_free(&b);
	baseline_free(&b2);
	free(text);
	return 0;
}
