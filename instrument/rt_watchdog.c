// SPDX-License-Identifier: MIT
/*
 * rt_watchdog.c - live deadlock detection.
 *
 * Threads publish what they block on (blocked_on, set around untimed
 * lock and join calls) and what they hold (held[]).  A watchdog thread,
 * started at the first pthread_create with the real pthread_create and
 * every signal blocked, wakes every 250 ms and builds the wait-for graph
 * of the threads blocked in the same call (same blocked_gen) for at least
 * HBTRACE_DEADLOCK_MS: a lock wait points to every thread holding the
 * lock, a join to the joined thread.  A cycle is a deadlock.  All of this
 * reads other threads' state without locks: a blocked thread does not
 * change it, and a thread that moves changes its blocked_gen.
 *
 * A relock of a held non-recursive mutex is caught in the wrapper itself
 * (rt_deadlock_self), before the thread blocks for good.
 *
 * On a deadlock: DEADLOCK records in the watchdog's own chunk (or the
 * relocking thread's), a short report on stderr symbolized with dladdr
 * only, then HBTRACE_DEADLOCK decides: report and leave the program as it
 * is, or finalize the trace and _exit(RT_DEADLOCK_STATUS).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rt_priv.h"

#define RT_WD_PERIOD_MS 250
#define RT_WD_MAX	256 /* blocked threads considered per pass */

static int rt_wd_started;
static struct rt_thread *rt_wd_self;
static int rt_wd_reporting; /* one report at a time, process-wide */

struct rt_wd_seen {
	uint32_t gen;	   /* blocked_gen when first seen blocked */
	uint32_t since;	   /* pass number then */
	uint32_t reported; /* gen already reported */
};

static struct rt_wd_seen *rt_wd_state; /* indexed by serial */
static uint32_t rt_wd_cap;

static const char *rt_kind_name(uint8_t kind)
{
	switch (kind) {
	case HBT_OBJ_MUTEX:
		return "mutex";
	case HBT_OBJ_RWLOCK:
		return "rwlock";
	case HBT_OBJ_SPIN:
		return "spinlock";
	case HBT_OBJ_THREAD:
		return "thread";
	default:
		return "object";
	}
}

static size_t rt_sym_frame(char *buf, size_t size, uint64_t pc)
{
	Dl_info di;
	const char *mod;

	if (dladdr((void *)(uintptr_t)pc, &di) && di.dli_fname) {
		mod = strrchr(di.dli_fname, '/');
		mod = mod ? mod + 1 : di.dli_fname;
		if (di.dli_sname)
			return (size_t)rt_fmt(
				buf, size, "%s+0x%lx (%s)", di.dli_sname,
				(unsigned long)(pc - (uintptr_t)di.dli_saddr),
				mod);
		return (size_t)rt_fmt(
			buf, size, "0x%lx (%s+0x%lx)", (unsigned long)pc, mod,
			(unsigned long)(pc - (uintptr_t)di.dli_fbase));
	}
	return (size_t)rt_fmt(buf, size, "0x%lx", (unsigned long)pc);
}

/* Append to a report buffer; flushed to stderr when nearly full. */
struct rt_out {
	char buf[4096];
	size_t n;
};

static void rt_out_flush(struct rt_out *o)
{
	rt_write_err(o->buf, o->n);
	o->n = 0;
}

static void rt_out_line(struct rt_out *o, const char *s)
{
	size_t len = strlen(s);

	if (o->n + len + 1 > sizeof(o->buf))
		rt_out_flush(o);
	if (len + 1 > sizeof(o->buf))
		len = sizeof(o->buf) - 1;
	memcpy(o->buf + o->n, s, len);
	o->n += len;
	o->buf[o->n++] = '\n';
}

static void rt_report_thread(struct rt_out *o, struct rt_thread *t,
			     uint64_t obj, uint8_t kind, const uint64_t *frames,
			     uint32_t nframes)
{
	char line[512];
	uint32_t i, n, nheld = __atomic_load_n(&t->nheld, __ATOMIC_ACQUIRE);
	size_t k;

	if (kind == HBT_OBJ_THREAD)
		rt_fmt(line, sizeof(line),
		       "  thread T%u (tid %d) waits to join thread T%u",
		       t->serial, t->tid, (unsigned)obj);
	else
		rt_fmt(line, sizeof(line),
		       "  thread T%u (tid %d) wants %s 0x%lx", t->serial,
		       t->tid, rt_kind_name(kind), (unsigned long)obj);
	rt_out_line(o, line);
	k = (size_t)rt_fmt(line, sizeof(line), "    holds:");
	if (!nheld)
		k += (size_t)rt_fmt(line + k, sizeof(line) - k, " nothing");
	for (i = 0; i < nheld && i < RT_MAX_HELD && k < 400; i++)
		k += (size_t)rt_fmt(line + k, sizeof(line) - k, " %s 0x%lx%s",
				    rt_kind_name(t->held[i].kind),
				    (unsigned long)t->held[i].obj,
				    (t->held[i].op & HBT_OP_READ) ? " (read)"
								  : "");
	rt_out_line(o, line);
	n = nframes < 16 ? nframes : 16;
	for (i = 0; i < n; i++) {
		k = (size_t)rt_fmt(line, sizeof(line), "    #%u ", i);
		rt_sym_frame(line + k, sizeof(line) - k,
			     HBT_FRAME_NATIVE_PC(frames[i]));
		rt_out_line(o, line);
	}
}

static void rt_deadlock_act(void)
{
	if (rt_opts.deadlock_action == RT_DEADLOCK_EXIT) {
		rt_header_sync();
		/* not _exit(): our own wrapper would end the stuck thread */
		syscall(SYS_exit_group, RT_DEADLOCK_STATUS);
	}
}

static void rt_emit_deadlock(struct rt_thread *w, uint32_t serial, uint64_t obj)
{
	struct hbt_event ev = {0};

	ev.type = HBT_REC_DEADLOCK;
	ev.obj2 = serial;
	ev.op = 1;
	ev.obj = obj;
	rt_emit(w, &ev);
}

void rt_deadlock_self(struct rt_thread *t, uint64_t obj, uint8_t kind)
{
	struct rt_out o;
	char line[128];

	if (rt_opts.deadlock_action == RT_DEADLOCK_OFF)
		return;
	rt_emit_deadlock(t, t->serial, obj);
	rt_header_flags(HBT_HDR_DEADLOCK, 0);
	if (!rt_opts.quiet &&
	    !__atomic_exchange_n(&rt_wd_reporting, 1, __ATOMIC_ACQ_REL)) {
		o.n = 0;
		rt_fmt(line, sizeof(line),
		       "==%d== WARNING: hbtrace: deadlock (1 thread)",
		       (int)getpid());
		rt_out_line(&o, line);
		rt_out_line(&o, "  relock of a non-recursive lock the thread "
				"already holds");
		rt_report_thread(&o, t, obj, kind, t->sframes, t->nsframes);
		rt_out_flush(&o);
		__atomic_store_n(&rt_wd_reporting, 0, __ATOMIC_RELEASE);
	}
	rt_deadlock_act();
}

/* ---- the wait-for graph ------------------------------------------------- */

struct rt_wd_node {
	struct rt_thread *t;
	uint64_t obj;
	uint8_t kind;
	uint32_t gen;
	int color; /* DFS: 0 white, 1 on stack, 2 done */
	int next;  /* successor on the DFS path */
};

static struct rt_wd_node rt_nodes[RT_WD_MAX];
static int rt_nnodes;

static bool rt_holds(struct rt_thread *t, uint64_t obj)
{
	uint32_t i, n = __atomic_load_n(&t->nheld, __ATOMIC_ACQUIRE);

	for (i = 0; i < n && i < RT_MAX_HELD; i++)
		if (t->held[i].obj == obj)
			return true;
	return false;
}

/*
 * Our held[] lists are bookkeeping; before stopping a program, ask the
 * lock itself where it can tell: glibc keeps the owner's tid in a locked
 * mutex and the writer's in a write-locked rwlock.  A lock released
 * behind our back (by another thread, or by code the runtime did not
 * see) then breaks the cycle instead of killing a healthy program.
 */
static bool rt_owner_agrees(const struct rt_wd_node *a,
			    const struct rt_wd_node *b)
{
	if (a->kind == HBT_OBJ_MUTEX) {
		const pthread_mutex_t *m = (const void *)(uintptr_t)a->obj;

		return __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED) ==
		       b->t->tid;
	}
	if (a->kind == HBT_OBJ_RWLOCK) {
		const pthread_rwlock_t *l = (const void *)(uintptr_t)a->obj;
		int w = __atomic_load_n(&l->__data.__cur_writer,
					__ATOMIC_RELAXED);

		/* a writer that is not b means b does not block a; with no
		 * writer, b holds a read lock (not visible in glibc) */
		return !w || w == b->t->tid;
	}
	return true;
}

/* DFS from node u; returns the index where a cycle closes, or -1. */
static int rt_dfs(int u)
{
	struct rt_wd_node *a = &rt_nodes[u];
	int v, c;

	a->color = 1;
	for (v = 0; v < rt_nnodes; v++) {
		struct rt_wd_node *b = &rt_nodes[v];
		bool edge;

		if (a->kind == HBT_OBJ_THREAD)
			edge = b->t->serial == a->obj;
		else if (b == a)
			/* a write lock wanted over one's own read lock; a
			 * mutex relock was reported by the wrapper */
			edge = a->kind == HBT_OBJ_RWLOCK &&
			       rt_holds(a->t, a->obj);
		else
			edge = rt_holds(b->t, a->obj);
		if (!edge || b->color == 2)
			continue;
		a->next = v;
		if (b->color == 1)
			return v;
		c = rt_dfs(v);
		if (c >= 0)
			return c;
	}
	a->color = 2;
	return -1;
}

static size_t rt_encode_wd_name(uint8_t *p, void *arg)
{
	uint32_t *d = arg;

	return hbt_encode_thread_name(p, d[0], d[1]);
}

/* Name the watchdog in the trace, so nobody mistakes it for a thread of
 * the program. */
static void rt_wd_name(struct rt_thread *w)
{
	static const char name[] = "hbtrace-watchdog";
	uint32_t d[2];

	d[0] = w->serial;
	d[1] = rt_string_intern(w, name, sizeof(name) - 1);
	rt_emit_def(w, HBT_DEF_ROOM(16), rt_encode_wd_name, d);
}

static struct rt_thread *rt_wd_thread(void)
{
	if (!rt_wd_self) {
		rt_wd_self = rt_thread_alloc(0);
		if (rt_wd_self) {
			rt_wd_self->is_watchdog = true;
			rt_thread_attach(rt_wd_self);
			rt_wd_name(rt_wd_self);
			/* stays "in the runtime": wrappers pass through,
			 * and none of its calls is a signal handler's */
			rt_wd_self->in_runtime = 1;
			rt_wd_self->sig_off = true;
		}
	}
	return rt_wd_self;
}

static void rt_wd_report(int start)
{
	struct rt_thread *w = rt_wd_thread();
	struct rt_out o;
	char line[128];
	int i, n = 0;

	i = start;
	do {
		n++;
		i = rt_nodes[i].next;
	} while (i != start && n < RT_WD_MAX);
	i = start;
	do {
		struct rt_wd_node *a = &rt_nodes[i];

		if (w)
			rt_emit_deadlock(w, a->t->serial, a->obj);
		if (a->t->serial < rt_wd_cap)
			rt_wd_state[a->t->serial].reported = a->gen;
		i = a->next;
	} while (i != start);
	rt_header_flags(HBT_HDR_DEADLOCK, 0);
	if (!rt_opts.quiet &&
	    !__atomic_exchange_n(&rt_wd_reporting, 1, __ATOMIC_ACQ_REL)) {
		o.n = 0;
		rt_fmt(line, sizeof(line),
		       "==%d== WARNING: hbtrace: deadlock (%d thread%s)",
		       (int)getpid(), n, n == 1 ? "" : "s");
		rt_out_line(&o, line);
		i = start;
		do {
			struct rt_wd_node *a = &rt_nodes[i];

			rt_report_thread(&o, a->t, a->obj, a->kind,
					 a->t->bframes, a->t->nbframes);
			i = a->next;
		} while (i != start);
		rt_out_flush(&o);
		__atomic_store_n(&rt_wd_reporting, 0, __ATOMIC_RELEASE);
	}
	rt_deadlock_act();
}

static void rt_wd_pass(uint32_t pass)
{
	uint32_t need = (uint32_t)rt_opts.deadlock_ms / RT_WD_PERIOD_MS;
	uint32_t i, n = rt_thread_count();
	int u, c;

	if (n > rt_wd_cap)
		n = rt_wd_cap;
	rt_nnodes = 0;
	for (i = 1; i < n; i++) {
		struct rt_thread *t = rt_thread_at(i);
		struct rt_wd_seen *s = &rt_wd_state[i];
		uint64_t obj;
		uint32_t gen;

		if (!t || t->ended || t->is_watchdog)
			continue;
		obj = __atomic_load_n(&t->blocked_on, __ATOMIC_ACQUIRE);
		gen = __atomic_load_n(&t->blocked_gen, __ATOMIC_ACQUIRE);
		if (!obj) {
			s->gen = 0;
			continue;
		}
		if (s->gen != gen) {
			s->gen = gen;
			s->since = pass;
			continue;
		}
		if (pass - s->since < need || s->reported == gen ||
		    rt_nnodes >= RT_WD_MAX)
			continue;
		rt_nodes[rt_nnodes].t = t;
		rt_nodes[rt_nnodes].obj = obj;
		rt_nodes[rt_nnodes].kind = t->blocked_kind;
		rt_nodes[rt_nnodes].gen = gen;
		rt_nodes[rt_nnodes].color = 0;
		rt_nodes[rt_nnodes].next = -1;
		rt_nnodes++;
	}
	for (u = 0; u < rt_nnodes; u++) {
		if (rt_nodes[u].color)
			continue;
		c = rt_dfs(u);
		if (c >= 0) {
			/* still the same calls?  then it is real */
			int i2 = c;

			do {
				struct rt_wd_node *a = &rt_nodes[i2];

				if (__atomic_load_n(&a->t->blocked_gen,
						    __ATOMIC_ACQUIRE) !=
					    a->gen ||
				    !a->t->blocked_on ||
				    !rt_owner_agrees(a, &rt_nodes[a->next]))
					return;
				i2 = a->next;
			} while (i2 != c);
			rt_wd_report(c);
			return;
		}
	}
}

/*
 * Whether every program thread has gone.  glibc ends the process with
 * exit(0) when its last thread exits, but the watchdog counts as a thread
 * too: after main's pthread_exit() and the other threads' ends, the
 * process would live on forever with only the watchdog in it.  The main
 * thread is then a zombie ('Z' in /proc/self/stat, which shows the
 * leader) still counted among num_threads until the group ends: the
 * leader and the watchdog make 2.
 */
static bool rt_wd_alone(void)
{
	char buf[512], *p;
	unsigned int field;
	long nthreads;

	if (rt_read_small_file("/proc/self/stat", buf, sizeof(buf)) < 0)
		return false;
	/* "pid (comm) state ppid ...": comm may hold spaces and ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'Z')
		return false;
	/* num_threads is field 20; p + 2 is field 3 */
	for (field = 3, p += 2; field < 20 && *p; p++)
		if (*p == ' ')
			field++;
	nthreads = strtol(p, NULL, 10);
	return nthreads == 2;
}

static void *rt_wd_main(void *arg)
{
	struct timespec ts = {0, RT_WD_PERIOD_MS * 1000000L};
	uint32_t pass = 0;

	(void)arg;
	rt_ignore_thread();
	for (;;) {
		nanosleep(&ts, NULL);
		/* do what the last thread's exit would have done */
		if (rt_wd_alone())
			exit(0);
		if (!rt_active)
			continue;
		rt_wd_pass(++pass);
	}
	return NULL;
}

void rt_watchdog_start(void)
{
	int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
		      void *);
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;

	if (rt_opts.deadlock_action == RT_DEADLOCK_OFF ||
	    __atomic_load_n(&rt_wd_started, __ATOMIC_RELAXED) ||
	    __atomic_exchange_n(&rt_wd_started, 1, __ATOMIC_ACQ_REL))
		return;
	if (!rt_wd_state) {
		void *p = mmap(NULL, (1u << 20) * sizeof(struct rt_wd_seen),
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			       0);

		if (p == MAP_FAILED)
			return;
		rt_wd_state = p;
		rt_wd_cap = 1u << 20;
	}
	create = rt_real_sym("pthread_create", NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	if (create(&th, &attr, rt_wd_main, NULL))
		rt_warn("cannot start the deadlock watchdog");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void rt_watchdog_after_fork(void)
{
	/* the watchdog thread did not survive the fork */
	rt_wd_started = 0;
	rt_wd_self = NULL;
	rt_wd_reporting = 0;
	if (rt_wd_state)
		munmap(rt_wd_state,
		       (size_t)rt_wd_cap * sizeof(struct rt_wd_seen));
	rt_wd_state = NULL;
	rt_wd_cap = 0;
}
