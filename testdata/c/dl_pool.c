// expect: none
/*
 * dl_pool.c - a correct, busy thread pool: a mutex + condition work
 * queue, four workers, a results lock taken after the queue lock is
 * released, everyone joined.  Nothing to report.
 */
#include <pthread.h>
#include <stddef.h>

#define WORKERS 4
#define JOBS 2000

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t result_lock = PTHREAD_MUTEX_INITIALIZER;
static int queue[64], head, tail, closed;
static long total;

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		int job;

		pthread_mutex_lock(&queue_lock);
		while (head == tail && !closed)
			pthread_cond_wait(&queue_cv, &queue_lock);
		if (head == tail) {
			pthread_mutex_unlock(&queue_lock);
			return NULL;
		}
		job = queue[head++ % 64];
		pthread_cond_broadcast(&queue_cv);
		pthread_mutex_unlock(&queue_lock);

		pthread_mutex_lock(&result_lock);
		total += job;
		pthread_mutex_unlock(&result_lock);
	}
}

int main(void)
{
	pthread_t t[WORKERS];
	int i;

	for (i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < JOBS; i++) {
		pthread_mutex_lock(&queue_lock);
		while (tail - head == 64)
			pthread_cond_wait(&queue_cv, &queue_lock);
		queue[tail++ % 64] = i;
		pthread_cond_signal(&queue_cv);
		pthread_mutex_unlock(&queue_lock);
	}
	pthread_mutex_lock(&queue_lock);
	closed = 1;
	pthread_cond_broadcast(&queue_cv);
	pthread_mutex_unlock(&queue_lock);
	for (i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	return total == (long)JOBS * (JOBS - 1) / 2 ? 0 : 1;
}
