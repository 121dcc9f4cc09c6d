/* SPDX-License-Identifier: MIT */
/*
 * rt.h - the core of the in-process runtime, shared by its front-ends: the
 * pthread shim (rt_pthread.c), the CPython/asyncio front-end and the TSan
 * ABI runtime.
 *
 * Rules for everything that runs inside the traced program:
 *  - never change what the program sees: return values and errno pass
 *    through (rt_enter()/rt_leave() save and restore errno);
 *  - never re-enter: a wrapper called while the runtime itself is running
 *    on this thread (dlsym, libunwind, malloc inside the runtime) goes
 *    straight to the real function;
 *  - never block on a lock the program could hold; the hot path takes no
 *    process-wide lock and reads no clock;
 *  - on any internal failure (ENOSPC, mmap failure) print one warning and
 *    stop recording; never crash.
 */
#ifndef HBT_RT_H
#define HBT_RT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/hbt_codec.h"
#include "../lib/hbt_format.h"

#define RT_TLS	       __attribute__((tls_model("initial-exec")))
#define RT_HIDDEN      __attribute__((visibility("hidden")))
#define RT_LIKELY(x)   __builtin_expect(!!(x), 1)
#define RT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Most locks one thread is tracked as holding at once (more are counted). */
#define RT_MAX_HELD  1024
#define RT_SIGQ_SIZE 32 /* signal handler events kept per thread */
/* Per-thread stack capture cache: entries, frames per entry. */
#define RT_SCACHE_SIZE	 64
#define RT_SCACHE_FRAMES 16

struct rt_held_lock {
	uint64_t obj;
	uint8_t kind;
	uint8_t op;	/* HBT_OP_READ for shared holds */
	uint32_t depth; /* recursive mutex relock depth */
	uint32_t stack; /* where it was acquired */
};

/*
 * Per-thread state.  Allocated with mmap (never malloc), registered in a
 * global table so the watchdog and the exit path can see every thread.
 */
struct rt_thread {
	uint32_t serial; /* 1 = first thread seen */
	int32_t tid;
	uint64_t pthread_self;

	/* the chunk being filled */
	uint8_t *chunk;	      /* mapped chunk (header first), NULL if none */
	uint8_t *pos, *limit; /* write position, end of usable room */
	uint32_t chunk_size;
	uint32_t chunk_index;
	struct hbt_codec_state codec;
	/*
	 * LOCK_REPEAT (the mutex fast paths, rt_pthread.c): rep_end is
	 * t->pos right after the last ACQUIRE/RELEASE pair of rep_obj, or
	 * after its LOCK_REPEAT (rep_counts, its count fields, then set);
	 * the pair repeats while nothing else is written.  Cleared when a
	 * chunk starts (rt_chunk_next).  rep_acq_rec, rep_acq_end: where
	 * a candidate MUTEX_ACQUIRE starts, and t->pos right after it (it
	 * becomes a MUTEX_PAIR if nothing else is written before its
	 * release).
	 */
	uint8_t *rep_end, *rep_acq_end, *rep_counts, *rep_acq_rec;
	uint64_t rep_obj, rep_seq;
	uint32_t rep_stack, rep_acq, rep_rel;

	/* what the thread holds and waits for (watchdog, misuse checks) */
	uint32_t nheld;
	struct rt_held_lock held[RT_MAX_HELD];
	uint32_t held_overflow;
	volatile uint64_t blocked_on;  /* object of an untimed blocking call */
	volatile uint8_t blocked_kind; /* its kind, HBT_OBJ_THREAD for join */
	volatile uint32_t blocked_stack;

	int in_runtime; /* re-entry depth */
	/*
	 * Set while the runtime may call out to code that re-enters a
	 * wrapper: stack captures (libunwind takes locks) and everything
	 * entered through rt_enter() (front-ends call into the interpreter).
	 * A wrapper called inside the runtime while it is clear is a signal
	 * handler's (rt_in_handler).  Clear on the mutex fast paths, which
	 * call out to nothing, so they pay no store for it.
	 */
	bool sig_off;
	/*
	 * Set while the thread blocks in a real call (rt_wait_begin): the
	 * trace state is whole then, so a signal handler's wrapper records
	 * its event at once instead of queueing or dropping it.  Cleared
	 * while one does; wait_depth is the in_runtime to restore it at.
	 */
	bool waiting;
	int wait_depth;
	uintptr_t wait_site_ra, wait_site_cfa; /* the waiting wrapper's */
	bool ended;
	bool detached;
	bool joined;

	/* -- pthread shim bookkeeping (rt_core.c, rt_pthread.c) -- */
	uint32_t parent;  /* creating thread's serial, 0 = none known */
	bool exiting;	  /* inside pthread_exit: THREAD_END op 1 */
	bool is_watchdog; /* the runtime's own thread: never reported */
	void *(*start_fn)(void *); /* trampoline: the real start routine */
	void *start_arg;
	uint32_t blocked_gen; /* bumped at every blocking call (watchdog) */
	/* direct-mapped caches: object -> shadow, frame hash -> stack id */
	struct {
		uint64_t key;
		struct rt_shadow *sh;
		/* blocking acquisitions left that skip the trylock: the
		 * last one found the object busy (rt_acquire) */
		uint32_t busy;
		/* sh has RT_SH_SEEN (never cleared): the fast path need
		 * not read the shadow's line before it holds the lock */
		uint32_t seen;
	} shcache[64];
	struct {
		uint64_t hash;
		uint32_t id;
	} stcache[256];
	/* frames of the last native stack captured (HBT_FRAME_* encoded),
	 * and of the stack of the current blocking call (deadlock report) */
	uint64_t sframes[64];
	uint32_t nsframes;
	uint32_t nbframes;
	uint64_t bframes[16];
	uint64_t chunk_off; /* file offset of the chunk being filled */
	/* the next chunk, mapped ahead while the thread held no lock, and
	 * the last one filled, unmapped then (rt_chunk_ahead) */
	uint8_t *spare, *retired;
	uint32_t spare_size, retired_size;
	uint64_t spare_off;
	bool ahead_failed; /* for this chunk: leave it to rt_chunk_next */

	/*
	 * Lock and semaphore calls of a signal handler that interrupted the
	 * thread inside the runtime, written when the interrupted wrapper
	 * leaves (rt_sigq_flush): the half-made record, the caches and the
	 * held list belong to the interrupted code.  sigq_n counts reserved
	 * slots (a handler may interrupt a handler); past RT_SIGQ_SIZE the
	 * events are counted as dropped.
	 */
	struct rt_sig_event {
		uint64_t obj, seq;
		uintptr_t ra; /* the handler's call site: a one-frame stack */
		int32_t err;
		uint8_t type, kind, op;
		uint8_t mutex_type; /* for the OBJ_INIT of a first use */
	} sigq[RT_SIGQ_SIZE];
	uint32_t sigq_n;

	/* call site of the wrapper being run (rt_site_set): the program's
	 * return address and the wrapper's CFA; 0 when unknown */
	uintptr_t site_ra, site_cfa;
	int *errnop; /* &errno of the thread (no __errno_location call) */
	/* stack capture cache keyed by the call site (rt_stack.c) */
	struct rt_scache {
		uintptr_t ra, cfa;
		uint32_t id;	 /* 0 = empty */
		uint32_t n;	 /* frames */
		uint32_t misses; /* refills after a failed validation */
		int32_t off[RT_SCACHE_FRAMES];	/* return address slots */
		uintptr_t pc[RT_SCACHE_FRAMES]; /* what they held */
	} scache[RT_SCACHE_SIZE];
};

/*
 * Record the program's call site of the exported wrapper running now, so
 * that rt_stack_here() can reuse a cached capture.  Must be expanded in
 * the exported wrapper itself (not a helper): it reads that function's
 * own return address and frame.  rt_leave() forgets it.
 */
#if defined(__x86_64__)
#define RT_SITE_RA()  ((uintptr_t)__builtin_return_address(0))
#define RT_SITE_CFA() ((uintptr_t)__builtin_frame_address(0) + 16)
#else
#define RT_SITE_RA()  ((uintptr_t)0)
#define RT_SITE_CFA() ((uintptr_t)0)
#endif
#define rt_site_set(t)                         \
	do {                                   \
		(t)->site_ra = RT_SITE_RA();   \
		(t)->site_cfa = RT_SITE_CFA(); \
	} while (0)

/* HBTRACE_DEADLOCK: what the watchdog does after reporting a deadlock. */
#define RT_DEADLOCK_REPORT 0 /* print and let the program hang (default) */
#define RT_DEADLOCK_EXIT   1 /* finalize, exit RT_DEADLOCK_STATUS */
#define RT_DEADLOCK_OFF	   2 /* no watchdog, no relock check */
#define RT_DEADLOCK_STATUS 3

/*
 * Environment protocol between `hbtrace run`, the runtime and the
 * processes it starts:
 *   HBTRACE_OUT        trace path pattern (%p = pid), default hbtrace.%p.hbt
 *   HBTRACE_LIST       file to which every trace's absolute path is appended
 *   HBTRACE_ROOT_PID   pid of the session's first process (set by the
 *                      runtime when missing); others get ".<pid>" inserted
 *                      before the extension when the pattern lacks %p
 *   HBTRACE_EXEC_GEN   exec()s since the root; ".exec<N>" is inserted when > 0
 *   HBTRACE_DEADLOCK   report | exit | off;  HBTRACE_DEADLOCK_MS (default 1000)
 *   HBTRACE_STACKS=0, HBTRACE_STACK_DEPTH, HBTRACE_QUIET=1, HBTRACE_PYTHON=0
 *   HBTRACE_STACK_CACHE=0 unwinds every time and keeps the mutex wrappers
 *                      on their generic path (checks the call-site cache
 *                      and the fast paths: the trace must not change)
 */

/* Is the runtime recording at all (constructor done, not disabled)? */
RT_HIDDEN extern int rt_active;

/*
 * Enter the runtime from a wrapper.  Returns the calling thread's state,
 * or NULL when the wrapper must only call through (runtime inactive,
 * re-entry, thread being torn down).  Saves errno; rt_leave() restores it.
 */
struct rt_thread *rt_enter(int *saved_errno) RT_HIDDEN;
void rt_leave(struct rt_thread *t, int saved_errno) RT_HIDDEN;

/*
 * The memory and allocation interposers of the TSan ABI runtime
 * (tsan_malloc.c) also serve the runtime's own memcpy and malloc calls,
 * made with the thread inside it: neither the program's accesses nor
 * events lost, so they are skipped unnoted.  True for those.  (A signal
 * handler's call mid-record cannot be told apart and is skipped too;
 * one made while the thread waits is recorded, see rt_wait_begin.)
 */
bool rt_own_call(void) RT_HIDDEN;

/* Append one event to the thread's current chunk (opens a new one when
 * full).  Never fails visibly: on error recording stops. */
void rt_emit(struct rt_thread *t, const struct hbt_event *ev) RT_HIDDEN;

/*
 * Capture the native stack of the caller with libunwind, skipping 'skip'
 * innermost frames (the runtime's own), intern it and return its stack id.
 * Cheap on a repeated call site: a per-thread cache avoids the global
 * table.  Returns 0 if stacks are off or the capture failed.
 */
uint32_t rt_stack_here(struct rt_thread *t, int skip) RT_HIDDEN;

/* Intern a stack given as raw frames (HBT_FRAME_* encoded, innermost
 * first): Python front-end, TSan shadow stacks. */
uint32_t rt_stack_intern(struct rt_thread *t, const uint64_t *frames,
			 uint32_t nframes) RT_HIDDEN;

/* Intern a string (names, Python file and function names); returns its id
 * (>= 1), writing a STRING record the first time. */
uint32_t rt_string_intern(struct rt_thread *t, const char *s,
			  size_t len) RT_HIDDEN;

/* Write a definition record (PYFRAME, OBJ_NAME, TASK_NAME, THREAD_NAME)
 * encoded by the caller with an hbt_encode_* function; 'room' is an upper
 * bound of its size. */
void rt_emit_def(struct rt_thread *t, size_t room,
		 size_t (*encode)(uint8_t *p, void *arg), void *arg) RT_HIDDEN;

/*
 * Per-object shadow state: a lock-free table keyed by object address.
 * 'acq_seq' counts acquisitions (incremented while the lock is held for
 * exclusive locks, atomically for shared ones), 'post_seq' counts posts.
 * Who holds a lock is kept per thread (rt_thread.held), not here.
 */
struct __attribute__((aligned(64))) rt_shadow {
	/* one cache line each: entries of different objects never share
	 * one (no false sharing between unrelated locks) */
	uint64_t key; /* object address, 0 = free slot */
	uint64_t acq_seq;
	uint64_t post_seq;
	uint32_t readers; /* shared holders */
	uint32_t waiters; /* threads blocked on it (cond, sem) */
	uint8_t kind;
	uint8_t mutex_type; /* enum hbt_mutex_type */
	uint16_t flags;
	uint64_t assoc; /* cond: the mutex it was used with */
	uint32_t count; /* barrier count */
	uint32_t init_stack;
};

/* Find or create the shadow entry of 'obj'.  Never NULL while rt_active. */
struct rt_shadow *rt_shadow_get(uint64_t obj, uint8_t kind) RT_HIDDEN;
/* Find only; NULL if never seen. */
struct rt_shadow *rt_shadow_find(uint64_t obj) RT_HIDDEN;

/* Held-lock bookkeeping of the calling thread. */
void rt_held_push(struct rt_thread *t, uint64_t obj, uint8_t kind, uint8_t op,
		  uint32_t stack) RT_HIDDEN;
/* Returns the removed entry's depth before removal, or -1 if not held. */
int rt_held_pop(struct rt_thread *t, uint64_t obj) RT_HIDDEN;
struct rt_held_lock *rt_held_find(struct rt_thread *t, uint64_t obj) RT_HIDDEN;

/* Thread registry, for the watchdog and exit handling. */
uint32_t rt_thread_count(void) RT_HIDDEN;
struct rt_thread *rt_thread_at(uint32_t i) RT_HIDDEN;
struct rt_thread *rt_thread_by_serial(uint32_t serial) RT_HIDDEN;

/* Options from the environment (HBTRACE_*), read once at start. */
struct rt_options {
	char out_pattern[512]; /* HBTRACE_OUT, default hbtrace.%p.hbt */
	bool stacks;	       /* HBTRACE_STACKS=0 turns native stacks off */
	int stack_depth;       /* HBTRACE_STACK_DEPTH, default 16 */
	int deadlock_action;   /* HBTRACE_DEADLOCK: RT_DEADLOCK_REPORT/EXIT */
	int deadlock_ms;       /* HBTRACE_DEADLOCK_MS, default 1000 */
	bool python;	       /* HBTRACE_PYTHON=0 turns the front-end off */
	bool quiet;	       /* HBTRACE_QUIET=1: no messages on stderr */
	bool mutex_spin;       /* more than one usable CPU: a busy mutex is
				* watched briefly before blocking
				* (rt_mutex_spin) */
	bool stack_cache;      /* HBTRACE_STACK_CACHE=0: always unwind, no
				* mutex fast paths (to check both against) */
};
RT_HIDDEN extern struct rt_options rt_opts;

/* Announce a front-end in the trace header's feature bits (HBT_FEAT_*);
 * safe before the trace exists: the bits are applied when it is made. */
void rt_add_features(uint64_t features) RT_HIDDEN;

/* Read a small file (a /proc/self entry) into buf, NUL-terminated; the
 * length read, or -1.  One read(): no malloc, no stdio, safe in the
 * watchdog and before the interpreter starts. */
ssize_t rt_read_small_file(const char *path, char *buf, size_t size) RT_HIDDEN;

/* Print a one-line message on stderr as "hbtrace: ..." without malloc. */
void rt_warn(const char *fmt, ...) RT_HIDDEN
	__attribute__((format(printf, 1, 2)));

#endif /* HBT_RT_H */
