// SPDX-License-Identifier: MIT
/* Phases separated by a barrier: each phase updates what the previous
 * one wrote, from another thread.  No finding. */
#include <pthread.h>
#include <stdio.h>

#define NT 3

static long slot[NT];
static long shared;
static pthread_barrier_t barrier;

static void *worker(void *arg)
{
	long id = (long)arg;

	slot[id] = id + 1;
	if (id == 0)
		shared++;
	pthread_barrier_wait(&barrier);
	if (id == 1)
		shared += slot[0] + slot[2];
	pthread_barrier_wait(&barrier);
	if (id == 2)
		shared *= 2;
	return NULL;
}

int main(void)
{
	pthread_t t[NT];

	pthread_barrier_init(&barrier, NULL, NT);
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&barrier);
	printf("shared = %ld\n", shared);
	return shared != 10;
}
