// expect: none
/*
 * dl_create_join.c - main takes lock_a then lock_b, then starts a thread
 * that takes them the other way round, joins it, and takes them again in
 * its own order.  Thread creation and join order every section: no run
 * can deadlock.
 */
#include <pthread.h>
#include <stddef.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void take_ab(void)
{
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
}

static void *t_ba(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_b);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(void)
{
	pthread_t t;

	take_ab();
	pthread_create(&t, NULL, t_ba, NULL);
	pthread_join(t, NULL);
	take_ab();
	return 0;
}
