// SPDX-License-Identifier: MIT
/* A counter of atomic increments: no finding. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define N 100000

static atomic_long counter;

static void *worker(void *arg)
{
	for (int i = 0; i < N; i++)
		atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
	return arg;
}

int main(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("counter = %ld\n", atomic_load(&counter));
	return atomic_load(&counter) != 2 * N;
}
