// SPDX-License-Identifier: MIT
/*
 * rt_abba.c - a real ABBA deadlock: two threads take two mutexes in
 * opposite orders and meet in the middle.  Hangs forever natively; under
 * the runtime with HBTRACE_DEADLOCK=exit the watchdog ends it with
 * status 3.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *t_first(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	pthread_barrier_wait(&both_hold);
	pthread_mutex_lock(&lock_b);
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

static void *t_second(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_b);
	pthread_barrier_wait(&both_hold);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	pthread_barrier_init(&both_hold, NULL, 2);
	pthread_create(&a, NULL, t_first, NULL);
	pthread_create(&b, NULL, t_second, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	puts("no deadlock");
	return 0;
}
