// expect: deadlock=1
/*
 * dl_barrier.c - a deadlock that really happens: each thread takes its
 * first lock, both meet at a barrier, then each wants the other's lock.
 * Never returns on its own: run it under hbtrace (its watchdog ends it)
 * or timeout.  hbtrace reports it once, as a deadlock (the lock-order
 * cycle behind it is not repeated).
 */
#include <pthread.h>
#include <stddef.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t meet;

static void *t_ab(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	pthread_barrier_wait(&meet);
	pthread_mutex_lock(&lock_b);
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

static void *t_ba(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_b);
	pthread_barrier_wait(&meet);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_barrier_init(&meet, NULL, 2);
	pthread_create(&t1, NULL, t_ab, NULL);
	pthread_create(&t2, NULL, t_ba, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return 0;
}
