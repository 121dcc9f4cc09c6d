// SPDX-License-Identifier: MIT
/*
 * rt_exec.c - exec: "rt_exec" execs itself as "rt_exec child" (which
 * takes a lock and exits 4); a failing execv first checks that a failed
 * exec returns -1/ENOENT unchanged, and a vfork child whose exec fails
 * calls _exit(9) (it shares our memory: the runtime must leave our trace
 * alone).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int main(int argc, char **argv)
{
	char *bad[] = {"nope", NULL};
	char *args[] = {argv[0], "child", NULL};
	int status;
	pid_t pid;

	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
	if (argc > 1 && !strcmp(argv[1], "child")) {
		puts("exec child");
		return 4;
	}
	errno = 0;
	if (execv("/nonexistent/hbtrace-nope", bad) != -1 || errno != ENOENT)
		return 1;
	pid = vfork();
	if (pid == 0) {
		execv("/nonexistent/hbtrace-nope", bad);
		_exit(9);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 9)
		return 3;
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
	execv("/proc/self/exe", args);
	return 2;
}
