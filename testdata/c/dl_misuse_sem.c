// expect: api-misuse=1
/*
 * dl_misuse_sem.c - a semaphore destroyed while a thread waits on it.
 * (glibc's sem_destroy does nothing, so the post that follows still
 * wakes the waiter and the program ends.)
 */
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

static sem_t ready, jobs;

static void *consumer(void *arg)
{
	(void)arg;
	sem_post(&ready);
	sem_wait(&jobs);
	return NULL;
}

int main(void)
{
	pthread_t t;

	sem_init(&ready, 0, 0);
	sem_init(&jobs, 0, 0);
	pthread_create(&t, NULL, consumer, NULL);
	sem_wait(&ready);
	usleep(10000); /* let it block in sem_wait */
	sem_destroy(&jobs); /* while the consumer waits */
	sem_post(&jobs);
	pthread_join(t, NULL);
	return 0;
}
