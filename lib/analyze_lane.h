/* SPDX-License-Identifier: MIT */
/*
 * analyze_lane.h - a second thread that runs some analyses over copies of
 * the merged event stream, while the reading thread decodes and runs the
 * others.
 */
#ifndef HBT_ANALYZE_LANE_H
#define HBT_ANALYZE_LANE_H

#include <stdbool.h>
#include <stddef.h>

#include "hbt_reader.h"

struct analysis_lane;

typedef void (*analysis_event_fn)(void *state, const struct hbt_event *ev);

/*
 * Start a lane running handler[i](state[i], ev) for every event pushed,
 * in push order.  NULL when a thread or memory cannot be had: the caller
 * then runs those handlers itself.
 */
struct analysis_lane *analysis_lane_start(const analysis_event_fn *handler,
					  void *const *state, size_t nhandlers);

/* Hand one event to the lane (copied: the reader may reuse 'ev'). */
void analysis_lane_push(struct analysis_lane *l, const struct hbt_event *ev);

/* Wait until the lane has seen every pushed event, then free it. */
void analysis_lane_finish(struct analysis_lane *l);

/*
 * Whether a trace of 'trace_bytes' is worth a lane: more than one CPU to
 * run on and a trace long enough to amortize a thread.
 * HBTRACE_ANALYZE_LANES=1 never uses one, =2 always does (tests).
 */
bool analysis_lane_wanted(size_t trace_bytes);

#endif /* HBT_ANALYZE_LANE_H */
