// SPDX-License-Identifier: MIT
/*
 * common.c - map, actor and naming helpers for the analyses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "symbolize.h"

void u64map_init(struct u64map *m)
{
	memset(m, 0, sizeof(*m));
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static int u64map_rehash(struct u64map *m, uint32_t cap)
{
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint32_t *vals = malloc(cap * sizeof(*vals));
	uint32_t i, j, mask = cap - 1;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		for (j = u64map_hash(m->keys[i]) & mask; keys[j];
		     j = (j + 1) & mask)
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

uint32_t *u64map_put(struct u64map *m, uint64_t key, uint32_t val,
		     bool *created)
{
	uint32_t i, mask;

	*created = false;
	if (!key) {
		if (!m->has_zero) {
			m->has_zero = true;
			m->zero_val = val;
			*created = true;
		}
		return &m->zero_val;
	}
	if ((m->n + 1) * 2 > m->cap &&
	    u64map_rehash(m, m->cap ? m->cap * 2 : 64) < 0)
		return NULL;
	mask = m->cap - 1;
	for (i = u64map_hash(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key)
			return &m->vals[i];
		if (!m->keys[i])
			break;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	*created = true;
	return &m->vals[i];
}

int an_grow_slow(void **arr, uint32_t *cap, uint32_t need, size_t size)
{
	uint32_t ncap;
	void *p;

	if (need > (1u << 30))
		return -ENOMEM; /* also keeps the doubling from overflowing */
	ncap = *cap ? *cap : 8;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, (size_t)ncap * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + (size_t)*cap * size, 0,
	       (size_t)(ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

int64_t an_intern(struct u64map *map, uint64_t key, void **arr, uint32_t *n,
		  uint32_t *cap, size_t size, bool *created)
{
	uint32_t *v = u64map_find(map, key);

	*created = false;
	if (v)
		return *v;
	if (an_grow(arr, cap, *n + 1, size) < 0)
		return -ENOMEM;
	v = u64map_put(map, key, *n, created);
	if (!v)
		return -ENOMEM;
	memset((char *)*arr + (size_t)*n * size, 0, size);
	return (*n)++;
}

void an_ref_set(struct an_refmap *m, uint32_t ref, uint32_t idx)
{
	if (ref && an_grow((void **)&m->ix, &m->cap, ref, sizeof(*m->ix)) == 0)
		m->ix[ref - 1] = idx + 1;
}

void an_refmap_free(struct an_refmap *m)
{
	free(m->ix);
	memset(m, 0, sizeof(*m));
}

void an_tasks_free(struct an_tasks *t)
{
	free(t->running);
	memset(t, 0, sizeof(*t));
}

void an_tasks_event(struct an_tasks *t, const struct hbt_event *ev)
{
	switch (ev->type) {
	case HBT_REC_TASK_STEP:
		if (an_serial_ok(ev->thread) &&
		    an_grow((void **)&t->running, &t->cap, ev->thread + 1,
			    sizeof(*t->running)) == 0)
			t->running[ev->thread] = ev->obj;
		break;
	case HBT_REC_TASK_SUSPEND:
	case HBT_REC_TASK_DONE:
		if (ev->thread < t->cap && t->running[ev->thread] == ev->obj)
			t->running[ev->thread] = 0;
		break;
	default:
		break;
	}
}

const char *an_kind_type(uint8_t kind)
{
	const char *name = hbt_obj_kind_name(kind);

	/* the reader's names, but a handoff, an atomic and anything the
	 * reader does not name show as a plain object */
	if (kind == HBT_OBJ_AIO_HANDOFF || kind == HBT_OBJ_ATOMIC ||
	    !strcmp(name, "unknown"))
		return "object";
	return name;
}

/* Short noun for "X created at ...". */
static const char *an_kind_noun(uint8_t kind)
{
	switch (kind) {
	case HBT_OBJ_MUTEX:
		return "mutex";
	case HBT_OBJ_RWLOCK:
		return "rwlock";
	case HBT_OBJ_SPIN:
		return "spinlock";
	case HBT_OBJ_COND:
		return "condition";
	case HBT_OBJ_SEM:
		return "semaphore";
	case HBT_OBJ_BARRIER:
		return "barrier";
	default:
		return an_kind_type(kind);
	}
}

char *an_lock_name(struct analysis_ctx *ctx, uint64_t obj, uint8_t kind,
		   uint32_t site_stack)
{
	char *s = NULL, *site = NULL;
	uint32_t sid;

	if (ctx && ctx->reader) {
		sid = hbt_reader_obj_name(ctx->reader, obj);
		if (sid) {
			const char *n = hbt_reader_string(ctx->reader, sid);

			if (n)
				return strdup(n);
		}
	}
	if (ctx && ctx->sym) {
		s = symbolize_data(ctx->sym, obj, kind);
		if (s)
			return s;
		if (site_stack)
			site = symbolize_site(ctx->sym, site_stack);
	}
	if (site) {
		if (asprintf(&s, "%s created at %s", an_kind_noun(kind), site) <
		    0)
			s = NULL;
		free(site);
		return s;
	}
	if (asprintf(&s, "%s 0x%" PRIx64, an_kind_noun(kind), obj) < 0)
		return NULL;
	return s;
}

char *an_thread_id(uint32_t serial)
{
	char *s;

	if (asprintf(&s, "T%" PRIu32, serial) < 0)
		return NULL;
	return s;
}

char *an_task_name(struct analysis_ctx *ctx, uint64_t task)
{
	uint32_t name = 0, coro = 0;
	const char *n = NULL;
	char *s;

	if (!task)
		return NULL;
	if (ctx && ctx->reader &&
	    hbt_reader_task_name(ctx->reader, task, &name, &coro) == 0 && name)
		n = hbt_reader_string(ctx->reader, name);
	if (n)
		return strdup(n);
	if (asprintf(&s, "task-%" PRIu64, task) < 0)
		return NULL;
	return s;
}

int an_add_thread(struct finding *f, struct analysis_ctx *ctx, uint32_t serial,
		  uint64_t task)
{
	struct finding_thread *t;
	char *id = an_thread_id(serial), *tn = an_task_name(ctx, task);
	size_t i;

	if (!id) {
		free(tn);
		return -ENOMEM;
	}
	for (i = 0; i < f->nthreads; i++) {
		t = &f->threads[i];
		if (!strcmp(t->id, id) &&
		    ((!t->task && !tn) ||
		     (t->task && tn && !strcmp(t->task, tn)))) {
			free(id);
			free(tn);
			return 0;
		}
	}
	t = finding_add_thread(f);
	if (!t) {
		free(id);
		free(tn);
		return -ENOMEM;
	}
	t->id = id;
	t->task = tn;
	if (ctx && ctx->reader) {
		const struct hbt_thread_info *ti =
			hbt_reader_thread(ctx->reader, serial);
		const char *n = ti && ti->name ? hbt_reader_string(ctx->reader,
								   ti->name)
					       : NULL;

		if (n)
			t->name = strdup(n);
	}
	return 0;
}

int an_add_lock(struct finding *f, struct analysis_ctx *ctx, uint64_t obj,
		uint8_t kind, uint32_t site_stack)
{
	struct finding_lock *l;
	size_t i;

	for (i = 0; i < f->nlocks; i++)
		if (f->locks[i].address == obj)
			return 0;
	l = finding_add_lock(f);
	if (!l)
		return -ENOMEM;
	l->address = obj;
	l->type = strdup(an_kind_type(kind));
	l->name = an_lock_name(ctx, obj, kind, site_stack);
	return l->type && l->name ? 0 : -ENOMEM;
}

int an_add_step(struct finding *f, struct analysis_ctx *ctx, uint32_t serial,
		uint64_t task, const char *action, uint32_t stack)
{
	struct finding_step *s = finding_add_step(f);

	if (!s)
		return -ENOMEM;
	s->thread = an_thread_id(serial);
	s->task = an_task_name(ctx, task);
	s->action = strdup(action);
	if (!s->thread || !s->action)
		return -ENOMEM;
	if (stack && ctx && ctx->sym)
		symbolize_stack(ctx->sym, stack, s);
	return 0;
}

int an_emit(struct analysis_ctx *ctx, struct finding *f)
{
	int err;

	if (ctx->trace_path && !f->trace)
		f->trace = strdup(ctx->trace_path);
	if (ctx->reader)
		f->pid = hbt_reader_header(ctx->reader)->pid;
	findings_compute_id(f);
	err = finding_list_add(ctx->out, f);
	if (err < 0)
		finding_free(f);
	return err;
}

int an_number_duplicates(char **names, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		bool dup = false;

		for (j = i + 1; j < n && !dup; j++)
			dup = !strcmp(names[i], names[j]);
		if (!dup)
			continue;
		/* number every name equal to names[i], in order */
		{
			char *base = strdup(names[i]);

			if (!base)
				return -ENOMEM;
			for (j = i, k = 1; j < n; j++) {
				char *s;

				if (strcmp(names[j], base))
					continue;
				if (asprintf(&s, "%s #%zu", base, k++) < 0) {
					free(base);
					return -ENOMEM;
				}
				free(names[j]);
				names[j] = s;
			}
			free(base);
		}
	}
	return 0;
}

int an_add_lock_named(struct finding *f, uint64_t obj, uint8_t kind,
		      const char *name)
{
	struct finding_lock *l;
	size_t i;

	for (i = 0; i < f->nlocks; i++)
		if (f->locks[i].address == obj)
			return 0;
	l = finding_add_lock(f);
	if (!l)
		return -ENOMEM;
	l->address = obj;
	l->type = strdup(an_kind_type(kind));
	l->name = strdup(name);
	return l->type && l->name ? 0 : -ENOMEM;
}
