// SPDX-License-Identifier: MIT
/*
 * test_hb.c - vector clocks and the happens-before tracker.
 */
#include <criterion/criterion.h>

#include "analysis/hb.h"

static void feed(struct hb *h, uint32_t thread, uint8_t type, uint64_t obj,
		 uint8_t kind, uint64_t seq, uint64_t arg)
{
	struct hbt_event ev = { .thread = thread, .type = type, .obj = obj,
				.kind = kind, .seq = seq, .arg = arg };

	hb_event(h, &ev);
}

Test(hb, vc_basics)
{
	struct vc a, b;

	vc_init(&a);
	vc_init(&b);
	vc_set(&a, 1, 3);
	vc_set(&b, 2, 5);
	cr_assert(!vc_leq(&a, &b));
	vc_join(&b, &a);
	cr_assert(vc_leq(&a, &b));
	cr_assert_eq(vc_get(&b, 1), 3);
	cr_assert_eq(vc_get(&b, 7), 0);
	vc_free(&a);
	vc_free(&b);
}

Test(hb, create_join_and_snapshots)
{
	struct hb *h = hb_new(0);
	struct vc_snap *s1, *s2;
	uint32_t e;

	e = hb_epoch(h, 1);
	feed(h, 1, HBT_REC_THREAD_CREATE, 2, 0, 0, 0);
	s1 = hb_snap_get(h, 2);
	cr_assert(hb_before(1, e, s1), "create orders the parent's past");
	cr_assert(!hb_before(1, hb_epoch(h, 1), s1),
		  "but not what the parent does after");
	s2 = hb_snap_get(h, 2);
	cr_assert_eq(s1, s2, "unchanged clock, shared snapshot");
	e = hb_epoch(h, 2);
	feed(h, 1, HBT_REC_JOIN, 2, 0, 0, 0);
	hb_snap_put(h, s2);
	s2 = hb_snap_get(h, 1);
	cr_assert(hb_before(2, e, s2), "join orders the child's past");
	hb_snap_put(h, s1);
	hb_snap_put(h, s2);
	hb_free(h);
}

Test(hb, locks_only_when_asked)
{
	struct hb *h = hb_new(0), *hl = hb_new(HB_LOCKS);
	struct vc_snap *s;
	uint32_t e1 = hb_epoch(h, 1), e1l = hb_epoch(hl, 1);

	feed(h, 1, HBT_REC_RELEASE, 0x10, HBT_OBJ_MUTEX, 0, 0);
	feed(h, 2, HBT_REC_ACQUIRE, 0x10, HBT_OBJ_MUTEX, 2, 0);
	s = hb_snap_get(h, 2);
	cr_assert(!hb_before(1, e1, s));
	hb_snap_put(h, s);
	feed(hl, 1, HBT_REC_RELEASE, 0x10, HBT_OBJ_MUTEX, 0, 0);
	feed(hl, 2, HBT_REC_ACQUIRE, 0x10, HBT_OBJ_MUTEX, 2, 0);
	s = hb_snap_get(hl, 2);
	cr_assert(hb_before(1, e1l, s));
	hb_snap_put(hl, s);
	hb_free(h);
	hb_free(hl);
}

Test(hb, barrier_and_sem)
{
	struct hb *h = hb_new(0);
	struct vc_snap *s;
	uint32_t e1 = hb_epoch(h, 1), e2;

	feed(h, 1, HBT_REC_BARRIER_ARRIVE, 0x20, HBT_OBJ_BARRIER, 1, 2);
	feed(h, 2, HBT_REC_BARRIER_ARRIVE, 0x20, HBT_OBJ_BARRIER, 2, 2);
	feed(h, 2, HBT_REC_BARRIER_LEAVE, 0x20, HBT_OBJ_BARRIER, 2, 0);
	s = hb_snap_get(h, 2);
	cr_assert(hb_before(1, e1, s));
	hb_snap_put(h, s);
	e2 = hb_epoch(h, 2);
	feed(h, 2, HBT_REC_POST, 0x30, HBT_OBJ_SEM, 1, 0);
	feed(h, 3, HBT_REC_ACQUIRE, 0x30, HBT_OBJ_SEM, 1, 0);
	s = hb_snap_get(h, 3);
	cr_assert(hb_before(2, e2, s));
	hb_snap_put(h, s);
	hb_free(h);
}
