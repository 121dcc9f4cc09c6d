// SPDX-License-Identifier: MIT
/*
 * py_tasks.c - asyncio findings from the task records of the CPython
 * front-end:
 *
 *  - unawaited-task: one per task (or coroutine) the front-end said it
 *    left behind (TASK_LEFT): pending when asyncio.run() finished, the
 *    loop closed or the interpreter exited ("pending-at-exit"), garbage
 *    collected while pending ("destroyed-pending"), failed with nobody
 *    retrieving the exception ("exception-never-retrieved"), or a
 *    coroutine object that was never awaited ("never-awaited").  The
 *    front-end decides at the moment it knows (it sees the task objects),
 *    so this only turns its verdicts into findings.
 *
 *  - loop-stall: a LOOP_STALL record at or over the threshold, one
 *    finding per place (the id ignores durations).
 *
 *  - deadlock, the two shapes the lock analyses cannot see because one
 *    edge of the cycle is not a lock wait:
 *      a task awaits another task (await, gather) that waits for a lock
 *      the first one holds (a cycle through at least one await edge; pure
 *      lock cycles are deadlock.c's);
 *      a task blocks its loop's thread on a threading lock held by a task
 *      that is suspended on that same loop (it can never run again to
 *      release it).
 *    Both are judged on the state at the end of the trace, which is when
 *    the front-end stopped the program.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analyze.h"

#define PT_MAX_AWAITED 8
#define PT_MAX_CYCLE   32

struct pt_task {
	uint64_t id;
	uint64_t parent; /* creating task, 0 = created outside a task */
	uint32_t thread; /* where it last ran */
	uint32_t create_stack;
	uint32_t suspend_stack; /* where it last suspended */
	uint32_t left_stack;
	uint8_t left; /* TASK_LEFT reason, 0 = none */
	bool done, running;
	/* a lock it waits for (asyncio or threading), 0 = none */
	uint64_t w_obj;
	uint8_t w_kind;
	uint32_t w_stack;
	uint64_t awaited[PT_MAX_AWAITED];
	uint32_t nawaited;
	uint32_t await_stack;
	bool await_fresh; /* next TASK_AWAIT starts a new set */
	uint8_t color;
};

struct pt_lock {
	uint64_t obj;
	uint8_t kind;
	uint32_t thread; /* holder */
	uint64_t task;	 /* holding task, 0 = a thread outside tasks */
	uint32_t stack;	 /* where it was taken */
	uint32_t depth;
	uint32_t site;
};

struct pt_stall {
	uint64_t task;
	uint32_t thread;
	uint64_t ns;
	uint32_t stack;
};

struct pt_state {
	uint64_t stall_ns;
	struct an_tasks run;
	struct u64map task_map, lock_map;
	struct pt_task *tasks;
	uint32_t ntasks, tasks_cap;
	struct pt_lock *locks;
	uint32_t nlocks, locks_cap;
	struct pt_stall *stalls;
	uint32_t nstalls, stalls_cap;
	/* threads blocked on a threading lock outside any task */
	struct pt_task *thread_waits;
	uint32_t thread_waits_cap;
};

static void *pt_init(const struct analysis_options *opts)
{
	struct pt_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->stall_ns = opts && opts->loop_stall_ns ? opts->loop_stall_ns
						  : 100000000ull;
	u64map_init(&s->task_map);
	u64map_init(&s->lock_map);
	return s;
}

static void pt_destroy(void *state)
{
	struct pt_state *s = state;

	if (!s)
		return;
	an_tasks_free(&s->run);
	u64map_free(&s->task_map);
	u64map_free(&s->lock_map);
	free(s->tasks);
	free(s->locks);
	free(s->stalls);
	free(s->thread_waits);
	free(s);
}

static struct pt_task *pt_task(struct pt_state *s, uint64_t id)
{
	uint32_t *v;
	bool created;

	if (!id)
		return NULL;
	v = u64map_put(&s->task_map, id, s->ntasks, &created);
	if (!v)
		return NULL;
	if (!created)
		return &s->tasks[*v];
	if (an_grow((void **)&s->tasks, &s->tasks_cap, s->ntasks + 1,
		    sizeof(*s->tasks)) < 0) {
		/* keep the map consistent: point at a slot that will not
		 * exist; lookups check the bound */
		*v = UINT32_MAX;
		return NULL;
	}
	s->tasks[s->ntasks].id = id;
	return &s->tasks[s->ntasks++];
}

static struct pt_task *pt_task_find(struct pt_state *s, uint64_t id)
{
	uint32_t *v = id ? u64map_find(&s->task_map, id) : NULL;

	return v && *v < s->ntasks ? &s->tasks[*v] : NULL;
}

static struct pt_lock *pt_lock(struct pt_state *s, uint64_t obj, uint8_t kind)
{
	uint32_t *v;
	bool created;

	v = u64map_put(&s->lock_map, obj, s->nlocks, &created);
	if (!v)
		return NULL;
	if (!created)
		return *v < s->nlocks ? &s->locks[*v] : NULL;
	if (an_grow((void **)&s->locks, &s->locks_cap, s->nlocks + 1,
		    sizeof(*s->locks)) < 0) {
		*v = UINT32_MAX;
		return NULL;
	}
	s->locks[s->nlocks].obj = obj;
	s->locks[s->nlocks].kind = kind;
	return &s->locks[s->nlocks++];
}

static bool pt_py_lock(uint8_t kind)
{
	return kind == HBT_OBJ_AIO_LOCK || kind == HBT_OBJ_PY_LOCK ||
	       kind == HBT_OBJ_PY_RLOCK;
}

/* The waiter record of the actor of 'ev': its task, or its thread. */
static struct pt_task *pt_waiter(struct pt_state *s, const struct hbt_event *ev)
{
	uint64_t task = an_task_of(&s->run, ev->thread);

	if (task)
		return pt_task(s, task);
	if (an_grow((void **)&s->thread_waits, &s->thread_waits_cap,
		    ev->thread + 1, sizeof(*s->thread_waits)) < 0)
		return NULL;
	s->thread_waits[ev->thread].thread = ev->thread;
	return &s->thread_waits[ev->thread];
}

static void pt_event(void *state, const struct hbt_event *ev)
{
	struct pt_state *s = state;
	struct pt_task *t;
	struct pt_lock *l;
	struct pt_stall *st;

	switch (ev->type) {
	case HBT_REC_TASK_CREATE:
		t = pt_task(s, ev->obj);
		if (t) {
			t->create_stack = ev->stack;
			t->thread = ev->thread;
			t->parent = ev->obj2;
		}
		return;
	case HBT_REC_TASK_STEP:
		an_tasks_event(&s->run, ev);
		t = pt_task(s, ev->obj);
		if (t) {
			t->thread = ev->thread;
			t->running = true;
			t->await_fresh = true;
		}
		return;
	case HBT_REC_TASK_SUSPEND:
		an_tasks_event(&s->run, ev);
		t = pt_task(s, ev->obj);
		if (t) {
			t->running = false;
			t->suspend_stack = ev->stack;
		}
		return;
	case HBT_REC_TASK_DONE:
		an_tasks_event(&s->run, ev);
		t = pt_task(s, ev->obj);
		if (t) {
			t->running = false;
			t->done = true;
			t->nawaited = 0;
		}
		return;
	case HBT_REC_TASK_AWAIT:
		t = pt_task(s, ev->obj);
		if (!t)
			return;
		if (t->await_fresh) {
			t->nawaited = 0;
			t->await_fresh = false;
			t->await_stack = ev->stack;
		}
		if (t->nawaited < PT_MAX_AWAITED)
			t->awaited[t->nawaited++] = ev->obj2;
		return;
	case HBT_REC_TASK_LEFT:
		t = pt_task(s, ev->obj);
		if (t && !t->left) {
			t->left = ev->op;
			t->left_stack = ev->stack;
		}
		return;
	case HBT_REC_LOOP_STALL:
		if (ev->arg < s->stall_ns ||
		    an_grow((void **)&s->stalls, &s->stalls_cap, s->nstalls + 1,
			    sizeof(*s->stalls)) < 0)
			return;
		st = &s->stalls[s->nstalls++];
		st->task = ev->obj;
		st->thread = ev->thread;
		st->ns = ev->arg;
		st->stack = ev->stack;
		return;
	case HBT_REC_OBJ_INIT:
		if (pt_py_lock(ev->kind)) {
			l = pt_lock(s, ev->obj, ev->kind);
			if (l)
				l->site = ev->stack;
		}
		return;
	case HBT_REC_REQUEST:
		if (!pt_py_lock(ev->kind))
			return;
		t = pt_waiter(s, ev);
		if (t) {
			t->w_obj = ev->obj;
			t->w_kind = ev->kind;
			t->w_stack = ev->stack;
		}
		return;
	case HBT_REC_ACQUIRE:
	case HBT_REC_FAIL:
		if (!pt_py_lock(ev->kind))
			return;
		t = pt_waiter(s, ev);
		if (t && t->w_obj == ev->obj)
			t->w_obj = 0;
		if (ev->type == HBT_REC_FAIL)
			return;
		l = pt_lock(s, ev->obj, ev->kind);
		if (!l)
			return;
		if (l->depth && l->thread == ev->thread &&
		    l->task == an_task_of(&s->run, ev->thread)) {
			l->depth++;
			return;
		}
		l->thread = ev->thread;
		l->task = an_task_of(&s->run, ev->thread);
		l->stack = ev->stack ? ev->stack : (t ? t->w_stack : 0);
		l->depth = 1;
		if (!l->site)
			l->site = l->stack;
		return;
	case HBT_REC_RELEASE:
		if (!pt_py_lock(ev->kind) || ev->err)
			return;
		l = pt_lock(s, ev->obj, ev->kind);
		if (l && l->depth)
			l->depth--;
		return;
	default:
		return;
	}
}

/* ---- findings ---------------------------------------------------------- */

static const char *pt_left_detail(uint8_t why)
{
	switch (why) {
	case 1:
	case 2:
		return "pending-at-exit";
	case 3:
		return "destroyed-pending";
	case 4:
		return "exception-never-retrieved";
	default:
		return "never-awaited";
	}
}

/* The coroutine's name of a task (or coroutine id), malloc'ed or NULL. */
static char *pt_coro_name(struct analysis_ctx *ctx, uint64_t task)
{
	uint32_t name = 0, coro = 0;
	const char *c;

	if (hbt_reader_task_name(ctx->reader, task, &name, &coro) < 0 || !coro)
		return NULL;
	c = hbt_reader_string(ctx->reader, coro);
	return c ? strdup(c) : NULL;
}

static int pt_report_left(struct analysis_ctx *ctx, struct pt_task *t)
{
	struct finding *f = finding_new(FK_UNAWAITED_TASK);
	char *tn, *cn, *msg = NULL, *act = NULL;
	const char *what;
	int err = -ENOMEM;

	if (!f)
		return -ENOMEM;
	f->is_error = t->left == 4;
	f->detail = strdup(pt_left_detail(t->left));
	tn = t->left == 5 ? NULL : an_task_name(ctx, t->id);
	cn = pt_coro_name(ctx, t->id);
	switch (t->left) {
	case 1:
	case 2:
		what = "is still pending when its loop ends: nobody awaits or "
		       "cancels it";
		break;
	case 3:
		what = "was destroyed while pending (no reference kept)";
		break;
	case 4:
		what = "failed and nobody retrieved its exception";
		break;
	default:
		what = "was never awaited: its code never ran";
		break;
	}
	if (t->left == 5) {
		if (asprintf(&msg, "coroutine %s() %s", cn ? cn : "?", what) <
		    0)
			msg = NULL;
	} else if (asprintf(&msg, "task %s (%s()) %s", tn ? tn : "?",
			    cn ? cn : "?", what) < 0) {
		msg = NULL;
	}
	if (!msg || !f->detail)
		goto out;
	f->message = msg;
	msg = NULL;
	err = an_add_thread(f, ctx, t->thread ? t->thread : 1,
			    t->left == 5 ? 0 : t->id);
	if (err < 0)
		goto out;
	if (t->left != 5 && t->create_stack) {
		if (asprintf(&act,
			     t->left == 4 ? "create task %s, which fails; "
					    "nobody retrieves "
					    "its exception"
					  : "create task %s",
			     tn ? tn : "?") < 0)
			goto nomem;
		err = an_add_step(f, ctx, t->thread ? t->thread : 1,
				  t->parent, act, t->create_stack);
		free(act);
		act = NULL;
		if (err < 0)
			goto out;
	}
	if (t->left != 4 && (t->left_stack || !t->create_stack)) {
		if (t->left == 5)
			err = asprintf(&act,
				       "drop coroutine %s() without "
				       "awaiting it",
				       cn ? cn : "?");
		else
			err = asprintf(&act, "stay pending at this await");
		if (err < 0)
			goto nomem;
		err = an_add_step(f, ctx, t->thread ? t->thread : 1,
				  t->left == 5 ? 0 : t->id, act, t->left_stack);
		free(act);
		if (err < 0)
			goto out;
	}
	free(tn);
	free(cn);
	return an_emit(ctx, f);
nomem:
	err = -ENOMEM;
out:
	free(msg);
	free(tn);
	free(cn);
	finding_free(f);
	return err;
}

static int pt_report_stall(struct analysis_ctx *ctx, struct pt_stall *st)
{
	struct finding *f = finding_new(FK_LOOP_STALL);
	char *tn = an_task_name(ctx, st->task),
	     *cn = pt_coro_name(ctx, st->task);
	char *msg = NULL, *act = NULL;
	int err = -ENOMEM;

	if (!f)
		goto out;
	f->is_error = false;
	if (asprintf(&msg,
		     "%s%s%s%s%s blocked the event loop for %" PRIu64
		     " ms in one step",
		     cn ? cn : "a callback", cn ? "()" : "", tn ? " (" : "",
		     tn ? tn : "", tn ? ")" : "", st->ns / 1000000) < 0) {
		msg = NULL;
		goto out;
	}
	f->message = msg;
	msg = NULL;
	if (asprintf(&act, "run %" PRIu64 " ms without awaiting",
		     st->ns / 1000000) < 0) {
		act = NULL;
		goto out;
	}
	err = an_add_thread(f, ctx, st->thread, st->task);
	if (!err)
		err = an_add_step(f, ctx, st->thread, st->task, act, st->stack);
	if (err < 0)
		goto out;
	free(act);
	free(tn);
	free(cn);
	return an_emit(ctx, f);
out:
	free(act);
	free(msg);
	free(tn);
	free(cn);
	if (f)
		finding_free(f);
	return err;
}

/* Holder task of the lock 't' waits for, or NULL. */
static struct pt_task *pt_holder(struct pt_state *s, struct pt_task *t)
{
	uint32_t *v;
	struct pt_lock *l;

	if (!t->w_obj)
		return NULL;
	v = u64map_find(&s->lock_map, t->w_obj);
	if (!v || *v >= s->nlocks)
		return NULL;
	l = &s->locks[*v];
	if (!l->depth || !l->task)
		return NULL;
	return pt_task_find(s, l->task);
}

static struct pt_lock *pt_lock_find(struct pt_state *s, uint64_t obj)
{
	uint32_t *v = u64map_find(&s->lock_map, obj);

	return v && *v < s->nlocks ? &s->locks[*v] : NULL;
}

static int pt_lock_step(struct finding *f, struct analysis_ctx *ctx,
			struct pt_state *s, struct pt_task *t,
			const char *fmt_wait, uint64_t holder_task)
{
	struct pt_lock *l = pt_lock_find(s, t->w_obj);
	char *ln = an_lock_name(ctx, t->w_obj, t->w_kind, l ? l->site : 0);
	char *hn = an_task_name(ctx, holder_task), *act = NULL;
	int err;

	if (!ln || asprintf(&act, fmt_wait, ln, hn ? hn : "?") < 0) {
		free(ln);
		free(hn);
		return -ENOMEM;
	}
	err = an_add_lock(f, ctx, t->w_obj, t->w_kind, l ? l->site : 0);
	if (!err)
		err = an_add_step(f, ctx, t->thread, t->id, act, t->w_stack);
	free(act);
	free(ln);
	free(hn);
	return err;
}

/* A cycle of tasks through at least one await edge. */
static int pt_report_cycle(struct analysis_ctx *ctx, struct pt_state *s,
			   struct pt_task **cyc, uint32_t n)
{
	struct finding *f = finding_new(FK_DEADLOCK);
	char *msg = NULL, *names = NULL, *p;
	uint32_t i;
	int err = 0;

	if (!f)
		return -ENOMEM;
	f->is_error = true;
	f->detail = strdup("await-cycle");
	for (i = 0; i < n && !err; i++) {
		struct pt_task *t = cyc[i], *next = cyc[(i + 1) % n];
		char *tn = an_task_name(ctx, t->id), *nn;

		err = an_add_thread(f, ctx, t->thread, t->id);
		if (err) {
			free(tn);
			break;
		}
		if (t->w_obj) {
			err = pt_lock_step(f, ctx, s, t,
					   "wait for %s held by %s", next->id);
		} else {
			char *act = NULL;

			nn = an_task_name(ctx, next->id);
			if (asprintf(&act, "await %s", nn ? nn : "?") < 0)
				err = -ENOMEM;
			else
				err = an_add_step(f, ctx, t->thread, t->id, act,
						  t->suspend_stack
							  ? t->suspend_stack
							  : t->await_stack);
			free(act);
			free(nn);
		}
		if (!err) {
			if (asprintf(&p, "%s%s%s", names ? names : "",
				     names ? " -> " : "", tn ? tn : "?") < 0)
				err = -ENOMEM;
			else {
				free(names);
				names = p;
			}
		}
		free(tn);
	}
	if (!err && asprintf(&msg,
			     "tasks wait for each other through an "
			     "await and a lock: %s",
			     names) < 0)
		err = -ENOMEM;
	free(names);
	if (err || !f->detail) {
		free(msg);
		finding_free(f);
		return err ? err : -ENOMEM;
	}
	f->message = msg;
	return an_emit(ctx, f);
}

/* Next task in the waits-for graph of 't' (first pending awaited task, or
 * the holder of the lock it waits for). */
static struct pt_task *pt_next(struct pt_state *s, struct pt_task *t,
			       uint32_t k)
{
	struct pt_task *u;

	if (t->done)
		return NULL;
	if (t->w_obj)
		return k == 0 ? pt_holder(s, t) : NULL;
	if (t->running || k >= t->nawaited)
		return NULL;
	u = pt_task_find(s, t->awaited[k]);
	return u && !u->done ? u : NULL;
}

static int pt_find_cycles(struct analysis_ctx *ctx, struct pt_state *s)
{
	struct pt_task *path[PT_MAX_CYCLE];
	uint32_t i, d, k, j;
	int err;

	for (i = 0; i < s->ntasks; i++)
		s->tasks[i].color = 0;
	for (i = 0; i < s->ntasks; i++) {
		struct pt_task *t = &s->tasks[i];
		bool any_await = false;

		if (!t->w_obj || t->color)
			continue;
		/* follow a chain: lock wait -> holder, await -> first pending
		 * awaited task with an outgoing edge */
		d = 0;
		while (t && d < PT_MAX_CYCLE) {
			for (j = 0; j < d; j++)
				if (path[j] == t)
					break;
			if (j < d) {
				struct pt_task **cyc = &path[j];
				uint32_t n = d - j, m;

				for (m = 0; m < n; m++)
					if (!cyc[m]->w_obj)
						any_await = true;
				if (any_await) {
					err = pt_report_cycle(ctx, s, cyc, n);
					if (err < 0)
						return err;
				}
				break;
			}
			if (t->color)
				break;
			path[d++] = t;
			if (t->w_obj) {
				t = pt_next(s, t, 0);
				continue;
			}
			for (k = 0; k < t->nawaited; k++) {
				struct pt_task *u = pt_next(s, t, k);

				if (u && (u->w_obj || u->nawaited))
					break;
			}
			t = pt_next(s, t, k);
		}
		for (j = 0; j < d; j++)
			path[j]->color = 1;
	}
	return 0;
}

/* A task blocks its loop's thread on a threading lock that a task
 * suspended on the same thread holds. */
static int pt_report_loop_block(struct analysis_ctx *ctx, struct pt_state *s,
				struct pt_task *w, struct pt_lock *l)
{
	struct finding *f = finding_new(FK_DEADLOCK);
	char *ln = an_lock_name(ctx, l->obj, l->kind, l->site);
	char *hn = an_task_name(ctx, l->task), *wn = an_task_name(ctx, w->id);
	char *msg = NULL, *act = NULL;
	int err = -ENOMEM;

	if (!f || !ln)
		goto out;
	f->is_error = true;
	f->detail = strdup("loop-blocked");
	if (!f->detail ||
	    asprintf(&msg,
		     "%s blocks the event loop thread T%u on %s, held by "
		     "%s which is suspended on that loop and cannot run to "
		     "release it",
		     wn ? wn : "a callback", w->thread, ln, hn ? hn : "?") < 0)
		goto out;
	f->message = msg;
	err = an_add_lock(f, ctx, l->obj, l->kind, l->site);
	if (!err)
		err = an_add_thread(f, ctx, l->thread, l->task);
	if (!err)
		err = an_add_thread(f, ctx, w->thread, w->id);
	if (err)
		goto out;
	if (asprintf(&act, "acquire %s, then suspend at an await holding it",
		     ln) < 0)
		goto nomem;
	err = an_add_step(f, ctx, l->thread, l->task, act, l->stack);
	free(act);
	if (err)
		goto out;
	if (asprintf(&act, "block the loop thread waiting for %s", ln) < 0)
		goto nomem;
	err = an_add_step(f, ctx, w->thread, w->id, act, w->w_stack);
	free(act);
	if (err)
		goto out;
	free(ln);
	free(hn);
	free(wn);
	return an_emit(ctx, f);
nomem:
	err = -ENOMEM;
out:
	free(ln);
	free(hn);
	free(wn);
	if (f)
		finding_free(f);
	return err;
}

static int pt_check_loop_block(struct analysis_ctx *ctx, struct pt_state *s,
			       struct pt_task *w)
{
	struct pt_lock *l;
	struct pt_task *h;

	if (!w->w_obj || w->w_kind == HBT_OBJ_AIO_LOCK)
		return 0;
	l = pt_lock_find(s, w->w_obj);
	if (!l || !l->depth || !l->task || l->task == w->id ||
	    l->thread != w->thread)
		return 0;
	h = pt_task_find(s, l->task);
	if (!h || h->done || h->running)
		return 0;
	return pt_report_loop_block(ctx, s, w, l);
}

static int pt_finish(void *state, struct analysis_ctx *ctx)
{
	struct pt_state *s = state;
	uint32_t i;
	int err;

	for (i = 0; i < s->ntasks; i++) {
		struct pt_task *t = &s->tasks[i];

		if (!t->left)
			continue;
		err = pt_report_left(ctx, t);
		if (err < 0)
			return err;
	}
	for (i = 0; i < s->nstalls; i++) {
		err = pt_report_stall(ctx, &s->stalls[i]);
		if (err < 0)
			return err;
	}
	err = pt_find_cycles(ctx, s);
	if (err < 0)
		return err;
	for (i = 0; i < s->ntasks; i++) {
		err = pt_check_loop_block(ctx, s, &s->tasks[i]);
		if (err < 0)
			return err;
	}
	for (i = 0; i < s->thread_waits_cap; i++) {
		if (!s->thread_waits[i].thread)
			continue;
		err = pt_check_loop_block(ctx, s, &s->thread_waits[i]);
		if (err < 0)
			return err;
	}
	return 0;
}

const struct analysis_ops analysis_py_tasks = {
	.name = "py-tasks",
	.features = HBT_FEAT_PYTHON,
	.init = pt_init,
	.event = pt_event,
	.finish = pt_finish,
	.destroy = pt_destroy,
};
