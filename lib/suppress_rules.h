/* SPDX-License-Identifier: MIT */
/*
 * suppress_rules.h - suppression files: parsing and matching.
 *
 * In the spirit of ThreadSanitizer's suppression files.  One rule a line:
 *
 *   # comment
 *   data-race:legacy_counter_*     kind from the vocabulary, ':', pattern
 *   *:third_party/x*.c             '*' = any kind
 *
 * A pattern is a glob where '*' matches any run of characters (slashes
 * included) and everything else matches itself; it must match a whole
 * name.  A finding is suppressed by the first rule whose kind fits and
 * whose pattern matches any of: a function of any frame of any step, a
 * source file of such a frame (as recorded, or its basename), a module's
 * basename, or a lock name.  Leading and trailing blanks are ignored.
 *
 * suppressions_apply() (declared in suppress.h) is the one-call form used
 * by report and check; this header is the finer API behind it.
 */
#ifndef HBT_SUPPRESS_RULES_H
#define HBT_SUPPRESS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "findings.h"

struct suppress_rule {
	int kind; /* enum finding_kind, -1 = any */
	char *pattern;
	char *text; /* "kind:pattern" as written, for reports */
	unsigned line;
	size_t hits; /* findings this rule suppressed */
};

struct suppress_set {
	size_t n;
	struct suppress_rule *rules;
};

/* Parse 'text' ('name' for messages) into 's' (zeroed by the caller).
 * Returns 0, or -EINVAL with "NAME:LINE: problem" in 'err'. */
int suppress_parse(const char *name, const char *text, size_t len,
		   struct suppress_set *s, char *err, size_t errlen);
/* Read and parse a file; open errors give "cannot open suppressions ...". */
int suppress_load(const char *path, struct suppress_set *s, char *err,
		  size_t errlen);
void suppress_free(struct suppress_set *s);

/* Does the glob 'pat' match all of 'str'? */
bool suppress_glob(const char *pat, const char *str);
/* The first rule of 's' that suppresses 'f', or NULL. */
struct suppress_rule *suppress_match(const struct suppress_set *s,
				     const struct finding *f);
/*
 * Mark every finding of 'l' matched by a rule (f->suppressed_by = the
 * rule's text, malloc'ed) and count hits per rule.  Findings already
 * suppressed are left alone.  Returns the number newly suppressed, or
 * -ENOMEM.
 */
int suppress_apply_set(struct suppress_set *s, struct finding_list *l);

/*
 * "hbtrace: 3 findings suppressed: 2 by data-race:foo_*, 1 by *:bar.c"
 * for the suppressed findings of 'l' (nothing when there are none).
 */
void suppress_print_summary(FILE *out, const struct finding_list *l);

#endif /* HBT_SUPPRESS_RULES_H */
