// SPDX-License-Identifier: MIT
/*
 * hb.c - vector clocks and the happens-before tracker (see hb.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analysis/hb.h"

void vc_init(struct vc *v)
{
	memset(v, 0, sizeof(*v));
}

void vc_free(struct vc *v)
{
	free(v->c);
	vc_init(v);
}

static int vc_reserve(struct vc *v, uint32_t n)
{
	if (n > v->n) {
		if (an_grow((void **)&v->c, &v->cap, n, sizeof(*v->c)) < 0)
			return -ENOMEM;
		v->n = n;
	}
	return 0;
}

int vc_set(struct vc *v, uint32_t serial, uint32_t value)
{
	if (vc_reserve(v, serial + 1) < 0)
		return -ENOMEM;
	v->c[serial] = value;
	return 0;
}

int vc_join(struct vc *v, const struct vc *w)
{
	uint32_t i;

	if (vc_reserve(v, w->n) < 0)
		return -ENOMEM;
	for (i = 0; i < w->n; i++)
		if (w->c[i] > v->c[i])
			v->c[i] = w->c[i];
	return 0;
}

int vc_copy(struct vc *dst, const struct vc *src)
{
	if (vc_reserve(dst, src->n) < 0)
		return -ENOMEM;
	memcpy(dst->c, src->c, src->n * sizeof(*src->c));
	if (dst->n > src->n)
		memset(dst->c + src->n, 0, (dst->n - src->n) * sizeof(*dst->c));
	return 0;
}

bool vc_leq(const struct vc *a, const struct vc *b)
{
	uint32_t i;

	for (i = 0; i < a->n; i++)
		if (a->c[i] > vc_get(b, i))
			return false;
	return true;
}

struct hb_thread {
	struct vc vc;
	struct vc_snap *snap; /* cached snapshot of vc, or NULL */
	bool live;
};

/* Barriers keep two generations: a fast thread may arrive at g+1 before
 * a slow one has left g, never at g+2. */
struct hb_obj {
	struct vc vc;
	uint64_t bar_count;
	uint64_t gen[2]; /* generation + 1 held by each slot, 0 = none */
	struct vc bvc[2];
};

struct hb {
	unsigned flags;
	struct hb_thread *threads;
	uint32_t nthreads_cap;
	struct u64map objmap;
	struct hb_obj *objs;
	uint32_t nobjs, objs_cap;
	struct vc_snap *free_snaps;
};

struct hb *hb_new(unsigned flags)
{
	struct hb *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->flags = flags;
	u64map_init(&h->objmap);
	return h;
}

static void hb_snap_destroy(struct vc_snap *s)
{
	vc_free(&s->vc);
	free(s);
}

void hb_free(struct hb *h)
{
	uint32_t i;
	struct vc_snap *s;

	if (!h)
		return;
	for (i = 0; i < h->nthreads_cap; i++) {
		if (h->threads[i].snap)
			hb_snap_put(h, h->threads[i].snap);
		vc_free(&h->threads[i].vc);
	}
	free(h->threads);
	for (i = 0; i < h->nobjs; i++) {
		vc_free(&h->objs[i].vc);
		vc_free(&h->objs[i].bvc[0]);
		vc_free(&h->objs[i].bvc[1]);
	}
	free(h->objs);
	u64map_free(&h->objmap);
	while ((s = h->free_snaps)) {
		h->free_snaps = s->next_free;
		hb_snap_destroy(s);
	}
	free(h);
}

static struct hb_thread *hb_thread(struct hb *h, uint32_t serial)
{
	struct hb_thread *t;

	if (serial < h->nthreads_cap && h->threads[serial].live)
		return &h->threads[serial];
	if (!an_serial_ok(serial))
		return NULL;
	if (an_grow((void **)&h->threads, &h->nthreads_cap, serial + 1,
		    sizeof(*h->threads)) < 0)
		return NULL;
	t = &h->threads[serial];
	if (!t->live) {
		t->live = true;
		if (vc_set(&t->vc, serial, 1) < 0)
			return NULL;
	}
	return t;
}

static struct hb_obj *hb_obj(struct hb *h, uint64_t obj)
{
	bool created = false;
	uint32_t *idx = u64map_find(&h->objmap, obj);

	if (idx)
		return &h->objs[*idx];
	idx = u64map_put(&h->objmap, obj, h->nobjs, &created);
	if (!idx)
		return NULL;
	if (created) {
		if (an_grow((void **)&h->objs, &h->objs_cap, h->nobjs + 1,
			    sizeof(*h->objs)) < 0)
			return NULL;
		h->nobjs++;
	}
	return &h->objs[*idx];
}

static struct hb_obj *hb_obj_find(struct hb *h, uint64_t obj)
{
	uint32_t *idx = u64map_find(&h->objmap, obj);

	return idx ? &h->objs[*idx] : NULL;
}

/* The clock changed: the cached snapshot no longer describes it. */
static void hb_dirty(struct hb *h, struct hb_thread *t)
{
	if (t->snap) {
		hb_snap_put(h, t->snap);
		t->snap = NULL;
	}
}

static void hb_join_into(struct hb *h, struct hb_thread *t, const struct vc *w)
{
	if (!vc_leq(w, &t->vc)) {
		vc_join(&t->vc, w);
		hb_dirty(h, t);
	}
}

/* After an outgoing synchronization, later events of the thread are no
 * longer covered by what it published. */
static void hb_tick(struct hb *h, struct hb_thread *t, uint32_t serial)
{
	t->vc.c[serial]++;
	hb_dirty(h, t);
}

static bool hb_kind_is_post_like(uint8_t kind)
{
	switch (kind) {
	case HBT_OBJ_SEM:
	case HBT_OBJ_PY_SEM:
	case HBT_OBJ_PY_EVENT:
	case HBT_OBJ_PY_QUEUE:
	case HBT_OBJ_PY_FUTURE:
	case HBT_OBJ_AIO_SEM:
	case HBT_OBJ_AIO_EVENT:
	case HBT_OBJ_AIO_QUEUE:
	case HBT_OBJ_AIO_FUTURE:
	case HBT_OBJ_AIO_HANDOFF:
	case HBT_OBJ_COND:
	case HBT_OBJ_PY_COND:
	case HBT_OBJ_AIO_COND:
		return true;
	default:
		return false;
	}
}

static void hb_publish(struct hb *h, struct hb_thread *t, uint32_t serial,
		       uint64_t obj)
{
	struct hb_obj *o = hb_obj(h, obj);

	if (o)
		vc_join(&o->vc, &t->vc);
	hb_tick(h, t, serial);
}

static void hb_receive(struct hb *h, struct hb_thread *t, uint64_t obj)
{
	struct hb_obj *o = hb_obj_find(h, obj);

	if (o && o->vc.n)
		hb_join_into(h, t, &o->vc);
}

void hb_event(struct hb *h, const struct hbt_event *ev)
{
	struct hb_thread *t, *c;
	struct hb_obj *o;
	uint64_t gen;
	uint32_t serial = ev->thread;

	switch (ev->type) {
	case HBT_REC_THREAD_CREATE:
		if (ev->err || !ev->obj || !an_serial_ok(ev->obj))
			return;
		t = hb_thread(h, serial);
		c = t ? hb_thread(h, (uint32_t)ev->obj) : NULL;
		if (!c)
			return;
		t = &h->threads[serial]; /* c may have moved the table */
		hb_join_into(h, c, &t->vc);
		hb_tick(h, t, serial);
		return;
	case HBT_REC_JOIN:
		if (ev->outcome != HBT_OUT_OK || !ev->obj ||
		    !an_serial_ok(ev->obj))
			return;
		t = hb_thread(h, serial);
		c = t ? hb_thread(h, (uint32_t)ev->obj) : NULL;
		if (!c)
			return;
		t = &h->threads[serial];
		hb_join_into(h, t, &c->vc);
		return;
	case HBT_REC_POST:
		t = hb_thread(h, serial);
		if (t)
			hb_publish(h, t, serial, ev->obj);
		return;
	case HBT_REC_ACQUIRE:
		if (!hb_kind_is_post_like(ev->kind) && !(h->flags & HB_LOCKS))
			return;
		t = hb_thread(h, serial);
		if (t)
			hb_receive(h, t, ev->obj);
		return;
	case HBT_REC_RELEASE:
		if (!(h->flags & HB_LOCKS) || ev->err)
			return;
		t = hb_thread(h, serial);
		if (t)
			hb_publish(h, t, serial, ev->obj);
		return;
	case HBT_REC_COND_WAIT:
		if (!(h->flags & HB_LOCKS))
			return;
		t = hb_thread(h, serial);
		if (t)
			hb_publish(h, t, serial, ev->obj2);
		return;
	case HBT_REC_COND_WAKE:
		t = hb_thread(h, serial);
		if (!t)
			return;
		if (ev->outcome == HBT_OUT_OK)
			hb_receive(h, t, ev->obj);
		if (h->flags & HB_LOCKS)
			hb_receive(h, t, ev->obj2);
		return;
	case HBT_REC_BARRIER_ARRIVE:
		if (!ev->arg || !ev->seq)
			return;
		t = hb_thread(h, serial);
		o = t ? hb_obj(h, ev->obj) : NULL;
		if (!o)
			return;
		o->bar_count = ev->arg;
		gen = (ev->seq - 1) / ev->arg;
		if (o->gen[gen & 1] != gen + 1) {
			o->gen[gen & 1] = gen + 1;
			if (o->bvc[gen & 1].n)
				memset(o->bvc[gen & 1].c, 0,
				       o->bvc[gen & 1].n * sizeof(uint32_t));
		}
		vc_join(&o->bvc[gen & 1], &t->vc);
		hb_tick(h, t, serial);
		return;
	case HBT_REC_BARRIER_LEAVE:
		t = hb_thread(h, serial);
		o = t ? hb_obj_find(h, ev->obj) : NULL;
		if (!o || !ev->seq || !o->bar_count)
			return;
		gen = (ev->seq - 1) / o->bar_count;
		if (o->gen[gen & 1] == gen + 1)
			hb_join_into(h, t, &o->bvc[gen & 1]);
		return;
	default:
		return;
	}
}

const struct vc *hb_clock(struct hb *h, uint32_t thread)
{
	struct hb_thread *t = hb_thread(h, thread);

	return t ? &t->vc : NULL;
}

uint32_t hb_epoch(struct hb *h, uint32_t thread)
{
	struct hb_thread *t = hb_thread(h, thread);

	return t ? t->vc.c[thread] : 0;
}

struct vc_snap *hb_snap_get(struct hb *h, uint32_t thread)
{
	struct hb_thread *t = hb_thread(h, thread);
	struct vc_snap *s;

	if (!t)
		return NULL;
	if (!t->snap) {
		s = h->free_snaps;
		if (s) {
			h->free_snaps = s->next_free;
		} else {
			s = calloc(1, sizeof(*s));
			if (!s)
				return NULL;
		}
		if (vc_copy(&s->vc, &t->vc) < 0) {
			hb_snap_destroy(s);
			return NULL;
		}
		s->vc.n = t->vc.n;
		s->thread = thread;
		s->refs = 1; /* the cache's reference */
		t->snap = s;
	}
	t->snap->refs++;
	return t->snap;
}

void hb_snap_put(struct hb *h, struct vc_snap *s)
{
	if (!s || --s->refs)
		return;
	s->next_free = h->free_snaps;
	h->free_snaps = s;
}
