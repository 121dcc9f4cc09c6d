// expect: lock-order-cycle=1
/*
 * dl_bank.c - accounts allocated on the heap, each with its own mutex;
 * transfer(from, to) locks 'from' then 'to'.  Two tellers transfer in
 * opposite directions between the same two accounts: a lock-order cycle
 * between two heap mutexes, named by where they were created.
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
	pthread_mutex_lock(&from->lock);
	pthread_mutex_lock(&to->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
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
