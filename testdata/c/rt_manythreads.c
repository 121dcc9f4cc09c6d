// SPDX-License-Identifier: MIT
/*
 * rt_manythreads.c - 1,000 threads, 50 alive at a time, each taking a
 * shared lock a few times.  Prints the final counter (10000).
 */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 1000
#define BATCH	 50

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 10; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(void)
{
	pthread_t th[BATCH];
	int i, j;

	for (i = 0; i < NTHREADS; i += BATCH) {
		for (j = 0; j < BATCH; j++)
			pthread_create(&th[j], NULL, worker, NULL);
		for (j = 0; j < BATCH; j++)
			pthread_join(th[j], NULL);
	}
	printf("%ld\n", counter);
	return 0;
}
