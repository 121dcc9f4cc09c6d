// SPDX-License-Identifier: MIT
/*
 * rt_cancel.c - a thread cancelled inside pthread_cond_wait: its cleanup
 * handler unlocks the mutex, which must be recorded (else the mutex would
 * look held forever); main then takes the mutex itself.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_nonempty = PTHREAD_COND_INITIALIZER;
static int waiting;

static void unlock_queue(void *arg)
{
	pthread_mutex_unlock(arg);
}

static void *consumer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&queue_lock);
	pthread_cleanup_push(unlock_queue, &queue_lock);
	waiting = 1;
	for (;;)
		pthread_cond_wait(&queue_nonempty, &queue_lock);
	pthread_cleanup_pop(1);
	return NULL;
}

int main(void)
{
	pthread_t c;
	void *ret;
	int w;

	pthread_create(&c, NULL, consumer, NULL);
	do {
		usleep(1000);
		pthread_mutex_lock(&queue_lock);
		w = waiting;
		pthread_mutex_unlock(&queue_lock);
	} while (!w);
	pthread_cancel(c);
	pthread_join(c, &ret);
	pthread_mutex_lock(&queue_lock);
	pthread_mutex_unlock(&queue_lock);
	puts(ret == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
	return ret == PTHREAD_CANCELED ? 0 : 1;
}
