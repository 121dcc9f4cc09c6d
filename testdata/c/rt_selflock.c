// SPDX-License-Identifier: MIT
/*
 * rt_selflock.c - a thread relocks a default mutex it already holds: a
 * certain deadlock the runtime reports before the thread blocks.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;

static void reload_config(void)
{
	pthread_mutex_lock(&config_lock);
	pthread_mutex_unlock(&config_lock);
}

int main(void)
{
	pthread_mutex_lock(&config_lock);
	reload_config();
	pthread_mutex_unlock(&config_lock);
	puts("no deadlock");
	return 0;
}
