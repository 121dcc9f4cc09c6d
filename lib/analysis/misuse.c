// SPDX-License-Identifier: MIT
/*
 * misuse.c - wrong uses of the lock APIs ("api-misuse", with a detail):
 *
 *   unlock-not-held           unlock of a mutex not locked, or locked by
 *                             another thread (error; a Python/asyncio Lock
 *                             may be released by anyone, so only "not
 *                             locked" counts for those)
 *   errorcheck-relock         relock of an ERRORCHECK mutex by its owner
 *   destroy-locked            destroy of a locked mutex
 *   destroy-cond-with-waiters destroy of a condition threads wait on
 *   destroy-rwlock-held       destroy of a held rwlock
 *   cond-wait-mutex-not-held  condition wait with a mutex not held
 *   cond-multiple-mutexes     concurrent waits on one condition with
 *                             different mutexes
 *   rwlock-unlock-not-held    rwlock unlock by a thread holding nothing
 *                             (readers are counted, not named)
 *   thread-exit-holding-locks a thread (not main at exit) ends holding locks
 *   sem-destroy-with-waiters  destroy of a semaphore threads wait on
 *
 * Every misuse is remembered once per (detail, object, call site) while
 * reading; findings are built (and symbolized) at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analyze.h"

#define MU_MAX_REPORTS 1000

enum mu_detail {
	MU_UNLOCK_NOT_HELD,
	MU_ERRORCHECK_RELOCK,
	MU_DESTROY_LOCKED,
	MU_DESTROY_COND_WAITERS,
	MU_DESTROY_RWLOCK_HELD,
	MU_COND_WAIT_NOT_HELD,
	MU_COND_MULTIPLE_MUTEXES,
	MU_RWLOCK_UNLOCK_NOT_HELD,
	MU_THREAD_EXIT_HOLDING,
	MU_SEM_DESTROY_WAITERS,
};

static const char *const mu_detail_names[] = {
	[MU_UNLOCK_NOT_HELD] = "unlock-not-held",
	[MU_ERRORCHECK_RELOCK] = "errorcheck-relock",
	[MU_DESTROY_LOCKED] = "destroy-locked",
	[MU_DESTROY_COND_WAITERS] = "destroy-cond-with-waiters",
	[MU_DESTROY_RWLOCK_HELD] = "destroy-rwlock-held",
	[MU_COND_WAIT_NOT_HELD] = "cond-wait-mutex-not-held",
	[MU_COND_MULTIPLE_MUTEXES] = "cond-multiple-mutexes",
	[MU_RWLOCK_UNLOCK_NOT_HELD] = "rwlock-unlock-not-held",
	[MU_THREAD_EXIT_HOLDING] = "thread-exit-holding-locks",
	[MU_SEM_DESTROY_WAITERS] = "sem-destroy-with-waiters",
};

struct mu_obj {
	uint64_t obj;
	uint8_t kind;
	uint8_t mtype;
	uint32_t site_stack;
	uint32_t acq_stack; /* last exclusive acquisition */
	uint64_t owner;	    /* actor key of the exclusive holder, 0 = none */
	uint32_t depth;
	uint32_t readers;
	uint32_t waiters; /* cond / sem waiters */
	uint64_t assoc;	  /* cond: mutex of the current waiters */
};

struct mu_report {
	enum mu_detail detail;
	uint64_t obj, obj2;
	uint8_t kind;
	uint32_t thread;
	uint64_t task;
	uint32_t stack;
	uint64_t owner; /* other holder, for the message */
};

struct mu_thread {
	uint64_t pending; /* sem / lock being waited for */
	uint32_t pending_stack;
	bool relock_reported;
};

struct mu_state {
	struct an_tasks tasks;
	struct u64map obj_map, seen;
	struct an_refmap refs; /* reader's objref -> objs index + 1 */
	struct mu_obj *objs;
	uint32_t nobjs, objs_cap;
	struct mu_thread *threads;
	uint32_t threads_cap;
	struct mu_report *reps;
	uint32_t nreps, reps_cap;
};

static void *mu_init(const struct analysis_options *opts)
{
	(void)opts;
	return calloc(1, sizeof(struct mu_state));
}

static void mu_destroy(void *state)
{
	struct mu_state *s = state;

	if (!s)
		return;
	u64map_free(&s->obj_map);
	an_refmap_free(&s->refs);
	u64map_free(&s->seen);
	an_tasks_free(&s->tasks);
	free(s->objs);
	free(s->threads);
	free(s->reps);
	free(s);
}

static struct mu_obj *mu_obj_new(struct mu_state *s, uint64_t obj,
				 uint8_t kind);

static inline struct mu_obj *mu_obj(struct mu_state *s, uint64_t obj,
				    uint8_t kind)
{
	uint32_t *v = u64map_find(&s->obj_map, obj);

	return v ? &s->objs[*v] : mu_obj_new(s, obj, kind);
}

/* The object of a lock REQUEST, ACQUIRE or RELEASE: numbered by the
 * merge (hbt_event.objref). */
static inline struct mu_obj *mu_ev_obj(struct mu_state *s,
				       const struct hbt_event *ev)
{
	uint32_t ix = an_ref_get(&s->refs, ev->objref);
	struct mu_obj *o;

	if (ix)
		return &s->objs[ix - 1];
	o = mu_obj(s, ev->obj, ev->kind);
	if (o)
		an_ref_set(&s->refs, ev->objref, (uint32_t)(o - s->objs));
	return o;
}

static struct mu_obj *mu_obj_new(struct mu_state *s, uint64_t obj, uint8_t kind)
{
	bool created;
	int64_t i = an_intern(&s->obj_map, obj, (void **)&s->objs, &s->nobjs,
			      &s->objs_cap, sizeof(*s->objs), &created);
	struct mu_obj *o;

	if (i < 0)
		return NULL;
	o = &s->objs[i];
	if (created) {
		o->obj = obj;
		o->kind = kind;
		o->mtype = HBT_MUTEX_DEFAULT;
	}
	return o;
}

static struct mu_thread *mu_thread(struct mu_state *s, uint32_t serial)
{
	if (!an_serial_ok(serial) ||
	    an_grow((void **)&s->threads, &s->threads_cap, serial + 1,
		    sizeof(*s->threads)) < 0)
		return NULL;
	return &s->threads[serial];
}

static void mu_report(struct mu_state *s, enum mu_detail d,
		      const struct hbt_event *ev, const struct mu_obj *o,
		      uint32_t stack)
{
	uint64_t key = ((uint64_t)d * 0x9e3779b97f4a7c15ull) ^ o->obj ^
		       ((uint64_t)stack << 40) ^ ((uint64_t)stack >> 24);
	struct mu_report *r;
	bool created;

	if (s->nreps >= MU_MAX_REPORTS ||
	    !u64map_put(&s->seen, key, 1, &created) || !created)
		return;
	if (an_grow((void **)&s->reps, &s->reps_cap, s->nreps + 1,
		    sizeof(*s->reps)) < 0)
		return;
	r = &s->reps[s->nreps++];
	r->detail = d;
	r->obj = o->obj;
	r->kind = o->kind;
	r->thread = ev->thread;
	r->task = an_task_of(&s->tasks, ev->thread);
	r->stack = stack;
	r->owner = o->owner;
	r->obj2 = ev->type == HBT_REC_COND_WAIT ? ev->obj2 : 0;
}

static bool mu_recursive(const struct mu_obj *o)
{
	return o->kind == HBT_OBJ_PY_RLOCK ||
	       (o->mtype & 0xf) == HBT_MUTEX_RECURSIVE;
}

static bool mu_any_releaser(uint8_t kind)
{
	return kind == HBT_OBJ_PY_LOCK || kind == HBT_OBJ_AIO_LOCK;
}

static void mu_release(struct mu_state *s, const struct hbt_event *ev,
		       struct mu_obj *o, uint64_t actor)
{
	bool held = o->owner == actor || (o->owner && mu_any_releaser(o->kind));

	if (o->kind == HBT_OBJ_RWLOCK) {
		if (o->owner == actor) {
			o->owner = 0;
		} else if (o->readers) {
			o->readers--;
		} else {
			mu_report(s, MU_RWLOCK_UNLOCK_NOT_HELD, ev, o,
				  ev->stack);
		}
		return;
	}
	if (!held || ev->err == EPERM) {
		mu_report(s, MU_UNLOCK_NOT_HELD, ev, o, ev->stack);
		return;
	}
	if (o->depth > 1) {
		o->depth--;
		return;
	}
	o->owner = 0;
	o->depth = 0;
}

static void mu_event(void *state, const struct hbt_event *ev)
{
	struct mu_state *s = state;
	struct mu_thread *t;
	struct mu_obj *o;
	uint64_t actor;
	uint32_t i, stack;

	switch (ev->type) {
	case HBT_REC_TASK_STEP:
	case HBT_REC_TASK_SUSPEND:
	case HBT_REC_TASK_DONE:
		an_tasks_event(&s->tasks, ev);
		return;
	case HBT_REC_OBJ_INIT:
		o = mu_obj(s, ev->obj, ev->kind);
		if (!o)
			return;
		memset(o, 0, sizeof(*o));
		o->obj = ev->obj;
		o->kind = ev->kind;
		o->mtype = (uint8_t)ev->arg;
		o->site_stack = ev->stack;
		return;
	case HBT_REC_OBJ_DESTROY:
		o = mu_obj(s, ev->obj, ev->kind);
		if (!o)
			return;
		switch (ev->kind) {
		case HBT_OBJ_MUTEX:
		case HBT_OBJ_SPIN:
			if (o->owner || ev->err == EBUSY)
				mu_report(s, MU_DESTROY_LOCKED, ev, o,
					  ev->stack);
			break;
		case HBT_OBJ_RWLOCK:
			if (o->owner || o->readers || ev->err == EBUSY)
				mu_report(s, MU_DESTROY_RWLOCK_HELD, ev, o,
					  ev->stack);
			break;
		case HBT_OBJ_COND:
			if (o->waiters || ev->err == EBUSY)
				mu_report(s, MU_DESTROY_COND_WAITERS, ev, o,
					  ev->stack);
			break;
		case HBT_OBJ_SEM:
			if (o->waiters || ev->err == EBUSY)
				mu_report(s, MU_SEM_DESTROY_WAITERS, ev, o,
					  ev->stack);
			break;
		default:
			break;
		}
		/* a destroyed object starts over if its memory is reused;
		 * blocked waiters keep their count.  A refused destroy
		 * (EBUSY) changed nothing. */
		if (ev->err)
			return;
		o->owner = 0;
		o->depth = 0;
		o->readers = 0;
		return;
	case HBT_REC_REQUEST:
		t = mu_thread(s, ev->thread);
		o = t ? mu_ev_obj(s, ev) : NULL;
		if (!o)
			return;
		t->pending = ev->obj;
		t->pending_stack = ev->stack;
		t->relock_reported = false;
		if (ev->kind == HBT_OBJ_SEM) {
			o->waiters++;
			return;
		}
		actor = an_actor_key(ev->thread,
				     an_task_of(&s->tasks, ev->thread));
		if (o->kind == HBT_OBJ_MUTEX && o->owner == actor &&
		    (o->mtype & 0xf) == HBT_MUTEX_ERRORCHECK) {
			mu_report(s, MU_ERRORCHECK_RELOCK, ev, o, ev->stack);
			t->relock_reported = true;
		}
		return;
	case HBT_REC_FAIL:
		t = mu_thread(s, ev->thread);
		o = t ? mu_obj(s, ev->obj, ev->kind) : NULL;
		if (!o)
			return;
		if (ev->kind == HBT_OBJ_SEM && t->pending == ev->obj &&
		    o->waiters)
			o->waiters--;
		if (ev->kind == HBT_OBJ_MUTEX && ev->err == EDEADLK &&
		    !(t->pending == ev->obj && t->relock_reported))
			mu_report(s, MU_ERRORCHECK_RELOCK, ev, o,
				  ev->stack		  ? ev->stack
				  : t->pending == ev->obj ? t->pending_stack
							  : 0);
		t->pending = 0;
		return;
	case HBT_REC_ACQUIRE:
		t = mu_thread(s, ev->thread);
		o = t ? mu_ev_obj(s, ev) : NULL;
		if (!o)
			return;
		stack = ev->stack;
		if (t->pending == ev->obj) {
			if (ev->kind == HBT_OBJ_SEM && o->waiters)
				o->waiters--;
			t->pending = 0;
			if (!stack)
				stack = t->pending_stack;
		}
		if (!an_kind_is_lock(ev->kind))
			return;
		if (!o->site_stack)
			o->site_stack = stack;
		actor = an_actor_key(ev->thread,
				     an_task_of(&s->tasks, ev->thread));
		if (ev->op & HBT_OP_READ) {
			o->readers++;
		} else if (o->owner == actor && mu_recursive(o)) {
			o->depth++;
		} else {
			o->owner = actor;
			o->depth = 1;
			o->acq_stack = stack;
		}
		return;
	case HBT_REC_RELEASE:
		if (!an_kind_is_lock(ev->kind))
			return;
		o = mu_ev_obj(s, ev);
		if (!o)
			return;
		mu_release(s, ev, o,
			   an_actor_key(ev->thread,
					an_task_of(&s->tasks, ev->thread)));
		return;
	case HBT_REC_COND_WAIT: {
		struct mu_obj *m;

		o = mu_obj(s, ev->obj, ev->kind);
		m = o ? mu_obj(s, ev->obj2, HBT_OBJ_MUTEX) : NULL;
		if (!m)
			return;
		o = &s->objs[*u64map_find(&s->obj_map, ev->obj)];
		actor = an_actor_key(ev->thread,
				     an_task_of(&s->tasks, ev->thread));
		if (ev->kind == HBT_OBJ_COND && m->owner != actor)
			mu_report(s, MU_COND_WAIT_NOT_HELD, ev, m, ev->stack);
		if (ev->kind == HBT_OBJ_COND && o->waiters &&
		    o->assoc != ev->obj2)
			mu_report(s, MU_COND_MULTIPLE_MUTEXES, ev, o,
				  ev->stack);
		o->assoc = ev->obj2;
		o->waiters++;
		if (m->owner == actor) {
			m->owner = 0;
			m->depth = 0;
		}
		return;
	}
	case HBT_REC_COND_WAKE: {
		struct mu_obj *m;

		o = mu_obj(s, ev->obj, ev->kind);
		m = o ? mu_obj(s, ev->obj2, HBT_OBJ_MUTEX) : NULL;
		if (!m)
			return;
		o = &s->objs[*u64map_find(&s->obj_map, ev->obj)];
		if (o->waiters)
			o->waiters--;
		m->owner = an_actor_key(ev->thread,
					an_task_of(&s->tasks, ev->thread));
		m->depth = 1;
		return;
	}
	case HBT_REC_THREAD_END:
		/* 'arg' is the runtime's count of locks still held: the scan
		 * runs only for a thread that really left holding some */
		if (ev->op == 2 || ev->thread == 1 || !ev->arg)
			return;
		actor = an_actor_key(ev->thread, 0);
		for (i = 0; i < s->nobjs; i++) {
			o = &s->objs[i];
			if (o->owner == actor && an_kind_is_lock(o->kind) &&
			    o->kind < HBT_OBJ_PY_LOCK) {
				mu_report(s, MU_THREAD_EXIT_HOLDING, ev, o,
					  o->acq_stack);
				/* the lock is gone with it as far as the
				 * program can tell: do not report it again as
				 * an unlock by another thread */
			}
		}
		return;
	default:
		return;
	}
}

static int mu_finish(void *state, struct analysis_ctx *ctx)
{
	struct mu_state *s = state;
	uint32_t i, *v;
	int err;

	for (i = 0; i < s->nreps; i++) {
		struct mu_report *r = &s->reps[i];
		struct finding *f = finding_new(FK_API_MISUSE);
		const char *dn = mu_detail_names[r->detail];
		char *name, *msg = NULL, *action = NULL, *m2 = NULL;
		uint32_t site;

		if (!f)
			return -ENOMEM;
		v = u64map_find(&s->obj_map, r->obj);
		site = v ? s->objs[*v].site_stack : 0;
		f->is_error = r->detail == MU_UNLOCK_NOT_HELD;
		f->detail = strdup(dn);
		name = an_lock_name(ctx, r->obj, r->kind, site);
		if (r->obj2) {
			uint32_t *v2 = u64map_find(&s->obj_map, r->obj2);

			m2 = an_lock_name(ctx, r->obj2, HBT_OBJ_MUTEX,
					  v2 ? s->objs[*v2].site_stack : 0);
		}
		err = -ENOMEM;
		if (!f->detail || !name)
			goto fail;
		switch (r->detail) {
		case MU_UNLOCK_NOT_HELD:
		case MU_RWLOCK_UNLOCK_NOT_HELD:
			if (r->owner && !(r->owner & AN_TASK_BIT))
				err = asprintf(&action, "unlock %s held by T%u",
					       name, (unsigned)r->owner);
			else
				err = asprintf(&action,
					       "unlock %s, which is not locked",
					       name);
			break;
		case MU_ERRORCHECK_RELOCK:
			err = asprintf(
				&action,
				"relock error-checking %s it already holds",
				name);
			break;
		case MU_COND_WAIT_NOT_HELD:
			err = asprintf(&action,
				       "wait on a condition with %s not held",
				       name);
			break;
		case MU_COND_MULTIPLE_MUTEXES:
			err = asprintf(&action,
				       "wait on %s with %s while others wait "
				       "with another mutex",
				       name, m2 ? m2 : "?");
			break;
		case MU_THREAD_EXIT_HOLDING:
			err = asprintf(&action,
				       "exit holding %s, acquired here", name);
			break;
		default:
			err = asprintf(
				&action, "destroy %s while %s", name,
				r->detail == MU_DESTROY_COND_WAITERS ||
						r->detail ==
							MU_SEM_DESTROY_WAITERS
					? "threads wait on it"
					: "it is held");
			break;
		}
		if (err < 0) {
			action = NULL;
			err = -ENOMEM;
			goto fail;
		}
		if (asprintf(&msg, "%s: %s", dn, action) < 0) {
			msg = NULL;
			err = -ENOMEM;
			goto fail;
		}
		f->message = msg;
		if (an_add_lock(f, ctx, r->obj, r->kind, site) < 0 ||
		    an_add_thread(f, ctx, r->thread, r->task) < 0)
			goto fail;
		err = an_add_step(f, ctx, r->thread, r->task, action, r->stack);
		if (err < 0)
			goto fail;
		free(action);
		free(name);
		free(m2);
		err = an_emit(ctx, f);
		if (err < 0)
			return err;
		continue;
	fail:
		free(action);
		free(name);
		free(m2);
		finding_free(f);
		return err;
	}
	return 0;
}

const struct analysis_ops analysis_misuse = {
	.name = "api-misuse",
	.init = mu_init,
	.event = mu_event,
	.finish = mu_finish,
	.destroy = mu_destroy,
};
