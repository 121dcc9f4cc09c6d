// SPDX-License-Identifier: MIT
/* Two threads write one field of a heap block: a data race whose variable
 * is the block, with its allocation stack.  Fixed twin: mem_heap_fixed.c
 * (join handoff). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct stats {
	long hits;
	long misses;
};

static struct stats *new_stats(void)
{
	return calloc(1, sizeof(struct stats));
}

static void *worker(void *arg)
{
	struct stats *st = arg;

	st->hits = 1;
	return NULL;
}

int main(void)
{
	struct stats *st = new_stats();
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, st);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("hits = %ld\n", st->hits);
	free(st);
	return 0;
}
