// SPDX-License-Identifier: MIT
/*
 * rt_early.c - a static mutex locked by a constructor of priority 101,
 * which may run before the runtime's own constructor: the runtime must
 * start lazily and record it.  Also dlopen/dlclose of libm.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t early_lock = PTHREAD_MUTEX_INITIALIZER;
static int early_done;

__attribute__((constructor(101))) static void early_init(void)
{
	pthread_mutex_lock(&early_lock);
	early_done = 1;
	pthread_mutex_unlock(&early_lock);
}

int main(void)
{
	void *h = dlopen("libm.so.6", RTLD_NOW);

	pthread_mutex_lock(&early_lock);
	pthread_mutex_unlock(&early_lock);
	if (h)
		dlclose(h);
	printf("early=%d dlopen=%s\n", early_done, h ? "ok" : "failed");
	return early_done && h ? 0 : 1;
}
