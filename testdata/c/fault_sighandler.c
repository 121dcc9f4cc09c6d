// SPDX-License-Identifier: MIT
/*
 * fault_sighandler.c - a signal handler that takes a lock.  A second
 * thread sends SIGUSR1 to main while main is busy with its own (other)
 * lock, so the handler's lock events interrupt the runtime in the middle
 * of recording main's.  Not async-signal-safe by the book, but common in
 * real programs; the runtime must neither deadlock nor corrupt the trace.
 * Prints "handled N" (N = 200) and exits 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NSIGNALS 200

static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t main_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t handled;
static volatile int done;

static void on_usr1(int sig)
{
	(void)sig;
	pthread_mutex_lock(&handler_lock);
	handled++;
	pthread_mutex_unlock(&handler_lock);
}

static void *sender(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;
	int i;

	for (i = 0; i < NSIGNALS; i++) {
		int before = handled;

		pthread_kill(main_thread, SIGUSR1);
		while (handled == before)
			usleep(50);
	}
	done = 1;
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t self = pthread_self(), t;
	long n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, sender, &self);
	while (!done) {
		pthread_mutex_lock(&main_lock);
		n++;
		pthread_mutex_unlock(&main_lock);
	}
	pthread_join(t, NULL);
	printf("handled %d\n", (int)handled);
	return n > 0 ? 0 : 1;
}
