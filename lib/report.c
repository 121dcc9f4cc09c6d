// SPDX-License-Identifier: MIT
/*
 * report.c - analyze, suppress, render.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "report.h"
#include "suppress.h"

int report_run(const struct report_request *req, FILE *out, char *err,
	       size_t errlen)
{
	const struct report_ops *ops =
		report_ops_by_name(req->format ? req->format : "text");
	struct finding_list l = {0};
	struct report_ctx ctx = {0};
	size_t i, n = 0;
	int ret;

	if (!ops) {
		snprintf(err, errlen, "unknown report format '%s'",
			 req->format);
		return -EINVAL;
	}
	ret = analyze_traces(req->paths, req->npaths, NULL, &l, err, errlen);
	if (ret < 0)
		goto out;
	if (req->suppressions) {
		ret = suppressions_apply(req->suppressions, &l, err, errlen);
		if (ret < 0)
			goto out;
	}
	ctx.out = out;
	ctx.traces = req->paths;
	ctx.ntraces = req->npaths;
	report_render(ops, &ctx, &l);
	fflush(out);
	finding_list_print_notes(&l, stderr);
	for (i = 0; i < l.n; i++)
		if (!l.items[i]->suppressed_by)
			n++;
	ret = (int)n;
out:
	finding_list_free(&l);
	return ret;
}

int report_print_traces(const char *const *paths, size_t n, FILE *out)
{
	struct report_request req = {.paths = paths, .npaths = n};
	char err[512];
	int ret;

	err[0] = 0;
	ret = report_run(&req, out, err, sizeof(err));
	if (ret < 0)
		fprintf(stderr, "error: %s\n", err[0] ? err : strerror(-ret));
	return ret;
}
