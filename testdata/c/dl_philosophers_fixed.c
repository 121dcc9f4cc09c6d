// expect: none
/*
 * dl_philosophers_fixed.c - the forks are numbered and everyone takes the
 * lower-numbered fork first (the last philosopher takes the right fork
 * first): one global order, no cycle.
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
	int first = left < right ? left : right;
	int second = left < right ? right : left;

	wait_turn(i);
	pthread_mutex_lock(&fork_lock[first]);
	pthread_mutex_lock(&fork_lock[second]);
	meals++;
	pthread_mutex_unlock(&fork_lock[second]);
	pthread_mutex_unlock(&fork_lock[first]);
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
