// SPDX-License-Identifier: MIT
/* Fixed twin of mem_stack.c: the hits on main's stack are counted under
 * a mutex that lives there too.  Exits 1 if a hit was lost. */
#include <pthread.h>
#include <stdio.h>

#define N 100000

struct stats {
	pthread_mutex_t lock;
	long hits;
};

static void *worker(void *arg)
{
	struct stats *st = arg;

	for (int i = 0; i < N; i++) {
		pthread_mutex_lock(&st->lock);
		st->hits++;
		pthread_mutex_unlock(&st->lock);
	}
	return NULL;
}

int main(void)
{
	struct stats stats = {PTHREAD_MUTEX_INITIALIZER, 0};
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, &stats);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("hits = %ld (expected %d)\n", stats.hits, 2 * N);
	return stats.hits == 2 * N ? 0 : 1;
}
