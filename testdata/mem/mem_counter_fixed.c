// SPDX-License-Identifier: MIT
/* The counter of mem_counter.c under one mutex: no finding. */
#include <pthread.h>
#include <stdio.h>

#define N 100000

static long counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	for (int i = 0; i < N; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

int main(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("counter = %ld (expected %d)\n", counter, 2 * N);
	return counter != 2 * N;
}
