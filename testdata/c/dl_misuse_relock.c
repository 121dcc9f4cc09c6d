// expect: api-misuse=1
/*
 * dl_misuse_relock.c - an error-checking mutex locked twice by its owner:
 * the second lock fails with EDEADLK instead of hanging, hbtrace reports
 * the misuse.
 */
#include <errno.h>
#include <pthread.h>

static pthread_mutex_t cache_lock;

int main(void)
{
	pthread_mutexattr_t attr;
	int ret;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&cache_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_lock(&cache_lock);
	ret = pthread_mutex_lock(&cache_lock);
	pthread_mutex_unlock(&cache_lock);
	pthread_mutex_destroy(&cache_lock);
	return ret == EDEADLK ? 0 : 1;
}
