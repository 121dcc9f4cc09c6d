// SPDX-License-Identifier: MIT
/*
 * lock_nested.c - four threads contend on nested mutexes.
 *
 * Every thread repeatedly takes one of a few "outer" locks and then one of
 * a few "inner" locks inside it, always in the order outer -> inner (so
 * there is no lock-order cycle to report), updates a shared counter, and
 * releases both.  Threads pick their locks with a cheap per-thread PRNG so
 * they collide often.  Usage: lock_nested [ITERATIONS_PER_THREAD]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 4
#define NOUTER	 4
#define NINNER	 8

static pthread_mutex_t outer[NOUTER];
static pthread_mutex_t inner[NINNER];
static unsigned long counters[NINNER];
static unsigned long iterations;

static void *worker(void *arg)
{
	unsigned int x = (unsigned int)(unsigned long)arg * 2654435761u + 1;

	for (unsigned long i = 0; i < iterations; i++) {
		/* xorshift: cheap and per-thread, so no shared PRNG state */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pthread_mutex_t *o = &outer[x % NOUTER];
		unsigned int k = (x >> 8) % NINNER;

		pthread_mutex_lock(o);
		pthread_mutex_lock(&inner[k]);
		counters[k]++;
		pthread_mutex_unlock(&inner[k]);
		pthread_mutex_unlock(o);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	unsigned long total = 0;

	iterations = argc > 1 ? strtoul(argv[1], NULL, 0) : 500000ul;
	for (int i = 0; i < NOUTER; i++)
		pthread_mutex_init(&outer[i], NULL);
	for (int i = 0; i < NINNER; i++)
		pthread_mutex_init(&inner[i], NULL);
	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
			fprintf(stderr, "lock_nested: pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NINNER; i++)
		total += counters[i];
	if (total != iterations * NTHREADS) {
		fprintf(stderr, "lock_nested: lost updates (%lu)\n", total);
		return 1;
	}
	for (int i = 0; i < NOUTER; i++)
		pthread_mutex_destroy(&outer[i]);
	for (int i = 0; i < NINNER; i++)
		pthread_mutex_destroy(&inner[i]);
	return 0;
}
