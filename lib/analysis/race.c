// SPDX-License-Identifier: MIT
/*
 * race.c - data races and lost updates from the memory accesses recorded
 * by the TSan ABI runtime (MEM_READ, MEM_WRITE, MEM_RANGE, MEM_ATOMIC,
 * ALLOC, FREE) and the synchronization around them.
 *
 * Two clocks per thread, both vector clocks over thread serials, sharing
 * the thread's own component 'clk' (which advances after every outgoing
 * synchronization and after every plain write, so two writes of a thread
 * never share an epoch):
 *
 *  - 'full' is C11 happens-before: create/join, lock release -> next
 *    acquire, cond signal -> wake, sem post -> wait, barrier generations,
 *    atomics by their memory order (release store/RMW -> acquire load or
 *    RMW of the same location, release sequences through RMWs, fences).
 *    Two accesses of one location, at least one a write, not ordered by
 *    it are a data race.
 *
 *  - 'pred' is what a *lost update* cannot be reordered across: every
 *    edge of 'full' except lock release -> acquire, plus reads-from edges
 *    of plain accesses (a thread that read a value another thread wrote is
 *    after that write: that is how a flag handed over under a mutex orders
 *    the data written before it).
 *
 * Lost update: thread A reads x (R) and later writes x (W), and another
 * thread B's write W' of x can fall between them:
 *   seen       W' lies between R and W in the merged order;
 *   predicted  W' is not pred-before R (checked when R happens, before R's
 *              own reads-from edge, which would otherwise always order the
 *              write R read from), W is not pred-before W', and no lock is
 *              held by A over the whole of [R, W] (the same critical
 *              section, not merely the same lock twice) and by B at W'.
 * So `lock; seen = hits; unlock; lock; hits = seen + 1; unlock` is a lost
 * update (two critical sections), `lock; hits++; unlock` is not, and a
 * plain `counter++` from two threads is both a lost update and a data
 * race: every data race that is also a lost update is reported as both,
 * since either alone would tell only half of what goes wrong.
 *
 * Memory is kept per location and thread, never per event: locations are
 * 8-byte granules with a byte mask per access, and each granule keeps the
 * last read and write of every thread that touched it (an epoch each, as
 * in FastTrack, with a vector of them instead of FastTrack's single read
 * epoch, which also gives the previous access's stack for reports).
 * ALLOC resets the granules of the new block, so a reused address never
 * races with the block that was there before.
 *
 * At most one finding of each kind per byte of memory, and one per pair of code
 * sites; they are symbolized in finish() when all definitions are known.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analysis/hb.h"
#include "analysis/race.h"
#include "symbolize.h"

#define RC_MAX_HELD  16		 /* locks tracked per thread */
#define RC_LS	     4		 /* locks remembered per access */
#define RC_RESET_MAX (1u << 20)	 /* bytes of a block reset at ALLOC */
#define RC_RANGE_MAX (64u << 10) /* bytes of a MEM_RANGE checked */

struct rc_held {
	uint64_t obj;
	uint64_t cs; /* critical-section instance, unique per acquisition */
	uint8_t kind;
	bool shared;
};

struct rc_thread {
	struct vc full, pred;
	struct vc acq_pending; /* relaxed loads, for a later acquire fence */
	uint32_t clk;
	bool rel_fence; /* a release fence ran: relaxed stores release */
	uint32_t nheld;
	struct rc_held held[RC_MAX_HELD];
};

/* Synchronization object or atomic location. */
struct rc_sync {
	struct vc full, pred;
	/* barriers: two generations in flight at most */
	uint64_t bar_gen[2];
	struct vc bar_full[2], bar_pred[2];
	uint32_t bar_count;
};

struct rc_lockset {
	uint8_t n;
	uint8_t shared; /* bit i: lock i held shared */
	uint64_t obj[RC_LS];
	uint64_t cs[RC_LS];
	uint8_t kind[RC_LS];
};

/* Lost-update bookkeeping of one thread on one granule. */
struct rc_lu {
	/* the read in progress (since this thread's last write here) */
	bool rpending;
	uint8_t rmask;
	uint32_t rstack;
	uint64_t rindex;
	struct rc_lockset rlocks;
	/* a write of another thread that R did not see ordered before it */
	uint32_t cand_thread, cand_stack, cand_clk;
	uint64_t cand_index;
	struct rc_lockset cand_locks;
	/* the last completed read-modify-write, for later writers */
	bool pair;
	uint8_t pmask;
	uint32_t pair_rstack, pair_wstack, pair_wclk;
	uint64_t pair_rindex, pair_windex;
	struct rc_lockset pair_cont; /* held over the whole of [R, W] */
};

/* The last read and write of one thread on one granule. */
struct rc_acc {
	uint32_t thread;
	uint32_t rclk, wclk; /* 0 = none */
	uint32_t rstack, wstack;
	uint8_t rmask, wmask, rsize, wsize;
	uint64_t rindex, windex, raddr, waddr;
	struct rc_lockset wlocks;
	struct rc_lu *lu;
};

struct rc_block {
	uint64_t start, size;
	uint32_t stack, thread;
	uint32_t pending_frees;
	bool live;
};

struct rc_loc {
	uint32_t nacc, cap;
	struct rc_acc *acc;
	uint32_t block; /* index+1 into blocks when it was last reset */
	uint8_t race_done, lu_done; /* bytes already reported */
};

enum rc_pend_kind { RC_RACE, RC_LU };

struct rc_pend {
	enum rc_pend_kind kind;
	bool seen;
	uint64_t addr;
	/* data race: a = current access, b = previous one.  Lost update:
	 * a = the read, c = the write, b = the other thread's write. */
	uint32_t ta, tb, tc;
	uint32_t sa, sb, sc;
	bool wa, wb;
	uint8_t size_a, size_b;
	struct rc_lockset locks; /* lost update: locks of A's accesses */
	bool heap;
	struct rc_block block;
};

/* A frame of a thread's stack that the thread accessed (STACK_FRAME). */
struct rc_frame {
	uint64_t sp;
	uint32_t stack, thread;
};

struct rc_state {
	struct rc_thread *threads;
	uint32_t nthreads, cap_threads;
	struct rc_sync *syncs;
	uint32_t nsyncs, cap_syncs;
	struct u64map sync_map, atomic_map;
	struct rc_loc *locs;
	uint32_t nlocs, cap_locs;
	struct u64map page_map; /* page -> index into pages */
	struct rc_page **pages;
	uint32_t npages, cap_pages, last_page_idx;
	uint64_t last_page;
	struct rc_lu *lu_free; /* recycled lost-update records */
	struct rc_lu **lu_slabs;
	uint32_t nlu_slabs, cap_lu_slabs, lu_slab_used;
	struct rc_block *blocks;
	uint32_t nblocks, cap_blocks;
	struct u64map block_map; /* start -> index+1 (0 = none) */
	uint64_t cs_counter;
	struct rc_pend *pend;
	uint32_t npend, cap_pend;
	struct u64map site_map; /* reported site pairs */
	/* STACK_FRAME definitions, sorted by sp: loaded for the first
	 * finding on an address no symbol or heap block covers */
	struct rc_frame *frames;
	uint32_t nframes, cap_frames;
	bool frames_loaded;
	bool no_predict;
	bool oom;
};

/* ---- threads and clocks ------------------------------------------------ */

static struct rc_thread *rc_thread(struct rc_state *s, uint32_t serial)
{
	/* Serials are dense in a real trace; a huge one is hostile input and
	 * would size every vector clock after it. */
	if (!an_serial_ok(serial))
		return NULL;
	if (serial >= s->nthreads) {
		uint32_t old = s->cap_threads;

		if (an_grow((void **)&s->threads, &s->cap_threads, serial + 1,
			    sizeof(*s->threads)) < 0) {
			s->oom = true;
			return NULL;
		}
		memset(s->threads + old, 0,
		       (s->cap_threads - old) * sizeof(*s->threads));
		for (uint32_t i = s->nthreads; i <= serial; i++) {
			s->threads[i].clk = 1;
			if (vc_set(&s->threads[i].full, i, 1) < 0 ||
			    vc_set(&s->threads[i].pred, i, 1) < 0)
				s->oom = true;
		}
		s->nthreads = serial + 1;
	}
	return &s->threads[serial];
}

/* Advance the thread's own component: later events are not covered by
 * clocks published so far. */
static void rc_tick(struct rc_state *s, struct rc_thread *t, uint32_t serial)
{
	t->clk++;
	if (vc_set(&t->full, serial, t->clk) < 0 ||
	    vc_set(&t->pred, serial, t->clk) < 0)
		s->oom = true;
}

static void rc_join(struct rc_state *s, struct vc *dst, const struct vc *src)
{
	if (vc_join(dst, src) < 0)
		s->oom = true;
}

static void rc_copy(struct rc_state *s, struct vc *dst, const struct vc *src)
{
	if (vc_copy(dst, src) < 0)
		s->oom = true;
}

static void rc_clear(struct vc *v)
{
	if (v->n)
		memset(v->c, 0, v->n * sizeof(*v->c));
}

static struct rc_sync *rc_sync_get(struct rc_state *s, struct u64map *m,
				   uint64_t key)
{
	bool created;
	uint32_t *slot = u64map_put(m, key, s->nsyncs, &created);

	if (!slot)
		goto oom;
	if (created) {
		if (an_grow((void **)&s->syncs, &s->cap_syncs, s->nsyncs + 1,
			    sizeof(*s->syncs)) < 0)
			goto oom;
		memset(&s->syncs[s->nsyncs], 0, sizeof(*s->syncs));
		s->nsyncs++;
	}
	return &s->syncs[*slot];
oom:
	s->oom = true;
	return NULL;
}

static bool rc_kind_is_lock(uint8_t kind)
{
	return kind == HBT_OBJ_MUTEX || kind == HBT_OBJ_RWLOCK ||
	       kind == HBT_OBJ_SPIN;
}

static void rc_lockset_of(const struct rc_thread *t, struct rc_lockset *ls)
{
	memset(ls, 0, sizeof(*ls));
	for (uint32_t i = 0; i < t->nheld && ls->n < RC_LS; i++) {
		ls->obj[ls->n] = t->held[i].obj;
		ls->cs[ls->n] = t->held[i].cs;
		ls->kind[ls->n] = t->held[i].kind;
		if (t->held[i].shared)
			ls->shared |= (uint8_t)(1u << ls->n);
		ls->n++;
	}
}

/* The locks of 'at_read' still held now in the same critical section. */
static void rc_lockset_continuous(const struct rc_lockset *at_read,
				  const struct rc_lockset *now,
				  struct rc_lockset *out)
{
	memset(out, 0, sizeof(*out));
	for (uint8_t i = 0; i < at_read->n; i++)
		for (uint8_t j = 0; j < now->n; j++)
			if (at_read->cs[i] == now->cs[j]) {
				out->obj[out->n] = at_read->obj[i];
				out->cs[out->n] = at_read->cs[i];
				out->kind[out->n] = at_read->kind[i];
				if (at_read->shared & (1u << i))
					out->shared |= (uint8_t)(1u << out->n);
				out->n++;
				break;
			}
}

/* Do two lock sets exclude each other (a common lock, not both shared)? */
static bool rc_lockset_excludes(const struct rc_lockset *a,
				const struct rc_lockset *b)
{
	for (uint8_t i = 0; i < a->n; i++)
		for (uint8_t j = 0; j < b->n; j++)
			if (a->obj[i] == b->obj[j] &&
			    !((a->shared & (1u << i)) &&
			      (b->shared & (1u << j))))
				return true;
	return false;
}

static void rc_lock_acquired(struct rc_state *s, struct rc_thread *t,
			     uint64_t obj, uint8_t kind, bool shared)
{
	struct rc_sync *o = rc_sync_get(s, &s->sync_map, obj);

	if (o)
		rc_join(s, &t->full, &o->full);
	if (t->nheld < RC_MAX_HELD) {
		t->held[t->nheld].obj = obj;
		t->held[t->nheld].cs = ++s->cs_counter;
		t->held[t->nheld].kind = kind;
		t->held[t->nheld].shared = shared;
		t->nheld++;
	}
}

static void rc_lock_released(struct rc_state *s, struct rc_thread *t,
			     uint32_t serial, uint64_t obj)
{
	struct rc_sync *o = rc_sync_get(s, &s->sync_map, obj);

	if (o)
		rc_join(s, &o->full, &t->full);
	for (uint32_t i = t->nheld; i-- > 0;)
		if (t->held[i].obj == obj) {
			memmove(&t->held[i], &t->held[i + 1],
				(t->nheld - i - 1) * sizeof(t->held[0]));
			t->nheld--;
			break;
		}
	rc_tick(s, t, serial);
}

/* A hard edge: into both clocks. */
static void rc_sync_acquire(struct rc_state *s, struct rc_thread *t,
			    uint64_t obj)
{
	struct rc_sync *o = rc_sync_get(s, &s->sync_map, obj);

	if (o) {
		rc_join(s, &t->full, &o->full);
		rc_join(s, &t->pred, &o->pred);
	}
}

static void rc_sync_release(struct rc_state *s, struct rc_thread *t,
			    uint32_t serial, uint64_t obj)
{
	struct rc_sync *o = rc_sync_get(s, &s->sync_map, obj);

	if (o) {
		rc_join(s, &o->full, &t->full);
		rc_join(s, &o->pred, &t->pred);
	}
	rc_tick(s, t, serial);
}

static void rc_barrier(struct rc_state *s, struct rc_thread *t, uint32_t serial,
		       const struct hbt_event *ev, bool arrive)
{
	struct rc_sync *o = rc_sync_get(s, &s->sync_map, ev->obj);
	uint64_t gen;
	int slot;

	if (!o || ev->seq == 0)
		return;
	if (arrive && ev->arg)
		o->bar_count = (uint32_t)ev->arg;
	if (!o->bar_count)
		return;
	gen = (ev->seq - 1) / o->bar_count + 1; /* 0 marks an empty slot */
	slot = (int)(gen & 1);
	if (arrive) {
		if (o->bar_gen[slot] != gen) {
			o->bar_gen[slot] = gen;
			rc_clear(&o->bar_full[slot]);
			rc_clear(&o->bar_pred[slot]);
		}
		rc_join(s, &o->bar_full[slot], &t->full);
		rc_join(s, &o->bar_pred[slot], &t->pred);
		rc_tick(s, t, serial);
	} else if (o->bar_gen[slot] == gen) {
		rc_join(s, &t->full, &o->bar_full[slot]);
		rc_join(s, &t->pred, &o->bar_pred[slot]);
	}
}

static bool rc_mo_acquire(uint8_t mo)
{
	return mo == 1 || mo == 2 || mo == 4 || mo == 5;
}

static bool rc_mo_release(uint8_t mo)
{
	return mo == 3 || mo == 4 || mo == 5;
}

static void rc_atomic(struct rc_state *s, struct rc_thread *t, uint32_t serial,
		      const struct hbt_event *ev)
{
	struct rc_sync *o;
	uint8_t op = ev->op, mo = ev->outcome;
	bool rel = rc_mo_release(mo) || t->rel_fence;

	if (op == 4) { /* fence */
		if (rc_mo_acquire(mo)) {
			rc_join(s, &t->full, &t->acq_pending);
			rc_clear(&t->acq_pending);
		}
		if (rc_mo_release(mo)) {
			t->rel_fence = true;
			rc_tick(s, t, serial);
		}
		return;
	}
	o = rc_sync_get(s, &s->atomic_map, ev->obj);
	if (!o)
		return;
	if (op == 1 || op == 3) { /* the load part */
		if (rc_mo_acquire(mo))
			rc_join(s, &t->full, &o->full);
		else
			rc_join(s, &t->acq_pending, &o->full);
		rc_join(s, &t->pred, &o->pred);
	}
	if (op == 2) { /* a store heads a new release sequence */
		if (rel)
			rc_copy(s, &o->full, &t->full);
		else
			rc_clear(&o->full);
		rc_copy(s, &o->pred, &t->pred);
		rc_tick(s, t, serial);
	} else if (op == 3) { /* an RMW continues the sequence */
		if (rel)
			rc_join(s, &o->full, &t->full);
		rc_join(s, &o->pred, &t->pred);
		rc_tick(s, t, serial);
	}
}

/* ---- heap blocks ------------------------------------------------------- */

/*
 * Granule -> location: a table per 4 KiB page of index+1 (0 = none),
 * pages found through a hash map with the last page cached, so the
 * sequential and repeated accesses of a loop cost no hashing.
 */
struct rc_page {
	uint32_t loc[512];
};

static uint32_t *rc_loc_slot(struct rc_state *s, uint64_t granule, bool make)
{
	uint64_t page = granule >> 12;
	struct rc_page *pg;
	uint32_t *slot;
	bool created;

	if (s->npages && page == s->last_page) {
		pg = s->pages[s->last_page_idx];
	} else {
		if (!make) {
			slot = u64map_find(&s->page_map, page);
			if (!slot)
				return NULL;
		} else {
			slot = u64map_put(&s->page_map, page, s->npages,
					  &created);
			if (!slot)
				goto oom;
			if (created) {
				if (an_grow((void **)&s->pages, &s->cap_pages,
					    s->npages + 1,
					    sizeof(*s->pages)) < 0)
					goto oom;
				s->pages[s->npages] =
					calloc(1, sizeof(struct rc_page));
				if (!s->pages[s->npages])
					goto oom;
				s->npages++;
			}
		}
		s->last_page = page;
		s->last_page_idx = *slot;
		pg = s->pages[*slot];
	}
	return &pg->loc[(granule >> 3) & 511];
oom:
	s->oom = true;
	return NULL;
}

static struct rc_loc *rc_loc_find(struct rc_state *s, uint64_t granule)
{
	uint32_t *slot = rc_loc_slot(s, granule, false);

	return slot && *slot ? &s->locs[*slot - 1] : NULL;
}

static void rc_loc_reset(struct rc_state *s, struct rc_loc *l, uint32_t block)
{
	for (uint32_t i = 0; i < l->nacc; i++)
		if (l->acc[i].lu) {
			*(struct rc_lu **)l->acc[i].lu = s->lu_free;
			s->lu_free = l->acc[i].lu;
		}
	l->nacc = 0;
	l->block = block;
	l->race_done = l->lu_done = 0;
}

static void rc_alloc(struct rc_state *s, const struct hbt_event *ev)
{
	uint64_t size = ev->arg, end, g;
	uint32_t *slot, idx;
	struct rc_block *b;
	bool created;

	slot = u64map_put(&s->block_map, ev->obj, 0, &created);
	if (!slot) {
		s->oom = true;
		return;
	}
	if (*slot && s->blocks[*slot - 1].live) {
		/* the FREE of the block that was here is still to come
		 * (another thread's, merged later): ignore it then */
		b = &s->blocks[*slot - 1];
		b->pending_frees++;
	} else {
		if (!*slot) {
			if (an_grow((void **)&s->blocks, &s->cap_blocks,
				    s->nblocks + 1, sizeof(*s->blocks)) < 0) {
				s->oom = true;
				return;
			}
			*slot = ++s->nblocks;
		}
		b = &s->blocks[*slot - 1];
		b->pending_frees = 0;
	}
	idx = *slot;
	b->start = ev->obj;
	b->size = size;
	b->stack = ev->stack;
	b->thread = ev->thread;
	b->live = true;

	if (size > RC_RESET_MAX)
		size = RC_RESET_MAX;
	end = ev->obj + size;
	for (g = ev->obj & ~7ull; g < end; g += 8) {
		struct rc_loc *l = rc_loc_find(s, g);

		if (l)
			rc_loc_reset(s, l, idx);
	}
}

static void rc_free(struct rc_state *s, const struct hbt_event *ev)
{
	uint32_t *slot = u64map_find(&s->block_map, ev->obj);
	struct rc_block *b;

	if (!slot || !*slot)
		return;
	b = &s->blocks[*slot - 1];
	if (b->pending_frees)
		b->pending_frees--;
	else
		b->live = false;
}

/*
 * A new thread's stack may be memory a finished thread used (glibc caches
 * stacks): forget the accesses there, or they would race with the new
 * thread's when the old one was never joined.  glibc puts the thread
 * descriptor (pthread_self) at the top of the stack, which grows down;
 * the default 8 MiB below it are reset.
 */
#define RC_STACK_GUESS (8u << 20)

static void rc_thread_stack_reset(struct rc_state *s, uint64_t pself)
{
	uint64_t lo, hi;

	if (pself < RC_STACK_GUESS)
		return;
	lo = (pself - RC_STACK_GUESS) >> 12;
	hi = (pself >> 12) + 1;
	for (uint64_t page = lo; page <= hi; page++) {
		uint32_t *idx = u64map_find(&s->page_map, page);
		struct rc_page *pg;

		if (!idx)
			continue;
		pg = s->pages[*idx];
		for (int i = 0; i < 512; i++)
			if (pg->loc[i])
				rc_loc_reset(s, &s->locs[pg->loc[i] - 1], 0);
	}
}

/* The live block containing addr (slow: only for reports). */
static const struct rc_block *rc_block_containing(const struct rc_state *s,
						  uint64_t addr)
{
	for (uint32_t i = 0; i < s->nblocks; i++) {
		const struct rc_block *b = &s->blocks[i];

		if (b->live && addr >= b->start && addr < b->start + b->size)
			return b;
	}
	return NULL;
}

/* ---- accesses ---------------------------------------------------------- */

static struct rc_loc *rc_loc_get(struct rc_state *s, uint64_t granule)
{
	uint32_t *slot = rc_loc_slot(s, granule, true);

	if (!slot)
		return NULL;
	if (!*slot) {
		if (an_grow((void **)&s->locs, &s->cap_locs, s->nlocs + 1,
			    sizeof(*s->locs)) < 0) {
			s->oom = true;
			return NULL;
		}
		memset(&s->locs[s->nlocs], 0, sizeof(*s->locs));
		*slot = ++s->nlocs;
	}
	return &s->locs[*slot - 1];
}

static struct rc_acc *rc_acc_get(struct rc_state *s, struct rc_loc *l,
				 uint32_t thread)
{
	for (uint32_t i = 0; i < l->nacc; i++)
		if (l->acc[i].thread == thread)
			return &l->acc[i];
	if (l->nacc == l->cap) {
		/* most locations see one or two threads: grow from 1 */
		uint32_t cap = l->cap ? l->cap * 2 : 1;
		struct rc_acc *acc = realloc(l->acc, cap * sizeof(*acc));

		if (!acc) {
			s->oom = true;
			return NULL;
		}
		l->acc = acc;
		l->cap = cap;
	}
	memset(&l->acc[l->nacc], 0, sizeof(*l->acc));
	l->acc[l->nacc].thread = thread;
	return &l->acc[l->nacc++];
}

/* Was this pair of code sites reported already (for this kind)? */
static bool rc_site_seen(struct rc_state *s, int kind, uint32_t a, uint32_t b)
{
	uint64_t key;
	bool created;

	if (a > b) {
		uint32_t t = a;

		a = b;
		b = t;
	}
	key = ((uint64_t)a << 33) ^ ((uint64_t)b << 1) ^ (uint64_t)kind;
	if (!u64map_put(&s->site_map, key, 1, &created)) {
		s->oom = true;
		return true;
	}
	return !created;
}

static struct rc_pend *rc_pend_new(struct rc_state *s, enum rc_pend_kind kind,
				   uint64_t addr)
{
	struct rc_pend *p;
	const struct rc_block *b;

	if (an_grow((void **)&s->pend, &s->cap_pend, s->npend + 1,
		    sizeof(*s->pend)) < 0) {
		s->oom = true;
		return NULL;
	}
	p = &s->pend[s->npend++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->addr = addr;
	b = rc_block_containing(s, addr);
	if (b) {
		p->heap = true;
		p->block = *b;
	}
	return p;
}

static void rc_check_race(struct rc_state *s, struct rc_loc *l,
			  const struct rc_thread *t, const struct hbt_event *ev,
			  uint64_t addr, uint8_t mask, bool is_write)
{
	for (uint32_t i = 0; i < l->nacc && !(l->race_done & mask); i++) {
		const struct rc_acc *e = &l->acc[i];
		uint32_t seen = vc_get(&t->full, e->thread);
		bool prev_write;
		struct rc_pend *p;

		if (e->thread == ev->thread)
			continue;
		if (e->wclk && (e->wmask & mask) && e->wclk > seen)
			prev_write = true;
		else if (is_write && e->rclk && (e->rmask & mask) &&
			 e->rclk > seen)
			prev_write = false;
		else
			continue;
		l->race_done |= mask;
		if (rc_site_seen(s, RC_RACE, ev->stack,
				 prev_write ? e->wstack : e->rstack))
			return;
		p = rc_pend_new(s, RC_RACE, addr);
		if (!p)
			return;
		p->seen = true;
		p->ta = ev->thread;
		p->sa = ev->stack;
		p->wa = is_write;
		p->size_a = (uint8_t)ev->arg;
		p->tb = e->thread;
		p->sb = prev_write ? e->wstack : e->rstack;
		p->wb = prev_write;
		p->size_b = prev_write ? e->wsize : e->rsize;
	}
}

static void rc_report_lu(struct rc_state *s, struct rc_loc *l, uint64_t addr,
			 uint8_t mask, bool seen, uint32_t reader,
			 uint32_t rstack, uint32_t wstack, uint32_t other,
			 uint32_t ostack, const struct rc_lockset *locks)
{
	struct rc_pend *p;

	if ((l->lu_done & mask) || (!seen && s->no_predict))
		return;
	l->lu_done |= mask;
	if (rc_site_seen(s, RC_LU, rstack ^ (wstack << 16), ostack))
		return;
	p = rc_pend_new(s, RC_LU, addr);
	if (!p)
		return;
	p->seen = seen;
	p->ta = reader;
	p->sa = rstack;
	p->tc = reader;
	p->sc = wstack;
	p->tb = other;
	p->sb = ostack;
	if (locks)
		p->locks = *locks;
}

#define RC_LU_SLAB 4096

/* Lost-update records come from slabs: one per (granule, thread) that
 * read, far too many for malloc each. */
static struct rc_lu *rc_lu(struct rc_state *s, struct rc_acc *a)
{
	struct rc_lu *lu;

	if (a->lu)
		return a->lu;
	if (s->lu_free) {
		lu = s->lu_free;
		s->lu_free = *(struct rc_lu **)lu;
	} else {
		if (!s->nlu_slabs || s->lu_slab_used == RC_LU_SLAB) {
			if (an_grow((void **)&s->lu_slabs, &s->cap_lu_slabs,
				    s->nlu_slabs + 1, sizeof(*s->lu_slabs)) < 0)
				goto oom;
			s->lu_slabs[s->nlu_slabs] =
				malloc(RC_LU_SLAB * sizeof(struct rc_lu));
			if (!s->lu_slabs[s->nlu_slabs])
				goto oom;
			s->nlu_slabs++;
			s->lu_slab_used = 0;
		}
		lu = &s->lu_slabs[s->nlu_slabs - 1][s->lu_slab_used++];
	}
	memset(lu, 0, sizeof(*lu));
	a->lu = lu;
	return lu;
oom:
	s->oom = true;
	return NULL;
}

static void rc_read(struct rc_state *s, struct rc_loc *l, struct rc_thread *t,
		    const struct hbt_event *ev, uint64_t addr, uint8_t mask)
{
	struct rc_acc *me = rc_acc_get(s, l, ev->thread), *from = NULL;
	struct rc_lu *lu;

	if (!me)
		return;
	lu = rc_lu(s, me);
	if (lu) {
		lu->rpending = true;
		lu->rmask = mask;
		lu->rstack = ev->stack;
		lu->rindex = ev->index;
		rc_lockset_of(t, &lu->rlocks);
		lu->cand_thread = 0;
	}
	for (uint32_t i = 0; i < l->nacc; i++) {
		struct rc_acc *e = &l->acc[i];

		if (e == me || !e->wclk || !(e->wmask & mask))
			continue;
		/* before this read's own reads-from edge, see race.c top */
		if (lu && e->wclk > vc_get(&t->pred, e->thread) &&
		    (!lu->cand_thread || e->windex > lu->cand_index)) {
			lu->cand_thread = e->thread;
			lu->cand_stack = e->wstack;
			lu->cand_clk = e->wclk;
			lu->cand_index = e->windex;
			lu->cand_locks = e->wlocks;
		}
		if (!from || e->windex > from->windex)
			from = e;
	}
	if (from && from->wclk > vc_get(&t->pred, from->thread) &&
	    vc_set(&t->pred, from->thread, from->wclk) < 0)
		s->oom = true;

	if (me->rclk != t->clk)
		me->rmask = 0;
	me->rclk = t->clk;
	me->rmask |= mask;
	me->rstack = ev->stack;
	me->rsize = (uint8_t)ev->arg;
	me->rindex = ev->index;
	me->raddr = addr;
}

static void rc_write(struct rc_state *s, struct rc_loc *l, struct rc_thread *t,
		     const struct hbt_event *ev, uint64_t addr, uint8_t mask)
{
	struct rc_acc *me = rc_acc_get(s, l, ev->thread);
	struct rc_lockset now;
	struct rc_lu *lu;

	if (!me)
		return;
	rc_lockset_of(t, &now);
	lu = me->lu;

	/* this write as the read-modify-write of this thread */
	if (lu && lu->rpending && (lu->rmask & mask)) {
		struct rc_lockset cont;
		bool reported = false;

		rc_lockset_continuous(&lu->rlocks, &now, &cont);
		for (uint32_t i = 0; i < l->nacc && !reported; i++) {
			const struct rc_acc *e = &l->acc[i];

			if (e != me && e->wclk && (e->wmask & mask) &&
			    e->windex > lu->rindex) {
				rc_report_lu(s, l, addr, mask, true, ev->thread,
					     lu->rstack, ev->stack, e->thread,
					     e->wstack, &lu->rlocks);
				reported = true;
			}
		}
		if (!reported && lu->cand_thread &&
		    !rc_lockset_excludes(&cont, &lu->cand_locks))
			rc_report_lu(s, l, addr, mask, false, ev->thread,
				     lu->rstack, ev->stack, lu->cand_thread,
				     lu->cand_stack, &lu->rlocks);
		lu->rpending = false;
		lu->pair = true;
		lu->pmask = mask;
		lu->pair_rstack = lu->rstack;
		lu->pair_wstack = ev->stack;
		lu->pair_wclk = t->clk;
		lu->pair_rindex = lu->rindex;
		lu->pair_windex = ev->index;
		lu->pair_cont = cont;
	}

	/* this write as the one falling into another thread's update */
	for (uint32_t i = 0; i < l->nacc; i++) {
		const struct rc_acc *e = &l->acc[i];
		const struct rc_lu *o = e->lu;

		if (e == me || !o || !o->pair || !(o->pmask & mask))
			continue;
		if (o->pair_wclk > vc_get(&t->pred, e->thread) &&
		    !rc_lockset_excludes(&o->pair_cont, &now))
			rc_report_lu(s, l, addr, mask, false, e->thread,
				     o->pair_rstack, o->pair_wstack, ev->thread,
				     ev->stack, &o->pair_cont);
	}

	me->wclk = t->clk;
	me->wmask = mask;
	me->wstack = ev->stack;
	me->wsize = (uint8_t)ev->arg;
	me->windex = ev->index;
	me->waddr = addr;
	me->wlocks = now;
}

static void rc_access_granule(struct rc_state *s, struct rc_thread *t,
			      const struct hbt_event *ev, uint64_t addr,
			      uint8_t mask, bool is_write)
{
	struct rc_loc *l = rc_loc_get(s, addr & ~7ull);

	if (!l)
		return;
	rc_check_race(s, l, t, ev, addr, mask, is_write);
	if (is_write)
		rc_write(s, l, t, ev, addr, mask);
	else
		rc_read(s, l, t, ev, addr, mask);
}

static void rc_access(struct rc_state *s, struct rc_thread *t,
		      const struct hbt_event *ev, bool is_write)
{
	uint64_t addr = ev->obj, size = ev->arg, end;

	if (size == 0)
		return;
	if (size > RC_RANGE_MAX)
		size = RC_RANGE_MAX;
	/* Clamp so a hostile access at the top of the address space cannot
	 * wrap and walk every granule. */
	end = addr + size < addr ? UINT64_MAX : addr + size;
	while (addr < end) {
		uint64_t g = addr & ~7ull;
		uint64_t stop = end - g > 8 ? g + 8 : end;
		uint8_t mask = 0;

		for (uint64_t b = addr; b < stop; b++)
			mask |= (uint8_t)(1u << (b - g));
		rc_access_granule(s, t, ev, addr, mask, is_write);
		addr = stop;
	}
	if (is_write)
		rc_tick(s, t, ev->thread);
}

/* ---- the event callback ------------------------------------------------ */

static void *rc_init(const struct analysis_options *opts)
{
	struct rc_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	u64map_init(&s->sync_map);
	u64map_init(&s->atomic_map);
	u64map_init(&s->page_map);
	u64map_init(&s->block_map);
	u64map_init(&s->site_map);
	s->no_predict = opts && opts->no_predict;
	return s;
}

static void rc_event(void *state, const struct hbt_event *ev)
{
	struct rc_state *s = state;
	struct rc_thread *t, *c;

	if (!s || s->oom)
		return;
	t = rc_thread(s, ev->thread);
	if (!t)
		return;

	switch (ev->type) {
	case HBT_REC_MEM_READ:
		rc_access(s, t, ev, false);
		break;
	case HBT_REC_MEM_WRITE:
		rc_access(s, t, ev, true);
		break;
	case HBT_REC_MEM_RANGE:
		rc_access(s, t, ev, ev->op == 1);
		break;
	case HBT_REC_MEM_ATOMIC:
		rc_atomic(s, t, ev->thread, ev);
		break;
	case HBT_REC_ALLOC:
		rc_alloc(s, ev);
		break;
	case HBT_REC_FREE:
		rc_free(s, ev);
		break;
	case HBT_REC_ACQUIRE:
		if (rc_kind_is_lock(ev->kind))
			rc_lock_acquired(s, t, ev->obj, ev->kind,
					 ev->op & HBT_OP_READ);
		else if (ev->kind == HBT_OBJ_SEM)
			rc_sync_acquire(s, t, ev->obj);
		break;
	case HBT_REC_RELEASE:
		if (rc_kind_is_lock(ev->kind))
			rc_lock_released(s, t, ev->thread, ev->obj);
		break;
	case HBT_REC_POST:
		if (ev->kind == HBT_OBJ_SEM || ev->kind == HBT_OBJ_COND)
			rc_sync_release(s, t, ev->thread, ev->obj);
		break;
	case HBT_REC_COND_WAIT:
		rc_lock_released(s, t, ev->thread, ev->obj2);
		break;
	case HBT_REC_COND_WAKE:
		if (ev->outcome == HBT_OUT_OK)
			rc_sync_acquire(s, t, ev->obj);
		rc_lock_acquired(s, t, ev->obj2, HBT_OBJ_MUTEX, false);
		break;
	case HBT_REC_BARRIER_ARRIVE:
		rc_barrier(s, t, ev->thread, ev, true);
		break;
	case HBT_REC_BARRIER_LEAVE:
		rc_barrier(s, t, ev->thread, ev, false);
		break;
	case HBT_REC_THREAD_CREATE:
		if (ev->err == 0 && ev->obj) {
			c = rc_thread(s, (uint32_t)ev->obj);
			t = rc_thread(s, ev->thread); /* may have moved */
			if (c && t) {
				rc_join(s, &c->full, &t->full);
				rc_join(s, &c->pred, &t->pred);
				rc_tick(s, t, ev->thread);
			}
		}
		break;
	case HBT_REC_THREAD_START:
		if (ev->obj) /* not the main thread */
			rc_thread_stack_reset(s, ev->arg2);
		break;
	case HBT_REC_THREAD_END:
		rc_tick(s, t, ev->thread);
		break;
	case HBT_REC_JOIN:
		if (ev->outcome == HBT_OUT_OK && ev->obj) {
			c = rc_thread(s, (uint32_t)ev->obj);
			t = rc_thread(s, ev->thread);
			if (c && t) {
				rc_join(s, &t->full, &c->full);
				rc_join(s, &t->pred, &c->pred);
			}
		}
		break;
	default:
		break;
	}
}

/* ---- findings ---------------------------------------------------------- */

static int rc_frame_cmp(const void *a, const void *b)
{
	const struct rc_frame *x = a, *y = b;

	return x->sp < y->sp ? -1 : x->sp > y->sp;
}

static int rc_frame_collect(void *arg, const struct hbt_event *def)
{
	struct rc_state *s = arg;

	if (def->type != HBT_REC_STACK_FRAME || !def->obj || !def->stack)
		return 0;
	if (an_grow((void **)&s->frames, &s->cap_frames, s->nframes + 1,
		    sizeof(*s->frames)) < 0)
		return -ENOMEM;
	s->frames[s->nframes++] =
		(struct rc_frame){def->obj, def->stack, def->thread};
	return 0;
}

#define RC_FRAME_SPAN  (8u << 20) /* a frame's sp lies below its data */
#define RC_FRAME_TRIES 16

/*
 * Name a stack address from the STACK_FRAME records: the frames whose sp
 * is closest below it first (a frame's locals lie above its sp and below
 * its caller's), each asked for a DWARF variable covering it.  Frames at
 * the same place at other times may be tried too: the call frame
 * information rejects those the address lies above.  *frame: the frame
 * used, for the report's step.
 */
static char *rc_stack_var_name(struct rc_state *s, struct analysis_ctx *ctx,
			       uint64_t addr, const struct rc_frame **frame)
{
	const struct rc_frame *fallback = NULL;
	char *name = NULL, *site;
	size_t lo = 0, hi;

	*frame = NULL;
	if (!s->frames_loaded) {
		s->frames_loaded = true;
		if (hbt_reader_each_definition(ctx->reader, rc_frame_collect,
					       s) < 0)
			s->nframes = 0;
		qsort(s->frames, s->nframes, sizeof(*s->frames), rc_frame_cmp);
	}
	/* after the last frame whose sp <= addr */
	for (hi = s->nframes; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->frames[mid].sp <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, tries = 0; i-- > 0 && tries < RC_FRAME_TRIES;
	     tries++) {
		const struct rc_frame *fr = &s->frames[i];
		bool in_frame;

		if (addr - fr->sp >= RC_FRAME_SPAN)
			break;
		name = symbolize_stack_var(ctx->sym, addr, fr->sp, fr->stack,
					   &in_frame);
		if (name) {
			*frame = fr;
			return name;
		}
		if (in_frame && !fallback)
			fallback = fr;
	}
	if (!fallback)
		return NULL;
	/* no DWARF variable: at least the thread and the function */
	*frame = fallback;
	site = symbolize_site(ctx->sym, fallback->stack);
	if (asprintf(&name, "0x%" PRIx64 " (stack of T%u, frame of %s)", addr,
		     fallback->thread, site ? site : "??") < 0)
		name = NULL;
	free(site);
	return name;
}

static char *rc_var_name(struct rc_state *s, struct analysis_ctx *ctx,
			 const struct rc_pend *p, const char **type,
			 const struct rc_frame **frame)
{
	char *name = NULL, *site = NULL;

	*frame = NULL;
	if (p->heap) {
		*type = "heap block";
		if (ctx->sym && p->block.stack)
			site = symbolize_site(ctx->sym, p->block.stack);
		if (asprintf(&name,
			     "heap block of %" PRIu64
			     " bytes%s%s, offset %" PRIu64,
			     p->block.size, site ? " allocated at " : "",
			     site ? site : "", p->addr - p->block.start) < 0)
			name = NULL;
		free(site);
		return name;
	}
	*type = "variable";
	if (ctx->sym)
		name = symbolize_data(ctx->sym, p->addr, HBT_OBJ_NONE);
	if (!name && ctx->sym) {
		name = rc_stack_var_name(s, ctx, p->addr, frame);
		if (name)
			*type = "stack variable";
	}
	if (!name && asprintf(&name, "0x%" PRIx64 " (stack or unknown memory)",
			      p->addr) < 0)
		name = NULL;
	return name;
}

static int rc_add_var(struct finding *f, const struct rc_pend *p,
		      const char *name, const char *type)
{
	struct finding_lock *l = finding_add_lock(f);

	if (!l)
		return -ENOMEM;
	l->name = strdup(name);
	l->type = strdup(type);
	l->address = p->addr;
	return l->name && l->type ? 0 : -ENOMEM;
}

/* 'action' is an imperative sentence ("write 8 bytes of counter"): the
 * text report conjugates its first word after "Thread T2". */
static int rc_step(struct finding *f, struct analysis_ctx *ctx, uint32_t thread,
		   uint32_t stack, const char *action)
{
	if (an_add_thread(f, ctx, thread, 0) < 0)
		return -ENOMEM;
	return an_add_step(f, ctx, thread, 0, action, stack);
}

static int rc_finding(struct rc_state *s, struct analysis_ctx *ctx,
		      const struct rc_pend *p)
{
	struct finding *f;
	const char *type = "variable";
	const struct rc_frame *frame;
	char *var = rc_var_name(s, ctx, p, &type, &frame), *msg = NULL;
	char action[768];
	int err = -ENOMEM;

	f = finding_new(p->kind == RC_RACE ? FK_DATA_RACE : FK_LOST_UPDATE);
	if (!f || !var)
		goto out;
	f->is_error = true;
	f->predicted = !p->seen;
	if (rc_add_var(f, p, var, type) < 0)
		goto out;
	if (p->kind == RC_RACE) {
		if (asprintf(&msg,
			     "data race on %s: %s by T%u and %s by T%u "
			     "without happens-before",
			     var, p->wa ? "write" : "read", p->ta,
			     p->wb ? "write" : "read", p->tb) < 0)
			goto out;
		snprintf(action, sizeof(action), "%s %u bytes of %s",
			 p->wa ? "write" : "read", p->size_a, var);
		if (rc_step(f, ctx, p->ta, p->sa, action) < 0)
			goto out;
		snprintf(action, sizeof(action),
			 "%s %u bytes of %s (the earlier access, not ordered "
			 "before the one above)",
			 p->wb ? "write" : "read", p->size_b, var);
		if (rc_step(f, ctx, p->tb, p->sb, action) < 0)
			goto out;
	} else {
		if (asprintf(&msg,
			     "lost update of %s: T%u reads it and writes it "
			     "back while T%u's write %s in between",
			     var, p->ta, p->tb,
			     p->seen ? "fell" : "can fall") < 0)
			goto out;
		snprintf(action, sizeof(action), "read %s", var);
		if (rc_step(f, ctx, p->ta, p->sa, action) < 0)
			goto out;
		snprintf(action, sizeof(action), "write %s %s", var,
			 p->seen ? "in between" : "(this can fall in between)");
		if (rc_step(f, ctx, p->tb, p->sb, action) < 0)
			goto out;
		snprintf(action, sizeof(action),
			 "write %s based on the value read before", var);
		if (rc_step(f, ctx, p->tc, p->sc, action) < 0)
			goto out;
		for (uint8_t i = 0; i < p->locks.n; i++)
			if (an_add_lock(f, ctx, p->locks.obj[i],
					p->locks.kind[i], 0) < 0)
				goto out;
	}
	if (p->heap && p->block.stack) {
		snprintf(action, sizeof(action),
			 "allocate the heap block of %" PRIu64 " bytes",
			 p->block.size);
		if (an_add_step(f, ctx, p->block.thread, 0, action,
				p->block.stack) < 0)
			goto out;
	}
	if (frame) {
		snprintf(action, sizeof(action),
			 "own %s on its stack, in this frame", var);
		if (an_add_step(f, ctx, frame->thread, 0, action,
				frame->stack) < 0)
			goto out;
	}
	f->message = msg;
	msg = NULL;
	err = an_emit(ctx, f);
	f = NULL;
out:
	if (f)
		finding_free(f);
	free(msg);
	free(var);
	return err;
}

static int rc_finish(void *state, struct analysis_ctx *ctx)
{
	struct rc_state *s = state;
	int err = 0;

	if (!s)
		return 0;
	for (uint32_t i = 0; i < s->npend && err == 0; i++)
		err = rc_finding(s, ctx, &s->pend[i]);
	if (!err && s->oom)
		err = -ENOMEM;
	return err;
}

static void rc_destroy(void *state)
{
	struct rc_state *s = state;

	if (!s)
		return;
	for (uint32_t i = 0; i < s->nthreads; i++) {
		vc_free(&s->threads[i].full);
		vc_free(&s->threads[i].pred);
		vc_free(&s->threads[i].acq_pending);
	}
	for (uint32_t i = 0; i < s->nsyncs; i++) {
		struct rc_sync *o = &s->syncs[i];

		vc_free(&o->full);
		vc_free(&o->pred);
		for (int k = 0; k < 2; k++) {
			vc_free(&o->bar_full[k]);
			vc_free(&o->bar_pred[k]);
		}
	}
	for (uint32_t i = 0; i < s->nlocs; i++)
		free(s->locs[i].acc);
	for (uint32_t i = 0; i < s->nlu_slabs; i++)
		free(s->lu_slabs[i]);
	free(s->lu_slabs);
	free(s->threads);
	free(s->syncs);
	free(s->locs);
	free(s->blocks);
	free(s->frames);
	free(s->pend);
	u64map_free(&s->sync_map);
	u64map_free(&s->atomic_map);
	u64map_free(&s->page_map);
	for (uint32_t i = 0; i < s->npages; i++)
		free(s->pages[i]);
	free(s->pages);
	u64map_free(&s->block_map);
	u64map_free(&s->site_map);
	free(s);
}

const struct analysis_ops analysis_race = {
	.name = "race",
	.features = HBT_FEAT_MEMORY,
	.init = rc_init,
	.event = rc_event,
	.finish = rc_finish,
	.destroy = rc_destroy,
};
