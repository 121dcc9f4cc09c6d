/* SPDX-License-Identifier: MIT */
/*
 * dl_turns.h - let the threads of a dl_*.c sample take turns without any
 * synchronization hbtrace counts as ordering (a polled flag under its own
 * mutex: mutex release -> acquire is not a hard order), so a run is
 * deterministic and never deadlocks, yet the lock orders stay concurrent
 * for the analysis.
 */
#ifndef DL_TURNS_H
#define DL_TURNS_H

#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t turn_mu = PTHREAD_MUTEX_INITIALIZER;
static int turn;

static void wait_turn(int me)
{
	for (;;) {
		int t;

		pthread_mutex_lock(&turn_mu);
		t = turn;
		pthread_mutex_unlock(&turn_mu);
		if (t == me)
			return;
		usleep(200);
	}
}

static void next_turn(void)
{
	pthread_mutex_lock(&turn_mu);
	turn++;
	pthread_mutex_unlock(&turn_mu);
}

#endif /* DL_TURNS_H */
