// SPDX-License-Identifier: MIT
/*
 * fault_busy.c - a steady mix of events for fault injection: four workers
 * lock, signal conditions and post semaphores while main keeps creating
 * and joining short-lived threads, so a kill -9 lands in any kind of
 * record, at chunk switches and in thread start/exit paths.
 *
 *   fault_busy N     N rounds, then print "done N" and exit 0
 *   fault_busy       run until killed (prints "ready" once running)
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

#define NWORKERS 4

static pthread_mutex_t locks[3] = { PTHREAD_MUTEX_INITIALIZER,
				    PTHREAD_MUTEX_INITIALIZER,
				    PTHREAD_MUTEX_INITIALIZER };
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t sem;
static long rounds, counter;
static volatile int stop;

static void *worker(void *arg)
{
	long id = (long)arg, i;

	for (i = 0; rounds == 0 ? !stop : i < rounds; i++) {
		pthread_mutex_t *a = &locks[(i + id) % 3];

		pthread_mutex_lock(a);
		counter++;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(a);
		sem_post(&sem);
		sem_trywait(&sem);
	}
	return NULL;
}

static void *blip(void *arg)
{
	pthread_mutex_lock(&locks[0]);
	counter++;
	pthread_mutex_unlock(&locks[0]);
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t w[NWORKERS], t;
	long i;

	rounds = argc > 1 ? atol(argv[1]) : 0;
	sem_init(&sem, 0, 0);
	for (i = 0; i < NWORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	if (!rounds) {
		puts("ready");
		fflush(stdout);
	}
	for (i = 0; rounds == 0 || i < rounds / 100; i++) {
		pthread_create(&t, NULL, blip, NULL);
		pthread_join(t, NULL);
	}
	for (i = 0; i < NWORKERS; i++)
		pthread_join(w[i], NULL);
	printf("done %ld\n", rounds);
	return 0;
}
