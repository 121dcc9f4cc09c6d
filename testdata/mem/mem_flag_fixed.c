// SPDX-License-Identifier: MIT
/* mem_flag.c with a release store and an acquire load: no finding. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static int data;
static atomic_int ready;
static int result;

static void *producer(void *arg)
{
	data = 42;
	atomic_store_explicit(&ready, 1, memory_order_release);
	return arg;
}

static void *consumer(void *arg)
{
	while (!atomic_load_explicit(&ready, memory_order_acquire))
		sched_yield();
	result = data;
	data = result + 1;
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
	return result != 42;
}
