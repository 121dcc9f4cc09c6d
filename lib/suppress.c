// SPDX-License-Identifier: MIT
/*
 * suppress.c - suppressions_apply(): the one-call form of the rules in
 * suppress_rules.{h,c} (file format and matching are documented there).
 */
#include "suppress.h"
#include "suppress_rules.h"

int suppressions_apply(const char *file, struct finding_list *l, char *err,
		       size_t errlen)
{
	struct suppress_set set = {0};
	int ret;

	ret = suppress_load(file, &set, err, errlen);
	if (ret < 0)
		goto out;
	ret = suppress_apply_set(&set, l);
	if (ret < 0)
		snprintf(err, errlen, "%s: out of memory", file);
out:
	suppress_free(&set);
	return ret;
}
