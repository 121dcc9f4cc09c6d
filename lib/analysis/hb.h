/* SPDX-License-Identifier: MIT */
/*
 * hb.h - vector clocks and a happens-before tracker over the merged event
 * stream, shared by the analyses (lock order, data races, Python).
 *
 * A thread's clock is its vector clock; its own component is its epoch,
 * which advances after every outgoing synchronization (create, end, post,
 * signal, barrier arrival, and unlock when locks count).  An event e of
 * thread t with epoch c happens before a later point p of thread u iff
 * vc(p)[t] >= c.
 *
 * Which edges count is chosen at hb_new():
 *  - always ("hard" orders): thread create -> start, end -> join,
 *    post -> acquire of a semaphore-like object (sem, Python semaphore and
 *    event, asyncio event/queue/future/handoff), condition signal or
 *    broadcast -> the wake of a waiter, barrier arrivals -> leaves of the
 *    same generation;
 *  - HB_LOCKS: also lock release -> next acquisition of that lock (what a
 *    data-race detector needs; the lock-order analysis must not use it).
 *
 * Cost: O(1) per event except on the synchronization itself, where a
 * vector join costs O(threads).  No allocation per event once the tables
 * have grown; snapshots are recycled through a free list.
 */
#ifndef HBT_HB_H
#define HBT_HB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbt_reader.h"

/* A vector clock: c[serial] for thread serials 0..n-1 (0 unused). */
struct vc {
	uint32_t n, cap;
	uint32_t *c;
};

void vc_init(struct vc *v);
void vc_free(struct vc *v);
/* Component of thread 'serial' (0 past the end). */
static inline uint32_t vc_get(const struct vc *v, uint32_t serial)
{
	return serial < v->n ? v->c[serial] : 0;
}
int vc_set(struct vc *v, uint32_t serial, uint32_t value);
/* v = max(v, w) componentwise.  Returns 0 or -ENOMEM. */
int vc_join(struct vc *v, const struct vc *w);
int vc_copy(struct vc *dst, const struct vc *src);
/* Every component of a <= the one of b. */
bool vc_leq(const struct vc *a, const struct vc *b);

/*
 * An immutable, reference-counted copy of a thread's clock at some point.
 * Analyses keep one per interesting moment (a lock hold's start) without
 * copying vectors per event: consecutive snapshots of a thread share one
 * copy until its clock changes.
 */
struct vc_snap {
	uint32_t refs;
	uint32_t thread; /* whose clock */
	struct vc vc;
	struct vc_snap *next_free;
};

enum hb_flags {
	HB_LOCKS = 1u << 0, /* mutex release -> acquire orders too */
};

struct hb;

struct hb *hb_new(unsigned flags);
void hb_free(struct hb *h);
/* Feed one event of the merged stream (any type; unrelated ones are
 * ignored).  Incoming edges are joined and outgoing ones published (with
 * the epoch advanced) inside the call, so an analysis that reads a clock
 * right after it sees the event's own position. */
void hb_event(struct hb *h, const struct hbt_event *ev);
/* Current clock of a thread (created empty on first use; NULL on ENOMEM). */
const struct vc *hb_clock(struct hb *h, uint32_t thread);
/* The thread's current epoch (its own component). */
uint32_t hb_epoch(struct hb *h, uint32_t thread);
/* A shared snapshot of the thread's current clock; hb_snap_put() it. */
struct vc_snap *hb_snap_get(struct hb *h, uint32_t thread);
void hb_snap_put(struct hb *h, struct vc_snap *s);
/* Does the point (thread, epoch) happen before the point of snapshot s? */
static inline bool hb_before(uint32_t thread, uint32_t epoch,
			     const struct vc_snap *s)
{
	return s && vc_get(&s->vc, thread) >= epoch;
}

#endif /* HBT_HB_H */
