// SPDX-License-Identifier: MIT
/*
 * A lost update that ThreadSanitizer and Helgrind miss: every access is
 * under the lock, but the read and the write are two critical sections,
 * so another thread's update can fall in between and is overwritten.
 * Fixed twin: mem_split_fixed.c.
 */
#include <pthread.h>
#include <stdio.h>

#define N 2000

static long hits;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long read_hits(void)
{
	long seen;

	pthread_mutex_lock(&lock);
	seen = hits;
	pthread_mutex_unlock(&lock);
	return seen;
}

static void store_hits(long v)
{
	pthread_mutex_lock(&lock);
	hits = v;
	pthread_mutex_unlock(&lock);
}

static void *worker(void *arg)
{
	for (int i = 0; i < N; i++) {
		long seen = read_hits();

		store_hits(seen + 1);
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
	return 0;
}
