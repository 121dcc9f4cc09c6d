// expect: api-misuse=2
/*
 * dl_misuse_destroy.c - destroying locks that are held: a locked mutex
 * (glibc refuses with EBUSY) and a read-held rwlock.
 */
#include <pthread.h>

int main(void)
{
	pthread_mutex_t job_lock;
	pthread_rwlock_t index_lock;

	pthread_mutex_init(&job_lock, NULL);
	pthread_mutex_lock(&job_lock);
	pthread_mutex_destroy(&job_lock); /* still locked */
	pthread_mutex_unlock(&job_lock);
	pthread_mutex_destroy(&job_lock);

	pthread_rwlock_init(&index_lock, NULL);
	pthread_rwlock_rdlock(&index_lock);
	pthread_rwlock_destroy(&index_lock); /* still read-held */
	return 0;
}
