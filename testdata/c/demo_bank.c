// expect: lock-order-cycle=1
/*
 * demo_bank.c - the bundled example of `make demo`.
 *
 * Two tellers move money between the same two accounts in opposite
 * directions.  Each transfer locks the source account, then the target:
 * teller 1 locks alice then bob, teller 2 bob then alice.  This run is
 * lucky and finishes (the tellers take turns), but the order can deadlock
 * in another run; hbtrace predicts it from this one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct account {
	pthread_mutex_t lock;
	const char *owner;
	long balance;
};

static struct account alice = { PTHREAD_MUTEX_INITIALIZER, "alice", 100 };
static struct account bob = { PTHREAD_MUTEX_INITIALIZER, "bob", 100 };

static void transfer(struct account *from, struct account *to, long amount)
{
	pthread_mutex_lock(&from->lock);
	pthread_mutex_lock(&to->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

static void *teller_1(void *arg)
{
	(void)arg;
	transfer(&alice, &bob, 10);
	return NULL;
}

static void *teller_2(void *arg)
{
	(void)arg;
	/* Teller 2 happens to start late: this run is lucky.  A sleep is
	 * no synchronization, so another run can interleave the two
	 * transfers and deadlock. */
	usleep(20000);
	transfer(&bob, &alice, 20);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, teller_1, NULL);
	pthread_create(&t2, NULL, teller_2, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("alice %ld, bob %ld\n", alice.balance, bob.balance);
	return 0;
}
