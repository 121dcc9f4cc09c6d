// SPDX-License-Identifier: MIT
/*
 * test_misuse.c - api-misuse details on generated traces.
 */
#include <errno.h>

#include "an_trace.h"

#define M 0x1000
#define M2 0x1100
#define CV 0x2000
#define RW 0x3000
#define SEM 0x4000

static const char *only_detail(struct tw *t)
{
	cr_assert_eq(t->l.n, 1, "expected one finding, got %zu", t->l.n);
	cr_assert_eq(t->l.items[0]->kind, FK_API_MISUSE);
	return t->l.items[0]->detail;
}

static bool has_detail(const struct tw *t, const char *d)
{
	size_t i;

	for (i = 0; i < t->l.n; i++)
		if (t->l.items[i]->detail && !strcmp(t->l.items[i]->detail, d))
			return true;
	return false;
}

static void init(struct tw *t, uint64_t obj, uint8_t kind, uint64_t attr)
{
	struct hbt_event ev = { .type = HBT_REC_OBJ_INIT, .obj = obj,
				.kind = kind, .arg = attr };

	tw_put(t, 1, &ev);
}

static void destroy(struct tw *t, uint32_t th, uint64_t obj, uint8_t kind)
{
	struct hbt_event ev = { .type = HBT_REC_OBJ_DESTROY, .obj = obj,
				.kind = kind };

	tw_put(t, th, &ev);
}

Test(misuse, unlock_not_locked)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	TW_UNLOCK(&t, 1, M);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_str_eq(only_detail(&t), "unlock-not-held");
	cr_assert(t.l.items[0]->is_error);
	tw_free(&t);
}

Test(misuse, unlock_other_thread)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	TW_LOCK(&t, 1, M);
	TW_UNLOCK(&t, 2, M);
	tw_end(&t, 2, 0);
	tw_join(&t, 1, 2);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_str_eq(only_detail(&t), "unlock-not-held");
	tw_free(&t);
}

Test(misuse, errorcheck_relock)
{
	struct tw t;
	struct hbt_event fail = { .type = HBT_REC_FAIL, .obj = M,
				  .kind = HBT_OBJ_MUTEX,
				  .outcome = HBT_OUT_ERROR, .err = EDEADLK };

	tw_open(&t);
	tw_start(&t, 1, 0);
	init(&t, M, HBT_OBJ_MUTEX, HBT_MUTEX_ERRORCHECK);
	TW_LOCK(&t, 1, M);
	tw_ev(&t, 1, HBT_REC_REQUEST, M, HBT_OBJ_MUTEX, 0, 0);
	tw_put(&t, 1, &fail);
	TW_UNLOCK(&t, 1, M);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_str_eq(only_detail(&t), "errorcheck-relock");
	tw_free(&t);
}

Test(misuse, destroy_locked)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	TW_LOCK(&t, 1, M);
	destroy(&t, 1, M, HBT_OBJ_MUTEX);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_str_eq(only_detail(&t), "destroy-locked");
	tw_free(&t);
}

Test(misuse, destroy_rwlock_held)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_ev(&t, 1, HBT_REC_ACQUIRE, RW, HBT_OBJ_RWLOCK, HBT_OP_READ, 0);
	destroy(&t, 1, RW, HBT_OBJ_RWLOCK);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_str_eq(only_detail(&t), "destroy-rwlock-held");
	tw_free(&t);
}

Test(misuse, rwlock_unlock_not_held)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_ev(&t, 1, HBT_REC_RELEASE, RW, HBT_OBJ_RWLOCK, 0, 0);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_str_eq(only_detail(&t), "rwlock-unlock-not-held");
	tw_free(&t);
}

static void cond_wait(struct tw *t, uint32_t th, uint64_t cv, uint64_t m)
{
	struct hbt_event ev = { .type = HBT_REC_COND_WAIT, .obj = cv,
				.kind = HBT_OBJ_COND, .obj2 = m };

	tw_put(t, th, &ev);
}

Test(misuse, cond_wait_not_held)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	cond_wait(&t, 1, CV, M);
	tw_analyze(&t);
	cr_assert_str_eq(only_detail(&t), "cond-wait-mutex-not-held");
	tw_free(&t);
}

Test(misuse, cond_multiple_mutexes_and_destroy_with_waiters)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	tw_create(&t, 1, 3);
	/* the waiters post 'ready' before waiting: that orders the
	 * destroy after both waits */
	TW_LOCK(&t, 2, M);
	tw_ev(&t, 2, HBT_REC_POST, SEM, HBT_OBJ_SEM, 0, 0);
	cond_wait(&t, 2, CV, M);
	TW_LOCK(&t, 3, M2);
	tw_ev(&t, 3, HBT_REC_POST, SEM, HBT_OBJ_SEM, 0, 0);
	cond_wait(&t, 3, CV, M2);
	tw_ev(&t, 1, HBT_REC_ACQUIRE, SEM, HBT_OBJ_SEM, 0, 0);
	destroy(&t, 1, CV, HBT_OBJ_COND);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_API_MISUSE), 2);
	cr_assert(has_detail(&t, "cond-multiple-mutexes"));
	cr_assert(has_detail(&t, "destroy-cond-with-waiters"));
	tw_free(&t);
}

Test(misuse, sem_destroy_with_waiters)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	tw_ev(&t, 2, HBT_REC_POST, SEM + 8, HBT_OBJ_SEM, 0, 0);
	tw_ev(&t, 2, HBT_REC_REQUEST, SEM, HBT_OBJ_SEM, 0, 0);
	tw_ev(&t, 1, HBT_REC_ACQUIRE, SEM + 8, HBT_OBJ_SEM, 0, 0);
	destroy(&t, 1, SEM, HBT_OBJ_SEM);
	tw_analyze(&t);
	cr_assert_eq(tw_count(&t, FK_API_MISUSE), 1);
	cr_assert(has_detail(&t, "sem-destroy-with-waiters"));
	tw_free(&t);
}

Test(misuse, thread_exit_holding_locks)
{
	struct tw t;

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	TW_LOCK(&t, 2, M);
	{
		struct hbt_event end = { .type = HBT_REC_THREAD_END,
					 .arg = 1 };

		tw_put(&t, 2, &end);
	}
	tw_join(&t, 1, 2);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_str_eq(only_detail(&t), "thread-exit-holding-locks");
	tw_free(&t);
}

Test(misuse, correct_use_is_quiet)
{
	struct tw t;
	struct hbt_event wake = { .type = HBT_REC_COND_WAKE, .obj = CV,
				  .kind = HBT_OBJ_COND, .obj2 = M,
				  .seq = 1, .seq2 = 2 };

	tw_open(&t);
	tw_start(&t, 1, 0);
	tw_create(&t, 1, 2);
	TW_LOCK(&t, 2, M);
	cond_wait(&t, 2, CV, M);
	TW_LOCK(&t, 1, M);
	tw_ev(&t, 1, HBT_REC_POST, CV, HBT_OBJ_COND, 0, 0);
	TW_UNLOCK(&t, 1, M);
	t.acq[tw_slot(&t, M)]++;
	tw_put(&t, 2, &wake);
	TW_UNLOCK(&t, 2, M);
	tw_end(&t, 2, 0);
	tw_join(&t, 1, 2);
	destroy(&t, 1, CV, HBT_OBJ_COND);
	destroy(&t, 1, M, HBT_OBJ_MUTEX);
	tw_end(&t, 1, 0);
	tw_analyze(&t);
	cr_assert_eq(t.l.n, 0, "got %zu findings", t.l.n);
	tw_free(&t);
}
