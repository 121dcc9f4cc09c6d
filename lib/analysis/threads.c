// SPDX-License-Identifier: MIT
/*
 * threads.c - "unjoined-thread": a thread created with pthread_create and
 * neither joined nor detached by the end of the trace, whether it had
 * finished or was still running.  Only threads the program created (a
 * THREAD_CREATE record) count, so the runtime's own watchdog thread, which
 * is never recorded as created, never shows up.  A thread still running
 * when the trace ends is not reported if the program was stopped in a
 * deadlock or its creator was still blocked joining (it never reached
 * its joins).  The step points at the create site.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis/common.h"
#include "analyze.h"

struct th_child {
	uint32_t parent;
	uint32_t stack;
	bool created, joined, detached, ended;
};

struct th_state {
	struct th_child *kids; /* by child serial */
	uint32_t cap;
	uint64_t *joining; /* by serial: child of a pending JOIN_REQUEST */
	uint32_t jcap;
};

static void *th_init(const struct analysis_options *opts)
{
	(void)opts;
	return calloc(1, sizeof(struct th_state));
}

static void th_destroy(void *state)
{
	struct th_state *s = state;

	if (s) {
		free(s->kids);
		free(s->joining);
	}
	free(s);
}

static struct th_child *th_child(struct th_state *s, uint64_t serial)
{
	if (!serial || !an_serial_ok(serial) ||
	    an_grow((void **)&s->kids, &s->cap, (uint32_t)serial + 1,
		    sizeof(*s->kids)) < 0)
		return NULL;
	return &s->kids[serial];
}

static void th_event(void *state, const struct hbt_event *ev)
{
	struct th_state *s = state;
	struct th_child *c;

	switch (ev->type) {
	case HBT_REC_THREAD_CREATE:
		c = ev->err ? NULL : th_child(s, ev->obj);
		if (c) {
			c->created = true;
			c->parent = ev->thread;
			c->stack = ev->stack;
		}
		return;
	case HBT_REC_JOIN_REQUEST:
		if (an_serial_ok(ev->thread) &&
		    an_grow((void **)&s->joining, &s->jcap, ev->thread + 1,
			    sizeof(*s->joining)) == 0)
			s->joining[ev->thread] = ev->obj ? ev->obj : 1;
		return;
	case HBT_REC_JOIN:
		if (ev->thread < s->jcap)
			s->joining[ev->thread] = 0;
		c = ev->outcome == HBT_OUT_OK ? th_child(s, ev->obj) : NULL;
		if (c)
			c->joined = true;
		return;
	case HBT_REC_DETACH:
		c = ev->err ? NULL : th_child(s, ev->obj);
		if (c)
			c->detached = true;
		return;
	case HBT_REC_THREAD_END:
		c = th_child(s, ev->thread);
		if (c && ev->op != 2)
			c->ended = true;
		return;
	default:
		return;
	}
}

static int th_finish(void *state, struct analysis_ctx *ctx)
{
	struct th_state *s = state;
	bool deadlocked =
		ctx->reader &&
		(hbt_reader_header(ctx->reader)->flags & HBT_HDR_DEADLOCK);
	uint32_t i;
	int err;

	for (i = 1; i < s->cap; i++) {
		struct th_child *c = &s->kids[i];
		struct finding *f;
		char *action = NULL, *msg = NULL;

		if (!c->created || c->joined || c->detached)
			continue;
		/* A program stopped in a deadlock, or whose creator was
		 * still joining, never reached its joins: not its bug. */
		if (!c->ended && (deadlocked || (c->parent < s->jcap &&
						 s->joining[c->parent])))
			continue;
		f = finding_new(FK_UNJOINED_THREAD);
		if (!f)
			return -ENOMEM;
		f->is_error = false;
		if (asprintf(&action, "create T%u, never joined nor detached%s",
			     i,
			     c->ended ? "" : " (still running at exit)") < 0 ||
		    asprintf(&msg,
			     "thread T%u created by T%u is never joined nor "
			     "detached",
			     i, c->parent) < 0) {
			finding_free(f);
			return -ENOMEM;
		}
		f->message = msg;
		err = an_add_thread(f, ctx, i, 0);
		if (!err)
			err = an_add_step(f, ctx, c->parent, 0, action,
					  c->stack);
		free(action);
		if (err < 0) {
			finding_free(f);
			return err;
		}
		err = an_emit(ctx, f);
		if (err < 0)
			return err;
	}
	return 0;
}

const struct analysis_ops analysis_threads = {
	.name = "threads",
	.init = th_init,
	.event = th_event,
	.finish = th_finish,
	.destroy = th_destroy,
};
