// expect: none
/*
 * dl_unjoined_fixed.c - dl_unjoined.c fixed: one flusher is joined, the
 * other detached on purpose.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

static atomic_int flushed;

static void *flusher(void *arg)
{
	(void)arg;
	atomic_fetch_add(&flushed, 1);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, flusher, NULL);
	pthread_create(&t2, NULL, flusher, NULL);
	pthread_detach(t2);
	pthread_join(t1, NULL);
	while (atomic_load(&flushed) < 2)
		;
	return 0;
}
