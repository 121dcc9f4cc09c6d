// SPDX-License-Identifier: MIT
/*
 * export_dot.c - the lock graph of one trace as graphviz (see export.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analysis/lockorder_merge.h"
#include "analyze.h"
#include "export.h"

int export_dot_traces(const char *const *paths, size_t n, FILE *out, char *err,
		      size_t errlen)
{
	struct analysis_options opts = {.loop_stall_ns = 100000000ull};
	struct finding_list findings = {0};
	struct lockgraph *g = lockgraph_new();
	int ret = 0;

	if (!g) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && ret >= 0; i++)
		ret = lockgraph_add_trace(g, paths[i], &opts, err, errlen);
	if (ret < 0)
		goto out;
	/* the analyses decide which cycles are real: those edges go red */
	ret = analyze_traces(paths, n, &opts, &findings, err, errlen);
	if (ret < 0)
		goto out;
	ret = lockgraph_cross_cycles(g, &findings);
	if (ret < 0) {
		snprintf(err, errlen, "%s", strerror(-ret));
		goto out;
	}
	ret = lockgraph_write_dot(g, out, &findings);
	if (ret < 0)
		snprintf(err, errlen, "cannot write the lock graph: %s",
			 strerror(-ret));
out:
	finding_list_free(&findings);
	lockgraph_free(g);
	return ret;
}

int export_dot(const char *trace, FILE *out, char *err, size_t errlen)
{
	return export_dot_traces(&trace, 1, out, err, errlen);
}
