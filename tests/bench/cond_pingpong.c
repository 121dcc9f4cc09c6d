// SPDX-License-Identifier: MIT
/*
 * cond_pingpong.c - two threads hand a token back and forth through a
 * mutex and two condition variables.
 *
 * Every round is two waits, two signals and four lock acquisitions, and
 * every wait really blocks, so this measures the blocking paths of the
 * runtime (REQUEST/COND_WAIT/COND_WAKE records) rather than the fast path.
 * Usage: cond_pingpong [ROUNDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t to_ping = PTHREAD_COND_INITIALIZER;
static pthread_cond_t to_pong = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: ping's turn, 1: pong's turn */
static unsigned long rounds;

static void play(int me, pthread_cond_t *mine, pthread_cond_t *other)
{
	for (unsigned long i = 0; i < rounds; i++) {
		pthread_mutex_lock(&lock);
		while (turn != me)
			pthread_cond_wait(mine, &lock);
		turn = !me;
		pthread_cond_signal(other);
		pthread_mutex_unlock(&lock);
	}
}

static void *pong(void *arg)
{
	(void)arg;
	play(1, &to_pong, &to_ping);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 50000ul;
	if (pthread_create(&t, NULL, pong, NULL) != 0) {
		fprintf(stderr, "cond_pingpong: pthread_create failed\n");
		return 1;
	}
	play(0, &to_ping, &to_pong);
	pthread_join(t, NULL);
	return 0;
}
