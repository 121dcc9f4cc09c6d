// SPDX-License-Identifier: MIT
/*
 * test_lane.c - the second analysis thread hands over every event, in
 * order and intact, whether it travels packed or whole.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_lane.h"

#define NEV 100000

struct seen {
	struct hbt_event *ev;
	size_t n;
};

static void record(void *state, const struct hbt_event *ev)
{
	struct seen *s = state;

	if (s->n < NEV)
		s->ev[s->n] = *ev;
	s->n++;
}

static const uint8_t blob[] = "exec path";

/* Mostly lock events, which travel packed, and now and then one with a
 * field a packed event lacks, or an index out of step. */
static void make_event(struct hbt_event *ev, size_t i, uint64_t *index)
{
	memset(ev, 0, sizeof(*ev));
	ev->index = (*index)++;
	ev->thread = (uint32_t)(i % 7) + 1;
	ev->type = (uint8_t)(i % 3 ? 0x10 : 0x12);
	ev->kind = (uint8_t)(i % 5);
	ev->op = (uint8_t)(i % 11);
	ev->outcome = (uint8_t)(i % 2);
	ev->obj = 0x1000 + i * 64;
	ev->seq = i / 3;
	ev->stack = (uint32_t)(i % 97);
	ev->time_ns = 1000 * (i / 50);
	ev->objref = (uint32_t)(i % 13);
	switch (i % 101) {
	case 3:
		ev->obj2 = 42;
		break;
	case 17:
		ev->data = blob;
		ev->data_len = sizeof(blob);
		break;
	case 29:
		ev->err = -11;
		break;
	case 41:
		ev->thread = UINT32_MAX; /* the packed form's marker */
		break;
	case 53:
		*index += 5; /* the next event's index jumps */
		break;
	case 67:
		ev->arg = 7;
		ev->arg2 = 9;
		ev->seq2 = 3;
		break;
	}
}

static bool same_event(const struct hbt_event *a, const struct hbt_event *b)
{
	return a->index == b->index && a->thread == b->thread &&
	       a->type == b->type && a->kind == b->kind && a->op == b->op &&
	       a->outcome == b->outcome && a->obj == b->obj &&
	       a->obj2 == b->obj2 && a->seq == b->seq && a->seq2 == b->seq2 &&
	       a->arg == b->arg && a->arg2 == b->arg2 && a->err == b->err &&
	       a->stack == b->stack && a->time_ns == b->time_ns &&
	       a->data == b->data && a->data_len == b->data_len &&
	       a->data2 == b->data2 && a->data2_len == b->data2_len &&
	       a->objref == b->objref;
}

static void check_lane(size_t nhandlers)
{
	analysis_event_fn fn[2] = {record, record};
	struct seen seen[2] = {{0}};
	void *state[2] = {&seen[0], &seen[1]};
	struct analysis_lane *l;
	struct hbt_event ev;
	uint64_t index = 0;
	size_t i, h;

	for (h = 0; h < nhandlers; h++)
		seen[h].ev = calloc(NEV, sizeof(*seen[h].ev));
	l = analysis_lane_start(fn, state, nhandlers);
	cr_assert_not_null(l);
	for (i = 0; i < NEV; i++) {
		make_event(&ev, i, &index);
		analysis_lane_push(l, &ev);
	}
	analysis_lane_finish(l);
	for (h = 0; h < nhandlers; h++) {
		cr_assert_eq(seen[h].n, NEV);
		index = 0;
		for (i = 0; i < NEV; i++) {
			make_event(&ev, i, &index);
			cr_assert(same_event(&seen[h].ev[i], &ev),
				  "handler %zu, event %zu differs", h, i);
		}
		free(seen[h].ev);
	}
}

Test(lane, every_event_in_order_and_intact)
{
	check_lane(1);
	check_lane(2);
}

Test(lane, nothing_pushed)
{
	analysis_event_fn fn[1] = {record};
	struct seen seen = {0};
	void *state[1] = {&seen};
	struct analysis_lane *l = analysis_lane_start(fn, state, 1);

	cr_assert_not_null(l);
	analysis_lane_finish(l);
	cr_assert_eq(seen.n, 0);
}

Test(lane, forced_by_environment)
{
	setenv("HBTRACE_ANALYZE_LANES", "2", 1);
	cr_assert(analysis_lane_wanted(0));
	setenv("HBTRACE_ANALYZE_LANES", "1", 1);
	cr_assert(!analysis_lane_wanted(1ull << 40));
	unsetenv("HBTRACE_ANALYZE_LANES");
	cr_assert(!analysis_lane_wanted(1000));
}
