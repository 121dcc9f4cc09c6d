// SPDX-License-Identifier: MIT
/*
 * test_lockorder.c - the lock-order-cycle analysis on generated traces:
 * what must be found and what must not.
 */
#include "an_trace.h"

#define A 0x1000
#define B 0x2000
#define C 0x3000
#define G 0x4000

/* main creates T2 and T3, joins both at the end */
static void two_threads(struct tw *t)
{
	tw_start(t, 1, 0);
	tw_create(t, 1, 2);
	tw_create(t, 1, 3);
}

static void join_two(struct tw *t)
{
	tw_end(t, 2, 0);
	tw_end(t, 3, 0);
	tw_join(t, 1, 2);
	tw_join(t, 1, 3);
	tw_end(t, 1, 0);
}

/* T2 takes A then B, T3 B then A; analyzed */
static void abba(struct tw *t)
{
	two_threads(t);
	TW_LOCK(t, 2, A); TW_LOCK(t, 2, B); TW_UNLOCK(t, 2, B); TW_UNLOCK(t, 2, A);
	TW_LOCK(t, 3, B); TW_LOCK(t, 3, A); TW_UNLOCK(t, 3, A); TW_UNLOCK(t, 3, B);
	join_two(t);
	tw_analyze(t);
}

Test(lockorder, abba_found)
{
	struct tw t;
	const struct finding *f;

	tw_open(&t);
	abba(&t);
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 1);
	f = tw_first(&t, FK_LOCK_ORDER_CYCLE);
	cr_assert_eq(f->nlocks, 2);
	/* no stacks in this trace: no "acquired here" context steps */
	cr_assert_eq(f->nsteps, 2);
	cr_assert(!f->steps[0].context);
	cr_assert(f->predicted);
	cr_assert(f->is_error);
	cr_assert_eq(strlen(f->id), 16);
	cr_assert_eq(t.l.n, 1, "only the cycle, got %zu findings", t.l.n);
	tw_free(&t);
}

/* lock names longer than the message's slack (an unsymbolized heap lock
 * is named by its whole init site): the message holds them all, the
 * first one twice */
Test(lockorder, long_lock_names)
{
	struct tw t;
	const struct finding *f;
	char a[301], b[301], want[1000];

	memset(a, 'a', 300);
	memset(b, 'b', 300);
	a[300] = b[300] = 0;
	tw_open(&t);
	cr_assert_eq(hbt_filewriter_obj_name(t.w, A, HBT_OBJ_MUTEX, a), 0);
	cr_assert_eq(hbt_filewriter_obj_name(t.w, B, HBT_OBJ_MUTEX, b), 0);
	abba(&t);
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 1);
	f = tw_first(&t, FK_LOCK_ORDER_CYCLE);
	snprintf(want, sizeof(want), "lock order cycle: %s => %s => %s", a, b,
		 a);
	cr_assert_str_eq(f->message, want);
	tw_free(&t);
}

/* the same cycle, seen from the other lock first: same id */
Test(lockorder, id_independent_of_start)
{
	struct tw t1, t2;

	tw_open(&t1);
	two_threads(&t1);
	TW_LOCK(&t1, 2, A); TW_LOCK(&t1, 2, B); TW_UNLOCK(&t1, 2, B); TW_UNLOCK(&t1, 2, A);
	TW_LOCK(&t1, 3, B); TW_LOCK(&t1, 3, A); TW_UNLOCK(&t1, 3, A); TW_UNLOCK(&t1, 3, B);
	join_two(&t1);
	tw_analyze(&t1);
	tw_open(&t2);
	two_threads(&t2);
	TW_LOCK(&t2, 2, B); TW_LOCK(&t2, 2, A); TW_UNLOCK(&t2, 2, A); TW_UNLOCK(&t2, 2, B);
	TW_LOCK(&t2, 3, A); TW_LOCK(&t2, 3, B); TW_UNLOCK(&t2, 3, B); TW_UNLOCK(&t2, 3, A);
	join_two(&t2);
	tw_analyze(&t2);
	cr_assert_eq(t1.l.n, 1);
	cr_assert_eq(t2.l.n, 1);
	cr_assert_str_eq(t1.l.items[0]->id, t2.l.items[0]->id);
	tw_free(&t1);
	tw_free(&t2);
}

Test(lockorder, gate_lock_hides)
{
	struct tw t;

	tw_open(&t);
	two_threads(&t);
	TW_LOCK(&t, 2, G); TW_LOCK(&t, 2, A); TW_LOCK(&t, 2, B);
	TW_UNLOCK(&t, 2, B); TW_UNLOCK(&t, 2, A); TW_UNLOCK(&t, 2, G);
	TW_LOCK(&t, 3, G); TW_LOCK(&t, 3, B); TW_LOCK(&t, 3, A);
	TW_UNLOCK(&t, 3, A); TW_UNLOCK(&t, 3, B); TW_UNLOCK(&t, 3, G);
	join_two(&t);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 0);
	tw_free(&t);
}

Test(lockorder, same_thread_no_cycle)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	TW_LOCK(&t, 1, A); TW_LOCK(&t, 1, B); TW_UNLOCK(&t, 1, B); TW_UNLOCK(&t, 1, A);
	TW_LOCK(&t, 1, B); TW_LOCK(&t, 1, A); TW_UNLOCK(&t, 1, A); TW_UNLOCK(&t, 1, B);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_eq(t.l.n, 0);
	tw_free(&t);
}

/* main: A->B, then creates T2 which does B->A: ordered by create */
Test(lockorder, create_orders)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	TW_LOCK(&t, 1, A); TW_LOCK(&t, 1, B); TW_UNLOCK(&t, 1, B); TW_UNLOCK(&t, 1, A);
	tw_create(&t, 1, 2);
	TW_LOCK(&t, 2, B); TW_LOCK(&t, 2, A); TW_UNLOCK(&t, 2, A); TW_UNLOCK(&t, 2, B);
	tw_end(&t, 2, 0);
	tw_join(&t, 1, 2);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_eq(t.l.n, 0);
	tw_free(&t);
}

Test(lockorder, trylock_no_edge)
{
	struct tw t;

	tw_open(&t);
	two_threads(&t);
	TW_LOCK(&t, 2, A); TW_LOCK(&t, 2, B); TW_UNLOCK(&t, 2, B); TW_UNLOCK(&t, 2, A);
	TW_LOCK(&t, 3, B);
	tw_ev(&t, 3, HBT_REC_ACQUIRE, A, HBT_OBJ_MUTEX, HBT_OP_TRY, 0);
	TW_UNLOCK(&t, 3, A); TW_UNLOCK(&t, 3, B);
	join_two(&t);
	tw_analyze(&t);
	cr_assert_eq(t.l.n, 0);
	tw_free(&t);
}

Test(lockorder, three_locks_one_cycle)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	tw_create(&t, 1, 3);
	tw_create(&t, 1, 4);
	TW_LOCK(&t, 2, A); TW_LOCK(&t, 2, B); TW_UNLOCK(&t, 2, B); TW_UNLOCK(&t, 2, A);
	TW_LOCK(&t, 3, B); TW_LOCK(&t, 3, C); TW_UNLOCK(&t, 3, C); TW_UNLOCK(&t, 3, B);
	TW_LOCK(&t, 4, C); TW_LOCK(&t, 4, A); TW_UNLOCK(&t, 4, A); TW_UNLOCK(&t, 4, C);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 1);
	cr_assert_eq(tw_first(&t, FK_LOCK_ORDER_CYCLE)->nlocks, 3);
	tw_free(&t);
}

Test(lockorder, rwlock_read_read_no_cycle)
{
	struct tw t;

	tw_open(&t);
	two_threads(&t);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, A, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, B, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 2, HBT_REC_RELEASE, B, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 2, HBT_REC_RELEASE, A, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 3, HBT_REC_ACQUIRE, B, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 3, HBT_REC_ACQUIRE, A, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 3, HBT_REC_RELEASE, A, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 3, HBT_REC_RELEASE, B, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	join_two(&t);
	tw_analyze(&t);
	cr_assert_eq(t.l.n, 0);
	tw_free(&t);
}

Test(lockorder, rwlock_read_write_cycle)
{
	struct tw t;

	tw_open(&t);
	two_threads(&t);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, A, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, B, HBT_OBJ_RWLOCK, 0, 0);
	tw_ev(&t, 2, HBT_REC_RELEASE, B, HBT_OBJ_RWLOCK, 0, 0);
	tw_ev(&t, 2, HBT_REC_RELEASE, A, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 3, HBT_REC_ACQUIRE, B, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	tw_ev(&t, 3, HBT_REC_ACQUIRE, A, HBT_OBJ_RWLOCK, 0, 0);
	tw_ev(&t, 3, HBT_REC_RELEASE, A, HBT_OBJ_RWLOCK, 0, 0);
	tw_ev(&t, 3, HBT_REC_RELEASE, B, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	join_two(&t);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 1);
	tw_free(&t);
}

/* five philosophers: one finding naming five locks */
Test(lockorder, philosophers)
{
	struct tw t;
	uint32_t i;

	tw_open(&t);
	tw_start(&t, 1, 0);
	for (i = 0; i < 5; i++)
		tw_create(&t, 1, 2 + i);
	for (i = 0; i < 5; i++) {
		uint64_t l = 0x100 * (i + 1), r = 0x100 * ((i + 1) % 5 + 1);

		TW_LOCK(&t, 2 + i, l); TW_LOCK(&t, 2 + i, r);
		TW_UNLOCK(&t, 2 + i, r); TW_UNLOCK(&t, 2 + i, l);
	}
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 1);
	cr_assert_eq(tw_first(&t, FK_LOCK_ORDER_CYCLE)->nlocks, 5);
	tw_free(&t);
}

/* recursive relock by the owner is no edge */
Test(lockorder, recursive_relock)
{
	struct tw t;
	struct hbt_event init = { .type = HBT_REC_OBJ_INIT, .obj = A,
				  .kind = HBT_OBJ_MUTEX,
				  .arg = HBT_MUTEX_RECURSIVE };

	tw_open(&t);
	two_threads(&t);
	tw_put(&t, 1, &init);
	TW_LOCK(&t, 2, A); TW_LOCK(&t, 2, B);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, A, HBT_OBJ_MUTEX, HBT_OP_RECURSIVE, 0);
	tw_ev(&t, 2, HBT_REC_RELEASE, A, HBT_OBJ_MUTEX, HBT_OP_RECURSIVE, 0);
	TW_UNLOCK(&t, 2, B); TW_UNLOCK(&t, 2, A);
	join_two(&t);
	tw_analyze(&t);
	cr_assert_eq(t.l.n, 0);
	tw_free(&t);
}

/* a threading.Lock released by another thread is no longer held */
Test(lockorder, py_lock_released_elsewhere)
{
	struct tw t;

	tw_open(&t);
	two_threads(&t);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, A, HBT_OBJ_PY_LOCK, 0, 0);
	tw_ev(&t, 2, HBT_REC_POST, G, HBT_OBJ_PY_SEM, 0, 0);
	tw_ev(&t, 3, HBT_REC_ACQUIRE, G, HBT_OBJ_PY_SEM, 0, 0);
	tw_ev(&t, 3, HBT_REC_RELEASE, A, HBT_OBJ_PY_LOCK, 0, 0);
	tw_ev(&t, 3, HBT_REC_POST, G + 8, HBT_OBJ_PY_SEM, 0, 0);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, G + 8, HBT_OBJ_PY_SEM, 0, 0);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, B, HBT_OBJ_PY_LOCK, 0, 0);
	tw_ev(&t, 2, HBT_REC_RELEASE, B, HBT_OBJ_PY_LOCK, 0, 0);
	tw_ev(&t, 3, HBT_REC_ACQUIRE, B, HBT_OBJ_PY_LOCK, 0, 0);
	tw_ev(&t, 3, HBT_REC_ACQUIRE, A, HBT_OBJ_PY_LOCK, 0, 0);
	tw_ev(&t, 3, HBT_REC_RELEASE, A, HBT_OBJ_PY_LOCK, 0, 0);
	tw_ev(&t, 3, HBT_REC_RELEASE, B, HBT_OBJ_PY_LOCK, 0, 0);
	join_two(&t);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 0);
	cr_assert_eq(tw_count(&t, FK_API_MISUSE), 0);
	tw_free(&t);
}

/* two asyncio tasks on one loop thread, opposite orders across awaits:
 * a cycle between tasks, steps carry the task */
static void task_step(struct tw *t, uint64_t task, uint64_t first,
		      uint64_t second)
{
	struct hbt_event st = { .type = HBT_REC_TASK_STEP, .obj = task },
			 su = { .type = HBT_REC_TASK_SUSPEND, .obj = task };

	tw_put(t, 1, &st);
	tw_ev(t, 1, HBT_REC_ACQUIRE, first, HBT_OBJ_AIO_LOCK, 0, 0);
	tw_put(t, 1, &su); /* awaits while holding 'first' */
	tw_put(t, 1, &st);
	tw_ev(t, 1, HBT_REC_ACQUIRE, second, HBT_OBJ_AIO_LOCK, 0, 0);
	tw_ev(t, 1, HBT_REC_RELEASE, second, HBT_OBJ_AIO_LOCK, 0, 0);
	tw_ev(t, 1, HBT_REC_RELEASE, first, HBT_OBJ_AIO_LOCK, 0, 0);
	tw_put(t, 1, &su);
}

Test(lockorder, tasks_cycle)
{
	struct tw t;
	const struct finding *f;

	tw_open(&t);
	tw_start(&t, 1, 0);
	task_step(&t, 11, A, B);
	task_step(&t, 12, B, A);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOCK_ORDER_CYCLE), 1);
	f = tw_first(&t, FK_LOCK_ORDER_CYCLE);
	cr_assert_not_null(f->steps[0].task);
	cr_assert_not_null(f->steps[1].task);
	tw_free(&t);
}
