// SPDX-License-Identifier: MIT
/* Two threads increment a plain counter: a data race and a lost update.
 * Fixed twin: mem_counter_fixed.c. */
#include <pthread.h>
#include <stdio.h>

#define N 100000

static long counter;

static void *worker(void *arg)
{
	for (int i = 0; i < N; i++)
		counter++;
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
	return 0;
}
