// SPDX-License-Identifier: MIT
/* Data handed over through a plain flag: the flag and the data race.
 * Fixed twin: mem_flag_fixed.c (release/acquire atomics). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static int data;
static volatile int ready;
static int result;

static void *producer(void *arg)
{
	data = 42;
	ready = 1;
	return arg;
}

static void *consumer(void *arg)
{
	while (!ready)
		sched_yield();
	result = data;
	return arg;
}

int main(void)
{
	pthread_t p, c;

	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	printf("result = %d\n", result);
	return 0;
}
