// expect: lock-order-cycle=1
/*
 * dl_abba.c - the classic: T2 takes lock_a then lock_b, T3 lock_b then
 * lock_a.  They take turns, so this run finishes; another run deadlocks.
 */
#include <pthread.h>
#include <stddef.h>

#include "dl_turns.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int shared;

static void *t_first(void *arg)
{
	(void)arg;
	wait_turn(0);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	shared++;
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	next_turn();
	return NULL;
}

static void *t_second(void *arg)
{
	(void)arg;
	wait_turn(1);
	pthread_mutex_lock(&lock_b);
	pthread_mutex_lock(&lock_a);
	shared++;
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	next_turn();
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, t_first, NULL);
	pthread_create(&t2, NULL, t_second, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return shared == 2 ? 0 : 1;
}
