/* SPDX-License-Identifier: MIT */
/*
 * analyze.h - running the analyses over traces.
 *
 * Each analysis is a set of callbacks over one pass of the merged event
 * stream (perf lock's handler table).  All analyses see the same pass, so
 * a trace is read once however many analyses run.  Symbolization happens
 * in finish(), once the whole trace (and so every definition) is read.
 */
#ifndef HBT_ANALYZE_H
#define HBT_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>

#include "findings.h"
#include "hbt_reader.h"

struct symbolizer;

struct analysis_options {
	uint64_t loop_stall_ns; /* loop-stall threshold, default 100 ms */
	bool no_predict;	/* only report what happened */
};

/* What an analysis gets when it finishes: the reader (definitions),
 * a symbolizer and the list to add findings to. */
struct analysis_ctx {
	struct hbt_reader *reader;
	struct symbolizer *sym;
	const struct analysis_options *opts;
	const char *trace_path;
	struct finding_list *out;
};

struct analysis_ops {
	const char *name;
	/*
	 * Header feature bits (enum hbt_feature) of which a trace must have
	 * at least one for this analysis to see its events; 0 = every trace.
	 * An analysis of records that only one front-end writes (memory
	 * accesses, Python) costs nothing on the other traces.  It is still
	 * initialized and finished, so it may report "nothing".  A trace
	 * whose header declares no features at all (an offline writer that
	 * did not say) is given to every analysis.
	 */
	uint64_t features;
	/*
	 * 1: may run in the second analysis thread (analyze_lane.c) on a
	 * long trace, away from the reader.  Its event() then runs
	 * concurrently with the other analyses' event(): it must touch
	 * nothing but its own state.  The heavy analyses are marked, so the
	 * two threads have about the same work.
	 */
	int lane;
	/* Allocate state; NULL on failure.  Optional: NULL state is fine. */
	void *(*init)(const struct analysis_options *opts);
	/* One event of the merged stream. */
	void (*event)(void *state, const struct hbt_event *ev);
	/* Trace fully read: produce findings; return 0 or -errno. */
	int (*finish)(void *state, struct analysis_ctx *ctx);
	void (*destroy)(void *state);
};

/* The registered analyses, NULL-terminated (analyze.c holds the table). */
extern const struct analysis_ops *const hbt_analyses[];

/*
 * Read each trace once, run every analysis over it and append the
 * findings, deduplicated and sorted, to 'out'.  On error returns -errno
 * and a one-line message in 'err' naming the file.
 */
int analyze_traces(const char *const *paths, size_t npaths,
		   const struct analysis_options *opts,
		   struct finding_list *out, char *err, size_t errlen);

#endif /* HBT_ANALYZE_H */
