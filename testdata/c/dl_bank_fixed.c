// expect: none
/*
 * dl_bank_fixed.c - dl_bank.c fixed: transfer() locks the two accounts
 * in address order, whatever the direction of the transfer: one global
 * order, no cycle.
 */
#include <pthread.h>
#include <stdlib.h>

#include "dl_turns.h"

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account *accounts[2];

static struct account *account_open(long balance)
{
	struct account *a = malloc(sizeof(*a));

	pthread_mutex_init(&a->lock, NULL);
	a->balance = balance;
	return a;
}

static void transfer(struct account *from, struct account *to, long amount)
{
	struct account *first = from < to ? from : to;
	struct account *second = from < to ? to : from;

	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
}

static void *teller(void *arg)
{
	int me = arg != NULL;

	wait_turn(me);
	transfer(accounts[me], accounts[!me], 10);
	next_turn();
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	int i;

	for (i = 0; i < 2; i++)
		accounts[i] = account_open(100);
	pthread_create(&t1, NULL, teller, NULL);
	pthread_create(&t2, NULL, teller, (void *)1);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	for (i = 0; i < 2; i++) {
		pthread_mutex_destroy(&accounts[i]->lock);
		free(accounts[i]);
	}
	return 0;
}
