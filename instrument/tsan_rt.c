// SPDX-License-Identifier: MIT
/*
 * tsan_rt.c - the recording __tsan_* entry points inside libhbtrace.so.
 *
 * Binaries built by `hbtrace cc` call these for every memory access,
 * function entry/exit and atomic operation (see tsan_abi.h for the
 * entry points themselves, shared with the no-op stub runtime).  Under
 * LD_PRELOAD they take precedence over the stub's.
 *
 * Per thread we keep:
 *  - a shadow call stack fed by __tsan_func_entry/exit, so an access's
 *    stack costs no unwinding: the access pc, then the call sites;
 *  - a cache of interned stack ids keyed by (access pc, hash of the
 *    shadow stack), so a loop interns each of its stacks once;
 *  - the access filter: a repeated access (same address, size and kind)
 *    within one synchronization epoch adds nothing to a happens-before
 *    analysis and is dropped.  The epoch ends whenever this thread wrote
 *    any record other than our own accesses (lock, unlock, post, wait,
 *    create, join, an atomic...): we notice it because the thread's chunk
 *    write position moved since our last record, so the pthread shim
 *    needs no hook for it.  Entries carry the epoch they were made in, so
 *    ending an epoch is one increment;
 *  - per shadow frame, the function's stack pointer after its prologue
 *    and a pc inside it, so an access to the thread's own stack can say
 *    which frame it fell in (a STACK_FRAME record, once per frame), and
 *    the report can name the variable from DWARF.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "hbt_varint.h"
#include "tsan_rt.h"

#define TSAN_STACK_MAX	  256 /* shadow frames kept (deeper ones counted) */
#define TSAN_FILTER_BITS  12
#define TSAN_FILTER_SIZE  (1u << TSAN_FILTER_BITS)
#define TSAN_PCCACHE_SIZE 256

/* MEM_ATOMIC op byte (hbt_format.h); tsan_abi.h has the same */
#define TSAN_OP_LOAD  1
#define TSAN_OP_STORE 2
#define TSAN_OP_RMW   3
#define TSAN_OP_FENCE 4

struct tsan_filter_ent {
	uint64_t key;
	uint64_t epoch;
};

struct tsan_pccache_ent {
	uint64_t pc;
	uint64_t hash;
	uint32_t id;
};

struct tsan_thread {
	uint32_t depth; /* shadow stack depth, may exceed TSAN_STACK_MAX */
	int ignore;	/* inside __tsan_ignore_thread_begin/end */
	uint64_t epoch; /* filter epoch, starts at 1 */
	struct rt_thread *rt;	 /* this thread's runtime state, once known */
	const uint8_t *last_pos; /* chunk position after our last record */
	uint64_t spin_addr, spin_seq;	 /* last atomic load and what it saw */
	uint64_t frames[TSAN_STACK_MAX]; /* call pcs, outermost first */
	uint64_t hash[TSAN_STACK_MAX + 1]; /* hash[d]: frames[0..d-1] */
	/* this thread's stack, [stack_floor, stack_top): a guess wide
	 * enough for the default 8 MiB stacks */
	uint64_t stack_floor, stack_top;
	uint64_t sps[TSAN_STACK_MAX];	    /* frame d's sp at func_entry */
	uint64_t entry_pcs[TSAN_STACK_MAX]; /* return address into frame d */
	/* the frame last written as STACK_FRAME at each depth */
	uint64_t noted_sp[TSAN_STACK_MAX], noted_pc[TSAN_STACK_MAX];
	struct tsan_pccache_ent pccache[TSAN_PCCACHE_SIZE];
	struct tsan_filter_ent filter[TSAN_FILTER_SIZE];
};

int tsan_enabled;

static __thread struct tsan_thread *tsan_self RT_TLS;
static pthread_key_t tsan_key;
static int tsan_key_state; /* 0 none, 1 creating, 2 ready */

static void tsan_thread_free(void *p)
{
	/* The thread is exiting: later instrumented code on it (other
	 * destructors) starts a fresh state. */
	tsan_self = NULL;
	munmap(p, sizeof(struct tsan_thread));
}

/* A fork child records into new runtime state: forget the parent's. */
static void tsan_atfork_child(void)
{
	if (tsan_self) {
		tsan_self->rt = NULL;
		tsan_self->epoch++;
		/* the child's trace has none of the parent's frames */
		memset(tsan_self->noted_sp, 0, sizeof(tsan_self->noted_sp));
	}
}

#define TSAN_STACK_GUESS (8ull << 20)

extern void *__libc_stack_end; /* glibc: top of the main thread's stack */

/*
 * Where this thread's stack probably is: glibc keeps a thread's
 * descriptor (pthread_self) at the top of its stack, and the main
 * thread's top is __libc_stack_end.  Only a filter: the frames found
 * below it are checked against DWARF call frame information later.
 */
static void tsan_stack_bounds(struct tsan_thread *ts)
{
	uint64_t here = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	uint64_t self = (uint64_t)(uintptr_t)pthread_self();
	uint64_t end = (uint64_t)(uintptr_t)__libc_stack_end;

	if (self > here && self - here < TSAN_STACK_GUESS)
		ts->stack_top = self;
	else if (end > here && end - here < TSAN_STACK_GUESS)
		ts->stack_top = end;
	else
		ts->stack_top = here + (1u << 20);
	ts->stack_floor = ts->stack_top - TSAN_STACK_GUESS;
}

static struct tsan_thread *tsan_thread_new(void)
{
	struct tsan_thread *ts;
	int state = __atomic_load_n(&tsan_key_state, __ATOMIC_ACQUIRE);

	ts = mmap(NULL, sizeof(*ts), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ts == MAP_FAILED)
		return NULL;
	ts->epoch = 1;
	tsan_stack_bounds(ts);
	if (state == 0 &&
	    __atomic_compare_exchange_n(&tsan_key_state, &state, 1, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (pthread_key_create(&tsan_key, tsan_thread_free) == 0)
			__atomic_store_n(&tsan_key_state, 2, __ATOMIC_RELEASE);
		pthread_atfork(NULL, NULL, tsan_atfork_child);
	}
	if (__atomic_load_n(&tsan_key_state, __ATOMIC_ACQUIRE) == 2)
		pthread_setspecific(tsan_key, ts);
	tsan_self = ts;
	return ts;
}

static inline struct tsan_thread *tsan_thread(void)
{
	struct tsan_thread *ts = tsan_self;

	return RT_LIKELY(ts != NULL) ? ts : tsan_thread_new();
}

static inline uint64_t tsan_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static inline uint32_t tsan_stack_of(struct rt_thread *t,
				     struct tsan_thread *ts, uint64_t pc)
{
	uint64_t frames[HBT_MAX_STACK_FRAMES], hash;
	struct tsan_pccache_ent *e;
	uint32_t depth, n = 0, max;

	if (RT_UNLIKELY(!rt_opts.stacks))
		return 0;
	depth = ts->depth < TSAN_STACK_MAX ? ts->depth : TSAN_STACK_MAX;
	hash = ts->hash[depth];
	e = &ts->pccache[(pc ^ (hash >> 17)) % TSAN_PCCACHE_SIZE];
	if (RT_LIKELY(e->pc == pc && e->hash == hash && e->id))
		return e->id;

	max = rt_opts.stack_depth > 0 ? (uint32_t)rt_opts.stack_depth : 16;
	if (max > HBT_MAX_STACK_FRAMES)
		max = HBT_MAX_STACK_FRAMES;
	frames[n++] = HBT_FRAME_FROM_PC(pc);
	while (n < max && depth > 0)
		frames[n++] = HBT_FRAME_FROM_PC(ts->frames[--depth]);
	e->id = rt_stack_intern(t, frames, n);
	e->pc = pc;
	e->hash = hash;
	return e->id;
}

uint32_t tsan_stack_at(struct rt_thread *t, uint64_t pc)
{
	struct tsan_thread *ts = tsan_thread();

	return ts ? tsan_stack_of(t, ts, pc) : 0;
}

static inline struct tsan_filter_ent *tsan_filter_set(struct tsan_thread *ts,
						      uint64_t key)
{
	return &ts->filter[((key * 0x9e3779b97f4a7c15ull) >>
			    (64 - TSAN_FILTER_BITS)) &
			   ~1ull];
}

static inline bool tsan_filter_find(struct tsan_thread *ts, uint64_t key)
{
	struct tsan_filter_ent *f = tsan_filter_set(ts, key);

	return (f[0].key == key && f[0].epoch == ts->epoch) ||
	       (f[1].key == key && f[1].epoch == ts->epoch);
}

/*
 * Was this key seen in the current epoch?  Records it if not.  Two-way
 * set associative: a loop over a few hundred locations must not thrash
 * on colliding pairs; the newer entry of a set is kept first.
 */
static inline bool tsan_filter_hit(struct tsan_thread *ts, uint64_t key)
{
	struct tsan_filter_ent *f = tsan_filter_set(ts, key);

	if (tsan_filter_find(ts, key))
		return true;
	if (f[0].epoch == ts->epoch)
		f[1] = f[0];
	f[0].key = key;
	f[0].epoch = ts->epoch;
	return false;
}

static inline void tsan_emit(struct rt_thread *t, struct tsan_thread *ts,
			     const struct hbt_event *ev)
{
	rt_emit(t, ev);
	ts->last_pos = t->pos;
}

void tsan_emit_event(struct rt_thread *t, const struct hbt_event *ev)
{
	struct tsan_thread *ts = tsan_thread();

	if (!ts) {
		rt_emit(t, ev);
		return;
	}
	if (t->pos != ts->last_pos)
		ts->epoch++;
	tsan_emit(t, ts, ev);
}

/*
 * The shadow frame whose stack frame holds 'a', or -1.  Frame d's locals
 * lie between its sp after the prologue (sps[d]) and its caller's, so it
 * is the outermost frame whose sp is at or below a.
 */
static int tsan_frame_of(const struct tsan_thread *ts, uint64_t a)
{
	int d = (int)(ts->depth < TSAN_STACK_MAX ? ts->depth : TSAN_STACK_MAX);

	if (d == 0 || ts->sps[d - 1] > a)
		return -1;
	d--;
	while (d > 0 && ts->sps[d - 1] <= a)
		d--;
	return d;
}

/* Does an access to 'a' need a STACK_FRAME record first? */
static inline bool tsan_frame_unnoted(const struct tsan_thread *ts, uint64_t a)
{
	int d;

	if (RT_LIKELY(a - ts->stack_floor >= TSAN_STACK_GUESS))
		return false;
	d = tsan_frame_of(ts, a);
	return d >= 0 && (ts->noted_sp[d] != ts->sps[d] ||
			  ts->noted_pc[d] != ts->entry_pcs[d]);
}

/*
 * STACK_FRAME for the frame holding 'a' (on this thread's stack), once
 * per frame: its sp and a stack whose first pc is inside the function.
 * A loop calling the same function at the same depth writes it once.
 */
struct tsan_frame_rec {
	uint64_t sp;
	uint32_t stack;
};

static size_t tsan_encode_frame(uint8_t *p, void *arg)
{
	const struct tsan_frame_rec *fr = arg;

	return hbt_encode_stack_frame(p, fr->sp, fr->stack);
}

static void tsan_note_frame(struct rt_thread *t, struct tsan_thread *ts,
			    uint64_t a)
{
	uint64_t frames[HBT_MAX_STACK_FRAMES];
	struct tsan_frame_rec fr;
	uint32_t n = 0, max, k;
	int d = tsan_frame_of(ts, a);

	if (d < 0 || (ts->noted_sp[d] == ts->sps[d] &&
		      ts->noted_pc[d] == ts->entry_pcs[d]))
		return;
	ts->noted_sp[d] = ts->sps[d];
	ts->noted_pc[d] = ts->entry_pcs[d];
	max = rt_opts.stack_depth > 0 ? (uint32_t)rt_opts.stack_depth : 16;
	if (max > HBT_MAX_STACK_FRAMES)
		max = HBT_MAX_STACK_FRAMES;
	frames[n++] = HBT_FRAME_FROM_PC(ts->entry_pcs[d]);
	for (k = (uint32_t)d + 1; n < max && k > 0;)
		frames[n++] = HBT_FRAME_FROM_PC(ts->frames[--k]);
	fr.sp = ts->sps[d];
	fr.stack = rt_stack_intern(t, frames, n);
	rt_emit_def(t, HBT_DEF_ROOM(0), tsan_encode_frame, &fr);
	ts->last_pos = t->pos; /* not a synchronization */
}

/*
 * MEM_READ/MEM_WRITE encoded in place, with room for HBT_EVENT_MAX_BYTES
 * checked by the caller: the same bytes hbt_encode_event() writes (the
 * reference): sv address delta, uv size (< 128), uv stack, type byte
 * last.
 */
static inline __attribute__((always_inline)) void
tsan_put_access(struct rt_thread *t, struct tsan_thread *ts, uint64_t a,
		unsigned size, int is_write, uint32_t stack)
{
	uint8_t *start = t->pos, *p = start + 1;

	p = hbt_put_sv(p, (int64_t)(a - t->codec.prev_addr));
	t->codec.prev_addr = a;
	*p++ = (uint8_t)size;
	p = hbt_put_uv(p, stack);
	__atomic_store_n(
		start,
		(uint8_t)(is_write ? HBT_REC_MEM_WRITE : HBT_REC_MEM_READ),
		__ATOMIC_RELEASE);
	t->pos = p;
	ts->last_pos = p;
}

/* The record of an access that missed the filter's fast check. */
static __attribute__((noinline)) void
tsan_access_slow(uint64_t a, unsigned size, int is_write, uint64_t pc,
		 uint64_t key)
{
	struct tsan_thread *ts;
	struct rt_thread *t;
	uint32_t stack;
	int saved;

	if (RT_UNLIKELY(!rt_active))
		return;
	t = rt_enter(&saved);
	if (!t)
		return;
	ts = tsan_thread();
	if (!ts || ts->ignore > 0)
		goto out;
	if (RT_UNLIKELY(ts->rt != t)) {
		ts->rt = t; /* first record, or a fork child's new state */
		ts->epoch++;
	}
	if (RT_UNLIKELY(t->pos != ts->last_pos))
		ts->epoch++; /* this thread synchronized since */
	if (tsan_filter_hit(ts, key))
		goto out;

	stack = tsan_stack_of(t, ts, pc);
	if (RT_UNLIKELY(a - ts->stack_floor < TSAN_STACK_GUESS))
		tsan_note_frame(t, ts, a);
	if (RT_LIKELY((size_t)(t->limit - t->pos) >= HBT_EVENT_MAX_BYTES)) {
		tsan_put_access(t, ts, a, size, is_write, stack);
	} else {
		struct hbt_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = is_write ? HBT_REC_MEM_WRITE : HBT_REC_MEM_READ;
		ev.obj = a;
		ev.arg = size;
		ev.stack = stack;
		tsan_emit(t, ts, &ev);
	}
out:
	rt_leave(t, saved);
}

/*
 * The record of a new access in the common case, without rt_enter():
 * the thread is known, not inside the runtime, recording, not ignoring,
 * its chunk has room and the stack id is in the cache.  Nothing here
 * touches errno or calls out, so the only guard needed is in_runtime
 * against a signal handler's accesses recording into the chunk under
 * us.  Anything else goes to the slow path.  Five arguments and a tail
 * call each way keep the filtered path in tsan_access() free of a stack
 * frame (size and kind are in the key).
 */
static __attribute__((noinline)) void
tsan_record_fast(struct tsan_thread *ts, struct tsan_filter_ent *f, uint64_t a,
		 uint64_t pc, uint64_t key)
{
	struct rt_thread *t = ts->rt;
	const struct tsan_pccache_ent *e;
	unsigned size = (unsigned)(key >> 1) & 0x7f;
	int is_write = (int)(key & 1);
	uint64_t hash;
	uint32_t depth;
	bool done = false;

	if (RT_UNLIKELY(t->in_runtime || t->ended || ts->ignore > 0 ||
			!__atomic_load_n(&rt_active, __ATOMIC_RELAXED) ||
			!rt_opts.stacks))
		goto slow;
	depth = ts->depth < TSAN_STACK_MAX ? ts->depth : TSAN_STACK_MAX;
	hash = ts->hash[depth];
	e = &ts->pccache[(pc ^ (hash >> 17)) % TSAN_PCCACHE_SIZE];
	if (RT_UNLIKELY(e->pc != pc || e->hash != hash || !e->id))
		goto slow;
	if (RT_UNLIKELY(tsan_frame_unnoted(ts, a)))
		goto slow;
	t->in_runtime++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* re-read after the guard: a signal handler may have recorded */
	if (RT_LIKELY(t->pos == ts->last_pos &&
		      (size_t)(t->limit - t->pos) >= HBT_EVENT_MAX_BYTES)) {
		if (f[0].epoch == ts->epoch)
			f[1] = f[0];
		f[0].key = key;
		f[0].epoch = ts->epoch;
		tsan_put_access(t, ts, a, size, is_write, e->id);
		done = true;
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->in_runtime--;
	if (RT_LIKELY(done))
		return;
slow:
	tsan_access_slow(a, size, is_write, pc, key);
}

/*
 * Every instrumented access.  The common case, a repeat within the
 * epoch, is decided without entering the runtime: the thread's record
 * position (ts->rt->pos) still equals ours (no synchronization since)
 * and the filter has the key.  rt_thread states are never freed, so the
 * cached pointer stays readable.  A new access in the same epoch is
 * mostly recorded by tsan_record_fast().
 */
static inline void tsan_access(void *addr, unsigned size, int is_write,
			       void *pc)
{
	struct tsan_thread *ts = tsan_self;
	uint64_t a = (uint64_t)(uintptr_t)addr;
	uint64_t key = (a << 8) | (size << 1) | (unsigned)is_write;

	if (RT_LIKELY(ts != NULL && ts->rt != NULL) &&
	    ts->rt->pos == ts->last_pos) {
		struct tsan_filter_ent *f = tsan_filter_set(ts, key);

		if ((f[0].key == key && f[0].epoch == ts->epoch) ||
		    (f[1].key == key && f[1].epoch == ts->epoch))
			return;
		tsan_record_fast(ts, f, a, (uint64_t)(uintptr_t)pc, key);
		return;
	}
	tsan_access_slow(a, size, is_write, (uint64_t)(uintptr_t)pc, key);
}

void tsan_record_range(const void *addr, size_t size, int is_write, uint64_t pc)
{
	struct hbt_event ev;
	struct tsan_thread *ts;
	struct rt_thread *t;
	int saved;

	if (!rt_active || size == 0 || rt_own_call())
		return;
	t = rt_enter(&saved);
	if (!t)
		return;
	ts = tsan_thread();
	if (ts) {
		if (t->pos != ts->last_pos)
			ts->epoch++;
		memset(&ev, 0, sizeof(ev));
		ev.type = HBT_REC_MEM_RANGE;
		ev.obj = (uint64_t)(uintptr_t)addr;
		ev.arg = size;
		ev.op = is_write ? 1 : 0;
		ev.stack = tsan_stack_at(t, pc);
		if (ev.obj - ts->stack_floor < TSAN_STACK_GUESS)
			tsan_note_frame(t, ts, ev.obj);
		tsan_emit(t, ts, &ev);
	}
	rt_leave(t, saved);
}

/*
 * Atomics.  Each location has a release counter in the runtime's shadow
 * table, counting its releasing stores and read-modify-writes.  Those take
 * their count as a ticket *before* the operation, so a load that sees
 * their value (and reads the counter after its own operation) never
 * reports an older count: the reader orders an acquire after the release
 * it observed.  A compare-and-swap counts after its success (a load may
 * then see the count one short: a missed edge, never an extra one).
 * Non-releasing stores and RMWs carry no count, so they may be filtered.
 */
static bool tsan_mo_releases(int mo)
{
	return mo == 3 || mo == 4 || mo == 5;
}

static uint64_t tsan_atomic_ticket(const volatile void *addr, int mo)
{
	struct rt_shadow *sh;

	if (!rt_active || !tsan_mo_releases(mo))
		return 0;
	sh = rt_shadow_get((uint64_t)(uintptr_t)addr, HBT_OBJ_ATOMIC);
	return sh ? __atomic_add_fetch(&sh->post_seq, 1, __ATOMIC_ACQ_REL) : 0;
}

static void tsan_atomic(const volatile void *addr, unsigned size, int op,
			int mo, void *pc, uint64_t ticket)
{
	struct hbt_event ev;
	struct tsan_thread *ts;
	struct rt_thread *t;
	struct rt_shadow *sh;
	int saved;

	if (!rt_active)
		return;
	t = rt_enter(&saved);
	if (!t)
		return;
	ts = tsan_thread();
	if (!ts)
		goto out;
	if (t->pos != ts->last_pos)
		ts->epoch++;
	/* A relaxed operation synchronizes nothing: only its first one per
	 * location and epoch is kept (a relaxed counter loop stays small). */
	if (mo == 0 && op != TSAN_OP_FENCE &&
	    tsan_filter_hit(ts, ((uint64_t)(uintptr_t)addr << 8) | 0x80 |
					(unsigned)op))
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.type = HBT_REC_MEM_ATOMIC;
	ev.obj = (uint64_t)(uintptr_t)addr;
	ev.arg = size;
	ev.op = (uint8_t)op;
	ev.outcome = (uint8_t)mo;
	if (ticket) {
		ev.seq = ticket;
	} else if (op != TSAN_OP_FENCE && addr) {
		sh = rt_shadow_get(ev.obj, HBT_OBJ_ATOMIC);
		if (sh && op == TSAN_OP_RMW && tsan_mo_releases(mo)) {
			ev.seq = __atomic_add_fetch(&sh->post_seq, 1,
						    __ATOMIC_ACQ_REL);
		} else if (sh && (op == TSAN_OP_LOAD || op == TSAN_OP_RMW)) {
			ev.seq = __atomic_load_n(&sh->post_seq,
						 __ATOMIC_ACQUIRE);
			/* a spin loop re-reading a location nobody
			 * released since learns nothing new */
			if (op == TSAN_OP_LOAD && ev.obj == ts->spin_addr &&
			    ev.seq == ts->spin_seq && t->pos == ts->last_pos)
				goto out;
			ts->spin_addr = ev.obj;
			ts->spin_seq = ev.seq;
		}
	}
	ev.stack = tsan_stack_at(t, (uint64_t)(uintptr_t)pc);
	tsan_emit(t, ts, &ev);
	if (mo != 0)
		ts->epoch++; /* synchronization */
out:
	rt_leave(t, saved);
}

/*
 * 'sp' is the instrumented function's stack pointer at its call of
 * __tsan_func_entry (our CFA: its prologue is done by then), 'self_pc'
 * the return address into it; both from the exported entry point.
 */
static inline void tsan_func_entry(void *pc, void *sp, void *self_pc)
{
	struct tsan_thread *ts = tsan_thread();
	uint32_t d;

	if (!ts)
		return;
	d = ts->depth++;
	if (d < TSAN_STACK_MAX) {
		ts->frames[d] = (uint64_t)(uintptr_t)pc;
		ts->hash[d + 1] = tsan_mix(ts->hash[d], ts->frames[d]);
		ts->sps[d] = (uint64_t)(uintptr_t)sp;
		ts->entry_pcs[d] = (uint64_t)(uintptr_t)self_pc;
	}
}

static inline void tsan_func_exit(void)
{
	struct tsan_thread *ts = tsan_self;

	/* longjmp and exceptions skip exits: never underflow */
	if (ts && ts->depth > 0)
		ts->depth--;
}

static inline void tsan_ignore(int delta)
{
	struct tsan_thread *ts = tsan_thread();

	if (ts)
		ts->ignore += delta;
}

/* Called from preinit_array (gcc) or a constructor (clang), possibly
 * before the runtime's own constructor: only note that we are needed. */
static inline void tsan_init(void)
{
	__atomic_store_n(&tsan_enabled, 1, __ATOMIC_RELEASE);
	rt_add_features(HBT_FEAT_MEMORY);
}

#define TSAN_HOOK_ACCESS(addr, size, is_write, pc) \
	tsan_access(addr, size, is_write, pc)
#define TSAN_HOOK_RANGE(addr, size, is_write, pc) \
	tsan_record_range(addr, size, is_write, (uint64_t)(uintptr_t)(pc))
#define TSAN_HOOK_ATOMIC_TICKET(addr, mo) tsan_atomic_ticket(addr, mo)
#define TSAN_HOOK_ATOMIC(addr, size, op, mo, pc, ticket) \
	tsan_atomic(addr, size, op, mo, pc, ticket)
#define TSAN_HOOK_FUNC_ENTRY(pc) \
	tsan_func_entry(pc, __builtin_dwarf_cfa(), __builtin_return_address(0))
#define TSAN_HOOK_FUNC_EXIT()	tsan_func_exit()
#define TSAN_HOOK_INIT()	tsan_init()
#define TSAN_HOOK_IGNORE(delta) tsan_ignore(delta)

#include "tsan_abi.h"
