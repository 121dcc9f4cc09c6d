// SPDX-License-Identifier: MIT
/*
 * lock_uncontended.c - one thread locks and unlocks one mutex in a loop.
 *
 * The cost measured is the wrapper's fixed cost per call: nobody else
 * touches the lock, so native time is just two atomic operations.
 * Usage: lock_uncontended [ITERATIONS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t bench_lock = PTHREAD_MUTEX_INITIALIZER;
/* volatile so the compiler keeps one increment per iteration */
static volatile unsigned long bench_counter;

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000000ul;

	for (unsigned long i = 0; i < n; i++) {
		pthread_mutex_lock(&bench_lock);
		bench_counter++;
		pthread_mutex_unlock(&bench_lock);
	}
	if (bench_counter != n) {
		fprintf(stderr, "lock_uncontended: counter %lu != %lu\n",
			bench_counter, n);
		return 1;
	}
	return 0;
}
