// expect: none
/*
 * dl_gate.c - opposite orders of lock_a and lock_b, but both threads hold
 * the gate lock around them: the two sections can never overlap, so there
 * is no deadlock to predict.
 */
#include <pthread.h>
#include <stddef.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *t_ab(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&gate);
	return NULL;
}

static void *t_ba(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);
	pthread_mutex_lock(&lock_b);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&gate);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, t_ab, NULL);
	pthread_create(&t2, NULL, t_ba, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return 0;
}
