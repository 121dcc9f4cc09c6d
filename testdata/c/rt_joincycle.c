// SPDX-License-Identifier: MIT
/*
 * rt_joincycle.c - a wait-for cycle through a join: main holds a mutex
 * and joins a worker that waits for that mutex.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&state_lock);
	pthread_mutex_unlock(&state_lock);
	return NULL;
}

int main(void)
{
	pthread_t w;

	pthread_mutex_lock(&state_lock);
	pthread_create(&w, NULL, worker, NULL);
	pthread_join(w, NULL);
	pthread_mutex_unlock(&state_lock);
	puts("no deadlock");
	return 0;
}
