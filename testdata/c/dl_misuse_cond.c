// expect: api-misuse=2
/*
 * dl_misuse_cond.c - two condition-variable misuses:
 *  - a timed wait with the mutex not held;
 *  - two threads waiting on one condition at once with different mutexes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t mu[2] = { PTHREAD_MUTEX_INITIALIZER,
				  PTHREAD_MUTEX_INITIALIZER };
static pthread_mutex_t lonely = PTHREAD_MUTEX_INITIALIZER;
static atomic_int waiting;
static int go;

static void *waiter(void *arg)
{
	pthread_mutex_t *m = &mu[(intptr_t)arg];

	pthread_mutex_lock(m);
	atomic_fetch_add(&waiting, 1);
	while (!go)
		pthread_cond_wait(&ready_cv, m);
	pthread_mutex_unlock(m);
	return NULL;
}

static void wait_unlocked(void)
{
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	/* 'lonely' is not locked here */
	pthread_cond_timedwait(&cv, &lonely, &ts);
	pthread_mutex_unlock(&lonely);
}

int main(void)
{
	pthread_t t[2];
	intptr_t i;

	wait_unlocked();
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, waiter, (void *)i);
	while (atomic_load(&waiting) < 2)
		;
	/* holding both mutexes means both waiters are inside the wait */
	pthread_mutex_lock(&mu[0]);
	pthread_mutex_lock(&mu[1]);
	go = 1;
	pthread_cond_broadcast(&ready_cv);
	pthread_mutex_unlock(&mu[1]);
	pthread_mutex_unlock(&mu[0]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}
