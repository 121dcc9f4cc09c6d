// SPDX-License-Identifier: MIT
/*
 * The dense sweep of docs/memory.md: each of two threads sweeps a private
 * array, one mutex lock every 1024 elements, so almost every access is
 * new within its synchronization epoch and goes to the trace.  Not a
 * finding test: the program that measures the access path's cost
 * (instructions per access under callgrind, see docs/memory.md).
 *
 *   bench_dense [ELEMENTS SWEEPS]     default 65536 50
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int elements = 65536, sweeps = 50;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *sweeper(void *arg)
{
	long *a = calloc((size_t)elements, sizeof(long)), sum = 0;

	if (!a)
		return arg;
	for (int s = 0; s < sweeps; s++)
		for (int i = 0; i < elements; i++) {
			a[i] += i;
			sum += a[i];
			if ((i & 1023) == 1023) {
				pthread_mutex_lock(&lock);
				total += sum & 1;
				pthread_mutex_unlock(&lock);
			}
		}
	free(a);
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t[2];

	if (argc > 2) {
		elements = atoi(argv[1]);
		sweeps = atoi(argv[2]);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, sweeper, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("%ld\n", total);
	return 0;
}
