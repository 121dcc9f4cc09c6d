// SPDX-License-Identifier: MIT
/* mem_heap.c with the block handed from one worker to the next through
 * join: no finding, and a freed-and-reused address is no race either. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct stats {
	long hits;
	long misses;
};

static void *worker(void *arg)
{
	struct stats *st = arg;

	st->hits++;
	return NULL;
}

int main(void)
{
	long total = 0;

	for (int round = 0; round < 3; round++) {
		struct stats *st = calloc(1, sizeof(*st));
		pthread_t t;

		for (int i = 0; i < 2; i++) {
			pthread_create(&t, NULL, worker, st);
			pthread_join(t, NULL);
		}
		st->hits++;
		total += st->hits;
		free(st);
	}
	printf("total = %ld\n", total);
	return total != 9;
}
