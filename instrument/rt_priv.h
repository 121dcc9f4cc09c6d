/* SPDX-License-Identifier: MIT */
/*
 * rt_priv.h - what the pieces of the pthread runtime (rt_*.c) share with
 * each other and nobody else.  Front-ends use rt.h only.
 */
#ifndef HBT_RT_PRIV_H
#define HBT_RT_PRIV_H

#include <pthread.h>

#include "rt.h"

/* The calling thread's state (rt_core.c). */
extern RT_TLS __thread struct rt_thread *rt_self RT_HIDDEN;

/*
 * Opening a chunk costs system calls that fill and map its pages (0.3 ms
 * for a megabyte here): made inside a critical section, they hold up
 * every thread waiting for the lock.  So when a chunk of the largest
 * size (a thread that records a lot) is three-quarters full and the
 * thread holds no lock, the next one is mapped ahead and the full one
 * unmapped later, at such a moment too.  Not for smaller chunks: a
 * thread's last spare is never used, and its hole would count in the
 * file size of every short trace.  Call with the thread entered
 * (in_runtime).
 */
#define RT_CHUNK_MAX (1u << 20) /* the largest chunk a thread opens */
void rt_chunk_ahead_slow(struct rt_thread *t) RT_HIDDEN;
/* Give the mapped-ahead chunk back and unmap the retired one (thread
 * end; exec, whose new image never uses them). */
void rt_chunk_drop_ahead(struct rt_thread *t) RT_HIDDEN;
static inline void rt_chunk_ahead(struct rt_thread *t)
{
	if (RT_UNLIKELY((size_t)(t->limit - t->pos) < t->chunk_size / 4 &&
			t->chunk_size >= RT_CHUNK_MAX && !t->spare &&
			!t->ahead_failed) ||
	    RT_UNLIKELY(t->retired != NULL))
		rt_chunk_ahead_slow(t);
}

/*
 * rt_enter()/rt_leave() for the wrappers' hot path, inline: the common
 * case (a known thread, not re-entered, recording) is a TLS load and a
 * few compares; everything else goes through rt_enter().
 */
static inline struct rt_thread *rt_enter_fast(int *saved_errno)
{
	struct rt_thread *t = rt_self;

	if (RT_LIKELY(t && !t->in_runtime && !t->ended && t->errnop &&
		      __atomic_load_n(&rt_active, __ATOMIC_RELAXED))) {
		*saved_errno = *t->errnop;
		t->in_runtime++;
		return t;
	}
	return rt_enter(saved_errno);
}

/*
 * Is this wrapper call a signal handler's, made while the thread was
 * inside the runtime, in the middle of its work?  Then it must not touch
 * the interrupted code's state: mutex and semaphore wrappers keep their
 * event in t->sigq, the others only count it as dropped.  Not while the
 * thread waits in a real call (rt_wait_begin): then the handler's call
 * takes the wrapper's usual path, entered by rt_enter().
 */
static inline bool rt_in_handler(const struct rt_thread *t)
{
	return t && t->in_runtime && !t->sig_off && !t->waiting && !t->ended &&
	       __atomic_load_n(&rt_active, __ATOMIC_RELAXED);
}

/*
 * Around a call that may block while the thread is inside the runtime
 * (blocking acquisitions, joins, condition and barrier waits).  The
 * runtime calls nothing of its own meanwhile, so a wrapper call is a
 * signal handler's (sig_off clear), and no record is half written, so
 * the handler's calls are recorded as any (waiting; rt_enter()): a long
 * wait may see more signals than t->sigq holds, and memory accesses and
 * most calls have no queue.  Returns what rt_wait_end() restores.
 */
struct rt_wait {
	bool sig_off;
	int depth;
};

static inline struct rt_wait rt_wait_begin(struct rt_thread *t)
{
	struct rt_wait w = {t->sig_off, t->wait_depth};

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->sig_off = false;
	t->wait_depth = t->in_runtime;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->waiting = true;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return w;
}

static inline void rt_wait_end(struct rt_thread *t, struct rt_wait w)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->waiting = false;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* a wait inside a handler's entry: that entry's leave resumes the
	 * interrupted wait (rt_wait_resume) */
	t->wait_depth = w.depth;
	t->sig_off = w.sig_off;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Entering while the thread waits: a signal handler's call (rt_enter). */
static inline void rt_wait_enter(struct rt_thread *t)
{
	t->waiting = false;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->wait_site_ra = t->site_ra;
	t->wait_site_cfa = t->site_cfa;
}

/* Leaving to the depth of an interrupted wait: back to it, as it was. */
static inline void rt_wait_resume(struct rt_thread *t)
{
	if (RT_LIKELY(!t->wait_depth) || t->in_runtime != t->wait_depth)
		return;
	t->site_ra = t->wait_site_ra;
	t->site_cfa = t->wait_site_cfa;
	t->sig_off = false;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->waiting = true;
}

/* Write the events signal handlers kept, now (the thread may be entered,
 * between two records). */
void rt_sigq_flush(struct rt_thread *t) RT_HIDDEN;
static inline void rt_sigq_check(struct rt_thread *t)
{
	if (RT_UNLIKELY(t->sigq_n != 0) && !t->in_runtime)
		rt_sigq_flush(t);
}

static inline void rt_leave_fast(struct rt_thread *t, int saved_errno)
{
	if (RT_LIKELY(t != NULL)) {
		if (!t->nheld)
			rt_chunk_ahead(t);
		t->sig_off = false; /* if rt_enter() did the entering */
		t->in_runtime--;
		t->site_ra = 0;
		*t->errnop = saved_errno;
		rt_sigq_check(t);
		rt_wait_resume(t);
		return;
	}
	errno = saved_errno;
}

/* Make room for one record of at most 'need' bytes (a new chunk when the
 * current one is full); false: the event is dropped (counted). */
bool rt_emit_room_slow(struct rt_thread *t, size_t need) RT_HIDDEN;
static inline bool rt_emit_room(struct rt_thread *t, size_t need)
{
	if (RT_LIKELY((size_t)(t->limit - t->pos) >= need))
		return true;
	return rt_emit_room_slow(t, need);
}

/* Slot of call site (ra, cfa) in the thread's stack capture cache. */
static inline unsigned rt_scache_slot(uintptr_t ra, uintptr_t cfa)
{
	uint64_t h = (ra ^ (cfa >> 4)) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> 58) & (RT_SCACHE_SIZE - 1);
}

/*
 * Does the cached capture 'e' still give the exact stack of the call
 * from (ra, cfa)?  Each return address slot it was unwound through must
 * hold the same pc (rt_stack.c explains why that suffices).  Frame 0 is
 * not read: its slot is the one 'ra' itself was read from.
 */
static inline bool rt_scache_holds(const struct rt_scache *e, uintptr_t ra,
				   uintptr_t cfa)
{
	uint32_t k, n;

	if (!e->id || e->ra != ra || e->cfa != cfa)
		return false;
	n = e->n;
	for (k = 1; k < n; k++)
		if (*(const uintptr_t *)(cfa + e->off[k]) != e->pc[k])
			return false;
	return true;
}

/* Resolve the next definition of 'name' (RTLD_NEXT); 'ver' selects a
 * symbol version when not NULL.  Safe before the constructor ran. */
void *rt_real_sym(const char *name, const char *ver) RT_HIDDEN;

/* Cached lazy lookup of a real function, inside a wrapper. */
#define RT_REAL(ret, name, ver, ...)            \
	static ret (*real_##name)(__VA_ARGS__); \
	if (RT_UNLIKELY(!real_##name))          \
	real_##name = (ret(*)(__VA_ARGS__))rt_real_sym(#name, ver)

/* Initialize the runtime now if nobody did (first wrapper call may come
 * before our constructor).  Returns true when recording. */
bool rt_init_lazy(void) RT_HIDDEN;

/* Thread state.  rt_thread_alloc() reserves a serial; rt_thread_attach()
 * binds it to the calling thread and writes THREAD_START. */
struct rt_thread *rt_thread_alloc(uint32_t parent) RT_HIDDEN;
void rt_thread_attach(struct rt_thread *t) RT_HIDDEN;
/* The thread leaves: THREAD_END with 'op', chunk unmapped. */
void rt_thread_finish(struct rt_thread *t, uint8_t op) RT_HIDDEN;
/* Does a TSD destructor write THREAD_END (else the trampoline does)? */
bool rt_have_key(void) RT_HIDDEN;
/* A joined thread's state may be reused for a new thread. */
void rt_thread_recycle(struct rt_thread *t) RT_HIDDEN;
/* Is the thread state 't' the calling thread's? */
struct rt_thread *rt_self_get(void) RT_HIDDEN;
/* Find the newest registered thread with this pthread_t, not yet joined. */
struct rt_thread *rt_thread_by_pthread(uint64_t pt) RT_HIDDEN;

/* Header updates.  'clean' sets HBT_HDR_CLEAN_CLOSE and end_offset. */
void rt_header_flags(uint64_t set, uint64_t clear) RT_HIDDEN;
void rt_finalize(void) RT_HIDDEN;
/* False in a vfork() child, which must leave the parent's trace alone. */
bool rt_own_process(void) RT_HIDDEN;
/* end_offset, dropped_events and CLEAN_CLOSE now (exec, deadlock exit). */
void rt_header_sync(void) RT_HIDDEN;
/* The calling thread is the runtime's own: wrappers pass straight through. */
void rt_ignore_thread(void) RT_HIDDEN;
/* Remember the stack of the blocking call about to start (watchdog). */
void rt_note_blocked_stack(struct rt_thread *t) RT_HIDDEN;

/* Process events (rt_core.c): fork child re-opens a trace; exec gen. */
void rt_fork_child_reset(int parent_pid) RT_HIDDEN;
uint32_t rt_exec_generation(void) RT_HIDDEN;
const char *rt_trace_path(void) RT_HIDDEN;

/* Modules (rt_stack.c). */
void rt_modules_emit(struct rt_thread *t) RT_HIDDEN;
void rt_modules_rescan(struct rt_thread *t) RT_HIDDEN;
void rt_stack_reset_caches(void) RT_HIDDEN;
void rt_self_range_init(void) RT_HIDDEN;

/* Pop the held entry 'h' (from rt_held_find; NULL = not held): as
 * rt_held_pop() without a second search. */
int rt_held_pop_at(struct rt_thread *t, struct rt_held_lock *h) RT_HIDDEN;

/* rt_shadow_get() for the calling thread 't' (may be NULL): the per-thread
 * cache inline, the table on a miss. */
struct rt_shadow *rt_shadow_get_miss(struct rt_thread *t, uint64_t obj,
				     uint8_t kind) RT_HIDDEN;
static inline struct rt_shadow *rt_shadow_get_t(struct rt_thread *t,
						uint64_t obj, uint8_t kind)
{
	unsigned h = (unsigned)(obj >> 3) & 63;

	if (RT_LIKELY(t && t->shcache[h].key == obj))
		return t->shcache[h].sh;
	return rt_shadow_get_miss(t, obj, kind);
}

/* Shadow table reset after fork (rt_shadow.c): owners of other threads
 * are gone. */
void rt_shadow_init(void) RT_HIDDEN;

/* Watchdog (rt_watchdog.c). */
void rt_watchdog_start(void) RT_HIDDEN;
void rt_watchdog_after_fork(void) RT_HIDDEN;
/* A thread about to relock a non-recursive mutex it holds. */
void rt_deadlock_self(struct rt_thread *t, uint64_t obj,
		      uint8_t kind) RT_HIDDEN;

/* One more event lost (shown in the header's dropped_events). */
void rt_count_dropped(void) RT_HIDDEN;

/* Write an async-signal-safe string to stderr. */
void rt_write_err(const char *s, size_t len) RT_HIDDEN;
int rt_fmt(char *buf, size_t size, const char *fmt, ...) RT_HIDDEN
	__attribute__((format(printf, 3, 4)));

#endif /* HBT_RT_PRIV_H */
