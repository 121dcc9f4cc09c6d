// SPDX-License-Identifier: MIT
/* Two threads count hits in a struct that lives on main's stack: a data
 * race and a lost update on a stack variable, named "stats.hits" from
 * DWARF.  Fixed twin: mem_stack_fixed.c. */
#include <pthread.h>
#include <stdio.h>

#define N 100000

struct stats {
	long misses;
	long hits;
};

static void *worker(void *arg)
{
	struct stats *st = arg;

	for (int i = 0; i < N; i++)
		st->hits++;
	return NULL;
}

int main(void)
{
	struct stats stats = {0, 0};
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, &stats);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("hits = %ld (expected %d)\n", stats.hits, 2 * N);
	return 0;
}
