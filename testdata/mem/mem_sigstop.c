// SPDX-License-Identifier: MIT
/*
 * A SIGUSR1 handler asks a worker to stop through a plain flag, while
 * main blocks in pthread_join of that worker: the usual "set a flag in
 * the handler" shutdown, but the flag is read by another thread, and
 * volatile orders nothing between threads.  The handler's write and the
 * worker's reads race.  The handler runs while main is inside the
 * runtime's pthread_join, so its access must be recorded there.
 * Fixed twin: mem_sigstop_fixed.c (release/acquire atomics).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int stop;

static void on_usr1(int sig)
{
	(void)sig;
	stop = 1;
}

static void *worker(void *arg)
{
	while (!stop)
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
