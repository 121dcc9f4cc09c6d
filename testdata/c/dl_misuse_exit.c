// expect: api-misuse=1
/*
 * dl_misuse_exit.c - a worker returns with a lock still held: nobody can
 * take it again.
 */
#include <pthread.h>
#include <stddef.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&log_lock);
	return NULL; /* forgot to unlock */
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	return 0;
}
