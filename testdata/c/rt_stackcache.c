// SPDX-License-Identifier: MIT
/*
 * rt_stackcache.c - lock call sites whose callers change under the same
 * call site and stack pointer, for the runtime's call-site stack cache:
 * one helper called from two callers at the same depth, frames with
 * variable-size alloca, recursion deeper than the stack depth, a rwlock
 * and a trylock.  The trace must carry the same stacks with the cache on
 * and off (tests/e2e/stackcache.sh).  Usage: rt_stackcache [ROUNDS]
 */
#include <alloca.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t sc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t sc_rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile int sc_sink;

__attribute__((noinline)) static void sc_take(void)
{
	pthread_mutex_lock(&sc_lock);
	sc_sink++;
	pthread_mutex_unlock(&sc_lock);
}

__attribute__((noinline)) static void sc_left(void)
{
	sc_take();
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

__attribute__((noinline)) static void sc_right(void)
{
	sc_take();
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void sc_var(int n)
{
	volatile char *p = alloca((size_t)n);

	p[0] = 1;
	sc_take();
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void sc_deep(int n)
{
	if (n > 0) {
		sc_deep(n - 1);
	} else {
		pthread_rwlock_rdlock(&sc_rw);
		pthread_rwlock_unlock(&sc_rw);
		if (!pthread_mutex_trylock(&sc_lock))
			pthread_mutex_unlock(&sc_lock);
	}
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void sc_round(int i)
{
	switch (i % 4) {
	case 0:
		sc_left();
		break;
	case 1:
		sc_right();
		break;
	case 2:
		sc_var(16 + (i % 5) * 32);
		break;
	default:
		sc_deep(i % 23);
		break;
	}
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;

	for (int i = 0; i < n; i++) {
		sc_round(i);
		if (i % 7 == 0)
			sc_left();
	}
	return 0;
}
