/* SPDX-License-Identifier: MIT */
/*
 * suppress.h - applying a suppressions file to a list of findings.
 *
 * The one call report and check make; the rules themselves (format,
 * matching) are documented with their implementation.
 */
#ifndef HBT_SUPPRESS_H
#define HBT_SUPPRESS_H

#include <stddef.h>

#include "findings.h"

/*
 * Read the suppressions 'file' and mark (f->suppressed_by) every finding
 * of 'l' a rule matches; renderers then skip them.  Returns the number of
 * findings suppressed, or -errno with a one-line message naming the file
 * in 'err'.
 */
int suppressions_apply(const char *file, struct finding_list *l, char *err,
		       size_t errlen);

#endif /* HBT_SUPPRESS_H */
