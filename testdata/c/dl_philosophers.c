// expect: lock-order-cycle=1
/*
 * dl_philosophers.c - five philosophers, each takes the fork on the left
 * then the one on the right: one cycle through all five forks.  They eat
 * in turns here, so this run finishes.
 */
#include <pthread.h>
#include <stdint.h>

#include "dl_turns.h"

#define N 5

static pthread_mutex_t fork_lock[N] = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER,
};
static int meals;

static void *philosopher(void *arg)
{
	int i = (int)(intptr_t)arg;
	int left = i, right = (i + 1) % N;

	wait_turn(i);
	pthread_mutex_lock(&fork_lock[left]);
	pthread_mutex_lock(&fork_lock[right]);
	meals++;
	pthread_mutex_unlock(&fork_lock[right]);
	pthread_mutex_unlock(&fork_lock[left]);
	next_turn();
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	int i;

	for (i = 0; i < N; i++)
		pthread_create(&t[i], NULL, philosopher, (void *)(intptr_t)i);
	for (i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	return meals == N ? 0 : 1;
}
