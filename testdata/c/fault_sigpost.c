// SPDX-License-Identifier: MIT
/*
 * fault_sigpost.c - a signal handler posts the semaphore its own thread
 * is waiting on, the async-signal-safe way to wake a thread (POSIX lists
 * sem_post as safe in handlers).  A second thread sends SIGUSR1 to main
 * while main blocks in sem_wait, so every post runs inside the runtime's
 * sem_wait wrapper; each must still reach the trace, with its counter,
 * so the wakeups are ordered after the posts.  Prints "woken N" (N = 200)
 * and exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NSIGNALS 200

static sem_t wake;
static volatile sig_atomic_t posted;
static volatile int woken;

static void on_usr1(int sig)
{
	int saved = errno;

	(void)sig;
	sem_post(&wake);
	posted++;
	errno = saved;
}

static void *sender(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;
	int i;

	for (i = 0; i < NSIGNALS; i++) {
		/* main is (back) in sem_wait: give it time to block */
		usleep(200);
		pthread_kill(main_thread, SIGUSR1);
		while (woken <= i)
			usleep(50);
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t self = pthread_self(), t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sem_init(&wake, 0, 0);
	pthread_create(&t, NULL, sender, &self);
	while (woken < NSIGNALS) {
		if (sem_wait(&wake) == 0)
			woken++;
		else if (errno != EINTR)
			return 1;
	}
	pthread_join(t, NULL);
	sem_destroy(&wake);
	printf("woken %d\n", woken);
	return posted == NSIGNALS ? 0 : 1;
}
