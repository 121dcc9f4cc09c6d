// SPDX-License-Identifier: MIT
/*
 * floor.c - what interposing the mutex calls costs before anything is
 * recorded: a preload library whose pthread_mutex_lock/unlock only pass
 * the call on to glibc.  The benchmarks run it beside hbtrace, so their
 * ratios can be read against the floor of any LD_PRELOAD recorder on
 * the same machine in the same run (docs/performance.md).
 *
 * FLOOR_WAIT=spin waits for a busy mutex the way libhbtrace.so's fast
 * path does (rt_mutex_spin in instrument/rt_pthread.c: up to 100 pauses
 * watching the lock word, a trylock when it reads 0, then the blocking
 * call); otherwise a busy mutex goes straight to glibc's futex wait.
 * Keep the spin in step with the runtime's, or the column means nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FLOOR_SPINS 100

typedef int (*mutex_fn)(pthread_mutex_t *);

static mutex_fn real_lock, real_trylock, real_unlock;
static bool floor_spin;

/* Resolved on first use as well: a constructor of another library may
 * lock a mutex before ours runs. */
static void floor_resolve(void)
{
	const char *w;
	cpu_set_t cpus;

	real_trylock = (mutex_fn)dlsym(RTLD_NEXT, "pthread_mutex_trylock");
	real_unlock = (mutex_fn)dlsym(RTLD_NEXT, "pthread_mutex_unlock");
	w = getenv("FLOOR_WAIT");
	/* as the runtime: no spin on one usable CPU, where the holder
	 * cannot run meanwhile */
	floor_spin = w && !strcmp(w, "spin") &&
		     sched_getaffinity(0, sizeof(cpus), &cpus) == 0 &&
		     CPU_COUNT(&cpus) > 1;
	__atomic_store_n(&real_lock,
			 (mutex_fn)dlsym(RTLD_NEXT, "pthread_mutex_lock"),
			 __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void floor_init(void)
{
	if (!__atomic_load_n(&real_lock, __ATOMIC_ACQUIRE))
		floor_resolve();
}

static int floor_spin_wait(pthread_mutex_t *m)
{
	int i, r;

	for (i = 0; i < FLOOR_SPINS; i++) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		if (__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED))
			continue;
		r = real_trylock(m);
		if (r != EBUSY)
			return r;
	}
	return EBUSY;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	int r;

	if (__builtin_expect(!__atomic_load_n(&real_lock, __ATOMIC_ACQUIRE), 0))
		floor_resolve();
	if (floor_spin) {
		r = real_trylock(m);
		if (r == EBUSY)
			r = floor_spin_wait(m);
		if (r != EBUSY)
			return r;
	}
	return real_lock(m);
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (__builtin_expect(!__atomic_load_n(&real_lock, __ATOMIC_ACQUIRE), 0))
		floor_resolve();
	return real_unlock(m);
}
