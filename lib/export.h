/* SPDX-License-Identifier: MIT */
/*
 * export.h - `hbtrace export`: a trace as something other tools open.
 *
 * chrome: the Chrome trace-event JSON format that Perfetto
 * (ui.perfetto.dev) and chrome://tracing load.  One process (the traced
 * pid), a track per thread ("T2 worker") and per asyncio task; "X" slices
 * for lock holds ("hold lock_a"), blocked waits ("wait lock_a": REQUEST
 * to ACQUIRE, joins, condition waits) and task steps; flow arrows ("s" /
 * "f") for the happens-before edges: release -> acquire by another
 * thread, create -> start, end -> join, post -> wait/wake; the analyses'
 * findings as instant events: one global marker per finding at the end
 * of the timeline (a finding is not tied to one event), plus, for
 * lock-order cycles and deadlocks, a marker on the thread (or task) track
 * of each step at the acquisition that matches it (that thread or task
 * taking one of the finding's locks while holding another), and the
 * watchdog's DEADLOCK records on the stuck thread's track.  Times are the
 * events' time_ns when known, otherwise the merged index as microseconds;
 * either way strictly increasing in the merged order.  Synchronization
 * the user did not write is left out: records flagged HBT_OP_INTERNAL,
 * and in a Python program the interpreter's own pthread objects (the
 * Python-level locks, which have kinds of their own, stay).
 *
 * dot: the lock graph (see lockgraph_write_dot() in
 * analysis/lockorder_merge.h), cycle edges in red.
 *
 * Both return 0 or -errno with a one-line message naming the trace.
 */
#ifndef HBT_EXPORT_H
#define HBT_EXPORT_H

#include <stddef.h>
#include <stdio.h>

int export_chrome(const char *trace, FILE *out, char *err, size_t errlen);
int export_dot(const char *trace, FILE *out, char *err, size_t errlen);

/*
 * Several traces (the processes of one test suite) in one file.  chrome:
 * one process each (pids made unique), placed by their wall-clock start.
 * dot: the merged lock graph keyed by lock name, its cross-trace cycles
 * (see lockorder_merge.h) in red too.
 */
int export_chrome_traces(const char *const *paths, size_t n, FILE *out,
			 char *err, size_t errlen);
int export_dot_traces(const char *const *paths, size_t n, FILE *out, char *err,
		      size_t errlen);

#endif /* HBT_EXPORT_H */
