// SPDX-License-Identifier: MIT
/*
 * fault_sigpost.c - a signal handler posts a semaphore, the
 * async-signal-safe way to wake a thread (POSIX lists sem_post as safe in
 * handlers).  A sender thread sends SIGUSR1 to main while main blocks in
 * the runtime, so every post runs inside one of its wrappers; each must
 * still reach the trace, with its counter, so the wakeups are ordered
 * after the posts.  Where main blocks:
 *   fault_sigpost [sem]  in sem_wait, on the semaphore its handler posts
 *   fault_sigpost join   in pthread_join, of the thread that waits
 *   fault_sigpost cond   in pthread_cond_wait, until that thread is done
 * Prints "woken N" (N = 200) and exits 0.
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
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int done;

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
		/* main is (back) in its wait: give it time to block */
		usleep(200);
		pthread_kill(main_thread, SIGUSR1);
		while (woken <= i)
			usleep(50);
	}
	return NULL;
}

/* consumes the posts: main's handler posts, this thread wakes */
static void *waiter(void *arg)
{
	(void)arg;
	while (woken < NSIGNALS) {
		if (sem_wait(&wake) == 0)
			woken++;
		else if (errno != EINTR)
			return NULL;
	}
	pthread_mutex_lock(&done_lock);
	done = 1;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sem";
	struct sigaction sa;
	pthread_t self = pthread_self(), t, w;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sem_init(&wake, 0, 0);
	if (strcmp(mode, "sem") == 0) {
		pthread_create(&t, NULL, sender, &self);
		while (woken < NSIGNALS) {
			if (sem_wait(&wake) == 0)
				woken++;
			else if (errno != EINTR)
				return 1;
		}
	} else {
		pthread_create(&w, NULL, waiter, NULL);
		pthread_create(&t, NULL, sender, &self);
		if (strcmp(mode, "cond") == 0) {
			pthread_mutex_lock(&done_lock);
			while (!done)
				pthread_cond_wait(&done_cond, &done_lock);
			pthread_mutex_unlock(&done_lock);
		}
		pthread_join(w, NULL);
	}
	pthread_join(t, NULL);
	sem_destroy(&wake);
	printf("woken %d\n", woken);
	return posted == NSIGNALS ? 0 : 1;
}
