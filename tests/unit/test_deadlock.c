// SPDX-License-Identifier: MIT
/*
 * test_deadlock.c - deadlocks that happened, unjoined threads and tasks
 * as actors, on generated traces.
 */
#include "an_trace.h"

#define A 0x1000
#define B 0x2000

static void req(struct tw *t, uint32_t th, uint64_t obj)
{
	tw_ev(t, th, HBT_REC_REQUEST, obj, HBT_OBJ_MUTEX, 0, 0);
}

Test(deadlock, abba_blocked_at_end)
{
	struct tw t;
	const struct finding *f;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	tw_create(&t, 1, 3);
	TW_LOCK(&t, 2, A);
	TW_LOCK(&t, 3, B);
	req(&t, 2, B);
	req(&t, 3, A);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DEADLOCK), 1);
	/* the real deadlock is not reported a second time as a cycle */
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 0);
	f = tw_first(&t, FK_DEADLOCK);
	cr_assert(!f->predicted);
	cr_assert_eq(f->nlocks, 2);
	cr_assert_eq(f->nthreads, 2);
	tw_free(&t);
}

Test(deadlock, self_relock)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	TW_LOCK(&t, 1, A);
	req(&t, 1, A);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DEADLOCK), 1);
	tw_free(&t);
}

Test(deadlock, waiting_not_cycle)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	TW_LOCK(&t, 2, A);
	req(&t, 1, A);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DEADLOCK), 0);
	tw_free(&t);
}

/* main joins T2 while holding A; T2 waits for A */
Test(deadlock, join_cycle)
{
	struct tw t;
	struct hbt_event jr = { .type = HBT_REC_JOIN_REQUEST, .obj = 2 };

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	TW_LOCK(&t, 1, A);
	tw_put(&t, 1, &jr);
	req(&t, 2, A);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DEADLOCK), 1);
	tw_free(&t);
}

/* two asyncio tasks on one thread, opposite orders, both stuck */
Test(deadlock, tasks_are_actors)
{
	struct tw t;
	struct hbt_event st = { .type = HBT_REC_TASK_STEP },
			 su = { .type = HBT_REC_TASK_SUSPEND };

	tw_open(&t);
	tw_start(&t, 1, 0);
	st.obj = 11;
	tw_put(&t, 1, &st);
	tw_ev(&t, 1, HBT_REC_ACQUIRE, A, HBT_OBJ_AIO_LOCK, 0, 0);
	su.obj = 11;
	tw_put(&t, 1, &su);
	st.obj = 12;
	tw_put(&t, 1, &st);
	tw_ev(&t, 1, HBT_REC_ACQUIRE, B, HBT_OBJ_AIO_LOCK, 0, 0);
	tw_ev(&t, 1, HBT_REC_REQUEST, A, HBT_OBJ_AIO_LOCK, 0, 0);
	su.obj = 12;
	tw_put(&t, 1, &su);
	st.obj = 11;
	tw_put(&t, 1, &st);
	tw_ev(&t, 1, HBT_REC_REQUEST, B, HBT_OBJ_AIO_LOCK, 0, 0);
	su.obj = 11;
	tw_put(&t, 1, &su);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DEADLOCK), 1);
	cr_assert_not_null(tw_first(&t, FK_DEADLOCK)->steps[0].task);
	tw_free(&t);
}

Test(threads, unjoined)
{
	struct tw t;
	struct hbt_event det = { .type = HBT_REC_DETACH, .obj = 3 };

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	tw_create(&t, 1, 3);
	tw_create(&t, 1, 4);
	tw_put(&t, 1, &det);
	tw_end(&t, 2, 0);
	tw_end(&t, 3, 0);
	tw_end(&t, 4, 0);
	tw_join(&t, 1, 4);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_UNJOINED_THREAD), 1);
	cr_assert(!tw_first(&t, FK_UNJOINED_THREAD)->is_error);
	tw_free(&t);
}
