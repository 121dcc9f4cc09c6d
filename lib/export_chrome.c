// SPDX-License-Identifier: MIT
/*
 * export_chrome.c - a trace as Chrome trace-event JSON (see export.h).
 *
 * Two passes over the trace: the first completes the definitions (names
 * and stacks may come after their first use) and notes where each object
 * was created, so the second can name every lock as the reports do
 * (an_lock_name()).  Flow arrows bind to slices: Perfetto attaches an "s"
 * or "f" event to the slice enclosing its timestamp, so each endpoint
 * sits strictly inside a slice (a hold, a wait, or a short marker slice
 * emitted for that purpose).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analysis/lockorder_merge.h"
#include "analyze.h"
#include "export.h"
#include "gate_json.h"
#include "symbolize.h"

#define CH_EPS	0.0002 /* µs: inside a marker, which lasts CH_MARK */
#define CH_MARK 0.0005
/* Task tracks: steps on BASE + i, the task's lock holds and waits on
 * LOCKS + i (a hold spans awaits, so it cannot nest inside steps). */
#define CH_TASK_TID_BASE   1000000
#define CH_TASK_LOCKS_BASE 2000000

struct ch_obj {
	uint64_t obj;
	uint8_t kind;
	uint32_t site;
	char *name;
	/* last release, for release -> acquire arrows */
	uint32_t rel_thread;
	double rel_ts;
};

struct ch_hold {
	uint64_t obj;
	double ts;
};

struct ch_thread {
	struct ch_hold *held;
	uint32_t nheld, cap;
	uint64_t req_obj; /* pending REQUEST, 0 = none */
	uint8_t req_kind;
	double req_ts;
	double join_req_ts;
	bool join_req;
	double cond_ts;
	uint64_t cond_obj;
	bool in_cond;
	/* create -> start and end -> join arrows */
	uint32_t creator;
	double create_ts, end_ts;
	bool created, ended, seen;
	uint64_t running; /* asyncio task running a step here, 0 = none */
};

struct ch_post {
	uint64_t obj, seq;
	uint32_t thread;
	double ts;
};

struct ch_task {
	uint64_t task;
	double step_ts;
	bool in_step;
	bool locks_track;     /* its "Task-2 locks" track is named */
	struct ch_thread act; /* holds and waits of the task, its track */
};

/* A step of a lock-order or deadlock finding, to be marked where its
 * thread takes one of the finding's locks while holding another. */
struct ch_mark {
	const struct finding *f;
	const struct finding_step *step;
	uint32_t serial;
	bool done;
};

struct chrome {
	FILE *out;
	struct analysis_ctx ctx;
	int pid;
	bool python;	/* CPython front-end active: hide interpreter locks */
	uint32_t track; /* tid of the track the current sync event goes on */
	size_t *nout;	/* events written, shared by all traces */
	uint64_t *flow_id; /* flow ids, unique over all traces */
	double ts, t0;
	bool have_t0;
	struct u64map objmap;
	struct ch_obj *objs;
	uint32_t nobjs, objcap;
	struct ch_thread *threads;
	uint32_t nthreads; /* indexed by serial */
	struct u64map postmap;
	struct ch_post *posts;
	uint32_t nposts, postcap;
	struct u64map taskmap;
	struct ch_task *tasks;
	uint32_t ntasks, taskcap;
	struct ch_mark *marks;
	size_t nmarks;
	int err;
};

static struct ch_obj *ch_obj(struct chrome *c, uint64_t obj, uint8_t kind)
{
	bool created;
	uint32_t *slot = u64map_put(&c->objmap, obj, c->nobjs, &created);

	if (!slot)
		goto nomem;
	if (!created)
		return &c->objs[*slot];
	if (an_grow((void **)&c->objs, &c->objcap, c->nobjs + 1,
		    sizeof(*c->objs)) < 0)
		goto nomem;
	memset(&c->objs[c->nobjs], 0, sizeof(c->objs[0]));
	c->objs[c->nobjs].obj = obj;
	c->objs[c->nobjs].kind = kind;
	return &c->objs[c->nobjs++];
nomem:
	c->err = -ENOMEM;
	return NULL;
}

static const char *ch_name(struct chrome *c, struct ch_obj *o)
{
	if (!o->name)
		o->name = an_lock_name(&c->ctx, o->obj, o->kind, o->site);
	return o->name ? o->name : "?";
}

static struct ch_thread *ch_thread(struct chrome *c, uint32_t serial)
{
	if (serial >= c->nthreads) {
		uint32_t n = serial + 16;
		struct ch_thread *t = realloc(c->threads, n * sizeof(*t));

		if (!t) {
			c->err = -ENOMEM;
			return NULL;
		}
		memset(t + c->nthreads, 0, (n - c->nthreads) * sizeof(*t));
		c->threads = t;
		c->nthreads = n;
	}
	c->threads[serial].seen = true;
	return &c->threads[serial];
}

static uint64_t post_key(uint64_t obj, uint64_t seq)
{
	return (obj * 0x9e3779b97f4a7c15ull) ^ (seq + 1);
}

/* ---- JSON events ---------------------------------------------------- */

static void ev_begin(struct chrome *c)
{
	fputs((*c->nout)++ ? ",\n" : "\n", c->out);
}

static void ev_slice(struct chrome *c, uint32_t tid, const char *cat,
		     const char *verb, const char *what, double ts, double end)
{
	ev_begin(c);
	fprintf(c->out,
		"{\"ph\": \"X\", \"pid\": %d, \"tid\": %" PRIu32
		", \"ts\": %.4f, \"dur\": %.4f, \"cat\": \"%s\", \"name\": ",
		c->pid, tid, ts, end > ts ? end - ts : CH_MARK, cat);
	if (what) {
		char *s = NULL;

		if (asprintf(&s, "%s %s", verb, what) < 0)
			s = NULL;
		gate_json_str(c->out, s ? s : verb);
		free(s);
		fputs(", \"args\": {\"object\": ", c->out);
		gate_json_str(c->out, what);
		fputs("}}", c->out);
	} else {
		gate_json_str(c->out, verb);
		fputs("}", c->out);
	}
}

static void ev_flow(struct chrome *c, const char *name, uint32_t from_tid,
		    double from_ts, uint32_t to_tid, double to_ts)
{
	uint64_t id = ++*c->flow_id;

	ev_begin(c);
	fprintf(c->out,
		"{\"ph\": \"s\", \"pid\": %d, \"tid\": %" PRIu32
		", \"ts\": %.4f, \"id\": %" PRIu64
		", \"cat\": \"hb\", \"name\": \"%s\"}",
		c->pid, from_tid, from_ts, id, name);
	ev_begin(c);
	fprintf(c->out,
		"{\"ph\": \"f\", \"bp\": \"e\", \"pid\": %d, \"tid\": %" PRIu32
		", \"ts\": %.4f, \"id\": %" PRIu64
		", \"cat\": \"hb\", \"name\": \"%s\"}",
		c->pid, to_tid, to_ts, id, name);
}

static void ev_meta(struct chrome *c, const char *what, uint32_t tid,
		    const char *name, long sort)
{
	ev_begin(c);
	fprintf(c->out,
		"{\"ph\": \"M\", \"pid\": %d, \"tid\": %" PRIu32
		", \"name\": \"%s\", \"args\": {\"name\": ",
		c->pid, tid, what);
	gate_json_str(c->out, name);
	fputs("}}", c->out);
	if (sort >= 0) {
		ev_begin(c);
		fprintf(c->out,
			"{\"ph\": \"M\", \"pid\": %d, \"tid\": %" PRIu32
			", \"name\": \"thread_sort_index\", "
			"\"args\": {\"sort_index\": %ld}}",
			c->pid, tid, sort);
	}
}

/* ---- the second pass: one event at a time --------------------------- */

static void ch_acquire_lock(struct chrome *c, struct ch_thread *t,
			    const struct hbt_event *ev, struct ch_obj *o)
{
	if (ev->op & HBT_OP_RECURSIVE)
		return;
	if (o->rel_thread && o->rel_thread != c->track)
		ev_flow(c, "release-acquire", o->rel_thread, o->rel_ts - CH_EPS,
			c->track, c->ts + CH_EPS);
	if (an_grow((void **)&t->held, &t->cap, t->nheld + 1,
		    sizeof(*t->held)) < 0) {
		c->err = -ENOMEM;
		return;
	}
	t->held[t->nheld].obj = ev->obj;
	t->held[t->nheld].ts = c->ts;
	t->nheld++;
}

static void ch_release(struct chrome *c, struct ch_thread *t,
		       const struct hbt_event *ev)
{
	struct ch_obj *o = ch_obj(c, ev->obj, ev->kind);

	if (!o || (ev->op & HBT_OP_RECURSIVE))
		return;
	for (uint32_t i = t->nheld; i-- > 0;) {
		if (t->held[i].obj != ev->obj)
			continue;
		ev_slice(c, c->track, "lock", "hold", ch_name(c, o),
			 t->held[i].ts, c->ts);
		memmove(&t->held[i], &t->held[i + 1],
			(t->nheld - i - 1) * sizeof(*t->held));
		t->nheld--;
		break;
	}
	o->rel_thread = c->track;
	o->rel_ts = c->ts;
}

/* A post (sem_post, cond signal, Event.set ...): marker + remembered. */
static void ch_post(struct chrome *c, const struct hbt_event *ev)
{
	struct ch_obj *o = ch_obj(c, ev->obj, ev->kind);
	bool created;
	uint32_t *slot;

	if (!o)
		return;
	ev_slice(c, c->track, "sync", "post", ch_name(c, o), c->ts,
		 c->ts + CH_MARK);
	slot = u64map_put(&c->postmap, post_key(ev->obj, ev->seq), c->nposts,
			  &created);
	if (!slot || an_grow((void **)&c->posts, &c->postcap, c->nposts + 1,
			     sizeof(*c->posts)) < 0) {
		c->err = -ENOMEM;
		return;
	}
	if (!created) /* seen twice (broadcast counters): keep the first */
		return;
	c->posts[c->nposts].obj = ev->obj;
	c->posts[c->nposts].seq = ev->seq;
	c->posts[c->nposts].thread = c->track;
	c->posts[c->nposts].ts = c->ts;
	c->nposts++;
}

/* An arrow from the post that 'seq' observed to a marker here. */
static void ch_observe(struct chrome *c, const struct hbt_event *ev,
		       uint64_t obj, uint64_t seq, const char *verb)
{
	struct ch_obj *o = ch_obj(c, obj, ev->kind);
	uint32_t *slot;

	if (!o)
		return;
	ev_slice(c, c->track, "sync", verb, ch_name(c, o), c->ts,
		 c->ts + CH_MARK);
	if (!seq)
		return;
	slot = u64map_find(&c->postmap, post_key(obj, seq));
	if (slot && c->posts[*slot].obj == obj && c->posts[*slot].seq == seq &&
	    c->posts[*slot].thread != c->track)
		ev_flow(c, "post-wait", c->posts[*slot].thread,
			c->posts[*slot].ts + CH_EPS, c->track, c->ts + CH_EPS);
}

static struct ch_task *ch_task(struct chrome *c, uint64_t task)
{
	bool created;
	uint32_t *slot = u64map_put(&c->taskmap, task, c->ntasks, &created);
	char *name = NULL;

	if (!slot)
		goto nomem;
	if (!created)
		return &c->tasks[*slot];
	if (an_grow((void **)&c->tasks, &c->taskcap, c->ntasks + 1,
		    sizeof(*c->tasks)) < 0)
		goto nomem;
	memset(&c->tasks[c->ntasks], 0, sizeof(c->tasks[0]));
	c->tasks[c->ntasks].task = task;
	name = an_task_name(&c->ctx, task);
	ev_meta(c, "thread_name", CH_TASK_TID_BASE + c->ntasks,
		name ? name : "task", 100000 + 2 * (long)c->ntasks);
	free(name);
	return &c->tasks[c->ntasks++];
nomem:
	c->err = -ENOMEM;
	return NULL;
}

static void ch_task_end_step(struct chrome *c, uint64_t task)
{
	struct ch_task *tk = ch_task(c, task);

	if (!tk || !tk->in_step)
		return;
	ev_slice(c, CH_TASK_TID_BASE + (uint32_t)(tk - c->tasks), "task",
		 "step", NULL, tk->step_ts, c->ts);
	tk->in_step = false;
}

/*
 * Synchronization the user did not write: flagged by the runtime, or, in
 * a Python program, the interpreter's own pthread objects (the GIL and
 * friends: thousands of slices that bury the Python-level locks, which
 * have kinds of their own).
 */
static bool ch_hidden(const struct chrome *c, const struct hbt_event *ev)
{
	switch (ev->type) {
	case HBT_REC_OBJ_INIT:
	case HBT_REC_REQUEST:
	case HBT_REC_ACQUIRE:
	case HBT_REC_FAIL:
	case HBT_REC_RELEASE:
	case HBT_REC_POST:
	case HBT_REC_COND_WAIT:
	case HBT_REC_COND_WAKE:
		if (ev->op & HBT_OP_INTERNAL)
			return true;
		return c->python && ev->kind >= HBT_OBJ_MUTEX &&
		       ev->kind <= HBT_OBJ_BARRIER;
	default:
		return false;
	}
}

static bool ch_finding_has(const struct finding *f, const char *name)
{
	for (size_t i = 0; i < f->nlocks; i++)
		if (f->locks[i].name && !strcmp(f->locks[i].name, name))
			return true;
	return false;
}

/* 't' (on c->track) takes 'o': the step of a finding this is? */
static void ch_mark_steps(struct chrome *c, const struct hbt_event *ev,
			  struct ch_thread *t, struct ch_obj *o)
{
	for (size_t i = 0; i < c->nmarks; i++) {
		struct ch_mark *m = &c->marks[i];
		bool held = false;
		char *name = NULL;

		if (m->done || m->serial != ev->thread ||
		    !ch_finding_has(m->f, ch_name(c, o)))
			continue;
		if (m->step->task) { /* a task's step: that task must run */
			uint64_t task = c->threads[ev->thread].running;
			char *tn = task ? an_task_name(&c->ctx, task) : NULL;
			bool same = tn && !strcmp(tn, m->step->task);

			free(tn);
			if (!same)
				continue;
		}
		for (uint32_t j = 0; j < t->nheld && !held; j++) {
			struct ch_obj *h = ch_obj(c, t->held[j].obj, 0);

			held = h && h != o &&
			       ch_finding_has(m->f, ch_name(c, h));
		}
		if (!held)
			continue;
		m->done = true;
		if (asprintf(&name, "%s: %s", finding_kind_name(m->f->kind),
			     m->step->action ? m->step->action : "") < 0)
			name = NULL;
		ev_begin(c);
		fprintf(c->out,
			"{\"ph\": \"i\", \"s\": \"t\", \"pid\": %d, "
			"\"tid\": %" PRIu32 ", \"ts\": %.4f, "
			"\"cat\": \"finding\", \"name\": ",
			c->pid, c->track, c->ts);
		gate_json_str(c->out, name ? name : "finding");
		free(name);
		fputs(", \"args\": {\"id\": ", c->out);
		gate_json_str(c->out, m->f->id);
		fputs("}}", c->out);
		break; /* one acquisition is one step */
	}
}

static void ch_event(struct chrome *c, const struct hbt_event *ev)
{
	struct ch_thread *t = ch_thread(c, ev->thread), *child;
	struct ch_obj *o;
	double want;

	if (!t || ch_hidden(c, ev))
		return;
	/* strictly increasing times, in µs */
	if (ev->time_ns) {
		if (!c->have_t0) {
			c->t0 = (double)ev->time_ns / 1000.0 - c->ts;
			c->have_t0 = true;
		}
		want = (double)ev->time_ns / 1000.0 - c->t0;
	} else {
		want = c->ts + 1.0;
	}
	c->ts = want > c->ts + 0.001 ? want : c->ts + 0.001;

	/* a lock taken by an asyncio task belongs to the task (it stays
	 * held across awaits): its slices go on the task's track */
	c->track = ev->thread;
	if (t->running && ev->type >= HBT_REC_REQUEST &&
	    ev->type <= HBT_REC_COND_WAKE) {
		struct ch_task *tk = ch_task(c, t->running);

		if (tk) {
			uint32_t i = (uint32_t)(tk - c->tasks);

			c->track = CH_TASK_LOCKS_BASE + i;
			if (!tk->locks_track) {
				char *name = an_task_name(&c->ctx, tk->task);
				char buf[300];

				snprintf(buf, sizeof(buf), "%s locks",
					 name ? name : "task");
				free(name);
				ev_meta(c, "thread_name", c->track, buf,
					100001 + 2 * (long)i);
				tk->locks_track = true;
			}
			t = &tk->act;
		}
	}

	switch (ev->type) {
	case HBT_REC_OBJ_INIT:
		break;
	case HBT_REC_REQUEST:
		o = ch_obj(c, ev->obj, ev->kind);
		if (o && c->nmarks && an_kind_is_lock(ev->kind))
			ch_mark_steps(c, ev, t, o);
		t->req_obj = ev->obj;
		t->req_kind = ev->kind;
		t->req_ts = c->ts;
		break;
	case HBT_REC_ACQUIRE:
	case HBT_REC_FAIL:
		o = ch_obj(c, ev->obj, ev->kind);
		if (!o)
			return;
		if (t->req_obj == ev->obj) {
			ev_slice(c, c->track, "wait",
				 ev->type == HBT_REC_FAIL ? "wait (failed)"
							  : "wait",
				 ch_name(c, o), t->req_ts, c->ts);
			t->req_obj = 0;
		}
		if (ev->type == HBT_REC_FAIL)
			break;
		if (an_kind_is_lock(ev->kind)) {
			if (c->nmarks && !(ev->op & HBT_OP_REQUESTED))
				ch_mark_steps(c, ev, t, o);
			ch_acquire_lock(c, t, ev, o);
		} else
			ch_observe(c, ev, ev->obj, ev->seq, "acquire");
		break;
	case HBT_REC_RELEASE:
		ch_release(c, t, ev);
		break;
	case HBT_REC_POST:
		ch_post(c, ev);
		break;
	case HBT_REC_COND_WAIT:
		ch_release(c, t,
			   &(struct hbt_event){.type = HBT_REC_RELEASE,
					       .thread = ev->thread,
					       .obj = ev->obj2,
					       .kind = HBT_OBJ_MUTEX});
		t->in_cond = true;
		t->cond_ts = c->ts;
		t->cond_obj = ev->obj;
		break;
	case HBT_REC_COND_WAKE:
		o = ch_obj(c, ev->obj, ev->kind);
		if (o && t->in_cond)
			ev_slice(c, c->track, "wait", "cond wait",
				 ch_name(c, o), t->cond_ts, c->ts);
		t->in_cond = false;
		ch_observe(c, ev, ev->obj, ev->seq, "wake");
		/* the mutex is held again */
		o = ch_obj(c, ev->obj2, HBT_OBJ_MUTEX);
		if (o) {
			struct hbt_event acq = {.type = HBT_REC_ACQUIRE,
						.thread = ev->thread,
						.obj = ev->obj2,
						.kind = HBT_OBJ_MUTEX};
			ch_acquire_lock(c, t, &acq, o);
		}
		break;
	case HBT_REC_THREAD_CREATE:
		child = ch_thread(c, (uint32_t)ev->obj);
		if (!child)
			return;
		t = &c->threads[ev->thread]; /* may have moved */
		child->creator = ev->thread;
		child->create_ts = c->ts;
		child->created = true;
		{
			char what[32];

			snprintf(what, sizeof(what), "T%" PRIu64, ev->obj);
			ev_slice(c, ev->thread, "thread", "create", what, c->ts,
				 c->ts + CH_MARK);
		}
		break;
	case HBT_REC_THREAD_START:
		ev_slice(c, ev->thread, "thread", "thread start", NULL, c->ts,
			 c->ts + CH_MARK);
		if (t->created)
			ev_flow(c, "create-start", t->creator,
				t->create_ts + CH_EPS, ev->thread,
				c->ts + CH_EPS);
		break;
	case HBT_REC_THREAD_END:
		ev_slice(c, ev->thread, "thread", "thread end", NULL, c->ts,
			 c->ts + CH_MARK);
		t->ended = true;
		t->end_ts = c->ts;
		break;
	case HBT_REC_JOIN_REQUEST:
		t->join_req = true;
		t->join_req_ts = c->ts;
		break;
	case HBT_REC_JOIN: {
		char what[32];

		snprintf(what, sizeof(what), "T%" PRIu64, ev->obj);
		if (t->join_req)
			ev_slice(c, ev->thread, "wait", "join", what,
				 t->join_req_ts, c->ts);
		t->join_req = false;
		ev_slice(c, ev->thread, "thread", "joined", what, c->ts,
			 c->ts + CH_MARK);
		child = ev->obj ? ch_thread(c, (uint32_t)ev->obj) : NULL;
		if (child && child->ended)
			ev_flow(c, "end-join", (uint32_t)ev->obj,
				child->end_ts + CH_EPS, ev->thread,
				c->ts + CH_EPS);
		break;
	}
	case HBT_REC_DEADLOCK:
		o = ch_obj(c, ev->obj, HBT_OBJ_MUTEX);
		ev_begin(c);
		fprintf(c->out,
			"{\"ph\": \"i\", \"s\": \"t\", \"pid\": %d, "
			"\"tid\": %" PRIu64 ", \"ts\": %.4f, "
			"\"cat\": \"finding\", \"name\": ",
			c->pid, ev->obj2, c->ts);
		{
			char *s = NULL;

			if (asprintf(&s, "deadlock: waits for %s",
				     o ? ch_name(c, o) : "?") < 0)
				s = NULL;
			gate_json_str(c->out, s ? s : "deadlock");
			free(s);
		}
		fputs("}", c->out);
		break;
	case HBT_REC_TASK_STEP: {
		struct ch_task *tk = ch_task(c, ev->obj);

		if (tk) {
			tk->in_step = true;
			tk->step_ts = c->ts;
		}
		c->threads[ev->thread].running = ev->obj;
		break;
	}
	case HBT_REC_TASK_SUSPEND:
	case HBT_REC_TASK_DONE:
		ch_task_end_step(c, ev->obj);
		if (c->threads[ev->thread].running == ev->obj)
			c->threads[ev->thread].running = 0;
		break;
	default:
		break;
	}
}

/* Holds and waits still open at the end: a deadlock, or a cut trace. */
static void ch_close_actor(struct chrome *c, struct ch_thread *t, uint32_t tid)
{
	for (uint32_t i = 0; i < t->nheld; i++) {
		struct ch_obj *o = ch_obj(c, t->held[i].obj, 0);

		if (o)
			ev_slice(c, tid, "lock", "hold (never released)",
				 ch_name(c, o), t->held[i].ts, c->ts);
	}
	if (t->req_obj) {
		struct ch_obj *o = ch_obj(c, t->req_obj, t->req_kind);

		if (o)
			ev_slice(c, tid, "wait", "wait (never acquired)",
				 ch_name(c, o), t->req_ts, c->ts);
	}
}

/* Holds and waits still open at the end: a deadlock, or a cut trace. */
static void ch_close_open(struct chrome *c)
{
	for (uint32_t s = 0; s < c->nthreads; s++)
		ch_close_actor(c, &c->threads[s], s);
	for (uint32_t i = 0; i < c->ntasks; i++) {
		ch_close_actor(c, &c->tasks[i].act, CH_TASK_LOCKS_BASE + i);
		if (c->tasks[i].in_step)
			ch_task_end_step(c, c->tasks[i].task);
	}
}

/* The findings of this trace ('first': and those of no trace). */
static void ch_findings(struct chrome *c, const struct finding_list *l,
			bool first)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct finding *f = l->items[i];
		char *name = NULL;

		if (f->trace ? strcmp(f->trace, c->ctx.trace_path) : !first)
			continue;

		if (asprintf(&name, "%s: %s", finding_kind_name(f->kind),
			     f->message ? f->message : "") < 0)
			name = NULL;
		ev_begin(c);
		fprintf(c->out,
			"{\"ph\": \"i\", \"s\": \"g\", \"pid\": %d, "
			"\"tid\": 1, \"ts\": %.4f, \"cat\": \"finding\", "
			"\"name\": ",
			c->pid, c->ts + 1.0 + (double)i * 0.01);
		gate_json_str(c->out, name ? name : "finding");
		free(name);
		fputs(", \"args\": {\"id\": ", c->out);
		gate_json_str(c->out, f->id);
		fputs(", \"steps\": [", c->out);
		for (size_t j = 0; j < f->nsteps; j++) {
			char *s = NULL;

			if (asprintf(&s, "%s: %s",
				     f->steps[j].thread ? f->steps[j].thread
							: "?",
				     f->steps[j].action ? f->steps[j].action
							: "") < 0)
				s = NULL;
			if (j)
				fputs(", ", c->out);
			gate_json_str(c->out, s ? s : "");
			free(s);
		}
		fputs("]}}", c->out);
	}
}

static void ch_thread_names(struct chrome *c)
{
	const struct hbt_thread_info *ti;
	size_t n = hbt_reader_threads(c->ctx.reader, &ti);

	ev_meta(c, "process_name", 0,
		hbt_reader_header(c->ctx.reader)->exe[0]
			? hbt_reader_header(c->ctx.reader)->exe
			: "hbtrace",
		-1);
	for (size_t i = 0; i < n; i++) {
		const char *tn = ti[i].name ? hbt_reader_string(c->ctx.reader,
								ti[i].name)
					    : NULL;
		char buf[300];

		snprintf(buf, sizeof(buf), "T%" PRIu32 "%s%s", ti[i].serial,
			 tn ? " " : "", tn ? tn : "");
		ev_meta(c, "thread_name", ti[i].serial, buf, ti[i].serial);
	}
}

/* The steps of this trace's lock-order and deadlock findings whose
 * thread is "T<serial>" of this trace. */
static int ch_build_marks(struct chrome *c, const struct finding_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct finding *f = l->items[i];

		if ((f->kind != FK_LOCK_ORDER_CYCLE &&
		     f->kind != FK_DEADLOCK) ||
		    !f->trace || strcmp(f->trace, c->ctx.trace_path) ||
		    (f->detail && !strcmp(f->detail, "cross-trace")))
			continue;
		for (size_t j = 0; j < f->nsteps; j++) {
			unsigned serial;
			char rest;
			struct ch_mark *m;

			if (f->steps[j].context || !f->steps[j].thread ||
			    sscanf(f->steps[j].thread, "T%u%c", &serial,
				   &rest) != 1)
				continue;
			m = realloc(c->marks, (c->nmarks + 1) * sizeof(*m));
			if (!m)
				return -ENOMEM;
			c->marks = m;
			m = &c->marks[c->nmarks++];
			m->f = f;
			m->step = &f->steps[j];
			m->serial = serial;
			m->done = false;
		}
	}
	return 0;
}

/* One trace into the open traceEvents array. */
static int chrome_trace(const char *trace, FILE *out, size_t *nout,
			uint64_t *flow_id, int pid, double base,
			const struct finding_list *findings, bool first,
			char *err, size_t errlen)
{
	struct analysis_options opts = {.loop_stall_ns = 100000000ull};
	struct hbt_reader *r = NULL;
	struct chrome c;
	struct hbt_event ev;
	int ret;

	memset(&c, 0, sizeof(c));
	u64map_init(&c.objmap);
	u64map_init(&c.postmap);
	u64map_init(&c.taskmap);
	ret = hbt_reader_open(trace, &r);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open trace '%s': %s", trace,
			 r ? hbt_reader_error(r) : strerror(-ret));
		goto out;
	}
	/* pass 1: definitions and creation sites */
	while ((ret = hbt_reader_next(r, &ev)) > 0) {
		struct ch_obj *o;

		/* the front-end may not set HBT_FEAT_PYTHON: its records
		 * and object kinds tell as well */
		if ((ev.type >= HBT_REC_TASK_CREATE &&
		     ev.type <= HBT_REC_LOOP_STALL) ||
		    (ev.kind >= HBT_OBJ_PY_LOCK && ev.kind < HBT_OBJ_ATOMIC))
			c.python = true;
		if (ev.type != HBT_REC_OBJ_INIT && ev.type != HBT_REC_REQUEST &&
		    ev.type != HBT_REC_ACQUIRE)
			continue;
		o = ch_obj(&c, ev.obj, ev.kind);
		if (!o)
			break;
		if (o->kind == HBT_OBJ_NONE)
			o->kind = ev.kind;
		if (ev.type == HBT_REC_OBJ_INIT && ev.stack)
			o->site = ev.stack;
		else if (!o->site && ev.stack)
			o->site = ev.stack;
	}
	if (ret < 0 || c.err || (ret = hbt_reader_rewind(r)) < 0) {
		if (c.err)
			ret = c.err;
		snprintf(err, errlen, "cannot read trace '%s': %s", trace,
			 c.err ? strerror(-c.err) : hbt_reader_error(r));
		goto out;
	}
	c.out = out;
	c.nout = nout;
	c.flow_id = flow_id;
	c.ctx.reader = r;
	c.ctx.sym = symbolizer_new(r);
	c.ctx.opts = &opts;
	c.ctx.trace_path = trace;
	c.pid = pid;
	c.ts = base;
	if (hbt_reader_header(r)->features & HBT_FEAT_PYTHON)
		c.python = true;
	ret = ch_build_marks(&c, findings);
	if (ret < 0) {
		snprintf(err, errlen, "%s", strerror(-ret));
		goto out;
	}
	ch_thread_names(&c);
	while (!c.err && (ret = hbt_reader_next(r, &ev)) > 0)
		ch_event(&c, &ev);
	if (ret < 0 || c.err) {
		if (c.err)
			ret = c.err;
		snprintf(err, errlen, "cannot read trace '%s': %s", trace,
			 c.err ? strerror(-c.err) : hbt_reader_error(r));
		goto out;
	}
	ch_close_open(&c);
	ch_findings(&c, findings, first);
	ret = 0;
out:
	if (c.ctx.sym)
		symbolizer_free(c.ctx.sym);
	for (uint32_t i = 0; i < c.nobjs; i++)
		free(c.objs[i].name);
	for (uint32_t i = 0; i < c.nthreads; i++)
		free(c.threads[i].held);
	for (uint32_t i = 0; i < c.ntasks; i++)
		free(c.tasks[i].act.held);
	free(c.marks);
	free(c.objs);
	free(c.threads);
	free(c.posts);
	free(c.tasks);
	u64map_free(&c.objmap);
	u64map_free(&c.postmap);
	u64map_free(&c.taskmap);
	if (r)
		hbt_reader_close(r);
	return ret;
}

/* Header facts of each trace: pid (made unique) and wall-clock start. */
static int chrome_headers(const char *const *paths, size_t n, int *pids,
			  double *base, char *err, size_t errlen)
{
	uint64_t *start = calloc(n ? n : 1, sizeof(*start)), min = UINT64_MAX;

	if (!start)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct hbt_reader *r = NULL;
		int ret = hbt_reader_open(paths[i], &r);

		if (ret < 0) {
			snprintf(err, errlen, "cannot open trace '%s': %s",
				 paths[i],
				 r ? hbt_reader_error(r) : strerror(-ret));
			if (r)
				hbt_reader_close(r);
			free(start);
			return ret;
		}
		pids[i] = hbt_reader_header(r)->pid;
		start[i] = hbt_reader_header(r)->start_realtime_ns;
		if (start[i] && start[i] < min)
			min = start[i];
		hbt_reader_close(r);
		/* imported traces all say pid 1: keep processes apart */
		for (size_t j = 0; j < i; j++)
			if (pids[j] == pids[i]) {
				pids[i] = 1000000 + (int)i;
				break;
			}
	}
	/* processes of one suite side by side in wall-clock time */
	for (size_t i = 0; i < n; i++)
		base[i] = start[i] && min != UINT64_MAX
				  ? (double)(start[i] - min) / 1000.0
				  : 0.0;
	free(start);
	return 0;
}

int export_chrome_traces(const char *const *paths, size_t n, FILE *out,
			 char *err, size_t errlen)
{
	struct analysis_options opts = {.loop_stall_ns = 100000000ull};
	struct finding_list findings = {0};
	int *pids = calloc(n ? n : 1, sizeof(*pids));
	double *base = calloc(n ? n : 1, sizeof(*base));
	size_t nout = 0;
	uint64_t flow_id = 0;
	int ret;

	if (!pids || !base) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto out;
	}
	ret = analyze_traces(paths, n, &opts, &findings, err, errlen);
	if (ret < 0)
		goto out;
	ret = lockorder_merge_traces(paths, n, &opts, &findings, err, errlen);
	if (ret < 0)
		goto out;
	ret = chrome_headers(paths, n, pids, base, err, errlen);
	if (ret < 0)
		goto out;
	fputs("{\"displayTimeUnit\": \"ns\", \"otherData\": {\"tool\": "
	      "\"hbtrace\", \"traces\": [",
	      out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		gate_json_str(out, paths[i]);
	}
	fputs("]},\n\"traceEvents\": [", out);
	for (size_t i = 0; i < n && ret >= 0; i++)
		ret = chrome_trace(paths[i], out, &nout, &flow_id, pids[i],
				   base[i], &findings, i == 0, err, errlen);
	if (ret < 0)
		goto out;
	fputs("\n]}\n", out);
	ret = ferror(out) ? -EIO : 0;
	if (ret < 0)
		snprintf(err, errlen, "cannot write the timeline: %s",
			 strerror(EIO));
out:
	finding_list_free(&findings);
	free(pids);
	free(base);
	return ret;
}

int export_chrome(const char *trace, FILE *out, char *err, size_t errlen)
{
	return export_chrome_traces(&trace, 1, out, err, errlen);
}
