// SPDX-License-Identifier: MIT
/*
 * lockorder.c - lock-order cycles: potential deadlocks predicted from one
 * run.
 *
 * The lock graph has an edge held -> next for every acquisition of 'next'
 * that can block (a REQUEST, or an ACQUIRE that is neither a trylock nor
 * preceded by its REQUEST) while the same actor holds 'held'.  An actor is
 * a thread, or an asyncio task while it runs or awaits (its locks stay
 * held across awaits).  A recursive relock by the owner adds no edge; a
 * non-recursive relock is a self-deadlock (deadlock.c), not an edge.
 *
 * Each edge keeps up to LO_MAX_WIT witnesses, distinct by (actor, modes);
 * a witness keeps the occurrence holding the fewest other locks (gate
 * locks), with its stacks as the example to show: the least guarded
 * occurrence is the one that can deadlock.  A witness
 * records: the actor and thread, both stacks, the modes (read hold of
 * 'held', read request of 'next'), the other locks held at the request
 * (gate locks), the happens-before clock at the start of the section
 * (when 'held' was taken) and the thread's epoch at the request.  A
 * repeated witness keeps its first section and refreshes a second, latest
 * one, so "ordered the first time, concurrent later" is still seen.
 *
 * Cycles of any length up to LO_MAX_CYCLE are enumerated by a DFS from
 * each lock through higher-numbered locks of its strongly connected
 * component only, so each simple cycle is found once (from its lowest
 * lock), with a step budget per start lock.  A cycle is reported when some
 * choice of one witness per edge can deadlock (the idea of sync-preserving
 * deadlock prediction, Tunc et al., PLDI 2023, approximated):
 *  - the witnesses' actors are pairwise distinct;
 *  - no two of them hold a common lock (a gate lock serializes them);
 *  - no witness's request happens before another's section start, where
 *    happens-before counts only hard orders (thread create/join, condition
 *    signal -> wait, semaphore post -> wait, barriers), never a mutex
 *    release -> acquire: a real ABBA whose sections merely did not overlap
 *    is still found, "main takes A->B then creates the thread that takes
 *    B->A" is not.  Two tasks on the same thread skip this test (their
 *    thread's program order says nothing about task interleavings);
 *  - each wanted lock conflicts with the next witness's hold of it (two
 *    read holds of an rwlock do not block each other).
 * Trylocks add no edge at all, so a try that backs off never closes a
 * cycle.
 *
 * A cycle that really deadlocked (at the end of the trace every lock of it
 * is wanted by an actor blocked while holding the previous one) is left to
 * the deadlock analysis: one real deadlock gives one finding, "deadlock".
 * Otherwise the finding is predicted.
 *
 * Cost per event: one or two hash lookups, plus, per lock held at an
 * acquisition, a probe of that lock's small cache of recent successors (a
 * repeated section stops there; otherwise one probe of the witness slots,
 * struct lo_wslot, which hold what a repeat updates).  Edges and
 * witnesses are looked up and allocated only when new.  Memory: locks (+
 * LO_LCACHE entries for locks that are nested in) + edges (16 bytes) +
 * witnesses (at most LO_MAX_WIT per edge, and a 32-byte slot each).  A
 * trace with a huge number of distinct lock pairs (tests/bench/gen_trace:
 * 68k) is memory-bound: one cache miss per nested acquisition, the slot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analysis/hb.h"
#include "analyze.h"

#define LO_MAX_WIT    6
#define LO_MAX_GATES  6
#define LO_MAX_CYCLE  12
#define LO_DFS_BUDGET 200000 /* DFS steps per start lock */
/* per-lock cache of recently refreshed witnesses, consulted through the
 * held lock (its entry is hot: the lock was just taken) */
#define LO_LCACHE	4
#define LO_NONE		UINT32_MAX
#define LO_MAX_FINDINGS 256
/*
 * Edges per acquisition: from the LO_EDGE_DEPTH most recently taken locks
 * the actor holds, not from every one.  An actor holding n locks at once
 * otherwise adds n edges per acquisition and n^2/2 edges and witnesses in
 * all (1,000 held: 500k edges, ~90 MB); this way the graph grows at most
 * by LO_EDGE_DEPTH edges per distinct lock.  What it costs: an order
 * whose held lock was taken more than LO_EDGE_DEPTH acquisitions further
 * out is not predicted.  ThreadSanitizer aborts past 64 held locks; we
 * keep going and stay exact up to this depth.
 */
#define LO_EDGE_DEPTH 64

struct lo_lock {
	uint64_t obj;
	uint8_t kind;
	uint8_t mtype;	      /* enum hbt_mutex_type, from OBJ_INIT */
	uint32_t site_stack;  /* OBJ_INIT stack, else first acquisition */
	char *name;	      /* resolved at finish */
	struct lo_lcache *lc; /* LO_LCACHE entries, once it is nested in */
	uint32_t lc_next;     /* round-robin victim */
};

struct lo_held {
	uint64_t obj;
	uint32_t lock;
	uint32_t stack;
	uint32_t depth;
	bool read;
	struct vc_snap *snap; /* clock when taken */
};

/* "this witness was refreshed with this section already": lets a hot
 * nested acquisition skip the witness lookup */
struct lo_lcache {
	uint32_t to, actor;   /* actor index + 1, 0 = empty */
	struct vc_snap *snap; /* referenced */
	uint32_t epoch;
	uint32_t nother; /* fewest other locks held recorded */
	uint8_t modes;
};

struct lo_actor {
	uint32_t thread;
	uint64_t task;
	struct lo_held *held;
	uint32_t nheld, cap;
	bool pending;
	uint32_t p_lock, p_stack;
	uint32_t cond_stack; /* COND_WAIT site, for the mutex reacquire */
};

struct lo_section {
	struct vc_snap *snap; /* section start */
	uint32_t req_epoch;
};

struct lo_witness {
	uint64_t actor;
	uint32_t thread;
	uint64_t task;
	uint32_t held_stack, req_stack;
	bool held_read, want_read;
	uint8_t ngates;
	uint32_t gates[LO_MAX_GATES];
	uint32_t nother; /* other locks held (ngates may be capped) */
	/* first and latest; the latest lives in the witness's slot until
	 * lo_wslots_flush() */
	struct lo_section sec[2];
	uint32_t next; /* next witness of the edge, LO_NONE = last */
};

/*
 * The part of a witness that every repeat of its situation touches, in an
 * open-addressing table of its own: half a cache line per witness, one
 * probe, where a map probe and the 104-byte witness were two or three
 * cache misses on a trace of many lock pairs.
 */
struct lo_wslot {
	uint64_t key;	      /* edge, modes, actor (lo_wslot_get); 0 = empty */
	struct vc_snap *snap; /* latest section's start (referenced) */
	uint32_t req_epoch;   /* latest section's request epoch */
	uint32_t wit;	      /* witness index */
	uint32_t to;	      /* checked: a 64-bit collision keeps the first */
	uint32_t nother;      /* the witness's nother */
};

/* Small, so the edge table stays cache-friendly; witnesses live in one
 * pool, chained per edge. */
struct lo_edge {
	uint32_t from, to;
	uint32_t nwit;
	uint32_t first; /* witness index, LO_NONE = none */
};

struct lo_state {
	bool no_predict; /* --no-predict: only what happened */
	struct hb *hb;
	struct an_tasks tasks;
	struct u64map lock_map, actor_map, edge_map;
	struct an_refmap refs; /* reader's objref -> locks index + 1 */
	struct lo_lock *locks;
	uint32_t nlocks, locks_cap;
	struct lo_actor *actors;
	uint32_t nactors, actors_cap;
	uint32_t *tact; /* thread serial -> index + 1 of its thread actor */
	uint32_t tact_cap;
	struct lo_edge *edges;
	uint32_t nedges, edges_cap;
	struct lo_witness *wits;
	uint32_t nwits, wits_cap;
	struct lo_wslot *wslots; /* wslots_cap, a power of two, half full */
	uint32_t wslots_cap;
	uint32_t *scc; /* finish: SCC number per lock */
	/* finish: adjacency (edge indexes sorted by 'from') */
	uint32_t *adj, *adj_start;
	long budget;
	uint32_t nfound;
};

static void *lo_init(const struct analysis_options *opts)
{
	struct lo_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->no_predict = opts && opts->no_predict;
	s->hb = hb_new(0);
	if (!s->hb) {
		free(s);
		return NULL;
	}
	return s;
}

static void lo_destroy(void *state)
{
	struct lo_state *s = state;
	uint32_t i, j;

	if (!s)
		return;
	for (i = 0; i < s->nactors; i++) {
		for (j = 0; j < s->actors[i].nheld; j++)
			hb_snap_put(s->hb, s->actors[i].held[j].snap);
		free(s->actors[i].held);
	}
	for (i = 0; i < s->nlocks; i++) {
		for (j = 0; s->locks[i].lc && j < LO_LCACHE; j++)
			hb_snap_put(s->hb, s->locks[i].lc[j].snap);
		free(s->locks[i].lc);
	}
	for (i = 0; i < s->nwits; i++) {
		hb_snap_put(s->hb, s->wits[i].sec[0].snap);
		hb_snap_put(s->hb, s->wits[i].sec[1].snap);
	}
	for (i = 0; i < s->wslots_cap; i++)
		hb_snap_put(s->hb, s->wslots[i].snap);
	free(s->wits);
	free(s->wslots);
	free(s->scc);
	for (i = 0; i < s->nlocks; i++)
		free(s->locks[i].name);
	free(s->actors);
	free(s->tact);
	free(s->locks);
	free(s->edges);
	free(s->adj);
	free(s->adj_start);
	u64map_free(&s->lock_map);
	an_refmap_free(&s->refs);
	u64map_free(&s->actor_map);
	u64map_free(&s->edge_map);
	an_tasks_free(&s->tasks);
	hb_free(s->hb);
	free(s);
}

static struct lo_lock *lo_lock_get(struct lo_state *s, uint64_t obj,
				   uint8_t kind, uint32_t *idx)
{
	bool created;
	int64_t i = an_intern(&s->lock_map, obj, (void **)&s->locks, &s->nlocks,
			      &s->locks_cap, sizeof(*s->locks), &created);
	struct lo_lock *l;

	if (i < 0)
		return NULL;
	l = &s->locks[i];
	if (created) {
		l->obj = obj;
		l->kind = kind;
		l->mtype = HBT_MUTEX_DEFAULT;
	}
	*idx = (uint32_t)i;
	return l;
}

/* The lock of a REQUEST or ACQUIRE: numbered by the merge
 * (hbt_event.objref), so mostly no hashing. */
static inline struct lo_lock *
lo_ev_lock(struct lo_state *s, const struct hbt_event *ev, uint32_t *idx)
{
	uint32_t ix = an_ref_get(&s->refs, ev->objref);
	struct lo_lock *l;

	if (ix) {
		*idx = ix - 1;
		return &s->locks[ix - 1];
	}
	l = lo_lock_get(s, ev->obj, ev->kind, idx);
	if (l)
		an_ref_set(&s->refs, ev->objref, *idx);
	return l;
}

static struct lo_actor *lo_actor_new(struct lo_state *s, uint32_t thread,
				     uint64_t task);

static inline struct lo_actor *lo_actor_get(struct lo_state *s, uint32_t thread,
					    uint64_t task)
{
	/* the common case, a thread outside any task: no hashing */
	if (!task && thread < s->tact_cap && s->tact[thread])
		return &s->actors[s->tact[thread] - 1];
	return lo_actor_new(s, thread, task);
}

static struct lo_actor *lo_actor_new(struct lo_state *s, uint32_t thread,
				     uint64_t task)
{
	bool created;
	int64_t i = an_intern(&s->actor_map, an_actor_key(thread, task),
			      (void **)&s->actors, &s->nactors, &s->actors_cap,
			      sizeof(*s->actors), &created);
	struct lo_actor *a;

	if (i < 0)
		return NULL;
	a = &s->actors[i];
	if (created) {
		a->thread = thread;
		a->task = task;
	}
	if (!task && an_serial_ok(thread) &&
	    an_grow((void **)&s->tact, &s->tact_cap, thread + 1,
		    sizeof(*s->tact)) == 0)
		s->tact[thread] = (uint32_t)i + 1;
	return a;
}

static struct lo_held *lo_find_held(struct lo_actor *a, uint32_t lock)
{
	uint32_t i;

	for (i = a->nheld; i-- > 0;)
		if (a->held[i].lock == lock)
			return &a->held[i];
	return NULL;
}

static bool lo_is_recursive(const struct lo_lock *l)
{
	return l->kind == HBT_OBJ_PY_RLOCK ||
	       (l->kind == HBT_OBJ_MUTEX &&
		(l->mtype & 0xf) == HBT_MUTEX_RECURSIVE);
}

static struct lo_edge *lo_edge_get(struct lo_state *s, uint32_t from,
				   uint32_t to)
{
	bool created;
	int64_t i = an_intern(&s->edge_map, ((uint64_t)from << 32) | to,
			      (void **)&s->edges, &s->nedges, &s->edges_cap,
			      sizeof(*s->edges), &created);
	struct lo_edge *e;

	if (i < 0)
		return NULL;
	e = &s->edges[i];
	if (created) {
		e->from = from;
		e->to = to;
		e->first = LO_NONE;
	}
	return e;
}

static inline uint64_t lo_mix(uint64_t k)
{
	k ^= k >> 31;
	k *= 0x9e3779b97f4a7c15ull;
	k ^= k >> 29;
	return k;
}

/* Identity of a witness within its actor: the edge, the modes and the
 * other locks held.  Stacks are examples, not identity: one witness per
 * distinct situation keeps edges small however many call sites. */
static inline uint64_t lo_wkey(uint32_t from, uint32_t to, bool held_read,
			       bool read)
{
	uint64_t k = lo_mix((((uint64_t)from << 32) | to) ^
			    ((uint64_t)(held_read * 2 + read) << 62));

	return k ? k : 1;
}

/* Record the current situation as the witness's example: its gate locks
 * and stacks. */
static void lo_witness_set(struct lo_witness *w, const struct lo_actor *a,
			   uint32_t hi, uint32_t to, uint32_t stack)
{
	uint32_t k;

	w->held_stack = a->held[hi].stack;
	w->req_stack = stack;
	w->nother = a->nheld - 1;
	w->ngates = 0;
	for (k = 0; k < a->nheld && w->ngates < LO_MAX_GATES; k++)
		if (k != hi && a->held[k].lock != to)
			w->gates[w->ngates++] = a->held[k].lock;
}

/* The slot of 'key' (key != 0): its own or the empty one to fill. */
static inline struct lo_wslot *lo_wslot_find(const struct lo_state *s,
					     uint64_t key)
{
	uint32_t mask = s->wslots_cap - 1, i;

	for (i = (uint32_t)key & mask;; i = (i + 1) & mask)
		if (s->wslots[i].key == key || !s->wslots[i].key)
			return &s->wslots[i];
}

/* Room for one more slot, at most half full; 0 or -ENOMEM. */
static int lo_wslots_reserve(struct lo_state *s)
{
	struct lo_wslot *old = s->wslots;
	uint32_t oldcap = s->wslots_cap, cap, i;

	if ((uint64_t)(s->nwits + 1) * 2 <= s->wslots_cap)
		return 0;
	cap = oldcap ? oldcap * 2 : 1024;
	s->wslots = calloc(cap, sizeof(*s->wslots));
	if (!s->wslots) {
		s->wslots = old;
		return -ENOMEM;
	}
	s->wslots_cap = cap;
	for (i = 0; i < oldcap; i++)
		if (old[i].key)
			*lo_wslot_find(s, old[i].key) = old[i];
	free(old);
	return 0;
}

/* Hand each slot's latest section to its witness: finish reads those. */
static void lo_wslots_flush(struct lo_state *s)
{
	uint32_t i;

	for (i = 0; i < s->wslots_cap; i++) {
		struct lo_wslot *sl = &s->wslots[i];
		struct lo_witness *w;

		if (!sl->key)
			continue;
		w = &s->wits[sl->wit];
		hb_snap_put(s->hb, w->sec[1].snap);
		w->sec[1].snap = sl->snap;
		w->sec[1].req_epoch = sl->req_epoch;
		sl->snap = NULL;
	}
}

/*
 * Find or add the witness slot of edge held entry -> 'to' for (actor,
 * held entry, request); NULL when the edge has all its witnesses.  The
 * edge is looked up only to add a witness: a known one costs one probe.
 */
static struct lo_wslot *lo_wslot_get(struct lo_state *s, struct lo_actor *a,
				     uint32_t hi, uint32_t to, uint32_t stack,
				     bool read, uint32_t epoch)
{
	uint64_t actor = an_actor_key(a->thread, a->task);
	struct lo_held *h = &a->held[hi];
	uint64_t key =
		lo_mix(lo_wkey(h->lock, to, h->read, read) ^ lo_mix(actor));
	struct lo_wslot *sl;
	struct lo_witness *w;
	struct lo_edge *e;
	uint32_t wi, ei;

	if (!key)
		key = 1;
	if (s->wslots_cap) {
		sl = lo_wslot_find(s, key);
		if (sl->key)
			return sl->to == to ? sl : NULL;
	}
	e = lo_edge_get(s, h->lock, to);
	if (!e)
		return NULL;
	ei = (uint32_t)(e - s->edges);
	if (s->edges[ei].nwit == LO_MAX_WIT || lo_wslots_reserve(s) < 0 ||
	    an_grow((void **)&s->wits, &s->wits_cap, s->nwits + 1,
		    sizeof(*s->wits)) < 0)
		return NULL;
	wi = s->nwits++;
	w = &s->wits[wi];
	memset(w, 0, sizeof(*w));
	w->actor = actor;
	w->thread = a->thread;
	w->task = a->task;
	w->held_read = h->read;
	w->want_read = read;
	lo_witness_set(w, a, hi, to, stack);
	w->sec[0].snap = h->snap;
	if (h->snap)
		h->snap->refs++;
	w->sec[0].req_epoch = epoch;
	w->next = s->edges[ei].first;
	s->edges[ei].first = wi;
	s->edges[ei].nwit++;
	sl = lo_wslot_find(s, key);
	sl->key = key;
	sl->wit = wi;
	sl->to = to;
	sl->nother = w->nother;
	sl->snap = NULL; /* lo_add_edges() sets the latest section */
	return sl;
}

/* 'a' may block on lock 'to' (stack 'stack', read mode 'read') while
 * holding everything in a->held: one edge per held lock. */
static void lo_add_edges(struct lo_state *s, struct lo_actor *a, uint32_t to,
			 uint32_t stack, bool read)
{
	uint32_t i, k, epoch, nother, actor;

	if (!a->nheld)
		return;
	nother = a->nheld - 1;
	epoch = hb_epoch(s->hb, a->thread);
	actor = (uint32_t)(a - s->actors) + 1;
	i = a->nheld > LO_EDGE_DEPTH ? a->nheld - LO_EDGE_DEPTH : 0;
	for (; i < a->nheld; i++) {
		struct lo_held *h = &a->held[i];
		struct lo_lock *from = &s->locks[h->lock];
		uint8_t modes = (uint8_t)(h->read * 2 + read);
		struct lo_lcache *c = NULL;
		struct lo_wslot *w;

		if (h->lock == to)
			continue;
		if (!from->lc) {
			from->lc = calloc(LO_LCACHE, sizeof(*from->lc));
			if (!from->lc)
				return;
		}
		for (k = 0; k < LO_LCACHE; k++)
			if (from->lc[k].to == to &&
			    from->lc[k].actor == actor &&
			    from->lc[k].modes == modes) {
				c = &from->lc[k];
				break;
			}
		if (c && c->snap == h->snap && c->epoch == epoch &&
		    c->nother <= nother)
			continue; /* this very section is recorded already */
		w = lo_wslot_get(s, a, i, to, stack, read, epoch);
		if (w && nother < w->nother) {
			lo_witness_set(&s->wits[w->wit], a, i, to, stack);
			w->nother = nother;
		}
		/* refresh the witness's latest section */
		if (w && w->snap != h->snap) {
			hb_snap_put(s->hb, w->snap);
			w->snap = h->snap;
			if (h->snap)
				h->snap->refs++;
		}
		if (w)
			w->req_epoch = epoch;
		if (!c) {
			c = &from->lc[from->lc_next++ % LO_LCACHE];
			c->to = to;
			c->actor = actor;
			c->modes = modes;
			c->nother = UINT32_MAX;
		}
		if (c->snap != h->snap) {
			hb_snap_put(s->hb, c->snap);
			c->snap = h->snap;
			if (h->snap)
				h->snap->refs++;
		}
		c->epoch = epoch;
		if (w)
			c->nother = w->nother;
		else if (nother < c->nother)
			c->nother = nother;
	}
}

static void lo_push_held(struct lo_state *s, struct lo_actor *a, uint32_t lock,
			 uint32_t stack, bool read)
{
	struct lo_held *h;

	if (an_grow((void **)&a->held, &a->cap, a->nheld + 1,
		    sizeof(*a->held)) < 0)
		return;
	h = &a->held[a->nheld++];
	h->obj = s->locks[lock].obj;
	h->lock = lock;
	h->stack = stack;
	h->depth = 1;
	h->read = read;
	h->snap = hb_snap_get(s->hb, a->thread);
}

static void lo_pop_held(struct lo_state *s, struct lo_actor *a,
			struct lo_held *h)
{
	uint32_t i = (uint32_t)(h - a->held);

	hb_snap_put(s->hb, h->snap);
	/* sections nest, so the innermost is the usual one: no call */
	if (i + 1 < a->nheld)
		memmove(&a->held[i], &a->held[i + 1],
			(a->nheld - i - 1) * sizeof(*h));
	a->nheld--;
}

static void lo_event(void *state, const struct hbt_event *ev)
{
	struct lo_state *s = state;
	struct lo_actor *a;
	struct lo_lock *l;
	struct lo_held *h;
	uint32_t li, i, stack;

	/* memory accesses are most of a TSan trace and none of our business */
	if (ev->type >= HBT_REC_MEM_READ && ev->type <= HBT_REC_FREE)
		return;
	/* lock operations carry no hard order: skip the clock for them */
	if (!an_kind_is_lock(ev->kind) ||
	    (ev->type != HBT_REC_ACQUIRE && ev->type != HBT_REC_RELEASE &&
	     ev->type != HBT_REC_REQUEST))
		hb_event(s->hb, ev);
	switch (ev->type) {
	case HBT_REC_TASK_STEP:
	case HBT_REC_TASK_SUSPEND:
	case HBT_REC_TASK_DONE:
		an_tasks_event(&s->tasks, ev);
		return;
	case HBT_REC_OBJ_INIT:
		if (!an_kind_is_lock(ev->kind))
			return;
		l = lo_lock_get(s, ev->obj, ev->kind, &li);
		if (l) {
			l->kind = ev->kind;
			l->mtype = (uint8_t)ev->arg;
			if (ev->stack)
				l->site_stack = ev->stack;
		}
		return;
	case HBT_REC_REQUEST:
		if (!an_kind_is_lock(ev->kind))
			return;
		l = lo_ev_lock(s, ev, &li);
		a = l ? lo_actor_get(s, ev->thread,
				     an_task_of(&s->tasks, ev->thread))
		      : NULL;
		if (!a)
			return;
		a->pending = true;
		a->p_lock = li;
		a->p_stack = ev->stack;
		if (lo_find_held(a, li))
			return; /* relock: recursive, or a self-deadlock */
		if (!(ev->op & HBT_OP_TRY))
			lo_add_edges(s, a, li, ev->stack, ev->op & HBT_OP_READ);
		return;
	case HBT_REC_ACQUIRE:
		if (!an_kind_is_lock(ev->kind))
			return;
		l = lo_ev_lock(s, ev, &li);
		a = l ? lo_actor_get(s, ev->thread,
				     an_task_of(&s->tasks, ev->thread))
		      : NULL;
		if (!a)
			return;
		stack = ev->stack;
		if (!stack && (ev->op & HBT_OP_REQUESTED) && a->pending &&
		    a->p_lock == li)
			stack = a->p_stack;
		a->pending = false;
		if (!l->site_stack)
			l->site_stack = stack;
		h = lo_find_held(a, li);
		if (h && (ev->op & HBT_OP_RECURSIVE || lo_is_recursive(l) ||
			  (ev->op & HBT_OP_READ))) {
			h->depth++;
			return;
		}
		if (!(ev->op & (HBT_OP_REQUESTED | HBT_OP_TRY)))
			lo_add_edges(s, a, li, stack, ev->op & HBT_OP_READ);
		lo_push_held(s, a, li, stack, ev->op & HBT_OP_READ);
		return;
	case HBT_REC_FAIL:
		if (!an_kind_is_lock(ev->kind))
			return;
		a = lo_actor_get(s, ev->thread,
				 an_task_of(&s->tasks, ev->thread));
		if (a)
			a->pending = false;
		return;
	case HBT_REC_RELEASE:
		if (!an_kind_is_lock(ev->kind) || ev->err)
			return;
		/* by address: the held list is short, no hashing needed */
		a = lo_actor_get(s, ev->thread,
				 an_task_of(&s->tasks, ev->thread));
		if (!a)
			return;
		for (i = a->nheld; i-- > 0;)
			if (a->held[i].obj == ev->obj)
				break;
		if (i == UINT32_MAX) {
			/* Python and asyncio locks may be released by
			 * anyone: find the holder (rare, so a scan) */
			if (ev->kind != HBT_OBJ_PY_LOCK &&
			    ev->kind != HBT_OBJ_AIO_LOCK)
				return;
			h = NULL;
			for (li = 0; li < s->nactors && !h; li++) {
				a = &s->actors[li];
				for (i = a->nheld; i-- > 0 && !h;)
					if (a->held[i].obj == ev->obj)
						h = &a->held[i];
			}
			if (!h)
				return;
		} else {
			h = &a->held[i];
		}
		if (h->depth > 1)
			h->depth--;
		else
			lo_pop_held(s, a, h);
		return;
	case HBT_REC_COND_WAIT: {
		uint32_t *v = u64map_find(&s->lock_map, ev->obj2);

		a = lo_actor_get(s, ev->thread,
				 an_task_of(&s->tasks, ev->thread));
		if (!a)
			return;
		a->cond_stack = ev->stack;
		h = v ? lo_find_held(a, *v) : NULL;
		if (h)
			lo_pop_held(s, a, h);
		return;
	}
	case HBT_REC_COND_WAKE:
		if (!ev->obj2)
			return;
		l = lo_lock_get(s, ev->obj2,
				ev->kind == HBT_OBJ_COND ? HBT_OBJ_MUTEX
							 : HBT_OBJ_PY_LOCK,
				&li);
		a = l ? lo_actor_get(s, ev->thread,
				     an_task_of(&s->tasks, ev->thread))
		      : NULL;
		if (!a || lo_find_held(a, li))
			return;
		/* reacquiring the mutex can block behind its holder */
		lo_add_edges(s, a, li, a->cond_stack, false);
		lo_push_held(s, a, li, a->cond_stack, false);
		return;
	case HBT_REC_THREAD_END:
		a = lo_actor_get(s, ev->thread, 0);
		while (a && a->nheld)
			lo_pop_held(s, a, &a->held[a->nheld - 1]);
		return;
	default:
		return;
	}
}

/* ---- cycles ------------------------------------------------------------ */

struct lo_cycle {
	uint32_t n;
	uint32_t edge[LO_MAX_CYCLE];
	const struct lo_witness *wit[LO_MAX_CYCLE];
	int sec[LO_MAX_CYCLE];
};

static bool lo_holds(const struct lo_witness *w, uint32_t from, uint32_t lock)
{
	uint8_t i;

	if (from == lock)
		return true;
	for (i = 0; i < w->ngates; i++)
		if (w->gates[i] == lock)
			return true;
	return false;
}

/* Can witness (i, si) and witness (j, sj) both be inside their sections
 * at once? */
static bool lo_compatible(const struct lo_state *s, const struct lo_cycle *c,
			  uint32_t i, uint32_t j)
{
	const struct lo_witness *a = c->wit[i], *b = c->wit[j];
	const struct lo_edge *ea = &s->edges[c->edge[i]];
	const struct lo_edge *eb = &s->edges[c->edge[j]];
	const struct lo_section *sa = &a->sec[c->sec[i]];
	const struct lo_section *sb = &b->sec[c->sec[j]];
	uint8_t k;

	if (a->actor == b->actor)
		return false;
	/* a common gate lock (or held lock) serializes the sections */
	if (lo_holds(b, eb->from, ea->from))
		return false;
	for (k = 0; k < a->ngates; k++)
		if (lo_holds(b, eb->from, a->gates[k]))
			return false;
	if (a->thread == b->thread)
		return true; /* tasks of one loop: no thread order applies */
	if (hb_before(a->thread, sa->req_epoch, sb->snap) ||
	    hb_before(b->thread, sb->req_epoch, sa->snap))
		return false;
	return true;
}

/* Witness i wants edge i's 'to', held by witness i+1: do the modes
 * conflict? */
static bool lo_blocks(const struct lo_witness *want,
		      const struct lo_witness *hold)
{
	return !(want->want_read && hold->held_read);
}

static bool lo_assign(const struct lo_state *s, struct lo_cycle *c, uint32_t i)
{
	const struct lo_edge *e;
	uint32_t w, j;
	int k;

	if (i == c->n)
		return lo_blocks(c->wit[c->n - 1], c->wit[0]);
	e = &s->edges[c->edge[i]];
	for (w = e->first; w != LO_NONE; w = s->wits[w].next) {
		const struct lo_witness *wt = &s->wits[w];

		for (k = 0; k < 2; k++) {
			if (k == 1 && wt->sec[1].snap == wt->sec[0].snap &&
			    wt->sec[1].req_epoch == wt->sec[0].req_epoch)
				continue;
			c->wit[i] = wt;
			c->sec[i] = k;
			if (i && !lo_blocks(c->wit[i - 1], c->wit[i]))
				continue;
			for (j = 0; j < i; j++)
				if (!lo_compatible(s, c, j, i))
					break;
			if (j == i && lo_assign(s, c, i + 1))
				return true;
		}
	}
	return false;
}

struct lo_finish {
	struct lo_state *s;
	struct analysis_ctx *ctx;
	struct lo_cycle cyc;
	uint32_t path[LO_MAX_CYCLE]; /* lock indexes */
	bool *on_path;
	int err;
};

/* Did the trace end in exactly this deadlock?  Then deadlock.c reports
 * it. */
static bool lo_cycle_realized(const struct lo_state *s,
			      const struct lo_cycle *c)
{
	uint32_t i, j;

	for (i = 0; i < c->n; i++) {
		const struct lo_edge *e = &s->edges[c->edge[i]];
		bool found = false;

		for (j = 0; j < s->nactors && !found; j++) {
			const struct lo_actor *a = &s->actors[j];
			uint32_t k;

			if (!a->pending || a->p_lock != e->to)
				continue;
			for (k = 0; k < a->nheld; k++)
				if (a->held[k].lock == e->from)
					found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

static const char *lo_name(struct lo_finish *F, uint32_t lock)
{
	struct lo_lock *l = &F->s->locks[lock];

	if (!l->name)
		l->name = an_lock_name(F->ctx, l->obj, l->kind, l->site_stack);
	return l->name ? l->name : "?";
}

static int lo_report(struct lo_finish *F)
{
	struct lo_state *s = F->s;
	struct lo_cycle *c = &F->cyc;
	char *names[LO_MAX_CYCLE] = {0};
	struct finding *f;
	uint32_t i, r, start = 0;
	char *msg = NULL, *p;
	size_t len;
	int err = -ENOMEM;

	/* rotate to the lock with the smallest name: a stable start */
	for (i = 1; i < c->n; i++)
		if (strcmp(lo_name(F, s->edges[c->edge[i]].from),
			   lo_name(F, s->edges[c->edge[start]].from)) < 0)
			start = i;
	f = finding_new(FK_LOCK_ORDER_CYCLE);
	if (!f)
		return -ENOMEM;
	f->is_error = true;
	f->predicted = true;
	/* names[r]: the lock held at step r (and wanted at step r - 1) */
	for (r = 0; r < c->n; r++) {
		names[r] = strdup(
			lo_name(F, s->edges[c->edge[(start + r) % c->n]].from));
		if (!names[r])
			goto fail;
	}
	if (an_number_duplicates(names, c->n) < 0)
		goto fail;
	/* "lock order cycle: " + "NAME => " each + the first name again */
	len = 64 + strlen(names[0]);
	for (r = 0; r < c->n; r++)
		len += strlen(names[r]) + 8;
	msg = malloc(len);
	if (!msg)
		goto fail;
	p = msg + sprintf(msg, "lock order cycle: ");
	for (r = 0; r < c->n; r++)
		p += sprintf(p, "%s => ", names[r]);
	sprintf(p, "%s", names[0]);
	f->message = msg;
	for (r = 0; r < c->n; r++) {
		const struct lo_edge *e;
		const struct lo_witness *w;
		const struct lo_lock *l;
		char *action;

		i = (start + r) % c->n;
		e = &s->edges[c->edge[i]];
		w = c->wit[i];
		l = &s->locks[e->from];
		if (an_add_lock_named(f, l->obj, l->kind, names[r]) < 0 ||
		    an_add_thread(f, F->ctx, w->thread, w->task) < 0)
			goto fail;
		/* Where the held lock was taken, then where the next one
		 * was requested: both stacks of the edge, as in TSan. */
		if (w->held_stack) {
			if (asprintf(&action, "acquired %s%s here", names[r],
				     w->held_read ? " (read)" : "") < 0)
				goto fail;
			err = an_add_step(f, F->ctx, w->thread, w->task, action,
					  w->held_stack);
			free(action);
			if (err < 0)
				goto fail;
			f->steps[f->nsteps - 1].context = true;
			err = -ENOMEM;
		}
		if (asprintf(&action, "acquire %s%s while holding %s%s",
			     names[(r + 1) % c->n],
			     w->want_read ? " (read)" : "", names[r],
			     w->held_read ? " (read)" : "") < 0)
			goto fail;
		err = an_add_step(f, F->ctx, w->thread, w->task, action,
				  w->req_stack);
		free(action);
		if (err < 0)
			goto fail;
		err = -ENOMEM;
	}
	for (r = 0; r < c->n; r++)
		free(names[r]);
	return an_emit(F->ctx, f);
fail:
	for (r = 0; r < c->n; r++)
		free(names[r]);
	finding_free(f);
	return err;
}

static void lo_dfs(struct lo_finish *F, uint32_t start, uint32_t node,
		   uint32_t depth)
{
	struct lo_state *s = F->s;
	uint32_t k;

	if (F->err || s->budget <= 0 || s->nfound >= LO_MAX_FINDINGS)
		return;
	for (k = s->adj_start[node]; k < s->adj_start[node + 1]; k++) {
		const struct lo_edge *e = &s->edges[s->adj[k]];

		if (--s->budget <= 0)
			return;
		F->cyc.edge[depth] = s->adj[k];
		if (e->to == start) {
			F->cyc.n = depth + 1;
			if (lo_assign(s, &F->cyc, 0) &&
			    !lo_cycle_realized(s, &F->cyc)) {
				F->err = lo_report(F);
				s->nfound++;
			}
			continue;
		}
		if (e->to < start || F->on_path[e->to] ||
		    s->scc[e->to] != s->scc[start] || depth + 1 >= LO_MAX_CYCLE)
			continue;
		F->on_path[e->to] = true;
		lo_dfs(F, start, e->to, depth + 1);
		F->on_path[e->to] = false;
	}
}

/*
 * Strongly connected components of the lock graph (Tarjan, iterative:
 * lock graphs can be deep).  Cycles live inside one component, so the
 * cycle search only starts from and walks within components of two locks
 * or more: a big acyclic lock graph costs nothing.
 */
static int lo_scc(struct lo_state *s)
{
	uint32_t n = s->nlocks, idx = 1, nscc = 0, sp = 0, cp = 0, v, i;
	uint32_t *index = calloc(n, sizeof(*index));
	uint32_t *low = calloc(n, sizeof(*low));
	uint32_t *stk = malloc(n * sizeof(*stk));
	uint32_t *cs_node = malloc(n * sizeof(*cs_node));
	uint32_t *cs_pos = malloc(n * sizeof(*cs_pos));
	bool *on = calloc(n, sizeof(*on));
	int err = -ENOMEM;

	s->scc = malloc(n * sizeof(*s->scc));
	if (!index || !low || !stk || !cs_node || !cs_pos || !on || !s->scc)
		goto out;
	for (i = 0; i < n; i++) {
		if (index[i])
			continue;
		cs_node[cp] = i;
		cs_pos[cp++] = s->adj_start[i];
		index[i] = low[i] = idx++;
		stk[sp++] = i;
		on[i] = true;
		while (cp) {
			v = cs_node[cp - 1];
			if (cs_pos[cp - 1] < s->adj_start[v + 1]) {
				uint32_t w =
					s->edges[s->adj[cs_pos[cp - 1]++]].to;

				if (!index[w]) {
					index[w] = low[w] = idx++;
					stk[sp++] = w;
					on[w] = true;
					cs_node[cp] = w;
					cs_pos[cp++] = s->adj_start[w];
				} else if (on[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			if (low[v] == index[v]) {
				uint32_t w;

				do {
					w = stk[--sp];
					on[w] = false;
					s->scc[w] = nscc;
				} while (w != v);
				nscc++;
			}
			cp--;
			if (cp && low[v] < low[cs_node[cp - 1]])
				low[cs_node[cp - 1]] = low[v];
		}
	}
	err = 0;
out:
	free(index);
	free(low);
	free(stk);
	free(cs_node);
	free(cs_pos);
	free(on);
	return err;
}

static int lo_finish(void *state, struct analysis_ctx *ctx)
{
	struct lo_state *s = state;
	struct lo_finish F = {.s = s, .ctx = ctx};
	uint32_t i;

	lo_wslots_flush(s);
	if (!s->nedges || s->no_predict)
		return 0;
	s->adj = malloc(s->nedges * sizeof(*s->adj));
	s->adj_start = calloc(s->nlocks + 2, sizeof(*s->adj_start));
	F.on_path = calloc(s->nlocks + 1, sizeof(*F.on_path));
	if (!s->adj || !s->adj_start || !F.on_path) {
		free(F.on_path);
		return -ENOMEM;
	}
	/* counting sort of edges by 'from' */
	for (i = 0; i < s->nedges; i++)
		s->adj_start[s->edges[i].from + 1]++;
	for (i = 0; i < s->nlocks; i++)
		s->adj_start[i + 1] += s->adj_start[i];
	{
		uint32_t *fill = calloc(s->nlocks + 1, sizeof(*fill));

		if (!fill) {
			free(F.on_path);
			return -ENOMEM;
		}
		for (i = 0; i < s->nedges; i++) {
			uint32_t from = s->edges[i].from;

			s->adj[s->adj_start[from] + fill[from]++] = i;
		}
		free(fill);
	}
	if (lo_scc(s) < 0) {
		free(F.on_path);
		return -ENOMEM;
	}
	for (i = 0; i < s->nlocks && !F.err; i++) {
		uint32_t k;
		bool cyclic = false;

		/* only locks with an edge back into their own component */
		for (k = s->adj_start[i]; k < s->adj_start[i + 1] && !cyclic;
		     k++)
			cyclic = s->scc[s->edges[s->adj[k]].to] == s->scc[i];
		if (!cyclic)
			continue;
		s->budget = LO_DFS_BUDGET;
		F.on_path[i] = true;
		lo_dfs(&F, i, i, 0);
		F.on_path[i] = false;
	}
	free(F.on_path);
	return F.err;
}

const struct analysis_ops analysis_lockorder = {
	.name = "lock-order",
	.lane = 1,
	.init = lo_init,
	.event = lo_event,
	.finish = lo_finish,
	.destroy = lo_destroy,
};
