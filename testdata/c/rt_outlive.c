// SPDX-License-Identifier: MIT
/*
 * rt_outlive.c - a detached thread is still running (and locking) when
 * main returns through exit(); a joinable one is never joined.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t started;

static void *spinner(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&started);
	for (;;) {
		pthread_mutex_lock(&lock);
		pthread_mutex_unlock(&lock);
		usleep(100);
	}
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	pthread_barrier_init(&started, NULL, 3);
	pthread_create(&a, NULL, spinner, NULL);
	pthread_detach(a);
	pthread_create(&b, NULL, spinner, NULL);
	pthread_barrier_wait(&started);
	usleep(20000);
	puts("main exits");
	exit(0);
}
