/* SPDX-License-Identifier: MIT */
/*
 * lockorder_merge.h - a lock graph keyed by lock *name*, built from one or
 * more traces: the cross-trace lock-order check of `hbtrace check` and the
 * lock graph of `hbtrace export --format dot`.
 *
 * Per trace, every acquisition of a lock B while the same thread (or
 * asyncio task) holds a lock A adds an edge A -> B, except: trylocks (they
 * cannot block), recursive relocks, and edges where either hold is a
 * read-mode rwlock hold (read/read cannot block; we stay conservative).
 * Locks are then named as the analyses name them (an_lock_name(): the
 * front-end's name, the symbol of a static lock, or the creation site), so
 * the same lock in two processes, or in two runs of a test suite, is one
 * node.  Locks that only have an address for a name are kept out of the
 * cross-trace merge: an address means nothing in another process.
 *
 * Cross-trace cycles: a cycle of the name graph is reported as a
 * lock-order-cycle finding when its edges can be witnessed by pairwise
 * distinct traces whose witnesses share no gate lock (another lock held
 * across both), and no single trace holds every edge of the cycle (that
 * trace's own analysis, which sees threads and happens-before, already
 * judged it).  That is what makes "A then B in test 1, B then A in test 2"
 * a finding.
 */
#ifndef HBT_LOCKORDER_MERGE_H
#define HBT_LOCKORDER_MERGE_H

#include <stddef.h>
#include <stdio.h>

#include "analyze.h"
#include "findings.h"

struct lockgraph;

struct lockgraph *lockgraph_new(void);
void lockgraph_free(struct lockgraph *g);

/* Read one trace into the graph.  0, or -errno with a message naming the
 * file in 'err'. */
int lockgraph_add_trace(struct lockgraph *g, const char *path,
			const struct analysis_options *opts, char *err,
			size_t errlen);

/* Append cross-trace lock-order-cycle findings to 'out' (see above).
 * Returns the number added or -ENOMEM. */
int lockgraph_cross_cycles(struct lockgraph *g, struct finding_list *out);

/*
 * Graphviz: nodes = locks by name, edges = "acquired while holding" with
 * the number of acquisitions as label.  Edges between two locks of one
 * lock-order-cycle or deadlock finding of 'findings' (may be NULL) are red
 * and bold; other edges inside a strongly connected component (a cycle
 * the analyses ruled out: gate lock, happens-before, one thread) are
 * orange and dashed.
 */
int lockgraph_write_dot(struct lockgraph *g, FILE *out,
			const struct finding_list *findings);

/* One call for check: build the graph over 'paths', add its findings. */
int lockorder_merge_traces(const char *const *paths, size_t npaths,
			   const struct analysis_options *opts,
			   struct finding_list *out, char *err, size_t errlen);

#endif /* HBT_LOCKORDER_MERGE_H */
