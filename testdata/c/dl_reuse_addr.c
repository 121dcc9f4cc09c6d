// expect: none
/*
 * dl_reuse_addr.c - one address holds a mutex of one thread, then a
 * semaphore of another: memory that malloc hands back to a different
 * thread after free.  What orders the two lifetimes (here a C11 atomic
 * flag, in real programs malloc's own arena lock) is not recorded, so
 * the trace merge must not let the semaphore's init overtake the mutex's
 * unlock and destroy.  Nothing is wrong with this program.
 *
 * Found in CPython's test_asyncio under hbtrace (2026-12-07): sems of
 * threading.Lock objects and libcrypto rwlocks at reused addresses were
 * reported as unlock-not-held, destroy-rwlock-held and
 * sem-destroy-with-waiters.
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <unistd.h>

static union {
	pthread_mutex_t mutex;
	sem_t sem;
} slot;

static sem_t a_locked, go;
static atomic_int slot_free;

static void *mutex_user(void *arg)
{
	(void)arg;
	pthread_mutex_init(&slot.mutex, NULL);
	pthread_mutex_lock(&slot.mutex);
	sem_post(&a_locked);
	sem_wait(&go); /* the merge parks this thread here */
	pthread_mutex_unlock(&slot.mutex);
	pthread_mutex_destroy(&slot.mutex);
	atomic_store_explicit(&slot_free, 1, memory_order_release);
	return NULL;
}

static void *sem_user(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&slot_free, memory_order_acquire))
		sched_yield();
	sem_init(&slot.sem, 0, 0);
	sem_post(&slot.sem);
	sem_wait(&slot.sem);
	sem_destroy(&slot.sem);
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	sem_init(&a_locked, 0, 0);
	sem_init(&go, 0, 0);
	pthread_create(&a, NULL, mutex_user, NULL);
	pthread_create(&b, NULL, sem_user, NULL);
	sem_wait(&a_locked);
	usleep(10000);
	sem_post(&go);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	sem_destroy(&a_locked);
	sem_destroy(&go);
	return 0;
}
