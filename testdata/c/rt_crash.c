// SPDX-License-Identifier: MIT
/*
 * rt_crash.c - ends badly on purpose: "segv" dereferences NULL, "abort"
 * calls abort(), "hang" waits to be killed (prints "ready" first), all
 * while another thread holds a lock.  The runtime must not change how the
 * process dies.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t started;

static void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	pthread_barrier_wait(&started);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	volatile int *volatile p = NULL;
	pthread_t h;
	int i;

	pthread_barrier_init(&started, NULL, 2);
	pthread_create(&h, NULL, holder, NULL);
	pthread_barrier_wait(&started);
	if (argc < 2)
		return 0;
	if (!strcmp(argv[1], "segv"))
		return *p;
	if (!strcmp(argv[1], "abort"))
		abort();
	if (!strcmp(argv[1], "hang")) {
		static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;

		/* many events, so kill -9 lands among them */
		for (i = 0; i < 20000; i++) {
			pthread_mutex_lock(&busy);
			pthread_mutex_unlock(&busy);
		}
		puts("ready");
		fflush(stdout);
		for (;;) {
			pthread_mutex_lock(&busy);
			pthread_mutex_unlock(&busy);
			usleep(1000);
		}
	}
	return 0;
}
