// SPDX-License-Identifier: MIT
/*
 * fault_scale.c - sizes other tools choke on.
 *
 *   fault_scale mutexes N   N distinct heap mutexes, each initialized,
 *                           locked, unlocked and destroyed once
 *   fault_scale held N      one thread holds N locks at once (TSan aborts
 *                           past 64), then releases them in reverse order
 *
 * Prints "ok MODE N" and exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	pthread_mutex_t *m;
	long n, i;

	if (argc < 3)
		return 2;
	n = atol(argv[2]);
	m = calloc((size_t)n, sizeof(*m));
	if (!m)
		return 2;
	if (!strcmp(argv[1], "mutexes")) {
		for (i = 0; i < n; i++) {
			pthread_mutex_init(&m[i], NULL);
			pthread_mutex_lock(&m[i]);
			pthread_mutex_unlock(&m[i]);
			pthread_mutex_destroy(&m[i]);
		}
	} else if (!strcmp(argv[1], "held")) {
		for (i = 0; i < n; i++)
			pthread_mutex_init(&m[i], NULL);
		for (i = 0; i < n; i++)
			pthread_mutex_lock(&m[i]);
		for (i = n - 1; i >= 0; i--)
			pthread_mutex_unlock(&m[i]);
	} else {
		return 2;
	}
	free(m);
	printf("ok %s %ld\n", argv[1], n);
	return 0;
}
