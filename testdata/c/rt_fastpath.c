// SPDX-License-Identifier: MIT
/*
 * rt_fastpath.c - every way out of the runtime's pthread_mutex_lock and
 * pthread_mutex_unlock fast paths, each taken a few rounds from the same
 * call sites (so the fast path gets its chance): nesting released in and
 * out of order, a recursive relock, an errorcheck relock (EDEADLK) and
 * unlock by a non-holder (EPERM), a trylock of a held mutex, a robust
 * mutex, and an unlock that fails although the mutex is the innermost one
 * held (re-initialized while held: undefined for POSIX, plain for glibc).
 * Prints every return value and checks that errno is left alone; exits 1
 * if it was not.  The trace must be the same with the stack cache (and
 * with it the fast paths) on and off (tests/e2e/fastpath.sh).
 * Usage: rt_fastpath [ROUNDS]
 */
#define _GNU_SOURCE /* PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t fp_outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t fp_inner = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t fp_rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t fp_check, fp_robust, fp_reinit;
static pthread_mutexattr_t fp_check_attr;
static int fp_errno_changed;

/* Call 'call' with errno set to a marker; the marker must survive. */
#define FP_CALL(call)                                                      \
	({                                                                 \
		int r_;                                                    \
		errno = 4242;                                              \
		r_ = (call);                                               \
		if (errno != 4242) {                                       \
			printf("errno changed by %s: %d\n", #call, errno); \
			fp_errno_changed = 1;                              \
		}                                                          \
		r_;                                                        \
	})

static void fp_report(const char *what, int r)
{
	printf("%s %d\n", what, r);
}

__attribute__((noinline)) static void fp_round(void)
{
	fp_report("lock-outer", FP_CALL(pthread_mutex_lock(&fp_outer)));
	fp_report("lock-inner", FP_CALL(pthread_mutex_lock(&fp_inner)));
	fp_report("unlock-inner", FP_CALL(pthread_mutex_unlock(&fp_inner)));
	fp_report("unlock-outer", FP_CALL(pthread_mutex_unlock(&fp_outer)));

	/* released out of order: the first unlock is not the innermost */
	fp_report("lock-outer", FP_CALL(pthread_mutex_lock(&fp_outer)));
	fp_report("lock-inner", FP_CALL(pthread_mutex_lock(&fp_inner)));
	fp_report("unlock-outer", FP_CALL(pthread_mutex_unlock(&fp_outer)));
	fp_report("unlock-inner", FP_CALL(pthread_mutex_unlock(&fp_inner)));

	fp_report("lock-rec", FP_CALL(pthread_mutex_lock(&fp_rec)));
	fp_report("relock-rec", FP_CALL(pthread_mutex_lock(&fp_rec)));
	fp_report("unlock-rec", FP_CALL(pthread_mutex_unlock(&fp_rec)));
	fp_report("unlock-rec", FP_CALL(pthread_mutex_unlock(&fp_rec)));

	fp_report("lock-check", FP_CALL(pthread_mutex_lock(&fp_check)));
	fp_report("relock-check", FP_CALL(pthread_mutex_lock(&fp_check)));
	fp_report("trylock-check", FP_CALL(pthread_mutex_trylock(&fp_check)));
	fp_report("unlock-check", FP_CALL(pthread_mutex_unlock(&fp_check)));
	fp_report("unlock-check-again",
		  FP_CALL(pthread_mutex_unlock(&fp_check)));

	fp_report("lock-robust", FP_CALL(pthread_mutex_lock(&fp_robust)));
	fp_report("unlock-robust", FP_CALL(pthread_mutex_unlock(&fp_robust)));

	fp_report("lock-reinit", FP_CALL(pthread_mutex_lock(&fp_reinit)));
	pthread_mutex_init(&fp_reinit, &fp_check_attr);
	fp_report("unlock-reinit", FP_CALL(pthread_mutex_unlock(&fp_reinit)));
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 6;
	pthread_mutexattr_t robust;

	pthread_mutexattr_init(&fp_check_attr);
	pthread_mutexattr_settype(&fp_check_attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&fp_check, &fp_check_attr);
	pthread_mutex_init(&fp_reinit, &fp_check_attr);
	pthread_mutexattr_init(&robust);
	pthread_mutexattr_setrobust(&robust, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&fp_robust, &robust);
	for (int i = 0; i < rounds; i++)
		fp_round();
	printf("errno %s\n", fp_errno_changed ? "changed" : "kept");
	return fp_errno_changed;
}
