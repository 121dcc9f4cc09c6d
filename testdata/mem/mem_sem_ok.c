// SPDX-License-Identifier: MIT
/* Data handed over through a semaphore, then updated: no finding. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static long data;
static sem_t sem;

static void *producer(void *arg)
{
	data = 41;
	sem_post(&sem);
	return arg;
}

static void *consumer(void *arg)
{
	sem_wait(&sem);
	data = data + 1;
	return arg;
}

int main(void)
{
	pthread_t p, c;

	sem_init(&sem, 0, 0);
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	sem_destroy(&sem);
	printf("data = %ld\n", data);
	return data != 42;
}
