// SPDX-License-Identifier: MIT
// build: -D_GNU_SOURCE
/*
 * rt_allsync.c - calls every wrapped synchronization function at least
 * once, and checks that return values and errno are what glibc gives
 * without the runtime (exit status 0 = every check held).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                   \
	do {                                                          \
		if (!(cond)) {                                        \
			fprintf(stderr, "check failed line %d: %s\n", \
				__LINE__, #cond);                     \
			failures++;                                   \
		}                                                     \
	} while (0)

static pthread_mutex_t m_static = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_rec_static = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;
static sem_t sem;
static int ready;

static void deadline(struct timespec *ts, long ms, clockid_t clk)
{
	clock_gettime(clk, ts);
	ts->tv_nsec += ms * 1000000L;
	while (ts->tv_nsec >= 1000000000L) {
		ts->tv_nsec -= 1000000000L;
		ts->tv_sec++;
	}
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "rt-worker");
	pthread_mutex_lock(&m_static);
	ready = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&m_static);
	sem_post(&sem);
	pthread_barrier_wait(&bar);
	return (void *)42;
}

static void *exiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m_static);
	pthread_mutex_unlock(&m_static);
	pthread_exit((void *)7);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	usleep(200000);
	return NULL;
}

int main(void)
{
	pthread_mutexattr_t ma;
	pthread_mutex_t m_norm, m_rec, m_err;
	pthread_spinlock_t sp;
	pthread_t th, th2, th3;
	struct timespec ts;
	void *ret;
	sem_t *named;
	char name[64];
	int r;

	/* mutex kinds */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_NORMAL);
	pthread_mutex_init(&m_norm, &ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m_rec, &ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m_err, &ma);
	pthread_mutexattr_destroy(&ma);

	CHECK(pthread_mutex_lock(&m_norm) == 0);
	errno = 1234;
	CHECK(pthread_mutex_trylock(&m_norm) == EBUSY);
	CHECK(errno == 1234);
	deadline(&ts, 20, CLOCK_REALTIME);
	CHECK(pthread_mutex_timedlock(&m_norm, &ts) == ETIMEDOUT);
	CHECK(errno == 1234);
	deadline(&ts, 20, CLOCK_MONOTONIC);
	CHECK(pthread_mutex_clocklock(&m_norm, CLOCK_MONOTONIC, &ts) ==
	      ETIMEDOUT);
	CHECK(pthread_mutex_unlock(&m_norm) == 0);

	CHECK(pthread_mutex_lock(&m_rec) == 0);
	CHECK(pthread_mutex_lock(&m_rec) == 0);
	CHECK(pthread_mutex_trylock(&m_rec) == 0);
	CHECK(pthread_mutex_unlock(&m_rec) == 0);
	CHECK(pthread_mutex_unlock(&m_rec) == 0);
	CHECK(pthread_mutex_unlock(&m_rec) == 0);

	CHECK(pthread_mutex_lock(&m_err) == 0);
	CHECK(pthread_mutex_lock(&m_err) == EDEADLK);
	CHECK(pthread_mutex_unlock(&m_err) == 0);
	CHECK(pthread_mutex_unlock(&m_err) == EPERM);

	CHECK(pthread_mutex_lock(&m_rec_static) == 0);
	CHECK(pthread_mutex_lock(&m_rec_static) == 0);
	pthread_mutex_unlock(&m_rec_static);
	pthread_mutex_unlock(&m_rec_static);

	CHECK(pthread_mutex_destroy(&m_norm) == 0);
	CHECK(pthread_mutex_destroy(&m_rec) == 0);
	CHECK(pthread_mutex_destroy(&m_err) == 0);

	/* rwlock */
	CHECK(pthread_rwlock_rdlock(&rw) == 0);
	CHECK(pthread_rwlock_tryrdlock(&rw) == 0);
	CHECK(pthread_rwlock_trywrlock(&rw) == EBUSY);
	deadline(&ts, 20, CLOCK_REALTIME);
	CHECK(pthread_rwlock_timedwrlock(&rw, &ts) == ETIMEDOUT);
	deadline(&ts, 20, CLOCK_MONOTONIC);
	CHECK(pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts) ==
	      ETIMEDOUT);
	CHECK(pthread_rwlock_unlock(&rw) == 0);
	CHECK(pthread_rwlock_unlock(&rw) == 0);
	CHECK(pthread_rwlock_wrlock(&rw) == 0);
	deadline(&ts, 20, CLOCK_REALTIME);
	CHECK(pthread_rwlock_timedrdlock(&rw, &ts) == EDEADLK ||
	      pthread_rwlock_timedrdlock(&rw, &ts) == ETIMEDOUT);
	CHECK(pthread_rwlock_unlock(&rw) == 0);
	deadline(&ts, 20, CLOCK_MONOTONIC);
	CHECK(pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ts) == 0);
	CHECK(pthread_rwlock_unlock(&rw) == 0);
	{
		pthread_rwlock_t rw2;

		CHECK(pthread_rwlock_init(&rw2, NULL) == 0);
		CHECK(pthread_rwlock_destroy(&rw2) == 0);
	}

	/* spin */
	CHECK(pthread_spin_init(&sp, PTHREAD_PROCESS_PRIVATE) == 0);
	CHECK(pthread_spin_lock(&sp) == 0);
	CHECK(pthread_spin_trylock(&sp) == EBUSY);
	CHECK(pthread_spin_unlock(&sp) == 0);
	CHECK(pthread_spin_destroy(&sp) == 0);

	/* semaphores */
	CHECK(sem_init(&sem, 0, 0) == 0);
	errno = 0;
	CHECK(sem_trywait(&sem) == -1 && errno == EAGAIN);
	deadline(&ts, 20, CLOCK_REALTIME);
	errno = 0;
	CHECK(sem_timedwait(&sem, &ts) == -1 && errno == ETIMEDOUT);
	deadline(&ts, 20, CLOCK_MONOTONIC);
	errno = 0;
	CHECK(sem_clockwait(&sem, CLOCK_MONOTONIC, &ts) == -1 &&
	      errno == ETIMEDOUT);
	snprintf(name, sizeof(name), "/hbt-rt-%d", (int)getpid());
	named = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
	CHECK(named != SEM_FAILED);
	if (named != SEM_FAILED) {
		CHECK(sem_wait(named) == 0);
		CHECK(sem_post(named) == 0);
		CHECK(sem_close(named) == 0);
		sem_unlink(name);
	}
	errno = 0;
	CHECK(sem_open("/hbt-rt-does-not-exist", 0) == SEM_FAILED &&
	      errno == ENOENT);

	/* threads, cond, barrier */
	CHECK(pthread_barrier_init(&bar, NULL, 2) == 0);
	CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
	pthread_mutex_lock(&m_static);
	while (!ready)
		pthread_cond_wait(&cv, &m_static);
	deadline(&ts, 10, CLOCK_REALTIME);
	CHECK(pthread_cond_timedwait(&cv, &m_static, &ts) == ETIMEDOUT);
	deadline(&ts, 10, CLOCK_MONOTONIC);
	CHECK(pthread_cond_clockwait(&cv, &m_static, CLOCK_MONOTONIC, &ts) ==
	      ETIMEDOUT);
	pthread_mutex_unlock(&m_static);
	pthread_cond_broadcast(&cv);
	CHECK(sem_wait(&sem) == 0);
	r = pthread_barrier_wait(&bar);
	CHECK(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD);
	CHECK(pthread_join(th, &ret) == 0 && ret == (void *)42);
	CHECK(pthread_barrier_destroy(&bar) == 0);
	CHECK(sem_destroy(&sem) == 0);
	{
		pthread_cond_t cv2;

		CHECK(pthread_cond_init(&cv2, NULL) == 0);
		CHECK(pthread_cond_destroy(&cv2) == 0);
	}

	CHECK(pthread_create(&th2, NULL, exiter, NULL) == 0);
	CHECK(pthread_join(th2, &ret) == 0 && ret == (void *)7);

	CHECK(pthread_create(&th3, NULL, sleeper, NULL) == 0);
	CHECK(pthread_tryjoin_np(th3, &ret) == EBUSY);
	deadline(&ts, 10, CLOCK_REALTIME);
	CHECK(pthread_timedjoin_np(th3, &ret, &ts) == ETIMEDOUT);
	deadline(&ts, 5000, CLOCK_REALTIME);
	CHECK(pthread_timedjoin_np(th3, &ret, &ts) == 0);

	CHECK(pthread_create(&th3, NULL, sleeper, NULL) == 0);
	CHECK(pthread_detach(th3) == 0);
	CHECK(pthread_join(pthread_self(), &ret) == EDEADLK);

	/* sigprocmask is the runtime's too (rt_stack.c): glibc's results */
	sigset_t usr1, old, now;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &usr1, &old) == 0);
	CHECK(!sigismember(&old, SIGUSR1));
	CHECK(raise(SIGUSR1) == 0);
	CHECK(sigpending(&now) == 0 && sigismember(&now, SIGUSR1));
	CHECK(sigprocmask(SIG_SETMASK, NULL, &now) == 0 &&
	      sigismember(&now, SIGUSR1));
	signal(SIGUSR1, SIG_IGN);
	errno = 1234;
	CHECK(sigprocmask(12345, &usr1, NULL) == -1 && errno == EINVAL);
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0 &&
	      !sigismember(&now, SIGUSR1));

	printf("rt_allsync: %d failures\n", failures);
	return failures ? 1 : 0;
}
