/* SPDX-License-Identifier: MIT */
/*
 * baseline.h - the set of findings a project has accepted for now.
 *
 * A baseline file lists finding ids, one per line, so that `hbtrace check
 * --baseline FILE` fails only on findings that are new.  Ids are stable
 * across runs, rebuilds and machines (findings.h), which is what makes a
 * checked-in baseline work.  Layout, as written by baseline_write():
 *
 *   # hbtrace baseline: ...
 *   0123456789abcdef  # lock-order-cycle: lock_a and lock_b taken in ...
 *
 * Blank lines and '#' comments are ignored; an id is 16 hex digits (either
 * case); anything else on a line is an error naming the file and line.
 */
#ifndef HBT_BASELINE_H
#define HBT_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "findings.h"

struct baseline {
	size_t n, cap;
	char (*ids)[17]; /* lowercase, sorted after load */
};

/*
 * Load 'path' into 'b' (zeroed by the caller).  Returns 0, or -errno with
 * "FILE:LINE: problem" (or "cannot open baseline 'FILE': why") in 'err'.
 */
int baseline_load(const char *path, struct baseline *b, char *err,
		  size_t errlen);
/* Parse a baseline held in memory; 'name' is used in error messages. */
int baseline_parse(const char *name, const char *text, size_t len,
		   struct baseline *b, char *err, size_t errlen);
bool baseline_contains(const struct baseline *b, const char *id);
void baseline_free(struct baseline *b);

/*
 * Write the findings of 'l' that are not suppressed to 'path', one id per
 * line with kind and message as a comment, sorted by kind then id, each id
 * once.  Returns 0 or -errno with a message in 'err'.
 */
int baseline_write(const char *path, const struct finding_list *l, char *err,
		   size_t errlen);
/* Same, to an open stream. */
int baseline_write_stream(FILE *out, const struct finding_list *l);

#endif /* HBT_BASELINE_H */
