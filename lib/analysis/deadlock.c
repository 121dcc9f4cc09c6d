// SPDX-License-Identifier: MIT
/*
 * deadlock.c - deadlocks that happened: actors (threads, or asyncio tasks)
 * that ended the trace blocked in a cycle of waits-for.
 *
 * An actor is blocked when its last lock operation is a REQUEST without
 * the matching ACQUIRE or FAIL, or its last join a JOIN_REQUEST without a
 * JOIN; the runtime's watchdog confirms live deadlocks with DEADLOCK
 * records (thread and object), which mark the thread blocked too.  A
 * thread that ended normally is not blocked; one that was still running
 * when the process exited (THREAD_END op 2, the watchdog ending a
 * deadlocked program) keeps its state.
 *
 * Waits-for edges: a lock wait points to every actor holding the lock in
 * a conflicting mode (a relock of a non-recursive mutex points to the
 * actor itself), a join to the joined thread while it has not ended.
 * Waits through awaits (a task awaiting a task) are the asyncio analysis's
 * ("await-cycle"); here only locks and joins.
 * Every cycle is one finding (not predicted): each actor's request stack,
 * the locks it holds and the one it wants, and where the lock it blocks
 * the next actor with was taken.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analyze.h"

#define DL_MAX_CYCLE 64

struct dl_held {
	uint64_t obj;
	uint8_t kind;
	bool read;
	uint32_t depth;
	uint32_t stack;
};

enum dl_wait { DL_NONE, DL_LOCK, DL_JOIN };

struct dl_actor {
	uint32_t thread;
	uint64_t task;
	struct dl_held *held;
	uint32_t nheld, cap;
	enum dl_wait wait;
	uint64_t w_obj; /* lock address, or joined thread serial */
	uint8_t w_kind;
	bool w_read;
	uint32_t w_stack;
	uint32_t cond_stack;
	bool ended;    /* left normally: cannot be blocked */
	bool in_cycle; /* already reported */
	uint8_t color; /* DFS */
};

struct dl_lockinfo {
	uint8_t mtype;
	uint32_t site_stack;
	uint8_t kind;
};

struct dl_state {
	struct an_tasks tasks;
	struct u64map actor_map, lock_map;
	struct dl_actor *actors;
	uint32_t nactors, actors_cap;
	uint32_t *tact; /* thread serial -> index + 1 of its thread actor */
	uint32_t tact_cap;
	struct dl_lockinfo *locks;
	uint32_t nlocks, locks_cap;
};

static void *dl_init(const struct analysis_options *opts)
{
	(void)opts;
	return calloc(1, sizeof(struct dl_state));
}

static void dl_destroy(void *state)
{
	struct dl_state *s = state;
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i < s->nactors; i++)
		free(s->actors[i].held);
	free(s->actors);
	free(s->tact);
	free(s->locks);
	u64map_free(&s->actor_map);
	u64map_free(&s->lock_map);
	an_tasks_free(&s->tasks);
	free(s);
}

static struct dl_actor *dl_actor_new(struct dl_state *s, uint32_t thread,
				     uint64_t task);

static inline struct dl_actor *dl_actor(struct dl_state *s, uint32_t thread,
					uint64_t task)
{
	if (!task && thread < s->tact_cap && s->tact[thread])
		return &s->actors[s->tact[thread] - 1];
	return dl_actor_new(s, thread, task);
}

static struct dl_actor *dl_actor_new(struct dl_state *s, uint32_t thread,
				     uint64_t task)
{
	bool created;
	int64_t i = an_intern(&s->actor_map, an_actor_key(thread, task),
			      (void **)&s->actors, &s->nactors, &s->actors_cap,
			      sizeof(*s->actors), &created);
	struct dl_actor *a;

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

static struct dl_actor *dl_ev_actor(struct dl_state *s,
				    const struct hbt_event *ev)
{
	return dl_actor(s, ev->thread, an_task_of(&s->tasks, ev->thread));
}

static struct dl_lockinfo *dl_lock(struct dl_state *s, uint64_t obj,
				   uint8_t kind)
{
	bool created;
	uint32_t *v = u64map_put(&s->lock_map, obj, s->nlocks, &created);

	if (!v)
		return NULL;
	if (created) {
		if (an_grow((void **)&s->locks, &s->locks_cap, s->nlocks + 1,
			    sizeof(*s->locks)) < 0)
			return NULL;
		s->locks[s->nlocks].mtype = HBT_MUTEX_DEFAULT;
		s->locks[s->nlocks].kind = kind;
		s->nlocks++;
	}
	return &s->locks[*v];
}

static struct dl_held *dl_find(struct dl_actor *a, uint64_t obj)
{
	uint32_t i;

	for (i = a->nheld; i-- > 0;)
		if (a->held[i].obj == obj)
			return &a->held[i];
	return NULL;
}

static void dl_push(struct dl_actor *a, uint64_t obj, uint8_t kind, bool read,
		    uint32_t stack)
{
	struct dl_held *h;

	if (an_grow((void **)&a->held, &a->cap, a->nheld + 1,
		    sizeof(*a->held)) < 0)
		return;
	h = &a->held[a->nheld++];
	h->obj = obj;
	h->kind = kind;
	h->read = read;
	h->depth = 1;
	h->stack = stack;
}

static void dl_pop(struct dl_actor *a, struct dl_held *h)
{
	uint32_t i = (uint32_t)(h - a->held);

	/* sections nest, so the innermost is the usual one: no call */
	if (i + 1 < a->nheld)
		memmove(&a->held[i], &a->held[i + 1],
			(a->nheld - i - 1) * sizeof(*h));
	a->nheld--;
}

static bool dl_recursive(struct dl_state *s, uint64_t obj, uint8_t kind)
{
	uint32_t *v;

	if (kind == HBT_OBJ_PY_RLOCK)
		return true;
	v = u64map_find(&s->lock_map, obj);
	return v && (s->locks[*v].mtype & 0xf) == HBT_MUTEX_RECURSIVE;
}

static void dl_event(void *state, const struct hbt_event *ev)
{
	struct dl_state *s = state;
	struct dl_lockinfo *li;
	struct dl_actor *a;
	struct dl_held *h;
	uint32_t stack;

	switch (ev->type) {
	case HBT_REC_TASK_STEP:
	case HBT_REC_TASK_SUSPEND:
		an_tasks_event(&s->tasks, ev);
		return;
	case HBT_REC_TASK_DONE:
		a = dl_actor(s, ev->thread, ev->obj);
		if (a) {
			a->ended = true;
			a->wait = DL_NONE;
		}
		an_tasks_event(&s->tasks, ev);
		return;
	case HBT_REC_OBJ_INIT:
		if (!an_kind_is_lock(ev->kind))
			return;
		li = dl_lock(s, ev->obj, ev->kind);
		if (li) {
			li->mtype = (uint8_t)ev->arg;
			li->kind = ev->kind;
			if (ev->stack)
				li->site_stack = ev->stack;
		}
		return;
	case HBT_REC_REQUEST:
		if (!an_kind_is_lock(ev->kind))
			return;
		a = dl_ev_actor(s, ev);
		if (!a)
			return;
		a->wait = DL_LOCK;
		a->w_obj = ev->obj;
		a->w_kind = ev->kind;
		a->w_read = ev->op & HBT_OP_READ;
		a->w_stack = ev->stack;
		return;
	case HBT_REC_ACQUIRE:
		if (!an_kind_is_lock(ev->kind))
			return;
		a = dl_ev_actor(s, ev);
		if (!a)
			return;
		stack = ev->stack;
		if (a->wait == DL_LOCK && a->w_obj == ev->obj) {
			if (!stack)
				stack = a->w_stack;
			a->wait = DL_NONE;
		}
		h = dl_find(a, ev->obj);
		if (h) {
			h->depth++;
			return;
		}
		dl_push(a, ev->obj, ev->kind, ev->op & HBT_OP_READ, stack);
		return;
	case HBT_REC_FAIL:
		a = an_kind_is_lock(ev->kind) ? dl_ev_actor(s, ev) : NULL;
		if (a && a->wait == DL_LOCK && a->w_obj == ev->obj)
			a->wait = DL_NONE;
		return;
	case HBT_REC_RELEASE:
		if (!an_kind_is_lock(ev->kind) || ev->err)
			return;
		a = dl_ev_actor(s, ev);
		h = a ? dl_find(a, ev->obj) : NULL;
		if (!h && (ev->kind == HBT_OBJ_PY_LOCK ||
			   ev->kind == HBT_OBJ_AIO_LOCK)) {
			/* released by another thread or task: legal */
			uint32_t i;

			for (i = 0; i < s->nactors && !h; i++) {
				a = &s->actors[i];
				h = dl_find(a, ev->obj);
			}
		}
		if (!h)
			return;
		if (h->depth > 1)
			h->depth--;
		else
			dl_pop(a, h);
		return;
	case HBT_REC_COND_WAIT:
		a = dl_ev_actor(s, ev);
		if (!a)
			return;
		a->cond_stack = ev->stack;
		h = dl_find(a, ev->obj2);
		if (h)
			dl_pop(a, h);
		return;
	case HBT_REC_COND_WAKE:
		a = dl_ev_actor(s, ev);
		if (a && ev->obj2 && !dl_find(a, ev->obj2))
			dl_push(a, ev->obj2,
				ev->kind == HBT_OBJ_COND ? HBT_OBJ_MUTEX
							 : HBT_OBJ_PY_LOCK,
				false, a->cond_stack);
		return;
	case HBT_REC_JOIN_REQUEST:
		a = dl_ev_actor(s, ev);
		if (!a || !ev->obj || (ev->op & HBT_OP_TRY))
			return;
		a->wait = DL_JOIN;
		a->w_obj = ev->obj;
		a->w_kind = HBT_OBJ_THREAD;
		a->w_stack = ev->stack;
		return;
	case HBT_REC_JOIN:
		a = dl_ev_actor(s, ev);
		if (a && a->wait == DL_JOIN)
			a->wait = DL_NONE;
		return;
	case HBT_REC_THREAD_END:
		a = dl_actor(s, ev->thread, 0);
		if (a && ev->op != 2) {
			a->ended = true;
			a->wait = DL_NONE;
		}
		return;
	case HBT_REC_DEADLOCK:
		/* the watchdog saw thread obj2 stuck on obj */
		a = dl_actor(s, (uint32_t)ev->obj2,
			     an_task_of(&s->tasks, (uint32_t)ev->obj2));
		if (a && a->wait == DL_NONE && ev->obj) {
			a->wait = DL_LOCK;
			a->w_obj = ev->obj;
			a->w_kind = HBT_OBJ_MUTEX;
		}
		return;
	default:
		return;
	}
}

/* ---- waits-for cycles -------------------------------------------------- */

struct dl_finish {
	struct dl_state *s;
	struct analysis_ctx *ctx;
	uint32_t path[DL_MAX_CYCLE];
	uint32_t depth;
	int err;
};

/* Does actor b block actor a (a waits for something b holds)? */
static bool dl_blocks(struct dl_state *s, const struct dl_actor *a,
		      struct dl_actor *b)
{
	const struct dl_held *h;

	if (a->wait == DL_JOIN)
		return !b->task && b->thread == a->w_obj && !b->ended;
	if (a->wait != DL_LOCK)
		return false;
	h = dl_find(b, a->w_obj);
	if (!h)
		return false;
	if (a == b)
		return !dl_recursive(s, a->w_obj, a->w_kind);
	return !(h->read && a->w_read);
}

static char *dl_obj_name(struct dl_finish *F, uint64_t obj, uint8_t kind)
{
	uint32_t *v = u64map_find(&F->s->lock_map, obj);

	if (kind == HBT_OBJ_THREAD) {
		char *t;

		if (asprintf(&t, "thread T%llu", (unsigned long long)obj) < 0)
			return NULL;
		return t;
	}
	uint32_t site = v ? F->s->locks[*v].site_stack : 0, i;

	/* a lock without OBJ_INIT is named by where a holder took it */
	for (i = 0; !site && i < F->s->nactors; i++) {
		const struct dl_held *h = dl_find(&F->s->actors[i], obj);

		if (h)
			site = h->stack;
	}
	return an_lock_name(F->ctx, obj, v ? F->s->locks[*v].kind : kind, site);
}

static int dl_report(struct dl_finish *F, uint32_t first, uint32_t n)
{
	struct dl_state *s = F->s;
	struct finding *f = finding_new(FK_DEADLOCK);
	char *names[DL_MAX_CYCLE] = {0};
	uint32_t i, r, start = 0, k;
	char *msg = NULL;
	int err = -ENOMEM, ret;

	if (!f)
		return -ENOMEM;
	f->is_error = true;
	f->predicted = false;
	for (i = 0; i < n; i++) {
		struct dl_actor *a = &s->actors[F->path[first + i]];

		names[i] = dl_obj_name(F, a->w_obj, a->w_kind);
		if (!names[i])
			goto out;
		a->in_cycle = true;
	}
	for (i = 1; i < n; i++)
		if (strcmp(names[i], names[start]) < 0)
			start = i;
	if (an_number_duplicates(names, n) < 0)
		goto out;
	for (r = 0; r < n; r++) {
		struct dl_actor *a, *next;
		char *held = NULL, *action, *tmp;

		i = (start + r) % n;
		a = &s->actors[F->path[first + i]];
		next = &s->actors[F->path[first + (i + 1) % n]];
		if (a->wait == DL_LOCK &&
		    an_add_lock_named(f, a->w_obj, a->w_kind, names[i]) < 0)
			goto out;
		if (an_add_thread(f, F->ctx, a->thread, a->task) < 0)
			goto out;
		for (k = 0; k < a->nheld; k++) {
			char *hn =
				dl_obj_name(F, a->held[k].obj, a->held[k].kind);

			if (!hn)
				goto out;
			if (asprintf(&tmp, "%s%s%s", held ? held : "",
				     held ? ", " : "", hn) < 0)
				tmp = NULL;
			free(hn);
			free(held);
			held = tmp;
			if (!held)
				goto out;
		}
		if (a == next)
			ret = asprintf(
				&action,
				"wait for %s it already holds (not recursive)",
				names[i]);
		else
			ret = asprintf(&action, "wait for %s%s%s", names[i],
				       held ? " while holding " : "",
				       held ? held : "");
		if (ret < 0)
			action = NULL;
		free(held);
		if (!action)
			goto out;
		err = an_add_step(f, F->ctx, a->thread, a->task, action,
				  a->w_stack);
		free(action);
		if (err < 0)
			goto out;
		err = -ENOMEM;
		/* where the waited-for lock was taken by its holder */
		if (a->wait == DL_LOCK) {
			const struct dl_held *h = dl_find(next, a->w_obj);

			if (h && h->stack && a != next) {
				if (asprintf(&action, "acquired %s here",
					     names[i]) < 0)
					goto out;
				err = an_add_step(f, F->ctx, next->thread,
						  next->task, action, h->stack);
				free(action);
				if (err < 0)
					goto out;
				err = -ENOMEM;
			}
		}
	}
	{
		size_t len = 32;
		char *p;

		for (i = 0; i < n; i++)
			len += strlen(names[i]) + 40;
		msg = malloc(len);
		if (!msg)
			goto out;
		p = msg + sprintf(msg, "deadlock: ");
		for (r = 0; r < n; r++) {
			struct dl_actor *a;

			i = (start + r) % n;
			a = &s->actors[F->path[first + i]];
			p += sprintf(p, "%sT%u waits for %s", r ? ", " : "",
				     a->thread, names[i]);
		}
		f->message = msg;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return an_emit(F->ctx, f);
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	finding_free(f);
	return err;
}

static void dl_dfs(struct dl_finish *F, uint32_t ai)
{
	struct dl_state *s = F->s;
	struct dl_actor *a = &s->actors[ai];
	uint32_t j, k;

	if (F->err || F->depth >= DL_MAX_CYCLE)
		return;
	a->color = 1;
	F->path[F->depth++] = ai;
	for (j = 0; j < s->nactors && !F->err; j++) {
		struct dl_actor *b = &s->actors[j];

		if (!dl_blocks(s, a, b))
			continue;
		if (b->color == 1) {
			for (k = 0; k < F->depth && F->path[k] != j; k++)
				;
			if (!b->in_cycle)
				F->err = dl_report(F, k, F->depth - k);
		} else if (b->color == 0 && b->wait != DL_NONE) {
			dl_dfs(F, j);
		}
	}
	F->depth--;
	a->color = 2;
}

static int dl_finish(void *state, struct analysis_ctx *ctx)
{
	struct dl_state *s = state;
	struct dl_finish F = {.s = s, .ctx = ctx};
	uint32_t i;

	for (i = 0; i < s->nactors && !F.err; i++)
		if (s->actors[i].wait != DL_NONE && !s->actors[i].color)
			dl_dfs(&F, i);
	return F.err;
}

const struct analysis_ops analysis_deadlock = {
	.name = "deadlock",
	.lane = 1,
	.init = dl_init,
	.event = dl_event,
	.finish = dl_finish,
	.destroy = dl_destroy,
};
