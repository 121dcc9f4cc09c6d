// SPDX-License-Identifier: MIT
/*
 * gen_trace.c - realistic synthetic traces for the analyzer benchmark.
 *
 * Simulates a lock-heavy program and writes its trace with the offline
 * writer (lib/hbt_filewriter.h): a main thread creates worker threads,
 * every worker runs critical sections that take one to three mutexes,
 * nested, always in ascending lock order (so the analysis has a lock graph
 * to build but no cycle from them), and the main thread joins them.
 * Each worker draws from its own window of the lock pool (objects it owns)
 * and, one time in eight, from a few hot shared locks, so the set of
 * distinct lock pairs is fixed by the parameters, not by the length: an
 * analyzer whose memory grows from 10 M to 100 M events keeps something
 * per event.  A
 * small scheduler interleaves the workers step by step, so contention is
 * real: a worker that finds a lock taken writes a REQUEST, waits, and its
 * ACQUIRE carries the lock's next acquisition counter, exactly as the
 * runtime records.  Workers favour a private working set of locks plus a
 * few hot shared ones, and acquire from a fixed pool of call stacks, so
 * the stack table stays small while events grow.  Two workers take one
 * extra pair of locks in opposite orders, early and at different times:
 * the analysis should report exactly one lock-order cycle at any length.
 *
 * Usage: gen_trace -n EVENTS -o FILE [-t THREADS] [-l LOCKS] [-s SEED]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hbt_filewriter.h"

#define GEN_MAX_THREADS	    64
#define GEN_MAX_DEPTH	    3
#define GEN_STACKS_PER_LOCK 4
#define GEN_HOT_LOCKS	    8
#define GEN_MODULE_START    0x555555554000ull
#define GEN_MODULE_SIZE	    0x200000ull
#define GEN_HEAP_BASE	    0x7f3a00001000ull

struct gen_lock {
	uint64_t addr;
	uint32_t owner; /* thread serial, 0 = free */
	uint64_t acquisitions;
	uint32_t stacks[GEN_STACKS_PER_LOCK];
};

struct gen_thread {
	uint32_t serial;
	uint32_t plan[GEN_MAX_DEPTH]; /* lock indexes, ascending */
	int depth;		      /* locks in the plan, 0 = idle */
	int held;		      /* plan[0..held) are held */
	int releasing;		      /* all acquired: releasing from the top */
	int requested;		      /* REQUEST written for plan[held] */
	uint32_t ws_base;	      /* start of the private window of locks */
	int done;
};

struct gen {
	struct hbt_filewriter *w;
	struct gen_lock *locks;
	uint32_t nlocks;
	struct gen_thread th[GEN_MAX_THREADS + 1];
	uint32_t nworkers;
	uint64_t rng;
	uint64_t events;
	int inverted;	 /* worker 2's inversion written */
	uint8_t *pairs;	 /* bitmap nlocks x nlocks: held -> acquired seen */
	uint64_t npairs; /* distinct lock-order edges, for the log */
	int err;
};

static uint64_t gen_rand(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

static void gen_event(struct gen *g, uint32_t serial, struct hbt_event *ev)
{
	int ret;

	if (g->err)
		return;
	ret = hbt_filewriter_event(g->w, serial, ev);
	if (ret < 0)
		g->err = ret;
	g->events++;
}

/* A call stack of 'depth' frames in the fake module, deterministic in id. */
static uint32_t gen_stack(struct gen *g, uint64_t id, uint32_t depth)
{
	uint64_t frames[16];
	uint64_t x = id * 0x9e3779b97f4a7c15ull + 1;
	int ret;

	for (uint32_t i = 0; i < depth; i++) {
		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ull;
		/* a shared outer part (main, thread entry) like real stacks */
		uint64_t pc = i + 2 >= depth
				      ? 0x1000 + 0x40 * (depth - i)
				      : 0x2000 + x % (GEN_MODULE_SIZE - 0x3000);
		frames[i] = HBT_FRAME_FROM_PC(GEN_MODULE_START + pc);
	}
	ret = hbt_filewriter_stack(g->w, frames, depth);
	if (ret < 0) {
		g->err = ret;
		return 0;
	}
	return (uint32_t)ret;
}

static void gen_acquire(struct gen *g, struct gen_thread *t, uint32_t li,
			int requested, uint32_t stack)
{
	struct gen_lock *l = &g->locks[li];
	struct hbt_event ev = {
		.type = HBT_REC_ACQUIRE, .kind = HBT_OBJ_MUTEX, .obj = l->addr};

	for (int i = 0; i < t->held; i++) {
		uint64_t bit = (uint64_t)t->plan[i] * g->nlocks + li;

		if (!(g->pairs[bit / 8] & (1u << (bit % 8)))) {
			g->pairs[bit / 8] |= (uint8_t)(1u << (bit % 8));
			g->npairs++;
		}
	}
	l->owner = t->serial;
	ev.seq = ++l->acquisitions;
	ev.op = requested ? HBT_OP_REQUESTED : 0;
	ev.stack = requested ? 0 : stack;
	gen_event(g, t->serial, &ev);
}

static void gen_release(struct gen *g, struct gen_thread *t, uint32_t li)
{
	struct hbt_event ev = {.type = HBT_REC_RELEASE,
			       .kind = HBT_OBJ_MUTEX,
			       .obj = g->locks[li].addr};

	g->locks[li].owner = 0;
	gen_event(g, t->serial, &ev);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Choose the next critical section: 1-3 distinct locks, ascending. */
static void gen_plan(struct gen *g, struct gen_thread *t)
{
	uint64_t r = gen_rand(g);
	int depth = r % 10 < 6 ? 1 : r % 10 < 9 ? 2 : 3;
	uint32_t pool = g->nlocks - GEN_HOT_LOCKS - 2;
	uint32_t ws = pool / g->nworkers > 16 ? pool / g->nworkers : 16;

	t->depth = 0;
	while (t->depth < depth) {
		uint64_t x = gen_rand(g);
		uint32_t li;
		int dup = 0;

		if (x % 8 == 0) /* a hot lock everybody uses */
			li = (uint32_t)((x >> 8) % GEN_HOT_LOCKS);
		else
			/* the last two locks are kept for the inversion */
			li = GEN_HOT_LOCKS +
			     (t->ws_base + (uint32_t)((x >> 8) % ws)) % pool;
		for (int i = 0; i < t->depth; i++)
			dup |= t->plan[i] == li;
		if (!dup)
			t->plan[t->depth++] = li;
	}
	qsort(t->plan, (size_t)t->depth, sizeof(t->plan[0]), cmp_u32);
	t->held = 0;
	t->releasing = 0;
	t->requested = 0;
}

/* One step of a worker: one event, or nothing if it must wait. */
static int gen_step(struct gen *g, struct gen_thread *t, int stopping)
{
	if (!t->depth) {
		if (stopping) {
			t->done = 1;
			return 0;
		}
		gen_plan(g, t);
	}
	if (!t->releasing) {
		uint32_t li = t->plan[t->held];
		struct gen_lock *l = &g->locks[li];
		uint32_t stack =
			l->stacks[(t->held + t->serial) % GEN_STACKS_PER_LOCK];

		if (l->owner) {
			if (!t->requested) {
				struct hbt_event ev = {.type = HBT_REC_REQUEST,
						       .kind = HBT_OBJ_MUTEX,
						       .obj = l->addr,
						       .stack = stack};

				gen_event(g, t->serial, &ev);
				t->requested = 1;
				return 1;
			}
			return 0;
		}
		gen_acquire(g, t, li, t->requested, stack);
		t->requested = 0;
		if (++t->held == t->depth)
			t->releasing = 1;
		return 1;
	}
	gen_release(g, t, t->plan[--t->held]);
	if (!t->held)
		t->depth = 0;
	return 1;
}

/* The one inversion: worker 1 takes A then B, worker 2 later B then A. */
static void gen_inversion(struct gen *g, struct gen_thread *t, uint32_t a,
			  uint32_t b)
{
	/* the thread is idle: borrow its plan so the pair is counted */
	t->plan[0] = a;
	t->held = 0;
	gen_acquire(g, t, a, 0, g->locks[a].stacks[3]);
	t->held = 1;
	gen_acquire(g, t, b, 0, g->locks[b].stacks[3]);
	t->held = 0;
	gen_release(g, t, b);
	gen_release(g, t, a);
}

static int gen_run(struct gen *g, uint64_t target)
{
	struct hbt_event ev;
	uint32_t create_stack = gen_stack(g, 1u << 30, 5);
	uint32_t join_stack = gen_stack(g, (1u << 30) + 1, 5);
	uint32_t init_stack = gen_stack(g, (1u << 30) + 2, 6);
	uint32_t inv_a = g->nlocks - 2, inv_b = g->nlocks - 1;
	uint32_t live;

	memset(&ev, 0, sizeof(ev));
	ev.type = HBT_REC_THREAD_START;
	ev.arg = 1000;
	ev.arg2 = 0x7f3a10000000ull;
	gen_event(g, 1, &ev);
	hbt_filewriter_thread_name(g->w, 1, "main");
	/* heap mutexes are initialized by main; static ones are not */
	for (uint32_t i = GEN_HOT_LOCKS; i < g->nlocks; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = HBT_REC_OBJ_INIT;
		ev.kind = HBT_OBJ_MUTEX;
		ev.obj = g->locks[i].addr;
		ev.arg = HBT_MUTEX_DEFAULT;
		ev.stack = init_stack;
		gen_event(g, 1, &ev);
	}
	for (uint32_t i = 1; i <= g->nworkers; i++) {
		struct gen_thread *t = &g->th[i];
		char name[32];

		memset(t, 0, sizeof(*t));
		t->serial = i + 1;
		/* working sets side by side: the lock graph stops growing
		 * once every worker has met its pairs, whatever the length */
		t->ws_base = (i - 1) *
			     ((g->nlocks - GEN_HOT_LOCKS - 2) / g->nworkers);
		memset(&ev, 0, sizeof(ev));
		ev.type = HBT_REC_THREAD_CREATE;
		ev.obj = t->serial;
		ev.stack = create_stack;
		gen_event(g, 1, &ev);
		memset(&ev, 0, sizeof(ev));
		ev.type = HBT_REC_THREAD_START;
		ev.obj = 1;
		ev.arg = 1000 + t->serial;
		ev.arg2 = 0x7f3a10000000ull + 0x800000ull * t->serial;
		gen_event(g, t->serial, &ev);
		hbt_filewriter_thread(g->w, t->serial,
				      (int32_t)(1000 + t->serial));
		snprintf(name, sizeof(name), "worker-%u", i);
		hbt_filewriter_thread_name(g->w, t->serial, name);
	}
	gen_inversion(g, &g->th[1], inv_a, inv_b);

	live = g->nworkers;
	while (live && !g->err) {
		struct gen_thread *t = &g->th[1 + gen_rand(g) % g->nworkers];
		int stopping = g->events >= target;

		if (t->done)
			continue;
		/* worker 2's inversion, once worker 1's is long over */
		if (t == &g->th[2] && !g->inverted && g->events > 1000 &&
		    !t->depth && !g->locks[inv_a].owner &&
		    !g->locks[inv_b].owner) {
			gen_inversion(g, t, inv_b, inv_a);
			g->inverted = 1;
		}
		gen_step(g, t, stopping);
		if (t->done) {
			memset(&ev, 0, sizeof(ev));
			ev.type = HBT_REC_THREAD_END;
			gen_event(g, t->serial, &ev);
			live--;
		}
	}
	for (uint32_t i = 1; i <= g->nworkers; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = HBT_REC_JOIN_REQUEST;
		ev.obj = g->th[i].serial;
		ev.stack = join_stack;
		gen_event(g, 1, &ev);
		memset(&ev, 0, sizeof(ev));
		ev.type = HBT_REC_JOIN;
		ev.obj = g->th[i].serial;
		ev.outcome = HBT_OUT_OK;
		gen_event(g, 1, &ev);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = HBT_REC_THREAD_END;
	gen_event(g, 1, &ev);
	return g->err;
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_trace -n EVENTS -o FILE [-t THREADS] "
			"[-l LOCKS] [-s SEED]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct hbt_filewriter_opts o = {0};
	struct gen g;
	unsigned long long target = 10000000ull;
	unsigned long nthreads = 8, nlocks = 1000, seed = 1;
	const char *out = NULL;
	int c, ret;

	while ((c = getopt(argc, argv, "n:o:t:l:s:")) != -1) {
		switch (c) {
		case 'n':
			target = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			out = optarg;
			break;
		case 't':
			nthreads = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			nlocks = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	/* nlocks is bounded by the nlocks^2 bitmap of lock pairs */
	if (!out || nthreads < 2 || nthreads > GEN_MAX_THREADS ||
	    nlocks < GEN_HOT_LOCKS + 16 || nlocks > 20000)
		usage();

	memset(&g, 0, sizeof(g));
	g.rng = 0x9e3779b97f4a7c15ull ^ (seed * 0xbf58476d1ce4e5b9ull);
	g.nworkers = (uint32_t)nthreads;
	g.nlocks = (uint32_t)nlocks;
	g.locks = calloc(nlocks, sizeof(*g.locks));
	g.pairs = calloc((nlocks * nlocks + 7) / 8, 1);
	if (!g.locks || !g.pairs) {
		fprintf(stderr, "error: out of memory\n");
		return 1;
	}
	o.pid = 1000;
	o.ppid = 1;
	o.exe = "/usr/local/bin/bench-workload";
	o.cmdline = "bench-workload --synthetic";
	o.features = HBT_FEAT_PTHREAD | HBT_FEAT_STACKS;
	ret = hbt_filewriter_open(out, &o, &g.w);
	if (ret < 0) {
		fprintf(stderr, "error: cannot create trace '%s': %s\n", out,
			strerror(-ret));
		return 1;
	}
	hbt_filewriter_module(g.w, GEN_MODULE_START,
			      GEN_MODULE_START + GEN_MODULE_SIZE, 0, NULL, 0,
			      "/usr/local/bin/bench-workload");
	for (uint32_t i = 0; i < g.nlocks; i++) {
		struct gen_lock *l = &g.locks[i];

		/* hot locks are statics in .bss, the rest heap objects */
		l->addr = i < GEN_HOT_LOCKS ? GEN_MODULE_START +
						      GEN_MODULE_SIZE + 0x40 * i
					    : GEN_HEAP_BASE + 0x80ull * i;
		for (int k = 0; k < GEN_STACKS_PER_LOCK; k++)
			l->stacks[k] =
				gen_stack(&g, i * GEN_STACKS_PER_LOCK + k,
					  4 + (i + k) % 9);
	}
	ret = gen_run(&g, target);
	if (ret < 0) {
		fprintf(stderr, "error: cannot write trace '%s': %s\n", out,
			strerror(-ret));
		hbt_filewriter_close(g.w);
		return 1;
	}
	ret = hbt_filewriter_close(g.w);
	if (ret < 0) {
		fprintf(stderr, "error: cannot write trace '%s': %s\n", out,
			strerror(-ret));
		return 1;
	}
	printf("events=%llu threads=%lu locks=%lu lock_pairs=%llu\n",
	       (unsigned long long)g.events, nthreads + 1, nlocks,
	       (unsigned long long)g.npairs);
	free(g.pairs);
	free(g.locks);
	return 0;
}
