// SPDX-License-Identifier: MIT
/*
 * py_shared.c - data races and lost updates on Python shared state, from
 * the PY_ACCESS records of the CPython front-end (module globals, instance
 * attributes, dict/list items, mutating calls on builtin containers).
 *
 * A location is (object, name): the globals dict and the variable, the
 * instance and "Type.attr", the container and "name[key]".
 *
 * data-race: two accesses of a location from different threads, at least
 * one a write (a container mutation counts as one), not ordered by
 * happens-before with lock edges (hb.c, HB_LOCKS) among Python-level
 * objects: thread start and join, threading locks, events and
 * semaphores, queue.Queue and concurrent.futures, the loop handoffs
 * (see ps_hb_wants for why not the interpreter's native locks).  An
 * asyncio.Lock orders tasks of its own loop only, which share one thread,
 * so it never hides a race with another thread.  One finding per
 * location.
 *
 * lost-update: an actor (an asyncio task, or a thread outside tasks) reads
 * a location and later writes it with no write of its own in between (a
 * read-modify-write), and the two are not atomic: no lock is held from
 * the read through the write in the same hold and, for a task, it
 * suspended at an await in between (a task only loses the CPU at an
 * await; a thread at any bytecode).  It is reported
 *   seen       when another actor wrote the location between the two;
 *   predicted  when another task of the same thread, alive during the
 *              window, writes it elsewhere without a lock the first one
 *              held throughout (a different schedule puts it in between),
 *              unless a signal orders that write before the read or after
 *              the write: asyncio Condition notify -> wait, Event set ->
 *              wait, Queue task_done -> join returning (see ps_sync).
 * Mutating calls (append, update, ...) are atomic under the GIL and do not
 * overwrite a value read earlier: they count for races, not here.  A
 * location with a data race gets only that finding: the race is the bug.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analysis/hb.h"
#include "analyze.h"

#define PS_MAX_HELD    32
#define PS_MAX_READERS 8
#define PS_MAX_WRITES  16
#define PS_MAX_POSTERS 16
#define PS_MAX_EDGES   8

enum { PS_READ = 1, PS_WRITE = 2, PS_MUTATE = 3, PS_RMW = 4 };

/* One access, enough to build a step of a finding. */
struct ps_acc {
	uint32_t thread;
	uint64_t task;
	uint32_t stack;
	uint64_t index;
	uint32_t epoch;
	uint8_t op;
};

/* A write kept for predicting lost updates: who, and what it held. */
struct ps_write {
	struct ps_acc a;
	uint64_t held[4]; /* lock objects held */
	uint32_t nheld;
};

/* A non-atomic read-modify-write kept to be checked against later
 * writes of other tasks. */
struct ps_rmw {
	struct ps_acc r, w;
	uint64_t held[4]; /* locks held through the window */
	uint32_t nheld;
};

struct ps_loc {
	uint64_t obj;
	uint32_t name;
	uint8_t target;
	bool has_write;
	struct ps_acc last_write;
	struct ps_acc readers[PS_MAX_READERS];
	uint32_t nreaders;
	struct ps_write writes[PS_MAX_WRITES];
	uint32_t nwrites, next_write;
	struct ps_rmw rmws[PS_MAX_WRITES];
	uint32_t nrmws, next_rmw;
	/* the findings, filled once */
	bool raced, lost, lost_seen;
	struct ps_acc race_a, race_b;
	struct ps_acc lu_r, lu_other, lu_w;
};

/* Per actor and location: the read a later write may be based on. */
struct ps_read {
	struct ps_acc a;
	uint64_t holds[PS_MAX_HELD]; /* hold ids at the read */
	uint32_t nholds;
	uint32_t suspends; /* the actor's suspension count at the read */
};

struct ps_hold {
	uint64_t obj;
	uint64_t id; /* unique per acquisition */
	uint32_t depth;
};

struct ps_actor {
	uint32_t thread;
	uint64_t task;
	struct ps_hold held[PS_MAX_HELD];
	uint32_t nheld;
	uint32_t suspends;
	uint64_t created, done; /* event indexes, done = 0: never */
};

/* An asyncio signal object (Condition, Event, a Queue's join): the last
 * post of each task that signalled it. */
struct ps_signal {
	uint32_t actor[PS_MAX_POSTERS];
	uint64_t index[PS_MAX_POSTERS];
	uint32_t n, next;
};

/* Task 'to' received a signal task 'from' sent: (received at q[i], the
 * latest post of 'from' it covers p[i]), p strictly increasing. */
struct ps_edges {
	uint64_t q[PS_MAX_EDGES], p[PS_MAX_EDGES];
	uint32_t n, next;
};

struct ps_state {
	struct hb *hb;
	struct u64map signal_map, edge_map;
	struct ps_signal *signals;
	uint32_t nsignals, signals_cap;
	struct ps_edges *edges;
	uint32_t nedges, edges_cap;
	struct an_tasks run;
	struct u64map loc_map, actor_map, read_map;
	struct ps_loc *locs;
	uint32_t nlocs, locs_cap;
	struct ps_actor *actors;
	uint32_t nactors, actors_cap;
	struct ps_read *reads;
	uint32_t nreads, reads_cap;
	uint64_t next_hold;
};

static void *ps_init(const struct analysis_options *opts)
{
	struct ps_state *s = calloc(1, sizeof(*s));

	(void)opts;
	if (!s)
		return NULL;
	s->hb = hb_new(HB_LOCKS);
	if (!s->hb) {
		free(s);
		return NULL;
	}
	u64map_init(&s->loc_map);
	u64map_init(&s->actor_map);
	u64map_init(&s->read_map);
	u64map_init(&s->signal_map);
	u64map_init(&s->edge_map);
	return s;
}

static void ps_destroy(void *state)
{
	struct ps_state *s = state;

	if (!s)
		return;
	hb_free(s->hb);
	an_tasks_free(&s->run);
	u64map_free(&s->loc_map);
	u64map_free(&s->actor_map);
	u64map_free(&s->read_map);
	u64map_free(&s->signal_map);
	u64map_free(&s->edge_map);
	free(s->signals);
	free(s->edges);
	free(s->locs);
	free(s->actors);
	free(s->reads);
	free(s);
}

static inline uint64_t ps_mix(uint64_t a, uint64_t b)
{
	a ^= b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2);
	a ^= a >> 31;
	a *= 0xbf58476d1ce4e5b9ull;
	a ^= a >> 29;
	return a;
}

static struct ps_actor *ps_actor(struct ps_state *s, uint32_t thread,
				 uint64_t task)
{
	uint64_t key = an_actor_key(thread, task);
	uint32_t *v;
	bool created;

	v = u64map_put(&s->actor_map, key, s->nactors, &created);
	if (!v)
		return NULL;
	if (!created)
		return *v < s->nactors ? &s->actors[*v] : NULL;
	if (an_grow((void **)&s->actors, &s->actors_cap, s->nactors + 1,
		    sizeof(*s->actors)) < 0) {
		*v = UINT32_MAX;
		return NULL;
	}
	s->actors[s->nactors].thread = thread;
	s->actors[s->nactors].task = task;
	return &s->actors[s->nactors++];
}

static struct ps_actor *ps_ev_actor(struct ps_state *s,
				    const struct hbt_event *ev)
{
	return ps_actor(s, ev->thread, an_task_of(&s->run, ev->thread));
}

static struct ps_loc *ps_loc(struct ps_state *s, uint64_t obj, uint32_t name,
			     uint8_t target)
{
	uint64_t key = ps_mix(obj, name);
	uint32_t *v;
	bool created;

	v = u64map_put(&s->loc_map, key, s->nlocs, &created);
	if (!v)
		return NULL;
	if (!created)
		return *v < s->nlocs ? &s->locs[*v] : NULL;
	if (an_grow((void **)&s->locs, &s->locs_cap, s->nlocs + 1,
		    sizeof(*s->locs)) < 0) {
		*v = UINT32_MAX;
		return NULL;
	}
	s->locs[s->nlocs].obj = obj;
	s->locs[s->nlocs].name = name;
	s->locs[s->nlocs].target = target;
	return &s->locs[s->nlocs++];
}

static struct ps_read *ps_read_slot(struct ps_state *s, uint32_t loc,
				    uint32_t actor, bool create)
{
	uint64_t key = ps_mix((uint64_t)loc << 32 | actor, 0x5bd1e995);
	uint32_t *v;
	bool created;

	if (!create) {
		v = u64map_find(&s->read_map, key);
		return v && *v < s->nreads ? &s->reads[*v] : NULL;
	}
	v = u64map_put(&s->read_map, key, s->nreads, &created);
	if (!v)
		return NULL;
	if (!created)
		return *v < s->nreads ? &s->reads[*v] : NULL;
	if (an_grow((void **)&s->reads, &s->reads_cap, s->nreads + 1,
		    sizeof(*s->reads)) < 0) {
		*v = UINT32_MAX;
		return NULL;
	}
	return &s->reads[s->nreads++];
}

static bool ps_is_lock(uint8_t kind)
{
	return an_kind_is_lock(kind);
}

static void ps_lock_event(struct ps_state *s, const struct hbt_event *ev)
{
	struct ps_actor *a = ps_ev_actor(s, ev);
	uint32_t i;

	if (!a)
		return;
	for (i = 0; i < a->nheld; i++)
		if (a->held[i].obj == ev->obj)
			break;
	if (ev->type == HBT_REC_ACQUIRE) {
		if (i < a->nheld) {
			a->held[i].depth++;
		} else if (a->nheld < PS_MAX_HELD) {
			a->held[a->nheld].obj = ev->obj;
			a->held[a->nheld].id = ++s->next_hold;
			a->held[a->nheld].depth = 1;
			a->nheld++;
		}
		return;
	}
	/* RELEASE */
	if (i == a->nheld || ev->err)
		return;
	if (--a->held[i].depth == 0)
		a->held[i] = a->held[--a->nheld];
}

static void ps_fill(struct ps_state *s, struct ps_acc *acc,
		    const struct hbt_event *ev, uint64_t task)
{
	acc->thread = ev->thread;
	acc->task = task;
	acc->stack = ev->stack;
	acc->index = ev->index;
	acc->epoch = hb_epoch(s->hb, ev->thread);
	acc->op = ev->op;
}

/* Is the access 'x' (of another thread) ordered before the current point
 * of thread 't'? */
static bool ps_ordered(struct ps_state *s, const struct ps_acc *x, uint32_t t)
{
	const struct vc *c = hb_clock(s->hb, t);

	return !c || vc_get(c, x->thread) >= x->epoch;
}

static void ps_check_race(struct ps_state *s, struct ps_loc *l,
			  const struct ps_acc *cur, bool write)
{
	uint32_t i;

	if (l->raced)
		return;
	if (l->has_write && l->last_write.thread != cur->thread &&
	    !ps_ordered(s, &l->last_write, cur->thread)) {
		l->raced = true;
		l->race_a = l->last_write;
		l->race_b = *cur;
		return;
	}
	if (!write)
		return;
	for (i = 0; i < l->nreaders; i++) {
		if (l->readers[i].thread != cur->thread &&
		    !ps_ordered(s, &l->readers[i], cur->thread)) {
			l->raced = true;
			l->race_a = l->readers[i];
			l->race_b = *cur;
			return;
		}
	}
}

static void ps_note_reader(struct ps_loc *l, const struct ps_acc *cur)
{
	uint32_t i;

	for (i = 0; i < l->nreaders; i++)
		if (l->readers[i].thread == cur->thread)
			break;
	if (i == l->nreaders) {
		if (l->nreaders == PS_MAX_READERS)
			i = cur->thread % PS_MAX_READERS;
		else
			l->nreaders++;
	}
	l->readers[i] = *cur;
}

/* Did actor b's write 'w' hold a lock in 'held' (locks the RMW held
 * through its whole window)? */
static bool ps_shares_lock(const uint64_t *held, uint32_t nheld,
			   const struct ps_write *w)
{
	uint32_t i, j;

	for (i = 0; i < nheld; i++)
		for (j = 0; j < w->nheld; j++)
			if (held[i] == w->held[j])
				return true;
	return false;
}

/*
 * Task-to-task order from asyncio signals.  Why not hb.c: its clocks are
 * per thread, and every task of a loop shares one.  Only direct edges
 * (the poster's write, its post, the receiver's wait returning, its
 * read) are kept, and a bounded number of them: a missing edge can only
 * leave a predicted lost update reported, never hide a seen one.
 * Lock release -> acquire is not an edge here: locks held through the
 * window are already checked, and a lock taken and dropped in between
 * does not keep another schedule from reordering the write.
 */
static bool ps_is_signal(const struct hbt_event *ev)
{
	switch (ev->kind) {
	case HBT_OBJ_AIO_COND:
		return true;
	case HBT_OBJ_AIO_EVENT:
	case HBT_OBJ_AIO_QUEUE:
		/* Event.set and task_done; not a Queue's put -> get, which
		 * orders one item, not everything the producer did */
		return ev->type == HBT_REC_ACQUIRE ||
		       (ev->op & HBT_OP_BROADCAST);
	default:
		return false;
	}
}

static void ps_signal_event(struct ps_state *s, const struct hbt_event *ev)
{
	struct ps_actor *a = ps_ev_actor(s, ev);
	struct ps_signal *g;
	struct ps_edges *e;
	uint32_t ai, i;
	int64_t k;
	bool created;
	uint32_t *v;

	if (!a || !a->task)
		return;
	ai = (uint32_t)(a - s->actors);
	if (ev->type == HBT_REC_POST) {
		k = an_intern(&s->signal_map, ev->obj, (void **)&s->signals,
			      &s->nsignals, &s->signals_cap,
			      sizeof(*s->signals), &created);
		if (k < 0)
			return;
		g = &s->signals[k];
		for (i = 0; i < g->n; i++)
			if (g->actor[i] == ai)
				break;
		if (i == g->n) {
			i = g->next;
			g->next = (g->next + 1) % PS_MAX_POSTERS;
			if (g->n < PS_MAX_POSTERS)
				g->n++;
		}
		g->actor[i] = ai;
		g->index[i] = ev->index;
		return;
	}
	v = u64map_find(&s->signal_map, ev->obj);
	if (!v || *v >= s->nsignals)
		return;
	g = &s->signals[*v];
	for (i = 0; i < g->n; i++) {
		if (g->actor[i] == ai)
			continue;
		k = an_intern(
			&s->edge_map,
			ps_mix((uint64_t)g->actor[i] << 32 | ai, 0x2545f491),
			(void **)&s->edges, &s->nedges, &s->edges_cap,
			sizeof(*s->edges), &created);
		if (k < 0)
			return;
		e = &s->edges[k];
		/* q only grows: an older edge with a later post covers it */
		if (e->n && e->p[(e->next + PS_MAX_EDGES - 1) % PS_MAX_EDGES] >=
				    g->index[i])
			continue;
		e->q[e->next] = ev->index;
		e->p[e->next] = g->index[i];
		e->next = (e->next + 1) % PS_MAX_EDGES;
		if (e->n < PS_MAX_EDGES)
			e->n++;
	}
}

/* Is event index 'before' of actor 'from' ordered before index 'after'
 * of actor 'to' by a signal? */
static bool ps_signalled(struct ps_state *s, const struct ps_acc *from,
			 uint64_t before, const struct ps_acc *to,
			 uint64_t after)
{
	uint32_t *fa, *ta, *v, i;
	const struct ps_edges *e;

	fa = u64map_find(&s->actor_map, an_actor_key(from->thread, from->task));
	ta = u64map_find(&s->actor_map, an_actor_key(to->thread, to->task));
	if (!fa || !ta)
		return false;
	v = u64map_find(&s->edge_map,
			ps_mix((uint64_t)*fa << 32 | *ta, 0x2545f491));
	if (!v || *v >= s->nedges)
		return false;
	e = &s->edges[*v];
	for (i = 0; i < e->n; i++)
		if (e->p[i] >= before && e->q[i] <= after)
			return true;
	return false;
}

/* Could task write 'w' fall inside the window of 'r'..'wr' in another
 * schedule?  Same thread (tasks of one loop), a different task, alive
 * during the window. */
static bool ps_could_interleave(struct ps_state *s, const struct ps_acc *r,
				const struct ps_acc *wr, const struct ps_acc *w)
{
	uint32_t *v;
	struct ps_actor *b;

	if (!w->task || w->thread != r->thread || w->task == r->task)
		return false;
	v = u64map_find(&s->actor_map, an_actor_key(w->thread, w->task));
	if (!v || *v >= s->nactors)
		return false;
	b = &s->actors[*v];
	if (w->index < r->index)
		return (!b->done || b->done > r->index) &&
		       !ps_signalled(s, w, w->index, r, r->index);
	if (w->index > wr->index && ps_signalled(s, wr, wr->index, w, w->index))
		return false;
	return b->created < wr->index;
}

static void ps_lost(struct ps_loc *l, const struct ps_acc *r,
		    const struct ps_acc *other, const struct ps_acc *w,
		    bool seen)
{
	if (l->lost && (l->lost_seen || !seen))
		return;
	l->lost = true;
	l->lost_seen = seen;
	l->lu_r = *r;
	l->lu_other = *other;
	l->lu_w = *w;
}

static void ps_access(struct ps_state *s, const struct hbt_event *ev)
{
	uint64_t task = an_task_of(&s->run, ev->thread);
	struct ps_actor *a = ps_actor(s, ev->thread, task);
	struct ps_loc *l = ps_loc(s, ev->obj, (uint32_t)ev->arg, ev->outcome);
	struct ps_read *rd;
	struct ps_acc cur;
	uint32_t li, ai, i, j;
	bool write = ev->op != PS_READ;

	if (!a || !l)
		return;
	li = (uint32_t)(l - s->locs);
	ai = (uint32_t)(a - s->actors);
	ps_fill(s, &cur, ev, task);
	ps_check_race(s, l, &cur, write);

	if (ev->op == PS_READ || ev->op == PS_RMW) {
		ps_note_reader(l, &cur);
		rd = ps_read_slot(s, li, ai, true);
		if (rd && ev->op == PS_READ) {
			rd->a = cur;
			rd->suspends = a->suspends;
			rd->nholds = a->nheld;
			for (i = 0; i < a->nheld; i++)
				rd->holds[i] = a->held[i].id;
		}
	}
	if (!write)
		return;

	if (ev->op == PS_WRITE) {
		rd = ps_read_slot(s, li, ai, false);
		if (rd && rd->a.index) {
			uint32_t nheld = 0;
			bool atomic = task && rd->suspends == a->suspends;

			/* locks held in the same hold from the read on */
			for (i = 0; i < a->nheld; i++)
				for (j = 0; j < rd->nholds; j++)
					if (rd->holds[j] == a->held[i].id)
						nheld++;
			if (nheld)
				atomic = true;
			if (!atomic) {
				struct ps_rmw *m;

				/* seen: someone else wrote in between */
				if (l->has_write &&
				    l->last_write.index > rd->a.index &&
				    (l->last_write.thread != cur.thread ||
				     l->last_write.task != cur.task))
					ps_lost(l, &rd->a, &l->last_write, &cur,
						true);
				/* predicted: an earlier write of a task that
				 * could have run inside the window */
				for (i = 0; i < l->nwrites && !l->lost; i++)
					if (ps_could_interleave(
						    s, &rd->a, &cur,
						    &l->writes[i].a))
						ps_lost(l, &rd->a,
							&l->writes[i].a, &cur,
							false);
				m = &l->rmws[l->next_rmw];
				l->next_rmw = (l->next_rmw + 1) % PS_MAX_WRITES;
				if (l->nrmws < PS_MAX_WRITES)
					l->nrmws++;
				m->r = rd->a;
				m->w = cur;
				m->nheld = 0;
			}
			rd->a.index = 0;
		}
	}
	/* a later write of another task against kept windows */
	if (ev->op != PS_MUTATE) {
		struct ps_write *w = &l->writes[l->next_write];

		w->a = cur;
		w->nheld = 0;
		for (i = 0; i < a->nheld && w->nheld < 4; i++)
			w->held[w->nheld++] = a->held[i].obj;
		for (i = 0; i < l->nrmws && !l->lost; i++) {
			struct ps_rmw *m = &l->rmws[i];

			if (m->w.index < cur.index &&
			    !ps_shares_lock(m->held, m->nheld, w) &&
			    ps_could_interleave(s, &m->r, &m->w, &cur))
				ps_lost(l, &m->r, &cur, &m->w, false);
		}
		/* keep one write per actor at most among the kept ones */
		for (i = 0; i < l->nwrites; i++)
			if (l->writes[i].a.thread == cur.thread &&
			    l->writes[i].a.task == cur.task)
				break;
		if (i < l->nwrites) {
			l->writes[i] = *w;
		} else {
			l->next_write = (l->next_write + 1) % PS_MAX_WRITES;
			if (l->nwrites < PS_MAX_WRITES)
				l->nwrites++;
		}
		l->last_write = cur;
		l->has_write = true;
	} else {
		l->last_write = cur;
		l->last_write.op = PS_MUTATE;
		l->has_write = true;
	}
}

/*
 * Which events order Python code: the Python-level objects (threading,
 * asyncio, the handoffs) and thread lifecycle, not the interpreter's own
 * native locks.  The GIL is a pthread mutex and condition taken at every
 * thread switch: its edges would order every pair of accesses, while the
 * program cannot rely on where a switch falls.
 */
static bool ps_hb_wants(const struct hbt_event *ev)
{
	switch (ev->type) {
	case HBT_REC_OBJ_INIT:
	case HBT_REC_OBJ_DESTROY:
	case HBT_REC_REQUEST:
	case HBT_REC_ACQUIRE:
	case HBT_REC_FAIL:
	case HBT_REC_RELEASE:
	case HBT_REC_POST:
	case HBT_REC_COND_WAIT:
	case HBT_REC_COND_WAKE:
		return ev->kind >= HBT_OBJ_PY_LOCK && ev->kind < HBT_OBJ_ATOMIC;
	case HBT_REC_BARRIER_ARRIVE:
	case HBT_REC_BARRIER_LEAVE:
		return false;
	default:
		return ev->type < HBT_REC_MEM_READ || ev->type > HBT_REC_FREE;
	}
}

static void ps_event(void *state, const struct hbt_event *ev)
{
	struct ps_state *s = state;
	struct ps_actor *a;

	if (ps_hb_wants(ev))
		hb_event(s->hb, ev);
	switch (ev->type) {
	case HBT_REC_TASK_CREATE:
		a = ps_actor(s, ev->thread, ev->obj);
		if (a)
			a->created = ev->index ? ev->index : 1;
		return;
	case HBT_REC_TASK_STEP:
		an_tasks_event(&s->run, ev);
		return;
	case HBT_REC_TASK_SUSPEND:
		a = ps_actor(s, ev->thread, ev->obj);
		if (a)
			a->suspends++;
		an_tasks_event(&s->run, ev);
		return;
	case HBT_REC_TASK_DONE:
		a = ps_actor(s, ev->thread, ev->obj);
		if (a)
			a->done = ev->index ? ev->index : 1;
		an_tasks_event(&s->run, ev);
		return;
	case HBT_REC_POST:
		if (ps_is_signal(ev))
			ps_signal_event(s, ev);
		return;
	case HBT_REC_ACQUIRE:
		if (ps_is_signal(ev))
			ps_signal_event(s, ev);
		/* fall through */
	case HBT_REC_RELEASE:
		if (ps_is_lock(ev->kind))
			ps_lock_event(s, ev);
		return;
	case HBT_REC_PY_ACCESS:
		ps_access(s, ev);
		return;
	default:
		return;
	}
}

/* ---- findings ---------------------------------------------------------- */

static const char *ps_verb(uint8_t op)
{
	switch (op) {
	case PS_READ:
		return "read";
	case PS_MUTATE:
		return "mutate";
	default:
		return "write";
	}
}

static const char *ps_target(uint8_t target)
{
	switch (target) {
	case 1:
		return "global";
	case 2:
		return "attribute";
	case 3:
		return "item";
	default:
		return "container";
	}
}

static int ps_step(struct finding *f, struct analysis_ctx *ctx,
		   const struct ps_acc *a, const char *fmt, const char *name)
{
	char *act;
	int err;

	if (asprintf(&act, fmt, name) < 0)
		return -ENOMEM;
	err = an_add_thread(f, ctx, a->thread, a->task);
	if (!err)
		err = an_add_step(f, ctx, a->thread, a->task, act, a->stack);
	free(act);
	return err;
}

static char *ps_actor_name(struct analysis_ctx *ctx, const struct ps_acc *a)
{
	char *tn = an_task_name(ctx, a->task), *s;

	if (asprintf(&s, "T%u%s%s%s", a->thread, tn ? " (" : "", tn ? tn : "",
		     tn ? ")" : "") < 0)
		s = NULL;
	free(tn);
	return s;
}

static int ps_report_race(struct analysis_ctx *ctx, struct ps_loc *l,
			  const char *name)
{
	struct finding *f = finding_new(FK_DATA_RACE);
	char *an = ps_actor_name(ctx, &l->race_a);
	char *bn = ps_actor_name(ctx, &l->race_b);
	char fmt[64];
	int err = -ENOMEM;

	if (!f || !an || !bn)
		goto out;
	f->is_error = true;
	if (asprintf(&f->message,
		     "data race on %s '%s' between %s and %s: "
		     "no lock or handoff orders the two accesses",
		     ps_target(l->target), name, an, bn) < 0) {
		f->message = NULL;
		goto out;
	}
	snprintf(fmt, sizeof(fmt), "%s %%s", ps_verb(l->race_a.op));
	err = ps_step(f, ctx, &l->race_a, fmt, name);
	if (err)
		goto out;
	snprintf(fmt, sizeof(fmt), "%s %%s concurrently",
		 ps_verb(l->race_b.op));
	err = ps_step(f, ctx, &l->race_b, fmt, name);
	if (err)
		goto out;
	free(an);
	free(bn);
	return an_emit(ctx, f);
out:
	free(an);
	free(bn);
	if (f)
		finding_free(f);
	return err;
}

static int ps_report_lost(struct analysis_ctx *ctx, struct ps_loc *l,
			  const char *name)
{
	struct finding *f = finding_new(FK_LOST_UPDATE);
	char *an = ps_actor_name(ctx, &l->lu_r);
	char *bn = ps_actor_name(ctx, &l->lu_other);
	int err = -ENOMEM;
	bool task = l->lu_r.task != 0;

	if (!f || !an || !bn)
		goto out;
	f->is_error = true;
	f->predicted = !l->lost_seen;
	if (asprintf(&f->message,
		     "lost update of %s '%s': %s reads it, %s, "
		     "and writes back a value based on the old one while %s "
		     "%s it",
		     ps_target(l->target), name, an,
		     task ? "awaits" : "releases its locks", bn,
		     l->lost_seen ? "writes" : "can write") < 0) {
		f->message = NULL;
		goto out;
	}
	err = ps_step(f, ctx, &l->lu_r, "read %s", name);
	if (!err && l->lost_seen)
		err = ps_step(f, ctx, &l->lu_other, "write %s in between",
			      name);
	if (!err)
		err = ps_step(f, ctx, &l->lu_w,
			      task ? "write %s based on the value read before "
				     "the await"
				   : "write %s based on the value read before",
			      name);
	if (!err && !l->lost_seen)
		err = ps_step(f, ctx, &l->lu_other,
			      "write %s (can run inside that window)", name);
	if (err)
		goto out;
	free(an);
	free(bn);
	return an_emit(ctx, f);
out:
	free(an);
	free(bn);
	if (f)
		finding_free(f);
	return err;
}

static int ps_finish(void *state, struct analysis_ctx *ctx)
{
	struct ps_state *s = state;
	uint32_t i;
	int err;

	for (i = 0; i < s->nlocs; i++) {
		struct ps_loc *l = &s->locs[i];
		const char *name;

		if (!l->raced && !l->lost)
			continue;
		name = hbt_reader_string(ctx->reader, l->name);
		if (!name)
			name = "?";
		if (l->raced)
			err = ps_report_race(ctx, l, name);
		else
			err = ps_report_lost(ctx, l, name);
		if (err < 0)
			return err;
	}
	return 0;
}

const struct analysis_ops analysis_py_shared = {
	.name = "py-shared",
	.features = HBT_FEAT_PYTHON | HBT_FEAT_PYACCESS,
	.init = ps_init,
	.event = ps_event,
	.finish = ps_finish,
	.destroy = ps_destroy,
};
