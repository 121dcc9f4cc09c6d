// SPDX-License-Identifier: MIT
/*
 * analyze.c - the table of analyses and the single pass that runs them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "analyze_lane.h"
#include "symbolize.h"

extern const struct analysis_ops analysis_lockorder;
extern const struct analysis_ops analysis_deadlock;
extern const struct analysis_ops analysis_misuse;
extern const struct analysis_ops analysis_threads;
extern const struct analysis_ops analysis_race;
extern const struct analysis_ops analysis_py_tasks;
extern const struct analysis_ops analysis_py_shared;

/* Every analysis, run in this order over one pass: add one line each. */
const struct analysis_ops *const hbt_analyses[] = {
	&analysis_lockorder, &analysis_deadlock,
	&analysis_misuse,    &analysis_threads,
	&analysis_race,	     &analysis_py_tasks,
	&analysis_py_shared, NULL,
};

#define MAX_ANALYSES 32

/*
 * "No findings" from a trace that misses events is not the same claim as
 * from a complete one: say what is missing, once per trace.  A cut trace
 * is what a crash or kill -9 leaves, complete up to there.
 */
static int analyze_note_gaps(struct hbt_reader *r, const char *path,
			     struct finding_list *out)
{
	uint64_t dropped = hbt_reader_header(r)->dropped_events;
	const char *why;
	int ret = 0;

	if (hbt_reader_truncated(r, &why))
		ret = finding_list_note(out,
					"trace '%s' was cut: %s; the findings "
					"cover what was recorded before",
					path, why);
	if (!ret && dropped)
		ret = finding_list_note(out,
					"trace '%s': %" PRIu64
					" events were not recorded; findings "
					"that needed them are missing",
					path, dropped);
	return ret;
}

static int analyze_one(const char *path, const struct analysis_options *opts,
		       struct finding_list *out, char *err, size_t errlen)
{
	void *state[MAX_ANALYSES] = {0};
	/* the analyses that see this trace's events, packed for the loop */
	void (*handler[MAX_ANALYSES])(void *state, const struct hbt_event *ev);
	void *handler_state[MAX_ANALYSES];
	size_t nhandlers = 0;
	/* the analyses of the second thread, when there is one */
	analysis_event_fn lane_handler[MAX_ANALYSES];
	void *lane_state[MAX_ANALYSES];
	size_t nlane = 0;
	struct analysis_lane *lane = NULL;
	bool use_lane;
	uint64_t features;
	struct hbt_reader *r = NULL;
	struct symbolizer *sym = NULL;
	struct analysis_ctx ctx;
	const struct hbt_event *ev;
	size_t i, n;
	int ret;

	for (n = 0; hbt_analyses[n] && n < MAX_ANALYSES; n++)
		;
	ret = hbt_reader_open(path, &r);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open trace '%s': %s", path,
			 r ? hbt_reader_error(r) : strerror(-ret));
		goto out;
	}
	features = hbt_reader_header(r)->features;
	use_lane = analysis_lane_wanted(hbt_reader_file_size(r));
	for (i = 0; i < n; i++) {
		const struct analysis_ops *a = hbt_analyses[i];

		if (a->init) {
			state[i] = a->init(opts);
			if (!state[i]) {
				ret = -ENOMEM;
				snprintf(err, errlen,
					 "cannot analyze trace '%s': %s", path,
					 strerror(ENOMEM));
				goto out;
			}
		}
		/* a trace that declares no features (offline writers) may
		 * hold anything: every analysis sees it */
		if (!a->event ||
		    (a->features && features && !(a->features & features)))
			continue;
		if (use_lane && a->lane) {
			lane_handler[nlane] = a->event;
			lane_state[nlane++] = state[i];
		} else {
			handler[nhandlers] = a->event;
			handler_state[nhandlers++] = state[i];
		}
	}
	/* no thread to be had: run them here (each has its own state, so
	 * the order of the handlers does not matter) */
	if (nlane &&
	    !(lane = analysis_lane_start(lane_handler, lane_state, nlane)))
		for (i = 0; i < nlane; i++) {
			handler[nhandlers] = lane_handler[i];
			handler_state[nhandlers++] = lane_state[i];
		}
	/* The hot loop: one decode, then every interested analysis. */
	if (lane)
		while ((ret = hbt_reader_next_ref(r, &ev)) > 0) {
			analysis_lane_push(lane, ev);
			for (i = 0; i < nhandlers; i++)
				handler[i](handler_state[i], ev);
		}
	else
		while ((ret = hbt_reader_next_ref(r, &ev)) > 0)
			for (i = 0; i < nhandlers; i++)
				handler[i](handler_state[i], ev);
	/* the lane's analyses have seen everything before anyone reads
	 * their state */
	analysis_lane_finish(lane);
	lane = NULL;
	if (ret < 0) {
		snprintf(err, errlen, "cannot read trace '%s': %s", path,
			 hbt_reader_error(r));
		goto out;
	}
	ret = analyze_note_gaps(r, path, out);
	if (ret < 0) {
		snprintf(err, errlen, "cannot analyze trace '%s': %s", path,
			 strerror(-ret));
		goto out;
	}
	sym = symbolizer_new(r);
	memset(&ctx, 0, sizeof(ctx));
	ctx.reader = r;
	ctx.sym = sym;
	ctx.opts = opts;
	ctx.trace_path = path;
	ctx.out = out;
	for (i = 0; i < n; i++) {
		if (!hbt_analyses[i]->finish)
			continue;
		ret = hbt_analyses[i]->finish(state[i], &ctx);
		if (ret < 0) {
			snprintf(err, errlen, "cannot analyze trace '%s': %s",
				 path, strerror(-ret));
			goto out;
		}
	}
	ret = 0;
out:
	analysis_lane_finish(lane);
	for (i = 0; i < n; i++)
		if (hbt_analyses[i]->destroy)
			hbt_analyses[i]->destroy(state[i]);
	if (sym)
		symbolizer_free(sym);
	if (r)
		hbt_reader_close(r);
	return ret;
}

int analyze_traces(const char *const *paths, size_t npaths,
		   const struct analysis_options *opts,
		   struct finding_list *out, char *err, size_t errlen)
{
	struct analysis_options defaults = {.loop_stall_ns = 100000000ull};
	size_t i;
	int ret;

	if (!opts)
		opts = &defaults;
	for (i = 0; i < npaths; i++) {
		ret = analyze_one(paths[i], opts, out, err, errlen);
		if (ret < 0)
			return ret;
	}
	finding_list_dedup(out);
	finding_list_sort(out);
	return 0;
}
