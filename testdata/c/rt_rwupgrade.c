// SPDX-License-Identifier: MIT
/*
 * rt_rwupgrade.c - a thread holding a read lock asks for the write lock
 * of the same rwlock: glibc blocks it forever.  The watchdog sees a
 * one-thread cycle.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;

static void *updater(void *arg)
{
	(void)arg;
	pthread_rwlock_rdlock(&table_lock);
	pthread_rwlock_wrlock(&table_lock);
	pthread_rwlock_unlock(&table_lock);
	pthread_rwlock_unlock(&table_lock);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, updater, NULL);
	pthread_join(t, NULL);
	puts("no deadlock");
	return 0;
}
