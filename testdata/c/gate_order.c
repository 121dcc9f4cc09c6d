// SPDX-License-Identifier: MIT
/*
 * gate_order.c - one test of a suite takes lock_x then lock_y, another
 * lock_y then lock_x: each run alone is fine, together they are a
 * lock-order cycle that `hbtrace check` finds by merging the traces.
 *
 *   gate_order ab      lock_x then lock_y
 *   gate_order ba      lock_y then lock_x
 *   gate_order fork    ab in the parent, ba in a forked child (two traces
 *                      of one run: children are part of the suite)
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock_x = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_y = PTHREAD_MUTEX_INITIALIZER;
static int shared;

static void *take_xy(void *arg)
{
	pthread_mutex_lock(&lock_x);
	pthread_mutex_lock(&lock_y);
	shared++;
	pthread_mutex_unlock(&lock_y);
	pthread_mutex_unlock(&lock_x);
	return arg;
}

static void *take_yx(void *arg)
{
	pthread_mutex_lock(&lock_y);
	pthread_mutex_lock(&lock_x);
	shared--;
	pthread_mutex_unlock(&lock_x);
	pthread_mutex_unlock(&lock_y);
	return arg;
}

/* In a thread, as a test harness would run it. */
static void run_in_thread(void *(*fn)(void *))
{
	pthread_t t;

	pthread_create(&t, NULL, fn, NULL);
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ab";

	if (!strcmp(mode, "ab")) {
		run_in_thread(take_xy);
	} else if (!strcmp(mode, "ba")) {
		run_in_thread(take_yx);
	} else if (!strcmp(mode, "fork")) {
		pid_t pid;

		run_in_thread(take_xy);
		pid = fork();
		if (pid == 0) {
			run_in_thread(take_yx);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else {
		fprintf(stderr, "usage: gate_order ab|ba|fork\n");
		return 2;
	}
	return 0;
}
