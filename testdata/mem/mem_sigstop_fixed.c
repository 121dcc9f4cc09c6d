// SPDX-License-Identifier: MIT
/*
 * mem_sigstop.c fixed: the SIGUSR1 handler sets the stop flag with a
 * release store and the worker reads it with acquire loads (lock-free
 * atomics are safe in handlers), so the handler's write happens before
 * the read that sees it.  No finding.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int stop;

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
}

static void *worker(void *arg)
{
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		usleep(100);
	return arg;
}

static void *sender(void *arg)
{
	/* main is in pthread_join by then, almost always; if not, the
	 * handler runs outside the runtime and is recorded as usual */
	usleep(20000);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t self = pthread_self(), w, s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&w, NULL, worker, NULL);
	pthread_create(&s, NULL, sender, &self);
	pthread_join(w, NULL);
	pthread_join(s, NULL);
	printf("stopped\n");
	return 0;
}
