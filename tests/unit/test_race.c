// SPDX-License-Identifier: MIT
/*
 * test_race.c - the data-race / lost-update analysis over hand-written
 * event streams (no trace file, no symbolizer).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "analysis/race.h"
#include "analyze.h"
#include "findings.h"

#define L1   0x1000u
#define CNT  0x5000u
#define DATA 0x5008u
#define FLAG 0x5010u

struct stream {
	struct hbt_event ev[128];
	size_t n;
};

static struct hbt_event *add(struct stream *s, uint8_t type, uint32_t th,
			     uint64_t obj)
{
	struct hbt_event *e = &s->ev[s->n];

	cr_assert(s->n < 128);
	memset(e, 0, sizeof(*e));
	e->index = s->n++;
	e->type = type;
	e->thread = th;
	e->obj = obj;
	e->stack = (uint32_t)s->n; /* every event its own site */
	return e;
}

static void rd(struct stream *s, uint32_t th, uint64_t a)
{
	add(s, HBT_REC_MEM_READ, th, a)->arg = 4;
}

static void wr(struct stream *s, uint32_t th, uint64_t a)
{
	add(s, HBT_REC_MEM_WRITE, th, a)->arg = 4;
}

static void lock(struct stream *s, uint32_t th, uint64_t l)
{
	add(s, HBT_REC_ACQUIRE, th, l)->kind = HBT_OBJ_MUTEX;
}

static void unlock(struct stream *s, uint32_t th, uint64_t l)
{
	add(s, HBT_REC_RELEASE, th, l)->kind = HBT_OBJ_MUTEX;
}

static void atomic(struct stream *s, uint32_t th, uint64_t a, uint8_t op,
		   uint8_t mo)
{
	struct hbt_event *e = add(s, HBT_REC_MEM_ATOMIC, th, a);

	e->arg = 4;
	e->op = op;
	e->outcome = mo;
}

/* T1 creates T2 and T3. */
static void start(struct stream *s)
{
	add(s, HBT_REC_THREAD_START, 1, 0);
	add(s, HBT_REC_THREAD_CREATE, 1, 2);
	add(s, HBT_REC_THREAD_START, 2, 1);
	add(s, HBT_REC_THREAD_CREATE, 1, 3);
	add(s, HBT_REC_THREAD_START, 3, 1);
}

static void end_join(struct stream *s, uint32_t child)
{
	add(s, HBT_REC_THREAD_END, child, 0);
	add(s, HBT_REC_JOIN, 1, child);
}

struct counts {
	int race, lu, lu_seen;
};

static struct counts run(struct stream *s)
{
	struct analysis_options opts = {0};
	struct finding_list out = {0};
	struct analysis_ctx ctx = {.opts = &opts, .out = &out};
	struct counts c = {0};
	void *st = analysis_race.init(&opts);

	cr_assert_not_null(st);
	for (size_t i = 0; i < s->n; i++)
		analysis_race.event(st, &s->ev[i]);
	cr_assert_eq(analysis_race.finish(st, &ctx), 0);
	analysis_race.destroy(st);
	for (size_t i = 0; i < out.n; i++) {
		if (out.items[i]->kind == FK_DATA_RACE)
			c.race++;
		if (out.items[i]->kind == FK_LOST_UPDATE) {
			c.lu++;
			c.lu_seen += !out.items[i]->predicted;
		}
	}
	finding_list_free(&out);
	return c;
}

Test(race, racy_counter_is_race_and_lost_update)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	rd(&s, 2, CNT);
	wr(&s, 2, CNT);
	rd(&s, 3, CNT);
	wr(&s, 3, CNT);
	end_join(&s, 2);
	end_join(&s, 3);
	c = run(&s);
	cr_expect_eq(c.race, 1);
	cr_expect_eq(c.lu, 1);
}

Test(race, split_critical_sections_lose_updates)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	for (uint32_t th = 2; th <= 3; th++) {
		lock(&s, th, L1);
		rd(&s, th, CNT);
		unlock(&s, th, L1);
		lock(&s, th, L1);
		wr(&s, th, CNT);
		unlock(&s, th, L1);
	}
	end_join(&s, 2);
	end_join(&s, 3);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 1);
	cr_expect_eq(c.lu_seen, 0);
}

Test(race, seen_lost_update)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	lock(&s, 2, L1);
	rd(&s, 2, CNT);
	unlock(&s, 2, L1);
	lock(&s, 3, L1);
	rd(&s, 3, CNT);
	wr(&s, 3, CNT);
	unlock(&s, 3, L1);
	lock(&s, 2, L1);
	wr(&s, 2, CNT);
	unlock(&s, 2, L1);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 1);
	cr_expect_eq(c.lu_seen, 1);
}

Test(race, counter_under_one_mutex_is_fine)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	for (int i = 0; i < 2; i++)
		for (uint32_t th = 2; th <= 3; th++) {
			lock(&s, th, L1);
			rd(&s, th, CNT);
			wr(&s, th, CNT);
			unlock(&s, th, L1);
		}
	end_join(&s, 2);
	end_join(&s, 3);
	rd(&s, 1, CNT);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 0);
}

Test(race, atomic_release_acquire_hands_over)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	wr(&s, 2, DATA);
	atomic(&s, 2, FLAG, 2, 3); /* store release */
	atomic(&s, 3, FLAG, 1, 2); /* load acquire */
	rd(&s, 3, DATA);
	wr(&s, 3, DATA);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 0);
}

Test(race, relaxed_atomics_do_not_synchronize)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	wr(&s, 2, DATA);
	atomic(&s, 2, FLAG, 2, 0);
	atomic(&s, 3, FLAG, 1, 0);
	rd(&s, 3, DATA);
	c = run(&s);
	cr_expect_eq(c.race, 1);
}

Test(race, unsynchronized_flag_handoff)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	wr(&s, 2, DATA);
	wr(&s, 2, FLAG);
	rd(&s, 3, FLAG);
	rd(&s, 3, DATA);
	c = run(&s);
	cr_expect_eq(c.race, 2);
	cr_expect_eq(c.lu, 0);
}

Test(race, join_hands_over)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	rd(&s, 2, CNT);
	wr(&s, 2, CNT);
	end_join(&s, 2);
	rd(&s, 1, CNT);
	wr(&s, 1, CNT);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 0);
}

Test(race, mutex_flag_orders_data_for_lost_updates)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	wr(&s, 2, DATA);
	lock(&s, 2, L1);
	wr(&s, 2, FLAG);
	unlock(&s, 2, L1);
	lock(&s, 3, L1);
	rd(&s, 3, FLAG);
	unlock(&s, 3, L1);
	rd(&s, 3, DATA);
	wr(&s, 3, DATA);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 0);
}

Test(race, sem_hands_over)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	wr(&s, 2, DATA);
	add(&s, HBT_REC_POST, 2, 0x9000)->kind = HBT_OBJ_SEM;
	add(&s, HBT_REC_ACQUIRE, 3, 0x9000)->kind = HBT_OBJ_SEM;
	rd(&s, 3, DATA);
	wr(&s, 3, DATA);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 0);
}

Test(race, cond_hands_over)
{
	struct stream s = {.n = 0};
	struct hbt_event *e;
	struct counts c;

	start(&s);
	lock(&s, 3, L1);
	e = add(&s, HBT_REC_COND_WAIT, 3, 0x9100);
	e->kind = HBT_OBJ_COND;
	e->obj2 = L1;
	wr(&s, 2, DATA);
	lock(&s, 2, L1);
	add(&s, HBT_REC_POST, 2, 0x9100)->kind = HBT_OBJ_COND;
	unlock(&s, 2, L1);
	e = add(&s, HBT_REC_COND_WAKE, 3, 0x9100);
	e->kind = HBT_OBJ_COND;
	e->obj2 = L1;
	unlock(&s, 3, L1);
	rd(&s, 3, DATA);
	wr(&s, 3, DATA);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 0);
}

Test(race, barrier_phases)
{
	struct stream s = {.n = 0};
	struct hbt_event *e;
	struct counts c;

	start(&s);
	rd(&s, 2, DATA);
	wr(&s, 2, DATA);
	for (uint32_t th = 2; th <= 3; th++) {
		e = add(&s, HBT_REC_BARRIER_ARRIVE, th, 0x9200);
		e->arg = 2;
		e->seq = th - 1;
	}
	for (uint32_t th = 2; th <= 3; th++)
		add(&s, HBT_REC_BARRIER_LEAVE, th, 0x9200)->seq = th - 1;
	rd(&s, 3, DATA);
	wr(&s, 3, DATA);
	c = run(&s);
	cr_expect_eq(c.race, 0);
	cr_expect_eq(c.lu, 0);
}

Test(race, reused_heap_address_is_not_a_race)
{
	struct stream s = {.n = 0};
	struct hbt_event *e;
	struct counts c;

	start(&s);
	e = add(&s, HBT_REC_ALLOC, 2, 0x70000);
	e->arg = 16;
	wr(&s, 2, 0x70000);
	add(&s, HBT_REC_FREE, 2, 0x70000);
	e = add(&s, HBT_REC_ALLOC, 3, 0x70000);
	e->arg = 16;
	wr(&s, 3, 0x70000);
	c = run(&s);
	cr_expect_eq(c.race, 0);
}

Test(race, different_bytes_of_a_granule_do_not_race)
{
	struct stream s = {.n = 0};
	struct counts c;

	start(&s);
	add(&s, HBT_REC_MEM_WRITE, 2, CNT)->arg = 1;
	add(&s, HBT_REC_MEM_WRITE, 3, CNT + 1)->arg = 1;
	add(&s, HBT_REC_MEM_WRITE, 3, CNT)->arg = 2;
	c = run(&s);
	cr_expect_eq(c.race, 1);
}

Test(race, reused_thread_stack_is_not_a_race)
{
	struct stream s = {.n = 0};
	struct hbt_event *e;
	struct counts c;
	uint64_t top = 0x7f0000800000ull, local = top - 0x1000;

	add(&s, HBT_REC_THREAD_START, 1, 0);
	add(&s, HBT_REC_THREAD_CREATE, 1, 2);
	e = add(&s, HBT_REC_THREAD_START, 2, 1);
	e->arg2 = top;
	wr(&s, 2, local);
	add(&s, HBT_REC_THREAD_END, 2, 0);
	add(&s, HBT_REC_THREAD_CREATE, 1, 3);
	e = add(&s, HBT_REC_THREAD_START, 3, 1);
	e->arg2 = top; /* glibc handed T2's cached stack to T3 */
	wr(&s, 3, local);
	c = run(&s);
	cr_expect_eq(c.race, 0);
}
