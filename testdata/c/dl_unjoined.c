// expect: unjoined-thread=1
/*
 * dl_unjoined.c - main starts a background flusher and forgets it: never
 * joined, never detached.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

static atomic_int flushed;

static void *flusher(void *arg)
{
	(void)arg;
	atomic_store(&flushed, 1);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, flusher, NULL);
	while (!atomic_load(&flushed))
		;
	return 0;
}
