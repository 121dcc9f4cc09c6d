// SPDX-License-Identifier: MIT
/*
 * rt_exitmain.c - main leaves through pthread_exit() while a worker still
 * runs; when the worker returns, it is the last thread and the process
 * ends with status 0.  The runtime's watchdog thread must not keep the
 * process alive after that (it did: the program never ended).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int rounds;

static void *worker(void *arg)
{
	(void)arg;
	usleep(300000); /* main has exited by now */
	pthread_mutex_lock(&lock);
	rounds++;
	pthread_mutex_unlock(&lock);
	puts("worker done");
	fflush(stdout);
	return NULL;
}

int main(void)
{
	pthread_t th;

	if (pthread_create(&th, NULL, worker, NULL))
		return 1;
	pthread_detach(th);
	puts("main exits");
	fflush(stdout);
	pthread_exit(NULL);
}
