// SPDX-License-Identifier: MIT
/*
 * rt_chunks.c - threads that fill many trace chunks, so the runtime opens
 * its next chunks ahead (while a thread holds no lock; megabyte chunks
 * only, so ROUNDS of 150000 or more) and also at once (a thread that
 * holds a lock all along), then a fork while the main thread has a
 * chunk mapped ahead.  Every lock taken must be in the
 * trace exactly once: workers, the holder and main each take ck_inner
 * ROUNDS times (the child of the fork too, in its own trace).
 * Usage: rt_chunks [ROUNDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define NWORKERS 3

static pthread_mutex_t ck_outer[2] = {PTHREAD_MUTEX_INITIALIZER,
				      PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t ck_inner[3] = {PTHREAD_MUTEX_INITIALIZER,
				      PTHREAD_MUTEX_INITIALIZER,
				      PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t ck_held = PTHREAD_MUTEX_INITIALIZER;
static unsigned long rounds = 20000;
static unsigned long counters[3]; /* counters[k]: under ck_inner[k] */

/* Nested pairs on changing locks: no LOCK_REPEAT folds them. */
static void ck_loop(void)
{
	for (unsigned long i = 0; i < rounds; i++) {
		pthread_mutex_lock(&ck_outer[i % 2]);
		pthread_mutex_lock(&ck_inner[i % 3]);
		counters[i % 3]++;
		pthread_mutex_unlock(&ck_inner[i % 3]);
		pthread_mutex_unlock(&ck_outer[i % 2]);
	}
}

static void *ck_worker(void *arg)
{
	(void)arg;
	ck_loop();
	return NULL;
}

/* Never without a lock: every chunk it needs is opened on the spot. */
static void *ck_holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ck_held);
	ck_loop();
	pthread_mutex_unlock(&ck_held);
	return NULL;
}

static unsigned long ck_total(void)
{
	return counters[0] + counters[1] + counters[2];
}

int main(int argc, char **argv)
{
	pthread_t t[NWORKERS + 1];
	int status;
	pid_t pid;

	if (argc > 1)
		rounds = strtoul(argv[1], NULL, 0);
	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&t[i], NULL, ck_worker, NULL);
	pthread_create(&t[NWORKERS], NULL, ck_holder, NULL);
	for (int i = 0; i <= NWORKERS; i++)
		pthread_join(t[i], NULL);
	ck_loop();
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		ck_loop();
		_exit(ck_total() == rounds * (NWORKERS + 3) ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
	printf("%lu\n", ck_total());
	return ck_total() == rounds * (NWORKERS + 2) ? 0 : 1;
}
