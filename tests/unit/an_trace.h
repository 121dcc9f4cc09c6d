/* SPDX-License-Identifier: MIT */
/*
 * an_trace.h - build small traces for the analysis unit tests with the
 * offline writer, keeping the per-object counters the reader merges by.
 */
#ifndef HBT_TEST_AN_TRACE_H
#define HBT_TEST_AN_TRACE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "hbt_filewriter.h"

#define TW_MAX_OBJS 64

struct tw {
	struct hbt_filewriter *w;
	char path[128];
	uint64_t objs[TW_MAX_OBJS];
	uint64_t acq[TW_MAX_OBJS], post[TW_MAX_OBJS];
	int nobjs;
	struct finding_list l;
};

static inline void tw_open(struct tw *t)
{
	static int n;
	struct hbt_filewriter_opts o = { .pid = 4242, .exe = "/test" };

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "/tmp/hbt-ut-%d-%d.hbt",
		 (int)getpid(), n++);
	cr_assert_eq(hbt_filewriter_open(t->path, &o, &t->w), 0);
}

static inline int tw_slot(struct tw *t, uint64_t obj)
{
	int i;

	for (i = 0; i < t->nobjs; i++)
		if (t->objs[i] == obj)
			return i;
	cr_assert(t->nobjs < TW_MAX_OBJS);
	t->objs[t->nobjs] = obj;
	return t->nobjs++;
}

static inline void tw_put(struct tw *t, uint32_t thread, struct hbt_event *ev)
{
	cr_assert_eq(hbt_filewriter_event(t->w, thread, ev), 0);
}

/* A sync record: ACQUIRE/POST get their counters, the rest as given. */
static inline void tw_ev(struct tw *t, uint32_t thread, uint8_t type,
			 uint64_t obj, uint8_t kind, uint8_t op, uint32_t stack)
{
	struct hbt_event ev = { .type = type, .obj = obj, .kind = kind,
				.op = op, .stack = stack };
	int s = tw_slot(t, obj);

	if (type == HBT_REC_ACQUIRE)
		ev.seq = kind == HBT_OBJ_SEM || kind == HBT_OBJ_PY_SEM ?
				 t->post[s] : ++t->acq[s];
	if (type == HBT_REC_POST)
		ev.seq = ++t->post[s];
	tw_put(t, thread, &ev);
}

#define TW_LOCK(t, th, o) tw_ev(t, th, HBT_REC_ACQUIRE, o, HBT_OBJ_MUTEX, 0, 0)
#define TW_UNLOCK(t, th, o) tw_ev(t, th, HBT_REC_RELEASE, o, HBT_OBJ_MUTEX, 0, 0)

static inline void tw_start(struct tw *t, uint32_t thread, uint32_t parent)
{
	struct hbt_event ev = { .type = HBT_REC_THREAD_START, .obj = parent,
				.arg = 1000 + thread };

	tw_put(t, thread, &ev);
}

static inline void tw_create(struct tw *t, uint32_t parent, uint32_t child)
{
	struct hbt_event ev = { .type = HBT_REC_THREAD_CREATE, .obj = child };

	tw_put(t, parent, &ev);
	tw_start(t, child, parent);
}

static inline void tw_end(struct tw *t, uint32_t thread, uint8_t op)
{
	struct hbt_event ev = { .type = HBT_REC_THREAD_END, .op = op };

	tw_put(t, thread, &ev);
}

static inline void tw_join(struct tw *t, uint32_t parent, uint32_t child)
{
	struct hbt_event ev = { .type = HBT_REC_JOIN, .obj = child };

	tw_put(t, parent, &ev);
}

/* Close the trace and run every analysis on it into t->l. */
static inline void tw_analyze(struct tw *t)
{
	const char *paths[1] = { t->path };
	char err[256] = "";
	int ret;

	cr_assert_eq(hbt_filewriter_close(t->w), 0);
	t->w = NULL;
	ret = analyze_traces(paths, 1, NULL, &t->l, err, sizeof(err));
	cr_assert_eq(ret, 0, "analyze: %s", err);
	unlink(t->path);
}

static inline size_t tw_count(const struct tw *t, enum finding_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < t->l.n; i++)
		n += t->l.items[i]->kind == k;
	return n;
}

static inline const struct finding *tw_first(const struct tw *t,
					     enum finding_kind k)
{
	size_t i;

	for (i = 0; i < t->l.n; i++)
		if (t->l.items[i]->kind == k)
			return t->l.items[i];
	return NULL;
}

static inline void tw_free(struct tw *t)
{
	finding_list_free(&t->l);
}

#endif /* HBT_TEST_AN_TRACE_H */
