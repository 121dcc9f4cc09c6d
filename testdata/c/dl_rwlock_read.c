// expect: none
/*
 * dl_rwlock_read.c - rwlocks in opposite orders, but only ever read:
 * readers do not block readers, no deadlock.
 */
#include <pthread.h>
#include <stddef.h>

#include "dl_turns.h"

static pthread_rwlock_t table_a = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t table_b = PTHREAD_RWLOCK_INITIALIZER;

static void *t_read_a_read_b2(void *arg)
{
	(void)arg;
	wait_turn(0);
	pthread_rwlock_rdlock(&table_a);
	pthread_rwlock_rdlock(&table_b);
	pthread_rwlock_unlock(&table_b);
	pthread_rwlock_unlock(&table_a);
	next_turn();
	return NULL;
}

static void *t_read_b_read_a2(void *arg)
{
	(void)arg;
	wait_turn(1);
	pthread_rwlock_rdlock(&table_b);
	pthread_rwlock_rdlock(&table_a);
	pthread_rwlock_unlock(&table_a);
	pthread_rwlock_unlock(&table_b);
	next_turn();
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, t_read_a_read_b2, NULL);
	pthread_create(&t2, NULL, t_read_b_read_a2, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return 0;
}
