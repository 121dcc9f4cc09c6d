// SPDX-License-Identifier: MIT
/*
 * analyze_lane.c - the second analysis thread.
 *
 * Why: decoding and merging a trace is a third of `hbtrace report`'s time
 * and the lock-order graph another half; on two CPUs they can overlap.
 * Every analysis still sees every event in the merged order, one thread
 * per analysis, so no analysis needs a lock and the findings are the same
 * with or without the lane.
 *
 * How: a single-producer, single-consumer ring of LANE_RING batches of
 * LANE_BATCH events.  The reading thread copies each event into the batch
 * being filled and publishes it when full ('produced'); the lane thread
 * runs its handlers over published batches and gives them back
 * ('consumed').  One hand-over per batch, so the counters' cache lines
 * move between the CPUs once per LANE_BATCH events.  A side that finds
 * nothing to do spins a little, then sleeps on the condition variable;
 * the other side wakes it only when it says it sleeps ('sleepers', a
 * Dekker pair with the counters: both sides store, then load, all
 * sequentially consistent, so a wake-up cannot be missed).
 *
 * What crosses between the CPUs is what costs: a whole struct hbt_event
 * is two cache lines, and copying those made the reading thread slower by
 * half again.  Nearly every event of a long trace is a lock operation,
 * which uses a third of the fields, so the lane carries those in 40 bytes
 * (struct lane_ev) and the rest whole, on the side.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze_lane.h"

#define LANE_BATCH	1024 /* events: 40 kB, a hand-over per batch */
#define LANE_BATCH_FULL 64   /* whole events per batch */
/* batches in flight: 3 MB, more than a CPU's L2 cache, so the reader
 * writes to lines the lane has already let go of to the shared L3 */
#define LANE_RING	  64
#define LANE_FULL	  UINT32_MAX /* lane_ev.thread: whole event, on the side */
#define LANE_SPINS	  4000	     /* pauses before sleeping: ~50 us */
#define LANE_MAX_HANDLERS 32
/* below this a trace is read faster than a thread starts */
#define LANE_MIN_TRACE_BYTES (8u << 20)

/*
 * An event of the fields a lock operation has; every other field is 0 and
 * the index is the number of events before it.  An event that does not
 * fit goes whole into the batch's side array, and its lane_ev says where.
 */
struct lane_ev {
	uint64_t obj, seq, time_ns;
	uint32_t thread; /* LANE_FULL: objref is the index in 'full' */
	uint32_t stack, objref;
	uint8_t type, kind, op, outcome;
};

struct lane_batch {
	struct lane_ev ev[LANE_BATCH];
	struct hbt_event full[LANE_BATCH_FULL];
	uint32_t nev, nfull;
};

/*
 * Each part on cache lines of its own: the producer writes 'pushed' on
 * every event, and next to the handler table that the lane reads on
 * every event it made the line travel between the CPUs each time (half
 * of the lane's time, by perf).
 */
struct analysis_lane {
	/* set up before the thread starts, then only read */
	pthread_t thread;
	analysis_event_fn handler[LANE_MAX_HANDLERS];
	void *state[LANE_MAX_HANDLERS];
	size_t nhandlers;
	struct lane_batch *ring; /* LANE_RING */
	/* the producer's own */
	_Alignas(64) uint64_t pushed; /* index of the last event + 1 */
	bool open;		      /* batch 'produced' is being filled */
	/* written by the producer once per batch */
	_Alignas(64) atomic_uint_fast64_t produced;
	atomic_bool done;
	/* written by the consumer once per batch */
	_Alignas(64) atomic_uint_fast64_t consumed;
	_Alignas(64) atomic_int sleepers;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static inline void lane_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Wake the other side if it sleeps; after our counter store. */
static void lane_wake(struct analysis_lane *l)
{
	if (atomic_load(&l->sleepers) == 0)
		return;
	pthread_mutex_lock(&l->mu);
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/* Wait until ready(l, arg) holds: spin, then sleep. */
static void lane_wait(struct analysis_lane *l,
		      bool (*ready)(struct analysis_lane *, uint64_t),
		      uint64_t arg)
{
	int i;

	for (i = 0; i < LANE_SPINS; i++) {
		if (ready(l, arg))
			return;
		lane_relax();
	}
	pthread_mutex_lock(&l->mu);
	atomic_fetch_add(&l->sleepers, 1);
	while (!ready(l, arg)) {
		struct timespec ts;

		/* a timeout only as a safety net: the wake-up is exact */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	atomic_fetch_sub(&l->sleepers, 1);
	pthread_mutex_unlock(&l->mu);
}

/* consumer: batch 'c' is published, or there will be no more */
static bool lane_has_batch(struct analysis_lane *l, uint64_t c)
{
	bool done = atomic_load(&l->done);

	return atomic_load(&l->produced) > c || done;
}

/* producer: batch 'p' may be filled (the ring has room) */
static bool lane_has_room(struct analysis_lane *l, uint64_t p)
{
	return p - atomic_load(&l->consumed) < LANE_RING;
}

/* The event that 's' carries: 'e' filled in, or the whole one. */
static inline const struct hbt_event *lane_unpack(const struct lane_batch *b,
						  const struct lane_ev *s,
						  struct hbt_event *e,
						  uint64_t index)
{
	if (s->thread == LANE_FULL)
		return &b->full[s->objref];
	e->index = index;
	e->thread = s->thread;
	e->type = s->type;
	e->kind = s->kind;
	e->op = s->op;
	e->outcome = s->outcome;
	e->obj = s->obj;
	e->seq = s->seq;
	e->stack = s->stack;
	e->time_ns = s->time_ns;
	e->objref = s->objref;
	return e;
}

static void *lane_main(void *arg)
{
	struct analysis_lane *l = arg;
	/* the short events unpacked: the fields they lack stay 0 */
	struct hbt_event e = {0};
	uint64_t c, index = 0;

	for (c = 0;; c++) {
		const struct lane_batch *b = &l->ring[c % LANE_RING];
		uint32_t k;
		size_t i;

		lane_wait(l, lane_has_batch, c);
		/* 'done' is set after the last batch is published */
		if (atomic_load(&l->produced) <= c)
			break;
		for (k = 0; k < b->nev; k++, index++) {
			const struct hbt_event *ev;

			if (k + 16 < LANE_BATCH)
				__builtin_prefetch(&b->ev[k + 16]);
			ev = lane_unpack(b, &b->ev[k], &e, index);
			/* the next short event counts on from a whole one */
			index = ev->index;
			for (i = 0; i < l->nhandlers; i++)
				l->handler[i](l->state[i], ev);
		}
		atomic_store(&l->consumed, c + 1);
		lane_wake(l);
	}
	return NULL;
}

struct analysis_lane *analysis_lane_start(const analysis_event_fn *handler,
					  void *const *state, size_t nhandlers)
{
	struct analysis_lane *l;
	sigset_t all, old;
	int ret;

	if (!nhandlers || nhandlers > LANE_MAX_HANDLERS)
		return NULL;
	l = aligned_alloc(64, sizeof(*l));
	if (!l)
		return NULL;
	memset(l, 0, sizeof(*l));
	l->ring = malloc(sizeof(*l->ring) * LANE_RING);
	if (!l->ring) {
		free(l);
		return NULL;
	}
	memcpy(l->handler, handler, nhandlers * sizeof(*handler));
	memcpy(l->state, state, nhandlers * sizeof(*state));
	l->nhandlers = nhandlers;
	atomic_init(&l->produced, 0);
	atomic_init(&l->consumed, 0);
	atomic_init(&l->done, false);
	atomic_init(&l->sleepers, 0);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	/* signals (SIGINT, SIGPIPE) stay with the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&l->thread, NULL, lane_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		free(l->ring);
		free(l);
		return NULL;
	}
	return l;
}

static void lane_publish(struct analysis_lane *l)
{
	uint64_t p = atomic_load_explicit(&l->produced, memory_order_relaxed);

	l->open = false;
	atomic_store(&l->produced, p + 1);
	lane_wake(l);
}

/* whether 'ev' is all in a lane_ev */
static inline bool lane_ev_fits(const struct analysis_lane *l,
				const struct hbt_event *ev)
{
	return ev->index == l->pushed && ev->thread != LANE_FULL &&
	       !(ev->obj2 | ev->seq2 | ev->arg | ev->arg2 | (uint64_t)ev->err |
		 ev->data_len | ev->data2_len) &&
	       !ev->data && !ev->data2;
}

void analysis_lane_push(struct analysis_lane *l, const struct hbt_event *ev)
{
	uint64_t p = atomic_load_explicit(&l->produced, memory_order_relaxed);
	struct lane_batch *b = &l->ring[p % LANE_RING];
	struct lane_ev *s;

	/* a new batch: wait for the lane to give its slot back */
	if (!l->open) {
		if (!lane_has_room(l, p))
			lane_wait(l, lane_has_room, p);
		b->nev = 0;
		b->nfull = 0;
		l->open = true;
	}
	s = &b->ev[b->nev++];
	/* ask for the lines a few events ahead now: a store to a line the
	 * lane's CPU read waits for that CPU to let go of it */
	if (b->nev + 16 < LANE_BATCH)
		__builtin_prefetch(s + 16, 1);
	if (lane_ev_fits(l, ev)) {
		uint64_t obj = ev->obj, seq = ev->seq, time_ns = ev->time_ns;
		uint32_t thread = ev->thread, stack = ev->stack;
		uint32_t objref = ev->objref;
		uint8_t type = ev->type, kind = ev->kind, op = ev->op;
		uint8_t outcome = ev->outcome;

		/*
		 * Field by field, through registers.  The decoder has just
		 * stored these one by one; gcc would load pairs of them with
		 * one 16-byte load to store them as pairs, and a load that
		 * spans two pending stores waits for both to reach the cache
		 * (no store forwarding): 60% of this function, by perf.
		 */
		__asm__("" : "+r"(obj), "+r"(seq), "+r"(time_ns));
		__asm__("" : "+r"(thread), "+r"(stack), "+r"(objref));
		__asm__("" : "+r"(type), "+r"(kind), "+r"(op), "+r"(outcome));
		s->obj = obj;
		s->seq = seq;
		s->time_ns = time_ns;
		s->thread = thread;
		s->stack = stack;
		s->objref = objref;
		s->type = type;
		s->kind = kind;
		s->op = op;
		s->outcome = outcome;
	} else {
		s->thread = LANE_FULL;
		s->objref = b->nfull;
		b->full[b->nfull++] = *ev;
	}
	l->pushed = ev->index + 1;
	if (b->nev == LANE_BATCH || b->nfull == LANE_BATCH_FULL)
		lane_publish(l);
}

void analysis_lane_finish(struct analysis_lane *l)
{
	if (!l)
		return;
	if (l->open)
		lane_publish(l);
	atomic_store(&l->done, true);
	lane_wake(l);
	pthread_join(l->thread, NULL);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l->ring);
	free(l);
}

bool analysis_lane_wanted(size_t trace_bytes)
{
	const char *env = getenv("HBTRACE_ANALYZE_LANES");
	cpu_set_t cpus;
	int ncpu;

	if (env && *env)
		return atoi(env) >= 2;
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		ncpu = CPU_COUNT(&cpus);
	else
		ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return ncpu >= 2 && trace_bytes >= LANE_MIN_TRACE_BYTES;
}
