// expect: deadlock=1
/*
 * dl_selfrelock.c - update() holds the registry lock and calls a helper
 * that takes it again: a default mutex is not recursive, the thread waits
 * for itself forever.  Run under hbtrace or timeout.
 */
#include <pthread.h>

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static int entries;

static void registry_add(void)
{
	pthread_mutex_lock(&registry_lock);
	entries++;
	pthread_mutex_unlock(&registry_lock);
}

static void update(void)
{
	pthread_mutex_lock(&registry_lock);
	registry_add();
	pthread_mutex_unlock(&registry_lock);
}

int main(void)
{
	update();
	return entries == 1 ? 0 : 1;
}
