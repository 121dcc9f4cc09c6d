// SPDX-License-Identifier: MIT
/* mem_split.c with the read and the write in one critical section. */
#include <pthread.h>
#include <stdio.h>

#define N 2000

static long hits;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	for (int i = 0; i < N; i++) {
		pthread_mutex_lock(&lock);
		long seen = hits;
		hits = seen + 1;
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
	printf("hits = %ld (expected %d)\n", hits, 2 * N);
	return hits != 2 * N;
}
