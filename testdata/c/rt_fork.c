// SPDX-License-Identifier: MIT
/*
 * rt_fork.c - fork from a multithreaded program: a thread holds a lock
 * while main forks; the child uses locks and threads of its own and
 * exits 5, the parent checks that status and exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t started;
/* taken around fork() by atfork handlers, as libraries do */
static pthread_mutex_t atfork_lock = PTHREAD_MUTEX_INITIALIZER;

static void prepare(void)
{
	pthread_mutex_lock(&atfork_lock);
}

static void release(void)
{
	pthread_mutex_unlock(&atfork_lock);
}

static void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&busy_lock);
	pthread_barrier_wait(&started);
	usleep(100000);
	pthread_mutex_unlock(&busy_lock);
	return NULL;
}

static void *child_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&shared_lock);
	pthread_mutex_unlock(&shared_lock);
	return NULL;
}

int main(void)
{
	pthread_t h, w;
	int status;
	pid_t pid;

	pthread_atfork(prepare, release, release);
	pthread_barrier_init(&started, NULL, 2);
	pthread_create(&h, NULL, holder, NULL);
	pthread_barrier_wait(&started);
	pthread_mutex_lock(&shared_lock);
	pthread_mutex_unlock(&shared_lock);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		pthread_create(&w, NULL, child_worker, NULL);
		pthread_join(w, NULL);
		_exit(5);
	}
	pthread_join(h, NULL);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 5)
		return 1;
	printf("child %d exited 5\n", (int)pid);
	return 0;
}
