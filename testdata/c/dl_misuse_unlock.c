// expect: api-misuse=2
/*
 * dl_misuse_unlock.c - unlocking what the caller does not hold: a mutex
 * nobody locked, and an rwlock nobody holds.  (glibc lets both pass
 * silently for default locks.)
 */
#include <pthread.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;

static void stats_done(void)
{
	pthread_mutex_unlock(&stats_lock); /* never locked */
}

static void config_done(void)
{
	pthread_rwlock_unlock(&config_lock); /* never locked */
}

int main(void)
{
	stats_done();
	config_done();
	return 0;
}
