// expect: lock-order-cycle=1
/*
 * dl_three.c - three threads, three locks: A->B, B->C, C->A.  No two of
 * them conflict, all three together can deadlock.
 */
#include <pthread.h>
#include <stdint.h>

#include "dl_turns.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t *const order[3][2] = {
	{ &lock_a, &lock_b },
	{ &lock_b, &lock_c },
	{ &lock_c, &lock_a },
};

static void *worker(void *arg)
{
	int i = (int)(intptr_t)arg;

	wait_turn(i);
	pthread_mutex_lock(order[i][0]);
	pthread_mutex_lock(order[i][1]);
	pthread_mutex_unlock(order[i][1]);
	pthread_mutex_unlock(order[i][0]);
	next_turn();
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	int i;

	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return 0;
}
