// expect: none
/*
 * dl_trylock.c - T3 goes against the order, but only with trylock and
 * backs off when it fails: it can never block, so no deadlock.
 */
#include <pthread.h>
#include <stddef.h>

#include "dl_turns.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *t_ordered(void *arg)
{
	(void)arg;
	wait_turn(0);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	next_turn();
	return NULL;
}

static void *t_backoff(void *arg)
{
	(void)arg;
	wait_turn(1);
	for (;;) {
		pthread_mutex_lock(&lock_b);
		if (pthread_mutex_trylock(&lock_a) == 0)
			break;
		pthread_mutex_unlock(&lock_b);
		usleep(100);
	}
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, t_ordered, NULL);
	pthread_create(&t2, NULL, t_backoff, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return 0;
}
