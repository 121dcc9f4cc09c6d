// SPDX-License-Identifier: MIT
/*
 * rt_pthread.c - the wrappers of the pthread and semaphore API.
 *
 * Every wrapper returns what the real call returned and leaves errno as
 * the real call left it.  Blocking acquisitions try the real trylock
 * first: when it succeeds only an ACQUIRE with its own stack is written;
 * otherwise a REQUEST (with the stack), the real blocking call, then an
 * ACQUIRE flagged HBT_OP_REQUESTED (stack 0) or a FAIL.  Counters come
 * from the shadow table as hbt_format.h describes: acq_seq is bumped while
 * the lock is held (atomically for readers), post_seq before the real
 * post, and waiters record the count they observe after waking.
 * pthread_mutex_lock/unlock have a fast path of their own for the common
 * case (rt_mutex_lock_fast) that writes exactly what the generic path
 * would, without its helpers.
 *
 * The runtime stays entered (t->in_runtime) across the real calls here:
 * none of them runs program code.  A signal handler that uses a wrapped
 * call meanwhile (sem_post is async-signal-safe; handlers that lock a
 * mutex are common) must not write into the half-written record: the
 * mutex and semaphore wrappers keep its event in the thread's sigq, and
 * the interrupted wrapper writes it when it leaves ("signal handlers"
 * below).
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "rt_priv.h"

#define RT_SH_SEEN 1u /* first use handled */

/* Frames of the runtime are dropped by address; nothing more to skip. */
#define RT_SKIP 0

typedef int (*rt_try_fn)(void *obj);

/* How to block: one of the real blocking variants with its arguments. */
struct rt_block {
	int (*lock)(void *obj);
	int (*timed)(void *obj, const struct timespec *ts);
	int (*clock)(void *obj, clockid_t clk, const struct timespec *ts);
	clockid_t clk;
	const struct timespec *ts;
	bool sem; /* returns -1 and sets errno */
};

static int rt_block_call(const struct rt_block *b, void *obj)
{
	int r;

	if (b->clock)
		r = b->clock(obj, b->clk, b->ts);
	else if (b->timed)
		r = b->timed(obj, b->ts);
	else
		r = b->lock(obj);
	return r;
}

static uint8_t rt_outcome(int err)
{
	switch (err) {
	case 0:
		return HBT_OUT_OK;
	case EBUSY:
	case EAGAIN:
		return HBT_OUT_BUSY;
	case ETIMEDOUT:
		return HBT_OUT_TIMEDOUT;
	case EINTR:
		return HBT_OUT_INTERRUPTED;
	default:
		return HBT_OUT_ERROR;
	}
}

static void rt_emit_simple(struct rt_thread *t, uint8_t type, uint64_t obj,
			   uint8_t kind, uint8_t op, uint32_t stack)
{
	struct hbt_event ev = {0};

	ev.type = type;
	ev.obj = obj;
	ev.kind = kind;
	ev.op = op;
	ev.stack = stack;
	rt_emit(t, &ev);
}

static void rt_emit_fail(struct rt_thread *t, uint64_t obj, uint8_t kind,
			 uint8_t op, int err, uint32_t stack)
{
	struct hbt_event ev = {0};

	ev.type = HBT_REC_FAIL;
	ev.obj = obj;
	ev.kind = kind;
	ev.op = op;
	ev.outcome = rt_outcome(err);
	ev.err = err;
	ev.stack = stack;
	rt_emit(t, &ev);
}

static void rt_emit_init(struct rt_thread *t, uint64_t obj, uint8_t kind,
			 uint64_t attr, uint32_t stack)
{
	struct hbt_event ev = {0};

	ev.type = HBT_REC_OBJ_INIT;
	ev.obj = obj;
	ev.kind = kind;
	ev.arg = attr;
	ev.stack = stack;
	rt_emit(t, &ev);
}

static void rt_emit_destroy(struct rt_thread *t, uint64_t obj, uint8_t kind,
			    int err)
{
	struct hbt_event ev = {0};

	ev.type = HBT_REC_OBJ_DESTROY;
	ev.obj = obj;
	ev.kind = kind;
	ev.err = err;
	ev.stack = rt_stack_here(t, RT_SKIP);
	rt_emit(t, &ev);
}

/* glibc's mutex kind: the type in the low bits (0 normal/timed, 1
 * recursive, 2 errorcheck, 3 adaptive), robust 16, pshared 128. */
static int rt_mutex_kind(const pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
}

static uint8_t rt_mutex_type_of(int k)
{
	uint8_t ty;

	switch (k & 3) {
	case 1:
		ty = HBT_MUTEX_RECURSIVE;
		break;
	case 2:
		ty = HBT_MUTEX_ERRORCHECK;
		break;
	default:
		ty = HBT_MUTEX_DEFAULT;
		break;
	}
	if (k & 16)
		ty |= HBT_MUTEX_ROBUST;
	if (k & 128)
		ty |= HBT_MUTEX_PSHARED;
	return ty;
}

/*
 * Shadow of a mutex.  A mutex the runtime did not see initialized
 * (static initializer, or initialized before we were loaded) is DEFAULT
 * unless its kind says otherwise (PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP):
 * then an OBJ_INIT without stack records the type at first use.
 */
static void rt_mutex_first_use(struct rt_thread *t, struct rt_shadow *sh,
			       uint64_t obj, uint8_t ty)
{
	sh->flags |= RT_SH_SEEN;
	sh->mutex_type = ty;
	if (ty != HBT_MUTEX_DEFAULT)
		rt_emit_init(t, obj, HBT_OBJ_MUTEX, ty, 0);
}

static struct rt_shadow *rt_mutex_shadow(struct rt_thread *t,
					 pthread_mutex_t *m)
{
	struct rt_shadow *sh = rt_shadow_get_t(t, (uint64_t)m, HBT_OBJ_MUTEX);

	if (sh && RT_UNLIKELY(!(sh->flags & RT_SH_SEEN)))
		rt_mutex_first_use(t, sh, (uint64_t)m,
				   rt_mutex_type_of(rt_mutex_kind(m)));
	return sh;
}

/* Count an exclusive acquisition: the caller holds the lock, so nobody
 * else writes the counter (no atomic add needed). */
static inline uint64_t rt_acq_seq_held(struct rt_shadow *sh)
{
	uint64_t seq = __atomic_load_n(&sh->acq_seq, __ATOMIC_RELAXED) + 1;

	__atomic_store_n(&sh->acq_seq, seq, __ATOMIC_RELAXED);
	return seq;
}

/* Bookkeeping of a successful acquisition. */
static void rt_acquired(struct rt_thread *t, struct rt_shadow *sh, uint64_t obj,
			uint8_t kind, uint8_t op, uint32_t stack)
{
	struct rt_held_lock *h = NULL;
	uint64_t seq = 0;

	/* what a handler queued before the acquisition (during the try or
	 * the runtime's work around the wait) came first */
	if (RT_UNLIKELY(t->sigq_n != 0))
		rt_sigq_flush(t);
	if (kind == HBT_OBJ_SEM) {
		/* posts observed: the reader orders us after them */
		if (sh)
			seq = __atomic_load_n(&sh->post_seq, __ATOMIC_ACQUIRE);
	} else if (sh) {
		if (op & HBT_OP_READ) {
			seq = __atomic_add_fetch(&sh->acq_seq, 1,
						 __ATOMIC_RELAXED);
		} else {
			seq = rt_acq_seq_held(sh);
		}
	}
	if (kind != HBT_OBJ_SEM) {
		h = t->nheld ? rt_held_find(t, obj) : NULL;
		if (h && !(op & HBT_OP_READ) && !(h->op & HBT_OP_READ)) {
			op |= HBT_OP_RECURSIVE;
			h->depth++;
		} else {
			rt_held_push(t, obj, kind, op & HBT_OP_READ, stack);
		}
	}
	if (rt_emit_room(t, HBT_EVENT_MAX_BYTES))
		t->pos += hbt_encode_acquire(
			t->pos, &t->codec, obj, kind, op, seq,
			(op & HBT_OP_REQUESTED) ? 0 : stack);
}

/*
 * The shared acquisition path.  'try' is the real non-blocking variant,
 * 'b' the blocking call; 'tried_busy' says the caller's own try just found
 * the object taken (mutex fast path), so no second try is made.  Calls
 * without HBT_OP_TIMED are the ones the watchdog may see blocked forever.
 * Returns the real result (for semaphores -1 with *sem_err set).
 */
static int rt_acquire(struct rt_thread *t, struct rt_shadow *sh, void *objp,
		      uint8_t kind, uint8_t op, rt_try_fn try,
		      const struct rt_block *b, int *sem_err, bool tried_busy)
{
	uint64_t obj = (uint64_t)objp;
	uint32_t stack;
	int r, err;
	struct rt_wait wait;

	unsigned hc = (unsigned)(obj >> 3) & 63;
	uint32_t *busy =
		t->shcache[hc].key == obj ? &t->shcache[hc].busy : NULL;

	/* unwind before taking the lock, not inside the critical section */
	stack = rt_stack_here(t, RT_SKIP);
	if (tried_busy) {
		if (busy)
			*busy = 4;
		err = EBUSY;
	} else if (busy && *busy) {
		/* it was busy the last time: a trylock now would most likely
		 * fail too and only add traffic on a contended cache line;
		 * REQUEST, then block (every few times, try again) */
		(*busy)--;
		err = EBUSY;
	} else {
		r = try(objp);
		err = b->sem ? (r ? errno : 0) : r;
		if (err == 0 || err == EOWNERDEAD) {
			rt_acquired(t, sh, obj, kind, op, stack);
			if (sem_err)
				*sem_err = 0;
			return r;
		}
		if (busy && (err == EBUSY || err == EAGAIN))
			*busy = 4;
	}
	if (err == EBUSY || err == EAGAIN) {
		if (rt_emit_room(t, HBT_EVENT_MAX_BYTES))
			t->pos += hbt_encode_request(t->pos, &t->codec, obj,
						     kind, op, stack);
		op |= HBT_OP_REQUESTED;
	}
	if (!(op & HBT_OP_TIMED)) {
		rt_note_blocked_stack(t);
		t->blocked_kind = kind;
		t->blocked_stack = stack;
		__atomic_add_fetch(&t->blocked_gen, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&t->blocked_on, obj, __ATOMIC_RELEASE);
	}
	wait = rt_wait_begin(t);
	r = rt_block_call(b, objp);
	err = b->sem ? (r ? errno : 0) : r; /* sem_wait: EINTR as natively */
	rt_wait_end(t, wait);
	__atomic_store_n(&t->blocked_on, 0, __ATOMIC_RELEASE);
	if (err == 0 || err == EOWNERDEAD)
		rt_acquired(t, sh, obj, kind, op, stack);
	else
		rt_emit_fail(t, obj, kind, op, err,
			     (op & HBT_OP_REQUESTED) ? 0 : stack);
	if (sem_err)
		*sem_err = err;
	return r;
}

/* A try variant called by the program: ACQUIRE or FAIL(BUSY). */
static int rt_try_only(struct rt_thread *t, struct rt_shadow *sh, void *objp,
		       uint8_t kind, uint8_t op, int r, int err, uint32_t stack)
{

	if (err == 0 || err == EOWNERDEAD)
		rt_acquired(t, sh, (uint64_t)objp, kind, op | HBT_OP_TRY,
			    stack);
	else
		rt_emit_fail(t, (uint64_t)objp, kind, op | HBT_OP_TRY, err,
			     stack);
	return r;
}

/* Release bookkeeping before the real unlock; returns the op to record
 * and sets *stack when the caller does not hold the lock (misuse). */
static uint8_t rt_releasing(struct rt_thread *t, uint64_t obj, uint32_t *stack)
{
	struct rt_held_lock *h = rt_held_find(t, obj);
	uint8_t op = 0;

	*stack = 0;
	if (!h) {
		if (t->held_overflow) {
			t->held_overflow--;
			return 0;
		}
		*stack = rt_stack_here(t, RT_SKIP);
		return 0;
	}
	op = h->op & HBT_OP_READ;
	if (h->depth > 1) {
		h->depth--;
		return op | HBT_OP_RECURSIVE;
	}
	rt_held_pop_at(t, h);
	return op;
}

static void rt_emit_release(struct rt_thread *t, uint64_t obj, uint8_t kind,
			    uint8_t op, int err, uint32_t stack)
{
	if (RT_UNLIKELY(err))
		stack = rt_stack_here(t, RT_SKIP);
	if (rt_emit_room(t, HBT_EVENT_MAX_BYTES))
		t->pos += hbt_encode_release(t->pos, &t->codec, obj, kind, op,
					     err, stack);
}

/* A relock of a non-recursive lock the thread holds never returns. */
static void rt_check_self_deadlock(struct rt_thread *t, void *objp,
				   uint8_t kind)
{
	struct rt_held_lock *h;

	if (!t->nheld)
		return; /* the common case: nothing held, nothing to search */
	h = rt_held_find(t, (uint64_t)objp);
	if (!h)
		return;
	if (kind == HBT_OBJ_MUTEX) {
		pthread_mutex_t *m = objp;
		int k = rt_mutex_kind(m) & 3;

		if (k == 1 || k == 2) /* recursive; errorcheck: EDEADLK */
			return;
		/* our held[] may be stale (unlocked by another thread):
		 * glibc knows the owner of a locked mutex */
		if (__atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED) !=
		    t->tid)
			return;
	}
	rt_emit_simple(t, HBT_REC_REQUEST, (uint64_t)objp, kind, 0,
		       rt_stack_here(t, RT_SKIP));
	rt_deadlock_self(t, (uint64_t)objp, kind);
}

/* ---- signal handlers -------------------------------------------------- */

/*
 * A signal handler that calls a wrapper while its thread is inside the
 * runtime (rt_in_handler) cannot write the trace: the interrupted code
 * is between the two halves of a record, or of a cache or held-list
 * update.  The mutex and sem_post wrappers below make the real call,
 * keep the counters as usual (the global shadow table is lock-free; the
 * per-thread cache is not touched) and queue the event in t->sigq;
 * whoever takes the thread's runtime depth back to 0 writes the queue
 * (rt_sigq_flush).  Recorded with a one-frame stack (the handler's call
 * site): unwinding inside a handler could land in an interrupted
 * libunwind.  Nothing goes into the held list, so the watchdog does not
 * see a handler's lock; the records alone tell the analyzer.
 */
static void rt_sigq_push(struct rt_thread *t, const struct rt_sig_event *e)
{
	/* one instruction reserves the slot: a nested handler gets the next */
	uint32_t i = __atomic_fetch_add(&t->sigq_n, 1, __ATOMIC_RELAXED);

	if (i >= RT_SIGQ_SIZE) {
		rt_count_dropped();
		return;
	}
	t->sigq[i] = *e;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static int rt_handler_mutex_lock(struct rt_thread *t, pthread_mutex_t *m,
				 int (*lock)(pthread_mutex_t *), uint8_t op,
				 uintptr_t ra)
{
	struct rt_sig_event e = {
		.obj = (uint64_t)m, .kind = HBT_OBJ_MUTEX, .op = op, .ra = ra};
	int saved = errno, r;

	r = lock(m);
	e.mutex_type = rt_mutex_type_of(rt_mutex_kind(m));
	if (r == 0 || r == EOWNERDEAD) {
		struct rt_shadow *sh =
			rt_shadow_get_miss(NULL, e.obj, HBT_OBJ_MUTEX);

		e.type = HBT_REC_ACQUIRE;
		if (sh)
			e.seq = rt_acq_seq_held(sh);
	} else {
		e.type = HBT_REC_FAIL;
		e.err = r;
	}
	rt_sigq_push(t, &e);
	errno = saved;
	return r;
}

static int rt_handler_mutex_unlock(struct rt_thread *t, pthread_mutex_t *m,
				   int (*unlock)(pthread_mutex_t *),
				   uintptr_t ra)
{
	struct rt_sig_event e = {.type = HBT_REC_RELEASE,
				 .obj = (uint64_t)m,
				 .kind = HBT_OBJ_MUTEX,
				 .ra = ra};
	int saved = errno;

	e.err = unlock(m);
	rt_sigq_push(t, &e);
	errno = saved;
	return e.err;
}

static int rt_handler_sem_post(struct rt_thread *t, sem_t *s,
			       int (*post)(sem_t *), uintptr_t ra)
{
	struct rt_sig_event e = {.type = HBT_REC_POST,
				 .obj = (uint64_t)s,
				 .kind = HBT_OBJ_SEM,
				 .ra = ra};
	struct rt_shadow *sh = rt_shadow_get_miss(NULL, e.obj, HBT_OBJ_SEM);
	int r, err;

	/* as sem_post(): counted before the real post */
	e.seq = sh ? __atomic_add_fetch(&sh->post_seq, 1, __ATOMIC_RELEASE) : 0;
	r = post(s);
	err = errno;
	rt_sigq_push(t, &e);
	errno = err;
	return r;
}

/* Write one kept event, from the thread's own context. */
static void rt_sigq_write(struct rt_thread *t, const struct rt_sig_event *e)
{
	struct hbt_event ev = {0};

	ev.type = e->type;
	ev.obj = e->obj;
	ev.kind = e->kind;
	ev.op = e->op;
	ev.seq = e->seq;
	ev.err = e->err;
	/* a release has a stack only when it failed, as elsewhere */
	if (rt_opts.stacks && e->ra && (e->type != HBT_REC_RELEASE || e->err)) {
		uint64_t frame = HBT_FRAME_FROM_PC(e->ra);

		ev.stack = rt_stack_intern(t, &frame, 1);
	}
	if (e->kind == HBT_OBJ_MUTEX) {
		/* a first use: its type, read when the handler held it */
		struct rt_shadow *sh = rt_shadow_get_t(t, e->obj, e->kind);

		if (sh && !(sh->flags & RT_SH_SEEN))
			rt_mutex_first_use(t, sh, e->obj, e->mutex_type);
	}
	if (e->type == HBT_REC_FAIL)
		ev.outcome = rt_outcome(e->err);
	rt_emit(t, &ev);
}

void rt_sigq_flush(struct rt_thread *t)
{
	uint32_t i = 0, n;
	int saved = errno;
	bool sig_off = t->sig_off;

	t->in_runtime++;
	t->sig_off = false; /* a handler meanwhile queues behind these */
	do {
		n = __atomic_load_n(&t->sigq_n, __ATOMIC_RELAXED);
		for (; i < n && i < RT_SIGQ_SIZE; i++)
			rt_sigq_write(t, &t->sigq[i]);
		/* empty again, unless a handler queued one since */
	} while (!__atomic_compare_exchange_n(
		&t->sigq_n, &n, 0, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	t->in_runtime--;
	t->sig_off = sig_off;
	errno = saved;
}

/* ---- mutex ------------------------------------------------------------ */

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	RT_REAL(int, pthread_mutex_init, NULL, pthread_mutex_t *,
		const pthread_mutexattr_t *);
	struct rt_thread *t;
	struct rt_shadow *sh;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_mutex_init(m, a);
	if (t && !r) {
		int type = PTHREAD_MUTEX_DEFAULT, rob = 0, ps = 0;
		uint8_t ty;

		if (a) {
			pthread_mutexattr_gettype(a, &type);
			pthread_mutexattr_getrobust(a, &rob);
			pthread_mutexattr_getpshared(a, &ps);
		}
		ty = type == PTHREAD_MUTEX_RECURSIVE	? HBT_MUTEX_RECURSIVE
		     : type == PTHREAD_MUTEX_ERRORCHECK ? HBT_MUTEX_ERRORCHECK
		     : (a && type == PTHREAD_MUTEX_NORMAL) ? HBT_MUTEX_NORMAL
							   : HBT_MUTEX_DEFAULT;
		if (rob)
			ty |= HBT_MUTEX_ROBUST;
		if (ps == PTHREAD_PROCESS_SHARED)
			ty |= HBT_MUTEX_PSHARED;
		sh = rt_shadow_get_t(t, (uint64_t)m, HBT_OBJ_MUTEX);
		if (sh) {
			sh->flags |= RT_SH_SEEN;
			sh->mutex_type = ty;
			sh->kind = HBT_OBJ_MUTEX;
		}
		rt_emit_init(t, (uint64_t)m, HBT_OBJ_MUTEX, ty,
			     rt_stack_here(t, RT_SKIP));
	}
	rt_leave_fast(t, saved);
	return r;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	RT_REAL(int, pthread_mutex_destroy, NULL, pthread_mutex_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_mutex_destroy(m);
	if (t)
		rt_emit_destroy(t, (uint64_t)m, HBT_OBJ_MUTEX, r);
	rt_leave_fast(t, saved);
	return r;
}

static int rt_mutex_acquire(pthread_mutex_t *m, uint8_t op,
			    const struct rt_block *b, uintptr_t ra,
			    uintptr_t cfa, bool tried_busy)
{
	RT_REAL(int, pthread_mutex_trylock, NULL, pthread_mutex_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	if (!t)
		return rt_block_call(b, m);
	t->site_ra = ra;
	t->site_cfa = cfa;
	if (!(op & HBT_OP_TIMED))
		rt_check_self_deadlock(t, m, HBT_OBJ_MUTEX);
	r = rt_acquire(t, rt_mutex_shadow(t, m), m, HBT_OBJ_MUTEX, op,
		       (rt_try_fn)real_pthread_mutex_trylock, b, NULL,
		       tried_busy);
	rt_leave_fast(t, saved);
	return r;
}

/*
 * The fast paths' records, with MUTEX_PAIR and LOCK_REPEAT: a mutex
 * released with nothing recorded since its MUTEX_ACQUIRE turns that
 * record into a MUTEX_PAIR instead of adding a MUTEX_RELEASE (an inner
 * lock, typically).  A thread that takes and drops one mutex over and
 * over from one call site, nobody else taking it in between (seq one
 * more than its last) and nothing else recorded by the thread, then
 * writes one LOCK_REPEAT and only bumps its counts in place.  The reader
 * hands out the same ACQUIRE and RELEASE events (hbt_format.h), so
 * nothing but the size changes.
 */
static inline void rt_mutex_emit_acquire(struct rt_thread *t, uint64_t obj,
					 uint64_t seq, uint32_t stack)
{
	if (t->pos == t->rep_end && obj == t->rep_obj &&
	    stack == t->rep_stack && seq == t->rep_seq + 1 &&
	    t->rep_acq == t->rep_rel && t->rep_acq < UINT32_MAX) {
		t->rep_seq = seq;
		if (t->rep_counts) {
			hbt_repeat_store(t->rep_counts, ++t->rep_acq);
			return;
		}
		t->pos += hbt_encode_lock_repeat(t->pos, &t->codec, obj,
						 HBT_OBJ_MUTEX, seq, stack,
						 &t->rep_counts);
		t->rep_acq = 1;
		t->rep_rel = 0;
		t->rep_end = t->pos;
		return;
	}
	t->rep_acq_rec = t->pos;
	t->pos += hbt_encode_acquire(t->pos, &t->codec, obj, HBT_OBJ_MUTEX, 0,
				     seq, stack);
	t->rep_obj = obj;
	t->rep_seq = seq;
	t->rep_stack = stack;
	t->rep_acq_end = t->pos;
	t->rep_end = t->rep_counts = NULL;
}

static inline void rt_mutex_emit_release(struct rt_thread *t, uint64_t obj)
{
	uint8_t *start = t->pos;

	if (t->rep_counts && start == t->rep_end && obj == t->rep_obj &&
	    t->rep_acq == t->rep_rel + 1) {
		hbt_repeat_store(t->rep_counts + 4, ++t->rep_rel);
		return;
	}
	t->rep_counts = NULL;
	t->rep_acq = t->rep_rel = 0;
	if (start == t->rep_acq_end && obj == t->rep_obj) {
		/* released right after its MUTEX_ACQUIRE: that record
		 * becomes a MUTEX_PAIR, no RELEASE; the first pair of a
		 * possible run */
		hbt_mark_mutex_pair(t->rep_acq_rec);
		t->rep_acq_end = NULL;
		t->rep_end = start;
		return;
	}
	t->pos += hbt_encode_release(start, &t->codec, obj, HBT_OBJ_MUTEX, 0, 0,
				     0);
	t->rep_end = NULL;
}

/*
 * Fetch the cache line at 'p' for writing.  PREFETCHW: AMD64 has it, as
 * has Intel since Broadwell; older Intel cores run it as a NOP.
 */
static inline void rt_prefetch_write(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/* glibc mutex kinds whose trylock may do more than take a free lock or
 * say EBUSY (robust: EOWNERDEAD; priority inheritance and protection) */
#define RT_MUTEX_KIND_SPECIAL (16 | 32 | 64)

#define RT_MUTEX_SPINS 100

/*
 * A mutex the fast path found taken: watch it for a moment before going
 * the blocking way.  Why: recording makes every critical section longer,
 * so a contended program collides more often than natively, and each
 * collision glibc turns into a futex wait and wake (nested benchmark: 3x
 * the futex calls).  A holder on another CPU usually lets go within
 * microseconds; glibc's adaptive mutexes spin for the same reason.  Not
 * when the process may run on one CPU only (its affinity mask): there
 * the holder cannot run meanwhile.
 * Reads the lock word, as glibc's spin does, and tries only when it is 0.
 * Returns what the last trylock said.
 */
static __attribute__((noinline)) int
rt_mutex_spin(pthread_mutex_t *m, int (*trylock)(pthread_mutex_t *))
{
	int i, r;

	for (i = 0; i < RT_MUTEX_SPINS; i++) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		if (__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED))
			continue;
		r = trylock(m);
		if (r != EBUSY)
			return r;
	}
	return EBUSY;
}

/*
 * pthread_mutex_lock() without the generic helpers, for its common case:
 * a mutex seen before, not held by the caller, no trylock found it busy
 * lately, a call site whose cached stack capture still holds (so the
 * stack is exact without an unwind), and the trylock takes it.  Nothing
 * blocked: one ACQUIRE with the stack, as rt_acquire() writes it.
 * Neither the checks nor the trylock can change errno; making room for
 * the record may (a new chunk), and rt_emit_room_slow() preserves it.
 * Returns 0 when done; EBUSY when the trylock found the mutex taken (the
 * caller goes on blocking, generically); -1 when nothing was done.
 */
static inline int rt_mutex_lock_fast(struct rt_thread *t, pthread_mutex_t *m,
				     int (*trylock)(pthread_mutex_t *),
				     uintptr_t ra, uintptr_t cfa)
{
	uint64_t obj = (uint64_t)m;
	unsigned hc = (unsigned)(obj >> 3) & 63;
	uint32_t i, n, stack = 0;
	struct rt_held_lock *h;
	struct rt_shadow *sh;
	uint64_t seq;
	int r = -1;

	/* entered first: a signal handler's wrapper must not change the
	 * caches or the held list under the checks, nor write into the
	 * record being made */
	t->in_runtime++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* the trylock will want the mutex's line for writing: ask for it
	 * that way now, not shared for the kind check and then again */
	rt_prefetch_write(m);
	if (RT_UNLIKELY(t->shcache[hc].key != obj || t->shcache[hc].busy))
		goto out;
	sh = t->shcache[hc].sh;
	/* so is the counter's, which the last holder wrote */
	rt_prefetch_write(&sh->acq_seq);
	if (RT_UNLIKELY(!t->shcache[hc].seen)) {
		if (!(sh->flags & RT_SH_SEEN))
			goto out;
		t->shcache[hc].seen = 1;
	}
	n = t->nheld;
	if (RT_UNLIKELY(n >= RT_MAX_HELD ||
			(rt_mutex_kind(m) & RT_MUTEX_KIND_SPECIAL)))
		goto out;
	for (i = 0; i < n; i++)
		if (t->held[i].obj == obj)
			goto out; /* relock: recursion or self-deadlock */
	if (rt_opts.stacks) {
		const struct rt_scache *e;

		if (RT_UNLIKELY(!rt_opts.stack_cache))
			goto out;
		e = &t->scache[rt_scache_slot(ra, cfa)];
		if (RT_UNLIKELY(!rt_scache_holds(e, ra, cfa)))
			goto out;
		stack = e->id;
	}
	r = trylock(m);
	if (RT_UNLIKELY(r == EBUSY) && rt_opts.mutex_spin)
		r = rt_mutex_spin(m, trylock);
	if (RT_UNLIKELY(r)) {
		r = r == EBUSY ? EBUSY : -1;
		goto out;
	}
	/* a handler that ran before the lock was ours comes first */
	if (RT_UNLIKELY(t->sigq_n != 0))
		rt_sigq_flush(t);
	seq = rt_acq_seq_held(sh);
	/* as rt_held_push(): the entry first, then the count (watchdog) */
	h = &t->held[n];
	h->obj = obj;
	h->kind = HBT_OBJ_MUTEX;
	h->op = 0;
	h->depth = 1;
	h->stack = stack;
	__atomic_store_n(&t->nheld, n + 1, __ATOMIC_RELEASE);
	if (RT_LIKELY(rt_emit_room(t, HBT_EVENT_MAX_BYTES)))
		rt_mutex_emit_acquire(t, obj, seq, stack);
out:
	/* a handler's events queued after the flush above wait for the
	 * unlock, or the slow path's leave */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->in_runtime--;
	return r;
}

/* Out of line: the fast path keeps few registers to save. */
static __attribute__((noinline)) int rt_mutex_lock_slow(pthread_mutex_t *m,
							uintptr_t ra,
							uintptr_t cfa,
							bool tried_busy)
{
	RT_REAL(int, pthread_mutex_lock, NULL, pthread_mutex_t *);
	struct rt_block b = {.lock = (void *)real_pthread_mutex_lock};

	if (RT_UNLIKELY(rt_in_handler(rt_self)))
		return rt_handler_mutex_lock(rt_self, m,
					     real_pthread_mutex_lock, 0, ra);
	return rt_mutex_acquire(m, 0, &b, ra, cfa, tried_busy);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	RT_REAL(int, pthread_mutex_trylock, NULL, pthread_mutex_t *);
	uintptr_t ra = RT_SITE_RA(), cfa = RT_SITE_CFA();
	struct rt_thread *t = rt_self;
	int r = -1;

	if (RT_LIKELY(t && !t->in_runtime && !t->ended &&
		      __atomic_load_n(&rt_active, __ATOMIC_RELAXED))) {
		r = rt_mutex_lock_fast(t, m, real_pthread_mutex_trylock, ra,
				       cfa);
		if (RT_LIKELY(r == 0))
			return 0;
	}
	return rt_mutex_lock_slow(m, ra, cfa, r == EBUSY);
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts)
{
	RT_REAL(int, pthread_mutex_timedlock, NULL, pthread_mutex_t *,
		const struct timespec *);
	struct rt_block b = {.timed = (void *)real_pthread_mutex_timedlock,
			     .ts = ts};

	return rt_mutex_acquire(m, HBT_OP_TIMED, &b, RT_SITE_RA(),
				RT_SITE_CFA(), false);
}

int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
			    const struct timespec *ts)
{
	RT_REAL(int, pthread_mutex_clocklock, NULL, pthread_mutex_t *,
		clockid_t, const struct timespec *);
	struct rt_block b = {.clock = (void *)real_pthread_mutex_clocklock,
			     .clk = clk,
			     .ts = ts};

	return rt_mutex_acquire(m, HBT_OP_TIMED, &b, RT_SITE_RA(),
				RT_SITE_CFA(), false);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	RT_REAL(int, pthread_mutex_trylock, NULL, pthread_mutex_t *);
	struct rt_thread *t;
	uint32_t stack;
	int saved, r;

	if (RT_UNLIKELY(rt_in_handler(rt_self)))
		return rt_handler_mutex_lock(rt_self, m,
					     real_pthread_mutex_trylock,
					     HBT_OP_TRY, RT_SITE_RA());
	t = rt_enter_fast(&saved);
	if (t)
		rt_site_set(t);
	stack = t ? rt_stack_here(t, RT_SKIP) : 0;
	r = real_pthread_mutex_trylock(m);
	if (t)
		rt_try_only(t, rt_mutex_shadow(t, m), m, HBT_OBJ_MUTEX, 0, r, r,
			    stack);
	rt_leave_fast(t, saved);
	return r;
}

/*
 * pthread_mutex_unlock() without the generic helpers when the mutex is the
 * innermost lock the caller holds, taken once: the usual nesting.  As in
 * the generic path the held entry goes before the real unlock and the
 * RELEASE after it.  Returns false when nothing was done.
 */
static inline bool rt_mutex_unlock_fast(struct rt_thread *t, pthread_mutex_t *m,
					int (*unlock)(pthread_mutex_t *),
					int *r)
{
	struct rt_held_lock *h;
	uint32_t n;
	bool done = false;

	t->in_runtime++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	n = t->nheld;
	h = &t->held[n ? n - 1 : 0];
	if (RT_LIKELY(n && h->obj == (uint64_t)m && h->depth == 1 &&
		      h->kind == HBT_OBJ_MUTEX && !h->op)) {
		__atomic_store_n(&t->nheld, n - 1, __ATOMIC_RELEASE);
		*r = unlock(m);
		if (RT_UNLIKELY(*r)) {
			/* misuse seen by glibc: the release gets a stack
			 * (an unwind may change errno) */
			int saved = errno;

			rt_emit_release(t, (uint64_t)m, HBT_OBJ_MUTEX, 0, *r,
					0);
			errno = saved;
		} else if (RT_LIKELY(rt_emit_room(t, HBT_EVENT_MAX_BYTES))) {
			rt_mutex_emit_release(t, (uint64_t)m);
		}
		if (n == 1)
			rt_chunk_ahead(t);
		done = true;
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->in_runtime--;
	/* entered from 0: back at 0 */
	if (RT_UNLIKELY(t->sigq_n != 0))
		rt_sigq_flush(t);
	return done;
}

static __attribute__((noinline)) int
rt_mutex_unlock_slow(pthread_mutex_t *m, int (*unlock)(pthread_mutex_t *),
		     uintptr_t ra)
{
	struct rt_thread *t;
	uint32_t stack;
	uint8_t op;
	int saved, r;

	if (RT_UNLIKELY(rt_in_handler(rt_self)))
		return rt_handler_mutex_unlock(rt_self, m, unlock, ra);
	t = rt_enter_fast(&saved);
	if (!t)
		return unlock(m);
	/* first use of a mutex: its type (OBJ_INIT), even on misuse */
	rt_mutex_shadow(t, m);
	op = rt_releasing(t, (uint64_t)m, &stack);
	r = unlock(m);
	rt_emit_release(t, (uint64_t)m, HBT_OBJ_MUTEX, op, r, stack);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	RT_REAL(int, pthread_mutex_unlock, NULL, pthread_mutex_t *);
	struct rt_thread *t = rt_self;
	int r;

	/* HBTRACE_STACK_CACHE=0 turns the fast paths off too: then the
	 * generic path writes the trace they are checked against */
	if (RT_LIKELY(t && !t->in_runtime && !t->ended &&
		      __atomic_load_n(&rt_active, __ATOMIC_RELAXED) &&
		      rt_opts.stack_cache) &&
	    rt_mutex_unlock_fast(t, m, real_pthread_mutex_unlock, &r))
		return r;
	return rt_mutex_unlock_slow(m, real_pthread_mutex_unlock, RT_SITE_RA());
}

/* ---- rwlock ----------------------------------------------------------- */

int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	RT_REAL(int, pthread_rwlock_init, NULL, pthread_rwlock_t *,
		const pthread_rwlockattr_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_rwlock_init(l, a);
	if (t && !r) {
		int ps = 0;

		if (a)
			pthread_rwlockattr_getpshared(a, &ps);
		rt_shadow_get_t(t, (uint64_t)l, HBT_OBJ_RWLOCK);
		rt_emit_init(t, (uint64_t)l, HBT_OBJ_RWLOCK,
			     HBT_MUTEX_DEFAULT | (ps == PTHREAD_PROCESS_SHARED
							  ? HBT_MUTEX_PSHARED
							  : 0),
			     rt_stack_here(t, RT_SKIP));
	}
	rt_leave_fast(t, saved);
	return r;
}

int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	RT_REAL(int, pthread_rwlock_destroy, NULL, pthread_rwlock_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_rwlock_destroy(l);
	if (t)
		rt_emit_destroy(t, (uint64_t)l, HBT_OBJ_RWLOCK, r);
	rt_leave_fast(t, saved);
	return r;
}

static int rt_rwlock_acquire(pthread_rwlock_t *l, uint8_t op,
			     const struct rt_block *b, uintptr_t ra,
			     uintptr_t cfa)
{
	RT_REAL(int, pthread_rwlock_tryrdlock, NULL, pthread_rwlock_t *);
	RT_REAL(int, pthread_rwlock_trywrlock, NULL, pthread_rwlock_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	if (!t)
		return rt_block_call(b, l);
	t->site_ra = ra;
	t->site_cfa = cfa;
	r = rt_acquire(t, rt_shadow_get_t(t, (uint64_t)l, HBT_OBJ_RWLOCK), l,
		       HBT_OBJ_RWLOCK, op,
		       (op & HBT_OP_READ)
			       ? (rt_try_fn)real_pthread_rwlock_tryrdlock
			       : (rt_try_fn)real_pthread_rwlock_trywrlock,
		       b, NULL, false);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	RT_REAL(int, pthread_rwlock_rdlock, NULL, pthread_rwlock_t *);
	struct rt_block b = {.lock = (void *)real_pthread_rwlock_rdlock};

	return rt_rwlock_acquire(l, HBT_OP_READ, &b, RT_SITE_RA(),
				 RT_SITE_CFA());
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	RT_REAL(int, pthread_rwlock_wrlock, NULL, pthread_rwlock_t *);
	struct rt_block b = {.lock = (void *)real_pthread_rwlock_wrlock};

	return rt_rwlock_acquire(l, 0, &b, RT_SITE_RA(), RT_SITE_CFA());
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *ts)
{
	RT_REAL(int, pthread_rwlock_timedrdlock, NULL, pthread_rwlock_t *,
		const struct timespec *);
	struct rt_block b = {.timed = (void *)real_pthread_rwlock_timedrdlock,
			     .ts = ts};

	return rt_rwlock_acquire(l, HBT_OP_READ | HBT_OP_TIMED, &b,
				 RT_SITE_RA(), RT_SITE_CFA());
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *ts)
{
	RT_REAL(int, pthread_rwlock_timedwrlock, NULL, pthread_rwlock_t *,
		const struct timespec *);
	struct rt_block b = {.timed = (void *)real_pthread_rwlock_timedwrlock,
			     .ts = ts};

	return rt_rwlock_acquire(l, HBT_OP_TIMED, &b, RT_SITE_RA(),
				 RT_SITE_CFA());
}

int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk,
			       const struct timespec *ts)
{
	RT_REAL(int, pthread_rwlock_clockrdlock, NULL, pthread_rwlock_t *,
		clockid_t, const struct timespec *);
	struct rt_block b = {.clock = (void *)real_pthread_rwlock_clockrdlock,
			     .clk = clk,
			     .ts = ts};

	return rt_rwlock_acquire(l, HBT_OP_READ | HBT_OP_TIMED, &b,
				 RT_SITE_RA(), RT_SITE_CFA());
}

int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk,
			       const struct timespec *ts)
{
	RT_REAL(int, pthread_rwlock_clockwrlock, NULL, pthread_rwlock_t *,
		clockid_t, const struct timespec *);
	struct rt_block b = {.clock = (void *)real_pthread_rwlock_clockwrlock,
			     .clk = clk,
			     .ts = ts};

	return rt_rwlock_acquire(l, HBT_OP_TIMED, &b, RT_SITE_RA(),
				 RT_SITE_CFA());
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	RT_REAL(int, pthread_rwlock_tryrdlock, NULL, pthread_rwlock_t *);
	struct rt_thread *t;
	uint32_t stack;
	int saved, r;

	t = rt_enter_fast(&saved);
	if (t)
		rt_site_set(t);
	stack = t ? rt_stack_here(t, RT_SKIP) : 0;
	r = real_pthread_rwlock_tryrdlock(l);
	if (t)
		rt_try_only(t, rt_shadow_get_t(t, (uint64_t)l, HBT_OBJ_RWLOCK),
			    l, HBT_OBJ_RWLOCK, HBT_OP_READ, r, r, stack);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	RT_REAL(int, pthread_rwlock_trywrlock, NULL, pthread_rwlock_t *);
	struct rt_thread *t;
	uint32_t stack;
	int saved, r;

	t = rt_enter_fast(&saved);
	if (t)
		rt_site_set(t);
	stack = t ? rt_stack_here(t, RT_SKIP) : 0;
	r = real_pthread_rwlock_trywrlock(l);
	if (t)
		rt_try_only(t, rt_shadow_get_t(t, (uint64_t)l, HBT_OBJ_RWLOCK),
			    l, HBT_OBJ_RWLOCK, 0, r, r, stack);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	RT_REAL(int, pthread_rwlock_unlock, NULL, pthread_rwlock_t *);
	struct rt_thread *t;
	uint32_t stack;
	uint8_t op;
	int saved, r;

	t = rt_enter_fast(&saved);
	if (!t)
		return real_pthread_rwlock_unlock(l);
	op = rt_releasing(t, (uint64_t)l, &stack);
	r = real_pthread_rwlock_unlock(l);
	rt_emit_release(t, (uint64_t)l, HBT_OBJ_RWLOCK, op, r, stack);
	rt_leave_fast(t, saved);
	return r;
}

/* ---- spinlock --------------------------------------------------------- */

int pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
	RT_REAL(int, pthread_spin_init, NULL, pthread_spinlock_t *, int);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_spin_init(s, pshared);
	if (t && !r) {
		rt_shadow_get_t(t, (uint64_t)s, HBT_OBJ_SPIN);
		rt_emit_init(t, (uint64_t)s, HBT_OBJ_SPIN,
			     HBT_MUTEX_DEFAULT |
				     (pshared == PTHREAD_PROCESS_SHARED
					      ? HBT_MUTEX_PSHARED
					      : 0),
			     rt_stack_here(t, RT_SKIP));
	}
	rt_leave_fast(t, saved);
	return r;
}

int pthread_spin_destroy(pthread_spinlock_t *s)
{
	RT_REAL(int, pthread_spin_destroy, NULL, pthread_spinlock_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_spin_destroy(s);
	if (t)
		rt_emit_destroy(t, (uint64_t)s, HBT_OBJ_SPIN, r);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_spin_lock(pthread_spinlock_t *s)
{
	RT_REAL(int, pthread_spin_lock, NULL, pthread_spinlock_t *);
	RT_REAL(int, pthread_spin_trylock, NULL, pthread_spinlock_t *);
	struct rt_block b = {.lock = (void *)real_pthread_spin_lock};
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	if (!t)
		return real_pthread_spin_lock(s);
	rt_site_set(t);
	rt_check_self_deadlock(t, (void *)s, HBT_OBJ_SPIN);
	r = rt_acquire(t, rt_shadow_get_t(t, (uint64_t)s, HBT_OBJ_SPIN),
		       (void *)s, HBT_OBJ_SPIN, 0,
		       (rt_try_fn)real_pthread_spin_trylock, &b, NULL, false);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_spin_trylock(pthread_spinlock_t *s)
{
	RT_REAL(int, pthread_spin_trylock, NULL, pthread_spinlock_t *);
	struct rt_thread *t;
	uint32_t stack;
	int saved, r;

	t = rt_enter_fast(&saved);
	if (t)
		rt_site_set(t);
	stack = t ? rt_stack_here(t, RT_SKIP) : 0;
	r = real_pthread_spin_trylock(s);
	if (t)
		rt_try_only(t, rt_shadow_get_t(t, (uint64_t)s, HBT_OBJ_SPIN),
			    (void *)s, HBT_OBJ_SPIN, 0, r, r, stack);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_spin_unlock(pthread_spinlock_t *s)
{
	RT_REAL(int, pthread_spin_unlock, NULL, pthread_spinlock_t *);
	struct rt_thread *t;
	uint32_t stack;
	uint8_t op;
	int saved, r;

	t = rt_enter_fast(&saved);
	if (!t)
		return real_pthread_spin_unlock(s);
	op = rt_releasing(t, (uint64_t)s, &stack);
	r = real_pthread_spin_unlock(s);
	rt_emit_release(t, (uint64_t)s, HBT_OBJ_SPIN, op, r, stack);
	rt_leave_fast(t, saved);
	return r;
}

/* ---- condition variables ---------------------------------------------- */

#define RT_COND_VER "GLIBC_2.3.2"

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	RT_REAL(int, pthread_cond_init, RT_COND_VER, pthread_cond_t *,
		const pthread_condattr_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_cond_init(c, a);
	if (t && !r) {
		rt_shadow_get_t(t, (uint64_t)c, HBT_OBJ_COND);
		rt_emit_init(t, (uint64_t)c, HBT_OBJ_COND, 0,
			     rt_stack_here(t, RT_SKIP));
	}
	rt_leave_fast(t, saved);
	return r;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	RT_REAL(int, pthread_cond_destroy, RT_COND_VER, pthread_cond_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_cond_destroy(c);
	if (t)
		rt_emit_destroy(t, (uint64_t)c, HBT_OBJ_COND, r);
	rt_leave_fast(t, saved);
	return r;
}

static int rt_cond_post(pthread_cond_t *c, uint8_t op,
			int (*real)(pthread_cond_t *))
{
	struct rt_thread *t;
	struct rt_shadow *sh;
	struct hbt_event ev = {0};
	int saved, r;

	t = rt_enter_fast(&saved);
	if (!t)
		return real(c);
	sh = rt_shadow_get_t(t, (uint64_t)c, HBT_OBJ_COND);
	ev.seq =
		sh ? __atomic_add_fetch(&sh->post_seq, 1, __ATOMIC_RELEASE) : 0;
	r = real(c);
	ev.type = HBT_REC_POST;
	ev.obj = (uint64_t)c;
	ev.kind = HBT_OBJ_COND;
	ev.op = op;
	ev.stack = rt_stack_here(t, RT_SKIP);
	rt_emit(t, &ev);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_cond_signal(pthread_cond_t *c)
{
	RT_REAL(int, pthread_cond_signal, RT_COND_VER, pthread_cond_t *);

	return rt_cond_post(c, 0, real_pthread_cond_signal);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	RT_REAL(int, pthread_cond_broadcast, RT_COND_VER, pthread_cond_t *);

	return rt_cond_post(c, HBT_OP_BROADCAST, real_pthread_cond_broadcast);
}

struct rt_cond_call {
	int (*wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*timed)(pthread_cond_t *, pthread_mutex_t *,
		     const struct timespec *);
	int (*clock)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
		     const struct timespec *);
	clockid_t clk;
	const struct timespec *ts;
};

/* What a condition wait needs to record its end, also when the thread
 * is cancelled inside the wait (then the mutex is reacquired and the
 * cleanup handler below runs before the program's own handlers). */
struct rt_cond_wait_ctx {
	struct rt_thread *t;
	struct rt_shadow *shc, *shm;
	pthread_cond_t *c;
	pthread_mutex_t *m;
	uint32_t stack;
	uint8_t op;
	int saved;
};

static void rt_cond_woken(struct rt_cond_wait_ctx *x, int r, uint8_t outcome)
{
	struct rt_thread *t = x->t;
	struct hbt_event ev = {0};

	ev.type = HBT_REC_COND_WAKE;
	ev.obj = (uint64_t)x->c;
	ev.obj2 = (uint64_t)x->m;
	ev.kind = HBT_OBJ_COND;
	ev.op = x->op;
	ev.outcome = outcome;
	ev.err = r;
	if (x->shc)
		ev.seq = __atomic_load_n(&x->shc->post_seq, __ATOMIC_ACQUIRE);
	if (x->shm)
		ev.seq2 = rt_acq_seq_held(x->shm); /* the mutex is ours again */
	rt_held_push(t, (uint64_t)x->m, HBT_OBJ_MUTEX, 0, x->stack);
	rt_emit(t, &ev);
}

static void rt_cond_cancelled(void *arg)
{
	struct rt_cond_wait_ctx *x = arg;

	/* back to what rt_enter() set */
	rt_wait_end(x->t, (struct rt_wait){.sig_off = true});
	rt_cond_woken(x, 0, HBT_OUT_CANCELLED);
	/* the program's cleanup handlers run next: record them */
	rt_leave(x->t, x->saved);
}

static int rt_cond_wait(pthread_cond_t *c, pthread_mutex_t *m, uint8_t op,
			const struct rt_cond_call *k)
{
	struct rt_cond_wait_ctx x = {0};
	struct hbt_event ev = {0};
	struct rt_held_lock *h;
	struct rt_thread *t;
	int saved, r;
	struct rt_wait wait;

	t = rt_enter(&saved);
	if (!t) {
		if (k->clock)
			return k->clock(c, m, k->clk, k->ts);
		if (k->timed)
			return k->timed(c, m, k->ts);
		return k->wait(c, m);
	}
	x.t = t;
	x.c = c;
	x.m = m;
	x.op = op;
	x.saved = saved;
	x.shc = rt_shadow_get_t(t, (uint64_t)c, HBT_OBJ_COND);
	x.shm = rt_mutex_shadow(t, m);
	if (x.shc)
		x.shc->assoc = (uint64_t)m;
	x.stack = rt_stack_here(t, RT_SKIP);
	ev.type = HBT_REC_COND_WAIT;
	ev.obj = (uint64_t)c;
	ev.obj2 = (uint64_t)m;
	ev.kind = HBT_OBJ_COND;
	ev.op = op;
	ev.stack = x.stack;
	rt_emit(t, &ev);
	h = rt_held_find(t, (uint64_t)m);
	if (h) {
		if (h->stack)
			x.stack = h->stack;
		rt_held_pop(t, (uint64_t)m);
	}
	pthread_cleanup_push(rt_cond_cancelled, &x);
	wait = rt_wait_begin(t);
	if (k->clock)
		r = k->clock(c, m, k->clk, k->ts);
	else if (k->timed)
		r = k->timed(c, m, k->ts);
	else
		r = k->wait(c, m);
	rt_wait_end(t, wait);
	pthread_cleanup_pop(0);
	/* the mutex is ours again (also after a timeout) */
	rt_cond_woken(&x, r, rt_outcome(r));
	rt_leave_fast(t, saved);
	return r;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	RT_REAL(int, pthread_cond_wait, RT_COND_VER, pthread_cond_t *,
		pthread_mutex_t *);
	struct rt_cond_call k = {.wait = real_pthread_cond_wait};

	return rt_cond_wait(c, m, 0, &k);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
			   const struct timespec *ts)
{
	RT_REAL(int, pthread_cond_timedwait, RT_COND_VER, pthread_cond_t *,
		pthread_mutex_t *, const struct timespec *);
	struct rt_cond_call k = {.timed = real_pthread_cond_timedwait,
				 .ts = ts};

	return rt_cond_wait(c, m, HBT_OP_TIMED, &k);
}

int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
			   const struct timespec *ts)
{
	RT_REAL(int, pthread_cond_clockwait, NULL, pthread_cond_t *,
		pthread_mutex_t *, clockid_t, const struct timespec *);
	struct rt_cond_call k = {
		.clock = real_pthread_cond_clockwait, .clk = clk, .ts = ts};

	return rt_cond_wait(c, m, HBT_OP_TIMED, &k);
}

/* ---- semaphores --------------------------------------------------------- */

int sem_init(sem_t *s, int pshared, unsigned int value)
{
	RT_REAL(int, sem_init, NULL, sem_t *, int, unsigned int);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_sem_init(s, pshared, value);
	if (r)
		saved = errno;
	if (t && !r) {
		rt_shadow_get_t(t, (uint64_t)s, HBT_OBJ_SEM);
		rt_emit_init(t, (uint64_t)s, HBT_OBJ_SEM, value,
			     rt_stack_here(t, RT_SKIP));
	}
	rt_leave_fast(t, saved);
	return r;
}

int sem_destroy(sem_t *s)
{
	RT_REAL(int, sem_destroy, NULL, sem_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_sem_destroy(s);
	if (r)
		saved = errno;
	if (t)
		rt_emit_destroy(t, (uint64_t)s, HBT_OBJ_SEM, r ? saved : 0);
	rt_leave_fast(t, saved);
	return r;
}

struct rt_objname {
	uint64_t obj;
	uint32_t name;
};

static size_t rt_encode_semname(uint8_t *p, void *arg)
{
	struct rt_objname *d = arg;

	return hbt_encode_obj_name(p, d->obj, HBT_OBJ_SEM, d->name);
}

sem_t *sem_open(const char *name, int oflag, ...)
{
	RT_REAL(sem_t *, sem_open, NULL, const char *, int, ...);
	unsigned int value = 0;
	mode_t mode = 0;
	struct rt_thread *t;
	sem_t *s;
	int saved;

	if (oflag & O_CREAT) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned int);
		va_end(ap);
	}
	t = rt_enter_fast(&saved);
	s = real_sem_open(name, oflag, mode, value);
	if (s == SEM_FAILED)
		saved = errno;
	if (t && s != SEM_FAILED) {
		struct rt_objname d = {(uint64_t)s,
				       rt_string_intern(t, name, strlen(name))};

		rt_shadow_get_t(t, (uint64_t)s, HBT_OBJ_SEM);
		rt_emit_init(t, (uint64_t)s, HBT_OBJ_SEM, value,
			     rt_stack_here(t, RT_SKIP));
		/* a named semaphore is known by its name */
		if (d.name)
			rt_emit_def(t, HBT_DEF_ROOM(24), rt_encode_semname, &d);
	}
	rt_leave_fast(t, saved);
	return s;
}

int sem_close(sem_t *s)
{
	RT_REAL(int, sem_close, NULL, sem_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_sem_close(s);
	if (r)
		saved = errno;
	if (t)
		rt_emit_destroy(t, (uint64_t)s, HBT_OBJ_SEM, r ? saved : 0);
	rt_leave_fast(t, saved);
	return r;
}

int sem_post(sem_t *s)
{
	RT_REAL(int, sem_post, NULL, sem_t *);
	struct rt_thread *t;
	struct rt_shadow *sh;
	struct hbt_event ev = {0};
	int saved, r;

	if (RT_UNLIKELY(rt_in_handler(rt_self)))
		return rt_handler_sem_post(rt_self, s, real_sem_post,
					   RT_SITE_RA());
	t = rt_enter_fast(&saved);
	if (!t)
		return real_sem_post(s);
	sh = rt_shadow_get_t(t, (uint64_t)s, HBT_OBJ_SEM);
	ev.seq =
		sh ? __atomic_add_fetch(&sh->post_seq, 1, __ATOMIC_RELEASE) : 0;
	r = real_sem_post(s);
	if (r)
		saved = errno;
	ev.type = HBT_REC_POST;
	ev.obj = (uint64_t)s;
	ev.kind = HBT_OBJ_SEM;
	ev.stack = rt_stack_here(t, RT_SKIP);
	rt_emit(t, &ev);
	rt_leave_fast(t, saved);
	return r;
}

static int rt_sem_acquire(sem_t *s, uint8_t op, const struct rt_block *b)
{
	RT_REAL(int, sem_trywait, NULL, sem_t *);
	struct rt_thread *t;
	int saved, r, err;

	t = rt_enter_fast(&saved);
	if (!t)
		return rt_block_call(b, s);
	r = rt_acquire(t, rt_shadow_get_t(t, (uint64_t)s, HBT_OBJ_SEM), s,
		       HBT_OBJ_SEM, op, (rt_try_fn)real_sem_trywait, b, &err,
		       false);
	rt_leave(t, r ? err : saved);
	return r;
}

int sem_wait(sem_t *s)
{
	RT_REAL(int, sem_wait, NULL, sem_t *);
	struct rt_block b = {.lock = (void *)real_sem_wait, .sem = true};

	return rt_sem_acquire(s, 0, &b);
}

int sem_timedwait(sem_t *s, const struct timespec *ts)
{
	RT_REAL(int, sem_timedwait, NULL, sem_t *, const struct timespec *);
	struct rt_block b = {
		.timed = (void *)real_sem_timedwait, .ts = ts, .sem = true};

	return rt_sem_acquire(s, HBT_OP_TIMED, &b);
}

int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *ts)
{
	RT_REAL(int, sem_clockwait, NULL, sem_t *, clockid_t,
		const struct timespec *);
	struct rt_block b = {.clock = (void *)real_sem_clockwait,
			     .clk = clk,
			     .ts = ts,
			     .sem = true};

	return rt_sem_acquire(s, HBT_OP_TIMED, &b);
}

int sem_trywait(sem_t *s)
{
	RT_REAL(int, sem_trywait, NULL, sem_t *);
	struct rt_thread *t;
	uint32_t stack;
	int saved, r, err = 0;

	t = rt_enter_fast(&saved);
	if (t)
		rt_site_set(t);
	stack = t ? rt_stack_here(t, RT_SKIP) : 0;
	r = real_sem_trywait(s);
	if (r)
		err = errno;
	if (t)
		rt_try_only(t, rt_shadow_get_t(t, (uint64_t)s, HBT_OBJ_SEM), s,
			    HBT_OBJ_SEM, 0, r, err, stack);
	rt_leave(t, r ? err : saved);
	return r;
}

/* ---- barriers --------------------------------------------------------- */

int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a,
			 unsigned int count)
{
	RT_REAL(int, pthread_barrier_init, NULL, pthread_barrier_t *,
		const pthread_barrierattr_t *, unsigned int);
	struct rt_thread *t;
	struct rt_shadow *sh;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_barrier_init(b, a, count);
	if (t && !r) {
		sh = rt_shadow_get_t(t, (uint64_t)b, HBT_OBJ_BARRIER);
		if (sh)
			sh->count = count;
		rt_emit_init(t, (uint64_t)b, HBT_OBJ_BARRIER, count,
			     rt_stack_here(t, RT_SKIP));
	}
	rt_leave_fast(t, saved);
	return r;
}

int pthread_barrier_destroy(pthread_barrier_t *b)
{
	RT_REAL(int, pthread_barrier_destroy, NULL, pthread_barrier_t *);
	struct rt_thread *t;
	int saved, r;

	t = rt_enter_fast(&saved);
	r = real_pthread_barrier_destroy(b);
	if (t)
		rt_emit_destroy(t, (uint64_t)b, HBT_OBJ_BARRIER, r);
	rt_leave_fast(t, saved);
	return r;
}

int pthread_barrier_wait(pthread_barrier_t *b)
{
	RT_REAL(int, pthread_barrier_wait, NULL, pthread_barrier_t *);
	struct rt_thread *t;
	struct rt_shadow *sh;
	struct hbt_event ev = {0};
	uint64_t arrival;
	int saved, r;
	struct rt_wait wait;

	t = rt_enter_fast(&saved);
	if (!t)
		return real_pthread_barrier_wait(b);
	sh = rt_shadow_get_t(t, (uint64_t)b, HBT_OBJ_BARRIER);
	arrival =
		sh ? __atomic_add_fetch(&sh->acq_seq, 1, __ATOMIC_ACQ_REL) : 0;
	ev.type = HBT_REC_BARRIER_ARRIVE;
	ev.obj = (uint64_t)b;
	ev.arg = sh ? sh->count : 0;
	ev.seq = arrival;
	ev.stack = rt_stack_here(t, RT_SKIP);
	rt_emit(t, &ev);
	wait = rt_wait_begin(t);
	r = real_pthread_barrier_wait(b);
	rt_wait_end(t, wait);
	memset(&ev, 0, sizeof(ev));
	ev.type = HBT_REC_BARRIER_LEAVE;
	ev.obj = (uint64_t)b;
	ev.seq = arrival;
	ev.err = r == 0 ? 0 : r == PTHREAD_BARRIER_SERIAL_THREAD ? 1 : r + 2;
	rt_emit(t, &ev);
	rt_leave_fast(t, saved);
	return r;
}
