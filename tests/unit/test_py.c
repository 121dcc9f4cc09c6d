// SPDX-License-Identifier: MIT
/*
 * test_py.c - the Python analyses (py_tasks.c, py_shared.c) on generated
 * traces: unawaited tasks, loop stalls, await cycles, a loop thread blocked
 * by a suspended task, lost updates across await and data races.
 */
#include "an_trace.h"

#define G  0x7000 /* a module's globals dict */
#define L1 0x8000
#define TL 0x9000

static uint32_t py_str(struct tw *t, const char *s)
{
	int id = hbt_filewriter_string(t->w, s);

	cr_assert_gt(id, 0);
	return (uint32_t)id;
}

static void task_ev(struct tw *t, uint32_t th, uint8_t type, uint64_t task)
{
	struct hbt_event ev = {.type = type, .obj = task};

	tw_put(t, th, &ev);
}

static void suspend(struct tw *t, uint32_t th, uint64_t task)
{
	task_ev(t, th, HBT_REC_TASK_SUSPEND, task);
}

static void pyacc(struct tw *t, uint32_t th, uint8_t op, uint64_t obj,
		  uint32_t name, uint64_t task)
{
	struct hbt_event ev = {.type = HBT_REC_PY_ACCESS,
			       .op = op,
			       .outcome = 1,
			       .obj = obj,
			       .arg = name,
			       .obj2 = task};

	tw_put(t, th, &ev);
}

static void left(struct tw *t, uint32_t th, uint64_t task, uint8_t why)
{
	struct hbt_event ev = {
		.type = HBT_REC_TASK_LEFT, .obj = task, .op = why};

	tw_put(t, th, &ev);
}

Test(py, unawaited_details)
{
	struct tw t;
	const struct finding *f;

	tw_open(&t);
	tw_start(&t, 1, 0);
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 1);
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 2);
	left(&t, 1, 2, 2);
	left(&t, 1, 2, 3); /* one finding per task */
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 3);
	left(&t, 1, 3, 4);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_UNAWAITED_TASK), 2);
	f = tw_first(&t, FK_UNAWAITED_TASK);
	cr_assert(f->detail);
	cr_assert(!strcmp(f->detail, "pending-at-exit") ||
		  !strcmp(f->detail, "exception-never-retrieved"));
	tw_free(&t);
}

Test(py, loop_stall_threshold)
{
	struct tw t;
	struct hbt_event ev = {.type = HBT_REC_LOOP_STALL, .obj = 1};

	tw_open(&t);
	tw_start(&t, 1, 0);
	ev.arg = 50000000; /* 50 ms: under the default threshold */
	tw_put(&t, 1, &ev);
	ev.arg = 250000000;
	tw_put(&t, 1, &ev);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOOP_STALL), 1);
	tw_free(&t);
}

Test(py, lost_update_across_await)
{
	struct tw t;
	uint32_t x;

	tw_open(&t);
	tw_start(&t, 1, 0);
	x = py_str(&t, "counter");
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 1);
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 2);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 1);
	pyacc(&t, 1, 1, G, x, 1);
	suspend(&t, 1, 1);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 2);
	pyacc(&t, 1, 1, G, x, 2);
	suspend(&t, 1, 2);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 1);
	pyacc(&t, 1, 2, G, x, 1);
	task_ev(&t, 1, HBT_REC_TASK_DONE, 1);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 2);
	pyacc(&t, 1, 2, G, x, 2);
	task_ev(&t, 1, HBT_REC_TASK_DONE, 2);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOST_UPDATE), 1);
	cr_assert(!tw_first(&t, FK_LOST_UPDATE)->predicted);
	cr_assert_eq(tw_count(&t, FK_DATA_RACE), 0);
	tw_free(&t);
}

Test(py, lost_update_under_lock_is_fine)
{
	struct tw t;
	uint32_t x;
	int i;

	tw_open(&t);
	tw_start(&t, 1, 0);
	x = py_str(&t, "counter");
	for (i = 1; i <= 2; i++) {
		task_ev(&t, 1, HBT_REC_TASK_CREATE, i);
		task_ev(&t, 1, HBT_REC_TASK_STEP, i);
		tw_ev(&t, 1, HBT_REC_ACQUIRE, L1, HBT_OBJ_AIO_LOCK, 0, 0);
		pyacc(&t, 1, 1, G, x, i);
		suspend(&t, 1, i);
		task_ev(&t, 1, HBT_REC_TASK_STEP, i);
		pyacc(&t, 1, 2, G, x, i);
		tw_ev(&t, 1, HBT_REC_RELEASE, L1, HBT_OBJ_AIO_LOCK, 0, 0);
		task_ev(&t, 1, HBT_REC_TASK_DONE, i);
	}
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOST_UPDATE), 0);
	tw_free(&t);
}

Test(py, lost_update_predicted)
{
	struct tw t;
	uint32_t x;

	tw_open(&t);
	tw_start(&t, 1, 0);
	x = py_str(&t, "balance");
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 1);
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 2);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 1);
	pyacc(&t, 1, 1, G, x, 1);
	suspend(&t, 1, 1);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 1);
	pyacc(&t, 1, 2, G, x, 1);
	task_ev(&t, 1, HBT_REC_TASK_DONE, 1);
	/* task 2 existed during that window and writes later */
	task_ev(&t, 1, HBT_REC_TASK_STEP, 2);
	pyacc(&t, 1, 2, G, x, 2);
	task_ev(&t, 1, HBT_REC_TASK_DONE, 2);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_LOST_UPDATE), 1);
	cr_assert(tw_first(&t, FK_LOST_UPDATE)->predicted);
	tw_free(&t);
}

Test(py, race_thread_vs_loop)
{
	struct tw t;
	uint32_t x;

	tw_open(&t);
	tw_start(&t, 1, 0);
	x = py_str(&t, "total");
	tw_create(&t, 1, 2);
	pyacc(&t, 2, 2, G, x, 0);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 1);
	pyacc(&t, 1, 1, G, x, 1);
	pyacc(&t, 1, 2, G, x, 1);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DATA_RACE), 1);
	/* the race is the finding; no lost update on top */
	cr_assert_eq(tw_count(&t, FK_LOST_UPDATE), 0);
	tw_free(&t);
}

Test(py, race_ordered_by_threading_lock)
{
	struct tw t;
	uint32_t x;

	tw_open(&t);
	tw_start(&t, 1, 0);
	x = py_str(&t, "total");
	tw_create(&t, 1, 2);
	tw_ev(&t, 2, HBT_REC_ACQUIRE, TL, HBT_OBJ_PY_LOCK, 0, 0);
	pyacc(&t, 2, 2, G, x, 0);
	tw_ev(&t, 2, HBT_REC_RELEASE, TL, HBT_OBJ_PY_LOCK, 0, 0);
	tw_ev(&t, 1, HBT_REC_ACQUIRE, TL, HBT_OBJ_PY_LOCK, 0, 0);
	pyacc(&t, 1, 1, G, x, 0);
	pyacc(&t, 1, 2, G, x, 0);
	tw_ev(&t, 1, HBT_REC_RELEASE, TL, HBT_OBJ_PY_LOCK, 0, 0);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DATA_RACE), 0);
	tw_free(&t);
}

Test(py, race_not_hidden_by_native_locks)
{
	struct tw t;
	uint32_t x;

	/* a pthread mutex (the GIL) orders the threads natively: not a
	 * Python-level order */
	tw_open(&t);
	tw_start(&t, 1, 0);
	x = py_str(&t, "total");
	tw_create(&t, 1, 2);
	TW_LOCK(&t, 2, 0x5000);
	pyacc(&t, 2, 2, G, x, 0);
	TW_UNLOCK(&t, 2, 0x5000);
	TW_LOCK(&t, 1, 0x5000);
	pyacc(&t, 1, 2, G, x, 0);
	TW_UNLOCK(&t, 1, 0x5000);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DATA_RACE), 1);
	tw_free(&t);
}

Test(py, await_cycle_deadlock)
{
	struct tw t;
	struct hbt_event aw = {.type = HBT_REC_TASK_AWAIT, .obj = 1, .obj2 = 2};

	tw_open(&t);
	tw_start(&t, 1, 0);
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 1);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 1);
	tw_ev(&t, 1, HBT_REC_ACQUIRE, L1, HBT_OBJ_AIO_LOCK, 0, 0);
	task_ev(&t, 1, HBT_REC_TASK_CREATE, 2);
	tw_put(&t, 1, &aw);
	suspend(&t, 1, 1);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 2);
	tw_ev(&t, 1, HBT_REC_REQUEST, L1, HBT_OBJ_AIO_LOCK, 0, 0);
	suspend(&t, 1, 2);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DEADLOCK), 1);
	tw_free(&t);
}

Test(py, loop_blocked_by_suspended_task)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 1);
	tw_ev(&t, 1, HBT_REC_ACQUIRE, TL, HBT_OBJ_PY_LOCK, 0, 0);
	suspend(&t, 1, 1);
	task_ev(&t, 1, HBT_REC_TASK_STEP, 2);
	tw_ev(&t, 1, HBT_REC_REQUEST, TL, HBT_OBJ_PY_LOCK, 0, 0);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_DEADLOCK), 1);
	tw_free(&t);
}

Test(py, lock_taken_in_turns_is_fine)
{
	struct tw t;
	int i;

	tw_open(&t);
	tw_start(&t, 1, 0);
	for (i = 0; i < 4; i++) {
		uint64_t task = 1 + (i & 1);

		task_ev(&t, 1, HBT_REC_TASK_STEP, task);
		tw_ev(&t, 1, HBT_REC_ACQUIRE, L1, HBT_OBJ_AIO_LOCK, 0, 0);
		suspend(&t, 1, task);
		task_ev(&t, 1, HBT_REC_TASK_STEP, task);
		tw_ev(&t, 1, HBT_REC_RELEASE, L1, HBT_OBJ_AIO_LOCK, 0, 0);
		suspend(&t, 1, task);
	}
	tw_analyze(&t);
	cr_assert_eq(t.l.n, 0);
	tw_free(&t);
}
